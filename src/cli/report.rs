//! `slant report`: per-source (outlet) profiles from classified articles, as a terminal table,
//! CSV, JSON, and a self-contained HTML page with SVG charts.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use slant::aggregate::{
    Bootstrap, CueTally, Observation, Scale, SourceProfile, UNDATED, period_profiles, profiles,
};
use slant::date::{Date, Period};
use slant::input::Line;
use slant::report::{display_width, pad_right};
use slant::view::{esc, label_colour};

use super::classify::{InputArgs, stream};
use super::{Status, Ui};

pub const AFTER_HELP: &str = "\
Examples:
  slant report --model models/stance.bin --source-from dir corpus/ --html report.html
  slant report --model bias.bin --csv valid.csv --source-col source --truth-col bias --html r.html
  slant classify --model models/stance.bin --csv a.csv --source-col outlet > recs.jsonl
  slant report --from recs.jsonl --write-csv outlets.csv
  slant report --csv archive.csv --source-col outlet --period month --since 2020-05-07 --html r.html

Per source: articles, the mean score of the head (P(pro) - P(anti) for stance; P(right) -
P(left) for a left/center/right head) with a 95% bootstrap interval over the outlet's
articles, each head's label mix, and mean target mentions; sorted by mean score. Articles that
do not mention the target count in the mix of heads not about the target but have no score.";

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The model file (to classify the inputs; not read with --from).
    #[arg(long, short, value_name = "PATH", default_value = "models/stance.bin")]
    model: PathBuf,
    #[command(flatten)]
    input: InputArgs,
    /// Read records written by `slant classify --format jsonl` instead of classifying.
    /// Records keep the source they were classified with; `--source-map` still fills in
    /// those without one (from their ids).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["inputs", "csv", "jsonl", "truth_col", "source_col", "source_from", "id_col", "date_col"]
    )]
    from: Option<PathBuf>,
    /// The head whose score orders the outlets (default: the first head with a polarity).
    #[arg(long, value_name = "NAME")]
    head: Option<String>,
    /// Column or field (CSV / JSON Lines inputs) with each article's true label for the head:
    /// each outlet's mean prediction (for a three-label polar head such as left / center /
    /// right: the mean of -1, 0, +1 per article, cut at -1/3 and +1/3; else its majority label)
    /// is then compared with its majority true label.
    #[arg(long, value_name = "C")]
    truth_col: Option<String>,
    /// Write the profiles as CSV (`-`: to standard output, in place of the table).
    #[arg(long, value_name = "FILE")]
    write_csv: Option<PathBuf>,
    /// Write the profiles as JSON (`-`: to standard output, in place of the table).
    #[arg(long, value_name = "FILE")]
    write_json: Option<PathBuf>,
    /// Write a self-contained HTML report with SVG charts (no scripts, no network; `-`: to
    /// standard output, in place of the table).
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Also profile each source per period of publication (articles' dates: a CSV or JSON
    /// Lines `date` column, or a web page's metadata; see --date-col): a table per source and
    /// period, `period` rows in the CSV and JSON, and a chart of the sources over time in the
    /// HTML. Undated articles form a period of their own, `undated`.
    #[arg(long, value_name = "SPAN", value_enum)]
    period: Option<Period>,
    /// Only articles published on or after this day (YYYY-MM-DD); undated articles are left
    /// out.
    #[arg(long, value_name = "DATE")]
    since: Option<Date>,
    /// Only articles published on or before this day (YYYY-MM-DD); undated articles are left
    /// out.
    #[arg(long, value_name = "DATE")]
    until: Option<Date>,
    /// Per source, the N cues that move its articles most toward each pole of the head (a
    /// word, phrase or lexicon category, with its mean log-odds per scored article and its
    /// commonest forms), from each article's top N cues each way (function words left out);
    /// 0 turns them off, and the articles are then classified without evidence (faster).
    /// Records read --from give theirs if they were written with evidence.
    #[arg(long, value_name = "N", default_value_t = 5)]
    cues: usize,
    /// Bootstrap resamples for the intervals (at least 100).
    #[arg(
        long,
        value_name = "N",
        default_value_t = Bootstrap::default().resamples,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(100..)
    )]
    resamples: usize,
}

/// Everything the outputs need.
struct Data {
    head: String,
    /// Head names, the scored head first.
    heads: Vec<String>,
    /// Labels per head (in a fixed order).
    labels: BTreeMap<String, Vec<String>>,
    obs: Vec<Observation>,
    profiles: Vec<SourceProfile>,
    /// With --period: the span, and the profiles per source and period.
    periods: Option<(Period, Vec<SourceProfile>)>,
    /// The poles of the head whose cues the profiles hold (negative, positive), when they
    /// hold any.
    cue_poles: Option<(String, String)>,
}

/// A record's score (an f32 rounded to four decimals) as the f64 its JSON says: 0.8095, not
/// 0.809499979019165, so a report classified here and one read `--from` the records agree.
fn score4(x: f32) -> f64 {
    (f64::from(x) * 1e4).round() / 1e4
}

/// One article's observation from its heads as (name, label, score); `head` is the scored one.
fn observe<'a>(
    source: Option<String>,
    date: Option<Date>,
    mentions: u64,
    heads: impl IntoIterator<Item = (&'a str, Option<&'a str>, Option<f64>)>,
    head: &str,
) -> Observation {
    let mut o = Observation {
        source,
        date,
        mentions,
        ..Default::default()
    };
    for (name, label, score) in heads {
        if let Some(l) = label {
            o.labels.insert(name.to_owned(), l.to_owned());
        }
        if name == head {
            o.score = score;
        }
    }
    o
}

/// The fields of a classify record the report reads: id, source, mentions and per head its
/// name, label, score and the labels of its probabilities. The rest (the evidence, most of a
/// record) is skipped by serde unkept. The fields are read as any JSON value, so one of an
/// unexpected kind reads as absent; a line without a `heads` array of objects is not a record.
#[derive(serde::Deserialize)]
struct RecordLine {
    #[serde(default)]
    id: serde_json::Value,
    #[serde(default)]
    source: serde_json::Value,
    #[serde(default)]
    date: serde_json::Value,
    #[serde(default)]
    mentions: serde_json::Value,
    heads: Vec<HeadLine>,
}

/// What a classify record says of one head, as far as the report reads it.
#[derive(serde::Deserialize)]
struct HeadLine {
    #[serde(default)]
    head: serde_json::Value,
    #[serde(default)]
    label: serde_json::Value,
    #[serde(default)]
    score: serde_json::Value,
    #[serde(default)]
    probabilities: serde_json::Value,
    /// Read leniently ([`leanings_of`]): a record whose leanings cannot be read still counts.
    #[serde(default)]
    leanings: serde_json::Value,
}

/// A record head's leanings; none when they are absent or not as `classify` writes them.
fn leanings_of(v: serde_json::Value) -> Vec<slant::classify::Leaning> {
    serde_json::from_value(v).unwrap_or_default()
}

/// A record as kept until the scored head is known: id, source, mentions, and per head its
/// name, label and score.
struct Kept {
    id: String,
    source: Option<String>,
    date: Option<Date>,
    mentions: u64,
    heads: Vec<(String, Option<String>, Option<f64>)>,
}

/// A JSON string's text; `None` for any other value.
fn text(v: serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    }
}

/// What `--from` reads: observations, the lines refused, the scored head, every head's labels
/// (from the records' probabilities, so a label nobody was given still counts), and the ids.
struct FromRecords {
    obs: Vec<Observation>,
    cues: CueTally,
    failed: u64,
    head: String,
    labels: BTreeMap<String, Vec<String>>,
    ids: Vec<String>,
}

/// Observations from a classify JSONL file (see [`FromRecords`]). Each line is read into a
/// [`RecordLine`] and kept as far as the observations need it, so memory grows with a few
/// fields per record, not with the records; a bad line (not UTF-8, malformed, not a record,
/// longer than 4 x --max-bytes + 4) is reported with its line and skipped.
fn from_records(args: &ReportArgs, path: &PathBuf, ui: &Ui) -> Result<FromRecords> {
    let f = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let limit = slant::input::raw_limit(args.input.max_bytes);
    let mut lines = slant::input::Lines::new(BufReader::new(f), limit);
    let mut records = Vec::new();
    let mut failed = 0;
    let mut labels: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut first_scored: Option<Option<String>> = None;
    let map = match &args.input.source_map {
        Some(p) => Some(slant::sources::SourceMap::load(p)?),
        None => None,
    };
    // Each record's cues, per head (the scored head is known at the end): per head name, the
    // tally of its records.
    let mut tallies: BTreeMap<String, CueTally> = BTreeMap::new();
    while let Some((n, line)) = lines.next() {
        let at = format!("{}:{n}", path.display());
        let bytes = match line {
            Ok(Line::Bytes(b)) => b,
            Ok(Line::TooLong(_)) => {
                ui.item_error(format!(
                    "{at}: line longer than {limit} bytes (4 x --max-bytes + 4): skipped"
                ));
                failed += 1;
                continue;
            }
            Err(e) => {
                ui.item_error(format!("{at}: read error: {e}"));
                failed += 1;
                break;
            }
        };
        let line = match std::str::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                ui.item_error(format!(
                    "{at}: not valid UTF-8 (first bad byte at offset {}); skipped",
                    e.valid_up_to()
                ));
                failed += 1;
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let r = match serde_json::from_str::<RecordLine>(line) {
            Ok(r) => r,
            // Valid JSON that is not a record, or not JSON at all.
            Err(e) => match serde_json::from_str::<serde::de::IgnoredAny>(line) {
                Ok(_) => {
                    if line.trim_start().starts_with('{') {
                        ui.item_error(format!("{at}: not a classify record: {e}"));
                    } else {
                        ui.item_error(format!("{at}: not a classify record (not a JSON object)"));
                    }
                    failed += 1;
                    continue;
                }
                Err(e) => {
                    ui.item_error(format!("{at}: malformed JSON: {e}"));
                    failed += 1;
                    continue;
                }
            },
        };
        let id = text(r.id).unwrap_or_default();
        let date = text(r.date).and_then(|d| Date::parse(&d).ok());
        let mut source = text(r.source);
        if source.is_none()
            && let Some(m) = &map
        {
            source = m.lookup(&id).map(str::to_owned);
        }
        let mut heads = Vec::with_capacity(r.heads.len());
        for h in r.heads {
            if args.cues > 0 && within(date, args.since, args.until) {
                let leanings = leanings_of(h.leanings);
                if !leanings.is_empty() {
                    tallies
                        .entry(h.head.as_str().unwrap_or_default().to_owned())
                        .or_default()
                        .add(source.as_deref(), &leanings);
                }
            }
            let name = h.head.as_str().map(str::to_owned);
            let label = text(h.label);
            let score = h.score.as_f64();
            let known = labels.entry(name.clone().unwrap_or_default()).or_default();
            let given = h.probabilities.as_object().into_iter().flatten();
            for l in given.map(|(l, _)| l).chain(&label) {
                if !known.contains(l) {
                    known.push(l.clone());
                }
            }
            // The name of the first head with a score (`None` inside if it has none).
            if first_scored.is_none() && score.is_some() {
                first_scored = Some(name.clone());
            }
            heads.push((name.unwrap_or_default(), label, score));
        }
        records.push(Kept {
            id,
            source,
            date,
            mentions: r.mentions.as_u64().unwrap_or(0),
            heads,
        });
    }
    let head = match &args.head {
        Some(h) => h.clone(),
        None => first_scored
            .flatten()
            .context("no head in the records has a score; name one with --head")?,
    };
    let mut obs = Vec::with_capacity(records.len());
    let mut ids = Vec::with_capacity(records.len());
    for r in records {
        let heads = r
            .heads
            .iter()
            .map(|(name, label, score)| (name.as_str(), label.as_deref(), *score));
        obs.push(observe(r.source, r.date, r.mentions, heads, &head));
        ids.push(r.id);
    }
    labels.values_mut().for_each(|v| v.sort());
    Ok(FromRecords {
        cues: tallies.remove(&head).unwrap_or_default(),
        obs,
        failed,
        head,
        labels,
        ids,
    })
}

pub fn run(args: ReportArgs, ui: &Ui) -> Result<Status> {
    // The outputs are checked before anything is classified.
    let outputs = [&args.write_csv, &args.write_json, &args.html];
    if outputs
        .iter()
        .filter(|o| o.as_deref().is_some_and(is_stdout))
        .count()
        > 1
    {
        bail!("only one of --write-csv, --write-json and --html can be `-` (standard output)");
    }
    for p in outputs.iter().copied().flatten() {
        super::check_output_file(p)?;
    }
    let mut cues = CueTally::default();
    let (obs, failed, head, heads, labels, ids) = if let Some(path) = &args.from {
        let FromRecords {
            cues: tally,
            obs,
            failed,
            head,
            labels,
            ids,
        } = from_records(&args, path, ui)?;
        cues = tally;
        if !labels.contains_key(&head) {
            let names: Vec<&str> = labels.keys().map(String::as_str).collect();
            bail!(
                "the records have no head `{head}`; their heads are: {}",
                names.join(", ")
            );
        }
        let mut heads: Vec<String> = labels.keys().cloned().collect();
        heads.sort_by_key(|h| *h != head);
        (obs, failed, head, heads, labels, ids)
    } else {
        let model = super::classify::load_scoring_model(&args.model, &args.input)?;
        let head = match &args.head {
            Some(h) => {
                if !model.heads().iter().any(|x| &x.name == h) {
                    let names: Vec<&str> = model.heads().iter().map(|x| x.name.as_str()).collect();
                    bail!("the model has no head `{h}`; its heads are: {}", names.join(", "));
                }
                h.clone()
            }
            None => model
                .heads()
                .iter()
                .find(|h| h.polarity.is_some())
                .map(|h| h.name.clone())
                .context("no head of the model has a polarity (pro/anti, favor/against, right/left); name one with --head")?,
        };
        let mut heads: Vec<String> = model.heads().iter().map(|h| h.name.clone()).collect();
        heads.sort_by_key(|h| *h != head);
        let labels = model
            .heads()
            .iter()
            .map(|h| (h.name.clone(), h.labels.clone()))
            .collect();
        let mut obs = Vec::new();
        let mut ids = Vec::new();
        let counts = stream(
            &args.input,
            args.truth_col.as_deref(),
            &model,
            args.cues,
            0,
            ui,
            |records, docs| {
                for (r, d) in records.iter().zip(docs) {
                    if let Some(h) = r.heads.iter().find(|h| h.head == head)
                        && !h.leanings().is_empty()
                        && within(r.date, args.since, args.until)
                    {
                        cues.add(r.source.as_deref(), h.leanings());
                    }
                    let heads = r
                        .heads
                        .iter()
                        .map(|h| (h.head.as_str(), h.label.as_deref(), h.score.map(score4)));
                    let mut o = observe(r.source.clone(), r.date, r.mentions as u64, heads, &head);
                    o.truth = d.label.clone();
                    obs.push(o);
                    ids.push(r.id.clone());
                }
                Ok(())
            },
        )?;
        ui.throughput(&counts);
        super::classify::warn_unknown(&counts, &model, ui);
        (obs, counts.failed, head, heads, labels, ids)
    };
    if obs.is_empty() {
        bail!("no articles to report on");
    }
    let (obs, ids) = within_dates(obs, ids, args.since, args.until, ui)?;
    warn_about_inputs(&obs, &ids, &labels[&head], &head, ui);
    let b = Bootstrap {
        resamples: args.resamples,
        ..Bootstrap::default()
    };
    let scale = labels.get(&head).and_then(|l| Scale::of(l));
    let mut profiles = profiles(&obs, &head, scale.as_ref(), b);
    let cue_poles = (args.cues > 0 && !cues.is_empty())
        .then(|| {
            let polar = slant::metrics::default_polarity(&labels[&head])?;
            let l = &labels[&head];
            Some((l[polar.1 as usize].clone(), l[polar.0 as usize].clone()))
        })
        .flatten();
    if cue_poles.is_some() {
        for p in &mut profiles {
            p.cues = cues.top(&p.source, args.cues);
        }
    }
    let periods = args.period.map(|p| {
        let per = period_profiles(&obs, &head, scale.as_ref(), b, p, &profiles);
        (p, per)
    });
    let data = Data {
        head,
        heads,
        labels,
        obs,
        profiles,
        periods,
        cue_poles,
    };
    // `-` writes that output to standard output, in place of the table.
    let outputs = [&args.write_csv, &args.write_json, &args.html];
    let to_stdout = outputs
        .iter()
        .filter(|o| o.as_deref().is_some_and(is_stdout))
        .count();
    if to_stdout == 0 {
        print_table(&data).context("cannot write the table to standard output")?;
    }
    if let Some(p) = &args.write_csv {
        write_out(p, &profiles_csv(&data)?)?;
    }
    if let Some(p) = &args.write_json {
        let mut json = serde_json::json!({ "head": data.head, "sources": data.profiles });
        if let Some((p, per)) = &data.periods {
            json["period"] = period_name(*p).into();
            json["periods"] = serde_json::to_value(per)?;
        }
        write_out(p, &(serde_json::to_string_pretty(&json)? + "\n"))?;
    }
    if let Some(p) = &args.html {
        write_out(p, &html(&data))?;
    }
    ui.info(format!(
        "{} from {}{}",
        super::count(data.obs.len(), "article"),
        super::count(data.profiles.len(), "source"),
        match matches(&data) {
            Some((k, n)) =>
                format!("; {k} of {n} sources' mean prediction matches their true label"),
            None => String::new(),
        }
    ));
    Ok(Status::from_failures(failed > 0))
}

/// The name of a period span, as `--period` takes it.
fn period_name(p: Period) -> String {
    use clap::ValueEnum;
    p.to_possible_value()
        .expect("every period is a value of --period")
        .get_name()
        .to_owned()
}

/// Whether an article dated `date` is kept by `--since` / `--until` (both days included; an
/// undated one only when neither is given).
fn within(date: Option<Date>, since: Option<Date>, until: Option<Date>) -> bool {
    (since.is_none() && until.is_none())
        || date.is_some_and(|d| since.is_none_or(|s| d >= s) && until.is_none_or(|u| d <= u))
}

/// The articles (and their ids) published between `since` and `until`, both days included;
/// with either given, undated articles are left out, and said so. An error when none is left.
fn within_dates(
    obs: Vec<Observation>,
    ids: Vec<String>,
    since: Option<Date>,
    until: Option<Date>,
    ui: &Ui,
) -> Result<(Vec<Observation>, Vec<String>)> {
    if since.is_none() && until.is_none() {
        return Ok((obs, ids));
    }
    if let (Some(a), Some(b)) = (since, until)
        && a > b
    {
        bail!("--since {a} is after --until {b}");
    }
    let total = obs.len();
    let undated = obs.iter().filter(|o| o.date.is_none()).count();
    let (obs, ids): (Vec<Observation>, Vec<String>) = obs
        .into_iter()
        .zip(ids)
        .filter(|(o, _)| within(o.date, since, until))
        .unzip();
    if undated > 0 {
        ui.warn(format!(
            "{} no date and {} left out by --since / --until",
            if undated == 1 {
                "1 article has".to_owned()
            } else {
                format!("{undated} articles have")
            },
            if undated == 1 { "is" } else { "are" }
        ));
    }
    if obs.is_empty() {
        bail!(
            "none of the {} is dated within --since / --until",
            super::count(total, "article")
        );
    }
    Ok((obs, ids))
}

/// Warn about what would skew the profiles silently: articles counted twice (an id met
/// before: the same records concatenated, a file named twice), and true labels that are not
/// labels of the scored head (a misspelling, or another head's column).
fn warn_about_inputs(
    obs: &[Observation],
    ids: &[String],
    head_labels: &[String],
    head: &str,
    ui: &Ui,
) {
    let mut seen = std::collections::HashSet::new();
    let repeated: Vec<&String> = ids.iter().filter(|id| !seen.insert(*id)).collect();
    if let Some(first) = repeated.first() {
        ui.warn(format!(
            "{} repeat an id met before (the first: {first}); each is counted",
            super::count(repeated.len(), "article"),
        ));
    }
    let mut foreign: BTreeMap<&str, usize> = BTreeMap::new();
    for t in obs.iter().filter_map(|o| o.truth.as_deref()) {
        if !head_labels.iter().any(|l| l == t) {
            *foreign.entry(t).or_default() += 1;
        }
    }
    if !foreign.is_empty() {
        let list: Vec<String> = foreign
            .iter()
            .map(|(t, n)| format!("`{t}` ({n})"))
            .collect();
        ui.warn(format!(
            "true labels that are not labels of the head `{head}` ({}): {}; outlets whose \
             majority is one of them never match",
            head_labels.join(", "),
            list.join(", ")
        ));
    }
}

/// (sources whose mean prediction matches their true label, sources with a true label).
fn matches(d: &Data) -> Option<(usize, usize)> {
    let with: Vec<bool> = d.profiles.iter().filter_map(|p| p.matches).collect();
    (!with.is_empty()).then(|| (with.iter().filter(|&&m| m).count(), with.len()))
}

fn mix(p: &SourceProfile, head: &str, labels: &[String]) -> String {
    let counts = p.labels.get(head);
    labels
        .iter()
        .map(|l| {
            format!(
                "{l} {}",
                counts.and_then(|c| c.get(l)).copied().unwrap_or(0)
            )
        })
        .collect::<Vec<_>>()
        .join(" / ")
}

fn fmt_score(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| format!("{v:+.3}"))
}

/// The profiles as an aligned table on standard output, then with --period the profiles per
/// source and period (a closed pipe is an error the caller ends the run on quietly; `println!`
/// panicked there).
fn print_table(d: &Data) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write_rows(&mut out, &table_rows(d, &d.profiles, None))?;
    if let Some((p, per)) = &d.periods {
        writeln!(out)?;
        write_rows(&mut out, &table_rows(d, per, Some(&period_name(*p))))?;
    }
    if let Some((neg, pos)) = &d.cue_poles {
        writeln!(
            out,
            "\nWhat moves each source (mean log-odds per scored article; from each article's top \
             cues each way, function words left out):"
        )?;
        for p in &d.profiles {
            writeln!(out, "  {}", p.source)?;
            for pole in [neg, pos] {
                let cell = cue_cell(p.cues.get(pole).map_or(&[][..], Vec::as_slice));
                if !cell.is_empty() {
                    writeln!(out, "    toward {pole}: {cell}")?;
                }
            }
        }
    }
    out.flush()
}

/// Cues as one line: `lex:criticism ("failure", "incompetent") 0.412; ...`.
fn cue_cell(cues: &[slant::aggregate::Cue]) -> String {
    cues.iter()
        .map(|c| {
            let forms: Vec<String> = c.forms.iter().map(|f| format!("\"{f}\"")).collect();
            if forms.is_empty() {
                format!("{} {:.3}", c.feature, c.mean)
            } else {
                format!("{} ({}) {:.3}", c.feature, forms.join(", "), c.mean)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The table of `profiles`: a header row, then a row per profile; `period` names the period
/// column, for profiles per period.
fn table_rows(d: &Data, profiles: &[SourceProfile], period: Option<&str>) -> Vec<Vec<String>> {
    let truth = profiles.iter().any(|p| p.truth.is_some());
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec!["source".to_owned()];
    header.extend(period.map(str::to_owned));
    header.extend([
        "articles".into(),
        format!("mean {} score", d.head),
        "95% interval".into(),
    ]);
    header.extend(d.heads.iter().map(|h| format!("{h} mix")));
    header.push("mentions".into());
    if truth {
        header.extend(["predicted".into(), "true".into(), "match".into()]);
    }
    rows.push(header);
    for p in profiles {
        let mut r = vec![p.source.clone()];
        if period.is_some() {
            r.push(p.period.clone().unwrap_or_default());
        }
        r.extend([
            p.articles.to_string(),
            fmt_score(p.mean_score),
            p.interval
                .map_or("-".into(), |(a, b)| format!("[{a:+.3}, {b:+.3}]")),
        ]);
        for h in &d.heads {
            r.push(mix(p, h, &d.labels[h]));
        }
        r.push(format!("{:.1}", p.mean_mentions));
        if truth {
            r.push(p.predicted.clone().unwrap_or_default());
            r.push(p.truth.clone().unwrap_or_default());
            r.push(match p.matches {
                Some(true) => "yes".into(),
                Some(false) => "no".into(),
                None => "".into(),
            });
        }
        rows.push(r);
    }
    rows
}

/// Rows as columns aligned by display width.
fn write_rows(out: &mut impl std::io::Write, rows: &[Vec<String>]) -> std::io::Result<()> {
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|c| rows.iter().map(|r| display_width(&r[c])).max().unwrap_or(0))
        .collect();
    for r in rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(c, &w)| pad_right(c, w))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    Ok(())
}

/// Whether an output path means standard output.
fn is_stdout(p: &std::path::Path) -> bool {
    p.as_os_str() == "-"
}

/// Write `text` to `p`, or to standard output for `-`.
fn write_out(p: &std::path::Path, text: &str) -> Result<()> {
    if is_stdout(p) {
        use std::io::Write;
        std::io::stdout().lock().write_all(text.as_bytes())?;
        return Ok(());
    }
    std::fs::write(p, text).with_context(|| format!("cannot write {}", p.display()))
}

/// The profiles as CSV; with --period, a `period` column after the source: `all` on each
/// source's overall row, then its rows per period.
fn profiles_csv(d: &Data) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec!["source".to_owned()];
    if d.periods.is_some() {
        header.push("period".into());
    }
    header.extend([
        "articles".into(),
        "scored".into(),
        "mean_score".into(),
        "ci_low".into(),
        "ci_high".into(),
    ]);
    for h in &d.heads {
        for l in &d.labels[h] {
            header.push(format!("{h}:{l}"));
        }
    }
    header.extend([
        "mean_mentions".into(),
        "majority".into(),
        "predicted".into(),
        "truth".into(),
        "matches".into(),
    ]);
    let poles: Vec<&String> = d.cue_poles.iter().flat_map(|(n, p)| [n, p]).collect();
    header.extend(poles.iter().map(|p| format!("cues:{p}")));
    w.write_record(&header)?;
    let rows: Vec<&SourceProfile> = match &d.periods {
        None => d.profiles.iter().collect(),
        // `per` holds the sources in the order of `profiles`, each source's periods together.
        Some((_, per)) => {
            let mut rest = per.as_slice();
            let mut rows = Vec::with_capacity(d.profiles.len() + per.len());
            for o in &d.profiles {
                let n = rest.iter().take_while(|p| p.source == o.source).count();
                rows.push(o);
                rows.extend(&rest[..n]);
                rest = &rest[n..];
            }
            rows
        }
    };
    for p in rows {
        let mut r = vec![p.source.clone()];
        if d.periods.is_some() {
            r.push(p.period.clone().unwrap_or_else(|| "all".into()));
        }
        r.extend([
            p.articles.to_string(),
            p.scored.to_string(),
            p.mean_score.map_or(String::new(), |v| format!("{v:.6}")),
            p.interval.map_or(String::new(), |(a, _)| format!("{a:.6}")),
            p.interval.map_or(String::new(), |(_, b)| format!("{b:.6}")),
        ]);
        for h in &d.heads {
            for l in &d.labels[h] {
                r.push(
                    p.labels
                        .get(h)
                        .and_then(|c| c.get(l))
                        .copied()
                        .unwrap_or(0)
                        .to_string(),
                );
            }
        }
        r.push(format!("{:.3}", p.mean_mentions));
        r.push(p.majority.clone().unwrap_or_default());
        r.push(p.predicted.clone().unwrap_or_default());
        r.push(p.truth.clone().unwrap_or_default());
        r.push(p.matches.map_or(String::new(), |m| m.to_string()));
        for pole in &poles {
            r.push(cue_cell(p.cues.get(*pole).map_or(&[][..], Vec::as_slice)));
        }
        w.write_record(&r)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// A source name short enough for a chart's label column (the full name is in the tooltip and
/// the data-source attribute).
fn short(s: &str) -> String {
    const MAX: usize = 34;
    if s.chars().count() <= MAX {
        esc(s)
    } else {
        esc(&(s.chars().take(MAX - 1).collect::<String>() + "\u{2026}"))
    }
}

/// Diverging bars: each outlet's mean score from 0, with its interval as a whisker.
fn svg_scores(d: &Data) -> String {
    let rows: Vec<&SourceProfile> = d
        .profiles
        .iter()
        .filter(|p| p.mean_score.is_some())
        .collect();
    let (left, width, row_h, top) = (250.0, 520.0, 22.0, 30.0);
    let h = top + row_h * rows.len() as f64 + 30.0;
    let x = |v: f64| left + (v + 1.0) / 2.0 * width;
    let mut s = format!(
        r##"<svg class="chart" id="scores" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="mean {head} score by source">"##,
        w = left + width + 40.0,
        head = esc(&d.head)
    );
    for t in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        s += &format!(
            r##"<line x1="{x}" y1="{y0}" x2="{x}" y2="{y1}" stroke="{c}" stroke-width="1"/><text x="{x}" y="{ty}" font-size="11" text-anchor="middle">{t:+.1}</text>"##,
            x = x(t),
            y0 = top - 6.0,
            y1 = h - 24.0,
            c = if t == 0.0 { "#333" } else { "#ddd" },
            ty = h - 8.0
        );
    }
    for (i, p) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let m = p.mean_score.unwrap_or(0.0);
        let (a, b) = p.interval.unwrap_or((m, m));
        let colour = if m < 0.0 { "#D55E00" } else { "#0072B2" };
        s += &format!(
            r##"<g class="source" data-source="{name}"><text x="{tx}" y="{ty}" font-size="12" text-anchor="end">{label} ({n})</text><rect x="{rx}" y="{ry}" width="{rw}" height="{rh}" fill="{colour}" opacity="0.8"/><line class="interval" x1="{ia}" x2="{ib}" y1="{iy}" y2="{iy}" stroke="#000" stroke-width="1.5"/><line x1="{ia}" x2="{ia}" y1="{iy0}" y2="{iy1}" stroke="#000"/><line x1="{ib}" x2="{ib}" y1="{iy0}" y2="{iy1}" stroke="#000"/><title>{name}: mean {m:+.3}, 95% interval [{a:+.3}, {b:+.3}], {n} articles</title></g>"##,
            name = esc(&p.source),
            label = short(&p.source),
            n = p.articles,
            tx = left - 8.0,
            ty = y + row_h * 0.65,
            rx = x(m.min(0.0)),
            ry = y + 4.0,
            rw = (x(m.max(0.0)) - x(m.min(0.0))).max(0.5),
            rh = row_h - 8.0,
            ia = x(a),
            ib = x(b),
            iy = y + row_h / 2.0,
            iy0 = y + row_h / 2.0 - 4.0,
            iy1 = y + row_h / 2.0 + 4.0,
        );
    }
    s + "</svg>"
}

/// Stacked bars: each outlet's label mix for `head`.
fn svg_mix(d: &Data, head: &str) -> String {
    let labels = &d.labels[head];
    let (left, width, row_h, top) = (250.0, 520.0, 22.0, 34.0);
    let h = top + row_h * d.profiles.len() as f64 + 10.0;
    let mut s = format!(
        r##"<svg class="chart" id="mix-{id}" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{id} mix by source">"##,
        id = esc(head),
        w = left + width + 40.0
    );
    let mut lx = left;
    for l in labels {
        s += &format!(
            r##"<rect x="{lx}" y="6" width="12" height="12" fill="{c}"/><text x="{tx}" y="16" font-size="12">{l}</text>"##,
            c = label_colour(labels, l),
            tx = lx + 16.0,
            l = esc(l)
        );
        lx += 24.0 + 8.0 * l.chars().count() as f64;
    }
    for (i, p) in d.profiles.iter().enumerate() {
        let y = top + row_h * i as f64;
        let counts = p.labels.get(head);
        let total: u64 = counts.map_or(0, |c| c.values().sum());
        s += &format!(
            r##"<g class="source" data-source="{name}"><text x="{tx}" y="{ty}" font-size="12" text-anchor="end">{label}</text>"##,
            name = esc(&p.source),
            label = short(&p.source),
            tx = left - 8.0,
            ty = y + row_h * 0.65
        );
        let mut x0 = left;
        for l in labels {
            let n = counts.and_then(|c| c.get(l)).copied().unwrap_or(0);
            if total == 0 || n == 0 {
                continue;
            }
            let w = width * n as f64 / total as f64;
            s += &format!(
                r##"<rect x="{x0}" y="{ry}" width="{w}" height="{rh}" fill="{c}"><title>{name}: {l} {n} of {total}</title></rect>"##,
                ry = y + 4.0,
                rh = row_h - 8.0,
                c = label_colour(labels, l),
                name = esc(&p.source),
                l = esc(l)
            );
            x0 += w;
        }
        s += "</g>";
    }
    s + "</svg>"
}

/// Histogram of article scores in 20 bins over [-1, 1].
fn svg_histogram(d: &Data) -> String {
    let mut bins = [0u64; 20];
    for o in &d.obs {
        if let Some(v) = o.score {
            let i = (((v + 1.0) / 2.0 * 20.0).floor() as isize).clamp(0, 19) as usize;
            bins[i] += 1;
        }
    }
    let max = *bins.iter().max().unwrap_or(&1).max(&1) as f64;
    let (left, width, height, top) = (40.0, 700.0, 160.0, 10.0);
    let bw = width / 20.0;
    let mut s = format!(
        r##"<svg class="chart" id="histogram" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="histogram of article scores">"##,
        w = left + width + 20.0,
        h = top + height + 30.0
    );
    for (i, &n) in bins.iter().enumerate() {
        let bh = height * n as f64 / max;
        let lo = -1.0 + 0.1 * i as f64;
        s += &format!(
            r##"<rect x="{x}" y="{y}" width="{w}" height="{bh}" fill="{c}"><title>{lo:+.1} to {hi:+.1}: {articles}</title></rect>"##,
            articles = super::count(n as usize, "article"),
            x = left + bw * i as f64 + 1.0,
            y = top + height - bh,
            w = bw - 2.0,
            c = if lo < 0.0 { "#D55E00" } else { "#0072B2" },
            hi = lo + 0.1
        );
    }
    for t in [-1.0, -0.5, 0.0, 0.5, 1.0] {
        s += &format!(
            r##"<text x="{x}" y="{y}" font-size="11" text-anchor="middle">{t:+.1}</text>"##,
            x = left + (t + 1.0) / 2.0 * width,
            y = top + height + 20.0
        );
    }
    s + "</svg>"
}

/// The columns of the grid of periods: every period from the first article's to the last's,
/// those without an article included so that time runs evenly (only the periods met when
/// that would be more than [`MAX_PERIOD_COLUMNS`]), then [`UNDATED`] if any article is.
fn period_columns(obs: &[Observation], span: Period, per: &[SourceProfile]) -> Vec<String> {
    let dates = || obs.iter().filter_map(|o| o.date);
    let mut cols: Vec<String> = Vec::new();
    if let (Some(first), Some(last)) = (dates().min(), dates().max()) {
        let mut d = Some(first);
        while let Some(x) = d.filter(|&x| x <= last && cols.len() <= MAX_PERIOD_COLUMNS) {
            let name = x.period(span);
            if cols.last() != Some(&name) {
                cols.push(name);
            }
            d = x.next_day();
        }
        if cols.len() > MAX_PERIOD_COLUMNS {
            cols = per.iter().filter_map(|p| p.period.clone()).collect();
            cols.retain(|c| c != UNDATED);
            cols.sort();
            cols.dedup();
        }
    }
    if obs.iter().any(|o| o.date.is_none()) {
        cols.push(UNDATED.to_owned());
    }
    cols
}

/// Most columns of the grid of periods with the empty ones in.
const MAX_PERIOD_COLUMNS: usize = 400;

/// A grid of sources (rows, in the order of the overall profiles) by period (columns, in time
/// order): each cell shaded by the source's mean score in the period (hostile red, favourable
/// blue, stronger the further from 0; grey when none of its articles was scored), with its
/// article count written in.
fn svg_periods(d: &Data, span: Period, per: &[SourceProfile]) -> String {
    let cols = period_columns(&d.obs, span, per);
    let (left, top, row_h) = (250.0, 70.0, 22.0);
    let cell = (720.0 / cols.len().max(1) as f64).clamp(14.0, 60.0);
    let w = left + cell * cols.len() as f64 + 20.0;
    let h = top + row_h * d.profiles.len() as f64 + 10.0;
    let mut s = format!(
        r##"<svg class="chart" id="periods" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="mean {head} score by source and {span}">"##,
        head = esc(&d.head),
        span = period_name(span)
    );
    for (j, c) in cols.iter().enumerate() {
        let x = left + cell * (j as f64 + 0.5);
        s += &format!(
            r##"<text x="{x}" y="{y}" font-size="11" transform="rotate(-60 {x} {y})">{c}</text>"##,
            y = top - 6.0,
            c = esc(c)
        );
    }
    let col_of: BTreeMap<&str, usize> = cols
        .iter()
        .enumerate()
        .map(|(j, c)| (c.as_str(), j))
        .collect();
    let row_of: BTreeMap<&str, usize> = d
        .profiles
        .iter()
        .enumerate()
        .map(|(i, p)| (p.source.as_str(), i))
        .collect();
    for (i, p) in d.profiles.iter().enumerate() {
        s += &format!(
            r##"<text x="{tx}" y="{ty}" font-size="12" text-anchor="end">{label}</text>"##,
            tx = left - 8.0,
            ty = top + row_h * (i as f64 + 0.65),
            label = short(&p.source)
        );
    }
    for p in per {
        let (Some(&i), Some(&j)) = (
            row_of.get(p.source.as_str()),
            p.period.as_deref().and_then(|c| col_of.get(c)),
        ) else {
            continue;
        };
        let (fill, opacity, title) = match (p.mean_score, p.interval) {
            (Some(m), Some((a, b))) => (
                if m < 0.0 { "#D55E00" } else { "#0072B2" },
                0.15 + 0.85 * m.abs().min(1.0),
                format!("mean {m:+.3}, 95% interval [{a:+.3}, {b:+.3}]"),
            ),
            _ => ("#999999", 0.25, "no article scored".to_owned()),
        };
        let (x, y) = (left + cell * j as f64, top + row_h * i as f64);
        s += &format!(
            r##"<g class="cell" data-source="{name}" data-period="{period}"><rect x="{x}" y="{ry}" width="{cw}" height="{rh}" fill="{fill}" opacity="{opacity:.3}"/><text x="{tx}" y="{ty}" font-size="10" text-anchor="middle">{n}</text><title>{name}, {period}: {title}, {articles}</title></g>"##,
            name = esc(&p.source),
            period = esc(p.period.as_deref().unwrap_or("")),
            ry = y + 2.0,
            cw = cell - 2.0,
            rh = row_h - 4.0,
            tx = x + (cell - 2.0) / 2.0,
            ty = y + row_h * 0.65,
            n = p.articles,
            articles = super::count(p.articles as usize, "article"),
        );
    }
    s + "</svg>"
}

/// Rows of [`table_rows`] as an HTML table, the first row its header.
fn html_table(rows: &[Vec<String>]) -> String {
    let mut t = String::from("<table>");
    for (i, r) in rows.iter().enumerate() {
        let tag = if i == 0 { "th" } else { "td" };
        t += "<tr>";
        for c in r {
            t += &format!("<{tag}>{}</{tag}>", esc(c));
        }
        t += "</tr>";
    }
    t + "</table>"
}

fn html(d: &Data) -> String {
    let mut body = String::new();
    body += &format!(
        "<h1>Source report</h1><p>{} from {}. Score: <code>{}</code> (P(positive) &minus; P(negative), from &minus;1 to +1); bars show each source's mean, whiskers its 95% bootstrap interval over its articles.</p>",
        super::count(d.obs.len(), "article"),
        super::count(d.profiles.len(), "source"),
        esc(&d.head)
    );
    if let Some((k, n)) = matches(d) {
        body += &format!(
            "<p class=\"matches\">{k} of {n} sources' mean prediction matches their true label.</p>"
        );
    }
    body += &format!("<h2>Mean {} score by source</h2>", esc(&d.head));
    body += &svg_scores(d);
    for h in &d.heads {
        body += &format!("<h2>{} mix by source</h2>", esc(h));
        body += &svg_mix(d, h);
    }
    if let Some((span, per)) = &d.periods {
        body += &format!(
            "<h2>Mean {} score by source and {}</h2><p>Cells: a source's articles in the {}, shaded by their mean score (red hostile, blue favourable, paler nearer 0, grey when none was scored); the number is the article count.</p>",
            esc(&d.head),
            period_name(*span),
            period_name(*span)
        );
        body += &svg_periods(d, *span, per);
    }
    if let Some((neg, pos)) = &d.cue_poles {
        body += "<h2>What moves each source</h2><p>Per source, the cues that move its articles most toward each pole: mean log-odds per scored article, from each article's top cues each way (function words left out), with their commonest forms.</p>";
        let mut rows = vec![vec![
            "source".to_owned(),
            format!("toward {neg}"),
            format!("toward {pos}"),
        ]];
        for p in &d.profiles {
            let mut r = vec![p.source.clone()];
            for pole in [neg, pos] {
                r.push(cue_cell(p.cues.get(pole).map_or(&[][..], Vec::as_slice)));
            }
            rows.push(r);
        }
        body += &html_table(&rows).replace("<table>", "<table class=\"cues\">");
    }
    body += "<h2>Scores of single articles</h2>";
    body += &svg_histogram(d);
    body += "<h2>Table</h2>";
    body += &html_table(&table_rows(d, &d.profiles, None));
    if let Some((span, per)) = &d.periods {
        body += &format!("<h2>Table by {}</h2>", period_name(*span));
        body += &html_table(&table_rows(d, per, Some(&period_name(*span))));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>slant source report</title><style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}svg{{display:block;margin:1em 0}}table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left}}</style></head><body>{body}</body></html>\n"
    )
}

/// The confusion matrix as a heat map: cells shaded by the share of their row (true label),
/// with the count written in.
fn svg_confusion(head: &str, r: &slant::metrics::Report) -> String {
    let k = r.labels.len();
    let (left, top, cell) = (110.0, 60.0, 64.0);
    let w = left + cell * k as f64 + 20.0;
    let h = top + cell * k as f64 + 20.0;
    let mut s = format!(
        r##"<svg class="chart" id="confusion-{id}" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="confusion matrix of {id}"><text x="{cx}" y="14" font-size="12" text-anchor="middle">predicted</text><text x="12" y="{cy}" font-size="12" transform="rotate(-90 12 {cy})" text-anchor="middle">true</text>"##,
        id = esc(head),
        cx = left + cell * k as f64 / 2.0,
        cy = top + cell * k as f64 / 2.0
    );
    for (j, l) in r.labels.iter().enumerate() {
        s += &format!(
            r##"<text x="{x}" y="{y}" font-size="12" text-anchor="middle">{l}</text><text x="{lx}" y="{ly}" font-size="12" text-anchor="end">{l}</text>"##,
            x = left + cell * (j as f64 + 0.5),
            y = top - 8.0,
            lx = left - 6.0,
            ly = top + cell * (j as f64 + 0.55),
            l = esc(l)
        );
    }
    for (t, row) in r.confusion.iter().enumerate() {
        let total: u64 = row.iter().sum();
        for (p, &n) in row.iter().enumerate() {
            let share = if total == 0 {
                0.0
            } else {
                n as f64 / total as f64
            };
            // White to dark blue by share of the row.
            let c = |lo: f64, hi: f64| (lo + (hi - lo) * share).round() as u8;
            let fill = format!(
                "#{:02x}{:02x}{:02x}",
                c(255.0, 8.0),
                c(255.0, 48.0),
                c(255.0, 107.0)
            );
            s += &format!(
                r##"<g class="cell" data-true="{tl}" data-predicted="{pl}"><rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" stroke="#fff"/><text x="{tx}" y="{ty}" font-size="13" text-anchor="middle" fill="{ink}">{n}</text><title>true {tl}, predicted {pl}: {n} ({pct:.0}% of the row)</title></g>"##,
                tl = esc(&r.labels[t]),
                pl = esc(&r.labels[p]),
                x = left + cell * p as f64,
                y = top + cell * t as f64,
                tx = left + cell * (p as f64 + 0.5),
                ty = top + cell * (t as f64 + 0.55),
                ink = if share > 0.5 { "#fff" } else { "#000" },
                pct = share * 100.0
            );
        }
    }
    s + "</svg>"
}

/// Reliability diagram: per bin of top probability, the share predicted right (bars) against
/// the diagonal of perfect calibration; bin counts in the tooltips.
fn svg_reliability(head: &str, r: &slant::metrics::Report) -> String {
    let (left, top, size) = (50.0, 20.0, 300.0);
    let w = left + size + 20.0;
    let h = top + size + 40.0;
    let x = |v: f64| left + v * size;
    let y = |v: f64| top + (1.0 - v) * size;
    let mut s = format!(
        r##"<svg class="chart" id="reliability-{id}" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="reliability diagram of {id}"><rect x="{left}" y="{top}" width="{size}" height="{size}" fill="none" stroke="#999"/><line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#999" stroke-dasharray="4 3"/>"##,
        id = esc(head),
        x0 = x(0.0),
        y0 = y(0.0),
        x1 = x(1.0),
        y1 = y(1.0)
    );
    for (i, b) in r.reliability.iter().enumerate() {
        if b.count == 0 {
            continue;
        }
        s += &format!(
            r##"<rect class="bin" x="{bx}" y="{by}" width="{bw}" height="{bh}" fill="#0072B2" opacity="0.8"><title>top probability {lo:.1}-{hi:.1}: {n} rows, mean {c:.3}, right {a:.3}</title></rect><circle cx="{cx}" cy="{cy}" r="3" fill="#D55E00"/>"##,
            bx = x(i as f64 / 10.0) + 2.0,
            by = y(b.accuracy),
            bw = size / 10.0 - 4.0,
            bh = size * b.accuracy,
            lo = i as f64 / 10.0,
            hi = (i + 1) as f64 / 10.0,
            n = b.count,
            c = b.confidence,
            a = b.accuracy,
            cx = x(b.confidence),
            cy = y(b.confidence)
        );
    }
    for t in [0.0, 0.5, 1.0] {
        s += &format!(
            r##"<text x="{tx}" y="{ty}" font-size="11" text-anchor="middle">{t:.1}</text><text x="{lx}" y="{ly}" font-size="11" text-anchor="end">{t:.1}</text>"##,
            tx = x(t),
            ty = top + size + 14.0,
            lx = left - 4.0,
            ly = y(t) + 4.0
        );
    }
    s += &format!(
        r##"<text x="{cx}" y="{by}" font-size="12" text-anchor="middle">top probability (dots: mean per bin)</text>"##,
        cx = left + size / 2.0,
        by = top + size + 32.0
    );
    s + "</svg>"
}

/// The HTML page of `slant eval --html`.
pub fn eval_html(title: &str, reports: &[(String, slant::metrics::Report)]) -> String {
    let mut body = format!("<h1>Evaluation</h1><p>{}</p>", esc(title));
    for (head, r) in reports {
        body += &format!(
            "<h2>{}</h2><p>{} rows; accuracy {:.4}; macro-F1 {:.4}{}; expected calibration error {:.4}; log loss {:.4}</p>",
            esc(head),
            r.n,
            r.accuracy,
            r.macro_f1,
            r.f_avg.as_ref().map_or(String::new(), |f| format!(
                "; F_avg({}, {}) {:.4}",
                esc(&f.positive),
                esc(&f.negative),
                f.value
            )),
            r.ece,
            r.log_loss
        );
        body += "<table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>";
        for c in &r.per_class {
            body += &format!(
                "<tr><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td><td>{}</td></tr>",
                esc(&c.label),
                c.precision,
                c.recall,
                c.f1,
                c.support
            );
        }
        body += "</table><div class=\"row\">";
        body += &svg_confusion(head, r);
        body += &svg_reliability(head, r);
        body += "</div>";
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>slant evaluation</title><style>body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}.row{{display:flex;gap:2em;align-items:flex-start}}svg{{display:block;margin:1em 0}}table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px;text-align:left}}</style></head><body>{body}</body></html>\n"
    )
}
