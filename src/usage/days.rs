//! What both reading paths make of a file's rows: resource-days (a resource's usage of a day under
//! one canonical key), from polars' sums; and EC2's whole-hour rule on instance-seconds.

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;
use rust_decimal::Decimal;

use super::columns::{ONE, SCALE, decimal_type};
use super::{ResourceDay, UsageKey};
use crate::catalog::Os;

/// The UTC day of a day's first millisecond (`NaiveDate::MIN` for none).
pub(crate) fn day_of(day: Option<i64>) -> NaiveDate {
    day.and_then(DateTime::<Utc>::from_timestamp_millis)
        .map(|d| d.date_naive())
        .unwrap_or(NaiveDate::MIN)
}

/// A priced group as a resource-day: its day (the first millisecond, UTC), its canonical
/// `USAGE_KEY` texts (in that order), quantity, billable quantity and rows.
pub(crate) fn resource_day(
    day: Option<i64>,
    [
        resource,
        service,
        usage_type,
        region,
        attr,
        os,
        purchase,
        az,
    ]: [Option<&str>; 8],
    quantity: Decimal,
    billable: Decimal,
    rows: u64,
) -> ResourceDay {
    let service = service.unwrap_or_default();
    let attr = attr.unwrap_or_default();
    let (attr, os, spot) = if service == "ec2" {
        (
            attr.split('/').next().unwrap_or_default(),
            if os == Some("windows") {
                Os::Windows
            } else {
                Os::Linux
            },
            purchase == Some("spot"),
        )
    } else {
        (attr, Os::Linux, false)
    };
    ResourceDay {
        day: day_of(day),
        resource_id: resource.unwrap_or_default().into(),
        key: std::sync::Arc::new(UsageKey {
            service: service.into(),
            usage_type: usage_type.unwrap_or_default().into(),
            region: region.unwrap_or_default().into(),
            attr: attr.into(),
            os,
            spot,
            az: az.unwrap_or_default().into(),
        }),
        quantity,
        billable,
        rows,
    }
}

/// Windows bills each row's started hours in full: the row's billable seconds.
pub(crate) fn windows_billable(q: Expr) -> Expr {
    (started_hours(q) * lit(3600i64)).cast(decimal_type())
}

/// The hours a row of `q` instance-seconds (a decimal, not negative) started: ⌈q ÷ 3600⌉, exactly
/// (in integers: ⌈q⌉ whole seconds, then whole hours; a division in floating point would round
/// a quantity just over an hour, such as 3600.000000000000000001 seconds, down to one hour).
pub(crate) fn started_hours(q: Expr) -> Expr {
    let whole = q.clone().cast(DataType::Int64);
    let seconds = whole.clone()
        + when(q.gt(whole.cast(decimal_type())))
            .then(lit(1i64))
            .otherwise(lit(0i64));
    (seconds + lit(3599i64)).floor_div(lit(3600i64))
}

/// `started_hours` of one quantity of instance-seconds at `SCALE` places: ⌈q ÷ 3600⌉ in integers
/// (the same count: ⌈⌈q⌉ ÷ 3600⌉ = ⌈q ÷ 3600⌉ for a whole divisor).
pub(crate) fn started_hours_of(q: i128) -> i128 {
    /// An hour of instance-seconds at `SCALE` places: 2^22 × `ODD` (3,600 × 10^18 =
    /// 2^4 × 225 × 2^18 × 5^18).
    const SECONDS_PER_HOUR: i128 = 3600 * ONE;
    const TWOS: u32 = 22;
    const ODD: u64 = 225 * 5u64.pow(18);
    const _: () = assert!(SCALE == 18 && (ODD as i128) << TWOS == SECONDS_PER_HOUR);
    // The first pass counts this for every EC2 row: a quantity below 2^86 (about 77 million
    // seconds) is divided in 64 bits (a multiplication), not by a 128-bit division. The same
    // count: ⌊q ÷ 2^22k⌋ = ⌊⌊q ÷ 2^22⌋ ÷ k⌋, with no remainder only when neither has one.
    if let Ok(high) = u64::try_from(q >> TWOS)
        && q >= 0
    {
        let low = q & ((1 << TWOS) - 1);
        return i128::from(high / ODD) + i128::from(low != 0 || high % ODD != 0);
    }
    q.div_euclid(SECONDS_PER_HOUR) + i128::from(q.rem_euclid(SECONDS_PER_HOUR) != 0)
}

/// The canonical columns a priced usage line is keyed by (a resource-day's, with its day).
pub(crate) const USAGE_KEY: [&str; 8] = [
    "resource_id",
    "service",
    "usage_type",
    "region",
    "attr",
    "os",
    "purchase",
    "az",
];
