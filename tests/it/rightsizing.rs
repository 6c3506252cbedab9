//! Right-sizing per workload profile of a simulated fleet (the usage file's `workload` column
//! says which profile each instance runs).

use std::collections::BTreeMap;

use serde_json::Value;

use super::catalog;

use super::cloudcost as run;

#[test]
fn each_profile_gets_the_finding_it_should() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run(&[
        "simulate",
        "--resources",
        "80",
        "--days",
        "21",
        "--region",
        "us-east-1",
        "--seed",
        "11",
        "--csv",
        "--out",
        d.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&[
        "recommend",
        "--metrics",
        d.join("metrics.csv").to_str().unwrap(),
        "--usage",
        d.join("usage.csv").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();

    let mut workload: BTreeMap<String, String> = BTreeMap::new();
    let mut rdr = csv::Reader::from_path(d.join("usage.csv")).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let (ri, wi, si) = (
        headers.iter().position(|h| h == "resource_id").unwrap(),
        headers.iter().position(|h| h == "workload").unwrap(),
        headers.iter().position(|h| h == "service").unwrap(),
    );
    for rec in rdr.records() {
        let rec = rec.unwrap();
        if &rec[si] == "ec2" {
            workload.insert(rec[ri].to_string(), rec[wi].to_string());
        }
    }
    let cat = catalog();
    let vcpu = |t: &str| cat.instance_type(t).map(|a| a.vcpu).unwrap();
    let credits = |t: &str| cat.instance_type(t).and_then(|a| a.cpu_credits_per_hour);
    let mut seen = BTreeMap::new();
    for i in v["instances"].as_array().unwrap() {
        let id = i["resource"].as_str().unwrap();
        let profile = workload.get(id).map(String::as_str).unwrap_or("?");
        *seen.entry(profile.to_string()).or_insert(0) += 1;
        let finding = i["finding"].as_str().unwrap();
        let itype = i["instance_type"].as_str().unwrap();
        let options = i["options"].as_array().unwrap();
        match profile {
            "idle-dev" => assert_eq!(finding, "idle", "{id} {i}"),
            "oversized" => {
                assert_eq!(finding, "over-provisioned", "{id} {i}");
                let best = &options[0];
                assert!(
                    best["monthly_saving"]
                        .as_str()
                        .unwrap()
                        .parse::<f64>()
                        .unwrap()
                        > 0.0
                );
                assert!(
                    vcpu(best["instance_type"].as_str().unwrap()) < vcpu(itype),
                    "{i}"
                );
            }
            "hot" => {
                assert_eq!(finding, "under-provisioned", "{id} {i}");
                let best = &options[0];
                assert!(
                    best["monthly_saving"]
                        .as_str()
                        .unwrap()
                        .parse::<f64>()
                        .unwrap()
                        < 0.0
                );
                assert!(best["note"].as_str().unwrap().contains("costs more"), "{i}");
            }
            "cache" => {
                // Not down-sized by CPU alone: every option keeps memory use within 100 % after headroom.
                for o in options {
                    if let Some(m) = o["projected_mem_pct"].as_f64() {
                        assert!(m * 1.2 <= 100.0 + 1e-9, "{id}: {o}");
                    }
                }
            }
            "credit-starved" => {
                for o in options {
                    let t = o["instance_type"].as_str().unwrap();
                    if let (Some(c_new), Some(c_now)) = (credits(t), credits(itype)) {
                        assert!(
                            c_new > c_now,
                            "{id} on {itype} is offered a burstable {t} that earns no more credits"
                        );
                    }
                }
            }
            _ => {}
        }
    }
    for p in [
        "idle-dev",
        "oversized",
        "hot",
        "cache",
        "credit-starved",
        "office-dev",
        "business-hours",
    ] {
        assert!(
            seen.contains_key(p),
            "no {p} instance in the fleet: {seen:?}"
        );
    }
    // Fleets that follow their load are web servers (the profile with a daily swing), and their
    // members are not right-sized as well.
    let resized: Vec<&str> = v["opportunities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "rightsize")
        .map(|o| o["resource"].as_str().unwrap())
        .collect();
    let mut fleets = 0;
    for o in v["opportunities"].as_array().unwrap() {
        if o["kind"] != "scale-fleet" {
            continue;
        }
        fleets += 1;
        let detail = o["detail"].as_str().unwrap();
        let members: Vec<&str> = detail
            .split([' ', ',', ';'])
            .filter(|w| w.starts_with("i-"))
            .collect();
        assert!(!members.is_empty(), "{detail}");
        for id in members {
            assert_eq!(
                workload.get(id).map(String::as_str),
                Some("web"),
                "{id}: {o}"
            );
            assert!(
                !resized.contains(&id),
                "{id} is in a fleet and right-sized: {o}"
            );
        }
    }
    assert!(fleets > 0, "no web fleet follows its load");
    // Off-hours schedules: every weekday-hours instance gets one, in its hours; a 24×7 one none.
    let mut scheduled = BTreeMap::new();
    for o in v["opportunities"].as_array().unwrap() {
        if o["kind"] == "schedule" {
            let id = o["resource"].as_str().unwrap();
            scheduled.insert(id.to_string(), o["action"].as_str().unwrap().to_string());
        }
    }
    for (id, profile) in &workload {
        let hours = match profile.as_str() {
            "office-dev" => Some("Mon-Fri 08:00-19:00 UTC (113 hours a week stopped)"),
            "business-hours" => Some("Mon-Fri 07:00-20:00 UTC (103 hours a week stopped)"),
            _ => None,
        };
        match (hours, scheduled.get(id)) {
            (Some(h), Some(action)) => assert!(action.ends_with(h), "{id}: {action}"),
            (None, None) => {}
            (want, got) => panic!("{id} ({profile}): schedule {want:?}, recommended {got:?}"),
        }
    }
    // A change that costs more is only ever a fix, and says so.
    for o in v["opportunities"].as_array().unwrap() {
        if o["monthly_saving"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            < 0.0
        {
            assert!(
                o["action"]
                    .as_str()
                    .unwrap()
                    .contains("fixes under-provisioning"),
                "{o}"
            );
        }
    }
}
