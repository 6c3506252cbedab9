#!/usr/bin/env python3
"""Summarise one `bench/run.sh` results directory: timings, peak memory, and whether the totals agree.

For each benchmarked file it reads
  <case>.cloudcost.json      `cloudcost estimate FILE --format json` output (total in cents)
  <case>.cloudcost.time      `/usr/bin/time -v` report of that run (peak RSS, exit status)
  <case>.cloudcost.hf.json   timings (bench/interleave.py, in hyperfine's layout)
  <case>.cloudcost.lines.csv `cloudcost estimate FILE --format csv` output (per-line exact quantities)
  <case>.duckdb.json / .time / .hf.json   the same for bench/duckdb_estimate.py
  <case>.duckdb-validate.*   the same for bench/duckdb_estimate.py --validate
  <case>.cloudcost-commitments.*  the same for `cloudcost estimate --commitments bench/commitments.toml`
  FILE.expected.json         the generator's exact expected total
and prints a Markdown table, then the issue's goals checked against the 10M-row files.

Totals are compared at cents (cloudcost shows the exact total rounded half-up to cents). The exact
EC2 sum is compared too: cloudcost's CSV lines carry exact quantities (instance hours), and
sum(hours x catalog price) over its EC2 lines is checked against DuckDB's exact EC2 sum.

Usage: python3 bench/compare.py RESULTS_DIR DATA_DIR
"""

from __future__ import annotations

import csv
import json
import re
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GB = 10**9  # the goal's "1 GB", read strictly as 10^9 bytes


def load_json(p: Path):
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return None


def time_report(p: Path) -> dict:
    """Peak RSS (kB), wall seconds and exit status from a `/usr/bin/time -v` report."""
    out = {"rss_kb": None, "wall": None, "status": None, "signal": None}
    try:
        text = p.read_text(errors="replace")
    except OSError:
        return out
    if m := re.search(r"Maximum resident set size \(kbytes\): (\d+)", text):
        out["rss_kb"] = int(m.group(1))
    if m := re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text):
        secs = 0.0
        for part in m.group(1).split(":"):
            secs = secs * 60 + float(part)
        out["wall"] = secs
    if m := re.search(r"Exit status: (\d+)", text):
        out["status"] = int(m.group(1))
    if m := re.search(r"Command terminated by signal (\d+)", text):
        out["signal"] = int(m.group(1))
    return out


def cpu_seconds(p: Path):
    """Mean user + system CPU seconds per run; less sensitive to other load than wall time."""
    hf = load_json(p)
    if not hf or not hf.get("results"):
        return None
    r = hf["results"][0]
    if r.get("user") is None or r.get("system") is None:
        return None
    return r["user"] + r["system"]


def median_seconds(p: Path):
    hf = load_json(p)
    if not hf or not hf.get("results"):
        return None, None
    r = hf["results"][0]
    times = r.get("times") or []
    return r.get("median"), (min(times), max(times)) if times else None


def ondemand_prices() -> dict[tuple[str, str], Fraction]:
    with open(ROOT / "pricing-data" / "aws" / "ec2-ondemand-linux.csv", newline="") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return {
            (r["region"], r["instance_type"]): Fraction(Decimal(r["hourly_usd"]))
            for r in rows
            if r["os"] == "linux" and r["tenancy"] == "shared" and r["model"] == "on-demand"
        }


COMPONENT = re.compile(r"Instance usage \(linux, on-demand, ([^)]+)\)")


def cloudcost_exact_ec2(p: Path, prices) -> Fraction | None:
    """Exact on-demand Linux EC2 cost from cloudcost's CSV lines: sum(hours x catalog price)."""
    if not p.exists() or p.stat().st_size == 0:
        return None
    total = Fraction(0)
    with open(p, newline="") as f:
        for r in csv.DictReader(f):
            if r["service"] != "ec2" or r["pricing_model"] != "on-demand":
                continue
            m = COMPONENT.fullmatch(r["component"])
            if not m or r["unit"] != "hours":
                return None
            total += Fraction(Decimal(r["quantity"])) * prices[(r["region"], m.group(1))]
    return total


def duckdb_exact_ec2(d: dict) -> Fraction | None:
    return Fraction(d["ec2_exact_fraction"]) if d and d.get("ec2_exact_fraction") else None


def fmt_s(x) -> str:
    return "—" if x is None else (f"{x:.2f} s" if x < 100 else f"{x:.0f} s")


def fmt_mem(kb) -> str:
    """`/usr/bin/time` kbytes (KiB) shown in MB (10^6 bytes)."""
    if kb is None:
        return "—"
    return f"{kb * 1024 / 1e6:,.0f} MB"


def human_rows(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n:,}"


def main() -> int:
    res, data = Path(sys.argv[1]), Path(sys.argv[2])
    prices = ondemand_prices()
    cases = sorted(p.name[: -len(".cloudcost.time")] for p in res.glob("*.cloudcost.time"))
    # order: variant, rows, format
    # usage-<variant>-<rows>.<format>, or <layout>-ondemand-<rows>.<format> for AWS's layouts
    def key(c):
        m = re.match(r"(usage|cur1|cur2|focus)-(\w+)-(\d+)([km]?)\.(\w+)", c)
        mult = {"k": 1_000, "m": 1_000_000, "": 1}[m.group(4)]
        return (m.group(1) != "usage", m.group(2) != "ondemand", int(m.group(3)) * mult, m.group(1), m.group(5))
    cases.sort(key=key)

    def expected(c):
        """The generator's expected total; a billing layout's is its source file's."""
        if c.startswith("usage-"):
            return load_json(data / f"{c}.expected.json") or {}
        stem = "usage-" + c.split("-", 1)[1].rsplit(".", 1)[0]
        return load_json(data / f"{stem}.parquet.expected.json") or load_json(data / f"{stem}.csv.expected.json") or {}

    rows_out = []
    facts = []
    for c in cases:
        exp = expected(c)
        cc, dd = load_json(res / f"{c}.cloudcost.json"), load_json(res / f"{c}.duckdb.json")
        ct, dt = time_report(res / f"{c}.cloudcost.time"), time_report(res / f"{c}.duckdb.time")
        cmed, crange = median_seconds(res / f"{c}.cloudcost.hf.json")
        dmed, drange = median_seconds(res / f"{c}.duckdb.hf.json")
        ccpu, dcpu = cpu_seconds(res / f"{c}.cloudcost.hf.json"), cpu_seconds(res / f"{c}.duckdb.hf.json")
        kt = time_report(res / f"{c}.cloudcost-commitments.time")
        kmed, krange = median_seconds(res / f"{c}.cloudcost-commitments.hf.json")
        vv, vt = load_json(res / f"{c}.duckdb-validate.json"), time_report(res / f"{c}.duckdb-validate.time")
        vmed, vrange = median_seconds(res / f"{c}.duckdb-validate.hf.json")
        v_total = vv.get("total_cents") if vv else None
        c_total = cc.get("total") if cc else None
        d_total = dd.get("total_cents") if dd else None
        e_total = exp.get("total_cents")
        c_exact = cloudcost_exact_ec2(res / f"{c}.cloudcost.lines.csv", prices)
        d_exact = duckdb_exact_ec2(dd)
        if c_total is None:
            why = f"exit {ct['status']}" if ct["signal"] is None else f"signal {ct['signal']}"
            eq = f"cloudcost failed ({why})"
        else:
            eq = "yes" if c_total == d_total == e_total and v_total in (None, e_total) else "NO"
        exact_eq = "—" if c_exact is None or d_exact is None else ("yes" if c_exact == d_exact else "NO")
        rows = exp.get("rows") or (dd or {}).get("rows")
        rejected = (cc or {}).get("rows", {}).get("rejected")
        fmt = c.rsplit(".", 1)[1]
        rows_out.append([
            c, human_rows(rows) if rows else "?",
            fmt_s(cmed), fmt_s(ccpu), fmt_mem(ct["rss_kb"]),
            fmt_s(dmed), fmt_s(dcpu), fmt_mem(dt["rss_kb"]),
            f"{c_total} / {d_total} / {e_total}", eq, exact_eq,
            fmt_s(vmed), fmt_mem(vt["rss_kb"]),
            fmt_s(kmed), fmt_mem(kt["rss_kb"]),
        ])
        facts.append({
            "case": c, "variant": exp.get("variant"), "rows": rows, "format": fmt,
            "cloudcost_cpu_s": ccpu, "duckdb_cpu_s": dcpu,
            "cloudcost_median_s": cmed, "cloudcost_range_s": crange, "cloudcost_rss_kb": ct["rss_kb"],
            "cloudcost_status": ct["status"], "cloudcost_signal": ct["signal"],
            "cloudcost_rejected": rejected,
            "duckdb_median_s": dmed, "duckdb_range_s": drange, "duckdb_rss_kb": dt["rss_kb"],
            "duckdb_query_s": (dd or {}).get("query_seconds"),
            "total_cloudcost": c_total, "total_duckdb": d_total, "total_expected": e_total,
            "ec2_exact_cloudcost": None if c_exact is None else str(c_exact),
            "ec2_exact_duckdb": None if d_exact is None else str(d_exact),
            "duckdb_validate_median_s": vmed, "duckdb_validate_range_s": vrange,
            "duckdb_validate_rss_kb": vt["rss_kb"], "total_duckdb_validate": v_total,
            "totals_equal": eq, "ec2_exact_equal": exact_eq,
            "cloudcost_commitments_median_s": kmed, "cloudcost_commitments_range_s": krange,
            "cloudcost_commitments_rss_kb": kt["rss_kb"],
        })

    head = ["file", "rows", "cloudcost wall (median)", "cloudcost CPU (user+sys)", "cloudcost peak RSS",
            "DuckDB wall (median)", "DuckDB CPU (user+sys)", "DuckDB peak RSS", "total: cloudcost / DuckDB / expected", "totals equal?",
            "exact EC2 sums equal?", "DuckDB --validate wall (median)", "DuckDB --validate peak RSS",
            "cloudcost --commitments wall (median)", "cloudcost --commitments peak RSS"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows_out:
        print("| " + " | ".join(r) + " |")

    print()
    print("Goals (10M-row files):")
    for f in facts:
        if not f["rows"] or f["rows"] < 10_000_000:
            continue
        speed = ("—" if f["cloudcost_median_s"] is None or f["duckdb_median_s"] is None else
                 ("met" if f["cloudcost_median_s"] <= f["duckdb_median_s"] else "MISSED") +
                 f" ({f['cloudcost_median_s']:.2f} s vs {f['duckdb_median_s']:.2f} s,"
                 f" {f['cloudcost_median_s'] / f['duckdb_median_s']:.1f}x)")
        mem = ("—" if f["cloudcost_rss_kb"] is None else
               ("met" if f["cloudcost_rss_kb"] * 1024 < GB else "MISSED") + f" ({fmt_mem(f['cloudcost_rss_kb'])})")
        k, d = f["cloudcost_commitments_median_s"], f["duckdb_median_s"]
        within = ("—" if k is None or d is None else
                  ("met" if k <= 2 * d else "MISSED") + f" ({k:.2f} s vs {d:.2f} s, {k / d:.1f}x)")
        kmem = f["cloudcost_commitments_rss_kb"]
        kmem = "—" if kmem is None else ("met" if kmem * 1024 < GB else "MISSED") + f" ({fmt_mem(kmem)})"
        print(f"- {f['case']}: no slower than DuckDB: {speed}; peak memory under 1 GB: {mem}; "
              f"commitment-aware bill within 2x of DuckDB: {within}, its peak memory under 1 GB: {kmem}; "
              f"totals equal: {f['totals_equal']}; exact EC2 sums equal: {f['ec2_exact_equal']}")
    (res / "summary.json").write_text(json.dumps(facts, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
