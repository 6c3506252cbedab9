//! A billing file's own costs, in the views AWS shows them (unblended, amortized, net, list: the
//! columns of each, per layout, are data in `cost-views.toml`), summed by the dimensions a user
//! allocates by: account, tag, cost category, the file's own service (its product code, as the
//! invoice and Cost Explorer name it), cloudcost's component, region, usage type, day, month,
//! resource, pricing model.
//!
//! Re-pricing (the rest of this module) answers "what should this have cost"; this answers "what
//! did the bill say", which is what budgets, showback and the invoice are about.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::NaiveDate;
use polars::prelude::*;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::UsageError;
use super::columns::{find, open, quantity_of, rounded, timestamp, unreadable};
use super::layouts::{Layout, RESERVATION_ARN, billing_numbers, billing_resource};
use super::usage_types::Classifier;
use crate::catalog::Catalog;

/// A view of the bill's cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CostView {
    /// The invoice: `line_item_unblended_cost`, FOCUS `BilledCost`.
    Unblended,
    /// Reservations and savings plans spread over the usage they cover.
    Amortized,
    /// Unblended after discounts.
    NetUnblended,
    /// Amortized after discounts.
    NetAmortized,
    /// The public on-demand cost.
    List,
    /// cloudcost's price of the usage from its catalog (what it does not price, as billed).
    Repriced,
}

impl CostView {
    /// Every view, in the order they are documented.
    pub const ALL: [CostView; 6] = [
        CostView::Unblended,
        CostView::Amortized,
        CostView::NetUnblended,
        CostView::NetAmortized,
        CostView::List,
        CostView::Repriced,
    ];

    /// The name users write (`--cost`, `cost = ...` in budgets.toml).
    pub fn name(self) -> &'static str {
        match self {
            CostView::Unblended => "unblended",
            CostView::Amortized => "amortized",
            CostView::NetUnblended => "net-unblended",
            CostView::NetAmortized => "net-amortized",
            CostView::List => "list",
            CostView::Repriced => "repriced",
        }
    }
}

impl std::fmt::Display for CostView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CostView {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CostView::ALL
            .into_iter()
            .find(|v| v.name() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown cost view `{s}`: expected one of {}",
                    CostView::ALL.map(CostView::name).join(", ")
                )
            })
    }
}

/// What costs are summed by (`--by`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// The account that used the resource (its name beside it where the file has one).
    Account,
    /// The payer (management) account.
    PayerAccount,
    /// The file's own service: its product code (CUR) or `ServiceName` (FOCUS).
    Service,
    /// cloudcost's component: EC2 instances, EBS, S3, data transfer... (`usage-types.toml`).
    Component,
    /// Region code.
    Region,
    /// AWS's usage type.
    UsageType,
    /// Calendar month (UTC).
    Month,
    /// Day (UTC).
    Day,
    /// Resource id.
    Resource,
    /// On-demand, spot, reserved, savings plan, or a charge's line item type.
    PricingModel,
    /// A cost allocation tag's value.
    Tag(String),
    /// A cost category's value.
    CostCategory(String),
}

impl Dimension {
    /// The names of the plain dimensions.
    const PLAIN: [(&'static str, Dimension); 10] = [
        ("account", Dimension::Account),
        ("payer-account", Dimension::PayerAccount),
        ("service", Dimension::Service),
        ("component", Dimension::Component),
        ("region", Dimension::Region),
        ("usage-type", Dimension::UsageType),
        ("month", Dimension::Month),
        ("day", Dimension::Day),
        ("resource", Dimension::Resource),
        ("pricing-model", Dimension::PricingModel),
    ];

    /// The name users write, and the column name in CSV and JSON (`tag:team`).
    pub fn name(&self) -> String {
        match self {
            Dimension::Tag(k) => format!("tag:{k}"),
            Dimension::CostCategory(k) => format!("cost-category:{k}"),
            d => Self::PLAIN
                .iter()
                .find(|(_, p)| p == d)
                .map(|(n, _)| n.to_string())
                .unwrap_or_default(),
        }
    }
}

impl FromStr for Dimension {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if let Some(k) = s.strip_prefix("tag:") {
            return match k.trim() {
                "" => Err("`tag:` needs a tag key, e.g. tag:team".into()),
                k => Ok(Dimension::Tag(k.to_string())),
            };
        }
        if let Some(k) = s.strip_prefix("cost-category:") {
            return match k.trim() {
                "" => Err("`cost-category:` needs a cost category name".into()),
                k => Ok(Dimension::CostCategory(k.to_string())),
            };
        }
        Self::PLAIN
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, d)| d.clone())
            .ok_or_else(|| {
                format!(
                    "unknown dimension `{s}`: expected {}, tag:KEY or cost-category:NAME",
                    Self::PLAIN.map(|(n, _)| n).join(", ")
                )
            })
    }
}

/// One row of a cost table: the values of the dimensions asked (in their order) and the cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostRow {
    /// The dimensions' values; `None`: the row has none (untagged, no account...).
    pub keys: Vec<Option<String>>,
    /// The cost, exact.
    pub cost: Decimal,
}

/// A billing file's cost in one view, summed by dimensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostTable {
    /// The view.
    pub view: CostView,
    /// The dimensions of `rows`.
    pub dims: Vec<Dimension>,
    /// Sums by the dimensions, the largest cost first (then by keys).
    pub rows: Vec<CostRow>,
    /// The file's total in the view.
    pub total: Decimal,
    /// By the file's own service, the largest first.
    pub by_service: Vec<(String, Decimal)>,
    /// By day.
    pub by_day: BTreeMap<NaiveDate, Decimal>,
    /// For each tag or cost category asked, the cost that has none.
    pub untagged: Vec<(Dimension, Decimal)>,
}

/// How `cost-views.toml` defines one view of one layout.
#[derive(Debug, Deserialize)]
struct ViewColumns {
    column: String,
    #[serde(default)]
    by_type: BTreeMap<String, Vec<String>>,
}

type Definitions = BTreeMap<String, BTreeMap<String, ViewColumns>>;

fn definitions() -> &'static Definitions {
    static DEFS: OnceLock<Definitions> = OnceLock::new();
    DEFS.get_or_init(|| {
        toml::from_str(include_str!("cost-views.toml")).expect("cost-views.toml is valid")
    })
}

/// The pseudo line item type of a reservation's upfront `Fee` (see `cost-views.toml`).
const RESERVATION_UPFRONT: &str = "ReservationUpfrontFee";

/// The columns a layout reads for the dimensions: usage account, its name, payer, product code
/// or service name, region, usage type, line item type, tags and cost categories (its times,
/// cost and resource columns are the re-pricing's: `layouts::billing_numbers`,
/// `layouts::billing_resource`).
struct DimColumns {
    account: &'static [&'static str],
    account_name: &'static [&'static str],
    payer: &'static [&'static str],
    service: &'static [&'static str],
    region: &'static [&'static str],
    usage_type: &'static [&'static str],
    line_type: &'static [&'static str],
    /// Tags: one column per key with this prefix (CUR 1.0, the legacy Athena layout), or JSON
    /// text in one column (CUR 2.0, FOCUS).
    tag_prefixes: &'static [&'static str],
    tag_json: &'static [&'static str],
    category_prefixes: &'static [&'static str],
    category_json: &'static [&'static str],
}

fn dim_columns(layout: Layout) -> DimColumns {
    match layout {
        Layout::Cur1 => DimColumns {
            account: &["lineItem/UsageAccountId"],
            account_name: &["lineItem/UsageAccountName"],
            payer: &["bill/PayerAccountId"],
            service: &["lineItem/ProductCode"],
            region: &["product/regionCode", "product/region"],
            usage_type: &["lineItem/UsageType"],
            line_type: &["lineItem/LineItemType"],
            tag_prefixes: &["resourceTags/user:", "resourceTags/"],
            tag_json: &[],
            category_prefixes: &["costCategory/"],
            category_json: &[],
        },
        Layout::Cur2 => DimColumns {
            account: &["line_item_usage_account_id"],
            account_name: &["line_item_usage_account_name"],
            payer: &["bill_payer_account_id"],
            service: &["line_item_product_code"],
            region: &["product_region_code", "product_region"],
            usage_type: &["line_item_usage_type"],
            line_type: &["line_item_line_item_type"],
            tag_prefixes: &["resource_tags_user_", "resource_tags_"],
            tag_json: &["resource_tags"],
            category_prefixes: &[],
            category_json: &["cost_category"],
        },
        _ => DimColumns {
            account: &["SubAccountId"],
            account_name: &["SubAccountName"],
            payer: &["BillingAccountId"],
            service: &["ServiceName", "x_ServiceCode"],
            region: &["RegionId"],
            usage_type: &["x_UsageType"],
            line_type: &["ChargeCategory"],
            tag_prefixes: &[],
            tag_json: &["Tags"],
            category_prefixes: &[],
            category_json: &["x_CostCategories"],
        },
    }
}

/// A tag key as compared: lower case, `user:` / `user_` taken off, anything but letters and
/// digits as `_` (the legacy Athena layout writes `user:Cost Center` as `user_cost_center`).
pub fn tag_key(k: &str) -> String {
    let k = k.trim();
    let lower = k.to_lowercase();
    let k = lower
        .strip_prefix("user:")
        .or_else(|| lower.strip_prefix("user_"))
        .unwrap_or(&lower);
    k.chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect()
}

/// The tag keys of a billing file (as `tag:KEY` takes them): its per-key tag columns (CUR 1.0,
/// the legacy Athena layout), or the keys of its JSON tag objects (CUR 2.0 CSV, FOCUS), in
/// order. None for this project's format (its tags are read by `attribution.rs`).
pub fn tag_keys(path: &Path) -> Result<Vec<String>, UsageError> {
    let file = path.display().to_string();
    let opened = open(path)?;
    let mut lf = opened.lf.clone();
    let schema = lf.collect_schema().map_err(|e| unreadable(&file, e))?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let layout = match Layout::detect(&names) {
        Some(l) if l != Layout::Cloudcost => l,
        _ => return Ok(Vec::new()),
    };
    let cols = dim_columns(layout);
    let mut keys: Vec<String> = Vec::new();
    for n in &names {
        for p in cols.tag_prefixes {
            if n.len() > p.len() && n[..p.len()].eq_ignore_ascii_case(p) {
                let k = tag_key(&n[p.len()..]);
                if !keys.contains(&k) {
                    keys.push(k);
                }
                break;
            }
        }
    }
    if let Some(j) = find(&schema, cols.tag_json)
        && is_map(schema.get(&j))
    {
        // A map's keys, row by row.
        let df = lf
            .clone()
            .select([col(j.as_str())])
            .collect()
            .map_err(|e| unreadable(&file, e))?;
        let list = df
            .column(&j)
            .and_then(|c| c.list().cloned())
            .map_err(|e| unreadable(&file, e))?;
        let mut found = std::collections::BTreeSet::new();
        for entry in list.series_iter().flatten() {
            if let Some(k) = entry
                .struct_()
                .ok()
                .and_then(|s| s.fields_as_series().into_iter().next())
                && let Ok(k) = k.str()
            {
                found.extend(k.iter().flatten().map(tag_key));
            }
        }
        keys.extend(found.into_iter().filter(|k| !k.is_empty()));
    } else if let Some(j) = find(&schema, cols.tag_json)
        && schema.get(&j) == Some(&DataType::String)
    {
        let distinct = lf
            .select([trimmed(&j).alias("t")])
            .unique(None, UniqueKeepStrategy::Any)
            .collect()
            .map_err(|e| unreadable(&file, e))?;
        let texts = distinct
            .column("t")
            .and_then(|c| c.str().cloned())
            .map_err(|e| unreadable(&file, e))?;
        let mut found = std::collections::BTreeSet::new();
        for t in texts.iter().flatten() {
            if let Ok(obj) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(t) {
                found.extend(obj.keys().map(|k| tag_key(k)));
            }
        }
        keys.extend(found.into_iter().filter(|k| !k.is_empty()));
    }
    keys.dedup();
    Ok(keys)
}

/// A text column, trimmed, empty as null; null when the file has none of `names`. (Plain
/// expressions, not `columns::text`'s function: polars streams these over a big file.)
fn text_of(schema: &Schema, names: &[&str]) -> Expr {
    match find(schema, names) {
        Some(n) => trimmed(&n),
        None => lit(NULL).cast(DataType::String),
    }
}

fn trimmed(name: &str) -> Expr {
    let t = col(name)
        .cast(DataType::String)
        .str()
        .strip_chars(lit(NULL));
    when(t.clone().eq(lit("")))
        .then(lit(NULL).cast(DataType::String))
        .otherwise(t)
}

/// The value of key `key` (compared as [`tag_key`]) in each row's JSON object; each distinct
/// text is parsed once.
fn json_value(column: Expr, key: String) -> Expr {
    column.map(
        move |c: Column| {
            let ca = c.str()?;
            let mut seen: HashMap<&str, Option<String>> = HashMap::new();
            let out: StringChunked = ca
                .iter()
                .map(|v| {
                    let v = v?;
                    seen.entry(v)
                        .or_insert_with(|| {
                            let obj: serde_json::Map<String, serde_json::Value> =
                                serde_json::from_str(v).ok()?;
                            obj.iter()
                                .find(|(k, _)| tag_key(k) == key)
                                .and_then(|(_, v)| match v {
                                    serde_json::Value::String(s) if !s.trim().is_empty() => {
                                        Some(s.trim().to_string())
                                    }
                                    serde_json::Value::Null => None,
                                    serde_json::Value::String(_) => None,
                                    other => Some(other.to_string()),
                                })
                        })
                        .clone()
                })
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    )
}

/// The value of key `key` (compared as [`tag_key`]) in each row's map (a Parquet MAP column:
/// a list of key-value structs, as CUR 2.0 and FOCUS exports write tags).
fn map_value(column: Expr, key: String) -> Expr {
    column.map(
        move |c: Column| {
            let list = c.list()?;
            let out: StringChunked = list
                .series_iter()
                .map(|entry| {
                    let entry = entry?;
                    let fields = entry.struct_().ok()?.fields_as_series();
                    let (k, v) = (
                        fields.first()?,
                        fields.get(1)?.cast(&DataType::String).ok()?,
                    );
                    let (k, v) = (k.str().ok()?, v.str().ok()?);
                    k.iter()
                        .zip(v.iter())
                        .find(|(k, _)| k.is_some_and(|k| tag_key(k) == key))
                        .and_then(|(_, v)| v.map(|v| v.trim().to_string()))
                        .filter(|v| !v.is_empty())
                })
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    )
}

/// Whether a column is a Parquet map (a list of key-value structs).
fn is_map(dtype: Option<&DataType>) -> bool {
    matches!(dtype, Some(DataType::List(inner)) if matches!(**inner, DataType::Struct(_)))
}

/// A tag's (or cost category's) value: its own column where the layout has one per key, else
/// the key in the JSON (or map) column; `Err` names what the file lacks.
fn keyed(
    schema: &Schema,
    key: &str,
    prefixes: &[&str],
    json: &[&str],
    what: &str,
) -> Result<Expr, String> {
    let wanted = tag_key(key);
    for p in prefixes {
        if let Some(name) = schema.iter_names().find(|n| {
            n.len() > p.len()
                && n[..p.len()].eq_ignore_ascii_case(p)
                && tag_key(&n[p.len()..]) == wanted
        }) {
            return Ok(trimmed(name));
        }
    }
    if let Some(j) = find(schema, json) {
        return match schema.get(&j) {
            Some(DataType::String) => Ok(json_value(trimmed(&j), wanted)),
            t if is_map(t) => Ok(map_value(col(j.as_str()), wanted)),
            _ => Err(format!(
                "its {what} column `{j}` is neither JSON text nor a map"
            )),
        };
    }
    // A file with columns per key that lacks this one: no row has it.
    if prefixes.iter().any(|p| {
        schema
            .iter_names()
            .any(|n| n.len() > p.len() && n[..p.len()].eq_ignore_ascii_case(p))
    }) {
        return Ok(lit(NULL).cast(DataType::String));
    }
    Err(format!("it has no {what}s"))
}

/// The pricing model of a row: spot, on-demand, reserved or savings plan for usage, else the
/// charge's type in lower case.
fn pricing_model(layout: Layout, schema: &Schema, line_type: Expr, usage_type: Expr) -> Expr {
    let lt = line_type;
    let spot = usage_type.str().contains(lit("SpotUsage"), false);
    match layout {
        Layout::Focus => {
            let commitment = text_of(schema, &["CommitmentDiscountType"]);
            let category = text_of(schema, &["PricingCategory"]);
            when(lt.clone().neq(lit("Usage")))
                .then(lt.str().to_lowercase())
                .when(commitment.clone().eq(lit("Savings Plan")))
                .then(lit("savings plan"))
                .when(commitment.is_not_null())
                .then(lit("reserved"))
                .when(category.clone().eq(lit("Dynamic")).or(spot.clone()))
                .then(lit("spot"))
                .otherwise(lit("on-demand"))
        }
        _ => when(lt.clone().eq(lit("DiscountedUsage")))
            .then(lit("reserved"))
            .when(lt.clone().eq(lit("SavingsPlanCoveredUsage")))
            .then(lit("savings plan"))
            .when(lt.clone().eq(lit("Usage")).and(spot))
            .then(lit("spot"))
            .when(lt.clone().eq(lit("Usage")))
            .then(lit("on-demand"))
            .otherwise(lt.str().to_lowercase()),
    }
}

/// Sums a billing file's cost in `view` by `dims` (and by service and day, always). `view` must
/// be one of the file's own (not `Repriced`).
pub fn billed_costs(
    path: &Path,
    catalog: &Catalog,
    view: CostView,
    dims: &[Dimension],
) -> Result<CostTable, UsageError> {
    billed_costs_with(path, catalog, view, dims, true)
}

/// [`billed_costs`], with the first pass's grouping where it applies or always with the polars
/// query (the reference the first pass is tested against).
fn billed_costs_with(
    path: &Path,
    catalog: &Catalog,
    view: CostView,
    dims: &[Dimension],
    first_pass: bool,
) -> Result<CostTable, UsageError> {
    let file = path.display().to_string();
    let layout_error = |message: String| UsageError::Layout {
        file: file.clone(),
        message,
    };
    let opened = open(path)?;
    let mut lf = opened.lf.clone();
    let schema = lf.collect_schema().map_err(|e| unreadable(&file, e))?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    let layout = match Layout::detect(&names) {
        Some(l) if l != Layout::Cloudcost => l,
        _ => {
            return Err(layout_error(format!(
                "the {view} cost view needs a billing file (a CUR or FOCUS export): this project's usage format has no billed cost (use --cost repriced)"
            )));
        }
    };
    let lf = if layout == Layout::Focus {
        super::focus::without_null_text(lf, &schema)
    } else {
        lf
    };
    let key = match layout {
        Layout::Cur1 => "cur1",
        Layout::Cur2 => "cur2",
        _ => "focus",
    };
    let views = definitions().get(key);
    let def = views
        .and_then(|views| views.get(view.name()))
        .ok_or_else(|| {
            let has: Vec<String> = views
                .map(|v| {
                    v.iter()
                        .map(|(name, d)| format!("{name} ({})", d.column))
                        .collect()
                })
                .unwrap_or_default();
            layout_error(format!(
                "the {view} cost view is not in a {} file (it has no such cost columns); its views: {}, and repriced",
                super::layouts::format_name(layout, &schema),
                has.join(", ")
            ))
        })?;
    let cols = dim_columns(layout);
    let line_type = text_of(&schema, cols.line_type);
    // A reservation's upfront fee is a `Fee` row with its ARN.
    let arn = text_of(&schema, RESERVATION_ARN);
    let row_type = when(line_type.clone().eq(lit("Fee")).and(arn.is_not_null()))
        .then(lit(RESERVATION_UPFRONT))
        .otherwise(line_type.clone());

    // The columns the view needs: its column, and those of the line item types the file has.
    let types: Vec<String> = if def.by_type.is_empty() {
        Vec::new()
    } else {
        let df = lf
            .clone()
            .select([row_type.clone().alias("t")])
            .unique(None, UniqueKeepStrategy::Any)
            .collect()
            .map_err(|e| unreadable(&file, e))?;
        df.column("t")
            .and_then(|c| c.str().cloned())
            .map_err(|e| unreadable(&file, e))?
            .iter()
            .flatten()
            .map(str::to_string)
            .collect()
    };
    let mut needed = vec![def.column.clone()];
    for (t, terms) in &def.by_type {
        if types.contains(t) {
            needed.extend(terms.iter().map(|c| c.trim_start_matches('-').to_string()));
        }
    }
    let missing: Vec<String> = needed
        .iter()
        .filter(|c| find(&schema, &c.split('|').collect::<Vec<_>>()).is_none())
        .map(|c| format!("`{c}`"))
        .collect();
    if !missing.is_empty() {
        return Err(layout_error(format!(
            "the {view} cost view needs column(s) {}, which the file lacks",
            missing.join(", ")
        )));
    }
    let amount = |c: &str| -> (Expr, Expr) {
        let name = find(&schema, &c.split('|').collect::<Vec<_>>()).unwrap_or_default();
        let raw = trimmed(&name);
        let value = match schema.get(&name) {
            Some(DataType::String) => raw.clone().str().to_decimal(super::columns::SCALE),
            _ => quantity_of(&schema, &name),
        };
        // A cell that has text but no number.
        (
            value.clone().fill_null(lit(0)),
            raw.is_not_null().and(value.is_null()),
        )
    };
    let (base, mut bad) = amount(&def.column);
    let mut cost = base;
    for (t, terms) in def.by_type.iter().rev() {
        if !types.contains(t) {
            continue;
        }
        let mut sum = lit(0).cast(DataType::Decimal(38, super::columns::SCALE));
        for term in terms {
            let (v, b) = amount(term.trim_start_matches('-'));
            sum = if term.starts_with('-') {
                sum - v
            } else {
                sum + v
            };
            bad = bad.or(row_type.clone().eq(lit(t.as_str())).and(b));
        }
        cost = when(row_type.clone().eq(lit(t.as_str())))
            .then(sum)
            .otherwise(cost);
    }

    // A view of one column, by dimensions that are columns: the first pass's grouping reads
    // the file (`first_pass::read_groups`), as fast as re-pricing does; else the polars query
    // below.
    if first_pass
        && def.by_type.is_empty()
        && let Some(grouped) = grouped_by_columns(
            &opened,
            &lf,
            &schema,
            layout,
            &cols,
            &def.column,
            dims,
            &file,
        )?
    {
        return table(view, dims, grouped, &file);
    }

    // The dimensions.
    let usage_type = text_of(&schema, cols.usage_type);
    let mut exprs: Vec<Expr> = Vec::new();
    let mut needs_component = false;
    for (i, d) in dims.iter().enumerate() {
        let e = match d {
            Dimension::Account => {
                let id = text_of(&schema, cols.account);
                match find(&schema, cols.account_name) {
                    Some(n) => when(trimmed(&n).is_not_null())
                        .then(concat_str(
                            [id.clone(), lit(" ("), trimmed(&n), lit(")")],
                            "",
                            true,
                        ))
                        .otherwise(id),
                    None => id,
                }
            }
            Dimension::PayerAccount => text_of(&schema, cols.payer),
            Dimension::Service => text_of(&schema, cols.service),
            Dimension::Component => {
                needs_component = true;
                col("__component")
            }
            Dimension::Region => text_of(&schema, cols.region),
            Dimension::UsageType => usage_type.clone(),
            // From `__day`, after the sums.
            Dimension::Month | Dimension::Day => continue,
            Dimension::Resource => text_of(&schema, &[billing_resource(layout, &schema).as_str()]),
            Dimension::PricingModel => {
                pricing_model(layout, &schema, line_type.clone(), usage_type.clone())
            }
            Dimension::Tag(k) => keyed(&schema, k, cols.tag_prefixes, cols.tag_json, "tag")
                .map_err(|m| layout_error(format!("cannot sum by tag `{k}`: {m}")))?,
            Dimension::CostCategory(k) => keyed(
                &schema,
                k,
                cols.category_prefixes,
                cols.category_json,
                "cost category",
            )
            .map_err(|m| layout_error(format!("cannot sum by cost category `{k}`: {m}")))?,
        };
        exprs.push(e.alias(format!("__d{i}")));
    }
    let [start, ..] = billing_numbers(layout, &schema);
    // The file's one time format (detected on its first rows), else every format.
    let format = super::columns::detect_time_format(&lf, &schema, &start);
    let parsed = match format {
        Some(f) => coalesce(&[
            super::columns::timestamp_as(&schema, &start, Some(f)),
            timestamp(&schema, &start),
        ]),
        None => timestamp(&schema, &start),
    };
    let day = parsed.dt().truncate(lit("1d")).cast(DataType::Int64);
    let mut lf = lf;
    if needs_component {
        // The usage-type table, built only for cloudcost's components.
        let c = Classifier::new(catalog);
        let s = schema.clone();
        lf = super::layouts::with_billing_prelude(lf, layout, &s, &c).with_column(
            super::layouts::billing_columns(layout, &s, &c)
                .into_iter()
                .find(|e| expr_name(e) == Some("service"))
                .unwrap_or_else(|| lit(NULL).cast(DataType::String))
                .alias("__component"),
        );
        // Rows cloudcost does not price are their product's.
        lf = lf.with_column(
            when(col("__component").eq(lit("unpriced")))
                .then(text_of(&schema, cols.service))
                .otherwise(col("__component"))
                .alias("__component"),
        );
    }
    let mut select = vec![
        day.alias("__day"),
        text_of(&schema, cols.service).alias("__service"),
        cost.alias("__cost"),
        bad.cast(DataType::UInt32).alias("__bad"),
    ];
    if needs_component {
        select.push(col("__component"));
    }
    let lf = lf.select(select.into_iter().chain(exprs).collect::<Vec<_>>());
    let mut by: Vec<Expr> = vec![col("__day"), col("__service")];
    by.extend(
        (0..dims.len())
            .filter(|&i| !matches!(dims[i], Dimension::Day | Dimension::Month))
            .map(|i| col(format!("__d{i}"))),
    );
    let grouped = lf
        .group_by(by)
        .agg([col("__cost").sum(), col("__bad").sum()])
        .collect_with_engine(Engine::Streaming)
        .map_err(|e| unreadable(&file, e))?
        .unwrap_single();

    let bad: u64 = grouped
        .column("__bad")
        .and_then(|c| c.cast(&DataType::UInt64))
        .map_err(|e| unreadable(&file, e))?
        .u64()
        .map_err(|e| unreadable(&file, e))?
        .sum()
        .unwrap_or(0);
    if bad > 0 {
        return Err(layout_error(format!(
            "{bad} row(s) have a cost the {view} view reads ({}) that is not a number",
            needed.join(", ")
        )));
    }
    let days: Vec<Option<i64>> = grouped
        .column("__day")
        .and_then(|c| c.i64().cloned())
        .map_err(|e| unreadable(&file, e))?
        .iter()
        .collect();
    if days.iter().any(Option::is_none) {
        return Err(layout_error(format!(
            "a row's `{start}` is not a timestamp: its cost has no day"
        )));
    }
    let costs = grouped
        .column("__cost")
        .and_then(|c| c.decimal().cloned())
        .map_err(|e| unreadable(&file, e))?;
    let scale = costs.scale() as u32;
    let costs: Vec<i128> = costs.physical().iter().map(|v| v.unwrap_or(0)).collect();
    let texts = |name: &str| -> Result<Vec<Option<String>>, UsageError> {
        let c = grouped
            .column(name)
            .and_then(|c| c.cast(&DataType::String))
            .map_err(|e| unreadable(&file, e))?;
        let ca = c.str().map_err(|e| unreadable(&file, e))?;
        Ok(ca.iter().map(|v| v.map(str::to_string)).collect())
    };
    let services = texts("__service")?;
    let dim_values: Vec<Vec<Option<String>>> = (0..dims.len())
        .map(|i| match dims[i] {
            Dimension::Day | Dimension::Month => Ok(Vec::new()),
            _ => texts(&format!("__d{i}")),
        })
        .collect::<Result<_, _>>()?;

    let grouped = Grouped {
        days: days.into_iter().map(Option::unwrap_or_default).collect(),
        services,
        dim_values,
        costs,
        scale,
    };
    table(view, dims, grouped, &file)
}

/// A file's costs grouped by day, service and the dimensions' values, at `scale` places.
struct Grouped {
    /// Each group's day (UTC milliseconds).
    days: Vec<i64>,
    services: Vec<Option<String>>,
    /// By dimension (empty for day and month, which come from `days`), each group's value.
    dim_values: Vec<Vec<Option<String>>>,
    costs: Vec<i128>,
    scale: u32,
}

/// The cost table of the groups.
fn table(
    view: CostView,
    dims: &[Dimension],
    g: Grouped,
    file: &str,
) -> Result<CostTable, UsageError> {
    let untagged_dims: Vec<usize> = dims
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(d, Dimension::Tag(_) | Dimension::CostCategory(_)))
        .map(|(i, _)| i)
        .collect();
    let Grouped {
        days,
        services,
        dim_values,
        costs,
        scale,
    } = g;
    let date_of = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.date_naive())
            .unwrap_or_default()
    };
    let mut rows: HashMap<Vec<Option<String>>, i128> = HashMap::new();
    let mut by_service: HashMap<String, i128> = HashMap::new();
    let mut by_day: BTreeMap<NaiveDate, i128> = BTreeMap::new();
    let mut untagged = vec![0i128; untagged_dims.len()];
    let mut total = 0i128;
    let overflow = || unreadable(file, "a sum of costs out of range");
    for (g, &c) in costs.iter().enumerate() {
        let day = date_of(days[g]);
        let keys: Vec<Option<String>> = dims
            .iter()
            .enumerate()
            .map(|(i, d)| match d {
                Dimension::Day => Some(day.to_string()),
                Dimension::Month => Some(day.format("%Y-%m").to_string()),
                _ => dim_values[i][g].clone(),
            })
            .collect();
        for (u, &i) in untagged_dims.iter().enumerate() {
            if keys[i].is_none() {
                untagged[u] = untagged[u].checked_add(c).ok_or_else(overflow)?;
            }
        }
        let r = rows.entry(keys).or_default();
        *r = r.checked_add(c).ok_or_else(overflow)?;
        let service = services[g].clone().unwrap_or_else(|| "(none)".into());
        let s = by_service.entry(service).or_default();
        *s = s.checked_add(c).ok_or_else(overflow)?;
        let d = by_day.entry(day).or_default();
        *d = d.checked_add(c).ok_or_else(overflow)?;
        total = total.checked_add(c).ok_or_else(overflow)?;
    }
    let dec = |m: i128| rounded(m, scale);
    let mut rows: Vec<CostRow> = rows
        .into_iter()
        .map(|(keys, c)| CostRow { keys, cost: dec(c) })
        .collect();
    rows.sort_by(|a, b| b.cost.cmp(&a.cost).then_with(|| a.keys.cmp(&b.keys)));
    let mut by_service: Vec<(String, Decimal)> =
        by_service.into_iter().map(|(s, c)| (s, dec(c))).collect();
    by_service.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(CostTable {
        view,
        dims: dims.to_vec(),
        rows,
        total: dec(total),
        by_service,
        by_day: by_day.into_iter().map(|(d, c)| (d, dec(c))).collect(),
        untagged: untagged_dims
            .iter()
            .zip(untagged)
            .map(|(&i, c)| (dims[i].clone(), dec(c)))
            .collect(),
    })
}

/// The costs of one column grouped by the first pass's hash maps, when every dimension is a
/// column of the file (not JSON tags, cloudcost's component or the pricing model, which are
/// expressions) and every cost parses: `None` otherwise (the polars query then sums them, and
/// says what is wrong).
#[allow(clippy::too_many_arguments)]
fn grouped_by_columns(
    opened: &super::columns::Opened,
    lf: &LazyFrame,
    schema: &Schema,
    layout: Layout,
    cols: &DimColumns,
    cost: &str,
    dims: &[Dimension],
    file: &str,
) -> Result<Option<Grouped>, UsageError> {
    let path = opened.source_path();
    let Some(cost) = find(schema, &[cost]) else {
        return Ok(None);
    };
    let [start, end, ..] = billing_numbers(layout, schema);
    if !schema.contains(&start) || !schema.contains(&end) {
        return Ok(None);
    }
    // Each dimension's columns (an account's id and name), found in the file or not (null).
    let mut names: Vec<String> = Vec::new();
    let add = |names: &mut Vec<String>, n: Option<String>| -> Option<usize> {
        let n = n?;
        Some(match names.iter().position(|x| *x == n) {
            Some(i) => i,
            None => {
                names.push(n);
                names.len() - 1
            }
        })
    };
    let service = add(&mut names, find(schema, cols.service));
    let mut of_dim: Vec<Vec<Option<usize>>> = Vec::new();
    for d in dims {
        let at = |names: &mut Vec<String>, list: &[&str]| add(names, find(schema, list));
        let c = match d {
            Dimension::Account => vec![
                at(&mut names, cols.account),
                at(&mut names, cols.account_name),
            ],
            Dimension::PayerAccount => vec![at(&mut names, cols.payer)],
            Dimension::Service => vec![service],
            Dimension::Region => vec![at(&mut names, cols.region)],
            Dimension::UsageType => vec![at(&mut names, cols.usage_type)],
            Dimension::Resource => {
                vec![at(&mut names, &[billing_resource(layout, schema).as_str()])]
            }
            Dimension::Day | Dimension::Month => Vec::new(),
            Dimension::Tag(k) | Dimension::CostCategory(k) => {
                let prefixes = if matches!(d, Dimension::Tag(_)) {
                    cols.tag_prefixes
                } else {
                    cols.category_prefixes
                };
                let wanted = tag_key(k);
                let column = prefixes.iter().find_map(|p| {
                    schema
                        .iter_names()
                        .find(|n| {
                            n.len() > p.len()
                                && n[..p.len()].eq_ignore_ascii_case(p)
                                && tag_key(&n[p.len()..]) == wanted
                        })
                        .map(|n| n.to_string())
                });
                match column {
                    Some(c) => vec![add(&mut names, Some(c))],
                    // A JSON column, or no such column: the polars query.
                    None => return Ok(None),
                }
            }
            Dimension::Component | Dimension::PricingModel => return Ok(None),
        };
        of_dim.push(c);
    }
    if names.is_empty()
        || names
            .iter()
            .any(|n| schema.get(n) != Some(&DataType::String))
    {
        return Ok(None);
    }
    let roles = super::groups::Roles {
        start: start.clone(),
        end: end.clone(),
        quantity: cost,
        cost: None,
        resource: names[0].clone(),
    };
    let formats = (
        super::columns::detect_time_format(lf, schema, &start),
        super::columns::detect_time_format(lf, schema, &end),
    );
    let keys: Vec<&str> = names.iter().map(String::as_str).collect();
    let parquet = super::is_parquet(path);
    let (mut g, second) = super::first_pass::read_groups(
        Some((path, parquet)),
        lf,
        schema,
        &keys,
        &roles,
        formats,
        false,
        file,
    )?;
    if let Some(second) = second {
        g.merge(second);
    }
    if g.unparsed() > 0 {
        return Ok(None);
    }
    let Some(df) = g.into_frame(&keys) else {
        return Ok(None);
    };
    let days: Vec<Option<i64>> = match df.column("day").and_then(|c| c.cast(&DataType::Int64)) {
        Ok(c) => c.i64().map_err(|e| unreadable(file, e))?.iter().collect(),
        Err(e) => return Err(unreadable(file, e)),
    };
    // A start that did not parse: the polars query reads every format, and says which row.
    if days.iter().any(Option::is_none) {
        return Ok(None);
    }
    let focus = layout == Layout::Focus;
    let key_texts: Vec<Vec<Option<String>>> = keys
        .iter()
        .map(|k| {
            let c = df.column(k).map_err(|e| unreadable(file, e))?;
            let ca = c.str().map_err(|e| unreadable(file, e))?;
            Ok(ca
                .iter()
                .map(|v| {
                    let v = v?.trim();
                    // FOCUS samples write a literal NULL for an empty cell.
                    let null = v.is_empty() || (focus && v == "NULL");
                    (!null).then(|| v.to_string())
                })
                .collect())
        })
        .collect::<Result<_, UsageError>>()?;
    let n = df.height();
    let column = |at: Option<usize>| -> Vec<Option<String>> {
        match at {
            Some(i) => key_texts[i].clone(),
            None => vec![None; n],
        }
    };
    let dim_values: Vec<Vec<Option<String>>> = dims
        .iter()
        .zip(&of_dim)
        .map(|(d, at)| match d {
            Dimension::Day | Dimension::Month => Vec::new(),
            Dimension::Account => {
                let (ids, names) = (column(at[0]), column(at[1]));
                ids.into_iter()
                    .zip(names)
                    .map(|(id, name)| match (id, name) {
                        (Some(id), Some(name)) => Some(format!("{id} ({name})")),
                        (id, _) => id,
                    })
                    .collect()
            }
            _ => column(at[0]),
        })
        .collect();
    let q = df
        .column("q")
        .and_then(|c| c.decimal().cloned())
        .map_err(|e| unreadable(file, e))?;
    let scale = q.scale() as u32;
    Ok(Some(Grouped {
        days: days.into_iter().map(Option::unwrap_or_default).collect(),
        services: column(service),
        dim_values,
        costs: q.physical().iter().map(|v| v.unwrap_or(0)).collect(),
        scale,
    }))
}

/// The output name of an expression (`alias`), when it has one.
fn expr_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Alias(_, name) => Some(name.as_str()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first pass's grouping and the polars query give the same table, on the real files
    /// whose dimensions are columns (per-key tags in the lab CUR) and on those read by the query
    /// (JSON tags).
    #[test]
    fn the_first_pass_sums_as_the_query_does() {
        let catalog = Catalog::embedded().unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
        let dims: Vec<Dimension> = [
            "account",
            "service",
            "day",
            "region",
            "usage-type",
            "resource",
        ]
        .iter()
        .map(|d| d.parse().unwrap())
        .collect();
        for (file, extra) in [
            (
                "Oct2018-WorkshopCUR-00001.snappy.parquet",
                Some("tag:cost_center"),
            ),
            ("ha-project-CUR-daily-1-00001.csv", None),
            ("sample-anonymous-aws-export-dataset.csv", None),
            ("focus_sample.csv", None),
        ] {
            let mut dims = dims.clone();
            dims.extend(extra.map(|d| d.parse().unwrap()));
            for view in [CostView::Unblended, CostView::List] {
                let path = dir.join(file);
                let fast = billed_costs_with(&path, &catalog, view, &dims, true).unwrap();
                let slow = billed_costs_with(&path, &catalog, view, &dims, false).unwrap();
                assert_eq!(fast, slow, "{file} {view}");
                assert!(fast.rows.len() > 5, "{file}");
            }
        }
    }

    /// Tags in a map column (CUR 2.0 and FOCUS Parquet exports write `resource_tags` / `Tags`
    /// as a Parquet MAP, read as a list of key-value structs): summed by tag, its keys listed.
    #[test]
    fn tags_in_a_map_column() {
        let n = 4;
        let tags: Vec<Series> = [Some("web"), Some("db"), None, Some("web")]
            .iter()
            .map(|team| {
                let (keys, values): (Vec<&str>, Vec<&str>) = match team {
                    Some(t) => (vec!["user_team", "user_owner"], vec![t, "ops"]),
                    None => (vec!["user_owner"], vec!["ops"]),
                };
                StructChunked::from_series(
                    "entries".into(),
                    keys.len(),
                    [
                        Series::new("key".into(), keys),
                        Series::new("value".into(), values),
                    ]
                    .iter(),
                )
                .unwrap()
                .into_series()
            })
            .collect();
        let mut df = DataFrame::new_infer_height(vec![
            Column::new(
                "line_item_usage_start_date".into(),
                vec!["2026-10-01T00:00:00Z"; n],
            ),
            Column::new(
                "line_item_usage_end_date".into(),
                vec!["2026-10-01T01:00:00Z"; n],
            ),
            Column::new("line_item_line_item_type".into(), vec!["Usage"; n]),
            Column::new("line_item_product_code".into(), vec!["AmazonEC2"; n]),
            Column::new("line_item_usage_type".into(), vec!["BoxUsage:m5.large"; n]),
            Column::new("line_item_usage_amount".into(), vec!["1"; n]),
            Column::new(
                "line_item_unblended_cost".into(),
                vec!["1.5", "2", "4", "0.25"],
            ),
            Column::new("resource_tags".into(), tags),
        ])
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cur2.parquet");
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        let catalog = Catalog::embedded().unwrap();
        let t = billed_costs(
            &path,
            &catalog,
            CostView::Unblended,
            &[Dimension::Tag("team".into())],
        )
        .unwrap();
        let of = |v: Option<&str>| {
            t.rows
                .iter()
                .find(|r| r.keys[0].as_deref() == v)
                .map(|r| r.cost.to_string())
        };
        assert_eq!(of(Some("web")).as_deref(), Some("1.75"));
        assert_eq!(of(Some("db")).as_deref(), Some("2"));
        assert_eq!(of(None).as_deref(), Some("4"));
        assert_eq!(t.untagged[0].1.to_string(), "4");
        assert_eq!(tag_keys(&path).unwrap(), ["owner", "team"]);
    }

    #[test]
    fn dimensions_and_views_parse() {
        assert_eq!(
            "tag:team".parse::<Dimension>(),
            Ok(Dimension::Tag("team".into()))
        );
        assert_eq!(Dimension::Tag("team".into()).name(), "tag:team");
        assert_eq!("usage-type".parse::<Dimension>(), Ok(Dimension::UsageType));
        assert!("tag:".parse::<Dimension>().is_err());
        assert!(
            "colour"
                .parse::<Dimension>()
                .unwrap_err()
                .contains("expected")
        );
        assert_eq!(
            "net-amortized".parse::<CostView>(),
            Ok(CostView::NetAmortized)
        );
        assert!("blended".parse::<CostView>().is_err());
        assert_eq!(tag_key("user:Cost Center"), "cost_center");
        assert_eq!(tag_key("user_cost_center"), "cost_center");
    }
}
