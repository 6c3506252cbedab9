//! Reading a usage file's columns, for every layout: opening the file (CSV, gzipped CSV,
//! Parquet), text (trimmed, empty as null), times (the formats tried, or the one detected),
//! exact decimal quantities, and the inputs of the polars functions the readers define. A leaf:
//! it knows no layout and no test.

use std::io::Read;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use rust_decimal::Decimal;

use super::{UsageError, is_parquet};

/// Scale of quantities inside polars: 18 decimal places, summed exactly as 128-bit integers.
pub(crate) const SCALE: usize = 18;
/// One at `SCALE` places.
pub(crate) const ONE: i128 = 10i128.pow(SCALE as u32);
/// Milliseconds in an hour.
pub(crate) const HOUR_MS: i64 = 3_600_000;

pub(crate) fn unreadable(file: &str, e: impl std::fmt::Display) -> UsageError {
    UsageError::Unreadable {
        file: file.into(),
        message: e.to_string(),
    }
}

/// A gzipped file is decompressed to a temporary file first (streaming, memory-bounded), so that
/// a truncated archive is reported as such and the CSV scan stays lazy.
struct Source {
    path: PathBuf,
    _temp: Option<tempfile::TempPath>,
}

fn open_source(path: &Path, file: &str) -> Result<Source, UsageError> {
    let mut magic = [0u8; 2];
    let mut f = std::fs::File::open(path).map_err(|e| unreadable(file, e))?;
    let n = f.read(&mut magic).map_err(|e| unreadable(file, e))?;
    if n == 2 && magic == [0x1f, 0x8b] {
        let f = std::fs::File::open(path).map_err(|e| unreadable(file, e))?;
        let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(f));
        let mut temp = tempfile::NamedTempFile::new().map_err(|e| unreadable(file, e))?;
        std::io::copy(&mut decoder, &mut temp).map_err(|e| {
            unreadable(
                file,
                format!("not a complete gzip file (truncated or corrupt): {e}"),
            )
        })?;
        let temp = temp.into_temp_path();
        return Ok(Source {
            path: temp.to_path_buf(),
            _temp: Some(temp),
        });
    }
    Ok(Source {
        path: path.to_path_buf(),
        _temp: None,
    })
}

/// A file opened for scanning (a gzipped CSV stays decompressed while this lives).
pub(crate) struct Opened {
    /// The lazy scan.
    pub lf: LazyFrame,
    source: Source,
}

impl Opened {
    /// The file scanned (a gzipped CSV's decompressed copy).
    pub fn source_path(&self) -> &Path {
        &self.source.path
    }
}

/// Opens a CSV (plain or gzipped) or Parquet file for a lazy scan; CSV columns are read as text.
pub(crate) fn open(path: &Path) -> Result<Opened, UsageError> {
    let file = path.display().to_string();
    let parquet = is_parquet(path);
    let source = if parquet {
        Source {
            path: path.to_path_buf(),
            _temp: None,
        }
    } else {
        open_source(path, &file)?
    };
    let lf = scan(&source.path, parquet, &file)?;
    Ok(Opened { lf, source })
}

fn scan(source: &Path, parquet: bool, file: &str) -> Result<LazyFrame, UsageError> {
    let p = PlRefPath::try_from_path(source).map_err(|e| unreadable(file, e))?;
    if parquet {
        LazyFrame::scan_parquet(p, ScanArgsParquet::default()).map_err(|e| unreadable(file, e))
    } else {
        LazyCsvReader::new(p)
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .finish()
            .map_err(|e| unreadable(file, e))
    }
}

/// A column as trimmed text (null when absent or empty).
pub(crate) fn text(schema: &Schema, name: &str) -> Expr {
    cleaned(schema, name, false)
}

pub(crate) fn lower(schema: &Schema, name: &str) -> Expr {
    cleaned(schema, name, true)
}

/// A column as text, trimmed, empty as null, and lower-cased when asked. Most files' values need
/// none of it: a batch whose values are all clean is passed on as it is, not copied value by
/// value (building every text column anew was most of the per-row path's time).
fn cleaned(schema: &Schema, name: &str, lower: bool) -> Expr {
    if !schema.contains(name) {
        return lit(NULL).cast(DataType::String);
    }
    col(name).cast(DataType::String).map(
        move |c: Column| {
            let ca = c.str()?;
            let dirty = |s: &str| {
                s.is_empty()
                    || s.trim().len() != s.len()
                    || (lower && s.chars().any(char::is_uppercase))
            };
            if !ca.iter().flatten().any(dirty) {
                return Ok(c);
            }
            let out: StringChunked = ca
                .iter()
                .map(|v| {
                    let t = v?.trim();
                    match (t.is_empty(), lower) {
                        (true, _) => None,
                        (false, true) => Some(t.to_lowercase()),
                        (false, false) => Some(t.to_string()),
                    }
                })
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::String)),
    )
}

fn ms() -> DataType {
    DataType::Datetime(TimeUnit::Milliseconds, None)
}

/// The text timestamp formats read, in the order they are tried: (chrono format, whether it
/// carries an offset).
const TIME_FORMATS: [(&str, bool); 6] = [
    ("%Y-%m-%dT%H:%M:%SZ", false),
    ("%Y-%m-%dT%H:%M:%S%.fZ", false),
    ("%Y-%m-%dT%H:%M:%S%:z", true),
    ("%Y-%m-%dT%H:%M:%S%.f%:z", true),
    ("%Y-%m-%d %H:%M:%S", false),
    ("%Y-%m-%dT%H:%M:%S", false),
];

/// The position in `TIME_FORMATS` of `2026-10-01T00:00:00Z`, the format `groups.rs` reads itself.
pub(crate) const RFC3339_UTC: usize = 0;

/// Text parsed with one of `TIME_FORMATS` as naive UTC milliseconds; null where it does not parse.
fn parse_time(s: Expr, format: usize) -> Expr {
    let (fmt, aware) = TIME_FORMATS[format];
    let options = StrptimeOptions {
        format: Some(fmt.into()),
        strict: false,
        exact: true,
        // Usage files repeat the same few hundred timestamps millions of times.
        cache: true,
    };
    if aware {
        s.str()
            .to_datetime(
                Some(TimeUnit::Milliseconds),
                Some(TimeZone::UTC),
                options,
                lit("raise"),
            )
            .dt()
            .replace_time_zone(None, lit("raise"), NonExistent::Raise)
    } else {
        s.str().strptime(ms(), options, lit("raise"))
    }
}

/// A typed (Parquet) timestamp column as naive UTC milliseconds; `None` for a text column.
fn typed_timestamp(schema: &Schema, name: &str) -> Option<Expr> {
    match schema.get(name) {
        Some(DataType::Datetime(_, Some(_))) => Some(
            col(name)
                .dt()
                .convert_time_zone(TimeZone::UTC)
                .dt()
                .replace_time_zone(None, lit("raise"), NonExistent::Raise)
                .cast(ms()),
        ),
        Some(DataType::Datetime(_, None)) | Some(DataType::Date) => Some(col(name).cast(ms())),
        _ => None,
    }
}

/// A timestamp column as naive UTC milliseconds; null where it does not parse (every format of
/// `TIME_FORMATS` is tried in turn).
pub(crate) fn timestamp(schema: &Schema, name: &str) -> Expr {
    if let Some(typed) = typed_timestamp(schema, name) {
        return typed;
    }
    let s = text(schema, name);
    let parsed: Vec<Expr> = (0..TIME_FORMATS.len())
        .map(|f| parse_time(s.clone(), f))
        .collect();
    coalesce(&parsed)
}

/// A timestamp column parsed with one format only (the one detected for the file), as it is in
/// the file (not trimmed): null where it does not parse. Rows that are null here take the per-row
/// path, which tries every format, so a file mixing formats is still read right, only slower.
pub(crate) fn timestamp_as(schema: &Schema, name: &str, format: Option<usize>) -> Expr {
    if let Some(typed) = typed_timestamp(schema, name) {
        return typed;
    }
    match format {
        Some(f) if schema.contains(name) => parse_time(col(name).cast(DataType::String), f),
        _ => timestamp(schema, name),
    }
}

/// The format of a text timestamp column: the first of `TIME_FORMATS` that parses the first
/// non-empty value among the file's first rows (`None` for a typed column, or when none parses).
pub(crate) fn detect_time_format(lf: &LazyFrame, schema: &Schema, name: &str) -> Option<usize> {
    if typed_timestamp(schema, name).is_some() || !schema.contains(name) {
        return None;
    }
    // The limit goes first so that only the first rows are read (it is pushed into the scan).
    let sample = lf
        .clone()
        .limit(1000)
        .select([text(schema, name).alias("t")])
        .filter(col("t").is_not_null())
        .limit(1)
        .collect()
        .ok()?;
    if sample.height() == 0 {
        return None;
    }
    let parsed = sample
        .lazy()
        .select(
            (0..TIME_FORMATS.len())
                .map(|f| parse_time(col("t"), f).alias(format!("f{f}")))
                .collect::<Vec<_>>(),
        )
        .collect()
        .ok()?;
    (0..TIME_FORMATS.len()).find(|f| {
        parsed
            .column(&format!("f{f}"))
            .is_ok_and(|c| c.null_count() == 0)
    })
}

pub(crate) fn decimal_type() -> DataType {
    DataType::Decimal(38, SCALE)
}

/// A numeric column as a Decimal(38, 18); null where it does not parse.
pub(crate) fn quantity_of(schema: &Schema, name: &str) -> Expr {
    match schema.get(name) {
        Some(DataType::Decimal(_, _)) => col(name).cast(decimal_type()),
        Some(dt) if dt.is_integer() => col(name).cast(decimal_type()),
        // Floats go through their shortest text, which is what was written.
        _ => text(schema, name).str().to_decimal(SCALE),
    }
}

pub(crate) fn one_of(e: Expr, values: &[&str]) -> Expr {
    let s = Series::new(
        "v".into(),
        values.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
    );
    e.is_in(lit(s).implode(false), false)
}

/// The text columns a polars function is given, as values.
pub(crate) fn udf_texts(cols: &[Column]) -> PolarsResult<Vec<Vec<Option<&str>>>> {
    cols.iter().map(|c| Ok(c.str()?.iter().collect())).collect()
}

/// Row `i` of a function's input; an input of one value is a constant (the same on every row).
pub(crate) fn row_of<'a>(v: &[Option<&'a str>], i: usize) -> Option<&'a str> {
    if v.len() == 1 {
        v[0]
    } else {
        v.get(i).copied().flatten()
    }
}

/// The longest period a row may cover: 31 days, in milliseconds.
pub(crate) const MAX_PERIOD_MS: i64 = 31 * 24 * 3600 * 1000;

/// A polars decimal as a normalized `Decimal` (no trailing zeros), rounded half away from zero
/// when it has more digits than a `Decimal` holds. The trailing zeros go first, a few digits at a
/// time (`rounded` alone gives the same, but `Decimal::normalize` strips them one by one).
pub(crate) fn to_decimal(mantissa: i128, scale: u32) -> Decimal {
    let (mantissa, scale) = without_trailing_zeros(mantissa, scale);
    rounded(mantissa, scale)
}

/// A polars decimal as a `Decimal`, rounded half away from zero at the last digit until it fits,
/// then normalized.
pub(crate) fn rounded(mut mantissa: i128, mut scale: u32) -> Decimal {
    loop {
        if let Ok(d) = Decimal::try_from_i128_with_scale(mantissa, scale) {
            return d.normalize();
        }
        if scale == 0 {
            return if mantissa < 0 {
                Decimal::MIN
            } else {
                Decimal::MAX
            };
        }
        // Round half away from zero at the last digit.
        let rem = mantissa % 10;
        mantissa /= 10;
        if rem.abs() >= 5 {
            mantissa += mantissa.signum().max(if rem < 0 { -1 } else { 1 });
        }
        scale -= 1;
    }
}

/// The same number with its trailing fractional zeros removed, a few digits at a time (what
/// `Decimal::normalize` does a digit at a time: a sum at 18 places had up to 18 to remove).
fn without_trailing_zeros(mut mantissa: i128, mut scale: u32) -> (i128, u32) {
    if mantissa == 0 {
        return (0, 0);
    }
    for (digits, power) in [
        (16, 10i128.pow(16)),
        (8, 100_000_000),
        (4, 10_000),
        (2, 100),
        (1, 10),
    ] {
        while scale >= digits && mantissa % power == 0 {
            mantissa /= power;
            scale -= digits;
        }
    }
    (mantissa, scale)
}

/// The actual name of a column, matched case-insensitively (CUR 1.0 spellings vary).
pub fn find(schema: &Schema, names: &[&str]) -> Option<String> {
    for n in names {
        if let Some(actual) = schema
            .iter_names()
            .find(|c| c.as_str().eq_ignore_ascii_case(n))
        {
            return Some(actual.to_string());
        }
    }
    None
}

/// A column of naive UTC milliseconds.
pub(crate) fn day_column_named(name: &str, days: Vec<Option<i64>>) -> Column {
    Int64Chunked::from_iter_options(name.into(), days.into_iter())
        .into_datetime(TimeUnit::Milliseconds, None)
        .into_series()
        .into()
}

/// A Decimal(38, `SCALE`) column of integers at `SCALE` places.
pub(crate) fn decimal_column(name: &str, values: Vec<Option<i128>>) -> Column {
    Int128Chunked::from_iter_options(name.into(), values.into_iter())
        .into_decimal_unchecked(38, SCALE)
        .into_series()
        .into()
}
