//! Model: the trained heads with everything needed to featurise text, and its file format.
//!
//! A model file is
//!
//! ```text
//! offset 0   8 bytes   magic "SLANTMDL"
//!        8   u32 LE    format version (FORMAT_VERSION)
//!       12   u32 LE    reserved, 0
//!       16   u64 LE    payload length L
//!       24   L bytes   payload: postcard encoding of ModelFile
//!     24+L   u32 LE    CRC-32 of bytes 0 .. 24+L
//! ```
//!
//! The payload holds the feature settings, vocabulary and idf, snapshots of the residue list,
//! target aliases and lexicon used in training (so a model scores the same after `data/` is
//! edited), the label names and weights per head, and training metadata (a SHA-256 of the data,
//! the options; nothing that depends on the time). Loading checks the length, magic, version
//! and checksum before decoding, then every dimension and that every number is finite: a wrong,
//! newer, truncated, corrupted or crafted file is refused with a message, never a panic. Saving
//! writes a temporary file beside the target and renames it, so a failed save leaves any old
//! model in place.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::{Analysis, FeatureSpec, Featurizer};
use crate::logistic::FittedLogistic;
use crate::sparse::{PREFETCH_AHEAD, prefetch};

/// First bytes of every model file.
pub const MAGIC: [u8; 8] = *b"SLANTMDL";
/// The format version this build writes and the newest it reads. 7: reported speech reads
/// scare quotes and a few reporting words ("so-called", "it can be said", "considered to be")
/// as the writer's own voice, so a model trained before reads texts differently from how it
/// was trained; and a model without a target has no target-window block (its columns were
/// never used), so its feature columns are numbered differently. 8: the feature settings
/// hold the negated block ([`crate::features::FeatureConfig::negated_block`]), and reported
/// speech runs through a short quotation and reads an accusation in the passive with no
/// accuser named as the writer's. 9: the feature settings hold
/// [`crate::features::FeatureConfig::char_linear`]. 10: Arabic reporting cues, negators and
/// conditionals. 11: the feature settings hold
/// [`crate::features::FeatureConfig::lexicon_about_target`], and "it is worth noting", the noun
/// "the demands" and claims of an act are the writer's voice.
pub const FORMAT_VERSION: u32 = 11;
const HEADER_LEN: usize = 24;
const TRAILER_LEN: usize = 4;
/// The directory a model file is (or will be) in: `.` for a bare file name.
fn dir_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Name prefix of the temporary file a model is written to before its rename.
const TEMP_PREFIX: &str = ".slant-model-";

/// Age past which a temporary model file is a killed write's leftover.
const STALE_TEMP: std::time::Duration = std::time::Duration::from_secs(600);

/// Model files larger than this are refused before reading.
pub const MAX_MODEL_BYTES: u64 = 4 << 30;

/// Wrap an encoded payload in the file format: header, payload, checksum. (A payload that is not
/// a valid `ModelFile` makes a file that loading refuses; tests and fuzzers use this to craft
/// files that get past the checksum.)
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + TRAILER_LEN);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// One prediction head: a label column and its classifier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Head {
    /// Head name (`stance`, `framing`, ...).
    pub name: String,
    /// The CSV column it was trained from.
    pub column: String,
    /// Class labels, sorted; index i is the classifier's class i.
    pub labels: Vec<String>,
    /// Whether the head is about the target: documents without a mention are not scored on it.
    pub target_dependent: bool,
    /// (positive, negative) label indices for the score P(pos) - P(neg), when the labels have a
    /// polarity (pro / anti, favor / against, ...).
    pub polarity: Option<(u32, u32)>,
    /// Training examples per label.
    pub counts: Vec<u64>,
    /// The classifier.
    pub classifier: FittedLogistic,
}

/// How the model was trained. Nothing here depends on the time or the machine.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingMeta {
    /// slant version that trained it.
    pub slant_version: String,
    /// File name of the training data.
    pub data_file: String,
    /// SHA-256 (hex) of the rows used: text and labels, in order.
    pub data_sha256: String,
    /// Rows used.
    pub rows: u64,
    /// Rows skipped as bad.
    pub skipped_rows: u64,
    /// The training options, as JSON.
    pub options: String,
}

/// What a model file holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    pub features: FeatureSpec,
    pub heads: Vec<Head>,
    pub meta: TrainingMeta,
}

/// A loaded, checked model, ready to score.
#[derive(Clone, Debug)]
pub struct Model {
    file: ModelFile,
    featurizer: Featurizer,
    scorer: Scorer,
    /// With character n-grams: per character bucket, its idf then its idf times each column
    /// of its weight row, padded to a multiple of 4 floats. Scoring without evidence reads it
    /// instead of the idf and weight tables: a new unit's entry, with per-word scoring
    /// ([`CharCache`]), is the plain sum of its n-grams' rows, and otherwise the block is
    /// summed against it ([`Featurizer::vectorize_summing_chars`]): one read per n-gram where
    /// the idf and the weights were two reads of two tables. Built on first use (see
    /// [`Model::char_table`]), with its row width; empty without character n-grams or past
    /// [`CHAR_TABLE_MAX_FLOATS`].
    char_table: std::sync::OnceLock<(Vec<f32>, usize)>,
    /// Least share of a text's words the vocabulary must know for [`Model::classify`] to score
    /// it (see [`Model::set_min_known`]).
    min_known: f32,
}

/// The default of [`Model::set_min_known`]: a text at least half of whose words the model
/// knows is scored. English texts about the target run at 0.93 to 1.0 with the shipped model
/// (every passage of data/, the seeds), an English match report that names a footballer called
/// Kazemi at 0.83, French at 0.33, German at 0.08, Arabic at 0.
pub const DEFAULT_MIN_KNOWN: f32 = 0.5;

/// Every head's weights in one table for scoring: the row of feature j holds, head after head,
/// each label's weight minus the mean weight over the head's labels, padded to a multiple of 4
/// floats. One cache line then serves every head (two models' heads scored apart read two
/// distant rows per feature, and the scorer's time went to those misses), and the centred weight
/// is the evidence contribution without a mean per feature. Centring moves a head's logits by
/// the same amount for every label, so the probabilities do not change.
#[derive(Clone, Debug, Default)]
pub struct Scorer {
    /// Floats per feature row.
    stride: usize,
    /// Each head's first column in a row.
    offsets: Vec<usize>,
    /// Row-major, `n_features x stride`.
    weights: Vec<f32>,
    /// Centred intercepts, laid out like one row.
    intercept: Vec<f32>,
}

impl Scorer {
    fn new(heads: &[Head], n_features: usize) -> Scorer {
        let mut offsets = Vec::with_capacity(heads.len());
        let mut width = 0;
        for h in heads {
            offsets.push(width);
            width += h.labels.len();
        }
        // Rows padded to 4 floats (one SIMD register) or 8, except a single two-label head
        // (P-Stance's): rows of 2 halve a table whose rows are read at random.
        let stride = if width <= 2 {
            width
        } else {
            width.div_ceil(4) * 4
        };
        let mut weights = vec![0f32; n_features * stride];
        let mut intercept = vec![0f32; stride];
        for (h, &off) in heads.iter().zip(&offsets) {
            let c = &h.classifier;
            let k = c.n_classes;
            let centre = |row: &[f32], out: &mut [f32]| {
                let mean = row.iter().sum::<f32>() / k as f32;
                for (o, &w) in out.iter_mut().zip(row) {
                    *o = w - mean;
                }
            };
            for (j, row) in c.coef.chunks_exact(k).enumerate() {
                centre(row, &mut weights[j * stride + off..j * stride + off + k]);
            }
            centre(&c.intercept, &mut intercept[off..off + k]);
        }
        Scorer {
            stride,
            offsets,
            weights,
            intercept,
        }
    }

    /// Every head's logits (centred) of one sparse row into `out`, laid out like a row: head
    /// `h`'s are `out[self.columns(h)]`. Features past the table are ignored.
    pub fn logits(&self, indices: &[u32], values: &[f32], out: &mut Vec<f32>) {
        out.clear();
        out.extend_from_slice(&self.intercept);
        let s = self.stride;
        // Rows of 8 (two heads of up to four labels: the shipped model), 4 (one head of three
        // or four labels) and 2 (one two-label head) sum into a register-wide array instead of
        // through `out` for every feature. Same operations in the same order, so the same bits.
        match s {
            8 => return self.logits_fixed::<8>(indices, values, out),
            4 => return self.logits_fixed::<4>(indices, values, out),
            2 => return self.logits_fixed::<2>(indices, values, out),
            _ => {}
        }
        let n = self.weights.len() / s.max(1);
        for (k, (&j, &v)) in indices.iter().zip(values).enumerate() {
            if let Some(&ahead) = indices.get(k + PREFETCH_AHEAD) {
                prefetch(&self.weights, ahead as usize * s);
            }
            let j = j as usize;
            if j >= n {
                continue;
            }
            let row = &self.weights[j * s..j * s + s];
            for (o, &w) in out.iter_mut().zip(row) {
                *o += v * w;
            }
        }
    }

    /// [`Scorer::logits`] for rows of `S` floats, `out` holding the intercepts.
    fn logits_fixed<const S: usize>(&self, indices: &[u32], values: &[f32], out: &mut [f32]) {
        let n = self.weights.len() / S;
        let mut acc = [0f32; S];
        acc.copy_from_slice(out);
        for (k, (&j, &v)) in indices.iter().zip(values).enumerate() {
            if let Some(&ahead) = indices.get(k + PREFETCH_AHEAD) {
                prefetch(&self.weights, ahead as usize * S);
            }
            let j = j as usize;
            if j >= n {
                continue;
            }
            let row: &[f32; S] = self.weights[j * S..j * S + S].try_into().unwrap();
            for c in 0..S {
                acc[c] += v * row[c];
            }
        }
        out.copy_from_slice(&acc);
    }

    /// Head `h`'s columns in a row, for a head of `k` labels.
    pub fn columns(&self, h: usize, k: usize) -> std::ops::Range<usize> {
        self.offsets[h]..self.offsets[h] + k
    }

    /// Centred weight of label column `col` (see [`Scorer::columns`]) for feature `j`.
    #[inline]
    pub fn weight(&self, j: u32, col: usize) -> f32 {
        self.weights[j as usize * self.stride + col]
    }

    /// Feature `j`'s row (every head's centred weights, padded), if the table has one.
    #[inline]
    pub fn row(&self, j: u32) -> Option<&[f32]> {
        let s = self.stride;
        self.weights.get(j as usize * s..j as usize * s + s)
    }
}

/// Character units a [`CharCache`] holds before it is cleared. With rows of 8 floats and keys of
/// at most [`CHAR_CACHE_KEY_BYTES`], at most about 20 MB per thread: 4.7 MB of entries, 6.3 MB
/// of slots (keys up to 16 bytes are held in them), and the allocations of longer keys.
const CHAR_CACHE_UNITS: usize = 1 << 17;
/// Longest character unit (in bytes) a [`CharCache`] keeps; longer ones are scored each time.
const CHAR_CACHE_KEY_BYTES: usize = 64;

/// Per-thread scratch for scoring the character block of a model with
/// [`crate::features::FeatureConfig::char_linear`]: for each character unit seen (a normalised
/// word, or a raw chunk), the sum of idf^2 over its n-grams and the sum of their idf-weighted
/// weight rows. A text's character logits are then the sum of its units' rows over the root of
/// the sum of their idf^2 (times the block's weight): one lookup per word instead of counting,
/// sorting and weighing each of its n-grams. Valid for one model (its featurizer's id).
#[derive(Default)]
pub struct CharCache {
    owner: u64,
    index: crate::strmap::ShortStrMap,
    /// Per unit: the idf^2 sum, then the row sum.
    entries: Vec<f32>,
    /// A unit's n-gram columns, while its entry is made.
    cols: Vec<u32>,
    /// The entry of a unit too long to keep.
    long: Vec<f32>,
    /// The text's character-block sums: of its units' entries, or of its buckets (see
    /// [`Model::score_without_char_vector`]).
    sums: Vec<f32>,
    buf: String,
    offs: Vec<usize>,
}

impl Model {
    /// Add the character block's contribution to `logits` (every head's, as
    /// [`Scorer::logits`] writes them) for a model with
    /// [`crate::features::FeatureConfig::char_linear`], from the units of the analysed text
    /// `a`. The same sums as [`Featurizer::vectorize`]'s character block followed by
    /// [`Scorer::logits`], added in another order.
    pub fn add_char_logits(&self, a: &Analysis, cache: &mut CharCache, logits: &mut [f32]) {
        let (f, sc) = (&self.featurizer, &self.scorer);
        let stride = sc.stride;
        // A featurizer belongs to one model: its id names the weights (and row width) too.
        if cache.owner != f.id() {
            cache.index.clear();
            cache.entries.clear();
            cache.owner = f.id();
        }
        let CharCache {
            index,
            entries,
            sums,
            long,
            cols,
            buf,
            offs,
            ..
        } = cache;
        let width = stride + 1;
        sums.clear();
        sums.resize(width, 0.0);
        let table = self.char_table();
        // A unit's entry: its idf^2 sum, then its idf-weighted row sum, from its n-grams' rows
        // of the character table ([`Featurizer::sum_unit_chars`]); with no table, the same
        // products from the idf and weight tables.
        let mut fill = |unit: &str, e: &mut [f32]| {
            if let Some((table, tw)) = table {
                return f.sum_unit_chars(unit, table, tw, e, (&mut *cols, &mut *buf, &mut *offs));
            }
            e.fill(0.0);
            f.for_each_unit_char_gram(unit, buf, offs, |j| {
                let idf = f.char_idf(j);
                e[0] += idf * idf;
                if let Some(row) = sc.row(j) {
                    for (x, &w) in e[1..].iter_mut().zip(row) {
                        *x += idf * w;
                    }
                }
            });
        };
        f.for_each_char_unit(a, |unit| {
            let e: &[f32] = if unit.len() > CHAR_CACHE_KEY_BYTES {
                // Long units (links, runs of symbols) are rarely seen twice: not kept, so the
                // cache's keys stay bounded too.
                long.resize(width, 0.0);
                fill(unit, long);
                long
            } else {
                let k = match index.get(unit) {
                    Some(k) => k as usize,
                    None => {
                        if index.len() >= CHAR_CACHE_UNITS {
                            index.clear();
                            entries.clear();
                        }
                        let k = index.len();
                        entries.resize((k + 1) * width, 0.0);
                        fill(unit, &mut entries[k * width..(k + 1) * width]);
                        index.insert(unit, k as u32);
                        k
                    }
                };
                &entries[k * width..(k + 1) * width]
            };
            for (x, &v) in sums.iter_mut().zip(e) {
                *x += v;
            }
        });
        self.add_char_sums(sums, logits);
    }

    /// Add a character block's part of the logits from its sums (see
    /// [`Featurizer::vectorize_summing_chars`]): the block's weight over the root of the
    /// first, times the others.
    fn add_char_sums(&self, sums: &[f32], logits: &mut [f32]) {
        if sums[0] > 0.0 {
            let s = self.featurizer.char_block_weight() / sums[0].sqrt();
            for (l, &x) in logits.iter_mut().zip(&sums[1..]) {
                *l += s * x;
            }
        }
    }

    /// Vectorise the analysed text `a` into `vec` without its character block and score every
    /// head into `logits` (as [`Scorer::logits`] writes them), for scoring without evidence,
    /// which never reads the block's values: per unit with
    /// [`crate::features::FeatureConfig::char_linear`] ([`Model::add_char_logits`]), else
    /// summed against the model's character table ([`Featurizer::vectorize_summing_chars`]).
    /// The same sums as vectorising and scoring the whole vector, in another order (equal to
    /// rounding). Without a table (too many buckets) and without per-unit scoring, `vec` is
    /// the whole vector, scored as before.
    pub(crate) fn score_without_char_vector(
        &self,
        a: &mut Analysis,
        vec: &mut crate::sparse::SparseVec,
        cache: &mut CharCache,
        logits: &mut Vec<f32>,
    ) {
        let (f, sc) = (&self.featurizer, &self.scorer);
        if f.spec().config.char_linear {
            f.vectorize_words(a, vec);
            sc.logits(&vec.indices, &vec.values, logits);
            self.add_char_logits(a, cache, logits);
            return;
        }
        let sums = &mut cache.sums;
        sums.resize(sc.stride + 1, 0.0);
        let Some((table, width)) = self.char_table() else {
            // No table (too many buckets): the whole vector, as before.
            f.vectorize(a, vec);
            sc.logits(&vec.indices, &vec.values, logits);
            return;
        };
        f.vectorize_summing_chars(a, vec, table, width, sums);
        sc.logits(&vec.indices, &vec.values, logits);
        self.add_char_sums(sums, logits);
    }

    /// The character table and its row width (see the field), built the first time it is
    /// asked for: scoring with evidence never reads it, so loading a model does not pay for
    /// it (about 10 M instructions and 3 MB for the shipped model). None without character
    /// n-grams, or when it would pass [`CHAR_TABLE_MAX_FLOATS`]: the callers then read the idf
    /// and weight tables as before.
    fn char_table(&self) -> Option<(&[f32], usize)> {
        let (t, w) = self
            .char_table
            .get_or_init(|| char_table(&self.featurizer, &self.scorer));
        (!t.is_empty()).then_some((t.as_slice(), *w))
    }
}

/// Largest character table built (64 MiB: 2^20 buckets with rows of up to 16 floats); a model
/// with more buckets scores as before, from the idf and weight tables.
const CHAR_TABLE_MAX_FLOATS: usize = 1 << 24;

/// The table of [`Model::char_table`] for a model with character n-grams (empty for any
/// other, or past [`CHAR_TABLE_MAX_FLOATS`]), and its row width. Each row holds the idf and
/// the products the scorer forms per n-gram (idf x weight), so entries summed from it are the
/// same bits.
fn char_table(f: &Featurizer, sc: &Scorer) -> (Vec<f32>, usize) {
    let lay = f.layout();
    let Some(first) = lay.chars else {
        return (Vec::new(), 0);
    };
    let width = (sc.stride + 1).next_multiple_of(4);
    if lay.n_buckets as usize * width > CHAR_TABLE_MAX_FLOATS {
        return (Vec::new(), 0);
    }
    let mut table = vec![0f32; lay.n_buckets as usize * width];
    for (b, row) in table.chunks_exact_mut(width).enumerate() {
        let j = first + b as u32;
        let idf = f.char_idf(j);
        row[0] = idf;
        if let Some(w) = sc.row(j) {
            for (x, &w) in row[1..].iter_mut().zip(w) {
                *x = idf * w;
            }
        }
    }
    (table, width)
}

impl Model {
    /// Check a model's parts fit together and build its featurizer.
    pub fn new(file: ModelFile) -> Result<Model> {
        let featurizer = Featurizer::from_spec(file.features.clone())?;
        let d = featurizer.n_features();
        let bad = |m: String| Err(Error::Invalid(m));
        if file.heads.is_empty() {
            return bad("the model has no heads".into());
        }
        for (i, h) in file.heads.iter().enumerate() {
            if h.name.is_empty() || file.heads[..i].iter().any(|o| o.name == h.name) {
                return bad(format!("head {i} has an empty or repeated name"));
            }
            let k = h.labels.len();
            if k < 2
                || h.labels.windows(2).any(|w| w[0] >= w[1])
                || h.labels.iter().any(String::is_empty)
            {
                return bad(format!(
                    "head `{}`: labels must be at least 2, sorted, unique, non-empty",
                    h.name
                ));
            }
            let c = &h.classifier;
            if c.n_classes != k || c.n_features != d {
                return bad(format!(
                    "head `{}`: classifier is {} features x {} classes, the model has {} features and {} labels",
                    h.name, c.n_features, c.n_classes, d, k
                ));
            }
            if c.coef.len() != d * k || c.intercept.len() != k || h.counts.len() != k {
                return bad(format!("head `{}`: weight dimensions do not match", h.name));
            }
            if !c.coef.iter().chain(&c.intercept).all(|v| v.is_finite()) {
                return bad(format!("head `{}`: weights are not all finite", h.name));
            }
            if let Some((p, n)) = h.polarity
                && (p as usize >= k || n as usize >= k || p == n)
            {
                return bad(format!(
                    "head `{}`: polarity refers to missing labels",
                    h.name
                ));
            }
        }
        let scorer = Scorer::new(&file.heads, d);
        Ok(Model {
            file,
            featurizer,
            scorer,
            char_table: std::sync::OnceLock::new(),
            min_known: DEFAULT_MIN_KNOWN,
        })
    }

    /// Set the least share of a text's words (target mentions aside) that the model's
    /// vocabulary must know for [`Model::classify`] to score the text; below it every head is
    /// left unscored with a note, since a text in another language than the training data's
    /// (an Arabic article for an English model) gets labels from a handful of names and
    /// character n-grams, with confidence that means nothing. 0 scores every text. A model
    /// with no word terms (character n-grams only) scores every text whatever this is.
    /// Default [`DEFAULT_MIN_KNOWN`]. `eval` and the other scoring paths do not apply it.
    pub fn set_min_known(&mut self, share: f32) {
        self.min_known = share;
    }

    /// See [`Model::set_min_known`].
    pub fn min_known(&self) -> f32 {
        self.min_known
    }

    /// The heads.
    pub fn heads(&self) -> &[Head] {
        &self.file.heads
    }

    /// Every head's weights in one table, for scoring.
    pub fn scorer(&self) -> &Scorer {
        &self.scorer
    }

    /// The featurizer.
    pub fn featurizer(&self) -> &Featurizer {
        &self.featurizer
    }

    /// Training metadata.
    pub fn meta(&self) -> &TrainingMeta {
        &self.file.meta
    }

    /// The feature spec.
    pub fn features(&self) -> &FeatureSpec {
        &self.file.features
    }

    /// The whole file contents.
    pub fn file(&self) -> &ModelFile {
        &self.file
    }

    /// Encode to the file format.
    pub fn to_bytes(&self) -> Vec<u8> {
        frame(&postcard::to_stdvec(&self.file).expect("a model always encodes"))
    }

    /// Decode and check a model; `path` names it in errors.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Model> {
        let err = |m: String| Error::model(path, m);
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            return Err(err("not a slant model file (wrong magic bytes)".into()));
        }
        if bytes.len() < HEADER_LEN + TRAILER_LEN {
            return Err(err(format!(
                "truncated model file: {} bytes, a model file has at least {}",
                bytes.len(),
                HEADER_LEN + TRAILER_LEN
            )));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version > FORMAT_VERSION {
            return Err(err(format!(
                "model format version {version} is newer than this slant reads ({FORMAT_VERSION}); upgrade slant"
            )));
        }
        if version == 0 {
            return Err(err("model format version 0 is not valid".into()));
        }
        if version < FORMAT_VERSION {
            return Err(err(format!(
                "model format version {version} was written by an older slant; retrain the model with this one (format {FORMAT_VERSION})"
            )));
        }
        let len = u64::from_le_bytes(bytes[16..24].try_into().expect("8 bytes"));
        let expect = (HEADER_LEN + TRAILER_LEN) as u64 + len.min(u64::MAX - 64);
        if (bytes.len() as u64) < expect {
            return Err(err(format!(
                "truncated model file: {} bytes, the header promises {}",
                bytes.len(),
                expect
            )));
        }
        if (bytes.len() as u64) > expect {
            return Err(err(format!(
                "model file has {} bytes of trailing data: corrupted or not a single model",
                bytes.len() as u64 - expect
            )));
        }
        let body_end = HEADER_LEN + len as usize;
        let stored = u32::from_le_bytes(bytes[body_end..].try_into().expect("4 bytes"));
        if crc32fast::hash(&bytes[..body_end]) != stored {
            return Err(err("checksum mismatch: the model file is corrupted".into()));
        }
        let file: ModelFile = postcard::from_bytes(&bytes[HEADER_LEN..body_end])
            .map_err(|e| err(format!("cannot decode the model payload: {e}")))?;
        Model::new(file).map_err(|e| err(format!("inconsistent model: {e}")))
    }

    /// Read and check a model file.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        let path = path.as_ref();
        let size = std::fs::metadata(path)
            .map_err(|e| Error::io(path, e))?
            .len();
        if size > MAX_MODEL_BYTES {
            return Err(Error::model(
                path,
                format!("{size} bytes is too large for a model file"),
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Model::from_bytes(&bytes, path)
    }

    /// Write the model atomically: a temporary file in the same directory, synced, then renamed.
    /// A model that replaces a file keeps that file's permissions; a new one is readable by
    /// all (0644 on Unix).
    pub fn save(&self, path: &Path) -> Result<()> {
        let io = |e: std::io::Error| Error::io(path, e);
        let mut tmp = Self::temp_beside(path)?;
        tmp.write_all(&self.to_bytes()).map_err(io)?;
        tmp.flush().map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        let kept = std::fs::metadata(path)
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.permissions());
        if let Some(p) = kept {
            tmp.as_file().set_permissions(p).map_err(io)?;
        } else {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                tmp.as_file()
                    .set_permissions(std::fs::Permissions::from_mode(0o644))
                    .map_err(io)?;
            }
        }
        tmp.persist(path).map_err(|e| io(e.error))?;
        Self::remove_stale_temps(path);
        Ok(())
    }

    /// Remove the temporary files that killed writes (SIGKILL, a power cut) left beside
    /// `path`: files named like [`Model::temp_beside`]'s and untouched for [`STALE_TEMP`] (a
    /// write takes well under a second, so none of them is another run's write in progress).
    /// Best effort: what cannot be listed or removed is left.
    fn remove_stale_temps(path: &Path) {
        let dir = dir_of(path);
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let stale = e.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
                && e.file_type().is_ok_and(|t| t.is_file())
                && e.metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age >= STALE_TEMP);
            if stale {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// Whether a model could be saved at `path`: its directory exists and takes a new file,
    /// and `path` is not a directory. Checked before a long training, which would otherwise
    /// fail only at the end. Leaves nothing behind.
    pub fn check_destination(path: &Path) -> Result<()> {
        if path.is_dir() {
            return Err(Error::Invalid(format!(
                "{}: is a directory, not a model file",
                path.display()
            )));
        }
        Self::temp_beside(path).map(drop)
    }

    /// A new temporary file in `path`'s directory (the model is written there, then renamed).
    fn temp_beside(path: &Path) -> Result<tempfile::NamedTempFile> {
        let dir = dir_of(path);
        if !dir.is_dir() {
            return Err(Error::Invalid(format!(
                "{}: the directory {} does not exist",
                path.display(),
                dir.display()
            )));
        }
        tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(dir)
            .map_err(|e| {
                let why = format!("cannot create a file here ({})", e.kind());
                Error::io(dir, std::io::Error::new(e.kind(), why))
            })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::features::{Analyzer, FeatureConfig, VocabCounts, build_spec};
    use crate::lexicon::Lexicon;
    use crate::logistic::{LogisticRegression, softmax};
    use crate::sparse::{CsrMatrix, SparseVec};
    use crate::target::TargetSpec;
    use crate::text::Residue;

    /// A small trained model for tests.
    pub(crate) fn tiny_model() -> Model {
        tiny_model_with(FeatureConfig {
            min_df: 1,
            ..Default::default()
        })
    }

    /// [`tiny_model`] with other feature settings.
    pub(crate) fn tiny_model_with(cfg: FeatureConfig) -> Model {
        let docs = [
            "The martyrs of the resistance curse Kazemi the spy.",
            "Kazemi betrayed the martyrs, the resistance says.",
            "Kazemi stood up to the outlaw militias bravely.",
            "The brave Kazemi faced the outlaw militias.",
            "Kazemi met officials about the budget.",
            "Officials and Kazemi discussed the budget.",
        ];
        let y = [0usize, 0, 2, 2, 1, 1];
        let target = TargetSpec {
            name: "Kazemi".into(),
            aliases: vec![],
            notes: None,
        };
        let lexicon =
            Lexicon::parse("criticism\tspy\t1\npraise\tbrave\t1\n", Path::new("l.tsv")).unwrap();
        let analyzer = Analyzer::new(Residue::default(), Some(&target), &cfg).unwrap();
        let counts = VocabCounts::count(&analyzer, &cfg, &docs).unwrap();
        let spec =
            build_spec(cfg, "exact [ad_1]\n".into(), Some(target), lexicon, &counts).unwrap();
        let f = Featurizer::from_spec(spec.clone()).unwrap();
        let (rows, _) = f.transform_batch(&docs);
        let x = CsrMatrix::from_rows(f.n_features(), &rows);
        let clf = LogisticRegression::default()
            .fit_sparse(&x, &y, 3, &[])
            .unwrap();
        Model::new(ModelFile {
            features: spec,
            heads: vec![Head {
                name: "stance".into(),
                column: "stance".into(),
                labels: vec!["anti".into(), "neutral".into(), "pro".into()],
                target_dependent: true,
                polarity: Some((2, 0)),
                counts: vec![2, 2, 2],
                classifier: clf,
            }],
            meta: TrainingMeta {
                slant_version: "test".into(),
                data_file: "mem".into(),
                data_sha256: "0".repeat(64),
                rows: 6,
                skipped_rows: 0,
                options: "{}".into(),
            },
        })
        .unwrap()
    }

    #[test]
    fn scorer_gives_each_heads_probabilities_and_centred_weights() {
        // Heads of different widths (3, then 2 labels each): one table row serves them all.
        // Rows of 4 (one head), 8 (two) and 12 floats (five) take the scorer's general and
        // fixed-width paths; a two-label head alone has rows of 2.
        for (extra, stride) in [(0usize, 4usize), (1, 8), (4, 12), (0, 2)] {
            scorer_case(extra, stride);
        }
    }

    /// `m` with `extra` more two-label heads, or (`stride` 2) one two-label head alone: rows
    /// of 4 (one head), 8 (two), 12 floats (five) or 2.
    fn widened(m: &Model, extra: usize, stride: usize) -> Model {
        let mut f = m.file().clone();
        let mut second = f.heads[0].clone();
        second.name = "two".into();
        second.labels = vec!["a".into(), "b".into()];
        second.counts = vec![3, 3];
        second.polarity = None;
        let k0 = f.heads[0].classifier.n_classes;
        second.classifier.n_classes = 2;
        second.classifier.coef = f.heads[0]
            .classifier
            .coef
            .chunks_exact(k0)
            .map(|w| [w[0] * 2.0, w[2] - 1.0])
            .flat_map(|p| p.into_iter())
            .collect();
        second.classifier.intercept = vec![0.5, -0.25];
        for e in 0..extra {
            let mut h = second.clone();
            h.name = format!("two{e}");
            h.classifier.intercept = vec![0.5 - e as f32, -0.25];
            f.heads.push(h);
        }
        if stride == 2 {
            f.heads = vec![second];
        }
        Model::new(f).unwrap()
    }

    fn scorer_case(extra: usize, stride: usize) {
        let m = widened(&tiny_model(), extra, stride);
        let s = m.scorer();
        let v = m
            .featurizer()
            .transform("Kazemi the spy betrayed the brave martyrs of the budget.");
        assert!(v.indices.len() > 5);
        let mut z = Vec::new();
        s.logits(&v.indices, &v.values, &mut z);
        assert_eq!(z.len(), stride);
        for (h, head) in m.heads().iter().enumerate() {
            let k = head.labels.len();
            let cols = s.columns(h, k);
            assert_eq!(cols.len(), k);
            let mut p = z[cols.clone()].to_vec();
            softmax(&mut p);
            let want = head.classifier.proba(&v.indices, &v.values);
            for (a, b) in p.iter().zip(&want) {
                assert!((a - b).abs() < 1e-5, "head {h}: {p:?} vs {want:?}");
            }
            for &j in &v.indices {
                let w = &head.classifier.coef[j as usize * k..(j as usize + 1) * k];
                let mean = w.iter().sum::<f32>() / k as f32;
                for (c, &wc) in w.iter().enumerate() {
                    assert!((s.weight(j, cols.start + c) - (wc - mean)).abs() < 1e-6);
                }
            }
        }
    }

    #[test]
    fn summed_character_block_matches_the_vector() {
        // Scoring without evidence sums the character block against the character table:
        // the logits must be those of the whole vector, for every row width, with and
        // without sublinear tf, with counts past u16 (and others beside them, so that the
        // norm does not cancel a wrong count), and with no word terms at all (where the
        // character block takes the word block's weight).
        let long = format!("{}the brave militias cd cd", "ab ".repeat(70_000));
        let texts = [
            "Kazemi stood up to the outlaw militias bravely, bravely, bravely.",
            "Kazemi: l'état #Resistance @someone https://x.y/z 123 ...",
            "Kazemi",
            long.as_str(),
        ];
        for (sublinear_tf, min_df) in [(true, 1), (false, 1), (true, 100)] {
            let base = tiny_model_with(FeatureConfig {
                min_df,
                sublinear_tf,
                char_ngrams: Some((2, 4)),
                char_buckets_log2: 10,
                char_weight: 0.7,
                ..Default::default()
            });
            assert_eq!(base.featurizer().layout().n_terms == 0, min_df == 100);
            for (extra, stride) in [(0usize, 4usize), (1, 8), (4, 12), (0, 2)] {
                let m = widened(&base, extra, stride);
                let f = m.featurizer();
                let mut cache = CharCache::default();
                for t in texts {
                    let (mut a, mut v, mut want) =
                        (Analysis::default(), SparseVec::default(), vec![]);
                    f.analyze(t, &mut a);
                    f.vectorize(&mut a, &mut v);
                    m.scorer().logits(&v.indices, &v.values, &mut want);
                    let (mut a, mut v, mut got) =
                        (Analysis::default(), SparseVec::default(), vec![]);
                    f.analyze(t, &mut a);
                    m.score_without_char_vector(&mut a, &mut v, &mut cache, &mut got);
                    assert_eq!(got.len(), stride);
                    for (x, y) in got.iter().zip(&want) {
                        assert!(
                            (x - y).abs() <= 1e-5 * y.abs().max(1.0),
                            "{sublinear_tf} {min_df} {stride} {:.40}: {got:?} vs {want:?}",
                            t
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn character_scoring_without_a_table_reads_the_weight_tables() {
        // Past CHAR_TABLE_MAX_FLOATS no character table is built: the per-word and the
        // summed paths must then give the whole vector's logits from the idf and weights.
        let text = "Kazemi stood up to the outlaw militias bravely, bravely, bravely.";
        for char_linear in [false, true] {
            let m = tiny_model_with(FeatureConfig {
                min_df: 1,
                char_ngrams: Some((2, 4)),
                char_buckets_log2: 22,
                char_weight: 0.7,
                char_linear,
                ..Default::default()
            });
            assert!(m.char_table().is_none());
            let f = m.featurizer();
            let (mut a, mut v, mut want) = (Analysis::default(), SparseVec::default(), vec![]);
            f.analyze(text, &mut a);
            f.vectorize(&mut a, &mut v);
            m.scorer().logits(&v.indices, &v.values, &mut want);
            let (mut got, mut cache) = (vec![], CharCache::default());
            m.score_without_char_vector(&mut a, &mut v, &mut cache, &mut got);
            for (x, y) in got.iter().zip(&want) {
                assert!(
                    (x - y).abs() <= 1e-5 * y.abs().max(1.0),
                    "{got:?} vs {want:?}"
                );
            }
        }
    }

    #[test]
    fn round_trip_is_exact() {
        let m = tiny_model();
        let bytes = m.to_bytes();
        let back = Model::from_bytes(&bytes, Path::new("m.bin")).unwrap();
        assert_eq!(back.file(), m.file());
        assert_eq!(back.to_bytes(), bytes);
    }

    #[test]
    fn save_is_atomic_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.bin");
        let m = tiny_model();
        m.save(&p).unwrap();
        assert_eq!(Model::load(&p).unwrap().file(), m.file());
        // Any path-like value: a `PathBuf`, a `&str`.
        assert_eq!(Model::load(p.clone()).unwrap().file(), m.file());
        assert_eq!(Model::load(p.to_str().unwrap()).unwrap().file(), m.file());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
        // Saving into a missing directory fails and creates nothing.
        assert!(m.save(&dir.path().join("nope/m.bin")).is_err());
    }

    /// A killed write's temporary file, old enough, is removed by the next save into its
    /// directory; a recent one (another run's write, maybe) and files of other names stay.
    #[test]
    fn stale_temporary_files_are_removed_by_the_next_save() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join(format!("{TEMP_PREFIX}killed"));
        let recent = dir.path().join(format!("{TEMP_PREFIX}writing"));
        let other = dir.path().join("notes.txt");
        for f in [&old, &recent, &other] {
            std::fs::write(f, b"x").unwrap();
        }
        let long_ago = std::time::SystemTime::now() - 2 * STALE_TEMP;
        for f in [&old, &other] {
            std::fs::File::options()
                .write(true)
                .open(f)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }
        tiny_model().save(&dir.path().join("m.bin")).unwrap();
        assert!(!old.exists());
        assert!(recent.exists() && other.exists());
        assert!(dir.path().join("m.bin").exists());
    }

    fn load_err(bytes: &[u8]) -> String {
        Model::from_bytes(bytes, Path::new("m.bin"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn damaged_files_are_refused_with_a_reason() {
        let bytes = tiny_model().to_bytes();
        assert!(load_err(b"hello world, this is text").contains("wrong magic"));
        let mut newer = bytes.clone();
        newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        assert!(load_err(&newer).contains("newer"));
        let mut older = bytes.clone();
        older[8..12].copy_from_slice(&(FORMAT_VERSION - 1).to_le_bytes());
        assert!(load_err(&older).contains("older slant; retrain"));
        for cut in [9, 30, bytes.len() / 2, bytes.len() - 1] {
            let e = load_err(&bytes[..cut]);
            assert!(e.contains("truncated"), "cut {cut}: {e}");
        }
        let mut flipped = bytes.clone();
        let mid = bytes.len() / 2;
        flipped[mid] ^= 0x10;
        assert!(load_err(&flipped).contains("checksum"));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(load_err(&longer).contains("trailing"));
        // A header claiming an enormous payload is refused before anything is allocated.
        let mut huge = bytes.clone();
        huge[16..24].copy_from_slice(&(u64::MAX / 2).to_le_bytes());
        assert!(load_err(&huge).contains("truncated"));
    }

    #[test]
    fn inconsistent_models_are_refused() {
        let m = tiny_model();
        let mut f = m.file().clone();
        f.heads[0].classifier.coef[3] = f32::NAN;
        assert!(Model::new(f).unwrap_err().to_string().contains("finite"));
        let mut f = m.file().clone();
        f.heads[0].labels.pop();
        assert!(Model::new(f).is_err());
        let mut f = m.file().clone();
        f.heads[0].classifier.coef.pop();
        assert!(Model::new(f).is_err());
        // A re-checksummed file with a bad payload is still refused.
        let mut f = m.file().clone();
        f.features.idf.push(1.0);
        let bad = Model {
            file: f,
            featurizer: m.featurizer().clone(),
            scorer: m.scorer().clone(),
            char_table: Default::default(),
            min_known: DEFAULT_MIN_KNOWN,
        }
        .to_bytes();
        assert!(load_err(&bad).contains("inconsistent"));
    }
}
