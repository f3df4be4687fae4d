//! Features: from a document's text to a sparse, L2-normalised feature vector.
//!
//! Analysis ([`Analyzer`]) turns text into *units*: each token becomes the id of its stem, and
//! each target mention collapses into one [`TARGET_UNIT`], so "condemned Al-Kazemi" yields the
//! bigram `condemn <target>` whatever the spelling. Units within [`FeatureConfig::window`] units
//! of a mention are *in the window*.
//!
//! Vectorisation ([`Featurizer`]) then fills these blocks, in this column order:
//!
//! | block | content |
//! |---|---|
//! | word | stem unigrams, bigrams and (with `ngram_max` 3) trigrams of the whole document, none across a sentence break (vocabulary built at training) |
//! | window | (with a target) the same terms, counted only inside target windows |
//! | quote | (optional) terms inside quotations, kept apart from the writer's own words |
//! | char | (optional) hashed character n-grams of the normalised tokens |
//! | dense | lexicon category rates per 1,000 tokens (document, window, quote) and target statistics |
//!
//! Term blocks use sublinear tf (1 + ln tf) times smoothed idf (ln((1+n)/(1+df)) + 1), each block
//! L2-normalised and scaled by its weight. Dense values are `ln(1 + x)`, each scaled to unit
//! variance over the training set and the block to an expected norm of its weight. Every step is a pure function of one document, so results are
//! identical for any thread count; batches run on rayon ([`Featurizer::transform_batch`]).
//!
//! Files: this one holds the settings, the saved spec, the block layout and vectorising;
//! `analysis.rs` the analysis, `cues.rs` the word lists and cue rules it reads with,
//! `chars.rs` the character units and n-grams, `vocab.rs` the training-time counts
//! ([`build_spec`]), `tests.rs` the unit tests.

mod analysis;
mod chars;
mod cues;
#[cfg(test)]
mod tests;
mod vocab;

pub use analysis::{Analysis, Analyzer, Provenance};
use chars::{CharUnits, char_ngrams, for_each_char_gram};
pub use cues::{according_to_attributes, is_function_word, is_own_voice_cue, is_report_cue};
pub use vocab::{VocabCounts, build_spec};

use std::ops::Range;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::lexicon::{LexMatch, Lexicon, LexiconMatcher, PhraseUnit};
use crate::sparse::{CsrMatrix, PREFETCH_AHEAD, SparseVec, prefetch};
use crate::target::TargetSpec;
use crate::text::{BREAK, QUOTED, Residue};

/// Unit id of a target mention.
pub const TARGET_UNIT: u32 = u32::MAX - 1;
/// Unit id of a token whose stem is not in the model's dictionary.
pub const NO_UNIT: u32 = u32::MAX;
/// Unit flag: the unit is within a target window (a mention itself counts as inside).
pub const IN_WINDOW: u8 = 4;
/// Unit flag: the unit follows a negator ("not", "never", "neither", "without", ...) within
/// [`NEGATION_SCOPE`] tokens of the same sentence. Lexicon matches starting on such a unit are
/// not counted: "neither a key defender" is not praise, "without achieving" not an achievement.
pub const NEGATED: u8 = 8;
/// Unit flag: the unit follows "if" or "unless" in its sentence. Lexicon matches starting on
/// such a unit are hypothetical and not counted (with [`FeatureConfig::negation`], as negated
/// ones): in "if the Americans do not support him, he will fail to change" the writer blames
/// the Americans, not him (seed 002).
pub const HYPOTHETICAL: u8 = 16;
/// Unit flag: a sentence starts at the unit (after a full stop, a question or exclamation mark,
/// a semicolon or a blank line; not at a break made only by quotation marks, a colon or a single
/// line break, which hard-wrapped text puts inside sentences).
pub const SENTENCE: u8 = 32;
/// The flags of a unit the writer does not assert: a lexicon match starting on it is not
/// counted (with [`FeatureConfig::negation`]).
const UNASSERTED: u8 = NEGATED | HYPOTHETICAL;
/// Tokens after a negator that it covers.
pub const NEGATION_SCOPE: u8 = 3;

/// How the target unit is shown in feature names.
pub const TARGET_LABEL: &str = "<target>";

/// The places of many features ([`Featurizer::occurrences`]): (start byte, weight), feature by
/// feature, and where each feature's places end.
#[derive(Debug, Default)]
pub struct Occurrences {
    pub ends: Vec<u32>,
    pub places: Vec<(usize, f32)>,
}

impl Occurrences {
    /// The places of the `k`-th feature asked for.
    pub fn of(&self, k: usize) -> &[(usize, f32)] {
        let from = if k == 0 { 0 } else { self.ends[k - 1] as usize };
        &self.places[from..self.ends[k] as usize]
    }
}

/// Feature settings. Defaults live here and nowhere else; they are saved in every model.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FeatureConfig {
    /// Longest word n-gram (1, 2 or 3). Default 2.
    pub ngram_max: u8,
    /// Minimum number of training documents a term must appear in. Default 2.
    pub min_df: u32,
    /// Maximum share of training documents a term may appear in. Default 1.0 (no limit).
    pub max_df: f32,
    /// Largest vocabulary; the most frequent terms are kept. Default 200,000.
    pub max_features: u32,
    /// Units on each side of a target mention that form its window. Default 8.
    pub window: u32,
    /// Weight of the window block. Default 1.0.
    pub window_weight: f32,
    /// Keep terms inside quotations in a block of their own. Default false.
    pub quote_block: bool,
    /// Weight of the quote block. Default 1.0.
    pub quote_weight: f32,
    /// Character n-gram lengths (inclusive), hashed; `None` turns them off. Default off.
    pub char_ngrams: Option<(u8, u8)>,
    /// log2 of the number of character n-gram buckets. Default 18.
    pub char_buckets_log2: u8,
    /// Weight of the character block. Default 1.0.
    pub char_weight: f32,
    /// Weight of the lexicon and target statistics. Default 1.0.
    pub dense_weight: f32,
    /// Use 1 + ln(tf) instead of raw term counts. Default true.
    pub sublinear_tf: bool,
    /// Read long documents in chunks of about this many words (0: never). A document of more
    /// than twice this length is cut at line (else sentence) ends into chunks of at least this
    /// many words; each head's probabilities are the word-weighted mean over its chunks (for a
    /// head about the target, over the chunks that mention it). A model trained on passages
    /// of a few hundred words then reads a long article the way it was trained to read, not as
    /// one diluted bag of words. Default 0.
    pub chunk_words: u32,
    /// Skip lexicon matches that follow a negator within the same sentence (see [`NEGATED`]),
    /// or "if" / "unless" anywhere before them in it (see [`HYPOTHETICAL`]).
    /// Default true.
    pub negation: bool,
    /// Treat reported speech without quotation marks as quoted: the rest of a sentence after a
    /// reporting verb ("accused him of", "described him as", "said", "claims", ...) and the
    /// whole of a sentence with "according to" (see [`is_report_cue`]). Default true.
    pub reported_speech: bool,
    /// Reduce words to their English stems (Snowball). Off keeps word forms apart ("reform",
    /// "reforms", "reformer"), which can carry an outlet's style. Default true.
    pub stem: bool,
    /// Take character n-grams from the whitespace-separated chunks of the raw text (lowercased,
    /// with their punctuation, hashtags, @handles and emoji) instead of from the normalised
    /// tokens. Chunks holding a target mention are left out, as such tokens are. Default false.
    pub char_chunks: bool,
    /// Follow a camel-case hashtag's token with its words (`#DictatorDon`: `dictatordon`, then
    /// `dictator`, `don`; see [`crate::text::tokenize_with`]). The words count as word features
    /// (and may be target mentions); character n-grams come from the whole hashtag only.
    /// Default true.
    pub split_hashtags: bool,
    /// Let word bigrams and trigrams run across sentence breaks, quotation marks, brackets and
    /// line ends, as scikit-learn's do (a stream of words). Off keeps them inside a sentence
    /// ("condemned. The" is no bigram). Default false.
    pub ngrams_across_breaks: bool,
    /// Keep the dots inside abbreviations: `U.S.` becomes `u.s`, apart from `US` and the pronoun
    /// `us` (and `a.m.` from `am`), which carries an outlet's house style. Off (the default)
    /// makes `U.S.` and `US` one word, which lexicon phrases such as "us occupation" rely on.
    pub abbrev_dots: bool,
    /// Keep words that follow a negator (within [`NEGATION_SCOPE`] tokens of the same
    /// sentence, see [`NEGATED`]) in a block of their own, named `not:`: "neither a key
    /// defender" then does not count as "defender". Default false.
    pub negated_block: bool,
    /// Weight of the negated block. Default 0.25 (chosen on cross-validation, see the model
    /// card).
    pub negated_weight: f32,
    /// Score the character block per unit: raw n-gram counts times idf, divided by the root
    /// of the sum of count x idf^2 over the block (its L2 norm if no n-gram repeated), instead
    /// of 1 + ln(tf) under the exact L2 norm. Both sums then run over n-gram occurrences, so a
    /// word (or chunk) adds the same to each wherever it occurs, and classify sums one cached
    /// row per word instead of counting, sorting and weighing each of its n-grams (see
    /// [`crate::model::CharCache`]). Default false.
    pub char_linear: bool,
    /// Lexicon categories whose own-voice rates (`lex:C`, and `lex@target:C` near a mention)
    /// count only matches in sentences about the target: a sentence that names him, or one
    /// that follows such a sentence and says "he", "his" or "him". "The previous government
    /// was weak and indecisive. Al-Kazemi ..." then has no criticism of him, even within a
    /// mention's window. Quoted rates are as before. Default none.
    pub lexicon_about_target: Vec<String>,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            ngram_max: 2,
            min_df: 2,
            max_df: 1.0,
            max_features: 200_000,
            window: 8,
            window_weight: 1.0,
            quote_block: false,
            quote_weight: 1.0,
            char_ngrams: None,
            char_buckets_log2: 18,
            char_weight: 1.0,
            dense_weight: 1.0,
            sublinear_tf: true,
            chunk_words: 0,
            negation: true,
            reported_speech: true,
            stem: true,
            char_chunks: false,
            split_hashtags: true,
            ngrams_across_breaks: false,
            abbrev_dots: false,
            negated_block: false,
            negated_weight: 0.25,
            char_linear: false,
            lexicon_about_target: Vec::new(),
        }
    }
}

impl FeatureConfig {
    /// Check the settings are usable.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Invalid(m));
        if !(1..=3).contains(&self.ngram_max) {
            return bad(format!(
                "the longest word n-gram (--ngram) must be 1, 2 or 3, not {}",
                self.ngram_max
            ));
        }
        if !(self.max_df > 0.0 && self.max_df <= 1.0) {
            return bad(format!(
                "--max-df must be more than 0 and at most 1, not {}",
                self.max_df
            ));
        }
        if self.max_features == 0 {
            return bad("--max-features must be at least 1".into());
        }

        if let Some((lo, hi)) = self.char_ngrams
            && !(1 <= lo && lo <= hi && hi <= 8)
        {
            return bad(format!(
                "the character n-gram range (--char-ngrams) {lo}-{hi} must satisfy 1 <= lo <= hi <= 8"
            ));
        }
        if !(8..=24).contains(&self.char_buckets_log2) {
            return bad(format!(
                "--char-buckets-log2 must be 8 to 24, not {}",
                self.char_buckets_log2
            ));
        }
        for (name, w) in [
            ("--window-weight", self.window_weight),
            ("--quote-weight", self.quote_weight),
            ("--negated-weight", self.negated_weight),
            ("--char-weight", self.char_weight),
            ("--dense-weight", self.dense_weight),
        ] {
            if !(w.is_finite() && w >= 0.0) {
                return bad(format!("{name} must be a finite number >= 0, not {w}"));
            }
        }
        Ok(())
    }
}

/// Everything a model needs to turn text into features, as saved in the model file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FeatureSpec {
    pub config: FeatureConfig,
    /// The residue list's source text (a snapshot, so editing `data/` does not change the model).
    pub residue: String,
    /// The target, or `None` for a model with no target (every document is scored).
    pub target: Option<TargetSpec>,
    /// The lexicon snapshot.
    pub lexicon: Lexicon,
    /// The stem dictionary, sorted.
    pub stems: Vec<String>,
    /// Vocabulary terms as (first unit, second unit or [`NO_UNIT`], third unit or [`NO_UNIT`]);
    /// units index `stems` or are [`TARGET_UNIT`].
    pub terms: Vec<(u32, u32, u32)>,
    /// idf per term.
    pub idf: Vec<f32>,
    /// idf per character bucket (empty when character n-grams are off).
    pub char_idf: Vec<f32>,
    /// Multiplier per dense feature (weight / training standard deviation).
    pub dense_scale: Vec<f32>,
    /// Largest value per dense feature (after `ln(1 + x)`) seen in training: larger values are
    /// clamped to it, so a document far longer than the training texts cannot extrapolate.
    pub dense_max: Vec<f32>,
}

/// What [`Featurizer::vectorize_blocks`] does with the character block: write it into the
/// vector, leave it out, or sum it against the model's character table (its rows' width, and
/// the sums; see [`Featurizer::vectorize_summing_chars`]).
enum CharBlock<'a> {
    Vector,
    Skip,
    Sum(&'a [f32], usize, &'a mut [f32]),
}

/// Where each block starts in the feature vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub word: u32,
    /// The target-window block; none without a target (no text has a window then).
    pub window: Option<u32>,
    pub quote: Option<u32>,
    /// The block of words after a negator ([`FeatureConfig::negated_block`]).
    pub negated: Option<u32>,
    pub chars: Option<u32>,
    pub dense: u32,
    pub n_features: u32,
    pub n_terms: u32,
    pub n_buckets: u32,
}

impl Layout {
    /// The block a word unit with these flags counts in, and whether it is kept out of the
    /// target-window block: a quoted word in the quote block, a negated one in the negated
    /// block (when the model has them), else the word block.
    #[inline(always)]
    fn block_of(&self, flags: u8) -> (u32, bool) {
        if flags & QUOTED != 0
            && let Some(q) = self.quote
        {
            (q, true)
        } else if flags & NEGATED != 0
            && let Some(n) = self.negated
        {
            (n, true)
        } else {
            (self.word, false)
        }
    }
}

/// The kinds of dense target statistics, in column order. Raw mention counts and the position
/// of the first mention are left out on purpose: they measure the article's length and layout
/// (a headline that names him), not its stance, and do not carry over from short training
/// passages to long articles.
const TARGET_STATS: [&str; 3] = ["per_1k", "window_share", "absent"];

/// Names of the dense features for a lexicon's categories. Lexicon rates are kept apart by
/// voice: `lex:` counts the writer's own words, `lex@quote:` the words inside quotations, and
/// `lex@target:` the writer's own words inside target windows.
fn dense_names(categories: &[String], has_target: bool) -> Vec<String> {
    let mut names = Vec::new();
    for c in categories {
        names.push(format!("lex:{c}"));
        if has_target {
            names.push(format!("lex@target:{c}"));
        }
        names.push(format!("lex@quote:{c}"));
    }
    if has_target {
        names.extend(TARGET_STATS.iter().map(|s| format!("target:{s}")));
    }
    names
}

/// Text -> sparse feature vector, for a trained vocabulary.
#[derive(Clone, Debug)]
pub struct Featurizer {
    /// Unique per featurizer built (clones share it, being the same): names the word -> unit
    /// cache a scratch [`Analysis`] holds for it.
    id: u64,
    spec: FeatureSpec,
    analyzer: Analyzer,
    lexicon: LexiconMatcher,
    categories: Vec<String>,
    /// Per category, whether its own-voice rate counts only sentences about the target
    /// ([`FeatureConfig::lexicon_about_target`]).
    about_target: Vec<bool>,
    /// The units of "he", "his" and "him" (those in the vocabulary), which carry a sentence
    /// about the target on into the next.
    pronouns: Vec<u32>,
    dense_names: Vec<String>,
    stem_ids: FxHashMap<Box<str>, u32>,
    /// Unigram term per stem id; index `stems.len()` is the target unit.
    uni: Vec<u32>,
    bi: PairTable,
    /// Trigram terms by [`triple_key`] (empty unless `ngram_max` is 3).
    tri: PairTable,
    layout: Layout,
}

fn pair_key(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}

/// Bits per unit in a [`triple_key`]; the largest value stands for [`TARGET_UNIT`], so a
/// model with word trigrams holds fewer than `2^21 - 1` stems (checked when it is built).
const TRIPLE_BITS: u32 = 21;
const TRIPLE_TARGET: u64 = (1 << TRIPLE_BITS) - 1;

/// The key of a trigram of stem ids (or [`TARGET_UNIT`]) in 63 bits: never [`PairTable::EMPTY`].
fn triple_key(a: u32, b: u32, c: u32) -> u64 {
    let f = |u: u32| {
        if u == TARGET_UNIT {
            TRIPLE_TARGET
        } else {
            u as u64
        }
    };
    (f(a) << (2 * TRIPLE_BITS)) | (f(b) << TRIPLE_BITS) | f(c)
}

/// Bigram terms by [`pair_key`]: open addressing with linear probing in a power-of-two table
/// at most half full, key and term side by side, so a lookup is nearly always one cache line,
/// and the slot a coming pair will read can be asked for ahead ([`PairTable::slot`]); a hash
/// map's lookups were 14% of classify, most of it waiting for memory.
#[derive(Clone, Debug)]
struct PairTable {
    slots: Vec<(u64, u32)>,
    shift: u32,
}

impl PairTable {
    /// The key of an empty slot: no bigram has [`NO_UNIT`] on both sides.
    const EMPTY: u64 = u64::MAX;

    fn with_capacity(n: usize) -> PairTable {
        let size = (2 * n).max(16).next_power_of_two();
        PairTable {
            slots: vec![(Self::EMPTY, 0); size],
            shift: 64 - size.trailing_zeros(),
        }
    }

    /// Where the search for `key` starts.
    #[inline(always)]
    fn slot(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// Insert; false when the key was there already (the table keeps the first term).
    fn insert(&mut self, key: u64, term: u32) -> bool {
        debug_assert_ne!(key, Self::EMPTY);
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            match self.slots[i].0 {
                Self::EMPTY => {
                    self.slots[i] = (key, term);
                    return true;
                }
                k if k == key => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }

    #[inline(always)]
    fn get(&self, key: u64) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            let (k, t) = self.slots[i];
            if k == key {
                return Some(t);
            }
            if k == Self::EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }
}

/// FNV-1a over bytes: the character n-gram hash (computed incrementally by `char_ngrams`;
/// this is the reference). Part of the model format; never change it.
#[cfg(test)]
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Byte ranges of the chunks of `text` for reading it `words` words at a time (see
/// [`FeatureConfig::chunk_words`]): one range covering everything when `words` is 0 or the text
/// has at most `2 * words` words; otherwise pieces ending at line ends (or, inside a long line,
/// at sentence ends) of at least `words` words each, the last piece joined to the one before
/// when shorter than half of that.
pub fn chunk_ranges(text: &str, words: u32) -> Vec<std::ops::Range<usize>> {
    let words = words as usize;
    if words == 0 || text.split_whitespace().count() <= 2 * words {
        return std::iter::once(0..text.len()).collect();
    }
    // Cut points: after every newline, and after ". " / "? " / "! " inside lines.
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0usize;
    let mut count = 0usize;
    let mut in_word = false;
    for (i, &b) in bytes.iter().enumerate() {
        let space = b.is_ascii_whitespace();
        if !space && !in_word {
            count += 1;
        }
        in_word = !space;
        let cut = b == b'\n'
            || (space && i > 0 && matches!(bytes[i - 1], b'.' | b'?' | b'!') && count >= 2 * words);
        if cut && count >= words {
            out.push(start..i + 1);
            start = i + 1;
            count = 0;
        }
    }
    if start < text.len() {
        if count < words / 2 && !out.is_empty() {
            let last = out.pop().unwrap();
            out.push(last.start..text.len());
        } else {
            out.push(start..text.len());
        }
    }
    out
}

/// The character block of one text, to be summed against the character table (see
/// [`Featurizer::vectorize_summing_chars`]): its columns in order, the block's first column,
/// the table and its row width, and whether tf is the raw count
/// ([`FeatureConfig::char_linear`]).
struct CharSum<'a> {
    chars: &'a [u32],
    first: u32,
    table: &'a [f32],
    width: usize,
    linear: bool,
}

impl CharSum<'_> {
    /// The sums into `sums` (zeroed): `count(j)` takes a column's count, `tf` weighs it.
    /// Accumulated in a fixed-width array for the row widths of one or two heads.
    fn sum(&self, sums: &mut [f32], count: &mut impl FnMut(u32) -> u32, tf: &impl Fn(u32) -> f32) {
        match sums.len() - 1 {
            8 => self.fixed::<8>(sums, count, tf),
            4 => self.fixed::<4>(sums, count, tf),
            2 => self.fixed::<2>(sums, count, tf),
            n => {
                for &j in self.chars {
                    let t = tf(count(j));
                    let row = self.row(j, n);
                    let v = t * row[0];
                    sums[0] += v * if self.linear { row[0] } else { v };
                    for (x, &w) in sums[1..].iter_mut().zip(&row[1..]) {
                        *x += t * w;
                    }
                }
            }
        }
    }

    #[inline(always)]
    fn fixed<const N: usize>(
        &self,
        sums: &mut [f32],
        count: &mut impl FnMut(u32) -> u32,
        tf: &impl Fn(u32) -> f32,
    ) {
        let (mut sq, mut acc) = (0f32, [0f32; N]);
        for (i, &j) in self.chars.iter().enumerate() {
            if let Some(&ahead) = self.chars.get(i + PREFETCH_AHEAD) {
                prefetch(self.table, (ahead - self.first) as usize * self.width);
            }
            let t = tf(count(j));
            let row = self.row(j, N);
            let v = t * row[0];
            sq += v * if self.linear { row[0] } else { v };
            for c in 0..N {
                acc[c] += t * row[c + 1];
            }
        }
        sums[0] = sq;
        sums[1..].copy_from_slice(&acc);
    }

    /// Column `j`'s row: its idf, then `n` products.
    #[inline(always)]
    fn row(&self, j: u32, n: usize) -> &[f32] {
        &self.table[(j - self.first) as usize * self.width..][..n + 1]
    }
}

/// The sentences of a document about the target, read forward (see
/// [`FeatureConfig::lexicon_about_target`]): a sentence is about him when it names him, or
/// when the sentence before it was and it says "he", "his" or "him".
struct AboutTarget<'a> {
    units: &'a [u32],
    flags: &'a [u8],
    pronouns: &'a [u32],
    /// The sentence last read (its range of units) and whether it is about him.
    sentence: std::ops::Range<usize>,
    about: bool,
}

impl<'a> AboutTarget<'a> {
    fn new(units: &'a [u32], flags: &'a [u8], pronouns: &'a [u32]) -> Self {
        AboutTarget {
            units,
            flags,
            pronouns,
            sentence: 0..0,
            about: false,
        }
    }

    /// Whether unit `u` is in a sentence about the target. Calls must come in text order.
    fn covers(&mut self, u: usize) -> bool {
        while u >= self.sentence.end {
            let start = self.sentence.end;
            let mut end = start + 1;
            while end < self.units.len() && self.flags[end] & SENTENCE == 0 {
                end += 1;
            }
            let units = &self.units[start..end];
            self.about = units.contains(&TARGET_UNIT)
                || (self.about && units.iter().any(|x| self.pronouns.contains(x)));
            self.sentence = start..end;
        }
        self.about
    }
}

/// Count one occurrence of feature `j` in the accumulator; true on its first occurrence in the
/// document. Counts are u16, half the cache footprint of u32; a count that would pass
/// `u16::MAX` goes back to 1 and the feature is noted in `overflow` (65,535 each time), so the
/// total is exact and a count never returns to 0.
#[inline(always)]
fn count_one(counts: &mut [u16], overflow: &mut Vec<u32>, j: u32) -> bool {
    let c = &mut counts[j as usize];
    let first = *c == 0;
    if *c == u16::MAX {
        overflow.push(j);
        *c = 1;
    } else {
        *c += 1;
    }
    first
}

/// `1 + ln(i)` for `i` in 1..256 (0 at 0): the sublinear term frequency of the small counts that
/// make up nearly all of them, from a table (the logarithm was 2% of classify).
fn sublinear_table() -> &'static [f32; 256] {
    static TABLE: std::sync::LazyLock<[f32; 256]> = std::sync::LazyLock::new(|| {
        std::array::from_fn(|i| if i == 0 { 0.0 } else { 1.0 + (i as f32).ln() })
    });
    &TABLE
}

/// Sort feature ids (a document's distinct word features; its character n-grams come out of a
/// bitmap in order): LSD radix sort of each id's offset from the smallest, in as few passes of
/// at most 11-bit digits as the range needs, each digit as narrow as those passes allow (a
/// few hundred ids spanning 2^16: two passes of 8 bits, whose counts are cleared and summed 256
/// at a time instead of 2,048). About a third of a comparison sort for the thousands of
/// distinct features of an article; short lists use the comparison sort.
fn radix_sort(v: &mut [u32], tmp: &mut Vec<u32>) {
    if v.len() < 256 {
        v.sort_unstable();
        return;
    }
    let (min, max) = v
        .iter()
        .fold((u32::MAX, 0), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    let bits = 32 - (max - min).leading_zeros();
    if bits == 0 {
        return;
    }
    let passes = bits.div_ceil(11);
    match bits.div_ceil(passes) {
        0..=8 => radix_passes::<8, 256>(v, tmp, min, passes),
        9 => radix_passes::<9, 512>(v, tmp, min, passes),
        10 => radix_passes::<10, 1024>(v, tmp, min, passes),
        _ => radix_passes::<11, 2048>(v, tmp, min, passes),
    }
}

/// `passes` LSD passes over `BITS`-bit digits of `x - min`; `RADIX` is `1 << BITS` (an array
/// length cannot be computed from a const parameter, and a larger array would be zeroed on every
/// call).
fn radix_passes<const BITS: u32, const RADIX: usize>(
    v: &mut [u32],
    tmp: &mut Vec<u32>,
    min: u32,
    passes: u32,
) {
    debug_assert_eq!(RADIX, 1 << BITS);
    let n = v.len();
    // The buffer only grows: it is not cleared between documents (every slot is written
    // before it is read).
    if tmp.len() < n {
        tmp.resize(n, 0);
    }
    let mut counts = [0u32; RADIX];
    let (mut src, mut dst): (&mut [u32], &mut [u32]) = (&mut *v, &mut tmp[..n]);
    let digit = |x: u32, shift: u32| (((x - min) >> shift) as usize) & (RADIX - 1);
    for pass in 0..passes {
        let shift = pass * BITS;
        counts.fill(0);
        for &x in src.iter() {
            counts[digit(x, shift)] += 1;
        }
        let mut sum = 0;
        for c in counts.iter_mut() {
            let k = *c;
            *c = sum;
            sum += k;
        }
        for &x in src.iter() {
            let d = digit(x, shift);
            dst[counts[d] as usize] = x;
            counts[d] += 1;
        }
        std::mem::swap(&mut src, &mut dst);
    }
    if passes % 2 == 1 {
        v.copy_from_slice(&tmp[..n]);
    }
}

impl Featurizer {
    /// Build a featurizer from a saved spec, checking it is consistent.
    pub fn from_spec(spec: FeatureSpec) -> Result<Self> {
        spec.config.validate()?;
        let bad = |m: String| Err(Error::Invalid(m));
        let residue = Residue::parse(&spec.residue, std::path::Path::new("<model residue list>"))?;
        let analyzer = Analyzer::new(residue, spec.target.as_ref(), &spec.config)?;
        let n_stems = spec.stems.len();
        if n_stems >= TARGET_UNIT as usize {
            return bad("stem dictionary too large".into());
        }
        if spec.stems.windows(2).any(|w| w[0] >= w[1]) {
            return bad("stem dictionary is not sorted and unique".into());
        }
        let stem_ids: FxHashMap<Box<str>, u32> = spec
            .stems
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str().into(), i as u32))
            .collect();
        let valid = |u: u32| (u as usize) < n_stems || u == TARGET_UNIT;
        if spec.idf.len() != spec.terms.len() {
            return bad(format!(
                "{} terms but {} idf values",
                spec.terms.len(),
                spec.idf.len()
            ));
        }
        if spec.idf.iter().any(|x| !x.is_finite()) {
            return bad("idf values are not all finite".into());
        }
        let mut uni = vec![NO_UNIT; n_stems + 1];
        let n_bigrams = spec
            .terms
            .iter()
            .filter(|&&(_, b, c)| b != NO_UNIT && c == NO_UNIT)
            .count();
        let n_trigrams = spec.terms.iter().filter(|&&(_, _, c)| c != NO_UNIT).count();
        if n_trigrams > 0 && n_stems as u64 >= TRIPLE_TARGET {
            return bad(format!(
                "{n_stems} stems: too many for word trigrams (at most {})",
                TRIPLE_TARGET - 1
            ));
        }
        let mut bi = PairTable::with_capacity(n_bigrams);
        let mut tri = PairTable::with_capacity(n_trigrams);
        for (t, &(a, b, c)) in spec.terms.iter().enumerate() {
            if !valid(a) || !(b == NO_UNIT || valid(b)) || !(c == NO_UNIT || valid(c)) {
                return bad(format!("term {t} refers to a stem outside the dictionary"));
            }
            if b == NO_UNIT && c != NO_UNIT {
                return bad(format!("term {t} has a third unit but no second"));
            }
            let slot = |u: u32| {
                if u == TARGET_UNIT {
                    n_stems
                } else {
                    u as usize
                }
            };
            let dup = if b == NO_UNIT {
                std::mem::replace(&mut uni[slot(a)], t as u32) != NO_UNIT
            } else if c == NO_UNIT {
                !bi.insert(pair_key(a, b), t as u32)
            } else {
                !tri.insert(triple_key(a, b, c), t as u32)
            };
            if dup {
                return bad(format!("term {t} is listed twice"));
            }
        }
        let n_terms = spec.terms.len() as u32;
        let n_buckets = match spec.config.char_ngrams {
            Some(_) => 1u32 << spec.config.char_buckets_log2,
            None => 0,
        };
        if spec.char_idf.len() != n_buckets as usize {
            return bad(format!(
                "{} character buckets but {} idf values",
                n_buckets,
                spec.char_idf.len()
            ));
        }
        if spec.char_idf.iter().any(|x| !x.is_finite()) {
            return bad("character idf values are not all finite".into());
        }
        let categories = spec.lexicon.categories();
        if categories.len() > u16::MAX as usize {
            return bad("too many lexicon categories".into());
        }
        let dense_names = dense_names(&categories, analyzer.has_target());
        if let Some(c) = spec
            .config
            .lexicon_about_target
            .iter()
            .find(|c| !categories.contains(c))
        {
            return bad(format!(
                "--lexicon-about-target names `{c}`, which is not a category of the lexicon ({})",
                categories.join(", ")
            ));
        }
        if !spec.config.lexicon_about_target.is_empty() && !analyzer.has_target() {
            return bad("--lexicon-about-target needs a target (--target)".into());
        }
        let about_target = categories
            .iter()
            .map(|c| spec.config.lexicon_about_target.contains(c))
            .collect();
        let pronouns = ["he", "his", "him"]
            .iter()
            .map(|w| {
                let s = if spec.config.stem {
                    crate::stem::stem_words([*w]).remove(0)
                } else {
                    (*w).to_owned()
                };
                stem_ids.get(s.as_str()).copied().unwrap_or(NO_UNIT)
            })
            .filter(|&u| u != NO_UNIT)
            .collect();
        if spec.dense_scale.len() != dense_names.len() {
            return bad(format!(
                "{} dense features but {} scales",
                dense_names.len(),
                spec.dense_scale.len()
            ));
        }
        if spec.dense_max.len() != dense_names.len() {
            return bad(format!(
                "{} dense features but {} maxima",
                dense_names.len(),
                spec.dense_max.len()
            ));
        }
        if spec
            .dense_scale
            .iter()
            .chain(&spec.dense_max)
            .any(|x| !x.is_finite())
        {
            return bad("dense scales are not all finite".into());
        }
        let lexicon =
            LexiconMatcher::new(&spec.lexicon, &categories, spec.config.stem, |u| match u {
                PhraseUnit::Target => TARGET_UNIT,
                PhraseUnit::Stem(s) => stem_ids.get(s.as_str()).copied().unwrap_or(NO_UNIT),
            });
        let word = 0u32;
        // Each block present starts where the one before it ends.
        let mut next = n_terms;
        let mut block = |present: bool, width: u32| {
            present.then(|| {
                next += width;
                next - width
            })
        };
        let window = block(spec.target.is_some(), n_terms);
        let quote = block(spec.config.quote_block, n_terms);
        let negated = block(spec.config.negated_block, n_terms);
        let chars = block(spec.config.char_ngrams.is_some(), n_buckets);
        let dense = next;
        let n_features = dense
            .checked_add(dense_names.len() as u32)
            .ok_or_else(|| Error::Invalid("too many features".into()))?;
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Ok(Featurizer {
            id: NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            layout: Layout {
                word,
                window,
                quote,
                negated,
                chars,
                dense,
                n_features,
                n_terms,
                n_buckets,
            },
            spec,
            analyzer,
            lexicon,
            categories,
            about_target,
            pronouns,
            dense_names,
            stem_ids,
            uni,
            bi,
            tri,
        })
    }

    /// The saved spec.
    pub fn spec(&self) -> &FeatureSpec {
        &self.spec
    }

    /// Block offsets.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Total number of features.
    pub fn n_features(&self) -> usize {
        self.layout.n_features as usize
    }

    /// How many of an analysed text's words the model's vocabulary knows, and how many words
    /// it has (target mentions not counted); `None` for a model with no word terms, which
    /// knows no word by design.
    pub fn known_words(&self, a: &Analysis) -> Option<(usize, usize)> {
        if self.spec.stems.is_empty() {
            return None;
        }
        let (mut known, mut words) = (0, 0);
        for &u in &a.units {
            if u != TARGET_UNIT {
                words += 1;
                known += usize::from(u != NO_UNIT);
            }
        }
        Some((known, words))
    }

    /// Whether the model has a target.
    pub fn has_target(&self) -> bool {
        self.analyzer.has_target()
    }

    /// Names of the dense features.
    pub fn dense_names(&self) -> &[String] {
        &self.dense_names
    }

    fn unit_id(&self, stem: &str) -> u32 {
        self.stem_ids.get(stem).copied().unwrap_or(NO_UNIT)
    }

    fn uni_term(&self, u: u32) -> Option<u32> {
        let slot = if u == TARGET_UNIT {
            self.spec.stems.len()
        } else {
            u as usize
        };
        match self.uni.get(slot) {
            Some(&t) if t != NO_UNIT => Some(t),
            _ => None,
        }
    }

    /// Analyse `text` into `a`: units, mentions, windows, lexicon matches and raw dense values.
    pub fn analyze(&self, text: &str, a: &mut Analysis) {
        self.analyzer
            .analyze_cached(text, a, self.id, |s| self.unit_id(s));
        self.dense_raw(a);
    }

    fn dense_raw(&self, a: &mut Analysis) {
        a.lex_matches.clear();
        let flags = &a.unit_flags;
        let matches = &mut a.lex_matches;
        self.lexicon.find(
            &a.units,
            NO_UNIT,
            |u| flags[u] & BREAK != 0,
            |m| matches.push(m),
        );
        let has_target = self.has_target();
        let negation = self.spec.config.negation;
        let per_cat = 2 + has_target as usize;
        a.dense.clear();
        a.dense.resize(self.dense_names.len(), 0.0);
        let n_units = a.units.len();
        // One pass: quoted units, own-voice window units, all window units.
        let (mut n_quoted, mut n_window, mut n_win_all) = (0usize, 0usize, 0usize);
        for &f in &a.unit_flags {
            n_quoted += (f & QUOTED != 0) as usize;
            n_win_all += (f & IN_WINDOW != 0) as usize;
            n_window += (f & (IN_WINDOW | QUOTED) == IN_WINDOW) as usize;
        }
        let n_own = n_units - n_quoted;
        // With categories counted only about the target: which sentences are about him, read in
        // step with the matches (which come in text order).
        let mut about = AboutTarget::new(&a.units, &a.unit_flags, &self.pronouns);
        for m in &a.lex_matches {
            let base = m.category as usize * per_cat;
            let f = a.unit_flags[m.start];
            if negation && f & UNASSERTED != 0 {
                continue;
            }
            if f & QUOTED != 0 {
                a.dense[base + per_cat - 1] += m.weight;
            } else if !self.about_target[m.category as usize] || about.covers(m.start) {
                a.dense[base] += m.weight;
                if has_target && f & IN_WINDOW != 0 {
                    a.dense[base + 1] += m.weight;
                }
            }
        }
        let rate = |sum: f32, n: usize| {
            if n == 0 {
                0.0
            } else {
                (sum * 1000.0 / n as f32).max(0.0)
            }
        };
        for c in 0..self.categories.len() {
            let base = c * per_cat;
            a.dense[base] = rate(a.dense[base], n_own);
            if has_target {
                a.dense[base + 1] = rate(a.dense[base + 1], n_window);
            }
            a.dense[base + per_cat - 1] = rate(a.dense[base + per_cat - 1], n_quoted);
        }
        if has_target {
            let base = self.categories.len() * per_cat;
            let n_m = a.mentions.len();
            a.dense[base] = rate(n_m as f32, n_units);
            a.dense[base + 1] = if n_units == 0 {
                0.0
            } else {
                n_win_all as f32 / n_units as f32
            };
            a.dense[base + 2] = if n_m == 0 { 1.0 } else { 0.0 };
        }
    }

    /// The feature vector of an analysed document, written into `out` (cleared first).
    pub fn vectorize(&self, a: &mut Analysis, out: &mut SparseVec) {
        self.vectorize_blocks(a, out, CharBlock::Vector)
    }

    /// [`Featurizer::vectorize`] without the character block, which is summed instead against
    /// `table`, the model's character table: per bucket, in rows of `width` floats, its idf,
    /// then its idf times each weight of its row. `sums` (of a row's weights plus one, zeroed
    /// first) gets, over the text's character buckets, the sum of (tf x idf)^2 (count x idf^2,
    /// with [`FeatureConfig::char_linear`]), then of tf x (idf x weight) for each weight. The
    /// block's part of the logits is its weight ([`Featurizer::char_block_weight`]) over
    /// `sqrt(sums[0])`, times `sums[1..]`: the same
    /// sums as vectorising and scoring it, in another order (equal to rounding), with one
    /// read per bucket where the idf and the weight row were two reads of two tables. For
    /// scoring without evidence, which never reads the block's values.
    pub(crate) fn vectorize_summing_chars(
        &self,
        a: &mut Analysis,
        out: &mut SparseVec,
        table: &[f32],
        width: usize,
        sums: &mut [f32],
    ) {
        sums.fill(0.0);
        self.vectorize_blocks(a, out, CharBlock::Sum(table, width, sums))
    }

    /// [`Featurizer::vectorize`] without the character block, for a model that scores it per
    /// unit ([`FeatureConfig::char_linear`], [`crate::model::CharCache`]).
    pub fn vectorize_words(&self, a: &mut Analysis, out: &mut SparseVec) {
        self.vectorize_blocks(a, out, CharBlock::Skip)
    }

    /// With character n-grams: `f(unit)` for each character unit of the analysed text (a
    /// normalised word outside target mentions, or a raw chunk), in order.
    pub fn for_each_char_unit(&self, a: &Analysis, mut f: impl FnMut(&str)) {
        if self.spec.config.char_ngrams.is_none() {
            return;
        }
        let chunks = self
            .spec
            .config
            .char_chunks
            .then_some((a.chunk_text.as_str(), a.chunks.as_slice()));
        for (_, unit) in CharUnits::new(&a.tokens, &a.mentions, chunks) {
            f(unit);
        }
    }

    /// With character n-grams: `f(column)` for each character n-gram of one character unit
    /// (see [`Featurizer::for_each_char_unit`]); `buf` and `offs` are scratch space.
    pub fn for_each_unit_char_gram(
        &self,
        unit: &str,
        buf: &mut String,
        offs: &mut Vec<usize>,
        mut f: impl FnMut(u32),
    ) {
        let (Some(range), Some(off)) = (self.spec.config.char_ngrams, self.layout.chars) else {
            return;
        };
        char_ngrams(
            unit,
            range,
            (self.layout.n_buckets - 1) as u64,
            buf,
            offs,
            |b, _| f(off + b),
        );
    }

    /// With character n-grams: one character unit's sums against the character table (see
    /// [`Featurizer::vectorize_summing_chars`]), each n-gram occurrence counted once with tf
    /// its count: `sums` (zeroed first) gets the sum of idf^2, then of idf x weight for each
    /// weight. The entry [`crate::model::CharCache`] keeps for the unit. `cols`, `buf` and
    /// `offs` are scratch space.
    pub(crate) fn sum_unit_chars(
        &self,
        unit: &str,
        table: &[f32],
        width: usize,
        sums: &mut [f32],
        (cols, buf, offs): (&mut Vec<u32>, &mut String, &mut Vec<usize>),
    ) {
        sums.fill(0.0);
        cols.clear();
        self.for_each_unit_char_gram(unit, buf, offs, |j| cols.push(j));
        let block = CharSum {
            chars: cols,
            first: self.layout.chars.unwrap_or(0),
            table,
            width,
            linear: true,
        };
        block.sum(sums, &mut |_| 1, &|c| c as f32);
    }

    /// The idf of character column `j` (one [`Featurizer::for_each_unit_char_gram`] gave).
    #[inline]
    pub fn char_idf(&self, j: u32) -> f32 {
        let c = self.layout.chars.expect("a character column");
        self.spec.char_idf[(j - c) as usize]
    }

    /// Unique per featurizer built (see the field).
    pub fn id(&self) -> u64 {
        self.id
    }

    fn vectorize_blocks(
        &self,
        a: &mut Analysis,
        out: &mut SparseVec,
        mut char_block: CharBlock<'_>,
    ) {
        out.clear();
        let with_chars = !matches!(char_block, CharBlock::Skip);
        let cfg = &self.spec.config;
        let lay = &self.layout;
        // Count occurrences straight into a dense accumulator (reset as it is read) and note
        // each feature the first time it is touched: no list of every occurrence is built.
        let counts = &mut a.counts;
        if counts.len() < lay.dense as usize {
            counts.resize(lay.dense as usize, 0);
        }
        // `touched` has room for every feature and one more, so a feature is written at the end each time
        // and the end moves only on its first occurrence: no branch on "first time?", which
        // went either way at random for character n-grams.
        let touched = &mut a.touched;
        if touched.len() <= lay.dense as usize {
            touched.resize(lay.dense as usize + 1, 0);
        }
        let mut n_touched = 0usize;
        // Counts are u16 (see `count_one`).
        let overflow = &mut a.count_overflow;
        overflow.clear();
        let mut bump = |j: u32| {
            touched[n_touched] = j;
            n_touched += count_one(counts, overflow, j) as usize;
        };
        let mut prev = NO_UNIT;
        let mut prev_flags = 0u8;
        // The unit before `prev`, and its flags; NO_UNIT across a sentence break.
        let mut prev2 = NO_UNIT;
        let mut prev2_flags = 0u8;
        let units = &a.units;
        for (k, &u) in units.iter().enumerate() {
            if cfg.ngram_max >= 2
                && let Some(&next) = units.get(k + PREFETCH_AHEAD)
            {
                let slot = self.bi.slot(pair_key(units[k + PREFETCH_AHEAD - 1], next));
                prefetch(&self.bi.slots, slot);
            }
            let f = a.unit_flags[k];
            let (block, quoted) = lay.block_of(f);
            if u != NO_UNIT
                && let Some(t) = self.uni_term(u)
            {
                bump(block + t);
                if let Some(w) = lay.window
                    && !quoted
                    && f & IN_WINDOW != 0
                    && u != TARGET_UNIT
                {
                    bump(w + t);
                }
            }
            let joined = cfg.ngrams_across_breaks || f & BREAK == 0;
            if cfg.ngram_max >= 2
                && k > 0
                && joined
                && u != NO_UNIT
                && prev != NO_UNIT
                && let Some(t) = self.bi.get(pair_key(prev, u))
            {
                bump(block + t);
                if let Some(w) = lay.window
                    && !quoted
                    && (f | prev_flags) & IN_WINDOW != 0
                {
                    bump(w + t);
                }
            }
            if cfg.ngram_max >= 3
                && k > 1
                && joined
                && (cfg.ngrams_across_breaks || prev_flags & BREAK == 0)
                && u != NO_UNIT
                && prev != NO_UNIT
                && prev2 != NO_UNIT
                && let Some(t) = self.tri.get(triple_key(prev2, prev, u))
            {
                bump(block + t);
                if let Some(w) = lay.window
                    && !quoted
                    && (f | prev_flags | prev2_flags) & IN_WINDOW != 0
                {
                    bump(w + t);
                }
            }
            prev2 = prev;
            prev2_flags = prev_flags;
            prev = u;
            prev_flags = f;
        }
        // Every other feature is counted before the first character n-gram. The character
        // n-grams touched are noted in a bitmap of the buckets (and a bitmap of its non-zero
        // words), read back in bucket order: sorted without a sort. The bitmaps are 1/16 and
        // 1/1024 of the u16 counts and are left all zero.
        let split = n_touched;
        if let (true, Some(range), Some(off)) = (with_chars, cfg.char_ngrams, lay.chars) {
            let chunks = cfg
                .char_chunks
                .then_some((a.chunk_text.as_str(), a.chunks.as_slice()));
            let words = (lay.n_buckets as usize).div_ceil(64);
            if a.char_bits.len() != words {
                a.char_bits = vec![0; words];
                a.char_summary = vec![0; words.div_ceil(64)];
            }
            let (counts, overflow) = (&mut a.counts, &mut a.count_overflow);
            let (bits, summary) = (&mut a.char_bits, &mut a.char_summary);
            let mut count = |b: u32| {
                count_one(counts, overflow, off + b);
                let w = (b >> 6) as usize;
                bits[w] |= 1 << (b & 63);
                summary[w >> 6] |= 1 << (w & 63);
            };
            if a.char_grams_ready {
                // The buckets the cached analysis copied from its word cache (words only: a
                // model of raw chunks hashes them as it goes).
                for &b in &a.char_grams {
                    count(b);
                }
            } else {
                for_each_char_gram(
                    &a.tokens,
                    &a.mentions,
                    chunks,
                    range,
                    (lay.n_buckets - 1) as u64,
                    &mut a.chars,
                    &mut a.char_offsets,
                    |_, b, _| {
                        count(b);
                        false
                    },
                );
            }
            for (s, sw) in a.char_summary.iter_mut().enumerate() {
                let mut sw = std::mem::take(sw);
                while sw != 0 {
                    let w = s * 64 + sw.trailing_zeros() as usize;
                    sw &= sw - 1;
                    let mut bw = std::mem::take(&mut a.char_bits[w]);
                    while bw != 0 {
                        a.touched[n_touched] = off + (w * 64) as u32 + bw.trailing_zeros();
                        n_touched += 1;
                        bw &= bw - 1;
                    }
                }
            }
        }
        // Sort only the distinct features, then weight and normalise block by block.
        let (counts, touched) = (&mut a.counts, &mut a.touched[..n_touched]);
        let overflow = &mut a.count_overflow;
        overflow.sort_unstable();
        radix_sort(&mut touched[..split], &mut a.radix_tmp);
        out.indices.reserve(n_touched + a.dense.len());
        out.values.reserve(n_touched + a.dense.len());
        let table = sublinear_table();
        let tf_of = |count: u32| {
            if !cfg.sublinear_tf {
                count as f32
            } else if let Some(&v) = table.get(count as usize) {
                v
            } else {
                1.0 + (count as f32).ln()
            }
        };
        let take = |counts: &mut [u16], j: u32| {
            let mut count = std::mem::take(&mut counts[j as usize]) as u32;
            if !overflow.is_empty() {
                let lo = overflow.partition_point(|&o| o < j);
                let hi = overflow.partition_point(|&o| o <= j);
                count += 65_535 * (hi - lo) as u32;
            }
            count
        };
        // Character n-grams are the last block and most of the features: they get a loop of
        // their own with a single idf table and no block test.
        let mut block_start = 0usize;
        let mut current_block = u32::MAX;
        for (i, &j) in touched[..split].iter().enumerate() {
            if let Some(&ahead) = touched[..split].get(i + PREFETCH_AHEAD) {
                prefetch(counts, ahead as usize);
                self.prefetch_idf(ahead);
            }
            let count = take(counts, j);
            let (blk, idf) = self.term_block(j);
            if blk != current_block {
                self.finish_block(current_block, &mut out.values[block_start..]);
                block_start = out.values.len();
                current_block = blk;
            }
            out.indices.push(j);
            out.values.push(tf_of(count) * idf);
        }
        self.finish_block(current_block, &mut out.values[block_start..]);
        if let (CharBlock::Sum(table, width, sums), Some(c)) = (&mut char_block, lay.chars) {
            let chars = &touched[split..];
            let tf = |count: u32| {
                if cfg.char_linear {
                    count as f32
                } else {
                    tf_of(count)
                }
            };
            let block = CharSum {
                chars,
                first: c,
                table,
                width: *width,
                linear: cfg.char_linear,
            };
            block.sum(sums, &mut |j| take(counts, j), &tf);
        } else if let (true, Some(c)) = (with_chars, lay.chars) {
            let chars = &touched[split..];
            let idf = &self.spec.char_idf;
            block_start = out.values.len();
            // With `char_linear`: raw counts, over the root of the sum of count x idf^2 (the
            // L2 norm the block would have if no n-gram repeated), summed here: both sums run
            // over n-gram occurrences, so a unit adds the same to each wherever it occurs.
            let mut occurrences_sq = 0f32;
            for (i, &j) in chars.iter().enumerate() {
                if let Some(&ahead) = chars.get(i + PREFETCH_AHEAD) {
                    prefetch(counts, ahead as usize);
                    prefetch(idf, (ahead - c) as usize);
                }
                let count = take(counts, j);
                let idf = idf[(j - c) as usize];
                let v = if cfg.char_linear {
                    let v = count as f32 * idf;
                    occurrences_sq += v * idf;
                    v
                } else {
                    tf_of(count) * idf
                };
                out.indices.push(j);
                out.values.push(v);
            }
            let vals = &mut out.values[block_start..];
            if cfg.char_linear {
                self.scale_block(c, vals, occurrences_sq.sqrt());
            } else {
                self.finish_block(c, vals);
            }
        }
        let (scales, maxima) = (&self.spec.dense_scale, &self.spec.dense_max);
        for (d, (&raw, (&scale, &max))) in a.dense.iter().zip(scales.iter().zip(maxima)).enumerate()
        {
            let v = raw.ln_1p().min(max) * scale;
            if v != 0.0 {
                out.indices.push(lay.dense + d as u32);
                out.values.push(v);
            }
        }
    }

    /// The block (its start offset) of a word-term column (the word, window or quote block;
    /// character and dense columns have tables of their own), and the term's index in `idf`.
    #[inline(always)]
    fn term_slot(&self, j: u32) -> (u32, usize) {
        debug_assert!(self.layout.chars.is_none_or(|c| j < c) && j < self.layout.dense);
        let start = j - j % self.layout.n_terms.max(1);
        (start, (j - start) as usize)
    }

    /// Start loading the idf of word-term column `j` (see [`prefetch`]).
    #[inline(always)]
    fn prefetch_idf(&self, j: u32) {
        prefetch(&self.spec.idf, self.term_slot(j).1);
    }

    /// The block (its start offset) and idf of a word-term column.
    fn term_block(&self, j: u32) -> (u32, f32) {
        let (block, i) = self.term_slot(j);
        (block, self.spec.idf[i])
    }

    /// The weight of the block starting at column `block`. Blocks are told apart by where
    /// they start, so with no word terms at all (every word block empty, all starting where
    /// the character block does) the character block gets the word block's weight, 1: models
    /// were trained so, and every way of scoring them keeps it.
    fn block_weight(&self, block: u32) -> f32 {
        let lay = &self.layout;
        let cfg = &self.spec.config;
        if block == lay.word {
            1.0
        } else if Some(block) == lay.window {
            cfg.window_weight
        } else if Some(block) == lay.quote {
            cfg.quote_weight
        } else if Some(block) == lay.negated {
            cfg.negated_weight
        } else {
            cfg.char_weight
        }
    }

    /// The character block's weight (see [`Featurizer::block_weight`]): `char_weight`, but
    /// 1 in a model with no word terms.
    pub(crate) fn char_block_weight(&self) -> f32 {
        self.layout.chars.map_or(0.0, |c| self.block_weight(c))
    }

    /// Normalise a block's values to unit L2 norm, times the block's weight.
    fn finish_block(&self, block: u32, vals: &mut [f32]) {
        if vals.is_empty() {
            return;
        }
        let norm = vals.iter().map(|v| v * v).sum::<f32>().sqrt();
        self.scale_block(block, vals, norm);
    }

    /// Divide a block's values by `norm` (when positive) and multiply them by the block's weight.
    fn scale_block(&self, block: u32, vals: &mut [f32], norm: f32) {
        let weight = self.block_weight(block);
        if norm > 0.0 {
            let s = weight / norm;
            for v in vals {
                *v *= s;
            }
        }
    }

    /// Analyse and vectorise one text.
    pub fn transform(&self, text: &str) -> SparseVec {
        let mut a = Analysis::default();
        let mut v = SparseVec::default();
        self.analyze(text, &mut a);
        self.vectorize(&mut a, &mut v);
        v
    }

    /// Vectorise many texts in parallel, in order; also returns each text's mention count.
    pub fn transform_batch<S: AsRef<str> + Sync>(
        &self,
        texts: &[S],
    ) -> (Vec<SparseVec>, Vec<usize>) {
        texts
            .par_iter()
            .map_init(Analysis::default, |a, t| {
                let mut v = SparseVec::default();
                self.analyze(t.as_ref(), a);
                self.vectorize(a, &mut v);
                (v, a.mention_count())
            })
            .unzip()
    }

    /// Vectorise many texts into a matrix.
    pub fn transform_matrix<S: AsRef<str> + Sync>(&self, texts: &[S]) -> (CsrMatrix, Vec<usize>) {
        let (rows, mentions) = self.transform_batch(texts);
        (CsrMatrix::from_rows(self.n_features(), &rows), mentions)
    }

    fn unit_name(&self, u: u32) -> &str {
        if u == TARGET_UNIT {
            TARGET_LABEL
        } else {
            &self.spec.stems[u as usize]
        }
    }

    fn term_name(&self, t: u32) -> String {
        let (a, b, c) = self.spec.terms[t as usize];
        if b == NO_UNIT {
            self.unit_name(a).to_owned()
        } else if c == NO_UNIT {
            format!("{} {}", self.unit_name(a), self.unit_name(b))
        } else {
            format!(
                "{} {} {}",
                self.unit_name(a),
                self.unit_name(b),
                self.unit_name(c)
            )
        }
    }

    /// Whether feature `j` is a word term (of the word, window or quotation block, not the
    /// negated one) made only of function words ("him", "but he", "near:in this"; see
    /// [`is_function_word`]; a target mention is not one). Read from its unit ids, without
    /// building its name.
    pub fn is_function_term(&self, j: u32) -> bool {
        let lay = &self.layout;
        if j >= lay.dense || lay.chars.is_some_and(|c| j >= c) {
            return false;
        }
        let (blk, _) = self.term_block(j);
        if Some(blk) == lay.negated {
            return false;
        }
        let (a, b, c) = self.spec.terms[(j - blk) as usize];
        [a, b, c]
            .into_iter()
            .take_while(|&u| u != NO_UNIT)
            .all(|u| u != TARGET_UNIT && is_function_word(self.unit_name(u)))
    }

    /// A readable name for feature `j`: `condemn`, `near:condemn <target>`, `quote:spy`,
    /// `chars#1234`, `lex@target:criticism`, `target:mentions`.
    pub fn feature_name(&self, j: u32) -> String {
        let lay = &self.layout;
        if j >= lay.dense {
            return self.dense_names[(j - lay.dense) as usize].clone();
        }
        if let Some(c) = lay.chars
            && j >= c
        {
            return format!("chars#{}", j - c);
        }
        let (blk, _) = self.term_block(j);
        let name = self.term_name(j - blk);
        if blk == lay.word {
            name
        } else if Some(blk) == lay.window {
            format!("near:{name}")
        } else if Some(blk) == lay.negated {
            format!("not:{name}")
        } else {
            format!("quote:{name}")
        }
    }

    /// What a target statistic measures in this document, in words (`None` for any other
    /// feature): its evidence is a number, not a place in the text.
    pub fn describe_target_stat(&self, a: &Analysis, j: u32) -> Option<String> {
        let d = j.checked_sub(self.layout.dense)? as usize;
        let stat = self.dense_names.get(d)?.strip_prefix("target:")?;
        // The raw statistic the analysis computed (what the model read), before scaling.
        let raw = a.dense[d];
        let n = a.mentions.len();
        Some(match stat {
            "per_1k" => format!(
                "{n} mention{} in {} words ({raw:.1} per 1,000)",
                if n == 1 { "" } else { "s" },
                a.units.len(),
            ),
            "window_share" => format!("{:.0}% of the words within reach of a mention", raw * 100.0),
            "absent" => "no mention".to_owned(),
            _ => return None,
        })
    }

    /// Where in the analysed document feature `j` comes from: byte spans of up to `max`
    /// occurrences in the original text, and for a character n-gram the n-gram itself.
    pub fn provenance(&self, a: &Analysis, j: u32, max: usize) -> Provenance {
        self.provenance_many(a, &[j], max).pop().unwrap_or_default()
    }

    /// [`Self::provenance`] of many features at once (a feature may be asked for twice): one
    /// pass over the text's character n-grams and one over its units for all of them, not one
    /// of each per feature (evidence asks for up to a dozen features per document, and each
    /// pass over a long article re-hashes all its n-grams).
    pub fn provenance_many(&self, a: &Analysis, ids: &[u32], max: usize) -> Vec<Provenance> {
        self.places_of(a, ids, max, true)
    }

    /// [`Featurizer::provenance_many`], with the n-gram of each character bucket only when
    /// `quote_grams` (finding it hashes the n-grams of the word it was found in again).
    fn places_of(
        &self,
        a: &Analysis,
        ids: &[u32],
        max: usize,
        quote_grams: bool,
    ) -> Vec<Provenance> {
        let lay = &self.layout;
        let cfg = &self.spec.config;
        let mut out: Vec<Provenance> = vec![(Vec::new(), None); ids.len()];
        // Character buckets and word terms asked for -> the places in `ids` that asked.
        let mut buckets: FxHashMap<u32, Vec<usize>> = FxHashMap::default();
        let mut terms: FxHashMap<(u32, u32, u32), Vec<(usize, u32)>> = FxHashMap::default();
        for (i, &j) in ids.iter().enumerate() {
            if j >= lay.dense {
                out[i] = (self.dense_provenance(a, j, max), None);
            } else if let (Some(c), Some(_)) = (lay.chars, cfg.char_ngrams)
                && j >= c
            {
                buckets.entry(j - c).or_default().push(i);
            } else {
                let (blk, _) = self.term_block(j);
                let key = self.spec.terms[(j - blk) as usize];
                terms.entry(key).or_default().push((i, blk));
            }
        }
        if let (false, Some(range)) = (buckets.is_empty(), cfg.char_ngrams) {
            let chunks = cfg
                .char_chunks
                .then_some((a.chunk_text.as_str(), a.chunks.as_slice()));
            let (mut buf, mut offs) = (String::new(), Vec::new());
            // Places still short of `max` quotes: the pass stops when none is.
            let mut short: usize = buckets.values().map(Vec::len).sum();
            // One bit per bucket asked for, by its low six bits: most n-grams are passed over
            // without a lookup.
            let filter = buckets.keys().fold(0u64, |f, &b| f | 1 << (b & 63));
            let mask = (lay.n_buckets - 1) as u64;
            let asked_for = |b: u32| {
                (filter >> (b & 63) & 1 != 0)
                    .then(|| buckets.get(&b))
                    .flatten()
            };
            // One place of a bucket (a word's or chunk's span) for every feature asking for
            // it, the first time with its n-gram (`gram`, made at most once). A unit can hold
            // the same n-gram twice: one span each.
            let mut note = |out: &mut [Provenance],
                            asked: &[usize],
                            span: Range<usize>,
                            gram: &mut dyn FnMut() -> Option<String>| {
                let mut quoted = None;
                for &i in asked {
                    let (spans, g) = &mut out[i];
                    if quote_grams && g.is_none() {
                        *g = quoted.get_or_insert_with(&mut *gram).clone();
                    }
                    if spans.len() < max && spans.last() != Some(&span) {
                        spans.push(span.clone());
                        if spans.len() == max {
                            short -= 1;
                        }
                    }
                }
                short == 0
            };
            if a.char_grams_ready {
                // The buckets the cached analysis copied, word by word: no n-gram is hashed
                // again, except a word's own to quote the n-gram of a bucket found in it.
                let mut from = 0usize;
                'units: for &(tok, end) in &a.char_gram_ends {
                    let (word, tok) = (&a.char_grams[from..end as usize], tok as usize);
                    from = end as usize;
                    for &b in word {
                        let Some(asked) = asked_for(b) else { continue };
                        let mut gram = || {
                            let mut first = None;
                            let w = a.tokens.norm(tok);
                            char_ngrams(w, range, mask, &mut buf, &mut offs, |c, g| {
                                if c == b && first.is_none() {
                                    first = Some(g.as_str().to_owned());
                                }
                            });
                            first
                        };
                        if note(&mut out, asked, a.tokens.as_slice()[tok].span(), &mut gram) {
                            break 'units;
                        }
                    }
                }
            } else {
                for_each_char_gram(
                    &a.tokens,
                    &a.mentions,
                    chunks,
                    range,
                    mask,
                    &mut buf,
                    &mut offs,
                    |u, b, g| {
                        let Some(asked) = asked_for(b) else {
                            return false;
                        };
                        let span = match chunks {
                            Some((_, ch)) => ch[u].2 as usize..ch[u].3 as usize,
                            None => a.tokens.as_slice()[u].span(),
                        };
                        note(&mut out, asked, span, &mut || Some(g.as_str().to_owned()))
                    },
                );
            }
        }
        if !terms.is_empty() {
            let across = cfg.ngrams_across_breaks;
            let joined = |k: usize| across || a.unit_flags[k] & BREAK == 0;
            let units = &a.units;
            // Places still short of `max` quotes: the pass stops when none is.
            let mut short: usize = terms.values().map(Vec::len).sum();
            for k in 0..units.len() {
                if short == 0 {
                    break;
                }
                let (own_block, set_apart) = lay.block_of(a.unit_flags[k]);
                // The unigram, bigram and trigram ending here; a unit without an id ends none
                // (its key would read as a shorter n-gram's).
                let mut grams = [(k, (units[k], NO_UNIT, NO_UNIT)); 3];
                let mut n = 1;
                if k > 0 && joined(k) && units[k] != NO_UNIT && units[k - 1] != NO_UNIT {
                    grams[n] = (k - 1, (units[k - 1], units[k], NO_UNIT));
                    n += 1;
                    if k > 1 && joined(k - 1) {
                        grams[n] = (k - 2, (units[k - 2], units[k - 1], units[k]));
                        n += 1;
                    }
                }
                for &(start, key) in &grams[..n] {
                    let Some(asked) = terms.get(&key) else {
                        continue;
                    };
                    for &(i, blk) in asked {
                        let spans = &mut out[i].0;
                        if spans.len() >= max {
                            continue;
                        }
                        let in_block = if Some(blk) == lay.window {
                            !set_apart
                                && a.unit_flags[start..=k].iter().fold(0, |x, &g| x | g) & IN_WINDOW
                                    != 0
                        } else {
                            blk == own_block
                        };
                        if in_block {
                            spans.push(a.unit_span[start].0 as usize..a.unit_span[k].1 as usize);
                            if spans.len() == max {
                                short -= 1;
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Per unit of the analysed text, whether it is in a sentence about the target (one that
    /// names him, or follows such a sentence and says he / his / him: the sentences
    /// [`FeatureConfig::lexicon_about_target`] counts). `None` without a target.
    pub fn units_about_target(&self, a: &Analysis) -> Option<Vec<bool>> {
        if !self.has_target() {
            return None;
        }
        let mut about = AboutTarget::new(&a.units, &a.unit_flags, &self.pronouns);
        Some((0..a.units.len()).map(|u| about.covers(u)).collect())
    }

    /// The lexicon matches dense feature `j` (a `lex...` rate) counted, in text order; `None`
    /// for a feature that is not a lexicon rate. A match of weight 0 (a party name holding a
    /// praise word) counted for nothing and is left out.
    fn lex_matches_of<'a>(&self, a: &'a Analysis, j: u32) -> Option<Vec<&'a LexMatch>> {
        let name = &self.dense_names[(j - self.layout.dense) as usize];
        let rest = name.strip_prefix("lex")?;
        let (scope, cat) = rest.split_once(':').unwrap_or(("", rest));
        let ci = self.categories.iter().position(|c| c == cat)?;
        // Own-voice matches of a category counted only about the target (see `dense_raw`):
        // only those in sentences about him. The filter runs in text order.
        let scoped = scope != "@quote" && self.about_target.get(ci) == Some(&true);
        let mut about = AboutTarget::new(&a.units, &a.unit_flags, &self.pronouns);
        Some(
            a.lex_matches
                .iter()
                .filter(|m| m.category as usize == ci && m.weight != 0.0)
                .filter(|m| {
                    let f = a.unit_flags[m.start];
                    (!self.spec.config.negation || f & UNASSERTED == 0)
                        && match scope {
                            "@target" => f & IN_WINDOW != 0 && f & QUOTED == 0,
                            "@quote" => f & QUOTED != 0,
                            _ => f & QUOTED == 0,
                        }
                })
                .filter(|m| !scoped || about.covers(m.start))
                .collect(),
        )
    }

    /// Every occurrence in the analysed text of each feature of `ids`, as (start byte, weight):
    /// a word or character n-gram once per word it occurs in (weight 1), a lexicon rate once per
    /// match it counted (the match's weight). The target statistics have none: no one place in
    /// the text holds them. For sharing a feature's value among the places it comes from (key
    /// sentences). One flat list, feature by feature in the order of `ids`: feature `k`'s places
    /// are `places[ends[k - 1]..ends[k]]` (from 0 for the first).
    pub fn occurrences(&self, a: &Analysis, ids: &[u32]) -> Occurrences {
        let dense = self.layout.dense;
        let sparse: Vec<u32> = ids.iter().copied().filter(|&j| j < dense).collect();
        let mut found = self.places_of(a, &sparse, usize::MAX, false).into_iter();
        let mut occ = Occurrences {
            ends: Vec::with_capacity(ids.len()),
            places: Vec::new(),
        };
        for &j in ids {
            if j < dense {
                let (spans, _) = found.next().unwrap_or_default();
                occ.places.extend(spans.into_iter().map(|r| (r.start, 1.0)));
            } else {
                for m in self.lex_matches_of(a, j).unwrap_or_default() {
                    occ.places.push((a.unit_span[m.start].0 as usize, m.weight));
                }
            }
            occ.ends.push(occ.places.len() as u32);
        }
        occ
    }

    /// Where a lexicon rate or a target statistic (`j` at or past the dense block) comes from:
    /// the lexicon matches that counted, or the mentions.
    fn dense_provenance(&self, a: &Analysis, j: u32, max: usize) -> Vec<Range<usize>> {
        let lay = &self.layout;
        let mut spans = Vec::new();
        let d = (j - lay.dense) as usize;
        let name = &self.dense_names[d];
        if name.starts_with("lex") {
            let Some(mut kept) = self.lex_matches_of(a, j) else {
                return spans;
            };
            // A category's rate sums many phrases: quote up to twice `max` distinct ones (by
            // their units, so "militias" and "militia's" are one), heaviest first and then in
            // text order, so that the item shows its breadth ("militias", "loyal to Iran",
            // "uncontrolled weapons") rather than one phrase twice.
            kept.sort_by(|x, y| y.weight.total_cmp(&x.weight));
            let mut seen: Vec<&[u32]> = Vec::new();
            for m in kept {
                let units = &a.units[m.start..m.start + m.len];
                if seen.contains(&units) {
                    continue;
                }
                if spans.len() >= 2 * max {
                    break;
                }
                seen.push(units);
                let (s, _) = a.unit_span[m.start];
                let (_, e) = a.unit_span[m.start + m.len - 1];
                spans.push(s as usize..e as usize);
            }
        } else if name.starts_with("target:") {
            for (k, &u) in a.units.iter().enumerate() {
                if u == TARGET_UNIT && spans.len() < max {
                    let (s, e) = a.unit_span[k];
                    spans.push(s as usize..e as usize);
                }
            }
        }
        spans
    }
}
