//! The reserved instances a billing file itself shows. A CUR bills a reservation each month as
//! `RIFee` rows (the recurring fee of its hours, with its ARN, count, upfront value, start and
//! end) and the usage it covered as `DiscountedUsage` rows at no cost; the bill applies them as
//! a commitments file's (`bill::contracts`), so that the re-priced EC2 figure compares like
//! with like. Read here as the file's text; `bill::contracts` makes them commitments.

use std::path::Path;

use polars::prelude::*;

use super::UsageError;
use super::columns::{open, text, unreadable};
use super::layouts::{self, Layout};

/// One reservation, as the file's `RIFee` rows of it give it (texts, as written).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileReservation {
    /// The reservation's ARN.
    pub arn: String,
    /// The region code (`product/regionCode` or `product_region`), when given.
    pub region: Option<String>,
    /// The availability zone of a zonal reservation.
    pub availability_zone: Option<String>,
    /// The usage type of its fee (`HeavyUsage:c5.large`, maybe with a region prefix).
    pub usage_type: String,
    /// The operation (`RunInstances`, `RunInstances:0002`…), naming the platform.
    pub operation: Option<String>,
    /// Instances reserved.
    pub count: Option<String>,
    /// Recurring fee per instance-hour (`lineItem/UnblendedRate`).
    pub hourly_rate: Option<String>,
    /// The upfront price paid for the reservation.
    pub upfront: Option<String>,
    /// Start and end (RFC 3339).
    pub start: Option<String>,
    /// End (RFC 3339).
    pub end: Option<String>,
    /// `standard` or `convertible`, when given.
    pub offering_class: Option<String>,
    /// `No Upfront`, `Partial Upfront` or `All Upfront`, when given.
    pub purchase_option: Option<String>,
}

/// The column names of each field in CUR 1.0 and in CUR 2.0 / the legacy Parquet layout.
const COLUMNS: [(&str, &[&str]); 13] = [
    (
        "line_type",
        &["lineItem/LineItemType", "line_item_line_item_type"],
    ),
    ("arn", layouts::RESERVATION_ARN),
    (
        "region",
        &[
            "product/regionCode",
            "product_region_code",
            "product/region",
            "product_region",
        ],
    ),
    (
        "availability_zone",
        &[
            "reservation/AvailabilityZone",
            "reservation_availability_zone",
            "lineItem/AvailabilityZone",
            "line_item_availability_zone",
        ],
    ),
    (
        "usage_type",
        &["lineItem/UsageType", "line_item_usage_type"],
    ),
    ("operation", &["lineItem/Operation", "line_item_operation"]),
    (
        "count",
        &[
            "reservation/NumberOfReservations",
            "reservation_number_of_reservations",
        ],
    ),
    (
        "hourly_rate",
        &["lineItem/UnblendedRate", "line_item_unblended_rate"],
    ),
    (
        "upfront",
        &["reservation/UpfrontValue", "reservation_upfront_value"],
    ),
    (
        "start",
        &["reservation/StartTime", "reservation_start_time"],
    ),
    ("end", &["reservation/EndTime", "reservation_end_time"]),
    (
        "offering_class",
        &["pricing/OfferingClass", "pricing_offering_class"],
    ),
    (
        "purchase_option",
        &["pricing/PurchaseOption", "pricing_purchase_option"],
    ),
];

/// The reservations of a CUR file's `RIFee` rows, one per ARN (the latest row's texts); empty
/// for a file of another layout or without reservation columns.
pub fn reservations(path: &Path) -> Result<Vec<FileReservation>, UsageError> {
    let file = path.display().to_string();
    let opened = open(path)?;
    let mut lf = opened.lf.clone();
    let schema = lf.collect_schema().map_err(|e| unreadable(&file, e))?;
    let columns: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    if !matches!(Layout::detect(&columns), Some(Layout::Cur1 | Layout::Cur2)) {
        return Ok(Vec::new());
    }
    let exprs: Vec<Expr> = COLUMNS
        .iter()
        .map(
            |(name, spellings)| match super::columns::find(&schema, spellings) {
                Some(actual) => text(&schema, &actual).alias(*name),
                None => lit(NULL).cast(DataType::String).alias(*name),
            },
        )
        .collect();
    if super::columns::find(&schema, COLUMNS[1].1).is_none() {
        return Ok(Vec::new());
    }
    let df = lf
        .select(exprs)
        .filter(
            col("line_type")
                .eq(lit("RIFee"))
                .and(col("arn").is_not_null()),
        )
        .collect()
        .map_err(|e| unreadable(&file, e))?;
    let get = |name: &str| -> Result<Vec<Option<String>>, UsageError> {
        Ok(df
            .column(name)
            .and_then(|c| c.str().cloned())
            .map_err(|e| unreadable(&file, e))?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    };
    let [
        arn,
        region,
        availability_zone,
        usage_type,
        operation,
        count,
        hourly_rate,
        upfront,
        start,
        end,
        offering_class,
        purchase_option,
    ] = [
        "arn",
        "region",
        "availability_zone",
        "usage_type",
        "operation",
        "count",
        "hourly_rate",
        "upfront",
        "start",
        "end",
        "offering_class",
        "purchase_option",
    ]
    .map(get);
    let (arn, usage_type) = (arn?, usage_type?);
    let (region, availability_zone, operation, count) =
        (region?, availability_zone?, operation?, count?);
    let (hourly_rate, upfront, start, end) = (hourly_rate?, upfront?, start?, end?);
    let (offering_class, purchase_option) = (offering_class?, purchase_option?);
    let mut by_arn: std::collections::BTreeMap<String, FileReservation> = Default::default();
    for i in 0..df.height() {
        let Some(a) = arn[i].clone() else { continue };
        by_arn.insert(
            a.clone(),
            FileReservation {
                arn: a,
                region: region[i].clone(),
                availability_zone: availability_zone[i].clone(),
                usage_type: usage_type[i].clone().unwrap_or_default(),
                operation: operation[i].clone(),
                count: count[i].clone(),
                hourly_rate: hourly_rate[i].clone(),
                upfront: upfront[i].clone(),
                start: start[i].clone(),
                end: end[i].clone(),
                offering_class: offering_class[i].clone(),
                purchase_option: purchase_option[i].clone(),
            },
        );
    }
    Ok(by_arn.into_values().collect())
}
