//! S3 data that would cost less in another storage class, once request, retrieval and
//! monitoring fees, the minimum billable object size (128 KB) and the per-object archive overhead
//! are counted. Objects are assumed to be read whole (a GET retrieves one average object). When
//! the cheapest class charges for retrieval and retrieval is a large part of its cost,
//! Intelligent-Tiering (no retrieval fees) is recommended as the safer choice.

use rust_decimal::Decimal;

use super::{Kind, Opportunity, cost, pricer};
use crate::catalog::Catalog;
use crate::error::MissingPrice;
use crate::pricing::{PriceError, S3Usage, StorageClass};
use crate::usage::inventory::Inventory;

fn missing(e: PriceError) -> MissingPrice {
    match e {
        PriceError::Missing(m) => m,
        PriceError::Invalid(msg) => MissingPrice {
            region: String::new(),
            service: "s3".into(),
            item: msg,
            what: "valid usage".into(),
        },
    }
}

/// Finds buckets whose data would cost less in another class.
pub fn storage_classes(
    catalog: &Catalog,
    inv: &Inventory,
) -> Result<Vec<Opportunity>, MissingPrice> {
    let mut out = Vec::new();
    let by_id = inv.by_id();
    let per_month = super::month_hours() / Decimal::from(24);
    for (id, rows) in by_id {
        let Some(storage) = rows.iter().find(|r| {
            r.service == "s3" && r.usage_type == "storage-gb-hours" && r.attr == "standard"
        }) else {
            continue;
        };
        let region = storage.region.as_str();
        let days = Decimal::from(storage.days.max(1));
        let gb = (storage.quantity / (days * Decimal::from(24))).round_dp(3);
        if gb.is_zero() {
            continue;
        }
        let monthly = |usage_type: &str| {
            rows.iter()
                .find(|r| r.usage_type == usage_type)
                .map_or(Decimal::ZERO, |r| (r.quantity / days * per_month).round())
        };
        let (gets, puts) = (monthly("get-requests"), monthly("put-requests"));
        let objects = storage.objects;
        let avg_object_gb = objects.filter(|o| !o.is_zero()).map(|o| gb / o);
        let retrieval_gb = avg_object_gb
            .map_or(gb, |a| (gets * a).min(gb * Decimal::from(1000)))
            .round_dp(3);
        let price = |class: StorageClass| -> Result<Option<Decimal>, MissingPrice> {
            if catalog.rate("s3", region, &class.storage_key()).is_err() {
                return Ok(None);
            }
            let u = S3Usage {
                resource: id,
                region,
                class,
                storage_gb: gb,
                put_requests: puts,
                get_requests: gets,
                retrieval_gb: if class.has_retrieval_fee() {
                    retrieval_gb
                } else {
                    Decimal::ZERO
                },
                objects,
            };
            let mut p = pricer(catalog);
            Ok(Some(cost(&p.s3(&u).map_err(missing)?)))
        };
        let Some(now) = price(StorageClass::Standard)? else {
            continue;
        };
        let mut best: Option<(StorageClass, Decimal)> = None;
        for class in [
            StorageClass::StandardIa,
            StorageClass::GlacierIr,
            StorageClass::IntelligentTiering,
        ] {
            if let Some(c) = price(class)?
                && c < now
                && best.is_none_or(|(_, b)| c < b)
            {
                best = Some((class, c));
            }
        }
        let Some((mut class, mut after)) = best else {
            continue;
        };
        let mut note = String::new();
        if class.has_retrieval_fee() {
            let rate = catalog
                .rate("s3", region, &format!("retrieval/{class}"))
                .map(|r| r.first_price())
                .unwrap_or_default();
            let retrieval_cost = retrieval_gb * rate;
            if retrieval_cost * Decimal::from(5) > now - after
                && let Some(it) = price(StorageClass::IntelligentTiering)?
                && it < now
            {
                note = format!(
                    " Intelligent-Tiering is the safer choice: {class} would spend ${} a month on retrievals at this access rate.",
                    retrieval_cost.round_dp(2)
                );
                class = StorageClass::IntelligentTiering;
                after = it;
            }
        }
        let min_days = catalog
            .fact("s3", region, &format!("min-days/{class}"))
            .ok();
        let min_note = min_days
            .map(|d| {
                format!(
                    " Objects deleted within {} days are billed for {} days.",
                    d.normalize(),
                    d.normalize()
                )
            })
            .unwrap_or_default();
        out.push(Opportunity::new(
            Kind::StorageClass,
            id,
            region,
            format!("Move the data to {class} (a lifecycle rule)"),
            now,
            after,
            format!(
                "{gb} GB in standard, {gets} GETs and {puts} PUTs a month{}; priced with requests, retrievals, minimum object size and monitoring.{note}{min_note}",
                objects.map(|o| format!(", {} objects", o.normalize())).unwrap_or_default()
            ),
        ));
    }
    Ok(out)
}
