//! budgets.toml (`cloudcost alarms --budgets`, the bot), and a user-typed amount (`/budget set`).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(b) = cloudcost::alarms::Budgets::parse("fuzz.toml", text) {
        let _ = b.to_toml();
    }
    let _ = cloudcost::alarms::parse_amount(text);
});
