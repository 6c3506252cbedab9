//! The layouts a usage file can have, detected by its columns, and how each maps onto the
//! canonical columns the scan validates and prices: this project's format, AWS Cost and Usage
//! Reports (CUR 1.0 `lineItem/UsageType` names and CUR 2.0 / Athena `line_item_usage_type`
//! names), and FinOps FOCUS 1.x exports (with AWS's `x_UsageType`, `x_ServiceCode`,
//! `x_Operation` columns).
//!
//! A CUR or FOCUS row is mapped by its product code and usage type (region prefix removed):
//! `BoxUsage:m5.large` is on-demand EC2, `EBS:VolumeUsage.gp3` gp3 storage in GB-months,
//! `TimedStorage-SIA-ByteHrs` Standard-IA storage (GB-months in the report despite the name),
//! `DataTransfer-Out-Bytes` internet egress, and so on. A usage type cloudcost does not price is
//! set aside with that reason (its billed cost stays in `billed_total`). Rows that are not usage
//! (tax, credits, refunds, fees, savings plan negation, discounts) are never re-priced: they are
//! carried as charges.

use polars::prelude::*;

use super::scan::{lower, quantity_of, text, timestamp};
use crate::catalog::Catalog;

/// A usage file layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// This project's format (docs/usage-format.md).
    Cloudcost,
    /// AWS CUR 1.0 (`lineItem/UsageType`).
    Cur1,
    /// AWS CUR 2.0, or legacy CUR in Parquet/Athena form (`line_item_usage_type`).
    Cur2,
    /// FinOps FOCUS 1.x.
    Focus,
}

impl Layout {
    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Cloudcost => "cloudcost",
            Layout::Cur1 => "aws-cur-1.0",
            Layout::Cur2 => "aws-cur-2.0",
            Layout::Focus => "focus",
        }
    }

    /// The columns this layout needs, by canonical role.
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Layout::Cloudcost => super::REQUIRED_COLUMNS,
            Layout::Cur1 => &[
                "lineItem/UsageStartDate",
                "lineItem/UsageEndDate",
                "lineItem/LineItemType",
                "lineItem/ProductCode",
                "lineItem/UsageType",
                "lineItem/UsageAmount",
                "lineItem/UnblendedCost",
            ],
            Layout::Cur2 => &[
                "line_item_usage_start_date",
                "line_item_usage_end_date",
                "line_item_line_item_type",
                "line_item_product_code",
                "line_item_usage_type",
                "line_item_usage_amount",
                "line_item_unblended_cost",
            ],
            Layout::Focus => &[
                "ChargePeriodStart",
                "ChargePeriodEnd",
                "ChargeCategory",
                "ConsumedQuantity",
                "BilledCost",
                "RegionId",
            ],
        }
    }

    /// Detects the layout from the header; `None` when it is none of them.
    pub fn detect(columns: &[String]) -> Option<Layout> {
        let has = |c: &str| columns.iter().any(|x| x.eq_ignore_ascii_case(c));
        if has("usage_start") && has("usage_type") && has("quantity") {
            Some(Layout::Cloudcost)
        } else if has("lineItem/UsageType") {
            Some(Layout::Cur1)
        } else if has("line_item_usage_type") {
            Some(Layout::Cur2)
        } else if has("ChargePeriodStart") && has("BilledCost") {
            Some(Layout::Focus)
        } else {
            None
        }
    }
}

/// The actual name of a column, matched case-insensitively (CUR 1.0 spellings vary).
pub fn find(schema: &Schema, names: &[&str]) -> Option<String> {
    for n in names {
        if let Some(actual) = schema
            .iter_names()
            .find(|c| c.as_str().eq_ignore_ascii_case(n))
        {
            return Some(actual.to_string());
        }
    }
    None
}

fn txt(schema: &Schema, names: &[&str]) -> Expr {
    match find(schema, names) {
        Some(n) => text(schema, &n),
        None => lit(NULL).cast(DataType::String),
    }
}

/// Columns a CUR or FOCUS file needs before [`billing_columns`]: the usage type without its
/// region prefix, the prefix, and the second prefix of inter-region transfer. Materialized once:
/// the canonical columns test them dozens of times, and each test would otherwise run the
/// regular expressions again on every row.
pub fn billing_prelude(layout: Layout, schema: &Schema) -> Vec<Expr> {
    let s = schema;
    let usage = match layout {
        Layout::Cur1 => txt(s, &["lineItem/UsageType"]),
        Layout::Cur2 => txt(s, &["line_item_usage_type"]),
        Layout::Focus => txt(s, &["x_UsageType", super::focus::USAGE_TYPE]),
        Layout::Cloudcost => lit(NULL).cast(DataType::String),
    };
    // Usage type without its region prefix (`APN2-BoxUsage:m5.large` → `BoxUsage:m5.large`),
    // and the prefix itself.
    let prefix_re = r"^([A-Z]{2,4}[0-9]?)-";
    let base = usage.clone().str().replace(lit(prefix_re), lit(""), false);
    vec![
        base.clone().alias(UT_BASE),
        usage.str().extract(lit(prefix_re), 1).alias(UT_PREFIX),
        // A second prefix names the other region of inter-region transfer (`USE2-USE1-AWS-Out-Bytes`).
        base.str()
            .extract(lit(r"^([A-Z]{2,4}[0-9]?)-AWS-(?:Out|In)-Bytes"), 1)
            .alias(UT_OTHER_PREFIX),
    ]
}

/// The reservation ARN column's spellings (CUR 1.0, CUR 2.0 and the legacy Parquet layout).
pub(crate) const RESERVATION_ARN: &[&str] = &[
    "reservation/ReservationARN",
    "reservation_reservation_a_r_n",
    "reservation_reservation_arn",
];

const UT_BASE: &str = "__usage_type_base";
const UT_PREFIX: &str = "__usage_type_prefix";
const UT_OTHER_PREFIX: &str = "__usage_type_other_prefix";

/// The canonical columns for a CUR or FOCUS file (after [`billing_prelude`]).
pub fn billing_columns(layout: Layout, schema: &Schema, catalog: &Catalog) -> Vec<Expr> {
    let s = schema;
    let (start, end, line_type, product, usage, operation, az, resource, qty, cost, region, itype) =
        match layout {
            Layout::Cur1 => (
                "lineItem/UsageStartDate",
                "lineItem/UsageEndDate",
                txt(s, &["lineItem/LineItemType"]),
                txt(s, &["lineItem/ProductCode"]),
                txt(s, &["lineItem/UsageType"]),
                txt(s, &["lineItem/Operation"]),
                txt(s, &["lineItem/AvailabilityZone"]),
                txt(s, &["lineItem/ResourceId"]),
                "lineItem/UsageAmount",
                "lineItem/UnblendedCost",
                txt(s, &["product/regionCode", "product/region"]),
                txt(s, &["product/instanceType"]),
            ),
            Layout::Cur2 => (
                "line_item_usage_start_date",
                "line_item_usage_end_date",
                txt(s, &["line_item_line_item_type"]),
                txt(s, &["line_item_product_code"]),
                txt(s, &["line_item_usage_type"]),
                txt(s, &["line_item_operation"]),
                txt(s, &["line_item_availability_zone"]),
                txt(s, &["line_item_resource_id"]),
                "line_item_usage_amount",
                "line_item_unblended_cost",
                txt(s, &["product_region_code", "product_region"]),
                txt(s, &["product_instance_type"]),
            ),
            _ => (
                "ChargePeriodStart",
                "ChargePeriodEnd",
                // Usage rows keep the name `Usage`; every other category is a charge.
                txt(s, &["ChargeCategory"]),
                // Other providers' services under their provider's name (carried as billed).
                when(aws_provider(txt(s, &["ProviderName"])))
                    .then(coalesce(&[
                        txt(s, &["x_ServiceCode"]),
                        service_code_from_name(txt(s, &["ServiceName"])),
                    ]))
                    .otherwise(concat_str(
                        [
                            txt(s, &["ProviderName"]),
                            lit(": "),
                            txt(s, &["ServiceName"]).fill_null(lit("?")),
                        ],
                        "",
                        true,
                    )),
                txt(s, &["x_UsageType", super::focus::USAGE_TYPE]),
                txt(s, &["x_Operation", super::focus::OPERATION]),
                txt(s, &["AvailabilityZone"]),
                txt(s, &["ResourceId"]),
                "ConsumedQuantity",
                "BilledCost",
                txt(s, &["RegionId"]),
                lit(NULL).cast(DataType::String),
            ),
        };
    let start_col = find(s, &[start]).unwrap_or_else(|| start.to_string());
    let end_col = find(s, &[end]).unwrap_or_else(|| end.to_string());
    let qty_col = find(s, &[qty]).unwrap_or_else(|| qty.to_string());
    let cost_col = find(s, &[cost]).unwrap_or_else(|| cost.to_string());

    let base = col(UT_BASE);
    let prefix = col(UT_PREFIX);
    let other_prefix = col(UT_OTHER_PREFIX);
    let mut prefix_region = lit(NULL).cast(DataType::String);
    let mut other_region = lit(NULL).cast(DataType::String);
    for r in catalog.regions() {
        prefix_region = when(prefix.clone().eq(lit(r.usage_prefix.clone())))
            .then(lit(r.code.clone()))
            .otherwise(prefix_region);
        other_region = when(other_prefix.clone().eq(lit(r.usage_prefix.clone())))
            .then(lit(r.code.clone()))
            .otherwise(other_region);
    }
    // `EU-` is Ireland's prefix; no prefix at all is us-east-1 (used only when the row has no region).
    prefix_region = when(prefix.clone().eq(lit("EU")))
        .then(lit("eu-west-1"))
        .when(prefix.clone().is_null())
        .then(lit("us-east-1"))
        .otherwise(prefix_region);
    let region = coalesce(&[region, prefix_region]);

    let p = |code: &str| product.clone().eq(lit(code));
    let b = |prefix: &str| base.clone().str().starts_with(lit(prefix));
    let beq = |v: &str| base.clone().eq(lit(v));
    let after_colon = base.clone().str().extract(lit(r":(.+)$"), 1);
    let after_dot = base.clone().str().extract(lit(r"\.([a-z0-9]+)$"), 1);
    let is_ec2 = p("AmazonEC2").and(b("BoxUsage:").or(b("SpotUsage:")));
    let is_ebs = p("AmazonEC2").and(b("EBS:"));
    let is_s3 = p("AmazonS3");
    let is_lambda = p("AWSLambda");
    let is_ip = b("PublicIPv4:");
    let is_dt = base.clone().str().contains(
        lit(r"^(DataTransfer-(Out|In|Regional)-Bytes|[A-Z]{2,4}[0-9]?-AWS-(Out|In)-Bytes)$"),
        false,
    );

    let s3_class = when(base.clone().str().contains(lit("-SIA-"), false))
        .then(lit("standard-ia"))
        .when(base.clone().str().contains(lit("-ZIA-"), false))
        .then(lit("onezone-ia"))
        .when(base.clone().str().contains(lit("-GIR-"), false))
        .then(lit("glacier-ir"))
        .when(base.clone().str().contains(lit("-GDA-"), false))
        .then(lit("deep-archive"))
        .when(base.clone().str().contains(lit("Glacier|GLACIER"), false))
        .then(lit("glacier-flexible"))
        .when(base.clone().str().contains(lit("-INT-FA-|-INT-"), false))
        .then(lit("intelligent-tiering"))
        .otherwise(lit("standard"));
    let s3_storage = base.clone().str().contains(lit(r"^TimedStorage-(ByteHrs|SIA-ByteHrs|ZIA-ByteHrs|GIR-ByteHrs|GlacierByteHrs|GDA-ByteHrs|INT-FA-ByteHrs)$"), false);
    let s3_put = base.clone().str().contains(
        lit(r"^Requests-(SIA-|ZIA-|GIR-|INT-|GLACIER-|GDA-)?Tier1$"),
        false,
    );
    let s3_get = base.clone().str().contains(
        lit(r"^Requests-(SIA-|ZIA-|GIR-|INT-|GLACIER-|GDA-)?Tier2$"),
        false,
    );
    let s3_retrieval = base
        .clone()
        .str()
        .contains(lit(r"^Retrieval-(SIA|ZIA)$"), false);

    let service = when(is_ec2.clone())
        .then(lit("ec2"))
        .when(is_ip.clone())
        .then(lit("public_ipv4"))
        .when(is_dt.clone())
        .then(lit("data_transfer"))
        .when(is_ebs.clone().and(base.clone().str().contains(lit(r"^EBS:(VolumeUsage(\.(gp2|gp3|io1|io2|st1|sc1|piops))?|VolumeP-IOPS\.(gp3|io2|piops)|VolumeP-Throughput\.gp3|SnapshotUsage)$"), false)))
        .then(lit("ebs"))
        .when(is_s3.clone().and(s3_storage.clone().or(s3_put.clone()).or(s3_get.clone()).or(s3_retrieval.clone())))
        .then(lit("s3"))
        .when(is_lambda.clone().and(base.clone().str().contains(lit(r"^(Lambda-GB-Second|Request)(-ARM)?$"), false)))
        .then(lit("lambda"))
        .otherwise(lit("unpriced"));
    let usage_type = when(is_ec2.clone())
        .then(lit("instance-seconds"))
        .when(is_ip.clone())
        .then(lit("ip-hours"))
        .when(is_dt.clone().and(beq("DataTransfer-Out-Bytes")))
        .then(lit("internet-out-gb"))
        .when(is_dt.clone().and(beq("DataTransfer-Regional-Bytes")))
        .then(lit("regional-gb"))
        .when(
            is_dt
                .clone()
                .and(base.clone().str().contains(lit("-AWS-Out-Bytes$"), false)),
        )
        .then(lit("inter-region-gb"))
        .when(is_dt.clone())
        .then(lit("internet-in-gb"))
        .when(is_ebs.clone().and(b("EBS:VolumeUsage")))
        .then(lit("volume-gb-months"))
        .when(is_ebs.clone().and(b("EBS:VolumeP-IOPS")))
        .then(lit("volume-iops-months"))
        .when(is_ebs.clone().and(b("EBS:VolumeP-Throughput")))
        .then(lit("volume-throughput-months"))
        .when(is_ebs.clone().and(beq("EBS:SnapshotUsage")))
        .then(lit("snapshot-gb-months"))
        .when(is_s3.clone().and(s3_storage))
        .then(lit("storage-gb-months"))
        .when(is_s3.clone().and(s3_put))
        .then(lit("put-requests"))
        .when(is_s3.clone().and(s3_get))
        .then(lit("get-requests"))
        .when(is_s3.clone().and(s3_retrieval))
        .then(lit("retrieval-gb"))
        .when(
            is_lambda
                .clone()
                .and(base.clone().str().starts_with(lit("Lambda-GB-Second"))),
        )
        .then(lit("gb-seconds"))
        .when(is_lambda.clone())
        .then(lit("requests"))
        .otherwise(base.clone());
    let volume_type = when(after_dot.clone().eq(lit("piops")))
        .then(lit("io1"))
        .when(is_ebs.clone().and(beq("EBS:VolumeUsage")))
        .then(lit("standard"))
        .otherwise(after_dot);
    let op = operation.clone();
    let os = when(op.clone().str().starts_with(lit("RunInstances:0002")))
        .then(lit("windows"))
        .when(
            op.clone()
                .eq(lit("RunInstances"))
                .or(op.clone().str().starts_with(lit("RunInstances:SV")))
                .or(op.clone().is_null()),
        )
        .then(lit("linux"))
        .otherwise(concat_str([lit("operation "), op.clone()], "", true));
    let purchase = when(b("SpotUsage:"))
        .then(lit("spot"))
        .otherwise(lit("on-demand"));
    let arch = when(base.clone().str().ends_with(lit("-ARM")))
        .then(lit("arm64"))
        .otherwise(lit("x86_64"));
    let is_usage = line_type.clone().is_in(
        lit(Series::new(
            "u".into(),
            ["Usage", "DiscountedUsage", "SavingsPlanCoveredUsage"],
        ))
        .implode(false),
        false,
    );

    vec![
        timestamp(s, &start_col).alias("start"),
        timestamp(s, &end_col).alias("end"),
        region.alias("region"),
        az.str().to_lowercase().fill_null(lit("")).alias("az"),
        service.alias("service"),
        usage_type.alias("usage_type"),
        // A reservation's fee rows are known by its ARN (the bill replaces them by the
        // reservation's own fee when it applies it).
        coalesce(&[
            resource,
            when(line_type.clone().eq(lit("RIFee")))
                .then(txt(s, RESERVATION_ARN))
                .otherwise(lit(NULL).cast(DataType::String)),
            usage.clone(),
        ])
        .alias("resource_id"),
        quantity_of(s, &qty_col).alias("q"),
        text(s, &qty_col).alias("quantity_text"),
        text(s, &start_col).alias("start_text"),
        text(s, &end_col).alias("end_text"),
        coalesce(&[itype, after_colon.clone()]).alias("instance_type"),
        os.alias("os"),
        purchase.alias("purchase"),
        volume_type.alias("volume_type"),
        s3_class.alias("storage_class"),
        arch.alias("architecture"),
        other_region.alias("destination_region"),
        when(is_usage)
            .then(lit("usage"))
            .otherwise(line_type.fill_null(lit("(no line item type)")))
            .alias("line_type"),
        quantity_of(s, &cost_col).alias("billed"),
        product.clone().fill_null(lit("?")).alias("product"),
        concat_str(
            [
                product.fill_null(lit("?")),
                lit(" "),
                usage.fill_null(lit("?")),
            ],
            "",
            true,
        )
        .alias("raw_usage"),
    ]
}

/// Whether a FOCUS row's provider is AWS (or not said).
fn aws_provider(provider: Expr) -> Expr {
    provider
        .clone()
        .is_null()
        .or(provider.clone().eq(lit("AWS")))
        .or(provider.eq(lit("Amazon Web Services")))
}

/// FOCUS exports without `x_ServiceCode`: the product code from AWS's service names.
fn service_code_from_name(name: Expr) -> Expr {
    when(name.clone().eq(lit("Amazon Elastic Compute Cloud")))
        .then(lit("AmazonEC2"))
        .when(name.clone().eq(lit("Amazon Simple Storage Service")))
        .then(lit("AmazonS3"))
        .when(name.clone().eq(lit("AWS Lambda")))
        .then(lit("AWSLambda"))
        .when(name.clone().eq(lit("Amazon Virtual Private Cloud")))
        .then(lit("AmazonVPC"))
        .otherwise(name)
}

/// The columns of this project's format that identify what a row prices (everything but the
/// times and the quantity), as they are in the file: the fast path groups rows by these before
/// it canonicalizes anything (see `aggregate.rs`).
pub const OWN_KEY_COLUMNS: &[&str] = &[
    "region",
    "availability_zone",
    "service",
    "usage_type",
    "resource_id",
    "instance_type",
    "os",
    "purchase_option",
    "volume_type",
    "storage_class",
    "architecture",
    "destination_region",
];

/// The canonical key columns of this project's own format (trimmed, lower-cased where case does
/// not matter, defaults filled in), from the raw columns of `s`: both the per-row path and the
/// aggregated fast path use this one definition, so they canonicalize identically.
pub fn own_key_columns(s: &Schema) -> Vec<Expr> {
    let class_raw = lower(s, "storage_class")
        .str()
        .replace_all(lit("_"), lit("-"), true);
    let storage_class = when(class_raw.clone().eq(lit("glacier")))
        .then(lit("glacier-flexible"))
        .when(class_raw.clone().eq(lit("one-zone-ia")))
        .then(lit("onezone-ia"))
        .otherwise(class_raw);
    vec![
        text(s, "region").alias("region"),
        lower(s, "availability_zone").fill_null(lit("")).alias("az"),
        lower(s, "service").alias("service"),
        lower(s, "usage_type").alias("usage_type"),
        text(s, "resource_id").alias("resource_id"),
        text(s, "instance_type").alias("instance_type"),
        lower(s, "os").fill_null(lit("linux")).alias("os"),
        lower(s, "purchase_option")
            .fill_null(lit("on-demand"))
            .alias("purchase"),
        lower(s, "volume_type").alias("volume_type"),
        storage_class.alias("storage_class"),
        lower(s, "architecture")
            .fill_null(lit("x86_64"))
            .alias("architecture"),
        text(s, "destination_region").alias("destination_region"),
        lit("usage").alias("line_type"),
        lit(NULL).cast(DataType::String).alias("raw_usage"),
        lit(NULL).cast(DataType::String).alias("product"),
    ]
}

/// The canonical columns for this project's own format.
pub fn own_columns(s: &Schema) -> Vec<Expr> {
    let mut cols = vec![
        timestamp(s, "usage_start").alias("start"),
        timestamp(s, "usage_end").alias("end"),
        quantity_of(s, "quantity").alias("q"),
        text(s, "quantity").alias("quantity_text"),
        text(s, "usage_start").alias("start_text"),
        text(s, "usage_end").alias("end_text"),
        lit(NULL)
            .cast(DataType::Decimal(38, super::scan::SCALE))
            .alias("billed"),
    ];
    cols.extend(own_key_columns(s));
    cols
}
