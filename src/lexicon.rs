//! Lexicon: curated terms and phrases by category, matched on stems.
//!
//! The lexicon is data: tab-separated files in `data/lexicon/` with the columns
//! `category<TAB>term or phrase<TAB>weight`. Phrases are tokenised and stemmed like articles, so
//! "martyrs", "martyred" and "martyr" meet, and `{target}` in a phrase stands for a mention of the
//! target ("{target} failed"). Matching is longest-phrase-first, without overlaps. Each category
//! yields a rate (sum of weights per 1,000 tokens) over the whole document and inside the target
//! windows; [`crate::features`] turns those into features. A trained model keeps its own copy.

use std::path::Path;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stem::with_thread_cache;
use crate::text::tokenize_str;

/// The placeholder for a target mention inside a lexicon phrase.
pub const TARGET_PLACEHOLDER: &str = "{target}";

/// One lexicon line.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LexiconEntry {
    pub category: String,
    pub phrase: String,
    pub weight: f32,
}

/// A whole lexicon.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Lexicon {
    pub entries: Vec<LexiconEntry>,
}

/// One unit of a phrase after stemming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PhraseUnit {
    Target,
    Stem(String),
}

impl LexiconEntry {
    /// The phrase as a sequence of stems and target placeholders.
    pub fn units(&self) -> Vec<PhraseUnit> {
        self.units_as(true)
    }

    /// The phrase as a sequence of stems (or, with `stem` false, normalised words, for models
    /// trained without stemming) and target placeholders.
    pub fn units_as(&self, stem: bool) -> Vec<PhraseUnit> {
        let mut out = Vec::new();
        with_thread_cache(|cache| {
            for word in self.phrase.split_whitespace() {
                if word.eq_ignore_ascii_case(TARGET_PLACEHOLDER) {
                    out.push(PhraseUnit::Target);
                    continue;
                }
                let toks = tokenize_str(word);
                for n in toks.norms() {
                    let u = if stem { cache.stem(n) } else { n };
                    out.push(PhraseUnit::Stem(u.to_owned()));
                }
            }
        });
        out
    }
}

impl Lexicon {
    /// Parse one lexicon file; `path` names it in errors.
    pub fn parse(src: &str, path: &Path) -> Result<Lexicon> {
        let mut entries = Vec::new();
        for (i, raw) in src.lines().enumerate() {
            let line_no = i as u64 + 1;
            let line = raw.trim_end_matches('\r');
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
            if cols.len() != 3 {
                return Err(Error::parse(
                    path,
                    line_no,
                    format!(
                        "expected 3 tab-separated columns (category, phrase, weight), found {}",
                        cols.len()
                    ),
                ));
            }
            let (category, phrase, weight) = (cols[0], cols[1], cols[2]);
            if category.is_empty()
                || !category
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                return Err(Error::parse(
                    path,
                    line_no,
                    format!("bad category `{category}` (use letters, digits, _)"),
                ));
            }
            let weight: f32 = weight
                .parse()
                .ok()
                .filter(|w: &f32| w.is_finite())
                .ok_or_else(|| {
                    Error::parse(
                        path,
                        line_no,
                        format!("weight `{weight}` is not a finite number"),
                    )
                })?;
            let entry = LexiconEntry {
                category: category.to_owned(),
                phrase: phrase.to_owned(),
                weight,
            };
            if entry.units().iter().all(|u| *u == PhraseUnit::Target) {
                return Err(Error::parse(
                    path,
                    line_no,
                    format!("phrase `{phrase}` has no words"),
                ));
            }
            entries.push(entry);
        }
        Ok(Lexicon { entries })
    }

    /// Load every `*.tsv` file in `dir`, in file-name order.
    pub fn load_dir(dir: &Path) -> Result<Lexicon> {
        let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        let mut files: Vec<_> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(Error::Invalid(format!(
                "{}: no *.tsv lexicon files",
                dir.display()
            )));
        }
        let mut all = Lexicon::default();
        for f in files {
            let src = std::fs::read_to_string(&f).map_err(|e| Error::io(&f, e))?;
            all.entries.extend(Lexicon::parse(&src, &f)?.entries);
        }
        Ok(all)
    }

    /// The categories, sorted.
    pub fn categories(&self) -> Vec<String> {
        let mut c: Vec<String> = self.entries.iter().map(|e| e.category.clone()).collect();
        c.sort();
        c.dedup();
        c
    }
}

/// A match: units `start..start+len`, its category index and weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LexMatch {
    pub start: usize,
    pub len: usize,
    pub category: u16,
    pub weight: f32,
}

/// A lexicon phrase after its first unit: the remaining unit ids, its category and its weight.
type Phrase = (Box<[u32]>, u16, f32);

/// Phrase matcher over a document's unit ids (see [`crate::features`]).
#[derive(Clone, Debug, Default)]
pub struct LexiconMatcher {
    by_first: FxHashMap<u32, Vec<Phrase>>,
}

impl LexiconMatcher {
    /// Build from `lexicon`: `unit_id` maps a phrase unit to the id the document stream uses,
    /// and `categories` is the sorted category list (indices into it are reported); `stem` says
    /// whether the document stream is stemmed.
    pub fn new(
        lexicon: &Lexicon,
        categories: &[String],
        stem: bool,
        mut unit_id: impl FnMut(&PhraseUnit) -> u32,
    ) -> Self {
        let mut by_first: FxHashMap<u32, Vec<Phrase>> = FxHashMap::default();
        for e in &lexicon.entries {
            let ids: Vec<u32> = e.units_as(stem).iter().map(&mut unit_id).collect();
            let Some(cat) = categories.iter().position(|c| *c == e.category) else {
                continue;
            };
            by_first
                .entry(ids[0])
                .or_default()
                .push((ids[1..].into(), cat as u16, e.weight));
        }
        for v in by_first.values_mut() {
            // Longest first; ties in a fixed order so matching is deterministic.
            v.sort_by(|a, b| {
                b.0.len()
                    .cmp(&a.0.len())
                    .then_with(|| a.0.cmp(&b.0))
                    .then(a.1.cmp(&b.1))
            });
            v.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        }
        LexiconMatcher { by_first }
    }

    /// Whether the matcher has no phrases.
    pub fn is_empty(&self) -> bool {
        self.by_first.is_empty()
    }

    /// Report every match in `units` (ids, with `none` for units outside the dictionary) to `f`.
    /// A phrase never spans a unit for which `blocked` is true (a sentence break before it).
    pub fn find(
        &self,
        units: &[u32],
        none: u32,
        blocked: impl Fn(usize) -> bool,
        mut f: impl FnMut(LexMatch),
    ) {
        if self.by_first.is_empty() {
            return;
        }
        let n = units.len();
        let mut i = 0;
        while i < n {
            let mut step = 1;
            if units[i] != none
                && let Some(cands) = self.by_first.get(&units[i])
            {
                for (rest, cat, w) in cands {
                    let fits = i + rest.len() < n
                        && rest
                            .iter()
                            .enumerate()
                            .all(|(k, id)| units[i + 1 + k] == *id && !blocked(i + 1 + k));
                    if rest.is_empty() || fits {
                        f(LexMatch {
                            start: i,
                            len: 1 + rest.len(),
                            category: *cat,
                            weight: *w,
                        });
                        step = 1 + rest.len();
                        // Several categories may list the same phrase: report each.
                        for (rest2, cat2, w2) in cands {
                            if rest2 == rest && cat2 != cat {
                                f(LexMatch {
                                    start: i,
                                    len: step,
                                    category: *cat2,
                                    weight: *w2,
                                });
                            }
                        }
                        break;
                    }
                }
            }
            i += step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_bad_lines() {
        let lx = Lexicon::parse(
            "# header\npro_iran_framing\tmartyrs\t1.0\ncriticism\t{target} failed\t0.5\n",
            Path::new("a.tsv"),
        )
        .unwrap();
        assert_eq!(lx.entries.len(), 2);
        assert_eq!(
            lx.entries[1].units(),
            vec![PhraseUnit::Target, PhraseUnit::Stem("fail".into())]
        );
        assert_eq!(lx.categories(), vec!["criticism", "pro_iran_framing"]);
        for bad in [
            "x\tonly two\n",
            "cat\tphrase\tabc\n",
            "bad cat\tp\t1\n",
            "c\t{target}\t1\n",
            "c\tp\tinf\n",
        ] {
            let err = Lexicon::parse(&format!("# h\n{bad}"), Path::new("b.tsv")).unwrap_err();
            assert!(err.to_string().starts_with("b.tsv:2:"), "{bad:?}: {err}");
        }
    }

    /// The matches of `lexicon` (TSV text) in `text`: (start, length, category, weight).
    fn matches(lexicon: &str, text: &str) -> Vec<(usize, usize, String, f32)> {
        let lx = Lexicon::parse(lexicon, Path::new("l.tsv")).unwrap();
        let cats = lx.categories();
        let mut dict: Vec<String> = Vec::new();
        let mut id = |s: &str| -> u32 {
            if let Some(p) = dict.iter().position(|d| d == s) {
                p as u32
            } else {
                dict.push(s.to_owned());
                dict.len() as u32 - 1
            }
        };
        let m = LexiconMatcher::new(&lx, &cats, true, |u| match u {
            PhraseUnit::Target => 999,
            PhraseUnit::Stem(s) => id(s),
        });
        let doc: Vec<u32> = tokenize_str(text)
            .norms()
            .map(|n| with_thread_cache(|c| c.stem(n).to_owned()))
            .map(|s| {
                dict.iter()
                    .position(|d| *d == s)
                    .map(|p| p as u32)
                    .unwrap_or(u32::MAX)
            })
            .collect();
        let mut got = Vec::new();
        m.find(
            &doc,
            u32::MAX,
            |_| false,
            |x| got.push((x.start, x.len, cats[x.category as usize].clone(), x.weight)),
        );
        got
    }

    #[test]
    fn phrases_match_on_stems_longest_first() {
        let got = matches(
            "opp\tmilitia\t1\nopp\tIran-backed militias\t2\nopp\toutlaw factions\t1.5\nboth\toutlaw factions\t1\n",
            "The Iran-backed militia and outlaw factions; a militia",
        );
        assert_eq!(
            got,
            vec![
                (1, 3, "opp".to_owned(), 2.0),
                (5, 2, "both".to_owned(), 1.0),
                (5, 2, "opp".to_owned(), 1.5),
                (8, 1, "opp".to_owned(), 1.0)
            ]
        );
    }

    #[test]
    fn shipped_praise_list_takes_party_names_at_weight_zero() {
        // The praise word inside the Wisdom Movement's name counts for nothing; the word on
        // its own still counts.
        let praise = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("data/lexicon/praise.tsv"),
        )
        .unwrap();
        let got = matches(
            &praise,
            "Leaders of the National Wisdom Movement and the wisdom movement spoke of his wisdom.",
        );
        let weights: Vec<(usize, f32)> = got.iter().map(|g| (g.0, g.3)).collect();
        assert_eq!(weights, vec![(3, 0.0), (8, 0.0), (13, 1.0)], "{got:?}");
    }
}
