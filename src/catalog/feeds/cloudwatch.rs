//! The CloudWatch feed (`meteredUnitMaps/cloudwatch`) → `cloudwatch` rates.
//!
//! Keys and units: `alarms/standard` and `alarms/high-resolution` (alarm-Mo: per alarm metric
//! a month), `metrics` (metric-Mo, tiered by the month's metrics in the region: the bounds come
//! from the rate names, "first 10000", "next 240000", "next 750000", "over 1000000"),
//! `dashboards` (dashboard-Mo), `api-requests` (1,000 requests: the feed's per-request price
//! × 1,000, as AWS's page quotes it), `logs/ingested` (GB, standard log class), `logs/stored`
//! (GB-Mo). Dashboards are priced once for every region (location `Any`); that one price is
//! given to every region of the feed.

use rust_decimal::Decimal;

use super::{Feed, FeedRate, RateRow, Regions, Skipped, feed_err, flat_row, skip_location};
use crate::catalog::model::Tier;
use crate::error::InputError;

/// Flat rates: catalog key, unit, the feed's rate name.
const FLAT: &[(&str, &str, &str)] = &[
    ("alarms/standard", "alarm-Mo", "Alarm Standard"),
    (
        "alarms/high-resolution",
        "alarm-Mo",
        "Alarm High Resolution",
    ),
    ("logs/ingested", "GB", "Logs Collected Data Ingestion"),
    ("logs/stored", "GB-Mo", "Stored Data"),
];

/// The metric tiers' rate names, in order; each ends with its size (the last: its lower bound).
const METRIC_TIERS: &[&str] = &[
    "Metric for the first 10000",
    "Metric for the next 240000",
    "Metric for the next 750000",
    "Metric for over 1000000",
];

const API_REQUEST: &str = "API Request";
const DASHBOARD: &str = "Dashboard Basic Dashboard";
/// The location under which the feed lists prices that are the same everywhere.
const EVERYWHERE: &str = "Any";

/// Every `cloudwatch` rate of every catalog region the feed prices. Locations that are not
/// catalog regions (Local Zones, GovCloud, `Any`) give no rows of their own; a region that lacks
/// a rate is an error naming it.
pub(crate) fn rates(
    feed: &Feed,
    regions: &Regions<'_>,
    skipped: &mut Skipped,
) -> Result<Vec<RateRow>, InputError> {
    let dashboard = feed
        .locations
        .get(EVERYWHERE)
        .and_then(|r| r.get(DASHBOARD))
        .ok_or_else(|| {
            feed_err(
                feed,
                EVERYWHERE,
                format!("expected a rate named `{DASHBOARD}` (for `cloudwatch` key `dashboards`), found none"),
            )
        })?;
    let mut rows = Vec::new();
    for (location, rates) in &feed.locations {
        let Some(region) = regions.code(location) else {
            skip_location(skipped, location);
            continue;
        };
        let get = |name: &str, key: &str| {
            rates.get(name).ok_or_else(|| {
                feed_err(
                    feed,
                    location,
                    format!(
                        "expected a rate named `{name}` (for `cloudwatch` key `{key}`), found none"
                    ),
                )
            })
        };
        for (key, unit, name) in FLAT {
            rows.push(flat_row(
                feed,
                "cloudwatch",
                region,
                key,
                unit,
                get(name, key)?,
            ));
        }
        let mut api = get(API_REQUEST, "api-requests")?.clone();
        api.price *= Decimal::from(1000);
        rows.push(flat_row(
            feed,
            "cloudwatch",
            region,
            "api-requests",
            "1,000 requests",
            &api,
        ));
        rows.push(flat_row(
            feed,
            "cloudwatch",
            region,
            "dashboards",
            "dashboard-Mo",
            dashboard,
        ));
        let tiers: Vec<&FeedRate> = METRIC_TIERS
            .iter()
            .map(|n| get(n, "metrics"))
            .collect::<Result<_, _>>()?;
        let mut row = flat_row(feed, "cloudwatch", region, "metrics", "metric-Mo", tiers[0]);
        row.tiers = metric_tiers(&tiers).map_err(|m| feed_err(feed, location, m))?;
        rows.push(row);
    }
    Ok(rows)
}

/// The metric tiers with cumulative bounds read from the rate names; checks that the names add
/// up ("over" = the sum of the sizes before it) and that all are one product (one SKU), so that
/// a like-named rate of another product is never taken for a tier.
fn metric_tiers(rates: &[&FeedRate]) -> Result<Vec<Tier>, String> {
    let sku = |r: &FeedRate| {
        r.rate_code
            .as_deref()
            .and_then(|c| c.split('.').next())
            .map(String::from)
    };
    let mut tiers = Vec::new();
    let mut bound = Decimal::ZERO;
    for (i, (name, rate)) in METRIC_TIERS.iter().zip(rates).enumerate() {
        if sku(rate) != sku(rates[0]) {
            return Err(format!(
                "metric tier `{name}` has SKU {:?}, the first tier {:?}: not one product",
                sku(rate),
                sku(rates[0])
            ));
        }
        let size: Decimal = name
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("metric tier `{name}` does not end with a number"))?;
        let last = i + 1 == METRIC_TIERS.len();
        let upto = if last {
            if size != bound {
                return Err(format!(
                    "metric tier `{name}` starts at {size}, the tiers before it end at {bound}"
                ));
            }
            None
        } else {
            bound += size;
            Some(bound)
        };
        tiers.push(Tier {
            upto,
            price: rate.price.normalize(),
            confidence: None,
        });
    }
    Ok(tiers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::feeds::feed_from_json;
    use rust_decimal_macros::dec;

    fn feed() -> Feed {
        feed_from_json(
            "raw/cloudwatch.json",
            include_str!("../../../tests/fixtures/feeds/cloudwatch-excerpt.json"),
        )
    }

    fn row<'r>(rows: &'r [RateRow], region: &str, key: &str) -> &'r RateRow {
        rows.iter()
            .find(|r| r.region == region && r.key == key)
            .unwrap_or_else(|| panic!("no {region} {key}"))
    }

    #[test]
    fn every_key_for_the_catalog_regions_of_the_feed() {
        let cat = crate::catalog::Catalog::embedded().unwrap();
        let regions = Regions::new(&cat);
        let rows = rates(&feed(), &regions, &mut Skipped::new()).unwrap();
        // N. Virginia, Ireland, Seoul and São Paulo are catalog regions (Los Angeles is a Local
        // Zone; `Any` and GovCloud are not regions).
        assert_eq!(rows.len(), 4 * 7);
        let p = |region, key| row(&rows, region, key).tiers[0].price;
        assert_eq!(p("us-east-1", "alarms/standard"), dec!(0.10));
        assert_eq!(p("us-east-1", "alarms/high-resolution"), dec!(0.30));
        assert_eq!(p("us-east-1", "logs/ingested"), dec!(0.50));
        assert_eq!(p("eu-west-1", "logs/ingested"), dec!(0.57));
        assert_eq!(p("ap-northeast-2", "logs/stored"), dec!(0.0314));
        // $0.00001 a request is $0.01 per 1,000.
        assert_eq!(p("eu-west-1", "api-requests"), dec!(0.01));
        assert_eq!(
            row(&rows, "eu-west-1", "api-requests").unit,
            "1,000 requests"
        );
        assert_eq!(p("ap-northeast-2", "dashboards"), dec!(3));
        let m = row(&rows, "eu-west-1", "metrics");
        assert_eq!(m.unit, "metric-Mo");
        let tiers: Vec<_> = m.tiers.iter().map(|t| (t.upto, t.price)).collect();
        assert_eq!(
            tiers,
            vec![
                (Some(dec!(10000)), dec!(0.3)),
                (Some(dec!(250000)), dec!(0.1)),
                (Some(dec!(1000000)), dec!(0.05)),
                (None, dec!(0.02)),
            ]
        );
        assert_eq!(m.effective_date, "2025-06-05");
        assert_eq!(
            m.rate_code.as_deref(),
            Some("58YXNUN4MF8JD9ZA.JRTCKXETXF.A6VD9GXV7W")
        );
    }

    #[test]
    fn tiers_of_another_product_are_refused() {
        let cat = crate::catalog::Catalog::embedded().unwrap();
        let regions = Regions::new(&cat);
        let mut f = feed();
        let ireland = f.locations.get_mut("EU (Ireland)").unwrap();
        // "Metric for the first 1000000000" is another product (EKS observations): its SKU
        // differs from the metric tiers'.
        let other = ireland["Metric for the first 1000000000"].clone();
        ireland.insert("Metric for the next 750000".into(), other);
        let e = rates(&f, &regions, &mut Skipped::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("EU (Ireland)") && e.contains("not one product"),
            "{e}"
        );
    }

    #[test]
    fn no_dashboard_price_is_an_error() {
        let cat = crate::catalog::Catalog::embedded().unwrap();
        let regions = Regions::new(&cat);
        let mut f = feed();
        f.locations.remove("Any");
        let e = rates(&f, &regions, &mut Skipped::new())
            .unwrap_err()
            .to_string();
        assert!(e.contains("Dashboard Basic Dashboard"), "{e}");
    }
}
