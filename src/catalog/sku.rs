//! AWS SKUs to catalog rows. Billing files name what they bill by SKU (CUR `product/sku`, FOCUS
//! `SkuId` and `SkuPriceId`), and every row the pricing feeds gave keeps its rate code
//! `SKU.offerTermCode.rateCode`, so a row of a bill can be found in the catalog by its SKU alone.
//!
//! A SKU is one product in one region (an instance type, OS and tenancy; a volume type; a
//! request class); its offer terms are the ways to buy it (on-demand is `JRTCKXETXF`, each
//! reserved term and payment its own code). Rows from offer files imported without rate codes
//! and the data transfer feed (which has none) are not in the index.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use super::Catalog;
use super::model::{Ec2Model, Ec2Price, Os, Provenance, Rate};

/// A SKU, a SKU with its offer term code, or a whole rate code, as AWS writes them
/// (`CRAJUW7BTXFMT2UJ`, `CRAJUW7BTXFMT2UJ.JRTCKXETXF`, `CRAJUW7BTXFMT2UJ.JRTCKXETXF.6YS6EN2CT7`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkuCode {
    /// The product's SKU.
    pub sku: String,
    /// The offer term code, when given.
    pub term: Option<String>,
    /// The rate code within the term, when given.
    pub rate: Option<String>,
}

/// A code that is not a SKU, SKU.term or SKU.term.rate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "`{0}` is not an AWS SKU: expected a SKU such as CRAJUW7BTXFMT2UJ, optionally with its offer term code (CRAJUW7BTXFMT2UJ.JRTCKXETXF) or whole rate code (CRAJUW7BTXFMT2UJ.JRTCKXETXF.6YS6EN2CT7): capital letters and digits, parts joined by dots"
)]
pub struct NotASku(pub String);

impl FromStr for SkuCode {
    type Err = NotASku;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let parts: Vec<&str> = t.split('.').collect();
        let part_ok = |p: &&str| {
            !p.is_empty()
                && p.len() <= 32
                && p.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        };
        if parts.len() > 3 || !parts.iter().all(part_ok) {
            return Err(NotASku(s.to_string()));
        }
        Ok(SkuCode {
            sku: parts[0].to_string(),
            term: parts.get(1).map(|p| p.to_string()),
            rate: parts.get(2).map(|p| p.to_string()),
        })
    }
}

impl fmt::Display for SkuCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sku)?;
        for part in [&self.term, &self.rate].into_iter().flatten() {
            write!(f, ".{part}")?;
        }
        Ok(())
    }
}

impl SkuCode {
    /// Whether a row's rate code is this code or lies under it.
    fn matches(&self, rate_code: &str) -> bool {
        let mut parts = rate_code.split('.');
        parts.next() == Some(self.sku.as_str())
            && self.term.as_deref().is_none_or(|t| parts.next() == Some(t))
            && self.rate.as_deref().is_none_or(|r| parts.next() == Some(r))
    }
}

/// A catalog row found by its SKU.
#[derive(Clone, Copy, Debug)]
pub enum SkuRow<'a> {
    /// An EC2 instance price.
    Ec2(&'a Ec2Price),
    /// A service rate.
    Rate(&'a Rate),
}

impl SkuRow<'_> {
    /// Where the row came from (its rate code included).
    pub fn provenance(&self) -> &Provenance {
        match self {
            SkuRow::Ec2(p) => &p.provenance,
            SkuRow::Rate(r) => &r.provenance,
        }
    }

    /// The row's whole rate code.
    pub fn rate_code(&self) -> &str {
        self.provenance().rate_code.as_deref().unwrap_or_default()
    }

    /// The row's region.
    pub fn region(&self) -> &str {
        match self {
            SkuRow::Ec2(p) => &p.region,
            SkuRow::Rate(r) => &r.region,
        }
    }
}

/// Where a SKU's rows are: keys into the catalog's maps, resolved on lookup.
#[derive(Clone, Debug)]
enum Slot {
    Ec2(String, String, Os, Ec2Model),
    Rate(String, String, String),
}

/// Every rate code the catalog holds, by SKU; built once, on the first lookup (it reads every
/// region's EC2 prices).
#[derive(Clone, Debug, Default)]
pub(super) struct SkuIndex(HashMap<String, Vec<(String, Slot)>>);

impl SkuIndex {
    pub(super) fn build(cat: &Catalog) -> SkuIndex {
        let mut map: HashMap<String, Vec<(String, Slot)>> = HashMap::new();
        let mut add = |code: &str, slot: Slot| {
            let sku = code.split('.').next().unwrap_or(code);
            map.entry(sku.to_string())
                .or_default()
                .push((code.to_string(), slot));
        };
        for p in cat.ec2_prices() {
            if let Some(code) = &p.provenance.rate_code {
                let slot = Slot::Ec2(p.region.clone(), p.instance_type.clone(), p.os, p.model);
                add(code, slot);
            }
        }
        for r in cat.all_rates() {
            if let Some(code) = &r.provenance.rate_code {
                add(
                    code,
                    Slot::Rate(r.service.clone(), r.region.clone(), r.key.clone()),
                );
            }
        }
        let region = |s: &Slot| match s {
            Slot::Ec2(region, ..) | Slot::Rate(_, region, _) => region.clone(),
        };
        for rows in map.values_mut() {
            rows.sort_by_key(|(code, slot)| (code.clone(), region(slot)));
        }
        SkuIndex(map)
    }

    /// How many distinct SKUs the index holds.
    pub(super) fn skus(&self) -> usize {
        self.0.len()
    }
}

impl Catalog {
    fn sku_index(&self) -> &SkuIndex {
        self.sku_index.get_or_init(|| SkuIndex::build(self))
    }

    /// The catalog rows a SKU, SKU.term or rate code names, ordered by rate code and region: every offer
    /// term of a SKU (on-demand and each reserved term) when only the SKU is given. Empty when
    /// the catalog holds none.
    pub fn by_sku(&self, code: &SkuCode) -> Vec<SkuRow<'_>> {
        let Some(rows) = self.sku_index().0.get(&code.sku) else {
            return Vec::new();
        };
        rows.iter()
            .filter(|(rate_code, _)| code.matches(rate_code))
            .filter_map(|(_, slot)| match slot {
                Slot::Ec2(region, itype, os, model) => self
                    .ec2_price(region, itype, *os, *model)
                    .ok()
                    .map(SkuRow::Ec2),
                Slot::Rate(service, region, key) => {
                    self.rate(service, region, key).ok().map(SkuRow::Rate)
                }
            })
            .collect()
    }

    /// How many distinct AWS SKUs the catalog's rows carry.
    pub fn sku_count(&self) -> usize {
        self.sku_index().skus()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms_and_refuses_others() {
        let c: SkuCode = "CRAJUW7BTXFMT2UJ".parse().unwrap();
        assert_eq!((c.term.as_deref(), c.rate.as_deref()), (None, None));
        let c: SkuCode = "CRAJUW7BTXFMT2UJ.JRTCKXETXF.6YS6EN2CT7".parse().unwrap();
        assert_eq!(c.to_string(), "CRAJUW7BTXFMT2UJ.JRTCKXETXF.6YS6EN2CT7");
        for bad in ["", "crajuw7btxfmt2uj", "A..B", "A.B.C.D", "A-B", "A.B."] {
            assert!(bad.parse::<SkuCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_code_matches_the_rate_codes_under_it() {
        let code = |s: &str| s.parse::<SkuCode>().unwrap();
        let rc = "CRAJUW7BTXFMT2UJ.JRTCKXETXF.6YS6EN2CT7";
        assert!(code("CRAJUW7BTXFMT2UJ").matches(rc));
        assert!(code("CRAJUW7BTXFMT2UJ.JRTCKXETXF").matches(rc));
        assert!(code(rc).matches(rc));
        assert!(!code("CRAJUW7BTXFMT2UJ.4NA7Y494T4").matches(rc));
        assert!(!code("CRAJUW7BTXFMT2U").matches(rc));
    }
}
