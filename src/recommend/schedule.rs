//! Off-hours schedules (elasticity): an instance whose load follows a weekly pattern with long
//! quiet stretches (nights, weekends) can be stopped outside its working hours, as AWS Instance
//! Scheduler does with a schedule a person writes. Here the schedule comes from the metrics.
//!
//! # Method
//!
//! - **Quiet hour.** The idle test right-sizing uses (Trusted Advisor's, [`super::idle`]), read
//!   per hour: average CPU at most [`IDLE_CPU_PCT`] % and network (in + out) at most
//!   [`IDLE_NET_BYTES`] ÷ 24 bytes. An hour without a network measurement is busy: nothing is
//!   stopped on a guess.
//! - **Local time.** Hours are read in the user's time zone (`--timezone`, UTC by default): a
//!   date, a weekday and an hour of the day.
//! - **Working weekdays.** A weekday works when most of its dates (more than half) had a busy
//!   hour. A date of a working weekday with no busy hour at all (a holiday) is set aside, not
//!   read as a change of pattern.
//! - **Hours.** On a working weekday, an hour runs when it was busy on more than half of the
//!   weekday's working dates; the day's schedule runs from its first such hour to the end of its
//!   last (one start and one stop a day). Other weekdays are off.
//! - **Breaks.** A date with a busy hour outside the schedule broke it. One break is allowed per
//!   two weeks observed (one busy night does not undo a pattern); more and there is no schedule.
//! - **Enough.** At least [`MIN_DAYS`] days of data (two weeks; the pattern is read from the
//!   whole local dates among them), running at least four hours of five (else it already
//!   stops), and at least [`MIN_OFF_HOURS_PER_WEEK`] hours a week off.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

use crate::metrics::InstanceSeries;

use super::idle::{IDLE_CPU_PCT, IDLE_NET_BYTES};
use super::stats;

/// Days of hourly data a schedule needs: two weeks.
pub const MIN_DAYS: usize = 14;
/// A schedule saves at least this many hours a week, or it is not worth a stop and a start.
pub const MIN_OFF_HOURS_PER_WEEK: u32 = 24;
/// A date counts as observed with at least this many hours of data.
const MIN_HOURS_A_DAY: usize = 20;

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A weekly stop/start schedule in a time zone.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// The time zone the hours are in.
    pub timezone: Tz,
    /// Per weekday, Monday first: the local hours it runs, `[start, end)`, or `None` (off).
    pub days: [Option<(u32, u32)>; 7],
    /// Dates with enough hourly data.
    pub days_observed: usize,
    /// Dates with a busy hour outside the schedule.
    pub broken: Vec<NaiveDate>,
    /// Dates of working weekdays without any busy hour (holidays), set aside.
    pub quiet_dates: Vec<NaiveDate>,
}

impl Schedule {
    /// Hours a week the instance runs.
    pub fn on_hours_per_week(&self) -> u32 {
        self.days.iter().flatten().map(|(s, e)| e - s).sum()
    }

    /// Hours a week it is stopped.
    pub fn off_hours_per_week(&self) -> u32 {
        168 - self.on_hours_per_week()
    }

    /// Whether the schedule runs the instance in the hour starting at `hour`.
    pub fn runs_at(&self, hour: DateTime<Utc>) -> bool {
        let local = hour.with_timezone(&self.timezone);
        let wd = local.weekday().num_days_from_monday() as usize;
        self.days[wd].is_some_and(|(s, e)| (s..e).contains(&local.hour()))
    }

    /// `Mon-Fri 08:00-19:00 Asia/Seoul`: consecutive weekdays with the same hours grouped.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let mut i = 0;
        while i < 7 {
            let Some((s, e)) = self.days[i] else {
                i += 1;
                continue;
            };
            let mut j = i;
            while j + 1 < 7 && self.days[j + 1] == Some((s, e)) {
                j += 1;
            }
            let days = if i == j {
                WEEKDAYS[i].to_string()
            } else {
                format!("{}-{}", WEEKDAYS[i], WEEKDAYS[j])
            };
            parts.push(format!("{days} {s:02}:00-{e:02}:00"));
            i = j + 1;
        }
        format!("{} {}", parts.join(", "), self.timezone.name())
    }

    /// How sure the pattern is: "3 weeks observed, no break" or "2 weeks observed, 1 date broke
    /// it (2026-11-18); 5 quiet weekdays set aside (holidays?)".
    pub fn confidence(&self) -> String {
        let weeks = self.days_observed / 7;
        let mut s = format!("{weeks} week{} observed", if weeks == 1 { "" } else { "s" });
        if self.broken.is_empty() {
            s.push_str(", never broken");
        } else {
            s.push_str(&format!(
                ", {} date{} broke it ({})",
                self.broken.len(),
                if self.broken.len() == 1 { "" } else { "s" },
                dates(&self.broken)
            ));
        }
        if !self.quiet_dates.is_empty() {
            s.push_str(&format!(
                "; {} quiet working day{} set aside as holidays ({})",
                self.quiet_dates.len(),
                if self.quiet_dates.len() == 1 { "" } else { "s" },
                dates(&self.quiet_dates)
            ));
        }
        s
    }
}

fn dates(d: &[NaiveDate]) -> String {
    const SHOWN: usize = 5;
    let mut s = d
        .iter()
        .take(SHOWN)
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if d.len() > SHOWN {
        s.push_str(&format!(" and {} more", d.len() - SHOWN));
    }
    s
}

/// Why an instance gets no schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NoSchedule {
    /// Fewer than [`MIN_DAYS`] days of data.
    TooFewDays(usize),
    /// It ran fewer than four hours of five: it already stops.
    NotAlwaysOn,
    /// No hour has a network measurement.
    NoNetwork,
    /// No hour was busy: idle, a case for stopping, not scheduling.
    NeverBusy,
    /// No weekday was busy on most of its dates.
    NoWorkingDay,
    /// Fewer than [`MIN_OFF_HOURS_PER_WEEK`] hours a week would be off (0: around the clock).
    TooFewOffHours(u32),
    /// More dates broke the pattern than allowed.
    Irregular {
        /// Dates with busy hours outside the schedule.
        broken: usize,
        /// Breaks allowed.
        allowed: usize,
        /// Dates observed.
        days: usize,
    },
}

impl fmt::Display for NoSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoSchedule::TooFewDays(d) => write!(
                f,
                "{d} days of hourly data; a schedule needs at least {MIN_DAYS} (every weekday twice)"
            ),
            NoSchedule::NotAlwaysOn => {
                f.write_str("it already stops: it ran fewer than four hours of five")
            }
            NoSchedule::NoNetwork => f.write_str(
                "network not measured: an hour is quiet only when CPU and network both are",
            ),
            NoSchedule::NeverBusy => {
                f.write_str("no busy hour at all: a case for stopping it, not for a schedule")
            }
            NoSchedule::NoWorkingDay => {
                f.write_str("no weekday was busy on most of its dates: no weekly pattern")
            }
            NoSchedule::TooFewOffHours(0) => f.write_str("busy around the clock"),
            NoSchedule::TooFewOffHours(h) => write!(
                f,
                "only {h} quiet hours a week; a schedule needs at least {MIN_OFF_HOURS_PER_WEEK}"
            ),
            NoSchedule::Irregular {
                broken,
                allowed,
                days,
            } => write!(
                f,
                "busy outside its usual hours on {broken} of {days} days (at most {allowed} allowed): no steady weekly pattern"
            ),
        }
    }
}

/// Whether an hour is quiet by the idle rule read per hour; `None` when a figure is missing.
fn quiet(s: &crate::metrics::HourSample) -> Option<bool> {
    let cpu = stats::pct(s.cpu_avg_pct)?;
    let net = stats::net_bytes(s)?;
    Some(cpu <= IDLE_CPU_PCT && net <= IDLE_NET_BYTES / 24.0)
}

#[derive(Default)]
struct Day {
    weekday: usize,
    seen: usize,
    busy: [bool; 24],
}

impl Day {
    fn any_busy(&self) -> bool {
        self.busy.iter().any(|b| *b)
    }
}

/// The schedule the last `lookback_days` days of `series` follow, in `tz`; see the module notes.
pub fn find_schedule(
    series: &InstanceSeries,
    lookback_days: u32,
    tz: Tz,
) -> Result<Schedule, NoSchedule> {
    let window = stats::window(&series.samples, lookback_days);
    // The span the data covers, in hours: two weeks of it are needed, whatever the time zone
    // (a 14-day lookback holds 13 whole local dates east or west of UTC).
    let span = match (window.first(), window.last()) {
        (Some(a), Some(b)) => (b.hour - a.hour).num_hours() + 1,
        _ => 0,
    };
    // An instance that ran fewer than four hours of five already stops.
    if (window.len() as i64) * 5 < span * 4 {
        return Err(NoSchedule::NotAlwaysOn);
    }
    if span < MIN_DAYS as i64 * 24 {
        return Err(NoSchedule::TooFewDays((span / 24) as usize));
    }
    let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    let mut measured = false;
    for s in &window {
        let local = s.hour.with_timezone(&tz);
        let day = days.entry(local.date_naive()).or_insert_with(|| Day {
            weekday: local.weekday().num_days_from_monday() as usize,
            ..Day::default()
        });
        day.seen += 1;
        let q = quiet(s);
        measured |= q.is_some();
        if q != Some(true) {
            day.busy[local.hour() as usize] = true;
        }
    }
    // The pattern is read from whole local dates only (the first and last are partial).
    days.retain(|_, d| d.seen >= MIN_HOURS_A_DAY);
    if !measured {
        return Err(NoSchedule::NoNetwork);
    }
    if !days.values().any(Day::any_busy) {
        return Err(NoSchedule::NeverBusy);
    }
    let mut schedule = [None; 7];
    let mut quiet_dates = Vec::new();
    for (wd, slot) in schedule.iter_mut().enumerate() {
        let all: Vec<(&NaiveDate, &Day)> = days.iter().filter(|(_, d)| d.weekday == wd).collect();
        let working: Vec<&Day> = all
            .iter()
            .filter(|(_, d)| d.any_busy())
            .map(|(_, d)| *d)
            .collect();
        if working.len() * 2 <= all.len() {
            continue;
        }
        quiet_dates.extend(all.iter().filter(|(_, d)| !d.any_busy()).map(|(k, _)| **k));
        let runs: Vec<u32> = (0..24u32)
            .filter(|&h| working.iter().filter(|d| d.busy[h as usize]).count() * 2 > working.len())
            .collect();
        if let (Some(first), Some(last)) = (runs.first(), runs.last()) {
            *slot = Some((*first, last + 1));
        }
    }
    if schedule.iter().all(Option::is_none) {
        return Err(NoSchedule::NoWorkingDay);
    }
    let broken: Vec<NaiveDate> = days
        .iter()
        .filter(|(_, d)| {
            (0..24u32).any(|h| {
                d.busy[h as usize] && !schedule[d.weekday].is_some_and(|(s, e)| (s..e).contains(&h))
            })
        })
        .map(|(k, _)| *k)
        .collect();
    quiet_dates.sort();
    let found = Schedule {
        timezone: tz,
        days: schedule,
        days_observed: days.len(),
        broken,
        quiet_dates,
    };
    let off = found.off_hours_per_week();
    if off < MIN_OFF_HOURS_PER_WEEK {
        return Err(NoSchedule::TooFewOffHours(off));
    }
    let allowed = (days.len() / 14).max(1);
    if found.broken.len() > allowed {
        return Err(NoSchedule::Irregular {
            broken: found.broken.len(),
            allowed,
            days: days.len(),
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::HourSample;
    use chrono::{Duration, TimeZone};

    /// `days` days of hours from Monday 2026-11-02 00:00 in `tz`; `busy(date index, weekday,
    /// hour)` in that local time.
    fn series(days: i64, tz: Tz, busy: impl Fn(i64, u32, u32) -> bool) -> InstanceSeries {
        let start = tz
            .with_ymd_and_hms(2026, 11, 2, 0, 0, 0)
            .unwrap()
            .with_timezone(&Utc);
        let samples = (0..days * 24)
            .map(|h| {
                let hour = start + Duration::hours(h);
                let local = hour.with_timezone(&tz);
                let day = (local.date_naive() - start.with_timezone(&tz).date_naive()).num_days();
                let b = busy(day, local.weekday().num_days_from_monday(), local.hour());
                HourSample {
                    hour,
                    cpu_max_pct: if b { 70.0 } else { 3.0 },
                    cpu_avg_pct: if b { 45.0 } else { 1.0 },
                    mem_max_pct: None,
                    net_in_bytes: Some(if b { 5e7 } else { 1e4 }),
                    net_out_bytes: Some(if b { 5e7 } else { 1e4 }),
                    ebs_read_ops: None,
                    ebs_write_ops: None,
                    ebs_read_bytes: None,
                    ebs_write_bytes: None,
                    cpu_credit_balance: None,
                }
            })
            .collect();
        InstanceSeries {
            resource_id: "i-1".into(),
            region: "ap-northeast-2".into(),
            instance_type: "m5.large".into(),
            samples,
        }
    }

    fn office(_: i64, wd: u32, h: u32) -> bool {
        wd < 5 && (8..19).contains(&h)
    }

    const SEOUL: Tz = chrono_tz::Asia::Seoul;

    #[test]
    fn office_hours_in_the_users_time_zone() {
        let s = find_schedule(&series(14, SEOUL, office), 14, SEOUL).unwrap();
        assert_eq!(s.describe(), "Mon-Fri 08:00-19:00 Asia/Seoul");
        assert_eq!(s.on_hours_per_week(), 55);
        assert_eq!(s.off_hours_per_week(), 113);
        assert!(s.broken.is_empty() && s.quiet_dates.is_empty());
        assert_eq!(s.confidence(), "2 weeks observed, never broken");
        // 08:00 in Seoul is 23:00 UTC the day before.
        let monday_8 = Utc.with_ymd_and_hms(2026, 11, 8, 23, 0, 0).unwrap();
        assert!(s.runs_at(monday_8));
        assert!(!s.runs_at(monday_8 - Duration::hours(1)));
    }

    /// Fourteen days of data starting at midnight UTC hold only 13 whole dates in Seoul: still
    /// two weeks of data, and the pattern is found.
    #[test]
    fn two_weeks_of_data_in_another_time_zone() {
        let mut s = series(15, SEOUL, office);
        // From Monday 00:00 UTC (09:00 in Seoul), 14 × 24 hours.
        s.samples.drain(..9);
        s.samples.truncate(14 * 24);
        assert_eq!(
            s.samples[0].hour,
            Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap()
        );
        let found = find_schedule(&s, 14, SEOUL).unwrap();
        assert_eq!(found.days_observed, 13);
        assert_eq!(found.describe(), "Mon-Fri 08:00-19:00 Asia/Seoul");
    }

    #[test]
    fn around_the_clock_gets_none() {
        let e = find_schedule(&series(21, SEOUL, |_, _, _| true), 14, SEOUL).unwrap_err();
        assert_eq!(e, NoSchedule::TooFewOffHours(0));
        assert_eq!(e.to_string(), "busy around the clock");
    }

    #[test]
    fn one_busy_night_is_a_break_two_are_irregular() {
        let one = |d: i64, wd: u32, h: u32| office(d, wd, h) || (d == 2 && h == 2);
        let s = find_schedule(&series(14, SEOUL, one), 14, SEOUL).unwrap();
        assert_eq!(s.describe(), "Mon-Fri 08:00-19:00 Asia/Seoul");
        assert_eq!(s.broken.len(), 1);
        assert!(
            s.confidence().contains("1 date broke it (2026-11-04)"),
            "{}",
            s.confidence()
        );
        let two = |d: i64, wd: u32, h: u32| office(d, wd, h) || ((d == 2 || d == 5) && h == 2);
        let e = find_schedule(&series(14, SEOUL, two), 14, SEOUL).unwrap_err();
        assert!(
            matches!(
                e,
                NoSchedule::Irregular {
                    broken: 2,
                    allowed: 1,
                    days: 14
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn a_holiday_week_is_set_aside() {
        // Three weeks, the second a holiday: the first and third say the hours.
        let holiday = |d: i64, wd: u32, h: u32| !(7..14).contains(&d) && office(d, wd, h);
        let s = find_schedule(&series(21, SEOUL, holiday), 32, SEOUL).unwrap();
        assert_eq!(s.describe(), "Mon-Fri 08:00-19:00 Asia/Seoul");
        assert_eq!(s.quiet_dates.len(), 5);
        assert!(
            s.confidence().contains("5 quiet working days set aside"),
            "{}",
            s.confidence()
        );
    }

    #[test]
    fn too_little_data_or_no_network_says_why() {
        let e = find_schedule(&series(10, SEOUL, office), 14, SEOUL).unwrap_err();
        assert_eq!(e, NoSchedule::TooFewDays(10));
        assert!(e.to_string().contains("10 days of hourly data"), "{e}");
        let mut s = series(14, SEOUL, office);
        for h in &mut s.samples {
            h.net_in_bytes = None;
            h.net_out_bytes = None;
        }
        assert_eq!(
            find_schedule(&s, 14, SEOUL).unwrap_err(),
            NoSchedule::NoNetwork
        );
    }

    #[test]
    fn weekends_and_days_of_their_own() {
        let shop = |_: i64, wd: u32, h: u32| match wd {
            0..5 => (9..18).contains(&h),
            5 => (10..14).contains(&h),
            _ => false,
        };
        let s = find_schedule(&series(14, Tz::UTC, shop), 14, Tz::UTC).unwrap();
        assert_eq!(s.describe(), "Mon-Fri 09:00-18:00, Sat 10:00-14:00 UTC");
    }
}
