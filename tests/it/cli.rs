//! The `cloudcost` binary as a user runs it: exit codes, error messages, formats, import.

use std::path::Path;
use std::process::Output;

use super::cloudcost;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/plan.toml");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/offers");

#[test]
fn quote_the_example_in_every_format() {
    let o = cloudcost(&["quote", EXAMPLE]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("TOTAL"));
    let o = cloudcost(&["quote", EXAMPLE, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["currency"], "USD");
    let o = cloudcost(&["quote", EXAMPLE, "--format", "csv"]);
    assert!(stdout(&o).starts_with("resource,service,component,quantity,unit,unit_price,cost"));
    let o = cloudcost(&["quote", EXAMPLE, "-f", "markdown"]);
    assert!(stdout(&o).contains("| **Total** |"));
    let o = cloudcost(&["quote", EXAMPLE, "--compare-pricing", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["comparisons"][0]["instance_type"], "m5.large");
}

#[test]
fn unknown_instance_type_points_at_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write(
        dir.path(),
        "p.toml",
        "region = \"us-east-1\"\n\n[[ec2]]\nname = \"web\"\ninstance_type = \"m5.larg\"\n",
    );
    let o = cloudcost(&["quote", &plan]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("p.toml:5:17")
            && e.contains("[[ec2]] \"web\"")
            && e.contains("unknown instance type `m5.larg`")
            && e.contains("m5.large"),
        "{e}"
    );
}

#[test]
fn missing_price_is_an_error_not_zero() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write(
        dir.path(),
        "p.toml",
        "region = \"ap-northeast-2\"\n[[ec2]]\nname = \"db\"\ninstance_type = \"m5.large\"\npricing = \"reserved\"\nterm = \"1yr\"\npayment = \"all-upfront\"\n",
    );
    let o = cloudcost(&["quote", &plan]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("missing price")
            && e.contains("ap-northeast-2")
            && e.contains("m5.large")
            && e.contains("reserved 1yr standard all-upfront")
            && e.contains("pricing import"),
        "{e}"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn bad_inputs_name_file_and_key() {
    let dir = tempfile::tempdir().unwrap();
    for (text, want) in [
        (
            "region = \"us-east-1\"\n[[s3]]\nname = \"b\"\nstorage_gb = -1\n",
            "p.toml:4:14",
        ),
        (
            "region = \"us-east-1\"\n[[s3]]\nname = \"b\"\nstorage_class = \"glacier-deep\"\n",
            "expected an S3 storage class",
        ),
        (
            "region = \"mars-1\"\n[[public_ipv4]]\nname = \"ip\"\n",
            "unknown region `mars-1`",
        ),
        ("[[public_ipv4]]\nname = \"ip\"\n", "no region"),
        (
            "region = \"us-east-1\"\n[[ec2]]\nname = \"a\"\ninstance_type = \"m5.large\"\npricing = \"reserved\"\n",
            "needs `term`",
        ),
        (
            "region = \"us-east-1\"\n[[ec2]]\nname = \"a\"\ninstance_type = \"m5.large\"\nterm = \"1yr\"\n",
            "applies only to pricing",
        ),
        (
            "region = \"us-east-1\"\n[[ebs]]\nname = \"v\"\nvolume_type = \"gp2\"\nsize_gb = 10\niops = 5000\n",
            "`iops` applies to gp3, io1 and io2",
        ),
        (
            "region = \"us-east-1\"\n[[lambda]]\nname = \"f\"\nmemory_mb = 64\n",
            "between 128 and 10240",
        ),
        (
            "region = \"us-east-1\"\ncurrency = \"KRW\"\n",
            "needs `fx_rate`",
        ),
        ("region = \"us-east-1\"\n[[ec2]\n", "p.toml:2:"),
        (
            "region = \"us-east-1\"\n[[public_ipv4]]\nname = \"ip\"\nhours = 100000\n",
            "[[public_ipv4]] \"ip\", key `hours`: 100000 hours in a 730-hour month",
        ),
        (
            "region = \"us-east-1\"\nhours_per_month = 720\n[[ec2]]\nname = \"a\"\ninstance_type = \"m5.large\"\nhours = 730\n",
            "730 hours in a 720-hour month",
        ),
    ] {
        let plan = write(dir.path(), "p.toml", text);
        let o = cloudcost(&["quote", &plan]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        assert!(
            stderr(&o).contains(want),
            "want `{want}` in: {}",
            stderr(&o)
        );
    }
    let o = cloudcost(&["quote", "/nonexistent/plan.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("reading plan /nonexistent/plan.toml"));
}

#[test]
fn prices_lists_sources_and_what_is_missing() {
    let o = cloudcost(&["prices", "m5.large", "--region", "ap-northeast-2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.contains("0.118")
            && s.contains("published")
            && s.contains("spot")
            && s.contains("missing in ap-northeast-2"),
        "{s}"
    );
    let o = cloudcost(&["prices", "s3", "--region", "us-east-1", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["rates"].as_array().unwrap().len() > 20);
    let o = cloudcost(&["prices", "m9.huge"]);
    assert_eq!(o.status.code(), Some(2));
    let o = cloudcost(&["prices", "elb", "--region", "eu-west-1"]);
    assert!(stdout(&o).contains("application/hours"), "{}", stderr(&o));
}

#[test]
fn prices_by_sku_and_coverage() {
    // FOCUS `SkuPriceId`: one row; a SKU alone: every offer term.
    let o = cloudcost(&[
        "prices",
        "--sku",
        "KWTFFXZYB6ZN45ZY.JRTCKXETXF.6YS6EN2CT7",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["region"], "eu-central-1");
    assert_eq!(rows[0]["item"], "network/nlcu-hours");
    assert_eq!(rows[0]["tiers"][0]["price"], "0.006");
    let o = cloudcost(&["prices", "--sku", "CRAJUW7BTXFMT2UJ"]);
    assert_eq!(
        stdout(&o).matches("CRAJUW7BTXFMT2UJ.").count(),
        5,
        "{}",
        stdout(&o)
    );
    for (sku, says) in [
        (
            "9DEJHBACUYEYMVN8",
            "no catalog row has SKU `9DEJHBACUYEYMVN8`",
        ),
        ("crajuw7", "is not an AWS SKU"),
    ] {
        let o = cloudcost(&["prices", "--sku", sku]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
    }
    let o = cloudcost(&["prices", "m5.large", "--sku", "CRAJUW7BTXFMT2UJ"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an item and a SKU are refused together"
    );
    // With neither: what each region holds and lacks.
    let o = cloudcost(&["prices", "--region", "ap-southeast-6", "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let r = &v["regions"][0];
    assert_eq!(r["region"], "ap-southeast-6");
    assert!(r["instance_types"]["on_demand_linux"].as_u64().unwrap() > 100);
    let missing: Vec<&str> = r["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert!(missing.contains(&"ebs (all)"), "{missing:?}");
}

#[test]
fn import_then_price_with_the_imported_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("pricing-data");
    let o = cloudcost(&["pricing", "export", "--out", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sp = format!("{FIXTURES}/savings_plan_offer_2026.json");
    let o = cloudcost(&[
        "pricing",
        "import",
        &sp,
        "--out",
        data.join("aws").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("3 price rows") && stderr(&o).contains("skipped"),
        "{}",
        stderr(&o)
    );
    // The imported Savings Plans rate now prices a plan (a test rate, not a real price).
    let plan = write(
        dir.path(),
        "p.toml",
        "region = \"ap-northeast-2\"\n[[ec2]]\nname = \"app\"\ninstance_type = \"m5.large\"\npricing = \"savings-plan\"\nterm = \"1yr\"\npayment = \"no-upfront\"\n",
    );
    let o = cloudcost(&[
        "--pricing-data",
        data.to_str().unwrap(),
        "quote",
        &plan,
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["total"], "60.59"); // 0.083 × 730
    // Without it, the same plan is a missing price.
    let o = cloudcost(&["quote", &plan]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn import_rejects_a_file_it_does_not_know() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "x.json", "{\"not\": \"an offer\"}");
    let o = cloudcost(&[
        "pricing",
        "import",
        &f,
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unrecognised file"), "{}", stderr(&o));
}

/// A plan with no resources is quoted at $0.00 with a warning that it prices nothing.
#[test]
fn an_empty_plan_says_it_prices_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let plan = write(dir.path(), "p.toml", "region = \"us-east-1\"\n");
    let o = cloudcost(&["quote", &plan, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let warnings = v["warnings"].to_string();
    assert!(warnings.contains("the plan prices nothing"), "{v:#}");
}

/// Completions for every shell name the subcommands; the man page is roff with every command;
/// `--version` says how current the catalog is.
#[test]
fn completions_man_page_and_version() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = cloudcost(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("estimate") && text.contains("recommend"),
            "{shell}"
        );
    }
    let o = cloudcost(&["man"]);
    assert!(o.status.success());
    let page = String::from_utf8_lossy(&o.stdout);
    assert!(
        page.contains(".TH cloudcost 1") && page.contains("estimate"),
        "{page}"
    );
    let dir = tempfile::tempdir().unwrap();
    let o = cloudcost(&["man", "--out", dir.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("cloudcost-estimate.1").is_file());
    let o = cloudcost(&["--version"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = String::from_utf8_lossy(&o.stdout);
    assert!(
        v.starts_with(&format!("cloudcost {}", env!("CARGO_PKG_VERSION"))),
        "{v}"
    );
    assert!(v.contains("price catalog: newest price dated 20"), "{v}");
}
