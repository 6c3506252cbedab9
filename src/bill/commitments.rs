//! Hour-by-hour application of commitments (Reserved Instances and Savings Plans) to EC2 usage.
//!
//! This module owns one thing: given the EC2 usage of **one clock hour** and the commitments
//! active in that hour, decide which instance-seconds are covered by which Reserved Instance (RI),
//! which by which Savings Plan (SP) and at what cost, and which stay on-demand — the order and the
//! rules AWS publishes ("How Reserved Instances are applied", "How Savings Plans apply"):
//!
//! 1. **Reserved Instances.** An RI covers at most 3,600 seconds per clock hour per instance it
//!    reserves. Zonal RIs first (same region, AZ, instance type and OS), then regional RIs, each
//!    in input order. A regional Linux RI is size-flexible inside its family through
//!    normalization factors (NF) and covers the smallest sizes first; a regional Windows RI, and
//!    any RI whose size has no normalization factor (e.g. `metal`), covers its exact type only.
//! 2. **EC2 Instance Savings Plans** (their region and family, any size and OS), then
//!    **Compute Savings Plans** (any region, family and OS). For each plan (input order inside a
//!    type) the usage with the highest savings percentage is covered first (a tie: the lower SP
//!    rate first; then input order). The commitment is spent in dollars.
//! 3. **On-demand:** whatever is left.
//!
//! The caller loops over the hours, passes only the commitments active in that hour, and prices
//! the on-demand remainder itself (`on_demand_seconds × on_demand_hourly ÷ 3600`). An RI's and an
//! SP's hourly fee is paid whether used or not; [`HourAllocation`] reports how much of each was
//! used so the caller can show the waste.
//!
//! # Numbers
//!
//! Everything is [`Decimal`]. For every bucket,
//! `ri_seconds + sp_seconds + on_demand_seconds == seconds` holds exactly. To keep that exact,
//! a *partial* coverage (a commitment that runs out inside a bucket) covers a whole number of
//! picoseconds (12 decimal places, rounded down) and the commitment is then treated as used up:
//! the RI reports its full capacity as used, the SP its full commitment (the at most 10⁻¹² s
//! rounding is attributed to the covered bucket). SP costs are rounded up to 16 decimal places
//! of a dollar (never down, so covered usage is never free), so the per-bucket `sp_cost`s add up
//! exactly to the plans' `sp_used`.
//! Buckets outside the range a real account can produce (`seconds ≤ 0` or more than 10¹⁵
//! instance-seconds in one hour) and plans committing more than $10¹² per hour are left alone:
//! nothing covers them (a bucket stays on-demand, a plan reports 0 used). A computation that
//! would overflow never panics: the coverage step it belongs to is skipped.

use compact_str::CompactString;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::catalog::model::{family_of, normalization_factor, size_of};
use crate::catalog::{Offering, Os};
use crate::error::MissingPrice;

/// One bucket of EC2 usage in one clock hour (instances of one type, OS and AZ, summed).
#[derive(Debug, Clone, PartialEq)]
pub struct HourUsage {
    /// The caller's id for the bucket, echoed back in [`UsageCoverage::key`].
    pub key: usize,
    /// Region, e.g. `us-east-1`.
    pub region: CompactString,
    /// Availability zone, e.g. `us-east-1a`, when known (needed to match a zonal RI).
    pub availability_zone: Option<CompactString>,
    /// Instance type, e.g. `m5.large`.
    pub instance_type: CompactString,
    /// Operating system.
    pub os: Os,
    /// Billable instance-seconds in this hour (can exceed 3,600 with several instances).
    pub seconds: Decimal,
    /// On-demand price, $ per instance-hour.
    pub on_demand_hourly: Decimal,
}

/// A Reserved Instance active in the hour.
#[derive(Debug, Clone, PartialEq)]
pub struct ReservedInstance {
    /// The caller's id of the reservation.
    pub id: String,
    /// Region of the reservation.
    pub region: String,
    /// `Some(az)`: a zonal RI (exact type and AZ only, not size-flexible, applied first).
    /// `None`: a regional RI.
    pub availability_zone: Option<String>,
    /// Instance type reserved, e.g. `m3.2xlarge`.
    pub instance_type: String,
    /// Operating system reserved.
    pub os: Os,
    /// Number of instances reserved.
    pub count: u32,
}

/// A Savings Plan active in the hour.
#[derive(Debug, Clone, PartialEq)]
pub struct SavingsPlan {
    /// The caller's id of the plan.
    pub id: String,
    /// [`Offering::Ec2Instance`] or [`Offering::Compute`]. Any other offering (an RI class) is
    /// not a Savings Plan and covers nothing.
    pub kind: Offering,
    /// EC2 Instance SP: its region (required; without it the plan covers nothing).
    pub region: Option<String>,
    /// EC2 Instance SP: its instance family, e.g. `m5` (required; without it the plan covers
    /// nothing).
    pub family: Option<String>,
    /// Commitment, $ per hour.
    pub commitment_per_hour: Decimal,
}

/// How one usage bucket was covered in the hour.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageCoverage {
    /// The bucket's [`HourUsage::key`].
    pub key: usize,
    /// Instance-seconds (of the bucket's own type) covered by Reserved Instances.
    pub ri_seconds: Decimal,
    /// Instance-seconds covered by Savings Plans.
    pub sp_seconds: Decimal,
    /// $ of Savings Plan commitment spent on this bucket (at the plans' rates).
    pub sp_cost: Decimal,
    /// Instance-seconds left to on-demand.
    pub on_demand_seconds: Decimal,
}

/// The allocation of one clock hour.
#[derive(Debug, Clone, PartialEq)]
pub struct HourAllocation {
    /// One entry per input usage bucket, in input order.
    pub usage: Vec<UsageCoverage>,
    /// Per RI, in input order: the capacity used, in instance-seconds of the RI's own size
    /// (`0 ..= 3600 × count`).
    pub ri_used_seconds: Vec<Decimal>,
    /// Per SP, in input order: $ of the hourly commitment used (`0 ..= commitment_per_hour`).
    pub sp_used: Vec<Decimal>,
}

/// Seconds of one instance-hour.
const HOUR_SECONDS: i64 = 3600;
/// Decimal places of a partial coverage, in seconds (picoseconds).
const SECONDS_SCALE: u32 = 12;
/// Decimal places of an SP cost, in dollars.
const COST_SCALE: u32 = 16;
/// The largest `N` accepted in an `Nxlarge` size (AWS's largest today is 224).
const MAX_XLARGE_MULTIPLE: u32 = 100_000;

fn hour() -> Decimal {
    Decimal::from(HOUR_SECONDS)
}

/// Buckets above this many seconds in one hour are not covered (see the module doc).
fn max_bucket_seconds() -> Decimal {
    Decimal::from(1_000_000_000_000_000_i64)
}

/// Plans above this many $ per hour are not applied (see the module doc).
fn max_commitment() -> Decimal {
    Decimal::from(1_000_000_000_000_i64)
}

/// The normalization factor of an instance type, or `None` when its size has none (`metal`,
/// no size at all, `0xlarge`, an absurd `Nxlarge`). Guards the catalog's function against
/// sizes whose factor would overflow.
fn instance_factor(instance_type: &str) -> Option<Decimal> {
    let size = size_of(instance_type);
    if let Some(n) = size.strip_suffix("xlarge").filter(|n| !n.is_empty()) {
        let n: u32 = n.parse().ok()?;
        if n == 0 || n > MAX_XLARGE_MULTIPLE {
            return None;
        }
    }
    normalization_factor(size).filter(|f| *f > Decimal::ZERO)
}

/// `value` rounded down to whole picoseconds.
fn floor_seconds(value: Decimal) -> Decimal {
    value
        .round_dp_with_strategy(SECONDS_SCALE, RoundingStrategy::ToZero)
        .max(Decimal::ZERO)
}

/// The running state of one usage bucket.
struct Bucket {
    /// Seconds not yet covered.
    remaining: Decimal,
    ri_seconds: Decimal,
    sp_seconds: Decimal,
    sp_cost: Decimal,
}

impl Bucket {
    fn new(u: &HourUsage) -> Self {
        let coverable = u.seconds > Decimal::ZERO && u.seconds <= max_bucket_seconds();
        Bucket {
            // An uncoverable bucket has nothing to cover; its on-demand seconds are its seconds.
            remaining: if coverable { u.seconds } else { Decimal::ZERO },
            ri_seconds: Decimal::ZERO,
            sp_seconds: Decimal::ZERO,
            sp_cost: Decimal::ZERO,
        }
    }

    /// Moves `covered` seconds (≤ remaining) to RI coverage; false (and no change) on overflow.
    fn cover_ri(&mut self, covered: Decimal) -> bool {
        match (
            self.remaining.checked_sub(covered),
            self.ri_seconds.checked_add(covered),
        ) {
            (Some(rem), Some(ri)) if covered >= Decimal::ZERO && rem >= Decimal::ZERO => {
                self.remaining = rem;
                self.ri_seconds = ri;
                true
            }
            _ => false,
        }
    }

    /// Moves `covered` seconds (≤ remaining) to SP coverage at `cost`; false (and no change) on
    /// overflow.
    fn cover_sp(&mut self, covered: Decimal, cost: Decimal) -> bool {
        match (
            self.remaining.checked_sub(covered),
            self.sp_seconds.checked_add(covered),
            self.sp_cost.checked_add(cost),
        ) {
            (Some(rem), Some(sp), Some(c)) if covered >= Decimal::ZERO && rem >= Decimal::ZERO => {
                self.remaining = rem;
                self.sp_seconds = sp;
                self.sp_cost = c;
                true
            }
            _ => false,
        }
    }
}

/// Seconds covered out of `remaining` by a capacity of `available` seconds: all of them when the
/// capacity suffices (`Full`), else the capacity rounded down to picoseconds (`Partial`).
enum Take {
    Full(Decimal),
    Partial(Decimal),
}

fn take(remaining: Decimal, available: Decimal) -> Take {
    if available >= remaining {
        Take::Full(remaining)
    } else {
        Take::Partial(floor_seconds(available).min(remaining))
    }
}

/// Applies an RI that covers exact-type usage, `capacity` seconds, to the matching buckets in
/// input order. Returns the seconds of capacity used.
fn apply_exact_ri(
    usage: &[HourUsage],
    buckets: &mut [Bucket],
    capacity: Decimal,
    matches: impl Fn(&HourUsage) -> bool,
) -> Decimal {
    let mut left = capacity;
    for (u, b) in usage.iter().zip(buckets.iter_mut()) {
        if left <= Decimal::ZERO {
            break;
        }
        if b.remaining <= Decimal::ZERO || !matches(u) {
            continue;
        }
        match take(b.remaining, left) {
            Take::Full(covered) => {
                if b.cover_ri(covered) {
                    left = (left - covered).max(Decimal::ZERO);
                }
            }
            Take::Partial(covered) => {
                if b.cover_ri(covered) {
                    left = Decimal::ZERO;
                }
            }
        }
    }
    (capacity - left).max(Decimal::ZERO)
}

/// Applies a size-flexible regional Linux RI of family `family` and `units` normalized
/// unit-seconds to the Linux usage of that family and region, smallest size first. Returns the
/// unit-seconds used.
fn apply_flexible_ri(
    usage: &[HourUsage],
    buckets: &mut [Bucket],
    ri: &ReservedInstance,
    family: &str,
    units: Decimal,
) -> Decimal {
    let mut candidates: Vec<(Decimal, usize)> = usage
        .iter()
        .enumerate()
        .filter(|(i, u)| {
            buckets[*i].remaining > Decimal::ZERO
                && u.os == Os::Linux
                && u.region == ri.region
                && family_of(&u.instance_type) == family
        })
        .filter_map(|(i, u)| instance_factor(&u.instance_type).map(|f| (f, i)))
        .collect();
    candidates.sort();
    let mut left = units;
    for (factor, i) in candidates {
        if left <= Decimal::ZERO {
            break;
        }
        let b = &mut buckets[i];
        let Some(need) = b.remaining.checked_mul(factor) else {
            continue;
        };
        if need <= left {
            if b.cover_ri(b.remaining) {
                left = (left - need).max(Decimal::ZERO);
            }
        } else {
            let Some(seconds) = left.checked_div(factor) else {
                continue;
            };
            if b.cover_ri(floor_seconds(seconds).min(b.remaining)) {
                left = Decimal::ZERO;
            }
        }
    }
    (units - left).max(Decimal::ZERO)
}

/// Applies one Reserved Instance; returns its used capacity in instance-seconds of its own size.
fn apply_ri(usage: &[HourUsage], buckets: &mut [Bucket], ri: &ReservedInstance) -> Decimal {
    let capacity = hour() * Decimal::from(ri.count);
    if let Some(az) = &ri.availability_zone {
        return apply_exact_ri(usage, buckets, capacity, |u| {
            u.region == ri.region
                && u.availability_zone.as_deref() == Some(az.as_str())
                && u.instance_type == ri.instance_type
                && u.os == ri.os
        });
    }
    let flexible = match (ri.os, instance_factor(&ri.instance_type)) {
        (Os::Linux, Some(f)) => Some(f),
        _ => None,
    };
    match flexible {
        Some(ri_factor) => {
            let Some(units) = capacity.checked_mul(ri_factor) else {
                return Decimal::ZERO;
            };
            let family = family_of(&ri.instance_type);
            let used = apply_flexible_ri(usage, buckets, ri, family, units);
            // Full use gives exactly `capacity` (used == units, an exact multiple of ri_factor).
            used.checked_div(ri_factor)
                .unwrap_or(Decimal::ZERO)
                .min(capacity)
        }
        None => apply_exact_ri(usage, buckets, capacity, |u| {
            u.region == ri.region && u.instance_type == ri.instance_type && u.os == ri.os
        }),
    }
}

/// True when the Savings Plan `sp` may cover the usage `u` (by scope only, not by price).
fn sp_applies(sp: &SavingsPlan, u: &HourUsage) -> bool {
    match sp.kind {
        Offering::Compute => true,
        Offering::Ec2Instance => {
            sp.region.as_deref() == Some(u.region.as_str())
                && sp.family.as_deref() == Some(family_of(&u.instance_type))
        }
        Offering::Standard | Offering::Convertible => false,
    }
}

/// One bucket a plan may cover, with the plan's rate for it.
struct SpCandidate {
    /// `rate ÷ on_demand_hourly`: lower is a higher savings percentage.
    ratio: Decimal,
    rate: Decimal,
    index: usize,
}

/// Applies one Savings Plan; returns the $ of its commitment used.
fn apply_sp(
    usage: &[HourUsage],
    buckets: &mut [Bucket],
    sp: &SavingsPlan,
    sp_rate: &dyn Fn(&HourUsage, &SavingsPlan) -> Result<Decimal, MissingPrice>,
) -> Result<Decimal, MissingPrice> {
    let commitment = sp.commitment_per_hour;
    if commitment <= Decimal::ZERO || commitment > max_commitment() {
        return Ok(Decimal::ZERO);
    }
    let mut candidates = Vec::new();
    for (index, u) in usage.iter().enumerate() {
        if buckets[index].remaining <= Decimal::ZERO || !sp_applies(sp, u) {
            continue;
        }
        let rate = sp_rate(u, sp)?;
        // No saving, no coverage: a rate of 0 (a price the caller does not really have) or a
        // rate at or above on-demand leaves the usage to the next plan or to on-demand.
        if rate <= Decimal::ZERO || rate >= u.on_demand_hourly {
            continue;
        }
        let Some(ratio) = rate.checked_div(u.on_demand_hourly) else {
            continue;
        };
        candidates.push(SpCandidate { ratio, rate, index });
    }
    candidates.sort_by(|a, b| {
        a.ratio
            .cmp(&b.ratio)
            .then(a.rate.cmp(&b.rate))
            .then(a.index.cmp(&b.index))
    });

    let mut used = Decimal::ZERO;
    for c in candidates {
        let Some(available) = commitment.checked_sub(used) else {
            break;
        };
        if available <= Decimal::ZERO {
            break;
        }
        let b = &mut buckets[c.index];
        let Some(cost) = b
            .remaining
            .checked_mul(c.rate)
            .and_then(|x| x.checked_div(hour()))
        else {
            continue;
        };
        let (covered, charged) = if cost <= available {
            let charged = cost
                .round_dp_with_strategy(COST_SCALE, RoundingStrategy::AwayFromZero)
                .min(available);
            (b.remaining, charged)
        } else {
            let Some(seconds) = available
                .checked_mul(hour())
                .and_then(|x| x.checked_div(c.rate))
            else {
                continue;
            };
            let seconds = floor_seconds(seconds).min(b.remaining);
            // The commitment is used up: the sub-picosecond rest goes with this bucket.
            let charged = if seconds > Decimal::ZERO {
                available
            } else {
                Decimal::ZERO
            };
            (seconds, charged)
        };
        let Some(new_used) = used.checked_add(charged) else {
            continue;
        };
        if b.cover_sp(covered, charged) {
            used = new_used.min(commitment);
        }
        if charged == available {
            break;
        }
    }
    Ok(used)
}

/// Allocates one clock hour of EC2 usage to the commitments active in that hour: RIs (zonal,
/// then regional), then EC2 Instance Savings Plans, then Compute Savings Plans, the rest
/// on-demand (see the module doc for the rules).
///
/// `sp_rate(usage, plan)` gives the plan's rate, $ per instance-hour, for that usage. It is asked
/// only for usage that still has uncovered seconds when a plan in whose scope it lies (and whose
/// commitment is positive) is applied; its error is returned as is, so a missing SP rate is never
/// priced as zero. A rate ≤ 0 or ≥ the usage's on-demand rate (no saving) does not cover that usage.
///
/// Never panics. The result holds one [`UsageCoverage`] per input bucket (input order), the used
/// capacity of every RI and the used commitment of every SP (input order).
pub fn allocate_hour(
    usage: &[HourUsage],
    ris: &[ReservedInstance],
    sps: &[SavingsPlan],
    sp_rate: &dyn Fn(&HourUsage, &SavingsPlan) -> Result<Decimal, MissingPrice>,
) -> Result<HourAllocation, MissingPrice> {
    let mut buckets: Vec<Bucket> = usage.iter().map(Bucket::new).collect();

    let mut ri_used_seconds = vec![Decimal::ZERO; ris.len()];
    let zonal_first = ris
        .iter()
        .enumerate()
        .filter(|(_, ri)| ri.availability_zone.is_some())
        .chain(
            ris.iter()
                .enumerate()
                .filter(|(_, ri)| ri.availability_zone.is_none()),
        );
    for (j, ri) in zonal_first {
        ri_used_seconds[j] = apply_ri(usage, &mut buckets, ri);
    }

    let mut sp_used = vec![Decimal::ZERO; sps.len()];
    for kind in [Offering::Ec2Instance, Offering::Compute] {
        for (j, sp) in sps.iter().enumerate().filter(|(_, sp)| sp.kind == kind) {
            sp_used[j] = apply_sp(usage, &mut buckets, sp, sp_rate)?;
        }
    }

    let usage = usage
        .iter()
        .zip(buckets)
        .map(|(u, b)| {
            let on_demand_seconds = if b.ri_seconds.is_zero() && b.sp_seconds.is_zero() {
                u.seconds
            } else {
                b.remaining
            };
            UsageCoverage {
                key: u.key,
                ri_seconds: b.ri_seconds,
                sp_seconds: b.sp_seconds,
                sp_cost: b.sp_cost,
                on_demand_seconds,
            }
        })
        .collect();
    Ok(HourAllocation {
        usage,
        ri_used_seconds,
        sp_used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;
    use std::collections::HashMap;

    fn bucket(key: usize, instance_type: &str, os: Os, seconds: Decimal) -> HourUsage {
        HourUsage {
            key,
            region: "us-east-1".into(),
            availability_zone: Some("us-east-1a".into()),
            instance_type: instance_type.into(),
            os,
            seconds,
            on_demand_hourly: dec!(1),
        }
    }

    fn ri(instance_type: &str, os: Os, az: Option<&str>, count: u32) -> ReservedInstance {
        ReservedInstance {
            id: format!("ri-{instance_type}"),
            region: "us-east-1".into(),
            availability_zone: az.map(Into::into),
            instance_type: instance_type.into(),
            os,
            count,
        }
    }

    fn compute_sp(id: &str, commitment: Decimal) -> SavingsPlan {
        SavingsPlan {
            id: id.into(),
            kind: Offering::Compute,
            region: None,
            family: None,
            commitment_per_hour: commitment,
        }
    }

    fn ec2_sp(id: &str, region: &str, family: &str, commitment: Decimal) -> SavingsPlan {
        SavingsPlan {
            id: id.into(),
            kind: Offering::Ec2Instance,
            region: Some(region.into()),
            family: Some(family.into()),
            commitment_per_hour: commitment,
        }
    }

    fn missing(u: &HourUsage, sp: &SavingsPlan) -> MissingPrice {
        MissingPrice {
            region: u.region.to_string(),
            service: "ec2".into(),
            item: u.instance_type.to_string(),
            what: format!("savings plan {} rate", sp.id),
        }
    }

    fn no_sp(u: &HourUsage, sp: &SavingsPlan) -> Result<Decimal, MissingPrice> {
        Err(missing(u, sp))
    }

    /// (ri, sp, sp_cost, on-demand) of a bucket.
    fn cov(a: &HourAllocation, i: usize) -> (Decimal, Decimal, Decimal, Decimal) {
        let c = &a.usage[i];
        (c.ri_seconds, c.sp_seconds, c.sp_cost, c.on_demand_seconds)
    }

    #[test]
    fn m3_2xlarge_ri_covers_two_large_and_one_xlarge() {
        let usage = [
            bucket(10, "m3.large", Os::Linux, dec!(7200)),
            bucket(11, "m3.xlarge", Os::Linux, dec!(7200)),
        ];
        let ris = [ri("m3.2xlarge", Os::Linux, None, 1)];
        let a = allocate_hour(&usage, &ris, &[], &no_sp).unwrap();
        assert_eq!(a.usage[0].key, 10);
        assert_eq!(a.usage[1].key, 11);
        assert_eq!(cov(&a, 0), (dec!(7200), dec!(0), dec!(0), dec!(0)));
        assert_eq!(cov(&a, 1), (dec!(3600), dec!(0), dec!(0), dec!(3600)));
        assert_eq!(a.ri_used_seconds, vec![dec!(3600)]);
    }

    #[test]
    fn smallest_size_first_whatever_the_input_order() {
        let usage = [
            bucket(0, "m3.xlarge", Os::Linux, dec!(7200)),
            bucket(1, "m3.large", Os::Linux, dec!(7200)),
        ];
        let ris = [ri("m3.2xlarge", Os::Linux, None, 1)];
        let a = allocate_hour(&usage, &ris, &[], &no_sp).unwrap();
        assert_eq!(cov(&a, 0), (dec!(3600), dec!(0), dec!(0), dec!(3600)));
        assert_eq!(cov(&a, 1), (dec!(7200), dec!(0), dec!(0), dec!(0)));
    }

    #[test]
    fn t2_medium_ri_covers_two_small_or_half_a_large() {
        let ris = [ri("t2.medium", Os::Linux, None, 1)];
        let small = [bucket(0, "t2.small", Os::Linux, dec!(7200))];
        let a = allocate_hour(&small, &ris, &[], &no_sp).unwrap();
        assert_eq!(cov(&a, 0), (dec!(7200), dec!(0), dec!(0), dec!(0)));
        assert_eq!(a.ri_used_seconds, vec![dec!(3600)]);

        let large = [bucket(0, "t2.large", Os::Linux, dec!(3600))];
        let a = allocate_hour(&large, &ris, &[], &no_sp).unwrap();
        assert_eq!(cov(&a, 0), (dec!(1800), dec!(0), dec!(0), dec!(1800)));
        assert_eq!(a.ri_used_seconds, vec![dec!(3600)]);

        // One t2.small alone leaves half of the RI unused.
        let one_small = [bucket(0, "t2.small", Os::Linux, dec!(3600))];
        let a = allocate_hour(&one_small, &ris, &[], &no_sp).unwrap();
        assert_eq!(cov(&a, 0), (dec!(3600), dec!(0), dec!(0), dec!(0)));
        assert_eq!(a.ri_used_seconds, vec![dec!(1800)]);
    }

    #[test]
    fn four_m4_xlarge_for_15_minutes_use_one_ri_hour() {
        let usage = [bucket(0, "m4.xlarge", Os::Linux, dec!(3600))];
        let ris = [ri("m4.xlarge", Os::Linux, None, 1)];
        let a = allocate_hour(&usage, &ris, &[], &no_sp).unwrap();
        assert_eq!(cov(&a, 0), (dec!(3600), dec!(0), dec!(0), dec!(0)));
        assert_eq!(a.ri_used_seconds, vec![dec!(3600)]);
    }

    #[test]
    fn an_ri_covers_at_most_3600_seconds_per_instance() {
        let usage = [bucket(0, "m5.large", Os::Linux, dec!(10000))];
        let ris = [ri("m5.large", Os::Linux, None, 2)];
        let a = allocate_hour(&usage, &ris, &[], &no_sp).unwrap();
        assert_eq!(cov(&a, 0), (dec!(7200), dec!(0), dec!(0), dec!(2800)));
        assert_eq!(a.ri_used_seconds, vec![dec!(7200)]);
    }

    #[test]
    fn windows_ri_is_not_size_flexible() {
        let usage = [
            bucket(0, "m5.large", Os::Windows, dec!(3600)),
            bucket(1, "m5.xlarge", Os::Windows, dec!(3600)),
            bucket(2, "m5.xlarge", Os::Linux, dec!(3600)),
        ];
        let ris = [ri("m5.xlarge", Os::Windows, None, 1)];
        let a = allocate_hour(&usage, &ris, &[], &no_sp).unwrap();
        assert_eq!(cov(&a, 0), (dec!(0), dec!(0), dec!(0), dec!(3600)));
        assert_eq!(cov(&a, 1), (dec!(3600), dec!(0), dec!(0), dec!(0)));
        assert_eq!(cov(&a, 2), (dec!(0), dec!(0), dec!(0), dec!(3600)));
        assert_eq!(a.ri_used_seconds, vec![dec!(3600)]);
    }

    #[test]
    fn linux_ri_does_not_cover_windows_or_another_region_or_family() {
        let mut other_region = bucket(1, "m5.large", Os::Linux, dec!(3600));
        other_region.region = "ap-northeast-2".into();
        let usage = [
            bucket(0, "m5.large", Os::Windows, dec!(3600)),
            other_region,
            bucket(2, "c5.large", Os::Linux, dec!(3600)),
        ];
        let ris = [ri("m5.2xlarge", Os::Linux, None, 1)];
        let a = allocate_hour(&usage, &ris, &[], &no_sp).unwrap();
        for i in 0..3 {
            assert_eq!(
                cov(&a, i),
                (dec!(0), dec!(0), dec!(0), dec!(3600)),
                "bucket {i}"
            );
        }
        assert_eq!(a.ri_used_seconds, vec![dec!(0)]);
    }

    #[test]
    fn a_size_without_factor_is_only_covered_by_its_exact_type() {
        let usage = [
            bucket(0, "m5.metal", Os::Linux, dec!(3600)),
            bucket(1, "m5.large", Os::Linux, dec!(3600)),
        ];
        // A flexible m5.24xlarge RI does not cover metal; an m5.metal RI covers only metal.
        let ris = [
            ri("m5.24xlarge", Os::Linux, None, 1),
            ri("m5.metal", Os::Linux, None, 1),
        ];
        let a = allocate_hour(&usage, &ris, &[], &no_sp).unwrap();
        assert_eq!(cov(&a, 0), (dec!(3600), dec!(0), dec!(0), dec!(0)));
        assert_eq!(cov(&a, 1), (dec!(3600), dec!(0), dec!(0), dec!(0)));
        // m5.large is 4 of the 192 units of an m5.24xlarge: 1/48 of its hour.
        assert_eq!(a.ri_used_seconds, vec![dec!(75), dec!(3600)]);
    }

    #[test]
    fn zonal_ri_covers_only_its_az_and_goes_before_regional() {
        let mut other_az = bucket(1, "m5.large", Os::Linux, dec!(3600));
        other_az.availability_zone = Some("us-east-1b".into());
        let usage = [bucket(0, "m5.large", Os::Linux, dec!(3600)), other_az];
        // The regional RI is listed first but the zonal one is applied first.
        let ris = [
            ri("m5.large", Os::Linux, None, 1),
            ri("m5.large", Os::Linux, Some("us-east-1a"), 1),
        ];
        let a = allocate_hour(&usage, &ris, &[], &no_sp).unwrap();
        assert_eq!(cov(&a, 0), (dec!(3600), dec!(0), dec!(0), dec!(0)));
        assert_eq!(cov(&a, 1), (dec!(3600), dec!(0), dec!(0), dec!(0)));
        assert_eq!(a.ri_used_seconds, vec![dec!(3600), dec!(3600)]);

        // Alone, the zonal RI leaves the other AZ on-demand, and is not size-flexible.
        let usage = [
            bucket(0, "m5.medium", Os::Linux, dec!(3600)),
            bucket(1, "m5.large", Os::Linux, dec!(3600)),
        ];
        let zonal = [ri("m5.large", Os::Linux, Some("us-east-1b"), 1)];
        let a = allocate_hour(&usage, &zonal, &[], &no_sp).unwrap();
        assert_eq!(cov(&a, 0), (dec!(0), dec!(0), dec!(0), dec!(3600)));
        assert_eq!(cov(&a, 1), (dec!(0), dec!(0), dec!(0), dec!(3600)));
        assert_eq!(a.ri_used_seconds, vec![dec!(0)]);
    }

    /// The Savings Plans User Guide example: (key, type, os, seconds, on-demand, SP rate).
    fn sp_example() -> (Vec<HourUsage>, HashMap<usize, Decimal>) {
        let rows = [
            (0, "c5.9xlarge", Os::Linux, dec!(3600), dec!(4), dec!(2)),
            (1, "c5.24xlarge", Os::Windows, dec!(3600), dec!(10), dec!(8)),
            // "Fargate 10 vCPU" and "Fargate 5 GB" as 10 and 5 unit-hours.
            (
                2,
                "x1.large",
                Os::Linux,
                dec!(36000),
                dec!(1.50),
                dec!(1.00),
            ),
            (3, "x2.large", Os::Linux, dec!(18000), dec!(2), dec!(1)),
        ];
        let mut rates = HashMap::new();
        let usage = rows
            .iter()
            .map(|&(key, t, os, seconds, od, rate)| {
                rates.insert(key, rate);
                HourUsage {
                    on_demand_hourly: od,
                    ..bucket(key, t, os, seconds)
                }
            })
            .collect();
        (usage, rates)
    }

    fn allocate_example(commitment: Decimal) -> HourAllocation {
        let (usage, rates) = sp_example();
        let rate =
            |u: &HourUsage, sp: &SavingsPlan| rates.get(&u.key).copied().ok_or(missing(u, sp));
        allocate_hour(&usage, &[], &[compute_sp("sp", commitment)], &rate).unwrap()
    }

    #[test]
    fn compute_sp_of_25_covers_the_whole_example() {
        let a = allocate_example(dec!(25));
        assert_eq!(cov(&a, 0), (dec!(0), dec!(3600), dec!(2), dec!(0)));
        assert_eq!(cov(&a, 1), (dec!(0), dec!(3600), dec!(8), dec!(0)));
        assert_eq!(cov(&a, 2), (dec!(0), dec!(36000), dec!(10), dec!(0)));
        assert_eq!(cov(&a, 3), (dec!(0), dec!(18000), dec!(5), dec!(0)));
        assert_eq!(a.sp_used, vec![dec!(25)]);
    }

    #[test]
    fn smaller_commitment_covers_highest_savings_first() {
        // 50 % (rate 1) 5, 50 % (rate 2) 2, 33 % 10: $17 leaves only the 20 % usage on-demand.
        let a = allocate_example(dec!(17));
        assert_eq!(cov(&a, 0), (dec!(0), dec!(3600), dec!(2), dec!(0)));
        assert_eq!(cov(&a, 1), (dec!(0), dec!(0), dec!(0), dec!(3600)));
        assert_eq!(cov(&a, 2), (dec!(0), dec!(36000), dec!(10), dec!(0)));
        assert_eq!(cov(&a, 3), (dec!(0), dec!(18000), dec!(5), dec!(0)));
        assert_eq!(a.sp_used, vec![dec!(17)]);

        // $12: the 33 % usage gets the last $5, half of it.
        let a = allocate_example(dec!(12));
        assert_eq!(cov(&a, 0), (dec!(0), dec!(3600), dec!(2), dec!(0)));
        assert_eq!(cov(&a, 1), (dec!(0), dec!(0), dec!(0), dec!(3600)));
        assert_eq!(cov(&a, 2), (dec!(0), dec!(18000), dec!(5), dec!(18000)));
        assert_eq!(cov(&a, 3), (dec!(0), dec!(18000), dec!(5), dec!(0)));
        assert_eq!(a.sp_used, vec![dec!(12)]);
    }

    #[test]
    fn equal_savings_tie_goes_to_the_lower_sp_rate() {
        // Both 50 %: the rate-1 usage (cost 5) first, then $1 buys half an hour at rate 2.
        let a = allocate_example(dec!(6));
        assert_eq!(cov(&a, 3), (dec!(0), dec!(18000), dec!(5), dec!(0)));
        assert_eq!(cov(&a, 0), (dec!(0), dec!(1800), dec!(1), dec!(1800)));
        assert_eq!(cov(&a, 1).1, dec!(0));
        assert_eq!(cov(&a, 2).1, dec!(0));
        assert_eq!(a.sp_used, vec![dec!(6)]);
    }

    #[test]
    fn equal_savings_and_rate_tie_goes_by_input_order() {
        let usage = [
            bucket(0, "m5.large", Os::Linux, dec!(3600)),
            bucket(1, "m5.large", Os::Linux, dec!(3600)),
        ];
        let rate = |_: &HourUsage, _: &SavingsPlan| Ok(dec!(0.5));
        let a = allocate_hour(&usage, &[], &[compute_sp("sp", dec!(0.5))], &rate).unwrap();
        assert_eq!(cov(&a, 0), (dec!(0), dec!(3600), dec!(0.5), dec!(0)));
        assert_eq!(cov(&a, 1), (dec!(0), dec!(0), dec!(0), dec!(3600)));
    }

    #[test]
    fn ec2_instance_sp_goes_before_compute_sp_and_only_to_its_family_and_region() {
        let mut other_region = bucket(1, "m5.large", Os::Linux, dec!(3600));
        other_region.region = "ap-northeast-2".into();
        let usage = [
            bucket(0, "m5.xlarge", Os::Windows, dec!(3600)),
            other_region,
            bucket(2, "c5.large", Os::Linux, dec!(3600)),
        ];
        // Compute listed first, EC2 Instance SP applied first.
        let sps = [
            compute_sp("compute", dec!(10)),
            ec2_sp("ec2", "us-east-1", "m5", dec!(10)),
        ];
        let rate = |u: &HourUsage, sp: &SavingsPlan| match sp.kind {
            Offering::Ec2Instance => Ok(dec!(0.6)),
            _ => Ok(if u.key == 0 { dec!(0.1) } else { dec!(0.7) }),
        };
        let a = allocate_hour(&usage, &[], &sps, &rate).unwrap();
        // Bucket 0 goes to the EC2 Instance SP even though the Compute SP is cheaper for it.
        assert_eq!(cov(&a, 0), (dec!(0), dec!(3600), dec!(0.6), dec!(0)));
        assert_eq!(cov(&a, 1), (dec!(0), dec!(3600), dec!(0.7), dec!(0)));
        assert_eq!(cov(&a, 2), (dec!(0), dec!(3600), dec!(0.7), dec!(0)));
        assert_eq!(a.sp_used, vec![dec!(1.4), dec!(0.6)]);
    }

    #[test]
    fn spillover_from_ec2_instance_sp_to_compute_sp() {
        let usage = [bucket(0, "m5.large", Os::Linux, dec!(3600))];
        let sps = [
            ec2_sp("ec2", "us-east-1", "m5", dec!(0.25)),
            compute_sp("compute", dec!(1)),
        ];
        let rate = |_: &HourUsage, sp: &SavingsPlan| {
            Ok(if sp.kind == Offering::Ec2Instance {
                dec!(0.5)
            } else {
                dec!(0.6)
            })
        };
        let a = allocate_hour(&usage, &[], &sps, &rate).unwrap();
        // $0.25 at 0.5/h buys 1,800 s; the Compute SP buys the rest for 0.6 × 0.5 = $0.30.
        assert_eq!(cov(&a, 0), (dec!(0), dec!(3600), dec!(0.55), dec!(0)));
        assert_eq!(a.sp_used, vec![dec!(0.25), dec!(0.3)]);
    }

    #[test]
    fn ris_go_before_savings_plans() {
        let usage = [bucket(0, "m5.large", Os::Linux, dec!(7200))];
        let ris = [ri("m5.large", Os::Linux, None, 1)];
        let rate = |_: &HourUsage, _: &SavingsPlan| Ok(dec!(0.5));
        let a = allocate_hour(&usage, &ris, &[compute_sp("sp", dec!(10))], &rate).unwrap();
        assert_eq!(cov(&a, 0), (dec!(3600), dec!(3600), dec!(0.5), dec!(0)));
        assert_eq!(a.sp_used, vec![dec!(0.5)]);
    }

    #[test]
    fn missing_sp_rate_is_an_error() {
        let usage = [bucket(0, "m5.large", Os::Linux, dec!(3600))];
        let err = allocate_hour(&usage, &[], &[compute_sp("sp", dec!(1))], &no_sp).unwrap_err();
        assert_eq!(err.item, "m5.large");
        assert!(err.what.contains("sp"));

        // Out of the plan's scope, or already covered by an RI: no rate is needed.
        let ec2 = [ec2_sp("ec2", "us-east-1", "c5", dec!(1))];
        assert!(allocate_hour(&usage, &[], &ec2, &no_sp).is_ok());
        let ris = [ri("m5.large", Os::Linux, None, 1)];
        let a = allocate_hour(&usage, &ris, &[compute_sp("sp", dec!(1))], &no_sp).unwrap();
        assert_eq!(a.sp_used, vec![dec!(0)]);
    }

    #[test]
    fn no_saving_no_coverage() {
        let usage = [
            bucket(0, "m5.large", Os::Linux, dec!(3600)),
            bucket(1, "m5.xlarge", Os::Linux, dec!(3600)),
        ];
        // Rate 0 and rate ≥ on-demand (1) do not cover.
        let rate = |u: &HourUsage, _: &SavingsPlan| Ok(if u.key == 0 { dec!(0) } else { dec!(1) });
        let a = allocate_hour(&usage, &[], &[compute_sp("sp", dec!(5))], &rate).unwrap();
        assert_eq!(cov(&a, 0), (dec!(0), dec!(0), dec!(0), dec!(3600)));
        assert_eq!(cov(&a, 1), (dec!(0), dec!(0), dec!(0), dec!(3600)));
        assert_eq!(a.sp_used, vec![dec!(0)]);
    }

    #[test]
    fn inexact_fractions_keep_the_invariant_exact() {
        // 1/3 of an hour's commitment at a rate that does not divide: partial coverage.
        let usage = [bucket(0, "m5.large", Os::Linux, dec!(3600))];
        let rate = |_: &HourUsage, _: &SavingsPlan| Ok(dec!(0.7));
        let a = allocate_hour(&usage, &[], &[compute_sp("sp", dec!(0.1))], &rate).unwrap();
        let c = &a.usage[0];
        assert_eq!(c.sp_seconds, dec!(514.285714285714));
        assert_eq!(c.sp_seconds + c.on_demand_seconds, dec!(3600));
        assert_eq!(c.sp_cost, dec!(0.1));
        assert_eq!(a.sp_used, vec![dec!(0.1)]);

        // A 3xlarge (24 units) partly covered by a large (4 units) RI.
        let usage = [bucket(0, "m5.3xlarge", Os::Linux, dec!(3600))];
        let a = allocate_hour(&usage, &[ri("m5.large", Os::Linux, None, 1)], &[], &no_sp).unwrap();
        let c = &a.usage[0];
        assert_eq!(c.ri_seconds, dec!(600));
        assert_eq!(c.ri_seconds + c.on_demand_seconds, dec!(3600));
        assert_eq!(a.ri_used_seconds, vec![dec!(3600)]);
    }

    #[test]
    fn absurd_input_does_not_panic() {
        let mut usage = vec![
            bucket(0, "m5.4294967295xlarge", Os::Linux, dec!(3600)),
            bucket(1, "m5.0xlarge", Os::Linux, dec!(3600)),
            bucket(2, "m5", Os::Linux, dec!(-5)),
            bucket(3, "m5.large", Os::Linux, Decimal::MAX),
            bucket(
                4,
                "m5.large",
                Os::Linux,
                dec!(0.0000000000000000000000000001),
            ),
        ];
        usage[0].on_demand_hourly = Decimal::MAX;
        let ris = [
            ri("m5.4294967295xlarge", Os::Linux, None, u32::MAX),
            ri("m5.large", Os::Linux, None, u32::MAX),
        ];
        let sps = [
            compute_sp("huge", Decimal::MAX),
            compute_sp("negative", dec!(-1)),
            compute_sp("small", dec!(0.0000000000000000000000000001)),
            SavingsPlan {
                kind: Offering::Standard,
                ..compute_sp("not-a-plan", dec!(1))
            },
            SavingsPlan {
                kind: Offering::Ec2Instance,
                ..compute_sp("no-scope", dec!(1))
            },
        ];
        let rate = |_: &HourUsage, _: &SavingsPlan| Ok(dec!(0.0000000000000000000000000001));
        let a = allocate_hour(&usage, &ris, &sps, &rate).unwrap();
        for (u, c) in usage.iter().zip(&a.usage) {
            assert_eq!(c.ri_seconds + c.sp_seconds + c.on_demand_seconds, u.seconds);
        }
        assert_eq!(a.usage[2].on_demand_seconds, dec!(-5));
        assert_eq!(a.usage[3].on_demand_seconds, Decimal::MAX);
        // The exact-type RI covers the odd size; the m5.large RI covers the tiny bucket.
        assert_eq!(a.usage[0].ri_seconds, dec!(3600));
        assert_eq!(a.usage[4].ri_seconds, dec!(0.0000000000000000000000000001));
        // The $1e-28 plan pays for bucket 1 (no factor, no RI) at its $1e-28 rate: never free.
        assert_eq!(a.usage[1].sp_seconds, dec!(3600));
        assert_eq!(a.usage[1].sp_cost, dec!(0.0000000000000000000000000001));
        let tiny = dec!(0.0000000000000000000000000001);
        assert_eq!(a.sp_used, vec![dec!(0), dec!(0), tiny, dec!(0), dec!(0)]);
    }

    fn arb_type() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "m5.large",
            "m5.xlarge",
            "m5.2xlarge",
            "m5.3xlarge",
            "m5.metal",
            "c5.large",
            "t3.nano",
            "t3.micro",
        ])
    }

    fn arb_region() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["us-east-1", "ap-northeast-2"])
    }

    fn arb_az() -> impl Strategy<Value = Option<&'static str>> {
        prop::sample::select(vec![None, Some("az-a"), Some("az-b")])
    }

    fn arb_os() -> impl Strategy<Value = Os> {
        prop::sample::select(vec![Os::Linux, Os::Windows])
    }

    /// A non-negative decimal with 0 to 4 decimal places.
    fn arb_decimal(max_units: i64) -> impl Strategy<Value = Decimal> {
        (0..=max_units, 0u32..=4).prop_map(|(n, scale)| Decimal::new(n, scale))
    }

    fn arb_usage() -> impl Strategy<Value = Vec<HourUsage>> {
        prop::collection::vec(
            (
                arb_region(),
                arb_az(),
                arb_type(),
                arb_os(),
                arb_decimal(30_000),
                arb_decimal(500),
            ),
            0..8,
        )
        .prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(key, (region, az, t, os, seconds, od))| HourUsage {
                    key,
                    region: region.into(),
                    availability_zone: az.map(Into::into),
                    instance_type: t.into(),
                    os,
                    seconds,
                    on_demand_hourly: od,
                })
                .collect()
        })
    }

    fn arb_ris() -> impl Strategy<Value = Vec<ReservedInstance>> {
        prop::collection::vec(
            (arb_region(), arb_az(), arb_type(), arb_os(), 0u32..4),
            0..5,
        )
        .prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (region, az, t, os, count))| ReservedInstance {
                    id: format!("ri-{i}"),
                    region: region.into(),
                    availability_zone: az.map(Into::into),
                    instance_type: t.into(),
                    os,
                    count,
                })
                .collect()
        })
    }

    fn arb_sps() -> impl Strategy<Value = Vec<SavingsPlan>> {
        let kind = prop::sample::select(vec![
            Offering::Compute,
            Offering::Ec2Instance,
            Offering::Standard,
        ]);
        let family = prop::sample::select(vec![None, Some("m5"), Some("c5"), Some("t3")]);
        let region = prop::sample::select(vec![None, Some("us-east-1"), Some("ap-northeast-2")]);
        prop::collection::vec((kind, region, family, arb_decimal(300)), 0..4).prop_map(|rows| {
            rows.into_iter()
                .enumerate()
                .map(|(i, (kind, region, family, commitment))| SavingsPlan {
                    id: format!("sp-{i}"),
                    kind,
                    region: region.map(Into::into),
                    family: family.map(Into::into),
                    commitment_per_hour: commitment,
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn allocation_invariants(
            usage in arb_usage(),
            ris in arb_ris(),
            sps in arb_sps(),
            // Per (bucket, plan) rate as a fraction of on-demand, in percent (0 and ≥ 100 too).
            percents in prop::collection::vec(0u32..=120, 32),
        ) {
            let rate = |u: &HourUsage, sp: &SavingsPlan| {
                let j: usize = sp.id.trim_start_matches("sp-").parse().unwrap_or(0);
                let p = percents[(u.key * 4 + j) % percents.len()];
                Ok(u.on_demand_hourly * Decimal::new(i64::from(p), 2))
            };
            let a = allocate_hour(&usage, &ris, &sps, &rate).unwrap();
            prop_assert_eq!(a.usage.len(), usage.len());
            prop_assert_eq!(a.ri_used_seconds.len(), ris.len());
            prop_assert_eq!(a.sp_used.len(), sps.len());
            let zero = Decimal::ZERO;
            for (u, c) in usage.iter().zip(&a.usage) {
                prop_assert_eq!(c.key, u.key);
                prop_assert_eq!(c.ri_seconds + c.sp_seconds + c.on_demand_seconds, u.seconds);
                prop_assert!(c.ri_seconds >= zero && c.sp_seconds >= zero);
                prop_assert!(c.sp_cost >= zero && c.on_demand_seconds >= zero);
                if c.sp_seconds.is_zero() {
                    prop_assert!(c.sp_cost.is_zero());
                }
            }
            for (r, used) in ris.iter().zip(&a.ri_used_seconds) {
                prop_assert!(*used >= zero);
                prop_assert!(*used <= dec!(3600) * Decimal::from(r.count));
            }
            for (sp, used) in sps.iter().zip(&a.sp_used) {
                prop_assert!(*used >= zero);
                prop_assert!(*used <= sp.commitment_per_hour);
            }
            let billed: Decimal = a.usage.iter().map(|c| c.sp_cost).sum();
            let used: Decimal = a.sp_used.iter().sum();
            prop_assert_eq!(billed, used);
            // Covered RI seconds, in units, never exceed the RIs' capacity.
            let covered: Decimal = usage
                .iter()
                .zip(&a.usage)
                .map(|(u, c)| c.ri_seconds * instance_factor(&u.instance_type).unwrap_or(Decimal::ONE))
                .sum();
            let capacity: Decimal = ris
                .iter()
                .map(|r| dec!(3600) * Decimal::from(r.count)
                    * instance_factor(&r.instance_type).unwrap_or(Decimal::ONE))
                .sum();
            prop_assert!(covered <= capacity);
        }
    }
}
