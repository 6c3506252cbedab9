//! Reading a usage file (`read_usage`): the file opened and its layout detected, its first pass
//! (`first_pass.rs`), then the per-row path for the resources that need their rows (or for the
//! whole file when it has no first pass): rows in canonical columns (`layouts.rs`), checked
//! (`checks.rs`), EC2's row-order rules applied, summed by day, resource and price key into what
//! the bill prices, beside the first pass's sums.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use compact_str::CompactString;
use polars::prelude::*;
use rust_decimal::Decimal;

use super::checks::{
    CARRY, MISSING_PRICE, PriceCheck, REASON, carry_of, checks, price_attr, price_key, reason_of,
};
use super::columns::to_decimal;
use super::columns::{HOUR_MS, ONE, SCALE, decimal_type, one_of, open, unreadable};
use super::days::{USAGE_KEY, day_of, resource_day, windows_billable};
use super::ec2_hours::HourSum;
use super::first_pass;
use super::focus;
use super::layouts::IDLE;
use super::layouts::{self, Layout};
use super::{
    BilledDay, Ec2Hour, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, ReadOptions, ResourceDay, UsageError,
    UsageKey, UsageRead, is_parquet,
};
use crate::catalog::{Catalog, Os};

/// Checks the columns of a Parquet file have types we can read.
fn check_types(schema: &Schema, file: &str) -> Result<(), UsageError> {
    for (name, dt) in schema.iter() {
        let name = name.as_str();
        let ok = match name {
            "usage_start" | "usage_end" => matches!(
                dt,
                DataType::String | DataType::Datetime(_, _) | DataType::Date
            ),
            "quantity" => {
                matches!(dt, DataType::String | DataType::Decimal(_, _))
                    || dt.is_primitive_numeric()
            }
            n if REQUIRED_COLUMNS.contains(&n) || OPTIONAL_COLUMNS.contains(&n) => {
                matches!(dt, DataType::String | DataType::Null)
            }
            _ => true,
        };
        if !ok {
            let expected = match name {
                "usage_start" | "usage_end" => "a timestamp, or RFC 3339 text",
                "quantity" => "a number or decimal text",
                _ => "text",
            };
            return Err(UsageError::Layout {
                file: file.into(),
                message: format!("column `{name}`: expected {expected}, found {dt}"),
            });
        }
    }
    Ok(())
}

const DAY_MS: i64 = 24 * HOUR_MS;
type Fast = foldhash::fast::FixedState;
const ROW: &str = "__row";
/// Whether a charge is billed once for a period longer than a day (a month's tax, a reservation's
/// monthly fee) rather than accrued day by day: forecasts and anomaly baselines leave such
/// charges out of their daily series.
pub(crate) const PERIOD: &str = "__period_charge";

/// Reads, validates and aggregates a usage file.
pub fn read_usage(
    path: &Path,
    catalog: &Catalog,
    opts: &ReadOptions,
) -> Result<UsageRead, UsageError> {
    read_usage_with(path, catalog, opts, true)
}

/// `read_usage`, with the fast path for this project's format (`first_pass.rs`) or without it (every
/// row through the per-row path: the reference the fast path is tested against).
pub(crate) fn read_usage_with(
    path: &Path,
    catalog: &Catalog,
    opts: &ReadOptions,
    fast_path: bool,
) -> Result<UsageRead, UsageError> {
    let file = path.display().to_string();
    let parquet = is_parquet(path);
    let opened = open(path)?;
    let mut lf = opened.lf.clone();
    let schema = lf.collect_schema().map_err(|e| unreadable(&file, e))?;
    let columns: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let Some(layout) = Layout::detect(&columns) else {
        return Err(UsageError::Layout {
            file,
            message: format!(
                "not a usage file this tool reads: expected this project's usage format (columns {}), an AWS Cost and Usage Report (lineItem/UsageType or line_item_usage_type) or a FOCUS export (ChargePeriodStart, BilledCost); found: {}. See docs/usage-format.md",
                REQUIRED_COLUMNS.join(", "),
                columns.join(", ")
            ),
        });
    };
    let missing: Vec<&str> = layout
        .required()
        .iter()
        .copied()
        .filter(|c| super::columns::find(&schema, &[c]).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(UsageError::Layout {
            file,
            message: format!(
                "looks like {} but lacks column(s) {}; found: {}",
                layout.name(),
                missing
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                columns.join(", ")
            ),
        });
    }
    if parquet && layout == Layout::Cloudcost {
        check_types(&schema, &file)?;
    }

    // This project's own format: aggregate first, validate after (see `first_pass.rs`). Only the
    // rows of the resources that cannot be priced from sums (a bad row, an EC2 run that may be
    // under the 60-second minimum, ...) go through the per-row path below; when there are none,
    // the per-row path reads nothing.
    // A billing file takes the same first pass, for its usage rows of resources; its EC2 hours by
    // clock hour (commitments, spot prices) are summed by the per-row path.
    let pass = match layout {
        _ if !fast_path => None,
        Layout::Cloudcost => Some(first_pass::FirstPass::own(&schema)),
        _ if opts.hourly_ec2 => None,
        billing => first_pass::FirstPass::billing(billing, &schema, catalog),
    };
    let mut fast = match &pass {
        Some(pass) => Some(first_pass::aggregate(
            Some((opened.source_path(), parquet)),
            &lf,
            &schema,
            catalog,
            &file,
            opts.hourly_ec2,
            pass,
        )?),
        None => None,
    };
    let offset = Some(if parquet { 1 } else { 2 });
    // Row numbers are counted before any row is set aside.
    let raw = lf.clone().with_row_index(ROW, offset);
    let raw = match &fast {
        None => raw,
        Some(f) => match f.slow_rows(&schema) {
            Some(slow) => raw.filter(slow),
            None => raw.limit(0),
        },
    };
    let per_row = fast.as_ref().is_none_or(|f| f.has_slow());

    // Canonical columns.
    let s = &schema;
    let classifier = super::usage_types::Classifier::new(catalog);
    let (raw, canonical) = match layout {
        Layout::Cloudcost => (raw, layouts::own_columns(s)),
        Layout::Focus => {
            // AWS rows known only by SKU and description get their usage types first.
            let raw = focus::with_usage_types(focus::without_null_text(raw, s), s, catalog, &file)?;
            let mut raw = raw;
            let s = &raw.collect_schema().map_err(|e| unreadable(&file, e))?;
            (
                layouts::with_billing_prelude(raw, layout, s, &classifier),
                layouts::billing_columns(layout, s, &classifier),
            )
        }
        other => (
            layouts::with_billing_prelude(raw, other, s, &classifier),
            layouts::billing_columns(other, s, &classifier),
        ),
    };
    let mut select = vec![col(ROW)];
    select.extend(canonical);
    let mut base = raw.select(select);
    if layout != Layout::Cloudcost {
        // Billing files count EC2 in hours (already billed per second with the minimum applied).
        base = base.with_column(
            when(col("service").eq(lit("ec2")))
                .then(col("q") * lit(3600).cast(DataType::Decimal(38, 0)))
                .otherwise(col("q"))
                .alias("q"),
        );
    }

    let svc = |name: &str| col("service").eq(lit(name));
    let checks = checks(catalog);
    let carry = carry_of(&checks).and(lit(layout != Layout::Cloudcost));
    let reason = reason_of(checks, false);
    let attr = price_attr();

    let checked = base
        .clone()
        .with_column(attr.alias("attr"))
        .with_column(reason.alias(REASON))
        .with_column(carry.alias(CARRY))
        .with_column(
            col("line_type")
                .neq(lit("usage"))
                .and(
                    (col("end").cast(DataType::Int64) - col("start").cast(DataType::Int64))
                        .gt(lit(DAY_MS)),
                )
                .fill_null(lit(false))
                .alias(PERIOD),
        )
        // Evaluated once, shared by the branches below: faster, at the price of memory on very
        // large files (see BENCHMARKS.md).
        .cache();

    // EC2 rows need their order: a run of back-to-back rows of one instance is billed at least
    // 60 seconds (Linux); Windows bills each row's started hours in full.
    let over = |e: Expr, by: &[&str]| -> Result<Expr, UsageError> {
        e.over(by.iter().map(|c| col(*c)).collect::<Vec<_>>())
            .map_err(|e| unreadable(&file, e))
    };
    let prev_end = over(col("end").shift(lit(1)), &["resource_id"])?;
    let run = over(
        col("new_run").cast(DataType::UInt32).cum_sum(false),
        &["resource_id"],
    )?;
    let run_total = over(col("q").sum(), &["resource_id", "run"])?;
    let windows_hours = windows_billable(col("q"));
    let ec2_all = checked.clone().filter(
        col(REASON)
            .is_null()
            .and(svc("ec2"))
            .and(col("line_type").eq(lit("usage"))),
    );
    // Only an instance with a row under 60 seconds can have a run under the minimum: the
    // order-dependent window runs on those instances' rows alone (on none, for whole hours).
    // After the fast path, the rows here are few and include every such instance: the window runs
    // on all of them (on an instance without a short row it bills exactly the row's quantity).
    // A billing file's EC2 usage is what AWS billed, the minimum and whole hours already
    // applied: none of it takes the window (and no pass over the file looks for short rows).
    let billed_file = layout != Layout::Cloudcost;
    let is_short = match &fast {
        _ if billed_file => lit(false),
        Some(_) => lit(true),
        None => short_instances(&base, &file)?,
    };
    let long_runs = ec2_all
        .clone()
        .filter(is_short.clone().not())
        .with_column(
            if billed_file {
                col("q")
            } else {
                when(col("os").eq(lit("windows")))
                    .then(windows_hours.clone())
                    .otherwise(col("q"))
            }
            .alias("billable"),
        )
        .select(out_columns());
    let ec2 = ec2_all
        .filter(is_short)
        .sort(["resource_id", "start"], SortMultipleOptions::default())
        .with_column(prev_end.alias("prev_end"))
        .with_column(
            col("prev_end")
                .is_null()
                .or(col("prev_end").neq(col("start")))
                .alias("new_run"),
        )
        .with_column(run.alias("run"))
        .with_column(run_total.alias("run_total"))
        .with_column(
            when(col("os").eq(lit("windows")))
                .then(windows_hours)
                .when(col("new_run").and(col("run_total").lt(lit(60))))
                .then(col("q") + (lit(60).cast(decimal_type()) - col("run_total")))
                .otherwise(col("q"))
                .alias("billable"),
        )
        .select(out_columns());
    let ec2 = concat([ec2, long_runs], UnionArgs::default()).map_err(|e| unreadable(&file, e))?;
    // gp3 includes some IOPS and throughput per volume at every moment: only what is provisioned
    // above it, row by row over the row's period, is billable.
    let period_hours = (col("end").cast(DataType::Int64) - col("start").cast(DataType::Int64))
        .cast(decimal_type())
        / lit(3_600_000i64).cast(DataType::Decimal(38, 0));
    let dec_lit = |d: rust_decimal::Decimal| lit(d.normalize().to_string()).str().to_decimal(SCALE);
    let above = |included: rust_decimal::Decimal| {
        let x = col("q") - dec_lit(included) * period_hours.clone();
        when(x.clone().lt(lit(0)))
            .then(lit(0).cast(decimal_type()))
            .otherwise(x)
    };
    let included_iops = catalog
        .fact("ebs", "us-east-1", "included-iops/gp3")
        .unwrap_or_default();
    let included_tp = catalog
        .fact("ebs", "us-east-1", "included-throughput/gp3")
        .unwrap_or_default();
    let gp3 = svc("ebs").and(col("volume_type").eq(lit("gp3")));
    let others = checked
        .clone()
        .filter(
            col(REASON)
                .is_not_null()
                .or(svc("ec2").not())
                .or(col("line_type").neq(lit("usage"))),
        )
        .with_column(
            when(
                gp3.clone()
                    .and(col("usage_type").eq(lit("volume-iops-hours"))),
            )
            .then(above(included_iops))
            .when(gp3.and(col("usage_type").eq(lit("volume-throughput-hours"))))
            .then(above(included_tp))
            .otherwise(col("q"))
            .alias("billable"),
        )
        .select(out_columns());

    let grouped = concat([ec2.clone(), others], UnionArgs::default())
        .map_err(|e| unreadable(&file, e))?
        .group_by([
            col("start").dt().truncate(lit("1d")).alias("day"),
            col("resource_id"),
            col("service"),
            col("usage_type"),
            col("region"),
            col("attr"),
            col("os"),
            col("purchase"),
            col("az"),
            col(REASON),
            col(CARRY),
            col(PERIOD),
            col(IDLE),
            col("product"),
            col("line_type"),
        ])
        .agg([
            col("q").sum().alias("q"),
            col("billable").sum().alias("billable"),
            col("billed").sum().alias("billed"),
            len().alias("rows"),
            col(ROW).min().alias("first_row"),
        ]);
    let mut out = UsageRead {
        format: layouts::format_name(layout, &schema).into(),
        has_billed: layout != Layout::Cloudcost,
        ..Default::default()
    };
    let mut first_reject: Option<(u64, String)> = None;
    let mut prices = PriceCheck::new(catalog);
    if per_row {
        // The streaming engine keeps memory bounded on big files (the EC2 window falls back to
        // in-memory for its own, smaller branch).
        let df = grouped
            .collect_with_engine(Engine::Streaming)
            .map_err(|e| unreadable(&file, e))?
            .unwrap_single();
        add_groups(&df, &mut out, &mut first_reject, &mut prices, &file)?;
    }
    if let Some(f) = &mut fast {
        // Each priced group's rows are read, and its service listed in the billed costs, as
        // `add_groups` does (summed on all threads: the days are hundreds of thousands, their
        // services a few).
        use rayon::prelude::*;
        let (rows, services) = f
            .days
            .par_iter()
            .fold(
                || (0u64, Vec::<&str>::new()),
                |(rows, mut services), d| {
                    let s = d.key.service.as_str();
                    if services.last() != Some(&s) && !services.contains(&s) {
                        services.push(s);
                    }
                    (rows + d.rows, services)
                },
            )
            .reduce(
                || (0, Vec::new()),
                |(a, mut services), (b, more)| {
                    for s in more {
                        if !services.contains(&s) {
                            services.push(s);
                        }
                    }
                    (a + b, services)
                },
            );
        out.rows_read += rows;
        for s in services {
            add_billed(&mut out, s, Decimal::ZERO);
        }
        for (s, billed) in std::mem::take(&mut f.billed) {
            add_billed(&mut out, &s, billed);
        }
        if out.days.is_empty() {
            // Most files have no per-row days: the fast path's are taken as they are, not copied.
            std::mem::swap(&mut out.days, &mut f.days);
        } else {
            out.days.append(&mut f.days);
        }
    }
    sort_days(&mut out.days);

    if let Some((row, r)) = first_reject {
        let found = found_value(&checked, row, &r, &file)?;
        out.first_reject = Some((row, r, found));
    }
    if opts.hourly_ec2 {
        let mut parts = Vec::new();
        if per_row {
            parts.push(ec2);
        }
        let mut classes = None;
        if let Some(f) = &fast {
            match first_pass::hourly_ec2(&lf, &schema, f, &file)? {
                first_pass::Ec2Hours::Rows(rows) => parts.push(*rows),
                first_pass::Ec2Hours::Classes(frame, sums) => classes = Some((frame, sums)),
            }
        }
        out.ec2_hours = hourly(
            parts,
            classes.as_ref().map(|(frame, sums)| (frame, *sums)),
            &file,
        )?;
    }
    // Hours of EC2 keys the catalog has no price for are not priced (their rows were carried or
    // rejected above).
    // Asked once per key (the key's hours share it), not per hour.
    let mut priced: HashMap<*const UsageKey, bool, Fast> = HashMap::default();
    out.ec2_hours.retain(|h| {
        *priced
            .entry(std::sync::Arc::as_ptr(&h.key))
            .or_insert_with(|| {
                let k = &h.key;
                let purchase = if k.spot { "spot" } else { "on-demand" };
                let attr = format!("{}/{}/{purchase}", k.attr, k.os);
                prices
                    .missing(&k.service, &k.region, &k.usage_type, &attr)
                    .is_none()
            })
    });
    if let Some(path) = &opts.rejects_path {
        let missing = if out.has_billed {
            Vec::new()
        } else {
            prices.missing_keys()
        };
        write_rejects(&checked, &missing, path, &file)?;
    }
    Ok(out)
}

/// Sorts resource-days by day, resource and key: a deterministic order. Each resource id is
/// ranked once and the positions sorted by (day, rank, position), so that the sort compares
/// integers instead of text scattered over memory; the few resource-days of one resource and day
/// are then sorted by key. The result is what a stable sort by (day, resource, key) gives.
fn sort_days(days: &mut [ResourceDay]) {
    // The fast path makes its days in this order: when no other path added any, they are checked
    // (on all threads).
    use rayon::prelude::*;
    if days.par_windows(2).all(|w| {
        (w[0].day, &w[0].resource_id, &w[0].key) <= (w[1].day, &w[1].resource_id, &w[1].key)
    }) {
        return;
    }
    let order: Vec<usize> = {
        let mut ids: Vec<&str> = days
            .iter()
            .map(|d| d.resource_id.as_str())
            .collect::<HashSet<_, foldhash::fast::FixedState>>()
            .into_iter()
            .collect();
        ids.sort_unstable();
        let rank: HashMap<&str, u32, foldhash::fast::FixedState> = ids
            .into_iter()
            .enumerate()
            .map(|(i, id)| (id, i as u32))
            .collect();
        let mut order: Vec<(NaiveDate, u32, usize)> = days
            .iter()
            .enumerate()
            .map(|(i, d)| (d.day, rank[d.resource_id.as_str()], i))
            .collect();
        order.sort_unstable();
        for run in order.chunk_by_mut(|a, b| (a.0, a.1) == (b.0, b.1)) {
            if run.len() > 1 {
                run.sort_by(|a, b| days[a.2].key.cmp(&days[b.2].key));
            }
        }
        order.into_iter().map(|(_, _, i)| i).collect()
    };
    permute(days, &order);
}

/// Reorders `items` in place so that position `k` holds what was at `order[k]` (`order` is a
/// permutation): each cycle of the permutation is followed with swaps, so nothing is copied out.
fn permute<T>(items: &mut [T], order: &[usize]) {
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        let mut k = start;
        while !placed[k] {
            placed[k] = true;
            let next = order[k];
            if next == start {
                break;
            }
            // Position k takes what was at `next`; what was at `start` moves on to `next`.
            items.swap(k, next);
            k = next;
        }
    }
}

/// Adds grouped usage (columns `day`, `resource_id`, `service`, `usage_type`, `region`, `attr`,
/// `os`, `purchase`, `az`, the reason, `line_type`, `q`, `billable`, `billed`, `rows`,
/// `first_row`) to what was read: priced groups as resource-days, rejected ones by reason,
/// charges by line type.
fn add_groups(
    df: &DataFrame,
    out: &mut UsageRead,
    first_reject: &mut Option<(u64, String)>,
    prices: &mut PriceCheck<'_>,
    file: &str,
) -> Result<(), UsageError> {
    let file = file.to_string();
    let n = df.height();
    if n == 0 {
        return Ok(());
    }
    let get_str = |name: &str| -> Result<Vec<Option<&str>>, UsageError> {
        let c = df.column(name).map_err(|e| unreadable(&file, e))?;
        let ca = c.str().map_err(|e| unreadable(&file, e))?;
        Ok(ca.iter().collect())
    };
    let days = df
        .column("day")
        .and_then(|c| c.cast(&DataType::Int64))
        .map_err(|e| unreadable(&file, e))?;
    let days = days.i64().map_err(|e| unreadable(&file, e))?.clone();
    let (resource, service, utype, region, attr, osc, purchase, az, reason) = (
        get_str("resource_id")?,
        get_str("service")?,
        get_str("usage_type")?,
        get_str("region")?,
        get_str("attr")?,
        get_str("os")?,
        get_str("purchase")?,
        get_str("az")?,
        get_str(REASON)?,
    );
    let line_type = get_str("line_type")?;
    let product = get_str("product")?;
    let carry = df
        .column(CARRY)
        .and_then(|c| c.bool().cloned())
        .map_err(|e| unreadable(&file, e))?;
    let period = df
        .column(PERIOD)
        .and_then(|c| c.bool().cloned())
        .map_err(|e| unreadable(&file, e))?;
    let idle = get_str(IDLE)?;
    let billed = decimals(df, "billed", &file)?;
    let q = decimals(df, "q", &file)?;
    let billable = decimals(df, "billable", &file)?;
    let rows = df
        .column("rows")
        .and_then(|c| c.cast(&DataType::UInt64))
        .map_err(|e| unreadable(&file, e))?;
    let rows = rows.u64().map_err(|e| unreadable(&file, e))?.clone();
    let first_row = df
        .column("first_row")
        .and_then(|c| c.cast(&DataType::UInt64))
        .map_err(|e| unreadable(&file, e))?;
    let first_row = first_row.u64().map_err(|e| unreadable(&file, e))?.clone();
    out.days.reserve(n);
    for i in 0..n {
        let nrows = rows.get(i).unwrap_or(0);
        out.rows_read += nrows;
        let billed_i = billed[i].unwrap_or_default();
        let lt = line_type[i].unwrap_or_default();
        let as_billed = |reason: Option<&str>| BilledDay {
            day: day_of(days.get(i)),
            product: product[i].unwrap_or("?").into(),
            region: region[i].unwrap_or_default().into(),
            resource_id: resource[i].unwrap_or_default().into(),
            usage_type: utype[i].unwrap_or_default().into(),
            line_type: lt.into(),
            reason: reason.map(Into::into),
            ec2_seconds: service[i] == Some("ec2"),
            quantity: q[i].unwrap_or_default(),
            billed: billed_i,
            rows: nrows,
            period_charge: period.get(i) == Some(true),
        };
        if lt != "usage" && days.get(i).is_none() {
            // A charge is a row of the bill, on its day: without a readable start it is
            // malformed like any row.
            let r = "column `usage_start`: expected a timestamp (a charge row has one too)";
            *out.rejected.entry(r.to_string()).or_default() += nrows;
            out.billed_rejected += billed_i;
            let fr = first_row.get(i).unwrap_or(0);
            if first_reject.as_ref().is_none_or(|(row, _)| fr < *row) {
                *first_reject = Some((fr, r.to_string()));
            }
            continue;
        }
        if lt != "usage" {
            let c = out.charges.entry(lt.to_string()).or_default();
            c.0 += billed_i;
            c.1 += nrows;
            out.billed_days.push(as_billed(None));
            continue;
        }
        // The last test: the catalog's price of the group's key (a key test, so a billing
        // file carries the rows).
        let missing = match reason[i] {
            Some(_) => None,
            None => prices.missing(
                service[i].unwrap_or_default(),
                region[i].unwrap_or_default(),
                utype[i].unwrap_or_default(),
                attr[i].unwrap_or_default(),
            ),
        };
        let (reason_i, carry_i) = match &missing {
            Some(m) => (Some(m.as_str()), out.has_billed),
            None => (reason[i], carry.get(i) == Some(true)),
        };
        if let Some(r) = reason_i
            && carry_i
        {
            out.billed_days.push(as_billed(Some(r)));
            continue;
        }
        if let Some(r) = reason_i {
            *out.rejected.entry(r.to_string()).or_default() += nrows;
            out.billed_rejected += billed_i;
            let fr = first_row.get(i).unwrap_or(0);
            if first_reject.as_ref().is_none_or(|(row, _)| fr < *row) {
                *first_reject = Some((fr, r.to_string()));
            }
            continue;
        }
        let svc_name = service[i].unwrap_or_default();
        add_billed(out, svc_name, billed_i);
        if idle[i].is_some() {
            let k = (
                resource[i].unwrap_or_default().into(),
                region[i].unwrap_or_default().into(),
            );
            *out.idle_address_hours.entry(k).or_default() += q[i].unwrap_or_default();
        }
        let key = [
            resource[i],
            service[i],
            utype[i],
            region[i],
            attr[i],
            osc[i],
            purchase[i],
            az[i],
        ];
        out.days.push(resource_day(
            days.get(i),
            key,
            q[i].unwrap_or_default(),
            billable[i].unwrap_or_default(),
            nrows,
        ));
    }
    Ok(())
}

/// Adds a priced group's billed cost to its service's (the service listed even when zero).
pub(crate) fn add_billed(out: &mut UsageRead, service: &str, billed: Decimal) {
    match out.billed_priced.get_mut(service) {
        Some(v) => *v += billed,
        None => {
            out.billed_priced
                .insert(service.to_string(), Decimal::default() + billed);
        }
    }
}

/// The non-null values of a text column.
pub(crate) fn texts(df: &DataFrame, name: &str, file: &str) -> Result<Vec<String>, UsageError> {
    Ok(df
        .column(name)
        .and_then(|c| c.str().cloned())
        .map_err(|e| unreadable(file, e))?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect())
}

/// The instances with a Linux EC2 row under 60 seconds, as a test on `resource_id`.
/// (Found first, in a query of its own: a join here would hold the whole file in memory.)
/// A cheap pass: no validation (an invalid row only sends its instance to the window branch,
/// where it is filtered out as before).
fn short_instances(base: &LazyFrame, file: &str) -> Result<Expr, UsageError> {
    let short_df = base
        .clone()
        .filter(
            col("service")
                .eq(lit("ec2"))
                .and(col("q").lt(lit(60)))
                .and(col("os").eq(lit("linux"))),
        )
        .select([col("resource_id")])
        .unique(None, UniqueKeepStrategy::Any)
        .collect_with_engine(Engine::Streaming)
        .map_err(|e| unreadable(file, e))?
        .unwrap_single();
    let short = texts(&short_df, "resource_id", file)?;
    let short_refs: Vec<&str> = short.iter().map(String::as_str).collect();
    let is_short = one_of(col("resource_id"), &short_refs);
    Ok(is_short)
}

fn out_columns() -> Vec<Expr> {
    std::iter::once("start")
        .chain(USAGE_KEY)
        .chain([
            REASON,
            CARRY,
            PERIOD,
            IDLE,
            "product",
            "line_type",
            "q",
            "billable",
            "billed",
            ROW,
        ])
        .map(col)
        .collect()
}

/// EC2 usage by clock hour: on-demand usage summed over instances (commitments apply to the
/// hour's total), spot usage per instance (each pays its own hour's price).
///
/// `parts` are frames of EC2 usage (rows, or sums already by hour) with the columns `start`,
/// `region`, `attr`, `os`, `purchase`, `az`, `resource_id` and `billable`; `classes` the first
/// pass's classes with those columns but `billable`, and their hour-sums.
fn hourly(
    parts: Vec<LazyFrame>,
    classes: Option<(&DataFrame, &[HourSum])>,
    file: &str,
) -> Result<Vec<Ec2Hour>, UsageError> {
    let columns = [
        col("start"),
        col("region"),
        col("attr"),
        col("os"),
        col("purchase"),
        col("az"),
        col("resource_id"),
        col("billable").cast(decimal_type()),
    ];
    let df = if parts.is_empty() {
        None
    } else {
        let parts: Vec<LazyFrame> = parts
            .into_iter()
            .map(|p| p.select(columns.clone()))
            .collect();
        Some(
            concat(parts, UnionArgs::default())
                .and_then(LazyFrame::collect)
                .map_err(|e| unreadable(file, e))?,
        )
    };
    // Summed by clock hour and key: on-demand usage over instances (resource ""), spot usage per
    // instance; in the order (hour, region, instance type, AZ, resource, OS, purchase), nulls
    // first. The few hundred keys are numbered first, so that the few hundred thousand
    // hour-sums are keyed and sorted by (hour, number), not by text (a polars group-by and sort
    // on the text columns took 0.7 s; a hash map keyed by the texts, 0.4 s).
    let mut keys = KeyNumbers::default();
    let capacity = df.as_ref().map_or(0, DataFrame::height) + classes.map_or(0, |c| c.1.len());
    let mut sums: HashMap<(i64, u32), i128, Fast> =
        HashMap::with_capacity_and_hasher(capacity, Fast::default());
    let mut add = |hour: i64, key: u32, value: i128| -> Result<(), UsageError> {
        let sum = sums.entry((hour, key)).or_default();
        *sum = sum
            .checked_add(value)
            .ok_or_else(|| unreadable(file, "an hour's EC2 usage is out of range"))?;
        Ok(())
    };
    if let Some(df) = &df {
        let starts = df
            .column("start")
            .and_then(|c| c.cast(&DataType::Int64))
            .map_err(|e| unreadable(file, e))?;
        let starts = starts.i64().map_err(|e| unreadable(file, e))?;
        let billable = df
            .column("billable")
            .and_then(|c| c.decimal())
            .map_err(|e| unreadable(file, e))?;
        if billable.scale() != SCALE {
            return Err(unreadable(file, "EC2 hours at an unexpected scale"));
        }
        let columns = key_columns(df, file)?;
        for (i, (start, value)) in starts.iter().zip(billable.physical().iter()).enumerate() {
            let Some(start) = start else { continue };
            let key = keys.number(columns.each_ref().map(|c| c[i]), file)?;
            // As polars sums: nulls are skipped.
            add(start.div_euclid(HOUR_MS) * HOUR_MS, key, value.unwrap_or(0))?;
        }
    }
    if let Some((frame, class_sums)) = classes {
        let columns = key_columns(frame, file)?;
        // Each class's key number, and whether it is Windows.
        let class_keys: Vec<(u32, bool)> = (0..frame.height())
            .map(|i| {
                let texts = columns.each_ref().map(|c| c[i]);
                Ok((keys.number(texts, file)?, texts[4] == Some("windows")))
            })
            .collect::<Result<_, UsageError>>()?;
        for s in class_sums {
            let Some(&(key, windows)) = class_keys.get(s.class as usize) else {
                return Err(unreadable(file, "an EC2 hour of an unknown class"));
            };
            // Windows bills each row's started hours in full.
            let value = if windows {
                i128::from(s.started)
                    .checked_mul(3600 * ONE)
                    .ok_or_else(|| unreadable(file, "an hour's EC2 usage is out of range"))?
            } else {
                s.q
            };
            add(s.hour, key, value)?;
        }
    }
    let (keys, rank) = keys.ranked();
    let mut sums: Vec<((i64, u32), i128)> = sums.into_iter().collect();
    sums.sort_unstable_by_key(|((hour, key), _)| (*hour, rank[*key as usize]));
    let owned = |v: Option<&str>| CompactString::from(v.unwrap_or_default());
    // Each key's texts made once, shared by its hours.
    let shared: Vec<(CompactString, std::sync::Arc<UsageKey>)> = keys
        .iter()
        .map(|&[region, attr, az, resource, os, purchase]| {
            let key = UsageKey {
                service: "ec2".into(),
                usage_type: "instance-seconds".into(),
                region: owned(region),
                attr: attr
                    .unwrap_or_default()
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .into(),
                os: if os == Some("windows") {
                    Os::Windows
                } else {
                    Os::Linux
                },
                spot: purchase == Some("spot"),
                az: owned(az),
            };
            (owned(resource), std::sync::Arc::new(key))
        })
        .collect();
    let mut out = Vec::with_capacity(sums.len());
    for ((hour, key), seconds) in sums {
        let (resource_id, key) = &shared[key as usize];
        let Some(hour) = DateTime::<Utc>::from_timestamp_millis(hour) else {
            continue;
        };
        out.push(Ec2Hour {
            hour,
            resource_id: resource_id.clone(),
            key: key.clone(),
            seconds: to_decimal(seconds, SCALE as u32),
        });
    }
    Ok(out)
}

/// The texts of an EC2 hour's key: region, instance type, AZ, resource (spot only), OS, purchase.
type KeyTexts<'a> = [Option<&'a str>; 6];

/// The columns of an EC2 hour's key, in `KeyTexts` order.
fn key_columns<'d>(df: &'d DataFrame, file: &str) -> Result<[Vec<Option<&'d str>>; 6], UsageError> {
    let text = |name: &str| -> Result<Vec<Option<&'d str>>, UsageError> {
        Ok(df
            .column(name)
            .and_then(|c| c.str())
            .map_err(|e| unreadable(file, e))?
            .iter()
            .collect())
    };
    Ok([
        text("region")?,
        text("attr")?,
        text("az")?,
        text("resource_id")?,
        text("os")?,
        text("purchase")?,
    ])
}

/// EC2 hour keys, numbered in order of first appearance.
#[derive(Default)]
struct KeyNumbers<'a> {
    ids: HashMap<KeyTexts<'a>, u32, Fast>,
    keys: Vec<KeyTexts<'a>>,
}

impl<'a> KeyNumbers<'a> {
    /// The number of a key (region, instance type, AZ, resource, OS, purchase); the resource
    /// counts for spot usage only.
    fn number(&mut self, texts: KeyTexts<'a>, file: &str) -> Result<u32, UsageError> {
        let [region, attr, az, resource, os, purchase] = texts;
        let resource = if purchase == Some("spot") {
            resource
        } else {
            Some("")
        };
        let texts = [region, attr, az, resource, os, purchase];
        if let Some(&id) = self.ids.get(&texts) {
            return Ok(id);
        }
        let id = u32::try_from(self.keys.len())
            .map_err(|_| unreadable(file, "too many kinds of EC2 usage"))?;
        self.keys.push(texts);
        self.ids.insert(texts, id);
        Ok(id)
    }

    /// The keys by number, and each number's rank in the keys' text order.
    fn ranked(self) -> (Vec<KeyTexts<'a>>, Vec<usize>) {
        let mut order: Vec<usize> = (0..self.keys.len()).collect();
        order.sort_unstable_by(|a, b| self.keys[*a].cmp(&self.keys[*b]));
        let mut rank = vec![0usize; self.keys.len()];
        for (r, k) in order.into_iter().enumerate() {
            rank[k] = r;
        }
        (self.keys, rank)
    }
}

/// A Decimal column as rust_decimal values (exact; a sum too long for 28 digits is rounded at
/// its least significant digits, never truncated silently at the top).
fn decimals(df: &DataFrame, name: &str, file: &str) -> Result<Vec<Option<Decimal>>, UsageError> {
    let c = df.column(name).map_err(|e| unreadable(file, e))?;
    let ca = c.decimal().map_err(|e| unreadable(file, e))?;
    let scale = ca.scale() as u32;
    Ok(ca
        .physical()
        .iter()
        .map(|v| v.map(|m| to_decimal(m, scale)))
        .collect())
}

/// The raw value of the column a reject reason names, in the given row.
fn found_value(
    checked: &LazyFrame,
    row: u64,
    reason: &str,
    file: &str,
) -> Result<Option<String>, UsageError> {
    let column = reason.split('`').nth(1).unwrap_or("");
    let raw = match column {
        "usage_start" => "start_text",
        "usage_end" => "end_text",
        "quantity" => "quantity_text",
        "purchase_option" => "purchase",
        // A reason that names no column (a missing price names its price key instead).
        "" => return Ok(None),
        c => c,
    };
    let df = checked
        .clone()
        .filter(col(ROW).cast(DataType::UInt64).eq(lit(row)))
        .select([col(raw).cast(DataType::String)])
        .collect()
        .map_err(|e| unreadable(file, e))?;
    let v = df
        .column(raw)
        .ok()
        .and_then(|c| c.str().ok().and_then(|s| s.get(0).map(str::to_string)));
    Ok(Some(v.unwrap_or_else(|| "(empty)".into())))
}

fn write_rejects(
    checked: &LazyFrame,
    missing: &[String],
    path: &Path,
    file: &str,
) -> Result<(), UsageError> {
    let missing = one_of(
        col("key"),
        &missing.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let mut df = checked
        .clone()
        .with_column(price_key().alias("key"))
        .filter(
            col(REASON)
                .is_not_null()
                .and(col(CARRY).not())
                .or(col(REASON).is_null().and(missing)),
        )
        .select([
            col(ROW).alias("row"),
            coalesce(&[
                col(REASON),
                concat_str([lit(MISSING_PRICE), col("key")], "", false),
            ])
            .alias("reason"),
            col("start_text").alias("usage_start"),
            col("end_text").alias("usage_end"),
            col("region"),
            col("service"),
            col("usage_type"),
            col("resource_id"),
            col("quantity_text").alias("quantity"),
            col("instance_type"),
            col("os"),
            col("purchase").alias("purchase_option"),
            col("volume_type"),
            col("storage_class"),
            col("architecture"),
        ])
        .sort(["row"], SortMultipleOptions::default())
        .collect()
        .map_err(|e| unreadable(file, e))?;
    let out =
        std::fs::File::create(path).map_err(|e| unreadable(&path.display().to_string(), e))?;
    CsvWriter::new(out)
        .finish(&mut df)
        .map_err(|e| unreadable(&path.display().to_string(), e))
}

#[cfg(test)]
mod tests {
    use super::super::columns::rounded;
    use super::super::days::{started_hours, started_hours_of};
    use super::*;

    /// The 64-bit shortcut of `started_hours_of` counts what the 128-bit division counts.
    #[test]
    fn started_hours_in_64_bits_are_the_128_bit_count() {
        const HOUR: i128 = 3600 * ONE;
        let reference = |q: i128| q.div_euclid(HOUR) + i128::from(q.rem_euclid(HOUR) != 0);
        let mut qs = vec![
            0,
            1,
            -1,
            ONE,
            60 * ONE,
            i128::MAX,
            i128::MIN,
            1 << 86,
            (1 << 86) - 1,
        ];
        for k in [1i128, 2, 3, 24, 1000, 1 << 20] {
            for d in [-1i128, 0, 1, 1 << 21, 1 << 22, ONE] {
                qs.push(k * HOUR + d);
            }
        }
        // And a spread of others (a linear congruential sequence), below and above 2^86.
        let mut x: u128 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..100_000 {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            qs.push((x >> (x % 64) as u32) as i128);
            qs.push(-((x >> 50) as i128));
        }
        for q in qs {
            assert_eq!(started_hours_of(q), reference(q), "{q}");
        }
    }

    /// Started hours are counted exactly, as the first pass counts them (`ec2_hours.rs`).
    #[test]
    fn started_hours_are_counted_exactly() {
        let q = [
            "0",
            "0.001",
            "1",
            "3599.999999999999999999",
            "3600",
            "3600.000000000000000001",
            "7199.999",
            "7200",
            "2678400",
        ];
        let df = df!("q" => q).unwrap();
        let out = df
            .lazy()
            .select([
                started_hours(col("q").str().to_decimal(SCALE)).alias("hours"),
                windows_billable(col("q").str().to_decimal(SCALE)).alias("billable"),
            ])
            .collect()
            .unwrap();
        let hours: Vec<Option<i64>> = out.column("hours").unwrap().i64().unwrap().iter().collect();
        assert_eq!(
            hours,
            [0, 1, 1, 1, 1, 2, 2, 2, 744].map(Some).to_vec(),
            "{out}"
        );
        let billable = out.column("billable").unwrap().decimal().unwrap();
        assert_eq!(billable.scale(), SCALE);
        let seconds: Vec<Option<i128>> = billable.physical().iter().collect();
        let want: Vec<Option<i128>> = [0i128, 1, 1, 1, 1, 2, 2, 2, 744]
            .iter()
            .map(|h| Some(h * 3600 * ONE))
            .collect();
        assert_eq!(seconds, want);
        // The same count in integers, as the first pass and the fast path's days take it.
        let exact = df!("q" => q)
            .unwrap()
            .lazy()
            .select([col("q").str().to_decimal(SCALE)])
            .collect()
            .unwrap();
        let counted: Vec<Option<i64>> = exact
            .column("q")
            .unwrap()
            .decimal()
            .unwrap()
            .physical()
            .iter()
            .map(|m| m.map(|m| i64::try_from(started_hours_of(m)).unwrap()))
            .collect();
        assert_eq!(counted, hours);
    }

    /// `to_decimal` gives what converting at full scale (rounding off digits that do not fit) and
    /// normalizing gives (`rounded`, the conversion before trailing zeros went first).
    #[test]
    fn decimals_are_converted_and_normalized() {
        let mut mantissas = vec![
            0i128,
            1,
            -1,
            5,
            10,
            3600,
            -3600,
            995,
            i128::MAX,
            i128::MIN + 1,
        ];
        for zeros in 0..38u32 {
            for base in [1i128, 7, 36, 125, 999_999_999, 123_456_789_012_345] {
                if let Some(m) = base.checked_mul(10i128.pow(zeros)) {
                    mantissas.push(m);
                    mantissas.push(-m);
                    mantissas.push(m + 1);
                }
            }
        }
        for &m in &mantissas {
            for scale in [0u32, 1, 2, 3, 6, 9, 17, 18, 28, 29, 30, 38] {
                let (got, want) = (to_decimal(m, scale), rounded(m, scale));
                assert_eq!(got, want, "{m} at scale {scale}");
                assert_eq!(got.scale(), want.scale(), "{m} at scale {scale}");
                assert_eq!(got.to_string(), want.to_string(), "{m} at scale {scale}");
            }
        }
    }

    /// `permute` places what was at `order[k]` at `k`, for permutations of every cycle shape.
    #[test]
    fn items_are_permuted_in_place() {
        for n in 0..40usize {
            for step in [1, 3, 7, 11] {
                // A permutation from a multiplicative step where it is coprime with n, else a
                // rotation; then a few swaps for cycles of mixed lengths.
                let mut order: Vec<usize> =
                    if n > 0 && (1..=n).all(|d| d == 1 || n % d != 0 || step % d != 0) {
                        (0..n).map(|k| k * step % n).collect()
                    } else {
                        (0..n).map(|k| (k + step) % n.max(1)).collect()
                    };
                for k in (0..n).step_by(5) {
                    order.swap(k, n - 1 - k);
                }
                let items: Vec<String> = (0..n).map(|k| format!("item {k}")).collect();
                let expected: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
                let mut permuted = items.clone();
                permute(&mut permuted, &order);
                assert_eq!(permuted, expected, "n = {n}, step = {step}");
            }
        }
    }

    /// `sort_days` orders as a stable sort by (day, resource, key) does, ties included.
    #[test]
    fn resource_days_are_sorted_by_day_resource_and_key() {
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 10, d).unwrap();
        let mut days = Vec::new();
        for i in 0..500u32 {
            // Scrambled days, resources and keys, with repeats of all three.
            let key = UsageKey {
                service: ["ec2", "ebs", "s3"][(i * 7 % 3) as usize].into(),
                usage_type: ["a", "b"][(i * 5 % 2) as usize].into(),
                region: "us-east-1".into(),
                attr: Default::default(),
                os: Os::Linux,
                spot: i % 11 == 0,
                az: Default::default(),
            };
            days.push(ResourceDay {
                day: day(1 + i * 13 % 4),
                resource_id: compact_str::format_compact!("r-{}", i * 31 % 17),
                key: key.into(),
                quantity: Decimal::from(i),
                billable: Decimal::from(i),
                rows: 1,
            });
        }
        let mut expected = days.clone();
        expected
            .sort_by(|a, b| (a.day, &a.resource_id, &a.key).cmp(&(b.day, &b.resource_id, &b.key)));
        sort_days(&mut days);
        assert_eq!(days, expected);
    }
}
