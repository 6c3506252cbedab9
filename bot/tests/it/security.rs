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
