//! A chat message as the bot reads it: a command and its arguments, from anyone.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = cloudcost_bot::commands::parse(text, "cloudcost_test_bot");
});
