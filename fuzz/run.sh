#!/usr/bin/env bash
# Fuzzes every parser for SECONDS each (default 60): `bash fuzz/run.sh 60`.
# Needs the nightly toolchain and cargo-fuzz (installed from crates.io when missing). Each target
# starts from seeds made of this repository's own example files; a crash is saved under
# fuzz/artifacts/<target>/ and stops the run with its input named. Prints the executions run and
# the coverage reached per target (the figures RELIABILITY.md records).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH="${1:-60}"
TARGETS="${TARGETS:-plan budgets commitments bot_config bot_command usage_csv offer_file feed}"

command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz

seed() { # target files...
  local dir="corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do
    if [ -f "$f" ]; then cp "$f" "$dir/$(basename "$f")"; fi
  done
}
seed plan ../examples/plan.toml ../examples/vpc-web.toml
seed budgets ../examples/budgets.toml
printf '[[budget]]\nname = "m"\nperiod = "monthly"\namount = 100\nfilter = { tag = "team=web", cost_category = "Team=web" }\ncost = "amortized"\nthresholds = [ { percent = 80, on = "forecast" } ]\n' > corpus/budgets/seed.toml
seed commitments ../examples/commitments.toml
seed bot_config ../bot/bot.example.toml
mkdir -p corpus/bot_command
for c in "/bill 2026-10" "/top 5" "/budget set web 1500" "/mute 3" "/forecast@cloudcost_test_bot"; do
  printf '%s' "$c" > "corpus/bot_command/$(printf '%s' "$c" | tr -c 'a-z0-9' _)"
done
# The usage reader's seeds are the first rows of each layout: small inputs run many times a second.
mkdir -p corpus/usage_csv
for f in ../examples/usage.csv ../tests/fixtures/usage/cur1_2026-10.csv \
  ../tests/fixtures/usage/cur2_2026-10.csv ../tests/fixtures/usage/focus_2026-10.csv; do
  head -n 12 "$f" > "corpus/usage_csv/$(basename "$f")"
done
seed offer_file ../tests/fixtures/offers/*.json
seed feed ../tests/fixtures/feeds/*.json

cargo +nightly fuzz build --release >/dev/null
for t in $TARGETS; do
  log="$(mktemp)"
  if ! cargo +nightly fuzz run --release "$t" "corpus/$t" -- \
      -max_total_time="$SECONDS_EACH" -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1 \
      >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $t found a crash (see fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | grep -o '[0-9]*')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  echo "$t: ${runs:-?} executions in ${SECONDS_EACH}s, coverage ${cov:-?} edges, corpus $(ls "corpus/$t" | wc -l) inputs, no crash"
  rm -f "$log"
done
