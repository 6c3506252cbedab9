//! Amazon S3: storage by class (tiered over the month), requests, retrieval, minimum billable
//! object size, archive overhead per object, and Intelligent-Tiering monitoring.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use super::{PriceError, PriceResult, Pricer, non_negative};

/// An S3 storage class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StorageClass {
    /// S3 Standard.
    Standard,
    /// S3 Intelligent-Tiering (priced at its frequent access tier in a quote).
    IntelligentTiering,
    /// S3 Standard-Infrequent Access.
    StandardIa,
    /// S3 One Zone-Infrequent Access.
    OnezoneIa,
    /// S3 Glacier Instant Retrieval.
    GlacierIr,
    /// S3 Glacier Flexible Retrieval.
    GlacierFlexible,
    /// S3 Glacier Deep Archive.
    DeepArchive,
}

impl StorageClass {
    /// Every class.
    pub const ALL: [StorageClass; 7] = [
        StorageClass::Standard,
        StorageClass::IntelligentTiering,
        StorageClass::StandardIa,
        StorageClass::OnezoneIa,
        StorageClass::GlacierIr,
        StorageClass::GlacierFlexible,
        StorageClass::DeepArchive,
    ];

    /// The catalog's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageClass::Standard => "standard",
            StorageClass::IntelligentTiering => "intelligent-tiering",
            StorageClass::StandardIa => "standard-ia",
            StorageClass::OnezoneIa => "onezone-ia",
            StorageClass::GlacierIr => "glacier-ir",
            StorageClass::GlacierFlexible => "glacier-flexible",
            StorageClass::DeepArchive => "deep-archive",
        }
    }

    /// The catalog key of the class's storage rate.
    pub fn storage_key(self) -> String {
        match self {
            StorageClass::IntelligentTiering => "storage/intelligent-tiering/frequent".into(),
            c => format!("storage/{}", c.as_str()),
        }
    }

    /// True for classes with a per-GB retrieval fee.
    pub fn has_retrieval_fee(self) -> bool {
        !matches!(
            self,
            StorageClass::Standard | StorageClass::IntelligentTiering
        )
    }

    /// True for the asynchronous archive classes (40 KB overhead per object).
    pub fn is_archive(self) -> bool {
        matches!(
            self,
            StorageClass::GlacierFlexible | StorageClass::DeepArchive
        )
    }
}

impl fmt::Display for StorageClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StorageClass {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match norm.as_str() {
            "standard" => StorageClass::Standard,
            "intelligent-tiering" => StorageClass::IntelligentTiering,
            "standard-ia" => StorageClass::StandardIa,
            "onezone-ia" | "one-zone-ia" => StorageClass::OnezoneIa,
            "glacier-ir" | "glacier-instant-retrieval" => StorageClass::GlacierIr,
            "glacier-flexible" | "glacier" | "glacier-flexible-retrieval" => {
                StorageClass::GlacierFlexible
            }
            "deep-archive" | "glacier-deep-archive" => StorageClass::DeepArchive,
            _ => {
                return Err(format!(
                    "expected an S3 storage class ({}), found `{s}`",
                    StorageClass::ALL.map(|c| c.as_str()).join(", ")
                ));
            }
        })
    }
}

/// A bucket's (or a class's) month of S3 usage.
#[derive(Clone, Debug)]
pub struct S3Usage<'u> {
    /// Resource name.
    pub resource: &'u str,
    /// Region code.
    pub region: &'u str,
    /// Storage class.
    pub class: StorageClass,
    /// Average stored GB over the month.
    pub storage_gb: Decimal,
    /// PUT, COPY, POST and LIST requests.
    pub put_requests: Decimal,
    /// GET and all other requests.
    pub get_requests: Decimal,
    /// GB retrieved (classes with a retrieval fee).
    pub retrieval_gb: Decimal,
    /// Number of objects, when known (minimum size, archive overhead, monitoring).
    pub objects: Option<Decimal>,
}

const KB_PER_GB: i64 = 1024 * 1024;

impl Pricer<'_> {
    /// Prices a month of S3 usage in one class.
    pub fn s3(&mut self, u: &S3Usage<'_>) -> PriceResult {
        let inv = PriceError::Invalid;
        for (k, v) in [
            ("storage_gb", u.storage_gb),
            ("put_requests", u.put_requests),
            ("get_requests", u.get_requests),
            ("retrieval_gb", u.retrieval_gb),
        ] {
            non_negative(k, v).map_err(inv)?;
        }
        if let Some(o) = u.objects {
            non_negative("objects", o).map_err(inv)?;
        }
        let (r, res, class) = (u.region, u.resource, u.class);
        let mut lines = Vec::new();
        let storage = self.rate("s3", r, &class.storage_key())?;

        // Minimum billable object size (128 KB for the IA classes and Glacier IR).
        let mut billable_gb = u.storage_gb;
        let mut min_note = None;
        if let (Ok(min_kb), Some(objects)) = (
            self.catalog
                .fact("s3", r, &format!("min-object-kb/{class}")),
            u.objects,
        ) {
            let floor = objects * min_kb / Decimal::from(KB_PER_GB);
            if floor > billable_gb {
                min_note = Some(format!(
                    "{} objects average under the {} KB minimum billable size: billed as {} GB",
                    objects.normalize(),
                    min_kb.normalize(),
                    floor.round_dp(6).normalize()
                ));
                billable_gb = floor;
            }
        }
        let component = match class {
            StorageClass::IntelligentTiering => {
                "Storage (intelligent-tiering, frequent access tier)".to_string()
            }
            c => format!("Storage ({c})"),
        };
        let mut storage_lines = self.tiered_lines(storage, res, "s3", &component, billable_gb);
        if let (Some(note), Some(first)) = (min_note, storage_lines.first_mut()) {
            first.note = Some(note);
        }
        lines.extend(storage_lines);

        // Archived objects carry 32 KB at the archive rate and 8 KB at the Standard rate.
        if class.is_archive()
            && let Some(objects) = u.objects.filter(|o| !o.is_zero())
        {
            let at_archive = self
                .catalog
                .fact("s3", r, "archive-overhead-kb/archive-rate")?;
            let at_standard = self
                .catalog
                .fact("s3", r, "archive-overhead-kb/standard-rate")?;
            let gb_archive = objects * at_archive / Decimal::from(KB_PER_GB);
            let gb_standard = objects * at_standard / Decimal::from(KB_PER_GB);
            lines.extend(self.tiered_lines(
                storage,
                res,
                "s3",
                &format!(
                    "Archive overhead, {} KB per object ({class})",
                    at_archive.normalize()
                ),
                gb_archive,
            ));
            let standard = self.rate("s3", r, "storage/standard")?;
            lines.extend(self.tiered_lines(
                standard,
                res,
                "s3",
                &format!(
                    "Archive overhead, {} KB per object (at standard)",
                    at_standard.normalize()
                ),
                gb_standard,
            ));
        }

        // Intelligent-Tiering monitoring: objects of 128 KB or more.
        if class == StorageClass::IntelligentTiering
            && let Some(objects) = u.objects.filter(|o| !o.is_zero())
        {
            let min_kb =
                self.catalog
                    .fact("s3", r, "min-monitored-object-kb/intelligent-tiering")?;
            let avg_kb = u.storage_gb * Decimal::from(KB_PER_GB) / objects;
            let monitored = if avg_kb >= min_kb {
                objects
            } else {
                Decimal::ZERO
            };
            let rate = self.rate("s3", r, "monitoring/intelligent-tiering")?;
            let mut line = self.flat_line(
                rate,
                res,
                "s3",
                "Monitoring and automation (intelligent-tiering)".into(),
                monitored / Decimal::from(1000),
            );
            if monitored.is_zero() {
                line.note = Some(format!(
                    "objects average under {} KB: not monitored, no fee",
                    min_kb.normalize()
                ));
            }
            lines.push(line);
        }

        for (kind, n) in [("put", u.put_requests), ("get", u.get_requests)] {
            if n.is_zero() {
                continue;
            }
            let rate = self.rate("s3", r, &format!("requests/{class}/{kind}"))?;
            let label = if kind == "put" {
                "PUT, COPY, POST, LIST requests"
            } else {
                "GET and other requests"
            };
            lines.push(self.flat_line(
                rate,
                res,
                "s3",
                format!("{label} ({class})"),
                n / Decimal::from(1000),
            ));
        }

        if !u.retrieval_gb.is_zero() && class.has_retrieval_fee() {
            let rate = self.rate("s3", r, &format!("retrieval/{class}"))?;
            lines.push(self.flat_line(
                rate,
                res,
                "s3",
                format!("Data retrieval ({class})"),
                u.retrieval_gb,
            ));
        }
        Ok(lines)
    }
}
