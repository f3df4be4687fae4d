//! Training-time counting: the vocabulary, document frequencies and the [`FeatureSpec`] a
//! model saves ([`build_spec`]).

use super::analysis::{Analysis, Analyzer};
use super::chars::for_each_char_gram;
use super::{
    FeatureConfig, FeatureSpec, NO_UNIT, TARGET_LABEL, TARGET_UNIT, dense_names, pair_key,
};
use crate::error::Result;
use crate::lexicon::{Lexicon, PhraseUnit};
use crate::target::TargetSpec;
use crate::text::BREAK;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

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
    /// `cfg` is checked first ([`FeatureConfig::validate`]): its character bucket count sizes a
    /// table, so a setting out of range is an error before any text is read.
    pub fn count<S: AsRef<str> + Sync>(
        analyzer: &Analyzer,
        cfg: &FeatureConfig,
        texts: &[S],
    ) -> Result<VocabCounts> {
        cfg.validate()?;
        Ok(texts
            .par_iter()
            .fold(
                || (VocabCounts::default(), Analysis::default()),
                |(mut c, mut a), t| {
                    c.add_doc(analyzer, cfg, t.as_ref(), &mut a);
                    (c, a)
                },
            )
            .map(|(c, _)| c)
            .reduce(VocabCounts::default, VocabCounts::merge))
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
