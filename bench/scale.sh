#!/usr/bin/env bash
# Whole-process scale test of `slant classify`: wall time, MB/s, documents/s and peak RSS at
# 10k, 100k and 300k synthetic articles (slant-gen), to show time linear in the corpus and
# memory flat. Writes docs/SCALE.md. Not part of CI (about 10 minutes and 1 GB of temp files).
#
#   bench/scale.sh [SIZES...]       # default: 10000 100000 300000
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
cargo build --release --quiet
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(10000 100000 300000)
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
threads="${THREADS:-2}"
rows=()
for n in "${sizes[@]}"; do
    csv="$tmp/articles-$n.csv"
    target/release/slant-gen --n "$n" --out "$csv" 2>/dev/null
    bytes=$(stat -c %s "$csv")
    /usr/bin/time -v -o "$tmp/time.txt" target/release/slant --threads "$threads" -q classify \
        --model models/stance.bin --csv "$csv" --text-col text --id-col id --source-col source \
        --format jsonl --explain 5 > "$tmp/out.jsonl"
    wall=$(grep "Elapsed (wall clock)" "$tmp/time.txt" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$tmp/time.txt" | awk '{print $NF}')
    lines=$(wc -l < "$tmp/out.jsonl")
    secs=$(python3 -c "t='$wall'.split(':'); print(sum(float(x)*60**i for i,x in enumerate(reversed(t))))")
    row=$(python3 -c "print('| %d | %.1f | %.2f | %.1f | %.0f | %.0f |' % ($n, $bytes/1e6, $secs, $bytes/1e6/$secs, $lines/$secs, $rss/1024))")
    echo "$row"
    rows+=("$row")
    rm -f "$csv" "$tmp/out.jsonl"
done
{
    echo "# Scale: whole-process \`slant classify\`"
    echo
    echo "Measured $(date +%Y-%m-%d) with \`bench/scale.sh\` on $(nproc) cores, $threads threads,"
    echo "\`models/stance.bin\`, CSV input from \`slant-gen\` (articles assembled from the sentences of"
    echo "\`data/train.csv\`), JSON Lines output with 5 evidence items per head, timed by \`/usr/bin/time -v\`."
    echo
    echo "| articles | input MB | wall s | MB/s | docs/s | peak RSS MB |"
    echo "|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} > docs/SCALE.md
echo "wrote docs/SCALE.md"
