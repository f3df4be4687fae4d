"""Peers for bench/throughput/run.sh: train (untimed) and predict (timed) with scikit-learn
TF-IDF + logistic regression and fastText on the same documents slant classifies.

  peers.py train  --data data/train.csv --work DIR
  peers.py sklearn --work DIR --csv ARTICLES.csv --out OUT
  peers.py fasttext --work DIR --csv ARTICLES.csv --out OUT

The predict commands print one JSON line: documents, bytes, seconds spent in vectorise + predict
(inside the process, after imports and model load).
"""
import argparse, csv, json, pickle, sys, time
from pathlib import Path

csv.field_size_limit(sys.maxsize)


def read(path, label=None):
    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            texts.append(r["text"])
            if label:
                labels.append(r[label])
    return texts, labels


def train(a):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    import fasttext

    work = Path(a.work)
    texts, labels = read(a.data, "stance")
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x = vec.fit_transform(texts)
    clf = LogisticRegression(C=10, max_iter=1000).fit(x, labels)
    with open(work / "sklearn.pkl", "wb") as f:
        pickle.dump((vec, clf), f)
    ft_train = work / "ft-train.txt"
    with open(ft_train, "w", encoding="utf-8") as f:
        for t, l in zip(texts, labels):
            f.write(f"__label__{l} {' '.join(t.split())}\n")
    m = fasttext.train_supervised(str(ft_train), epoch=25, lr=0.5, wordNgrams=2, thread=2, verbose=0)
    m.save_model(str(work / "fasttext.bin"))


def predict_sklearn(a):
    with open(Path(a.work) / "sklearn.pkl", "rb") as f:
        vec, clf = pickle.load(f)
    texts, _ = read(a.csv)
    t0 = time.perf_counter()
    p = clf.predict_proba(vec.transform(texts))
    labels = clf.classes_[p.argmax(1)]
    secs = time.perf_counter() - t0
    with open(a.out, "w") as f:
        for l in labels:
            f.write(f"{l}\n")
    report(texts, secs)


def predict_fasttext(a):
    import fasttext

    m = fasttext.load_model(str(Path(a.work) / "fasttext.bin"))
    texts, _ = read(a.csv)
    t0 = time.perf_counter()
    labels, _ = m.predict([" ".join(t.split()) for t in texts], k=3)
    secs = time.perf_counter() - t0
    with open(a.out, "w") as f:
        for l in labels:
            f.write(f"{l[0]}\n")
    report(texts, secs)


def report(texts, secs):
    print(json.dumps({"docs": len(texts), "bytes": sum(len(t.encode()) for t in texts), "seconds": secs}))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["train", "sklearn", "fasttext"])
    ap.add_argument("--data")
    ap.add_argument("--work", required=True)
    ap.add_argument("--csv")
    ap.add_argument("--out")
    a = ap.parse_args()
    {"train": train, "sklearn": predict_sklearn, "fasttext": predict_fasttext}[a.cmd](a)
