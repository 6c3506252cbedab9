//! Month-end forecasts of daily cost: the month-to-date actual plus the expected cost of the days
//! left, with a P10–P90 band. Pure Rust over `Decimal`: no floats touch the amounts.
//!
//! # The model
//!
//! - **Expected day.** The trailing window is the last 28 days of history (fewer when the history
//!   is shorter). Its mean is scaled, for each weekday, by that weekday's ratio to the mean: the
//!   expected cost of a future Tuesday is the mean of the window's Tuesdays. A weekday the window
//!   lacks is expected at the overall mean. A day missing inside the history counts as a day that
//!   cost nothing (a bill has no rows for a day nothing was billed).
//! - **Point forecast.** Month-to-date actual + the expected cost of every remaining day of the
//!   month. A steady or weekly-periodic series is forecast exactly.
//! - **Band.** The residuals are out of sample: each day of history that has at least
//!   [`MIN_FIT_DAYS`] days before it is predicted by the same model fitted on the days before it,
//!   and `actual − predicted` is kept. The band is a deterministic moving-block bootstrap of
//!   those residuals: [`SIMULATIONS`] futures each add residuals, taken in blocks of up to 7
//!   consecutive days (so a level shift that persists for days widens the band as it should), to
//!   the expected cost of the remaining days (a simulated day never costs less than zero); P10
//!   and P90 are the empirical quantiles of the simulated month totals. The generator has a fixed
//!   seed, so the same history always gives the same band. The band is widened if needed so
//!   that P10 ≤ forecast ≤ P90.
//! - **Too little data.** Under [`MIN_DAYS`] days of history the forecast does not guess:
//!   `insufficient_data` is set and the forecast and both ends of the band are the month-to-date
//!   actual.
//!
//! The model has no trend: a growing fleet is under-forecast by the growth over the days left.
//!
//! ```
//! use std::collections::BTreeMap;
//! use chrono::NaiveDate;
//! use rust_decimal::Decimal;
//! use cloudcost::forecast::forecast_month;
//!
//! let daily: BTreeMap<NaiveDate, Decimal> = (1..=20)
//!     .map(|d| (NaiveDate::from_ymd_opt(2026, 10, d).unwrap(), Decimal::from(50)))
//!     .collect();
//! let f = forecast_month(&daily, NaiveDate::from_ymd_opt(2026, 10, 31).unwrap());
//! assert_eq!(f.month_to_date, Decimal::from(1000));
//! assert_eq!(f.forecast, Decimal::from(1550));
//! assert!(!f.insufficient_data);
//! ```

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde::Serialize;

/// Days of history below which no forecast is made.
pub const MIN_DAYS: u32 = 7;

/// Days in the trailing window the expected day is taken from.
pub const WINDOW_DAYS: usize = 28;

/// Days of history a model needs before it predicts a day (for the out-of-sample residuals).
pub const MIN_FIT_DAYS: usize = 3;

/// Simulated futures behind the P10–P90 band.
pub const SIMULATIONS: usize = 2000;

/// Longest block of consecutive residuals the bootstrap draws.
const BLOCK_DAYS: usize = 7;

/// The bootstrap's fixed seed: the same history gives the same band.
const SEED: u64 = 0x00C0_57F0_CA57;

/// Decimal places kept in the expected daily costs.
const DP: u32 = 6;

/// A month-end forecast.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Forecast {
    /// Actual cost from the first of the month to the last day of data (within the month).
    pub month_to_date: Decimal,
    /// Month-to-date actual + the expected cost of the days left.
    pub forecast: Decimal,
    /// 10th percentile of the month total.
    pub p10: Decimal,
    /// 90th percentile of the month total.
    pub p90: Decimal,
    /// Days of history up to the last day of data, counted from the first day of data.
    pub days_of_data: u32,
    /// Fewer than [`MIN_DAYS`] days of history: the forecast and band are the month-to-date
    /// actual, not a guess.
    pub insufficient_data: bool,
    /// The expected cost of each remaining day of the month, in order (empty when the month is
    /// over or the data insufficient).
    pub daily_expected: Vec<(NaiveDate, Decimal)>,
}

/// The first day of `day`'s month.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The last day of `day`'s month.
pub fn month_end(day: NaiveDate) -> NaiveDate {
    let first = month_start(day);
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(day)
}

/// Daily costs as a forecast sees them: what accrues day by day, and the charges a billing file
/// bills once for a period (a month's tax, a reservation's monthly fee, dated on the period's
/// first day). Those are counted in their month as they are, never extrapolated: fitted as a
/// day's cost, a monthly fee on the 1st would be expected again every week.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DailyCosts {
    /// Costs that accrue day by day.
    pub daily: BTreeMap<NaiveDate, Decimal>,
    /// Charges billed once for a period, by the day they are dated.
    pub period: BTreeMap<NaiveDate, Decimal>,
}

impl DailyCosts {
    /// Both, summed by day: the actual cost of each day as the bill dates it.
    pub fn all(&self) -> BTreeMap<NaiveDate, Decimal> {
        let mut m = self.daily.clone();
        for (d, c) in &self.period {
            *m.entry(*d).or_default() += *c;
        }
        m
    }

    /// The period charges dated in the month that ends on `month_end`, up to that day.
    pub fn period_in_month(&self, month_end: NaiveDate) -> Decimal {
        self.period
            .range(month_start(month_end)..=month_end)
            .map(|(_, c)| *c)
            .sum()
    }
}

/// [`forecast_month`] of the daily costs, with the month's period charges added as they are to
/// the month to date, the forecast and both ends of the band.
pub fn forecast_costs(costs: &DailyCosts, month_end: NaiveDate) -> Forecast {
    let mut f = forecast_month(&costs.daily, month_end);
    let charges = costs.period_in_month(month_end);
    f.month_to_date += charges;
    f.forecast += charges;
    f.p10 += charges;
    f.p90 += charges;
    f
}

/// Forecasts the total of the month that ends on `month_end` (the month of that day: its first
/// day to `month_end`) from daily costs. Days after `month_end` are ignored. Never panics.
pub fn forecast_month(daily: &BTreeMap<NaiveDate, Decimal>, month_end: NaiveDate) -> Forecast {
    let first_of_month = month_start(month_end);
    let history = dense_history(daily, month_end);
    let month_to_date: Decimal = history
        .iter()
        .filter(|(d, _)| *d >= first_of_month)
        .map(|(_, c)| *c)
        .sum();
    let days_of_data = u32::try_from(history.len()).unwrap_or(u32::MAX);
    let flat = |insufficient_data| Forecast {
        month_to_date,
        forecast: month_to_date,
        p10: month_to_date,
        p90: month_to_date,
        days_of_data,
        insufficient_data,
        daily_expected: Vec::new(),
    };
    if days_of_data < MIN_DAYS {
        return flat(true);
    }
    let Some(&(last_day, _)) = history.last() else {
        return flat(true);
    };
    let window_start = history.len().saturating_sub(WINDOW_DAYS);
    let model = Model::fit(&history[window_start..]);
    let mut daily_expected = Vec::new();
    let mut day = last_day.succ_opt().unwrap_or(last_day).max(first_of_month);
    while day <= month_end && day > last_day {
        daily_expected.push((day, model.expected(day).round_dp(DP)));
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    if daily_expected.is_empty() {
        return flat(false);
    }
    let forecast = month_to_date + daily_expected.iter().map(|(_, e)| *e).sum::<Decimal>();
    let residuals = residuals(&history);
    let (p10, p90) = band(month_to_date, &daily_expected, &residuals);
    Forecast {
        month_to_date,
        forecast,
        p10: p10.min(forecast),
        p90: p90.max(forecast),
        days_of_data,
        insufficient_data: false,
        daily_expected,
    }
}

/// Every day from the first day of data to the last one on or before `until`, a missing day
/// costing zero.
fn dense_history(
    daily: &BTreeMap<NaiveDate, Decimal>,
    until: NaiveDate,
) -> Vec<(NaiveDate, Decimal)> {
    let mut out = Vec::new();
    let Some((&first, _)) = daily.iter().next() else {
        return out;
    };
    let Some((&last, _)) = daily.range(..=until).next_back() else {
        return out;
    };
    let mut day = first;
    while day <= last {
        out.push((day, daily.get(&day).copied().unwrap_or(Decimal::ZERO)));
        match day.checked_add_days(Days::new(1)) {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}

/// The trailing mean and each weekday's mean over a window of days.
struct Model {
    mean: Decimal,
    by_weekday: [Option<Decimal>; 7],
}

impl Model {
    fn fit(window: &[(NaiveDate, Decimal)]) -> Model {
        let mut sums = [(Decimal::ZERO, 0u32); 7];
        let mut total = Decimal::ZERO;
        for (day, cost) in window {
            let w = day.weekday().num_days_from_monday() as usize;
            if let Some(s) = sums.get_mut(w) {
                s.0 += *cost;
                s.1 += 1;
            }
            total += *cost;
        }
        let mean = if window.is_empty() {
            Decimal::ZERO
        } else {
            total / Decimal::from(window.len())
        };
        Model {
            mean,
            by_weekday: sums.map(|(sum, n)| (n > 0).then(|| sum / Decimal::from(n))),
        }
    }

    /// The expected cost of `day`: the mean scaled by its weekday's ratio to the mean, which is
    /// the weekday's own mean (the overall mean when the window has none of that weekday).
    fn expected(&self, day: NaiveDate) -> Decimal {
        let w = day.weekday().num_days_from_monday() as usize;
        self.by_weekday
            .get(w)
            .copied()
            .flatten()
            .unwrap_or(self.mean)
    }
}

/// Out-of-sample residuals: each day predicted from the window of days before it.
fn residuals(history: &[(NaiveDate, Decimal)]) -> Vec<Decimal> {
    (MIN_FIT_DAYS..history.len())
        .filter_map(|i| {
            let (day, actual) = history.get(i)?;
            let model = Model::fit(history.get(i.saturating_sub(WINDOW_DAYS)..i)?);
            Some((*actual - model.expected(*day)).round_dp(DP))
        })
        .collect()
}

/// P10 and P90 of the month total by a moving-block bootstrap of the residuals.
fn band(
    month_to_date: Decimal,
    daily_expected: &[(NaiveDate, Decimal)],
    residuals: &[Decimal],
) -> (Decimal, Decimal) {
    let expected: Decimal = daily_expected.iter().map(|(_, e)| *e).sum();
    if residuals.is_empty() {
        return (month_to_date + expected, month_to_date + expected);
    }
    let block = BLOCK_DAYS.min(residuals.len());
    let starts = residuals.len() - block + 1;
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut totals: Vec<Decimal> = Vec::with_capacity(SIMULATIONS);
    for _ in 0..SIMULATIONS {
        let mut total = month_to_date;
        let mut start = 0usize;
        for (offset, (_, e)) in daily_expected.iter().enumerate() {
            if offset.is_multiple_of(block) {
                start = rng.random_range(0..starts);
            }
            let r = residuals
                .get(start + offset % block)
                .copied()
                .unwrap_or_default();
            total += (*e + r).max(Decimal::ZERO);
        }
        totals.push(total);
    }
    totals.sort();
    (quantile(&totals, 10), quantile(&totals, 90))
}

/// The nearest-rank `pct`th percentile of sorted values (zero when there are none).
fn quantile(sorted: &[Decimal], pct: usize) -> Decimal {
    if sorted.is_empty() {
        return Decimal::ZERO;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted
        .get(rank - 1)
        .or(sorted.last())
        .copied()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn series(
        days: std::ops::RangeInclusive<u32>,
        f: impl Fn(NaiveDate) -> Decimal,
    ) -> BTreeMap<NaiveDate, Decimal> {
        days.map(|d| (day(10, d), f(day(10, d)))).collect()
    }

    #[test]
    fn steady_series_is_forecast_exactly() {
        let daily = series(1..=20, |_| dec!(123.45));
        let f = forecast_month(&daily, day(10, 31));
        assert!(!f.insufficient_data);
        assert_eq!(f.days_of_data, 20);
        assert_eq!(f.month_to_date, dec!(2469.00));
        assert_eq!(f.forecast, dec!(123.45) * dec!(31));
        assert_eq!((f.p10, f.p90), (f.forecast, f.forecast));
        assert_eq!(f.daily_expected.len(), 11);
        assert_eq!(f.daily_expected[0], (day(10, 21), dec!(123.45)));
    }

    #[test]
    fn a_period_charge_counts_once_and_is_not_extrapolated() {
        // 20 days at 10 a day, and a monthly fee of 300 dated on the 1st.
        let costs = DailyCosts {
            daily: series(1..=20, |_| dec!(10)),
            period: [(day(10, 1), dec!(300)), (day(9, 1), dec!(999))].into(),
        };
        let f = forecast_costs(&costs, day(10, 31));
        assert_eq!(f.month_to_date, dec!(500));
        assert_eq!(f.forecast, dec!(610));
        assert_eq!((f.p10, f.p90), (dec!(610), dec!(610)));
        // Fitted as a day's cost, the fee would be expected again on later Thursdays.
        let naive = forecast_month(&costs.all(), day(10, 31));
        assert!(naive.forecast > dec!(700), "{naive:?}");
        assert_eq!(costs.all()[&day(10, 1)], dec!(310));
    }

    #[test]
    fn weekly_pattern_is_forecast_exactly() {
        let cost = |d: NaiveDate| {
            if d.weekday().num_days_from_monday() >= 5 {
                dec!(40)
            } else {
                dec!(100)
            }
        };
        let daily = series(1..=14, cost);
        let f = forecast_month(&daily, day(10, 31));
        let truth: Decimal = (1..=31).map(|d| cost(day(10, d))).sum();
        assert_eq!(f.forecast, truth);
    }

    #[test]
    fn noisy_steady_series_is_close_and_inside_its_band() {
        // 100 a day ± a deterministic wobble.
        let daily = series(1..=18, |d| {
            dec!(100) + Decimal::from((d.day() * 7) % 11) - dec!(5)
        });
        let f = forecast_month(&daily, day(10, 31));
        let truth: Decimal = (1..=31)
            .map(|d| dec!(95) + Decimal::from((d * 7) % 11))
            .sum();
        let err = ((f.forecast - truth) / truth).abs();
        assert!(err < dec!(0.02), "{f:?}");
        assert!(f.p10 < f.p90, "{f:?}");
        assert!(f.p10 <= truth && truth <= f.p90, "{truth} outside {f:?}");
        assert!(f.p10 > f.month_to_date);
        // Deterministic.
        assert_eq!(f, forecast_month(&daily, day(10, 31)));
    }

    #[test]
    fn under_seven_days_is_insufficient() {
        let daily = series(1..=6, |_| dec!(10));
        let f = forecast_month(&daily, day(10, 31));
        assert!(f.insufficient_data);
        assert_eq!(f.days_of_data, 6);
        assert_eq!((f.forecast, f.p10, f.p90), (dec!(60), dec!(60), dec!(60)));
        assert!(f.daily_expected.is_empty());
        let empty = forecast_month(&BTreeMap::new(), day(10, 31));
        assert!(empty.insufficient_data);
        assert_eq!(empty.forecast, Decimal::ZERO);
    }

    #[test]
    fn history_before_the_month_counts_and_later_days_are_ignored() {
        let mut daily: BTreeMap<NaiveDate, Decimal> =
            (1..=30).map(|d| (day(9, d), dec!(10))).collect();
        daily.insert(day(10, 1), dec!(10));
        daily.insert(day(11, 5), dec!(999));
        let f = forecast_month(&daily, day(10, 31));
        assert_eq!(f.month_to_date, dec!(10));
        assert_eq!(f.forecast, dec!(310));
        assert_eq!(f.days_of_data, 31);
    }

    #[test]
    fn a_finished_month_forecasts_its_actual() {
        let daily = series(1..=31, |_| dec!(2));
        let f = forecast_month(&daily, day(10, 31));
        assert_eq!((f.forecast, f.p10, f.p90), (dec!(62), dec!(62), dec!(62)));
        assert!(f.daily_expected.is_empty());
    }

    #[test]
    fn month_bounds() {
        assert_eq!(month_end(day(2, 10)), day(2, 28));
        assert_eq!(
            month_end(day(12, 31)),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        assert_eq!(month_start(day(12, 31)), day(12, 1));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_and_band_holds(
            costs in proptest::collection::vec(-1000i64..100_000, 0..70),
            gap in 0usize..5,
            end in 0u64..90,
        ) {
            let daily: BTreeMap<NaiveDate, Decimal> = costs
                .iter()
                .enumerate()
                .filter(|(i, _)| gap == 0 || i % (gap + 3) != 0)
                .map(|(i, c)| (day(9, 1) + Days::new(i as u64), Decimal::new(*c, 2)))
                .collect();
            let f = forecast_month(&daily, day(9, 1) + Days::new(end));
            proptest::prop_assert!(f.p10 <= f.forecast && f.forecast <= f.p90);
        }
    }
}
