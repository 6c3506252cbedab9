//! cloudcost-bot: the bill, forecasts, chart reports and alarms of `cloudcost` in Telegram.
//!
//! A thin shell over the `cloudcost` library: pricing, forecasts, reports, recommendations and
//! alarms are the library's; the bot parses commands, presents the results as HTML messages
//! and photos, and delivers alarms reliably.
//!
//! # Layout
//!
//! - [`config`]: `bot.toml`, checked key by key.
//! - [`bot`]: the running bot: long polling, the scheduler (digest, watching the usage
//!   source), and the tasks' shared state; [`run`] starts it.
//! - [`commands`]: parsing the commands and the text of every reply; [`format`]: HTML
//!   escaping, monospace tables, splitting long replies.
//! - [`outbox`]: at-least-once, once-per-chat delivery of alerts and digests through SQLite;
//!   [`store`]: the database.
//! - [`telegram`]: teloxide's throttled client and the retry policy (429, 5xx, network, 403).
//! - [`data`]: the usage source (a file or the newest file of a directory) and its cached bill
//!   and recommendations.
//! - [`monitor`]: what the bot needs from the alarm engine; [`alarms`]: that, over
//!   `cloudcost::alarms`.
//! - [`auth`]: the allowlist and the rate-limited refusal; [`clock`]: injectable time;
//!   [`log`]: log lines with the token redacted.

pub mod alarms;
pub mod auth;
pub mod bot;
pub mod clock;
pub mod commands;
pub mod config;
pub mod data;
pub mod format;
pub mod log;
pub mod monitor;
pub mod outbox;
pub mod store;
pub mod telegram;

use std::sync::Arc;

use tokio::sync::watch;

pub use clock::{Clock, SystemClock, TestClock};
pub use config::Config;

/// Telegram's Bot API.
pub const DEFAULT_API_URL: &str = "https://api.telegram.org";

/// Runs the bot until `shutdown` turns true: connects to the Bot API at `api_url` (default
/// [`DEFAULT_API_URL`]) with `token`, answers commands, watches the usage source and posts the
/// digest at `digest_time` as `clock` tells it.
///
/// The token is used only in requests: it is never logged, never part of an error, never
/// stored.
pub async fn run(
    config: Config,
    token: String,
    api_url: Option<url::Url>,
    clock: Arc<dyn Clock>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    log::protect(&token);
    check_token(&token)?;
    let url = match api_url.or_else(|| config.api_url.clone()) {
        Some(u) => u,
        None => config::parse_api_url(DEFAULT_API_URL).map_err(anyhow::Error::msg)?,
    };
    let engine = alarms::LibraryAlarms::open(&config)?;
    bot::start(config, &token, url, clock, Box::new(engine), shutdown).await
}

/// A bot token looks like `123456:ABC-DEF…`; the error never shows it.
fn check_token(token: &str) -> anyhow::Result<()> {
    let ok = token.split_once(':').is_some_and(|(id, secret)| {
        !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && !secret.is_empty()
    });
    if ok {
        Ok(())
    } else {
        anyhow::bail!(
            "TELOXIDE_TOKEN is not a bot token (expected the form 123456:ABC-DEF… that @BotFather gives)"
        )
    }
}
