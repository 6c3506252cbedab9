//! The `cloudcost` command: a thin shell over the library. Parses arguments, loads the catalog,
//! calls the library, prints the result. Errors print their whole context and exit 2.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::builder::TypedValueParser;
use clap::{CommandFactory, Parser, Subcommand};
use rust_decimal::Decimal;

/// mimalloc instead of the system allocator: polars and the bill make millions of small
/// allocations; with glibc's allocator `estimate` on a 10M-row file was slower and held more.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process. mimalloc asks for them (`MADV_HUGEPAGE`),
/// and on Linux systems set to `madvise` (the common default) every first touch of a 2 MB region
/// then zeroes all of it: on a 10-million-row `estimate` that was a fifth of the CPU time and
/// about 1 s of system time, for vectors that grow and are freed (BENCHMARKS.md). Best effort:
/// nothing changes where the call is not supported.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes one integer flag and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

use cloudcost::catalog::{Catalog, feeds, import, update};
use cloudcost::output::{self, Format};
use cloudcost::quote::{Plan, build_quote, compare_plan};
use cloudcost::usage::costs::CostView;

/// Exact, offline AWS cost answers: quote a plan, list catalog prices, import AWS price files.
#[derive(Parser, Debug)]
#[command(name = "cloudcost", version, about, long_about = None)]
struct Cli {
    /// Read the price catalog from this directory instead of the one built into the binary.
    #[arg(
        long,
        global = true,
        env = "CLOUDCOST_PRICING_DATA",
        value_name = "DIR"
    )]
    pricing_data: Option<PathBuf>,

    /// The user catalog directory that `pricing update` writes and every command reads over the
    /// built-in catalog (default: $XDG_DATA_HOME/cloudcost/pricing or
    /// ~/.local/share/cloudcost/pricing).
    #[arg(long, global = true, env = "CLOUDCOST_CATALOG_DIR", value_name = "DIR")]
    catalog_dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Price a planned architecture (a plan.toml) for one month, line by line.
    Quote {
        /// The plan file (TOML). See docs/plan-format.md.
        plan: PathBuf,
        /// Show each EC2 entry under every pricing model side by side instead.
        #[arg(long)]
        compare_pricing: bool,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Price a month of real usage from a usage file (CSV, .csv.gz or Parquet).
    Estimate {
        /// The usage file. See docs/usage-format.md.
        usage: PathBuf,
        /// Sums by these, combined (comma-separated): account, payer-account, service, component,
        /// region, usage-type, month, day, resource, pricing-model, tag:KEY, cost-category:NAME.
        /// On a billing file `service` is its own (AmazonEC2...) and `component` cloudcost's (ec2,
        /// ebs...). The re-priced view sums by service, resource, day, pricing-model and region.
        #[arg(long, value_delimiter = ',', value_name = "DIMENSIONS")]
        by: Vec<cloudcost::usage::costs::Dimension>,
        /// The cost view: unblended (the invoice), amortized (reservations and savings plans
        /// spread over what they cover), net-unblended, net-amortized (after discounts), list
        /// (public on-demand), repriced (cloudcost's catalog prices). Default: unblended for a
        /// billing file, repriced for this project's usage format.
        #[arg(long, value_name = "VIEW")]
        cost: Option<cloudcost::usage::costs::CostView>,
        /// The account's reserved instances and savings plans (TOML; see docs/commitments-format.md).
        #[arg(long, value_name = "FILE")]
        commitments: Option<PathBuf>,
        /// Spot price history (the JSON of `aws ec2 describe-spot-price-history`): spot usage is
        /// priced at the price of its hour and AZ instead of the Spot Advisor estimate.
        #[arg(long, value_name = "FILE")]
        spot_prices: Option<PathBuf>,
        /// Stop at the first bad row (exit code 2) instead of setting it aside.
        #[arg(long)]
        strict: bool,
        /// Write the rejected rows, with their row number and reason, to this CSV file.
        #[arg(long, value_name = "FILE")]
        rejects: Option<PathBuf>,
        /// How many resources to list in the table.
        #[arg(long, default_value_t = 20)]
        top: usize,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Simulate a fleet: hourly utilization metrics and the matching usage, deterministic for a
    /// seed, for estimate, recommend and report to run on.
    Simulate {
        /// Resources of all kinds (instances are about half).
        #[arg(long, default_value_t = 200)]
        resources: usize,
        /// Days of data.
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// The seed: the same seed gives the same files.
        #[arg(long, default_value_t = 7)]
        seed: u64,
        /// Region of the fleet.
        #[arg(long, default_value = "ap-northeast-2")]
        region: String,
        /// First day (UTC), YYYY-MM-DD.
        #[arg(long, default_value = "2026-10-01")]
        start: chrono::NaiveDate,
        /// The shape of the fleet's cost over time: mixed (a mid-period egress spike), steady
        /// (no spike), growing (instances launch over the period, egress doubles), spiky (a
        /// further spike every week).
        #[arg(long, value_enum, default_value_t = cloudcost::simulate::Shape::Mixed)]
        shape: cloudcost::simulate::Shape,
        /// Directory to write usage, metrics and commitments into.
        #[arg(long, default_value = "sim")]
        out: PathBuf,
        /// Write CSV instead of Parquet.
        #[arg(long)]
        csv: bool,
    },
    /// Recommend changes that save money: right-sizing from metrics, idle instances, waste,
    /// storage classes and commitments, each with its monthly saving.
    Recommend {
        /// Hourly utilization metrics: this project's metrics file (CSV or Parquet; see `cloudcost
        /// simulate`) or `aws cloudwatch get-metric-data` output (a .json file or a directory of
        /// them; docs/metrics.md).
        #[arg(long)]
        metrics: Option<PathBuf>,
        /// The instances' types and regions for CloudWatch metrics (the JSON of `aws ec2
        /// describe-instances`), when the usage file does not bill them; see docs/metrics.md.
        #[arg(long, value_name = "FILE")]
        inventory: Option<PathBuf>,
        /// The usage file (this project's format, a CUR or a FOCUS export), for waste, storage and
        /// commitments (unattached volumes and idle addresses need this project's format).
        #[arg(long)]
        usage: Option<PathBuf>,
        /// Days of metrics to right-size on: 14, 32 or 93.
        #[arg(long, default_value_t = 14, value_parser = clap::builder::PossibleValuesParser::new(["14", "32", "93"]).map(|s| s.parse::<u32>().unwrap_or(14)))]
        lookback: u32,
        /// The reserved instances and savings plans the account holds (their coverage is taken
        /// into account).
        #[arg(long, value_name = "FILE")]
        commitments: Option<PathBuf>,
        /// CPU percentile of hourly maxima to size on: p99.5, p95 or p90.
        #[arg(long, default_value = "p99.5")]
        cpu_percentile: cloudcost::recommend::CpuPercentile,
        /// Headroom over the measured demand, percent: 0, 20 or 30.
        #[arg(long, default_value_t = 20)]
        headroom: u32,
        /// The CPU architectures right-sizing options come from: `current` (the instance's own:
        /// no rebuild) or `any` (Graviton for x86 instances: a migration). With `current`, a
        /// migration that saves more is named in the note.
        #[arg(long, default_value = "current")]
        architecture: cloudcost::recommend::Architecture,
        /// The time zone off-hours schedules are found and written in (IANA name, e.g.
        /// Asia/Seoul).
        #[arg(long, default_value = "UTC", value_name = "ZONE")]
        timezone: chrono_tz::Tz,
        /// Days of usage to size commitments on: 7, 30 or 60.
        #[arg(long, default_value_t = 30, value_parser = clap::builder::PossibleValuesParser::new(["7", "30", "60"]).map(|s| s.parse::<u32>().unwrap_or(30)))]
        commitment_lookback: u32,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Month-to-date cost and the month-end forecast with its P10–P90 band.
    Forecast {
        /// The usage file (any layout `estimate` reads).
        usage: PathBuf,
        /// The account's reserved instances and savings plans.
        #[arg(long, value_name = "FILE")]
        commitments: Option<PathBuf>,
        /// The cost view forecast (see `estimate --cost`; default: unblended for a billing
        /// file, repriced for this project's format).
        #[arg(long, value_name = "VIEW")]
        cost: Option<CostView>,
        /// Output format (table or json).
        #[arg(long, short, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Budget, forecast, anomaly and idle-resource alerts for a usage file (the events the bot
    /// posts). With --state, only alerts that have not fired before are shown.
    Alarms {
        /// The usage file (any layout `estimate` reads).
        usage: PathBuf,
        /// Budgets (TOML; see docs/budgets-format.md).
        #[arg(long, value_name = "FILE")]
        budgets: Option<PathBuf>,
        /// Remember what has fired in this SQLite file: a second run shows only new alerts.
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Hourly utilization metrics, to alert on idle instances too.
        #[arg(long, value_name = "FILE")]
        metrics: Option<PathBuf>,
        /// The instances' types and regions for CloudWatch metrics (the JSON of `aws ec2
        /// describe-instances`), when the usage file does not bill them; see docs/metrics.md.
        #[arg(long, value_name = "FILE")]
        inventory: Option<PathBuf>,
        /// The account's reserved instances and savings plans.
        #[arg(long, value_name = "FILE")]
        commitments: Option<PathBuf>,
        /// Smallest anomaly impact (USD over the expected daily cost) that alerts.
        #[arg(long, default_value = "50")]
        min_impact: Decimal,
        /// Smallest anomaly impact, in percent of the expected daily cost, that alerts.
        #[arg(long, default_value = "20")]
        min_impact_pct: Decimal,
        /// No idle-resource alerts.
        #[arg(long)]
        no_idle: bool,
        /// What anomalies are watched per, as Cost Anomaly Detection's monitors: `services`
        /// (each service in each region, and account), `account` (each account's whole spend) or
        /// `tag:KEY` (the whole spend of each value of a cost allocation tag)
        #[arg(long, default_value = "services")]
        monitor: cloudcost::alarms::Monitor,
        /// The cost view budgets measure when they name none (`cost = ...` in budgets.toml): a
        /// billing file's unblended (default), amortized, net-unblended, net-amortized or list
        /// cost, or repriced (cloudcost's prices, the only view of this project's format).
        #[arg(long, value_name = "VIEW")]
        cost: Option<CostView>,
        /// Output format: table, json (the alert list), csv or markdown.
        #[arg(long, short, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Draw a chart report (PNG, SVG, a self-contained index.html and report.md) of a usage file's
    /// bill, forecast and savings.
    Report {
        /// The usage file (this project's format, a CUR or a FOCUS export).
        usage: PathBuf,
        /// Hourly utilization metrics, for right-sizing and the utilization chart.
        #[arg(long)]
        metrics: Option<PathBuf>,
        /// The instances' types and regions for CloudWatch metrics (the JSON of `aws ec2
        /// describe-instances`), when the usage file does not bill them; see docs/metrics.md.
        #[arg(long, value_name = "FILE")]
        inventory: Option<PathBuf>,
        /// The account's reserved instances and savings plans.
        #[arg(long, value_name = "FILE")]
        commitments: Option<PathBuf>,
        /// Monthly budget (USD), drawn on the forecast chart.
        #[arg(long)]
        budget: Option<Decimal>,
        /// Directory to write into (default: reports/<month>/).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The cost view of the totals, the daily chart and the forecast (see `estimate --cost`;
        /// default: unblended for a billing file, repriced for this project's format).
        #[arg(long, value_name = "VIEW")]
        cost: Option<CostView>,
        /// The CPU architectures right-sizing options come from: `current` (the instance's own:
        /// no rebuild) or `any` (Graviton for x86 instances: a migration). With `current`, a
        /// migration that saves more is named in the note.
        #[arg(long, default_value = "current")]
        architecture: cloudcost::recommend::Architecture,
        /// The time zone off-hours schedules are found and written in (IANA name, e.g.
        /// Asia/Seoul).
        #[arg(long, default_value = "UTC", value_name = "ZONE")]
        timezone: chrono_tz::Tz,
        /// The report's title.
        #[arg(long)]
        title: Option<String>,
    },
    /// Shell completions, to source or install: `cloudcost completions bash >
    /// ~/.local/share/bash-completion/completions/cloudcost`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// The man page (roff): `cloudcost man | man -l -`; with --out, one page per command
    /// (cloudcost.1, cloudcost-estimate.1, ...) written into a directory.
    Man {
        /// Write every page into this directory instead of the main page to stdout.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// The whole job on built-in defaults: simulate a fleet, price it, recommend, and write the
    /// report under reports/demo/.
    Demo {
        /// Directory to write into.
        #[arg(long, default_value = "reports/demo")]
        out: PathBuf,
    },
    /// Every price the catalog holds for an instance type (or a service: ebs, s3, lambda,
    /// data_transfer, vpc, elb, cloudwatch, ec2), with its source, date and confidence; the
    /// rows of an AWS SKU (`--sku`); or, with neither, what the catalog holds and lacks in each
    /// region.
    Prices {
        /// An instance type such as m5.large, or a service name; none: coverage per region.
        #[arg(conflicts_with = "sku")]
        item: Option<String>,
        /// An AWS SKU (CUR `product/sku`, FOCUS `SkuId`), with or without its offer term code,
        /// or a whole rate code (FOCUS `SkuPriceId`): the catalog rows it names, in any region.
        #[arg(long)]
        sku: Option<String>,
        /// Region (for an instance type or service, default us-east-1; for the coverage, all).
        #[arg(long, short)]
        region: Option<String>,
        /// Hours in a month, for the monthly column.
        #[arg(long, default_value = "730")]
        hours_per_month: Decimal,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Manage the price catalog.
    Pricing {
        #[command(subcommand)]
        command: PricingCommand,
    },
}

#[derive(Subcommand, Debug)]
enum PricingCommand {
    /// Turn AWS price files into catalog files: pricing-page feeds (meteredUnitMaps: a feed
    /// .json, a directory or a .tar.xz archive of them; all feeds given make one set of files,
    /// the newest publication date winning), the EC2 Price List offer file (or GetProducts
    /// records), the Savings Plans offer file, or describe-spot-price-history output.
    Import {
        /// The files, directories or .tar.xz archives to import.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Directory to write catalog files into (e.g. pricing-data/aws/feeds/).
        #[arg(long, short)]
        out: PathBuf,
        /// Where each feed archive came from, and dates for undated feed files (default: the
        /// built-in pricing-data/feed-origins.toml).
        #[arg(long, value_name = "FILE")]
        origins: Option<PathBuf>,
    },
    /// Write the built-in catalog to a directory, to edit or extend and pass with --pricing-data.
    Export {
        /// Directory to write into.
        #[arg(long, short)]
        out: PathBuf,
    },
    /// List the catalog's data files.
    Files,
    /// Download current prices from AWS's public pricing feeds (no credentials) into the user
    /// catalog directory, which then overrides the built-in catalog where it is newer.
    Update {
        /// Regions to update (repeat for more; default: every region the catalog knows).
        #[arg(long, value_name = "REGION")]
        region: Vec<String>,
        /// Services to update: ec2, ebs, s3, lambda, vpc, data_transfer, elb, cloudwatch (repeat
        /// for more; default: all).
        #[arg(long, value_name = "SERVICE", value_parser = parse_service)]
        service: Vec<update::Service>,
        /// Where the feeds are published.
        #[arg(long, env = update::BASE_URL_ENV, default_value = update::DEFAULT_BASE_URL, value_name = "URL")]
        url: String,
        /// How many changed prices to list.
        #[arg(long, default_value_t = 50)]
        show: usize,
    },
}

fn parse_service(s: &str) -> std::result::Result<update::Service, String> {
    s.parse().map_err(|e: update::UpdateError| e.to_string())
}

fn main() -> ExitCode {
    no_transparent_huge_pages();
    // `cloudcost --version` also says how current the catalog is (the newest price date of the
    // catalog every command would read).
    let args: Vec<String> = std::env::args().skip(1).collect();
    if matches!(args.as_slice(), [v] if v == "--version" || v == "-V") {
        return print_version();
    }
    let cli = Cli::parse();
    // Tables on a terminal fit its width; piped, or with --format, they are full width.
    let explicit_format = args
        .iter()
        .any(|a| a == "-f" || a == "--format" || a.starts_with("--format="));
    if !explicit_format
        && std::io::IsTerminal::is_terminal(&std::io::stdout())
        && let Some((w, _)) = terminal_size::terminal_size()
    {
        output::fit_tables_to(w.0);
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The version line, and the catalog's newest price date under it.
fn print_version() -> ExitCode {
    println!("cloudcost {}", env!("CARGO_PKG_VERSION"));
    let dir = std::env::var_os("CLOUDCOST_PRICING_DATA").map(PathBuf::from);
    let user = std::env::var_os("CLOUDCOST_CATALOG_DIR")
        .map(PathBuf::from)
        .or_else(update::default_dir);
    let date =
        load_catalog(dir.as_deref(), user.as_deref()).and_then(|c| Ok(c.newest_price_date()?));
    match date {
        Ok(Some(d)) => println!("price catalog: newest price dated {d}"),
        Ok(None) => println!("price catalog: no prices"),
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

/// `--pricing-data` replaces the catalog; otherwise the built-in catalog with the user
/// directory's updated files over it.
fn load_catalog(dir: Option<&Path>, user_dir: Option<&Path>) -> Result<Catalog> {
    Ok(match dir {
        Some(d) => Catalog::from_dir(d)
            .with_context(|| format!("reading the price catalog in {}", d.display()))?,
        None => update::load(user_dir).with_context(|| match user_dir {
            Some(u) => format!(
                "reading the built-in price catalog and the updated one in {}",
                u.display()
            ),
            None => "reading the built-in price catalog".to_string(),
        })?,
    })
}

/// Imports pricing-page feeds into one set of catalog files in `out`, checked to load first.
fn import_feeds(
    cat: &Catalog,
    paths: &[&PathBuf],
    origins: Option<&Path>,
    out: &Path,
) -> Result<()> {
    let origins = match origins {
        Some(f) => {
            let text =
                std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            feeds::Origins::parse(&f.display().to_string(), &text)?
        }
        None => feeds::Origins::embedded()?,
    };
    let mut inputs = Vec::new();
    for p in paths {
        inputs.extend(
            feeds::read_inputs(p, &origins).with_context(|| format!("reading {}", p.display()))?,
        );
    }
    let built = feeds::build(&inputs, cat)?;
    // What is written must load as catalog files: check before writing.
    Catalog::from_files(built.files.clone())
        .context("checking the catalog files made from the feeds")?;
    for (name, text) in &built.files {
        let dest = out.join(name);
        std::fs::write(&dest, text).with_context(|| format!("writing {}", dest.display()))?;
    }
    eprintln!(
        "{} feed files read: {} EC2 prices, {} service rates, {} instance types in {} regions, written to {} ({} files)",
        inputs.len(),
        built.ec2_rows,
        built.rate_rows,
        built.types,
        built.regions.len(),
        out.display(),
        built.files.len()
    );
    for (feed, n) in &built.feeds {
        eprintln!("  read {n}: {feed}");
    }
    let (places, reasons): (Vec<_>, Vec<_>) = built
        .skipped
        .iter()
        .partition(|(r, _)| r.starts_with(feeds::NOT_A_REGION));
    if !places.is_empty() {
        let names: Vec<&str> = places
            .iter()
            .map(|(r, _)| r[feeds::NOT_A_REGION.len()..].trim_start_matches(": "))
            .collect();
        eprintln!(
            "  skipped {} rates of {} locations, {}: {}",
            places.iter().map(|(_, n)| **n).sum::<usize>(),
            names.len(),
            feeds::NOT_A_REGION,
            names.join("; ")
        );
    }
    for (reason, n) in reasons {
        eprintln!("  skipped {n}: {reason}");
    }
    Ok(())
}

/// `pricing update`: downloads, then prints what changed.
fn pricing_update(
    user_dir: Option<&Path>,
    pricing_data: Option<&Path>,
    regions: &[String],
    services: &[update::Service],
    url: &str,
    show: usize,
) -> Result<()> {
    let Some(dir) = user_dir else {
        bail!(
            "cannot tell where to keep the updated catalog (neither XDG_DATA_HOME nor HOME is set): pass --catalog-dir DIR or set CLOUDCOST_CATALOG_DIR"
        );
    };
    let before = load_catalog(None, Some(dir))?;
    let feeds = update::feed_list(&before, regions, services)?;
    let updater = update::Updater::new(url, dir)?;
    let outcome = updater.run(&feeds, &before)?;
    let mut out = String::new();
    use std::fmt::Write as _;
    let _ = write!(
        out,
        "{} feeds from {url}: {} downloaded, {} unchanged",
        outcome.feeds, outcome.downloaded, outcome.unchanged
    );
    if !outcome.not_published.is_empty() {
        let _ = write!(
            out,
            ", {} not published (HTTP 403/404)",
            outcome.not_published.len()
        );
    }
    out.push('\n');
    if outcome.catalog_written {
        let _ = writeln!(out, "catalog written to {}", dir.join("catalog").display());
        if outcome.changes.is_empty() {
            out.push_str("prices unchanged\n");
        }
        for line in outcome.changes.lines(show) {
            let _ = writeln!(out, "{line}");
        }
        for (reason, n) in &outcome.skipped {
            let _ = writeln!(out, "  set aside {n}: {reason}");
        }
    } else {
        let _ = writeln!(
            out,
            "prices unchanged: nothing new since the last update, catalog in {} left as it was",
            dir.display()
        );
    }
    if let Some(p) = pricing_data {
        let _ = writeln!(
            out,
            "note: --pricing-data {} replaces the catalog, updated prices included; run without it to use them",
            p.display()
        );
    }
    print(&out)
}

/// Reads and prices a commitments file, when given.
fn read_commitments(
    path: Option<&Path>,
    cat: &Catalog,
) -> Result<Option<cloudcost::bill::Commitments>> {
    path.map(|f| cloudcost::analysis::read_commitments(cat, f))
        .transpose()
        .map_err(Into::into)
}

/// Writes the chart report; returns the path of its `index.html`.
#[allow(clippy::too_many_arguments)]
fn write_report(
    bill: &cloudcost::bill::Bill,
    recommendations: &cloudcost::savings::Report,
    metrics: Option<&cloudcost::usage::metrics::MetricsRead>,
    title: &str,
    budget: Option<Decimal>,
    out: &Path,
    headroom_pct: u32,
    view: Option<cloudcost::report::ViewInput<'_>>,
) -> Result<PathBuf> {
    let currency = cloudcost::money::Currency::usd();
    let mut input = cloudcost::report::ReportInput::new(title.to_string(), bill, &currency);
    input.view = view;
    input.budget = budget;
    input.recommendations = Some(recommendations);
    input.series = metrics.map(|m| m.series.as_slice());
    input.headroom_pct = headroom_pct;
    let files = cloudcost::report::write_report(&input, out)
        .with_context(|| format!("writing the report to {}", out.display()))?;
    Ok(files
        .into_iter()
        .find(|f| f.ends_with(cloudcost::report::INDEX_HTML))
        .unwrap_or_else(|| out.join(cloudcost::report::INDEX_HTML)))
}

/// A spinner with the elapsed time on stderr while a big file is read; nothing when stderr is not
/// a terminal (scripts, CI, pipes).
fn progress(path: &Path) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}").ok()?);
    bar.set_message(format!(
        "reading and pricing {} ({:.1} MB)",
        path.display(),
        size as f64 / 1e6
    ));
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}

fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    let user_dir = cli.catalog_dir.clone().or_else(update::default_dir);
    let catalog = || load_catalog(cli.pricing_data.as_deref(), user_dir.as_deref());
    match &cli.command {
        Command::Quote {
            plan,
            compare_pricing,
            format,
        } => {
            let text = std::fs::read_to_string(plan)
                .with_context(|| format!("reading plan {}", plan.display()))?;
            let plan = Plan::parse(&plan.display().to_string(), &text)?;
            let cat = catalog()?;
            if *compare_pricing {
                let (currency, cmps) = compare_plan(&cat, &plan)?;
                if cmps.is_empty() {
                    bail!(
                        "{}: --compare-pricing compares [[ec2]] entries, and the plan has none",
                        plan.file
                    );
                }
                print(&output::compare::render(&currency, &cmps, *format))
            } else {
                let quote = build_quote(&cat, &plan)?;
                print(&output::quote::render(&quote, *format))
            }
        }
        Command::Estimate {
            usage,
            by,
            cost,
            commitments,
            spot_prices,
            strict,
            rejects,
            top,
            format,
        } => {
            let cat = catalog()?;
            let cost_view = cloudcost::analysis::cost_view(usage, *cost)?;
            let given = read_commitments(commitments.as_deref(), &cat)?;
            let (own, notes) = cloudcost::analysis::file_commitments(&cat, usage, given.as_ref())?;
            let held = given.or(own);
            let opts = cloudcost::usage::ReadOptions {
                hourly_ec2: held.is_some() || spot_prices.is_some(),
                rejects_path: rejects.clone(),
            };
            let spinner = progress(usage);
            let read = cloudcost::usage::read_usage(usage, &cat, &opts);
            if let Some(s) = spinner {
                s.finish_and_clear();
            }
            let read = read?;
            if *strict && let Some((row, reason, found)) = &read.first_reject {
                let found = found
                    .as_ref()
                    .map(|f| format!("; found `{f}`"))
                    .unwrap_or_default();
                bail!(
                    "{}: row {row}: {reason}{found} (--strict stops at the first bad row)",
                    usage.display()
                );
            }
            // The reports but the CSV of the rows are made from the bill's sums: without
            // commitments or hourly spot prices to apply to the rows, the usage is summed as it
            // is priced, and most rows are never made (the bill then has no rows: its sums are
            // `sums`).
            let summed = held.is_none() && spot_prices.is_none() && *format != Format::Csv;
            let (mut bill, sums) = if summed {
                let (bill, sums) = cloudcost::bill::price_summed(&cat, &read)?;
                (bill, Some(sums))
            } else {
                let bill = cloudcost::bill::price_with_commitments(&cat, &read, held.as_ref())?;
                (bill, None)
            };
            bill.notes.extend(notes);
            // Accounts and tags are the resources', read beside the bill when asked for.
            if cost_view == CostView::Repriced
                && by.iter().any(|d| {
                    matches!(
                        d,
                        cloudcost::usage::costs::Dimension::Account
                            | cloudcost::usage::costs::Dimension::Tag(_)
                    )
                })
            {
                cloudcost::analysis::attribute(&mut bill, usage)?;
                let a = &bill.attribution;
                if by.contains(&cloudcost::usage::costs::Dimension::Account) && !a.has_accounts {
                    bail!(
                        "{}: --by account: the file has no account column (account_id; CUR lineItem/UsageAccountId or line_item_usage_account_id; FOCUS SubAccountId)",
                        usage.display()
                    );
                }
                if by
                    .iter()
                    .any(|d| matches!(d, cloudcost::usage::costs::Dimension::Tag(_)))
                    && !a.has_tags
                {
                    bail!(
                        "{}: --by tag: the file has no tags (a `tags` column of key=value pairs separated by `;`; CUR resourceTags/… columns or resource_tags; FOCUS Tags)",
                        usage.display()
                    );
                }
            }
            if let Some(f) = spot_prices {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("reading spot prices {}", f.display()))?;
                let (obs, _) =
                    cloudcost::catalog::import::spot_observations(&f.display().to_string(), &text)?;
                let (observed, estimated) =
                    cloudcost::bill::apply_spot_prices(&cat, &read, &mut bill, &obs)?;
                if !estimated.is_zero() {
                    eprintln!(
                        "note: {} spot instance-hours had no published price at or before their hour in {}; priced at the Spot Advisor estimate ({} priced from the history)",
                        estimated.round_dp(2),
                        f.display(),
                        observed.round_dp(2)
                    );
                }
            }
            let currency = cloudcost::money::Currency::usd();
            let file = usage.display().to_string();
            let repriced_by = if cost_view == CostView::Repriced {
                output::bill::dimensions(by)?
            } else {
                Vec::new()
            };
            let view = output::bill::BillView {
                bill: &bill,
                sums: sums.as_ref(),
                file: &file,
                currency: &currency,
                by: &repriced_by,
                top: *top,
                rejects: rejects.as_deref(),
            };
            let printed = if cost_view == CostView::Repriced {
                print(&output::bill::render(&view, *format))
            } else {
                let table = cloudcost::usage::costs::billed_costs(usage, &cat, cost_view, by)?;
                print(&output::costs::render(
                    &output::costs::CostsView {
                        table: &table,
                        format: &bill.format,
                        repriced: &view,
                        top: *top,
                    },
                    *format,
                ))
            };
            // A big file's bill holds hundreds of thousands of rows of strings, and the process
            // ends here: they are left to the exit instead of freed one by one.
            std::mem::forget(bill);
            std::mem::forget(read);
            std::mem::forget(sums);
            printed
        }
        Command::Simulate {
            resources,
            days,
            seed,
            region,
            start,
            shape,
            out,
            csv,
        } => {
            let cat = catalog()?;
            let opts = cloudcost::simulate::SimOptions {
                resources: *resources,
                days: *days,
                seed: *seed,
                region: region.clone(),
                start: *start,
                shape: *shape,
            };
            let t = std::time::Instant::now();
            let s = cloudcost::simulate::simulate(&cat, &opts, out, *csv)?;
            let ext = if *csv { "csv" } else { "parquet" };
            eprintln!(
                "simulated {} instances and {} other resources over {} days in {} ({:.1} s): {} usage rows, {} metric rows",
                s.instances,
                s.other_resources,
                days,
                region,
                t.elapsed().as_secs_f64(),
                s.usage_rows,
                s.metric_rows
            );
            eprintln!(
                "profiles: {}",
                s.profiles
                    .iter()
                    .map(|(p, n)| format!("{p} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            if !s.spike_resources.is_empty() {
                eprintln!(
                    "cost spike on {} in the egress of {}",
                    s.spike_day,
                    s.spike_resources.join(", ")
                );
            }
            for f in [
                format!("usage.{ext}"),
                format!("metrics.{ext}"),
                "commitments.toml".to_string(),
            ] {
                println!("{}", out.join(f).display());
            }
            Ok(())
        }
        Command::Recommend {
            metrics,
            inventory,
            usage,
            commitments,
            lookback,
            cpu_percentile,
            headroom,
            architecture,
            timezone,
            commitment_lookback,
            format,
        } => {
            if metrics.is_none() && usage.is_none() {
                bail!(
                    "recommend needs --metrics (right-sizing) and/or --usage (waste, storage, commitments)"
                );
            }
            let cat = catalog()?;
            let held = read_commitments(commitments.as_deref(), &cat)?;
            let opts = cloudcost::recommend::RightsizingOptions::new(
                *lookback,
                *cpu_percentile,
                *headroom,
            )
            .map_err(anyhow::Error::msg)?
            .with_architecture(*architecture)
            .with_timezone(*timezone);
            let a = cloudcost::analysis::analyse_with(
                &cat,
                usage.as_deref(),
                metrics.as_deref(),
                inventory.as_deref(),
                held.as_ref(),
                &opts,
                *commitment_lookback,
            )?;
            print(&output::recommend::render(
                &a.report,
                &cloudcost::money::Currency::usd(),
                *format,
            ))
        }
        Command::Forecast {
            usage,
            commitments,
            cost,
            format,
        } => {
            let cat = catalog()?;
            let view = cloudcost::analysis::cost_view(usage, *cost)?;
            let forecast = if view == CostView::Repriced {
                let held = read_commitments(commitments.as_deref(), &cat)?;
                let (_, bill) = cloudcost::analysis::price_file(&cat, usage, held.as_ref())?;
                bill.month_forecast()
            } else {
                let costs =
                    cloudcost::analysis::view_daily_costs(&cat, usage, view, &Default::default())?;
                costs.all().keys().last().map(|&last| {
                    (
                        last,
                        cloudcost::forecast::forecast_costs(
                            &costs,
                            cloudcost::forecast::month_end(last),
                        ),
                    )
                })
            };
            let Some((last, f)) = forecast else {
                bail!("{}: no priced usage to forecast from", usage.display())
            };
            let c = cloudcost::money::Currency::usd();
            let m = |d: Decimal| c.format(cloudcost::Money::usd(d));
            let month = cloudcost::forecast::month_start(last).format("%Y-%m");
            if *format == Format::Json {
                let v = serde_json::json!({
                    "currency": c.code,
                    "cost_view": view.name(),
                    "month": month.to_string(),
                    "month_to_date": c.decimal(cloudcost::Money::usd(f.month_to_date)).to_string(),
                    "forecast": c.decimal(cloudcost::Money::usd(f.forecast)).to_string(),
                    "p10": c.decimal(cloudcost::Money::usd(f.p10)).to_string(),
                    "p90": c.decimal(cloudcost::Money::usd(f.p90)).to_string(),
                    "days_of_data": f.days_of_data,
                    "insufficient_data": f.insufficient_data,
                });
                print(&(serde_json::to_string_pretty(&v)? + "\n"))
            } else if f.insufficient_data {
                print(&format!(
                    "{month}: month to date {} over {} days: insufficient data to forecast (needs at least {} days)\n",
                    m(f.month_to_date),
                    f.days_of_data,
                    cloudcost::forecast::MIN_DAYS
                ))
            } else {
                print(&format!(
                    "{month} ({view} cost): month to date {} (through {last}); forecast for the month {} (P10 {} – P90 {}), from {} days of data\n",
                    m(f.month_to_date),
                    m(f.forecast),
                    m(f.p10),
                    m(f.p90),
                    f.days_of_data
                ))
            }
        }
        Command::Alarms {
            usage,
            budgets,
            state,
            metrics,
            inventory,
            commitments,
            min_impact,
            min_impact_pct,
            no_idle,
            monitor,
            cost,
            format,
        } => {
            if min_impact.is_sign_negative() || min_impact_pct.is_sign_negative() {
                bail!("--min-impact and --min-impact-pct must not be negative");
            }
            // What an evaluation error names: the budgets file, or the usage without one.
            let budgets_file = budgets.as_ref().map_or_else(
                || format!("the alarms of {}", usage.display()),
                |b| b.display().to_string(),
            );
            let budgets = match budgets {
                Some(f) => cloudcost::alarms::Budgets::load(f)?,
                None => cloudcost::alarms::Budgets::default(),
            };
            let cat = catalog()?;
            let (budgets, costs) =
                cloudcost::analysis::budgets_in_views(&cat, usage, budgets, *cost)?;
            let held = read_commitments(commitments.as_deref(), &cat)?;
            let idle_possible = cloudcost::usage::attribution::is_own_format(usage)?;
            if !*no_idle && !idle_possible {
                eprintln!(
                    "note: {} is a billing export (CUR or FOCUS): idle-resource alerts need this project's usage format (docs/usage-format.md); budgets and anomalies are checked",
                    usage.display()
                );
            }
            let (bill, idle) = if *no_idle || !idle_possible {
                (
                    cloudcost::analysis::price_file(&cat, usage, held.as_ref())?.1,
                    None,
                )
            } else {
                let opts = cloudcost::recommend::RightsizingOptions::default();
                let a = cloudcost::analysis::analyse_with(
                    &cat,
                    Some(usage),
                    metrics.as_deref(),
                    inventory.as_deref(),
                    held.as_ref(),
                    &opts,
                    30,
                )?;
                (a.bill.context("no bill")?, Some(a.report))
            };
            let opts = cloudcost::alarms::AlarmOptions {
                anomaly: cloudcost::alarms::AnomalyOptions {
                    min_impact: *min_impact,
                    min_impact_pct: *min_impact_pct,
                    monitor: monitor.clone(),
                    ..Default::default()
                },
                costs,
                ..Default::default()
            };
            // Anomalies are looked for in the view budgets default to (a billing file's invoice).
            let default_view = cloudcost::analysis::cost_view(usage, *cost)?;
            let anomalies_in = cloudcost::analysis::in_view(&cat, usage, &bill, default_view)?;
            let eval = cloudcost::alarms::evaluate_with(
                &bill,
                &anomalies_in,
                &budgets,
                idle.as_ref(),
                &opts,
            )
            .with_context(|| format!("evaluating {budgets_file}"))?;
            let alerts = match state {
                Some(db) => cloudcost::alarms::AlarmState::open(db)?.record(&eval)?,
                None => eval.alerts.clone(),
            };
            let file = usage.display().to_string();
            let currency = cloudcost::money::Currency::usd();
            print(&output::alarms::render(
                &output::alarms::AlarmsView {
                    file: &file,
                    as_of: eval.as_of,
                    budgets: &eval.budgets,
                    alerts: &alerts,
                    new_only: state.is_some(),
                    currency: &currency,
                },
                *format,
            ))
        }
        Command::Report {
            usage,
            metrics,
            inventory,
            commitments,
            budget,
            out,
            title,
            cost,
            architecture,
            timezone,
        } => {
            let cat = catalog()?;
            let view = cloudcost::analysis::cost_view(usage, *cost)?;
            let viewed = if view == CostView::Repriced {
                None
            } else {
                use cloudcost::usage::costs::Dimension;
                let costs = |dims: &[Dimension]| {
                    cloudcost::usage::costs::billed_costs(usage, &cat, view, dims)
                };
                let tags = cloudcost::usage::costs::tag_keys(usage)?
                    .into_iter()
                    .map(|k| costs(&[Dimension::Tag(k)]))
                    .collect::<Result<Vec<_>, _>>()?;
                // One read by day, service and pricing model: the daily chart and the forecast.
                let daily = costs(&[Dimension::Day, Dimension::Service, Dimension::PricingModel])?;
                let forecast = cloudcost::analysis::daily_costs_of(&daily, |_| true);
                Some((daily, forecast, costs(&[Dimension::Account])?, tags))
            };
            let held = read_commitments(commitments.as_deref(), &cat)?;
            let opts = cloudcost::recommend::RightsizingOptions::default()
                .with_architecture(*architecture)
                .with_timezone(*timezone);
            let a = cloudcost::analysis::analyse_with(
                &cat,
                Some(usage),
                metrics.as_deref(),
                inventory.as_deref(),
                held.as_ref(),
                &opts,
                30,
            )?;
            let bill = a.bill.context("no bill")?;
            let out = out
                .clone()
                .unwrap_or_else(|| cloudcost::report::default_out_dir(&bill));
            let title = title
                .clone()
                .unwrap_or_else(|| format!("AWS cost report: {}", usage.display()));
            let written = write_report(
                &bill,
                &a.report,
                a.metrics.as_ref(),
                &title,
                *budget,
                &out,
                opts.headroom_pct,
                viewed.as_ref().map(|(table, costs, accounts, tags)| {
                    cloudcost::report::ViewInput {
                        table,
                        costs,
                        accounts: Some(accounts),
                        tags,
                    }
                }),
            )?;
            println!("{}", written.display());
            Ok(())
        }
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "cloudcost", &mut std::io::stdout());
            Ok(())
        }
        Command::Man { out } => {
            let cmd = Cli::command();
            match out {
                Some(dir) => {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                    clap_mangen::generate_to(cmd, dir)
                        .with_context(|| format!("writing the man pages into {}", dir.display()))?;
                    eprintln!("man pages written into {}", dir.display());
                    Ok(())
                }
                None => Ok(clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?),
            }
        }
        Command::Demo { out } => {
            let cat = catalog()?;
            let data = out.join("data");
            let sim = cloudcost::simulate::SimOptions {
                resources: 200,
                days: 20,
                seed: 7,
                region: "us-east-1".into(),
                start: chrono::NaiveDate::from_ymd_opt(2026, 10, 1).context("demo start date")?,
                shape: cloudcost::simulate::Shape::Mixed,
            };
            eprintln!(
                "simulating 200 resources over 20 days in us-east-1 into {} …",
                data.display()
            );
            cloudcost::simulate::simulate(&cat, &sim, &data, false)?;
            let held = read_commitments(Some(&data.join("commitments.toml")), &cat)?;
            let opts = cloudcost::recommend::RightsizingOptions::default();
            let usage = data.join("usage.parquet");
            let metrics = data.join("metrics.parquet");
            let a = cloudcost::analysis::analyse(
                &cat,
                Some(&usage),
                Some(&metrics),
                held.as_ref(),
                &opts,
                30,
            )?;
            let bill = a.bill.context("no bill")?;
            let c = cloudcost::money::Currency::usd();
            eprintln!(
                "bill: {} for {} (on-demand equivalent {}); {} savings opportunities worth {} a month",
                c.format(bill.total()),
                bill.period()
                    .map(|(f, l)| format!("{f} to {l}"))
                    .unwrap_or_default(),
                c.format(bill.on_demand_equivalent()),
                a.report.savings().count(),
                c.format(cloudcost::Money::usd(a.report.total_monthly_saving()))
            );
            let written = write_report(
                &bill,
                &a.report,
                a.metrics.as_ref(),
                "cloudcost demo: a simulated fleet",
                Some(Decimal::from(20000)),
                out,
                opts.headroom_pct,
                None,
            )?;
            println!("{}", written.display());
            Ok(())
        }
        Command::Prices {
            item,
            sku,
            region,
            hours_per_month,
            format,
        } => {
            let cat = catalog()?;
            let text = match (item, sku) {
                (_, Some(code)) => output::prices::render_sku(&cat, code, *format),
                (Some(item), None) => output::prices::render(
                    &cat,
                    item,
                    region.as_deref().unwrap_or("us-east-1"),
                    *hours_per_month,
                    *format,
                ),
                (None, None) => output::prices::render_coverage(&cat, region.as_deref(), *format),
            };
            match text {
                Ok(text) => print(&text),
                Err(msg) => bail!(msg),
            }
        }
        Command::Pricing {
            command:
                PricingCommand::Import {
                    files,
                    out,
                    origins,
                },
        } => {
            let cat = catalog()?;
            std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
            let (feed_paths, files): (Vec<&PathBuf>, Vec<&PathBuf>) =
                files.iter().partition(|f| feeds::is_feed_path(f));
            if !feed_paths.is_empty() {
                import_feeds(&cat, &feed_paths, origins.as_deref(), out)?;
            }
            for f in files {
                let text = std::fs::read_to_string(f)
                    .with_context(|| format!("reading {}", f.display()))?;
                let imp = import::import(&cat, &f.display().to_string(), &text)?;
                // What is written must load as a catalog file: check before writing.
                Catalog::from_files(vec![(imp.file_name.clone(), imp.contents.clone())])
                    .with_context(|| {
                        format!("checking the catalog file made from {}", f.display())
                    })?;
                let dest = out.join(&imp.file_name);
                std::fs::write(&dest, &imp.contents)
                    .with_context(|| format!("writing {}", dest.display()))?;
                let kind = match imp.kind {
                    import::OfferKind::Ec2PriceList => "EC2 price list",
                    import::OfferKind::SavingsPlans => "Savings Plans offer file",
                    import::OfferKind::SpotPriceHistory => "spot price history",
                };
                eprintln!(
                    "{}: {kind}, {} price rows written to {}",
                    f.display(),
                    imp.rows,
                    dest.display()
                );
                for (reason, n) in &imp.skipped {
                    eprintln!("  skipped {n}: {reason}");
                }
            }
            eprintln!(
                "use it with `cloudcost --pricing-data <catalog root> …`, where the root holds {} and the rest of the catalog (`cloudcost pricing export --out <catalog root>` writes the built-in files)",
                out.display()
            );
            Ok(())
        }
        Command::Pricing {
            command: PricingCommand::Export { out },
        } => {
            let written = Catalog::export_embedded(out)?;
            eprintln!("wrote {written} catalog files to {}", out.display());
            Ok(())
        }
        Command::Pricing {
            command:
                PricingCommand::Update {
                    region,
                    service,
                    url,
                    show,
                },
        } => pricing_update(
            user_dir.as_deref(),
            cli.pricing_data.as_deref(),
            region,
            service,
            url,
            *show,
        ),
        Command::Pricing {
            command: PricingCommand::Files,
        } => {
            let cat = catalog()?;
            print(&(cat.files().join("\n") + "\n"))
        }
    }
}
