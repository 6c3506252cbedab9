//! The pricing engine: quantities in, priced [`LineItem`]s out.
//!
//! One [`Pricer`] prices a billing month for one account. Each service module adds methods that
//! turn a resource's quantities into line items (Infracost's "cost components"): name, quantity,
//! unit, unit price, cost. Tiered prices (S3 storage, data transfer out, Lambda duration) and free
//! allowances accumulate in the pricer's [`MonthState`] in the order resources are priced, across
//! the account, as AWS bills them. Every price comes from the [`Catalog`]; a price it lacks is a
//! [`MissingPrice`](crate::MissingPrice) error.
//!
//! Costs are exact `Decimal` products; nothing is rounded here.

mod cloudwatch;
mod ebs;
mod ec2;
mod elb;
mod lambda;
mod s3;
mod transfer;
mod vpc;

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::Serialize;

pub use cloudwatch::CloudWatchUsage;
pub use ebs::{VolumeSpec, VolumeType};
pub use ec2::{Ec2Usage, PricingChoice};
pub use elb::LoadBalancerUsage;
pub use lambda::LambdaUsage;
pub use s3::{S3Usage, StorageClass};
pub use transfer::TransferUsage;
pub(crate) use transfer::free_egress_line;
pub use vpc::NatGatewayUsage;

use crate::catalog::{Catalog, Confidence, Rate, RateKey};
use crate::error::MissingPrice;
use crate::money::Money;

/// One priced line of a bill or quote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LineItem {
    /// The resource's name (from the plan or usage file).
    pub resource: String,
    /// The service: `ec2`, `ebs`, `s3`, `lambda`, `data_transfer`, `public_ipv4`, `nat_gateway`,
    /// `load_balancer`, `cloudwatch`.
    pub service: String,
    /// What is priced, e.g. `Instance usage (linux, on-demand, m5.large)`.
    pub component: String,
    /// How much.
    pub quantity: Decimal,
    /// Unit of the quantity, e.g. `hours`, `GB-Mo`.
    pub unit: String,
    /// Price per unit (USD), every published digit kept.
    pub unit_price: Decimal,
    /// Exact cost (USD).
    pub cost: Money,
    /// How sure the catalog is of the price.
    pub confidence: Confidence,
    /// A remark for the reader (e.g. the basis of a spot estimate).
    pub note: Option<String>,
}

impl LineItem {
    /// A line whose cost is `quantity × unit_price`.
    pub fn priced(
        resource: &str,
        service: &str,
        component: String,
        quantity: Decimal,
        unit: &str,
        unit_price: Decimal,
        confidence: Confidence,
    ) -> LineItem {
        LineItem {
            resource: resource.into(),
            service: service.into(),
            component,
            quantity,
            unit: unit.into(),
            unit_price,
            cost: Money::usd(quantity * unit_price),
            confidence,
            note: None,
        }
    }

    /// Adds a note.
    pub fn with_note(mut self, note: impl Into<String>) -> LineItem {
        self.note = Some(note.into());
        self
    }
}

/// What has been consumed so far this month: tier positions and free allowances.
#[derive(Clone, Debug, Default)]
pub struct MonthState {
    /// By rate (service, region, key), looked up without building the owned key.
    tier_usage: hashbrown::HashMap<(String, String, String), Decimal>,
    free_used: HashMap<String, Decimal>,
}

impl MonthState {
    /// Quantity already consumed this month on a tiered rate.
    pub fn tier_position(&self, rate: &Rate) -> Decimal {
        self.tier_usage
            .get(&RateKey(&rate.service, &rate.region, &rate.key))
            .copied()
            .unwrap_or_default()
    }

    fn advance(&mut self, rate: &Rate, quantity: Decimal) {
        match self
            .tier_usage
            .get_mut(&RateKey(&rate.service, &rate.region, &rate.key))
        {
            Some(used) => *used += quantity,
            None => {
                self.tier_usage.insert(
                    (rate.service.clone(), rate.region.clone(), rate.key.clone()),
                    quantity,
                );
            }
        }
    }

    /// Takes up to `want` units from a monthly free allowance of `size`; returns what was taken.
    fn take_free(&mut self, allowance: &str, size: Decimal, want: Decimal) -> Decimal {
        let used = self.free_used.entry(allowance.to_string()).or_default();
        let take = want.min((size - *used).max(Decimal::ZERO));
        *used += take;
        take
    }
}

/// Prices one billing month of one account.
#[derive(Debug)]
pub struct Pricer<'a> {
    catalog: &'a Catalog,
    /// Hours in the month (730 for quotes by default).
    pub hours_per_month: Decimal,
    /// Apply the monthly free tiers (Lambda, CloudWatch).
    pub free_tier: bool,
    state: MonthState,
}

impl<'a> Pricer<'a> {
    /// A pricer for a month of `hours_per_month` hours.
    pub fn new(catalog: &'a Catalog, hours_per_month: Decimal, free_tier: bool) -> Self {
        Pricer {
            catalog,
            hours_per_month,
            free_tier,
            state: MonthState::default(),
        }
    }

    /// The catalog prices come from.
    pub fn catalog(&self) -> &'a Catalog {
        self.catalog
    }

    /// The month's consumption so far.
    pub fn state(&self) -> &MonthState {
        &self.state
    }

    fn rate(&self, service: &str, region: &str, key: &str) -> Result<&'a Rate, MissingPrice> {
        self.catalog.rate(service, region, key)
    }

    /// Prices `quantity` on a rate, tier by tier from the month's position, and advances it.
    /// One line per tier touched; a flat rate gives one line.
    fn tiered_lines(
        &mut self,
        rate: &Rate,
        resource: &str,
        service: &str,
        component: &str,
        quantity: Decimal,
    ) -> Vec<LineItem> {
        let start = self.state.tier_position(rate);
        let slices = rate.split(start, quantity);
        self.state.advance(rate, quantity);
        slices
            .into_iter()
            .map(|s| {
                let label = rate.tier_label(s.tier);
                let name = if label.is_empty() {
                    component.to_string()
                } else {
                    format!("{component} ({label})")
                };
                LineItem::priced(
                    resource,
                    service,
                    name,
                    s.quantity,
                    &rate.unit,
                    s.price,
                    s.confidence,
                )
            })
            .collect()
    }

    /// Prices `quantity` of the catalog rate `service`/`region`/`key` (tiered over the month where
    /// the rate has tiers), one line per tier touched, for callers that already hold quantities in
    /// the rate's unit (a usage file's aggregates).
    pub fn rate_lines(
        &mut self,
        service: &str,
        region: &str,
        key: &str,
        resource: &str,
        component: &str,
        quantity: Decimal,
    ) -> PriceResult {
        if quantity.is_sign_negative() && !quantity.is_zero() {
            return Err(PriceError::Invalid(format!(
                "{component}: quantity must not be negative, found {quantity}"
            )));
        }
        let rate = self.rate(service, region, key)?;
        Ok(self.tiered_lines(rate, resource, service, component, quantity))
    }

    /// Takes up to `want` units of a monthly free allowance (a fact of the catalog), returning the
    /// units that are free; the allowance occupies the start of `rate`'s first tier.
    pub fn free_allowance(
        &mut self,
        service: &str,
        region: &str,
        fact: &str,
        rate_key: &str,
        want: Decimal,
    ) -> Result<Decimal, MissingPrice> {
        let size = self.catalog.fact(service, region, fact)?;
        let rate = self.rate(service, region, rate_key)?;
        let free = self
            .state
            .take_free(&format!("{service}/{fact}"), size, want);
        self.state.advance(rate, free);
        Ok(free)
    }

    /// Prices a flat (single-tier) rate.
    fn flat_line(
        &self,
        rate: &Rate,
        resource: &str,
        service: &str,
        component: String,
        quantity: Decimal,
    ) -> LineItem {
        LineItem::priced(
            resource,
            service,
            component,
            quantity,
            &rate.unit,
            rate.first_price(),
            rate.provenance.confidence,
        )
    }
}

/// A quantity that must not be negative; the error names the key.
pub(crate) fn non_negative(key: &str, v: Decimal) -> Result<Decimal, String> {
    if v.is_sign_negative() && !v.is_zero() {
        Err(format!("`{key}` must not be negative, found {v}"))
    } else {
        Ok(v)
    }
}

/// Errors from pricing one resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    /// The catalog lacks a price.
    #[error(transparent)]
    Missing(#[from] MissingPrice),
    /// The resource's quantities are invalid (the message names the key).
    #[error("{0}")]
    Invalid(String),
}

/// Shorthand for the result of pricing a resource.
pub type PriceResult = Result<Vec<LineItem>, PriceError>;
