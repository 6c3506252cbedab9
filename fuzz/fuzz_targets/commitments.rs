//! A commitments file (reserved instances and savings plans), checked against the catalog.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;
use common::catalog;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = cloudcost::bill::Commitments::parse("fuzz.toml", text, catalog());
});
