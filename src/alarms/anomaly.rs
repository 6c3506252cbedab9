//! Cost anomalies, in the manner of AWS Cost Anomaly Detection: each service in each region
//! (in each account, when the bill has accounts) is watched day by day against a robust baseline.
//!
//! # The model
//!
//! - **Series.** The daily cost of each (service, region), dense from its first day of data to the
//!   bill's last day (a day without rows cost nothing), with usage valued at its blended rate
//!   over the whole bill (cost ÷ quantity per usage type, component and pricing model): a price
//!   tier crossed mid-month, or tiers restarting on the 1st, is not an anomaly; more usage is.
//!   Alerts show the day's actual cost, and the expected cost as actual − impact.
//! - **Expected.** For a day with at least [`AnomalyOptions::min_history_days`] days of history
//!   before it, the baseline window is the up to [`WINDOW_DAYS`] days before it. The expected cost
//!   is the median of the window's days of the same weekday when it has at least two of them
//!   (weekday-aware); with one, the larger of that day and the window's median (a weekday seen
//!   costing more is expected to again); with none, the median of the whole window.
//! - **Spread.** Each window day's residual from what the rest of the window expects of it (same
//!   rule, out of sample); the spread is 1.4826 × the median absolute residual (MAD), a robust
//!   standard deviation.
//! - **Alert.** impact = actual − expected; impact % = impact ÷ expected × 100. A day is an anomaly
//!   when impact ≥ `min_impact`, impact % ≥ `min_impact_pct` (a day with nothing expected counts as
//!   an infinite percentage) and impact > `z` × spread: the thresholds a user sets, and a rise
//!   out of the series' own noise. Only rises are anomalies (a cost that drops saves money).
//! - **Root cause.** For an anomalous day: the usage type whose cost rose most against its median
//!   over the window, and the resources that rose most.
//!
//! All arithmetic is `Decimal`.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::bill::Bill;

/// Days in the baseline window before the day judged.
pub const WINDOW_DAYS: usize = 28;

/// 1 / Φ⁻¹(3/4): MAD × this estimates the standard deviation of normal noise.
const MAD_SCALE: Decimal = Decimal::from_parts(14826, 0, 0, false, 4);

/// Resources named in a root cause.
const TOP_RESOURCES: usize = 3;

/// What is watched, as Cost Anomaly Detection's monitor types: each service in each region (and
/// account, when the bill has accounts), each account's whole spend, or the whole spend of each
/// value of a cost allocation tag (untagged spend as one more value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Monitor {
    /// Each (account,) service and region: AWS's "AWS services" monitor.
    #[default]
    Services,
    /// Each account's spend over every service: a "linked account" monitor.
    Accounts,
    /// Each value of the tag key: a "cost allocation tag" monitor.
    Tag(String),
}

impl std::str::FromStr for Monitor {
    type Err = String;

    fn from_str(s: &str) -> Result<Monitor, String> {
        match s.trim() {
            "service" | "services" => Ok(Monitor::Services),
            "account" | "accounts" => Ok(Monitor::Accounts),
            t => match t.strip_prefix("tag:").map(str::trim) {
                Some(k) if !k.is_empty() => Ok(Monitor::Tag(k.to_string())),
                _ => Err(format!(
                    "unknown anomaly monitor `{t}`: expected `services`, `account` or `tag:KEY`"
                )),
            },
        }
    }
}

impl std::fmt::Display for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Monitor::Services => f.write_str("services"),
            Monitor::Accounts => f.write_str("account"),
            Monitor::Tag(k) => write!(f, "tag:{k}"),
        }
    }
}

/// When a rise is an anomaly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnomalyOptions {
    /// Smallest impact (actual − expected), USD, that alerts.
    pub min_impact: Decimal,
    /// Smallest impact, in percent of the expected cost, that alerts.
    pub min_impact_pct: Decimal,
    /// Days of history a series needs before a day of it is judged.
    pub min_history_days: u32,
    /// How many robust standard deviations (1.4826 × MAD) above expected a day must be.
    pub z: Decimal,
    /// What is watched.
    pub monitor: Monitor,
}

impl Default for AnomalyOptions {
    fn default() -> Self {
        AnomalyOptions {
            min_impact: Decimal::from(50),
            min_impact_pct: Decimal::from(20),
            min_history_days: 10,
            z: Decimal::from(3),
            monitor: Monitor::Services,
        }
    }
}

/// A resource's part in an anomaly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mover {
    /// The resource id.
    pub resource_id: String,
    /// Its cost that day.
    pub actual: Decimal,
    /// Its median daily cost over the baseline window.
    pub expected: Decimal,
    /// actual − expected.
    pub impact: Decimal,
}

/// An anomalous day of one service in one region, or of one account or tag value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    /// The day.
    pub day: NaiveDate,
    /// What rose, for an account or tag monitor: `account 123456789012`, `tag team=web`.
    pub monitored: Option<String>,
    /// The service (for an account or tag monitor: the service that rose most).
    pub service: String,
    /// The region (for an account or tag monitor: the region that rose most).
    pub region: String,
    /// The account, when the bill has accounts.
    pub account: Option<String>,
    /// What the day cost.
    pub actual: Decimal,
    /// What the baseline expected.
    pub expected: Decimal,
    /// actual − expected.
    pub impact: Decimal,
    /// impact ÷ expected × 100 (None when nothing was expected).
    pub impact_pct: Option<Decimal>,
    /// The robust spread (1.4826 × MAD) of the baseline window.
    pub spread: Decimal,
    /// Days of history before the day.
    pub history_days: u32,
    /// The usage type that rose most (AWS's, on a billing file's own view).
    pub usage_type: Option<String>,
    /// What that usage is, where the usage type alone does not say (cloudcost's usage types):
    /// `Instance usage (linux, on-demand, c5.large)`.
    pub usage: Option<String>,
    /// The resources that rose most, largest rise first.
    pub top_resources: Vec<Mover>,
    /// Resources that cost nothing the day before and did that day, by what they used (the
    /// largest rise first): what carries a rise no single resource does ("40 c5.large
    /// instances that were not running the day before").
    pub new_resources: Vec<NewResources>,
}

/// Resources of one kind that were not running the day before an anomaly.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewResources {
    /// What they used: AWS's usage type on a billing file's own view, else cloudcost's component
    /// (`Instance usage (linux, on-demand, c5.large)`).
    pub usage: String,
    /// How many.
    pub count: usize,
    /// What they cost that day.
    pub cost: Decimal,
}

/// What a cost row used, for a root cause: AWS's usage type when the row is as billed (a billing
/// file's own view names it: `BoxUsage:c5.large`), else cloudcost's component without its price
/// tier, which names the instance type and pricing model (`Instance usage (linux, on-demand,
/// c5.large)`) where cloudcost's usage type (`instance-seconds`) would not.
fn usage_label(r: &crate::bill::CostRow) -> String {
    if r.component.starts_with("as billed") || r.component.is_empty() {
        r.usage_type.to_string()
    } else {
        tierless(&r.component).to_string()
    }
}

fn median(values: &mut [Decimal]) -> Decimal {
    if values.is_empty() {
        return Decimal::ZERO;
    }
    values.sort_unstable();
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / Decimal::TWO
    }
}

/// The expected value of `day` from a window of (day, cost): the median of the same weekday when
/// the window has two or more of them, else the median of the window.
fn expected_of(window: &[(NaiveDate, Decimal)], day: NaiveDate) -> Decimal {
    let mut same: Vec<Decimal> = window
        .iter()
        .filter(|(d, _)| d.weekday() == day.weekday())
        .map(|(_, c)| *c)
        .collect();
    let mut all: Vec<Decimal> = window.iter().map(|(_, c)| *c).collect();
    match same.len() {
        0 => median(&mut all),
        // One earlier day of this weekday: a weekday seen costing more is expected to again.
        1 => same[0].max(median(&mut all)),
        _ => median(&mut same),
    }
}

/// Expected cost and robust spread of `day` from the window before it.
fn baseline(window: &[(NaiveDate, Decimal)], day: NaiveDate) -> (Decimal, Decimal) {
    let expected = expected_of(window, day);
    // Each window day against what the rest of the window expects of it (out of sample, so
    // that a weekday's median of two days does not halve its own residual).
    let mut rest = Vec::with_capacity(window.len());
    let mut residuals: Vec<Decimal> = (0..window.len())
        .map(|i| {
            rest.clear();
            rest.extend_from_slice(&window[..i]);
            rest.extend_from_slice(&window[i + 1..]);
            let (d, c) = window[i];
            (c - expected_of(&rest, d)).abs()
        })
        .collect();
    let mad = median(&mut residuals);
    (expected, (mad * MAD_SCALE).round_dp(6))
}

/// A cost row's component without its price tier: `Internet egress (next 40,960 GB)` →
/// `Internet egress`.
fn tierless(component: &str) -> &str {
    [" (first ", " (next ", " (over ", " (free allowance)"]
        .iter()
        .filter_map(|t| component.find(t))
        .min()
        .map_or(component, |i| &component[..i])
}

type RateKey<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    crate::bill::PricingModel,
);

/// Per service, region, usage type, tierless component and pricing model: the blended price
/// (cost ÷ quantity over the whole bill), so that a tier boundary, or tiers restarting at the
/// start of a month, does not move the series: only usage does.
fn blended_rates(bill: &Bill) -> HashMap<RateKey<'_>, Decimal> {
    let mut sums: HashMap<RateKey<'_>, (Decimal, Decimal)> = HashMap::new();
    for r in &bill.rows {
        let e = sums.entry(rate_key(r)).or_default();
        e.0 += r.cost.amount();
        e.1 += r.quantity;
    }
    sums.into_iter()
        .filter(|(_, (_, q))| !q.is_zero())
        .map(|(k, (c, q))| (k, c / q))
        .collect()
}

fn rate_key(r: &crate::bill::CostRow) -> RateKey<'_> {
    (
        r.service.as_str(),
        r.region.as_str(),
        r.usage_type.as_str(),
        tierless(&r.component),
        r.model,
    )
}

/// A row's usage valued at its blended rate (its cost when there is none).
fn valued(rates: &HashMap<RateKey<'_>, Decimal>, r: &crate::bill::CostRow) -> Decimal {
    match rates.get(&rate_key(r)) {
        Some(rate) => (r.quantity * rate).round_dp(8),
        None => r.cost.amount(),
    }
}

fn dense(series: &BTreeMap<NaiveDate, Decimal>, last: NaiveDate) -> Vec<(NaiveDate, Decimal)> {
    let Some((&first, _)) = series.first_key_value() else {
        return Vec::new();
    };
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| (d, series.get(&d).copied().unwrap_or_default()))
        .collect()
}

/// A series watched: (account or monitored value, service, region); service and region are
/// empty for an account or tag monitor, which sums them.
type Group = (Option<String>, String, String);

/// The series a cost row belongs to under `monitor`.
fn group_of_row(bill: &Bill, monitor: &Monitor, r: &crate::bill::CostRow) -> Group {
    let a = &bill.attribution;
    match monitor {
        Monitor::Services => (
            a.has_accounts
                .then(|| a.account(&r.resource_id).unwrap_or("").to_string()),
            r.service.to_string(),
            r.region.to_string(),
        ),
        Monitor::Accounts => (
            Some(format!(
                "account {}",
                a.account(&r.resource_id).unwrap_or("(none)")
            )),
            String::new(),
            String::new(),
        ),
        Monitor::Tag(k) => (
            Some(format!(
                "tag {k}={}",
                a.tag_value(&r.resource_id, k).unwrap_or("(untagged)")
            )),
            String::new(),
            String::new(),
        ),
    }
}

/// The series an anomaly was found in.
fn group_of_anomaly(a: &Anomaly, monitor: &Monitor) -> Group {
    match monitor {
        Monitor::Services => (a.account.clone(), a.service.clone(), a.region.clone()),
        _ => (a.monitored.clone(), String::new(), String::new()),
    }
}

/// Why the bill cannot be watched by `monitor`: it has no accounts, or no tags.
pub fn unwatchable(bill: &Bill, monitor: &Monitor) -> Option<String> {
    match monitor {
        Monitor::Services => None,
        Monitor::Accounts if !bill.attribution.has_accounts => Some(
            "an account monitor needs a usage file with accounts (account_id; CUR lineItem/UsageAccountId or line_item_usage_account_id; FOCUS SubAccountId)".into(),
        ),
        Monitor::Tag(k) if !bill.attribution.has_tags => Some(format!(
            "a monitor of tag `{k}` needs a usage file with tags (a `tags` column; CUR resourceTags/… columns or resource_tags; FOCUS Tags)"
        )),
        _ => None,
    }
}

/// Finds the anomalous days of every series `opts.monitor` watches, oldest first.
pub fn detect(bill: &Bill, opts: &AnomalyOptions) -> Vec<Anomaly> {
    let Some((_, last)) = bill.period() else {
        return Vec::new();
    };
    let rates = blended_rates(bill);
    // Per group and day: (usage valued at blended rates, actual cost).
    type Days = BTreeMap<NaiveDate, (Decimal, Decimal)>;
    let mut groups: BTreeMap<Group, Days> = BTreeMap::new();
    // A charge billed once for a period is no day's rise: the baseline leaves it out.
    for r in bill
        .rows
        .iter()
        .filter(|r| r.model != crate::bill::PricingModel::PeriodCharge)
    {
        let e = groups
            .entry(group_of_row(bill, &opts.monitor, r))
            .or_default()
            .entry(r.day)
            .or_default();
        e.0 += valued(&rates, r);
        e.1 += r.cost.amount();
    }
    let min_history = opts.min_history_days.max(1) as usize;
    let mut found = Vec::new();
    for ((scope, service, region), series) in &groups {
        let valued_series: BTreeMap<NaiveDate, Decimal> =
            series.iter().map(|(d, (v, _))| (*d, *v)).collect();
        let days = dense(&valued_series, last);
        for i in min_history..days.len() {
            let (day, value) = days[i];
            let window = &days[i.saturating_sub(WINDOW_DAYS)..i];
            let (expected_value, spread) = baseline(window, day);
            let impact = value - expected_value;
            if impact < opts.min_impact || impact <= Decimal::ZERO || impact <= opts.z * spread {
                continue;
            }
            let impact_pct = (!expected_value.is_zero())
                .then(|| (impact / expected_value * Decimal::ONE_HUNDRED).round_dp(1));
            if impact_pct.is_some_and(|p| p < opts.min_impact_pct) {
                continue;
            }
            // Shown: the day's actual cost, and what was expected of it.
            let actual = series.get(&day).map(|e| e.1).unwrap_or_default();
            let expected = actual - impact;
            let (account, monitored) = match &opts.monitor {
                Monitor::Services => (scope.clone(), None),
                Monitor::Accounts => (
                    scope
                        .as_deref()
                        .and_then(|s| s.strip_prefix("account "))
                        .map(str::to_string),
                    scope.clone(),
                ),
                Monitor::Tag(_) => (None, scope.clone()),
            };
            found.push(Anomaly {
                day,
                monitored,
                service: service.clone(),
                region: region.clone(),
                account,
                actual,
                expected,
                impact,
                impact_pct,
                spread,
                history_days: i as u32,
                usage_type: None,
                usage: None,
                top_resources: Vec::new(),
                new_resources: Vec::new(),
            });
        }
    }
    explain(bill, &mut found, &opts.monitor);
    found.sort_by(|a, b| {
        (a.day, &a.monitored, &a.service, &a.region, &a.account).cmp(&(
            b.day,
            &b.monitored,
            &b.service,
            &b.region,
            &b.account,
        ))
    });
    found
}

/// Fills in each anomaly's root cause: the usage type and the resources that rose most (and, for
/// an account or tag monitor, the service and region that rose most).
fn explain(bill: &Bill, anomalies: &mut [Anomaly], monitor: &Monitor) {
    if anomalies.is_empty() {
        return;
    }
    // Only the groups with an anomaly, and only the days some anomaly's window or day covers.
    let mut days_of_group: HashMap<Group, HashSet<NaiveDate>> = HashMap::new();
    for a in anomalies.iter() {
        let set = days_of_group
            .entry(group_of_anomaly(a, monitor))
            .or_default();
        let from = a.day - chrono::Days::new(a.history_days.min(WINDOW_DAYS as u32) as u64);
        for d in from.iter_days().take_while(|d| *d <= a.day) {
            set.insert(d);
        }
    }
    // (group) → resource → day → cost, usage type → day → cost, (service, region) → day → cost.
    type PerDay = HashMap<NaiveDate, Decimal>;
    let mut by_resource: HashMap<Group, HashMap<String, PerDay>> = HashMap::new();
    let mut by_usage: HashMap<Group, HashMap<String, PerDay>> = HashMap::new();
    let mut by_place: HashMap<Group, HashMap<String, PerDay>> = HashMap::new();
    // (group) → resource → what it used.
    let mut label_of: HashMap<Group, HashMap<String, String>> = HashMap::new();
    const SEP: char = '\u{1f}';
    for r in &bill.rows {
        let key = group_of_row(bill, monitor, r);
        let Some(days) = days_of_group.get(&key) else {
            continue;
        };
        if !days.contains(&r.day) {
            continue;
        }
        let add = |m: &mut HashMap<Group, HashMap<String, PerDay>>, id: String| {
            *m.entry(key.clone())
                .or_default()
                .entry(id)
                .or_default()
                .entry(r.day)
                .or_default() += r.cost.amount();
        };
        add(&mut by_resource, r.resource_id.to_string());
        let label = usage_label(r);
        add(&mut by_usage, format!("{}{SEP}{label}", r.usage_type));
        label_of
            .entry(key.clone())
            .or_default()
            .insert(r.resource_id.to_string(), label);
        if *monitor != Monitor::Services {
            add(&mut by_place, format!("{}{SEP}{}", r.service, r.region));
        }
    }
    for a in anomalies.iter_mut() {
        let key = group_of_anomaly(a, monitor);
        let window_days: Vec<NaiveDate> = {
            let n = a.history_days.min(WINDOW_DAYS as u32) as u64;
            let from = a.day - chrono::Days::new(n);
            from.iter_days().take_while(|d| *d < a.day).collect()
        };
        let movers = |per: &HashMap<String, PerDay>| -> Vec<Mover> {
            let mut v: Vec<Mover> = per
                .iter()
                .map(|(id, days)| {
                    let actual = days.get(&a.day).copied().unwrap_or_default();
                    let mut hist: Vec<Decimal> = window_days
                        .iter()
                        .map(|d| days.get(d).copied().unwrap_or_default())
                        .collect();
                    let expected = median(&mut hist);
                    Mover {
                        resource_id: id.clone(),
                        actual,
                        expected,
                        impact: actual - expected,
                    }
                })
                .filter(|m| m.impact > Decimal::ZERO)
                .collect();
            v.sort_by(|x, y| {
                y.impact
                    .cmp(&x.impact)
                    .then_with(|| x.resource_id.cmp(&y.resource_id))
            });
            v
        };
        if let Some((usage_type, label)) = by_usage
            .get(&key)
            .and_then(|per| movers(per).into_iter().next())
            .and_then(|m| {
                m.resource_id
                    .split_once(SEP)
                    .map(|(u, l)| (u.to_string(), l.to_string()))
            })
        {
            a.usage = (label != usage_type).then_some(label);
            a.usage_type = Some(usage_type);
        }
        if let Some((service, region)) = by_place
            .get(&key)
            .and_then(|per| movers(per).into_iter().next())
            .and_then(|m| {
                m.resource_id
                    .split_once(SEP)
                    .map(|(s, r)| (s.to_string(), r.to_string()))
            })
        {
            (a.service, a.region) = (service, region);
        }
        if let (Some(per), Some(labels)) = (by_resource.get(&key), label_of.get(&key)) {
            let before = a.day.pred_opt();
            let mut new: BTreeMap<&str, (usize, Decimal)> = BTreeMap::new();
            for (id, days) in per {
                let today = days.get(&a.day).copied().unwrap_or_default();
                let was = before
                    .and_then(|d| days.get(&d))
                    .copied()
                    .unwrap_or_default();
                if today > Decimal::ZERO && was.is_zero() {
                    let e = new
                        .entry(labels.get(id).map_or("", String::as_str))
                        .or_default();
                    e.0 += 1;
                    e.1 += today;
                }
            }
            let mut new: Vec<NewResources> = new
                .into_iter()
                .filter(|(_, (n, _))| *n >= 2)
                .map(|(usage, (count, cost))| NewResources {
                    usage: usage.to_string(),
                    count,
                    cost,
                })
                .collect();
            new.sort_by(|x, y| y.cost.cmp(&x.cost).then_with(|| x.usage.cmp(&y.usage)));
            // Those that carry a fifth of the rise or more.
            new.retain(|n| n.cost * Decimal::from(5) >= a.impact);
            new.truncate(TOP_RESOURCES);
            a.new_resources = new;
        }
        if let Some(per) = by_resource.get(&key) {
            // The resources that carry the rise: at least 5 % of it each.
            let impact = a.impact;
            a.top_resources = movers(per)
                .into_iter()
                .filter(|m| m.impact * Decimal::from(20) >= impact)
                .take(TOP_RESOURCES)
                .collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Money;
    use crate::bill::{CostRow, PricingModel};
    use crate::catalog::Confidence;

    fn row(day: NaiveDate, service: &str, resource: &str, usage_type: &str, cost: i64) -> CostRow {
        CostRow {
            day,
            service: service.into(),
            region: "us-east-1".into(),
            resource_id: resource.into(),
            usage_type: usage_type.into(),
            component: "".into(),
            model: PricingModel::OnDemand,
            // One unit per dollar: usage moves the cost.
            quantity: Decimal::from(cost),
            unit: "GB".into(),
            cost: Money::usd(Decimal::from(cost)),
            on_demand_equivalent: Money::usd(Decimal::from(cost)),
            confidence: Confidence::Published,
        }
    }

    fn bill(rows: Vec<CostRow>) -> Bill {
        Bill::new(&crate::usage::UsageRead::default(), rows)
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, d).unwrap()
    }

    #[test]
    fn a_spike_is_found_with_its_root_cause() {
        let mut rows = Vec::new();
        for d in 1..=30 {
            rows.push(row(
                day(d),
                "data_transfer",
                "egress-a",
                "internet-out-gb",
                100 + (d % 3) as i64,
            ));
            rows.push(row(
                day(d),
                "data_transfer",
                "egress-b",
                "internet-out-gb",
                50,
            ));
            rows.push(row(day(d), "ec2", "i-1", "instance-seconds", 200));
        }
        rows.push(row(
            day(15),
            "data_transfer",
            "egress-b",
            "internet-out-gb",
            400,
        ));
        let found = detect(&bill(rows), &AnomalyOptions::default());
        assert_eq!(found.len(), 1, "{found:#?}");
        let a = &found[0];
        assert_eq!((a.day, a.service.as_str()), (day(15), "data_transfer"));
        assert_eq!(a.usage_type.as_deref(), Some("internet-out-gb"));
        assert_eq!(a.top_resources[0].resource_id, "egress-b");
        assert_eq!(a.top_resources[0].impact, Decimal::from(400));
        assert!(
            a.impact >= Decimal::from(398) && a.impact <= Decimal::from(402),
            "{a:?}"
        );
    }

    #[test]
    fn a_charge_for_the_month_is_not_an_anomaly_but_a_daily_charge_is_seen() {
        let mut rows: Vec<CostRow> = (1..=30)
            .map(|d| row(day(d), "AmazonEC2", "i-1", "BoxUsage:m5.large", 100))
            .collect();
        let charge = |d: u32, model: PricingModel| CostRow {
            component: "RIFee".into(),
            model,
            quantity: Decimal::ZERO,
            ..row(day(d), "AmazonEC2", "arn:ri", "HeavyUsage:m5.large", 2000)
        };
        rows.push(charge(1, PricingModel::PeriodCharge));
        assert!(detect(&bill(rows.clone()), &AnomalyOptions::default()).is_empty());
        // The same amount as a one-day charge on a later day is a rise.
        rows.push(charge(20, PricingModel::Charge));
        let found = detect(&bill(rows), &AnomalyOptions::default());
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].day, day(20));
    }

    #[test]
    fn too_little_history_or_too_small_a_rise_is_not_an_anomaly() {
        let mut rows = Vec::new();
        for d in 1..=20 {
            rows.push(row(day(d), "s3", "b", "storage-gb-hours", 100));
        }
        // Day 5: huge, but only 4 days of history. Day 12: +30 USD (under 50 USD). Day 14:
        // +60 USD and +60 %: an anomaly.
        rows.push(row(day(5), "s3", "b", "storage-gb-hours", 5000));
        rows.push(row(day(12), "s3", "b", "storage-gb-hours", 30));
        rows.push(row(day(14), "s3", "b", "storage-gb-hours", 60));
        let found = detect(&bill(rows), &AnomalyOptions::default());
        let days: Vec<NaiveDate> = found.iter().map(|a| a.day).collect();
        assert_eq!(days, vec![day(14)]);
    }

    #[test]
    fn a_noisy_series_needs_a_rise_beyond_its_noise() {
        let mut rows = Vec::new();
        for d in 1..=28 {
            // Noise between 100 and 300 USD a day.
            let c = 100 + ((d * 37) % 11) as i64 * 20;
            rows.push(row(day(d), "lambda", "f", "gb-seconds", c));
        }
        // Day 27 costs 100 + 60 = 160 (its noise) + 100: a rise of about 100, within the noise.
        rows.push(row(day(27), "lambda", "f", "gb-seconds", 100));
        assert!(detect(&bill(rows.clone()), &AnomalyOptions::default()).is_empty());
        rows.push(row(day(28), "lambda", "f", "gb-seconds", 900));
        let found = detect(&bill(rows), &AnomalyOptions::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].day, day(28));
    }

    #[test]
    fn a_cheaper_tier_ending_is_not_an_anomaly() {
        // The same 1,000 GB every day; the price drops from 0.09 to 0.07 a GB on day 20 (a tier
        // crossed) and is back at 0.09 on the 1st of the next month (tiers restart).
        let mut rows = Vec::new();
        for d in 0..40u64 {
            let day = day(1) + chrono::Days::new(d);
            let cheap = (19..31).contains(&d);
            let mut r = row(day, "data_transfer", "egress", "internet-out-gb", 0);
            r.quantity = Decimal::from(1000);
            r.component = if cheap {
                "Internet egress (next 40,960 GB)".into()
            } else {
                "Internet egress (first 10,240 GB)".into()
            };
            let price = if cheap {
                Decimal::new(7, 2)
            } else {
                Decimal::new(9, 2)
            };
            r.cost = Money::usd(price * r.quantity);
            rows.push(r);
        }
        let opts = AnomalyOptions {
            min_impact: Decimal::from(5),
            ..Default::default()
        };
        let found = detect(&bill(rows.clone()), &opts);
        assert!(found.is_empty(), "{found:#?}");
        // More usage is: 3,000 GB on day 35.
        rows[34].quantity = Decimal::from(3000);
        rows[34].cost = Money::usd(Decimal::from(270));
        let found = detect(&bill(rows), &opts);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].actual, Decimal::from(270));
    }

    #[test]
    fn weekly_cycles_are_expected() {
        let mut rows = Vec::new();
        for d in 1..=31 {
            // Weekends cost three times as much: not an anomaly once two of them are in the window.
            let weekend = day(d).weekday().num_days_from_monday() >= 5;
            rows.push(row(
                day(d),
                "ec2",
                "batch",
                "instance-seconds",
                if weekend { 300 } else { 100 },
            ));
        }
        let found = detect(&bill(rows), &AnomalyOptions::default());
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn a_tag_monitor_sums_the_services_of_each_tag_value() {
        // Team web runs EC2 and S3, team data runs EC2. On day 20 web's EC2 and S3 each rise by
        // 40 USD: under the 50 USD minimum per service, 80 USD for the team.
        let mut rows = Vec::new();
        for d in 1..=20 {
            let rise = if d == 20 { 40 } else { 0 };
            rows.push(row(
                day(d),
                "AmazonEC2",
                "i-web",
                "BoxUsage:m5.large",
                100 + rise,
            ));
            rows.push(row(
                day(d),
                "AmazonS3",
                "b-web",
                "TimedStorage-ByteHrs",
                50 + rise,
            ));
            rows.push(row(day(d), "AmazonEC2", "i-data", "BoxUsage:m5.large", 300));
        }
        let mut b = bill(rows);
        b.attribution.has_tags = true;
        for (r, team) in [("i-web", "web"), ("b-web", "web"), ("i-data", "data")] {
            b.attribution
                .tags_of
                .insert(r.into(), [format!("user:Team={team}")].into());
        }
        assert!(detect(&b, &AnomalyOptions::default()).is_empty());
        let opts = AnomalyOptions {
            monitor: "tag:team".parse().unwrap(),
            ..Default::default()
        };
        let found = detect(&b, &opts);
        assert_eq!(found.len(), 1, "{found:#?}");
        let a = &found[0];
        assert_eq!(a.monitored.as_deref(), Some("tag team=web"));
        assert_eq!(
            (a.actual, a.impact),
            (Decimal::from(230), Decimal::from(80))
        );
        // The root cause names the service that rose most (a tie: the first in order).
        assert_eq!(a.service, "AmazonEC2");
        assert_eq!(a.top_resources.len(), 2);
        // A bill without accounts cannot be watched per account.
        assert!(unwatchable(&b, &Monitor::Accounts).is_some());
        assert!(unwatchable(&b, &opts.monitor).is_none());
        assert!("tag:".parse::<Monitor>().is_err());
    }

    /// 40 c5.large instances run for one day beside a steady fleet: no one of them carries 5 %
    /// of the rise, so the root cause says what did: the instance usage, by type and pricing
    /// model, and the 40 instances that were not running the day before.
    #[test]
    fn a_rise_of_many_new_instances_is_named_by_what_they_are() {
        let instance = |d: u32, id: String, ty: &str, cost: i64| CostRow {
            component: format!("Instance usage (linux, on-demand, {ty})").into(),
            ..row(day(d), "ec2", &id, "instance-seconds", cost)
        };
        let mut rows = Vec::new();
        for d in 1..=20 {
            for i in 0..5 {
                rows.push(instance(d, format!("i-m5-{i}"), "m5.large", 30));
            }
        }
        for i in 0..40 {
            rows.push(instance(20, format!("i-c5-{i}"), "c5.large", 2));
        }
        let found = detect(&bill(rows), &AnomalyOptions::default());
        assert_eq!(found.len(), 1, "{found:#?}");
        let a = &found[0];
        assert_eq!(a.impact, Decimal::from(80));
        assert!(a.top_resources.is_empty(), "{a:#?}");
        assert_eq!(a.usage_type.as_deref(), Some("instance-seconds"));
        assert_eq!(
            a.usage.as_deref(),
            Some("Instance usage (linux, on-demand, c5.large)")
        );
        assert_eq!(
            a.new_resources,
            vec![NewResources {
                usage: "Instance usage (linux, on-demand, c5.large)".into(),
                count: 40,
                cost: Decimal::from(80),
            }]
        );
    }
}
