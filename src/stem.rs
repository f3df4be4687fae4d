//! Stems: the English Snowball (Porter2) stemmer from rust-stemmers, behind a cache.
//!
//! Stemming is the costliest step per token (about 3 M words/s uncached on this machine against
//! about 48 M words/s from a hash-map cache), and news vocabulary repeats heavily, so every thread
//! keeps its own cache ([`with_thread_cache`]): no lock is shared between threads. Only words made
//! of ASCII letters (and apostrophes) are stemmed; numbers, Arabic and other scripts pass through.

use std::borrow::Cow;
use std::cell::RefCell;

use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::FxHashMap;

/// A cache is cleared when it holds this many words, which bounds its memory on endless input.
pub const DEFAULT_CAPACITY: usize = 1 << 19;

/// Whether `word` is one the English stemmer should see.
fn stemmable(word: &str) -> bool {
    word.bytes().all(|b| b.is_ascii_lowercase() || b == b'\'') && word.bytes().any(|b| b != b'\'')
}

/// Stem one word without a cache.
pub fn stem_uncached<'a>(stemmer: &Stemmer, word: &'a str) -> Cow<'a, str> {
    if stemmable(word) {
        stemmer.stem(word)
    } else {
        Cow::Borrowed(word)
    }
}

/// A word -> stem cache in front of the stemmer.
pub struct StemCache {
    stemmer: Stemmer,
    /// word -> index of its stem in `stems` (one lookup on a hit: the index is copied out, so no
    /// second lookup is needed to hand back the borrowed stem).
    map: FxHashMap<Box<str>, u32>,
    stems: Vec<Box<str>>,
    capacity: usize,
    hits: u64,
    misses: u64,
}

impl Default for StemCache {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }
}

impl StemCache {
    /// A cache that clears itself when it reaches `capacity` words.
    pub fn with_capacity(capacity: usize) -> Self {
        StemCache {
            stemmer: Stemmer::create(Algorithm::English),
            map: FxHashMap::default(),
            stems: Vec::new(),
            capacity: capacity.max(1),
            hits: 0,
            misses: 0,
        }
    }

    /// The stem of `word` (a normalised token).
    pub fn stem<'a>(&'a mut self, word: &'a str) -> &'a str {
        if !stemmable(word) {
            return word;
        }
        if let Some(&i) = self.map.get(word) {
            self.hits += 1;
            return &self.stems[i as usize];
        }
        self.misses += 1;
        if self.map.len() >= self.capacity {
            self.map.clear();
            self.stems.clear();
        }
        self.stems.push(self.stemmer.stem(word).into());
        self.map.insert(word.into(), (self.stems.len() - 1) as u32);
        self.stems.last().expect("just pushed")
    }

    /// Number of cached words.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// (hits, misses) since the cache was made.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }
}

thread_local! {
    static CACHE: RefCell<StemCache> = RefCell::new(StemCache::default());
}

/// Run `f` with this thread's stem cache.
pub fn with_thread_cache<R>(f: impl FnOnce(&mut StemCache) -> R) -> R {
    CACHE.with(|c| f(&mut c.borrow_mut()))
}

/// Stem a short phrase word by word (for lexicon entries and tests).
pub fn stem_words<'a>(words: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    with_thread_cache(|c| words.into_iter().map(|w| c.stem(w).to_owned()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_english_and_passes_other_words_through() {
        let mut c = StemCache::default();
        assert_eq!(c.stem("condemned"), "condemn");
        assert_eq!(c.stem("martyrs"), "martyr");
        assert_eq!(c.stem("militias"), "militia");
        assert_eq!(c.stem("2020"), "2020");
        assert_eq!(
            c.stem("\u{0627}\u{0644}\u{0643}\u{0627}\u{0638}\u{0645}\u{064A}"),
            "\u{0627}\u{0644}\u{0643}\u{0627}\u{0638}\u{0645}\u{064A}"
        );
    }

    #[test]
    fn cache_agrees_with_the_stemmer_and_counts_hits() {
        let stemmer = Stemmer::create(Algorithm::English);
        let mut c = StemCache::default();
        let words = [
            "spies",
            "spying",
            "spied",
            "resistance",
            "resisting",
            "spies",
            "spying",
        ];
        for w in words {
            assert_eq!(c.stem(w), stem_uncached(&stemmer, w));
        }
        assert_eq!(c.stats(), (2, 5));
        assert_eq!(c.len(), 5);
    }

    #[test]
    fn cache_is_bounded() {
        let mut c = StemCache::with_capacity(3);
        for w in ["alpha", "beta", "gamma", "delta", "epsilon"] {
            c.stem(w);
            assert!(c.len() <= 3);
        }
        assert_eq!(c.stem("delta"), "delta");
    }
}
