//! Reading a metrics file (CSV or Parquet; the contract is in [`crate::metrics`]) into
//! per-instance hourly series. Bad rows are set aside with their reason and counted, never
//! dropped silently; an optional column that is present is validated.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use polars::prelude::*;

use super::UsageError;
use super::columns::{text, timestamp};
use crate::metrics::{HourSample, InstanceSeries};

/// Required columns of a metrics file.
pub const REQUIRED: &[&str] = &[
    "timestamp",
    "resource_id",
    "region",
    "instance_type",
    "cpu_max_pct",
    "cpu_avg_pct",
];

/// Optional columns.
pub const OPTIONAL: &[&str] = &[
    "mem_max_pct",
    "net_in_bytes",
    "net_out_bytes",
    "ebs_read_ops",
    "ebs_write_ops",
    "ebs_read_bytes",
    "ebs_write_bytes",
    "cpu_credit_balance",
];

/// The series read, and the rows set aside.
#[derive(Clone, Debug, Default)]
pub struct MetricsRead {
    /// One series per instance, samples in time order.
    pub series: Vec<InstanceSeries>,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows set aside, by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Instances summarised by a Compute Optimizer export (no hourly series), with its findings.
    pub compute_optimizer: Vec<super::compute_optimizer::ExportRow>,
}

fn unreadable(file: &str, e: impl std::fmt::Display) -> UsageError {
    UsageError::Unreadable {
        file: file.into(),
        message: e.to_string(),
    }
}

fn number(schema: &Schema, name: &str) -> Expr {
    if schema.contains(name) {
        match schema.get(name) {
            Some(dt) if dt.is_primitive_numeric() => col(name).cast(DataType::Float64),
            _ => text(schema, name).cast(DataType::Float64),
        }
    } else {
        lit(NULL).cast(DataType::Float64)
    }
}

/// Reads a metrics file, keeping the last `lookback_days` days before its newest sample.
pub fn read_metrics(path: &Path, lookback_days: u32) -> Result<MetricsRead, UsageError> {
    let file = path.display().to_string();
    let opened = super::columns::open(path)?;
    let mut lf = opened.lf.clone();
    let schema = lf.collect_schema().map_err(|e| unreadable(&file, e))?;
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|c| !schema.contains(c))
        .map(|c| format!("`{c}`"))
        .collect();
    if !missing.is_empty() {
        return Err(UsageError::Layout {
            file,
            message: format!(
                "not a metrics file: missing column(s) {}; found: {}",
                missing.join(", "),
                schema
                    .iter_names()
                    .map(|n| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    let s = &schema;
    let mut select = vec![
        timestamp(s, "timestamp").alias("ts"),
        text(s, "resource_id").alias("resource_id"),
        text(s, "region").alias("region"),
        text(s, "instance_type").alias("instance_type"),
        number(s, "cpu_max_pct").alias("cpu_max_pct"),
        number(s, "cpu_avg_pct").alias("cpu_avg_pct"),
    ];
    for c in OPTIONAL {
        select.push(number(s, c).alias(*c));
        select.push(text(s, c).alias(format!("{c}__text")));
    }
    let pct_ok = |c: &str| {
        col(c)
            .is_not_null()
            .and(col(c).gt_eq(lit(0.0)))
            .and(col(c).lt_eq(lit(100.0)))
    };
    let mut reason = when(col("ts").is_null())
        .then(lit("column `timestamp`: expected an RFC 3339 timestamp"))
        .when(col("resource_id").is_null())
        .then(lit("column `resource_id`: expected an instance id"))
        .when(col("instance_type").is_null())
        .then(lit("column `instance_type`: expected an instance type"))
        .when(pct_ok("cpu_max_pct").not())
        .then(lit(
            "column `cpu_max_pct`: expected a percentage from 0 to 100",
        ))
        .when(pct_ok("cpu_avg_pct").not())
        .then(lit(
            "column `cpu_avg_pct`: expected a percentage from 0 to 100",
        ));
    for c in OPTIONAL {
        // Present but not a number, or out of range.
        let bad_text = col(format!("{c}__text"))
            .is_not_null()
            .and(col(*c).is_null());
        let bad_range = if *c == "mem_max_pct" {
            col(*c).gt(lit(100.0)).or(col(*c).lt(lit(0.0)))
        } else {
            col(*c).lt(lit(0.0))
        };
        let what = if *c == "mem_max_pct" {
            "a percentage from 0 to 100"
        } else {
            "a non-negative number"
        };
        reason = reason
            .when(bad_text.or(bad_range))
            .then(lit(format!("column `{c}`: expected {what}")));
    }
    let reason = reason.otherwise(lit(NULL).cast(DataType::String));
    let checked = lf.select(select).with_column(reason.alias("__reason"));

    let counts = checked
        .clone()
        .group_by([col("__reason")])
        .agg([len().alias("n")])
        .collect()
        .map_err(|e| unreadable(&file, e))?;
    let mut out = MetricsRead::default();
    let reasons = counts
        .column("__reason")
        .and_then(|c| c.str().cloned())
        .map_err(|e| unreadable(&file, e))?;
    let ns = counts
        .column("n")
        .and_then(|c| c.cast(&DataType::UInt64))
        .map_err(|e| unreadable(&file, e))?;
    let ns = ns.u64().map_err(|e| unreadable(&file, e))?.clone();
    for i in 0..counts.height() {
        let n = ns.get(i).unwrap_or(0);
        out.rows_read += n;
        if let Some(r) = reasons.get(i) {
            *out.rejected.entry(r.to_string()).or_default() += n;
        }
    }

    let window_ms = i64::from(lookback_days) * 24 * 3600 * 1000;
    let valid = checked
        .filter(col("__reason").is_null())
        .with_column(col("ts").cast(DataType::Int64).alias("ts_ms"))
        .filter(col("ts_ms").gt_eq(col("ts_ms").max() - lit(window_ms)))
        .sort(["resource_id", "ts_ms"], SortMultipleOptions::default())
        .collect()
        .map_err(|e| unreadable(&file, e))?;
    let str_col = |name: &str| -> Result<Vec<String>, UsageError> {
        let c = valid.column(name).map_err(|e| unreadable(&file, e))?;
        Ok(c.str()
            .map_err(|e| unreadable(&file, e))?
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect())
    };
    let f64_col = |name: &str| -> Result<Vec<Option<f64>>, UsageError> {
        let c = valid.column(name).map_err(|e| unreadable(&file, e))?;
        Ok(c.f64().map_err(|e| unreadable(&file, e))?.iter().collect())
    };
    let ts = valid
        .column("ts_ms")
        .and_then(|c| c.i64().cloned())
        .map_err(|e| unreadable(&file, e))?;
    let (rid, region, itype) = (
        str_col("resource_id")?,
        str_col("region")?,
        str_col("instance_type")?,
    );
    let (cmax, cavg) = (f64_col("cpu_max_pct")?, f64_col("cpu_avg_pct")?);
    let opt: Vec<Vec<Option<f64>>> = OPTIONAL
        .iter()
        .map(|c| f64_col(c))
        .collect::<Result<_, _>>()?;
    for i in 0..valid.height() {
        let Some(hour) = ts.get(i).and_then(DateTime::<Utc>::from_timestamp_millis) else {
            continue;
        };
        let sample = HourSample {
            hour,
            cpu_max_pct: cmax[i].unwrap_or_default(),
            cpu_avg_pct: cavg[i].unwrap_or_default(),
            mem_max_pct: opt[0][i],
            net_in_bytes: opt[1][i],
            net_out_bytes: opt[2][i],
            ebs_read_ops: opt[3][i],
            ebs_write_ops: opt[4][i],
            ebs_read_bytes: opt[5][i],
            ebs_write_bytes: opt[6][i],
            cpu_credit_balance: opt[7][i],
        };
        match out.series.last_mut() {
            Some(s) if s.resource_id == rid[i] => {
                s.instance_type.clone_from(&itype[i]);
                s.samples.push(sample);
            }
            _ => out.series.push(InstanceSeries {
                resource_id: rid[i].clone(),
                region: region[i].clone(),
                instance_type: itype[i].clone(),
                samples: vec![sample],
            }),
        }
    }
    Ok(out)
}
