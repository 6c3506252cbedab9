//! Elastic Load Balancing: load balancer hours for every type; capacity-unit-hours (LCU, NLCU,
//! GLCU) for application, network and gateway load balancers; GB processed for classic ones.
//!
//! AWS meters capacity units hour by hour (the highest of the type's dimensions: new
//! connections, active connections, processed bytes, rule evaluations) and bills their sum over
//! the month, so a month's capacity is average units × hours.

use rust_decimal::Decimal;

use super::{PriceError, PriceResult, Pricer, non_negative};
use crate::catalog::LoadBalancerType;

/// A load balancer's month.
#[derive(Clone, Debug)]
pub struct LoadBalancerUsage<'u> {
    /// Resource name.
    pub resource: &'u str,
    /// Region code.
    pub region: &'u str,
    /// Application, network, gateway or classic.
    pub lb_type: LoadBalancerType,
    /// Hours each load balancer exists.
    pub hours: Decimal,
    /// Number of load balancers.
    pub count: Decimal,
    /// Capacity-unit-hours each load balancer uses this month (not for classic).
    pub capacity_unit_hours: Decimal,
    /// GB each classic load balancer processes this month (classic only).
    pub data_processed_gb: Decimal,
}

/// AWS's name of a load balancer type, as on its pricing page.
fn title(t: LoadBalancerType) -> &'static str {
    match t {
        LoadBalancerType::Application => "Application Load Balancer",
        LoadBalancerType::Network => "Network Load Balancer",
        LoadBalancerType::Gateway => "Gateway Load Balancer",
        LoadBalancerType::Classic => "Classic Load Balancer",
    }
}

impl Pricer<'_> {
    /// Prices `count` load balancers of one type: hours, then capacity units or (classic) GB
    /// processed.
    pub fn load_balancer(&mut self, u: &LoadBalancerUsage<'_>) -> PriceResult {
        let inv = PriceError::Invalid;
        non_negative("hours", u.hours).map_err(inv)?;
        non_negative("capacity_unit_hours", u.capacity_unit_hours).map_err(inv)?;
        non_negative("data_processed_gb", u.data_processed_gb).map_err(inv)?;
        let t = u.lb_type;
        let name = title(t);
        match t.capacity_unit() {
            None if !u.capacity_unit_hours.is_zero() => {
                return Err(inv(
                    "a classic load balancer has no capacity units; it bills GB processed (`data_processed_gb`)".into(),
                ));
            }
            Some(unit) if !u.data_processed_gb.is_zero() => {
                return Err(inv(format!(
                    "`data_processed_gb` applies to classic load balancers only; the {name} bills processed bytes in its capacity units: use `capacity_units` ({unit}s)"
                )));
            }
            _ => {}
        }
        let hours = self.rate("elb", u.region, &format!("{t}/hours"))?;
        let mut lines = vec![self.flat_line(
            hours,
            u.resource,
            "load_balancer",
            format!("{name} hours"),
            u.hours * u.count,
        )];
        match t.capacity_unit() {
            Some(unit) if !u.capacity_unit_hours.is_zero() => {
                let key = format!("{t}/{}-hours", unit.to_ascii_lowercase());
                let rate = self.rate("elb", u.region, &key)?;
                lines.push(self.flat_line(
                    rate,
                    u.resource,
                    "load_balancer",
                    format!("{name} capacity units ({unit}-hours)"),
                    u.capacity_unit_hours * u.count,
                ));
            }
            None if !u.data_processed_gb.is_zero() => {
                let rate = self.rate("elb", u.region, "classic/data-processed")?;
                lines.push(self.flat_line(
                    rate,
                    u.resource,
                    "load_balancer",
                    format!("{name} data processed"),
                    u.data_processed_gb * u.count,
                ));
            }
            _ => {}
        }
        Ok(lines)
    }
}
