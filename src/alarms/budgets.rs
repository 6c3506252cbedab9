//! Budgets, in the manner of AWS Budgets: a `budgets.toml` of named budgets, each a monthly or
//! daily amount over the whole bill or a filtered part of it, with thresholds on the actual spend
//! or on the forecast. The file's keys are a fixed contract (keys may be added, never renamed):
//!
//! ```toml
//! [[budget]]
//! name = "monthly"
//! period = "monthly"            # monthly | daily
//! amount = 1500                 # in USD
//! filter = { service = "ec2" }  # optional: service, region, account, tag
//! thresholds = [ { percent = 80, on = "forecast" }, { percent = 100, on = "actual" }, { absolute = 1400, on = "actual" } ]
//! ```

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::usage::costs::CostView;

use crate::error::{Error, InputError};

/// The largest amount a budget (or an absolute threshold) may have, in USD.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0); // 10^12

/// The period a budget covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// A calendar month (UTC).
    Monthly,
    /// A calendar day (UTC).
    Daily,
}

impl Period {
    /// The name in budgets.toml.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Monthly => "monthly",
            Period::Daily => "daily",
        }
    }
}

/// What a threshold compares with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum On {
    /// The actual spend of the period so far.
    Actual,
    /// The forecast spend of the whole period.
    Forecast,
}

impl On {
    /// The name in budgets.toml.
    pub fn as_str(self) -> &'static str {
        match self {
            On::Actual => "actual",
            On::Forecast => "forecast",
        }
    }
}

/// The level of a threshold: a percentage of the budget's amount, or an absolute amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Percent of the budget's amount.
    Percent(Decimal),
    /// An amount in USD.
    Absolute(Decimal),
}

/// One threshold of a budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Threshold {
    /// Its level.
    pub level: Level,
    /// What it compares with.
    pub on: On,
}

impl Threshold {
    /// The amount in USD this threshold stands at for a budget of `amount`.
    pub fn value(&self, amount: Decimal) -> Decimal {
        match self.level {
            Level::Percent(p) => (amount * p / Decimal::ONE_HUNDRED).round_dp(6),
            Level::Absolute(a) => a,
        }
    }

    /// A short stable label: `80%` or `$1400`.
    pub fn label(&self) -> String {
        match self.level {
            Level::Percent(p) => format!("{}%", p.normalize()),
            Level::Absolute(a) => format!("${}", a.normalize()),
        }
    }
}

/// Which part of the bill a budget covers. Every key given must match.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Service, e.g. `ec2`, `s3`, `data_transfer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Region code, e.g. `us-east-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// AWS account id (the usage file's `account_id` column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// A cost allocation tag, `key=value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// An AWS Cost Category, `name=value` (a billing file's `costCategory/NAME` or
    /// `cost_category` column): measured in the file's own cost views only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_category: Option<String>,
}

impl Filter {
    /// True when no key is set (the whole bill).
    pub fn is_empty(&self) -> bool {
        self.service.is_none()
            && self.region.is_none()
            && self.account.is_none()
            && self.tag.is_none()
            && self.cost_category.is_none()
    }

    /// A short description, e.g. `service=ec2, region=us-east-1`, or `all services`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            ("service", &self.service),
            ("region", &self.region),
            ("account", &self.account),
            ("tag", &self.tag),
            ("cost_category", &self.cost_category),
        ]
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
        if parts.is_empty() {
            "all services".to_string()
        } else {
            parts.join(", ")
        }
    }
}

/// One budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Its name, unique in the file.
    pub name: String,
    /// The period it covers.
    pub period: Period,
    /// The budgeted amount per period, USD.
    pub amount: Decimal,
    /// Which part of the bill it covers.
    pub filter: Filter,
    /// The cost it measures (a billing file's own view, or cloudcost's prices); `None`: the
    /// view `alarms` is run with.
    pub cost: Option<CostView>,
    /// Its thresholds, in file order.
    pub thresholds: Vec<Threshold>,
}

impl Budget {
    /// What it covers, for people: the filter and, when it names one, its cost view.
    pub fn covers(&self) -> String {
        match self.cost {
            Some(v) => format!("{}, {v} cost", self.filter.describe()),
            None => self.filter.describe(),
        }
    }
}

/// The budgets of a budgets.toml.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Budgets {
    /// Every budget, in file order.
    pub budgets: Vec<Budget>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    budget: Vec<FileBudget>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FileBudget {
    name: String,
    period: Period,
    amount: toml::Value,
    #[serde(default, skip_serializing_if = "Filter::is_empty")]
    filter: Filter,
    /// The cost view, as AWS Budgets names one (`unblended`, `amortized`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cost: Option<String>,
    #[serde(default)]
    thresholds: Vec<FileThreshold>,
}

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FileThreshold {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    percent: Option<toml::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    absolute: Option<toml::Value>,
    on: On,
}

/// Parses an amount typed by a user (a budget, a threshold): a plain positive decimal number of at
/// most two decimal places, below 10¹². Refuses `-5`, `0`, `1e999`, `abc`, `NaN`, `inf` with a
/// reason a user can read.
pub fn parse_amount(text: &str) -> Result<Decimal, String> {
    let t = text.trim().trim_start_matches('$').replace('_', "");
    if t.is_empty() {
        return Err("an amount is needed, e.g. 1500 or 1500.50".into());
    }
    if !t
        .chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+')
    {
        return Err(format!(
            "`{}` is not a plain number: write digits with an optional decimal point, e.g. 1500 or 1500.50",
            shorten(text)
        ));
    }
    let d = Decimal::from_str(&t).map_err(|_| {
        format!(
            "`{}` is not a number: write e.g. 1500 or 1500.50",
            shorten(text)
        )
    })?;
    check_amount(d)
}

fn check_amount(d: Decimal) -> Result<Decimal, String> {
    if d.is_sign_negative() || d.is_zero() {
        return Err(format!("the amount must be more than zero, found {d}"));
    }
    if d >= MAX_AMOUNT {
        return Err(format!(
            "the amount must be below 1000000000000 (USD), found {d}"
        ));
    }
    if d.normalize().scale() > 2 {
        return Err(format!(
            "the amount may have at most two decimal places (cents), found {d}"
        ));
    }
    Ok(d.normalize())
}

fn shorten(text: &str) -> String {
    let t: String = text.chars().take(40).collect();
    if t.len() < text.len() {
        format!("{t}…")
    } else {
        t
    }
}

/// A TOML number (integer or float, read through its decimal text) as a Decimal.
fn toml_decimal(v: &toml::Value) -> Option<Decimal> {
    match v {
        toml::Value::Integer(i) => Some(Decimal::from(*i)),
        toml::Value::Float(f) if f.is_finite() => Decimal::from_str(&f.to_string()).ok(),
        toml::Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

impl Budgets {
    /// Parses a budgets.toml. `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Budgets, Error> {
        let input = |line: Option<usize>, message: String| -> Error {
            InputError {
                file: file.to_string(),
                line,
                column: None,
                context: None,
                message,
            }
            .into()
        };
        let err = |message: String| input(None, message);
        let doc: FileDoc = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            input(line, e.message().trim().to_string())
        })?;
        if doc.budget.is_empty() {
            return Err(err(
                "no budgets: expected at least one [[budget]] table with name, period, amount and thresholds"
                    .into(),
            ));
        }
        let mut budgets = Vec::new();
        for (i, b) in doc.budget.into_iter().enumerate() {
            let at = format!("budget {} (`{}`)", i + 1, b.name);
            if b.name.trim().is_empty() {
                return Err(err(format!("budget {}: `name` is empty", i + 1)));
            }
            if budgets.iter().any(|x: &Budget| x.name == b.name) {
                return Err(err(format!("{at}: the name is used twice")));
            }
            let amount = toml_decimal(&b.amount)
                .ok_or_else(|| err(format!("{at}: `amount` must be a number (USD)")))
                .and_then(|d| check_amount(d).map_err(|m| err(format!("{at}: `amount`: {m}"))))?;
            for (key, value, form) in [
                ("tag", &b.filter.tag, "key=value"),
                ("cost_category", &b.filter.cost_category, "name=value"),
            ] {
                if let Some(v) = value.as_deref().filter(|t| !t.contains('=')) {
                    return Err(err(format!(
                        "{at}: `filter.{key}` must be `{form}`, found `{v}`"
                    )));
                }
            }
            let cost = match &b.cost {
                Some(c) => Some(
                    c.parse::<CostView>()
                        .map_err(|m| err(format!("{at}: `cost`: {m}")))?,
                ),
                None => None,
            };
            if b.thresholds.is_empty() {
                return Err(err(format!(
                    "{at}: `thresholds` is empty; expected e.g. [ {{ percent = 100, on = \"actual\" }} ]"
                )));
            }
            let mut thresholds = Vec::new();
            for (j, t) in b.thresholds.iter().enumerate() {
                let tat = format!("{at}: threshold {}", j + 1);
                let level = match (&t.percent, &t.absolute) {
                    (Some(p), None) => {
                        let p = toml_decimal(p)
                            .ok_or_else(|| err(format!("{tat}: `percent` must be a number")))?;
                        if p <= Decimal::ZERO || p > Decimal::from(1000) {
                            return Err(err(format!(
                                "{tat}: `percent` must be more than 0 and at most 1000, found {p}"
                            )));
                        }
                        Level::Percent(p.normalize())
                    }
                    (None, Some(a)) => {
                        let a = toml_decimal(a)
                            .ok_or_else(|| err(format!("{tat}: `absolute` must be a number")))
                            .and_then(|d| {
                                check_amount(d).map_err(|m| err(format!("{tat}: `absolute`: {m}")))
                            })?;
                        Level::Absolute(a)
                    }
                    _ => {
                        return Err(err(format!(
                            "{tat}: give exactly one of `percent` and `absolute`"
                        )));
                    }
                };
                let th = Threshold { level, on: t.on };
                if thresholds.contains(&th) {
                    return Err(err(format!("{tat}: the same threshold is given twice")));
                }
                thresholds.push(th);
            }
            budgets.push(Budget {
                name: b.name,
                period: b.period,
                amount,
                filter: b.filter,
                cost,
                thresholds,
            });
        }
        Ok(Budgets { budgets })
    }

    /// Reads and parses a budgets.toml.
    pub fn load(path: &Path) -> Result<Budgets, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Budgets::parse(&path.display().to_string(), &text)
    }

    /// The budget named `name`.
    pub fn get(&self, name: &str) -> Option<&Budget> {
        self.budgets.iter().find(|b| b.name == name)
    }

    /// Changes one budget's amount (validated as [`parse_amount`] does). Percent thresholds follow
    /// the new amount; absolute ones stay.
    pub fn set_amount(&mut self, name: &str, amount: Decimal) -> Result<(), String> {
        let amount = check_amount(amount)?;
        let names: Vec<String> = self.budgets.iter().map(|b| b.name.clone()).collect();
        let b = self
            .budgets
            .iter_mut()
            .find(|b| b.name == name)
            .ok_or_else(|| {
                format!(
                    "no budget named `{name}`; the budgets are: {}",
                    names.join(", ")
                )
            })?;
        b.amount = amount;
        Ok(())
    }

    /// The budgets as budgets.toml text (the same keys; parses back to the same budgets).
    pub fn to_toml(&self) -> String {
        let num = |d: Decimal| -> toml::Value {
            let d = d.normalize();
            if d.scale() == 0
                && let Ok(i) = i64::try_from(d.mantissa())
            {
                return toml::Value::Integer(i);
            }
            toml::Value::String(d.to_string())
        };
        let doc = FileDoc {
            budget: self
                .budgets
                .iter()
                .map(|b| FileBudget {
                    name: b.name.clone(),
                    period: b.period,
                    amount: num(b.amount),
                    filter: b.filter.clone(),
                    cost: b.cost.map(|c| c.name().to_string()),
                    thresholds: b
                        .thresholds
                        .iter()
                        .map(|t| FileThreshold {
                            percent: match t.level {
                                Level::Percent(p) => Some(num(p)),
                                Level::Absolute(_) => None,
                            },
                            absolute: match t.level {
                                Level::Absolute(a) => Some(num(a)),
                                Level::Percent(_) => None,
                            },
                            on: t.on,
                        })
                        .collect(),
                })
                .collect(),
        };
        toml::to_string(&doc).unwrap_or_default()
    }
}

impl fmt::Display for Budget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} {} USD, {})",
            self.name,
            self.period.as_str(),
            self.amount,
            self.covers()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
[[budget]]
name = "monthly"
period = "monthly"            # monthly | daily
amount = 1500                 # in USD
filter = { service = "ec2" }  # optional: service, region, account, tag
thresholds = [ { percent = 80, on = "forecast" }, { percent = 100, on = "actual" }, { absolute = 1400, on = "actual" } ]
"#;

    #[test]
    fn parses_the_contract_example() {
        let b = Budgets::parse("budgets.toml", EXAMPLE).unwrap();
        let m = b.get("monthly").unwrap();
        assert_eq!(m.period, Period::Monthly);
        assert_eq!(m.amount, Decimal::from(1500));
        assert_eq!(m.filter.service.as_deref(), Some("ec2"));
        assert_eq!(m.thresholds.len(), 3);
        assert_eq!(m.thresholds[0].value(m.amount), Decimal::from(1200));
        assert_eq!(m.thresholds[0].on, On::Forecast);
        assert_eq!(m.thresholds[2].value(m.amount), Decimal::from(1400));
        assert_eq!(m.thresholds[2].label(), "$1400");
    }

    #[test]
    fn round_trips_through_toml() {
        let mut b = Budgets::parse("budgets.toml", EXAMPLE).unwrap();
        b.set_amount("monthly", Decimal::new(200050, 2)).unwrap();
        let again = Budgets::parse("again.toml", &b.to_toml()).unwrap();
        assert_eq!(again, b);
        assert_eq!(again.budgets[0].amount, Decimal::new(200050, 2));
    }

    #[test]
    fn user_amounts_are_validated() {
        assert_eq!(parse_amount("1500").unwrap(), Decimal::from(1500));
        assert_eq!(parse_amount(" $1500.50 ").unwrap(), Decimal::new(150050, 2));
        for bad in [
            "-5",
            "0",
            "1e999",
            "abc",
            "NaN",
            "inf",
            "",
            "1.001",
            "1000000000000",
            "12abc",
        ] {
            let e = parse_amount(bad).unwrap_err();
            assert!(!e.is_empty(), "{bad}");
        }
        assert!(parse_amount("-5").unwrap_err().contains("more than zero"));
        assert!(
            parse_amount("1e999")
                .unwrap_err()
                .contains("not a plain number")
        );
    }

    #[test]
    fn bad_files_name_the_budget_and_key() {
        let cases = [
            (
                "[[budget]]\nname='a'\nperiod='weekly'\namount=1\nthresholds=[{percent=1,on='actual'}]",
                "weekly",
            ),
            (
                "[[budget]]\nname='a'\nperiod='daily'\namount=-1\nthresholds=[{percent=1,on='actual'}]",
                "`amount`",
            ),
            (
                "[[budget]]\nname='a'\nperiod='daily'\namount=1\nthresholds=[]",
                "`thresholds` is empty",
            ),
            (
                "[[budget]]\nname='a'\nperiod='daily'\namount=1\nthresholds=[{on='actual'}]",
                "exactly one",
            ),
            (
                "[[budget]]\nname='a'\nperiod='daily'\namount=1\nfilter={team='x'}\nthresholds=[{percent=1,on='actual'}]",
                "team",
            ),
            (
                "[[budget]]\nname='a'\nperiod='daily'\namount=1\nfilter={tag='x'}\nthresholds=[{percent=1,on='actual'}]",
                "key=value",
            ),
            ("", "no budgets"),
        ];
        for (text, want) in cases {
            let e = Budgets::parse("b.toml", text).unwrap_err().to_string();
            assert!(e.contains("b.toml") && e.contains(want), "{e}");
        }
    }
}
