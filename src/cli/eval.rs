//! `slant eval` (score a model on labelled data) and `slant inspect` (show a model).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use slant::input::LabelledSet;
use slant::metrics;
use slant::report::write_eval;

use super::{Status, Ui, bytes, favg_for, parse_label, parse_pair};

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  slant eval --model m.bin --data raw_test_biden.csv --text-col Tweet --label stance=Stance\n  \
slant eval --model new.bin --baseline models/stance.bin --data data/dev.csv\n\n\
Every row is scored on every head, mentioned or not. Rows whose label the model does not know\n\
are reported with their line and skipped (exit status 1)."
)]
pub struct EvalArgs {
    /// The model file.
    #[arg(long, short, value_name = "PATH", default_value = "models/stance.bin")]
    model: PathBuf,
    /// Labelled CSV file with a header row.
    #[arg(long, value_name = "CSV")]
    data: PathBuf,
    /// Column holding the text.
    #[arg(long, value_name = "C", default_value = "text")]
    text_col: String,
    /// Head and the column with its true labels, as HEAD=COLUMN (repeatable; default: every
    /// head, from the column it was trained on).
    #[arg(long = "label", value_name = "HEAD=COL", value_parser = parse_label)]
    labels: Vec<(String, String)>,
    /// F_avg classes as POSITIVE,NEGATIVE (default: FAVOR,AGAINST or pro,anti when present).
    #[arg(long, value_name = "POS,NEG", value_parser = parse_pair)]
    favg: Option<(String, String)>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also write an HTML page: per head the scores, the confusion matrix as a heat map and a
    /// reliability (calibration) diagram, as inline SVG.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Longest text kept per row, in bytes.
    #[arg(long, value_name = "N", value_parser = super::at_least_one, default_value_t = 16 << 20)]
    max_bytes: usize,
    /// Also score this model on the same rows and compare the two, head by head: the rows
    /// only one of them reads right, McNemar's exact test, and 95% paired bootstrap intervals
    /// of the macro-F1 and log-loss differences (is a retrained model really better, or did a
    /// few rows cross a tie?). Its heads must have the same labels.
    #[arg(long, value_name = "PATH")]
    baseline: Option<PathBuf>,
}

pub fn run_eval(args: EvalArgs, ui: &Ui) -> Result<Status> {
    if let Some(p) = &args.html {
        super::check_output_file(p)?;
    }
    let model = super::load_model(&args.model)?;
    let pairs: Vec<(String, String)> = if args.labels.is_empty() {
        model
            .heads()
            .iter()
            .map(|h| (h.name.clone(), h.column.clone()))
            .collect()
    } else {
        args.labels.clone()
    };
    let mut head_idx = Vec::new();
    for (name, _) in &pairs {
        let Some(h) = model.heads().iter().position(|h| &h.name == name) else {
            let have: Vec<&str> = model.heads().iter().map(|h| h.name.as_str()).collect();
            bail!(
                "the model has no head `{name}`; its heads are: {}",
                have.join(", ")
            );
        };
        head_idx.push(h);
    }
    let cols: Vec<String> = pairs.iter().map(|(_, c)| c.clone()).collect();
    let allowed: Vec<Option<Vec<String>>> = head_idx
        .iter()
        .map(|&h| Some(model.heads()[h].labels.clone()))
        .collect();
    let set = LabelledSet::read_csv(
        &args.data,
        &args.text_col,
        None,
        &cols,
        &allowed,
        args.max_bytes,
    )?;
    ui.row_errors(&set.errors);
    if set.rows.is_empty() {
        bail!("{}: no usable rows", args.data.display());
    }
    // The baseline's head of each compared head, checked before any scoring.
    let baseline = match &args.baseline {
        Some(path) => {
            let b = super::load_model(path)?;
            let mut idx = Vec::new();
            for &h in &head_idx {
                let head = &model.heads()[h];
                let Some(j) = b.heads().iter().position(|x| x.name == head.name) else {
                    bail!(
                        "{}: the baseline has no head `{}`",
                        path.display(),
                        head.name
                    );
                };
                if b.heads()[j].labels != head.labels {
                    bail!(
                        "{}: the baseline's head `{}` has the labels {}, the model's {}",
                        path.display(),
                        head.name,
                        b.heads()[j].labels.join(", "),
                        head.labels.join(", ")
                    );
                }
                idx.push(j);
            }
            Some((b, idx))
        }
        None => None,
    };
    let texts: Vec<&str> = set.rows.iter().map(|r| r.text.as_str()).collect();
    let t0 = std::time::Instant::now();
    let (proba, unmentioned) = model.predict_texts(&texts);
    let secs = t0.elapsed().as_secs_f64();
    let base_proba = baseline
        .as_ref()
        .map(|(b, idx)| (b.predict_texts(&texts).0, idx));
    let mut reports = Vec::new();
    let mut comparisons: Vec<Option<metrics::Comparison>> = Vec::new();
    super::check_favg(
        args.favg.as_ref(),
        model.heads().iter().map(|h| h.labels.as_slice()),
        ui,
    );
    for (k, &h) in head_idx.iter().enumerate() {
        let head = &model.heads()[h];
        // The rows with this head's label (a row may be labelled for some heads only), by
        // index, and their labels.
        let (rows, truth): (Vec<usize>, Vec<usize>) = set
            .rows
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let l = r.labels[k].as_ref()?;
                let t = head
                    .labels
                    .iter()
                    .position(|x| x == l)
                    .expect("label checked");
                Some((i, t))
            })
            .unzip();
        let probs: Vec<Vec<f32>> = rows.iter().map(|&i| proba[h][i].clone()).collect();
        if truth.is_empty() {
            ui.warn(format!(
                "{}: no row has a label in column `{}`; head {} not scored",
                args.data.display(),
                cols[k],
                head.name
            ));
            continue;
        }
        let fa = favg_for(&head.labels, args.favg.as_ref());
        reports.push((
            head.name.clone(),
            metrics::evaluate(&head.labels, &truth, &probs, fa),
        ));
        comparisons.push(base_proba.as_ref().map(|(bp, idx)| {
            let base: Vec<Vec<f32>> = rows.iter().map(|&i| bp[idx[k]][i].clone()).collect();
            metrics::compare(&head.labels, &truth, &probs, &base)
        }));
    }
    if let Some(p) = &args.html {
        let title = format!("{} on {}", args.model.display(), args.data.display());
        std::fs::write(p, super::report::eval_html(&title, &reports))
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let v = serde_json::json!({
            "model": args.model.display().to_string(),
            "data": args.data.display().to_string(),
            "rows": set.rows.len(),
            "skipped_rows": set.errors.len(),
            "rows_without_target_mention": unmentioned,
            "seconds": secs,
            "baseline": args.baseline.as_ref().map(|p| p.display().to_string()),
            "heads": reports.iter().zip(&comparisons).map(|((n, r), c)| {
                let mut h = serde_json::json!({"head": n, "report": r});
                if let Some(c) = c {
                    h["comparison"] = serde_json::to_value(c).expect("a comparison serialises");
                }
                h
            }).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        writeln!(
            out,
            "{} of {} scored in {:.2} s{}",
            super::count(set.rows.len(), "row"),
            args.data.display(),
            secs,
            if model.featurizer().has_target() {
                format!(" ({unmentioned} without a target mention)")
            } else {
                String::new()
            }
        )?;
        for ((n, r), c) in reports.iter().zip(&comparisons) {
            writeln!(out)?;
            write_eval(&mut out, n, r)?;
            if let (Some(c), Some(b)) = (c, &args.baseline) {
                write_comparison(&mut out, &b.display().to_string(), c)?;
            }
        }
    }
    Ok(Status::from_failures(!set.errors.is_empty()))
}

/// A head's comparison with the baseline, under its report.
fn write_comparison(
    out: &mut impl Write,
    baseline: &str,
    c: &metrics::Comparison,
) -> std::io::Result<()> {
    let (f, l) = (c.macro_f1_diff, c.log_loss_diff);
    writeln!(
        out,
        "  against the baseline {baseline} (model minus baseline, same {} rows):",
        c.n
    )?;
    writeln!(
        out,
        "    macro-F1 {:+.4} (95% interval {:+.4} to {:+.4}); log loss {:+.4} ({:+.4} to {:+.4}; lower is better)",
        f.estimate, f.low, f.high, l.estimate, l.low, l.high
    )?;
    let verdict = if c.mcnemar_p < 0.05 {
        "unlikely to be luck"
    } else {
        "within what luck gives"
    };
    writeln!(
        out,
        "    rows only the model reads right {}, only the baseline {}: McNemar p = {:.3} ({verdict})",
        c.only_model_right, c.only_baseline_right, c.mcnemar_p
    )
}

/// What the character block is, for `inspect`: the features listed as `chars#N` are hashed
/// buckets, and the model keeps no n-gram that would name one (storing them would multiply the
/// file's size), so the line says what a bucket holds and where its n-grams can be seen.
fn char_block(cfg: &slant::features::FeatureConfig) -> String {
    let Some((lo, hi)) = cfg.char_ngrams else {
        return "none".into();
    };
    let n = if lo == hi {
        format!("{lo}-grams")
    } else {
        format!("{lo}-{hi}-grams")
    };
    let of = if cfg.char_chunks {
        "of whitespace-separated chunks"
    } else {
        "of words"
    };
    format!(
        "{n} {of}, hashed into {} buckets; chars#N below is bucket N, the sum of every n-gram \
         that hashes to it (the model keeps no n-grams: `slant classify --explain` names those a \
         text has)",
        1u64 << cfg.char_buckets_log2
    )
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The model file (or `--model FILE`, as the other subcommands take it).
    #[arg(
        value_name = "MODEL",
        required_unless_present = "model_opt",
        conflicts_with = "model_opt"
    )]
    model: Option<PathBuf>,
    /// The model file.
    #[arg(long = "model", short = 'm', value_name = "PATH")]
    model_opt: Option<PathBuf>,
    /// Top features shown per class.
    #[arg(long, value_name = "N", default_value_t = 15)]
    top: usize,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run_inspect(mut args: InspectArgs) -> Result<Status> {
    let path = args
        .model
        .take()
        .or(args.model_opt.take())
        .context("no model named")?;
    let model = super::load_model(&path)?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let f = model.featurizer();
    let spec = model.features();
    let meta = model.meta();
    let mut heads_json = Vec::new();
    let mut text = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(text, "model      {} ({})", path.display(), bytes(size));
    let _ = writeln!(
        text,
        "trained    by slant {} on {} ({} rows, {} skipped)",
        meta.slant_version, meta.data_file, meta.rows, meta.skipped_rows
    );
    let _ = writeln!(text, "data hash  sha256 {}", meta.data_sha256);
    let _ = writeln!(text, "options    {}", meta.options);
    let _ = writeln!(
        text,
        "vocabulary {} terms (n-grams of {} words or stems); {} features",
        spec.terms.len(),
        spec.stems.len(),
        f.n_features()
    );
    let _ = writeln!(text, "characters {}", char_block(&spec.config));
    match &spec.target {
        Some(t) => {
            let _ = writeln!(text, "target     {} ({} aliases)", t.name, t.aliases.len());
        }
        None => {
            let _ = writeln!(text, "target     none");
        }
    }
    if spec.lexicon.entries.is_empty() {
        let _ = writeln!(text, "lexicon    none");
    } else {
        let _ = writeln!(
            text,
            "lexicon    {} entries in {} categories: {}",
            spec.lexicon.entries.len(),
            spec.lexicon.categories().len(),
            spec.lexicon.categories().join(", ")
        );
    }
    for (h, head) in model.heads().iter().enumerate() {
        let clf = &head.classifier;
        let cols = model.scorer().columns(h, head.labels.len());
        let c = &clf.convergence;
        let _ = writeln!(
            text,
            "\nhead {} (column {}{}): {} iterations, gradient norm {:.2e}, {}",
            head.name,
            head.column,
            if head.target_dependent {
                ", about the target"
            } else {
                ""
            },
            c.iterations,
            c.grad_norm,
            if c.converged {
                "converged".to_owned()
            } else {
                format!("not converged ({})", c.reason)
            }
        );
        let mut classes = Vec::new();
        for (k, label) in head.labels.iter().enumerate() {
            let mut w: Vec<(f32, u32)> = (0..clf.n_features as u32)
                .map(|j| (model.scorer().weight(j, cols.start + k), j))
                .filter(|(v, _)| *v > 0.0)
                .collect();
            w.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            w.truncate(args.top);
            let top: Vec<(String, f32)> = w.iter().map(|&(v, j)| (f.feature_name(j), v)).collect();
            let shown: Vec<String> = top.iter().map(|(n, v)| format!("{n} {v:+.2}")).collect();
            let _ = if shown.is_empty() {
                writeln!(text, "  {label} ({} examples)", head.counts[k])
            } else {
                writeln!(
                    text,
                    "  {label} ({} examples): {}",
                    head.counts[k],
                    shown.join(", ")
                )
            };
            classes.push(serde_json::json!({"label": label, "examples": head.counts[k], "top_features": top}));
        }
        heads_json.push(serde_json::json!({
            "name": head.name, "column": head.column, "target_dependent": head.target_dependent,
            "labels": head.labels, "convergence": c, "classes": classes,
        }));
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let v = serde_json::json!({
            "model": path.display().to_string(),
            "bytes": size,
            "meta": meta,
            "vocabulary": spec.terms.len(),
            "stems": spec.stems.len(),
            "features": f.n_features(),
            "config": spec.config,
            "target": spec.target,
            "lexicon_entries": spec.lexicon.entries.len(),
            "lexicon_categories": spec.lexicon.categories(),
            "heads": heads_json,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        write!(out, "{text}")?;
    }
    Ok(Status::Success)
}
