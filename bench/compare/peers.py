#!/usr/bin/env python3
"""Peer text classifiers for slant's side-by-side benchmark (bench/compare/run.sh).

One process per (tool, task) so /usr/bin/time can report its peak RSS. Settings are chosen on
the task's validation file (never on the file reported); the chosen model is then trained on
the training file and scored on the report file. Prints one JSON object on stdout.

Tools:
  sklearn-lr    TfidfVectorizer(word 1-2 grams, sublinear tf) + LogisticRegression (lbfgs)
  sklearn-svm   word 1-3 + char 2-5 grams TF-IDF + LinearSVC
  fasttext      fastText supervised (word n-grams 2), 2 threads
  vw            Vowpal Wabbit one-against-all, word unigrams + bigrams
"""
import argparse, csv, json, os, statistics, sys, tempfile, time, subprocess

csv.field_size_limit(1 << 30)


def positive_int(s):
    """argparse type: an integer of at least 1."""
    n = int(s)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {n}")
    return n


def read(path, text_col, label_col, extra_cols=()):
    texts, labels, extra = [], [], []
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            t, l = row.get(text_col) or "", (row.get(label_col) or "").strip()
            if not t.strip() or not l:
                continue
            texts.append(t)
            labels.append(l)
            extra.append({c: row.get(c) for c in extra_cols})
    return texts, labels, extra


def scores(gold, pred, favg):
    from sklearn.metrics import f1_score, accuracy_score
    labels = sorted(set(gold))
    out = {
        "accuracy": accuracy_score(gold, pred),
        "macro_f1": f1_score(gold, pred, labels=labels, average="macro", zero_division=0),
    }
    if favg:
        pos, neg = favg
        f = f1_score(gold, pred, labels=[pos, neg], average=None, zero_division=0)
        out["f_avg"] = float((f[0] + f[1]) / 2)
    return out


class SkLR:
    grid = [{"C": c} for c in (1, 2, 4, 8, 16)]

    def __init__(self, C, class_weight=None):
        self.C, self.class_weight = C, class_weight

    def fit(self, X, y):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        self.vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=200000)
        Xv = self.vec.fit_transform(X)
        self.clf = LogisticRegression(C=self.C, max_iter=1000, class_weight=self.class_weight).fit(Xv, y)
        return self

    def predict(self, X):
        return list(self.clf.predict(self.vec.transform(X)))


class SkSVM:
    grid = [{"C": c} for c in (0.1, 0.3, 1.0)]

    def __init__(self, C):
        self.C = C

    def fit(self, X, y):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion
        from sklearn.svm import LinearSVC
        self.vec = FeatureUnion([
            ("w", TfidfVectorizer(ngram_range=(1, 3), min_df=2, sublinear_tf=True, max_features=300000)),
            ("c", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=300000)),
        ])
        self.clf = LinearSVC(C=self.C).fit(self.vec.fit_transform(X), y)
        return self

    def predict(self, X):
        return list(self.clf.predict(self.vec.transform(X)))


def ft_line(t):
    return " ".join(t.lower().replace("\n", " ").split())


class FastText:
    grid = [{"epoch": e, "lr": lr} for e in (5, 10, 25) for lr in (0.1, 0.5)]

    def __init__(self, epoch, lr):
        self.epoch, self.lr = epoch, lr

    def fit(self, X, y):
        import fasttext
        fd, path = tempfile.mkstemp(suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for t, l in zip(X, y):
                f.write(f"__label__{l} {ft_line(t)}\n")
        self.m = fasttext.train_supervised(path, epoch=self.epoch, lr=self.lr, wordNgrams=2,
                                           thread=2, verbose=0, seed=0)
        os.unlink(path)
        return self

    def predict(self, X):
        labels, _ = self.m.predict([ft_line(t) for t in X])
        return [l[0][len("__label__"):] for l in labels]


def vw_line(t):
    return " ".join(w.replace(":", "").replace("|", "") for w in t.lower().split())


class VW:
    grid = [{"passes": p, "l2": l2} for p in (1, 5) for l2 in (0.0, 1e-6)]

    def __init__(self, passes, l2):
        self.passes, self.l2 = passes, l2

    def fit(self, X, y):
        from vowpalwabbit import Workspace
        self.classes = sorted(set(y))
        idx = {c: i + 1 for i, c in enumerate(self.classes)}
        args = f"--oaa {len(self.classes)} --ngram 2 -b 24 --quiet --loss_function logistic"
        if self.l2:
            args += f" --l2 {self.l2}"
        if self.passes > 1:
            self.cache = tempfile.mktemp(suffix=".cache")
            args += f" --passes {self.passes} --holdout_off --cache_file {self.cache}"
        self.ws = Workspace(args)
        ex = [f"{idx[l]} | {vw_line(t)}" for t, l in zip(X, y)]
        if self.passes > 1:
            # passes need the cache; learn each example once, then run the extra passes
            for _ in range(self.passes):
                for e in ex:
                    self.ws.learn(e)
        else:
            for e in ex:
                self.ws.learn(e)
        return self

    def predict(self, X):
        return [self.classes[int(self.ws.predict(f"| {vw_line(t)}")) - 1] for t in X]


TOOLS = {"sklearn-lr": SkLR, "sklearn-svm": SkSVM, "fasttext": FastText, "vw": VW}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True, choices=TOOLS)
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", help="validation file for the settings search (omit: first grid point)")
    ap.add_argument("--test", required=True, help="file the score is reported on")
    ap.add_argument("--text-col", default="text")
    ap.add_argument("--label-col", required=True)
    ap.add_argument("--favg", help="POS,NEG: also report F_avg; the search maximises it")
    ap.add_argument("--source-col", help="outlet column: also report outlet-level agreement")
    ap.add_argument("--grid", help="JSON list of settings overriding the tool's grid")
    ap.add_argument("--speed", help="also time prediction (vectorise + predict) of this file's texts")
    ap.add_argument("--speed-runs", type=positive_int, default=3,
                    help="time the --speed file this many times and report the median")
    a = ap.parse_args()
    favg = a.favg.split(",") if a.favg else None
    cls = TOOLS[a.tool]
    grid = json.loads(a.grid) if a.grid else cls.grid
    Xtr, ytr, _ = read(a.train, a.text_col, a.label_col)
    chosen, search = grid[0], []
    if a.val and len(grid) > 1:
        Xv, yv, _ = read(a.val, a.text_col, a.label_col)
        best = -1
        for g in grid:
            s = scores(yv, cls(**g).fit(Xtr, ytr).predict(Xv), favg)
            key = s["f_avg"] if favg else s["macro_f1"]
            search.append({"settings": g, "val": key})
            if key > best:
                best, chosen = key, g
    t0 = time.perf_counter()
    model = cls(**chosen).fit(Xtr, ytr)
    train_s = time.perf_counter() - t0
    cols = (a.source_col,) if a.source_col else ()
    Xte, yte, extra = read(a.test, a.text_col, a.label_col, cols)
    t0 = time.perf_counter()
    pred = model.predict(Xte)
    pred_s = time.perf_counter() - t0
    out = {"tool": a.tool, "settings": chosen, "search": search, "train_rows": len(Xtr),
           "test_rows": len(Xte), "train_seconds": train_s, "predict_seconds": pred_s,
           "test_docs_per_second": len(Xte) / pred_s if pred_s > 0 else None,
           "docs_per_second": len(Xte) / pred_s if pred_s > 0 else None}
    if a.speed:
        # Timed --speed-runs times, the median reported: one run of a fraction of a second
        # moves by a third with whatever else the machine does.
        Xs, _, _ = read(a.speed, a.text_col, a.label_col)
        runs = []
        for _ in range(a.speed_runs):
            t0 = time.perf_counter()
            model.predict(Xs)
            runs.append(time.perf_counter() - t0)
        speed_s = statistics.median(runs)
        out.update({"speed_rows": len(Xs), "speed_seconds": speed_s, "speed_runs": runs,
                    "docs_per_second": len(Xs) / speed_s if speed_s > 0 else None})
    out.update(scores(yte, pred, favg))
    if a.source_col:
        out["outlets"] = outlet_agreement([e[a.source_col] for e in extra], yte, pred)
    print(json.dumps(out))


def outlet_agreement(sources, gold, pred):
    """Share of outlets whose mean predicted bias (left -1, center 0, right +1, rounded)
    matches their label."""
    val = {"left": -1.0, "center": 0.0, "right": 1.0}
    by = {}
    for s, g, p in zip(sources, gold, pred):
        d = by.setdefault(s, {"gold": g, "sum": 0.0, "n": 0})
        d["sum"] += val.get(p, 0.0)
        d["n"] += 1
    hit = 0
    for d in by.values():
        m = d["sum"] / d["n"]
        lab = "left" if m < -1 / 3 else "right" if m > 1 / 3 else "center"
        hit += lab == d["gold"]
    return {"outlets": len(by), "matched": hit, "share": hit / len(by) if by else 0.0}


if __name__ == "__main__":
    sys.exit(main())
