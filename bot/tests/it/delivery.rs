//! Alarms: a budget crossing reaches each subscribed chat exactly once, through 429, 500 and
//! dropped connections, across a restart; a chat that blocked the bot is unsubscribed.

use std::time::{Duration, SystemTime};

use cloudcost_bot::TestClock;

use crate::fake::{FakeTelegram, Fault, Outcome};
use crate::harness::*;

/// Alarm messages delivered to `chat`.
fn alarms(server: &FakeTelegram, chat: i64) -> Vec<String> {
    server
        .texts(chat)
        .into_iter()
        .filter(|t| t.contains("<b>Alarm</b>"))
        .collect()
}

/// New data arrives: a newer usage file in the watched directory, 10 days of 100 addresses
/// ($120 against the $100 budget).
fn cross_the_budget(s: &Setup) {
    let path = s.usage.join("usage-2.csv");
    std::fs::write(&path, ip_usage_csv(100, 10, 20)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(SystemTime::now() + Duration::from_secs(10))
        .unwrap();
}

/// 5 days of 100 addresses: $60, under the $100 budget.
fn under_budget() -> Setup {
    setup(Some(&ip_usage_csv(100, 5, 20)), &budget_toml(100), "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_reaches_each_subscribed_chat_once_through_429_500_and_dropped_connections() {
    let server = FakeTelegram::start().await;
    let s = under_budget();
    let clock = TestClock::new(morning());
    let bot = start(&server, s.config.clone(), &clock);
    ask(&server, CHAT_A, USER, "/subscribe", 1).await;
    ask(&server, CHAT_B, USER, "/subscribe", 1).await;
    let r = ask(&server, CHAT_A, USER, "/budget", 1).await;
    assert!(r[0].contains("$60.00") && r[0].contains("$100.00"), "{r:?}");

    server.fail_next(Some(CHAT_A), Fault::TooMany(1));
    server.fail_next(Some(CHAT_A), Fault::Drop);
    server.fail_next(Some(CHAT_B), Fault::ServerError);
    server.fail_next(Some(CHAT_B), Fault::Drop);
    cross_the_budget(&s);

    wait_for("the alarm in both chats", 60, || {
        alarms(&server, CHAT_A).len() == 1 && alarms(&server, CHAT_B).len() == 1
    })
    .await;
    assert_eq!(server.faults_left(), 0, "every scripted failure was hit");
    // Several scheduler ticks later, still exactly once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for chat in [CHAT_A, CHAT_B] {
        let a = alarms(&server, chat);
        assert_eq!(a.len(), 1, "{a:?}");
        assert!(a[0].contains("monthly-total"), "{a:?}");
        assert!(a[0].contains("$120.00"), "{a:?}");
    }
    // The 429 said retry after 1 s: the next attempt to A waited at least that long.
    let to_a: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.chat_id == Some(CHAT_A) && r.method == "sendMessage")
        .collect();
    let i = to_a
        .iter()
        .position(|r| r.outcome == Outcome::Fault(Fault::TooMany(1)))
        .unwrap();
    assert!(to_a[i + 1].at - to_a[i].at >= Duration::from_secs(1));
    assert_eq!(to_a[i + 1].outcome, Outcome::Fault(Fault::Drop));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_alarm_survives_a_restart_and_is_never_sent_twice() {
    let server = FakeTelegram::start().await;
    let s = under_budget();
    let clock = TestClock::new(morning());
    let bot = start(&server, s.config.clone(), &clock);
    ask(&server, CHAT_A, USER, "/subscribe", 1).await;
    // The connection drops on every try while the first bot runs.
    for _ in 0..10_000 {
        server.fail_next(Some(CHAT_A), Fault::Drop);
    }
    cross_the_budget(&s);
    let dropped = |server: &FakeTelegram| {
        server
            .requests()
            .into_iter()
            .filter(|r| r.chat_id == Some(CHAT_A) && r.outcome == Outcome::Fault(Fault::Drop))
            .count()
    };
    wait_for("a few failed tries", 60, || dropped(&server) >= 3).await;
    bot.stop().await;
    assert!(alarms(&server, CHAT_A).is_empty());

    // The network is back; a new bot on the same database drains the outbox.
    server.clear_faults();
    let bot = start(&server, s.config.clone(), &clock);
    wait_for("the alarm after the restart", 60, || {
        alarms(&server, CHAT_A).len() == 1
    })
    .await;
    let r = ask(&server, CHAT_A, USER, "/alarms", 1).await;
    assert!(r[0].contains("monthly-total"), "{r:?}");
    bot.stop().await;

    // Once more: the alert is evaluated again on start, and is not sent again.
    let bot = start(&server, s.config.clone(), &clock);
    ask(&server, CHAT_A, USER, "/help", 1).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(alarms(&server, CHAT_A).len(), 1);
    let store = cloudcost_bot::store::Store::open(&s.config.database).unwrap();
    let rows = store.outbox().unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].state, cloudcost_bot::store::OutboxState::Sent);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_that_blocked_the_bot_is_unsubscribed_not_retried() {
    let server = FakeTelegram::start().await;
    let s = under_budget();
    let clock = TestClock::new(morning());
    let bot = start(&server, s.config.clone(), &clock);
    ask(&server, CHAT_A, USER, "/subscribe", 1).await;
    ask(&server, CHAT_B, USER, "/subscribe", 1).await;
    server.block(CHAT_B);
    cross_the_budget(&s);
    wait_for("the alarm in A", 60, || alarms(&server, CHAT_A).len() == 1).await;
    let blocked = |server: &FakeTelegram| {
        server
            .requests()
            .into_iter()
            .filter(|r| r.chat_id == Some(CHAT_B) && r.outcome == Outcome::Blocked)
            .count()
    };
    wait_for("the 403 from B", 30, || blocked(&server) == 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(blocked(&server), 1, "a blocked chat is not retried");
    let store = cloudcost_bot::store::Store::open(&s.config.database).unwrap();
    let subs: Vec<i64> = store
        .subscriptions()
        .unwrap()
        .iter()
        .map(|s| s.chat_id)
        .collect();
    assert_eq!(subs, [CHAT_A]);
    bot.stop().await;
}
