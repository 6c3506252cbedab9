//! Running the bot in-process against the fake server: data, configs, start/stop, waiting.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use cloudcost_bot::{Config, TestClock};
use tokio::sync::watch;

use crate::fake::FakeTelegram;

/// Chats on `allowed_chats`.
pub const CHAT_A: i64 = 1001;
/// A second allowed chat.
pub const CHAT_B: i64 = 1002;
/// A chat that is not allowed.
pub const STRANGER: i64 = 666;
/// The admin user.
pub const ADMIN: u64 = 501;
/// A user who is not an admin.
pub const USER: u64 = 502;
/// The token the tests use.
pub const TOKEN: &str = "123456:TEST-secret-token";

/// A simulated fleet (40 resources × 20 days from 2026-10-01), written once per test run.
pub fn sim_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // Inside the target directory (not the system temp), one per test process.
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("cloudcost-bot-sim-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let cat = cloudcost::catalog::Catalog::embedded().unwrap();
        let opts = cloudcost::simulate::SimOptions {
            resources: 40,
            days: 20,
            seed: 7,
            region: "us-east-1".into(),
            start: chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
            shape: cloudcost::simulate::Shape::default(),
        };
        cloudcost::simulate::simulate(&cat, &opts, &dir, false).unwrap();
        dir
    })
}

/// 2026-10-21 08:00 in Seoul: the morning after the last simulated day, before the digest.
pub fn morning() -> DateTime<Utc> {
    chrono_tz::Asia::Seoul
        .with_ymd_and_hms(2026, 10, 21, 8, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

/// A usage CSV of `ips` public IPv4 addresses held all day, days 1..=`days` of October 2026:
/// $0.12 a day per address in us-east-1. `id_len` pads the resource ids.
pub fn ip_usage_csv(ips: usize, days: u32, id_len: usize) -> String {
    let mut s =
        String::from("usage_start,usage_end,region,service,usage_type,resource_id,quantity\n");
    for d in 1..=days {
        for i in 0..ips {
            let id = format!("eipalloc-{i:04}-{}", "x".repeat(id_len.saturating_sub(14)));
            s.push_str(&format!(
                "2026-10-{d:02}T00:00:00Z,2026-10-{d:02}T23:59:59Z,us-east-1,public_ipv4,ip-hours,{id},24\n"
            ));
        }
    }
    s
}

/// A budget of `amount` USD a month that alerts when the actual spend reaches it.
pub fn budget_toml(amount: u32) -> String {
    format!(
        "[[budget]]\nname = \"monthly-total\"\nperiod = \"monthly\"\namount = {amount}\n\
         thresholds = [ {{ percent = 100, on = \"actual\" }} ]\n"
    )
}

/// A test directory with a config.
pub struct Setup {
    /// Holds the files.
    #[allow(dead_code)]
    pub dir: tempfile::TempDir,
    /// The usage path given to the bot (a file or a directory).
    pub usage: PathBuf,
    /// The config.
    pub config: Config,
}

/// Writes budgets and a config whose usage is `usage` (copied sim data when `None`).
pub fn setup(usage: Option<&str>, budgets: &str, extra: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let usage_path = match usage {
        Some(csv) => {
            let d = dir.path().join("usage");
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("usage-1.csv"), csv).unwrap();
            d
        }
        None => {
            let p = dir.path().join("usage.parquet");
            std::fs::copy(sim_dir().join("usage.parquet"), &p).unwrap();
            std::fs::copy(
                sim_dir().join("metrics.parquet"),
                dir.path().join("metrics.parquet"),
            )
            .unwrap();
            p
        }
    };
    let metrics = if usage.is_none() {
        "metrics = \"metrics.parquet\"\n"
    } else {
        ""
    };
    setup_at(dir, usage_path, Some(budgets), &format!("{metrics}{extra}"))
}

/// A config in `dir` whose usage is the file or directory `usage`, with `budgets` (a budgets.toml
/// written beside it) or none.
pub fn setup_at(
    dir: tempfile::TempDir,
    usage: PathBuf,
    budgets: Option<&str>,
    extra: &str,
) -> Setup {
    let budgets_key = match budgets {
        Some(b) => {
            std::fs::write(dir.path().join("budgets.toml"), b).unwrap();
            "budgets = \"budgets.toml\"\n"
        }
        None => "",
    };
    let text = format!(
        r#"usage = "{}"
{budgets_key}allowed_chats = [{CHAT_A}, {CHAT_B}]
admins = [{ADMIN}]
database = "bot.sqlite"
timezone = "Asia/Seoul"
digest_time = "09:00"
{extra}
[tuning]
tick_ms = 25
poll_timeout_secs = 1
retry_base_ms = 50
retry_max_ms = 400
refusal_window_minutes = 60
refusals_per_minute = 5
messages_per_sec_chat = 200
messages_per_min_chat = 100000
messages_per_sec_overall = 1000
"#,
        usage.display()
    );
    let path = dir.path().join("bot.toml");
    std::fs::write(&path, text).unwrap();
    let config = Config::load(&path).unwrap();
    Setup { dir, usage, config }
}

/// A bot running in-process.
pub struct Running {
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Starts the bot against `server`.
pub fn start(server: &FakeTelegram, config: Config, clock: &TestClock) -> Running {
    let (stop, rx) = watch::channel(false);
    let url = url::Url::parse(&server.url).unwrap();
    let clock: Arc<dyn cloudcost_bot::Clock> = Arc::new(clock.clone());
    let handle = tokio::spawn(cloudcost_bot::run(
        config,
        TOKEN.to_string(),
        Some(url),
        clock,
        rx,
    ));
    Running { stop, handle }
}

impl Running {
    /// Stops the bot and waits for it.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("the bot did not stop")
            .expect("the bot task panicked")
            .expect("the bot failed");
    }
}

/// Waits until `cond` holds, panicking after `secs` seconds with `what`.
pub async fn wait_for(what: &str, secs: u64, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// True for a message the outbox posts (an alarm or the digest), not a reply.
pub fn is_post(text: &str) -> bool {
    text.contains("<b>Alarm</b>") || text.contains("<b>Daily digest</b>")
}

/// Sends a command from `user` in `chat` and waits for `n` new replies (texts or photos) to
/// that chat; returns their texts (photo captions). Alarms and digests posted meanwhile are
/// not replies and are skipped.
pub async fn ask(server: &FakeTelegram, chat: i64, user: u64, text: &str, n: usize) -> Vec<String> {
    let sent = |s: &FakeTelegram| {
        s.requests()
            .into_iter()
            .filter(|r| {
                r.chat_id == Some(chat)
                    && r.outcome == crate::fake::Outcome::Ok
                    && (r.method == "sendMessage" || r.method == "sendPhoto")
                    && !r.text.as_deref().is_some_and(is_post)
            })
            .collect::<Vec<_>>()
    };
    let before = sent(server).len();
    server.push_text(chat, user, text);
    wait_for(&format!("{n} repl(ies) to {text}"), 60, || {
        sent(server).len() >= before + n
    })
    .await;
    sent(server)
        .into_iter()
        .skip(before)
        .filter_map(|r| r.text)
        .collect()
}
