//! Unauthorized chats learn nothing; refusals are rate-limited; only admins change budgets.

use cloudcost_bot::TestClock;

use crate::fake::FakeTelegram;
use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unauthorized_chat_gets_one_polite_refusal_and_nothing_else() {
    let server = FakeTelegram::start().await;
    let s = setup(None, &budget_toml(20000), "");
    let clock = TestClock::new(morning());
    let bot = start(&server, s.config.clone(), &clock);
    let refusal = cloudcost_bot::format::escape(cloudcost_bot::auth::REFUSAL);

    let r = ask(&server, STRANGER, USER, "/bill", 1).await;
    assert_eq!(r, std::slice::from_ref(&refusal));
    for cmd in [
        "/top 50",
        "/report",
        "/subscribe",
        "/budget set 1",
        "/start",
        "hello",
    ] {
        server.push_text(STRANGER, ADMIN, cmd);
    }
    // An allowed chat's answer comes after the stranger's messages were handled.
    ask(&server, CHAT_A, USER, "/help", 1).await;
    let to_stranger: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.chat_id == Some(STRANGER))
        .collect();
    assert_eq!(to_stranger.len(), 1, "{to_stranger:?}");
    let text = to_stranger[0].text.clone().unwrap();
    assert!(!text.contains('$') && !text.contains("ec2") && !text.contains("i-"));
    assert!(!text.contains(&STRANGER.to_string()));

    // An hour later, one more refusal at most.
    clock.advance(chrono::Duration::minutes(61));
    let r = ask(&server, STRANGER, USER, "/bill", 1).await;
    assert_eq!(r, std::slice::from_ref(&refusal));

    // Many strangers at once: at most refusals_per_minute (5) refusals a minute.
    for chat in 2000..2012 {
        server.push_text(chat, USER, "/bill");
    }
    ask(&server, CHAT_A, USER, "/help", 1).await;
    let refused = server
        .requests()
        .into_iter()
        .filter(|r| r.chat_id.is_some_and(|c| (2000..2012).contains(&c)))
        .count();
    // The stranger's second refusal counts in the same minute.
    assert_eq!(refused, 4);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_change_budgets_with_validated_amounts_that_persist() {
    let server = FakeTelegram::start().await;
    let s = setup(Some(&ip_usage_csv(100, 5, 20)), &budget_toml(100), "");
    let clock = TestClock::new(morning());
    let bot = start(&server, s.config.clone(), &clock);
    let r = ask(&server, CHAT_A, USER, "/budget set 1500", 1).await;
    assert_eq!(r, ["Only admins can change budgets."]);
    for bad in ["-5", "1e999", "abc", "0", "NaN"] {
        let r = ask(&server, CHAT_A, ADMIN, &format!("/budget set {bad}"), 1).await;
        assert!(r[0].starts_with("Budget not changed: "), "{bad}: {r:?}");
        assert!(
            r[0].len() > "Budget not changed: ".len() + 5,
            "a reason: {r:?}"
        );
    }
    let r = ask(&server, CHAT_A, ADMIN, "/budget set nosuch 10", 1).await;
    assert!(r[0].contains("No budget named"), "{r:?}");
    let r = ask(&server, CHAT_A, ADMIN, "/budget set 1500", 1).await;
    assert_eq!(r, ["Budget <b>monthly-total</b> set to $1,500.00."]);
    let r = ask(&server, CHAT_A, USER, "/budget", 1).await;
    assert!(
        r[0].contains("$1,500.00") && r[0].contains("$60.00"),
        "{r:?}"
    );
    bot.stop().await;

    // The new amount outlives a restart (budgets.toml itself is left as written).
    let bot = start(&server, s.config.clone(), &clock);
    let r = ask(&server, CHAT_A, USER, "/budget", 1).await;
    assert!(r[0].contains("$1,500.00"), "{r:?}");
    let file = std::fs::read_to_string(s.config.budgets.as_ref().unwrap()).unwrap();
    assert!(file.contains("amount = 100"));
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_errors_never_carry_the_token() {
    use teloxide::prelude::*;
    // Nothing listens on the discard port of the loopback address: connection refused.
    let url = url::Url::parse("http://127.0.0.1:9").unwrap();
    let api =
        cloudcost_bot::telegram::connect(TOKEN, url, &cloudcost_bot::config::Tuning::default());
    let e = api.get_me().send().await.unwrap_err();
    let f = cloudcost_bot::telegram::classify(&e);
    assert!(
        matches!(f, cloudcost_bot::telegram::Failure::Transient(_)),
        "{f:?}"
    );
    let secret = TOKEN.split_once(':').unwrap().1;
    for text in [f.to_string(), format!("{e:?}"), e.to_string()] {
        assert!(!text.contains(secret), "{text}");
    }
}
