#!/usr/bin/env python3
"""Print the side-by-side table from results.json; with --docs also write docs/BENCHMARKS.md."""
import json, sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def process_seconds(r):
    """Wall time of the whole training process: `slant train` (start, reading the CSV,
    vectorise + fit, writing the model); for a peer its Python process, which also imports the
    library, reads both files and predicts. None for results recorded before it was kept."""
    return r.get("train_wall") if r["tool"].startswith("slant") else r.get("process_wall")


def build(data):
    res = data["results"]
    tools = []
    for r in res:
        if r["tool"] not in tools:
            tools.append(r["tool"])
    lines = []
    # P-Stance
    ps = [r for r in res if r["task"].startswith("pstance-")]
    if ps:
        lines += ["### P-Stance (F_avg on test; settings chosen on val)", "",
                  "| tool | Trump | Biden | Bernie | **mean F_avg** | train s (sum) | process s (sum) | predict docs/s | peak RSS MB |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for t in tools:
            rs = {r["task"]: r for r in ps if r["tool"] == t}
            if len(rs) < 3:
                continue
            f = [rs[f"pstance-{k}"].get("f_avg") for k in ("trump", "biden", "bernie")]
            tr = sum(r["train_seconds"] for r in rs.values())
            pw = [process_seconds(r) for r in rs.values()]
            pws = "-" if None in pw else f"{sum(pw):.1f}"
            if all("speed_rows" in r for r in rs.values()):
                dps = sum(r["speed_rows"] for r in rs.values()) / sum(r["speed_seconds"] for r in rs.values())
            else:  # results recorded before the repeated file
                dps = sum(r["test_rows"] for r in rs.values()) / sum(r["predict_seconds"] for r in rs.values())
            rss = max((r.get("train_rss_mb") or r.get("rss_mb") or 0) for r in rs.values())
            lines.append(f"| {t} | {f[0]*100:.2f} | {f[1]*100:.2f} | {f[2]*100:.2f} | **{sum(f)/3*100:.2f}** | "
                         f"{tr:.1f} | {pws} | {dps:,.0f} | {rss:.0f} |")
        lines += ["", "Published: BERTweet (fine-tuned transformer) 80.53 mean F_avg (Li et al., 2021).", ""]
    for task, title in (("ab-random", "Article-Bias, random split (valid part)"),
                        ("ab-media", "Article-Bias, media split (valid part: outlets never seen in training)")):
        ab = [r for r in res if r["task"] == task]
        if not ab:
            continue
        lines += [f"### {title}", "",
                  "| tool | macro-F1 | accuracy | outlets matched | train s | process s | predict docs/s | peak RSS MB | settings |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in ab:
            o = r.get("outlets")
            om = f"{o['matched']}/{o['outlets']}" if o else "-"
            rss = r.get("train_rss_mb") or r.get("rss_mb")
            lines.append(f"| {r['tool']} | **{r['macro_f1']:.4f}** | {r['accuracy']:.4f} | {om} | "
                         f"{r['train_seconds']:.1f} | {fmt(process_seconds(r), '.1f')} | {fmt(r.get('docs_per_second'), ',.0f')} | {fmt(rss, '.0f')} | `{r['settings']}` |")
        lines.append("")
    return "\n".join(lines)


def main():
    data = json.loads(Path(sys.argv[1]).read_text())
    table = build(data)
    print(table)
    if "--docs" in sys.argv:
        m = data["meta"]
        v = ", ".join(f"{k} {val}" for k, val in m["versions"].items())
        doc = f"""# Benchmarks: slant beside scikit-learn, fastText and Vowpal Wabbit

Measured {m['date']} on the project machine ({m['cpus']} cores, {m['machine']}), in one run of

```sh
bench/compare/run.sh
```

which builds slant in release mode, installs the pinned peers of `bench/compare/requirements.txt`
into a venv, and runs every tool on the same files (see `bench/compare/run.py` for the protocol).
Versions: {v}.

Protocol. Every tool runs in its own process under `/usr/bin/time -v`, with at most two threads
(slant also with one). Settings are chosen on validation data only: the val file of each P-Stance
target; for Article-Bias a holdout carved from the train part (10% of rows for the random split,
10% of outlets for the media split). The chosen settings are then trained on the whole train file
and scored on the test file (P-Stance) or the valid part (Article-Bias), which no tool sees before.
"train s" is the time to vectorise + fit with the chosen settings, measured inside each tool's
process the same way (slant: `train_seconds` of `slant train --json`, from the parsed rows to
the fitted model; peers: around `fit` in Python); "process s" is the wall time of the whole
training process (slant: `slant train` from start to the model written, reading the CSV
included; peers: the Python process, which also imports the library, reads both files and
predicts); "predict docs/s" is vectorise + predict inside the process (slant: `seconds` of
`slant eval --json`; peers: around `predict`) of at least 20,000 documents (`--speed-docs`:
P-Stance's 21,571 distinct tweets, Article-Bias's scored file repeated), the same documents for
every tool, the median of three timings (`--speed-runs`); peak RSS is the training process's.

{table}
"""
        (REPO / "docs" / "BENCHMARKS.md").write_text(doc)
        print(f"wrote {REPO / 'docs' / 'BENCHMARKS.md'}", file=sys.stderr)


if __name__ == "__main__":
    main()
