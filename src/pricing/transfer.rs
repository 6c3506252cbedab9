//! Data transfer: out to the internet (the month's first 100 GB free across the account, then
//! tiers per region), between availability zones (charged in each direction), between regions.
//! Inbound is free.

use rust_decimal::Decimal;

use super::{LineItem, PriceError, PriceResult, Pricer, non_negative};
use crate::catalog::Confidence;

/// A month of data transfer from one region.
#[derive(Clone, Debug)]
pub struct TransferUsage<'u> {
    /// Resource name.
    pub resource: &'u str,
    /// Source region.
    pub region: &'u str,
    /// GB out to the internet.
    pub internet_out_gb: Decimal,
    /// GB moved between availability zones of the region.
    pub inter_az_gb: Decimal,
    /// GB out to other regions.
    pub inter_region_gb: Decimal,
    /// The destination region of `inter_region_gb`, when known.
    pub destination_region: Option<&'u str>,
}

/// The line for the month's free internet egress.
pub(crate) fn free_egress_line(resource: &str, gb: Decimal, allowance: Decimal) -> LineItem {
    LineItem::priced(
        resource,
        "data_transfer",
        "Internet egress (free allowance)".into(),
        gb,
        "GB",
        Decimal::ZERO,
        Confidence::Published,
    )
    .with_note(format!(
        "the first {} GB out to the internet each month are free, across services and regions",
        allowance.normalize()
    ))
}

impl Pricer<'_> {
    /// Prices a month of data transfer.
    pub fn transfer(&mut self, u: &TransferUsage<'_>) -> PriceResult {
        let inv = PriceError::Invalid;
        for (k, v) in [
            ("internet_out_gb", u.internet_out_gb),
            ("inter_az_gb", u.inter_az_gb),
            ("inter_region_gb", u.inter_region_gb),
        ] {
            non_negative(k, v).map_err(inv)?;
        }
        let (region, res) = (u.region, u.resource);
        let mut lines = Vec::new();
        if !u.internet_out_gb.is_zero() {
            let rate = self.rate("data_transfer", region, "internet-out")?;
            let free = self.free_allowance(
                "data_transfer",
                region,
                "internet-out/free-gb",
                "internet-out",
                u.internet_out_gb,
            )?;
            if !free.is_zero() {
                let allowance =
                    self.catalog
                        .fact("data_transfer", region, "internet-out/free-gb")?;
                lines.push(free_egress_line(res, free, allowance));
            }
            lines.extend(self.tiered_lines(
                rate,
                res,
                "data_transfer",
                "Internet egress",
                u.internet_out_gb - free,
            ));
        }
        if !u.inter_az_gb.is_zero() {
            let rate = self.rate("data_transfer", region, "inter-az")?;
            lines.push(
                self.flat_line(rate, res, "data_transfer", "Inter-AZ transfer (out and in)".into(), u.inter_az_gb * Decimal::TWO)
                    .with_note("charged on both sides: each GB moved is billed out of one AZ and into the other"),
            );
        }
        if !u.inter_region_gb.is_zero() {
            let specific = u.destination_region.and_then(|d| {
                self.catalog
                    .rate("data_transfer", region, &format!("inter-region/{d}"))
                    .ok()
            });
            let rate = match specific {
                Some(r) => r,
                None => self.rate("data_transfer", region, "inter-region")?,
            };
            let to = u
                .destination_region
                .map(|d| format!(" to {d}"))
                .unwrap_or_default();
            lines.push(self.flat_line(
                rate,
                res,
                "data_transfer",
                format!("Inter-region transfer out{to}"),
                u.inter_region_gb,
            ));
        }
        Ok(lines)
    }
}
