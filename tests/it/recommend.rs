//! `cloudcost recommend` on a simulated fleet: waste, storage classes, commitments, and figures
//! that `cloudcost quote` reproduces.

use std::sync::OnceLock;

use serde_json::Value;

use super::cloudcost as run;

/// A 21-day, 120-resource fleet in us-east-1 (where the catalog has reserved prices and gp2),
/// simulated once for all tests here.
fn fleet() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        let o = run(&[
            "simulate",
            "--resources",
            "120",
            "--days",
            "21",
            "--region",
            "us-east-1",
            "--out",
            d.path().to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        d
    })
    .path()
}

fn recommend_json(extra: &[&str]) -> Value {
    let usage = fleet().join("usage.parquet");
    let mut args = vec!["--usage", usage.to_str().unwrap()];
    args.extend_from_slice(extra);
    json_of("recommend", &args)
}

/// `cloudcost COMMAND ARGS --format json`, which must succeed, parsed.
fn json_of(command: &str, args: &[&str]) -> Value {
    let mut all = vec![command];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let o = run(&all);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The total `cloudcost quote` gives for a plan, written into `dir`.
fn quote_total(dir: &std::path::Path, plan: &str) -> rust_decimal::Decimal {
    let p = dir.join("plan.toml");
    std::fs::write(&p, plan).unwrap();
    let v = json_of("quote", &[p.to_str().unwrap()]);
    v["total"].as_str().unwrap().parse().unwrap()
}

fn kinds(v: &Value) -> Vec<String> {
    v["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn waste_storage_and_commitments_are_found_and_ranked() {
    let v = recommend_json(&[]);
    let k = kinds(&v);
    for want in [
        "unattached-volume",
        "unassociated-address",
        "gp2-to-gp3",
        "storage-class",
        "reserved-instances",
    ] {
        assert!(k.iter().any(|x| x == want), "no {want} in {k:?}");
    }
    let savings: Vec<f64> = v["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["monthly_saving"].as_str().unwrap().parse().unwrap())
        .collect();
    // Ranked by saving, and none of these raises cost.
    assert!(savings.windows(2).all(|w| w[0] >= w[1]), "{savings:?}");
    assert!(savings.iter().all(|s| *s > 0.0), "{savings:?}");
    let total: f64 = savings.iter().sum();
    let reported: f64 = v["total_monthly_saving"].as_str().unwrap().parse().unwrap();
    assert!(
        (total - reported).abs() < 0.01 * savings.len() as f64,
        "{total} vs {reported}"
    );
    // Hot buckets (read all day) are not moved out of Standard.
    let moved: Vec<&str> = v["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "storage-class")
        .map(|o| o["resource"].as_str().unwrap())
        .collect();
    assert!(
        moved.iter().all(|b| b.ends_with('1')
            || b.ends_with('3')
            || b.ends_with('5')
            || b.ends_with('7')
            || b.ends_with('9')),
        "even-numbered buckets are hot: {moved:?}"
    );
}

#[test]
fn a_gp2_to_gp3_saving_is_what_quote_gives_before_and_after() {
    let v = recommend_json(&[]);
    let o = v["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "gp2-to-gp3")
        .expect("a gp2 volume");
    let detail = o["detail"].as_str().unwrap();
    let size: &str = detail.split(' ').next().unwrap();
    let action = o["action"].as_str().unwrap();
    let iops = action
        .split("with ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    let mbps = action
        .split("IOPS and ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let before = dir.path().join("before.toml");
    let after = dir.path().join("after.toml");
    std::fs::write(&before, format!("region = \"us-east-1\"\n[[ebs]]\nname = \"v\"\nvolume_type = \"gp2\"\nsize_gb = {size}\n")).unwrap();
    std::fs::write(&after, format!("region = \"us-east-1\"\n[[ebs]]\nname = \"v\"\nvolume_type = \"gp3\"\nsize_gb = {size}\niops = {iops}\nthroughput_mbps = {mbps}\n")).unwrap();
    let q = |p: &std::path::Path| -> f64 {
        let o = run(&["quote", p.to_str().unwrap(), "--format", "json"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v["total"].as_str().unwrap().parse().unwrap()
    };
    let saving: f64 = o["monthly_saving"].as_str().unwrap().parse().unwrap();
    assert!(
        ((q(&before) - q(&after)) - saving).abs() < 0.006,
        "quote gives {} − {}, recommend {saving}",
        q(&before),
        q(&after)
    );
}

#[test]
fn reserved_instances_are_sized_and_cross_checked() {
    let v = recommend_json(&["--commitment-lookback", "7"]);
    let ri = v["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "reserved-instances")
        .expect("an RI recommendation");
    let d = ri["detail"].as_str().unwrap();
    assert!(
        d.contains("utilization")
            && d.contains("coverage")
            && d.contains("break-even")
            && d.contains("cross-checked"),
        "{d}"
    );
    // A region without reserved prices (Seoul, less the feeds' RIs): the report says so rather
    // than guessing.
    let dir = tempfile::tempdir().unwrap();
    let data = super::catalog_without_seoul_reserved(dir.path());
    let o = run(&[
        "simulate",
        "--resources",
        "40",
        "--days",
        "7",
        "--region",
        "ap-northeast-2",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let o = run(&[
        "--pricing-data",
        data.to_str().unwrap(),
        "recommend",
        "--usage",
        dir.path().join("usage.parquet").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(!kinds(&v).iter().any(|k| k == "reserved-instances"));
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("no reserved price")),
        "{}",
        v["notes"]
    );
}

#[test]
fn recommend_needs_an_input() {
    let o = run(&["recommend"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--metrics"));
}

#[test]
fn a_savings_plan_is_recommended_when_the_catalog_has_its_rates() {
    let dir = tempfile::tempdir().unwrap();
    let data = super::catalog_with_test_savings_plans(dir.path());
    // Seoul: no reserved prices, a (test) Compute Savings Plans rate for m5.large.
    let sim = dir.path().join("sim");
    let o = run(&[
        "simulate",
        "--resources",
        "60",
        "--days",
        "10",
        "--region",
        "ap-northeast-2",
        "--out",
        sim.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let o = run(&[
        "--pricing-data",
        data.to_str().unwrap(),
        "recommend",
        "--usage",
        sim.join("usage.parquet").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let plan = v["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "savings-plan")
        .expect("a savings plan recommendation");
    assert!(
        plan["action"]
            .as_str()
            .unwrap()
            .contains("/hour Compute Savings Plan")
    );
    assert!(plan["detail"].as_str().unwrap().contains("cross-checked"));
}

#[test]
fn old_snapshots_and_snapshots_of_deleted_volumes_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let usage = dir.path().join("usage.csv");
    let mut csv = String::from(
        "usage_start,usage_end,region,service,usage_type,resource_id,quantity,volume_type,attached_to,created_at\n",
    );
    for d in 1..=30 {
        let (s, e) = (
            format!("2026-10-{d:02}T00:00:00Z"),
            format!("2026-10-{:02}T00:00:00Z", d + 1),
        );
        // A live volume; an old snapshot of it; a recent one of it; a recent one of a volume
        // that is gone; a snapshot that says nothing of its age or volume.
        csv.push_str(&format!(
            "{s},{e},us-east-1,ebs,volume-gb-hours,vol-live,2400,gp3,i-1,\n\
             {s},{e},us-east-1,ebs,snapshot-gb-hours,snap-old,4800,,vol-live,2026-01-15T08:00:00Z\n\
             {s},{e},us-east-1,ebs,snapshot-gb-hours,snap-new,2400,,vol-live,2026-09-20T08:00:00Z\n\
             {s},{e},us-east-1,ebs,snapshot-gb-hours,snap-orphan,1200,,vol-gone,2026-09-25T08:00:00Z\n\
             {s},{e},us-east-1,ebs,snapshot-gb-hours,snap-quiet,1200,,,\n"
        ));
    }
    std::fs::write(&usage, csv).unwrap();
    let o = run(&[
        "recommend",
        "--usage",
        usage.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let snaps: Vec<(&str, &str, &str)> = v["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "old-snapshot")
        .map(|o| {
            (
                o["resource"].as_str().unwrap(),
                o["monthly_saving"].as_str().unwrap(),
                o["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(snaps.len(), 2, "{snaps:?}");
    // 200 GB at 0.05 USD per GB-month; 50 GB likewise.
    assert_eq!(snaps[0].0, "snap-old");
    assert_eq!(snaps[0].1, "10.00");
    assert!(snaps[0].2.contains("288 days old"), "{}", snaps[0].2);
    assert_eq!(snaps[1].0, "snap-orphan");
    assert_eq!(snaps[1].1, "2.50");
    assert!(snaps[1].2.contains("vol-gone is gone"), "{}", snaps[1].2);
}

/// The simulated fleet's metrics written as `aws cloudwatch get-metric-data` output (two pages
/// in a directory, newest first as the CLI writes them; an instance's type and region from the
/// usage file, or from `aws ec2 describe-instances` JSON) right-size every instance exactly as
/// the same hours in this project's metrics file do.
#[test]
fn cloudwatch_output_right_sizes_as_the_metrics_file_does() {
    let dir = tempfile::tempdir().unwrap();
    let read =
        cloudcost::usage::metrics::read_metrics(&fleet().join("metrics.parquet"), 14).unwrap();
    let series: Vec<_> = read.series.iter().take(12).collect();
    assert!(series.len() >= 10);
    // The same hours in the metrics contract.
    let mut csv = String::from(
        "timestamp,resource_id,region,instance_type,cpu_max_pct,cpu_avg_pct,mem_max_pct,net_in_bytes,net_out_bytes,cpu_credit_balance\n",
    );
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for s in &series {
        for h in &s.samples {
            csv.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{}\n",
                h.hour.to_rfc3339(),
                s.resource_id,
                s.region,
                s.instance_type,
                h.cpu_max_pct,
                h.cpu_avg_pct,
                opt(h.mem_max_pct),
                opt(h.net_in_bytes),
                opt(h.net_out_bytes),
                opt(h.cpu_credit_balance)
            ));
        }
    }
    let contract = dir.path().join("metrics.csv");
    std::fs::write(&contract, csv).unwrap();
    // The same hours as get-metric-data pages: one result per metric and instance.
    let cw = dir.path().join("cloudwatch");
    std::fs::create_dir(&cw).unwrap();
    let mut inventory = Vec::new();
    for (page, chunk) in series.chunks(6).enumerate() {
        let mut results = Vec::new();
        for s in chunk {
            let id = s.resource_id.replace('-', "_");
            type Get = fn(&cloudcost::metrics::HourSample) -> Option<f64>;
            let fields: [(&str, Get); 6] = [
                ("cpu_max", |h| Some(h.cpu_max_pct)),
                ("cpu_avg", |h| Some(h.cpu_avg_pct)),
                ("mem_max", |h| h.mem_max_pct),
                ("net_in", |h| h.net_in_bytes),
                ("net_out", |h| h.net_out_bytes),
                ("cpu_credits", |h| h.cpu_credit_balance),
            ];
            for (metric, get) in fields {
                let points: Vec<(String, f64)> = s
                    .samples
                    .iter()
                    .rev()
                    .filter_map(|h| {
                        get(h).map(|v| (h.hour.format("%Y-%m-%dT%H:%M:%S+00:00").to_string(), v))
                    })
                    .collect();
                if points.is_empty() {
                    continue;
                }
                results.push(serde_json::json!({
                    "Id": format!("{metric}_{id}"),
                    "Label": metric,
                    "StatusCode": "Complete",
                    "Timestamps": points.iter().map(|p| p.0.clone()).collect::<Vec<_>>(),
                    "Values": points.iter().map(|p| p.1).collect::<Vec<_>>(),
                }));
            }
            inventory.push(serde_json::json!({
                "InstanceId": s.resource_id,
                "InstanceType": s.instance_type,
                "Placement": { "AvailabilityZone": format!("{}a", s.region) },
            }));
        }
        std::fs::write(
            cw.join(format!("page-{page}.json")),
            serde_json::json!({ "MetricDataResults": results, "Messages": [] }).to_string(),
        )
        .unwrap();
    }
    let inv = dir.path().join("instances.json");
    std::fs::write(
        &inv,
        serde_json::json!({ "Reservations": [ { "Instances": inventory } ] }).to_string(),
    )
    .unwrap();
    let instances = |args: &[&str]| -> Value {
        let mut all = vec!["recommend", "--format", "json"];
        all.extend_from_slice(args);
        let o = run(&all);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        v["instances"].clone()
    };
    let want = instances(&["--metrics", contract.to_str().unwrap()]);
    assert_eq!(want.as_array().unwrap().len(), series.len());
    let usage = fleet().join("usage.parquet");
    let by_usage = instances(&[
        "--metrics",
        cw.to_str().unwrap(),
        "--usage",
        usage.to_str().unwrap(),
    ]);
    // With --usage, the instances section is the same (the other kinds come from the usage).
    assert_eq!(by_usage, want);
    let by_inventory = instances(&[
        "--metrics",
        cw.to_str().unwrap(),
        "--inventory",
        inv.to_str().unwrap(),
    ]);
    assert_eq!(by_inventory, want);
    // Without either, the types and regions are missing: an error that says where they come from.
    let o = run(&["recommend", "--metrics", cw.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--inventory"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A Compute Optimizer EC2 export (`aws compute-optimizer export-ec2-instance-recommendations`,
/// in its documented CSV layout) is right-sized with cloudcost's rules on its utilization
/// columns, priced in each instance's own region, and compared with its findings.
#[test]
fn compute_optimizer_export_right_sizes_and_compares_its_findings() {
    use cloudcost::catalog::{Catalog, Ec2Model, Os};
    let export = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/metrics/compute_optimizer_ec2.csv"
    );
    let v = json_of("recommend", &["--metrics", export]);
    let instances = v["instances"].as_array().unwrap();
    let by_id = |id: &str| {
        instances
            .iter()
            .find(|i| i["resource"] == format!("i-0a1b2c3d4e5f6000{id}"))
            .unwrap_or_else(|| panic!("{id}: {instances:#?}"))
    };
    let cat = Catalog::embedded().unwrap();
    let monthly = |region: &str, ty: &str| {
        (cat.ec2_price(region, ty, Os::Linux, Ec2Model::OnDemand)
            .unwrap()
            .hourly
            * rust_decimal::Decimal::from(730))
        .round_dp(2)
        .to_string()
    };
    // 10.2 % of 8 vCPUs and 21.5 % of 32 GiB: cloudcost agrees it is over-provisioned, and
    // with 20 % headroom on memory it keeps 16 GiB where Compute Optimizer proposes m5.large.
    let over = by_id("1");
    assert_eq!(over["finding"], "over-provisioned");
    assert_eq!(over["compute_optimizer"]["agrees"], true);
    assert_eq!(over["compute_optimizer"]["recommended_type"], "m5.large");
    assert_eq!(over["current_monthly"], monthly("us-east-1", "m5.2xlarge"));
    let best = &over["options"][0];
    let best_type = best["instance_type"].as_str().unwrap();
    assert_eq!(best["monthly_cost"], monthly("us-east-1", best_type));
    assert!(
        best["projected_mem_pct"].as_f64().unwrap() * 1.2 <= 100.0,
        "{best}"
    );
    // A CPU maximum of 100 %: under-provisioned by both.
    let under = by_id("2");
    assert_eq!(under["finding"], "under-provisioned");
    assert_eq!(under["compute_optimizer"]["agrees"], true);
    // Priced in its own region, from the ARN.
    let eu = by_id("4");
    assert_eq!(eu["region"], "eu-west-1");
    assert_eq!(eu["current_monthly"], monthly("eu-west-1", "c5.xlarge"));
    // A newer generation costs less: cloudcost says over-provisioned, Compute Optimizer optimized.
    assert_eq!(eu["finding"], "over-provisioned");
    assert_eq!(eu["compute_optimizer"]["finding"], "optimized");
    assert_eq!(eu["compute_optimizer"]["agrees"], false);
    assert_eq!(instances.len(), 4);
    let notes = v["notes"].to_string();
    assert!(notes.contains("on 3 of 4 instances"), "{notes}");
    assert!(
        notes.contains("i-0a1b2c3d4e5f60004 (c5.xlarge): cloudcost over-provisioned, Compute Optimizer optimized"),
        "{notes}"
    );
    assert!(
        notes.contains("1 metric row(s) set aside: Compute Optimizer made no recommendation (errorCode InsufficientData)"),
        "{notes}"
    );
    // The text table shows Compute Optimizer's verdict beside cloudcost's.
    let o = run(&["recommend", "--metrics", export]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("optimized (differs)"), "{text}");

    // An export without the utilization column cannot be right-sized: the error names it.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("co.csv");
    std::fs::write(
        &bad,
        "accountId,instanceArn,currentInstanceType,finding\n1,arn:aws:ec2:us-east-1:1:instance/i-1,m5.large,Optimized\n",
    )
    .unwrap();
    let o = run(&["recommend", "--metrics", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("co.csv") && err.contains("`utilizationMetrics_CPU_MAXIMUM`"),
        "{err}"
    );
}

/// Two weeks of hand-written metrics in Seoul: an m5.large busy on weekdays 08:00-19:00 local
/// time and one busy around the clock. The first gets an off-hours schedule in the user's time
/// zone, whose saving is what `quote` gives for the hours it runs before and after; the second
/// gets none. Covered by a reserved instance, stopping saves nothing, and none is proposed.
#[test]
fn an_office_hours_instance_gets_a_schedule_priced_as_quote_gives() {
    use chrono::{Datelike, TimeZone, Timelike};
    use rust_decimal::Decimal;
    let dir = tempfile::tempdir().unwrap();
    let tz = chrono_tz::Asia::Seoul;
    let start = tz
        .with_ymd_and_hms(2026, 11, 2, 0, 0, 0)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut metrics = String::from(
        "timestamp,resource_id,region,instance_type,cpu_max_pct,cpu_avg_pct,mem_max_pct,net_in_bytes,net_out_bytes\n",
    );
    let mut usage = String::from(
        "usage_start,usage_end,region,availability_zone,service,usage_type,resource_id,quantity,instance_type,os,purchase_option,volume_type,storage_class,architecture,destination_region\n",
    );
    for h in 0..14 * 24 {
        let at = start + chrono::Duration::hours(h);
        let local = at.with_timezone(&tz);
        let office = local.weekday().num_days_from_monday() < 5 && (8..19).contains(&local.hour());
        for (id, busy) in [("i-office", office), ("i-always", true)] {
            let (max, avg, net) = if busy {
                (70, 45, 50_000_000)
            } else {
                (3, 1, 10_000)
            };
            metrics.push_str(&format!(
                "{},{id},ap-northeast-2,m5.large,{max},{avg},60,{net},{net}\n",
                at.to_rfc3339()
            ));
            usage.push_str(&format!(
                "{},{},ap-northeast-2,ap-northeast-2a,ec2,instance-seconds,{id},3600,m5.large,linux,on-demand,,,,\n",
                at.to_rfc3339(),
                (at + chrono::Duration::hours(1)).to_rfc3339()
            ));
        }
    }
    let m = dir.path().join("metrics.csv");
    let u = dir.path().join("usage.csv");
    std::fs::write(&m, metrics).unwrap();
    std::fs::write(&u, usage).unwrap();
    let recommend = |extra: &[&str]| -> Value {
        let mut args = vec!["--metrics", m.to_str().unwrap(), "--timezone", "Asia/Seoul"];
        args.extend_from_slice(extra);
        json_of("recommend", &args)
    };
    let schedules = |v: &Value| -> Vec<Value> {
        v["opportunities"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["kind"] == "schedule")
            .cloned()
            .collect()
    };
    let v = recommend(&[]);
    let found = schedules(&v);
    assert_eq!(found.len(), 1, "{v:#}");
    let s = &found[0];
    assert_eq!(s["resource"], "i-office");
    let action = s["action"].as_str().unwrap();
    assert!(
        action.contains("only Mon-Fri 08:00-19:00 Asia/Seoul (113 hours a week stopped)"),
        "{action}"
    );
    assert!(
        s["detail"]
            .as_str()
            .unwrap()
            .contains("2 weeks observed, never broken"),
        "{s}"
    );
    // The type it runs (after any right-sizing), for 730 hours and for 55 of 168 hours of them.
    let ty = action.split(' ').nth(1).unwrap();
    let on = Decimal::from(55 * 730) / Decimal::from(168);
    let quote = |hours: &str| {
        quote_total(
            dir.path(),
            &format!(
                "region = \"ap-northeast-2\"\n[[ec2]]\nname = \"box\"\ninstance_type = \"{ty}\"\nhours = {hours}\n"
            ),
        )
    };
    let saving: Decimal = s["monthly_saving"].as_str().unwrap().parse().unwrap();
    assert_eq!(quote("730") - quote(&on.to_string()), saving, "{s}");

    // With the bill, the same; with a reserved instance for each, stopping saves nothing.
    let v = recommend(&["--usage", u.to_str().unwrap()]);
    assert_eq!(schedules(&v).len(), 1, "{v:#}");
    let c = dir.path().join("commitments.toml");
    std::fs::write(
        &c,
        "[[reserved_instance]]\nid = \"ri\"\nregion = \"ap-northeast-2\"\ninstance_type = \"m5.large\"\nterm = \"1yr\"\noffering = \"standard\"\npayment = \"no-upfront\"\nstart = \"2026-01-01\"\ncount = 2\n",
    )
    .unwrap();
    let v = recommend(&[
        "--usage",
        u.to_str().unwrap(),
        "--commitments",
        c.to_str().unwrap(),
    ]);
    assert!(schedules(&v).is_empty(), "{v:#}");
    let notes = v["notes"].to_string();
    assert!(
        notes.contains("no off-hours schedule for 1 instance (i-office)")
            && notes.contains("a commitment covers it"),
        "{notes}"
    );
}

/// Four m5.large of one role whose load swings over the day (70 % CPU from 12:00 to 18:00 UTC,
/// 10 % otherwise): recommend proposes a fleet that follows the load instead of right-sizing them
/// one by one, and its saving is what `quote` gives for four instances all month against the
/// instance-hours the fleet needs.
#[test]
fn a_fleet_with_a_daily_swing_follows_its_load_as_quote_prices_it() {
    use chrono::{TimeZone, Timelike};
    use rust_decimal::Decimal;
    let dir = tempfile::tempdir().unwrap();
    let start = chrono::Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0).unwrap();
    let mut metrics = String::from(
        "timestamp,resource_id,region,instance_type,cpu_max_pct,cpu_avg_pct,mem_max_pct,net_in_bytes,net_out_bytes\n",
    );
    for h in 0..14 * 24 {
        let at = start + chrono::Duration::hours(h);
        let busy = (12..18).contains(&at.hour());
        for i in 0..4 {
            let (max, avg) = if busy { (70 + i, 56) } else { (10 + i, 8) };
            metrics.push_str(&format!(
                "{},i-web{i},us-east-1,m5.large,{max},{avg},40,50000000,50000000\n",
                at.to_rfc3339()
            ));
        }
    }
    let m = dir.path().join("metrics.csv");
    std::fs::write(&m, metrics).unwrap();
    let o = run(&[
        "recommend",
        "--metrics",
        m.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ops = v["opportunities"].as_array().unwrap();
    let fleets: Vec<&Value> = ops.iter().filter(|o| o["kind"] == "scale-fleet").collect();
    assert_eq!(fleets.len(), 1, "{v:#}");
    let f = fleets[0];
    // Peak: (70+71+72+73) % × 1.2 = 343 % → 4 instances; otherwise 46 % × 1.2 → 1, kept at 2.
    let action = f["action"].as_str().unwrap();
    assert!(
        action.contains("2 to 4 instances, 420 instance-hours a week instead of 672"),
        "{action}"
    );
    // Right-sizing them one by one is the alternative, not added.
    assert!(ops.iter().all(|o| o["kind"] != "rightsize"), "{v:#}");
    let quote = |count: u32, hours: &str| {
        quote_total(
            dir.path(),
            &format!(
                "region = \"us-east-1\"\n[[ec2]]\nname = \"web\"\ninstance_type = \"m5.large\"\ncount = {count}\nhours = {hours}\n"
            ),
        )
    };
    // 420 instance-hours a week are 105 hours of each of the four.
    let each = Decimal::from(105 * 730) / Decimal::from(168);
    let saving: Decimal = f["monthly_saving"].as_str().unwrap().parse().unwrap();
    assert_eq!(quote(4, "730") - quote(4, &each.to_string()), saving, "{f}");
}
