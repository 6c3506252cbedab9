//! The sums every bill report shows (total, by service, region, day, pricing model and resource,
//! and the line items), computed once: `estimate`'s outputs read them here instead of summing a
//! bill of hundreds of thousands of rows once per table. The rows are summed in one pass under
//! borrowed keys, in parts run on all threads: the resources (the one large grouping), the line
//! items, and the rest (from the rows' sums by service, region, day and pricing model, each half of
//! the rows summed on a thread of its own). The sums are exact ([`ExactSum`]: they do not depend
//! on the rows' order), so each equals the [`Bill`] method of its name.

use std::collections::{BTreeMap, HashMap};

use super::{Bill, BillLine, PricingModel};
use crate::money::{ExactSum, Money};
use chrono::NaiveDate;

type Fast = foldhash::fast::FixedState;

/// A bill's sums (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// [`Bill::total`].
    pub total: Money,
    /// [`Bill::on_demand_equivalent`].
    pub on_demand_equivalent: Money,
    /// [`Bill::period`].
    pub period: Option<(NaiveDate, NaiveDate)>,
    /// [`Bill::by_service`].
    pub by_service: BTreeMap<String, Money>,
    /// [`Bill::by_region`].
    pub by_region: BTreeMap<String, Money>,
    /// [`Bill::by_day`].
    pub by_day: BTreeMap<NaiveDate, Money>,
    /// [`Bill::by_pricing_model`].
    pub by_pricing_model: BTreeMap<String, Money>,
    /// [`Bill::by_resource`].
    pub by_resource: Vec<(String, String, Money)>,
    /// [`Bill::lines`].
    pub lines: Vec<BillLine>,
}

impl Summary {
    /// The sums of `bill`.
    pub fn of(bill: &Bill) -> Summary {
        // The cells' sums take about as long as either of the other parts: each thread sums
        // half of the rows into cells after its part, and the halves' cells are added up.
        // (A panic in a part is re-raised here, as it would be had it run on this thread.)
        let (first, second) = bill.rows.split_at(bill.rows.len() / 2);
        let ((by_resource, mut cells), (lines, more)) = rayon::join(
            || (bill.by_resource(), cells_of(first)),
            || (bill.lines(), cells_of(second)),
        );
        cells.add(more);
        let mut summary = sums_of(cells);
        summary.by_resource = by_resource;
        summary.lines = lines;
        summary
    }
}

/// (service, region, day, pricing model): the groups every sum but the resources' and the lines'
/// is a union of (a bill has a few hundred).
type Cell<'a> = (&'a str, &'a str, NaiveDate, PricingModel);

/// Rows' costs and on-demand equivalents summed by `Cell`, each cell once.
#[derive(Default)]
struct Cells<'a> {
    index: HashMap<Cell<'a>, usize, Fast>,
    sums: Vec<(Cell<'a>, ExactSum, ExactSum)>,
}

impl<'a> Cells<'a> {
    /// The sums of `cell`, added when new.
    fn of(&mut self, cell: Cell<'a>) -> usize {
        let next = self.sums.len();
        let at = *self.index.entry(cell).or_insert(next);
        if at == next {
            self.sums.push((cell, ExactSum::ZERO, ExactSum::ZERO));
        }
        at
    }

    /// Adds another's sums.
    fn add(&mut self, other: Cells<'a>) {
        for (cell, cost, od) in other.sums {
            let at = self.of(cell);
            self.sums[at].1.add_sum(&cost);
            self.sums[at].2.add_sum(&od);
        }
    }
}

/// The rows' costs summed by `Cell` in one pass (a row of the same cell as the row before it
/// found without a lookup).
fn cells_of(rows: &[super::CostRow]) -> Cells<'_> {
    let mut cells = Cells::default();
    let mut last: Option<(Cell<'_>, usize)> = None;
    for r in rows {
        let cell = (r.service.as_str(), r.region.as_str(), r.day, r.model);
        let at = match last {
            Some((c, at)) if c == cell => at,
            _ => {
                let at = cells.of(cell);
                last = Some((cell, at));
                at
            }
        };
        let (_, cost, od) = &mut cells.sums[at];
        cost.add(r.cost.amount());
        od.add(r.on_demand_equivalent.amount());
    }
    cells
}

/// Everything but the resources and the line items, from the rows' cells: the cells' sums summed
/// by each dimension and in all. The sums are exact, so this equals summing the rows by each
/// dimension.
fn sums_of(cells: Cells<'_>) -> Summary {
    let cells = cells.sums;
    let (mut total, mut od) = (ExactSum::ZERO, ExactSum::ZERO);
    let mut service: BTreeMap<&str, ExactSum> = BTreeMap::new();
    let mut region: BTreeMap<&str, ExactSum> = BTreeMap::new();
    let mut day: BTreeMap<NaiveDate, ExactSum> = BTreeMap::new();
    let mut model: BTreeMap<&str, ExactSum> = BTreeMap::new();
    for ((s, r, d, m), cost, cell_od) in &cells {
        total.add_sum(cost);
        od.add_sum(cell_od);
        service.entry(s).or_default().add_sum(cost);
        region.entry(r).or_default().add_sum(cost);
        day.entry(*d).or_default().add_sum(cost);
        model.entry(m.as_str()).or_default().add_sum(cost);
    }
    let owned = |m: BTreeMap<&str, ExactSum>| -> BTreeMap<String, Money> {
        m.into_iter()
            .map(|(k, v)| (k.to_string(), v.money()))
            .collect()
    };
    Summary {
        total: total.money(),
        on_demand_equivalent: od.money(),
        period: day
            .keys()
            .next()
            .copied()
            .zip(day.keys().next_back().copied()),
        by_service: owned(service),
        by_region: owned(region),
        by_day: day.into_iter().map(|(k, v)| (k, v.money())).collect(),
        by_pricing_model: owned(model),
        by_resource: Vec::new(),
        lines: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bill::CostRow;
    use crate::catalog::Confidence;
    use compact_str::CompactString;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    fn row(day: u32, service: &str, region: &str, resource: &str, model: u8, cost: i64) -> CostRow {
        CostRow {
            day: NaiveDate::from_ymd_opt(2026, 10, day).unwrap(),
            service: service.into(),
            region: region.into(),
            resource_id: CompactString::from(resource),
            usage_type: "u".into(),
            component: format!("component of {service}").into(),
            model: [
                PricingModel::OnDemand,
                PricingModel::Spot,
                PricingModel::Reserved,
            ][model as usize % 3],
            quantity: Decimal::new(cost, 2),
            unit: "hours".into(),
            cost: Money::usd(Decimal::new(cost, 4)),
            on_demand_equivalent: Money::usd(Decimal::new(cost * 2, 3)),
            confidence: Confidence::Published,
        }
    }

    #[test]
    fn resources_are_ordered_by_cost_in_cents_then_by_name() {
        let rows = vec![
            row(1, "ec2", "us-east-1", "r-b", 0, 10_040),
            row(1, "ec2", "us-east-1", "r-a", 0, 10_010),
            row(2, "ec2", "us-east-1", "r-c", 0, 10_060),
        ];
        let s = Summary::of(&Bill::new(&Default::default(), rows));
        let order: Vec<&str> = s.by_resource.iter().map(|(r, _, _)| r.as_str()).collect();
        // $1.006 shows as $1.01; $1.004 and $1.001 both as $1.00: a tie, by name.
        assert_eq!(order, ["r-c", "r-a", "r-b"]);
        assert_eq!(s.by_resource[2].2.amount(), Decimal::new(10_040, 4));
    }

    proptest! {
        #[test]
        fn each_sum_is_the_bill_method_of_its_name(
            rows in proptest::collection::vec(
                (1u32..=31, 0usize..3, 0usize..2, 0usize..5, 0u8..3, -1000i64..100_000),
                0..200,
            )
        ) {
            let rows: Vec<CostRow> = rows
                .into_iter()
                .map(|(d, s, r, res, m, c)| {
                    row(d, ["ec2", "s3", "ebs"][s], ["us-east-1", "ap-northeast-2"][r], &format!("r-{res}"), m, c)
                })
                .collect();
            let bill = Bill::new(&Default::default(), rows);
            let s = Summary::of(&bill);
            prop_assert_eq!(s.total, bill.total());
            prop_assert_eq!(s.on_demand_equivalent, bill.on_demand_equivalent());
            prop_assert_eq!(s.period, bill.period());
            prop_assert_eq!(&s.by_service, &bill.by_service());
            prop_assert_eq!(&s.by_region, &bill.by_region());
            prop_assert_eq!(&s.by_day, &bill.by_day());
            prop_assert_eq!(&s.by_pricing_model, &bill.by_pricing_model());
            prop_assert_eq!(&s.by_resource, &bill.by_resource());
            prop_assert_eq!(&s.lines, &bill.lines());
            // The same texts too (a sum's scale is part of how it prints).
            prop_assert_eq!(s.total.amount().to_string(), bill.total().amount().to_string());
        }
    }
}
