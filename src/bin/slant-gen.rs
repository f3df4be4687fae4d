//! `slant-gen`: write N synthetic articles for scale tests, as a CSV (`id,source,date,text`).
//!
//! Articles are assembled from the sentences of the project's own labelled passages
//! (`data/train.csv` by default): each article has 3 to 9 paragraphs of 2 to 5 sentences drawn
//! at random, so lengths (roughly 250 to 1,500 words), vocabulary, target mentions and quotes
//! look like the coverage slant reads. Dates run through his premiership (7 May 2020 to 27
//! October 2022) in article order, a few days' jitter each, so `slant report --period` has
//! something to show. The output is deterministic for a given seed.
//!
//! ```sh
//! cargo run --release --bin slant-gen -- --n 100000 --out /tmp/articles-100k.csv
//! ```

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use slant::date::Date;
use slant::train::SplitMix;

const SOURCES: [&str; 8] = [
    "resistance-daily",
    "gulf-tribune",
    "wire-service",
    "baghdad-independent",
    "tehran-state",
    "erbil-news",
    "policy-institute",
    "business-review",
];

fn main() -> Result<()> {
    let mut n: usize = 10_000;
    let mut out: Option<PathBuf> = None;
    let mut from = PathBuf::from("data/train.csv");
    let mut seed: u64 = 1;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().with_context(|| format!("{a} needs a value"));
        match a.as_str() {
            "--n" => n = val()?.parse().context("--n")?,
            "--out" => out = Some(PathBuf::from(val()?)),
            "--from" => from = PathBuf::from(val()?),
            "--seed" => seed = val()?.parse().context("--seed")?,
            "-h" | "--help" => {
                println!(
                    "slant-gen --n N --out FILE.csv [--from data/train.csv] [--seed S]\n\
                     Writes N synthetic articles (id,source,date,text) built from the sentences of the\n\
                     labelled passages in --from, for scale tests of `slant classify --csv`."
                );
                return Ok(());
            }
            other => bail!("unknown argument {other} (see --help)"),
        }
    }
    let out = out.context("--out FILE is required")?;
    let mut rdr = csv::Reader::from_path(&from).with_context(|| format!("{}", from.display()))?;
    let headers = rdr.headers()?.clone();
    let col = headers
        .iter()
        .position(|h| h == "text")
        .with_context(|| format!("{}: no `text` column", from.display()))?;
    let mut sentences: Vec<String> = Vec::new();
    for rec in rdr.records() {
        let rec = rec?;
        let text = rec.get(col).unwrap_or("");
        for para in text.split("\n\n") {
            let mut start = 0;
            let b = para.as_bytes();
            for i in 0..b.len() {
                if matches!(b[i], b'.' | b'?' | b'!') && (i + 1 == b.len() || b[i + 1] == b' ') {
                    let s = para[start..=i].trim();
                    if s.split_whitespace().count() >= 5 {
                        sentences.push(s.to_owned());
                    }
                    start = i + 1;
                }
            }
        }
    }
    if sentences.is_empty() {
        bail!("{}: no sentences to build articles from", from.display());
    }
    let mut rng = SplitMix(seed);
    let file = std::fs::File::create(&out).with_context(|| format!("{}", out.display()))?;
    let mut w = csv::Writer::from_writer(BufWriter::with_capacity(1 << 20, file));
    w.write_record(["id", "source", "date", "text"])?;
    // Dates from their own generator, so the texts are those of earlier versions for a seed.
    let mut date_rng = SplitMix(seed ^ 0xDA7E);
    let first = Date::new(2020, 5, 7).expect("a real day");
    let days = (Date::new(2022, 10, 27)
        .expect("a real day")
        .days_since_epoch()
        - first.days_since_epoch()) as usize;
    let mut bytes = 0usize;
    let mut text = String::new();
    for i in 0..n {
        text.clear();
        let paras = 3 + rng.below(7);
        for p in 0..paras {
            if p > 0 {
                text.push_str("\n\n");
            }
            let k = 2 + rng.below(4);
            for s in 0..k {
                if s > 0 {
                    text.push(' ');
                }
                text.push_str(&sentences[rng.below(sentences.len())]);
            }
        }
        bytes += text.len();
        let at = (i * days / n.max(1) + date_rng.below(5)).min(days);
        let date = Date::from_days_since_epoch(first.days_since_epoch() + at as i64)
            .expect("within his premiership");
        w.write_record([
            format!("g{i:07}").as_str(),
            SOURCES[rng.below(SOURCES.len())],
            date.to_string().as_str(),
            text.as_str(),
        ])?;
    }
    w.flush()?;
    drop(w);
    std::io::stderr().flush()?;
    eprintln!(
        "slant-gen: wrote {n} articles ({:.1} MB of text, from {} sentences) to {}",
        bytes as f64 / 1e6,
        sentences.len(),
        out.display()
    );
    Ok(())
}
