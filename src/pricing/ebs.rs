//! EBS volumes and snapshots, billed per second of provisioning: storage per GB-month, gp3 IOPS
//! and throughput above what is included, io1/io2 provisioned IOPS (io2 in tiers per volume),
//! magnetic I/O requests.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::{LineItem, PriceError, PriceResult, Pricer, non_negative};

/// An EBS volume type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VolumeType {
    /// General purpose SSD, gp2.
    Gp2,
    /// General purpose SSD, gp3.
    Gp3,
    /// Provisioned IOPS SSD, io1.
    Io1,
    /// Provisioned IOPS SSD, io2.
    Io2,
    /// Throughput optimized HDD.
    St1,
    /// Cold HDD.
    Sc1,
    /// Previous-generation magnetic.
    Standard,
}

impl VolumeType {
    /// The catalog's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeType::Gp2 => "gp2",
            VolumeType::Gp3 => "gp3",
            VolumeType::Io1 => "io1",
            VolumeType::Io2 => "io2",
            VolumeType::St1 => "st1",
            VolumeType::Sc1 => "sc1",
            VolumeType::Standard => "standard",
        }
    }
}

impl fmt::Display for VolumeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VolumeType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "gp2" => VolumeType::Gp2,
            "gp3" => VolumeType::Gp3,
            "io1" => VolumeType::Io1,
            "io2" => VolumeType::Io2,
            "st1" => VolumeType::St1,
            "sc1" => VolumeType::Sc1,
            "standard" | "magnetic" => VolumeType::Standard,
            other => {
                return Err(format!(
                    "expected an EBS volume type (gp2, gp3, io1, io2, st1, sc1, standard), found `{other}`"
                ));
            }
        })
    }
}

/// One EBS volume's provisioning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VolumeSpec {
    /// Volume type.
    pub volume_type: VolumeType,
    /// Size, GB.
    pub size_gb: Decimal,
    /// Provisioned IOPS (gp3, io1, io2).
    pub iops: Option<Decimal>,
    /// Provisioned throughput, MB/s (gp3).
    pub throughput_mbps: Option<Decimal>,
    /// I/O requests this month (standard / magnetic only).
    pub io_requests: Option<Decimal>,
}

impl Pricer<'_> {
    /// Prices `count` volumes provisioned for `hours` each (a fraction of the month's hours).
    pub fn ebs_volume(
        &mut self,
        resource: &str,
        region: &str,
        v: &VolumeSpec,
        hours: Decimal,
        count: Decimal,
    ) -> PriceResult {
        let inv = PriceError::Invalid;
        non_negative("size_gb", v.size_gb).map_err(inv)?;
        non_negative("hours", hours).map_err(inv)?;
        let t = v.volume_type;
        if v.iops.is_some() && !matches!(t, VolumeType::Gp3 | VolumeType::Io1 | VolumeType::Io2) {
            return Err(inv(format!(
                "`iops` applies to gp3, io1 and io2 volumes, not {t}"
            )));
        }
        if v.throughput_mbps.is_some() && t != VolumeType::Gp3 {
            return Err(inv(format!(
                "`throughput_mbps` applies to gp3 volumes only, not {t}"
            )));
        }
        if v.io_requests.is_some() && t != VolumeType::Standard {
            return Err(inv(format!(
                "`io_requests` applies to standard (magnetic) volumes only, not {t}"
            )));
        }
        let fraction = hours / self.hours_per_month;
        let mut lines = Vec::new();
        let storage = self.rate("ebs", region, &format!("storage/{t}"))?;
        lines.push(self.flat_line(
            storage,
            resource,
            "ebs",
            format!("Storage ({t})"),
            v.size_gb * fraction * count,
        ));
        match t {
            VolumeType::Gp3 => {
                let included_iops = self.catalog.fact("ebs", region, "included-iops/gp3")?;
                let included_tp = self
                    .catalog
                    .fact("ebs", region, "included-throughput/gp3")?;
                let iops = non_negative("iops", v.iops.unwrap_or(included_iops)).map_err(inv)?;
                let tp = non_negative("throughput_mbps", v.throughput_mbps.unwrap_or(included_tp))
                    .map_err(inv)?;
                if iops > included_iops {
                    let r = self.rate("ebs", region, "iops/gp3")?;
                    let q = (iops - included_iops) * fraction * count;
                    lines.push(self.flat_line(
                        r,
                        resource,
                        "ebs",
                        format!("Provisioned IOPS above {} (gp3)", included_iops.normalize()),
                        q,
                    ));
                }
                if tp > included_tp {
                    let r = self.rate("ebs", region, "throughput/gp3")?;
                    let q = (tp - included_tp) * fraction * count;
                    lines.push(self.flat_line(
                        r,
                        resource,
                        "ebs",
                        format!(
                            "Provisioned throughput above {} MB/s (gp3)",
                            included_tp.normalize()
                        ),
                        q,
                    ));
                }
            }
            VolumeType::Io1 | VolumeType::Io2 => {
                let iops = v
                    .iops
                    .ok_or_else(|| inv(format!("`iops` is required for {t} volumes")))?;
                non_negative("iops", iops).map_err(inv)?;
                let r = self.rate("ebs", region, &format!("iops/{t}"))?;
                // io2 tiers are by the volume's own provisioned IOPS, not the month's total.
                for s in r.split(Decimal::ZERO, iops) {
                    let label = r.tier_label(s.tier);
                    let name = if label.is_empty() {
                        format!("Provisioned IOPS ({t})")
                    } else {
                        format!(
                            "Provisioned IOPS ({t}, {} of each volume)",
                            label.replace(" IOPS", "")
                        )
                    };
                    lines.push(LineItem::priced(
                        resource,
                        "ebs",
                        name,
                        s.quantity * fraction * count,
                        &r.unit,
                        s.price,
                        s.confidence,
                    ));
                }
            }
            VolumeType::Standard => {
                if let Some(io) = v.io_requests {
                    non_negative("io_requests", io).map_err(inv)?;
                    let r = self.rate("ebs", region, "io/standard")?;
                    lines.push(self.flat_line(
                        r,
                        resource,
                        "ebs",
                        "I/O requests (standard)".into(),
                        io * count / Decimal::from(1_000_000),
                    ));
                }
            }
            _ => {}
        }
        Ok(lines)
    }

    /// Prices snapshot storage: `gb` of snapshot data held for `hours`.
    pub fn ebs_snapshot(
        &mut self,
        resource: &str,
        region: &str,
        gb: Decimal,
        hours: Decimal,
        count: Decimal,
    ) -> PriceResult {
        non_negative("snapshot_gb", gb).map_err(PriceError::Invalid)?;
        let r = self.rate("ebs", region, "snapshot/standard")?;
        let q = gb * hours / self.hours_per_month * count;
        Ok(vec![self.flat_line(
            r,
            resource,
            "ebs",
            "Snapshot storage".into(),
            q,
        )])
    }
}
