//! Aggregate first, validate after: the fast path for usage files, in this project's own format
//! and AWS's billing layouts (CUR 1.0, CUR 2.0, FOCUS).
//!
//! Checking every row (trimming and lower-casing a dozen text columns, about 25 tests, a price key
//! built per row) is what made reading big files slow. But whether a row is priced, and at which
//! price, depends on the columns that say what it is (service, region, usage type, resource,
//! instance type, ...), and those repeat: a month of hourly rows holds each combination hundreds
//! of times. So the file is read once, and its rows are grouped by their day and those columns
//! *as they are in the file*, with only the per-row work that cannot wait: the two times (parsed
//! with the one format detected for the file) and the quantity. Per group: the row count, the sum,
//! the least quantity, whether the quantities differ, and whether a row failed a per-row test (a
//! time that does not parse, a period that is empty or longer than 31 days, a quantity that does
//! not parse or is negative). The canonical columns and the tests of the reason chain then run once per
//! combination of key values but the resource id (a few hundred, where the series, one per
//! combination of key values, are a few thousand, the groups a few hundred thousand and the rows
//! millions), with the same expressions as the per-row path; the groups are only summed, by day
//! and canonical key.
//!
//! The grouping itself is done by `groups.rs`: for plain CSV files from the text; for Parquet
//! files a slice of row groups at a time, two threads each taking the next unread slice, with
//! the key columns read as their dictionary codes (`parquet_keys.rs`) and the times and
//! quantities decoded by polars, else from the rows polars decodes. Other CSV files (quotes,
//! another time format, ...) and Parquet slices of other column types are grouped by a polars
//! query, whose groups are then split into series and days by `groups.rs` too. The days of
//! the series priced from sums are summed by day and canonical key in Rust (`fast_days`) and
//! made resource-days directly, in the order the bill sorts them.
//!
//! A resource goes through the per-row path instead (all of its rows, so that row numbers,
//! reasons and the `--rejects` file are exactly what they were) when any group of it
//! - has a row that failed a per-row test, or is rejected;
//! - is Linux EC2 with a row under 60 seconds (the minimum per run needs the rows in order);
//! - is Windows EC2 with a day of rows of different quantities (started hours are counted per row);
//! - is gp3 IOPS or throughput (what is included is taken off per row, over the row's period).
//!
//! On a clean file of whole hours none does, and the file is read once.
//!
//! A billing file (`FirstPass::billing`) is grouped alike: its key columns are the columns its
//! canonical columns read (product code, usage type, operation, line item type, region, zone,
//! resource id, ...: `layouts::billing_key_columns`, read off the expressions), its combinations
//! go through the usage-type table as its rows would, and each series also sums its billed cost
//! (its service's billed cost beside the re-priced one). Its EC2 hours are as AWS billed them (no
//! minimum, no started hours: counted in seconds). Its charges (tax, fees, credits: a period to
//! keep), idle addresses, usage without a resource id and rows carried at their billed cost take
//! the per-row path, as do the whole file when EC2 hours by clock hour are asked for (the sums of
//! `ec2_hours.rs` read this project's columns) and a FOCUS file without AWS's `x_UsageType` (its
//! usage types come from its SKUs). On an hourly CUR of instances, volumes and transfer almost
//! every row is priced from sums.
//!
//! Commitments and hourly spot prices also need EC2 usage by clock hour (`hourly_ec2`). For plain
//! CSV and Parquet files it is summed as their rows are added (`ec2_hours.rs`); otherwise, or when
//! a resource left to the per-row path shares the sums, it is one more polars query over the file.

use polars::prelude::*;

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::checks::{PriceCheck, REASON, checks, price_attr, reason_of};
use super::columns::{
    MAX_PERIOD_MS, ONE, RFC3339_UTC, SCALE, decimal_type, detect_time_format, lower, one_of,
    quantity_of, text, timestamp_as, to_decimal,
};
use super::days::{USAGE_KEY, day_of, resource_day, started_hours, started_hours_of};
use super::ec2_hours::{ClassHours, HOURLY_KEYS, HourSum, HourlySpec};
use super::groups::{self, Roles};
use super::layouts::{
    IDLE, Layout, OWN_KEY_COLUMNS, billing_columns, billing_key_columns, billing_numbers,
    billing_resource, own_key_columns, with_billing_prelude,
};
use super::parquet_keys::KeyReader;
use super::usage_types::Classifier;
use super::{ResourceDay, UsageError};
use crate::catalog::Catalog;
use rust_decimal::Decimal;

fn unreadable(file: &str, e: impl std::fmt::Display) -> UsageError {
    UsageError::Unreadable {
        file: file.into(),
        message: e.to_string(),
    }
}

/// What the fast path read.
pub(crate) struct Aggregated {
    /// Usage priced from sums, as resource-days (taken by the reader).
    pub days: Vec<ResourceDay>,
    /// Resources (canonical ids) whose rows go through the per-row path.
    slow: Vec<String>,
    /// Whether rows without a resource id go through the per-row path.
    slow_null: bool,
    /// The format of `usage_start`, when it is text.
    start_format: Option<usize>,
    /// EC2 usage by clock hour of the resources priced from sums, when the first pass summed it
    /// (`ec2_hours.rs`).
    hourly: Option<ClassHours>,
    /// The column naming a row's resource.
    resource: String,
    /// A billing file's billed cost of the usage priced from sums, by service.
    pub billed: Vec<(String, Decimal)>,
}

impl Aggregated {
    /// Whether any row is left for the per-row path.
    pub fn has_slow(&self) -> bool {
        !self.slow.is_empty() || self.slow_null
    }

    /// A test on the file's own columns selecting the rows left for the per-row path (`None`
    /// when there are none).
    pub fn slow_rows(&self, schema: &Schema) -> Option<Expr> {
        if !self.has_slow() {
            return None;
        }
        let id = text(schema, &self.resource);
        let mut e = self.is_slow(id.clone());
        if self.slow_null {
            e = e.or(id.is_null());
        }
        Some(e)
    }

    fn is_slow(&self, id: Expr) -> Expr {
        let ids: Vec<&str> = self.slow.iter().map(String::as_str).collect();
        one_of(id, &ids)
    }
}

/// A quantity (or cost) as it is in the file: text is parsed without trimming (a value that
/// needs it is null here, and takes the per-row path).
pub(crate) fn raw_quantity(schema: &Schema, name: &str) -> Expr {
    match schema.get(name) {
        Some(DataType::String) => col(name).str().to_decimal(SCALE),
        _ => quantity_of(schema, name),
    }
}

/// What the first pass reads of a file: its key columns (what a row is), where its times,
/// quantity, cost and resource are, and how its key columns become canonical columns (this
/// project's format, or a billing layout's through the usage-type table).
pub(crate) struct FirstPass {
    names: Vec<String>,
    roles: Roles,
    billing: Option<Layout>,
}

impl FirstPass {
    /// A file of this project's format.
    pub(crate) fn own(schema: &Schema) -> Self {
        FirstPass {
            names: key_names(schema).into_iter().map(str::to_string).collect(),
            roles: Roles::own(),
            billing: None,
        }
    }

    /// A CUR or FOCUS file's; `None` when its rows are not read so: a key column that is not
    /// text, no resource id column, or a FOCUS file without AWS's `x_UsageType` (its usage types
    /// come from its SKUs, row by row).
    pub(crate) fn billing(layout: Layout, schema: &Schema, catalog: &Catalog) -> Option<Self> {
        if layout == Layout::Cloudcost
            || (layout == Layout::Focus && super::columns::find(schema, &["x_UsageType"]).is_none())
        {
            return None;
        }
        let names = billing_key_columns(layout, schema, &Classifier::new(catalog));
        let resource = billing_resource(layout, schema);
        if !names.contains(&resource)
            || names
                .iter()
                .any(|n| schema.get(n) != Some(&DataType::String))
        {
            return None;
        }
        let [start, end, quantity, cost] = billing_numbers(layout, schema);
        if [&start, &end, &quantity, &cost]
            .iter()
            .any(|c| !schema.contains(c))
        {
            return None;
        }
        Some(FirstPass {
            names,
            roles: Roles {
                start,
                end,
                quantity,
                cost: Some(cost),
                resource,
            },
            billing: Some(layout),
        })
    }

    fn names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }
}

/// The key columns of a pass, as polars expressions.
fn key_columns(names: &[&str]) -> Vec<Expr> {
    names.iter().map(|c| col(*c)).collect()
}

/// Reads a file in one pass, grouped by day and raw key columns, then validates and prices the
/// groups (see the module doc).
pub(crate) fn aggregate(
    source: Option<(&Path, bool)>,
    lf: &LazyFrame,
    schema: &Schema,
    catalog: &Catalog,
    file: &str,
    hourly: bool,
    pass: &FirstPass,
) -> Result<Aggregated, UsageError> {
    let roles = &pass.roles;
    let costed = roles.cost.is_some();
    let start_format = detect_time_format(lf, schema, &roles.start);
    let end_format = detect_time_format(lf, schema, &roles.end);
    let names: Vec<&str> = pass.names();
    let (mut grouped, second) = read_groups(
        source,
        lf,
        schema,
        &names,
        roles,
        (start_format, end_format),
        hourly,
        file,
    )?;
    // The process's first polars queries pay for what polars sets up once (~4 ms of 6 in the
    // first combination query on the 10M-row file): `classify` is run once on no groups on
    // another thread while this one merges the groups and makes the series frames (steps on
    // one thread but for one pass). Its result is not used: an error would come again.
    let frames = std::thread::scope(|s| {
        let warm = s.spawn(|| {
            let none = groups::Groups::new(names.len(), None)
                .with_cost(costed)
                .into_series_frames(&names, &roles.resource);
            none.map(|frames| classify(frames, start_format, catalog, file, pass).is_ok())
        });
        if let Some(second) = second {
            grouped.merge(second);
        }
        let frames = grouped.into_series_frames(&names, &roles.resource);
        let _ = warm.join();
        frames
    })
    .ok_or_else(|| unreadable(file, "a key that is not UTF-8, or a count out of range"))?;
    classify(frames, start_format, catalog, file, pass)
}

/// Reads a file's rows into groups by day and the key columns `names` (what `roles` says are
/// the times, quantity and cost; `formats` are the text times' formats), on two threads where it
/// can: the groups, and the second thread's when there is one (to be merged). With `hourly`, EC2
/// hours are summed as the rows are added where the file allows (see `ec2_hours.rs`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_groups(
    source: Option<(&Path, bool)>,
    lf: &LazyFrame,
    schema: &Schema,
    names: &[&str],
    roles: &Roles,
    formats: (Option<usize>, Option<usize>),
    hourly: bool,
    file: &str,
) -> Result<(groups::Groups, Option<groups::Groups>), UsageError> {
    let costed = roles.cost.is_some();
    // The groups from hash maps: a plain CSV file's lines, or a Parquet file's rows decoded a
    // slice of row groups at a time (the memory is one slice's); else from the polars query, over
    // the whole file or the Parquet slice, the groups added up in the same hash maps.
    let pregrouped = source.and_then(|(path, parquet)| {
        groups::group(path, parquet, schema, names, roles, formats, hourly)
    });
    // The groups, and those of the second reading thread (merged by the caller).
    Ok(match pregrouped {
        Some(groups) => (groups, None),
        None => {
            // A Parquet file's metadata, read once (when it cannot be, the file is grouped in one
            // query, whose error says why).
            let parquet = match source {
                Some((path, true)) => KeyReader::open(path),
                _ => None,
            };
            let slices = parquet.as_ref().map(row_group_slices).unwrap_or_default();
            // A Parquet file is read a slice of row groups at a time (the memory is one slice's),
            // and EC2 hours are summed from the same slices.
            let spec = (hourly && !slices.is_empty())
                .then(|| HourlySpec::new(names))
                .flatten();
            let mut groups = groups::Groups::new(names.len(), spec.clone()).with_cost(costed);
            if slices.is_empty() {
                let df = grouped_plan(lf, schema, names, roles, formats.0, formats.1)
                    .collect_with_engine(Engine::Streaming)
                    .map_err(|e| unreadable(file, e))?
                    .unwrap_single();
                add_grouped(&mut groups, &df, names, file)?;
                (groups, None)
            } else {
                // Two threads, each reading and grouping the next unread slice in groups of its
                // own (a thread the machine runs slower reads fewer); each slice's rows are parts
                // of days of their own, whichever thread reads it (`Groups::begin_part`).
                let next = AtomicUsize::new(0);
                // Key columns read as dictionary codes when they are text (`parquet_keys.rs`).
                let text_keys = names
                    .iter()
                    .all(|k| matches!(schema.get(k), Some(DataType::String)));
                let reader = SliceReader {
                    keys: parquet.as_ref().filter(|_| text_keys),
                    lf,
                    schema,
                    names,
                    roles,
                    formats,
                    file,
                };
                let mut second = groups::Groups::new(names.len(), spec).with_cost(costed);
                let (first, other) = std::thread::scope(|s| {
                    let (reader, slices, next) = (&reader, &slices, &next);
                    let helper = s.spawn(|| reader.add_slices(&mut second, slices, next));
                    let first = reader.add_slices(&mut groups, slices, next);
                    let other = helper
                        .join()
                        .unwrap_or_else(|_| Err(unreadable(file, "a reading thread failed")));
                    (first, other)
                });
                if first? | other? {
                    // A slice's EC2 hours were not summed: `hourly_ec2` runs its own query.
                    groups.drop_hours();
                    second.drop_hours();
                }
                (groups, Some(second))
            }
        }
    })
}

/// The canonical columns, price attribute (`attr`) and reason (`REASON`) of
/// each combination of the key columns but the resource id, with the per-row path's own
/// expressions: the combinations are a few hundred where the series are thousands (one or more
/// per resource), and these expressions (a dozen text columns trimmed and lower-cased, some
/// twenty tests) cost per row. The reason chain reads the resource id only as null or not, so
/// each combination is checked twice: with an id (the first `combos.height()` rows of the
/// result) and without (the next as many).
fn combination_checks(
    combos: DataFrame,
    catalog: &Catalog,
    billing: Option<Layout>,
) -> PolarsResult<DataFrame> {
    let n = combos.height();
    let c_schema = combos.schema().clone();
    let canonical = match billing {
        None => combos.lazy().select(own_key_columns(&c_schema)),
        Some(layout) => {
            // A billing file's combinations read as its rows are (`read.rs`): the times,
            // quantity and cost are not among them, and read as null.
            let classifier = Classifier::new(catalog);
            let mut lf = combos.lazy();
            if layout == Layout::Focus {
                lf = super::focus::without_null_text(lf, &c_schema);
            }
            with_billing_prelude(lf, layout, &c_schema, &classifier).select(billing_columns(
                layout,
                &c_schema,
                &classifier,
            ))
        }
    };
    let canonical = canonical
        .drop(cols(["resource_id"]))
        .with_column(price_attr().alias("attr"))
        .collect_with_engine(Engine::InMemory)?
        .unwrap_single();
    let mut both = canonical.clone();
    both.with_column(Column::new("resource_id".into(), vec![""; n]))?;
    let mut without_id = canonical;
    without_id.with_column(Column::full_null(
        "resource_id".into(),
        n,
        &DataType::String,
    ))?;
    both.vstack_mut_owned(without_id)?;
    let reason = reason_of(checks(catalog), true);
    let mut checked = both
        .lazy()
        .with_column(reason.alias(REASON))
        .drop(cols(["resource_id"]))
        .collect_with_engine(Engine::InMemory)?
        .unwrap_single();
    // The last test, the catalog's price, on each combination the others passed.
    let mut prices = PriceCheck::new(catalog);
    let reasons: Vec<Option<String>> = {
        let text = |name: &str| -> PolarsResult<Vec<Option<&str>>> {
            Ok(checked.column(name)?.str()?.iter().collect())
        };
        let (reason, service, region, usage_type, attr) = (
            text(REASON)?,
            text("service")?,
            text("region")?,
            text("usage_type")?,
            text("attr")?,
        );
        (0..checked.height())
            .map(|i| match reason[i] {
                Some(r) => Some(r.to_string()),
                None => prices.missing(
                    service[i].unwrap_or_default(),
                    region[i].unwrap_or_default(),
                    usage_type[i].unwrap_or_default(),
                    attr[i].unwrap_or_default(),
                ),
            })
            .collect()
    };
    checked.with_column(Column::new(REASON.into(), reasons))?;
    Ok(checked)
}

/// Adds the polars query's groups.
fn add_grouped(
    groups: &mut groups::Groups,
    df: &DataFrame,
    names: &[&str],
    file: &str,
) -> Result<(), UsageError> {
    groups.add_frame(df, names).ok_or_else(|| {
        unreadable(
            file,
            "the grouped usage has unexpected column types, or a sum out of range",
        )
    })
}

/// Rows per slice of a big Parquet file (whole row groups are read, at least one per slice).
#[cfg(not(test))]
const SLICE_ROWS: usize = 1 << 20;
/// Small in tests, so that small files are sliced too.
#[cfg(test)]
const SLICE_ROWS: usize = 250;

/// A slice of a Parquet file: its first row, its number of rows and its row groups.
#[derive(Debug, Clone)]
struct Slice {
    offset: usize,
    rows: usize,
    groups: std::ops::Range<usize>,
}

/// A Parquet file's rows as slices of whole row groups of about `SLICE_ROWS` rows.
fn row_group_slices(reader: &KeyReader) -> Vec<Slice> {
    let mut slices: Vec<Slice> = Vec::new();
    let mut offset = 0;
    for (g, n) in reader.row_group_rows().into_iter().enumerate() {
        match slices.last_mut() {
            Some(last) if last.rows + n <= SLICE_ROWS => {
                last.rows += n;
                last.groups.end = g + 1;
            }
            _ => slices.push(Slice {
                offset,
                rows: n,
                groups: g..g + 1,
            }),
        }
        offset += n;
    }
    slices
}

/// What reading a Parquet file's slices needs.
struct SliceReader<'a> {
    /// The file's key columns, when they may be read as codes (each thread reopens it).
    keys: Option<&'a KeyReader>,
    lf: &'a LazyFrame,
    schema: &'a Schema,
    names: &'a [&'a str],
    roles: &'a Roles,
    formats: (Option<usize>, Option<usize>),
    file: &'a str,
}

impl SliceReader<'_> {
    /// Adds slices to `groups` until none is left, each time the next one no thread has taken
    /// (`next`, shared by the reading threads), each a part of its own; true when a slice's EC2
    /// hours could not be summed (its columns were grouped by the polars query).
    fn add_slices(
        &self,
        groups: &mut groups::Groups,
        slices: &[Slice],
        next: &AtomicUsize,
    ) -> Result<bool, UsageError> {
        let mut keys = self.keys.and_then(KeyReader::reopen);
        let mut dropped = false;
        while let Some(slice) = slices.get(next.fetch_add(1, Ordering::Relaxed)) {
            groups.begin_part();
            dropped |= self.add_slice(groups, keys.as_mut(), slice)?;
        }
        Ok(dropped)
    }

    /// Adds one slice: its key columns as codes with its times and quantities from polars, else
    /// all its columns from polars (`Groups::add_rows`), else grouped by the polars query (true).
    fn add_slice(
        &self,
        groups: &mut groups::Groups,
        keys: Option<&mut KeyReader>,
        slice: &Slice,
    ) -> Result<bool, UsageError> {
        let (schema, names, file) = (self.schema, self.names, self.file);
        let text_times = self.formats == (Some(RFC3339_UTC), Some(RFC3339_UTC));
        let read = |columns: Vec<Expr>| {
            self.lf
                .clone()
                .slice(slice.offset as i64, slice.rows as IdxSize)
                .select(columns)
                .collect_with_engine(Engine::Streaming)
                .map_err(|e| unreadable(file, e))
                .map(|df| df.unwrap_single())
        };
        // Typed times in milliseconds, as the per-row path casts them.
        let numbers = || -> Vec<Expr> {
            self.roles
                .numbers()
                .into_iter()
                .map(|c| match schema.get(c) {
                    Some(DataType::Datetime(unit, tz)) if *unit != TimeUnit::Milliseconds => {
                        col(c).cast(DataType::Datetime(TimeUnit::Milliseconds, tz.clone()))
                    }
                    _ => col(c),
                })
                .collect()
        };
        let mut keys = keys;
        if let Some(reader) = keys.as_deref_mut()
            && self.add_paged(groups, reader, slice)?
        {
            return Ok(false);
        }
        if let Some(codes) = keys.and_then(|k| k.read(slice.groups.clone(), names)) {
            let df = read(numbers())?;
            if groups
                .add_coded(&df, codes, self.roles, text_times)
                .is_some()
            {
                return Ok(false);
            }
        }
        let mut needed = numbers();
        needed.extend(key_columns(names));
        let df = read(needed)?;
        if groups
            .add_rows(&df, names, self.roles, 0..df.height(), text_times)
            .is_some()
        {
            return Ok(false);
        }
        // Columns of types `add_rows` does not read: the polars query groups the slice, and
        // `hourly_ec2` sums the EC2 hours with its own query.
        groups.drop_hours();
        let (start_format, end_format) = self.formats;
        let grouped = grouped_plan(
            &df.lazy(),
            schema,
            names,
            self.roles,
            start_format,
            end_format,
        )
        .collect()
        .map_err(|e| unreadable(file, e))?;
        add_grouped(groups, &grouped, names, file)?;
        Ok(true)
    }
}

impl SliceReader<'_> {
    /// Adds a slice whose row groups' columns are all dictionary-encoded, read a window of rows
    /// at a time (`groups::PagedGroup`); false, before any row is added, when a row group is
    /// not so or a column is of a type not read so.
    fn add_paged(
        &self,
        groups: &mut groups::Groups,
        reader: &mut KeyReader,
        slice: &Slice,
    ) -> Result<bool, UsageError> {
        let numbers = self.roles.numbers();
        let Some(types) = numbers
            .iter()
            .map(|c| self.schema.get(c))
            .collect::<Option<Vec<_>>>()
        else {
            return Ok(false);
        };
        let mut columns = self.names.to_vec();
        columns.extend(numbers);
        let Some(pages) = slice
            .groups
            .clone()
            .map(|g| reader.read_pages(g, &columns, self.names.len()))
            .collect::<Option<Vec<_>>>()
        else {
            return Ok(false);
        };
        let text_times = self.formats == (Some(RFC3339_UTC), Some(RFC3339_UTC));
        let Some(paged) = pages
            .iter()
            .map(|p| groups::PagedGroup::new(p, &types, text_times))
            .collect::<Option<Vec<_>>>()
        else {
            return Ok(false);
        };
        for (g, group) in slice.groups.clone().zip(&paged) {
            groups.add_paged(group).map_err(|c| {
                let column = columns.get(c).copied().unwrap_or_default();
                unreadable(
                    self.file,
                    format!(
                        "row group {g}, column `{column}`: a data page does not decode (cut \
                         short, or a dictionary position out of range)"
                    ),
                )
            })?;
        }
        Ok(true)
    }
}

/// The key columns present in the file, by name.
fn key_names(schema: &Schema) -> Vec<&'static str> {
    OWN_KEY_COLUMNS
        .iter()
        .copied()
        .filter(|c| schema.contains(c))
        .collect()
}

/// The first pass as a polars query: the rows grouped by day and raw key columns.
fn grouped_plan(
    lf: &LazyFrame,
    schema: &Schema,
    names: &[&str],
    roles: &Roles,
    start_format: Option<usize>,
    end_format: Option<usize>,
) -> LazyFrame {
    let keys = key_columns(names);

    let mut select = vec![
        timestamp_as(schema, &roles.start, start_format).alias("start"),
        timestamp_as(schema, &roles.end, end_format).alias("end"),
        raw_quantity(schema, &roles.quantity).alias("q"),
    ];
    if let Some(cost) = &roles.cost {
        select.push(raw_quantity(schema, cost).alias("cost"));
    }
    // A quantity with text that is not a number (`Groups::unparsed`).
    select.push(
        col(roles.quantity.as_str())
            .is_not_null()
            .and(raw_quantity(schema, &roles.quantity).is_null())
            .cast(DataType::UInt32)
            .alias("unparsed"),
    );
    select.extend(keys.iter().cloned());
    // The per-row tests of the reason chain, all at once: a group with any failing row takes the
    // per-row path, which gives each row its own reason.
    let (start, end, q) = (col("start"), col("end"), col("q"));
    let mut bad = start
        .clone()
        .is_null()
        .or(end.clone().is_null())
        .or(end.clone().lt_eq(start.clone()))
        .or(
            (end.cast(DataType::Int64) - start.clone().cast(DataType::Int64))
                .gt(lit(MAX_PERIOD_MS)),
        )
        .or(q.clone().is_null())
        .or(q.clone().lt(lit(0)));
    let mut sums = vec![
        len().alias("rows"),
        q.clone().sum().alias("q"),
        q.clone().min().alias("q_min"),
        q.max().alias("q_max"),
        col("bad").sum().alias("bad"),
        col("unparsed").sum().alias("unparsed"),
    ];
    if roles.cost.is_some() {
        bad = bad.or(col("cost").is_null());
        sums.push(col("cost").sum().alias("cost"));
    }
    let bad = bad.fill_null(lit(true));
    let mut by = vec![start.dt().truncate(lit("1d")).alias("day")];
    by.extend(keys);
    lf.clone()
        .select(select)
        .with_column(bad.cast(DataType::UInt32).alias("bad"))
        .group_by(by)
        .agg(sums)
}

/// Validates and prices the groups (the second half of the module doc): the combinations of raw
/// key values but the resource id (a few hundred) are canonicalized and checked, the series (one
/// per combination of raw key values, a few thousand) take their combination's results, and the
/// days (one per series and day, a few hundred thousand) are only summed.
fn classify(
    groups::SeriesFrames {
        series,
        combos,
        days,
        hourly,
    }: groups::SeriesFrames,
    start_format: Option<usize>,
    catalog: &Catalog,
    file: &str,
    pass: &FirstPass,
) -> Result<Aggregated, UsageError> {
    let failed = |e: PolarsError| unreadable(file, e);
    let n = combos.height();
    let billing = pass.billing.is_some();
    let combos = combination_checks(combos, catalog, pass.billing).map_err(failed)?;
    // Each series with its combination's row, and its own canonical resource id.
    let s_schema = series.schema().clone();
    let mut own = vec![col("sid"), col("bad"), col("q_min"), col("uneven")];
    if hourly.is_some() {
        own.push(col("hourly"));
    }
    if billing {
        own.push(col("cost"));
    }
    own.extend([
        col("combo"),
        text(&s_schema, "resource_id").alias("resource_id"),
    ]);
    let mut classified = series.lazy().select(own).collect().map_err(failed)?;
    let rows = {
        let combo = classified
            .column("combo")
            .and_then(Column::u32)
            .map_err(failed)?;
        let id = classified
            .column("resource_id")
            .and_then(Column::str)
            .map_err(failed)?;
        // Each series' row: its combination's, in the second half when it has no id.
        let rows = combo.iter().zip(id.iter()).map(|(c, id)| {
            let row = (c? as usize).checked_add(if id.is_none() { n } else { 0 })?;
            (row < combos.height()).then(|| IdxSize::try_from(row).ok())?
        });
        IdxCa::from_vec(
            "row".into(),
            rows.collect::<Option<Vec<IdxSize>>>()
                .ok_or_else(|| unreadable(file, "a series without its key columns"))?,
        )
    };
    // The combinations numbered by their canonical key but the resource id (`KEY_NO`): two
    // series have one canonical key when their ids and these numbers are equal.
    let other_keys: Vec<&str> = USAGE_KEY
        .iter()
        .copied()
        .filter(|c| *c != "resource_id")
        .collect();
    let (key_nos, _) = canonical_ids(&combos, &other_keys).map_err(failed)?;
    let mut combos = combos;
    combos
        .with_column(Column::new(KEY_NO.into(), key_nos))
        .map_err(failed)?;
    // Only the columns read below: whether a series needs its rows, and the key of those that
    // do not.
    let mut used: Vec<&str> = [REASON, "volume_type", KEY_NO]
        .into_iter()
        .chain(other_keys)
        .collect();
    if billing {
        used.extend(["line_type", IDLE]);
    }
    let of_combo = combos
        .select(used)
        .and_then(|c| c.take(&rows))
        .map_err(failed)?;
    classified = classified
        .drop("combo")
        .and_then(|df| df.hstack(of_combo.columns()))
        .map_err(failed)?;
    // Over the series' days: a bad row, a Linux row under 60 seconds, a Windows day of rows of
    // different lengths, or gp3 IOPS or throughput.
    let svc = |name: &str| col("service").eq(lit(name));
    let ec2_os = |os: &str| svc("ec2").and(col("os").eq(lit(os)));
    // A billing file's charges, idle addresses and usage without a resource id are summed by
    // the per-row path (they are few, and it keeps what they need: the charge's period, the
    // address-hours, the usage type as the resource). Its EC2 hours are as AWS billed them: no
    // minimum per run, no started hours.
    let by_layout = if billing {
        col("line_type")
            .neq(lit("usage"))
            .or(col(IDLE).is_not_null())
            .or(col("resource_id").is_null())
    } else {
        ec2_os("linux")
            .and(col("q_min").lt(lit(60)))
            .or(ec2_os("windows").and(col("uneven")))
    };
    let needs_rows = col("bad")
        .or(by_layout)
        .or(col(REASON).is_not_null())
        .or(svc("ebs")
            .and(col("volume_type").eq(lit("gp3")))
            .and(one_of(
                col("usage_type"),
                &["volume-iops-hours", "volume-throughput-hours"],
            )))
        .fill_null(lit(true));
    let classified = classified
        .lazy()
        .with_column(needs_rows.alias("slow"))
        .collect_with_engine(Engine::InMemory)
        .map_err(failed)?
        .unwrap_single();
    // A resource is slow when one of its series needs its rows (resources without an id are one
    // resource, as polars' `over` groups them): found here in one pass over the series, with the
    // slow ids, whether the resource without an id is slow, and whether a slow series has EC2
    // hours summed.
    let (slow_flags, slow, slow_null, slow_hours) = {
        let needs = classified
            .column("slow")
            .and_then(Column::bool)
            .map_err(failed)?;
        let ids = classified
            .column("resource_id")
            .and_then(Column::str)
            .map_err(failed)?;
        let mut slow_of: HashMap<Option<&str>, bool, foldhash::fast::FixedState> =
            HashMap::default();
        for (id, needs) in ids.iter().zip(needs.iter()) {
            *slow_of.entry(id).or_default() |= needs.unwrap_or(true);
        }
        let flags: Vec<bool> = ids
            .iter()
            .map(|id| slow_of.get(&id).copied().unwrap_or(true))
            .collect();
        let slow_hours = match classified.column("hourly") {
            Ok(hourly) => {
                let hourly = hourly.bool().map_err(failed)?;
                flags
                    .iter()
                    .zip(hourly.iter())
                    .any(|(&slow, h)| slow && h == Some(true))
            }
            Err(_) => false,
        };
        let slow_null = slow_of.get(&None).copied().unwrap_or(false);
        let mut slow: Vec<String> = slow_of
            .into_iter()
            .filter_map(|(id, slow)| id.filter(|_| slow).map(str::to_string))
            .collect();
        slow.sort_unstable();
        (flags, slow, slow_null, slow_hours)
    };
    let mut classified = classified;
    classified
        .with_column(Column::new("slow".into(), slow_flags))
        .map_err(failed)?;
    // The EC2 hours summed in the first pass hold no row of a slow resource, or are dropped (see
    // `ec2_hours.rs`).
    let hourly = hourly.filter(|_| !slow_hours);

    // Whole resources are on one path or the other, so the priced groups never meet the per-row
    // path's: summing by canonical key only merges spellings of one key (` EC2 ` and `ec2`). The
    // series priced from sums are numbered by canonical key (`cid`); their days are summed by day
    // and that number, and the key's columns joined back.
    let mut fast_columns = vec![col("sid")];
    fast_columns.extend(USAGE_KEY.iter().map(|c| col(*c)));
    // Windows bills started hours (this project's format); a billing file's EC2 usage is in
    // hours, counted here in seconds as the per-row path counts it.
    let (windows, hours) = if billing {
        (lit(false), svc("ec2").fill_null(lit(false)))
    } else {
        (ec2_os("windows").fill_null(lit(false)), lit(false))
    };
    fast_columns.push(windows.alias("windows"));
    fast_columns.push(hours.alias("hours"));
    fast_columns.push(col(KEY_NO));
    if billing {
        fast_columns.push(col("cost"));
    }
    let fast = classified
        .lazy()
        .filter(col("slow").not())
        .select(fast_columns)
        .collect()
        .map_err(|e| unreadable(file, e))?;
    let billed = if billing {
        billed_by_service(&fast).ok_or_else(|| unreadable(file, "a billed cost out of range"))?
    } else {
        Vec::new()
    };
    let (cids, firsts) = numbered_keys(&fast).map_err(failed)?;
    let days = fast_days(&fast, &cids, &firsts, &days)
        .ok_or_else(|| unreadable(file, "a sum out of range, or unexpected column types"))?;
    Ok(Aggregated {
        days,
        slow,
        slow_null,
        start_format,
        hourly,
        resource: pass.roles.resource.clone(),
        billed,
    })
}

/// The billed cost of the series priced from sums (`cost`), by service.
fn billed_by_service(fast: &DataFrame) -> Option<Vec<(String, Decimal)>> {
    let service = fast.column("service").ok()?.str().ok()?;
    let cost = fast.column("cost").ok()?.decimal().ok()?;
    let scale = cost.scale() as u32;
    let mut sums: Vec<(String, i128)> = Vec::new();
    for (s, c) in service.iter().zip(cost.physical().iter()) {
        let s = s.unwrap_or_default();
        let c = c.unwrap_or(0);
        match sums.iter_mut().find(|(name, _)| name == s) {
            Some((_, sum)) => *sum = sum.checked_add(c)?,
            None => sums.push((s.to_string(), c)),
        }
    }
    Some(
        sums.into_iter()
            .map(|(s, sum)| (s, to_decimal(sum, scale)))
            .collect(),
    )
}

/// The days of the series priced from sums, summed by day and canonical key, as resource-days.
/// `fast` has the series (`sid`, the `USAGE_KEY`
/// columns, `windows`), `cids` numbers them by canonical key and `firsts` is the first series
/// of each number. `days` may hold a series' day in two parts (the rows each reading thread
/// summed, see `groups::Groups`); they are summed here. A Windows day's part bills its rows'
/// started hours (`read::windows_billable`) at the part's least quantity: a Windows series is
/// priced from sums only when each part's rows are alike, which makes that exact.
/// `None` when a sum overflows or a column has another type.
fn fast_days(
    fast: &DataFrame,
    cids: &[u32],
    firsts: &[IdxSize],
    days: &groups::Days,
) -> Option<Vec<ResourceDay>> {
    let sids = fast.column("sid").ok()?.u32().ok()?;
    let windows = fast.column("windows").ok()?.bool().ok()?;
    let hours = fast.column("hours").ok()?.bool().ok()?;
    let texts = USAGE_KEY
        .iter()
        .map(|c| Some(fast.column(c).ok()?.str().ok()?.rechunk().into_owned()))
        .collect::<Option<Vec<StringChunked>>>()?;
    // Each canonical key's resource-day (its day and sums are set per day), and its rank in the
    // order of `read::sort_days` (resource id, then key): the days are made in that order, which
    // sorting them then only has to check.
    let template = |cid: usize| {
        let row = firsts[cid] as usize;
        let texts: [Option<&str>; 8] = std::array::from_fn(|c| texts[c].get(row));
        resource_day(None, texts, Decimal::ZERO, Decimal::ZERO, 0)
    };
    use rayon::prelude::*;
    let templates: Vec<ResourceDay> = (0..firsts.len()).into_par_iter().map(template).collect();
    let mut by_rank: Vec<u32> = (0..templates.len() as u32).collect();
    by_rank.par_sort_unstable_by(|&a, &b| {
        let (a, b) = (&templates[a as usize], &templates[b as usize]);
        (&a.resource_id, &a.key).cmp(&(&b.resource_id, &b.key))
    });
    let mut rank = vec![0u32; templates.len()];
    for (r, &cid) in by_rank.iter().enumerate() {
        rank[cid as usize] = r as u32;
    }
    // The templates made again in rank order, which allocates their keys in that order: each
    // day's resource-days are made in rank order, and reading their keys (here and when the
    // bill's rows are made from them) then walks memory in order instead of jumping about.
    // (On all threads: each makes a stretch of ranks, in order.)
    let templates: Vec<ResourceDay> = by_rank
        .par_iter()
        .map(|&cid| template(cid as usize))
        .collect();
    // The days of the series priced from sums (those of slow resources are not in `fast`), in
    // order of (day, rank): each day's (rank, quantity and billable quantity at `SCALE` places,
    // rows), taken in the order the days are stored (which keeps the reads in order: the days
    // of a day are mostly together), then each day's sorted by rank and summed by rank.
    // Each series' rank and whether it is Windows (`None`: a slow resource's).
    // (A day of a series not in `fast`, a slow resource's, is out of range or `None`.)
    let n_sids = sids.iter().flatten().max().map_or(0, |s| s as usize + 1);
    let mut rank_of: Vec<Option<(u32, Billable)>> = vec![None; n_sids];
    for (((sid, windows), hours), &cid) in
        sids.iter().zip(windows.iter()).zip(hours.iter()).zip(cids)
    {
        let billable = match (windows, hours) {
            (Some(true), _) => Billable::StartedHours,
            (_, Some(true)) => Billable::Hours,
            _ => Billable::Quantity,
        };
        if let Some(r) = rank_of.get_mut(sid? as usize) {
            *r = Some((*rank.get(cid as usize)?, billable));
        }
    }
    type Buckets = Vec<(Option<i64>, Vec<DayEntry>)>;
    let threads = rayon::current_num_threads();
    let series = rank_of.iter().filter(|r| r.is_some()).count();
    // The stored days shared out among the threads in equal stretches, each stretch's entries
    // put by day in the order they are stored.
    let parts: Vec<Option<Buckets>> = days
        .split(threads)
        .par_iter()
        .map(|stretch| {
            let mut buckets: Buckets = Vec::new();
            let mut last: Option<(Option<i64>, usize)> = None;
            for d in stretch.iter().flat_map(|chunk| chunk.iter()) {
                // A slow resource's series.
                let Some((r, how)) = rank_of.get(d.sid as usize).copied().flatten() else {
                    continue;
                };
                let (q, billable) = match how {
                    Billable::StartedHours => (
                        d.q(),
                        match d.q_min() {
                            Some(q) => started_hours_of(q)
                                .checked_mul(3600 * ONE)?
                                .checked_mul(i128::from(d.rows()))?,
                            // As polars sums a null: nothing.
                            None => 0,
                        },
                    ),
                    Billable::Hours => {
                        let seconds = d.q().checked_mul(3600)?;
                        (seconds, seconds)
                    }
                    Billable::Quantity => (d.q(), d.q()),
                };
                let b = match last {
                    Some((day, b)) if day == d.day() => b,
                    _ => {
                        let b = match buckets.iter().position(|(day, _)| *day == d.day()) {
                            Some(b) => b,
                            None => {
                                // Room for as many entries as the fullest day so far (at first,
                                // one per series priced from sums): days are alike in size, and
                                // a vector grown a push at a time copies its entries and writes
                                // fresh memory at each doubling.
                                let room = buckets.iter().map(|(_, e)| e.len()).max();
                                let room = room.unwrap_or(series.div_ceil(threads));
                                buckets.push((d.day(), Vec::with_capacity(room)));
                                buckets.len() - 1
                            }
                        };
                        last = Some((d.day(), b));
                        b
                    }
                };
                buckets[b].1.push((r, q, billable, d.rows()));
            }
            Some(buckets)
        })
        .collect();
    // Each day's parts: one where a single stretch holds the day, more where a day's days were
    // stored in more than one stretch (the two reading threads each read part of it, say).
    let mut buckets: Vec<(Option<i64>, Vec<Vec<DayEntry>>)> = Vec::new();
    for part in parts {
        for (day, entries) in part? {
            match buckets.iter_mut().find(|(d, _)| *d == day) {
                Some((_, parts)) => parts.push(entries),
                None => buckets.push((day, vec![entries])),
            }
        }
    }
    // Each day's entries in order of rank, and their runs of one rank (a resource-day each),
    // the days shared out among the threads in stretches of consecutive days. A file's days
    // mostly list their series alike (each hour's rows name the resources in the same order),
    // so the orders a thread found for the days before (a few: the days each reading thread
    // parked differ) are tried first: when a part of a day has its ranks in the same sequence as
    // one's, its entries are put in that order without sorting. The parts of a day, each in
    // order, are then merged.
    buckets.sort_unstable_by_key(|(day, _)| *day);
    let days_per_thread = buckets.len().div_ceil(rayon::current_num_threads()).max(1);
    let day_runs: Vec<Option<Vec<(u32, u32)>>> = buckets
        .par_chunks_mut(days_per_thread)
        .flat_map_iter(|stretch| {
            const ORDERS: usize = 8;
            let mut orders: Vec<(Vec<u32>, Vec<u32>)> = Vec::new();
            // The entries in order, written into the vector of the day before (the days are
            // alike in size: no fresh memory per day).
            let mut sorted: Vec<DayEntry> = Vec::new();
            let mut out = Vec::with_capacity(stretch.len());
            for (_, parts) in stretch.iter_mut() {
                let mut fits = true;
                for entries in parts.iter_mut() {
                    let alike = |ranks: &Vec<u32>| {
                        ranks.len() == entries.len()
                            && ranks.iter().zip(&*entries).all(|(r, e)| *r == e.0)
                    };
                    let o = match orders.iter().position(|(ranks, _)| alike(ranks)) {
                        Some(o) => o,
                        None => {
                            let ranks: Vec<u32> = entries.iter().map(|e| e.0).collect();
                            let Ok(n) = u32::try_from(entries.len()) else {
                                fits = false;
                                break;
                            };
                            let mut perm: Vec<u32> = (0..n).collect();
                            perm.sort_unstable_by_key(|&i| ranks[i as usize]);
                            if orders.len() == ORDERS {
                                orders.remove(0);
                            }
                            orders.push((ranks, perm));
                            orders.len() - 1
                        }
                    };
                    sorted.clear();
                    sorted.extend(orders[o].1.iter().map(|&i| entries[i as usize]));
                    std::mem::swap(entries, &mut sorted);
                }
                if !fits {
                    out.push(None);
                    continue;
                }
                while parts.len() > 1 {
                    let (Some(b), Some(a)) = (parts.pop(), parts.pop()) else {
                        break;
                    };
                    parts.push(merge_by_rank(a, b));
                }
                let entries = parts.first().map_or(&[][..], |e| &e[..]);
                out.push(runs_of(entries, templates.len()));
            }
            out
        })
        .collect();
    // Each (day, rank) run of entries is a resource-day: made on all threads, in order,
    // straight into the vector (making them is mostly writing tens of megabytes of fresh memory
    // on a big file).
    let mut runs: Vec<(u32, u32, u32)> = Vec::with_capacity(days.len());
    for (b, day) in day_runs.into_iter().enumerate() {
        let b = u32::try_from(b).ok()?;
        runs.extend(day?.into_iter().map(|(from, to)| (b, from, to)));
    }
    let mut out = Vec::with_capacity(runs.len());
    out.par_extend(runs.par_iter().map_init(
        // Most days repeat a few sums (a whole day of an instance is 86,400 seconds): each is
        // converted once per thread.
        HashMap::<i128, Decimal, foldhash::fast::FixedState>::default,
        |decimals, &(b, from, to)| {
            let mut decimal = |m: i128| -> Decimal {
                *decimals
                    .entry(m)
                    .or_insert_with(|| to_decimal(m, SCALE as u32))
            };
            let (day, parts) = &buckets[b as usize];
            // Merged above: one part.
            let run = &parts[0][from as usize..to as usize];
            // Checked above: the sums fit, the template is there.
            let (mut q, mut billable, mut n) = (0i128, 0i128, 0u64);
            for &(_, dq, db, dn) in run {
                q += dq;
                billable += db;
                n += dn;
            }
            let mut d = templates[run[0].0 as usize].clone();
            d.day = day_of(*day);
            d.quantity = decimal(q);
            d.billable = decimal(billable);
            d.rows = n;
            d
        },
    ));
    Some(out)
}

/// How a series' billable quantity follows from its sums.
#[derive(Clone, Copy)]
enum Billable {
    /// The quantity itself.
    Quantity,
    /// Windows EC2: each row's started hours (`read::windows_billable`).
    StartedHours,
    /// A billing file's EC2 hours, as seconds (quantity and billable alike).
    Hours,
}

/// A resource-day's part as `fast_days` sums it: the canonical key's rank, the quantity and the
/// billable quantity (at `SCALE` places), and the rows.
type DayEntry = (u32, i128, i128, u64);

/// Two vectors of entries in order of rank (their first field) merged into one in that order
/// (entries of one rank from `a` first).
fn merge_by_rank(a: Vec<DayEntry>, b: Vec<DayEntry>) -> Vec<DayEntry> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if b[j].0 < a[i].0 {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// The runs of one rank in a day's entries sorted by rank, as (from, to); `None` when a run's
/// sums overflow or its rank is not below `ranks`.
fn runs_of(entries: &[DayEntry], ranks: usize) -> Option<Vec<(u32, u32)>> {
    let mut runs = Vec::new();
    let mut from = 0;
    for run in entries.chunk_by(|a, b| a.0 == b.0) {
        let (mut q, mut billable, mut n) = (0i128, 0i128, 0u64);
        for &(_, dq, db, dn) in run {
            q = q.checked_add(dq)?;
            billable = billable.checked_add(db)?;
            n = n.checked_add(dn)?;
        }
        if run[0].0 as usize >= ranks {
            return None;
        }
        let to = from + run.len();
        runs.push((u32::try_from(from).ok()?, u32::try_from(to).ok()?));
        from = to;
    }
    Some(runs)
}

/// Numbers the rows of `df` by their values in `columns` (text; nulls equal): each row's number,
/// and the first row of each number.
fn canonical_ids(df: &DataFrame, columns: &[&str]) -> PolarsResult<(Vec<u32>, Vec<IdxSize>)> {
    let cols = columns
        .iter()
        .map(|c| Ok(df.column(c)?.str()?.rechunk().into_owned()))
        .collect::<PolarsResult<Vec<StringChunked>>>()?;
    let mut iters: Vec<_> = cols.iter().map(|c| c.iter()).collect();
    number_rows((0..df.height()).map(|_| {
        iters
            .iter_mut()
            .map(|it| it.next().flatten())
            .collect::<Vec<Option<&str>>>()
    }))
}

/// Numbers the series of `df` by their canonical key, as `canonical_ids` over `USAGE_KEY` would:
/// by their `resource_id` and `KEY_NO` (the number of the rest of the key). Each series' number,
/// and the first series of each number.
fn numbered_keys(df: &DataFrame) -> PolarsResult<(Vec<u32>, Vec<IdxSize>)> {
    let ids = df.column("resource_id")?.str()?.rechunk();
    let nos = df.column(KEY_NO)?.u32()?.rechunk();
    number_rows(ids.iter().zip(nos.iter()))
}

/// Numbers rows by their keys, in the order each key first comes: each row's number, and the
/// first row of each number.
fn number_rows<K: std::hash::Hash + Eq>(
    keys: impl Iterator<Item = K>,
) -> PolarsResult<(Vec<u32>, Vec<IdxSize>)> {
    let mut numbers: HashMap<K, u32, foldhash::fast::FixedState> = HashMap::default();
    let (mut out, mut firsts) = (Vec::with_capacity(keys.size_hint().0), Vec::new());
    for (row, key) in keys.enumerate() {
        let next = u32::try_from(numbers.len())
            .map_err(|_| polars_err!(ComputeError: "more than {} keys", u32::MAX))?;
        let number = *numbers.entry(key).or_insert_with(|| {
            firsts.push(row as IdxSize);
            next
        });
        out.push(number);
    }
    Ok((out, firsts))
}

/// The column of `classify`'s series that numbers their canonical key but the resource id.
const KEY_NO: &str = "key_no";

/// EC2 usage by clock hour of the resources priced from sums, as `read::hourly` takes it.
pub(crate) enum Ec2Hours<'a> {
    /// Hour-sums with canonical columns (`start`, the key columns, `billable`).
    Rows(Box<LazyFrame>),
    /// The classes of the first pass with canonical columns (one row per class, in class order),
    /// and their hour-sums.
    Classes(DataFrame, &'a [HourSum]),
}

/// EC2 usage by clock hour of the resources priced from sums, for commitments and hourly spot
/// prices: summed in the first pass (`ec2_hours.rs`; the few hundred classes are made canonical,
/// not the hour-sums), or else one more pass over the file, grouped by hour and the raw columns of
/// the price (and the instance, for spot), then canonicalized.
pub(crate) fn hourly_ec2<'a>(
    lf: &LazyFrame,
    schema: &Schema,
    agg: &'a Aggregated,
    file: &str,
) -> Result<Ec2Hours<'a>, UsageError> {
    if let Some(h) = &agg.hourly {
        let classes = canonical_ec2(&h.classes, vec![])
            .collect()
            .map_err(|e| unreadable(file, e))?;
        return Ok(Ec2Hours::Classes(classes, &h.sums));
    }
    let grouped = hourly_query(lf, schema, agg.start_format, Some(agg))
        .collect_with_engine(Engine::Streaming)
        .map_err(|e| unreadable(file, e))?
        .unwrap_single();
    let billable = when(col("os").eq(lit("windows")))
        .then((col("started_hours") * lit(3600i64)).cast(decimal_type()))
        .otherwise(col("q"))
        .cast(decimal_type());
    let keep = vec![col("hour").alias("start"), col("q"), col("started_hours")];
    Ok(Ec2Hours::Rows(Box::new(
        canonical_ec2(&grouped, keep).with_column(billable.alias("billable")),
    )))
}

/// EC2 hours or classes (`rid` and the raw `HOURLY_KEYS` present) with the canonical key columns
/// `read::hourly` reads, and the columns `keep`.
fn canonical_ec2(raw: &DataFrame, keep: Vec<Expr>) -> LazyFrame {
    let mut canonical = keep;
    canonical.push(col("rid"));
    canonical.extend(own_key_columns(raw.schema()));
    raw.clone()
        .lazy()
        .select(canonical)
        // Every one is EC2; spot usage keeps its instance, on-demand usage none.
        .with_columns([lit("ec2").alias("service"), col("rid").alias("resource_id")])
        .with_column(price_attr().alias("attr"))
}

/// The query that sums EC2 usage by clock hour (columns `hour`, `rid`, `q`, `started_hours` and
/// the raw `HOURLY_KEYS` present), leaving out the per-row path's resources when `agg` says which.
fn hourly_query(
    lf: &LazyFrame,
    schema: &Schema,
    start_format: Option<usize>,
    agg: Option<&Aggregated>,
) -> LazyFrame {
    let id = text(schema, "resource_id");
    let mut fast_rows = id.clone().is_not_null();
    if let Some(agg) = agg.filter(|a| !a.slow.is_empty()) {
        fast_rows = fast_rows.and(agg.is_slow(id.clone()).not());
    }
    let spot = lower(schema, "purchase_option")
        .fill_null(lit("on-demand"))
        .eq(lit("spot"));
    let raw_keys: Vec<Expr> = HOURLY_KEYS
        .iter()
        .filter(|c| schema.contains(c))
        .map(|c| col(*c))
        .collect();
    let mut select = vec![
        timestamp_as(schema, "usage_start", start_format)
            .dt()
            .truncate(lit("1h"))
            .alias("hour"),
        when(spot).then(id).otherwise(lit("")).alias("rid"),
        raw_quantity(schema, "quantity").alias("q"),
    ];
    select.extend(raw_keys.iter().cloned());
    let mut by = vec![col("hour"), col("rid")];
    by.extend(raw_keys);
    // Windows bills each row's started hours: counted per row, as the per-row path does.
    let started_hours = started_hours(col("q"));
    lf.clone()
        .filter(fast_rows.and(lower(schema, "service").eq(lit("ec2"))))
        .select(select)
        .with_column(started_hours.alias("started_hours"))
        .group_by(by)
        .agg([
            col("q").sum().alias("q"),
            col("started_hours").sum().alias("started_hours"),
        ])
}

#[cfg(test)]
mod merge_tests {
    #[test]
    fn parts_of_a_day_merge_in_order_of_rank_first_part_first() {
        let a = vec![(1, 10, 10, 1), (3, 30, 30, 1), (5, 50, 50, 1)];
        let b = vec![(0, 0, 0, 2), (3, 31, 31, 2), (6, 60, 60, 2)];
        let merged = super::merge_by_rank(a, b);
        let keys: Vec<(u32, i128)> = merged.iter().map(|e| (e.0, e.1)).collect();
        assert_eq!(keys, [(0, 0), (1, 10), (3, 30), (3, 31), (5, 50), (6, 60)]);
        assert_eq!(
            super::runs_of(&merged, 7).unwrap(),
            [(0, 1), (1, 2), (2, 4), (4, 5), (5, 6)]
        );
        // A rank without a template.
        assert!(super::runs_of(&merged, 6).is_none());
        // Sums that overflow.
        assert!(super::runs_of(&[(0, i128::MAX, 0, 1), (0, 1, 0, 1)], 1).is_none());
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// `classify` checks each combination of key values but the resource id, with an id (an
    /// empty one) and without: the key tests may read the canonical key columns, the price
    /// attribute and key, and the resource id (whether it is null), nothing of a series' own.
    #[test]
    fn the_key_tests_read_only_what_classify_checks_them_on() {
        use polars::prelude::IntoLazy;
        let catalog = Catalog::embedded().unwrap();
        let reason = super::reason_of(super::checks(&catalog), true);
        let schema: polars::prelude::Schema = super::OWN_KEY_COLUMNS
            .iter()
            .map(|c| ((*c).into(), polars::prelude::DataType::String))
            .collect();
        let mut allowed: Vec<String> = polars::prelude::DataFrame::empty_with_schema(&schema)
            .lazy()
            .select(super::own_key_columns(&schema))
            .collect_schema()
            .unwrap()
            .iter_names()
            .map(|n| n.to_string())
            .collect();
        allowed.push("attr".into());
        let read = polars_plan::utils::expr_to_leaf_column_names(&reason);
        assert!(read.iter().any(|c| c.as_str() == "service"), "{read:?}");
        for column in read {
            assert!(
                allowed.iter().any(|a| a == column.as_str()),
                "the key tests read `{column}`, which classify does not check them on"
            );
        }
    }

    use super::super::layouts::Layout;
    use super::super::read::read_usage_with;
    use super::super::{ReadOptions, UsageRead};
    use crate::catalog::Catalog;

    const HEADER: &str = "usage_start,usage_end,region,availability_zone,service,usage_type,resource_id,quantity,instance_type,os,purchase_option,volume_type,storage_class,architecture,destination_region\n";

    /// Rows of every kind the fast path must hand to the per-row path, or price exactly as it would.
    fn tricky_rows() -> String {
        let mut body = HEADER.to_string();
        let hour = |d: u32, h: u32| format!("2026-10-{d:02}T{h:02}:00:00Z");
        for d in 1..=3 {
            for h in 0..24 {
                let (s, e) = (
                    hour(d, h),
                    if h == 23 {
                        hour(d + 1, 0)
                    } else {
                        hour(d, h + 1)
                    },
                );
                // Clean whole hours, on-demand and spot, two regions.
                body += &format!(
                    "{s},{e},us-east-1,us-east-1a,ec2,instance-seconds,i-clean,3600,m5.large,linux,on-demand,,,,\n"
                );
                body += &format!(
                    "{s},{e},ap-northeast-2,,ec2,instance-seconds,i-seoul,3600,m5.large,,,,,,\n"
                );
                body += &format!(
                    "{s},{e},us-east-1,us-east-1b,ec2,instance-seconds,i-spot,3600,m5.large,linux,spot,,,,\n"
                );
                // Spellings that canonicalize to the same key.
                body += &format!(
                    "{s},{e}, us-east-1 ,US-EAST-1A, EC2 ,Instance-Seconds, i-spaced ,3600, m5.large ,Linux,On-Demand,,,,\n"
                );
                // Windows: uniform hours, and partial hours (counted per row).
                body += &format!(
                    "{s},{e},us-east-1,,ec2,instance-seconds,i-win,3600,t3.medium,windows,on-demand,,,,\n"
                );
                body += &format!(
                    "{s},{e},us-east-1,,ec2,instance-seconds,i-win-part,{},t3.medium,windows,on-demand,,,,\n",
                    600 + h * 100
                );
                // Storage, transfer, gp3 IOPS above and below what is included.
                body += &format!("{s},{e},us-east-1,,ebs,volume-gb-hours,vol-1,100,,,,gp3,,,\n");
                body += &format!(
                    "{s},{e},us-east-1,,ebs,volume-iops-hours,vol-1,{},,,,gp3,,,\n",
                    2000 + h * 100
                );
                body += &format!(
                    "{s},{e},us-east-1,,s3,storage-gb-hours,bucket,1234.567,,,,,Standard_IA,,\n"
                );
                body +=
                    &format!("{s},{e},us-east-1,,data_transfer,internet-out-gb,web,0.5,,,,,,,\n");
                body += &format!("{s},{e},us-east-1,,lambda,gb-seconds,fn,12.5,,,,,,arm64,\n");
            }
        }
        let (s, e) = ("2026-10-01T00:00:00Z", "2026-10-01T01:00:00Z");
        // Short Linux runs (the 60-second minimum), back to back and apart.
        body += &format!(
            "{s},{e},us-east-1,,ec2,instance-seconds,i-short,20,m5.large,linux,on-demand,,,,\n"
        );
        body += "2026-10-01T01:00:00Z,2026-10-01T02:00:00Z,us-east-1,,ec2,instance-seconds,i-short,20,m5.large,linux,on-demand,,,,\n";
        body += "2026-10-01T03:00:00Z,2026-10-01T04:00:00Z,us-east-1,,ec2,instance-seconds,i-short,3600,m5.large,linux,on-demand,,,,\n";
        // Another timestamp format than the file's first, and padded values.
        body += "2026-10-01 05:00:00,2026-10-01 06:00:00,us-east-1,,ec2,instance-seconds,i-clean,3600,m5.large,linux,on-demand,,,,\n";
        body += "2026-10-01T06:00:00+00:00,2026-10-01T07:00:00.000Z,us-east-1,,ec2,instance-seconds,i-other-format,3600,m5.large,linux,on-demand,,,,\n";
        body += &format!(
            "{s},{e},us-east-1,,ec2,instance-seconds,i-padded, 3600 ,m5.large,linux,on-demand,,,,\n"
        );
        // Rejects, one per reason, some in resources that also have good rows.
        body += &format!("yesterday,{e},us-east-1,,public_ipv4,ip-hours,eip-1,1,,,,,,,\n");
        body += &format!("{s},,us-east-1,,public_ipv4,ip-hours,eip-1,1,,,,,,,\n");
        body += &format!("{e},{s},us-east-1,,public_ipv4,ip-hours,eip-1,1,,,,,,,\n");
        body +=
            &format!("{s},2026-12-01T00:00:00Z,us-east-1,,public_ipv4,ip-hours,eip-1,1,,,,,,,\n");
        body += &format!("{s},{e},us-east-1,,public_ipv4,ip-hours,eip-2,-1,,,,,,,\n");
        body += &format!("{s},{e},us-east-1,,public_ipv4,ip-hours,eip-3,abc,,,,,,,\n");
        body += &format!("{s},{e},,,public_ipv4,ip-hours,eip-4,1,,,,,,,\n");
        body += &format!("{s},{e},mars-1,,public_ipv4,ip-hours,eip-5,1,,,,,,,\n");
        body += &format!("{s},{e},us-east-1,,rds,db-hours,db-1,1,,,,,,,\n");
        body += &format!("{s},{e},us-east-1,,ec2,volume-gb-hours,i-clean,1,m5.large,,,,,,\n");
        body += &format!("{s},{e},us-east-1,,public_ipv4,ip-hours,,1,,,,,,,\n");
        body += &format!("{s},{e},us-east-1,,ec2,instance-seconds,i-x,3600,,linux,,,,,\n");
        body += &format!("{s},{e},us-east-1,,ec2,instance-seconds,i-x,3600,m5.larg,linux,,,,,\n");
        body += &format!("{s},{e},us-east-1,,ec2,instance-seconds,i-x,3600,m5.large,beos,,,,,\n");
        body += &format!(
            "{s},{e},us-east-1,,ec2,instance-seconds,i-x,3600,m5.large,linux,reserved,,,,\n"
        );
        body += &format!("{s},{e},us-east-1,,ebs,volume-gb-hours,vol-2,10,,,,gp9,,,\n");
        body += &format!("{s},{e},us-east-1,,s3,storage-gb-hours,b2,10,,,,,platinum,,\n");
        body += &format!("{s},{e},us-east-1,,lambda,gb-seconds,fn2,10,,,,,,riscv,\n");
        body += &format!("{s},{e},ap-northeast-2,,ebs,volume-gb-hours,vol-3,10,,,,io1,,,\n");
        body += &format!(
            "{s},{e},us-east-1,,ec2,instance-seconds,i-clean,-5,m5.large,linux,on-demand,,,,\n"
        );
        body
    }

    fn read(path: &Path, fast: bool, rejects: &Path) -> (String, String) {
        let catalog = Catalog::embedded().unwrap();
        let opts = ReadOptions {
            hourly_ec2: true,
            rejects_path: Some(rejects.to_path_buf()),
        };
        let r: UsageRead = read_usage_with(path, &catalog, &opts, fast).unwrap();
        let written = std::fs::read_to_string(rejects).unwrap();
        (format!("{r:#?}"), written)
    }

    fn assert_same(path: &Path) {
        let dir = tempfile::tempdir().unwrap();
        let (fast, fast_rejects) = read(path, true, &dir.path().join("fast.csv"));
        let (slow, slow_rejects) = read(path, false, &dir.path().join("slow.csv"));
        assert_eq!(fast, slow, "{}", path.display());
        assert_eq!(fast_rejects, slow_rejects, "{}", path.display());
    }

    /// A billing file read with and without the first pass (no EC2 hours asked for: with them, a
    /// billing file takes the per-row path): the same read, and whether the first pass took it.
    fn assert_same_billing(path: &Path) -> bool {
        let catalog = Catalog::embedded().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let read = |fast: bool| {
            let rejects = dir.path().join(format!("{fast}.csv"));
            let opts = ReadOptions {
                hourly_ec2: false,
                rejects_path: Some(rejects.clone()),
            };
            let mut r = read_usage_with(path, &catalog, &opts, fast).unwrap();
            // The carried days come in the order of the per-row path's groups, which depends on
            // the rows it reads.
            r.billed_days.sort_by_cached_key(|d| format!("{d:?}"));
            // (and so do the per-row path's resource-days of one key and day, which are sorted
            // by key only).
            r.days.sort_by_cached_key(|d| format!("{d:?}"));
            // Sums of decimals keep the places of their terms (0.64 + 0.0000000080): equal
            // values, written alike.
            for v in r.billed_priced.values_mut() {
                *v = v.normalize();
            }
            (format!("{r:#?}"), std::fs::read_to_string(rejects).unwrap())
        };
        let (fast, slow) = (read(true), read(false));
        if fast.0 != slow.0 {
            let name = path.file_name().unwrap().to_string_lossy();
            let out = std::env::temp_dir();
            std::fs::write(out.join(format!("{name}.fast.txt")), &fast.0).unwrap();
            std::fs::write(out.join(format!("{name}.slow.txt")), &slow.0).unwrap();
            panic!(
                "{} read differently from sums (both reads in {})",
                path.display(),
                out.display()
            );
        }
        assert_eq!(fast.1, slow.1, "{}", path.display());
        let p = Probe::new(path);
        let layout = super::super::layouts::Layout::detect(
            &p.schema
                .iter_names()
                .map(|n| n.to_string())
                .collect::<Vec<_>>(),
        )
        .unwrap();
        super::FirstPass::billing(layout, &p.schema, &catalog).is_some()
    }

    /// The real billing files (`../shared/realdata/`) read alike with and without the first pass.
    #[test]
    fn billing_files_read_alike_from_sums() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realdata");
        let mut taken = Vec::new();
        for name in [
            "Oct2018-WorkshopCUR-00001.snappy.parquet",
            "ha-project-CUR-daily-1-00001.csv",
            "sample-anonymous-aws-export-dataset.csv",
            "focus_sample.csv",
        ] {
            if assert_same_billing(&dir.join(name)) {
                taken.push(name);
            }
        }
        // The FOCUS sample has no `x_UsageType` (its usage types come from its SKUs, per row),
        // the focus_converters CUR no resource id.
        assert_eq!(
            taken,
            [
                "Oct2018-WorkshopCUR-00001.snappy.parquet",
                "ha-project-CUR-daily-1-00001.csv",
            ]
        );
    }

    /// CUR rows of every kind the first pass must leave to the per-row path or sum exactly as it
    /// would, as CUR 1.0 CSV text: (start, end, line item type, product, usage type, operation,
    /// zone, resource, amount, cost, region).
    fn tricky_cur_rows() -> Vec<[String; 11]> {
        // Every hour of three days.
        const HOURLY: &[&str] = &[
            "Usage,AmazonEC2,BoxUsage:m5.large,RunInstances,us-east-1a,i-linux,1,0.096,us-east-1",
            "Usage,AmazonEC2,BoxUsage:m5.large,RunInstances:0002,us-east-1a,i-win,1,0.188,us-east-1",
            "Usage,AmazonEC2,APN2-BoxUsage:m5.large,RunInstances,,i-seoul,1,0.118,",
            "Usage,AmazonEC2,EBS:VolumeUsage.gp3,CreateVolume-Gp3,,vol-1,0.1344086,0.0107527,us-east-1",
            "Usage,AmazonEC2,DataTransfer-Out-Bytes,RunInstances,,i-linux,0.5,0.045,us-east-1",
            // An amount whose shortest text as a float has an exponent.
            "Usage,AmazonEC2,DataTransfer-Out-Bytes,RunInstances,,i-tiny,0.0000001,0,us-east-1",
            // Not priced by cloudcost, and a price the catalog lacks (RHEL): carried as billed.
            "Usage,AmazonRDS,InstanceUsage:db.r4.large,CreateDBInstance,,db-1,1,0.29,us-east-1",
            "Usage,AmazonEC2,BoxUsage:m5.large,RunInstances:0010,,i-rhel,1,0.156,us-east-1",
            // An idle address, and usage without a resource id.
            "Usage,AmazonEC2,ElasticIP:IdleAddress,AssociateAddressVPC,,eip-1,1,0.005,us-east-1",
            "Usage,AmazonEC2,DataTransfer-Out-Bytes,RunInstances,,,0.25,0.0225,us-east-1",
        ];
        // (start, end, the rest).
        const ONCE: &[(&str, &str, &str)] = &[
            // Charges, one over the month.
            (
                "2026-10-01T00:00:00Z",
                "2026-11-01T00:00:00Z",
                "Tax,AmazonEC2,,,,,0,12.34,",
            ),
            (
                "2026-10-01T00:00:00Z",
                "2026-10-02T00:00:00Z",
                "Credit,AmazonEC2,BoxUsage:m5.large,RunInstances,,i-linux,0,-5,us-east-1",
            ),
            // A bad row among a resource's good ones, a row without a cost, a start that is no time.
            (
                "2026-10-01T00:00:00Z",
                "2026-10-01T01:00:00Z",
                "Usage,AmazonEC2,BoxUsage:m5.large,RunInstances,,i-linux,-1,0,us-east-1",
            ),
            (
                "2026-10-02T00:00:00Z",
                "2026-10-02T01:00:00Z",
                "Usage,AmazonEC2,BoxUsage:c5.large,RunInstances,,i-nocost,1,,us-east-1",
            ),
            (
                "yesterday",
                "2026-10-02T01:00:00Z",
                "Usage,AmazonEC2,BoxUsage:c5.large,RunInstances,,i-when,1,0.085,us-east-1",
            ),
        ];
        let row = |s: &str, e: &str, rest: &str| -> [String; 11] {
            let mut fields = vec![s.to_string(), e.to_string()];
            fields.extend(rest.split(',').map(str::to_string));
            <[String; 11]>::try_from(fields).unwrap()
        };
        let hour = |d: u32, h: u32| format!("2026-10-{d:02}T{h:02}:00:00Z");
        let mut rows = Vec::new();
        for d in 1..=3 {
            for h in 0..24 {
                let (s, e) = (hour(d, h), hour(d + h / 23, (h + 1) % 24));
                rows.extend(HOURLY.iter().map(|r| row(&s, &e, r)));
                // Partial hours, billed per second.
                let part = format!(
                    "Usage,AmazonEC2,BoxUsage:t3.micro,RunInstances,,i-part,0.{},0.001,us-east-1",
                    25 + h
                );
                rows.push(row(&s, &e, &part));
            }
        }
        rows.extend(ONCE.iter().map(|(s, e, r)| row(s, e, r)));
        rows
    }

    /// The first pass on a CUR 1.0 CSV and a CUR 2.0 Parquet file (microsecond times, float
    /// amounts and costs, small row groups read in slices by two threads) of `tricky_cur_rows`:
    /// the same read as the per-row path's, some of it from sums.
    #[test]
    fn cur_files_read_alike_from_sums() {
        use polars::prelude::*;
        let rows = tricky_cur_rows();
        let dir = tempfile::tempdir().unwrap();
        let cur1 = [
            "lineItem/UsageStartDate",
            "lineItem/UsageEndDate",
            "lineItem/LineItemType",
            "lineItem/ProductCode",
            "lineItem/UsageType",
            "lineItem/Operation",
            "lineItem/AvailabilityZone",
            "lineItem/ResourceId",
            "lineItem/UsageAmount",
            "lineItem/UnblendedCost",
            "product/regionCode",
        ];
        let mut text = cur1.join(",") + "\n";
        for r in &rows {
            text += &(r.join(",") + "\n");
        }
        let csv = dir.path().join("cur1.csv");
        std::fs::write(&csv, text).unwrap();
        assert!(assert_same_billing(&csv));
        let a = split(&csv);
        assert!(!a.days.is_empty() && a.has_slow());

        let column = |i: usize| rows.iter().map(move |r| r[i].as_str());
        let time = |i: usize| {
            let us: Vec<Option<i64>> = column(i)
                .map(|t| {
                    chrono::DateTime::parse_from_rfc3339(t)
                        .ok()
                        .map(|t| t.timestamp_micros())
                })
                .collect();
            Int64Chunked::from_iter_options("t".into(), us.into_iter())
                .into_datetime(TimeUnit::Microseconds, None)
                .into_series()
        };
        let text = |i: usize| -> Series {
            column(i)
                .map(|v| (!v.is_empty()).then_some(v))
                .collect::<StringChunked>()
                .into_series()
        };
        let float = |i: usize| -> Series {
            column(i)
                .map(|v| v.parse::<f64>().ok())
                .collect::<Float64Chunked>()
                .into_series()
        };
        let names = [
            "line_item_usage_start_date",
            "line_item_usage_end_date",
            "line_item_line_item_type",
            "line_item_product_code",
            "line_item_usage_type",
            "line_item_operation",
            "line_item_availability_zone",
            "line_item_resource_id",
            "line_item_usage_amount",
            "line_item_unblended_cost",
            "product_region_code",
        ];
        let columns: Vec<Column> = (0..names.len())
            .map(|i| {
                let s = match i {
                    0 | 1 => time(i),
                    8 | 9 => float(i),
                    _ => text(i),
                };
                s.with_name(names[i].into()).into_column()
            })
            .collect();
        let mut df = DataFrame::new_infer_height(columns).unwrap();
        let pq = dir.path().join("cur2.parquet");
        write_parquet(&mut df, &pq, Some(100));
        assert!(assert_same_billing(&pq));
        let a = split(&pq);
        assert!(!a.days.is_empty() && a.has_slow());
    }

    /// The fast path's split: resources it prices from sums, and those it leaves to the per-row path.
    fn split(path: &Path) -> super::Aggregated {
        let catalog = Catalog::embedded().unwrap();
        let p = Probe::new(path);
        let parquet = super::super::is_parquet(path);
        let names: Vec<String> = p.schema.iter_names().map(|n| n.to_string()).collect();
        let pass = match super::super::layouts::Layout::detect(&names) {
            Some(layout @ (Layout::Cur1 | Layout::Cur2 | Layout::Focus)) => {
                super::FirstPass::billing(layout, &p.schema, &catalog).unwrap()
            }
            _ => super::FirstPass::own(&p.schema),
        };
        super::aggregate(
            Some((path, parquet)),
            &p.lf,
            &p.schema,
            &catalog,
            "u",
            true,
            &pass,
        )
        .unwrap()
    }

    /// A usage file opened as the aggregate path opens it: its frame, schema, time formats and
    /// key column names.
    struct Probe {
        opened: super::super::columns::Opened,
        lf: polars::prelude::LazyFrame,
        schema: polars::prelude::Schema,
        formats: (Option<usize>, Option<usize>),
        names: Vec<&'static str>,
    }

    impl Probe {
        fn new(path: &Path) -> Self {
            let opened = super::super::columns::open(path).unwrap();
            let mut lf = opened.lf.clone();
            let schema = (*lf.collect_schema().unwrap()).clone();
            let formats = (
                super::detect_time_format(&lf, &schema, "usage_start"),
                super::detect_time_format(&lf, &schema, "usage_end"),
            );
            let names = super::key_names(&schema);
            Probe {
                opened,
                lf,
                schema,
                formats,
                names,
            }
        }

        /// The polars query's groups, their column types, and the columns that order them.
        fn query_groups(
            &self,
        ) -> (
            polars::prelude::DataFrame,
            polars::prelude::Schema,
            Vec<&str>,
        ) {
            use polars::prelude::*;
            // Whether a group's quantities differ and whether a row is bad, as
            // `Groups::into_frame` gives them.
            let plan = super::grouped_plan(
                &self.lf,
                &self.schema,
                &self.names,
                &super::Roles::own(),
                self.formats.0,
                self.formats.1,
            )
            .with_column(
                col("q_min")
                    .neq(col("q_max"))
                    .fill_null(lit(false))
                    .alias("uneven"),
            )
            .with_column(col("bad").gt(lit(0)).alias("bad"))
            .drop(cols(["q_max", "unparsed"]));
            let types = (*plan.clone().collect_schema().unwrap()).clone();
            let mut by = vec!["day"];
            by.extend(self.names.iter().copied());
            (plan.collect().unwrap(), types, by)
        }
    }

    /// A CSV file's columns, all read as text.
    fn text_frame(csv: &Path) -> polars::prelude::DataFrame {
        use polars::prelude::*;
        CsvReadOptions::default()
            .with_infer_schema_length(Some(0))
            .try_into_reader_with_file_path(Some(csv.to_path_buf()))
            .unwrap()
            .finish()
            .unwrap()
    }

    /// Writes `df` as Parquet, in row groups of `row_group` rows when given.
    fn write_parquet(df: &mut polars::prelude::DataFrame, pq: &Path, row_group: Option<usize>) {
        use polars::prelude::*;
        ParquetWriter::new(std::fs::File::create(pq).unwrap())
            .with_row_group_size(row_group)
            .finish(df)
            .unwrap();
    }

    /// The groups `groups` builds for `path` (`None` when it leaves the file to polars), checked
    /// equal to the polars query's.
    fn pregrouped(path: &Path) -> Option<usize> {
        let p = Probe::new(path);
        let parquet = super::super::is_parquet(path);
        let (expected, types, by) = p.query_groups();
        let got = super::groups::group(
            p.opened.source_path(),
            parquet,
            &p.schema,
            &p.names,
            &super::Roles::own(),
            p.formats,
            false,
        )?
        .into_frame(&p.names)
        .unwrap();
        Some(assert_same_rows(got, expected, &types, &by, path))
    }

    /// Checks that two frames hold the same rows, in the columns and types of `types`, sorted by
    /// `by`; their number.
    fn assert_same_rows(
        got: polars::prelude::DataFrame,
        expected: polars::prelude::DataFrame,
        types: &polars::prelude::Schema,
        by: &[&str],
        path: &Path,
    ) -> usize {
        use polars::prelude::*;
        let sorted = |df: DataFrame| {
            df.lazy()
                .select(
                    types
                        .iter()
                        .map(|(n, dt)| col(n.clone()).cast(dt.clone()))
                        .collect::<Vec<_>>(),
                )
                .sort(
                    by.to_vec(),
                    SortMultipleOptions::default().with_nulls_last(true),
                )
                .collect()
                .unwrap()
        };
        let (got, expected) = (sorted(got), sorted(expected));
        assert_eq!(got.height(), expected.height(), "{}", path.display());
        for i in 0..got.height() {
            assert_eq!(got.get(i), expected.get(i), "{} row {i}", path.display());
        }
        assert!(got.equals_missing(&expected), "{}", path.display());
        got.height()
    }

    /// The groups `Groups::add_rows` builds from a Parquet file's rows (read in two halves by
    /// two `Groups`, merged), checked equal to the polars query's; `None` when it leaves the file
    /// to polars.
    fn rows_grouped(path: &Path) -> Option<usize> {
        let p = Probe::new(path);
        let (expected, types, by) = p.query_groups();
        let (names, formats) = (&p.names, p.formats);
        let read = p.lf.clone().collect().unwrap();
        let n = read.height();
        let mut halves = [
            super::groups::Groups::new(names.len(), None),
            super::groups::Groups::new(names.len(), None),
        ];
        let text_times = formats == (Some(super::RFC3339_UTC), Some(super::RFC3339_UTC));
        let own = super::Roles::own();
        halves[0].add_rows(&read, names, &own, 0..n / 3, text_times)?;
        halves[1]
            .add_rows(&read, names, &own, n / 3..n, text_times)
            .unwrap();
        let [mut got, second] = halves;
        got.merge(second);
        let got = got.into_frame(names).unwrap();
        Some(assert_same_rows(got, expected, &types, &by, path))
    }

    /// Like `rows_grouped`, with the key columns read as dictionary codes (`parquet_keys.rs`):
    /// `None` when they cannot be.
    fn rows_coded(path: &Path) -> Option<usize> {
        use polars::prelude::*;
        let p = Probe::new(path);
        let (expected, types, by) = p.query_groups();
        let (names, formats) = (&p.names, p.formats);
        let mut reader = super::KeyReader::open(path)?;
        let n_groups = reader.row_group_rows().len();
        let codes = reader.read(0..n_groups, names)?;
        let read =
            p.lf.clone()
                .select([col("usage_start"), col("usage_end"), col("quantity")])
                .collect()
                .unwrap();
        let mut got = super::groups::Groups::new(names.len(), None);
        let text_times = formats == (Some(super::RFC3339_UTC), Some(super::RFC3339_UTC));
        got.add_coded(&read, codes, &super::Roles::own(), text_times)?;
        let got = got.into_frame(names).unwrap();
        Some(assert_same_rows(got, expected, &types, &by, path))
    }

    /// Like `rows_grouped`, with every column read from its dictionaries a row group at a time
    /// (`Groups::add_paged`): `None` when they cannot be.
    fn rows_paged(path: &Path) -> Option<usize> {
        let p = Probe::new(path);
        let (expected, types, by) = p.query_groups();
        let (names, formats) = (&p.names, p.formats);
        let mut reader = super::KeyReader::open(path)?;
        let mut columns = names.clone();
        columns.extend(["usage_start", "usage_end", "quantity"]);
        let numbers = ["usage_start", "usage_end", "quantity"].map(|c| p.schema.get(c).unwrap());
        let text_times = formats == (Some(super::RFC3339_UTC), Some(super::RFC3339_UTC));
        let mut got = super::groups::Groups::new(names.len(), None);
        let groups = reader.row_group_rows().len();
        let pages = (0..groups)
            .map(|g| reader.read_pages(g, &columns, names.len()))
            .collect::<Option<Vec<_>>>()?;
        for pages in &pages {
            let group = super::groups::PagedGroup::new(pages, &numbers, text_times)?;
            got.add_paged(&group).unwrap();
        }
        let got = got.into_frame(names).unwrap();
        Some(assert_same_rows(got, expected, &types, &by, path))
    }

    /// The EC2 hours `groups` sums for `path` (every resource's, as if none were slow), checked
    /// equal to the polars query's; their number.
    fn pregrouped_hours(path: &Path) -> usize {
        use polars::prelude::*;
        let p = Probe::new(path);
        let (schema, formats, names) = (&p.schema, p.formats, &p.names);
        let plan = super::hourly_query(&p.lf, schema, formats.0, None);
        let types = plan.clone().collect_schema().unwrap();
        let mut by = vec!["hour", "rid"];
        by.extend(super::HOURLY_KEYS);
        // Rows whose start does not parse in the file's format are a slow resource's: the query
        // sums them under a null hour, `groups` leaves them out.
        let expected = plan.filter(col("hour").is_not_null()).collect().unwrap();
        let got = super::groups::group(
            p.opened.source_path(),
            false,
            schema,
            names,
            &super::Roles::own(),
            formats,
            true,
        )
        .unwrap()
        .into_series_frames(names, "resource_id")
        .unwrap()
        .hourly
        .unwrap()
        .to_frame()
        .unwrap();
        assert_same_rows(got, expected, &types, &by, path)
    }

    #[test]
    fn ec2_hours_are_summed_in_the_first_pass_as_the_query_sums_them() {
        let dir = tempfile::tempdir().unwrap();
        let tricky = dir.path().join("u.csv");
        std::fs::write(&tricky, tricky_rows()).unwrap();
        assert!(pregrouped_hours(&tricky) > 3 * 24 * 4);
        // Big enough to be read by two threads, in several blocks each.
        let mut big = HEADER.to_string();
        let body: String = tricky_rows()
            .lines()
            .skip(1)
            .map(|l| format!("{l}\n"))
            .collect();
        while big.len() < 40 << 20 {
            big += &body;
        }
        let big_csv = dir.path().join("big.csv");
        std::fs::write(&big_csv, big).unwrap();
        assert!(pregrouped_hours(&big_csv) > 3 * 24 * 4);
        // A slow resource among the summed ones (i-clean has a negative row): the sums are
        // dropped, and the query runs.
        assert!(split(&tricky).hourly.is_none());
        let slow_ec2 = [
            "i-clean",
            "i-short",
            "i-win-part",
            "i-x",
            "i-padded",
            "i-other-format",
        ];
        let clean: String = tricky_rows()
            .lines()
            .filter(|l| !slow_ec2.iter().any(|id| l.contains(&format!(",{id},"))))
            .map(|l| format!("{l}\n"))
            .collect();
        let clean_csv = dir.path().join("clean.csv");
        std::fs::write(&clean_csv, clean).unwrap();
        // Other resources are slow, but no summed one is.
        let agg = split(&clean_csv);
        assert!(agg.has_slow() && agg.hourly.is_some());
        assert_same(&clean_csv);
    }

    #[test]
    fn pregrouping_gives_the_polars_query_groups() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let tricky = tricky_rows();
        assert!(pregrouped(&write("u.csv", &tricky)).unwrap() > 40);
        let crlf = tricky.replace('\n', "\r\n");
        assert!(pregrouped(&write("crlf.csv", &crlf)).unwrap() > 40);
        // Big enough to be read by two threads, in several blocks each.
        let mut big = HEADER.to_string();
        let body: String = tricky.lines().skip(1).map(|l| format!("{l}\n")).collect();
        while big.len() < 40 << 20 {
            big += &body;
        }
        assert!(pregrouped(&write("big.csv", &big)).unwrap() > 40);
        // Left to polars: quotes, blank lines, ragged lines, another first time format.
        let quoted = tricky.replacen("i-clean", "\"i-clean\"", 1);
        assert_eq!(pregrouped(&write("q.csv", &quoted)), None);
        let blank = tricky.replacen("\n", "\n\n", 3);
        assert_eq!(pregrouped(&write("b.csv", &blank)), None);
        let ragged = format!("{tricky}2026-10-01T00:00:00Z,2026-10-01T01:00:00Z,us-east-1\n");
        assert_eq!(pregrouped(&write("r.csv", &ragged)), None);
        let other = format!(
            "{HEADER}2026-10-01 00:00:00,2026-10-01 01:00:00,us-east-1,,ec2,instance-seconds,i-1,3600,m5.large,,,,,,\n"
        );
        assert_eq!(pregrouped(&write("o.csv", &other)), None);
        // Parquet is grouped by polars.
        let pq = dir.path().join("u.parquet");
        write_parquet(&mut text_frame(&dir.path().join("u.csv")), &pq, None);
        assert_eq!(pregrouped(&pq), None);
    }

    #[test]
    fn pyarrow_files_with_typed_times_and_decimals_are_read_from_their_dictionaries() {
        // Written by pyarrow (`tests/fixtures/usage/make-pyarrow-usage.py`): decimals stored as
        // 64-bit integers with v2 pages of about 256 bytes and zstd, as 32-bit integers with text
        // times and v1 pages, and as 9 big-endian bytes (a negative one among them); times and
        // quantities in PLAIN pages only, or after a dictionary that filled up; nulls in the key
        // columns; two row groups each.
        for name in [
            "usage-pyarrow-int64-decimals.parquet",
            "usage-pyarrow-text-times-int32.parquet",
            "usage-pyarrow-flba-decimals.parquet",
            "usage-pyarrow-plain-numbers.parquet",
            "usage-pyarrow-dictionary-fallback.parquet",
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/usage")
                .join(name);
            assert!(rows_paged(&path).unwrap() > 20, "{name}");
            assert_same(&path);
        }
    }

    /// A Windows instance whose day is read in two parts (two slices of a Parquet file of small
    /// row groups, whichever threads read them), with rows alike within each part but not
    /// across: priced from sums, each part's started hours at its own quantity, exactly as the
    /// per-row path prices each row.
    #[test]
    fn a_windows_day_read_in_two_parts_is_priced_from_sums_exactly() {
        // One day of hourly rows of 12 Linux instances and a Windows one, whose rows from
        // `change` on have another quantity.
        let rows = |change: usize| {
            let mut body = HEADER.to_string();
            let mut n = 0;
            for h in 0..24 {
                let (s, e) = (
                    format!("2026-10-01T{h:02}:00:00Z"),
                    if h == 23 {
                        "2026-10-02T00:00:00Z".to_string()
                    } else {
                        format!("2026-10-01T{:02}:00:00Z", h + 1)
                    },
                );
                for k in 0..12 {
                    body += &format!(
                        "{s},{e},us-east-1,,ec2,instance-seconds,i-f{k},3600,m5.large,linux,on-demand,,,,\n"
                    );
                }
                n += 12;
                let q = if n < change { 1800 } else { 3000 };
                body += &format!(
                    "{s},{e},us-east-1,,ec2,instance-seconds,i-w,{q},t3.medium,windows,on-demand,,,,\n"
                );
                n += 1;
            }
            body
        };
        let dir = tempfile::tempdir().unwrap();
        let (csv, pq) = (dir.path().join("w.csv"), dir.path().join("w.parquet"));
        let write = |body: String| {
            std::fs::write(&csv, body).unwrap();
            write_parquet(&mut text_frame(&csv), &pq, Some(50));
            super::row_group_slices(&super::KeyReader::open(&pq).unwrap())
        };
        // The second slice's first row: the rows before it are the first slice's.
        let slices = write(rows(usize::MAX));
        assert_eq!(slices.len(), 2, "{slices:?}");
        assert_eq!(write(rows(slices[1].offset)).len(), 2);
        assert!(!split(&pq).slow.iter().any(|s| s == "i-w"));
        assert_same(&pq);
        // Read whole, the day's rows differ: the per-row path prices it.
        assert!(split(&csv).slow.iter().any(|s| s == "i-w"));
        assert_same(&csv);
    }

    #[test]
    fn the_fast_path_reads_what_the_per_row_path_reads() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("u.csv");
        std::fs::write(&csv, tricky_rows()).unwrap();
        assert_same(&csv);
        let agg = split(&csv);
        for id in [
            "i-seoul", "i-spot", "i-spaced", "i-win", "bucket", "web", "fn",
        ] {
            assert!(!agg.slow.iter().any(|s| s == id), "{id} in {:?}", agg.slow);
        }
        for id in [
            "i-short",
            "i-win-part",
            "vol-1",
            "i-padded",
            "i-clean",
            "eip-1",
            "i-x",
        ] {
            assert!(
                agg.slow.iter().any(|s| s == id),
                "{id} not in {:?}",
                agg.slow
            );
        }
        assert!(agg.slow_null);
        // Clean rows only: nothing is left for the per-row path.
        let clean: String = tricky_rows()
            .lines()
            .take(1 + 3 * 24 * 5)
            .filter(|l| !l.contains("i-win-part") && !l.contains("volume-iops-hours"))
            .map(|l| format!("{l}\n"))
            .collect();
        let clean_csv = dir.path().join("clean.csv");
        std::fs::write(&clean_csv, clean).unwrap();
        assert_same(&clean_csv);
        assert!(!split(&clean_csv).has_slow());
        assert_same(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/usage.csv"
        )));

        // The same rows as Parquet, with text columns and with typed times and quantities.
        use polars::prelude::*;
        let mut df = text_frame(&clean_csv);
        let pq = dir.path().join("u.parquet");
        write_parquet(&mut df, &pq, None);
        assert_same(&pq);
        // Row groups of 50 rows: grouped a slice at a time (`SLICE_ROWS` is 250 in tests).
        let sliced = dir.path().join("sliced.parquet");
        write_parquet(&mut df, &sliced, Some(50));
        let slices = super::row_group_slices(&super::KeyReader::open(&sliced).unwrap());
        assert!(slices.len() > 1, "{slices:?} {}", df.height());
        assert_same(&sliced);
        // Its EC2 hours were summed slice by slice, not by a query of their own.
        assert!(split(&sliced).hourly.is_some());
        // The same for every row, some of slow resources that share the sums: dropped, and the
        // query over the file runs.
        let tricky_csv = dir.path().join("tricky.csv");
        std::fs::write(&tricky_csv, tricky_rows()).unwrap();
        let tricky = dir.path().join("tricky.parquet");
        write_parquet(&mut text_frame(&tricky_csv), &tricky, Some(50));
        assert_same(&tricky);
        assert!(split(&tricky).hourly.is_none());
        let time = |c: &str| {
            col(c).str().to_datetime(
                Some(TimeUnit::Milliseconds),
                Some(TimeZone::UTC),
                StrptimeOptions {
                    format: Some("%Y-%m-%dT%H:%M:%SZ".into()),
                    ..Default::default()
                },
                lit("raise"),
            )
        };
        let mut typed = df
            .lazy()
            .with_columns([
                time("usage_start"),
                time("usage_end"),
                col("quantity").str().to_decimal(3),
            ])
            .collect()
            .unwrap();
        let typed_pq = dir.path().join("typed.parquet");
        write_parquet(&mut typed, &typed_pq, None);
        assert_same(&typed_pq);
        // Parquet rows are grouped in the hash maps as the polars query groups them, with text
        // and with typed columns; with other types they are left to the query.
        let mut text = text_frame(&dir.path().join("u.csv"));
        let text_pq = dir.path().join("text.parquet");
        write_parquet(&mut text, &text_pq, None);
        assert!(rows_grouped(&text_pq).unwrap() > 40);
        assert!(rows_grouped(&typed_pq).unwrap() > 10);
        // Also with the key columns read as dictionary codes, over several row groups.
        assert!(rows_coded(&text_pq).unwrap() > 40);
        assert!(rows_coded(&typed_pq).unwrap() > 10);
        assert!(rows_coded(&sliced).unwrap() > 10);
        // And with every column read from its dictionaries, window by window (polars writes
        // text dictionary-encoded; typed files are in `pyarrow_files_...`).
        assert!(rows_paged(&text_pq).unwrap() > 40);
        assert!(rows_paged(&sliced).unwrap() > 10);
        let mut micros = typed
            .lazy()
            .with_column(col("usage_start").cast(DataType::Datetime(TimeUnit::Microseconds, None)))
            .collect()
            .unwrap();
        let micros_pq = dir.path().join("micros.parquet");
        write_parquet(&mut micros, &micros_pq, None);
        // Microsecond times: the decoded rows are left to the query (the first pass casts them
        // to milliseconds when it reads them), the dictionaries are read as polars casts them.
        assert_eq!(rows_grouped(&micros_pq), None);
        assert_eq!(rows_coded(&micros_pq), None);
        assert!(rows_paged(&micros_pq).unwrap() > 10);
        assert_same(&micros_pq);
    }
}
