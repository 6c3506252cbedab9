//! Golden files for outputs people read: the example plan's quote as a table, JSON, CSV and
//! Markdown, its pricing comparison, and a price listing. Update with `cargo insta review`
//! (or `INSTA_UPDATE=always cargo test`) after checking the change is intended.

use cloudcost::output::{self, Format};
use cloudcost::quote::{Plan, build_quote, compare_plan};

use super::catalog;

fn example() -> Plan {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/plan.toml"))
        .unwrap();
    Plan::parse("examples/plan.toml", &text).unwrap()
}

#[test]
fn example_quote_table() {
    let q = build_quote(catalog(), &example()).unwrap();
    insta::assert_snapshot!(output::quote::render(&q, Format::Table));
}

#[test]
fn example_quote_json() {
    let q = build_quote(catalog(), &example()).unwrap();
    let text = output::quote::render(&q, Format::Json);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for key in ["currency", "total", "lines", "by_service"] {
        assert!(v.get(key).is_some(), "JSON lacks `{key}`");
    }
    for key in [
        "resource",
        "service",
        "component",
        "quantity",
        "unit",
        "unit_price",
        "cost",
    ] {
        assert!(v["lines"][0].get(key).is_some(), "line lacks `{key}`");
    }
    assert!(v["total"].is_string(), "money is a decimal string");
    insta::assert_snapshot!(text);
}

#[test]
fn example_quote_csv_and_markdown() {
    let q = build_quote(catalog(), &example()).unwrap();
    insta::assert_snapshot!("example_quote_csv", output::quote::render(&q, Format::Csv));
    insta::assert_snapshot!(
        "example_quote_markdown",
        output::quote::render(&q, Format::Markdown)
    );
}

#[test]
fn example_compare_pricing() {
    let (c, cmps) = compare_plan(catalog(), &example()).unwrap();
    insta::assert_snapshot!(output::compare::render(&c, &cmps, Format::Table));
}

#[test]
fn prices_m5_large_seoul() {
    let text = output::prices::render(
        catalog(),
        "m5.large",
        "ap-northeast-2",
        rust_decimal::Decimal::from(730),
        Format::Table,
    )
    .unwrap();
    insta::assert_snapshot!(text);
}

/// What the catalog holds and lacks per region (`cloudcost prices` with no item).
#[test]
fn prices_coverage_per_region() {
    let text = output::prices::render_coverage(catalog(), None, Format::Markdown).unwrap();
    insta::assert_snapshot!(text);
}

/// Every row of one AWS SKU: on-demand and each reserved term (`cloudcost prices --sku`).
#[test]
fn prices_by_sku() {
    let text = output::prices::render_sku(catalog(), "CRAJUW7BTXFMT2UJ", Format::Csv).unwrap();
    insta::assert_snapshot!(text);
}
