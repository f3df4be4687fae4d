//! Target: the person whose coverage is measured, and where a document mentions them.
//!
//! A target is a name plus aliases, read from a TOML file (`data/targets/al-kazemi.toml` for the
//! shipped model). Aliases are tokenised by the same [`crate::text`] stage as articles, so every
//! spacing and hyphenation of "Al-Kazemi" meets the single alias token `alkazemi`; a trailing
//! possessive ("Kadhimi's") still matches. Matching is longest-alias-first and never overlaps.
//! A trained model keeps its own copy of the target, so editing the file does not change it.

use std::path::Path;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::text::{Tokens, tokenize_str};

/// A target as written in its data file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    /// Display name.
    pub name: String,
    /// Other ways of writing the name; the name itself always counts as an alias.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Free-text notes for people editing the file; ignored by the matcher.
    #[serde(default)]
    pub notes: Option<String>,
}

impl TargetSpec {
    /// Parse a TOML target file; `path` names it in errors.
    pub fn parse(src: &str, path: &Path) -> Result<Self> {
        let spec: TargetSpec = toml::from_str(src).map_err(|e| {
            let line = e
                .span()
                .map(|s| src[..s.start.min(src.len())].lines().count().max(1) as u64)
                .unwrap_or(0);
            Error::parse(path, line, e.message().to_string())
        })?;
        if spec.name.trim().is_empty() {
            return Err(Error::parse(path, 1, "`name` is empty"));
        }
        Ok(spec)
    }

    /// Read and parse a TOML target file.
    pub fn load(path: &Path) -> Result<Self> {
        let src = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::parse(&src, path)
    }

    /// The name and aliases, tokenised and normalised, deduplicated, longest first.
    pub fn alias_tokens(&self) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = std::iter::once(&self.name)
            .chain(&self.aliases)
            .map(|a| {
                tokenize_str(a)
                    .norms()
                    .map(|n| match_key(n).to_owned())
                    .collect::<Vec<_>>()
            })
            .filter(|t: &Vec<String>| !t.is_empty())
            .collect();
        out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        out.dedup();
        out
    }
}

/// A mention: tokens `first..end` of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mention {
    pub first: usize,
    pub end: usize,
}

/// An alias's words after the first.
type AliasWords = Box<[Box<str>]>;

/// Finds a target's mentions in tokenised text.
#[derive(Clone, Debug)]
pub struct TargetMatcher {
    /// First alias token -> the aliases starting with it (as their remaining tokens), longest first.
    by_first: FxHashMap<Box<str>, Vec<AliasWords>>,
    /// The last two bytes of every key of `by_first`, one bit per pair (`None` when a key is
    /// shorter): a token whose own last two (after a possessive ending) are none of them
    /// starts no mention, and is passed over without the key or the hash lookup (those were
    /// 12% of the analysis's instructions).
    tails: Option<Box<[u64; 1024]>>,
}

/// The last two bytes of `s` as one number, if it has two.
fn tail(s: &str) -> Option<usize> {
    match s.as_bytes() {
        [.., a, b] => Some((*a as usize) << 8 | *b as usize),
        _ => None,
    }
}

/// The form a token is compared in: without a possessive ending, and without the joined
/// article ("alkazemi" and "kazemi" meet; so do "الكاظمي" and "كاظمي").
fn match_key(norm: &str) -> &str {
    let n = norm
        .strip_suffix("'s")
        .or_else(|| norm.strip_suffix('\''))
        .unwrap_or(norm);
    for article in ["al", "el", "\u{0627}\u{0644}"] {
        if let Some(rest) = n.strip_prefix(article)
            && rest.chars().count() >= 3
        {
            return rest;
        }
    }
    n
}

impl TargetMatcher {
    /// Build the matcher for `spec`.
    pub fn new(spec: &TargetSpec) -> Result<Self> {
        let mut by_first: FxHashMap<Box<str>, Vec<AliasWords>> = FxHashMap::default();
        for alias in spec.alias_tokens() {
            let rest: Box<[Box<str>]> = alias[1..].iter().map(|s| s.as_str().into()).collect();
            by_first
                .entry(alias[0].as_str().into())
                .or_default()
                .push(rest);
        }
        if by_first.is_empty() {
            return Err(Error::Invalid(format!(
                "target `{}` has no usable alias",
                spec.name
            )));
        }
        // The article `match_key` strips leaves at least three characters, so a key's last
        // two bytes are those of the token less its possessive ending.
        let tails = by_first
            .keys()
            .try_fold(Box::new([0u64; 1024]), |mut bits, k| {
                let t = tail(k)?;
                bits[t >> 6] |= 1 << (t & 63);
                Some(bits)
            });
        Ok(TargetMatcher { by_first, tails })
    }

    /// Append the mentions in `tokens` to `out` (cleared first), in text order.
    pub fn find(&self, tokens: &Tokens, out: &mut Vec<Mention>) {
        out.clear();
        let n = tokens.len();
        let toks = tokens.as_slice();
        let mut i = 0;
        // End (byte) of the last mention: the words of a hashtag that was itself a mention
        // (`#AlKazemi`, then `al`, `kazemi`) are not mentions again.
        let mut covered = 0u32;
        while i < n {
            if toks[i].subword() && toks[i].start < covered {
                i += 1;
                continue;
            }
            let mut matched = 0;
            let norm = tokens.norm(i);
            if let Some(tails) = &self.tails {
                let bare = norm
                    .strip_suffix("'s")
                    .or_else(|| norm.strip_suffix('\''))
                    .unwrap_or(norm);
                if tail(bare).is_none_or(|t| tails[t >> 6] >> (t & 63) & 1 == 0) {
                    i += 1;
                    continue;
                }
            }
            if let Some(cands) = self.by_first.get(match_key(norm)) {
                for rest in cands {
                    let fits = i + rest.len() < n
                        && rest
                            .iter()
                            .enumerate()
                            .all(|(k, t)| match_key(tokens.norm(i + 1 + k)) == &**t);
                    if rest.is_empty() || fits {
                        matched = 1 + rest.len();
                        break;
                    }
                }
            }
            if matched > 0 {
                out.push(Mention {
                    first: i,
                    end: i + matched,
                });
                covered = toks[i + matched - 1].end;
                i += matched;
            } else {
                i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TargetSpec {
        TargetSpec::parse(
            r#"
name = "Mustafa Al-Kazemi"
aliases = ["Al-Kazemi", "Kazemi", "al-Kadhimi", "Kadhimi", "Mustafa al-Kadhimi",
           "الكاظمي", "مصطفى الكاظمي"]
"#,
            Path::new("t.toml"),
        )
        .unwrap()
    }

    fn mentions(text: &str) -> Vec<String> {
        let toks = tokenize_str(text);
        let mut out = Vec::new();
        TargetMatcher::new(&spec()).unwrap().find(&toks, &mut out);
        out.iter()
            .map(|m| {
                text[toks.as_slice()[m.first].start as usize
                    ..toks.as_slice()[m.end - 1].end as usize]
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn the_tail_filter_finds_what_the_plain_lookup_finds() {
        let m = TargetMatcher::new(&spec()).unwrap();
        assert!(m.tails.is_some());
        let plain = TargetMatcher {
            tails: None,
            ..m.clone()
        };
        // Possessives, articles, hashtags, Arabic, near misses and short words.
        let text = "Kazemi's aides, Kadhimi' men, alKazemi and el-Kazemi; #AlKazemi #KazemiOut \
                    Mustafa Kadhimi, Mustafa's son, kazemis, ikazemi, Kaz, mi, i, \
                    الكاظمي والكاظمي مصطفى الكاظمي, Kazemi. Al-Kazemi's \u{2019}s Kadhimi\u{2019}s";
        for split in [false, true] {
            let mut t = Tokens::default();
            crate::text::tokenize_with(
                text,
                &crate::text::Residue::default(),
                split,
                false,
                &mut t,
            );
            let (mut a, mut b) = (Vec::new(), Vec::new());
            m.find(&t, &mut a);
            plain.find(&t, &mut b);
            assert_eq!(a, b);
            assert!(a.len() >= 10, "{a:?}");
        }
        // A key of one byte turns the filter off.
        let short =
            TargetSpec::parse("name = \"X\"\naliases = [\"X\"]\n", Path::new("t.toml")).unwrap();
        assert!(TargetMatcher::new(&short).unwrap().tails.is_none());
    }

    #[test]
    fn every_spelling_is_one_mention() {
        let text = "Al-Kazemi met Al -Kazemi, then Al- Kazemi, AL-Kazemi, Al Kazemi, Alkazemi, \
                    al-Kadhimi, Kadhimi's aides and Mustafa Al -Kazemi.";
        assert_eq!(
            mentions(text),
            vec![
                "Al-Kazemi",
                "Al -Kazemi",
                "Al- Kazemi",
                "AL-Kazemi",
                "Al Kazemi",
                "Alkazemi",
                "al-Kadhimi",
                "Kadhimi's",
                "Mustafa Al -Kazemi"
            ]
        );
    }

    #[test]
    fn hashtag_words_are_mentions_once() {
        let text = "#AlKazemi #KadhimiMustGo #Kazemi";
        let mut toks = Tokens::default();
        crate::text::tokenize_with(
            text,
            &crate::text::Residue::default(),
            true,
            false,
            &mut toks,
        );
        let mut out = Vec::new();
        TargetMatcher::new(&spec()).unwrap().find(&toks, &mut out);
        let got: Vec<&str> = out
            .iter()
            .map(|m| {
                &text[toks.as_slice()[m.first].start as usize
                    ..toks.as_slice()[m.end - 1].end as usize]
            })
            .collect();
        // The whole hashtag matches once (its words `Al`, `Kazemi` are not counted again); in
        // the second only its first word is a mention.
        assert_eq!(got, vec!["AlKazemi", "Kadhimi", "Kazemi"]);
    }

    #[test]
    fn arabic_script_and_longest_match() {
        assert_eq!(mentions("قال مصطفى الكاظمي إن"), vec!["مصطفى الكاظمي"]);
        assert_eq!(mentions("Mustafa was elsewhere"), Vec::<String>::new());
        // The article joins in Arabic too: "كاظمي" alone meets "الكاظمي".
        assert_eq!(mentions("رئيس الوزراء كاظمي"), vec!["كاظمي"]);
    }

    #[test]
    fn bad_files_are_reported_with_their_line() {
        let err =
            TargetSpec::parse("name = \"X\"\nalias = [\"Y\"]\n", Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().contains("unknown field `alias`"), "{err}");
        let err =
            TargetSpec::parse("name = \"X\"\naliases = [\"Y\"\n", Path::new("t.toml")).unwrap_err();
        assert!(err.to_string().starts_with("t.toml:2:"), "{err}");
        assert!(TargetSpec::parse("name = \"  \"", Path::new("t.toml")).is_err());
    }
}
