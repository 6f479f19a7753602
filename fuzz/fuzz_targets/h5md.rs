//! H5MD configuration files: any bytes are read into a valid configuration or refused with an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("input.h5");
    std::fs::write(&path, data).expect("the input is written");
    let _ = pinch::io::h5md::read(&path);
});
