//! NAT gateways, load balancers and CloudWatch (issue 23, point 8): worked examples by hand, the
//! errors a plan gets, and golden files for `examples/vpc-web.toml`.
//!
//! They price against the built-in catalog, built from the feeds (pricing-data/aws/feeds/).

use std::sync::OnceLock;

use cloudcost::catalog::Catalog;
use cloudcost::output::{self, Format};
use cloudcost::quote::{Plan, Quote, build_quote};

/// The built-in catalog: ELB and CloudWatch from the June 2025 feeds, NAT from October 2025.
fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::embedded().unwrap())
}

fn quote(plan: &str) -> Quote {
    let p = Plan::parse("plan.toml", plan).unwrap_or_else(|e| panic!("{e}"));
    build_quote(catalog(), &p).unwrap_or_else(|e| panic!("{e}"))
}

fn quote_err(plan: &str) -> String {
    match Plan::parse("plan.toml", plan) {
        Err(e) => e.to_string(),
        Ok(p) => build_quote(catalog(), &p).unwrap_err().to_string(),
    }
}

fn cents(q: &Quote) -> String {
    q.total().cents().to_string()
}

fn cents_of(q: &Quote, resource: &str, prefix: &str) -> String {
    let m: cloudcost::Money = q
        .lines
        .iter()
        .filter(|l| l.resource == resource && l.component.starts_with(prefix))
        .map(|l| l.cost)
        .sum();
    m.cents().to_string()
}

fn example() -> Plan {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/examples/vpc-web.toml"
    ))
    .unwrap();
    Plan::parse("examples/vpc-web.toml", &text).unwrap()
}

#[test]
fn vpc_web_example_in_ireland() {
    // eu-west-1, 730 h:
    //   web: 2 × 730 h × $0.0456 = $66.576
    //   nat: 730 h × $0.048 = $35.04; 100 GB × $0.048 = $4.80
    //   alb: 730 h × $0.0252 = $18.396; 1.5 LCU × 730 h = 1,095 LCU-h × $0.008 = $8.76
    //   monitoring: 12 alarms × $0.10 = $1.20; 20 metrics × $0.30 = $6.00; 1 dashboard × $3 =
    //   $3.00; 10 GB ingested × $0.57 = $5.70; 30 GB-Mo stored × $0.03 = $0.90 → $16.80
    //   total 66.576 + 39.84 + 27.156 + 16.80 = 150.372 → $150.37
    let q = build_quote(catalog(), &example()).unwrap();
    assert_eq!(cents_of(&q, "web", ""), "66.58");
    assert_eq!(cents_of(&q, "nat", "NAT gateway hours"), "35.04");
    assert_eq!(cents_of(&q, "nat", "NAT gateway data processed"), "4.80");
    assert_eq!(
        cents_of(&q, "alb", "Application Load Balancer hours"),
        "18.40"
    );
    assert_eq!(
        cents_of(&q, "alb", "Application Load Balancer capacity"),
        "8.76"
    );
    assert_eq!(cents_of(&q, "monitoring", ""), "16.80");
    assert_eq!(cents(&q), "150.37");
    let by = q.by_service();
    assert_eq!(by["nat_gateway"].cents().to_string(), "39.84");
    assert_eq!(by["load_balancer"].cents().to_string(), "27.16");
    assert_eq!(by["cloudwatch"].cents().to_string(), "16.80");
}

#[test]
fn nat_gateways_count_and_gb_per_gateway() {
    // us-east-1 (natgateway.json 2025-10-28): 2 gateways × 730 h × $0.045 = $65.70;
    // 2 × 500 GB × $0.045 = $45.00; total $110.70.
    let q = quote(
        "region = \"us-east-1\"\n[[nat_gateway]]\nname = \"nat\"\ncount = 2\ndata_processed_gb = 500\n",
    );
    assert_eq!(cents_of(&q, "nat", "NAT gateway hours"), "65.70");
    assert_eq!(cents_of(&q, "nat", "NAT gateway data processed"), "45.00");
    assert_eq!(cents(&q), "110.70");
    let unit: Vec<&str> = q.lines.iter().map(|l| l.unit.as_str()).collect();
    assert_eq!(unit, ["hour", "GB"]);
}

#[test]
fn load_balancers_of_every_type() {
    // us-east-1 (elb.json 2025-06-05):
    //   application: 730 h × $0.0225 = $16.425; 2 LCU × 730 h = 1,460 LCU-h × $0.008 = $11.68
    //   network: 730 h × $0.0225 = $16.425; 100 NLCU-h given as such × $0.006 = $0.60
    //   gateway: 365 h × $0.0125 = $4.5625; 1 GLCU × 365 h × $0.004 = $1.46
    //   classic: 730 h × $0.025 = $18.25; 200 GB × $0.008 = $1.60
    //   total 28.105 + 17.025 + 6.0225 + 19.85 = 71.0025 → $71.00
    let q = quote(
        "region = \"us-east-1\"\n\
         [[load_balancer]]\nname = \"alb\"\ntype = \"application\"\ncapacity_units = 2\n\
         [[load_balancer]]\nname = \"nlb\"\ntype = \"network\"\ncapacity_unit_hours = 100\n\
         [[load_balancer]]\nname = \"gwlb\"\ntype = \"gateway\"\nhours = 365\ncapacity_units = 1\n\
         [[load_balancer]]\nname = \"clb\"\ntype = \"classic\"\ndata_processed_gb = 200\n",
    );
    assert_eq!(
        cents_of(&q, "alb", "Application Load Balancer capacity"),
        "11.68"
    );
    assert_eq!(
        cents_of(&q, "nlb", "Network Load Balancer capacity"),
        "0.60"
    );
    assert_eq!(cents_of(&q, "gwlb", ""), "6.02");
    assert_eq!(
        cents_of(&q, "clb", "Classic Load Balancer data processed"),
        "1.60"
    );
    assert_eq!(cents(&q), "71.00");
    let lcu = q
        .lines
        .iter()
        .find(|l| l.resource == "alb" && l.unit == "LCU-hour");
    assert_eq!(lcu.unwrap().quantity.to_string(), "1460");
}

#[test]
fn cloudwatch_metric_tiers_accumulate_over_the_region() {
    // us-east-1: 12,000 then 250,000 metrics in the month:
    //   first entry: 10,000 × $0.30 = $3,000 + 2,000 × $0.10 = $200
    //   second: 238,000 × $0.10 = $23,800 (to 250,000) + 12,000 × $0.05 = $600
    //   total $27,600.00
    let q = quote(
        "region = \"us-east-1\"\n[[cloudwatch]]\nname = \"a\"\ncustom_metrics = 12000\n\
         [[cloudwatch]]\nname = \"b\"\ncustom_metrics = 250000\n",
    );
    let names: Vec<&str> = q.lines.iter().map(|l| l.component.as_str()).collect();
    assert_eq!(
        names,
        [
            "Custom metrics (first 10,000 metrics)",
            "Custom metrics (next 240,000 metrics)",
            "Custom metrics (next 240,000 metrics)",
            "Custom metrics (next 750,000 metrics)",
        ]
    );
    assert_eq!(cents_of(&q, "a", ""), "3200.00");
    assert_eq!(cents_of(&q, "b", ""), "24400.00");
    assert_eq!(cents(&q), "27600.00");
}

#[test]
fn cloudwatch_free_tier_only_when_asked_and_shared_by_entries() {
    // eu-west-1, free_tier = true (AWS CloudWatch pricing page, Free tier):
    //   alarms: 12 − 10 free = 2 × $0.10 = $0.20; high resolution: 2 × $0.30 = $0.60 (no free tier)
    //   metrics: 20 − 10 free = 10 × $0.30 = $3.00; dashboards: 1 of 3 free = $0
    //   API requests: 3,000,000 − 1,000,000 free = 2,000 × 1,000 × $0.01 = $20.00
    //   logs: (10 − 5) GB × $0.57 = $2.85 ingested; (30 − 5) GB-Mo × $0.03 = $0.75 stored
    //   → $27.40; the second entry's 5 alarms find the allowance used: 5 × $0.10 = $0.50
    //   total $27.90 (without the free tier: 17 alarms $1.70 + 0.60 + 6.00 + 3.00 + 30.00 + 5.70 + 0.90 = $47.90)
    let plan = |free: bool| {
        format!(
            "region = \"eu-west-1\"\nfree_tier = {free}\n[[cloudwatch]]\nname = \"app\"\nalarms = 12\n\
             high_resolution_alarms = 2\ncustom_metrics = 20\ndashboards = 1\napi_requests = 3000000\n\
             logs_ingested_gb = 10\nlogs_stored_gb = 30\n[[cloudwatch]]\nname = \"more\"\nalarms = 5\n"
        )
    };
    let q = quote(&plan(true));
    assert_eq!(cents_of(&q, "app", "Alarms, standard resolution"), "0.20");
    assert_eq!(cents_of(&q, "app", "API requests"), "20.00");
    assert_eq!(cents_of(&q, "app", ""), "27.40");
    assert_eq!(cents_of(&q, "more", ""), "0.50");
    assert_eq!(cents(&q), "27.90");
    let free = q
        .lines
        .iter()
        .find(|l| l.component == "API requests (free tier)")
        .unwrap();
    assert_eq!(
        (free.quantity.to_string(), free.unit.as_str()),
        ("1000".into(), "1,000 requests")
    );
    let q = quote(&plan(false));
    assert!(q.lines.iter().all(|l| !l.component.contains("free tier")));
    assert_eq!(cents(&q), "47.90");
}

#[test]
fn a_region_without_elb_prices_is_a_missing_price() {
    // New Zealand opened after the June 2025 ELB and CloudWatch feeds.
    let e = quote_err(
        "region = \"ap-southeast-6\"\n[[load_balancer]]\nname = \"alb\"\ntype = \"application\"\n",
    );
    assert!(
        e.contains("missing price")
            && e.contains("ap-southeast-6")
            && e.contains("elb")
            && e.contains("application/hours"),
        "{e}"
    );
    let e = quote_err("region = \"ap-southeast-6\"\n[[cloudwatch]]\nname = \"cw\"\nalarms = 1\n");
    assert!(
        e.contains("ap-southeast-6") && e.contains("cloudwatch") && e.contains("alarms/standard"),
        "{e}"
    );
}

#[test]
fn bad_input_names_file_line_key_and_what_was_expected() {
    let e = quote_err(
        "region = \"us-east-1\"\n[[load_balancer]]\nname = \"alb\"\ntype = \"application\"\nlcus = 3\n",
    );
    assert!(
        e.starts_with("plan.toml:5:1: in [[load_balancer]] (line 2): unknown field `lcus`"),
        "{e}"
    );
    let e = quote_err("region = \"us-east-1\"\n[[load_balancer]]\nname = \"x\"\ntype = \"alb2\"\n");
    assert!(
        e.contains("plan.toml:4:8") && e.contains("`application`, `network`, `gateway`, `classic`"),
        "{e}"
    );
    let e = quote_err(
        "region = \"us-east-1\"\n[[load_balancer]]\nname = \"c\"\ntype = \"classic\"\ncapacity_units = 2\n",
    );
    assert!(
        e.contains("plan.toml:5:18")
            && e.contains("key `capacity_units`")
            && e.contains("data_processed_gb"),
        "{e}"
    );
    let e = quote_err(
        "region = \"us-east-1\"\n[[load_balancer]]\nname = \"a\"\ntype = \"application\"\ndata_processed_gb = 2\n",
    );
    assert!(
        e.contains("plan.toml:5:21") && e.contains("capacity_units"),
        "{e}"
    );
    let e = quote_err(
        "region = \"us-east-1\"\n[[load_balancer]]\nname = \"a\"\ntype = \"network\"\ncapacity_units = 1\ncapacity_unit_hours = 730\n",
    );
    assert!(
        e.contains("plan.toml:6:23") && e.contains("not both"),
        "{e}"
    );
    let e = quote_err(
        "region = \"us-east-1\"\n[[nat_gateway]]\nname = \"n\"\ndata_processed_gb = -1\n",
    );
    assert!(
        e.contains("plan.toml:4:21") && e.contains("non-negative"),
        "{e}"
    );
    let e = quote_err("region = \"us-east-1\"\n[[cloudwatch]]\nname = \"c\"\nalarm = 3\n");
    assert!(e.contains("unknown field `alarm`"), "{e}");
}

#[test]
fn vpc_web_quote_golden() {
    let q = build_quote(catalog(), &example()).unwrap();
    insta::assert_snapshot!(
        "vpc_web_quote_table",
        output::quote::render(&q, Format::Table)
    );
    insta::assert_snapshot!(
        "vpc_web_quote_json",
        output::quote::render(&q, Format::Json)
    );
    insta::assert_snapshot!("vpc_web_quote_csv", output::quote::render(&q, Format::Csv));
    insta::assert_snapshot!(
        "vpc_web_quote_markdown",
        output::quote::render(&q, Format::Markdown)
    );
}
