//! The bot's bot.toml (paths are resolved against a directory that holds nothing).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = cloudcost_bot::Config::parse("bot.toml", text, std::path::Path::new("/nonexistent"));
    let _ = cloudcost_bot::config::parse_api_url(text);
});
