#!/usr/bin/env bash
# The example of `classify --format html` in the README: two sample articles read by the
# shipped model, rendered to docs/classify-html-example.png with scripts/render-page.py
# (WeasyPrint and pdfium in a venv: RENDER_VENV, default target/render-venv; the page has no
# script, so a print renderer shows it as a browser does, with every section open).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
cargo build --release --quiet
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
target/release/slant -q classify --model models/stance.bin --format html -o "$work/view.html" \
    data/samples/02_gulf_outlet.txt data/samples/03_wire_report.txt
venv="${RENDER_VENV:-$repo/target/render-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r scripts/render-requirements.txt
"$venv/bin/python" scripts/render-page.py "$work/view.html" docs/classify-html-example.png 1000 2000
