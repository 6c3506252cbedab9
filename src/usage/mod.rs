//! Usage files: reading a month of real usage (this project's format; AWS CUR and FOCUS to come)
//! into aggregates the bill engine prices.
//!
//! This is the one place polars is used: it scans the file (CSV, gzipped CSV, Parquet), validates
//! every row (a bad row is set aside with its reason, never dropped silently), applies the EC2
//! billing rules that need row order (the 60-second minimum per run for Linux, whole hours for
//! Windows), and sums quantities by day, resource and price key. The types it returns are plain
//! Rust with `Decimal` quantities: the engine never sees polars.
//!
//! For files in this project's own format, `aggregate` sums first and validates the sums (far
//! fewer than rows); only the resources that need row-by-row treatment (a bad row, a run that
//! may be under the 60-second minimum, ...) go through the per-row path in `scan`.

mod aggregate;
pub mod attribution;
mod ec2_hours;
mod focus;
mod formats;
pub mod inventory;
pub mod metrics;
mod parquet_keys;
mod pregroup;
mod reservations;
mod scan;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use compact_str::CompactString;
use rust_decimal::Decimal;

use crate::catalog::{Catalog, Ec2Model, Os};
use crate::pricing::StorageClass;

pub use reservations::{FileReservation, reservations};
pub use scan::read_usage;

/// The services of the usage format, and each one's usage types.
pub const USAGE_TYPES: &[(&str, &[&str])] = &[
    ("ec2", &["instance-seconds"]),
    (
        "ebs",
        &[
            "volume-gb-hours",
            "volume-iops-hours",
            "volume-throughput-hours",
            "volume-io-requests",
            "snapshot-gb-hours",
            "volume-gb-months",
            "volume-iops-months",
            "volume-throughput-months",
            "snapshot-gb-months",
        ],
    ),
    (
        "s3",
        &[
            "storage-gb-hours",
            "storage-gb-months",
            "put-requests",
            "get-requests",
            "retrieval-gb",
        ],
    ),
    (
        "lambda",
        &["requests", "gb-seconds", "ephemeral-gb-seconds"],
    ),
    (
        "data_transfer",
        &[
            "internet-out-gb",
            "internet-in-gb",
            "inter-az-gb",
            "regional-gb",
            "inter-region-gb",
        ],
    ),
    ("public_ipv4", &["ip-hours"]),
];

/// Columns every file of this project's format must have.
pub const REQUIRED_COLUMNS: &[&str] = &[
    "usage_start",
    "usage_end",
    "region",
    "service",
    "usage_type",
    "resource_id",
    "quantity",
];

/// Optional columns.
pub const OPTIONAL_COLUMNS: &[&str] = &[
    "account_id",
    "availability_zone",
    "instance_type",
    "os",
    "purchase_option",
    "volume_type",
    "storage_class",
    "architecture",
    "destination_region",
    "tags",
    "created_at",
];

/// The price-relevant identity of a usage aggregate.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UsageKey {
    /// Service, e.g. `ebs`.
    pub service: CompactString,
    /// Usage type, e.g. `volume-gb-hours`.
    pub usage_type: CompactString,
    /// Region code.
    pub region: CompactString,
    /// The attribute that selects the price: instance type (ec2), volume type (ebs), storage
    /// class (s3), architecture (lambda), destination region (data transfer), or empty.
    pub attr: CompactString,
    /// Operating system (ec2).
    pub os: Os,
    /// Spot rather than on-demand (ec2).
    pub spot: bool,
    /// Availability zone, when given.
    pub az: CompactString,
}

/// Usage of one resource on one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceDay {
    /// The UTC day.
    pub day: NaiveDate,
    /// Resource id.
    pub resource_id: CompactString,
    /// What is priced (shared by the resource's days: a day is then a few words, not a copy of
    /// the key's texts).
    pub key: std::sync::Arc<UsageKey>,
    /// The sum of `quantity` over the rows.
    pub quantity: Decimal,
    /// The billable quantity (EC2: seconds after the 60-second minimum and Windows whole hours;
    /// otherwise equal to `quantity`).
    pub billable: Decimal,
    /// Input rows summed here.
    pub rows: u64,
}

/// EC2 usage of one clock hour, for applying commitments and hourly spot prices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ec2Hour {
    /// Start of the clock hour (UTC).
    pub hour: DateTime<Utc>,
    /// The instance, for spot usage (each pays its own hour's price); empty for on-demand usage,
    /// which is summed over instances because commitments apply to the hour's total.
    pub resource_id: CompactString,
    /// What is priced (attr is the instance type), shared by the key's hours.
    pub key: std::sync::Arc<UsageKey>,
    /// Billable instance-seconds.
    pub seconds: Decimal,
}

/// What reading a usage file gave.
#[derive(Clone, Debug, Default)]
pub struct UsageRead {
    /// The file's format.
    pub format: String,
    /// Data rows read.
    pub rows_read: u64,
    /// Accepted usage, by day and resource.
    pub days: Vec<ResourceDay>,
    /// EC2 usage by clock hour (filled when commitments or hourly spot prices need it).
    pub ec2_hours: Vec<Ec2Hour>,
    /// Rejected rows by reason.
    pub rejected: BTreeMap<String, u64>,
    /// The first rejected row: (row number, reason, the offending value when the reason names a
    /// column).
    pub first_reject: Option<(u64, String, Option<String>)>,
    /// Whether the file carries its own billed costs (CUR, FOCUS).
    pub has_billed: bool,
    /// The file's billed cost of the usage rows priced here, by service.
    pub billed_priced: BTreeMap<String, Decimal>,
    /// The file's billed cost of the usage rows set aside.
    pub billed_rejected: Decimal,
    /// Rows that are not usage (tax, credits, refunds, fees…): billed cost and rows, by line type.
    pub charges: BTreeMap<String, (Decimal, u64)>,
    /// A billing file's rows not re-priced here, summed by day and what they are: charges, and
    /// usage carried at its billed cost (a service or usage type not modelled, a price the
    /// catalog lacks). The bill adds them as they were billed, so that its total is the file's.
    pub billed_days: Vec<BilledDay>,
}

/// Rows of a billing file taken at their billed cost, summed by day and by what they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BilledDay {
    /// The UTC day.
    pub day: NaiveDate,
    /// AWS's product code (`AmazonRDS`, `AWSGlue`…).
    pub product: CompactString,
    /// Region code, when the row has one the catalog knows.
    pub region: CompactString,
    /// Resource id (or the usage type, for rows without one).
    pub resource_id: CompactString,
    /// The usage type, its region prefix stripped.
    pub usage_type: CompactString,
    /// `usage`, or the line item type of a charge (`Tax`, `Credit`, `RIFee`…).
    pub line_type: CompactString,
    /// Why usage is carried rather than re-priced; `None` for a charge.
    pub reason: Option<String>,
    /// Whether `quantity` is EC2 instance-seconds (a billing file's hours, times 3600).
    pub ec2_seconds: bool,
    /// The usage amount.
    pub quantity: Decimal,
    /// The file's cost of the rows.
    pub billed: Decimal,
    /// Input rows summed here.
    pub rows: u64,
}

impl UsageRead {
    /// Rows accepted and priced.
    pub fn rows_priced(&self) -> u64 {
        // (On all threads: a big file has hundreds of thousands of days.)
        use rayon::prelude::*;
        self.days.par_iter().map(|d| d.rows).sum()
    }

    /// Rows set aside.
    pub fn rows_rejected(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// Rows that are charges, not usage.
    pub fn rows_charges(&self) -> u64 {
        self.charges.values().map(|c| c.1).sum()
    }

    /// Usage rows carried at their billed cost.
    pub fn rows_carried(&self) -> u64 {
        self.carried().map(|d| d.rows).sum()
    }

    /// The usage carried at its billed cost.
    pub fn carried(&self) -> impl Iterator<Item = &BilledDay> {
        self.billed_days.iter().filter(|d| d.reason.is_some())
    }
}

/// How to read.
#[derive(Clone, Debug, Default)]
pub struct ReadOptions {
    /// Also aggregate EC2 usage by clock hour.
    pub hourly_ec2: bool,
    /// Write rejected rows (row number, reason, raw columns) to this CSV file.
    pub rejects_path: Option<std::path::PathBuf>,
}

/// Errors reading a usage file (the file as a whole; bad rows are rejects, not errors).
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    /// The file could not be opened or read.
    #[error("{file}: {message}")]
    Unreadable {
        /// The file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// The file lacks columns or has columns of the wrong type.
    #[error("{file}: {message}")]
    Layout {
        /// The file.
        file: String,
        /// What is missing or wrong, and what was expected.
        message: String,
    },
}

/// The price keys the catalog can price, as `service|region|usage_type|attribute` strings that the
/// scan matches each row against.
pub fn priceable_keys(catalog: &Catalog) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let regions: Vec<String> = catalog.regions().map(|r| r.code.clone()).collect();
    // The prices held, not regions × types × systems: most of those have no price.
    for p in catalog.ec2_prices() {
        if p.model != Ec2Model::OnDemand {
            continue;
        }
        let (region, t, os) = (&p.region, &p.instance_type, p.os);
        keys.insert(format!("ec2|{region}|instance-seconds|{t}/{os}/on-demand"));
        if catalog.spot_estimate(region, None, t, os).is_ok() {
            keys.insert(format!("ec2|{region}|instance-seconds|{t}/{os}/spot"));
        }
    }
    for region in &regions {
        let has = |service: &str, key: &str| catalog.rate(service, region, key).is_ok();
        for vt in ["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"] {
            if has("ebs", &format!("storage/{vt}")) {
                keys.insert(format!("ebs|{region}|volume-gb-hours|{vt}"));
                keys.insert(format!("ebs|{region}|volume-gb-months|{vt}"));
            }
            if has("ebs", &format!("iops/{vt}")) {
                keys.insert(format!("ebs|{region}|volume-iops-hours|{vt}"));
                keys.insert(format!("ebs|{region}|volume-iops-months|{vt}"));
            }
            if has("ebs", &format!("throughput/{vt}")) {
                keys.insert(format!("ebs|{region}|volume-throughput-hours|{vt}"));
                keys.insert(format!("ebs|{region}|volume-throughput-months|{vt}"));
            }
        }
        if has("ebs", "io/standard") {
            keys.insert(format!("ebs|{region}|volume-io-requests|standard"));
        }
        if has("ebs", "snapshot/standard") {
            keys.insert(format!("ebs|{region}|snapshot-gb-hours|"));
            keys.insert(format!("ebs|{region}|snapshot-gb-months|"));
        }
        for class in StorageClass::ALL {
            let c = class.as_str();
            if has("s3", &class.storage_key()) {
                keys.insert(format!("s3|{region}|storage-gb-hours|{c}"));
                keys.insert(format!("s3|{region}|storage-gb-months|{c}"));
            }
            for kind in ["put", "get"] {
                if has("s3", &format!("requests/{c}/{kind}")) {
                    keys.insert(format!("s3|{region}|{kind}-requests|{c}"));
                }
            }
            if !class.has_retrieval_fee() || has("s3", &format!("retrieval/{c}")) {
                keys.insert(format!("s3|{region}|retrieval-gb|{c}"));
            }
        }
        for arch in ["x86_64", "arm64"] {
            if has("lambda", "requests") {
                keys.insert(format!("lambda|{region}|requests|{arch}"));
            }
            if has("lambda", &format!("duration/{arch}")) {
                keys.insert(format!("lambda|{region}|gb-seconds|{arch}"));
            }
            if has("lambda", "ephemeral-storage") {
                keys.insert(format!("lambda|{region}|ephemeral-gb-seconds|{arch}"));
            }
        }
        if has("data_transfer", "internet-out") {
            keys.insert(format!("data_transfer|{region}|internet-out-gb|"));
        }
        if has("data_transfer", "inter-az") {
            keys.insert(format!("data_transfer|{region}|inter-az-gb|"));
            keys.insert(format!("data_transfer|{region}|regional-gb|"));
        }
        if has("data_transfer", "internet-in") {
            keys.insert(format!("data_transfer|{region}|internet-in-gb|"));
        }
        // One price to every destination, or a price per destination (the feeds').
        let flat = has("data_transfer", "inter-region");
        if flat {
            keys.insert(format!("data_transfer|{region}|inter-region-gb|"));
        }
        for dest in &regions {
            if flat || has("data_transfer", &format!("inter-region/{dest}")) {
                keys.insert(format!("data_transfer|{region}|inter-region-gb|{dest}"));
            }
        }
        if has("vpc", "public-ipv4/in-use") {
            keys.insert(format!("public_ipv4|{region}|ip-hours|"));
        }
    }
    keys
}

/// The detected format of a usage file, from its columns.
pub fn detect_format(columns: &[String]) -> Option<&'static str> {
    let has = |c: &str| columns.iter().any(|x| x == c);
    if REQUIRED_COLUMNS.iter().all(|c| has(c)) {
        Some("cloudcost")
    } else {
        None
    }
}

/// Whether a path names a Parquet file.
pub(crate) fn is_parquet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}
