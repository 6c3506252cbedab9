//! EC2 feeds: on-demand (`ec2-ondemand-without-sec-sel`, `previousgen-ondemand`), reserved
//! instances (`ec2-reservedinstance`, `ec2-reservedinstance-convertible`), the two processed
//! copies of the aggregated `ec2.json` feed, and the instance type attributes their rows carry.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde_json::Value;

use super::{
    Ec2Row, Feed, FeedInput, FeedRate, Regions, Rows, Skipped, TypeRow, skip_location, source_text,
};
use crate::catalog::files::parse_price;
use crate::catalog::model::{
    Ec2Model, Offering, Os, Payment, Term, family_of, normalization_factor as size_factor, size_of,
};
use crate::error::InputError;

fn skip(skipped: &mut Skipped, why: String) {
    *skipped.entry(why).or_default() += 1;
}

/// Reads an EC2 metered feed into `rows`; false when the feed is not one of EC2's.
pub(crate) fn feed(
    feed: &Feed,
    regions: &Regions<'_>,
    rows: &mut Rows,
    skipped: &mut Skipped,
) -> bool {
    let offering = match feed.source.as_str() {
        "ec2-ondemand-without-sec-sel" | "previousgen-ondemand" => None,
        "ec2-reservedinstance" => Some(Offering::Standard),
        "ec2-reservedinstance-convertible" => Some(Offering::Convertible),
        _ => return false,
    };
    let previous = feed.source == "previousgen-ondemand";
    let source = source_text(&feed.source, &feed.published, &feed.origin);
    for (location, rates) in &feed.locations {
        let Some(region) = regions.code(location) else {
            skip_location(skipped, location);
            continue;
        };
        for rate in rates.values() {
            // Windows with its licence included, as AWS's Windows feeds price it; no other OS.
            let os = match (rate.attr("Operating System"), rate.attr("License Model")) {
                ("Linux", _) => Os::Linux,
                ("Windows", "License Included" | "License included" | "") => Os::Windows,
                (other, _) => {
                    skip(
                        skipped,
                        format!(
                            "EC2 {} not modelled: operating system `{other}`",
                            feed.source
                        ),
                    );
                    continue;
                }
            };
            if !matches!(rate.attr("Pre Installed S/W"), "" | "NA") {
                skip(skipped, "EC2 with pre-installed software (SQL…)".into());
                continue;
            }
            if !matches!(rate.attr("Tenancy"), "" | "Shared") {
                skip(
                    skipped,
                    format!("EC2 tenancy `{}` not modelled", rate.attr("Tenancy")),
                );
                continue;
            }
            let ty = rate.attr("Instance Type");
            if ty.is_empty() {
                skip(
                    skipped,
                    format!("EC2 {} row without `Instance Type`", feed.source),
                );
                continue;
            }
            let model = match offering {
                None => Ec2Model::OnDemand,
                Some(o) => match reserved_terms(rate) {
                    Ok((t, p)) if p == Payment::NoUpfront => Ec2Model::Reserved(t, o, p),
                    Ok((_, p)) => {
                        skip(
                            skipped,
                            format!(
                                "reserved instance {p} (this feed layout gives no upfront fee)"
                            ),
                        );
                        continue;
                    }
                    Err(why) => {
                        skip(skipped, why);
                        continue;
                    }
                },
            };
            rows.ec2.push(Ec2Row {
                region: region.to_string(),
                instance_type: ty.to_string(),
                os,
                model,
                upfront: Decimal::ZERO,
                hourly: rate.price,
                rate_code: rate.rate_code.clone(),
                source: source.clone(),
                effective_date: feed.published.clone(),
            });
            if offering.is_none() && os == Os::Linux {
                match type_row(ty, rate, previous, &feed.published) {
                    Ok(t) => rows.types.push(t),
                    Err(why) => skip(skipped, why),
                }
            }
        }
    }
    true
}

fn reserved_terms(rate: &FeedRate) -> Result<(Term, Payment), String> {
    let term = match rate.attr("LeaseContractLength") {
        "1yr" | "1 yr" | "1 year" => Term::OneYear,
        "3yr" | "3 yr" | "3 year" => Term::ThreeYear,
        other => return Err(format!("reserved instance with lease `{other}`")),
    };
    let payment = match rate.attr("PurchaseOption") {
        "No Upfront" => Payment::NoUpfront,
        "Partial Upfront" => Payment::PartialUpfront,
        "All Upfront" => Payment::AllUpfront,
        other => return Err(format!("reserved instance with purchase option `{other}`")),
    };
    Ok((term, payment))
}

fn type_row(name: &str, rate: &FeedRate, previous: bool, date: &str) -> Result<TypeRow, String> {
    let vcpu = rate
        .attr("vCPU")
        .parse::<u32>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| format!("instance type attributes without a vCPU count ({name})"))?;
    let memory = rate.attr("Memory");
    let memory_gib = memory
        .strip_suffix(" GiB")
        .and_then(|m| parse_price(&m.replace(',', "")).ok())
        .ok_or_else(|| format!("instance type attributes without memory in GiB ({name})"))?;
    Ok(TypeRow {
        name: name.to_string(),
        vcpu,
        memory_gib,
        category: rate.attr("Instance Family").to_string(),
        network_performance: rate.attr("Network Performance").to_string(),
        previous_generation: previous,
        effective_date: date.to_string(),
    })
}

/// `ec2-transformed.json`: Linux on-demand rows by location slug.
pub(crate) fn transformed(
    input: &FeedInput,
    date: &str,
    list: &[Value],
    regions: &Regions<'_>,
    rows: &mut Rows,
    skipped: &mut Skipped,
) -> Result<(), InputError> {
    let source = source_text("ec2.json (transformed)", date, &input.origin);
    for (i, r) in list.iter().enumerate() {
        let field = |p: &str| r.pointer(p).and_then(Value::as_str).unwrap_or_default();
        let bad = |m: String| InputError {
            file: input.name.clone(),
            line: None,
            column: None,
            context: Some(format!("row {}", i + 1)),
            message: m,
        };
        let (slug, ty, os, price, unit) = (
            field("/region"),
            field("/attributes/instanceType"),
            field("/attributes/operatingSystem"),
            field("/pricePerUnit"),
            field("/unit"),
        );
        if unit != "USD per hour" {
            return Err(bad(format!(
                "expected `unit` = `USD per hour`, found `{unit}`"
            )));
        }
        if os != "Linux" {
            skip(
                skipped,
                format!("EC2 ec2.json (transformed) not modelled: operating system `{os}`"),
            );
            continue;
        }
        let Some(region) = regions.code_of_slug(slug) else {
            skip_location(skipped, slug);
            continue;
        };
        if ty.is_empty() {
            return Err(bad("no `attributes.instanceType`".into()));
        }
        let hourly = parse_price(price).map_err(bad)?;
        rows.ec2
            .push(processed_row(region, ty, hourly, &source, date));
    }
    Ok(())
}

/// A processed copy of `ec2.json`: `{"OnDemand Linux-instancetype-<type>": {location: price}}`.
/// False when the map is not one.
pub(crate) fn processed(
    input: &FeedInput,
    date: &str,
    map: &BTreeMap<String, BTreeMap<String, String>>,
    regions: &Regions<'_>,
    rows: &mut Rows,
    skipped: &mut Skipped,
) -> bool {
    const PREFIX: &str = "OnDemand Linux-instancetype-";
    if !map.keys().any(|k| k.starts_with(PREFIX)) {
        return false;
    }
    let source = source_text("ec2.json (processed)", date, &input.origin);
    for (key, prices) in map {
        let Some(ty) = key.strip_prefix(PREFIX) else {
            skip(
                skipped,
                format!(
                    "EC2 processed rate not modelled: `{}`",
                    key.split('-').next().unwrap_or(key)
                ),
            );
            continue;
        };
        for (location, price) in prices {
            let Some(region) = regions.code(location) else {
                skip_location(skipped, location);
                continue;
            };
            // The processing joined differing values of one key with `;`: not one price.
            let Ok(hourly) = parse_price(price) else {
                skip(skipped, "EC2 processed price that is not one number".into());
                continue;
            };
            rows.ec2
                .push(processed_row(region, ty, hourly, &source, date));
        }
    }
    true
}

/// An on-demand Linux row from a processed copy: the processing kept prices, not rate codes.
fn processed_row(region: &str, ty: &str, hourly: Decimal, source: &str, date: &str) -> Ec2Row {
    Ec2Row {
        region: region.to_string(),
        instance_type: ty.to_string(),
        os: Os::Linux,
        model: Ec2Model::OnDemand,
        upfront: Decimal::ZERO,
        hourly,
        rate_code: None,
        source: source.to_string(),
        effective_date: date.to_string(),
    }
}

/// The architecture by AWS's naming convention: a `g` among the letters after the generation
/// digit marks a Graviton (arm64) type (`m7g`, `c6gn`, `x2gd`, `im4gn`, `is4gen`, `g5g`), and
/// `a1` is the first Graviton; GPU families start with `g` before the digit (`g4dn`, `g6e`),
/// which does not count.
pub(crate) fn arch_of(name: &str) -> &'static str {
    let family = family_of(name);
    if family == "a1" {
        return "arm64";
    }
    let after_prefix = family.trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '-');
    let suffix = after_prefix.trim_start_matches(|c: char| c.is_ascii_digit());
    let suffix = suffix.split('-').next().unwrap_or_default();
    if suffix.contains('g') {
        "arm64"
    } else {
        "x86_64"
    }
}

/// The RI normalization factor of a type: by size (nano 0.25 … xlarge 8, N×xlarge 8 × N); a
/// `metal` size takes the factor of the size of its family with as many vCPUs.
pub(crate) fn normalization_factor(name: &str, types: &[TypeRow]) -> Option<Decimal> {
    let size = size_of(name);
    if let Some(f) = size_factor(size) {
        return Some(f);
    }
    if !size.starts_with("metal") {
        return None;
    }
    let family = family_of(name);
    let vcpu = types.iter().find(|t| t.name == name)?.vcpu;
    types
        .iter()
        .filter(|t| family_of(&t.name) == family && t.vcpu == vcpu)
        .find_map(|t| size_factor(size_of(&t.name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graviton_by_name() {
        for arm in [
            "m7g.large",
            "c6gn.xlarge",
            "x2gd.large",
            "im4gn.large",
            "is4gen.large",
            "g5g.xlarge",
            "a1.large",
            "t4g.nano",
            "r8gd.large",
            "hpc7g.4xlarge",
        ] {
            assert_eq!(arch_of(arm), "arm64", "{arm}");
        }
        for x86 in [
            "m5.large",
            "g4dn.xlarge",
            "g6e.xlarge",
            "gr6.4xlarge",
            "c7i-flex.large",
            "u7i-6tb.112xlarge",
            "inf2.xlarge",
            "g4ad.xlarge",
            "i7ie.large",
            "p5.48xlarge",
        ] {
            assert_eq!(arch_of(x86), "x86_64", "{x86}");
        }
    }
}
