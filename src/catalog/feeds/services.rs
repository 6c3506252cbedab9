//! Service feeds → rate rows: EBS, S3, S3 Glacier Deep Archive, Lambda, VPC (public IPv4), NAT
//! gateway, and the processed data transfer feed. Which feed rate is which catalog key is the
//! table [`RATES`]: one line per rate name, data rather than code.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{Feed, FeedInput, RateRow, Regions, Rows, Skipped, skip_location, source_text};
use crate::catalog::files::parse_price;
use crate::catalog::model::Tier;
use crate::error::InputError;

/// How a feed rate becomes a catalog rate.
struct Map {
    /// `manifest.source` of the feed.
    feed: &'static str,
    /// The rate's name in the feed.
    name: &'static str,
    /// Catalog service and key.
    service: &'static str,
    key: &'static str,
    /// The catalog unit, and how many feed units make one (1,000 requests; 1M I/O…); a negative
    /// number divides (GiBps → MBps: ÷ 1,024).
    unit: &'static str,
    scale: i64,
    /// For tiered rates: the tier's position and upper bound (cumulative, in the catalog unit).
    tier: Option<(u8, Option<u64>)>,
}

const fn flat(
    feed: &'static str,
    name: &'static str,
    service: &'static str,
    key: &'static str,
    unit: &'static str,
    scale: i64,
) -> Map {
    Map {
        feed,
        name,
        service,
        key,
        unit,
        scale,
        tier: None,
    }
}

const fn tier(
    feed: &'static str,
    name: &'static str,
    service: &'static str,
    key: &'static str,
    unit: &'static str,
    pos: u8,
    upto: Option<u64>,
) -> Map {
    Map {
        feed,
        name,
        service,
        key,
        unit,
        scale: 1,
        tier: Some((pos, upto)),
    }
}

/// Feed rate names → catalog keys (keys documented at the top of each catalog rate file).
/// Tier bounds are AWS's published ones: S3 storage 50 TB / 450 TB more (51,200 / 512,000 GB);
/// io2 IOPS 32,000 / 64,000; Lambda GB-seconds x86 6 / 15 billion, Arm 7.5 / 18.75 billion (the
/// same bounds as the hand-checked catalog rows before the feeds: pricing-data/aws/lambda.toml).
const RATES: &[Map] = &[
    // EBS
    flat(
        "ebs",
        "Storage General Purpose gp3 GB Mo",
        "ebs",
        "storage/gp3",
        "GB-Mo",
        1,
    ),
    flat(
        "ebs",
        "Storage General Purpose gp2 GB Mo",
        "ebs",
        "storage/gp2",
        "GB-Mo",
        1,
    ),
    flat(
        "ebs",
        "Storage Provisioned IOPS io1 GB Mo",
        "ebs",
        "storage/io1",
        "GB-Mo",
        1,
    ),
    flat(
        "ebs",
        "Storage Provisioned IOPS io2 GB month",
        "ebs",
        "storage/io2",
        "GB-Mo",
        1,
    ),
    flat(
        "ebs",
        "Storage Throughput Optimized HDD st1 GB Mo",
        "ebs",
        "storage/st1",
        "GB-Mo",
        1,
    ),
    flat(
        "ebs",
        "Storage Cold HDD sc1 GB Mo",
        "ebs",
        "storage/sc1",
        "GB-Mo",
        1,
    ),
    flat(
        "ebs",
        "Storage Magnetic standard GB Mo",
        "ebs",
        "storage/standard",
        "GB-Mo",
        1,
    ),
    flat(
        "ebs",
        "Provisioned EBS IOPS gp3 Volumes per IOPS Mo",
        "ebs",
        "iops/gp3",
        "IOPS-Mo",
        1,
    ),
    flat(
        "ebs",
        "Provisioned EBS IOPS io1 Volumes per IOPS Mo",
        "ebs",
        "iops/io1",
        "IOPS-Mo",
        1,
    ),
    tier(
        "ebs",
        "Provisioned EBS IOPS io2 Volumes per IOPS Mo",
        "ebs",
        "iops/io2",
        "IOPS-Mo",
        0,
        Some(32_000),
    ),
    tier(
        "ebs",
        "Provisioned EBS IOPS Tier 2 io2 Volumes per IOPS Mo",
        "ebs",
        "iops/io2",
        "IOPS-Mo",
        1,
        Some(64_000),
    ),
    tier(
        "ebs",
        "Provisioned EBS IOPS Tier 3 io2 Volumes per IOPS Mo",
        "ebs",
        "iops/io2",
        "IOPS-Mo",
        2,
        None,
    ),
    flat(
        "ebs",
        "Provisioned Throughput gp3 per GiBps mo",
        "ebs",
        "throughput/gp3",
        "MBps-Mo",
        -1024,
    ),
    flat(
        "ebs",
        "Provisioned EBS I O Requests standard Volumes per IOs",
        "ebs",
        "io/standard",
        "1M I/O",
        1_000_000,
    ),
    flat(
        "ebs",
        "Storage Snapshot Amazon S3 GB Mo",
        "ebs",
        "snapshot/standard",
        "GB-Mo",
        1,
    ),
    flat(
        "ebs",
        "Storage Snapshot Amazon S3 SnapshotArchiveStorage GB Mo",
        "ebs",
        "snapshot/archive",
        "GB-Mo",
        1,
    ),
    flat(
        "ebs",
        "Storage Snapshot Amazon S3 SnapshotArchiveRetrieval GB",
        "ebs",
        "snapshot/archive-retrieval",
        "GB",
        1,
    ),
    flat(
        "ebs",
        "Fast Snapshot Restore per hours",
        "ebs",
        "fast-snapshot-restore",
        "DSU-hour",
        1,
    ),
    // S3
    tier(
        "s3",
        "Standard Storage First 50 TB per GB Mo",
        "s3",
        "storage/standard",
        "GB-Mo",
        0,
        Some(51_200),
    ),
    tier(
        "s3",
        "Standard Storage Next 450 TB per GB Mo",
        "s3",
        "storage/standard",
        "GB-Mo",
        1,
        Some(512_000),
    ),
    tier(
        "s3",
        "Standard Storage Over 500 TB per GB Mo",
        "s3",
        "storage/standard",
        "GB-Mo",
        2,
        None,
    ),
    tier(
        "s3",
        "Intelligent Tiering Frequent Access First 50 TB per GB Mo",
        "s3",
        "storage/intelligent-tiering/frequent",
        "GB-Mo",
        0,
        Some(51_200),
    ),
    tier(
        "s3",
        "Intelligent Tiering Frequent Access Next 450 TB per GB Mo",
        "s3",
        "storage/intelligent-tiering/frequent",
        "GB-Mo",
        1,
        Some(512_000),
    ),
    tier(
        "s3",
        "Intelligent Tiering Frequent Access Over 500 TB per GB Mo",
        "s3",
        "storage/intelligent-tiering/frequent",
        "GB-Mo",
        2,
        None,
    ),
    flat(
        "s3",
        "Intelligent Tiering Infrequent Access per GB Mo",
        "s3",
        "storage/intelligent-tiering/infrequent",
        "GB-Mo",
        1,
    ),
    flat(
        "s3",
        "Intelligent Tiering Archive Instant Access",
        "s3",
        "storage/intelligent-tiering/archive-instant",
        "GB-Mo",
        1,
    ),
    flat(
        "s3",
        "IntelligentTieringArchiveAccess",
        "s3",
        "storage/intelligent-tiering/archive",
        "GB-Mo",
        1,
    ),
    flat(
        "s3",
        "IntelligentTieringDeepArchiveAccess",
        "s3",
        "storage/intelligent-tiering/deep-archive",
        "GB-Mo",
        1,
    ),
    flat(
        "s3",
        "Per object per month monitoring and automation fee for objects in Intelligent Tiering",
        "s3",
        "monitoring/intelligent-tiering",
        "1,000 objects",
        1_000,
    ),
    flat(
        "s3",
        "Standard Infrequent Access Storage per GB-Mo",
        "s3",
        "storage/standard-ia",
        "GB-Mo",
        1,
    ),
    flat(
        "s3",
        "One Zone Infrequent Access Storage Inf per GB-Mo",
        "s3",
        "storage/onezone-ia",
        "GB-Mo",
        1,
    ),
    flat(
        "s3",
        "Glacier Instant Retrieval Storage",
        "s3",
        "storage/glacier-ir",
        "GB-Mo",
        1,
    ),
    flat(
        "s3",
        "Glacier Storage per GB Mo",
        "s3",
        "storage/glacier-flexible",
        "GB-Mo",
        1,
    ),
    flat(
        "s3",
        "PUT COPY/POST or LIST requests per Requests",
        "s3",
        "requests/standard/put",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "GET and all other requests per Requests",
        "s3",
        "requests/standard/get",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "PUT COPY/POST or LIST requests to Intelligent Tiering per Requests",
        "s3",
        "requests/intelligent-tiering/put",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "GET and all other requests to Intelligent Tiering per Requests",
        "s3",
        "requests/intelligent-tiering/get",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "PUT COPY/POST or LIST requests to Standard Infrequent Access per Requests",
        "s3",
        "requests/standard-ia/put",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "GET and all other requests to Standard Infrequent Access per Requests",
        "s3",
        "requests/standard-ia/get",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "PUT COPY/POST or LIST requests to One Zone Infrequent Access per Requests",
        "s3",
        "requests/onezone-ia/put",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "GET and all other requests to One Zone Infrequent Access per Requests",
        "s3",
        "requests/onezone-ia/get",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "PUT COPY/POST or LIST requests to Glacier Instant Retrieval per Requests",
        "s3",
        "requests/glacier-ir/put",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "GET and all other requests to Glacier Instant Retrieval per Requests",
        "s3",
        "requests/glacier-ir/get",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "PUT requests to Glacier per Requests",
        "s3",
        "requests/glacier-flexible/put",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "GET and all other requests to GLACIER per Requests",
        "s3",
        "requests/glacier-flexible/get",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "GET and all other requests to GDA per Requests",
        "s3",
        "requests/deep-archive/get",
        "1,000 requests",
        1_000,
    ),
    flat(
        "s3",
        "Object Retrieval in Standard Infrequent Access per GB",
        "s3",
        "retrieval/standard-ia",
        "GB",
        1,
    ),
    flat(
        "s3",
        "Object Retrieval in One Zone Infrequent Access per GB",
        "s3",
        "retrieval/onezone-ia",
        "GB",
        1,
    ),
    flat(
        "s3",
        "Object Retrieval in Glacier Instant Retrieval per GB",
        "s3",
        "retrieval/glacier-ir",
        "GB",
        1,
    ),
    flat(
        "s3",
        "Fee for Standard Retrieval of data stored",
        "s3",
        "retrieval/glacier-flexible",
        "GB",
        1,
    ),
    flat(
        "s3",
        "Glacier S3 Expedited Retrieval",
        "s3",
        "retrieval/glacier-flexible/expedited",
        "GB",
        1,
    ),
    flat(
        "s3",
        "Fee for Bulk Retrieval of data stored",
        "s3",
        "retrieval/glacier-flexible/bulk",
        "GB",
        1,
    ),
    flat(
        "s3",
        "Fee for Standard Retrieval of data stored from Glacier Deep Archive",
        "s3",
        "retrieval/deep-archive",
        "GB",
        1,
    ),
    flat(
        "s3",
        "Fee for Bulk Retrieval of data stored from Glacier Deep Archive",
        "s3",
        "retrieval/deep-archive/bulk",
        "GB",
        1,
    ),
    // S3 Glacier Deep Archive (its own feed)
    flat(
        "s3glacierdeeparchive",
        "Glacier Deep Archive GB Mo",
        "s3",
        "storage/deep-archive",
        "GB-Mo",
        1,
    ),
    flat(
        "s3glacierdeeparchive",
        "PUT to Glacier Deep Archive Requests",
        "s3",
        "requests/deep-archive/put",
        "1,000 requests",
        1_000,
    ),
    // Lambda
    flat(
        "lambda",
        "Lambda Requests",
        "lambda",
        "requests",
        "1M requests",
        1_000_000,
    ),
    flat(
        "lambda",
        "Lambda Requests-ARM",
        "lambda",
        "requests/arm64",
        "1M requests",
        1_000_000,
    ),
    tier(
        "lambda",
        "Lambda Duration",
        "lambda",
        "duration/x86_64",
        "GB-s",
        0,
        Some(6_000_000_000),
    ),
    tier(
        "lambda",
        "Lambda Duration Tier2",
        "lambda",
        "duration/x86_64",
        "GB-s",
        1,
        Some(15_000_000_000),
    ),
    tier(
        "lambda",
        "Lambda Duration Tier3",
        "lambda",
        "duration/x86_64",
        "GB-s",
        2,
        None,
    ),
    tier(
        "lambda",
        "Lambda Duration-ARM",
        "lambda",
        "duration/arm64",
        "GB-s",
        0,
        Some(7_500_000_000),
    ),
    tier(
        "lambda",
        "Lambda Duration-ARM Tier2",
        "lambda",
        "duration/arm64",
        "GB-s",
        1,
        Some(18_750_000_000),
    ),
    tier(
        "lambda",
        "Lambda Duration-ARM Tier3",
        "lambda",
        "duration/arm64",
        "GB-s",
        2,
        None,
    ),
    flat(
        "lambda",
        "Lambda Storage-Duration",
        "lambda",
        "ephemeral-storage",
        "GB-s",
        1,
    ),
    flat(
        "lambda",
        "Lambda Provisioned-Concurrency",
        "lambda",
        "provisioned-concurrency/x86_64",
        "GB-s",
        1,
    ),
    flat(
        "lambda",
        "Lambda Provisioned-Concurrency-ARM",
        "lambda",
        "provisioned-concurrency/arm64",
        "GB-s",
        1,
    ),
    flat(
        "lambda",
        "Lambda Duration-Provisioned",
        "lambda",
        "duration-provisioned/x86_64",
        "GB-s",
        1,
    ),
    flat(
        "lambda",
        "Lambda Duration-Provisioned-ARM",
        "lambda",
        "duration-provisioned/arm64",
        "GB-s",
        1,
    ),
    // VPC: public IPv4 addresses, NAT gateway
    flat(
        "vpc",
        "Hourly charge for In use Public IPv4 Addresses per Hrs",
        "vpc",
        "public-ipv4/in-use",
        "IP-hour",
        1,
    ),
    flat(
        "vpc",
        "Hourly charge for Idle Public IPv4 Addresses per Hrs",
        "vpc",
        "public-ipv4/idle",
        "IP-hour",
        1,
    ),
    flat(
        "natgateway",
        "Hourly charge for NAT Gateways",
        "vpc",
        "nat-gateway/hours",
        "hour",
        1,
    ),
    flat(
        "natgateway",
        "Charge for per GB data processed by NatGateways",
        "vpc",
        "nat-gateway/data-processed",
        "GB",
        1,
    ),
];

/// One tier of a tiered rate as read: position, upper bound, price, rate code, unit.
type TierPart<'a> = (u8, Option<u64>, Decimal, Option<String>, &'a str);

/// One internet egress tier: from, to (GB), price.
type EgressTier = (Decimal, Option<Decimal>, Decimal);

/// True when [`RATES`] maps some rate of this feed source.
fn known_feed(source: &str) -> bool {
    RATES.iter().any(|m| m.feed == source)
}

fn scaled(price: Decimal, scale: i64) -> Decimal {
    if scale < 0 {
        price / Decimal::from(-scale)
    } else {
        price * Decimal::from(scale)
    }
}

/// Reads a service feed into rate rows; `Ok(false)` when no table line is for its source.
pub(crate) fn feed(
    feed: &Feed,
    regions: &Regions<'_>,
    rows: &mut Rows,
    skipped: &mut Skipped,
) -> Result<bool, InputError> {
    if !known_feed(&feed.source) {
        return Ok(false);
    }
    let source = source_text(&feed.source, &feed.published, &feed.origin);
    for (location, rates) in &feed.locations {
        let Some(region) = regions.code(location) else {
            skip_location(skipped, location);
            continue;
        };
        // Tiered keys collect their tiers first.
        let mut tiered: BTreeMap<(&str, &str), Vec<TierPart<'_>>> = BTreeMap::new();
        for m in RATES.iter().filter(|m| m.feed == feed.source) {
            let Some(rate) = rates.get(m.name) else {
                continue;
            };
            let price = scaled(rate.price, m.scale).normalize();
            match m.tier {
                None => rows.rates.push(RateRow {
                    service: m.service.into(),
                    region: region.into(),
                    key: m.key.into(),
                    unit: m.unit.into(),
                    tiers: vec![Tier {
                        upto: None,
                        price,
                        confidence: None,
                    }],
                    rate_code: rate.rate_code.clone(),
                    source: source.clone(),
                    effective_date: feed.published.clone(),
                }),
                Some((pos, upto)) => tiered.entry((m.service, m.key)).or_default().push((
                    pos,
                    upto,
                    price,
                    rate.rate_code.clone(),
                    m.unit,
                )),
            }
        }
        for ((service, key), mut parts) in tiered {
            parts.sort_by_key(|p| p.0);
            let complete = parts.iter().enumerate().all(|(i, p)| p.0 as usize == i)
                && RATES
                    .iter()
                    .filter(|m| m.feed == feed.source && m.key == key)
                    .count()
                    == parts.len();
            if !complete {
                *skipped
                    .entry(format!(
                        "{service} {key}: the feed lacks some of its tiers in a region"
                    ))
                    .or_default() += 1;
                continue;
            }
            rows.rates.push(RateRow {
                service: service.into(),
                region: region.into(),
                key: key.into(),
                unit: parts[0].4.into(),
                tiers: parts
                    .iter()
                    .map(|p| Tier {
                        upto: p.1.map(Decimal::from),
                        price: p.2,
                        confidence: None,
                    })
                    .collect(),
                rate_code: parts[0].3.clone(),
                source: source.clone(),
                effective_date: feed.published.clone(),
            });
        }
    }
    Ok(true)
}

/// The processed data transfer feed (`{name: {"<location> (…)": price}}`): internet egress tiers
/// (`StartingRange`/`EndingRange` in GB), inbound, and inter-region prices by destination.
/// `Ok(false)` when the map is not that feed.
pub(crate) fn processed_transfer(
    input: &FeedInput,
    date: &str,
    map: &BTreeMap<String, BTreeMap<String, String>>,
    regions: &Regions<'_>,
    rows: &mut Rows,
    skipped: &mut Skipped,
) -> Result<bool, InputError> {
    const OUT: &str = "DataTransfer External Outbound ";
    const INTER: &str = "DataTransfer InterRegion Outbound to ";
    if !map.keys().any(|k| k.starts_with(OUT)) {
        return Ok(false);
    }
    let source = source_text("datatransfer.json (processed)", date, &input.origin);
    let bad = |m: String| InputError {
        file: input.name.clone(),
        line: None,
        column: None,
        context: None,
        message: m,
    };
    // Region → (from, to, price) of each egress tier.
    let mut tiers: BTreeMap<&str, Vec<EgressTier>> = BTreeMap::new();
    let row = |region: &str, key: String, tiers: Vec<Tier>| RateRow {
        service: "data_transfer".into(),
        region: region.into(),
        key,
        unit: "GB".into(),
        tiers,
        rate_code: None,
        source: source.clone(),
        effective_date: date.to_string(),
    };
    for (name, prices) in map {
        let egress_tier = name.strip_prefix(OUT).is_some_and(|rest| {
            [
                "Next 10 TB",
                "Next 40 TB",
                "Next 100 TB",
                "Greater than 150 TB",
            ]
            .contains(&rest)
        });
        if egress_tier {
            for (loc, price) in prices {
                let Some((location, range)) = loc.rsplit_once(" (StartingRange: ") else {
                    return Err(bad(format!(
                        "`{name}`: `{loc}` has no `(StartingRange: …)`"
                    )));
                };
                let Some(region) = regions.code(location) else {
                    skip_location(skipped, location);
                    continue;
                };
                let (from, to) = range
                    .trim_end_matches(')')
                    .split_once(", EndingRange: ")
                    .ok_or_else(|| bad(format!("`{name}`: unreadable range in `{loc}`")))?;
                let from = parse_price(from).map_err(&bad)?;
                let to = if to == "Inf" {
                    None
                } else {
                    Some(parse_price(to).map_err(&bad)?)
                };
                let price = parse_price(price).map_err(&bad)?;
                tiers.entry(region).or_default().push((from, to, price));
            }
        } else if name == "DataTransfer External Inbound" {
            for (location, price) in prices {
                let Some(region) = regions.code(location) else {
                    skip_location(skipped, location);
                    continue;
                };
                let price = parse_price(price).map_err(&bad)?;
                rows.rates.push(row(
                    region,
                    "internet-in".into(),
                    vec![Tier {
                        upto: None,
                        price,
                        confidence: None,
                    }],
                ));
            }
        } else if name.starts_with(INTER) {
            for (loc, price) in prices {
                let Some((location, dest)) = loc.split_once(" (To Location: ") else {
                    return Err(bad(format!("`{name}`: `{loc}` has no `(To Location: …)`")));
                };
                let dest = dest.strip_suffix(')').unwrap_or(dest);
                let (Some(region), Some(dest)) = (regions.code(location), regions.code(dest))
                else {
                    skip_location(
                        skipped,
                        if regions.code(location).is_none() {
                            location
                        } else {
                            dest
                        },
                    );
                    continue;
                };
                let Ok(price) = parse_price(price) else {
                    *skipped
                        .entry("data transfer price that is not one number".into())
                        .or_default() += 1;
                    continue;
                };
                rows.rates.push(row(
                    region,
                    format!("inter-region/{dest}"),
                    vec![Tier {
                        upto: None,
                        price,
                        confidence: None,
                    }],
                ));
            }
        } else {
            *skipped
                .entry(
                    "data transfer rate not modelled (carrier, Local Zone, per-service copies)"
                        .into(),
                )
                .or_default() += 1;
        }
    }
    for (region, mut parts) in tiers {
        parts.sort_by_key(|p| p.0);
        let contiguous = parts.first().is_some_and(|p| p.0.is_zero())
            && parts.windows(2).all(|w| w[0].1 == Some(w[1].0))
            && parts.last().is_some_and(|p| p.1.is_none());
        if !contiguous {
            return Err(bad(format!(
                "internet egress tiers of {region} do not run from 0 to Inf without gaps"
            )));
        }
        let t = parts
            .into_iter()
            .map(|(_, to, price)| Tier {
                upto: to,
                price,
                confidence: None,
            })
            .collect();
        rows.rates.push(row(region, "internet-out".into(), t));
    }
    Ok(true)
}
