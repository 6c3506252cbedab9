//! Back-test of `cloudcost alarms` on simulated months: the month-end forecast's error (MAPE)
//! on steady, growing and spiky fleets, and the anomaly detector's false-positive rate on steady
//! months and detection rate on months with an injected spike.
//!
//! ```sh
//! cargo run --example alarms_backtest            # 12 months of each shape, 200 resources
//! cargo run --example alarms_backtest -- 3 100   # 3 months, 100 resources
//! ```
//!
//! Writes a Markdown table to stdout (copied into BENCHMARKS.md).

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;

use cloudcost::alarms::{AnomalyOptions, anomaly};
use cloudcost::catalog::Catalog;
use cloudcost::forecast::{forecast_month, month_end};
use cloudcost::simulate::{Shape, SimOptions, simulate};

struct Month {
    mape_from_10: Decimal,
    max_ape_from_10: Decimal,
    anomalies: usize,
    anomalies_mad_only: usize,
    judged_days: usize,
    spike_found: Option<bool>,
}

fn run_month(
    cat: &Catalog,
    shape: Shape,
    seed: u64,
    start: NaiveDate,
    resources: usize,
) -> anyhow::Result<Month> {
    let dir = tempfile::tempdir()?;
    let end = month_end(start);
    let days = end.day();
    let opts = SimOptions {
        resources,
        days,
        seed,
        region: "us-east-1".into(),
        start,
        shape,
    };
    let sim = simulate(cat, &opts, dir.path(), false)?;
    let (_, bill) = cloudcost::analysis::price_file(cat, &dir.path().join("usage.parquet"), None)?;
    let daily: BTreeMap<NaiveDate, Decimal> = bill
        .by_day()
        .into_iter()
        .map(|(d, m)| (d, m.amount()))
        .collect();
    let total: Decimal = daily.values().sum();
    let mut errors = Vec::new();
    for d in 10..days {
        let cut = start.with_day(d).unwrap_or(start);
        let known: BTreeMap<NaiveDate, Decimal> =
            daily.range(..=cut).map(|(k, v)| (*k, *v)).collect();
        let f = forecast_month(&known, end);
        errors.push(((f.forecast - total) / total).abs() * Decimal::ONE_HUNDRED);
    }
    let found = anomaly::detect(&bill, &AnomalyOptions::default());
    // The statistical test alone: no USD or percentage floor.
    let mad_only = anomaly::detect(
        &bill,
        &AnomalyOptions {
            min_impact: Decimal::ZERO,
            min_impact_pct: Decimal::ZERO,
            ..Default::default()
        },
    );
    let groups: std::collections::BTreeSet<(&str, &str)> = bill
        .rows
        .iter()
        .map(|r| (r.service.as_str(), r.region.as_str()))
        .collect();
    let judged_days = groups.len() * (days as usize).saturating_sub(10);
    let spike_found = (!sim.spike_resources.is_empty()).then(|| {
        found
            .iter()
            .any(|a| a.day == sim.spike_day && a.service == "data_transfer")
    });
    Ok(Month {
        mape_from_10: errors.iter().sum::<Decimal>() / Decimal::from(errors.len().max(1)),
        max_ape_from_10: errors.iter().copied().max().unwrap_or_default(),
        anomalies: found.len(),
        anomalies_mad_only: mad_only.len(),
        judged_days,
        spike_found,
    })
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let months: u32 = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(12);
    let resources: usize = args.get(2).map(|a| a.parse()).transpose()?.unwrap_or(200);
    let cat = Catalog::embedded()?;
    let first = NaiveDate::from_ymd_opt(2025, 11, 1).unwrap_or_default();
    println!(
        "| fleet | months | forecast MAPE from day 10 | worst day's error | anomaly alerts (defaults) | alerts without the USD and % floors | service-days judged | false-positive rate (defaults) | injected spikes found |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (name, shape) in [
        ("steady", Shape::Steady),
        ("growing", Shape::Growing),
        ("spiky", Shape::Spiky),
        ("mixed (one spike)", Shape::Mixed),
    ] {
        let mut ms = Vec::new();
        for i in 0..months {
            let start = first + Months::new(i);
            ms.push(run_month(
                &cat,
                shape,
                100 + u64::from(i),
                start,
                resources,
            )?);
        }
        let n = Decimal::from(ms.len());
        let mape = ms.iter().map(|m| m.mape_from_10).sum::<Decimal>() / n;
        let worst = ms
            .iter()
            .map(|m| m.max_ape_from_10)
            .max()
            .unwrap_or_default();
        let alerts: usize = ms.iter().map(|m| m.anomalies).sum();
        let mad_only: usize = ms.iter().map(|m| m.anomalies_mad_only).sum();
        let judged: usize = ms.iter().map(|m| m.judged_days).sum();
        let spikes: Vec<bool> = ms.iter().filter_map(|m| m.spike_found).collect();
        let fp = if shape == Shape::Steady || shape == Shape::Growing {
            format!(
                "{}%",
                (Decimal::from(alerts) / Decimal::from(judged.max(1)) * Decimal::ONE_HUNDRED)
                    .round_dp(2)
            )
        } else {
            "—".into()
        };
        println!(
            "| {name} | {} | {}% | {}% | {alerts} | {mad_only} | {judged} | {fp} | {} |",
            ms.len(),
            mape.round_dp(2),
            worst.round_dp(2),
            if spikes.is_empty() {
                "—".to_string()
            } else {
                format!(
                    "{} of {}",
                    spikes.iter().filter(|s| **s).count(),
                    spikes.len()
                )
            }
        );
    }
    Ok(())
}
