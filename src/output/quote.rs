//! Rendering a [`Quote`].

use std::fmt::Write;

use serde_json::{Map, Value, json};

use super::{Format, LEGEND, mark, md, new_table, qty, unit_price};
use crate::catalog::Confidence;
use crate::quote::Quote;

/// Renders a quote in a format.
pub fn render(q: &Quote, format: Format) -> String {
    match format {
        Format::Table => table(q),
        Format::Json => serde_json::to_string_pretty(&json_value(q)).unwrap_or_default() + "\n",
        Format::Csv => csv(q),
        Format::Markdown => markdown(q),
    }
}

/// The stable JSON document: `currency`, `total`, `lines`, `by_service`, …
pub fn json_value(q: &Quote) -> Value {
    let c = &q.currency;
    let lines: Vec<Value> = q
        .lines
        .iter()
        .map(|l| {
            let mut m = Map::new();
            m.insert("resource".into(), json!(l.resource));
            m.insert("service".into(), json!(l.service));
            m.insert("component".into(), json!(l.component));
            m.insert("quantity".into(), json!(l.quantity.normalize().to_string()));
            m.insert("unit".into(), json!(l.unit));
            m.insert(
                "unit_price".into(),
                json!(unit_price(c, l.unit_price).to_string()),
            );
            m.insert("cost".into(), json!(c.decimal(l.cost).to_string()));
            m.insert("confidence".into(), json!(l.confidence.to_string()));
            if let Some(n) = &l.note {
                m.insert("note".into(), json!(n));
            }
            Value::Object(m)
        })
        .collect();
    let by_service: Map<String, Value> = q
        .by_service()
        .into_iter()
        .map(|(k, v)| (k, json!(c.decimal(v).to_string())))
        .collect();
    let by_resource: Map<String, Value> = q
        .by_resource()
        .into_iter()
        .map(|(k, v)| (k, json!(c.decimal(v).to_string())))
        .collect();
    json!({
        "currency": c.code,
        "fx_rate": c.fx_rate.normalize().to_string(),
        "total": c.decimal(q.total()).to_string(),
        "hours_per_month": q.hours_per_month.normalize().to_string(),
        "free_tier": q.free_tier,
        "lines": lines,
        "by_service": by_service,
        "by_resource": by_resource,
        "warnings": q.warnings,
    })
}

fn table(q: &Quote) -> String {
    let c = &q.currency;
    let mut t = new_table(&[
        "Resource",
        "Component",
        "Quantity",
        "Unit",
        "Unit price",
        "Monthly cost",
    ]);
    let mut notes = Vec::new();
    for (resource, subtotal) in q.by_resource() {
        let mut first = true;
        for l in q.lines.iter().filter(|l| l.resource == resource) {
            let mut component = l.component.clone();
            if let Some(n) = &l.note {
                notes.push(n.clone());
                write!(component, " [{}]", notes.len()).ok();
            }
            t.add_row(vec![
                if first {
                    resource.clone()
                } else {
                    String::new()
                },
                component,
                qty(l.quantity),
                l.unit.clone(),
                format!("{}{}", price_text(c, l.unit_price), mark(l.confidence)),
                c.format(l.cost),
            ]);
            first = false;
        }
        t.add_row(vec![
            String::new(),
            format!("{resource} subtotal"),
            String::new(),
            String::new(),
            String::new(),
            c.format(subtotal),
        ]);
    }
    let mut out = format!(
        "Quote for {} ({} hours a month{})\n\n{t}\n",
        q.file,
        q.hours_per_month.normalize(),
        if q.free_tier {
            ", free tier applied"
        } else {
            ""
        }
    );
    let mut s = new_table(&["Service", "Monthly cost"]);
    for (svc, m) in q.by_service() {
        s.add_row(vec![svc, c.format(m)]);
    }
    s.add_row(vec!["TOTAL".to_string(), c.format(q.total())]);
    writeln!(out, "\n{s}").ok();
    if c.code != "USD" {
        writeln!(
            out,
            "Converted from USD at {} {} per USD.",
            c.fx_rate.normalize(),
            c.code
        )
        .ok();
    }
    for (i, n) in notes.iter().enumerate() {
        writeln!(out, "[{}] {n}", i + 1).ok();
    }
    if q.lines
        .iter()
        .any(|l| l.confidence != Confidence::Published)
    {
        writeln!(out, "{LEGEND}").ok();
    }
    for w in &q.warnings {
        writeln!(out, "note: {w}").ok();
    }
    out
}

/// A unit price for people: published prices have at most 10 decimals and are shown whole; a
/// derived one (an amortized upfront fee) is cut to 10 decimals for reading.
fn price_text(c: &crate::money::Currency, usd: rust_decimal::Decimal) -> String {
    let p = unit_price(c, usd).round_dp(10).normalize();
    match c.code.as_str() {
        "USD" => format!("${p}"),
        code => format!("{p} {code}"),
    }
}

fn csv(q: &Quote) -> String {
    let c = &q.currency;
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "resource",
        "service",
        "component",
        "quantity",
        "unit",
        "unit_price",
        "cost",
        "currency",
        "confidence",
        "note",
    ]);
    for l in &q.lines {
        let _ = w.write_record([
            l.resource.as_str(),
            &l.service,
            &l.component,
            &l.quantity.normalize().to_string(),
            &l.unit,
            &unit_price(c, l.unit_price).to_string(),
            &c.decimal(l.cost).to_string(),
            &c.code,
            &l.confidence.to_string(),
            l.note.as_deref().unwrap_or(""),
        ]);
    }
    let _ = w.write_record([
        "TOTAL",
        "",
        "total (rounded exact sum)",
        "",
        "",
        "",
        &c.decimal(q.total()).to_string(),
        &c.code,
        "",
        "",
    ]);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn markdown(q: &Quote) -> String {
    let c = &q.currency;
    let mut out = format!(
        "## Quote: {}\n\n{} hours a month{}.\n\n",
        md(&q.file),
        q.hours_per_month.normalize(),
        if q.free_tier {
            ", free tier applied"
        } else {
            ""
        }
    );
    out.push_str("| Resource | Component | Quantity | Unit | Unit price | Monthly cost |\n|---|---|--:|---|--:|--:|\n");
    for l in &q.lines {
        let note = l
            .note
            .as_ref()
            .map(|n| format!(" ({})", md(n)))
            .unwrap_or_default();
        writeln!(
            out,
            "| {} | {}{note} | {} | {} | {}{} | {} |",
            md(&l.resource),
            md(&l.component),
            qty(l.quantity),
            md(&l.unit),
            price_text(c, l.unit_price),
            mark(l.confidence),
            c.format(l.cost)
        )
        .ok();
    }
    out.push_str("\n| Service | Monthly cost |\n|---|--:|\n");
    for (svc, m) in q.by_service() {
        writeln!(out, "| {svc} | {} |", c.format(m)).ok();
    }
    writeln!(out, "| **Total** | **{}** |", c.format(q.total())).ok();
    if q.lines
        .iter()
        .any(|l| l.confidence != Confidence::Published)
    {
        writeln!(out, "\n{LEGEND}").ok();
    }
    out
}
