//! Alerts for people (a table, Markdown) and for programs (a stable JSON list, CSV).

use crate::alarms::{Alert, BudgetStatus};
use crate::money::Currency;

use super::{Format, md, new_table};

/// What `cloudcost alarms` shows: the budgets' standing and the alerts.
pub struct AlarmsView<'a> {
    /// The usage file, for the heading.
    pub file: &'a str,
    /// The last day of data.
    pub as_of: Option<chrono::NaiveDate>,
    /// Each budget's standing.
    pub budgets: &'a [BudgetStatus],
    /// The alerts to show (all that hold, or only the new ones when a state is kept).
    pub alerts: &'a [Alert],
    /// True when only alerts that had not fired before are shown.
    pub new_only: bool,
    /// Display currency (the JSON keeps USD, as the bot reads it).
    pub currency: &'a Currency,
}

/// Renders the alerts. JSON is the list of alerts exactly as the bot consumes it (USD decimal
/// strings); the other formats add the budgets' standing.
pub fn render(v: &AlarmsView<'_>, format: Format) -> String {
    match format {
        Format::Json => serde_json::to_string_pretty(v.alerts).unwrap_or_default() + "\n",
        Format::Csv => csv(v),
        Format::Table => table(v),
        Format::Markdown => markdown(v),
    }
}

fn money(v: &AlarmsView<'_>, d: rust_decimal::Decimal) -> String {
    v.currency.format(crate::Money::usd(d))
}

fn table(v: &AlarmsView<'_>) -> String {
    let mut out = format!(
        "Alarms for {}{}\n",
        v.file,
        v.as_of
            .map(|d| format!(" (data through {d})"))
            .unwrap_or_default()
    );
    if !v.budgets.is_empty() {
        let mut t = new_table(&[
            "budget", "period", "covers", "amount", "actual", "forecast", "used",
        ]);
        for b in v.budgets {
            let used = if b.amount.is_zero() {
                String::new()
            } else {
                format!(
                    "{}%",
                    (b.actual / b.amount * rust_decimal::Decimal::ONE_HUNDRED).round_dp(1)
                )
            };
            t.add_row(vec![
                b.name.clone(),
                format!("{} {}", b.period_kind, b.period),
                b.filter.clone(),
                money(v, b.amount),
                money(v, b.actual),
                b.forecast
                    .map(|f| money(v, f))
                    .unwrap_or_else(|| "insufficient data".into()),
                used,
            ]);
        }
        out.push_str(&format!("{t}\n"));
    }
    let what = if v.new_only { "new alerts" } else { "alerts" };
    if v.alerts.is_empty() {
        out.push_str(&format!("No {what}.\n"));
        return out;
    }
    out.push_str(&format!("{} {what}:\n", v.alerts.len()));
    let mut t = new_table(&[
        "severity",
        "kind",
        "period",
        "amount",
        "threshold",
        "message",
    ]);
    for a in v.alerts {
        t.add_row(vec![
            a.severity.as_str().to_string(),
            a.kind.as_str().to_string(),
            a.period.clone(),
            money(v, a.amount),
            a.threshold.map(|x| money(v, x)).unwrap_or_default(),
            a.message.clone(),
        ]);
    }
    out.push_str(&format!("{t}\n"));
    out
}

fn markdown(v: &AlarmsView<'_>) -> String {
    let mut out = format!("# Alarms for {}\n\n", md(v.file));
    if !v.budgets.is_empty() {
        out.push_str("| budget | period | covers | amount | actual | forecast |\n|---|---|---|---:|---:|---:|\n");
        for b in v.budgets {
            out.push_str(&format!(
                "| {} | {} {} | {} | {} | {} | {} |\n",
                md(&b.name),
                b.period_kind,
                b.period,
                md(&b.filter),
                money(v, b.amount),
                money(v, b.actual),
                b.forecast
                    .map(|f| money(v, f))
                    .unwrap_or_else(|| "insufficient data".into())
            ));
        }
        out.push('\n');
    }
    out.push_str("| severity | kind | id | amount | message |\n|---|---|---|---:|---|\n");
    for a in v.alerts {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            a.severity.as_str(),
            a.kind.as_str(),
            md(&a.id),
            money(v, a.amount),
            md(&a.message)
        ));
    }
    out
}

fn csv(v: &AlarmsView<'_>) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "kind",
        "id",
        "severity",
        "period",
        "amount",
        "threshold",
        "message",
    ]);
    for a in v.alerts {
        let _ = w.write_record([
            a.kind.as_str(),
            &a.id,
            a.severity.as_str(),
            &a.period,
            &a.amount.to_string(),
            &a.threshold.map(|t| t.to_string()).unwrap_or_default(),
            &a.message,
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
