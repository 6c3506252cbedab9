//! Every worked example of ../shared/PRICING-FACTS.md that a quote can express: plan in, exact
//! cents out.

use super::{cents_of, quote};

#[test]
fn m5_large_on_demand_730_hours() {
    let q = quote("region = \"us-east-1\"\n[[ec2]]\nname = \"a\"\ninstance_type = \"m5.large\"\n");
    assert_eq!(q.total().cents().to_string(), "70.08");
}

#[test]
fn ri_all_upfront_is_amortized_not_zero() {
    // 494 × 730 ÷ 8,760 = 41.1666… → $41.17 a month (Infracost users' complaint: $0).
    let q = quote(
        "region = \"us-east-1\"\n[[ec2]]\nname = \"a\"\ninstance_type = \"m5.large\"\npricing = \"reserved\"\nterm = \"1yr\"\npayment = \"all-upfront\"\n",
    );
    assert_eq!(q.total().cents().to_string(), "41.17");
    assert_eq!(q.lines.len(), 1, "all-upfront has no recurring line");
}

#[test]
fn ri_partial_upfront_amortized_plus_recurring() {
    // 1yr standard partial: 252 × 730 ÷ 8,760 = 21.00, plus 0.029 × 730 = 21.17.
    let q = quote(
        "region = \"us-east-1\"\n[[ec2]]\nname = \"a\"\ninstance_type = \"m5.large\"\npricing = \"reserved\"\nterm = \"1yr\"\npayment = \"partial-upfront\"\n",
    );
    assert_eq!(cents_of(&q, "Reserved instance upfront"), "21.00");
    assert_eq!(cents_of(&q, "Reserved instance recurring"), "21.17");
    assert_eq!(q.total().cents().to_string(), "42.17");
    // 3yr convertible all upfront: 1,161 × 730 ÷ 26,280 = 32.25.
    let q = quote(
        "region = \"us-east-1\"\n[[ec2]]\nname = \"a\"\ninstance_type = \"m5.large\"\npricing = \"reserved\"\nterm = \"3yr\"\noffering = \"convertible\"\npayment = \"all-upfront\"\n",
    );
    assert_eq!(q.total().cents().to_string(), "32.25");
}

#[test]
fn elasticache_amortization_example_formula() {
    // PRICING-FACTS: 0.0680 + 599.0088 ÷ 8,760 = 0.1364 $/h (not 0.0684).
    use cloudcost::catalog::*;
    use rust_decimal_macros::dec;
    let p = Ec2Price {
        region: "ap-southeast-1".into(),
        instance_type: "cache.r7g.large".into(),
        os: Os::Linux,
        model: Ec2Model::Reserved(Term::OneYear, Offering::Standard, Payment::PartialUpfront),
        upfront: dec!(599.0088),
        hourly: dec!(0.0680),
        provenance: Provenance {
            source: "test".into(),
            effective_date: "2025-01-01".into(),
            confidence: Confidence::Published,
            file: "test".into(),
            rate_code: None,
        },
    };
    assert_eq!(p.effective_hourly().round_dp(4), dec!(0.1364));
}

#[test]
fn ebs_gp3_example_twelve_hours_of_a_thirty_day_month() {
    // gp3 2,000 GB, 10,000 IOPS, 500 MB/s for 12 h of a 720-h month: $2.67 + $0.58 + $0.25.
    let q = quote(
        "region = \"us-east-1\"\nhours_per_month = 720\n[[ebs]]\nname = \"v\"\nvolume_type = \"gp3\"\nsize_gb = 2000\niops = 10000\nthroughput_mbps = 500\nhours = 12\n",
    );
    assert_eq!(cents_of(&q, "Storage (gp3)"), "2.67");
    assert_eq!(cents_of(&q, "Provisioned IOPS"), "0.58");
    assert_eq!(cents_of(&q, "Provisioned throughput"), "0.25");
    assert_eq!(q.total().cents().to_string(), "3.50");
}

#[test]
fn lambda_free_tier_example_at_the_exact_rate() {
    // 512 MB, 3M requests of 1 s, free tier: 1,100,000 GB-s × 0.0000166667 = 18.333370 → $18.33;
    // requests (3M − 1M) × $0.20/M = $0.40; total $18.73 (the page's $18.74 used a rounded rate).
    let q = quote(
        "region = \"us-east-1\"\nfree_tier = true\n[[lambda]]\nname = \"f\"\nrequests = 3000000\nduration_ms = 1000\nmemory_mb = 512\n",
    );
    assert_eq!(cents_of(&q, "Duration"), "18.33");
    assert_eq!(cents_of(&q, "Requests"), "0.40");
    assert_eq!(q.total().cents().to_string(), "18.73");
    let exact: rust_decimal::Decimal = q.lines.iter().map(|l| l.cost.amount()).sum();
    assert_eq!(exact.normalize().to_string(), "18.73337");
}

#[test]
fn lambda_without_free_tier_and_duration_rounds_up_to_the_ms() {
    // 1M requests of 100.2 ms → billed 101 ms at 128 MB: 1,000,000 × 0.101 × 0.125 = 12,625 GB-s.
    let q = quote(
        "region = \"us-east-1\"\n[[lambda]]\nname = \"f\"\nrequests = 1000000\nduration_ms = 100.2\n",
    );
    let d = q
        .lines
        .iter()
        .find(|l| l.component.starts_with("Duration"))
        .unwrap();
    assert_eq!(d.quantity.normalize().to_string(), "12625");
    assert_eq!(q.total().cents().to_string(), "0.41"); // 0.2104… + 0.20
}

#[test]
fn public_ipv4_730_hours() {
    let q = quote("region = \"us-east-1\"\n[[public_ipv4]]\nname = \"ip\"\n");
    assert_eq!(q.total().cents().to_string(), "3.65");
    let q = quote(
        "region = \"ap-northeast-2\"\n[[public_ipv4]]\nname = \"ip\"\ncount = 3\nidle = true\n",
    );
    assert_eq!(q.total().cents().to_string(), "10.95");
}

#[test]
fn data_transfer_free_100_gb_then_tiers() {
    // 15,000 GB out of us-east-1: 100 free; 10,140 × 0.09 = 912.60; 4,760 × 0.085 = 404.60.
    let q =
        quote("region = \"us-east-1\"\n[[data_transfer]]\nname = \"t\"\ninternet_out_gb = 15000\n");
    assert_eq!(q.total().cents().to_string(), "1317.20");
    // Seoul: the same volume at 0.126 / 0.122.
    let q = quote(
        "region = \"ap-northeast-2\"\n[[data_transfer]]\nname = \"t\"\ninternet_out_gb = 15000\n",
    );
    assert_eq!(q.total().cents().to_string(), "1858.36"); // 10,140 × 0.126 + 4,760 × 0.122
}

#[test]
fn free_egress_is_shared_across_entries_and_regions() {
    let q = quote(
        "[[data_transfer]]\nname = \"a\"\nregion = \"us-east-1\"\ninternet_out_gb = 60\n\n[[data_transfer]]\nname = \"b\"\nregion = \"ap-northeast-2\"\ninternet_out_gb = 60\n",
    );
    // 100 GB free in all: a uses 60, b gets 40 free and pays 20 × 0.126.
    assert_eq!(q.total().cents().to_string(), "2.52");
}

#[test]
fn inter_az_is_charged_in_each_direction_and_inter_region_by_destination() {
    let q = quote(
        "region = \"us-east-1\"\n[[data_transfer]]\nname = \"t\"\ninter_az_gb = 1000\ninter_region_gb = 500\ndestination_region = \"us-east-2\"\n",
    );
    assert_eq!(cents_of(&q, "Inter-AZ"), "20.00");
    assert_eq!(cents_of(&q, "Inter-region"), "5.00");
}

#[test]
fn s3_standard_tiers_accumulate_across_buckets() {
    // 30,000 + 30,000 GB: the second bucket crosses 51,200 GB: 21,200 × 0.023 + 8,800 × 0.022.
    let q = quote(
        "region = \"us-east-1\"\n[[s3]]\nname = \"a\"\nstorage_gb = 30000\n[[s3]]\nname = \"b\"\nstorage_gb = 30000\n",
    );
    assert_eq!(q.total().cents().to_string(), "1371.20");
    let b: cloudcost::Money = q
        .lines
        .iter()
        .filter(|l| l.resource == "b")
        .map(|l| l.cost)
        .sum();
    assert_eq!(b.cents().to_string(), "681.20");
}

#[test]
fn s3_minimum_object_size_and_archive_overhead() {
    // 1,000,000 objects of ~10 KB in Standard-IA are billed as 128 KB each: 122.0703125 GB.
    let q = quote(
        "region = \"us-east-1\"\n[[s3]]\nname = \"small\"\nstorage_class = \"standard-ia\"\nstorage_gb = 9.5367431640625\nobjects = 1000000\n",
    );
    let s = &q.lines[0];
    assert_eq!(s.quantity.normalize().to_string(), "122.0703125");
    assert_eq!(q.total().cents().to_string(), "1.53");
    // Deep Archive: 1,048,576 objects add 32 GB at 0.00099 and 8 GB at Standard's 0.023.
    let q = quote(
        "region = \"us-east-1\"\n[[s3]]\nname = \"arc\"\nstorage_class = \"deep-archive\"\nstorage_gb = 1000\nobjects = 1048576\n",
    );
    assert_eq!(cents_of(&q, "Archive overhead, 32 KB"), "0.03");
    assert_eq!(cents_of(&q, "Archive overhead, 8 KB"), "0.18");
    assert_eq!(q.total().cents().to_string(), "1.21"); // 0.99 + 0.03168 + 0.184
}

#[test]
fn s3_requests_and_retrieval() {
    let q = quote(
        "region = \"us-east-1\"\n[[s3]]\nname = \"ia\"\nstorage_class = \"standard-ia\"\nstorage_gb = 1000\nput_requests = 100000\nget_requests = 1000000\nretrieval_gb = 50\n",
    );
    // 12.50 storage + 1.00 PUT + 1.00 GET + 0.50 retrieval.
    assert_eq!(q.total().cents().to_string(), "15.00");
}

#[test]
fn spot_is_an_estimate_with_its_interruption_band() {
    let q = quote(
        "region = \"us-east-1\"\n[[ec2]]\nname = \"w\"\ninstance_type = \"m5.large\"\npricing = \"spot\"\n",
    );
    let l = &q.lines[0];
    assert_eq!(l.confidence, cloudcost::catalog::Confidence::Estimate);
    // Spot Advisor: m5.large us-east-1 saves 66 % → 0.096 × 0.34 = 0.03264 × 730 = 23.83.
    assert_eq!(q.total().cents().to_string(), "23.83");
    assert!(
        l.note
            .as_deref()
            .unwrap()
            .contains("interruption frequency"),
        "{:?}",
        l.note
    );
}

#[test]
fn windows_bills_whole_hours() {
    let q = quote(
        "region = \"us-east-1\"\n[[ec2]]\nname = \"w\"\ninstance_type = \"t3.medium\"\nos = \"windows\"\nhours = 10.2\n",
    );
    assert_eq!(q.lines[0].quantity.to_string(), "11");
    assert_eq!(q.total().cents().to_string(), "0.66");
}

#[test]
fn io2_iops_tiers_are_per_volume() {
    // 40,000 IOPS: 32,000 × 0.065 + 8,000 × 0.0455 (unconfirmed tier) per volume, 2 volumes.
    let q = quote(
        "region = \"us-east-1\"\n[[ebs]]\nname = \"db\"\nvolume_type = \"io2\"\nsize_gb = 100\niops = 40000\ncount = 2\n",
    );
    assert_eq!(cents_of(&q, "Provisioned IOPS"), "4888.00");
    assert!(
        q.lines
            .iter()
            .any(|l| l.confidence == cloudcost::catalog::Confidence::Unconfirmed)
    );
}

#[test]
fn currency_conversion_only_for_display() {
    let q = quote(
        "region = \"us-east-1\"\ncurrency = \"KRW\"\nfx_rate = 1400\n[[public_ipv4]]\nname = \"ip\"\n",
    );
    assert_eq!(q.total().cents().to_string(), "3.65");
    assert_eq!(q.currency.format(q.total()), "₩5,110");
}
