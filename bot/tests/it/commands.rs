//! Each command's reply, against simulated data.

use cloudcost_bot::TestClock;

use crate::fake::FakeTelegram;
use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_replies_in_html() {
    let server = FakeTelegram::start().await;
    let s = setup(None, &budget_toml(20000), "");
    let clock = TestClock::new(morning());
    let bot = start(&server, s.config.clone(), &clock);
    wait_for("setMyCommands", 30, || {
        !server.delivered("setMyCommands", None).is_empty()
    })
    .await;

    // The figures the replies must show, from the library directly.
    let cat = cloudcost::catalog::Catalog::embedded().unwrap();
    let (_, bill) = cloudcost::analysis::price_file(&cat, &s.usage, None).unwrap();
    let usd = cloudcost::money::Currency::usd();

    let r = ask(&server, CHAT_A, USER, "/start", 1).await;
    assert!(r[0].contains("cloudcost"), "{r:?}");
    let r = ask(&server, CHAT_A, USER, "/help", 1).await;
    for c in [
        "/bill",
        "/today",
        "/forecast",
        "/top",
        "/report",
        "/recommend",
        "/budget",
        "/alarms",
        "/subscribe",
        "/unsubscribe",
        "/mute",
    ] {
        assert!(r[0].contains(c), "{c} missing from {r:?}");
    }

    let r = ask(&server, CHAT_A, USER, "/bill", 1).await;
    assert!(r[0].contains("Bill 2026-10"), "{r:?}");
    assert!(
        r[0].contains(&format!("Total: <b>{}</b>", usd.format(bill.total()))),
        "{r:?}"
    );
    assert!(r[0].contains("<pre>Service"), "{r:?}");
    assert!(r[0].contains("vs 2026-09: no data"), "{r:?}");
    let r = ask(&server, CHAT_A, USER, "/bill@cloudcost_test_bot 2026-09", 1).await;
    assert!(r[0].contains("No cost in 2026-09"), "{r:?}");
    let r = ask(&server, CHAT_A, USER, "/bill 2026-13", 1).await;
    assert!(r[0].contains("is not a month"), "{r:?}");

    let r = ask(&server, CHAT_A, USER, "/today", 1).await;
    let (_, last) = bill.period().unwrap();
    let day_total = bill.by_day()[&last];
    assert!(r[0].contains(&last.to_string()), "{r:?}");
    assert!(r[0].contains(&usd.format(day_total)), "{r:?}");

    let r = ask(&server, CHAT_A, USER, "/forecast", 1).await;
    let f = cloudcost::forecast::forecast_costs(
        &bill.daily_costs(|_| true),
        cloudcost::forecast::month_end(last),
    );
    assert!(
        r[0].contains(&format!(
            "Month-end forecast: <b>{}</b>",
            usd.format(cloudcost::Money::usd(f.forecast))
        )),
        "{r:?}"
    );
    assert!(r[0].contains("P10–P90"), "{r:?}");

    let r = ask(&server, CHAT_A, USER, "/top 3", 1).await;
    let top = bill.by_resource();
    assert!(r[0].contains(&top[0].0), "{r:?}");
    assert!(r[0].contains(&usd.format(top[0].2)), "{r:?}");
    let pre = r[0].split("<pre>").nth(1).unwrap();
    assert_eq!(pre.lines().count(), 4, "header and 3 rows: {r:?}");
    let r = ask(&server, CHAT_A, USER, "/top abc", 1).await;
    assert!(r[0].contains("whole number"), "{r:?}");

    let r = ask(&server, CHAT_A, USER, "/recommend", 1).await;
    assert!(r[0].contains("Top savings"), "{r:?}");

    let r = ask(&server, CHAT_A, USER, "/subscribe", 1).await;
    assert!(r[0].starts_with("Subscribed"), "{r:?}");
    let r = ask(&server, CHAT_A, USER, "/subscribe", 1).await;
    assert!(r[0].contains("already"), "{r:?}");
    let r = ask(&server, CHAT_A, USER, "/mute 2", 1).await;
    assert!(r[0].contains("Muted until 2026-10-21 10:00 KST"), "{r:?}");
    let r = ask(&server, CHAT_A, USER, "/mute 0.5", 1).await;
    assert!(r[0].contains("usage: /mute"), "{r:?}");
    let r = ask(&server, CHAT_A, USER, "/mute off", 1).await;
    assert_eq!(r[0], "Unmuted.");
    let r = ask(&server, CHAT_A, USER, "/unsubscribe", 1).await;
    assert!(r[0].starts_with("Unsubscribed"), "{r:?}");
    let r = ask(&server, CHAT_A, USER, "/mute 2", 1).await;
    assert!(r[0].contains("not subscribed"), "{r:?}");

    // Plain text is not a command: no answer.
    server.push_text(CHAT_A, USER, "thanks!");
    let r = ask(&server, CHAT_A, USER, "/status", 1).await;
    assert!(r[0].contains("usage.parquet"), "{r:?}");
    assert!(!r.iter().any(|t| t.contains("thanks")));

    for m in server.delivered("sendMessage", Some(CHAT_A)) {
        assert_eq!(m.parse_mode.as_deref(), Some("HTML"));
        assert_eq!(m.token, TOKEN);
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_uploads_png_photos() {
    let server = FakeTelegram::start().await;
    let s = setup(None, &budget_toml(20000), "");
    let clock = TestClock::new(morning());
    let bot = start(&server, s.config.clone(), &clock);
    let captions = ask(&server, CHAT_B, USER, "/report", 2).await;
    assert_eq!(
        captions,
        [
            "Daily cost by service",
            "Month-end forecast with its P10–P90 band"
        ]
    );
    let photos = server.delivered("sendPhoto", Some(CHAT_B));
    assert_eq!(photos.len(), 2);
    for p in photos {
        let png = p.photo.expect("a photo upload");
        assert!(png.len() > 1000, "{} bytes", png.len());
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    }
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_replies_are_split_at_lines_in_the_configured_currency() {
    let server = FakeTelegram::start().await;
    let s = setup(
        Some(&ip_usage_csv(120, 1, 48)),
        &budget_toml(20000),
        "currency = \"KRW\"\nfx_rate = 1400\n",
    );
    let clock = TestClock::new(morning());
    let bot = start(&server, s.config.clone(), &clock);
    server.push_text(CHAT_A, USER, "/top 100");
    wait_for("a split reply", 60, || server.texts(CHAT_A).len() >= 2).await;
    // Let any further part arrive.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let parts = server.texts(CHAT_A);
    assert!(parts.len() >= 2, "{}", parts.len());
    let mut rows = 0;
    for p in &parts {
        assert!(p.chars().count() <= 4096, "{} chars", p.chars().count());
        assert_eq!(p.matches("<pre>").count(), 1, "{p}");
        assert!(p.ends_with("</pre>"), "{p}");
        rows += p.lines().filter(|l| l.contains("eipalloc-")).count();
        // 24 address-hours at $0.005 = $0.12 = ₩168.
        assert!(p.contains("₩168"), "{p}");
    }
    assert_eq!(rows, 100);
    bot.stop().await;
}

/// The replies on a real bill (the October 2018 lab CUR in `../shared/realdata/`): the whole bill
/// AWS billed (Glue and RDS taken as billed), with what was re-priced and what taken as billed
/// said beside it; the forecast and the digest on the same totals.
#[test]
fn replies_on_a_real_cur_show_the_whole_bill() {
    let path = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/realdata/Oct2018-WorkshopCUR-00001.snappy.parquet"
    ));
    let cat = cloudcost::catalog::Catalog::embedded().unwrap();
    let (_, bill) = cloudcost::analysis::price_file(&cat, path, None).unwrap();
    let usd = cloudcost::money::Currency::usd();
    let b = cloudcost_bot::commands::bill_text(&bill, None, &usd);
    assert!(b.contains("Total: <b>$4,153.19</b>"), "{b}");
    assert!(
        b.contains("re-priced $623.22 · usage as billed $3,467.91 · charges $62.06"),
        "{b}"
    );
    assert!(b.contains("AWSGlue"), "{b}");
    let f = cloudcost_bot::commands::forecast_text(&bill, None, &usd);
    assert!(f.contains("$4,153.19"), "{f}");
    let d = cloudcost_bot::commands::digest_text(&bill, &[], &usd);
    assert!(d.contains("2018-10-31"), "{d}");
    // The bot's default view of a billing file is its invoice (`cost` in bot.toml), with
    // cloudcost's re-pricing beside it.
    let (_, invoice) = cloudcost::analysis::price_file_in_view(&cat, path, None, None).unwrap();
    let b = cloudcost_bot::commands::bill_text(&invoice, None, &usd);
    assert!(b.contains("whole month, unblended cost"), "{b}");
    assert!(b.contains("Total: <b>$4,064.48</b>"), "{b}");
    assert!(b.contains("re-priced by cloudcost: $4,153.19"), "{b}");
    let amortized = cloudcost::analysis::price_file_in_view(
        &cat,
        path,
        None,
        Some(cloudcost::usage::costs::CostView::Amortized),
    )
    .unwrap()
    .1;
    let b = cloudcost_bot::commands::bill_text(&amortized, None, &usd);
    assert!(b.contains("Total: <b>$4,195.96</b>"), "{b}");
    let t = cloudcost_bot::commands::top_text(&invoice, 3, &usd);
    assert!(
        t.contains("arn:aws:glue") && t.contains("unblended cost"),
        "{t}"
    );
    let d = cloudcost_bot::commands::digest_text(&invoice, &[], &usd);
    assert!(d.contains("(unblended cost)"), "{d}");
}

/// On the October 2018 lab CUR shown as its invoice: a budget on the amortized cost is measured in
/// its own view (AWS's amortized total, $4,195.96, over a $4,100 budget) beside one on the invoice
/// ($4,064.48, under it); a budget on cloudcost's prices too. A bot without a budgets file still
/// answers `/bill` and says there are no budgets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_are_measured_in_their_own_views_and_are_optional() {
    let cur = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/realdata/Oct2018-WorkshopCUR-00001.snappy.parquet"
    ));
    let budgets = r#"
[[budget]]
name = "amortized"
period = "monthly"
amount = 4100
cost = "amortized"
thresholds = [ { percent = 100, on = "actual" } ]

[[budget]]
name = "invoice"
period = "monthly"
amount = 4100
thresholds = [ { percent = 100, on = "actual" } ]

[[budget]]
name = "repriced"
period = "monthly"
amount = 4100
cost = "repriced"
thresholds = [ { percent = 100, on = "actual" } ]
"#;
    let server = FakeTelegram::start().await;
    let s = setup_at(tempfile::tempdir().unwrap(), cur.clone(), Some(budgets), "");
    let clock = TestClock::new(morning());
    let bot = start(&server, s.config.clone(), &clock);
    let r = ask(&server, CHAT_A, USER, "/budget", 1).await;
    assert!(r[0].contains("$4,195.96"), "{r:?}");
    assert!(r[0].contains("$4,064.48"), "{r:?}");
    // cloudcost's re-pricing of the same month (tests/it/commands.rs: replies_on_a_real_cur…).
    assert!(r[0].contains("$4,153.19"), "{r:?}");
    bot.stop().await;

    let server = FakeTelegram::start().await;
    let s = setup_at(tempfile::tempdir().unwrap(), cur, None, "");
    assert!(s.config.budgets.is_none());
    let bot = start(&server, s.config.clone(), &clock);
    let r = ask(&server, CHAT_A, USER, "/budget", 1).await;
    assert!(r[0].contains("No budgets"), "{r:?}");
    let r = ask(&server, CHAT_A, USER, "/bill", 1).await;
    assert!(r[0].contains("$4,064.48"), "{r:?}");
    bot.stop().await;
}
