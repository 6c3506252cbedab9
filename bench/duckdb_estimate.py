#!/usr/bin/env python3
"""The DuckDB baseline for `cloudcost estimate`: what a user would do instead.

Loads the catalog's EC2 on-demand Linux price table (pricing-data/aws/ec2-ondemand-linux.csv,
skipping `#` comment lines), joins the usage rows to it on (region, instance_type, os = 'linux'),
and computes cost = SUM(quantity) * price / 3600 per (region, instance_type), and the total.

Exactness: DuckDB's DECIMAL multiplication is exact, but DECIMAL division returns DOUBLE. So the
query computes SUM(quantity) * price exactly (DECIMAL(38,14): seconds x USD per hour), and the
division by 3600 of those ~116 group sums is done exactly with Python fractions. The total is then
rounded half-up to cents, as cloudcost shows it.

--all-services (for the "mixed" benchmark files) additionally aggregates EBS `volume-gb-hours`,
S3 `storage-gb-hours` and data transfer `internet-out-gb` in the same single scan (LEFT JOIN), and
prices those few aggregates exactly in Python from the catalog TOML files: EBS per GB-month
(GB-hours / hours in the month), S3 storage tiered over the month, internet egress tiered with the
first 100 GB free. Anything else is counted as unpriced.

--validate makes DuckDB do roughly the work cloudcost does before pricing: every row's timestamps,
quantity, region, service, usage type, resource id, instance type, os, purchase option, volume
type and storage class are parsed and checked (a bad row
is counted as rejected, not priced), text is trimmed (and lower-cased where cloudcost does), and usage is first aggregated
per resource, day and price key. (Not done: row numbers for rejects, the 60-second-minimum run
rule, which cannot apply to the benchmark's whole-hour rows.)

--layout cur1|cur2|focus reads AWS's billing layouts instead (bench/to_billing.py writes them from
the benchmark files): the same query over EC2 on-demand Linux usage, its instance type taken from
the usage type (`APN2-BoxUsage:m5.large`) and its hours × 3600 as seconds.

Usage:
  python3 bench/duckdb_estimate.py FILE.csv|FILE.parquet [--threads 2] [--all-services] [--validate] [--json]
  python3 bench/duckdb_estimate.py FILE --layout cur1|cur2|focus [--json]
"""

from __future__ import annotations

import argparse
import calendar
import csv
import json
import sys
import time
import tomllib
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import duckdb

CATALOG = Path(__file__).resolve().parent.parent / "pricing-data" / "aws"

def load_prices(con, catalog: Path) -> int:
    """The catalog's Linux shared on-demand prices as table `prices` (comment lines skipped)."""
    with open(catalog / "ec2-ondemand-linux.csv", newline="") as f:
        rows = [
            (r["region"], r["instance_type"], r["os"], r["hourly_usd"])
            for r in csv.DictReader(line for line in f if not line.startswith("#"))
            if r["os"] == "linux" and r["tenancy"] == "shared" and r["model"] == "on-demand"
        ]
    con.execute("CREATE TEMP TABLE prices (region VARCHAR, instance_type VARCHAR, os VARCHAR, "
                "hourly_usd DECIMAL(18, 8))")
    con.executemany("INSERT INTO prices VALUES (?, ?, ?, CAST(? AS DECIMAL(18, 8)))", rows)
    return len(rows)


# The on-demand benchmark: inner join, group, SUM(quantity) * price (exact DECIMAL).
EC2_SQL = """
SELECT u.region, u.instance_type,
       {count} AS n,
       SUM(CAST(u.quantity AS DECIMAL(38, 6))) AS seconds,
       p.hourly_usd,
       SUM(CAST(u.quantity AS DECIMAL(38, 6))) * p.hourly_usd AS cost_x3600
FROM {src} u
JOIN prices p
  ON p.region = u.region AND p.instance_type = u.instance_type AND p.os = 'linux'
WHERE u.service = 'ec2' AND u.usage_type = 'instance-seconds'
  AND COALESCE(u.os, 'linux') = 'linux'
  AND COALESCE(u.purchase_option, 'on-demand') = 'on-demand'
GROUP BY u.region, u.instance_type, p.hourly_usd
"""

# The mixed benchmark: one scan, every row kept (LEFT JOIN), grouped by what prices it.
ALL_SQL = """
SELECT u.service, u.usage_type, u.region, u.instance_type, u.volume_type, u.storage_class,
       p.hourly_usd,
       {count} AS n,
       SUM(CAST(u.quantity AS DECIMAL(38, 6))) AS quantity,
       SUM(CAST(u.quantity AS DECIMAL(38, 6))) * p.hourly_usd AS cost_x3600
FROM {src} u
LEFT JOIN prices p
  ON p.region = u.region AND p.instance_type = u.instance_type AND p.os = 'linux'
 AND u.service = 'ec2' AND u.usage_type = 'instance-seconds'
 AND COALESCE(u.os, 'linux') = 'linux'
 AND COALESCE(u.purchase_option, 'on-demand') = 'on-demand'
GROUP BY u.service, u.usage_type, u.region, u.instance_type, u.volume_type, u.storage_class,
         p.hourly_usd
"""


# --validate: the per-row checks and the resource-day aggregation cloudcost does, in one scan into a
# small table (one row per resource, day and price key), which the queries above then price.
# Text is trimmed (and lower-cased where cloudcost lower-cases it), timestamps and quantities are parsed with TRY_
# (a bad value is a rejected row, not an error), and the reason a row cannot be priced is kept.
VALIDATE_SQL = """
CREATE TEMP TABLE validated AS
WITH t AS (
  SELECT {start} AS s, {end} AS e,
         trim(region) AS region, lower(trim(service)) AS service,
         lower(trim(usage_type)) AS usage_type, trim(resource_id) AS resource_id,
         {quantity} AS quantity,
         trim(instance_type) AS instance_type,
         COALESCE(NULLIF(lower(trim(os)), ''), 'linux') AS os,
         COALESCE(NULLIF(lower(trim(purchase_option)), ''), 'on-demand') AS purchase_option,
         lower(trim(volume_type)) AS volume_type, lower(trim(storage_class)) AS storage_class
  FROM {src}
), c AS (
  SELECT *, CASE
    WHEN s IS NULL THEN 'usage_start: not a timestamp'
    WHEN e IS NULL THEN 'usage_end: not a timestamp'
    WHEN e <= s THEN 'usage_end: not after usage_start'
    WHEN e - s > INTERVAL 31 DAY THEN 'usage_end: period over 31 days'
    WHEN region IS NULL OR region NOT IN ('us-east-1', 'ap-northeast-2') THEN 'region: unknown'
    WHEN service IS NULL OR service NOT IN ('ec2', 'ebs', 's3', 'lambda', 'data_transfer', 'public_ipv4')
      THEN 'service: unknown'
    WHEN NOT list_contains(CASE service
        WHEN 'ec2' THEN ['instance-seconds']
        WHEN 'ebs' THEN ['volume-gb-hours', 'volume-iops-hours', 'volume-throughput-hours',
                         'volume-io-requests', 'snapshot-gb-hours']
        WHEN 's3' THEN ['storage-gb-hours', 'put-requests', 'get-requests', 'retrieval-gb']
        WHEN 'lambda' THEN ['requests', 'gb-seconds', 'ephemeral-gb-seconds']
        WHEN 'data_transfer' THEN ['internet-out-gb', 'inter-az-gb', 'inter-region-gb']
        ELSE ['ip-hours'] END, usage_type) THEN 'usage_type: not one of the service'
    WHEN resource_id IS NULL OR resource_id = '' THEN 'resource_id: missing'
    WHEN quantity IS NULL THEN 'quantity: not a number'
    WHEN quantity < 0 THEN 'quantity: negative'
    WHEN service = 'ec2' AND instance_type NOT IN (SELECT instance_type FROM prices)
      THEN 'instance_type: unknown'
    WHEN service = 'ec2' AND os NOT IN ('linux', 'windows') THEN 'os: unknown'
    WHEN service = 'ec2' AND purchase_option NOT IN ('on-demand', 'spot') THEN 'purchase_option: unknown'
    WHEN service = 'ebs' AND usage_type <> 'snapshot-gb-hours'
         AND COALESCE(volume_type, '') NOT IN ('gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard')
      THEN 'volume_type: unknown'
    WHEN service = 's3' AND COALESCE(storage_class, '') NOT IN ('standard', 'intelligent-tiering',
         'standard-ia', 'onezone-ia', 'glacier-ir', 'glacier-flexible', 'deep-archive')
      THEN 'storage_class: unknown'
    ELSE NULL END AS reason
  FROM t
)
SELECT CAST(s AS DATE) AS day, resource_id, service, usage_type, region, instance_type, os,
       purchase_option, volume_type, storage_class, reason,
       SUM(quantity) AS quantity, COUNT(*) AS n_rows
FROM c
GROUP BY ALL
"""


def validated_source(con, path: str) -> str:
    """Create table `validated` from the file; return the FROM clause the pricing queries use."""
    lit = "'" + path.replace("'", "''") + "'"
    if path.endswith(".parquet"):
        src = f"read_parquet({lit})"
        types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {src})").fetchall())
    else:
        src = f"read_csv({lit}, header = true, all_varchar = true)"
        types = {}
    def ts(col: str) -> str:
        return col if types.get(col, "").startswith("TIMESTAMP") else f"TRY_CAST({col} AS TIMESTAMPTZ)"
    q = "quantity" if types.get("quantity", "").startswith("DECIMAL") else "TRY_CAST(quantity AS DECIMAL(38, 6))"
    con.execute(VALIDATE_SQL.format(src=src, start=ts("usage_start"), end=ts("usage_end"), quantity=q))
    return "(SELECT * FROM validated WHERE reason IS NULL)"


def source(path: str) -> str:
    lit = "'" + path.replace("'", "''") + "'"
    if path.endswith(".parquet"):
        return f"read_parquet({lit})"
    return f"read_csv({lit}, header = true, types = {{'quantity': 'DECIMAL(38, 6)', 'account_id': 'VARCHAR'}})"


# AWS's billing layouts (bench/to_billing.py writes them) as the columns the queries above read:
# EC2 on-demand Linux instance usage (`[<prefix>-]BoxUsage:<type>`, operation `RunInstances`),
# hours × 3600 as seconds. The plain price join on a CUR or FOCUS file, as a DuckDB user writes it.
BILLING_COLUMNS = {
    "cur1": ("lineItem/UsageType", "lineItem/Operation", "lineItem/LineItemType", "Usage",
             "lineItem/UsageAmount", "product/regionCode"),
    "cur2": ("line_item_usage_type", "line_item_operation", "line_item_line_item_type", "Usage",
             "line_item_usage_amount", "product_region_code"),
    "focus": ("x_UsageType", "x_Operation", "ChargeCategory", "Usage", "ConsumedQuantity", "RegionId"),
}


def billing_source(path: str, layout: str) -> str:
    usage, op, kind, usage_kind, amount, region = (f'"{c}"' for c in BILLING_COLUMNS[layout])
    usage_kind = usage_kind.replace('"', "'")
    lit = "'" + path.replace("'", "''") + "'"
    if path.endswith(".parquet"):
        src = f"read_parquet({lit})"
    else:
        src = f"read_csv({lit}, header = true, types = {{{amount.replace(chr(34), chr(39))}: 'DECIMAL(38, 10)'}})"
    return f"""(SELECT {region} AS region, 'ec2' AS service, 'instance-seconds' AS usage_type,
        split_part({usage}, ':', 2) AS instance_type, 'linux' AS os,
        'on-demand' AS purchase_option, CAST({amount} AS DECIMAL(38, 10)) * 3600 AS quantity
      FROM {src}
      WHERE {kind} = {usage_kind} AND {op} = 'RunInstances' AND {usage} LIKE '%BoxUsage:%')"""


def frac(x) -> Fraction:
    return Fraction(Decimal(str(x)))


def cents_half_up(x: Fraction) -> Decimal:
    n = x * 100
    sign = -1 if n < 0 else 1
    n = abs(n)
    c = (n.numerator * 2 + n.denominator) // (2 * n.denominator)
    return (Decimal(sign * c) / 100).quantize(Decimal("0.01"))


def exact_text(x: Fraction, digits: int = 30) -> str:
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d == 1:
        k = 0
        while (x * 10**k).denominator != 1:
            k += 1
        return str(Decimal((x * 10**k).numerator).scaleb(-k))
    return str(Decimal(x.numerator * 10**digits // x.denominator).scaleb(-digits)) + "..."


class Rates:
    def __init__(self, catalog: Path):
        self.docs = {}
        for name, service in [("ebs.toml", "ebs"), ("s3.toml", "s3"), ("data-transfer.toml", "data_transfer")]:
            with open(catalog / name, "rb") as f:
                self.docs[service] = tomllib.load(f)

    def rate(self, service: str, region: str, key: str) -> dict | None:
        for r in self.docs[service].get("rate", []):
            if r["region"] == region and r["key"] == key:
                return r
        return None

    def fact(self, service: str, key: str) -> Fraction:
        for f in self.docs[service].get("fact", []):
            if f["key"] == key:
                return Fraction(Decimal(f["value"]))
        raise KeyError(key)


def tiered(r: dict, start: Fraction, q: Fraction) -> Fraction:
    """Cost of q more units on a rate whose tiers start at cumulative position `start`."""
    if "tiers" not in r:
        return q * Fraction(Decimal(r["price"]))
    cost, lower, end = Fraction(0), Fraction(0), start + q
    for t in r["tiers"]:
        upper = Fraction(Decimal(t["upto"])) if "upto" in t else None
        lo, hi = max(lower, start), end if upper is None else min(end, upper)
        if hi > lo:
            cost += (hi - lo) * Fraction(Decimal(t["price"]))
        if upper is None or end <= upper:
            break
        lower = upper
    return cost


def price_other(groups: list[dict], rates: Rates, hours_in_month: int) -> tuple[dict, int]:
    """Exact cost of the non-EC2 aggregates; returns (cost by service, unpriced row count)."""
    by_service: dict[str, Fraction] = {}
    unpriced = 0
    egress: dict[str, Fraction] = {}
    for g in groups:
        s, ut, region, q = g["service"], g["usage_type"], g["region"], frac(g["quantity"])
        cost = None
        if s == "ebs" and ut == "volume-gb-hours":
            r = rates.rate("ebs", region, f"storage/{g['volume_type']}")
            if r:
                cost = q / hours_in_month * Fraction(Decimal(r["price"]))
        elif s == "s3" and ut == "storage-gb-hours":
            cls = g["storage_class"] or "standard"
            r = rates.rate("s3", region, f"storage/{cls}" if cls != "intelligent-tiering"
                           else "storage/intelligent-tiering/frequent")
            if r:
                cost = tiered(r, Fraction(0), q / hours_in_month)
        elif s == "data_transfer" and ut == "internet-out-gb":
            if rates.rate("data_transfer", region, "internet-out"):
                egress[region] = egress.get(region, Fraction(0)) + q
                continue
        if cost is None:
            unpriced += int(g["n"])
        else:
            by_service[s] = by_service.get(s, Fraction(0)) + cost
    # Internet egress: the month's first 100 GB free across regions (taken in region order here;
    # with one region, as in the benchmark files, the order cannot matter), free GB count toward
    # the first tier.
    free_left = rates.fact("data_transfer", "internet-out/free-gb")
    for region in sorted(egress):
        r = rates.rate("data_transfer", region, "internet-out")
        gb = egress[region]
        free = min(gb, free_left)
        free_left -= free
        cost = tiered(r, free, gb - free)
        by_service["data_transfer"] = by_service.get("data_transfer", Fraction(0)) + cost
    return by_service, unpriced


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--catalog", type=Path, default=CATALOG)
    ap.add_argument("--all-services", action="store_true",
                    help="also price EBS volume-gb-hours, S3 storage-gb-hours, internet-out-gb")
    ap.add_argument("--validate", action="store_true",
                    help="also check every row and aggregate by resource and day first, as cloudcost does")
    ap.add_argument("--month", default="2026-10", help="billing month YYYY-MM (its hours price GB-months)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--show-groups", action="store_true", help="print the cost per (region, instance_type)")
    ap.add_argument("--layout", choices=["own", *BILLING_COLUMNS], default="own",
                    help="the file's layout: this project's (own), or AWS's CUR 1.0, CUR 2.0, FOCUS "
                         "(EC2 on-demand Linux usage only)")
    args = ap.parse_args()
    if args.layout != "own" and (args.validate or args.all_services):
        ap.error("--layout cur1|cur2|focus takes the plain EC2 query only")

    t0 = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    load_prices(con, args.catalog)
    rejected = 0
    if args.validate:
        src, count = validated_source(con, args.file), "SUM(u.n_rows)"
        rejected = con.execute("SELECT COALESCE(SUM(n_rows), 0) FROM validated WHERE reason IS NOT NULL").fetchone()[0]
    elif args.layout != "own":
        src, count = billing_source(args.file, args.layout), "COUNT(*)"
    else:
        src, count = source(args.file), "COUNT(*)"
    sql = (ALL_SQL if args.all_services else EC2_SQL).format(src=src, count=count)
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    groups = [dict(zip(cols, row)) for row in cur.fetchall()]
    t_query = time.perf_counter() - t0

    by_service: dict[str, Fraction] = {}
    ec2_groups = []
    rows = sum(int(g["n"]) for g in groups) + int(rejected)
    unpriced = 0
    other = []
    for g in groups:
        if g["cost_x3600"] is not None:
            cost = frac(g["cost_x3600"]) / 3600
            by_service["ec2"] = by_service.get("ec2", Fraction(0)) + cost
            ec2_groups.append((g["region"], g["instance_type"], g["n"], cost))
        else:
            other.append(g)
    if args.all_services:
        y, m = (int(x) for x in args.month.split("-"))
        hours = calendar.monthrange(y, m)[1] * 24
        extra, unpriced = price_other(other, Rates(args.catalog), hours)
        for k, v in extra.items():
            by_service[k] = by_service.get(k, Fraction(0)) + v
    total = sum(by_service.values(), Fraction(0))
    t_total = time.perf_counter() - t0

    out = {
        "file": args.file,
        "engine": f"duckdb {duckdb.__version__}",
        "threads": args.threads,
        "rows": rows,
        "rows_unpriced": unpriced,
        "rows_rejected": int(rejected),
        "validate": args.validate,
        "total_cents": str(cents_half_up(total)),
        "total_exact": exact_text(total),
        "ec2_exact": exact_text(by_service.get("ec2", Fraction(0))),
        "ec2_exact_fraction": str(by_service.get("ec2", Fraction(0))),
        "by_service_cents": {k: str(cents_half_up(v)) for k, v in sorted(by_service.items())},
        "query_seconds": round(t_query, 3),
        "seconds": round(t_total, 3),
    }
    if args.json:
        print(json.dumps(out))
    else:
        if args.show_groups:
            for region, itype, n, cost in sorted(ec2_groups):
                print(f"{region:16} {itype:12} {n:>10} rows  {exact_text(cost)}")
        for k, v in out.items():
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
