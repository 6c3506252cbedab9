//! The tests every usage row must pass, in order (`checks`): the first that holds is the row's
//! reason, which carries it (what it is: a service not priced, a price the catalog lacks) or
//! rejects it (what is wrong with it: a time that does not parse). The last test, whether the
//! catalog has the row's price, is asked once per distinct key (`PriceCheck`).

use std::collections::HashMap;

use polars::prelude::*;

use super::USAGE_TYPES;
use super::columns::{MAX_PERIOD_MS, one_of, row_of, udf_texts};
use crate::catalog::{Catalog, Ec2Model, Os};
use crate::pricing::StorageClass;

/// The column of each row's reason (null when it is priced).
pub(crate) const REASON: &str = "__reason";
/// Whether a row with a reason is carried at its billed cost (see [`carry_of`]).
pub(crate) const CARRY: &str = "__carry";

/// `service = name`.
fn svc(name: &str) -> Expr {
    col("service").eq(lit(name))
}

/// The attribute that selects the price (EC2: `instance_type/os/purchase`), from the canonical
/// columns.
pub(crate) fn price_attr() -> Expr {
    when(svc("ec2"))
        .then(concat_str(
            [col("instance_type"), col("os"), col("purchase")],
            "/",
            false,
        ))
        .when(svc("ebs").and(col("usage_type").str().starts_with(lit("snapshot-gb"))))
        .then(lit(""))
        .when(svc("ebs"))
        .then(col("volume_type"))
        .when(svc("s3"))
        .then(col("storage_class"))
        .when(svc("lambda"))
        .then(col("architecture"))
        .when(svc("data_transfer").and(col("usage_type").eq(lit("inter-region-gb"))))
        .then(col("destination_region").fill_null(lit("")))
        .otherwise(lit(""))
}

/// The price key `service|region|usage_type|attr` (needs the `attr` column), as a missing
/// price's reason names it.
pub(crate) fn price_key() -> Expr {
    concat_str(
        [
            col("service"),
            col("region"),
            col("usage_type"),
            col("attr"),
        ],
        "|",
        false,
    )
}

/// What a test's reason says.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reason {
    /// No reason: the row is not usage (a charge), taken as billed.
    Charge,
    /// A fixed text.
    Text(&'static str),
    /// A text with the row's value of a column between its two parts; a null value is empty,
    /// or, with `required`, makes the reason null.
    With {
        before: &'static str,
        column: &'static str,
        after: &'static str,
        required: bool,
    },
}

/// The columns [`Reason::With`] reads, in the order `reason_of` passes them.
const REASON_COLUMNS: [&str; 3] = ["raw_usage", "os", "service"];

/// One test of the validation chain: when `when` holds (and no earlier test did), the row is
/// rejected with `reason`.
pub(crate) struct Check {
    when: Expr,
    reason: Reason,
    /// Whether the test looks at a row's own times or quantity (not only at the columns that
    /// identify what it prices).
    per_row: bool,
}

/// Every test a row must pass, in order: the first that holds gives the reason (on canonical
/// columns, plus `attr` and `key`).
pub(crate) fn checks(catalog: &Catalog) -> Vec<Check> {
    let regions: Vec<String> = catalog.regions().map(|r| r.code.clone()).collect();
    let region_refs: Vec<&str> = regions.iter().map(String::as_str).collect();
    let services: Vec<&str> = USAGE_TYPES.iter().map(|(s, _)| *s).collect();
    let types: Vec<String> = catalog.instance_types().map(|t| t.name.clone()).collect();
    let type_refs: Vec<&str> = types.iter().map(String::as_str).collect();

    let mut usage_type_ok = lit(false);
    for (svc_name, kinds) in USAGE_TYPES {
        usage_type_ok = usage_type_ok.or(svc(svc_name).and(one_of(col("usage_type"), kinds)));
    }
    let reason_text = Reason::Text;
    let key = |when: Expr, reason: Reason| Check {
        when,
        reason,
        per_row: false,
    };
    let row = |when: Expr, reason: Reason| Check {
        when,
        reason,
        per_row: true,
    };
    vec![
        key(col("line_type").neq(lit("usage")), Reason::Charge),
        row(
            col("start").is_null(),
            reason_text(
                "column `usage_start`: expected an RFC 3339 timestamp such as 2026-10-01T00:00:00Z",
            ),
        ),
        row(
            col("end").is_null(),
            reason_text(
                "column `usage_end`: expected an RFC 3339 timestamp such as 2026-10-01T01:00:00Z",
            ),
        ),
        row(
            col("end").lt_eq(col("start")),
            reason_text("column `usage_end`: expected a time after usage_start"),
        ),
        row(
            (col("end").cast(DataType::Int64) - col("start").cast(DataType::Int64))
                .gt(lit(MAX_PERIOD_MS)),
            reason_text("column `usage_end`: expected a period of at most 31 days"),
        ),
        // What cloudcost does not model is said before anything about the row's region: a
        // billing file carries such rows at their billed cost, wherever they are.
        key(
            col("service").eq(lit("unpriced")),
            Reason::With {
                before: "not priced by cloudcost: ",
                column: "raw_usage",
                after: "",
                required: false,
            },
        ),
        key(
            svc("ec2").and(col("os").str().starts_with(lit("operation "))),
            Reason::With {
                before: "missing price: the catalog has no EC2 price for ",
                column: "os",
                after: " (it prices Linux, RunInstances, and Windows, RunInstances:0002)",
                required: false,
            },
        ),
        key(
            col("region").is_null(),
            reason_text("column `region`: expected a region code"),
        ),
        key(
            one_of(col("region"), &region_refs).not(),
            reason_text("column `region`: unknown region"),
        ),
        key(
            col("service")
                .is_null()
                .or(one_of(col("service"), &services).not()),
            reason_text(
                "column `service`: expected one of ec2, ebs, s3, lambda, data_transfer, public_ipv4",
            ),
        ),
        key(
            usage_type_ok.not(),
            Reason::With {
                before: "column `usage_type`: not a usage type of service ",
                column: "service",
                after: " (see docs/usage-format.md)",
                required: true,
            },
        ),
        key(
            col("resource_id").is_null(),
            reason_text("column `resource_id`: expected a resource id"),
        ),
        row(
            col("q").is_null(),
            reason_text("column `quantity`: expected a decimal number"),
        ),
        row(
            col("q").lt(lit(0)),
            reason_text("column `quantity`: expected a non-negative number"),
        ),
        key(
            svc("ec2").and(col("instance_type").is_null()),
            reason_text("column `instance_type`: required for ec2 rows"),
        ),
        key(
            svc("ec2").and(one_of(col("instance_type"), &type_refs).not()),
            reason_text("column `instance_type`: unknown instance type"),
        ),
        key(
            svc("ec2").and(one_of(col("os"), &["linux", "windows"]).not()),
            reason_text("column `os`: expected linux or windows"),
        ),
        key(
            svc("ec2").and(one_of(col("purchase"), &["on-demand", "spot"]).not()),
            reason_text("column `purchase_option`: expected on-demand or spot"),
        ),
        key(
            svc("ebs")
                .and(
                    col("usage_type")
                        .str()
                        .starts_with(lit("snapshot-gb"))
                        .not(),
                )
                .and(
                    one_of(
                        col("volume_type"),
                        &["gp2", "gp3", "io1", "io2", "st1", "sc1", "standard"],
                    )
                    .not(),
                ),
            reason_text("column `volume_type`: expected gp2, gp3, io1, io2, st1, sc1 or standard"),
        ),
        key(
            svc("s3").and(
                one_of(
                    col("storage_class"),
                    &[
                        "standard",
                        "intelligent-tiering",
                        "standard-ia",
                        "onezone-ia",
                        "glacier-ir",
                        "glacier-flexible",
                        "deep-archive",
                    ],
                )
                .not(),
            ),
            reason_text(
                "column `storage_class`: expected an S3 storage class (standard, intelligent-tiering, standard-ia, onezone-ia, glacier-ir, glacier-flexible, deep-archive)",
            ),
        ),
        key(
            svc("lambda").and(one_of(col("architecture"), &["x86_64", "arm64"]).not()),
            reason_text("column `architecture`: expected x86_64 or arm64"),
        ),
        // The last test, whether the catalog has the price, is `PriceCheck`'s: asked of each
        // distinct key after these, not of each row.
    ]
}

/// The last test of the chain: whether the catalog has a price for a row's key. Asked of each
/// distinct key (of the groups a file's rows sum into, or the fast path's combinations), so
/// that the catalog reads only the regions the file uses.
pub(crate) struct PriceCheck<'a> {
    catalog: &'a Catalog,
    known: HashMap<String, bool, foldhash::fast::FixedState>,
}

impl<'a> PriceCheck<'a> {
    pub(crate) fn new(catalog: &'a Catalog) -> Self {
        PriceCheck {
            catalog,
            known: HashMap::default(),
        }
    }

    /// The reason a key's rows are not priced, when the catalog lacks its price.
    pub(crate) fn missing(
        &mut self,
        service: &str,
        region: &str,
        usage_type: &str,
        attr: &str,
    ) -> Option<String> {
        let key = format!("{service}|{region}|{usage_type}|{attr}");
        let ok = match self.known.get(&key) {
            Some(ok) => *ok,
            None => {
                let ok = priceable(self.catalog, service, region, usage_type, attr);
                self.known.insert(key.clone(), ok);
                ok
            }
        };
        (!ok).then(|| format!("{MISSING_PRICE}{key}"))
    }

    /// The keys found missing (`service|region|usage_type|attr`).
    pub(crate) fn missing_keys(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .known
            .iter()
            .filter(|(_, ok)| !**ok)
            .map(|(k, _)| k.clone())
            .collect();
        v.sort();
        v
    }
}

/// How a missing price's reason begins (the key follows).
pub(crate) const MISSING_PRICE: &str = "missing price: the catalog has no price for ";

/// Whether the first test that holds is about what the row prices, not about the row itself
/// (its times or quantity): in a billing file such a row (a service or usage type not modelled,
/// a price the catalog lacks) is well formed, and is carried at its billed cost, not rejected.
pub(crate) fn carry_of(checks: &[Check]) -> Expr {
    checks.iter().rev().fold(lit(false), |rest, c| {
        when(c.when.clone()).then(lit(!c.per_row)).otherwise(rest)
    })
}

/// The reject reason (null when the row is priced) from the tests in order. With `keys_only`,
/// only the tests of the identifying columns: enough for a group of rows that all passed the
/// per-row tests, since the first test that holds is then among those.
///
/// The chain picks the number of the first test that holds (a chain of numbers is cheap per
/// row; one of texts copied every row's text at each of its twenty steps), and the reason's text
/// is written only for the rows that have one.
pub(crate) fn reason_of(checks: Vec<Check>, keys_only: bool) -> Expr {
    let kept: Vec<Check> = checks
        .into_iter()
        .filter(|c| !keys_only || !c.per_row)
        .collect();
    let reasons: Vec<Reason> = kept.iter().map(|c| c.reason).collect();
    // Folded from the last test to the first: `when(a).then(x).otherwise(when(b)...)` is what a
    // chained `when/then` builds too.
    let index = kept
        .into_iter()
        .enumerate()
        .rev()
        .fold(lit(NULL).cast(DataType::UInt32), |rest, (i, c)| {
            when(c.when).then(lit(i as u32)).otherwise(rest)
        });
    let mut inputs = vec![index];
    inputs.extend(REASON_COLUMNS.iter().map(|c| col(*c)));
    map_multiple(
        move |cols: &mut [Column]| {
            let index = cols[0].u32()?.clone();
            let values = udf_texts(&cols[1..])?;
            let out: StringChunked = index
                .iter()
                .enumerate()
                .map(|(row, k)| match reasons.get(k? as usize)? {
                    Reason::Charge => None,
                    Reason::Text(t) => Some(t.to_string()),
                    Reason::With {
                        before,
                        column,
                        after,
                        required,
                    } => {
                        let c = REASON_COLUMNS.iter().position(|x| x == column)?;
                        match row_of(&values[c], row) {
                            Some(v) => Some(format!("{before}{v}{after}")),
                            None if *required => None,
                            None => Some(format!("{before}{after}")),
                        }
                    }
                })
                .collect();
            Ok(out.into_column())
        },
        inputs,
        |_, _| Ok(Field::new(REASON.into(), DataType::String)),
    )
}

/// Whether the catalog prices a usage key: its service, region, canonical usage type and price
/// attribute (as the scan's `price_attr` makes it: `m5.large/linux/spot`, `gp3`, `standard-ia`,
/// `arm64`, a destination region, or empty). Asked once per distinct key of a file, so only the
/// regions a file uses are read from the catalog.
fn priceable(catalog: &Catalog, service: &str, region: &str, usage_type: &str, attr: &str) -> bool {
    let has = |svc: &str, key: &str| catalog.rate(svc, region, key).is_ok();
    let is = |a: &str, b: &str| usage_type == a || usage_type == b;
    match service {
        "ec2" => {
            let parts: Vec<&str> = attr.split('/').collect();
            let [t, os, purchase] = parts[..] else {
                return false;
            };
            let Ok(os) = os.parse::<Os>() else {
                return false;
            };
            usage_type == "instance-seconds"
                && catalog.ec2_price(region, t, os, Ec2Model::OnDemand).is_ok()
                && match purchase {
                    "on-demand" => true,
                    "spot" => catalog.spot_estimate(region, None, t, os).is_ok(),
                    _ => false,
                }
        }
        "ebs" => {
            if is("snapshot-gb-hours", "snapshot-gb-months") {
                return attr.is_empty() && has("ebs", "snapshot/standard");
            }
            if usage_type == "volume-io-requests" {
                return attr == "standard" && has("ebs", "io/standard");
            }
            let kind = if is("volume-gb-hours", "volume-gb-months") {
                "storage"
            } else if is("volume-iops-hours", "volume-iops-months") {
                "iops"
            } else if is("volume-throughput-hours", "volume-throughput-months") {
                "throughput"
            } else {
                return false;
            };
            !attr.is_empty() && has("ebs", &format!("{kind}/{attr}"))
        }
        "s3" => {
            let Some(class) = StorageClass::ALL.into_iter().find(|c| c.as_str() == attr) else {
                return false;
            };
            match usage_type {
                "storage-gb-hours" | "storage-gb-months" => has("s3", &class.storage_key()),
                "put-requests" => has("s3", &format!("requests/{attr}/put")),
                "get-requests" => has("s3", &format!("requests/{attr}/get")),
                "retrieval-gb" => {
                    !class.has_retrieval_fee() || has("s3", &format!("retrieval/{attr}"))
                }
                _ => false,
            }
        }
        "lambda" => {
            ["x86_64", "arm64"].contains(&attr)
                && match usage_type {
                    "requests" => has("lambda", "requests"),
                    "gb-seconds" => has("lambda", &format!("duration/{attr}")),
                    "ephemeral-gb-seconds" => has("lambda", "ephemeral-storage"),
                    _ => false,
                }
        }
        "data_transfer" => match usage_type {
            "internet-out-gb" => attr.is_empty() && has("data_transfer", "internet-out"),
            "inter-az-gb" | "regional-gb" => attr.is_empty() && has("data_transfer", "inter-az"),
            "internet-in-gb" => attr.is_empty() && has("data_transfer", "internet-in"),
            // One price to every destination, or a price per destination (the feeds').
            "inter-region-gb" => {
                has("data_transfer", "inter-region")
                    && (attr.is_empty() || catalog.region(attr).is_some())
                    || catalog.region(attr).is_some()
                        && has("data_transfer", &format!("inter-region/{attr}"))
            }
            _ => false,
        },
        "public_ipv4" => {
            usage_type == "ip-hours" && attr.is_empty() && has("vpc", "public-ipv4/in-use")
        }
        _ => false,
    }
}
