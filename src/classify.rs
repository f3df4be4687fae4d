//! Classify: one document -> labels, probabilities, a score and the evidence, per head.
//!
//! A head's evidence is the features that pushed its predicted label up the most: feature value
//! times the label's weight minus the mean weight over labels (these contributions, plus the same
//! for the intercept, add up to the label's logit minus the mean logit). Each item names the
//! feature and quotes where it occurs in the original text. A head with a polarity also lists its
//! leanings: what pulls toward each pole against the other ([`Leaning`]), so a neutral reading
//! shows whether the text is balanced or flat. A head that is about the target is not
//! scored for a document that never mentions the target: the record says so instead.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::features::Analysis;
use crate::input::Document;
use crate::logistic::{argmax, softmax};
use crate::model::Model;
use crate::sparse::SparseVec;

/// One piece of evidence (read back from a record by `report --from`: the fields a record
/// leaves out read as their defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Feature name (see [`crate::features::Featurizer::feature_name`]).
    pub feature: String,
    /// Contribution to the predicted label's logit, relative to the mean over labels.
    pub contribution: f32,
    /// Where it occurs in the text (up to two quotes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub text: Vec<String>,
    /// For a target statistic, what was measured ("13 mentions in 539 words (24.1 per
    /// 1,000)"): a number, not a place in the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<String>,
    /// For a head with a polarity: the feature weighs the same for both poles (the trainer ties
    /// the target statistics and the quoted lexicon so), so it says the text takes a side, or
    /// does not, but never which side.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub either_side: bool,
    /// Every word of the feature is a common function word ("him", "but he", "in this"): it
    /// says how the text is written more than what it says (the model card's failure mode 7).
    /// The `--explain K` items of a list are K items that are not, plus those that are and rank
    /// among them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub function_words: bool,
}

/// A cue the text lacks: a lexicon rate in the writer's own voice that is zero in the text
/// and that, present, would favour another label (over every label) most (the text names
/// none of its phrases).
/// A linear model's label is as much the cues a text lacks as those it has: a report with no
/// framing vocabulary reads `neutral` for want of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Absent {
    /// The lexicon feature (`lex:CATEGORY` or `lex@target:CATEGORY`).
    pub feature: String,
    /// The label it favours over the chosen one most.
    pub favours: String,
}

/// As the table and the web page name it: `lex:criticism (for anti)`.
impl std::fmt::Display for Absent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (for {})", self.feature, self.favours)
    }
}

/// A lexicon feature is named as absent when its weight for another label passes its weight
/// for the chosen label by at least this much (in the model's units: scaled feature values).
pub const ABSENT_MIN_WEIGHT: f32 = 1.0;

/// A close second label and what argues for it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunnerUp {
    pub label: String,
    pub probability: f32,
    /// The features that pull toward this label against the chosen one: feature value times
    /// (this label's weight minus the chosen label's), largest first.
    pub evidence: Vec<Evidence>,
    /// The other side: the features that pull toward the chosen label against this one.
    pub counter_evidence: Vec<Evidence>,
}

/// For a head with a polarity (anti / pro), what in the text leans toward one pole against the
/// other. The chosen label's evidence says why that label beat the average; a neutral reading's
/// evidence is mostly the plain vocabulary of reporting, and a polar one's can lead with how much
/// the text is about the target. The leanings show the direction: a balanced analysis reads as
/// praise on one side and verdicts on the other, neither winning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Leaning {
    /// The pole leaned toward.
    pub label: String,
    /// The other pole.
    pub against: String,
    /// Feature value times (this pole's weight minus the other's), largest first; only
    /// positive contributions.
    pub evidence: Vec<Evidence>,
}

/// A contribution list (or pair of lists) a document's evidence needs.
#[derive(Clone, Copy, Debug)]
enum Request {
    /// A label column against the mean over its head's labels: one list.
    Top(usize),
    /// Two label columns weighed against each other: two lists, toward the first against the
    /// second and the reverse (the same differences, negated).
    Pair(usize, usize),
}

/// The requests of one document, and the index of each list they will fill.
#[derive(Default)]
struct Requests {
    requests: Vec<Request>,
    lists: usize,
    /// Nothing is asked for (no evidence wanted): every request answers `None`.
    off: bool,
}

impl Requests {
    /// The list of `col`'s top contributions.
    fn top(&mut self, col: usize) -> Option<usize> {
        self.ask(Request::Top(col), 1)
    }

    /// The lists toward `a` against `b`, and toward `b` against `a`.
    fn pair(&mut self, a: usize, b: usize) -> [Option<usize>; 2] {
        let first = self.ask(Request::Pair(a, b), 2);
        [first, first.map(|i| i + 1)]
    }

    fn ask(&mut self, r: Request, lists: usize) -> Option<usize> {
        if self.off {
            return None;
        }
        self.requests.push(r);
        self.lists += lists;
        Some(self.lists - lists)
    }
}

/// (contribution, feature) pairs, largest contribution first.
type Contributions = Vec<(f32, u32)>;

/// A runner-up label whose probability is within this of the chosen label's is a close call:
/// its evidence is shown too, so a reader sees both readings.
pub const CLOSE_CALL: f32 = 0.15;

/// Evidence lists asked for per head: its top contributions, for and against the runner-up on
/// a close call, and toward each pole of a head with a polarity.
const SLOTS: usize = 5;

/// A sentence that moves a head's reading: the part of the scores that its own words carry.
/// Each feature's contribution to the scores (its value times its weights, as in the
/// evidence) is shared among the places in the text it comes from (a word or n-gram once per
/// occurrence, a lexicon rate by the weight of each match), and a sentence gets the shares of
/// the places it holds. So a sentence with no cue of its own moves nothing, however long it
/// is: leaving a sentence out (occlusion, used before 2026-11-27) also changed the length
/// that the rates and norms divide by, and long cue-free sentences were listed as pulling
/// toward `neutral`. The target statistics (how densely the text names him) belong to no one
/// sentence and are left out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KeySentence {
    /// The label it pushes toward.
    pub toward: String,
    /// The log-odds of `toward` that its words carry (natural log; 0.69 doubles the odds): to
    /// first order, what the label would lose if their contributions were taken away.
    pub effect: f32,
    /// Its byte range in the text.
    pub start: usize,
    pub end: usize,
    /// The sentence, on one line (shortened past [`SENTENCE_CHARS`] characters).
    pub text: String,
    /// Most of its words are inside quotation marks or reported speech: the model reads them
    /// apart from the writer's own words, but they still move it.
    pub quoted: bool,
    /// For a stance head of a model with a target: whether the sentence is about the target
    /// (it names him, or follows a sentence about him and says he / his / him; see
    /// [`crate::features::FeatureConfig::lexicon_about_target`]). A stance is the writer's
    /// verdict on him, so a sentence about someone else that moves it is worth a second look.
    /// Absent for other heads and models without a target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub about_target: Option<bool>,
}

/// The note of a head not scored because the text has no words besides the target's name.
pub const NO_WORDS_NOTE: &str = "no words to read besides the target's name; not scored";

/// Sentences whose effect is smaller than this (in log-odds) are not listed.
pub const MIN_SENTENCE_EFFECT: f32 = 0.05;

/// Longest sentence quote, in characters.
pub const SENTENCE_CHARS: usize = 600;

/// Marks on a text for showing it ([`Model::text_marks`]): byte ranges of the target's
/// mentions, and of the lines the model does not read (web residue: "Read also" teasers, share
/// and subscribe lines; see `data/residue.txt`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TextMarks {
    pub mentions: Vec<std::ops::Range<usize>>,
    pub unread: Vec<std::ops::Range<usize>>,
}

/// The result of one head.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct HeadResult {
    pub head: String,
    /// Predicted label; `None` when the head was not scored.
    pub label: Option<String>,
    /// Probability of the predicted label.
    pub confidence: Option<f32>,
    pub probabilities: Option<BTreeMap<String, f32>>,
    /// P(positive) - P(negative), in [-1, 1], for heads with a polarity.
    pub score: Option<f32>,
    pub evidence: Vec<Evidence>,
    /// The second label, when it is a close call (see [`CLOSE_CALL`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_up: Option<RunnerUp>,
    /// For a head with a polarity: what leans toward the positive pole against the negative,
    /// then the reverse; an empty list when the head was not scored or no evidence was asked
    /// for (`--explain 0`). `None` (no key in JSON) for a head without a polarity, as the CSV
    /// has `HEAD_leans_POLE` columns for a head with one only: the key is there or not by the
    /// model, never by the document or the options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leanings: Option<Vec<Leaning>>,
    /// When asked for: the sentences that most support the chosen label (see
    /// [`Model::key_sentences`]), strongest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sentences: Vec<KeySentence>,
    /// And those that most push away from it, each toward the label it favours.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sentences_against: Vec<KeySentence>,
    /// For each other label (in label order), the lexicon cue in the writer's own voice that
    /// would favour it most and that the text lacks (see [`Absent`]); with evidence only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub absent: Vec<Absent>,
    /// Why the head was not scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl HeadResult {
    /// The leanings ([`HeadResult::leanings`]), none for a head without a polarity.
    pub fn leanings(&self) -> &[Leaning] {
        self.leanings.as_deref().unwrap_or_default()
    }
}

/// The result for one document.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Record {
    pub id: String,
    pub source: Option<String>,
    /// When the document was published, when its input says ([`Document::date`]).
    pub date: Option<crate::date::Date>,
    /// Target mentions found (0 for a model without a target).
    pub mentions: usize,
    /// Tokens after the residue filter.
    pub tokens: usize,
    /// Share of the text's words (target mentions aside) in the model's vocabulary; `None` for
    /// a model without word terms; 0 for a text with no words besides mentions of the target.
    /// Below [`Model::min_known`] no head is scored.
    pub known_words: Option<f32>,
    pub heads: Vec<HeadResult>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Per-thread scratch space for classification.
#[derive(Default)]
pub struct Scratch {
    analysis: Analysis,
    vec: SparseVec,
    /// Every head's logits (see [`crate::model::Scorer::logits`]), and one head's probabilities
    /// for a chunk.
    logits: Vec<f32>,
    chunk_probs: Vec<f32>,
    /// Per head: the text's probabilities and whether the head was scored ([`Model::text_proba`]).
    probs: Vec<Vec<f32>>,
    scored: Vec<bool>,
    /// Per head: weighted sums over chunks, and their weights.
    sum: Vec<Vec<f64>>,
    weight: Vec<f64>,
    /// Character units' rows, for a model that scores its character block per unit.
    chars: crate::model::CharCache,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// Run `f` with this thread's scratch space. A batch classified in parallel with rayon's
/// `map_init` made a fresh [`Scratch`] for every piece of work rayon split off, and with it a
/// zeroed feature accumulator of a few MB (page faults and memset were 2% of classify); a
/// thread's own scratch is made once. (Not re-entrant: `f` must not call it again.)
pub fn with_thread_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with_borrow_mut(f)
}

fn round4(x: f32) -> f32 {
    (x * 10_000.0).round() / 10_000.0
}

/// Shorten a quote to at most `max` characters, on one line.
fn quote(s: &str, max: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let mut t: String = one_line.chars().take(max - 1).collect();
        t.push('\u{2026}');
        t
    }
}

impl Model {
    /// Head `h`'s probabilities from every head's logits (see [`crate::model::Scorer::logits`]).
    fn head_proba(&self, h: usize, logits: &[f32], out: &mut Vec<f32>) {
        let k = self.heads()[h].labels.len();
        out.clear();
        out.extend_from_slice(&logits[self.scorer().columns(h, k)]);
        softmax(out);
    }

    /// Probabilities of every head for `text`, read whole or in chunks (see
    /// [`crate::features::FeatureConfig::chunk_words`]), into `s.probs`; `s.scored[h]` is false
    /// for a head about the target that no chunk mentions. Returns the mention count and
    /// whether the text was chunked. Leaves `s.analysis` and `s.vec` holding the last chunk;
    /// `whole`: an unchunked text's `s.vec` holds every block (see [`Model::score_analysis`]).
    fn text_proba(&self, text: &str, s: &mut Scratch, whole: bool) -> (usize, bool) {
        let f = self.featurizer();
        let heads = self.heads();
        s.probs.resize_with(heads.len(), Vec::new);
        s.scored.resize(heads.len(), false);
        let words = f.spec().config.chunk_words;
        let ranges = (words > 0)
            .then(|| crate::features::chunk_ranges(text, words))
            .filter(|r| r.len() > 1);
        let Some(ranges) = ranges else {
            // One piece (the usual case): the probabilities are the text's own.
            f.analyze(text, &mut s.analysis);
            self.score_analysis(s, whole);
            let m = s.analysis.mention_count();
            for (h, head) in heads.iter().enumerate() {
                s.scored[h] = !(head.target_dependent && m == 0 && f.has_target());
                if s.scored[h] {
                    self.head_proba(h, &s.logits, &mut s.probs[h]);
                }
            }
            return (m, false);
        };
        s.sum.resize_with(heads.len(), Vec::new);
        s.weight.clear();
        s.weight.resize(heads.len(), 0.0);
        for (acc, head) in s.sum.iter_mut().zip(heads) {
            acc.clear();
            acc.resize(head.labels.len(), 0.0);
        }
        let mut mentions = 0;
        for r in ranges {
            // Evidence is read from the whole text (see `classify`), not from the chunks: they
            // may score their character block per unit, or summed.
            f.analyze(&text[r], &mut s.analysis);
            self.score_analysis(s, false);
            let m = s.analysis.mention_count();
            mentions += m;
            let w = s.analysis.tokens.len().max(1) as f64;
            for (h, head) in heads.iter().enumerate() {
                if head.target_dependent && m == 0 && f.has_target() {
                    continue;
                }
                self.head_proba(h, &s.logits, &mut s.chunk_probs);
                for (acc, &p) in s.sum[h].iter_mut().zip(&s.chunk_probs) {
                    *acc += w * p as f64;
                }
                s.weight[h] += w;
            }
        }
        for h in 0..heads.len() {
            let w = s.weight[h];
            s.scored[h] = w > 0.0;
            s.probs[h].clear();
            s.probs[h].extend(s.sum[h].iter().map(|x| (x / w) as f32));
        }
        (mentions, true)
    }

    /// Vectorise `s.analysis` into `s.vec` and score every head into `s.logits`. The character
    /// block is left out of `s.vec` and scored without it
    /// ([`Model::score_without_char_vector`]) unless `whole` asks for the whole vector, as
    /// evidence does; the probabilities agree to rounding.
    fn score_analysis(&self, s: &mut Scratch, whole: bool) {
        let f = self.featurizer();
        if f.layout().chars.is_some() && !whole {
            let (a, v, l) = (&mut s.analysis, &mut s.vec, &mut s.logits);
            self.score_without_char_vector(a, v, &mut s.chars, l);
        } else {
            f.vectorize(&mut s.analysis, &mut s.vec);
            self.scorer()
                .logits(&s.vec.indices, &s.vec.values, &mut s.logits);
        }
    }

    /// Classify a text on its own (no id, no source), with this thread's scratch space: the
    /// labels, probabilities and up to `explain` evidence items per head, as
    /// [`Model::classify`] gives them. For a library user with a string in hand.
    ///
    /// ```no_run
    /// let model = slant::model::Model::load("models/stance.bin")?;
    /// let r = model.classify_text("Al-Kazemi met the French foreign minister on Tuesday.", 3);
    /// println!("{:?}", r.heads[0].label);
    /// # Ok::<(), slant::Error>(())
    /// ```
    pub fn classify_text(&self, text: &str, explain: usize) -> Record {
        let doc = Document {
            id: String::new(),
            source: None,
            text: text.to_owned(),
            warnings: Vec::new(),
            label: None,
            date: None,
        };
        with_thread_scratch(|s| self.classify(&doc, explain, s))
    }

    /// Classify one text: labels, probabilities and up to `explain` evidence items per head.
    /// Evidence comes from the whole text's features.
    pub fn classify(&self, doc: &Document, explain: usize, s: &mut Scratch) -> Record {
        let f = self.featurizer();
        // Evidence reads every feature's contribution from the whole vector: scored from it
        // at once rather than vectorised twice. (Without evidence, `s.vec` is read again only
        // for a head that no chunk scored, and a chunked text is vectorised whole below.)
        let (_, chunked) = self.text_proba(&doc.text, s, explain > 0);
        if chunked {
            // Evidence, mentions and token counts come from the whole text.
            f.analyze(&doc.text, &mut s.analysis);
            f.vectorize(&mut s.analysis, &mut s.vec);
        }
        let mentions = s.analysis.mention_count();
        // The share is rounded as it is printed, so that the record's figure and the decision
        // agree. A text with no words (besides the target's name) knows none.
        let known = f.known_words(&s.analysis).map(|(k, w)| {
            (
                k,
                w,
                if w == 0 {
                    0.0
                } else {
                    round4(k as f32 / w as f32)
                },
            )
        });
        let unknown_note = known.and_then(|(k, w, share)| {
            (share < self.min_known()).then(|| {
                if w == 0 {
                    NO_WORDS_NOTE.to_string()
                } else {
                    format!("the model knows {k} of its {w} words: another language?; not scored")
                }
            })
        });
        let mut heads = Vec::with_capacity(self.heads().len());
        // Per head (in `heads` order), the contribution lists its evidence needs, as requests:
        // its top contributions, on a close call those for and against the runner-up, and for a
        // head with a polarity those leaning toward each pole (`None` when not scored or not
        // asked). All are found after the loop, and all their quotes in one pass over the text.
        let mut ask = Requests {
            off: explain == 0,
            ..Default::default()
        };
        let mut slots: Vec<[Option<usize>; SLOTS]> = Vec::new();
        for (h, head) in self.heads().iter().enumerate() {
            let unscored = if let Some(note) = &unknown_note {
                Some(note.clone())
            } else if head.target_dependent && mentions == 0 {
                Some("target not mentioned; not scored".to_string())
            } else {
                None
            };
            if let Some(note) = unscored {
                heads.push(HeadResult {
                    head: head.name.clone(),
                    label: None,
                    confidence: None,
                    probabilities: None,
                    score: None,
                    evidence: Vec::new(),
                    runner_up: None,
                    leanings: head.polarity.map(|_| Vec::new()),
                    sentences: Vec::new(),
                    sentences_against: Vec::new(),
                    absent: Vec::new(),
                    note: Some(note),
                });
                slots.push(Default::default());
                continue;
            }
            // A mention split across two chunks: read the head on the whole text.
            if !s.scored[h] {
                self.scorer()
                    .logits(&s.vec.indices, &s.vec.values, &mut s.logits);
                self.head_proba(h, &s.logits, &mut s.probs[h]);
            }
            let p = &s.probs[h];
            let c = argmax(p);
            let score = head
                .polarity
                .map(|(pos, neg)| round4(p[pos as usize] - p[neg as usize]));
            let first_col = self.scorer().columns(h, head.labels.len()).start;
            let top = ask.top(first_col + c);
            // The second most probable label (the lower index among equals), on a close call.
            let runner = (explain > 0 && p.len() > 1)
                .then(|| {
                    let mut rest = p.clone();
                    rest[c] = f32::NEG_INFINITY;
                    argmax(&rest)
                })
                .filter(|&r| p[c] - p[r] <= CLOSE_CALL);
            let (runner_up, [pull, counter]) = match runner {
                Some(r) => (
                    Some(RunnerUp {
                        label: head.labels[r].clone(),
                        probability: round4(p[r]),
                        evidence: Vec::new(),
                        counter_evidence: Vec::new(),
                    }),
                    ask.pair(first_col + r, first_col + c),
                ),
                None => (None, Default::default()),
            };
            let (leanings, [toward_pos, toward_neg]) = match head.polarity {
                Some((pos, neg)) if explain > 0 => {
                    let (pos, neg) = (pos as usize, neg as usize);
                    let leaning = |to: usize, from: usize| Leaning {
                        label: head.labels[to].clone(),
                        against: head.labels[from].clone(),
                        evidence: Vec::new(),
                    };
                    (
                        Some(vec![leaning(pos, neg), leaning(neg, pos)]),
                        ask.pair(first_col + pos, first_col + neg),
                    )
                }
                polarity => (polarity.map(|_| Vec::new()), Default::default()),
            };
            slots.push([top, pull, counter, toward_pos, toward_neg]);
            heads.push(HeadResult {
                head: head.name.clone(),
                label: Some(head.labels[c].clone()),
                confidence: Some(round4(p[c])),
                probabilities: Some(
                    head.labels
                        .iter()
                        .cloned()
                        .zip(p.iter().map(|&x| round4(x)))
                        .collect(),
                ),
                score,
                evidence: Vec::new(),
                runner_up,
                leanings,
                sentences: Vec::new(),
                sentences_against: Vec::new(),
                absent: if explain > 0 {
                    self.absent_cues(h, c, &s.vec)
                } else {
                    Vec::new()
                },
                note: None,
            });
        }
        // Every head's evidence, found in the text in one pass.
        if explain > 0 {
            // Twice as many candidates, so that each list can hold `explain` items that are
            // not function words (see [`Evidence::function_words`]).
            let mut found = self.top_contributions(&ask, &s.vec, 2 * explain);
            let f = self.featurizer();
            for list in &mut found {
                let mut content = 0;
                let mut keep = 0;
                for &(_, j) in list.iter() {
                    if content == explain {
                        break;
                    }
                    keep += 1;
                    if !f.is_function_term(j) {
                        content += 1;
                    }
                }
                list.truncate(keep);
            }
            let lists: Vec<&[(f32, u32)]> = slots
                .iter()
                .flatten()
                .map(|slot| slot.map_or(&[][..], |i| &found[i][..]))
                .collect();
            let mut items = self.evidence_items(&lists, &s.analysis, &doc.text);
            // Mark the items of a head with a polarity that weigh the same for both poles.
            let scorer = self.scorer();
            let per_head = lists.chunks(SLOTS).zip(items.chunks_mut(SLOTS));
            for (h, (head, (lists, items))) in self.heads().iter().zip(per_head).enumerate() {
                let Some((pos, neg)) = head.polarity else {
                    continue;
                };
                let first = scorer.columns(h, head.labels.len()).start;
                let (pos, neg) = (first + pos as usize, first + neg as usize);
                for (list, items) in lists.iter().zip(items) {
                    for (&(_, j), e) in list.iter().zip(items.iter_mut()) {
                        e.either_side = scorer.weight(j, pos) == scorer.weight(j, neg);
                    }
                }
            }
            let mut items = items.into_iter();
            for head in &mut heads {
                head.evidence = items.next().unwrap_or_default();
                let (pull, counter) = (items.next(), items.next());
                if let Some(ru) = head.runner_up.as_mut() {
                    ru.evidence = pull.unwrap_or_default();
                    ru.counter_evidence = counter.unwrap_or_default();
                }
                let (toward_pos, toward_neg) = (items.next(), items.next());
                if let Some([pos, neg]) = head.leanings.as_deref_mut() {
                    pos.evidence = toward_pos.unwrap_or_default();
                    neg.evidence = toward_neg.unwrap_or_default();
                }
            }
        }
        Record {
            id: doc.id.clone(),
            source: doc.source.clone(),
            date: doc.date,
            mentions,
            tokens: s.analysis.tokens.len(),
            known_words: known.map(|(_, _, share)| share),
            heads,
            warnings: doc.warnings.clone(),
        }
    }

    /// The cues head `h` would read for each label other than `c` that the text `v` lacks:
    /// per label, of the lexicon rates in the writer's own voice (`lex:` or `lex@target:`) that
    /// favour it over every other label, the one whose weight for it passes its weight for `c`
    /// the most, if by [`ABSENT_MIN_WEIGHT`] and if its value in the text is zero.
    fn absent_cues(&self, h: usize, c: usize, v: &SparseVec) -> Vec<Absent> {
        let f = self.featurizer();
        let scorer = self.scorer();
        let head = &self.heads()[h];
        let cols = scorer.columns(h, head.labels.len());
        let dense = f.layout().dense;
        let own: Vec<(u32, &str)> = f
            .dense_names()
            .iter()
            .enumerate()
            .filter(|(_, n)| n.starts_with("lex:") || n.starts_with("lex@target:"))
            .map(|(d, n)| (dense + d as u32, n.as_str()))
            .collect();
        // A vector's indices are sorted.
        let present = |j: u32| {
            v.indices
                .binary_search(&j)
                .is_ok_and(|p| v.values[p] != 0.0)
        };
        let mut out = Vec::new();
        for l in (0..head.labels.len()).filter(|&l| l != c) {
            let lean = |j: u32| scorer.weight(j, cols.start + l) - scorer.weight(j, cols.start + c);
            // A cue of `l`: of all the head's labels, it favours `l` most.
            let of_l = |j: u32| {
                (0..head.labels.len())
                    .all(|m| scorer.weight(j, cols.start + m) <= scorer.weight(j, cols.start + l))
            };
            let best = own
                .iter()
                .filter(|&&(j, _)| scorer.row(j).is_some() && of_l(j))
                .max_by(|a, b| lean(a.0).total_cmp(&lean(b.0)));
            if let Some(&(j, name)) = best
                && lean(j) >= ABSENT_MIN_WEIGHT
                && !present(j)
            {
                out.push(Absent {
                    feature: name.to_owned(),
                    favours: head.labels[l].clone(),
                });
            }
        }
        out
    }

    /// The lists the requests ask for: the `k` features that push a column up the most, as
    /// (contribution, feature), largest first, against the mean over labels ([`Request::Top`])
    /// or against another column (value times the difference of the two weights,
    /// [`Request::Pair`]); a pair's difference is computed once for both of its lists.
    fn top_contributions(&self, ask: &Requests, v: &SparseVec, k: usize) -> Vec<Contributions> {
        let scorer = self.scorer();
        let mut lists: Vec<Contributions> = vec![Vec::with_capacity(k + 1); ask.lists];
        if k == 0 {
            return lists;
        }
        // The bar to enter a list: 0 while it holds fewer than k, then its k-th best. One
        // comparison, nearly always false after the first features, so the branch predicts
        // well (testing the sign first mispredicted on about half of the features).
        let mut bars = vec![0.0f32; ask.lists];
        // Kept sorted while streaming over the features (larger first; among equals the lower
        // feature id, which comes first): no list of every feature is built (that, then
        // sorting it, cost a quarter of classify).
        let offer = |list: &mut Contributions, bar: &mut f32, x: f32, j: u32| {
            if x <= *bar {
                return;
            }
            let at = list.partition_point(|&(y, _)| y >= x);
            list.insert(at, (x, j));
            list.truncate(k);
            if list.len() == k {
                *bar = list[k - 1].0;
            }
        };
        // One tight loop per request over the document's features (a loop over the requests
        // inside the loop over features dispatched on the request kind for every feature and
        // took three times the instructions); the rows stay in cache after the first.
        let mut l = 0;
        for r in &ask.requests {
            match *r {
                Request::Top(col) => {
                    let (list, bar) = (&mut lists[l], &mut bars[l]);
                    for (j, x) in v.iter() {
                        offer(list, bar, x * scorer.weight(j, col), j);
                    }
                    l += 1;
                }
                Request::Pair(a, b) => {
                    let (first, second) = lists[l..].split_at_mut(1);
                    let (bar_a, bar_b) = bars[l..].split_at_mut(1);
                    let (list_a, list_b) = (&mut first[0], &mut second[0]);
                    let (bar_a, bar_b) = (&mut bar_a[0], &mut bar_b[0]);
                    for (j, x) in v.iter() {
                        let d = x * (scorer.weight(j, a) - scorer.weight(j, b));
                        offer(list_a, bar_a, d, j);
                        offer(list_b, bar_b, -d, j);
                    }
                    l += 2;
                }
            }
        }
        lists
    }

    /// Evidence items for lists of (contribution, feature): names, and where each occurs in
    /// the text, found for all the lists' features in one pass over the text.
    fn evidence_items(
        &self,
        lists: &[&[(f32, u32)]],
        a: &Analysis,
        text: &str,
    ) -> Vec<Vec<Evidence>> {
        let f = self.featurizer();
        let ids: Vec<u32> = lists
            .iter()
            .flat_map(|l| l.iter().map(|&(_, j)| j))
            .collect();
        let mut found = f.provenance_many(a, &ids, 2).into_iter();
        lists
            .iter()
            .map(|l| {
                l.iter()
                    .map(|&(x, j)| {
                        let (spans, gram) = found.next().unwrap_or_default();
                        let mut name = f.feature_name(j);
                        if let Some(g) = gram {
                            // The padding spaces stay: ' said' (a word start) and 'said ' (a
                            // word end) are different features and must not read as one shown
                            // twice.
                            name = format!("chars:'{g}'");
                        }
                        let measured = f.describe_target_stat(a, j);
                        let text = match measured {
                            Some(_) => Vec::new(),
                            // The same words twice ("said" "said") tell the reader
                            // nothing more: a quote is kept only if it reads differently.
                            None => {
                                let mut quotes: Vec<String> = Vec::new();
                                for r in spans {
                                    let q = quote(&text[r], 60);
                                    if !quotes.iter().any(|p| p.to_lowercase() == q.to_lowercase())
                                    {
                                        quotes.push(q);
                                    }
                                }
                                quotes
                            }
                        };
                        Evidence {
                            function_words: f.is_function_term(j),
                            feature: name,
                            contribution: round4(x),
                            text,
                            measured,
                            either_side: false,
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// Every head's probabilities for `text`, each head scored whether or not the target is
    /// mentioned, and the number of mentions.
    fn all_proba(&self, text: &str, s: &mut Scratch) -> (Vec<Vec<f32>>, usize) {
        let f = self.featurizer();
        let (mentions, chunked) = self.text_proba(text, s, false);
        if s.scored.contains(&false) {
            if chunked {
                // A head no chunk scored: read it on the whole text (unchunked, `s.logits`
                // are already the whole text's).
                f.analyze(text, &mut s.analysis);
                self.score_analysis(s, false);
            }
            for h in 0..self.heads().len() {
                if !s.scored[h] {
                    self.head_proba(h, &s.logits, &mut s.probs[h]);
                }
            }
        }
        (s.probs.clone(), mentions)
    }

    /// Fill in each scored head's key sentences of `r` (the record [`Model::classify`] made
    /// of `text`): the `k` sentences whose words carry the most log-odds toward the chosen
    /// label, and the `k` whose words carry the most toward another label, each with the
    /// label they favour most (see [`KeySentence`]). One reading of the text, whatever its
    /// length. Sentences come from [`crate::text::sentence_spans`]; a text of one sentence has
    /// none to show. For a pole of a head with a polarity (a stance, which is the writer's own
    /// voice), the writer's own `k` strongest sentences come first, then the quoted ones among
    /// the `k` strongest of all.
    pub fn key_sentences(&self, text: &str, r: &mut Record, k: usize, s: &mut Scratch) {
        if k == 0 {
            return;
        }
        let spans = crate::text::sentence_spans(text);
        if spans.len() < 2 {
            return;
        }
        let (base, _) = self.all_proba(text, s);
        let f = self.featurizer();
        f.analyze(text, &mut s.analysis);
        f.vectorize(&mut s.analysis, &mut s.vec);
        let (a, v) = (&s.analysis, &s.vec);
        // The sentence a byte of the text belongs to, if any.
        let sentence_of = |at: usize| {
            let i = spans.partition_point(|sp| sp.end <= at);
            (i < spans.len() && spans[i].start <= at).then_some(i)
        };
        // Per sentence, whether most of its units are quoted, and (with a target) whether any
        // is in a sentence about him: one pass over the units.
        let units_about = f.units_about_target(a);
        let mut units_quoted = vec![(0usize, 0usize); spans.len()];
        let mut about = vec![false; spans.len()];
        for (u, (&(start, _), &flags)) in a.unit_span.iter().zip(&a.unit_flags).enumerate() {
            if let Some(i) = sentence_of(start as usize) {
                units_quoted[i].0 += 1;
                units_quoted[i].1 += (flags & crate::text::QUOTED != 0) as usize;
                about[i] |= units_about.as_ref().is_some_and(|x| x[u]);
            }
        }
        let quoted: Vec<bool> = units_quoted.iter().map(|&(n, q)| 2 * q > n).collect();
        let about = units_about.map(|_| about);
        let heads = self.heads();
        let chosen: Vec<Option<usize>> = r
            .heads
            .iter()
            .zip(heads)
            .map(|(hr, head)| {
                let l = hr.label.as_ref()?;
                head.labels.iter().position(|x| x == l)
            })
            .collect();
        let scorer = self.scorer();
        let cols: Vec<std::ops::Range<usize>> = heads
            .iter()
            .enumerate()
            .map(|(h, head)| scorer.columns(h, head.labels.len()))
            .collect();
        let width = cols.iter().map(|c| c.end).max().unwrap_or(0);
        // Per sentence and score column: the part of the logit its places carry.
        let mut carried = vec![0f64; spans.len() * width];
        let occ = f.occurrences(a, &v.indices);
        for (k, (&j, &x)) in v.indices.iter().zip(&v.values).enumerate() {
            let places = occ.of(k);
            let total: f32 = places.iter().map(|p| p.1).sum();
            let Some(row) = scorer.row(j).filter(|_| total.abs() > 1e-12) else {
                continue;
            };
            for &(start, w) in places {
                // A place between sentences (a residue line, say) belongs to none.
                let Some(i) = sentence_of(start) else {
                    continue;
                };
                let share = (x * w / total) as f64;
                for (c, &wc) in row[..width].iter().enumerate() {
                    carried[i * width + c] += share * wc as f64;
                }
            }
        }
        // Per head: (effect on the chosen label's log-odds, label pushed toward, sentence).
        let mut found: Vec<Vec<(f64, usize, usize)>> = vec![Vec::new(); heads.len()];
        for (h, c) in chosen.iter().enumerate() {
            let Some(c) = *c else { continue };
            let p = &base[h];
            let pc = (p[c] as f64).clamp(1e-7, 1.0 - 1e-7);
            for i in 0..spans.len() {
                let d = &carried[i * width..][cols[h].clone()];
                // The gradient of log(p_c / (1 - p_c)) in the logits is 1 for c and
                // -p_l / (1 - p_c) for every other label l.
                let others: f64 = (0..d.len())
                    .filter(|&l| l != c)
                    .map(|l| p[l] as f64 / (1.0 - pc) * d[l])
                    .sum();
                let effect = d[c] - others;
                let toward = if effect >= 0.0 {
                    c
                } else {
                    (0..d.len())
                        .filter(|&l| l != c)
                        .max_by(|&x, &y| d[x].total_cmp(&d[y]))
                        .unwrap_or(c)
                };
                found[h].push((effect, toward, i));
            }
        }
        for (h, (hr, mut list)) in r.heads.iter_mut().zip(found).enumerate() {
            let labels = &heads[h].labels;
            let about = about.as_ref().filter(|_| heads[h].polarity.is_some());
            let make = |&(e, toward, i): &(f64, usize, usize)| KeySentence {
                toward: labels[toward].clone(),
                effect: round4(e.abs() as f32),
                start: spans[i].start,
                end: spans[i].end,
                text: quote(&text[spans[i].clone()], SENTENCE_CHARS),
                quoted: quoted[i],
                about_target: about.map(|a| a[i]),
            };
            // Strongest first; among equals, the earlier sentence.
            list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.2.cmp(&b.2)));
            let min = MIN_SENTENCE_EFFECT as f64;
            let top = list.iter().filter(|x| x.0 >= min).take(k);
            // A pole of a head with a polarity is a stance in the writer's own voice
            // (data/LABELING.md): the writer's `k` strongest sentences lead, and the quoted
            // ones among the `k` strongest of all follow them, so none of those is left out.
            let pole = heads[h]
                .polarity
                .zip(chosen[h])
                .is_some_and(|((p, n), c)| c == p as usize || c == n as usize);
            hr.sentences = if pole {
                let own = list.iter().filter(|x| x.0 >= min && !quoted[x.2]).take(k);
                own.chain(top.filter(|x| quoted[x.2])).map(make).collect()
            } else {
                top.map(make).collect()
            };
            list.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.2.cmp(&b.2)));
            hr.sentences_against = list
                .iter()
                .filter(|x| -x.0 >= min)
                .take(k)
                .map(make)
                .collect();
        }
    }

    /// Where in `text` the target is named, and which lines the model does not read (see
    /// [`TextMarks`]).
    pub fn text_marks(&self, text: &str, s: &mut Scratch) -> TextMarks {
        self.featurizer().analyze(text, &mut s.analysis);
        let a = &s.analysis;
        let toks = a.tokens.as_slice();
        let mentions = a
            .mentions
            .iter()
            .map(|m| toks[m.first].start as usize..toks[m.end - 1].end as usize)
            .collect();
        // A line with letters or digits and no token: the residue filter dropped it.
        let mut unread = Vec::new();
        let mut next = toks.iter().map(|t| t.start as usize).peekable();
        let mut at = 0;
        for line in text.split_inclusive('\n') {
            let end = at + line.len();
            while next.peek().is_some_and(|&t| t < at) {
                next.next();
            }
            let has_token = next.peek().is_some_and(|&t| t < end);
            if !has_token && line.chars().any(char::is_alphanumeric) {
                unread.push(at..at + line.trim_end().len());
            }
            at = end;
        }
        TextMarks { mentions, unread }
    }

    /// Probabilities per head for many texts (for evaluation): `out[h][i]`.
    /// Every head is scored, mentioned or not; the second value counts texts without a mention.
    pub fn predict_texts<S: AsRef<str> + Sync>(&self, texts: &[S]) -> (Vec<Vec<Vec<f32>>>, usize) {
        let per_doc: Vec<(Vec<Vec<f32>>, usize)> = texts
            .par_iter()
            .map(|t| with_thread_scratch(|s| self.all_proba(t.as_ref(), s)))
            .collect();
        let unmentioned = per_doc.iter().filter(|(_, m)| *m == 0).count();
        let mut out = vec![Vec::with_capacity(texts.len()); self.heads().len()];
        for (probs, _) in per_doc {
            for (h, p) in probs.into_iter().enumerate() {
                out[h].push(p);
            }
        }
        (out, unmentioned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::tiny_model;

    fn doc(text: &str) -> Document {
        Document {
            id: "d".into(),
            source: Some("S".into()),
            text: text.into(),
            warnings: vec![],
            label: None,
            date: None,
        }
    }

    /// A text with no words besides the target's name, and one the model knows too little of,
    /// are left unscored with a note saying which; a least share of 0 scores both.
    #[test]
    fn texts_with_too_few_known_words_are_not_scored() {
        let mut m = tiny_model();
        let mut s = Scratch::default();
        for (text, note) in [
            ("", "no words"),
            ("Kazemi!", "no words"),
            ("Kazemi zzyzx qwv plorf glim.", "knows 0 of its 4 words"),
        ] {
            let r = m.classify(&doc(text), 3, &mut s);
            assert_eq!(r.known_words, Some(0.0), "{text:?}");
            for h in &r.heads {
                assert!(h.label.is_none() && h.probabilities.is_none(), "{text:?}");
                assert!(h.note.as_deref().unwrap().contains(note), "{text:?}: {h:?}");
            }
        }
        let r = m.classify(&doc("Kazemi the spy zzyzx qwv plorf."), 3, &mut s);
        assert!(r.known_words.unwrap() < 0.5 && r.heads[0].label.is_none());
        m.set_min_known(0.0);
        for text in ["Kazemi!", "Kazemi zzyzx qwv plorf glim."] {
            let r = m.classify(&doc(text), 3, &mut s);
            assert!(r.heads.iter().all(|h| h.label.is_some()), "{text:?}");
        }
        let r = m.classify(
            &doc("The brave Kazemi faced the outlaw militias."),
            3,
            &mut s,
        );
        assert_eq!(r.known_words, Some(1.0));
    }

    #[test]
    fn classifies_with_probabilities_score_and_evidence() {
        let m = tiny_model();
        let mut s = Scratch::default();
        let r = m.classify(
            &doc("The resistance calls Kazemi a spy who betrayed the martyrs."),
            3,
            &mut s,
        );
        assert_eq!(r.mentions, 1);
        let h = &r.heads[0];
        assert_eq!(h.label.as_deref(), Some("anti"));
        let p = h.probabilities.as_ref().unwrap();
        assert!((p.values().sum::<f32>() - 1.0).abs() < 1e-3);
        let score = h.score.unwrap();
        assert!((score - (p["pro"] - p["anti"])).abs() < 1e-3 && score < 0.0);
        assert!(!h.evidence.is_empty() && h.evidence.len() <= 3);
        assert!(
            h.evidence
                .windows(2)
                .all(|w| w[0].contribution >= w[1].contribution)
        );
        assert!(h.evidence.iter().any(|e| !e.text.is_empty()));
        let pro = m.classify(&doc("Kazemi bravely faced the outlaw militias."), 0, &mut s);
        assert_eq!(pro.heads[0].label.as_deref(), Some("pro"));
        assert!(pro.heads[0].evidence.is_empty());
    }

    #[test]
    fn leanings_show_what_pulls_toward_each_pole() {
        let m = tiny_model();
        let mut s = Scratch::default();
        // Praise and attack in one text: each side's cues lean its own way.
        let text = "The brave Kazemi faced the outlaw militias. The resistance calls Kazemi a spy.";
        let r = m.classify(&doc(text), 3, &mut s);
        let h = &r.heads[0];
        let poles: Vec<(&str, &str)> = h
            .leanings()
            .iter()
            .map(|l| (l.label.as_str(), l.against.as_str()))
            .collect();
        assert_eq!(poles, [("pro", "anti"), ("anti", "pro")]);
        let quotes = |l: &Leaning| -> String {
            l.evidence
                .iter()
                .flat_map(|e| e.text.iter())
                .map(|q| q.to_lowercase())
                .collect::<Vec<_>>()
                .join(" | ")
        };
        let (pro, anti) = (&h.leanings()[0], &h.leanings()[1]);
        // The tiny model's cues: "brave" and "outlaw militias" for pro; "spy" and "resistance"
        // for anti.
        let has = |q: String, cues: &[&str]| cues.iter().any(|c| q.contains(c));
        let (pro_cues, anti_cues) = (["brave", "outlaw", "milit"], ["spy", "resist"]);
        assert!(has(quotes(pro), &pro_cues), "{pro:?}");
        assert!(has(quotes(anti), &anti_cues), "{anti:?}");
        assert!(!has(quotes(pro), &anti_cues), "{pro:?}");
        assert!(!has(quotes(anti), &pro_cues), "{anti:?}");
        for l in h.leanings() {
            assert!(!l.evidence.is_empty() && l.evidence.len() <= 3);
            assert!(l.evidence.iter().all(|e| e.contribution > 0.0), "{l:?}");
            assert!(
                l.evidence
                    .windows(2)
                    .all(|w| w[0].contribution >= w[1].contribution)
            );
        }
        // A feature leans one way only.
        assert!(
            pro.evidence
                .iter()
                .all(|e| anti.evidence.iter().all(|a| a.feature != e.feature))
        );
        // No evidence asked for: an empty list (the key stays in JSON); a head without a
        // polarity: none (no key, as the CSV has no column).
        assert_eq!(
            m.classify(&doc(text), 0, &mut s).heads[0].leanings,
            Some(vec![])
        );
        let mut f = m.file().clone();
        f.heads[0].polarity = None;
        let plain = Model::new(f).unwrap();
        assert_eq!(
            plain.classify(&doc(text), 3, &mut s).heads[0].leanings,
            None
        );
    }

    #[test]
    fn close_calls_show_the_runner_up_and_what_argues_for_it() {
        let m = tiny_model();
        let mut s = Scratch::default();
        let mut close = 0;
        for text in [
            "The resistance calls Kazemi a spy who betrayed the martyrs.",
            "Kazemi bravely faced the outlaw militias.",
            "Kazemi met officials.",
            // Anti and pro cues mixed: close calls (anti 0.51 / pro 0.49, 0.49 / 0.51, 0.43 /
            // 0.57 with this model), and one that is not (0.37 / 0.63).
            "The martyrs of the resistance curse Kazemi the spy. Kazemi betrayed the martyrs, \
             the resistance says. Kazemi the spy faced the outlaw militias bravely.",
            "The martyrs of the resistance curse Kazemi the spy. The spy Kazemi betrayed the \
             martyrs. The brave Kazemi faced the outlaw militias.",
            "The martyrs of the resistance curse Kazemi the spy. Kazemi betrayed the martyrs, \
             the resistance says. The martyrs curse Kazemi. The brave Kazemi faced militias.",
            "The martyrs of the resistance curse Kazemi the spy. Kazemi betrayed the martyrs, \
             the resistance says. Kazemi faced the outlaw militias bravely.",
        ] {
            let r = m.classify(&doc(text), 3, &mut s);
            let h = &r.heads[0];
            let p = h.probabilities.as_ref().unwrap();
            let top = p[h.label.as_deref().unwrap()];
            let (second_label, second) = p
                .iter()
                .filter(|(l, _)| Some(l.as_str()) != h.label.as_deref())
                .map(|(l, &v)| (l.clone(), v))
                .fold(
                    (String::new(), -1.0f32),
                    |b, x| if x.1 > b.1 { x } else { b },
                );
            match &h.runner_up {
                Some(ru) => {
                    close += 1;
                    assert!(top - second <= CLOSE_CALL + 1e-4, "{text}: {p:?}");
                    assert_eq!(ru.label, second_label, "{text}");
                    assert!((ru.probability - second).abs() < 1e-4);
                    // Each item pulls toward the runner-up against the chosen label (or, in
                    // the counter-evidence, the other way), and the quotes include that
                    // label's cue words.
                    let cues = |label: &str| -> &[&str] {
                        match label {
                            "pro" => &["brave"],
                            "anti" => &["spy", "martyr", "betray", "curse"],
                            _ => &[],
                        }
                    };
                    let chosen = h.label.as_deref().unwrap();
                    for (list, label) in [
                        (&ru.evidence, ru.label.as_str()),
                        (&ru.counter_evidence, chosen),
                    ] {
                        assert!(list.iter().all(|e| e.contribution > 0.0), "{ru:?}");
                        assert!(
                            list.iter()
                                .any(|e| e.text.iter().any(|q| cues(label)
                                    .iter()
                                    .any(|c| q.to_lowercase().contains(c)))),
                            "{text}: {label}: {list:?}"
                        );
                    }
                    assert!(
                        ru.evidence
                            .windows(2)
                            .all(|w| w[0].contribution >= w[1].contribution)
                    );
                }
                None => assert!(top - second > CLOSE_CALL - 1e-4, "{text}: {p:?}"),
            }
            // No evidence asked for: no runner-up either.
            assert!(
                m.classify(&doc(text), 0, &mut s).heads[0]
                    .runner_up
                    .is_none()
            );
        }
        assert!(
            close > 0,
            "no close call among the texts: the test needs one"
        );
    }

    #[test]
    fn character_blocks_scored_without_the_vector_match_it() {
        use crate::features::{Analysis, FeatureConfig};
        use crate::sparse::SparseVec;
        let texts = [
            "The martyrs of the resistance curse Kazemi the spy.",
            "Kazemi stood up to the outlaw militias bravely, bravely, bravely.",
            "Kazemi: l'état, the Ümlaut militias #Resistance @someone https://x.y/z 123",
            "An unseen text: zygote quixotic Kazemi jazz, jazz and more jazz.",
            // A unit longer than the cache keeps (64 bytes), twice.
            "Kazemi shared https://example.org/a/very/long/link/that/goes/on/and/on/and/on/page \
             and https://example.org/a/very/long/link/that/goes/on/and/on/and/on/page again.",
            "Kazemi",
        ];
        let cfg = |chunks| FeatureConfig {
            min_df: 1,
            char_ngrams: Some((2, 4)),
            char_buckets_log2: 10,
            char_weight: 0.7,
            char_linear: true,
            char_chunks: chunks,
            ..Default::default()
        };
        let (words, chunks) = (
            crate::model::tests::tiny_model_with(cfg(false)),
            crate::model::tests::tiny_model_with(cfg(true)),
        );
        // The usual scoring (1 + ln tf under the L2 norm), its character block summed against
        // the model's character table when no evidence is asked for.
        let (usual, usual_chunks) = (
            crate::model::tests::tiny_model_with(FeatureConfig {
                char_linear: false,
                ..cfg(false)
            }),
            crate::model::tests::tiny_model_with(FeatureConfig {
                char_linear: false,
                ..cfg(true)
            }),
        );
        // One scratch for every model, each twice: the unit cache is per model and reused.
        let mut s = Scratch::default();
        for _ in 0..2 {
            for m in [&words, &chunks, &usual, &usual_chunks] {
                let f = m.featurizer();
                let c = f.layout().chars.unwrap();
                let chars = c..c + f.layout().n_buckets;
                let mut moved_texts = 0;
                for t in texts {
                    f.analyze(t, &mut s.analysis);
                    m.score_analysis(&mut s, false);
                    // Scored per unit, or summed: the vector lacks the character block.
                    assert!(!s.vec.indices.iter().any(|j| chars.contains(j)));
                    let (mut a, mut v, mut full) =
                        (Analysis::default(), SparseVec::default(), Vec::new());
                    f.analyze(t, &mut a);
                    f.vectorize(&mut a, &mut v);
                    assert!(v.indices.iter().any(|j| chars.contains(j)) || t == "Kazemi");
                    m.scorer().logits(&v.indices, &v.values, &mut full);
                    for (x, y) in s.logits.iter().zip(&full) {
                        assert!((x - y).abs() < 1e-5, "{t}: {:?} vs {full:?}", s.logits);
                    }
                    let mut words_only = Vec::new();
                    m.scorer()
                        .logits(&s.vec.indices, &s.vec.values, &mut words_only);
                    let moved = words_only
                        .iter()
                        .zip(&full)
                        .map(|(x, y)| (x - y).abs())
                        .fold(0f32, f32::max);
                    moved_texts += (moved > 1e-3) as usize;
                }
                // The character block is not a negligible part of those logits (the text with
                // no character unit aside; scored the usual way, the long link's weigh little).
                let aside = if f.spec().config.char_linear { 1 } else { 2 };
                assert!(moved_texts + aside >= texts.len(), "{moved_texts}");
            }
        }
        // classify: the same probabilities with and without evidence, and the evidence names
        // the character n-grams (read from the full vector); read whole, and in chunks (each
        // chunk scored per unit, the evidence from the whole text).
        let chunked = crate::model::tests::tiny_model_with(FeatureConfig {
            chunk_words: 6,
            ..cfg(false)
        });
        for (m, text) in [
            (&words, texts[1].to_owned()),
            (&chunked, texts[..4].join("\n")),
            (&usual, texts[1].to_owned()),
        ] {
            let d = doc(&text);
            let quiet = m.classify(&d, 0, &mut s);
            let told = m.classify(&d, 20, &mut s);
            let (p, q) = (
                quiet.heads[0].probabilities.as_ref().unwrap(),
                told.heads[0].probabilities.as_ref().unwrap(),
            );
            assert!(
                p.values()
                    .zip(q.values())
                    .all(|(a, b)| (a - b).abs() <= 1e-4)
            );
            assert!(
                told.heads[0]
                    .evidence
                    .iter()
                    .chain(told.heads[0].leanings().iter().flat_map(|l| &l.evidence))
                    .any(|e| e.feature.starts_with("chars:"))
            );
        }
    }

    #[test]
    fn no_mention_means_not_scored() {
        let m = tiny_model();
        let r = m.classify(
            &doc("Officials discussed the budget."),
            3,
            &mut Scratch::default(),
        );
        assert_eq!(r.mentions, 0);
        assert_eq!(r.heads[0].label, None);
        assert!(
            r.heads[0]
                .note
                .as_deref()
                .unwrap()
                .contains("not mentioned")
        );
        let (p, unmentioned) =
            m.predict_texts(&["Officials discussed the budget.", "Kazemi the spy"]);
        assert_eq!(unmentioned, 1);
        assert_eq!(p[0].len(), 2);
    }

    #[test]
    fn quotes_are_short_and_single_line() {
        assert_eq!(quote("a\n  b", 10), "a b");
        assert_eq!(quote("abcdefghijkl", 5).chars().count(), 5);
    }
}
