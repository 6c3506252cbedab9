//! Rendering `--compare-pricing`.

use std::fmt::Write;

use serde_json::{Value, json};

use super::{Format, LEGEND, mark, md, new_table, qty};
use crate::money::Currency;
use crate::quote::{Comparison, PricingOption};

/// Renders the comparisons in a format.
pub fn render(currency: &Currency, cmps: &[Comparison], format: Format) -> String {
    match format {
        Format::Json => {
            serde_json::to_string_pretty(&json_value(currency, cmps)).unwrap_or_default() + "\n"
        }
        Format::Table => text(currency, cmps, false),
        Format::Markdown => text(currency, cmps, true),
        Format::Csv => csv(currency, cmps),
    }
}

fn money(c: &Currency, m: Option<crate::Money>) -> String {
    m.map(|m| c.format(m)).unwrap_or_else(|| "-".into())
}

fn hourly(c: &Currency, o: &PricingOption) -> String {
    o.effective_hourly
        .map(|h| {
            format!(
                "{}{}",
                (h * c.fx_rate).round_dp(6).normalize(),
                o.confidence.map(mark).unwrap_or("")
            )
        })
        .unwrap_or_else(|| "-".into())
}

/// The JSON document: `currency` and `comparisons`.
pub fn json_value(c: &Currency, cmps: &[Comparison]) -> Value {
    let dec = |m: Option<crate::Money>| {
        m.map(|m| Value::String(c.decimal(m).to_string()))
            .unwrap_or(Value::Null)
    };
    json!({
        "currency": c.code,
        "comparisons": cmps.iter().map(|cmp| json!({
            "resource": cmp.resource,
            "region": cmp.region,
            "instance_type": cmp.instance_type,
            "os": cmp.os.to_string(),
            "count": cmp.count,
            "hours": cmp.hours.normalize().to_string(),
            "cheapest": cmp.cheapest,
            "options": cmp.options.iter().map(|o| json!({
                "option": o.option,
                "monthly": dec(o.monthly),
                "upfront": dec(o.upfront),
                "effective_hourly": o.effective_hourly.map(|h| (h * c.fx_rate).normalize().to_string()),
                "break_even_month": o.break_even_month,
                "interruption_band": o.interruption_band,
                "confidence": o.confidence.map(|x| x.to_string()),
                "missing": o.missing,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn text(c: &Currency, cmps: &[Comparison], markdown: bool) -> String {
    let mut out = String::new();
    for cmp in cmps {
        let head = format!(
            "{}: {} × {} ({}) in {}, {} h/month each. Cheapest: {}",
            cmp.resource,
            cmp.count,
            cmp.instance_type,
            cmp.os,
            cmp.region,
            qty(cmp.hours),
            cmp.cheapest.as_deref().unwrap_or("none priced")
        );
        if markdown {
            writeln!(out, "### {}\n", md(&head)).ok();
            out.push_str("| Option | Monthly | Upfront | Effective per hour | Break-even | Interruption | Missing |\n|---|--:|--:|--:|---|---|---|\n");
            for o in &cmp.options {
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    md(&o.option),
                    money(c, o.monthly),
                    money(c, o.upfront),
                    hourly(c, o),
                    o.break_even_month.as_deref().unwrap_or(""),
                    o.interruption_band.as_deref().unwrap_or(""),
                    md(o.missing.as_deref().unwrap_or(""))
                )
                .ok();
            }
            out.push('\n');
        } else {
            let mut t = new_table(&[
                "Option",
                "Monthly",
                "Upfront",
                "Effective per hour",
                "Break-even",
                "Interruption",
            ]);
            let mut missing = Vec::new();
            for o in &cmp.options {
                if let Some(m) = &o.missing {
                    missing.push(format!("{}: {m}", o.option));
                    t.add_row(vec![
                        o.option.clone(),
                        "missing".into(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ]);
                } else {
                    t.add_row(vec![
                        o.option.clone(),
                        money(c, o.monthly),
                        money(c, o.upfront),
                        hourly(c, o),
                        o.break_even_month.clone().unwrap_or_default(),
                        o.interruption_band.clone().unwrap_or_default(),
                    ]);
                }
            }
            writeln!(out, "{head}\n{t}").ok();
            for m in missing {
                writeln!(out, "  missing: {m}").ok();
            }
            out.push('\n');
        }
    }
    writeln!(
        out,
        "{LEGEND}. Reserved: paid for every hour of the month, upfront amortized over the term."
    )
    .ok();
    out
}

fn csv(c: &Currency, cmps: &[Comparison]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "resource",
        "instance_type",
        "region",
        "option",
        "monthly",
        "upfront",
        "effective_hourly",
        "break_even_month",
        "interruption_band",
        "confidence",
        "missing",
        "currency",
    ]);
    for cmp in cmps {
        for o in &cmp.options {
            let _ = w.write_record([
                cmp.resource.as_str(),
                &cmp.instance_type,
                &cmp.region,
                &o.option,
                &o.monthly
                    .map(|m| c.decimal(m).to_string())
                    .unwrap_or_default(),
                &o.upfront
                    .map(|m| c.decimal(m).to_string())
                    .unwrap_or_default(),
                &o.effective_hourly
                    .map(|h| (h * c.fx_rate).normalize().to_string())
                    .unwrap_or_default(),
                o.break_even_month.as_deref().unwrap_or(""),
                o.interruption_band.as_deref().unwrap_or(""),
                &o.confidence.map(|x| x.to_string()).unwrap_or_default(),
                o.missing.as_deref().unwrap_or(""),
                &c.code,
            ]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
