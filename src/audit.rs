//! Lexicon audit: how each lexicon entry is used in a labelled corpus.
//!
//! A curated lexicon is only as good as its fit to real text. For every entry this counts the
//! documents where it occurs in the writer's own voice and inside quotations, and how the
//! own-voice documents split over each head's labels, with the lift of each label
//! (P(label | entry) / P(label)). An entry that never occurs, or whose documents lean the
//! opposite way from its category, is a candidate for rewording, reweighting or removal.
//! `slant lexicon` prints the table.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::error::Result;
use crate::features::{Analysis, Analyzer, FeatureConfig, NO_UNIT, TARGET_UNIT};
use crate::lexicon::{Lexicon, LexiconMatcher, PhraseUnit};
use crate::text::{QUOTED, Residue};
use crate::train::{Corpus, Resources};

/// Usage of one lexicon entry in a corpus.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EntryUse {
    pub category: String,
    pub phrase: String,
    pub weight: f32,
    /// Documents where the entry occurs at least once outside quotations.
    pub own_docs: u32,
    /// Documents where it occurs only inside quotations.
    pub quoted_only_docs: u32,
    /// Per head, per label: own-voice documents with that label.
    pub by_label: Vec<Vec<u32>>,
}

impl EntryUse {
    /// Lift of label `l` of head `h`: its share among this entry's own-voice documents over its
    /// share in the whole corpus (1 = no association). `None` without own-voice documents.
    pub fn lift(
        &self,
        h: usize,
        l: usize,
        label_totals: &[Vec<u32>],
        n_docs: usize,
    ) -> Option<f64> {
        if self.own_docs == 0 || label_totals[h][l] == 0 {
            return None;
        }
        let p = self.by_label[h][l] as f64 / self.own_docs as f64;
        let base = label_totals[h][l] as f64 / n_docs as f64;
        Some(p / base)
    }
}

/// Count, for every entry of `res.lexicon`, its use in `corpus`.
pub fn audit_lexicon(corpus: &Corpus, res: &Resources) -> Result<Vec<EntryUse>> {
    let residue = if res.residue.is_empty() {
        Residue::default()
    } else {
        Residue::parse(&res.residue, std::path::Path::new("residue"))?
    };
    // No target windows: the audit counts own-voice and quoted uses only.
    let cfg = FeatureConfig {
        window: 0,
        ..FeatureConfig::default()
    };
    let analyzer = Analyzer::new(residue, res.target.as_ref(), &cfg)?;
    let lex: &Lexicon = &res.lexicon;
    // Stem ids for every stem any phrase uses; other words map to NO_UNIT.
    let mut ids: FxHashMap<String, u32> = FxHashMap::default();
    let units: Vec<Vec<PhraseUnit>> = lex.entries.iter().map(|e| e.units()).collect();
    for u in units.iter().flatten() {
        if let PhraseUnit::Stem(s) = u {
            let n = ids.len() as u32;
            ids.entry(s.clone()).or_insert(n);
        }
    }
    // One matcher per entry, so overlapping entries are each counted.
    let matchers: Vec<LexiconMatcher> = lex
        .entries
        .iter()
        .map(|e| {
            let one = Lexicon {
                entries: vec![e.clone()],
            };
            LexiconMatcher::new(&one, std::slice::from_ref(&e.category), true, |u| match u {
                PhraseUnit::Target => TARGET_UNIT,
                PhraseUnit::Stem(s) => ids.get(s.as_str()).copied().unwrap_or(NO_UNIT),
            })
        })
        .collect();
    // Per document: for each entry, 0 = absent, 1 = quoted only, 2 = own voice.
    let per_doc: Vec<Vec<u8>> = corpus
        .texts
        .par_iter()
        .map_init(Analysis::default, |a, text| {
            analyzer.analyze(text, a, |s| ids.get(s).copied().unwrap_or(NO_UNIT));
            matchers
                .iter()
                .map(|m| {
                    let mut state = 0u8;
                    m.find(
                        &a.units,
                        NO_UNIT,
                        |_| false,
                        |hit| {
                            let quoted = a.unit_flags[hit.start] & QUOTED != 0;
                            state = state.max(if quoted { 1 } else { 2 });
                        },
                    );
                    state
                })
                .collect()
        })
        .collect();
    let mut out: Vec<EntryUse> = lex
        .entries
        .iter()
        .map(|e| EntryUse {
            category: e.category.clone(),
            phrase: e.phrase.clone(),
            weight: e.weight,
            own_docs: 0,
            quoted_only_docs: 0,
            by_label: corpus.classes.iter().map(|c| vec![0; c.len()]).collect(),
        })
        .collect();
    for (i, doc) in per_doc.iter().enumerate() {
        for (k, &state) in doc.iter().enumerate() {
            match state {
                1 => out[k].quoted_only_docs += 1,
                2 => {
                    out[k].own_docs += 1;
                    for (h, labels) in corpus.labels.iter().enumerate() {
                        out[k].by_label[h][labels[i]] += 1;
                    }
                }
                _ => {}
            }
        }
    }
    Ok(out)
}

/// Documents per label of each head.
pub fn label_totals(corpus: &Corpus) -> Vec<Vec<u32>> {
    corpus
        .classes
        .iter()
        .zip(&corpus.labels)
        .map(|(c, labels)| {
            let mut t = vec![0u32; c.len()];
            for &l in labels {
                t[l] += 1;
            }
            t
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::LexiconEntry;
    use crate::train::HeadSpec;

    #[test]
    fn counts_own_voice_and_quoted_uses_by_label() {
        let texts: Vec<String> = [
            "The outlaw militias attacked again.",
            "He said \"outlaw militias\" were to blame.",
            "A calm day in Baghdad.",
            "Outlaw militias and outlaw militias.",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let labels: Vec<Vec<String>> = ["opp", "neu", "neu", "opp"]
            .iter()
            .map(|s| vec![s.to_string()])
            .collect();
        let heads = vec![HeadSpec {
            name: "framing".into(),
            column: "framing".into(),
            target_dependent: false,
        }];
        let corpus = Corpus::new(texts, heads, &labels).unwrap();
        let res = Resources {
            residue: String::new(),
            target: None,
            lexicon: Lexicon {
                entries: vec![
                    LexiconEntry {
                        category: "opposition_framing".into(),
                        phrase: "outlaw militias".into(),
                        weight: 2.0,
                    },
                    LexiconEntry {
                        category: "praise".into(),
                        phrase: "heroic".into(),
                        weight: 1.0,
                    },
                ],
            },
        };
        let u = audit_lexicon(&corpus, &res).unwrap();
        assert_eq!(u[0].own_docs, 2);
        assert_eq!(u[0].quoted_only_docs, 1);
        // classes sorted: neu, opp
        assert_eq!(u[0].by_label[0], vec![0, 2]);
        let totals = label_totals(&corpus);
        assert_eq!(u[0].lift(0, 1, &totals, 4), Some(2.0));
        assert_eq!(u[1].own_docs, 0);
        assert_eq!(u[1].lift(0, 0, &totals, 4), None);
    }
}
