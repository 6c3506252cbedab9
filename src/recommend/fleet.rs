//! Fleets that could scale (elasticity): instances of one type and role whose summed load swings
//! over the day run, today, as many instances at the trough as at the peak. An Auto Scaling group
//! with scheduled actions (or target tracking) would run only what each hour needs.
//!
//! # Method
//!
//! - **Members.** Instances of one region, type and operating system (the role: the same load
//!   shape, each member's hourly average CPU correlated at least [`MIN_CORRELATION`] with the
//!   group's mean), at least [`MIN_MEMBERS`] of them.
//! - **Demand.** Each hour the members' CPU maxima are summed (percent of one instance: a sum of
//!   maxima is never below the maximum of the sum). The instances needed that hour are
//!   ⌈demand × (1 + headroom) ÷ 100⌉, never fewer than [`MIN_RUNNING`] (two Availability Zones).
//! - **Weekly pattern.** Per hour of the week (UTC), the most instances any week needed then: a
//!   scaling schedule that covers every week observed.
//! - **Saving.** The instance-hours a week not needed, at the members' hourly price, over a
//!   730-hour month: (members − mean needed per hour of the week) × hours per month × price.

use chrono::{DateTime, Datelike, Timelike, Utc};

use crate::metrics::InstanceSeries;

use super::stats;

/// A fleet has at least this many members.
pub const MIN_MEMBERS: usize = 3;
/// A scaled fleet keeps at least this many running (one per Availability Zone of two).
pub const MIN_RUNNING: usize = 2;
/// Members share a load shape: each one's hourly average CPU correlates at least this much with
/// the group's mean.
pub const MIN_CORRELATION: f64 = 0.7;
/// A fleet is proposed only when it saves at least this share of its instance-hours.
pub const MIN_SAVED_SHARE: f64 = 0.1;

/// A fleet that could follow its load.
#[derive(Clone, Debug, PartialEq)]
pub struct ScalingFleet {
    /// The members, by id.
    pub members: Vec<String>,
    /// Per hour of the week (UTC, Monday 00:00 first): the instances needed.
    pub needed: Vec<usize>,
    /// Weeks the pattern covers (whole or partial).
    pub weeks_observed: usize,
}

impl ScalingFleet {
    /// Instance-hours a week needed.
    pub fn needed_hours_per_week(&self) -> usize {
        self.needed.iter().sum()
    }

    /// The fewest and the most instances needed in an hour.
    pub fn range(&self) -> (usize, usize) {
        let min = self.needed.iter().copied().min().unwrap_or(0);
        let max = self.needed.iter().copied().max().unwrap_or(0);
        (min, max)
    }

    /// Whether member `k` (its place in [`Self::members`]) runs in the hour starting at `hour`:
    /// the first members run, the last are the first stopped.
    pub fn member_runs_at(&self, k: usize, hour: DateTime<Utc>) -> bool {
        let slot = hour.weekday().num_days_from_monday() as usize * 24 + hour.hour() as usize;
        self.needed.get(slot).is_none_or(|n| k < *n)
    }
}

fn correlation(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len().min(b.len());
    if n < 2 {
        return None;
    }
    let (a, b) = (&a[..n], &b[..n]);
    let ma = a.iter().sum::<f64>() / n as f64;
    let mb = b.iter().sum::<f64>() / n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

/// The scaling fleet `members` (instances of one region, type and OS) would make over the last
/// `lookback_days` days with `headroom_pct` headroom, or `None` when they are too few, do not
/// share a load shape, or would save too little.
pub fn find_fleet(
    members: &[&InstanceSeries],
    lookback_days: u32,
    headroom_pct: u32,
) -> Option<ScalingFleet> {
    use std::collections::BTreeMap;
    if members.len() < MIN_MEMBERS {
        return None;
    }
    // Hours every member measured, in order.
    let windows: Vec<BTreeMap<DateTime<Utc>, (f64, f64)>> = members
        .iter()
        .map(|s| {
            stats::window(&s.samples, lookback_days)
                .into_iter()
                .filter_map(|h| {
                    let max = stats::pct(h.cpu_max_pct)?;
                    let avg = stats::pct(h.cpu_avg_pct).unwrap_or(max);
                    Some((h.hour, (max, avg)))
                })
                .collect()
        })
        .collect();
    let hours: Vec<DateTime<Utc>> = windows[0]
        .keys()
        .filter(|h| windows.iter().all(|w| w.contains_key(h)))
        .copied()
        .collect();
    if hours.len() < 7 * 24 {
        return None;
    }
    let avg: Vec<Vec<f64>> = windows
        .iter()
        .map(|w| hours.iter().map(|h| w[h].1).collect())
        .collect();
    let mean: Vec<f64> = (0..hours.len())
        .map(|i| avg.iter().map(|a| a[i]).sum::<f64>() / avg.len() as f64)
        .collect();
    if !avg
        .iter()
        .all(|a| correlation(a, &mean).is_some_and(|c| c >= MIN_CORRELATION))
    {
        return None;
    }
    let factor = 1.0 + f64::from(headroom_pct) / 100.0;
    let mut needed = vec![0usize; 168];
    let mut weeks = std::collections::BTreeSet::new();
    for h in &hours {
        let demand: f64 = windows.iter().map(|w| w[h].0).sum();
        let n = ((demand * factor / 100.0).ceil() as usize).clamp(MIN_RUNNING, members.len());
        let slot = h.weekday().num_days_from_monday() as usize * 24 + h.hour() as usize;
        needed[slot] = needed[slot].max(n);
        weeks.insert(h.iso_week());
    }
    // An hour of the week never observed runs everything.
    let observed: std::collections::BTreeSet<usize> = hours
        .iter()
        .map(|h| h.weekday().num_days_from_monday() as usize * 24 + h.hour() as usize)
        .collect();
    for (slot, n) in needed.iter_mut().enumerate() {
        if !observed.contains(&slot) {
            *n = members.len();
        }
    }
    let fleet = ScalingFleet {
        members: members.iter().map(|s| s.resource_id.clone()).collect(),
        needed,
        weeks_observed: weeks.len(),
    };
    let full = members.len() * 168;
    let saved = full - fleet.needed_hours_per_week();
    (saved as f64 >= MIN_SAVED_SHARE * full as f64).then_some(fleet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::HourSample;
    use chrono::{Duration, TimeZone};

    fn member(id: &str, days: i64, load: impl Fn(u32) -> f64) -> InstanceSeries {
        let start = Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap();
        InstanceSeries {
            resource_id: id.into(),
            region: "us-east-1".into(),
            instance_type: "m5.large".into(),
            samples: (0..days * 24)
                .map(|h| {
                    let hour = start + Duration::hours(h);
                    let cpu = load(hour.hour());
                    HourSample {
                        hour,
                        cpu_max_pct: cpu,
                        cpu_avg_pct: cpu * 0.8,
                        mem_max_pct: None,
                        net_in_bytes: Some(1e8),
                        net_out_bytes: Some(1e8),
                        ebs_read_ops: None,
                        ebs_write_ops: None,
                        ebs_read_bytes: None,
                        ebs_write_bytes: None,
                        cpu_credit_balance: None,
                    }
                })
                .collect(),
        }
    }

    /// 70 % from 12:00 to 18:00 UTC, 10 % otherwise.
    fn swing(h: u32) -> f64 {
        if (12..18).contains(&h) { 70.0 } else { 10.0 }
    }

    #[test]
    fn a_daily_swing_needs_fewer_at_night() {
        let fleet: Vec<InstanceSeries> = (0..6)
            .map(|i| member(&format!("i-{i}"), 14, swing))
            .collect();
        let refs: Vec<&InstanceSeries> = fleet.iter().collect();
        let f = find_fleet(&refs, 14, 20).unwrap();
        // Peak: 6 × 70 % × 1.2 = 504 % → 6 instances; night: 6 × 10 % × 1.2 = 72 % → 1, kept at 2.
        assert_eq!(f.range(), (2, 6));
        assert_eq!(f.needed_hours_per_week(), 7 * (6 * 6 + 18 * 2));
        assert_eq!(f.weeks_observed, 2);
        let noon = Utc.with_ymd_and_hms(2026, 11, 16, 12, 0, 0).unwrap();
        assert!(f.member_runs_at(5, noon) && !f.member_runs_at(2, noon - Duration::hours(1)));
    }

    #[test]
    fn flat_load_unlike_shapes_or_too_few_members_make_no_fleet() {
        let flat: Vec<InstanceSeries> = (0..6)
            .map(|i| member(&format!("i-{i}"), 14, |_| 60.0))
            .collect();
        assert!(find_fleet(&flat.iter().collect::<Vec<_>>(), 14, 20).is_none());
        let mut mixed: Vec<InstanceSeries> = (0..5)
            .map(|i| member(&format!("i-{i}"), 14, swing))
            .collect();
        mixed.push(member("i-night", 14, |h| {
            if (12..18).contains(&h) { 5.0 } else { 60.0 }
        }));
        assert!(find_fleet(&mixed.iter().collect::<Vec<_>>(), 14, 20).is_none());
        let two: Vec<InstanceSeries> = (0..2)
            .map(|i| member(&format!("i-{i}"), 14, swing))
            .collect();
        assert!(find_fleet(&two.iter().collect::<Vec<_>>(), 14, 20).is_none());
    }
}
