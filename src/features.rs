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

use std::ops::Range;

use crate::strmap::ShortStrMap;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::lexicon::{LexMatch, Lexicon, LexiconMatcher, PhraseUnit};
use crate::sparse::{CsrMatrix, PREFETCH_AHEAD, SparseVec, prefetch};
use crate::stem::with_thread_cache;
use crate::target::{Mention, TargetMatcher, TargetSpec};
use crate::text::{BREAK, QUOTE_BREAK, QUOTED, Residue, Tokens, tokenize_with};

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
/// The flags of a unit the writer does not assert: a lexicon match starting on it is not
/// counted (with [`FeatureConfig::negation`]).
const UNASSERTED: u8 = NEGATED | HYPOTHETICAL;
/// Tokens after a negator that it covers.
pub const NEGATION_SCOPE: u8 = 3;

/// Common English function words (articles, pronouns, prepositions, conjunctions, auxiliaries,
/// quantifiers and the commonest adverbs): an evidence item made only of them says how a text is
/// written more than what it says (the model card's failure mode 7). "never", "not" and "no"
/// are left out: negation carries meaning (and has a block of its own).
const FUNCTION_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "this",
    "that",
    "these",
    "those",
    "there",
    "here",
    "it",
    "its",
    "itself",
    "he",
    "him",
    "his",
    "himself",
    "she",
    "her",
    "they",
    "them",
    "their",
    "themselves",
    "we",
    "us",
    "our",
    "you",
    "your",
    "i",
    "me",
    "my",
    "who",
    "whom",
    "whose",
    "which",
    "what",
    "when",
    "where",
    "why",
    "how",
    "whether",
    "and",
    "or",
    "but",
    "nor",
    "so",
    "yet",
    "if",
    "then",
    "than",
    "as",
    "because",
    "while",
    "although",
    "though",
    "of",
    "in",
    "on",
    "at",
    "by",
    "for",
    "from",
    "to",
    "with",
    "without",
    "into",
    "onto",
    "upon",
    "about",
    "above",
    "below",
    "over",
    "under",
    "after",
    "before",
    "between",
    "through",
    "during",
    "against",
    "among",
    "within",
    "toward",
    "towards",
    "via",
    "per",
    "up",
    "down",
    "out",
    "off",
    "again",
    "also",
    "only",
    "just",
    "very",
    "too",
    "more",
    "most",
    "much",
    "many",
    "some",
    "any",
    "all",
    "both",
    "each",
    "every",
    "other",
    "another",
    "such",
    "same",
    "own",
    "either",
    "neither",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "being",
    "am",
    "has",
    "have",
    "had",
    "having",
    "do",
    "does",
    "did",
    "doing",
    "done",
    "will",
    "would",
    "shall",
    "should",
    "can",
    "could",
    "may",
    "might",
    "must",
    "now",
    "still",
    "even",
    "already",
    "rather",
    "quite",
    "once",
];

/// Whether a word, or a unit (an English stem, or a word form without stemming), is one of
/// the common English function words (articles, pronouns, prepositions, conjunctions,
/// auxiliaries, quantifiers, the commonest adverbs; not "never", "not" or "no"), whose evidence
/// items are marked `function_words`.
pub fn is_function_word(w: &str) -> bool {
    static UNITS: std::sync::OnceLock<FxHashSet<String>> = std::sync::OnceLock::new();
    UNITS
        .get_or_init(|| {
            let stems = crate::stem::stem_words(FUNCTION_WORDS.iter().copied());
            FUNCTION_WORDS
                .iter()
                .map(|w| w.to_string())
                .chain(stems)
                .collect()
        })
        .contains(w)
}

fn is_negator(norm: &str) -> bool {
    matches!(
        norm,
        "not"
            | "no"
            | "never"
            | "neither"
            | "nor"
            | "without"
            | "hardly"
            | "cannot"
            | "didn"
            | "doesn"
            | "don"
            | "isn"
            | "wasn"
            | "weren"
            | "won"
            | "couldn"
            | "wouldn"
            | "hasn"
            | "haven"
    )
}

/// Whether a (normalised) word introduces reported speech: what follows it in the sentence is
/// somebody else's claim, not the writer's voice. Nouns and verbs of saying, accusing and
/// naming; "states" and "state" are left out (the United States).
pub fn is_report_cue(w: &str) -> bool {
    matches!(
        w,
        "said"
            | "says"
            | "saying"
            | "told"
            | "stated"
            | "claimed"
            | "claims"
            | "claiming"
            | "alleged"
            | "alleges"
            | "alleging"
            | "accused"
            | "accuses"
            | "accusing"
            | "accusation"
            | "accusations"
            | "described"
            | "describes"
            | "describing"
            | "branded"
            | "brands"
            | "labelled"
            | "labeled"
            | "dubbed"
            | "called"
            | "calls"
            | "calling"
            | "charged"
            | "insisted"
            | "insists"
            | "argued"
            | "argues"
            | "asserted"
            | "asserts"
            | "considers"
            | "considered"
            | "believes"
            | "warned"
            | "warns"
            | "vowed"
            | "threatened"
            | "demanded"
            | "demands"
            // The verbs of wire copy and translated news: "Al-Kazemi confirmed that ...",
            // "he added", "he expressed his hope that ...".
            | "added"
            | "adds"
            | "noted"
            | "notes"
            | "stressed"
            | "stresses"
            | "confirmed"
            | "confirms"
            | "indicated"
            | "indicates"
            | "explained"
            | "explains"
            | "expressed"
            | "expresses"
            | "affirmed"
            | "affirms"
            | "emphasised"
            | "emphasized"
            | "emphasises"
            | "emphasizes"
            | "acknowledged"
            | "acknowledges"
            | "admitted"
            | "admits"
            | "denied"
            | "denies"
            | "hoped"
            | "hopes"
            | "revealed"
            | "reveals"
            | "announced"
            | "announces"
            // Their participles, as wire copy strings them after a quotation: `..., stressing
            // his country's commitment ...`, `..., adding that ...` (seed 004).
            | "stating"
            | "adding"
            | "noting"
            | "stressing"
            | "confirming"
            | "indicating"
            | "explaining"
            | "expressing"
            | "affirming"
            | "emphasising"
            | "emphasizing"
            | "acknowledging"
            | "admitting"
            | "denying"
            | "revealing"
            | "announcing"
            | "insisting"
            | "arguing"
            | "asserting"
            // "pointed out (that)", "pointing out": only before "out" (see
            // `is_own_voice_cue`).
            | "pointed"
            | "pointing"
    )
}

/// Whether a reporting cue word is, in context, the writer's own voice rather than somebody
/// else's claim: "so-called" (a label the writer puts on something), "it can be said" (the
/// writer's assertion), a passive "is considered" or "considered to be" (a description:
/// "considered to be a moderate figure"), "an accused" (a noun), and an accusation in the
/// passive with no accuser named ("he is accused of ...", "being accused of ...": the writer
/// presents it; "was accused by the factions of" still reports). A passive "was called" or
/// "was described as" still reports a label somebody gave. `prev` and `prev2` are the normalised words before it, `next` the one after (empty across a
/// sentence break).
pub fn is_own_voice_cue(w: &str, prev: &str, prev2: &str, next: &str) -> bool {
    match w {
        "called" => prev == "so",
        // A noun: "as an accused in the case".
        "accused" => {
            matches!(prev, "an" | "the")
                || (next == "of"
                    && matches!(
                        prev,
                        "is" | "are" | "was" | "were" | "be" | "been" | "being"
                    ))
        }
        "considered" => {
            next == "to"
                || matches!(
                    prev,
                    "is" | "are" | "was" | "were" | "be" | "been" | "being"
                )
        }
        "said" => {
            prev == "be"
                && matches!(
                    prev2,
                    "can" | "could" | "must" | "may" | "might" | "should" | "would"
                )
        }
        // "pointed out that ..." reports; "pointed a gun", "pointed to the map" do not.
        "pointed" | "pointing" => next != "out",
        _ => false,
    }
}

/// Whether "according to" attributes its sentence, from the normalised words after "to" in the
/// same sentence: it does when a source follows ("according to a statement", "according to his
/// office", "according to informed sources", "according to Reuters"), not when a rule, a plan
/// or an interest does ("according to the law", "according to the program that he set",
/// "according to their personal interests": the writer's own words). Attribution stays the
/// default; only those nouns, after at most three determiners, possessives and the like, undo it.
pub fn according_to_attributes<'a>(after: impl IntoIterator<Item = &'a str>) -> bool {
    let first = after.into_iter().take(4).find(|w| {
        !matches!(
            *w,
            "the"
                | "a"
                | "an"
                | "his"
                | "her"
                | "their"
                | "its"
                | "our"
                | "my"
                | "your"
                | "own"
                | "personal"
                | "same"
                | "new"
                | "this"
                | "that"
        )
    });
    !first.is_some_and(|w| {
        matches!(
            w,
            "law"
                | "laws"
                | "constitution"
                | "rules"
                | "rule"
                | "program"
                | "programme"
                | "plan"
                | "plans"
                | "schedule"
                | "timetable"
                | "agreement"
                | "deal"
                | "terms"
                | "instructions"
                | "directives"
                | "orders"
                | "procedures"
                | "mechanism"
                | "formula"
                | "quota"
                | "quotas"
                | "criteria"
                | "standards"
                | "principle"
                | "principles"
                | "priorities"
                | "interest"
                | "interests"
                | "wishes"
                | "needs"
                | "whims"
                | "logic"
                | "vision"
                | "agenda"
                | "custom"
                | "tradition"
                | "circumstances"
                | "conditions"
        )
    })
}

/// A quotation of at most this many units, with no reporting cue before it in its sentence and
/// none just after it, is the writer's own words in quotation marks (scare quotes, a name, a
/// title: he supported the "Jokers"), not reported speech.
const SCARE_QUOTE_UNITS: usize = 3;

/// A reporting cue with at most this many units after it in its sentence attributes the whole
/// sentence ("Kazemi betrayed the martyrs, the statement said on Monday.").
const POSTPOSED_CUE_TAIL: usize = 4;

/// A reporting cue at most this many units after a quotation attributes the quotation
/// ("He failed," they said of ...) rather than opening reported speech.
const QUOTE_ATTRIBUTION_GAP: usize = 3;

/// How the target unit is shown in feature names.
pub const TARGET_LABEL: &str = "<target>";

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
        }
    }
}

impl FeatureConfig {
    /// Check the settings are usable.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(Error::Invalid(m));
        if !(1..=3).contains(&self.ngram_max) {
            return bad(format!(
                "ngram_max must be 1, 2 or 3, not {}",
                self.ngram_max
            ));
        }
        if !(self.max_df > 0.0 && self.max_df <= 1.0) {
            return bad(format!("max_df must be in (0, 1], not {}", self.max_df));
        }
        if self.max_features == 0 {
            return bad("max_features must be positive".into());
        }
        if let Some((lo, hi)) = self.char_ngrams
            && !(1 <= lo && lo <= hi && hi <= 8)
        {
            return bad(format!(
                "character n-gram range {lo}-{hi} must satisfy 1 <= lo <= hi <= 8"
            ));
        }
        if !(8..=24).contains(&self.char_buckets_log2) {
            return bad(format!(
                "char_buckets_log2 must be 8..=24, not {}",
                self.char_buckets_log2
            ));
        }
        for (name, w) in [
            ("window_weight", self.window_weight),
            ("quote_weight", self.quote_weight),
            ("negated_weight", self.negated_weight),
            ("char_weight", self.char_weight),
            ("dense_weight", self.dense_weight),
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

/// Per-document scratch state, reused between documents on a thread.
#[derive(Default, Debug, Clone)]
pub struct Analysis {
    pub tokens: Tokens,
    pub mentions: Vec<Mention>,
    /// Unit ids: a stem id, [`TARGET_UNIT`] or [`NO_UNIT`].
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
    counts: Vec<u16>,
    /// Features whose count passed `u16::MAX` in this document, once per 65,535 occurrences
    /// (see [`Featurizer::vectorize`]); nearly always empty.
    count_overflow: Vec<u32>,
    touched: Vec<u32>,
    radix_tmp: Vec<u32>,
    /// One bit per character bucket touched in this document, and one per non-zero word of it
    /// (all zero between documents; see [`Featurizer::vectorize`]).
    char_bits: Vec<u64>,
    char_summary: Vec<u64>,
    chars: String,
    char_offsets: Vec<usize>,
    /// With [`FeatureConfig::char_chunks`]: the lowercased chunks, and per chunk its range in
    /// `chunk_text` and its byte span in the original text.
    chunk_text: String,
    chunks: Vec<ChunkSpan>,
}

/// A character chunk: its range in [`Analysis::chunk_text`] and its byte span in the original
/// text.
type ChunkSpan = (u32, u32, u32, u32);

/// Where a feature occurs in a text (byte ranges, at most the number asked for) and, for a
/// character n-gram, the first n-gram of the text that falls in its bucket.
pub type Provenance = (Vec<Range<usize>>, Option<String>);

/// Words a per-thread word -> unit cache holds before it is cleared (bounds its memory).
const WORD_UNITS_CAPACITY: usize = 1 << 18;

thread_local! {
    /// Normalised word -> unit id, for the featurizer whose id is the first field (see
    /// [`Analyzer::analyze_cached`]); cleared when another featurizer analyses on this thread.
    /// Per thread, like the stem cache: scratch space is made afresh for each piece of work
    /// rayon splits off, a thread outlives them.
    static WORD_UNITS: std::cell::RefCell<(u64, ShortStrMap)> =
        std::cell::RefCell::new((0, ShortStrMap::default()));
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
        })
    }

    /// Whether a target is configured.
    pub fn has_target(&self) -> bool {
        self.target.is_some()
    }

    /// Analyse `text` into `a`; `lookup` maps a stem to its unit id (or [`NO_UNIT`]).
    pub fn analyze(&self, text: &str, a: &mut Analysis, lookup: impl FnMut(&str) -> u32) {
        self.analyze_with(text, a, None, lookup)
    }

    /// [`Analyzer::analyze`] with a word -> unit cache in `a` that is valid for as long as
    /// `lookup` gives the same answers, which `owner` names (a featurizer's id): a word seen
    /// before then costs one hash lookup instead of a stem-cache lookup and a dictionary
    /// lookup (the two string lookups were about 15% of classify).
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
        let toks = a.tokens.as_slice();
        let mut next_mention = a.mentions.iter().peekable();
        WORD_UNITS.with_borrow_mut(|(cached_for, word_units)| {
            if let Some(o) = owner
                && (*cached_for != o || word_units.len() >= WORD_UNITS_CAPACITY)
            {
                word_units.clear();
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
                        // quoted anyway) and on past its end if it is short.
                        reported = reported
                            && t.flags & (BREAK | QUOTE_BREAK | QUOTED)
                                == BREAK | QUOTE_BREAK | QUOTED;
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
                    if is_negator(w) {
                        neg_left = NEGATION_SCOPE;
                    }
                    if w == "if" || w == "unless" {
                        hypo = true;
                    }
                    let cue = self.reported_speech && is_report_cue(w) && {
                        // The words before it in its sentence, for the own-voice exceptions.
                        let before = |k: usize| {
                            if i >= k && (i + 1 - k..=i).all(|m| toks[m].flags & BREAK == 0) {
                                a.tokens.norm(i - k)
                            } else {
                                ""
                            }
                        };
                        let next = if i + 1 < toks.len() && toks[i + 1].flags & BREAK == 0 {
                            a.tokens.norm(i + 1)
                        } else {
                            ""
                        };
                        !is_own_voice_cue(w, before(1), before(2), next)
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
                    let unit = match owner.and_then(|_| word_units.get(w)) {
                        Some(u) => u,
                        None => {
                            let u = lookup(if self.stem { cache.stem(w) } else { w });
                            if owner.is_some() {
                                word_units.insert(w, u);
                            }
                            u
                        }
                    };
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

/// A character n-gram as a range of the padded word: sliced only when a caller reads it (the
/// vectoriser never does, and slicing a `str` checks both ends for character boundaries).
#[derive(Clone, Copy)]
struct Gram<'a> {
    buf: &'a str,
    start: usize,
    end: usize,
}

impl<'a> Gram<'a> {
    fn as_str(&self) -> &'a str {
        &self.buf[self.start..self.end]
    }
}

/// Call `f(bucket, ngram)` for every character n-gram of `word` padded with spaces.
///
/// The FNV-1a hash of the n-grams starting at one character is extended one character at a
/// time, so each start costs `hi` steps rather than `lo + ... + hi`; ASCII words (most of them)
/// skip the character-offset table.
fn char_ngrams(
    word: &str,
    (lo, hi): (u8, u8),
    mask: u64,
    buf: &mut String,
    offs: &mut Vec<usize>,
    mut f: impl FnMut(u32, Gram),
) {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let (lo, hi) = (lo as usize, hi as usize);
    buf.clear();
    buf.push(' ');
    buf.push_str(word);
    buf.push(' ');
    let buf = buf.as_str();
    let b = buf.as_bytes();
    if word.is_ascii() {
        let n = b.len();
        for s in 0..n {
            let mut h = OFFSET;
            // An index loop: the iterator form costs 0.7% more instructions here.
            #[allow(clippy::needless_range_loop)]
            for e in s..n.min(s + hi) {
                h ^= b[e] as u64;
                h = h.wrapping_mul(PRIME);
                if e + 1 - s >= lo {
                    f(
                        (h & mask) as u32,
                        Gram {
                            buf,
                            start: s,
                            end: e + 1,
                        },
                    );
                }
            }
        }
        return;
    }
    offs.clear();
    offs.extend(buf.char_indices().map(|(i, _)| i));
    offs.push(buf.len());
    let nchars = offs.len() - 1;
    for s in 0..nchars {
        let mut h = OFFSET;
        for e in s..nchars.min(s + hi) {
            for &byte in &b[offs[e]..offs[e + 1]] {
                h ^= byte as u64;
                h = h.wrapping_mul(PRIME);
            }
            if e + 1 - s >= lo {
                let (start, end) = (offs[s], offs[e + 1]);
                f((h & mask) as u32, Gram { buf, start, end });
            }
        }
    }
}

/// A document's character units, in order, as (index, text): its normalised tokens outside
/// target mentions, or, when `chunks` is given (the chunk text and spans [`collect_chunks`]
/// made), its whitespace chunks; the index counts the tokens or the chunks. An iterator, so
/// that a caller's per-unit work stays in the caller's own loop (through a closure, the
/// n-gram callback of [`for_each_char_gram`] was no longer inlined: 2.6% more instructions).
struct CharUnits<'a> {
    tokens: &'a Tokens,
    mentions: &'a [Mention],
    chunks: Option<(&'a str, &'a [ChunkSpan])>,
    /// The next token or chunk, and the first mention not yet passed.
    next: usize,
    mention: usize,
}

impl<'a> CharUnits<'a> {
    fn new(
        tokens: &'a Tokens,
        mentions: &'a [Mention],
        chunks: Option<(&'a str, &'a [ChunkSpan])>,
    ) -> Self {
        CharUnits {
            tokens,
            mentions,
            chunks,
            next: 0,
            mention: 0,
        }
    }
}

impl<'a> Iterator for CharUnits<'a> {
    type Item = (usize, &'a str);

    #[inline]
    fn next(&mut self) -> Option<(usize, &'a str)> {
        if let Some((text, spans)) = self.chunks {
            let &(s, e, _, _) = spans.get(self.next)?;
            self.next += 1;
            return Some((self.next - 1, &text[s as usize..e as usize]));
        }
        while self.next < self.tokens.len() {
            let i = self.next;
            self.next += 1;
            while self.mentions.get(self.mention).is_some_and(|m| m.end <= i) {
                self.mention += 1;
            }
            if self
                .mentions
                .get(self.mention)
                .is_some_and(|m| m.first <= i)
                || self.tokens.as_slice()[i].subword()
            {
                continue;
            }
            return Some((i, self.tokens.norm(i)));
        }
        None
    }
}

/// Call `f(unit, bucket, gram)` for every character n-gram of a document's character units
/// (see [`CharUnits`]). The one loop behind vectorising, document frequencies and
/// evidence. `f` returns whether it has seen enough: the loop then stops after the current
/// unit (evidence stops once every feature asked for has its quotes; the other callers never
/// stop, and the test compiles away).
#[allow(clippy::too_many_arguments)]
fn for_each_char_gram(
    tokens: &Tokens,
    mentions: &[Mention],
    chunks: Option<(&str, &[ChunkSpan])>,
    range: (u8, u8),
    mask: u64,
    buf: &mut String,
    offs: &mut Vec<usize>,
    mut f: impl FnMut(usize, u32, Gram) -> bool,
) {
    for (i, unit) in CharUnits::new(tokens, mentions, chunks) {
        let mut enough = false;
        char_ngrams(unit, range, mask, buf, offs, |b, g| enough |= f(i, b, g));
        if enough {
            return;
        }
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
        for m in &a.lex_matches {
            let base = m.category as usize * per_cat;
            let f = a.unit_flags[m.start];
            if negation && f & UNASSERTED != 0 {
                continue;
            }
            if f & QUOTED != 0 {
                a.dense[base + per_cat - 1] += m.weight;
            } else {
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
        self.vectorize_blocks(a, out, true)
    }

    /// [`Featurizer::vectorize`] without the character block, for a model that scores it per
    /// unit ([`FeatureConfig::char_linear`], [`crate::model::CharCache`]).
    pub fn vectorize_words(&self, a: &mut Analysis, out: &mut SparseVec) {
        self.vectorize_blocks(a, out, false)
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

    fn vectorize_blocks(&self, a: &mut Analysis, out: &mut SparseVec, with_chars: bool) {
        out.clear();
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
            for_each_char_gram(
                &a.tokens,
                &a.mentions,
                chunks,
                range,
                (lay.n_buckets - 1) as u64,
                &mut a.chars,
                &mut a.char_offsets,
                |_, b, _| {
                    count_one(counts, overflow, off + b);
                    let w = (b >> 6) as usize;
                    bits[w] |= 1 << (b & 63);
                    summary[w >> 6] |= 1 << (w & 63);
                    false
                },
            );
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
        if let (true, Some(c)) = (with_chars, lay.chars) {
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
        let lay = &self.layout;
        let cfg = &self.spec.config;
        let weight = if block == lay.word {
            1.0
        } else if Some(block) == lay.window {
            cfg.window_weight
        } else if Some(block) == lay.quote {
            cfg.quote_weight
        } else if Some(block) == lay.negated {
            cfg.negated_weight
        } else {
            cfg.char_weight
        };
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
            for_each_char_gram(
                &a.tokens,
                &a.mentions,
                chunks,
                range,
                (lay.n_buckets - 1) as u64,
                &mut buf,
                &mut offs,
                |u, b, g| {
                    let Some(asked) = buckets.get(&b) else {
                        return false;
                    };
                    let span = match chunks {
                        Some((_, ch)) => ch[u].2 as usize..ch[u].3 as usize,
                        None => a.tokens.as_slice()[u].span(),
                    };
                    for &i in asked {
                        let (spans, gram) = &mut out[i];
                        gram.get_or_insert_with(|| g.as_str().to_owned());
                        // A unit can hold the same gram twice: one span each.
                        if spans.len() < max && spans.last() != Some(&span) {
                            spans.push(span.clone());
                            if spans.len() == max {
                                short -= 1;
                            }
                        }
                    }
                    short == 0
                },
            );
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

    /// Where a lexicon rate or a target statistic (`j` at or past the dense block) comes from:
    /// the lexicon matches that counted, or the mentions.
    fn dense_provenance(&self, a: &Analysis, j: u32, max: usize) -> Vec<Range<usize>> {
        let lay = &self.layout;
        let mut spans = Vec::new();
        let d = (j - lay.dense) as usize;
        let name = &self.dense_names[d];
        if let Some(rest) = name.strip_prefix("lex") {
            let (scope, cat) = rest.split_once(':').unwrap_or(("", rest));
            let Some(ci) = self.categories.iter().position(|c| c == cat) else {
                return spans;
            };
            // A match of weight 0 (a party name holding a praise word) counted for nothing:
            // it is not shown as where the feature comes from.
            let mut kept: Vec<&LexMatch> = a
                .lex_matches
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
                .collect();
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

/// A growable string interner used while counting a training corpus.
#[derive(Default, Debug)]
struct Interner {
    ids: FxHashMap<Box<str>, u32>,
    strings: Vec<Box<str>>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.strings.len() as u32;
        self.strings.push(s.into());
        self.ids.insert(s.into(), id);
        id
    }
}

/// Document frequencies over a training corpus.
#[derive(Default, Debug)]
pub struct VocabCounts {
    interner: Interner,
    uni_df: Vec<u32>,
    target_df: u32,
    bi_df: FxHashMap<u64, u32>,
    tri_df: FxHashMap<(u32, u32, u32), u32>,
    char_df: Vec<u32>,
    n_docs: u32,
    keys: Vec<u64>,
    tri_keys: Vec<(u32, u32, u32)>,
}

impl VocabCounts {
    /// Number of documents counted.
    pub fn n_docs(&self) -> u32 {
        self.n_docs
    }

    fn add_doc(&mut self, analyzer: &Analyzer, cfg: &FeatureConfig, text: &str, a: &mut Analysis) {
        let interner = &mut self.interner;
        analyzer.analyze(text, a, |s| interner.intern(s));
        self.n_docs += 1;
        let keys = &mut self.keys;
        keys.clear();
        let mut prev = NO_UNIT;
        for (k, &u) in a.units.iter().enumerate() {
            keys.push(pair_key(u, NO_UNIT));
            if cfg.ngram_max >= 2
                && k > 0
                && (cfg.ngrams_across_breaks || a.unit_flags[k] & BREAK == 0)
            {
                keys.push(pair_key(prev, u));
            }
            prev = u;
        }
        if cfg.ngram_max >= 3 {
            let tri = &mut self.tri_keys;
            tri.clear();
            let (u, f) = (&a.units, &a.unit_flags);
            for k in 2..u.len() {
                if cfg.ngrams_across_breaks || (f[k] | f[k - 1]) & BREAK == 0 {
                    tri.push((u[k - 2], u[k - 1], u[k]));
                }
            }
            tri.sort_unstable();
            tri.dedup();
            for &t in tri.iter() {
                *self.tri_df.entry(t).or_insert(0) += 1;
            }
        }
        keys.sort_unstable();
        keys.dedup();
        for &key in keys.iter() {
            let (x, y) = ((key >> 32) as u32, key as u32);
            if y == NO_UNIT {
                if x == TARGET_UNIT {
                    self.target_df += 1;
                } else {
                    if self.uni_df.len() <= x as usize {
                        self.uni_df.resize(x as usize + 1, 0);
                    }
                    self.uni_df[x as usize] += 1;
                }
            } else {
                *self.bi_df.entry(key).or_insert(0) += 1;
            }
        }
        if let Some(range) = cfg.char_ngrams {
            let n = 1usize << cfg.char_buckets_log2;
            if self.char_df.is_empty() {
                self.char_df = vec![0; n];
            }
            keys.clear();
            let chunks = cfg
                .char_chunks
                .then_some((a.chunk_text.as_str(), a.chunks.as_slice()));
            for_each_char_gram(
                &a.tokens,
                &a.mentions,
                chunks,
                range,
                (n - 1) as u64,
                &mut a.chars,
                &mut a.char_offsets,
                |_, b, _| {
                    keys.push(b as u64);
                    false
                },
            );
            keys.sort_unstable();
            keys.dedup();
            for &b in keys.iter() {
                self.char_df[b as usize] += 1;
            }
        }
    }

    /// Add `other`'s counts to these (ids are remapped through the strings).
    fn merge(mut self, other: VocabCounts) -> VocabCounts {
        let map: Vec<u32> = other
            .interner
            .strings
            .iter()
            .map(|s| self.interner.intern(s))
            .collect();
        let remap = |u: u32| if u == TARGET_UNIT { u } else { map[u as usize] };
        if self.uni_df.len() < self.interner.strings.len() {
            self.uni_df.resize(self.interner.strings.len(), 0);
        }
        for (u, &df) in other.uni_df.iter().enumerate() {
            self.uni_df[map[u] as usize] += df;
        }
        self.target_df += other.target_df;
        for (key, df) in other.bi_df {
            let k = pair_key(remap((key >> 32) as u32), remap(key as u32));
            *self.bi_df.entry(k).or_insert(0) += df;
        }
        for ((x, y, z), df) in other.tri_df {
            *self
                .tri_df
                .entry((remap(x), remap(y), remap(z)))
                .or_insert(0) += df;
        }
        if self.char_df.is_empty() {
            self.char_df = other.char_df;
        } else {
            for (a, b) in self.char_df.iter_mut().zip(other.char_df) {
                *a += b;
            }
        }
        self.n_docs += other.n_docs;
        self
    }

    /// Count document frequencies over `texts`, in parallel. The result does not depend on the
    /// thread count (counts are sums; ids are resolved through strings when the vocabulary is built).
    pub fn count<S: AsRef<str> + Sync>(
        analyzer: &Analyzer,
        cfg: &FeatureConfig,
        texts: &[S],
    ) -> VocabCounts {
        texts
            .par_iter()
            .fold(
                || (VocabCounts::default(), Analysis::default()),
                |(mut c, mut a), t| {
                    c.add_doc(analyzer, cfg, t.as_ref(), &mut a);
                    (c, a)
                },
            )
            .map(|(c, _)| c)
            .reduce(VocabCounts::default, VocabCounts::merge)
    }
}

/// Build a [`FeatureSpec`] from counts: choose the vocabulary, compute idf. Dense scales start
/// at 1 and maxima at `f32::MAX` (the trainer sets both from the training matrix).
pub fn build_spec(
    config: FeatureConfig,
    residue: String,
    target: Option<TargetSpec>,
    lexicon: Lexicon,
    counts: &VocabCounts,
) -> Result<FeatureSpec> {
    config.validate()?;
    let n = counts.n_docs as f64;
    let max_df = (config.max_df as f64 * n).floor() as u32;
    let keep = |df: u32| df >= config.min_df.max(1) && df <= max_df.max(1);
    let name = |u: u32| -> &str {
        if u == TARGET_UNIT {
            TARGET_LABEL
        } else {
            &counts.interner.strings[u as usize]
        }
    };
    // Candidates as (df, first, second, third).
    let mut cands: Vec<(u32, u32, u32, u32)> = Vec::new();
    for (u, &df) in counts.uni_df.iter().enumerate() {
        if keep(df) {
            cands.push((df, u as u32, NO_UNIT, NO_UNIT));
        }
    }
    if keep(counts.target_df) {
        cands.push((counts.target_df, TARGET_UNIT, NO_UNIT, NO_UNIT));
    }
    for (&key, &df) in &counts.bi_df {
        let (a, b) = ((key >> 32) as u32, key as u32);
        if keep(df) && a != NO_UNIT && b != NO_UNIT {
            cands.push((df, a, b, NO_UNIT));
        }
    }
    for (&(a, b, c), &df) in &counts.tri_df {
        if keep(df) && a != NO_UNIT && b != NO_UNIT && c != NO_UNIT {
            cands.push((df, a, b, c));
        }
    }
    let opt_name = |u: u32| if u == NO_UNIT { "" } else { name(u) };
    let key_of = |&(_, a, b, c): &(u32, u32, u32, u32)| -> (&str, &str, &str) {
        (name(a), opt_name(b), opt_name(c))
    };
    cands.sort_by(|x, y| y.0.cmp(&x.0).then_with(|| key_of(x).cmp(&key_of(y))));
    cands.truncate(config.max_features as usize);
    cands.sort_by(|x, y| key_of(x).cmp(&key_of(y)));

    // The stem dictionary: stems of the chosen terms and of the lexicon.
    let mut stems: Vec<String> = Vec::new();
    for &(_, a, b, c) in &cands {
        for u in [a, b, c] {
            if u != NO_UNIT && u != TARGET_UNIT {
                stems.push(name(u).to_owned());
            }
        }
    }
    for e in &lexicon.entries {
        for u in e.units_as(config.stem) {
            if let PhraseUnit::Stem(s) = u {
                stems.push(s);
            }
        }
    }
    stems.sort();
    stems.dedup();
    let index = |u: u32| -> u32 {
        if u == NO_UNIT || u == TARGET_UNIT {
            u
        } else {
            stems
                .binary_search_by(|s| s.as_str().cmp(name(u)))
                .expect("stem in dictionary") as u32
        }
    };
    let idf_of = |df: u32| (((1.0 + n) / (1.0 + df as f64)).ln() + 1.0) as f32;
    let terms: Vec<(u32, u32, u32)> = cands
        .iter()
        .map(|&(_, a, b, c)| (index(a), index(b), index(c)))
        .collect();
    let idf: Vec<f32> = cands.iter().map(|&(df, _, _, _)| idf_of(df)).collect();
    let char_idf = match config.char_ngrams {
        Some(_) if counts.char_df.is_empty() => vec![idf_of(0); 1 << config.char_buckets_log2],
        Some(_) => counts.char_df.iter().map(|&df| idf_of(df)).collect(),
        None => Vec::new(),
    };
    let n_dense = dense_names(&lexicon.categories(), target.is_some()).len();
    Ok(FeatureSpec {
        config,
        residue,
        target,
        lexicon,
        stems,
        terms,
        idf,
        char_idf,
        dense_scale: vec![1.0; n_dense],
        dense_max: vec![f32::MAX; n_dense],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn target() -> TargetSpec {
        TargetSpec {
            name: "Mustafa Al-Kazemi".into(),
            aliases: vec!["Kazemi".into(), "Kadhimi".into(), "al-Kadhimi".into()],
            notes: None,
        }
    }

    fn lexicon() -> Lexicon {
        Lexicon::parse(
            "criticism\tcondemned\t1\ncriticism\tfailed\t1\npro_iran_framing\tmartyrs\t1\nopposition_framing\toutlaw militias\t2\n",
            Path::new("l.tsv"),
        )
        .unwrap()
    }

    const DOCS: [&str; 6] = [
        "The factions condemned Al-Kazemi and praised the martyrs.",
        "The factions condemned the militias, not Kadhimi.",
        "Al -Kazemi condemned the outlaw militias once more.",
        "Kazemi met officials in Baghdad about the budget.",
        "Officials met about the budget; the militias waited.",
        "\u{201C}He failed,\u{201D} they said of al-Kadhimi, who condemned the attack.",
    ];

    fn featurizer(cfg: FeatureConfig) -> Featurizer {
        let analyzer = Analyzer::new(Residue::default(), Some(&target()), &cfg).unwrap();
        let counts = VocabCounts::count(&analyzer, &cfg, &DOCS);
        let spec = build_spec(cfg, String::new(), Some(target()), lexicon(), &counts).unwrap();
        Featurizer::from_spec(spec).unwrap()
    }

    fn names(f: &Featurizer, v: &SparseVec) -> Vec<String> {
        v.indices.iter().map(|&j| f.feature_name(j)).collect()
    }

    /// The id of the feature of `v` named `name` (it must be there).
    fn feature_id(f: &Featurizer, v: &SparseVec, name: &str) -> u32 {
        v.indices
            .iter()
            .copied()
            .find(|&j| f.feature_name(j) == name)
            .unwrap_or_else(|| panic!("no feature {name} in {:?}", names(f, v)))
    }

    #[test]
    fn target_windows_separate_who_is_condemned() {
        let cfg = FeatureConfig {
            min_df: 1,
            window: 1,
            ..Default::default()
        };
        let f = featurizer(cfg);
        let a = names(&f, &f.transform(DOCS[0]));
        let b = names(&f, &f.transform(DOCS[1]));
        assert!(a.contains(&"condemn <target>".to_owned()), "{a:?}");
        assert!(a.contains(&"near:condemn".to_owned()), "{a:?}");
        assert!(b.contains(&"condemn".to_owned()), "{b:?}");
        assert!(!b.contains(&"near:condemn".to_owned()), "{b:?}");
        assert!(!b.contains(&"condemn <target>".to_owned()), "{b:?}");
    }

    #[test]
    fn word_cache_is_per_featurizer() {
        // Two featurizers on one thread take turns: one stemming with every word in its
        // dictionary, one keeping word forms and only the words of two documents or more (so
        // the same word has another unit id). Each must get its own units, not the other's
        // cached ones.
        let stemmed = featurizer(FeatureConfig {
            min_df: 1,
            ..Default::default()
        });
        let plain = featurizer(FeatureConfig {
            min_df: 2,
            stem: false,
            ..Default::default()
        });
        let text = DOCS[2];
        let a = names(&stemmed, &stemmed.transform(text));
        let b = names(&plain, &plain.transform(text));
        assert!(a.contains(&"condemn".to_owned()), "{a:?}");
        assert!(b.contains(&"condemned".to_owned()), "{b:?}");
        for _ in 0..2 {
            assert_eq!(names(&stemmed, &stemmed.transform(text)), a);
            assert_eq!(names(&plain, &plain.transform(text)), b);
        }
    }

    #[test]
    fn counts_past_u16_are_exact() {
        // "budget" 70,000 times (past the u16 accumulator's 65,535) and 140,000 times, beside
        // "militias" 3 times: the word block's values keep the ratio of 1 + ln(count) exactly.
        let f = featurizer(FeatureConfig {
            min_df: 1,
            ngram_max: 1,
            ..Default::default()
        });
        for n in [70_000usize, 140_000] {
            let text = format!("{} militias militias militias", "budget ".repeat(n));
            let v = f.transform(&text);
            let value = |name: &str| {
                v.indices
                    .iter()
                    .position(|&j| f.feature_name(j) == name)
                    .map(|k| v.values[k])
                    .unwrap()
            };
            let idf = |stem: &str| {
                let spec = f.spec();
                let t = spec
                    .terms
                    .iter()
                    .position(|&(a, b, _)| {
                        b == NO_UNIT && a != TARGET_UNIT && spec.stems[a as usize] == stem
                    })
                    .unwrap();
                spec.idf[t]
            };
            let got = value("budget") / value("militia");
            let want =
                (1.0 + (n as f32).ln()) * idf("budget") / ((1.0 + 3f32.ln()) * idf("militia"));
            assert!((got / want - 1.0).abs() < 1e-4, "{n}: {got} vs {want}");
        }
    }

    #[test]
    fn idf_and_block_norms() {
        let f = featurizer(FeatureConfig {
            min_df: 1,
            ..Default::default()
        });
        let spec = f.spec();
        // "condemn" appears in 4 of 6 documents.
        let t = spec
            .terms
            .iter()
            .position(|&(a, b, _)| {
                b == NO_UNIT && a != TARGET_UNIT && spec.stems[a as usize] == "condemn"
            })
            .unwrap();
        let expect = ((1.0f64 + 6.0) / (1.0 + 4.0)).ln() + 1.0;
        assert!((spec.idf[t] as f64 - expect).abs() < 1e-6);
        let v = f.transform(DOCS[2]);
        let lay = f.layout();
        let window = lay.window.unwrap();
        for (lo, hi) in [(lay.word, window), (window, lay.dense)] {
            let norm: f32 = v
                .iter()
                .filter(|(j, _)| *j >= lo && *j < hi)
                .map(|(_, x)| x * x)
                .sum();
            assert!((norm.sqrt() - 1.0).abs() < 1e-5, "block {lo}..{hi}: {norm}");
        }
        assert!(v.indices.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn function_terms_are_told_from_the_others() {
        let f = featurizer(FeatureConfig {
            min_df: 1,
            negated_block: true,
            char_ngrams: Some((3, 3)),
            ..Default::default()
        });
        let v = f.transform(
            "The factions condemned the militias, not Kadhimi. They said of him that it was over.",
        );
        let function: Vec<String> = v
            .indices
            .iter()
            .filter(|&&j| f.is_function_term(j))
            .map(|&j| f.feature_name(j))
            .collect();
        for name in ["the", "of", "near:the", "they"] {
            assert!(function.contains(&name.to_owned()), "{name}: {function:?}");
        }
        for j in v.indices.iter().copied() {
            let name = f.feature_name(j);
            let words = name.strip_prefix("near:").unwrap_or(&name);
            let expected = !name.starts_with("not:")
                && !name.starts_with("chars#")
                && !name.contains(':') | name.starts_with("near:")
                && words.split(' ').all(is_function_word);
            assert_eq!(f.is_function_term(j), expected, "{name}");
        }
        // Content words, the target and the dense features are not.
        for name in [
            "faction",
            "condemn the",
            "<target>",
            "not:<target>",
            "lex:criticism",
        ] {
            assert!(!function.contains(&name.to_owned()), "{name}");
        }
    }

    #[test]
    fn negated_lexicon_matches_are_not_counted() {
        let f = featurizer(FeatureConfig {
            min_df: 1,
            ..Default::default()
        });
        let names = f.dense_names().to_vec();
        let mut a = Analysis::default();
        let get = |a: &Analysis, n: &str| a.dense[names.iter().position(|x| x == n).unwrap()];
        f.analyze("Kazemi condemned the outlaw militias.", &mut a);
        assert!(get(&a, "lex:criticism") > 0.0);
        f.analyze(
            "Kazemi never condemned anyone, and the outlaw militias laughed.",
            &mut a,
        );
        assert_eq!(get(&a, "lex:criticism"), 0.0, "negated");
        assert!(
            get(&a, "lex:opposition_framing") > 0.0,
            "out of the negation's scope"
        );
        // A sentence break ends the scope.
        f.analyze("Kazemi did not. Condemned again.", &mut a);
        assert!(get(&a, "lex:criticism") > 0.0);
        // After "if" or "unless" in its sentence, a match is hypothetical (seed 002: "if the
        // Americans do not take real steps to support Al-Kazemi, he will fail to change").
        for text in [
            "If Washington stays away, Kazemi failed the state.",
            "Unless Washington helps him, Kazemi failed.",
        ] {
            f.analyze(text, &mut a);
            assert_eq!(get(&a, "lex:criticism"), 0.0, "{text}");
        }
        // Before the "if", and in the next sentence, it counts.
        for text in [
            "Kazemi failed the state, if you ask the protesters.",
            "If Washington stays away, he is alone. Kazemi failed.",
        ] {
            f.analyze(text, &mut a);
            assert!(get(&a, "lex:criticism") > 0.0, "{text}");
        }
    }

    #[test]
    fn reported_speech_without_quote_marks_counts_as_quoted() {
        let cfg = FeatureConfig {
            min_df: 1,
            ..Default::default()
        };
        let on = featurizer(cfg.clone());
        let off = featurizer(FeatureConfig {
            reported_speech: false,
            ..cfg
        });
        let names = on.dense_names().to_vec();
        let get = |a: &Analysis, n: &str| a.dense[names.iter().position(|x| x == n).unwrap()];
        let mut a = Analysis::default();
        // After a reporting verb, the rest of the sentence is somebody else's.
        let text = "The factions accused Kazemi of having condemned the outlaw militias.";
        on.analyze(text, &mut a);
        assert_eq!(get(&a, "lex:criticism"), 0.0);
        assert!(get(&a, "lex@quote:criticism") > 0.0);
        off.analyze(text, &mut a);
        assert!(get(&a, "lex:criticism") > 0.0);
        assert_eq!(get(&a, "lex@quote:criticism"), 0.0);
        // Words before a cue early in the sentence stay the writer's; the next sentence is the
        // writer's again.
        on.analyze(
            "Kazemi condemned the raid and the factions said nothing about the deaths of many. The outlaw militias fired again.",
            &mut a,
        );
        assert!(get(&a, "lex:criticism") > 0.0);
        assert!(get(&a, "lex:opposition_framing") > 0.0);
        // A cue at the end of its sentence attributes the whole sentence.
        on.analyze(
            "Kazemi condemned the outlaw militias, the statement said on Monday. He left.",
            &mut a,
        );
        assert_eq!(get(&a, "lex:criticism"), 0.0);
        assert!(get(&a, "lex@quote:criticism") > 0.0);
        // A cue right after a quotation attributes the quotation, not what follows.
        on.analyze(
            "\u{201C}He lied,\u{201D} they said of Kazemi, who condemned the raid.",
            &mut a,
        );
        assert!(get(&a, "lex:criticism") > 0.0);
        // A new sentence after a quotation has a cue of its own: "He claimed that ..." reports.
        let q = |text: &str, words: &[&str]| quoted_words(&on, text, words);
        assert_eq!(
            q(
                "The source added: \u{201C}They back him.\u{201D} He claimed that Maliki plotted.",
                &["plotted"]
            ),
            [true]
        );
        assert_eq!(
            q(
                "\u{201C}Maliki leads them.\u{201D} Abdul Latif added that the campaign began.",
                &["campaign"]
            ),
            [true]
        );
        // A name in quotation marks does not end reported speech; a long quotation does.
        assert_eq!(
            q(
                "A source told the \u{201C}Shafaq News\u{201D} website that the force stayed.",
                &["force", "stayed"]
            ),
            [true, true]
        );
        assert_eq!(
            q(
                "He said \u{201C}we will hold the vote on time\u{201D} and the force stayed.",
                &["force"]
            ),
            [false]
        );
        // A lower-case cue after the full stop still attributes the quotation only.
        assert_eq!(
            q(
                "\u{201C}He lied.\u{201D} they said of Kazemi, who condemned the raid.",
                &["condemned"]
            ),
            [false]
        );
        // "according to" takes the whole sentence, before and after it.
        on.analyze(
            "Kazemi condemned the outlaw militias, according to a source.",
            &mut a,
        );
        assert_eq!(get(&a, "lex:criticism"), 0.0);
        assert_eq!(get(&a, "lex:opposition_framing"), 0.0);
        assert!(get(&a, "lex@quote:opposition_framing") > 0.0);
        // Not when a rule or an interest follows it: that is the writer's sentence.
        for text in [
            "Kazemi condemned the outlaw militias, according to the law.",
            "Kazemi condemned the outlaw militias according to their personal interests.",
        ] {
            on.analyze(text, &mut a);
            assert!(get(&a, "lex:opposition_framing") > 0.0, "{text}");
            assert_eq!(get(&a, "lex@quote:opposition_framing"), 0.0, "{text}");
        }
        // A source after a possessive or a modifier still attributes.
        on.analyze(
            "Kazemi condemned the outlaw militias, according to his office.",
            &mut a,
        );
        assert_eq!(get(&a, "lex:opposition_framing"), 0.0);
    }

    /// Whether each listed word of `text` is read as quoted (somebody else's voice).
    fn quoted_words(f: &Featurizer, text: &str, words: &[&str]) -> Vec<bool> {
        let mut a = Analysis::default();
        f.analyze(text, &mut a);
        words
            .iter()
            .map(|w| {
                let u = (0..a.units.len())
                    .find(|&u| {
                        let (s, e) = a.unit_span[u];
                        text[s as usize..e as usize].eq_ignore_ascii_case(w)
                    })
                    .unwrap_or_else(|| panic!("no unit {w} in {text}"));
                a.unit_flags[u] & QUOTED != 0
            })
            .collect()
    }

    #[test]
    fn scare_quotes_are_the_writers_own_words() {
        let f = featurizer(FeatureConfig {
            min_df: 1,
            ..Default::default()
        });
        let q = |text: &str, words: &[&str]| quoted_words(&f, text, words);
        // A word or two in quotation marks, nobody named as saying it: the writer's.
        assert_eq!(
            q(
                "Kazemi backed the \u{201C}Jokers\u{201D} again.",
                &["Jokers"]
            ),
            [false]
        );
        assert_eq!(
            q("He met the \"civil society\" crowd.", &["civil", "society"]),
            [false, false]
        );
        // At the very end of the text too.
        assert_eq!(q("He armed the \"Jokers\"", &["Jokers"]), [false]);
        // A cue before it in the sentence (the quotation mark is no sentence break) or right
        // after it attributes it.
        assert_eq!(
            q(
                "The commander attacked his team, which he described as \u{201C}spies\u{201D}, again.",
                &["spies"]
            ),
            [true]
        );
        assert_eq!(
            q("\"Traitor,\" the factions said of Kazemi.", &["Traitor"]),
            [true]
        );
        // A cue in an earlier sentence does not.
        assert_eq!(
            q(
                "The factions said so. He backed the \"Jokers\" again.",
                &["Jokers"]
            ),
            [false]
        );
        // A longer quotation is reported speech even without a cue.
        assert_eq!(
            q(
                "\"We will hold the elections on time\" was the message.",
                &["elections"]
            ),
            [true]
        );
    }

    #[test]
    fn some_reporting_words_are_the_writers_voice() {
        let f = featurizer(FeatureConfig {
            min_df: 1,
            ..Default::default()
        });
        let q = |text: &str, words: &[&str]| quoted_words(&f, text, words);
        assert_eq!(
            q("The so-called reformers failed the state.", &["failed"]),
            [false]
        );
        assert_eq!(
            q("It can be said that Kazemi failed the state.", &["failed"]),
            [false]
        );
        assert_eq!(
            q(
                "Al-Asadi, considered to be a moderate figure, stayed.",
                &["moderate"]
            ),
            [false]
        );
        assert_eq!(
            q("He is considered a moderate figure.", &["moderate"]),
            [false]
        );
        assert_eq!(
            q(
                "As an accused in the case he cannot return to politics.",
                &["politics"]
            ),
            [false]
        );
        // An accusation in the passive with nobody named as making it is the writer's
        // presentation; with an agent it is reported.
        assert_eq!(
            q(
                "Being accused of intervening in the assassinations of martyrs, he was shunned.",
                &["martyrs"]
            ),
            [false]
        );
        assert_eq!(
            q("He is accused of betraying the martyrs.", &["martyrs"]),
            [false]
        );
        assert_eq!(
            q(
                "He was accused by the factions of betraying the martyrs.",
                &["martyrs"]
            ),
            [true]
        );
        // The active verbs still report somebody's claim.
        assert_eq!(
            q("The factions considered him a traitor.", &["traitor"]),
            [true]
        );
        assert_eq!(q("They called him a traitor.", &["traitor"]), [true]);
        assert_eq!(q("It was said that Kazemi failed.", &["failed"]), [true]);
        // The verbs of wire copy report too.
        assert_eq!(
            q(
                "Kazemi confirmed that the militias failed the state.",
                &["failed"]
            ),
            [true]
        );
        assert_eq!(
            q(
                "He expressed the hope that elections would restore trust.",
                &["restore"]
            ),
            [true]
        );
        // And in the present tense of a headline ("Al-Kazemi reveals that he was exposed to
        // three assassination attempts", seed 004).
        for verb in ["reveals", "announces", "acknowledges", "admits"] {
            assert_eq!(
                q(
                    &format!("Kazemi {verb} that he survived three assassination attempts."),
                    &["survived"]
                ),
                [true],
                "{verb}"
            );
        }
        assert_eq!(
            q(
                "Kazemi survived three assassination attempts.",
                &["survived"]
            ),
            [false]
        );
        // Participles after a clause, and "pointed out" (seed 004: `He also pointed out that
        // “...”, stressing his country's commitment ...`).
        for text in [
            "He met the envoy, stressing that the militias failed the state.",
            "He also pointed out that the militias failed the state.",
        ] {
            assert_eq!(q(text, &["failed"]), [true], "{text}");
        }
        assert_eq!(
            q(
                "He pointed to the map where the militias failed the state.",
                &["failed"]
            ),
            [false]
        );
    }

    #[test]
    fn without_stemming_word_forms_stay_apart_and_the_lexicon_still_matches() {
        let cfg = FeatureConfig {
            min_df: 1,
            ..Default::default()
        };
        let stemmed = featurizer(cfg.clone());
        let words = featurizer(FeatureConfig { stem: false, ..cfg });
        let text = "Al -Kazemi condemned the outlaw militias once more.";
        let n = names(&stemmed, &stemmed.transform(text));
        assert!(
            n.contains(&"condemn".to_owned()) && n.contains(&"militia".to_owned()),
            "{n:?}"
        );
        let n = names(&words, &words.transform(text));
        assert!(
            n.contains(&"condemned".to_owned()) && n.contains(&"militias".to_owned()),
            "{n:?}"
        );
        assert!(!n.contains(&"condemn".to_owned()), "{n:?}");
        // Lexicon phrases are matched on words too.
        let dn = words.dense_names().to_vec();
        let mut a = Analysis::default();
        words.analyze(text, &mut a);
        let get = |n: &str| a.dense[dn.iter().position(|x| x == n).unwrap()];
        assert!(get("lex:criticism") > 0.0 && get("lex:opposition_framing") > 0.0);
    }

    #[test]
    fn ascii_text_is_chunked_as_split_whitespace_would() {
        let f = featurizer(FeatureConfig {
            min_df: 1,
            char_ngrams: Some((3, 3)),
            char_buckets_log2: 16,
            char_chunks: true,
            ..Default::default()
        });
        // Every ASCII byte Unicode calls white space, including the vertical tab and form feed
        // that `u8::is_ascii_whitespace` leaves out; then the same text with one non-ASCII
        // character, which takes the `split_whitespace` path.
        let ascii = "  Kazemi\tSAID:\x0bthe\x0cMilitias\r\n  LOST\u{1}again  ";
        let chunks = |text: &str| {
            let mut a = Analysis::default();
            f.analyze(text, &mut a);
            a.chunks
                .iter()
                .map(|&(s, e, _, _)| a.chunk_text[s as usize..e as usize].to_owned())
                .collect::<Vec<_>>()
        };
        let got = chunks(ascii);
        assert_eq!(
            got,
            ["said:", "the", "militias", "lost\u{1}again"],
            "the mention chunk is skipped"
        );
        let unicode = format!("{ascii} \u{e9}");
        assert_eq!(chunks(&unicode)[..got.len()], got[..]);
    }

    #[test]
    fn character_ngrams_from_raw_chunks_keep_punctuation_and_skip_mentions() {
        let cfg = FeatureConfig {
            min_df: 1,
            char_ngrams: Some((3, 3)),
            char_buckets_log2: 16,
            ..Default::default()
        };
        let chunks = featurizer(FeatureConfig {
            char_chunks: true,
            ..cfg.clone()
        });
        let tokens = featurizer(cfg);
        let text = "Kazemi condemned #Militias!!";
        let grams = |f: &Featurizer| -> Vec<String> {
            let mut a = Analysis::default();
            let mut v = SparseVec::default();
            f.analyze(text, &mut a);
            f.vectorize(&mut a, &mut v);
            let c = f.layout().chars.unwrap();
            let mut out: Vec<String> = v
                .indices
                .iter()
                .filter(|&&j| j >= c && j < f.layout().dense)
                .filter_map(|&j| f.provenance(&a, j, 1).1)
                .collect();
            out.sort();
            out
        };
        let g = grams(&chunks);
        assert!(
            g.contains(&"#mi".to_owned()) && g.contains(&"s!!".to_owned()),
            "{g:?}"
        );
        assert!(
            !g.iter().any(|x| x.contains("kaz")),
            "mention chunk skipped: {g:?}"
        );
        let g = grams(&tokens);
        assert!(
            !g.iter().any(|x| x.contains('#') || x.contains('!')),
            "{g:?}"
        );
        assert!(g.contains(&" mi".to_owned()), "{g:?}");
    }

    #[test]
    fn radix_sort_sorts() {
        let mut rng = crate::train::SplitMix(7);
        let mut tmp = Vec::new();
        for n in [0usize, 1, 255, 256, 1000, 2047, 2048, 5000] {
            for span in [1u64, 256, 2047, 2048, 1 << 18, 1 << 20, u32::MAX as u64 + 1] {
                for base in [0u32, 1 << 20, (u32::MAX as u64 + 1 - span) as u32] {
                    let mut v: Vec<u32> = (0..n)
                        .map(|_| base.wrapping_add((rng.next() % span) as u32))
                        .collect();
                    let mut want = v.clone();
                    want.sort_unstable();
                    radix_sort(&mut v, &mut tmp);
                    assert_eq!(v, want, "n={n} span={span} base={base}");
                }
            }
        }
    }

    #[test]
    fn char_ngram_hashes_match_fnv_of_each_gram() {
        for word in ["kazemi", "الكاظمي", "e\u{301}te", "a"] {
            let mut grams = Vec::new();
            let (mut buf, mut offs) = (String::new(), Vec::new());
            char_ngrams(word, (2, 5), u64::MAX, &mut buf, &mut offs, |h, g| {
                grams.push((h, g.as_str().to_owned()))
            });
            let padded: Vec<char> = format!(" {word} ").chars().collect();
            let mut expect = Vec::new();
            for n in 2..=5usize {
                for s in 0..padded.len().saturating_sub(n - 1) {
                    let g: String = padded[s..s + n].iter().collect();
                    expect.push((fnv1a(g.as_bytes()) as u32, g));
                }
            }
            grams.sort();
            expect.sort();
            assert_eq!(grams, expect, "{word}");
        }
    }

    #[test]
    fn long_texts_are_cut_into_chunks_at_line_ends() {
        let short = "one two three\nfour five";
        assert_eq!(chunk_ranges(short, 0), vec![0..short.len()]);
        assert_eq!(chunk_ranges(short, 3), vec![0..short.len()]);
        let para = "w ".repeat(9) + "end.\n";
        let text = para.repeat(6) + "tail words";
        let r = chunk_ranges(&text, 20);
        // 10 words a line: two lines a chunk; the 2-word tail joins the last chunk.
        assert_eq!(r.len(), 3, "{r:?}");
        assert_eq!(r[0], 0..2 * para.len());
        assert_eq!(r.last().unwrap().end, text.len());
        for w in r.windows(2) {
            assert_eq!(w[0].end, w[1].start);
        }
        // One long line: cut at sentence ends.
        let line = "Word word word word. ".repeat(40);
        let r = chunk_ranges(&line, 20);
        assert!(r.len() >= 3, "{r:?}");
        assert!(r.iter().all(|c| line[c.clone()].trim_end().ends_with('.')));
    }

    #[test]
    fn lexicon_rates_and_target_stats() {
        let f = featurizer(FeatureConfig {
            min_df: 1,
            window: 2,
            ..Default::default()
        });
        let mut a = Analysis::default();
        f.analyze(DOCS[2], &mut a);
        let names = f.dense_names();
        let get = |n: &str| a.dense[names.iter().position(|x| x == n).unwrap()];
        // 7 units: <target> condemned the outlaw militias once more.
        assert_eq!(a.units.len(), 7);
        assert!((get("lex:opposition_framing") - 2000.0 / 7.0).abs() < 1e-3);
        assert!((get("lex:criticism") - 1000.0 / 7.0).abs() < 1e-3);
        // Window of 2 covers <target> condemned the: "outlaw militias" starts outside it.
        assert_eq!(get("lex@target:opposition_framing"), 0.0);
        assert!((get("lex@target:criticism") - 1000.0 / 3.0).abs() < 1e-3);
        assert!((get("target:per_1k") - 1000.0 / 7.0).abs() < 1e-3);
        assert_eq!(get("target:absent"), 0.0);
        assert_eq!(get("lex@quote:opposition_framing"), 0.0);
        // Quoted words count in the quote rate only, never as the writer's own voice.
        f.analyze(
            "Kazemi replied. They said \"outlaw militias\" rule.",
            &mut a,
        );
        let get = |n: &str| a.dense[names.iter().position(|x| x == n).unwrap()];
        assert_eq!(get("lex:opposition_framing"), 0.0);
        assert!(get("lex@quote:opposition_framing") > 0.0);
        f.analyze(DOCS[4], &mut a);
        assert_eq!(
            a.dense[names.iter().position(|x| x == "target:absent").unwrap()],
            1.0
        );
    }

    #[test]
    fn evidence_text_skips_weight_zero_matches_and_describes_target_stats() {
        let cfg = FeatureConfig {
            min_df: 1,
            window: 2,
            ..Default::default()
        };
        let analyzer = Analyzer::new(Residue::default(), Some(&target()), &cfg).unwrap();
        let counts = VocabCounts::count(&analyzer, &cfg, &DOCS);
        let lex = Lexicon::parse(
            "praise\twise\t1\npraise\twisdom\t1\npraise\twisdom movement\t0\n",
            Path::new("p.tsv"),
        )
        .unwrap();
        let spec = build_spec(cfg, String::new(), Some(target()), lex, &counts).unwrap();
        let f = Featurizer::from_spec(spec).unwrap();
        let text = "The Wisdom Movement backed Kazemi, a wise man of some wisdom.";
        let mut a = Analysis::default();
        f.analyze(text, &mut a);
        let col = |name: &str| {
            f.layout().dense + f.dense_names().iter().position(|n| n == name).unwrap() as u32
        };
        let praise = col("lex:praise");
        let (spans, _) = f.provenance(&a, praise, 5);
        let quoted: Vec<&str> = spans.into_iter().map(|r| &text[r]).collect();
        assert_eq!(
            quoted,
            ["wise", "wisdom"],
            "the party name counted for nothing"
        );
        assert_eq!(f.describe_target_stat(&a, praise), None);
        let words = a.units.len();
        assert_eq!(
            f.describe_target_stat(&a, col("target:per_1k")).unwrap(),
            format!(
                "1 mention in {words} words ({:.1} per 1,000)",
                1000.0 / words as f32
            )
        );
        let share = f
            .describe_target_stat(&a, col("target:window_share"))
            .unwrap();
        assert!(
            share.ends_with("% of the words within reach of a mention"),
            "{share}"
        );
        assert_eq!(f.describe_target_stat(&a, 0), None);
    }

    #[test]
    fn a_lexicon_item_quotes_distinct_phrases_heaviest_first() {
        let f = featurizer(FeatureConfig {
            min_df: 1,
            ..Default::default()
        });
        let text = "The failed plan failed. Kazemi condemned the outlaw militias. It failed again, \
                    and the outlaw militias condemned him.";
        let mut a = Analysis::default();
        f.analyze(text, &mut a);
        let j = f.layout().dense
            + f.dense_names()
                .iter()
                .position(|n| n == "lex:criticism")
                .unwrap() as u32;
        let quotes = |max: usize| -> Vec<&str> {
            f.provenance(&a, j, max)
                .0
                .into_iter()
                .map(|r| &text[r])
                .collect()
        };
        // "failed" three times and "condemned" twice: each once, in text order at equal weight.
        assert_eq!(quotes(2), ["failed", "condemned"]);
        // Up to twice `max`.
        assert_eq!(quotes(1), ["failed", "condemned"]);
        let j = f.layout().dense
            + f.dense_names()
                .iter()
                .position(|n| n == "lex:opposition_framing")
                .unwrap() as u32;
        assert_eq!(
            f.provenance(&a, j, 2)
                .0
                .into_iter()
                .map(|r| &text[r])
                .collect::<Vec<_>>(),
            ["outlaw militias"]
        );
    }

    #[test]
    fn provenance_of_many_features_matches_one_at_a_time() {
        let base = FeatureConfig {
            min_df: 1,
            window: 2,
            ngram_max: 3,
            char_ngrams: Some((2, 4)),
            char_buckets_log2: 12,
            ..Default::default()
        };
        let configs = [
            base.clone(),
            FeatureConfig {
                quote_block: true,
                char_chunks: true,
                ..base.clone()
            },
            FeatureConfig {
                ngrams_across_breaks: true,
                ..base
            },
        ];
        let mut checked = 0;
        for cfg in configs {
            let f = featurizer(cfg);
            for text in DOCS.iter().chain([
                "Al -Kazemi condemned the outlaw militias. \u{201C}The militias failed,\u{201D} Kazemi said; the martyrs.",
                // Words outside the vocabulary (units without an id) between known ones.
                "The factions zorblax condemned the militias quux Kazemi frobbed the martyrs.",
            ]
            .iter())
            {
                let mut a = Analysis::default();
                let mut v = SparseVec::default();
                f.analyze(text, &mut a);
                f.vectorize(&mut a, &mut v);
                // Every feature of the text, and the first few asked for twice.
                let ids: Vec<u32> = v.indices.iter().chain(v.indices.iter().take(3)).copied().collect();
                let many = f.provenance_many(&a, &ids, 2);
                for (&j, got) in ids.iter().zip(&many) {
                    assert_eq!(*got, f.provenance(&a, j, 2), "{text}: {}", f.feature_name(j));
                    checked += 1;
                }
            }
        }
        assert!(checked > 300, "{checked}");
    }

    #[test]
    fn quote_block_keeps_quoted_words_apart() {
        let f = featurizer(FeatureConfig {
            min_df: 1,
            quote_block: true,
            ..Default::default()
        });
        let n = names(&f, &f.transform(DOCS[5]));
        assert!(n.contains(&"quote:fail".to_owned()), "{n:?}");
        assert!(!n.contains(&"fail".to_owned()), "{n:?}");
        assert!(n.contains(&"condemn".to_owned()), "{n:?}");
    }

    #[test]
    fn negated_block_keeps_negated_words_apart() {
        let cfg = FeatureConfig {
            min_df: 1,
            negated_block: true,
            ..Default::default()
        };
        let f = featurizer(cfg.clone());
        let text = "The factions never condemned the militias. They praised the martyrs.";
        let mut a = Analysis::default();
        let mut v = SparseVec::default();
        f.analyze(text, &mut a);
        f.vectorize(&mut a, &mut v);
        let n = names(&f, &v);
        assert!(n.contains(&"not:condemn".to_owned()), "{n:?}");
        assert!(!n.contains(&"condemn".to_owned()), "{n:?}");
        // The negator's reach ends with its sentence.
        assert!(n.contains(&"prais".to_owned()), "{n:?}");
        assert!(!n.contains(&"not:prais".to_owned()), "{n:?}");
        // Its evidence points at the negated word.
        let j = feature_id(&f, &v, "not:condemn");
        let (spans, _) = f.provenance(&a, j, 3);
        assert_eq!(
            spans.iter().map(|r| &text[r.clone()]).collect::<Vec<_>>(),
            ["condemned"]
        );
        // Without the block the word counts as itself.
        let plain = featurizer(FeatureConfig {
            negated_block: false,
            ..cfg
        });
        let n = names(&plain, &plain.transform(text));
        assert!(n.contains(&"condemn".to_owned()), "{n:?}");
        assert!(!n.iter().any(|x| x.starts_with("not:")), "{n:?}");
    }

    #[test]
    fn char_ngrams_and_provenance() {
        let f = featurizer(FeatureConfig {
            min_df: 1,
            char_ngrams: Some((3, 4)),
            char_buckets_log2: 12,
            ..Default::default()
        });
        let text = DOCS[0];
        let mut a = Analysis::default();
        let mut v = SparseVec::default();
        f.analyze(text, &mut a);
        f.vectorize(&mut a, &mut v);
        let lay = f.layout().clone();
        let chars: Vec<u32> = v
            .indices
            .iter()
            .copied()
            .filter(|&j| j >= lay.chars.unwrap() && j < lay.dense)
            .collect();
        assert!(!chars.is_empty());
        let (spans, gram) = f.provenance(&a, chars[0], 3);
        assert!(gram.is_some() && !spans.is_empty());
        // Word provenance points at the original spelling.
        let j = feature_id(&f, &v, "condemn <target>");
        let (spans, _) = f.provenance(&a, j, 3);
        assert_eq!(&text[spans[0].clone()], "condemned Al-Kazemi");
    }

    #[test]
    fn word_trigrams_within_sentences_with_windows_and_provenance() {
        let cfg = FeatureConfig {
            min_df: 1,
            window: 1,
            ngram_max: 3,
            ..Default::default()
        };
        let f = featurizer(cfg.clone());
        let text = DOCS[0];
        let mut a = Analysis::default();
        let mut v = SparseVec::default();
        f.analyze(text, &mut a);
        f.vectorize(&mut a, &mut v);
        let got = names(&f, &v);
        assert!(
            got.contains(&"faction condemn <target>".to_owned()),
            "{got:?}"
        );
        assert!(
            got.contains(&"near:faction condemn <target>".to_owned()),
            "{got:?}"
        );
        // "prais the martyr" is outside every window.
        assert!(got.contains(&"prais the martyr".to_owned()), "{got:?}");
        assert!(
            !got.contains(&"near:prais the martyr".to_owned()),
            "{got:?}"
        );
        let j = feature_id(&f, &v, "faction condemn <target>");
        let (spans, _) = f.provenance(&a, j, 3);
        assert_eq!(&text[spans[0].clone()], "factions condemned Al-Kazemi");
        // No trigram spans the semicolon of DOCS[4], in the vocabulary or in a vector.
        let all: Vec<String> = (0..f.spec().terms.len() as u32)
            .map(|t| f.term_name(t))
            .collect();
        assert!(all.contains(&"about the budget".to_owned()), "{all:?}");
        assert!(
            !all.iter()
                .any(|n| n == "budget the militia" || n == "the budget the")
        );
        let n_tri = |f: &Featurizer| f.spec().terms.iter().filter(|t| t.2 != NO_UNIT).count();
        assert!(n_tri(&f) > 20);
        // Bigram models have none, and the same unigram and bigram terms in the same order.
        let f2 = featurizer(FeatureConfig {
            ngram_max: 2,
            ..cfg
        });
        assert_eq!(n_tri(&f2), 0);
        let short: Vec<_> = f.spec().terms.iter().filter(|t| t.2 == NO_UNIT).collect();
        assert_eq!(short.len(), f2.spec().terms.len());
        // Across breaks (scikit-learn's stream of words), the semicolon no longer separates.
        let f3 = featurizer(FeatureConfig {
            ngrams_across_breaks: true,
            ..cfg
        });
        let text = DOCS[4];
        f3.analyze(text, &mut a);
        f3.vectorize(&mut a, &mut v);
        let got = names(&f3, &v);
        for n in ["budget the militia", "budget the", "the budget the"] {
            assert!(got.contains(&n.to_owned()), "{n}: {got:?}");
        }
        let j = feature_id(&f3, &v, "budget the militia");
        let (spans, _) = f3.provenance(&a, j, 3);
        assert_eq!(&text[spans[0].clone()], "budget; the militias");
    }

    #[test]
    fn same_features_for_any_thread_count() {
        let f = featurizer(FeatureConfig {
            min_df: 1,
            char_ngrams: Some((2, 4)),
            char_buckets_log2: 12,
            ..Default::default()
        });
        let texts: Vec<String> = (0..200)
            .map(|i| format!("{} {}", DOCS[i % 6], DOCS[(i * 7) % 6]))
            .collect();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| f.transform_batch(&texts))
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(4));
        // Counting (vocabulary) too.
        let cfg = FeatureConfig::default();
        let analyzer = Analyzer::new(
            Residue::default(),
            Some(&target()),
            &FeatureConfig::default(),
        )
        .unwrap();
        let spec_for = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let counts = pool.install(|| VocabCounts::count(&analyzer, &cfg, &texts));
            build_spec(
                cfg.clone(),
                String::new(),
                Some(target()),
                lexicon(),
                &counts,
            )
            .unwrap()
        };
        assert_eq!(spec_for(1), spec_for(3));
    }

    #[test]
    fn without_a_target_there_is_no_window_block() {
        let cfg = FeatureConfig {
            min_df: 1,
            char_ngrams: Some((3, 4)),
            char_buckets_log2: 10,
            ..Default::default()
        };
        let with = featurizer(cfg.clone());
        let analyzer = Analyzer::new(Residue::default(), None, &cfg).unwrap();
        let counts = VocabCounts::count(&analyzer, &cfg, &DOCS);
        let spec = build_spec(cfg, String::new(), None, lexicon(), &counts).unwrap();
        let without = Featurizer::from_spec(spec).unwrap();
        let (lw, lo) = (with.layout(), without.layout());
        assert_eq!(lw.window, Some(lw.n_terms));
        assert_eq!(lo.window, None);
        // Words, then characters straight after: one block of terms fewer.
        assert_eq!(lo.chars, Some(lo.n_terms));
        assert_eq!(
            lo.n_features,
            lo.n_terms + lo.n_buckets + without.dense_names().len() as u32
        );
        // Every feature of a text falls in a block and has a name; none is "near:".
        let v = without.transform(DOCS[2]);
        assert!(!v.indices.is_empty());
        assert!(v.indices.iter().all(|&j| j < lo.n_features));
        assert!(
            v.indices
                .iter()
                .all(|&j| !without.feature_name(j).starts_with("near:"))
        );
    }

    #[test]
    fn corrupt_specs_are_refused() {
        let f = featurizer(FeatureConfig::default());
        let mut s = f.spec().clone();
        s.idf.pop();
        assert!(Featurizer::from_spec(s).is_err());
        let mut s = f.spec().clone();
        s.terms[0].0 = s.stems.len() as u32 + 5;
        assert!(Featurizer::from_spec(s).is_err());
        let mut s = f.spec().clone();
        s.dense_scale[0] = f32::NAN;
        assert!(Featurizer::from_spec(s).is_err());
    }
}
