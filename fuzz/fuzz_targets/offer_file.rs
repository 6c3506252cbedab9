//! An AWS price file given to `cloudcost pricing import` (EC2 offer file, GetProducts records,
//! Savings Plans offer file, spot price history): the format detected and parsed.
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
    let _ = cloudcost::catalog::import::import(catalog(), "fuzz.json", text);
});
