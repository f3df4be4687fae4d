//! Character n-grams: the units they are read from ([`CharUnits`]: words, or raw chunks) and
//! the n-grams of each unit, hashed into buckets.

use super::analysis::ChunkSpan;
use crate::target::Mention;
use crate::text::Tokens;

/// A character n-gram as a range of the padded word: sliced only when a caller reads it (the
/// vectoriser never does, and slicing a `str` checks both ends for character boundaries).
#[derive(Clone, Copy)]
pub(super) struct Gram<'a> {
    buf: &'a str,
    start: usize,
    end: usize,
}

impl<'a> Gram<'a> {
    pub(super) fn as_str(&self) -> &'a str {
        &self.buf[self.start..self.end]
    }
}

/// Call `f(bucket, ngram)` for every character n-gram of `word` padded with spaces.
///
/// The FNV-1a hash of the n-grams starting at one character is extended one character at a
/// time, so each start costs `hi` steps rather than `lo + ... + hi`; ASCII words (most of them)
/// skip the character-offset table.
pub(super) fn char_ngrams(
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
pub(super) struct CharUnits<'a> {
    tokens: &'a Tokens,
    mentions: &'a [Mention],
    chunks: Option<(&'a str, &'a [ChunkSpan])>,
    /// The next token or chunk, and the first mention not yet passed.
    next: usize,
    mention: usize,
}

impl<'a> CharUnits<'a> {
    pub(super) fn new(
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
pub(super) fn for_each_char_gram(
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
