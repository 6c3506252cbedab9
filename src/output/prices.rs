//! `cloudcost prices`: every price the catalog holds for an instance type or a service in a
//! region, with source, date and confidence, and what it does not hold.

use std::fmt::Write;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{Format, md, new_table};
use crate::catalog::model::Offering;
use crate::catalog::{Catalog, Ec2Model, Os, Payment, Term};

/// The services with rate files.
pub const SERVICES: [&str; 6] = ["ec2", "ebs", "s3", "lambda", "data_transfer", "vpc"];

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
    if SERVICES.contains(&service) && !cat.knows_instance_type(item) {
        return Ok(service_listing(cat, service, region, format));
    }
    if !cat.knows_instance_type(item) {
        let similar = cat.similar_instance_types(item);
        let hint = if similar.is_empty() {
            String::new()
        } else {
            format!(" (did you mean {}?)", similar.join(", "))
        };
        return Err(format!(
            "unknown instance type or service `{item}`{hint}; services: {}",
            SERVICES.join(", ")
        ));
    }
    Ok(instance_listing(cat, item, region, hours_per_month, format))
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
    if format == Format::Markdown {
        out.push_str(&format!(
            "| {} |\n|{}\n",
            header.join(" | "),
            "---|".repeat(header.len())
        ));
        for r in &rows {
            writeln!(
                out,
                "| {} |",
                r.iter().map(|c| md(c)).collect::<Vec<_>>().join(" | ")
            )
            .ok();
        }
    } else if format == Format::Csv {
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
    } else {
        let mut t = new_table(&header);
        for r in rows {
            t.add_row(r.to_vec());
        }
        writeln!(out, "{t}").ok();
    }
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
    let mut t = new_table(&["Key", "Price", "Unit", "Confidence", "Source"]);
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
        t.add_row(vec![
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
    let mut out = format!("{service} prices in {region}\n{t}\n");
    if rates.is_empty() {
        writeln!(out, "the catalog holds no {service} prices for {region}").ok();
    }
    out
}
