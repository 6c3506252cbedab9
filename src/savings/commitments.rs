//! Commitment recommendations: from the hourly on-demand EC2 usage over a lookback (7, 30 or 60
//! days), simulate candidate reserved-instance counts and savings-plan commitments, keep the one
//! with the best net saving, and report utilization, coverage and break-even. The same search on
//! the most recent 3 days gives a second answer, and the lower commitment is kept, so that a
//! shrinking fleet is not over-committed.
//!
//! Reserved instances are sized per region and family in normalized units (a regional Linux RI is
//! size-flexible); savings plans on the spend they would cover at their rates. Only prices the
//! catalog holds are used: where it has none (Seoul RIs, any savings plan rate before the offer
//! file is imported), the report says so instead of guessing.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use super::{Kind, Opportunity};
use crate::bill::Commitments;
use crate::catalog::model::{family_of, normalization_factor, size_of};
use crate::catalog::{Catalog, Ec2Model, Offering, Os, Payment, Term};
use crate::usage::UsageRead;

/// Hours of the recent window used to cross-check.
const RECENT_HOURS: usize = 72;

/// What the commitment search found, and what it could not do.
#[derive(Clone, Debug, Default)]
pub struct CommitmentAdvice {
    /// The recommended purchases.
    pub opportunities: Vec<Opportunity>,
    /// Why something could not be recommended (missing prices), for the reader.
    pub notes: Vec<String>,
}

struct Hourly {
    /// Normalized units used in the hour.
    units: Decimal,
    /// On-demand cost of the hour.
    od: Decimal,
}

/// What the recommendations change of one instance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InstanceChange {
    /// Its new type, when right-sized.
    pub new_type: Option<String>,
    /// Stopped for good (idle).
    pub stopped: bool,
    /// The weekly hours it runs from now on, when an off-hours schedule stops it otherwise.
    pub schedule: Option<crate::recommend::schedule::Schedule>,
    /// The scaling fleet it joins, and its place in it (the last are stopped first).
    pub fleet: Option<(std::sync::Arc<crate::recommend::fleet::ScalingFleet>, usize)>,
}

impl InstanceChange {
    /// Moved to `new_type`.
    pub fn resize(new_type: &str) -> Self {
        InstanceChange {
            new_type: Some(new_type.to_string()),
            ..Default::default()
        }
    }

    /// Stopped.
    pub fn stop() -> Self {
        InstanceChange {
            stopped: true,
            ..Default::default()
        }
    }
}

/// The EC2 hours as they would be once the right-sizing, idle and schedule recommendations are
/// done, so
/// that commitments are sized on the fleet that remains and their saving adds to theirs (AWS
/// warns that the two are not additive): each changed instance's usage (`changes`) moves to its new
/// type, or goes when it is stopped or outside its schedule's hours. The hourly data sums
/// instances, so an instance's seconds of a day are taken evenly from the hours of that day its
/// type ran (never below zero).
pub fn hours_after_changes(
    usage: &UsageRead,
    changes: &BTreeMap<String, InstanceChange>,
) -> Vec<crate::usage::Ec2Hour> {
    use std::collections::HashMap;
    use std::sync::Arc;

    use crate::usage::{Ec2Hour, UsageKey};
    if changes.is_empty() {
        return usage.ec2_hours.clone();
    }
    let mut hours = usage.ec2_hours.clone();
    let mut at: HashMap<(Arc<UsageKey>, DateTime<Utc>), usize> = hours
        .iter()
        .enumerate()
        .filter(|(_, h)| h.resource_id.is_empty())
        .map(|(i, h)| ((h.key.clone(), h.hour), i))
        .collect();
    // Per key and day: the hours it ran.
    let mut ran: HashMap<(Arc<UsageKey>, chrono::NaiveDate), Vec<DateTime<Utc>>> = HashMap::new();
    for h in hours.iter().filter(|h| h.resource_id.is_empty()) {
        ran.entry((h.key.clone(), h.hour.date_naive()))
            .or_default()
            .push(h.hour);
    }
    for d in usage
        .days
        .iter()
        .filter(|d| d.key.service == "ec2" && !d.key.spot)
    {
        let Some(change) = changes.get(d.resource_id.as_str()) else {
            continue;
        };
        let Some(when) = ran.get(&(d.key.clone(), d.day)) else {
            continue;
        };
        let each = d.billable / Decimal::from(when.len() as u64);
        let new_key = (!change.stopped).then(|| match &change.new_type {
            Some(t) => Arc::new(UsageKey {
                attr: t.as_str().into(),
                ..(*d.key).clone()
            }),
            None => d.key.clone(),
        });
        for hour in when {
            let Some(&i) = at.get(&(d.key.clone(), *hour)) else {
                continue;
            };
            let moved = each.min(hours[i].seconds);
            hours[i].seconds -= moved;
            let runs = change.schedule.as_ref().is_none_or(|s| s.runs_at(*hour))
                && change
                    .fleet
                    .as_ref()
                    .is_none_or(|(f, k)| f.member_runs_at(*k, *hour));
            if let Some(k) = new_key.as_ref().filter(|_| runs) {
                let j = *at.entry((k.clone(), *hour)).or_insert_with(|| {
                    hours.push(Ec2Hour {
                        hour: *hour,
                        resource_id: Default::default(),
                        key: k.clone(),
                        seconds: Decimal::ZERO,
                    });
                    hours.len() - 1
                });
                hours[j].seconds += moved;
            }
        }
    }
    hours.retain(|h| !h.seconds.is_zero());
    hours
}

/// Searches commitments for the EC2 usage (`ec2_hours`: a usage read's, or
/// [`hours_after_changes`]) of the last `lookback_days` days. Usage already covered
/// by the reserved instances the account holds (`held`) is taken out first: only what they leave
/// on-demand is sized.
pub fn recommend_commitments(
    catalog: &Catalog,
    ec2_hours: &[crate::usage::Ec2Hour],
    lookback_days: u32,
    held: Option<&Commitments>,
) -> CommitmentAdvice {
    let mut advice = CommitmentAdvice::default();
    let Some(last) = ec2_hours.iter().map(|h| h.hour).max() else {
        return advice;
    };
    // The window: the lookback, but never before the data starts (hours with no data are not
    // hours of zero usage).
    let first = ec2_hours.iter().map(|h| h.hour).min().unwrap_or(last);
    let from = (last - Duration::days(i64::from(lookback_days)) + Duration::hours(1)).max(first);
    let hours: Vec<DateTime<Utc>> = {
        let mut v = Vec::new();
        let mut h = from;
        while h <= last {
            v.push(h);
            h += Duration::hours(1);
        }
        v
    };
    let index: BTreeMap<DateTime<Utc>, usize> =
        hours.iter().enumerate().map(|(i, h)| (*h, i)).collect();
    // Per (region, family): hourly units and on-demand cost of Linux on-demand usage.
    let mut fam: BTreeMap<(String, String), Vec<Hourly>> = BTreeMap::new();
    let mut types_seen: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for h in ec2_hours
        .iter()
        .filter(|h| !h.key.spot && h.key.os == Os::Linux)
    {
        let Some(&i) = index.get(&h.hour) else {
            continue;
        };
        let k = &h.key;
        let Some(nf) = normalization_factor(size_of(&k.attr)) else {
            continue;
        };
        let Ok(od) = catalog.ec2_price(&k.region, &k.attr, k.os, Ec2Model::OnDemand) else {
            continue;
        };
        let key = (k.region.to_string(), family_of(&k.attr).to_string());
        let series = fam.entry(key.clone()).or_insert_with(|| {
            hours
                .iter()
                .map(|_| Hourly {
                    units: Decimal::ZERO,
                    od: Decimal::ZERO,
                })
                .collect()
        });
        let inst_hours = h.seconds / Decimal::from(3600);
        series[i].units += inst_hours * nf;
        series[i].od += inst_hours * od.hourly;
        let seen = types_seen.entry(key).or_default();
        if !seen.iter().any(|t| *t == k.attr) {
            seen.push(k.attr.to_string());
        }
    }
    // Take out the capacity of the reserved instances already held (regional, Linux).
    if let Some(held) = held {
        for ((region, family), series) in fam.iter_mut() {
            for (i, h) in hours.iter().enumerate() {
                let capacity: Decimal = held
                    .reserved
                    .iter()
                    .filter(|r| {
                        &r.region == region
                            && family_of(&r.instance_type) == family
                            && r.os == Os::Linux
                            && r.start <= *h
                            && *h < r.end
                    })
                    .filter_map(|r| {
                        normalization_factor(size_of(&r.instance_type))
                            .map(|nf| nf * Decimal::from(r.count))
                    })
                    .sum();
                let s = &mut series[i];
                if capacity > Decimal::ZERO && s.units > Decimal::ZERO {
                    let left = (s.units - capacity).max(Decimal::ZERO);
                    s.od = s.od * left / s.units;
                    s.units = left;
                }
            }
        }
    }
    let month = super::month_hours();
    let mut unpriced: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ((region, family), series) in &fam {
        // Candidate RIs: every type of the family the catalog has a 1-year price for. The best:
        // its saving, the purchase, the type, its units, the count and the payment.
        type Best<'c> = (
            Decimal,
            Opportunity,
            &'c crate::catalog::InstanceType,
            Decimal,
            u64,
            Payment,
        );
        let mut best: Option<Best<'_>> = None;
        let mut any_price = false;
        for t in catalog.instance_types().filter(|t| t.family() == family) {
            for pay in Payment::ALL {
                let model = Ec2Model::Reserved(Term::OneYear, Offering::Standard, *pay);
                let Ok(p) = catalog.ec2_price(region, &t.name, Os::Linux, model) else {
                    continue;
                };
                any_price = true;
                let Some(nf) = normalization_factor(t.size()) else {
                    continue;
                };
                let fee = p.effective_hourly();
                let k_all = best_count(series, nf, fee);
                let recent = &series[series.len().saturating_sub(RECENT_HOURS)..];
                let k = k_all.min(best_count(recent, nf, fee));
                if k == 0 {
                    continue;
                }
                let (saving, used, covered, total_units) = evaluate(series, nf, fee, k);
                let window = Decimal::from(series.len() as u64);
                let monthly_saving = saving * month / window;
                if monthly_saving <= Decimal::ZERO {
                    continue;
                }
                let od_monthly: Decimal =
                    series.iter().map(|h| h.od).sum::<Decimal>() * month / window;
                let kd = Decimal::from(k);
                let upfront = p.upfront * kd;
                // The on-demand cost the RIs take away each month: the saving is that less
                // their whole effective cost (recurring and amortized upfront).
                let avoided_monthly = monthly_saving + fee * kd * month;
                let break_even = Term::OneYear
                    .break_even_month(upfront, p.hourly * kd * month, avoided_monthly)
                    .map_or_else(|| "never".to_string(), |m| format!("month {m}"));
                let utilization = if kd.is_zero() {
                    Decimal::ZERO
                } else {
                    used / (kd * nf * window)
                };
                let coverage = if total_units.is_zero() {
                    Decimal::ZERO
                } else {
                    covered / total_units
                };
                let opp = Opportunity::new(
                    Kind::ReservedInstances,
                    &format!("{family} family"),
                    region,
                    format!(
                        "Buy {k} × {} reserved instance{} (Linux, regional, 1yr standard {pay})",
                        t.name,
                        if k == 1 { "" } else { "s" }
                    ),
                    od_monthly,
                    od_monthly - monthly_saving,
                    format!(
                        "utilization {}%, coverage {}%, upfront ${}, break-even {break_even}; sized on {} hours and cross-checked on the last {} (the lower count kept); {} types in the family: {}",
                        (utilization * Decimal::ONE_HUNDRED).round_dp(1),
                        (coverage * Decimal::ONE_HUNDRED).round_dp(1),
                        upfront.round_dp(2),
                        series.len(),
                        RECENT_HOURS.min(series.len()),
                        types_seen
                            .get(&(region.clone(), family.clone()))
                            .map_or(0, Vec::len),
                        types_seen
                            .get(&(region.clone(), family.clone()))
                            .map(|v| v.join(", "))
                            .unwrap_or_default()
                    ),
                );
                if best.as_ref().is_none_or(|(s, ..)| monthly_saving > *s) {
                    best = Some((monthly_saving, opp, t, nf, k, *pay));
                }
            }
        }
        match best {
            Some((_, mut o, t, nf, k, pay)) => {
                let others = alternatives(catalog, region, t, nf, k, series, pay);
                if !others.is_empty() {
                    o.detail.push_str(&format!(
                        "; the same {k} on other terms: {}",
                        others.join("; ")
                    ));
                }
                advice.opportunities.push(o)
            }
            None if !any_price => unpriced
                .entry(region.clone())
                .or_default()
                .push(family.clone()),
            None => {}
        }
    }
    for (region, families) in unpriced {
        advice.notes.push(format!(
            "reserved instances in {region}: the catalog holds no reserved price for the {} famil{} used here (import an AWS offer file with `cloudcost pricing import`)",
            families.join(", "),
            if families.len() == 1 { "y" } else { "ies" }
        ));
    }
    // Savings plans: only with rates in the catalog (1-year no-upfront Compute plans).
    let sp_model = Ec2Model::SavingsPlan(Term::OneYear, Offering::Compute, Payment::NoUpfront);
    let mut od_h = vec![Decimal::ZERO; hours.len()];
    let mut sp_h = vec![Decimal::ZERO; hours.len()];
    let mut any_rate = false;
    for h in ec2_hours.iter().filter(|h| !h.key.spot) {
        let Some(&i) = index.get(&h.hour) else {
            continue;
        };
        let k = &h.key;
        let (Ok(od), Ok(sp)) = (
            catalog.ec2_price(&k.region, &k.attr, k.os, Ec2Model::OnDemand),
            catalog.ec2_price(&k.region, &k.attr, k.os, sp_model),
        ) else {
            continue;
        };
        if sp.hourly >= od.hourly {
            continue;
        }
        any_rate = true;
        let inst_hours = h.seconds / Decimal::from(3600);
        od_h[i] += inst_hours * od.hourly;
        sp_h[i] += inst_hours * sp.hourly;
    }
    if any_rate {
        let window = Decimal::from(hours.len() as u64);
        let c_all = best_commitment(&od_h, &sp_h);
        let recent = hours.len().saturating_sub(RECENT_HOURS);
        let c = c_all.min(best_commitment(&od_h[recent..], &sp_h[recent..]));
        if c > Decimal::ZERO {
            let (saving, used) = evaluate_sp(&od_h, &sp_h, c);
            let monthly_saving = saving * month / window;
            let od_monthly: Decimal = od_h.iter().copied().sum::<Decimal>() * month / window;
            let covered_od: Decimal = od_h
                .iter()
                .zip(&sp_h)
                .map(|(o, s)| {
                    if s.is_zero() {
                        Decimal::ZERO
                    } else {
                        *o * (c / *s).min(Decimal::ONE)
                    }
                })
                .sum();
            let total_od: Decimal = od_h.iter().copied().sum();
            let ri_saving: Decimal = advice.opportunities.iter().map(|o| o.monthly_saving).sum();
            if monthly_saving > Decimal::ZERO && ri_saving > Decimal::ZERO {
                // Both would cover the same usage: the plan is an alternative, not an addition.
                advice.notes.push(format!(
                    "alternatively to the reserved instances, a ${}/hour Compute Savings Plan (1yr, no upfront) would save ${} a month on the same usage (not added to the total)",
                    c.round_dp(3),
                    monthly_saving.round_dp(2)
                ));
            } else if monthly_saving > Decimal::ZERO {
                advice.opportunities.push(Opportunity::new(
                    Kind::SavingsPlan,
                    "EC2 fleet",
                    "global",
                    format!("Buy a ${}/hour Compute Savings Plan (1yr, no upfront)", c.round_dp(3)),
                    od_monthly,
                    od_monthly - monthly_saving,
                    format!(
                        "utilization {}%, coverage {}% of eligible on-demand spend, break-even month 1 (no upfront); sized on {} hours, cross-checked on the last {} (the lower kept)",
                        (used / (c * window) * Decimal::ONE_HUNDRED).round_dp(1),
                        if total_od.is_zero() { Decimal::ZERO } else { (covered_od / total_od * Decimal::ONE_HUNDRED).round_dp(1) },
                        hours.len(),
                        RECENT_HOURS.min(hours.len())
                    ),
                ));
            }
        }
    } else if !ec2_hours.is_empty() {
        advice.notes.push("savings plans: the catalog holds no Compute Savings Plans rate for these instance types (import the Savings Plans offer file with `cloudcost pricing import`)".into());
    }
    advice
        .opportunities
        .sort_by_key(|o| std::cmp::Reverse(o.monthly_saving));
    advice
}

/// The hourly commitment with the best net saving: candidates are the hourly spend at plan
/// rates at every 5th percentile of the hours.
fn best_commitment(od: &[Decimal], sp: &[Decimal]) -> Decimal {
    let mut levels: Vec<Decimal> = sp.iter().copied().filter(|x| *x > Decimal::ZERO).collect();
    levels.sort();
    let mut best = (Decimal::ZERO, Decimal::ZERO);
    for p in 0..=20 {
        let Some(c) = levels
            .get((levels.len().saturating_sub(1)) * p / 20)
            .copied()
        else {
            break;
        };
        let (saving, _) = evaluate_sp(od, sp, c);
        if saving > best.1 {
            best = (c, saving);
        }
    }
    best.0
}

/// Net saving of a commitment of `c` per hour, and the commitment used: each hour the plan
/// covers the share of the usage its commitment pays for at plan rates.
fn evaluate_sp(od: &[Decimal], sp: &[Decimal], c: Decimal) -> (Decimal, Decimal) {
    let (mut saving, mut used) = (Decimal::ZERO, Decimal::ZERO);
    for (o, s) in od.iter().zip(sp) {
        let share = if s.is_zero() {
            Decimal::ZERO
        } else {
            (c / *s).min(Decimal::ONE)
        };
        saving += *o * share - c;
        used += *s * share;
    }
    (saving, used)
}

/// The other standard RI terms and payments for `k` reserved `t` (each `nf` units) over the
/// hours: each one's monthly saving and break-even month, where the catalog has its price.
fn alternatives(
    catalog: &Catalog,
    region: &str,
    t: &crate::catalog::InstanceType,
    nf: Decimal,
    k: u64,
    series: &[Hourly],
    chosen: Payment,
) -> Vec<String> {
    let month = super::month_hours();
    let window = Decimal::from(series.len() as u64);
    let kd = Decimal::from(k);
    let mut out = Vec::new();
    for term in [Term::OneYear, Term::ThreeYear] {
        for pay in Payment::ALL {
            if term == Term::OneYear && *pay == chosen {
                continue;
            }
            let model = Ec2Model::Reserved(term, Offering::Standard, *pay);
            let Ok(p) = catalog.ec2_price(region, &t.name, Os::Linux, model) else {
                continue;
            };
            let fee = p.effective_hourly();
            let (saving, ..) = evaluate(series, nf, fee, k);
            let monthly_saving = saving * month / window;
            let avoided = monthly_saving + fee * kd * month;
            let even = term
                .break_even_month(p.upfront * kd, p.hourly * kd * month, avoided)
                .map_or_else(|| "never".to_string(), |m| format!("month {m}"));
            out.push(format!(
                "{term} {pay} saves ${} a month (upfront ${}, break-even {even})",
                monthly_saving.round_dp(2),
                (p.upfront * kd).round_dp(2)
            ));
        }
    }
    out
}

/// The RI count with the best net saving over the hours.
fn best_count(series: &[Hourly], nf: Decimal, fee: Decimal) -> u64 {
    let max_units = series.iter().map(|h| h.units).max().unwrap_or_default();
    let max_k = (max_units / nf)
        .ceil()
        .to_string()
        .parse::<u64>()
        .unwrap_or(0)
        .min(10_000);
    let mut best = (0u64, Decimal::ZERO);
    for k in 1..=max_k {
        let (saving, ..) = evaluate(series, nf, fee, k);
        if saving > best.1 {
            best = (k, saving);
        }
    }
    best.0
}

/// Net saving of `k` RIs of `nf` units at `fee` per RI-hour, with units used, covered and total.
fn evaluate(
    series: &[Hourly],
    nf: Decimal,
    fee: Decimal,
    k: u64,
) -> (Decimal, Decimal, Decimal, Decimal) {
    let capacity = nf * Decimal::from(k);
    let (mut saving, mut used, mut total) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for h in series {
        let covered = h.units.min(capacity);
        let avoided = if h.units.is_zero() {
            Decimal::ZERO
        } else {
            h.od * covered / h.units
        };
        saving += avoided - fee * Decimal::from(k);
        used += covered;
        total += h.units;
    }
    (saving, used, used, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn flat(units: &[u32], od_per_unit: Decimal) -> Vec<Hourly> {
        units
            .iter()
            .map(|u| Hourly {
                units: Decimal::from(*u),
                od: Decimal::from(*u) * od_per_unit,
            })
            .collect()
    }

    #[test]
    fn a_steady_fleet_is_covered_to_its_floor() {
        // 8 units (two m5.large) every hour, one 16-unit peak: two RIs at 0.06/h (4 units each,
        // on-demand 0.096 per 4 units): covering the floor saves, the peak does not pay.
        let mut u = vec![8u32; 100];
        u[50] = 16;
        let s = flat(&u, dec!(0.024));
        assert_eq!(best_count(&s, dec!(4), dec!(0.06)), 2);
    }

    #[test]
    fn a_spiky_fleet_is_committed_to_its_floor_not_its_peaks() {
        // 8 units all day, 40 units for 4 hours every night (a batch fleet), for 14 days. An RI
        // pays for itself only when used over 62.5 % of hours (0.06 / 0.096): the nightly peak's
        // 17 % does not; the floor's 100 % does.
        let u: Vec<u32> = (0..14 * 24)
            .map(|h| if h % 24 < 4 { 40 } else { 8 })
            .collect();
        let s = flat(&u, dec!(0.024));
        assert_eq!(best_count(&s, dec!(4), dec!(0.06)), 2);
    }

    #[test]
    fn a_shrinking_fleet_is_not_over_committed() {
        // 40 units for most of the window, then 8: the recent window wants fewer.
        let mut u = vec![40u32; 200];
        for x in u.iter_mut().skip(200 - RECENT_HOURS) {
            *x = 8;
        }
        let s = flat(&u, dec!(0.024));
        let all = best_count(&s, dec!(4), dec!(0.06));
        let recent = best_count(&s[s.len() - RECENT_HOURS..], dec!(4), dec!(0.06));
        assert!(all > recent, "{all} vs {recent}");
        assert_eq!(recent, 2);
    }

    #[test]
    fn a_savings_plan_is_sized_to_the_steady_spend() {
        // Spend at plan rates 1.0 every hour (on-demand 1.5), one hour at 3.0 (on-demand 4.5).
        let mut sp = vec![dec!(1.0); 50];
        let mut od = vec![dec!(1.5); 50];
        sp[10] = dec!(3.0);
        od[10] = dec!(4.5);
        assert_eq!(best_commitment(&od, &sp), dec!(1.0));
        let (saving, used) = evaluate_sp(&od, &sp, dec!(1.0));
        assert_eq!(saving, dec!(0.5) * dec!(49) + dec!(1.5) - dec!(1.0));
        assert_eq!(used, dec!(50));
    }

    #[test]
    fn no_saving_no_commitment() {
        let s = flat(&[4, 0, 0, 0, 0, 0, 0, 0], dec!(0.024));
        assert_eq!(best_count(&s, dec!(4), dec!(0.06)), 0);
    }

    /// Two m5.xlarge run every hour of a day; one is right-sized to m5.large and the other is
    /// stopped: the hours left are one m5.large's, and nothing else moves.
    #[test]
    fn the_hours_after_changes_follow_the_fleet() {
        use crate::usage::{Ec2Hour, ResourceDay, UsageKey};
        use std::sync::Arc;
        let key = Arc::new(UsageKey {
            service: "ec2".into(),
            usage_type: "instance-seconds".into(),
            region: "us-east-1".into(),
            attr: "m5.xlarge".into(),
            os: Os::Linux,
            spot: false,
            az: "".into(),
        });
        let day = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let start = day.and_hms_opt(0, 0, 0).unwrap().and_utc();
        let mut usage = UsageRead::default();
        for h in 0..24 {
            usage.ec2_hours.push(Ec2Hour {
                hour: start + Duration::hours(h),
                resource_id: Default::default(),
                key: key.clone(),
                seconds: dec!(7200),
            });
        }
        for id in ["i-a", "i-b", "i-c"] {
            usage.days.push(ResourceDay {
                day,
                resource_id: id.into(),
                key: key.clone(),
                quantity: dec!(86400),
                billable: dec!(86400),
                rows: 24,
            });
        }
        let changes: BTreeMap<String, InstanceChange> = [
            ("i-a".to_string(), InstanceChange::resize("m5.large")),
            ("i-b".to_string(), InstanceChange::stop()),
        ]
        .into();
        let after = hours_after_changes(&usage, &changes);
        assert_eq!(after.len(), 24, "{after:#?}");
        assert!(
            after
                .iter()
                .all(|h| h.key.attr == "m5.large" && h.seconds == dec!(3600))
        );
        assert!(hours_after_changes(&usage, &BTreeMap::new()) == usage.ec2_hours);
    }

    /// The month a purchase breaks even: when the on-demand cost it takes away has paid its
    /// upfront fee and its monthly fees; after the term, never.
    #[test]
    fn break_even_is_the_month_the_cumulative_saving_covers_the_upfront() {
        // m5.large 1yr all-upfront at $494 (no recurring fee) against $70.08 a month on demand.
        assert_eq!(
            Term::OneYear.break_even_month(dec!(494), dec!(0), dec!(70.08)),
            Some(8)
        );
        assert_eq!(
            Term::OneYear.break_even_month(dec!(0), dec!(43.8), dec!(70.08)),
            Some(1)
        );
        assert_eq!(
            Term::OneYear.break_even_month(dec!(1000), dec!(0), dec!(70.08)),
            None
        );
        assert_eq!(
            Term::ThreeYear.break_even_month(dec!(1000), dec!(0), dec!(70.08)),
            Some(15)
        );
    }
}
