//! `estimate` on the six real billing files in `../shared/realdata/` (its README says where each
//! comes from): every row accounted for, the file's own total to the cent, nothing set aside for
//! want of a region or an instance type, only the prices the catalog honestly lacks missing, and
//! the lab CURs' own reserved instances applied.

use serde_json::Value;

const REALDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/realdata");

/// The re-priced bill of a file (a billing file's default view is its invoice: `views` below).
fn estimate(file: &str) -> Value {
    let path = format!("{REALDATA}/{file}");
    let o = super::cloudcost(&["estimate", &path, "--format", "json", "--cost", "repriced"]);
    assert!(
        o.status.success(),
        "{file}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

/// The prices no source here has (README, "Honest gaps"): Windows beyond t3, spot without a Spot
/// Advisor figure, inter-AZ transfer outside us-east-1 and Seoul.
fn honest_gap(component: &str) -> bool {
    let key = component
        .split("the catalog has no price for ")
        .nth(1)
        .unwrap_or(component);
    key.ends_with("/windows/on-demand") || key.ends_with("/spot") || key.contains("|regional-gb|")
}

/// Asserts what every file must show, and returns its JSON.
fn check(file: &str, billed_total: &str) -> Value {
    let v = estimate(file);
    let rows = &v["rows"];
    assert_eq!(
        n(&rows["read"]),
        n(&rows["priced"]) + n(&rows["carried"]) + n(&rows["charges"]) + n(&rows["rejected"]),
        "{file}: rows read = priced + carried + charges + rejected: {rows}"
    );
    assert_eq!(
        n(&rows["rejected"]),
        0,
        "{file}: {}",
        v["rejected_by_reason"]
    );
    assert_eq!(v["billed_total"], billed_total, "{file}");
    for l in v["lines"].as_array().unwrap() {
        let c = l["component"].as_str().unwrap();
        if c.contains("missing price") {
            assert!(honest_gap(c), "{file}: {c}");
        }
        assert!(
            !c.contains("unknown region") && !c.contains("unknown instance type"),
            "{file}: {c}"
        );
    }
    v
}

#[test]
fn the_cur_2_0_export_reconciles_exactly() {
    let v = check("ha-project-CUR-daily-1-00001.csv", "0.00");
    for service in ["ec2", "ebs", "s3", "public_ipv4", "data_transfer"] {
        assert_eq!(
            v["reconciliation"][service]["difference"], "0.00",
            "{service}: {}",
            v["reconciliation"][service]
        );
    }
    // The whole bill: the re-priced usage, what is taken as billed (RDS, the NAT gateway, the
    // load balancer…) and the credits that cancel it.
    assert_eq!(v["total"], "0.00");
    assert!(n(&v["rows"]["priced"]) > 1_000);
}

#[test]
fn the_focus_converters_cur_1_0() {
    let v = check("sample-anonymous-aws-export-dataset.csv", "1.68");
    assert_eq!(v["total"], "1.68");
    assert_eq!(v["reconciliation"]["s3"]["difference"], "0.00");
}

#[test]
fn the_focus_sample() {
    // No `x_UsageType`: AWS rows are known by their SKU (the catalog's SKU index) or their
    // charge description (data transfer).
    let v = check("focus_sample.csv", "20.52");
    assert!(n(&v["rows"]["priced"]) >= 700, "{}", v["rows"]);
    for service in ["ebs", "lambda", "public_ipv4", "s3"] {
        assert_eq!(
            v["reconciliation"][service]["difference"], "0.00",
            "{service}: {}",
            v["reconciliation"][service]
        );
    }
    // EC2: the file bills three instance-hours at 0 (a commitment's, which FOCUS names in
    // `CommitmentDiscountId`; not applied yet) that cloudcost prices on-demand.
    assert_eq!(v["reconciliation"]["ec2"]["difference"], "0.14");
    // Internet egress: the 1,000 rows are part of an account whose free 100 GB went elsewhere;
    // re-priced alone, these rows fall in the free allowance.
    assert_eq!(v["reconciliation"]["data_transfer"]["billed"], "0.37");
    // Other providers' rows are carried under their names.
    assert_eq!(
        v["by_service"]["Microsoft: Azure Kubernetes Service"],
        "1.58"
    );
}

#[test]
fn the_lab_curs_apply_their_own_reserved_instances() {
    for (file, billed) in [
        ("Oct2018-WorkshopCUR-00001.snappy.parquet", "4064.48"),
        ("Nov2018-WorkshopCUR-00001.snappy.parquet", "3505.33"),
        ("Dec2018-WorkshopCUR-00001.snappy.parquet", "408.38"),
    ] {
        let v = check(file, billed);
        // Nine reservations bill fees; the two Windows ones cover usage the catalog has no
        // price for, and stay as billed (a note says so); the seven others are applied.
        let used: Vec<&Value> = v["commitments"].as_array().unwrap().iter().collect();
        assert_eq!(used.len(), 7, "{file}: {used:#?}");
        let notes = v["notes"].as_array().unwrap();
        assert_eq!(notes.len(), 2, "{file}: {notes:?}");
        assert!(
            notes
                .iter()
                .all(|n| n.as_str().unwrap().contains("windows")),
            "{file}: {notes:?}"
        );
        // The c4.large reservation covers nothing all month, as the file's own
        // `reservation_unused_quantity` (744 hours) says.
        let c4 = used
            .iter()
            .find(|u| u["description"].as_str().unwrap().contains("c4.large"))
            .unwrap();
        assert_eq!(c4["utilization"], "0", "{file}");
        // Their fee rows are replaced by the reservations' own: no RIFee row left in the bill
        // but the two Windows reservations'.
        let fees: Vec<&Value> = v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["component"] == "RIFee")
            .collect();
        assert_eq!(fees.len(), 1, "{file}: {fees:#?}");
        // A monthly fee is billed once for its month, not a day's cost: forecasts and anomaly
        // baselines leave it out of their daily series.
        assert_eq!(fees[0]["pricing_model"], "period charge", "{file}");
    }
}

/// November's idle Elastic IP hours (`ElasticIP:IdleAddress`, the pre-2024 usage type) are
/// re-priced as public IPv4 hours: 563.2 h × 0.005 = 2.816, against 2.811 billed (a few hours
/// the file bills at 0).
#[test]
fn idle_elastic_ips_are_priced_as_public_ipv4() {
    let v = estimate("Nov2018-WorkshopCUR-00001.snappy.parquet");
    let r = &v["reconciliation"]["public_ipv4"];
    assert_eq!(
        (&r["total"], &r["billed"]),
        (&"2.82".into(), &"2.81".into())
    );
}

/// October's EC2 re-priced with its reservations equals AWS's amortized cost of the same usage
/// (the file's `reservation_effective_cost`, unused reservation fees and on-demand usage:
/// 567.0, worked out in DuckDB over the file) but for the t2.micro Free Tier hours the file
/// bills at 0 (9.89 of on-demand): 577.05.
#[test]
fn october_ec2_with_its_reservations() {
    let v = estimate("Oct2018-WorkshopCUR-00001.snappy.parquet");
    assert_eq!(v["reconciliation"]["ec2"]["total"], "577.05");
}

/// `recommend` and `report` take a billing file as they take this project's format: the
/// recommendations a bill alone supports, and the whole bill in the report.
#[test]
fn recommend_and_report_take_a_billing_file() {
    let cur = format!("{REALDATA}/Oct2018-WorkshopCUR-00001.snappy.parquet");
    let o = super::cloudcost(&["recommend", "--usage", &cur, "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let kinds: Vec<&str> = v["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    // The month's steady on-demand m4.xlarge and c5 hours, beside the reservations the file
    // holds; its gp2 volumes.
    assert!(kinds.contains(&"reserved-instances"), "{kinds:?}");
    assert!(kinds.contains(&"gp2-to-gp3"), "{kinds:?}");
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("does not say what volumes and addresses are attached to"),
        "{notes}"
    );

    let dir = tempfile::tempdir().unwrap();
    let cur2 = format!("{REALDATA}/ha-project-CUR-daily-1-00001.csv");
    let o = super::cloudcost(&["report", &cur2, "--out", dir.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("| Billed in the file | $0.00 |"), "{md}");
    assert!(md.contains("taken as billed"), "{md}");
    // The pricing models add up to the whole bill: the usage taken as billed and the credits
    // beside the re-priced usage.
    assert!(md.contains("| as billed | $32.14 |"), "{md}");
    assert!(md.contains("| charge | -$47.68 |"), "{md}");
    assert!(dir.path().join("daily-cost.png").exists());
    // In the invoice (the default view), by account and by the file's JSON tags.
    assert!(md.contains("| Total cost (unblended) | $0.00 |"), "{md}");
    assert!(md.contains("## Cost by account (unblended)"), "{md}");
    assert!(md.contains("147303435917 (Abdul.raji)"), "{md}");
    assert!(md.contains("| cost_center | $19.52 |"), "{md}");

    // The lab CUR's per-key tag columns: the spend each tag covers.
    let dir = tempfile::tempdir().unwrap();
    let o = super::cloudcost(&["report", &cur, "--out", dir.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(
        md.contains("| Total cost (unblended) | $4,064.48 |"),
        "{md}"
    );
    assert!(md.contains("| 011254002932 | $71.46 | 1.8% |"), "{md}");
    assert!(
        md.contains("| cost_center | $381.51 | 90.6% | Cost001 ($174.80), Cost002 ($149.39), Cost006 ($37.24) |"),
        "{md}"
    );
}

/// A commitments file replaces the reservations the file shows: their fee rows leave the bill
/// (the file's fees are counted once, as the commitments' own).
#[test]
fn a_commitments_file_replaces_the_file_s_reservation_fees() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c.toml");
    std::fs::write(
        &c,
        "[[reserved_instance]]\nid = \"c5\"\nregion = \"us-east-1\"\ninstance_type = \"c5.large\"\n\
         count = 2\nterm = \"1yr\"\noffering = \"standard\"\npayment = \"partial-upfront\"\n\
         start = \"2018-04-03\"\nupfront_usd = 223\nhourly_usd = 0.026\n",
    )
    .unwrap();
    let cur = format!("{REALDATA}/Dec2018-WorkshopCUR-00001.snappy.parquet");
    let o = super::cloudcost(&[
        "estimate",
        &cur,
        "--commitments",
        c.to_str().unwrap(),
        "--format",
        "json",
        "--cost",
        "repriced",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let fees = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["component"] == "RIFee")
        .count();
    assert_eq!(fees, 0, "{}", v["lines"]);
    assert_eq!(v["commitments"].as_array().unwrap().len(), 1);
    assert_eq!(v["billed_total"], "408.38");
}

/// Addresses a billing file bills as idle are ones to release when idle for most of the month
/// (November's lab CUR: 563 idle hours), not when idle for the minute between allocation and
/// association (the CUR 2.0 export's four Elastic IPs, one minute each).
#[test]
fn addresses_billed_as_idle_are_recommended_for_release() {
    let kinds = |file: &str| -> Vec<(String, String)> {
        let path = format!("{REALDATA}/{file}");
        let o = super::cloudcost(&["recommend", "--usage", &path, "--format", "json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v["opportunities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["kind"].as_str().unwrap().to_string(),
                    o["resource"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    };
    let nov = kinds("Nov2018-WorkshopCUR-00001.snappy.parquet");
    assert!(
        nov.contains(&(
            "unassociated-address".into(),
            "ElasticIP:IdleAddress".into()
        )),
        "{nov:?}"
    );
    let cur2 = kinds("ha-project-CUR-daily-1-00001.csv");
    assert!(
        !cur2.iter().any(|(k, _)| k == "unassociated-address"),
        "{cur2:?}"
    );
}

/// `estimate --cost VIEW --format json` on a real file (`Err`: what it said on failing).
fn view(file: &str, args: &[&str]) -> Result<Value, String> {
    let path = format!("{REALDATA}/{file}");
    let mut a = vec!["estimate", path.as_str(), "--format", "json"];
    a.extend_from_slice(args);
    let o = super::cloudcost(&a);
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&o.stdout).unwrap())
}

/// Each view's total is the file's own sum, as DuckDB sums it (every cost cast to DECIMAL(38,10),
/// or (38,12) for the text files, summed, rounded to the cent): unblended is the sum of
/// `line_item_unblended_cost` (FOCUS `BilledCost`); amortized takes DiscountedUsage rows at
/// `reservation_effective_cost`, RIFee rows at their unused amortized upfront fee plus unused
/// recurring fee, SavingsPlanCoveredUsage rows at the plan's effective cost, SavingsPlanRecurringFee
/// rows at the commitment to date less the used commitment, SavingsPlanNegation rows at zero, and
/// every other row at its unblended cost (FOCUS `EffectiveCost`); net-unblended is the sum of
/// `line_item_net_unblended_cost`, list of `pricing_public_on_demand_cost` (FOCUS `ListCost`).
#[test]
fn each_cost_view_is_the_file_s_own_sum() {
    let cases = [
        (
            "Oct2018-WorkshopCUR-00001.snappy.parquet",
            "unblended",
            "4064.48",
        ),
        (
            "Oct2018-WorkshopCUR-00001.snappy.parquet",
            "amortized",
            "4195.96",
        ),
        (
            "Oct2018-WorkshopCUR-00001.snappy.parquet",
            "list",
            "4237.68",
        ),
        (
            "Nov2018-WorkshopCUR-00001.snappy.parquet",
            "unblended",
            "3505.33",
        ),
        (
            "Nov2018-WorkshopCUR-00001.snappy.parquet",
            "amortized",
            "3632.56",
        ),
        (
            "Nov2018-WorkshopCUR-00001.snappy.parquet",
            "list",
            "3671.20",
        ),
        (
            "Dec2018-WorkshopCUR-00001.snappy.parquet",
            "unblended",
            "408.38",
        ),
        (
            "Dec2018-WorkshopCUR-00001.snappy.parquet",
            "amortized",
            "539.85",
        ),
        ("Dec2018-WorkshopCUR-00001.snappy.parquet", "list", "580.76"),
        ("ha-project-CUR-daily-1-00001.csv", "unblended", "0.00"),
        ("ha-project-CUR-daily-1-00001.csv", "amortized", "0.00"),
        ("ha-project-CUR-daily-1-00001.csv", "net-unblended", "0.00"),
        ("ha-project-CUR-daily-1-00001.csv", "net-amortized", "0.00"),
        ("ha-project-CUR-daily-1-00001.csv", "list", "49.56"),
        (
            "sample-anonymous-aws-export-dataset.csv",
            "unblended",
            "1.68",
        ),
        (
            "sample-anonymous-aws-export-dataset.csv",
            "amortized",
            "1.68",
        ),
        ("sample-anonymous-aws-export-dataset.csv", "list", "3.36"),
        ("focus_sample.csv", "unblended", "20.52"),
        ("focus_sample.csv", "amortized", "14.98"),
        ("focus_sample.csv", "list", "20.39"),
    ];
    for (file, cost, total) in cases {
        let v = view(file, &["--cost", cost]).unwrap_or_else(|e| panic!("{file} {cost}: {e}"));
        assert_eq!(v["total"], total, "{file} {cost}");
        assert_eq!(v["cost_view"], cost);
        // The re-priced bill is beside it, with its reconciliation, and what reading the file
        // gave: every row accounted for.
        assert!(v["reconciliation"].is_object(), "{file}");
        let rows = &v["rows"];
        assert_eq!(
            n(&rows["read"]),
            n(&rows["priced"]) + n(&rows["carried"]) + n(&rows["charges"]) + n(&rows["rejected"]),
            "{file}"
        );
        let by_service: f64 = v["by_service"]
            .as_object()
            .unwrap()
            .values()
            .map(|x| x.as_str().unwrap().parse::<f64>().unwrap())
            .sum();
        let total: f64 = total.parse().unwrap();
        assert!((by_service - total).abs() < 0.01 * 20.0, "{file} {cost}");
    }
    // The invoice is the default; a view the file has no columns for names them.
    let v = view("Oct2018-WorkshopCUR-00001.snappy.parquet", &[]).unwrap();
    assert_eq!(
        (&v["cost_view"], &v["total"]),
        (&"unblended".into(), &"4064.48".into())
    );
    assert_eq!(v["format"], "aws-legacy-cur");
    let e = view(
        "Oct2018-WorkshopCUR-00001.snappy.parquet",
        &["--cost", "net-unblended"],
    )
    .unwrap_err();
    assert!(e.contains("`line_item_net_unblended_cost`"), "{e}");
    let e = view("focus_sample.csv", &["--cost", "net-amortized"]).unwrap_err();
    assert!(e.contains("net-amortized") && e.contains("focus"), "{e}");
    assert_eq!(
        view("ha-project-CUR-daily-1-00001.csv", &[]).unwrap()["format"],
        "aws-cur-2.0"
    );
}

/// Showback on the October lab CUR: by account and cost-center tag (DuckDB: `group by
/// line_item_usage_account_id, resource_tags_user_cost_center`), the untagged share, the file's
/// own service names, and the CSV a spreadsheet opens.
#[test]
fn the_lab_cur_by_account_and_tag() {
    let file = "Oct2018-WorkshopCUR-00001.snappy.parquet";
    let v = view(file, &["--by", "account,tag:cost_center"]).unwrap();
    let rows = v["by"]["rows"].as_array().unwrap();
    let find = |account: &str, tag: Option<&str>| {
        rows.iter()
            .find(|r| r["account"] == account && r["tag:cost_center"].as_str() == tag)
            .map(|r| r["cost"].as_str().unwrap().to_string())
    };
    assert_eq!(rows.len(), 8);
    assert_eq!(find("836060457634", None).as_deref(), Some("3650.08"));
    assert_eq!(
        find("836060457634", Some("Cost001")).as_deref(),
        Some("174.80")
    );
    assert_eq!(
        find("011254002932", Some("Cost006")).as_deref(),
        Some("37.24")
    );
    assert_eq!(
        find("011254002932", Some("Cost005")).as_deref(),
        Some("1.33")
    );
    assert_eq!(v["untagged"]["tag:cost_center"]["cost"], "3682.97");
    assert_eq!(v["untagged"]["tag:cost_center"]["share"], "0.9061");
    assert_eq!(v["by_service"]["AWSGlue"], "2389.33");
    assert_eq!(v["by_service"]["AmazonRDS"], "920.75");
    assert_eq!(v["by_service"]["AmazonEC2"], "737.50");

    let path = format!("{REALDATA}/{file}");
    let o = super::cloudcost(&[
        "estimate",
        &path,
        "--by",
        "account,tag:cost_center",
        "--format",
        "csv",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "account,tag:cost_center,cost,currency,cost_view");
    assert_eq!(lines.len(), 9, "{csv}");
    assert!(
        lines.contains(&"836060457634,(untagged),3650.08,USD,unblended"),
        "{csv}"
    );
    // The re-priced bill sums by account and tag too: each resource's, over its re-priced cost.
    let v = view(
        file,
        &["--cost", "repriced", "--by", "account,tag:cost_center"],
    )
    .unwrap();
    let sum = |k: &str| -> f64 {
        v[k].as_object()
            .unwrap()
            .values()
            .map(|x| x.as_str().unwrap().parse::<f64>().unwrap())
            .sum()
    };
    let total: f64 = v["total"].as_str().unwrap().parse().unwrap();
    assert!(
        (sum("by_account") - total).abs() < 0.05,
        "{}",
        v["by_account"]
    );
    assert!((sum("by_tag:cost_center") - total).abs() < 0.05);
    assert!(
        v["by_account"]["011254002932"].is_string(),
        "{}",
        v["by_account"]
    );
    // A dimension the re-priced bill has no way to sum by is refused, naming it.
    let e = view(file, &["--cost", "repriced", "--by", "usage-type"]).unwrap_err();
    assert!(e.contains("--by usage-type"), "{e}");
}

/// Budgets on the October lab CUR as AWS Budgets would see them: one on amortized cost fires
/// where the same amount on the invoice does not, one filtered on a cost-center tag and one on
/// the file's own service and an account fire on their parts of the bill (sums as in
/// `each_cost_view_is_the_file_s_own_sum` and `the_lab_cur_by_account_and_tag`).
#[test]
fn budgets_measure_the_lab_cur_in_its_own_views() {
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.toml");
    std::fs::write(
        &budgets,
        r#"
[[budget]]
name = "amortized"
period = "monthly"
amount = 4100
cost = "amortized"
thresholds = [ { percent = 100, on = "actual" } ]

[[budget]]
name = "invoice"
period = "monthly"
amount = 4100
thresholds = [ { percent = 100, on = "actual" } ]

[[budget]]
name = "cost001"
period = "monthly"
amount = 100
filter = { tag = "cost_center=Cost001" }
thresholds = [ { percent = 100, on = "actual" } ]

[[budget]]
name = "glue"
period = "monthly"
amount = 2000
filter = { service = "AWSGlue", account = "836060457634" }
thresholds = [ { percent = 100, on = "actual" } ]
"#,
    )
    .unwrap();
    let path = format!("{REALDATA}/Oct2018-WorkshopCUR-00001.snappy.parquet");
    let o = super::cloudcost(&[
        "alarms",
        &path,
        "--budgets",
        budgets.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let alerts = v
        .as_array()
        .unwrap_or_else(|| v["alerts"].as_array().unwrap());
    let fired = |name: &str| {
        alerts
            .iter()
            .find(|a| a["kind"] == "budget-actual" && a["details"]["budget"] == name)
            .map(|a| a["amount"].as_str().unwrap().to_string())
    };
    assert_eq!(fired("amortized").as_deref(), Some("4195.96"));
    assert_eq!(fired("invoice"), None);
    assert_eq!(fired("cost001").as_deref(), Some("174.80"));
    assert_eq!(fired("glue").as_deref(), Some("2389.33"));
    let a = alerts
        .iter()
        .find(|a| a["details"]["budget"] == "amortized")
        .unwrap();
    assert_eq!(a["details"]["cost_view"], "amortized");
    assert!(a["message"].as_str().unwrap().contains("amortized cost"));
    // Anomalies are looked for in the invoice, named by AWS's usage type.
    let anomaly = alerts
        .iter()
        .find(|a| a["kind"] == "anomaly")
        .expect("the Glue development endpoint's second day");
    assert!(
        anomaly["message"]
            .as_str()
            .unwrap()
            .contains("usage type USE1-DEVED-DPU-Hour"),
        "{anomaly}"
    );
}

/// Anomaly monitors as Cost Anomaly Detection has them: per account and per value of a cost
/// allocation tag, each summing every service; the root cause names the service that rose.
#[test]
fn anomalies_are_watched_per_account_and_per_tag_value() {
    let path = format!("{REALDATA}/Oct2018-WorkshopCUR-00001.snappy.parquet");
    for (monitor, watched) in [
        ("account", "account 836060457634"),
        ("tag:cost_center", "tag cost_center=(untagged)"),
    ] {
        let o = super::cloudcost(&["alarms", &path, "--monitor", monitor, "--format", "json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        let alerts = v
            .as_array()
            .unwrap_or_else(|| v["alerts"].as_array().unwrap());
        let a = alerts
            .iter()
            .find(|a| a["kind"] == "anomaly")
            .unwrap_or_else(|| panic!("{monitor}: {v:#}"));
        assert_eq!(a["details"]["monitored"], watched, "{a:#}");
        assert_eq!(a["details"]["service"], "AWSGlue", "{a:#}");
        assert_eq!(a["period"], "2018-10-11", "{a:#}");
    }
    let o = super::cloudcost(&["alarms", &path, "--monitor", "team"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("tag:KEY"));
}
