//! Utilization metrics of instances (CloudWatch-like), one sample per instance per hour: what
//! right-sizing and idle detection read. Plain Rust types; the file reader is in
//! [`crate::usage::metrics`].
//!
//! The metrics file contract (fixed; columns may be added, never renamed): `timestamp` (RFC 3339,
//! UTC), `resource_id`, `region`, `instance_type`, `cpu_max_pct`, `cpu_avg_pct`; optional
//! `mem_max_pct`, `net_in_bytes`, `net_out_bytes`, `ebs_read_ops`, `ebs_write_ops`,
//! `ebs_read_bytes`, `ebs_write_bytes`, `cpu_credit_balance`. These are measurements, not money:
//! they are `f64`.

use chrono::{DateTime, Utc};

/// One hour of one instance.
#[derive(Clone, Debug, PartialEq)]
pub struct HourSample {
    /// Start of the hour (UTC).
    pub hour: DateTime<Utc>,
    /// Highest CPU utilization in the hour, percent of the instance's vCPUs (0–100).
    pub cpu_max_pct: f64,
    /// Average CPU utilization in the hour, percent.
    pub cpu_avg_pct: f64,
    /// Highest memory utilization in the hour, percent, when measured (needs an agent).
    pub mem_max_pct: Option<f64>,
    /// Bytes received in the hour.
    pub net_in_bytes: Option<f64>,
    /// Bytes sent in the hour.
    pub net_out_bytes: Option<f64>,
    /// EBS read operations in the hour.
    pub ebs_read_ops: Option<f64>,
    /// EBS write operations in the hour.
    pub ebs_write_ops: Option<f64>,
    /// EBS bytes read in the hour.
    pub ebs_read_bytes: Option<f64>,
    /// EBS bytes written in the hour.
    pub ebs_write_bytes: Option<f64>,
    /// T-family: CPU credit balance at the end of the hour.
    pub cpu_credit_balance: Option<f64>,
}

/// An instance's hourly samples, in time order.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceSeries {
    /// Instance id.
    pub resource_id: String,
    /// Region code.
    pub region: String,
    /// Instance type.
    pub instance_type: String,
    /// The samples, oldest first, one per hour.
    pub samples: Vec<HourSample>,
}
