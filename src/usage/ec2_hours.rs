//! EC2 usage by clock hour, summed as `groups.rs` adds the rows of a CSV or Parquet file, so
//! that `--commitments` and `--spot-prices` do not need a query over the whole file
//! (`first_pass::hourly_ec2`'s took 9 of a 10-million-row CSV file's 15 seconds).
//!
//! Each series (one combination of raw key fields, see `groups.rs`) that is EC2 with a resource
//! id has a *class*: the raw fields `hourly_ec2` groups by (region, instance type, OS, purchase
//! option, availability zone) and, for spot usage, the resource id. A row of such a series adds its
//! quantity, and its started hours (for Windows), to its class's sum for its clock hour. The result
//! is the frame `hourly_ec2`'s query gives (tested against it), so the rest is unchanged.
//!
//! The query sums only the rows priced from sums: not those of resources left to the per-row path.
//! A class may hold several resources (on-demand usage is summed over instances), so a slow
//! resource's hours cannot be taken back out of it; when any series of a slow resource has a class,
//! these sums are dropped and the query runs as before (`first_pass::classify`). On a clean file
//! none does.

use std::collections::HashMap;

use polars::prelude::*;

use super::columns::HOUR_MS;
use super::days::started_hours_of;
use super::keys::{decode_fields, encode_fields};

/// A series without a class.
const NO_CLASS: u32 = u32::MAX;
/// The raw columns EC2 hours are summed by, besides the hour and (for spot) the resource id.
pub(crate) const HOURLY_KEYS: [&str; 5] = [
    "region",
    "instance_type",
    "os",
    "purchase_option",
    "availability_zone",
];

/// Where a series' key holds what a class needs (positions among the key names).
#[derive(Clone)]
pub(crate) struct HourlySpec {
    service: usize,
    resource: usize,
    purchase: Option<usize>,
    /// The `HOURLY_KEYS` present, and their positions.
    fields: Vec<(&'static str, usize)>,
}

impl HourlySpec {
    /// The positions in the key `names`; `None` when the file has no service or resource column.
    pub(crate) fn new(names: &[&str]) -> Option<Self> {
        let pos = |c: &str| names.iter().position(|n| *n == c);
        Some(HourlySpec {
            service: pos("service")?,
            resource: pos("resource_id")?,
            purchase: pos("purchase_option"),
            fields: HOURLY_KEYS
                .iter()
                .filter_map(|c| Some((*c, pos(c)?)))
                .collect(),
        })
    }
}

/// One class's sums for one clock hour.
pub(crate) struct HourSum {
    /// The clock hour (milliseconds).
    pub(crate) hour: i64,
    /// The class (a row of [`ClassHours::classes`]).
    pub(crate) class: u32,
    /// Instance-seconds, at `SCALE` places.
    pub(crate) q: i128,
    /// Started hours (what Windows bills).
    pub(crate) started: i64,
}

/// The EC2 hours summed in the first pass: the classes, one row each (`rid`, the resource id for
/// spot usage and empty otherwise, and the raw `HOURLY_KEYS` present), and their hourly sums. The
/// classes are few (a few hundred where the sums are a few hundred thousand), so the keys are made
/// canonical once per class (`first_pass::hourly_ec2`).
pub(crate) struct ClassHours {
    pub(crate) classes: DataFrame,
    pub(crate) sums: Vec<HourSum>,
}

impl ClassHours {
    /// The sums as `hourly_ec2`'s grouped query gives them: `hour`, `rid`, `q`, `started_hours`
    /// and the raw `HOURLY_KEYS` present.
    #[cfg(test)]
    pub(crate) fn to_frame(&self) -> Option<DataFrame> {
        let n = self.sums.len();
        let rows: Vec<IdxSize> = self
            .sums
            .iter()
            .map(|s| IdxSize::try_from(s.class).ok())
            .collect::<Option<_>>()?;
        let mut frame = self.classes.take(&IdxCa::from_vec("i".into(), rows)).ok()?;
        let hours = self.sums.iter().map(|s| Some(s.hour)).collect();
        let q = self.sums.iter().map(|s| Some(s.q)).collect();
        let started: Vec<i64> = self.sums.iter().map(|s| s.started).collect();
        frame
            .with_column(super::columns::day_column_named("hour", hours))
            .ok()?;
        frame
            .with_column(super::columns::decimal_column("q", q))
            .ok()?;
        frame
            .with_column(Column::new("started_hours".into(), started))
            .ok()?;
        debug_assert_eq!(frame.height(), n);
        Some(frame)
    }
}

/// The classes and their hourly sums.
pub(crate) struct Hourly {
    spec: HourlySpec,
    key_fields: usize,
    /// Each series' class, `NO_CLASS` when it has none.
    class_of: Vec<u32>,
    classes: HashMap<Vec<u8>, u32, foldhash::fast::FixedState>,
    class_keys: Vec<Vec<u8>>,
    /// Per class, the hour last added to and its slot in `sums` (rows come an hour at a time, so
    /// most rows find their slot here), and the latest hour it has a slot for (rows in time order
    /// start each hour after it: a new slot, found without a lookup).
    current: Vec<(i64, u32, i64)>,
    /// Every (hour, class)'s slot, made when a row comes before its class's latest hour (rows
    /// out of time order, or another thread's sums merged), and kept from then on.
    slots: Option<HashMap<(i64, u32), u32, foldhash::fast::FixedState>>,
    sums: Vec<HourSum>,
}

impl Hourly {
    pub(crate) fn new(spec: HourlySpec, key_fields: usize) -> Self {
        Hourly {
            spec,
            key_fields,
            class_of: Vec::new(),
            classes: HashMap::default(),
            class_keys: Vec::new(),
            current: Vec::new(),
            slots: None,
            sums: Vec::new(),
        }
    }

    /// Records the class of the next series, from its key (as `groups` encodes it).
    pub(crate) fn add_series(&mut self, key: &[u8]) {
        let class = self.class_key(key).map_or(NO_CLASS, |k| self.class_id(k));
        self.class_of.push(class);
    }

    /// Whether series `i` has a class.
    pub(crate) fn has_class(&self, series: usize) -> bool {
        self.class_of.get(series).is_some_and(|c| *c != NO_CLASS)
    }

    /// The class key of a series key: `None` when the series is not EC2 with a resource id.
    /// Service, purchase option and resource id are read as `hourly_ec2` reads them: trimmed, the
    /// first two lower-cased.
    fn class_key(&self, key: &[u8]) -> Option<Vec<u8>> {
        let fields = decode_fields(key, self.key_fields)?;
        let text = |i: usize| -> Option<&str> {
            let f = fields.get(i).copied().flatten()?;
            let t = std::str::from_utf8(f).ok()?.trim();
            (!t.is_empty()).then_some(t)
        };
        if text(self.spec.service).is_none_or(|s| s.to_lowercase() != "ec2") {
            return None;
        }
        let id = text(self.spec.resource)?;
        let spot = self
            .spec
            .purchase
            .and_then(text)
            .is_some_and(|p| p.to_lowercase() == "spot");
        let mut class_fields = vec![Some(if spot { id.as_bytes() } else { &b""[..] })];
        class_fields.extend(self.spec.fields.iter().map(|(_, i)| fields[*i]));
        encode_fields(class_fields.into_iter())
    }

    fn class_id(&mut self, key: Vec<u8>) -> u32 {
        if let Some(&c) = self.classes.get(&key) {
            return c;
        }
        let c = self.class_keys.len() as u32;
        self.class_keys.push(key.clone());
        self.classes.insert(key, c);
        self.current.push((i64::MIN, 0, i64::MIN));
        c
    }

    /// Adds a row of series `i` starting at `start` (milliseconds) with quantity `q` (at `SCALE`
    /// places); false when a sum overflows.
    #[inline]
    pub(crate) fn add(&mut self, series: usize, start: i64, q: i128) -> bool {
        let class = self.class_of[series];
        if class == NO_CLASS {
            return true;
        }
        // Windows bills each row's started hours.
        let Ok(started) = i64::try_from(started_hours_of(q)) else {
            return false;
        };
        self.add_sum(class, start.div_euclid(HOUR_MS) * HOUR_MS, q, started)
    }

    #[inline]
    fn add_sum(&mut self, class: u32, hour: i64, q: i128, started: i64) -> bool {
        let (last, slot, latest) = self.current[class as usize];
        let slot = if last == hour {
            slot
        } else {
            let Some(s) = self.slot(class, hour, latest) else {
                return false;
            };
            self.current[class as usize] = (hour, s, latest.max(hour));
            s
        };
        let sum = &mut self.sums[slot as usize];
        match (sum.q.checked_add(q), sum.started.checked_add(started)) {
            (Some(q), Some(started)) => {
                (sum.q, sum.started) = (q, started);
                true
            }
            _ => false,
        }
    }

    /// The slot of (`hour`, `class`), made when new; `None` when there are too many.
    fn slot(&mut self, class: u32, hour: i64, latest: i64) -> Option<u32> {
        let next = u32::try_from(self.sums.len()).ok()?;
        if hour > latest {
            // After the class's latest hour: no slot yet.
            if let Some(slots) = &mut self.slots {
                slots.insert((hour, class), next);
            }
        } else {
            let sums = &self.sums;
            let slots = self.slots.get_or_insert_with(|| {
                sums.iter()
                    .enumerate()
                    .map(|(i, s)| ((s.hour, s.class), i as u32))
                    .collect()
            });
            let s = *slots.entry((hour, class)).or_insert(next);
            if s != next {
                return Some(s);
            }
        }
        self.sums.push(HourSum {
            hour,
            class,
            q: 0,
            started: 0,
        });
        Some(next)
    }

    /// Adds another thread's sums (its classes renumbered as this one's); false on overflow.
    pub(crate) fn merge(&mut self, other: Hourly) -> bool {
        let ids: Vec<u32> = other
            .class_keys
            .into_iter()
            .map(|k| self.class_id(k))
            .collect();
        other
            .sums
            .into_iter()
            .all(|s| self.add_sum(ids[s.class as usize], s.hour, s.q, s.started))
    }

    /// The classes and their sums; `None` when a field is not UTF-8.
    pub(crate) fn into_class_hours(self) -> Option<ClassHours> {
        let n = self.class_keys.len();
        let mut fields: Vec<Vec<Option<&str>>> = (0..=self.spec.fields.len())
            .map(|_| Vec::with_capacity(n))
            .collect();
        for k in &self.class_keys {
            let decoded = decode_fields(k, 1 + self.spec.fields.len())?;
            for (col, f) in fields.iter_mut().zip(decoded) {
                col.push(f.map(std::str::from_utf8).transpose().ok()?);
            }
        }
        let mut fields = fields.into_iter();
        let mut columns = vec![Column::new("rid".into(), fields.next()?)];
        for ((name, _), values) in self.spec.fields.iter().zip(fields) {
            columns.push(Column::new((*name).into(), values));
        }
        Some(ClassHours {
            classes: DataFrame::new(n, columns).ok()?,
            sums: self.sums,
        })
    }
}
