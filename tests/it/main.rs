//! All integration tests, in one binary (one link step).

mod cli;
mod estimate;
mod golden;
mod properties;
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
