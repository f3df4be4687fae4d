//! Web pages: the article text of an HTML page, without its menus, teasers, comments, scripts
//! and footers.
//!
//! A saved or scraped page holds far more than the article: navigation, "most read" lists,
//! links to other stories, reader comments (which may attack or praise the target in a voice
//! that is not the outlet's), cookie notices and scripts. Read as plain text, all of it would
//! count as the article's words. The article is found with the Readability algorithm (the one
//! behind Firefox's reader view) as ported by the `dom_smoothie` crate; its headline comes
//! first, then its paragraphs, one per line (the text stage reads quotations line by line).

use std::panic::{AssertUnwindSafe, catch_unwind};

use dom_smoothie::{Config, Readability, TextMode};

use crate::date::Date;

/// When documents are read as HTML.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum HtmlMode {
    /// Files named `.html`, `.htm` or `.xhtml`, and texts that look like a page or a fragment
    /// of one (`looks_like_html`).
    #[default]
    Auto,
    /// Every document (fields of a CSV holding HTML fragments, say).
    Always,
    /// None: markup is read as text.
    Never,
}

/// File extensions read as HTML in [`HtmlMode::Auto`] (lowercase).
pub const HTML_EXTENSIONS: [&str; 3] = ["html", "htm", "xhtml"];

/// Whether `text` looks like HTML: it starts (after white space) with a tag or a doctype, and
/// within its first 64 KiB has a doctype, an `<html>`, `<head>` or `<body>` tag, or a closing
/// `</p>`, `</div>` or `</article>`, or a `<br>`. Plain prose that happens to start with `<`
/// has none of those.
pub fn looks_like_html(text: &str) -> bool {
    let t = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if !t.starts_with('<') {
        return false;
    }
    let head = &t.as_bytes()[..t.len().min(1 << 16)];
    [
        "<!doctype html",
        "<html",
        "<head",
        "<body",
        "</p>",
        "</div>",
        "</article>",
        "<br",
    ]
    .iter()
    .any(|m| find_ascii_ci(head, 0, m.as_bytes()).is_some())
}

/// The article of a web page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageText {
    /// See [`article_text`].
    pub text: String,
    /// The site's name as the page gives it (`og:site_name`, or the publisher in its JSON-LD
    /// metadata), when it does.
    pub site_name: Option<String>,
    /// When the page says it was published, as it says it: `article:published_time` and the
    /// like, or `datePublished` in its JSON-LD metadata; else the first date read from the
    /// fallbacks of `page_date` (other meta tags, microdata, `<time>`, a date line).
    pub published: Option<String>,
    /// Set when the page was longer than [`MAX_PAGE_BYTES`] and only its start was read.
    pub warning: Option<String>,
}

/// Longest page read, in bytes, once its scripts, styles and comments are dropped: a longer one
/// is cut to its first 2 MiB. The markup and text of a news page run to a few hundred KB; a
/// parsed page takes about 20 times its size in memory, and pages are read two or more at a
/// time, so 2 MiB keeps a run of huge pages near 150 MB.
pub const MAX_PAGE_BYTES: usize = 2 << 20;

/// Deepest nesting of elements read: the parser and the article search slow down with the
/// square of the depth (5,000 levels took 4 s, 200,000 minutes before the parser's recursion
/// overflowed the stack). Real pages nest a few dozen levels.
pub const MAX_DEPTH: usize = 512;

/// Fewest words of text a page's article has: a page with fewer (its only text a menu item,
/// "Home") has none.
const MIN_ARTICLE_WORDS: usize = 3;

/// Characters of article text that make Readability's strict first reading enough (see
/// [`article`]).
const SHORT_ARTICLE_CHARS: usize = 100;

/// The article text of an HTML page or fragment: its title (when the page has one that the
/// text does not already start with) on the first line, a blank line, then its paragraphs
/// separated by blank lines. An error when no article text is found (an empty page, a page of
/// scripts and links only).
pub fn article_text(html: &str) -> Result<String, String> {
    article(html).map(|p| p.text)
}

/// [`article_text`] with the page's site name.
pub fn article(html: &str) -> Result<PageText, String> {
    let stripped = without_scripts(html);
    let html: &str = &stripped;
    let (html, warning) = if html.len() > MAX_PAGE_BYTES {
        let mut cut = MAX_PAGE_BYTES;
        while !html.is_char_boundary(cut) {
            cut -= 1;
        }
        let w = format!(
            "web page longer than {} MiB ({} bytes without its scripts and styles): only its \
             first {} MiB read",
            MAX_PAGE_BYTES >> 20,
            html.len(),
            MAX_PAGE_BYTES >> 20
        );
        (&html[..cut], Some(w))
    } else {
        (html, None)
    };
    if nesting_deeper_than(html, MAX_DEPTH) {
        return Err(format!(
            "the page's elements are nested more than {MAX_DEPTH} levels deep; not read"
        ));
    }
    let cfg = Config {
        text_mode: TextMode::Formatted,
        // Readability takes its first, strictest reading of a page when it finds this many
        // characters, else reads again with fewer rules and keeps the longest text. Its default,
        // 500, is longer than a short news item: such a page was read again, and the longest
        // text was a sidebar's "About us" box, or the article with its "Read also" links kept.
        char_threshold: SHORT_ARTICLE_CHARS,
        ..Default::default()
    };
    // The parser is not expected to panic on any input; should it, that page fails, not the run.
    let parsed = catch_unwind(AssertUnwindSafe(|| {
        let mut r = Readability::new(html, None, Some(cfg))?;
        // The markup's date, where the metadata Readability reads has none, is looked for
        // in the page as it is, before Readability takes it apart (and without parsing it
        // again, which cost a quarter of reading a page).
        // The metadata's date when it reads; else the markup's; else the metadata's as it is
        // (its reader warns that it cannot read it). The metadata is the one `parse` gives
        // (the same function on the same page, entities decoded).
        let meta = r.get_article_metadata(r.parse_json_ld());
        let published = match meta.published_time.map(|t| t.trim().to_owned()) {
            Some(t) if Date::parse(&t).is_ok() => Some(t),
            t => page_date(&r.doc).or(t.filter(|t| !t.is_empty())),
        };
        r.parse().map(|a| (a, published))
    }));
    let (article, published) = match parsed {
        Ok(Ok(a)) => a,
        Ok(Err(e)) => return Err(format!("no article text found in the HTML ({e})")),
        Err(_) => return Err("the HTML could not be parsed".to_owned()),
    };
    let body = tidy(&article.text_content);
    if body.is_empty() {
        return Err("no article text found in the HTML".to_owned());
    }
    // A page whose only text is a menu item or a caption ("Home"): Readability returns what
    // there is, but that is no article, and classified it reads as the site's words.
    if body.split_whitespace().count() < MIN_ARTICLE_WORDS {
        return Err(format!(
            "no article text found in the HTML (only `{}`: a menu or a caption, not an article)",
            body.chars().take(60).collect::<String>()
        ));
    }
    let title = words(&article.title);
    let text = if title.is_empty() || body.starts_with(&title) {
        body
    } else {
        format!("{title}\n\n{body}")
    };
    let site_name = article
        .site_name
        .map(|s| words(&s))
        .filter(|s| !s.is_empty());
    Ok(PageText {
        text,
        site_name,
        published,
        warning,
    })
}

/// Whether elements in `html` nest more than `limit` deep, by a scan of its tags: an opening tag
/// goes one level down and a closing tag one up, except for void elements (`<br>`, `<img>`,
/// ...), self-closed tags (`<x/>`) and elements that close themselves when a sibling opens
/// (`<p>`, `<li>`, `<td>`, ...). Comments, doctypes and the contents of `<script>`, `<style>`,
/// `<textarea>` and `<title>` are skipped. An estimate that errs toward shallow on real pages
/// and finds the thousands of unclosed or nested containers that pathological ones have.
fn nesting_deeper_than(html: &str, limit: usize) -> bool {
    const FLAT: [&str; 27] = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup",
        "thead", "tbody", "tfoot", "colgroup",
    ];
    const RAW: [&str; 4] = ["script", "style", "textarea", "title"];
    let b = html.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        i += off + 1;
        if b[i..].starts_with(b"!--") {
            i = find(b, i + 3, b"-->").map_or(b.len(), |e| e + 3);
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        let start = i + closing as usize;
        let len = b[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        if len == 0 || !b[start].is_ascii_alphabetic() {
            continue;
        }
        let name = &b[start..start + len];
        let among = |set: &[&'static str]| -> Option<&'static str> {
            set.iter()
                .copied()
                .find(|n| name.eq_ignore_ascii_case(n.as_bytes()))
        };
        let flat = among(&FLAT).is_some();
        let end = find(b, start + len, b">").unwrap_or(b.len());
        i = end;
        if closing {
            if !flat {
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        if let Some(raw) = among(&RAW) {
            i = find_ascii_ci(b, i, format!("</{raw}").as_bytes()).unwrap_or(b.len());
            continue;
        }
        let self_closed = end > 0 && b[end - 1] == b'/';
        if !self_closed && !flat {
            depth += 1;
            if depth > limit {
                return true;
            }
        }
    }
    false
}

/// `html` without its scripts (but for JSON-LD metadata, which names the site), styles and
/// comments, which the article search drops anyway: on a modern news page they are most of the
/// bytes, and they count toward [`MAX_PAGE_BYTES`] and the parsing time for nothing. A linear
/// scan; an element left open runs to the end.
fn without_scripts(html: &str) -> std::borrow::Cow<'_, str> {
    let b = html.as_bytes();
    let mut out = String::new();
    let (mut kept, mut i) = (0, 0);
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let at = i + off;
        let rest = &b[at + 1..];
        let skip_to = if rest.starts_with(b"!--") {
            Some(find(b, at + 4, b"-->").map_or(b.len(), |e| e + 3))
        } else {
            ["script", "style"].iter().find_map(|name| {
                let n = name.len();
                let is_tag = rest.len() > n
                    && rest[..n].eq_ignore_ascii_case(name.as_bytes())
                    && !rest[n].is_ascii_alphanumeric();
                if !is_tag {
                    return None;
                }
                let open_end = find(b, at, b">").map_or(b.len(), |e| e + 1);
                if *name == "script" && find_ascii_ci(&b[at..open_end], 0, b"ld+json").is_some() {
                    return None;
                }
                let close = format!("</{name}");
                Some(
                    find_ascii_ci(b, open_end, close.as_bytes())
                        .map_or(b.len(), |c| find(b, c, b">").map_or(b.len(), |e| e + 1)),
                )
            })
        };
        match skip_to {
            Some(end) => {
                out.push_str(&html[kept..at]);
                kept = end;
                i = end;
            }
            None => i = at + 1,
        }
        if i >= b.len() {
            break;
        }
    }
    if kept == 0 {
        return std::borrow::Cow::Borrowed(html);
    }
    out.push_str(&html[kept..]);
    std::borrow::Cow::Owned(out)
}

/// Where `pat` first occurs in `b` at or after `from`.
fn find(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    let from = from.min(b.len());
    memchr::memmem::find(&b[from..], pat).map(|p| from + p)
}

/// [`find`], ignoring ASCII case (`pat` is short: tag names, `charset`).
pub(crate) fn find_ascii_ci(b: &[u8], from: usize, pat: &[u8]) -> Option<usize> {
    let from = from.min(b.len());
    b[from..]
        .windows(pat.len())
        .position(|w| w.eq_ignore_ascii_case(pat))
        .map(|p| from + p)
}

/// Meta tags (`name`, `property` or `itemprop`, compared without case) that give a page's
/// publication date where Readability's (`article:published_time`, `dcterms.*`, JSON-LD) are
/// absent.
const DATE_META: &[&str] = &[
    "datepublished",
    "pubdate",
    "publishdate",
    "publish-date",
    "publish_date",
    "published_time",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.date",
    "sailthru.date",
    "article.published",
    "og:published_time",
    "original-publish-date",
    "cxenseparse:recs:publishtime",
];

/// Longest text of an element read as a date line (`Published: 7 November 2021`).
const DATE_LINE_CHARS: usize = 80;

/// The publication date of a page without the metadata Readability reads, from (in this order,
/// the first that reads as a date, see [`Date::parse`]): the meta tags of [`DATE_META`]; an
/// element marked `itemprop="datePublished"` (its `datetime` or `content`, else its text); a
/// `<time pubdate>`; the first `<time datetime>` of the page's `<article>` (of the whole page
/// when it has none); and a short element whose class or id names a date (`date`, `published`,
/// `posted`, `time`; not `update` or `modified`) and whose text holds one (`Published: 7
/// November 2021`, `Posted on November 7, 2021 at 10:30`), inside the `<article>` if there is
/// one, else outside navigation, footers, asides and headers (where sites show today's date).
/// Nothing is taken from the article's own sentences. `None` when none reads.
fn page_date(doc: &dom_query::Document) -> Option<String> {
    let readable = |s: &str| Date::parse(s).is_ok();
    let attr = |n: &dom_query::NodeRef<'_>, a: &str| {
        n.attr(a)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    for n in doc.select("meta[content]").nodes() {
        let named = ["name", "property", "itemprop"].iter().any(|a| {
            n.attr(a)
                .is_some_and(|v| DATE_META.contains(&v.trim().to_ascii_lowercase().as_str()))
        });
        if named && let Some(v) = attr(n, "content").filter(|v| readable(v)) {
            return Some(v);
        }
    }
    for n in doc.select("[itemprop=datePublished]").nodes() {
        let v = attr(n, "datetime")
            .or_else(|| attr(n, "content"))
            .unwrap_or_else(|| words(&n.text()));
        if readable(&v) {
            return Some(v);
        }
    }
    let in_article = if doc.select("article time[datetime]").exists() {
        "article time[datetime]"
    } else {
        "time[datetime]"
    };
    for sel in ["time[pubdate][datetime]", in_article] {
        if let Some(v) = doc
            .select(sel)
            .nodes()
            .iter()
            .find_map(|n| attr(n, "datetime").filter(|v| readable(v)))
        {
            return Some(v);
        }
    }
    let names_date = |n: &dom_query::NodeRef<'_>| {
        let mut marks = String::new();
        for a in ["class", "id"] {
            if let Some(v) = n.attr(a) {
                marks.push_str(&v.to_ascii_lowercase());
                marks.push(' ');
            }
        }
        ["date", "publish", "posted", "time"]
            .iter()
            .any(|m| marks.contains(m))
            && !["update", "modif", "edit"]
                .iter()
                .any(|m| marks.contains(m))
    };
    // Inside the page's `<article>` when it has one; else outside its navigation, footer,
    // asides and page header (where a site shows today's date).
    let has_article = doc.select("article").exists();
    let in_scope = |n: &dom_query::NodeRef<'_>| {
        let names: Vec<String> = n
            .ancestors_it(None)
            .filter_map(|a| a.node_name().map(|t| t.to_ascii_lowercase()))
            .collect();
        if has_article {
            names.iter().any(|t| t == "article")
        } else {
            !names
                .iter()
                .any(|t| ["nav", "footer", "aside", "header"].contains(&t.as_str()))
        }
    };
    doc.select("[class], [id]")
        .nodes()
        .iter()
        .filter(|n| names_date(n) && in_scope(n))
        .find_map(|n| {
            let text = words(&n.text());
            (text.chars().count() <= DATE_LINE_CHARS)
                .then(|| date_in_line(&text))
                .flatten()
        })
}

/// The first date in a short line (`Published: 7 November 2021`, `By Staff | Nov 7, 2021`):
/// the line read from each word on, the first reading that is a date, as written from there.
fn date_in_line(line: &str) -> Option<String> {
    let starts = line.char_indices().filter(|&(i, c)| {
        c.is_alphanumeric()
            && line[..i]
                .chars()
                .next_back()
                .is_none_or(|p| !p.is_alphanumeric())
    });
    for (i, _) in starts {
        if Date::parse(&line[i..]).is_ok() {
            return Some(line[i..].to_owned());
        }
    }
    None
}

/// `s` with each run of white space made one space, and none at either end.
fn words(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Lines trimmed, runs of spaces within a line made one, runs of blank lines made one, and no
/// blank lines at either end.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines() {
        let line = words(line);
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        out.push_str(&line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Gulf envoys meet the premier in Baghdad | Example Daily</title>
<script>var tracker = "a spy and a traitor";</script><style>p { color: red }</style></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/politics">Politics</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<article>
<h1>Gulf envoys meet the premier in Baghdad</h1>
<p>Prime Minister Mustafa al-Kadhimi received two Gulf envoys in Baghdad on Thursday, his office said in a statement, and discussed electricity links and the border crossings.</p>
<p>The statement said the talks touched on &ldquo;regional de-escalation&rdquo;, a phrase his office has used since he began hosting contacts between Riyadh and Tehran.</p>
<div class="related"><h3>Read also</h3><ul><li><a href="/a/1">Factions threaten the premier</a></li><li><a href="/a/2">Dinar slips</a></li></ul></div>
<p>A government adviser said a second round was planned for next month. Officials gave no figures for the investments discussed, and the envoys left on Thursday evening.</p>
<p>Opponents in parliament accused the government of courting the Gulf at the expense of its neighbours; his office did not respond to that charge, and the ministry of electricity said the interconnection studies would be published before the summer.</p>
</article>
<section class="comments"><h3>Comments</h3><div class="comment">He is a spy and a traitor!</div></section>
<footer><p>&copy; 2021 Example Daily. All rights reserved.</p></footer>
</body></html>"#;

    #[test]
    fn a_page_gives_its_headline_and_paragraphs_and_nothing_around_them() {
        let t = article_text(PAGE).unwrap();
        let lines: Vec<&str> = t.lines().collect();
        // The headline, without the site's name.
        assert_eq!(lines[0], "Gulf envoys meet the premier in Baghdad", "{t}");
        assert!(t.contains("Prime Minister Mustafa al-Kadhimi received two Gulf envoys"));
        // Entities decoded; each paragraph on a line of its own, blank lines between.
        assert!(
            t.contains("touched on “regional de-escalation”, a phrase"),
            "{t}"
        );
        assert!(t.contains("Tehran.\n\nA government adviser"), "{t}");
        assert_eq!(article(PAGE).unwrap().site_name, None);
        let named = PAGE.replace(
            "<meta charset=\"utf-8\">",
            "<meta charset=\"utf-8\"><meta property=\"og:site_name\" content=\" Example  Daily \">",
        );
        let p = article(&named).unwrap();
        assert_eq!(
            (p.text, p.site_name.as_deref()),
            (t.clone(), Some("Example Daily"))
        );
        // Menus, scripts, styles, comments and the footer are gone.
        for gone in [
            "Home",
            "Sport",
            "spy",
            "traitor",
            "color",
            "rights reserved",
            "Read also",
            "Dinar slips",
        ] {
            assert!(!t.contains(gone), "{gone} in {t}");
        }
    }

    #[test]
    fn fragments_are_read_and_empty_pages_refused() {
        let t = article_text("<p>Kadhimi is a <b>reformer</b> &amp; a patriot.</p><p>Next.</p>")
            .unwrap();
        assert_eq!(t, "Kadhimi is a reformer & a patriot.\n\nNext.");
        for empty in ["", "<html><body><script>var x = 1;</script></body></html>"] {
            let e = article_text(empty).unwrap_err();
            assert!(e.starts_with("no article text found in the HTML"), "{e}");
        }
    }

    #[test]
    fn html_is_told_from_prose() {
        assert!(looks_like_html(PAGE));
        assert!(looks_like_html("\u{feff}  <html><body>x</body></html>"));
        assert!(looks_like_html("<p>one</p>"));
        assert!(looks_like_html("<div class=\"x\">text</div>"));
        assert!(looks_like_html("<b>Baghdad</b><br>text"));
        assert!(!looks_like_html("Kadhimi met the envoys."));
        assert!(!looks_like_html("<unclear> the factions said, and left."));
        assert!(!looks_like_html("a <p> in the middle, then </p>"));
    }

    /// Pages nested thousands deep are refused before parsing (they took minutes, then overflowed
    /// the stack); real structures pass, however many flat or void elements they hold.
    #[test]
    fn deep_nesting_is_refused_and_long_pages_cut() {
        let nest = |n: usize| {
            format!(
                "<html><body>{}<p>Kadhimi met the envoys in Baghdad.</p>{}</body></html>",
                "<div>".repeat(n),
                "</div>".repeat(n)
            )
        };
        assert!(!nesting_deeper_than(&nest(500), MAX_DEPTH));
        assert!(nesting_deeper_than(&nest(513), MAX_DEPTH));
        assert!(article_text(&nest(40)).is_ok());
        let e = article_text(&nest(100_000)).unwrap_err();
        assert!(e.contains("nested more than 512 levels"), "{e}");
        // Unclosed containers nest; unclosed paragraphs, list items, void and self-closed tags,
        // closed siblings, comments and script text do not.
        assert!(nesting_deeper_than(&"<span>".repeat(600), MAX_DEPTH));
        let flat = format!(
            "{}{}{}{}<!-- {} --><script>{}</SCRIPT>",
            "<p>x".repeat(5000),
            "<li>y<br><img src=a>".repeat(5000),
            "<x-card/>".repeat(5000),
            "<div>z</div>".repeat(5000),
            "<div>".repeat(5000),
            "if (a<b) {}".repeat(5000),
        );
        assert!(!nesting_deeper_than(&flat, MAX_DEPTH));
        // A page over the limit is read from its start, with a warning.
        let para = "<p>Kadhimi met the envoys in Baghdad and the talks went on for hours.</p>\n";
        let long = format!(
            "<html><body><article>{}</article></body></html>",
            para.repeat(MAX_PAGE_BYTES / para.len() + 10)
        );
        let p = article(&long).unwrap();
        assert!(p.warning.unwrap().contains("only its first 2 MiB read"));
        // Scripts and styles do not count toward the limit (nor are they parsed).
        let scripted = format!(
            "<html><head><script>{}</script><style>{}</style></head><body>{}</body></html>",
            "var a = 1;".repeat(MAX_PAGE_BYTES / 5),
            "p{}".repeat(MAX_PAGE_BYTES / 2),
            PAGE
        );
        assert_eq!(article(&scripted).unwrap().warning, None);
        assert!(p.text.len() < MAX_PAGE_BYTES && p.text.len() > MAX_PAGE_BYTES / 2);
        assert_eq!(article(PAGE).unwrap().warning, None);
    }

    /// A short news item is read as the article, not as the longest text around it, and its
    /// "Read also" links go (both wrong with Readability's default threshold, 500 characters).
    #[test]
    fn a_short_item_is_its_own_article() {
        let page = "<html><head><title>Premier receives envoys | Daily</title></head><body>\
            <div class=\"main\"><article><h1>Premier receives envoys</h1><p>Prime Minister \
            Mustafa al-Kadhimi received two Gulf envoys in Baghdad on Thursday, his office \
            said.</p><div class=\"related\"><h3>Read also</h3><ul><li><a href=\"/1\">Factions \
            threaten the premier</a></li><li><a href=\"/2\">Dinar slips</a></li></ul></div><p>No \
            details were given.</p></article></div><div class=\"sidebar\"><div \
            class=\"about\"><h3>About us</h3><p>Example Daily is an independent newspaper founded \
            in 2004 in Baghdad. We cover politics, the economy and culture in Iraq and the region, \
            with correspondents in Basra, Mosul and Erbil, and we publish in Arabic and English \
            every day of the year.</p></div></div></body></html>";
        let t = article_text(page).unwrap();
        assert!(
            t.contains("received two Gulf envoys") && t.contains("No details"),
            "{t}"
        );
        for gone in [
            "About us",
            "independent newspaper",
            "Read also",
            "Dinar slips",
        ] {
            assert!(!t.contains(gone), "{gone}: {t}");
        }
    }

    #[test]
    fn scripts_styles_and_comments_are_dropped_before_parsing() {
        let html = "<p>a</p><SCRIPT type=\"text/javascript\">if (x<y) { s = '</p>'; }</script>\
            <p>b</p><style>p{}</style ><!-- <p>c</p> --><script type=\"application/ld+json\">\
            {\"publisher\": {\"name\": \"N\"}}</script><scripts>d</scripts><p>e";
        assert_eq!(
            without_scripts(html),
            "<p>a</p><p>b</p><script type=\"application/ld+json\">{\"publisher\": {\"name\": \
             \"N\"}}</script><scripts>d</scripts><p>e"
        );
        // Nothing to drop: the text itself, not a copy; an unclosed script runs to the end.
        assert!(matches!(
            without_scripts("<p>a</p>"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(without_scripts("<p>a</p><script>var x"), "<p>a</p>");
        assert_eq!(without_scripts("<p>a<!-- open"), "<p>a");
        assert_eq!(without_scripts("x<"), "x<");
    }

    #[test]
    fn a_page_of_a_menu_item_has_no_article() {
        let menu = "<html><head><title>Example Gazette</title></head><body><nav><ul>\
                    <li><a href=\"/\">Home</a></li></ul></nav></body></html>";
        let e = article(menu).unwrap_err();
        assert!(e.contains("only `Home`"), "{e}");
        // Three words are read: a short item is still an article.
        let brief = "<html><body><p>Kadhimi reaches Tehran.</p></body></html>";
        assert_eq!(article(brief).unwrap().text, "Kadhimi reaches Tehran.");
    }

    #[test]
    fn tidy_keeps_one_blank_line_between_paragraphs() {
        assert_eq!(tidy("\n\n  a   b \n c\n\n\n\nd  \n\n"), "a b\nc\n\nd");
    }

    /// A page whose article paragraphs are `body`, with `head` in its `<head>` and `before`
    /// just before its `<article>` (or its content `div`, without `article`).
    fn dated_page(head: &str, before: &str, meta_line: &str, article: bool) -> String {
        let tag = if article { "article" } else { "div" };
        format!(
            "<html><head><title>Drone attack</title>{head}</head><body>{before}<{tag}>\
             <h1>Drone attack on the prime minister's home</h1>{meta_line}\
             <p>Prime Minister Mustafa al-Kadhimi survived a drone attack on his residence \
             early on Sunday, officials said on 8 November 2021. Two guards were wounded.</p>\
             <p>He appeared on television within hours and called for calm and dialogue.</p>\
             </{tag}></body></html>"
        )
    }

    fn published(page: &str) -> Option<String> {
        article(page).expect("an article").published
    }

    #[test]
    fn a_page_without_date_metadata_is_dated_from_its_markup() {
        let today = "<header><span class=\"today-date\">Saturday, 28 November 2026</span></header>";
        let cases = [
            // Meta tags Readability does not read; one unreadable is passed over.
            (
                "<meta name=\"date\" content=\"07/11/2021\"><meta name=\"pubdate\" content=\"2021-11-07T06:30:00+03:00\">",
                "",
                "",
                true,
                Some("2021-11-07T06:30:00+03:00"),
            ),
            // Microdata on an element of the body.
            (
                "",
                "",
                "<span itemprop=\"datePublished\" content=\"2021-11-06\">6 Nov</span>",
                true,
                Some("2021-11-06"),
            ),
            // The article's <time>, not a sidebar's before it.
            (
                "",
                "<aside><time datetime=\"2026-11-28\">today</time></aside>",
                "<p class=\"byline\">By Staff <time datetime=\"2021-11-07T06:30\">7 Nov</time></p>",
                true,
                Some("2021-11-07T06:30"),
            ),
            // A date line in the article, not the page header's date of the day, nor an update.
            (
                "",
                today,
                "<div class=\"modified-date\">Updated 12 December 2021</div>\
                 <div class=\"entry-meta\">By Staff writer | <span class=\"posted-on\">Posted on November 9, 2021 at 10:30</span></div>",
                true,
                Some("November 9, 2021 at 10:30"),
            ),
            // Without <article>: outside the page header.
            (
                "",
                today,
                "<p class=\"news-date\">Published: 9 November 2021</p>",
                false,
                Some("9 November 2021"),
            ),
            // Only the page header's date and the article's own sentences: no date.
            ("", today, "", false, None),
            ("", today, "", true, None),
        ];
        for (head, before, line, with_article, want) in cases {
            let page = dated_page(head, before, line, with_article);
            assert_eq!(published(&page).as_deref(), want, "{page}");
        }
        // Metadata that cannot be read gives way to the markup's date.
        let page = dated_page(
            "<meta property=\"article:published_time\" content=\"last Tuesday\">",
            "",
            "<time datetime=\"2021-11-07\">7 Nov</time>",
            true,
        );
        assert_eq!(published(&page).as_deref(), Some("2021-11-07"));
        // Metadata that Readability reads comes first, as it is written.
        let page = dated_page(
            "<meta property=\"article:published_time\" content=\"2021-11-05\">",
            "",
            "<time datetime=\"2021-11-07\">7 Nov</time>",
            true,
        );
        assert_eq!(published(&page).as_deref(), Some("2021-11-05"));
    }

    #[test]
    fn a_date_is_found_inside_a_short_line() {
        assert_eq!(
            date_in_line("By Staff | Nov 7, 2021 | 3 min read").as_deref(),
            Some("Nov 7, 2021 | 3 min read")
        );
        assert_eq!(
            date_in_line("Published: 2021-11-07 10:30").as_deref(),
            Some("2021-11-07 10:30")
        );
        assert_eq!(date_in_line("Published: 07/11/2021"), None);
        assert_eq!(date_in_line("Baghdad"), None);
        assert_eq!(date_in_line(""), None);
    }
}
