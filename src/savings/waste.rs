//! Waste: public IPv4 addresses associated with nothing, EBS volumes attached to nothing or to
//! instances that have not run lately (a stopped instance still pays for its volumes), and gp2
//! volumes that would cost less as gp3 with the same baseline performance.

use chrono::Duration;
use rust_decimal::Decimal;

use super::{Kind, Opportunity, cost, pricer};
use crate::catalog::Catalog;
use crate::error::MissingPrice;
use crate::pricing::{PriceError, VolumeSpec, VolumeType};
use crate::usage::inventory::Inventory;

fn missing(e: PriceError) -> MissingPrice {
    match e {
        PriceError::Missing(m) => m,
        PriceError::Invalid(msg) => MissingPrice {
            region: String::new(),
            service: "ebs".into(),
            item: msg,
            what: "valid volume".into(),
        },
    }
}

/// Days without running after which an instance counts as stopped.
pub const STOPPED_AFTER_DAYS: i64 = 7;

/// Age from which a snapshot counts as old (as of the file's last day).
pub const OLD_SNAPSHOT_DAYS: i64 = 90;

/// Finds waste in a usage file's inventory.
pub fn waste(catalog: &Catalog, inv: &Inventory) -> Result<Vec<Opportunity>, MissingPrice> {
    let mut out = Vec::new();
    let hpm = super::month_hours();
    let Some(last) = inv.last_day else {
        return Ok(out);
    };
    let ran_lately = |id: &str| {
        inv.resources.iter().any(|r| {
            r.resource_id == id
                && r.service == "ec2"
                && r.last_day > last - Duration::days(STOPPED_AFTER_DAYS)
        })
    };
    for r in &inv.resources {
        let observed_hours = Decimal::from(r.days.max(1) * 24);
        match (r.service.as_str(), r.usage_type.as_str()) {
            ("public_ipv4", "ip-hours") if r.attached_to == "none" => {
                let mut p = pricer(catalog);
                let now = cost(
                    &p.public_ipv4(&r.resource_id, &r.region, hpm, Decimal::ONE, true)
                        .map_err(missing)?,
                );
                out.push(Opportunity::new(
                    Kind::UnassociatedAddress,
                    &r.resource_id,
                    &r.region,
                    "Release the address (it is associated with nothing)".into(),
                    now,
                    Decimal::ZERO,
                    format!("an idle public IPv4 address costs the same as one in use: {} hours a month", hpm),
                ));
            }
            ("ebs", "volume-gb-hours") => {
                let Ok(vt) = r.attr.parse::<VolumeType>() else {
                    continue;
                };
                let size = (r.quantity / observed_hours).round_dp(2);
                let spec = VolumeSpec {
                    volume_type: vt,
                    size_gb: size,
                    iops: None,
                    throughput_mbps: None,
                    io_requests: None,
                };
                let mut p = pricer(catalog);
                let now = cost(
                    &p.ebs_volume(&r.resource_id, &r.region, &spec, hpm, Decimal::ONE)
                        .map_err(missing)?,
                );
                if r.attached_to == "none" {
                    out.push(Opportunity::new(
                        Kind::UnattachedVolume,
                        &r.resource_id,
                        &r.region,
                        "Snapshot the volume if its data matters, then delete it (it is attached to nothing)".into(),
                        now,
                        Decimal::ZERO,
                        format!("{size} GB {vt} attached to nothing for {} days", r.days),
                    ));
                    continue;
                }
                if !r.attached_to.is_empty() && !ran_lately(&r.attached_to) {
                    out.push(Opportunity::new(
                        Kind::StoppedInstanceVolume,
                        &r.resource_id,
                        &r.region,
                        format!("Instance {} has not run for {STOPPED_AFTER_DAYS}+ days: snapshot and delete the volume, or terminate the instance", r.attached_to),
                        now,
                        Decimal::ZERO,
                        format!("{size} GB {vt}: a stopped instance still pays for its volumes"),
                    ));
                    continue;
                }
                if vt == VolumeType::Gp2 && catalog.rate("ebs", &r.region, "storage/gp3").is_ok() {
                    // gp2's baseline: 3 IOPS per GB (100 to 16,000); 128 MB/s up to 170 GB, 250 above.
                    let gp2_iops =
                        (size * Decimal::from(3)).clamp(Decimal::from(100), Decimal::from(16000));
                    let included = catalog.fact("ebs", &r.region, "included-iops/gp3")?;
                    let iops = gp2_iops.max(included).ceil();
                    let throughput = if size > Decimal::from(170) {
                        Decimal::from(250)
                    } else {
                        catalog.fact("ebs", &r.region, "included-throughput/gp3")?
                    };
                    let gp3 = VolumeSpec {
                        volume_type: VolumeType::Gp3,
                        size_gb: size,
                        iops: Some(iops),
                        throughput_mbps: Some(throughput),
                        io_requests: None,
                    };
                    let mut p = pricer(catalog);
                    let after = cost(
                        &p.ebs_volume(&r.resource_id, &r.region, &gp3, hpm, Decimal::ONE)
                            .map_err(missing)?,
                    );
                    if after < now {
                        out.push(Opportunity::new(
                            Kind::Gp2ToGp3,
                            &r.resource_id,
                            &r.region,
                            format!("Modify the volume to gp3 with {iops} IOPS and {throughput} MB/s (no downtime)"),
                            now,
                            after,
                            format!("{size} GB gp2 ({gp2_iops} baseline IOPS) → gp3 with at least the same baseline"),
                        ));
                    }
                }
            }
            ("ebs", u) if u.starts_with("snapshot-gb") => {
                // Age: from `created_at` when the file gives it, else at least the days seen.
                let born = r.created.unwrap_or(r.first_day);
                let age = (last - born).num_days();
                let source = r.attached_to.as_str();
                let source_gone = !source.is_empty()
                    && source != "none"
                    && !inv
                        .resources
                        .iter()
                        .any(|v| v.resource_id == source && v.usage_type == "volume-gb-hours");
                if age < OLD_SNAPSHOT_DAYS && !source_gone {
                    continue;
                }
                let size = (r.quantity / observed_hours).round_dp(2);
                let mut p = pricer(catalog);
                let now = cost(
                    &p.ebs_snapshot(&r.resource_id, &r.region, size, hpm, Decimal::ONE)
                        .map_err(missing)?,
                );
                let why = match (age >= OLD_SNAPSHOT_DAYS, source_gone) {
                    (true, true) => format!("{age} days old, and its volume {source} is gone"),
                    (true, false) => format!("{age} days old"),
                    _ => format!("its volume {source} is gone"),
                };
                out.push(Opportunity::new(
                    Kind::OldSnapshot,
                    &r.resource_id,
                    &r.region,
                    format!("Delete the snapshot if no restore needs it ({why})"),
                    now,
                    Decimal::ZERO,
                    format!(
                        "{size} GB of snapshot data; snapshots are incremental, so deleting one frees only the data no other snapshot references: the saving is at most this"
                    ),
                ));
            }
            _ => {}
        }
    }
    Ok(out)
}
