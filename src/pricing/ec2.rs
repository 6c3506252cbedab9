//! EC2 instance hours under each pricing model: on-demand, reserved (upfront amortized over the
//! term: all-upfront is not $0 a month), savings plans and spot.

use rust_decimal::Decimal;

use super::{LineItem, PriceError, PriceResult, Pricer, non_negative};
use crate::catalog::{Ec2Model, Offering, Os, Payment, Term};
use crate::money::Money;

/// How an instance is paid for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PricingChoice {
    /// On-demand.
    OnDemand,
    /// Reserved instance: term, class (standard / convertible), payment.
    Reserved(Term, Offering, Payment),
    /// Savings plan: term, type (compute / ec2-instance), payment.
    SavingsPlan(Term, Offering, Payment),
    /// Spot, optionally in a given availability zone.
    Spot,
}

/// Instance usage to price.
#[derive(Clone, Debug)]
pub struct Ec2Usage<'u> {
    /// Resource name.
    pub resource: &'u str,
    /// Region code.
    pub region: &'u str,
    /// Instance type.
    pub instance_type: &'u str,
    /// Operating system.
    pub os: Os,
    /// Hours each instance runs this month.
    pub hours: Decimal,
    /// Number of instances.
    pub count: Decimal,
    /// Pricing model.
    pub pricing: PricingChoice,
    /// Availability zone (for spot), when known.
    pub az: Option<&'u str>,
}

impl Pricer<'_> {
    /// Prices instance hours. Windows bills whole hours (rounded up); a reserved instance is paid
    /// for every hour of the month whether used or not.
    pub fn ec2(&mut self, u: &Ec2Usage<'_>) -> PriceResult {
        non_negative("hours", u.hours).map_err(PriceError::Invalid)?;
        let hours = match u.os {
            Os::Windows => u.hours.ceil(),
            Os::Linux => u.hours,
        };
        let cat = self.catalog;
        let t = u.instance_type;
        match u.pricing {
            PricingChoice::OnDemand => {
                let p = cat.ec2_price(u.region, t, u.os, Ec2Model::OnDemand)?;
                Ok(vec![LineItem::priced(
                    u.resource,
                    "ec2",
                    format!("Instance usage ({}, on-demand, {t})", u.os),
                    hours * u.count,
                    "hours",
                    p.hourly,
                    p.provenance.confidence,
                )])
            }
            PricingChoice::Reserved(term, class, payment) => {
                let model = Ec2Model::Reserved(term, class, payment);
                let p = cat.ec2_price(u.region, t, u.os, model)?;
                // An RI is billed for every hour of its term, used or not.
                let ri_hours = self.hours_per_month * u.count;
                let mut lines = Vec::new();
                if !p.upfront.is_zero() {
                    let mut line = LineItem::priced(
                        u.resource,
                        "ec2",
                        format!(
                            "Reserved instance upfront {} amortized over {} h ({term} {class} {payment})",
                            Money::usd(p.upfront),
                            crate::money::group_thousands(&term.hours().to_string())
                        ),
                        ri_hours,
                        "hours",
                        p.upfront / term.hours(),
                        p.provenance.confidence,
                    );
                    // Exact: upfront × hours ÷ term hours (division last).
                    line.cost = Money::usd(p.upfront * ri_hours / term.hours());
                    lines.push(line);
                }
                if !p.hourly.is_zero() || p.upfront.is_zero() {
                    lines.push(LineItem::priced(
                        u.resource,
                        "ec2",
                        format!(
                            "Reserved instance recurring ({}, {term} {class} {payment}, {t})",
                            u.os
                        ),
                        ri_hours,
                        "hours",
                        p.hourly,
                        p.provenance.confidence,
                    ));
                }
                if u.hours < self.hours_per_month
                    && let Some(first) = lines.first_mut()
                {
                    first.note = Some(format!(
                        "a reserved instance is paid for all {} hours of the month; the plan uses {}",
                        self.hours_per_month.normalize(),
                        u.hours.normalize()
                    ));
                }
                Ok(lines)
            }
            PricingChoice::SavingsPlan(term, kind, payment) => {
                let p = cat.ec2_price(
                    u.region,
                    t,
                    u.os,
                    Ec2Model::SavingsPlan(term, kind, payment),
                )?;
                Ok(vec![LineItem::priced(
                    u.resource,
                    "ec2",
                    format!(
                        "Instance usage ({}, {kind} savings plan {term} {payment}, {t})",
                        u.os
                    ),
                    hours * u.count,
                    "hours",
                    p.hourly,
                    p.provenance.confidence,
                )])
            }
            PricingChoice::Spot => {
                let s = cat.spot_estimate(u.region, u.az, t, u.os)?;
                let band = s
                    .interruption_band
                    .as_deref()
                    .map(|b| format!("; interruption frequency {b}"))
                    .unwrap_or_default();
                Ok(vec![
                    LineItem::priced(
                        u.resource,
                        "ec2",
                        format!("Instance usage ({}, spot, {t})", u.os),
                        hours * u.count,
                        "hours",
                        s.hourly,
                        s.confidence,
                    )
                    .with_note(format!("{}{band}", s.basis)),
                ])
            }
        }
    }

    /// T-family unlimited mode: surplus CPU credits in vCPU-hours.
    pub fn cpu_credits(
        &mut self,
        resource: &str,
        region: &str,
        os: Os,
        vcpu_hours: Decimal,
    ) -> PriceResult {
        non_negative("cpu_credit_vcpu_hours", vcpu_hours).map_err(PriceError::Invalid)?;
        let rate = self.rate("ec2", region, &format!("cpu-credits/{os}"))?;
        Ok(vec![self.flat_line(
            rate,
            resource,
            "ec2",
            "Unlimited mode surplus CPU credits".into(),
            vcpu_hours,
        )])
    }
}
