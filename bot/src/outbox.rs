//! The outbox: alerts and digests are written to SQLite before they are sent, and marked sent
//! only after Telegram's OK.
//!
//! # Delivery
//!
//! - **Once per chat.** A row is unique per (alert id, chat): the same alert evaluated again
//!   (new data, a restart) is not queued again, whether its row is pending or already sent.
//! - **Nothing lost.** A row stays `pending` until Telegram answers OK; the sender takes rows
//!   oldest first and, after a restart, starts with what is still pending.
//! - **Nothing repeated.** A row marked `sent` is never sent again.
//! - **Failures.** `429` waits `retry_after` and sends again; network errors (including a
//!   connection closed before the answer) and 5xx retry with exponential backoff, for as long
//!   as it takes (the row keeps its place, its `attempts` and `last_error` are recorded); `403`
//!   (the bot was blocked, kicked, the user deactivated) unsubscribes the chat and drops its
//!   pending rows; any other refusal drops that row with the reason and goes on with the next.
//!
//! Rows are sent strictly in order, one at a time: while a row is being retried (a 429's wait,
//! a network or 5xx outage) the rows behind it wait too. Telegram's 5xx and network failures
//! are not per chat, so this costs nothing in practice, and it keeps each chat's alerts in
//! the order they fired.
//!
//! **The one window left:** if the bot dies after Telegram accepted a message and before the
//! database records it as sent, the message is sent again after the restart (at-least-once).
//! The same holds when a connection breaks after Telegram processed the request but before its
//! answer arrived: the bot cannot tell that from a request that never arrived, and resends.
//! The window is one SQLite write (`synchronous=FULL`) wide.

use std::sync::Arc;

use tokio::sync::watch;

use crate::bot::Shared;
use crate::telegram::{self, Failure, Outgoing, RetryPolicy};

/// Sends pending outbox rows, oldest first, until shutdown.
pub async fn drain(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let policy = RetryPolicy {
        base: shared.cfg.tuning.retry_base,
        max: shared.cfg.tuning.retry_max,
        max_transient: None,
    };
    loop {
        if *shutdown.borrow() {
            return;
        }
        let row = match shared.store.next_pending() {
            Ok(r) => r,
            Err(e) => {
                crate::log::info(&format!("outbox: {e}"));
                if telegram::sleep_or_shutdown(shared.cfg.tuning.retry_base, &mut shutdown).await {
                    return;
                }
                continue;
            }
        };
        let Some(row) = row else {
            tokio::select! {
                _ = shared.outbox_wake.notified() => {}
                _ = tokio::time::sleep(shared.cfg.tuning.tick) => {}
                _ = shutdown.changed() => return,
            }
            continue;
        };
        let store = &shared.store;
        let r = telegram::send_with_retry(
            &shared.api,
            row.chat_id,
            &Outgoing::Text(row.text.clone()),
            &policy,
            &mut shutdown,
            |f| {
                if let Err(e) = store.record_failure(row.id, &f.to_string()) {
                    crate::log::info(&format!("outbox: {e}"));
                }
            },
        )
        .await;
        let done = match r {
            Ok(()) => store.mark_sent(row.id, shared.clock.now()),
            Err(Failure::Shutdown) => return,
            Err(Failure::Blocked(e)) => {
                crate::log::info(&format!(
                    "chat {} is unreachable ({e}): unsubscribed, its pending messages dropped",
                    row.chat_id
                ));
                store
                    .mark_dropped(row.id, &e)
                    .and_then(|()| store.unsubscribe(row.chat_id).map(|_| ()))
            }
            Err(f) => {
                crate::log::info(&format!("outbox row {} dropped: {f}", row.id));
                store.mark_dropped(row.id, &f.to_string())
            }
        };
        if let Err(e) = done {
            // The row stays pending and is tried again: at-least-once, never lost.
            crate::log::info(&format!("outbox: {e}"));
            if telegram::sleep_or_shutdown(shared.cfg.tuning.retry_base, &mut shutdown).await {
                return;
            }
        }
    }
}
