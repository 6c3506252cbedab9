//! `cloudcost::report` on a simulated fleet: the fleet is simulated by the CLI, then priced,
//! recommended and reported through the library. Every chart is a valid 1200×700 image with ink
//! in its plot area, the page is self-contained and holds every chart and table, the same input
//! gives the same bytes, and headless Chromium (when installed) renders the page.
//!
//! To look at the pictures: `CLOUDCOST_KEEP_REPORT=/tmp/rep cargo test --test it report` also
//! writes the full report to `/tmp/rep` (and a mid-month one to `/tmp/rep/mid-month`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cloudcost::bill::Bill;
use cloudcost::metrics::InstanceSeries;
use cloudcost::money::Currency;
use cloudcost::recommend::{Finding, InstanceContext, RightsizingOptions, rightsize};
use cloudcost::report::{
    CHARTS, HEIGHT, INDEX_HTML, REPORT_MD, ReportFile, ReportInput, WIDTH, render_report,
    write_report,
};
use cloudcost::savings::{InstanceRow, Kind, Opportunity, Report};
use resvg::tiny_skia::Pixmap;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::catalog;

/// A priced, recommended simulated fleet.
struct Fleet {
    _dir: tempfile::TempDir,
    bill: Bill,
    report: Report,
    series: Vec<InstanceSeries>,
}

/// A 30-day, 120-resource fleet in us-east-1, made once: at this size the simulated account
/// holds reserved instances, so the pricing-model chart has commitments to show.
fn fleet() -> &'static Fleet {
    static FLEET: OnceLock<Fleet> = OnceLock::new();
    FLEET.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let o = super::cloudcost_cmd()
            .args(["simulate", "--resources", "120", "--days", "30"])
            .args(["--region", "us-east-1", "--out"])
            .arg(dir.path())
            .output()
            .expect("runs cloudcost simulate");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let cat = catalog();
        let usage = dir.path().join("usage.parquet");
        let read = cloudcost::usage::read_usage(
            &usage,
            cat,
            &cloudcost::usage::ReadOptions {
                hourly_ec2: true,
                rejects_path: None,
            },
        )
        .unwrap();
        let mut bill = cloudcost::bill::price_usage(cat, &read).unwrap();
        let commitments = dir.path().join("commitments.toml");
        let text = std::fs::read_to_string(&commitments).unwrap();
        let held = cloudcost::bill::Commitments::parse("commitments.toml", &text, cat).unwrap();
        cloudcost::bill::apply_commitments(cat, &read, &mut bill, &held).unwrap();

        let mut report = Report::default();
        let inv = cloudcost::usage::inventory::read_inventory(&usage).unwrap();
        report
            .opportunities
            .extend(cloudcost::savings::waste::waste(cat, &inv).unwrap());
        report
            .opportunities
            .extend(cloudcost::savings::storage::storage_classes(cat, &inv).unwrap());
        let advice = cloudcost::savings::commitments::recommend_commitments(
            cat,
            &read.ec2_hours,
            30,
            Some(&held),
        );
        report.opportunities.extend(advice.opportunities);
        report.notes.extend(advice.notes);
        let metrics =
            cloudcost::usage::metrics::read_metrics(&dir.path().join("metrics.parquet"), 14)
                .unwrap();
        let opts = RightsizingOptions::new(14, "p99.5".parse().unwrap(), 20).unwrap();
        for s in &metrics.series {
            let r = rightsize(
                cat,
                s,
                &InstanceContext::on_demand(cloudcost::catalog::Os::Linux),
                &opts,
            )
            .unwrap();
            if let (Finding::OverProvisioned | Finding::UnderProvisioned, Some(o)) =
                (r.finding, r.options.first())
            {
                report.opportunities.push(Opportunity {
                    kind: Kind::Rightsize,
                    resource_id: r.resource_id.clone(),
                    region: r.region.clone(),
                    action: format!("Change {} → {}", r.instance_type, o.instance_type),
                    current_monthly: r.current_monthly_cost,
                    proposed_monthly: o.monthly_cost,
                    monthly_saving: o.monthly_saving,
                    detail: o.note.clone(),
                });
            }
            report.instances.push(InstanceRow::from(&r));
        }
        report.rank();
        Fleet {
            _dir: dir,
            bill,
            report,
            series: metrics.series,
        }
    })
}

fn usd() -> &'static Currency {
    static USD: OnceLock<Currency> = OnceLock::new();
    USD.get_or_init(Currency::usd)
}

/// The full report input: bill, budget, recommendations and metrics.
fn full_input(f: &Fleet) -> ReportInput<'_> {
    ReportInput {
        title: "Simulated fleet, October 2026".into(),
        bill: &f.bill,
        currency: usd(),
        budget: Some(dec!(15000)),
        recommendations: Some(&f.report),
        series: Some(&f.series),
        view: None,
        headroom_pct: 20,
    }
}

/// The full report, written once.
fn written() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let start = Instant::now();
        let paths = write_report(&full_input(fleet()), d.path()).unwrap();
        eprintln!("report written in {:.2?}", start.elapsed());
        if let Some(keep) = std::env::var_os("CLOUDCOST_KEEP_REPORT") {
            write_report(&full_input(fleet()), Path::new(&keep)).unwrap();
        }
        assert_eq!(paths.len(), CHARTS.len() * 2 + 2);
        d
    })
    .path()
}

fn png(path: &Path) -> Pixmap {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Pixmap::decode_png(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn is_ink(p: &resvg::tiny_skia::PremultipliedColorU8) -> bool {
    p.alpha() > 0 && (p.red() < 235 || p.green() < 235 || p.blue() < 235)
}

/// Pixels that are not white in the rectangle `x0..x1` × `y0..y1`.
fn ink(img: &Pixmap, (x0, y0): (u32, u32), (x1, y1): (u32, u32)) -> usize {
    let mut n = 0;
    for y in y0..y1.min(img.height()) {
        for x in x0..x1.min(img.width()) {
            if img.pixel(x, y).is_some_and(|p| is_ink(&p)) {
                n += 1;
            }
        }
    }
    n
}

fn read_text(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn report_writes_every_chart_as_svg_and_png_plus_page_and_markdown() {
    let dir = written();
    for stem in CHARTS {
        for ext in ["svg", "png"] {
            let p = dir.join(format!("{stem}.{ext}"));
            assert!(p.is_file(), "{} is missing", p.display());
        }
    }
    assert!(dir.join(INDEX_HTML).is_file());
    assert!(dir.join(REPORT_MD).is_file());
}

#[test]
fn every_png_is_1200_by_700_with_ink_in_the_plot_area() {
    let dir = written();
    for stem in CHARTS {
        let img = png(&dir.join(format!("{stem}.png")));
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT), "{stem}");
        // The plot area: below the header, inside the axis labels.
        let n = ink(&img, (180, 160), (1080, 600));
        assert!(
            n > 3_000,
            "{stem}.png has only {n} non-white pixels in its plot area"
        );
        // The title was rendered with the bundled font: dark pixels in the title band.
        let title = ink(&img, (20, 10), (600, 45));
        assert!(title > 500, "{stem}.png has no title text ({title} pixels)");
    }
}

#[test]
fn every_svg_parses_and_carries_its_title() {
    let dir = written();
    let titles = [
        "Daily cost by service",
        "Month-end forecast",
        "Cost by pricing model",
        "Top resources by cost",
        "Savings opportunities by kind",
        "Hours running against hours needed (schedules and fleets)",
        "CPU utilization of right-sizing candidates",
    ];
    for (stem, title) in CHARTS.iter().zip(titles) {
        let svg = read_text(dir.join(format!("{stem}.svg")));
        let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default())
            .unwrap_or_else(|e| panic!("{stem}.svg: {e}"));
        assert_eq!(tree.size().to_int_size().width(), WIDTH);
        assert!(
            svg.contains(&format!("<title>{title}</title>")),
            "{stem}.svg"
        );
        assert!(
            svg.contains(&format!(">\n{title}\n</text>")),
            "{stem}.svg has no drawn title"
        );
    }
    // Money on the axes is formatted as money.
    let daily = read_text(dir.join("daily-cost.svg"));
    assert!(daily.contains("Daily cost (USD)") && daily.contains("$"));
    assert!(daily.contains("Oct 01"), "dates on the x axis");
    let util = read_text(dir.join("utilization.svg"));
    assert!(util.contains("headroom limit (20% headroom)"));
    assert!(util.contains("83.3%"));
}

#[test]
fn page_is_self_contained_and_holds_every_chart_and_table() {
    let dir = written();
    let html = read_text(dir.join(INDEX_HTML));
    assert_eq!(html.matches("<svg ").count(), CHARTS.len());
    for stem in CHARTS {
        assert!(
            html.contains(&format!("id=\"chart-{stem}\"")),
            "no {stem} chart"
        );
    }
    for table in [
        "summary",
        "by-service",
        "by-pricing-model",
        "top-resources",
        "recommendations",
    ] {
        assert!(
            html.contains(&format!("<table id=\"{table}\">")),
            "no {table} table"
        );
    }
    for service in ["ec2", "ebs", "s3", "data_transfer"] {
        assert!(
            html.contains(&format!("<td>{service}</td>")),
            "no {service} row"
        );
    }
    for kind in ["reserved-instances", "unattached-volume", "rightsize"] {
        assert!(
            html.contains(&format!("<td>{kind}</td>")),
            "no {kind} recommendation"
        );
    }
    let lower = html.to_ascii_lowercase();
    for banned in [
        "http://", "https://", "<script", "<link", "<img", "src=", "@import", "url(",
    ] {
        assert!(!lower.contains(banned), "index.html contains `{banned}`");
    }
    assert!(html.contains("name=\"viewport\""));
    assert!(html.contains("Content-Security-Policy"));

    let md = read_text(dir.join(REPORT_MD));
    for stem in CHARTS {
        assert!(
            md.contains(&format!("]({stem}.png)")),
            "report.md does not link {stem}.png"
        );
    }
    for title in [
        "## Summary",
        "## Cost by service",
        "## Pricing models and what they saved",
        "## Top resources",
        "## Recommendations",
    ] {
        assert!(md.contains(title), "report.md has no `{title}`");
    }
    assert!(md.contains("| Service | Cost | Share |"));
}

/// FNV-1a over every file, name and bytes.
fn digest(files: &[ReportFile]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        for b in f.name.bytes().chain(f.contents.iter().copied()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[test]
fn the_same_input_gives_identical_files() {
    let input = full_input(fleet());
    let a = render_report(&input).unwrap();
    let b = render_report(&input).unwrap();
    assert_eq!(digest(&a), digest(&b));
    assert_eq!(a, b);
    // And what was written is what was rendered.
    for f in &a {
        let on_disk = std::fs::read(written().join(&f.name)).unwrap();
        assert!(
            on_disk == f.contents,
            "{} differs from the written file",
            f.name
        );
    }
}

#[test]
fn a_bill_alone_still_draws_every_chart_and_says_what_is_missing() {
    let f = fleet();
    let krw = Currency::new("KRW", dec!(1400)).unwrap();
    let input = ReportInput::new("Bill only", &f.bill, &krw);
    let files = render_report(&input).unwrap();
    assert_eq!(files.len(), CHARTS.len() * 2 + 2);
    let text = |name: &str| {
        String::from_utf8(
            files
                .iter()
                .find(|x| x.name == name)
                .unwrap_or_else(|| panic!("no {name}"))
                .contents
                .clone(),
        )
        .unwrap()
    };
    assert!(text("savings.svg").contains("No recommendations"));
    assert!(text("utilization.svg").contains("No metrics given"));
    assert!(text("daily-cost.svg").contains("₩"));
    assert!(text(INDEX_HTML).contains("No recommendations were given"));
    for stem in CHARTS {
        let p = files
            .iter()
            .find(|x| x.name == format!("{stem}.png"))
            .unwrap();
        let img = Pixmap::decode_png(&p.contents).unwrap();
        assert_eq!((img.width(), img.height()), (WIDTH, HEIGHT));
    }
}

#[test]
fn a_mid_month_bill_draws_the_forecast_band_and_budget() {
    let f = fleet();
    let mut mid = f.bill.clone();
    let (first, _) = mid.period().unwrap();
    mid.rows.retain(|r| r.day < first + chrono::Days::new(18));
    let input = ReportInput {
        budget: Some(dec!(12000)),
        ..ReportInput::new("Mid-month", &mid, usd())
    };
    let files = render_report(&input).unwrap();
    if let Some(keep) = std::env::var_os("CLOUDCOST_KEEP_REPORT") {
        write_report(&input, &Path::new(&keep).join("mid-month")).unwrap();
    }
    let svg = files.iter().find(|x| x.name == "forecast.svg").unwrap();
    let svg = String::from_utf8(svg.contents.clone()).unwrap();
    assert!(
        svg.contains("P10–P90 band") && svg.contains("<polygon"),
        "no band"
    );
    assert!(svg.contains("Budget $12,000.00"));
    assert!(svg.contains("forecast $") && svg.contains("(P10 $"));
    let png = files.iter().find(|x| x.name == "forecast.png").unwrap();
    let img = Pixmap::decode_png(&png.contents).unwrap();
    // The band's light blue fills the right part of the plot (about 1,700 pixels on this fleet;
    // none without a band).
    let band = img
        .pixels()
        .iter()
        .filter(|p| p.blue() > 200 && p.red() < 210 && p.red() > 120)
        .count();
    assert!(band > 1_200, "the band is not visible: {band} pixels");
}

#[test]
fn a_short_or_empty_bill_does_not_guess_or_panic() {
    let f = fleet();
    let mut short = f.bill.clone();
    let (first, _) = short.period().unwrap();
    short.rows.retain(|r| r.day < first + chrono::Days::new(5));
    let files = render_report(&ReportInput::new("Five days", &short, usd())).unwrap();
    let forecast = files.iter().find(|x| x.name == "forecast.svg").unwrap();
    let svg = String::from_utf8(forecast.contents.clone()).unwrap();
    assert!(svg.contains("Too little data for a forecast"), "{svg}");

    let mut empty = f.bill.clone();
    empty.rows.clear();
    let files = render_report(&ReportInput {
        budget: Some(Decimal::ZERO),
        recommendations: Some(&Report::default()),
        series: Some(&[]),
        ..ReportInput::new("Empty", &empty, usd())
    })
    .unwrap();
    assert_eq!(files.len(), CHARTS.len() * 2 + 2);
}

/// Runs `cmd`, killing it after `limit`.
fn run_with_limit(cmd: &mut Command, limit: Duration) -> Option<std::process::ExitStatus> {
    let mut child = cmd.spawn().ok()?;
    let start = Instant::now();
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn headless_chromium_renders_the_page_with_its_charts() {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.is_file());
    let Some(chromium) = chromium else {
        eprintln!(
            "note: chromium is not installed (Debian package `chromium`); screenshot test skipped"
        );
        return;
    };
    let index = written().join(INDEX_HTML);
    let tmp = tempfile::tempdir().unwrap();
    let shot = tmp.path().join("shot.png");
    let status = run_with_limit(
        Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
            ])
            .arg(format!(
                "--user-data-dir={}",
                tmp.path().join("profile").display()
            ))
            .arg(format!("--screenshot={}", shot.display()))
            .arg("--window-size=1280,2000")
            .arg(format!("file://{}", index.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
        Duration::from_secs(120),
    )
    .expect("chromium ran and finished within 120 s");
    assert!(status.success(), "chromium exited with {status}");
    let img = png(&shot);
    assert_eq!((img.width(), img.height()), (1280, 2000));
    let total = ink(&img, (0, 0), (1280, 2000));
    assert!(
        total > 1280 * 2000 / 20,
        "the screenshot is nearly blank: {total} non-white pixels"
    );
    // The first chart sits below the summary table: its bars are dark.
    let dark = img
        .pixels()
        .iter()
        .filter(|p| p.red() < 100 && p.alpha() > 0)
        .count();
    assert!(
        dark > 20_000,
        "no chart drawn in the screenshot: {dark} dark pixels"
    );
}
