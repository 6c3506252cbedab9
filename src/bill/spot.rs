//! Spot usage at the spot price of its hour and availability zone, from a spot price history
//! (`--spot-prices`, the JSON of `aws ec2 describe-spot-price-history`). The price of an hour is
//! the last one published at or before the hour's start in that AZ; an hour with no published
//! price before it keeps the catalog's Spot Advisor estimate, labelled as such.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::{Bill, CostRow, PricingModel};
use crate::catalog::import::SpotObservation;
use crate::catalog::{Catalog, Confidence, Os};
use crate::error::Error;
use crate::money::Money;
use crate::usage::UsageRead;

/// (az, instance type, os), borrowed from the observations.
type SeriesKey<'a> = (&'a str, &'a str, Os);
/// (day, resource, region, az, instance type, os), borrowed from the usage.
type DayKey<'a> = (NaiveDate, &'a str, &'a str, &'a str, &'a str, Os);
/// (seconds, cost, on-demand equivalent, any hour priced from the estimate).
type SpotSums = (Decimal, Decimal, Decimal, bool);

/// Prices spot usage hour by hour from observed prices, replacing the Spot Advisor estimates.
/// Returns how many instance-hours were priced from observations and how many from the estimate.
pub fn apply_spot_prices(
    catalog: &Catalog,
    usage: &UsageRead,
    bill: &mut Bill,
    observations: &[SpotObservation],
) -> Result<(Decimal, Decimal), Error> {
    let mut series: BTreeMap<SeriesKey<'_>, Vec<(DateTime<Utc>, Decimal)>> = BTreeMap::new();
    for o in observations {
        series
            .entry((o.availability_zone.as_str(), o.instance_type.as_str(), o.os))
            .or_default()
            .push((o.timestamp, o.price));
    }
    for s in series.values_mut() {
        s.sort();
    }
    let hour_secs = Decimal::from(3600);
    // (day, resource, region, az, type, os) → (seconds, cost, od-equivalent, any hour estimated)
    let mut buckets: BTreeMap<DayKey<'_>, SpotSums> = BTreeMap::new();
    let (mut observed, mut estimated) = (Decimal::ZERO, Decimal::ZERO);
    for h in usage.ec2_hours.iter().filter(|h| h.key.spot) {
        let k = &h.key;
        // A missing on-demand price is an error, never $0 (`price_usage` reports it first).
        let od = crate::bill::engine::on_demand_hourly(catalog, &k.region, &k.attr, k.os)?;
        let price = series
            .get(&(k.az.as_str(), k.attr.as_str(), k.os))
            .and_then(|s| s.iter().rev().find(|(t, _)| *t <= h.hour).map(|(_, p)| *p));
        let (price, est) = match price {
            Some(p) => {
                observed += h.seconds / hour_secs;
                (p, false)
            }
            None => {
                estimated += h.seconds / hour_secs;
                let az = (!k.az.is_empty()).then_some(k.az.as_str());
                (
                    catalog.spot_estimate(&k.region, az, &k.attr, k.os)?.hourly,
                    true,
                )
            }
        };
        let b = buckets
            .entry((
                h.hour.date_naive(),
                h.resource_id.as_str(),
                k.region.as_str(),
                k.az.as_str(),
                k.attr.as_str(),
                k.os,
            ))
            .or_default();
        b.0 += h.seconds;
        b.1 += h.seconds * price / hour_secs;
        b.2 += h.seconds * od / hour_secs;
        b.3 |= est;
    }
    bill.rows.retain(|r| r.model != PricingModel::Spot);
    for d in usage
        .days
        .iter()
        .filter(|d| d.key.service == "ec2" && d.key.spot)
    {
        let Some(b) = buckets.get(&(
            d.day,
            d.resource_id.as_str(),
            d.key.region.as_str(),
            d.key.az.as_str(),
            d.key.attr.as_str(),
            d.key.os,
        )) else {
            continue;
        };
        if b.0.is_zero() {
            continue;
        }
        let frac = d.billable / b.0;
        bill.rows.push(CostRow {
            day: d.day,
            service: "ec2".into(),
            region: d.key.region.clone(),
            resource_id: d.resource_id.clone(),
            usage_type: d.key.usage_type.clone(),
            component: format!("Instance usage ({}, spot, {})", d.key.os, d.key.attr).into(),
            model: PricingModel::Spot,
            quantity: d.billable / hour_secs,
            unit: "hours".into(),
            cost: Money::usd(b.1 * frac),
            on_demand_equivalent: Money::usd(b.2 * frac),
            confidence: if b.3 {
                Confidence::Estimate
            } else {
                Confidence::Published
            },
        });
    }
    bill.rows.sort_by(|a, b| {
        (a.day, &a.resource_id, &a.component).cmp(&(b.day, &b.resource_id, &b.component))
    });
    Ok((observed, estimated))
}
