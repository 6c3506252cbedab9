//! `cloudcost pricing update`: keeps the catalog current from AWS's public pricing feeds.
//!
//! The feeds are the JSON files that aws.amazon.com's pricing pages load
//! (`{base}/ec2/USD/current/ec2-ondemand-without-sec-sel/<Location>/Linux/index.json` and the
//! like; no credentials). [`feed_list`] names the feeds for the regions and services asked;
//! [`Updater::run`] downloads them into the user's catalog directory ([`default_dir`]) with
//! conditional requests (ETag / Last-Modified), checks each is a complete feed of the expected
//! layout, turns all the feeds held into catalog files, and only then replaces the previous
//! catalog: a failed, truncated or malformed download leaves it as it was.
//!
//! The directory holds `feeds/` (the raw feeds under their URL paths, each with a `.meta` file
//! of its ETag and Last-Modified) and `catalog/` (the catalog files made from them).
//! [`load`] reads the built-in catalog plus `catalog/`; as everywhere, the later effective date
//! wins, so an update overrides the built-in prices it has newer figures for.
//!
//! Proxies: `ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY` (the first set is used) and `NO_PROXY`, as
//! the HTTP client (ureq) reads them.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Catalog, Ec2Model, Os, Rate, collect_dir};
use crate::error::Error;

/// Where the feeds are published, unless `CLOUDCOST_PRICING_URL` says otherwise.
pub const DEFAULT_BASE_URL: &str = "https://b0.p.awsstatic.com/pricing/2.0/meteredUnitMaps";

/// The environment variable that replaces [`DEFAULT_BASE_URL`] (a mirror, or a test server).
pub const BASE_URL_ENV: &str = "CLOUDCOST_PRICING_URL";

/// The environment variable that replaces [`default_dir`].
pub const DIR_ENV: &str = "CLOUDCOST_CATALOG_DIR";

/// Below the user directory: the raw feeds, and the catalog files made from them.
const FEEDS: &str = "feeds";
const CATALOG: &str = "catalog";
/// Where the previous `catalog/` goes while the new one is moved in.
const OLD_CATALOG: &str = ".catalog-old";

/// Catalog files of the user directory are named under this prefix when loaded: it sorts after
/// `aws/`, so on the same effective date an updated price wins over the built-in one.
const LOADED_PREFIX: &str = "updated/";

/// A feed is read into memory to be checked and converted; none is near this size (the largest
/// per-region EC2 feeds are about 1 MB), so a bigger body is a wrong URL or a broken server.
const MAX_FEED_BYTES: u64 = 256 * 1024 * 1024;

/// Downloads at a time: the feeds are many small files on a CDN.
const PARALLEL: usize = 4;

/// What can go wrong while updating, each naming the URL and what was wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// No connection could be made: the machine is offline or the host unreachable.
    #[error(
        "offline: cannot reach {host} ({reason}); prices were not updated, cloudcost keeps using the catalog it has"
    )]
    Offline {
        /// Host and port.
        host: String,
        /// What the network said.
        reason: String,
    },
    /// The server answered with a status other than 200, 304, 403 or 404.
    #[error("{url}: HTTP {status}; expected 200 (the feed) or 304 (not modified)")]
    Status {
        /// The feed's URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The connection broke, or the body ended before it was complete.
    #[error("{url}: the download did not complete ({detail})")]
    Incomplete {
        /// The feed's URL.
        url: String,
        /// What happened.
        detail: String,
    },
    /// The body is not a pricing feed of the layout this version reads.
    #[error(
        "{url}: not a pricing feed of the expected layout: {problem}; expected a JSON object with `manifest` (with `currencyCode` USD) and `regions` (location → rate name → {{`rateCode`, `price`}})"
    )]
    Layout {
        /// The feed's URL.
        url: String,
        /// What was found instead.
        problem: String,
    },
    /// A `--region` the catalog does not know.
    #[error("unknown region `{region}`: expected one of {known}")]
    UnknownRegion {
        /// As given.
        region: String,
        /// The regions the catalog knows.
        known: String,
    },
    /// A `--service` that has no feed.
    #[error("unknown service `{0}`: expected one of {names}", names = Service::names())]
    UnknownService(String),
    /// The base URL is not an http(s) URL.
    #[error("pricing base URL `{0}`: expected an http:// or https:// URL")]
    BaseUrl(String),
    /// The HTTP client failed in a way that is not one of the above.
    #[error("{url}: the request failed")]
    Http {
        /// The feed's URL.
        url: String,
        /// The client's error.
        #[source]
        source: Box<ureq::Error>,
    },
}

/// A service whose feeds `update` downloads (`--service`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Service {
    /// EC2 instances: on-demand (Linux, Windows, previous generation), reserved instances (standard
    /// and convertible, every term and payment) and Compute Savings Plans, per region.
    Ec2,
    /// EBS volumes and snapshots.
    Ebs,
    /// S3, and S3 Glacier Deep Archive.
    S3,
    /// Lambda.
    Lambda,
    /// VPC (public IPv4, endpoints) and NAT gateways.
    Vpc,
    /// Data transfer.
    DataTransfer,
    /// Elastic Load Balancing.
    Elb,
    /// CloudWatch.
    Cloudwatch,
}

impl Service {
    /// Every service, in the order feeds are listed.
    pub const ALL: [Service; 8] = [
        Service::Ec2,
        Service::Ebs,
        Service::S3,
        Service::Lambda,
        Service::Vpc,
        Service::DataTransfer,
        Service::Elb,
        Service::Cloudwatch,
    ];

    /// The name used on the command line and in the catalog.
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Ec2 => "ec2",
            Service::Ebs => "ebs",
            Service::S3 => "s3",
            Service::Lambda => "lambda",
            Service::Vpc => "vpc",
            Service::DataTransfer => "data_transfer",
            Service::Elb => "elb",
            Service::Cloudwatch => "cloudwatch",
        }
    }

    fn names() -> String {
        Service::ALL.map(Service::as_str).join(", ")
    }

    /// The aggregated feeds of a service (every location in one file), relative to the base URL.
    fn aggregated(self) -> &'static [&'static str] {
        match self {
            Service::Ec2 => &[],
            Service::Ebs => &["ec2/USD/current/ebs.json"],
            Service::S3 => &[
                "s3/USD/current/s3.json",
                "s3glacierdeeparchive/USD/current/s3glacierdeeparchive.json",
            ],
            Service::Lambda => &["lambda/USD/current/lambda.json"],
            Service::Vpc => &[
                "vpc/USD/current/vpc.json",
                "ec2/USD/current/natgateway.json",
            ],
            Service::DataTransfer => &["datatransfer/USD/current/datatransfer.json"],
            Service::Elb => &["elb/USD/current/elb.json"],
            Service::Cloudwatch => &["cloudwatch/USD/current/cloudwatch.json"],
        }
    }
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Service {
    type Err = UpdateError;
    fn from_str(s: &str) -> Result<Self, UpdateError> {
        let norm = s.trim().to_ascii_lowercase().replace('-', "_");
        match norm.as_str() {
            "datatransfer" => return Ok(Service::DataTransfer),
            "natgateway" | "nat_gateway" => return Ok(Service::Vpc),
            _ => {}
        }
        Service::ALL
            .into_iter()
            .find(|svc| svc.as_str() == norm)
            .ok_or_else(|| UpdateError::UnknownService(s.to_string()))
    }
}

/// One feed to download.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feed {
    /// The path below the base URL, each segment percent-encoded.
    pub url_path: String,
    /// The same path decoded: where the raw feed is kept below `feeds/`.
    pub file_path: String,
    /// The service it prices.
    pub service: Service,
}

impl Feed {
    fn new(service: Service, segments: &[&str]) -> Feed {
        Feed {
            url_path: segments
                .iter()
                .map(|s| encode_segment(s))
                .collect::<Vec<_>>()
                .join("/"),
            file_path: segments.join("/"),
            service,
        }
    }
}

/// Operating systems the catalog prices (its `os` column: linux | windows). The feeds also
/// publish RHEL, SUSE and others, which the catalog cannot hold yet.
const OSES: [&str; 2] = ["Linux", "Windows"];
const TERMS: [&str; 2] = ["1 year", "3 year"];
const PAYMENTS: [&str; 3] = ["No Upfront", "Partial Upfront", "All Upfront"];

/// The feeds for the regions and services asked (all of either when the list is empty), in a
/// fixed order. Regions are catalog region codes; their price-list `location` names the feeds.
pub fn feed_list(
    catalog: &Catalog,
    regions: &[String],
    services: &[Service],
) -> Result<Vec<Feed>, UpdateError> {
    let mut locations = Vec::new();
    if regions.is_empty() {
        locations.extend(catalog.regions().map(|r| r.location.clone()));
    } else {
        for code in regions {
            let region = catalog
                .region(code)
                .ok_or_else(|| UpdateError::UnknownRegion {
                    region: code.clone(),
                    known: catalog
                        .regions()
                        .map(|r| r.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            locations.push(region.location.clone());
        }
    }
    let services: BTreeSet<Service> = if services.is_empty() {
        Service::ALL.into_iter().collect()
    } else {
        services.iter().copied().collect()
    };
    let mut feeds = Vec::new();
    for service in services {
        if service == Service::Ec2 {
            for loc in &locations {
                feeds.extend(ec2_feeds(loc));
            }
        }
        for path in service.aggregated() {
            feeds.push(Feed::new(service, &path.split('/').collect::<Vec<_>>()));
        }
    }
    Ok(feeds)
}

/// The EC2 feeds of one location (URL shapes as the EC2 pricing pages load them).
fn ec2_feeds(loc: &str) -> Vec<Feed> {
    let base = ["ec2", "USD", "current"];
    let at = |rest: &[&str]| {
        let mut segments = base.to_vec();
        segments.extend_from_slice(rest);
        Feed::new(Service::Ec2, &segments)
    };
    let mut feeds = Vec::new();
    for os in OSES {
        feeds.push(at(&["ec2-ondemand-without-sec-sel", loc, os, "index.json"]));
    }
    feeds.push(at(&["previousgen-ondemand", loc, "Linux", "index.json"]));
    for class in ["ec2-reservedinstance", "ec2-reservedinstance-convertible"] {
        for term in TERMS {
            for payment in PAYMENTS {
                for os in OSES {
                    feeds.push(at(&[class, term, payment, loc, os, "Shared", "index.json"]));
                }
            }
        }
    }
    for term in TERMS {
        for payment in PAYMENTS {
            for os in OSES {
                feeds.push(Feed::new(
                    Service::Ec2,
                    &[
                        "computesavingsplan",
                        "USD",
                        "current",
                        "compute-savings-plan-ec2",
                        term,
                        payment,
                        loc,
                        os,
                        "Shared",
                        "index.json",
                    ],
                ));
            }
        }
    }
    feeds
}

/// Percent-encodes one path segment as the pricing pages do (JavaScript's `encodeURIComponent`):
/// `US East (N. Virginia)` → `US%20East%20(N.%20Virginia)`.
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The user's catalog directory: `$XDG_DATA_HOME/cloudcost/pricing`, else
/// `~/.local/share/cloudcost/pricing`; `None` when neither can be known.
pub fn default_dir() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("share"))
        })?;
    Some(data.join("cloudcost").join("pricing"))
}

/// The built-in catalog with the user directory's updated files over it (when there are any).
pub fn load(user_dir: Option<&Path>) -> Result<Catalog, Error> {
    match user_dir {
        Some(dir) => Catalog::embedded_with(user_files(dir)?),
        None => Catalog::embedded(),
    }
}

/// The catalog files of a user directory, named as [`load`] names them.
fn user_files(dir: &Path) -> Result<Vec<(String, String)>, Error> {
    let mut root = dir.join(CATALOG);
    if !root.is_dir() {
        // An update stopped between its two renames: the previous catalog is still whole.
        root = dir.join(OLD_CATALOG);
        if !root.is_dir() {
            return Ok(Vec::new());
        }
    }
    let mut files = Vec::new();
    collect_dir(&root, &root, &mut files)?;
    Ok(files
        .into_iter()
        .map(|(name, text)| (format!("{LOADED_PREFIX}{name}"), text))
        .collect())
}

pub use super::feeds::FeedInput;

/// ETag and Last-Modified of a downloaded feed, kept beside it as `<file>.meta`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Meta {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    /// When it was downloaded (RFC 3339).
    fetched: String,
}

/// What an update did.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Feeds asked for.
    pub feeds: usize,
    /// Feeds downloaded with new contents.
    pub downloaded: usize,
    /// Feeds the server said were not modified (304), or that came back identical.
    pub unchanged: usize,
    /// Feeds the server does not publish (403 or 404; AWS answers 403 for a missing file), by
    /// URL path.
    pub not_published: Vec<String>,
    /// Whether the catalog files were rewritten.
    pub catalog_written: bool,
    /// Rows the conversion set aside, by reason.
    pub skipped: BTreeMap<String, usize>,
    /// How the prices changed.
    pub changes: Changes,
}

/// A price that changed between two catalogs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PriceChange {
    /// What: `m5.large eu-west-1 on-demand`, `s3 us-east-1 storage/standard`.
    pub item: String,
    /// The price before and after, as shown.
    pub before: String,
    /// The price after.
    pub after: String,
}

/// How the prices of a catalog changed: the prices that changed, what is new, what is gone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Prices with a different value, sorted.
    pub changed: Vec<PriceChange>,
    /// Instance types that had no EC2 price before.
    pub new_instance_types: usize,
    /// Prices (EC2 and service rates) that did not exist before.
    pub new_prices: usize,
    /// Prices that existed before and are no longer in the catalog.
    pub removed_prices: usize,
}

impl Changes {
    /// Compares two catalogs' EC2 prices and service rates.
    pub fn between(before: &Catalog, after: &Catalog) -> Changes {
        let mut c = Changes::default();
        let key =
            |p: &'_ super::Ec2Price| (p.region.clone(), p.instance_type.clone(), p.os, p.model);
        let old_ec2: BTreeMap<_, _> = before.ec2_prices().map(|p| (key(p), p)).collect();
        let new_ec2: BTreeMap<_, _> = after.ec2_prices().map(|p| (key(p), p)).collect();
        let old_types: BTreeSet<&str> = old_ec2.keys().map(|k| k.1.as_str()).collect();
        let new_types: BTreeSet<&str> = new_ec2.keys().map(|k| k.1.as_str()).collect();
        c.new_instance_types = new_types.difference(&old_types).count();
        for (key, new) in &new_ec2 {
            match old_ec2.get(key) {
                None => c.new_prices += 1,
                Some(old) if old.hourly != new.hourly || old.upfront != new.upfront => {
                    let (region, instance_type, os, model) = key;
                    let os = match os {
                        Os::Linux => String::new(),
                        other => format!(" {other}"),
                    };
                    let mut before = old.hourly.normalize().to_string();
                    let mut after = new.hourly.normalize().to_string();
                    if matches!(model, Ec2Model::Reserved(..) | Ec2Model::SavingsPlan(..))
                        && old.upfront != new.upfront
                    {
                        before = format!("{before} (upfront {})", old.upfront.normalize());
                        after = format!("{after} (upfront {})", new.upfront.normalize());
                    }
                    c.changed.push(PriceChange {
                        item: format!("{instance_type} {region} {model}{os}"),
                        before,
                        after,
                    });
                }
                Some(_) => {}
            }
        }
        c.removed_prices += old_ec2.keys().filter(|k| !new_ec2.contains_key(*k)).count();
        let (old_rates, new_rates) = (rates_by_key(before), rates_by_key(after));
        for (key, new) in &new_rates {
            match old_rates.get(key) {
                None => c.new_prices += 1,
                Some(old) if tier_prices(old) != tier_prices(new) => {
                    let (service, region, key) = key;
                    c.changed.push(PriceChange {
                        item: format!("{service} {region} {key}"),
                        before: tier_prices(old),
                        after: tier_prices(new),
                    });
                }
                Some(_) => {}
            }
        }
        c.removed_prices += old_rates
            .keys()
            .filter(|k| !new_rates.contains_key(*k))
            .count();
        c.changed.sort();
        c
    }

    /// True when no price changed, appeared or went.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.new_prices == 0 && self.removed_prices == 0
    }

    /// The summary for people: a line per changed price (at most `max`, then how many more),
    /// then the counts: `m5.large eu-west-1 on-demand 0.107 → 0.104`, `12 new instance types`.
    pub fn lines(&self, max: usize) -> Vec<String> {
        let mut out: Vec<String> = self
            .changed
            .iter()
            .take(max)
            .map(|c| format!("{} {} → {}", c.item, c.before, c.after))
            .collect();
        if self.changed.len() > max {
            out.push(format!(
                "… and {} more changed prices",
                self.changed.len() - max
            ));
        }
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        if self.new_instance_types > 0 {
            out.push(plural(
                self.new_instance_types,
                "new instance type",
                "new instance types",
            ));
        }
        if self.new_prices > 0 {
            out.push(plural(self.new_prices, "new price", "new prices"));
        }
        if self.removed_prices > 0 {
            out.push(plural(
                self.removed_prices,
                "price no longer in the updated catalog",
                "prices no longer in the updated catalog",
            ));
        }
        out
    }
}

fn tier_prices(r: &Rate) -> String {
    r.tiers
        .iter()
        .map(|t| t.price.normalize().to_string())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Downloads feeds into a user catalog directory.
pub struct Updater {
    base_url: String,
    dir: PathBuf,
    agent: ureq::Agent,
}

/// A feed downloaded and checked, not yet put in place.
struct Fetched {
    feed_index: usize,
    text: String,
    meta: Meta,
}

enum FetchResult {
    New(Box<Fetched>),
    /// 304, or a body identical to the one held; the metadata to store when it changed.
    Unchanged(Option<Meta>),
    NotPublished,
}

impl Updater {
    /// An updater for the feeds under `base_url` (see [`DEFAULT_BASE_URL`]), writing into `dir`.
    pub fn new(base_url: &str, dir: &Path) -> Result<Updater, UpdateError> {
        let base = base_url.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.len() < 10 {
            return Err(UpdateError::BaseUrl(base_url.to_string()));
        }
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_global(Some(Duration::from_secs(300)))
            .user_agent(concat!("cloudcost/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Updater {
            base_url: base.to_string(),
            dir: dir.to_path_buf(),
            agent: config.into(),
        })
    }

    /// The full URL of a feed.
    pub fn url(&self, feed: &Feed) -> String {
        format!("{}/{}", self.base_url, feed.url_path)
    }

    /// Downloads `feeds`, and when any changed, rebuilds the user catalog from every feed held
    /// and replaces the old one. `before` is the catalog in use (for the change summary, and for
    /// the region of each feed location). All or nothing: on any error nothing in the directory
    /// changes.
    pub fn run(&self, feeds: &[Feed], before: &Catalog) -> Result<Outcome, Error> {
        let mut outcome = Outcome {
            feeds: feeds.len(),
            ..Outcome::default()
        };
        let results = self.fetch_all(feeds)?;
        let mut fetched = Vec::new();
        let mut refreshed_meta = Vec::new();
        for (i, r) in results.into_iter().enumerate() {
            match r {
                FetchResult::New(f) => fetched.push(*f),
                FetchResult::Unchanged(meta) => {
                    outcome.unchanged += 1;
                    refreshed_meta.extend(meta.map(|m| (i, m)));
                }
                FetchResult::NotPublished => outcome.not_published.push(feeds[i].url_path.clone()),
            }
        }
        outcome.downloaded = fetched.len();
        if fetched.is_empty() {
            for (i, meta) in &refreshed_meta {
                self.write_meta(&feeds[*i], meta)?;
            }
            return Ok(outcome);
        }

        // Every feed held, with the new downloads in place of the old copies.
        let feeds_root = self.dir.join(FEEDS);
        let mut inputs: BTreeMap<String, FeedInput> = BTreeMap::new();
        for path in held_feeds(&feeds_root)? {
            let rel = rel_path(&feeds_root, &path);
            let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            let meta = read_meta(&path).unwrap_or_default();
            inputs.insert(
                rel,
                FeedInput {
                    name: if meta.url.is_empty() {
                        path.display().to_string()
                    } else {
                        meta.url.clone()
                    },
                    origin: origin(&meta),
                    date: Some(feed_date(&meta)),
                    text,
                },
            );
        }
        for f in &fetched {
            let feed = &feeds[f.feed_index];
            inputs.insert(
                feed.file_path.clone(),
                FeedInput {
                    name: f.meta.url.clone(),
                    origin: origin(&f.meta),
                    date: Some(feed_date(&f.meta)),
                    text: f.text.clone(),
                },
            );
        }
        let inputs: Vec<FeedInput> = inputs.into_values().collect();
        let converted = convert(&inputs, before)?;
        outcome.skipped = converted.skipped;

        // The new catalog must load over the built-in one before it replaces anything.
        let new_files: Vec<(String, String)> = converted.files;
        let after = Catalog::embedded_with(
            new_files
                .iter()
                .map(|(n, t)| (format!("{LOADED_PREFIX}{n}"), t.clone()))
                .collect(),
        )?;
        outcome.changes = Changes::between(before, &after);

        // Catalog first, then the raw feeds and their metadata: if we stop in between, the old
        // metadata makes the next run download those feeds again and rebuild.
        self.replace_catalog(&new_files)?;
        outcome.catalog_written = true;
        for f in &fetched {
            let feed = &feeds[f.feed_index];
            let path = feeds_root.join(&feed.file_path);
            write_atomic(&path, f.text.as_bytes())?;
            self.write_meta(feed, &f.meta)?;
        }
        for (i, meta) in &refreshed_meta {
            self.write_meta(&feeds[*i], meta)?;
        }
        Ok(outcome)
    }

    /// Downloads every feed, a few at a time; the first error in feed order stops the rest.
    fn fetch_all(&self, feeds: &[Feed]) -> Result<Vec<FetchResult>, UpdateError> {
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let results: Mutex<Vec<Option<Result<FetchResult, UpdateError>>>> =
            Mutex::new((0..feeds.len()).map(|_| None).collect());
        std::thread::scope(|s| {
            for _ in 0..PARALLEL.min(feeds.len()) {
                s.spawn(|| {
                    loop {
                        if failed.load(Ordering::Relaxed) {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(feed) = feeds.get(i) else { break };
                        let r = self.fetch(i, feed);
                        if r.is_err() {
                            failed.store(true, Ordering::Relaxed);
                        }
                        if let Ok(mut all) = results.lock() {
                            all[i] = Some(r);
                        }
                    }
                });
            }
        });
        let results = results.into_inner().unwrap_or_default();
        let mut out = Vec::with_capacity(feeds.len());
        let mut first_error = None;
        for r in results {
            match r {
                Some(Ok(r)) => out.push(r),
                Some(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                None => {}
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// One conditional GET, checked.
    fn fetch(&self, index: usize, feed: &Feed) -> Result<FetchResult, UpdateError> {
        let url = self.url(feed);
        let path = self.dir.join(FEEDS).join(&feed.file_path);
        let held = path.is_file();
        let old_meta = if held { read_meta(&path) } else { None };
        let mut req = self.agent.get(&url);
        if let Some(m) = &old_meta {
            if let Some(etag) = &m.etag {
                req = req.header("If-None-Match", etag);
            }
            if let Some(lm) = &m.last_modified {
                req = req.header("If-Modified-Since", lm);
            }
        }
        let mut resp = req.call().map_err(|e| classify(&url, e))?;
        let status = resp.status().as_u16();
        match status {
            304 if held => return Ok(FetchResult::Unchanged(None)),
            200 => {}
            403 | 404 => return Ok(FetchResult::NotPublished),
            _ => return Err(UpdateError::Status { url, status }),
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let meta = Meta {
            url: url.clone(),
            etag: header("etag"),
            last_modified: header("last-modified"),
            fetched: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        };
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_FEED_BYTES)
            .read_to_string()
            .map_err(|e| UpdateError::Incomplete {
                url: url.clone(),
                detail: match e {
                    ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                        "the connection closed before the whole body arrived: a truncated download"
                            .to_string()
                    }
                    other => other.to_string(),
                },
            })?;
        check_layout(&url, &text)?;
        if held && std::fs::read(&path).is_ok_and(|old| old == text.as_bytes()) {
            return Ok(FetchResult::Unchanged(Some(meta)));
        }
        Ok(FetchResult::New(Box::new(Fetched {
            feed_index: index,
            text,
            meta,
        })))
    }

    fn write_meta(&self, feed: &Feed, meta: &Meta) -> Result<(), Error> {
        let path = meta_path(&self.dir.join(FEEDS).join(&feed.file_path));
        let text = serde_json::to_string_pretty(meta).unwrap_or_default();
        write_atomic(&path, text.as_bytes())
    }

    /// Writes the catalog files into a new directory beside `catalog/`, then swaps it in.
    fn replace_catalog(&self, files: &[(String, String)]) -> Result<(), Error> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        std::fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let staging = tempfile::Builder::new()
            .prefix(".catalog-new-")
            .tempdir_in(&self.dir)
            .map_err(io(&self.dir))?;
        for (name, text) in files {
            let path = staging.path().join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let mut f = std::fs::File::create(&path).map_err(io(&path))?;
            f.write_all(text.as_bytes()).map_err(io(&path))?;
            f.sync_all().map_err(io(&path))?;
        }
        let current = self.dir.join(CATALOG);
        let old = self.dir.join(OLD_CATALOG);
        if current.exists() && old.exists() {
            std::fs::remove_dir_all(&old).map_err(io(&old))?;
        }
        if current.exists() {
            std::fs::rename(&current, &old).map_err(io(&current))?;
        }
        let staged = staging.keep();
        if let Err(source) = std::fs::rename(&staged, &current) {
            // Put the old catalog back; the new one is left for nobody.
            let _ = std::fs::rename(&old, &current);
            let _ = std::fs::remove_dir_all(&staged);
            return Err(Error::Io {
                path: current,
                source,
            });
        }
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    }
}

/// Maps a client error to offline (nothing reached), incomplete, or other.
fn classify(url: &str, e: ureq::Error) -> UpdateError {
    use std::io::ErrorKind as K;
    let host = url
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
        .unwrap_or(url)
        .to_string();
    let offline = |reason: String| UpdateError::Offline {
        host: host.clone(),
        reason,
    };
    match e {
        ureq::Error::HostNotFound => offline("host not found".into()),
        ureq::Error::ConnectionFailed => offline("connection failed".into()),
        ureq::Error::Timeout(t) => match t {
            ureq::Timeout::Resolve | ureq::Timeout::Connect => offline(format!("timed out: {t}")),
            _ => UpdateError::Incomplete {
                url: url.to_string(),
                detail: format!("timed out: {t}"),
            },
        },
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                K::ConnectionRefused
                    | K::NetworkUnreachable
                    | K::HostUnreachable
                    | K::AddrNotAvailable
                    | K::NetworkDown
            ) =>
        {
            let reason = match io.kind() {
                K::ConnectionRefused => "connection refused".to_string(),
                _ => io.to_string(),
            };
            offline(reason)
        }
        ureq::Error::Io(io) => UpdateError::Incomplete {
            url: url.to_string(),
            detail: io.to_string(),
        },
        other => UpdateError::Http {
            url: url.to_string(),
            source: Box::new(other),
        },
    }
}

/// Checks that a body is a whole pricing feed: JSON that ends where it should, with `manifest`
/// and `regions` of location → rate name → {rateCode, price}.
fn check_layout(url: &str, text: &str) -> Result<(), UpdateError> {
    let layout = |problem: String| UpdateError::Layout {
        url: url.to_string(),
        problem,
    };
    let value: Value = serde_json::from_str(text).map_err(|e| {
        if e.is_eof() {
            UpdateError::Incomplete {
                url: url.to_string(),
                detail: format!(
                    "the JSON ends early after {} bytes: a truncated download",
                    text.len()
                ),
            }
        } else {
            layout(format!("not valid JSON ({e})"))
        }
    })?;
    let Value::Object(top) = &value else {
        return Err(layout(format!("a JSON {}", kind(&value))));
    };
    let manifest = top
        .get("manifest")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            layout(format!(
                "no `manifest` object (top-level keys: {})",
                keys(top)
            ))
        })?;
    match manifest.get("currencyCode").and_then(Value::as_str) {
        Some("USD") => {}
        Some(other) => return Err(layout(format!("currencyCode `{other}`, not USD"))),
        None => return Err(layout("no `manifest.currencyCode`".into())),
    }
    let regions = top
        .get("regions")
        .and_then(Value::as_object)
        .ok_or_else(|| {
            layout(format!(
                "no `regions` object (top-level keys: {})",
                keys(top)
            ))
        })?;
    for (location, rates) in regions {
        let Some(rates) = rates.as_object() else {
            return Err(layout(format!(
                "regions.\"{location}\" is a JSON {}, not an object of rates",
                kind(rates)
            )));
        };
        for (name, rate) in rates {
            let price = rate.get("price").and_then(Value::as_str);
            let code = rate.get("rateCode").and_then(Value::as_str);
            match (code, price) {
                (Some(_), Some(p)) if p.trim().parse::<Decimal>().is_ok() => {}
                (Some(_), Some(p)) => {
                    return Err(layout(format!(
                        "regions.\"{location}\".\"{name}\".price `{p}` is not a decimal number"
                    )));
                }
                _ => {
                    return Err(layout(format!(
                        "regions.\"{location}\".\"{name}\" has no string `rateCode` and `price`"
                    )));
                }
            }
        }
    }
    Ok(())
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn keys(map: &serde_json::Map<String, Value>) -> String {
    let k: Vec<String> = map.keys().take(5).map(|k| format!("`{k}`")).collect();
    if k.is_empty() {
        "none".into()
    } else {
        k.join(", ")
    }
}

fn origin(meta: &Meta) -> String {
    let host = meta
        .url
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
        .unwrap_or("unknown host");
    let date = meta.fetched.get(..10).unwrap_or(&meta.fetched);
    format!("{host}, fetched {date}")
}

/// The day a feed was last changed on the server (Last-Modified), else the day it was fetched.
fn feed_date(meta: &Meta) -> String {
    meta.last_modified
        .as_deref()
        .and_then(|lm| chrono::DateTime::parse_from_rfc2822(lm).ok())
        .map(|d| d.date_naive().to_string())
        .unwrap_or_else(|| meta.fetched.get(..10).unwrap_or(&meta.fetched).to_string())
}

fn meta_path(feed_path: &Path) -> PathBuf {
    let mut p = feed_path.as_os_str().to_owned();
    p.push(".meta");
    PathBuf::from(p)
}

fn read_meta(feed_path: &Path) -> Option<Meta> {
    let text = std::fs::read_to_string(meta_path(feed_path)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Every raw feed below `root` (files ending in `.json`), sorted.
fn held_feeds(root: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    if root.is_dir() {
        walk(root, &mut out)?;
    }
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

fn rel_path(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Writes a file through a temporary file in the same directory and a rename, so that a reader
/// sees the old contents or the new, never part of either.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| Error::Io { path: p, source }
    };
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(io(parent))?;
    tmp.write_all(bytes).map_err(io(path))?;
    tmp.as_file().sync_all().map_err(io(path))?;
    tmp.persist(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// Catalog files made from feeds, and the rows set aside by reason.
struct Converted {
    files: Vec<(String, String)>,
    skipped: BTreeMap<String, usize>,
}

/// Turns feeds into catalog files: the one place the conversion is called.
fn convert(inputs: &[FeedInput], catalog: &Catalog) -> Result<Converted, Error> {
    let built = super::feeds::build(inputs, catalog)?;
    Ok(Converted {
        files: built.files,
        skipped: built.skipped,
    })
}

/// Every rate of a catalog by (service, region, key).
fn rates_by_key(c: &Catalog) -> BTreeMap<(&str, &str, &str), &Rate> {
    c.all_rates()
        .map(|r| ((r.service.as_str(), r.region.as_str(), r.key.as_str()), r))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_encoded_as_the_pricing_pages_do() {
        assert_eq!(
            encode_segment("US East (N. Virginia)"),
            "US%20East%20(N.%20Virginia)"
        );
        assert_eq!(encode_segment("São Paulo"), "S%C3%A3o%20Paulo");
        assert_eq!(encode_segment("a/b?c#d"), "a%2Fb%3Fc%23d");
    }

    #[test]
    fn feed_list_names_every_feed_of_a_region() {
        let c = Catalog::embedded().unwrap();
        let feeds = feed_list(&c, &["us-east-1".into()], &[Service::Ec2]).unwrap();
        let paths: Vec<&str> = feeds.iter().map(|f| f.url_path.as_str()).collect();
        assert!(paths.contains(
            &"ec2/USD/current/ec2-ondemand-without-sec-sel/US%20East%20(N.%20Virginia)/Linux/index.json"
        ));
        assert!(paths.contains(
            &"ec2/USD/current/ec2-ondemand-without-sec-sel/US%20East%20(N.%20Virginia)/Windows/index.json"
        ));
        assert!(paths.contains(
            &"ec2/USD/current/ec2-reservedinstance-convertible/3%20year/All%20Upfront/US%20East%20(N.%20Virginia)/Linux/Shared/index.json"
        ));
        assert!(paths.contains(
            &"computesavingsplan/USD/current/compute-savings-plan-ec2/1%20year/Partial%20Upfront/US%20East%20(N.%20Virginia)/Linux/Shared/index.json"
        ));
        // 2 on-demand, 1 previous generation, 24 reserved, 12 savings plans.
        assert_eq!(feeds.len(), 39);
        assert_eq!(
            feeds[0].file_path,
            "ec2/USD/current/ec2-ondemand-without-sec-sel/US East (N. Virginia)/Linux/index.json"
        );

        let s3 = feed_list(&c, &[], &["s3".parse().unwrap()]).unwrap();
        assert_eq!(s3.len(), 2);
        let e = feed_list(&c, &["mars-1".into()], &[]).unwrap_err();
        assert!(e.to_string().contains("unknown region `mars-1`"), "{e}");
        let e = "route53".parse::<Service>().unwrap_err().to_string();
        assert!(e.contains("expected one of ec2, ebs, s3"), "{e}");
    }

    #[test]
    fn a_feed_is_dated_by_last_modified_else_when_fetched() {
        let mut m = Meta {
            url: "https://b0.p.awsstatic.com/pricing/2.0/x.json".into(),
            etag: None,
            last_modified: Some("Sat, 05 Apr 2025 10:00:00 GMT".into()),
            fetched: "2026-12-07T11:00:00Z".into(),
        };
        assert_eq!(feed_date(&m), "2025-04-05");
        assert_eq!(origin(&m), "b0.p.awsstatic.com, fetched 2026-12-07");
        m.last_modified = Some("yesterday".into());
        assert_eq!(feed_date(&m), "2026-12-07");
    }

    #[test]
    fn layout_check_names_what_is_wrong() {
        let ok = r#"{"manifest":{"currencyCode":"USD"},"regions":{"EU (Ireland)":{"m5 large":{"rateCode":"X.Y.Z","price":"0.107"}}}}"#;
        check_layout("u", ok).unwrap();
        let cut = &ok[..ok.len() - 10];
        let e = check_layout("u", cut).unwrap_err().to_string();
        assert!(e.contains("truncated"), "{e}");
        let e = check_layout("u", r#"{"products":{}}"#)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no `manifest`") && e.contains("`products`") && e.contains("expected"),
            "{e}"
        );
        let e = check_layout("u", &ok.replace("0.107", "free"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a decimal"), "{e}");
    }

    #[test]
    fn changes_read_as_a_summary() {
        let head = "# cloudcost-catalog format 1\nregion,instance_type,os,tenancy,model,term,offering,payment,upfront_usd,hourly_usd,effective_date,confidence,source\n";
        let cat = |rows: &str| {
            Catalog::from_files(vec![("ec2-x.csv".into(), format!("{head}{rows}"))]).unwrap()
        };
        let before =
            cat("eu-west-1,m5.large,linux,shared,on-demand,,,,0,0.107,2025-04-04,published,a\n");
        let after = cat(
            "eu-west-1,m5.large,linux,shared,on-demand,,,,0,0.104,2025-06-01,published,a\neu-west-1,m9.large,linux,shared,on-demand,,,,0,0.2,2025-06-01,published,a\n",
        );
        let c = Changes::between(&before, &after);
        assert_eq!(
            c.lines(10),
            [
                "m5.large eu-west-1 on-demand 0.107 → 0.104",
                "1 new instance type",
                "1 new price"
            ]
        );
        assert!(Changes::between(&after, &after).is_empty());
    }
}
