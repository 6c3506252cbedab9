//! Amazon CloudWatch: alarms (standard and high resolution), custom metrics (tiered over the
//! month per region), dashboards, API requests, and logs ingested and stored; the monthly free
//! tier when asked for.
//!
//! The free tier's sizes are catalog facts (`free-tier/*` of service `cloudwatch`), shared by every
//! `[[cloudwatch]]` entry of the account as Lambda's is. Alarms, metrics and dashboards are
//! counts over the month: AWS prorates alarms and metrics by the hour, so an average works.

use rust_decimal::Decimal;

use super::{LineItem, PriceError, PriceResult, Pricer, non_negative};
use crate::catalog::Confidence;

/// A month of CloudWatch in one region.
#[derive(Clone, Debug, Default)]
pub struct CloudWatchUsage<'u> {
    /// Resource name.
    pub resource: &'u str,
    /// Region code.
    pub region: &'u str,
    /// Standard-resolution alarm metrics.
    pub alarms: Decimal,
    /// High-resolution alarm metrics (no free tier).
    pub high_resolution_alarms: Decimal,
    /// Custom and detailed-monitoring metrics.
    pub custom_metrics: Decimal,
    /// Custom dashboards.
    pub dashboards: Decimal,
    /// API requests (GetMetricStatistics, ListMetrics, PutMetricData…).
    pub api_requests: Decimal,
    /// Log data ingested, GB.
    pub logs_ingested_gb: Decimal,
    /// Log data stored, average GB over the month.
    pub logs_stored_gb: Decimal,
}

/// One priced dimension: plan key, rate key, free-tier fact, line name, units per rate unit.
struct Dimension {
    key: &'static str,
    rate: &'static str,
    free: Option<&'static str>,
    component: &'static str,
    per: u32,
}

const DIMENSIONS: &[Dimension] = &[
    Dimension {
        key: "alarms",
        rate: "alarms/standard",
        free: Some("free-tier/alarms"),
        component: "Alarms, standard resolution",
        per: 1,
    },
    Dimension {
        key: "high_resolution_alarms",
        rate: "alarms/high-resolution",
        free: None,
        component: "Alarms, high resolution",
        per: 1,
    },
    Dimension {
        key: "custom_metrics",
        rate: "metrics",
        free: Some("free-tier/metrics"),
        component: "Custom metrics",
        per: 1,
    },
    Dimension {
        key: "dashboards",
        rate: "dashboards",
        free: Some("free-tier/dashboards"),
        component: "Dashboards",
        per: 1,
    },
    Dimension {
        key: "api_requests",
        rate: "api-requests",
        free: Some("free-tier/api-requests"),
        component: "API requests",
        per: 1000,
    },
    Dimension {
        key: "logs_ingested_gb",
        rate: "logs/ingested",
        free: Some("free-tier/logs-ingested-gb"),
        component: "Logs ingested",
        per: 1,
    },
    Dimension {
        key: "logs_stored_gb",
        rate: "logs/stored",
        free: Some("free-tier/logs-stored-gb"),
        component: "Logs stored",
        per: 1,
    },
];

impl Pricer<'_> {
    /// Prices a month of CloudWatch: one line per dimension used (one per tier touched for
    /// metrics), after the free tier's line when it is on.
    pub fn cloudwatch(&mut self, u: &CloudWatchUsage<'_>) -> PriceResult {
        let quantities = [
            u.alarms,
            u.high_resolution_alarms,
            u.custom_metrics,
            u.dashboards,
            u.api_requests,
            u.logs_ingested_gb,
            u.logs_stored_gb,
        ];
        let mut lines = Vec::new();
        for (d, &q) in DIMENSIONS.iter().zip(&quantities) {
            non_negative(d.key, q).map_err(PriceError::Invalid)?;
            if q.is_zero() {
                continue;
            }
            let rate = self.rate("cloudwatch", u.region, d.rate)?;
            let per = Decimal::from(d.per);
            let mut chargeable = q;
            if let (true, Some(fact)) = (self.free_tier, d.free) {
                let size = self.catalog.fact("cloudwatch", u.region, fact)?;
                let free = self.state.take_free(&format!("cloudwatch/{fact}"), size, q);
                if !free.is_zero() {
                    lines.push(LineItem::priced(
                        u.resource,
                        "cloudwatch",
                        format!("{} (free tier)", d.component),
                        free / per,
                        &rate.unit,
                        Decimal::ZERO,
                        Confidence::Published,
                    ));
                    // The free allowance occupies the start of the month's first tier.
                    self.state.advance(rate, free / per);
                }
                chargeable -= free;
            }
            if !chargeable.is_zero() {
                lines.extend(self.tiered_lines(
                    rate,
                    u.resource,
                    "cloudwatch",
                    d.component,
                    chargeable / per,
                ));
            }
        }
        Ok(lines)
    }
}
