//! Recommendations: what to change, and how much each change saves.
//!
//! This part covers EC2 instances, in the published manner of AWS Compute Optimizer and Trusted
//! Advisor:
//!
//! - [`rightsize`]: one instance's finding (over-provisioned, under-provisioned, optimized, idle,
//!   insufficient data), its reason codes, and up to three ranked [`RightsizingOption`]s, each
//!   with projected utilization, a performance risk (0–4) and an exact monthly saving priced from
//!   the catalog under the pricing model the instance actually has.
//! - [`low_utilization`]: Trusted Advisor's "low utilization Amazon EC2 instances" check.
//!
//! Measurements (utilization, bytes) are `f64`; every cost and saving is a
//! [`rust_decimal::Decimal`] computed from catalog prices, never from a float.
//!
//! ```
//! use cloudcost::catalog::{Catalog, Os};
//! use cloudcost::metrics::{HourSample, InstanceSeries};
//! use cloudcost::recommend::{Finding, InstanceContext, RightsizingOptions, rightsize};
//! use chrono::{Duration, TimeZone, Utc};
//!
//! let catalog = Catalog::embedded().unwrap();
//! let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let samples = (0..14 * 24)
//!     .map(|h| HourSample {
//!         hour: start + Duration::hours(h),
//!         cpu_max_pct: 5.0,
//!         cpu_avg_pct: 3.0,
//!         mem_max_pct: None,
//!         net_in_bytes: Some(2e9),
//!         net_out_bytes: Some(1e9),
//!         ebs_read_ops: None,
//!         ebs_write_ops: None,
//!         ebs_read_bytes: None,
//!         ebs_write_bytes: None,
//!         cpu_credit_balance: None,
//!     })
//!     .collect();
//! let series = InstanceSeries {
//!     resource_id: "i-0abc".into(),
//!     region: "us-east-1".into(),
//!     instance_type: "m5.4xlarge".into(),
//!     samples,
//! };
//! let rec = rightsize(
//!     &catalog,
//!     &series,
//!     &InstanceContext::on_demand(Os::Linux),
//!     &RightsizingOptions::default(),
//! )
//! .unwrap();
//! assert_eq!(rec.finding, Finding::OverProvisioned);
//! assert!(rec.options[0].monthly_saving > rust_decimal::Decimal::ZERO);
//! ```

mod credits;
pub mod fleet;
pub mod idle;
pub mod rightsizing;
pub mod schedule;
mod stats;
#[cfg(test)]
mod test_support;

pub use idle::{low_utilization, low_utilization_days};
pub use rightsizing::{
    Architecture, CpuPercentile, CurrentPricing, Finding, HOURS_PER_MONTH, InstanceContext,
    InstanceRecommendation, Reason, RightsizingOption, RightsizingOptions, WorkloadSummary,
    rightsize, rightsize_summary,
};
