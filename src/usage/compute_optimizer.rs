//! Reading AWS Compute Optimizer's EC2 export (`aws compute-optimizer
//! export-ec2-instance-recommendations`, a CSV file in S3): each instance's utilization as Compute
//! Optimizer summarised it over its lookback, and its own finding, so that cloudcost right-sizes
//! with its rules on the same figures and says where the two agree.
//!
//! Columns are matched without regard to case (Athena tables lower-case them). Required:
//! `instanceArn` (`arn:aws:ec2:<region>:<account>:instance/<id>`: the region and id),
//! `currentInstanceType`, `utilizationMetrics_CPU_MAXIMUM`. Read when present: `accountId`,
//! `finding`, `lookbackPeriodInDays`, `utilizationMetrics_MEMORY_MAXIMUM`,
//! `utilizationMetrics_NETWORK_IN_BYTES_PER_SECOND_MAXIMUM`,
//! `utilizationMetrics_NETWORK_OUT_BYTES_PER_SECOND_MAXIMUM`,
//! `recommendationOptions_1_instanceType`, `errorCode`, `errorMessage`. Utilization values are
//! measurements (`f64`), never money.

use std::collections::BTreeMap;
use std::path::Path;

use super::UsageError;

/// The columns an export must have.
pub const REQUIRED: &[&str] = &[
    "instanceArn",
    "currentInstanceType",
    "utilizationMetrics_CPU_MAXIMUM",
];

/// Compute Optimizer's lookback when the export does not say (its default, in days).
pub const DEFAULT_LOOKBACK_DAYS: u32 = 14;

/// Compute Optimizer's verdict on an instance, as its export writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportFinding {
    /// `Overprovisioned` (`OVER_PROVISIONED` in the API).
    OverProvisioned,
    /// `Underprovisioned`.
    UnderProvisioned,
    /// `Optimized`.
    Optimized,
    /// `NotOptimized`: Compute Optimizer's finding for an instance whose type is not optimal for
    /// a reason other than its size (e.g. an older generation).
    NotOptimized,
}

impl ExportFinding {
    /// `over-provisioned`, `under-provisioned`, `optimized` or `not-optimized`: the first three
    /// are the names of cloudcost's own findings.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFinding::OverProvisioned => "over-provisioned",
            ExportFinding::UnderProvisioned => "under-provisioned",
            ExportFinding::Optimized => "optimized",
            ExportFinding::NotOptimized => "not-optimized",
        }
    }

    /// Reads `Overprovisioned`, `OVER_PROVISIONED`, `Over-provisioned`… (any case, `_`, `-` or
    /// a space between the words).
    pub fn parse(text: &str) -> Option<ExportFinding> {
        let key: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match key.as_str() {
            "overprovisioned" => Some(ExportFinding::OverProvisioned),
            "underprovisioned" => Some(ExportFinding::UnderProvisioned),
            "optimized" => Some(ExportFinding::Optimized),
            "notoptimized" => Some(ExportFinding::NotOptimized),
            _ => None,
        }
    }
}

/// One instance of the export.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportRow {
    /// Instance id, from the ARN.
    pub resource_id: String,
    /// Region code, from the ARN.
    pub region: String,
    /// Account id (`accountId`, else the ARN's).
    pub account: String,
    /// `currentInstanceType`.
    pub instance_type: String,
    /// Days Compute Optimizer looked at.
    pub lookback_days: u32,
    /// Highest CPU utilization over the lookback, percent.
    pub cpu_max_pct: f64,
    /// Highest memory utilization, percent, when the CloudWatch agent measured it.
    pub mem_max_pct: Option<f64>,
    /// Highest rate received, bytes per second.
    pub net_in_bytes_per_second: Option<f64>,
    /// Highest rate sent, bytes per second.
    pub net_out_bytes_per_second: Option<f64>,
    /// Compute Optimizer's finding, when the export has the column.
    pub finding: Option<ExportFinding>,
    /// Its first option (`recommendationOptions_1_instanceType`), when it has one.
    pub recommended_type: Option<String>,
}

/// The instances read, and the rows set aside.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExportRead {
    /// One row per instance.
    pub rows: Vec<ExportRow>,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows set aside, by reason.
    pub rejected: BTreeMap<String, u64>,
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> UsageError {
    UsageError::Unreadable {
        file: path.display().to_string(),
        message: e.to_string(),
    }
}

/// Whether `path` is a Compute Optimizer EC2 export: a CSV file whose header has `instanceArn`
/// and `currentInstanceType`.
pub fn is_export(path: &Path) -> bool {
    if !path.is_file()
        || !path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        return false;
    }
    let Ok(mut r) = csv::ReaderBuilder::new().flexible(true).from_path(path) else {
        return false;
    };
    r.headers().is_ok_and(|h| {
        let has = |c: &str| h.iter().any(|x| x.trim().eq_ignore_ascii_case(c));
        has("instanceArn") && has("currentInstanceType")
    })
}

/// `arn:aws:ec2:<region>:<account>:instance/<id>` → (region, account, id).
fn parse_arn(arn: &str) -> Option<(&str, &str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("ec2"), Some(region), Some(account), Some(res)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let id = res.strip_prefix("instance/")?;
    (!region.is_empty() && !id.is_empty()).then_some((region, account, id))
}

/// Reads an export; rows with Compute Optimizer's error (no recommendation), without a usable ARN
/// or with a utilization out of range are set aside by reason. A missing required column, or an
/// instance listed twice, is an error naming it.
pub fn read_export(path: &Path) -> Result<ExportRead, UsageError> {
    let file = path.display().to_string();
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| unreadable(path, e))?;
    let headers = r.headers().map_err(|e| unreadable(path, e))?.clone();
    let index = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|c| index(c).is_none())
        .map(|c| format!("`{c}`"))
        .collect();
    if !missing.is_empty() {
        return Err(UsageError::Layout {
            file,
            message: format!(
                "a Compute Optimizer EC2 export needs the columns {}; found none named so (export \
                 them with --fields-to-export, docs/metrics.md)",
                missing.join(", ")
            ),
        });
    }
    let col = |name: &str| index(name);
    let (arn_i, type_i, cpu_i) = (
        col("instanceArn"),
        col("currentInstanceType"),
        col("utilizationMetrics_CPU_MAXIMUM"),
    );
    let account_i = col("accountId");
    let finding_i = col("finding");
    let lookback_i = col("lookbackPeriodInDays");
    let mem_i = col("utilizationMetrics_MEMORY_MAXIMUM");
    let net_in_i = col("utilizationMetrics_NETWORK_IN_BYTES_PER_SECOND_MAXIMUM");
    let net_out_i = col("utilizationMetrics_NETWORK_OUT_BYTES_PER_SECOND_MAXIMUM");
    let rec_i = col("recommendationOptions_1_instanceType");
    let error_i = col("errorCode");

    let mut out = ExportRead::default();
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    let reject = |out: &mut ExportRead, reason: String| {
        *out.rejected.entry(reason).or_default() += 1;
    };
    for (n, record) in r.records().enumerate() {
        // Line 1 is the header.
        let line = n as u64 + 2;
        let record = record.map_err(|e| unreadable(path, format!("line {line}: {e}")))?;
        out.rows_read += 1;
        let get = |i: Option<usize>| {
            i.and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        if let Some(code) = get(error_i) {
            reject(
                &mut out,
                format!("Compute Optimizer made no recommendation (errorCode {code})"),
            );
            continue;
        }
        let Some((region, arn_account, id)) = get(arn_i).and_then(parse_arn) else {
            reject(
                &mut out,
                "`instanceArn` is not arn:aws:ec2:<region>:<account>:instance/<id>".into(),
            );
            continue;
        };
        let Some(instance_type) = get(type_i) else {
            reject(&mut out, "`currentInstanceType` is empty".into());
            continue;
        };
        let pct = |i: Option<usize>, name: &str| -> Result<Option<f64>, String> {
            match get(i) {
                None => Ok(None),
                Some(v) => match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && (0.0..=100.0).contains(&x) => Ok(Some(x)),
                    _ => Err(format!("`{name}` is not a percentage from 0 to 100")),
                },
            }
        };
        let rate = |i: Option<usize>, name: &str| -> Result<Option<f64>, String> {
            match get(i) {
                None => Ok(None),
                Some(v) => match v.parse::<f64>() {
                    Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
                    _ => Err(format!("`{name}` is not a rate of zero or more")),
                },
            }
        };
        let parsed = (|| {
            let cpu = pct(cpu_i, "utilizationMetrics_CPU_MAXIMUM")?
                .ok_or_else(|| "`utilizationMetrics_CPU_MAXIMUM` is empty".to_string())?;
            let mem = pct(mem_i, "utilizationMetrics_MEMORY_MAXIMUM")?;
            let net_in = rate(
                net_in_i,
                "utilizationMetrics_NETWORK_IN_BYTES_PER_SECOND_MAXIMUM",
            )?;
            let net_out = rate(
                net_out_i,
                "utilizationMetrics_NETWORK_OUT_BYTES_PER_SECOND_MAXIMUM",
            )?;
            let lookback = match get(lookback_i) {
                None => DEFAULT_LOOKBACK_DAYS,
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|d| d.is_finite() && *d >= 1.0 && *d <= 366.0 && d.fract() == 0.0)
                    .map(|d| d as u32)
                    .ok_or_else(|| {
                        "`lookbackPeriodInDays` is not a whole number of days".to_string()
                    })?,
            };
            let finding = match get(finding_i) {
                None => None,
                Some(f) => Some(ExportFinding::parse(f).ok_or_else(|| {
                    format!(
                        "`finding` `{f}` is not Overprovisioned, Underprovisioned, Optimized or NotOptimized"
                    )
                })?),
            };
            Ok::<_, String>((cpu, mem, net_in, net_out, lookback, finding))
        })();
        let (cpu, mem, net_in, net_out, lookback, finding) = match parsed {
            Ok(v) => v,
            Err(reason) => {
                reject(&mut out, reason);
                continue;
            }
        };
        if let Some(first) = seen.insert(id.to_string(), line) {
            return Err(UsageError::Layout {
                file,
                message: format!(
                    "line {line}: instance {id} is listed twice (first on line {first}); an export \
                     has one row per instance"
                ),
            });
        }
        out.rows.push(ExportRow {
            resource_id: id.to_string(),
            region: region.to_string(),
            account: get(account_i).unwrap_or(arn_account).to_string(),
            instance_type: instance_type.to_string(),
            lookback_days: lookback,
            cpu_max_pct: cpu,
            mem_max_pct: mem,
            net_in_bytes_per_second: net_in,
            net_out_bytes_per_second: net_out,
            finding,
            recommended_type: get(rec_i).map(str::to_string),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> std::path::PathBuf {
        let p = dir.join("co.csv");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn reads_rows_sets_aside_bad_ones_and_names_missing_columns() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            d.path(),
            "accountid,instancearn,currentinstancetype,finding,utilizationmetrics_cpu_maximum,utilizationmetrics_memory_maximum,lookbackperiodindays,recommendationoptions_1_instancetype,errorcode\n\
             111122223333,arn:aws:ec2:eu-west-1:111122223333:instance/i-1,m5.2xlarge,Overprovisioned,12.5,30,14,m5.large,\n\
             111122223333,arn:aws:ec2:eu-west-1:111122223333:instance/i-2,c5.large,UNDER_PROVISIONED,100,,32,c5.xlarge,\n\
             111122223333,arn:aws:ec2:eu-west-1:111122223333:instance/i-3,c5.large,Optimized,140,,14,,\n\
             111122223333,not-an-arn,c5.large,Optimized,40,,14,,\n\
             111122223333,arn:aws:ec2:eu-west-1:111122223333:instance/i-5,c5.large,,,,,,InsufficientData\n",
        );
        assert!(is_export(&p));
        let r = read_export(&p).unwrap();
        assert_eq!(r.rows_read, 5);
        assert_eq!(r.rows.len(), 2);
        assert_eq!(r.rows[0].region, "eu-west-1");
        assert_eq!(r.rows[0].finding, Some(ExportFinding::OverProvisioned));
        assert_eq!(r.rows[0].mem_max_pct, Some(30.0));
        assert_eq!(r.rows[1].finding, Some(ExportFinding::UnderProvisioned));
        assert_eq!(r.rows[1].lookback_days, 32);
        assert_eq!(r.rows[1].recommended_type.as_deref(), Some("c5.xlarge"));
        assert_eq!(r.rejected.values().sum::<u64>(), 3, "{:?}", r.rejected);
        assert!(
            r.rejected
                .keys()
                .any(|k| k.contains("errorCode InsufficientData"))
        );

        let p = write(d.path(), "instanceArn,finding\nx,Optimized\n");
        assert!(!is_export(&p));
        let e = read_export(&p).unwrap_err().to_string();
        assert!(
            e.contains("`currentInstanceType`") && e.contains("`utilizationMetrics_CPU_MAXIMUM`"),
            "{e}"
        );
    }
}
