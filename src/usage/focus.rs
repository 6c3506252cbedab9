//! FOCUS exports without AWS's `x_UsageType` and `x_Operation` columns (the FOCUS 1.0 sample,
//! exports made by converters). Each AWS row's usage type and operation are found from its SKU
//! through the catalog's SKU index (`SkuPriceId`, else `SkuId`), else from its
//! `ChargeDescription` (data transfer: the feeds give its rates without SKUs). The usage types
//! found are AWS's own, so the rows then take the path of a CUR's. Other providers' rows
//! (Microsoft, Google, Oracle) are carried as billed, under their provider's name.
//!
//! The work is done once per distinct (SKU, description, region) of the file, in Rust, and
//! joined back to the rows.

use polars::prelude::*;
use regex::Regex;

use super::UsageError;
use super::columns::find;
use super::columns::{text, unreadable};
use crate::catalog::Catalog;
use crate::catalog::sku::{SkuCode, SkuRow};

/// The usage type found for a row (null when none was).
pub(crate) const USAGE_TYPE: &str = "__focus_usage_type";
/// The operation found for a row.
pub(crate) const OPERATION: &str = "__focus_operation";
const KEY: &str = "__focus_key";

/// Charge descriptions of rows whose SKU the catalog does not hold, and their usage types:
/// `{from}` is the row's region prefix, `{to}` the prefix of the region the pattern's `to`
/// group names (AWS's descriptions: "$0.02 per GB - US West (Oregon) data transfer to EU
/// (Ireland)").
const DESCRIPTIONS: &[(&str, &str)] = &[
    (r"data transfer in per month", "DataTransfer-In-Bytes"),
    (r"regional data transfer", "DataTransfer-Regional-Bytes"),
    (
        r"TB / month data transfer out|data transfer out (beyond|under) the (monthly )?global free tier",
        "DataTransfer-Out-Bytes",
    ),
    (
        r"^\$[0-9.]+ per GB - .+ data transfer to (?P<to>.+)$",
        "{from}-{to}-AWS-Out-Bytes",
    ),
    (
        r"^\$[0-9.]+ per GB - .+ data transfer from (?P<to>.+)$",
        "{from}-{to}-AWS-In-Bytes",
    ),
];

/// The rows with FOCUS's literal `NULL` (the sample data writes it for empty cells) as null in
/// every text column.
pub(crate) fn without_null_text(lf: LazyFrame, schema: &Schema) -> LazyFrame {
    let texts: Vec<Expr> = schema
        .iter()
        .filter(|(_, t)| **t == DataType::String)
        .map(|(name, _)| {
            let c = col(name.clone());
            when(c.clone().eq(lit("NULL")))
                .then(lit(NULL).cast(DataType::String))
                .otherwise(c)
                .alias(name.clone())
        })
        .collect();
    lf.with_columns(texts)
}

/// The usage type and operation of one catalog row (the usage-type table's, read backwards).
fn of_row(row: &SkuRow) -> Option<(String, String)> {
    match row {
        SkuRow::Ec2(p) => {
            let op = super::usage_types::operation_of(p.os.as_str())?;
            Some((format!("BoxUsage:{}", p.instance_type), op.to_string()))
        }
        SkuRow::Rate(r) => super::usage_types::of_rate(&r.service, &r.key)
            .map(|ut| (ut.to_string(), String::new())),
    }
}

/// The usage type and operation of a row, from its SKU or its description.
fn usage_type_of(
    catalog: &Catalog,
    patterns: &[(Regex, &str)],
    sku_price: Option<&str>,
    sku: Option<&str>,
    description: Option<&str>,
    region: Option<&str>,
) -> Option<(String, String)> {
    for code in [sku_price, sku].into_iter().flatten() {
        if let Ok(code) = code.parse::<SkuCode>()
            && let Some(found) = catalog.by_sku(&code).first().and_then(of_row)
        {
            return Some(found);
        }
    }
    let (desc, region) = (description?, region?);
    let prefix = |r: &crate::catalog::Region| r.usage_prefix.clone();
    let from = catalog.region(region).map(prefix)?;
    for (re, template) in patterns {
        let Some(caps) = re.captures(desc) else {
            continue;
        };
        let to = match caps.name("to") {
            Some(m) => Some(
                catalog
                    .region_by_any_location(m.as_str().trim())
                    .map(prefix)?,
            ),
            None => None,
        };
        let ut = template
            .replace("{from}", &from)
            .replace("{to}", to.as_deref().unwrap_or_default());
        return Some((ut, String::new()));
    }
    None
}

/// The file's rows with the usage type and operation found for each AWS row (columns
/// [`USAGE_TYPE`], [`OPERATION`]), when the file lacks `x_UsageType`; the rows as they are
/// otherwise.
pub(crate) fn with_usage_types(
    lf: LazyFrame,
    schema: &Schema,
    catalog: &Catalog,
    file: &str,
) -> Result<LazyFrame, UsageError> {
    let s = schema;
    if find(s, &["x_UsageType"]).is_some() {
        return Ok(lf);
    }
    let col_of = |names: &[&str]| match find(s, names) {
        Some(n) => text(s, &n),
        None => lit(NULL).cast(DataType::String),
    };
    let parts = [
        col_of(&["SkuPriceId"]).alias("sku_price"),
        col_of(&["SkuId"]).alias("sku"),
        col_of(&["ChargeDescription"]).alias("description"),
        col_of(&["RegionId"]).alias("region"),
    ];
    let key = || {
        concat_str(
            parts
                .iter()
                .map(|e| e.clone().fill_null(lit("")))
                .collect::<Vec<_>>(),
            "\u{1f}",
            false,
        )
    };
    let distinct = lf
        .clone()
        .select(parts.clone())
        .unique(None, UniqueKeepStrategy::First)
        .collect()
        .map_err(|e| unreadable(file, e))?;
    let strs = |name: &str| -> Result<Vec<Option<String>>, UsageError> {
        Ok(distinct
            .column(name)
            .and_then(|c| c.str().cloned())
            .map_err(|e| unreadable(file, e))?
            .iter()
            .map(|v| v.map(str::to_string))
            .collect())
    };
    let (sku_price, sku, description, region) = (
        strs("sku_price")?,
        strs("sku")?,
        strs("description")?,
        strs("region")?,
    );
    let patterns: Vec<(Regex, &str)> = DESCRIPTIONS
        .iter()
        .map(|(p, t)| (Regex::new(p).expect("the description patterns compile"), *t))
        .collect();
    let (mut keys, mut types, mut ops) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..distinct.height() {
        let found = usage_type_of(
            catalog,
            &patterns,
            sku_price[i].as_deref(),
            sku[i].as_deref(),
            description[i].as_deref(),
            region[i].as_deref(),
        );
        let Some((ut, op)) = found else { continue };
        keys.push(
            [&sku_price[i], &sku[i], &description[i], &region[i]]
                .map(|v| v.as_deref().unwrap_or_default())
                .join("\u{1f}"),
        );
        types.push(ut);
        ops.push((!op.is_empty()).then_some(op));
    }
    let map = DataFrame::new_infer_height(vec![
        Column::new(KEY.into(), keys),
        Column::new(USAGE_TYPE.into(), types),
        Column::new(OPERATION.into(), ops),
    ])
    .map_err(|e| unreadable(file, e))?;
    Ok(lf
        .with_column(key().alias(KEY))
        .join(
            map.lazy(),
            [col(KEY)],
            [col(KEY)],
            JoinArgs::new(JoinType::Left),
        )
        .drop(cols([KEY])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Ec2Model, Os};

    fn found(sku: Option<&str>, desc: &str, region: &str) -> Option<(String, String)> {
        let cat = Catalog::embedded().unwrap();
        let patterns: Vec<(Regex, &str)> = DESCRIPTIONS
            .iter()
            .map(|(p, t)| (Regex::new(p).unwrap(), *t))
            .collect();
        usage_type_of(&cat, &patterns, sku, None, Some(desc), Some(region))
    }

    #[test]
    fn usage_types_from_skus_and_descriptions() {
        // The FOCUS 1.0 sample's rows: t3.micro in Mumbai by its SKU price id.
        let cat = Catalog::embedded().unwrap();
        let t3 = cat
            .ec2_price("ap-south-1", "t3.micro", Os::Linux, Ec2Model::OnDemand)
            .unwrap();
        let code = t3.provenance.rate_code.clone().unwrap();
        assert_eq!(
            found(Some(&code), "", "ap-south-1"),
            Some(("BoxUsage:t3.micro".into(), "RunInstances".into()))
        );
        assert_eq!(
            found(
                None,
                "$0.02 per GB - US West (Oregon) data transfer to EU (Germany)",
                "us-west-2"
            ),
            Some(("USW2-EUC1-AWS-Out-Bytes".into(), String::new()))
        );
        assert_eq!(
            found(
                None,
                "$0.090 per GB - first 10 TB / month data transfer out beyond the global free tier",
                "us-east-1"
            ),
            Some(("DataTransfer-Out-Bytes".into(), String::new()))
        );
        // CloudFront origin transfer is not modelled: no usage type, the row is carried.
        assert_eq!(
            found(
                None,
                "$0.00 per GB data transfer out of US East (Northern Virginia) to CloudFront",
                "us-east-1"
            ),
            None
        );
    }
}
