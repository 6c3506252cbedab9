//! Property tests of the engine's invariants.

use proptest::prelude::*;
use rust_decimal::Decimal;

use cloudcost::catalog::{Ec2Model, Os, Payment, Term};
use cloudcost::pricing::{
    Ec2Usage, LambdaUsage, Pricer, PricingChoice, S3Usage, StorageClass, TransferUsage,
};

use super::catalog;

fn dec(units: u64, scale: u32) -> Decimal {
    Decimal::new(units as i64, scale)
}

fn s3_cost(gb: Decimal) -> Decimal {
    let cat = catalog();
    let mut p = Pricer::new(cat, Decimal::from(730), false);
    let u = S3Usage {
        resource: "b",
        region: "us-east-1",
        class: StorageClass::Standard,
        storage_gb: gb,
        put_requests: Decimal::ZERO,
        get_requests: Decimal::ZERO,
        retrieval_gb: Decimal::ZERO,
        objects: None,
    };
    p.s3(&u).unwrap().iter().map(|l| l.cost.amount()).sum()
}

fn egress_cost(region: &str, gb: Decimal) -> Decimal {
    let cat = catalog();
    let mut p = Pricer::new(cat, Decimal::from(730), false);
    let u = TransferUsage {
        resource: "t",
        region,
        internet_out_gb: gb,
        inter_az_gb: Decimal::ZERO,
        inter_region_gb: Decimal::ZERO,
        destination_region: None,
    };
    p.transfer(&u)
        .unwrap()
        .iter()
        .map(|l| l.cost.amount())
        .sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn cost_is_monotonic_in_quantity(a in 0u64..2_000_000_000, b in 0u64..2_000_000_000) {
        let (lo, hi) = (dec(a.min(b), 3), dec(a.max(b), 3));
        prop_assert!(s3_cost(lo) <= s3_cost(hi));
        prop_assert!(egress_cost("us-east-1", lo) <= egress_cost("us-east-1", hi));
        prop_assert!(egress_cost("ap-northeast-2", lo) <= egress_cost("ap-northeast-2", hi));
    }

    #[test]
    fn tiered_cost_equals_sum_over_tiers(parts in proptest::collection::vec(0u64..100_000_000, 1..6)) {
        // Pricing in several pieces through one month equals pricing the whole at once, and
        // equals the integral over the published tiers computed independently.
        let cat = catalog();
        let rate = cat.rate("s3", "us-east-1", "storage/standard").unwrap();
        let mut p = Pricer::new(cat, Decimal::from(730), false);
        let mut pieces = Decimal::ZERO;
        for (i, q) in parts.iter().enumerate() {
            let name = format!("b{i}");
            let u = S3Usage { resource: &name, region: "us-east-1", class: StorageClass::Standard, storage_gb: dec(*q, 2), put_requests: Decimal::ZERO, get_requests: Decimal::ZERO, retrieval_gb: Decimal::ZERO, objects: None };
            pieces += p.s3(&u).unwrap().iter().map(|l| l.cost.amount()).sum::<Decimal>();
        }
        let total: Decimal = parts.iter().map(|q| dec(*q, 2)).sum();
        let mut integral = Decimal::ZERO;
        let mut lower = Decimal::ZERO;
        for t in &rate.tiers {
            let upper = t.upto.unwrap_or(Decimal::MAX);
            if total > lower {
                integral += (total.min(upper) - lower) * t.price;
            }
            lower = upper;
            if upper == Decimal::MAX { break; }
        }
        prop_assert_eq!(pieces, integral);
        prop_assert_eq!(s3_cost(total), integral);
    }

    #[test]
    fn no_model_is_priced_below_zero(hours in 0u64..100_000, count in 0u64..50, gb in 0u64..10_000_000, req in 0u64..10_000_000_000) {
        let cat = catalog();
        let mut p = Pricer::new(cat, Decimal::from(730), true);
        let h = dec(hours, 2);
        let n = Decimal::from(count);
        let mut lines = Vec::new();
        for pricing in [PricingChoice::OnDemand, PricingChoice::Spot, PricingChoice::Reserved(Term::OneYear, cloudcost::catalog::Offering::Standard, Payment::AllUpfront)] {
            let u = Ec2Usage { resource: "i", region: "us-east-1", instance_type: "m5.large", os: Os::Linux, hours: h, count: n, pricing, az: None };
            lines.extend(p.ec2(&u).unwrap());
        }
        let l = LambdaUsage { resource: "f", region: "ap-northeast-2", arch: cloudcost::catalog::Arch::Arm64, requests: Decimal::from(req), duration_ms: dec(hours, 1), memory_mb: Decimal::from(1024), ephemeral_storage_mb: Decimal::from(2048) };
        lines.extend(p.lambda(&l).unwrap());
        let t = TransferUsage { resource: "t", region: "us-east-1", internet_out_gb: dec(gb, 1), inter_az_gb: dec(gb, 2), inter_region_gb: dec(gb, 3), destination_region: None };
        lines.extend(p.transfer(&t).unwrap());
        for l in &lines {
            prop_assert!(!l.cost.is_negative(), "{} {}", l.component, l.cost.amount());
            prop_assert!(!l.unit_price.is_sign_negative());
        }
    }
}

#[test]
fn amortized_ri_over_the_whole_term_equals_upfront_plus_recurring() {
    // Every RI in the catalog, priced for the hours of its whole term, costs exactly its
    // upfront fee plus its recurring hourly fee over the term.
    let cat = catalog();
    let mut checked = 0;
    for it in ["m5.large", "c5.xlarge"] {
        for p in cat.ec2_prices_for("us-east-1", it) {
            let Ec2Model::Reserved(term, class, pay) = p.model else {
                continue;
            };
            let mut pricer = Pricer::new(cat, term.hours(), false);
            let u = Ec2Usage {
                resource: "r",
                region: "us-east-1",
                instance_type: it,
                os: Os::Linux,
                hours: term.hours(),
                count: Decimal::ONE,
                pricing: PricingChoice::Reserved(term, class, pay),
                az: None,
            };
            let cost: Decimal = pricer
                .ec2(&u)
                .unwrap()
                .iter()
                .map(|l| l.cost.amount())
                .sum();
            assert_eq!(
                cost,
                p.upfront + p.hourly * term.hours(),
                "{it} {}",
                p.model
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 24);
}
