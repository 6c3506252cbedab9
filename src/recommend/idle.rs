//! Idle instances, by Trusted Advisor's published "Low Utilization Amazon EC2 Instances" check:
//! daily CPU utilization at most 10 % and network I/O at most 5 MB on at least 4 of the last 14
//! days.
//!
//! How the rule reads the hourly samples:
//! - a day is a UTC calendar day; the last 14 days are the 14 calendar days ending on the day of
//!   the newest sample (days without samples do not count, and a shorter series has fewer days);
//! - daily CPU is the mean of the day's hourly `cpu_avg_pct`;
//! - daily network is the sum of the day's `net_in_bytes + net_out_bytes`, with 5 MB read as
//!   5,000,000 bytes (decimal megabytes, as AWS writes MB);
//! - a day with no CPU or no network measurement does not qualify: without network data an
//!   instance is never called idle (a false "idle" invites someone to stop a working server).

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeDelta};

use crate::metrics::InstanceSeries;

use super::stats::{net_bytes, pct};

/// Daily CPU utilization at or below this percent is low.
pub const IDLE_CPU_PCT: f64 = 10.0;
/// Daily network I/O (in + out) at or below this many bytes is low (5 MB).
pub const IDLE_NET_BYTES: f64 = 5_000_000.0;
/// Days looked at, ending on the newest sample's day.
pub const IDLE_WINDOW_DAYS: u32 = 14;
/// Low days needed to call the instance idle.
pub const IDLE_MIN_DAYS: usize = 4;

/// True when the instance is idle by Trusted Advisor's rule: at least [`IDLE_MIN_DAYS`] of the
/// last [`IDLE_WINDOW_DAYS`] days had daily CPU ≤ [`IDLE_CPU_PCT`] % and network (in + out)
/// ≤ [`IDLE_NET_BYTES`] bytes. See the module notes for how days and gaps are read.
pub fn low_utilization(series: &InstanceSeries) -> bool {
    low_utilization_days(series) >= IDLE_MIN_DAYS
}

/// How many of the last [`IDLE_WINDOW_DAYS`] days were low-utilization days (for reports:
/// "low on 9 of the last 14 days").
pub fn low_utilization_days(series: &InstanceSeries) -> usize {
    let Some(last) = series.samples.iter().map(|s| s.hour.date_naive()).max() else {
        return 0;
    };
    let first: Option<NaiveDate> = TimeDelta::try_days(i64::from(IDLE_WINDOW_DAYS) - 1)
        .and_then(|d| last.checked_sub_signed(d));
    #[derive(Default)]
    struct Day {
        cpu_sum: f64,
        cpu_n: u32,
        net_sum: f64,
        net_n: u32,
    }
    let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    for s in &series.samples {
        let date = s.hour.date_naive();
        if first.is_some_and(|f| date < f) {
            continue;
        }
        let day = days.entry(date).or_default();
        if let Some(c) = pct(s.cpu_avg_pct) {
            day.cpu_sum += c;
            day.cpu_n += 1;
        }
        if let Some(n) = net_bytes(s) {
            day.net_sum += n;
            day.net_n += 1;
        }
    }
    days.values()
        .filter(|d| {
            d.cpu_n > 0
                && d.net_n > 0
                && d.cpu_sum / f64::from(d.cpu_n) <= IDLE_CPU_PCT
                && d.net_sum <= IDLE_NET_BYTES
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::test_support::{hours, sample, series};

    fn quiet(h: usize) -> crate::metrics::HourSample {
        let mut s = sample(h, 4.0, 2.0);
        s.net_in_bytes = Some(100_000.0);
        s.net_out_bytes = Some(50_000.0);
        s
    }

    #[test]
    fn an_idle_box_is_idle() {
        let s = series("m5.large", hours(14 * 24, quiet));
        assert_eq!(low_utilization_days(&s), 14);
        assert!(low_utilization(&s));
    }

    #[test]
    fn a_busy_box_is_not() {
        let s = series("m5.large", hours(14 * 24, |h| sample(h, 40.0, 25.0)));
        assert_eq!(low_utilization_days(&s), 0);
        assert!(!low_utilization(&s));
    }

    #[test]
    fn low_cpu_with_traffic_is_not_idle() {
        // 150 KB an hour is 3.6 MB a day (low); 300 KB an hour is 7.2 MB (not low).
        let s = series(
            "m5.large",
            hours(14 * 24, |h| {
                let mut s = quiet(h);
                s.net_out_bytes = Some(150_000.0);
                s
            }),
        );
        assert!(!low_utilization(&s));
    }

    #[test]
    fn four_of_fourteen_days_is_enough_and_three_is_not() {
        let with_quiet_days = |n: usize| {
            series(
                "m5.large",
                hours(14 * 24, |h| {
                    if h / 24 < n {
                        quiet(h)
                    } else {
                        sample(h, 50.0, 30.0)
                    }
                }),
            )
        };
        assert!(low_utilization(&with_quiet_days(4)));
        assert!(!low_utilization(&with_quiet_days(3)));
    }

    #[test]
    fn only_the_last_fourteen_days_count() {
        // 10 quiet days, then 14 busy days: the quiet days are out of the window.
        let s = series(
            "m5.large",
            hours(24 * 24, |h| {
                if h / 24 < 10 {
                    quiet(h)
                } else {
                    sample(h, 50.0, 30.0)
                }
            }),
        );
        assert_eq!(low_utilization_days(&s), 0);
    }

    #[test]
    fn no_network_data_is_never_idle() {
        let s = series(
            "m5.large",
            hours(14 * 24, |h| {
                let mut s = quiet(h);
                s.net_in_bytes = None;
                s.net_out_bytes = None;
                s
            }),
        );
        assert!(!low_utilization(&s));
        assert!(!low_utilization(&series("m5.large", vec![])));
    }
}
