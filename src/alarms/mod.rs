//! `cloudcost alarms`: budgets (in the manner of AWS Budgets), cost anomalies (in the manner of
//! AWS Cost Anomaly Detection) and idle resources, as a stable list of alert events. The
//! Telegram bot posts exactly these.
//!
//! - [`budgets`]: the budgets.toml contract.
//! - [`anomaly`]: the daily robust baseline per service and region.
//! - [`state`]: what has fired, in SQLite, so that a second run does not repeat an alert.
//!
//! # Budgets
//!
//! A budget is evaluated for its current period: the month of the bill's last day (monthly), or
//! each day of that month (daily). An actual threshold fires when the actual spend of the period
//! reaches it; its alert id names the budget, period and threshold, so it fires once per budget
//! per period. A forecast threshold fires when the forecast reaches it: the month-end forecast of
//! [`crate::forecast`] (monthly; never from under [`crate::forecast::MIN_DAYS`] days of data), or
//! the expected cost of the next day (daily). It may fire again after an evaluation shows the
//! forecast back below it ([`AlarmState::record`] numbers the episodes: `…:80%`, `…:80%#2`).

pub mod anomaly;
pub mod budgets;
pub mod state;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::bill::{Bill, CostRow};
use crate::error::{Error, InputError};
use crate::forecast::{DailyCosts, forecast_costs, forecast_month, month_end, month_start};
use crate::savings::{Kind, Report};

pub use anomaly::{Anomaly, AnomalyOptions, Monitor};
pub use budgets::{Budget, Budgets, Filter, On, Period, Threshold, parse_amount};
pub use state::AlarmState;

/// What an alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertKind {
    /// A budget's actual spend reached a threshold.
    BudgetActual,
    /// A budget's forecast reached a threshold.
    BudgetForecast,
    /// A cost anomaly.
    Anomaly,
    /// An idle resource that costs money.
    Idle,
}

impl AlertKind {
    /// The name in the JSON (`budget-actual`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::BudgetActual => "budget-actual",
            AlertKind::BudgetForecast => "budget-forecast",
            AlertKind::Anomaly => "anomaly",
            AlertKind::Idle => "idle",
        }
    }
}

/// How urgent an alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Money to save, nothing burning.
    Info,
    /// Watch it.
    Warning,
    /// A budget is spent, or a large anomaly.
    Critical,
}

impl Severity {
    /// The name in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One alert event. The JSON form of a list of these is a fixed contract: the bot consumes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// What it is about.
    pub kind: AlertKind,
    /// A stable id: the same condition in the same period always has the same id.
    pub id: String,
    /// How urgent.
    pub severity: Severity,
    /// The period: `2026-10` (a month) or `2026-10-14` (a day).
    pub period: String,
    /// The amount that alerts, USD: actual or forecast spend, the anomaly's cost impact, or the
    /// idle resource's monthly cost. A decimal string in JSON.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// The threshold crossed, USD: the budget threshold's amount, or an anomaly's smallest
    /// alerting impact; none for idle resources. A decimal string in JSON.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub threshold: Option<Decimal>,
    /// One line of plain text for people.
    pub message: String,
    /// The figures behind it, by kind.
    pub details: serde_json::Value,
}

/// Options of an evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlarmOptions {
    /// When a rise is an anomaly.
    pub anomaly: AnomalyOptions,
    /// The daily costs of the budgets measured in a billing file's own cost view (by budget
    /// name: `analysis::budget_costs`); the others are measured on the re-priced bill.
    pub costs: BTreeMap<String, DailyCosts>,
    /// The currency the alert messages show money in (`amount`, `threshold` and `details` stay
    /// USD decimal strings).
    pub currency: crate::money::Currency,
}

impl Default for AlarmOptions {
    fn default() -> Self {
        AlarmOptions {
            anomaly: AnomalyOptions::default(),
            costs: BTreeMap::new(),
            currency: crate::money::Currency::usd(),
        }
    }
}

/// A budget's standing in its current period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetStatus {
    /// The budget's name.
    pub name: String,
    /// `monthly` or `daily`.
    pub period_kind: String,
    /// The period: a month (`2026-10`) or the last day of data (`2026-10-20`).
    pub period: String,
    /// What it covers.
    pub filter: String,
    /// The budgeted amount.
    pub amount: Decimal,
    /// Actual spend in the period, exact (round only to show it).
    pub actual: Decimal,
    /// The forecast for the period (monthly: month end; daily: the next day), when there is one;
    /// exact.
    pub forecast: Option<Decimal>,
}

/// A forecast threshold as last evaluated: above or below (for re-arming).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForecastCheck {
    /// The alert id of its first episode.
    pub base_id: String,
    /// Whether the forecast is at or above the threshold.
    pub above: bool,
}

/// The result of evaluating a bill.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    /// Every alert that holds now (forecast alerts with their first-episode id).
    pub alerts: Vec<Alert>,
    /// Each budget's standing.
    pub budgets: Vec<BudgetStatus>,
    /// Every forecast threshold evaluated, above or below.
    pub forecast_checks: Vec<ForecastCheck>,
    /// The bill's last day of data.
    pub as_of: Option<NaiveDate>,
}

fn show(c: &crate::money::Currency, usd: Decimal) -> String {
    c.format(crate::Money::usd(usd))
}

fn cents(d: Decimal) -> Decimal {
    crate::money::round_half_up(d, 2)
}

/// Evaluates budgets and anomalies over `bill`, and idle resources from `idle` (a savings report)
/// when given. Fails only when a budget's filter asks for what the bill does not have.
pub fn evaluate(
    bill: &Bill,
    budgets: &Budgets,
    idle: Option<&Report>,
    opts: &AlarmOptions,
) -> Result<Evaluation, Error> {
    evaluate_with(bill, bill, budgets, idle, opts)
}

/// [`evaluate`], with the anomalies looked for in `anomalies_in` (the bill in a billing file's
/// own cost view, as Cost Anomaly Detection watches the invoice) rather than in `bill`.
pub fn evaluate_with(
    bill: &Bill,
    anomalies_in: &Bill,
    budgets: &Budgets,
    idle: Option<&Report>,
    opts: &AlarmOptions,
) -> Result<Evaluation, Error> {
    let mut eval = Evaluation {
        as_of: bill.period().map(|p| p.1),
        ..Default::default()
    };
    for b in &budgets.budgets {
        evaluate_budget(bill, b, opts, &mut eval)?;
    }
    if let Some(why) = anomaly::unwatchable(anomalies_in, &opts.anomaly.monitor) {
        return Err(InputError {
            file: "the usage file".into(),
            line: None,
            column: None,
            context: Some(format!("anomaly monitor `{}`", opts.anomaly.monitor)),
            message: why,
        }
        .into());
    }
    for a in anomaly::detect(anomalies_in, &opts.anomaly) {
        eval.alerts
            .push(anomaly_alert(&a, opts.anomaly.min_impact, &opts.currency));
    }
    if let Some(report) = idle {
        let month = eval
            .as_of
            .map(|d| month_start(d).format("%Y-%m").to_string())
            .unwrap_or_default();
        for o in &report.opportunities {
            if !matches!(
                o.kind,
                Kind::IdleInstance
                    | Kind::UnattachedVolume
                    | Kind::UnassociatedAddress
                    | Kind::StoppedInstanceVolume
            ) {
                continue;
            }
            eval.alerts.push(Alert {
                kind: AlertKind::Idle,
                id: format!("idle:{}:{}:{month}", o.kind.as_str(), o.resource_id),
                severity: Severity::Info,
                period: month.clone(),
                amount: cents(o.current_monthly),
                threshold: None,
                message: format!(
                    "{} {} in {} costs {} a month for nothing: {} (saves {} a month)",
                    o.kind.as_str(),
                    o.resource_id,
                    o.region,
                    show(&opts.currency, o.current_monthly),
                    o.action,
                    show(&opts.currency, o.monthly_saving)
                ),
                details: serde_json::json!({
                    "finding": o.kind.as_str(),
                    "resource_id": o.resource_id,
                    "region": o.region,
                    "action": o.action,
                    "monthly_cost": cents(o.current_monthly).to_string(),
                    "monthly_saving": cents(o.monthly_saving).to_string(),
                    "detail": o.detail,
                }),
            });
        }
    }
    Ok(eval)
}

/// The daily costs of the part of `bill` that filter `f` selects: what a budget with that filter
/// measures on a bill.
pub fn filtered_daily_costs(bill: &Bill, f: &Filter) -> DailyCosts {
    bill.daily_costs(|r| matches_filter(f, r, bill))
}

fn matches_filter(f: &Filter, r: &CostRow, bill: &Bill) -> bool {
    f.service.as_deref().is_none_or(|s| s == r.service)
        && f.region.as_deref().is_none_or(|s| s == r.region)
        && f.account
            .as_deref()
            .is_none_or(|a| bill.attribution.account(&r.resource_id) == Some(a))
        && f.tag
            .as_deref()
            .is_none_or(|t| bill.attribution.has_tag(&r.resource_id, t))
}

fn evaluate_budget(
    bill: &Bill,
    b: &Budget,
    opts: &AlarmOptions,
    eval: &mut Evaluation,
) -> Result<(), Error> {
    let currency = &opts.currency;
    let viewed = opts.costs.get(&b.name);
    // A budget that names a view is measured in it: from `opts.costs`, or on a bill in that view.
    if let (None, Some(v)) = (viewed, b.cost) {
        let shown = bill
            .view
            .map_or(crate::usage::costs::CostView::Repriced, |(v, _)| v);
        if v != shown {
            return Err(InputError {
                file: "budgets".into(),
                line: None,
                column: Some("cost".into()),
                context: Some(format!("budget `{}`", b.name)),
                message: format!(
                    "the budget measures {v} cost, and the bill here is in the {shown} view: show the bill in the {v} view (`cost` in bot.toml, `--cost` on the command line) or remove the budget's `cost`"
                ),
            }
            .into());
        }
    }
    let lacks = [
        (
            "account",
            &b.filter.account,
            bill.attribution.has_accounts,
            "an account column (account_id; CUR lineItem/UsageAccountId or \
             line_item_usage_account_id; FOCUS SubAccountId)",
        ),
        (
            "tag",
            &b.filter.tag,
            bill.attribution.has_tags,
            "tags (a `tags` column of key=value pairs separated by `;`; CUR resourceTags/… \
             columns or resource_tags; FOCUS Tags)",
        ),
    ];
    if b.filter.cost_category.is_some() && viewed.is_none() {
        return Err(InputError {
            file: "budgets".into(),
            line: None,
            column: Some("filter.cost_category".into()),
            context: Some(format!("budget `{}`", b.name)),
            message: "cost categories are read from a billing file's own cost columns: the budget needs a billing file (CUR or FOCUS) and a view other than `repriced`".into(),
        }
        .into());
    }
    for (key, value, present, needs) in lacks {
        if value.is_some() && !present && viewed.is_none() {
            return Err(InputError {
                file: "budgets".into(),
                line: None,
                column: Some(format!("filter.{key}")),
                context: Some(format!("budget `{}`", b.name)),
                message: format!("the usage file has no {key}s to filter on: it needs {needs}"),
            }
            .into());
        }
    }
    let costs = match viewed {
        Some(c) => c.clone(),
        None => filtered_daily_costs(bill, &b.filter),
    };
    let daily = costs.all();
    let Some(last) = eval.as_of else {
        return Ok(());
    };
    let first_of_month = month_start(last);
    let month = first_of_month.format("%Y-%m").to_string();
    let base = |kind: AlertKind, period: &str, t: &Threshold| alert_id(kind, b, period, t);
    match b.period {
        budgets::Period::Monthly => {
            let actual: Decimal = daily.range(first_of_month..=last).map(|(_, c)| *c).sum();
            let f = forecast_costs(&costs, month_end(last));
            let forecast = (!f.insufficient_data).then_some(f.forecast);
            eval.budgets.push(BudgetStatus {
                name: b.name.clone(),
                period_kind: "monthly".into(),
                period: month.clone(),
                filter: b.covers(),
                amount: b.amount,
                actual,
                forecast,
            });
            for t in &b.thresholds {
                let value = t.value(b.amount);
                match t.on {
                    On::Actual if actual >= value => {
                        eval.alerts
                            .push(budget_alert(currency, b, t, &month, actual, value, None));
                    }
                    On::Forecast => {
                        let above = forecast.is_some_and(|fc| fc >= value);
                        eval.forecast_checks.push(ForecastCheck {
                            base_id: base(AlertKind::BudgetForecast, &month, t),
                            above,
                        });
                        if above {
                            let fc = forecast.unwrap_or_default();
                            let extra = serde_json::json!({
                                "month_to_date": cents(actual).to_string(),
                                "p10": cents(f.p10).to_string(),
                                "p90": cents(f.p90).to_string(),
                                "days_of_data": f.days_of_data,
                            });
                            eval.alerts.push(budget_alert(
                                currency,
                                b,
                                t,
                                &month,
                                fc,
                                value,
                                Some(extra),
                            ));
                        }
                    }
                    On::Actual => {}
                }
            }
        }
        budgets::Period::Daily => {
            let next = last.succ_opt().unwrap_or(last);
            let f = forecast_month(&costs.daily, next);
            let expected_next = f
                .daily_expected
                .iter()
                .find(|(d, _)| *d == next)
                .map(|(_, e)| *e)
                .filter(|_| !f.insufficient_data);
            eval.budgets.push(BudgetStatus {
                name: b.name.clone(),
                period_kind: "daily".into(),
                period: last.to_string(),
                filter: b.covers(),
                amount: b.amount,
                actual: daily.get(&last).copied().unwrap_or_default(),
                forecast: expected_next,
            });
            for t in &b.thresholds {
                let value = t.value(b.amount);
                match t.on {
                    On::Actual => {
                        for (day, actual) in daily.range(first_of_month..=last) {
                            if *actual >= value {
                                let period = day.to_string();
                                eval.alerts.push(budget_alert(
                                    currency, b, t, &period, *actual, value, None,
                                ));
                            }
                        }
                    }
                    On::Forecast => {
                        let period = next.to_string();
                        let above = expected_next.is_some_and(|e| e >= value);
                        eval.forecast_checks.push(ForecastCheck {
                            base_id: base(AlertKind::BudgetForecast, &period, t),
                            above,
                        });
                        if above {
                            let e = expected_next.unwrap_or_default();
                            eval.alerts
                                .push(budget_alert(currency, b, t, &period, e, value, None));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// The id of a budget alert: kind, budget, period and threshold.
fn alert_id(kind: AlertKind, b: &Budget, period: &str, t: &Threshold) -> String {
    format!("{}:{}:{period}:{}", kind.as_str(), b.name, t.label())
}

fn budget_alert(
    currency: &crate::money::Currency,
    b: &Budget,
    t: &Threshold,
    period: &str,
    amount: Decimal,
    value: Decimal,
    extra: Option<serde_json::Value>,
) -> Alert {
    let (kind, what) = match t.on {
        On::Actual => (AlertKind::BudgetActual, "actual spend"),
        On::Forecast if b.period == budgets::Period::Daily => {
            (AlertKind::BudgetForecast, "expected spend")
        }
        On::Forecast => (AlertKind::BudgetForecast, "forecast spend"),
    };
    let severity = if t.on == On::Actual && amount >= b.amount {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let pct = if b.amount.is_zero() {
        Decimal::ZERO
    } else {
        (amount / b.amount * Decimal::ONE_HUNDRED).round_dp(1)
    };
    let mut details = serde_json::json!({
        "budget": b.name,
        "budget_period": b.period.as_str(),
        "filter": b.filter.describe(),
        "budget_amount": b.amount.to_string(),
        "threshold": t.label(),
        "on": t.on.as_str(),
        "percent_of_budget": pct.to_string(),
    });
    if let (Some(obj), Some(v)) = (details.as_object_mut(), b.cost) {
        obj.insert("cost_view".into(), v.name().into());
    }
    if let (Some(obj), Some(serde_json::Value::Object(more))) = (details.as_object_mut(), extra) {
        obj.extend(more);
    }
    Alert {
        kind,
        id: alert_id(kind, b, period, t),
        severity,
        period: period.to_string(),
        amount: cents(amount),
        threshold: Some(cents(value)),
        message: format!(
            "Budget `{}` ({}) {period}: {what} {} is {pct}% of the {} budget, at or over its threshold {}",
            b.name,
            b.covers(),
            show(currency, amount),
            show(currency, b.amount),
            match t.level {
                budgets::Level::Percent(p) =>
                    format!("of {}% ({})", p.normalize(), show(currency, value)),
                budgets::Level::Absolute(_) => format!("of {}", show(currency, value)),
            }
        ),
        details,
    }
}

fn anomaly_alert(a: &Anomaly, min_impact: Decimal, currency: &crate::money::Currency) -> Alert {
    let pct = a
        .impact_pct
        .map(|p| format!("+{p}%"))
        .unwrap_or_else(|| "new spend".into());
    let severity = if a.impact_pct.is_none_or(|p| p >= Decimal::ONE_HUNDRED) {
        Severity::Critical
    } else {
        Severity::Warning
    };
    let movers: Vec<String> = a
        .top_resources
        .iter()
        .map(|m| format!("{} +{}", m.resource_id, show(currency, m.impact)))
        .collect();
    Alert {
        kind: AlertKind::Anomaly,
        id: match (&a.monitored, &a.account) {
            (Some(m), _) => format!("anomaly:{m}:{}", a.day),
            (None, Some(acc)) => format!("anomaly:{acc}:{}:{}:{}", a.service, a.region, a.day),
            (None, None) => format!("anomaly:{}:{}:{}", a.service, a.region, a.day),
        },
        severity,
        period: a.day.to_string(),
        amount: cents(a.impact),
        threshold: Some(cents(min_impact)),
        message: format!(
            "Cost anomaly on {}: {} cost {}, expected {}: +{} ({}){}{}",
            a.day,
            match &a.monitored {
                Some(m) => format!("{m} (most in {} in {})", a.service, a.region),
                None => format!(
                    "{} in {}{}",
                    a.service,
                    a.region,
                    a.account
                        .as_ref()
                        .map(|acc| format!(" (account {acc})"))
                        .unwrap_or_default()
                ),
            },
            show(currency, a.actual),
            show(currency, a.expected),
            show(currency, a.impact),
            pct,
            match (&a.usage_type, &a.usage) {
                (Some(u), Some(what)) => format!("; usage type {u} ({what})"),
                (Some(u), None) => format!("; usage type {u}"),
                _ => String::new(),
            },
            {
                let mut why = String::new();
                for n in &a.new_resources {
                    why.push_str(&format!(
                        "; {} resources of {} that were not running the day before ({})",
                        n.count,
                        n.usage,
                        show(currency, n.cost)
                    ));
                }
                if !movers.is_empty() {
                    why.push_str(&format!("; top resources: {}", movers.join(", ")));
                }
                why
            }
        ),
        details: serde_json::json!({
            "monitored": a.monitored,
            "service": a.service,
            "region": a.region,
            "account": a.account,
            "day": a.day.to_string(),
            "actual": cents(a.actual).to_string(),
            "expected": cents(a.expected).to_string(),
            "impact": cents(a.impact).to_string(),
            "impact_pct": a.impact_pct.map(|p| p.to_string()),
            "usage_type": a.usage_type,
            "usage": a.usage,
            "new_resources": a.new_resources.iter().map(|n| serde_json::json!({
                "usage": n.usage,
                "count": n.count,
                "cost": cents(n.cost).to_string(),
            })).collect::<Vec<_>>(),
            "top_resources": a.top_resources.iter().map(|m| serde_json::json!({
                "resource_id": m.resource_id,
                "actual": cents(m.actual).to_string(),
                "expected": cents(m.expected).to_string(),
                "impact": cents(m.impact).to_string(),
            })).collect::<Vec<_>>(),
            "history_days": a.history_days,
        }),
    }
}
