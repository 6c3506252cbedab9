//! The alarm engine of the library, as the bot uses it: `budgets.toml` (with the amounts set
//! through `/budget set` applied over it), `cloudcost::alarms::evaluate` over each new bill, and
//! `AlarmState` (tables `alarm_` in the bot's own database) to know which alerts are new.
//!
//! `/budget set` does not rewrite `budgets.toml`: the new amount is stored in the bot's
//! database (`bot_budget_overrides`) and applied after every load of the file, so the file
//! stays as its owner wrote it and a restart keeps the change.

use cloudcost::alarms::{AlarmOptions, AlarmState, Alert, Budgets, evaluate, parse_amount};
use cloudcost::bill::Bill;
use cloudcost::savings::Report;
use rust_decimal::Decimal;

use crate::config::Config;
use crate::monitor::{AlarmEngine, AlertView, BudgetView, ViewCosts};

/// Why the alarm engine could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AlarmsError {
    /// budgets.toml or the alarm state could not be read.
    #[error(transparent)]
    Library(#[from] cloudcost::Error),
    /// The bot's database could not be read.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// `cloudcost::alarms` behind [`AlarmEngine`].
pub struct LibraryAlarms {
    budgets: Budgets,
    state: AlarmState,
    options: AlarmOptions,
}

impl LibraryAlarms {
    /// Loads the budgets (with the stored overrides) and opens the alarm state in the bot's
    /// database.
    pub fn open(cfg: &Config) -> Result<LibraryAlarms, AlarmsError> {
        let mut budgets = match &cfg.budgets {
            Some(b) => Budgets::load(b)?,
            None => Budgets::default(),
        };
        let store = crate::store::Store::open(&cfg.database)?;
        for (name, amount) in store.budget_overrides()? {
            if let Err(e) = budgets.set_amount(&name, amount) {
                crate::log::info(&format!("budget override {name} not applied: {e}"));
            }
        }
        Ok(LibraryAlarms {
            budgets,
            state: AlarmState::open(&cfg.database)?,
            options: AlarmOptions {
                currency: cfg.currency.clone(),
                anomaly: cloudcost::alarms::AnomalyOptions {
                    monitor: cfg.monitor.clone(),
                    ..Default::default()
                },
                ..AlarmOptions::default()
            },
        })
    }
}

impl LibraryAlarms {
    /// The options, with the budgets measured in another view than the bill's.
    fn options_with(&self, costs: &ViewCosts) -> AlarmOptions {
        AlarmOptions {
            costs: costs.clone(),
            ..self.options.clone()
        }
    }

    /// The budgets, as loaded (the bill's data measures those that name another view).
    pub fn budgets(&self) -> &Budgets {
        &self.budgets
    }
}

fn view(a: &Alert) -> AlertView {
    AlertView {
        id: a.id.clone(),
        kind: a.kind.as_str().to_string(),
        severity: a.severity.as_str().to_string(),
        period: a.period.clone(),
        message: a.message.clone(),
    }
}

impl AlarmEngine for LibraryAlarms {
    fn check(
        &mut self,
        bill: &Bill,
        costs: &ViewCosts,
        recommendations: Option<&Report>,
    ) -> Result<Vec<AlertView>, String> {
        let eval = evaluate(
            bill,
            &self.budgets,
            recommendations,
            &self.options_with(costs),
        )
        .map_err(|e| e.to_string())?;
        let new = self.state.record(&eval).map_err(|e| e.to_string())?;
        Ok(new.iter().map(view).collect())
    }

    fn status(&self, bill: &Bill, costs: &ViewCosts) -> Result<Vec<BudgetView>, String> {
        let eval = evaluate(bill, &self.budgets, None, &self.options_with(costs))
            .map_err(|e| e.to_string())?;
        Ok(eval
            .budgets
            .into_iter()
            .map(|b| BudgetView {
                name: b.name,
                period: b.period,
                period_kind: b.period_kind,
                amount: b.amount,
                actual: b.actual,
                forecast: b.forecast,
            })
            .collect())
    }

    fn recent(&self, limit: usize) -> Result<Vec<AlertView>, String> {
        self.state
            .recent(limit)
            .map(|v| v.iter().map(view).collect())
            .map_err(|e| e.to_string())
    }

    fn budget_names(&self) -> Vec<String> {
        self.budgets
            .budgets
            .iter()
            .map(|b| b.name.clone())
            .collect()
    }

    fn monthly_budget(&self) -> Option<Decimal> {
        self.budgets
            .budgets
            .iter()
            .find(|b| b.period.as_str() == "monthly")
            .map(|b| b.amount)
    }

    fn set_budget(&mut self, name: &str, amount_text: &str) -> Result<Decimal, String> {
        let amount = parse_amount(amount_text)?;
        self.budgets.set_amount(name, amount)?;
        Ok(amount)
    }
}
