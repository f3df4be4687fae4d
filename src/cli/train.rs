//! `slant train` and `slant cv`: read a labelled CSV, fit, save or cross-validate.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Args;

use slant::input::LabelledSet;
use slant::model::{Model, TrainingMeta};
use slant::report::write_eval;
use slant::train::{Corpus, HeadSpec, NO_LABEL, TrainOptions, cross_validate, options_json, train};

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
    #[arg(long, value_name = "N", value_parser = super::at_least_one, default_value_t = 16 << 20)]
    max_bytes: usize,
    /// Column naming each row's group (its outlet, say) for --group-power: rows of large
    /// groups weigh less, so that a few prolific outlets do not set the model.
    #[arg(long, value_name = "COL")]
    balance_col: Option<String>,
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
    /// Print a summary as JSON on stdout: rows, vocabulary, convergence per head, and the
    /// times (featurise, fit per head, train = featurise + fit, total with reading and saving).
    #[arg(long)]
    json: bool,
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
    /// Column naming each row's group: rows sharing a value stay in one fold (a passage and its
    /// counterfactual edit, say, so that neither is scored by a model trained on the other).
    /// Folds stay stratified, by each group's first row.
    #[arg(long, value_name = "COL")]
    group_col: Option<String>,
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
        let classes: Vec<String> = list
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect();
        if classes.is_empty() {
            bail!("--classes `{spec}` lists no class: give HEAD=a,b,...");
        }
        if allowed[h].is_some() {
            bail!("--classes names head `{}` twice", head.trim());
        }
        allowed[h] = Some(classes);
    }
    let set = LabelledSet::read_csv(&d.data, &d.text_col, None, &cols, &allowed, d.max_bytes)?;
    ui.row_errors(&set.errors);
    if set.rows.is_empty() {
        bail!("{}: no usable rows", d.data.display());
    }
    for (h, (_, col)) in d.labels.iter().enumerate() {
        match &allowed[h] {
            None => {
                for w in label_doubts(&set, h) {
                    ui.warn(format!("{}: column `{col}`: {w}", d.data.display()));
                }
            }
            Some(list) => {
                let unused: Vec<&str> = list
                    .iter()
                    .filter(|l| !set.rows.iter().any(|r| r.labels[h].as_ref() == Some(*l)))
                    .map(String::as_str)
                    .collect();
                if !unused.is_empty() {
                    ui.warn(format!(
                        "{}: column `{col}`: no row has {} of --classes; the model will not know it",
                        d.data.display(),
                        unused.iter().map(|l| format!("`{l}`")).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
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
    let labels: Vec<Vec<Option<String>>> = set.rows.iter().map(|r| r.labels.clone()).collect();
    let mut corpus = Corpus::new_partial(texts, heads, &labels)
        .with_context(|| format!("{}", d.data.display()))?;
    if let Some(col) = &d.balance_col {
        corpus = corpus.with_groups(read_groups(d, col, &set)?)?;
    }
    Ok((corpus, set))
}

/// Warn when most training rows never mention the target while some head depends on it: the
/// model will not score those heads on such texts. The usual cause is training for another
/// figure with the default target file.
fn warn_if_off_target(model: &Model, report: &slant::train::TrainReport, rows: usize, ui: &Ui) {
    let Some(without) = report.rows_without_target else {
        return;
    };
    let heads: Vec<&str> = model
        .heads()
        .iter()
        .filter(|h| h.target_dependent)
        .map(|h| h.name.as_str())
        .collect();
    if heads.is_empty() || without * 2 <= rows {
        return;
    }
    let name = model
        .featurizer()
        .spec()
        .target
        .as_ref()
        .map_or("the target", |t| t.name.as_str());
    ui.warn(format!(
        "{without} of {rows} training rows never mention {name}; `slant classify` does not \
         score {} on such texts. Training for another figure? Give --target FILE (or \
         --no-target, and --no-lexicon for a lexicon about another conflict)",
        heads.join(", ")
    ));
}

/// What the label warnings suggest.
const CLASSES_HINT: &str = "(--classes HEAD=a,b,... refuses labels outside a list)";

/// Labels of head `h` that look like mistakes, when no `--classes` list vouches for them:
/// two spellings of one label (`Pro`, `pro `), and a label on a single row (line given).
fn label_doubts(set: &LabelledSet, h: usize) -> Vec<String> {
    let mut counts: std::collections::BTreeMap<&str, (usize, u64)> = Default::default();
    for r in &set.rows {
        if let Some(l) = &r.labels[h] {
            counts.entry(l.as_str()).or_insert((0, r.line)).0 += 1;
        }
    }
    let mut doubts = Vec::new();
    let mut by_fold: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for &l in counts.keys() {
        by_fold.entry(l.to_lowercase()).or_default().push(l);
    }
    for spellings in by_fold.values().filter(|v| v.len() > 1) {
        let list: Vec<String> = spellings.iter().map(|l| format!("`{l}`")).collect();
        doubts.push(format!(
            "labels {} differ only in case and are learnt as different classes {CLASSES_HINT}",
            list.join(", ")
        ));
    }
    if counts.len() > 2 {
        for (l, &(n, line)) in &counts {
            if n == 1 {
                doubts.push(format!(
                    "label `{l}` is on one row only (line {line}): a typo? {CLASSES_HINT}"
                ));
            }
        }
    }
    doubts
}

/// The values given on the command line, mapped by `f`, or the default ones when none were.
fn or_map<A, T: Clone>(v: &[A], dflt: &[T], f: impl Fn(&A) -> T) -> Vec<T> {
    if v.is_empty() {
        dflt.to_vec()
    } else {
        v.iter().map(f).collect()
    }
}

fn or<T: Clone>(v: &[T], dflt: &[T]) -> Vec<T> {
    or_map(v, dflt, T::clone)
}

/// `--grid-... on,off` values as booleans, or the default ones.
fn or_on_off(v: &[String], dflt: &[bool]) -> Vec<bool> {
    or_map(v, dflt, |x| x == "on")
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// The metadata a model records about its training data and options.
fn training_meta(d: &DataArgs, set: &LabelledSet, options: String) -> TrainingMeta {
    TrainingMeta {
        slant_version: env!("CARGO_PKG_VERSION").to_owned(),
        data_file: file_name(&d.data),
        data_sha256: set.sha256(),
        rows: set.rows.len() as u64,
        skipped_rows: set.errors.len() as u64,
        options,
    }
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn run_train(args: TrainArgs, ui: &Ui) -> Result<Status> {
    let total = Instant::now();
    let d = &args.data;
    let opts: TrainOptions = d.model.options();
    opts.validate()?;
    Model::check_destination(&args.output)?;
    super::refuse_overwriting_inputs(&args.output, &[d.data.as_path()], &[])?;
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
    let meta = training_meta(d, &set, options_json(&opts));
    let t0 = Instant::now();
    let pb = ui.spinner("training");
    let (model, report) = train(&corpus, &res, &opts, meta)?;
    let corpus_rows = corpus.texts.len();
    let train_secs = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();
    warn_if_off_target(&model, &report, set.rows.len(), ui);
    if report.vocabulary == 0 {
        ui.warn(format!(
            "no word term was kept (--min-df {} with {} rows, --max-df {}): the model reads \
             only character n-grams and the lexicon and target statistics, if any",
            opts.features.min_df,
            set.rows.len(),
            opts.features.max_df
        ));
    }
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
        // A head fitted on fewer rows than were read: some rows had no label for it.
        let rows = report.rows_per_head[h];
        let on = if rows < corpus_rows {
            format!(
                ", on the {rows} of {corpus_rows} rows labelled in column `{}`",
                head.column
            )
        } else {
            String::new()
        };
        ui.info(format!(
            "head {}: {} ({}){on}; L-BFGS {} iterations, gradient norm {:.2e}, {} in {:.2} s",
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
        if !c.converged && c.reason == slant::logistic::STALLED {
            ui.warn(format!(
                "head {} did not converge: the loss stopped changing (by less than {:e} in an \
                 iteration) with the gradient norm, {:.2e}, still above --tol {:e}: a tolerance \
                 finer than that change resolves, or a badly scaled problem (-C {:e})",
                head.name,
                slant::logistic::COST_TOL,
                c.grad_norm,
                opts.logistic.tol,
                opts.logistic.c
            ));
        } else if !c.converged {
            ui.warn(format!(
                "head {} did not converge ({}); raise --max-iter or lower C",
                head.name, c.reason
            ));
        } else if c.iterations == 0 {
            ui.warn(format!(
                "head {} stopped before its first step (--tol {:e} against a starting gradient \
                 norm of {:.2e}): its weights are all zero; lower --tol or raise C",
                head.name, opts.logistic.tol, c.grad_norm
            ));
        }
    }
    if d.balance_col.is_some() && opts.logistic.group_power == 0.0 {
        ui.warn("--balance-col has no effect without --group-power (0 by default)");
    }
    if let Some(stopped) = super::save_model(&model, &args.output, ui)? {
        return Ok(stopped);
    }
    let size = std::fs::metadata(&args.output)
        .map(|m| m.len())
        .unwrap_or(0);
    ui.info(format!(
        "wrote {} ({}) in {:.2} s",
        args.output.display(),
        bytes(size),
        t0.elapsed().as_secs_f64()
    ));
    if args.json {
        let heads: Vec<serde_json::Value> = model
            .heads()
            .iter()
            .zip(&report.fit_time)
            .map(|(h, t)| {
                serde_json::json!({
                    "head": h.name,
                    "labels": h.labels,
                    "counts": h.counts,
                    "rows": h.counts.iter().sum::<u64>(),
                    "convergence": h.classifier.convergence,
                    "fit_seconds": t.as_secs_f64(),
                })
            })
            .collect();
        let v = serde_json::json!({
            "data": args.data.data.display().to_string(),
            "output": args.output.display().to_string(),
            "rows": set.rows.len(),
            "skipped_rows": set.errors.len(),
            "vocabulary": report.vocabulary,
            "features": report.features,
            "nnz": report.nnz,
            "featurise_seconds": report.featurise_time.as_secs_f64(),
            "train_seconds": train_secs,
            "seconds": total.elapsed().as_secs_f64(),
            "model_bytes": size,
            "heads": heads,
        });
        std::io::Write::write_all(
            &mut std::io::stdout().lock(),
            format!("{}\n", serde_json::to_string_pretty(&v)?).as_bytes(),
        )?;
    }
    Ok(Status::from_failures(!set.errors.is_empty()))
}

pub fn run_cv(args: CvArgs, ui: &Ui) -> Result<Status> {
    let d = &args.data;
    let opts = d.model.options();
    opts.validate()?;
    let res = d.resources.load()?;
    let (corpus, set) = load_corpus(d, ui)?;
    super::check_favg(
        args.favg.as_ref(),
        corpus.classes.iter().map(Vec::as_slice),
        ui,
    );
    let favg: Vec<Option<(usize, usize)>> = corpus
        .classes
        .iter()
        .map(|l| favg_for(l, args.favg.as_ref()))
        .collect();
    let groups = match &args.group_col {
        Some(col) => Some(read_groups(d, col, &set)?),
        None => None,
    };
    let pb = ui.spinner("folds done");
    let t0 = Instant::now();
    let report = cross_validate(
        &corpus,
        &res,
        &opts,
        args.folds,
        args.seed,
        groups.as_deref(),
        &favg,
        |f| pb.set_position(f as u64),
    )?;
    pb.finish_and_clear();
    if args.json {
        let v = serde_json::json!({
            "data": d.data.display().to_string(),
            "rows": set.rows.len(),
            "skipped_rows": set.errors.len(),
            "folds": report.folds,
            "seed": args.seed,
            "group_col": args.group_col,
            "options": opts,
            "heads": report.pooled.iter().zip(&report.fold_macro_f1).map(|((name, r), (_, f))| {
                serde_json::json!({"head": name, "pooled": r, "fold_macro_f1": f})
            }).collect::<Vec<_>>(),
        });
        std::io::Write::write_all(
            &mut std::io::stdout().lock(),
            format!("{}\n", serde_json::to_string_pretty(&v)?).as_bytes(),
        )?;
    } else {
        let mut out = std::io::stdout().lock();
        use std::io::Write;
        writeln!(
            out,
            "{}-fold cross-validation{} on {} rows of {} ({:.1} s)",
            report.folds,
            args.group_col
                .as_ref()
                .map(|c| format!(" grouped by {c}"))
                .unwrap_or_default(),
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
    Ok(Status::from_failures(!set.errors.is_empty()))
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
    Ok(Status::from_failures(!set.errors.is_empty()))
}

#[derive(Args, Debug)]
pub struct TuneArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Validation CSV (same columns as --data) to score the settings on. Without it, the
    /// settings are scored by --folds cross-validation of the training rows.
    #[arg(long, value_name = "CSV")]
    valid: Option<PathBuf>,
    /// Folds for cross-validation when no --valid is given.
    #[arg(long, value_name = "K", default_value_t = 5, conflicts_with = "valid")]
    folds: usize,
    /// Seed of the fold assignment (cross-validation only).
    #[arg(long, value_name = "N", default_value_t = 42, conflicts_with = "valid")]
    seed: u64,
    /// Column whose values must stay together in cross-validation (e.g. topic, source): each
    /// fold holds out whole groups, measuring how settings carry over to unseen ones.
    #[arg(long, value_name = "COL")]
    group_col: Option<String>,
    /// Values of C to try, e.g. 1,3,10,30.
    #[arg(long, value_name = "C,...", value_delimiter = ',')]
    grid_c: Vec<f64>,
    /// Longest word n-grams to try, e.g. 1,2.
    #[arg(long, value_name = "N,...", value_delimiter = ',')]
    grid_ngram: Vec<u8>,
    /// min_df values to try, e.g. 1,2,3.
    #[arg(long, value_name = "N,...", value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..))]
    grid_min_df: Vec<u32>,
    /// max_df values to try (drop terms in more than this share of documents), e.g. 1,0.3.
    #[arg(long, value_name = "F,...", value_delimiter = ',')]
    grid_max_df: Vec<f32>,
    /// Vocabulary sizes to try (most frequent terms kept), e.g. 200000,1000000.
    #[arg(long, value_name = "N,...", value_delimiter = ',')]
    grid_max_features: Vec<u32>,
    /// Character n-gram settings to try: `off` or a range, e.g. off,2-5,1-4.
    #[arg(long, value_name = "off|LO-HI,...", value_delimiter = ',', value_parser = parse_char_setting)]
    grid_char: Vec<CharSetting>,
    /// Class weights to try: uniform, balanced.
    #[arg(long, value_name = "uniform|balanced,...", value_delimiter = ',', value_parser = ["uniform", "balanced"])]
    grid_class_weight: Vec<String>,
    /// Group balance powers to try (with --balance-col), e.g. 0,0.5,1.
    #[arg(long, value_name = "P,...", value_delimiter = ',')]
    grid_group_power: Vec<f32>,
    /// Naive-Bayes feature scalings to try (see --nb-scale), e.g. 0,0.5,1.
    #[arg(long, value_name = "G,...", value_delimiter = ',')]
    grid_nb_scale: Vec<f32>,
    /// Dense (lexicon, target) block weights to try.
    #[arg(long, value_name = "W,...", value_delimiter = ',')]
    grid_dense_weight: Vec<f32>,
    /// Target-window block weights to try.
    #[arg(long, value_name = "W,...", value_delimiter = ',')]
    grid_window_weight: Vec<f32>,
    /// Negation handling to try: on, off.
    #[arg(long, value_name = "on|off,...", value_delimiter = ',', value_parser = ["on", "off"])]
    grid_negation: Vec<String>,
    /// Stemming to try: on, off.
    #[arg(long, value_name = "on|off,...", value_delimiter = ',', value_parser = ["on", "off"])]
    grid_stem: Vec<String>,
    /// Character n-gram sources to try: on (raw whitespace chunks), off (normalised tokens).
    #[arg(long, value_name = "on|off,...", value_delimiter = ',', value_parser = ["on", "off"])]
    grid_char_chunks: Vec<String>,
    /// Hashtag splitting to try: on, off.
    #[arg(long, value_name = "on|off,...", value_delimiter = ',', value_parser = ["on", "off"])]
    grid_hashtags: Vec<String>,
    /// Word n-grams across sentence breaks to try: on, off (see --ngrams-across-breaks).
    #[arg(long, value_name = "on|off,...", value_delimiter = ',', value_parser = ["on", "off"])]
    grid_ngrams_across_breaks: Vec<String>,
    /// Abbreviation dots to try: on, off (see --abbreviation-dots).
    #[arg(long, value_name = "on|off,...", value_delimiter = ',', value_parser = ["on", "off"])]
    grid_abbreviation_dots: Vec<String>,
    /// Negated blocks to try: `off` or a weight, e.g. off,0.25,0.5 (see --negated-block).
    #[arg(long, value_name = "off|W,...", value_delimiter = ',', value_parser = parse_negated_setting)]
    grid_negated: Vec<NegatedSetting>,
    /// Character block weights to try, e.g. 0.5,1 (see --char-weight).
    #[arg(long, value_name = "W,...", value_delimiter = ',')]
    grid_char_weight: Vec<f32>,
    /// Per-word character scoring to try: on, off (see --char-linear).
    #[arg(long, value_name = "on|off,...", value_delimiter = ',', value_parser = ["on", "off"])]
    grid_char_linear: Vec<String>,
    /// What to maximise: the mean over heads of F_avg (heads with a FAVOR/AGAINST or pro/anti
    /// pair, or --favg; a head with no such pair counts its macro-F1 instead) or of macro-F1.
    #[arg(long, value_parser = ["f-avg", "macro-f1"], default_value = "macro-f1")]
    metric: String,
    /// F_avg classes as POSITIVE,NEGATIVE.
    #[arg(long, value_name = "POS,NEG", value_parser = parse_pair)]
    favg: Option<(String, String)>,
    /// Train a model with the best settings on all of --data and write it here; its metadata
    /// records the search.
    #[arg(short, long, value_name = "PATH")]
    output: Option<PathBuf>,
    /// Print the trials as JSON.
    #[arg(long)]
    json: bool,
}

/// A `--grid-negated` value: no negated block, or one of this weight.
#[derive(Clone, Copy, Debug)]
pub struct NegatedSetting(Option<f32>);

fn parse_negated_setting(s: &str) -> std::result::Result<NegatedSetting, String> {
    if s.trim().eq_ignore_ascii_case("off") {
        return Ok(NegatedSetting(None));
    }
    match s.trim().parse::<f32>() {
        Ok(w) if w.is_finite() && w >= 0.0 => Ok(NegatedSetting(Some(w))),
        _ => Err(format!("`{s}` is neither `off` nor a weight >= 0")),
    }
}

/// A `--grid-char` value.
#[derive(Clone, Copy, Debug)]
pub struct CharSetting(Option<(u8, u8)>);

fn parse_char_setting(s: &str) -> std::result::Result<CharSetting, String> {
    if s.trim().eq_ignore_ascii_case("off") {
        return Ok(CharSetting(None));
    }
    super::parse_range(s).map(|r| CharSetting(Some(r)))
}

/// The group id of every usable row of `set`, from column `col` of the same CSV.
fn read_groups(d: &DataArgs, col: &str, set: &LabelledSet) -> Result<Vec<usize>> {
    let g = LabelledSet::read_csv(
        &d.data,
        &d.text_col,
        None,
        &[col.to_owned()],
        &[None],
        d.max_bytes,
    )?;
    let by_line: std::collections::HashMap<u64, &str> = g
        .rows
        .iter()
        .filter_map(|r| Some((r.line, r.labels[0].as_deref()?)))
        .collect();
    let mut ids: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(set.rows.len());
    for r in &set.rows {
        let Some(name) = by_line.get(&r.line) else {
            bail!(
                "{}:{}: no value in group column `{col}`",
                d.data.display(),
                r.line
            );
        };
        let n = ids.len();
        out.push(*ids.entry(name).or_insert(n));
    }
    Ok(out)
}

/// `slant tune`: score a grid of settings on validation data; optionally train the best.
pub fn run_tune(args: TuneArgs, ui: &Ui) -> Result<Status> {
    use slant::tune::{Grid, Metric, Validation, best, tune};
    use std::io::Write;
    let d = &args.data;
    let base = d.model.options();
    base.validate()?;
    if let Some(path) = &args.output {
        Model::check_destination(path)?;
        let mut inputs = vec![d.data.as_path()];
        inputs.extend(args.valid.as_deref());
        super::refuse_overwriting_inputs(path, &inputs, &[])?;
    }
    let res = d.resources.load()?;
    let (corpus, set) = load_corpus(d, ui)?;
    let mut failed = !set.errors.is_empty();
    let single = Grid::single(&base);
    let grid = Grid {
        c: or(&args.grid_c, &single.c),
        ngram_max: or(&args.grid_ngram, &single.ngram_max),
        min_df: or(&args.grid_min_df, &single.min_df),
        max_df: or(&args.grid_max_df, &single.max_df),
        max_features: or(&args.grid_max_features, &single.max_features),
        char_ngrams: or_map(&args.grid_char, &single.char_ngrams, |c| c.0),
        balanced: or_map(&args.grid_class_weight, &single.balanced, |w| {
            w == "balanced"
        }),
        group_power: or(&args.grid_group_power, &single.group_power),
        nb_scale: or(&args.grid_nb_scale, &single.nb_scale),
        dense_weight: or(&args.grid_dense_weight, &single.dense_weight),
        window_weight: or(&args.grid_window_weight, &single.window_weight),
        negation: or_on_off(&args.grid_negation, &single.negation),
        stem: or_on_off(&args.grid_stem, &single.stem),
        char_chunks: or_on_off(&args.grid_char_chunks, &single.char_chunks),
        split_hashtags: or_on_off(&args.grid_hashtags, &single.split_hashtags),
        ngrams_across_breaks: or_on_off(
            &args.grid_ngrams_across_breaks,
            &single.ngrams_across_breaks,
        ),
        abbrev_dots: or_on_off(&args.grid_abbreviation_dots, &single.abbrev_dots),
        negated: or_map(&args.grid_negated, &single.negated, |n| n.0),
        char_weight: or(&args.grid_char_weight, &single.char_weight),
        char_linear: or_on_off(&args.grid_char_linear, &single.char_linear),
    };
    let metric = if args.metric == "f-avg" {
        Metric::FAvg
    } else {
        Metric::MacroF1
    };
    super::check_favg(
        args.favg.as_ref(),
        corpus.classes.iter().map(Vec::as_slice),
        ui,
    );
    let favg: Vec<Option<(usize, usize)>> = corpus
        .classes
        .iter()
        .map(|l| favg_for(l, args.favg.as_ref()))
        .collect();
    // The validation set, with labels mapped to the training classes.
    let valid = match &args.valid {
        Some(path) => {
            let cols: Vec<String> = d.labels.iter().map(|(_, c)| c.clone()).collect();
            let allowed: Vec<Option<Vec<String>>> =
                corpus.classes.iter().map(|c| Some(c.clone())).collect();
            let vs = LabelledSet::read_csv(path, &d.text_col, None, &cols, &allowed, d.max_bytes)?;
            ui.row_errors(&vs.errors);
            failed |= !vs.errors.is_empty();
            if vs.rows.is_empty() {
                bail!("{}: no usable rows", path.display());
            }
            let texts: Vec<String> = vs.rows.iter().map(|r| r.text.clone()).collect();
            let labels: Vec<Vec<usize>> = (0..corpus.heads.len())
                .map(|h| {
                    vs.rows
                        .iter()
                        .map(|r| {
                            r.labels[h].as_ref().map_or(NO_LABEL, |l| {
                                corpus.classes[h]
                                    .iter()
                                    .position(|c| c == l)
                                    .expect("every validation label is among the classes")
                            })
                        })
                        .collect()
                })
                .collect();
            Some((path.clone(), vs.sha256(), texts, labels))
        }
        None => None,
    };
    let groups: Option<Vec<usize>> = match (&args.group_col, &valid) {
        (Some(_), Some(_)) => bail!("--group-col applies to cross-validation, not to --valid"),
        (Some(col), None) => Some(read_groups(d, col, &set)?),
        (None, _) => None,
    };
    let validation = match &valid {
        Some((_, _, texts, labels)) => Validation::Holdout { texts, labels },
        None => Validation::Folds {
            k: args.folds,
            seed: args.seed,
            groups: groups.as_deref(),
        },
    };
    let how = match (&valid, &args.group_col) {
        (Some((p, ..)), _) => format!("on {}", p.display()),
        (None, Some(c)) => format!("by {}-fold cross-validation grouped by {c}", args.folds),
        (None, None) => format!("by {}-fold cross-validation", args.folds),
    };
    ui.info(format!(
        "{} to score {how}",
        super::count(grid.len(), "setting")
    ));
    let pb = ui.spinner("settings scored");
    let t0 = Instant::now();
    let trials = tune(
        &corpus,
        validation,
        &res,
        &base,
        &grid,
        metric,
        &favg,
        |n, _| pb.set_position(n as u64),
    )?;
    pb.finish_and_clear();
    let top = best(&trials).expect("a non-empty grid").clone();
    let describe = |o: &TrainOptions| {
        format!(
            "C={} ngram={} min_df={} max_df={} max_features={} char={} class_weight={} group_power={} nb_scale={} dense_weight={} window_weight={} negation={} stem={} char_chunks={} hashtags={} across_breaks={} abbreviation_dots={} negated_block={} char_weight={} char_linear={}",
            o.logistic.c,
            o.features.ngram_max,
            o.features.min_df,
            o.features.max_df,
            o.features.max_features,
            o.features
                .char_ngrams
                .map_or("off".to_owned(), |(a, b)| format!("{a}-{b}")),
            if o.logistic.class_weight == slant::logistic::ClassWeight::Balanced {
                "balanced"
            } else {
                "uniform"
            },
            o.logistic.group_power,
            o.logistic.nb_scale,
            o.features.dense_weight,
            o.features.window_weight,
            on_off(o.features.negation),
            on_off(o.features.stem),
            on_off(o.features.char_chunks),
            on_off(o.features.split_hashtags),
            on_off(o.features.ngrams_across_breaks),
            on_off(o.features.abbrev_dots),
            if o.features.negated_block {
                o.features.negated_weight.to_string()
            } else {
                "off".to_owned()
            },
            o.features.char_weight,
            on_off(o.features.char_linear)
        )
    };
    let metric_name = if metric == Metric::FAvg {
        "f_avg"
    } else {
        "macro_f1"
    };
    if args.json {
        let v = serde_json::json!({
            "data": d.data.display().to_string(),
            "validation": how,
            "metric": metric_name,
            "seconds": t0.elapsed().as_secs_f64(),
            "trials": trials,
            "best": top,
        });
        std::io::Write::write_all(
            &mut std::io::stdout().lock(),
            format!("{}\n", serde_json::to_string_pretty(&v)?).as_bytes(),
        )?;
    } else {
        let mut out = std::io::stdout().lock();
        let heads: Vec<&str> = corpus.heads.iter().map(|h| h.name.as_str()).collect();
        writeln!(
            out,
            "{} scored {how} in {:.1} s; metric: mean {metric_name} over heads ({})",
            super::count(trials.len(), "setting"),
            t0.elapsed().as_secs_f64(),
            heads.join(", ")
        )?;
        for t in &trials {
            let per: Vec<String> = t.per_head.iter().map(|s| format!("{s:.4}")).collect();
            writeln!(
                out,
                "  {:.4}  [{}]  {}{}",
                t.score,
                per.join(" "),
                describe(&t.options),
                if t.converged { "" } else { "  (not converged)" }
            )?;
        }
        writeln!(out, "best: {:.4}  {}", top.score, describe(&top.options))?;
    }
    if let Some(path) = &args.output {
        let mut options = serde_json::to_value(&top.options)?;
        options["tuning"] = serde_json::json!({
            "validation": match &valid {
                Some((p, sha, ..)) => serde_json::json!({"file": file_name(p), "sha256": sha}),
                None => serde_json::json!({"folds": args.folds, "seed": args.seed, "group_col": args.group_col}),
            },
            "metric": metric_name,
            "score": top.score,
            "grid": grid,
        });
        let meta = training_meta(d, &set, options.to_string());
        let (model, _) = train(&corpus, &res, &top.options, meta)?;
        if let Some(stopped) = super::save_model(&model, path, ui)? {
            return Ok(stopped);
        }
        ui.info(format!(
            "trained with the best settings on all {} rows; wrote {}",
            corpus.texts.len(),
            path.display()
        ));
    }
    Ok(Status::from_failures(failed))
}
