//! Talking to the Bot API: teloxide's [`Bot`] behind its [`Throttle`] adaptor (Telegram's rate
//! limits: about one message a second per chat, 30 a second overall), and the retry policy the
//! bot applies on top of it.
//!
//! Every failed request is sorted by [`classify`] into what to do next:
//! - `429 Too Many Requests` carries `retry_after`: wait exactly that long, then send again;
//! - network errors (refused, reset, a connection closed without an answer), 5xx answers and
//!   answers that are not the Bot API's JSON: retry with exponential backoff (`retry_base`
//!   doubling up to `retry_max`);
//! - `403 Forbidden` (the user blocked the bot, was deactivated, the bot was kicked): the chat is
//!   unreachable; the caller unsubscribes it instead of retrying forever;
//! - any other API error (a 400 such as a malformed message) will not get better by retrying.
//!
//! Throttle's own retry is switched off so that this policy is the only retry loop (and is
//! tested end to end). Throttle still freezes a chat for `retry_after` after a 429, so the
//! wait here and Throttle's freeze overlap rather than add up.
//! teloxide removes the request URL, which holds the token, from network errors; [`crate::log`]
//! redacts the token from anything logged as a second guard.

use std::time::Duration;

use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::{Limits, Settings};
use teloxide::prelude::*;
use teloxide::types::{BotCommand, InputFile, LinkPreviewOptions, ParseMode};
use teloxide::{ApiError, RequestError};
use tokio::sync::watch;

use crate::config::Tuning;

/// The Bot API client the bot uses.
pub type Api = Throttle<Bot>;

/// What to do about a failed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Telegram asked to wait this long (429).
    RetryAfter(Duration),
    /// A network error, a 5xx or an unreadable answer: retry with backoff.
    Transient(String),
    /// The chat cannot be reached (403): stop sending to it.
    Blocked(String),
    /// Telegram refused the request for good.
    Permanent(String),
    /// The bot is shutting down.
    Shutdown,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::RetryAfter(d) => write!(f, "rate limited: retry after {}s", d.as_secs()),
            Failure::Transient(e) => write!(f, "temporary failure: {e}"),
            Failure::Blocked(e) => write!(f, "chat unreachable: {e}"),
            Failure::Permanent(e) => write!(f, "refused: {e}"),
            Failure::Shutdown => f.write_str("shutting down"),
        }
    }
}

/// Sorts a teloxide error into what to do next.
pub fn classify(e: &RequestError) -> Failure {
    match e {
        RequestError::RetryAfter(s) => Failure::RetryAfter(s.duration()),
        RequestError::Network(_) | RequestError::InvalidJson { .. } | RequestError::Io(_) => {
            Failure::Transient(crate::log::redact(&error_chain(e)))
        }
        RequestError::MigrateToChatId(_) => Failure::Permanent(e.to_string()),
        RequestError::Api(api) => match api {
            ApiError::BotBlocked
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::UserDeactivated
            | ApiError::CantInitiateConversation
            | ApiError::ChatNotFound => Failure::Blocked(api.to_string()),
            ApiError::Unknown(text) => {
                let t = text.to_ascii_lowercase();
                if t.starts_with("forbidden") {
                    Failure::Blocked(text.clone())
                } else if t.starts_with("bad request") || t.starts_with("unauthorized") {
                    Failure::Permanent(text.clone())
                } else {
                    // "Internal Server Error", "Bad Gateway", "Service Unavailable", …
                    Failure::Transient(text.clone())
                }
            }
            other => Failure::Permanent(other.to_string()),
        },
    }
}

/// An error and its causes, e.g. `error sending request: … Connection refused`.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

/// Builds the throttled client for `api_url` and starts Throttle's worker on the current
/// runtime.
pub fn connect(token: &str, api_url: url::Url, tuning: &Tuning) -> Api {
    let bot = Bot::new(token).set_api_url(api_url);
    let limits = Limits {
        messages_per_sec_chat: tuning.messages_per_sec_chat,
        messages_per_min_chat: tuning.messages_per_min_chat,
        messages_per_min_channel_or_supergroup: tuning.messages_per_min_chat,
        messages_per_sec_overall: tuning.messages_per_sec_overall,
    };
    Throttle::spawn_with_settings(bot, Settings::default().limits(limits).no_retry())
}

/// A photo to send.
#[derive(Clone, Debug)]
pub struct Photo {
    /// File name, e.g. `daily-cost.png`.
    pub name: String,
    /// PNG bytes.
    pub png: Vec<u8>,
    /// HTML caption.
    pub caption: String,
}

/// One outgoing message.
#[derive(Clone, Debug)]
pub enum Outgoing {
    /// An HTML text of at most 4,096 characters.
    Text(String),
    /// A photo with a caption.
    Photo(Photo),
}

/// Sends one message once.
pub async fn send_once(api: &Api, chat: i64, msg: &Outgoing) -> Result<(), Failure> {
    let r = match msg {
        Outgoing::Text(text) => api
            .send_message(ChatId(chat), text.clone())
            .parse_mode(ParseMode::Html)
            .link_preview_options(LinkPreviewOptions {
                is_disabled: true,
                url: None,
                prefer_small_media: false,
                prefer_large_media: false,
                show_above_text: false,
            })
            .await
            .map(|_| ()),
        Outgoing::Photo(p) => api
            .send_photo(
                ChatId(chat),
                InputFile::memory(p.png.clone()).file_name(p.name.clone()),
            )
            .caption(p.caption.clone())
            .parse_mode(ParseMode::Html)
            .await
            .map(|_| ()),
    };
    r.map_err(|e| classify(&e))
}

/// How hard to try.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// First backoff after a transient failure.
    pub base: Duration,
    /// Longest backoff.
    pub max: Duration,
    /// Give up after this many transient failures (`None`: never give up).
    pub max_transient: Option<u32>,
}

/// Sends one message under the retry policy: waits `retry_after` on 429, backs off on transient
/// failures, and returns on success, on a blocked chat, on a permanent refusal, when the
/// transient budget is spent, or at shutdown. `on_failure` sees every failed attempt.
pub async fn send_with_retry(
    api: &Api,
    chat: i64,
    msg: &Outgoing,
    policy: &RetryPolicy,
    shutdown: &mut watch::Receiver<bool>,
    mut on_failure: impl FnMut(&Failure),
) -> Result<(), Failure> {
    let mut backoff = policy.base;
    let mut transient = 0u32;
    loop {
        if *shutdown.borrow() {
            return Err(Failure::Shutdown);
        }
        let failure = tokio::select! {
            r = send_once(api, chat, msg) => match r {
                Ok(()) => return Ok(()),
                Err(f) => f,
            },
            _ = shutdown.changed() => return Err(Failure::Shutdown),
        };
        on_failure(&failure);
        let wait = match &failure {
            Failure::RetryAfter(d) => *d,
            Failure::Transient(_) => {
                transient += 1;
                if policy.max_transient.is_some_and(|m| transient >= m) {
                    return Err(failure);
                }
                let w = backoff;
                backoff = (backoff * 2).min(policy.max);
                w
            }
            _ => return Err(failure),
        };
        crate::log::info(&format!("chat {chat}: {failure}; retrying in {wait:?}"));
        if sleep_or_shutdown(wait, shutdown).await {
            return Err(Failure::Shutdown);
        }
    }
}

/// Sleeps; true when shutdown was asked for meanwhile.
pub async fn sleep_or_shutdown(d: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => *shutdown.borrow(),
        _ = shutdown.changed() => true,
    }
}

/// The command menu shown by Telegram clients.
pub fn command_menu() -> Vec<BotCommand> {
    crate::commands::HELP
        .iter()
        .map(|(c, d)| BotCommand::new(*c, *d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use teloxide::types::Seconds;

    #[test]
    fn failures_are_sorted_by_what_to_do() {
        assert_eq!(
            classify(&RequestError::RetryAfter(Seconds::from_seconds(3))),
            Failure::RetryAfter(Duration::from_secs(3))
        );
        assert!(matches!(
            classify(&RequestError::Api(ApiError::BotBlocked)),
            Failure::Blocked(_)
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown(
                "Forbidden: bot is not a member of the channel chat".into()
            ))),
            Failure::Blocked(_)
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::Unknown(
                "Internal Server Error".into()
            ))),
            Failure::Transient(_)
        ));
        assert!(matches!(
            classify(&RequestError::Api(ApiError::MessageIsTooLong)),
            Failure::Permanent(_)
        ));
    }
}
