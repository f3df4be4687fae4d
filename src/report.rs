//! Reports: records and evaluation results written as a terminal table, JSON Lines or CSV.

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use crate::classify::{Evidence, KeySentence, Record};
use crate::metrics::Report;
use crate::model::Model;

/// The columns `s` takes on a terminal: two for a wide character (CJK, most emoji), none for a
/// combining mark or another zero-width character (Unicode's East Asian Width, through the
/// `unicode-width` crate). `format!`'s `{:<w$}` counts characters instead, which pushes the
/// rest of a table's row out of line after such a cell.
pub fn display_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` followed by spaces up to `width` display columns ([`display_width`]): `{:<width$}` by
/// columns, not characters. A wider `s` is returned as it is.
pub fn pad_right(s: &str, width: usize) -> String {
    let mut out = s.to_owned();
    out.extend(std::iter::repeat_n(
        ' ',
        width.saturating_sub(display_width(s)),
    ));
    out
}

/// `s` after spaces up to `width` display columns: `{:>width$}` by columns.
pub fn pad_left(s: &str, width: usize) -> String {
    let mut out: String =
        std::iter::repeat_n(' ', width.saturating_sub(display_width(s))).collect();
    out.push_str(s);
    out
}

/// Output format of `classify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable blocks with the evidence.
    Table,
    /// One JSON object per line.
    Jsonl,
    /// One CSV row per document.
    Csv,
    /// A web page: each article's text with every sentence shaded by what its words carry
    /// toward each label, the target's mentions marked, and the table's evidence.
    Html,
}

/// Writes classification records in one format.
pub struct RecordWriter<W: Write> {
    sink: Sink<W>,
    /// Per head: name, labels, and for a head with a polarity its (positive, negative) labels.
    heads: Vec<HeadColumns>,
}

type HeadColumns = (String, Vec<String>, Option<(String, String)>);

enum Sink<W: Write> {
    Table(W),
    Jsonl(W),
    Csv(Box<csv::Writer<W>>),
    /// The page, its index rows (at most [`crate::view::INDEX_ROWS`], written at the end) and
    /// how many articles it holds.
    Html {
        out: W,
        index: Vec<String>,
        written: usize,
    },
}

/// Key sentences each way that the evidence block of the web page lists (the shaded text shows
/// them all).
const HTML_TABLE_SENTENCES: usize = 3;

impl<W: Write> RecordWriter<W> {
    /// A writer for `model`'s heads. CSV output starts with a header row.
    pub fn new(out: W, format: Format, model: &Model) -> io::Result<Self> {
        let heads: Vec<HeadColumns> = model
            .heads()
            .iter()
            .map(|h| {
                let pole = |i: u32| h.labels[i as usize].clone();
                let poles = h.polarity.map(|(pos, neg)| (pole(pos), pole(neg)));
                (h.name.clone(), h.labels.clone(), poles)
            })
            .collect();
        let sink = match format {
            Format::Table => Sink::Table(out),
            Format::Html => {
                let mut out = out;
                crate::view::page_start(&mut out, "slant: articles read by the model")?;
                Sink::Html {
                    out,
                    index: Vec::new(),
                    written: 0,
                }
            }
            Format::Jsonl => Sink::Jsonl(out),
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                let mut header = vec![
                    "id".to_owned(),
                    "source".into(),
                    "date".into(),
                    "mentions".into(),
                    "tokens".into(),
                    "known_words".into(),
                ];
                for (name, labels, polar) in &heads {
                    header.push(name.clone());
                    header.push(format!("{name}_confidence"));
                    header.extend(labels.iter().map(|l| format!("{name}_p_{l}")));
                    if polar.is_some() {
                        header.push(format!("{name}_score"));
                    }
                    header.push(format!("{name}_evidence"));
                    if let Some((pos, neg)) = polar {
                        header.push(format!("{name}_leans_{pos}"));
                        header.push(format!("{name}_leans_{neg}"));
                    }
                    header.push(format!("{name}_absent"));
                    header.push(format!("{name}_sentences"));
                    header.push(format!("{name}_sentences_against"));
                    header.push(format!("{name}_note"));
                }
                header.push("warnings".into());
                w.write_record(&header).map_err(csv_io)?;
                Sink::Csv(Box::new(w))
            }
        };
        Ok(RecordWriter { sink, heads })
    }

    /// Write one record (on the web page, without its text: see [`RecordWriter::write_doc`]).
    pub fn write(&mut self, r: &Record) -> io::Result<()> {
        self.write_doc(r, None)
    }

    /// Write one record; the web page also shows `text`, the text it was classified from, with
    /// its marks (the other formats do not use it).
    pub fn write_doc(
        &mut self,
        r: &Record,
        text: Option<(&str, &crate::classify::TextMarks)>,
    ) -> io::Result<()> {
        match &mut self.sink {
            Sink::Html {
                out,
                index,
                written,
            } => {
                let mut listed = r.clone();
                for h in &mut listed.heads {
                    h.sentences.truncate(HTML_TABLE_SENTENCES);
                    h.sentences_against.truncate(HTML_TABLE_SENTENCES);
                }
                let mut table = Vec::new();
                write_table(&mut table, &listed)?;
                let labels: Vec<&[String]> =
                    self.heads.iter().map(|(_, l, _)| l.as_slice()).collect();
                *written += 1;
                if index.len() < crate::view::INDEX_ROWS {
                    index.push(crate::view::index_row(*written, r, &labels));
                }
                crate::view::write_section(
                    out,
                    *written,
                    r,
                    text,
                    &labels,
                    &String::from_utf8_lossy(&table),
                )
            }
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, r)?;
                out.write_all(b"\n")
            }
            Sink::Table(out) => write_table(out, r),
            Sink::Csv(w) => {
                let mut row = vec![
                    r.id.clone(),
                    r.source.clone().unwrap_or_default(),
                    r.date.map(|d| d.to_string()).unwrap_or_default(),
                    r.mentions.to_string(),
                    r.tokens.to_string(),
                    r.known_words.map(|k| k.to_string()).unwrap_or_default(),
                ];
                for ((_, labels, polar), h) in self.heads.iter().zip(&r.heads) {
                    row.push(h.label.clone().unwrap_or_default());
                    row.push(h.confidence.map(|c| c.to_string()).unwrap_or_default());
                    for l in labels {
                        let p = h.probabilities.as_ref().and_then(|p| p.get(l));
                        row.push(p.map(|p| p.to_string()).unwrap_or_default());
                    }
                    if polar.is_some() {
                        row.push(h.score.map(|s| s.to_string()).unwrap_or_default());
                    }
                    row.push(evidence_cell(&h.evidence));
                    if polar.is_some() {
                        // Both columns, empty when the head was not scored or not explained.
                        for i in 0..2 {
                            row.push(
                                h.leanings()
                                    .get(i)
                                    .map(|l| evidence_cell(&l.evidence))
                                    .unwrap_or_default(),
                            );
                        }
                    }
                    // "lex:criticism -> anti; lex:praise -> pro".
                    let absent: Vec<String> = h
                        .absent
                        .iter()
                        .map(|a| format!("{} -> {}", a.feature, a.favours))
                        .collect();
                    row.push(absent.join("; "));
                    row.push(sentences_cell(&h.sentences));
                    row.push(sentences_cell(&h.sentences_against));
                    row.push(h.note.clone().unwrap_or_default());
                }
                row.push(r.warnings.join("; "));
                w.write_record(&row).map_err(csv_io)
            }
        }
    }

    /// Flush buffered output.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Table(w) | Sink::Jsonl(w) | Sink::Html { out: w, .. } => w.flush(),
            Sink::Csv(w) => w.flush(),
        }
    }

    /// End the output (the web page's closing tags) and flush it.
    pub fn finish(mut self) -> io::Result<()> {
        if let Sink::Html {
            out,
            index,
            written,
        } = &mut self.sink
        {
            let heads: Vec<&str> = self.heads.iter().map(|(n, _, _)| n.as_str()).collect();
            crate::view::page_end(out, &heads, index, *written)?;
        }
        self.flush()
    }
}

/// The csv crate wraps I/O errors; unwrap them so a closed pipe stays recognisable.
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Evidence in one CSV cell: `feature +0.123; feature -0.045`, and `(either side)` after an
/// item that weighs the same for both poles ([`Evidence::either_side`]).
fn evidence_cell(evidence: &[Evidence]) -> String {
    let items: Vec<String> = evidence
        .iter()
        .map(|e| {
            let side = if e.either_side { " (either side)" } else { "" };
            let function = if e.function_words {
                " (function words)"
            } else {
                ""
            };
            format!("{} {:+.3}{side}{function}", e.feature, e.contribution)
        })
        .collect();
    items.join("; ")
}

/// Key sentences in one CSV cell: `0.412 toward pro: “...” | 0.120 toward pro: “...”`.
fn sentences_cell(sentences: &[KeySentence]) -> String {
    let items: Vec<String> = sentences
        .iter()
        .map(|k| {
            let quoted = if k.quoted { "(quoted) " } else { "" };
            let about = not_about(k);
            format!(
                "{:.3} toward {}: {quoted}{about}\u{201C}{}\u{201D}",
                k.effect, k.toward, k.text
            )
        })
        .collect();
    items.join(" | ")
}

fn write_sentences<W: Write>(
    w: &mut W,
    sentences: &[KeySentence],
    against: bool,
) -> io::Result<()> {
    for k in sentences {
        let toward = if against {
            format!("toward {}: ", k.toward)
        } else {
            String::new()
        };
        let quoted = if k.quoted { "(quoted) " } else { "" };
        let about = not_about(k);
        writeln!(
            w,
            "        {:.2}  {toward}{quoted}{about}\u{201C}{}\u{201D}",
            k.effect, k.text
        )?;
    }
    Ok(())
}

/// The mark of a stance's key sentence that is not about the target (see
/// [`KeySentence::about_target`]).
fn not_about(k: &KeySentence) -> &'static str {
    if k.about_target == Some(false) {
        "(not about the target) "
    } else {
        ""
    }
}

/// In the table, evidence items that move a logit by less than this are named on one line
/// instead of one line each: a list of stems at +0.02 reads as reasons, and they are not (the
/// label then comes from many small weights, which the line says). JSON and CSV keep them all.
pub const MINOR_CONTRIBUTION: f32 = 0.05;

/// At most this many items below [`MINOR_CONTRIBUTION`] are named.
const MINOR_NAMES: usize = 5;

/// One evidence list. The items that can pick a side come first; function words follow on one
/// line; those that weigh the same for both poles follow under a line of their own, so that a
/// list led by "how much the text is about him" does not read as the reason for one side (every
/// evidence reader took them for that). `poles`: for a head with a polarity, the mark put after
/// an item that weighs the same for both poles (see [`Evidence::either_side`]), "[same for pro
/// and anti]". `toward_pole`: whether the list pushes toward a pole (its tied items say the
/// text takes a side) or toward the label between the poles (they say it does not).
fn write_evidence<W: Write>(
    w: &mut W,
    evidence: &[Evidence],
    poles: &str,
    toward_pole: bool,
) -> io::Result<()> {
    let split = evidence
        .iter()
        .position(|e| e.contribution < MINOR_CONTRIBUTION)
        .unwrap_or(evidence.len());
    let (major, minor) = evidence.split_at(split);
    let (sided, tied): (Vec<&Evidence>, Vec<&Evidence>) =
        major.iter().partition(|e| !e.either_side);
    // Function words ("him", "but he") on one line after the items that say something.
    let (function, sided): (Vec<&Evidence>, Vec<&Evidence>) =
        sided.into_iter().partition(|e| e.function_words);
    let line = |w: &mut W, e: &Evidence| {
        let mut quotes: Vec<String> = e
            .text
            .iter()
            .map(|q| format!("\u{201C}{q}\u{201D}"))
            .collect();
        quotes.extend(e.measured.clone());
        if e.either_side {
            quotes.push(poles.into());
        }
        writeln!(
            w,
            "        {:+.3}  {} {}",
            e.contribution,
            pad_right(&e.feature, 28),
            quotes.join(" ")
        )
    };
    for e in &sided {
        line(w, e)?;
    }
    if !function.is_empty() {
        let items: Vec<String> = function
            .iter()
            .map(|e| format!("{} {:+.3}", e.feature, e.contribution))
            .collect();
        writeln!(
            w,
            "        and function words (how it is written more than what it says): {}",
            items.join(", ")
        )?;
    }
    let said_something = !(sided.is_empty() && function.is_empty());
    if !tied.is_empty() && said_something {
        if toward_pole {
            writeln!(w, "        and, for taking a side at all (not which one):")?;
        } else {
            writeln!(
                w,
                "        and, for taking no side (they weigh the same for either):"
            )?;
        }
    }
    for e in &tied {
        line(w, e)?;
    }
    if !minor.is_empty() {
        // The largest few, function words only when nothing else is there.
        let mut names: Vec<&str> = minor
            .iter()
            .filter(|e| !e.function_words)
            .map(|e| e.feature.as_str())
            .collect();
        if names.is_empty() {
            names = minor.iter().map(|e| e.feature.as_str()).collect();
        }
        names.truncate(MINOR_NAMES);
        let names = names.join(", ");
        if major.is_empty() {
            writeln!(
                w,
                "        no single item moves it by {MINOR_CONTRIBUTION} or more; the largest: {names}"
            )?;
        } else {
            writeln!(w, "        and below {MINOR_CONTRIBUTION}: {names}")?;
        }
    }
    Ok(())
}

fn write_table<W: Write>(w: &mut W, r: &Record) -> io::Result<()> {
    let mut title = format!("\u{2500}\u{2500} {}", r.id);
    if let Some(s) = &r.source {
        title.push_str(&format!("  [{s}]"));
    }
    if let Some(d) = r.date {
        title.push_str(&format!("  {d}"));
    }
    writeln!(
        w,
        "{title}  \u{00B7} {} mention{}",
        r.mentions,
        if r.mentions == 1 { "" } else { "s" }
    )?;
    for h in &r.heads {
        match (&h.label, &h.probabilities) {
            (Some(label), Some(probs)) => {
                let dist: Vec<String> = probs.iter().map(|(l, p)| format!("{l} {p:.2}")).collect();
                let mut line = format!(
                    "   {} {} {}",
                    pad_right(&h.head, 9),
                    pad_right(label, 11),
                    dist.join("  ")
                );
                if let Some(s) = h.score {
                    line.push_str(&format!("   score {s:+.2}"));
                }
                writeln!(w, "{line}")?;
                let poles = match h.leanings() {
                    [l, ..] => format!("[same for {} and {}]", l.label, l.against),
                    [] => String::new(),
                };
                // The poles of the head, if it has them.
                let is_pole = |l: &str| h.leanings().iter().any(|x| x.label == l);
                write_evidence(w, &h.evidence, &poles, is_pole(label))?;
                if !h.absent.is_empty() {
                    let cues: Vec<String> = h.absent.iter().map(ToString::to_string).collect();
                    writeln!(
                        w,
                        "        the writer's own voice has none of: {}",
                        cues.join(", ")
                    )?;
                }
                for l in h.leanings() {
                    writeln!(w, "        leans {}, against {}:", l.label, l.against)?;
                    if l.evidence.is_empty() {
                        writeln!(w, "        (nothing in the text)")?;
                    }
                    write_evidence(w, &l.evidence, &poles, true)?;
                }
                if let Some(ru) = &h.runner_up {
                    writeln!(
                        w,
                        "        close call: {} {:.2}; for it, against {label}:",
                        ru.label, ru.probability
                    )?;
                    write_evidence(w, &ru.evidence, &poles, is_pole(&ru.label))?;
                    writeln!(w, "        for {label}, against {}:", ru.label)?;
                    write_evidence(w, &ru.counter_evidence, &poles, is_pole(label))?;
                }
                if !h.sentences.is_empty() {
                    writeln!(
                        w,
                        "        sentences that make it {label} (log-odds its words carry):"
                    )?;
                    // Key sentences for a stance list the writer's own first, then the quoted
                    // ones among the strongest (see `Model::key_sentences`): where a quoted one
                    // outweighs the first, they are set apart under a line that says so.
                    let own = h.sentences.iter().take_while(|k| !k.quoted).count();
                    let (mine, quoted) = h.sentences.split_at(own);
                    let set_apart = mine
                        .first()
                        .is_some_and(|first| quoted.iter().any(|k| k.effect > first.effect));
                    if set_apart {
                        write_sentences(w, mine, false)?;
                        writeln!(
                            w,
                            "        and, quoted (not the writer's voice, but the model leans on them):"
                        )?;
                        write_sentences(w, quoted, false)?;
                    } else {
                        write_sentences(w, &h.sentences, false)?;
                    }
                }
                if !h.sentences_against.is_empty() {
                    writeln!(w, "        sentences that pull away from {label}:")?;
                    write_sentences(w, &h.sentences_against, true)?;
                }
            }
            _ => writeln!(
                w,
                "   {} \u{2014}  ({})",
                pad_right(&h.head, 9),
                h.note.as_deref().unwrap_or("not scored")
            )?,
        }
    }
    for warning in &r.warnings {
        writeln!(w, "   warning: {warning}")?;
    }
    writeln!(w)
}

/// Write one head's evaluation as text.
pub fn write_eval<W: Write>(w: &mut W, head: &str, r: &Report) -> io::Result<()> {
    writeln!(w, "head {head}  (n = {})", r.n)?;
    let mut line = format!("  accuracy {:.4}   macro-F1 {:.4}", r.accuracy, r.macro_f1);
    if let Some(fa) = &r.f_avg {
        line.push_str(&format!(
            "   F_avg({},{}) {:.4}",
            fa.positive, fa.negative, fa.value
        ));
    }
    line.push_str(&format!("   ECE {:.4}   log loss {:.4}", r.ece, r.log_loss));
    writeln!(w, "{line}")?;
    let width = r
        .labels
        .iter()
        .map(|l| display_width(l))
        .max()
        .unwrap_or(5)
        .max(5);
    writeln!(
        w,
        "  {}  precision  recall  f1      support",
        pad_right("label", width)
    )?;
    for c in &r.per_class {
        writeln!(
            w,
            "  {}  {:<9.4}  {:<6.4}  {:<6.4}  {}",
            pad_right(&c.label, width),
            c.precision,
            c.recall,
            c.f1,
            c.support
        )?;
    }
    writeln!(w, "  confusion (rows: true, columns: predicted)")?;
    let cw = width.max(6);
    let mut header = format!("  {:<width$}", "");
    for l in &r.labels {
        header.push_str(&format!("  {}", pad_left(l, cw)));
    }
    writeln!(w, "{header}")?;
    for (l, row) in r.labels.iter().zip(&r.confusion) {
        let mut line = format!("  {}", pad_right(l, width));
        for v in row {
            line.push_str(&format!("  {v:>cw$}"));
        }
        writeln!(w, "{line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::{HeadResult, Leaning};

    fn item(feature: &str, contribution: f32) -> Evidence {
        Evidence {
            feature: feature.into(),
            contribution,
            text: vec![feature.into()],
            measured: None,
            either_side: false,
            function_words: false,
        }
    }

    fn table(evidence: Vec<Evidence>, leaning: Vec<Evidence>) -> String {
        table_for("neutral", evidence, leaning)
    }

    fn table_for(label: &str, evidence: Vec<Evidence>, leaning: Vec<Evidence>) -> String {
        let r = Record {
            id: "d".into(),
            source: None,
            date: None,
            mentions: 1,
            tokens: 10,
            known_words: Some(1.0),
            heads: vec![HeadResult {
                head: "stance".into(),
                label: Some(label.into()),
                confidence: Some(0.6),
                probabilities: Some(
                    [("anti", 0.1), ("neutral", 0.6), ("pro", 0.3)]
                        .map(|(l, p)| (l.to_owned(), p))
                        .into(),
                ),
                score: Some(0.2),
                evidence,
                runner_up: None,
                leanings: Some(vec![Leaning {
                    label: "pro".into(),
                    against: "anti".into(),
                    evidence: leaning,
                }]),
                sentences: vec![],
                sentences_against: vec![],
                absent: vec![],
                note: None,
            }],
            warnings: vec![],
        };
        let mut out = Vec::new();
        write_table(&mut out, &r).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn minor_items_are_named_on_one_line() {
        let t = table(
            vec![item("movement", 0.026), item("on", 0.02)],
            vec![
                item("lex:praise", 0.43),
                item("parti", 0.056),
                item("person", 0.045),
            ],
        );
        let lines: Vec<&str> = t.lines().map(str::trim).collect();
        // Nothing of weight: one line says so and names them.
        assert!(
            lines.contains(&"no single item moves it by 0.05 or more; the largest: movement, on"),
            "{t}"
        );
        assert!(!lines.iter().any(|l| l.starts_with("+0.026")), "{t}");
        // Items of weight one per line, the rest after them.
        let at = |p: &str| lines.iter().position(|l| l.starts_with(p)).unwrap();
        assert!(at("+0.430  lex:praise") < at("+0.056  parti"));
        assert!(at("+0.056  parti") < at("and below 0.05: person"));
        assert!(at("leans pro, against anti:") < at("+0.430"));
    }

    #[test]
    fn function_words_share_one_line_after_the_other_items() {
        let function = |f: &str, c: f32| Evidence {
            function_words: true,
            ..item(f, c)
        };
        let t = table(
            vec![],
            vec![
                function("him", 0.09),
                item("lex:praise", 0.08),
                function("but he", 0.06),
                function("as", 0.01),
                item("tri", 0.02),
            ],
        );
        let lines: Vec<&str> = t.lines().map(str::trim).collect();
        let at = |p: &str| lines.iter().position(|l| l.starts_with(p)).unwrap();
        assert!(at("+0.080  lex:praise") < at("and function words"), "{t}");
        assert!(
            lines.contains(
                &"and function words (how it is written more than what it says): him +0.090, but he +0.060"
            ),
            "{t}"
        );
        assert!(!lines.iter().any(|l| l.starts_with("+0.090")), "{t}");
        // Below 0.05, function words are not named when something else is.
        assert!(lines.contains(&"and below 0.05: tri"), "{t}");
    }

    #[test]
    fn csv_evidence_cells_mark_items_that_take_no_side() {
        let tied = Evidence {
            either_side: true,
            ..item("target:per_1k", 0.6)
        };
        let him = Evidence {
            function_words: true,
            ..item("him", 0.3)
        };
        assert_eq!(
            evidence_cell(&[tied, him, item("tri", 0.2)]),
            "target:per_1k +0.600 (either side); him +0.300 (function words); tri +0.200"
        );
    }

    #[test]
    fn items_that_weigh_the_same_for_both_poles_say_so() {
        let tied = Evidence {
            either_side: true,
            ..item("target:per_1k", 0.6)
        };
        let t = table_for("pro", vec![tied.clone(), item("him", 0.3)], vec![]);
        let line = |p: &str| t.lines().find(|l| l.contains(p)).unwrap();
        assert!(
            line("target:per_1k").ends_with("[same for pro and anti]"),
            "{t}"
        );
        assert!(!line("him").contains("same for"), "{t}");
        // The item that can pick a side is listed first, the tied one after a line saying so,
        // though it weighs more.
        let at = |p: &str| t.find(p).unwrap();
        assert!(at("him") < at("for taking a side at all"), "{t}");
        assert!(at("for taking a side at all") < at("target:per_1k"), "{t}");
        // In the list of the label between the poles, the same items argue for taking none.
        let t = table(vec![tied, item("him", 0.3)], vec![]);
        let at = |p: &str| t.find(p).unwrap();
        assert!(!t.contains("for taking a side at all"), "{t}");
        assert!(at("him") < at("for taking no side"), "{t}");
        assert!(at("for taking no side") < at("target:per_1k"), "{t}");
    }

    /// The display column (as a terminal shows it) where `needle` starts in `line`.
    fn column_of(line: &str, needle: &str) -> usize {
        let at = line
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} in {line:?}"));
        UnicodeWidthStr::width(&line[..at])
    }

    #[test]
    fn wide_characters_do_not_push_the_columns_out_of_line() {
        // CJK (two columns a character), Arabic with combining vowel marks (none for a mark),
        // an emoji (two).
        let wide = [
            ("立场", "中立"),
            (
                "\u{645}\u{64e}\u{648}\u{652}\u{642}\u{650}\u{641}",
                "\u{645}\u{64f}\u{624}\u{64e}\u{64a}\u{651}\u{650}\u{62f}",
            ),
            ("📰x", "pro😀"),
        ];
        let row = |head: &str, label: &str, feature: &str| {
            let mut out = Vec::new();
            let mut r = Record {
                id: "d".into(),
                source: None,
                date: None,
                mentions: 1,
                tokens: 10,
                known_words: Some(1.0),
                heads: vec![],
                warnings: vec![],
            };
            let mut h = crate::classify::HeadResult {
                head: head.into(),
                label: Some(label.into()),
                confidence: Some(0.6),
                probabilities: Some([("anti".to_owned(), 0.4)].into()),
                score: None,
                evidence: vec![item(feature, 0.5)],
                runner_up: None,
                leanings: None,
                sentences: vec![],
                sentences_against: vec![],
                absent: vec![],
                note: None,
            };
            r.heads.push(h.clone());
            h.label = None;
            h.note = Some("not scored".into());
            r.heads.push(h);
            write_table(&mut out, &r).unwrap();
            String::from_utf8(out).unwrap()
        };
        let plain = row("stance", "neutral", "lex:praise");
        let cols = |t: &str| {
            let lines: Vec<&str> = t.lines().collect();
            (
                column_of(lines[1], "anti 0.40"),
                // The quote after the feature name (the item's text is its name).
                column_of(lines[2], "\u{201C}"),
                column_of(lines[3], "\u{2014}"),
            )
        };
        for (head, label) in wide {
            let t = row(head, label, &format!("chars:'{label}'"));
            assert_eq!(cols(&t), cols(&plain), "{t}{plain}");
        }

        // The evaluation's tables: per-class rows under the header's columns, and the
        // confusion matrix's columns under its labels.
        let labels: Vec<String> = wide.iter().map(|(_, l)| l.to_string()).collect();
        let truth = [0, 1, 2, 2];
        let proba: Vec<Vec<f32>> = [0, 1, 2, 1]
            .iter()
            .map(|&p| (0..3).map(|c| if c == p { 0.8 } else { 0.1 }).collect())
            .collect();
        let r = crate::metrics::evaluate(&labels, &truth, &proba, None);
        let mut out = Vec::new();
        write_eval(&mut out, "立场", &r).unwrap();
        let t = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = t.lines().collect();
        let precision = column_of(lines[2], "precision");
        for l in &lines[3..6] {
            let digit = l.find(|c: char| c.is_ascii_digit()).unwrap();
            assert_eq!(UnicodeWidthStr::width(&l[..digit]), precision, "{t}");
        }
        let confusion = &lines[7..11];
        for l in confusion {
            assert_eq!(
                UnicodeWidthStr::width(*l),
                UnicodeWidthStr::width(confusion[0]),
                "{t}"
            );
        }
    }
}
