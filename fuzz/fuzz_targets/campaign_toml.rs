//! Campaign descriptions: parsed and validated, or refused with an error naming the field.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(campaign) = pinch::campaign::Campaign::parse(text, "fuzz.toml") {
            // An accepted campaign can be planned.
            let _ = campaign.chains_of_worker(0, 3, None);
        }
    }
});
