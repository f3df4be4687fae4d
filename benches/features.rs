//! Throughput of the feature hot path, in bytes of article text per second.
//!
//! Corpus: every passage of `data/train.csv` and `data/dev.csv` (the team's own writing) plus the
//! sample articles. Model: `models/stance.bin`. Groups:
//! - `tokenize`: residue filter, tokenisation and normalisation;
//! - `tokenize+stem`: the same plus stemming, with the per-thread cache and without it;
//! - `featurize`: analysis and vectorisation with every feature of the shipped model, 1 and 2 threads;
//! - `score`: featurise and score every head (no evidence), 1 and 2 threads;
//! - `score, per-word characters`: the same with the character block scored per word
//!   (`--char-linear`), 1 and 2 threads.

use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use rust_stemmers::{Algorithm, Stemmer};

use slant::classify::Scratch;
use slant::features::Analysis;
use slant::input::Document;
use slant::model::Model;
use slant::sparse::SparseVec;
use slant::stem::{stem_uncached, with_thread_cache};
use slant::text::{Residue, Tokens, tokenize};

fn corpus() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut texts = Vec::new();
    for f in ["data/train.csv", "data/dev.csv"] {
        if let Ok(mut r) = csv::Reader::from_path(root.join(f)) {
            let col = r
                .headers()
                .unwrap()
                .iter()
                .position(|h| h == "text")
                .unwrap();
            for rec in r.records() {
                texts.push(rec.unwrap()[col].to_owned());
            }
        }
    }
    // The plain-text samples (the web page among them is markup, read for its article only
    // by the input stage).
    for e in std::fs::read_dir(root.join("data/samples")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt") {
            texts.push(std::fs::read_to_string(p).unwrap());
        }
    }
    texts
}

fn pool(n: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
}

fn benches(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = Model::load(root.join("models/stance.bin")).expect("models/stance.bin");
    let residue = Residue::parse(&model.features().residue, Path::new("residue")).unwrap();
    let texts = corpus();
    let bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();
    eprintln!("corpus: {} documents, {} bytes", texts.len(), bytes);

    let mut g = c.benchmark_group("tokenize");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("1 thread", |b| {
        let mut toks = Tokens::default();
        b.iter(|| {
            let mut n = 0;
            for t in &texts {
                tokenize(t, &residue, &mut toks);
                n += toks.len();
            }
            n
        })
    });
    g.finish();

    let mut g = c.benchmark_group("tokenize+stem");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("cached", |b| {
        let mut toks = Tokens::default();
        b.iter(|| {
            let mut n = 0;
            for t in &texts {
                tokenize(t, &residue, &mut toks);
                with_thread_cache(|c| {
                    for w in toks.norms() {
                        n += c.stem(w).len();
                    }
                });
            }
            n
        })
    });
    g.bench_function("uncached", |b| {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut toks = Tokens::default();
        b.iter(|| {
            let mut n = 0;
            for t in &texts {
                tokenize(t, &residue, &mut toks);
                for w in toks.norms() {
                    n += stem_uncached(&stemmer, w).len();
                }
            }
            n
        })
    });
    g.finish();

    let f = model.featurizer();
    let mut g = c.benchmark_group("featurize");
    g.throughput(Throughput::Bytes(bytes));
    for threads in [1, 2] {
        let p = pool(threads);
        g.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, _| {
            b.iter(|| {
                p.install(|| {
                    texts
                        .par_iter()
                        .map_init(
                            || (Analysis::default(), SparseVec::default()),
                            |(a, v), t| {
                                f.analyze(t, a);
                                f.vectorize(a, v);
                                v.nnz()
                            },
                        )
                        .sum::<usize>()
                })
            })
        });
    }
    g.finish();

    let docs: Vec<Document> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| Document {
            id: i.to_string(),
            source: None,
            text: t.clone(),
            warnings: vec![],
            label: None,
            date: None,
        })
        .collect();
    score_group(c, "score", &model, &docs, bytes);

    // The shipped model's weights with its character block scored per word (`--char-linear`,
    // which the shipped model does not use): what that scoring costs on these texts. The
    // weights were fitted for the usual scoring, so the labels mean nothing; the work is the
    // same.
    let mut file = model.file().clone();
    file.features.config.char_linear = true;
    let per_word = Model::new(file).expect("the same model, scored per word");
    score_group(c, "score, per-word characters", &per_word, &docs, bytes);
}

/// Classify every document with `model` (both heads, no evidence), on 1 and 2 threads.
fn score_group(c: &mut Criterion, name: &str, model: &Model, docs: &[Document], bytes: u64) {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes));
    for threads in [1, 2] {
        let p = pool(threads);
        g.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, _| {
            b.iter(|| {
                p.install(|| {
                    docs.par_iter()
                        .map_init(Scratch::default, |s, d| model.classify(d, 0, s).mentions)
                        .sum::<usize>()
                })
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = features;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(features);
