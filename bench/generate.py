#!/usr/bin/env python3
"""Generate deterministic usage files for benchmarking `cloudcost estimate`.

Writes files in the cloudcost usage format (docs/usage-format.md), as CSV and as Parquet, plus a
sidecar `<name>.expected.json` holding the exact expected total, computed here independently of
both cloudcost and DuckDB (exact rational arithmetic over the per-group sums).

Variants
  ondemand  EC2 `instance-seconds` rows only: whole hours (quantity 3600, so the 60-second minimum
            never applies), Linux, on-demand, hourly periods in October 2026 (UTC), resources
            spread over both catalog regions (us-east-1, ap-northeast-2) and every instance type
            the catalog prices on-demand for Linux in both regions.
  mixed     About 55% of the resources as above, the rest EBS gp2/gp3 `volume-gb-hours` (us-east-1),
            S3 standard `storage-gb-hours` (us-east-1) and data transfer `internet-out-gb`
            (us-east-1), all prices the catalog holds. S3 storage and internet egress are large
            enough to cross every tier; the first 100 GB of egress are free.

Layout: R = ceil(rows / 744) resources, each with one row per hour of October 2026 (744 hours);
rows are written hour by hour (all resources for 00:00, then 01:00, ...), as an hourly export
would be. The last hour is cut short so the file has exactly `rows` rows.

Requires numpy and pyarrow (`pip install numpy pyarrow`).

Usage:
  python3 bench/generate.py --rows 1000000 --variant ondemand --out-dir /work/bench-data
  python3 bench/generate.py --rows 10000000 --variant mixed --formats csv,parquet
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import os
import sys
import time
import tomllib
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

HOURS = 744  # October 2026 has 31 days
MONTH_START = dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc)
REGIONS = ["us-east-1", "ap-northeast-2"]
ACCOUNTS = ["111111111111", "222222222222", "333333333333", "444444444444"]
CHUNK = 1_000_000  # rows per write (bounds the generator's memory)

COLUMNS = [
    "usage_start", "usage_end", "account_id", "region", "availability_zone", "service",
    "usage_type", "resource_id", "quantity", "instance_type", "os", "purchase_option",
    "volume_type", "storage_class", "architecture", "destination_region",
]

# Resource kinds of the mixed variant: (kind, share of resources)
MIXED_KINDS = [("ec2", 0.55), ("ebs", 0.25), ("s3", 0.10), ("egress", 0.10)]
KIND_EC2, KIND_EBS, KIND_S3, KIND_EGRESS = 0, 1, 2, 3
EBS_TYPES = ["gp2", "gp3"]
EBS_SIZES = np.array([8, 20, 30, 50, 100, 200, 500, 1000], dtype=np.int64)  # GB


def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def load_ondemand_prices(catalog: Path) -> dict[tuple[str, str], Decimal]:
    """(region, instance_type) -> hourly USD, Linux shared on-demand rows of the catalog CSV."""
    with open(catalog / "ec2-ondemand-linux.csv", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    prices = {}
    for row in csv.DictReader(lines):
        if row["os"] == "linux" and row["tenancy"] == "shared" and row["model"] == "on-demand":
            prices[(row["region"], row["instance_type"])] = Decimal(row["hourly_usd"])
    return prices


def instance_types(prices: dict[tuple[str, str], Decimal]) -> list[str]:
    """Types priced in every benchmark region, in catalog order."""
    seen: list[str] = []
    for (_, t) in prices:
        if t not in seen and all((r, t) in prices for r in REGIONS):
            seen.append(t)
    return seen


def load_rates(catalog: Path, name: str) -> list[dict]:
    with open(catalog / name, "rb") as f:
        return tomllib.load(f)


def rate(doc: dict, region: str, key: str) -> dict:
    for r in doc.get("rate", []):
        if r["region"] == region and r["key"] == key:
            return r
    raise KeyError(f"no rate {region} {key}")


def fact(doc: dict, key: str) -> Decimal:
    for f in doc.get("fact", []):
        if f["key"] == key:
            return Decimal(f["value"])
    raise KeyError(key)


def tiered(r: dict, q: Fraction) -> Fraction:
    """Cost of quantity q on a (possibly tiered) rate, tiers over the month's cumulative quantity."""
    if "tiers" not in r:
        return q * Fraction(Decimal(r["price"]))
    cost, lower = Fraction(0), Fraction(0)
    for t in r["tiers"]:
        upper = Fraction(Decimal(t["upto"])) if "upto" in t else None
        top = q if upper is None else min(q, upper)
        if top > lower:
            cost += (top - lower) * Fraction(Decimal(t["price"]))
        if upper is None or q <= upper:
            break
        lower = upper
    return cost


def first_price(r: dict) -> Fraction:
    return Fraction(Decimal(r["tiers"][0]["price"] if "tiers" in r else r["price"]))


def cents_half_up(x: Fraction) -> Decimal:
    """Round an exact non-negative rational half-up to cents."""
    n = x * 100
    c = (n.numerator * 2 + n.denominator) // (2 * n.denominator)
    return (Decimal(c) / 100).quantize(Decimal("0.01"))


def exact_text(x: Fraction, digits: int = 30) -> str:
    """Decimal text of x: exact when the expansion terminates, else `digits` places and '...'."""
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d == 1:
        k = 0
        while (x * 10**k).denominator != 1:
            k += 1
        s = str(Decimal((x * 10**k).numerator).scaleb(-k))
        return s
    q = x.numerator * 10**digits // x.denominator
    return str(Decimal(q).scaleb(-digits)) + "..."


class Plan:
    """Per-resource attributes, drawn once from the seeded generator."""

    def __init__(self, rows: int, variant: str, seed: int, types: list[str]):
        self.rows = rows
        self.variant = variant
        self.n_res = math.ceil(rows / HOURS)
        rng = np.random.default_rng(seed)
        n = self.n_res
        if variant == "ondemand":
            self.kind = np.full(n, KIND_EC2, dtype=np.int8)
        else:
            shares = np.array([s for _, s in MIXED_KINDS])
            self.kind = rng.choice(len(MIXED_KINDS), size=n, p=shares / shares.sum()).astype(np.int8)
        self.region = rng.integers(0, len(REGIONS), size=n).astype(np.int8)
        # Only EC2 uses both regions; EBS / S3 / egress stay in us-east-1 (Seoul EBS has gp3 only).
        self.region[self.kind != KIND_EC2] = 0
        self.az = rng.integers(0, 3, size=n).astype(np.int8)
        self.account = rng.integers(0, len(ACCOUNTS), size=n).astype(np.int8)
        self.itype = rng.integers(0, len(types), size=n).astype(np.int16)
        self.ebs_type = rng.integers(0, len(EBS_TYPES), size=n).astype(np.int8)
        self.ebs_size = EBS_SIZES[rng.integers(0, len(EBS_SIZES), size=n)]
        ids = rng.integers(0, 2**62, size=n, dtype=np.int64)
        prefix = {KIND_EC2: "i-", KIND_EBS: "vol-", KIND_S3: "bucket-", KIND_EGRESS: "web-"}
        self.resource_id = np.array(
            [f"{prefix[int(k)]}{int(i):016x}" for k, i in zip(self.kind, ids)], dtype=object
        )
        self.rng = rng  # continues to draw per-row quantities, chunk by chunk, in order


def chunk_table(plan: Plan, start: int, stop: int, types: list[str], parquet: bool) -> tuple[pa.Table, dict]:
    i = np.arange(start, stop, dtype=np.int64)
    hour = i // plan.n_res
    res = i % plan.n_res
    kind = plan.kind[res]
    n = len(i)

    # Per-row quantities in thousandths (exact integers), drawn in row order.
    q_milli = np.full(n, 3600 * 1000, dtype=np.int64)
    is_ebs = kind == KIND_EBS
    is_s3 = kind == KIND_S3
    is_eg = kind == KIND_EGRESS
    s3_draw = plan.rng.integers(1_000, 20_000_000, size=n, dtype=np.int64)  # 1 .. 20,000 GB
    eg_draw = plan.rng.integers(0, 5_000, size=n, dtype=np.int64)  # 0 .. 5 GB per hour
    q_milli[is_ebs] = plan.ebs_size[res[is_ebs]] * 1000
    q_milli[is_s3] = s3_draw[is_s3]
    q_milli[is_eg] = eg_draw[is_eg]

    reg = plan.region[res]
    is_ec2 = kind == KIND_EC2

    def pick(values: list[str], idx: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        arr = pa.array(values, pa.string()).take(pa.array(idx))
        if mask is not None:
            arr = pc.if_else(pa.array(mask), arr, pa.scalar(None, pa.string()))
        return arr

    if parquet:
        base = int(MONTH_START.timestamp() * 1000)
        start_ms = base + hour * 3_600_000
        ts_type = pa.timestamp("ms", tz="UTC")
        usage_start = pa.array(start_ms, ts_type)
        usage_end = pa.array(start_ms + 3_600_000, ts_type)
        # Decimal(18, 3) from the unscaled thousandths: little-endian 128-bit (values are >= 0).
        raw = np.zeros((n, 2), dtype="<i8")
        raw[:, 0] = q_milli
        quantity = pa.Array.from_buffers(pa.decimal128(18, 3), n, [None, pa.py_buffer(raw.tobytes())])
    else:
        stamps = [
            (MONTH_START + dt.timedelta(hours=h)).strftime("%Y-%m-%dT%H:%M:%SZ")
            for h in range(HOURS + 1)
        ]
        usage_start = pick(stamps, hour)
        usage_end = pick(stamps, hour + 1)
        # Quantity text as written by an exporter: 3600, 50, 12.345
        whole, frac = np.divmod(q_milli, 1000)
        qtext = np.where(
            frac == 0,
            whole.astype(str),
            np.char.rstrip(
                np.char.add(np.char.add(whole.astype(str), "."), np.char.zfill(frac.astype(str), 3)),
                "0",
            ),
        )
        quantity = pa.array(qtext, pa.string())

    service_names = ["ec2", "ebs", "s3", "data_transfer"]
    usage_types = ["instance-seconds", "volume-gb-hours", "storage-gb-hours", "internet-out-gb"]
    azs = [f"{r}{z}" for r in REGIONS for z in "abc"]
    cols = {
        "usage_start": usage_start,
        "usage_end": usage_end,
        "account_id": pick(ACCOUNTS, plan.account[res]),
        "region": pick(REGIONS, reg),
        "availability_zone": pick(azs, reg.astype(np.int64) * 3 + plan.az[res], is_ec2 | is_ebs),
        "service": pick(service_names, kind),
        "usage_type": pick(usage_types, kind),
        "resource_id": pa.array(plan.resource_id[res], pa.string()),
        "quantity": quantity,
        "instance_type": pick(types, plan.itype[res], is_ec2),
        "os": pick(["linux"], np.zeros(n, dtype=np.int8), is_ec2),
        "purchase_option": pick(["on-demand"], np.zeros(n, dtype=np.int8), is_ec2),
        "volume_type": pick(EBS_TYPES, plan.ebs_type[res], is_ebs),
        "storage_class": pick(["standard"], np.zeros(n, dtype=np.int8), is_s3),
        "architecture": pa.nulls(n, pa.string()),
        "destination_region": pa.nulls(n, pa.string()),
    }
    sums = {
        "kind": kind, "res": res, "reg": reg, "q_milli": q_milli,
    }
    return pa.table(cols), sums


def generate(rows: int, variant: str, seed: int, out_dir: Path, fmt: str, catalog: Path) -> dict:
    prices = load_ondemand_prices(catalog)
    types = instance_types(prices)
    plan = Plan(rows, variant, seed, types)
    name = f"usage-{variant}-{label(rows)}"
    path = out_dir / f"{name}.{fmt}"
    tmp = path.with_suffix(path.suffix + ".tmp")
    parquet = fmt == "parquet"

    # Exact sums for the expected total (integers, thousandths of a unit).
    ec2_milli = np.zeros((len(REGIONS), len(types)), dtype=object)
    ebs_milli = {t: 0 for t in EBS_TYPES}
    s3_milli = 0
    eg_milli = 0

    writer = None
    t0 = time.perf_counter()
    for start in range(0, rows, CHUNK):
        stop = min(rows, start + CHUNK)
        table, s = chunk_table(plan, start, stop, types, parquet)
        if writer is None:
            if parquet:
                writer = pq.ParquetWriter(tmp, table.schema, compression="snappy")
            else:
                # Header written by hand: pyarrow would quote the names.
                sink = open(tmp, "wb")
                sink.write((",".join(table.schema.names) + "\n").encode())
                writer = pacsv.CSVWriter(
                    sink, table.schema,
                    write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"),
                )
        writer.write_table(table)
        kind, res, reg, q = s["kind"], s["res"], s["reg"], s["q_milli"]
        m = kind == KIND_EC2
        flat = reg[m].astype(np.int64) * len(types) + plan.itype[res[m]]
        sums = np.bincount(flat, weights=None, minlength=len(REGIONS) * len(types))
        # every EC2 row is 3600 s: count rows per (region, type), exact
        for k, c in enumerate(sums):
            if c:
                ec2_milli[k // len(types), k % len(types)] += int(c) * 3600 * 1000
        for ti, t in enumerate(EBS_TYPES):
            mm = (kind == KIND_EBS) & (plan.ebs_type[res] == ti)
            ebs_milli[t] += int(q[mm].sum())
        s3_milli += int(q[kind == KIND_S3].sum())
        eg_milli += int(q[kind == KIND_EGRESS].sum())
    writer.close()
    if not parquet:
        sink.close()
    os.replace(tmp, path)
    elapsed = time.perf_counter() - t0

    # Expected total, exact.
    ebs = load_rates(catalog, "ebs.toml")
    s3 = load_rates(catalog, "s3.toml")
    dt_doc = load_rates(catalog, "data-transfer.toml")
    parts: dict[str, Fraction] = {}
    ec2 = Fraction(0)
    for ri, r in enumerate(REGIONS):
        for ti, t in enumerate(types):
            secs = Fraction(int(ec2_milli[ri, ti]), 1000)
            ec2 += secs * Fraction(prices[(r, t)]) / 3600
    parts["ec2"] = ec2
    if variant == "mixed":
        parts["ebs"] = sum(
            (Fraction(ebs_milli[t], 1000) / HOURS * first_price(rate(ebs, "us-east-1", f"storage/{t}"))
             for t in EBS_TYPES),
            Fraction(0),
        )
        parts["s3"] = tiered(rate(s3, "us-east-1", "storage/standard"), Fraction(s3_milli, 1000) / HOURS)
        egress_rate = rate(dt_doc, "us-east-1", "internet-out")
        gb = Fraction(eg_milli, 1000)
        free = min(gb, Fraction(fact(dt_doc, "internet-out/free-gb")))
        # The free allowance uses up the start of the first tier.
        parts["data_transfer"] = tiered(egress_rate, gb) - free * first_price(egress_rate)
    total = sum(parts.values(), Fraction(0))
    expected = {
        "file": str(path),
        "variant": variant,
        "rows": rows,
        "seed": seed,
        "resources": plan.n_res,
        "total_cents": str(cents_half_up(total)),
        "total_exact": exact_text(total),
        "by_service_cents": {k: str(cents_half_up(v)) for k, v in parts.items()},
        "quantities": {
            "ec2_instance_hours": str(sum(Fraction(int(x), 3600 * 1000) for x in ec2_milli.flat)),
            "ebs_gb_hours": {t: str(Fraction(v, 1000)) for t, v in ebs_milli.items()},
            "s3_gb_hours": str(Decimal(s3_milli).scaleb(-3)),
            "internet_out_gb": str(Decimal(eg_milli).scaleb(-3)),
        },
        "generate_seconds": round(elapsed, 1),
        "bytes": path.stat().st_size,
    }
    Path(f"{path}.expected.json").write_text(json.dumps(expected, indent=2) + "\n")
    return expected


def label(rows: int) -> str:
    if rows % 1_000_000 == 0:
        return f"{rows // 1_000_000}m"
    if rows % 1_000 == 0:
        return f"{rows // 1_000}k"
    return str(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, action="append",
                    help="rows per file (repeatable; default 1000000 and 10000000)")
    ap.add_argument("--variant", choices=["ondemand", "mixed"], action="append",
                    help="content (repeatable; default ondemand and mixed)")
    ap.add_argument("--formats", default="csv,parquet", help="comma-separated: csv,parquet")
    ap.add_argument("--seed", type=int, default=20261001)
    ap.add_argument("--out-dir", type=Path, default=Path("/work/bench-data"))
    ap.add_argument("--catalog", type=Path, default=repo_root() / "pricing-data" / "aws")
    ap.add_argument("--force", action="store_true", help="rewrite files that already exist")
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for rows in args.rows or [1_000_000, 10_000_000]:
        for variant in args.variant or ["ondemand", "mixed"]:
            for fmt in args.formats.split(","):
                name = f"usage-{variant}-{label(rows)}"
                target = args.out_dir / f"{name}.{fmt}"
                if target.exists() and Path(f"{target}.expected.json").exists() and not args.force:
                    print(f"exists: {target}", file=sys.stderr)
                    continue
                e = generate(rows, variant, args.seed, args.out_dir, fmt, args.catalog)
                print(f"wrote {e['file']} ({e['bytes'] / 1e6:.0f} MB, {e['generate_seconds']} s), "
                      f"expected total {e['total_cents']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
