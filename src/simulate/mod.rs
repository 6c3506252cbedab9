//! `cloudcost simulate`: a deterministic, believable fleet — hourly utilization metrics per
//! instance and the matching usage rows — so that `estimate`, `recommend`, `report` and the bot
//! all run on one simulated account.
//!
//! The same options and seed give the same files, byte for byte. Every resource the simulator
//! creates is one the catalog can price in the chosen region (a volume type or storage class the
//! catalog lacks there is not used), so the simulated bill has no rejected rows.

pub mod profiles;

use std::fmt::Write as _;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate, Timelike};
use polars::prelude::*;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::catalog::{Catalog, Ec2Model, Offering, Os, Payment, Term};
use profiles::{Profile, load};

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Resources of all kinds (instances, volumes, addresses, buckets, functions, egress sources).
    pub resources: usize,
    /// Days of data.
    pub days: u32,
    /// The seed: same seed, same fleet.
    pub seed: u64,
    /// Region of the fleet.
    pub region: String,
    /// First day (UTC).
    pub start: NaiveDate,
    /// The shape of the fleet's cost over time.
    pub shape: Shape,
}

impl Default for SimOptions {
    /// 200 resources over 30 days from 2026-10-01 in us-east-1, seed 7, the mixed shape.
    fn default() -> Self {
        SimOptions {
            resources: 200,
            days: 30,
            seed: 7,
            region: "us-east-1".into(),
            start: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default(),
            shape: Shape::Mixed,
        }
    }
}

/// The shape of a simulated fleet's daily cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// Every workload profile, steady costs, and one mid-period egress spike on two sources
    /// (for the anomaly detector).
    #[default]
    Mixed,
    /// As mixed, without the spike: nothing an alarm should fire on.
    Steady,
    /// Half the fleet's instances launch over the period, and egress doubles by its end.
    Growing,
    /// As mixed, with a further egress spike every seven days.
    Spiky,
}

/// What was written.
#[derive(Clone, Debug, Default)]
pub struct SimSummary {
    /// Instances.
    pub instances: usize,
    /// Other resources.
    pub other_resources: usize,
    /// Usage rows written.
    pub usage_rows: usize,
    /// Metric rows written.
    pub metric_rows: usize,
    /// The day of the injected cost spike.
    pub spike_day: NaiveDate,
    /// The resources whose egress spikes that day.
    pub spike_resources: Vec<String>,
    /// Instances by profile.
    pub profiles: Vec<(String, usize)>,
}

/// Errors simulating.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Bad options.
    #[error("{0}")]
    Options(String),
    /// Writing a file failed.
    #[error("{path}: {message}")]
    Write {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

#[derive(Default)]
struct UsageCols {
    start: Vec<i64>,
    end: Vec<i64>,
    region: Vec<String>,
    az: Vec<Option<String>>,
    service: Vec<&'static str>,
    usage_type: Vec<&'static str>,
    resource_id: Vec<String>,
    quantity: Vec<String>,
    instance_type: Vec<Option<String>>,
    os: Vec<Option<&'static str>>,
    purchase: Vec<Option<&'static str>>,
    volume_type: Vec<Option<&'static str>>,
    storage_class: Vec<Option<&'static str>>,
    architecture: Vec<Option<&'static str>>,
    attached_to: Vec<Option<String>>,
    objects: Vec<Option<String>>,
    workload: Vec<Option<&'static str>>,
    created_at: Vec<Option<String>>,
}

impl UsageCols {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        start: i64,
        end: i64,
        region: &str,
        az: Option<&str>,
        service: &'static str,
        usage_type: &'static str,
        resource: &str,
        quantity: String,
    ) -> usize {
        self.start.push(start);
        self.end.push(end);
        self.region.push(region.to_string());
        self.az.push(az.map(str::to_string));
        self.service.push(service);
        self.usage_type.push(usage_type);
        self.resource_id.push(resource.to_string());
        self.quantity.push(quantity);
        self.instance_type.push(None);
        self.os.push(None);
        self.purchase.push(None);
        self.volume_type.push(None);
        self.storage_class.push(None);
        self.architecture.push(None);
        self.attached_to.push(None);
        self.objects.push(None);
        self.workload.push(None);
        self.created_at.push(None);
        self.start.len() - 1
    }
}

#[derive(Default)]
struct MetricCols {
    ts: Vec<i64>,
    resource_id: Vec<String>,
    region: Vec<String>,
    instance_type: Vec<String>,
    cpu_max: Vec<f64>,
    cpu_avg: Vec<f64>,
    mem_max: Vec<Option<f64>>,
    net_in: Vec<f64>,
    net_out: Vec<f64>,
    read_ops: Vec<f64>,
    write_ops: Vec<f64>,
    read_bytes: Vec<f64>,
    write_bytes: Vec<f64>,
    credits: Vec<Option<f64>>,
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Simulates a fleet and writes `usage.parquet` (or `.csv`), `metrics.parquet` (or `.csv`) and
/// `commitments.toml` under `out`.
pub fn simulate(
    catalog: &Catalog,
    opts: &SimOptions,
    out: &Path,
    csv: bool,
) -> Result<SimSummary, SimError> {
    let region = catalog.region(&opts.region).ok_or_else(|| {
        SimError::Options(format!(
            "unknown region `{}`; the catalog knows: {}",
            opts.region,
            catalog
                .regions()
                .map(|r| r.code.clone())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    if opts.resources < 10 {
        return Err(SimError::Options(format!(
            "--resources must be at least 10, found {}",
            opts.resources
        )));
    }
    if opts.days < 1 || opts.days > 93 {
        return Err(SimError::Options(format!(
            "--days must be between 1 and 93, found {}",
            opts.days
        )));
    }
    let reg = region.code.clone();
    let azs: Vec<String> = if region.azs.is_empty() {
        vec![format!("{reg}a")]
    } else {
        region.azs.clone()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let n = opts.resources;
    let n_instances = (n / 2).max(Profile::ALL.len().min(n));
    let n_extra_volumes = n / 10;
    let n_ips = n * 8 / 100;
    let n_buckets = (n * 6 / 100).max(1);
    let n_functions = (n * 5 / 100).max(1);
    let n_snapshots = (n * 3 / 100).max(1);
    let n_egress = n
        .saturating_sub(
            n_instances
                + n_instances.min(n * 15 / 100)
                + n_extra_volumes
                + n_ips
                + n_buckets
                + n_functions
                + n_snapshots,
        )
        .max(1);
    let priced = |t: &str, os: Os| catalog.ec2_price(&reg, t, os, Ec2Model::OnDemand).is_ok();
    let has_rate = |svc: &str, key: &str| catalog.rate(svc, &reg, key).is_ok();
    let hours = opts.days as usize * 24;
    let t0 = opts
        .start
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let ms = |h: usize| (t0 + Duration::hours(h as i64)).timestamp_millis();
    let weights: Vec<(Profile, u32)> = Profile::ALL.iter().map(|p| (*p, p.weight())).collect();
    let total_weight: u32 = weights.iter().map(|w| w.1).sum();

    let mut u = UsageCols::default();
    let mut m = MetricCols::default();
    let mut summary = SimSummary {
        spike_day: opts.start + Duration::days(opts.days as i64 / 2),
        ..Default::default()
    };
    let mut profile_counts: Vec<(Profile, usize)> = Profile::ALL.iter().map(|p| (*p, 0)).collect();
    let mut instances: Vec<(String, String, String)> = Vec::new(); // (id, type, az)
    let mut web_m5_large = 0usize;

    for i in 0..n_instances {
        let profile = if i < Profile::ALL.len() {
            Profile::ALL[i]
        } else {
            let mut pick = rng.random_range(0..total_weight);
            weights
                .iter()
                .find(|(_, w)| {
                    if pick < *w {
                        true
                    } else {
                        pick -= *w;
                        false
                    }
                })
                .map_or(Profile::Web, |w| w.0)
        };
        let os = if profile == Profile::Web && i % 17 == 3 && priced("t3.large", Os::Windows) {
            Os::Windows
        } else {
            Os::Linux
        };
        let types: Vec<&str> = profile
            .types()
            .iter()
            .copied()
            .filter(|t| priced(t, os))
            .collect();
        let itype = types
            .choose(&mut rng)
            .copied()
            .unwrap_or("m5.large")
            .to_string();
        let itype = if os == Os::Windows {
            "t3.large".to_string()
        } else {
            itype
        };
        let id = format!("i-{:04x}{:013x}", opts.seed & 0xffff, i);
        let az = azs[i % azs.len()].clone();
        let spot = profile == Profile::Worker
            && i % 2 == 0
            && catalog.spot_advisor(&reg, &itype, os).is_some();
        let level: f64 = rng.random();
        let attrs = catalog.instance_type(&itype);
        let vcpu = attrs.map_or(2.0, |a| a.vcpu as f64);
        let (earn, max_credits) = attrs
            .and_then(|a| {
                Some((
                    a.cpu_credits_per_hour?.to_string().parse::<f64>().ok()?,
                    a.max_accrued_credits?.to_string().parse::<f64>().ok()?,
                ))
            })
            .unwrap_or((0.0, 0.0));
        let burstable = earn > 0.0;
        let mut balance = max_credits * 0.5;
        // A growing fleet launches half its instances over the period.
        let launch_hour = if opts.shape == Shape::Growing && i >= Profile::ALL.len() && i % 2 == 1 {
            (i * 7919) % hours
        } else {
            0
        };
        let has_mem = profile == Profile::Cache || i % 10 < 7;
        if profile == Profile::Web && itype == "m5.large" && os == Os::Linux {
            web_m5_large += 1;
        }
        for (p, c) in profile_counts.iter_mut() {
            if *p == profile {
                *c += 1;
            }
        }
        for h in launch_hour..hours {
            let at = t0 + Duration::hours(h as i64);
            let hod = at.hour();
            if !profile.runs(hod) {
                continue;
            }
            let mut l = load(
                profile,
                level,
                h,
                hours,
                hod,
                at.weekday().num_days_from_monday(),
                &mut rng,
            );
            if burstable {
                let spend = l.cpu_avg / 100.0 * vcpu * 60.0;
                balance = (balance + earn - spend).clamp(0.0, max_credits);
                if balance <= 0.0 {
                    // Out of credits: held to the baseline (standard mode).
                    let baseline = earn / vcpu / 60.0 * 100.0;
                    l.cpu_avg = l.cpu_avg.min(baseline);
                    l.cpu_max = 100.0_f64.min(l.cpu_max.max(baseline));
                }
            }
            let r = u.push(
                ms(h),
                ms(h + 1),
                &reg,
                Some(&az),
                "ec2",
                "instance-seconds",
                &id,
                "3600".into(),
            );
            u.instance_type[r] = Some(itype.clone());
            u.os[r] = Some(os.as_str());
            u.purchase[r] = Some(if spot { "spot" } else { "on-demand" });
            u.workload[r] = Some(profile.name());
            m.ts.push(ms(h));
            m.resource_id.push(id.clone());
            m.region.push(reg.clone());
            m.instance_type.push(itype.clone());
            m.cpu_max.push(round3(l.cpu_max));
            m.cpu_avg.push(round3(l.cpu_avg));
            m.mem_max.push(has_mem.then(|| round3(l.mem_max)));
            m.net_in.push(l.net_in.round());
            m.net_out.push(l.net_out.round());
            m.read_ops.push(l.ebs_ops.0.round());
            m.write_ops.push(l.ebs_ops.1.round());
            m.read_bytes.push((l.ebs_ops.0 * 16384.0).round());
            m.write_bytes.push((l.ebs_ops.1 * 16384.0).round());
            m.credits.push(burstable.then(|| round3(balance)));
        }
        instances.push((id, itype, az));
    }

    // Volumes: a root volume per instance (some gp2, where the catalog prices gp2), then extra
    // data volumes, some unattached.
    let gp2 = has_rate("ebs", "storage/gp2");
    let days = opts.days as usize;
    let daily = |u: &mut UsageCols,
                 service: &'static str,
                 usage_type: &'static str,
                 resource: &str,
                 az: Option<&str>,
                 q: &dyn Fn(usize) -> String|
     -> Vec<usize> {
        (0..days)
            .map(|d| {
                u.push(
                    ms(d * 24),
                    ms(d * 24 + 24),
                    &reg,
                    az,
                    service,
                    usage_type,
                    resource,
                    q(d),
                )
            })
            .collect()
    };
    let ebs_total = n_instances.min(n * 15 / 100) + n_extra_volumes;
    for k in 0..ebs_total {
        let (attached, az) = if k < n_instances.min(n * 15 / 100) {
            let (id, _, az) = &instances[k % instances.len()];
            (id.clone(), az.clone())
        } else if k % 3 == 0 {
            ("none".to_string(), azs[k % azs.len()].clone())
        } else {
            let (id, _, az) = &instances[(k * 7) % instances.len()];
            (id.clone(), az.clone())
        };
        let vt = if gp2 && k % 4 == 1 { "gp2" } else { "gp3" };
        let size = [30u32, 50, 100, 200, 500][rng.random_range(0..5)];
        let id = format!("vol-{:04x}{:013x}", opts.seed & 0xffff, k);
        for r in daily(&mut u, "ebs", "volume-gb-hours", &id, Some(&az), &|_| {
            (size * 24).to_string()
        }) {
            u.volume_type[r] = Some(vt);
            u.attached_to[r] = Some(attached.clone());
        }
    }
    // Snapshots: half of them old (created 200+ days before the period), a third of them of a
    // volume that no longer exists; all of them the standard tier.
    for k in 0..n_snapshots {
        let id = format!("snap-{:04x}{:013x}", opts.seed & 0xffff, k);
        let source = if k % 3 == 0 || ebs_total == 0 {
            format!(
                "vol-{:04x}{:013x}",
                opts.seed & 0xffff,
                0xdead_0000_usize + k
            )
        } else {
            format!("vol-{:04x}{:013x}", opts.seed & 0xffff, (k * 5) % ebs_total)
        };
        let age_days = if k % 2 == 0 {
            200 + (k * 13) % 400
        } else {
            (k * 7) % 60
        };
        let created = (t0 - Duration::days(age_days as i64))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let gb = [20u32, 50, 100, 300][rng.random_range(0..4)];
        for r in daily(&mut u, "ebs", "snapshot-gb-hours", &id, None, &|_| {
            (gb * 24).to_string()
        }) {
            u.attached_to[r] = Some(source.clone());
            u.created_at[r] = Some(created.clone());
        }
    }
    // Public IPv4 addresses, a quarter of them not associated with anything.
    for k in 0..n_ips {
        let id = format!("eipalloc-{:04x}{:09x}", opts.seed & 0xffff, k);
        let attached = if k % 4 == 0 {
            "none".to_string()
        } else {
            instances[(k * 5) % instances.len()].0.clone()
        };
        for r in daily(&mut u, "public_ipv4", "ip-hours", &id, None, &|_| {
            "24".into()
        }) {
            u.attached_to[r] = Some(attached.clone());
        }
    }
    // Buckets: hot ones read all day, cold ones hardly touched (candidates for another class).
    for k in 0..n_buckets {
        let id = format!("bucket-{:04x}-{k:05}", opts.seed & 0xffff);
        let hot = k % 2 == 0;
        let gb: u64 = if hot {
            rng.random_range(200..3000)
        } else {
            rng.random_range(2000..20000)
        };
        let objects = if hot { gb * 1024 } else { gb * 200 };
        for r in daily(&mut u, "s3", "storage-gb-hours", &id, None, &|_| {
            (gb * 24).to_string()
        }) {
            u.storage_class[r] = Some("standard");
            u.objects[r] = Some(objects.to_string());
        }
        let gets: u64 = if hot {
            rng.random_range(200_000..2_000_000)
        } else {
            rng.random_range(10..200)
        };
        for r in daily(&mut u, "s3", "get-requests", &id, None, &|_| {
            gets.to_string()
        }) {
            u.storage_class[r] = Some("standard");
        }
        let puts: u64 = if hot { gets / 20 } else { 5 };
        for r in daily(&mut u, "s3", "put-requests", &id, None, &|_| {
            puts.to_string()
        }) {
            u.storage_class[r] = Some("standard");
        }
    }
    // Lambda functions.
    for k in 0..n_functions {
        let id = format!("fn-{:04x}-{k:05}", opts.seed & 0xffff);
        let arm = k % 3 == 0;
        let requests: u64 = rng.random_range(10_000..3_000_000);
        let mem_gb = [0.125f64, 0.25, 0.5, 1.0][rng.random_range(0..4)];
        let dur_s = rng.random_range(20..800) as f64 / 1000.0;
        let gbs = round3(requests as f64 * mem_gb * dur_s);
        for r in daily(&mut u, "lambda", "requests", &id, None, &|_| {
            requests.to_string()
        }) {
            u.architecture[r] = Some(if arm { "arm64" } else { "x86_64" });
        }
        for r in daily(&mut u, "lambda", "gb-seconds", &id, None, &|_| {
            format!("{gbs}")
        }) {
            u.architecture[r] = Some(if arm { "arm64" } else { "x86_64" });
        }
    }
    // Egress, with a spike mid-period on a few sources (for the anomaly detector).
    let spike = days / 2;
    for k in 0..n_egress {
        let id = format!("egress-{:04x}-{k:05}", opts.seed & 0xffff);
        let base: f64 = rng.random_range(5.0..150.0);
        let spiking =
            k < 2.min(n_egress) && opts.shape != Shape::Steady && opts.shape != Shape::Growing;
        let shape = opts.shape;
        if spiking {
            summary.spike_resources.push(id.clone());
        }
        daily(
            &mut u,
            "data_transfer",
            "internet-out-gb",
            &id,
            None,
            &|d| {
                let weekly_spike = shape == Shape::Spiky && d % 7 == 3 && k % 5 == d % 5;
                let growth = if shape == Shape::Growing {
                    1.0 + d as f64 / days.max(1) as f64
                } else {
                    1.0
                };
                let gb = if (spiking && d == spike) || weekly_spike {
                    base * 12.0
                } else {
                    base * growth * (0.9 + 0.2 * ((d * 7 + k) % 5) as f64 / 4.0)
                };
                format!("{}", round3(gb))
            },
        );
    }

    summary.instances = n_instances;
    summary.other_resources = ebs_total + n_ips + n_buckets + n_functions + n_egress + n_snapshots;
    summary.usage_rows = u.start.len();
    summary.metric_rows = m.ts.len();
    summary.profiles = profile_counts
        .iter()
        .filter(|(_, c)| *c > 0)
        .map(|(p, c)| (p.name().to_string(), *c))
        .collect();

    std::fs::create_dir_all(out).map_err(|e| SimError::Write {
        path: out.display().to_string(),
        message: e.to_string(),
    })?;
    let ext = if csv { "csv" } else { "parquet" };
    write_frame(usage_frame(u)?, &out.join(format!("usage.{ext}")), csv)?;
    write_frame(metrics_frame(m)?, &out.join(format!("metrics.{ext}")), csv)?;
    let commitments = commitments_toml(catalog, &reg, opts.start, web_m5_large);
    let path = out.join("commitments.toml");
    std::fs::write(&path, commitments).map_err(|e| SimError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(summary)
}

/// The simulated account's commitments: reserved instances for half of the web fleet's m5.large
/// where the catalog has the price; none otherwise (a commitment nobody can price is not written).
fn commitments_toml(
    catalog: &Catalog,
    region: &str,
    start: NaiveDate,
    web_m5_large: usize,
) -> String {
    let mut s =
        String::from("# Commitments of the simulated account (see docs/commitments-format.md).\n");
    let model = Ec2Model::Reserved(Term::OneYear, Offering::Standard, Payment::PartialUpfront);
    let count = web_m5_large / 2;
    if count > 0
        && catalog
            .ec2_price(region, "m5.large", Os::Linux, model)
            .is_ok()
    {
        let began = start - Duration::days(90);
        let _ = write!(
            s,
            "[[reserved_instance]]\nid = \"ri-web-m5\"\nregion = \"{region}\"\ninstance_type = \"m5.large\"\ncount = {count}\nterm = \"1yr\"\noffering = \"standard\"\npayment = \"partial-upfront\"\nstart = \"{began}\"\n"
        );
    } else {
        let _ = writeln!(
            s,
            "# None: the catalog holds no reserved instance price for the simulated fleet in {region}."
        );
    }
    s
}

fn polars_err(e: PolarsError) -> SimError {
    SimError::Write {
        path: "(building the table)".into(),
        message: e.to_string(),
    }
}

fn datetime(name: &str, values: Vec<i64>) -> Result<Column, SimError> {
    Series::new(name.into(), values)
        .cast(&DataType::Datetime(
            TimeUnit::Milliseconds,
            Some(TimeZone::UTC),
        ))
        .map(Column::from)
        .map_err(polars_err)
}

fn usage_frame(u: UsageCols) -> Result<DataFrame, SimError> {
    let s = |name: &str, v: Vec<Option<&'static str>>| Column::new(name.into(), v);
    DataFrame::new_infer_height(vec![
        datetime("usage_start", u.start)?,
        datetime("usage_end", u.end)?,
        Column::new("region".into(), u.region),
        Column::new("availability_zone".into(), u.az),
        Column::new("service".into(), u.service),
        Column::new("usage_type".into(), u.usage_type),
        Column::new("resource_id".into(), u.resource_id),
        Column::new("quantity".into(), u.quantity),
        Column::new("instance_type".into(), u.instance_type),
        s("os", u.os),
        s("purchase_option", u.purchase),
        s("volume_type", u.volume_type),
        s("storage_class", u.storage_class),
        s("architecture", u.architecture),
        Column::new("attached_to".into(), u.attached_to),
        Column::new("objects".into(), u.objects),
        s("workload", u.workload),
        Column::new("created_at".into(), u.created_at),
    ])
    .map_err(polars_err)
}

fn metrics_frame(m: MetricCols) -> Result<DataFrame, SimError> {
    DataFrame::new_infer_height(vec![
        datetime("timestamp", m.ts)?,
        Column::new("resource_id".into(), m.resource_id),
        Column::new("region".into(), m.region),
        Column::new("instance_type".into(), m.instance_type),
        Column::new("cpu_max_pct".into(), m.cpu_max),
        Column::new("cpu_avg_pct".into(), m.cpu_avg),
        Column::new("mem_max_pct".into(), m.mem_max),
        Column::new("net_in_bytes".into(), m.net_in),
        Column::new("net_out_bytes".into(), m.net_out),
        Column::new("ebs_read_ops".into(), m.read_ops),
        Column::new("ebs_write_ops".into(), m.write_ops),
        Column::new("ebs_read_bytes".into(), m.read_bytes),
        Column::new("ebs_write_bytes".into(), m.write_bytes),
        Column::new("cpu_credit_balance".into(), m.credits),
    ])
    .map_err(polars_err)
}

fn write_frame(mut df: DataFrame, path: &Path, csv: bool) -> Result<(), SimError> {
    let err = |e: String| SimError::Write {
        path: path.display().to_string(),
        message: e,
    };
    let file = std::fs::File::create(path).map_err(|e| err(e.to_string()))?;
    if csv {
        CsvWriter::new(file)
            .finish(&mut df)
            .map_err(|e| err(e.to_string()))
    } else {
        // LZ4: the simulator's files are scratch data; zstd compression was a third of the time
        // of a 10,000-resource run (a single-threaded encoder), LZ4 a small fraction of it.
        ParquetWriter::new(file)
            .with_compression(ParquetCompression::Lz4Raw)
            .finish(&mut df)
            .map(|_| ())
            .map_err(|e| err(e.to_string()))
    }
}
