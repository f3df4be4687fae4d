#!/usr/bin/env bash
# Run every fuzz target for MINUTES (default 10) each, two at a time, and print a summary line
# per target (executions, coverage, crashes). Needs a nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz
# Not part of CI. Results are recorded in docs/RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")"
minutes=${1:-10}
secs=$((minutes * 60))
cargo +nightly fuzz build -O
mkdir -p logs
run() {
  mkdir -p "corpus/$1"
  cargo +nightly fuzz run -O "$1" "corpus/$1" -- -max_total_time="$secs" -rss_limit_mb=4096 \
    -print_final_stats=1 >"logs/$1.log" 2>&1 || echo "$1: exited with $? (see fuzz/logs/$1.log)"
}
run tokenize & run featurize & wait
run model_load & run table_readers & wait
run html & wait
for t in tokenize featurize model_load table_readers html; do
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "logs/$t.log" | tail -1 || true)
  crashes=$(ls artifacts/"$t" 2>/dev/null | wc -l)
  echo "$t: ${minutes} min, ${execs:-?} executions, ${cov:-cov: ?} edges, $crashes crash artifacts"
done
