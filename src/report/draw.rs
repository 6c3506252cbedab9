//! Drawing helpers shared by the charts: the frame (title, subtitle, legend), text styles, the
//! greyscale-safe palette with hatching, and money and date tick labels.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{HEIGHT, WIDTH};
use crate::money::{Currency, Money, round_half_up};

/// The font family written into the SVG: the bundled DejaVu Sans when rasterized; in a browser,
/// the same if installed, else a close wide sans-serif.
pub(crate) const FONT: &str = "DejaVu Sans, Verdana, sans-serif";

/// What drawing returns: any plotters error, boxed.
pub(crate) type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A drawing area in pixels.
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A chart over f64 coordinates.
pub(crate) type Chart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Height of the header (title, subtitle, legend), pixels.
pub(crate) const HEADER: u32 = 118;

/// Text of `px` pixels as rendered (plotters' SVG backend writes `size / 1.24`).
pub(crate) fn text(px: f64) -> TextStyle<'static> {
    (FONT, px * 1.24).into_font().color(&INK)
}

/// Bold text of `px` pixels.
pub(crate) fn bold(px: f64) -> TextStyle<'static> {
    (FONT, px * 1.24)
        .into_font()
        .style(FontStyle::Bold)
        .color(&INK)
}

/// Text anchored at its right end, vertically centred.
pub(crate) fn right_centre(style: TextStyle<'static>) -> TextStyle<'static> {
    style.pos(Pos::new(HPos::Right, VPos::Center))
}

/// Text anchored at its left end, vertically centred.
pub(crate) fn left_centre(style: TextStyle<'static>) -> TextStyle<'static> {
    style.pos(Pos::new(HPos::Left, VPos::Center))
}

/// Text anchored at its centre bottom.
pub(crate) fn centre_bottom(style: TextStyle<'static>) -> TextStyle<'static> {
    style.pos(Pos::new(HPos::Center, VPos::Bottom))
}

/// Nearly black, for text and the main lines.
pub(crate) const INK: RGBColor = RGBColor(0x1A, 0x1A, 0x1A);
/// Mid grey, for secondary marks.
pub(crate) const GREY: RGBColor = RGBColor(0x6E, 0x6E, 0x6E);
/// Light grey, for grid lines.
pub(crate) const LIGHT: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
/// An accent that stays mid-dark in greyscale (vermillion), for limits and budgets.
pub(crate) const ACCENT: RGBColor = RGBColor(0xC0, 0x39, 0x2B);
/// A light blue for bands, light in greyscale.
pub(crate) const BAND: RGBColor = RGBColor(0x9E, 0xC5, 0xE8);
/// A mid blue, for forecasts.
pub(crate) const BLUE: RGBColor = RGBColor(0x1F, 0x5F, 0x9E);

/// Series colours from dark to light (viridis): each step is clearly lighter than the last,
/// so series stay apart in greyscale; odd series are also hatched.
pub(crate) const PALETTE: [RGBColor; 7] = [
    RGBColor(0x44, 0x01, 0x54),
    RGBColor(0x44, 0x39, 0x83),
    RGBColor(0x31, 0x68, 0x8E),
    RGBColor(0x21, 0x91, 0x8C),
    RGBColor(0x35, 0xB7, 0x79),
    RGBColor(0x90, 0xD7, 0x43),
    RGBColor(0xFD, 0xE7, 0x25),
];

/// The fill of series `i`: its colour and whether it is hatched.
pub(crate) fn series_fill(i: usize) -> (RGBColor, bool) {
    (
        PALETTE.get(i % PALETTE.len()).copied().unwrap_or(INK),
        i % 2 == 1,
    )
}

/// A hatch line colour that contrasts with `fill`.
fn hatch_ink(fill: RGBColor) -> RGBColor {
    let RGBColor(r, g, b) = fill;
    let luma = 0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b);
    if luma < 140.0 { WHITE } else { INK }
}

/// Diagonal (45°) hatch segments inside the pixel rectangle `a`–`b`, every `gap` pixels.
pub(crate) fn hatch_segments(a: (i32, i32), b: (i32, i32), gap: i32) -> Vec<[(i32, i32); 2]> {
    let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
    let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
    let mut out = Vec::new();
    if x1 - x0 < 2 || y1 - y0 < 2 || gap < 2 {
        return out;
    }
    // Lines x + y = c: from the bottom-left up to the top-right.
    let mut c = x0 + y0 + gap;
    while c < x1 + y1 {
        let (sx, sy) = if c - y1 >= x0 {
            (c - y1, y1)
        } else {
            (x0, c - x0)
        };
        let (ex, ey) = if c - y0 <= x1 {
            (c - y0, y0)
        } else {
            (x1, c - x1)
        };
        out.push([(sx, sy), (ex, ey)]);
        c += gap;
    }
    out
}

/// Fills the pixel rectangle `a`–`b` on `area` with series `i`'s colour and hatching.
pub(crate) fn fill_rect(area: &Area<'_>, a: (i32, i32), b: (i32, i32), i: usize) -> DrawResult<()> {
    let (color, hatched) = series_fill(i);
    area.draw(&Rectangle::new([a, b], color.filled()))?;
    if hatched {
        let ink = hatch_ink(color).stroke_width(1);
        for seg in hatch_segments(a, b, 7) {
            area.draw(&PathElement::new(seg.to_vec(), ink))?;
        }
    }
    Ok(())
}

/// Fills a data rectangle of `chart` with series `i`'s style, in pixels so hatching is at 45°.
pub(crate) fn fill_bar(
    area: &Area<'_>,
    chart: &Chart<'_, '_>,
    a: (f64, f64),
    b: (f64, f64),
    i: usize,
) -> DrawResult<()> {
    let (pa, pb) = (
        px(area, chart.backend_coord(&a)),
        px(area, chart.backend_coord(&b)),
    );
    fill_rect(area, pa, pb, i)
}

/// A backend coordinate relative to `area`.
pub(crate) fn px(area: &Area<'_>, abs: (i32, i32)) -> (i32, i32) {
    let (bx, by) = area.get_base_pixel();
    (abs.0 - bx, abs.1 - by)
}

/// One entry of a legend.
pub(crate) enum Key {
    /// A filled swatch of series `i`.
    Series(usize),
    /// A flat fill.
    Fill(RGBColor),
    /// A line: colour, width, dashed, with a round marker.
    Line(RGBColor, u32, bool, bool),
    /// A diamond marker.
    Diamond(RGBColor),
    /// A box with a border.
    Box(RGBColor),
}

/// Estimated width of `s` in pixels at `font_px` (DejaVu Sans is wide: about 0.62 em a
/// character on average).
pub(crate) fn text_width(s: &str, font_px: f64) -> i32 {
    (s.chars().count() as f64 * font_px * 0.62).ceil() as i32
}

/// Draws a legend in one or more rows starting at `(x, y)` within `width` pixels.
pub(crate) fn legend(
    area: &Area<'_>,
    entries: &[(Key, String)],
    x: i32,
    y: i32,
    width: i32,
) -> DrawResult<()> {
    const FONT_PX: f64 = 15.0;
    let (mut cx, mut cy) = (x, y);
    for (key, label) in entries {
        let w = 28 + text_width(label, FONT_PX) + 22;
        if cx > x && cx + w > x + width {
            cx = x;
            cy += 24;
        }
        match key {
            Key::Series(i) => fill_rect(area, (cx, cy - 8), (cx + 20, cy + 8), *i)?,
            Key::Fill(c) => area.draw(&Rectangle::new(
                [(cx, cy - 8), (cx + 20, cy + 8)],
                c.filled(),
            ))?,
            Key::Box(c) => {
                area.draw(&Rectangle::new(
                    [(cx, cy - 8), (cx + 20, cy + 8)],
                    c.filled(),
                ))?;
                area.draw(&Rectangle::new(
                    [(cx, cy - 8), (cx + 20, cy + 8)],
                    INK.stroke_width(1),
                ))?;
            }
            Key::Line(c, wpx, dashed, marker) => {
                let style = c.stroke_width(*wpx);
                if *dashed {
                    area.draw(&PathElement::new(vec![(cx, cy), (cx + 7, cy)], style))?;
                    area.draw(&PathElement::new(vec![(cx + 13, cy), (cx + 20, cy)], style))?;
                } else {
                    area.draw(&PathElement::new(vec![(cx, cy), (cx + 20, cy)], style))?;
                }
                if *marker {
                    area.draw(&Circle::new((cx + 10, cy), 4, c.filled()))?;
                }
            }
            Key::Diamond(c) => {
                area.draw(&Polygon::new(diamond((cx + 10, cy), 7), c.filled()))?;
            }
        }
        area.draw_text(label, &left_centre(text(FONT_PX)), (cx + 28, cy))?;
        cx += w;
    }
    Ok(())
}

/// The corners of a diamond centred at `c` with half-size `r`.
pub(crate) fn diamond(c: (i32, i32), r: i32) -> Vec<(i32, i32)> {
    vec![
        (c.0, c.1 - r),
        (c.0 + r, c.1),
        (c.0, c.1 + r),
        (c.0 - r, c.1),
    ]
}

/// Draws a chart: white background, title, subtitle, legend, then `body` on the area below the
/// header. Returns the SVG.
pub(crate) fn frame(
    title: &str,
    subtitle: &str,
    keys: &[(Key, String)],
    body: impl FnOnce(&Area<'_>) -> DrawResult<()>,
) -> DrawResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let (head, rest) = root.split_vertically(HEADER);
        head.draw_text(title, &bold(26.0), (24, 14))?;
        head.draw_text(subtitle, &text(16.0).color(&GREY), (24, 52))?;
        legend(&head, keys, 24, 94, WIDTH as i32 - 48)?;
        body(&rest)?;
        root.present()?;
    }
    Ok(svg)
}

/// Writes `message` in the middle of `area` (for a chart with nothing to show).
pub(crate) fn no_data(area: &Area<'_>, message: &str) -> DrawResult<()> {
    let (w, h) = area.dim_in_pixel();
    area.draw(&Rectangle::new(
        [(40, 20), (w as i32 - 40, h as i32 - 40)],
        LIGHT.stroke_width(2),
    ))?;
    let style = text(20.0)
        .color(&GREY)
        .pos(Pos::new(HPos::Center, VPos::Center));
    area.draw_text(message, &style, (w as i32 / 2, h as i32 / 2 - 10))?;
    Ok(())
}

/// An amount as a chart coordinate, in the display currency (drawing only).
pub(crate) fn coord(currency: &Currency, m: Money) -> f64 {
    currency.decimal(m).to_f64().unwrap_or(0.0)
}

/// An exact amount in USD as a chart coordinate in the display currency.
pub(crate) fn coord_usd(currency: &Currency, d: Decimal) -> f64 {
    coord(currency, Money::usd(d))
}

/// A money tick label for an axis value in the display currency: whole units from 10 up and
/// for zero (`$1,500`, `$0`), the minor unit below (`$2.50`).
pub(crate) fn money_tick(currency: &Currency, v: f64) -> String {
    let Ok(d) = Decimal::try_from(v) else {
        return String::new();
    };
    let whole = v.abs() >= 10.0 || v == 0.0;
    let shown = round_half_up(d, if whole { 0 } else { currency.minor_units() });
    let Some(usd) = shown.checked_div(currency.fx_rate) else {
        return String::new();
    };
    let s = currency.format(Money::usd(usd));
    if whole { drop_fraction(&s) } else { s }
}

/// `$1,500.00` → `$1,500`, `1,500.00 EUR` → `1,500 EUR`.
fn drop_fraction(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '.' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            while chars.peek().is_some_and(|n| n.is_ascii_digit()) {
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A range for an axis that starts at zero and leaves room above `max`.
pub(crate) fn upper(max: f64) -> f64 {
    if max.is_finite() && max > 0.0 {
        max * 1.12
    } else {
        1.0
    }
}

/// Shortens `s` to `n` characters with an ellipsis.
pub(crate) fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money_ticks() {
        let usd = Currency::usd();
        assert_eq!(money_tick(&usd, 1500.0), "$1,500");
        assert_eq!(money_tick(&usd, 2.5), "$2.50");
        assert_eq!(money_tick(&usd, 0.0), "$0");
        assert_eq!(money_tick(&usd, -20.0), "-$20");
        let krw = Currency::new("KRW", dec!(1400)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(money_tick(&krw, 200000.0), "₩200,000");
        let eur = Currency::new("CHF", dec!(0.9)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(money_tick(&eur, 1000.0), "1,000 CHF");
        assert_eq!(money_tick(&usd, f64::NAN), "");
    }

    #[test]
    fn hatching_stays_inside() {
        let segs = hatch_segments((10, 10), (40, 30), 7);
        assert!(!segs.is_empty());
        for [a, b] in segs {
            for p in [a, b] {
                assert!(
                    (10..=40).contains(&p.0) && (10..=30).contains(&p.1),
                    "{p:?}"
                );
            }
        }
        assert!(hatch_segments((0, 0), (1, 50), 7).is_empty());
    }
}
