#!/usr/bin/env python3
"""Write a benchmark usage file (bench/generate.py, this project's format) as the billing files AWS
writes, so that `cloudcost estimate` on CUR and FOCUS files is measured on the same usage:

  cur1     AWS CUR 1.0 CSV (`lineItem/UsageType` ...), hours as the report gives them
  cur2     AWS CUR 2.0 Parquet (Data Exports: `line_item_usage_type` ..., snake_case)
  focus    FOCUS 1.0 Parquet with AWS's `x_UsageType`, `x_ServiceCode`, `x_Operation` columns

Each usage row becomes one usage line item: EC2 instance-seconds are `<prefix>-BoxUsage:<type>`
hours with operation `RunInstances`; EBS GB-hours `EBS:VolumeUsage.<type>` GB-months (÷ hours in
the month); S3 storage `TimedStorage-ByteHrs` GB-months; internet egress `DataTransfer-Out-Bytes`
GB. The billed cost columns are 0: cloudcost re-prices the usage and only sums them to reconcile.

Requires duckdb.

Usage:
  python3 bench/to_billing.py /work/bench-data/usage-ondemand-1m.parquet --layout cur1 [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import duckdb

# The usage columns every layout is made from (one SELECT over the source file).
BASE = """
SELECT
  usage_start, usage_end, region, availability_zone AS az, resource_id,
  CASE WHEN region = 'us-east-1' THEN '' ELSE 'APN2-' END ||
  CASE service
    WHEN 'ec2' THEN 'BoxUsage:' || instance_type
    WHEN 'ebs' THEN 'EBS:VolumeUsage.' || volume_type
    WHEN 's3' THEN 'TimedStorage-ByteHrs'
    WHEN 'data_transfer' THEN 'DataTransfer-Out-Bytes'
  END AS usage_type,
  CASE service WHEN 'ec2' THEN 'RunInstances' WHEN 'ebs' THEN 'CreateVolume-Gp3'
    WHEN 's3' THEN 'StandardStorage' ELSE 'PublicIP-Out' END AS operation,
  CASE service WHEN 's3' THEN 'AmazonS3' ELSE 'AmazonEC2' END AS product,
  CASE service
    WHEN 'ec2' THEN CAST(quantity AS DECIMAL(38, 10)) / 3600
    WHEN 'ebs' THEN CAST(quantity AS DECIMAL(38, 10)) / 744
    WHEN 's3' THEN CAST(quantity AS DECIMAL(38, 10)) / 744
    ELSE CAST(quantity AS DECIMAL(38, 10))
  END AS amount,
  instance_type
FROM read_{reader}('{src}')
"""

CUR1 = """
COPY (SELECT
  strftime(CAST(usage_start AS TIMESTAMP), '%Y-%m-%dT%H:%M:%SZ') AS "lineItem/UsageStartDate",
  strftime(CAST(usage_end AS TIMESTAMP), '%Y-%m-%dT%H:%M:%SZ') AS "lineItem/UsageEndDate",
  'Usage' AS "lineItem/LineItemType", product AS "lineItem/ProductCode",
  usage_type AS "lineItem/UsageType", operation AS "lineItem/Operation",
  az AS "lineItem/AvailabilityZone", resource_id AS "lineItem/ResourceId",
  CAST(amount AS DECIMAL(38, 10)) AS "lineItem/UsageAmount",
  CAST(0 AS DECIMAL(38, 10)) AS "lineItem/UnblendedCost",
  region AS "product/regionCode", instance_type AS "product/instanceType"
FROM base) TO '{out}' (HEADER, DELIMITER ',')
"""

CUR2 = """
COPY (SELECT
  CAST(usage_start AS TIMESTAMP) AS line_item_usage_start_date,
  CAST(usage_end AS TIMESTAMP) AS line_item_usage_end_date,
  'Usage' AS line_item_line_item_type, product AS line_item_product_code,
  usage_type AS line_item_usage_type, operation AS line_item_operation,
  az AS line_item_availability_zone, resource_id AS line_item_resource_id,
  CAST(amount AS DOUBLE) AS line_item_usage_amount,
  CAST(0 AS DOUBLE) AS line_item_unblended_cost,
  region AS product_region_code, instance_type AS product_instance_type
FROM base) TO '{out}' (FORMAT PARQUET, COMPRESSION SNAPPY)
"""

FOCUS = """
COPY (SELECT
  CAST(usage_start AS TIMESTAMP) AS ChargePeriodStart,
  CAST(usage_end AS TIMESTAMP) AS ChargePeriodEnd,
  'Usage' AS ChargeCategory, 'AWS' AS ProviderName, product AS x_ServiceCode,
  usage_type AS x_UsageType, operation AS x_Operation,
  az AS AvailabilityZone, resource_id AS ResourceId, region AS RegionId,
  CAST(amount AS DOUBLE) AS ConsumedQuantity, CAST(0 AS DOUBLE) AS BilledCost
FROM base) TO '{out}' (FORMAT PARQUET, COMPRESSION SNAPPY)
"""

LAYOUTS = {"cur1": (CUR1, ".csv"), "cur2": (CUR2, ".parquet"), "focus": (FOCUS, ".parquet")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", type=Path)
    ap.add_argument("--layout", choices=sorted(LAYOUTS), required=True)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    template, ext = LAYOUTS[a.layout]
    stem = a.src.name.split(".")[0].replace("usage-", f"{a.layout}-")
    out = a.out or a.src.with_name(stem + ext)
    reader = "parquet" if a.src.suffix == ".parquet" else "csv"
    con = duckdb.connect()
    con.execute(f"SET threads = {a.threads}")
    t = time.time()
    con.execute("CREATE TEMP VIEW base AS " + BASE.format(reader=reader, src=a.src))
    con.execute(template.format(out=out))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.0f} MB, {time.time() - t:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
