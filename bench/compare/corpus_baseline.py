"""A plain baseline on slant's own corpus: scikit-learn TF-IDF + logistic regression.

Trained on data/train.csv, scored on the held-aside sets (data/dev.csv, data/long.csv,
data/contrast.csv, stance and framing macro-F1) and run on the seed articles, so that the model
card can say what the lexicon, the target features and the reported-speech reading buy over the
obvious alternative. Four settings: word 1-2 grams alone or with character 3-5 grams (char_wb,
weight 0.7), on the raw text or with every spelling of the target's name replaced by one token
(what slant's analyzer does; the spellings are read from the target file). C = 10, slant's default. Not part of CI.

    target/compare-venv/bin/python bench/compare/corpus_baseline.py [--seeds ../shared/seeds]
"""

import argparse
import csv
import glob
import os
import re
import sys
import tomllib

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

HEADS = ("stance", "framing")
HELD_ASIDE = ("dev", "long", "contrast")


def name_pattern(target_file):
    """A regex for every alias of the target file, longest first. The aliases are matched the
    way slant folds them (case, and spaces or hyphens between the parts: "Al -Kazemi",
    "al-Kadhimi"), not with its whole normaliser: a close approximation for this baseline."""
    with open(target_file, "rb") as f:
        aliases = tomllib.load(f)["aliases"]
    parts = []
    for alias in sorted(set(aliases), key=len, reverse=True):
        words = re.split(r"[\s-]+", alias.strip())
        parts.append(r"[\s-]*".join(re.escape(w) for w in words if w))
    return re.compile(r"\b(?:" + "|".join(parts) + r")\b", re.IGNORECASE)


def read(path, collapse, name):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if collapse:
        for r in rows:
            r["text"] = name.sub(" TARGETNAME ", r["text"])
    return rows


class Features:
    def __init__(self, chars):
        self.word = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        self.char = (
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(3, 5),
                min_df=2,
                sublinear_tf=True,
                max_features=60000,
            )
            if chars
            else None
        )

    def fit_transform(self, texts):
        x = self.word.fit_transform(texts)
        if self.char is None:
            return x
        return sp.hstack([x, 0.7 * self.char.fit_transform(texts)]).tocsr()

    def transform(self, texts):
        x = self.word.transform(texts)
        if self.char is None:
            return x
        return sp.hstack([x, 0.7 * self.char.transform(texts)]).tocsr()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data")
    ap.add_argument("--seeds", default="../shared/seeds")
    ap.add_argument("--target", default="data/targets/al-kazemi.toml")
    ap.add_argument("-C", type=float, default=10.0)
    args = ap.parse_args()
    seeds = sorted(glob.glob(os.path.join(args.seeds, "*.txt")))
    name = name_pattern(args.target)
    print(f"scikit-learn TF-IDF + logistic regression (C={args.C}), trained on {args.data}/train.csv")
    header = "setting                         " + "  ".join(
        f"{s:>15}" for s in HELD_ASIDE
    )
    print(header + "   seeds (stance label and probability)")
    for chars in (False, True):
        for collapse in (False, True):
            train = read(os.path.join(args.data, "train.csv"), collapse, name)
            feats = Features(chars)
            x = feats.fit_transform([r["text"] for r in train])
            models = {
                h: LogisticRegression(C=args.C, max_iter=5000).fit(x, [r[h] for r in train])
                for h in HEADS
            }
            cells = []
            for held in HELD_ASIDE:
                rows = read(os.path.join(args.data, f"{held}.csv"), collapse, name)
                xt = feats.transform([r["text"] for r in rows])
                f1 = [
                    f1_score([r[h] for r in rows], models[h].predict(xt), average="macro")
                    for h in HEADS
                ]
                cells.append(f"{f1[0]:.4f}/{f1[1]:.4f}")
            seed_cells = []
            if seeds:
                texts = []
                for s in seeds:
                    with open(s, encoding="utf-8") as f:
                        t = f.read()
                    texts.append(name.sub(" TARGETNAME ", t) if collapse else t)
                p = models["stance"].predict_proba(feats.transform(texts))
                classes = models["stance"].classes_
                for path, row in zip(seeds, p):
                    seed_cells.append(
                        f"{os.path.basename(path)[:3]} {classes[int(np.argmax(row))]} {row.max():.2f}"
                    )
            setting = ("word 1-2 + char 3-5" if chars else "word 1-2") + (
                ", names as one" if collapse else ", raw text"
            )
            print(f"{setting:<32}" + "  ".join(f"{c:>15}" for c in cells) + "   " + ", ".join(seed_cells))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
