//! The layouts a usage file can have, detected by its columns, and how each maps onto the
//! canonical columns that are checked and priced: this project's format, AWS Cost and Usage
//! Reports (CUR 1.0 `lineItem/UsageType` names and CUR 2.0 / Athena `line_item_usage_type`
//! names), and FinOps FOCUS 1.x exports (with AWS's `x_UsageType`, `x_ServiceCode`,
//! `x_Operation` columns).
//!
//! A CUR or FOCUS row is mapped by its product code, usage type and operation through the table of
//! AWS usage types (`usage_types.rs`): `BoxUsage:m5.large` is on-demand EC2, `EBS:VolumeUsage.gp3`
//! gp3 storage in GB-months, `TimedStorage-SIA-ByteHrs` Standard-IA storage (GB-months in the
//! report despite the name), `DataTransfer-Out-Bytes` internet egress, and so on. A usage type
//! cloudcost does not price is carried at its billed cost. Rows that are not usage (tax, credits,
//! refunds, fees, savings plan negation, discounts) are never re-priced: they are carried as
//! charges.

use std::sync::Arc;

use polars::prelude::*;

use super::columns::{find, lower, quantity_of, row_of, text, timestamp, udf_texts};
use super::usage_types::Classifier;

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
            Layout::Cur1 => "aws-legacy-cur",
            Layout::Cur2 => "aws-cur-2.0",
            Layout::Focus => "focus",
        }
    }

    /// Whether a CUR in snake_case is a CUR 2.0 Data Export rather than the legacy CUR in its
    /// Athena (Parquet) form: CUR 2.0 keeps tags, product attributes and cost categories in map
    /// columns (`resource_tags`, `product`, `cost_category`) and names accounts.
    fn is_cur2_export(schema: &Schema) -> bool {
        find(
            schema,
            &[
                "resource_tags",
                "product",
                "cost_category",
                "line_item_usage_account_name",
            ],
        )
        .is_some()
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

fn txt(schema: &Schema, names: &[&str]) -> Expr {
    match find(schema, names) {
        Some(n) => text(schema, &n),
        None => lit(NULL).cast(DataType::String),
    }
}

/// [`txt`], lower-cased.
fn txt_lower(schema: &Schema, names: &[&str]) -> Expr {
    match find(schema, names) {
        Some(n) => lower(schema, &n),
        None => lit(NULL).cast(DataType::String),
    }
}

/// The product code, usage type and operation of a CUR or FOCUS row: what the usage-type table
/// (`usage_types.rs`) reads.
fn identity(layout: Layout, s: &Schema) -> [Expr; 3] {
    match layout {
        Layout::Cur1 => [
            txt(s, &["lineItem/ProductCode"]),
            txt(s, &["lineItem/UsageType"]),
            txt(s, &["lineItem/Operation"]),
        ],
        Layout::Cur2 => [
            txt(s, &["line_item_product_code"]),
            txt(s, &["line_item_usage_type"]),
            txt(s, &["line_item_operation"]),
        ],
        Layout::Focus => [
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
        ],
        Layout::Cloudcost => std::array::from_fn(|_| lit(NULL).cast(DataType::String)),
    }
}

/// A CUR or FOCUS file's rows with what [`billing_columns`] reads first: their product code,
/// usage type and operation (read once), and the number of each row's meaning in the usage-type
/// table, looked up once per distinct (product, usage type, operation) by `classifier` (the
/// canonical columns then read the meaning's fields).
pub fn with_billing_prelude(
    lf: LazyFrame,
    layout: Layout,
    schema: &Schema,
    classifier: &Arc<Classifier>,
) -> LazyFrame {
    let [product, usage, operation] = identity(layout, schema);
    let c = classifier.clone();
    let ids = map_multiple(
        move |cols: &mut [Column]| {
            let v = udf_texts(cols)?;
            let ids = c.ids(&v[0], &v[1], &v[2]);
            Ok(UInt32Chunked::from_vec(MEANING.into(), ids).into_column())
        },
        [col(PRODUCT), col(USAGE), col(OPERATION)],
        |_, _| Ok(Field::new(MEANING.into(), DataType::UInt32)),
    );
    lf.with_columns([
        product.alias(PRODUCT),
        usage.alias(USAGE),
        operation.alias(OPERATION),
    ])
    .with_column(ids.alias(MEANING))
}

/// The region of the rows whose region column (the first input) is empty, from their product
/// JSON, location name or transfer origin (`Classifier::region_of`); null for the others.
fn region_fallback(classifier: &Arc<Classifier>, inputs: [Expr; 4]) -> Expr {
    let c = classifier.clone();
    map_multiple(
        move |cols: &mut [Column]| {
            let v = udf_texts(cols)?;
            let n = v.iter().map(Vec::len).max().unwrap_or(0);
            let out: StringChunked = (0..n)
                .map(|i| match row_of(&v[0], i) {
                    Some(_) => None,
                    None => c.region_of(row_of(&v[1], i), row_of(&v[2], i), row_of(&v[3], i)),
                })
                .collect();
            Ok(out.into_column())
        },
        inputs,
        |_, _| Ok(Field::new("region".into(), DataType::String)),
    )
}

/// One field of each row's meaning (after [`with_billing_prelude`]).
fn meaning_field(
    classifier: &Arc<Classifier>,
    f: fn(&super::usage_types::Meaning) -> Option<String>,
) -> Expr {
    let c = classifier.clone();
    col(MEANING).map(
        move |ids: Column| {
            let values = StringChunked::from_iter_options("v".into(), c.field(f).into_iter());
            let ids = ids.u32()?;
            Ok(values.take(ids)?.into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    )
}

/// The reservation ARN column's spellings (CUR 1.0, CUR 2.0 and the legacy Parquet layout).
pub(crate) const RESERVATION_ARN: &[&str] = &[
    "reservation/ReservationARN",
    "reservation_reservation_a_r_n",
    "reservation_reservation_arn",
];

/// `idle` for an address billed as associated with nothing (a billing file's
/// `PublicIPv4:IdleAddress`), else null: recommendations release such addresses.
pub(crate) const IDLE: &str = "__idle_address";

/// The column of each row's meaning number (see [`with_billing_prelude`]).
const MEANING: &str = "__meaning";
/// A billing row's product code, usage type and operation, as [`identity`] reads them.
const PRODUCT: &str = "__product";
const USAGE: &str = "__usage_type";
const OPERATION: &str = "__operation";

/// A billing layout's start, end, quantity and billed cost columns, as the file spells them.
pub(crate) fn billing_numbers(layout: Layout, schema: &Schema) -> [String; 4] {
    let names = match layout {
        Layout::Cur1 => [
            "lineItem/UsageStartDate",
            "lineItem/UsageEndDate",
            "lineItem/UsageAmount",
            "lineItem/UnblendedCost",
        ],
        Layout::Cur2 => [
            "line_item_usage_start_date",
            "line_item_usage_end_date",
            "line_item_usage_amount",
            "line_item_unblended_cost",
        ],
        _ => [
            "ChargePeriodStart",
            "ChargePeriodEnd",
            "ConsumedQuantity",
            "BilledCost",
        ],
    };
    names.map(|n| find(schema, &[n]).unwrap_or_else(|| n.to_string()))
}

/// A billing layout's resource id column, as the file spells it.
pub(crate) fn billing_resource(layout: Layout, schema: &Schema) -> String {
    let name = match layout {
        Layout::Cur1 => "lineItem/ResourceId",
        Layout::Cur2 => "line_item_resource_id",
        _ => "ResourceId",
    };
    find(schema, &[name]).unwrap_or_else(|| name.to_string())
}

/// The columns of a billing file that say what a row is (every column the canonical columns
/// read but the times, the quantity and the cost): rows alike in these are priced alike, so the
/// first pass groups rows by them (`first_pass.rs`). Read off the expressions themselves, so the
/// list cannot drift from them.
pub(crate) fn billing_key_columns(
    layout: Layout,
    schema: &Schema,
    classifier: &Arc<Classifier>,
) -> Vec<String> {
    let numbers = billing_numbers(layout, schema);
    let mut exprs: Vec<Expr> = identity(layout, schema).into();
    exprs.extend(billing_columns(layout, schema, classifier));
    let mut out: Vec<String> = Vec::new();
    for e in &exprs {
        for name in polars_plan::utils::expr_to_leaf_column_names(e) {
            let name = name.to_string();
            if schema.contains(&name) && !numbers.contains(&name) && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// The canonical columns for a CUR or FOCUS file (after [`with_billing_prelude`]).
pub fn billing_columns(layout: Layout, schema: &Schema, classifier: &Arc<Classifier>) -> Vec<Expr> {
    let s = schema;
    let [start, end, qty, cost] = billing_numbers(layout, s);
    let resource = txt(s, &[billing_resource(layout, s).as_str()]);
    let (line_type, az, region, itype) = match layout {
        Layout::Cur1 => (
            txt(s, &["lineItem/LineItemType"]),
            txt_lower(s, &["lineItem/AvailabilityZone"]),
            txt(s, &["product/regionCode", "product/region"]),
            txt(s, &["product/instanceType"]),
        ),
        Layout::Cur2 => (
            txt(s, &["line_item_line_item_type"]),
            txt_lower(s, &["line_item_availability_zone"]),
            txt(s, &["product_region_code", "product_region"]),
            txt(s, &["product_instance_type"]),
        ),
        _ => (
            // Usage rows keep the name `Usage`; every other category is a charge.
            txt(s, &["ChargeCategory"]),
            txt_lower(s, &["AvailabilityZone"]),
            txt(s, &["RegionId"]),
            lit(NULL).cast(DataType::String),
        ),
    };
    let (product, usage) = (col(PRODUCT), col(USAGE));
    let (start_col, end_col, qty_col, cost_col) = (start, end, qty, cost);
    let field = |f| meaning_field(classifier, f);
    // The row's own region column first; else its product attributes, location name or transfer
    // origin; else the region its usage type's prefix names.
    let (json, location, from) = match layout {
        Layout::Cur1 => (
            lit(NULL).cast(DataType::String),
            txt(s, &["product/location"]),
            txt(s, &["product/fromRegionCode"]),
        ),
        Layout::Cur2 => (
            // The `product` map is JSON text in CUR 2.0 CSV (a map in Parquet: not read here).
            match find(s, &["product"]) {
                Some(n) if s.get(&n) == Some(&DataType::String) => col(n),
                _ => lit(NULL).cast(DataType::String),
            },
            txt(s, &["product_location"]),
            txt(s, &["product_from_region_code"]),
        ),
        _ => (
            lit(NULL).cast(DataType::String),
            txt(s, &["RegionName"]),
            lit(NULL).cast(DataType::String),
        ),
    };
    let region = coalesce(&[
        region.clone(),
        region_fallback(classifier, [region, json, location, from]),
        field(|m| m.prefix_region.clone()),
    ]);
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
        az.fill_null(lit("")).alias("az"),
        field(|m| Some(m.service.clone())).alias("service"),
        field(|m| m.usage_type.clone()).alias("usage_type"),
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
        coalesce(&[itype, field(|m| m.instance_type.clone())]).alias("instance_type"),
        field(|m| m.os.clone()).fill_null(lit("linux")).alias("os"),
        field(|m| m.purchase.clone())
            .fill_null(lit("on-demand"))
            .alias("purchase"),
        field(|m| m.volume_type.clone()).alias("volume_type"),
        field(|m| m.storage_class.clone())
            .fill_null(lit("standard"))
            .alias("storage_class"),
        field(|m| m.architecture.clone())
            .fill_null(lit("x86_64"))
            .alias("architecture"),
        field(|m| m.destination_region.clone()).alias("destination_region"),
        field(|m| m.idle.then(|| "idle".to_string())).alias(IDLE),
        when(is_usage)
            .then(lit("usage"))
            .otherwise(line_type.fill_null(lit("(no line item type)")))
            .alias("line_type"),
        quantity_of(s, &cost_col).alias("billed"),
        product.fill_null(lit("?")).alias("product"),
        field(|m| Some(m.raw.clone())).alias("raw_usage"),
    ]
}

/// The name of a file's layout as AWS names it: the legacy CUR (1.0, in CSV or in its Athena
/// Parquet form), CUR 2.0 (Data Exports), FOCUS.
pub fn format_name(layout: Layout, schema: &Schema) -> &'static str {
    match layout {
        Layout::Cur2 if !Layout::is_cur2_export(schema) => Layout::Cur1.name(),
        other => other.name(),
    }
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
/// it canonicalizes anything (see `first_pass.rs`).
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
            .cast(DataType::Decimal(38, super::columns::SCALE))
            .alias("billed"),
        lit(NULL).cast(DataType::String).alias(IDLE),
    ];
    cols.extend(own_key_columns(s));
    cols
}
