//! The Elastic Load Balancing feed (`meteredUnitMaps/elb`) → `elb` rates.
//!
//! Keys and units: `<type>/hours` (LB-hour) for `application`, `network`, `gateway` and
//! `classic`; `application/lcu-hours` (LCU-hour), `network/nlcu-hours` (NLCU-hour),
//! `gateway/glcu-hours` (GLCU-hour); `classic/data-processed` (GB). The feed names its rates
//! ("Application Load Balancer Hours"); it also lists each rate again under an opaque id, and
//! Outposts and Local Zone rates, which are not read.

use super::{Feed, RateRow, Regions, Skipped, feed_err, flat_row, skip_location};
use crate::error::InputError;

/// Catalog key, unit, and the feed's rate name.
const RATES: &[(&str, &str, &str)] = &[
    (
        "application/hours",
        "LB-hour",
        "Application Load Balancer Hours",
    ),
    (
        "application/lcu-hours",
        "LCU-hour",
        "Application Load Balancer LCU Hours",
    ),
    ("network/hours", "LB-hour", "Network Load Balancer Hours"),
    (
        "network/nlcu-hours",
        "NLCU-hour",
        "Network Load Balancer LCU Hours",
    ),
    ("gateway/hours", "LB-hour", "Gateway Load Balancer Hours"),
    (
        "gateway/glcu-hours",
        "GLCU-hour",
        "Gateway Load Balancer LCU Hours",
    ),
    ("classic/hours", "LB-hour", "Classic Load Balancer Hours"),
    ("classic/data-processed", "GB", "Classic Load Balancer Data"),
];

/// Every `elb` rate of every catalog region the feed prices. A location that is not a region
/// of the catalog (Local Zones, GovCloud) gives no rows; a region that lacks one of the rates
/// is an error, since every commercial region has all four types.
pub(crate) fn rates(
    feed: &Feed,
    regions: &Regions<'_>,
    skipped: &mut Skipped,
) -> Result<Vec<RateRow>, InputError> {
    let mut rows = Vec::new();
    for (location, rates) in &feed.locations {
        let Some(region) = regions.code(location) else {
            skip_location(skipped, location);
            continue;
        };
        for (key, unit, name) in RATES {
            let rate = rates.get(*name).ok_or_else(|| {
                feed_err(
                    feed,
                    location,
                    format!("expected a rate named `{name}` (for `elb` key `{key}`), found none"),
                )
            })?;
            rows.push(flat_row(feed, "elb", region, key, unit, rate));
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::feeds::feed_from_json;
    use rust_decimal_macros::dec;

    fn feed() -> Feed {
        feed_from_json(
            "raw/elb.json",
            include_str!("../../../tests/fixtures/feeds/elb-excerpt.json"),
        )
    }

    fn price(rows: &[RateRow], region: &str, key: &str) -> rust_decimal::Decimal {
        let r = rows
            .iter()
            .find(|r| r.region == region && r.key == key)
            .unwrap_or_else(|| panic!("no {region} {key}"));
        assert_eq!(r.tiers.len(), 1);
        r.tiers[0].price
    }

    #[test]
    fn every_key_for_the_catalog_regions_of_the_feed() {
        let cat = crate::catalog::Catalog::embedded().unwrap();
        let regions = Regions::new(&cat);
        let rows = rates(&feed(), &regions, &mut Skipped::new()).unwrap();
        // N. Virginia, Ireland and Seoul are catalog regions; Boston (a Local Zone) and
        // GovCloud are not.
        assert_eq!(rows.len(), 3 * RATES.len());
        assert_eq!(price(&rows, "us-east-1", "application/hours"), dec!(0.0225));
        assert_eq!(
            price(&rows, "us-east-1", "application/lcu-hours"),
            dec!(0.008)
        );
        assert_eq!(price(&rows, "eu-west-1", "application/hours"), dec!(0.0252));
        assert_eq!(price(&rows, "eu-west-1", "network/nlcu-hours"), dec!(0.006));
        assert_eq!(price(&rows, "eu-west-1", "gateway/hours"), dec!(0.014));
        assert_eq!(price(&rows, "eu-west-1", "gateway/glcu-hours"), dec!(0.004));
        assert_eq!(price(&rows, "eu-west-1", "classic/hours"), dec!(0.028));
        assert_eq!(
            price(&rows, "eu-west-1", "classic/data-processed"),
            dec!(0.008)
        );
        assert_eq!(
            price(&rows, "ap-northeast-2", "network/hours"),
            dec!(0.0225)
        );
        let r = rows
            .iter()
            .find(|r| r.region == "eu-west-1" && r.key == "application/hours")
            .unwrap();
        assert_eq!(r.unit, "LB-hour");
        assert_eq!(r.effective_date, "2025-06-05");
        assert_eq!(
            r.rate_code.as_deref(),
            Some("T29JAP5UEZ7HXAM7.JRTCKXETXF.6YS6EN2CT7")
        );
        assert!(r.source.contains("AWS feed elb") && r.source.contains("2025-06-05"));
    }

    #[test]
    fn a_region_without_a_rate_is_an_error_naming_it() {
        let cat = crate::catalog::Catalog::embedded().unwrap();
        let regions = Regions::new(&cat);
        let mut f = feed();
        f.locations
            .get_mut("EU (Ireland)")
            .unwrap()
            .remove("Classic Load Balancer Data");
        let e = rates(&f, &regions, &mut Skipped::new())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("raw/elb.json")
                && e.contains("EU (Ireland)")
                && e.contains("Classic Load Balancer Data"),
            "{e}"
        );
    }
}
