//! The catalog's domain types: what a price is, where it came from, and the EC2 vocabulary
//! (operating system, pricing model, term, offering class, payment option).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How sure the catalog is of a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    /// Read from an AWS-published price list, feed or page (possibly through a public copy).
    Published,
    /// Published at some point, but not confirmed current, or read from a secondary source.
    Unconfirmed,
    /// A model, not a price AWS quotes (e.g. spot from Spot Advisor's average saving).
    Estimate,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::Published => "published",
            Confidence::Unconfirmed => "unconfirmed",
            Confidence::Estimate => "estimate",
        })
    }
}

/// Where a figure came from: source, effective date, confidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The source: an AWS file or page, or a public repository at a commit.
    pub source: String,
    /// The date the figure was published or read (ISO date).
    pub effective_date: String,
    /// How sure we are that it is current.
    pub confidence: Confidence,
    /// The catalog file it was read from.
    pub file: String,
    /// AWS's rate code, `SKU.offerTermCode.rateCode`, where the source gives it: the key from
    /// a billing file's SKU back to this row (see [`Provenance::sku`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_code: Option<String>,
}

impl Provenance {
    /// The AWS Price List SKU: the rate code's first part.
    pub fn sku(&self) -> Option<&str> {
        self.rate_code.as_deref().and_then(|c| c.split('.').next())
    }
}

/// One step of a tiered price: the price applies up to `upto` units of the month's cumulative
/// quantity (no bound on the last tier).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Tier {
    /// Upper bound of the tier (cumulative), `None` for the last.
    pub upto: Option<Decimal>,
    /// Price per unit inside the tier, every published digit kept.
    pub price: Decimal,
    /// The tier's own confidence where it differs from the rate's.
    pub confidence: Option<Confidence>,
}

/// A price for one service item in one region: flat (one tier) or tiered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rate {
    /// The service, e.g. `s3`.
    pub service: String,
    /// The region.
    pub region: String,
    /// The item key, e.g. `storage/standard`.
    pub key: String,
    /// The unit the price is per, e.g. `GB-Mo`.
    pub unit: String,
    /// The tiers, in order; a flat price is one unbounded tier.
    pub tiers: Vec<Tier>,
    /// Where it came from.
    pub provenance: Provenance,
}

/// A quantity that falls into one tier of a [`Rate`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierSlice {
    /// Index of the tier in [`Rate::tiers`].
    pub tier: usize,
    /// Quantity priced in this tier.
    pub quantity: Decimal,
    /// Unit price of the tier.
    pub price: Decimal,
    /// How sure the catalog is of this tier's price.
    pub confidence: Confidence,
}

impl Rate {
    /// True when the rate has more than one tier.
    pub fn is_tiered(&self) -> bool {
        self.tiers.len() > 1
    }

    /// The price of the first tier (the flat price of a flat rate).
    pub fn first_price(&self) -> Decimal {
        self.tiers[0].price
    }

    /// Splits `quantity` units, consumed after `already` units this month, across the tiers.
    /// The slices sum to `quantity` exactly; zero-quantity slices are left out.
    pub fn split(&self, already: Decimal, quantity: Decimal) -> Vec<TierSlice> {
        let mut out = Vec::new();
        let mut pos = already;
        let end = already + quantity;
        let mut lower = Decimal::ZERO;
        for (i, tier) in self.tiers.iter().enumerate() {
            let upper = tier.upto;
            let from = pos.max(lower);
            let to = match upper {
                Some(u) => end.min(u),
                None => end,
            };
            if to > from {
                out.push(TierSlice {
                    tier: i,
                    quantity: to - from,
                    price: tier.price,
                    confidence: tier.confidence.unwrap_or(self.provenance.confidence),
                });
                pos = to;
            }
            if let Some(u) = upper {
                lower = u;
            }
            if pos >= end {
                break;
            }
        }
        out
    }

    /// A label for one tier, e.g. `first 51200`, `next 460800`, `over 512000`.
    pub fn tier_label(&self, index: usize) -> String {
        if !self.is_tiered() {
            return String::new();
        }
        let lower = if index == 0 {
            Decimal::ZERO
        } else {
            self.tiers[index - 1].upto.unwrap_or_default()
        };
        let unit = base_unit(&self.unit);
        match self.tiers[index].upto {
            Some(u) if index == 0 => format!("first {} {unit}", grouped(u)),
            Some(u) => format!("next {} {unit}", grouped(u - lower)),
            None => format!("over {} {unit}", grouped(lower)),
        }
    }
}

/// The unit of a tier bound: `GB-Mo` tiers count GB, `metric-Mo` tiers count metrics.
fn base_unit(unit: &str) -> String {
    let stem = unit.strip_suffix("-Mo").unwrap_or(unit);
    if stem != unit && stem.bytes().all(|b| b.is_ascii_lowercase()) {
        format!("{stem}s")
    } else {
        stem.to_string()
    }
}

fn grouped(d: Decimal) -> String {
    crate::money::group_thousands(&d.normalize().to_string())
}

/// A rule that is not a price but that pricing needs (a free-tier size, a minimum duration).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fact {
    /// The service.
    pub service: String,
    /// The region, or `None` for every region.
    pub region: Option<String>,
    /// The key, e.g. `free-tier/gb-seconds`.
    pub key: String,
    /// The value.
    pub value: Decimal,
    /// Its unit.
    pub unit: String,
    /// Where it came from.
    pub source: String,
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The catalog's and plan file's spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            /// The accepted spellings, for error messages.
            pub fn expected() -> String {
                [$($text),+].iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($text $(| $alias)* => Ok($name::$variant),)+
                    other => Err(format!("expected one of {}, found `{}`", $name::expected(), other)),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

text_enum!(
    /// Operating system of an instance.
    Os { Linux => "linux" | "linux/unix", Windows => "windows" }
);

text_enum!(
    /// Pricing model of an EC2 price row.
    Model { OnDemand => "on-demand" | "ondemand", Reserved => "reserved", SavingsPlan => "savings-plan", Spot => "spot" }
);

text_enum!(
    /// Commitment term.
    Term { OneYear => "1yr" | "1y" | "1", ThreeYear => "3yr" | "3y" | "3" }
);

text_enum!(
    /// Payment option of a reserved instance or savings plan.
    Payment { NoUpfront => "no-upfront" | "no upfront", PartialUpfront => "partial-upfront" | "partial upfront", AllUpfront => "all-upfront" | "all upfront" }
);

text_enum!(
    /// Offering: RI class (standard, convertible) or savings plan type (compute, ec2-instance).
    Offering { Standard => "standard", Convertible => "convertible", Compute => "compute", Ec2Instance => "ec2-instance" | "ec2instance" }
);

text_enum!(
    /// Processor architecture.
    Arch { X86_64 => "x86_64" | "x86", Arm64 => "arm64" | "arm" }
);

text_enum!(
    /// Elastic Load Balancing type: the first part of its `elb` rate keys.
    LoadBalancerType { Application => "application" | "alb", Network => "network" | "nlb", Gateway => "gateway" | "gwlb", Classic => "classic" | "clb" }
);

impl LoadBalancerType {
    /// The capacity unit AWS bills this type by (LCU, NLCU, GLCU); classic has none, it bills
    /// data processed instead.
    pub fn capacity_unit(self) -> Option<&'static str> {
        match self {
            LoadBalancerType::Application => Some("LCU"),
            LoadBalancerType::Network => Some("NLCU"),
            LoadBalancerType::Gateway => Some("GLCU"),
            LoadBalancerType::Classic => None,
        }
    }
}

impl Term {
    /// Length of the term in years.
    pub fn years(self) -> u32 {
        match self {
            Term::OneYear => 1,
            Term::ThreeYear => 3,
        }
    }

    /// Hours in the term, 8,760 a year (the basis of RI amortization).
    pub fn hours(self) -> Decimal {
        Decimal::from(self.years() * 8760)
    }

    /// The month a commitment of this term breaks even: the first month whose cumulative
    /// on-demand cost avoided (`avoided_monthly` each month) reaches the cumulative amount paid
    /// (`upfront` on day one, `recurring_monthly` each month). `None` when it never does within
    /// the term. Both `quote --compare-pricing` and `recommend` say this month.
    pub fn break_even_month(
        self,
        upfront: Decimal,
        recurring_monthly: Decimal,
        avoided_monthly: Decimal,
    ) -> Option<u32> {
        let gain = avoided_monthly - recurring_monthly;
        if gain <= Decimal::ZERO {
            return None;
        }
        let months = (upfront / gain).ceil().max(Decimal::ONE);
        (months <= Decimal::from(self.years() * 12))
            .then(|| u32::try_from(months.mantissa()).ok())
            .flatten()
    }
}

impl Offering {
    /// True for reserved-instance classes, false for savings plan types.
    pub fn is_ri_class(self) -> bool {
        matches!(self, Offering::Standard | Offering::Convertible)
    }
}

/// Which price of an EC2 instance type: the model and, for commitments, term, offering and payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ec2Model {
    /// On-demand.
    OnDemand,
    /// A reserved instance (offering is standard or convertible).
    Reserved(Term, Offering, Payment),
    /// A savings plan rate (offering is compute or ec2-instance).
    SavingsPlan(Term, Offering, Payment),
}

impl fmt::Display for Ec2Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ec2Model::OnDemand => f.write_str("on-demand"),
            Ec2Model::Reserved(t, o, p) => write!(f, "reserved {t} {o} {p}"),
            Ec2Model::SavingsPlan(t, o, p) => write!(f, "{o} savings plan {t} {p}"),
        }
    }
}

/// One EC2 price: for a region, instance type, OS and model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ec2Price {
    /// Region code.
    pub region: String,
    /// Instance type, e.g. `m5.large`.
    pub instance_type: String,
    /// Operating system.
    pub os: Os,
    /// Pricing model.
    #[serde(serialize_with = "ser_display")]
    pub model: Ec2Model,
    /// One-time fee per instance (reserved), USD.
    pub upfront: Decimal,
    /// Price per instance-hour, USD (the recurring fee for a reserved instance).
    pub hourly: Decimal,
    /// Where it came from.
    pub provenance: Provenance,
}

fn ser_display<T: fmt::Display, S: serde::Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl Ec2Price {
    /// Effective hourly price: recurring hourly + upfront ÷ hours of the term. All-upfront is not
    /// free per hour: it is amortized.
    pub fn effective_hourly(&self) -> Decimal {
        match self.model {
            Ec2Model::Reserved(term, _, _) | Ec2Model::SavingsPlan(term, _, _) => {
                self.hourly + self.upfront / term.hours()
            }
            Ec2Model::OnDemand => self.hourly,
        }
    }
}

/// Spot Advisor's published figures for one instance type in one region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpotAdvisor {
    /// Region code.
    pub region: String,
    /// Instance type.
    pub instance_type: String,
    /// Operating system.
    pub os: Os,
    /// Average saving over on-demand, percent.
    pub savings_pct: Decimal,
    /// Interruption frequency band, e.g. `<5%`.
    pub interruption_band: String,
    /// Where it came from.
    pub provenance: Provenance,
}

/// An observed spot price in one availability zone (from `describe-spot-price-history`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpotPricePoint {
    /// Availability zone, e.g. `us-east-1a`.
    pub availability_zone: String,
    /// Instance type.
    pub instance_type: String,
    /// Operating system.
    pub os: Os,
    /// When the price took effect (RFC 3339).
    pub timestamp: String,
    /// USD per instance-hour.
    pub price: Decimal,
    /// Where it came from.
    pub provenance: Provenance,
}

/// An EC2 instance type's published attributes (the same in every region).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InstanceType {
    /// Name, e.g. `m5.large`.
    pub name: String,
    /// Virtual CPUs.
    pub vcpu: u32,
    /// Memory, GiB.
    pub memory_gib: Decimal,
    /// Architecture.
    pub arch: Arch,
    /// Processor.
    pub processor: String,
    /// Network performance as AWS words it, e.g. `Up to 10 Gigabit`.
    pub network_performance: String,
    /// Baseline network bandwidth, Gbps.
    pub net_baseline_gbps: Option<Decimal>,
    /// Burst network bandwidth, Gbps.
    pub net_burst_gbps: Option<Decimal>,
    /// EBS-optimized baseline bandwidth, Mbps.
    pub ebs_baseline_mbps: Option<Decimal>,
    /// EBS-optimized maximum bandwidth, Mbps.
    pub ebs_max_mbps: Option<Decimal>,
    /// EBS baseline IOPS (16 KiB I/O).
    pub ebs_baseline_iops: Option<Decimal>,
    /// EBS maximum IOPS.
    pub ebs_max_iops: Option<Decimal>,
    /// T-family: CPU credits earned per hour.
    pub cpu_credits_per_hour: Option<Decimal>,
    /// T-family: baseline utilization per vCPU, percent (published).
    pub baseline_pct_per_vcpu: Option<Decimal>,
    /// T-family: maximum credits that can accrue.
    pub max_accrued_credits: Option<Decimal>,
    /// AWS's instance family category, e.g. `General purpose`, `GPU instance`.
    pub category: Option<String>,
    /// Current or previous generation, where a source says.
    pub generation: Option<Generation>,
    /// The RI normalization factor of this type (size flexibility), where known.
    pub normalization_factor: Option<Decimal>,
}

/// Whether AWS lists an instance type among current or previous generation types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Generation {
    /// A current-generation type.
    Current,
    /// A previous-generation type (AWS's `previousgen-ondemand` feed lists it).
    Previous,
}

impl FromStr for Generation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "current" => Ok(Generation::Current),
            "previous" => Ok(Generation::Previous),
            other => Err(format!("expected `current` or `previous`, found `{other}`")),
        }
    }
}

impl fmt::Display for Generation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Generation::Current => "current",
            Generation::Previous => "previous",
        })
    }
}

impl InstanceType {
    /// Fills what this row leaves empty from another row of the same type: a hand-curated file
    /// (network and EBS limits, credits) and the feeds (category, generation) each know part.
    pub fn fill_from(&mut self, other: &InstanceType) {
        fn fill<T: Clone>(a: &mut Option<T>, b: &Option<T>) {
            if a.is_none() {
                a.clone_from(b);
            }
        }
        if self.processor.is_empty() {
            self.processor.clone_from(&other.processor);
        }
        if self.network_performance.is_empty() {
            self.network_performance
                .clone_from(&other.network_performance);
        }
        fill(&mut self.net_baseline_gbps, &other.net_baseline_gbps);
        fill(&mut self.net_burst_gbps, &other.net_burst_gbps);
        fill(&mut self.ebs_baseline_mbps, &other.ebs_baseline_mbps);
        fill(&mut self.ebs_max_mbps, &other.ebs_max_mbps);
        fill(&mut self.ebs_baseline_iops, &other.ebs_baseline_iops);
        fill(&mut self.ebs_max_iops, &other.ebs_max_iops);
        fill(&mut self.cpu_credits_per_hour, &other.cpu_credits_per_hour);
        fill(
            &mut self.baseline_pct_per_vcpu,
            &other.baseline_pct_per_vcpu,
        );
        fill(&mut self.max_accrued_credits, &other.max_accrued_credits);
        fill(&mut self.category, &other.category);
        fill(&mut self.generation, &other.generation);
        fill(&mut self.normalization_factor, &other.normalization_factor);
    }

    /// True unless a source lists the type as previous generation.
    pub fn is_current_generation(&self) -> bool {
        self.generation != Some(Generation::Previous)
    }

    /// The family, e.g. `m5` for `m5.large`.
    pub fn family(&self) -> &str {
        family_of(&self.name)
    }

    /// The size, e.g. `large`.
    pub fn size(&self) -> &str {
        size_of(&self.name)
    }

    /// True for burstable (T-family) types.
    pub fn is_burstable(&self) -> bool {
        self.cpu_credits_per_hour.is_some()
    }

    /// Baseline CPU per vCPU, percent, from the credit model: 100 % × credits per hour ÷ vCPU ÷ 60.
    pub fn credit_baseline_pct(&self) -> Option<Decimal> {
        self.cpu_credits_per_hour
            .map(|c| Decimal::from(100) * c / Decimal::from(self.vcpu) / Decimal::from(60))
    }
}

/// The family part of an instance type name (`m5` of `m5.large`).
pub fn family_of(name: &str) -> &str {
    name.split_once('.').map_or(name, |(f, _)| f)
}

/// The size part of an instance type name (`large` of `m5.large`).
pub fn size_of(name: &str) -> &str {
    name.split_once('.').map_or("", |(_, s)| s)
}

/// The RI normalization factor of a size (EC2 User Guide, "How Reserved Instances are applied"):
/// nano 0.25, micro 0.5, small 1, medium 2, large 4, xlarge 8, and N×xlarge = 8 × N.
pub fn normalization_factor(size: &str) -> Option<Decimal> {
    let f = match size {
        "nano" => Decimal::new(25, 2),
        "micro" => Decimal::new(5, 1),
        "small" => Decimal::ONE,
        "medium" => Decimal::from(2),
        "large" => Decimal::from(4),
        "xlarge" => Decimal::from(8),
        s => {
            let n: u32 = s.strip_suffix("xlarge")?.parse().ok().filter(|n| *n >= 1)?;
            Decimal::from(n.checked_mul(8)?)
        }
    };
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn rate(tiers: Vec<Tier>) -> Rate {
        Rate {
            service: "s3".into(),
            region: "us-east-1".into(),
            key: "storage/standard".into(),
            unit: "GB-Mo".into(),
            tiers,
            provenance: Provenance {
                source: "t".into(),
                effective_date: "2025-01-01".into(),
                confidence: Confidence::Published,
                file: "t".into(),
                rate_code: None,
            },
        }
    }

    #[test]
    fn split_crosses_tiers() {
        let r = rate(vec![
            Tier {
                upto: Some(dec!(100)),
                price: dec!(3),
                confidence: None,
            },
            Tier {
                upto: Some(dec!(200)),
                price: dec!(2),
                confidence: None,
            },
            Tier {
                upto: None,
                price: dec!(1),
                confidence: Some(Confidence::Unconfirmed),
            },
        ]);
        let s = r.split(dec!(50), dec!(200));
        assert_eq!(s.len(), 3);
        assert_eq!(
            (s[0].quantity, s[1].quantity, s[2].quantity),
            (dec!(50), dec!(100), dec!(50))
        );
        assert_eq!(r.split(dec!(250), dec!(10))[0].tier, 2);
        assert_eq!(s[2].confidence, Confidence::Unconfirmed);
        assert_eq!(s[0].confidence, Confidence::Published);
        assert!(r.split(dec!(0), dec!(0)).is_empty());
        assert_eq!(r.tier_label(1), "next 100 GB");
        let mut big = r.clone();
        big.unit = "GB-s".into();
        big.tiers[0].upto = Some(dec!(6000000000));
        assert_eq!(big.tier_label(0), "first 6,000,000,000 GB-s");
    }

    #[test]
    fn normalization_factors() {
        assert_eq!(normalization_factor("nano"), Some(dec!(0.25)));
        assert_eq!(normalization_factor("2xlarge"), Some(dec!(16)));
        assert_eq!(normalization_factor("32xlarge"), Some(dec!(256)));
        assert_eq!(normalization_factor("metal"), None);
        assert_eq!(normalization_factor("0xlarge"), None);
        assert_eq!(normalization_factor("4294967295xlarge"), None);
    }

    #[test]
    fn parses_enums_and_aliases() {
        assert_eq!("Linux/UNIX".parse::<Os>().unwrap(), Os::Linux);
        assert_eq!(
            "all upfront".parse::<Payment>().unwrap(),
            Payment::AllUpfront
        );
        let err = "2yr".parse::<Term>().unwrap_err();
        assert!(err.contains("`1yr`, `3yr`") && err.contains("2yr"), "{err}");
    }
}
