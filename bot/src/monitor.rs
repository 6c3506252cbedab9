//! What the bot needs from the alarm engine, as one small trait: evaluate the alarms over a new
//! bill and get back only the alerts that had not fired before, the budgets' status, the recent
//! alerts, and changing a budget's amount.
//!
//! The implementation over `cloudcost::alarms` (budgets.toml, `evaluate`, `AlarmState`) is
//! [`crate::alarms::LibraryAlarms`]; the bot re-implements none of it. The views here are the
//! few fields the messages show.

use cloudcost::bill::Bill;
use cloudcost::savings::Report;
use rust_decimal::Decimal;

/// An alert, as a message shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertView {
    /// Stable id (deduplication key of the outbox).
    pub id: String,
    /// `budget-actual`, `budget-forecast`, `anomaly` or `idle`.
    pub kind: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// The period it concerns, e.g. `2026-10` or `2026-10-14`.
    pub period: String,
    /// The alarm engine's one-line message (plain text: escape it).
    pub message: String,
}

/// A budget's status, as `/budget` and the digest show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetView {
    /// Budget name.
    pub name: String,
    /// The period evaluated, e.g. `2026-10`.
    pub period: String,
    /// `monthly` or `daily`.
    pub period_kind: String,
    /// Budget amount, USD.
    pub amount: Decimal,
    /// Actual spend in the period, USD.
    pub actual: Decimal,
    /// Forecast spend for the period, USD, when there is one.
    pub forecast: Option<Decimal>,
}

/// The daily costs of the budgets that measure another cost view than the bill shown, by budget
/// name (`cloudcost::analysis::price_file_for_budgets`).
pub type ViewCosts = std::collections::BTreeMap<String, cloudcost::forecast::DailyCosts>;

/// The alarm engine, as the bot uses it.
pub trait AlarmEngine: Send {
    /// Evaluates the alarms over `bill` and `costs` (idle alerts from `recommendations` when given),
    /// records them, and returns only the alerts that had not fired before.
    fn check(
        &mut self,
        bill: &Bill,
        costs: &ViewCosts,
        recommendations: Option<&Report>,
    ) -> Result<Vec<AlertView>, String>;
    /// The budgets' status over `bill` (and `costs`, those measured in another view).
    fn status(&self, bill: &Bill, costs: &ViewCosts) -> Result<Vec<BudgetView>, String>;
    /// The most recent alerts that fired, newest first.
    fn recent(&self, limit: usize) -> Result<Vec<AlertView>, String>;
    /// Names of the budgets.
    fn budget_names(&self) -> Vec<String>;
    /// The monthly budget drawn on the forecast chart (the first monthly budget).
    fn monthly_budget(&self) -> Option<Decimal>;
    /// Validates a user-typed amount and sets the budget to it (in memory: the caller persists
    /// it). Returns the amount, or a reason the user can read.
    fn set_budget(&mut self, name: &str, amount_text: &str) -> Result<Decimal, String>;
}
