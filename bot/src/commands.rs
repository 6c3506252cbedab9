//! The commands: parsing and validating what users type, and the text of each reply.
//!
//! Parsing is strict: an argument that does not fit (`/top abc`, `/bill 2026-13`, `/mute -1`)
//! is answered with the reason and the expected form. Replies are HTML (see [`crate::format`]):
//! money in the configured currency, tables in `<pre>`, every dynamic text escaped. The figures
//! come from the library (`Bill`, `Bill::month_forecast`, `savings::Report`); these functions only
//! present them.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use cloudcost::bill::{Bill, PricingModel};
use cloudcost::forecast::{month_end, month_start};
use cloudcost::money::Currency;
use cloudcost::savings::Report;
use rust_decimal::Decimal;

use crate::format::{escape, money, table};
use crate::monitor::{AlertView, BudgetView};

/// The commands and their one-line descriptions (the menu and `/help`).
pub const HELP: [(&str, &str); 14] = [
    ("start", "what this bot does"),
    ("help", "the commands"),
    ("bill", "month to date, or /bill YYYY-MM"),
    ("today", "the latest day's cost"),
    ("forecast", "month-end forecast with its P10-P90 band"),
    ("top", "most expensive resources: /top [n]"),
    ("report", "daily-cost and forecast charts"),
    ("recommend", "the top savings"),
    (
        "budget",
        "budgets; admins: /budget set [name] AMOUNT (in USD)",
    ),
    ("alarms", "recent alarms"),
    ("subscribe", "daily digest and alarms in this chat"),
    ("unsubscribe", "stop the digest and alarms here"),
    ("mute", "hold alarms and digest: /mute HOURS (or /mute off)"),
    ("status", "what data the bot reads"),
];

/// Longest `/mute`, hours (30 days).
pub const MAX_MUTE_HOURS: u32 = 720;
/// Most rows `/top` shows.
pub const MAX_TOP: usize = 100;

/// A parsed command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// `/start`
    Start,
    /// `/help`
    Help,
    /// `/bill [YYYY-MM]`: the month (its first day), or the latest month of data.
    Bill(Option<NaiveDate>),
    /// `/today`
    Today,
    /// `/forecast`
    Forecast,
    /// `/top [n]`
    Top(usize),
    /// `/report`
    Report,
    /// `/recommend`
    Recommend,
    /// `/budget`
    BudgetShow,
    /// `/budget set [name] AMOUNT` (the amount is validated by the alarm engine).
    BudgetSet {
        /// The budget; `None` when the user named none.
        name: Option<String>,
        /// The amount as typed.
        amount: String,
    },
    /// `/alarms`
    Alarms,
    /// `/subscribe`
    Subscribe,
    /// `/unsubscribe`
    Unsubscribe,
    /// `/mute HOURS`; `Mute(0)` unmutes.
    Mute(u32),
    /// `/status`
    Status,
}

/// Parses a message. `None` when it is not a command for this bot (plain text, or a command
/// addressed to another bot); `Some(Err(reason))` when it is one but its arguments are wrong.
pub fn parse(text: &str, bot_username: &str) -> Option<Result<Command, String>> {
    let text = text.trim();
    let rest = text.strip_prefix('/')?;
    let mut words = rest.split_whitespace();
    let head = words.next()?;
    let (name, addressee) = match head.split_once('@') {
        Some((n, a)) => (n, Some(a)),
        None => (head, None),
    };
    if let Some(a) = addressee
        && !a.eq_ignore_ascii_case(bot_username)
    {
        return None;
    }
    let args: Vec<&str> = words.collect();
    let name = name.to_ascii_lowercase();
    let no_args = |c: Command| {
        if args.is_empty() {
            Ok(c)
        } else {
            Err(format!("/{name} takes no arguments"))
        }
    };
    Some(match name.as_str() {
        "start" => Ok(Command::Start),
        "help" => Ok(Command::Help),
        "bill" => match args.as_slice() {
            [] => Ok(Command::Bill(None)),
            [m] => parse_month(m).map(|d| Command::Bill(Some(d))),
            _ => Err("usage: /bill or /bill YYYY-MM, e.g. /bill 2026-10".into()),
        },
        "today" => no_args(Command::Today),
        "forecast" => no_args(Command::Forecast),
        "top" => match args.as_slice() {
            [] => Ok(Command::Top(10)),
            [n] => match n.parse::<usize>() {
                Ok(n) if (1..=MAX_TOP).contains(&n) => Ok(Command::Top(n)),
                _ => Err(format!(
                    "usage: /top [n], n a whole number from 1 to {MAX_TOP}; got \"{n}\""
                )),
            },
            _ => Err("usage: /top [n]".into()),
        },
        "report" => no_args(Command::Report),
        "recommend" => no_args(Command::Recommend),
        "budget" | "budgets" => match args.as_slice() {
            [] => Ok(Command::BudgetShow),
            ["set", amount] => Ok(Command::BudgetSet {
                name: None,
                amount: amount.to_string(),
            }),
            ["set", name, amount] => Ok(Command::BudgetSet {
                name: Some(name.to_string()),
                amount: amount.to_string(),
            }),
            _ => Err("usage: /budget, or /budget set [name] AMOUNT, e.g. /budget set 1500".into()),
        },
        "alarms" | "alerts" => no_args(Command::Alarms),
        "subscribe" => no_args(Command::Subscribe),
        "unsubscribe" => no_args(Command::Unsubscribe),
        "mute" => match args.as_slice() {
            ["off"] | ["0"] => Ok(Command::Mute(0)),
            [h] => match h.parse::<u32>() {
                Ok(h) if (1..=MAX_MUTE_HOURS).contains(&h) => Ok(Command::Mute(h)),
                _ => Err(format!(
                    "usage: /mute HOURS, a whole number from 1 to {MAX_MUTE_HOURS} (or /mute off); got \"{h}\""
                )),
            },
            _ => Err("usage: /mute HOURS, e.g. /mute 8, or /mute off".into()),
        },
        "status" => no_args(Command::Status),
        other => Err(format!(
            "unknown command /{other}; /help lists the commands"
        )),
    })
}

fn parse_month(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()))
        .ok_or_else(|| format!("\"{text}\" is not a month as YYYY-MM, e.g. 2026-10"))
}

/// `/start`.
pub fn start_text() -> String {
    "<b>cloudcost</b> prices your AWS usage offline and posts it here: the bill, a month-end \
     forecast, charts, savings and alarms when a budget or an anomaly is crossed.\n\n\
     /subscribe for the daily digest and alarms in this chat; /help for every command."
        .to_string()
}

/// `/help`.
pub fn help_text() -> String {
    let mut s = String::from("<b>Commands</b>\n");
    for (c, d) in HELP {
        s.push_str(&format!("/{c} — {}\n", escape(d)));
    }
    s.trim_end().to_string()
}

/// Cost by day and service, exact.
fn by_day_service(bill: &Bill) -> BTreeMap<(NaiveDate, String), Decimal> {
    bill.sum_by(|r| (r.day, r.service.as_str()))
        .into_iter()
        .map(|((day, service), v)| ((day, service.to_string()), v.amount()))
        .collect()
}

/// "+12.3%" from `old` to `new` (None when `old` is zero).
fn change(old: Decimal, new: Decimal) -> Option<String> {
    if old.is_zero() {
        return None;
    }
    let pct = ((new - old) / old * Decimal::ONE_HUNDRED).round_dp(1);
    Some(if pct.is_sign_negative() {
        format!("{pct}%")
    } else {
        format!("+{pct}%")
    })
}

fn no_data() -> String {
    "No usage data yet: the usage source has no priced rows.".into()
}

/// Totals by service over days `from..=to`.
fn services_between(
    cells: &BTreeMap<(NaiveDate, String), Decimal>,
    from: NaiveDate,
    to: NaiveDate,
) -> BTreeMap<String, Decimal> {
    let mut m = BTreeMap::new();
    for ((d, s), c) in cells {
        if *d >= from && *d <= to {
            *m.entry(s.clone()).or_insert(Decimal::ZERO) += *c;
        }
    }
    m
}

/// `/bill [YYYY-MM]`: the month's total, top services, and the change against the same days
/// of the month before.
pub fn bill_text(bill: &Bill, month: Option<NaiveDate>, cur: &Currency) -> String {
    let Some((first_data, last_data)) = bill.period() else {
        return no_data();
    };
    let start = month.unwrap_or_else(|| month_start(last_data));
    let end = month_end(start);
    let cells = by_day_service(bill);
    let in_month: Vec<NaiveDate> = cells
        .keys()
        .map(|(d, _)| *d)
        .filter(|d| *d >= start && *d <= end)
        .collect();
    let label = start.format("%Y-%m").to_string();
    let (Some(&from), Some(&to)) = (in_month.iter().min(), in_month.iter().max()) else {
        return format!(
            "No cost in {label}: the data covers {first_data} to {last_data}. Try /bill {}.",
            last_data.format("%Y-%m")
        );
    };
    let services = services_between(&cells, start, to);
    let total: Decimal = services.values().copied().sum();
    let complete = to == end && from == start;
    let mut s = format!(
        "<b>Bill {label}</b> ({}{})\nTotal: <b>{}</b>\n",
        if complete {
            "whole month".to_string()
        } else {
            format!("{from} to {to}, month to date")
        },
        bill.view
            .map(|(v, _)| format!(", {v} cost"))
            .unwrap_or_default(),
        money(cur, total)
    );
    // A billing file's own view: the re-priced bill beside it.
    if let Some((_, repriced)) = bill.view {
        s.push_str(&format!(
            "re-priced by cloudcost: {} (all of the file's data)\n",
            money(cur, repriced.amount())
        ));
    } else if bill.billed.is_some() {
        // A billing file's bill is the whole bill: say what cloudcost re-priced and what it
        // took as the file billed it.
        let mut parts = [Decimal::ZERO; 3];
        for r in bill.rows.iter().filter(|r| r.day >= start && r.day <= to) {
            let i = match r.model {
                PricingModel::Carried => 1,
                PricingModel::Charge | PricingModel::PeriodCharge => 2,
                _ => 0,
            };
            parts[i] += r.cost.amount();
        }
        s.push_str(&format!(
            "re-priced {} · usage as billed {} · charges {}\n",
            money(cur, parts[0]),
            money(cur, parts[1]),
            money(cur, parts[2])
        ));
    }
    // The same days of the previous month.
    let prev_start = start
        .checked_sub_months(chrono::Months::new(1))
        .unwrap_or(start);
    let prev_to = prev_start
        .with_day(to.day())
        .unwrap_or_else(|| month_end(prev_start));
    let prev = services_between(&cells, prev_start, prev_to);
    let prev_total: Decimal = prev.values().copied().sum();
    if prev.is_empty() {
        s.push_str(&format!("vs {}: no data\n", prev_start.format("%Y-%m")));
    } else {
        s.push_str(&format!(
            "vs {} (days 1–{}): {} ({})\n",
            prev_start.format("%Y-%m"),
            prev_to.day(),
            money(cur, prev_total),
            change(prev_total, total).unwrap_or_else(|| "n/a".into())
        ));
    }
    let mut ranked: Vec<(&String, &Decimal)> = services.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let rows: Vec<Vec<String>> = ranked
        .iter()
        .take(8)
        .map(|(name, cost)| {
            let before = prev.get(*name).copied().unwrap_or_default();
            vec![
                name.to_string(),
                money(cur, **cost),
                change(before, **cost).unwrap_or_else(|| "new".into()),
            ]
        })
        .collect();
    s.push_str(&table(&["Service", "Cost", "Change"], &rows));
    s
}

/// `/today`: the latest day of data against the day before.
pub fn today_text(bill: &Bill, cur: &Currency) -> String {
    let Some((_, last)) = bill.period() else {
        return no_data();
    };
    let cells = by_day_service(bill);
    let day = services_between(&cells, last, last);
    let before_day = last.pred_opt().unwrap_or(last);
    let before = services_between(&cells, before_day, before_day);
    let total: Decimal = day.values().copied().sum();
    let before_total: Decimal = before.values().copied().sum();
    let mut s = format!(
        "<b>{last}</b> (latest day of data)\nTotal: <b>{}</b>",
        money(cur, total)
    );
    if let Some(c) = change(before_total, total) {
        s.push_str(&format!(
            " ({c} vs {before_day}: {})",
            money(cur, before_total)
        ));
    }
    s.push('\n');
    let mut ranked: Vec<(&String, &Decimal)> = day.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let rows: Vec<Vec<String>> = ranked
        .iter()
        .map(|(n, c)| vec![n.to_string(), money(cur, **c)])
        .collect();
    s.push_str(&table(&["Service", "Cost"], &rows));
    s
}

/// `/forecast`.
pub fn forecast_text(bill: &Bill, budget: Option<Decimal>, cur: &Currency) -> String {
    let Some((last, f)) = bill.month_forecast() else {
        return no_data();
    };
    let mut s = format!(
        "<b>Forecast {}</b> (data through {last})\nMonth to date: {}\n",
        last.format("%Y-%m"),
        money(cur, f.month_to_date)
    );
    if f.insufficient_data {
        s.push_str(&format!(
            "Only {} day(s) of data: no forecast before {} days.",
            f.days_of_data,
            cloudcost::forecast::MIN_DAYS
        ));
        return s;
    }
    s.push_str(&format!(
        "Month-end forecast: <b>{}</b>\nP10–P90: {} – {}\n",
        money(cur, f.forecast),
        money(cur, f.p10),
        money(cur, f.p90)
    ));
    if let Some(b) = budget.filter(|b| !b.is_zero()) {
        let pct = (f.forecast / b * Decimal::ONE_HUNDRED).round_dp(0);
        s.push_str(&format!("Budget: {} (forecast at {pct}%)\n", money(cur, b)));
    }
    s.push_str(&format!("Based on {} day(s) of data.", f.days_of_data));
    s
}

/// `/top [n]`: the most expensive resources over the whole period of data.
pub fn top_text(bill: &Bill, n: usize, cur: &Currency) -> String {
    let Some((first, last)) = bill.period() else {
        return no_data();
    };
    let rows: Vec<Vec<String>> = bill
        .by_resource()
        .into_iter()
        .take(n)
        .map(|(r, svc, c)| vec![r, svc, money(cur, c.amount())])
        .collect();
    format!(
        "<b>Top {} resources</b> ({first} to {last}{})\n{}",
        rows.len(),
        bill.view
            .map(|(v, _)| format!(", {v} cost"))
            .unwrap_or_default(),
        table(&["Resource", "Service", "Cost"], &rows)
    )
}

/// `/recommend`: the top savings.
pub fn recommend_text(report: &Report, cur: &Currency) -> String {
    let top: Vec<_> = report.savings().take(5).collect();
    if top.is_empty() {
        return "No savings found in the current data.".into();
    }
    let mut s = format!(
        "<b>Top savings</b>: {} a month in all ({} opportunities)\n",
        money(cur, report.total_monthly_saving()),
        report.savings().count()
    );
    for (i, o) in top.iter().enumerate() {
        s.push_str(&format!(
            "\n{}. <b>{}</b> a month — {}\n<code>{}</code> ({})",
            i + 1,
            money(cur, o.monthly_saving),
            escape(&o.action),
            escape(&o.resource_id),
            escape(o.kind.as_str())
        ));
    }
    s
}

/// `/budget`.
pub fn budget_text(budgets: &[BudgetView], cur: &Currency) -> String {
    if budgets.is_empty() {
        return "No budgets are defined in budgets.toml.".into();
    }
    let rows: Vec<Vec<String>> = budgets
        .iter()
        .map(|b| {
            let pct = if b.amount.is_zero() {
                "-".to_string()
            } else {
                format!(
                    "{}%",
                    (b.actual / b.amount * Decimal::ONE_HUNDRED).round_dp(0)
                )
            };
            vec![
                format!("{} ({})", b.name, b.period),
                money(cur, b.amount),
                money(cur, b.actual),
                pct,
                b.forecast
                    .map(|f| money(cur, f))
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    format!(
        "<b>Budgets</b>\n{}",
        table(&["Budget", "Amount", "Actual", "Used", "Forecast"], &rows)
    )
}

fn severity_mark(severity: &str) -> &'static str {
    match severity {
        "critical" => "🔴",
        "warning" => "🟠",
        _ => "🔵",
    }
}

/// The message an alert is posted as.
pub fn alert_text(a: &AlertView) -> String {
    format!(
        "{} <b>Alarm</b> ({}, {})\n{}",
        severity_mark(&a.severity),
        escape(&a.kind),
        escape(&a.period),
        escape(&a.message)
    )
}

/// `/alarms`.
pub fn alarms_text(alerts: &[AlertView]) -> String {
    if alerts.is_empty() {
        return "No alarm has fired yet.".into();
    }
    let mut s = String::from("<b>Recent alarms</b>\n");
    for a in alerts {
        s.push_str(&format!(
            "\n{} {} {}: {}",
            severity_mark(&a.severity),
            escape(&a.period),
            escape(&a.kind),
            escape(&a.message)
        ));
    }
    s
}

/// The daily digest: the latest day, month to date, forecast, top services and budgets.
pub fn digest_text(bill: &Bill, budgets: &[BudgetView], cur: &Currency) -> String {
    let Some((last, f)) = bill.month_forecast() else {
        return format!("<b>Daily digest</b>\n{}", no_data());
    };
    let cells = by_day_service(bill);
    let day_total: Decimal = services_between(&cells, last, last).values().copied().sum();
    let month = services_between(&cells, month_start(last), last);
    let mut ranked: Vec<(&String, &Decimal)> = month.iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let mut s = format!(
        "<b>Daily digest</b> — data through {last}{}\n{last}: <b>{}</b>\nMonth to date: <b>{}</b>\n",
        bill.view
            .map(|(v, _)| format!(" ({v} cost)"))
            .unwrap_or_default(),
        money(cur, day_total),
        money(cur, f.month_to_date)
    );
    if !f.insufficient_data {
        s.push_str(&format!(
            "Forecast: {} (P10–P90 {} – {})\n",
            money(cur, f.forecast),
            money(cur, f.p10),
            money(cur, f.p90)
        ));
    }
    let rows: Vec<Vec<String>> = ranked
        .iter()
        .take(5)
        .map(|(n, c)| vec![n.to_string(), money(cur, **c)])
        .collect();
    s.push_str(&table(&["Service", "Month to date"], &rows));
    for b in budgets {
        s.push_str(&format!(
            "\nBudget {}: {} of {}",
            escape(&b.name),
            money(cur, b.actual),
            money(cur, b.amount)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(t: &str) -> Result<Command, String> {
        parse(t, "costbot").unwrap()
    }

    #[test]
    fn parses_commands_and_arguments() {
        assert_eq!(p("/bill"), Ok(Command::Bill(None)));
        assert_eq!(
            p("/bill@CostBot 2026-09"),
            Ok(Command::Bill(NaiveDate::from_ymd_opt(2026, 9, 1)))
        );
        assert_eq!(p("/top"), Ok(Command::Top(10)));
        assert_eq!(p("/top 3"), Ok(Command::Top(3)));
        assert_eq!(p("/mute 8"), Ok(Command::Mute(8)));
        assert_eq!(p("/mute off"), Ok(Command::Mute(0)));
        assert_eq!(
            p("/budget set 1500"),
            Ok(Command::BudgetSet {
                name: None,
                amount: "1500".into()
            })
        );
        assert!(parse("hello", "costbot").is_none());
        assert!(parse("/bill@otherbot", "costbot").is_none());
    }

    #[test]
    fn refuses_bad_arguments_with_a_reason() {
        for bad in [
            "/bill 2026-13",
            "/bill october",
            "/top 0",
            "/top abc",
            "/top 1000",
            "/mute -1",
            "/mute 1e9",
            "/mute 9999",
            "/today now",
            "/frobnicate",
        ] {
            let e = p(bad).unwrap_err();
            assert!(!e.is_empty(), "{bad}");
        }
        assert!(p("/top abc").unwrap_err().contains("abc"));
    }

    #[test]
    fn a_billing_file_bill_says_what_was_re_priced_and_what_was_billed() {
        let cat = cloudcost::catalog::Catalog::embedded().unwrap();
        let f = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/usage/cur1_2026-10.csv"
        );
        let (_, bill) =
            cloudcost::analysis::price_file(&cat, std::path::Path::new(f), None).unwrap();
        let t = bill_text(&bill, None, &Currency::usd());
        // tests/it/estimate.rs works the figures out: 15.76 re-priced, RDS 0.60 as billed,
        // tax 1.39 and a credit of 5 (-3.61).
        assert!(t.contains("Total: <b>$12.75</b>"), "{t}");
        assert!(
            t.contains("re-priced $15.76 · usage as billed $0.60 · charges -$3.61"),
            "{t}"
        );
    }

    #[test]
    fn alert_text_is_escaped() {
        let a = AlertView {
            id: "x".into(),
            kind: "anomaly".into(),
            severity: "critical".into(),
            period: "2026-10-14".into(),
            message: "ec2 <spike> & more".into(),
        };
        let t = alert_text(&a);
        assert!(t.contains("ec2 &lt;spike&gt; &amp; more"), "{t}");
    }

    #[test]
    fn change_is_signed() {
        assert_eq!(
            change(Decimal::from(100), Decimal::from(110)).as_deref(),
            Some("+10.0%")
        );
        assert_eq!(
            change(Decimal::from(100), Decimal::from(90)).as_deref(),
            Some("-10.0%")
        );
        assert_eq!(change(Decimal::ZERO, Decimal::ONE), None);
    }
}
