//! Pricing a month of usage aggregates into a [`Bill`].
//!
//! Aggregates arrive by day and resource, in time order. Each billing month gets its own
//! [`Pricer`] (its hours are the month's real hours), so tiers and free allowances accumulate
//! over the month across the account, and restart the next month.

use std::collections::BTreeMap;

use foldhash::fast::FixedState;
use hashbrown::HashMap;
use hashbrown::hash_map::Entry;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use super::summary::{Part, Quantities};
use super::{Bill, CostRow, PricingModel, Summary};
use crate::catalog::{Catalog, Confidence, Ec2Model, Os};
use crate::error::{Error, MissingPrice};
use crate::money::{ExactSum, Money};
use crate::pricing::{LineItem, PriceError, Pricer};
use crate::usage::{BilledDay, ResourceDay, UsageKey, UsageRead};

/// Hours in the calendar month of `day`.
pub fn month_hours(day: NaiveDate) -> Decimal {
    let first = day.with_day(1).unwrap_or(day);
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    let days = next.map_or(30, |n| (n - first).num_days());
    Decimal::from(days * 24)
}

/// The billing month of a day: (year, month).
fn month_of(day: NaiveDate) -> (i32, u32) {
    (day.year(), day.month())
}

/// Prices the usage read from a file (on-demand and spot; commitments are applied by
/// [`super::apply_commitments`]).
pub fn price_usage(catalog: &Catalog, usage: &UsageRead) -> Result<Bill, Error> {
    price(catalog, usage, true)
}

/// Prices the usage and applies the commitments held, when any: the bill of [`price_usage`]
/// then [`super::apply_commitments`], without making the EC2 on-demand rows that applying the
/// commitments replaces (their prices are still looked up: a missing one is the same error).
pub fn price_with_commitments(
    catalog: &Catalog,
    usage: &UsageRead,
    held: Option<&super::contracts::Commitments>,
) -> Result<Bill, Error> {
    let Some(held) = held else {
        return price_usage(catalog, usage);
    };
    let mut bill = price(catalog, usage, false)?;
    super::apply_commitments(catalog, usage, &mut bill, held)?;
    Ok(bill)
}

/// Prices the usage; `ec2_on_demand`: with the rows of EC2 on-demand usage.
fn price(catalog: &Catalog, usage: &UsageRead, ec2_on_demand: bool) -> Result<Bill, Error> {
    let found = find(catalog, usage, ec2_on_demand)?;
    Ok(Bill::new(usage, found.rows(usage)))
}

/// Prices the usage as [`price_usage`] does and sums the bill's rows without keeping them: the
/// bill with its `rows` left empty, and the [`Summary`] of the bill [`price_usage`] gives. For
/// the reports made from the sums alone (`estimate`'s but the CSV of the rows): most of a big
/// file's rows are EC2 on-demand days, whose rows are then never made, only summed.
pub fn price_summed(catalog: &Catalog, usage: &UsageRead) -> Result<(Bill, Summary), Error> {
    let found = find(catalog, usage, true)?;
    let summary = found.summary(usage);
    Ok((Bill::new(usage, Vec::new()), summary))
}

/// The bill's rows found in order: each EC2 on-demand day's price line and hours, the other
/// rows priced.
struct Found<'a> {
    slots: Vec<Slot>,
    lines: Vec<OnDemandLine<'a>>,
    hour_values: Vec<Decimal>,
}

/// Finds the bill's rows of the usage; `ec2_on_demand`: with the rows of EC2 on-demand usage.
fn find<'a>(
    catalog: &Catalog,
    usage: &'a UsageRead,
    ec2_on_demand: bool,
) -> Result<Found<'a>, Error> {
    // First, in order (tiers and free allowances accumulate in time order, and the first price
    // missing is the one reported), each day's rows are priced or, for EC2 on-demand days (most
    // of a big file's), their price and hours found: each (region, instance type, OS)'s price
    // and component looked up once, and each billable quantity's hours divided once (by its
    // exact representation, so its digits are kept).
    let mut slots: Vec<Slot> = Vec::with_capacity(usage.days.len());
    let mut pricers: BTreeMap<(i32, u32), Pricer<'_>> = BTreeMap::new();
    let mut lines: Vec<OnDemandLine> = Vec::new();
    let mut line_of: HashMap<(&str, &str, Os), u32, FixedState> = HashMap::default();
    let mut hour_values: Vec<Decimal> = Vec::new();
    let mut hours_of: HashMap<[u8; 16], u32, FixedState> = HashMap::default();
    // Each key's line (`None`: not EC2 on-demand), found by the key's address: a resource's
    // days share their key, so its texts are read once per key, not once per day.
    let mut line_by_key: HashMap<*const UsageKey, Option<u32>, FixedState> = HashMap::default();
    // The billable quantity of the day before and its hours (most days of a file are alike).
    let mut last_hours: Option<([u8; 16], u32)> = None;
    for (day, d) in usage.days.iter().enumerate() {
        let k = &d.key;
        let line = match line_by_key.entry(std::sync::Arc::as_ptr(k)) {
            Entry::Occupied(e) => *e.get(),
            Entry::Vacant(e) => *e.insert(if k.service == "ec2" && !k.spot {
                Some(
                    match line_of.entry((k.region.as_str(), k.attr.as_str(), k.os)) {
                        Entry::Occupied(e) => *e.get(),
                        Entry::Vacant(e) => {
                            let price =
                                catalog.ec2_price(&k.region, &k.attr, k.os, Ec2Model::OnDemand)?;
                            lines.push(OnDemandLine {
                                region: &k.region,
                                hourly: price.hourly,
                                confidence: price.provenance.confidence,
                                component: format!(
                                    "Instance usage ({}, on-demand, {})",
                                    k.os, k.attr
                                )
                                .into(),
                            });
                            *e.insert(index(lines.len() - 1)?)
                        }
                    },
                )
            } else {
                None
            }),
        };
        if let Some(line) = line {
            if !ec2_on_demand {
                continue;
            }
            let billable = d.billable.serialize();
            let hours = match last_hours {
                Some((b, h)) if b == billable => h,
                _ => {
                    let h = match hours_of.entry(billable) {
                        Entry::Occupied(e) => *e.get(),
                        Entry::Vacant(e) => {
                            hour_values.push(d.billable / Decimal::from(3600));
                            *e.insert(index(hour_values.len() - 1)?)
                        }
                    };
                    last_hours = Some((billable, h));
                    h
                }
            };
            slots.push(Slot::OnDemand {
                day: index(day)?,
                line,
                hours,
            });
            continue;
        }
        let month = month_of(d.day);
        let pricer = pricers
            .entry(month)
            .or_insert_with(|| Pricer::new(catalog, month_hours(d.day), false));
        for line in price_day(catalog, pricer, d)? {
            // Spot's on-demand equivalent is what the same hours cost on-demand.
            let od = if d.key.service == "ec2" && d.key.spot {
                Money::usd(
                    line.quantity
                        * on_demand_hourly(catalog, &d.key.region, &d.key.attr, d.key.os)?,
                )
            } else {
                line.cost
            };
            slots.push(Slot::Priced(Box::new(cost_row(d, line, od))));
        }
    }
    // What a billing file bills that is not re-priced here, as it billed it.
    slots.extend(
        usage
            .billed_days
            .iter()
            .map(|d| Slot::Priced(Box::new(billed_row(d)))),
    );
    Ok(Found {
        slots,
        lines,
        hour_values,
    })
}

impl<'a> Found<'a> {
    /// The bill's rows, in order.
    fn rows(self, usage: &UsageRead) -> Vec<CostRow> {
        let Found {
            slots,
            lines,
            hour_values,
        } = self;
        // On all threads, in order, straight into the bill's vector (this is mostly writing 200
        // bytes of fresh memory per row). The vector has a little more room: `apply_commitments`
        // writes its rows into it, a few more where commitments split a day, and a vector that
        // must grow is copied whole (and the copy faulted in).
        use rayon::prelude::*;
        let mut rows = Vec::with_capacity(slots.len() + slots.len() / 64 + 64);
        // Each thread's rows share its own copies of the components and the unit: a row holds a
        // reference to each, and counting the references of one copy from both threads made the
        // threads wait on each other (a third of this step's time).
        let copies = || {
            let units: std::sync::Arc<str> = "hours".into();
            let components: Vec<std::sync::Arc<str>> =
                lines.iter().map(|l| l.component.as_ref().into()).collect();
            (units, components)
        };
        rows.par_extend(slots.into_par_iter().map_init(
            copies,
            |(unit, components), slot| match slot {
                Slot::OnDemand { day, line, hours } => {
                    let d = &usage.days[day as usize];
                    let (component, line) = (&components[line as usize], &lines[line as usize]);
                    let quantity = hour_values[hours as usize];
                    let cost = Money::usd(quantity * line.hourly);
                    CostRow {
                        day: d.day,
                        service: d.key.service.clone(),
                        region: d.key.region.clone(),
                        resource_id: d.resource_id.clone(),
                        usage_type: d.key.usage_type.clone(),
                        component: component.clone(),
                        model: PricingModel::OnDemand,
                        quantity,
                        unit: unit.clone(),
                        on_demand_equivalent: cost,
                        cost,
                        confidence: line.confidence,
                    }
                }
                Slot::Priced(row) => *row,
            },
        ));
        rows
    }

    /// The sums of the bill's rows ([`Summary::of`]), without making the EC2 on-demand rows:
    /// each half of the rows summed on a thread (more parts took longer: each part sums every
    /// resource of a day again), beside the lines' quantities, summed in the rows' order.
    fn summary(&self, usage: &'a UsageRead) -> Summary {
        use rayon::prelude::*;
        let half = self.slots.len().div_ceil(2).max(1);
        let (sums, quantities) = rayon::join(
            || {
                self.slots
                    .par_chunks(half)
                    .map(|slots| self.sum(usage, slots))
                    .reduce(Part::new, |mut sums, more| {
                        sums.add(more);
                        sums
                    })
            },
            || self.quantities(),
        );
        sums.summary(quantities)
    }

    /// The lines' quantities, in the rows' order. A line of the bill with EC2 on-demand rows
    /// has only those (their component names the on-demand price): its quantity is summed by
    /// component (the price lines of an instance type in two regions are one line of the
    /// bill), then added.
    fn quantities(&self) -> Quantities<'_> {
        let mut quantities = Quantities::new();
        let mut components: Vec<&str> = Vec::new();
        let mut numbers: HashMap<&str, usize, FixedState> = HashMap::default();
        let component_of: Vec<usize> = self
            .lines
            .iter()
            .map(|l| {
                *numbers.entry(&l.component).or_insert_with(|| {
                    components.push(&l.component);
                    components.len() - 1
                })
            })
            .collect();
        let mut by_component: Vec<Option<Decimal>> = vec![None; components.len()];
        for slot in &self.slots {
            match slot {
                Slot::Priced(row) => quantities.add(row.line_key(), row.quantity),
                &Slot::OnDemand { line, hours, .. } => {
                    *by_component[component_of[line as usize]].get_or_insert_default() +=
                        self.hour_values[hours as usize];
                }
            }
        }
        for (component, quantity) in components.into_iter().zip(by_component) {
            if let Some(quantity) = quantity {
                quantities.add(
                    ("ec2", component, PricingModel::OnDemand, "hours"),
                    quantity,
                );
            }
        }
        quantities
    }

    /// The sums of the rows of `slots`. An EC2 on-demand row's cost is summed by resource and by
    /// cell as any row's (its service is `ec2`, its region its line's, its on-demand equivalent
    /// its cost); by line it is summed by line number, and those sums are added to the part's
    /// (its unit is `hours`).
    fn sum<'s>(&'s self, usage: &'a UsageRead, slots: &'s [Slot]) -> Part<'s>
    where
        'a: 's,
    {
        let mut part = Part::new();
        let mut by_line: Vec<Option<ExactSum>> = vec![None; self.lines.len()];
        for slot in slots {
            match slot {
                Slot::Priced(row) => part.add_row(row),
                &Slot::OnDemand { day, line, hours } => {
                    let d = &usage.days[day as usize];
                    let line = line as usize;
                    let cost = self.hour_values[hours as usize] * self.lines[line].hourly;
                    part.resource((d.resource_id.as_str(), d.key.service.as_str()))
                        .add(cost);
                    let cell = (
                        "ec2",
                        self.lines[line].region,
                        d.day,
                        PricingModel::OnDemand,
                    );
                    let cell = part.cell(cell);
                    cell.0.add(cost);
                    cell.1.add(cost);
                    by_line[line].get_or_insert_default().add(cost);
                }
            }
        }
        for (l, cost) in by_line.into_iter().enumerate() {
            if let Some(cost) = cost {
                let component: &str = &self.lines[l].component;
                let line = part.line(("ec2", component, PricingModel::OnDemand, "hours"));
                line.0.add_sum(&cost);
                line.1.add_sum(&cost);
            }
        }
        part
    }
}

/// A row of the bill, found in order and made afterwards: an EC2 on-demand day (its index in
/// the usage, its price line and its hours, by index), or a row priced already (boxed, so that
/// the slots of a file of EC2 days stay small).
enum Slot {
    OnDemand { day: u32, line: u32, hours: u32 },
    Priced(Box<CostRow>),
}

/// An index that fits the `u32` of a [`Slot`].
fn index(i: usize) -> Result<u32, Error> {
    u32::try_from(i).map_err(|_| {
        Error::from(crate::error::CatalogError {
            file: "usage".into(),
            line: None,
            column: None,
            message: format!("more than {} resource-days or bill rows", u32::MAX),
        })
    })
}

/// An EC2 on-demand price and the component of its lines.
struct OnDemandLine<'a> {
    /// The region of its usage.
    region: &'a str,
    hourly: Decimal,
    confidence: Confidence,
    component: std::sync::Arc<str>,
}

fn cost_row(d: &ResourceDay, l: LineItem, on_demand_equivalent: Money) -> CostRow {
    let model = if d.key.service == "ec2" {
        if d.key.spot {
            PricingModel::Spot
        } else {
            PricingModel::OnDemand
        }
    } else if l.unit_price.is_zero() && l.component.contains("free") {
        PricingModel::Free
    } else {
        PricingModel::OnDemand
    };
    CostRow {
        day: d.day,
        service: d.key.service.clone(),
        region: d.key.region.clone(),
        resource_id: d.resource_id.clone(),
        usage_type: d.key.usage_type.clone(),
        component: l.component.into(),
        model,
        quantity: l.quantity,
        unit: l.unit.into(),
        on_demand_equivalent,
        cost: l.cost,
        confidence: l.confidence,
    }
}

/// The bill's row of a billing file's rows taken at their billed cost: usage not re-priced
/// (its component says why) or a charge (its component is the line item type).
fn billed_row(d: &BilledDay) -> CostRow {
    let (quantity, unit) = if d.ec2_seconds {
        (d.quantity / Decimal::from(3600), "hours")
    } else {
        (d.quantity, "")
    };
    let (component, model) = match &d.reason {
        Some(reason) => (format!("as billed: {reason}"), PricingModel::Carried),
        None if d.period_charge => (d.line_type.to_string(), PricingModel::PeriodCharge),
        None => (d.line_type.to_string(), PricingModel::Charge),
    };
    let cost = Money::usd(d.billed);
    CostRow {
        day: d.day,
        service: d.product.clone(),
        region: d.region.clone(),
        resource_id: d.resource_id.clone(),
        usage_type: d.usage_type.clone(),
        component: component.into(),
        model,
        quantity,
        unit: unit.into(),
        on_demand_equivalent: cost,
        cost,
        confidence: Confidence::Published,
    }
}

fn missing(e: PriceError) -> Error {
    match e {
        PriceError::Missing(m) => m.into(),
        PriceError::Invalid(msg) => crate::error::CatalogError {
            file: "usage".into(),
            line: None,
            column: None,
            message: msg,
        }
        .into(),
    }
}

/// Prices one resource-day aggregate.
fn price_day(
    catalog: &Catalog,
    p: &mut Pricer<'_>,
    d: &ResourceDay,
) -> Result<Vec<LineItem>, Error> {
    let k = &d.key;
    let (region, res) = (k.region.as_str(), d.resource_id.as_str());
    let q = d.billable;
    let hpm = p.hours_per_month;
    let hours = |x: Decimal| x / Decimal::from(3600);
    let lines = match (k.service.as_str(), k.usage_type.as_str()) {
        ("ec2", _) => {
            let itype = k.attr.as_str();
            if k.spot {
                let az = (!k.az.is_empty()).then_some(k.az.as_str());
                let s = catalog.spot_estimate(region, az, itype, k.os)?;
                vec![LineItem::priced(
                    res,
                    "ec2",
                    format!("Instance usage ({}, spot, {itype})", k.os),
                    hours(q),
                    "hours",
                    s.hourly,
                    s.confidence,
                )]
            } else {
                let price = catalog.ec2_price(region, itype, k.os, Ec2Model::OnDemand)?;
                vec![LineItem::priced(
                    res,
                    "ec2",
                    format!("Instance usage ({}, on-demand, {itype})", k.os),
                    hours(q),
                    "hours",
                    price.hourly,
                    price.provenance.confidence,
                )]
            }
        }
        ("ebs", "volume-gb-hours") => p
            .rate_lines(
                "ebs",
                region,
                &format!("storage/{}", k.attr),
                res,
                &format!("Storage ({})", k.attr),
                q / hpm,
            )
            .map_err(missing)?,
        ("ebs", "volume-iops-hours") => {
            let key = format!("iops/{}", k.attr);
            p.rate_lines(
                "ebs",
                region,
                &key,
                res,
                &format!("Provisioned IOPS ({})", k.attr),
                q / hpm,
            )
            .map_err(missing)?
        }
        // This project's MB/s-hours, or a billing file's gp3 throughput above what is included
        // in GiB/s-months (AWS's unit; the price is per MiB/s-month).
        ("ebs", ut @ ("volume-throughput-hours" | "volume-throughput-months")) => p
            .rate_lines(
                "ebs",
                region,
                &format!("throughput/{}", k.attr),
                res,
                "Provisioned throughput (gp3)",
                if ut == "volume-throughput-hours" {
                    q / hpm
                } else {
                    q * Decimal::from(1024)
                },
            )
            .map_err(missing)?,
        ("ebs", "volume-gb-months") => p
            .rate_lines(
                "ebs",
                region,
                &format!("storage/{}", k.attr),
                res,
                &format!("Storage ({})", k.attr),
                q,
            )
            .map_err(missing)?,
        ("ebs", "volume-iops-months") => p
            .rate_lines(
                "ebs",
                region,
                &format!("iops/{}", k.attr),
                res,
                &format!("Provisioned IOPS ({})", k.attr),
                q,
            )
            .map_err(missing)?,
        ("ebs", "snapshot-gb-months") => p
            .rate_lines(
                "ebs",
                region,
                "snapshot/standard",
                res,
                "Snapshot storage",
                q,
            )
            .map_err(missing)?,
        ("s3", "storage-gb-months") => {
            let class: crate::pricing::StorageClass = k
                .attr
                .parse()
                .map_err(|m: String| missing(PriceError::Invalid(m)))?;
            p.rate_lines(
                "s3",
                region,
                &class.storage_key(),
                res,
                &format!("Storage ({})", k.attr),
                q,
            )
            .map_err(missing)?
        }
        ("data_transfer", "regional-gb") => p
            .rate_lines(
                "data_transfer",
                region,
                "inter-az",
                res,
                "Regional (inter-AZ) transfer, one direction",
                q,
            )
            .map_err(missing)?,
        ("data_transfer", "internet-in-gb") => p
            .rate_lines(
                "data_transfer",
                region,
                "internet-in",
                res,
                "Data transfer in",
                q,
            )
            .map_err(missing)?,
        ("ebs", "volume-io-requests") => p
            .rate_lines(
                "ebs",
                region,
                "io/standard",
                res,
                "I/O requests (standard)",
                q / Decimal::from(1_000_000),
            )
            .map_err(missing)?,
        ("ebs", "snapshot-gb-hours") => p
            .rate_lines(
                "ebs",
                region,
                "snapshot/standard",
                res,
                "Snapshot storage",
                q / hpm,
            )
            .map_err(missing)?,
        ("s3", "storage-gb-hours") => {
            let class: crate::pricing::StorageClass = k
                .attr
                .parse()
                .map_err(|m: String| missing(PriceError::Invalid(m)))?;
            p.rate_lines(
                "s3",
                region,
                &class.storage_key(),
                res,
                &format!("Storage ({})", k.attr),
                q / hpm,
            )
            .map_err(missing)?
        }
        ("s3", "put-requests") => p
            .rate_lines(
                "s3",
                region,
                &format!("requests/{}/put", k.attr),
                res,
                &format!("PUT, COPY, POST, LIST requests ({})", k.attr),
                q / Decimal::from(1000),
            )
            .map_err(missing)?,
        ("s3", "get-requests") => p
            .rate_lines(
                "s3",
                region,
                &format!("requests/{}/get", k.attr),
                res,
                &format!("GET and other requests ({})", k.attr),
                q / Decimal::from(1000),
            )
            .map_err(missing)?,
        ("s3", "retrieval-gb") => {
            let class: crate::pricing::StorageClass = k
                .attr
                .parse()
                .map_err(|m: String| missing(PriceError::Invalid(m)))?;
            if class.has_retrieval_fee() {
                p.rate_lines(
                    "s3",
                    region,
                    &format!("retrieval/{}", k.attr),
                    res,
                    &format!("Data retrieval ({})", k.attr),
                    q,
                )
                .map_err(missing)?
            } else {
                vec![LineItem::priced(
                    res,
                    "s3",
                    format!("Data retrieval ({}, no retrieval fee)", k.attr),
                    q,
                    "GB",
                    Decimal::ZERO,
                    Confidence::Published,
                )]
            }
        }
        ("lambda", "requests") => p
            .rate_lines(
                "lambda",
                region,
                "requests",
                res,
                "Requests",
                q / Decimal::from(1_000_000),
            )
            .map_err(missing)?,
        ("lambda", "gb-seconds") => p
            .rate_lines(
                "lambda",
                region,
                &format!("duration/{}", k.attr),
                res,
                &format!("Duration, {}", k.attr),
                q,
            )
            .map_err(missing)?,
        ("lambda", "ephemeral-gb-seconds") => p
            .rate_lines(
                "lambda",
                region,
                "ephemeral-storage",
                res,
                "Ephemeral storage above 512 MB",
                q,
            )
            .map_err(missing)?,
        ("data_transfer", "internet-out-gb") => {
            let free = p.free_allowance(
                "data_transfer",
                region,
                "internet-out/free-gb",
                "internet-out",
                q,
            )?;
            let mut lines = Vec::new();
            if !free.is_zero() {
                let allowance = catalog.fact("data_transfer", region, "internet-out/free-gb")?;
                lines.push(crate::pricing::free_egress_line(res, free, allowance));
            }
            lines.extend(
                p.rate_lines(
                    "data_transfer",
                    region,
                    "internet-out",
                    res,
                    "Internet egress",
                    q - free,
                )
                .map_err(missing)?,
            );
            lines
        }
        ("data_transfer", "inter-az-gb") => p
            .rate_lines(
                "data_transfer",
                region,
                "inter-az",
                res,
                "Inter-AZ transfer (out and in)",
                q * Decimal::TWO,
            )
            .map_err(missing)?,
        ("data_transfer", "inter-region-gb") => {
            let specific = format!("inter-region/{}", k.attr);
            let key =
                if !k.attr.is_empty() && catalog.rate("data_transfer", region, &specific).is_ok() {
                    specific
                } else {
                    "inter-region".to_string()
                };
            p.rate_lines(
                "data_transfer",
                region,
                &key,
                res,
                "Inter-region transfer out",
                q,
            )
            .map_err(missing)?
        }
        ("public_ipv4", _) => p
            .rate_lines(
                "vpc",
                region,
                "public-ipv4/in-use",
                res,
                "Public IPv4 address",
                q,
            )
            .map_err(missing)?,
        (s, u) => {
            return Err(MissingPrice {
                region: region.into(),
                service: s.into(),
                item: u.into(),
                what: "usage type".into(),
            }
            .into());
        }
    };
    // A zero-quantity aggregate still shows as a line (nothing silently disappears).
    Ok(lines
        .into_iter()
        .map(|mut l| {
            if l.service != k.service {
                l.service = k.service.to_string();
            }
            l
        })
        .collect())
}

/// The on-demand price of an instance hour, for on-demand equivalents.
pub fn on_demand_hourly(
    catalog: &Catalog,
    region: &str,
    itype: &str,
    os: Os,
) -> Result<Decimal, MissingPrice> {
    catalog
        .ec2_price(region, itype, os, Ec2Model::OnDemand)
        .map(|p| p.hourly)
}

/// Sum of costs.
pub fn sum(rows: &[CostRow]) -> Money {
    rows.iter().map(|r| r.cost).sum()
}
