//! A commitments file (reserved instances and savings plans), checked against the catalog.
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
    let _ = cloudcost::bill::Commitments::parse("fuzz.toml", text, catalog());
});
