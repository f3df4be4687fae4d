//! `classify --format html`: a web page to read each article with the model's reading laid over
//! it. Per head, the article's text with every sentence shaded by the log-odds its words carry
//! (the colour of the label it pushes toward, the strength of the shade its size: the key
//! sentences of the table, all of them), the target's mentions marked, mostly quoted sentences
//! in italics; the label and probabilities in the summary line; the table's evidence below.
//! The page is written as records come (a section per article), so memory stays flat.

use std::io::{self, Write};

use crate::classify::{HeadResult, KeySentence, Record, TextMarks};

/// `s` with the characters that HTML gives a meaning escaped (text and attribute values).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Colours for labels, in label order (colour-blind-safe Okabe-Ito palette).
const PALETTE: [&str; 8] = [
    "#D55E00", "#999999", "#0072B2", "#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442",
];

/// A label's colour: polar labels get fixed ones (hostile red, neutral grey, favourable blue),
/// the others one of the palette by their place among `head_labels`.
pub fn label_colour(head_labels: &[String], l: &str) -> &'static str {
    match l.to_ascii_lowercase().as_str() {
        "anti" | "against" | "left" => "#D55E00",
        "neutral" | "none" | "center" | "centre" => "#999999",
        "pro" | "favor" | "right" => "#0072B2",
        _ => {
            let i = head_labels.iter().position(|x| x == l).unwrap_or(0);
            PALETTE[(i + 3) % PALETTE.len()]
        }
    }
}

/// Log-odds at which a sentence's shade is strongest.
const FULL_SHADE: f32 = 2.0;

/// The page's start: its head, style and a note on how to read it.
pub fn page_start<W: Write>(w: &mut W, title: &str) -> io::Result<()> {
    write!(
        w,
        r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:62rem;margin:1.5rem auto;padding:0 1rem;line-height:1.5;color:#222}}
section.doc{{border-top:2px solid #ccc;margin-top:2rem;padding-top:.5rem}}
h2{{font-size:1.1rem;margin:.3rem 0;word-break:break-all}}
.meta{{color:#555;font-size:.9rem;margin:0 0 .4rem}}
.warn{{color:#8a4b00;font-size:.9rem}}
summary{{cursor:pointer;margin:.3rem 0}}
.label{{font-weight:600}}
.text{{white-space:pre-wrap;border-left:3px solid #eee;padding-left:.8rem;margin:.3rem 0 .8rem}}
.s{{border-radius:3px}}
.q{{font-style:italic}}
.r{{color:#888;font-size:.85em}}
mark.m{{background:none;color:inherit;font-weight:700;border-bottom:2px solid #222}}
.key{{font-size:.85rem;color:#444}}
.key span{{border-radius:3px;padding:0 .35em;margin-right:.4em}}
table{{border-collapse:collapse;font-size:.9rem}} td,th{{border:1px solid #ddd;padding:.15rem .4rem;text-align:left}}
pre{{white-space:pre-wrap;font-size:.82rem;background:#f6f6f6;padding:.5rem;overflow-x:auto}}
</style></head><body>
<h1>{title}</h1>
<p class="key">Each head's summary gives its label and probabilities; open it to read the text with every sentence shaded by the log-odds its own words carry toward a label: the colour of that label (grey: toward neutral), deeper for more, unshaded under 0.05. A sentence that pulls away from the chosen label shows the label it favours most. Long sentences carry more words and so, often, more. What belongs to no one sentence (how often the text names the target, how much of it is near a name, the cues it lacks) is listed under each head and counts too. <b>Bold underlined</b>: a mention of the target. <i>Italics</i>: a sentence mostly quoted or reported (the model reads it apart from the writer's own words, but it still moves it). <span class="r">Grey small text</span>: a line the model does not read (web residue: a "Read also" teaser, a share line). Hover a sentence for its figure. <a href="#index">The index of the articles</a> is at the end.</p>
"##,
        title = esc(title)
    )
}

/// Rows the index at the end of the page lists at most (a page of more articles is a long
/// page anyway; the rest are counted).
pub const INDEX_ROWS: usize = 20_000;

/// The index row of the `n`-th article: a link to its section, its source and date, and each
/// head's label with its probability.
pub fn index_row(n: usize, r: &Record, labels: &[&[String]]) -> String {
    let mut row = format!(
        "<tr><td><a href=\"#doc-{n}\">{}</a></td><td>{}</td><td>{}</td>",
        esc(&r.id),
        esc(r.source.as_deref().unwrap_or("")),
        r.date.map(|d| d.to_string()).unwrap_or_default()
    );
    for (h, labels) in r.heads.iter().zip(labels) {
        match (&h.label, h.confidence) {
            (Some(l), Some(p)) => {
                row += &format!(
                    "<td><span style=\"color:{}\">{}</span> {p:.2}</td>",
                    label_colour(labels, l),
                    esc(l)
                )
            }
            _ => row += "<td>-</td>",
        }
    }
    row + "</tr>"
}

/// The page's end: the index of its articles (`rows`, of `total`), then the closing tags.
pub fn page_end<W: Write>(
    w: &mut W,
    heads: &[&str],
    rows: &[String],
    total: usize,
) -> io::Result<()> {
    write!(
        w,
        "<section id=\"index\"><h2>Index of the {total} article{}</h2><table><tr><th>id</th><th>source</th><th>date</th>",
        if total == 1 { "" } else { "s" }
    )?;
    for h in heads {
        write!(w, "<th>{}</th>", esc(h))?;
    }
    writeln!(w, "</tr>")?;
    for row in rows {
        writeln!(w, "{row}")?;
    }
    write!(w, "</table>")?;
    if total > rows.len() {
        write!(w, "<p class=\"key\">and {} more</p>", total - rows.len())?;
    }
    w.write_all(b"</section>\n</body></html>\n")
}

/// One article's section: `r`'s heads over `text` (the text it was classified from, with its
/// target mentions' byte ranges) when given, and `table`, the record as the table writes it.
pub fn write_section<W: Write>(
    w: &mut W,
    n: usize,
    r: &Record,
    text: Option<(&str, &TextMarks)>,
    labels: &[&[String]],
    table: &str,
) -> io::Result<()> {
    writeln!(
        w,
        "<section class=\"doc\" id=\"doc-{n}\"><h2>{}</h2>",
        esc(&r.id)
    )?;
    let mut meta = Vec::new();
    if let Some(s) = &r.source {
        meta.push(esc(s));
    }
    if let Some(d) = r.date {
        meta.push(d.to_string());
    }
    meta.push(format!(
        "{} mention{}",
        r.mentions,
        if r.mentions == 1 { "" } else { "s" }
    ));
    meta.push(format!("{} words", r.tokens));
    writeln!(w, "<p class=\"meta\">{}</p>", meta.join(" \u{00B7} "))?;
    for warning in &r.warnings {
        writeln!(w, "<p class=\"warn\">{}</p>", esc(warning))?;
    }
    for (i, (h, labels)) in r.heads.iter().zip(labels).enumerate() {
        let open = if i == 0 { " open" } else { "" };
        write!(
            w,
            "<details{open}><summary>{}</summary>",
            summary(h, labels)
        )?;
        match text {
            Some((t, marks)) => {
                write_key(w, h, labels)?;
                write_text(w, t, marks, h, labels)?;
                write_whole_text(w, h)?;
            }
            None => writeln!(w)?,
        }
        writeln!(w, "</details>")?;
    }
    writeln!(
        w,
        "<details><summary>Evidence</summary><pre>{}</pre></details></section>",
        esc(table)
    )
}

/// A head's summary line: its name, label and probabilities, or why it was not scored.
fn summary(h: &HeadResult, labels: &[String]) -> String {
    let mut s = format!("{}: ", esc(&h.head));
    match (&h.label, &h.probabilities) {
        (Some(l), Some(p)) => {
            s += &format!(
                "<span class=\"label\" style=\"color:{}\">{}</span> (",
                label_colour(labels, l),
                esc(l)
            );
            let probs: Vec<String> = p
                .iter()
                .map(|(l, p)| format!("{} {p:.2}", esc(l)))
                .collect();
            s += &probs.join(" \u{00B7} ");
            s.push(')');
            if let Some(score) = h.score {
                s += &format!(", score {score:+.2}");
            }
        }
        _ => s += &esc(h.note.as_deref().unwrap_or("not scored")),
    }
    s
}

/// The colours of a head's labels, as a key above its text.
fn write_key<W: Write>(w: &mut W, h: &HeadResult, labels: &[String]) -> io::Result<()> {
    if h.label.is_none() {
        return Ok(());
    }
    write!(w, "<p class=\"key\">toward: ")?;
    for l in labels {
        write!(
            w,
            "<span style=\"background:{}\">{}</span>",
            shade(label_colour(labels, l), FULL_SHADE * 0.5),
            esc(l)
        )?;
    }
    writeln!(w, "</p>")
}

/// What in a head's reading belongs to no one sentence: the target statistics among its
/// evidence (how often the text names the target, how much of it is near a name) and the cues
/// it lacks.
fn write_whole_text<W: Write>(w: &mut W, h: &HeadResult) -> io::Result<()> {
    let stats: Vec<String> = h
        .evidence
        .iter()
        .filter(|e| e.feature.starts_with("target:"))
        .map(|e| {
            let measured = e
                .measured
                .as_deref()
                .map(|m| format!(" ({})", esc(m)))
                .unwrap_or_default();
            let side = if e.either_side {
                ", for taking a side, not which"
            } else {
                ""
            };
            format!("{} {:+.2}{measured}{side}", esc(&e.feature), e.contribution)
        })
        .collect();
    let absent: Vec<String> = h.absent.iter().map(|a| esc(&a.to_string())).collect();
    if stats.is_empty() && absent.is_empty() {
        return Ok(());
    }
    write!(w, "<p class=\"key\">From no one sentence:")?;
    if !stats.is_empty() {
        write!(w, " {}.", stats.join("; "))?;
    }
    if !absent.is_empty() {
        write!(
            w,
            " The writer's own voice has none of: {}.",
            absent.join(", ")
        )?;
    }
    writeln!(w, "</p>")
}

/// `colour` (`#RRGGBB`) as a background whose opacity grows with `effect` log-odds, by its
/// square root so that a sentence of a few tenths still shows.
fn shade(colour: &str, effect: f32) -> String {
    let v = |i: usize| u8::from_str_radix(&colour[i..i + 2], 16).unwrap_or(128);
    let a = 0.12 + 0.6 * (effect / FULL_SHADE).clamp(0.0, 1.0).sqrt();
    format!("rgba({},{},{},{a:.2})", v(1), v(3), v(5))
}

/// The text with `h`'s key sentences shaded and `mentions` marked. The text is cut at every
/// sentence and mention edge, and each piece is wrapped in what covers it, so the elements
/// always nest.
fn write_text<W: Write>(
    w: &mut W,
    text: &str,
    marks: &TextMarks,
    h: &HeadResult,
    labels: &[String],
) -> io::Result<()> {
    let (mentions, unread) = (&marks.mentions, &marks.unread);
    let mut shaded: Vec<&KeySentence> = h
        .sentences
        .iter()
        .chain(&h.sentences_against)
        .filter(|s| s.start < s.end && s.end <= text.len())
        .collect();
    shaded.sort_by_key(|s| s.start);
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for s in &shaded {
        cuts.extend([s.start, s.end]);
    }
    for m in mentions.iter().chain(unread) {
        cuts.extend([m.start.min(text.len()), m.end.min(text.len())]);
    }
    // Line ends are left outside the shading: a span across a forced line break is drawn
    // wrongly by some renderers (the next run on the line lost its background in WeasyPrint).
    for (i, _) in text.match_indices('\n') {
        cuts.extend([i, i + 1]);
    }
    cuts.retain(|&c| text.is_char_boundary(c));
    cuts.sort_unstable();
    cuts.dedup();
    write!(w, "<div class=\"text\">")?;
    let (mut si, mut mi, mut ui) = (0, 0, 0);
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        while si < shaded.len() && shaded[si].end <= a {
            si += 1;
        }
        while mi < mentions.len() && mentions[mi].end <= a {
            mi += 1;
        }
        while ui < unread.len() && unread[ui].end <= a {
            ui += 1;
        }
        let sentence = shaded.get(si).filter(|s| s.start <= a);
        let mention = mentions.get(mi).is_some_and(|m| m.start <= a);
        if &text[a..b] == "\n" {
            w.write_all(b"\n")?;
            continue;
        }
        let mut piece = esc(&text[a..b]);
        if unread.get(ui).is_some_and(|u| u.start <= a) {
            let title = "not read: web residue";
            w.write_all(format!("<span class=\"r\" title=\"{title}\">{piece}</span>").as_bytes())?;
            continue;
        }
        if mention {
            piece = format!("<mark class=\"m\">{piece}</mark>");
        }
        if let Some(s) = sentence {
            let class = if s.quoted { "s q" } else { "s" };
            let quoted = if s.quoted { ", mostly quoted" } else { "" };
            let about = if s.about_target == Some(false) {
                ", not about the target"
            } else {
                ""
            };
            piece = format!(
                "<span class=\"{class}\" style=\"background:{}\" title=\"toward {}: {:.2} log-odds{quoted}{about}\">{piece}</span>",
                shade(label_colour(labels, &s.toward), s.effect),
                esc(&s.toward),
                s.effect
            );
        }
        w.write_all(piece.as_bytes())?;
    }
    writeln!(w, "</div>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::Range;

    fn sentence(toward: &str, effect: f32, span: Range<usize>, quoted: bool) -> KeySentence {
        KeySentence {
            toward: toward.into(),
            effect,
            start: span.start,
            end: span.end,
            text: String::new(),
            quoted,
            about_target: None,
        }
    }

    fn head() -> HeadResult {
        HeadResult {
            head: "stance".into(),
            label: Some("pro".into()),
            confidence: Some(0.7),
            probabilities: Some(
                [("anti", 0.1), ("neutral", 0.2), ("pro", 0.7)]
                    .map(|(l, p)| (l.to_owned(), p))
                    .into(),
            ),
            ..HeadResult::default()
        }
    }

    /// Every byte of the text is on the page once, escaped; each key sentence is shaded in its
    /// label's colour (cut where a mention is marked), quoted ones in italics; an unlisted
    /// sentence is left plain.
    #[test]
    fn the_text_is_shaded_by_sentence_and_marks_mentions() {
        let text = "Kadhimi <b>acted</b>. He \"failed\" us. Rain fell.";
        let labels: Vec<String> = ["anti", "neutral", "pro"].map(String::from).into();
        let mut h = head();
        let second = text.find("He").unwrap();
        let third = text.find("Rain").unwrap();
        h.sentences = vec![sentence("pro", 1.0, 0..second - 1, false)];
        h.sentences_against = vec![sentence("anti", 0.4, second..third - 1, true)];
        let marks = TextMarks {
            mentions: std::iter::once(0..7).collect(),
            unread: Vec::new(),
        };
        let mut out = Vec::new();
        write_text(&mut out, text, &marks, &h, &labels).unwrap();
        let html = String::from_utf8(out).unwrap();
        let pro = shade("#0072B2", 1.0);
        let anti = shade("#D55E00", 0.4);
        let run = |class: &str, bg: &str, title: &str, inner: &str| {
            format!(
                "<span class=\"{class}\" style=\"background:{bg}\" title=\"{title}\">{inner}</span>"
            )
        };
        let want = [
            "<div class=\"text\">".to_owned(),
            run(
                "s",
                &pro,
                "toward pro: 1.00 log-odds",
                "<mark class=\"m\">Kadhimi</mark>",
            ),
            run(
                "s",
                &pro,
                "toward pro: 1.00 log-odds",
                " &lt;b&gt;acted&lt;/b&gt;.",
            ),
            " ".to_owned(),
            run(
                "s q",
                &anti,
                "toward anti: 0.40 log-odds, mostly quoted",
                "He &quot;failed&quot; us.",
            ),
            // In no listed sentence: plain.
            " Rain fell.</div>\n".to_owned(),
        ]
        .concat();
        assert_eq!(html, want);
        // Stronger sentences are shaded more.
        assert!(
            pro.ends_with(",0.54)") && anti.ends_with(",0.39)"),
            "{pro} {anti}"
        );
    }

    /// A line the model does not read is shown apart and never shaded; what belongs to no
    /// sentence (the mention rate, a lacking cue) is listed under the text.
    #[test]
    fn unread_lines_and_whole_text_cues_are_shown_apart() {
        let text = "Kadhimi acted.\nRead also: other news\nRain fell.";
        let labels: Vec<String> = ["anti", "neutral", "pro"].map(String::from).into();
        let mut h = head();
        let read_also = text.find("Read").unwrap();
        h.sentences = vec![sentence("pro", 1.0, 0..text.len(), false)];
        h.evidence = vec![crate::classify::Evidence {
            feature: "target:per_1k".into(),
            contribution: 0.25,
            text: vec![],
            measured: Some("1 mention in 5 words".into()),
            either_side: true,
            function_words: false,
        }];
        h.absent = vec![crate::classify::Absent {
            feature: "lex:criticism".into(),
            favours: "anti".into(),
        }];
        let marks = TextMarks {
            mentions: vec![],
            unread: std::iter::once(read_also..read_also + "Read also: other news".len()).collect(),
        };
        let mut out = Vec::new();
        write_text(&mut out, text, &marks, &h, &labels).unwrap();
        write_whole_text(&mut out, &h).unwrap();
        let html = String::from_utf8(out).unwrap();
        assert!(
            html.contains(
                "\n<span class=\"r\" title=\"not read: web residue\">Read also: other news</span>\n"
            ),
            "{html}"
        );
        assert!(html.contains(">Kadhimi acted.</span>"), "{html}");
        assert!(html.contains(
            "From no one sentence: target:per_1k +0.25 (1 mention in 5 words), for taking a side, not which. The writer's own voice has none of: lex:criticism (for anti).</p>"
        ), "{html}");
    }

    /// A head that was not scored says why in its summary; a scored one gives label and
    /// probabilities in the label's colour.
    #[test]
    fn summaries_give_the_label_or_the_reason() {
        let labels: Vec<String> = ["anti", "neutral", "pro"].map(String::from).into();
        let s = summary(&head(), &labels);
        assert!(s.starts_with("stance: <span class=\"label\" style=\"color:#0072B2\">pro</span>"));
        assert!(
            s.contains("anti 0.10 \u{00B7} neutral 0.20 \u{00B7} pro 0.70"),
            "{s}"
        );
        let none = HeadResult {
            head: "stance".into(),
            note: Some("target not mentioned".into()),
            ..HeadResult::default()
        };
        assert_eq!(summary(&none, &labels), "stance: target not mentioned");
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
