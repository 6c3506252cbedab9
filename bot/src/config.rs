//! `bot.toml`: what the bot reads, whom it answers, where it keeps its state.
//!
//! The file is parsed in two steps: serde reads the raw keys (unknown keys are refused), then
//! [`Config::from_raw`] checks every value and turns it into its typed form. Any problem is a
//! [`ConfigError`] that names the file and the key, so the bot never starts half-configured.
//! Relative paths are taken relative to the directory of the config file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveTime;
use chrono_tz::Tz;
use cloudcost::money::Currency;
use rust_decimal::Decimal;
use serde::Deserialize;

/// Why a config could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or has a key of the wrong type or an unknown key.
    #[error("{file}: {message}")]
    Syntax {
        /// The config file.
        file: String,
        /// What the TOML parser said (it names the key and the line).
        message: String,
    },
    /// A key has a value the bot cannot use.
    #[error("{file}: key `{key}`: {message}")]
    Invalid {
        /// The config file.
        file: String,
        /// The key.
        key: &'static str,
        /// What is wrong, and what was expected.
        message: String,
    },
}

/// The raw keys of `bot.toml`, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    usage: Option<PathBuf>,
    metrics: Option<PathBuf>,
    commitments: Option<PathBuf>,
    budgets: Option<PathBuf>,
    allowed_chats: Option<Vec<i64>>,
    #[serde(default)]
    admins: Vec<u64>,
    database: Option<PathBuf>,
    timezone: Option<String>,
    digest_time: Option<String>,
    currency: Option<String>,
    fx_rate: Option<toml::Value>,
    api_url: Option<String>,
    pricing_data: Option<PathBuf>,
    cost: Option<String>,
    monitor: Option<String>,
    architecture: Option<String>,
    #[serde(default)]
    tuning: RawTuning,
}

/// Optional knobs (`[tuning]`), mostly for tests and self-hosted Bot API servers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTuning {
    tick_ms: Option<u64>,
    poll_timeout_secs: Option<u32>,
    retry_base_ms: Option<u64>,
    retry_max_ms: Option<u64>,
    refusal_window_minutes: Option<u32>,
    refusals_per_minute: Option<u32>,
    messages_per_sec_chat: Option<u32>,
    messages_per_min_chat: Option<u32>,
    messages_per_sec_overall: Option<u32>,
}

/// A checked configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// A usage file, or a directory whose newest usage file is read.
    pub usage: PathBuf,
    /// A metrics file (or a directory whose newest metrics file is read), for right-sizing.
    pub metrics: Option<PathBuf>,
    /// A commitments file (reserved instances, savings plans) applied to the bill.
    pub commitments: Option<PathBuf>,
    /// The budgets file (`budgets.toml`); without one the bot posts the bill, forecasts,
    /// anomalies and idle resources, and `/budget` says there are none.
    pub budgets: Option<PathBuf>,
    /// What anomalies are watched per (`monitor` in bot.toml, as `alarms --monitor`).
    pub monitor: cloudcost::alarms::Monitor,
    /// The architectures `/recommend` right-sizes to (`architecture`, as `recommend
    /// --architecture`): the instance's own by default.
    pub architecture: cloudcost::recommend::Architecture,
    /// Chats that get billing data.
    pub allowed_chats: Vec<i64>,
    /// Users who may change budgets.
    pub admins: Vec<u64>,
    /// The SQLite database of the bot's state.
    pub database: PathBuf,
    /// The time zone of the digest and of the dates shown.
    pub timezone: Tz,
    /// When the daily digest is posted, in `timezone`.
    pub digest_time: NaiveTime,
    /// The currency money is shown in.
    pub currency: Currency,
    /// The Bot API base URL from the config (`TELOXIDE_API_URL` wins over it).
    pub api_url: Option<url::Url>,
    /// Another price catalog directory (default: the built-in one).
    pub pricing_data: Option<PathBuf>,
    /// The cost view the bill is shown in (`cost` in bot.toml, as `estimate --cost`); `None`:
    /// a billing file's invoice (unblended), cloudcost's prices for this project's format.
    pub cost: Option<cloudcost::usage::costs::CostView>,
    /// Timing and rate knobs.
    pub tuning: Tuning,
}

/// Timing and rate knobs (`[tuning]` in `bot.toml`); the defaults suit Telegram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// How often the scheduler looks at the clock and the usage source.
    pub tick: Duration,
    /// Long-polling timeout of `getUpdates`, seconds.
    pub poll_timeout_secs: u32,
    /// First backoff after a network error or a 5xx answer.
    pub retry_base: Duration,
    /// Longest backoff.
    pub retry_max: Duration,
    /// A chat that is not allowed gets at most one refusal per this window.
    pub refusal_window: Duration,
    /// At most this many refusals a minute, over all chats.
    pub refusals_per_minute: u32,
    /// Throttle: messages per second to one chat.
    pub messages_per_sec_chat: u32,
    /// Throttle: messages per minute to one chat.
    pub messages_per_min_chat: u32,
    /// Throttle: messages per second overall.
    pub messages_per_sec_overall: u32,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            tick: Duration::from_secs(5),
            poll_timeout_secs: 10,
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            refusal_window: Duration::from_secs(3600),
            refusals_per_minute: 10,
            messages_per_sec_chat: 1,
            messages_per_min_chat: 20,
            messages_per_sec_overall: 30,
        }
    }
}

impl Config {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Config::parse(&path.display().to_string(), &text, base)
    }

    /// Parses and checks config text; relative paths are resolved against `base`.
    pub fn parse(file: &str, text: &str, base: &Path) -> Result<Config, ConfigError> {
        let raw: Raw = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            file: file.to_string(),
            message: e.to_string().trim().to_string(),
        })?;
        Config::from_raw(file, raw, base)
    }

    fn from_raw(file: &str, raw: Raw, base: &Path) -> Result<Config, ConfigError> {
        let bad = |key: &'static str, message: String| ConfigError::Invalid {
            file: file.to_string(),
            key,
            message,
        };
        let abs = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let usage = abs(raw.usage.ok_or_else(|| {
            bad(
                "usage",
                "missing: a usage file or a directory of them".into(),
            )
        })?);
        if !usage.exists() {
            return Err(bad("usage", format!("{} does not exist", usage.display())));
        }
        let metrics = raw.metrics.map(abs);
        if let Some(m) = &metrics
            && !m.exists()
        {
            return Err(bad("metrics", format!("{} does not exist", m.display())));
        }
        let commitments = raw.commitments.map(abs);
        if let Some(c) = &commitments
            && !c.is_file()
        {
            return Err(bad("commitments", format!("{} is not a file", c.display())));
        }
        let budgets = raw.budgets.map(abs);
        if let Some(b) = &budgets
            && !b.is_file()
        {
            return Err(bad("budgets", format!("{} is not a file", b.display())));
        }
        let allowed_chats = raw.allowed_chats.ok_or_else(|| {
            bad(
                "allowed_chats",
                "missing: the chat ids that may see billing data, e.g. [123456789]".into(),
            )
        })?;
        if allowed_chats.is_empty() {
            return Err(bad(
                "allowed_chats",
                "empty: with no allowed chat the bot would answer nobody".into(),
            ));
        }
        let database = abs(raw.database.ok_or_else(|| {
            bad(
                "database",
                "missing: the path of the SQLite database".into(),
            )
        })?);
        let timezone = match raw.timezone.as_deref() {
            None => chrono_tz::Asia::Seoul,
            Some(name) => name.parse::<Tz>().map_err(|_| {
                bad(
                    "timezone",
                    format!("`{name}` is not an IANA time zone such as Asia/Seoul or UTC"),
                )
            })?,
        };
        let digest_time = match raw.digest_time.as_deref() {
            None => NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            Some(t) => NaiveTime::parse_from_str(t, "%H:%M").map_err(|_| {
                bad(
                    "digest_time",
                    format!("`{t}` is not a time of day as HH:MM, e.g. \"09:00\""),
                )
            })?,
        };
        let code = raw.currency.as_deref().unwrap_or("USD");
        let fx = match &raw.fx_rate {
            None => Decimal::ONE,
            Some(v) => decimal_value(v).ok_or_else(|| {
                bad(
                    "fx_rate",
                    format!("expected a number of units per US dollar such as 1400, found {v}"),
                )
            })?,
        };
        let currency = Currency::new(code, fx).map_err(|m| {
            let key = if m.contains("rate") {
                "fx_rate"
            } else {
                "currency"
            };
            bad(key, m)
        })?;
        if !code.trim().eq_ignore_ascii_case("USD") && raw.fx_rate.is_none() {
            return Err(bad(
                "fx_rate",
                format!("missing: units of {code} per US dollar (amounts are priced in USD)"),
            ));
        }
        let api_url = raw
            .api_url
            .map(|u| parse_api_url(&u).map_err(|m| bad("api_url", m)))
            .transpose()?;
        let pricing_data = raw.pricing_data.map(abs);
        let cost = raw
            .cost
            .map(|c| c.parse().map_err(|m| bad("cost", m)))
            .transpose()?;
        let monitor = raw
            .monitor
            .map(|c| c.parse().map_err(|m| bad("monitor", m)))
            .transpose()?
            .unwrap_or_default();
        let architecture = raw
            .architecture
            .map(|c| c.parse().map_err(|m| bad("architecture", m)))
            .transpose()?
            .unwrap_or_default();
        let t = raw.tuning;
        let d = Tuning::default();
        let positive = |key: &'static str, v: Option<u32>, default: u32| match v {
            Some(0) => Err(bad(key, "must be at least 1".into())),
            Some(n) => Ok(n),
            None => Ok(default),
        };
        let tuning = Tuning {
            tick: t.tick_ms.map(Duration::from_millis).unwrap_or(d.tick),
            poll_timeout_secs: t.poll_timeout_secs.unwrap_or(d.poll_timeout_secs).min(15),
            retry_base: t
                .retry_base_ms
                .map(Duration::from_millis)
                .unwrap_or(d.retry_base),
            retry_max: t
                .retry_max_ms
                .map(Duration::from_millis)
                .unwrap_or(d.retry_max),
            refusal_window: t
                .refusal_window_minutes
                .map(|m| Duration::from_secs(u64::from(m) * 60))
                .unwrap_or(d.refusal_window),
            refusals_per_minute: positive(
                "tuning.refusals_per_minute",
                t.refusals_per_minute,
                d.refusals_per_minute,
            )?,
            messages_per_sec_chat: positive(
                "tuning.messages_per_sec_chat",
                t.messages_per_sec_chat,
                d.messages_per_sec_chat,
            )?,
            messages_per_min_chat: positive(
                "tuning.messages_per_min_chat",
                t.messages_per_min_chat,
                d.messages_per_min_chat,
            )?,
            messages_per_sec_overall: positive(
                "tuning.messages_per_sec_overall",
                t.messages_per_sec_overall,
                d.messages_per_sec_overall,
            )?,
        };
        if tuning.tick.is_zero() {
            return Err(bad("tuning.tick_ms", "must be at least 1".into()));
        }
        Ok(Config {
            usage,
            metrics,
            commitments,
            budgets,
            monitor,
            architecture,
            allowed_chats,
            admins: raw.admins,
            database,
            timezone,
            digest_time,
            currency,
            api_url,
            pricing_data,
            cost,
            tuning,
        })
    }

    /// True when `chat` may see billing data.
    pub fn chat_allowed(&self, chat: i64) -> bool {
        self.allowed_chats.contains(&chat)
    }

    /// True when `user` may change budgets.
    pub fn is_admin(&self, user: u64) -> bool {
        self.admins.contains(&user)
    }
}

/// A decimal from a TOML integer, float (read from its shortest text) or string.
fn decimal_value(v: &toml::Value) -> Option<Decimal> {
    use std::str::FromStr;
    match v {
        toml::Value::Integer(i) => Some(Decimal::from(*i)),
        toml::Value::Float(f) if f.is_finite() => Decimal::from_str(&f.to_string()).ok(),
        toml::Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

/// Parses a Bot API base URL (`https://api.telegram.org/` or a self-hosted server).
pub fn parse_api_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text.trim())
        .map_err(|e| format!("`{text}` is not a URL ({e}), e.g. \"http://127.0.0.1:8081\""))?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() {
        return Err(format!("`{text}` is not an http(s) URL"));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("usage.csv"), "x").unwrap();
        std::fs::write(d.path().join("budgets.toml"), "").unwrap();
        d
    }

    const OK: &str = r#"
usage = "usage.csv"
budgets = "budgets.toml"
allowed_chats = [42]
admins = [7]
database = "bot.sqlite"
"#;

    #[test]
    fn defaults_and_relative_paths() {
        let d = dir();
        let c = Config::parse("bot.toml", OK, d.path()).unwrap();
        assert_eq!(c.usage, d.path().join("usage.csv"));
        assert_eq!(c.timezone, chrono_tz::Asia::Seoul);
        assert_eq!(c.digest_time, NaiveTime::from_hms_opt(9, 0, 0).unwrap());
        assert_eq!(c.currency, Currency::usd());
        assert!(c.chat_allowed(42) && !c.chat_allowed(43));
        assert!(c.is_admin(7) && !c.is_admin(42));
        assert_eq!(c.tuning, Tuning::default());
    }

    fn err(extra: &str) -> String {
        let d = dir();
        Config::parse("bot.toml", &format!("{OK}{extra}"), d.path())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn errors_name_the_key() {
        assert!(err("timezone = \"Mars/Olympus\"").contains("key `timezone`"));
        assert!(err("digest_time = \"9am\"").contains("key `digest_time`"));
        assert!(err("currency = \"KRW\"").contains("key `fx_rate`"));
        assert!(err("currency = \"KRW\"\nfx_rate = \"-3\"").contains("key `fx_rate`"));
        assert!(err("currency = \"dollars\"").contains("key `currency`"));
        assert!(err("api_url = \"not a url\"").contains("key `api_url`"));
        assert!(err("colour = \"blue\"").contains("colour"));
        assert!(err("cost = \"blended\"").contains("key `cost`"));
        let d = dir();
        let c = Config::parse("bot.toml", &format!("{OK}cost = \"amortized\""), d.path()).unwrap();
        assert_eq!(c.cost, Some(cloudcost::usage::costs::CostView::Amortized));
        let d = dir();
        let e = Config::parse("bot.toml", "usage = \"nope.csv\"", d.path())
            .unwrap_err()
            .to_string();
        assert!(e.contains("key `usage`"), "{e}");
        let e = Config::parse(
            "bot.toml",
            &OK.replace("allowed_chats = [42]", "allowed_chats = []"),
            d.path(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("key `allowed_chats`"), "{e}");
    }

    #[test]
    fn the_shipped_example_parses() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("data")).unwrap();
        std::fs::write(d.path().join("budgets.toml"), "").unwrap();
        let text = include_str!("../bot.example.toml");
        let c = Config::parse("bot.example.toml", text, d.path()).unwrap();
        assert_eq!(c.usage, d.path().join("data/"));
        assert_eq!(c.allowed_chats, [123456789]);
    }

    #[test]
    fn currency_and_tuning() {
        let d = dir();
        let c = Config::parse(
            "bot.toml",
            &format!("{OK}currency = \"krw\"\nfx_rate = 1400\ntimezone = \"UTC\"\n[tuning]\ntick_ms = 20\n"),
            d.path(),
        )
        .unwrap();
        assert_eq!(c.currency.code, "KRW");
        assert_eq!(c.timezone, chrono_tz::UTC);
        assert_eq!(c.tuning.tick, Duration::from_millis(20));
    }
}
