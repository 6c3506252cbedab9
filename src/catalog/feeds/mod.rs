//! AWS's pricing-page feeds → catalog rate rows.
//!
//! Provisional: the types below follow the shape of the feed reader being written on `main`
//! (`Feed`, `FeedRate`, `RateRow`); this branch holds only the ELB and CloudWatch functions and
//! is wired into the reader's dispatcher when it lands.

pub mod cloudwatch;
pub mod elb;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::Tier;
use crate::error::InputError;

/// A parsed metered-unit-map feed.
#[derive(Debug, Clone)]
pub struct Feed {
    /// The input's name.
    pub name: String,
    /// Where the copy came from.
    pub origin: String,
    /// `manifest.source`, e.g. `elb`.
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
    /// The other attributes, as text.
    pub attributes: BTreeMap<String, String>,
}

/// A service rate made from a feed: one `[[rate]]` of a catalog rate file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateRow {
    /// Catalog service, e.g. `elb`.
    pub service: String,
    /// Region code.
    pub region: String,
    /// Catalog key, e.g. `application/hours`.
    pub key: String,
    /// Unit, e.g. `LB-hour`.
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

/// A row's source text: the feed, its date, and where the copy came from.
pub(crate) fn source_text(feed: &str, date: &str, origin: &str) -> String {
    format!("AWS feed {feed} ({date}) via {origin}")
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
        source: source_text(&feed.name, &feed.published, &feed.origin),
        effective_date: feed.published.clone(),
    }
}

/// Builds a [`Feed`] from a raw metered-unit-map JSON text, for the tests of the service
/// functions (the reader on `main` does this for real).
#[cfg(test)]
pub(crate) fn feed_from_json(name: &str, text: &str) -> Feed {
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let m = &v["manifest"];
    let mut locations = BTreeMap::new();
    for (loc, rates) in v["regions"].as_object().unwrap() {
        let mut out = BTreeMap::new();
        for (n, r) in rates.as_object().unwrap() {
            out.insert(
                n.clone(),
                FeedRate {
                    price: r["price"].as_str().unwrap().parse().unwrap(),
                    rate_code: r["rateCode"].as_str().map(String::from),
                    attributes: BTreeMap::new(),
                },
            );
        }
        locations.insert(loc.clone(), out);
    }
    Feed {
        name: name.into(),
        origin: "QuinnyPig/aws-price-watcher@a6645eb2".into(),
        source: m["source"].as_str().unwrap().into(),
        published: m["hawkFilePublicationDate"].as_str().unwrap()[..10].into(),
        locations,
    }
}
