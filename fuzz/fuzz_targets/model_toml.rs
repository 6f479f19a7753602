//! Model parameters from TOML: parsed and validated, or refused with an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(parameters) = pinch::model::ModelParameters::from_toml(text) {
            // Accepted parameters define a potential without panicking.
            let _ = parameters.potential();
        }
    }
});
