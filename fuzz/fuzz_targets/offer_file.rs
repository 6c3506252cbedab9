//! An AWS price file given to `cloudcost pricing import` (EC2 offer file, GetProducts records,
//! Savings Plans offer file, spot price history): the format detected and parsed.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;
use common::catalog;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = cloudcost::catalog::import::import(catalog(), "fuzz.json", text);
});
