#!/usr/bin/env bash
# Side-by-side benchmark of slant and its peers (scikit-learn, fastText, Vowpal Wabbit) on
# P-Stance and Article-Bias-Prediction. Not part of CI (it takes most of an hour); see
# docs/BENCHMARKS.md for the results and bench/compare/README.md for the options.
#
#   bench/compare/run.sh              # everything, writes docs/BENCHMARKS.md
#   bench/compare/run.sh --quick      # a smoke run: small slices, small grids, no docs
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${COMPARE_VENV:-$repo/target/compare-venv}"
cd "$repo"
cargo build --release --quiet
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
exec "$venv/bin/python" "$here/run.py" --slant "$repo/target/release/slant" "$@"
