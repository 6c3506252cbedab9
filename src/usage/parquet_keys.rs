//! A Parquet file's key columns read as numbers: the first pass (`first_pass.rs`, `groups.rs`)
//! groups rows by a dozen text columns, and most Parquet writers store such columns
//! dictionary-encoded: each column chunk holds its distinct texts once (the dictionary page) and,
//! for each row, the position of its text. Here those positions are read as they are stored, so
//! the first pass compares and hashes a row's dozen small numbers instead of decoding, copying and
//! hashing its texts; each distinct combination's texts are looked at once per slice.
//!
//! Writers dictionary-encode times and quantities too, when they repeat (hourly rows have a few
//! dozen distinct starts per row group): `ChunkPages` reads any flat column so, and `Positions`
//! gives its codes a window of rows at a time, which the first pass turns into values through a
//! table made once per dictionary (`groups::PagedGroup`). A row group's columns are then
//! decoded a few thousand rows at a time into buffers that stay in the cache, instead of a
//! million rows' worth of codes and polars arrays being written to memory and read back.
//!
//! Only what this module reads exactly is read: flat columns whose chunks have a dictionary page
//! and only dictionary-encoded data pages (v1 or v2, definition levels in RLE), and, as text,
//! `BYTE_ARRAY` values that are UTF-8. Anything else (a chunk that fell back to plain pages, say)
//! is `None` before a row is read, and the caller reads the slice through polars as before, so a
//! file this module cannot read costs time, never a result. What can only be found while the
//! rows are read (a data page cut short, a position outside the dictionary: a damaged file) is an
//! error.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use polars_buffer::Buffer;
use polars_parquet::parquet::encoding::Encoding;
use polars_parquet::parquet::encoding::hybrid_rle::{
    HybridRleChunk, HybridRleChunkIter, HybridRleDecoder,
};
use polars_parquet::parquet::encoding::plain_byte_array::BinaryIter;
use polars_parquet::parquet::metadata::{ColumnChunkMetadata, FileMetadata};
use polars_parquet::parquet::page::{DataPage, DataPageHeader, DictPage, split_buffer};
use polars_parquet::parquet::read::{BasicDecompressor, PageReader, read_metadata};
use polars_parquet::parquet::schema::types::PhysicalType;

/// One key column over a slice of rows, as numbers: `codes[row]` is 0 for null, else 1 + the
/// position of the row's text in `texts`. The same text may have several codes (one per row
/// group's dictionary); the caller looks codes up by their texts, so that is harmless.
#[derive(Debug, Default)]
pub(crate) struct KeyCodes {
    pub codes: Vec<u32>,
    pub texts: Vec<Box<str>>,
}

impl KeyCodes {
    /// The text of a code (`None` for null).
    #[cfg(test)]
    fn text(&self, code: u32) -> Option<&str> {
        match code {
            0 => None,
            c => self.texts.get(c as usize - 1).map(|t| &**t),
        }
    }
}

/// A Parquet file's metadata and an open handle, to read the key columns of its row groups.
pub(crate) struct KeyReader {
    path: PathBuf,
    file: File,
    meta: FileMetadata,
    /// The last slice read.
    codes: Vec<KeyCodes>,
}

impl KeyReader {
    /// Opens `path`; `None` when its metadata cannot be read (polars then reports why).
    pub(crate) fn open(path: &Path) -> Option<Self> {
        let mut file = File::open(path).ok()?;
        let meta = read_metadata(&mut file).ok()?;
        Some(KeyReader {
            path: path.to_path_buf(),
            file,
            meta,
            codes: Vec::new(),
        })
    }

    /// A reader of the same file with a handle of its own (for another thread), the metadata
    /// not read again.
    pub(crate) fn reopen(&self) -> Option<Self> {
        Some(KeyReader {
            path: self.path.clone(),
            file: File::open(&self.path).ok()?,
            meta: self.meta.clone(),
            codes: Vec::new(),
        })
    }

    /// The row groups' row counts, in file order.
    pub(crate) fn row_group_rows(&self) -> Vec<usize> {
        self.meta
            .row_groups
            .iter()
            .map(|rg| rg.num_rows())
            .collect()
    }

    /// The columns `names` of row groups `groups`, as codes (rows in file order), valid until the
    /// next read; `None` when a chunk is not dictionary-encoded text as the module doc says, or
    /// cannot be read.
    pub(crate) fn read(&mut self, groups: Range<usize>, names: &[&str]) -> Option<&[KeyCodes]> {
        // The last slice's vectors are reused: fresh ones would be grown (copied) and faulted in
        // again for every slice.
        let rows: usize = self
            .meta
            .row_groups
            .get(groups.clone())?
            .iter()
            .map(|rg| rg.num_rows())
            .sum();
        self.codes.resize_with(names.len(), KeyCodes::default);
        for key in &mut self.codes {
            key.codes.clear();
            key.texts.clear();
            key.codes.reserve(rows);
        }
        for g in groups {
            let rg = self.meta.row_groups.get(g)?;
            let rows = rg.num_rows();
            for (name, key) in names.iter().zip(self.codes.iter_mut()) {
                let mut chunks = rg.columns_under_root_iter(name)?;
                let chunk = chunks.next()?;
                if chunks.next().is_some() {
                    return None;
                }
                let before = key.codes.len();
                read_chunk(&mut self.file, chunk, key)?;
                if key.codes.len() - before != rows {
                    return None;
                }
            }
        }
        Some(&self.codes)
    }

    /// The chunks of columns `names` in row group `g`, decompressed; `None` when one is not as
    /// the module doc says (any physical type), cannot be read, or has another number of rows.
    /// The columns from `plain_from` on may also have PLAIN pages, and no dictionary.
    pub(crate) fn read_pages(
        &mut self,
        g: usize,
        names: &[&str],
        plain_from: usize,
    ) -> Option<Vec<ChunkPages>> {
        let rg = self.meta.row_groups.get(g)?;
        let rows = rg.num_rows();
        names
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let mut chunks = rg.columns_under_root_iter(name)?;
                let chunk = chunks.next()?;
                if chunks.next().is_some() {
                    return None;
                }
                ChunkPages::read(&mut self.file, chunk, c >= plain_from)
                    .filter(|pages| pages.rows == rows)
            })
            .collect()
    }
}

/// Appends a column chunk's codes and its dictionary's texts to `key`.
fn read_chunk(file: &mut File, chunk: &ColumnChunkMetadata, key: &mut KeyCodes) -> Option<()> {
    let pages = ChunkPages::read(file, chunk, false)?;
    // The codes of this chunk follow those of the chunks before it.
    let before = u32::try_from(key.texts.len()).ok()?;
    before.checked_add(pages.dict_len)?;
    key.texts.extend(pages.texts()?);
    let from = key.codes.len();
    pages.positions().fill(pages.rows, &mut key.codes)?;
    for c in &mut key.codes[from..] {
        if *c != 0 {
            *c += before;
        }
    }
    Some(())
}

/// One row group's column chunk, decompressed: its dictionary and its data pages, checked to be
/// what this module reads (see the module doc; any physical type), to be read a window of rows
/// at a time (`Positions`). When asked for, PLAIN pages are read too: their values are numbered
/// after the dictionary's, page after page, as if the dictionary held them (`values`).
pub(crate) struct ChunkPages {
    dict: Option<DictPage>,
    /// The dictionary's size.
    dict_len: u32,
    physical: PhysicalType,
    nullable: bool,
    /// The data pages, each with its number of values when PLAIN.
    pages: Vec<(DataPage, Option<u32>)>,
    /// The rows of the data pages.
    rows: usize,
}

impl ChunkPages {
    /// Reads a chunk (with PLAIN pages when `plain`); `None` when it is not as the module doc
    /// says, or cannot be read.
    fn read(file: &mut File, chunk: &ColumnChunkMetadata, plain: bool) -> Option<Self> {
        let descriptor = &chunk.descriptor().descriptor;
        if descriptor.max_rep_level != 0 || descriptor.max_def_level > 1 {
            return None;
        }
        let nullable = descriptor.max_def_level == 1;
        let range = chunk.byte_range();
        let len = range.end.checked_sub(range.start)?;
        // Read into fresh capacity: `read_to_end` does not zero it first, as `read_exact` into a
        // zeroed vector would.
        let mut bytes = Vec::with_capacity(usize::try_from(len).ok()?);
        file.seek(SeekFrom::Start(range.start)).ok()?;
        file.by_ref().take(len).read_to_end(&mut bytes).ok()?;
        if bytes.len() as u64 != len {
            return None;
        }
        let pages = PageReader::new(
            Cursor::new(Buffer::from(bytes)),
            chunk,
            Vec::new(),
            usize::MAX,
        );
        let mut pages = BasicDecompressor::new(pages, Vec::new());
        let dict = pages.read_dict_page().ok()?;
        if dict.is_none() && !plain {
            return None;
        }
        let dict_len = u32::try_from(dict.as_ref().map_or(0, |d| d.num_values))
            .ok()
            .filter(|&n| n < u32::MAX - 1)?;
        let physical = chunk.physical_type();
        // Codes so far: positions and PLAIN values stay below `u32::MAX - 1`.
        let mut codes = dict_len;
        let (mut data, mut rows) = (Vec::new(), 0usize);
        while let Some(item) = pages.next() {
            let page = item.ok()?.decompress(&mut pages).ok()?;
            if let DataPageHeader::V1(_) = page.header()
                && nullable
                && page.definition_level_encoding() != Encoding::Rle
            {
                return None;
            }
            let split = split_buffer(&page).ok()?;
            let values = match page.encoding() {
                Encoding::PlainDictionary | Encoding::RleDictionary if dict.is_some() => {
                    // A bit width `Indices` reads.
                    if *split.values.first()? > 32 {
                        return None;
                    }
                    None
                }
                Encoding::Plain if plain => {
                    let n = plain_values(split.values, physical)?;
                    codes = codes.checked_add(n).filter(|&c| c < u32::MAX - 1)?;
                    Some(n)
                }
                _ => return None,
            };
            rows = rows.checked_add(page.num_values())?;
            data.push((page, values));
        }
        Some(ChunkPages {
            dict,
            dict_len,
            physical,
            nullable,
            pages: data,
            rows,
        })
    }

    /// The chunk's physical type.
    pub(crate) fn physical(&self) -> PhysicalType {
        self.physical
    }

    /// The rows of the chunk.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// The values the codes name, as stored (PLAIN), in code order: the dictionary's, then each
    /// PLAIN page's; each buffer with its number of values.
    pub(crate) fn values(&self) -> Option<Vec<(&[u8], usize)>> {
        let mut out = Vec::new();
        if let Some(d) = &self.dict {
            out.push((&d.buffer[..], d.num_values));
        }
        for (page, n) in &self.pages {
            if let Some(n) = n {
                out.push((split_buffer(page).ok()?.values, *n as usize));
            }
        }
        Some(out)
    }

    /// The texts the codes name, in code order; `None` when the column is not `BYTE_ARRAY` or a
    /// text is not UTF-8.
    pub(crate) fn texts(&self) -> Option<Vec<Box<str>>> {
        if self.physical != PhysicalType::ByteArray {
            return None;
        }
        let mut texts = Vec::new();
        for (buffer, n) in self.values()? {
            let before = texts.len();
            for text in BinaryIter::new(buffer, Some(n)) {
                texts.push(std::str::from_utf8(text.ok()?).ok()?.into());
            }
            if texts.len() - before != n {
                return None;
            }
        }
        Some(texts)
    }

    /// The rows' codes from the first row on: 0 for null, else 1 + the position of the row's
    /// value in the dictionary.
    pub(crate) fn positions(&self) -> Positions<'_> {
        Positions {
            pages: self.pages.iter(),
            size: self.dict_len,
            plain_next: self.dict_len,
            nullable: self.nullable,
            page: None,
            levels: Vec::new(),
            defined: Vec::new(),
        }
    }
}

/// A chunk's codes (`ChunkPages::positions`), taken a window of rows at a time.
pub(crate) struct Positions<'a> {
    pages: std::slice::Iter<'a, (DataPage, Option<u32>)>,
    size: u32,
    /// The position of the next PLAIN page's first value.
    plain_next: u32,
    nullable: bool,
    /// The page being read: its positions, its definition levels (when nullable), and how many
    /// of its rows are left.
    page: Option<(PagePositions<'a>, Option<Indices<'a>>, usize)>,
    /// A window's definition levels and defined positions, when some are null.
    levels: Vec<u32>,
    defined: Vec<u32>,
}

impl Positions<'_> {
    /// When the next `n` rows are of one run of the page being read (one value, or all null),
    /// takes them and gives their code; else takes nothing (`fill` then takes them).
    #[inline]
    pub(crate) fn constant(&mut self, n: usize) -> Option<u32> {
        let (values, levels, left) = self.page.as_mut()?;
        if *left < n {
            return None;
        }
        let PagePositions::Dict(values) = values else {
            return None;
        };
        let code = match levels {
            None => values.repeated(n)? + 1,
            Some(levels) => match levels.repeated(n)? {
                0 => {
                    levels.repeat.1 -= n;
                    *left -= n;
                    return Some(0);
                }
                _ => {
                    let code = values.repeated(n)? + 1;
                    levels.repeat.1 -= n;
                    code
                }
            },
        };
        values.repeat.1 -= n;
        *left -= n;
        Some(code)
    }

    /// Appends the next `n` rows' codes to `out`; `None` when the chunk has fewer rows, or a page
    /// does not decode or holds a position outside the dictionary.
    pub(crate) fn fill(&mut self, mut n: usize, out: &mut Vec<u32>) -> Option<()> {
        while n > 0 {
            let (values, levels, left) = match &mut self.page {
                Some(page) if page.2 > 0 => page,
                _ => {
                    let (page, plain) = self.pages.next()?;
                    let rows = page.num_values();
                    let split = split_buffer(page).ok()?;
                    let values = match plain {
                        Some(n) => {
                            let first = self.plain_next;
                            self.plain_next = first.checked_add(*n)?;
                            PagePositions::Plain(first..self.plain_next)
                        }
                        None => {
                            let (&width, indices) = split.values.split_first()?;
                            PagePositions::Dict(Indices::new(indices, width, rows, self.size))
                        }
                    };
                    let levels = self.nullable.then(|| Indices::new(split.def, 1, rows, 2));
                    self.page = Some((values, levels, rows));
                    continue;
                }
            };
            let k = n.min(*left);
            let from = out.len();
            match levels {
                None => values.take(k, out)?,
                // The usual nullable column without nulls: its levels are one run of "defined".
                Some(levels) if levels.repeated(k) == Some(1) => {
                    levels.repeat.1 -= k;
                    values.take(k, out)?;
                }
                Some(levels) => {
                    self.levels.clear();
                    levels.take(k, &mut self.levels)?;
                    let defined = self.levels.iter().filter(|&&l| l != 0).count();
                    if defined == k {
                        values.take(k, out)?;
                    } else {
                        // Nulls and values interleaved: the defined rows' positions taken at
                        // once, then placed.
                        self.defined.clear();
                        values.take(defined, &mut self.defined)?;
                        let mut next = self.defined.iter();
                        for &level in &self.levels {
                            out.push(match level {
                                0 => NULL_MARK,
                                _ => *next.next()?,
                            });
                        }
                    }
                }
            }
            // Positions (checked to be in the dictionary as they were decoded, so below
            // `u32::MAX - 1`) to codes; `NULL_MARK` wraps to 0.
            for c in &mut out[from..] {
                *c = c.wrapping_add(1);
            }
            *left -= k;
            n -= k;
        }
        Some(())
    }
}

/// The values of a data page, as positions in the chunk's codes (`ChunkPages`): the dictionary's,
/// or the next of a PLAIN page's (numbered after the dictionary's).
enum PagePositions<'a> {
    Dict(Indices<'a>),
    Plain(Range<u32>),
}

impl PagePositions<'_> {
    /// Appends the next `len` positions to `out`; `None` when the page has fewer, or one is not
    /// in the dictionary.
    #[inline]
    fn take(&mut self, len: usize, out: &mut Vec<u32>) -> Option<()> {
        match self {
            PagePositions::Dict(indices) => indices.take(len, out),
            PagePositions::Plain(left) => {
                let len = u32::try_from(len).ok()?;
                if left.end - left.start < len {
                    return None;
                }
                out.extend(left.start..left.start + len);
                left.start += len;
                Some(())
            }
        }
    }
}

/// The number of values in a PLAIN page's buffer of `physical` values: fixed-width numbers, or
/// length-prefixed bytes; `None` for other types, or a buffer they do not fill exactly.
fn plain_values(mut buffer: &[u8], physical: PhysicalType) -> Option<u32> {
    let width = match physical {
        PhysicalType::Int32 => 4,
        PhysicalType::Int64 => 8,
        PhysicalType::FixedLenByteArray(w) if w > 0 => w,
        PhysicalType::ByteArray => {
            let mut n = 0u32;
            while !buffer.is_empty() {
                let len = u32::from_le_bytes(buffer.get(..4)?.try_into().ok()?) as usize;
                buffer = buffer.get(4usize.checked_add(len)?..)?;
                n = n.checked_add(1)?;
            }
            return Some(n);
        }
        _ => return None,
    };
    buffer
        .len()
        .is_multiple_of(width)
        .then(|| u32::try_from(buffer.len() / width).ok())?
}

/// What a null row's place holds until positions become codes (a position is below the
/// dictionary's size, at most `u32::MAX`).
const NULL_MARK: u32 = u32::MAX;

/// A data page's dictionary positions (RLE / bit-packed hybrid), taken a run at a time, each
/// checked to be below the dictionary's size.
struct Indices<'a> {
    runs: HybridRleChunkIter<'a>,
    /// The dictionary's size.
    size: u32,
    /// The current run's repeated position and how many are left.
    repeat: (u32, usize),
    /// The current bit-packed run, unpacked, and how far it was taken.
    packed: Vec<u32>,
    at: usize,
}

impl<'a> Indices<'a> {
    /// The position the current run repeats, when `n` or more of it are left (checked to be in
    /// the dictionary when the run was read).
    #[inline]
    fn repeated(&self, n: usize) -> Option<u32> {
        (self.repeat.1 >= n && self.at >= self.packed.len()).then_some(self.repeat.0)
    }

    fn new(data: &'a [u8], width: u8, n: usize, size: u32) -> Self {
        Indices {
            runs: HybridRleDecoder::new(data, u32::from(width), n).into_chunk_iter(),
            size,
            repeat: (0, 0),
            packed: Vec::new(),
            at: 0,
        }
    }

    /// Appends the next `len` positions to `out`; `None` when the page has fewer, or one is not
    /// in the dictionary.
    fn take(&mut self, mut len: usize, out: &mut Vec<u32>) -> Option<()> {
        while len > 0 {
            if self.repeat.1 > 0 {
                let k = len.min(self.repeat.1);
                out.resize(out.len() + k, self.repeat.0);
                self.repeat.1 -= k;
                len -= k;
            } else if self.at < self.packed.len() {
                let k = len.min(self.packed.len() - self.at);
                // Only what is taken is checked: a run's last values may be padding.
                let taken = &self.packed[self.at..self.at + k];
                if taken.iter().any(|&p| p >= self.size) {
                    return None;
                }
                out.extend_from_slice(taken);
                self.at += k;
                len -= k;
            } else {
                match self.runs.next()?.ok()? {
                    HybridRleChunk::Rle(v, n) if v < self.size => self.repeat = (v, n),
                    HybridRleChunk::Rle(..) => return None,
                    HybridRleChunk::Bitpacked(d) => {
                        self.packed.clear();
                        self.at = 0;
                        d.collect_into(&mut self.packed);
                    }
                }
            }
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::*;

    /// Writes `df` as Parquet (polars writes text dictionary-encoded) in row groups of `rows`.
    fn write(df: &mut DataFrame, rows: usize) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        ParquetWriter::new(f.reopen().unwrap())
            .with_row_group_size(Some(rows))
            .finish(df)
            .unwrap();
        f
    }

    fn decoded(key: &KeyCodes) -> Vec<Option<&str>> {
        key.codes.iter().map(|&c| key.text(c)).collect()
    }

    #[test]
    fn codes_name_the_texts_with_nulls_across_row_groups() {
        let a: Vec<Option<&str>> = (0..1000)
            .map(|i| match i % 7 {
                0 => None,
                1 => Some(""),
                r => Some(["x", "yy", "zzz", "ü", "long text"][r as usize % 5]),
            })
            .collect();
        let b: Vec<&str> = (0..1000)
            .map(|i| if i < 500 { "first" } else { "second" })
            .collect();
        let mut df = df!("a" => &a, "b" => &b).unwrap();
        let f = write(&mut df, 300);
        let mut r = KeyReader::open(f.path()).unwrap();
        let rows = r.row_group_rows();
        assert!(rows.len() >= 3, "{rows:?}");
        assert_eq!(rows.iter().sum::<usize>(), 1000);
        let keys = r.read(0..rows.len(), &["a", "b"]).unwrap();
        assert_eq!(decoded(&keys[0]), a);
        assert_eq!(
            decoded(&keys[1]),
            b.iter().map(|s| Some(*s)).collect::<Vec<_>>()
        );
        // A later slice alone.
        let keys = r.read(2..rows.len(), &["b"]).unwrap();
        assert_eq!(
            decoded(&keys[0]),
            b[rows[0] + rows[1]..]
                .iter()
                .map(|s| Some(*s))
                .collect::<Vec<_>>()
        );
    }

    /// A fixture of `tests/fixtures/usage`, and its text columns as polars reads them.
    fn fixture(name: &str) -> (std::path::PathBuf, DataFrame) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/usage")
            .join(name);
        let p = PlRefPath::try_from_path(&path).unwrap();
        let df = LazyFrame::scan_parquet(p, ScanArgsParquet::default())
            .unwrap()
            .collect()
            .unwrap();
        (path, df)
    }

    #[test]
    fn pyarrow_v2_pages_with_small_pages_and_zstd_read_as_polars_reads_them() {
        // Written by pyarrow: data pages v2 of about 200 bytes, row groups of 250 rows, zstd;
        // `a` has nulls and empty texts, `c` is all null.
        let (path, df) = fixture("keys-pyarrow-v2.parquet");
        let mut r = KeyReader::open(&path).unwrap();
        let groups = r.row_group_rows().len();
        assert_eq!(groups, 3);
        let names = ["a", "b", "c"];
        let keys = r.read(0..groups, &names).unwrap();
        for (name, key) in names.iter().zip(keys) {
            let want: Vec<Option<&str>> = df.column(name).unwrap().str().unwrap().iter().collect();
            assert_eq!(decoded(key), want, "{name}");
        }
    }

    #[test]
    fn chunks_that_fell_back_to_plain_pages_are_left_to_polars() {
        // Written by pyarrow with a 40-byte dictionary limit: `b`'s pages fall back to PLAIN.
        let (path, df) = fixture("keys-pyarrow-plain.parquet");
        assert_eq!(df.height(), 600);
        let mut r = KeyReader::open(&path).unwrap();
        assert!(r.read(0..1, &["b"]).is_none());
        // `c` (all null) still has its dictionary.
        let c = r.read(0..1, &["c"]).unwrap();
        assert!(c[0].codes.iter().all(|&code| code == 0));
    }

    #[test]
    fn positions_outside_the_dictionary_are_refused_not_read_as_nulls() {
        use polars_parquet::parquet::encoding::hybrid_rle::encode;
        let take = |values: &[u32], width: u8, size: u32| {
            let mut data = Vec::new();
            encode::<u32, _, _>(&mut data, values.iter().copied(), u32::from(width)).unwrap();
            let mut out = Vec::new();
            Indices::new(&data, width, values.len(), size)
                .take(values.len(), &mut out)
                .map(|()| out)
        };
        assert_eq!(take(&[0, 2, 1, 2], 2, 3), Some(vec![0, 2, 1, 2]));
        assert_eq!(take(&[0, 3, 1], 2, 3), None);
        // The position a null holds until it becomes a code is refused too.
        assert_eq!(take(&[0, NULL_MARK], 32, 3), None);
        assert_eq!(take(&[NULL_MARK; 9], 32, u32::MAX), None);
    }

    #[test]
    fn plain_pages_are_read_when_asked_for_numbered_after_the_dictionary() {
        let path = |name: &str| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/usage")
                .join(name)
        };
        let kinds = |pages: &ChunkPages| {
            let plain = pages.pages.iter().filter(|(_, n)| n.is_some()).count();
            (pages.dict.is_some(), plain, pages.pages.len() - plain)
        };
        // Times in PLAIN pages only: no dictionary.
        let mut r = KeyReader::open(&path("usage-pyarrow-plain-numbers.parquet")).unwrap();
        assert!(r.read_pages(0, &["usage_start"], 1).is_none());
        let pages = r.read_pages(0, &["resource_id", "usage_start"], 1).unwrap();
        let (dict, plain, coded) = kinds(&pages[1]);
        assert!(!dict && plain > 1 && coded == 0, "{plain} {coded}");
        // Text times whose dictionary filled up: dictionary pages, then PLAIN ones.
        let mut r = KeyReader::open(&path("usage-pyarrow-dictionary-fallback.parquet")).unwrap();
        let pages = r.read_pages(0, &["usage_start"], 0).unwrap();
        let (dict, plain, coded) = kinds(&pages[0]);
        assert!(dict && plain > 0 && coded > 0, "{plain} {coded}");
        // Every row's code names its text, read as polars reads it.
        let (_, df) = fixture("usage-pyarrow-dictionary-fallback.parquet");
        let texts = pages[0].texts().unwrap();
        let mut codes = Vec::new();
        pages[0]
            .positions()
            .fill(pages[0].rows(), &mut codes)
            .unwrap();
        let got: Vec<Option<&str>> = codes
            .iter()
            .map(|&c| (c > 0).then(|| &*texts[c as usize - 1]))
            .collect();
        let want: Vec<Option<&str>> = df
            .column("usage_start")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .take(got.len())
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn what_is_not_dictionary_text_is_left_to_polars() {
        let mut df = df!("n" => &[1i64, 2, 3], "t" => &["a", "b", "c"]).unwrap();
        let f = write(&mut df, 10);
        let mut r = KeyReader::open(f.path()).unwrap();
        assert!(r.read(0..1, &["n"]).is_none());
        assert!(r.read(0..1, &["missing"]).is_none());
        assert!(r.read(5..6, &["t"]).is_none());
        assert!(r.read(0..1, &["t"]).is_some());
    }
}
