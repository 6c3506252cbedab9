//! Savings opportunities beside right-sizing: waste (addresses and volumes nobody uses, volumes
//! of stopped instances, gp2 that would be cheaper as gp3), S3 data in a cheaper class, and
//! commitments (reserved instances, savings plans) sized from the hourly on-demand usage.
//!
//! Every figure is a 730-hour month priced by the engine, as `cloudcost quote` of the resource
//! before and after the change would price it: a fresh [`Pricer`] per resource, so the saving of
//! one recommendation does not depend on the others.

pub mod commitments;
pub mod storage;
pub mod waste;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::pricing::Pricer;

/// What kind of change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Stop or terminate an idle instance.
    IdleInstance,
    /// Move an instance to another type.
    Rightsize,
    /// Stop an instance outside the weekly hours its load follows.
    Schedule,
    /// Run instances of one type and role as a fleet that follows their summed load.
    ScaleFleet,
    /// Release a public IPv4 address nobody uses.
    UnassociatedAddress,
    /// Delete (or snapshot and delete) a volume attached to nothing.
    UnattachedVolume,
    /// A volume attached to an instance that has not run lately.
    StoppedInstanceVolume,
    /// Convert gp2 to gp3.
    Gp2ToGp3,
    /// Delete (or archive) an old snapshot, or one whose volume is gone.
    OldSnapshot,
    /// Move S3 data to another storage class.
    StorageClass,
    /// Buy reserved instances.
    ReservedInstances,
    /// Buy a savings plan.
    SavingsPlan,
}

impl Kind {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::IdleInstance => "idle-instance",
            Kind::Rightsize => "rightsize",
            Kind::Schedule => "schedule",
            Kind::ScaleFleet => "scale-fleet",
            Kind::UnassociatedAddress => "unassociated-address",
            Kind::UnattachedVolume => "unattached-volume",
            Kind::StoppedInstanceVolume => "stopped-instance-volume",
            Kind::Gp2ToGp3 => "gp2-to-gp3",
            Kind::OldSnapshot => "old-snapshot",
            Kind::StorageClass => "storage-class",
            Kind::ReservedInstances => "reserved-instances",
            Kind::SavingsPlan => "savings-plan",
        }
    }
}

/// One recommended change and what it saves a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Opportunity {
    /// What kind of change.
    pub kind: Kind,
    /// The resource (or fleet part) it concerns.
    pub resource_id: String,
    /// Region.
    pub region: String,
    /// What to do.
    pub action: String,
    /// Monthly cost now (730 hours).
    pub current_monthly: Decimal,
    /// Monthly cost after the change.
    pub proposed_monthly: Decimal,
    /// Monthly saving (current − proposed); negative only when it fixes a problem, and then
    /// `detail` says so.
    pub monthly_saving: Decimal,
    /// Why, with the figures.
    pub detail: String,
}

impl Opportunity {
    pub(crate) fn new(
        kind: Kind,
        resource_id: &str,
        region: &str,
        action: String,
        current: Decimal,
        proposed: Decimal,
        detail: String,
    ) -> Opportunity {
        Opportunity {
            kind,
            resource_id: resource_id.into(),
            region: region.into(),
            action,
            current_monthly: current,
            proposed_monthly: proposed,
            monthly_saving: current - proposed,
            detail,
        }
    }
}

/// Hours in the month recommendations are priced for.
pub fn month_hours() -> Decimal {
    Decimal::from(730)
}

/// A fresh pricer for one resource's month.
pub(crate) fn pricer(catalog: &Catalog) -> Pricer<'_> {
    Pricer::new(catalog, month_hours(), false)
}

/// Sum of the costs of priced lines.
pub(crate) fn cost(lines: &[crate::pricing::LineItem]) -> Decimal {
    lines.iter().map(|l| l.cost.amount()).sum()
}

/// A right-sizing finding for one instance, as the report shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceRow {
    /// Instance id.
    pub resource_id: String,
    /// Region.
    pub region: String,
    /// Current type.
    pub instance_type: String,
    /// over-provisioned, under-provisioned, optimized, idle, insufficient-data.
    pub finding: String,
    /// Reason codes, e.g. cpu-over-provisioned.
    pub reasons: Vec<String>,
    /// The CPU figure used (the chosen percentile of hourly maxima), percent.
    pub cpu_pct: f64,
    /// Highest memory use, percent, when measured.
    pub mem_pct: Option<f64>,
    /// Monthly cost now.
    pub current_monthly: Decimal,
    /// Up to three options, best first.
    pub options: Vec<InstanceOption>,
    /// Compute Optimizer's verdict on the same instance, when its export was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compute_optimizer: Option<ComputeOptimizerVerdict>,
}

/// What Compute Optimizer's export says of an instance, beside cloudcost's finding.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ComputeOptimizerVerdict {
    /// Its finding: `over-provisioned`, `under-provisioned`, `optimized` or `not-optimized`.
    pub finding: String,
    /// Its first option, when it has one.
    pub recommended_type: Option<String>,
    /// Whether cloudcost's finding is the same (`not-optimized` matches `over-provisioned`: a
    /// cheaper type does the work).
    pub agrees: bool,
}

/// One right-sizing option.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceOption {
    /// Proposed type.
    pub instance_type: String,
    /// Projected CPU (percentile, with the candidate's vCPUs), percent.
    pub projected_cpu_pct: f64,
    /// Projected memory (the maximum, with the candidate's memory), percent, when measured.
    pub projected_mem_pct: Option<f64>,
    /// Performance risk 0 (none) to 4 (high).
    pub performance_risk: u8,
    /// A different architecture (Graviton): a migration.
    pub migration: bool,
    /// Monthly cost of the option.
    pub monthly_cost: Decimal,
    /// Monthly saving (negative when it fixes under-provisioning).
    pub monthly_saving: Decimal,
    /// Remark.
    pub note: String,
}

impl From<&crate::recommend::InstanceRecommendation> for InstanceRow {
    /// The report row of a right-sizing result, with its options.
    fn from(r: &crate::recommend::InstanceRecommendation) -> Self {
        InstanceRow {
            resource_id: r.resource_id.clone(),
            region: r.region.clone(),
            instance_type: r.instance_type.clone(),
            finding: r.finding.as_str().to_string(),
            reasons: r.reasons.iter().map(|x| x.as_str().to_string()).collect(),
            cpu_pct: r.cpu_used_pct,
            mem_pct: r.mem_max_pct,
            current_monthly: r.current_monthly_cost,
            options: r
                .options
                .iter()
                .map(|o| InstanceOption {
                    instance_type: o.instance_type.clone(),
                    projected_cpu_pct: o.projected_cpu_max_pct,
                    projected_mem_pct: o.projected_mem_max_pct,
                    performance_risk: o.performance_risk,
                    migration: o.migration,
                    monthly_cost: o.monthly_cost,
                    monthly_saving: o.monthly_saving,
                    note: o.note.clone(),
                })
                .collect(),
            compute_optimizer: None,
        }
    }
}

/// An off-hours schedule proposed for an instance, or a fleet that follows its load.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScheduleRow {
    /// Instance id, or the fleet (`m5.large fleet (5)`).
    pub resource_id: String,
    /// When it runs, e.g. `Mon-Fri 08:00-19:00 Asia/Seoul`, or `2 to 4 instances`.
    pub schedule: String,
    /// Instance-hours a week it runs now (168 for one instance).
    pub running_hours_per_week: u32,
    /// Instance-hours a week it needs.
    pub on_hours_per_week: u32,
    /// What stopping it outside those hours saves a month.
    pub monthly_saving: Decimal,
}

/// Everything `cloudcost recommend` found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Changes with a saving (or a fix), ranked by monthly saving.
    pub opportunities: Vec<Opportunity>,
    /// Right-sizing findings per instance.
    pub instances: Vec<InstanceRow>,
    /// Off-hours schedules and scaling fleets proposed, biggest saving first (also among the
    /// opportunities): what the report's hours chart draws.
    pub schedules: Vec<ScheduleRow>,
    /// What could not be recommended, and why.
    pub notes: Vec<String>,
}

impl Report {
    /// Ranks the opportunities (and the schedules): largest monthly saving first.
    pub fn rank(&mut self) {
        self.schedules.sort_by(|a, b| {
            b.monthly_saving
                .cmp(&a.monthly_saving)
                .then_with(|| a.resource_id.cmp(&b.resource_id))
        });
        self.opportunities.sort_by(|a, b| {
            b.monthly_saving
                .cmp(&a.monthly_saving)
                .then_with(|| a.resource_id.cmp(&b.resource_id))
        });
    }

    /// The opportunities that save money (a fix that costs more is listed, not counted): the
    /// count the total is over, the same in every output.
    pub fn savings(&self) -> impl Iterator<Item = &Opportunity> {
        self.opportunities
            .iter()
            .filter(|o| o.monthly_saving > Decimal::ZERO)
    }

    /// The monthly saving of every opportunity with a positive saving.
    pub fn total_monthly_saving(&self) -> Decimal {
        self.opportunities
            .iter()
            .map(|o| o.monthly_saving)
            .filter(|s| *s > Decimal::ZERO)
            .sum()
    }
}

/// Instances that a reserved instance or savings plan covers for most of their hours, with the
/// effective price per hour they pay (from a bill with commitments applied).
pub fn covered_instances(bill: &crate::bill::Bill) -> std::collections::BTreeMap<String, Decimal> {
    use crate::bill::PricingModel;
    let mut acc: std::collections::BTreeMap<String, (Decimal, Decimal, Decimal)> =
        std::collections::BTreeMap::new();
    for r in bill
        .rows
        .iter()
        .filter(|r| r.service == "ec2" && r.usage_type == "instance-seconds")
    {
        let e = acc.entry(r.resource_id.to_string()).or_default();
        e.0 += r.quantity;
        e.2 += r.cost.amount();
        if matches!(r.model, PricingModel::Reserved | PricingModel::SavingsPlan) {
            e.1 += r.quantity;
        }
    }
    acc.into_iter()
        .filter(|(_, (hours, covered, _))| !hours.is_zero() && *covered * Decimal::TWO > *hours)
        .map(|(id, (hours, _, cost))| (id, cost / hours))
        .collect()
}
