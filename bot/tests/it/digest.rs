//! The digest fires at `digest_time` in `timezone`, read from the injectable clock.

use chrono::TimeZone;
use cloudcost_bot::TestClock;

use crate::fake::FakeTelegram;
use crate::harness::*;

fn digests(server: &FakeTelegram, chat: i64) -> Vec<String> {
    server
        .texts(chat)
        .into_iter()
        .filter(|t| t.contains("Daily digest"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_digest_fires_at_its_time_once_a_day_to_unmuted_subscribers() {
    let server = FakeTelegram::start().await;
    let s = setup(None, &budget_toml(20000), "");
    let clock = TestClock::new(morning());
    let bot = start(&server, s.config.clone(), &clock);
    ask(&server, CHAT_A, USER, "/subscribe", 1).await;
    ask(&server, CHAT_B, USER, "/subscribe", 1).await;
    // B is muted from 08:00 until 10:00.
    ask(&server, CHAT_B, USER, "/mute 2", 1).await;

    let seoul = |d: u32, h: u32, m: u32, s: u32| {
        chrono_tz::Asia::Seoul
            .with_ymd_and_hms(2026, 10, d, h, m, s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    clock.set(seoul(21, 8, 59, 59));
    // Many scheduler ticks (25 ms each) at 08:59:59: no digest.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert!(digests(&server, CHAT_A).is_empty());

    clock.set(seoul(21, 9, 0, 0));
    wait_for("the 09:00 digest", 30, || {
        digests(&server, CHAT_A).len() == 1
    })
    .await;
    let d = &digests(&server, CHAT_A)[0];
    assert!(d.contains("data through 2026-10-20"), "{d}");
    assert!(d.contains("Month to date"), "{d}");

    clock.set(seoul(21, 23, 0, 0));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(digests(&server, CHAT_A).len(), 1, "one digest a day");
    assert!(digests(&server, CHAT_B).is_empty(), "B was muted at 09:00");

    clock.set(seoul(22, 9, 0, 1));
    wait_for("the next day's digest", 30, || {
        digests(&server, CHAT_A).len() == 2 && digests(&server, CHAT_B).len() == 1
    })
    .await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starting_after_digest_time_waits_for_the_next_day() {
    let server = FakeTelegram::start().await;
    let s = setup(None, &budget_toml(20000), "");
    let start_at = chrono_tz::Asia::Seoul
        .with_ymd_and_hms(2026, 10, 21, 15, 0, 0)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let clock = TestClock::new(start_at);
    let bot = start(&server, s.config.clone(), &clock);
    ask(&server, CHAT_A, USER, "/subscribe", 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(digests(&server, CHAT_A).is_empty());
    clock.advance(chrono::Duration::hours(18));
    wait_for("the next morning's digest", 30, || {
        digests(&server, CHAT_A).len() == 1
    })
    .await;
    bot.stop().await;
}
