//! A plan file (`cloudcost quote`): parsed, then priced against the built-in catalog. Any
//! error is fine; a panic is a finding.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn catalog() -> &'static cloudcost::catalog::Catalog {
    static C: OnceLock<cloudcost::catalog::Catalog> = OnceLock::new();
    C.get_or_init(|| cloudcost::catalog::Catalog::embedded().expect("catalog"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(plan) = cloudcost::quote::Plan::parse("fuzz.toml", text) {
        let _ = cloudcost::quote::build_quote(catalog(), &plan);
    }
});
