//! A plan file (`cloudcost quote`): parsed, then priced against the built-in catalog. Any
//! error is fine; a panic is a finding.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;
use common::catalog;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(plan) = cloudcost::quote::Plan::parse("fuzz.toml", text) {
        let _ = cloudcost::quote::build_quote(catalog(), &plan);
    }
});
