#!/usr/bin/env bash
# Reproducible benchmark of `cloudcost estimate` against the same pricing done with DuckDB.
#
#   bash bench/run.sh
#
# 1. generates the usage files if missing (bench/generate.py) into $BENCH_DATA (outside the repo),
# 2. builds the release binary into a separate target dir at low priority,
# 3. for each file: each command once under /usr/bin/time -v (peak RSS; this run also warms the
#    page cache and writes the output compare.py checks): `cloudcost estimate FILE --format json`,
#    the full commitment-aware bill (`--commitments bench/commitments.toml`: reserved instances of
#    the c5 and m5 families in us-east-1), bench/duckdb_estimate.py (the plain query) and
#    bench/duckdb_estimate.py --validate (the same per-row checks and resource-day aggregation
#    cloudcost does); then $BENCH_RUNS timed rounds in which the four commands take turns
#    (bench/interleave.py: back-to-back repeats of one command can land in a fast or slow spell of
#    the machine and skew the comparison by 20-30%); one more `--format csv` run of cloudcost for
#    the exact-sum check,
#    Then the on-demand files as AWS's billing layouts (CUR 1.0 CSV, CUR 2.0 and FOCUS Parquet,
#    bench/to_billing.py): cloudcost and the same DuckDB query over the layout's columns,
# 4. prints a table (bench/compare.py) and the issue's goals checked against the 10M-row files.
#
# Settings (environment):
#   BENCH_DATA      where usage files and results go        (default /work/bench-data)
#   BENCH_TARGET    cargo target dir for the release build  (default /work/bench-target)
#   BENCH_ROWS      row counts                              (default "1000000 10000000")
#   BENCH_VARIANTS  ondemand and/or mixed                   (default "ondemand mixed")
#   BENCH_FORMATS   csv and/or parquet                      (default "csv parquet")
#   BENCH_RUNS      timed rounds per file                   (default 7)
#   BENCH_LAYOUTS   AWS billing layouts of the on-demand files (default "cur1 cur2 focus"; "" for none)
#   BENCH_TIMEOUT   seconds before a single run is killed   (default 1800)
#   BENCH_BUILD=0   skip the cargo build (use the binary already in $BENCH_TARGET)
#   BENCH_REV       build this git revision (e.g. HEAD, a tag) from a clean `git archive` export
#                   instead of the working tree (default: the working tree, as it is), into its
#                   own target dir $BENCH_REV_TARGET (default $BENCH_TARGET-rev): sharing one target
#                   dir between two source trees lets cargo take one tree's binary for the other's
#   BENCH_BIN       measure this cloudcost binary as it is (no build)
#
# The binary is copied into the results directory before measuring, so a concurrent build into
# the same target dir cannot swap it mid-run; its git revision is written to machine.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${BENCH_DATA:-/work/bench-data}"
TARGET="${BENCH_TARGET:-/work/bench-target}"
ROWS="${BENCH_ROWS:-1000000 10000000}"
VARIANTS="${BENCH_VARIANTS:-ondemand mixed}"
FORMATS="${BENCH_FORMATS:-csv parquet}"
RUNS="${BENCH_RUNS:-7}"
LAYOUTS="${BENCH_LAYOUTS:-cur1 cur2 focus}"
TIMEOUT="${BENCH_TIMEOUT:-1800}"
THREADS=2
BIN="$TARGET/release/cloudcost"
OUT="$DATA/results-$(date -u +%Y%m%dT%H%M%SZ)"

log() { printf '\n== %s\n' "$*" >&2; }

# --------------------------------------------------------------------------- prerequisites
if ! python3 -c 'import duckdb, pyarrow, numpy' 2>/dev/null; then
  echo "bench: needs Python packages duckdb, pyarrow and numpy: pip install duckdb pyarrow numpy" >&2
  exit 1
fi
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install -y time)" >&2; exit 1; }

mkdir -p "$DATA" "$OUT"

# --------------------------------------------------------------------------- data
log "usage files in $DATA"
gen_args=()
for n in $ROWS; do gen_args+=(--rows "$n"); done
for v in $VARIANTS; do gen_args+=(--variant "$v"); done
python3 "$ROOT/bench/generate.py" "${gen_args[@]}" --formats "$(echo $FORMATS | tr ' ' ,)" --out-dir "$DATA"

# --------------------------------------------------------------------------- build
SRC="$ROOT"
if [ -n "${BENCH_BIN:-}" ]; then
  BIN="$BENCH_BIN"
elif [ -n "${BENCH_REV:-}" ]; then
  REV="$(cd "$ROOT" && git rev-parse --short "$BENCH_REV")"
  SRC="$DATA/src-$REV"
  TARGET="${BENCH_REV_TARGET:-$TARGET-rev}"
  BIN="$TARGET/release/cloudcost"
  if [ ! -d "$SRC" ]; then
    log "exporting $REV to $SRC"
    mkdir -p "$SRC.tmp" && (cd "$ROOT" && git archive "$REV") | tar -x -C "$SRC.tmp" && mv "$SRC.tmp" "$SRC"
  fi
  # git archive keeps commit-time mtimes: make them newer than any earlier build in $TARGET so
  # cargo cannot call another revision's binary fresh.
  find "$SRC" -type f -exec touch {} +
fi
if [ -z "${BENCH_BIN:-}" ] && [ "${BENCH_BUILD:-1}" != 0 ]; then
  log "release build of $SRC into $TARGET (nice 19)"
  (cd "$SRC" && CARGO_TARGET_DIR="$TARGET" nice -n 19 cargo build --release)
fi
[ -x "$BIN" ] || { echo "bench: no binary at $BIN" >&2; exit 1; }
cp "$BIN" "$OUT/cloudcost"
BIN="$OUT/cloudcost"

# --------------------------------------------------------------------------- machine
{
  echo "date (UTC):  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu:         $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
  echo "nproc:       $(nproc)"
  echo "kernel:      $(uname -sr)"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [ -n "${BENCH_BIN:-}" ]; then
    echo "cloudcost:   the given binary $BENCH_BIN"
  elif [ -n "${BENCH_REV:-}" ]; then
    echo "cloudcost:   built from $REV (clean export)"
  else
    echo "cloudcost:   built from the working tree at $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo ' + uncommitted changes (git status below)')"
  fi
  echo "binary:      sha256 $(sha256sum "$BIN" | cut -c1-16)"
  echo "rustc:       $(rustc --version)"
  echo "duckdb:      $(python3 -c 'import duckdb; print(duckdb.__version__)') (Python $(python3 -c 'import platform; print(platform.python_version())'), threads=$THREADS)"
  echo "timing:      $RUNS interleaved rounds per file (bench/interleave.py)"
  echo "memory:"
  free -h
  echo "git status (src, Cargo.*):"
  (cd "$ROOT" && git status --short -- src Cargo.toml Cargo.lock)
} > "$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

# --------------------------------------------------------------------------- measuring
# once NAME OUTFILE CMD...: one run under /usr/bin/time -v (stdout to OUTFILE): peak RSS, exit
# status, and the output compare.py checks; it also warms the page cache for the timed rounds.
once() {
  local name="$1" outfile="$2"; shift 2
  log "$name: $*"
  if /usr/bin/time -v -o "$OUT/$name.time" timeout "$TIMEOUT" "$@" > "$outfile" 2> "$OUT/$name.stderr"; then
    grep -E 'Maximum resident|Elapsed' "$OUT/$name.time" >&2
  else
    echo "bench: $name FAILED (see $OUT/$name.stderr and $OUT/$name.time):" >&2
    tail -5 "$OUT/$name.stderr" >&2 || true
    grep -E 'Maximum resident|Elapsed|Exit status|signal' "$OUT/$name.time" >&2 || true
    return 1
  fi
}

q() { printf '%q ' "$@"; }

for n in $ROWS; do
  for v in $VARIANTS; do
    for f in $FORMATS; do
      label=$(PYTHONDONTWRITEBYTECODE=1 python3 -c "import sys; sys.path.insert(0, '$ROOT/bench'); import generate; print(generate.label($n))")
      file="$DATA/usage-$v-$label.$f"
      case="usage-$v-$label.$f"
      extra=()
      [ "$v" = ondemand ] || extra=(--all-services)
      plain=("$BIN" estimate "$file" --format json)
      commitments=("$BIN" estimate "$file" --commitments "$ROOT/bench/commitments.toml" --format json)
      duck=(python3 "$ROOT/bench/duckdb_estimate.py" "$file" --threads "$THREADS" --json "${extra[@]}")
      duck_validate=("${duck[@]}" --validate)
      timed=()
      once "$case.cloudcost" "$OUT/$case.cloudcost.json" "${plain[@]}" \
        && timed+=("$case.cloudcost=$(q "${plain[@]}")")
      once "$case.cloudcost-commitments" "$OUT/$case.cloudcost-commitments.json" "${commitments[@]}" \
        && timed+=("$case.cloudcost-commitments=$(q "${commitments[@]}")")
      once "$case.duckdb" "$OUT/$case.duckdb.json" "${duck[@]}" \
        && timed+=("$case.duckdb=$(q "${duck[@]}")")
      once "$case.duckdb-validate" "$OUT/$case.duckdb-validate.json" "${duck_validate[@]}" \
        && timed+=("$case.duckdb-validate=$(q "${duck_validate[@]}")")
      log "$case: $RUNS interleaved rounds of the commands that ran"
      [ ${#timed[@]} -eq 0 ] || python3 "$ROOT/bench/interleave.py" "$OUT" "$RUNS" "$TIMEOUT" "${timed[@]}" \
        || echo "bench: some timed runs of $case failed" >&2
      log "$case: cloudcost --format csv (exact-sum check, untimed)"
      timeout "$TIMEOUT" "$BIN" estimate "$file" --format csv > "$OUT/$case.cloudcost.lines.csv" 2>/dev/null \
        || echo "bench: cloudcost --format csv failed on $file" >&2
    done
  done
done

# AWS's billing layouts: the on-demand files written as CUR 1.0 CSV, CUR 2.0 Parquet and FOCUS
# Parquet (bench/to_billing.py), estimated by cloudcost and by the same plain DuckDB query over
# the layout's own columns (bench/duckdb_estimate.py --layout). cloudcost is asked for its
# re-priced view (`--cost repriced`, the price join DuckDB's query does; a billing file's default
# view is its invoice, which would add the file's own cost sums).
for n in $ROWS; do
  label=$(PYTHONDONTWRITEBYTECODE=1 python3 -c "import sys; sys.path.insert(0, '$ROOT/bench'); import generate; print(generate.label($n))")
  src="$DATA/usage-ondemand-$label.parquet"
  [ -f "$src" ] || src="$DATA/usage-ondemand-$label.csv"
  [ -f "$src" ] || { echo "bench: no on-demand file of $n rows for the billing layouts" >&2; continue; }
  for l in $LAYOUTS; do
    ext=parquet
    [ "$l" = cur1 ] && ext=csv
    file="$DATA/$l-ondemand-$label.$ext"
    [ -f "$file" ] || python3 "$ROOT/bench/to_billing.py" "$src" --layout "$l" --out "$file"
    case="$l-ondemand-$label.$ext"
    plain=("$BIN" estimate "$file" --format json --cost repriced)
    duck=(python3 "$ROOT/bench/duckdb_estimate.py" "$file" --layout "$l" --threads "$THREADS" --json)
    timed=()
    once "$case.cloudcost" "$OUT/$case.cloudcost.json" "${plain[@]}" \
      && timed+=("$case.cloudcost=$(q "${plain[@]}")")
    once "$case.duckdb" "$OUT/$case.duckdb.json" "${duck[@]}" \
      && timed+=("$case.duckdb=$(q "${duck[@]}")")
    log "$case: $RUNS interleaved rounds of the commands that ran"
    [ ${#timed[@]} -eq 0 ] || python3 "$ROOT/bench/interleave.py" "$OUT" "$RUNS" "$TIMEOUT" "${timed[@]}" \
      || echo "bench: some timed runs of $case failed" >&2
    timeout "$TIMEOUT" "$BIN" estimate "$file" --format csv --cost repriced > "$OUT/$case.cloudcost.lines.csv" 2>/dev/null \
      || echo "bench: cloudcost --format csv failed on $file" >&2
  done
done

echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"

# --------------------------------------------------------------------------- report
log "results in $OUT"
python3 "$ROOT/bench/compare.py" "$OUT" "$DATA" | tee "$OUT/results.md"
