//! Owns [`ShortStrMap`], the string -> value map of the per-thread caches on the classify path
//! (word -> unit and character n-grams in the analyzer, character unit -> entry in the per-word
//! character scorer):
//! words and chunks are short, so most keys are held inline and compared as integers.

use crate::sparse::prefetch;
use rustc_hash::FxHashMap;

/// A string -> `V` map (a small `Copy` value): open addressing over keys of up to 16 bytes held in the slot as two
/// integers (compared without a call to `memcmp` and without following a pointer), longer keys
/// in a hash map. Its string-keyed predecessor, as the word -> unit cache, spent most of its
/// 11% of classify comparing keys.
pub(crate) struct ShortStrMap<V = u32> {
    slots: Vec<Slot<V>>,
    len: usize,
    long: FxHashMap<Box<str>, V>,
}

impl<V> Default for ShortStrMap<V> {
    fn default() -> Self {
        ShortStrMap {
            slots: Vec::new(),
            len: 0,
            long: FxHashMap::default(),
        }
    }
}

/// One slot: a key of `len` bytes (0: empty) packed by [`ShortStrMap::pack`], and its value.
#[derive(Clone, Copy, Default)]
struct Slot<V> {
    k0: u64,
    k1: u64,
    len: u32,
    unit: V,
}

impl<V: Copy + Default> ShortStrMap<V> {
    const INLINE: usize = 16;

    /// A word of 1 to 16 bytes as two integers that, with its length, determine it: the first
    /// and last 8 bytes (overlapping) from 8 bytes up, the first and last 4 from 4, else the
    /// first, middle and last byte. Fixed-width loads only: no copy of a variable length.
    #[inline(always)]
    fn pack(w: &[u8]) -> (u64, u64) {
        let n = w.len();
        let u64_at = |i: usize| u64::from_le_bytes(w[i..i + 8].try_into().unwrap());
        let u32_at = |i: usize| u32::from_le_bytes(w[i..i + 4].try_into().unwrap()) as u64;
        if n >= 8 {
            (u64_at(0), u64_at(n - 8))
        } else if n >= 4 {
            (u32_at(0) | (u32_at(n - 4) << 32), 0)
        } else {
            (
                w[0] as u64 | (w[n / 2] as u64) << 8 | (w[n - 1] as u64) << 16,
                0,
            )
        }
    }

    #[inline(always)]
    fn home(&self, k0: u64, k1: u64, n: usize) -> usize {
        let h = (k0 ^ k1.rotate_left(29) ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> (64 - self.slots.len().trailing_zeros())) as usize
    }

    /// Number of keys held.
    pub fn len(&self) -> usize {
        self.len + self.long.len()
    }

    /// Forget every key (the slots are kept).
    pub fn clear(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = Slot::default());
        self.len = 0;
        self.long.clear();
    }

    /// The value of `w`, if it is held.
    #[inline]
    pub fn get(&self, w: &str) -> Option<V> {
        let b = w.as_bytes();
        let n = b.len();
        if n == 0 || n > Self::INLINE {
            return self.long.get(w).copied();
        }
        if self.slots.is_empty() {
            return None;
        }
        let (k0, k1) = Self::pack(b);
        let mask = self.slots.len() - 1;
        let mut i = self.home(k0, k1, n);
        loop {
            let s = &self.slots[i];
            if s.k0 == k0 && s.k1 == k1 && s.len == n as u32 {
                return Some(s.unit);
            }
            if s.len == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Ask for the slot where the search for `w` starts, ahead of its lookup.
    #[inline(always)]
    pub fn prefetch(&self, w: &str) {
        let b = w.as_bytes();
        if (1..=Self::INLINE).contains(&b.len()) && !self.slots.is_empty() {
            let (k0, k1) = Self::pack(b);
            prefetch(&self.slots, self.home(k0, k1, b.len()));
        }
    }

    /// Insert a key that is not there.
    pub fn insert(&mut self, w: &str, unit: V) {
        let b = w.as_bytes();
        let n = b.len();
        if n == 0 || n > Self::INLINE {
            self.long.insert(w.into(), unit);
            return;
        }
        if 2 * (self.len + 1) > self.slots.len() {
            let old = std::mem::take(&mut self.slots);
            self.slots = vec![Slot::default(); (2 * old.len()).max(4096)];
            for s in old.into_iter().filter(|s| s.len != 0) {
                self.put(s);
            }
        }
        let (k0, k1) = Self::pack(b);
        self.put(Slot {
            k0,
            k1,
            len: n as u32,
            unit,
        });
        self.len += 1;
    }

    fn put(&mut self, s: Slot<V>) {
        let mask = self.slots.len() - 1;
        let mut i = self.home(s.k0, s.k1, s.len as usize);
        while self.slots[i].len != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = s;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_apart_words_that_share_bytes_and_lengths() {
        // Words of every length from 1 to 20 (inline and not), many sharing their first and
        // last bytes, their first and last 4 or 8, or differing only in the middle: the cache
        // must answer exactly like a map, through growth and after a clear.
        let mut words: Vec<String> = Vec::new();
        for n in 1..=20usize {
            for k in 0..40u8 {
                let mut w: Vec<u8> = (0..n).map(|i| b'a' + ((i * 7) % 26) as u8).collect();
                let mid = n / 2;
                w[mid] = b'a' + k % 26;
                if k >= 26 && n > 2 {
                    w[mid - 1] = b'0' + k % 10;
                }
                words.push(String::from_utf8(w).unwrap());
            }
            words.push("\u{e9}".repeat(n.div_ceil(2))); // two-byte characters
        }
        words.sort();
        words.dedup();
        let mut cache = ShortStrMap::default();
        let mut reference: FxHashMap<String, u32> = FxHashMap::default();
        for round in 0..2 {
            for (i, w) in words.iter().enumerate() {
                assert_eq!(
                    cache.get(w),
                    reference.get(w).copied(),
                    "{w:?} before insert"
                );
                if i % 3 != 2 {
                    cache.insert(w, i as u32 * 10 + round);
                    reference.insert(w.clone(), i as u32 * 10 + round);
                }
            }
            for w in &words {
                assert_eq!(cache.get(w), reference.get(w).copied(), "{w:?}");
            }
            assert_eq!(cache.len(), reference.len());
            cache.clear();
            reference.clear();
            assert_eq!(cache.get(&words[0]), None);
        }
    }
}
