//! The HTML page and the Markdown report: the same tables, rendered twice. The page is one
//! self-contained file: charts inline as SVG, CSS inline, no script, and a content security
//! policy that forbids every network request.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::charts::{escape, title_of};
use super::data::{ReportData, TOP_TABLE};
use super::{CHARTS, HEIGHT, WIDTH};
use crate::money::Money;

/// A table of the report, rendered to HTML and Markdown alike.
pub(crate) struct Table {
    /// HTML id (`table-<id>`).
    pub id: &'static str,
    pub title: String,
    pub headers: Vec<&'static str>,
    /// Right-aligned (numeric) columns.
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
    /// A total row.
    pub footer: Option<Vec<String>>,
    /// Shown under the title.
    pub note: Option<String>,
}

/// The tables, in page order.
pub(crate) fn tables(d: &ReportData<'_>) -> Vec<Table> {
    let mut v = vec![summary(d), by_service(d)];
    v.extend(allocation(d));
    v.extend([by_model(d), top_resources(d)]);
    v.push(recommendations(d));
    v
}

/// A billing file's own view by account and by tag (what showback starts from): the accounts'
/// costs, and for each tag key the spend it covers, the spend it does not, and its top values.
fn allocation(d: &ReportData<'_>) -> Vec<Table> {
    use crate::usage::costs::Dimension;
    let Some(view) = d.view_input.as_ref() else {
        return Vec::new();
    };
    let total = d.total;
    let mut out = Vec::new();
    if let Some(a) = view.accounts
        && a.rows.iter().any(|r| r.keys[0].is_some())
    {
        out.push(Table {
            id: "by-account",
            title: format!("Cost by account ({})", a.view),
            headers: vec!["Account", "Cost", "Share"],
            numeric: vec![false, true, true],
            rows: a
                .rows
                .iter()
                .map(|r| {
                    let m = Money::usd(r.cost);
                    vec![
                        r.keys[0].clone().unwrap_or_else(|| "(none)".into()),
                        d.fmt(m),
                        pct(m, total),
                    ]
                })
                .collect(),
            footer: None,
            note: None,
        });
    }
    if !view.tags.is_empty() {
        let rows = view
            .tags
            .iter()
            .filter_map(|t| {
                let Dimension::Tag(key) = t.dims.first()? else {
                    return None;
                };
                let untagged: rust_decimal::Decimal =
                    t.untagged.first().map(|(_, c)| *c).unwrap_or_default();
                let top: Vec<String> = t
                    .rows
                    .iter()
                    .filter(|r| r.keys[0].is_some())
                    .take(3)
                    .map(|r| {
                        format!(
                            "{} ({})",
                            r.keys[0].as_deref().unwrap_or_default(),
                            d.fmt(Money::usd(r.cost))
                        )
                    })
                    .collect();
                Some(vec![
                    key.clone(),
                    d.fmt(Money::usd(t.total - untagged)),
                    pct(Money::usd(untagged), total),
                    top.join(", "),
                ])
            })
            .collect();
        out.push(Table {
            id: "by-tag",
            title: "Cost allocation tags: what each covers".into(),
            headers: vec!["Tag", "Tagged cost", "Untagged share", "Top values"],
            numeric: vec![false, true, true, false],
            rows,
            footer: None,
            note: Some(
                "`cloudcost estimate FILE --by tag:KEY --format csv` lists every value".into(),
            ),
        });
    }
    out
}

/// `part` as a share of `whole`; none when `whole` is not a positive amount of cents (credits
/// that cancel the charges make shares meaningless).
fn pct(part: Money, whole: Money) -> String {
    if whole.amount().round_dp(2) <= Decimal::ZERO {
        return "–".into();
    }
    match part
        .amount()
        .checked_div(whole.amount())
        .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED))
    {
        Some(p) => format!("{:.1}%", p.round_dp(1)),
        None => "–".into(),
    }
}

fn summary(d: &ReportData<'_>) -> Table {
    let mut rows = Vec::new();
    let mut row = |k: &str, v: String| rows.push(vec![k.to_string(), v]);
    row(
        "Period (UTC)",
        match d.period {
            Some((a, b)) => format!("{a} to {b}"),
            None => "no cost rows".into(),
        },
    );
    let billed = if d.bill.billed.is_some() {
        format!(
            ", {} taken as billed, {} charges",
            d.bill.rows_carried, d.bill.rows_charges
        )
    } else {
        String::new()
    };
    row(
        "Rows",
        format!(
            "{} read, {} priced{billed}, {} set aside",
            d.bill.rows_read,
            d.bill.rows_priced,
            d.bill.rows_rejected()
        ),
    );
    match d.view {
        Some(v) => {
            row(
                "Cost view",
                format!(
                    "{v}: the file's own costs (totals, cost by service, the daily chart and the forecast); pricing models, top resources and savings are cloudcost's re-pricing"
                ),
            );
            row(&format!("Total cost ({v})"), d.fmt(d.total));
            row("Re-priced by cloudcost", d.fmt(d.repriced_total));
        }
        None => row("Total cost", d.fmt(d.total)),
    }
    if let Some(b) = &d.bill.billed {
        row("Billed in the file", d.fmt(b.total()));
    }
    row("On-demand equivalent", d.fmt(d.on_demand_equivalent));
    row("Saved by commitments", d.fmt(d.commitments_saved()));
    row("Saved by spot", d.fmt(d.spot_saved()));
    if let Some(fv) = &d.forecast {
        let f = &fv.forecast;
        let month = fv.month.0.format("%B %Y").to_string();
        row(
            &format!("Month to date ({month})"),
            format!(
                "{} over {} day(s) of data",
                d.fmt(Money::usd(f.month_to_date)),
                f.days_of_data
            ),
        );
        row(
            "Month-end forecast",
            if f.insufficient_data {
                "insufficient data (fewer than 7 days)".into()
            } else {
                format!(
                    "{} (P10 {} – P90 {})",
                    d.fmt(Money::usd(f.forecast)),
                    d.fmt(Money::usd(f.p10)),
                    d.fmt(Money::usd(f.p90))
                )
            },
        );
    }
    if let Some(b) = d.budget {
        let status = match &d.forecast {
            Some(fv) if !fv.forecast.insufficient_data && !b.amount().is_zero() => format!(
                "{}: forecast at {}",
                d.fmt(b),
                pct(Money::usd(fv.forecast.forecast), b)
            ),
            _ => d.fmt(b),
        };
        row("Monthly budget", status);
    }
    if d.recommendations.is_some() {
        row(
            "Savings found",
            format!("{} a month", d.fmt(Money::usd(d.total_saving))),
        );
    }
    Table {
        id: "summary",
        title: "Summary".into(),
        headers: vec!["Figure", "Value"],
        numeric: vec![false, false],
        rows,
        footer: None,
        note: None,
    }
}

fn by_service(d: &ReportData<'_>) -> Table {
    Table {
        id: "by-service",
        title: match d.view {
            Some(v) => format!("Cost by service ({v}, as the invoice names it)"),
            None => "Cost by service".into(),
        },
        headers: vec!["Service", "Cost", "Share"],
        numeric: vec![false, true, true],
        rows: d
            .by_service
            .iter()
            .map(|(s, m)| vec![s.clone(), d.fmt(*m), pct(*m, d.total)])
            .collect(),
        footer: Some(vec!["Total".into(), d.fmt(d.total), pct(d.total, d.total)]),
        note: None,
    }
}

fn by_model(d: &ReportData<'_>) -> Table {
    let saved: Money = d.by_model.iter().map(|m| m.saved()).sum();
    Table {
        id: "by-pricing-model",
        title: "Pricing models and what they saved".into(),
        headers: vec!["Pricing model", "Cost", "On-demand equivalent", "Saved"],
        numeric: vec![false, true, true, true],
        rows: d
            .by_model
            .iter()
            .map(|m| {
                vec![
                    m.model.as_str().to_string(),
                    d.fmt(m.cost),
                    d.fmt(m.on_demand_equivalent),
                    d.fmt(m.saved()),
                ]
            })
            .collect(),
        footer: Some(vec![
            "Total".into(),
            d.fmt(d.repriced_total),
            d.fmt(d.on_demand_equivalent),
            d.fmt(saved),
        ]),
        note: None,
    }
}

fn top_resources(d: &ReportData<'_>) -> Table {
    Table {
        id: "top-resources",
        title: "Top resources".into(),
        headers: vec!["#", "Resource", "Service", "Cost", "Share"],
        numeric: vec![true, false, false, true, true],
        rows: d
            .top_resources
            .iter()
            .take(TOP_TABLE)
            .enumerate()
            .map(|(i, r)| {
                vec![
                    (i + 1).to_string(),
                    r.resource_id.clone(),
                    r.service.clone(),
                    d.fmt(r.cost),
                    pct(r.cost, d.total),
                ]
            })
            .collect(),
        footer: None,
        note: Some(format!(
            "The {} most expensive of {} resources.",
            d.top_resources.len().min(TOP_TABLE),
            d.resource_count
        )),
    }
}

fn recommendations(d: &ReportData<'_>) -> Table {
    let money = |v: Decimal| d.fmt(Money::usd(v));
    let (rows, footer, note) = match d.recommendations {
        Some(r) => (
            r.opportunities
                .iter()
                .map(|o| {
                    vec![
                        o.kind.as_str().to_string(),
                        o.resource_id.clone(),
                        o.region.clone(),
                        o.action.clone(),
                        money(o.current_monthly),
                        money(o.proposed_monthly),
                        money(o.monthly_saving),
                    ]
                })
                .collect(),
            Some(vec![
                "Total".into(),
                String::new(),
                String::new(),
                format!("{} savings", r.savings().count()),
                String::new(),
                String::new(),
                money(d.total_saving),
            ]),
            Some(if r.notes.is_empty() {
                "Monthly figures are 730-hour months; the total counts positive savings."
                    .to_string()
            } else {
                format!(
                    "Monthly figures are 730-hour months; the total counts positive savings. Notes: {}",
                    r.notes.join("; ")
                )
            }),
        ),
        None => (
            Vec::new(),
            None,
            Some("No recommendations were given: run `cloudcost recommend` on this usage.".into()),
        ),
    };
    Table {
        id: "recommendations",
        title: "Recommendations".into(),
        headers: vec![
            "Kind",
            "Resource",
            "Region",
            "Action",
            "Now / month",
            "After / month",
            "Saving / month",
        ],
        numeric: vec![false, false, false, false, true, true, true],
        rows,
        footer,
        note,
    }
}

/// Inline CSS: readable on a laptop and a phone (tables scroll sideways inside their box,
/// charts scale to the width).
const CSS: &str = "
:root { color-scheme: light; --ink: #1a1a1a; --muted: #5a5a5a; --line: #d8d8d8; --band: #f4f4f4; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1240px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.7rem; margin: 0.4em 0; }
h2 { font-size: 1.25rem; margin: 1.6em 0 0.5em; }
nav { display: flex; flex-wrap: wrap; gap: 6px 14px; padding: 8px 0; border-bottom: 1px solid var(--line); }
nav a { color: #1f5f9e; }
figure { margin: 0; }
figure svg { display: block; width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
figcaption, .note { color: var(--muted); font-size: 0.9rem; margin: 0.4em 0; }
.charts { display: grid; grid-template-columns: 1fr; gap: 24px; }
@media (min-width: 1800px) { main { max-width: 2400px; } .charts { grid-template-columns: 1fr 1fr; } }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; border: 1px solid var(--line); }
table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: var(--band); white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tfoot td { font-weight: 600; border-top: 2px solid var(--ink); }
tbody tr:nth-child(even) { background: #fafafa; }
footer { color: var(--muted); font-size: 0.85rem; margin: 2em 0 1em; }
@media (max-width: 700px) {
  body { font-size: 15px; } main { padding: 10px; } th, td { padding: 5px 7px; }
  /* Keep chart text legible on a phone: the chart scrolls sideways rather than shrink. */
  figure .frame { overflow-x: auto; -webkit-overflow-scrolling: touch; border: 1px solid var(--line); }
  figure .frame svg { min-width: 780px; border: 0; }
}
@media print { nav { display: none; } .scroll { overflow: visible; border: 0; } }
";

/// The chart's SVG made fit for inlining: no fixed size (CSS scales it), no namespace URL
/// (HTML does not need it), and an accessible name.
fn inline_svg(svg: &str, title: &str) -> String {
    let root = format!(
        "<svg width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    let inline = format!(
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}\">",
        escape(title)
    );
    svg.replacen(&root, &inline, 1)
        .replace("xmlns=\"http://www.w3.org/2000/svg\"", "")
}

fn html_table(out: &mut String, t: &Table) {
    let _ = writeln!(out, "<section id=\"table-{}\">", t.id);
    let _ = writeln!(out, "<h2>{}</h2>", escape(&t.title));
    if let Some(n) = &t.note {
        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(n));
    }
    let class = |i: usize| {
        if t.numeric.get(i).copied().unwrap_or(false) {
            " class=\"num\""
        } else {
            ""
        }
    };
    let _ = writeln!(out, "<div class=\"scroll\"><table id=\"{}\">", t.id);
    out.push_str("<thead><tr>");
    for (i, h) in t.headers.iter().enumerate() {
        let _ = write!(out, "<th scope=\"col\"{}>{}</th>", class(i), escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &t.rows {
        out.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let _ = write!(out, "<td{}>{}</td>", class(i), escape(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n");
    if let Some(f) = &t.footer {
        out.push_str("<tfoot><tr>");
        for (i, c) in f.iter().enumerate() {
            let _ = write!(out, "<td{}>{}</td>", class(i), escape(c));
        }
        out.push_str("</tr></tfoot>\n");
    }
    out.push_str("</table></div>\n</section>\n");
}

/// The self-contained HTML page: every chart inline, then every table.
pub(crate) fn html(d: &ReportData<'_>, svgs: &[(&str, String)]) -> String {
    let tables = tables(d);
    let mut out = String::with_capacity(svgs.iter().map(|s| s.1.len()).sum::<usize>() + 32_000);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Nothing may be fetched: no scripts, fonts, images or styles from anywhere.
    out.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    let _ = writeln!(out, "<title>{}</title>", escape(&d.title));
    let _ = writeln!(out, "<style>{CSS}</style>\n</head>\n<body>\n<main>");
    let _ = writeln!(out, "<h1>{}</h1>", escape(&d.title));
    let lead = match d.period {
        Some((a, b)) => format!("{a} to {b} (UTC): {} in total.", d.fmt(d.total)),
        None => "The bill has no cost rows.".into(),
    };
    let _ = writeln!(out, "<p>{}</p>", escape(&lead));
    out.push_str("<nav aria-label=\"Contents\">");
    for (stem, _) in svgs {
        let _ = write!(
            out,
            "<a href=\"#chart-{stem}\">{}</a>",
            escape(title_of(stem))
        );
    }
    for t in &tables {
        let _ = write!(out, "<a href=\"#table-{}\">{}</a>", t.id, escape(&t.title));
    }
    out.push_str("</nav>\n");
    if let Some(summary) = tables.first() {
        html_table(&mut out, summary);
    }
    out.push_str("<div class=\"charts\">\n");
    for (stem, svg) in svgs {
        let title = title_of(stem);
        let _ = writeln!(
            out,
            "<section id=\"chart-{stem}\">\n<h2>{}</h2>\n<figure>",
            escape(title)
        );
        out.push_str("<div class=\"frame\">\n");
        out.push_str(&inline_svg(svg, title));
        out.push_str("</div>\n");
        let _ = writeln!(
            out,
            "<figcaption>Also as <code>{stem}.png</code> and <code>{stem}.svg</code> beside this page.</figcaption>\n</figure>\n</section>"
        );
    }
    out.push_str("</div>\n");
    for t in tables.iter().skip(1) {
        html_table(&mut out, t);
    }
    let _ = writeln!(
        out,
        "<footer>Made by cloudcost {}. Amounts in {}, rounded half-up from exact sums.</footer>\n</main>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        escape(&d.currency.code)
    );
    out
}

/// Escapes a Markdown table cell.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn md_table(out: &mut String, t: &Table) {
    let _ = writeln!(out, "## {}\n", t.title);
    if let Some(n) = &t.note {
        let _ = writeln!(out, "{n}\n");
    }
    let _ = writeln!(
        out,
        "| {} |",
        t.headers
            .iter()
            .map(|h| md_cell(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(
        out,
        "|{}|",
        (0..t.headers.len())
            .map(|i| if t.numeric.get(i).copied().unwrap_or(false) {
                "---:"
            } else {
                "---"
            })
            .collect::<Vec<_>>()
            .join("|")
    );
    for r in &t.rows {
        let _ = writeln!(
            out,
            "| {} |",
            r.iter().map(|c| md_cell(c)).collect::<Vec<_>>().join(" | ")
        );
    }
    if let Some(f) = &t.footer {
        let _ = writeln!(
            out,
            "| {} |",
            f.iter()
                .map(|c| if c.is_empty() {
                    String::new()
                } else {
                    format!("**{}**", md_cell(c))
                })
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    out.push('\n');
}

/// The Markdown report: the tables, and each chart as a linked PNG beside the file.
pub(crate) fn markdown(d: &ReportData<'_>) -> String {
    let tables = tables(d);
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", d.title);
    if let Some(summary) = tables.first() {
        md_table(&mut out, summary);
    }
    out.push_str("## Charts\n\n");
    for stem in CHARTS {
        let title = title_of(stem);
        let _ = writeln!(out, "### {title}\n\n[![{title}]({stem}.png)]({stem}.svg)\n");
    }
    for t in tables.iter().skip(1) {
        md_table(&mut out, t);
    }
    let _ = writeln!(
        out,
        "Made by cloudcost {}. Amounts in {}, rounded half-up from exact sums.",
        env!("CARGO_PKG_VERSION"),
        d.currency.code
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inlined_svg_has_no_url_and_scales() {
        let svg = format!(
            "<svg width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\">\n</svg>"
        );
        let s = inline_svg(&svg, "T");
        assert!(!s.contains("http"));
        assert!(s.starts_with("<svg viewBox=\"0 0 1200 700\" role=\"img\" aria-label=\"T\">"));
    }

    #[test]
    fn markdown_cells_are_escaped() {
        assert_eq!(md_cell("a|b\nc"), "a\\|b c");
    }
}
