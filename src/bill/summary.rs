//! The sums every bill report shows (total, by service, region, day, pricing model and resource,
//! and the line items), computed once: `estimate`'s outputs read them here instead of summing a
//! bill of hundreds of thousands of rows once per table. The rows are summed under borrowed
//! keys on all threads: by resource (the one large grouping) and by cell (service, region, day
//! and pricing model: the sums by service, region, day and pricing model are unions of cells) on
//! one thread, the line items on another. [`Part`] and [`Quantities`] are the same sums in
//! pieces, for a bill summed as it is priced (`engine::price_summed`). The sums are exact
//! ([`ExactSum`]: they do not depend on the rows' order) but for the lines' quantities, which
//! are `Decimal` sums in the rows' order, as [`Bill::lines`] adds them; so each sum equals the
//! [`Bill`] method of its name.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

use super::{Bill, BillLine, CostRow, LineKeyRef, LineSums, PricingModel};
use crate::money::{ExactSum, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;

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
        // By resource and cell on a thread, by line on another (the lines' quantities are
        // `Decimal` sums, which may round: they are summed in the rows' order, as
        // `Bill::lines` does). (A panic in a part is re-raised here, as it would be had it run
        // on this thread.)
        let ((by_resource, cells), lines) = rayon::join(
            || (by_cost(by_resource(&bill.rows)), by_cell(&bill.rows)),
            || bill.lines(),
        );
        summary(by_resource, lines, cells)
    }
}

/// Cost by (resource id, service).
type Resources<'a> = Keyed<(&'a str, &'a str), ExactSum>;

/// Cost and on-demand equivalent by cell.
type Cells<'a> = Keyed<Cell<'a>, (ExactSum, ExactSum)>;

/// The rows' cost by resource.
fn by_resource(rows: &[CostRow]) -> Resources<'_> {
    let mut sums = Resources::default();
    for r in rows {
        add_resource(&mut sums, r);
    }
    sums
}

/// The rows' cost and on-demand equivalent by cell.
fn by_cell(rows: &[CostRow]) -> Cells<'_> {
    let mut sums = Cells::default();
    for r in rows {
        add_cell(&mut sums, r);
    }
    sums
}

/// Adds a row's cost to its resource's.
fn add_resource<'a>(sums: &mut Resources<'a>, r: &'a CostRow) {
    sums.sums((r.resource_id.as_str(), r.service.as_str()))
        .add(r.cost.amount());
}

/// Adds a row's cost and on-demand equivalent to its cell's.
fn add_cell<'a>(sums: &mut Cells<'a>, r: &'a CostRow) {
    let cell = sums.sums((r.service.as_str(), r.region.as_str(), r.day, r.model));
    cell.0.add(r.cost.amount());
    cell.1.add(r.on_demand_equivalent.amount());
}

/// Adds the sums of cost and on-demand equivalent of `more` to those of `sums`.
fn add_pairs<K: Hash + Eq + Copy>(
    sums: &mut Keyed<K, (ExactSum, ExactSum)>,
    more: Keyed<K, (ExactSum, ExactSum)>,
) {
    for (k, (cost, od), _) in more.entries {
        let pair = sums.sums(k);
        pair.0.add_sum(&cost);
        pair.1.add_sum(&od);
    }
}

/// The resources' sums as [`Bill::by_resource`] lists them.
fn by_cost(resources: Resources<'_>) -> Vec<(String, String, Money)> {
    super::resources_by_cost(
        resources
            .entries
            .into_iter()
            .map(|((r, s), cost, _)| ((r, s), cost)),
    )
}

/// The summary of the resources and lines listed and the sums by cell.
fn summary(
    by_resource: Vec<(String, String, Money)>,
    lines: Vec<BillLine>,
    cells: Cells<'_>,
) -> Summary {
    let mut summary = sums_of(cells);
    summary.by_resource = by_resource;
    summary.lines = lines;
    summary
}

/// The sums of a stretch of rows but the lines' quantities: cost by resource, the lines' cost
/// and on-demand equivalent, and cost and on-demand equivalent by cell; stretches' sums add up
/// ([`Part::add`]). With the lines' quantities summed in the rows' order ([`Quantities`]), the
/// bill's [`Summary`].
pub(super) struct Part<'a> {
    resources: Resources<'a>,
    lines: Keyed<LineKeyRef<'a>, (ExactSum, ExactSum)>,
    cells: Cells<'a>,
}

impl<'a> Part<'a> {
    /// Nothing summed.
    pub(super) fn new() -> Part<'a> {
        Part {
            resources: Keyed::default(),
            lines: Keyed::default(),
            cells: Keyed::default(),
        }
    }

    /// Adds a row.
    pub(super) fn add_row(&mut self, r: &'a CostRow) {
        add_resource(&mut self.resources, r);
        let line = self.lines.sums(r.line_key());
        line.0.add(r.cost.amount());
        line.1.add(r.on_demand_equivalent.amount());
        add_cell(&mut self.cells, r);
    }

    /// The sum of a resource's cost: (resource id, service).
    pub(super) fn resource(&mut self, key: (&'a str, &'a str)) -> &mut ExactSum {
        self.resources.sums(key)
    }

    /// The sums of a line (cost, on-demand equivalent).
    pub(super) fn line(&mut self, key: LineKeyRef<'a>) -> &mut (ExactSum, ExactSum) {
        self.lines.sums(key)
    }

    /// The sums of a cell (cost, on-demand equivalent).
    pub(super) fn cell(&mut self, key: Cell<'a>) -> &mut (ExactSum, ExactSum) {
        self.cells.sums(key)
    }

    /// Adds another part's sums.
    pub(super) fn add(&mut self, other: Part<'a>) {
        for (k, cost, _) in other.resources.entries {
            self.resources.sums(k).add_sum(&cost);
        }
        add_pairs(&mut self.lines, other.lines);
        add_pairs(&mut self.cells, other.cells);
    }

    /// The summary of the sums, with the lines' quantities.
    pub(super) fn summary(self, quantities: Quantities<'a>) -> Summary {
        let Part {
            resources,
            lines,
            cells,
        } = self;
        let (by_resource, lines) = rayon::join(
            || by_cost(resources),
            || {
                let lines: BTreeMap<LineKeyRef<'_>, LineSums> = lines
                    .entries
                    .into_iter()
                    .map(|(k, (cost, od), _)| {
                        // Every line's rows added their quantities.
                        let quantity = quantities.0.get(&k).copied();
                        debug_assert!(quantity.is_some(), "no quantity for {k:?}");
                        let quantity = quantity.unwrap_or_default();
                        (k, (quantity, cost, od))
                    })
                    .collect();
                lines.into_iter().map(BillLine::from_sum).collect()
            },
        );
        summary(by_resource, lines, cells)
    }
}

/// The lines' quantities, each summed as `Decimal` adds, in the order of the rows (as
/// [`Bill::lines`] sums them).
pub(super) struct Quantities<'a>(Keyed<LineKeyRef<'a>, Decimal>);

impl<'a> Quantities<'a> {
    /// None summed.
    pub(super) fn new() -> Quantities<'a> {
        Quantities(Keyed::default())
    }

    /// Adds a quantity to its line's.
    pub(super) fn add(&mut self, line: LineKeyRef<'a>, quantity: Decimal) {
        *self.0.sums(line) += quantity;
    }
}

/// (service, region, day, pricing model): the groups every sum but the resources' and the lines'
/// is a union of (a bill has a few hundred).
pub(super) type Cell<'a> = (&'a str, &'a str, NaiveDate, PricingModel);

/// Sums by key, each key's once, in the order the keys came. A bill's days list their rows
/// alike (each day's resources in one order), so a row's key is mostly the one that came after
/// the row before's key the last time: each key keeps the key that followed it, and a row whose
/// key is that one is found by one comparison instead of a hash lookup.
struct Keyed<K, V> {
    index: HashMap<K, usize, Fast>,
    /// Each key, its sums, and the entry that followed it last (`NONE` before one did).
    entries: Vec<(K, V, usize)>,
    /// The entry of the key before (`NONE` at first).
    last: usize,
}

/// No entry.
const NONE: usize = usize::MAX;

impl<K, V> Default for Keyed<K, V> {
    fn default() -> Self {
        Keyed {
            index: HashMap::default(),
            entries: Vec::new(),
            last: NONE,
        }
    }
}

impl<K: Hash + Eq + Copy, V: Default> Keyed<K, V> {
    /// The sums of `key` (new ones when it is new).
    fn sums(&mut self, key: K) -> &mut V {
        let guess = self.entries.get(self.last).map_or(NONE, |e| e.2);
        let at = match self.entries.get(guess) {
            Some(e) if e.0 == key => guess,
            _ => {
                let next = self.entries.len();
                let at = *self.index.entry(key).or_insert(next);
                if at == next {
                    self.entries.push((key, V::default(), NONE));
                }
                if let Some(e) = self.entries.get_mut(self.last) {
                    e.2 = at;
                }
                at
            }
        };
        self.last = at;
        &mut self.entries[at].1
    }

    /// The sums of `key`, when it came.
    fn get(&self, key: &K) -> Option<&V> {
        self.index.get(key).map(|&at| &self.entries[at].1)
    }
}

/// Everything but the resources and the line items, from the rows' cells: the cells' sums summed
/// by each dimension and in all. The sums are exact, so this equals summing the rows by each
/// dimension.
fn sums_of(cells: Cells<'_>) -> Summary {
    let cells = cells.entries;
    let (mut total, mut od) = (ExactSum::ZERO, ExactSum::ZERO);
    let mut service: BTreeMap<&str, ExactSum> = BTreeMap::new();
    let mut region: BTreeMap<&str, ExactSum> = BTreeMap::new();
    let mut day: BTreeMap<NaiveDate, ExactSum> = BTreeMap::new();
    let mut model: BTreeMap<&str, ExactSum> = BTreeMap::new();
    for ((s, r, d, m), (cost, cell_od), _) in &cells {
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
