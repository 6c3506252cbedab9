//! AWS's pricing-page feeds → catalog files.
//!
//! The aws.amazon.com pricing pages and the AWS Pricing Calculator load JSON "metered unit maps"
//! (`pricing/2.0/meteredUnitMaps/<service>/USD/current/...`): a `manifest` (service, source,
//! `hawkFilePublicationDate`) and `regions`, location name → rate name → `{ price, rateCode,
//! attributes… }`. This module reads them (and the two processed copies that are all some public
//! archives kept: `ec2-transformed.json` rows and `{name: {location: price}}` maps), turns each
//! rate into a catalog row, keeps the newest publication date where two feeds price the same
//! thing, and writes catalog files (`pricing-data/README.md` has the format).
//!
//! A row walks: [`read_inputs`] (a `.tar.xz` archive, a directory or one `.json`) → [`parse`]
//! (layout detected by content) → `ec2` / `services` (location → region code through
//! `regions.toml`; rate names → catalog keys) → [`build`] (newest wins; every file that is not a
//! feed, and every location that is not a commercial region, is counted, never dropped silently)
//! → [`Built::files`].

mod archive;
pub mod cloudwatch;
mod ec2;
pub mod elb;
mod services;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use hashbrown::HashMap;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

pub use archive::{Origins, read_inputs};

use super::files::{CSV_MARKER, EC2_PRICE_COLUMNS, parse_price};
use super::model::{Ec2Model, Os, Tier};
use super::{Catalog, Region};
use crate::error::{Error, InputError};

/// One feed file as read: its name inside its source, where the copy came from, its text.
#[derive(Debug, Clone)]
pub struct FeedInput {
    /// Path inside the archive (or URL), for errors and provenance.
    pub name: String,
    /// Where the copy came from, e.g. `yeo/ec2.shop@74c9fd8a` or `b0.p.awsstatic.com 2026-12-07`.
    pub origin: String,
    /// The date to give rates of a feed that carries no publication date (ISO), if known.
    pub date: Option<String>,
    /// The file's text.
    pub text: String,
}

/// A parsed metered-unit-map feed.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The input's name.
    pub name: String,
    /// Where the copy came from.
    pub origin: String,
    /// `manifest.source`, e.g. `ec2-ondemand-without-sec-sel`, `ebs`, `elb`.
    pub source: String,
    /// Publication date, `YYYY-MM-DD`.
    pub published: String,
    /// Location name → rate name → rate.
    pub locations: BTreeMap<String, BTreeMap<String, FeedRate>>,
}

/// One rate of a feed.
#[derive(Debug, Clone)]
pub struct FeedRate {
    /// USD per unit, every published digit.
    pub price: Decimal,
    /// `SKU.offerTermCode.rateCode`, where given.
    pub rate_code: Option<String>,
    /// The other attributes (`Instance Type`, `vCPU`, `LeaseContractLength`…), as text.
    pub attributes: BTreeMap<String, String>,
}

impl FeedRate {
    /// An attribute's text, or "".
    pub fn attr(&self, name: &str) -> &str {
        self.attributes.get(name).map_or("", String::as_str)
    }
}

/// A service rate made from a feed: one `[[rate]]` of a catalog rate file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRow {
    /// Catalog service, e.g. `s3`.
    pub service: String,
    /// Region code.
    pub region: String,
    /// Catalog key, e.g. `storage/standard`.
    pub key: String,
    /// Unit, e.g. `GB-Mo`.
    pub unit: String,
    /// Tiers (one for a flat price).
    pub tiers: Vec<Tier>,
    /// AWS rate code of the first tier, where given.
    pub rate_code: Option<String>,
    /// Where it came from (feed, date, copy).
    pub source: String,
    /// Publication date of the feed.
    pub effective_date: String,
}

/// An EC2 price made from a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ec2Row {
    /// Region code.
    pub region: String,
    /// Instance type.
    pub instance_type: String,
    /// Operating system.
    pub os: Os,
    /// Pricing model (on-demand or reserved).
    pub model: Ec2Model,
    /// Upfront fee, USD.
    pub upfront: Decimal,
    /// Hourly (recurring) price, USD.
    pub hourly: Decimal,
    /// AWS rate code, where the source gives it.
    pub rate_code: Option<String>,
    /// Where it came from.
    pub source: String,
    /// Publication date.
    pub effective_date: String,
}

/// Instance type attributes read from a feed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRow {
    /// Name, e.g. `m7i.large`.
    pub name: String,
    /// vCPUs.
    pub vcpu: u32,
    /// Memory, GiB.
    pub memory_gib: Decimal,
    /// AWS's category, e.g. `General purpose`.
    pub category: String,
    /// Network performance as AWS words it.
    pub network_performance: String,
    /// Listed in a previous-generation feed.
    pub previous_generation: bool,
    /// Publication date of the feed it came from.
    pub effective_date: String,
}

/// What a set of feeds yields, before it is written.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    pub ec2: Vec<Ec2Row>,
    pub types: Vec<TypeRow>,
    pub rates: Vec<RateRow>,
}

/// Counts of what was not turned into catalog rows, by reason.
pub type Skipped = BTreeMap<String, usize>;

/// The catalog files made from feeds.
#[derive(Debug)]
pub struct Built {
    /// `(file name, contents)`, to write into one directory.
    pub files: Vec<(String, String)>,
    /// EC2 price rows written.
    pub ec2_rows: usize,
    /// Rate rows written.
    pub rate_rows: usize,
    /// Instance types written.
    pub types: usize,
    /// Regions with at least one price.
    pub regions: BTreeSet<String>,
    /// Feeds read, by `manifest.source` (or layout).
    pub feeds: BTreeMap<String, usize>,
    /// What was not imported, by reason.
    pub skipped: Skipped,
    /// The origins of the inputs, with the feeds each gave, for the files' headers.
    pub origins: BTreeMap<String, BTreeSet<String>>,
}

/// The layouts a feed file can have.
enum Layout {
    /// A metered unit map.
    Metered(Feed),
    /// `ec2-transformed.json`: `[{region: <location slug>, attributes: {instanceType,
    /// operatingSystem}, pricePerUnit}]`, a mechanical transform of the aggregated EC2 feed.
    Ec2Transformed(Vec<Value>),
    /// `{ "<rate name>": { "<location>": "<price>" } }`: a processed copy of a feed.
    Processed(BTreeMap<String, BTreeMap<String, String>>),
    /// Not a feed (licence, package metadata, the offer index…): why.
    NotAFeed(String),
}

fn input_err(input: &FeedInput, message: String) -> InputError {
    InputError {
        file: input.name.clone(),
        line: None,
        column: None,
        context: Some(input.origin.clone()),
        message,
    }
}

fn detect(input: &FeedInput) -> Result<Layout, InputError> {
    let value: Value = serde_json::from_str(&input.text).map_err(|e| InputError {
        file: input.name.clone(),
        line: Some(e.line()),
        column: Some(e.column().to_string()),
        context: Some(input.origin.clone()),
        message: format!("not valid JSON (a truncated download?): {e}"),
    })?;
    if let Some(obj) = value.as_object() {
        if obj.contains_key("manifest") && obj.contains_key("regions") {
            return metered(input, &value).map(Layout::Metered);
        }
        if obj.contains_key("manifest") || obj.contains_key("offers") {
            return Ok(Layout::NotAFeed(
                "an index or manifest, not a price feed".into(),
            ));
        }
        let processed = obj.iter().all(|(_, v)| {
            v.as_object()
                .is_some_and(|m| m.values().all(|p| p.is_string()))
        });
        if processed && !obj.is_empty() {
            let map = obj
                .iter()
                .map(|(k, v)| {
                    let m = v.as_object().into_iter().flatten();
                    let m = m
                        .map(|(l, p)| (l.clone(), p.as_str().unwrap_or_default().to_string()))
                        .collect();
                    (k.clone(), m)
                })
                .collect();
            return Ok(Layout::Processed(map));
        }
        return Ok(Layout::NotAFeed(
            "a JSON object that is neither a feed (`manifest` + `regions`) nor a processed copy of one".into(),
        ));
    }
    if let Some(rows) = value.as_array()
        && rows.first().is_some_and(|r| {
            r.get("pricePerUnit").is_some() && r.pointer("/attributes/instanceType").is_some()
        })
    {
        return Ok(Layout::Ec2Transformed(rows.clone()));
    }
    Ok(Layout::NotAFeed("not a price feed layout".into()))
}

/// The date part of an ISO timestamp, checked.
fn iso_date(s: &str) -> Option<String> {
    let d = s.get(..10)?;
    super::files::check_date(d).ok()?;
    Some(d.to_string())
}

fn metered(input: &FeedInput, value: &Value) -> Result<Feed, InputError> {
    let manifest = &value["manifest"];
    let source = manifest
        .get("source")
        .or_else(|| manifest.get("serviceId"))
        .and_then(Value::as_str)
        .ok_or_else(|| input_err(input, "the feed's manifest has no `source`".into()))?
        .to_string();
    if let Some(c) = manifest.get("currencyCode").and_then(Value::as_str)
        && c != "USD"
    {
        return Err(input_err(
            input,
            format!("expected prices in USD, the manifest says `{c}`"),
        ));
    }
    let published = manifest
        .get("hawkFilePublicationDate")
        .and_then(Value::as_str)
        .and_then(iso_date)
        .or_else(|| input.date.clone())
        .ok_or_else(|| {
            input_err(
                input,
                "the feed carries no publication date and none was given for it (see the origins file)"
                    .into(),
            )
        })?;
    let regions = value["regions"]
        .as_object()
        .ok_or_else(|| input_err(input, "`regions` is not an object".into()))?;
    let mut locations = BTreeMap::new();
    for (location, rates) in regions {
        let rates = rates.as_object().ok_or_else(|| {
            input_err(
                input,
                format!("`regions.{location}` is not an object of rates"),
            )
        })?;
        let mut out = BTreeMap::new();
        for (name, rate) in rates {
            let price = rate.get("price").and_then(Value::as_str).ok_or_else(|| {
                input_err(
                    input,
                    format!("rate `{name}` in `{location}` has no `price` string"),
                )
            })?;
            let price = parse_price(price)
                .map_err(|m| input_err(input, format!("rate `{name}` in `{location}`: {m}")))?;
            let mut attributes = BTreeMap::new();
            let mut rate_code = None;
            for (k, v) in rate.as_object().into_iter().flatten() {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                match k.as_str() {
                    "price" => {}
                    "rateCode" => rate_code = Some(text),
                    _ => {
                        attributes.insert(k.clone(), text);
                    }
                }
            }
            out.insert(
                name.clone(),
                FeedRate {
                    price,
                    rate_code,
                    attributes,
                },
            );
        }
        locations.insert(location.clone(), out);
    }
    Ok(Feed {
        name: input.name.clone(),
        origin: input.origin.clone(),
        source,
        published,
        locations,
    })
}

/// True for what [`read_inputs`] reads as feeds: a directory, a `.tar.xz` archive, or a `.json`
/// file whose start looks like a feed (a `manifest` and `regions`).
pub fn is_feed_path(path: &std::path::Path) -> bool {
    let name = path.to_string_lossy();
    if path.is_dir() || name.ends_with(".tar.xz") || name.ends_with(".txz") {
        return true;
    }
    use std::io::Read;
    let mut head = vec![0u8; 4096];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let head = String::from_utf8_lossy(&head[..n]);
    head.contains("\"manifest\"") && head.contains("hawkFilePublicationDate")
}

/// Parses one feed input: `Ok(None)` for a file that is not a feed (with the reason counted).
pub fn parse(input: &FeedInput, skipped: &mut Skipped) -> Result<Option<Feed>, InputError> {
    match detect(input)? {
        Layout::Metered(f) => Ok(Some(f)),
        Layout::NotAFeed(why) => {
            *skipped
                .entry(format!("file not a price feed: {why}"))
                .or_default() += 1;
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// Finds regions by the names feeds give them.
pub(crate) struct Regions<'a> {
    by_location: HashMap<&'a str, &'a Region>,
    by_slug: HashMap<String, &'a Region>,
    by_code: HashMap<&'a str, &'a Region>,
}

impl<'a> Regions<'a> {
    fn new(catalog: &'a Catalog) -> Self {
        let mut by_location = HashMap::new();
        let mut by_slug = HashMap::new();
        let mut by_code = HashMap::new();
        for r in catalog.regions() {
            by_code.insert(r.code.as_str(), r);
            by_location.insert(r.location.as_str(), r);
            by_slug.insert(slug(&r.location), r);
        }
        Regions {
            by_location,
            by_slug,
            by_code,
        }
    }

    /// The region code of a location name, if it is a commercial region of the catalog.
    pub fn code(&self, location: &str) -> Option<&'a str> {
        self.by_location.get(location).map(|r| r.code.as_str())
    }

    /// The region code of a slugged location (`eu-(ireland)`), as `ec2-transformed.json` has it.
    /// (It gives commercial regions by their code.)
    fn code_of_slug(&self, s: &str) -> Option<&'a str> {
        self.by_slug
            .get(s)
            .or_else(|| self.by_code.get(s))
            .map(|r| r.code.as_str())
    }
}

/// `US West (Oregon)` → `us-west-(oregon)`: how `ec2-transformed.json` names locations.
fn slug(location: &str) -> String {
    location.to_lowercase().replace(' ', "-")
}

/// The start of the reason under which rates of a location that is not a commercial region are
/// counted (`…: <location>`).
pub const NOT_A_REGION: &str =
    "not a commercial region (Local or Wavelength Zone, GovCloud, CloudFront…)";

/// Counts a location that is not a commercial region of the catalog.
pub(crate) fn skip_location(skipped: &mut Skipped, location: &str) {
    *skipped
        .entry(format!("{NOT_A_REGION}: {location}"))
        .or_default() += 1;
}

/// A row's source text: the feed, its date, and where the copy came from.
pub(crate) fn source_text(feed: &str, date: &str, origin: &str) -> String {
    format!("AWS feed {feed} ({date}) via {origin}")
}

/// Reads every input into catalog rows, newest publication date winning, and writes the files.
pub fn build(inputs: &[FeedInput], catalog: &Catalog) -> Result<Built, Error> {
    let regions = Regions::new(catalog);
    let mut rows = Rows::default();
    let mut skipped = Skipped::new();
    let mut feeds: BTreeMap<String, usize> = BTreeMap::new();
    let mut origins: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for input in inputs {
        let layout = detect(input)?;
        let what = match layout {
            Layout::Metered(feed) => {
                let handled = ec2::feed(&feed, &regions, &mut rows, &mut skipped)
                    || services::feed(&feed, &regions, &mut rows, &mut skipped)?
                    || rates_feed(&feed, "elb", elb::rates, &regions, &mut rows, &mut skipped)?
                    || rates_feed(
                        &feed,
                        "cloudwatch",
                        cloudwatch::rates,
                        &regions,
                        &mut rows,
                        &mut skipped,
                    )?;
                if !handled {
                    *skipped
                        .entry(format!("feed of a service not priced: {}", feed.source))
                        .or_default() += 1;
                    continue;
                }
                format!("{} ({})", feed.source, feed.published)
            }
            Layout::Ec2Transformed(list) => {
                let date = input.date.clone().ok_or_else(|| {
                    input_err(
                        input,
                        "no date given for this copy of the EC2 feed (see the origins file)".into(),
                    )
                })?;
                ec2::transformed(input, &date, &list, &regions, &mut rows, &mut skipped)?;
                format!("ec2.json, transformed ({date})")
            }
            Layout::Processed(map) => {
                let date = input.date.clone().ok_or_else(|| {
                    input_err(
                        input,
                        "no date given for this processed feed (see the origins file)".into(),
                    )
                })?;
                if ec2::processed(input, &date, &map, &regions, &mut rows, &mut skipped) {
                    format!("ec2.json, processed ({date})")
                } else if services::processed_transfer(
                    input,
                    &date,
                    &map,
                    &regions,
                    &mut rows,
                    &mut skipped,
                )? {
                    format!("datatransfer.json, processed ({date})")
                } else {
                    *skipped
                        .entry("processed copy of a feed that is read raw (or not priced)".into())
                        .or_default() += 1;
                    continue;
                }
            }
            Layout::NotAFeed(why) => {
                *skipped
                    .entry(format!("file not a price feed: {why}"))
                    .or_default() += 1;
                continue;
            }
        };
        *feeds
            .entry(what.split(" (").next().unwrap_or_default().to_string())
            .or_default() += 1;
        origins
            .entry(input.origin.clone())
            .or_default()
            .insert(what);
    }
    Ok(write(rows, skipped, feeds, origins))
}

/// The rates a service's own module reads from its feed (ELB, CloudWatch) into `rows`; false
/// for another service's feed.
fn rates_feed(
    feed: &Feed,
    service: &str,
    rates: fn(&Feed, &Regions<'_>, &mut Skipped) -> Result<Vec<RateRow>, InputError>,
    regions: &Regions<'_>,
    rows: &mut Rows,
    skipped: &mut Skipped,
) -> Result<bool, InputError> {
    if feed.source != service {
        return Ok(false);
    }
    rows.rates.extend(rates(feed, regions, skipped)?);
    Ok(true)
}

/// An error about a feed, naming the feed, the location and what was expected.
fn feed_err(feed: &Feed, location: &str, message: String) -> InputError {
    InputError {
        file: feed.name.clone(),
        line: None,
        column: None,
        context: Some(format!("{}, location `{location}`", feed.origin)),
        message,
    }
}

/// A flat rate row from one feed rate.
fn flat_row(
    feed: &Feed,
    service: &str,
    region: &str,
    key: &str,
    unit: &str,
    rate: &FeedRate,
) -> RateRow {
    RateRow {
        service: service.into(),
        region: region.into(),
        key: key.into(),
        unit: unit.into(),
        tiers: vec![Tier {
            upto: None,
            price: rate.price.normalize(),
            confidence: None,
        }],
        rate_code: rate.rate_code.clone(),
        source: source_text(&feed.source, &feed.published, &feed.origin),
        effective_date: feed.published.clone(),
    }
}

/// A [`Feed`] from a raw feed's text, for the service functions' tests.
#[cfg(test)]
pub(crate) fn feed_from_json(name: &str, text: &str) -> Feed {
    let input = FeedInput {
        name: name.into(),
        origin: "QuinnyPig/aws-price-watcher@a6645eb2".into(),
        date: None,
        text: text.into(),
    };
    match detect(&input).unwrap() {
        Layout::Metered(f) => f,
        _ => panic!("{name} is not a metered feed"),
    }
}

/// Keeps, per key, the row with the latest date; on the same date the first one read, unless a
/// later one has a rate code and it has none.
fn newest<K: std::hash::Hash + Eq, V>(
    rows: Vec<V>,
    key: impl Fn(&V) -> K,
    date: impl Fn(&V) -> &str,
    coded: impl Fn(&V) -> bool,
) -> Vec<V> {
    let mut best: HashMap<K, V> = HashMap::new();
    for r in rows {
        match best.get(&key(&r)) {
            Some(old)
                if date(old) > date(&r)
                    || (date(old) == date(&r) && (coded(old) || !coded(&r))) => {}
            _ => {
                best.insert(key(&r), r);
            }
        }
    }
    best.into_values().collect()
}

fn write(
    rows: Rows,
    skipped: Skipped,
    feeds: BTreeMap<String, usize>,
    origins: BTreeMap<String, BTreeSet<String>>,
) -> Built {
    let Rows { ec2, types, rates } = rows;
    // A product's SKU does not change with its price: a row priced from a copy that dropped the
    // rate codes keeps the code another copy gives for the same region, type and term.
    let mut codes: HashMap<(String, String, Os, Ec2Model), String> = HashMap::new();
    for r in &ec2 {
        if let Some(c) = &r.rate_code {
            codes.insert(
                (r.region.clone(), r.instance_type.clone(), r.os, r.model),
                c.clone(),
            );
        }
    }
    let mut ec2 = newest(
        ec2,
        |r| (r.region.clone(), r.instance_type.clone(), r.os, r.model),
        |r| &r.effective_date,
        |r| r.rate_code.is_some(),
    );
    for r in &mut ec2 {
        if r.rate_code.is_none() {
            r.rate_code = codes
                .get(&(r.region.clone(), r.instance_type.clone(), r.os, r.model))
                .cloned();
        }
    }
    ec2.sort_by(|a, b| {
        (&a.region, &a.instance_type, a.os, a.model).cmp(&(
            &b.region,
            &b.instance_type,
            b.os,
            b.model,
        ))
    });
    let previous: BTreeSet<String> = types
        .iter()
        .filter(|t| t.previous_generation)
        .map(|t| t.name.clone())
        .collect();
    let mut types = newest(types, |t| t.name.clone(), |t| &t.effective_date, |_| false);
    for t in &mut types {
        t.previous_generation |= previous.contains(&t.name);
    }
    types.sort_by(|a, b| a.name.cmp(&b.name));
    let mut rates = newest(
        rates,
        |r| (r.service.clone(), r.region.clone(), r.key.clone()),
        |r| &r.effective_date,
        |r| r.rate_code.is_some(),
    );
    rates.sort_by(|a, b| (&a.service, &a.region, &a.key).cmp(&(&b.service, &b.region, &b.key)));

    let header = origins_header(&origins);
    let mut files = Vec::new();
    // One EC2 file per region: the catalog reads a region's file only when that region is asked.
    let mut by_region: BTreeMap<&str, Vec<&Ec2Row>> = BTreeMap::new();
    for r in &ec2 {
        by_region.entry(r.region.as_str()).or_default().push(r);
    }
    // On-demand and reserved apart: a quote of on-demand instances reads only the first.
    for (region, rows) in &by_region {
        let (on_demand, reserved): (Vec<&Ec2Row>, Vec<&Ec2Row>) =
            rows.iter().partition(|r| r.model == Ec2Model::OnDemand);
        files.push((
            format!("{}{region}.csv", super::EC2_REGION_FILE),
            ec2_csv(
                &on_demand,
                &format!("{region}: shared tenancy, on-demand, per instance-hour"),
                &header,
            ),
        ));
        if !reserved.is_empty() {
            files.push((
                format!("{}{region}.csv", super::EC2_RESERVED_REGION_FILE),
                ec2_csv(
                    &reserved,
                    &format!("{region}: shared tenancy, reserved (No Upfront: hourly_usd is the recurring fee), per instance-hour"),
                    &header,
                ),
            ));
        }
    }
    if !types.is_empty() {
        files.push((
            "instance-types-feeds.csv".to_string(),
            types_csv(&types, &header),
        ));
    }
    // One rate file per service and region: the catalog reads a region's rates only when that
    // region is asked for, as it does its EC2 prices.
    let mut services: BTreeMap<(&str, &str), Vec<&RateRow>> = BTreeMap::new();
    for r in &rates {
        services
            .entry((r.service.as_str(), r.region.as_str()))
            .or_default()
            .push(r);
    }
    for ((service, region), rows) in &services {
        files.push((
            format!("{}{region}.toml", rates_file_stem(service)),
            rates_toml(service, rows, &header),
        ));
    }
    let regions = ec2
        .iter()
        .map(|r| r.region.clone())
        .chain(rates.iter().map(|r| r.region.clone()))
        .collect();
    Built {
        files,
        ec2_rows: ec2.len(),
        rate_rows: rates.len(),
        types: types.len(),
        regions,
        feeds,
        skipped,
        origins,
    }
}

fn origins_header(origins: &BTreeMap<String, BTreeSet<String>>) -> String {
    let mut h = String::from(
        "# Made by `cloudcost pricing import` from AWS pricing-page feeds (meteredUnitMaps); do not edit by hand:\n\
         # rerun the command in pricing-data/README.md. Where two feeds price the same thing, the later-dated one wins.\n",
    );
    for (origin, feeds) in origins {
        let _ = writeln!(
            h,
            "#   {origin}: {}",
            feeds.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    h
}

fn ec2_csv(rows: &[&Ec2Row], what: &str, header: &str) -> String {
    let mut out = format!("{CSV_MARKER}: EC2 prices, USD. {what}.\n{header}");
    // Each source is written once; rows refer to it as `[n]`.
    let mut sources: Vec<&str> = rows.iter().map(|r| r.source.as_str()).collect();
    sources.sort_unstable();
    sources.dedup();
    for (i, s) in sources.iter().enumerate() {
        let _ = writeln!(out, "# source [{}]: {s}", i + 1);
    }
    let _ = writeln!(out, "{},rate_code", EC2_PRICE_COLUMNS.join(","));
    for r in rows {
        let (model, term, offering, payment) = ec2_model_cells(r.model);
        let n = sources
            .binary_search(&r.source.as_str())
            .unwrap_or_default()
            + 1;
        let _ = writeln!(
            out,
            "{},{},{},shared,{model},{term},{offering},{payment},{},{},{},published,[{n}],{}",
            r.region,
            r.instance_type,
            r.os,
            r.upfront.normalize(),
            r.hourly.normalize(),
            r.effective_date,
            r.rate_code.as_deref().unwrap_or_default(),
        );
    }
    out
}

fn ec2_model_cells(m: Ec2Model) -> (&'static str, String, String, String) {
    match m {
        Ec2Model::OnDemand => ("on-demand", String::new(), String::new(), String::new()),
        Ec2Model::Reserved(t, o, p) => ("reserved", t.to_string(), o.to_string(), p.to_string()),
        Ec2Model::SavingsPlan(t, o, p) => {
            ("savings-plan", t.to_string(), o.to_string(), p.to_string())
        }
    }
}

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn types_csv(types: &[TypeRow], header: &str) -> String {
    let mut out = format!(
        "{CSV_MARKER}: EC2 instance type attributes from the feeds (the same in every region).\n{header}\
         # arch: by AWS's naming rule (see ec2::arch_of); normalization_factor: by size (EC2 User Guide, instance size flexibility).\n"
    );
    out.push_str("instance_type,vcpu,memory_gib,arch,category,generation,network_performance,normalization_factor\n");
    for t in types {
        let nf = ec2::normalization_factor(&t.name, types)
            .map(|d| d.normalize().to_string())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            t.name,
            t.vcpu,
            t.memory_gib.normalize(),
            ec2::arch_of(&t.name),
            csv_cell(&t.category),
            if t.previous_generation {
                "previous"
            } else {
                "current"
            },
            csv_cell(&t.network_performance),
            nf,
        );
    }
    out
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The start of the name of a service's per-region rate file (`data-transfer-feeds-`).
fn rates_file_stem(service: &str) -> String {
    format!(
        "{}{}",
        service.replace('_', "-"),
        super::RATES_REGION_FILE_INFIX
    )
}

fn rates_toml(service: &str, rows: &[&RateRow], header: &str) -> String {
    let mut out = format!(
        "# cloudcost-catalog format 1: {service} rates, USD, from AWS pricing-page feeds.\n{header}"
    );
    let _ = writeln!(out, "format_version = 1\nservice = {}", toml_str(service));
    let first = rows.first();
    let _ = writeln!(
        out,
        "source = {}\neffective_date = {}\nconfidence = \"published\"",
        toml_str(first.map_or("", |r| r.source.as_str())),
        toml_str(first.map_or("2000-01-01", |r| r.effective_date.as_str())),
    );
    for r in rows {
        let _ = writeln!(
            out,
            "\n[[rate]]\nregion = {}\nkey = {}\nunit = {}",
            toml_str(&r.region),
            toml_str(&r.key),
            toml_str(&r.unit)
        );
        if r.tiers.len() == 1 {
            let _ = writeln!(out, "price = \"{}\"", r.tiers[0].price.normalize());
        } else {
            let tiers: Vec<String> = r
                .tiers
                .iter()
                .map(|t| match t.upto {
                    Some(u) => format!(
                        "{{ upto = \"{}\", price = \"{}\" }}",
                        u.normalize(),
                        t.price.normalize()
                    ),
                    None => format!("{{ price = \"{}\" }}", t.price.normalize()),
                })
                .collect();
            let _ = writeln!(out, "tiers = [{}]", tiers.join(", "));
        }
        if first.is_none_or(|f| f.source != r.source) {
            let _ = writeln!(out, "source = {}", toml_str(&r.source));
        }
        if first.is_none_or(|f| f.effective_date != r.effective_date) {
            let _ = writeln!(out, "effective_date = {}", toml_str(&r.effective_date));
        }
        if let Some(c) = &r.rate_code {
            let _ = writeln!(out, "rate_code = {}", toml_str(c));
        }
    }
    out
}

/// The catalog files' origins file (`pricing-data/feed-origins.toml`): what each archive folder
/// is, and dates for the feed files that carry none.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OriginsFile {
    pub format_version: u32,
    #[serde(default)]
    pub origin: Vec<OriginEntry>,
}

/// One archive folder.
#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(crate) struct OriginEntry {
    /// The archive's top folder.
    pub folder: String,
    /// A short label for rows' `source`, e.g. `yeo/ec2.shop@74c9fd8a`.
    pub label: String,
    /// Repository, commit, licence: for the files' headers and README.
    #[allow(dead_code)]
    pub about: String,
    /// Path pattern (`*` matches any text) → date, for files without a publication date.
    #[serde(default)]
    pub dates: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_match_the_transformed_feed() {
        assert_eq!(
            slug("US West (Verizon) - Seattle"),
            "us-west-(verizon)---seattle"
        );
        assert_eq!(slug("EU (Ireland)"), "eu-(ireland)");
    }

    #[test]
    fn a_truncated_feed_is_an_error_naming_the_file() {
        let input = FeedInput {
            name: "ec2/x.json".into(),
            origin: "test".into(),
            date: None,
            text: "{\"manifest\": {\"source\": \"ebs\"}, \"regions\": {".into(),
        };
        let e = detect(&input).err().unwrap().to_string();
        assert!(e.contains("ec2/x.json") && e.contains("truncated"), "{e}");
    }
}
