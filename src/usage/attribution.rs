//! Who a resource belongs to: its account and its cost allocation tags, when the usage file
//! carries them. Budgets filter on these, and anomalies are watched per account.
//!
//! | layout | account | tags |
//! |---|---|---|
//! | this project's | `account_id` | `tags`: `key=value` pairs separated by `;` |
//! | CUR 1.0 | `lineItem/UsageAccountId` | one column per tag: `resourceTags/user:Team` |
//! | CUR 2.0 | `line_item_usage_account_id` | `resource_tags`: a JSON object (`{"user_team": "web"}`) |
//! | FOCUS 1.x | `SubAccountId` | `Tags`: a JSON object |
//!
//! A resource is named as the bill names it (for CUR and FOCUS rows without a resource id, the
//! usage type). A resource seen under several accounts keeps the first in file order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use polars::prelude::*;

use super::UsageError;
use super::columns::find;
use super::columns::{open, text};
use super::layouts::Layout;

/// Accounts and tags of each resource of a usage file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attribution {
    /// True when the file has an account column.
    pub has_accounts: bool,
    /// True when the file has tags.
    pub has_tags: bool,
    /// Resource id → account id.
    pub account_of: BTreeMap<String, String>,
    /// Resource id → its tags as `key=value` (CUR 1.0's `resourceTags/user:Team` is `Team`).
    pub tags_of: BTreeMap<String, BTreeSet<String>>,
}

impl Attribution {
    /// The account of a resource, when known.
    pub fn account(&self, resource_id: &str) -> Option<&str> {
        self.account_of.get(resource_id).map(String::as_str)
    }

    /// Whether a resource carries the tag `key=value`.
    pub fn has_tag(&self, resource_id: &str, tag: &str) -> bool {
        self.tags_of
            .get(resource_id)
            .is_some_and(|t| t.contains(tag))
    }

    /// The value of a resource's tag `key` (compared as `tag:KEY` compares keys: `Cost Center`,
    /// `user:cost-center` and `user_cost_center` are one key), when it carries one.
    pub fn tag_value(&self, resource_id: &str, key: &str) -> Option<&str> {
        let wanted = super::costs::tag_key(key);
        self.tags_of.get(resource_id)?.iter().find_map(|t| {
            let (k, v) = t.split_once('=')?;
            (super::costs::tag_key(k) == wanted).then_some(v)
        })
    }
}

fn unreadable(file: &str, e: impl std::fmt::Display) -> UsageError {
    UsageError::Unreadable {
        file: file.to_string(),
        message: e.to_string(),
    }
}

/// Whether a usage file is in this project's own format (not a CUR or FOCUS export): the format
/// that resource inventories (waste, idle resources) are read from. Reads the schema only.
pub fn is_own_format(path: &Path) -> Result<bool, UsageError> {
    let file = path.display().to_string();
    // (A gzipped file's inflated copy lives as long as `opened`.)
    let opened = open(path)?;
    let mut lf = opened.lf.clone();
    let schema = lf.collect_schema().map_err(|e| unreadable(&file, e))?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    Ok(Layout::detect(&names) == Some(Layout::Cloudcost))
}

/// A tag column and, for CUR 1.0's per-tag columns, its tag key.
type TagColumn = (String, Option<String>);

struct Columns {
    resource: Expr,
    account: Option<String>,
    /// (column, tag key): CUR 1.0's per-tag columns; a key of None is a JSON object or `k=v;` list.
    tags: Vec<TagColumn>,
}

fn columns(s: &Schema) -> Option<Columns> {
    let names: Vec<String> = s.iter_names().map(|n| n.to_string()).collect();
    let layout = Layout::detect(&names)?;
    let txt = |cands: &[&str]| match find(s, cands) {
        Some(n) => text(s, &n),
        None => lit(NULL).cast(DataType::String),
    };
    let (resource, usage, account, tag_cols): (Expr, Expr, &[&str], Vec<TagColumn>) = match layout {
        Layout::Cloudcost => (
            txt(&["resource_id"]),
            lit(NULL).cast(DataType::String),
            &["account_id"],
            find(s, &["tags"]).map(|c| (c, None)).into_iter().collect(),
        ),
        Layout::Cur1 => (
            txt(&["lineItem/ResourceId"]),
            txt(&["lineItem/UsageType"]),
            &["lineItem/UsageAccountId"],
            names
                .iter()
                .filter_map(|n| {
                    let key = n.strip_prefix("resourceTags/")?;
                    let key = key.strip_prefix("user:").unwrap_or(key);
                    Some((n.clone(), Some(key.to_string())))
                })
                .collect(),
        ),
        Layout::Cur2 => (
            txt(&["line_item_resource_id"]),
            txt(&["line_item_usage_type"]),
            &["line_item_usage_account_id"],
            // CUR 2.0's JSON object, or the legacy Athena layout's column per key
            // (`resource_tags_user_cost_center`).
            find(s, &["resource_tags"])
                .map(|c| (c, None))
                .into_iter()
                .chain(names.iter().filter_map(|n| {
                    let key = n.strip_prefix("resource_tags_")?;
                    let key = key.strip_prefix("user_").unwrap_or(key);
                    Some((n.clone(), Some(key.to_string())))
                }))
                .collect(),
        ),
        _ => (
            txt(&["ResourceId"]),
            txt(&["x_UsageType"]),
            &["SubAccountId"],
            find(s, &["Tags"]).map(|c| (c, None)).into_iter().collect(),
        ),
    };
    // Only text tag columns can be read here (a Parquet map column is not).
    let tags = tag_cols
        .into_iter()
        .filter(|(c, _)| {
            s.get(c)
                .is_some_and(|t| matches!(t, DataType::String | DataType::Null))
        })
        .collect();
    Some(Columns {
        resource: coalesce(&[resource, usage]),
        account: find(s, account),
        tags,
    })
}

/// Parses one tag cell: a JSON object, or `key=value` pairs separated by `;`.
fn parse_tags(cell: &str, out: &mut BTreeSet<String>) {
    let cell = cell.trim();
    if cell.starts_with('{') {
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(cell) {
            for (k, v) in m {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                let k = k.strip_prefix("user_").map(str::to_string).unwrap_or(k);
                out.insert(format!("{k}={v}"));
            }
        }
        return;
    }
    for pair in cell.split(';') {
        if let Some((k, v)) = pair.split_once('=') {
            out.insert(format!("{}={}", k.trim(), v.trim()));
        }
    }
}

/// Reads the accounts and tags of each resource. A file without them gives an empty
/// [`Attribution`]; a file that is not a usage file is an error.
pub fn read_attribution(path: &Path) -> Result<Attribution, UsageError> {
    let file = path.display().to_string();
    let opened = open(path)?;
    let mut lf = opened.lf.clone();
    let schema = lf.collect_schema().map_err(|e| unreadable(&file, e))?;
    let Some(c) = columns(&schema) else {
        return Ok(Attribution::default());
    };
    let mut out = Attribution {
        has_accounts: c.account.is_some(),
        has_tags: !c.tags.is_empty(),
        ..Default::default()
    };
    if c.account.is_none() && c.tags.is_empty() {
        return Ok(out);
    }
    let mut select = vec![c.resource.alias("r")];
    if let Some(a) = &c.account {
        select.push(text(&schema, a).alias("a"));
    }
    for (i, (t, _)) in c.tags.iter().enumerate() {
        select.push(text(&schema, t).alias(format!("t{i}")));
    }
    let df = lf
        .select(select)
        .unique_stable(None, UniqueKeepStrategy::First)
        .collect()
        .map_err(|e| unreadable(&file, e))?;
    let get = |name: &str| -> Result<Vec<Option<String>>, UsageError> {
        let s = df.column(name).map_err(|e| unreadable(&file, e))?;
        let ca = s.str().map_err(|e| unreadable(&file, e))?;
        Ok(ca.iter().map(|v| v.map(str::to_string)).collect())
    };
    let resources = get("r")?;
    let accounts = if c.account.is_some() {
        Some(get("a")?)
    } else {
        None
    };
    let mut tag_cols = Vec::new();
    for (i, (_, key)) in c.tags.iter().enumerate() {
        tag_cols.push((get(&format!("t{i}"))?, key.clone()));
    }
    for (row, r) in resources.iter().enumerate() {
        let Some(r) = r else { continue };
        if let Some(a) = accounts.as_ref().and_then(|a| a[row].as_ref()) {
            out.account_of.entry(r.clone()).or_insert_with(|| a.clone());
        }
        for (values, key) in &tag_cols {
            let Some(v) = &values[row] else { continue };
            let set = out.tags_of.entry(r.clone()).or_default();
            match key {
                Some(k) => {
                    set.insert(format!("{k}={v}"));
                }
                None => parse_tags(v, set),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_cells_of_every_layout() {
        let mut s = BTreeSet::new();
        parse_tags("team=web; env = prod", &mut s);
        parse_tags(r#"{"user_owner": "ana", "cost": 3}"#, &mut s);
        let v: Vec<&str> = s.iter().map(String::as_str).collect();
        assert_eq!(v, ["cost=3", "env=prod", "owner=ana", "team=web"]);
    }

    #[test]
    fn accounts_and_tags_of_a_usage_csv() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("u.csv");
        std::fs::write(
            &p,
            "usage_start,usage_end,region,service,usage_type,resource_id,quantity,account_id,tags\n\
             2026-10-01T00:00:00Z,2026-10-01T01:00:00Z,us-east-1,ec2,instance-seconds,i-1,3600,111111111111,team=web\n\
             2026-10-01T01:00:00Z,2026-10-01T02:00:00Z,us-east-1,ec2,instance-seconds,i-1,3600,111111111111,team=web\n\
             2026-10-01T00:00:00Z,2026-10-01T01:00:00Z,us-east-1,ec2,instance-seconds,i-2,3600,222222222222,\n",
        )
        .unwrap();
        let a = read_attribution(&p).unwrap();
        assert!(a.has_accounts && a.has_tags);
        assert_eq!(a.account("i-1"), Some("111111111111"));
        assert_eq!(a.account("i-2"), Some("222222222222"));
        assert!(a.has_tag("i-1", "team=web"));
        assert!(!a.has_tag("i-2", "team=web"));
    }
}
