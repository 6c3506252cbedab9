//! Renderers: one canonical result (a [`Quote`](crate::quote::Quote), a
//! [`Comparison`](crate::quote::Comparison), a price listing), many formats. Formatters only
//! render; they compute nothing but display rounding.
//!
//! Money in machine formats (JSON, CSV) is a decimal string in the display currency, rounded
//! half-up to its minor unit; unit prices keep every digit.

pub mod alarms;
pub mod bill;
pub mod compare;
pub mod costs;
pub mod prices;
pub mod quote;
pub mod recommend;

use comfy_table::{ContentArrangement, Table, presets};
use rust_decimal::Decimal;

use crate::catalog::Confidence;
use crate::money::{Currency, group_thousands};

/// Output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// A table for people (default).
    #[default]
    Table,
    /// Stable, machine-readable JSON; money as decimal strings.
    Json,
    /// CSV, one row per line item.
    Csv,
    /// Markdown tables, for a wiki or a pull request.
    Markdown,
}

/// The width tables are fitted to, when set (`fit_tables_to`); otherwise full width.
static TABLE_WIDTH: std::sync::OnceLock<u16> = std::sync::OnceLock::new();

/// Fits every table drawn from now on to `columns` characters, long cells wrapped: what the CLI
/// asks for when it writes tables to a terminal. Without it (piped output, files, tests) tables
/// are full width and stable. The first call wins.
pub fn fit_tables_to(columns: u16) {
    TABLE_WIDTH.get_or_init(|| columns.max(40));
}

/// On a terminal (`fit_tables_to`), a table's long `Source` column becomes footnote marks
/// (`[1]`, one per distinct source) and the sources are listed under the table: the footnotes to
/// print, or `None` (full width: the column stays).
pub(crate) fn sources_as_footnotes(header: &[&str], rows: &mut [Vec<String>]) -> Option<String> {
    TABLE_WIDTH.get()?;
    let col = header.iter().position(|h| *h == "Source")?;
    let mut sources: Vec<String> = Vec::new();
    for r in rows.iter_mut() {
        let Some(cell) = r.get_mut(col) else {
            continue;
        };
        let n = match sources.iter().position(|s| s == cell) {
            Some(i) => i + 1,
            None => {
                sources.push(std::mem::take(cell));
                sources.len()
            }
        };
        *cell = format!("[{n}]");
    }
    Some(
        sources
            .iter()
            .enumerate()
            .map(|(i, s)| format!("[{}] {s}\n", i + 1))
            .collect(),
    )
}

/// A table with the project's look: ASCII borders; full width (stable output), or fitted to the
/// terminal (`fit_tables_to`).
pub(crate) fn new_table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::ASCII_BORDERS_ONLY_CONDENSED)
        .force_no_tty()
        .set_header(header.iter().copied());
    match TABLE_WIDTH.get() {
        Some(w) => t
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(*w),
        None => t.set_content_arrangement(ContentArrangement::Disabled),
    };
    t
}

/// Appends a titled table of a text report: a comfy table, or a Markdown one (cells escaped).
pub(crate) fn section(
    out: &mut String,
    markdown: bool,
    title: &str,
    header: &[&str],
    rows: Vec<Vec<String>>,
) {
    use std::fmt::Write as _;
    if markdown {
        writeln!(
            out,
            "### {title}\n\n| {} |\n|{}",
            header.join(" | "),
            "---|".repeat(header.len())
        )
        .ok();
        for r in rows {
            writeln!(
                out,
                "| {} |",
                r.iter().map(|x| md(x)).collect::<Vec<_>>().join(" | ")
            )
            .ok();
        }
        out.push('\n');
    } else {
        let mut t = new_table(header);
        for r in rows {
            t.add_row(r);
        }
        writeln!(out, "{title}\n{t}\n").ok();
    }
}

/// A quantity for people: at most 4 decimals, thousands grouped.
pub(crate) fn qty(d: Decimal) -> String {
    let r = d.round_dp(4).normalize();
    let s = r.to_string();
    let (sign, digits) = s.strip_prefix('-').map_or(("", s.as_str()), |d| ("-", d));
    format!("{sign}{}", group_thousands(digits))
}

/// A unit price in the display currency, every digit kept.
pub(crate) fn unit_price(c: &Currency, usd: Decimal) -> Decimal {
    (usd * c.fx_rate).normalize()
}

/// The mark shown beside a price that is not confirmed current (`*`) or is an estimate (`~`).
pub(crate) fn mark(c: Confidence) -> &'static str {
    match c {
        Confidence::Published => "",
        Confidence::Unconfirmed => " *",
        Confidence::Estimate => " ~",
    }
}

/// The legend for [`mark`].
pub(crate) const LEGEND: &str =
    "* price not confirmed current (see `cloudcost prices` for its source and date); ~ estimate";

/// Escapes a Markdown table cell.
pub(crate) fn md(s: &str) -> String {
    s.replace('|', "\\|")
}
