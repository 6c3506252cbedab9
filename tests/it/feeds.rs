//! The catalog built from AWS's pricing-page feeds (issue 23): it returns exactly the price of
//! every row the feeds give, newest source winning, and plans price to the cent in regions the
//! catalog did not have before.

use cloudcost::catalog::feeds::{self, Origins};
use cloudcost::catalog::sku::{SkuCode, SkuRow};
use cloudcost::catalog::{Catalog, Os};
use cloudcost::quote::{Plan, build_quote};

const SOURCES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/price-sources");

#[test]
fn the_catalog_returns_every_price_the_feeds_give() {
    let embedded = Catalog::embedded().unwrap();
    embedded.load_all().unwrap();
    let origins = Origins::embedded().unwrap();
    let mut inputs = Vec::new();
    let mut archives: Vec<_> = std::fs::read_dir(SOURCES)
        .expect("../shared/price-sources beside the repository")
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tar.xz"))
        .collect();
    archives.sort();
    assert_eq!(archives.len(), 3, "{archives:?}");
    for a in &archives {
        inputs.extend(feeds::read_inputs(a, &origins).unwrap());
    }
    // The feeds alone, newest winning among them: what `pricing import` writes.
    let built = feeds::build(&inputs, &embedded).unwrap();
    assert_eq!(built.regions.len(), 34, "{:?}", built.regions);
    for reason in built.skipped.keys() {
        assert!(
            reason.starts_with(feeds::NOT_A_REGION)
                || reason.starts_with("file not a price feed")
                || reason.starts_with("processed copy")
                || reason.starts_with("data transfer rate not modelled"),
            "{reason}"
        );
    }
    let from_feeds = Catalog::from_files(built.files).unwrap();
    let (mut n, mut coded) = (0, 0);
    for p in from_feeds.ec2_prices() {
        let got = embedded
            .ec2_price(&p.region, &p.instance_type, p.os, p.model)
            .unwrap_or_else(|e| panic!("{e}"));
        // A hand-checked row with a later date may win: it must then agree with the feed.
        assert_eq!(
            (got.hourly, got.upfront),
            (p.hourly, p.upfront),
            "{} {} {} {}: {} ({}) against the feeds' {} ({})",
            p.region,
            p.instance_type,
            p.os,
            p.model,
            got.hourly,
            got.provenance.source,
            p.hourly,
            p.provenance.source
        );
        // The SKU index finds the row by its rate code, whichever source won. (Types that only
        // the processed copies price, which dropped the codes, have none.)
        if let Some(code) = p.provenance.rate_code.as_deref() {
            let code: SkuCode = code.parse().unwrap();
            match embedded.by_sku(&code).as_slice() {
                [SkuRow::Ec2(q)] => assert_eq!(
                    (&q.region, &q.instance_type, q.os, q.model),
                    (&p.region, &p.instance_type, p.os, p.model),
                    "{code}"
                ),
                other => panic!("{code}: {other:?}"),
            }
            coded += 1;
        }
        n += 1;
    }
    assert!(n > 70_000, "{n} EC2 prices");
    assert!(coded > 69_000, "{coded} of {n} EC2 prices with a rate code");
    let mut rates = 0;
    for region in embedded.regions() {
        for service in [
            "ebs",
            "s3",
            "lambda",
            "vpc",
            "data_transfer",
            "elb",
            "cloudwatch",
        ] {
            for r in from_feeds.rates_for(service, &region.code) {
                let got = embedded
                    .rate(service, &region.code, &r.key)
                    .unwrap_or_else(|e| panic!("{e}"));
                let prices = |t: &[cloudcost::catalog::Tier]| {
                    t.iter().map(|t| (t.upto, t.price)).collect::<Vec<_>>()
                };
                assert_eq!(
                    prices(&got.tiers),
                    prices(&r.tiers),
                    "{service} {} {}",
                    region.code,
                    r.key
                );
                if let Some(code) = &r.provenance.rate_code {
                    // A global product (CloudWatch dashboards) has one SKU in every region.
                    let found = embedded.by_sku(&code.parse().unwrap());
                    assert!(
                        found.iter().any(|f| matches!(f, SkuRow::Rate(q) if q.key == r.key && q.region == r.region)),
                        "{code}: {} rows",
                        found.len()
                    );
                }
                rates += 1;
            }
        }
    }
    assert!(rates > 3_000, "{rates} rates");
    // Rows keep AWS's rate code, and so their SKU.
    let p = embedded
        .ec2_price(
            "eu-west-1",
            "m7i.large",
            Os::Linux,
            cloudcost::catalog::Ec2Model::OnDemand,
        )
        .unwrap();
    let code = p.provenance.rate_code.as_deref().unwrap();
    assert!(code.ends_with(".JRTCKXETXF.6YS6EN2CT7"), "{code}");
    assert_eq!(p.provenance.sku(), code.split('.').next());
}

/// One plan priced in three regions the catalog did not have before the feeds.
fn plan(region: &str) -> Plan {
    let text = format!(
        r#"region = "{region}"
[[ec2]]
name = "web"
instance_type = "m5.large"
[[ec2]]
name = "db"
instance_type = "m5.large"
pricing = "reserved"
term = "1yr"
payment = "no-upfront"
[[ebs]]
name = "data"
volume_type = "gp3"
size_gb = 100
[[s3]]
name = "assets"
storage_class = "standard"
storage_gb = 1000
[[data_transfer]]
name = "egress"
internet_out_gb = 1100
"#
    );
    Plan::parse("plan.toml", &text).unwrap()
}

fn total(region: &str) -> String {
    let cat = Catalog::embedded().unwrap();
    let q = build_quote(&cat, &plan(region)).unwrap_or_else(|e| panic!("{e}"));
    q.total().cents().to_string()
}

#[test]
fn worked_examples_in_frankfurt_tokyo_and_sao_paulo() {
    // Frankfurt: m5.large 0.115 × 730 = 83.95; RI 1yr standard no upfront 0.072 × 730 = 52.56;
    // gp3 100 × 0.0952 = 9.52; S3 1,000 GB × 0.0245 = 24.50; egress (1,100 − 100 free) × 0.09
    // = 90.00. Total 260.53.
    assert_eq!(total("eu-central-1"), "260.53");
    // Tokyo: 0.124 × 730 = 90.52; 0.078 × 730 = 56.94; 100 × 0.096 = 9.60; 1,000 × 0.025 =
    // 25.00; 1,000 × 0.114 = 114.00. Total 296.06.
    assert_eq!(total("ap-northeast-1"), "296.06");
    // São Paulo: 0.153 × 730 = 111.69; 0.09 × 730 = 65.70; 100 × 0.152 = 15.20; 1,000 × 0.0405
    // = 40.50; 1,000 × 0.15 = 150.00. Total 383.09.
    assert_eq!(total("sa-east-1"), "383.09");
}

/// A catalog asked for one instance type at a time reads only that type's rows of a region's
/// files: it must give every price the region read whole gives (eager rows from other files
/// merged, newest winning).
#[test]
fn a_type_read_alone_has_the_prices_of_its_region_read_whole() {
    let whole = Catalog::embedded().unwrap();
    whole.load_all().unwrap();
    let by_type = Catalog::embedded().unwrap();
    let mut n = 0;
    for p in whole
        .ec2_prices()
        .filter(|p| ["us-east-1", "ap-northeast-2", "eu-west-1"].contains(&p.region.as_str()))
    {
        let q = by_type
            .ec2_price(&p.region, &p.instance_type, p.os, p.model)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (
                q.hourly,
                q.upfront,
                &q.provenance.source,
                &q.provenance.rate_code
            ),
            (
                p.hourly,
                p.upfront,
                &p.provenance.source,
                &p.provenance.rate_code
            ),
            "{} {} {} {}",
            p.region,
            p.instance_type,
            p.os,
            p.model
        );
        n += 1;
    }
    assert!(n > 8_000, "{n}");
    assert_eq!(
        by_type.ec2_prices_for("us-east-1", "m5.large").len(),
        whole.ec2_prices_for("us-east-1", "m5.large").len()
    );
    assert!(by_type.knows_instance_type("x2iedn.32xlarge"));
}
