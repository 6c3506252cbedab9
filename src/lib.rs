//! cloudcost: exact, offline AWS cost answers.
//!
//! The library owns the whole domain; the `cloudcost` binary and the `cloudcost-bot` are thin
//! shells.
//!
//! # Layout
//!
//! - [`money`]: [`Money`], exact USD amounts over `rust_decimal`, and the display
//!   currency (rounding half-up to the currency's minor unit only when shown).
//! - [`catalog`]: the price catalog: data files under `pricing-data/` (embedded in the binary,
//!   or read from a directory), loaded through serde into typed lookups; a price the catalog lacks
//!   is a [`MissingPrice`] error, never zero. [`catalog::import`] turns AWS
//!   Price List offer files into catalog files; [`catalog::update`] downloads AWS's public
//!   pricing feeds into the user's catalog directory, read over the embedded catalog.
//! - [`pricing`]: the pricing engine: per-service functions that turn quantities into
//!   [`LineItem`](pricing::LineItem)s, tiers that accumulate over a month
//!   ([`pricing::MonthState`]), and the pricing models of EC2 (on-demand, reserved, savings plans,
//!   spot).
//! - [`quote`]: the plan file (`plan.toml`) and the quote built from it, plus the side-by-side
//!   comparison of pricing models.
//! - [`usage`]: the one place polars is used: reading usage files (this project's format, AWS
//!   CUR 1.0/2.0, FOCUS), metrics files and the resource inventory into plain Rust aggregates.
//! - [`bill`]: pricing a month of usage (`estimate`): the engine over the aggregates, commitments
//!   applied hour by hour, spot from a price history; one [`Bill`](bill::Bill) of cost rows.
//! - [`metrics`]: hourly utilization samples; [`simulate`]: a deterministic fleet of them, with
//!   its usage.
//! - [`recommend`]: right-sizing and idle instances; [`savings`]: waste, storage classes and
//!   commitments, and the report of all recommendations.
//! - [`forecast`]: month-end forecast with a P10–P90 band; [`report`]: the chart report.
//! - [`alarms`]: budgets, cost anomalies and idle resources as alert events, with their SQLite
//!   state; [`analysis`]: the one pipeline from a usage file to the bill and the
//!   recommendations, shared by the CLI and the bot.
//! - [`output`]: renderers: one result, many formats (table, JSON, CSV, Markdown).
//! - [`error`]: the typed errors of the library.
//!
//! Data flows one way: catalog → engine → one canonical result → renderers.
//!
//! ```
//! use cloudcost::{catalog::Catalog, quote::{Plan, build_quote}};
//! let catalog = Catalog::embedded().unwrap();
//! let plan = Plan::parse("plan.toml", r#"
//! region = "us-east-1"
//! [[public_ipv4]]
//! name = "bastion-ip"
//! "#).unwrap();
//! let quote = build_quote(&catalog, &plan).unwrap();
//! assert_eq!(quote.total().cents().to_string(), "3.65");
//! ```

pub mod alarms;
pub mod analysis;
pub mod bill;
pub mod catalog;
pub mod error;
pub mod forecast;
pub mod metrics;
pub mod money;
pub mod output;
pub mod pricing;
pub mod quote;
pub mod recommend;
pub mod report;
pub mod savings;
pub mod simulate;
pub mod usage;

pub use error::{Error, MissingPrice};
pub use money::Money;
