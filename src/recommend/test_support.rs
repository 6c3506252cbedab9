//! Test helpers: synthetic hourly series built in code (no files) and the embedded catalog.

use std::sync::OnceLock;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use crate::catalog::Catalog;
use crate::metrics::{HourSample, InstanceSeries};

/// The first hour of every synthetic series.
pub(crate) static START: std::sync::LazyLock<DateTime<Utc>> =
    std::sync::LazyLock::new(|| Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());

/// The embedded catalog, loaded once.
pub(crate) fn catalog() -> &'static Catalog {
    static C: OnceLock<Catalog> = OnceLock::new();
    C.get_or_init(|| Catalog::embedded().unwrap())
}

/// One hour `h` after [`START`] with CPU max/avg and 1 GB of network each way (busy enough not
/// to be idle).
pub(crate) fn sample(h: usize, cpu_max: f64, cpu_avg: f64) -> HourSample {
    HourSample {
        hour: *START + TimeDelta::hours(h as i64),
        cpu_max_pct: cpu_max,
        cpu_avg_pct: cpu_avg,
        mem_max_pct: None,
        net_in_bytes: Some(1e9),
        net_out_bytes: Some(1e9),
        ebs_read_ops: None,
        ebs_write_ops: None,
        ebs_read_bytes: None,
        ebs_write_bytes: None,
        cpu_credit_balance: None,
    }
}

/// `n` hours built by `f(hour index)`.
pub(crate) fn hours(n: usize, f: impl Fn(usize) -> HourSample) -> Vec<HourSample> {
    (0..n).map(f).collect()
}

/// A us-east-1 series of `instance_type`.
pub(crate) fn series(instance_type: &str, samples: Vec<HourSample>) -> InstanceSeries {
    InstanceSeries {
        resource_id: format!("i-{}", instance_type.replace('.', "-")),
        region: "us-east-1".into(),
        instance_type: instance_type.into(),
        samples,
    }
}
