//! What an AWS usage type means to the engine: the table in `usage-types.toml` (data, read once),
//! used by every billing-file reader (CUR 1.0, CUR 2.0 and the legacy Parquet layout, FOCUS).
//!
//! A row's product code, usage type and operation give its [`Meaning`]: the service and usage
//! type of this project's format the engine prices (`BoxUsage:m5.large` with `RunInstances` is
//! Linux on-demand `ec2` `instance-seconds` of m5.large), or nothing (carried at its billed cost).
//! The scan asks once per distinct (product, usage type, operation) of a file, a few hundred in a
//! file of millions of rows, through [`Classifier`]: each row then only looks its triple up.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};

use serde::Deserialize;

use super::columns::row_of;

/// The table, as written in `usage-types.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    instances: Vec<InstanceFamily>,
    platforms: BTreeMap<String, Platform>,
    platform_prefixes: BTreeMap<String, String>,
    usage: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceFamily {
    family: String,
    purchase: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Platform {
    os: Option<String>,
    name: String,
}

/// One usage type by name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    usage_type: String,
    #[serde(default)]
    products: Vec<String>,
    service: Option<String>,
    usage: Option<String>,
    volume_type: Option<String>,
    storage_class: Option<String>,
    architecture: Option<String>,
    #[serde(default)]
    destination: bool,
    rate: Option<String>,
    rate_service: Option<String>,
    #[serde(default)]
    idle: bool,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    // A test reads the table: an error here is caught before a build ships.
    toml::from_str(include_str!("usage-types.toml")).expect("src/usage/usage-types.toml")
});

/// What one (product, usage type, operation) is priced as.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meaning {
    /// The usage format's service, or `unpriced` (carried at its billed cost).
    pub service: String,
    /// The usage format's usage type; for an unpriced row, its usage type without the prefix.
    pub usage_type: Option<String>,
    /// The region the usage type's prefix names (no prefix: the region whose prefix is empty,
    /// us-east-1), when the catalog knows it.
    pub prefix_region: Option<String>,
    /// Instance type (instance usage).
    pub instance_type: Option<String>,
    /// `linux`, `windows`, or `operation <op> (<platform>)` for a platform the catalog lacks.
    pub os: Option<String>,
    /// `on-demand` or `spot` (instance usage).
    pub purchase: Option<String>,
    /// EBS volume type.
    pub volume_type: Option<String>,
    /// S3 storage class.
    pub storage_class: Option<String>,
    /// Lambda architecture.
    pub architecture: Option<String>,
    /// The other region of inter-region transfer.
    pub destination_region: Option<String>,
    /// An address billed as associated with nothing.
    pub idle: bool,
    /// Product code and usage type as the row has them (`AmazonRDS USE2-RDS:ChargedBackupUsage`),
    /// to name what is not priced.
    pub raw: String,
}

/// A usage type's region prefix and the rest: `APN2-BoxUsage:m5.large` → (`APN2`,
/// `BoxUsage:m5.large`), and the second region of transfer between regions:
/// `USE1-EUW2-AWS-Out-Bytes` → (`USE1`, `AWS-Out-Bytes`, `EUW2`); `EUW2-AWS-Out-Bytes` (from
/// us-east-1, which has no prefix) → (none, `AWS-Out-Bytes`, `EUW2`).
pub fn split_prefix(usage_type: &str) -> (Option<&str>, &str, Option<&str>) {
    let prefix_len = |s: &str| -> Option<usize> {
        let (p, _) = s.split_once('-')?;
        let letters = p.trim_end_matches(|c: char| c.is_ascii_digit());
        let ok = (2..=4).contains(&letters.len())
            && letters.chars().all(|c| c.is_ascii_uppercase())
            && p.len() - letters.len() <= 1;
        ok.then_some(p.len())
    };
    for transfer in ["AWS-Out-Bytes", "AWS-In-Bytes"] {
        if let Some(regions) = usage_type.strip_suffix(transfer)
            && let Some(regions) = regions.strip_suffix('-')
        {
            let base = &usage_type[usage_type.len() - transfer.len()..];
            return match regions.split_once('-') {
                Some((own, other)) if prefix_len(&format!("{own}-")).is_some() => {
                    (Some(own), base, Some(other))
                }
                _ => (None, base, Some(regions)),
            };
        }
    }
    match prefix_len(usage_type) {
        // `AWS-` is no region's prefix.
        Some(n) if &usage_type[..n] != "AWS" => {
            (Some(&usage_type[..n]), &usage_type[n + 1..], None)
        }
        _ => (None, usage_type, None),
    }
}

/// The meaning of a row's product code, usage type and operation; `prefixes` maps usage-type
/// region prefixes to region codes.
pub fn meaning(
    product: Option<&str>,
    usage_type: Option<&str>,
    operation: Option<&str>,
    prefixes: &HashMap<String, String>,
) -> Meaning {
    let t = &*TABLE;
    let raw = format!("{} {}", product.unwrap_or("?"), usage_type.unwrap_or("?"));
    // No prefix is the region whose prefix is empty (us-east-1's, in regions.toml).
    let region = |p: Option<&str>| prefixes.get(p.unwrap_or_default()).cloned();
    let Some(usage_type) = usage_type else {
        return Meaning {
            service: UNPRICED.into(),
            prefix_region: region(None),
            raw,
            ..Meaning::default()
        };
    };
    let (prefix, base, other) = split_prefix(usage_type);
    let mut m = Meaning {
        service: UNPRICED.into(),
        usage_type: Some(base.to_string()),
        prefix_region: region(prefix),
        raw,
        ..Meaning::default()
    };
    let product_ok = |e: &Entry| {
        e.products.is_empty() || product.is_some_and(|p| e.products.iter().any(|x| x == p))
    };
    if let Some(e) = t
        .usage
        .iter()
        .find(|e| e.usage_type == base && product_ok(e))
        && let (Some(service), Some(usage)) = (&e.service, &e.usage)
    {
        m.service = service.clone();
        m.usage_type = Some(usage.clone());
        m.volume_type = e.volume_type.clone();
        m.storage_class = e.storage_class.clone();
        m.architecture = e.architecture.clone();
        m.idle = e.idle;
        if e.destination {
            m.destination_region = other.and_then(|o| prefixes.get(o).cloned());
        }
        return m;
    }
    if product == Some("AmazonEC2")
        && let Some((family, instance_type)) = base.split_once(':')
        && let Some(f) = t.instances.iter().find(|f| f.family == family)
        && !instance_type.is_empty()
    {
        m.service = "ec2".into();
        m.usage_type = Some("instance-seconds".into());
        m.instance_type = Some(instance_type.to_string());
        m.purchase = Some(f.purchase.clone());
        m.os = Some(os_of(operation));
    }
    m
}

/// The service of usage the engine does not price.
pub const UNPRICED: &str = "unpriced";

/// The operating system an operation runs: `linux`, `windows`, or `operation <op> (<platform>)`
/// when the catalog has no price for the platform (or does not know the operation).
pub fn os_of(operation: Option<&str>) -> String {
    let t = &*TABLE;
    let Some(op) = operation else {
        return "linux".into();
    };
    let op = t
        .platform_prefixes
        .iter()
        .find(|(prefix, _)| op.starts_with(prefix.as_str()))
        .map_or(op, |(_, named)| named.as_str());
    match t.platforms.get(op) {
        Some(Platform { os: Some(os), .. }) => os.clone(),
        Some(Platform { name, .. }) => format!("operation {op} ({name})"),
        None => format!("operation {op}"),
    }
}

/// The AWS usage type priced at a catalog rate (`service`, rate key), and the operation, for FOCUS
/// rows known only by their SKU.
pub fn of_rate(service: &str, key: &str) -> Option<&'static str> {
    TABLE
        .usage
        .iter()
        .find(|e| {
            e.rate.as_deref() == Some(key)
                && e.rate_service.as_deref().or(e.service.as_deref()) == Some(service)
        })
        .map(|e| e.usage_type.as_str())
}

/// The usage operation of a platform the catalog prices (`linux` → `RunInstances`).
pub fn operation_of(os: &str) -> Option<&'static str> {
    TABLE
        .platforms
        .iter()
        .find(|(_, p)| p.os.as_deref() == Some(os))
        .map(|(op, _)| op.as_str())
}

/// The meanings of a file's rows, each distinct (product, usage type, operation) classified once
/// and numbered; shared by the scan's expressions (which run on polars' threads).
#[derive(Debug)]
pub(crate) struct Classifier {
    prefixes: HashMap<String, String>,
    /// Region codes by price-list location name (`US East (N. Virginia)`) and other names.
    locations: HashMap<String, String>,
    state: Mutex<Interned>,
}

type Triple = (Option<String>, Option<String>, Option<String>);
type TripleRef<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);

#[derive(Debug, Default)]
struct Interned {
    ids: HashMap<Triple, u32, foldhash::fast::FixedState>,
    meanings: Vec<Meaning>,
}

impl Classifier {
    /// A classifier for a catalog's region prefixes.
    pub(crate) fn new(catalog: &crate::catalog::Catalog) -> Arc<Classifier> {
        let mut prefixes = HashMap::new();
        let mut locations = HashMap::new();
        for r in catalog.regions() {
            // Every prefix, the empty one too (a usage type without one is us-east-1's).
            for p in std::iter::once(&r.usage_prefix).chain(&r.other_prefixes) {
                prefixes.insert(p.clone(), r.code.clone());
            }
            for l in std::iter::once(&r.location).chain(&r.other_locations) {
                locations.insert(l.clone(), r.code.clone());
            }
            locations.insert(r.code.clone(), r.code.clone());
        }
        Arc::new(Classifier {
            prefixes,
            locations,
            state: Mutex::new(Interned::default()),
        })
    }

    /// A row's region when its region-code column is empty: the `region` of its `product` column
    /// (CUR 2.0 writes the product attributes as JSON text), else its location name
    /// (`product/location`, FOCUS `RegionName`), else the region its transfer is from; none when
    /// none names a region the catalog knows (the usage type's prefix decides then).
    pub(crate) fn region_of(
        &self,
        product_json: Option<&str>,
        location: Option<&str>,
        from_region: Option<&str>,
    ) -> Option<String> {
        let known = |v: &str| self.locations.get(v.trim()).cloned();
        let json_region = product_json.and_then(|j| {
            let (_, rest) = j.split_once("\"region\":")?;
            let rest = rest.trim_start().strip_prefix('"')?;
            rest.split_once('"').map(|(v, _)| v)
        });
        json_region
            .and_then(known)
            .or_else(|| location.and_then(known))
            .or_else(|| from_region.and_then(known))
    }

    /// The number of each row's meaning (rows given as three columns of equal length, or of
    /// length one for a constant).
    pub(crate) fn ids(
        &self,
        product: &[Option<&str>],
        usage: &[Option<&str>],
        operation: &[Option<&str>],
    ) -> Vec<u32> {
        let n = product.len().max(usage.len()).max(operation.len());
        let mut local: HashMap<TripleRef<'_>, u32, foldhash::fast::FixedState> = HashMap::default();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        (0..n)
            .map(|i| {
                let k = (row_of(product, i), row_of(usage, i), row_of(operation, i));
                *local.entry(k).or_insert_with(|| {
                    let owned = (
                        k.0.map(str::to_string),
                        k.1.map(str::to_string),
                        k.2.map(str::to_string),
                    );
                    if let Some(id) = st.ids.get(&owned) {
                        return *id;
                    }
                    let id = st.meanings.len() as u32;
                    st.meanings.push(meaning(k.0, k.1, k.2, &self.prefixes));
                    st.ids.insert(owned, id);
                    id
                })
            })
            .collect()
    }

    /// One field of every meaning numbered so far, in number order.
    pub(crate) fn field(&self, f: impl Fn(&Meaning) -> Option<String>) -> Vec<Option<String>> {
        let st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.meanings.iter().map(f).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes() -> HashMap<String, String> {
        [
            ("", "us-east-1"),
            ("APN2", "ap-northeast-2"),
            ("EUW2", "eu-west-2"),
            ("USE1", "us-east-1"),
            ("EU", "eu-west-1"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    #[test]
    fn the_table_reads_and_every_rate_names_a_priced_usage() {
        assert!(TABLE.usage.len() > 40);
        for e in &TABLE.usage {
            assert_eq!(e.service.is_some(), e.usage.is_some(), "{e:?}");
            if let (Some(s), Some(u)) = (&e.service, &e.usage) {
                let kinds = super::super::USAGE_TYPES
                    .iter()
                    .find(|(svc, _)| svc == s)
                    .map(|(_, k)| *k)
                    .unwrap_or_else(|| panic!("{e:?}: service {s} is not in the usage format"));
                assert!(kinds.contains(&u.as_str()), "{e:?}");
            }
        }
        assert_eq!(of_rate("ebs", "storage/io1"), Some("EBS:VolumeUsage.piops"));
        assert_eq!(
            of_rate("vpc", "nat-gateway/hours"),
            Some("NatGateway-Hours")
        );
        assert_eq!(operation_of("windows"), Some("RunInstances:0002"));
    }

    #[test]
    fn prefixes_are_split_from_usage_types() {
        assert_eq!(
            split_prefix("APN2-BoxUsage:m5.large"),
            (Some("APN2"), "BoxUsage:m5.large", None)
        );
        assert_eq!(
            split_prefix("BoxUsage:m5.large"),
            (None, "BoxUsage:m5.large", None)
        );
        assert_eq!(
            split_prefix("EBS:VolumeUsage.gp3"),
            (None, "EBS:VolumeUsage.gp3", None)
        );
        assert_eq!(
            split_prefix("EU-DataTransfer-Out-Bytes"),
            (Some("EU"), "DataTransfer-Out-Bytes", None)
        );
        assert_eq!(
            split_prefix("USE1-EUW2-AWS-Out-Bytes"),
            (Some("USE1"), "AWS-Out-Bytes", Some("EUW2"))
        );
        assert_eq!(
            split_prefix("EUW2-AWS-In-Bytes"),
            (None, "AWS-In-Bytes", Some("EUW2"))
        );
        assert_eq!(
            split_prefix("Requests-Tier1"),
            (None, "Requests-Tier1", None)
        );
        assert_eq!(
            split_prefix("us-east-1-KMS-Requests"),
            (None, "us-east-1-KMS-Requests", None)
        );
    }

    #[test]
    fn rows_mean_what_aws_bills() {
        let p = prefixes();
        let m = meaning(
            Some("AmazonEC2"),
            Some("APN2-SpotUsage:c5.large"),
            Some("RunInstances:SV050"),
            &p,
        );
        assert_eq!(
            (m.service.as_str(), m.usage_type.as_deref()),
            ("ec2", Some("instance-seconds"))
        );
        assert_eq!(m.prefix_region.as_deref(), Some("ap-northeast-2"));
        assert_eq!(
            (m.instance_type.as_deref(), m.purchase.as_deref()),
            (Some("c5.large"), Some("spot"))
        );
        assert_eq!(m.os.as_deref(), Some("linux"));

        let m = meaning(
            Some("AmazonEC2"),
            Some("BoxUsage:m5.large"),
            Some("RunInstances:0010"),
            &p,
        );
        assert_eq!(
            m.os.as_deref(),
            Some("operation RunInstances:0010 (Red Hat Enterprise Linux)")
        );
        assert_eq!(m.prefix_region.as_deref(), Some("us-east-1"));
        let m = meaning(
            Some("AmazonEC2"),
            Some("BoxUsage:m5.large"),
            Some("RunInstances:0002"),
            &p,
        );
        assert_eq!(m.os.as_deref(), Some("windows"));

        let m = meaning(
            Some("AmazonEC2"),
            Some("EUW2-EBS:VolumeUsage.piops"),
            None,
            &p,
        );
        assert_eq!(
            (m.service.as_str(), m.volume_type.as_deref()),
            ("ebs", Some("io1"))
        );
        assert_eq!(m.prefix_region.as_deref(), Some("eu-west-2"));

        let m = meaning(Some("AmazonS3"), Some("USE1-EUW2-AWS-Out-Bytes"), None, &p);
        assert_eq!(
            (m.service.as_str(), m.usage_type.as_deref()),
            ("data_transfer", Some("inter-region-gb"))
        );
        assert_eq!(m.destination_region.as_deref(), Some("eu-west-2"));

        let m = meaning(
            Some("AmazonEC2"),
            Some("ElasticIP:IdleAddress"),
            Some("AssociateAddressVPC"),
            &p,
        );
        assert_eq!(
            (m.service.as_str(), m.usage_type.as_deref()),
            ("public_ipv4", Some("ip-hours"))
        );
        assert!(m.idle);

        let m = meaning(
            Some("AmazonS3GlacierDeepArchive"),
            Some("TimedStorage-GDA-ByteHrs"),
            None,
            &p,
        );
        assert_eq!(
            (m.service.as_str(), m.storage_class.as_deref()),
            ("s3", Some("deep-archive"))
        );

        // A usage type of another product, or none of the table's, is carried.
        let m = meaning(
            Some("AmazonRDS"),
            Some("USE2-RDS:ChargedBackupUsage"),
            None,
            &p,
        );
        assert_eq!(
            (m.service.as_str(), m.usage_type.as_deref()),
            (UNPRICED, Some("RDS:ChargedBackupUsage"))
        );
        assert_eq!(
            meaning(Some("AmazonRDS"), Some("Request"), None, &p).service,
            UNPRICED
        );
        assert_eq!(
            meaning(Some("AmazonEC2"), Some("HeavyUsage:m5.large"), None, &p).service,
            UNPRICED
        );
        // NAT gateway hours are known to the catalog, not to the usage engine.
        assert_eq!(
            meaning(Some("AmazonEC2"), Some("NatGateway-Hours"), None, &p).service,
            UNPRICED
        );
    }

    #[test]
    fn a_classifier_numbers_each_triple_once() {
        let c = Classifier {
            prefixes: prefixes(),
            locations: [
                ("US East (N. Virginia)", "us-east-1"),
                ("us-east-1", "us-east-1"),
            ]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
            state: Mutex::new(Interned::default()),
        };
        let json = r#"{"transfer_type":"AWS Inbound","region":"us-east-1","servicename":"x"}"#;
        assert_eq!(
            c.region_of(Some(json), None, None).as_deref(),
            Some("us-east-1")
        );
        let global = r#"{"region":"global"}"#;
        assert_eq!(c.region_of(Some(global), None, None), None);
        assert_eq!(
            c.region_of(Some(global), Some("US East (N. Virginia)"), None)
                .as_deref(),
            Some("us-east-1")
        );
        assert_eq!(
            c.region_of(None, None, Some("us-east-1")).as_deref(),
            Some("us-east-1")
        );
        let ids = c.ids(
            &[Some("AmazonEC2")],
            &[
                Some("BoxUsage:m5.large"),
                Some("EBS:VolumeUsage.gp3"),
                Some("BoxUsage:m5.large"),
            ],
            &[Some("RunInstances"), None, Some("RunInstances")],
        );
        assert_eq!(ids, vec![0, 1, 0]);
        assert_eq!(
            c.ids(
                &[Some("AmazonEC2")],
                &[Some("EBS:VolumeUsage.gp3")],
                &[None]
            ),
            vec![1]
        );
        let services = c.field(|m| Some(m.service.clone()));
        assert_eq!(services, vec![Some("ec2".into()), Some("ebs".into())]);
    }
}
