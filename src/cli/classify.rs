//! `slant classify`: stream documents through a model and write one record each, in input order.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use rayon::prelude::*;

use slant::classify::{Record, TextMarks, with_thread_scratch};
use slant::html::HtmlMode;
use slant::input::{Document, Documents, ReadOptions, Source, TableSpec};
use slant::model::Model;
use slant::report::{Format, RecordWriter};

use super::{Status, Ui};

pub const AFTER_HELP: &str = "\
Examples:
  slant classify --model models/stance.bin data/samples/
  slant classify --model models/stance.bin --format jsonl article.txt - < other.txt
  slant classify --model models/stance.bin --csv articles.csv --text-col body --id-col url --source-col outlet
  slant classify --model models/stance.bin --jsonl scraped.jsonl --text-col text --format csv
  slant classify --model models/stance.bin --source-from page saved_pages/
  slant classify --model models/stance.bin --format html -o reading.html articles/

Web pages (.html, .htm, or text that looks like HTML) are read for their article: headline and
paragraphs, without menus, teasers, comments and scripts (--html-input; `slant text` shows what
is read).

Heads about the target (stance) are not scored for a document that never mentions it; the
record says `target not mentioned` instead; no head is scored for a text the model knows too
few words of (--min-known). Exit status: 0 all documents classified, 1 some inputs failed (each
is reported on stderr; the others are classified) or nothing was classified, 2 fatal error,
128 + N stopped by signal N (Ctrl-C: 130) after writing the batch in hand.";

/// What `--source-from` takes a document's source from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SourceFrom {
    /// A text file's directory.
    Dir,
    /// A web page's metadata.
    Page,
}

/// Where documents come from: shared by `classify`, `report`, `suggest` and `text`.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Text files, directories (read recursively) or `-` for standard input.
    #[arg(value_name = "FILE|DIR|-")]
    pub inputs: Vec<PathBuf>,
    /// A CSV file of documents (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub csv: Vec<PathBuf>,
    /// A JSON Lines file of documents, one object per line (`-` for standard input).
    #[arg(long, value_name = "FILE")]
    pub jsonl: Vec<PathBuf>,
    /// Column (CSV) or field (JSON Lines) holding the text.
    #[arg(long, value_name = "C", default_value = "text")]
    pub text_col: String,
    /// Column or field holding a document id (default: `id` when there is one, else file and
    /// line).
    #[arg(long, value_name = "C")]
    pub id_col: Option<String>,
    /// Column or field holding the source (outlet).
    #[arg(long, value_name = "C")]
    pub source_col: Option<String>,
    /// Column or field holding the publication date (default: `date` when there is one):
    /// YYYY-MM-DD, an ISO or RFC 2822 timestamp, or `7 November 2021`. A web page's date is
    /// read from its metadata or markup (`<time datetime>`, a date line). A date that cannot be read leaves the article undated, with a
    /// warning.
    #[arg(long, value_name = "C")]
    pub date_col: Option<String>,
    /// Take each document's source, where no --source-col gave one: `dir`, a text file's from
    /// the name of the directory holding it (after --source-map); `page`, a web page's from the
    /// site name in its metadata (og:site_name or its JSON-LD publisher; before --source-map).
    #[arg(long, value_name = "FROM", value_enum)]
    pub source_from: Option<SourceFrom>,
    /// Rules giving a document's source from its id (URL host or file-name pattern): lines of
    /// `PATTERN OUTLET`, first match wins; used where no source column gave one.
    #[arg(long, value_name = "FILE")]
    pub source_map: Option<PathBuf>,
    /// Longest text read per document, in bytes; longer texts are cut with a warning.
    #[arg(long, value_name = "N", value_parser = super::at_least_one, default_value_t = ReadOptions::default().max_bytes)]
    pub max_bytes: usize,
    /// File extensions read from directories, comma-separated (empty: all files).
    #[arg(
        long,
        value_name = "EXT,...",
        value_delimiter = ',',
        default_value = "txt,text,md,html,htm"
    )]
    pub ext: Vec<String>,
    /// Which documents are web pages, read for their article text (headline and paragraphs,
    /// without menus, teasers, comments and scripts): `auto` takes `.html`, `.htm` and `.xhtml`
    /// files and texts that look like HTML; `always` every document (CSV fields holding HTML
    /// fragments); `never` reads markup as text.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = HtmlMode::Auto)]
    pub html_input: HtmlMode,
    /// Documents classified per batch (memory is bounded by one batch).
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub batch: usize,
    /// Least share of a document's words the model must know to score it (0 to 1; 0 scores
    /// every document). Below it no head is scored and the note says how many words were
    /// known: a text in another language gets labels that mean nothing.
    #[arg(long, value_name = "SHARE", default_value_t = slant::model::DEFAULT_MIN_KNOWN as f64, value_parser = super::unit_interval)]
    pub min_known: f64,
}

/// Load the model the inputs are scored with, with `--min-known` applied.
pub fn load_scoring_model(path: &std::path::Path, input: &InputArgs) -> Result<Model> {
    let mut model = super::load_model(path)?;
    model.set_min_known(input.min_known as f32);
    Ok(model)
}

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// The model file.
    #[arg(long, short, value_name = "PATH", default_value = "models/stance.bin")]
    model: PathBuf,
    #[command(flatten)]
    input: InputArgs,
    /// Write the records to FILE instead of standard output (flushed after every batch, so an
    /// interrupted run keeps what it classified).
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Output format (default: table on a terminal, jsonl otherwise).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Evidence items per head (0 for none: faster, and the probabilities can differ from
    /// those with evidence in the last printed decimal, the same sums added in another order).
    #[arg(long, value_name = "K", default_value_t = 5)]
    explain: usize,
    /// Key sentences per head: the N sentences whose words carry the most log-odds toward the
    /// chosen label, and the N whose words carry the most toward another (for a stance of
    /// `anti` or `pro`, the writer's own sentences first). About one more reading of each
    /// document. Default: 3 in the table, 0 in jsonl and csv, every sentence that carries
    /// 0.05 or more on the web page (html), which shades them.
    #[arg(long, value_name = "N")]
    sentences: Option<usize>,
}

type Item = std::result::Result<Document, slant::input::ItemError>;

/// Most bytes of text held in one batch.
const BATCH_BYTES: usize = 64 << 20;

/// Documents classified, failed, and without a target mention.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub ok: u64,
    pub failed: u64,
    pub unmentioned: u64,
    /// Documents not scored because the model knows too few of their words (`--min-known`),
    /// those with no words besides the target's name aside.
    pub unknown: u64,
    /// Documents not scored because they have no words besides the target's name.
    pub name_only: u64,
    /// Bytes of text classified.
    pub bytes: u64,
}

/// The documents `inp` names, as a lazy stream. `label_col` carries a known label per CSV /
/// JSON Lines row into `Document::label`.
pub fn documents(inp: &InputArgs, label_col: Option<&str>) -> Result<Documents> {
    let mut sources: Vec<Source> = inp.inputs.iter().cloned().map(Source::Path).collect();
    let table = |path: &PathBuf| TableSpec {
        path: path.clone(),
        text: inp.text_col.clone(),
        id: inp.id_col.clone(),
        source: inp.source_col.clone(),
        label: label_col.map(str::to_owned),
        date: inp.date_col.clone(),
    };
    sources.extend(inp.csv.iter().map(|p| Source::Csv(table(p))));
    sources.extend(inp.jsonl.iter().map(|p| Source::Jsonl(table(p))));
    if sources.is_empty() {
        anyhow::bail!("no input: give files, directories, `-`, --csv FILE or --jsonl FILE");
    }
    let stdin_uses = inp
        .inputs
        .iter()
        .chain(&inp.csv)
        .chain(&inp.jsonl)
        .filter(|p| p.as_os_str() == "-")
        .count();
    if stdin_uses > 1 {
        anyhow::bail!("standard input (`-`) is named {stdin_uses} times; it can be read once");
    }
    let opts = ReadOptions {
        max_bytes: inp.max_bytes,
        extensions: extensions(inp),
        html: inp.html_input,
        page_source: inp.source_from == Some(SourceFrom::Page),
    };
    Ok(Documents::new(sources, opts))
}

/// `--ext` as the walk reads it: trimmed, without a dot, lowercase; none left means any file.
fn extensions(inp: &InputArgs) -> Vec<String> {
    inp.ext
        .iter()
        .map(|e| e.trim().trim_start_matches('.').to_lowercase())
        .filter(|e| !e.is_empty())
        .collect()
}

/// Where a document's source comes from when its input gave none: `--source-map`, then
/// `--source-from dir`. (A column, or a page's metadata with `--source-from page`, is read
/// with the document.)
pub struct Sources {
    map: Option<slant::sources::SourceMap>,
    by_dir: bool,
}

impl Sources {
    pub fn new(inp: &InputArgs) -> Result<Sources> {
        Ok(Sources {
            map: match &inp.source_map {
                Some(p) => Some(slant::sources::SourceMap::load(p)?),
                None => None,
            },
            by_dir: inp.source_from == Some(SourceFrom::Dir),
        })
    }

    /// Give `d` its source, if it has none yet and one of the rules gives one.
    pub fn assign(&self, d: &mut Document) {
        if d.source.is_none()
            && let Some(m) = &self.map
        {
            d.source = m.lookup(&d.id).map(str::to_owned);
        }
        if self.by_dir {
            source_from_dir(d);
        }
    }
}

/// The outlet of a text file under `--source-from dir`: the name of its directory.
fn source_from_dir(d: &mut Document) {
    if d.source.is_none()
        && let Some(dir) = std::path::Path::new(&d.id)
            .parent()
            .and_then(|p| p.file_name())
    {
        d.source = Some(dir.to_string_lossy().into_owned());
    }
}

/// End the process after a signal (classify only; see `stop_on_signals`), between batches:
/// every record so far is written and flushed, and the reader thread may be blocked on input
/// that will not come (a terminal, a pipe that stays open), so it is not waited for.
fn stop_now(sig: i32, ok: u64, ui: &Ui) -> ! {
    ui.warn(format!(
        "interrupted by signal {sig}: stopped after {}, each record written whole",
        super::count(ok as usize, "document")
    ));
    std::process::exit(Status::Interrupted(sig).code())
}

/// Classify every document `inp` names, in batches, handing each batch's records (in input
/// order) and their documents to `sink`. Bad items are reported on `ui` and counted.
pub fn stream(
    inp: &InputArgs,
    label_col: Option<&str>,
    model: &Model,
    explain: usize,
    sentences: usize,
    ui: &Ui,
    mut sink: impl FnMut(&[Record], &[Document]) -> Result<()>,
) -> Result<Counts> {
    let docs = documents(inp, label_col)?;
    let sources = Sources::new(inp)?;
    let pb = ui.spinner("classified");
    let mut c = Counts::default();
    let batch_size = inp.batch.max(1);
    // A reader thread fills batches (reading, decoding, CSV / JSON parsing) while this thread
    // classifies the previous one on the rayon pool and hands it on: a bounded pipeline (at
    // most two batches wait), records in input order.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Item>>(2);
    std::thread::scope(|scope| -> Result<()> {
        scope.spawn(move || {
            let mut docs = docs;
            loop {
                // Bad items count towards a batch like documents: an input of nothing but
                // bad items (random bytes read as JSON Lines) is reported as it is read, not
                // held until a document comes.
                let mut batch: Vec<Item> = Vec::with_capacity(batch_size);
                let (mut n, mut held) = (0usize, 0usize);
                while n < batch_size && held < BATCH_BYTES {
                    let Some(item) = docs.next() else { break };
                    if let Ok(d) = &item {
                        held += d.text.len();
                    }
                    n += 1;
                    batch.push(item);
                }
                let last = n < batch_size && held < BATCH_BYTES;
                // The receiver is gone only when the sink failed: stop reading.
                if tx.send(batch).is_err() || last {
                    return;
                }
            }
        });
        // Owned here, so that a sink error returning early drops it, and the reader, blocked on
        // a full channel, sees the receiver gone and ends (the scope waits for it).
        let rx = rx;
        loop {
            let items = match rx.recv_timeout(std::time::Duration::from_millis(50)) {
                Ok(items) => items,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if let Some(sig) = super::stop_signal() {
                        pb.finish_and_clear();
                        stop_now(sig, c.ok, ui);
                    }
                    continue;
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let mut batch: Vec<Document> = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Ok(mut d) => {
                        sources.assign(&mut d);
                        batch.push(d)
                    }
                    Err(e) => {
                        pb.suspend(|| ui.item_error(&e));
                        c.failed += 1;
                    }
                }
            }
            let records: Vec<Record> = batch
                .par_iter()
                .map(|d| {
                    with_thread_scratch(|s| {
                        let mut r = model.classify(d, explain, s);
                        model.key_sentences(&d.text, &mut r, sentences, s);
                        r
                    })
                })
                .collect();
            for r in &records {
                for w in &r.warnings {
                    pb.suspend(|| ui.warn(format!("{}: {w}", r.id)));
                }
                let name_only = r
                    .heads
                    .iter()
                    .any(|h| h.note.as_deref() == Some(slant::classify::NO_WORDS_NOTE));
                if name_only {
                    c.name_only += 1;
                } else if r.known_words.is_some_and(|k| k < model.min_known()) {
                    c.unknown += 1;
                } else if model.featurizer().has_target() && r.mentions == 0 {
                    c.unmentioned += 1;
                }
            }
            // Suspended: on a terminal the records and the spinner share the screen.
            pb.suspend(|| sink(&records, &batch))?;
            c.ok += records.len() as u64;
            c.bytes += batch.iter().map(|d| d.text.len() as u64).sum::<u64>();
            pb.set_position(c.ok);
            // Asked to stop (classify only; see `stop_on_signals`): this batch is written whole.
            if let Some(sig) = super::stop_signal() {
                pb.finish_and_clear();
                stop_now(sig, c.ok, ui);
            }
        }
        Ok(())
    })?;
    pb.finish_and_clear();
    Ok(c)
}

/// "N not scored: ..." for the documents the model knows too few words of; `n` says N.
fn unknown_phrase(n: String, model: &Model) -> String {
    format!(
        "{n} not scored: the model knows too few of their words (another language? --min-known {})",
        model.min_known()
    )
}

/// For `report` and `suggest`: say how many documents were not scored for their unknown words,
/// or for having no words besides the target's name.
pub fn warn_unknown(counts: &Counts, model: &Model, ui: &Ui) {
    if counts.unknown > 0 {
        let n = super::count(counts.unknown as usize, "document");
        ui.warn(unknown_phrase(n, model));
    }
    if counts.name_only > 0 {
        let n = super::count(counts.name_only as usize, "document");
        ui.warn(format!(
            "{n} not scored: no words besides the target's name"
        ));
    }
}

pub fn run(args: ClassifyArgs, ui: &Ui) -> Result<Status> {
    let model = load_scoring_model(&args.model, &args.input)?;
    // Interrupted (Ctrl-C, `kill`), the run finishes writing the batch in hand and stops: the
    // output ends on a whole record.
    super::stop_on_signals()?;
    if let Some(o) = &args.output {
        let inp = &args.input;
        let inputs: Vec<&std::path::Path> = (inp.inputs.iter().chain(&inp.csv).chain(&inp.jsonl))
            .map(PathBuf::as_path)
            .collect();
        super::refuse_overwriting_inputs(o, &inputs, &extensions(inp))?;
    }
    let format = args.format.unwrap_or(
        if args.output.is_none() && std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Jsonl
        },
    );
    // The output file is created with the first record: a run that classifies nothing (a
    // mistyped column, a missing file) leaves an existing file as it was.
    let open = || -> Result<RecordWriter<BufWriter<Box<dyn Write>>>> {
        let sink: Box<dyn Write> = match &args.output {
            Some(p) => Box::new(
                std::fs::File::create(p)
                    .with_context(|| format!("cannot create {}", p.display()))?,
            ),
            None => Box::new(std::io::stdout().lock()),
        };
        Ok(RecordWriter::new(
            BufWriter::with_capacity(1 << 16, sink),
            format,
            &model,
        )?)
    };
    let mut out = match args.output {
        Some(_) => None,
        None => Some(open()?),
    };
    // The web page shades every sentence that carries 0.05 or more.
    let sentences = args.sentences.unwrap_or(match format {
        Format::Table => 3,
        Format::Html => usize::MAX,
        _ => 0,
    });
    // Bytes of the output file up to its last whole record, and the records in them.
    let (mut whole, mut records_out) = (0u64, 0usize);
    let counts = stream(
        &args.input,
        None,
        &model,
        args.explain,
        sentences,
        ui,
        |records, docs| {
            if records.is_empty() && out.is_none() {
                return Ok(());
            }
            let w = match &mut out {
                Some(w) => w,
                None => out.insert(open()?),
            };
            // The web page's marks (mentions, unread lines) on the worker pool, which waits
            // while the batch is written.
            let marks: Vec<TextMarks> = if format == Format::Html {
                docs.par_iter()
                    .map(|d| with_thread_scratch(|s| model.text_marks(&d.text, s)))
                    .collect()
            } else {
                Vec::new()
            };
            let written = records
                .iter()
                .enumerate()
                .try_for_each(|(i, r)| match marks.get(i) {
                    Some(m) => w.write_doc(r, Some((&docs[i].text, m))),
                    None => w.write(r),
                })
                .and_then(|_| w.flush());
            match (written, &args.output) {
                (Ok(()), Some(p)) => {
                    // Where the file ends on a whole record.
                    whole = std::fs::metadata(p).map_or(whole, |m| m.len());
                    records_out += records.len();
                    Ok(())
                }
                (Ok(()), None) => Ok(()),
                (Err(e), Some(p)) => {
                    // A full disk, a quota: cut a regular file back to its last whole record,
                    // once the writer is gone (dropped, it writes what it still holds). A pipe
                    // or a device is not reopened (opening a FIFO whose reader left blocks).
                    drop(out.take());
                    let regular = std::fs::metadata(p).is_ok_and(|m| m.is_file());
                    let kept = if !regular {
                        String::new()
                    } else {
                        match std::fs::OpenOptions::new()
                            .write(true)
                            .open(p)
                            .and_then(|f| f.set_len(whole))
                        {
                            Ok(()) => format!(
                                " (it keeps the {} written before, and ends on a whole record)",
                                super::count(records_out, "record")
                            ),
                            Err(c) => format!(
                                " (and it cannot be cut back to its last whole record: {c})"
                            ),
                        }
                    };
                    // As text, not as the io error: a closed pipe named by -o is a failure,
                    // not the quiet end of `| head` on standard output.
                    Err(anyhow::anyhow!("cannot write {}: {e}{kept}", p.display()))
                }
                (Err(e), None) => {
                    Err(anyhow::Error::new(e).context("cannot write to standard output"))
                }
            }
        },
    )?;
    match (out, &args.output) {
        (Some(w), _) => w.finish()?,
        (None, Some(p)) => ui.warn(format!(
            "nothing classified: {} not written{}",
            p.display(),
            if p.exists() { " (left as it was)" } else { "" }
        )),
        (None, None) => {}
    }
    std::io::stdout().flush()?;
    let (ok, failed, unmentioned) = (counts.ok, counts.failed, counts.unmentioned);
    let mut summary = format!("classified {ok} document{}", if ok == 1 { "" } else { "s" });
    if unmentioned > 0 {
        summary.push_str(&format!(", {unmentioned} without a target mention"));
    }
    if counts.unknown > 0 {
        summary.push_str(&format!(
            ", {}",
            unknown_phrase(counts.unknown.to_string(), &model)
        ));
    }
    if counts.name_only > 0 {
        summary.push_str(&format!(
            ", {} not scored: no words besides the target's name",
            counts.name_only
        ));
    }
    if failed > 0 {
        summary.push_str(&format!(
            ", {failed} input{} failed",
            if failed == 1 { "" } else { "s" }
        ));
    }
    ui.info(summary);
    ui.throughput(&counts);
    // A run that classified nothing has failed, whatever the reason: a script's next step
    // must not read an old output file as this run's.
    Ok(Status::from_failures(failed > 0 || ok == 0))
}

#[derive(Args, Debug)]
pub struct TextArgs {
    #[command(flatten)]
    input: InputArgs,
}

pub const TEXT_HELP: &str = "\
Examples:
  slant text saved_pages/ | head -c 2000
  slant text --source-from page saved_pages/ > articles.jsonl
  slant classify --jsonl articles.jsonl --source-col source

One JSON object per line, in input order: `id`, `source` and `date` (when known), `text`, and
`warnings` when there are any. The text is what `classify` reads: decoded, a web page read for its
article (headline and paragraphs, without menus, comments and scripts), cut at --max-bytes.
Bad inputs are reported on stderr and skipped (exit status 1), as in `classify`.";

/// `slant text`: the text of each input as `classify` reads it, as JSON Lines.
pub fn run_text(args: TextArgs, ui: &Ui) -> Result<Status> {
    let inp = &args.input;
    let sources = Sources::new(inp)?;
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut failed = false;
    for item in documents(inp, None)? {
        match item {
            Ok(mut d) => {
                sources.assign(&mut d);
                let mut v = serde_json::json!({ "id": d.id, "text": d.text });
                if let Some(s) = d.source {
                    v["source"] = s.into();
                }
                if let Some(t) = d.date {
                    v["date"] = t.to_string().into();
                }
                for w in &d.warnings {
                    ui.warn(format!("{}: {w}", d.id));
                }
                if !d.warnings.is_empty() {
                    v["warnings"] = d.warnings.into();
                }
                serde_json::to_writer(&mut out, &v)?;
                out.write_all(b"\n")?;
            }
            Err(e) => {
                ui.item_error(&e);
                failed = true;
            }
        }
    }
    out.flush()?;
    Ok(Status::from_failures(failed))
}
