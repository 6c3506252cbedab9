//! Importing AWS price files into catalog files:
//!
//! - the AWS Price List bulk offer file for EC2 (`products` keyed by SKU with `attributes`;
//!   `terms.OnDemand` / `terms.Reserved` keyed by SKU and term code, each with `priceDimensions`
//!   carrying `unit`, `beginRange`/`endRange` and `pricePerUnit.USD`), and the same records as
//!   the Pricing API's `GetProducts` returns them (one `product` with its `terms`, or a
//!   `PriceList` of them). Kept: `Compute Instance` products with `capacitystatus=Used`,
//!   `preInstalledSw=NA`, `tenancy=Shared`, Linux or Windows (license included);
//! - the Savings Plans offer file (`products[]` with `productFamily` and `purchaseOption`,
//!   `terms.savingsPlan[].rates[]` with `discountedUsageType`, `discountedOperation`,
//!   `discountedRate.price`);
//! - spot price history as `aws ec2 describe-spot-price-history` prints it.
//!
//! Every record that is not imported is counted under its reason; nothing is dropped silently.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use serde_json::Value;

use super::files::{CSV_MARKER, EC2_PRICE_COLUMNS, parse_price};
use super::{Catalog, Os};
use crate::error::InputError;

/// What kind of file was imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferKind {
    /// EC2 price list (bulk offer file or GetProducts records).
    Ec2PriceList,
    /// Savings Plans offer file.
    SavingsPlans,
    /// `describe-spot-price-history` output.
    SpotPriceHistory,
}

/// The result of an import: a catalog file to write and what was kept and skipped.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The kind of input.
    pub kind: OfferKind,
    /// Suggested file name for the catalog file (e.g. `ec2-imported-index.csv`).
    pub file_name: String,
    /// The catalog file's contents.
    pub contents: String,
    /// Price rows written.
    pub rows: usize,
    /// Records not imported, counted by reason.
    pub skipped: BTreeMap<String, usize>,
}

struct Ctx<'a> {
    file: &'a str,
    skipped: BTreeMap<String, usize>,
}

impl Ctx<'_> {
    fn err(&self, path: &str, message: String) -> InputError {
        InputError {
            file: self.file.into(),
            line: None,
            column: None,
            context: Some(path.into()),
            message,
        }
    }
    fn skip(&mut self, reason: impl Into<String>) {
        *self.skipped.entry(reason.into()).or_default() += 1;
    }
}

fn str_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str)
}

/// Imports one JSON file. `file` is its name as the user gave it (for errors and provenance).
pub fn import(catalog: &Catalog, file: &str, text: &str) -> Result<Imported, InputError> {
    let value: Value = serde_json::from_str(text).map_err(|e| InputError {
        file: file.into(),
        line: Some(e.line()),
        column: Some(e.column().to_string()),
        context: None,
        message: format!("not valid JSON: {e}"),
    })?;
    let stem = std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("offer")
        .replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_' && c != '.',
            "-",
        );
    let mut ctx = Ctx {
        file,
        skipped: BTreeMap::new(),
    };
    if value
        .pointer("/terms/savingsPlan")
        .is_some_and(Value::is_array)
    {
        let (rows, n) = savings_plans(catalog, &mut ctx, &value)?;
        return Ok(finish(
            OfferKind::SavingsPlans,
            format!("ec2-savings-plans-imported-{stem}.csv"),
            ec2_csv(&rows, "Savings Plans rates imported"),
            n,
            ctx,
        ));
    }
    if value.get("SpotPriceHistory").is_some_and(Value::is_array) {
        let (contents, n) = spot_history(&mut ctx, &value)?;
        return Ok(finish(
            OfferKind::SpotPriceHistory,
            format!("spot-prices-imported-{stem}.csv"),
            contents,
            n,
            ctx,
        ));
    }
    let records = price_list_records(&ctx, &value)?;
    let mut rows = Vec::new();
    for r in records {
        ec2_record(catalog, &mut ctx, &r, &mut rows)?;
    }
    let n = rows.len();
    Ok(finish(
        OfferKind::Ec2PriceList,
        format!("ec2-imported-{stem}.csv"),
        ec2_csv(&rows, "EC2 prices imported"),
        n,
        ctx,
    ))
}

fn finish(
    kind: OfferKind,
    file_name: String,
    contents: String,
    rows: usize,
    ctx: Ctx<'_>,
) -> Imported {
    Imported {
        kind,
        file_name,
        contents,
        rows,
        skipped: ctx.skipped,
    }
}

/// One product with its terms.
struct Record<'v> {
    product: &'v Value,
    on_demand: Vec<(&'v str, &'v Value)>,
    reserved: Vec<(&'v str, &'v Value)>,
    publication: Option<&'v str>,
}

fn term_map<'v>(terms: Option<&'v Value>, kind: &str, sku: &str) -> Vec<(&'v str, &'v Value)> {
    // Bulk file: terms.<kind>.<sku>.<sku.code>; GetProducts: terms.<kind>.<sku.code>.
    let Some(m) = terms.and_then(|t| t.get(kind)).and_then(Value::as_object) else {
        return Vec::new();
    };
    if let Some(inner) = m.get(sku).and_then(Value::as_object)
        && inner.values().all(|v| v.get("priceDimensions").is_some())
    {
        return inner.iter().map(|(k, v)| (k.as_str(), v)).collect();
    }
    m.iter()
        .filter(|(_, v)| v.get("priceDimensions").is_some())
        .map(|(k, v)| (k.as_str(), v))
        .collect()
}

fn price_list_records<'v>(ctx: &Ctx<'_>, v: &'v Value) -> Result<Vec<Record<'v>>, InputError> {
    let publication = str_at(v, "publicationDate");
    if let (Some(products), Some(terms)) =
        (v.get("products").and_then(Value::as_object), v.get("terms"))
    {
        return Ok(products
            .iter()
            .map(|(sku, p)| Record {
                product: p,
                on_demand: term_map(Some(terms), "OnDemand", sku),
                reserved: term_map(Some(terms), "Reserved", sku),
                publication,
            })
            .collect());
    }
    if let Some(p) = v.get("product") {
        let sku = str_at(p, "sku").unwrap_or_default();
        return Ok(vec![Record {
            product: p,
            on_demand: term_map(v.get("terms"), "OnDemand", sku),
            reserved: term_map(v.get("terms"), "Reserved", sku),
            publication,
        }]);
    }
    if let Some(list) = v.get("PriceList").and_then(Value::as_array) {
        // `aws pricing get-products` prints each record as a JSON string.
        let _ = list;
        return Err(ctx.err("PriceList", "a `PriceList` whose records are JSON strings: extract them first with `jq '.PriceList[] | fromjson'` and import each record (or the bulk offer file)".into()));
    }
    Err(ctx.err(
        "top level",
        "unrecognised file: expected an AWS Price List offer file (`products` and `terms`), a GetProducts record (`product` and `terms`), a Savings Plans offer file (`terms.savingsPlan`), or `describe-spot-price-history` output (`SpotPriceHistory`)".into(),
    ))
}

fn usd(ctx: &Ctx<'_>, path: &str, dim: &Value) -> Result<Decimal, InputError> {
    let s = dim
        .pointer("/pricePerUnit/USD")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ctx.err(
                path,
                "expected `pricePerUnit.USD` as a decimal string".into(),
            )
        })?;
    parse_price(s).map_err(|m| ctx.err(&format!("{path}.pricePerUnit.USD"), m))
}

struct Row {
    region: String,
    instance_type: String,
    os: Os,
    model: &'static str,
    term: String,
    offering: String,
    payment: String,
    upfront: Decimal,
    hourly: Decimal,
    date: String,
    source: String,
}

fn ec2_record(
    catalog: &Catalog,
    ctx: &mut Ctx<'_>,
    r: &Record<'_>,
    out: &mut Vec<Row>,
) -> Result<(), InputError> {
    let a = r.product.get("attributes").unwrap_or(&Value::Null);
    let family = str_at(r.product, "productFamily").unwrap_or("");
    if family != "Compute Instance" {
        ctx.skip(format!(
            "product family `{family}` (not `Compute Instance`)"
        ));
        return Ok(());
    }
    let attr = |k: &str| str_at(a, k).unwrap_or("");
    for (k, want) in [
        ("capacitystatus", "Used"),
        ("preInstalledSw", "NA"),
        ("tenancy", "Shared"),
    ] {
        if attr(k) != want {
            ctx.skip(format!("{k} = `{}` (kept: {want})", attr(k)));
            return Ok(());
        }
    }
    let os = match (attr("operatingSystem"), attr("licenseModel")) {
        ("Linux", _) => Os::Linux,
        ("Windows", "License Included") | ("Windows", "") => Os::Windows,
        ("Windows", lic) => {
            ctx.skip(format!("Windows with license model `{lic}`"));
            return Ok(());
        }
        (other, _) => {
            ctx.skip(format!(
                "operating system `{other}` (not priced by cloudcost)"
            ));
            return Ok(());
        }
    };
    let region = match str_at(a, "regionCode") {
        Some(code) => code.to_string(),
        None => match catalog.region_by_location(attr("location")) {
            Some(reg) => reg.code.clone(),
            None => {
                ctx.skip(format!(
                    "unknown location `{}` (add it to regions.toml)",
                    attr("location")
                ));
                return Ok(());
            }
        },
    };
    let itype = attr("instanceType").to_string();
    if itype.is_empty() {
        return Err(ctx.err("product.attributes", "expected `instanceType`".into()));
    }
    let sku = str_at(r.product, "sku").unwrap_or("?");
    let publication = r
        .publication
        .map(|p| format!(", publicationDate {p}"))
        .unwrap_or_default();
    let file = ctx.file.to_string();
    let source = |code: &str| {
        format!("AWS Price List offer file {file}{publication}, SKU {sku} offerTermCode {code}")
    };
    for (key, term) in &r.on_demand {
        let path = format!("terms.OnDemand.{key}");
        let dims = term
            .get("priceDimensions")
            .and_then(Value::as_object)
            .ok_or_else(|| ctx.err(&path, "expected `priceDimensions`".into()))?;
        let hrs: Vec<&Value> = dims
            .values()
            .filter(|d| str_at(d, "unit") == Some("Hrs"))
            .collect();
        let dim = match hrs.as_slice() {
            [d] => *d,
            _ => {
                ctx.skip("on-demand term without exactly one `Hrs` price dimension".to_string());
                continue;
            }
        };
        if str_at(dim, "beginRange").is_some_and(|b| b != "0") {
            ctx.skip("on-demand dimension not starting at 0 hours".to_string());
            continue;
        }
        let hourly = usd(ctx, &path, dim)?;
        out.push(Row {
            region: region.clone(),
            instance_type: itype.clone(),
            os,
            model: "on-demand",
            term: String::new(),
            offering: String::new(),
            payment: String::new(),
            upfront: Decimal::ZERO,
            hourly,
            date: date_of(term),
            source: source(str_at(term, "offerTermCode").unwrap_or(key)),
        });
    }
    for (key, term) in &r.reserved {
        let path = format!("terms.Reserved.{key}");
        let ta = term.get("termAttributes").unwrap_or(&Value::Null);
        let lease = str_at(ta, "LeaseContractLength").unwrap_or("");
        let class = str_at(ta, "OfferingClass").unwrap_or("");
        let option = str_at(ta, "PurchaseOption").unwrap_or("");
        let (Some(t), Some(c), Some(p)) = (
            match lease {
                "1yr" | "1 yr" => Some("1yr"),
                "3yr" | "3 yr" => Some("3yr"),
                _ => None,
            },
            match class {
                "standard" | "convertible" => Some(class),
                _ => None,
            },
            match option {
                "No Upfront" => Some("no-upfront"),
                "Partial Upfront" => Some("partial-upfront"),
                "All Upfront" => Some("all-upfront"),
                _ => None,
            },
        ) else {
            ctx.skip(format!("reserved term with LeaseContractLength `{lease}`, OfferingClass `{class}`, PurchaseOption `{option}`"));
            continue;
        };
        let dims = term
            .get("priceDimensions")
            .and_then(Value::as_object)
            .ok_or_else(|| ctx.err(&path, "expected `priceDimensions`".into()))?;
        let (mut upfront, mut hourly) = (Decimal::ZERO, None);
        for (dk, d) in dims {
            match str_at(d, "unit") {
                Some("Quantity") => upfront = usd(ctx, &format!("{path}.priceDimensions.{dk}"), d)?,
                Some("Hrs") => hourly = Some(usd(ctx, &format!("{path}.priceDimensions.{dk}"), d)?),
                other => {
                    return Err(ctx.err(
                        &format!("{path}.priceDimensions.{dk}"),
                        format!("expected unit `Hrs` or `Quantity`, found {other:?}"),
                    ));
                }
            }
        }
        let Some(hourly) = hourly else {
            return Err(ctx.err(
                &path,
                "reserved term without an `Hrs` price dimension".into(),
            ));
        };
        out.push(Row {
            region: region.clone(),
            instance_type: itype.clone(),
            os,
            model: "reserved",
            term: t.into(),
            offering: c.into(),
            payment: p.into(),
            upfront,
            hourly,
            date: date_of(term),
            source: source(str_at(term, "offerTermCode").unwrap_or(key)),
        });
    }
    Ok(())
}

fn date_of(term: &Value) -> String {
    str_at(term, "effectiveDate")
        .and_then(|d| d.get(..10))
        .unwrap_or("1970-01-01")
        .to_string()
}

fn savings_plans(
    catalog: &Catalog,
    ctx: &mut Ctx<'_>,
    v: &Value,
) -> Result<(Vec<Row>, usize), InputError> {
    let publication = str_at(v, "publicationDate")
        .map(|p| format!(", publicationDate {p}"))
        .unwrap_or_default();
    let mut products: HashMap<&str, &Value> = HashMap::new();
    for p in v
        .get("products")
        .and_then(Value::as_array)
        .ok_or_else(|| ctx.err("products", "expected an array of products".into()))?
    {
        if let Some(sku) = str_at(p, "sku") {
            products.insert(sku, p);
        }
    }
    let mut rows = Vec::new();
    for (i, plan) in v
        .pointer("/terms/savingsPlan")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let path = format!("terms.savingsPlan[{i}]");
        let sku = str_at(plan, "sku").ok_or_else(|| ctx.err(&path, "expected `sku`".into()))?;
        let Some(product) = products.get(sku) else {
            return Err(ctx.err(
                &path,
                format!("savings plan sku `{sku}` has no entry in `products`"),
            ));
        };
        let offering = match str_at(product, "productFamily") {
            Some("ComputeSavingsPlans") => "compute",
            Some("EC2InstanceSavingsPlans") => "ec2-instance",
            other => {
                ctx.skip(format!("savings plan product family {other:?}"));
                continue;
            }
        };
        let attrs = product.get("attributes").unwrap_or(&Value::Null);
        let payment = match str_at(attrs, "purchaseOption") {
            Some("No Upfront") => "no-upfront",
            Some("Partial Upfront") => "partial-upfront",
            Some("All Upfront") => "all-upfront",
            other => {
                return Err(ctx.err(
                    &format!("products[sku={sku}].attributes.purchaseOption"),
                    format!("expected No / Partial / All Upfront, found {other:?}"),
                ));
            }
        };
        let term = match str_at(attrs, "purchaseTerm").or_else(|| {
            plan.pointer("/leaseContractLength/duration")
                .and_then(Value::as_u64)
                .map(|d| {
                    if d == 1 {
                        "1yr"
                    } else if d == 3 {
                        "3yr"
                    } else {
                        ""
                    }
                })
        }) {
            Some("1yr") => "1yr",
            Some("3yr") => "3yr",
            other => {
                return Err(ctx.err(
                    &format!("{path}.leaseContractLength"),
                    format!("expected a 1 or 3 year term, found {other:?}"),
                ));
            }
        };
        let date = str_at(plan, "effectiveDate")
            .and_then(|d| d.get(..10))
            .or_else(|| str_at(v, "publicationDate").and_then(|d| d.get(..10)))
            .unwrap_or("1970-01-01")
            .to_string();
        for (j, rate) in plan
            .get("rates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let rpath = format!("{path}.rates[{j}]");
            if str_at(rate, "discountedServiceCode").is_some_and(|s| s != "AmazonEC2") {
                ctx.skip(format!(
                    "rate for service `{}`",
                    str_at(rate, "discountedServiceCode").unwrap_or("")
                ));
                continue;
            }
            let usage = str_at(rate, "discountedUsageType")
                .ok_or_else(|| ctx.err(&rpath, "expected `discountedUsageType`".into()))?;
            let (prefix, rest) = match usage.split_once('-') {
                Some((p, r)) if !p.contains(':') => (Some(p), r),
                _ => (None, usage),
            };
            let Some(itype) = rest.strip_prefix("BoxUsage:") else {
                ctx.skip(format!(
                    "usage type `{}` (only shared-tenancy BoxUsage is priced)",
                    rest.split(':').next().unwrap_or(rest)
                ));
                continue;
            };
            let region = match (str_at(rate, "discountedRegionCode"), prefix) {
                (Some(code), _) => code.to_string(),
                (None, None) => "us-east-1".to_string(),
                (None, Some(p)) => match catalog.region_by_usage_prefix(p) {
                    Some(r) => r.code.clone(),
                    None => {
                        ctx.skip(format!("unknown usage type prefix `{p}`"));
                        continue;
                    }
                },
            };
            let os = match str_at(rate, "discountedOperation") {
                Some("RunInstances") => Os::Linux,
                Some("RunInstances:0002") => Os::Windows,
                Some(op) => {
                    ctx.skip(format!("operation `{op}` (only Linux RunInstances and Windows RunInstances:0002 are priced)"));
                    continue;
                }
                None => {
                    ctx.skip(
                        "rate without `discountedOperation` (operating system unknown)".to_string(),
                    );
                    continue;
                }
            };
            let price = rate
                .pointer("/discountedRate/price")
                .and_then(Value::as_str)
                .ok_or_else(|| ctx.err(&rpath, "expected `discountedRate.price`".into()))?;
            let hourly = parse_price(price)
                .map_err(|m| ctx.err(&format!("{rpath}.discountedRate.price"), m))?;
            let code = str_at(rate, "rateCode").unwrap_or("?");
            rows.push(Row {
                region,
                instance_type: itype.to_string(),
                os,
                model: "savings-plan",
                term: term.into(),
                offering: offering.into(),
                payment: payment.into(),
                upfront: Decimal::ZERO,
                hourly,
                date: date.clone(),
                source: format!(
                    "AWS Savings Plans offer file {}{publication}, rateCode {code}",
                    ctx.file
                ),
            });
        }
    }
    let n = rows.len();
    Ok((rows, n))
}

fn ec2_csv(rows: &[Row], what: &str) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record(EC2_PRICE_COLUMNS);
    for r in rows {
        let _ = w.write_record([
            r.region.as_str(),
            &r.instance_type,
            r.os.as_str(),
            "shared",
            r.model,
            &r.term,
            &r.offering,
            &r.payment,
            &r.upfront.normalize().to_string(),
            &r.hourly.normalize().to_string(),
            &r.date,
            "published",
            &r.source,
        ]);
    }
    let body = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    format!("{CSV_MARKER}: {what} by `cloudcost pricing import`\n{body}")
}

/// One observed spot price, as `describe-spot-price-history` prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpotObservation {
    /// Availability zone.
    pub availability_zone: String,
    /// Instance type.
    pub instance_type: String,
    /// Operating system.
    pub os: Os,
    /// When the price took effect.
    pub timestamp: chrono::DateTime<chrono::Utc>,
    /// The timestamp as printed.
    pub timestamp_text: String,
    /// USD per instance-hour.
    pub price: Decimal,
}

/// Reads `aws ec2 describe-spot-price-history` output: the observations, and what was skipped
/// (other operating systems) by reason.
pub fn spot_observations(
    file: &str,
    text: &str,
) -> Result<(Vec<SpotObservation>, BTreeMap<String, usize>), InputError> {
    let value: Value = serde_json::from_str(text).map_err(|e| InputError {
        file: file.into(),
        line: Some(e.line()),
        column: Some(e.column().to_string()),
        context: None,
        message: format!("not valid JSON: {e}"),
    })?;
    let mut ctx = Ctx {
        file,
        skipped: BTreeMap::new(),
    };
    let Some(list) = value.get("SpotPriceHistory").and_then(Value::as_array) else {
        return Err(ctx.err(
            "top level",
            "expected `SpotPriceHistory`, the output of `aws ec2 describe-spot-price-history`"
                .into(),
        ));
    };
    let mut out = Vec::new();
    for (i, p) in list.iter().enumerate() {
        let path = format!("SpotPriceHistory[{i}]");
        let field = |k: &str| str_at(p, k).ok_or_else(|| ctx.err(&path, format!("expected `{k}`")));
        let (az, itype, desc, price, ts) = (
            field("AvailabilityZone")?,
            field("InstanceType")?,
            field("ProductDescription")?,
            field("SpotPrice")?,
            field("Timestamp")?,
        );
        let os = match desc.trim_end_matches(" (Amazon VPC)") {
            "Linux/UNIX" => Os::Linux,
            "Windows" => Os::Windows,
            other => {
                ctx.skip(format!(
                    "product description `{other}` (only Linux/UNIX and Windows are priced)"
                ));
                continue;
            }
        };
        let price = parse_price(price).map_err(|m| ctx.err(&format!("{path}.SpotPrice"), m))?;
        let timestamp = chrono::DateTime::parse_from_rfc3339(ts)
            .map_err(|_| {
                ctx.err(
                    &format!("{path}.Timestamp"),
                    format!("expected an RFC 3339 time, found `{ts}`"),
                )
            })?
            .with_timezone(&chrono::Utc);
        out.push(SpotObservation {
            availability_zone: az.into(),
            instance_type: itype.into(),
            os,
            timestamp,
            timestamp_text: ts.into(),
            price,
        });
    }
    Ok((out, ctx.skipped))
}

fn spot_history(ctx: &mut Ctx<'_>, v: &Value) -> Result<(String, usize), InputError> {
    let (points, skipped) = spot_observations(ctx.file, &v.to_string())?;
    for (reason, n) in skipped {
        *ctx.skipped.entry(reason).or_default() += n;
    }
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let _ = w.write_record([
        "availability_zone",
        "instance_type",
        "os",
        "timestamp",
        "price_usd",
        "source",
    ]);
    for p in &points {
        let _ = w.write_record([
            p.availability_zone.as_str(),
            &p.instance_type,
            p.os.as_str(),
            &p.timestamp_text,
            &p.price.normalize().to_string(),
            &format!("describe-spot-price-history output {}", ctx.file),
        ]);
    }
    let body = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    Ok((
        format!("{CSV_MARKER}: spot price history imported by `cloudcost pricing import`\n{body}"),
        points.len(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GETPRODUCTS: &str =
        include_str!("../../tests/fixtures/offers/getproducts_m5.large_us-east-1.json");
    const SP_2026: &str = include_str!("../../tests/fixtures/offers/savings_plan_offer_2026.json");

    #[test]
    fn imports_a_getproducts_record() {
        let cat = Catalog::embedded().unwrap();
        let imp = import(&cat, "m5.json", GETPRODUCTS).unwrap();
        assert_eq!(imp.kind, OfferKind::Ec2PriceList);
        assert_eq!(imp.rows, 3, "{}", imp.contents);
        assert!(
            imp.contents.contains(
                "us-east-1,m5.large,linux,shared,on-demand,,,,0,0.096,2021-02-01,published"
            ),
            "{}",
            imp.contents
        );
        assert!(
            imp.contents
                .contains("reserved,3yr,standard,partial-upfront,505,0.019,2020-04-01"),
            "{}",
            imp.contents
        );
        // What it writes is a catalog file the loader reads back.
        let back =
            Catalog::from_files(vec![(imp.file_name.clone(), imp.contents.clone())]).unwrap();
        let p = back
            .ec2_price(
                "us-east-1",
                "m5.large",
                Os::Linux,
                crate::catalog::Ec2Model::OnDemand,
            )
            .unwrap();
        assert_eq!(p.hourly.to_string(), "0.096");
    }

    #[test]
    fn imports_a_bulk_offer_file_with_its_filters() {
        let cat = Catalog::embedded().unwrap();
        let text = include_str!("../../tests/fixtures/offers/bulk_offer_ec2_us-east-1.json");
        let imp = import(&cat, "index.json", text).unwrap();
        assert_eq!(imp.rows, 3, "{}", imp.contents);
        let skipped: Vec<&String> = imp.skipped.keys().collect();
        assert_eq!(imp.skipped.values().sum::<usize>(), 4, "{skipped:?}");
        for reason in [
            "capacitystatus",
            "tenancy",
            "preInstalledSw",
            "product family `Storage`",
        ] {
            assert!(
                skipped.iter().any(|s| s.contains(reason)),
                "{reason} in {skipped:?}"
            );
        }
        assert!(imp.contents.contains(
            "publicationDate 2021-02-05T20:45:00Z, SKU 6C86BEPQVG73ZGGR offerTermCode JRTCKXETXF"
        ));
    }

    #[test]
    fn imports_spot_price_history() {
        let cat = Catalog::embedded().unwrap();
        let text = include_str!("../../tests/fixtures/offers/describe_spot_price_history.json");
        let imp = import(&cat, "spot.json", text).unwrap();
        assert_eq!((imp.kind, imp.rows), (OfferKind::SpotPriceHistory, 3));
        let back =
            Catalog::from_files(vec![(imp.file_name.clone(), imp.contents.clone())]).unwrap();
        let p = back
            .latest_spot_price("us-east-1a", "m5.large", Os::Linux)
            .unwrap();
        assert_eq!(p.price.to_string(), "0.0423");
    }

    #[test]
    fn imports_savings_plan_rates_and_counts_skips() {
        let cat = Catalog::embedded().unwrap();
        let imp = import(&cat, "sp.json", SP_2026).unwrap();
        assert_eq!(imp.kind, OfferKind::SavingsPlans);
        assert_eq!(imp.rows, 3, "{}", imp.contents);
        assert!(
            imp.contents.contains(
                "ap-northeast-2,m5.large,linux,shared,savings-plan,1yr,compute,no-upfront,0,0.083"
            ),
            "{}",
            imp.contents
        );
        assert_eq!(imp.skipped.values().sum::<usize>(), 2, "{:?}", imp.skipped);
    }

    #[test]
    fn rejects_unknown_and_malformed_files() {
        let cat = Catalog::embedded().unwrap();
        let e = import(&cat, "x.json", "{\"hello\": 1}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.json") && e.contains("unrecognised"), "{e}");
        let e = import(&cat, "x.json", "{\"products\": ")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("x.json:1:") && e.contains("not valid JSON"),
            "{e}"
        );
        let bad = GETPRODUCTS.replace("\"0.0960000000\"", "\"ninety\"");
        let e = import(&cat, "m5.json", &bad).unwrap_err().to_string();
        assert!(
            e.contains("pricePerUnit.USD") && e.contains("ninety"),
            "{e}"
        );
    }
}
