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
    /// Release a public IPv4 address nobody uses.
    UnassociatedAddress,
    /// Delete (or snapshot and delete) a volume attached to nothing.
    UnattachedVolume,
    /// A volume attached to an instance that has not run lately.
    StoppedInstanceVolume,
    /// Convert gp2 to gp3.
    Gp2ToGp3,
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
            Kind::UnassociatedAddress => "unassociated-address",
            Kind::UnattachedVolume => "unattached-volume",
            Kind::StoppedInstanceVolume => "stopped-instance-volume",
            Kind::Gp2ToGp3 => "gp2-to-gp3",
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
