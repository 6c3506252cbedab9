//! What has fired, in SQLite: a second evaluation of the same data returns no alert twice.
//!
//! Tables (all prefixed `alarm_`, so the file may be shared with the bot's own tables):
//! - `alarm_fired`: every alert returned as new, by id, with its JSON and when it fired.
//! - `alarm_forecast`: each forecast threshold's episode number and whether the forecast was
//!   last seen above it. A threshold re-arms when an evaluation shows the forecast below it; the
//!   next crossing is a new episode, with the id `<first id>#<episode>`.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use super::{Alert, AlertKind, Evaluation};
use crate::error::Error;

/// The alarm state: a SQLite database.
pub struct AlarmState {
    conn: Connection,
    path: PathBuf,
}

fn db_error(path: &Path, e: rusqlite::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!("alarm state database: {e}")),
    }
}

impl AlarmState {
    /// Opens (creating if needed) the state database at `path`.
    pub fn open(path: &Path) -> Result<AlarmState, Error> {
        let conn = Connection::open(path).map_err(|e| db_error(path, e))?;
        AlarmState::init(conn, path.to_path_buf())
    }

    /// A state that lives in memory (tests, one-off runs).
    pub fn in_memory() -> Result<AlarmState, Error> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| db_error(&path, e))?;
        AlarmState::init(conn, path)
    }

    fn init(conn: Connection, path: PathBuf) -> Result<AlarmState, Error> {
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| db_error(&path, e))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS alarm_fired (
                 id TEXT PRIMARY KEY,
                 kind TEXT NOT NULL,
                 period TEXT NOT NULL,
                 fired_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
                 seq INTEGER NOT NULL,
                 alert TEXT NOT NULL
             );
             CREATE TABLE IF NOT EXISTS alarm_forecast (
                 base_id TEXT PRIMARY KEY,
                 episode INTEGER NOT NULL,
                 above INTEGER NOT NULL
             );",
        )
        .map_err(|e| db_error(&path, e))?;
        Ok(AlarmState { conn, path })
    }

    /// Records an evaluation and returns the alerts that had not fired before, in the
    /// evaluation's order. Forecast alerts get their episode's id. All or nothing: on an error
    /// nothing is recorded.
    pub fn record(&mut self, eval: &Evaluation) -> Result<Vec<Alert>, Error> {
        let path = self.path.clone();
        let err = |e| db_error(&path, e);
        let tx = self.conn.transaction().map_err(err)?;
        let mut seq: i64 = tx
            .query_row("SELECT COALESCE(MAX(seq), 0) FROM alarm_fired", [], |r| {
                r.get(0)
            })
            .map_err(err)?;
        // Forecast thresholds: which are newly above (and their episode), which re-arm.
        let mut episode_of = std::collections::HashMap::new();
        for check in &eval.forecast_checks {
            let row: Option<(i64, bool)> = tx
                .query_row(
                    "SELECT episode, above FROM alarm_forecast WHERE base_id = ?1",
                    params![check.base_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(err)?;
            match (row, check.above) {
                (None, true) => {
                    tx.execute(
                        "INSERT INTO alarm_forecast (base_id, episode, above) VALUES (?1, 1, 1)",
                        params![check.base_id],
                    )
                    .map_err(err)?;
                    episode_of.insert(check.base_id.clone(), 1);
                }
                (Some((episode, false)), true) => {
                    tx.execute(
                        "UPDATE alarm_forecast SET episode = ?2, above = 1 WHERE base_id = ?1",
                        params![check.base_id, episode + 1],
                    )
                    .map_err(err)?;
                    episode_of.insert(check.base_id.clone(), episode + 1);
                }
                (Some((_, true)), false) => {
                    tx.execute(
                        "UPDATE alarm_forecast SET above = 0 WHERE base_id = ?1",
                        params![check.base_id],
                    )
                    .map_err(err)?;
                }
                _ => {}
            }
        }
        let mut fresh = Vec::new();
        for alert in &eval.alerts {
            let mut alert = alert.clone();
            if alert.kind == AlertKind::BudgetForecast {
                match episode_of.get(&alert.id) {
                    Some(1) => {}
                    Some(n) => alert.id = format!("{}#{n}", alert.id),
                    None => continue, // still above since its last episode fired
                }
            }
            let json = serde_json::to_string(&alert).map_err(|e| Error::Io {
                path: path.clone(),
                source: std::io::Error::other(e),
            })?;
            seq += 1;
            let inserted = tx
                .execute(
                    "INSERT OR IGNORE INTO alarm_fired (id, kind, period, seq, alert) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![alert.id, alert.kind.as_str(), alert.period, seq, json],
                )
                .map_err(err)?;
            if inserted == 1 {
                fresh.push(alert);
            }
        }
        tx.commit().map_err(err)?;
        Ok(fresh)
    }

    /// The alerts that fired, newest first, at most `limit`.
    pub fn recent(&self, limit: usize) -> Result<Vec<Alert>, Error> {
        let err = |e| db_error(&self.path, e);
        let mut stmt = self
            .conn
            .prepare("SELECT alert FROM alarm_fired ORDER BY seq DESC LIMIT ?1")
            .map_err(err)?;
        let rows = stmt
            .query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                r.get::<_, String>(0)
            })
            .map_err(err)?;
        let mut out = Vec::new();
        for json in rows {
            let json = json.map_err(err)?;
            let alert: Alert = serde_json::from_str(&json).map_err(|e| Error::Io {
                path: self.path.clone(),
                source: std::io::Error::other(format!(
                    "alarm state database: a stored alert is unreadable: {e}"
                )),
            })?;
            out.push(alert);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarms::{ForecastCheck, Severity};
    use rust_decimal::Decimal;

    fn alert(kind: AlertKind, id: &str) -> Alert {
        Alert {
            kind,
            id: id.into(),
            severity: Severity::Warning,
            period: "2026-10".into(),
            amount: Decimal::new(123456, 2),
            threshold: Some(Decimal::from(1200)),
            message: "m".into(),
            details: serde_json::json!({}),
        }
    }

    fn eval(forecast_above: Option<bool>, actual: bool) -> Evaluation {
        let mut e = Evaluation::default();
        if actual {
            e.alerts.push(alert(
                AlertKind::BudgetActual,
                "budget-actual:m:2026-10:100%",
            ));
        }
        if let Some(above) = forecast_above {
            let id = "budget-forecast:m:2026-10:80%";
            e.forecast_checks.push(ForecastCheck {
                base_id: id.into(),
                above,
            });
            if above {
                e.alerts.push(alert(AlertKind::BudgetForecast, id));
            }
        }
        e
    }

    fn ids(alerts: &[Alert]) -> Vec<&str> {
        alerts.iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn actual_fires_once_and_forecast_refires_after_falling_back() {
        let mut s = AlarmState::in_memory().unwrap();
        assert_eq!(
            ids(&s.record(&eval(Some(true), false)).unwrap()),
            ["budget-forecast:m:2026-10:80%"]
        );
        assert!(s.record(&eval(Some(true), false)).unwrap().is_empty());
        assert_eq!(
            ids(&s.record(&eval(Some(true), true)).unwrap()),
            ["budget-actual:m:2026-10:100%"]
        );
        assert!(s.record(&eval(Some(true), true)).unwrap().is_empty());
        // Falls back below: nothing fires, the threshold re-arms; crossing again fires episode 2.
        assert!(s.record(&eval(Some(false), true)).unwrap().is_empty());
        assert_eq!(
            ids(&s.record(&eval(Some(true), true)).unwrap()),
            ["budget-forecast:m:2026-10:80%#2"]
        );
        assert!(s.record(&eval(Some(true), true)).unwrap().is_empty());
        let recent = s.recent(10).unwrap();
        assert_eq!(
            ids(&recent),
            [
                "budget-forecast:m:2026-10:80%#2",
                "budget-actual:m:2026-10:100%",
                "budget-forecast:m:2026-10:80%"
            ]
        );
        assert_eq!(recent[1].amount, Decimal::new(123456, 2));
    }

    #[test]
    fn state_persists_in_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("alarms.db");
        {
            let mut s = AlarmState::open(&db).unwrap();
            assert_eq!(s.record(&eval(None, true)).unwrap().len(), 1);
        }
        let mut s = AlarmState::open(&db).unwrap();
        assert!(s.record(&eval(None, true)).unwrap().is_empty());
        assert_eq!(s.recent(5).unwrap().len(), 1);
    }
}
