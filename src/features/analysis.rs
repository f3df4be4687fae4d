//! Analysis: a text's tokens, target mentions and units with their flags (window, quoted,
//! negated, hypothetical), and its character chunks; the per-document scratch state
//! ([`Analysis`]) and the per-thread word -> unit cache.

use super::chars::char_ngrams;
use super::cues::{
    POSTPOSED_CUE_TAIL, QUOTE_ATTRIBUTION_GAP, SCARE_QUOTE_UNITS, according_to_attributes,
    is_conditional, is_negator, is_own_voice_cue, is_report_cue,
};
use super::{
    FeatureConfig, HYPOTHETICAL, IN_WINDOW, NEGATED, NEGATION_SCOPE, SENTENCE, TARGET_UNIT,
};
use crate::error::Result;
use crate::lexicon::LexMatch;
use crate::sparse::PREFETCH_AHEAD;
use crate::stem::with_thread_cache;
use crate::strmap::ShortStrMap;
use crate::target::{Mention, TargetMatcher, TargetSpec};
use crate::text::{BREAK, COLON_BREAK, QUOTE_BREAK, QUOTED, Residue, Tokens, tokenize_with};
use std::ops::Range;

/// Per-document scratch state, reused between documents on a thread.
#[derive(Default, Debug, Clone)]
pub struct Analysis {
    pub tokens: Tokens,
    pub mentions: Vec<Mention>,
    /// Unit ids: a stem id, [`TARGET_UNIT`] or [`NO_UNIT`](super::NO_UNIT).
    pub units: Vec<u32>,
    /// Byte span of each unit in the original text.
    pub unit_span: Vec<(u32, u32)>,
    /// [`QUOTED`], [`BREAK`] and [`IN_WINDOW`] bits per unit.
    pub unit_flags: Vec<u8>,
    /// Lexicon matches, in text order.
    pub lex_matches: Vec<LexMatch>,
    /// Dense features before scaling.
    pub dense: Vec<f32>,
    /// Per-feature counts (all zero between documents) and the features touched: duplicates
    /// are merged in one pass instead of sorting every occurrence.
    pub(super) counts: Vec<u16>,
    /// Features whose count passed `u16::MAX` in this document, once per 65,535 occurrences
    /// (see [`Featurizer::vectorize`]); nearly always empty.
    pub(super) count_overflow: Vec<u32>,
    pub(super) touched: Vec<u32>,
    pub(super) radix_tmp: Vec<u32>,
    /// One bit per character bucket touched in this document, and one per non-zero word of it
    /// (all zero between documents; see [`Featurizer::vectorize`]).
    pub(super) char_bits: Vec<u64>,
    pub(super) char_summary: Vec<u64>,
    pub(super) chars: String,
    pub(super) char_offsets: Vec<usize>,
    /// With [`FeatureConfig::char_chunks`]: the lowercased chunks, and per chunk its range in
    /// `chunk_text` and its byte span in the original text.
    pub(super) chunk_text: String,
    pub(super) chunks: Vec<ChunkSpan>,
    /// The character buckets of every n-gram of the text's character units (see
    /// [`super::chars::CharUnits`]), in no particular order, when `char_grams_ready`: the
    /// cached analysis of a model whose character units are words copies each word's buckets
    /// from the per-thread word cache, which hashes a word's n-grams once, not at each
    /// occurrence. The vectoriser counts them instead of hashing the n-grams again.
    pub(super) char_grams: Vec<u32>,
    /// Per character unit with buckets in `char_grams`, in text order: its token and the end
    /// of its buckets there (for finding where a bucket occurs without hashing again).
    pub(super) char_gram_ends: Vec<(u32, u32)>,
    pub(super) char_grams_ready: bool,
}

/// Whether the text between two tokens (from the end of the one before, if any, to the start of
/// the next) ends a sentence: it holds a full stop, a question or exclamation mark, a semicolon
/// or a blank line, or nothing comes before. A single line break does not: hard-wrapped text
/// breaks lines inside sentences (a headline without a full stop runs on into what follows).
fn sentence_gap(text: &str, prev_end: Option<u32>, start: u32) -> bool {
    let Some(prev) = prev_end else {
        return true;
    };
    let gap = text.get(prev as usize..start as usize).unwrap_or("");
    let mut newlines = 0;
    for c in gap.chars() {
        match c {
            '.' | '!' | '?' | ';' | '\u{061F}' | '\u{061B}' | '\u{3002}' => return true,
            '\n' => {
                newlines += 1;
                if newlines >= 2 {
                    return true;
                }
            }
            c if c.is_whitespace() => {}
            _ => newlines = 0,
        }
    }
    false
}

/// A character chunk: its range in [`Analysis::chunk_text`] and its byte span in the original
/// text.
pub(super) type ChunkSpan = (u32, u32, u32, u32);

/// Where a feature occurs in a text (byte ranges, at most the number asked for) and, for a
/// character n-gram, the first n-gram of the text that falls in its bucket.
pub type Provenance = (Vec<Range<usize>>, Option<String>);

/// Words a per-thread word -> unit cache holds before it is cleared (bounds its memory).
const WORD_UNITS_CAPACITY: usize = 1 << 18;
/// Character buckets the same cache holds before it is cleared (4 bytes each: 16 MB).
const WORD_GRAMS_CAPACITY: usize = 1 << 22;

/// What the word cache keeps of a word: its unit id and the range of its character n-grams'
/// buckets in [`WordCache::grams`] (empty for a model without character n-grams of words).
#[derive(Clone, Copy, Default)]
struct WordEntry {
    unit: u32,
    grams: u32,
    n_grams: u32,
    /// The word's [`cue_bits`].
    cues: u8,
}

/// Cue bit: the word negates what follows ([`is_negator`]).
const CUE_NEGATOR: u8 = 1;
/// Cue bit: the word opens a hypothetical ([`is_conditional`]).
const CUE_CONDITIONAL: u8 = 2;
/// Cue bit: the word may introduce reported speech ([`is_report_cue`]).
const CUE_REPORT: u8 = 4;

/// What a word is as a cue, read once per distinct word and kept in the word cache (the three
/// string tests on every token were 5% of scoring tweets).
fn cue_bits(w: &str) -> u8 {
    let mut bits = 0;
    if is_negator(w) {
        bits |= CUE_NEGATOR;
    }
    if is_conditional(w) {
        bits |= CUE_CONDITIONAL;
    }
    if is_report_cue(w) {
        bits |= CUE_REPORT;
    }
    bits
}

/// Append a word's buckets: a loop, because the few words' worth of a call to `memmove`
/// cost more than the copy (6.6% of classify with `extend_from_slice`).
#[inline(always)]
fn push_grams(to: &mut Vec<u32>, from: &[u32]) {
    to.reserve(from.len());
    for &b in from {
        to.push(b);
    }
}

/// The per-thread word cache (see [`Analyzer::analyze_cached`]).
#[derive(Default)]
struct WordCache {
    /// The featurizer whose answers it holds.
    owner: u64,
    words: ShortStrMap<WordEntry>,
    grams: Vec<u32>,
}

thread_local! {
    /// Normalised word -> unit id and character n-gram buckets, for the featurizer whose id
    /// is `owner` (see [`Analyzer::analyze_cached`]); cleared when another featurizer analyses
    /// on this thread. Per thread, like the stem cache: scratch space is made afresh for each
    /// piece of work rayon splits off, a thread outlives them.
    static WORD_UNITS: std::cell::RefCell<WordCache> =
        std::cell::RefCell::new(WordCache::default());
}

impl Analysis {
    /// Number of target mentions found.
    pub fn mention_count(&self) -> usize {
        self.mentions.len()
    }
}

/// Text -> units: tokenisation, residue filter, target mentions and windows.
#[derive(Clone, Debug)]
pub struct Analyzer {
    residue: Residue,
    target: Option<TargetMatcher>,
    window: usize,
    reported_speech: bool,
    stem: bool,
    char_chunks: bool,
    split_hashtags: bool,
    abbrev_dots: bool,
    /// The n-gram lengths and bucket mask of a model whose character units are words: the
    /// cached analysis gives their buckets ([`Analysis::char_grams`]).
    word_grams: Option<((u8, u8), u64)>,
}

impl Analyzer {
    /// Build the analyzer `cfg` describes (its window, reported speech, stemming, character
    /// chunks and hashtag settings).
    pub fn new(residue: Residue, target: Option<&TargetSpec>, cfg: &FeatureConfig) -> Result<Self> {
        Ok(Analyzer {
            residue,
            target: target.map(TargetMatcher::new).transpose()?,
            window: cfg.window as usize,
            reported_speech: cfg.reported_speech,
            stem: cfg.stem,
            char_chunks: cfg.char_chunks,
            split_hashtags: cfg.split_hashtags,
            abbrev_dots: cfg.abbrev_dots,
            word_grams: cfg
                .char_ngrams
                .filter(|_| !cfg.char_chunks)
                .map(|r| (r, (1u64 << cfg.char_buckets_log2) - 1)),
        })
    }

    /// Whether a target is configured.
    pub fn has_target(&self) -> bool {
        self.target.is_some()
    }

    /// Analyse `text` into `a`; `lookup` maps a stem to its unit id (or
    /// [`NO_UNIT`](super::NO_UNIT)).
    pub fn analyze(&self, text: &str, a: &mut Analysis, lookup: impl FnMut(&str) -> u32) {
        self.analyze_with(text, a, None, lookup)
    }

    /// [`Analyzer::analyze`] with a per-thread word -> unit cache that is valid for as long as
    /// `lookup` gives the same answers, which `owner` names (a featurizer's id): a word seen
    /// before then costs one hash lookup instead of a stem-cache lookup and a dictionary
    /// lookup (the two string lookups were about 15% of classify). The cache also keeps a
    /// word's character n-gram buckets, copied into the analysis at each
    /// occurrence, where the vectoriser used to hash every n-gram of every occurrence.
    pub fn analyze_cached(
        &self,
        text: &str,
        a: &mut Analysis,
        owner: u64,
        lookup: impl FnMut(&str) -> u32,
    ) {
        self.analyze_with(text, a, Some(owner), lookup)
    }

    fn analyze_with(
        &self,
        text: &str,
        a: &mut Analysis,
        owner: Option<u64>,
        mut lookup: impl FnMut(&str) -> u32,
    ) {
        tokenize_with(
            text,
            &self.residue,
            self.split_hashtags,
            self.abbrev_dots,
            &mut a.tokens,
        );
        match &self.target {
            Some(t) => t.find(&a.tokens, &mut a.mentions),
            None => a.mentions.clear(),
        }
        a.units.clear();
        a.unit_span.clear();
        a.unit_flags.clear();
        a.char_grams.clear();
        a.char_gram_ends.clear();
        let word_grams = self.word_grams.filter(|_| owner.is_some());
        a.char_grams_ready = word_grams.is_some();
        let toks = a.tokens.as_slice();
        let mut next_mention = a.mentions.iter().peekable();
        WORD_UNITS.with_borrow_mut(|cache_of_words| {
            let WordCache {
                owner: cached_for,
                words: word_units,
                grams,
            } = cache_of_words;
            if let Some(o) = owner
                && (*cached_for != o
                    || word_units.len() >= WORD_UNITS_CAPACITY
                    || grams.len() >= WORD_GRAMS_CAPACITY)
            {
                word_units.clear();
                grams.clear();
                *cached_for = o;
            }
            with_thread_cache(|cache| {
                let mut i = 0;
                let mut neg_left = 0u8;
                let mut hypo = false;
                // Reported speech: on from a reporting cue to the end of its sentence.
                let mut reported = false;
                let mut sentence_start = 0usize;
                // Unit index of the sentence's last reporting cue: a cue in the last few units
                // ("..., the statement said on Monday.") attributes the whole sentence.
                let mut cue_at: Option<usize> = None;
                // Unit index of the last word inside quotation marks: a cue within three units after
                // a quotation ("He failed," they said of ...) attributes that quotation and does not
                // open reported speech. (Not reset at sentence breaks: the tokenizer may see one
                // after a closing quote.)
                let mut quote_at: Option<usize> = None;
                let attribute_back = |flags: &mut [u8], start: usize, cue: Option<usize>| {
                    if let Some(c) = cue
                        && flags.len() - c <= POSTPOSED_CUE_TAIL
                    {
                        for f in &mut flags[start..] {
                            *f |= QUOTED;
                        }
                        return true;
                    }
                    false
                };
                // Scare quotes (see [`SCARE_QUOTE_UNITS`]): the quotation being read (its first
                // unit, and whether a cue or reported speech came before it in its sentence),
                // and a short one with no cue before it, waiting to see whether a cue follows
                // within [`QUOTE_ATTRIBUTION_GAP`] units (its units' range).
                let mut quote_run: Option<(usize, bool)> = None;
                let mut scare: Option<(usize, usize)> = None;
                // Whether a cue came earlier in the sentence, where only a full stop (or the
                // like, or a new line) ends a sentence, not a quotation mark: `described his
                // team as “spies”` attributes the quotation.
                let mut cue_in_sentence = false;
                let unquote = |flags: &mut [u8], (lo, hi): (usize, usize)| {
                    for f in &mut flags[lo..hi] {
                        *f &= !QUOTED;
                    }
                };
                while i < toks.len() {
                    if owner.is_some() && i + PREFETCH_AHEAD < toks.len() {
                        word_units.prefetch(a.tokens.norm(i + PREFETCH_AHEAD));
                    }
                    let t = &toks[i];
                    let u = a.units.len();
                    // A break made only by the closing mark of a short quotation (a name, a
                    // title: `told the Kurdish “Shafaq News” website that ...`) does not end
                    // reported speech. (Where a quotation opens, or a longer one closes, the
                    // sentence is read as ended, as before: not ending it there was measured
                    // and cost topic-grouped cross-validation 0.002.)
                    let quote_edge = self.reported_speech
                        && t.flags & (BREAK | QUOTE_BREAK) == BREAK | QUOTE_BREAK
                        && t.flags & QUOTED == 0
                        && quote_run.is_some_and(|(lo, _)| u - lo <= SCARE_QUOTE_UNITS);
                    if quote_edge {
                        neg_left = 0;
                    } else if t.flags & BREAK != 0 {
                        if self.reported_speech
                            && attribute_back(&mut a.unit_flags, sentence_start, cue_at.take())
                            && scare.is_some_and(|(lo, _)| lo >= sentence_start)
                        {
                            scare = None;
                        }
                        neg_left = 0;
                        hypo = false;
                        // Where a quotation opens, reported speech runs on into it (it is
                        // quoted anyway) and on past its end if it is short; past a colon it
                        // runs on too, as what follows gives what was said ("their
                        // accusations change with the season: spy, thief, ...").
                        reported = reported
                            && (t.flags & (BREAK | QUOTE_BREAK | QUOTED)
                                == BREAK | QUOTE_BREAK | QUOTED
                                || t.flags & COLON_BREAK != 0);
                        sentence_start = u;
                    }
                    if self.reported_speech {
                        if t.flags & (BREAK | QUOTE_BREAK) == BREAK {
                            cue_in_sentence = false;
                        }
                        let in_quote = t.flags & QUOTED != 0;
                        match quote_run {
                            Some((lo, attributed)) if !in_quote => {
                                quote_run = None;
                                if !attributed
                                    && u - lo <= SCARE_QUOTE_UNITS
                                    && let Some(r) = scare.replace((lo, u))
                                {
                                    unquote(&mut a.unit_flags, r);
                                }
                            }
                            None if in_quote => quote_run = Some((u, reported || cue_in_sentence)),
                            _ => {}
                        }
                        if let Some(r) = scare
                            && u - (r.1 - 1) > QUOTE_ATTRIBUTION_GAP
                        {
                            unquote(&mut a.unit_flags, r);
                            scare = None;
                        }
                    }
                    if t.flags & QUOTED != 0 {
                        quote_at = Some(u);
                    } else if quote_at.is_some()
                        && t.flags & (BREAK | QUOTE_BREAK) == BREAK
                        && text[t.start as usize..]
                            .chars()
                            .next()
                            .is_some_and(char::is_uppercase)
                    {
                        // A new sentence after a quotation (`... of Al-Kazemi.” He claimed
                        // that ...`): its cue opens reported speech of its own.
                        quote_at = None;
                    }
                    let mut flags = t.flags & (QUOTED | BREAK);
                    if t.flags & (BREAK | QUOTE_BREAK | COLON_BREAK) == BREAK
                        && sentence_gap(text, i.checked_sub(1).map(|p| toks[p].end), t.start)
                    {
                        flags |= SENTENCE;
                    }
                    if neg_left > 0 {
                        flags |= NEGATED;
                        neg_left -= 1;
                    }
                    if reported {
                        flags |= QUOTED;
                    }
                    if hypo {
                        flags |= HYPOTHETICAL;
                    }
                    let w = a.tokens.norm(i);
                    let cached = owner.and_then(|_| word_units.get(w));
                    let cues = cached.map_or_else(|| cue_bits(w), |e| e.cues);
                    if cues & CUE_NEGATOR != 0 {
                        neg_left = NEGATION_SCOPE;
                    }
                    if cues & CUE_CONDITIONAL != 0 {
                        hypo = true;
                    }
                    let cue = self.reported_speech && cues & CUE_REPORT != 0 && {
                        // The word `d` places from it (before it when negative) in its
                        // sentence, for the own-voice exceptions; "" past a break.
                        let word_at = |d: isize| {
                            let j = i.checked_add_signed(d).filter(|&j| j < toks.len());
                            match j {
                                Some(j)
                                    if (j.min(i) + 1..=j.max(i))
                                        .all(|m| toks[m].flags & BREAK == 0) =>
                                {
                                    a.tokens.norm(j)
                                }
                                _ => "",
                            }
                        };
                        !is_own_voice_cue(w, [word_at(-1), word_at(-2)], [word_at(1), word_at(2)])
                    };
                    if cue {
                        // A short quotation just before it is attributed to it.
                        scare = None;
                        cue_in_sentence = true;
                    }
                    let cue =
                        cue && quote_at.is_none_or(|q| a.units.len() - q > QUOTE_ATTRIBUTION_GAP);
                    if cue {
                        cue_at = Some(a.units.len());
                    }
                    if self.reported_speech && !reported {
                        if cue {
                            reported = true;
                        } else if w == "according"
                            && i + 1 < toks.len()
                            && a.tokens.norm(i + 1) == "to"
                            && toks[i + 1].flags & BREAK == 0
                            && according_to_attributes(
                                (i + 2..toks.len())
                                    .take_while(|&m| toks[m].flags & BREAK == 0)
                                    .map(|m| a.tokens.norm(m)),
                            )
                        {
                            // "According to X, ..." and "..., according to X": the whole sentence.
                            reported = true;
                            cue_in_sentence = true;
                            flags |= QUOTED;
                            for f in &mut a.unit_flags[sentence_start..] {
                                *f |= QUOTED;
                            }
                        }
                    }
                    if let Some(m) = next_mention.peek()
                        && m.first == i
                    {
                        a.units.push(TARGET_UNIT);
                        a.unit_span.push((t.start, toks[m.end - 1].end));
                        a.unit_flags.push(flags);
                        i = m.end;
                        next_mention.next();
                        continue;
                    }
                    // A word seen before comes from the cache; a new one is looked up (and its
                    // n-grams hashed, with a cache: `word_grams` is set only then) and kept.
                    let entry = match cached {
                        Some(e) => e,
                        None => {
                            let start = grams.len();
                            if let Some((range, mask)) = word_grams {
                                let (buf, offs) = (&mut a.chars, &mut a.char_offsets);
                                char_ngrams(w, range, mask, buf, offs, |b, _| grams.push(b));
                            }
                            let e = WordEntry {
                                unit: lookup(if self.stem { cache.stem(w) } else { w }),
                                grams: start as u32,
                                n_grams: (grams.len() - start) as u32,
                                cues,
                            };
                            if owner.is_some() {
                                word_units.insert(w, e);
                            }
                            e
                        }
                    };
                    if word_grams.is_some() && !t.subword() {
                        let g = entry.grams as usize;
                        push_grams(&mut a.char_grams, &grams[g..g + entry.n_grams as usize]);
                        a.char_gram_ends.push((i as u32, a.char_grams.len() as u32));
                    }
                    let unit = entry.unit;
                    a.units.push(unit);
                    a.unit_span.push((t.start, t.end));
                    a.unit_flags.push(flags);
                    i += 1;
                }
                if self.reported_speech {
                    // No cue can follow now: the waiting short quotation and one that ends the
                    // text are the writer's.
                    let n = a.units.len();
                    if let Some((lo, false)) = quote_run
                        && n - lo <= SCARE_QUOTE_UNITS
                    {
                        unquote(&mut a.unit_flags, (lo, n));
                    }
                    if let Some(r) = scare {
                        unquote(&mut a.unit_flags, r);
                    }
                    attribute_back(&mut a.unit_flags, sentence_start, cue_at);
                }
            });
        });
        if !a.mentions.is_empty() {
            let n = a.units.len();
            for u in 0..n {
                if a.units[u] == TARGET_UNIT {
                    let lo = u.saturating_sub(self.window);
                    let hi = (u + self.window + 1).min(n);
                    for f in &mut a.unit_flags[lo..hi] {
                        *f |= IN_WINDOW;
                    }
                }
            }
        }
        a.chunk_text.clear();
        a.chunks.clear();
        if self.char_chunks {
            collect_chunks(text, a);
        }
    }
}

/// The whitespace-separated chunks of `text` that hold a token (so residue lines, which have
/// none, are left out) and no target mention, lowercased into `a.chunk_text`.
fn collect_chunks(text: &str, a: &mut Analysis) {
    let toks = a.tokens.as_slice();
    let mention_span = |m: &Mention| (toks[m.first].start, toks[m.end - 1].end);
    let base = text.as_ptr() as usize;
    let mut next_tok = 0usize;
    let mut next_mention = 0usize;
    // ASCII text (most of it) is split on the bytes Unicode calls white space (tab to carriage
    // return and the space: the same chunks as `split_whitespace`) without decoding characters.
    let ascii = text.is_ascii();
    let bytes = text.as_bytes();
    let mut at = 0usize;
    let mut ascii_pieces = std::iter::from_fn(|| {
        let space = |b: u8| b == b' ' || (b'\t'..=b'\r').contains(&b);
        while at < bytes.len() && space(bytes[at]) {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && !space(bytes[at]) {
            at += 1;
        }
        (at > start).then(|| &text[start..at])
    });
    let mut unicode_pieces = text.split_whitespace();
    let pieces: &mut dyn Iterator<Item = &str> = if ascii {
        &mut ascii_pieces
    } else {
        &mut unicode_pieces
    };
    for piece in pieces {
        let start = (piece.as_ptr() as usize - base) as u32;
        let end = start + piece.len() as u32;
        while next_tok < toks.len() && toks[next_tok].end <= start {
            next_tok += 1;
        }
        if next_tok >= toks.len() {
            break;
        }
        if toks[next_tok].start >= end {
            continue;
        }
        while a
            .mentions
            .get(next_mention)
            .is_some_and(|m| mention_span(m).1 <= start)
        {
            next_mention += 1;
        }
        if a.mentions
            .get(next_mention)
            .is_some_and(|m| mention_span(m).0 < end)
        {
            continue;
        }
        let from = a.chunk_text.len() as u32;
        if ascii || piece.is_ascii() {
            // Most chunks: copied, then lowercased in place without the Unicode case tables
            // (same result).
            a.chunk_text.push_str(piece);
            a.chunk_text[from as usize..].make_ascii_lowercase();
        } else {
            a.chunk_text
                .extend(piece.chars().flat_map(char::to_lowercase));
        }
        a.chunks.push((from, a.chunk_text.len() as u32, start, end));
    }
}
