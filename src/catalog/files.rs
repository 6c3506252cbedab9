//! Reading catalog data files: CSV tables (EC2 prices, instance types, spot) and TOML rate files
//! (S3, EBS, data transfer, Lambda, VPC), each checked for the format version and every value
//! parsed with an error naming the file, the row and the column.
//!
//! The file formats are documented in `pricing-data/README.md`.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;

use super::model::*;
use crate::error::CatalogError;

/// The catalog format version this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// Marker on the first line of every catalog CSV file.
pub const CSV_MARKER: &str = "# cloudcost-catalog format 1";

/// The column names of an EC2 price file, in order.
pub const EC2_PRICE_COLUMNS: [&str; 13] = [
    "region",
    "instance_type",
    "os",
    "tenancy",
    "model",
    "term",
    "offering",
    "payment",
    "upfront_usd",
    "hourly_usd",
    "effective_date",
    "confidence",
    "source",
];

/// What a catalog file holds, decided by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `regions.toml`.
    Regions,
    /// `instance-types*.csv`.
    InstanceTypes,
    /// `ec2-*.csv`: EC2 price rows.
    Ec2Prices,
    /// `spot-advisor*.csv`.
    SpotAdvisor,
    /// `spot-prices*.csv`.
    SpotPrices,
    /// Any other `.toml`: a service rate file.
    Rates,
    /// Documentation and anything else that is not data.
    Ignored,
}

impl FileKind {
    /// Classifies a catalog file by its name.
    pub fn of(path: &str) -> Result<FileKind, CatalogError> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let kind = if name == "regions.toml" {
            FileKind::Regions
        } else if name == "feed-origins.toml" {
            FileKind::Ignored
        } else if name.ends_with(".toml") {
            FileKind::Rates
        } else if name.ends_with(".csv") {
            if name.starts_with("instance-types") {
                FileKind::InstanceTypes
            } else if name.starts_with("ec2-") {
                FileKind::Ec2Prices
            } else if name.starts_with("spot-advisor") {
                FileKind::SpotAdvisor
            } else if name.starts_with("spot-prices") {
                FileKind::SpotPrices
            } else {
                return Err(CatalogError {
                    file: path.into(),
                    line: None,
                    column: None,
                    message: "unknown catalog CSV file: expected a name starting with \
                              `instance-types`, `ec2-`, `spot-advisor` or `spot-prices`"
                        .into(),
                });
            }
        } else {
            FileKind::Ignored
        };
        Ok(kind)
    }
}

fn err(file: &str, line: Option<usize>, column: Option<&str>, message: String) -> CatalogError {
    CatalogError {
        file: file.into(),
        line,
        column: column.map(str::to_string),
        message,
    }
}

/// A CSV reader over a catalog file, after checking its format marker.
fn csv_reader<'a>(file: &str, text: &'a str) -> Result<csv::Reader<&'a [u8]>, CatalogError> {
    let first = text.lines().next().unwrap_or_default();
    if !first.starts_with(CSV_MARKER) {
        return Err(err(
            file,
            Some(1),
            None,
            format!("expected the first line to start with `{CSV_MARKER}`, found `{first}`"),
        ));
    }
    Ok(csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes()))
}

/// A CSV file's rows: each record with its line number, and the header's column positions.
/// Column name → index (looked up a dozen times per row: a fast hash, not SipHash).
type Columns = std::collections::HashMap<String, usize, foldhash::fast::FixedState>;

struct Table {
    columns: Columns,
    rows: Vec<(usize, csv::StringRecord)>,
}

/// Reads a catalog CSV file; checks the header has every required column.
fn csv_rows(file: &str, text: &str, required: &[&str]) -> Result<Table, CatalogError> {
    let mut rdr = csv_reader(file, text)?;
    let headers = rdr
        .headers()
        .map_err(|e| err(file, None, None, format!("unreadable header: {e}")))?
        .clone();
    for col in required {
        if !headers.iter().any(|h| h == *col) {
            return Err(err(
                file,
                None,
                Some(col),
                format!(
                    "missing column `{col}`; the header has: {}",
                    headers.iter().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    let columns = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_string(), i))
        .collect();
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map(|p| p.line() as usize);
            err(file, line, None, format!("malformed CSV row: {e}"))
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        rows.push((line, rec));
    }
    Ok(Table { columns, rows })
}

impl Table {
    fn rows<'a>(&'a self, file: &'a str) -> impl Iterator<Item = Row<'a>> {
        self.rows.iter().map(move |(line, rec)| Row {
            file,
            line: *line,
            columns: &self.columns,
            rec,
        })
    }
}

struct Row<'a> {
    file: &'a str,
    line: usize,
    columns: &'a Columns,
    rec: &'a csv::StringRecord,
}

impl Row<'_> {
    fn str(&self, col: &str) -> &str {
        self.columns
            .get(col)
            .and_then(|i| self.rec.get(*i))
            .unwrap_or("")
    }

    fn opt_str(&self, col: &str) -> Option<String> {
        Some(self.str(col))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    fn required(&self, col: &str) -> Result<String, CatalogError> {
        let v = self.str(col);
        if v.is_empty() {
            Err(self.err(col, "expected a value, found an empty cell".into()))
        } else {
            Ok(v.to_string())
        }
    }

    fn err(&self, col: &str, message: String) -> CatalogError {
        err(self.file, Some(self.line), Some(col), message)
    }

    fn parse<T: FromStr<Err = String>>(&self, col: &str) -> Result<T, CatalogError> {
        self.str(col).parse().map_err(|e| self.err(col, e))
    }

    fn decimal(&self, col: &str) -> Result<Decimal, CatalogError> {
        parse_price(self.str(col)).map_err(|e| self.err(col, e))
    }

    fn opt_decimal(&self, col: &str) -> Result<Option<Decimal>, CatalogError> {
        if self.str(col).is_empty() {
            Ok(None)
        } else {
            self.decimal(col).map(Some)
        }
    }

    fn date(&self, col: &str) -> Result<String, CatalogError> {
        let v = self.required(col)?;
        check_date(&v).map_err(|e| self.err(col, e))?;
        Ok(v)
    }

    fn confidence(&self, col: &str) -> Result<Confidence, CatalogError> {
        match self.str(col) {
            "published" => Ok(Confidence::Published),
            "unconfirmed" => Ok(Confidence::Unconfirmed),
            "estimate" => Ok(Confidence::Estimate),
            other => Err(self.err(
                col,
                format!("expected `published`, `unconfirmed` or `estimate`, found `{other}`"),
            )),
        }
    }
}

/// Parses a non-negative decimal price or quantity.
pub fn parse_price(s: &str) -> Result<Decimal, String> {
    let d = Decimal::from_str(s.trim())
        .or_else(|_| Decimal::from_scientific(s.trim()))
        .map_err(|_| format!("expected a decimal number, found `{s}`"))?;
    if d.is_sign_negative() && !d.is_zero() {
        return Err(format!("expected a non-negative number, found `{s}`"));
    }
    Ok(d)
}

/// Checks an ISO date `YYYY-MM-DD`.
pub fn check_date(s: &str) -> Result<(), String> {
    let b = s.as_bytes();
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(format!("expected a date as YYYY-MM-DD, found `{s}`"))
    }
}

/// Parses `instance-types*.csv`.
pub fn read_instance_types(file: &str, text: &str) -> Result<Vec<InstanceType>, CatalogError> {
    let required = ["instance_type", "vcpu", "memory_gib", "arch"];
    let mut out = Vec::new();
    let table = csv_rows(file, text, &required)?;
    for row in table.rows(file) {
        let vcpu = row
            .str("vcpu")
            .parse::<u32>()
            .ok()
            .filter(|v| *v > 0)
            .ok_or_else(|| {
                row.err(
                    "vcpu",
                    format!(
                        "expected a positive whole number, found `{}`",
                        row.str("vcpu")
                    ),
                )
            })?;
        out.push(InstanceType {
            name: row.required("instance_type")?,
            vcpu,
            memory_gib: row.decimal("memory_gib")?,
            arch: row.parse("arch")?,
            processor: row.str("processor").to_string(),
            network_performance: row.str("network_performance").to_string(),
            net_baseline_gbps: row.opt_decimal("net_baseline_gbps")?,
            net_burst_gbps: row.opt_decimal("net_burst_gbps")?,
            ebs_baseline_mbps: row.opt_decimal("ebs_baseline_mbps")?,
            ebs_max_mbps: row.opt_decimal("ebs_max_mbps")?,
            ebs_baseline_iops: row.opt_decimal("ebs_baseline_iops")?,
            ebs_max_iops: row.opt_decimal("ebs_max_iops")?,
            cpu_credits_per_hour: row.opt_decimal("cpu_credits_per_hour")?,
            baseline_pct_per_vcpu: row.opt_decimal("baseline_pct_per_vcpu")?,
            max_accrued_credits: row.opt_decimal("max_accrued_credits")?,
            category: row.opt_str("category"),
            generation: match row.str("generation") {
                "" => None,
                _ => Some(row.parse("generation")?),
            },
            normalization_factor: row.opt_decimal("normalization_factor")?,
        });
    }
    Ok(out)
}

/// The sources a big price file names once in its header, `# source [1]: <text>`, for its rows'
/// `source` cells to refer to as `[1]`.
fn source_refs(text: &str) -> std::collections::HashMap<String, String> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("# source ")?.split_once(": "))
        .filter(|(r, _)| r.starts_with('[') && r.ends_with(']'))
        .map(|(r, s)| (r.to_string(), s.trim().to_string()))
        .collect()
}

/// Parses an `ec2-*.csv` price file.
pub fn read_ec2_prices(file: &str, text: &str) -> Result<Vec<Ec2Price>, CatalogError> {
    let mut out = Vec::new();
    let sources = source_refs(text);
    let table = csv_rows(file, text, &EC2_PRICE_COLUMNS)?;
    for row in table.rows(file) {
        let tenancy = row.str("tenancy");
        if tenancy != "shared" {
            return Err(row.err(
                "tenancy",
                format!("expected `shared` (the only tenancy priced), found `{tenancy}`"),
            ));
        }
        let model: Model = row.parse("model")?;
        let commitment = || -> Result<(Term, Offering, Payment), CatalogError> {
            Ok((
                row.parse("term")?,
                row.parse("offering")?,
                row.parse("payment")?,
            ))
        };
        let model = match model {
            Model::OnDemand => Ec2Model::OnDemand,
            Model::Reserved => {
                let (t, o, p) = commitment()?;
                if !o.is_ri_class() {
                    return Err(row.err(
                        "offering",
                        format!(
                            "expected `standard` or `convertible` for a reserved price, found `{o}`"
                        ),
                    ));
                }
                Ec2Model::Reserved(t, o, p)
            }
            Model::SavingsPlan => {
                let (t, o, p) = commitment()?;
                if o.is_ri_class() {
                    return Err(row.err("offering", format!("expected `compute` or `ec2-instance` for a savings plan rate, found `{o}`")));
                }
                Ec2Model::SavingsPlan(t, o, p)
            }
            Model::Spot => {
                return Err(row.err(
                    "model",
                    "spot prices belong in spot-prices*.csv or spot-advisor*.csv".into(),
                ));
            }
        };
        let upfront = if row.str("upfront_usd").is_empty() {
            Decimal::ZERO
        } else {
            row.decimal("upfront_usd")?
        };
        out.push(Ec2Price {
            region: row.required("region")?,
            instance_type: row.required("instance_type")?,
            os: row.parse("os")?,
            model,
            upfront,
            hourly: row.decimal("hourly_usd")?,
            provenance: Provenance {
                source: match sources.get(row.str("source")) {
                    Some(s) => s.clone(),
                    None => row.required("source")?,
                },
                effective_date: row.date("effective_date")?,
                confidence: row.confidence("confidence")?,
                file: file.into(),
                rate_code: row.opt_str("rate_code"),
            },
        });
    }
    Ok(out)
}

/// Parses `spot-advisor*.csv`.
pub fn read_spot_advisor(file: &str, text: &str) -> Result<Vec<SpotAdvisor>, CatalogError> {
    let required = [
        "region",
        "instance_type",
        "os",
        "savings_pct",
        "interruption_band",
        "effective_date",
        "source",
    ];
    let mut out = Vec::new();
    let table = csv_rows(file, text, &required)?;
    for row in table.rows(file) {
        let savings_pct = row.decimal("savings_pct")?;
        if savings_pct >= Decimal::ONE_HUNDRED {
            return Err(row.err(
                "savings_pct",
                format!("expected a saving below 100 %, found {savings_pct}"),
            ));
        }
        out.push(SpotAdvisor {
            region: row.required("region")?,
            instance_type: row.required("instance_type")?,
            os: row.parse("os")?,
            savings_pct,
            interruption_band: row.required("interruption_band")?,
            provenance: Provenance {
                source: row.required("source")?,
                effective_date: row.date("effective_date")?,
                confidence: Confidence::Estimate,
                file: file.into(),
                rate_code: None,
            },
        });
    }
    Ok(out)
}

/// Parses `spot-prices*.csv`.
pub fn read_spot_prices(file: &str, text: &str) -> Result<Vec<SpotPricePoint>, CatalogError> {
    let required = [
        "availability_zone",
        "instance_type",
        "os",
        "timestamp",
        "price_usd",
        "source",
    ];
    let mut out = Vec::new();
    let table = csv_rows(file, text, &required)?;
    for row in table.rows(file) {
        let timestamp = row.required("timestamp")?;
        out.push(SpotPricePoint {
            availability_zone: row.required("availability_zone")?,
            instance_type: row.required("instance_type")?,
            os: row.parse("os")?,
            price: row.decimal("price_usd")?,
            provenance: Provenance {
                source: row.required("source")?,
                effective_date: timestamp.get(..10).unwrap_or_default().to_string(),
                confidence: Confidence::Published,
                file: file.into(),
                rate_code: None,
            },
            timestamp,
        });
    }
    Ok(out)
}

/// A region known to the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Region code, e.g. `ap-northeast-2`.
    pub code: String,
    /// Price list location name, e.g. `Asia Pacific (Seoul)`.
    pub location: String,
    /// Usage type prefix, e.g. `APN2`.
    pub usage_prefix: String,
    /// Other prefixes AWS writes for the region's usage types (us-east-1: also none, `""`).
    #[serde(default)]
    pub other_prefixes: Vec<String>,
    /// Other names AWS's charge descriptions give the region (`US East (Northern Virginia)`).
    #[serde(default)]
    pub other_locations: Vec<String>,
    /// Availability zones.
    #[serde(default)]
    pub azs: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionsFile {
    format_version: u32,
    #[allow(dead_code)]
    source: String,
    #[allow(dead_code)]
    effective_date: String,
    region: Vec<Region>,
}

/// Parses `regions.toml`.
pub fn read_regions(file: &str, text: &str) -> Result<Vec<Region>, CatalogError> {
    let f: RegionsFile = toml::from_str(text).map_err(|e| toml_err(file, text, e))?;
    check_version(file, f.format_version)?;
    Ok(f.region)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RatesFile {
    format_version: u32,
    service: String,
    source: String,
    effective_date: String,
    confidence: Confidence,
    #[serde(default)]
    rate: Vec<RateEntry>,
    #[serde(default)]
    fact: Vec<FactEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateEntry {
    region: String,
    key: String,
    unit: String,
    price: Option<String>,
    tiers: Option<Vec<TierEntry>>,
    source: Option<String>,
    effective_date: Option<String>,
    confidence: Option<Confidence>,
    /// AWS's rate code (`SKU.offerTermCode.rateCode`), where the source gives it.
    rate_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TierEntry {
    upto: Option<String>,
    price: String,
    confidence: Option<Confidence>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FactEntry {
    region: Option<String>,
    key: String,
    value: String,
    unit: String,
    source: String,
}

fn toml_err(file: &str, text: &str, e: toml::de::Error) -> CatalogError {
    let line = e
        .span()
        .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
    err(file, line, None, e.message().to_string())
}

fn check_version(file: &str, v: u32) -> Result<(), CatalogError> {
    if v != FORMAT_VERSION {
        return Err(err(
            file,
            None,
            Some("format_version"),
            format!("expected format_version = {FORMAT_VERSION}, found {v}"),
        ));
    }
    Ok(())
}

/// Parses a service rate file.
pub fn read_rates(file: &str, text: &str) -> Result<(Vec<Rate>, Vec<Fact>), CatalogError> {
    let f: RatesFile = toml::from_str(text).map_err(|e| toml_err(file, text, e))?;
    check_version(file, f.format_version)?;
    check_date(&f.effective_date).map_err(|m| err(file, None, Some("effective_date"), m))?;
    let mut rates = Vec::new();
    for (i, r) in f.rate.into_iter().enumerate() {
        let at = |m: String| {
            err(
                file,
                None,
                Some(&format!("rate #{} ({} {})", i + 1, r.region, r.key)),
                m,
            )
        };
        let tiers = match (&r.price, &r.tiers) {
            (Some(p), None) => vec![Tier {
                upto: None,
                price: parse_price(p).map_err(at)?,
                confidence: None,
            }],
            (None, Some(ts)) if !ts.is_empty() => {
                let mut out = Vec::new();
                for (j, t) in ts.iter().enumerate() {
                    let upto = match &t.upto {
                        Some(u) => Some(parse_price(u).map_err(at)?),
                        None if j + 1 == ts.len() => None,
                        None => return Err(at("only the last tier may have no `upto`".into())),
                    };
                    if j + 1 == ts.len() && upto.is_some() {
                        return Err(at(
                            "the last tier must have no `upto` (it is unbounded)".into()
                        ));
                    }
                    if let (Some(u), Some(prev)) = (upto, out.last().and_then(|t: &Tier| t.upto))
                        && u <= prev
                    {
                        return Err(at(format!(
                            "tier bounds must increase, found {u} after {prev}"
                        )));
                    }
                    out.push(Tier {
                        upto,
                        price: parse_price(&t.price).map_err(at)?,
                        confidence: t.confidence,
                    });
                }
                out
            }
            _ => {
                return Err(at(
                    "expected exactly one of `price` or a non-empty `tiers`".into()
                ));
            }
        };
        let effective_date = r
            .effective_date
            .clone()
            .unwrap_or_else(|| f.effective_date.clone());
        check_date(&effective_date).map_err(at)?;
        rates.push(Rate {
            service: f.service.clone(),
            region: r.region,
            key: r.key,
            unit: r.unit,
            tiers,
            provenance: Provenance {
                source: r.source.unwrap_or_else(|| f.source.clone()),
                effective_date,
                confidence: r.confidence.unwrap_or(f.confidence),
                file: file.into(),
                rate_code: r.rate_code,
            },
        });
    }
    let mut facts = Vec::new();
    for fe in f.fact {
        let value = parse_price(&fe.value)
            .map_err(|m| err(file, None, Some(&format!("fact {}", fe.key)), m))?;
        facts.push(Fact {
            service: f.service.clone(),
            region: fe.region,
            key: fe.key,
            value,
            unit: fe.unit,
            source: fe.source,
        });
    }
    Ok((rates, facts))
}
