//! The running bot: the long-polling loop that answers commands, the outbox sender, and the
//! scheduler that watches the usage source and posts the digest.
//!
//! Three tasks share one [`Shared`]:
//! - **poller**: `getUpdates` (long polling), one update at a time; the offset is stored in the
//!   database after each update, so a restart neither loses nor re-answers commands (an update
//!   being answered when the bot dies is answered again);
//! - **sender**: drains the outbox in order (see [`crate::outbox`] for the delivery guarantee);
//! - **scheduler**: every tick, looks at the usage source and, on new data, re-runs the alarms
//!   and queues each new alert for every subscribed, unmuted chat; and posts the daily digest
//!   once a day at `digest_time` in `timezone`, read from the injectable [`Clock`].

use std::sync::{Arc, Mutex};

use anyhow::Context;
use chrono::NaiveDate;
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, UpdateKind};
use tokio::sync::{Notify, watch};

use crate::auth::{Access, Auth, REFUSAL};
use crate::clock::Clock;
use crate::commands::{self, Command};
use crate::config::Config;
use crate::data::{Data, Snapshot, Source};
use crate::format::{self, escape};
use crate::monitor::AlarmEngine;
use crate::store::Store;
use crate::telegram::{self, Api, Failure, Outgoing, Photo, RetryPolicy};

/// State shared by the bot's tasks.
pub struct Shared {
    /// The configuration.
    pub cfg: Config,
    /// The throttled Bot API client.
    pub api: Api,
    /// The bot's database.
    pub store: Store,
    /// The usage source.
    pub source: Source,
    /// The alarm engine.
    pub alarms: Mutex<Box<dyn AlarmEngine>>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Allowlist and refusal limiter.
    pub auth: Mutex<Auth>,
    /// Wakes the sender when something is queued.
    pub outbox_wake: Notify,
    /// The bot's @username (commands addressed to another bot are ignored).
    pub username: String,
}

/// Key of the stored `getUpdates` offset.
const OFFSET_KEY: &str = "update_offset";
/// Key of the last day the digest was queued.
const DIGEST_KEY: &str = "last_digest";
/// Photos `/report` sends, in order.
pub const REPORT_PHOTOS: [(&str, &str); 2] = [
    ("daily-cost.png", "Daily cost by service"),
    ("forecast.png", "Month-end forecast with its P10–P90 band"),
];

impl Shared {
    fn lock_alarms(&self) -> std::sync::MutexGuard<'_, Box<dyn AlarmEngine>> {
        self.alarms.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn reply_policy(&self) -> RetryPolicy {
        RetryPolicy {
            base: self.cfg.tuning.retry_base,
            max: self.cfg.tuning.retry_max,
            max_transient: Some(5),
        }
    }

    /// Runs blocking work (pricing, rendering, SQLite) off the async threads.
    async fn blocking<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&Shared) -> Result<T, String> + Send + 'static,
    ) -> Result<T, String> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || f(&me))
            .await
            .map_err(|e| format!("internal error: {e}"))?
    }

    async fn data(self: &Arc<Self>) -> Result<Arc<Data>, String> {
        self.blocking(|s| s.source.load().map_err(|e| e.to_string()))
            .await
    }

    /// Sends a reply (split into parts when long) with the reply retry policy.
    async fn reply(
        self: &Arc<Self>,
        chat: i64,
        msgs: Vec<Outgoing>,
        shutdown: &mut watch::Receiver<bool>,
    ) {
        for msg in msgs {
            let parts = match msg {
                Outgoing::Text(t) => format::split_message(&t, format::MAX_MESSAGE)
                    .into_iter()
                    .map(Outgoing::Text)
                    .collect(),
                photo => vec![photo],
            };
            for part in parts {
                let r = telegram::send_with_retry(
                    &self.api,
                    chat,
                    &part,
                    &self.reply_policy(),
                    shutdown,
                    |_| {},
                )
                .await;
                match r {
                    Ok(()) => {}
                    Err(Failure::Blocked(e)) => {
                        crate::log::info(&format!(
                            "chat {chat} is unreachable ({e}): unsubscribed"
                        ));
                        let _ = self.store.unsubscribe(chat);
                        return;
                    }
                    Err(Failure::Shutdown) => return,
                    Err(f) => {
                        crate::log::info(&format!("reply to chat {chat} not sent: {f}"));
                        return;
                    }
                }
            }
        }
    }

    /// Handles one incoming message.
    async fn on_message(self: &Arc<Self>, msg: &Message, shutdown: &mut watch::Receiver<bool>) {
        let chat = msg.chat.id.0;
        let access = {
            let mut auth = self.auth.lock().unwrap_or_else(|e| e.into_inner());
            auth.check(chat, self.clock.now())
        };
        match access {
            Access::Allowed => {}
            Access::Refuse => {
                crate::log::info(&format!("refused chat {chat} (not on allowed_chats)"));
                self.reply(chat, vec![Outgoing::Text(escape(REFUSAL))], shutdown)
                    .await;
                return;
            }
            Access::Ignore => return,
        }
        let Some(text) = msg.text() else { return };
        let Some(parsed) = commands::parse(text, &self.username) else {
            return;
        };
        let user = msg.from.as_ref().map(|u| u.id.0);
        let out = match parsed {
            Err(reason) => vec![Outgoing::Text(escape(&reason))],
            Ok(cmd) => self.execute(chat, user, cmd).await,
        };
        self.reply(chat, out, shutdown).await;
    }

    /// The reply to a command from an allowed chat.
    pub async fn execute(
        self: &Arc<Self>,
        chat: i64,
        user: Option<u64>,
        cmd: Command,
    ) -> Vec<Outgoing> {
        let text = |t: String| vec![Outgoing::Text(t)];
        let cur = self.cfg.currency.clone();
        let failed = |e: String| {
            vec![Outgoing::Text(format!(
                "Could not read the usage data: {}",
                escape(&e)
            ))]
        };
        match cmd {
            Command::Start => text(commands::start_text()),
            Command::Help => text(commands::help_text()),
            Command::Bill(month) => match self.data().await {
                Ok(d) => text(commands::bill_text(&d.bill, month, &cur)),
                Err(e) => failed(e),
            },
            Command::Today => match self.data().await {
                Ok(d) => text(commands::today_text(&d.bill, &cur)),
                Err(e) => failed(e),
            },
            Command::Forecast => match self.data().await {
                Ok(d) => {
                    let budget = self.lock_alarms().monthly_budget();
                    text(commands::forecast_text(&d.bill, budget, &cur))
                }
                Err(e) => failed(e),
            },
            Command::Top(n) => match self.data().await {
                Ok(d) => text(commands::top_text(&d.bill, n, &cur)),
                Err(e) => failed(e),
            },
            Command::Report => match self.report().await {
                Ok(photos) => photos.into_iter().map(Outgoing::Photo).collect(),
                Err(e) => text(format!("Could not draw the report: {}", escape(&e))),
            },
            Command::Recommend => {
                let r = self
                    .blocking(move |s| {
                        let d = s.source.load().map_err(|e| e.to_string())?;
                        let a = s.source.analysis(&d).map_err(|e| e.to_string())?;
                        Ok(commands::recommend_text(&a.report, &s.cfg.currency))
                    })
                    .await;
                match r {
                    Ok(t) => text(t),
                    Err(e) => failed(e),
                }
            }
            Command::BudgetShow => {
                let r = self
                    .blocking(move |s| {
                        let d = s.source.load().map_err(|e| e.to_string())?;
                        let st = s.lock_alarms().status(&d.bill, &d.budget_costs)?;
                        Ok(commands::budget_text(&st, &s.cfg.currency))
                    })
                    .await;
                match r {
                    Ok(t) => text(t),
                    Err(e) => text(format!("Could not evaluate the budgets: {}", escape(&e))),
                }
            }
            Command::BudgetSet { name, amount } => {
                if !self
                    .auth
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .is_admin(user)
                {
                    return text("Only admins can change budgets.".into());
                }
                text(self.set_budget(user.unwrap_or_default(), name, &amount))
            }
            Command::Alarms => match self.lock_alarms().recent(10) {
                Ok(a) => text(commands::alarms_text(&a)),
                Err(e) => text(format!("Could not read the alarms: {}", escape(&e))),
            },
            Command::Subscribe => match self.store.subscribe(chat, self.clock.now()) {
                Ok(true) => {
                    text("Subscribed: this chat gets the daily digest and every new alarm.".into())
                }
                Ok(false) => text("This chat is already subscribed.".into()),
                Err(e) => text(format!("Could not subscribe: {}", escape(&e.to_string()))),
            },
            Command::Unsubscribe => match self.store.unsubscribe(chat) {
                Ok(true) => text("Unsubscribed: no more digest or alarms here.".into()),
                Ok(false) => text("This chat was not subscribed.".into()),
                Err(e) => text(format!("Could not unsubscribe: {}", escape(&e.to_string()))),
            },
            Command::Mute(hours) => {
                let until = (hours > 0)
                    .then(|| self.clock.now() + chrono::Duration::hours(i64::from(hours)));
                match self.store.mute(chat, until) {
                    Ok(false) => text("This chat is not subscribed; /subscribe first.".into()),
                    Ok(true) => match until {
                        Some(u) => text(format!(
                            "Muted until {}: alarms and the digest are skipped until then.",
                            u.with_timezone(&self.cfg.timezone)
                                .format("%Y-%m-%d %H:%M %Z")
                        )),
                        None => text("Unmuted.".into()),
                    },
                    Err(e) => text(format!("Could not mute: {}", escape(&e.to_string()))),
                }
            }
            Command::Status => text(self.status_text()),
        }
    }

    fn status_text(&self) -> String {
        let data = match self.source.snapshot() {
            Ok(s) => format!(
                "usage: <code>{}</code> ({} bytes)",
                escape(&s.usage.path.display().to_string()),
                s.usage.size
            ),
            Err(e) => format!("usage: {}", escape(&e.to_string())),
        };
        let pending = self
            .store
            .outbox()
            .map(|o| {
                o.iter()
                    .filter(|r| r.state == crate::store::OutboxState::Pending)
                    .count()
            })
            .unwrap_or(0);
        format!(
            "<b>Status</b>\n{data}\ndigest: {} {}\ncurrency: {}\noutbox: {pending} pending",
            self.cfg.digest_time.format("%H:%M"),
            escape(self.cfg.timezone.name()),
            escape(&self.cfg.currency.code)
        )
    }

    fn set_budget(&self, user: u64, name: Option<String>, amount: &str) -> String {
        // The amount first: a bad one is refused with its reason whatever the name.
        if let Err(reason) = cloudcost::alarms::parse_amount(amount) {
            return format!("Budget not changed: {}", escape(&reason));
        }
        let mut alarms = self.lock_alarms();
        let names = alarms.budget_names();
        let name = match name {
            Some(n) => n,
            None if names.len() == 1 => names[0].clone(),
            None if names.is_empty() => return "No budgets are defined in budgets.toml.".into(),
            None => {
                return format!(
                    "Which budget? /budget set NAME AMOUNT, with NAME one of: {}",
                    escape(&names.join(", "))
                );
            }
        };
        if !names.contains(&name) {
            return format!(
                "No budget named \"{}\"; budgets: {}",
                escape(&name),
                escape(&names.join(", "))
            );
        }
        match alarms.set_budget(&name, amount) {
            Ok(value) => {
                if let Err(e) = self
                    .store
                    .set_budget_override(&name, value, user, self.clock.now())
                {
                    return format!("Could not save the budget: {}", escape(&e.to_string()));
                }
                crate::log::info(&format!("user {user} set budget {name} to {value}"));
                let usd = cloudcost::money::Currency::usd();
                if self.cfg.currency == usd {
                    format!(
                        "Budget <b>{}</b> set to {}.",
                        escape(&name),
                        format::money(&usd, value)
                    )
                } else {
                    format!(
                        "Budget <b>{}</b> set to {} ({} at {} {} per USD). Budget amounts are in USD, as in budgets.toml.",
                        escape(&name),
                        format::money(&usd, value),
                        format::money(&self.cfg.currency, value),
                        self.cfg.currency.fx_rate.normalize(),
                        escape(&self.cfg.currency.code)
                    )
                }
            }
            Err(reason) => format!("Budget not changed: {}", escape(&reason)),
        }
    }

    /// The daily-cost and forecast charts of the current data.
    async fn report(self: &Arc<Self>) -> Result<Vec<Photo>, String> {
        self.blocking(|s| {
            let d = s.source.load().map_err(|e| e.to_string())?;
            let budget = s.lock_alarms().monthly_budget();
            let title = match d.bill.period() {
                Some((f, l)) => format!("AWS cost {f} to {l}"),
                None => "AWS cost".into(),
            };
            let mut input = cloudcost::report::ReportInput::new(title, &d.bill, &s.cfg.currency);
            input.budget = budget;
            let files = cloudcost::report::render_report(&input).map_err(|e| e.to_string())?;
            let mut photos = Vec::new();
            for (name, caption) in REPORT_PHOTOS {
                let f = files
                    .iter()
                    .find(|f| f.name == name)
                    .ok_or_else(|| format!("the report has no {name}"))?;
                photos.push(Photo {
                    name: name.to_string(),
                    png: f.contents.clone(),
                    caption: escape(caption),
                });
            }
            Ok(photos)
        })
        .await
    }

    /// Re-runs the alarms over the current data and queues each new alert for the audience.
    async fn check_alarms(self: &Arc<Self>) -> Result<usize, String> {
        let alerts = self
            .blocking(|s| {
                let d = s.source.load().map_err(|e| e.to_string())?;
                // Idle alerts come from the recommendations; without them the budgets and
                // anomalies are still checked.
                let recs = match s.source.analysis(&d) {
                    Ok(a) => Some(a),
                    Err(e) => {
                        crate::log::info(&format!("recommendations unavailable: {e}"));
                        None
                    }
                };
                s.lock_alarms()
                    .check(&d.bill, &d.budget_costs, recs.as_ref().map(|a| &a.report))
            })
            .await?;
        let audience = self
            .store
            .audience(self.clock.now())
            .map_err(|e| e.to_string())?;
        let mut queued = 0;
        for a in &alerts {
            queued += self
                .store
                .enqueue(&a.id, &audience, &commands::alert_text(a), self.clock.now())
                .map_err(|e| e.to_string())?;
        }
        if !alerts.is_empty() {
            crate::log::info(&format!(
                "{} new alert(s), {queued} message(s) queued",
                alerts.len()
            ));
            self.outbox_wake.notify_one();
        }
        Ok(queued)
    }

    /// Queues the digest of `day` for the audience.
    async fn queue_digest(self: &Arc<Self>, day: NaiveDate) -> Result<usize, String> {
        let text = self
            .blocking(|s| {
                let d = s.source.load().map_err(|e| e.to_string())?;
                let budgets = s
                    .lock_alarms()
                    .status(&d.bill, &d.budget_costs)
                    .unwrap_or_default();
                Ok(commands::digest_text(&d.bill, &budgets, &s.cfg.currency))
            })
            .await?;
        // A digest is one message: keep its first part if it ever grew too long.
        let text = format::split_message(&text, format::MAX_MESSAGE)
            .into_iter()
            .next()
            .unwrap_or_default();
        let audience = self
            .store
            .audience(self.clock.now())
            .map_err(|e| e.to_string())?;
        let n = self
            .store
            .enqueue(&format!("digest:{day}"), &audience, &text, self.clock.now())
            .map_err(|e| e.to_string())?;
        self.outbox_wake.notify_one();
        Ok(n)
    }
}

/// The long-polling loop.
pub async fn poller(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut offset: i32 = shared
        .store
        .get(OFFSET_KEY)
        .ok()
        .flatten()
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let mut backoff = shared.cfg.tuning.retry_base;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let req = shared
            .api
            .get_updates()
            .offset(offset)
            .timeout(shared.cfg.tuning.poll_timeout_secs)
            .allowed_updates(vec![AllowedUpdate::Message]);
        let r = tokio::select! {
            r = req.send() => r,
            _ = shutdown.changed() => return,
        };
        let updates = match r {
            Ok(u) => {
                backoff = shared.cfg.tuning.retry_base;
                u
            }
            Err(e) => {
                let f = telegram::classify(&e);
                let wait = match f {
                    Failure::RetryAfter(d) => d,
                    _ => {
                        let w = backoff;
                        backoff = (backoff * 2).min(shared.cfg.tuning.retry_max);
                        w
                    }
                };
                crate::log::info(&format!("getUpdates: {f}; retrying in {wait:?}"));
                if telegram::sleep_or_shutdown(wait, &mut shutdown).await {
                    return;
                }
                continue;
            }
        };
        for u in updates {
            offset = offset.max(i32::try_from(u.id.0).unwrap_or(i32::MAX).saturating_add(1));
            if let UpdateKind::Message(m) = &u.kind {
                shared.on_message(m, &mut shutdown).await;
            }
            if let Err(e) = shared.store.set(OFFSET_KEY, &offset.to_string()) {
                crate::log::info(&format!("saving the update offset: {e}"));
            }
        }
    }
}

/// The outbox sender: see [`crate::outbox`].
pub async fn sender(shared: Arc<Shared>, shutdown: watch::Receiver<bool>) {
    crate::outbox::drain(shared, shutdown).await
}

/// The scheduler: new data → alarms; digest time → digest.
pub async fn scheduler(shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let mut seen: Option<Snapshot> = None;
    loop {
        if *shutdown.borrow() {
            return;
        }
        match shared.source.snapshot() {
            Ok(s) if seen.as_ref() != Some(&s) => {
                // A failed evaluation is not retried until the data changes again: it fails
                // the same way on the same files, and the next evaluation sees every alert
                // that holds then (nothing is recorded as fired by a failed one).
                if let Err(e) = shared.check_alarms().await {
                    crate::log::info(&format!("checking alarms: {e}"));
                }
                seen = Some(s);
            }
            Ok(_) => {}
            Err(e) => {
                if seen.is_some() {
                    crate::log::info(&format!("usage source: {e}"));
                    seen = None;
                }
            }
        }
        if let Some(day) = digest_due(&shared) {
            match shared.queue_digest(day).await {
                Ok(n) => {
                    crate::log::info(&format!("digest {day} queued for {n} chat(s)"));
                    let _ = shared.store.set(DIGEST_KEY, &day.to_string());
                }
                Err(e) => crate::log::info(&format!("digest {day}: {e}")),
            }
        }
        if telegram::sleep_or_shutdown(shared.cfg.tuning.tick, &mut shutdown).await {
            return;
        }
    }
}

/// The local day whose digest is due now, if any.
fn digest_due(shared: &Shared) -> Option<NaiveDate> {
    let local = shared.clock.now().with_timezone(&shared.cfg.timezone);
    let today = local.date_naive();
    let due_today = local.time() >= shared.cfg.digest_time;
    let last = shared
        .store
        .get(DIGEST_KEY)
        .ok()
        .flatten()
        .and_then(|d| d.parse::<NaiveDate>().ok());
    match last {
        Some(l) if due_today && l < today => Some(today),
        _ => None,
    }
}

/// On the very first start (no digest recorded), counts today's digest as done when its time
/// has passed already, so starting the bot late in the day does not post at once.
fn init_digest(shared: &Shared) -> Result<(), crate::store::StoreError> {
    if shared.store.get(DIGEST_KEY)?.is_some() {
        return Ok(());
    }
    let local = shared.clock.now().with_timezone(&shared.cfg.timezone);
    let today = local.date_naive();
    let done = if local.time() >= shared.cfg.digest_time {
        today
    } else {
        today.pred_opt().unwrap_or(today)
    };
    shared.store.set(DIGEST_KEY, &done.to_string())
}

/// Starts the bot and runs it until `shutdown` turns true.
pub async fn start(
    cfg: Config,
    token: &str,
    api_url: url::Url,
    clock: Arc<dyn Clock>,
    alarms: Box<dyn AlarmEngine>,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let catalog = match &cfg.pricing_data {
        Some(d) => cloudcost::catalog::Catalog::from_dir(d)
            .with_context(|| format!("reading the price catalog in {}", d.display()))?,
        None => {
            cloudcost::catalog::Catalog::embedded().context("reading the built-in price catalog")?
        }
    };
    let source = Source::new(
        catalog,
        cfg.usage.clone(),
        cfg.metrics.clone(),
        cfg.commitments.as_deref(),
    )?
    .with_cost(cfg.cost)
    .with_architecture(cfg.architecture)
    .with_timezone(cfg.timezone)
    .with_budgets(match &cfg.budgets {
        Some(b) => cloudcost::alarms::Budgets::load(b)?,
        None => cloudcost::alarms::Budgets::default(),
    });
    let store = Store::open(&cfg.database)?;
    let api = telegram::connect(token, api_url, &cfg.tuning);
    let me = get_me(&api, &cfg, &mut shutdown.clone()).await?;
    let username = me.username.clone().unwrap_or_default();
    crate::log::info(&format!("connected as @{username}"));
    if let Err(e) = api.set_my_commands(telegram::command_menu()).await {
        crate::log::info(&format!("setMyCommands: {}", telegram::classify(&e)));
    }
    let auth = Auth::new(
        cfg.allowed_chats.clone(),
        cfg.admins.clone(),
        cfg.tuning.refusal_window,
        cfg.tuning.refusals_per_minute,
    );
    let shared = Arc::new(Shared {
        cfg,
        api,
        store,
        source,
        alarms: Mutex::new(alarms),
        clock,
        auth: Mutex::new(auth),
        outbox_wake: Notify::new(),
        username,
    });
    init_digest(&shared)?;
    let tasks = [
        tokio::spawn(poller(shared.clone(), shutdown.clone())),
        tokio::spawn(sender(shared.clone(), shutdown.clone())),
        tokio::spawn(scheduler(shared.clone(), shutdown.clone())),
    ];
    for t in tasks {
        t.await.context("a bot task failed")?;
    }
    crate::log::info("stopped");
    Ok(())
}

/// `getMe`, retried while the network or the server fails; a refused token is an error.
async fn get_me(
    api: &Api,
    cfg: &Config,
    shutdown: &mut watch::Receiver<bool>,
) -> anyhow::Result<teloxide::types::Me> {
    let mut backoff = cfg.tuning.retry_base;
    loop {
        let r = tokio::select! {
            r = api.get_me().send() => r,
            _ = shutdown.changed() => anyhow::bail!("shut down before connecting"),
        };
        match r {
            Ok(me) => return Ok(me),
            Err(e) => match telegram::classify(&e) {
                Failure::Transient(m) => {
                    crate::log::info(&format!("getMe: {m}; retrying in {backoff:?}"));
                    if telegram::sleep_or_shutdown(backoff, shutdown).await {
                        anyhow::bail!("shut down before connecting");
                    }
                    backoff = (backoff * 2).min(cfg.tuning.retry_max);
                }
                Failure::RetryAfter(d) => {
                    if telegram::sleep_or_shutdown(d, shutdown).await {
                        anyhow::bail!("shut down before connecting");
                    }
                }
                f => anyhow::bail!(
                    "the Bot API refused the token (getMe: {f}); check TELOXIDE_TOKEN"
                ),
            },
        }
    }
}
