//! `cloudcost-bot`: `TELOXIDE_TOKEN=123:abc cloudcost-bot --config bot.toml`.
//!
//! A thin shell: reads the config and the environment, runs [`cloudcost_bot::run`] until
//! Ctrl-C or SIGTERM, prints any error with its context and exits 2.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;

/// The cloudcost Telegram bot: the bill every morning, forecasts, chart reports and alarms.
///
/// The bot token is read from the TELOXIDE_TOKEN environment variable only; TELOXIDE_API_URL
/// (or `api_url` in the config) points it at another Bot API server.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// The bot's config file (see bot/bot.example.toml).
    #[arg(long, short, default_value = "bot.toml")]
    config: PathBuf,
    /// Check the config and exit without connecting.
    #[arg(long)]
    check: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cloudcost_bot::log::redact(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cloudcost_bot::Config::load(&cli.config)?;
    if let Some(b) = &config.budgets {
        cloudcost::alarms::Budgets::load(b)
            .with_context(|| format!("{}: key `budgets`", cli.config.display()))?;
    }
    if cli.check {
        println!("{}: ok", cli.config.display());
        return Ok(());
    }
    let token = std::env::var("TELOXIDE_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty())
        .context("TELOXIDE_TOKEN is not set: put the token @BotFather gave you in it")?;
    let api_url = match std::env::var("TELOXIDE_API_URL") {
        Ok(u) if !u.trim().is_empty() => Some(
            cloudcost_bot::config::parse_api_url(&u)
                .map_err(|m| anyhow::anyhow!("TELOXIDE_API_URL: {m}"))?,
        ),
        _ => None,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async move {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            cloudcost_bot::log::info("stopping");
            let _ = tx.send(true);
        });
        cloudcost_bot::run(
            config,
            token,
            api_url,
            Arc::new(cloudcost_bot::SystemClock),
            rx,
        )
        .await
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
