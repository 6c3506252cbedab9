//! Bills: the priced month(s) of a usage file (`cloudcost estimate`).
//!
//! [`engine`] prices usage aggregates through the pricing engine; [`commitments`] applies
//! reserved instances and savings plans hour by hour. The result is one [`Bill`]: a table of
//! [`CostRow`]s (day × resource × component × pricing model) and the reading summary, from which
//! every report (by service, resource, day, pricing model) is a sum.

pub mod apply;
pub mod commitments;
pub mod contracts;
pub mod engine;
pub mod spot;
pub mod summary;

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use compact_str::CompactString;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::catalog::Confidence;
use crate::money::{ExactSum, Money};
use crate::usage::UsageRead;

pub use apply::{CommitmentUse, Coverage, apply_commitments};
pub use contracts::Commitments;
pub use engine::{price_summed, price_usage, price_with_commitments};
pub use spot::apply_spot_prices;
pub use summary::Summary;

/// How a cost was paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PricingModel {
    /// On-demand rates.
    OnDemand,
    /// Spot prices.
    Spot,
    /// Covered by a reserved instance.
    Reserved,
    /// Covered by a savings plan.
    SavingsPlan,
    /// A free allowance.
    Free,
    /// Usage of a billing file not re-priced here, taken at its billed cost.
    Carried,
    /// A charge of a billing file that is not usage (tax, credit, fee…), as billed.
    Charge,
    /// A charge billed once for a period longer than a day (a month's tax, a reservation's
    /// monthly fee), as billed on the period's first day: not a daily cost to extrapolate.
    PeriodCharge,
}

impl PricingModel {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            PricingModel::OnDemand => "on-demand",
            PricingModel::Spot => "spot",
            PricingModel::Reserved => "reserved",
            PricingModel::SavingsPlan => "savings-plan",
            PricingModel::Free => "free",
            PricingModel::Carried => "as billed",
            PricingModel::Charge => "charge",
            PricingModel::PeriodCharge => "period charge",
        }
    }

    /// A charge of a billing file (daily or for a period), not usage.
    pub fn is_charge(self) -> bool {
        matches!(self, PricingModel::Charge | PricingModel::PeriodCharge)
    }
}

/// One priced piece of usage: a resource's component on a day under one pricing model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CostRow {
    /// UTC day.
    pub day: NaiveDate,
    /// Service.
    pub service: CompactString,
    /// Region.
    pub region: CompactString,
    /// Resource id.
    pub resource_id: CompactString,
    /// Usage type.
    pub usage_type: CompactString,
    /// What was priced, e.g. `Storage (gp3)` (shared by the rows of a price: a big bill holds
    /// hundreds of thousands).
    pub component: std::sync::Arc<str>,
    /// How it was paid.
    pub model: PricingModel,
    /// Quantity in `unit`.
    pub quantity: Decimal,
    /// Unit.
    pub unit: std::sync::Arc<str>,
    /// What it cost.
    pub cost: Money,
    /// What it would have cost on-demand.
    pub on_demand_equivalent: Money,
    /// How sure the price is.
    pub confidence: Confidence,
}

/// The priced usage file.
#[derive(Clone, Debug, Serialize)]
pub struct Bill {
    /// The file's format.
    pub format: String,
    /// Every cost row.
    pub rows: Vec<CostRow>,
    /// Data rows read.
    pub rows_read: u64,
    /// Rows priced.
    pub rows_priced: u64,
    /// Rows set aside, by reason.
    pub rejected: BTreeMap<String, u64>,
    /// Rows that are charges, not usage (CUR, FOCUS).
    pub rows_charges: u64,
    /// Usage rows carried at their billed cost (CUR, FOCUS).
    pub rows_carried: u64,
    /// How each commitment was used (when commitments were given).
    pub commitments: Vec<CommitmentUse>,
    /// Coverage of commitment-eligible EC2 usage (when commitments were given).
    pub coverage: Option<Coverage>,
    /// For CUR and FOCUS files: what the file itself billed.
    pub billed: Option<Billed>,
    /// What a reader of the bill should know about how it was made (a commitment of the file
    /// that could not be applied…).
    pub notes: Vec<String>,
    /// The accounts and tags of the resources, when the usage file carries them (filled by
    /// [`crate::analysis::price_file`]; empty otherwise).
    #[serde(skip)]
    pub attribution: crate::usage::attribution::Attribution,
    /// When the rows are a billing file's own cost view ([`Bill::in_view`]) rather than
    /// cloudcost's prices: the view, and the re-priced bill's total.
    #[serde(skip)]
    pub view: Option<(crate::usage::costs::CostView, Money)>,
}

/// What a CUR or FOCUS file billed, beside our price of the same usage.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Billed {
    /// Billed cost of the usage rows priced here, by service.
    pub priced_by_service: BTreeMap<String, Money>,
    /// Billed cost of the usage rows rejected as malformed.
    pub rejected: Money,
    /// Billed cost of the usage carried as billed (not re-priced here), by product code.
    pub carried_by_service: BTreeMap<String, Money>,
    /// Rows that are not usage (tax, credits, refunds, fees…), by line type: billed cost and rows.
    pub charges: BTreeMap<String, (Money, u64)>,
    /// The same charges by product code (the service the bill's rows of them name).
    pub charges_by_service: BTreeMap<String, Money>,
}

impl Billed {
    /// What the file billed by the service names of the bill's rows (re-priced usage by
    /// cloudcost's service, carried usage and charges by product code), rejected rows aside: the
    /// other side of [`Bill::by_service`].
    pub fn by_service(&self) -> BTreeMap<String, Money> {
        let mut m = self.priced_by_service.clone();
        for (k, v) in self
            .carried_by_service
            .iter()
            .chain(&self.charges_by_service)
        {
            *m.entry(k.clone()).or_insert(Money::ZERO) += *v;
        }
        m
    }

    /// Everything the file billed.
    pub fn total(&self) -> Money {
        self.priced_by_service.values().copied().sum::<Money>()
            + self.rejected
            + self.carried_by_service.values().copied().sum::<Money>()
            + self.charges_by_service.values().copied().sum::<Money>()
    }
}

/// Billed cost summed by product code.
fn billed_by_product<'a>(
    days: impl Iterator<Item = &'a crate::usage::BilledDay>,
) -> BTreeMap<String, Money> {
    let mut m: BTreeMap<String, ExactSum> = BTreeMap::new();
    for d in days {
        m.entry(d.product.to_string()).or_default().add(d.billed);
    }
    m.into_iter().map(|(k, s)| (k, s.money())).collect()
}

impl Bill {
    /// A bill of cost rows, with the reading summary of `usage`.
    pub fn new(usage: &UsageRead, rows: Vec<CostRow>) -> Bill {
        Bill {
            format: usage.format.clone(),
            rows,
            rows_read: usage.rows_read,
            rows_priced: usage.rows_priced(),
            rejected: usage.rejected.clone(),
            commitments: Vec::new(),
            coverage: None,
            billed: usage.has_billed.then(|| Billed {
                priced_by_service: usage
                    .billed_priced
                    .iter()
                    .map(|(k, v)| (k.clone(), Money::usd(*v)))
                    .collect(),
                rejected: Money::usd(usage.billed_rejected),
                carried_by_service: billed_by_product(usage.carried()),
                charges_by_service: billed_by_product(
                    usage.billed_days.iter().filter(|d| d.reason.is_none()),
                ),
                charges: usage
                    .charges
                    .iter()
                    .map(|(k, (m, n))| (k.clone(), (Money::usd(*m), *n)))
                    .collect(),
            }),
            rows_charges: usage.rows_charges(),
            rows_carried: usage.rows_carried(),
            notes: Vec::new(),
            attribution: Default::default(),
            view: None,
        }
    }

    /// The dimensions a cost table must have for [`Bill::in_view`].
    pub const VIEW_DIMENSIONS: [crate::usage::costs::Dimension; 6] = {
        use crate::usage::costs::Dimension as D;
        [
            D::Day,
            D::Service,
            D::Region,
            D::Resource,
            D::UsageType,
            D::PricingModel,
        ]
    };

    /// This bill with its rows replaced by a billing file's own cost view (a table by
    /// [`Bill::VIEW_DIMENSIONS`]): by day, the file's service, region, resource and usage type,
    /// at the view's cost; usage as its pricing model, and a charge (tax, fee, credit) as a
    /// period charge. What everything that reads a bill (the bot's replies, budgets, anomalies)
    /// then shows is the view; the re-priced total is kept beside it.
    pub fn in_view(&self, table: &crate::usage::costs::CostTable) -> Bill {
        let component: std::sync::Arc<str> = format!("as billed ({})", table.view).into();
        let unit: std::sync::Arc<str> = "".into();
        let text =
            |k: &Option<String>| -> CompactString { k.as_deref().unwrap_or_default().into() };
        let rows = table
            .rows
            .iter()
            .filter_map(|r| {
                let day = r.keys.first()?.as_deref()?.parse().ok()?;
                let model = match r.keys.get(5)?.as_deref() {
                    Some("on-demand") => PricingModel::OnDemand,
                    Some("spot") => PricingModel::Spot,
                    Some("reserved") => PricingModel::Reserved,
                    Some("savings plan") => PricingModel::SavingsPlan,
                    _ => PricingModel::PeriodCharge,
                };
                let resource = match (&r.keys[3], &r.keys[4]) {
                    (Some(id), _) => id.as_str().into(),
                    (None, usage_type) => text(usage_type),
                };
                Some(CostRow {
                    day,
                    service: r.keys[1].as_deref().unwrap_or("(none)").into(),
                    region: text(&r.keys[2]),
                    resource_id: resource,
                    usage_type: text(&r.keys[4]),
                    component: component.clone(),
                    model,
                    quantity: Decimal::ZERO,
                    unit: unit.clone(),
                    cost: Money::usd(r.cost),
                    on_demand_equivalent: Money::usd(r.cost),
                    confidence: Confidence::Published,
                })
            })
            .collect();
        Bill {
            rows,
            view: Some((table.view, self.total())),
            ..self.clone()
        }
    }

    /// Rows set aside.
    pub fn rows_rejected(&self) -> u64 {
        self.rejected.values().sum()
    }

    /// The exact total.
    pub fn total(&self) -> Money {
        self.rows.iter().map(|r| r.cost).sum()
    }

    /// What the same usage would have cost on-demand.
    pub fn on_demand_equivalent(&self) -> Money {
        self.rows.iter().map(|r| r.on_demand_equivalent).sum()
    }

    /// Exact sums of cost grouped by a key (which may borrow from the rows).
    pub fn sum_by<'a, K: Ord>(&'a self, key: impl Fn(&'a CostRow) -> K) -> BTreeMap<K, Money> {
        let mut m: BTreeMap<K, ExactSum> = BTreeMap::new();
        for r in &self.rows {
            m.entry(key(r)).or_default().add(r.cost.amount());
        }
        m.into_iter().map(|(k, s)| (k, s.money())).collect()
    }

    /// Cost by service.
    pub fn by_service(&self) -> BTreeMap<String, Money> {
        owned_keys(self.sum_by(|r| r.service.as_str()))
    }

    /// Cost by region.
    pub fn by_region(&self) -> BTreeMap<String, Money> {
        owned_keys(self.sum_by(|r| r.region.as_str()))
    }

    /// Cost by day.
    pub fn by_day(&self) -> BTreeMap<NaiveDate, Money> {
        self.sum_by(|r| r.day)
    }

    /// The daily cost of the rows `keep` keeps, with the charges billed once for a period apart
    /// (what forecasts and anomaly baselines fit on is the rest).
    pub fn daily_costs(&self, keep: impl Fn(&CostRow) -> bool) -> crate::forecast::DailyCosts {
        let mut c = crate::forecast::DailyCosts::default();
        for r in self.rows.iter().filter(|r| keep(r)) {
            let m = if r.model == PricingModel::PeriodCharge {
                &mut c.period
            } else {
                &mut c.daily
            };
            *m.entry(r.day).or_default() += r.cost.amount();
        }
        c
    }

    /// The month-end forecast of the month of the last day of data, and that day (none when
    /// the bill has no rows).
    pub fn month_forecast(&self) -> Option<(NaiveDate, crate::forecast::Forecast)> {
        let (_, last) = self.period()?;
        let f = crate::forecast::forecast_costs(
            &self.daily_costs(|_| true),
            crate::forecast::month_end(last),
        );
        Some((last, f))
    }

    /// Cost by pricing model.
    pub fn by_pricing_model(&self) -> BTreeMap<String, Money> {
        owned_keys(self.sum_by(|r| r.model.as_str()))
    }

    /// Cost by resource and service, most expensive first, to the cent (ties by resource, then
    /// service).
    pub fn by_resource(&self) -> Vec<(String, String, Money)> {
        // Summed in a hash map under borrowed keys: a bill has many rows per resource.
        let mut m: HashMap<(&str, &str), ExactSum, foldhash::fast::FixedState> = HashMap::default();
        for r in &self.rows {
            m.entry((r.resource_id.as_str(), r.service.as_str()))
                .or_default()
                .add(r.cost.amount());
        }
        resources_by_cost(m)
    }

    /// Cost and quantity by (service, component, pricing model, unit): the bill's line items,
    /// in key order. Summed in the rows' order (the quantities are `Decimal` sums, which may
    /// round) in a hash map under borrowed keys, then ordered.
    pub fn lines(&self) -> Vec<BillLine> {
        let mut m: HashMap<LineKeyRef<'_>, LineSums, foldhash::fast::FixedState> =
            HashMap::default();
        for r in &self.rows {
            add_to_line(m.entry(r.line_key()).or_insert(NO_LINE), r);
        }
        let m: BTreeMap<LineKeyRef<'_>, LineSums> = m.into_iter().collect();
        m.into_iter().map(BillLine::from_sum).collect()
    }

    /// The first and last day priced.
    pub fn period(&self) -> Option<(NaiveDate, NaiveDate)> {
        let first = self.rows.iter().map(|r| r.day).min()?;
        let last = self.rows.iter().map(|r| r.day).max()?;
        Some((first, last))
    }
}

/// Resources' and services' sums of cost, most expensive first, to the cent (ties by resource,
/// then service): [`Bill::by_resource`].
fn resources_by_cost<'a>(
    sums: impl IntoIterator<Item = ((&'a str, &'a str), ExactSum)>,
) -> Vec<(String, String, Money)> {
    // Ordered by cost as shown, in cents: resources that ran alike are ties, ordered by name,
    // whatever the last of the 28 places of their rows' shares of a fee or an hour.
    let mut v: Vec<(Decimal, &str, &str, Money)> = sums
        .into_iter()
        .map(|((r, s), c)| {
            let c = c.money();
            (c.cents(), r, s, c)
        })
        .collect();
    v.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| (a.1, a.2).cmp(&(b.1, b.2))));
    v.into_iter()
        .map(|(_, r, s, c)| (r.to_string(), s.to_string(), c))
        .collect()
}

/// (service, component, pricing model, unit), borrowed from the rows.
type LineKeyRef<'a> = (&'a str, &'a str, PricingModel, &'a str);

/// A bill line's sums: quantity (added as `Decimal` adds, shown with every digit), cost and
/// on-demand equivalent (exact, shown in cents).
type LineSums = (Decimal, ExactSum, ExactSum);

/// The sums of a line no row was added to.
const NO_LINE: LineSums = (Decimal::ZERO, ExactSum::ZERO, ExactSum::ZERO);

impl CostRow {
    /// The key of the bill line this row is summed into.
    fn line_key(&self) -> LineKeyRef<'_> {
        (
            self.service.as_str(),
            &self.component,
            self.model,
            &self.unit,
        )
    }
}

/// Adds a row to its line's sums.
fn add_to_line(line: &mut LineSums, r: &CostRow) {
    line.0 += r.quantity;
    line.1.add(r.cost.amount());
    line.2.add(r.on_demand_equivalent.amount());
}

impl BillLine {
    /// A line from its key and its sums (quantity, cost, on-demand equivalent).
    fn from_sum(
        ((service, component, model, unit), (quantity, cost, od)): (LineKeyRef<'_>, LineSums),
    ) -> BillLine {
        BillLine {
            service: service.into(),
            component: component.into(),
            model,
            unit: unit.into(),
            quantity,
            cost: cost.money(),
            on_demand_equivalent: od.money(),
        }
    }
}

/// A map's keys as owned strings.
fn owned_keys(m: BTreeMap<&str, Money>) -> BTreeMap<String, Money> {
    m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// A line of the bill: one component under one pricing model, summed over resources and days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BillLine {
    /// Service.
    pub service: String,
    /// Component.
    pub component: String,
    /// Pricing model.
    pub model: PricingModel,
    /// Unit.
    pub unit: String,
    /// Quantity.
    pub quantity: Decimal,
    /// Cost.
    pub cost: Money,
    /// On-demand equivalent.
    pub on_demand_equivalent: Money,
}
