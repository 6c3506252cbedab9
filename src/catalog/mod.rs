//! The price catalog: every price cloudcost knows, with its source, date and confidence.
//!
//! The catalog is data, never code: files under `pricing-data/` (see its README for the format),
//! embedded in the binary at build time so that `cloudcost` works from any directory, or read from
//! a directory given with `--pricing-data`. A lookup that finds nothing is a
//! [`MissingPrice`] error naming region, service, item and what is missing; nothing is ever
//! priced at zero for want of a price.
//!
//! When two files hold the same price (an imported offer file beside the shipped one), the row
//! with the later effective date wins; on the same date, the file that sorts last.
//! [`update`] downloads AWS's public pricing feeds into the user's catalog directory, whose files
//! [`update::load`] reads over the embedded ones.

pub mod feeds;
pub mod files;
pub mod import;
pub mod model;
pub mod sku;
pub mod update;

use std::collections::BTreeMap;
use std::path::Path;

use std::sync::OnceLock;

use hashbrown::{Equivalent, HashMap};
use rust_decimal::Decimal;

pub use files::Region;
pub use model::*;

use crate::error::{CatalogError, Error, MissingPrice};

/// The catalog built into the binary (build.rs writes the table).
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_catalog.rs"));
}

/// The file name start of a per-region EC2 price file (`ec2-feeds-eu-west-1.csv`): read only
/// when its region is first asked for.
pub const EC2_REGION_FILE: &str = "ec2-feeds-";

/// The file name start of a per-region file of reserved EC2 prices
/// (`ec2-reserved-feeds-eu-west-1.csv`): read only when a reserved price of its region is first
/// asked for (it holds no on-demand prices).
pub const EC2_RESERVED_REGION_FILE: &str = "ec2-reserved-feeds-";

/// A data file's contents: text, or gzip-compressed bytes built into the binary.
#[derive(Debug, Clone)]
enum Blob {
    Text(String),
    Gz(&'static [u8]),
}

impl Blob {
    fn text(&self, name: &str) -> Result<std::borrow::Cow<'_, str>, CatalogError> {
        match self {
            Blob::Text(t) => Ok(t.as_str().into()),
            Blob::Gz(bytes) => {
                use std::io::Read;
                // The gzip trailer's last four bytes are the inflated size (mod 2^32): the text
                // is written once, not grown and copied.
                let size = bytes
                    .len()
                    .checked_sub(4)
                    .and_then(|i| bytes.get(i..))
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map_or(0, u32::from_le_bytes);
                let mut out = String::with_capacity(size as usize);
                flate2::read::GzDecoder::new(*bytes)
                    .read_to_string(&mut out)
                    .map_err(|e| CatalogError {
                        file: name.into(),
                        line: None,
                        column: None,
                        message: format!("the built-in copy cannot be inflated: {e}"),
                    })?;
                Ok(out.into())
            }
        }
    }
}

type Ec2Map = HashMap<(String, String, Os, Ec2Model), Ec2Price>;

/// A region's EC2 price files, read on first use and merged with the region's other rows: its
/// on-demand prices alone (most lookups), or all of them.
#[derive(Debug, Clone, Default)]
struct LazyRegion {
    /// Name, contents, and whether the file holds reserved prices only.
    files: Vec<(String, Blob, bool)>,
    on_demand: OnceLock<Result<Ec2Map, CatalogError>>,
    merged: OnceLock<Result<Ec2Map, CatalogError>>,
    /// The files' rows by instance type (`None`: the files cannot be indexed line by line).
    by_type: OnceLock<Option<TypeIndex>>,
}

/// A region's per-region files, inflated, and where each instance type's rows are: a command
/// that prices a few of the ~900 types (a quote) reads only theirs.
#[derive(Debug, Clone, Default)]
struct TypeIndex {
    /// Each file's name and text, the length of its head (comment lines and header row), and
    /// whether it holds reserved prices only.
    texts: Vec<(String, String, usize, bool)>,
    types: HashMap<String, TypeRows>,
}

/// One instance type's rows in a region's files, and its prices once read.
#[derive(Debug, Clone, Default)]
struct TypeRows {
    /// (file, byte range of whole lines).
    ranges: Vec<(usize, std::ops::Range<usize>)>,
    map: OnceLock<Result<Ec2Map, CatalogError>>,
}

/// The region a per-region EC2 file is for, and whether it holds reserved prices only, from
/// its name.
fn lazy_region_of(name: &str) -> Option<(&str, bool)> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let stem = base.strip_suffix(".csv")?;
    stem.strip_prefix(EC2_RESERVED_REGION_FILE)
        .map(|r| (r, true))
        .or_else(|| stem.strip_prefix(EC2_REGION_FILE).map(|r| (r, false)))
}

/// What comes between a service and its region in a per-region rate file's name
/// (`s3-feeds-eu-west-1.toml`).
pub const RATES_REGION_FILE_INFIX: &str = "-feeds-";

/// The region a per-region rate file is for, from its name.
fn lazy_rates_region_of(name: &str) -> Option<&str> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let stem = base.strip_suffix(".toml")?;
    stem.split_once(RATES_REGION_FILE_INFIX).map(|(_, r)| r)
}

type RateMap = HashMap<(String, String, String), Rate>;

/// A region's rate files, read on first use and merged with the region's other rates.
#[derive(Debug, Clone, Default)]
struct LazyRates {
    files: Vec<(String, Blob)>,
    merged: OnceLock<Result<RateMap, CatalogError>>,
}

/// Every price and fact the catalog holds.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    regions: BTreeMap<String, Region>,
    /// Instance types of the files read at load (merged in name order).
    instance_types: BTreeMap<String, InstanceType>,
    /// The built-in feeds' instance-type files (880 types), read when attributes are first asked
    /// for: a quote needs none.
    lazy_types: Vec<(String, Blob)>,
    /// Every instance type: the lazy files', then the others' over them.
    all_types: OnceLock<Result<BTreeMap<String, InstanceType>, CatalogError>>,
    ec2: Ec2Map,
    lazy_ec2: BTreeMap<String, LazyRegion>,
    spot_advisor: HashMap<(String, String, Os), SpotAdvisor>,
    spot_prices: Vec<SpotPricePoint>,
    rates: RateMap,
    lazy_rates: BTreeMap<String, LazyRates>,
    facts: Vec<Fact>,
    files: Vec<String>,
    sku_index: OnceLock<sku::SkuIndex>,
}

impl Catalog {
    /// The catalog embedded in the binary (the `pricing-data/` of the build).
    pub fn embedded() -> Result<Catalog, Error> {
        Catalog::from_blobs(embedded_blobs())
    }

    /// The embedded catalog with more files over it (a user's downloaded prices): where both
    /// hold a price, the later effective date wins, as between any two files.
    pub fn embedded_with(extra: Vec<(String, String)>) -> Result<Catalog, Error> {
        let mut blobs = embedded_blobs();
        blobs.extend(extra.into_iter().map(|(n, t)| (n, Blob::Text(t))));
        Catalog::from_blobs(blobs)
    }

    /// The catalog in a directory (every data file below it, recursively).
    pub fn from_dir(dir: &Path) -> Result<Catalog, Error> {
        let mut files = Vec::new();
        collect_dir(dir, dir, &mut files)?;
        if !files
            .iter()
            .any(|(name, _)| FileKind::of(name).is_ok_and(|k| k != files::FileKind::Ignored))
        {
            return Err(CatalogError {
                file: dir.display().to_string(),
                line: None,
                column: None,
                message: "no catalog data files (*.csv, *.toml) found in this directory".into(),
            }
            .into());
        }
        Catalog::from_files(files)
    }

    /// Builds a catalog from `(relative path, contents)` pairs.
    pub fn from_files(files: Vec<(String, String)>) -> Result<Catalog, Error> {
        Catalog::from_blobs(files.into_iter().map(|(n, t)| (n, Blob::Text(t))).collect())
    }

    fn from_blobs(mut files: Vec<(String, Blob)>) -> Result<Catalog, Error> {
        files.sort_by(|a, b| a.0.cmp(&b.0));
        // Each file parsed on its own (on all threads: the rate files are half a megabyte of
        // TOML, most of a command's start), then merged in name order, so that between rows of
        // the same date the file that sorts last wins, as documented.
        use rayon::prelude::*;
        let parsed: Vec<Result<Parsed, Error>> = files
            .par_iter()
            .map(|(name, blob)| parse_file(name, blob))
            .collect();
        let mut cat = Catalog::default();
        for ((name, blob), parsed) in files.iter().zip(parsed) {
            match parsed? {
                Parsed::Lazy(region, reserved) => {
                    cat.lazy_ec2.entry(region).or_default().files.push((
                        name.clone(),
                        blob.clone(),
                        reserved,
                    ));
                }
                Parsed::LazyRates(region) => {
                    cat.lazy_rates
                        .entry(region)
                        .or_default()
                        .files
                        .push((name.clone(), blob.clone()));
                }
                Parsed::Regions(rs) => {
                    for r in rs {
                        cat.regions.insert(r.code.clone(), r);
                    }
                }
                Parsed::LazyTypes => cat.lazy_types.push((name.clone(), blob.clone())),
                Parsed::InstanceTypes(ts) => {
                    for mut t in ts {
                        if let Some(old) = cat.instance_types.get(&t.name) {
                            t.fill_from(old);
                        }
                        cat.instance_types.insert(t.name.clone(), t);
                    }
                }
                Parsed::Ec2(ps) => {
                    for p in ps {
                        let key = (p.region.clone(), p.instance_type.clone(), p.os, p.model);
                        insert_newest_priced(&mut cat.ec2, key, p, |p| &mut p.provenance);
                    }
                }
                Parsed::SpotAdvisor(ss) => {
                    for s in ss {
                        let key = (s.region.clone(), s.instance_type.clone(), s.os);
                        insert_newest(&mut cat.spot_advisor, key, s, |s| {
                            &s.provenance.effective_date
                        });
                    }
                }
                Parsed::SpotPrices(ps) => cat.spot_prices.extend(ps),
                Parsed::Rates(rates, facts) => {
                    for r in rates {
                        let key = (r.service.clone(), r.region.clone(), r.key.clone());
                        insert_newest_priced(&mut cat.rates, key, r, |r| &mut r.provenance);
                    }
                    cat.facts.extend(facts);
                }
                Parsed::Ignored => continue,
            }
            cat.files.push(name.clone());
        }
        cat.spot_prices
            .sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
        Ok(cat)
    }

    /// Writes the embedded catalog's files under `dir` (keeping their layout); returns how many.
    pub fn export_embedded(dir: &Path) -> Result<usize, Error> {
        let files = embedded_blobs();
        for (name, blob) in &files {
            let text = blob.text(name)?;
            let path = dir.join(name);
            let io = |source| Error::Io {
                path: path.clone(),
                source,
            };
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            std::fs::write(&path, text.as_bytes()).map_err(io)?;
        }
        Ok(files.len())
    }

    /// The data files read, relative to the catalog root.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// A region by code.
    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions.get(code)
    }

    /// Every region the catalog knows.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// The region whose price list location name is `location`.
    pub fn region_by_location(&self, location: &str) -> Option<&Region> {
        self.regions.values().find(|r| r.location == location)
    }

    /// The region a charge description names, by its price list location or another name AWS
    /// gives it (`EU (Germany)`).
    pub fn region_by_any_location(&self, location: &str) -> Option<&Region> {
        self.region_by_location(location).or_else(|| {
            self.regions
                .values()
                .find(|r| r.other_locations.iter().any(|l| l == location))
        })
    }

    /// The region whose usage type prefix is `prefix` (e.g. `APN2`).
    pub fn region_by_usage_prefix(&self, prefix: &str) -> Option<&Region> {
        self.regions
            .values()
            .find(|r| r.usage_prefix == prefix || r.other_prefixes.iter().any(|p| p == prefix))
    }

    /// Every instance type with attributes, by name: the built-in feeds' files read (once),
    /// then the other files' types over them, each attribute from the file that has it (as
    /// between any two files, in name order). A built-in file that cannot be read leaves the
    /// other files' types (the tests check every built-in file reads).
    fn types(&self) -> &BTreeMap<String, InstanceType> {
        if self.lazy_types.is_empty() {
            return &self.instance_types;
        }
        let all = self.all_types.get_or_init(|| {
            let mut all = BTreeMap::new();
            for (name, blob) in &self.lazy_types {
                let text = blob.text(name)?;
                for mut t in files::read_instance_types(name, &text)? {
                    if let Some(old) = all.get(&t.name) {
                        t.fill_from(old);
                    }
                    all.insert(t.name.clone(), t);
                }
            }
            for t in self.instance_types.values() {
                let mut t = t.clone();
                if let Some(old) = all.get(&t.name) {
                    t.fill_from(old);
                }
                all.insert(t.name.clone(), t);
            }
            Ok(all)
        });
        all.as_ref().unwrap_or(&self.instance_types)
    }

    /// The attributes of an instance type.
    pub fn instance_type(&self, name: &str) -> Option<&InstanceType> {
        self.types().get(name)
    }

    /// Every instance type with attributes.
    pub fn instance_types(&self) -> impl Iterator<Item = &InstanceType> {
        self.types().values()
    }

    /// True when the catalog knows the instance type (attributes or any price). The regions
    /// already indexed are asked first: a quote's answer costs no more reading.
    pub fn knows_instance_type(&self, name: &str) -> bool {
        let indexed = self
            .lazy_ec2
            .values()
            .filter_map(|lazy| lazy.by_type.get().and_then(Option::as_ref))
            .any(|index| index.types.contains_key(name));
        indexed
            || self.types().contains_key(name)
            || self.ec2.keys().any(|k| k.1 == name)
            || self.lazy_ec2.iter().any(|(r, lazy)| {
                match lazy.by_type.get_or_init(|| type_index(&lazy.files)) {
                    Some(index) => index.types.contains_key(name),
                    None => self
                        .region_ec2(r)
                        .is_some_and(|m| m.keys().any(|k| k.1 == name)),
                }
            })
    }

    /// Known names closest to `name`, for "did you mean" hints.
    pub fn similar_instance_types(&self, name: &str) -> Vec<String> {
        let mut scored: Vec<(usize, &String)> = self
            .types()
            .keys()
            .map(|k| (strsim::levenshtein(k, name), k))
            .filter(|(d, _)| *d <= 2)
            .collect();
        scored.sort();
        scored.into_iter().take(3).map(|(_, k)| k.clone()).collect()
    }

    /// The price of an instance type under a model.
    pub fn ec2_price(
        &self,
        region: &str,
        instance_type: &str,
        os: Os,
        model: Ec2Model,
    ) -> Result<&Ec2Price, MissingPrice> {
        self.ec2_map_for(region, instance_type, model == Ec2Model::OnDemand)
            .unwrap_or(&self.ec2)
            .get(&Ec2Key(region, instance_type, os, model))
            .ok_or_else(|| MissingPrice {
                region: region.into(),
                service: "ec2".into(),
                item: instance_type.into(),
                what: format!("{model}, {os}"),
            })
    }

    /// Every EC2 price held for an instance type in a region, ordered by OS and model.
    pub fn ec2_prices_for(&self, region: &str, instance_type: &str) -> Vec<&Ec2Price> {
        let mut v: Vec<&Ec2Price> = self
            .ec2_map_for(region, instance_type, false)
            .unwrap_or(&self.ec2)
            .values()
            .filter(|p| p.region == region && p.instance_type == instance_type)
            .collect();
        v.sort_by_key(|p| (p.os, p.model));
        v
    }

    /// A region's EC2 prices when the region has a per-region file: read (once) and merged with
    /// the region's rows from other files, the later effective date winning. `None` when every
    /// EC2 price of the region is in `self.ec2`. A built-in file that cannot be read leaves the
    /// region's own rows (and the tests check every built-in file reads).
    /// The map that holds a region's prices of an instance type (`None`: `self.ec2`'s, the
    /// region having no per-region file or none with the type): the region's whole map once
    /// read, else the type's rows alone, else (files that cannot be indexed) the region's
    /// on-demand prices or all of them.
    fn ec2_map_for(&self, region: &str, itype: &str, on_demand_only: bool) -> Option<&Ec2Map> {
        let lazy = self.lazy_ec2.get(region)?;
        if let Some(Ok(all)) = lazy.merged.get() {
            return Some(all);
        }
        let index = lazy.by_type.get_or_init(|| type_index(&lazy.files));
        let Some(index) = index else {
            return if on_demand_only {
                self.region_ec2_on_demand(region)
            } else {
                self.region_ec2(region)
            };
        };
        let rows = index.types.get(itype)?;
        let map = rows
            .map
            .get_or_init(|| self.read_type(region, itype, index, rows));
        match map {
            Ok(m) => Some(m),
            // A file that cannot be read is the region's error, as when read whole.
            Err(_) => self.region_ec2(region),
        }
    }

    /// An instance type's prices in a region: its rows from other files, then its rows of the
    /// region's files, the later effective date winning.
    fn read_type(
        &self,
        region: &str,
        itype: &str,
        index: &TypeIndex,
        rows: &TypeRows,
    ) -> Result<Ec2Map, CatalogError> {
        let mut map: Ec2Map = self
            .ec2
            .iter()
            .filter(|(k, _)| k.0 == region && k.1 == itype)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (file, range) in &rows.ranges {
            let (name, text, head, reserved) = &index.texts[*file];
            let part = format!("{}{}", &text[..*head], &text[range.clone()]);
            for p in files::read_ec2_prices(name, &part)? {
                check_region_row(name, &p, region, Some(itype), *reserved)?;
                let key = (p.region.clone(), p.instance_type.clone(), p.os, p.model);
                insert_newest_priced(&mut map, key, p, |p| &mut p.provenance);
            }
        }
        Ok(map)
    }

    fn region_ec2(&self, region: &str) -> Option<&Ec2Map> {
        let lazy = self.lazy_ec2.get(region)?;
        let merged = lazy
            .merged
            .get_or_init(|| self.read_region(region, &lazy.files, |_| true));
        merged.as_ref().ok()
    }

    /// [`Self::region_ec2`]'s on-demand prices alone: the region's files of reserved prices are
    /// not read.
    fn region_ec2_on_demand(&self, region: &str) -> Option<&Ec2Map> {
        let lazy = self.lazy_ec2.get(region)?;
        if let Some(Ok(all)) = lazy.merged.get() {
            return Some(all);
        }
        let od = lazy
            .on_demand
            .get_or_init(|| self.read_region(region, &lazy.files, |m| m == Ec2Model::OnDemand));
        od.as_ref().ok()
    }

    /// A region's EC2 prices of the models `keep` keeps: its rows from other files, then its
    /// per-region files (those of reserved prices only when `keep` keeps any reserved model),
    /// the later effective date winning.
    fn read_region(
        &self,
        region: &str,
        files: &[(String, Blob, bool)],
        keep: impl Fn(Ec2Model) -> bool,
    ) -> Result<Ec2Map, CatalogError> {
        let mut map: Ec2Map = self
            .ec2
            .iter()
            .filter(|(k, _)| k.0 == region && keep(k.3))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let wants_reserved = keep(Ec2Model::Reserved(
            Term::OneYear,
            Offering::Standard,
            Payment::NoUpfront,
        ));
        for (name, blob, reserved) in files {
            if *reserved && !wants_reserved {
                continue;
            }
            let text = blob.text(name)?;
            for p in files::read_ec2_prices(name, &text)? {
                check_region_row(name, &p, region, None, *reserved)?;
                if !keep(p.model) {
                    continue;
                }
                let key = (p.region.clone(), p.instance_type.clone(), p.os, p.model);
                insert_newest_priced(&mut map, key, p, |p| &mut p.provenance);
            }
        }
        Ok(map)
    }

    /// Reads every region's deferred EC2 prices and rates now; the first file that cannot be
    /// read is the error. (Lookups read a region when first asked; this checks them all, for tests and
    /// `pricing` commands.)
    pub fn load_all(&self) -> Result<(), Error> {
        let regions: Vec<&str> = self
            .lazy_ec2
            .keys()
            .chain(self.lazy_rates.keys())
            .map(String::as_str)
            .collect();
        {
            use rayon::prelude::*;
            regions.par_iter().for_each(|r| {
                self.region_ec2(r);
                self.region_rates(r);
            });
        }
        for lazy in self.lazy_ec2.values() {
            if let Some(Err(e)) = lazy.merged.get() {
                return Err(e.clone().into());
            }
        }
        for lazy in self.lazy_rates.values() {
            if let Some(Err(e)) = lazy.merged.get() {
                return Err(e.clone().into());
            }
        }
        self.types();
        if let Some(Err(e)) = self.all_types.get() {
            return Err(e.clone().into());
        }
        Ok(())
    }

    /// Gets these regions ready now, on all threads (a command that knows the regions it will
    /// price: a plan's): their rates read, their EC2 files inflated and indexed by instance type.
    /// A file that cannot be read is the error of the first lookup in its region, as when read
    /// on first use.
    pub fn preload(&self, regions: &[&str]) {
        use rayon::prelude::*;
        regions.par_iter().for_each(|r| {
            if let Some(lazy) = self.lazy_ec2.get(*r) {
                lazy.by_type.get_or_init(|| type_index(&lazy.files));
            }
            self.region_rates(r);
        });
    }

    /// Every EC2 price the catalog holds, in every region (reads every region).
    pub fn ec2_prices(&self) -> impl Iterator<Item = &Ec2Price> {
        let lazy: Vec<&str> = self.lazy_ec2.keys().map(String::as_str).collect();
        let eager = self
            .ec2
            .values()
            .filter(move |p| !self.lazy_ec2.contains_key(&p.region));
        eager.chain(
            lazy.into_iter()
                .filter_map(|r| self.region_ec2(r))
                .flat_map(|m| m.values()),
        )
    }

    /// Spot Advisor's figures for an instance type.
    pub fn spot_advisor(&self, region: &str, instance_type: &str, os: Os) -> Option<&SpotAdvisor> {
        self.spot_advisor
            .get(&AdvisorKey(region, instance_type, os))
    }

    /// The latest observed spot price in an availability zone, if any was imported.
    pub fn latest_spot_price(
        &self,
        az: &str,
        instance_type: &str,
        os: Os,
    ) -> Option<&SpotPricePoint> {
        self.spot_prices
            .iter()
            .rev()
            .find(|p| p.availability_zone == az && p.instance_type == instance_type && p.os == os)
    }

    /// The spot price model for an instance type in a region (and AZ when given): the latest
    /// imported price for that AZ, else on-demand × (100 − Spot Advisor's average saving) ÷ 100.
    pub fn spot_estimate(
        &self,
        region: &str,
        az: Option<&str>,
        instance_type: &str,
        os: Os,
    ) -> Result<SpotQuote, MissingPrice> {
        let advisor = self.spot_advisor(region, instance_type, os);
        if let Some(az) = az
            && let Some(p) = self.latest_spot_price(az, instance_type, os)
        {
            return Ok(SpotQuote {
                hourly: p.price,
                basis: format!("spot price in {az} at {}", p.timestamp),
                interruption_band: advisor.map(|a| a.interruption_band.clone()),
                confidence: Confidence::Published,
            });
        }
        let missing = |what: &str| MissingPrice {
            region: region.into(),
            service: "ec2".into(),
            item: instance_type.into(),
            what: format!("spot, {os}: {what}"),
        };
        let advisor =
            advisor.ok_or_else(|| missing("no Spot Advisor saving and no imported spot price"))?;
        let od = self
            .ec2_price(region, instance_type, os, Ec2Model::OnDemand)
            .map_err(|_| missing("no on-demand price to apply the Spot Advisor saving to"))?;
        let hourly =
            od.hourly * (Decimal::ONE_HUNDRED - advisor.savings_pct) / Decimal::ONE_HUNDRED;
        Ok(SpotQuote {
            hourly,
            basis: format!(
                "estimate: on-demand less Spot Advisor's average saving of {}% ({})",
                advisor.savings_pct, advisor.provenance.effective_date
            ),
            interruption_band: Some(advisor.interruption_band.clone()),
            confidence: Confidence::Estimate,
        })
    }

    /// A region's rates when the region has per-region rate files: read (once) and merged with
    /// the region's rates from other files, the later effective date winning (on the same date
    /// the file that sorts last, as between any two files). `None` when every rate of the region
    /// is in `self.rates`. A built-in file that cannot be read leaves the region's own rates
    /// (and the tests check every built-in file reads).
    fn region_rates(&self, region: &str) -> Option<&RateMap> {
        let lazy = self.lazy_rates.get(region)?;
        let merged = lazy.merged.get_or_init(|| {
            let mut map: RateMap = self
                .rates
                .iter()
                .filter(|(k, _)| k.1 == region)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (name, blob) in &lazy.files {
                let text = blob.text(name)?;
                let (rates, facts) = files::read_rates(name, &text)?;
                if !facts.is_empty() {
                    return Err(CatalogError {
                        file: name.clone(),
                        line: None,
                        column: Some("fact".into()),
                        message: "a per-region rate file holds no facts (they are read before \
                                  any region is)"
                            .into(),
                    });
                }
                for r in rates {
                    if r.region != region {
                        return Err(CatalogError {
                            file: name.clone(),
                            line: None,
                            column: Some("region".into()),
                            message: format!(
                                "a per-region file holds a rate of another region, `{}`",
                                r.region
                            ),
                        });
                    }
                    let key = (r.service.clone(), r.region.clone(), r.key.clone());
                    insert_newest_priced(&mut map, key, r, |r| &mut r.provenance);
                }
            }
            Ok(map)
        });
        merged.as_ref().ok()
    }

    /// Every rate the catalog holds, in every region (reads every region's rates).
    pub(crate) fn all_rates(&self) -> impl Iterator<Item = &Rate> {
        let eager = self
            .rates
            .values()
            .filter(move |r| !self.lazy_rates.contains_key(&r.region));
        eager.chain(
            self.lazy_rates
                .keys()
                .filter_map(|r| self.region_rates(r))
                .flat_map(|m| m.values()),
        )
    }

    /// A service rate, e.g. `("s3", "us-east-1", "storage/standard")`.
    pub fn rate(&self, service: &str, region: &str, key: &str) -> Result<&Rate, MissingPrice> {
        self.region_rates(region)
            .unwrap_or(&self.rates)
            .get(&RateKey(service, region, key))
            .ok_or_else(|| MissingPrice {
                region: region.into(),
                service: service.into(),
                item: key.into(),
                what: "rate".into(),
            })
    }

    /// The newest effective date of any price the catalog holds (EC2 prices and rates, every
    /// region): how current it is, as `cloudcost --version` says. Reads every region.
    pub fn newest_price_date(&self) -> Result<Option<String>, Error> {
        self.load_all()?;
        Ok(self
            .ec2_prices()
            .map(|p| &p.provenance.effective_date)
            .chain(self.all_rates().map(|r| &r.provenance.effective_date))
            .max()
            .cloned())
    }

    /// The services the catalog has rates for, sorted.
    pub fn rate_services(&self) -> Vec<&str> {
        let set: std::collections::BTreeSet<&str> =
            self.all_rates().map(|r| r.service.as_str()).collect();
        set.into_iter().collect()
    }

    /// Every rate of a service in a region, sorted by key.
    pub fn rates_for(&self, service: &str, region: &str) -> Vec<&Rate> {
        let mut v: Vec<&Rate> = self
            .region_rates(region)
            .unwrap_or(&self.rates)
            .values()
            .filter(|r| r.service == service && r.region == region)
            .collect();
        v.sort_by(|a, b| a.key.cmp(&b.key));
        v
    }

    /// A rule value (free-tier size, minimum duration…): the region's own, else the global one.
    pub fn fact(&self, service: &str, region: &str, key: &str) -> Result<Decimal, MissingPrice> {
        let pick = |want: Option<&str>| {
            self.facts
                .iter()
                .rev()
                .find(|f| f.service == service && f.key == key && f.region.as_deref() == want)
        };
        pick(Some(region))
            .or_else(|| pick(None))
            .map(|f| f.value)
            .ok_or_else(|| MissingPrice {
                region: region.into(),
                service: service.into(),
                item: key.into(),
                what: "pricing rule".into(),
            })
    }
}

/// A spot price for a quote: the hourly price, what it is based on, and the interruption band.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpotQuote {
    /// USD per instance-hour.
    pub hourly: Decimal,
    /// Where the figure comes from (observed price or Spot Advisor model).
    pub basis: String,
    /// Spot Advisor's interruption frequency band, when known.
    pub interruption_band: Option<String>,
    /// Observed (published) or modelled (estimate).
    pub confidence: Confidence,
}

use files::FileKind;

/// The key of an EC2 price, borrowed: looked up without building the owned tuple (it hashes as
/// the tuple does: each field in order).
#[derive(Hash)]
struct Ec2Key<'a>(&'a str, &'a str, Os, Ec2Model);

impl Equivalent<(String, String, Os, Ec2Model)> for Ec2Key<'_> {
    fn equivalent(&self, k: &(String, String, Os, Ec2Model)) -> bool {
        self.0 == k.0 && self.1 == k.1 && self.2 == k.2 && self.3 == k.3
    }
}

/// The key of Spot Advisor's figures, borrowed (see [`Ec2Key`]).
#[derive(Hash)]
struct AdvisorKey<'a>(&'a str, &'a str, Os);

impl Equivalent<(String, String, Os)> for AdvisorKey<'_> {
    fn equivalent(&self, k: &(String, String, Os)) -> bool {
        self.0 == k.0 && self.1 == k.1 && self.2 == k.2
    }
}

/// The key of a service rate, borrowed (see [`Ec2Key`]): (service, region, key).
#[derive(Hash)]
pub(crate) struct RateKey<'a>(pub &'a str, pub &'a str, pub &'a str);

impl Equivalent<(String, String, String)> for RateKey<'_> {
    fn equivalent(&self, k: &(String, String, String)) -> bool {
        self.0 == k.0 && self.1 == k.1 && self.2 == k.2
    }
}

/// Indexes a region's files by instance type: inflates each, and finds each type's lines by the
/// row's second field. `None` when a file cannot be read so (unreadable, or a quoted field,
/// which may hold a comma or a line break): the region is then read whole.
fn type_index(files: &[(String, Blob, bool)]) -> Option<TypeIndex> {
    let mut index = TypeIndex::default();
    for (i, (name, blob, reserved)) in files.iter().enumerate() {
        let text = blob.text(name).ok()?.into_owned();
        let mut head = None;
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let range = at..at + line.len();
            at += line.len();
            if head.is_none() {
                if !line.starts_with('#') {
                    // The rows are found by their second field: it must be the instance type.
                    if line.split(',').nth(1).map(str::trim) != Some("instance_type") {
                        return None;
                    }
                    head = Some(range.end);
                }
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            if line.contains('"') {
                return None;
            }
            let itype = line.split(',').nth(1)?.trim();
            let rows = index.types.entry(itype.to_string()).or_default();
            match rows.ranges.last_mut() {
                Some((f, r)) if *f == i && r.end == range.start => r.end = range.end,
                _ => rows.ranges.push((i, range)),
            }
        }
        index
            .texts
            .push((name.clone(), text, head.unwrap_or(0), *reserved));
    }
    Some(index)
}

/// Checks a row of a per-region EC2 file read for `region` (and, read by type, `itype`): its
/// region and type are those it was read for, and a file of reserved prices holds no on-demand
/// one.
fn check_region_row(
    name: &str,
    p: &Ec2Price,
    region: &str,
    itype: Option<&str>,
    reserved: bool,
) -> Result<(), CatalogError> {
    let wrong = |column: &str, message: String| CatalogError {
        file: name.into(),
        line: None,
        column: Some(column.into()),
        message,
    };
    if p.region != region {
        return Err(wrong(
            "region",
            format!(
                "a per-region file holds a price of another region, `{}`",
                p.region
            ),
        ));
    }
    if let Some(t) = itype.filter(|t| *t != p.instance_type) {
        return Err(wrong(
            "instance_type",
            format!(
                "a row indexed as {t} in {region} prices {}",
                p.instance_type
            ),
        ));
    }
    if reserved && p.model == Ec2Model::OnDemand {
        return Err(wrong(
            "model",
            "a file of reserved prices holds an on-demand price".into(),
        ));
    }
    Ok(())
}

/// One catalog file's rows, parsed.
enum Parsed {
    /// A region's per-region EC2 file (reserved prices only?), read when the region is first
    /// asked for.
    Lazy(String, bool),
    /// A region's per-region rate file, read when the region's rates are first asked for.
    LazyRates(String),
    /// A built-in instance-type file, read when attributes are first asked for.
    LazyTypes,
    Regions(Vec<Region>),
    InstanceTypes(Vec<InstanceType>),
    Ec2(Vec<Ec2Price>),
    SpotAdvisor(Vec<SpotAdvisor>),
    SpotPrices(Vec<SpotPricePoint>),
    Rates(Vec<Rate>, Vec<Fact>),
    Ignored,
}

/// Parses one catalog file by its kind.
fn parse_file(name: &str, blob: &Blob) -> Result<Parsed, Error> {
    let kind = FileKind::of(name)?;
    if let (FileKind::Ec2Prices, Blob::Gz(_), Some((region, reserved))) =
        (kind, blob, lazy_region_of(name))
    {
        return Ok(Parsed::Lazy(region.to_string(), reserved));
    }
    if let (FileKind::Rates, Blob::Gz(_), Some(region)) = (kind, blob, lazy_rates_region_of(name)) {
        return Ok(Parsed::LazyRates(region.to_string()));
    }
    if let (FileKind::InstanceTypes, Blob::Gz(_)) = (kind, blob) {
        return Ok(Parsed::LazyTypes);
    }
    if kind == FileKind::Ignored {
        return Ok(Parsed::Ignored);
    }
    let text = blob.text(name)?;
    let text = text.as_ref();
    Ok(match kind {
        FileKind::Regions => Parsed::Regions(files::read_regions(name, text)?),
        FileKind::InstanceTypes => Parsed::InstanceTypes(files::read_instance_types(name, text)?),
        FileKind::Ec2Prices => Parsed::Ec2(files::read_ec2_prices(name, text)?),
        FileKind::SpotAdvisor => Parsed::SpotAdvisor(files::read_spot_advisor(name, text)?),
        FileKind::SpotPrices => Parsed::SpotPrices(files::read_spot_prices(name, text)?),
        FileKind::Rates => {
            let (rates, facts) = files::read_rates(name, text)?;
            Parsed::Rates(rates, facts)
        }
        FileKind::Ignored => Parsed::Ignored,
    })
}

fn insert_newest<K: std::hash::Hash + Eq, V>(
    map: &mut HashMap<K, V>,
    key: K,
    value: V,
    date: impl Fn(&V) -> &String,
) {
    match map.get(&key) {
        Some(old) if date(old) > date(&value) => {}
        _ => {
            map.insert(key, value);
        }
    }
}

/// [`insert_newest`] for rows with a [`Provenance`]: a newer row without an AWS rate code (an
/// offer file or a hand-checked source) takes the replaced row's, which names the same product
/// and term, so the SKU index still finds it.
fn insert_newest_priced<K: std::hash::Hash + Eq, V>(
    map: &mut HashMap<K, V>,
    key: K,
    mut value: V,
    prov: impl Fn(&mut V) -> &mut Provenance,
) {
    if let Some(old) = map.get_mut(&key) {
        let (old_p, new_p) = (prov(old), prov(&mut value));
        if old_p.effective_date > new_p.effective_date {
            if old_p.rate_code.is_none() {
                old_p.rate_code = new_p.rate_code.take();
            }
            return;
        }
        if new_p.rate_code.is_none() {
            new_p.rate_code = old_p.rate_code.take();
        }
    }
    map.insert(key, value);
}

/// The built-in `feed-origins.toml`.
pub(crate) fn embedded_origins() -> &'static [u8] {
    embedded::FILES
        .iter()
        .find(|(name, _, _)| *name == "feed-origins.toml")
        .map_or(b"format_version = 1\n".as_slice(), |(_, _, b)| *b)
}

fn embedded_blobs() -> Vec<(String, Blob)> {
    embedded::FILES
        .iter()
        .filter_map(|(name, gz, bytes)| {
            let blob = if *gz {
                Blob::Gz(bytes)
            } else {
                Blob::Text(std::str::from_utf8(bytes).ok()?.to_string())
            };
            Some((name.to_string(), blob))
        })
        .collect()
}

fn collect_dir(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), Error> {
    let io = |path: &Path, source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io(dir, e))?;
        let path = entry.path();
        if path.is_dir() {
            collect_dir(root, &path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("csv" | "toml")
        ) {
            let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, text));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn embedded_catalog_loads() {
        let c = Catalog::embedded().unwrap();
        assert!(c.instance_types().count() >= 58);
        let p = c
            .ec2_price("us-east-1", "m5.large", Os::Linux, Ec2Model::OnDemand)
            .unwrap();
        assert_eq!(p.hourly, dec!(0.096));
        let seoul = c
            .ec2_price("ap-northeast-2", "m5.large", Os::Linux, Ec2Model::OnDemand)
            .unwrap();
        assert_eq!(seoul.hourly, dec!(0.118));
        assert_eq!(
            c.fact("lambda", "us-east-1", "free-tier/gb-seconds")
                .unwrap(),
            dec!(400000)
        );
        assert_eq!(
            c.region_by_usage_prefix("APN2").unwrap().code,
            "ap-northeast-2"
        );
    }

    #[test]
    fn every_curated_type_has_linux_on_demand_in_both_regions() {
        let c = Catalog::embedded().unwrap();
        // The hand-curated types (network and EBS limits published) that right-sizing proposes.
        for t in c.instance_types().filter(|t| t.net_baseline_gbps.is_some()) {
            for region in ["us-east-1", "ap-northeast-2"] {
                c.ec2_price(region, &t.name, Os::Linux, Ec2Model::OnDemand)
                    .unwrap_or_else(|e| panic!("{e}"));
                assert!(
                    c.spot_advisor(region, &t.name, Os::Linux).is_some(),
                    "{region} {}",
                    t.name
                );
            }
        }
    }

    #[test]
    fn seoul_reserved_is_missing_not_zero() {
        let c = Catalog::embedded().unwrap();
        let m = Ec2Model::Reserved(Term::OneYear, Offering::Standard, Payment::AllUpfront);
        let e = c
            .ec2_price("ap-northeast-2", "m5.large", Os::Linux, m)
            .unwrap_err();
        assert!(e.to_string().contains("ap-northeast-2"));
    }

    #[test]
    fn amortizes_all_upfront() {
        let c = Catalog::embedded().unwrap();
        let m = Ec2Model::Reserved(Term::OneYear, Offering::Standard, Payment::AllUpfront);
        let p = c.ec2_price("us-east-1", "m5.large", Os::Linux, m).unwrap();
        assert_eq!(p.hourly, Decimal::ZERO);
        assert!(p.effective_hourly() > dec!(0.056) && p.effective_hourly() < dec!(0.0564));
    }

    #[test]
    fn t_family_baseline_from_credits() {
        let c = Catalog::embedded().unwrap();
        let t = c.instance_type("t3.large").unwrap();
        // 36 credits/h ÷ 2 vCPU ÷ 60 = 30 % per vCPU, as published.
        assert_eq!(t.credit_baseline_pct().unwrap(), dec!(30));
        assert_eq!(t.baseline_pct_per_vcpu, Some(dec!(30)));
    }

    #[test]
    fn newest_effective_date_wins() {
        let head = "# cloudcost-catalog format 1\nregion,instance_type,os,tenancy,model,term,offering,payment,upfront_usd,hourly_usd,effective_date,confidence,source\n";
        let a = format!(
            "{head}us-east-1,m5.large,linux,shared,on-demand,,,,0,0.096,2026-07-20,published,a\n"
        );
        let b = format!(
            "{head}us-east-1,m5.large,linux,shared,on-demand,,,,0,0.090,2020-01-01,published,b\n"
        );
        let c =
            Catalog::from_files(vec![("ec2-a.csv".into(), a), ("ec2-b.csv".into(), b)]).unwrap();
        let p = c
            .ec2_price("us-east-1", "m5.large", Os::Linux, Ec2Model::OnDemand)
            .unwrap();
        assert_eq!(p.hourly, dec!(0.096));
    }

    #[test]
    fn malformed_rows_name_file_row_and_column() {
        let text = "# cloudcost-catalog format 1\nregion,instance_type,os,tenancy,model,term,offering,payment,upfront_usd,hourly_usd,effective_date,confidence,source\nus-east-1,m5.large,linux,shared,on-demand,,,,0,-0.1,2026-07-20,published,a\n";
        let e = Catalog::from_files(vec![("ec2-x.csv".into(), text.into())])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ec2-x.csv:3:hourly_usd") && e.contains("non-negative"),
            "{e}"
        );
        let missing_marker = Catalog::from_files(vec![("ec2-x.csv".into(), "region\n".into())])
            .unwrap_err()
            .to_string();
        assert!(
            missing_marker.contains("cloudcost-catalog format 1"),
            "{missing_marker}"
        );
    }
}
