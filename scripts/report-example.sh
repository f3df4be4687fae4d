#!/usr/bin/env bash
# The example source report of docs/: train a bias head (left / center / right) on the
# Article-Bias media split's train part, report on its valid part (outlets never seen in
# training) by source with their true labels, and render the HTML page to a PNG: with headless
# Chromium (Debian's chromium package) where there is one, else with scripts/render-page.py
# (WeasyPrint and pdfium, installed from scripts/render-requirements.txt into a venv:
# RENDER_VENV, default target/render-venv). Writes docs/report-example.html and
# docs/report-example.png and prints how many outlets' majority prediction matches their label.
# Not part of CI (about two minutes; needs ../shared/datasets or SLANT_DATASETS).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
datasets="${SLANT_DATASETS:-$repo/../shared/datasets}"
chromium="${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}"
cargo build --release --quiet
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$datasets/article-bias/split.py" media "$work" >/dev/null
target/release/slant -q train --data "$work/media_train.csv" --text-col text --label bias=bias \
    --no-target --no-lexicon --no-residue -C 10 --ngram 2 -o "$work/bias.bin"
target/release/slant report --model "$work/bias.bin" --csv "$work/media_valid.csv" \
    --text-col text --source-col source --truth-col bias \
    --html docs/report-example.html --write-csv "$work/outlets.csv" 2>&1 | tee "$work/report.txt" | tail -n 3
if [ -n "$chromium" ]; then
    "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,2600 \
        --screenshot="$repo/docs/report-example.png" "file://$repo/docs/report-example.html" 2>/dev/null
else
    venv="${RENDER_VENV:-$repo/target/render-venv}"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r scripts/render-requirements.txt
    "$venv/bin/python" scripts/render-page.py docs/report-example.html docs/report-example.png 1000 2600
fi
echo "wrote docs/report-example.html and docs/report-example.png"
