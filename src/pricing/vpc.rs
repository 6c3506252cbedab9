//! VPC: public IPv4 addresses ($ per address-hour, in use or idle) and NAT gateways (per
//! gateway-hour and per GB processed).

use rust_decimal::Decimal;

use super::{PriceError, PriceResult, Pricer, non_negative};

/// A NAT gateway's month.
#[derive(Clone, Debug)]
pub struct NatGatewayUsage<'u> {
    /// Resource name.
    pub resource: &'u str,
    /// Region code.
    pub region: &'u str,
    /// Hours each gateway exists.
    pub hours: Decimal,
    /// Number of gateways.
    pub count: Decimal,
    /// GB each gateway processes this month (both directions).
    pub data_processed_gb: Decimal,
}

impl Pricer<'_> {
    /// Prices `count` public IPv4 addresses held for `hours` each.
    pub fn public_ipv4(
        &mut self,
        resource: &str,
        region: &str,
        hours: Decimal,
        count: Decimal,
        idle: bool,
    ) -> PriceResult {
        non_negative("hours", hours).map_err(PriceError::Invalid)?;
        let key = if idle {
            "public-ipv4/idle"
        } else {
            "public-ipv4/in-use"
        };
        let rate = self.rate("vpc", region, key)?;
        let what = if idle { "idle" } else { "in use" };
        Ok(vec![self.flat_line(
            rate,
            resource,
            "public_ipv4",
            format!("Public IPv4 address ({what})"),
            hours * count,
        )])
    }

    /// Prices NAT gateways: every hour a gateway exists, and every GB it processes. Traffic it
    /// sends on to the internet is also billed as data transfer out (a `[[data_transfer]]` line).
    pub fn nat_gateway(&mut self, u: &NatGatewayUsage<'_>) -> PriceResult {
        let inv = PriceError::Invalid;
        non_negative("hours", u.hours).map_err(inv)?;
        non_negative("data_processed_gb", u.data_processed_gb).map_err(inv)?;
        let hours = self.rate("vpc", u.region, "nat-gateway/hours")?;
        let mut lines = vec![self.flat_line(
            hours,
            u.resource,
            "nat_gateway",
            "NAT gateway hours".into(),
            u.hours * u.count,
        )];
        if !u.data_processed_gb.is_zero() {
            let data = self.rate("vpc", u.region, "nat-gateway/data-processed")?;
            lines.push(self.flat_line(
                data,
                u.resource,
                "nat_gateway",
                "NAT gateway data processed".into(),
                u.data_processed_gb * u.count,
            ));
        }
        Ok(lines)
    }
}
