//! Right-sizing of one EC2 instance, in the published manner of AWS Compute Optimizer.
//!
//! # Method
//!
//! - **Lookback.** Only the samples of the last `lookback_days` days count (14 by default; 32 and
//!   93 are the other published choices), ending at the newest sample. Fewer than
//!   [`MIN_HOURS_OF_DATA`] hours of CPU data → [`Finding::InsufficientData`], no options.
//! - **CPU.** Demand is the chosen nearest-rank percentile (p99.5 by default, p95, p90) of the
//!   hourly `cpu_max_pct`, a percentage of the *current* type's vCPUs. On a candidate it projects
//!   to `demand × current vCPU ÷ candidate vCPU` (vCPUs are taken as equal across processors; a
//!   change of architecture adds to the performance risk instead). The candidate fits when the
//!   projection × (1 + headroom) ≤ 100 %.
//! - **Memory**, when `mem_max_pct` is measured: the maximum, projected by memory GiB, fits when
//!   × (1 + headroom) ≤ 100 %. When memory is *not* measured, sizing is by CPU and network only
//!   and, to stay safe, no candidate has less memory per vCPU than the current type (an `m` is
//!   never moved to a `c`); each option that shrinks memory says so in its note.
//! - **Network**: the peak hour of `net_in_bytes + net_out_bytes`, as an average Gbps over that
//!   hour, must be within the candidate's published baseline bandwidth (no headroom: the
//!   baseline is already a sustained figure). A candidate without a published baseline is not
//!   checked on network (its note says so).
//! - **Burstable candidates** (T family) are kept only when the CPU credit model says the balance
//!   would not run dry: the measured hourly average CPU is replayed hour by hour as credits spent
//!   (`avg % ÷ 100 × current vCPU × 60`), against the candidate's credits earned per hour,
//!   starting from its maximum accrued balance; the balance must stay above one credit and the
//!   credits earned over the lookback must cover those spent. An instance whose own credit
//!   balance ran dry ([`Reason::CpuCreditsExhausted`]: observed `cpu_credit_balance` at or below
//!   one credit, or, when not measured, the same replay on the current type) is never offered a
//!   burstable type that earns no more credits per hour than it does.
//! - **Candidates** are every catalog type other than the current one that has an on-demand price
//!   in the instance's region for its operating system (Windows is not offered on arm64).
//!
//! # Findings
//!
//! 1. [`Finding::UnderProvisioned`] when the current type does not fit (CPU, memory or network
//!    beyond capacity with headroom, or its CPU credits ran dry). Options are the types that fit;
//!    they may cost more, and then their note says `costs more: fixes under-provisioning`.
//! 2. [`Finding::Idle`] when [`low_utilization`](super::idle::low_utilization) holds (Trusted
//!    Advisor's rule). Options are the cheaper types that fit, for when the instance must stay;
//!    [`InstanceRecommendation::idle_stop_saving`] is what stopping it saves.
//! 3. [`Finding::OverProvisioned`] when a cheaper type fits.
//! 4. [`Finding::Optimized`] otherwise.
//!
//! A recommendation never costs more than the current type unless it fixes under-provisioning.
//!
//! # Pricing
//!
//! Costs are exact [`Decimal`]s from the catalog, never floats: a candidate's monthly cost is its
//! on-demand hourly price × `hours_per_month` (730 by default). The current cost is priced under
//! the model the instance actually has: on-demand the same way, or, when a reserved instance or
//! savings plan covers it ([`CurrentPricing::Covered`]), the effective hourly rate given × hours.
//! A saving is current monthly cost − candidate monthly cost. While covered, a move is only
//! recommended when the candidate *on demand* costs less than the covered rate (a deliberately
//! simple, conservative rule: the candidate is assumed uncovered, and since the commitment is
//! paid either way the saving is real only when the commitment goes on covering other usage;
//! the option's note says so). When nothing beats the covered rate the finding is
//! [`Finding::Optimized`] with a note.
//!
//! # Performance risk (0–4)
//!
//! From the candidate's highest projected utilization over CPU, memory (when measured) and
//! network (when measured and the baseline is known), without headroom: below 50 % → 0, below
//! 65 % → 1, below 80 % → 2, below 90 % → 3, otherwise 4; then +1 for a burstable type and +1 for
//! a change of architecture (migration), capped at 4.
//!
//! # Ranking
//!
//! Fitting candidates are ordered by monthly saving (largest first), then lower risk, then kind
//! (same family, another family of the same architecture, another architecture, another burstable
//! family), then the newer generation, then name. The options are the best candidate of each
//! kind, so that the three are different kinds of change where possible (a smaller size in the
//! family, the current generation, Graviton, a burstable type), topped up from the rest when
//! fewer than three kinds fit, and listed in that same order.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::catalog::{Arch, Catalog, Ec2Model, InstanceType, Os};
use crate::error::MissingPrice;
use crate::metrics::InstanceSeries;
use crate::money::Money;

use super::credits::{self, CreditRun, EXHAUSTED_AT_CREDITS};
use super::idle::{IDLE_MIN_DAYS, IDLE_WINDOW_DAYS, low_utilization_days};
use super::stats;

/// Hours in a month for monthly costs: 365 × 24 ÷ 12.
pub const HOURS_PER_MONTH: Decimal = Decimal::from_parts(730, 0, 0, false, 0);
/// Fewer hours of CPU data than this in the lookback → insufficient data.
pub const MIN_HOURS_OF_DATA: usize = 30;
/// At most this many options per instance.
pub const MAX_OPTIONS: usize = 3;
/// The lookbacks Compute Optimizer offers, in days.
pub const LOOKBACK_DAYS_ALLOWED: [u32; 3] = [14, 32, 93];
/// The CPU headroom choices Compute Optimizer offers, in percent.
pub const HEADROOM_PCT_ALLOWED: [u32; 3] = [0, 20, 30];

/// Slack for float comparisons of percentages (so that 83.333… × 1.2 counts as 100).
const EPS: f64 = 1e-9;

/// Which percentile of the hourly CPU maxima is the CPU demand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CpuPercentile {
    /// The 99.5th percentile (Compute Optimizer's default).
    #[default]
    P99_5,
    /// The 95th percentile.
    P95,
    /// The 90th percentile.
    P90,
}

impl CpuPercentile {
    /// Every choice, default first.
    pub const ALL: [CpuPercentile; 3] =
        [CpuPercentile::P99_5, CpuPercentile::P95, CpuPercentile::P90];

    /// The percentile in tenths of a percent (995, 950, 900).
    pub fn tenths(self) -> u32 {
        match self {
            CpuPercentile::P99_5 => 995,
            CpuPercentile::P95 => 950,
            CpuPercentile::P90 => 900,
        }
    }

    /// `p99.5`, `p95` or `p90`.
    pub fn as_str(self) -> &'static str {
        match self {
            CpuPercentile::P99_5 => "p99.5",
            CpuPercentile::P95 => "p95",
            CpuPercentile::P90 => "p90",
        }
    }
}

impl fmt::Display for CpuPercentile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CpuPercentile {
    type Err = String;
    /// Accepts `p99.5`, `99.5`, `p95`, `95`, `p90`, `90` (any case).
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        match t.strip_prefix('p').unwrap_or(&t) {
            "99.5" => Ok(CpuPercentile::P99_5),
            "95" => Ok(CpuPercentile::P95),
            "90" => Ok(CpuPercentile::P90),
            _ => Err(format!(
                "expected one of `p99.5`, `p95`, `p90`, found `{}`",
                s.trim()
            )),
        }
    }
}

impl Serialize for CpuPercentile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Which CPU architectures the options may come from, as Compute Optimizer's preference:
/// the instance's own (`current`), or any (`any`: Graviton for an x86 instance, a migration).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// Only the instance's own architecture: no software rebuild.
    #[default]
    Current,
    /// Any architecture.
    Any,
}

impl FromStr for Architecture {
    type Err = String;

    fn from_str(s: &str) -> Result<Architecture, String> {
        match s.trim() {
            "current" => Ok(Architecture::Current),
            "any" => Ok(Architecture::Any),
            other => Err(format!(
                "unknown architecture preference `{other}`: expected `current` or `any`"
            )),
        }
    }
}

/// How to right-size: Compute Optimizer's preferences.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RightsizingOptions {
    /// Days of samples to look at: 14 by default, 32 and 93 allowed.
    pub lookback_days: u32,
    /// The percentile of hourly CPU maxima used as the demand: p99.5 by default.
    pub cpu_percentile: CpuPercentile,
    /// Headroom added to CPU and memory, percent: 20 by default, 0 and 30 allowed.
    pub headroom_pct: u32,
    /// The architectures options come from: the current one by default.
    pub architecture: Architecture,
    /// The time zone off-hours schedules are written in: UTC by default.
    #[serde(skip)]
    pub timezone: chrono_tz::Tz,
}

impl Default for RightsizingOptions {
    fn default() -> Self {
        RightsizingOptions {
            lookback_days: 14,
            cpu_percentile: CpuPercentile::P99_5,
            headroom_pct: 20,
            architecture: Architecture::Current,
            timezone: chrono_tz::Tz::UTC,
        }
    }
}

impl RightsizingOptions {
    /// Options with only the published values allowed (lookback 14/32/93 days, headroom
    /// 0/20/30 %); the error names what was expected. [`rightsize`] itself accepts any values.
    pub fn new(
        lookback_days: u32,
        cpu_percentile: CpuPercentile,
        headroom_pct: u32,
    ) -> Result<Self, String> {
        let o = RightsizingOptions {
            lookback_days,
            cpu_percentile,
            headroom_pct,
            architecture: Architecture::Current,
            timezone: chrono_tz::Tz::UTC,
        };
        o.validate()?;
        Ok(o)
    }

    /// These options, with options from the `architecture` given.
    pub fn with_architecture(self, architecture: Architecture) -> Self {
        RightsizingOptions {
            architecture,
            ..self
        }
    }

    /// These options, with schedules written in `timezone`.
    pub fn with_timezone(self, timezone: chrono_tz::Tz) -> Self {
        RightsizingOptions { timezone, ..self }
    }

    /// Checks that the lookback and headroom are published choices.
    pub fn validate(&self) -> Result<(), String> {
        if !LOOKBACK_DAYS_ALLOWED.contains(&self.lookback_days) {
            return Err(format!(
                "lookback: expected 14, 32 or 93 days, found {}",
                self.lookback_days
            ));
        }
        if !HEADROOM_PCT_ALLOWED.contains(&self.headroom_pct) {
            return Err(format!(
                "headroom: expected 0, 20 or 30 percent, found {}",
                self.headroom_pct
            ));
        }
        Ok(())
    }

    fn headroom_factor(&self) -> f64 {
        1.0 + f64::from(self.headroom_pct) / 100.0
    }
}

/// The verdict on an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finding {
    /// A cheaper type fits the workload.
    OverProvisioned,
    /// The current type does not fit the workload (CPU, memory, network or CPU credits).
    UnderProvisioned,
    /// The current type fits and no cheaper type does (or none beats a covered rate).
    Optimized,
    /// Low utilization by Trusted Advisor's rule: a candidate to stop.
    Idle,
    /// Fewer than [`MIN_HOURS_OF_DATA`] hours of data in the lookback (or a type the catalog
    /// does not describe).
    InsufficientData,
}

impl Finding {
    /// Kebab-case name: `over-provisioned`, `under-provisioned`, `optimized`, `idle`,
    /// `insufficient-data`.
    pub fn as_str(self) -> &'static str {
        match self {
            Finding::OverProvisioned => "over-provisioned",
            Finding::UnderProvisioned => "under-provisioned",
            Finding::Optimized => "optimized",
            Finding::Idle => "idle",
            Finding::InsufficientData => "insufficient-data",
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an instance got its finding (Compute Optimizer's reason codes, plus two of ours).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The top option has fewer vCPUs and still fits.
    CpuOverProvisioned,
    /// CPU demand with headroom exceeds the current vCPUs.
    CpuUnderProvisioned,
    /// Memory is measured, and the top option has less memory and still fits.
    MemoryOverProvisioned,
    /// Maximum memory with headroom exceeds the current memory.
    MemoryUnderProvisioned,
    /// Network is measured, and the top option has a lower baseline bandwidth and still fits.
    NetworkBandwidthOverProvisioned,
    /// The peak network hour exceeds the current type's baseline bandwidth.
    NetworkBandwidthUnderProvisioned,
    /// A burstable instance's CPU credit balance ran dry.
    CpuCreditsExhausted,
    /// Idle by Trusted Advisor's low-utilization rule.
    LowUtilization,
    /// The top option has no less CPU, memory or bandwidth and still costs less (a newer
    /// generation or Graviton at the same size).
    CheaperEquivalent,
}

impl Reason {
    /// Kebab-case name, e.g. `cpu-over-provisioned`.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::CpuOverProvisioned => "cpu-over-provisioned",
            Reason::CpuUnderProvisioned => "cpu-under-provisioned",
            Reason::MemoryOverProvisioned => "memory-over-provisioned",
            Reason::MemoryUnderProvisioned => "memory-under-provisioned",
            Reason::NetworkBandwidthOverProvisioned => "network-bandwidth-over-provisioned",
            Reason::NetworkBandwidthUnderProvisioned => "network-bandwidth-under-provisioned",
            Reason::CpuCreditsExhausted => "cpu-credits-exhausted",
            Reason::LowUtilization => "low-utilization",
            Reason::CheaperEquivalent => "cheaper-equivalent",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the instance costs today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "model", rename_all = "kebab-case")]
pub enum CurrentPricing {
    /// Billed on demand: the catalog's on-demand price.
    OnDemand,
    /// Covered by a reserved instance or savings plan at this effective hourly rate (USD).
    Covered {
        /// The covered effective rate per hour, e.g. an RI's upfront ÷ term hours + recurring.
        effective_hourly: Decimal,
    },
}

/// What the recommender needs to know about an instance besides its metrics.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InstanceContext {
    /// Operating system (prices and candidates depend on it).
    pub os: Os,
    /// How the instance is paid for today.
    pub pricing: CurrentPricing,
    /// Hours in a month for monthly costs ([`HOURS_PER_MONTH`] = 730).
    pub hours_per_month: Decimal,
}

impl InstanceContext {
    /// An on-demand instance, 730 hours a month.
    pub fn on_demand(os: Os) -> Self {
        InstanceContext {
            os,
            pricing: CurrentPricing::OnDemand,
            hours_per_month: HOURS_PER_MONTH,
        }
    }

    /// An instance covered by a commitment at `effective_hourly` USD, 730 hours a month.
    pub fn covered(os: Os, effective_hourly: Decimal) -> Self {
        InstanceContext {
            os,
            pricing: CurrentPricing::Covered { effective_hourly },
            hours_per_month: HOURS_PER_MONTH,
        }
    }
}

/// One ranked alternative type for an instance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RightsizingOption {
    /// The recommended type.
    pub instance_type: String,
    /// 1 = best.
    pub rank: u8,
    /// CPU demand projected on this type, percent of its vCPUs, without headroom.
    pub projected_cpu_max_pct: f64,
    /// Maximum memory projected on this type, percent, without headroom (when measured).
    pub projected_mem_max_pct: Option<f64>,
    /// 0 (very low) to 4 (very high); see the module notes for the scale.
    pub performance_risk: u8,
    /// True when the architecture differs (e.g. x86_64 → arm64 Graviton): software must be
    /// rebuilt or checked for it.
    pub migration: bool,
    /// True for a burstable (T-family) type; kept only when the credit balance would not run dry.
    pub burstable: bool,
    /// This type on demand × hours per month, USD, exact.
    pub monthly_cost: Decimal,
    /// Current monthly cost − `monthly_cost`; negative only for an under-provisioned instance.
    pub monthly_saving: Decimal,
    /// What to know before acting (costs more, migration, credits, memory not measured…), or "".
    pub note: String,
}

/// The right-sizing verdict for one instance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceRecommendation {
    /// Instance id.
    pub resource_id: String,
    /// Region code.
    pub region: String,
    /// Current type.
    pub instance_type: String,
    /// The finding.
    pub finding: Finding,
    /// Why.
    pub reasons: Vec<Reason>,
    /// What the instance costs a month under its pricing model, USD, exact.
    pub current_monthly_cost: Decimal,
    /// Up to three options, best first.
    pub options: Vec<RightsizingOption>,
    /// Hours of CPU data in the lookback.
    pub hours_of_data: usize,
    /// The CPU percentile used as the demand, percent of the current vCPUs (0 without data).
    pub cpu_used_pct: f64,
    /// Maximum memory utilization in the lookback, when measured.
    pub mem_max_pct: Option<f64>,
    /// Peak network hour (in + out) in the lookback, as an average Gbps, when measured.
    pub net_peak_gbps: Option<f64>,
    /// For an idle instance: what stopping it saves a month (its on-demand cost; zero while a
    /// commitment covers it, since the commitment is paid anyway). Attached EBS volumes are still
    /// billed while stopped and are not counted here.
    pub idle_stop_saving: Option<Decimal>,
    /// A sentence for the reader: why there is no option, what coverage means, or "".
    pub note: String,
}

impl InstanceRecommendation {
    /// The largest monthly saving among the options (zero when none saves).
    pub fn best_saving(&self) -> Decimal {
        self.options
            .iter()
            .map(|o| o.monthly_saving)
            .max()
            .unwrap_or(Decimal::ZERO)
            .max(Decimal::ZERO)
    }
}

/// An instance's workload over the lookback, summarised: what the rules read. [`rightsize`]
/// builds it from hourly samples; an export that has already summarised it (Compute Optimizer's
/// utilization columns) gives it to [`rightsize_summary`] directly.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkloadSummary {
    /// Instance id.
    pub resource_id: String,
    /// Region code.
    pub region: String,
    /// Current type.
    pub instance_type: String,
    /// Hours of CPU data the summary covers.
    pub hours_of_data: usize,
    /// The CPU demand, percent of the current type's vCPUs.
    pub cpu_pct: f64,
    /// What `cpu_pct` is, for the notes: `p99.5` (of hourly maxima) or `maximum`.
    pub cpu_statistic: String,
    /// Highest memory utilization, percent, when measured.
    pub mem_max_pct: Option<f64>,
    /// Peak network rate (in + out), Gbps, when measured.
    pub net_peak_gbps: Option<f64>,
    /// Hourly average CPU, oldest first, when measured hour by hour: the CPU credit model
    /// replays it. Without it no burstable type is offered (its credits cannot be checked).
    pub hourly_avg_cpu: Option<Vec<f64>>,
    /// Lowest CPU credit balance observed, when measured.
    pub lowest_credit_balance: Option<f64>,
    /// Days of low utilization by Trusted Advisor's rule when the instance is idle by it;
    /// `None` when it is not, or when the data cannot say (no daily figures).
    pub idle_days: Option<usize>,
}

impl WorkloadSummary {
    /// The summary of an instance's hourly samples over the lookback of `opts`.
    pub fn of_series(series: &InstanceSeries, opts: &RightsizingOptions) -> WorkloadSummary {
        let window = stats::window(&series.samples, opts.lookback_days);
        let mut cpu: Vec<f64> = window
            .iter()
            .filter_map(|s| stats::pct(s.cpu_max_pct))
            .collect();
        let hours_of_data = cpu.len();
        let cpu_pct = stats::nearest_rank(&mut cpu, opts.cpu_percentile.tenths()).unwrap_or(0.0);
        WorkloadSummary {
            resource_id: series.resource_id.clone(),
            region: series.region.clone(),
            instance_type: series.instance_type.clone(),
            hours_of_data,
            cpu_pct,
            cpu_statistic: opts.cpu_percentile.to_string(),
            mem_max_pct: stats::max(
                window
                    .iter()
                    .filter_map(|s| s.mem_max_pct.and_then(stats::pct)),
            ),
            net_peak_gbps: stats::max(window.iter().filter_map(|s| stats::net_bytes(s)))
                .map(stats::gbps_from_bytes_per_hour),
            hourly_avg_cpu: Some(
                window
                    .iter()
                    .filter_map(|s| stats::pct(s.cpu_avg_pct).or_else(|| stats::pct(s.cpu_max_pct)))
                    .collect(),
            ),
            lowest_credit_balance: stats::min(
                window
                    .iter()
                    .filter_map(|s| s.cpu_credit_balance.filter(|b| b.is_finite())),
            ),
            idle_days: Some(low_utilization_days(series)).filter(|d| *d >= IDLE_MIN_DAYS),
        }
    }
}

/// Right-sizes one instance from its hourly samples; see the module notes for the method.
///
/// Errors only when a price the answer needs is missing: the current type's on-demand price in
/// its region for its OS (when billed on demand), or a monthly cost that does not fit in a
/// decimal. Candidates without a price are simply not offered.
pub fn rightsize(
    catalog: &Catalog,
    series: &InstanceSeries,
    ctx: &InstanceContext,
    opts: &RightsizingOptions,
) -> Result<InstanceRecommendation, MissingPrice> {
    rightsize_summary(
        catalog,
        &WorkloadSummary::of_series(series, opts),
        ctx,
        opts,
    )
}

/// Right-sizes one instance from its workload summary: [`rightsize`]'s rules, with the lookback
/// and CPU statistic already applied by whoever summarised it.
pub fn rightsize_summary(
    catalog: &Catalog,
    w: &WorkloadSummary,
    ctx: &InstanceContext,
    opts: &RightsizingOptions,
) -> Result<InstanceRecommendation, MissingPrice> {
    let region = w.region.as_str();
    let current_monthly_cost = match ctx.pricing {
        CurrentPricing::OnDemand => {
            let price = catalog.ec2_price(region, &w.instance_type, ctx.os, Ec2Model::OnDemand)?;
            monthly(price.hourly, ctx.hours_per_month)
        }
        CurrentPricing::Covered { effective_hourly } => {
            monthly(effective_hourly, ctx.hours_per_month)
        }
    }
    .ok_or_else(|| MissingPrice {
        region: region.into(),
        service: "ec2".into(),
        item: w.instance_type.clone(),
        what: format!(
            "a monthly cost that fits in a decimal (hourly × {} hours overflows)",
            ctx.hours_per_month
        ),
    })?;
    let hours_of_data = w.hours_of_data;
    let cpu_used_pct = w.cpu_pct;
    let mem_max_pct = w.mem_max_pct;
    let net_peak_gbps = w.net_peak_gbps;

    let mut rec = InstanceRecommendation {
        resource_id: w.resource_id.clone(),
        region: w.region.clone(),
        instance_type: w.instance_type.clone(),
        finding: Finding::InsufficientData,
        reasons: Vec::new(),
        current_monthly_cost,
        options: Vec::new(),
        hours_of_data,
        cpu_used_pct,
        mem_max_pct,
        net_peak_gbps,
        idle_stop_saving: None,
        note: String::new(),
    };

    if hours_of_data < MIN_HOURS_OF_DATA {
        rec.note = format!(
            "{hours_of_data} hours of CPU data in the last {} days; at least {MIN_HOURS_OF_DATA} are needed",
            opts.lookback_days
        );
        return Ok(rec);
    }
    let current = match catalog.instance_type(&w.instance_type) {
        Some(t) if t.vcpu > 0 && t.memory_gib.to_f64().is_some_and(|g| g > 0.0) => t,
        _ => {
            rec.note = format!(
                "the catalog has no vCPU and memory figures for `{}`: it cannot be sized",
                w.instance_type
            );
            return Ok(rec);
        }
    };

    let demand = Demand {
        current,
        cpu_pct: cpu_used_pct,
        mem_max_pct,
        cur_mem_gib: current.memory_gib.to_f64().unwrap_or(0.0),
        net_peak_gbps,
        headroom: opts.headroom_factor(),
        spend: w
            .hourly_avg_cpu
            .as_ref()
            .map(|avg| credits::hourly_spend(avg, current.vcpu)),
    };

    // The current type against the workload.
    let Some(cur_fit) = evaluate(&demand, current) else {
        return Ok(rec);
    };
    let observed_low = w.lowest_credit_balance;
    let exhausted = current.is_burstable()
        && match (observed_low, &demand.spend) {
            (Some(low), _) => low <= EXHAUSTED_AT_CREDITS,
            (None, Some(spend)) => credits::replay(current, spend).is_some_and(|r| !r.sustained),
            (None, None) => false,
        };
    let mut under_reasons = Vec::new();
    if !cur_fit.cpu_ok {
        under_reasons.push(Reason::CpuUnderProvisioned);
    }
    if !cur_fit.mem_ok {
        under_reasons.push(Reason::MemoryUnderProvisioned);
    }
    if !cur_fit.net_ok {
        under_reasons.push(Reason::NetworkBandwidthUnderProvisioned);
    }
    if exhausted {
        under_reasons.push(Reason::CpuCreditsExhausted);
    }
    let under = !under_reasons.is_empty();
    let idle = w.idle_days.is_some();

    // Candidates that fit.
    let mut candidates = Vec::new();
    let mut cheapest_blocked: Option<(&str, Decimal)> = None;
    for cand in catalog.instance_types() {
        if cand.name == current.name || (ctx.os == Os::Windows && cand.arch == Arch::Arm64) {
            continue;
        }
        // Only current-generation types whose network baseline is published: a fit is checked
        // on it, and a type without it could not be shown to carry the peak.
        if !cand.is_current_generation() || cand.net_baseline_gbps.is_none() {
            continue;
        }
        let Ok(price) = catalog.ec2_price(region, &cand.name, ctx.os, Ec2Model::OnDemand) else {
            continue;
        };
        if mem_max_pct.is_none() && !keeps_memory_per_vcpu(current, cand) {
            continue;
        }
        let Some(fit) = evaluate(&demand, cand) else {
            continue;
        };
        if !fit.fits() {
            continue;
        }
        let credit_run = if cand.is_burstable() {
            if exhausted && !earns_more_credits(cand, current) {
                continue;
            }
            match demand.spend.as_ref().and_then(|s| credits::replay(cand, s)) {
                Some(run) if run.sustained => Some(run),
                _ => continue,
            }
        } else {
            None
        };
        let Some(monthly_cost) = monthly(price.hourly, ctx.hours_per_month) else {
            continue;
        };
        let Some(saving) = current_monthly_cost.checked_sub(monthly_cost) else {
            continue;
        };
        if !under && saving <= Decimal::ZERO {
            if cheapest_blocked.is_none_or(|(_, c)| monthly_cost < c) {
                cheapest_blocked = Some((cand.name.as_str(), monthly_cost));
            }
            continue;
        }
        let migration = cand.arch != current.arch;
        candidates.push(Candidate {
            ty: cand,
            risk: performance_risk(fit.peak(), cand.is_burstable(), migration),
            kind: Kind::of(current, cand),
            fit,
            credit_run,
            monthly_cost,
            saving,
            migration,
        });
    }

    // Another architecture only when asked; otherwise the best migration is only mentioned,
    // with what it would save more.
    let best_migration = (opts.architecture == Architecture::Current)
        .then(|| {
            let best = candidates
                .iter()
                .filter(|c| c.migration && c.risk < 4)
                .max_by(|a, b| a.saving.cmp(&b.saving).then(b.risk.cmp(&a.risk)))
                .map(|c| (c.ty.name.clone(), c.ty.arch, c.saving));
            candidates.retain(|c| !c.migration);
            best
        })
        .flatten();
    let chosen = select(candidates);
    rec.options = chosen
        .iter()
        .zip(1u8..)
        .map(|(c, rank)| RightsizingOption {
            instance_type: c.ty.name.clone(),
            rank,
            projected_cpu_max_pct: c.fit.cpu_pct,
            projected_mem_max_pct: c.fit.mem_pct,
            performance_risk: c.risk,
            migration: c.migration,
            burstable: c.ty.is_burstable(),
            monthly_cost: c.monthly_cost,
            monthly_saving: c.saving,
            note: option_note(c, &demand, ctx, under),
        })
        .collect();

    let mut notes: Vec<String> = Vec::new();
    if let Some((name, arch, saving)) = best_migration {
        let more = saving - chosen.first().map_or(Decimal::ZERO, |c| c.saving);
        if more > Decimal::ZERO {
            notes.push(format!(
                "a migration to {name} ({arch}) would save {} a month more (--architecture any)",
                Money::usd(more)
            ));
        }
    }
    if under {
        rec.finding = Finding::UnderProvisioned;
        rec.reasons = under_reasons;
        if idle {
            rec.reasons.push(Reason::LowUtilization);
        }
        if !cur_fit.cpu_ok && cpu_used_pct >= 99.0 {
            notes.push(format!(
                "CPU {} is {cpu_used_pct:.1} %: saturated, so the real demand may be higher than measured",
                w.cpu_statistic
            ));
        }
        if exhausted {
            let low = observed_low.map_or_else(
                || "in the credit model".to_string(),
                |l| format!("(lowest balance {:.0} credits)", l.max(0.0)),
            );
            notes.push(format!(
                "the CPU credit balance ran dry {low}: no burstable type earning {} credits an hour or fewer is offered",
                current
                    .cpu_credits_per_hour
                    .map_or_else(|| "?".to_string(), |c| c.normalize().to_string())
            ));
        }
        if rec.options.is_empty() {
            notes.push(format!(
                "no type in the catalog fits the workload with {} % headroom",
                opts.headroom_pct
            ));
        }
    } else if idle {
        rec.finding = Finding::Idle;
        rec.reasons.push(Reason::LowUtilization);
        rec.reasons.extend(over_reasons(&chosen, &demand));
        let days = w.idle_days.unwrap_or_default();
        match ctx.pricing {
            CurrentPricing::OnDemand => {
                rec.idle_stop_saving = Some(current_monthly_cost);
                notes.push(format!(
                    "idle (low utilization on {days} of the last {IDLE_WINDOW_DAYS} days): stop or \
                     terminate it to save {} a month of instance cost (attached EBS volumes are \
                     still billed while stopped)",
                    Money::usd(current_monthly_cost)
                ));
            }
            CurrentPricing::Covered { .. } => {
                rec.idle_stop_saving = Some(Decimal::ZERO);
                notes.push(format!(
                    "idle (low utilization on {days} of the last {IDLE_WINDOW_DAYS} days), but a \
                     commitment covers it and is paid whether it runs or not: stopping saves money \
                     only when the commitment then covers other usage"
                ));
            }
        }
    } else if !rec.options.is_empty() {
        rec.finding = Finding::OverProvisioned;
        rec.reasons = over_reasons(&chosen, &demand);
    } else {
        rec.finding = Finding::Optimized;
        if let (CurrentPricing::Covered { effective_hourly }, Some((name, cost))) =
            (ctx.pricing, cheapest_blocked)
        {
            notes.push(format!(
                "covered by a commitment at ${}/h ({} a month): the cheapest type that fits, {name}, \
                 costs {} a month on demand, no less than the covered rate; no change while the \
                 commitment lasts",
                effective_hourly.normalize(),
                Money::usd(current_monthly_cost),
                Money::usd(cost)
            ));
        }
    }
    if w.hourly_avg_cpu.is_none() {
        notes.push(
            "no hourly CPU averages: burstable types are not offered (their CPU credits cannot be replayed)"
                .to_string(),
        );
    }
    if mem_max_pct.is_none() {
        notes.push(
            "memory not measured: sized by CPU and network only, never to less memory per vCPU"
                .to_string(),
        );
    }
    rec.note = notes.join("; ");
    Ok(rec)
}

/// The workload, measured on the current type.
struct Demand<'a> {
    current: &'a InstanceType,
    /// CPU percentile, percent of the current vCPUs.
    cpu_pct: f64,
    mem_max_pct: Option<f64>,
    cur_mem_gib: f64,
    net_peak_gbps: Option<f64>,
    /// 1 + headroom.
    headroom: f64,
    /// Credits spent per hour (oldest first), when CPU was measured hour by hour.
    spend: Option<Vec<f64>>,
}

/// The workload projected on one type.
#[derive(Clone, Copy, Debug)]
struct Fit {
    cpu_pct: f64,
    mem_pct: Option<f64>,
    net_pct: Option<f64>,
    cpu_ok: bool,
    mem_ok: bool,
    net_ok: bool,
}

impl Fit {
    fn fits(&self) -> bool {
        self.cpu_ok && self.mem_ok && self.net_ok
    }

    /// The highest projected utilization over the measured dimensions.
    fn peak(&self) -> f64 {
        [Some(self.cpu_pct), self.mem_pct, self.net_pct]
            .into_iter()
            .flatten()
            .fold(0.0, f64::max)
    }
}

/// Projects the workload on `ty`; `None` when the type's figures cannot be used.
fn evaluate(d: &Demand, ty: &InstanceType) -> Option<Fit> {
    if ty.vcpu == 0 {
        return None;
    }
    let cpu_pct = d.cpu_pct * f64::from(d.current.vcpu) / f64::from(ty.vcpu);
    let cpu_ok = cpu_pct * d.headroom <= 100.0 + EPS;
    let (mem_pct, mem_ok) = match d.mem_max_pct {
        None => (None, true),
        Some(m) => {
            let gib = ty.memory_gib.to_f64().filter(|g| *g > 0.0)?;
            let p = m * d.cur_mem_gib / gib;
            (Some(p), p * d.headroom <= 100.0 + EPS)
        }
    };
    let baseline = ty
        .net_baseline_gbps
        .and_then(|b| b.to_f64())
        .filter(|b| *b > 0.0);
    let (net_pct, net_ok) = match (d.net_peak_gbps, baseline) {
        (Some(peak), Some(base)) => (Some(peak / base * 100.0), peak <= base + EPS),
        _ => (None, true),
    };
    Some(Fit {
        cpu_pct,
        mem_pct,
        net_pct,
        cpu_ok,
        mem_ok,
        net_ok,
    })
}

/// The performance risk scale of the module notes.
fn performance_risk(peak_pct: f64, burstable: bool, migration: bool) -> u8 {
    let base: u8 = if peak_pct < 50.0 {
        0
    } else if peak_pct < 65.0 {
        1
    } else if peak_pct < 80.0 {
        2
    } else if peak_pct < 90.0 {
        3
    } else {
        4
    };
    (base + u8::from(burstable) + u8::from(migration)).min(4)
}

/// `hourly × hours`, `None` on overflow.
fn monthly(hourly: Decimal, hours: Decimal) -> Option<Decimal> {
    hourly.checked_mul(hours)
}

/// True when `cand` has at least the memory per vCPU of `current` (used when memory is not
/// measured).
fn keeps_memory_per_vcpu(current: &InstanceType, cand: &InstanceType) -> bool {
    let lhs = cand.memory_gib.checked_mul(Decimal::from(current.vcpu));
    let rhs = current.memory_gib.checked_mul(Decimal::from(cand.vcpu));
    matches!((lhs, rhs), (Some(l), Some(r)) if l >= r)
}

/// True when `cand` earns strictly more CPU credits per hour than `current`.
fn earns_more_credits(cand: &InstanceType, current: &InstanceType) -> bool {
    match (cand.cpu_credits_per_hour, current.cpu_credits_per_hour) {
        (Some(c), Some(k)) => c > k,
        _ => false,
    }
}

/// The kind of change a candidate is, in order of preference on ties.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Another size of the same family.
    SameFamily = 0,
    /// Another non-burstable family of the same architecture (e.g. the current generation).
    SameArch = 1,
    /// A non-burstable family of another architecture (Graviton).
    OtherArch = 2,
    /// Another burstable family.
    Burstable = 3,
}

impl Kind {
    fn of(current: &InstanceType, cand: &InstanceType) -> Kind {
        if cand.family() == current.family() {
            Kind::SameFamily
        } else if cand.is_burstable() {
            Kind::Burstable
        } else if cand.arch != current.arch {
            Kind::OtherArch
        } else {
            Kind::SameArch
        }
    }
}

/// The generation number of a family (`6` of `m6i`), 0 when there is none.
fn generation(family: &str) -> u32 {
    family
        .chars()
        .skip(1)
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0)
}

struct Candidate<'a> {
    ty: &'a InstanceType,
    fit: Fit,
    credit_run: Option<CreditRun>,
    monthly_cost: Decimal,
    saving: Decimal,
    migration: bool,
    risk: u8,
    kind: Kind,
}

/// Ranks and picks up to [`MAX_OPTIONS`] candidates (see "Ranking" in the module notes).
fn select(mut cands: Vec<Candidate<'_>>) -> Vec<Candidate<'_>> {
    cands.sort_by(|a, b| {
        b.saving
            .cmp(&a.saving)
            .then(a.risk.cmp(&b.risk))
            .then(a.kind.cmp(&b.kind))
            .then(generation(b.ty.family()).cmp(&generation(a.ty.family())))
            .then(a.ty.name.cmp(&b.ty.name))
    });
    let mut picked = vec![false; cands.len()];
    let mut kinds_seen: Vec<Kind> = Vec::new();
    let mut count = 0;
    for (i, c) in cands.iter().enumerate() {
        if count == MAX_OPTIONS {
            break;
        }
        if !kinds_seen.contains(&c.kind) {
            kinds_seen.push(c.kind);
            picked[i] = true;
            count += 1;
        }
    }
    for p in picked.iter_mut() {
        if count == MAX_OPTIONS {
            break;
        }
        if !*p {
            *p = true;
            count += 1;
        }
    }
    cands
        .into_iter()
        .zip(picked)
        .filter_map(|(c, p)| p.then_some(c))
        .collect()
}

/// The over-provisioning reasons read from the top option against the current type.
fn over_reasons(chosen: &[Candidate], d: &Demand) -> Vec<Reason> {
    let Some(top) = chosen.first() else {
        return Vec::new();
    };
    let cur = d.current;
    let mut reasons = Vec::new();
    if top.ty.vcpu < cur.vcpu {
        reasons.push(Reason::CpuOverProvisioned);
    }
    if d.mem_max_pct.is_some() && top.ty.memory_gib < cur.memory_gib {
        reasons.push(Reason::MemoryOverProvisioned);
    }
    if d.net_peak_gbps.is_some()
        && let (Some(t), Some(c)) = (top.ty.net_baseline_gbps, cur.net_baseline_gbps)
        && t < c
    {
        reasons.push(Reason::NetworkBandwidthOverProvisioned);
    }
    if reasons.is_empty() {
        reasons.push(Reason::CheaperEquivalent);
    }
    reasons
}

/// What to know about one option.
fn option_note(c: &Candidate, d: &Demand, ctx: &InstanceContext, under: bool) -> String {
    let mut parts: Vec<String> = Vec::new();
    if c.saving < Decimal::ZERO {
        parts.push(format!(
            "costs more: fixes under-provisioning (+{} a month)",
            Money::usd(-c.saving)
        ));
    } else if under {
        parts.push("fixes under-provisioning and costs no more".to_string());
    }
    if c.migration {
        parts.push(format!(
            "migration: {} → {} ({}); the software must run on {}",
            d.current.arch, c.ty.arch, c.ty.processor, c.ty.arch
        ));
    }
    if let Some(run) = c.credit_run {
        parts.push(format!(
            "burstable: the replayed CPU credit balance stays above zero (lowest {:.0} of {:.0})",
            run.lowest, run.max
        ));
    }
    if d.mem_max_pct.is_none() && c.ty.memory_gib < d.current.memory_gib {
        parts.push(format!(
            "memory not measured: {} GiB → {} GiB, check memory use first",
            d.current.memory_gib.normalize(),
            c.ty.memory_gib.normalize()
        ));
    }
    if d.net_peak_gbps.is_some() && c.fit.net_pct.is_none() {
        parts.push("network not checked: no published baseline bandwidth".to_string());
    }
    if let CurrentPricing::Covered { effective_hourly } = ctx.pricing {
        parts.push(format!(
            "saving is against the covered rate ${}/h, with this type on demand; the commitment \
             is still paid, so it is real only when the commitment covers other usage",
            effective_hourly.normalize()
        ));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::HourSample;
    use crate::recommend::idle::low_utilization;
    use crate::recommend::test_support::{catalog, hours, sample, series};
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    const DAY: usize = 24;

    /// Right-sizes over every architecture (the tests below look at migrations too).
    fn run(s: &InstanceSeries) -> InstanceRecommendation {
        run_with(s, RightsizingOptions::default())
    }

    fn run_with(s: &InstanceSeries, opts: RightsizingOptions) -> InstanceRecommendation {
        let opts = opts.with_architecture(Architecture::Any);
        rightsize(catalog(), s, &InstanceContext::on_demand(Os::Linux), &opts).unwrap()
    }

    fn ty(name: &str) -> &'static InstanceType {
        catalog().instance_type(name).unwrap()
    }

    fn on_demand_monthly(region: &str, name: &str, os: Os) -> Decimal {
        catalog()
            .ec2_price(region, name, os, Ec2Model::OnDemand)
            .unwrap()
            .hourly
            * HOURS_PER_MONTH
    }

    /// Every option is priced from the catalog and ranked; nothing costs more unless it fixes
    /// under-provisioning.
    fn check_invariants(rec: &InstanceRecommendation, os: Os) {
        assert!(rec.options.len() <= MAX_OPTIONS);
        for (i, o) in rec.options.iter().enumerate() {
            assert_eq!(usize::from(o.rank), i + 1);
            assert!(o.performance_risk <= 4);
            let cost = on_demand_monthly(&rec.region, &o.instance_type, os);
            assert_eq!(o.monthly_cost, cost, "{}", o.instance_type);
            assert_eq!(o.monthly_saving, rec.current_monthly_cost - cost);
            if rec.finding != Finding::UnderProvisioned {
                assert!(o.monthly_saving > Decimal::ZERO, "{rec:#?}");
            }
            if o.monthly_saving < Decimal::ZERO {
                assert!(
                    o.note.contains("costs more: fixes under-provisioning"),
                    "{o:?}"
                );
            }
            assert_eq!(
                o.migration,
                ty(&o.instance_type).arch != ty(&rec.instance_type).arch
            );
        }
        for pair in rec.options.windows(2) {
            assert!(pair[0].monthly_saving >= pair[1].monthly_saving, "{rec:#?}");
        }
    }

    fn idle_hour(h: usize) -> HourSample {
        let mut s = sample(h, 3.0, 2.0);
        s.net_in_bytes = Some(80_000.0);
        s.net_out_bytes = Some(40_000.0);
        s
    }

    #[test]
    fn idle_box_is_idle() {
        let rec = run(&series("m5.large", hours(14 * DAY, idle_hour)));
        assert_eq!(rec.finding, Finding::Idle);
        assert_eq!(rec.reasons[0], Reason::LowUtilization);
        assert_eq!(rec.idle_stop_saving, Some(dec!(70.08)));
        assert_eq!(rec.current_monthly_cost, dec!(70.08));
        assert!(rec.note.contains("stop or terminate"), "{}", rec.note);
        check_invariants(&rec, Os::Linux);
    }

    #[test]
    fn over_provisioned_m5_4xlarge_gets_a_smaller_size() {
        let s = series(
            "m5.4xlarge",
            hours(14 * DAY, |h| sample(h, 4.0 + (h % 3) as f64, 3.0)),
        );
        let rec = run(&s);
        assert_eq!(rec.finding, Finding::OverProvisioned, "{rec:#?}");
        assert_eq!(rec.cpu_used_pct, 6.0);
        assert!(rec.reasons.contains(&Reason::CpuOverProvisioned));
        assert_eq!(rec.options.len(), 3);
        let names: Vec<&str> = rec
            .options
            .iter()
            .map(|o| o.instance_type.as_str())
            .collect();
        assert!(names.contains(&"m5.large"), "{names:?}");
        // Best first by saving: t4g.large (its credits cover the 28.8 credits/h the workload
        // spends), then Graviton m6g.large, then the same family's m5.large.
        assert_eq!(names, ["t4g.large", "m6g.large", "m5.large"]);
        let t4g = &rec.options[0];
        assert!(t4g.burstable && t4g.migration);
        // 6 % of 16 vCPUs on 2 vCPUs; 48 % → 0, +1 burstable, +1 migration.
        assert!((t4g.projected_cpu_max_pct - 48.0).abs() < 1e-9);
        assert_eq!(t4g.performance_risk, 2);
        assert!(rec.options[1].migration);
        assert!(rec.options[1].note.contains("arm64"));
        assert_eq!(rec.options[1].performance_risk, 1);
        let m5 = rec
            .options
            .iter()
            .find(|o| o.instance_type == "m5.large")
            .unwrap();
        assert_eq!(m5.performance_risk, 0);
        assert_eq!(m5.monthly_saving, dec!(560.64) - dec!(70.08));
        assert!(
            m5.note.contains("memory not measured: 64 GiB → 8 GiB"),
            "{}",
            m5.note
        );
        check_invariants(&rec, Os::Linux);
    }

    #[test]
    fn hot_m5_large_is_under_provisioned_with_a_bigger_option() {
        let rec = run(&series(
            "m5.large",
            hours(14 * DAY, |h| sample(h, 99.0, 90.0)),
        ));
        assert_eq!(rec.finding, Finding::UnderProvisioned);
        assert_eq!(rec.reasons, vec![Reason::CpuUnderProvisioned]);
        assert!(rec.note.contains("saturated"), "{}", rec.note);
        assert!(!rec.options.is_empty());
        for o in &rec.options {
            assert!(ty(&o.instance_type).vcpu > 2, "{o:?}");
            assert!(o.monthly_saving < Decimal::ZERO);
            assert!(
                o.note.starts_with("costs more: fixes under-provisioning"),
                "{}",
                o.note
            );
            assert!(o.projected_cpu_max_pct * 1.2 <= 100.0);
        }
        // Cheapest fix first: m6g.xlarge ($0.154/h) before m5.xlarge ($0.192/h).
        assert_eq!(rec.options[0].instance_type, "m6g.xlarge");
        assert!(rec.options.iter().any(|o| o.instance_type == "m5.xlarge"));
        check_invariants(&rec, Os::Linux);
    }

    fn memory_bound(mem: f64) -> InstanceSeries {
        series(
            "r5.xlarge",
            hours(14 * DAY, |h| {
                let mut s = sample(h, 5.0, 3.0);
                s.mem_max_pct = Some(mem - (h % 5) as f64);
                s
            }),
        )
    }

    #[test]
    fn memory_bound_r5_xlarge_is_not_downsized_by_cpu_alone() {
        let rec = run(&memory_bound(70.0));
        let needed_gib = 0.70 * 32.0 * 1.2;
        assert_eq!(rec.mem_max_pct, Some(70.0));
        for o in &rec.options {
            let gib = ty(&o.instance_type).memory_gib.to_f64().unwrap();
            assert!(gib >= needed_gib, "{o:?}");
            assert!(gib >= 32.0, "{o:?}");
        }
        // The only cheaper type with the memory: r6g.xlarge, same size on Graviton.
        assert_eq!(rec.finding, Finding::OverProvisioned);
        assert_eq!(rec.options.len(), 1);
        assert_eq!(rec.options[0].instance_type, "r6g.xlarge");
        assert_eq!(rec.reasons, vec![Reason::CheaperEquivalent]);
        assert_eq!(rec.options[0].projected_mem_max_pct, Some(70.0));
        check_invariants(&rec, Os::Linux);

        // 85 % + 20 % headroom does not fit in 32 GiB: under-provisioned on memory.
        let rec = run(&memory_bound(85.0));
        assert_eq!(rec.finding, Finding::UnderProvisioned);
        assert_eq!(rec.reasons, vec![Reason::MemoryUnderProvisioned]);
        assert!(!rec.options.is_empty());
        for o in &rec.options {
            let gib = ty(&o.instance_type).memory_gib.to_f64().unwrap();
            assert!(gib >= 0.85 * 32.0 * 1.2, "{o:?}");
        }
        check_invariants(&rec, Os::Linux);
    }

    fn credit_starved(cpu_max: f64, cpu_avg: f64) -> InstanceSeries {
        series(
            "t3.medium",
            hours(14 * DAY, |h| {
                let mut s = sample(h, cpu_max, cpu_avg);
                s.cpu_credit_balance = Some((576.0 - 48.0 * h as f64).max(0.0));
                s
            }),
        )
    }

    #[test]
    fn credit_starved_t3_medium_gets_no_smaller_burstable() {
        for (max, avg) in [(90.0, 60.0), (50.0, 30.0)] {
            let rec = run(&credit_starved(max, avg));
            assert_eq!(rec.finding, Finding::UnderProvisioned, "{rec:#?}");
            assert!(rec.reasons.contains(&Reason::CpuCreditsExhausted));
            assert!(rec.note.contains("credit balance ran dry"), "{}", rec.note);
            assert!(!rec.options.is_empty());
            for o in &rec.options {
                let t = ty(&o.instance_type);
                if t.is_burstable() {
                    assert!(t.cpu_credits_per_hour.unwrap() > dec!(24), "{o:?}");
                    assert!(t.vcpu >= 2 && t.memory_gib > dec!(4), "{o:?}");
                }
            }
            check_invariants(&rec, Os::Linux);
        }
        // Without the balance metric, the credit model reaches the same verdict.
        let mut s = credit_starved(50.0, 30.0);
        s.samples
            .iter_mut()
            .for_each(|x| x.cpu_credit_balance = None);
        let rec = run(&s);
        assert!(
            rec.reasons.contains(&Reason::CpuCreditsExhausted),
            "{rec:#?}"
        );
    }

    #[test]
    fn burstable_offered_only_when_credits_hold() {
        // m5.large at 4 % average: the workload spends 4.8 credits/h, t4g.large earns 36.
        let rec = run(&series(
            "m5.large",
            hours(14 * DAY, |h| sample(h, 8.0, 4.0)),
        ));
        let t = rec
            .options
            .iter()
            .find(|o| o.burstable)
            .expect("a burstable option");
        assert!(
            t.note.contains("credit balance stays above zero"),
            "{}",
            t.note
        );
        // m5.xlarge at 40 % average spends 96 credits/h: only types earning as much may carry it.
        let rec = run(&series(
            "m5.xlarge",
            hours(14 * DAY, |h| sample(h, 40.0, 40.0)),
        ));
        for o in rec.options.iter().filter(|o| o.burstable) {
            assert!(
                ty(&o.instance_type).cpu_credits_per_hour.unwrap() >= dec!(96),
                "{o:?}"
            );
        }
    }

    #[test]
    fn fewer_than_30_hours_is_insufficient_data() {
        let rec = run(&series("m5.4xlarge", hours(29, |h| sample(h, 5.0, 3.0))));
        assert_eq!(rec.finding, Finding::InsufficientData);
        assert!(rec.options.is_empty());
        assert_eq!(rec.hours_of_data, 29);
        assert!(rec.note.contains("at least 30"));
        let rec = run(&series("m5.4xlarge", hours(30, |h| sample(h, 5.0, 3.0))));
        assert_eq!(rec.finding, Finding::OverProvisioned);
        // Old data outside the lookback does not count.
        let mut samples = hours(100, |h| sample(h, 5.0, 3.0));
        samples.extend(hours(20, |h| sample(h + 40 * DAY, 5.0, 3.0)));
        let rec = run(&series("m5.4xlarge", samples));
        assert_eq!(rec.finding, Finding::InsufficientData);
        assert_eq!(rec.hours_of_data, 20);
    }

    #[test]
    fn percentile_choice_changes_the_demand() {
        // A spike to 90 % every 20th hour (5 % of hours), 20 % otherwise.
        let s = series(
            "m5.xlarge",
            hours(14 * DAY, |h| {
                if h % 20 == 0 {
                    sample(h, 90.0, 60.0)
                } else {
                    sample(h, 20.0, 12.0)
                }
            }),
        );
        let p995 = run(&s);
        assert_eq!(p995.cpu_used_pct, 90.0);
        assert_eq!(p995.finding, Finding::UnderProvisioned);
        let p90 = run_with(
            &s,
            RightsizingOptions {
                cpu_percentile: CpuPercentile::P90,
                ..Default::default()
            },
        );
        assert_eq!(p90.cpu_used_pct, 20.0);
        assert_eq!(p90.finding, Finding::OverProvisioned);
        assert!(p90.options.iter().any(|o| ty(&o.instance_type).vcpu == 2));
        check_invariants(&p90, Os::Linux);
    }

    #[test]
    fn headroom_choice_changes_the_fit() {
        // 45 % of 4 vCPUs is 90 % of 2: fits with no headroom, not with 20 % or 30 %.
        let s = series("m5.xlarge", hours(14 * DAY, |h| sample(h, 45.0, 30.0)));
        let no_headroom = run_with(
            &s,
            RightsizingOptions {
                headroom_pct: 0,
                ..Default::default()
            },
        );
        let two = no_headroom
            .options
            .iter()
            .find(|o| ty(&o.instance_type).vcpu == 2)
            .expect("a 2-vCPU option");
        assert!((two.projected_cpu_max_pct - 90.0).abs() < 1e-9);
        assert!(two.performance_risk >= 4 - u8::from(!two.migration));
        for headroom_pct in [20, 30] {
            let rec = run_with(
                &s,
                RightsizingOptions {
                    headroom_pct,
                    ..Default::default()
                },
            );
            assert!(
                rec.options.iter().all(|o| ty(&o.instance_type).vcpu >= 4),
                "{rec:#?}"
            );
            check_invariants(&rec, Os::Linux);
        }
    }

    #[test]
    fn lookback_choice_changes_the_window() {
        // Six hot days, then fourteen quiet ones.
        let s = series(
            "m5.xlarge",
            hours(20 * DAY, |h| {
                if h < 6 * DAY {
                    sample(h, 99.0, 80.0)
                } else {
                    sample(h, 10.0, 5.0)
                }
            }),
        );
        assert_eq!(run(&s).finding, Finding::OverProvisioned);
        let long = run_with(
            &s,
            RightsizingOptions {
                lookback_days: 32,
                ..Default::default()
            },
        );
        assert_eq!(long.finding, Finding::UnderProvisioned);
        assert_eq!(long.hours_of_data, 20 * DAY);
    }

    #[test]
    fn network_peak_must_fit_the_baseline() {
        // 450 GB in one hour is 1 Gbps, beyond m5.large's 0.75 Gbps baseline.
        let s = series(
            "m5.large",
            hours(14 * DAY, |h| {
                let mut s = sample(h, 20.0, 10.0);
                if h == 100 {
                    s.net_in_bytes = Some(300e9);
                    s.net_out_bytes = Some(150e9);
                }
                s
            }),
        );
        let rec = run(&s);
        assert!((rec.net_peak_gbps.unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(rec.finding, Finding::UnderProvisioned);
        assert_eq!(rec.reasons, vec![Reason::NetworkBandwidthUnderProvisioned]);
        for o in &rec.options {
            assert!(
                ty(&o.instance_type).net_baseline_gbps.unwrap() >= dec!(1),
                "{o:?}"
            );
        }
        check_invariants(&rec, Os::Linux);
    }

    #[test]
    fn covered_instance_saves_only_against_its_covered_rate() {
        let s = series("m5.4xlarge", hours(14 * DAY, |h| sample(h, 5.0, 3.0)));
        let opts = RightsizingOptions::default().with_architecture(Architecture::Any);
        // Covered at $0.05/h: nothing that fits is cheaper on demand.
        let cheap = InstanceContext::covered(Os::Linux, dec!(0.05));
        let rec = rightsize(catalog(), &s, &cheap, &opts).unwrap();
        assert_eq!(rec.finding, Finding::Optimized);
        assert!(rec.options.is_empty());
        assert_eq!(rec.current_monthly_cost, dec!(36.5));
        assert!(
            rec.note.contains("covered by a commitment at $0.05/h"),
            "{}",
            rec.note
        );
        // Covered at $0.50/h: t4g.large on demand ($49.056) beats $365.
        let dear = InstanceContext::covered(Os::Linux, dec!(0.5));
        let rec = rightsize(catalog(), &s, &dear, &opts).unwrap();
        assert_eq!(rec.finding, Finding::OverProvisioned);
        assert_eq!(rec.current_monthly_cost, dec!(365));
        assert_eq!(rec.options[0].instance_type, "t4g.large");
        assert_eq!(rec.options[0].monthly_saving, dec!(365) - dec!(49.056));
        assert!(rec.options[0].note.contains("covered rate $0.5/h"));
        check_invariants(&rec, Os::Linux);
        // An idle covered instance: stopping saves nothing while the commitment is paid.
        let rec = rightsize(
            catalog(),
            &series("m5.large", hours(14 * DAY, idle_hour)),
            &cheap,
            &opts,
        )
        .unwrap();
        assert_eq!(rec.finding, Finding::Idle);
        assert_eq!(rec.idle_stop_saving, Some(Decimal::ZERO));
    }

    #[test]
    fn windows_gets_no_graviton_and_missing_prices_are_errors() {
        let ctx = InstanceContext::on_demand(Os::Windows);
        let opts = RightsizingOptions::default();
        let s = series("t3.2xlarge", hours(14 * DAY, |h| sample(h, 5.0, 3.0)));
        let rec = rightsize(catalog(), &s, &ctx, &opts).unwrap();
        assert_eq!(rec.finding, Finding::OverProvisioned);
        for o in &rec.options {
            assert_eq!(ty(&o.instance_type).arch, Arch::X86_64);
            assert!(!o.migration);
        }
        check_invariants(&rec, Os::Windows);
        // No Windows price for m5 in the catalog: an error naming it, never $0.
        let s = series("m5.large", hours(14 * DAY, |h| sample(h, 5.0, 3.0)));
        let e = rightsize(catalog(), &s, &ctx, &opts).unwrap_err();
        assert_eq!(e.item, "m5.large");
        assert!(e.what.contains("windows"), "{e}");
    }

    #[test]
    fn optimized_when_nothing_cheaper_fits() {
        // c6g.large at 60 %: the smallest Graviton compute type, nothing cheaper fits.
        let rec = run(&series(
            "c6g.large",
            hours(14 * DAY, |h| sample(h, 60.0, 40.0)),
        ));
        assert_eq!(rec.finding, Finding::Optimized, "{rec:#?}");
        assert!(rec.options.is_empty());
        assert!(rec.reasons.is_empty());
    }

    #[test]
    fn unknown_types_and_odd_options_do_not_panic() {
        let ctx = InstanceContext::covered(Os::Linux, dec!(1));
        let s = series("x9.huge", hours(14 * DAY, |h| sample(h, 5.0, 3.0)));
        let rec = rightsize(catalog(), &s, &ctx, &RightsizingOptions::default()).unwrap();
        assert_eq!(rec.finding, Finding::InsufficientData);
        assert!(rec.note.contains("x9.huge"));
        let e = run_with_err(&s);
        assert_eq!(e.item, "x9.huge");
        let s = series("m5.large", hours(14 * DAY, |h| sample(h, 5.0, 3.0)));
        for lookback_days in [0, 1, u32::MAX] {
            let o = RightsizingOptions {
                lookback_days,
                headroom_pct: u32::MAX,
                ..Default::default()
            };
            let _ = run_with(&s, o);
        }
        let huge = InstanceContext::covered(Os::Linux, Decimal::MAX);
        let e = rightsize(catalog(), &s, &huge, &RightsizingOptions::default()).unwrap_err();
        assert!(e.what.contains("overflows"));
    }

    fn run_with_err(s: &InstanceSeries) -> MissingPrice {
        rightsize(
            catalog(),
            s,
            &InstanceContext::on_demand(Os::Linux),
            &RightsizingOptions::default(),
        )
        .unwrap_err()
    }

    #[test]
    fn options_and_names() {
        assert!(RightsizingOptions::new(32, CpuPercentile::P95, 30).is_ok());
        assert!(
            RightsizingOptions::new(45, CpuPercentile::P95, 30)
                .unwrap_err()
                .contains("45")
        );
        assert!(
            RightsizingOptions::new(14, CpuPercentile::P95, 10)
                .unwrap_err()
                .contains("10")
        );
        assert_eq!("P99.5".parse::<CpuPercentile>(), Ok(CpuPercentile::P99_5));
        assert_eq!("90".parse::<CpuPercentile>(), Ok(CpuPercentile::P90));
        assert!("p50".parse::<CpuPercentile>().unwrap_err().contains("p50"));
        assert_eq!(Finding::OverProvisioned.to_string(), "over-provisioned");
        assert_eq!(
            Reason::NetworkBandwidthUnderProvisioned.as_str(),
            "network-bandwidth-under-provisioned"
        );
        for r in [
            Reason::CpuCreditsExhausted,
            Reason::CheaperEquivalent,
            Reason::LowUtilization,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
        for f in [
            Finding::InsufficientData,
            Finding::UnderProvisioned,
            Finding::Idle,
        ] {
            assert_eq!(serde_json::to_value(f).unwrap(), f.as_str());
        }
        let ctx = serde_json::to_value(InstanceContext::covered(Os::Linux, dec!(0.05))).unwrap();
        assert_eq!(ctx["pricing"]["model"], "covered");
    }

    #[test]
    fn risk_scale() {
        assert_eq!(performance_risk(49.9, false, false), 0);
        assert_eq!(performance_risk(50.0, false, false), 1);
        assert_eq!(performance_risk(79.9, false, false), 2);
        assert_eq!(performance_risk(89.9, false, false), 3);
        assert_eq!(performance_risk(90.0, false, false), 4);
        assert_eq!(performance_risk(10.0, true, true), 2);
        assert_eq!(performance_risk(85.0, true, true), 4);
    }

    /// CPU max, CPU avg, memory, net in, net out, credit balance, gap before the hour.
    type RawSample = (
        f64,
        f64,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        Option<f64>,
        u8,
    );

    fn any_sample() -> impl Strategy<Value = RawSample> {
        (
            prop::num::f64::ANY,
            prop::num::f64::ANY,
            prop::option::of(prop::num::f64::ANY),
            prop::option::of(prop::num::f64::ANY),
            prop::option::of(prop::num::f64::ANY),
            prop::option::of(prop::num::f64::ANY),
            0u8..3,
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn never_panics_and_never_raises_cost_without_cause(
            raw in prop::collection::vec(any_sample(), 0..80),
            type_index in 0usize..5,
            covered in prop::option::of(0u32..2000),
        ) {
            let names = ["m5.large", "t3.medium", "r5.xlarge", "c7g.4xlarge", "t4g.nano"];
            let samples: Vec<HourSample> = raw
                .iter()
                .enumerate()
                .map(|(i, &(max, avg, mem, net_in, net_out, bal, gap))| {
                    let mut s = sample(i * 3 + usize::from(gap), max, avg);
                    s.mem_max_pct = mem;
                    s.net_in_bytes = net_in;
                    s.net_out_bytes = net_out;
                    s.cpu_credit_balance = bal;
                    s
                })
                .collect();
            let s = series(names[type_index], samples);
            let ctx = match covered {
                Some(c) => InstanceContext::covered(Os::Linux, Decimal::new(i64::from(c), 3)),
                None => InstanceContext::on_demand(Os::Linux),
            };
            let rec = rightsize(catalog(), &s, &ctx, &RightsizingOptions::default()).unwrap();
            prop_assert!(rec.options.len() <= MAX_OPTIONS);
            for o in &rec.options {
                if rec.finding != Finding::UnderProvisioned {
                    prop_assert!(o.monthly_saving > Decimal::ZERO);
                }
                prop_assert!(o.projected_cpu_max_pct.is_finite());
            }
            let _ = low_utilization(&s);
        }
    }

    /// With the current architecture only, an m5.2xlarge using little of its CPU and memory gets
    /// x86 options, and the note says what a Graviton migration would save more.
    #[test]
    fn the_current_architecture_keeps_x86_and_names_the_migration() {
        let s = series("m5.2xlarge", hours(14 * DAY, |h| sample(h, 8.0, 10.0)));
        let any = run(&s);
        assert!(any.options.iter().any(|o| o.migration), "{any:#?}");
        let current = rightsize(
            catalog(),
            &s,
            &InstanceContext::on_demand(Os::Linux),
            &RightsizingOptions::default(),
        )
        .unwrap();
        assert_eq!(current.finding, Finding::OverProvisioned);
        assert!(!current.options.is_empty());
        assert!(current.options.iter().all(|o| !o.migration), "{current:#?}");
        let best_any = any.options.iter().map(|o| o.monthly_saving).max().unwrap();
        let best_current = current.options[0].monthly_saving;
        if best_any > best_current {
            assert!(
                current.note.contains(&format!(
                    "would save {} a month more",
                    Money::usd(best_any - best_current)
                )),
                "{}",
                current.note
            );
        }
        check_invariants(&current, Os::Linux);
    }
}
