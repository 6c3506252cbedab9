//! Chart reports of a bill (`cloudcost report`): seven charts as SVG and PNG, one self-contained
//! `index.html` and a `report.md` for a wiki or a pull request.
//!
//! The report renders one canonical result: `data` sums the [`Bill`] (and the recommendations,
//! and the metrics of the right-sizing candidates) exactly in `Decimal`, then `charts` draws
//! each chart with plotters' SVG backend, `raster` turns each SVG into a PNG with resvg using
//! only the DejaVu Sans fonts built into the binary (`assets/fonts/`; no system fonts, no
//! fontconfig, at build or run time), and `page` writes the HTML page and the Markdown file
//! from the same tables. Amounts become `f64` only as chart coordinates; every figure printed
//! (axis ticks, labels, tables) is formatted from the exact amount in the display currency.
//!
//! The output is deterministic: the same input gives the same bytes (no timestamps, stable
//! ordering, a fixed-seed forecast band), so reports can be compared by hash.
//!
//! # Charts
//!
//! | file | what it shows |
//! | --- | --- |
//! | `daily-cost` | daily cost stacked by service, with the month-to-date total on a right axis |
//! | `forecast` | the month so far, the month-end forecast with its P10–P90 band, the budget |
//! | `pricing-models` | cost by pricing model, and what it saved against on-demand |
//! | `top-resources` | the most expensive resources |
//! | `savings` | monthly savings found by `recommend`, by kind, with the total |
//! | `schedules` | instance-hours a week running against those needed: off-hours schedules and fleets that follow their load |
//! | `utilization` | hourly CPU of the right-sizing candidates against the headroom limit |
//!
//! ```no_run
//! use std::path::Path;
//! use cloudcost::{catalog::Catalog, money::Currency, report::{ReportInput, write_report}};
//! use cloudcost::usage::{ReadOptions, read_usage};
//! let catalog = Catalog::embedded().unwrap();
//! let usage = read_usage(Path::new("sim/usage.parquet"), &catalog, &ReadOptions::default()).unwrap();
//! let (bill, usd) = (cloudcost::bill::price_usage(&catalog, &usage).unwrap(), Currency::usd());
//! let input = ReportInput {
//!     budget: Some(1500.into()),
//!     ..ReportInput::new("AWS cost report", &bill, &usd)
//! };
//! let written = write_report(&input, Path::new("reports/2026-10")).unwrap();
//! assert!(written.iter().any(|p| p.ends_with("index.html")));
//! ```

mod charts;
mod data;
mod draw;
mod page;
mod raster;

use std::path::{Path, PathBuf};

use rust_decimal::Decimal;

use crate::bill::Bill;
use crate::metrics::InstanceSeries;
use crate::money::Currency;
use crate::savings::Report;

/// Width of every chart, pixels.
pub const WIDTH: u32 = 1200;
/// Height of every chart, pixels.
pub const HEIGHT: u32 = 700;

/// The charts, as file stems (each is written as `<stem>.svg` and `<stem>.png`), in report order.
pub const CHARTS: [&str; 7] = [
    "daily-cost",
    "forecast",
    "pricing-models",
    "top-resources",
    "savings",
    "schedules",
    "utilization",
];

/// The HTML page's file name.
pub const INDEX_HTML: &str = "index.html";
/// The Markdown report's file name.
pub const REPORT_MD: &str = "report.md";

/// What a report is made from.
#[derive(Clone, Debug)]
pub struct ReportInput<'a> {
    /// The report's title (page title and heading).
    pub title: String,
    /// The priced usage.
    pub bill: &'a Bill,
    /// The currency amounts are shown in.
    pub currency: &'a Currency,
    /// The monthly budget in USD (like `budgets.toml`), drawn on the forecast chart.
    pub budget: Option<Decimal>,
    /// What `recommend` found: the savings chart, the recommendation table and the right-sizing
    /// candidates of the utilization chart.
    pub recommendations: Option<&'a Report>,
    /// Hourly metrics of the instances, for the utilization chart.
    pub series: Option<&'a [InstanceSeries]>,
    /// The right-sizing headroom, percent: the utilization chart's limit line is at
    /// 100 / (1 + headroom/100) % CPU.
    pub headroom_pct: u32,
    /// A billing file's own cost view: the totals, the daily chart by service and the forecast
    /// show it; the pricing models, top resources and savings stay cloudcost's re-pricing.
    /// `None`: everything is the re-priced bill.
    pub view: Option<ViewInput<'a>>,
}

/// A billing file's own cost view, for the report.
#[derive(Clone, Debug)]
pub struct ViewInput<'a> {
    /// Its sums by day and the file's service, first (`--by day,service,...`).
    pub table: &'a crate::usage::costs::CostTable,
    /// Its daily costs (usage and period charges), for the forecast.
    pub costs: &'a crate::forecast::DailyCosts,
    /// Its sums by account (`--by account`), when the file names accounts.
    pub accounts: Option<&'a crate::usage::costs::CostTable>,
    /// Its sums by each tag key of the file (`--by tag:KEY`).
    pub tags: &'a [crate::usage::costs::CostTable],
}

impl<'a> ReportInput<'a> {
    /// A report of a bill alone: no budget, recommendations or metrics, 20 % headroom (the
    /// default of `recommend`).
    pub fn new(title: impl Into<String>, bill: &'a Bill, currency: &'a Currency) -> Self {
        ReportInput {
            title: title.into(),
            bill,
            currency,
            budget: None,
            recommendations: None,
            series: None,
            headroom_pct: 20,
            view: None,
        }
    }
}

/// One file of a report, in memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportFile {
    /// File name inside the report directory, e.g. `forecast.png`.
    pub name: String,
    /// The file's bytes.
    pub contents: Vec<u8>,
}

/// What making a report can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A chart could not be drawn.
    #[error("drawing the {chart} chart: {message}")]
    Draw {
        /// The chart's file stem.
        chart: String,
        /// What plotters said.
        message: String,
    },
    /// A chart's SVG could not be turned into a PNG.
    #[error("rasterizing the {chart} chart: {message}")]
    Raster {
        /// The chart's file stem.
        chart: String,
        /// What went wrong.
        message: String,
    },
    /// A file or directory could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

/// Renders the whole report in memory: every chart as `.svg` and `.png` (in [`CHARTS`] order),
/// then `index.html` and `report.md`.
pub fn render_report(input: &ReportInput<'_>) -> Result<Vec<ReportFile>, ReportError> {
    let data = data::ReportData::new(input);
    let mut files = Vec::with_capacity(CHARTS.len() * 2 + 2);
    let mut svgs = Vec::with_capacity(CHARTS.len());
    for (stem, svg) in charts::draw_all(&data)? {
        let png = raster::svg_to_png(&svg).map_err(|message| ReportError::Raster {
            chart: stem.to_string(),
            message,
        })?;
        files.push(ReportFile {
            name: format!("{stem}.svg"),
            contents: svg.clone().into_bytes(),
        });
        files.push(ReportFile {
            name: format!("{stem}.png"),
            contents: png,
        });
        svgs.push((stem, svg));
    }
    files.push(ReportFile {
        name: INDEX_HTML.into(),
        contents: page::html(&data, &svgs).into_bytes(),
    });
    files.push(ReportFile {
        name: REPORT_MD.into(),
        contents: page::markdown(&data).into_bytes(),
    });
    Ok(files)
}

/// Renders the report and writes it into `out_dir` (created if needed), returning the paths
/// written in [`render_report`]'s order. Files already there with other names are left alone.
pub fn write_report(input: &ReportInput<'_>, out_dir: &Path) -> Result<Vec<PathBuf>, ReportError> {
    let files = render_report(input)?;
    std::fs::create_dir_all(out_dir).map_err(|source| ReportError::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let mut written = Vec::with_capacity(files.len());
    for f in files {
        let path = out_dir.join(&f.name);
        std::fs::write(&path, &f.contents).map_err(|source| ReportError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// Where `cloudcost report` writes when no `--out` is given: `reports/<YYYY-MM>` of the bill's
/// last day, relative to the current directory (`reports/empty` for a bill without rows).
pub fn default_out_dir(bill: &Bill) -> PathBuf {
    match bill.period() {
        Some((_, last)) => PathBuf::from("reports").join(last.format("%Y-%m").to_string()),
        None => PathBuf::from("reports").join("empty"),
    }
}
