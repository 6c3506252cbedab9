//! The resources of a usage file (this project's format): one summary per resource and usage
//! type, with the attributes recommendations need (`attached_to` for volumes and addresses,
//! `objects` for buckets) and the days it was seen. Used to find waste: unattached volumes,
//! unassociated addresses, volumes of stopped instances, storage in the wrong class.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use polars::prelude::*;
use rust_decimal::Decimal;

use super::UsageError;
use super::columns::{lower, quantity_of, text, timestamp};

/// One resource's usage of one type over the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceUsage {
    /// Resource id.
    pub resource_id: String,
    /// Service.
    pub service: String,
    /// Usage type.
    pub usage_type: String,
    /// Region.
    pub region: String,
    /// Instance type, volume type, storage class or architecture, as the rows give it.
    pub attr: String,
    /// What it is attached to, as the last row says (`none` = unattached / unassociated; empty =
    /// not said).
    pub attached_to: String,
    /// The largest object count reported (buckets).
    pub objects: Option<Decimal>,
    /// Sum of the quantity.
    pub quantity: Decimal,
    /// First and last day with usage.
    pub first_day: NaiveDate,
    /// Last day with usage.
    pub last_day: NaiveDate,
    /// Days with usage.
    pub days: u32,
    /// The day the resource was created, when the file says (`created_at`, earliest given).
    pub created: Option<NaiveDate>,
}

/// Every resource of the file, and the file's first and last day.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    /// Resources, by id then usage type.
    pub resources: Vec<ResourceUsage>,
    /// The file's first day.
    pub first_day: Option<NaiveDate>,
    /// The file's last day.
    pub last_day: Option<NaiveDate>,
}

impl Inventory {
    /// Resources by id.
    pub fn by_id(&self) -> BTreeMap<&str, Vec<&ResourceUsage>> {
        let mut m: BTreeMap<&str, Vec<&ResourceUsage>> = BTreeMap::new();
        for r in &self.resources {
            m.entry(r.resource_id.as_str()).or_default().push(r);
        }
        m
    }

    /// Days the file covers.
    pub fn period_days(&self) -> u32 {
        match (self.first_day, self.last_day) {
            (Some(f), Some(l)) => ((l - f).num_days() + 1).max(1) as u32,
            _ => 0,
        }
    }
}

impl Inventory {
    /// The inventory of a billing file, from its usage as read (CUR and FOCUS rows say what a
    /// resource used, not what it is attached to: `attached_to` stays empty). GB-months are
    /// turned into GB-hours over each day's month, as this project's format has them.
    pub fn from_read(read: &super::UsageRead) -> Inventory {
        type Key = (String, String, String, String, String);
        let mut by: BTreeMap<Key, ResourceUsage> = BTreeMap::new();
        let mut inv = Inventory::default();
        for d in &read.days {
            let k = &d.key;
            let (usage_type, quantity) = match k.usage_type.as_str() {
                "volume-gb-months" => ("volume-gb-hours", d.quantity * month_hours(d.day)),
                "storage-gb-months" => ("storage-gb-hours", d.quantity * month_hours(d.day)),
                other => (other, d.quantity),
            };
            let key = (
                d.resource_id.to_string(),
                k.service.to_string(),
                usage_type.to_string(),
                k.region.to_string(),
                k.attr.to_string(),
            );
            let r = by.entry(key.clone()).or_insert_with(|| ResourceUsage {
                resource_id: key.0,
                service: key.1,
                usage_type: key.2,
                region: key.3,
                attr: key.4,
                attached_to: String::new(),
                objects: None,
                quantity: Decimal::ZERO,
                first_day: d.day,
                last_day: d.day,
                days: 0,
                created: None,
            });
            r.quantity += quantity;
            r.first_day = r.first_day.min(d.day);
            r.last_day = r.last_day.max(d.day);
            r.days += 1;
            inv.first_day = Some(inv.first_day.map_or(d.day, |f| f.min(d.day)));
            inv.last_day = Some(inv.last_day.map_or(d.day, |l| l.max(d.day)));
        }
        inv.resources = by.into_values().collect();
        // A billing file does not say what an address is associated with, but bills the hours
        // it was associated with nothing as idle: an address idle for at least half the hours
        // from its first day to the end of the data is one to release (not one idle for the
        // minute between its allocation and its association).
        let last = inv.last_day;
        for r in &mut inv.resources {
            let Some(last) = last else { break };
            let hours = Decimal::from(((last - r.first_day).num_days() + 1) * 24);
            if r.service == "public_ipv4"
                && let Some(idle) = read
                    .idle_address_hours
                    .get(&(r.resource_id.as_str().into(), r.region.as_str().into()))
                && *idle * Decimal::TWO >= hours
            {
                r.attached_to = "none".into();
            }
        }
        inv
    }
}

/// The hours of the month of a day.
fn month_hours(day: NaiveDate) -> Decimal {
    use chrono::Datelike;
    Decimal::from(crate::forecast::month_end(day).day() * 24)
}

fn unreadable(file: &str, e: impl std::fmt::Display) -> UsageError {
    UsageError::Unreadable {
        file: file.into(),
        message: e.to_string(),
    }
}

/// Reads the inventory of a usage file in this project's format (rows that do not parse are
/// left to `estimate` to report; they are not counted here).
pub fn read_inventory(path: &Path) -> Result<Inventory, UsageError> {
    let file = path.display().to_string();
    let opened = super::columns::open(path)?;
    let mut lf = opened.lf.clone();
    let schema = lf.collect_schema().map_err(|e| unreadable(&file, e))?;
    let s = &schema;
    if !s.contains("usage_start") || !s.contains("resource_id") {
        return Err(UsageError::Layout {
            file,
            message: "recommendations read this project's usage format (docs/usage-format.md)"
                .into(),
        });
    }
    let attr = coalesce(&[
        text(s, "instance_type"),
        lower(s, "volume_type"),
        lower(s, "storage_class"),
        lower(s, "architecture"),
    ])
    .fill_null(lit(""));
    let df = lf
        .select([
            timestamp(s, "usage_start")
                .dt()
                .truncate(lit("1d"))
                .alias("day"),
            text(s, "resource_id").alias("resource_id"),
            lower(s, "service").alias("service"),
            lower(s, "usage_type").alias("usage_type"),
            text(s, "region").fill_null(lit("")).alias("region"),
            attr.alias("attr"),
            text(s, "attached_to")
                .fill_null(lit(""))
                .alias("attached_to"),
            quantity_of(s, "objects").alias("objects"),
            quantity_of(s, "quantity").alias("q"),
            timestamp(s, "created_at")
                .dt()
                .truncate(lit("1d"))
                .alias("created"),
        ])
        .filter(
            col("day")
                .is_not_null()
                .and(col("resource_id").is_not_null())
                .and(col("q").is_not_null()),
        )
        .sort(["day"], SortMultipleOptions::default())
        .group_by([
            col("resource_id"),
            col("service"),
            col("usage_type"),
            col("region"),
            col("attr"),
        ])
        .agg([
            col("attached_to").last().alias("attached_to"),
            col("objects").max().alias("objects"),
            col("q").sum().alias("q"),
            col("day").min().cast(DataType::Int64).alias("first"),
            col("day").max().cast(DataType::Int64).alias("last"),
            col("day").n_unique().cast(DataType::UInt32).alias("days"),
            col("created").min().cast(DataType::Int64).alias("created"),
        ])
        .sort(
            ["resource_id", "usage_type"],
            SortMultipleOptions::default(),
        )
        .collect()
        .map_err(|e| unreadable(&file, e))?;
    let strs = |name: &str| -> Result<Vec<String>, UsageError> {
        let c = df.column(name).map_err(|e| unreadable(&file, e))?;
        Ok(c.str()
            .map_err(|e| unreadable(&file, e))?
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect())
    };
    let decs = |name: &str| -> Result<Vec<Option<Decimal>>, UsageError> {
        let c = df.column(name).map_err(|e| unreadable(&file, e))?;
        let ca = c.decimal().map_err(|e| unreadable(&file, e))?;
        let scale = ca.scale() as u32;
        Ok(ca
            .physical()
            .iter()
            .map(|v| {
                v.and_then(|m| Decimal::try_from_i128_with_scale(m, scale).ok())
                    .map(|d| d.normalize())
            })
            .collect())
    };
    let ints = |name: &str| -> Result<Vec<Option<i64>>, UsageError> {
        let c = df.column(name).map_err(|e| unreadable(&file, e))?;
        Ok(c.i64().map_err(|e| unreadable(&file, e))?.iter().collect())
    };
    let (rid, svc, ut, region, attr, att) = (
        strs("resource_id")?,
        strs("service")?,
        strs("usage_type")?,
        strs("region")?,
        strs("attr")?,
        strs("attached_to")?,
    );
    let (objects, q) = (decs("objects")?, decs("q")?);
    let (first, last, created) = (ints("first")?, ints("last")?, ints("created")?);
    let days = df
        .column("days")
        .and_then(|c| c.u32().cloned())
        .map_err(|e| unreadable(&file, e))?;
    let day = |ms: Option<i64>| {
        ms.and_then(DateTime::<Utc>::from_timestamp_millis)
            .map(|d| d.date_naive())
            .unwrap_or(NaiveDate::MIN)
    };
    let mut inv = Inventory::default();
    for i in 0..df.height() {
        let r = ResourceUsage {
            resource_id: rid[i].clone(),
            service: svc[i].clone(),
            usage_type: ut[i].clone(),
            region: region[i].clone(),
            attr: attr[i].clone(),
            attached_to: att[i].clone(),
            objects: objects[i],
            quantity: q[i].unwrap_or_default(),
            first_day: day(first[i]),
            last_day: day(last[i]),
            days: days.get(i).unwrap_or(0),
            created: created[i].map(|ms| day(Some(ms))),
        };
        inv.first_day = Some(inv.first_day.map_or(r.first_day, |f| f.min(r.first_day)));
        inv.last_day = Some(inv.last_day.map_or(r.last_day, |l| l.max(r.last_day)));
        inv.resources.push(r);
    }
    Ok(inv)
}
