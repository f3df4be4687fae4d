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
        log_loss -= (p[t] as f64).max(1e-15).ln();
    }
    let per_class: Vec<ClassScores> = (0..k)
        .map(|c| {
            let tp = confusion[c][c];
            let predicted: u64 = (0..k).map(|t| confusion[t][c]).sum();
            let support: u64 = confusion[c].iter().sum();
            let precision = ratio(tp, predicted);
            let recall = ratio(tp, support);
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
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
