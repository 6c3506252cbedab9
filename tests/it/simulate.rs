//! `cloudcost simulate`: deterministic, complete, and priceable.

use serde_json::Value;

use super::cloudcost as run;

#[test]
fn same_seed_same_files_and_the_fleet_prices_without_rejects() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let c = dir.path().join("c");
    for (out, seed) in [(&a, "7"), (&b, "7"), (&c, "8")] {
        let o = run(&[
            "simulate",
            "--resources",
            "60",
            "--days",
            "10",
            "--seed",
            seed,
            "--out",
            out.to_str().unwrap(),
            "--csv",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for f in ["usage.csv", "metrics.csv", "commitments.toml"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between runs with one seed"
        );
    }
    assert_ne!(
        std::fs::read(a.join("metrics.csv")).unwrap(),
        std::fs::read(c.join("metrics.csv")).unwrap()
    );
    let o = run(&[
        "simulate",
        "--resources",
        "60",
        "--days",
        "10",
        "--out",
        a.to_str().unwrap(),
        "--csv",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    for p in [
        "web",
        "batch",
        "idle-dev",
        "cache",
        "bursty",
        "credit-starved",
        "hot",
        "growing",
        "worker",
        "oversized",
    ] {
        assert!(err.contains(&format!("{p} ")), "profile {p} missing: {err}");
    }
    let o = run(&[
        "estimate",
        a.join("usage.csv").to_str().unwrap(),
        "--commitments",
        a.join("commitments.toml").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["rows"]["rejected"], 0, "{}", v["rejected_by_reason"]);
    for svc in ["ec2", "ebs", "s3", "lambda", "data_transfer", "public_ipv4"] {
        assert!(
            v["by_service"][svc].is_string(),
            "no {svc} in {}",
            v["by_service"]
        );
    }
}

#[test]
fn the_metrics_file_reads_back_with_every_instance() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&[
        "simulate",
        "--resources",
        "40",
        "--days",
        "3",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m =
        cloudcost::usage::metrics::read_metrics(&dir.path().join("metrics.parquet"), 14).unwrap();
    assert_eq!(
        m.rows_read as usize,
        m.series.iter().map(|s| s.samples.len()).sum::<usize>()
    );
    assert!(m.rejected.is_empty());
    assert_eq!(m.series.len(), 20);
    let t = m
        .series
        .iter()
        .find(|s| s.instance_type.starts_with("t3"))
        .unwrap();
    assert!(t.samples.iter().all(|s| s.cpu_credit_balance.is_some()));
}

#[test]
fn bad_metric_rows_are_counted_by_reason() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.csv");
    std::fs::write(
        &f,
        "timestamp,resource_id,region,instance_type,cpu_max_pct,cpu_avg_pct,mem_max_pct\n\
         2026-10-01T00:00:00Z,i-1,us-east-1,m5.large,50,20,40\n\
         2026-10-01T01:00:00Z,i-1,us-east-1,m5.large,150,20,40\n\
         2026-10-01T02:00:00Z,i-1,us-east-1,m5.large,50,20,lots\n\
         soon,i-1,us-east-1,m5.large,50,20,40\n",
    )
    .unwrap();
    let m = cloudcost::usage::metrics::read_metrics(&f, 14).unwrap();
    assert_eq!(m.rows_read, 4);
    assert_eq!(m.series[0].samples.len(), 1);
    assert_eq!(m.rejected.values().sum::<u64>(), 3);
    assert!(m.rejected.keys().any(|k| k.contains("cpu_max_pct")));
    assert!(m.rejected.keys().any(|k| k.contains("mem_max_pct")));
    let missing = dir.path().join("x.csv");
    std::fs::write(&missing, "timestamp,resource_id\n").unwrap();
    let e = cloudcost::usage::metrics::read_metrics(&missing, 14)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`cpu_max_pct`") && e.contains("not a metrics file"),
        "{e}"
    );
}

#[test]
fn forecast_of_a_simulated_month() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(&[
        "simulate",
        "--resources",
        "40",
        "--days",
        "14",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(o.status.success());
    let usage = dir.path().join("usage.parquet");
    let o = run(&["forecast", usage.to_str().unwrap(), "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let num = |k: &str| v[k].as_str().unwrap().parse::<f64>().unwrap();
    assert_eq!(v["insufficient_data"], false);
    assert_eq!(v["days_of_data"], 14);
    // 14 of 31 days spent; the rest forecast at a similar daily rate.
    let ratio = num("forecast") / num("month_to_date");
    assert!(
        ratio > 31.0 / 14.0 * 0.9 && ratio < 31.0 / 14.0 * 1.1,
        "{ratio}"
    );
    assert!(num("p10") <= num("forecast") && num("forecast") <= num("p90"));
}
