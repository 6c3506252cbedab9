//! Helpers over an instance's hourly samples: the lookback window, the nearest-rank percentile,
//! sanitized percentages and network rates. Measurements only (`f64`); nothing here is money.

use chrono::TimeDelta;

use crate::metrics::HourSample;

/// The samples of the last `days` days, oldest first: every sample whose hour lies within
/// `days × 24` hours ending at (and including) the newest sample's hour. Samples need not come
/// in order. `days == 0` gives no samples.
pub(crate) fn window(samples: &[HourSample], days: u32) -> Vec<&HourSample> {
    let Some(last) = samples.iter().map(|s| s.hour).max() else {
        return Vec::new();
    };
    if days == 0 {
        return Vec::new();
    }
    let span = i64::from(days) * 24 - 1;
    // A start before the earliest representable time keeps everything.
    let start = TimeDelta::try_hours(span).and_then(|d| last.checked_sub_signed(d));
    let mut out: Vec<&HourSample> = samples
        .iter()
        .filter(|s| start.is_none_or(|start| s.hour >= start))
        .collect();
    out.sort_by_key(|s| s.hour);
    out
}

/// A percentage as a usable measurement: finite values clamped to 0–100, anything else `None`.
pub(crate) fn pct(value: f64) -> Option<f64> {
    value.is_finite().then(|| value.clamp(0.0, 100.0))
}

/// A non-negative finite count (bytes), else `None`.
pub(crate) fn amount(value: f64) -> Option<f64> {
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// Bytes moved in the hour, in + out, when either is measured.
pub(crate) fn net_bytes(s: &HourSample) -> Option<f64> {
    let inb = s.net_in_bytes.and_then(amount);
    let outb = s.net_out_bytes.and_then(amount);
    match (inb, outb) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

/// Average rate of `bytes` moved in one hour, in Gbps (10⁹ bits per second).
pub(crate) fn gbps_from_bytes_per_hour(bytes: f64) -> f64 {
    bytes * 8.0 / 3600.0 / 1e9
}

/// The nearest-rank percentile of `values` (sorted in place): the value at rank
/// ⌈p × n⌉ (1-based) of the ascending order, with `p` given in tenths of a percent (995 = 99.5 %).
/// `None` when `values` is empty.
pub(crate) fn nearest_rank(values: &mut [f64], tenths: u32) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len() as u128;
    let rank = (u128::from(tenths.min(1000)) * n)
        .div_ceil(1000)
        .clamp(1, n);
    let index = usize::try_from(rank - 1).ok()?;
    values.get(index).copied()
}

/// The largest finite value, if any.
pub(crate) fn max(values: impl Iterator<Item = f64>) -> Option<f64> {
    values.filter(|v| v.is_finite()).max_by(f64::total_cmp)
}

/// The smallest finite value, if any.
pub(crate) fn min(values: impl Iterator<Item = f64>) -> Option<f64> {
    values.filter(|v| v.is_finite()).min_by(f64::total_cmp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recommend::test_support::{START, sample};

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(nearest_rank(&mut v, 995), Some(199.0));
        assert_eq!(nearest_rank(&mut v, 950), Some(190.0));
        assert_eq!(nearest_rank(&mut v, 900), Some(180.0));
        assert_eq!(nearest_rank(&mut v, 1000), Some(200.0));
        assert_eq!(nearest_rank(&mut v, 0), Some(1.0));
        assert_eq!(nearest_rank(&mut [7.0], 995), Some(7.0));
        assert_eq!(nearest_rank(&mut [], 995), None);
        let mut unsorted = vec![5.0, 1.0, 3.0];
        assert_eq!(nearest_rank(&mut unsorted, 500), Some(3.0));
    }

    #[test]
    fn window_keeps_the_last_days_in_time_order() {
        let mut samples: Vec<HourSample> = (0..48).map(|h| sample(h, 1.0, 1.0)).collect();
        samples.reverse();
        let w = window(&samples, 1);
        assert_eq!(w.len(), 24);
        assert_eq!(w[0].hour, *START + TimeDelta::hours(24));
        assert!(w.windows(2).all(|p| p[0].hour < p[1].hour));
        assert_eq!(window(&samples, 14).len(), 48);
        assert!(window(&samples, 0).is_empty());
        assert!(window(&[], 14).is_empty());
        assert_eq!(window(&samples, u32::MAX).len(), 48);
    }

    #[test]
    fn sanitizes_measurements() {
        assert_eq!(pct(f64::NAN), None);
        assert_eq!(pct(f64::INFINITY), None);
        assert_eq!(pct(120.0), Some(100.0));
        assert_eq!(pct(-3.0), Some(0.0));
        let mut s = sample(0, 1.0, 1.0);
        s.net_in_bytes = None;
        s.net_out_bytes = None;
        assert_eq!(net_bytes(&s), None);
        s.net_in_bytes = Some(f64::NAN);
        s.net_out_bytes = Some(450e9);
        assert_eq!(net_bytes(&s), Some(450e9));
        assert!((gbps_from_bytes_per_hour(450e9) - 1.0).abs() < 1e-12);
        assert_eq!(max([1.0, f64::NAN, 3.0].into_iter()), Some(3.0));
        assert_eq!(min([f64::NAN, 2.0, 3.0].into_iter()), Some(2.0));
    }
}
