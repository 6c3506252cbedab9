//! The commitments file (`--commitments commitments.toml`): the reserved instances and savings
//! plans an account holds. Keys may be added, never renamed; see `docs/commitments-format.md`.
//!
//! A commitment's price is the catalog's for its type, term, class and payment, unless the file
//! states the contract's own (`upfront_usd`, `hourly_usd` for an RI); a price neither gives is a
//! missing-price error. Savings plan rates always come from the catalog (import the Savings Plans
//! offer file to add them).

use chrono::{DateTime, Months, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use toml::Spanned;

use crate::catalog::{Catalog, Ec2Model, Offering, Os, Payment, Term};
use crate::error::{Error, InputError};
use crate::quote::plan::{Qty, line_col};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    reserved_instance: Vec<RawRi>,
    #[serde(default)]
    savings_plan: Vec<RawSp>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRi {
    id: Option<String>,
    region: Spanned<String>,
    scope: Option<Spanned<String>>,
    availability_zone: Option<String>,
    instance_type: Spanned<String>,
    #[serde(default)]
    os: Option<Os>,
    count: Option<u32>,
    term: Term,
    #[serde(default)]
    offering: Option<Offering>,
    payment: Payment,
    start: Spanned<String>,
    upfront_usd: Option<Qty>,
    hourly_usd: Option<Qty>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSp {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Spanned<Offering>,
    region: Option<String>,
    family: Option<String>,
    commitment_per_hour: Spanned<Qty>,
    term: Term,
    payment: Payment,
    start: Spanned<String>,
}

/// A reserved instance the account holds, with its price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldRi {
    /// Name in reports.
    pub id: String,
    /// Region.
    pub region: String,
    /// Zonal RIs: their AZ.
    pub availability_zone: Option<String>,
    /// Instance type.
    pub instance_type: String,
    /// OS.
    pub os: Os,
    /// Instances reserved.
    pub count: u32,
    /// Term.
    pub term: Term,
    /// Class.
    pub offering: Offering,
    /// Payment option.
    pub payment: Payment,
    /// Start (inclusive).
    pub start: DateTime<Utc>,
    /// End (exclusive): start + term.
    pub end: DateTime<Utc>,
    /// Fee per hour for all `count` instances: recurring + upfront ÷ term hours.
    pub fee_per_hour: Decimal,
}

/// A savings plan the account holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldSp {
    /// Name in reports.
    pub id: String,
    /// Compute or EC2 Instance.
    pub kind: Offering,
    /// EC2 Instance SP: region.
    pub region: Option<String>,
    /// EC2 Instance SP: family.
    pub family: Option<String>,
    /// $ per hour.
    pub commitment_per_hour: Decimal,
    /// Term.
    pub term: Term,
    /// Payment option.
    pub payment: Payment,
    /// Start (inclusive).
    pub start: DateTime<Utc>,
    /// End (exclusive).
    pub end: DateTime<Utc>,
}

/// The commitments of an account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Commitments {
    /// Reserved instances.
    pub reserved: Vec<HeldRi>,
    /// Savings plans.
    pub savings_plans: Vec<HeldSp>,
}

fn parse_start(
    file: &str,
    text: &str,
    s: &Spanned<String>,
    ctx: &str,
) -> Result<DateTime<Utc>, InputError> {
    let v = s.get_ref().trim();
    let parsed = DateTime::parse_from_rfc3339(v)
        .map(|d| d.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        });
    parsed.map_err(|_| {
        let (l, c) = line_col(text, s.span().start);
        InputError {
            file: file.into(),
            line: Some(l),
            column: Some(c.to_string()),
            context: Some(format!("{ctx}, key `start`")),
            message: format!("expected a date (2026-01-15) or RFC 3339 time, found `{v}`"),
        }
    })
}

fn end_of(start: DateTime<Utc>, term: Term) -> DateTime<Utc> {
    start
        .checked_add_months(Months::new(12 * term.years()))
        .unwrap_or(start)
}

impl Commitments {
    /// Parses a commitments file and prices it from the catalog (or the file's own prices).
    pub fn parse(file: &str, text: &str, catalog: &Catalog) -> Result<Commitments, Error> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((None, None), |s| {
                let (l, c) = line_col(text, s.start);
                (Some(l), Some(c.to_string()))
            });
            InputError {
                file: file.into(),
                line,
                column,
                context: None,
                message: e.message().trim().to_string(),
            }
        })?;
        let err_at = |span: std::ops::Range<usize>, ctx: String, message: String| -> Error {
            let (l, c) = line_col(text, span.start);
            InputError {
                file: file.into(),
                line: Some(l),
                column: Some(c.to_string()),
                context: Some(ctx),
                message,
            }
            .into()
        };
        let mut out = Commitments::default();
        for (i, r) in raw.reserved_instance.iter().enumerate() {
            let id = r.id.clone().unwrap_or_else(|| format!("ri-{}", i + 1));
            let ctx = format!("[[reserved_instance]] \"{id}\"");
            if catalog.region(r.region.get_ref()).is_none() {
                return Err(err_at(
                    r.region.span(),
                    format!("{ctx}, key `region`"),
                    format!("unknown region `{}`", r.region.get_ref()),
                ));
            }
            if !catalog.knows_instance_type(r.instance_type.get_ref()) {
                return Err(err_at(
                    r.instance_type.span(),
                    format!("{ctx}, key `instance_type`"),
                    format!("unknown instance type `{}`", r.instance_type.get_ref()),
                ));
            }
            let zonal = match r.scope.as_ref().map(|s| s.get_ref().as_str()) {
                None | Some("regional") => false,
                Some("zonal") => true,
                Some(other) => {
                    return Err(err_at(
                        r.scope.as_ref().map_or(0..0, |s| s.span()),
                        format!("{ctx}, key `scope`"),
                        format!("expected `regional` or `zonal`, found `{other}`"),
                    ));
                }
            };
            if zonal && r.availability_zone.is_none() {
                return Err(err_at(
                    r.instance_type.span(),
                    ctx,
                    "a zonal reserved instance needs `availability_zone`".into(),
                ));
            }
            let offering = r.offering.unwrap_or(Offering::Standard);
            if !offering.is_ri_class() {
                return Err(err_at(
                    r.instance_type.span(),
                    format!("{ctx}, key `offering`"),
                    format!("expected `standard` or `convertible`, found `{offering}`"),
                ));
            }
            let os = r.os.unwrap_or(Os::Linux);
            let count = r.count.unwrap_or(1);
            let (upfront, hourly) = match (r.upfront_usd, r.hourly_usd) {
                (Some(u), Some(h)) => (u.0, h.0),
                _ => {
                    let p = catalog.ec2_price(
                        r.region.get_ref(),
                        r.instance_type.get_ref(),
                        os,
                        Ec2Model::Reserved(r.term, offering, r.payment),
                    )?;
                    (
                        r.upfront_usd.map_or(p.upfront, |u| u.0),
                        r.hourly_usd.map_or(p.hourly, |h| h.0),
                    )
                }
            };
            let start = parse_start(file, text, &r.start, &ctx)?;
            out.reserved.push(HeldRi {
                id,
                region: r.region.get_ref().clone(),
                availability_zone: if zonal {
                    r.availability_zone.clone()
                } else {
                    None
                },
                instance_type: r.instance_type.get_ref().clone(),
                os,
                count,
                term: r.term,
                offering,
                payment: r.payment,
                start,
                end: end_of(start, r.term),
                fee_per_hour: (hourly + upfront / r.term.hours()) * Decimal::from(count),
            });
        }
        for (i, s) in raw.savings_plan.iter().enumerate() {
            let id = s.id.clone().unwrap_or_else(|| format!("sp-{}", i + 1));
            let ctx = format!("[[savings_plan]] \"{id}\"");
            let kind = *s.kind.get_ref();
            if kind.is_ri_class() {
                return Err(err_at(
                    s.kind.span(),
                    format!("{ctx}, key `type`"),
                    format!("expected `compute` or `ec2-instance`, found `{kind}`"),
                ));
            }
            if kind == Offering::Ec2Instance && (s.region.is_none() || s.family.is_none()) {
                return Err(err_at(
                    s.kind.span(),
                    ctx,
                    "an ec2-instance savings plan needs `region` and `family` (e.g. \"m5\")".into(),
                ));
            }
            if s.commitment_per_hour.get_ref().0.is_zero() {
                return Err(err_at(
                    s.commitment_per_hour.span(),
                    format!("{ctx}, key `commitment_per_hour`"),
                    "expected a positive $ per hour".into(),
                ));
            }
            let start = parse_start(file, text, &s.start, &ctx)?;
            out.savings_plans.push(HeldSp {
                id,
                kind,
                region: s.region.clone(),
                family: s.family.clone(),
                commitment_per_hour: s.commitment_per_hour.get_ref().0,
                term: s.term,
                payment: s.payment,
                start,
                end: end_of(start, s.term),
            });
        }
        Ok(out)
    }

    /// The reserved instances a billing file's own `RIFee` rows show, as held commitments, and
    /// a note for each one that cannot be applied (its text incomplete, or no on-demand price for
    /// the usage it covers: its fee and usage then stay as the file billed them). The fee per
    /// hour is the file's recurring rate × count plus its upfront value over the hours the
    /// reservation runs (its start to its end).
    pub fn from_file(
        file: &str,
        found: &[crate::usage::FileReservation],
        catalog: &Catalog,
    ) -> (Commitments, Vec<String>) {
        let mut out = Commitments::default();
        let mut notes = Vec::new();
        for r in found {
            match held_from_file(r, catalog) {
                Ok(ri) => out.reserved.push(ri),
                Err(why) => notes.push(format!(
                    "{file}: reserved instance {} not applied ({why}): its fee and the usage it \
                     covered are taken as billed",
                    r.arn
                )),
            }
        }
        (out, notes)
    }

    /// True when there is nothing to apply.
    pub fn is_empty(&self) -> bool {
        self.reserved.is_empty() && self.savings_plans.is_empty()
    }
}

/// A reserved instance from a billing file's texts, or why it cannot be one.
fn held_from_file(r: &crate::usage::FileReservation, catalog: &Catalog) -> Result<HeldRi, String> {
    let dec = |v: &Option<String>, what: &str| -> Result<Decimal, String> {
        let t = v.as_deref().ok_or(format!("no {what}"))?;
        t.parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(t))
            .map_err(|_| format!("{what} `{t}` is not a number"))
    };
    let time = |v: &Option<String>, what: &str| -> Result<DateTime<Utc>, String> {
        let t = v.as_deref().ok_or(format!("no {what}"))?;
        DateTime::parse_from_rfc3339(t)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|_| format!("{what} `{t}` is not an RFC 3339 time"))
    };
    let (prefix, base, _) = crate::usage::usage_types::split_prefix(&r.usage_type);
    let itype = base
        .strip_prefix("HeavyUsage:")
        .map(str::to_string)
        .ok_or(format!(
            "fee usage type `{}` is not HeavyUsage:<type>",
            r.usage_type
        ))?;
    // The region column, else the fee's usage type prefix (none at all: us-east-1's, the empty
    // prefix); a prefix the catalog does not know (GovCloud) is no region, never us-east-1.
    let prefix = prefix.unwrap_or_default();
    let region = match &r.region {
        Some(code) if catalog.region(code).is_some() => code.clone(),
        _ => catalog
            .region_by_usage_prefix(prefix)
            .map(|reg| reg.code.clone())
            .ok_or(format!(
                "no region the catalog knows ({:?}, usage type `{}`)",
                r.region, r.usage_type
            ))?,
    };
    let os = crate::usage::usage_types::os_of(r.operation.as_deref());
    let os: Os = os
        .parse()
        .map_err(|_| format!("platform not modelled: {os}"))?;
    catalog
        .ec2_price(&region, &itype, os, Ec2Model::OnDemand)
        .map_err(|e| format!("{e}"))?;
    // A modified or exchanged reservation runs from its modification to the original end: any
    // length up to three years; the upfront value is spread over the hours it runs.
    let (start, end) = (time(&r.start, "start time")?, time(&r.end, "end time")?);
    let days = (end - start).num_days();
    let term = match days {
        1..=370 => Term::OneYear,
        371..=1100 => Term::ThreeYear,
        d => {
            return Err(format!(
                "a reservation of {d} days (expected up to 3 years)"
            ));
        }
    };
    let hours = Decimal::from((end - start).num_seconds()) / Decimal::from(3600);
    let count = dec(&r.count, "number of reservations")?;
    let count = u32::try_from(count.trunc())
        .ok()
        .filter(|c| *c > 0 && Decimal::from(*c) == count)
        .ok_or(format!(
            "number of reservations `{count}` is not a positive whole number"
        ))?;
    let hourly = dec(&r.hourly_rate, "hourly fee")?;
    let upfront = match &r.upfront {
        None => Decimal::ZERO,
        v => dec(v, "upfront value")?,
    };
    let lower = |v: &Option<String>| v.as_deref().map(str::to_lowercase);
    let offering = match lower(&r.offering_class) {
        Some(o) => o
            .parse::<Offering>()
            .ok()
            .filter(|o| o.is_ri_class())
            .ok_or(format!("offering class `{o}`"))?,
        None => Offering::Standard,
    };
    let payment = match lower(&r.purchase_option) {
        Some(p) => p
            .parse::<Payment>()
            .map_err(|_| format!("purchase option `{p}`"))?,
        None if upfront.is_zero() => Payment::NoUpfront,
        None if hourly.is_zero() => Payment::AllUpfront,
        None => Payment::PartialUpfront,
    };
    Ok(HeldRi {
        id: r.arn.clone(),
        region,
        availability_zone: r.availability_zone.clone(),
        instance_type: itype,
        os,
        count,
        term,
        offering,
        payment,
        start,
        end,
        fee_per_hour: hourly * Decimal::from(count) + upfront / hours,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::FileReservation;

    fn ri(usage_type: &str, start: &str, end: &str) -> FileReservation {
        FileReservation {
            arn: "arn:aws:ec2:us-east-1:1:reserved-instances/x".into(),
            region: None,
            usage_type: usage_type.into(),
            operation: Some("RunInstances".into()),
            count: Some("2".into()),
            hourly_rate: Some("0.026".into()),
            upfront: Some("446".into()),
            start: Some(start.into()),
            end: Some(end.into()),
            ..Default::default()
        }
    }

    #[test]
    fn reservations_of_the_file_as_commitments() {
        let cat = Catalog::embedded().unwrap();
        // The lab CUR's c5.large reservation: no prefix is us-east-1; a year's upfront value
        // over its hours (8,760 less a second).
        let (c, notes) = Commitments::from_file(
            "cur",
            &[ri(
                "HeavyUsage:c5.large",
                "2018-04-03T01:21:13.000Z",
                "2019-04-03T01:21:12.000Z",
            )],
            &cat,
        );
        assert!(notes.is_empty(), "{notes:?}");
        let r = &c.reserved[0];
        assert_eq!(
            (r.region.as_str(), r.count, r.term),
            ("us-east-1", 2, Term::OneYear)
        );
        assert_eq!(r.fee_per_hour.round_dp(6), Decimal::new(102913, 6));
        // A modified reservation runs from its modification: 245 days, upfront over those hours.
        let (c, notes) = Commitments::from_file(
            "cur",
            &[ri(
                "EUC1-HeavyUsage:c5.large",
                "2026-05-01T00:00:00Z",
                "2027-01-01T00:00:00Z",
            )],
            &cat,
        );
        assert!(notes.is_empty(), "{notes:?}");
        let r = &c.reserved[0];
        assert_eq!(r.region, "eu-central-1");
        assert_eq!(
            r.fee_per_hour,
            Decimal::new(52, 3) + Decimal::from(446) / Decimal::from(245 * 24)
        );
        // A prefix the catalog does not know is no region (GovCloud), never us-east-1.
        let (c, notes) = Commitments::from_file(
            "cur",
            &[ri(
                "UGW1-HeavyUsage:m5.large",
                "2026-01-01T00:00:00Z",
                "2027-01-01T00:00:00Z",
            )],
            &cat,
        );
        assert!(c.reserved.is_empty());
        assert!(
            notes[0].contains("no region the catalog knows"),
            "{notes:?}"
        );
    }
}
