//! Rendering a [`Bill`].

use std::fmt::Write;

use serde_json::{Map, Value, json};

use super::{Format, md, new_table, qty};
use std::collections::BTreeMap;

use crate::bill::{Bill, Summary};
use crate::money::{Currency, Money};

/// Dimensions for `--by`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// By service.
    Service,
    /// By resource.
    Resource,
    /// By UTC day.
    Day,
    /// By pricing model.
    PricingModel,
    /// By region.
    Region,
    /// By the account each resource belongs to (`Bill::attribution`).
    Account,
    /// By the value of a tag key of each resource (`Bill::attribution`).
    Tag(String),
}

/// The re-priced bill's dimensions of `--by`; an error names one it does not sum by.
pub fn dimensions(by: &[crate::usage::costs::Dimension]) -> Result<Vec<Dimension>, crate::Error> {
    use crate::usage::costs::Dimension as D;
    by.iter()
        .map(|d| match d {
            D::Service => Ok(Dimension::Service),
            D::Resource => Ok(Dimension::Resource),
            D::Day => Ok(Dimension::Day),
            D::PricingModel => Ok(Dimension::PricingModel),
            D::Region => Ok(Dimension::Region),
            D::Account => Ok(Dimension::Account),
            D::Tag(k) => Ok(Dimension::Tag(k.clone())),
            other => Err(crate::Error::Request(format!(
                "--by {}: the re-priced view sums by service, resource, day, pricing-model, region, account and tag:KEY; a billing file's own views (--cost unblended, amortized...) sum by {} too",
                other.name(),
                other.name()
            ))),
        })
        .collect()
}

/// What to render.
pub struct BillView<'a> {
    /// The bill.
    pub bill: &'a Bill,
    /// The bill's sums, when the bill was summed without keeping its rows
    /// ([`crate::bill::price_summed`]: not for the CSV format, which lists the rows); `None`:
    /// summed from the bill's rows.
    pub sums: Option<&'a Summary>,
    /// The file it came from.
    pub file: &'a str,
    /// Display currency.
    pub currency: &'a Currency,
    /// Extra breakdowns asked for with `--by`.
    pub by: &'a [Dimension],
    /// How many resources to list in the table.
    pub top: usize,
    /// Where the rejected rows were written (`--rejects`), if asked.
    pub rejects: Option<&'a std::path::Path>,
}

impl BillView<'_> {
    /// The bill's sums: those given, else the rows'.
    fn sums(&self) -> std::borrow::Cow<'_, Summary> {
        match self.sums {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => std::borrow::Cow::Owned(Summary::of(self.bill)),
        }
    }
}

/// Renders a bill.
pub fn render(v: &BillView<'_>, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(&json_value(v)).unwrap_or_default() + "\n",
        Format::Table => text(v, false),
        Format::Markdown => text(v, true),
        Format::Csv => csv(v),
    }
}

fn group(s: &Summary, d: &Dimension, b: &Bill) -> Vec<(String, Money)> {
    let owned = |m: &BTreeMap<String, Money>| m.iter().map(|(k, v)| (k.clone(), *v)).collect();
    // Accounts and tags are the resources': summed over the resources' costs.
    let by_resource = |key: &dyn Fn(&str) -> Option<String>, missing: &str| {
        let mut m: BTreeMap<String, Money> = BTreeMap::new();
        for (r, _, cost) in &s.by_resource {
            *m.entry(key(r).unwrap_or_else(|| missing.into()))
                .or_insert(Money::ZERO) += *cost;
        }
        m.into_iter().collect()
    };
    match d {
        Dimension::Account => {
            by_resource(&|r| b.attribution.account(r).map(str::to_string), "(none)")
        }
        Dimension::Tag(k) => by_resource(
            &|r| b.attribution.tag_value(r, k).map(str::to_string),
            "(untagged)",
        ),
        Dimension::Service => owned(&s.by_service),
        Dimension::Day => s.by_day.iter().map(|(d, m)| (d.to_string(), *m)).collect(),
        Dimension::PricingModel => owned(&s.by_pricing_model),
        Dimension::Region => owned(&s.by_region),
        Dimension::Resource => s
            .by_resource
            .iter()
            .map(|(r, _, m)| (r.clone(), *m))
            .collect(),
    }
}

fn dim_name(d: &Dimension) -> String {
    match d {
        Dimension::Service => "service".into(),
        Dimension::Resource => "resource".into(),
        Dimension::Day => "day".into(),
        Dimension::PricingModel => "pricing_model".into(),
        Dimension::Region => "region".into(),
        Dimension::Account => "account".into(),
        Dimension::Tag(k) => format!("tag:{k}"),
    }
}

/// The JSON document; `currency` and `total` as in `quote`.
pub fn json_value(v: &BillView<'_>) -> Value {
    let c = v.currency;
    let b = v.bill;
    let money = |m: Money| Value::String(c.decimal(m).to_string());
    let obj = |pairs: Vec<(String, Money)>| {
        Value::Object(
            pairs
                .into_iter()
                .map(|(k, m)| (k, money(m)))
                .collect::<Map<_, _>>(),
        )
    };
    let sums = v.sums();
    let mut out = Map::new();
    out.insert("currency".into(), json!(c.code));
    out.insert("total".into(), money(sums.total));
    out.insert(
        "on_demand_equivalent".into(),
        money(sums.on_demand_equivalent),
    );
    out.insert(
        "savings".into(),
        money(sums.on_demand_equivalent - sums.total),
    );
    out.insert("format".into(), json!(b.format));
    if let Some((first, last)) = sums.period {
        out.insert(
            "period".into(),
            json!({"first_day": first.to_string(), "last_day": last.to_string()}),
        );
    }
    out.insert(
        "by_service".into(),
        obj(group(&sums, &Dimension::Service, b)),
    );
    out.insert(
        "by_pricing_model".into(),
        obj(group(&sums, &Dimension::PricingModel, b)),
    );
    out.insert("by_day".into(), obj(group(&sums, &Dimension::Day, b)));
    // A big bill has tens of thousands of resources: their objects are made on all threads.
    use rayon::prelude::*;
    out.insert(
        "by_resource".into(),
        Value::Array(
            sums.by_resource
                .par_iter()
                .map(|(r, s, m)| json!({"resource": r, "service": s, "cost": money(*m)}))
                .collect(),
        ),
    );
    for d in v.by {
        if matches!(
            d,
            Dimension::Region | Dimension::Account | Dimension::Tag(_)
        ) {
            out.insert(format!("by_{}", dim_name(d)), obj(group(&sums, d, b)));
        }
    }
    out.insert(
        "lines".into(),
        Value::Array(
            sums.lines
                .iter()
                .map(|l| json!({"service": l.service, "component": l.component, "pricing_model": l.model.as_str(), "quantity": l.quantity.normalize().to_string(), "unit": l.unit, "cost": money(l.cost), "on_demand_equivalent": money(l.on_demand_equivalent)}))
                .collect(),
        ),
    );
    out.insert(
        "rows".into(),
        json!({"read": b.rows_read, "priced": b.rows_priced, "carried": b.rows_carried, "rejected": b.rows_rejected(), "charges": b.rows_charges}),
    );
    if let Some(billed) = &b.billed {
        out.insert("billed_total".into(), money(billed.total()));
        let ours = &sums.by_service;
        let theirs = billed.by_service();
        let mut services: Vec<String> = ours.keys().cloned().collect();
        for k in theirs.keys() {
            if !services.contains(k) {
                services.push(k.clone());
            }
        }
        services.sort();
        let rec: Map<String, Value> = services
            .into_iter()
            .map(|svc| {
                let o = ours.get(&svc).copied().unwrap_or(Money::ZERO);
                let bl = theirs.get(&svc).copied().unwrap_or(Money::ZERO);
                (
                    svc,
                    json!({"total": money(o), "billed": money(bl), "difference": money(o - bl)}),
                )
            })
            .collect();
        out.insert("reconciliation".into(), Value::Object(rec));
        out.insert("billed_not_priced".into(), money(billed.rejected));
        out.insert(
            "carried".into(),
            Value::Object(
                billed
                    .carried_by_service
                    .iter()
                    .map(|(k, m)| (k.clone(), money(*m)))
                    .collect(),
            ),
        );
        out.insert(
            "charges".into(),
            Value::Array(
                billed
                    .charges
                    .iter()
                    .map(|(k, (m, n))| json!({"line_item_type": k, "billed": money(*m), "rows": n}))
                    .collect(),
            ),
        );
    }
    out.insert(
        "commitments".into(),
        Value::Array(
            b.commitments
                .iter()
                .map(|u| json!({"id": u.id, "kind": u.kind, "description": u.description, "hours": u.hours.normalize().to_string(), "fee": money(u.fee), "used": money(u.used), "unused": money(u.fee - u.used), "utilization": u.utilization.round_dp(4).normalize().to_string()}))
                .collect(),
        ),
    );
    if let Some(cov) = &b.coverage {
        let pct = |x: rust_decimal::Decimal| {
            if cov.eligible_hours.is_zero() {
                "0".to_string()
            } else {
                (x / cov.eligible_hours).round_dp(4).normalize().to_string()
            }
        };
        out.insert(
            "coverage".into(),
            json!({"eligible_hours": cov.eligible_hours.round_dp(6).normalize().to_string(), "reserved": pct(cov.reserved_hours), "savings_plan": pct(cov.savings_plan_hours)}),
        );
    }
    out.insert("notes".into(), json!(b.notes));
    out.insert(
        "rejected_by_reason".into(),
        Value::Object(
            b.rejected
                .iter()
                .map(|(k, n)| (k.clone(), json!(n)))
                .collect(),
        ),
    );
    Value::Object(out)
}

fn text(v: &BillView<'_>, markdown: bool) -> String {
    let c = v.currency;
    let b = v.bill;
    let sums = v.sums();
    let mut out = String::new();
    let period = sums
        .period
        .map(|(f, l)| format!(" ({f} to {l})"))
        .unwrap_or_default();
    let charges = if b.rows_charges > 0 {
        format!(", {} not usage (charges)", b.rows_charges)
    } else {
        String::new()
    };
    let carried = if b.rows_carried > 0 {
        format!(", {} carried as billed", b.rows_carried)
    } else {
        String::new()
    };
    let heading = format!(
        "Bill for {} ({}){period}: {} rows read, {} priced{carried}, {} rejected{charges}",
        v.file,
        b.format,
        b.rows_read,
        b.rows_priced,
        b.rows_rejected()
    );
    if markdown {
        writeln!(out, "## {}\n", md(&heading)).ok();
    } else {
        writeln!(out, "{heading}\n").ok();
    }
    let mut section = |title: &str, header: &[&str], rows: Vec<Vec<String>>| {
        super::section(&mut out, markdown, title, header, rows)
    };
    let lines: Vec<Vec<String>> = sums
        .lines
        .iter()
        .map(|l| {
            vec![
                l.service.clone(),
                l.component.clone(),
                l.model.as_str().into(),
                qty(l.quantity),
                l.unit.clone(),
                c.format(l.cost),
            ]
        })
        .collect();
    section(
        "Line items",
        &[
            "Service",
            "Component",
            "Pricing",
            "Quantity",
            "Unit",
            "Cost",
        ],
        lines,
    );
    let mut dims = vec![Dimension::Service, Dimension::PricingModel];
    for d in v.by {
        if !dims.contains(d) && *d != Dimension::Resource {
            dims.push(d.clone());
        }
    }
    for d in &dims {
        let rows = group(&sums, d, b)
            .into_iter()
            .map(|(k, m)| vec![k, c.format(m)])
            .collect();
        let name = dim_name(d);
        section(
            &format!("By {}", name.replace('_', " ")),
            &[name.as_str(), "cost"],
            rows,
        );
    }
    let n = sums.by_resource.len();
    let res: Vec<Vec<String>> = sums
        .by_resource
        .iter()
        .take(v.top)
        .map(|(r, s, m)| vec![r.clone(), s.clone(), c.format(*m)])
        .collect();
    section(
        &format!("Top resources ({} of {n})", res.len()),
        &["resource", "service", "cost"],
        res,
    );
    if !b.commitments.is_empty() {
        let rows = b
            .commitments
            .iter()
            .map(|u| {
                vec![
                    u.id.clone(),
                    u.description.clone(),
                    qty(u.hours),
                    c.format(u.fee),
                    c.format(u.used),
                    c.format(u.fee - u.used),
                    format!(
                        "{}%",
                        (u.utilization * rust_decimal::Decimal::ONE_HUNDRED).round_dp(1)
                    ),
                ]
            })
            .collect();
        section(
            "Commitments",
            &[
                "id",
                "commitment",
                "hours",
                "fee",
                "used",
                "unused",
                "utilization",
            ],
            rows,
        );
    }
    if let Some(cov) = &b.coverage {
        let pct = |x: rust_decimal::Decimal| {
            if cov.eligible_hours.is_zero() {
                "0%".to_string()
            } else {
                format!(
                    "{}%",
                    (x / cov.eligible_hours * rust_decimal::Decimal::ONE_HUNDRED).round_dp(1)
                )
            }
        };
        writeln!(
            out,
            "Coverage of {} eligible instance-hours: reserved {}, savings plans {}\n",
            qty(cov.eligible_hours),
            pct(cov.reserved_hours),
            pct(cov.savings_plan_hours)
        )
        .ok();
    }
    let (od, total) = (sums.on_demand_equivalent, sums.total);
    let model_sum = |m: crate::bill::PricingModel| {
        sums.by_pricing_model
            .get(m.as_str())
            .copied()
            .unwrap_or(Money::ZERO)
    };
    let as_billed = [
        model_sum(crate::bill::PricingModel::Carried),
        model_sum(crate::bill::PricingModel::Charge)
            + model_sum(crate::bill::PricingModel::PeriodCharge),
    ];
    if b.billed.is_some() {
        writeln!(
            out,
            "TOTAL {}   (re-priced {}, usage as billed {}, charges {}; on-demand equivalent {}, saved {})",
            c.format(total),
            c.format(total - as_billed[0] - as_billed[1]),
            c.format(as_billed[0]),
            c.format(as_billed[1]),
            c.format(od),
            c.format(od - total)
        )
        .ok();
    } else {
        writeln!(
            out,
            "TOTAL {}   (on-demand equivalent {}, saved {})",
            c.format(total),
            c.format(od),
            c.format(od - total)
        )
        .ok();
    }
    if let Some(billed) = &b.billed {
        let ours = &sums.by_service;
        let theirs = billed.by_service();
        let mut t = new_table(&[
            "service",
            "this bill",
            "billed in the file",
            "difference",
            "",
        ]);
        let mut services: Vec<&String> = ours.keys().chain(theirs.keys()).collect();
        services.sort();
        services.dedup();
        for svc in services {
            let o = ours.get(svc).copied().unwrap_or(Money::ZERO);
            let bl = theirs.get(svc).copied().unwrap_or(Money::ZERO);
            let how = match (
                billed.priced_by_service.contains_key(svc),
                billed.carried_by_service.contains_key(svc)
                    || billed.charges_by_service.contains_key(svc),
            ) {
                (true, true) => "re-priced, and as billed",
                (true, false) => "re-priced",
                _ => "as billed",
            };
            t.add_row(vec![
                svc.clone(),
                c.format(o),
                c.format(bl),
                c.format(o - bl),
                how.to_string(),
            ]);
        }
        writeln!(
            out,
            "\nReconciliation with the file's own costs (re-priced: cloudcost's price of the usage; as billed: usage cloudcost does not price, and charges, taken at the file's cost)\n{t}"
        )
        .ok();
        if !billed.rejected.amount().is_zero() {
            writeln!(
                out,
                "Billed for rows rejected as malformed (not in this bill): {}",
                c.format(billed.rejected)
            )
            .ok();
        }
        for (lt, (m, n)) in &billed.charges {
            writeln!(
                out,
                "Not usage, taken as billed: {lt}: {} ({n} rows)",
                c.format(*m)
            )
            .ok();
        }
        if !b.commitments.is_empty() {
            writeln!(
                out,
                "The reserved instances' and savings plans' fees are under ec2, in full (upfront \
                 fees spread over the term), where the file bills their recurring fees: the \
                 difference in ec2 includes the upfront fees' share of the period."
            )
            .ok();
        }
        writeln!(out, "BILLED TOTAL {}", c.format(billed.total())).ok();
    }
    if b.rows_rejected() > 0 {
        writeln!(
            out,
            "\n{} row(s) rejected and not priced:",
            b.rows_rejected()
        )
        .ok();
        for (reason, n) in &b.rejected {
            writeln!(out, "  {n:>8}  {reason}").ok();
        }
        match v.rejects {
            Some(path) => writeln!(
                out,
                "(written to {}; stop at the first with --strict)",
                path.display()
            ),
            None => writeln!(
                out,
                "(write them out with --rejects FILE; stop at the first with --strict)"
            ),
        }
        .ok();
    }
    for n in &b.notes {
        writeln!(out, "note: {n}").ok();
    }
    out
}

fn csv(v: &BillView<'_>) -> String {
    debug_assert!(
        v.sums.is_none(),
        "the CSV lists the rows: a summed bill has none"
    );
    let c = v.currency;
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "day",
        "service",
        "region",
        "resource_id",
        "usage_type",
        "component",
        "pricing_model",
        "quantity",
        "unit",
        "cost",
        "on_demand_equivalent",
        "currency",
    ]);
    for r in &v.bill.rows {
        let _ = w.write_record([
            r.day.to_string().as_str(),
            &r.service,
            &r.region,
            &r.resource_id,
            &r.usage_type,
            &r.component,
            r.model.as_str(),
            &r.quantity.normalize().to_string(),
            &r.unit,
            &c.decimal(r.cost).to_string(),
            &c.decimal(r.on_demand_equivalent).to_string(),
            &c.code,
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
