#!/usr/bin/env bash
# Whole-process throughput of `slant classify` beside scikit-learn (TF-IDF word 1-2 grams +
# logistic regression: vectorise + predict) and fastText (predict) on the same documents:
# N synthetic articles from slant-gen (default 20,000). The peers are trained on data/train.csv
# first (untimed). Prints a table and the ratios; not part of CI. Results: docs/PERFORMANCE.md.
#
#   bench/throughput/run.sh [N]
# Uses the pinned peers of bench/compare/requirements.txt in $COMPARE_VENV
# (default target/compare-venv, created if missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"
n="${1:-20000}"
venv="${COMPARE_VENV:-$repo/target/compare-venv}"
cargo build --release --quiet
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$repo/bench/compare/requirements.txt"
py="$venv/bin/python"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
target/release/slant-gen --n "$n" --out "$work/articles.csv" 2>/dev/null
"$py" "$here/peers.py" train --data data/train.csv --work "$work"

row() { # name, time file, inner-seconds or "-"
    local wall rss
    wall=$(grep "Elapsed (wall clock)" "$2" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$2" | awk '{print $NF}')
    "$py" - "$1" "$wall" "$rss" "$3" "$work/articles.csv" <<'PY'
import csv, sys
csv.field_size_limit(sys.maxsize)
name, wall, rss, inner, path = sys.argv[1:]
docs, size = 0, 0
for r in csv.DictReader(open(path, encoding="utf-8", newline="")):
    docs += 1; size += len(r["text"].encode())
t = wall.split(":"); secs = sum(float(x) * 60 ** i for i, x in enumerate(reversed(t)))
inner_s = "-" if inner == "-" else "%.2f" % float(inner)
inner_r = "-" if inner == "-" else "%.0f" % (docs / float(inner))
print("| %s | %.2f | %.0f | %.1f | %s | %s | %.0f |" % (name, secs, docs / secs, size / 1e6 / secs, inner_s, inner_r, int(rss) / 1024))
PY
}

echo "| tool | wall s | docs/s (whole process) | MB/s | vectorise+predict s | docs/s (inside) | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for th in 1 2; do
    /usr/bin/time -v -o "$work/t.txt" target/release/slant -q --threads "$th" classify \
        --model models/stance.bin --csv "$work/articles.csv" --format jsonl > /dev/null
    row "slant classify ($th thread$([ "$th" = 1 ] || echo s), evidence on)" "$work/t.txt" -
done
/usr/bin/time -v -o "$work/t.txt" target/release/slant -q --threads 2 classify \
    --model models/stance.bin --csv "$work/articles.csv" --format jsonl --explain 0 > /dev/null
row "slant classify (2 threads, --explain 0)" "$work/t.txt" -
inner=$(/usr/bin/time -v -o "$work/t.txt" "$py" "$here/peers.py" sklearn --work "$work" \
    --csv "$work/articles.csv" --out "$work/sk.txt" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
row "scikit-learn TF-IDF 1-2 + LR (1 thread)" "$work/t.txt" "$inner"
inner=$(/usr/bin/time -v -o "$work/t.txt" "$py" "$here/peers.py" fasttext --work "$work" \
    --csv "$work/articles.csv" --out "$work/ft.txt" | "$py" -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')
row "fastText predict (1 thread)" "$work/t.txt" "$inner"
