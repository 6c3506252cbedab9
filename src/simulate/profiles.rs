//! Workload profiles: the believable shapes of a fleet's utilization, hour by hour.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

/// What an instance does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Profile {
    /// A steady web service: diurnal and weekly cycle.
    Web,
    /// Nightly batch: runs a few hours a night at full tilt.
    Batch,
    /// A forgotten development box: running, doing nothing.
    IdleDev,
    /// A memory-bound cache: low CPU, high memory.
    Cache,
    /// A burstable instance that bursts now and then and keeps its credits.
    Bursty,
    /// A burstable instance working above its baseline until its credits run out.
    CreditStarved,
    /// An under-provisioned hot instance, CPU pinned.
    Hot,
    /// A growing service: utilization trending up over the period.
    Growing,
    /// Stateless workers that could run on spot.
    Worker,
    /// An over-provisioned instance: far more than it needs.
    Oversized,
    /// A development box used on weekdays in office hours (08:00-19:00 UTC), running all week.
    OfficeDev,
    /// A business-hours service: busy on weekdays 07:00-20:00 UTC, quiet at night and at
    /// weekends, running all week.
    BusinessHours,
}

impl Profile {
    /// Every profile, in the order the first instances of a fleet take them.
    pub const ALL: [Profile; 12] = [
        Profile::Web,
        Profile::Batch,
        Profile::IdleDev,
        Profile::Cache,
        Profile::Bursty,
        Profile::CreditStarved,
        Profile::Hot,
        Profile::Growing,
        Profile::Worker,
        Profile::Oversized,
        Profile::OfficeDev,
        Profile::BusinessHours,
    ];

    /// The profile's name (written to the usage file's `workload` column).
    pub fn name(self) -> &'static str {
        match self {
            Profile::Web => "web",
            Profile::Batch => "batch",
            Profile::IdleDev => "idle-dev",
            Profile::Cache => "cache",
            Profile::Bursty => "bursty",
            Profile::CreditStarved => "credit-starved",
            Profile::Hot => "hot",
            Profile::Growing => "growing",
            Profile::Worker => "worker",
            Profile::Oversized => "oversized",
            Profile::OfficeDev => "office-dev",
            Profile::BusinessHours => "business-hours",
        }
    }

    /// Relative frequency in a fleet.
    pub fn weight(self) -> u32 {
        match self {
            Profile::Web => 30,
            Profile::Worker => 15,
            Profile::Batch => 8,
            Profile::Cache => 8,
            Profile::Bursty => 8,
            Profile::Oversized => 10,
            Profile::IdleDev => 8,
            Profile::Growing => 6,
            Profile::Hot => 4,
            Profile::CreditStarved => 3,
            Profile::OfficeDev => 6,
            Profile::BusinessHours => 5,
        }
    }

    /// Instance types this profile runs on (all in the catalog).
    pub fn types(self) -> &'static [&'static str] {
        match self {
            Profile::Web => &[
                "m5.large",
                "m6i.large",
                "m5.xlarge",
                "c6i.large",
                "m7g.large",
            ],
            Profile::Batch => &["c5.xlarge", "c6i.2xlarge", "c6g.2xlarge"],
            Profile::IdleDev => &["t3.medium", "m5.large", "t3.large"],
            Profile::Cache => &["r5.large", "r6g.xlarge", "r6i.large"],
            Profile::Bursty => &["t3.small", "t3.medium", "t4g.medium"],
            Profile::CreditStarved => &["t3.medium", "t3.large"],
            Profile::Hot => &["m5.large", "c5.large"],
            Profile::Growing => &["m6i.xlarge", "m5.xlarge"],
            Profile::Worker => &["c6g.xlarge", "c6i.xlarge", "c5.large"],
            Profile::Oversized => &["m5.4xlarge", "c5.4xlarge", "r5.2xlarge", "m6i.2xlarge"],
            Profile::OfficeDev => &["m5.xlarge", "m6i.large", "c6i.xlarge"],
            Profile::BusinessHours => &["m6i.large", "m5.large", "c5.xlarge"],
        }
    }

    /// Whether the instance runs in this hour (batch runs 01:00–05:00 UTC only).
    pub fn runs(self, hour_of_day: u32) -> bool {
        match self {
            Profile::Batch => (1..5).contains(&hour_of_day),
            _ => true,
        }
    }
}

/// One hour's utilization of one instance.
#[derive(Clone, Copy, Debug, Default)]
pub struct Load {
    /// Average CPU, percent.
    pub cpu_avg: f64,
    /// Highest CPU in the hour, percent.
    pub cpu_max: f64,
    /// Highest memory use, percent.
    pub mem_max: f64,
    /// Bytes in.
    pub net_in: f64,
    /// Bytes out.
    pub net_out: f64,
    /// EBS operations (reads, writes).
    pub ebs_ops: (f64, f64),
}

/// The utilization of an instance of `profile` in hour `h` of the period (`day` from 0,
/// `hour_of_day`, `weekday` 0 = Monday), with its own `level` (0..1) and the run's RNG.
pub fn load(
    profile: Profile,
    level: f64,
    h: usize,
    total_hours: usize,
    hour_of_day: u32,
    weekday: u32,
    rng: &mut ChaCha8Rng,
) -> Load {
    let noise = Normal::new(0.0, 1.0).map(|n| n.sample(rng)).unwrap_or(0.0);
    let diurnal = ((hour_of_day as f64 - 14.0) / 24.0 * std::f64::consts::TAU).cos(); // peak 14:00 UTC
    let weekend = if weekday >= 5 { 0.6 } else { 1.0 };
    let (avg, spike, mem, net) = match profile {
        Profile::Web => {
            let a = (22.0 + 10.0 * level) * weekend * (1.0 + 0.45 * diurnal) + 2.0 * noise;
            (
                a,
                12.0 + 8.0 * level,
                45.0 + 10.0 * level,
                4.0e8 * weekend * (1.0 + 0.5 * diurnal),
            )
        }
        Profile::Batch => (80.0 + 8.0 * level + 3.0 * noise, 10.0, 35.0, 2.0e9),
        Profile::IdleDev => (1.0 + 0.8 * noise.abs(), 1.5, 12.0, 1.5e5),
        Profile::Cache => (5.0 + 2.0 * level + noise, 4.0, 64.0 + 5.0 * level, 6.0e8),
        Profile::Bursty => {
            let burst = if rng.random_range(0..24) == 0 {
                40.0
            } else {
                0.0
            };
            (6.0 + 3.0 * level + noise.abs() + burst, 10.0, 40.0, 5.0e7)
        }
        Profile::CreditStarved => (42.0 + 8.0 * level + 2.0 * noise, 15.0, 50.0, 1.0e8),
        Profile::Hot => (88.0 + 5.0 * level + 2.0 * noise, 12.0, 70.0, 8.0e8),
        Profile::Growing => {
            let t = h as f64 / total_hours.max(1) as f64;
            (
                (15.0 + 45.0 * t) * (1.0 + 0.3 * diurnal) + 2.0 * noise,
                10.0,
                40.0 + 20.0 * t,
                3.0e8 * (1.0 + t),
            )
        }
        Profile::Worker => (30.0 + 8.0 * level + 4.0 * noise, 10.0, 35.0, 2.0e8),
        Profile::Oversized => (
            4.0 + 2.0 * level + noise.abs(),
            6.0,
            10.0 + 5.0 * level,
            5.0e7,
        ),
        // Quiet hours stay under the idle rule's thresholds read per hour (CPU 10 %, 5 MB a day).
        Profile::OfficeDev => {
            if weekday < 5 && (8..19).contains(&hour_of_day) {
                (30.0 + 15.0 * level + 4.0 * noise, 20.0, 40.0, 3.0e8)
            } else {
                (1.0 + 0.5 * noise.abs(), 1.0, 30.0, 1.0e5)
            }
        }
        Profile::BusinessHours => {
            if weekday < 5 && (7..20).contains(&hour_of_day) {
                (35.0 + 10.0 * level + 3.0 * noise, 15.0, 50.0, 6.0e8)
            } else {
                (1.5 + 0.5 * noise.abs(), 1.0, 45.0, 1.2e5)
            }
        }
    };
    let cpu_avg = avg.clamp(0.1, 100.0);
    let cpu_max = (cpu_avg + spike * (0.5 + rng.random::<f64>())).clamp(cpu_avg, 100.0);
    let mem_max = (mem + 2.0 * noise).clamp(1.0, 100.0);
    let net_total = net * (0.8 + 0.4 * rng.random::<f64>());
    Load {
        cpu_avg,
        cpu_max,
        mem_max,
        net_in: net_total * 0.4,
        net_out: net_total * 0.6,
        ebs_ops: (
            cpu_avg * 900.0 * (0.5 + rng.random::<f64>()),
            cpu_avg * 400.0 * (0.5 + rng.random::<f64>()),
        ),
    }
}
