//! `slant train` and `slant cv`: read a labelled CSV, fit, save or cross-validate.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;

use slant::input::LabelledSet;
use slant::model::TrainingMeta;
use slant::report::write_eval;
use slant::train::{Corpus, HeadSpec, TrainOptions, cross_validate, options_json, train};

use super::{ModelArgs, ResourceArgs, Status, Ui, bytes, favg_for, parse_label, parse_pair};

pub const AFTER_HELP: &str = "\
Example (the shipped model; the README's command):
  slant train --data data/train.csv --text-col text --label stance=stance --label framing=framing \\
      -o models/stance.bin

Rows with a missing text or label (or a label outside --classes) are reported with their line
number and skipped; the model is trained on the rest and the exit status is 1. The model file is
written atomically: a failed run leaves any previous model untouched. The same data and options
give a byte-identical model.";

/// The labelled data: shared by `train` and `cv`.
#[derive(Args, Debug, Clone)]
pub struct DataArgs {
    /// Labelled CSV file with a header row.
    #[arg(long, value_name = "CSV")]
    data: PathBuf,
    /// Column holding the text.
    #[arg(long, value_name = "C", default_value = "text")]
    text_col: String,
    /// Head to learn and the column holding its labels, as HEAD=COLUMN (repeatable).
    #[arg(long = "label", value_name = "HEAD=COL", required = true, value_parser = parse_label)]
    labels: Vec<(String, String)>,
    /// Allowed labels for a head, as HEAD=a,b,c; rows with other labels are refused (repeatable).
    #[arg(long = "classes", value_name = "HEAD=A,B,...")]
    classes: Vec<String>,
    /// Heads about the target: documents without a mention are not scored on them.
    #[arg(
        long,
        value_name = "HEAD,...",
        value_delimiter = ',',
        default_value = "stance"
    )]
    target_heads: Vec<String>,
    /// Longest text kept per row, in bytes.
    #[arg(long, value_name = "N", default_value_t = 16 << 20)]
    max_bytes: usize,
    #[command(flatten)]
    resources: ResourceArgs,
    #[command(flatten)]
    model: ModelArgs,
}

#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Where to write the model.
    #[arg(short, long, value_name = "PATH")]
    output: PathBuf,
}

#[derive(Args, Debug)]
pub struct CvArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Number of folds.
    #[arg(long, value_name = "K", default_value_t = 5)]
    folds: usize,
    /// Seed of the fold assignment.
    #[arg(long, value_name = "N", default_value_t = 42)]
    seed: u64,
    /// F_avg classes as POSITIVE,NEGATIVE (default: FAVOR,AGAINST or pro,anti when present).
    #[arg(long, value_name = "POS,NEG", value_parser = parse_pair)]
    favg: Option<(String, String)>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// Read the labelled rows and build the corpus; bad rows are reported and counted.
fn load_corpus(d: &DataArgs, ui: &Ui) -> Result<(Corpus, LabelledSet)> {
    let mut seen = Vec::new();
    for (h, _) in &d.labels {
        if seen.contains(h) {
            bail!("head `{h}` is given twice with --label");
        }
        seen.push(h.clone());
    }
    let cols: Vec<String> = d.labels.iter().map(|(_, c)| c.clone()).collect();
    let mut allowed: Vec<Option<Vec<String>>> = vec![None; d.labels.len()];
    for spec in &d.classes {
        let (head, list) = spec
            .split_once('=')
            .with_context(|| format!("--classes `{spec}` should be HEAD=A,B,..."))?;
        let Some(h) = d.labels.iter().position(|(n, _)| n == head.trim()) else {
            bail!(
                "--classes names head `{}`, which no --label defines",
                head.trim()
            );
        };
        allowed[h] = Some(
            list.split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        );
    }
    let set = LabelledSet::read_csv(
        &d.data,
        &d.text_col,
        None,
        &cols,
        &allowed,
        d.max_bytes.max(1),
    )?;
    for e in &set.errors {
        ui.item_error(e);
    }
    if set.rows.is_empty() {
        bail!("{}: no usable rows", d.data.display());
    }
    let heads: Vec<HeadSpec> = d
        .labels
        .iter()
        .map(|(name, column)| HeadSpec {
            name: name.clone(),
            column: column.clone(),
            target_dependent: d.target_heads.iter().any(|t| t == name),
        })
        .collect();
    let texts = set.rows.iter().map(|r| r.text.clone()).collect();
    let labels: Vec<Vec<String>> = set.rows.iter().map(|r| r.labels.clone()).collect();
    let corpus =
        Corpus::new(texts, heads, &labels).with_context(|| format!("{}", d.data.display()))?;
    Ok((corpus, set))
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn run_train(args: TrainArgs, ui: &Ui) -> Result<Status> {
    let d = &args.data;
    let opts: TrainOptions = d.model.options();
    opts.features.validate()?;
    let res = d.resources.load()?;
    let (corpus, set) = load_corpus(d, ui)?;
    ui.info(format!(
        "read {} rows from {}{}",
        set.rows.len(),
        d.data.display(),
        if set.errors.is_empty() {
            String::new()
        } else {
            format!(" ({} skipped)", set.errors.len())
        }
    ));
    let meta = TrainingMeta {
        slant_version: env!("CARGO_PKG_VERSION").to_owned(),
        data_file: file_name(&d.data),
        data_sha256: set.sha256(),
        rows: set.rows.len() as u64,
        skipped_rows: set.errors.len() as u64,
        options: options_json(&opts),
    };
    let t0 = Instant::now();
    let pb = ui.spinner("training");
    let (model, report) = train(&corpus, &res, &opts, meta)?;
    pb.finish_and_clear();
    ui.info(format!(
        "vocabulary {} terms, {} features, {} non-zeros; featurised in {:.2} s",
        report.vocabulary,
        report.features,
        report.nnz,
        report.featurise_time.as_secs_f64()
    ));
    for (h, head) in model.heads().iter().enumerate() {
        let c = &head.classifier.convergence;
        let counts: Vec<String> = head
            .labels
            .iter()
            .zip(&head.counts)
            .map(|(l, n)| format!("{l} {n}"))
            .collect();
        ui.info(format!(
            "head {}: {} ({}); L-BFGS {} iterations, gradient norm {:.2e}, {} in {:.2} s",
            head.name,
            head.labels.len(),
            counts.join(", "),
            c.iterations,
            c.grad_norm,
            if c.converged {
                "converged"
            } else {
                "NOT converged"
            },
            report.fit_time[h].as_secs_f64()
        ));
        if !c.converged {
            ui.warn(format!(
                "head {} did not converge ({}); raise --max-iter or lower C",
                head.name, c.reason
            ));
        }
    }
    model
        .save(&args.output)
        .with_context(|| format!("cannot write the model to {}", args.output.display()))?;
    let size = std::fs::metadata(&args.output)
        .map(|m| m.len())
        .unwrap_or(0);
    ui.info(format!(
        "wrote {} ({}) in {:.2} s",
        args.output.display(),
        bytes(size),
        t0.elapsed().as_secs_f64()
    ));
    Ok(if set.errors.is_empty() {
        Status::Success
    } else {
        Status::Partial
    })
}

pub fn run_cv(args: CvArgs, ui: &Ui) -> Result<Status> {
    let d = &args.data;
    let opts = d.model.options();
    opts.features.validate()?;
    let res = d.resources.load()?;
    let (corpus, set) = load_corpus(d, ui)?;
    let favg: Vec<Option<(usize, usize)>> = corpus
        .classes
        .iter()
        .map(|l| favg_for(l, args.favg.as_ref()))
        .collect();
    let pb = ui.spinner("folds done");
    let t0 = Instant::now();
    let report = cross_validate(&corpus, &res, &opts, args.folds, args.seed, &favg, |f| {
        pb.set_position(f as u64)
    })?;
    pb.finish_and_clear();
    if args.json {
        let v = serde_json::json!({
            "data": d.data.display().to_string(),
            "rows": set.rows.len(),
            "skipped_rows": set.errors.len(),
            "folds": report.folds,
            "seed": args.seed,
            "options": opts,
            "heads": report.pooled.iter().zip(&report.fold_macro_f1).map(|((name, r), (_, f))| {
                serde_json::json!({"head": name, "pooled": r, "fold_macro_f1": f})
            }).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let mut out = std::io::stdout().lock();
        use std::io::Write;
        writeln!(
            out,
            "{}-fold cross-validation on {} rows of {} ({:.1} s)",
            report.folds,
            set.rows.len(),
            d.data.display(),
            t0.elapsed().as_secs_f64()
        )?;
        for ((name, r), (_, folds)) in report.pooled.iter().zip(&report.fold_macro_f1) {
            writeln!(out)?;
            write_eval(&mut out, name, r)?;
            let mean = folds.iter().sum::<f64>() / folds.len() as f64;
            let sd =
                (folds.iter().map(|f| (f - mean).powi(2)).sum::<f64>() / folds.len() as f64).sqrt();
            let list: Vec<String> = folds.iter().map(|f| format!("{f:.3}")).collect();
            writeln!(
                out,
                "  macro-F1 per fold: {}  (mean {mean:.4}, sd {sd:.4})",
                list.join(" ")
            )?;
        }
    }
    Ok(if set.errors.is_empty() {
        Status::Success
    } else {
        Status::Partial
    })
}

#[derive(Args, Debug)]
pub struct LexiconArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Print JSON Lines (one object per entry) instead of a tab-separated table.
    #[arg(long)]
    json: bool,
}

/// `slant lexicon`: how each lexicon entry is used in a labelled corpus.
pub fn run_lexicon(args: LexiconArgs, ui: &Ui) -> Result<Status> {
    use std::io::Write;
    let d = &args.data;
    let res = d.resources.load()?;
    if res.lexicon.entries.is_empty() {
        bail!("the lexicon is empty: nothing to audit");
    }
    let (corpus, set) = load_corpus(d, ui)?;
    let uses = slant::audit::audit_lexicon(&corpus, &res)?;
    let totals = slant::audit::label_totals(&corpus);
    let n = corpus.texts.len();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        for u in &uses {
            let lifts: serde_json::Map<String, serde_json::Value> = corpus
                .heads
                .iter()
                .enumerate()
                .map(|(h, head)| {
                    let per: serde_json::Map<String, serde_json::Value> = corpus.classes[h]
                        .iter()
                        .enumerate()
                        .map(|(l, name)| {
                            (
                                name.clone(),
                                serde_json::json!({"docs": u.by_label[h][l], "lift": u.lift(h, l, &totals, n)}),
                            )
                        })
                        .collect();
                    (head.name.clone(), per.into())
                })
                .collect();
            let v = serde_json::json!({
                "category": u.category, "phrase": u.phrase, "weight": u.weight,
                "own_docs": u.own_docs, "quoted_only_docs": u.quoted_only_docs, "heads": lifts,
            });
            writeln!(out, "{v}")?;
        }
    } else {
        let mut header = vec![
            "category".to_owned(),
            "phrase".into(),
            "weight".into(),
            "own_docs".into(),
            "quoted_only".into(),
        ];
        for (h, head) in corpus.heads.iter().enumerate() {
            for l in &corpus.classes[h] {
                header.push(format!("{}:{l}", head.name));
            }
        }
        writeln!(out, "{}", header.join("\t"))?;
        for u in &uses {
            let mut row = vec![
                u.category.clone(),
                u.phrase.clone(),
                format!("{}", u.weight),
                u.own_docs.to_string(),
                u.quoted_only_docs.to_string(),
            ];
            for h in 0..corpus.heads.len() {
                for l in 0..corpus.classes[h].len() {
                    row.push(match u.lift(h, l, &totals, n) {
                        Some(x) => format!("{}({x:.2})", u.by_label[h][l]),
                        None => "-".into(),
                    });
                }
            }
            writeln!(out, "{}", row.join("\t"))?;
        }
    }
    out.flush()?;
    let unused = uses.iter().filter(|u| u.own_docs == 0).count();
    ui.info(format!(
        "{} entries over {} documents; {} never occur in the writer's own voice",
        uses.len(),
        n,
        unused
    ));
    Ok(if set.errors.is_empty() {
        Status::Success
    } else {
        Status::Partial
    })
}
