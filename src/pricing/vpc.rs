//! Public IPv4 addresses: $ per address-hour, in use or idle.

use rust_decimal::Decimal;

use super::{PriceError, PriceResult, Pricer, non_negative};

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
}
