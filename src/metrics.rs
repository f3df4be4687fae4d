//! Metrics: how well predicted labels match true ones.
//!
//! Accuracy, per-class precision / recall / F1, macro-F1, the confusion matrix (rows are true
//! labels, columns predicted), F_avg = (F1(pos) + F1(neg)) / 2 as P-Stance and SemEval define it,
//! expected calibration error (10 equal-width bins of the top probability) and log loss.

use serde::Serialize;

/// Scores of one class.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassScores {
    pub label: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

/// F_avg over two named classes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FAvg {
    pub positive: String,
    pub negative: String,
    pub value: f64,
}

/// The evaluation of one head.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub labels: Vec<String>,
    pub n: u64,
    pub accuracy: f64,
    pub macro_f1: f64,
    pub per_class: Vec<ClassScores>,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<u64>>,
    pub f_avg: Option<FAvg>,
    /// Expected calibration error of the top probability, 10 bins.
    pub ece: f64,
    /// Mean negative log probability of the true label.
    pub log_loss: f64,
    /// Reliability: per tenth of top probability (0-0.1, ..., 0.9-1), the rows in it, their mean
    /// top probability and the share predicted right.
    pub reliability: Vec<ReliabilityBin>,
}

/// One bin of a reliability diagram.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReliabilityBin {
    pub count: u64,
    pub confidence: f64,
    pub accuracy: f64,
}

fn ratio_f(a: f64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a / b as f64 }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl Report {
    /// Macro-F1 over the classes present in the truth or the predictions (scikit-learn's
    /// `f1_score(average="macro")` when the labels are not given); `macro_f1` averages over
    /// every label of the head. The two differ on a sample that lacks a class, such as a
    /// cross-validation fold without a rare class, where a class neither true nor predicted
    /// would count as F1 0 and pull the figure down for nothing the model did. 0 for no rows.
    pub fn macro_f1_present(&self) -> f64 {
        let k = self.labels.len();
        let present: Vec<usize> = (0..k)
            .filter(|&c| {
                self.confusion[c].iter().any(|&n| n > 0)
                    || self.confusion.iter().any(|row| row[c] > 0)
            })
            .collect();
        if present.is_empty() {
            return 0.0;
        }
        present.iter().map(|&c| self.per_class[c].f1).sum::<f64>() / present.len() as f64
    }
}

/// Find a conventional (positive, negative) pair among labels, case-insensitively.
pub fn default_polarity(labels: &[String]) -> Option<(usize, usize)> {
    const PAIRS: [(&str, &str); 5] = [
        ("favor", "against"),
        ("pro", "anti"),
        ("positive", "negative"),
        ("support", "oppose"),
        ("right", "left"),
    ];
    let find = |name: &str| labels.iter().position(|l| l.eq_ignore_ascii_case(name));
    PAIRS.iter().find_map(|(p, n)| Some((find(p)?, find(n)?)))
}

/// Evaluate predictions. `proba[i]` holds the class probabilities of row `i` (in `labels`
/// order) and the prediction is their argmax; `favg` names the (positive, negative) classes.
///
/// # Panics
///
/// When the inputs disagree in shape: `proba` shorter than `truth`, a row of `proba` shorter
/// than `labels`, or a `truth` or `favg` index that is not a label's. The CLI builds them from
/// one model and one table, so they cannot; a caller building them by hand must check.
pub fn evaluate(
    labels: &[String],
    truth: &[usize],
    proba: &[Vec<f32>],
    favg: Option<(usize, usize)>,
) -> Report {
    let k = labels.len();
    let n = truth.len();
    let mut confusion = vec![vec![0u64; k]; k];
    let mut bins = [(0u64, 0f64, 0u64); 10]; // (count, confidence sum, correct)
    let mut log_loss = 0.0;
    for (i, &t) in truth.iter().enumerate() {
        let p = &proba[i];
        let pred = crate::logistic::argmax(p);
        confusion[t][pred] += 1;
        let conf = p[pred] as f64;
        let b = ((conf * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += conf;
        bins[b].2 += (pred == t) as u64;
        log_loss += row_log_loss(p, t);
    }
    let per_class: Vec<ClassScores> = (0..k)
        .map(|c| {
            let (precision, recall, f1, support) = class_scores(&confusion, c);
            ClassScores {
                label: labels[c].clone(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    let correct: u64 = (0..k).map(|c| confusion[c][c]).sum();
    let macro_f1 = if k == 0 {
        0.0
    } else {
        per_class.iter().map(|c| c.f1).sum::<f64>() / k as f64
    };
    let ece = bins
        .iter()
        .filter(|b| b.0 > 0)
        .map(|&(cnt, conf, ok)| {
            (cnt as f64 / n as f64) * (ok as f64 / cnt as f64 - conf / cnt as f64).abs()
        })
        .sum();
    let f_avg = favg.map(|(p, q)| FAvg {
        positive: labels[p].clone(),
        negative: labels[q].clone(),
        value: (per_class[p].f1 + per_class[q].f1) / 2.0,
    });
    Report {
        labels: labels.to_vec(),
        n: n as u64,
        accuracy: ratio(correct, n as u64),
        macro_f1,
        per_class,
        confusion,
        f_avg,
        ece,
        reliability: bins
            .iter()
            .map(|&(cnt, conf, ok)| ReliabilityBin {
                count: cnt,
                confidence: ratio_f(conf, cnt),
                accuracy: ratio(ok, cnt),
            })
            .collect(),
        log_loss: if n == 0 { 0.0 } else { log_loss / n as f64 },
    }
}

/// Class `c`'s precision, recall, F1 and support in a confusion matrix
/// (`confusion[true][predicted]`).
fn class_scores(confusion: &[Vec<u64>], c: usize) -> (f64, f64, f64, u64) {
    let tp = confusion[c][c];
    let predicted: u64 = confusion.iter().map(|row| row[c]).sum();
    let support: u64 = confusion[c].iter().sum();
    let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    (precision, recall, f1, support)
}

/// A row's negative log probability of its true label `t` (floored, so a zero does not
/// give infinity).
fn row_log_loss(p: &[f32], t: usize) -> f64 {
    -(p[t] as f64).max(1e-15).ln()
}

/// Two models' readings of the same labelled rows, paired row by row (`slant eval
/// --baseline`): is the difference between them more than the rows' luck?
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub n: u64,
    /// Rows the model reads right and the baseline wrong.
    pub only_model_right: u64,
    /// Rows the baseline reads right and the model wrong.
    pub only_baseline_right: u64,
    /// Exact two-sided McNemar p-value of those two counts (a binomial test at one half): the
    /// chance of a split at least this uneven if the two read these rows equally well.
    pub mcnemar_p: f64,
    /// Model minus baseline, with a 95% paired bootstrap interval.
    pub macro_f1_diff: Interval,
    /// Model minus baseline (lower is better), with a 95% paired bootstrap interval. Unlike
    /// accuracy and macro-F1 it does not jump when a row crosses a tie, so it tells a real
    /// change from a few rows moving across the line sooner.
    pub log_loss_diff: Interval,
}

/// An estimate on all rows and the 2.5th and 97.5th percentiles of its bootstrap
/// distribution.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// Bootstrap resamples in [`compare`].
pub const BOOTSTRAP_RESAMPLES: usize = 2000;

/// Compare `model` with `baseline` (class probabilities per row, in `labels` order) on the
/// rows whose true labels are `truth`: discordant rows, McNemar's exact test, and paired
/// bootstrap intervals ([`BOOTSTRAP_RESAMPLES`] resamples of the rows, drawn with a fixed seed
/// so that the same inputs always give the same figures) of the macro-F1 and log-loss
/// differences.
///
/// # Panics
///
/// As [`evaluate`], when the inputs disagree in shape.
pub fn compare(
    labels: &[String],
    truth: &[usize],
    model: &[Vec<f32>],
    baseline: &[Vec<f32>],
) -> Comparison {
    let k = labels.len();
    let n = truth.len();
    let pred = |p: &[Vec<f32>]| -> Vec<usize> {
        p[..n].iter().map(|r| crate::logistic::argmax(r)).collect()
    };
    let (pm, pb) = (pred(model), pred(baseline));
    let loss = |p: &[Vec<f32>]| -> Vec<f64> {
        truth
            .iter()
            .zip(p)
            .map(|(&t, r)| row_log_loss(r, t))
            .collect()
    };
    let (lm, lb) = (loss(model), loss(baseline));
    let mut only_model = 0u64;
    let mut only_base = 0u64;
    for i in 0..n {
        let (m, b) = (pm[i] == truth[i], pb[i] == truth[i]);
        only_model += (m && !b) as u64;
        only_base += (b && !m) as u64;
    }
    // One resample's statistics: macro-F1 and mean log loss of each model over `rows`.
    let stats = |rows: &mut dyn Iterator<Item = usize>| -> (f64, f64) {
        let (mut cm, mut cb) = (vec![vec![0u64; k]; k], vec![vec![0u64; k]; k]);
        let (mut sm, mut sb, mut count) = (0.0, 0.0, 0usize);
        for i in rows {
            cm[truth[i]][pm[i]] += 1;
            cb[truth[i]][pb[i]] += 1;
            sm += lm[i];
            sb += lb[i];
            count += 1;
        }
        let mean = |s: f64| if count == 0 { 0.0 } else { s / count as f64 };
        (macro_f1_of(&cm) - macro_f1_of(&cb), mean(sm) - mean(sb))
    };
    let (f1_all, loss_all) = stats(&mut (0..n));
    let mut rng = SplitMix64(0x5eed_5eed_5eed_5eed);
    let mut f1s = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    let mut losses = Vec::with_capacity(BOOTSTRAP_RESAMPLES);
    if n > 0 {
        for _ in 0..BOOTSTRAP_RESAMPLES {
            let (f, l) = stats(&mut (0..n).map(|_| (rng.next() % n as u64) as usize));
            f1s.push(f);
            losses.push(l);
        }
    }
    let interval = |estimate: f64, mut v: Vec<f64>| {
        if v.is_empty() {
            return Interval {
                estimate,
                low: estimate,
                high: estimate,
            };
        }
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((q * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
        Interval {
            estimate,
            low: at(0.025),
            high: at(0.975),
        }
    };
    Comparison {
        n: n as u64,
        only_model_right: only_model,
        only_baseline_right: only_base,
        mcnemar_p: mcnemar_exact(only_model, only_base),
        macro_f1_diff: interval(f1_all, f1s),
        log_loss_diff: interval(loss_all, losses),
    }
}

/// Macro-F1 over every label of a confusion matrix (`confusion[true][predicted]`), as
/// [`Report::macro_f1`].
fn macro_f1_of(confusion: &[Vec<u64>]) -> f64 {
    let k = confusion.len();
    if k == 0 {
        return 0.0;
    }
    (0..k).map(|c| class_scores(confusion, c).2).sum::<f64>() / k as f64
}

/// Exact two-sided McNemar test of `b` against `c` discordant pairs: twice the binomial tail
/// P(X <= min(b, c)) for X ~ Bin(b + c, 1/2), at most 1. Summed in logarithms, so that large
/// counts do not underflow.
fn mcnemar_exact(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let half_ln = (0.5f64).ln() * n as f64;
    let mut ln_choose = 0.0f64; // ln C(n, 0)
    let mut terms = Vec::with_capacity(b.min(c) as usize + 1);
    for i in 0..=b.min(c) {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        terms.push(ln_choose + half_ln);
    }
    let max = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tail = max.exp() * terms.iter().map(|t| (t - max).exp()).sum::<f64>();
    (2.0 * tail).min(1.0)
}

/// A small deterministic generator for the bootstrap (SplitMix64): the same seed gives the
/// same resamples on every machine.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_hot(k: usize, c: usize) -> Vec<f32> {
        (0..k)
            .map(|i| if i == c { 0.9 } else { 0.1 / (k - 1) as f32 })
            .collect()
    }

    #[test]
    fn known_answers() {
        let labels: Vec<String> = ["AGAINST", "FAVOR", "NONE"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let truth = [0, 0, 0, 1, 1, 2];
        let pred = [0, 0, 1, 1, 2, 2];
        let proba: Vec<Vec<f32>> = pred.iter().map(|&p| one_hot(3, p)).collect();
        let r = evaluate(&labels, &truth, &proba, default_polarity(&labels));
        assert_eq!(
            r.confusion,
            vec![vec![2, 1, 0], vec![0, 1, 1], vec![0, 0, 1]]
        );
        assert!((r.accuracy - 4.0 / 6.0).abs() < 1e-12);
        // AGAINST: p=1, r=2/3, f1=0.8. FAVOR: p=1/2, r=1/2, f1=0.5. NONE: p=1/2, r=1, f1=2/3.
        let f1: Vec<f64> = r.per_class.iter().map(|c| c.f1).collect();
        assert!(
            (f1[0] - 0.8).abs() < 1e-12
                && (f1[1] - 0.5).abs() < 1e-12
                && (f1[2] - 2.0 / 3.0).abs() < 1e-12
        );
        assert!((r.macro_f1 - (0.8 + 0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
        let fa = r.f_avg.unwrap();
        assert_eq!(
            (fa.positive.as_str(), fa.negative.as_str()),
            ("FAVOR", "AGAINST")
        );
        assert!((fa.value - 0.65).abs() < 1e-12);
        // All confidences are 0.9 and 4/6 are right: ECE = |0.667 - 0.9|.
        assert!((r.ece - (0.9 - 4.0 / 6.0)).abs() < 1e-6);
    }

    #[test]
    fn mcnemar_matches_the_binomial_tail() {
        // b = 1, c = 5: 2 * (1 + 6) / 64.
        assert!((mcnemar_exact(1, 5) - 14.0 / 64.0).abs() < 1e-12);
        assert!((mcnemar_exact(5, 1) - 14.0 / 64.0).abs() < 1e-12);
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert_eq!(mcnemar_exact(3, 3), 1.0);
        // Large counts stay finite and tiny.
        let p = mcnemar_exact(100, 900);
        assert!(p > 0.0 && p < 1e-100, "{p}");
    }

    #[test]
    fn comparison_counts_discordant_rows_and_brackets_the_difference() {
        let labels: Vec<String> = ["a", "b"].map(String::from).to_vec();
        let sure = |c: usize| {
            if c == 0 {
                vec![0.9f32, 0.1]
            } else {
                vec![0.1, 0.9]
            }
        };
        // 40 rows: the model is right on all; the baseline wrong on the last 10.
        let truth: Vec<usize> = (0..40).map(|i| i % 2).collect();
        let model: Vec<Vec<f32>> = truth.iter().map(|&t| sure(t)).collect();
        let baseline: Vec<Vec<f32>> = truth
            .iter()
            .enumerate()
            .map(|(i, &t)| sure(if i >= 30 { 1 - t } else { t }))
            .collect();
        let c = compare(&labels, &truth, &model, &baseline);
        assert_eq!(
            (c.n, c.only_model_right, c.only_baseline_right),
            (40, 10, 0)
        );
        assert!(c.mcnemar_p < 0.01, "{c:?}");
        let f = c.macro_f1_diff;
        assert!((f.estimate - 0.25).abs() < 1e-9, "{f:?}");
        assert!(
            f.low > 0.0 && f.low <= f.estimate && f.estimate <= f.high,
            "{f:?}"
        );
        let l = c.log_loss_diff;
        assert!(l.estimate < 0.0 && l.high < 0.0, "{l:?}");
        // Deterministic: the same inputs, the same intervals.
        assert_eq!(c, compare(&labels, &truth, &model, &baseline));
        // A model against itself: no discordant row, p = 1, a zero-width interval at 0.
        let same = compare(&labels, &truth, &model, &model);
        assert_eq!((same.only_model_right, same.only_baseline_right), (0, 0));
        assert_eq!(same.mcnemar_p, 1.0);
        assert_eq!(
            (same.macro_f1_diff.low, same.macro_f1_diff.high),
            (0.0, 0.0)
        );
        // The macro-F1 of all rows agrees with `evaluate`'s.
        let (rm, rb) = (
            evaluate(&labels, &truth, &model, None),
            evaluate(&labels, &truth, &baseline, None),
        );
        assert!((f.estimate - (rm.macro_f1 - rb.macro_f1)).abs() < 1e-12);
        assert!((l.estimate - (rm.log_loss - rb.log_loss)).abs() < 1e-9);
    }

    #[test]
    fn macro_f1_over_present_classes() {
        let labels: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        let proba =
            |pred: &[usize]| -> Vec<Vec<f32>> { pred.iter().map(|&p| one_hot(3, p)).collect() };
        // `c` neither true nor predicted: it does not count.
        let r = evaluate(&labels, &[0, 0, 1, 1], &proba(&[0, 0, 1, 1]), None);
        assert!((r.macro_f1 - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.macro_f1_present() - 1.0).abs() < 1e-12);
        // `c` predicted but never true: it counts, with F1 0. a: p 1, r 1/2, F1 2/3; b: 1.
        let r = evaluate(&labels, &[0, 0, 1, 1], &proba(&[0, 2, 1, 1]), None);
        let want = (2.0 / 3.0 + 1.0 + 0.0) / 3.0;
        assert!((r.macro_f1_present() - want).abs() < 1e-12);
        assert!((r.macro_f1_present() - r.macro_f1).abs() < 1e-12);
        // `c` true but never predicted: it counts too. b: p 2/3, r 1, F1 0.8.
        let r = evaluate(&labels, &[0, 1, 1, 2], &proba(&[0, 1, 1, 1]), None);
        let want = (1.0 + 0.8 + 0.0) / 3.0;
        assert!((r.macro_f1_present() - want).abs() < 1e-12);
        // No rows: 0.
        assert_eq!(evaluate(&labels, &[], &[], None).macro_f1_present(), 0.0);
    }

    #[test]
    fn polarity_defaults() {
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            default_polarity(&l(&["anti", "neutral", "pro"])),
            Some((2, 0))
        );
        assert_eq!(default_polarity(&l(&["AGAINST", "FAVOR"])), Some((1, 0)));
        assert_eq!(
            default_polarity(&l(&["neutral", "opposition", "pro_iran"])),
            None
        );
    }
}
