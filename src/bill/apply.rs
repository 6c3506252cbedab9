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
use crate::money::{ExactSum, Money};
use crate::usage::{ResourceDay, UsageRead};

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

/// A day's lines by pricing model: (model, hours, cost, on-demand equivalent).
type Split = Vec<(PricingModel, Decimal, Money, Money)>;

/// A bucket's lines for a share `frac` of its seconds. An on-demand line of no hours is left out
/// when commitments covered some.
fn split(b: &DayBucket, frac: Decimal, hour_secs: Decimal) -> Split {
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
}

/// What the hour loop adds up over a run of whole days: the days' buckets and unused fees, and
/// the commitments' and coverage's sums (exact, so that two runs' sums add up to the same).
struct Period<'a> {
    buckets: HashMap<BucketKey<'a>, DayBucket, foldhash::fast::FixedState>,
    ri_fee: Vec<ExactSum>,
    ri_used: Vec<ExactSum>,
    ri_hours: Vec<ExactSum>,
    sp_fee: Vec<ExactSum>,
    sp_used: Vec<ExactSum>,
    sp_hours: Vec<ExactSum>,
    /// Unused fees by (day, commitment index, is_ri).
    unused: BTreeMap<(NaiveDate, usize, bool), Decimal>,
    eligible_hours: ExactSum,
    reserved_hours: ExactSum,
    savings_plan_hours: ExactSum,
}

impl<'a> Period<'a> {
    fn new(c: &Commitments) -> Self {
        Period {
            buckets: HashMap::default(),
            ri_fee: vec![ExactSum::ZERO; c.reserved.len()],
            ri_used: vec![ExactSum::ZERO; c.reserved.len()],
            ri_hours: vec![ExactSum::ZERO; c.reserved.len()],
            sp_fee: vec![ExactSum::ZERO; c.savings_plans.len()],
            sp_used: vec![ExactSum::ZERO; c.savings_plans.len()],
            sp_hours: vec![ExactSum::ZERO; c.savings_plans.len()],
            unused: BTreeMap::new(),
            eligible_hours: ExactSum::ZERO,
            reserved_hours: ExactSum::ZERO,
            savings_plan_hours: ExactSum::ZERO,
        }
    }

    /// Adds the sums of a run of other days.
    fn merge(&mut self, o: Period<'a>) {
        self.buckets.extend(o.buckets);
        self.unused.extend(o.unused);
        for (mine, theirs) in [
            (&mut self.ri_fee, &o.ri_fee),
            (&mut self.ri_used, &o.ri_used),
            (&mut self.ri_hours, &o.ri_hours),
            (&mut self.sp_fee, &o.sp_fee),
            (&mut self.sp_used, &o.sp_used),
            (&mut self.sp_hours, &o.sp_hours),
        ] {
            for (m, t) in mine.iter_mut().zip(theirs) {
                m.add_sum(t);
            }
        }
        self.eligible_hours.add_sum(&o.eligible_hours);
        self.reserved_hours.add_sum(&o.reserved_hours);
        self.savings_plan_hours.add_sum(&o.savings_plan_hours);
    }
}

/// Allocates the commitments to the EC2 usage of each clock hour in `[from, to)`, whole days.
fn allocate_hours<'a>(
    catalog: &Catalog,
    c: &Commitments,
    by_hour: &BTreeMap<DateTime<Utc>, Vec<&'a crate::usage::Ec2Hour>>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Period<'a>, Error> {
    let mut p = Period::new(c);
    let hour_secs = Decimal::from(3600);
    let mut hour = from;
    while hour < to {
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
            p.ri_fee[i].add(r.fee_per_hour);
            p.ri_used[i].add(used_fee);
            p.ri_hours[i].add(Decimal::ONE);
            *used_fee_by_family
                .entry((r.region.as_str(), family_of(&r.instance_type)))
                .or_default() += used_fee;
            let waste = r.fee_per_hour - used_fee;
            if !waste.is_zero() {
                *p.unused.entry((day, i, true)).or_default() += waste;
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
            p.sp_fee[i].add(s.commitment_per_hour);
            p.sp_used[i].add(alloc.sp_used[j]);
            p.sp_hours[i].add(Decimal::ONE);
            let waste = s.commitment_per_hour - alloc.sp_used[j];
            if !waste.is_zero() {
                *p.unused.entry((day, i, false)).or_default() += waste;
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
            let b = p
                .buckets
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
            p.eligible_hours.add(u.seconds / hour_secs);
            p.reserved_hours.add(cov.ri_seconds / hour_secs);
            p.savings_plan_hours.add(cov.sp_seconds / hour_secs);
        }
        hour += Duration::hours(1);
    }
    Ok(p)
}

/// The line item types of a billing file that a savings plan's own fee replaces when the plan
/// is applied: its fees, and the negation of the usage it covered (the plan's rate is applied
/// instead).
const SAVINGS_PLAN_CHARGES: [&str; 3] = [
    "SavingsPlanRecurringFee",
    "SavingsPlanUpfrontFee",
    "SavingsPlanNegation",
];

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
    let hour_secs = Decimal::from(3600);
    let start = first_day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let end = (last_day + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    // Each clock hour is allocated on its own: the days are split in two halves, one per thread.
    // Each day's sums are made by one thread, in hour order; the period's are exact, so they do
    // not depend on which thread added what.
    let days = (last_day - first_day).num_days() + 1;
    let middle = (first_day + Duration::days(days / 2))
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let (first, second) = std::thread::scope(|s| {
        let second = s.spawn(|| allocate_hours(catalog, c, &by_hour, middle, end));
        let first = allocate_hours(catalog, c, &by_hour, start, middle);
        (
            first,
            second
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
        )
    });
    let mut period = first?;
    period.merge(second?);
    let coverage = Coverage {
        eligible_hours: period.eligible_hours.decimal(),
        reserved_hours: period.reserved_hours.decimal(),
        savings_plan_hours: period.savings_plan_hours.decimal(),
    };
    let Period {
        buckets, unused, ..
    } = period;

    // Replace the on-demand EC2 rows with their split by pricing model, and a billing file's
    // fee rows of the commitments applied with the commitments' own fees: the reservations the
    // file itself shows by their ARN (one not applied keeps its fee rows); for a commitments
    // file, every reservation fee row (when it holds reservations) and every savings plan fee
    // and negation row (when it holds savings plans).
    let ids: std::collections::HashSet<&str> = c.reserved.iter().map(|r| r.id.as_str()).collect();
    let from_file = !c.reserved.is_empty() && c.reserved.iter().all(|r| r.id.starts_with("arn:"));
    let replaced = |r: &CostRow| {
        let kind = &*r.component;
        r.model.is_charge()
            && if kind == "RIFee" {
                ids.contains(r.resource_id.as_str()) || (!from_file && !c.reserved.is_empty())
            } else {
                SAVINGS_PLAN_CHARGES.contains(&kind) && !c.savings_plans.is_empty()
            }
    };
    let mut fees: BTreeMap<(String, String), (Money, u64)> = BTreeMap::new();
    bill.rows.retain(|r| {
        if replaced(r) {
            let f = fees
                .entry((r.service.to_string(), r.component.to_string()))
                .or_insert((Money::ZERO, 0));
            f.0 += r.cost;
            f.1 += 1;
            return false;
        }
        !(r.service == "ec2" && r.model == PricingModel::OnDemand)
    });
    // The file's billed fees move with them: under `ec2` beside the commitments' fees.
    if let Some(billed) = &mut bill.billed {
        for ((service, kind), (fee, _)) in fees {
            if let Some(v) = billed.charges_by_service.get_mut(&service) {
                *v = *v - fee;
            }
            if let Some(v) = billed.charges.get_mut(&kind) {
                v.0 = v.0 - fee;
            }
            *billed
                .priced_by_service
                .entry("ec2".into())
                .or_insert(Money::ZERO) += fee;
        }
    }
    // A day's split depends only on its bucket and billable seconds (its share of the bucket):
    // each (bucket, billable seconds by exact representation) is computed once (most instances
    // of a bucket run whole days), as the lines' (model, hours, cost, on-demand equivalent).
    let mut split_of: HashMap<(BucketKey<'_>, [u8; 16]), usize, foldhash::fast::FixedState> =
        HashMap::default();
    let mut splits: Vec<Split> = Vec::new();
    let ec2_days = || {
        usage
            .days
            .iter()
            .filter(|d| d.key.service == "ec2" && !d.key.spot)
    };
    // Each EC2 day's split first, so that the room for exactly the bill's new rows is reserved:
    // the vector the on-demand rows were removed from mostly has it already, and reserving more
    // than it has copies the whole vector (and faults the copy in).
    let mut day_splits: Vec<Option<usize>> = Vec::with_capacity(ec2_days().count());
    let mut new_rows = 0;
    for d in ec2_days() {
        let key = (
            d.day,
            d.key.region.as_str(),
            d.key.az.as_str(),
            d.key.attr.as_str(),
            d.key.os,
        );
        let split = match buckets.get(&key) {
            Some(b) if !b.seconds.is_zero() => {
                let i = *split_of
                    .entry((key, d.billable.serialize()))
                    .or_insert_with(|| {
                        splits.push(split(b, d.billable / b.seconds, hour_secs));
                        splits.len() - 1
                    });
                new_rows += splits[i].len();
                Some(i)
            }
            _ => None,
        };
        day_splits.push(split);
    }
    bill.rows.reserve(new_rows + unused.len());
    // Each new row's day, line of its split and component (each (OS, pricing model, instance
    // type)'s component written once), in order; then the rows, made on all threads straight
    // into the bill's vector (this is mostly writing 200 bytes of memory per row).
    let mut components: Vec<std::sync::Arc<str>> = Vec::new();
    let mut component_of: HashMap<(Os, PricingModel, &str), usize, foldhash::fast::FixedState> =
        HashMap::default();
    let mut new: Vec<(&ResourceDay, usize, usize, usize)> = Vec::with_capacity(new_rows);
    for (d, split) in ec2_days().zip(day_splits) {
        let Some(split) = split else {
            continue;
        };
        let itype = d.key.attr.as_str();
        for (line, &(model, ..)) in splits[split].iter().enumerate() {
            let component = *component_of
                .entry((d.key.os, model, itype))
                .or_insert_with(|| {
                    components.push(
                        format!("Instance usage ({}, {}, {itype})", d.key.os, model.as_str())
                            .into(),
                    );
                    components.len() - 1
                });
            new.push((d, split, line, component));
        }
    }
    use rayon::prelude::*;
    let hours_unit: std::sync::Arc<str> = "hours".into();
    bill.rows
        .par_extend(new.par_iter().map(|&(d, split, line, component)| {
            let (model, hours, cost, on_demand_equivalent) = splits[split][line];
            CostRow {
                day: d.day,
                service: "ec2".into(),
                region: d.key.region.clone(),
                resource_id: d.resource_id.clone(),
                usage_type: d.key.usage_type.clone(),
                component: components[component].clone(),
                model,
                quantity: hours,
                unit: hours_unit.clone(),
                cost,
                on_demand_equivalent,
                confidence: Confidence::Published,
            }
        }));
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
            component: component.into(),
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
        let (fee, used) = (period.ri_fee[i].decimal(), period.ri_used[i].decimal());
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
            hours: period.ri_hours[i].decimal(),
            fee: Money::usd(fee),
            used: Money::usd(used),
            utilization: ratio(used, fee),
        });
    }
    for (i, s) in c.savings_plans.iter().enumerate() {
        let (fee, used) = (period.sp_fee[i].decimal(), period.sp_used[i].decimal());
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
            hours: period.sp_hours[i].decimal(),
            fee: Money::usd(fee),
            used: Money::usd(used),
            utilization: ratio(used, fee),
        });
    }
    bill.coverage = Some(coverage);
    Ok(())
}
