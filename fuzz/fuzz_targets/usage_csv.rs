//! CSV bytes as a usage file: layout detection (this project's format, CUR 1.0/2.0, FOCUS) and
//! the reader, through a file as `estimate` reads it.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

mod common;
use common::catalog;

fn path() -> &'static std::path::Path {
    static P: OnceLock<std::path::PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        std::env::temp_dir().join(format!("cloudcost-fuzz-{}.csv", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    if std::fs::write(path(), data).is_err() {
        return;
    }
    let opts = cloudcost::usage::ReadOptions {
        hourly_ec2: data.first().is_some_and(|b| b & 1 == 1),
        rejects_path: None,
    };
    if let Ok(read) = cloudcost::usage::read_usage(path(), catalog(), &opts) {
        let _ = cloudcost::bill::price_usage(catalog(), &read);
    }
});
