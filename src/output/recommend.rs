//! Rendering a recommendations [`Report`].

use std::fmt::Write;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Format, md, new_table};
use crate::money::{Currency, Money};
use crate::savings::Report;

/// Renders the report.
pub fn render(r: &Report, c: &Currency, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(&json_value(r, c)).unwrap_or_default() + "\n",
        Format::Table => text(r, c, false),
        Format::Markdown => text(r, c, true),
        Format::Csv => csv(r, c),
    }
}

fn m(c: &Currency, d: Decimal) -> String {
    c.format(Money::usd(d))
}

fn dec(c: &Currency, d: Decimal) -> Value {
    Value::String(c.decimal(Money::usd(d)).to_string())
}

/// The JSON document.
pub fn json_value(r: &Report, c: &Currency) -> Value {
    json!({
        "currency": c.code,
        "total_monthly_saving": dec(c, r.total_monthly_saving()),
        "savings_count": r.savings().count(),
        "opportunities": r.opportunities.iter().map(|o| json!({
            "kind": o.kind.as_str(),
            "resource": o.resource_id,
            "region": o.region,
            "action": o.action,
            "current_monthly": dec(c, o.current_monthly),
            "proposed_monthly": dec(c, o.proposed_monthly),
            "monthly_saving": dec(c, o.monthly_saving),
            "detail": o.detail,
        })).collect::<Vec<_>>(),
        "instances": r.instances.iter().map(|i| {
            let mut v = json!({
            "resource": i.resource_id,
            "region": i.region,
            "instance_type": i.instance_type,
            "finding": i.finding,
            "reasons": i.reasons,
            "cpu_pct": (i.cpu_pct * 10.0).round() / 10.0,
            "mem_pct": i.mem_pct.map(|x| (x * 10.0).round() / 10.0),
            "current_monthly": dec(c, i.current_monthly),
            "options": i.options.iter().map(|o| json!({
                "instance_type": o.instance_type,
                "projected_cpu_pct": (o.projected_cpu_pct * 10.0).round() / 10.0,
                "projected_mem_pct": o.projected_mem_pct.map(|x| (x * 10.0).round() / 10.0),
                "performance_risk": o.performance_risk,
                "migration": o.migration,
                "monthly_cost": dec(c, o.monthly_cost),
                "monthly_saving": dec(c, o.monthly_saving),
                "note": o.note,
            })).collect::<Vec<_>>(),
            });
            // Only when a Compute Optimizer export was read: its verdict beside ours.
            if let (Some(co), Some(obj)) = (&i.compute_optimizer, v.as_object_mut()) {
                obj.insert("compute_optimizer".into(), json!({
                    "finding": co.finding,
                    "recommended_type": co.recommended_type,
                    "agrees": co.agrees,
                }));
            }
            v
        }).collect::<Vec<_>>(),
        "notes": r.notes,
    })
}

fn text(r: &Report, c: &Currency, markdown: bool) -> String {
    let mut out = String::new();
    let header = [
        "#",
        "Kind",
        "Resource",
        "Action",
        "Now",
        "After",
        "Monthly saving",
    ];
    let rows: Vec<Vec<String>> = r
        .opportunities
        .iter()
        .enumerate()
        .map(|(i, o)| {
            vec![
                (i + 1).to_string(),
                o.kind.as_str().into(),
                o.resource_id.clone(),
                o.action.clone(),
                m(c, o.current_monthly),
                m(c, o.proposed_monthly),
                m(c, o.monthly_saving),
            ]
        })
        .collect();
    if markdown {
        writeln!(
            out,
            "## Savings opportunities\n\n| {} |\n|{}",
            header.join(" | "),
            "---|".repeat(header.len())
        )
        .ok();
        for row in &rows {
            writeln!(
                out,
                "| {} |",
                row.iter().map(|x| md(x)).collect::<Vec<_>>().join(" | ")
            )
            .ok();
        }
        writeln!(
            out,
            "\n**Total monthly saving: {}** ({} savings)\n",
            m(c, r.total_monthly_saving()),
            r.savings().count()
        )
        .ok();
    } else {
        let mut t = new_table(&header);
        for row in rows {
            t.add_row(row);
        }
        writeln!(out, "Savings opportunities, ranked by monthly saving (730-hour months)\n{t}\nTOTAL monthly saving {} ({} savings)\n", m(c, r.total_monthly_saving()), r.savings().count()).ok();
    }
    if !r.instances.is_empty() {
        // Compute Optimizer's verdict is a column only when its export was read.
        let with_co = r.instances.iter().any(|i| i.compute_optimizer.is_some());
        let mut header = vec![
            "Instance",
            "Type",
            "Finding",
            "Reasons",
            "CPU",
            "Memory",
            "Best option",
            "Risk",
            "Saving",
        ];
        if with_co {
            header.push("Compute Optimizer");
        }
        let rows: Vec<Vec<String>> = r
            .instances
            .iter()
            .map(|i| {
                let best = i.options.first();
                let mut row = vec![
                    i.resource_id.clone(),
                    i.instance_type.clone(),
                    i.finding.clone(),
                    i.reasons.join(", "),
                    format!("{:.1}%", i.cpu_pct),
                    i.mem_pct
                        .map(|x| format!("{x:.1}%"))
                        .unwrap_or_else(|| "-".into()),
                    best.map(|o| {
                        format!(
                            "{}{}",
                            o.instance_type,
                            if o.migration { " (migration)" } else { "" }
                        )
                    })
                    .unwrap_or_default(),
                    best.map(|o| o.performance_risk.to_string())
                        .unwrap_or_default(),
                    best.map(|o| m(c, o.monthly_saving)).unwrap_or_default(),
                ];
                if with_co {
                    row.push(i.compute_optimizer.as_ref().map_or_else(
                        || "-".to_string(),
                        |co| {
                            format!(
                                "{}{}{}",
                                co.finding,
                                co.recommended_type
                                    .as_deref()
                                    .map(|t| format!(" → {t}"))
                                    .unwrap_or_default(),
                                if co.agrees { "" } else { " (differs)" }
                            )
                        },
                    ));
                }
                row
            })
            .collect();
        if markdown {
            writeln!(
                out,
                "## Right-sizing\n\n| {} |\n|{}",
                header.join(" | "),
                "---|".repeat(header.len())
            )
            .ok();
            for row in &rows {
                writeln!(
                    out,
                    "| {} |",
                    row.iter().map(|x| md(x)).collect::<Vec<_>>().join(" | ")
                )
                .ok();
            }
            out.push('\n');
        } else {
            let mut t = new_table(&header);
            for row in rows {
                t.add_row(row);
            }
            writeln!(out, "Right-sizing\n{t}\n").ok();
        }
    }
    for n in &r.notes {
        writeln!(out, "note: {n}").ok();
    }
    out
}

fn csv(r: &Report, c: &Currency) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "rank",
        "kind",
        "resource",
        "region",
        "action",
        "current_monthly",
        "proposed_monthly",
        "monthly_saving",
        "currency",
        "detail",
    ]);
    for (i, o) in r.opportunities.iter().enumerate() {
        let _ = w.write_record([
            (i + 1).to_string().as_str(),
            o.kind.as_str(),
            &o.resource_id,
            &o.region,
            &o.action,
            &c.decimal(Money::usd(o.current_monthly)).to_string(),
            &c.decimal(Money::usd(o.proposed_monthly)).to_string(),
            &c.decimal(Money::usd(o.monthly_saving)).to_string(),
            &c.code,
            &o.detail,
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
