//! Text: from raw article text to normalised tokens that keep byte offsets into the original.
//!
//! The stage works line by line:
//!
//! 1. **Residue filter.** Lines that are web residue (ad markers such as `[ad_1]`, "Read also"
//!    links, subscribe / follow prompts) are dropped, and so is everything after a line that
//!    ends the article ("No comments", "Leave a reply") in its second half. The list is data
//!    ([`Residue`], parsed from `data/residue.txt`), and a trained model keeps its own copy.
//! 2. **Scan.** A token is a run of letters, digits and combining marks, with apostrophes inside
//!    words ("don't"), dots inside initialisms ("U.S") and dots or commas between digits ("2.5",
//!    "1,450"). Hyphens, dashes, quotes and all other punctuation separate tokens.
//! 3. **Normalise** each token: Unicode NFKC, lowercase, typographic quotes folded to `'`,
//!    diacritics stripped from Latin letters ("Kāẓimī" -> "kazimi"), Arabic short vowels and
//!    tatweel removed and letter variants folded (أ إ آ -> ا, ى -> ي, ة -> ه, Persian ک ی -> ك ي).
//! 4. **Join the article.** The transliterated Arabic article "al" / "el" joins the word after it
//!    when only spaces and hyphens stand between them, so "Al-Kazemi", "Al -Kazemi", "Al- Kazemi",
//!    "AL-Kazemi", "Al Kazemi" and "Alkazemi" all become the one token `alkazemi`.
//!
//! Each [`Token`] records whether it stands inside a quotation (quotes open and close on one
//! line, as in news copy; an unbalanced quote ends with its line) and whether a sentence break
//! precedes it (no bigram is formed across a break).

use std::ops::Range;
use std::path::Path;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::{Error, Result};

/// Token flag: the token stands inside a quotation.
pub const QUOTED: u8 = 1;
/// Token flag: a sentence break (or line start) comes before the token.
pub const BREAK: u8 = 2;
/// Token flag: one word of a hashtag split at its case changes (`#StopTheWar` gives the token
/// `stopthewar`, then `stop`, `the`, `war` with this flag); see [`tokenize_with`].
pub const SUBWORD: u8 = 4;
/// Token flag, with [`BREAK`]: the break comes only from quotation marks (`described him as
/// “spies”`), not from a full stop, a colon, a bracket or a line start, so the sentence goes on.
pub const QUOTE_BREAK: u8 = 8;
/// Token flag, with [`BREAK`]: the break comes only from a colon (and perhaps quotation
/// marks): `Their accusations against him change with the season: spy, thief, ...`, where what
/// follows the colon is the content of what came before it.
pub const COLON_BREAK: u8 = 16;

/// One token: where it is in the original text and where its normalised form is in the
/// normalised text of its [`Tokens`] (read it with [`Tokens::norm`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the token's first byte in the original text.
    pub start: u32,
    /// Byte offset one past the token's last byte in the original text.
    pub end: u32,
    norm_start: u32,
    norm_end: u32,
    /// [`QUOTED`], [`BREAK`] and [`SUBWORD`] bits.
    pub flags: u8,
}

impl Token {
    /// The token's byte range in the original text.
    pub fn span(&self) -> Range<usize> {
        self.start as usize..self.end as usize
    }
    /// Whether the token stands inside a quotation.
    pub fn quoted(&self) -> bool {
        self.flags & QUOTED != 0
    }
    /// Whether a sentence break precedes the token.
    pub fn breaks_before(&self) -> bool {
        self.flags & BREAK != 0
    }
    /// Whether the token is one word of a split hashtag.
    pub fn subword(&self) -> bool {
        self.flags & SUBWORD != 0
    }
}

/// The tokens of one document. Reused between documents to avoid allocation: [`tokenize`]
/// clears it first.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    norm: String,
    tokens: Vec<Token>,
    /// How many lines the residue filter dropped.
    pub residue_lines: u32,
    scratch: String,
    chars: Vec<char>,
}

impl Tokens {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }
    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
    /// All tokens in text order.
    pub fn as_slice(&self) -> &[Token] {
        &self.tokens
    }
    /// The normalised text of token `i`.
    pub fn norm(&self, i: usize) -> &str {
        let t = &self.tokens[i];
        &self.norm[t.norm_start as usize..t.norm_end as usize]
    }
    /// Normalised texts of all tokens, in order.
    pub fn norms(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.tokens.len()).map(move |i| self.norm(i))
    }
    fn clear(&mut self) {
        self.norm.clear();
        self.tokens.clear();
        self.residue_lines = 0;
    }
}

/// Tokenise `text` into `out` (cleared first), dropping the lines `residue` matches; hashtags
/// are not split.
///
/// Offsets are `u32`: callers cap documents well below 4 GiB (the CLI's `--max-bytes`).
pub fn tokenize(text: &str, residue: &Residue, out: &mut Tokens) {
    tokenize_with(text, residue, false, false, out)
}

/// [`tokenize`], and with `split_hashtags` a hashtag written in camel case (`#DictatorDon`,
/// `#USAToday`, `#Vote2020Now`) is followed by its words as [`SUBWORD`] tokens (`dictator`,
/// `don`), each spanning its part of the hashtag: the words of a hashtag then count as words
/// (on P-Stance validation data this gained 0.4 to 1.3 F_avg points per target in a probe).
/// A hashtag of one word (`#Iraq`) or with other characters than ASCII letters and digits is
/// left whole.
///
/// With `abbrev_dots` the dots inside an abbreviation stay in its normal form (`U.S.` is `u.s`,
/// apart from `US` and the pronoun `us`; `a.m.` apart from `am`); by default they are dropped
/// so that `U.S.` and `US` are one word.
pub fn tokenize_with(
    text: &str,
    residue: &Residue,
    split_hashtags: bool,
    abbrev_dots: bool,
    out: &mut Tokens,
) {
    out.clear();
    let mut line_start = 0usize;
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        let base = line_start;
        line_start += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        if content.trim().is_empty() {
            continue;
        }
        if !residue.is_empty() {
            match residue.check(content, &mut out.scratch) {
                Some(Verdict::Line) => {
                    out.residue_lines += 1;
                    continue;
                }
                // In the second half of the text, the page's furniture starts here: this
                // line and every one after it go. Earlier, only this line.
                Some(Verdict::End) => {
                    out.residue_lines += 1;
                    if 2 * base >= text.len() {
                        out.residue_lines += lines.filter(|l| !l.trim().is_empty()).count() as u32;
                        break;
                    }
                    continue;
                }
                None => {}
            }
        }
        if content.is_ascii() {
            scan_line::<true>(content, base, split_hashtags, abbrev_dots, out);
        } else {
            scan_line::<false>(content, base, split_hashtags, abbrev_dots, out);
        }
    }
}

/// Tokenise a short string with no residue filter: for aliases, lexicon phrases and tests.
pub fn tokenize_str(text: &str) -> Tokens {
    let mut out = Tokens::default();
    tokenize(text, &Residue::default(), &mut out);
    out
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || (!c.is_ascii() && is_combining_mark(c))
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            | '\u{2011}'
            | '\u{2012}'
            | '\u{2013}'
            | '\u{2014}'
            | '\u{2015}'
            | '\u{2212}'
    )
}

/// Characters that open (`Some(true)`), close (`Some(false)`) or toggle (`None`) a quotation.
fn quote_kind(c: char) -> Option<Option<bool>> {
    match c {
        '"' | '\u{FF02}' => Some(None),
        '\u{201C}' | '\u{201E}' | '\u{00AB}' => Some(Some(true)),
        '\u{201D}' | '\u{00BB}' => Some(Some(false)),
        _ => None,
    }
}

fn is_break(c: char) -> bool {
    matches!(
        c,
        '.' | '!'
            | '?'
            | ';'
            | ':'
            | '\u{2026}'
            | '('
            | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '|'
            | '\u{2022}'
            | '\u{061F}'
            | '\u{061B}'
            | '\u{06D4}'
            | '\u{3002}'
    )
}

/// The parts of a camel-case hashtag body, as byte ranges: a run of capitals before a capital
/// and a lower-case letter is a word of its own (`USAToday`: `USA`, `Today`); digits and letters
/// part. Empty when `word` is not all ASCII letters and digits or has only one part.
fn hashtag_parts(word: &str, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let b = word.as_bytes();
    if !b.iter().all(u8::is_ascii_alphanumeric) {
        return;
    }
    let kind = |c: u8| {
        if c.is_ascii_digit() {
            0
        } else if c.is_ascii_uppercase() {
            1
        } else {
            2
        }
    };
    let mut start = 0;
    for i in 1..b.len() {
        let (p, c) = (kind(b[i - 1]), kind(b[i]));
        let cut = (p == 0) != (c == 0)
            || (p == 2 && c == 1)
            || (p == 1 && c == 1 && b.get(i + 1).is_some_and(u8::is_ascii_lowercase));
        if cut {
            out.push((start, i));
            start = i;
        }
    }
    out.push((start, b.len()));
    if out.len() < 2 {
        out.clear();
    }
}

/// Scan one line into tokens (see the module documentation), byte by byte: an ASCII byte is
/// its own character, and only other characters are decoded and looked up in the Unicode
/// tables (with the ASCII copy below, tokenising the training passages went from 119.5 to
/// 145.5 MiB/s against the character iterator this replaced; docs/PERFORMANCE.md). A test
/// keeps the character-iterator scan as the reference (`byte_scan_agrees_with_the_char_scan`).
///
/// `ASCII` says the line is all ASCII (most lines of English copy): the scan is then compiled
/// without the decoding and the tables.
fn scan_line<const ASCII: bool>(
    line: &str,
    base: usize,
    split_hashtags: bool,
    dots: bool,
    out: &mut Tokens,
) {
    let b = line.as_bytes();
    let n = b.len();
    // The character at byte `i` and its length.
    let char_at = |i: usize| -> (char, usize) {
        if ASCII || b[i] < 0x80 {
            (b[i] as char, 1)
        } else {
            let c = line[i..].chars().next().expect("a character boundary");
            (c, c.len_utf8())
        }
    };
    let word = |c: char| {
        if ASCII || c.is_ascii() {
            c.is_ascii_alphanumeric()
        } else {
            is_word_char(c)
        }
    };
    let mut parts: Vec<(usize, usize)> = Vec::new();
    let mut quoted = false;
    let mut brk = true;
    // Whether the pending break is more than quotation marks (the line start counts).
    let mut hard = true;
    // Whether it is more than colons and quotation marks (the line start counts).
    let mut beyond_colon = true;
    // Index of an "al" / "el" token that may join the next word, while only spaces and hyphens
    // have been seen since it.
    let mut pending_article: Option<usize> = None;
    let mut i = 0;
    while i < n {
        let (c, len) = char_at(i);
        i += len;
        if !word(c) {
            if c.is_whitespace() || is_dash(c) {
                // Spaces and hyphens keep a pending article alive.
                continue;
            }
            pending_article = None;
            if let Some(kind) = quote_kind(c) {
                quoted = kind.unwrap_or(!quoted);
                brk = true;
            } else if is_break(c) {
                brk = true;
                hard = true;
                beyond_colon |= c != ':';
            }
            continue;
        }
        let start = i - len;
        let mut seg_chars = 1usize; // chars since the token start or the last joined dot
        let mut last = c;
        while i < n {
            let (d, dlen) = char_at(i);
            if word(d) {
                seg_chars += 1;
                last = d;
                i += dlen;
                continue;
            }
            if i + dlen >= n {
                break;
            }
            let (next, nlen) = char_at(i + dlen);
            let joins = if is_apostrophe(d) {
                last.is_alphabetic() && next.is_alphabetic()
            } else {
                match d {
                    '.' if last.is_ascii_digit() => next.is_ascii_digit(),
                    '.' => seg_chars == 1 && last.is_alphabetic() && next.is_alphabetic(),
                    ',' => last.is_ascii_digit() && next.is_ascii_digit(),
                    _ => false,
                }
            };
            if !joins {
                break;
            }
            i += dlen + nlen;
            seg_chars = if d == '.' { 1 } else { seg_chars + 2 };
            last = next;
        }
        let end = i;
        let norm_start = out.norm.len();
        // The line is known ASCII: `normalize_token`'s own check per token (2% of scoring
        // tweets, callgrind) is skipped.
        if ASCII {
            normalize_ascii(&b[start..end], dots, &mut out.norm);
        } else {
            normalize_token(&line[start..end], dots, &mut out.norm, &mut out.chars);
        }
        if out.norm.len() == norm_start {
            // Only removable marks (e.g. a lone tatweel): no token.
            continue;
        }
        let first_letter = out.norm[norm_start..]
            .chars()
            .next()
            .is_some_and(char::is_alphabetic);
        if let Some(k) = pending_article.take()
            && first_letter
        {
            let t = &mut out.tokens[k];
            t.end = (base + end) as u32;
            t.norm_end = out.norm.len() as u32;
            brk = false;
            hard = false;
            beyond_colon = false;
            continue;
        }
        let is_article = matches!(&out.norm[norm_start..], "al" | "el");
        let mut flags = 0;
        if quoted {
            flags |= QUOTED;
        }
        if brk {
            flags |= if hard { BREAK } else { BREAK | QUOTE_BREAK };
            if hard && !beyond_colon {
                flags |= COLON_BREAK;
            }
        }
        out.tokens.push(Token {
            start: (base + start) as u32,
            end: (base + end) as u32,
            norm_start: norm_start as u32,
            norm_end: out.norm.len() as u32,
            flags,
        });
        brk = false;
        hard = false;
        beyond_colon = false;
        if is_article {
            pending_article = Some(out.tokens.len() - 1);
        }
        if split_hashtags && start > 0 && b[start - 1] == b'#' {
            hashtag_parts(&line[start..end], &mut parts);
            for &(s, e) in &parts {
                let norm_start = out.norm.len();
                normalize_token(
                    &line[start + s..start + e],
                    dots,
                    &mut out.norm,
                    &mut out.chars,
                );
                out.tokens.push(Token {
                    start: (base + start + s) as u32,
                    end: (base + start + e) as u32,
                    norm_start: norm_start as u32,
                    norm_end: out.norm.len() as u32,
                    flags: (flags & QUOTED) | SUBWORD,
                });
            }
            if !parts.is_empty() {
                pending_article = None;
            }
        }
    }
}

/// [`normalize_token`] of an ASCII token.
fn normalize_ascii(b: &[u8], dots: bool, out: &mut String) {
    for (k, &c) in b.iter().enumerate() {
        match c {
            b'A'..=b'Z' => out.push((c + 32) as char),
            b',' => {}
            b'.' => {
                if dots
                    || k > 0
                        && b[k - 1].is_ascii_digit()
                        && b.get(k + 1).is_some_and(u8::is_ascii_digit)
                {
                    out.push('.');
                }
            }
            _ => out.push(c as char),
        }
    }
}

/// Append the normalised form of one token to `out`.
fn normalize_token(s: &str, dots: bool, out: &mut String, chars: &mut Vec<char>) {
    if s.is_ascii() {
        normalize_ascii(s.as_bytes(), dots, out);
        return;
    }
    chars.clear();
    chars.extend(s.nfkc());
    for k in 0..chars.len() {
        let c = chars[k];
        match c {
            ',' => {}
            '.' => {
                let digits = k > 0
                    && chars[k - 1].is_ascii_digit()
                    && chars.get(k + 1).is_some_and(char::is_ascii_digit);
                if digits || dots {
                    out.push('.');
                }
            }
            _ => fold_char(c, out),
        }
    }
}

/// Fold one (already NFKC) character into `out`: lowercase, quotes, Latin diacritics, Arabic.
fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() && c != '`' {
        out.push(c.to_ascii_lowercase());
        return;
    }
    match c {
        '\u{2018}' | '\u{2019}' | '\u{02BC}' | '`' | '\u{00B4}' => out.push('\''),
        // Arabic harakat, superscript alef, tatweel.
        '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}' => {}
        '\u{0623}' | '\u{0625}' | '\u{0622}' | '\u{0671}' => out.push('\u{0627}'),
        '\u{0649}' | '\u{06CC}' | '\u{0626}' => out.push('\u{064A}'),
        '\u{0629}' => out.push('\u{0647}'),
        '\u{06A9}' => out.push('\u{0643}'),
        '\u{0624}' => out.push('\u{0648}'),
        // Combining diacritics left over on Latin letters.
        '\u{0300}'..='\u{036F}' => {}
        '\u{00DF}' => out.push_str("ss"),
        '\u{00E6}' | '\u{00C6}' => out.push_str("ae"),
        '\u{00F8}' | '\u{00D8}' => out.push('o'),
        '\u{0111}' | '\u{0110}' => out.push('d'),
        '\u{0142}' | '\u{0141}' => out.push('l'),
        '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => {
            let mut base = None;
            unicode_normalization::char::decompose_canonical(c, |d| {
                if base.is_none() {
                    base = Some(d);
                }
            });
            match base {
                Some(b) if b.is_ascii() => out.push(b.to_ascii_lowercase()),
                _ => out.extend(c.to_lowercase()),
            }
        }
        _ => out.extend(c.to_lowercase()),
    }
}

/// Fold a whole line for residue matching: normalised tokens joined by single spaces, with
/// the bracket and underscore characters kept so markers like `[ad_1]` survive.
fn fold_line(line: &str, out: &mut String) {
    out.clear();
    // NFKC leaves ASCII as it is: most lines skip it (it and Unicode lowercasing were 9% of
    // classify), and `fold_char` lowercases their characters without the Unicode tables.
    if line.is_ascii() {
        fold_chars(line.chars(), out);
    } else {
        fold_chars(line.nfkc(), out);
    }
}

fn fold_chars(chars: impl Iterator<Item = char>, out: &mut String) {
    let mut space = false;
    for c in chars {
        if c.is_whitespace() || is_dash(c) {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        match c {
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => out.push('"'),
            _ => fold_char(c, out),
        }
    }
}

/// The list of web-residue line patterns: see `data/residue.txt` for the format.
///
/// Each non-comment line is `exact TEXT`, `prefix TEXT`, `contains TEXT` or `end TEXT`. Lines
/// of an article are folded (lowercase, quotes and dashes folded, runs of spaces and hyphens
/// made one space) and dropped when they equal an `exact` pattern, start with a `prefix`
/// pattern, or, for lines of at most 200 bytes, contain a `contains` pattern. A line equal to
/// an `end` pattern is dropped, and when it starts in the second half of the text, so is every
/// line after it (a comment section, an outlet's footer).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Residue {
    exact: Vec<String>,
    end: Vec<String>,
    prefix: Vec<String>,
    contains: Vec<String>,
    /// Raw bytes of a line that must be folded to test the prefix (or exact) patterns: folding
    /// never shortens text by more than its runs of spaces and hyphens, so 4 bytes per pattern
    /// character plus slack is enough.
    prefix_scan: usize,
    exact_scan: usize,
    /// The first two bytes of each folded `prefix` pattern, when both are ASCII (a line whose
    /// first two characters are ASCII can start with no other), and the first byte of each
    /// pattern of one byte: a long line (which only prefix patterns can match) whose first two
    /// characters fold to none of them is not folded at all. Most sentences start with a
    /// capital and a small letter: on the first byte alone, every line starting "The" was
    /// folded for "tags:", and the residue check was 17% of the analysis's instructions.
    prefix_pairs: Vec<[u8; 2]>,
    prefix_single: u128,
    /// The same for the `exact` and `end` patterns (a line must fold to one of them whole).
    whole_pairs: Vec<[u8; 2]>,
    whole_single: u128,
    /// The longest run of ASCII letters and digits of each `contains` pattern (`None` when one
    /// has none): an ASCII line that holds none of them, in any case, contains no pattern,
    /// and is not folded. Folding an ASCII line only lowercases it and turns runs of spaces,
    /// hyphens and backquotes into one character, so such a run of the folded line is in the
    /// line as it is.
    anchors: Option<Vec<String>>,
}

/// Lines longer than this are only checked against `prefix` patterns on their first bytes.
const RESIDUE_SCAN_BYTES: usize = 400;
/// `contains` patterns apply only to lines up to this length.
const RESIDUE_CONTAINS_MAX: usize = 200;

impl Residue {
    /// Parse a residue list; `path` names it in errors.
    pub fn parse(src: &str, path: &Path) -> Result<Self> {
        let mut r = Residue {
            anchors: Some(Vec::new()),
            ..Residue::default()
        };
        let mut folded = String::new();
        for (i, raw) in src.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (kind, text) = line.split_once(char::is_whitespace).ok_or_else(|| {
                Error::parse(
                    path,
                    i as u64 + 1,
                    "expected `exact|prefix|contains|end TEXT`",
                )
            })?;
            fold_line(text.trim(), &mut folded);
            if folded.is_empty() {
                return Err(Error::parse(path, i as u64 + 1, "empty pattern"));
            }
            let list = match kind {
                "exact" => &mut r.exact,
                "prefix" => &mut r.prefix,
                "contains" => &mut r.contains,
                "end" => &mut r.end,
                other => {
                    return Err(Error::parse(
                        path,
                        i as u64 + 1,
                        format!(
                            "unknown pattern kind `{other}` (expected exact, prefix, contains or end)"
                        ),
                    ));
                }
            };
            let scan = 4 * folded.chars().count() + 64;
            match kind {
                "exact" | "end" => r.exact_scan = r.exact_scan.max(scan),
                "prefix" => r.prefix_scan = r.prefix_scan.max(scan),
                _ => {}
            }
            let (pairs, single) = match kind {
                "prefix" => (&mut r.prefix_pairs, &mut r.prefix_single),
                "exact" | "end" => (&mut r.whole_pairs, &mut r.whole_single),
                _ => {
                    let anchor = folded
                        .split(|c: char| !c.is_ascii_alphanumeric())
                        .max_by_key(|w| w.len())
                        .filter(|w| !w.is_empty());
                    match (anchor, &mut r.anchors) {
                        (Some(a), Some(anchors)) => anchors.push(a.to_owned()),
                        (None, anchors) => *anchors = None,
                        _ => {}
                    }
                    list.push(folded.clone());
                    continue;
                }
            };
            match *folded.as_bytes() {
                [a] if a.is_ascii() => *single |= 1 << a,
                [a, b, ..] if a.is_ascii() && b.is_ascii() && !pairs.contains(&[a, b]) => {
                    pairs.push([a, b]);
                }
                _ => {}
            }
            list.push(folded.clone());
        }
        Ok(r)
    }

    /// The first two bytes of `line` folded, when folding them is plain: the line's first
    /// two characters after any hyphens (which folding drops) are ASCII, and so is the one
    /// after them (no combining mark joins the second), the first is not white space, and the
    /// line goes on after the second. `None` otherwise.
    fn first_folded_pair(line: &str) -> Option<[u8; 2]> {
        let b = line.as_bytes();
        let k = b.iter().position(|&c| c != b'-')?;
        let (&c, &d, &e) = (b.get(k)?, b.get(k + 1)?, b.get(k + 2)?);
        // `char::is_whitespace`, as folding tests it (it counts the vertical tab, which
        // `u8::is_ascii_whitespace` does not).
        let space = |x: u8| (x as char).is_whitespace();
        if !c.is_ascii() || !d.is_ascii() || !e.is_ascii() || space(c) {
            return None;
        }
        let fold = |x: u8| match x {
            b'`' => b'\'',
            // A run of white space and hyphens folds to one space (or, when nothing else
            // follows, to nothing: the line is then its first character, which the patterns
            // of one character are tested on).
            b'-' => b' ',
            x if space(x) => b' ',
            x => x.to_ascii_lowercase(),
        };
        Some([fold(c), fold(d)])
    }

    /// Whether a line starting with these two folded bytes might start with a `prefix`
    /// pattern.
    fn prefix_may_start(&self, pair: [u8; 2]) -> bool {
        self.prefix_single & (1 << pair[0]) != 0 || self.prefix_pairs.contains(&pair)
    }

    /// Whether a line starting with these two folded bytes might be an `exact` or `end`
    /// pattern whole.
    fn whole_may_start(&self, pair: [u8; 2]) -> bool {
        self.whole_single & (1 << pair[0]) != 0 || self.whole_pairs.contains(&pair)
    }

    /// Whether `line` (of at most [`RESIDUE_CONTAINS_MAX`] bytes) might contain a `contains`
    /// pattern once folded: not when it is ASCII and holds none of their anchors.
    fn may_contain(&self, line: &str) -> bool {
        if self.contains.is_empty() {
            return false;
        }
        let (Some(anchors), true) = (&self.anchors, line.is_ascii()) else {
            return true;
        };
        let mut buf = [0u8; RESIDUE_CONTAINS_MAX];
        let low = &mut buf[..line.len()];
        low.copy_from_slice(line.as_bytes());
        low.make_ascii_lowercase();
        let low = std::str::from_utf8(low).expect("ASCII");
        anchors.iter().any(|a| low.contains(a.as_str()))
    }

    /// Whether the list has no patterns.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty()
            && self.prefix.is_empty()
            && self.contains.is_empty()
            && self.end.is_empty()
    }

    /// Number of patterns.
    pub fn len(&self) -> usize {
        self.exact.len() + self.prefix.len() + self.contains.len() + self.end.len()
    }

    /// Whether `line` is residue (of any kind). `scratch` is reused between calls.
    pub fn matches(&self, line: &str, scratch: &mut String) -> bool {
        self.check(line, scratch).is_some()
    }

    /// What `line` is: residue to drop (`Line`), a line that can end the article (`End`), or
    /// neither. `scratch` is reused between calls.
    pub fn check(&self, line: &str, scratch: &mut String) -> Option<Verdict> {
        let line = line.trim();
        // Most lines can be told apart from every pattern without folding them: by their
        // first two characters (prefix, exact and end patterns) and by the words a contains
        // pattern needs.
        let pair = Self::first_folded_pair(line);
        let may_prefix = pair.is_none_or(|p| self.prefix_may_start(p));
        let may_whole =
            line.len() <= self.exact_scan && pair.is_none_or(|p| self.whole_may_start(p));
        let may_contain = line.len() <= RESIDUE_CONTAINS_MAX && self.may_contain(line);
        if !(may_prefix || may_whole || may_contain) {
            return None;
        }
        // Fold only what a pattern can match: all of a short line (contains patterns), else
        // the head that prefix and exact patterns need.
        let needed = if line.len() <= RESIDUE_CONTAINS_MAX || line.len() <= self.exact_scan {
            line.len()
        } else {
            self.prefix_scan
        };
        let mut cut = line.len().min(needed).min(RESIDUE_SCAN_BYTES);
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        fold_line(&line[..cut], scratch);
        let whole = cut == line.len();
        let folded = scratch.as_str();
        if whole && self.end.iter().any(|p| p == folded) {
            return Some(Verdict::End);
        }
        ((whole && self.exact.iter().any(|p| p == folded))
            || self.prefix.iter().any(|p| folded.starts_with(p.as_str()))
            || (line.len() <= RESIDUE_CONTAINS_MAX
                && self.contains.iter().any(|p| folded.contains(p.as_str()))))
        .then_some(Verdict::Line)
    }
}

/// What [`Residue::check`] found a line to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Residue: the line is dropped.
    Line,
    /// A line that ends the article (`end`): dropped, with every line after it when it starts
    /// in the text's second half.
    End,
}

/// Words before a full stop that do not end a sentence ("Gen. Ahmed", "Mr. al-Sudani").
const ABBREVIATIONS: [&str; 24] = [
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "sgt", "adm", "gov", "sen",
    "rep", "st", "no", "vs", "etc", "jan", "feb", "aug", "sept", "oct",
];

/// The sentences of `text` as byte ranges, in order, each trimmed of surrounding white space:
/// a sentence ends at a line end, or at `.`, `!` or `?` (with any closing quotation marks and
/// brackets after it) followed by white space and then something that can start a sentence
/// (not a lowercase letter). A full stop after a single letter ("U.S.", "A. Smith"), inside a
/// dotted abbreviation or after a common abbreviation ("Gen.") does not end one; nor does one
/// inside a number ("3.5"). Pieces with no letter or digit are left out.
pub fn sentence_spans(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut push = |lo: usize, hi: usize| {
        let piece = &text[lo..hi];
        let start = lo + (piece.len() - piece.trim_start().len());
        let end = lo + piece.trim_end().len();
        if start < end && text[start..end].chars().any(char::is_alphanumeric) {
            out.push(start..end);
        }
    };
    let closers = |c: char| {
        matches!(
            c,
            '"' | '\'' | '\u{201D}' | '\u{2019}' | '\u{00BB}' | ')' | ']' | '\u{300D}'
        )
    };
    let mut start = 0usize;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\n' {
            // A blank line ends a sentence; a single line end only where the line does not
            // run on (hard-wrapped text breaks lines mid-sentence: "calm and\ncomposed").
            let line = text[start..i].trim_end();
            let runs_on = line.chars().next_back().is_some_and(|p| {
                p.is_alphanumeric()
                    || matches!(p, ',' | ';' | ':' | '-' | '\u{2013}' | '\u{2014}' | '(')
            });
            let blank_next = text[i + 1..]
                .split('\n')
                .next()
                .is_some_and(|l| l.trim().is_empty());
            if !runs_on || blank_next {
                push(start, i);
                start = i + 1;
            }
            continue;
        }
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        // The sentence runs on through closing quotation marks and brackets.
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if closers(d) || matches!(d, '.' | '!' | '?') {
                end = j + d.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        // White space, then a character that can start a sentence; or, with no space (a
        // slip common in translated copy: "his record?Why has he"), a capitalised word
        // right after a lowercase letter.
        let rest = &text[end..];
        let after = rest.trim_start_matches([' ', '\t', '\u{00A0}']);
        if after.len() == rest.len() && !rest.is_empty() && !rest.starts_with(['\n', '\r']) {
            let before_lower = text[..i]
                .chars()
                .next_back()
                .is_some_and(char::is_lowercase);
            let mut next = rest.chars();
            let capitalised = next.next().is_some_and(char::is_uppercase)
                && next.next().is_some_and(char::is_lowercase);
            if !(before_lower && capitalised) {
                continue;
            }
        }
        // Not before a lowercase letter, nor before punctuation that continues the sentence
        // (`.” , to remove the carpet`).
        if after
            .chars()
            .next()
            .is_some_and(|n| n.is_lowercase() || matches!(n, ',' | ';' | ':' | ')' | ']'))
        {
            continue;
        }
        if c == '.' {
            // The word before the full stop.
            let word = text[start..i]
                .rsplit(|ch: char| ch.is_whitespace() || ch == '(')
                .next()
                .unwrap_or("");
            let letters = word.trim_start_matches(|ch: char| !ch.is_alphanumeric());
            if letters.chars().count() == 1 && letters.chars().all(char::is_alphabetic)
                || letters.contains('.')
                || ABBREVIATIONS.contains(&letters.to_lowercase().as_str())
            {
                continue;
            }
        }
        push(start, end);
        start = end;
    }
    push(start, text.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norms(text: &str) -> Vec<String> {
        tokenize_str(text).norms().map(str::to_owned).collect()
    }

    /// The scan as it was written before the byte scan, reading a `Peekable<CharIndices>`:
    /// the reference that [`scan_line`] must agree with.
    fn char_scan(line: &str, base: usize, split_hashtags: bool, dots: bool, out: &mut Tokens) {
        let mut parts: Vec<(usize, usize)> = Vec::new();
        let mut quoted = false;
        let mut brk = true;
        // Whether the pending break is more than quotation marks (the line start counts).
        let mut hard = true;
        // Whether it is more than colons and quotation marks (the line start counts).
        let mut beyond_colon = true;
        // Index of an "al" / "el" token that may join the next word, while only spaces and hyphens
        // have been seen since it.
        let mut pending_article: Option<usize> = None;
        let mut iter = line.char_indices().peekable();
        while let Some((pos, c)) = iter.next() {
            if is_word_char(c) {
                let start = pos;
                let mut end = pos + c.len_utf8();
                let mut seg_chars = 1usize; // chars since the token start or the last joined dot
                let mut last = c;
                while let Some(&(p, d)) = iter.peek() {
                    if is_word_char(d) {
                        end = p + d.len_utf8();
                        seg_chars += 1;
                        last = d;
                        iter.next();
                        continue;
                    }
                    let next = line[p + d.len_utf8()..].chars().next();
                    let joins = match (d, next) {
                        (_, None) => false,
                        (d, Some(n)) if is_apostrophe(d) => {
                            last.is_alphabetic() && n.is_alphabetic()
                        }
                        ('.', Some(n)) if last.is_ascii_digit() => n.is_ascii_digit(),
                        ('.', Some(n)) => {
                            seg_chars == 1 && last.is_alphabetic() && n.is_alphabetic()
                        }
                        (',', Some(n)) => last.is_ascii_digit() && n.is_ascii_digit(),
                        _ => false,
                    };
                    if !joins {
                        break;
                    }
                    let n = next.unwrap_or(d);
                    iter.next();
                    let (np, _) = iter.next().unwrap_or((p, n));
                    end = np + n.len_utf8();
                    seg_chars = if d == '.' { 1 } else { seg_chars + 2 };
                    last = n;
                }
                let norm_start = out.norm.len();
                normalize_token(&line[start..end], dots, &mut out.norm, &mut out.chars);
                if out.norm.len() == norm_start {
                    // Only removable marks (e.g. a lone tatweel): no token.
                    continue;
                }
                let first_letter = out.norm[norm_start..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphabetic);
                if let Some(k) = pending_article.take()
                    && first_letter
                {
                    let t = &mut out.tokens[k];
                    t.end = (base + end) as u32;
                    t.norm_end = out.norm.len() as u32;
                    brk = false;
                    hard = false;
                    beyond_colon = false;
                    continue;
                }
                let is_article = matches!(&out.norm[norm_start..], "al" | "el");
                let mut flags = 0;
                if quoted {
                    flags |= QUOTED;
                }
                if brk {
                    flags |= if hard { BREAK } else { BREAK | QUOTE_BREAK };
                    if hard && !beyond_colon {
                        flags |= COLON_BREAK;
                    }
                }
                out.tokens.push(Token {
                    start: (base + start) as u32,
                    end: (base + end) as u32,
                    norm_start: norm_start as u32,
                    norm_end: out.norm.len() as u32,
                    flags,
                });
                brk = false;
                hard = false;
                beyond_colon = false;
                if is_article {
                    pending_article = Some(out.tokens.len() - 1);
                }
                if split_hashtags && line[..start].ends_with('#') {
                    hashtag_parts(&line[start..end], &mut parts);
                    for &(s, e) in &parts {
                        let norm_start = out.norm.len();
                        normalize_token(
                            &line[start + s..start + e],
                            dots,
                            &mut out.norm,
                            &mut out.chars,
                        );
                        out.tokens.push(Token {
                            start: (base + start + s) as u32,
                            end: (base + start + e) as u32,
                            norm_start: norm_start as u32,
                            norm_end: out.norm.len() as u32,
                            flags: (flags & QUOTED) | SUBWORD,
                        });
                    }
                    if !parts.is_empty() {
                        pending_article = None;
                    }
                }
            } else if c.is_whitespace() || is_dash(c) {
                // Spaces and hyphens keep a pending article alive.
            } else {
                pending_article = None;
                if let Some(kind) = quote_kind(c) {
                    quoted = kind.unwrap_or(!quoted);
                    brk = true;
                } else if is_break(c) {
                    brk = true;
                    hard = true;
                    beyond_colon |= c != ':';
                }
            }
        }
    }

    /// A scan's tokens and normal text.
    type Scanned = (Vec<Token>, String);

    /// Both scans of one line, for each setting of hashtags and dots.
    fn both_scans(line: &str) -> Vec<(Scanned, Scanned)> {
        let mut runs = Vec::new();
        for (hashtags, dots) in [(false, false), (true, false), (false, true), (true, true)] {
            let scan = |f: fn(&str, usize, bool, bool, &mut Tokens)| {
                let mut t = Tokens::default();
                f(line, 7, hashtags, dots, &mut t);
                (t.tokens, t.norm)
            };
            let bytes = scan(scan_line::<false>);
            if line.is_ascii() {
                runs.push((scan(scan_line::<true>), bytes.clone()));
            }
            runs.push((bytes, scan(char_scan)));
        }
        runs
    }

    #[test]
    fn byte_scan_agrees_with_the_char_scan_on_tricky_lines() {
        let lines = [
            "Al-Kazemi's U.S. visit: \"no deal\", said al -Maliki (2.5%, 1,450 men); el Sadr-",
            "#StopTheWar #USAToday #Vote2020Now #Iraq don't won't 'quoted' 3.14.15 a.m. x.y.z",
            "AL- KAZEMI al\t\x0bKazemi al-#tag al 2020 al: al\" x\"al\"kazemi\" it's.' '.a",
            "e.g.,1,2,,3 4.,5 .5 5. U.S.A.'s -- --al---kazemi (al) [al] {x}|y!z?w;v",
            "\u{201C}Al\u{2019}s\u{201D} al\u{2014}Kāẓimī «spy» \u{0627}\u{0644}\u{0643}\u{0627}\u{0638}\u{0645}\u{064A}\u{061F} ـ x\u{0301}y",
            "el\u{00A0}Sadr \u{2018}Iraq\u{2019}s\u{2019} 3\u{2019}4 ٣.٤ ＂ok＂ Straße\u{2026}#Über #ÜberAlles e\u{2009}-\u{2009}al",
        ];
        for line in lines {
            for (fast, general) in both_scans(line) {
                assert_eq!(fast, general, "{line:?}");
            }
        }
        // The scans see something: the first line's tokens as the general scan gives them.
        let mut t = Tokens::default();
        scan_line::<true>(lines[0], 0, false, false, &mut t);
        let words: Vec<&str> = t.norms().collect();
        assert_eq!(
            words,
            [
                "alkazemi's",
                "us",
                "visit",
                "no",
                "deal",
                "said",
                "almaliki",
                "2.5",
                "1450",
                "men",
                "elsadr"
            ]
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn byte_scan_agrees_with_the_char_scan(
            line in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "B", "al", "El", "AL", "x", "Q", "7", "0", " ", "  ", "\t", "\x0b", "\x0c",
                    "\r", "-", "--", "'", ".", ",", ":", ";", "!", "?", "\"", "#", "(", ")",
                    "[", "]", "{", "}", "|", "_", "/", "&", "`", "kazemi", "US", "s", "t",
                    "\u{201C}", "\u{201D}", "\u{2019}", "\u{2018}", "\u{02BC}", "«", "»", "é", "Ü",
                    "ß", "\u{0301}", "\u{2014}", "\u{2026}", "\u{00A0}", "\u{2009}", "\u{0627}\u{0644}",
                    "\u{0643}\u{0627}\u{0638}\u{0645}\u{064A}", "\u{0640}", "\u{064E}", "\u{061F}",
                    "\u{061B}", "٣", "＂", "\u{FB01}", "\u{2212}", "\u{3002}", "\u{1F600}",
                ]),
                0..40,
            )
        ) {
            let line = line.concat();
            for (fast, general) in both_scans(&line) {
                proptest::prop_assert_eq!(fast, general, "{:?}", line);
            }
        }
    }

    #[test]
    fn breaks_made_only_by_quotation_marks_are_marked() {
        let t = tokenize_str("He called them \u{201C}spies\u{201D}, again. \"Fine\" - then");
        let flags = |w: &str| {
            let i = t.norms().position(|n| n == w).unwrap();
            t.as_slice()[i].flags & (BREAK | QUOTE_BREAK)
        };
        assert_eq!(flags("he"), BREAK); // the line start
        assert_eq!(flags("called"), 0);
        assert_eq!(flags("spies"), BREAK | QUOTE_BREAK);
        assert_eq!(flags("again"), BREAK | QUOTE_BREAK);
        assert_eq!(flags("fine"), BREAK); // a full stop, then a quotation mark
        assert_eq!(flags("then"), BREAK | QUOTE_BREAK);
        // A colon's break is marked as such; with a full stop or a bracket beside it, not.
        let t = tokenize_str("Their insults: spy, \u{201C}agent\u{201D}. Then: (now) x:. y");
        let colon = |w: &str| {
            let i = t.norms().position(|n| n == w).unwrap();
            t.as_slice()[i].flags & (BREAK | COLON_BREAK)
        };
        assert_eq!(colon("their"), BREAK);
        assert_eq!(colon("spy"), BREAK | COLON_BREAK);
        assert_eq!(colon("agent"), BREAK); // a quotation mark's break, after the comma
        assert_eq!(colon("then"), BREAK);
        assert_eq!(colon("now"), BREAK);
        assert_eq!(colon("y"), BREAK);
    }

    #[test]
    fn abbreviation_dots_are_kept_only_when_asked() {
        let text = "The U.S. and US told us at 9 a.m. of 3.5 and 1,000, e.g. in D.C.";
        let run = |dots: bool| {
            let mut t = Tokens::default();
            tokenize_with(text, &Residue::default(), false, dots, &mut t);
            t.norms().map(str::to_owned).collect::<Vec<_>>()
        };
        assert_eq!(
            run(true),
            [
                "the", "u.s", "and", "us", "told", "us", "at", "9", "a.m", "of", "3.5", "and",
                "1000", "e.g", "in", "d.c"
            ]
        );
        assert_eq!(
            run(false),
            [
                "the", "us", "and", "us", "told", "us", "at", "9", "am", "of", "3.5", "and",
                "1000", "eg", "in", "dc"
            ]
        );
    }

    #[test]
    fn camel_case_hashtags_are_followed_by_their_words() {
        let text = "So #DictatorDon and #USAToday, \u{201C}#Vote2020Now\u{201D} #Iraq #x_y";
        let mut t = Tokens::default();
        tokenize_with(text, &Residue::default(), true, false, &mut t);
        let got: Vec<(&str, &str, bool, bool)> = (0..t.len())
            .map(|i| {
                let k = t.as_slice()[i];
                (t.norm(i), &text[k.span()], k.subword(), k.quoted())
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("so", "So", false, false),
                ("dictatordon", "DictatorDon", false, false),
                ("dictator", "Dictator", true, false),
                ("don", "Don", true, false),
                ("and", "and", false, false),
                ("usatoday", "USAToday", false, false),
                ("usa", "USA", true, false),
                ("today", "Today", true, false),
                ("vote2020now", "Vote2020Now", false, true),
                ("vote", "Vote", true, true),
                ("2020", "2020", true, true),
                ("now", "Now", true, true),
                ("iraq", "Iraq", false, false),
                ("x", "x", false, false),
                ("y", "y", false, false),
            ]
        );
        assert!(
            t.as_slice()
                .iter()
                .all(|k| !k.subword() || !k.breaks_before())
        );
        // Off (the default of `tokenize`): no extra tokens.
        assert_eq!(norms(text).len(), 8);
    }

    #[test]
    fn residue_prefixes_match_long_lines_and_exact_needs_the_whole_line() {
        let r = Residue::parse(
            "prefix read also\nexact share this\ncontains subscribe button\n",
            Path::new("r"),
        )
        .unwrap();
        let mut scratch = String::new();
        let long_tail = "x".repeat(2000);
        assert!(r.matches(&format!("READ   ALSO: {long_tail}"), &mut scratch));
        assert!(r.matches("  Share  this ", &mut scratch));
        assert!(!r.matches(&format!("Share this {long_tail}"), &mut scratch));
        assert!(r.matches("Click the subscribe button!", &mut scratch));
        assert!(!r.matches(&format!("{long_tail} subscribe button"), &mut scratch));
        assert!(!r.matches(&format!("We read also {long_tail}"), &mut scratch));
    }

    /// A long line whose first character cannot start a prefix pattern is not folded; every
    /// other line is. Both must agree with folding the whole line and testing every pattern.
    #[test]
    fn residue_skips_long_lines_only_when_no_prefix_can_match() {
        let r = Residue::parse(
            "prefix read also\nprefix [ad\nprefix \u{201C}more\nprefix \u{00E9}t\u{00E9}\n\
             prefix q\nprefix t-s\nprefix tags:\nexact share this\ncontains subscribe button\n",
            Path::new("r"),
        )
        .unwrap();
        let tail = format!(" {}", "word ".repeat(60));
        let mut scratch = String::new();
        let mut folded = String::new();
        let mut skipped_kinds = 0;
        for head in [
            "",
            "-",
            "--",
            "- ",
            "\u{2014}",
            "\u{2014} ",
            "`",
            "\"",
            "\u{201C}",
            "[",
            "R",
            "r",
            "\u{00C9}",
            "E\u{301}",
            "e\u{301}",
            "x",
            "q",
            "T",
            "T ",
            "t-",
            "\u{0627}",
        ] {
            for body in [
                "read also:",
                "READ ALSO",
                "Read  also",
                "ad_1]",
                "more",
                "t\u{00E9}",
                "te\u{301}",
                "share this",
                "nothing",
                "he end",
                "ags: Iraq",
                "s",
                "-s",
            ] {
                let line = format!("{head}{body}{tail}");
                fold_line(line.trim(), &mut folded);
                let expected = r.prefix.iter().any(|p| folded.starts_with(p.as_str()));
                assert_eq!(r.matches(&line, &mut scratch), expected, "{line:?}");
                // The fast path's two bytes are the folded line's first two.
                if let Some(pair) = Residue::first_folded_pair(line.trim()) {
                    assert_eq!(&pair[..], &folded.as_bytes()[..2], "{line:?}");
                    skipped_kinds += usize::from(!r.prefix_may_start(pair));
                }
            }
        }
        // The fast path was taken for some lines (and they still agreed).
        assert!(skipped_kinds > 20);
        assert!(r.matches(&format!("--Read also{tail}"), &mut scratch));
        assert!(r.matches(&format!("\u{00C9}t\u{00E9}{tail}"), &mut scratch));
        assert!(!r.matches(&format!("Reading also{tail}"), &mut scratch));
    }

    #[test]
    fn name_spellings_meet_as_one_token() {
        for spelling in [
            "Al-Kazemi",
            "Al -Kazemi",
            "Al- Kazemi",
            "AL-Kazemi",
            "Al Kazemi",
            "Alkazemi",
            "al\u{2013}Kazemi",
            "Al \u{2014} Kazemi",
        ] {
            assert_eq!(norms(spelling), vec!["alkazemi"], "spelling {spelling:?}");
        }
        assert_eq!(norms("al-Kadhimi"), vec!["alkadhimi"]);
        assert_eq!(norms("Mustafa Al -Kazemi's"), vec!["mustafa", "alkazemi's"]);
    }

    #[test]
    fn article_does_not_join_across_punctuation_or_numbers() {
        assert_eq!(norms("al. Kazemi"), vec!["al", "kazemi"]);
        assert_eq!(norms("al 2020"), vec!["al", "2020"]);
        assert_eq!(norms("al"), vec!["al"]);
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "Orders to strip Al -Kazemi\u{2019}s guard.\n\u{201C}Spies,\u{201D} they said.";
        let toks = tokenize_str(text);
        for (i, t) in toks.as_slice().iter().enumerate() {
            assert!(text.is_char_boundary(t.start as usize));
            assert!(text.is_char_boundary(t.end as usize));
            let orig = &text[t.span()];
            assert!(!orig.is_empty(), "token {i}");
        }
        let k = toks.norms().position(|n| n == "alkazemi's").unwrap();
        assert_eq!(&text[toks.as_slice()[k].span()], "Al -Kazemi\u{2019}s");
        let spies = toks.norms().position(|n| n == "spies").unwrap();
        assert!(toks.as_slice()[spies].quoted());
        let they = toks.norms().position(|n| n == "they").unwrap();
        assert!(!toks.as_slice()[they].quoted());
    }

    #[test]
    fn quotes_end_with_their_line() {
        let toks = tokenize_str("He said \u{201C}never again\nand then left");
        let and = toks.norms().position(|n| n == "and").unwrap();
        assert!(!toks.as_slice()[and].quoted());
        let never = toks.norms().position(|n| n == "never").unwrap();
        assert!(toks.as_slice()[never].quoted());
    }

    #[test]
    fn nfkc_diacritics_and_arabic_are_folded() {
        assert_eq!(norms("K\u{0101}\u{1E93}im\u{012B}"), vec!["kazimi"]);
        assert_eq!(
            norms("\u{FF2B}\u{FF41}\u{FF5A}\u{FF45}\u{FF4D}\u{FF49}"),
            vec!["kazemi"]
        );
        assert_eq!(norms("\u{FB01}ght"), vec!["fight"]);
        // مُصْطَفَى الكاظمي with harakat and an alef maqsura.
        assert_eq!(
            norms(
                "\u{0645}\u{064F}\u{0635}\u{0652}\u{0637}\u{064E}\u{0641}\u{064E}\u{0649} \u{0627}\u{0644}\u{0643}\u{0627}\u{0638}\u{0645}\u{064A}"
            ),
            vec![
                "\u{0645}\u{0635}\u{0637}\u{0641}\u{064A}",
                "\u{0627}\u{0644}\u{0643}\u{0627}\u{0638}\u{0645}\u{064A}"
            ]
        );
        assert_eq!(norms("don\u{2019}t"), vec!["don't"]);
    }

    #[test]
    fn initialisms_numbers_and_run_on_sentences() {
        assert_eq!(norms("U.S. troops"), vec!["us", "troops"]);
        assert_eq!(
            norms("1,450 dinars, 2.5 billion"),
            vec!["1450", "dinars", "2.5", "billion"]
        );
        assert_eq!(norms("figure.In so far"), vec!["figure", "in", "so", "far"]);
        let toks = tokenize_str("figure.In so far");
        assert!(toks.as_slice()[1].breaks_before());
        assert!(!toks.as_slice()[2].breaks_before());
    }

    #[test]
    fn residue_lines_are_dropped() {
        let residue = Residue::parse(
            "# comment\nexact [ad_1]\nprefix read also\ncontains subscribe button\n",
            Path::new("residue.txt"),
        )
        .unwrap();
        let text = "[ad_1]\nThe premier spoke.\nRead also: another story\nClick here and hit the subscribe button\nHe urged people to subscribe button-makers to a long line that goes on and on beyond two hundred bytes of text so that it is an article line and not a prompt, and it must be kept whatever words it happens to contain anywhere.";
        let mut toks = Tokens::default();
        tokenize(text, &residue, &mut toks);
        assert_eq!(toks.residue_lines, 3);
        let all: Vec<&str> = toks.norms().collect();
        assert_eq!(&all[..3], &["the", "premier", "spoke"]);
        assert!(all.contains(&"urged"));
        assert!(!all.contains(&"read"));
    }

    #[test]
    fn an_end_line_in_the_second_half_drops_the_rest_and_earlier_only_itself() {
        let residue = Residue::parse("end no comments\nexact share\n", Path::new("r.txt")).unwrap();
        let body = "The premier spoke at length about the budget and the salaries of the state.\n";
        let mut toks = Tokens::default();
        // Near the end: the footer after it goes, blank lines not counted.
        let text = format!("{body}{body}No  Comments\n\nThe Institute is independent.\ncontact\n");
        tokenize(&text, &residue, &mut toks);
        let all: Vec<&str> = toks.norms().collect();
        assert_eq!(toks.residue_lines, 3);
        assert!(
            !all.contains(&"institute") && !all.contains(&"contact"),
            "{all:?}"
        );
        assert_eq!(all.iter().filter(|w| **w == "premier").count(), 2);
        // In the first half: only the line itself goes.
        let text = format!("{body}No comments\n{body}{body}Share\n");
        tokenize(&text, &residue, &mut toks);
        assert_eq!(toks.residue_lines, 2);
        assert_eq!(toks.norms().filter(|w| *w == "premier").count(), 3);
        // The line must equal the pattern: a sentence that says it is read.
        let text = format!("{body}{body}There were no comments from his office.\nHe left.\n");
        tokenize(&text, &residue, &mut toks);
        assert_eq!(toks.residue_lines, 0);
        assert!(toks.norms().any(|w| w == "left"));
    }

    /// [`Residue::check`] the slow way: the whole line folded (up to [`RESIDUE_SCAN_BYTES`]),
    /// every pattern tested.
    fn check_by_folding(r: &Residue, line: &str) -> Option<Verdict> {
        let line = line.trim();
        let mut cut = line.len().min(RESIDUE_SCAN_BYTES);
        while !line.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut folded = String::new();
        fold_line(&line[..cut], &mut folded);
        let whole = cut == line.len();
        if whole && r.end.contains(&folded) {
            return Some(Verdict::End);
        }
        ((whole && r.exact.contains(&folded))
            || r.prefix.iter().any(|p| folded.starts_with(p.as_str()))
            || (line.len() <= RESIDUE_CONTAINS_MAX
                && r.contains.iter().any(|p| folded.contains(p.as_str()))))
        .then_some(Verdict::Line)
    }

    #[test]
    fn residue_shortcuts_agree_with_folding_every_line() {
        let r = Residue::parse(
            "exact share\nexact [ad_1]\nexact x\nend no comments\nprefix read also\n\
             prefix tags:\nprefix q\nprefix a b\nprefix \u{00A9} copyright\ncontains subscribe button\n\
             contains our you-tube channel\ncontains \u{00E9}t\u{00E9}\n",
            Path::new("r"),
        )
        .unwrap();
        assert!(r.anchors.is_some());
        let heads = [
            "",
            "-",
            "- ",
            "\u{000B}",
            "-\u{000B}",
            "`",
            "\"",
            "\u{201C}",
            "S",
            "s",
            "X",
            "x",
            "q",
            "N",
            "no",
            "No  ",
            "No -",
            "A\t",
            "a\u{000B}",
            "\u{00A9}",
            "\u{00C9}",
            "E\u{301}",
            "[",
            "R",
            "T",
        ];
        let bodies = [
            "hare",
            "HARE",
            "o comments",
            "comments",
            "o--comments",
            "ead also:",
            "ags: Iraq",
            "ad_1]",
            "",
            " ",
            " -",
            "--",
            "ubscribe  Button now",
            "Subscribe-button",
            "our YouTube",
            "our You-Tube channel",
            "our you tube channel",
            "t\u{00E9}",
            "copyright 2021",
            "he premier spoke.",
            "ubscribebutton",
            "b and c",
        ];
        let tails = [
            "",
            " ",
            "!",
            " and more",
            &format!(" {}", "word ".repeat(45)),
        ];
        let mut scratch = String::new();
        let (mut lines, mut matched) = (0, 0);
        for h in heads {
            for b in bodies {
                for t in &tails {
                    let line = format!("{h}{b}{t}");
                    let want = check_by_folding(&r, &line);
                    assert_eq!(r.check(&line, &mut scratch), want, "{line:?}");
                    lines += 1;
                    matched += usize::from(want.is_some());
                }
            }
        }
        assert!(matched > 40 && matched < lines / 2, "{matched} of {lines}");
        // A contains pattern without letters or digits turns the anchors off.
        let r = Residue::parse("contains ?!?\n", Path::new("r")).unwrap();
        assert!(r.anchors.is_none());
        assert!(r.matches("Why ?!? Why", &mut scratch));
    }

    #[test]
    fn residue_rejects_unknown_kinds() {
        let err = Residue::parse("starts foo\n", Path::new("r.txt")).unwrap_err();
        assert!(err.to_string().contains("r.txt:1"), "{err}");
    }

    #[test]
    fn sentences_end_at_stops_and_lines_but_not_abbreviations() {
        let text = "Orders to withdraw his guard\n\nGen. Ahmed said the U.S. forces left. \u{201C}We will stay,\u{201D} he said. Is it over? Yes!\nThe rate was 3.5 percent. it goes on\nWhy Tehran?When he came.Then U.S.A. Al-Monitor.com reports\non it, hard\nwrapped.\nA list:\n- one. \u{201C}Quoted.\u{201D} , he added.";
        let got: Vec<&str> = sentence_spans(text).into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            got,
            vec![
                "Orders to withdraw his guard",
                "Gen. Ahmed said the U.S. forces left.",
                "\u{201C}We will stay,\u{201D} he said.",
                "Is it over?",
                "Yes!",
                "The rate was 3.5 percent. it goes on\nWhy Tehran?",
                "When he came.",
                "Then U.S.A. Al-Monitor.com reports\non it, hard\nwrapped.",
                "A list:\n- one.",
                "\u{201C}Quoted.\u{201D} , he added.",
            ]
        );
        assert!(sentence_spans(" \n ... \n").is_empty());
    }
}
