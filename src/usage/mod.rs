//! Usage files: a month of real usage read into aggregates the bill engine prices. Three layouts
//! (detected by their columns, `layouts.rs`): this project's own (docs/usage-format.md), AWS's
//! Cost and Usage Reports (CUR 1.0 CSV, CUR 2.0 and the legacy Athena Parquet layout) and FinOps
//! FOCUS exports. This is the one place polars is used; what leaves the module is plain Rust with
//! `Decimal` quantities (`UsageRead`): the engine never sees polars.
//!
//! # A row's way through
//!
//! Take a CUR 2.0 row: `line_item_product_code = AmazonEC2`, `line_item_usage_type =
//! APN2-BoxUsage:m5.large`, `line_item_operation = RunInstances`, 1.0 hour, resource `i-0abc`.
//! 1. `read::read_usage` opens the file (CSV, gzipped CSV, Parquet: `columns.rs`, which also
//!    reads text, times and quantities for every layout), detects its layout (`layouts::Layout`)
//!    and takes the layout's `first_pass::FirstPass`: which columns say what a row is (its key
//!    columns: product, usage type, operation, line item type, region, zone, resource, instance
//!    type...) and where its times, quantity and billed cost are.
//! 2. `first_pass::aggregate` reads the file once (`groups.rs`: CSV lines split by hand, Parquet
//!    key columns as dictionary codes with `parquet_keys.rs`). The row's key fields name its
//!    series (in a hash map: `keys.rs` encodes them), and its hour is added to the series' day;
//!    its cost to the series' cost. Parsing its times and amount is all the per-row work.
//! 3. Each distinct combination of key fields (a few hundred in a file of millions of rows) is
//!    made canonical as a row would be. `layouts::with_billing_prelude` numbers (product, usage
//!    type, operation) through the usage-type table (`usage_types.rs`, data in
//!    `usage-types.toml`): `ec2`, `instance-seconds`, m5.large, Linux, on-demand, and the region
//!    the prefix names (ap-northeast-2). `layouts::billing_columns` gives every layout the same
//!    canonical columns (this project's format: `layouts::own_key_columns`). `checks.rs` then
//!    tests it in order (region, service, usage type, instance type...): the first test that
//!    holds is its reason. A reason about what the row is (a service cloudcost does not price)
//!    *carries* it at its billed cost; a reason about the row itself (a time that does not
//!    parse) *rejects* it; charges (tax, credits, fees) are kept as billed. Whether the catalog
//!    has the price is asked last, once per key (`checks::PriceCheck`).
//! 4. The series that pass are summed by day, resource and canonical key into `ResourceDay`s
//!    (`first_pass::fast_days`; a billing file's EC2 hours in seconds, `days.rs`). A resource
//!    with a row that needs more (a bad row, a charge, a row carried at its billed cost, an EC2
//!    run under the 60-second minimum or Windows' started hours in this project's format...)
//!    takes the per-row path instead (`read.rs`): all of its rows, through the same expressions
//!    of step 3 row by row, in order, with their row numbers for the rejects. EC2 usage by clock
//!    hour (commitments, spot prices) is summed in step 2 (`ec2_hours.rs`) or by a query.
//! 5. `bill::engine` prices the resource-days; `reservations.rs` gives the file's own reserved
//!    instances to `bill::contracts`.
//!
//! BENCHMARKS.md measures the whole against DuckDB on each layout.
//!
//! Beside the bill: `attribution.rs` (accounts and tags), `inventory.rs` (the resources for
//! recommendations), `metrics.rs` (utilization files).

pub mod attribution;
mod checks;
pub mod cloudwatch;
mod columns;
pub mod compute_optimizer;
pub mod costs;
mod days;
mod ec2_hours;
mod first_pass;
mod focus;
mod groups;
pub mod inventory;
mod keys;
mod layouts;
pub mod metrics;
mod parquet_keys;
mod read;
mod reservations;
pub mod usage_types;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use compact_str::CompactString;
use rust_decimal::Decimal;

use crate::catalog::Os;

pub use read::read_usage;
pub use reservations::{FileReservation, reservations};

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
    /// Address-hours a billing file bills as idle (associated with nothing), by address and
    /// region.
    pub idle_address_hours: BTreeMap<(CompactString, CompactString), Decimal>,
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
    /// A charge billed once for a period longer than a day (a month's tax, a reservation's
    /// monthly fee), dated on the period's first day.
    pub period_charge: bool,
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
