//! The usage source and what is computed from it, cached until the data changes.
//!
//! `usage` (and `metrics`) in `bot.toml` name a file or a directory. For a directory the bot
//! reads **the newest file** in it (latest modification time, then the greatest name) whose
//! name ends in `.csv`, `.csv.gz` or `.parquet`; for `usage` files whose name contains
//! `metrics` are skipped, for `metrics` only such files are taken, so both may share a
//! directory. A drop of a new day's export (a complete file, written under a temporary name and
//! renamed into place) is picked up at the next scheduler tick.
//!
//! New data is detected by the (path, size, modification time) of the file(s) read: a
//! [`Snapshot`]. The bill of a snapshot is priced once (`cloudcost::analysis::price_file`) and
//! the recommendations built once (`cloudcost::analysis::analyse`) on first use; both are kept
//! until the snapshot changes. All of this is blocking work: callers run it on
//! `tokio::task::spawn_blocking`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use cloudcost::analysis::Analysis;
use cloudcost::bill::{Bill, Commitments};
use cloudcost::catalog::Catalog;

/// Why the data could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The source is not there, or a directory has no usage file.
    #[error("{0}")]
    Missing(String),
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The library could not read or price the data.
    #[error(transparent)]
    Library(#[from] cloudcost::Error),
}

/// One file as read: path, size and modification time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileStamp {
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its modification time.
    pub modified: Option<SystemTime>,
}

/// The files the data is read from; a different snapshot means new data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The usage file.
    pub usage: FileStamp,
    /// The metrics file, when configured.
    pub metrics: Option<FileStamp>,
}

/// Which files of a directory count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Usage,
    Metrics,
}

fn stamp(path: &Path) -> Result<FileStamp, DataError> {
    let m = std::fs::metadata(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(FileStamp {
        path: path.to_path_buf(),
        size: m.len(),
        modified: m.modified().ok(),
    })
}

/// The file `path` names, or the newest fitting file of the directory `path` names.
fn newest(path: &Path, kind: Kind) -> Result<FileStamp, DataError> {
    if !path.is_dir() {
        return stamp(path);
    }
    let entries = std::fs::read_dir(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut best: Option<FileStamp> = None;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_ascii_lowercase();
        let data_file = [".csv", ".csv.gz", ".parquet"]
            .iter()
            .any(|ext| name.ends_with(ext));
        let is_metrics = name.contains("metrics");
        if !data_file || name.starts_with('.') || is_metrics != (kind == Kind::Metrics) {
            continue;
        }
        let Ok(s) = stamp(&e.path()) else { continue };
        if std::fs::metadata(&s.path).is_ok_and(|m| !m.is_file()) {
            continue;
        }
        let newer = match &best {
            None => true,
            Some(b) => (s.modified, &s.path) > (b.modified, &b.path),
        };
        if newer {
            best = Some(s);
        }
    }
    best.ok_or_else(|| {
        DataError::Missing(format!(
            "no {} file (.csv, .csv.gz or .parquet) in {}",
            if kind == Kind::Usage {
                "usage"
            } else {
                "metrics"
            },
            path.display()
        ))
    })
}

/// The bill (and, on demand, the recommendations) of one snapshot.
pub struct Data {
    /// The files this was read from.
    pub snapshot: Snapshot,
    /// The priced usage, commitments applied, in the configured cost view.
    pub bill: Bill,
    /// The budgets that measure another view than the bill's, measured.
    pub budget_costs: crate::monitor::ViewCosts,
    analysis: Mutex<Option<Arc<Analysis>>>,
}

/// The configured usage source, with the catalog and commitments it is priced with.
pub struct Source {
    usage: PathBuf,
    metrics: Option<PathBuf>,
    commitments: Option<Commitments>,
    catalog: Catalog,
    /// The cost view the bill is shown in (see `Config::cost`).
    cost: Option<cloudcost::usage::costs::CostView>,
    /// The budgets, for those measured in another view than `cost`.
    budgets: cloudcost::alarms::Budgets,
    /// How `/recommend` right-sizes.
    rightsizing: cloudcost::recommend::RightsizingOptions,
    cache: Mutex<Option<Arc<Data>>>,
}

impl Source {
    /// A source over the configured paths; the commitments file is read now.
    pub fn new(
        catalog: Catalog,
        usage: PathBuf,
        metrics: Option<PathBuf>,
        commitments: Option<&Path>,
    ) -> Result<Source, DataError> {
        let commitments = commitments
            .map(|c| cloudcost::analysis::read_commitments(&catalog, c))
            .transpose()?;
        Ok(Source {
            usage,
            metrics,
            commitments,
            catalog,
            cost: None,
            budgets: cloudcost::alarms::Budgets::default(),
            rightsizing: cloudcost::recommend::RightsizingOptions::default(),
            cache: Mutex::new(None),
        })
    }

    /// The bill shown in cost view `cost` (default: a billing file's invoice).
    pub fn with_cost(mut self, cost: Option<cloudcost::usage::costs::CostView>) -> Source {
        self.cost = cost;
        self
    }

    /// The budgets whose cost views are measured beside the bill (those naming another view).
    pub fn with_budgets(mut self, budgets: cloudcost::alarms::Budgets) -> Source {
        self.budgets = budgets;
        self
    }

    /// Right-sizing options from the instances' architecture preference.
    pub fn with_architecture(mut self, a: cloudcost::recommend::Architecture) -> Source {
        self.rightsizing = self.rightsizing.with_architecture(a);
        self
    }

    /// Off-hours schedules written in the bot's time zone.
    pub fn with_timezone(mut self, tz: chrono_tz::Tz) -> Source {
        self.rightsizing = self.rightsizing.with_timezone(tz);
        self
    }

    /// The files the data would be read from now.
    pub fn snapshot(&self) -> Result<Snapshot, DataError> {
        Ok(Snapshot {
            usage: newest(&self.usage, Kind::Usage)?,
            metrics: self
                .metrics
                .as_deref()
                .map(|m| newest(m, Kind::Metrics))
                .transpose()?,
        })
    }

    /// The data of the current snapshot: priced now if the files changed, else the cached one.
    /// Blocking.
    pub fn load(&self) -> Result<Arc<Data>, DataError> {
        let snapshot = self.snapshot()?;
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = cache.as_ref()
            && d.snapshot == snapshot
        {
            return Ok(d.clone());
        }
        let (bill, budget_costs) = cloudcost::analysis::price_file_for_budgets(
            &self.catalog,
            &snapshot.usage.path,
            self.commitments.as_ref(),
            self.cost,
            &self.budgets,
        )?;
        let data = Arc::new(Data {
            snapshot,
            bill,
            budget_costs,
            analysis: Mutex::new(None),
        });
        *cache = Some(data.clone());
        Ok(data)
    }

    /// The recommendations of `data`'s snapshot, built on first use. Blocking.
    pub fn analysis(&self, data: &Data) -> Result<Arc<Analysis>, DataError> {
        let mut slot = data.analysis.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = slot.as_ref() {
            return Ok(a.clone());
        }
        let a = Arc::new(cloudcost::analysis::analyse(
            &self.catalog,
            Some(&data.snapshot.usage.path),
            data.snapshot.metrics.as_ref().map(|m| m.path.as_path()),
            self.commitments.as_ref(),
            &self.rightsizing,
            30,
        )?);
        *slot = Some(a.clone());
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_gives_its_newest_usage_file() {
        let d = tempfile::tempdir().unwrap();
        let old = d.path().join("usage-2026-10-01.csv");
        let new = d.path().join("usage-2026-10-02.parquet");
        std::fs::write(&old, "a").unwrap();
        std::fs::write(d.path().join("metrics.parquet"), "m").unwrap();
        std::fs::write(d.path().join("notes.txt"), "n").unwrap();
        std::fs::write(&new, "bb").unwrap();
        let t = SystemTime::now();
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(t - std::time::Duration::from_secs(60))
            .unwrap();
        std::fs::File::options()
            .write(true)
            .open(&new)
            .unwrap()
            .set_modified(t)
            .unwrap();
        let s = newest(d.path(), Kind::Usage).unwrap();
        assert_eq!((s.path, s.size), (new, 2));
        let m = newest(d.path(), Kind::Metrics).unwrap();
        assert_eq!(m.path, d.path().join("metrics.parquet"));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            newest(empty.path(), Kind::Usage),
            Err(DataError::Missing(_))
        ));
    }
}
