//! `cloudcost estimate` on small hand-checked usage files: every figure is worked out in the
//! comment beside it.

use std::path::Path;

use serde_json::Value;

const HEADER: &str = "usage_start,usage_end,region,availability_zone,service,usage_type,resource_id,quantity,instance_type,os,purchase_option,volume_type,storage_class,architecture,destination_region\n";

use super::cloudcost as run;

fn write(dir: &Path, name: &str, body: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, body).unwrap();
    p.display().to_string()
}

/// The re-priced bill (unless `args` ask for another view).
fn estimate_json(args: &[&str]) -> Value {
    let mut a = vec!["estimate"];
    a.extend_from_slice(args);
    a.extend_from_slice(&["--format", "json"]);
    if !args.contains(&"--cost") {
        a.extend_from_slice(&["--cost", "repriced"]);
    }
    let o = run(&a);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn row(start: &str, end: &str, rest: &str) -> String {
    format!("{start},{end},{rest}\n")
}

const H0: &str = "2026-10-01T00:00:00Z";
const H1: &str = "2026-10-01T01:00:00Z";
const H2: &str = "2026-10-01T02:00:00Z";
const H3: &str = "2026-10-01T03:00:00Z";
const D1: &str = "2026-10-02T00:00:00Z";
const D2: &str = "2026-10-03T00:00:00Z";

#[test]
fn per_second_billing_with_a_60_second_minimum_per_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = HEADER.to_string();
    // One run across two hours (3,600 + 1,800 s): 1.5 h at $0.096 = $0.144.
    body += &row(
        H0,
        H1,
        "us-east-1,us-east-1a,ec2,instance-seconds,i-a,3600,m5.large,linux,on-demand,,,,",
    );
    body += &row(
        H1,
        H2,
        "us-east-1,us-east-1a,ec2,instance-seconds,i-a,1800,m5.large,linux,on-demand,,,,",
    );
    // Two separate 20 s runs (a gap between them): 60 s each → 120 s = 1/30 h.
    body += &row(
        H0,
        H1,
        "us-east-1,us-east-1a,ec2,instance-seconds,i-b,20,m5.large,linux,on-demand,,,,",
    );
    body += &row(
        H2,
        H3,
        "us-east-1,us-east-1a,ec2,instance-seconds,i-b,20,m5.large,linux,on-demand,,,,",
    );
    // Windows bills each started hour: 600 s → 1 h at $0.06.
    body += &row(
        H0,
        H1,
        "us-east-1,us-east-1a,ec2,instance-seconds,i-w,600,t3.medium,windows,on-demand,,,,",
    );
    let f = write(dir.path(), "u.csv", &body);
    let v = estimate_json(&[&f]);
    // 0.144 + 0.0032 + 0.06 = 0.2072
    assert_eq!(v["total"], "0.21");
    let by_res: Vec<(String, String)> = v["by_resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["resource"].as_str().unwrap().to_string(),
                r["cost"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        by_res.contains(&("i-a".into(), "0.14".into())),
        "{by_res:?}"
    );
    let lines = v["lines"].as_array().unwrap();
    let m5 = lines
        .iter()
        .find(|l| l["component"].as_str().unwrap().contains("m5.large"))
        .unwrap();
    // 1.5 h + 120 s.
    assert_eq!(
        m5["quantity"].as_str().unwrap(),
        "1.5333333333333333333333333333"
    );
}

#[test]
fn spot_from_the_spot_advisor_model() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{HEADER}{}",
        row(
            H0,
            D1,
            "us-east-1,us-east-1a,ec2,instance-seconds,i-s,86400,m5.large,linux,spot,,,,"
        )
    );
    let f = write(dir.path(), "u.csv", &body);
    let v = estimate_json(&[&f]);
    // 24 h × 0.096 × (1 − 0.66) = 24 × 0.03264 = 0.78336
    assert_eq!(v["total"], "0.78");
    assert_eq!(v["by_pricing_model"]["spot"], "0.78");
}

#[test]
fn storage_tiers_cross_a_boundary_mid_month_and_free_egress_is_used_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = HEADER.to_string();
    // 30,000 GB-months each day: 30,000 × 744 h = 22,320,000 GB-hours (October has 744 hours).
    body += &row(
        H0,
        D1,
        "us-east-1,,s3,storage-gb-hours,b,22320000,,,,,standard,,",
    );
    body += &row(
        D1,
        D2,
        "us-east-1,,s3,storage-gb-hours,b,22320000,,,,,standard,,",
    );
    // 60 GB out each day: the first 100 GB of the month are free, then $0.09.
    body += &row(
        H0,
        D1,
        "us-east-1,,data_transfer,internet-out-gb,web,60,,,,,,,",
    );
    body += &row(
        D1,
        D2,
        "us-east-1,,data_transfer,internet-out-gb,web,60,,,,,,,",
    );
    let f = write(dir.path(), "u.csv", &body);
    let v = estimate_json(&[&f]);
    // Day 1: 30,000 × 0.023 = 690.00. Day 2: 21,200 × 0.023 + 8,800 × 0.022 = 681.20; egress 20 × 0.09 = 1.80.
    assert_eq!(v["by_day"]["2026-10-01"], "690.00");
    assert_eq!(v["by_day"]["2026-10-02"], "683.00");
    assert_eq!(v["total"], "1373.00");
}

#[test]
fn gp3_volume_prorated_over_the_real_month() {
    let dir = tempfile::tempdir().unwrap();
    // The EBS pricing page's example: 2,000 GB for 12 hours of a 30-day month (November: 720 h).
    let body = format!(
        "{HEADER}{}",
        row(
            "2026-11-01T00:00:00Z",
            "2026-11-01T12:00:00Z",
            "us-east-1,,ebs,volume-gb-hours,vol-1,24000,,,,gp3,,,"
        )
    );
    let f = write(dir.path(), "u.csv", &body);
    let v = estimate_json(&[&f]);
    assert_eq!(v["total"], "2.67");
}

#[test]
fn reserved_instance_is_size_flexible_and_its_waste_shows() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = HEADER.to_string();
    // Hour 0: two m5.large (4 units each) fill one m5.xlarge RI (8 units); a third runs on-demand.
    for id in ["i-1", "i-2", "i-3"] {
        body += &row(
            H0,
            H1,
            &format!(
                "us-east-1,us-east-1a,ec2,instance-seconds,{id},3600,m5.large,linux,on-demand,,,,"
            ),
        );
    }
    let f = write(dir.path(), "u.csv", &body);
    // The contract's own price: $876 upfront 1yr (0.1 $/h) + 0.02 recurring = 0.12 per RI-hour.
    let c = write(
        dir.path(),
        "c.toml",
        "[[reserved_instance]]\nid = \"ri-1\"\nregion = \"us-east-1\"\ninstance_type = \"m5.xlarge\"\nterm = \"1yr\"\npayment = \"partial-upfront\"\nstart = \"2026-01-01\"\nupfront_usd = 876\nhourly_usd = 0.02\n",
    );
    let v = estimate_json(&[&f, "--commitments", &c]);
    // The file covers one day: 24 RI-hours × 0.12 = 2.88 of fees; hour 0 used (0.12), 23 unused (2.76).
    // On-demand: one m5.large hour = 0.096. Total 2.976.
    assert_eq!(v["total"], "2.98");
    assert_eq!(v["on_demand_equivalent"], "0.29"); // 3 × 0.096
    let c0 = &v["commitments"][0];
    assert_eq!(c0["fee"], "2.88");
    assert_eq!(c0["used"], "0.12");
    assert_eq!(c0["utilization"], "0.0417");
    assert_eq!(v["by_pricing_model"]["on-demand"], "0.10");
    assert_eq!(v["by_pricing_model"]["reserved"], "2.88");
    assert_eq!(v["coverage"]["reserved"], "0.6667");
}

#[test]
fn savings_plan_from_an_imported_offer_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = super::catalog_with_test_savings_plans(dir.path());
    let body = format!(
        "{HEADER}{}",
        row(
            H0,
            H1,
            "ap-northeast-2,ap-northeast-2a,ec2,instance-seconds,i-1,3600,m5.large,linux,on-demand,,,,"
        )
    );
    let f = write(dir.path(), "u.csv", &body);
    // A $0.0415/h compute plan at the (test) rate 0.083 covers half the hour; the other half is
    // on-demand at 0.118: 0.0415 × 24 h of fees + 0.059.
    let c = write(
        dir.path(),
        "c.toml",
        "[[savings_plan]]\nid = \"sp-1\"\ntype = \"compute\"\ncommitment_per_hour = 0.0415\nterm = \"1yr\"\npayment = \"no-upfront\"\nstart = \"2026-01-01\"\n",
    );
    let o = run(&[
        "--pricing-data",
        data.to_str().unwrap(),
        "estimate",
        &f,
        "--commitments",
        &c,
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    // 0.996 + 0.059 = 1.055
    assert_eq!(v["total"], "1.06");
    assert_eq!(v["commitments"][0]["used"], "0.04");
    assert_eq!(v["coverage"]["savings_plan"], "0.5");
    // Without the imported rates the plan cannot be priced: an error, not $0.
    let o = run(&["estimate", &f, "--commitments", &c]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("missing price"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn bad_rows_are_counted_written_out_and_stop_strict_runs() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = HEADER.to_string();
    body += &row(H0, H1, "us-east-1,,public_ipv4,ip-hours,eip-1,1,,,,,,,");
    body += &row(H0, H1, "us-east-1,,public_ipv4,ip-hours,eip-2,-1,,,,,,,");
    body += &row(
        "yesterday",
        H1,
        "us-east-1,,public_ipv4,ip-hours,eip-3,1,,,,,,,",
    );
    body += &row(
        H0,
        H1,
        "us-east-1,us-east-1a,ec2,instance-seconds,i-1,3600,m5.larg,linux,on-demand,,,,",
    );
    body += &row(H0, H1, "mars-1,,public_ipv4,ip-hours,eip-4,1,,,,,,,");
    body += &row(
        H0,
        H1,
        // Taipei: the feeds have no EBS prices there.
        "ap-east-2,,ebs,volume-gb-hours,vol-1,10,,,,io1,,,",
    );
    body += &row(
        H0,
        H1,
        "us-east-1,,s3,storage-gb-hours,b,abc,,,,,standard,,",
    );
    let f = write(dir.path(), "u.csv", &body);
    let rejects = dir.path().join("rejects.csv");
    let v = estimate_json(&[&f, "--rejects", rejects.to_str().unwrap()]);
    assert_eq!(v["rows"]["read"], 7);
    assert_eq!(v["rows"]["priced"], 1);
    assert_eq!(v["rows"]["rejected"], 6);
    let reasons = v["rejected_by_reason"].as_object().unwrap();
    for want in [
        "non-negative",
        "usage_start",
        "unknown instance type",
        "unknown region",
        "missing price",
        "`quantity`: expected a decimal",
    ] {
        assert!(
            reasons.keys().any(|k| k.contains(want)),
            "{want} in {reasons:?}"
        );
    }
    let written = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(written.lines().count(), 7, "{written}");
    assert!(written.starts_with("row,reason,"));
    assert!(
        written.contains("\n3,column `quantity`: expected a non-negative number"),
        "{written}"
    );
    // The table says where the rejects went, or how to write them out.
    let table = |args: &[&str]| {
        let o = run(args);
        assert!(o.status.success());
        String::from_utf8(o.stdout).unwrap()
    };
    let with = table(&["estimate", &f, "--rejects", rejects.to_str().unwrap()]);
    assert!(
        with.contains(&format!("(written to {};", rejects.display())),
        "{with}"
    );
    assert!(!with.contains("--rejects FILE"), "{with}");
    let without = table(&["estimate", &f]);
    assert!(
        without.contains("write them out with --rejects FILE"),
        "{without}"
    );
    let o = run(&["estimate", &f, "--strict"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("u.csv: row 3: column `quantity`") && e.contains("found `-1`"),
        "{e}"
    );
    // A missing price names the price key it looked up, not an empty "found".
    let mut body = HEADER.to_string();
    body += &row(H0, H1, "ap-east-2,,ebs,volume-gb-hours,vol-1,10,,,,io1,,,");
    let f = write(dir.path(), "price.csv", &body);
    let o = run(&["estimate", &f, "--strict"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("price.csv: row 2: missing price: the catalog has no price for ebs|ap-east-2|volume-gb-hours|io1 (--strict"),
        "{e}"
    );
    assert!(!e.contains("found"), "{e}");
}

#[test]
fn rows_read_equal_priced_plus_rejected_and_quantities_are_kept() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/usage.csv"))
        .unwrap();
    let v = estimate_json(&[concat!(env!("CARGO_MANIFEST_DIR"), "/examples/usage.csv")]);
    let n = text.lines().count() as u64 - 1;
    assert_eq!(v["rows"]["read"].as_u64().unwrap(), n);
    assert_eq!(
        v["rows"]["priced"].as_u64().unwrap() + v["rows"]["rejected"].as_u64().unwrap(),
        n
    );
    // The priced gb-seconds equal the input's.
    let lambda = v["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["unit"] == "GB-s")
        .unwrap();
    assert_eq!(lambda["quantity"], "36000");
}

#[test]
fn gzip_and_parquet_give_the_same_bill_and_broken_files_say_why() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/usage.csv");
    let text = std::fs::read(src).unwrap();
    let gz = dir.path().join("u.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&text).unwrap();
    enc.finish().unwrap();
    let plain = estimate_json(&[src]);
    let zipped = estimate_json(&[gz.to_str().unwrap()]);
    assert_eq!(plain["total"], zipped["total"]);

    // A truncated gzip file.
    let bytes = std::fs::read(&gz).unwrap();
    let cut = dir.path().join("cut.csv.gz");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let o = run(&["estimate", cut.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("truncated"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );

    // The same rows as Parquet.
    use polars::prelude::*;
    let mut df = CsvReadOptions::default()
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(src.into()))
        .unwrap()
        .finish()
        .unwrap();
    let pq = dir.path().join("u.parquet");
    ParquetWriter::new(std::fs::File::create(&pq).unwrap())
        .finish(&mut df)
        .unwrap();
    let parquet = estimate_json(&[pq.to_str().unwrap()]);
    assert_eq!(plain["total"], parquet["total"]);

    // A Parquet file whose quantity column is of the wrong type.
    let mut bad = df.clone();
    let n = bad.height();
    bad.with_column(Column::new("quantity".into(), vec![true; n]))
        .unwrap();
    let badpq = dir.path().join("bad.parquet");
    ParquetWriter::new(std::fs::File::create(&badpq).unwrap())
        .finish(&mut bad)
        .unwrap();
    let o = run(&["estimate", badpq.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("bad.parquet")
            && e.contains("column `quantity`: expected a number or decimal text, found bool"),
        "{e}"
    );

    // A file that is not a usage file at all.
    let other = write(dir.path(), "x.csv", "a,b\n1,2\n");
    let o = run(&["estimate", &other]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("not a usage file this tool reads")
            && e.contains("usage_start")
            && e.contains("found: a, b"),
        "{e}"
    );
    let partial = write(
        dir.path(),
        "p.csv",
        "usage_start,usage_end,service,usage_type,resource_id,quantity\n",
    );
    let o = run(&["estimate", &partial]);
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("lacks column(s) `region`"), "{e}");
}

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/usage");

#[test]
fn cur_and_focus_files_are_priced_and_reconciled() {
    // The same month in CUR 1.0, CUR 2.0 and FOCUS layouts: our price of the usage beside the
    // file's own billed cost; tax, credits and fees carried, never re-priced.
    for name in ["cur1_2026-10.csv", "cur2_2026-10.csv", "focus_2026-10.csv"] {
        let v = estimate_json(&[&format!("{FIX}/{name}")]);
        // ec2: m5.large Seoul 24 h × 0.118 = 2.832, t3.medium Windows 10 h × 0.0704 = 0.704;
        // ebs gp3 3.2258064516 GB-Mo × 0.0912 (unconfirmed Seoul price) = 0.2942;
        // egress 150 GB − 100 free = 50 × 0.126 = 6.30; S3 100 GB-Mo × 0.023 + 10,000 PUT = 2.35;
        // Lambda 50,000 GB-s × 0.0000166667 = 0.8333; IPv4 24 h × 0.005 = 0.12; and the Frankfurt
        // c5.large hours an RI covered (billed 0): 24 h × 0.097 on-demand = 2.328, priced since the
        // catalog has Frankfurt (the file's own RIs are not applied yet). Sum 15.7615, re-priced.
        // The whole bill adds what is taken as billed: RDS usage 0.60 (not modelled), tax 1.39,
        // credit −5: 12.7515.
        assert_eq!(v["total"], "12.75", "{name}");
        assert_eq!(v["by_pricing_model"]["on-demand"], "15.76", "{name}");
        assert_eq!(v["by_pricing_model"]["as billed"], "0.60", "{name}");
        // The month's tax and credit are billed once for the month: period charges.
        assert_eq!(v["by_pricing_model"]["period charge"], "-3.61", "{name}");
        assert_eq!(
            v["reconciliation"]["AmazonRDS"]["difference"], "0.00",
            "{name}"
        );
        assert_eq!(v["reconciliation"]["ec2"]["billed"], "3.54", "{name}");
        assert_eq!(
            v["reconciliation"]["data_transfer"]["difference"], "0.00",
            "{name}"
        );
        // Billed: usage 13.4335 + the Frankfurt RI-covered row at 0 + not priced 0.60 (RDS) + tax 1.39 − credit 5.
        assert_eq!(v["billed_total"], "10.42", "{name}");
        // Nothing is malformed: what cloudcost does not price is carried, not rejected.
        assert_eq!(v["billed_not_priced"], "0.00", "{name}");
        assert_eq!(v["carried"]["AmazonRDS"], "0.60", "{name}");
        assert_eq!(v["rows"]["read"], 13, "{name}");
        assert_eq!(v["rows"]["charges"], 3, "{name}");
        assert_eq!(v["rows"]["carried"], 1, "{name}");
        assert_eq!(v["rows"]["rejected"], 0, "{name}");
        assert_eq!(v["rows"]["priced"], 9, "{name}");
        let carried = v["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["service"] == "AmazonRDS")
            .unwrap();
        assert!(
            carried["component"]
                .as_str()
                .unwrap()
                .contains("AmazonRDS APN2-InstanceUsage:db.t3.micro"),
            "{name}: {carried}"
        );
    }
}

#[test]
fn cur2_parquet_with_typed_columns() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let src = format!("{FIX}/cur2_2026-10.csv");
    // As AWS writes CUR 2.0 Parquet: timestamps and doubles, not text.
    let mut df = LazyCsvReader::new(PlRefPath::try_from_path(std::path::Path::new(&src)).unwrap())
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .finish()
        .unwrap()
        .with_columns([
            col("line_item_usage_amount").cast(DataType::Float64),
            col("line_item_unblended_cost").cast(DataType::Float64),
            col("line_item_usage_start_date").str().to_datetime(
                Some(TimeUnit::Milliseconds),
                None,
                StrptimeOptions {
                    format: Some("%Y-%m-%dT%H:%M:%SZ".into()),
                    ..Default::default()
                },
                lit("raise"),
            ),
            col("line_item_usage_end_date").str().to_datetime(
                Some(TimeUnit::Milliseconds),
                None,
                StrptimeOptions {
                    format: Some("%Y-%m-%dT%H:%M:%SZ".into()),
                    ..Default::default()
                },
                lit("raise"),
            ),
        ])
        .collect()
        .unwrap();
    let pq = dir.path().join("cur2.parquet");
    ParquetWriter::new(std::fs::File::create(&pq).unwrap())
        .finish(&mut df)
        .unwrap();
    let v = estimate_json(&[pq.to_str().unwrap()]);
    assert_eq!(v["format"], "aws-cur-2.0");
    assert_eq!(v["total"], "12.75");
    assert_eq!(v["billed_total"], "10.42");
}

#[test]
fn a_billing_file_without_its_key_columns_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "cur.csv",
        "lineItem/UsageType,lineItem/UsageAmount\nBoxUsage:m5.large,1\n",
    );
    let o = run(&["estimate", &f]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("aws-legacy-cur")
            && e.contains("`lineItem/UsageStartDate`")
            && e.contains("`lineItem/UnblendedCost`"),
        "{e}"
    );
}

#[test]
fn spot_at_the_price_of_its_hour_and_az_from_a_price_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = HEADER.to_string();
    // us-east-1a at 00:00 on 2021-02-09: the 2021-02-08T23:58:38 price, 0.0423.
    body += &row(
        "2021-02-09T00:00:00Z",
        "2021-02-09T01:00:00Z",
        "us-east-1,us-east-1a,ec2,instance-seconds,i-a,3600,m5.large,linux,spot,,,,",
    );
    // us-east-1f at 02:00: the 01:40:10 price, 0.0437.
    body += &row(
        "2021-02-09T02:00:00Z",
        "2021-02-09T03:00:00Z",
        "us-east-1,us-east-1f,ec2,instance-seconds,i-f,3600,m5.large,linux,spot,,,,",
    );
    // us-east-1f at 01:00: nothing published before it → the Spot Advisor estimate, 0.03264.
    body += &row(
        "2021-02-09T01:00:00Z",
        "2021-02-09T02:00:00Z",
        "us-east-1,us-east-1f,ec2,instance-seconds,i-g,3600,m5.large,linux,spot,,,,",
    );
    let f = write(dir.path(), "u.csv", &body);
    let hist = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/offers/describe_spot_price_history.json"
    );
    let o = run(&["estimate", &f, "--spot-prices", hist, "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let cost = |id: &str| {
        v["by_resource"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == id)
            .unwrap()["cost"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(cost("i-a"), "0.04");
    assert_eq!(cost("i-f"), "0.04");
    assert_eq!(cost("i-g"), "0.03");
    // 0.0423 + 0.0437 + 0.03264 = 0.11864; on-demand equivalent 3 × 0.096 = 0.288.
    assert_eq!(v["total"], "0.12");
    assert_eq!(v["on_demand_equivalent"], "0.29");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("Spot Advisor estimate"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn savings_plans_cover_the_highest_saving_first() {
    let dir = tempfile::tempdir().unwrap();
    let data = super::catalog_with_test_savings_plans(dir.path());
    // Test rates: m5.large us-east-1 0.060 (on-demand 0.096: 37.5 % saving), Seoul 0.083 (on-demand
    // 0.118: 29.7 %). A $0.06/h compute plan covers the us-east-1 hour first, all of it; Seoul
    // stays on-demand. One day of commitment: 24 × 0.06 = 1.44; plus 0.118.
    let mut body = HEADER.to_string();
    body += &row(
        H0,
        H1,
        "ap-northeast-2,ap-northeast-2a,ec2,instance-seconds,i-seoul,3600,m5.large,linux,on-demand,,,,",
    );
    body += &row(
        H0,
        H1,
        "us-east-1,us-east-1a,ec2,instance-seconds,i-virginia,3600,m5.large,linux,on-demand,,,,",
    );
    let f = write(dir.path(), "u.csv", &body);
    let c = write(
        dir.path(),
        "c.toml",
        "[[savings_plan]]\ntype = \"compute\"\ncommitment_per_hour = 0.06\nterm = \"1yr\"\npayment = \"no-upfront\"\nstart = \"2026-01-01\"\n",
    );
    let o = run(&[
        "--pricing-data",
        data.to_str().unwrap(),
        "estimate",
        &f,
        "--commitments",
        &c,
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["total"], "1.56"); // 1.44 + 0.118
    let cost = |id: &str| {
        v["by_resource"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == id)
            .unwrap()["cost"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(cost("i-virginia"), "0.06");
    assert_eq!(cost("i-seoul"), "0.12");
    assert_eq!(v["commitments"][0]["used"], "0.06");
}

#[test]
fn example_bill_golden() {
    let o = run(&[
        "estimate",
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/usage.csv"),
        "--commitments",
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/commitments.toml"),
        "--by",
        "day",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout).replace(env!("CARGO_MANIFEST_DIR"), "<repo>");
    insta::assert_snapshot!(text);
    let o = run(&[
        "estimate",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/usage/cur1_2026-10.csv"
        ),
        "--format",
        "json",
        "--cost",
        "repriced",
    ]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    insta::assert_snapshot!("cur1_bill_json", text);
    // The same file's invoice (its default view), by account and service.
    let o = run(&[
        "estimate",
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/usage/cur1_2026-10.csv"
        ),
        "--by",
        "account,service",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout).replace(env!("CARGO_MANIFEST_DIR"), "<repo>");
    insta::assert_snapshot!("cur1_unblended_table", text);
}

/// `price_with_commitments` gives the bill of `price_usage` then `apply_commitments` (it only
/// skips making the EC2 on-demand rows the commitments replace).
#[test]
fn pricing_with_commitments_is_pricing_then_applying_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cat = cloudcost::catalog::Catalog::embedded().unwrap();
    let read = cloudcost::usage::read_usage(
        &root.join("examples/usage.csv"),
        &cat,
        &cloudcost::usage::ReadOptions {
            hourly_ec2: true,
            rejects_path: None,
        },
    )
    .unwrap();
    let text = std::fs::read_to_string(root.join("examples/commitments.toml")).unwrap();
    let held = cloudcost::bill::Commitments::parse("commitments.toml", &text, &cat).unwrap();
    let mut applied = cloudcost::bill::price_usage(&cat, &read).unwrap();
    cloudcost::bill::apply_commitments(&cat, &read, &mut applied, &held).unwrap();
    let direct = cloudcost::bill::price_with_commitments(&cat, &read, Some(&held)).unwrap();
    assert!(applied.rows.iter().any(|r| r.service == "ec2"));
    assert_eq!(format!("{direct:?}"), format!("{applied:?}"));
    let plain = cloudcost::bill::price_with_commitments(&cat, &read, None).unwrap();
    let priced = cloudcost::bill::price_usage(&cat, &read).unwrap();
    assert_eq!(format!("{plain:?}"), format!("{priced:?}"));
}

/// `price_summed` sums the bill as it prices it, without making its EC2 on-demand rows: the
/// sums are those of the bill `price_usage` gives, to the last digit and place (`Debug` shows
/// a `Decimal`'s scale), on the example and fixture files and on a file of many instances run
/// for fractions of hours (their hours have 28 places, and the lines' quantities, `Decimal`
/// sums in the rows' order, round), in two regions, Linux and Windows, on-demand and spot,
/// beside volumes, buckets and data transfer.
#[test]
fn summing_while_pricing_gives_the_sums_of_the_bill() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut body = String::from(HEADER);
    for day in 1..=4 {
        for hour in 0..24 {
            let start = format!("2026-10-{day:02}T{hour:02}:00:00Z");
            let end = format!("2026-10-{day:02}T{hour:02}:59:59Z");
            for i in 0..30usize {
                let region = ["us-east-1", "ap-northeast-2"][i % 2];
                let itype = ["m5.large", "c5.xlarge", "t3.micro"][i % 3];
                let (os, option) = match i % 10 {
                    9 => ("windows", "on-demand"),
                    8 => ("linux", "spot"),
                    _ => ("linux", "on-demand"),
                };
                let itype = if os == "windows" { "t3.micro" } else { itype };
                let seconds = 3000 + (i * 37 + hour * 11 + day) % 600;
                let tenths = (i + hour) % 10;
                body += &row(
                    &start,
                    &end,
                    &format!(
                        "{region},{region}a,ec2,instance-seconds,i-{i:03},{seconds}.{tenths},{itype},{os},{option},,,,"
                    ),
                );
            }
            body += &row(
                &start,
                &end,
                "us-east-1,,ebs,volume-gb-hours,vol-1,100,,,,gp3,,,",
            );
            body += &row(
                &start,
                &end,
                "us-east-1,,s3,storage-gb-hours,bucket-1,2048.5,,,,,standard,,",
            );
            body += &row(
                &start,
                &end,
                "us-east-1,,data_transfer,internet-out-gb,i-001,7.25,,,,,,,",
            );
        }
    }
    let many = write(dir.path(), "many.csv", &body);
    let mut files = vec![
        root.join("examples/usage.csv"),
        std::path::PathBuf::from(many),
    ];
    for f in std::fs::read_dir(root.join("tests/fixtures/usage")).unwrap() {
        let f = f.unwrap().path();
        if f.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("keys-")
        {
            continue; // key columns only, not usage
        }
        if matches!(
            f.extension().and_then(|e| e.to_str()),
            Some("csv" | "parquet")
        ) {
            files.push(f);
        }
    }
    let cat = cloudcost::catalog::Catalog::embedded().unwrap();
    for f in &files {
        let read = cloudcost::usage::read_usage(f, &cat, &Default::default())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let bill = cloudcost::bill::price_usage(&cat, &read).unwrap();
        let (summed, sums) = cloudcost::bill::price_summed(&cat, &read).unwrap();
        assert!(!bill.rows.is_empty(), "{}", f.display());
        assert_eq!(
            format!("{sums:?}"),
            format!("{:?}", cloudcost::bill::Summary::of(&bill)),
            "{}",
            f.display()
        );
        let mut without_rows = bill.clone();
        without_rows.rows.clear();
        assert_eq!(format!("{summed:?}"), format!("{without_rows:?}"));
    }
}

/// A FOCUS row without a region code and whose usage type has lost its prefix (a converter's
/// export) is priced in the region its `RegionName` names, not in us-east-1.
#[test]
fn a_billing_row_without_a_region_code_takes_its_location_name() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::fs::read_to_string(format!("{FIX}/focus_2026-10.csv")).unwrap();
    let mut lines = fixture.lines();
    let header = format!("{},RegionName", lines.next().unwrap());
    let row = lines
        .next()
        .unwrap()
        .replace(",ap-northeast-2,i-", ",,i-")
        .replace("APN2-BoxUsage:m5.large", "BoxUsage:m5.large");
    let f = write(
        dir.path(),
        "f.csv",
        &format!("{header}\n{row},Asia Pacific (Seoul)\n"),
    );
    let v = estimate_json(&[&f]);
    // Seoul's m5.large: 24 h × 0.118 (us-east-1's would be 24 × 0.096 = 2.30).
    assert_eq!(v["total"], "2.83", "{v}");
    assert_eq!(v["rows"]["priced"], 1, "{v}");
}

/// A billing file's instance hours are what AWS billed, the 60-second minimum already applied:
/// 36 seconds stay 36 seconds (this project's own format would bill a lone 36-second run 60).
#[test]
fn a_billing_file_s_short_instance_hours_are_taken_as_billed() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::fs::read_to_string(format!("{FIX}/cur1_2026-10.csv")).unwrap();
    let mut lines = fixture.lines();
    let header = lines.next().unwrap();
    let row = lines
        .next()
        .unwrap()
        .replacen(",24.0000000000,", ",0.0100000000,", 1);
    let f = write(dir.path(), "c.csv", &format!("{header}\n{row}\n"));
    let v = estimate_json(&[&f]);
    let line = &v["lines"][0];
    assert_eq!(line["quantity"], "0.01", "{v}");
    assert_eq!(line["unit"], "hours", "{v}");
}

/// FOCUS 1.1 and 1.2 add columns (commitments, capacity reservations, invoice, pricing currency,
/// SKU meter, tags...): an export with the 1.2 column set, times written without `T` and `Z`,
/// gives the 1.0 export's bill.
#[test]
fn a_focus_1_2_export_gives_the_same_bill() {
    const FOCUS_1_2: &[&str] = &[
        "AvailabilityZone",
        "BilledCost",
        "BillingAccountId",
        "BillingAccountName",
        "BillingAccountType",
        "BillingCurrency",
        "BillingPeriodEnd",
        "BillingPeriodStart",
        "CapacityReservationId",
        "CapacityReservationStatus",
        "ChargeCategory",
        "ChargeClass",
        "ChargeDescription",
        "ChargeFrequency",
        "ChargePeriodEnd",
        "ChargePeriodStart",
        "CommitmentDiscountCategory",
        "CommitmentDiscountId",
        "CommitmentDiscountName",
        "CommitmentDiscountQuantity",
        "CommitmentDiscountStatus",
        "CommitmentDiscountType",
        "CommitmentDiscountUnit",
        "ConsumedQuantity",
        "ConsumedUnit",
        "ContractedCost",
        "ContractedUnitPrice",
        "EffectiveCost",
        "InvoiceId",
        "InvoiceIssuerName",
        "ListCost",
        "ListUnitPrice",
        "PricingCategory",
        "PricingCurrency",
        "PricingQuantity",
        "PricingUnit",
        "ProviderName",
        "PublisherName",
        "RegionId",
        "RegionName",
        "ResourceId",
        "ResourceName",
        "ResourceType",
        "ServiceCategory",
        "ServiceName",
        "ServiceSubcategory",
        "SkuId",
        "SkuMeter",
        "SkuPriceDetails",
        "SkuPriceId",
        "SubAccountId",
        "SubAccountName",
        "SubAccountType",
        "Tags",
        "x_Operation",
        "x_ServiceCode",
        "x_UsageType",
    ];
    let fixture = std::fs::read_to_string(format!("{FIX}/focus_2026-10.csv")).unwrap();
    let mut lines = fixture.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let extra: Vec<&str> = FOCUS_1_2
        .iter()
        .copied()
        .filter(|c| !header.contains(c))
        .collect();
    let mut body = format!("{},{}\n", header.join(","), extra.join(","));
    for row in lines {
        // 2026-10-01T00:00:00Z → 2026-10-01 00:00:00, as the FOCUS sample writes times.
        let row = row.replace("T00:00:00Z", " 00:00:00");
        body.push_str(&format!("{row}{}\n", ",".repeat(extra.len())));
    }
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "focus12.csv", &body);
    let a = estimate_json(&[&format!("{FIX}/focus_2026-10.csv")]);
    let b = estimate_json(&[&f]);
    for key in [
        "total",
        "billed_total",
        "rows",
        "by_service",
        "reconciliation",
    ] {
        assert_eq!(a[key], b[key], "{key}");
    }
}
