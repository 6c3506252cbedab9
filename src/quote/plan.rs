//! The plan file: a planned architecture in TOML. This contract is fixed (keys may be added,
//! never renamed); see `docs/plan-format.md`.
//!
//! Parsing checks syntax, unknown keys, types and signs, and keeps the position of every value so
//! that later checks against the catalog (unknown instance type, region) can still point at a line
//! and column, like a compiler.

use std::fmt;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use toml::Spanned;

use crate::catalog::{Arch, LoadBalancerType, Model, Offering, Os, Payment, Term};
use crate::error::InputError;

/// A non-negative decimal quantity, read from a TOML integer, float or string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Qty(pub Decimal);

impl<'de> Deserialize<'de> for Qty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Qty, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Qty;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Qty, E> {
                check(Decimal::from(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Qty, E> {
                check(Decimal::from(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Qty, E> {
                if !v.is_finite() {
                    return Err(E::custom(format!(
                        "expected a finite non-negative number, found {v}"
                    )));
                }
                // The shortest text that reads back as this float is what the user wrote.
                let text = v.to_string();
                let d = text
                    .parse::<Decimal>()
                    .or_else(|_| Decimal::from_scientific(&text))
                    .map_err(|_| {
                        E::custom(format!("expected a number within ±7.9e28, found {v}"))
                    })?;
                check(d)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Qty, E> {
                let d = v.trim().parse::<Decimal>().map_err(|_| {
                    E::custom(format!("expected a non-negative number, found \"{v}\""))
                })?;
                check(d)
            }
        }
        d.deserialize_any(V)
    }
}

fn check<E: de::Error>(d: Decimal) -> Result<Qty, E> {
    if d.is_sign_negative() && !d.is_zero() {
        Err(E::custom(format!(
            "expected a non-negative number, found {d}"
        )))
    } else {
        Ok(Qty(d))
    }
}

/// A whole number of resources (0 or more).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count(pub u32);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Count, D::Error> {
        let v = i64::deserialize(d)?;
        u32::try_from(v).map(Count).map_err(|_| {
            de::Error::custom(format!(
                "expected a whole number of resources (0 or more), found {v}"
            ))
        })
    }
}

/// The whole plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPlan {
    /// Default region for every resource.
    pub region: Option<Spanned<String>>,
    /// Hours in a month (default 730).
    pub hours_per_month: Option<Spanned<Qty>>,
    /// Apply free tiers (default false).
    #[serde(default)]
    pub free_tier: bool,
    /// Display currency (default USD).
    pub currency: Option<Spanned<String>>,
    /// Units of the display currency per USD.
    pub fx_rate: Option<Spanned<Qty>>,
    /// EC2 instances.
    #[serde(default)]
    pub ec2: Vec<Ec2Entry>,
    /// EBS volumes.
    #[serde(default)]
    pub ebs: Vec<EbsEntry>,
    /// S3 storage.
    #[serde(default)]
    pub s3: Vec<S3Entry>,
    /// Lambda functions.
    #[serde(default)]
    pub lambda: Vec<LambdaEntry>,
    /// Data transfer.
    #[serde(default)]
    pub data_transfer: Vec<TransferEntry>,
    /// Public IPv4 addresses.
    #[serde(default)]
    pub public_ipv4: Vec<Ipv4Entry>,
    /// NAT gateways.
    #[serde(default)]
    pub nat_gateway: Vec<NatGatewayEntry>,
    /// Elastic Load Balancing load balancers.
    #[serde(default)]
    pub load_balancer: Vec<LoadBalancerEntry>,
    /// CloudWatch alarms, metrics, dashboards, API requests and logs.
    #[serde(default)]
    pub cloudwatch: Vec<CloudWatchEntry>,
}

/// `[[ec2]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ec2Entry {
    /// Name.
    pub name: Spanned<String>,
    /// Region (default: the plan's).
    pub region: Option<Spanned<String>>,
    /// Number of instances.
    pub count: Option<Count>,
    /// Instance type.
    pub instance_type: Spanned<String>,
    /// Operating system (default linux).
    pub os: Option<Os>,
    /// Hours per instance (default: hours_per_month).
    pub hours: Option<Qty>,
    /// Pricing model (default on-demand).
    pub pricing: Option<Spanned<Model>>,
    /// Commitment term.
    pub term: Option<Term>,
    /// Payment option.
    pub payment: Option<Payment>,
    /// RI class or SP type.
    pub offering: Option<Spanned<Offering>>,
    /// Availability zone (for spot prices per AZ).
    pub availability_zone: Option<String>,
    /// Root / data volume.
    pub volume: Option<VolumeEntry>,
}

/// `volume = { type, size_gb, iops, throughput_mbps }` of an `[[ec2]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumeEntry {
    /// Volume type.
    #[serde(rename = "type")]
    pub volume_type: Spanned<String>,
    /// Size, GB.
    pub size_gb: Qty,
    /// Provisioned IOPS.
    pub iops: Option<Qty>,
    /// Provisioned throughput, MB/s.
    pub throughput_mbps: Option<Qty>,
}

/// `[[ebs]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EbsEntry {
    /// Name.
    pub name: Spanned<String>,
    /// Region.
    pub region: Option<Spanned<String>>,
    /// Number of volumes.
    pub count: Option<Count>,
    /// Volume type.
    pub volume_type: Spanned<String>,
    /// Size, GB.
    #[serde(default)]
    pub size_gb: Qty,
    /// Provisioned IOPS.
    pub iops: Option<Qty>,
    /// Provisioned throughput, MB/s.
    pub throughput_mbps: Option<Qty>,
    /// Hours provisioned (default: hours_per_month).
    pub hours: Option<Qty>,
    /// Snapshot storage, GB.
    pub snapshot_gb: Option<Qty>,
    /// I/O requests a month (standard volumes).
    pub io_requests: Option<Qty>,
}

/// `[[s3]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Entry {
    /// Name.
    pub name: Spanned<String>,
    /// Region.
    pub region: Option<Spanned<String>>,
    /// Number of identical buckets.
    pub count: Option<Count>,
    /// Storage class (default standard).
    pub storage_class: Option<Spanned<String>>,
    /// Average GB stored.
    #[serde(default)]
    pub storage_gb: Qty,
    /// PUT/COPY/POST/LIST requests a month.
    #[serde(default)]
    pub put_requests: Qty,
    /// GET and other requests a month.
    #[serde(default)]
    pub get_requests: Qty,
    /// GB retrieved a month.
    #[serde(default)]
    pub retrieval_gb: Qty,
    /// Number of objects.
    pub objects: Option<Qty>,
}

/// `[[lambda]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LambdaEntry {
    /// Name.
    pub name: Spanned<String>,
    /// Region.
    pub region: Option<Spanned<String>>,
    /// Number of identical functions.
    pub count: Option<Count>,
    /// Invocations a month.
    #[serde(default)]
    pub requests: Qty,
    /// Average duration, ms.
    #[serde(default)]
    pub duration_ms: Qty,
    /// Memory, MB (default 128).
    pub memory_mb: Option<Spanned<Qty>>,
    /// Architecture (default x86_64).
    pub architecture: Option<Arch>,
    /// Ephemeral storage, MB (default 512).
    pub ephemeral_storage_mb: Option<Spanned<Qty>>,
}

/// `[[data_transfer]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransferEntry {
    /// Name.
    pub name: Spanned<String>,
    /// Source region.
    pub region: Option<Spanned<String>>,
    /// Multiplier.
    pub count: Option<Count>,
    /// GB out to the internet a month.
    #[serde(default)]
    pub internet_out_gb: Qty,
    /// GB between AZs a month.
    #[serde(default)]
    pub inter_az_gb: Qty,
    /// GB to other regions a month.
    #[serde(default)]
    pub inter_region_gb: Qty,
    /// Destination of inter-region transfer.
    pub destination_region: Option<Spanned<String>>,
}

/// `[[public_ipv4]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ipv4Entry {
    /// Name.
    pub name: Spanned<String>,
    /// Region.
    pub region: Option<Spanned<String>>,
    /// Number of addresses.
    pub count: Option<Count>,
    /// Hours held (default: hours_per_month).
    pub hours: Option<Qty>,
    /// Not associated with a running resource (same price since 2024-02-01).
    #[serde(default)]
    pub idle: bool,
}

/// `[[nat_gateway]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatGatewayEntry {
    /// Name.
    pub name: Spanned<String>,
    /// Region.
    pub region: Option<Spanned<String>>,
    /// Number of gateways.
    pub count: Option<Count>,
    /// Hours each gateway exists (default: hours_per_month).
    pub hours: Option<Qty>,
    /// GB each gateway processes a month (both directions).
    #[serde(default)]
    pub data_processed_gb: Qty,
}

/// `[[load_balancer]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadBalancerEntry {
    /// Name.
    pub name: Spanned<String>,
    /// Region.
    pub region: Option<Spanned<String>>,
    /// Number of load balancers.
    pub count: Option<Count>,
    /// `application`, `network`, `gateway` or `classic`.
    #[serde(rename = "type")]
    pub lb_type: Spanned<LoadBalancerType>,
    /// Hours each load balancer exists (default: hours_per_month).
    pub hours: Option<Qty>,
    /// Average capacity units (LCU, NLCU, GLCU) each load balancer uses while it runs.
    pub capacity_units: Option<Spanned<Qty>>,
    /// Capacity-unit-hours a month per load balancer, as a bill shows them (instead of
    /// `capacity_units`).
    pub capacity_unit_hours: Option<Spanned<Qty>>,
    /// GB each classic load balancer processes a month.
    pub data_processed_gb: Option<Spanned<Qty>>,
}

/// `[[cloudwatch]]`: one account's (or one application's) CloudWatch usage in a region.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudWatchEntry {
    /// Name.
    pub name: Spanned<String>,
    /// Region.
    pub region: Option<Spanned<String>>,
    /// Multiplier.
    pub count: Option<Count>,
    /// Standard-resolution alarms (alarm metrics).
    #[serde(default)]
    pub alarms: Qty,
    /// High-resolution alarms.
    #[serde(default)]
    pub high_resolution_alarms: Qty,
    /// Custom and detailed-monitoring metrics.
    #[serde(default)]
    pub custom_metrics: Qty,
    /// Custom dashboards.
    #[serde(default)]
    pub dashboards: Qty,
    /// API requests a month (GetMetricStatistics, ListMetrics, PutMetricData…).
    #[serde(default)]
    pub api_requests: Qty,
    /// Log data ingested a month, GB.
    #[serde(default)]
    pub logs_ingested_gb: Qty,
    /// Log data stored (archived), average GB over the month.
    #[serde(default)]
    pub logs_stored_gb: Qty,
}

/// A parsed plan with its file name and text (for positions in later errors).
#[derive(Debug, Clone)]
pub struct Plan {
    /// The file name as the user gave it.
    pub file: String,
    /// The file's text.
    pub text: String,
    /// The parsed content.
    pub raw: RawPlan,
}

impl Plan {
    /// Parses a plan's text. Errors name the file, line, column, table and key.
    pub fn parse(file: &str, text: &str) -> Result<Plan, InputError> {
        let raw: RawPlan = toml::from_str(text).map_err(|e| {
            let span = e.span();
            let (line, column) = span.clone().map_or((None, None), |s| {
                let (l, c) = line_col(text, s.start);
                (Some(l), Some(c.to_string()))
            });
            InputError {
                file: file.into(),
                line,
                column,
                context: span.and_then(|s| {
                    let table = enclosing_table(text, s.start);
                    match (table, key_at(text, s.start)) {
                        (Some(t), Some(k)) => Some(format!("{t}, key `{k}`")),
                        (Some(t), None) => Some(t),
                        (None, Some(k)) => Some(format!("top level, key `{k}`")),
                        (None, None) => None,
                    }
                }),
                message: e.message().trim().to_string(),
            }
        })?;
        Ok(Plan {
            file: file.into(),
            text: text.into(),
            raw,
        })
    }

    /// An error pointing at a span of the plan.
    pub fn error_at(
        &self,
        span: std::ops::Range<usize>,
        context: String,
        message: String,
    ) -> InputError {
        let (l, c) = line_col(&self.text, span.start);
        InputError {
            file: self.file.clone(),
            line: Some(l),
            column: Some(c.to_string()),
            context: Some(context),
            message,
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The key whose value starts at (or before, on the same line) a byte offset: the last
/// `key =` on the line before the offset.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    let eq = before.rfind('=')?;
    let key: String = before[..eq]
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-' || *c == '.')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    (!key.is_empty()).then_some(key)
}

/// The `[table]` or `[[array]]` header above a byte offset, e.g. `[[ec2]] (line 7)`.
fn enclosing_table(text: &str, offset: usize) -> Option<String> {
    let before = &text[..offset.min(text.len())];
    let total = before.matches('\n').count() + 1;
    before
        .split('\n')
        .rev()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with('['))
        .map(|(i, l)| format!("{} (line {})", l.trim(), total - i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Plan::parse("plan.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn unknown_key_points_at_line_and_column() {
        let e = err(
            "region = \"us-east-1\"\n\n[[ec2]]\nname = \"web\"\ninstance_type = \"m5.large\"\ninstanse = 3\n",
        );
        assert!(
            e.starts_with("plan.toml:6:1: in [[ec2]] (line 3): unknown field `instanse`"),
            "{e}"
        );
    }

    #[test]
    fn negative_and_non_numeric_quantities() {
        let e = err("[[s3]]\nname = \"b\"\nstorage_gb = -5\n");
        assert!(
            e.contains("plan.toml:3:14") && e.contains("non-negative") && e.contains("-5"),
            "{e}"
        );
        let e = err("[[s3]]\nname = \"b\"\nstorage_gb = \"abc\"\n");
        assert!(e.contains("plan.toml:3:14") && e.contains("\"abc\""), "{e}");
        let e = err("[[s3]]\nname = \"b\"\nstorage_gb = true\n");
        assert!(e.contains("non-negative number"), "{e}");
        let e = err("[[ec2]]\nname = \"w\"\ninstance_type = \"m5.large\"\ncount = -1\n");
        assert!(e.contains("whole number"), "{e}");
    }

    #[test]
    fn bad_enum_names_the_choices() {
        let e = err("[[ec2]]\nname = \"w\"\ninstance_type = \"m5.large\"\nos = \"beos\"\n");
        assert!(
            e.contains("plan.toml:4:6") && e.contains("`linux`, `windows`"),
            "{e}"
        );
    }

    #[test]
    fn floats_keep_what_was_written() {
        let p = Plan::parse("p", "hours_per_month = 720.5\n").unwrap();
        assert_eq!(
            p.raw.hours_per_month.unwrap().into_inner().0.to_string(),
            "720.5"
        );
    }
}
