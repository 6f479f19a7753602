//! Extended XYZ text: any input is read into a valid configuration or refused with an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for wrap in [false, true] {
        if let Ok(configuration) = pinch::io::xyz::parse(&text, wrap) {
            // What is accepted must be usable: finite positions inside a positive box.
            assert!(configuration.box_length > 0.0 && configuration.box_length.is_finite());
            for x in configuration.positions.iter().flatten() {
                assert!(x.is_finite());
            }
        }
    }
});
