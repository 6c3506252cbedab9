//! The bot's SQLite state: subscriptions and mutes, the outbox of alerts and digests, the
//! `getUpdates` offset, the last digest day, and budget overrides set with `/budget set`.
//!
//! Tables are prefixed `bot_`; the alarm history of `cloudcost::alarms` (tables `alarm_`) may
//! live in the same file. One [`Store`] wraps one connection behind a mutex: every call is a
//! short statement, so it is called directly from async code.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;

/// What a database operation can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite said no.
    #[error("database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// What SQLite said.
        source: rusqlite::Error,
    },
}

/// Where an outbox message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutboxState {
    /// Waiting to be sent (or being retried).
    Pending,
    /// Telegram answered OK.
    Sent,
    /// Not sent and never will be: the chat blocked the bot, or Telegram refused the message.
    Dropped,
}

impl OutboxState {
    fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sent => "sent",
            OutboxState::Dropped => "dropped",
        }
    }

    fn parse(s: &str) -> OutboxState {
        match s {
            "sent" => OutboxState::Sent,
            "dropped" => OutboxState::Dropped,
            _ => OutboxState::Pending,
        }
    }
}

/// One message of the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRow {
    /// Row id: the sending order.
    pub id: i64,
    /// What it delivers: an alert id, or `digest:<date>`.
    pub key: String,
    /// The chat.
    pub chat_id: i64,
    /// The HTML text.
    pub text: String,
    /// Where it is.
    pub state: OutboxState,
    /// Attempts so far.
    pub attempts: u32,
}

/// A subscribed chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    /// The chat.
    pub chat_id: i64,
    /// Alarms and digests are held back until then.
    pub muted_until: Option<DateTime<Utc>>,
}

/// The bot's database.
pub struct Store {
    conn: Mutex<Connection>,
    path: String,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bot_subscriptions (
    chat_id INTEGER PRIMARY KEY,
    subscribed_at TEXT NOT NULL,
    muted_until TEXT
);
CREATE TABLE IF NOT EXISTS bot_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    chat_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (key, chat_id)
);
CREATE TABLE IF NOT EXISTS bot_kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS bot_budget_overrides (
    name TEXT PRIMARY KEY,
    amount TEXT NOT NULL,
    set_by INTEGER NOT NULL,
    set_at TEXT NOT NULL
);
";

impl Store {
    /// Opens (and creates if needed) the database file.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let p = path.display().to_string();
        let err = |source| StoreError::Sqlite {
            path: p.clone(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(err)?;
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
            .map_err(err)?;
        conn.execute_batch(SCHEMA).map_err(err)?;
        Ok(Store {
            conn: Mutex::new(conn),
            path: p,
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a statement half-done in SQLite, so the
        // connection is still usable.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Subscribes a chat (idempotent); returns false when it already was.
    pub fn subscribe(&self, chat: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "INSERT OR IGNORE INTO bot_subscriptions (chat_id, subscribed_at) VALUES (?1, ?2)",
                params![chat, now.to_rfc3339()],
            )
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// Unsubscribes a chat and drops what is still pending for it; returns false when it was
    /// not subscribed.
    pub fn unsubscribe(&self, chat: i64) -> Result<bool, StoreError> {
        let c = self.conn();
        let n = c
            .execute(
                "DELETE FROM bot_subscriptions WHERE chat_id = ?1",
                params![chat],
            )
            .map_err(|e| self.err(e))?;
        c.execute(
            "UPDATE bot_outbox SET state = 'dropped', last_error = 'unsubscribed'
             WHERE chat_id = ?1 AND state = 'pending'",
            params![chat],
        )
        .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// Holds back alarms and digests for a subscribed chat until `until` (`None` unmutes).
    /// Returns false when the chat is not subscribed.
    pub fn mute(&self, chat: i64, until: Option<DateTime<Utc>>) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "UPDATE bot_subscriptions SET muted_until = ?2 WHERE chat_id = ?1",
                params![chat, until.map(|u| u.to_rfc3339())],
            )
            .map_err(|e| self.err(e))?;
        Ok(n > 0)
    }

    /// Every subscribed chat.
    pub fn subscriptions(&self) -> Result<Vec<Subscription>, StoreError> {
        let c = self.conn();
        let mut st = c
            .prepare("SELECT chat_id, muted_until FROM bot_subscriptions ORDER BY chat_id")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| {
                let muted: Option<String> = r.get(1)?;
                Ok(Subscription {
                    chat_id: r.get(0)?,
                    muted_until: muted
                        .and_then(|m| DateTime::parse_from_rfc3339(&m).ok())
                        .map(|m| m.with_timezone(&Utc)),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// The subscribed chats that are not muted at `now`.
    pub fn audience(&self, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
        Ok(self
            .subscriptions()?
            .into_iter()
            .filter(|s| s.muted_until.is_none_or(|u| u <= now))
            .map(|s| s.chat_id)
            .collect())
    }

    /// Puts a message in the outbox for each chat, once per (key, chat): a key already queued
    /// (or sent) for a chat is not queued again. Returns how many rows were added.
    pub fn enqueue(
        &self,
        key: &str,
        chats: &[i64],
        text: &str,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut c = self.conn();
        let tx = c.transaction().map_err(|e| self.err(e))?;
        let mut added = 0;
        for chat in chats {
            added += tx
                .execute(
                    "INSERT OR IGNORE INTO bot_outbox (key, chat_id, text, created_at)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![key, chat, text, now.to_rfc3339()],
                )
                .map_err(|e| self.err(e))?;
        }
        tx.commit().map_err(|e| self.err(e))?;
        Ok(added)
    }

    /// The oldest pending message.
    pub fn next_pending(&self) -> Result<Option<OutboxRow>, StoreError> {
        self.conn()
            .query_row(
                "SELECT id, key, chat_id, text, state, attempts FROM bot_outbox
                 WHERE state = 'pending' ORDER BY id LIMIT 1",
                [],
                row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Every outbox row, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxRow>, StoreError> {
        let c = self.conn();
        let mut st = c
            .prepare("SELECT id, key, chat_id, text, state, attempts FROM bot_outbox ORDER BY id")
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([], row).map_err(|e| self.err(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.err(e))
    }

    /// Counts an attempt that failed, with its reason.
    pub fn record_failure(&self, id: i64, error: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE bot_outbox SET attempts = attempts + 1, last_error = ?2 WHERE id = ?1",
                params![id, error],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Marks a message sent (after Telegram's OK).
    pub fn mark_sent(&self, id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.set_state(id, OutboxState::Sent, Some(now), None)
    }

    /// Marks a message as never to be sent, with the reason.
    pub fn mark_dropped(&self, id: i64, reason: &str) -> Result<(), StoreError> {
        self.set_state(id, OutboxState::Dropped, None, Some(reason))
    }

    fn set_state(
        &self,
        id: i64,
        state: OutboxState,
        sent_at: Option<DateTime<Utc>>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE bot_outbox SET state = ?2, attempts = attempts + 1,
                   sent_at = COALESCE(?3, sent_at), last_error = COALESCE(?4, last_error)
                 WHERE id = ?1",
                params![id, state.as_str(), sent_at.map(|s| s.to_rfc3339()), error],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// A stored value.
    pub fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row(
                "SELECT value FROM bot_kv WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Stores a value.
    pub fn set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO bot_kv (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Records a budget amount set with `/budget set` (applied over budgets.toml at load).
    pub fn set_budget_override(
        &self,
        name: &str,
        amount: Decimal,
        by: u64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO bot_budget_overrides (name, amount, set_by, set_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO UPDATE SET amount = excluded.amount,
                   set_by = excluded.set_by, set_at = excluded.set_at",
                params![name, amount.to_string(), by as i64, now.to_rfc3339()],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Every budget override: (budget name, amount).
    pub fn budget_overrides(&self) -> Result<Vec<(String, Decimal)>, StoreError> {
        let c = self.conn();
        let mut st = c
            .prepare("SELECT name, amount FROM bot_budget_overrides ORDER BY name")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for r in rows {
            let (name, amount) = r.map_err(|e| self.err(e))?;
            if let Ok(a) = amount.parse::<Decimal>() {
                out.push((name, a));
            }
        }
        Ok(out)
    }
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: r.get(0)?,
        key: r.get(1)?,
        chat_id: r.get(2)?,
        text: r.get(3)?,
        state: OutboxState::parse(&r.get::<_, String>(4)?),
        attempts: r.get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_enqueues_once_per_chat_and_keeps_state_across_reopen() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("bot.sqlite");
        let now = Utc::now();
        {
            let s = Store::open(&path).unwrap();
            assert_eq!(s.enqueue("a1", &[1, 2], "hi", now).unwrap(), 2);
            assert_eq!(s.enqueue("a1", &[1, 2, 3], "hi", now).unwrap(), 1);
            let first = s.next_pending().unwrap().unwrap();
            assert_eq!((first.key.as_str(), first.chat_id), ("a1", 1));
            s.mark_sent(first.id, now).unwrap();
        }
        let s = Store::open(&path).unwrap();
        let next = s.next_pending().unwrap().unwrap();
        assert_eq!(next.chat_id, 2);
        // Sent rows are never queued again.
        assert_eq!(s.enqueue("a1", &[1], "hi", now).unwrap(), 0);
        let states: Vec<_> = s.outbox().unwrap().iter().map(|r| r.state).collect();
        assert_eq!(
            states,
            [
                OutboxState::Sent,
                OutboxState::Pending,
                OutboxState::Pending
            ]
        );
    }

    #[test]
    fn subscriptions_and_mutes() {
        let s = Store::open(&tempfile::tempdir().unwrap().path().join("b.sqlite")).unwrap();
        let now = Utc::now();
        assert!(s.subscribe(5, now).unwrap());
        assert!(!s.subscribe(5, now).unwrap());
        assert!(s.subscribe(6, now).unwrap());
        assert!(s.mute(5, Some(now + chrono::Duration::hours(2))).unwrap());
        assert_eq!(s.audience(now).unwrap(), vec![6]);
        assert_eq!(
            s.audience(now + chrono::Duration::hours(3)).unwrap(),
            vec![5, 6]
        );
        s.enqueue("k", &[6], "x", now).unwrap();
        assert!(s.unsubscribe(6).unwrap());
        assert!(s.next_pending().unwrap().is_none());
        assert!(!s.mute(6, None).unwrap());
    }
}
