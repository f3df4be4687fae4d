//! Defines slant's command line (clap) and dispatches to the subcommands.

mod classify;
mod eval;
mod report;
mod suggest;
mod train;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};

use slant::features::FeatureConfig;
use slant::lexicon::Lexicon;
use slant::logistic::{ClassWeight, LogisticRegression};
use slant::target::TargetSpec;
use slant::train::Resources;

/// How a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Everything was processed.
    Success,
    /// Some inputs failed; every other input was processed.
    Partial,
    /// Nothing useful could be done (bad arguments, unreadable model, ...).
    Fatal,
    /// Stopped by this signal (SIGINT, SIGTERM, SIGHUP) after finishing the work in hand:
    /// exit status 128 + the signal's number, as a shell reports a process it killed.
    Interrupted(i32),
}

impl Status {
    /// `Partial` when some inputs failed, else `Success`.
    pub fn from_failures(failed: bool) -> Status {
        if failed {
            Status::Partial
        } else {
            Status::Success
        }
    }
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(s.code() as u8)
    }
}

impl Status {
    /// The exit status as a number.
    pub fn code(self) -> i32 {
        match self {
            Status::Success => 0,
            Status::Partial => 1,
            Status::Fatal => 2,
            Status::Interrupted(sig) => (128 + sig).clamp(0, 255),
        }
    }
}

/// A line on stderr, or nothing when stderr cannot be written (closed, full): `eprintln!`
/// panics there, and a message must never be what brings a run down.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}
pub(crate) use say;

/// Set once an input has been reported as failed, so that a run cut short by a closed output
/// pipe still exits 1 when it had failures (see `main`).
pub static INPUT_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The number of the signal that asked the run to stop, once [`stop_on_signals`] is on.
static STOP_SIGNAL: std::sync::OnceLock<std::sync::Arc<std::sync::atomic::AtomicUsize>> =
    std::sync::OnceLock::new();

/// The signal that asked the run to stop, if one did (see [`stop_on_signals`]).
pub fn stop_signal() -> Option<i32> {
    let s = STOP_SIGNAL
        .get()?
        .load(std::sync::atomic::Ordering::Relaxed);
    (s != 0).then_some(s as i32)
}

/// From now on, SIGINT, SIGTERM and SIGHUP do not kill the process but are noted
/// ([`stop_signal`]), so that the work in hand (a batch being written, a model being renamed
/// into place) is finished and the run then stops cleanly; a second signal kills it at once.
pub fn stop_on_signals() -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    if STOP_SIGNAL.get().is_some() {
        return Ok(());
    }
    let which = Arc::clone(STOP_SIGNAL.get_or_init(|| Arc::new(AtomicUsize::new(0))));
    let seen = Arc::new(AtomicBool::new(false));
    #[cfg(unix)]
    let signals = [SIGINT, SIGTERM, signal_hook::consts::SIGHUP];
    #[cfg(not(unix))]
    let signals = [SIGINT, SIGTERM];
    for sig in signals {
        // Handlers run in order: the first exits if a signal came before, the next two note
        // this one.
        signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&seen))?;
        signal_hook::flag::register(sig, Arc::clone(&seen))?;
        signal_hook::flag::register_usize(sig, Arc::clone(&which), sig as usize)?;
    }
    Ok(())
}

/// Save `model` at `path` (through a symbolic link, to the file it names, so the link stays).
/// A signal while it is written (SIGINT, SIGTERM, SIGHUP) lets the write finish: no
/// temporary file is left beside it, and the run then stops with that signal's status.
pub fn save_model(model: &slant::model::Model, path: &Path, ui: &Ui) -> Result<Option<Status>> {
    stop_on_signals()?;
    let target = link_target(path);
    model
        .save(&target)
        .with_context(|| format!("cannot write the model to {}", path.display()))?;
    Ok(stop_signal().map(|sig| {
        ui.warn(format!(
            "interrupted by signal {sig} while the model was written; {} is complete",
            path.display()
        ));
        Status::Interrupted(sig)
    }))
}

/// The file `path` names, through any symbolic links, whether or not it exists yet (a link to
/// a file not written yet names that file, as a shell's `>` takes it): the model is written
/// there and the links are kept. A chain of more than 40 links is left as it is (the write
/// then fails on it, naming it).
fn link_target(path: &Path) -> PathBuf {
    let mut p = path.to_owned();
    for _ in 0..40 {
        if !p.is_symlink() {
            break;
        }
        let Ok(to) = std::fs::read_link(&p) else {
            break;
        };
        p = match p.parent() {
            Some(dir) if to.is_relative() => dir.join(to),
            _ => to,
        };
    }
    p.canonicalize().unwrap_or(p)
}

/// Whether a file could be written at `path` (`-`, standard output, always can): not a
/// directory, in a directory that exists and takes a new file. Checked before a long run,
/// which would otherwise fail only at its end. Leaves nothing behind.
pub fn check_output_file(path: &Path) -> Result<()> {
    if path.as_os_str() == "-" {
        return Ok(());
    }
    if path.is_dir() {
        bail!("{}: is a directory, not a file", path.display());
    }
    if let Ok(m) = std::fs::metadata(path) {
        // There already: a device (`/dev/null`, `/dev/stdout`), a pipe (`>(...)`) is taken as
        // it is; a file must open for writing (not truncated here), whatever its directory.
        if m.is_file() {
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        return Ok(());
    }
    // A new file: its directory must exist and take one (the check a model's destination
    // gets).
    Ok(slant::model::Model::check_destination(path)?)
}

/// Refuse to write `out` where it would destroy or feed back into an input: the same file as
/// one of `inputs` (`classify --jsonl c.jsonl -o c.jsonl` cut its own input short; `train
/// --data x.csv -o x.csv` replaced the data with the model), or, for an input directory read
/// for files ending in one of `exts` (as `ReadOptions::extensions`: lowercase, no dot; all
/// files when empty), a file the walk reads inside it ([`slant::input::walk_reads`]), which
/// the next run would read as an article. Files are compared by identity
/// ([`slant::input::file_id`]), directories by their resolved paths.
pub fn refuse_overwriting_inputs(out: &Path, inputs: &[&Path], exts: &[String]) -> Result<()> {
    let resolve = |p: &Path| -> Option<PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        Some(dir.canonicalize().ok()?.join(p.file_name()?))
    };
    // The same file however named (`./a`, a symbolic or hard link, `/dev/stdin` for `-`).
    let out_id = slant::input::file_id(out);
    let Some(o) = resolve(out) else {
        return Ok(());
    };
    for &input in inputs {
        let named = if input.as_os_str() == "-" {
            Path::new("/dev/stdin")
        } else {
            input
        };
        if out_id.is_some() && out_id == slant::input::file_id(named) {
            bail!(
                "{} is also an input ({}): writing the output there would destroy it",
                out.display(),
                input.display()
            );
        }
        let Ok(i) = input.canonicalize() else {
            continue;
        };
        if i.is_dir() && o.starts_with(&i) && slant::input::walk_reads(&o, exts) {
            bail!(
                "{} is inside {}, which is read for input: the output would be read as an article (write it elsewhere, or change --ext)",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// Whether an error is a write to a closed pipe (`slant classify ... | head -1`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

const ABOUT: &str = "Stance toward a named political figure and outlet framing in news articles, with the evidence.";

const AFTER_HELP: &str = "Exit status: 0 success, 1 some inputs failed (the others were processed), 2 fatal or usage error, 128 + N stopped by signal N (the work in hand finished).";

#[derive(Parser, Debug)]
#[command(name = "slant", version, about = ABOUT, after_help = AFTER_HELP, propagate_version = true)]
struct Cli {
    /// Worker threads (default: one per core).
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,

    /// Print only errors on stderr (no progress, no summaries).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,

    /// Say more on stderr: timings and throughput.
    #[arg(short, long, global = true)]
    verbose: bool,

    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of the largest variant's arguments does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
enum Command {
    /// Classify articles: stance and framing with probabilities, mentions and evidence.
    #[command(after_help = classify::AFTER_HELP)]
    Classify(classify::ClassifyArgs),
    /// Train a model from a labelled CSV.
    #[command(after_help = train::AFTER_HELP)]
    Train(train::TrainArgs),
    /// Score a model on labelled data: accuracy, macro-F1, per-class scores, confusion, F_avg.
    Eval(eval::EvalArgs),
    /// Stratified k-fold cross-validation with the training options.
    Cv(train::CvArgs),
    /// Show a model: metadata, heads, labels, vocabulary size, top features per class.
    Inspect(eval::InspectArgs),
    /// Audit the lexicon on a labelled CSV: each entry's documents (own voice, quoted) and
    /// their labels, with the lift of each label (count(lift) per column).
    #[command(
        after_help = "Example:\n  slant lexicon --data data/train.csv --label stance=stance --label framing=framing"
    )]
    Lexicon(train::LexiconArgs),
    /// Choose settings on validation data: score a grid (C, n-grams, min_df, character n-grams,
    /// class weights, block weights) on a validation CSV or by cross-validation.
    #[command(after_help = TUNE_HELP)]
    Tune(train::TuneArgs),
    /// Profile sources (outlets): per source the mean score with a 95% bootstrap interval and
    /// each head's label mix, as a table, CSV, JSON or an HTML page with charts.
    #[command(after_help = report::AFTER_HELP)]
    Report(report::ReportArgs),
    /// Suggest articles to label: the ones the model is least sure about, without
    /// near-duplicates, as a CSV with empty label columns ready for `slant train`.
    #[command(after_help = suggest::AFTER_HELP)]
    Suggest(suggest::SuggestArgs),
    /// Print the text of each input as classify reads it (decoded, a web page read for its
    /// article), as JSON Lines: id, source, text.
    #[command(after_help = classify::TEXT_HELP)]
    Text(classify::TextArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(
        after_help = "Example:\n  slant completions bash > ~/.local/share/bash-completion/completions/slant"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write man pages (slant.1 and one per subcommand) into a directory.
    #[command(after_help = "Example:\n  slant man target/man && man -l target/man/slant.1")]
    Man {
        /// Directory to write the pages into (created if missing).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

const TUNE_HELP: &str = "\
Example (P-Stance: settings chosen on the validation file, never on the test file):
  slant tune --data raw_train_biden.csv --valid raw_val_biden.csv --text-col Tweet \\
      --label stance=Stance --no-target --no-lexicon --no-residue --metric f-avg \\
      --grid-c 1,3,10 --grid-char off,2-5 -o biden.bin

Settings that change the features are featurised once each; C and class weights reuse them.
With -o, the best settings are trained on all of --data and the search is recorded in the
model's metadata (slant inspect shows it).";

/// Parse the command line and run.
pub fn run() -> Result<Status> {
    let cli = Cli::parse();
    if let Some(n) = cli.threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("cannot start the thread pool")?;
    }
    let ui = Ui {
        quiet: cli.quiet,
        verbose: cli.verbose,
        progress: !cli.quiet && std::io::stderr().is_terminal(),
        color: use_color(),
        started: std::time::Instant::now(),
    };
    match cli.command {
        Command::Classify(a) => classify::run(a, &ui),
        Command::Train(a) => train::run_train(a, &ui),
        Command::Eval(a) => eval::run_eval(a, &ui),
        Command::Cv(a) => train::run_cv(a, &ui),
        Command::Inspect(a) => eval::run_inspect(a),
        Command::Lexicon(a) => train::run_lexicon(a, &ui),
        Command::Tune(a) => train::run_tune(a, &ui),
        Command::Report(a) => report::run(a, &ui),
        Command::Suggest(a) => suggest::run(a, &ui),
        Command::Text(a) => classify::run_text(a, &ui),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            // Into a buffer first: the generator panics on a write error (a closed pipe).
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "slant", &mut buf);
            std::io::Write::write_all(&mut std::io::stdout().lock(), &buf)?;
            Ok(Status::Success)
        }
        Command::Man { dir } => write_man_pages(&dir, &ui),
    }
}

/// Man pages from the clap definitions: `slant.1` and `slant-SUBCOMMAND.1`.
fn write_man_pages(dir: &Path, ui: &Ui) -> Result<Status> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut n = 0;
    let mut write = |name: String, c: clap::Command| -> Result<()> {
        let path = dir.join(format!("{name}.1"));
        let mut buf = Vec::new();
        clap_mangen::Man::new(c).render(&mut buf)?;
        std::fs::write(&path, buf).with_context(|| format!("cannot write {}", path.display()))?;
        n += 1;
        Ok(())
    };
    for sub in cmd.get_subcommands() {
        let name = format!("slant-{}", sub.get_name());
        let page: &'static str = Box::leak(name.clone().into_boxed_str());
        write(name, sub.clone().name(page))?;
    }
    write("slant".into(), cmd)?;
    ui.info(format!("wrote {n} man pages to {}", dir.display()));
    Ok(Status::Success)
}

/// Colour on stderr only for a terminal, and never when NO_COLOR is set (https://no-color.org)
/// or TERM is `dumb`.
fn use_color() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// `slant: error: ...` with `error` in red when colour is on (also for the fatal error in main).
pub fn error_prefix() -> &'static str {
    if use_color() {
        "slant: \x1b[1;31merror\x1b[0m:"
    } else {
        "slant: error:"
    }
}

/// Load a model; a missing file gets a hint.
pub fn load_model(path: &Path) -> Result<slant::model::Model> {
    if !path.exists() {
        bail!(
            "cannot load the model: {} does not exist (train one with `slant train ... -o {}`, or run from the repository, where models/stance.bin is)",
            path.display(),
            path.display()
        );
    }
    slant::model::Model::load(path).context("cannot load the model")
}

/// What the user asked for on stderr.
/// Refused rows of a labelled table shown one per line (see [`Ui::row_errors`]).
pub const ROW_ERRORS_SHOWN: usize = 20;

pub struct Ui {
    pub quiet: bool,
    pub verbose: bool,
    pub progress: bool,
    /// Colour the `error` and `warning` labels (a terminal, NO_COLOR unset).
    pub color: bool,
    pub started: std::time::Instant,
}

impl Ui {
    /// A summary line on stderr unless --quiet.
    pub fn info(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            say!("slant: {}", msg.as_ref());
        }
    }

    /// With --verbose: time, bytes and documents per second since the start.
    pub fn throughput(&self, c: &classify::Counts) {
        if self.verbose {
            let s = self.started.elapsed().as_secs_f64().max(1e-9);
            say!(
                "slant: {} documents, {:.1} MB of text in {s:.2} s: {:.0} documents/s, {:.1} MB/s ({} threads)",
                c.ok,
                c.bytes as f64 / 1e6,
                c.ok as f64 / s,
                c.bytes as f64 / 1e6 / s,
                rayon::current_num_threads()
            );
        }
    }

    /// A warning line on stderr (always).
    pub fn warn(&self, msg: impl AsRef<str>) {
        if self.color {
            say!("slant: \x1b[1;33mwarning\x1b[0m: {}", msg.as_ref());
        } else {
            say!("slant: warning: {}", msg.as_ref());
        }
    }

    /// An error about one input (always).
    pub fn item_error(&self, msg: impl std::fmt::Display) {
        INPUT_FAILED.store(true, std::sync::atomic::Ordering::Relaxed);
        if self.color {
            say!("slant: \x1b[1;31merror\x1b[0m: {msg}");
        } else {
            say!("slant: error: {msg}");
        }
    }

    /// The refused rows of a labelled table: the first [`ROW_ERRORS_SHOWN`] one per line,
    /// then how many more (a mistyped label column would refuse every row).
    pub fn row_errors(&self, errors: &[slant::input::ItemError]) {
        let shown = if self.verbose {
            errors.len()
        } else {
            ROW_ERRORS_SHOWN
        };
        for e in errors.iter().take(shown) {
            self.item_error(e);
        }
        if errors.len() > shown {
            self.item_error(format!(
                "... and {} more rows refused ({} in all; -v lists every one)",
                errors.len() - shown,
                errors.len()
            ));
        }
    }

    /// A spinner with a count, when stderr is a terminal.
    pub fn spinner(&self, what: &str) -> indicatif::ProgressBar {
        if !self.progress {
            return indicatif::ProgressBar::hidden();
        }
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg} {pos} [{elapsed}, {per_sec}]")
                .expect("valid template"),
        );
        pb.set_message(what.to_owned());
        pb.enable_steady_tick(std::time::Duration::from_millis(120));
        pb
    }
}

/// A count of at least 1 (`--max-bytes`, `suggest -n`).
/// A number from 0 to 1.
pub(crate) fn unit_interval(s: &str) -> std::result::Result<f64, String> {
    let x: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(format!("must be between 0 and 1, not {x}"))
    }
}

fn at_least_one(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// `--chunk-words`: 0 (read texts whole) or at least 10 words a chunk.
fn chunk_words(s: &str) -> std::result::Result<u32, String> {
    let n: u32 = s.parse().map_err(|e| format!("{e}"))?;
    if n == 0 || n >= 10 {
        Ok(n)
    } else {
        Err(format!(
            "must be 0 (read texts whole) or at least 10, not {n}"
        ))
    }
}

/// Where the data files the training reads come from.
#[derive(Args, Debug, Clone)]
pub struct ResourceArgs {
    /// Target file (TOML: name, aliases).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "data/targets/al-kazemi.toml",
        conflicts_with = "no_target"
    )]
    target: PathBuf,
    /// Train without a target: no mentions, windows or target statistics; every document is scored.
    #[arg(long)]
    no_target: bool,
    /// Lexicon directory (*.tsv files: category, phrase, weight).
    #[arg(
        long,
        value_name = "DIR",
        default_value = "data/lexicon",
        conflicts_with = "no_lexicon"
    )]
    lexicon: PathBuf,
    /// Train without a lexicon.
    #[arg(long)]
    no_lexicon: bool,
    /// Web-residue line patterns.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "data/residue.txt",
        conflicts_with = "no_residue"
    )]
    residue: PathBuf,
    /// Train without a residue filter.
    #[arg(long)]
    no_residue: bool,
}

impl ResourceArgs {
    /// Read the target, lexicon and residue list.
    pub fn load(&self) -> Result<Resources> {
        let target = if self.no_target {
            None
        } else {
            Some(
                TargetSpec::load(&self.target)
                    .with_context(|| hint_missing(&self.target, "--target FILE or --no-target"))?,
            )
        };
        let lexicon = if self.no_lexicon {
            Lexicon::default()
        } else {
            Lexicon::load_dir(&self.lexicon)
                .with_context(|| hint_missing(&self.lexicon, "--lexicon DIR or --no-lexicon"))?
        };
        let residue = if self.no_residue {
            String::new()
        } else {
            let src = std::fs::read_to_string(&self.residue)
                .with_context(|| format!("{}: cannot read", self.residue.display()))
                .with_context(|| hint_missing(&self.residue, "--residue FILE or --no-residue"))?;
            slant::text::Residue::parse(&src, &self.residue)?;
            src
        };
        Ok(Resources {
            residue,
            target,
            lexicon,
        })
    }
}

fn hint_missing(p: &Path, flag: &str) -> String {
    if p.exists() {
        format!("cannot load {}", p.display())
    } else {
        format!(
            "{} does not exist (the defaults are relative to the slant repository; pass {flag})",
            p.display()
        )
    }
}

/// Feature and learner options shared by `train` and `cv`.
#[derive(Args, Debug, Clone)]
pub struct ModelArgs {
    /// Longest word n-gram: 1 (unigrams), 2 (and bigrams) or 3 (and trigrams, within a sentence).
    #[arg(long, value_name = "N", default_value_t = FeatureConfig::default().ngram_max)]
    ngram: u8,
    /// Keep terms found in at least this many training documents.
    #[arg(
        long,
        value_name = "N",
        default_value_t = FeatureConfig::default().min_df,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    min_df: u32,
    /// Drop terms found in more than this share of training documents.
    #[arg(long, value_name = "F", default_value_t = FeatureConfig::default().max_df)]
    max_df: f32,
    /// Largest vocabulary (most frequent terms kept).
    #[arg(long, value_name = "N", default_value_t = FeatureConfig::default().max_features)]
    max_features: u32,
    /// Units on each side of a target mention forming its window.
    #[arg(long, value_name = "N", default_value_t = FeatureConfig::default().window)]
    window: u32,
    /// Weight of the target-window block.
    #[arg(long, value_name = "W", default_value_t = FeatureConfig::default().window_weight)]
    window_weight: f32,
    /// Keep words inside quotations in a block of their own (the writer's voice vs quoted voices).
    #[arg(long)]
    quote_block: bool,
    /// Weight of the quotation block.
    #[arg(long, value_name = "W", default_value_t = FeatureConfig::default().quote_weight)]
    quote_weight: f32,
    /// Keep words just after a negator ("not", "never", "neither", ...) in a block of their own
    /// (`not:` features), so "neither a key defender" does not count as "defender".
    #[arg(long)]
    negated_block: bool,
    /// Weight of the negated block.
    #[arg(long, value_name = "W", default_value_t = FeatureConfig::default().negated_weight)]
    negated_weight: f32,
    /// Lexicon categories (comma-separated) whose own-voice rate counts only sentences about
    /// the target: one that names him, or follows one that did and says he / his / him (so
    /// "the previous government was weak" is not criticism of him). Needs a target.
    #[arg(long, value_name = "CATS", value_delimiter = ',')]
    lexicon_about_target: Vec<String>,
    /// Hashed character n-grams of these lengths, e.g. 2-5 (off by default).
    #[arg(long, value_name = "LO-HI", value_parser = parse_range)]
    char_ngrams: Option<(u8, u8)>,
    /// log2 of the number of character n-gram buckets.
    #[arg(long, value_name = "B", default_value_t = FeatureConfig::default().char_buckets_log2)]
    char_buckets_log2: u8,
    /// Weight of the character n-gram block.
    #[arg(long, value_name = "W", default_value_t = FeatureConfig::default().char_weight)]
    char_weight: f32,
    /// Weight of the lexicon and target statistics.
    #[arg(long, value_name = "W", default_value_t = FeatureConfig::default().dense_weight)]
    dense_weight: f32,
    /// Use raw term counts instead of 1 + ln(tf).
    #[arg(long)]
    no_sublinear_tf: bool,
    /// Read documents of more than twice this many words in chunks of about this size and
    /// average the chunks' probabilities (0: read every document whole). Suits a model trained
    /// on passages and applied to long articles.
    #[arg(
        long,
        value_name = "WORDS",
        default_value_t = FeatureConfig::default().chunk_words,
        value_parser = chunk_words
    )]
    chunk_words: u32,
    /// Count lexicon matches even right after a negator ("not", "never", "without", ...) or
    /// after "if" / "unless" in their sentence.
    #[arg(long)]
    no_negation: bool,
    /// Count reported speech without quotation marks ("the factions accused him of treason",
    /// "according to the statement, ...") as the writer's own words.
    #[arg(long)]
    no_reported_speech: bool,
    /// Keep word forms apart instead of reducing words to their English stems.
    #[arg(long)]
    no_stem: bool,
    /// Character n-grams from whitespace chunks of the raw text (punctuation, hashtags, emoji
    /// kept) instead of from normalised tokens.
    #[arg(long)]
    char_chunks: bool,
    /// Score character n-grams per word (raw counts x idf over a norm that sums over n-gram
    /// occurrences), so that classify adds one cached row per word instead of weighing each
    /// n-gram: faster to classify, slightly different features.
    #[arg(long)]
    char_linear: bool,
    /// Do not follow camel-case hashtags with their words (#DictatorDon: dictator, don).
    #[arg(long)]
    no_split_hashtags: bool,
    /// Let word bigrams and trigrams run across sentence breaks, quotation marks, brackets and
    /// line ends, as scikit-learn's do (by default they stay inside a sentence).
    #[arg(long)]
    ngrams_across_breaks: bool,
    /// Keep the dots inside abbreviations (U.S. apart from US and us, a.m. apart from am): an
    /// outlet's house style. By default U.S. and US are one word.
    #[arg(long)]
    abbreviation_dots: bool,
    /// Inverse L2 regularisation strength (larger fits the training data more closely).
    #[arg(
        short = 'C',
        long = "c",
        value_name = "C",
        default_value_t = LogisticRegression::default().c,
        allow_negative_numbers = true
    )]
    c: f64,
    /// Most L-BFGS iterations per head.
    #[arg(long, value_name = "N", default_value_t = LogisticRegression::default().max_iter)]
    max_iter: u64,
    /// Gradient-norm tolerance for convergence.
    #[arg(long, value_name = "T", default_value_t = LogisticRegression::default().tol)]
    tol: f64,
    /// Weight classes inversely to their frequency.
    #[arg(long)]
    balanced: bool,
    /// Balance the groups of --balance-col: a row of a group of n rows weighs n^-P (0: off;
    /// 1: every group the same total weight; 0.5 in between).
    #[arg(long, value_name = "P", default_value_t = LogisticRegression::default().group_power)]
    group_power: f32,
    /// Naive-Bayes feature scaling G (NBSVM-style, for logistic regression): each feature is
    /// scaled by |r|^G before the fit, r the log-ratio of its document rates in one class
    /// against the others; 0 turns it off. Features that occur alike in every class are held
    /// near 0.
    #[arg(long, value_name = "G", default_value_t = LogisticRegression::default().nb_scale)]
    nb_scale: f32,
    /// Let the target statistics (mention rate, share of words near a mention) favour one pole
    /// of a head with a polarity over the other. By default their pro and anti weights are held
    /// equal: how much a text is about the target may say whether it takes a side, not which.
    #[arg(long)]
    untie_target_stats: bool,
    /// Let the lexicon rates inside quotations and reported speech favour one pole of a head
    /// with a polarity over the other. By default their pro and anti weights are held equal:
    /// what others are quoted as saying does not set which side the writer takes.
    #[arg(long)]
    untie_quoted_lexicon: bool,
    /// Let a head not about the target (framing) use the target statistics. By default it
    /// gives them no weight: how much a text is about the target says nothing about its lens.
    #[arg(long)]
    target_stats_on_every_head: bool,
    /// Lexicon categories (comma-separated) that heads about the target (stance) do not use, in
    /// any voice: framing vocabulary ("loyal to Iran", "the resistance") says which lens a text
    /// reads through, not which side it takes on him.
    #[arg(long, value_name = "CATS", value_delimiter = ',')]
    lexicon_off_target_heads: Vec<String>,
}

pub fn parse_range(s: &str) -> std::result::Result<(u8, u8), String> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let lo: u8 = a
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a range like 2-5"))?;
    let hi: u8 = b
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a range like 2-5"))?;
    Ok((lo, hi))
}

impl ModelArgs {
    /// The training options these flags describe.
    pub fn options(&self) -> slant::train::TrainOptions {
        slant::train::TrainOptions {
            features: FeatureConfig {
                ngram_max: self.ngram,
                min_df: self.min_df,
                max_df: self.max_df,
                max_features: self.max_features,
                window: self.window,
                window_weight: self.window_weight,
                quote_block: self.quote_block,
                quote_weight: self.quote_weight,
                char_ngrams: self.char_ngrams,
                char_buckets_log2: self.char_buckets_log2,
                char_weight: self.char_weight,
                dense_weight: self.dense_weight,
                sublinear_tf: !self.no_sublinear_tf,
                chunk_words: self.chunk_words,
                negation: !self.no_negation,
                reported_speech: !self.no_reported_speech,
                stem: !self.no_stem,
                char_chunks: self.char_chunks,
                split_hashtags: !self.no_split_hashtags,
                ngrams_across_breaks: self.ngrams_across_breaks,
                abbrev_dots: self.abbreviation_dots,
                negated_block: self.negated_block,
                negated_weight: self.negated_weight,
                char_linear: self.char_linear,
                lexicon_about_target: self.lexicon_about_target.clone(),
            },
            logistic: LogisticRegression {
                c: self.c,
                max_iter: self.max_iter,
                tol: self.tol,
                class_weight: if self.balanced {
                    ClassWeight::Balanced
                } else {
                    ClassWeight::Uniform
                },
                group_power: self.group_power,
                nb_scale: self.nb_scale,
                ..LogisticRegression::default()
            },
            tie_target_stats: !self.untie_target_stats,
            tie_quoted_lexicon: !self.untie_quoted_lexicon,
            target_stats_on_other_heads: self.target_stats_on_every_head,
            lexicon_off_target_heads: self.lexicon_off_target_heads.clone(),
        }
    }
}

/// `HEAD=COLUMN` (or just `COLUMN`, naming the head after it in lowercase).
pub fn parse_label(s: &str) -> std::result::Result<(String, String), String> {
    let (head, col) = match s.split_once('=') {
        Some((h, c)) => (h.trim().to_owned(), c.trim().to_owned()),
        None => (s.trim().to_lowercase(), s.trim().to_owned()),
    };
    if head.is_empty() || col.is_empty() {
        return Err(format!("`{s}` should be HEAD=COLUMN, e.g. stance=stance"));
    }
    Ok((head, col))
}

/// `POS,NEG`.
pub fn parse_pair(s: &str) -> std::result::Result<(String, String), String> {
    match s.split_once(',') {
        Some((a, b)) if a.trim() == b.trim() => Err(format!(
            "`{s}` names one class twice: give POSITIVE,NEGATIVE, e.g. FAVOR,AGAINST"
        )),
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
            Ok((a.trim().to_owned(), b.trim().to_owned()))
        }
        _ => Err(format!(
            "`{s}` should be POSITIVE,NEGATIVE, e.g. FAVOR,AGAINST"
        )),
    }
}

/// The F_avg class pair for a head: the one given with --favg if both labels exist, else the
/// conventional pair if the labels have one.
pub fn favg_for(labels: &[String], given: Option<&(String, String)>) -> Option<(usize, usize)> {
    match given {
        Some((p, n)) => {
            let pi = labels.iter().position(|l| l == p)?;
            let ni = labels.iter().position(|l| l == n)?;
            Some((pi, ni))
        }
        None => slant::metrics::default_polarity(labels),
    }
}

/// Warn when `--favg POS,NEG` names a pair that no head has (a misspelt class), so F_avg is
/// silently left out (or, for `tune --metric f-avg`, macro-F1 scored instead).
pub fn check_favg<'a>(
    given: Option<&(String, String)>,
    heads: impl IntoIterator<Item = &'a [String]>,
    ui: &Ui,
) {
    let Some((p, n)) = given else { return };
    let found = heads
        .into_iter()
        .any(|l| l.iter().any(|x| x == p) && l.iter().any(|x| x == n));
    if !found {
        ui.warn(format!(
            "--favg {p},{n}: no head has both labels, so F_avg is not computed \
             (tune --metric f-avg then scores macro-F1)"
        ));
    }
}

/// `n` and `noun`, plural unless `n` is 1: "1 article", "2 articles".
pub fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// Human-readable byte count.
pub fn bytes(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}
