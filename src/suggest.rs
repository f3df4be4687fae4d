//! Uncertainty sampling for labelling: the articles a model is least sure about, without
//! near-duplicates.
//!
//! Uncertainty of a head is `1 - (p1 - p2)` (one minus the margin between its two most probable
//! labels) or the entropy of its probabilities normalised to [0, 1]; an article's uncertainty is
//! the largest over the heads asked for. [`TopK`] keeps only the most uncertain candidates seen so
//! far (memory bounded on any corpus), and [`select`] takes them most uncertain first, skipping
//! any whose word shingles overlap an already chosen one's beyond a Jaccard threshold, so one
//! story syndicated twenty times does not fill the list.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rustc_hash::FxHashSet;

/// How to measure a head's uncertainty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Measure {
    /// One minus the gap between the two most probable labels.
    Margin,
    /// Entropy of the label distribution, divided by its maximum (ln k).
    Entropy,
}

/// The uncertainty of one head's probabilities, in [0, 1].
pub fn uncertainty(p: &[f32], m: Measure) -> f64 {
    match m {
        Measure::Margin => {
            let (mut a, mut b) = (0f64, 0f64);
            for &x in p {
                let x = x as f64;
                if x > a {
                    b = a;
                    a = x;
                } else if x > b {
                    b = x;
                }
            }
            1.0 - (a - b)
        }
        Measure::Entropy => {
            if p.len() < 2 {
                return 0.0;
            }
            let h: f64 = p
                .iter()
                .map(|&x| x as f64)
                .filter(|&x| x > 0.0)
                .map(|x| -x * x.ln())
                .sum();
            h / (p.len() as f64).ln()
        }
    }
}

/// A candidate for labelling.
#[derive(Clone, Debug)]
pub struct Candidate<T> {
    pub uncertainty: f64,
    /// Input order, to break ties deterministically.
    pub order: u64,
    pub item: T,
}

impl<T> PartialEq for Candidate<T> {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl<T> Eq for Candidate<T> {}
impl<T> PartialOrd for Candidate<T> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl<T> Ord for Candidate<T> {
    /// More uncertain first; earlier first among equals.
    fn cmp(&self, o: &Self) -> Ordering {
        o.uncertainty
            .total_cmp(&self.uncertainty)
            .then(self.order.cmp(&o.order))
    }
}

/// The `k` most uncertain candidates pushed so far.
pub struct TopK<T> {
    k: usize,
    /// A max-heap under `Ord`, so its top is the least uncertain kept.
    heap: BinaryHeap<Candidate<T>>,
}

impl<T> TopK<T> {
    pub fn new(k: usize) -> Self {
        TopK {
            k: k.max(1),
            heap: BinaryHeap::new(),
        }
    }

    /// Offer a candidate; it is kept if it is among the `k` most uncertain so far.
    pub fn push(&mut self, c: Candidate<T>) {
        if self.heap.len() < self.k {
            self.heap.push(c);
        } else if self.heap.peek().is_some_and(|worst| c < *worst) {
            self.heap.pop();
            self.heap.push(c);
        }
    }

    /// The kept candidates, most uncertain first.
    pub fn into_sorted(self) -> Vec<Candidate<T>> {
        self.heap.into_sorted_vec()
    }
}

/// Hashes of the word 3-shingles of `text` (lowercased words of letters and digits).
pub fn shingles(text: &str) -> FxHashSet<u64> {
    use std::hash::BuildHasher;
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let mut out = FxHashSet::default();
    let n = 3.min(words.len().max(1));
    for w in words.windows(n) {
        out.insert(rustc_hash::FxBuildHasher.hash_one(w));
    }
    out
}

/// Jaccard similarity of two shingle sets.
pub fn jaccard(a: &FxHashSet<u64>, b: &FxHashSet<u64>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let inter = small.iter().filter(|x| large.contains(x)).count();
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// Up to `n` candidates, most uncertain first, skipping any whose text (by `text`) has a
/// Jaccard similarity above `max_similarity` with one already chosen.
pub fn select<T>(
    candidates: Vec<Candidate<T>>,
    n: usize,
    max_similarity: f64,
    text: impl Fn(&T) -> &str,
) -> Vec<Candidate<T>> {
    let mut chosen: Vec<(Candidate<T>, FxHashSet<u64>)> = Vec::new();
    for c in candidates {
        if chosen.len() >= n {
            break;
        }
        let sh = shingles(text(&c.item));
        if chosen
            .iter()
            .all(|(_, s)| jaccard(s, &sh) <= max_similarity)
        {
            chosen.push((c, sh));
        }
    }
    chosen.into_iter().map(|(c, _)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_and_entropy() {
        assert!((uncertainty(&[0.4, 0.35, 0.25], Measure::Margin) - 0.95).abs() < 1e-6);
        assert!((uncertainty(&[1.0, 0.0, 0.0], Measure::Margin)).abs() < 1e-9);
        assert!((uncertainty(&[1.0 / 3.0; 3], Measure::Entropy) - 1.0).abs() < 1e-6);
        assert!(uncertainty(&[0.9, 0.05, 0.05], Measure::Entropy) < 0.4);
    }

    #[test]
    fn top_k_keeps_the_most_uncertain_in_order() {
        let mut t = TopK::new(3);
        for (i, u) in [0.1, 0.9, 0.5, 0.95, 0.2, 0.9].into_iter().enumerate() {
            t.push(Candidate {
                uncertainty: u,
                order: i as u64,
                item: i,
            });
        }
        let got: Vec<usize> = t.into_sorted().into_iter().map(|c| c.item).collect();
        assert_eq!(got, [3, 1, 5]);
    }

    #[test]
    fn near_duplicates_do_not_crowd_the_list() {
        let texts = [
            "Kazemi met the Saudi crown prince in Riyadh on Monday to discuss trade",
            "Kazemi met the Saudi crown prince in Riyadh on Monday to discuss trade and oil",
            "The factions fired rockets at the airport after the raid in Dora",
            "Kazemi met the Saudi crown prince in Riyadh on Monday to discuss trade",
        ];
        let cands: Vec<Candidate<&str>> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| Candidate {
                uncertainty: 1.0 - i as f64 * 0.1,
                order: i as u64,
                item: *t,
            })
            .collect();
        let got: Vec<&str> = select(cands, 3, 0.5, |t| t)
            .into_iter()
            .map(|c| c.item)
            .collect();
        assert_eq!(got, [texts[0], texts[2]]);
    }
}
