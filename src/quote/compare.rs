//! `--compare-pricing`: each EC2 entry of a plan under every pricing model side by side:
//! on-demand, each reserved option (effective monthly, upfront, break-even month), savings plans,
//! spot (with its interruption band), and the cheapest. A model the catalog has no price for is
//! shown as missing, never as $0.

use rust_decimal::Decimal;
use serde::Serialize;

use super::Plan;
use crate::catalog::{Catalog, Confidence, Ec2Model, Offering, Os, Payment, Term};
use crate::error::Error;
use crate::money::{Currency, Money};

/// One pricing option for one EC2 entry.
#[derive(Debug, Clone, Serialize)]
pub struct PricingOption {
    /// e.g. `reserved 1yr standard partial-upfront`.
    pub option: String,
    /// Monthly cost for the entry (all instances), upfront amortized. `None` when missing.
    pub monthly: Option<Money>,
    /// One-time fee for the entry (all instances).
    pub upfront: Option<Money>,
    /// Effective price per instance-hour.
    pub effective_hourly: Option<Decimal>,
    /// The month in which the commitment has cost less than on-demand would have.
    pub break_even_month: Option<String>,
    /// Spot interruption band.
    pub interruption_band: Option<String>,
    /// How sure the price is.
    pub confidence: Option<Confidence>,
    /// Why the price is missing, when it is.
    pub missing: Option<String>,
}

/// All options for one EC2 entry.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The entry's name.
    pub resource: String,
    /// Region.
    pub region: String,
    /// Instance type.
    pub instance_type: String,
    /// OS.
    pub os: Os,
    /// Instances.
    pub count: u32,
    /// Hours each instance runs a month.
    pub hours: Decimal,
    /// The options, on-demand first.
    pub options: Vec<PricingOption>,
    /// The option with the lowest monthly cost.
    pub cheapest: Option<String>,
}

/// The comparison for every `[[ec2]]` entry of a plan.
pub fn compare_plan(catalog: &Catalog, plan: &Plan) -> Result<(Currency, Vec<Comparison>), Error> {
    let settings = plan.settings()?;
    let hpm = settings.hours_per_month;
    let mut out = Vec::new();
    for e in &plan.raw.ec2 {
        let region = plan.region_of(catalog, "ec2", &e.name, &e.region)?;
        let itype = e.instance_type.get_ref();
        if !catalog.knows_instance_type(itype) {
            return Err(plan
                .error_at(
                    e.instance_type.span(),
                    format!("[[ec2]] \"{}\", key `instance_type`", e.name.get_ref()),
                    format!("unknown instance type `{itype}`"),
                )
                .into());
        }
        let os = e.os.unwrap_or(Os::Linux);
        let count = e.count.map_or(1, |c| c.0);
        let hours = e.hours.map_or(hpm, |h| h.0);
        out.push(compare_one(
            catalog,
            e.name.get_ref(),
            region,
            itype,
            os,
            count,
            hours,
            hpm,
            e.availability_zone.as_deref(),
        ));
    }
    Ok((settings.currency, out))
}

/// Compares every pricing model for `count` instances running `hours` a month.
#[allow(clippy::too_many_arguments)]
pub fn compare_one(
    catalog: &Catalog,
    resource: &str,
    region: &str,
    itype: &str,
    os: Os,
    count: u32,
    hours: Decimal,
    hours_per_month: Decimal,
    az: Option<&str>,
) -> Comparison {
    let n = Decimal::from(count);
    let billed_hours = if os == Os::Windows {
        hours.ceil()
    } else {
        hours
    };
    let mut options = Vec::new();
    let od = catalog
        .ec2_price(region, itype, os, Ec2Model::OnDemand)
        .ok();
    let od_monthly = od.map(|p| Money::usd(p.hourly * billed_hours * n));
    options.push(match od {
        Some(p) => PricingOption {
            option: "on-demand".into(),
            monthly: od_monthly,
            upfront: None,
            effective_hourly: Some(p.hourly),
            break_even_month: None,
            interruption_band: None,
            confidence: Some(p.provenance.confidence),
            missing: None,
        },
        None => missing_option(
            "on-demand",
            catalog
                .ec2_price(region, itype, os, Ec2Model::OnDemand)
                .unwrap_err()
                .to_string(),
        ),
    });

    let mut missing_ri = Vec::new();
    for term in Term::ALL {
        for class in [Offering::Standard, Offering::Convertible] {
            for pay in Payment::ALL {
                let model = Ec2Model::Reserved(*term, class, *pay);
                let label = format!("reserved {term} {class} {pay}");
                match catalog.ec2_price(region, itype, os, model) {
                    Ok(p) => {
                        // Paid for every hour of the month, used or not.
                        let monthly = Money::usd(
                            (p.hourly * hours_per_month
                                + p.upfront * hours_per_month / term.hours())
                                * n,
                        );
                        let upfront = Money::usd(p.upfront * n);
                        let break_even = od_monthly.map(|odm| {
                            break_even(
                                upfront,
                                Money::usd(p.hourly * hours_per_month * n),
                                odm,
                                *term,
                            )
                        });
                        options.push(PricingOption {
                            option: label,
                            monthly: Some(monthly),
                            upfront: Some(upfront),
                            effective_hourly: Some(p.effective_hourly()),
                            break_even_month: break_even,
                            interruption_band: None,
                            confidence: Some(p.provenance.confidence),
                            missing: None,
                        });
                    }
                    Err(_) => missing_ri.push(label),
                }
            }
        }
    }
    if !missing_ri.is_empty() {
        let what = if missing_ri.len() == 12 {
            "reserved (all 12 term / class / payment options)".to_string()
        } else {
            format!("reserved ({} options)", missing_ri.len())
        };
        options.push(missing_option(
            &what,
            format!(
                "no price in the catalog for {itype} {os} in {region}: {}",
                missing_ri.join(", ")
            ),
        ));
    }

    let mut missing_sp = Vec::new();
    for kind in [Offering::Compute, Offering::Ec2Instance] {
        for term in Term::ALL {
            for pay in Payment::ALL {
                let label = format!("{kind} savings plan {term} {pay}");
                match catalog.ec2_price(region, itype, os, Ec2Model::SavingsPlan(*term, kind, *pay))
                {
                    Ok(p) => options.push(PricingOption {
                        option: label,
                        monthly: Some(Money::usd(p.hourly * billed_hours * n)),
                        upfront: None,
                        effective_hourly: Some(p.hourly),
                        break_even_month: None,
                        interruption_band: None,
                        confidence: Some(p.provenance.confidence),
                        missing: None,
                    }),
                    Err(_) => missing_sp.push(label),
                }
            }
        }
    }
    if !missing_sp.is_empty() {
        let what = if missing_sp.len() == 12 {
            "savings plans (compute and ec2-instance, all terms)".to_string()
        } else {
            format!("savings plans ({} options)", missing_sp.len())
        };
        options.push(missing_option(&what, format!("no rate in the catalog for {itype} {os} in {region}: import an AWS Savings Plans offer file")));
    }

    options.push(match catalog.spot_estimate(region, az, itype, os) {
        Ok(s) => PricingOption {
            option: "spot".into(),
            monthly: Some(Money::usd(s.hourly * billed_hours * n)),
            upfront: None,
            effective_hourly: Some(s.hourly),
            break_even_month: None,
            interruption_band: s.interruption_band.clone(),
            confidence: Some(s.confidence),
            missing: None,
        },
        Err(e) => missing_option("spot", e.to_string()),
    });

    let cheapest = options
        .iter()
        .filter_map(|o| o.monthly.map(|m| (m, o.option.clone())))
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, o)| o);
    Comparison {
        resource: resource.into(),
        region: region.into(),
        instance_type: itype.into(),
        os,
        count,
        hours,
        options,
        cheapest,
    }
}

fn missing_option(label: &str, why: String) -> PricingOption {
    PricingOption {
        option: label.into(),
        monthly: None,
        upfront: None,
        effective_hourly: None,
        break_even_month: None,
        interruption_band: None,
        confidence: None,
        missing: Some(why),
    }
}

/// The first month whose cumulative commitment cost (upfront + recurring) is no more than the
/// cumulative on-demand cost, or "never" within the term ([`Term::break_even_month`]).
fn break_even(upfront: Money, recurring_monthly: Money, od_monthly: Money, term: Term) -> String {
    term.break_even_month(
        upfront.amount(),
        recurring_monthly.amount(),
        od_monthly.amount(),
    )
    .map_or_else(|| "never".into(), |m| format!("month {m}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn break_even_months() {
        let m = |d| Money::usd(d);
        // m5.large 1yr standard partial: $252 upfront, 0.029 × 730 = 21.17 recurring vs 70.08 on-demand.
        assert_eq!(
            break_even(m(dec!(252)), m(dec!(21.17)), m(dec!(70.08)), Term::OneYear),
            "month 6"
        );
        assert_eq!(
            break_even(m(dec!(0)), m(dec!(43.8)), m(dec!(70.08)), Term::OneYear),
            "month 1"
        );
        assert_eq!(
            break_even(m(dec!(10000)), m(dec!(0)), m(dec!(70.08)), Term::OneYear),
            "never"
        );
    }

    #[test]
    fn seoul_upfront_commitments_are_missing_and_spot_is_an_estimate() {
        let c = Catalog::embedded().unwrap();
        let cmp = compare_one(
            &c,
            "web",
            "ap-northeast-2",
            "m5.large",
            Os::Linux,
            2,
            dec!(730),
            dec!(730),
            None,
        );
        assert_eq!(cmp.options[0].monthly.unwrap().amount(), dec!(172.28)); // 0.118 × 730 × 2
        // The feeds give Seoul's No Upfront RIs (1yr standard: 0.073 an hour); no source here
        // has Partial or All Upfront there: those 8 options are missing, not priced.
        let nu = cmp
            .options
            .iter()
            .find(|o| o.option == "reserved 1yr standard no-upfront")
            .unwrap();
        assert_eq!(nu.monthly.unwrap().amount(), dec!(106.58)); // 0.073 × 730 × 2
        assert!(
            cmp.options
                .iter()
                .any(|o| o.option == "reserved (8 options)" && o.monthly.is_none())
        );
        let spot = cmp.options.iter().find(|o| o.option == "spot").unwrap();
        assert_eq!(spot.confidence, Some(Confidence::Estimate));
        assert_eq!(cmp.cheapest.as_deref(), Some("spot"));
    }
}
