//! The six charts, each drawn with plotters' SVG backend at 1200×700. Amounts are converted to
//! `f64` here only as coordinates; every label is formatted from the exact amount.

use chrono::{Datelike, NaiveDate};
use plotters::prelude::*;
use rust_decimal::Decimal;

use super::data::{ReportData, TOP_CHART};
use super::draw::{
    ACCENT, Area, BAND, BLUE, Chart, DrawResult, GREY, INK, Key, LIGHT, bold, centre_bottom, clip,
    coord, coord_usd, diamond, fill_bar, frame, left_centre, money_tick, no_data, px, right_centre,
    text, text_width, upper,
};
use super::{CHARTS, ReportError};
use crate::money::Money;

/// Draws every chart, in [`CHARTS`] order: (file stem, SVG).
pub(crate) fn draw_all(d: &ReportData<'_>) -> Result<Vec<(&'static str, String)>, ReportError> {
    let mut out = Vec::with_capacity(CHARTS.len());
    for stem in CHARTS {
        let drawn = match stem {
            "daily-cost" => daily_cost(d),
            "forecast" => forecast(d),
            "pricing-models" => pricing_models(d),
            "top-resources" => top_resources(d),
            "savings" => savings(d),
            "schedules" => schedules(d),
            _ => utilization(d),
        };
        let svg = drawn.map_err(|e| ReportError::Draw {
            chart: stem.to_string(),
            message: e.to_string(),
        })?;
        out.push((stem, with_title(&svg, title_of(stem))));
    }
    Ok(out)
}

/// Chart titles, by [`CHARTS`] order.
pub(crate) const DAILY_TITLE: &str = "Daily cost by service";
/// See [`DAILY_TITLE`].
pub(crate) const FORECAST_TITLE: &str = "Month-end forecast";
/// See [`DAILY_TITLE`].
pub(crate) const MODELS_TITLE: &str = "Cost by pricing model";
/// See [`DAILY_TITLE`].
pub(crate) const TOP_TITLE: &str = "Top resources by cost";
/// See [`DAILY_TITLE`].
pub(crate) const SAVINGS_TITLE: &str = "Savings opportunities by kind";
/// See [`DAILY_TITLE`].
pub(crate) const SCHEDULES_TITLE: &str =
    "Hours running against hours needed (schedules and fleets)";
/// See [`DAILY_TITLE`].
pub(crate) const UTILIZATION_TITLE: &str = "CPU utilization of right-sizing candidates";

/// The title of the chart with this stem.
pub(crate) fn title_of(stem: &str) -> &'static str {
    match stem {
        "daily-cost" => DAILY_TITLE,
        "forecast" => FORECAST_TITLE,
        "pricing-models" => MODELS_TITLE,
        "top-resources" => TOP_TITLE,
        "savings" => SAVINGS_TITLE,
        "schedules" => SCHEDULES_TITLE,
        _ => UTILIZATION_TITLE,
    }
}

/// Adds a `<title>` (for screen readers and file browsers) after the root tag.
fn with_title(svg: &str, title: &str) -> String {
    match svg
        .find("<svg")
        .and_then(|i| svg[i..].find('>').map(|j| i + j + 1))
    {
        Some(at) => format!(
            "{}\n<title>{}</title>{}",
            &svg[..at],
            escape(title),
            &svg[at..]
        ),
        None => svg.to_string(),
    }
}

/// Escapes text for XML and HTML.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Label of the tick at `v` on a day axis (only at whole days).
fn day_tick(days: &[NaiveDate], v: f64) -> String {
    let i = v.round();
    if (v - i).abs() > 0.01 || i < 0.0 {
        return String::new();
    }
    days.get(i as usize)
        .map(|d| d.format("%b %d").to_string())
        .unwrap_or_default()
}

/// Label of the tick at `v` on a category axis (only at whole positions).
fn category_tick(names: &[String], v: f64) -> String {
    let i = v.round();
    if (v - i).abs() > 0.01 || i < 0.0 {
        return String::new();
    }
    names.get(i as usize).cloned().unwrap_or_default()
}

fn daily_cost(d: &ReportData<'_>) -> DrawResult<String> {
    let cur = &d.currency;
    let subtitle = match d.period {
        Some((a, b)) => format!(
            "{a} to {b} (UTC) · total {}{} · bars: daily cost (left axis) · line: month-to-date total (right axis)",
            d.fmt(d.total),
            d.view.map(|v| format!(" ({v})")).unwrap_or_default()
        ),
        None => "The bill has no cost rows".to_string(),
    };
    let mut keys: Vec<(Key, String)> = d
        .chart_services
        .iter()
        .enumerate()
        .map(|(i, s)| (Key::Series(i), s.clone()))
        .collect();
    keys.push((
        Key::Line(INK, 3, false, true),
        "Month-to-date total (right axis)".into(),
    ));
    frame(DAILY_TITLE, &subtitle, &keys, |area| {
        if d.days.is_empty() {
            return no_data(area, "No cost rows in the bill");
        }
        let n = d.days.len() as f64;
        let ymax = upper(
            (0..d.days.len())
                .map(|i| coord(cur, d.daily_total(i)))
                .fold(0.0, f64::max),
        );
        let y2max = upper(
            d.month_to_date
                .iter()
                .map(|m| coord(cur, *m))
                .fold(0.0, f64::max),
        );
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(64)
            .y_label_area_size(118)
            .right_y_label_area_size(118)
            .build_cartesian_2d(-0.5..n - 0.5, 0.0..ymax)?
            .set_secondary_coord(-0.5..n - 0.5, 0.0..y2max);
        let day_label = |v: &f64| day_tick(&d.days, *v);
        let money = |v: &f64| money_tick(cur, *v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(LIGHT)
            .light_line_style(WHITE)
            .x_labels(d.days.len().min(12))
            .y_labels(8)
            .x_label_formatter(&day_label)
            .y_label_formatter(&money)
            .x_desc("Day (UTC)")
            .y_desc(format!("Daily cost ({})", cur.code))
            .label_style(text(14.0))
            .axis_desc_style(text(16.0))
            .draw()?;
        chart
            .configure_secondary_axes()
            .y_labels(8)
            .y_label_formatter(&money)
            .y_desc(format!("Month-to-date cost ({})", cur.code))
            .label_style(text(14.0))
            .axis_desc_style(text(16.0))
            .draw()?;
        for (i, row) in d.daily_by_service.iter().enumerate() {
            let x = i as f64;
            let mut base = 0.0;
            for (s, m) in row.iter().enumerate() {
                let h = coord(cur, *m);
                if h > 0.0 {
                    fill_bar(area, &chart, (x - 0.4, base + h), (x + 0.4, base), s)?;
                    base += h;
                }
            }
        }
        // One line per month: the month-to-date total restarts on the first.
        let mut segment: Vec<(f64, f64)> = Vec::new();
        for (i, (day, m)) in d.days.iter().zip(&d.month_to_date).enumerate() {
            if day.day() == 1 && !segment.is_empty() {
                chart.draw_secondary_series(LineSeries::new(
                    std::mem::take(&mut segment),
                    INK.stroke_width(3),
                ))?;
            }
            segment.push((i as f64, coord(cur, *m)));
        }
        let points = d
            .month_to_date
            .iter()
            .enumerate()
            .map(|(i, m)| (i as f64, coord(cur, *m)));
        chart.draw_secondary_series(LineSeries::new(segment, INK.stroke_width(3)))?;
        chart.draw_secondary_series(points.map(|p| Circle::new(p, 4, INK.filled())))?;
        Ok(())
    })
}

fn forecast(d: &ReportData<'_>) -> DrawResult<String> {
    let cur = &d.currency;
    let Some(fv) = &d.forecast else {
        return frame(FORECAST_TITLE, "The bill has no cost rows", &[], |area| {
            no_data(area, "No cost rows in the bill")
        });
    };
    let f = &fv.forecast;
    let (first, end) = fv.month;
    let month = first.format("%B %Y").to_string();
    let usd = |v: Decimal| d.fmt(Money::usd(v));
    let mut subtitle = if f.insufficient_data {
        format!(
            "{month}: {} so far; {} day(s) of data: too little to forecast (needs 7)",
            usd(f.month_to_date),
            f.days_of_data
        )
    } else {
        format!(
            "{month}: {} so far · forecast {} (P10 {} – P90 {})",
            usd(f.month_to_date),
            usd(f.forecast),
            usd(f.p10),
            usd(f.p90)
        )
    };
    if let Some(b) = d.budget {
        subtitle.push_str(&format!(" · budget {}", d.fmt(b)));
        let pct = f
            .forecast
            .checked_div(b.amount())
            .and_then(|r| r.checked_mul(Decimal::ONE_HUNDRED));
        if let (false, Some(pct)) = (f.insufficient_data, pct) {
            subtitle.push_str(&format!(" ({}% forecast)", pct.round()));
        }
    }
    let mut keys = vec![(
        Key::Line(INK, 3, false, true),
        "Actual, cumulative".to_string(),
    )];
    if !f.insufficient_data {
        keys.push((Key::Line(BLUE, 3, true, false), "Forecast".into()));
        keys.push((Key::Fill(BAND), "P10–P90 band".into()));
    }
    if d.budget.is_some() {
        keys.push((Key::Line(ACCENT, 3, false, false), "Budget".into()));
    }
    frame(FORECAST_TITLE, &subtitle, &keys, |area| {
        let last_day = f64::from(end.day());
        let top = [
            Some(coord_usd(cur, f.p90)),
            Some(coord_usd(cur, f.forecast)),
            Some(coord_usd(cur, f.month_to_date)),
            d.budget.map(|b| coord(cur, b)),
        ]
        .into_iter()
        .flatten()
        .fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .margin_right(40)
            .x_label_area_size(64)
            .y_label_area_size(118)
            .build_cartesian_2d(0.5..last_day + 0.5, 0.0..upper(top))?;
        let day_label = |v: &f64| {
            let i = v.round();
            if (v - i).abs() > 0.01 || i < 1.0 {
                return String::new();
            }
            first
                .with_day(i as u32)
                .map(|day| day.format("%b %d").to_string())
                .unwrap_or_default()
        };
        let money = |v: &f64| money_tick(cur, *v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(LIGHT)
            .light_line_style(WHITE)
            .x_labels(16)
            .y_labels(8)
            .x_label_formatter(&day_label)
            .y_label_formatter(&money)
            .x_desc(format!("Day of {month} (UTC)"))
            .y_desc(format!("Cost so far this month ({})", cur.code))
            .label_style(text(14.0))
            .axis_desc_style(text(16.0))
            .draw()?;
        let start = fv
            .actual
            .last()
            .map(|(day, m)| (f64::from(day.day()), coord(cur, *m)));
        if let (Some(start), false) = (start, fv.cone.is_empty()) {
            let mut band = vec![start];
            band.extend(
                fv.cone
                    .iter()
                    .map(|(day, _, _, p90)| (f64::from(day.day()), coord_usd(cur, *p90))),
            );
            band.extend(
                fv.cone
                    .iter()
                    .rev()
                    .map(|(day, _, p10, _)| (f64::from(day.day()), coord_usd(cur, *p10))),
            );
            chart.draw_series(std::iter::once(Polygon::new(band, BAND.mix(0.75).filled())))?;
            let mut line = vec![start];
            line.extend(
                fv.cone
                    .iter()
                    .map(|(day, fc, _, _)| (f64::from(day.day()), coord_usd(cur, *fc))),
            );
            chart.draw_series(DashedLineSeries::new(line, 12, 7, BLUE.stroke_width(3)))?;
            let endp = chart.backend_coord(&(last_day, coord_usd(cur, f.forecast)));
            let (x, y) = px(area, endp);
            // Above the end of the line, unless the budget line runs just there.
            let budget_y = d
                .budget
                .map(|b| px(area, chart.backend_coord(&(last_day, coord(cur, b)))).1);
            let dy = match budget_y {
                Some(by) if (y - 45..=y + 5).contains(&by) => 24,
                _ => -18,
            };
            area.draw_text(
                &format!("Forecast {}", usd(f.forecast)),
                &right_centre(bold(15.0).color(&BLUE)),
                (x - 8, y + dy),
            )?;
        }
        let actual: Vec<(f64, f64)> = fv
            .actual
            .iter()
            .map(|(day, m)| (f64::from(day.day()), coord(cur, *m)))
            .collect();
        chart.draw_series(LineSeries::new(actual.clone(), INK.stroke_width(3)))?;
        chart.draw_series(actual.into_iter().map(|p| Circle::new(p, 4, INK.filled())))?;
        if let Some(b) = d.budget {
            let y = coord(cur, b);
            chart.draw_series(LineSeries::new(
                [(0.5, y), (last_day + 0.5, y)],
                ACCENT.stroke_width(3),
            ))?;
            let (x, yp) = px(area, chart.backend_coord(&(1.0, y)));
            area.draw_text(
                &format!("Budget {}", d.fmt(b)),
                &left_centre(bold(15.0).color(&ACCENT)),
                (x, yp - 14),
            )?;
        }
        if f.insufficient_data {
            let (w, h) = area.dim_in_pixel();
            area.draw_text(
                "Too little data for a forecast: needs 7 days",
                &centre_bottom(text(20.0).color(&GREY)),
                (w as i32 / 2, h as i32 / 3),
            )?;
        }
        Ok(())
    })
}

fn pricing_models(d: &ReportData<'_>) -> DrawResult<String> {
    let cur = &d.currency;
    let subtitle = format!(
        "Total {} against {} on demand · commitments (reserved + savings plans) saved {} · spot saved {}",
        d.fmt(d.repriced_total),
        d.fmt(d.on_demand_equivalent),
        d.fmt(d.commitments_saved()),
        d.fmt(d.spot_saved()),
    );
    let keys = vec![
        (Key::Series(2), "Cost".to_string()),
        (
            Key::Series(5),
            "Saved against on-demand (bar top = on-demand equivalent)".to_string(),
        ),
    ];
    frame(MODELS_TITLE, &subtitle, &keys, |area| {
        if d.bill.rows.is_empty() {
            return no_data(area, "No cost rows in the bill");
        }
        let names: Vec<String> = d
            .by_model
            .iter()
            .map(|m| m.model.as_str().to_string())
            .collect();
        let k = names.len() as f64;
        let top = d
            .by_model
            .iter()
            .map(|m| coord(cur, m.cost).max(coord(cur, m.on_demand_equivalent)))
            .fold(0.0, f64::max);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(64)
            .y_label_area_size(118)
            .build_cartesian_2d(-0.5..k - 0.5, 0.0..upper(top) * 1.08)?;
        let cat = |v: &f64| category_tick(&names, *v);
        let money = |v: &f64| money_tick(cur, *v);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .bold_line_style(LIGHT)
            .light_line_style(WHITE)
            .x_labels(names.len())
            .y_labels(8)
            .x_label_formatter(&cat)
            .y_label_formatter(&money)
            .x_desc("Pricing model")
            .y_desc(format!("Cost for the period ({})", cur.code))
            .label_style(text(15.0))
            .axis_desc_style(text(16.0))
            .draw()?;
        for (i, m) in d.by_model.iter().enumerate() {
            let x = i as f64;
            let cost = coord(cur, m.cost);
            let saved = m.saved();
            if cost > 0.0 {
                fill_bar(area, &chart, (x - 0.3, cost), (x + 0.3, 0.0), 2)?;
            }
            // A credit's negative cost is labelled on the axis.
            let mut top = cost.max(0.0);
            if saved.amount() > Decimal::ZERO {
                let od = coord(cur, m.on_demand_equivalent);
                fill_bar(area, &chart, (x - 0.3, od), (x + 0.3, cost), 5)?;
                top = od;
            }
            let (bx, by) = px(area, chart.backend_coord(&(x, top)));
            let style = centre_bottom(bold(15.0));
            area.draw_text(&d.fmt(m.cost), &style, (bx, by - 6))?;
            let note = if saved.amount() > Decimal::ZERO {
                format!("saved {}", d.fmt(saved))
            } else if saved.amount() < Decimal::ZERO {
                format!("{} over on-demand", d.fmt(-saved))
            } else {
                String::new()
            };
            if !note.is_empty() {
                area.draw_text(
                    &note,
                    &centre_bottom(text(14.0).color(&GREY)),
                    (bx, by - 26),
                )?;
            }
        }
        Ok(())
    })
}

/// One row of a horizontal bar chart.
struct HBar {
    label: String,
    value: f64,
    text: String,
    series: usize,
}

/// Draws horizontal bars, the first at the top, labelled on the left and at their ends.
fn hbars(
    area: &Area<'_>,
    rows: &[HBar],
    x_desc: &str,
    y_desc: &str,
    money: &dyn Fn(&f64) -> String,
) -> DrawResult<()> {
    let n = rows.len() as f64;
    let label_w = rows
        .iter()
        .map(|r| text_width(&r.label, 14.0))
        .max()
        .unwrap_or(0)
        .clamp(80, 440);
    let xmax = rows.iter().map(|r| r.value).fold(0.0, f64::max);
    let xmax = if xmax > 0.0 { xmax * 1.22 } else { 1.0 };
    let mut chart: Chart<'_, '_> = ChartBuilder::on(area)
        .margin(12)
        .margin_right(30)
        .x_label_area_size(64)
        .y_label_area_size(label_w + 46)
        .build_cartesian_2d(0.0..xmax, -0.5..n - 0.5)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .bold_line_style(LIGHT)
        .light_line_style(WHITE)
        .y_labels(0)
        .x_labels(8)
        .x_label_formatter(money)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(text(14.0))
        .axis_desc_style(text(16.0))
        .draw()?;
    let half = if rows.len() > 12 { 0.36 } else { 0.3 };
    for (i, r) in rows.iter().enumerate() {
        let y = n - 1.0 - i as f64;
        if r.value > 0.0 {
            fill_bar(area, &chart, (0.0, y + half), (r.value, y - half), r.series)?;
        }
        let (lx, ly) = px(area, chart.backend_coord(&(0.0, y)));
        area.draw_text(&r.label, &right_centre(text(14.0)), (lx - 10, ly))?;
        let (vx, vy) = px(area, chart.backend_coord(&(r.value.max(0.0), y)));
        area.draw_text(&r.text, &left_centre(bold(14.0)), (vx + 8, vy))?;
    }
    Ok(())
}

fn top_resources(d: &ReportData<'_>) -> DrawResult<String> {
    let cur = &d.currency;
    let shown = d.top_resources.len().min(TOP_CHART);
    let top_sum: Money = d.top_resources.iter().take(shown).map(|r| r.cost).sum();
    let subtitle = format!(
        "The {shown} most expensive of {} resources: {} of the {} total",
        d.resource_count,
        d.fmt(top_sum),
        d.fmt(d.total)
    );
    let series_of = |service: &str| {
        d.chart_services
            .iter()
            .position(|s| s == service)
            .unwrap_or(d.chart_services.len().saturating_sub(1))
    };
    let mut present: Vec<usize> = d
        .top_resources
        .iter()
        .take(shown)
        .map(|r| series_of(&r.service))
        .collect();
    present.sort_unstable();
    present.dedup();
    let keys: Vec<(Key, String)> = present
        .iter()
        .map(|i| {
            (
                Key::Series(*i),
                d.chart_services.get(*i).cloned().unwrap_or_default(),
            )
        })
        .collect();
    frame(TOP_TITLE, &subtitle, &keys, |area| {
        if shown == 0 {
            return no_data(area, "No cost rows in the bill");
        }
        let rows: Vec<HBar> = d
            .top_resources
            .iter()
            .take(shown)
            .map(|r| HBar {
                label: format!("{} ({})", clip(&r.resource_id, 36), r.service),
                value: coord(cur, r.cost),
                text: d.fmt(r.cost),
                series: series_of(&r.service),
            })
            .collect();
        let money = |v: &f64| money_tick(cur, *v);
        hbars(
            area,
            &rows,
            &format!("Cost for the period ({})", cur.code),
            "Resource (service)",
            &money,
        )
    })
}

fn savings(d: &ReportData<'_>) -> DrawResult<String> {
    let cur = &d.currency;
    let count: usize = d.savings_by_kind.iter().map(|k| k.count).sum();
    let subtitle = match d.recommendations {
        Some(_) => format!(
            "{} a month in total across {count} opportunities (730-hour months, as `cloudcost recommend` prices them)",
            d.fmt(Money::usd(d.total_saving))
        ),
        None => "No recommendations were given".to_string(),
    };
    let keys = if d.savings_by_kind.is_empty() {
        Vec::new()
    } else {
        vec![
            (Key::Series(3), "Monthly saving by kind".to_string()),
            (Key::Series(0), "Total".to_string()),
        ]
    };
    frame(SAVINGS_TITLE, &subtitle, &keys, |area| {
        if d.recommendations.is_none() {
            return no_data(
                area,
                "No recommendations: run `cloudcost recommend` on this usage",
            );
        }
        if d.savings_by_kind.is_empty() {
            return no_data(area, "Nothing to save was found");
        }
        let mut rows: Vec<HBar> = d
            .savings_by_kind
            .iter()
            .map(|k| HBar {
                label: format!("{} ({})", k.kind.as_str(), k.count),
                value: coord_usd(cur, k.monthly_saving),
                text: d.fmt(Money::usd(k.monthly_saving)),
                series: 3,
            })
            .collect();
        rows.push(HBar {
            label: format!("Total ({count})"),
            value: coord_usd(cur, d.total_saving),
            text: d.fmt(Money::usd(d.total_saving)),
            series: 0,
        });
        let money = |v: &f64| money_tick(cur, *v);
        hbars(
            area,
            &rows,
            &format!("Monthly saving ({} a month)", cur.code),
            "Kind of change (count)",
            &money,
        )
    })
}

/// The instances an off-hours schedule would stop and the fleets that could follow their load:
/// the instance-hours a week running now against those the load needs, biggest saving first.
fn schedules(d: &ReportData<'_>) -> DrawResult<String> {
    const SHOWN: usize = 8;
    let all = d
        .recommendations
        .map_or(&[][..], |r| r.schedules.as_slice());
    let shown = all.len().min(SHOWN);
    let subtitle = if all.is_empty() {
        "Instances whose load follows a weekly pattern or swings as a fleet, from their hourly metrics".to_string()
    } else {
        format!(
            "{shown} of {} schedules and fleets: {} a month saved by running only the hours the load needs",
            all.len(),
            d.fmt(Money::usd(all.iter().map(|s| s.monthly_saving).sum()))
        )
    };
    let keys = if all.is_empty() {
        Vec::new()
    } else {
        vec![
            (
                Key::Series(1),
                "Instance-hours a week running now".to_string(),
            ),
            (Key::Series(3), "Instance-hours a week needed".to_string()),
        ]
    };
    frame(SCHEDULES_TITLE, &subtitle, &keys, |area| {
        if d.recommendations.is_none() || !d.has_series {
            return no_data(
                area,
                "No hourly metrics given: pass --metrics to look for off-hours schedules",
            );
        }
        if all.is_empty() {
            return no_data(
                area,
                "No instance follows a weekly pattern with long quiet hours",
            );
        }
        let mut rows = Vec::with_capacity(shown * 2);
        for s in all.iter().take(shown) {
            rows.push(HBar {
                label: format!("{} now", clip(&s.resource_id, 30)),
                value: f64::from(s.running_hours_per_week),
                text: format!("{} h", s.running_hours_per_week),
                series: 1,
            });
            rows.push(HBar {
                label: format!("{} needed", clip(&s.resource_id, 30)),
                value: f64::from(s.on_hours_per_week),
                text: format!(
                    "{} h: {} ({} a month less)",
                    s.on_hours_per_week,
                    s.schedule,
                    d.fmt(Money::usd(s.monthly_saving))
                ),
                series: 3,
            });
        }
        let hours = |v: &f64| format!("{v:.0} h");
        hbars(
            area,
            &rows,
            "Instance-hours a week",
            "Instance or fleet",
            &hours,
        )
    })
}

fn utilization(d: &ReportData<'_>) -> DrawResult<String> {
    let limit = d.headroom_limit_pct();
    let subtitle = if d.utilization.is_empty() {
        "Hourly maximum CPU of each instance recommend would change".to_string()
    } else {
        format!(
            "Hourly maximum CPU of {} of {} candidates · limit line at 100 / (1 + {}%) = {limit:.1}% CPU",
            d.utilization.len(),
            d.candidate_count,
            d.headroom_pct
        )
    };
    let keys = if d.utilization.is_empty() {
        Vec::new()
    } else {
        vec![
            (Key::Line(GREY, 2, false, false), "min – max".to_string()),
            (Key::Box(BAND), "P25 – P75".to_string()),
            (Key::Line(INK, 3, false, false), "median".to_string()),
            (Key::Diamond(BLUE), "P99.5".to_string()),
            (
                Key::Line(ACCENT, 3, true, false),
                format!("headroom limit ({}% headroom)", d.headroom_pct),
            ),
        ]
    };
    frame(UTILIZATION_TITLE, &subtitle, &keys, |area| {
        if !d.has_series {
            return no_data(
                area,
                "No metrics given: pass --metrics to see CPU utilization",
            );
        }
        if d.utilization.is_empty() {
            return no_data(
                area,
                "No right-sizing candidates: every instance fits its type",
            );
        }
        let n = d.utilization.len() as f64;
        let labels: Vec<String> = d
            .utilization
            .iter()
            .map(|u| {
                let verdict = if u.verdict.is_empty() {
                    String::new()
                } else {
                    format!(": {}", u.verdict)
                };
                format!("{} {}{verdict}", clip(&u.resource_id, 22), u.instance_type)
            })
            .collect();
        let label_w = labels
            .iter()
            .map(|l| text_width(l, 14.0))
            .max()
            .unwrap_or(0)
            .clamp(80, 480);
        let mut chart: Chart<'_, '_> = ChartBuilder::on(area)
            .margin(12)
            .margin_right(30)
            .x_label_area_size(64)
            .y_label_area_size(label_w + 46)
            .build_cartesian_2d(0.0..100.0, -0.5..n - 0.5)?;
        let pct = |v: &f64| format!("{v:.0}%");
        chart
            .configure_mesh()
            .disable_y_mesh()
            .bold_line_style(LIGHT)
            .light_line_style(WHITE)
            .y_labels(0)
            .x_labels(11)
            .x_label_formatter(&pct)
            .x_desc("Hourly maximum CPU (% of the instance's vCPUs)")
            .y_desc("Instance, type: finding")
            .label_style(text(14.0))
            .axis_desc_style(text(16.0))
            .draw()?;
        let half = if d.utilization.len() > 12 { 0.3 } else { 0.25 };
        for (i, (u, label)) in d.utilization.iter().zip(&labels).enumerate() {
            let y = n - 1.0 - i as f64;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(u.min, y), (u.max, y)],
                GREY.stroke_width(2),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(u.p25, y - half), (u.p75, y + half)],
                BAND.filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(u.p25, y - half), (u.p75, y + half)],
                INK.stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(u.p50, y - half), (u.p50, y + half)],
                INK.stroke_width(3),
            )))?;
            let c = px(area, chart.backend_coord(&(u.p995, y)));
            area.draw(&Polygon::new(diamond(c, 7), BLUE.filled()))?;
            let (lx, ly) = px(area, chart.backend_coord(&(0.0, y)));
            area.draw_text(label, &right_centre(text(14.0)), (lx - 10, ly))?;
        }
        chart.draw_series(DashedLineSeries::new(
            [(limit, -0.5), (limit, n - 0.5)],
            10,
            6,
            ACCENT.stroke_width(3),
        ))?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_only_at_whole_positions() {
        let days = [NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default()];
        assert_eq!(day_tick(&days, 0.0), "Oct 01");
        assert_eq!(day_tick(&days, 0.5), "");
        assert_eq!(day_tick(&days, 3.0), "");
        assert_eq!(day_tick(&days, -1.0), "");
        assert_eq!(category_tick(&["a".into()], 0.0), "a");
    }

    #[test]
    fn title_goes_after_the_root_tag() {
        let s = with_title("<svg width=\"1\">\n<rect/>\n</svg>", "A & B");
        assert_eq!(
            s,
            "<svg width=\"1\">\n<title>A &amp; B</title>\n<rect/>\n</svg>"
        );
    }
}
