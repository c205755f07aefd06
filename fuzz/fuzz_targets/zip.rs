//! Fuzzes the zip reader of gateway::checks through both checks.
#![no_main]

mod content;

libfuzzer_sys::fuzz_target!(init: content::contain_calamine_panics(), |data: &[u8]| {
    content::run(data, gateway::checks::Format::Zip);
});
