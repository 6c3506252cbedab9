//! Quotes: the monthly cost of a planned architecture, line by line, and the side-by-side
//! comparison of EC2 pricing models.
//!
//! [`build_quote`] checks a parsed [`Plan`] against the catalog (regions, instance types, storage
//! classes: errors point at the plan's line and column) and prices each resource, in file order,
//! through one [`Pricer`], so that tiers and free allowances accumulate across the account.

pub mod compare;
pub mod plan;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use toml::Spanned;

pub use compare::{Comparison, PricingOption, compare_plan};
pub use plan::Plan;

use crate::catalog::{Arch, Catalog, Model, Offering, Os};
use crate::error::{Error, InputError};
use crate::money::{Currency, Money};
use crate::pricing::{
    CloudWatchUsage, Ec2Usage, LambdaUsage, LineItem, LoadBalancerUsage, NatGatewayUsage,
    PriceError, Pricer, PricingChoice, S3Usage, StorageClass, TransferUsage, VolumeSpec,
    VolumeType,
};

/// The priced plan: one canonical result that every output format renders.
#[derive(Debug, Clone, Serialize)]
pub struct Quote {
    /// The plan file.
    pub file: String,
    /// Display currency.
    pub currency: Currency,
    /// Hours in the quoted month.
    pub hours_per_month: Decimal,
    /// Whether free tiers were applied.
    pub free_tier: bool,
    /// Every priced line, in plan order.
    pub lines: Vec<LineItem>,
    /// Things the reader should know (e.g. unconfirmed prices).
    pub warnings: Vec<String>,
}

impl Quote {
    /// The exact total.
    pub fn total(&self) -> Money {
        self.lines.iter().map(|l| l.cost).sum()
    }

    /// Exact subtotals by service.
    pub fn by_service(&self) -> BTreeMap<String, Money> {
        let mut m = BTreeMap::new();
        for l in &self.lines {
            *m.entry(l.service.clone()).or_insert(Money::ZERO) += l.cost;
        }
        m
    }

    /// Exact subtotals by resource, in plan order.
    pub fn by_resource(&self) -> Vec<(String, Money)> {
        let mut out: Vec<(String, Money)> = Vec::new();
        for l in &self.lines {
            match out.iter_mut().find(|(r, _)| *r == l.resource) {
                Some((_, m)) => *m += l.cost,
                None => out.push((l.resource.clone(), l.cost)),
            }
        }
        out
    }
}

/// Settings common to the whole plan, after validation.
pub(crate) struct PlanSettings {
    pub hours_per_month: Decimal,
    pub currency: Currency,
}

impl Plan {
    pub(crate) fn settings(&self) -> Result<PlanSettings, InputError> {
        let raw = &self.raw;
        let hours_per_month = match &raw.hours_per_month {
            Some(h) if h.get_ref().0.is_zero() => {
                return Err(self.error_at(
                    h.span(),
                    "top level, key `hours_per_month`".into(),
                    "expected a positive number of hours, found 0".into(),
                ));
            }
            Some(h) => h.get_ref().0,
            None => Decimal::from(730),
        };
        let code = raw
            .currency
            .as_ref()
            .map_or("USD", |c| c.get_ref().as_str());
        let fx = raw.fx_rate.as_ref().map(|f| f.get_ref().0);
        let currency = match (code.eq_ignore_ascii_case("USD"), fx) {
            (false, None) => {
                let span = raw.currency.as_ref().map(|c| c.span()).unwrap_or(0..0);
                return Err(self.error_at(
                    span,
                    "top level, key `currency`".into(),
                    format!("currency {code} needs `fx_rate` (units of {code} per USD)"),
                ));
            }
            _ => Currency::new(code, fx.unwrap_or(Decimal::ONE)).map_err(|m| {
                let span = raw
                    .currency
                    .as_ref()
                    .map(|c| c.span())
                    .or(raw.fx_rate.as_ref().map(|f| f.span()))
                    .unwrap_or(0..0);
                self.error_at(span, "top level, key `currency` / `fx_rate`".into(), m)
            })?,
        };
        Ok(PlanSettings {
            hours_per_month,
            currency,
        })
    }

    /// The region of a resource: its own, else the plan's; checked against the catalog.
    pub(crate) fn region_of<'p>(
        &'p self,
        catalog: &Catalog,
        table: &str,
        name: &Spanned<String>,
        own: &'p Option<Spanned<String>>,
    ) -> Result<&'p str, InputError> {
        let ctx = || format!("[[{table}]] \"{}\"", name.get_ref());
        let spanned = own.as_ref().or(self.raw.region.as_ref()).ok_or_else(|| {
            self.error_at(
                name.span(),
                ctx(),
                "no region: set `region` here or at the top of the plan".into(),
            )
        })?;
        let code = spanned.get_ref().as_str();
        if catalog.region(code).is_none() {
            let known: Vec<String> = catalog.regions().map(|r| r.code.clone()).collect();
            return Err(self.error_at(
                spanned.span(),
                format!("{}, key `region`", ctx()),
                format!(
                    "unknown region `{code}`; the catalog knows: {}",
                    known.join(", ")
                ),
            ));
        }
        Ok(code)
    }
}

/// A resource exists at most every hour of the month: `hours` over `hours_per_month` is refused
/// (several resources are `count`), naming the entry.
fn check_hours(plan: &Plan, hpm: Decimal) -> Result<(), Error> {
    let raw = &plan.raw;
    let entries = raw
        .ec2
        .iter()
        .map(|e| ("ec2", &e.name, e.hours))
        .chain(raw.ebs.iter().map(|e| ("ebs", &e.name, e.hours)))
        .chain(
            raw.public_ipv4
                .iter()
                .map(|e| ("public_ipv4", &e.name, e.hours)),
        )
        .chain(
            raw.nat_gateway
                .iter()
                .map(|e| ("nat_gateway", &e.name, e.hours)),
        )
        .chain(
            raw.load_balancer
                .iter()
                .map(|e| ("load_balancer", &e.name, e.hours)),
        );
    for (table, name, hours) in entries {
        if let Some(h) = hours.filter(|h| h.0 > hpm) {
            return Err(plan
                .error_at(
                    name.span(),
                    format!("[[{table}]] \"{}\", key `hours`", name.get_ref()),
                    format!(
                        "{} hours in a {hpm}-hour month: a resource runs at most every hour of the month (several resources are `count`)",
                        h.0
                    ),
                )
                .into());
        }
    }
    Ok(())
}

/// Prices a plan. Errors name the plan's line and column, or the missing price.
pub fn build_quote(catalog: &Catalog, plan: &Plan) -> Result<Quote, Error> {
    let settings = plan.settings()?;
    let raw = &plan.raw;
    let hpm = settings.hours_per_month;
    check_hours(plan, hpm)?;
    // The EC2 prices of the plan's regions, read at once on all threads.
    let mut regions: Vec<&str> = raw
        .ec2
        .iter()
        .filter_map(|e| e.region.as_ref().or(raw.region.as_ref()))
        .map(|r| r.get_ref().as_str())
        .collect();
    regions.sort_unstable();
    regions.dedup();
    catalog.preload(&regions);
    let mut pricer = Pricer::new(catalog, hpm, raw.free_tier);
    let mut lines = Vec::new();
    let count = |c: Option<plan::Count>| Decimal::from(c.map_or(1, |c| c.0));
    // Turns a pricing error into an error naming the plan entry.
    let fail = |table: &str, name: &Spanned<String>, e: PriceError| -> Error {
        match e {
            PriceError::Missing(m) => m.into(),
            PriceError::Invalid(msg) => plan
                .error_at(
                    name.span(),
                    format!("[[{table}]] \"{}\"", name.get_ref()),
                    msg,
                )
                .into(),
        }
    };

    for e in &raw.ec2 {
        let region = plan.region_of(catalog, "ec2", &e.name, &e.region)?;
        let name = e.name.get_ref();
        let ctx = |key: &str| format!("[[ec2]] \"{name}\", key `{key}`");
        let itype = e.instance_type.get_ref();
        if !catalog.knows_instance_type(itype) {
            let similar = catalog.similar_instance_types(itype);
            let hint = if similar.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", similar.join(", "))
            };
            return Err(plan
                .error_at(
                    e.instance_type.span(),
                    ctx("instance_type"),
                    format!("unknown instance type `{itype}`{hint}"),
                )
                .into());
        }
        let os = e.os.unwrap_or(Os::Linux);
        let model = e.pricing.as_ref().map_or(Model::OnDemand, |p| *p.get_ref());
        let pricing = ec2_choice(plan, e, model, &ctx)?;
        let usage = Ec2Usage {
            resource: name,
            region,
            instance_type: itype,
            os,
            hours: e.hours.map_or(hpm, |h| h.0),
            count: count(e.count),
            pricing,
            az: e.availability_zone.as_deref(),
        };
        lines.extend(pricer.ec2(&usage).map_err(|x| fail("ec2", &e.name, x))?);
        if let Some(v) = &e.volume {
            let vt: VolumeType = v
                .volume_type
                .get_ref()
                .parse()
                .map_err(|m| plan.error_at(v.volume_type.span(), ctx("volume.type"), m))?;
            let spec = VolumeSpec {
                volume_type: vt,
                size_gb: v.size_gb.0,
                iops: v.iops.map(|q| q.0),
                throughput_mbps: v.throughput_mbps.map(|q| q.0),
                io_requests: None,
            };
            // A volume is billed while it exists, whether the instance runs or not.
            lines.extend(
                pricer
                    .ebs_volume(name, region, &spec, hpm, count(e.count))
                    .map_err(|x| fail("ec2", &e.name, x))?,
            );
        }
    }
    for e in &raw.ebs {
        let region = plan.region_of(catalog, "ebs", &e.name, &e.region)?;
        let name = e.name.get_ref();
        let vt: VolumeType = e.volume_type.get_ref().parse().map_err(|m| {
            plan.error_at(
                e.volume_type.span(),
                format!("[[ebs]] \"{name}\", key `volume_type`"),
                m,
            )
        })?;
        let spec = VolumeSpec {
            volume_type: vt,
            size_gb: e.size_gb.0,
            iops: e.iops.map(|q| q.0),
            throughput_mbps: e.throughput_mbps.map(|q| q.0),
            io_requests: e.io_requests.map(|q| q.0),
        };
        let hours = e.hours.map_or(hpm, |h| h.0);
        if !e.size_gb.0.is_zero() {
            lines.extend(
                pricer
                    .ebs_volume(name, region, &spec, hours, count(e.count))
                    .map_err(|x| fail("ebs", &e.name, x))?,
            );
        }
        if let Some(s) = e.snapshot_gb {
            lines.extend(
                pricer
                    .ebs_snapshot(name, region, s.0, hours, count(e.count))
                    .map_err(|x| fail("ebs", &e.name, x))?,
            );
        }
    }
    for e in &raw.s3 {
        let region = plan.region_of(catalog, "s3", &e.name, &e.region)?;
        let name = e.name.get_ref();
        let class = match &e.storage_class {
            Some(c) => c.get_ref().parse::<StorageClass>().map_err(|m| {
                plan.error_at(
                    c.span(),
                    format!("[[s3]] \"{name}\", key `storage_class`"),
                    m,
                )
            })?,
            None => StorageClass::Standard,
        };
        let n = count(e.count);
        let usage = S3Usage {
            resource: name,
            region,
            class,
            storage_gb: e.storage_gb.0 * n,
            put_requests: e.put_requests.0 * n,
            get_requests: e.get_requests.0 * n,
            retrieval_gb: e.retrieval_gb.0 * n,
            objects: e.objects.map(|o| o.0 * n),
        };
        lines.extend(pricer.s3(&usage).map_err(|x| fail("s3", &e.name, x))?);
    }
    for e in &raw.lambda {
        let region = plan.region_of(catalog, "lambda", &e.name, &e.region)?;
        let n = count(e.count);
        let usage = LambdaUsage {
            resource: e.name.get_ref(),
            region,
            arch: e.architecture.unwrap_or(Arch::X86_64),
            requests: e.requests.0 * n,
            duration_ms: e.duration_ms.0,
            memory_mb: e
                .memory_mb
                .as_ref()
                .map_or(Decimal::from(128), |m| m.get_ref().0),
            ephemeral_storage_mb: e
                .ephemeral_storage_mb
                .as_ref()
                .map_or(Decimal::from(512), |m| m.get_ref().0),
        };
        lines.extend(
            pricer
                .lambda(&usage)
                .map_err(|x| fail("lambda", &e.name, x))?,
        );
    }
    for e in &raw.data_transfer {
        let region = plan.region_of(catalog, "data_transfer", &e.name, &e.region)?;
        let n = count(e.count);
        let dest = match &e.destination_region {
            Some(d) if catalog.region(d.get_ref()).is_none() => {
                return Err(plan
                    .error_at(
                        d.span(),
                        format!(
                            "[[data_transfer]] \"{}\", key `destination_region`",
                            e.name.get_ref()
                        ),
                        format!("unknown region `{}`", d.get_ref()),
                    )
                    .into());
            }
            Some(d) => Some(d.get_ref().as_str()),
            None => None,
        };
        let usage = TransferUsage {
            resource: e.name.get_ref(),
            region,
            internet_out_gb: e.internet_out_gb.0 * n,
            inter_az_gb: e.inter_az_gb.0 * n,
            inter_region_gb: e.inter_region_gb.0 * n,
            destination_region: dest,
        };
        lines.extend(
            pricer
                .transfer(&usage)
                .map_err(|x| fail("data_transfer", &e.name, x))?,
        );
    }
    for e in &raw.public_ipv4 {
        let region = plan.region_of(catalog, "public_ipv4", &e.name, &e.region)?;
        let hours = e.hours.map_or(hpm, |h| h.0);
        lines.extend(
            pricer
                .public_ipv4(e.name.get_ref(), region, hours, count(e.count), e.idle)
                .map_err(|x| fail("public_ipv4", &e.name, x))?,
        );
    }
    for e in &raw.nat_gateway {
        let region = plan.region_of(catalog, "nat_gateway", &e.name, &e.region)?;
        let usage = NatGatewayUsage {
            resource: e.name.get_ref(),
            region,
            hours: e.hours.map_or(hpm, |h| h.0),
            count: count(e.count),
            data_processed_gb: e.data_processed_gb.0,
        };
        lines.extend(
            pricer
                .nat_gateway(&usage)
                .map_err(|x| fail("nat_gateway", &e.name, x))?,
        );
    }
    for e in &raw.load_balancer {
        let region = plan.region_of(catalog, "load_balancer", &e.name, &e.region)?;
        let hours = e.hours.map_or(hpm, |h| h.0);
        let usage = LoadBalancerUsage {
            resource: e.name.get_ref(),
            region,
            lb_type: *e.lb_type.get_ref(),
            hours,
            count: count(e.count),
            capacity_unit_hours: lb_capacity(plan, e, hours)?,
            data_processed_gb: e
                .data_processed_gb
                .as_ref()
                .map_or(Decimal::ZERO, |d| d.get_ref().0),
        };
        lines.extend(
            pricer
                .load_balancer(&usage)
                .map_err(|x| fail("load_balancer", &e.name, x))?,
        );
    }
    for e in &raw.cloudwatch {
        let region = plan.region_of(catalog, "cloudwatch", &e.name, &e.region)?;
        let n = count(e.count);
        let usage = CloudWatchUsage {
            resource: e.name.get_ref(),
            region,
            alarms: e.alarms.0 * n,
            high_resolution_alarms: e.high_resolution_alarms.0 * n,
            custom_metrics: e.custom_metrics.0 * n,
            dashboards: e.dashboards.0 * n,
            api_requests: e.api_requests.0 * n,
            logs_ingested_gb: e.logs_ingested_gb.0 * n,
            logs_stored_gb: e.logs_stored_gb.0 * n,
        };
        lines.extend(
            pricer
                .cloudwatch(&usage)
                .map_err(|x| fail("cloudwatch", &e.name, x))?,
        );
    }

    let mut warnings = Vec::new();
    let unconfirmed: Vec<String> = lines
        .iter()
        .filter(|l| l.confidence != crate::catalog::Confidence::Published)
        .map(|l| format!("{} / {}", l.resource, l.component))
        .collect();
    if !unconfirmed.is_empty() {
        warnings.push(format!(
            "{} line(s) use a price that is not confirmed current or is an estimate (marked); see `cloudcost prices` for sources",
            unconfirmed.len()
        ));
    }
    if lines.is_empty() {
        warnings.push(
            "the plan prices nothing: it lists no resources ([[ec2]], [[ebs]], [[s3]], [[lambda]], [[data_transfer]], [[public_ipv4]], [[nat_gateway]], [[load_balancer]], [[cloudwatch]]; see docs/plan-format.md)"
                .into(),
        );
    } else if lines.iter().all(|l| l.cost.amount().is_zero()) && !raw.free_tier {
        warnings.push("every line of the plan costs nothing (a count or a quantity of 0?)".into());
    }
    Ok(Quote {
        file: plan.file.clone(),
        currency: settings.currency,
        hours_per_month: hpm,
        free_tier: raw.free_tier,
        lines,
        warnings,
    })
}

/// A load balancer's capacity-unit-hours a month: `capacity_units` (the average) × its hours, or
/// `capacity_unit_hours` as given; errors point at a key that does not fit the type.
fn lb_capacity(
    plan: &Plan,
    e: &plan::LoadBalancerEntry,
    hours: Decimal,
) -> Result<Decimal, InputError> {
    let t = *e.lb_type.get_ref();
    let at = |key: &str, span: std::ops::Range<usize>, msg: String| {
        plan.error_at(
            span,
            format!("[[load_balancer]] \"{}\", key `{key}`", e.name.get_ref()),
            msg,
        )
    };
    let given = [
        ("capacity_units", &e.capacity_units),
        ("capacity_unit_hours", &e.capacity_unit_hours),
    ];
    match (t.capacity_unit(), &e.data_processed_gb) {
        (Some(unit), Some(d)) => {
            return Err(at(
                "data_processed_gb",
                d.span(),
                format!(
                    "`data_processed_gb` applies to `type = \"classic\"` only; a {t} load balancer bills processed bytes in its capacity units: give `capacity_units` ({unit}s)"
                ),
            ));
        }
        (None, _) => {
            if let Some((key, Some(q))) = given.iter().find(|(_, q)| q.is_some()) {
                return Err(at(
                    key,
                    q.span(),
                    format!(
                        "`{key}` does not apply to `type = \"classic\"`: a classic load balancer bills GB processed (`data_processed_gb`)"
                    ),
                ));
            }
            return Ok(Decimal::ZERO);
        }
        _ => {}
    }
    match (&e.capacity_units, &e.capacity_unit_hours) {
        (Some(_), Some(h)) => Err(at(
            "capacity_unit_hours",
            h.span(),
            "give `capacity_units` (the average) or `capacity_unit_hours` (the month's total), not both".into(),
        )),
        (Some(u), None) => Ok(u.get_ref().0 * hours),
        (None, Some(h)) => Ok(h.get_ref().0),
        (None, None) => Ok(Decimal::ZERO),
    }
}

/// The pricing choice of an `[[ec2]]` entry, with errors for missing or misplaced keys.
fn ec2_choice(
    plan: &Plan,
    e: &plan::Ec2Entry,
    model: Model,
    ctx: &dyn Fn(&str) -> String,
) -> Result<PricingChoice, InputError> {
    let at_pricing = e.pricing.as_ref().map_or(e.name.span(), |p| p.span());
    let need = |what: &str, expected: String| {
        plan.error_at(
            at_pricing.clone(),
            ctx(what),
            format!("pricing = \"{model}\" needs `{what}` ({expected})"),
        )
    };
    let offering = e.offering.as_ref().map(|o| (*o.get_ref(), o.span()));
    match model {
        Model::OnDemand | Model::Spot => {
            if let Some(key) = [
                ("term", e.term.is_some()),
                ("payment", e.payment.is_some()),
                ("offering", offering.is_some()),
            ]
            .iter()
            .find(|(_, set)| *set)
            .map(|(k, _)| *k)
            {
                return Err(plan.error_at(at_pricing, ctx(key), format!("`{key}` applies only to pricing = \"reserved\" or \"savings-plan\", not \"{model}\"")));
            }
            Ok(if model == Model::Spot {
                PricingChoice::Spot
            } else {
                PricingChoice::OnDemand
            })
        }
        Model::Reserved | Model::SavingsPlan => {
            let term = e
                .term
                .ok_or_else(|| need("term", crate::catalog::Term::expected()))?;
            let payment = e
                .payment
                .ok_or_else(|| need("payment", crate::catalog::Payment::expected()))?;
            let reserved = model == Model::Reserved;
            let o = match offering {
                Some((o, span)) => {
                    if o.is_ri_class() != reserved {
                        let expected = if reserved {
                            "`standard` or `convertible`"
                        } else {
                            "`compute` or `ec2-instance`"
                        };
                        return Err(plan.error_at(
                            span,
                            ctx("offering"),
                            format!("expected {expected} for pricing = \"{model}\", found `{o}`"),
                        ));
                    }
                    o
                }
                None if reserved => Offering::Standard,
                None => Offering::Compute,
            };
            Ok(if reserved {
                PricingChoice::Reserved(term, o, payment)
            } else {
                PricingChoice::SavingsPlan(term, o, payment)
            })
        }
    }
}
