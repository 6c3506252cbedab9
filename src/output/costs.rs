//! A billing file's cost in one of its own views (`usage::costs`), by the dimensions asked:
//! the invoice's figures, with cloudcost's re-pricing beside them (its reconciliation per
//! service). CSV is one row per combination of the dimensions: a showback file.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::Format;
use super::bill::BillView;
use crate::money::Money;
use crate::usage::costs::{CostTable, Dimension};

/// What to render: the view's table and the re-priced bill beside it.
pub struct CostsView<'a> {
    /// The view's sums.
    pub table: &'a CostTable,
    /// The file's layout as AWS names it.
    pub format: &'a str,
    /// The re-priced bill (for its reconciliation and notes).
    pub repriced: &'a BillView<'a>,
    /// How many rows of the `--by` table to show (all in JSON and CSV).
    pub top: usize,
}

/// Renders the view.
pub fn render(v: &CostsView<'_>, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(&json_value(v)).unwrap_or_default() + "\n",
        Format::Csv => csv(v),
        Format::Table => text(v, false),
        Format::Markdown => text(v, true),
    }
}

/// A dimension's value for people and files: `(untagged)` for a tag or category a row lacks,
/// `(none)` otherwise.
fn shown(d: &Dimension, v: &Option<String>) -> String {
    match (v, d) {
        (Some(v), _) => v.clone(),
        (None, Dimension::Tag(_) | Dimension::CostCategory(_)) => "(untagged)".into(),
        (None, _) => "(none)".into(),
    }
}

/// A row's dimension values, as shown.
fn keys_shown(t: &CostTable, r: &crate::usage::costs::CostRow) -> Vec<String> {
    t.dims
        .iter()
        .zip(&r.keys)
        .map(|(d, k)| shown(d, k))
        .collect()
}

/// The share of the total, as a ratio with 4 places; none when the total is not a positive
/// amount of cents (credits that cancel the charges make shares meaningless).
fn share(
    part: rust_decimal::Decimal,
    total: rust_decimal::Decimal,
) -> Option<rust_decimal::Decimal> {
    (total.round_dp(2) > rust_decimal::Decimal::ZERO).then(|| (part / total).round_dp(4))
}

/// The JSON document: the view's figures, the reconciliation, and the re-priced bill.
pub fn json_value(v: &CostsView<'_>) -> Value {
    let t = v.table;
    let c = v.repriced.currency;
    let m = |d| Value::String(c.decimal(Money::usd(d)).to_string());
    let mut out = Map::new();
    out.insert("currency".into(), json!(c.code));
    out.insert("cost_view".into(), json!(t.view.name()));
    out.insert("format".into(), json!(v.format));
    if let (Some(first), Some(last)) = (t.by_day.keys().next(), t.by_day.keys().last()) {
        out.insert(
            "period".into(),
            json!({"first_day": first.to_string(), "last_day": last.to_string()}),
        );
    }
    out.insert("total".into(), m(t.total));
    out.insert(
        "by_service".into(),
        Value::Object(
            t.by_service
                .iter()
                .map(|(s, d)| (s.clone(), m(*d)))
                .collect(),
        ),
    );
    out.insert(
        "by_day".into(),
        Value::Object(
            t.by_day
                .iter()
                .map(|(d, x)| (d.to_string(), m(*x)))
                .collect(),
        ),
    );
    if !t.dims.is_empty() {
        let rows: Vec<Value> = t
            .rows
            .iter()
            .map(|r| {
                let mut o = Map::new();
                for (d, k) in t.dims.iter().zip(&r.keys) {
                    o.insert(d.name(), k.clone().map_or(Value::Null, Value::String));
                }
                o.insert("cost".into(), m(r.cost));
                Value::Object(o)
            })
            .collect();
        out.insert(
            "by".into(),
            json!({"dimensions": t.dims.iter().map(Dimension::name).collect::<Vec<_>>(), "rows": rows}),
        );
    }
    if !t.untagged.is_empty() {
        out.insert(
            "untagged".into(),
            Value::Object(
                t.untagged
                    .iter()
                    .map(|(d, x)| {
                        (
                            d.name(),
                            json!({"cost": m(*x), "share": share(*x, t.total).map(|s| s.to_string())}),
                        )
                    })
                    .collect(),
            ),
        );
    }
    let repriced = super::bill::json_value(v.repriced);
    // What reading the file gave (rows read, priced, carried, rejected) is the same in every
    // view; the reconciliation is the re-priced bill's against the file's.
    for k in [
        "rows",
        "rejected_by_reason",
        "reconciliation",
        "billed_total",
        "notes",
    ] {
        if let Some(x) = repriced.get(k) {
            out.insert(k.into(), x.clone());
        }
    }
    out.insert("repriced".into(), repriced);
    Value::Object(out)
}

fn csv(v: &CostsView<'_>) -> String {
    let t = v.table;
    let c = v.repriced.currency;
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = t.dims.iter().map(Dimension::name).collect();
    if header.is_empty() {
        header.push("service".into());
    }
    header.extend(["cost".to_string(), "currency".into(), "cost_view".into()]);
    let _ = w.write_record(&header);
    let amount = |d| c.decimal(Money::usd(d)).to_string();
    if t.dims.is_empty() {
        for (s, d) in &t.by_service {
            let _ = w.write_record([s.as_str(), &amount(*d), &c.code, t.view.name()]);
        }
    } else {
        for r in &t.rows {
            let mut rec = keys_shown(t, r);
            rec.extend([amount(r.cost), c.code.clone(), t.view.name().into()]);
            let _ = w.write_record(&rec);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn text(v: &CostsView<'_>, markdown: bool) -> String {
    let t = v.table;
    let c = v.repriced.currency;
    let f = |d| c.format(Money::usd(d));
    let mut out = String::new();
    let period = match (t.by_day.keys().next(), t.by_day.keys().last()) {
        (Some(a), Some(b)) => format!(" ({a} to {b})"),
        _ => String::new(),
    };
    let heading = format!(
        "Bill for {} ({}){period}, cost view: {}",
        v.repriced.file,
        v.format,
        t.view.name()
    );
    if markdown {
        writeln!(out, "## {}\n", super::md(&heading)).ok();
    } else {
        writeln!(out, "{heading}\n").ok();
    }
    let mut section = |title: &str, header: &[String], rows: Vec<Vec<String>>| {
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        super::section(&mut out, markdown, title, &header, rows)
    };
    // Rounded half up to a tenth (formatting alone would cut the digits off).
    let pct = |d| match share(d, t.total) {
        Some(s) => format!(
            "{:.1}%",
            crate::money::round_half_up(s * rust_decimal::Decimal::from(100), 1)
        ),
        None => "-".to_string(),
    };
    section(
        "By service (as the invoice names it)",
        &["service".into(), t.view.name().into(), "share".into()],
        t.by_service
            .iter()
            .map(|(s, d)| vec![s.clone(), f(*d), pct(*d)])
            .collect(),
    );
    if !t.dims.is_empty() {
        let mut header: Vec<String> = t.dims.iter().map(Dimension::name).collect();
        header.extend([t.view.name().into(), "share".into()]);
        let shown_rows = t.rows.len().min(v.top.max(1));
        let title = if shown_rows < t.rows.len() {
            format!(
                "By {} (top {shown_rows} of {}; all with --format csv)",
                t.dims
                    .iter()
                    .map(Dimension::name)
                    .collect::<Vec<_>>()
                    .join(", "),
                t.rows.len()
            )
        } else {
            format!(
                "By {}",
                t.dims
                    .iter()
                    .map(Dimension::name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        section(
            &title,
            &header,
            t.rows
                .iter()
                .take(shown_rows)
                .map(|r| {
                    let mut row = keys_shown(t, r);
                    row.extend([f(r.cost), pct(r.cost)]);
                    row
                })
                .collect(),
        );
    }
    for (d, x) in &t.untagged {
        let part = match share(*x, t.total) {
            Some(_) => format!("{} of spend", pct(*x)),
            None => "Spend".to_string(),
        };
        writeln!(
            out,
            "{part} ({}) has no {}",
            f(*x),
            match d {
                Dimension::Tag(k) => format!("tag `{k}`"),
                Dimension::CostCategory(k) => format!("cost category `{k}`"),
                other => other.name(),
            }
        )
        .ok();
    }
    let sums = v.repriced.sums.map_or_else(
        || std::borrow::Cow::Owned(crate::bill::Summary::of(v.repriced.bill)),
        std::borrow::Cow::Borrowed,
    );
    writeln!(
        out,
        "Re-priced by cloudcost: {} (its catalog's price of what it prices, the rest as billed; per service: --cost repriced)",
        c.format(sums.total)
    )
    .ok();
    for n in &v.repriced.bill.notes {
        writeln!(out, "note: {n}").ok();
    }
    writeln!(out, "TOTAL ({}) {}", t.view.name(), f(t.total)).ok();
    out
}
