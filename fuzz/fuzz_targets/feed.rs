//! A pricing-page feed (meteredUnitMaps JSON) as `pricing import` and `pricing update` read it:
//! parsed, then built into catalog files.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;
use common::catalog;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let input = cloudcost::catalog::feeds::FeedInput {
        name: "pricing/1.0/ec2/region/us-east-1/ondemand/linux/index.json".into(),
        origin: "fuzz".into(),
        date: Some("2026-01-01".into()),
        text: text.to_string(),
    };
    let mut skipped = Default::default();
    let _ = cloudcost::catalog::feeds::parse(&input, &mut skipped);
    let _ = cloudcost::catalog::feeds::build(std::slice::from_ref(&input), catalog());
});
