//! The report's one canonical result: every figure the charts and tables show, summed exactly
//! from the bill (and the recommendations and metrics) before anything is drawn.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::ReportInput;
use crate::bill::{Bill, PricingModel};
use crate::forecast::{Forecast, forecast_costs, month_end, month_start};
use crate::metrics::InstanceSeries;
use crate::money::{Currency, Money};
use crate::savings::{Kind, Report};

/// Services drawn separately in the daily chart; the rest are summed as "other".
const MAX_SERVICES: usize = 7;
/// Resources in the top-resources chart.
pub(crate) const TOP_CHART: usize = 15;
/// Resources in the top-resources table.
pub(crate) const TOP_TABLE: usize = 20;
/// Instances in the utilization chart.
pub(crate) const MAX_INSTANCES: usize = 20;

/// The pricing models shown, in order: the first four always, the others when they are worth
/// something (a free allowance; a billing file's usage taken as billed and its charges, so that
/// the bars add up to the whole bill).
const MODELS: [PricingModel; 8] = [
    PricingModel::OnDemand,
    PricingModel::Reserved,
    PricingModel::SavingsPlan,
    PricingModel::Spot,
    PricingModel::Free,
    PricingModel::Carried,
    PricingModel::Charge,
    PricingModel::PeriodCharge,
];

/// Cost of one pricing model.
#[derive(Clone, Debug)]
pub(crate) struct ModelRow {
    pub model: PricingModel,
    pub cost: Money,
    pub on_demand_equivalent: Money,
}

impl ModelRow {
    /// On-demand equivalent − cost.
    pub fn saved(&self) -> Money {
        self.on_demand_equivalent - self.cost
    }
}

/// One resource of the top list.
#[derive(Clone, Debug)]
pub(crate) struct ResourceCost {
    pub resource_id: String,
    pub service: String,
    pub cost: Money,
}

/// Savings opportunities of one kind.
#[derive(Clone, Debug)]
pub(crate) struct KindSaving {
    pub kind: Kind,
    pub count: usize,
    /// Sum of the positive monthly savings.
    pub monthly_saving: Decimal,
}

/// The month-end forecast and its cone, day by day.
#[derive(Clone, Debug)]
pub(crate) struct ForecastView {
    /// First and last day of the forecast month.
    pub month: (NaiveDate, NaiveDate),
    /// The forecast of the month end.
    pub forecast: Forecast,
    /// Cumulative actual cost of each day of the month with data.
    pub actual: Vec<(NaiveDate, Money)>,
    /// For each remaining day: cumulative forecast, P10, P90 up to that day.
    pub cone: Vec<(NaiveDate, Decimal, Decimal, Decimal)>,
}

/// Hourly CPU statistics of one right-sizing candidate (percent: measurements, not money).
#[derive(Clone, Debug)]
pub(crate) struct Utilization {
    pub resource_id: String,
    pub instance_type: String,
    /// The finding and, when there is one, the top option.
    pub verdict: String,
    pub min: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p995: f64,
    pub max: f64,
}

/// Everything a report shows.
#[derive(Clone, Debug)]
pub(crate) struct ReportData<'a> {
    pub title: String,
    pub currency: Currency,
    pub bill: &'a Bill,
    pub period: Option<(NaiveDate, NaiveDate)>,
    /// The total in the report's cost view (the re-priced bill's, or the file's own view's).
    pub total: Money,
    /// The re-priced bill's total (the pricing models' table and chart).
    pub repriced_total: Money,
    /// The billing file's own cost view shown, when one is.
    pub view: Option<crate::usage::costs::CostView>,
    /// Its sums (by account and tag: `page::allocation`).
    pub view_input: Option<super::ViewInput<'a>>,
    pub on_demand_equivalent: Money,
    /// Cost by service, most expensive first.
    pub by_service: Vec<(String, Money)>,
    /// The services of the daily chart (at most [`MAX_SERVICES`], the last maybe "other").
    pub chart_services: Vec<String>,
    /// Every day of the period.
    pub days: Vec<NaiveDate>,
    /// Per day, per chart service.
    pub daily_by_service: Vec<Vec<Money>>,
    /// Per day, the month-to-date total (it restarts on the first of a month).
    pub month_to_date: Vec<Money>,
    pub by_model: Vec<ModelRow>,
    pub top_resources: Vec<ResourceCost>,
    pub resource_count: usize,
    pub forecast: Option<ForecastView>,
    /// Budget in USD.
    pub budget: Option<Money>,
    pub recommendations: Option<&'a Report>,
    pub savings_by_kind: Vec<KindSaving>,
    pub total_saving: Decimal,
    pub utilization: Vec<Utilization>,
    /// Candidates found, before the chart's limit.
    pub candidate_count: usize,
    pub has_series: bool,
    pub headroom_pct: u32,
}

impl<'a> ReportData<'a> {
    /// Sums everything the report shows.
    pub fn new(input: &ReportInput<'a>) -> ReportData<'a> {
        let bill = input.bill;
        let view = input.view.as_ref();
        let period = match view {
            Some(v) => match (v.table.by_day.keys().next(), v.table.by_day.keys().last()) {
                (Some(a), Some(b)) => Some((*a, *b)),
                _ => None,
            },
            None => bill.period(),
        };
        let mut by_service: Vec<(String, Money)> = match view {
            Some(v) => v
                .table
                .by_service
                .iter()
                .map(|(s, c)| (s.clone(), Money::usd(*c)))
                .collect(),
            None => bill.by_service().into_iter().collect(),
        };
        by_service.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let chart_services = chart_services(&by_service);
        let days = match period {
            Some((first, last)) => first.iter_days().take_while(|d| *d <= last).collect(),
            None => Vec::new(),
        };
        let day_index: BTreeMap<NaiveDate, usize> =
            days.iter().enumerate().map(|(i, d)| (*d, i)).collect();
        let service_index: BTreeMap<&str, usize> = chart_services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        let other = chart_services.len().saturating_sub(1);
        let mut daily_by_service = vec![vec![Money::ZERO; chart_services.len()]; days.len()];
        let mut od: BTreeMap<PricingModel, (Money, Money)> = BTreeMap::new();
        let mut add = |day: NaiveDate, service: &str, cost: Money| {
            let s = service_index.get(service).copied().unwrap_or(other);
            if let Some(cell) = day_index
                .get(&day)
                .and_then(|d| daily_by_service.get_mut(*d))
                .and_then(|row| row.get_mut(s))
            {
                *cell += cost;
            }
        };
        if let Some(v) = view {
            // The view's rows are by day and service (see `ViewInput`).
            for r in &v.table.rows {
                let day = r
                    .keys
                    .first()
                    .cloned()
                    .flatten()
                    .and_then(|d| d.parse().ok());
                let service = r.keys.get(1).cloned().flatten().unwrap_or_default();
                if let Some(day) = day {
                    add(day, &service, Money::usd(r.cost));
                }
            }
        }
        for r in &bill.rows {
            if view.is_none() {
                add(r.day, r.service.as_str(), r.cost);
            }
            let e = od.entry(r.model).or_default();
            e.0 += r.cost;
            e.1 += r.on_demand_equivalent;
        }
        let mut month_to_date = Vec::with_capacity(days.len());
        let mut running = Money::ZERO;
        for (i, d) in days.iter().enumerate() {
            if i > 0 && d.day() == 1 {
                running = Money::ZERO;
            }
            running += daily_by_service
                .get(i)
                .map(|v| v.iter().copied().sum())
                .unwrap_or(Money::ZERO);
            month_to_date.push(running);
        }
        let by_model = MODELS
            .iter()
            .filter_map(|m| {
                let (cost, odeq) = od.get(m).copied().unwrap_or_default();
                let always = MODELS[..4].contains(m);
                (always || !cost.amount().is_zero() || !odeq.amount().is_zero()).then_some(
                    ModelRow {
                        model: *m,
                        cost,
                        on_demand_equivalent: odeq,
                    },
                )
            })
            .collect();
        let resources = bill.by_resource();
        let resource_count = resources.len();
        let top_resources = resources
            .into_iter()
            .take(TOP_TABLE)
            .map(|(resource_id, service, cost)| ResourceCost {
                resource_id,
                service,
                cost,
            })
            .collect();
        let (savings_by_kind, total_saving) = match input.recommendations {
            Some(r) => savings_by_kind(r),
            None => (Vec::new(), Decimal::ZERO),
        };
        let (utilization, candidate_count) = utilization(input.recommendations, input.series);
        ReportData {
            title: input.title.clone(),
            currency: input.currency.clone(),
            bill,
            period,
            total: match view {
                Some(v) => Money::usd(v.table.total),
                None => bill.total(),
            },
            repriced_total: bill.total(),
            view: view.map(|v| v.table.view),
            view_input: view.cloned(),
            on_demand_equivalent: bill.on_demand_equivalent(),
            by_service,
            chart_services,
            days,
            daily_by_service,
            month_to_date,
            by_model,
            top_resources,
            resource_count,
            forecast: match view {
                Some(v) => period.and_then(|(_, last)| forecast_view(v.costs, last)),
                None => bill
                    .period()
                    .and_then(|(_, last)| forecast_view(&bill.daily_costs(|_| true), last)),
            },
            budget: input.budget.map(Money::usd),
            recommendations: input.recommendations,
            savings_by_kind,
            total_saving,
            utilization,
            candidate_count,
            has_series: input.series.is_some_and(|s| !s.is_empty()),
            headroom_pct: input.headroom_pct,
        }
    }

    /// Daily totals of the period.
    pub fn daily_total(&self, i: usize) -> Money {
        self.daily_by_service
            .get(i)
            .map(|v| v.iter().copied().sum())
            .unwrap_or(Money::ZERO)
    }

    /// What reserved instances and savings plans saved against on-demand.
    pub fn commitments_saved(&self) -> Money {
        self.by_model
            .iter()
            .filter(|m| matches!(m.model, PricingModel::Reserved | PricingModel::SavingsPlan))
            .map(ModelRow::saved)
            .sum()
    }

    /// What spot saved against on-demand.
    pub fn spot_saved(&self) -> Money {
        self.by_model
            .iter()
            .filter(|m| m.model == PricingModel::Spot)
            .map(ModelRow::saved)
            .sum()
    }

    /// The utilization chart's limit, percent CPU: 100 / (1 + headroom/100).
    pub fn headroom_limit_pct(&self) -> f64 {
        100.0 / (1.0 + f64::from(self.headroom_pct) / 100.0)
    }

    /// An amount for people, in the display currency.
    pub fn fmt(&self, m: Money) -> String {
        self.currency.format(m)
    }
}

/// The services of the daily chart: the most expensive, the rest summed as "other".
fn chart_services(by_service: &[(String, Money)]) -> Vec<String> {
    if by_service.len() <= MAX_SERVICES {
        return by_service.iter().map(|(s, _)| s.clone()).collect();
    }
    let mut v: Vec<String> = by_service
        .iter()
        .take(MAX_SERVICES - 1)
        .map(|(s, _)| s.clone())
        .collect();
    v.push("other".into());
    v
}

/// The forecast of the month of the last day of data, with its cone day by day.
fn forecast_view(costs: &crate::forecast::DailyCosts, last: NaiveDate) -> Option<ForecastView> {
    let (first_of_month, end) = (month_start(last), month_end(last));
    let daily = costs.all();
    let forecast = forecast_costs(costs, end);
    let mut actual = Vec::new();
    let mut running = Money::ZERO;
    for d in first_of_month.iter_days().take_while(|d| *d <= last) {
        running += Money::usd(daily.get(&d).copied().unwrap_or_default());
        actual.push((d, running));
    }
    let cone = if forecast.insufficient_data {
        Vec::new()
    } else {
        forecast
            .daily_expected
            .iter()
            .map(|(d, _)| {
                let f = forecast_costs(costs, *d);
                (*d, f.forecast, f.p10, f.p90)
            })
            .collect()
    };
    Some(ForecastView {
        month: (first_of_month, end),
        forecast,
        actual,
        cone,
    })
}

/// Positive monthly savings by kind, largest first, and their total.
fn savings_by_kind(report: &Report) -> (Vec<KindSaving>, Decimal) {
    let mut m: BTreeMap<Kind, (usize, Decimal)> = BTreeMap::new();
    for o in report.savings() {
        let e = m.entry(o.kind).or_default();
        e.0 += 1;
        e.1 += o.monthly_saving;
    }
    let mut v: Vec<KindSaving> = m
        .into_iter()
        .map(|(kind, (count, monthly_saving))| KindSaving {
            kind,
            count,
            monthly_saving,
        })
        .collect();
    v.sort_by(|a, b| {
        b.monthly_saving
            .cmp(&a.monthly_saving)
            .then_with(|| a.kind.cmp(&b.kind))
    });
    (v, report.total_monthly_saving())
}

/// CPU statistics of the right-sizing candidates (every instance with metrics when there are no
/// recommendations), at most [`MAX_INSTANCES`], and how many there were.
fn utilization(
    report: Option<&Report>,
    series: Option<&[InstanceSeries]>,
) -> (Vec<Utilization>, usize) {
    let Some(series) = series else {
        return (Vec::new(), 0);
    };
    let by_id: BTreeMap<&str, &InstanceSeries> =
        series.iter().map(|s| (s.resource_id.as_str(), s)).collect();
    // (order, saving, id, verdict)
    let mut picked: Vec<(u8, Decimal, &str, String)> = match report {
        Some(r) => r
            .instances
            .iter()
            .filter_map(|i| {
                let order = match i.finding.as_str() {
                    "under-provisioned" => 0,
                    "over-provisioned" => 1,
                    "idle" => 2,
                    _ => return None,
                };
                let best = i.options.first();
                let verdict = match (i.finding.as_str(), best) {
                    ("idle", _) => "idle".to_string(),
                    (f, Some(o)) => format!("{f} → {}", o.instance_type),
                    (f, None) => f.to_string(),
                };
                let saving = best.map(|o| o.monthly_saving).unwrap_or_default();
                Some((order, -saving, i.resource_id.as_str(), verdict))
            })
            .collect(),
        None => series
            .iter()
            .map(|s| (0, Decimal::ZERO, s.resource_id.as_str(), String::new()))
            .collect(),
    };
    picked.sort();
    picked.dedup_by(|a, b| a.2 == b.2);
    let count = picked.len();
    let rows = picked
        .into_iter()
        .filter_map(|(_, _, id, verdict)| {
            let s = by_id.get(id)?;
            let mut cpu: Vec<f64> = s
                .samples
                .iter()
                .map(|x| x.cpu_max_pct)
                .filter(|v| v.is_finite())
                .map(|v| v.clamp(0.0, 100.0))
                .collect();
            if cpu.is_empty() {
                return None;
            }
            cpu.sort_by(f64::total_cmp);
            Some(Utilization {
                resource_id: id.to_string(),
                instance_type: s.instance_type.clone(),
                verdict,
                min: percentile(&cpu, 0.0),
                p25: percentile(&cpu, 25.0),
                p50: percentile(&cpu, 50.0),
                p75: percentile(&cpu, 75.0),
                p995: percentile(&cpu, 99.5),
                max: percentile(&cpu, 100.0),
            })
        })
        .take(MAX_INSTANCES)
        .collect();
    (rows, count)
}

/// Linear-interpolated percentile of sorted values (0 when empty).
fn percentile(sorted: &[f64], pct: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    let rank = (pct / 100.0).clamp(0.0, 1.0) * (n - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    let frac = rank - lo as f64;
    let a = sorted.get(lo).copied().unwrap_or(0.0);
    let b = sorted.get(hi).copied().unwrap_or(a);
    a + (b - a) * frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate() {
        let v = [0.0, 10.0, 20.0, 30.0, 40.0];
        assert_eq!(percentile(&v, 0.0), 0.0);
        assert_eq!(percentile(&v, 50.0), 20.0);
        assert_eq!(percentile(&v, 100.0), 40.0);
        assert!((percentile(&v, 99.5) - 39.8).abs() < 1e-9);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }

    #[test]
    fn many_services_fold_into_other() {
        let s: Vec<(String, Money)> = (0..9)
            .map(|i| (format!("s{i}"), Money::usd(Decimal::from(9 - i))))
            .collect();
        let c = chart_services(&s);
        assert_eq!(c.len(), MAX_SERVICES);
        assert_eq!(c.last().map(String::as_str), Some("other"));
    }
}
