//! Applying an account's reserved instances and savings plans to its EC2 usage, hour by hour
//! (see [`super::commitments`] for the rules), and turning the result into cost rows.
//!
//! Commitment fees accrue for every hour of the billed period (the days the usage file covers)
//! in which the commitment is active, used or not. The fee of the RI capacity that was used is
//! spread over the usage it covered (by normalized units, within a region and family); what was
//! not used becomes an "unused" row of its own, so waste shows on the bill. Resources that share
//! an hour's bucket (same type, OS, AZ) share its costs in proportion to their seconds.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::commitments::{HourUsage, ReservedInstance, SavingsPlan, allocate_hour};
use super::contracts::Commitments;
use super::{Bill, CostRow, PricingModel};
use crate::catalog::model::{family_of, normalization_factor, size_of};
use crate::catalog::{Catalog, Confidence, Ec2Model, Os};
use crate::error::Error;
use crate::money::Money;
use crate::usage::UsageRead;

/// How one commitment was used over the billed period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommitmentUse {
    /// The commitment's id.
    pub id: String,
    /// `reserved` or `savings-plan`.
    pub kind: String,
    /// What it is, e.g. `2 × m5.xlarge linux, 1yr standard partial-upfront`.
    pub description: String,
    /// Hours it was active in the period.
    pub hours: Decimal,
    /// Fees paid in the period (amortized upfront + recurring, or the hourly commitment).
    pub fee: Money,
    /// The part of the fee that covered usage.
    pub used: Money,
    /// Used ÷ fee.
    pub utilization: Decimal,
}

/// Coverage of the EC2 usage that commitments could cover (on-demand-eligible usage).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// Eligible instance-hours (not spot).
    pub eligible_hours: Decimal,
    /// Instance-hours covered by reserved instances.
    pub reserved_hours: Decimal,
    /// Instance-hours covered by savings plans.
    pub savings_plan_hours: Decimal,
}

#[derive(Default, Clone)]
struct DayBucket {
    seconds: Decimal,
    od_seconds: Decimal,
    ri_seconds: Decimal,
    sp_seconds: Decimal,
    od_cost: Decimal,
    ri_cost: Decimal,
    sp_cost: Decimal,
    od_rate: Decimal,
}

/// (day, region, AZ, instance type, OS), borrowed from the usage.
type BucketKey<'a> = (NaiveDate, &'a str, &'a str, &'a str, Os);

fn units(itype: &str, seconds: Decimal) -> Decimal {
    normalization_factor(size_of(itype)).map_or(seconds, |nf| nf * seconds)
}

/// Applies commitments to a bill priced on-demand. `usage` must have been read with hourly EC2
/// aggregates.
pub fn apply_commitments(
    catalog: &Catalog,
    usage: &UsageRead,
    bill: &mut Bill,
    c: &Commitments,
) -> Result<(), Error> {
    let Some(first_day) = usage.days.iter().map(|d| d.day).min() else {
        return Ok(());
    };
    let last_day = usage.days.iter().map(|d| d.day).max().unwrap_or(first_day);
    let mut by_hour: BTreeMap<DateTime<Utc>, Vec<&crate::usage::Ec2Hour>> = BTreeMap::new();
    for h in usage.ec2_hours.iter().filter(|h| !h.key.spot) {
        by_hour.entry(h.hour).or_default().push(h);
    }
    let mut buckets: HashMap<BucketKey<'_>, DayBucket, foldhash::fast::FixedState> =
        HashMap::default();
    let mut ri_fee = vec![Decimal::ZERO; c.reserved.len()];
    let mut ri_used = vec![Decimal::ZERO; c.reserved.len()];
    let mut ri_hours = vec![Decimal::ZERO; c.reserved.len()];
    let mut sp_fee = vec![Decimal::ZERO; c.savings_plans.len()];
    let mut sp_used = vec![Decimal::ZERO; c.savings_plans.len()];
    let mut sp_hours = vec![Decimal::ZERO; c.savings_plans.len()];
    // Unused fees by (day, commitment index, is_ri).
    let mut unused: BTreeMap<(NaiveDate, usize, bool), Decimal> = BTreeMap::new();
    let mut coverage = Coverage::default();
    let hour_secs = Decimal::from(3600);

    let start = first_day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let end = (last_day + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let mut hour = start;
    while hour < end {
        let day = hour.date_naive();
        let ris: Vec<usize> = (0..c.reserved.len())
            .filter(|&i| c.reserved[i].start <= hour && hour < c.reserved[i].end)
            .collect();
        let sps: Vec<usize> = (0..c.savings_plans.len())
            .filter(|&i| c.savings_plans[i].start <= hour && hour < c.savings_plans[i].end)
            .collect();
        let entries = by_hour.get(&hour).map(Vec::as_slice).unwrap_or(&[]);
        let mut usage_in = Vec::with_capacity(entries.len());
        for (k, e) in entries.iter().enumerate() {
            let od = catalog
                .ec2_price(&e.key.region, &e.key.attr, e.key.os, Ec2Model::OnDemand)?
                .hourly;
            usage_in.push(HourUsage {
                key: k,
                region: e.key.region.clone(),
                availability_zone: (!e.key.az.is_empty()).then(|| e.key.az.clone()),
                instance_type: e.key.attr.clone(),
                os: e.key.os,
                seconds: e.seconds,
                on_demand_hourly: od,
            });
        }
        let ri_in: Vec<ReservedInstance> = ris
            .iter()
            .map(|&i| {
                let r = &c.reserved[i];
                ReservedInstance {
                    id: r.id.clone(),
                    region: r.region.clone(),
                    availability_zone: r.availability_zone.clone(),
                    instance_type: r.instance_type.clone(),
                    os: r.os,
                    count: r.count,
                }
            })
            .collect();
        let sp_in: Vec<SavingsPlan> = sps
            .iter()
            .map(|&i| {
                let s = &c.savings_plans[i];
                SavingsPlan {
                    id: s.id.clone(),
                    kind: s.kind,
                    region: s.region.clone(),
                    family: s.family.clone(),
                    commitment_per_hour: s.commitment_per_hour,
                }
            })
            .collect();
        let sp_rate = |u: &HourUsage, plan: &SavingsPlan| {
            let idx = sp_in
                .iter()
                .position(|p| p.id == plan.id)
                .map_or(0, |p| sps[p]);
            let held = &c.savings_plans[idx];
            catalog
                .ec2_price(
                    &u.region,
                    &u.instance_type,
                    u.os,
                    Ec2Model::SavingsPlan(held.term, held.kind, held.payment),
                )
                .map(|p| p.hourly)
        };
        let alloc = allocate_hour(&usage_in, &ri_in, &sp_in, &sp_rate)?;

        // RI fees: the used share goes to the usage it covered (by region and family), the
        // rest is waste.
        let mut used_fee_by_family: BTreeMap<(&str, &str), Decimal> = BTreeMap::new();
        for (j, &i) in ris.iter().enumerate() {
            let r = &c.reserved[i];
            let capacity = hour_secs * Decimal::from(r.count.max(1));
            let used_frac = (alloc.ri_used_seconds[j] / capacity).min(Decimal::ONE);
            let used_fee = r.fee_per_hour * used_frac;
            ri_fee[i] += r.fee_per_hour;
            ri_used[i] += used_fee;
            ri_hours[i] += Decimal::ONE;
            *used_fee_by_family
                .entry((r.region.as_str(), family_of(&r.instance_type)))
                .or_default() += used_fee;
            let waste = r.fee_per_hour - used_fee;
            if !waste.is_zero() {
                *unused.entry((day, i, true)).or_default() += waste;
            }
        }
        let mut units_by_family: BTreeMap<(&str, &str), Decimal> = BTreeMap::new();
        for cov in &alloc.usage {
            let u = &usage_in[cov.key];
            *units_by_family
                .entry((u.region.as_str(), family_of(&u.instance_type)))
                .or_default() += units(&u.instance_type, cov.ri_seconds);
        }
        for (j, &i) in sps.iter().enumerate() {
            let s = &c.savings_plans[i];
            sp_fee[i] += s.commitment_per_hour;
            sp_used[i] += alloc.sp_used[j];
            sp_hours[i] += Decimal::ONE;
            let waste = s.commitment_per_hour - alloc.sp_used[j];
            if !waste.is_zero() {
                *unused.entry((day, i, false)).or_default() += waste;
            }
        }
        for cov in &alloc.usage {
            let u = &usage_in[cov.key];
            let e = entries[cov.key];
            let fam = (u.region.as_str(), family_of(&u.instance_type));
            let ri_cost = match (used_fee_by_family.get(&fam), units_by_family.get(&fam)) {
                (Some(fee), Some(total)) if !total.is_zero() => {
                    *fee * units(&u.instance_type, cov.ri_seconds) / *total
                }
                _ => Decimal::ZERO,
            };
            let b = buckets
                .entry((
                    day,
                    e.key.region.as_str(),
                    e.key.az.as_str(),
                    e.key.attr.as_str(),
                    e.key.os,
                ))
                .or_default();
            b.seconds += u.seconds;
            b.od_seconds += cov.on_demand_seconds;
            b.ri_seconds += cov.ri_seconds;
            b.sp_seconds += cov.sp_seconds;
            b.od_cost += cov.on_demand_seconds * u.on_demand_hourly / hour_secs;
            b.ri_cost += ri_cost;
            b.sp_cost += cov.sp_cost;
            b.od_rate = u.on_demand_hourly;
            coverage.eligible_hours += u.seconds / hour_secs;
            coverage.reserved_hours += cov.ri_seconds / hour_secs;
            coverage.savings_plan_hours += cov.sp_seconds / hour_secs;
        }
        hour += Duration::hours(1);
    }

    // Replace the on-demand EC2 rows with their split by pricing model.
    bill.rows
        .retain(|r| !(r.service == "ec2" && r.model == PricingModel::OnDemand));
    // Up to a line per pricing model for each EC2 day (room reserved, not touched, is free; a
    // growing vector of rows is copied and faulted in again).
    let ec2_days = usage
        .days
        .iter()
        .filter(|d| d.key.service == "ec2" && !d.key.spot)
        .count();
    bill.rows.reserve(3 * ec2_days + unused.len());
    // Each (OS, pricing model, instance type)'s component, written once.
    let mut components: HashMap<(Os, PricingModel, &str), String, foldhash::fast::FixedState> =
        HashMap::default();
    // A day's split depends only on its bucket and billable seconds (its share of the bucket):
    // each (bucket, billable seconds by exact representation) is computed once (most instances
    // of a bucket run whole days), as the lines' (model, hours, cost, on-demand equivalent).
    type Split = Vec<(PricingModel, Decimal, Money, Money)>;
    let mut splits: HashMap<(BucketKey<'_>, [u8; 16]), Split, foldhash::fast::FixedState> =
        HashMap::default();
    for d in usage
        .days
        .iter()
        .filter(|d| d.key.service == "ec2" && !d.key.spot)
    {
        let key = (
            d.day,
            d.key.region.as_str(),
            d.key.az.as_str(),
            d.key.attr.as_str(),
            d.key.os,
        );
        let Some(b) = buckets.get(&key) else {
            continue;
        };
        if b.seconds.is_zero() {
            continue;
        }
        let split = splits
            .entry((key, d.billable.serialize()))
            .or_insert_with(|| {
                let frac = d.billable / b.seconds;
                let mut lines = Vec::with_capacity(3);
                for (model, secs, cost) in [
                    (PricingModel::OnDemand, b.od_seconds, b.od_cost),
                    (PricingModel::Reserved, b.ri_seconds, b.ri_cost),
                    (PricingModel::SavingsPlan, b.sp_seconds, b.sp_cost),
                ] {
                    if secs.is_zero() && model != PricingModel::OnDemand {
                        continue;
                    }
                    let hours = secs * frac / hour_secs;
                    if hours.is_zero()
                        && model == PricingModel::OnDemand
                        && !(b.ri_seconds + b.sp_seconds).is_zero()
                    {
                        continue;
                    }
                    lines.push((
                        model,
                        hours,
                        Money::usd(cost * frac),
                        Money::usd(hours * b.od_rate),
                    ));
                }
                lines
            });
        let itype = &d.key.attr;
        for &(model, hours, cost, on_demand_equivalent) in split.iter() {
            bill.rows.push(CostRow {
                day: d.day,
                service: "ec2".into(),
                region: d.key.region.clone(),
                resource_id: d.resource_id.clone(),
                usage_type: d.key.usage_type.clone(),
                component: components
                    .entry((d.key.os, model, itype.as_str()))
                    .or_insert_with(|| {
                        format!("Instance usage ({}, {}, {itype})", d.key.os, model.as_str())
                    })
                    .clone(),
                model,
                quantity: hours,
                unit: "hours".into(),
                cost,
                on_demand_equivalent,
                confidence: Confidence::Published,
            });
        }
    }
    for ((day, i, is_ri), amount) in unused {
        let (id, component, model, region) = if is_ri {
            let r = &c.reserved[i];
            (
                r.id.clone(),
                format!(
                    "Unused reserved instance ({} × {} {}, {} {} {})",
                    r.count, r.instance_type, r.os, r.term, r.offering, r.payment
                ),
                PricingModel::Reserved,
                r.region.clone(),
            )
        } else {
            let s = &c.savings_plans[i];
            (
                s.id.clone(),
                format!(
                    "Unused savings plan commitment ({} {} {}, ${}/h)",
                    s.kind,
                    s.term,
                    s.payment,
                    s.commitment_per_hour.normalize()
                ),
                PricingModel::SavingsPlan,
                s.region.as_deref().unwrap_or("global").into(),
            )
        };
        bill.rows.push(CostRow {
            day,
            service: "ec2".into(),
            region: region.into(),
            resource_id: id.into(),
            usage_type: "commitment".into(),
            component,
            model,
            quantity: amount,
            unit: "USD".into(),
            cost: Money::usd(amount),
            on_demand_equivalent: Money::ZERO,
            confidence: Confidence::Published,
        });
    }
    bill.rows.sort_by(|a, b| {
        (a.day, &a.resource_id, &a.component).cmp(&(b.day, &b.resource_id, &b.component))
    });

    let ratio = |used: Decimal, fee: Decimal| {
        if fee.is_zero() {
            Decimal::ZERO
        } else {
            used / fee
        }
    };
    for (i, r) in c.reserved.iter().enumerate() {
        bill.commitments.push(CommitmentUse {
            id: r.id.clone(),
            kind: "reserved".into(),
            description: format!(
                "{} × {} {} in {}{}, {} {} {}",
                r.count,
                r.instance_type,
                r.os,
                r.region,
                r.availability_zone
                    .as_ref()
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default(),
                r.term,
                r.offering,
                r.payment
            ),
            hours: ri_hours[i],
            fee: Money::usd(ri_fee[i]),
            used: Money::usd(ri_used[i]),
            utilization: ratio(ri_used[i], ri_fee[i]),
        });
    }
    for (i, s) in c.savings_plans.iter().enumerate() {
        let scope = match (&s.region, &s.family) {
            (Some(r), Some(f)) => format!(" for {f} in {r}"),
            _ => String::new(),
        };
        bill.commitments.push(CommitmentUse {
            id: s.id.clone(),
            kind: "savings-plan".into(),
            description: format!(
                "{} savings plan{scope}, ${}/h, {} {}",
                s.kind,
                s.commitment_per_hour.normalize(),
                s.term,
                s.payment
            ),
            hours: sp_hours[i],
            fee: Money::usd(sp_fee[i]),
            used: Money::usd(sp_used[i]),
            utilization: ratio(sp_used[i], sp_fee[i]),
        });
    }
    bill.coverage = Some(coverage);
    Ok(())
}
