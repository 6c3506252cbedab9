//! All integration tests, in one binary (one link step).

mod alarms;
mod cli;
mod estimate;
mod feeds;
mod golden;
mod network;
mod pricing_update;
mod properties;
mod realdata;
mod recommend;
mod report;
mod rightsizing;
mod simulate;
mod worked_examples;

use cloudcost::catalog::Catalog;
use cloudcost::quote::{Plan, Quote, build_quote};

/// The embedded catalog, loaded once for all tests.
pub fn catalog() -> &'static Catalog {
    static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| Catalog::embedded().expect("embedded catalog loads"))
}

/// Prices a plan given as text.
pub fn quote(plan: &str) -> Quote {
    let p = Plan::parse("plan.toml", plan).unwrap_or_else(|e| panic!("{e}"));
    build_quote(catalog(), &p).unwrap_or_else(|e| panic!("{e}"))
}

/// The cost of the lines whose component starts with `prefix`, rounded to cents, as text.
pub fn cents_of(q: &Quote, prefix: &str) -> String {
    let m: cloudcost::Money = q
        .lines
        .iter()
        .filter(|l| l.component.starts_with(prefix))
        .map(|l| l.cost)
        .sum();
    m.cents().to_string()
}

/// Runs the `cloudcost` binary with `args` (no catalog override from the environment, and no
/// updated user catalog: the machine's own `~/.local/share/cloudcost/pricing` is not read).
pub fn cloudcost(args: &[&str]) -> std::process::Output {
    cloudcost_cmd().args(args).output().expect("runs cloudcost")
}

/// The `cloudcost` command with the built-in catalog only (see [`cloudcost`]), to add to.
pub fn cloudcost_cmd() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_cloudcost"));
    c.env_remove("CLOUDCOST_PRICING_DATA")
        .env_remove("CLOUDCOST_PRICING_URL")
        .env("CLOUDCOST_CATALOG_DIR", NO_USER_CATALOG);
    c
}

/// A user catalog directory that does not exist.
const NO_USER_CATALOG: &str = concat!(env!("CARGO_TARGET_TMPDIR"), "/no-user-catalog");

/// The built-in catalog exported to `dir/pd`, less the feeds' file of Seoul's reserved prices:
/// Seoul then has on-demand prices and no reserved ones, as a region whose RIs no source gives.
pub fn catalog_without_seoul_reserved(dir: &std::path::Path) -> std::path::PathBuf {
    let data = dir.join("pd");
    assert!(
        cloudcost(&["pricing", "export", "--out", data.to_str().unwrap()])
            .status
            .success()
    );
    std::fs::remove_file(data.join("aws/feeds/ec2-reserved-feeds-ap-northeast-2.csv")).unwrap();
    data
}

/// A catalog directory (under `dir`) holding the built-in catalog plus the Savings Plans rates of
/// the test offer file (synthetic rates: m5.large compute 1yr no-upfront, us-east-1 0.060 and
/// Seoul 0.083), less Seoul's reserved prices.
pub fn catalog_with_test_savings_plans(dir: &std::path::Path) -> std::path::PathBuf {
    let data = catalog_without_seoul_reserved(dir);
    let sp = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/offers/savings_plan_offer_2026.json"
    );
    assert!(
        cloudcost(&[
            "pricing",
            "import",
            sp,
            "--out",
            data.join("aws").to_str().unwrap()
        ])
        .status
        .success()
    );
    data
}
