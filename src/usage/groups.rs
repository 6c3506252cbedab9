//! The first pass's grouping (rows grouped by day and raw key columns, see `first_pass.rs`):
//! hash maps of series and days, filled from plain CSV text read here instead of by polars, from
//! Parquet dictionary codes, or from rows polars decodes. Which columns are the times,
//! the quantity, the billed cost (billing files) and the resource is the layout's (`Roles`); the
//! text below names this project's columns.
//!
//! On a 10-million-row CSV, polars' reader and its group-by over a dozen text columns took most of
//! `estimate`'s time and held 2.8 GB (every chunk of text a group's key first appeared in stays
//! alive). Here two threads each read half of the file in blocks of a few megabytes, split lines
//! at commas, parse the times in the one RFC 3339 format (`2026-10-01T00:00:00Z`) most files use
//! and the quantity as an exact decimal, and add each row to a hash map of groups. The result is
//! the frame the polars query gives, with the same columns and values (tested against it), so
//! everything after it is unchanged. A file this module cannot read exactly as polars would (a
//! quote, a blank line, a line with another number of fields, another first time format, text
//! that is not UTF-8) is left to polars: `None`.
//!
//! Parquet files are read a slice of row groups at a time, two threads each taking the next
//! unread slice; each slice's rows of a day are a part of the day of their own (so how rows are
//! split into parts depends on the file, not on which thread read which slice).
//! Where the key columns are dictionary-encoded (as most writers store repeated values) and the
//! times and quantities are too, or are PLAIN, a row group is decoded a window of rows at a time
//! (`Groups::add_paged`): the key columns' codes are packed into one number per row, which finds
//! the row's series, and the times and quantities are looked up in tables made once per row group
//! (`PagedGroup`). Else, where the key columns are dictionary-encoded text, they are read as codes
//! (`parquet_keys.rs`) and a row's series is found by its codes (`Groups::add_coded`), with the
//! times and quantities decoded by polars; else the rows polars decodes are added to the same hash
//! maps (`Groups::add_rows`). Times are typed (milliseconds) or RFC 3339 text, quantities decimal
//! or text; a slice with other column types is grouped by the polars query. (Handing polars'
//! streaming batches over through a callback was tried first and was slower than polars' own
//! group-by: BENCHMARKS.md.)
//!
//! A row's per-row tests (times that parse, a period longer than zero and at most 31 days, a
//! quantity that parses and is not negative) are the polars query's; a value this module does not
//! parse counts as a failed test, which sends the resource through the per-row path, where polars
//! reads it with every format it knows. So a stricter parser here only costs speed, never a result.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use polars::prelude::*;

use super::columns::day_column_named;
use super::columns::{MAX_PERIOD_MS, ONE, RFC3339_UTC, SCALE, decimal_column};
use super::ec2_hours::{ClassHours, Hourly, HourlySpec};
use super::keys::{decode_key, encode_into, field_at};
use super::parquet_keys::{ChunkPages, KeyCodes};
use polars_parquet::parquet::schema::types::PhysicalType;

/// The key column that names a resource (one value per resource, where the others repeat).
const RESOURCE_ID: &str = "resource_id";
/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;
/// The CSV block read at a time by each thread.
const BLOCK: usize = 8 << 20;

/// Where a layout keeps what the first pass reads besides its key columns: the two times, the
/// quantity, the billed cost (billing files: summed per series, for the billed cost of what is
/// re-priced) and the column naming the resource (its values are split from the other key
/// fields: one series per resource, where the other fields repeat).
#[derive(Clone, Debug)]
pub(crate) struct Roles {
    pub start: String,
    pub end: String,
    pub quantity: String,
    pub cost: Option<String>,
    pub resource: String,
}

impl Roles {
    /// This project's own format.
    pub(crate) fn own() -> Self {
        Roles {
            start: "usage_start".into(),
            end: "usage_end".into(),
            quantity: "quantity".into(),
            cost: None,
            resource: RESOURCE_ID.into(),
        }
    }

    /// The number columns, in the order the first pass reads them: start, end, quantity and the
    /// cost when there is one.
    pub(crate) fn numbers(&self) -> Vec<&str> {
        let mut out = vec![
            self.start.as_str(),
            self.end.as_str(),
            self.quantity.as_str(),
        ];
        out.extend(self.cost.as_deref());
        out
    }
}

/// One group's sums (48 bytes). `min` is `i128::MAX` until a quantity is added (quantities read
/// are below 10^38, far from it); `bad` is set when a row fails a per-row test, and `uneven` when
/// two quantities added differ (a quantity other than the least one so far: while they are all
/// alike, each equals it).
#[derive(Clone, Copy)]
struct Acc {
    sum: i128,
    min: i128,
    rows: u64,
    bad: bool,
    uneven: bool,
}

const _: () = assert!(std::mem::size_of::<Acc>() == 48);

impl Default for Acc {
    fn default() -> Self {
        Acc {
            sum: 0,
            min: i128::MAX,
            rows: 0,
            bad: false,
            uneven: false,
        }
    }
}

impl Acc {
    /// Adds one row; false when the sum overflows.
    #[inline]
    fn add(&mut self, bad: bool, q: Option<i128>) -> bool {
        self.rows += 1;
        self.bad |= bad;
        if let Some(q) = q {
            let Some(sum) = self.sum.checked_add(q) else {
                return false;
            };
            self.sum = sum;
            self.uneven |= self.min != i128::MAX && q != self.min;
            self.min = self.min.min(q);
        }
        true
    }

    /// Adds another group's sums; false when the sum overflows.
    fn merge(&mut self, o: &Acc) -> bool {
        let Some(sum) = self.sum.checked_add(o.sum) else {
            return false;
        };
        self.sum = sum;
        self.rows += o.rows;
        self.bad |= o.bad;
        self.uneven |= o.uneven || (self.min().is_some() && o.min().is_some() && self.min != o.min);
        self.min = self.min.min(o.min);
        true
    }

    fn min(&self) -> Option<i128> {
        (self.min != i128::MAX).then_some(self.min)
    }
}

type Map = HashMap<Vec<u8>, usize, foldhash::fast::FixedState>;

/// The day of rows whose start did not parse (`None` outside this module). Not a day: days are
/// multiples of `DAY_MS`, which this is not.
const NO_DAY: i64 = i64::MIN;
/// No parked day (`SeriesDay::prev`, `Series::parked`).
const NONE: u32 = u32::MAX;

/// The day of a start (milliseconds), `NO_DAY` for none; `None` when the day is out of range.
#[inline]
fn day_of(start: Option<i64>) -> Option<i64> {
    match start {
        Some(s) => s.checked_sub(s.rem_euclid(DAY_MS)),
        None => Some(NO_DAY),
    }
}

/// One series (one combination of key fields) while rows are added: the sums of the day rows are
/// being added to, kept inline (rows come in time order, so most rows land in the day of the row
/// before them). Its other days are parked in `Groups::days`, each pointing to the one parked
/// before it.
struct Series {
    acc: Acc,
    /// The day of `acc` (empty until a row is added: `acc.rows == 0`).
    day: i64,
    /// The latest day of the series: a row of a later day starts a new day without a search.
    latest: i64,
    /// The day parked last (an index into `Groups::days`), or `NONE`.
    parked: u32,
}

impl Default for Series {
    fn default() -> Self {
        Series {
            acc: Acc::default(),
            day: NO_DAY,
            latest: NO_DAY,
            parked: NONE,
        }
    }
}

/// Rows grouped by day and raw key fields, in two levels: the key fields (for each key column,
/// the field's length in two bytes, `NULL_LEN` for null, and its bytes) name a series, found in a
/// hash map; a series holds its current day, and its other days are parked in one store
/// (`Days`). A file has far fewer series than groups (a resource's hourly rows make 24 groups of
/// a series per day), so the map and the series stay small enough for the cache. Each `Groups`
/// holds a (series, day) once per part of the rows (`begin_part`); merging another appends its
/// days, so the days may hold a (series, day) more than once, whose parts are then summed
/// (`SeriesDay`).
pub(crate) struct Groups {
    map: Map,
    series: Vec<Series>,
    /// The days parked (all but each series' current day).
    days: Days,
    keys: usize,
    buf: Vec<u8>,
    /// EC2 usage by clock hour, when asked for (see `ec2_hours.rs`).
    hourly: Option<Hourly>,
    /// The texts of the Parquet dictionaries read so far, numbered (`add_paged`).
    interned: Interned,
    /// Each series' billed cost at `SCALE` places, when the rows have one (`with_cost`).
    costs: Option<Vec<i128>>,
    /// Rows whose quantity has a value that does not parse here (an empty one is none).
    unparsed: u64,
    /// Set when a sum overflows or a field is too long to encode: the caller gives up.
    failed: bool,
    /// The index of the first day parked in the current part (`begin_part`): rows are not added
    /// to days parked before it.
    part_from: u32,
}

/// The key texts of the Parquet dictionaries `Groups::add_paged` has read, numbered per column in
/// the order first read (from 1; 0 is null), and the series of each combination of numbers
/// found. Each row group has dictionaries of its own, whose codes name the same texts in
/// another order: a row group's combinations of codes are new to it, but their numbers mostly
/// are not, and finding a series by numbers is cheaper than by its key's texts.
#[derive(Default)]
struct Interned {
    numbers: Vec<HashMap<Box<str>, u32, foldhash::fast::FixedState>>,
    series: HashMap<CodeRow, u32, foldhash::fast::FixedState>,
    /// The combination of numbers last found for each number of the key column `pivot` (a
    /// resource's id, usually), and its series; `NONE` for none. Row groups mostly list their
    /// resources in one order, the order their numbers were given in: looking combinations up
    /// here by that number walks memory in order, where the hash map's places are scattered.
    by_pivot: Vec<(CodeRow, u32)>,
    /// The key column whose numbers index `by_pivot`.
    pivot: usize,
}

impl Interned {
    /// Each of a row group's key columns' codes (0: null, `c`: `texts[c - 1]`) as numbers;
    /// `None` when a column has more texts than numbers fit.
    fn numbers_of(&mut self, texts: &[&[Box<str>]]) -> Option<Vec<Vec<u32>>> {
        if self.numbers.len() < texts.len() {
            self.numbers.resize_with(texts.len(), HashMap::default);
        }
        let mut out = Vec::with_capacity(texts.len());
        for (column, numbers) in texts.iter().zip(&mut self.numbers) {
            let mut of_code = Vec::with_capacity(column.len() + 1);
            of_code.push(0);
            for text in column.iter() {
                let next = u32::try_from(numbers.len() + 1).ok()?;
                let n = match numbers.get(text) {
                    Some(&n) => n,
                    None => *numbers.entry(text.clone()).or_insert(next),
                };
                of_code.push(n);
            }
            out.push(of_code);
        }
        Some(out)
    }
}

impl Groups {
    /// Groups of `keys` key fields; with EC2 usage by clock hour when `hourly` says where the
    /// fields it needs are.
    pub(crate) fn new(keys: usize, hourly: Option<HourlySpec>) -> Self {
        Groups {
            map: Map::default(),
            series: Vec::new(),
            days: Days::default(),
            keys,
            buf: Vec::with_capacity(256),
            hourly: hourly.map(|spec| Hourly::new(spec, keys)),
            interned: Interned::default(),
            costs: None,
            unparsed: 0,
            failed: false,
            part_from: 0,
        }
    }

    /// Rows whose quantity has a value that did not parse here (counted once a row is read:
    /// their quantity is not in the sums).
    pub(crate) fn unparsed(&self) -> u64 {
        self.unparsed
    }

    /// Sums each series' billed cost too: a row without one fails a per-row test.
    pub(crate) fn with_cost(mut self, cost: bool) -> Self {
        self.costs = cost.then(Vec::new);
        self
    }

    /// The series of the key fields, added when new.
    #[inline]
    fn series_of<'a>(&mut self, fields: impl Iterator<Item = Option<&'a [u8]>>) -> Option<usize> {
        self.buf.clear();
        if !encode_into(&mut self.buf, fields) {
            return None;
        }
        if let Some(&i) = self.map.get(self.buf.as_slice()) {
            return Some(i);
        }
        Some(self.new_series(self.buf.clone()))
    }

    /// Adds a series of key `key`.
    fn new_series(&mut self, key: Vec<u8>) -> usize {
        let i = self.series.len();
        self.series.push(Series::default());
        if let Some(costs) = &mut self.costs {
            costs.push(0);
        }
        if let Some(h) = &mut self.hourly {
            h.add_series(&key);
        }
        self.map.insert(key, i);
        i
    }

    /// Adds one row: its times (milliseconds, null when they do not parse), quantity (at `SCALE`
    /// places, null when it does not parse) and key fields (null when empty).
    #[cfg(test)]
    fn add<'a>(
        &mut self,
        start: Option<i64>,
        end: Option<i64>,
        q: Option<i128>,
        fields: impl Iterator<Item = Option<&'a [u8]>>,
    ) {
        self.add_costed(start, end, q, None, fields);
    }

    /// [`Groups::add`] with the row's billed cost (ignored unless `with_cost`).
    #[inline]
    fn add_costed<'a>(
        &mut self,
        start: Option<i64>,
        end: Option<i64>,
        q: Option<i128>,
        cost: Option<i128>,
        fields: impl Iterator<Item = Option<&'a [u8]>>,
    ) {
        let Some(i) = self.series_of(fields) else {
            self.failed = true;
            return;
        };
        self.add_to(i, start, end, q, cost);
    }

    /// Adds one row to series `i`.
    #[inline]
    fn add_to(
        &mut self,
        i: usize,
        start: Option<i64>,
        end: Option<i64>,
        q: Option<i128>,
        cost: Option<i128>,
    ) {
        let Some(day) = day_of(start) else {
            self.failed = true;
            return;
        };
        let mut bad = match (start, end, q) {
            (Some(s), Some(e), Some(q)) => e <= s || e - s > MAX_PERIOD_MS || q < 0,
            _ => true,
        };
        if let Some(costs) = &mut self.costs {
            match cost {
                Some(c) => match costs[i].checked_add(c) {
                    Some(sum) => costs[i] = sum,
                    None => self.failed = true,
                },
                None => bad = true,
            }
        }
        if !self.day(i, day).add(bad, q) {
            self.failed = true;
        }
        if let (Some(h), Some(start), Some(q)) = (&mut self.hourly, start, q)
            && !h.add(i, start, q)
        {
            self.failed = true;
        }
    }

    /// The sums of series `i` on `day`, made its current day.
    #[inline]
    fn day(&mut self, i: usize, day: i64) -> &mut Acc {
        if self.series[i].day != day {
            self.switch_day(i, day);
        }
        &mut self.series[i].acc
    }

    /// Makes `day` the current day of series `i`: the current day is parked, and `day` taken
    /// from the parked days or started.
    fn switch_day(&mut self, i: usize, day: i64) {
        let s = &mut self.series[i];
        if s.acc.rows == 0 {
            // No row yet (a new series).
            s.day = day;
            s.latest = s.latest.max(day);
            return;
        }
        // A day before the series' latest may be parked (rows out of time order).
        if day <= s.latest {
            let mut j = s.parked;
            while j != NONE && j >= self.part_from {
                let parked = self.days.get_mut(j);
                if parked.day == day {
                    std::mem::swap(&mut parked.day, &mut s.day);
                    std::mem::swap(&mut parked.acc, &mut s.acc);
                    return;
                }
                j = parked.prev;
            }
        }
        let (acc, from) = (std::mem::take(&mut s.acc), s.day);
        s.day = day;
        s.latest = s.latest.max(day);
        self.park(i, from, acc);
    }

    /// Parks a day of series `i`.
    fn park(&mut self, i: usize, day: i64, acc: Acc) {
        let Ok(sid) = u32::try_from(i) else {
            self.failed = true;
            return;
        };
        let s = &mut self.series[i];
        match self.days.push(SeriesDay {
            sid,
            prev: s.parked,
            day,
            acc,
        }) {
            Some(at) => s.parked = at,
            None => self.failed = true,
        }
    }

    /// Every day of every series: the days parked, then each series' current day (its rows
    /// added, nothing more can be).
    fn all_days(&mut self) -> Days {
        self.park_current_days();
        std::mem::take(&mut self.days)
    }

    /// Parks each series' current day.
    fn park_current_days(&mut self) {
        for i in 0..self.series.len() {
            let s = &mut self.series[i];
            if s.acc.rows > 0 {
                let (acc, day) = (std::mem::take(&mut s.acc), s.day);
                s.day = NO_DAY;
                self.park(i, day, acc);
            }
        }
    }

    /// Starts another part of the rows (the next Parquet slice read): the rows added from now on
    /// are summed in days of their own, apart from the days of the rows added before. So how a
    /// (series, day)'s rows are split into parts (`SeriesDay`) depends on the file's slices
    /// only, not on which reading thread read which slice.
    pub(crate) fn begin_part(&mut self) {
        self.park_current_days();
        self.part_from = self.days.next_index();
    }

    /// Adds another part of the file's groups (built alike): its series found or added here, and
    /// its days appended (a day of a series both hold is then held in parts, see `Groups`).
    pub(crate) fn merge(&mut self, mut other: Groups) {
        self.failed |= other.failed;
        match (&mut self.hourly, other.hourly.take()) {
            (Some(mine), Some(theirs)) => {
                if !mine.merge(theirs) {
                    self.failed = true;
                }
            }
            (None, None) => {}
            // Not built alike: nothing to merge into.
            _ => self.failed = true,
        }
        self.unparsed += other.unparsed;
        let days = other.all_days();
        let their_costs = other.costs.take();
        if self.costs.is_some() != their_costs.is_some() {
            self.failed = true;
        }
        let mut theirs: Vec<(Vec<u8>, usize)> = other.map.into_iter().collect();
        theirs.sort_by_key(|(_, i)| *i);
        let mut mine = vec![0u32; theirs.len()];
        for (k, i) in theirs {
            let j = match self.map.get(&k) {
                Some(&j) => j,
                None => self.new_series(k),
            };
            if let (Some(costs), Some(theirs)) = (&mut self.costs, &their_costs) {
                match costs[j].checked_add(theirs[i]) {
                    Some(sum) => costs[j] = sum,
                    None => self.failed = true,
                }
            }
            let Ok(j) = u32::try_from(j) else {
                self.failed = true;
                return;
            };
            mine[i] = j;
        }
        // Their chunks of days are moved here whole, their days given their series here in the
        // next pass over the days (`Days::renumber_each`). The days are not chained to their
        // series: rows added after a merge are summed in days of their own (a part, see
        // `begin_part`).
        if !self.days.append_foreign(days, mine) {
            self.failed = true;
            return;
        }
        self.begin_part();
    }

    /// The groups as the polars query's frame: `day`, the key columns (`names`), `rows`, `q`,
    /// `q_min`, `bad` (whether a row failed a test, where the query counts them), and `uneven`
    /// where the query has `q_max` (whether the group's quantities differ: `q_min` ≠ `q_max`);
    /// `None` when a key is not UTF-8 or a sum overflowed.
    pub(crate) fn into_frame(mut self, names: &[&str]) -> Option<DataFrame> {
        if self.failed {
            return None;
        }
        // One group per (series, day): the parts of merged `Groups` summed.
        let mut groups: std::collections::BTreeMap<(u32, i64), Acc> = Default::default();
        self.all_days().renumber_each(|d| {
            groups
                .entry((d.sid, d.day))
                .or_default()
                .merge(&d.acc)
                .then_some(())
        })?;
        let n = groups.len();
        let mut fields_of = vec![None; self.series.len()];
        for (k, &i) in &self.map {
            fields_of[i] = Some(decode_key(k, self.keys)?);
        }
        let mut day: Vec<Option<i64>> = Vec::with_capacity(n);
        let mut keys: Vec<Vec<Option<&str>>> =
            (0..self.keys).map(|_| Vec::with_capacity(n)).collect();
        let (mut rows, mut bad) = (Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut sum, mut min, mut uneven) = (
            Vec::with_capacity(n),
            Vec::with_capacity(n),
            Vec::with_capacity(n),
        );
        for ((sid, d), acc) in &groups {
            let fields = fields_of[*sid as usize].as_ref()?;
            day.push((*d != NO_DAY).then_some(*d));
            for (col, f) in keys.iter_mut().zip(fields) {
                col.push(*f);
            }
            rows.push(u32::try_from(acc.rows).ok()?);
            bad.push(acc.bad);
            // As polars sums: nulls are skipped, and a group of nulls sums to zero.
            sum.push(Some(acc.sum));
            min.push(acc.min());
            uneven.push(acc.uneven);
        }
        let mut columns: Vec<Column> = vec![day_column(day)];
        for (name, values) in names.iter().zip(keys) {
            columns.push(Column::new((*name).into(), values));
        }
        columns.push(Column::new("rows".into(), rows));
        columns.push(decimal_column("q", sum));
        columns.push(decimal_column("q_min", min));
        columns.push(Column::new("uneven".into(), uneven));
        columns.push(Column::new("bad".into(), bad));
        DataFrame::new(n, columns).ok()
    }
    /// Adds the groups of the polars query's frame (`day`, the key columns `names`, `rows`, `q`,
    /// `q_min`, `q_max`, `bad`), to split them into series and days as this module's own; `None`
    /// when a column has another type or a sum overflows.
    pub(crate) fn add_frame(&mut self, df: &DataFrame, names: &[&str]) -> Option<()> {
        let g = self;
        let day = df.column("day").ok()?.cast(&DataType::Int64).ok()?;
        let day = day.i64().ok()?.rechunk().into_owned();
        let count = |name: &str| -> Option<UInt64Chunked> {
            let c = df.column(name).ok()?.cast(&DataType::UInt64).ok()?;
            Some(c.u64().ok()?.rechunk().into_owned())
        };
        let (rows, bad) = (count("rows")?, count("bad")?);
        let decimal = |name: &str| -> Option<Int128Chunked> {
            let c = df.column(name).ok()?;
            let d = c.decimal().ok()?;
            (d.scale() == SCALE).then(|| d.physical().rechunk().into_owned())
        };
        let (q, q_min, q_max) = (decimal("q")?, decimal("q_min")?, decimal("q_max")?);
        if let Ok(c) = df.column("unparsed") {
            let c = c.cast(&DataType::UInt64).ok()?;
            g.unparsed += c.u64().ok()?.sum().unwrap_or(0);
        }
        // The groups' billed cost (nulls skipped: a row without one is counted in `bad`).
        let cost = match g.costs {
            Some(_) => Some(decimal("cost")?),
            None => None,
        };
        let mut keys = Vec::with_capacity(names.len());
        for n in names {
            let c = df.column(n).ok()?.cast(&DataType::String).ok()?;
            keys.push(c.str().ok()?.rechunk().into_owned());
        }
        let mut iters: Vec<_> = keys.iter().map(|k| k.iter()).collect();
        for i in 0..df.height() {
            let fields: Vec<Option<&[u8]>> = iters
                .iter_mut()
                .map(|it| it.next().flatten().map(str::as_bytes))
                .collect();
            let series = g.series_of(fields.into_iter())?;
            if let (Some(costs), Some(cost)) = (&mut g.costs, &cost) {
                costs[series] = costs[series].checked_add(cost.get(i).unwrap_or(0))?;
            }
            let (min, max) = (q_min.get(i), q_max.get(i));
            let acc = Acc {
                sum: q.get(i)?,
                min: min.unwrap_or(i128::MAX),
                rows: rows.get(i)?,
                bad: bad.get(i)? > 0,
                uneven: min != max,
            };
            let d = match day.get(i) {
                Some(d) if d != NO_DAY => d,
                // A day polars gives is a multiple of `DAY_MS`.
                Some(_) => return None,
                None => NO_DAY,
            };
            if !g.day(series, d).merge(&acc) {
                return None;
            }
        }
        Some(())
    }

    /// Adds the rows of a decoded slice of a Parquet file (columns `usage_start`, `usage_end`,
    /// `quantity` and the key columns `names`), as `csv_range` adds a CSV file's lines: faster than
    /// polars' group-by over a dozen text columns. `None`, before any row is added, when a column
    /// has a type this does not read exactly as the polars query does (the polars query then
    /// groups the slice): times must be in milliseconds, the quantity text or a decimal of at most
    /// `SCALE` places, the keys text.
    pub(crate) fn add_rows(
        &mut self,
        df: &DataFrame,
        names: &[&str],
        roles: &Roles,
        rows: std::ops::Range<usize>,
        text_times: bool,
    ) -> Option<()> {
        let n = df.height();
        if rows.end > n {
            return None;
        }
        let numbers = Numbers::of(df, roles, text_times)?;
        let mut keys = Vec::with_capacity(names.len());
        for name in names {
            keys.push(df.column(name).ok()?.str().ok()?.rechunk().into_owned());
        }
        if n == 0 {
            return Some(());
        }
        let (mut start, mut end, q, cost) = numbers.readers()?;
        let keys = keys
            .iter()
            .map(|k| k.downcast_get(0))
            .collect::<Option<Vec<_>>>()?;
        for i in rows {
            let (s, e) = (start.at(i), end.at(i));
            let q = q.at_counted(i, &mut self.unparsed);
            let c = cost.as_ref().and_then(|c| c.at(i));
            self.add_costed(s, e, q, c, keys.iter().map(|k| k.get(i).map(str::as_bytes)));
        }
        Some(())
    }

    /// Adds the rows of a slice of a Parquet file whose times and quantities `df` holds (columns
    /// `usage_start`, `usage_end`, `quantity`, read as `add_rows` reads them) and whose key
    /// columns `keys` holds as codes (`parquet_keys.rs`), in the order of `names`. A row's series
    /// is found by its codes; the texts of each new combination of codes are looked up once.
    /// `None`, before any row is added, when a column cannot be read so.
    pub(crate) fn add_coded(
        &mut self,
        df: &DataFrame,
        keys: &[KeyCodes],
        roles: &Roles,
        text_times: bool,
    ) -> Option<()> {
        let n = df.height();
        if keys.len() != self.keys || keys.len() > CODES || keys.iter().any(|k| k.codes.len() != n)
        {
            return None;
        }
        let numbers = Numbers::of(df, roles, text_times)?;
        if n == 0 {
            return Some(());
        }
        let (mut start, mut end, q, cost) = numbers.readers()?;
        let texts: Vec<&[Box<str>]> = keys.iter().map(|k| &k.texts[..]).collect();
        let mut cache = CodeSeries::new(&texts)?;
        let mut row = CodeRow([0; CODES]);
        for i in 0..n {
            for (code, key) in row.0.iter_mut().zip(keys) {
                *code = key.codes[i];
            }
            let Some(series) = cache.series(self, row, &texts) else {
                self.failed = true;
                return Some(());
            };
            let c = cost.as_ref().and_then(|c| c.at(i));
            let q = q.at_counted(i, &mut self.unparsed);
            self.add_to(series, start.at(i), end.at(i), q, c);
        }
        Some(())
    }

    /// Adds the rows of a Parquet row group read from its dictionaries, a window of rows at a
    /// time: each column's codes decoded, the key columns' codes packed into one number per row,
    /// each row's series found by that number, then the rows added (with the series known, the
    /// memory accesses of many rows' sums overlap). `Err` names the column (its place in the
    /// group's chunks) whose page did not decode; the rows of the windows before it were added.
    pub(crate) fn add_paged(&mut self, g: &PagedGroup) -> Result<(), usize> {
        let keys = self.keys;
        let texts: Vec<&[Box<str>]> = g.texts.iter().map(|t| &t[..]).collect();
        let Some(numbers) = self.interned.numbers_of(&texts) else {
            self.failed = true;
            return Ok(());
        };
        let mut finder = PackedSeries::new(&g.packing, g.pivot, texts[g.pivot].len(), numbers);
        let mut columns: Vec<_> = g.pages.iter().map(ChunkPages::positions).collect();
        // Each column's codes in the window, or the one code of all its rows (a run: most key
        // columns hold one text over many rows, and times one hour's).
        let mut window: Vec<(Option<u32>, Vec<u32>)> =
            vec![(None, Vec::with_capacity(WINDOW)); columns.len()];
        let (mut packed, mut ids) = (Vec::with_capacity(WINDOW), Vec::with_capacity(WINDOW));
        let mut done = 0;
        let rows = g.pages.first().map_or(0, ChunkPages::rows);
        while done < rows {
            let n = WINDOW.min(rows - done);
            for (c, (column, (constant, codes))) in columns.iter_mut().zip(&mut window).enumerate()
            {
                *constant = column.constant(n);
                if constant.is_none() {
                    codes.clear();
                    column.fill(n, codes).ok_or(c)?;
                }
            }
            let (key_codes, numbers) = window.split_at(keys);
            let (start, end, quantity, cost) = match numbers {
                [start, end, quantity] => (start, end, quantity, None),
                [start, end, quantity, cost] => (start, end, quantity, Some(cost)),
                _ => return Err(keys),
            };
            let mut base = 0u64;
            for ((constant, _), &(shift, bits)) in key_codes.iter().zip(&g.packing) {
                if let (Some(code), 1..) = (constant, bits) {
                    base |= u64::from(*code) << shift;
                }
            }
            packed.clear();
            packed.resize(n, base);
            for ((constant, column), &(shift, bits)) in key_codes.iter().zip(&g.packing) {
                // All null (no bits) or one code (in `base`).
                if bits == 0 || constant.is_some() {
                    continue;
                }
                for (p, &code) in packed.iter_mut().zip(column) {
                    *p |= u64::from(code) << shift;
                }
            }
            ids.clear();
            let (pivot_constant, pivot_codes) = &key_codes[g.pivot];
            for (i, &p) in packed.iter().enumerate() {
                let pivot = match pivot_constant {
                    Some(code) => *code,
                    None => pivot_codes[i],
                };
                let Some(series) = finder.series(self, p, pivot, &texts) else {
                    self.failed = true;
                    return Ok(());
                };
                ids.push(series);
            }
            // Codes were checked to be in their dictionaries: every lookup finds a value.
            let code = |(constant, codes): &(Option<u32>, Vec<u32>), i: usize| match constant {
                Some(code) => *code,
                None => codes[i],
            };
            let time =
                |table: &[Option<i64>], code: u32| table.get(code as usize).copied().flatten();
            let value =
                |table: &[Option<i128>], code: u32| table.get(code as usize).copied().flatten();
            for (i, &series) in ids.iter().enumerate() {
                let q_code = code(quantity, i);
                let q = value(&g.quantity, q_code);
                // Code 0 is null; another code names a value, which did not parse when `None`.
                self.unparsed += u64::from(q_code != 0 && q.is_none());
                self.add_to(
                    series as usize,
                    time(&g.start, code(start, i)),
                    time(&g.end, code(end, i)),
                    q,
                    cost.and_then(|c| value(&g.cost, code(c, i))),
                );
            }
            done += n;
        }
        Ok(())
    }

    /// Gives up summing EC2 hours (`hourly_ec2` then runs its own query).
    pub(crate) fn drop_hours(&mut self) {
        self.hourly = None;
    }

    /// The groups as frames: the series (`sid`, the key column `resource_id` when it is one of
    /// `names`, `combo`: the row of the combinations frame that holds the series' other key
    /// columns, and over the series' days: `bad`, whether a row failed a per-row test, the least
    /// `q_min`, and `uneven` when the quantities of a day, or of a part of one (`SeriesDay`),
    /// differ or are null; with EC2 hours, `hourly`: whether the series' rows are in them), the
    /// combinations (the key columns `names` but `resource_id`), the days (`SeriesDay`), and the
    /// EC2 hours when asked for (`Hourly::into_class_hours`); `None` when a key is not UTF-8 or a
    /// count overflows.
    pub(crate) fn into_series_frames(
        mut self,
        names: &[&str],
        resource: &str,
    ) -> Option<SeriesFrames> {
        if self.failed {
            return None;
        }
        let mut days = self.all_days();
        if self.failed {
            return None;
        }
        let n_series = self.series.len();
        // Over each series' days: a bad row, the least quantity, and whether a day's quantities
        // differ or are null; beside (on another thread) each series' resource id and the
        // number of its combination of the other key fields, whose values are kept once each.
        let id_at = names.iter().position(|n| *n == resource);
        let (stats, keyed) = rayon::join(
            || -> Option<Vec<(bool, i128, bool)>> {
                let mut stats = vec![(false, i128::MAX, false); n_series];
                days.renumber_each(|d| {
                    let (bad, min, uneven) = stats.get_mut(d.sid as usize)?;
                    *bad |= d.acc.bad;
                    *min = (*min).min(d.acc.min);
                    *uneven |= d.acc.min().is_none() || d.acc.uneven;
                    Some(())
                })?;
                Some(stats)
            },
            || series_keys(&self.map, self.keys, id_at),
        );
        let (
            stats,
            SeriesKeys {
                sids,
                ids,
                combos,
                combo_fields,
                n_combos,
            },
        ) = (stats?, keyed?);
        let (mut s_bad, mut s_min, mut s_uneven) = (
            Vec::with_capacity(n_series),
            Vec::with_capacity(n_series),
            Vec::with_capacity(n_series),
        );
        for &i in &sids {
            let (bad, min, uneven) = stats[i as usize];
            s_bad.push(bad);
            s_min.push((min != i128::MAX).then_some(min));
            s_uneven.push(uneven);
        }
        let other_names = names.iter().filter(|n| **n != resource);
        let combo_columns: Vec<Column> = other_names
            .zip(combo_fields)
            .map(|(name, values)| Column::new((*name).into(), values))
            .collect();
        let costs: Option<Vec<Option<i128>>> = self.costs.as_ref().map(|costs| {
            sids.iter()
                .map(|&i| costs.get(i as usize).copied())
                .collect()
        });
        let mut series: Vec<Column> = vec![Column::new("sid".into(), sids)];
        if id_at.is_some() {
            series.push(Column::new(RESOURCE_ID.into(), ids));
        }
        series.push(Column::new("combo".into(), combos));
        series.push(Column::new("bad".into(), s_bad));
        series.push(decimal_column("q_min", s_min));
        series.push(Column::new("uneven".into(), s_uneven));
        if let Some(cost) = costs {
            series.push(decimal_column("cost", cost));
        }
        let hourly = match self.hourly {
            Some(h) => {
                let flags: Vec<bool> = (0..n_series).map(|i| h.has_class(i)).collect();
                let by_sid: Vec<bool> = self.map.values().map(|&i| flags[i]).collect();
                series.push(Column::new("hourly".into(), by_sid));
                Some(h.into_class_hours()?)
            }
            None => None,
        };
        Some(SeriesFrames {
            series: DataFrame::new(n_series, series).ok()?,
            combos: DataFrame::new(n_combos, combo_columns).ok()?,
            days,
            hourly,
        })
    }
}

/// The series of a `Groups`' map (`series_keys`), in the map's order.
struct SeriesKeys<'a> {
    /// Each series' number.
    sids: Vec<u32>,
    /// Each series' resource id (empty when the key has none).
    ids: Vec<Option<&'a str>>,
    /// Each series' combination of the other key fields.
    combos: Vec<u32>,
    /// The combinations' fields, by key column but the resource id.
    combo_fields: Vec<Vec<Option<&'a str>>>,
    /// How many combinations.
    n_combos: usize,
}

/// Each series' number, resource id (field `id_at` of its key, when there is one) and the
/// number of its combination of the other fields, numbered in the order first seen; `None`
/// when a field is not UTF-8 or a count overflows. A combination is found by its key's bytes
/// without the id's, and its fields decoded once.
fn series_keys(map: &Map, keys: usize, id_at: Option<usize>) -> Option<SeriesKeys<'_>> {
    let n = map.len();
    let others = keys - usize::from(id_at.is_some());
    let mut combo_of: HashMap<Vec<u8>, u32, foldhash::fast::FixedState> = HashMap::default();
    let mut out = SeriesKeys {
        sids: Vec::with_capacity(n),
        ids: Vec::with_capacity(if id_at.is_some() { n } else { 0 }),
        combos: Vec::with_capacity(n),
        combo_fields: vec![Vec::new(); others],
        n_combos: 0,
    };
    let mut buf = Vec::new();
    for (k, &i) in map {
        buf.clear();
        match id_at {
            Some(at) => {
                let (span, id) = field_at(k, at)?;
                out.ids.push(id.map(std::str::from_utf8).transpose().ok()?);
                buf.extend_from_slice(&k[..span.start]);
                buf.extend_from_slice(&k[span.end..]);
            }
            None => buf.extend_from_slice(k),
        }
        let combo = match combo_of.get(buf.as_slice()) {
            Some(&c) => c,
            None => {
                let c = u32::try_from(combo_of.len()).ok()?;
                let mut fields = decode_key(k, keys)?;
                if let Some(at) = id_at {
                    fields.remove(at);
                }
                for (column, f) in out.combo_fields.iter_mut().zip(fields) {
                    column.push(f);
                }
                combo_of.insert(buf.clone(), c);
                c
            }
        };
        out.combos.push(combo);
        out.sids.push(u32::try_from(i).ok()?);
    }
    out.n_combos = combo_of.len();
    Some(out)
}

/// Key columns read as codes at most (this project's format has 12; a CUR's identity columns are
/// about as many); a file with more is read from its decoded rows.
const CODES: usize = 16;

/// A row's key columns as codes (`parquet_keys.rs`), unused places 0. Compared and hashed
/// without a call to `memcmp`, which a 48-byte array's `==` makes (a sixth of the first pass).
#[derive(Clone, Copy)]
struct CodeRow([u32; CODES]);

impl PartialEq for CodeRow {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(&other.0)
            .fold(0, |diff, (a, b)| diff | (a ^ b))
            == 0
    }
}

impl Eq for CodeRow {}

impl std::hash::Hash for CodeRow {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let mixed = self.0.iter().fold(0u64, |h, &c| {
            (h ^ u64::from(c)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        });
        state.write_u64(mixed);
    }
}

/// Finds rows' series by their key codes: the combinations seen (codes, series), found by their
/// codes; and the last one seen for each code of the column with the most texts (a resource's
/// id, usually), which names the combination of most rows without hashing. The texts of each
/// new combination are looked up once.
struct CodeSeries {
    seen: Vec<(CodeRow, usize)>,
    by_codes: HashMap<CodeRow, u32, foldhash::fast::FixedState>,
    pivot: usize,
    by_pivot: Vec<u32>,
}

impl CodeSeries {
    /// For key columns of these texts (a code `c` > 0 names `texts[c - 1]`).
    fn new(texts: &[&[Box<str>]]) -> Option<Self> {
        if texts.len() > CODES {
            return None;
        }
        let pivot = (0..texts.len()).max_by_key(|&c| texts[c].len())?;
        Some(CodeSeries {
            seen: Vec::new(),
            by_codes: HashMap::default(),
            pivot,
            by_pivot: vec![u32::MAX; texts[pivot].len() + 1],
        })
    }

    /// The series of a row of codes, added to `groups` when new; `None` when its key cannot be
    /// encoded or a code is out of range.
    #[inline]
    fn series(
        &mut self,
        groups: &mut Groups,
        row: CodeRow,
        texts: &[&[Box<str>]],
    ) -> Option<usize> {
        let p = row.0[self.pivot] as usize;
        let last = *self.by_pivot.get(p)?;
        if let Some((codes, series)) = self.seen.get(last as usize)
            && *codes == row
        {
            return Some(*series);
        }
        let j = match self.by_codes.get(&row) {
            Some(&j) => j,
            None => {
                let fields = texts.iter().zip(row.0).map(|(texts, code)| match code {
                    0 => Some(None),
                    c => texts.get(c as usize - 1).map(|t| Some(t.as_bytes())),
                });
                let fields = fields.collect::<Option<Vec<_>>>()?;
                let series = groups.series_of(fields.into_iter())?;
                let j = u32::try_from(self.seen.len()).ok()?;
                self.seen.push((row, series));
                self.by_codes.insert(row, j);
                j
            }
        };
        self.by_pivot[p] = j;
        Some(self.seen[j as usize].1)
    }
}

/// Finds rows' series by their key codes packed into one number (`PagedGroup`): the
/// combinations seen (packed codes, series), found by their number; and the last one seen for
/// each code of the column with the most texts (a resource's id, usually), which names the
/// combination of most rows without hashing. The texts of each new combination are looked up
/// once.
struct PackedSeries<'a> {
    packing: &'a [(u32, u32)],
    /// The key column with the most texts.
    pivot: usize,
    /// Each key column's codes as numbers (`Interned`).
    numbers: Vec<Vec<u32>>,
    seen: Vec<(u64, u32)>,
    by_packed: HashMap<u64, u32, foldhash::fast::FixedState>,
    by_pivot: Vec<u32>,
}

impl<'a> PackedSeries<'a> {
    /// For codes packed as `packing` says, the pivot (key column `pivot`) having at most
    /// `pivot_texts` codes.
    fn new(
        packing: &'a [(u32, u32)],
        pivot: usize,
        pivot_texts: usize,
        numbers: Vec<Vec<u32>>,
    ) -> Self {
        PackedSeries {
            packing,
            pivot,
            numbers,
            seen: Vec::new(),
            by_packed: HashMap::default(),
            by_pivot: vec![u32::MAX; pivot_texts + 1],
        }
    }

    /// The series of a row of packed codes whose pivot code is `pivot`, added to `groups` when
    /// new; `None` when its key cannot be encoded or a count is out of range.
    #[inline]
    fn series(
        &mut self,
        groups: &mut Groups,
        packed: u64,
        pivot: u32,
        texts: &[&[Box<str>]],
    ) -> Option<u32> {
        let last = self.by_pivot.get_mut(pivot as usize)?;
        if let Some(&(p, series)) = self.seen.get(*last as usize)
            && p == packed
        {
            return Some(series);
        }
        let j = match self.by_packed.get(&packed) {
            Some(&j) => j,
            None => {
                let j = u32::try_from(self.seen.len()).ok()?;
                let series = self.new_series(groups, packed, texts)?;
                self.seen.push((packed, series));
                self.by_packed.insert(packed, j);
                j
            }
        };
        *self.by_pivot.get_mut(pivot as usize)? = j;
        Some(self.seen[j as usize].1)
    }

    /// The series of a combination not seen before in this row group: found by its texts'
    /// numbers when they were seen together before, else by its texts.
    #[cold]
    fn new_series(&self, groups: &mut Groups, packed: u64, texts: &[&[Box<str>]]) -> Option<u32> {
        let mut codes = [0u32; CODES];
        let mut numbers = CodeRow([0; CODES]);
        for (c, ((code, number), of_code)) in codes
            .iter_mut()
            .zip(&mut numbers.0)
            .zip(&self.numbers)
            .enumerate()
            .take(texts.len())
        {
            let (shift, bits) = *self.packing.get(c)?;
            if bits > 0 {
                *code = u32::try_from((packed >> shift) & (u64::MAX >> (64 - bits))).ok()?;
            }
            *number = *of_code.get(*code as usize)?;
        }
        let interned = &mut groups.interned;
        let at = *numbers.0.get(self.pivot)? as usize;
        if interned.pivot == self.pivot
            && let Some(&(row, series)) = interned.by_pivot.get(at)
            && series != NONE
            && row == numbers
        {
            return Some(series);
        }
        let series = match interned.series.get(&numbers) {
            Some(&series) => series,
            None => {
                let mut fields = Vec::with_capacity(texts.len());
                for (texts, &code) in texts.iter().zip(&codes) {
                    fields.push(match code {
                        0 => None,
                        c => Some(texts.get(c as usize - 1)?.as_bytes()),
                    });
                }
                let series = u32::try_from(groups.series_of(fields.into_iter())?).ok()?;
                groups.interned.series.insert(numbers, series);
                series
            }
        };
        let interned = &mut groups.interned;
        if interned.pivot != self.pivot {
            interned.by_pivot.clear();
            interned.pivot = self.pivot;
        }
        if interned.by_pivot.len() <= at {
            interned
                .by_pivot
                .resize(at + 1, (CodeRow([0; CODES]), NONE));
        }
        interned.by_pivot[at] = (numbers, series);
        Some(series)
    }
}

/// The rows of a Parquet window: so many are decoded at a time, column by column, and added
/// while their codes are in the cache.
const WINDOW: usize = 4096;

/// A Parquet row group whose key columns are dictionary-encoded, and its times and quantities
/// dictionary-encoded or PLAIN (`parquet_keys::ChunkPages`): the key columns' texts, where each column's codes go in a row's
/// packed codes (at most 64 bits in all) and which column has the most texts (the pivot), and
/// the times' and quantities' values by code (0: null), read as `Groups::add_rows` reads them (a
/// value that does not parse is null). Its rows are added a window at a time by
/// `Groups::add_paged`.
pub(crate) struct PagedGroup<'a> {
    pages: &'a [ChunkPages],
    texts: Vec<Vec<Box<str>>>,
    /// Each key column's place in a row's packed codes: (shift, bits), below 64 bits in all.
    packing: Vec<(u32, u32)>,
    pivot: usize,
    start: Vec<Option<i64>>,
    end: Vec<Option<i64>>,
    quantity: Vec<Option<i128>>,
    /// The billed costs by code, when the rows have one (empty otherwise).
    cost: Vec<Option<i128>>,
}

impl<'a> PagedGroup<'a> {
    /// `pages`: the key columns' chunks then the number columns' (`Roles::numbers`: start, end,
    /// quantity and the cost when `types` has four), whose polars types are `types`; `None` when
    /// a column is of a type not read so.
    pub(crate) fn new(
        pages: &'a [ChunkPages],
        types: &[&DataType],
        text_times: bool,
    ) -> Option<Self> {
        let numbers = types.len();
        if !(3..=4).contains(&numbers) || pages.len() < numbers {
            return None;
        }
        let (keys, number_pages) = pages.split_at(pages.len() - numbers);
        let rows = number_pages[0].rows();
        if pages.iter().any(|p| p.rows() != rows) {
            return None;
        }
        let texts = keys
            .iter()
            .map(ChunkPages::texts)
            .collect::<Option<Vec<_>>>()?;
        // A column's codes are at most its number of texts: they take that number's bits.
        let mut packing = Vec::with_capacity(texts.len());
        let mut used = 0u32;
        for t in &texts {
            let bits = usize::BITS - t.len().leading_zeros();
            packing.push((if bits == 0 { 0 } else { used }, bits));
            used += bits;
        }
        if used > 64 || texts.len() > CODES {
            return None;
        }
        let pivot = (0..texts.len()).max_by_key(|&c| texts[c].len())?;
        Some(PagedGroup {
            pages,
            texts,
            packing,
            pivot,
            start: time_table(&number_pages[0], types[0], text_times)?,
            end: time_table(&number_pages[1], types[1], text_times)?,
            quantity: quantity_table(&number_pages[2], types[2])?,
            cost: match number_pages.get(3) {
                Some(p) => quantity_table(p, types[3])?,
                None => Vec::new(),
            },
        })
    }
}

/// The fixed-width values a chunk's codes name (`ChunkPages::values`), in code order; `None` when
/// a buffer does not hold its number of `width`-byte values.
fn fixed_values<T>(pages: &ChunkPages, width: usize, value: impl Fn(&[u8]) -> T) -> Option<Vec<T>> {
    let mut out = Vec::new();
    for (bytes, n) in pages.values()? {
        if bytes.len() != n.checked_mul(width)? {
            return None;
        }
        out.extend(bytes.chunks_exact(width).map(&value));
    }
    Some(out)
}

/// The times a chunk's codes name, as milliseconds by code (0: null): typed milliseconds, or
/// RFC 3339 text when `text_times`.
fn time_table(pages: &ChunkPages, dtype: &DataType, text_times: bool) -> Option<Vec<Option<i64>>> {
    let int64 = |b: &[u8]| {
        let mut le = [0u8; 8];
        le.copy_from_slice(b);
        i64::from_le_bytes(le)
    };
    let values: Vec<Option<i64>> = match (dtype, pages.physical()) {
        (DataType::Datetime(TimeUnit::Milliseconds, _), PhysicalType::Int64) => {
            fixed_values(pages, 8, |b| Some(int64(b)))?
        }
        // As polars casts them to milliseconds (times before 1970 are left to polars).
        (DataType::Datetime(TimeUnit::Microseconds, _), PhysicalType::Int64) => {
            fixed_values(pages, 8, |b| {
                Some(int64(b)).filter(|v| *v >= 0).map(|v| v / 1000)
            })?
        }
        (DataType::String, PhysicalType::ByteArray) if text_times => pages
            .texts()?
            .iter()
            .map(|t| rfc3339_ms(t.as_bytes()))
            .collect(),
        _ => return None,
    };
    Some(std::iter::once(None).chain(values).collect())
}

/// The quantities a chunk's codes name, at `SCALE` places by code (0: null): text, or decimals
/// of at most `SCALE` places stored as 32- or 64-bit integers or fixed-length big-endian bytes.
fn quantity_table(pages: &ChunkPages, dtype: &DataType) -> Option<Vec<Option<i128>>> {
    let values: Vec<Option<i128>> = match (dtype, pages.physical()) {
        (DataType::String, PhysicalType::ByteArray) => pages
            .texts()?
            .iter()
            .map(|t| decimal(t.as_bytes()))
            .collect(),
        (DataType::Float64, PhysicalType::Double) => fixed_values(pages, 8, |b| {
            let mut le = [0u8; 8];
            le.copy_from_slice(b);
            float_decimal(f64::from_le_bytes(le))
        })?,
        (&DataType::Decimal(_, scale), physical) => {
            let factor = 10i128.checked_pow(u32::try_from(SCALE.checked_sub(scale)?).ok()?)?;
            let (width, little_endian) = match physical {
                PhysicalType::Int32 => (4, true),
                PhysicalType::Int64 => (8, true),
                PhysicalType::FixedLenByteArray(w) if (1..=16).contains(&w) => (w, false),
                _ => return None,
            };
            fixed_values(pages, width, |b| {
                // Two's complement, sign-extended to 16 bytes, big-endian.
                let sign = if little_endian { b[width - 1] } else { b[0] };
                let mut be = [if sign & 0x80 == 0 { 0 } else { 0xff }; 16];
                if little_endian {
                    be[16 - width..]
                        .iter_mut()
                        .zip(b.iter().rev())
                        .for_each(|(d, s)| *d = *s);
                } else {
                    be[16 - width..].copy_from_slice(b);
                }
                i128::from_be_bytes(be).checked_mul(factor)
            })?
        }
        _ => return None,
    };
    Some(std::iter::once(None).chain(values).collect())
}

/// A float as polars reads it as a quantity: its shortest text (polars writes it with `zmij`),
/// read as an exact decimal at `SCALE` places; `None` where that text is not a plain decimal
/// (an exponent, `NaN`): such a row fails a per-row test and takes the per-row path.
#[inline]
fn float_decimal(v: f64) -> Option<i128> {
    let mut buf = zmij::Buffer::new();
    decimal(buf.format(v).as_bytes())
}

/// A Parquet slice's times and quantities (and billed costs), as `Groups::add_rows` reads them:
/// times in milliseconds (or RFC 3339 text when `text_times`), the quantity text, a float or a
/// decimal of at most `SCALE` places.
struct Numbers {
    start: Column,
    end: Column,
    quantity: Amounts,
    cost: Option<Amounts>,
}

/// A column of quantities or costs: text, floats, or decimals with the factor that brings them
/// to `SCALE` places.
enum Amounts {
    Text(Column),
    Float(Column),
    Scaled(Column, i128),
}

impl Amounts {
    fn of(c: &Column) -> Option<Self> {
        Some(match c.dtype() {
            DataType::String => Amounts::Text(c.rechunk()),
            DataType::Float64 => Amounts::Float(c.rechunk()),
            _ => {
                let d = c.decimal().ok()?;
                let places = SCALE.checked_sub(d.scale())?;
                let factor = 10i128.pow(u32::try_from(places).ok()?);
                Amounts::Scaled(d.physical().rechunk().into_owned().into_column(), factor)
            }
        })
    }

    fn reader(&self) -> Option<QuantityReader<'_>> {
        Some(match self {
            Amounts::Text(c) => QuantityReader::Text(c.str().ok()?.downcast_get(0)?),
            Amounts::Float(c) => QuantityReader::Float(c.f64().ok()?.downcast_get(0)?),
            Amounts::Scaled(c, f) => QuantityReader::Scaled(c.i128().ok()?.downcast_get(0)?, *f),
        })
    }
}

impl Numbers {
    /// `None` when a column has another type.
    fn of(df: &DataFrame, roles: &Roles, text_times: bool) -> Option<Self> {
        let times = |name: &str| -> Option<Column> {
            let c = df.column(name).ok()?;
            match c.dtype() {
                DataType::Datetime(TimeUnit::Milliseconds, _) => Some(
                    c.datetime()
                        .ok()?
                        .physical()
                        .rechunk()
                        .into_owned()
                        .into_column(),
                ),
                DataType::String if text_times => Some(c.rechunk()),
                _ => None,
            }
        };
        let (start, end) = (times(&roles.start)?, times(&roles.end)?);
        let quantity = Amounts::of(df.column(&roles.quantity).ok()?)?;
        let cost = match &roles.cost {
            Some(name) => Some(Amounts::of(df.column(name).ok()?)?),
            None => None,
        };
        Some(Numbers {
            start,
            end,
            quantity,
            cost,
        })
    }

    /// Readers of the (non-empty) columns.
    #[allow(clippy::type_complexity)]
    fn readers(
        &self,
    ) -> Option<(
        TimeReader<'_>,
        TimeReader<'_>,
        QuantityReader<'_>,
        Option<QuantityReader<'_>>,
    )> {
        let cost = match &self.cost {
            Some(c) => Some(c.reader()?),
            None => None,
        };
        Some((
            TimeReader::new(&self.start)?,
            TimeReader::new(&self.end)?,
            self.quantity.reader()?,
            cost,
        ))
    }
}

/// A Parquet slice's times, as milliseconds: typed, or text in the RFC 3339 format.
enum TimeReader<'a> {
    Millis(&'a <Int64Type as PolarsDataType>::Array),
    Text(&'a <StringType as PolarsDataType>::Array, TimeCache),
}

impl<'a> TimeReader<'a> {
    /// A reader of a one-chunk column of milliseconds or text.
    fn new(c: &'a Column) -> Option<Self> {
        Some(match c.dtype() {
            DataType::String => {
                TimeReader::Text(c.str().ok()?.downcast_get(0)?, TimeCache::default())
            }
            _ => TimeReader::Millis(c.i64().ok()?.downcast_get(0)?),
        })
    }

    #[inline]
    fn at(&mut self, i: usize) -> Option<i64> {
        match self {
            TimeReader::Millis(a) => a.get(i),
            TimeReader::Text(a, cache) => a.get(i).and_then(|t| cache.parse(t.as_bytes())),
        }
    }
}

/// A Parquet slice's quantities: text, or decimals with the factor that brings them to `SCALE`
/// places.
enum QuantityReader<'a> {
    Text(&'a <StringType as PolarsDataType>::Array),
    Float(&'a <Float64Type as PolarsDataType>::Array),
    Scaled(&'a <Int128Type as PolarsDataType>::Array, i128),
}

impl QuantityReader<'_> {
    /// [`QuantityReader::at`], counting a value that does not parse in `unparsed`.
    #[inline]
    fn at_counted(&self, i: usize, unparsed: &mut u64) -> Option<i128> {
        let v = self.at(i);
        if v.is_none() && self.is_valid(i) {
            *unparsed += 1;
        }
        v
    }

    fn is_valid(&self, i: usize) -> bool {
        match self {
            QuantityReader::Text(a) => a.get(i).is_some(),
            QuantityReader::Float(a) => a.get(i).is_some(),
            QuantityReader::Scaled(a, _) => a.get(i).is_some(),
        }
    }

    #[inline]
    fn at(&self, i: usize) -> Option<i128> {
        match self {
            QuantityReader::Text(a) => a.get(i).and_then(|v| decimal(v.as_bytes())),
            QuantityReader::Float(a) => a.get(i).and_then(float_decimal),
            QuantityReader::Scaled(a, factor) => a.get(i).and_then(|v| v.checked_mul(*factor)),
        }
    }
}

/// The groups as frames (`Groups::into_series_frames`).
pub(crate) struct SeriesFrames {
    /// A row per series: `sid`, `resource_id` (when it is a key column), `combo` (a row of
    /// `combos`) and the sums over its days (see `into_series_frames`).
    pub series: DataFrame,
    /// The combinations of the series' key fields other than the resource id, each once (a few
    /// hundred where the series are thousands: one or more per resource).
    pub combos: DataFrame,
    pub days: Days,
    pub hourly: Option<ClassHours>,
}

/// Rows in a chunk of days (`Days`) at most.
const CHUNK: usize = 1 << 16;
/// Chunks at most: a day's index (chunk and place) fits a `u32` other than `NONE`.
const MAX_CHUNKS: usize = (u32::MAX >> 16) as usize;

/// Days (`SeriesDay`) in chunks of `CHUNK`, each made with its whole capacity: adding a day never
/// copies the others (a vector that doubles copied and faulted in tens of megabytes on a big
/// file), and merging moves the other's chunks.
#[derive(Default)]
pub(crate) struct Days {
    chunks: Vec<Vec<SeriesDay>>,
    /// Chunks moved here from another `Groups` (`Groups::merge`), whose days still hold that
    /// one's series numbers, with the number here of each of its series (given to the days by
    /// `renumber_each`, in the pass over the days made anyway); no day is added to them.
    foreign: Vec<(std::ops::Range<usize>, Vec<u32>)>,
}

impl Days {
    /// The index of place `k` of chunk `c`.
    fn index(c: usize, k: usize) -> u32 {
        ((c << 16) | k) as u32
    }

    /// Whether the last chunk takes no more days (full, or another's).
    fn last_closed(&self) -> bool {
        self.chunks.last().is_none_or(|c| c.len() == CHUNK)
            || self
                .foreign
                .last()
                .is_some_and(|(r, _)| r.end == self.chunks.len())
    }

    /// The index the next day added gets.
    fn next_index(&self) -> u32 {
        match self.chunks.last() {
            Some(c) if !self.last_closed() => Self::index(self.chunks.len() - 1, c.len()),
            _ => Self::index(self.chunks.len(), 0),
        }
    }

    /// Moves another `Groups`' days here, whose series number `i` is number `numbers[i]` here;
    /// false when there is no room.
    fn append_foreign(&mut self, mut other: Days, numbers: Vec<u32>) -> bool {
        if other.renumber_each(|_| Some(())).is_none()
            || self.chunks.len() + other.chunks.len() > MAX_CHUNKS
        {
            return false;
        }
        let first = self.chunks.len();
        self.chunks.extend(other.chunks);
        self.foreign.push((first..self.chunks.len(), numbers));
        true
    }

    /// Gives the days moved from other `Groups` their series numbers here, and calls `f` on every
    /// day, in order; `None` when a number is out of range or `f` gives `None`.
    fn renumber_each(&mut self, mut f: impl FnMut(&SeriesDay) -> Option<()>) -> Option<()> {
        let foreign = std::mem::take(&mut self.foreign);
        for (c, chunk) in self.chunks.iter_mut().enumerate() {
            let numbers = foreign
                .iter()
                .find(|(r, _)| r.contains(&c))
                .map(|(_, n)| &n[..]);
            for d in chunk.iter_mut() {
                if let Some(numbers) = numbers {
                    d.sid = *numbers.get(d.sid as usize)?;
                }
                f(d)?;
            }
        }
        Some(())
    }

    /// Adds a day: its index, or `None` when there is no room.
    fn push(&mut self, d: SeriesDay) -> Option<u32> {
        if self.last_closed() {
            if self.chunks.len() == MAX_CHUNKS {
                return None;
            }
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        let c = self.chunks.len() - 1;
        let chunk = self.chunks.last_mut()?;
        chunk.push(d);
        Some(Self::index(c, chunk.len() - 1))
    }

    fn get_mut(&mut self, at: u32) -> &mut SeriesDay {
        &mut self.chunks[(at >> 16) as usize][(at & 0xffff) as usize]
    }

    /// How many.
    pub(crate) fn len(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }

    /// The days, in the order they were added.
    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &SeriesDay> {
        self.chunks.iter().flatten()
    }

    /// The days in order, cut into `n` stretches of about as many days (fewer stretches when
    /// there are fewer days), each as slices.
    pub(crate) fn split(&self, n: usize) -> Vec<Vec<&[SeriesDay]>> {
        let each = self.len().div_ceil(n.max(1)).max(1);
        let mut out: Vec<Vec<&[SeriesDay]>> = Vec::new();
        let mut room = 0;
        for chunk in &self.chunks {
            let mut chunk = &chunk[..];
            while !chunk.is_empty() {
                if room == 0 {
                    out.push(Vec::new());
                    room = each;
                }
                let (head, rest) = chunk.split_at(room.min(chunk.len()));
                if let Some(stretch) = out.last_mut() {
                    stretch.push(head);
                }
                room -= head.len();
                chunk = rest;
            }
        }
        out
    }
}

/// One series' sums over one day, or over part of one (the rows of one part, `Groups::begin_part`,
/// or of one of two `Groups` merged): the parts of a day are summed where the days are used.
#[derive(Clone, Copy)]
pub(crate) struct SeriesDay {
    /// The series (`sid` of the series frame).
    pub sid: u32,
    /// While rows are added: the series' day parked before this one, or `NONE`.
    prev: u32,
    /// The day's first millisecond (UTC); `NO_DAY` for rows whose start did not parse.
    day: i64,
    acc: Acc,
}

// A day parked is one cache line.
const _: () = assert!(std::mem::size_of::<SeriesDay>() == 64);

impl SeriesDay {
    /// The day's first millisecond (UTC); `None` for rows whose start did not parse.
    pub(crate) fn day(&self) -> Option<i64> {
        (self.day != NO_DAY).then_some(self.day)
    }

    /// Rows.
    pub(crate) fn rows(&self) -> u64 {
        self.acc.rows
    }

    /// The sum of the quantities that parsed, at `SCALE` places (as polars sums: nulls skipped,
    /// and a day of nulls sums to zero).
    pub(crate) fn q(&self) -> i128 {
        self.acc.sum
    }

    /// The least quantity, when one parsed.
    pub(crate) fn q_min(&self) -> Option<i128> {
        self.acc.min()
    }
}

/// A `day` column of naive UTC milliseconds, as the polars query's.
fn day_column(days: Vec<Option<i64>>) -> Column {
    day_column_named("day", days)
}

/// The rows of `path` grouped as `first_pass.rs`' first pass groups them, or `None` when this
/// module does not read the file's layout exactly (polars then groups it). `formats` are the
/// formats `detect_time_format` found for the start and end columns.
pub(crate) fn group(
    path: &Path,
    parquet: bool,
    schema: &Schema,
    keys: &[&str],
    roles: &Roles,
    formats: (Option<usize>, Option<usize>),
    hourly: bool,
) -> Option<Groups> {
    if keys
        .iter()
        .any(|k| !matches!(schema.get(k), Some(DataType::String)))
    {
        return None;
    }
    if !parquet && formats == (Some(RFC3339_UTC), Some(RFC3339_UTC)) {
        group_csv(path, schema, keys, roles, hourly)
    } else {
        None
    }
}

// ----------------------------------------------------------------------------------------- CSV

/// Column positions of a CSV file.
struct CsvLayout {
    width: usize,
    start: usize,
    end: usize,
    quantity: usize,
    cost: Option<usize>,
    keys: Vec<usize>,
}

fn group_csv(
    path: &Path,
    schema: &Schema,
    keys: &[&str],
    roles: &Roles,
    hourly: bool,
) -> Option<Groups> {
    let mut f = File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    // The header: the same names, in the same order, as polars read.
    let mut head = vec![0u8; 64 * 1024];
    let n = read_full(&mut f, &mut head).ok()?;
    head.truncate(n);
    let nl = memchr::memchr(b'\n', &head)?;
    let header = std::str::from_utf8(strip_cr(&head[..nl])).ok()?;
    if header.contains('"') {
        return None;
    }
    let names: Vec<&str> = header.split(',').collect();
    if names.len() != schema.len()
        || names
            .iter()
            .zip(schema.iter_names())
            .any(|(a, b)| *a != b.as_str())
    {
        return None;
    }
    let pos = |c: &str| names.iter().position(|n| *n == c);
    let layout = CsvLayout {
        width: names.len(),
        start: pos(&roles.start)?,
        end: pos(&roles.end)?,
        quantity: pos(&roles.quantity)?,
        cost: match &roles.cost {
            Some(c) => Some(pos(c)?),
            None => None,
        },
        keys: keys.iter().map(|k| pos(k)).collect::<Option<Vec<_>>>()?,
    };
    let body = nl as u64 + 1;
    // Two halves, split after a newline.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 2);
    let mut cuts = vec![body];
    if threads > 1 && len > body + 2 * BLOCK as u64 {
        let mid = body + (len - body) / 2;
        f.seek(SeekFrom::Start(mid)).ok()?;
        let mut probe = vec![0u8; 1 << 20];
        let n = read_full(&mut f, &mut probe).ok()?;
        let at = memchr::memchr(b'\n', &probe[..n])?;
        cuts.push(mid + at as u64 + 1);
    }
    cuts.push(len);
    let parts: Vec<Option<Groups>> = std::thread::scope(|s| {
        let handles: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let (from, to) = (w[0], w[1]);
                let layout = &layout;
                let spec = hourly.then(|| HourlySpec::new(keys)).flatten();
                s.spawn(move || csv_range(path, from, to, layout, spec))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect()
    });
    let mut all: Option<Groups> = None;
    for part in parts {
        let part = part?;
        match &mut all {
            None => all = Some(part),
            Some(a) => a.merge(part),
        }
    }
    all
}

fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Groups the lines in bytes `from..to` of the file (`from` is a line's start; `to` the file's
/// end or a line's start).
fn csv_range(
    path: &Path,
    from: u64,
    to: u64,
    layout: &CsvLayout,
    hourly: Option<HourlySpec>,
) -> Option<Groups> {
    let mut f = File::open(path).ok()?;
    f.seek(SeekFrom::Start(from)).ok()?;
    let mut f = f.take(to - from);
    let mut groups = Groups::new(layout.keys.len(), hourly).with_cost(layout.cost.is_some());
    let mut buf = vec![0u8; BLOCK];
    let mut filled = 0;
    let mut times = (TimeCache::default(), TimeCache::default());
    loop {
        if filled == buf.len() {
            // A line longer than a block.
            return None;
        }
        let n = f.read(&mut buf[filled..]).ok()?;
        let at_end = n == 0;
        filled += n;
        let complete = if at_end {
            filled
        } else {
            match memchr::memrchr(b'\n', &buf[..filled]) {
                Some(i) => i + 1,
                None => continue,
            }
        };
        let text = &buf[..complete];
        let mut fields: Vec<&[u8]> = Vec::with_capacity(layout.width);
        if std::str::from_utf8(text).is_err() || memchr::memchr(b'"', text).is_some() {
            return None;
        }
        // One pass over the separators of the whole block.
        let (mut line, mut field) = (0, 0);
        for at in Separators::new(text) {
            if text[at] == b',' {
                fields.push(&text[field..at]);
                field = at + 1;
                continue;
            }
            fields.push(strip_cr(&text[field..at]));
            // A blank line: polars' reading of it is its own; leave the file to it.
            let blank = strip_cr(&text[line..at]).is_empty();
            (line, field) = (at + 1, at + 1);
            if blank || !add_row(&mut groups, &fields, layout, &mut times) {
                return None;
            }
            fields.clear();
        }
        // The file's last line, without a newline.
        if at_end && line < text.len() {
            fields.push(strip_cr(&text[field..]));
            if !add_row(&mut groups, &fields, layout, &mut times) {
                return None;
            }
        }
        if at_end {
            break;
        }
        buf.copy_within(complete..filled, 0);
        filled -= complete;
    }
    Some(groups)
}

/// The positions of the commas and newlines of a text, in order, found eight bytes at a time (the
/// fields of a usage file are short: a search call per field, as `memchr2_iter` makes, cost more
/// than the bytes it skipped).
struct Separators<'a> {
    text: &'a [u8],
    /// The first byte of the word `mask` is of.
    base: usize,
    /// The separators of that word not yet returned: the top bit of each such byte.
    mask: u64,
}

impl<'a> Separators<'a> {
    fn new(text: &'a [u8]) -> Self {
        Separators {
            text,
            base: 0,
            mask: separator_bits(word_at(text, 0)),
        }
    }
}

impl Iterator for Separators<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 8;
            if self.base >= self.text.len() {
                return None;
            }
            self.mask = separator_bits(word_at(self.text, self.base));
        }
        let at = self.base + (self.mask.trailing_zeros() / 8) as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// Eight bytes of `text` from `at`, little-endian, zero past its end.
#[inline]
fn word_at(text: &[u8], at: usize) -> u64 {
    let rest = text.get(at..).unwrap_or_default();
    match rest.first_chunk::<8>() {
        Some(w) => u64::from_le_bytes(*w),
        None => {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            u64::from_le_bytes(w)
        }
    }
}

/// The top bit of each byte of `w` that is a comma or a newline (exact: no carries between bytes).
#[inline]
fn separator_bits(w: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const COMMAS: u64 = 0x2c2c_2c2c_2c2c_2c2c;
    const NEWLINES: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let zero_bytes = |t: u64| !(((t & LOW7) + LOW7) | t | LOW7);
    zero_bytes(w ^ COMMAS) | zero_bytes(w ^ NEWLINES)
}

/// Adds a line's fields; false when it has another number of fields than the header.
#[inline]
fn add_row(
    groups: &mut Groups,
    fields: &[&[u8]],
    layout: &CsvLayout,
    (start, end): &mut (TimeCache, TimeCache),
) -> bool {
    if fields.len() != layout.width {
        return false;
    }
    let field = |i: usize| -> Option<&[u8]> {
        let f = fields[i];
        (!f.is_empty()).then_some(f)
    };
    let q_text = field(layout.quantity);
    let q = q_text.and_then(decimal);
    groups.unparsed += u64::from(q_text.is_some() && q.is_none());
    groups.add_costed(
        field(layout.start).and_then(|t| start.parse(t)),
        field(layout.end).and_then(|t| end.parse(t)),
        q,
        layout.cost.and_then(field).and_then(decimal),
        layout.keys.iter().map(|&i| field(i)),
    );
    true
}

/// The last time text parsed and its value: the rows of an hourly file come an hour at a time, so
/// most rows repeat the time before them.
#[derive(Default)]
struct TimeCache {
    text: [u8; 20],
    value: Option<i64>,
}

impl TimeCache {
    #[inline]
    fn parse(&mut self, t: &[u8]) -> Option<i64> {
        if t.len() == 20 && self.value.is_some() && t == self.text {
            return self.value;
        }
        let v = rfc3339_ms(t);
        if let (Some(_), Ok(text)) = (v, <[u8; 20]>::try_from(t)) {
            self.text = text;
            self.value = v;
        }
        v
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` as milliseconds since the epoch; `None` for anything else (or a date
/// that does not exist).
fn rfc3339_ms(s: &[u8]) -> Option<i64> {
    if s.len() != 20
        || s[4] != b'-'
        || s[7] != b'-'
        || s[10] != b'T'
        || s[13] != b':'
        || s[16] != b':'
        || s[19] != b'Z'
    {
        return None;
    }
    let num = |a: usize, b: usize| -> Option<u32> {
        s[a..b].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 7)?, num(8, 10)?)?;
    let time = chrono::NaiveTime::from_hms_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?)?;
    Some(date.and_time(time).and_utc().timestamp_millis())
}

/// Digits with an optional minus sign and an optional fraction of 1 to `SCALE` digits, as an
/// integer at `SCALE` places; `None` for anything else (a plus sign, a space, an exponent, more
/// than 19 integer digits).
fn decimal(s: &[u8]) -> Option<i128> {
    if let Some(digits) = s.strip_prefix(b"-") {
        return unsigned(digits).map(|v| -v);
    }
    unsigned(s)
}

fn unsigned(s: &[u8]) -> Option<i128> {
    let (int, frac) = match memchr::memchr(b'.', s) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    if int.is_empty() || int.len() > 19 || !int.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i128 = 0;
    for c in int {
        v = v * 10 + i128::from(c - b'0');
    }
    v *= ONE;
    if let Some(frac) = frac {
        if frac.is_empty() || frac.len() > SCALE || !frac.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let mut f: i128 = 0;
        for c in frac {
            f = f * 10 + i128::from(c - b'0');
        }
        v += f * 10i128.pow((SCALE - frac.len()) as u32);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionary_texts_get_one_number_whatever_their_order_in_a_row_group() {
        let texts = |t: &[&str]| -> Vec<Box<str>> { t.iter().map(|&s| s.into()).collect() };
        let mut interned = Interned::default();
        let (ids, types) = (texts(&["i-1", "i-2", "i-3"]), texts(&["m5.large"]));
        let first = interned.numbers_of(&[&ids, &types]).unwrap();
        assert_eq!(first, [vec![0, 1, 2, 3], vec![0, 1]]);
        // The next row group's dictionary starts elsewhere and has a new text.
        let (ids, types) = (
            texts(&["i-3", "i-4", "i-1"]),
            texts(&["c5.xlarge", "m5.large"]),
        );
        let second = interned.numbers_of(&[&ids, &types]).unwrap();
        assert_eq!(second, [vec![0, 3, 4, 1], vec![0, 2, 1]]);
    }

    #[test]
    fn days_split_into_stretches_of_about_as_many_days_in_order() {
        let mut days = Days::default();
        let n = CHUNK + CHUNK / 2 + 7;
        for i in 0..n {
            let d = SeriesDay {
                sid: i as u32,
                prev: NONE,
                day: 0,
                acc: Acc::default(),
            };
            days.push(d).unwrap();
        }
        for threads in [1, 2, 3, 5] {
            let stretches = days.split(threads);
            assert_eq!(stretches.len(), threads.min(n));
            let sizes: Vec<usize> = stretches
                .iter()
                .map(|s| s.iter().map(|c| c.len()).sum())
                .collect();
            assert_eq!(sizes.iter().sum::<usize>(), n);
            assert!(sizes.iter().all(|&k| k <= n.div_ceil(threads)), "{sizes:?}");
            let order: Vec<u32> = stretches
                .iter()
                .flatten()
                .flat_map(|c| c.iter())
                .map(|d| d.sid)
                .collect();
            assert_eq!(order, (0..n as u32).collect::<Vec<_>>());
        }
        assert!(Days::default().split(2).is_empty());
    }

    #[test]
    fn separators_are_found_where_memchr_finds_them() {
        let bytes: &[u8] = b",\n\x2c\x0a\xac\x8a\x2d\x2b\x0b\x09a\xff\x00";
        let mut state = 7u64;
        for len in 0..300 {
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    bytes[(state >> 33) as usize % bytes.len()]
                })
                .collect();
            let ours: Vec<usize> = Separators::new(&text).collect();
            let theirs: Vec<usize> = memchr::memchr2_iter(b',', b'\n', &text).collect();
            assert_eq!(ours, theirs, "{text:?}");
        }
    }

    #[test]
    fn decimals_are_read_exactly_or_not_at_all() {
        assert_eq!(decimal(b"3600"), Some(3600 * ONE));
        assert_eq!(decimal(b"0.5"), Some(ONE / 2));
        assert_eq!(decimal(b"1234.567"), Some(1_234_567 * ONE / 1000));
        assert_eq!(decimal(b"007"), Some(7 * ONE));
        assert_eq!(decimal(b"-1.5"), Some(-3 * ONE / 2));
        for bad in [
            &b"--1"[..],
            b"-",
            b"+1",
            b" 1",
            b"1 ",
            b"1e3",
            b".5",
            b"5.",
            b"",
            b"1.2.3",
            b"0.1234567890123456789",
            b"12345678901234567890",
        ] {
            assert_eq!(decimal(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn times_are_read_in_one_format_and_must_exist() {
        assert_eq!(rfc3339_ms(b"1970-01-02T00:00:01Z"), Some(DAY_MS + 1000));
        assert_eq!(
            rfc3339_ms(b"2026-10-01T00:00:00Z"),
            Some(
                chrono::NaiveDate::from_ymd_opt(2026, 10, 1)
                    .unwrap()
                    .and_hms_opt(0, 0, 0)
                    .unwrap()
                    .and_utc()
                    .timestamp_millis()
            )
        );
        for bad in [
            &b"2026-02-30T00:00:00Z"[..],
            b"2026-10-01T24:00:00Z",
            b"2026-10-01T23:59:60Z",
            b"2026-10-01 00:00:00Z",
            b"2026-10-01T00:00:00",
            b"2026-10-01T00:00:00+00:00",
            b"2026-1O-01T00:00:00Z",
        ] {
            assert_eq!(rfc3339_ms(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    /// The days of series `key` as (day, rows, sum) from `into_series_frames`, sorted.
    fn days_of(frames: &SeriesFrames, key: &str) -> Vec<(Option<i64>, u64, i128)> {
        // The key column `k` is not a resource id: its values are the combinations'.
        let series = &frames.series;
        let keys = frames.combos.column("k").unwrap().str().unwrap();
        let combos = series.column("combo").unwrap().u32().unwrap();
        let sids = series.column("sid").unwrap().u32().unwrap();
        let sid = (0..series.height())
            .find(|&i| keys.get(combos.get(i).unwrap() as usize) == Some(key))
            .and_then(|i| sids.get(i))
            .unwrap();
        let mut days: Vec<_> = frames
            .days
            .iter()
            .filter(|d| d.sid == sid)
            .map(|d| (d.day(), d.rows(), d.q()))
            .collect();
        days.sort_unstable();
        days
    }

    #[test]
    fn rows_out_of_time_order_find_their_day_again() {
        let mut g = Groups::new(1, None);
        let row = |g: &mut Groups, key: &str, day: i64, q: i128| {
            let start = day * DAY_MS + 3_600_000;
            g.add(
                Some(start),
                Some(start + 1000),
                Some(q),
                [Some(key.as_bytes())].into_iter(),
            );
        };
        // Series `a` goes back to days it has left (each found again, not added twice);
        // series `b` is in time order; a start that did not parse is a day of its own.
        for (day, q) in [(1, 1), (2, 2), (1, 3), (3, 4), (2, 5), (1, 6), (3, 7)] {
            row(&mut g, "a", day, q);
            row(&mut g, "b", day.max(0) + 10, q);
        }
        g.add(None, None, Some(8), [Some(&b"a"[..])].into_iter());
        let frames = g.into_series_frames(&["k"], RESOURCE_ID).unwrap();
        assert_eq!(
            days_of(&frames, "a"),
            vec![
                (None, 1, 8),
                (Some(DAY_MS), 3, 10),
                (Some(2 * DAY_MS), 2, 7),
                (Some(3 * DAY_MS), 2, 11),
            ]
        );
        assert_eq!(
            days_of(&frames, "b"),
            vec![
                (Some(11 * DAY_MS), 3, 10),
                (Some(12 * DAY_MS), 2, 7),
                (Some(13 * DAY_MS), 2, 11),
            ]
        );
    }

    #[test]
    fn days_past_a_chunk_are_found_again_and_merged_whole() {
        // More days than one chunk holds, in each of two `Groups`: series `a` a day each, `b`
        // every other day, then a row of an early day again (found in the chain, not added).
        let days = CHUNK as i64 + 100;
        let part = |offset: i64| {
            let mut g = Groups::new(1, None);
            for d in 0..days {
                let start = (offset + d) * DAY_MS;
                g.add(
                    Some(start),
                    Some(start + 1000),
                    Some(1),
                    [Some(&b"a"[..])].into_iter(),
                );
                if d % 2 == 0 {
                    g.add(
                        Some(start),
                        Some(start + 1000),
                        Some(2),
                        [Some(&b"b"[..])].into_iter(),
                    );
                }
            }
            g.add(
                Some(offset * DAY_MS),
                Some(offset * DAY_MS + 1000),
                Some(5),
                [Some(&b"a"[..])].into_iter(),
            );
            g
        };
        let mut first = part(0);
        assert!(first.days.chunks.len() > 1);
        // The second part overlaps the first by 10 days.
        first.merge(part(days - 10));
        let frames = first.into_series_frames(&["k"], RESOURCE_ID).unwrap();
        let a = days_of(&frames, "a");
        assert_eq!(a.len(), 2 * days as usize);
        assert_eq!(a.iter().map(|d| d.1).sum::<u64>(), 2 * days as u64 + 2);
        assert_eq!(a.iter().map(|d| d.2).sum::<i128>(), 2 * days as i128 + 10);
        assert_eq!(a[0], (Some(0), 2, 6));
        let b = days_of(&frames, "b");
        assert_eq!(b.len(), days as usize);
        assert_eq!(b.iter().map(|d| d.2).sum::<i128>(), 2 * b.len() as i128);
    }

    #[test]
    fn sums_are_uneven_when_two_quantities_differ_within_or_across_parts() {
        let acc = |qs: &[Option<i128>]| {
            let mut a = Acc::default();
            for &q in qs {
                assert!(a.add(false, q));
            }
            a
        };
        let merged = |a: &[Option<i128>], b: &[Option<i128>]| {
            let mut a = acc(a);
            assert!(a.merge(&acc(b)));
            (a.uneven, a.min(), a.rows)
        };
        assert!(!acc(&[Some(5), Some(5), None]).uneven);
        assert!(acc(&[Some(5), Some(3), Some(5)]).uneven);
        assert!(acc(&[Some(3), Some(5)]).uneven);
        assert_eq!(merged(&[Some(5)], &[Some(5), Some(5)]), (false, Some(5), 3));
        assert_eq!(merged(&[Some(5)], &[Some(7)]), (true, Some(5), 2));
        assert_eq!(merged(&[Some(7)], &[None]), (false, Some(7), 2));
        assert_eq!(merged(&[None], &[Some(4), Some(6)]), (true, Some(4), 3));
        // A bad row marks the merged sums bad.
        let mut bad = Acc::default();
        assert!(bad.add(true, None));
        let mut good = acc(&[Some(1)]);
        assert!(!good.bad);
        assert!(good.merge(&bad));
        assert!(good.bad);
    }

    /// Adds a row of series `key`: an hour from the start of `day`, of quantity `q`.
    fn hour_row(g: &mut Groups, key: &str, day: i64, q: i128) {
        let start = day * DAY_MS;
        g.add(
            Some(start),
            Some(start + 3_600_000),
            Some(q),
            [Some(key.as_bytes())].into_iter(),
        );
    }

    #[test]
    fn each_part_sums_its_rows_of_a_day_apart() {
        let mut g = Groups::new(1, None);
        // Part one reads days 1 and 2; part two day 2 again, day 1 again (out of time order:
        // found among the part's own days only) and day 3, then day 1 once more.
        g.begin_part();
        for (day, q) in [(1, 5), (2, 5), (2, 5)] {
            hour_row(&mut g, "a", day, q);
        }
        g.begin_part();
        for (day, q) in [(2, 7), (1, 4), (3, 7), (1, 4)] {
            hour_row(&mut g, "a", day, q);
        }
        let frames = g.into_series_frames(&["k"], RESOURCE_ID).unwrap();
        assert_eq!(
            days_of(&frames, "a"),
            vec![
                (Some(DAY_MS), 1, 5),
                (Some(DAY_MS), 2, 8),
                (Some(2 * DAY_MS), 1, 7),
                (Some(2 * DAY_MS), 2, 10),
                (Some(3 * DAY_MS), 1, 7)
            ]
        );
        // Each part's rows of a day are alike.
        let uneven = frames.series.column("uneven").unwrap().bool().unwrap();
        assert_eq!(uneven.get(0), Some(false));
    }

    #[test]
    fn merged_days_take_their_series_numbers_here_and_later_rows_days_of_their_own() {
        let mut first = Groups::new(1, None);
        hour_row(&mut first, "a", 1, 5);
        // Numbered the other way round in the second.
        let mut second = Groups::new(1, None);
        hour_row(&mut second, "b", 1, 1);
        hour_row(&mut second, "a", 1, 7);
        first.merge(second);
        hour_row(&mut first, "a", 1, 2);
        hour_row(&mut first, "b", 2, 3);
        let frames = first.into_series_frames(&["k"], RESOURCE_ID).unwrap();
        assert_eq!(
            days_of(&frames, "a"),
            vec![
                (Some(DAY_MS), 1, 2),
                (Some(DAY_MS), 1, 5),
                (Some(DAY_MS), 1, 7)
            ]
        );
        assert_eq!(
            days_of(&frames, "b"),
            vec![(Some(DAY_MS), 1, 1), (Some(2 * DAY_MS), 1, 3)]
        );
    }

    #[test]
    fn merged_groups_keep_each_part_of_a_day_and_their_sums() {
        let part = |qs: &[(i64, i128)]| {
            let mut g = Groups::new(1, None);
            for &(day, q) in qs {
                hour_row(&mut g, "a", day, q);
            }
            g
        };
        // Day 2 is read by both parts, its rows alike within each.
        let mut first = part(&[(1, 5), (2, 5), (2, 5)]);
        first.merge(part(&[(2, 7), (3, 7)]));
        let frames = first.into_series_frames(&["k"], RESOURCE_ID).unwrap();
        assert_eq!(
            days_of(&frames, "a"),
            vec![
                (Some(DAY_MS), 1, 5),
                (Some(2 * DAY_MS), 1, 7),
                (Some(2 * DAY_MS), 2, 10),
                (Some(3 * DAY_MS), 1, 7)
            ]
        );
        // Each part's rows are alike: the series is even (a Windows series is priced from sums,
        // each part's started hours at its own quantity).
        let uneven = frames.series.column("uneven").unwrap().bool().unwrap();
        assert_eq!(uneven.get(0), Some(false));
        assert_eq!(
            frames
                .series
                .column("q_min")
                .unwrap()
                .decimal()
                .unwrap()
                .physical()
                .get(0),
            Some(5)
        );
        // The test frame sums the parts of a day, as the polars query groups them.
        let mut first = part(&[(1, 5), (2, 5), (2, 5)]);
        first.merge(part(&[(2, 7), (3, 7)]));
        let frame = first.into_frame(&["k"]).unwrap();
        assert_eq!(frame.height(), 3);
        let rows = frame.column("rows").unwrap().u32().unwrap();
        assert_eq!(rows.iter().flatten().collect::<Vec<_>>(), vec![1, 3, 1]);
    }
}
