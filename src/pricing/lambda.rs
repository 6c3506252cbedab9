//! AWS Lambda: requests, duration in GB-seconds (1 ms granularity, x86 and arm tiers over the
//! month), ephemeral storage above 512 MB, and the monthly free tier when asked for.

use rust_decimal::Decimal;

use super::{LineItem, PriceError, PriceResult, Pricer, non_negative};
use crate::catalog::{Arch, Confidence};

/// A function's month of invocations.
#[derive(Clone, Debug)]
pub struct LambdaUsage<'u> {
    /// Resource name.
    pub resource: &'u str,
    /// Region code.
    pub region: &'u str,
    /// Architecture.
    pub arch: Arch,
    /// Invocations this month.
    pub requests: Decimal,
    /// Average duration per invocation, ms (rounded up to the next whole ms, as billed).
    pub duration_ms: Decimal,
    /// Configured memory, MB.
    pub memory_mb: Decimal,
    /// Configured ephemeral storage, MB (512 is included).
    pub ephemeral_storage_mb: Decimal,
}

impl Pricer<'_> {
    /// Prices a function's month. With the free tier on, the account's first 1M requests and
    /// 400,000 GB-s of the month are free (shared by all functions and both architectures).
    pub fn lambda(&mut self, u: &LambdaUsage<'_>) -> PriceResult {
        let inv = PriceError::Invalid;
        non_negative("requests", u.requests).map_err(inv)?;
        non_negative("duration_ms", u.duration_ms).map_err(inv)?;
        if u.memory_mb < Decimal::from(128) || u.memory_mb > Decimal::from(10240) {
            return Err(inv(format!(
                "`memory_mb` must be between 128 and 10240, found {}",
                u.memory_mb
            )));
        }
        if u.ephemeral_storage_mb < Decimal::from(512)
            || u.ephemeral_storage_mb > Decimal::from(10240)
        {
            return Err(inv(format!(
                "`ephemeral_storage_mb` must be between 512 and 10240, found {}",
                u.ephemeral_storage_mb
            )));
        }
        let (region, res) = (u.region, u.resource);
        let mut lines = Vec::new();
        let thousand = Decimal::from(1000);
        let mb_per_gb = Decimal::from(1024);
        let billed_seconds = u.duration_ms.ceil() / thousand;
        let gb_seconds = u.requests * billed_seconds * u.memory_mb / mb_per_gb;

        // Requests.
        let req_rate = self.rate("lambda", region, "requests")?;
        let mut chargeable_requests = u.requests;
        if self.free_tier {
            let size = self.catalog.fact("lambda", region, "free-tier/requests")?;
            let free = self.state.take_free("lambda/requests", size, u.requests);
            if !free.is_zero() {
                lines.push(LineItem::priced(
                    res,
                    "lambda",
                    "Requests (free tier)".into(),
                    free / Decimal::from(1_000_000),
                    &req_rate.unit,
                    Decimal::ZERO,
                    Confidence::Published,
                ));
            }
            chargeable_requests -= free;
        }
        if !chargeable_requests.is_zero() || lines.is_empty() {
            lines.push(self.flat_line(
                req_rate,
                res,
                "lambda",
                "Requests".into(),
                chargeable_requests / Decimal::from(1_000_000),
            ));
        }

        // Duration, tiered per region and architecture over the month.
        let dur_rate = self.rate("lambda", region, &format!("duration/{}", u.arch))?;
        let mut chargeable_gbs = gb_seconds;
        if self.free_tier {
            let size = self
                .catalog
                .fact("lambda", region, "free-tier/gb-seconds")?;
            let free = self.state.take_free("lambda/gb-seconds", size, gb_seconds);
            if !free.is_zero() {
                lines.push(LineItem::priced(
                    res,
                    "lambda",
                    format!("Duration, {} (free tier)", u.arch),
                    free,
                    &dur_rate.unit,
                    Decimal::ZERO,
                    Confidence::Published,
                ));
                // The free allowance occupies the start of the month's first tier.
                self.state.advance(dur_rate, free);
            }
            chargeable_gbs -= free;
        }
        lines.extend(self.tiered_lines(
            dur_rate,
            res,
            "lambda",
            &format!("Duration, {}", u.arch),
            chargeable_gbs,
        ));

        // Ephemeral storage above the included 512 MB.
        let included = self
            .catalog
            .fact("lambda", region, "ephemeral-storage/included-mb")?;
        if u.ephemeral_storage_mb > included {
            let rate = self.rate("lambda", region, "ephemeral-storage")?;
            let q = u.requests * billed_seconds * (u.ephemeral_storage_mb - included) / mb_per_gb;
            lines.push(self.flat_line(
                rate,
                res,
                "lambda",
                format!("Ephemeral storage above {} MB", included.normalize()),
                q,
            ));
        }
        Ok(lines)
    }
}
