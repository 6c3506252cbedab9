//! Metrics as AWS writes them: the JSON of `aws cloudwatch get-metric-data`, one file or a
//! directory of them (a page a file, or a file holding a JSON array of pages), read into the
//! metrics contract (`crate::metrics`) that right-sizing and idle detection use.
//!
//! # Which instance and metric a result is
//!
//! A result is known by its query `Id`, which the query file gives (docs/metrics.md has the
//! AWS CLI commands): `<metric>_<instance id with "-" written "_">`, e.g. `cpu_max_i_0abc12` for
//! the `Maximum` of `CPUUtilization` of `i-0abc12`. The metrics ([`METRICS`]): `cpu_max`,
//! `cpu_avg` (required, percent), `mem_max` (the CloudWatch agent's `mem_used_percent`),
//! `net_in`, `net_out` (bytes, `Sum`), `ebs_read_ops`, `ebs_write_ops`, `ebs_read_bytes`,
//! `ebs_write_bytes` (`Sum`), `cpu_credits` (`CPUCreditBalance`).
//!
//! # Hours
//!
//! Datapoints are summed into clock hours as the contract has them: the highest maximum, the
//! mean of the averages, the sums added, the last credit balance. A period shorter than an hour
//! (300 s) is folded so; longer periods are not hourly data and are refused.
//!
//! # Type and region
//!
//! CloudWatch does not say an instance's type or region: they come from the usage file's EC2 rows
//! (a CUR, FOCUS or this project's format) or from an inventory (the JSON of
//! `aws ec2 describe-instances`). An instance neither knows is set aside, counted, with the reason.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::Deserialize;

use super::UsageError;
use super::metrics::MetricsRead;
use crate::metrics::{HourSample, InstanceSeries};

/// An instance's type and region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placement {
    /// Instance type, e.g. `m5.large`.
    pub instance_type: String,
    /// Region code.
    pub region: String,
}

/// Instance id → its type and region.
pub type Placements = HashMap<String, Placement>;

/// How an hour's datapoints of one metric are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fold {
    Max,
    Mean,
    Sum,
    Last,
}

/// Which sample field a metric fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Field {
    CpuMax,
    CpuAvg,
    Mem,
    NetIn,
    NetOut,
    EbsReadOps,
    EbsWriteOps,
    EbsReadBytes,
    EbsWriteBytes,
    Credits,
}

/// The metrics a query `Id` may name: its prefix, the field, how an hour folds, the largest value
/// allowed (percentages are 0 to 100).
const METRICS: &[(&str, Field, Fold, f64)] = &[
    ("cpu_max", Field::CpuMax, Fold::Max, 100.0),
    ("cpu_avg", Field::CpuAvg, Fold::Mean, 100.0),
    ("mem_max", Field::Mem, Fold::Max, 100.0),
    ("net_in", Field::NetIn, Fold::Sum, f64::MAX),
    ("net_out", Field::NetOut, Fold::Sum, f64::MAX),
    ("ebs_read_ops", Field::EbsReadOps, Fold::Sum, f64::MAX),
    ("ebs_write_ops", Field::EbsWriteOps, Fold::Sum, f64::MAX),
    ("ebs_read_bytes", Field::EbsReadBytes, Fold::Sum, f64::MAX),
    ("ebs_write_bytes", Field::EbsWriteBytes, Fold::Sum, f64::MAX),
    ("cpu_credits", Field::Credits, Fold::Last, f64::MAX),
];

#[derive(Deserialize)]
#[serde(untagged)]
enum Pages {
    One(Page),
    Many(Vec<Page>),
}

#[derive(Deserialize)]
struct Page {
    #[serde(rename = "MetricDataResults")]
    results: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Timestamps", default)]
    timestamps: Vec<String>,
    #[serde(rename = "Values", default)]
    values: Vec<f64>,
}

/// Whether `path` is get-metric-data output: a `.json` file, or a directory of them.
pub fn is_get_metric_data(path: &Path) -> bool {
    let json = |p: &Path| {
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    };
    if path.is_dir() {
        std::fs::read_dir(path).is_ok_and(|mut d| d.any(|e| e.is_ok_and(|e| json(&e.path()))))
    } else {
        json(path)
    }
}

/// The files to read: `path`, or the `.json` files of a directory in name order.
fn files(path: &Path) -> Result<Vec<std::path::PathBuf>, UsageError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut v: Vec<_> = std::fs::read_dir(path)
        .map_err(|e| unreadable(path, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        })
        .collect();
    v.sort();
    Ok(v)
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> UsageError {
    UsageError::Unreadable {
        file: path.display().to_string(),
        message: e.to_string(),
    }
}

fn layout(path: &Path, message: String) -> UsageError {
    UsageError::Layout {
        file: path.display().to_string(),
        message,
    }
}

/// A query `Id` as (field, fold, largest value, instance id).
fn parse_id(id: &str) -> Option<(Field, Fold, f64, String)> {
    METRICS.iter().find_map(|(prefix, field, fold, max)| {
        let rest = id.strip_prefix(prefix)?.strip_prefix('_')?;
        let hex = rest.strip_prefix("i_")?;
        (!hex.is_empty() && hex.chars().all(|c| c.is_ascii_alphanumeric()))
            .then(|| (*field, *fold, *max, format!("i-{hex}")))
    })
}

/// One hour of one metric being folded: (value, count, latest timestamp).
type Acc = (f64, u32, DateTime<Utc>);

/// (instance, hour) → each metric's fold of the hour.
type Hours = BTreeMap<(String, DateTime<Utc>), BTreeMap<Field, (Fold, Acc)>>;

/// Reads get-metric-data output into hourly series, keeping the last `lookback_days` days before
/// the newest hour; `placements` gives each instance's type and region.
pub fn read_get_metric_data(
    path: &Path,
    lookback_days: u32,
    placements: &Placements,
) -> Result<MetricsRead, UsageError> {
    let mut out = MetricsRead::default();
    // (instance, hour) → field → folded value.
    let mut hours = Hours::new();
    let list = files(path)?;
    if list.is_empty() {
        return Err(layout(
            path,
            "no .json files of `aws cloudwatch get-metric-data` output here".into(),
        ));
    }
    for file in &list {
        let text = std::fs::read_to_string(file).map_err(|e| unreadable(file, e))?;
        let pages = match serde_json::from_str::<Pages>(&text) {
            Ok(Pages::One(p)) => vec![p],
            Ok(Pages::Many(v)) => v,
            Err(e) => {
                return Err(layout(
                    file,
                    format!(
                        "not the output of `aws cloudwatch get-metric-data` (a JSON object with `MetricDataResults`, or an array of them): {e}"
                    ),
                ));
            }
        };
        for (p, page) in pages.iter().enumerate() {
            for (r, s) in page.results.iter().enumerate() {
                let at = format!("page {}, MetricDataResults[{r}] (Id `{}`)", p + 1, s.id);
                let Some((field, fold, max, instance)) = parse_id(&s.id) else {
                    return Err(layout(
                        file,
                        format!(
                            "{at}: expected an Id `<metric>_<instance id, - written _>` such as `cpu_max_i_0abc12`, with <metric> one of {}",
                            METRICS.iter().map(|m| m.0).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                };
                if s.timestamps.len() != s.values.len() {
                    return Err(layout(
                        file,
                        format!(
                            "{at}: {} timestamps and {} values; expected one value per timestamp",
                            s.timestamps.len(),
                            s.values.len()
                        ),
                    ));
                }
                for (i, (ts, v)) in s.timestamps.iter().zip(&s.values).enumerate() {
                    out.rows_read += 1;
                    let Ok(t) = DateTime::parse_from_rfc3339(ts) else {
                        return Err(layout(
                            file,
                            format!(
                                "{at}, Timestamps[{i}]: expected an ISO 8601 time such as 2026-10-01T00:00:00+00:00, found `{ts}`"
                            ),
                        ));
                    };
                    let t = t.with_timezone(&Utc);
                    if !(0.0..=max).contains(v) {
                        let what = if max <= 100.0 {
                            "a percentage from 0 to 100"
                        } else {
                            "a non-negative number"
                        };
                        *out.rejected
                            .entry(format!("Values: expected {what}"))
                            .or_default() += 1;
                        continue;
                    }
                    let Ok(hour) = t.duration_trunc(TimeDelta::hours(1)) else {
                        continue;
                    };
                    let slot = hours
                        .entry((instance.clone(), hour))
                        .or_default()
                        .entry(field)
                        .or_insert((fold, (0.0, 0, t)));
                    let acc = &mut slot.1;
                    match fold {
                        Fold::Max => acc.0 = if acc.1 == 0 { *v } else { acc.0.max(*v) },
                        Fold::Mean | Fold::Sum => acc.0 += v,
                        Fold::Last => {
                            if acc.1 == 0 || t >= acc.2 {
                                acc.0 = *v;
                            }
                        }
                    }
                    acc.1 += 1;
                    acc.2 = acc.2.max(t);
                }
            }
        }
    }
    let Some(newest) = hours.keys().map(|(_, h)| *h).max() else {
        return Ok(out);
    };
    let from = newest - TimeDelta::days(i64::from(lookback_days));
    let mut series: BTreeMap<String, InstanceSeries> = BTreeMap::new();
    for ((instance, hour), fields) in hours {
        let n: u64 = fields.values().map(|(_, a)| u64::from(a.1)).sum();
        if hour < from {
            continue;
        }
        let value = |f: Field| {
            fields.get(&f).map(|(fold, (v, count, _))| match fold {
                Fold::Mean => v / f64::from(*count),
                _ => *v,
            })
        };
        let (Some(cpu_max), Some(cpu_avg)) = (value(Field::CpuMax), value(Field::CpuAvg)) else {
            *out.rejected
                .entry(
                    "an hour without both cpu_max and cpu_avg (CPUUtilization Maximum and Average)"
                        .into(),
                )
                .or_default() += n;
            continue;
        };
        let Some(place) = placements.get(&instance) else {
            *out.rejected
                .entry("an instance whose type and region neither the usage file nor the inventory gives".into())
                .or_default() += n;
            continue;
        };
        let sample = HourSample {
            hour,
            cpu_max_pct: cpu_max,
            cpu_avg_pct: cpu_avg,
            mem_max_pct: value(Field::Mem),
            net_in_bytes: value(Field::NetIn),
            net_out_bytes: value(Field::NetOut),
            ebs_read_ops: value(Field::EbsReadOps),
            ebs_write_ops: value(Field::EbsWriteOps),
            ebs_read_bytes: value(Field::EbsReadBytes),
            ebs_write_bytes: value(Field::EbsWriteBytes),
            cpu_credit_balance: value(Field::Credits),
        };
        series
            .entry(instance.clone())
            .or_insert_with(|| InstanceSeries {
                resource_id: instance,
                region: place.region.clone(),
                instance_type: place.instance_type.clone(),
                samples: Vec::new(),
            })
            .samples
            .push(sample);
    }
    out.series = series.into_values().collect();
    Ok(out)
}

#[derive(Deserialize)]
struct Reservations {
    #[serde(rename = "Reservations")]
    reservations: Vec<Reservation>,
}

#[derive(Deserialize)]
struct Reservation {
    #[serde(rename = "Instances", default)]
    instances: Vec<Instance>,
}

#[derive(Deserialize)]
struct Instance {
    #[serde(rename = "InstanceId")]
    id: String,
    #[serde(rename = "InstanceType")]
    instance_type: String,
    #[serde(rename = "Placement")]
    placement: Option<InstancePlacement>,
}

#[derive(Deserialize)]
struct InstancePlacement {
    #[serde(rename = "AvailabilityZone")]
    zone: Option<String>,
}

/// The instances of an inventory: the JSON of `aws ec2 describe-instances` (one file, or an array
/// of them, one per region). A zone's region is the longest region code of `regions` it starts
/// with (`us-east-1a`, and the Local Zone `us-east-1-bos-1a`, are in us-east-1).
pub fn read_describe_instances(path: &Path, regions: &[&str]) -> Result<Placements, UsageError> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Doc {
        One(Reservations),
        Many(Vec<Reservations>),
    }
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(path, e))?;
    let docs = match serde_json::from_str::<Doc>(&text) {
        Ok(Doc::One(d)) => vec![d],
        Ok(Doc::Many(v)) => v,
        Err(e) => {
            return Err(layout(
                path,
                format!(
                    "not the output of `aws ec2 describe-instances` (an object with `Reservations[].Instances[]`): {e}"
                ),
            ));
        }
    };
    let mut out = Placements::new();
    for d in docs {
        for i in d.reservations.into_iter().flat_map(|r| r.instances) {
            let zone = i.placement.and_then(|p| p.zone).unwrap_or_default();
            let Some(region) = regions
                .iter()
                .filter(|r| zone.starts_with(**r))
                .max_by_key(|r| r.len())
            else {
                return Err(layout(
                    path,
                    format!(
                        "instance {}: Placement.AvailabilityZone `{zone}` is in no region the catalog knows",
                        i.id
                    ),
                ));
            };
            out.insert(
                i.id,
                Placement {
                    instance_type: i.instance_type,
                    region: region.to_string(),
                },
            );
        }
    }
    Ok(out)
}

/// The instances a usage read bills, with the type and region of their EC2 usage (the latest
/// day's, when an instance changed type).
pub fn placements_of(read: &super::UsageRead) -> Placements {
    let mut latest: HashMap<String, (chrono::NaiveDate, Placement)> = HashMap::new();
    for d in read.days.iter().filter(|d| d.key.service == "ec2") {
        let p = Placement {
            instance_type: d.key.attr.to_string(),
            region: d.key.region.to_string(),
        };
        match latest.get_mut(d.resource_id.as_str()) {
            Some(e) if e.0 > d.day => {}
            Some(e) => *e = (d.day, p),
            None => {
                latest.insert(d.resource_id.to_string(), (d.day, p));
            }
        }
    }
    latest.into_iter().map(|(k, (_, p))| (k, p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn placements() -> Placements {
        [(
            "i-0abc12".to_string(),
            Placement {
                instance_type: "m5.xlarge".into(),
                region: "us-east-1".into(),
            },
        )]
        .into()
    }

    /// Five-minute datapoints fold into hours (the highest maximum, the mean of averages, the
    /// sums added), newest first as the CLI writes them; an instance nobody places is counted
    /// aside, and an unknown Id is an error naming it.
    #[test]
    fn get_metric_data_folds_into_hours() {
        let d = tempfile::tempdir().unwrap();
        let f = write(
            d.path(),
            "cw.json",
            r#"{"MetricDataResults": [
              {"Id": "cpu_max_i_0abc12", "Label": "CPUUtilization", "StatusCode": "Complete",
               "Timestamps": ["2026-10-01T01:05:00+00:00", "2026-10-01T00:10:00+00:00", "2026-10-01T00:05:00+00:00"],
               "Values": [50.0, 40.0, 70.0]},
              {"Id": "cpu_avg_i_0abc12", "Label": "CPUUtilization",
               "Timestamps": ["2026-10-01T01:05:00Z", "2026-10-01T00:10:00Z", "2026-10-01T00:05:00Z"],
               "Values": [20.0, 10.0, 30.0]},
              {"Id": "net_in_i_0abc12", "Timestamps": ["2026-10-01T00:10:00Z", "2026-10-01T00:05:00Z"],
               "Values": [1000, 500]},
              {"Id": "cpu_max_i_0def34", "Timestamps": ["2026-10-01T00:05:00Z"], "Values": [5]},
              {"Id": "cpu_avg_i_0def34", "Timestamps": ["2026-10-01T00:05:00Z"], "Values": [101]}
            ], "Messages": []}"#,
        );
        let r = read_get_metric_data(&f, 14, &placements()).unwrap();
        assert_eq!(r.rows_read, 10);
        assert_eq!(r.series.len(), 1);
        let s = &r.series[0];
        assert_eq!(
            (s.instance_type.as_str(), s.region.as_str()),
            ("m5.xlarge", "us-east-1")
        );
        assert_eq!(s.samples.len(), 2);
        assert_eq!(s.samples[0].cpu_max_pct, 70.0);
        assert_eq!(s.samples[0].cpu_avg_pct, 20.0);
        assert_eq!(s.samples[0].net_in_bytes, Some(1500.0));
        assert_eq!(s.samples[1].cpu_max_pct, 50.0);
        assert_eq!(s.samples[1].net_in_bytes, None);
        assert_eq!(r.rejected.values().sum::<u64>(), 2, "{:?}", r.rejected);
        let bad = write(
            d.path(),
            "bad.json",
            r#"{"MetricDataResults": [{"Id": "m1", "Timestamps": [], "Values": []}]}"#,
        );
        let e = read_get_metric_data(&bad, 14, &placements())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("Id `m1`") && e.contains("cpu_max_i_0abc12"),
            "{e}"
        );
        assert!(is_get_metric_data(d.path()) && is_get_metric_data(&f));
    }

    #[test]
    fn describe_instances_places_instances_in_regions() {
        let d = tempfile::tempdir().unwrap();
        let f = write(
            d.path(),
            "i.json",
            r#"{"Reservations": [{"Instances": [
                {"InstanceId": "i-1", "InstanceType": "m5.large", "Placement": {"AvailabilityZone": "us-east-1a"}},
                {"InstanceId": "i-2", "InstanceType": "c5.large", "Placement": {"AvailabilityZone": "us-east-1-bos-1a"}}
            ]}]}"#,
        );
        let p = read_describe_instances(&f, &["us-east-1", "us-east-2"]).unwrap();
        assert_eq!(p["i-1"].instance_type, "m5.large");
        assert_eq!(p["i-2"].region, "us-east-1");
        let e = read_describe_instances(&f, &["eu-west-1"])
            .unwrap_err()
            .to_string();
        assert!(e.contains("i-1") && e.contains("us-east-1a"), "{e}");
    }
}
