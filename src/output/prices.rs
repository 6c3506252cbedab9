//! `cloudcost prices`: every price the catalog holds for an instance type or a service in a
//! region, with source, date and confidence, and what it does not hold.

use std::fmt::Write;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Format, md, new_table};
use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::model::Offering;
use crate::catalog::sku::{SkuCode, SkuRow};
use crate::catalog::{Catalog, Ec2Model, Os, Payment, Term};

/// Renders the listing for `item` (an instance type or a service) in `region`.
/// Returns an error message when the catalog knows neither.
pub fn render(
    cat: &Catalog,
    item: &str,
    region: &str,
    hours_per_month: Decimal,
    format: Format,
) -> Result<String, String> {
    if cat.region(region).is_none() {
        let known: Vec<String> = cat.regions().map(|r| r.code.clone()).collect();
        return Err(format!(
            "unknown region `{region}`; the catalog knows: {}",
            known.join(", ")
        ));
    }
    let service = if item == "data-transfer" {
        "data_transfer"
    } else {
        item
    };
    // Cheapest test first: a type with attributes, a service of the region, then a type priced
    // somewhere (which reads every region's EC2 prices).
    if cat.instance_type(item).is_some() {
        return Ok(instance_listing(cat, item, region, hours_per_month, format));
    }
    if !cat.rates_for(service, region).is_empty() {
        return Ok(service_listing(cat, service, region, format));
    }
    if cat.knows_instance_type(item) {
        return Ok(instance_listing(cat, item, region, hours_per_month, format));
    }
    // Every region's rates are read to list the services only here: a service this region
    // lacks, or no service at all.
    let services = cat.rate_services();
    if services.contains(&service) {
        return Ok(service_listing(cat, service, region, format));
    }
    let similar = cat.similar_instance_types(item);
    let hint = if similar.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", similar.join(", "))
    };
    Err(format!(
        "unknown instance type or service `{item}`{hint}; services: {}",
        services.join(", ")
    ))
}

fn instance_listing(
    cat: &Catalog,
    itype: &str,
    region: &str,
    hpm: Decimal,
    format: Format,
) -> String {
    let prices = cat.ec2_prices_for(region, itype);
    let attrs = cat.instance_type(itype);
    let arm = attrs.is_some_and(|a| a.arch == crate::catalog::Arch::Arm64);
    // What the catalog does not hold.
    let mut missing = Vec::new();
    for os in Os::ALL {
        if *os == Os::Windows && arm {
            continue;
        }
        let mut models = vec![Ec2Model::OnDemand];
        for t in Term::ALL {
            for p in Payment::ALL {
                models.push(Ec2Model::Reserved(*t, Offering::Standard, *p));
                models.push(Ec2Model::Reserved(*t, Offering::Convertible, *p));
                models.push(Ec2Model::SavingsPlan(*t, Offering::Compute, *p));
                models.push(Ec2Model::SavingsPlan(*t, Offering::Ec2Instance, *p));
            }
        }
        let n = models
            .iter()
            .filter(|m| cat.ec2_price(region, itype, *os, **m).is_err())
            .count();
        let od_missing = cat
            .ec2_price(region, itype, *os, Ec2Model::OnDemand)
            .is_err();
        if n > 0 {
            missing.push(format!(
                "{os}: {n} of {} price options (on-demand, 12 reserved, 12 savings plans){}",
                models.len(),
                if od_missing {
                    " (including on-demand)"
                } else {
                    ""
                }
            ));
        }
    }
    let spot = cat.spot_advisor(region, itype, Os::Linux);
    let spot_est = cat.spot_estimate(region, None, itype, Os::Linux).ok();

    if format == Format::Json {
        let v = json!({
            "instance_type": itype,
            "region": region,
            "attributes": attrs,
            "prices": prices.iter().map(|p| json!({
                "os": p.os.to_string(),
                "model": p.model.to_string(),
                "upfront": p.upfront.normalize().to_string(),
                "hourly": p.hourly.normalize().to_string(),
                "effective_hourly": p.effective_hourly().normalize().to_string(),
                "confidence": p.provenance.confidence.to_string(),
                "effective_date": p.provenance.effective_date,
                "source": p.provenance.source,
            })).collect::<Vec<_>>(),
            "spot": spot.map(|s| json!({
                "savings_pct": s.savings_pct.to_string(),
                "interruption_band": s.interruption_band,
                "estimated_hourly": spot_est.as_ref().map(|e| e.hourly.normalize().to_string()),
                "confidence": "estimate",
                "effective_date": s.provenance.effective_date,
                "source": s.provenance.source,
            })),
            "missing": missing,
        });
        return serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
    }

    let mut out = String::new();
    if let Some(a) = attrs {
        let mut line = format!(
            "{itype}: {} vCPU, {} GiB, {}",
            a.vcpu,
            a.memory_gib.normalize(),
            a.arch
        );
        for part in [&a.processor, a.category.as_ref().unwrap_or(&String::new())] {
            if !part.is_empty() {
                write!(line, ", {part}").ok();
            }
        }
        if a.generation == Some(crate::catalog::Generation::Previous) {
            line.push_str(", previous generation");
        }
        write!(line, "; network {}", a.network_performance).ok();
        if let Some(nf) = a.normalization_factor {
            write!(line, "; RI normalization factor {}", nf.normalize()).ok();
        }
        if let Some(b) = a.ebs_max_mbps {
            write!(line, "; EBS up to {} Mbps", b.normalize()).ok();
        }
        if let (Some(c), Some(b)) = (a.cpu_credits_per_hour, a.baseline_pct_per_vcpu) {
            write!(
                line,
                "; burstable: {} credits/h, baseline {}% per vCPU",
                c.normalize(),
                b.normalize()
            )
            .ok();
        }
        writeln!(
            out,
            "{}\n",
            if format == Format::Markdown {
                md(&line)
            } else {
                line
            }
        )
        .ok();
    }
    let mut rows: Vec<[String; 8]> = prices
        .iter()
        .map(|p| {
            [
                p.os.to_string(),
                p.model.to_string(),
                if p.upfront.is_zero() {
                    String::new()
                } else {
                    format!("${}", p.upfront.normalize())
                },
                format!("${}", p.hourly.normalize()),
                format!("${}", p.effective_hourly().round_dp(6).normalize()),
                format!("${}", (p.effective_hourly() * hpm).round_dp(2)),
                format!(
                    "{} {}",
                    p.provenance.confidence, p.provenance.effective_date
                ),
                p.provenance.source.clone(),
            ]
        })
        .collect();
    if let (Some(s), Some(e)) = (spot, &spot_est) {
        rows.push([
            "linux".into(),
            format!(
                "spot (Spot Advisor: -{}%, interruptions {})",
                s.savings_pct, s.interruption_band
            ),
            String::new(),
            format!("${}", e.hourly.normalize()),
            format!("${}", e.hourly.normalize()),
            format!("${}", (e.hourly * hpm).round_dp(2)),
            format!("estimate {}", s.provenance.effective_date),
            s.provenance.source.clone(),
        ]);
    }
    let header = [
        "OS",
        "Model",
        "Upfront",
        "Hourly",
        "Effective hourly",
        &format!("Per month ({} h)", hpm.normalize()),
        "Confidence",
        "Source",
    ];
    if format == Format::Csv {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record([
            "os",
            "model",
            "upfront",
            "hourly",
            "effective_hourly",
            "monthly",
            "confidence",
            "source",
        ]);
        for r in &rows {
            let _ = w.write_record(r.iter().map(|c| c.trim_start_matches('$')));
        }
        return String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
    }
    out.push_str(&render_rows(
        &header,
        rows.into_iter().map(|r| r.to_vec()).collect(),
        format,
    ));
    for m in &missing {
        writeln!(out, "missing in {region}: {m} (no published source found; import an AWS offer file with `cloudcost pricing import`)").ok();
    }
    if arm {
        writeln!(out, "windows: not offered on Graviton (arm64) instances").ok();
    }
    out
}

fn service_listing(cat: &Catalog, service: &str, region: &str, format: Format) -> String {
    let rates = cat.rates_for(service, region);
    if format == Format::Json {
        let v = json!({
            "service": service,
            "region": region,
            "rates": rates.iter().map(|r| json!({
                "key": r.key,
                "unit": r.unit,
                "tiers": r.tiers.iter().map(|t| json!({"upto": t.upto.map(|u| u.normalize().to_string()), "price": t.price.normalize().to_string(), "confidence": t.confidence.unwrap_or(r.provenance.confidence).to_string()})).collect::<Vec<_>>(),
                "confidence": r.provenance.confidence.to_string(),
                "effective_date": r.provenance.effective_date,
                "source": r.provenance.source,
            })).collect::<Vec<Value>>(),
        });
        return serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
    }
    let header = ["Key", "Price", "Unit", "Confidence", "Source"];
    let mut rows: Vec<Vec<String>> = Vec::new();
    for r in &rates {
        let price = if r.is_tiered() {
            r.tiers
                .iter()
                .enumerate()
                .map(|(i, tier)| {
                    format!(
                        "{}: ${}{}",
                        r.tier_label(i),
                        tier.price.normalize(),
                        if tier
                            .confidence
                            .is_some_and(|c| c != r.provenance.confidence)
                        {
                            " *"
                        } else {
                            ""
                        }
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        } else {
            format!("${}", r.first_price().normalize())
        };
        rows.push(vec![
            r.key.clone(),
            price,
            r.unit.clone(),
            format!(
                "{} {}",
                r.provenance.confidence, r.provenance.effective_date
            ),
            r.provenance.source.clone(),
        ]);
    }
    let notes = super::sources_as_footnotes(&header, &mut rows);
    let mut t = new_table(&header);
    for r in rows {
        t.add_row(r);
    }
    let mut out = format!(
        "{service} prices in {region}\n{t}\n{}",
        notes.unwrap_or_default()
    );
    if rates.is_empty() {
        writeln!(out, "the catalog holds no {service} prices for {region}").ok();
    }
    out
}

/// Renders the catalog rows an AWS SKU, SKU.term or rate code names (`cloudcost prices --sku`).
pub fn render_sku(cat: &Catalog, code: &str, format: Format) -> Result<String, String> {
    let code: SkuCode = code
        .parse()
        .map_err(|e: crate::catalog::sku::NotASku| e.to_string())?;
    let rows = cat.by_sku(&code);
    if rows.is_empty() {
        return Err(format!(
            "no catalog row has SKU `{code}` (the catalog holds {} SKUs: every row from AWS's \
             pricing feeds but data transfer, which the feeds give without SKUs; rows imported \
             from offer files keep theirs). Run `cloudcost pricing update`, or import the offer \
             file that prices it with `cloudcost pricing import`",
            cat.sku_count()
        ));
    }
    // Service, item, model, upfront, price, unit.
    let item = |r: &SkuRow| match r {
        SkuRow::Ec2(p) => (
            "ec2".to_string(),
            format!("{} {}", p.instance_type, p.os),
            p.model.to_string(),
            if p.upfront.is_zero() {
                String::new()
            } else {
                format!("${}", p.upfront.normalize())
            },
            format!("${}", p.hourly.normalize()),
            "hour".to_string(),
        ),
        SkuRow::Rate(r) => (
            r.service.clone(),
            r.key.clone(),
            "on-demand".to_string(),
            String::new(),
            if r.is_tiered() {
                r.tiers
                    .iter()
                    .enumerate()
                    .map(|(i, t)| format!("{}: ${}", r.tier_label(i), t.price.normalize()))
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                format!("${}", r.first_price().normalize())
            },
            r.unit.clone(),
        ),
    };
    if format == Format::Json {
        let v: Vec<Value> = rows
            .iter()
            .map(|r| {
                let (service, what, model, ..) = item(r);
                let mut o = json!({
                    "rate_code": r.rate_code(),
                    "region": r.region(),
                    "service": service,
                    "item": what,
                    "model": model,
                    "effective_date": r.provenance().effective_date,
                    "confidence": r.provenance().confidence.to_string(),
                    "source": r.provenance().source,
                });
                match r {
                    SkuRow::Ec2(p) => {
                        o["upfront"] = json!(p.upfront.normalize().to_string());
                        o["hourly"] = json!(p.hourly.normalize().to_string());
                    }
                    SkuRow::Rate(rate) => {
                        o["unit"] = json!(rate.unit);
                        o["tiers"] = rate.tiers.iter().map(|t| json!({"upto": t.upto.map(|u| u.normalize().to_string()), "price": t.price.normalize().to_string()})).collect();
                    }
                }
                o
            })
            .collect();
        return Ok(
            serde_json::to_string_pretty(&json!({"sku": code.to_string(), "rows": v}))
                .unwrap_or_default()
                + "\n",
        );
    }
    let header = [
        "Rate code",
        "Region",
        "Service",
        "Item",
        "Model",
        "Upfront",
        "Price",
        "Unit",
        "Confidence",
        "Source",
    ];
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let (service, what, model, upfront, price, unit) = item(r);
            let p = r.provenance();
            vec![
                r.rate_code().to_string(),
                r.region().to_string(),
                service,
                what,
                model,
                upfront,
                price,
                unit,
                format!("{} {}", p.confidence, p.effective_date),
                p.source.clone(),
            ]
        })
        .collect();
    Ok(render_rows(&header, table_rows, format))
}

/// A plain table, Markdown or CSV of rows (CSV drops the `$` of prices).
fn render_rows(header: &[&str], rows: Vec<Vec<String>>, format: Format) -> String {
    match format {
        Format::Markdown => {
            let mut out = format!(
                "| {} |\n|{}\n",
                header.join(" | "),
                "---|".repeat(header.len())
            );
            for r in &rows {
                writeln!(
                    out,
                    "| {} |",
                    r.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | ")
                )
                .ok();
            }
            out
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let _ = w.write_record(
                header
                    .iter()
                    .map(|h| h.to_lowercase().replace([' ', '/'], "_")),
            );
            for r in &rows {
                let _ = w.write_record(r.iter().map(|c| c.replace('$', "")));
            }
            String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
        }
        _ => {
            let mut rows = rows;
            let notes = super::sources_as_footnotes(header, &mut rows);
            let mut t = new_table(header);
            for r in rows {
                t.add_row(r);
            }
            format!("{t}\n{}", notes.unwrap_or_default())
        }
    }
}

/// What the catalog holds in one region, counted.
#[derive(Default)]
struct Coverage {
    linux: BTreeSet<String>,
    windows: BTreeSet<String>,
    ri_no_upfront: BTreeSet<String>,
    ri_other: BTreeSet<String>,
    savings_plans: BTreeSet<String>,
    /// Rates per service.
    rates: BTreeMap<String, usize>,
    /// Kinds of rate per service (the key up to its first `/`).
    kinds: BTreeMap<String, BTreeSet<String>>,
}

/// Renders what the catalog holds per region, and what it lacks that other regions have
/// (`cloudcost prices` with no instance type or service).
pub fn render_coverage(
    cat: &Catalog,
    region: Option<&str>,
    format: Format,
) -> Result<String, String> {
    if let Some(r) = region
        && cat.region(r).is_none()
    {
        let known: Vec<String> = cat.regions().map(|r| r.code.clone()).collect();
        return Err(format!(
            "unknown region `{r}`; the catalog knows: {}",
            known.join(", ")
        ));
    }
    let mut cov: BTreeMap<&str, Coverage> = cat
        .regions()
        .map(|r| (r.code.as_str(), Coverage::default()))
        .collect();
    for p in cat.ec2_prices() {
        let Some(c) = cov.get_mut(p.region.as_str()) else {
            continue;
        };
        let t = p.instance_type.clone();
        match (p.model, p.os) {
            (Ec2Model::OnDemand, Os::Linux) => c.linux.insert(t),
            (Ec2Model::OnDemand, Os::Windows) => c.windows.insert(t),
            (Ec2Model::Reserved(_, _, Payment::NoUpfront), _) => c.ri_no_upfront.insert(t),
            (Ec2Model::Reserved(..), _) => c.ri_other.insert(t),
            (Ec2Model::SavingsPlan(..), _) => c.savings_plans.insert(t),
        };
    }
    let services = cat.rate_services();
    let mut everywhere: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for service in &services {
        for (code, c) in cov.iter_mut() {
            let rates = cat.rates_for(service, code);
            c.rates.insert(service.to_string(), rates.len());
            let kinds: BTreeSet<String> = rates
                .iter()
                .map(|r| r.key.split('/').next().unwrap_or(&r.key).to_string())
                .collect();
            everywhere
                .entry(service.to_string())
                .or_default()
                .extend(kinds.iter().cloned());
            c.kinds.insert(service.to_string(), kinds);
        }
    }
    let missing_of = |c: &Coverage| -> Vec<String> {
        let mut m = Vec::new();
        for (service, all) in &everywhere {
            let have = &c.kinds[service];
            if have.is_empty() && all.len() > 1 {
                m.push(format!("{service} (all)"));
            } else {
                for k in all.difference(have) {
                    m.push(format!("{service} {k}"));
                }
            }
        }
        m
    };
    let shown: Vec<(&str, &Coverage)> = cov
        .iter()
        .filter(|(code, _)| region.is_none_or(|r| r == **code))
        .map(|(code, c)| (*code, c))
        .collect();
    let location = |code: &str| {
        cat.region(code)
            .map(|r| r.location.clone())
            .unwrap_or_default()
    };
    if format == Format::Json {
        let v: Vec<Value> = shown
            .iter()
            .map(|(code, c)| {
                json!({
                    "region": code,
                    "location": location(code),
                    "instance_types": {
                        "on_demand_linux": c.linux.len(),
                        "on_demand_windows": c.windows.len(),
                        "reserved_no_upfront": c.ri_no_upfront.len(),
                        "reserved_partial_or_all_upfront": c.ri_other.len(),
                        "savings_plans": c.savings_plans.len(),
                    },
                    "rates": c.rates,
                    "missing": missing_of(c),
                })
            })
            .collect();
        return Ok(serde_json::to_string_pretty(&json!({"regions": v})).unwrap_or_default() + "\n");
    }
    let header = [
        "Region",
        "Location",
        "Linux",
        "Windows",
        "RI No Upfront",
        "RI Partial/All Upfront",
        "Savings Plans",
        "Service rates",
        "Missing (other regions have it)",
    ];
    let rows: Vec<Vec<String>> = shown
        .iter()
        .map(|(code, c)| {
            let m = missing_of(c);
            vec![
                code.to_string(),
                location(code),
                c.linux.len().to_string(),
                c.windows.len().to_string(),
                c.ri_no_upfront.len().to_string(),
                c.ri_other.len().to_string(),
                c.savings_plans.len().to_string(),
                c.rates.values().sum::<usize>().to_string(),
                if m.is_empty() {
                    "-".into()
                } else {
                    m.join(", ")
                },
            ]
        })
        .collect();
    let mut out = render_rows(&header, rows, format);
    if format != Format::Csv {
        out.push_str(
            "Counts are instance types with a price (Linux, Windows: on-demand); service rates \
             count every rate of every service. A price the catalog lacks is a `missing price` \
             error, never $0: `cloudcost pricing update` fetches AWS's current feeds (Windows, \
             Partial and All Upfront reserved instances, Savings Plans included) and \
             `cloudcost pricing import` reads an AWS offer file.\n",
        );
    }
    Ok(out)
}
