//! Settings search: choose feature and learner settings on validation data.
//!
//! A grid of settings is scored either on a separate validation set (train on the training
//! rows, score the validation rows) or by stratified k-fold cross-validation of the training
//! rows; the test data a user reports on never takes part. Settings that change the features
//! (n-gram length, min_df, character n-grams, block weights) are featurised once per grid
//! point; settings of the learner alone (C, class weights) reuse those features, so a grid of
//! many C values costs little more than one featurisation.
//!
//! The score of a grid point is the mean over heads of each head's metric: macro-F1, or F_avg
//! where the head has a positive / negative pair and [`Metric::FAvg`] is asked for.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::features::FeatureConfig;
use crate::logistic::{ClassWeight, LogisticRegression};
use crate::metrics::Report;
use crate::train::{
    Corpus, NO_LABEL, Resources, TrainOptions, cv_folds, evaluate_labelled, fit_features, fit_head,
    head_tie,
};

/// The settings to try. Each list holds the values of one setting; the grid is their product.
#[derive(Clone, Debug, Serialize)]
pub struct Grid {
    pub c: Vec<f64>,
    pub ngram_max: Vec<u8>,
    pub min_df: Vec<u32>,
    pub max_df: Vec<f32>,
    pub max_features: Vec<u32>,
    pub char_ngrams: Vec<Option<(u8, u8)>>,
    pub balanced: Vec<bool>,
    /// Group balance powers ([`LogisticRegression::group_power`]).
    pub group_power: Vec<f32>,
    /// Naive-Bayes feature scalings ([`LogisticRegression::nb_scale`]).
    #[serde(default)]
    pub nb_scale: Vec<f32>,
    pub dense_weight: Vec<f32>,
    pub window_weight: Vec<f32>,
    pub negation: Vec<bool>,
    pub stem: Vec<bool>,
    pub char_chunks: Vec<bool>,
    pub split_hashtags: Vec<bool>,
    pub ngrams_across_breaks: Vec<bool>,
    pub abbrev_dots: Vec<bool>,
    /// The negated block's weight, or `None` for no negated block
    /// ([`FeatureConfig::negated_block`]).
    pub negated: Vec<Option<f32>>,
    /// Character block weights ([`FeatureConfig::char_weight`]).
    pub char_weight: Vec<f32>,
    /// Per-unit character scoring ([`FeatureConfig::char_linear`]).
    pub char_linear: Vec<bool>,
}

impl Grid {
    /// A grid holding only the settings of `base`.
    pub fn single(base: &TrainOptions) -> Grid {
        Grid {
            c: vec![base.logistic.c],
            ngram_max: vec![base.features.ngram_max],
            min_df: vec![base.features.min_df],
            max_df: vec![base.features.max_df],
            max_features: vec![base.features.max_features],
            char_ngrams: vec![base.features.char_ngrams],
            balanced: vec![base.logistic.class_weight == ClassWeight::Balanced],
            group_power: vec![base.logistic.group_power],
            nb_scale: vec![base.logistic.nb_scale],
            dense_weight: vec![base.features.dense_weight],
            window_weight: vec![base.features.window_weight],
            negation: vec![base.features.negation],
            stem: vec![base.features.stem],
            char_chunks: vec![base.features.char_chunks],
            split_hashtags: vec![base.features.split_hashtags],
            ngrams_across_breaks: vec![base.features.ngrams_across_breaks],
            abbrev_dots: vec![base.features.abbrev_dots],
            negated: vec![
                base.features
                    .negated_block
                    .then_some(base.features.negated_weight),
            ],
            char_weight: vec![base.features.char_weight],
            char_linear: vec![base.features.char_linear],
        }
    }

    /// Number of grid points: feature configurations times learner settings.
    pub fn len(&self) -> usize {
        self.feature_configs(&FeatureConfig::default()).len()
            * self.learners(&LogisticRegression::default()).len()
    }

    /// Whether the grid is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The feature configurations of the grid (on top of `base`), in a fixed order.
    fn feature_configs(&self, base: &FeatureConfig) -> Vec<FeatureConfig> {
        let mut out = vec![base.clone()];
        // Expand one setting at a time; the first listed varies slowest. Where `varies` says a
        // setting makes no difference, its first value stands for all (no identical models).
        fn expand_where<T: Copy>(
            out: Vec<FeatureConfig>,
            values: &[T],
            varies: impl Fn(&FeatureConfig) -> bool,
            set: impl Fn(&mut FeatureConfig, T),
        ) -> Vec<FeatureConfig> {
            let mut next = Vec::with_capacity(out.len() * values.len());
            for c in out {
                let n = if varies(&c) { values.len() } else { 1 };
                for &v in values.iter().take(n) {
                    let mut c = c.clone();
                    set(&mut c, v);
                    next.push(c);
                }
            }
            next
        }
        fn expand<T: Copy>(
            out: Vec<FeatureConfig>,
            values: &[T],
            set: impl Fn(&mut FeatureConfig, T),
        ) -> Vec<FeatureConfig> {
            expand_where(out, values, |_| true, set)
        }
        out = expand(out, &self.ngram_max, |c, v| c.ngram_max = v);
        out = expand(out, &self.min_df, |c, v| c.min_df = v);
        out = expand(out, &self.max_df, |c, v| c.max_df = v);
        out = expand(out, &self.max_features, |c, v| c.max_features = v);
        out = expand(out, &self.char_ngrams, |c, v| c.char_ngrams = v);
        // The character block's weight and scoring matter only where there is one.
        let has_chars = |c: &FeatureConfig| c.char_ngrams.is_some();
        out = expand_where(out, &self.char_weight, has_chars, |c, v| c.char_weight = v);
        out = expand_where(out, &self.char_linear, has_chars, |c, v| c.char_linear = v);
        out = expand(out, &self.dense_weight, |c, v| c.dense_weight = v);
        out = expand(out, &self.window_weight, |c, v| c.window_weight = v);
        out = expand(out, &self.negation, |c, v| c.negation = v);
        out = expand(out, &self.stem, |c, v| c.stem = v);
        out = expand(out, &self.char_chunks, |c, v| c.char_chunks = v);
        out = expand(out, &self.split_hashtags, |c, v| c.split_hashtags = v);
        out = expand(out, &self.ngrams_across_breaks, |c, v| {
            c.ngrams_across_breaks = v
        });
        out = expand(out, &self.abbrev_dots, |c, v| c.abbrev_dots = v);
        out = expand(out, &self.negated, |c, v| {
            c.negated_block = v.is_some();
            if let Some(w) = v {
                c.negated_weight = w;
            }
        });
        out
    }

    /// The learner configurations of the grid (on top of `base`), in a fixed order.
    fn learners(&self, base: &LogisticRegression) -> Vec<LogisticRegression> {
        let mut out = Vec::new();
        for &nb_scale in &self.nb_scale {
            for &group_power in &self.group_power {
                for &balanced in &self.balanced {
                    for &c in &self.c {
                        out.push(LogisticRegression {
                            c,
                            class_weight: if balanced {
                                ClassWeight::Balanced
                            } else {
                                ClassWeight::Uniform
                            },
                            group_power,
                            nb_scale,
                            ..base.clone()
                        });
                    }
                }
            }
        }
        out
    }
}

/// What a grid point is scored by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Metric {
    MacroF1,
    /// F_avg on heads that have a positive / negative pair, macro-F1 on the others.
    FAvg,
}

/// Where the scores come from.
pub enum Validation<'a> {
    /// A separate labelled set: `labels[h][i]` indexes the training corpus's classes.
    Holdout {
        texts: &'a [String],
        labels: &'a [Vec<usize>],
    },
    /// Stratified k-fold cross-validation of the training rows; with `groups` (a group id per
    /// row: topic, outlet, ...), whole groups are held out together, which measures how the
    /// settings carry over to topics or sources the model has not seen.
    Folds {
        k: usize,
        seed: u64,
        groups: Option<&'a [usize]>,
    },
}

/// One scored grid point.
#[derive(Clone, Debug, Serialize)]
pub struct Trial {
    pub options: TrainOptions,
    /// Mean over heads of the per-head metric.
    pub score: f64,
    /// Per head: the metric.
    pub per_head: Vec<f64>,
    /// Whether every fit converged.
    pub converged: bool,
}

fn head_metric(r: &Report, metric: Metric) -> f64 {
    match (metric, &r.f_avg) {
        (Metric::FAvg, Some(f)) => f.value,
        _ => r.macro_f1,
    }
}

/// Score every point of `grid` (settings not in the grid come from `base`). Trials come back
/// in grid order; `progress` is called after each.
#[allow(clippy::too_many_arguments)]
pub fn tune(
    corpus: &Corpus,
    validation: Validation<'_>,
    res: &Resources,
    base: &TrainOptions,
    grid: &Grid,
    metric: Metric,
    favg: &[Option<(usize, usize)>],
    mut progress: impl FnMut(usize, &Trial),
) -> Result<Vec<Trial>> {
    if grid.is_empty() {
        return Err(Error::Invalid("the settings grid is empty".into()));
    }
    corpus.check()?;
    base.check_resources(res)?;
    for fc in grid.feature_configs(&base.features) {
        fc.validate()?;
    }
    for l in grid.learners(&base.logistic) {
        l.validate()?;
    }
    let nh = corpus.heads.len();
    let n = corpus.texts.len();
    // Splits: (training rows, scored rows); for a holdout, one split whose scored rows are
    // the validation set.
    let folds: Vec<(Vec<usize>, Vec<usize>)> = match &validation {
        Validation::Holdout { texts, labels } => {
            if labels.len() != nh || labels.iter().any(|l| l.len() != texts.len()) {
                return Err(Error::Invalid(
                    "validation labels do not match the heads".into(),
                ));
            }
            if texts.is_empty() {
                return Err(Error::Invalid("the validation set is empty".into()));
            }
            if let Some(h) = (0..nh).find(|&h| labels[h].iter().all(|&c| c == NO_LABEL)) {
                return Err(Error::Invalid(format!(
                    "no validation row has a label in column `{}`",
                    corpus.heads[h].column
                )));
            }
            vec![((0..n).collect(), Vec::new())]
        }
        Validation::Folds { k, seed, groups } => {
            let fold = cv_folds(corpus, *k, *seed, *groups)?;
            (0..*k)
                .map(|f| {
                    (
                        (0..n).filter(|&i| fold[i] != f).collect(),
                        (0..n).filter(|&i| fold[i] == f).collect(),
                    )
                })
                .collect()
        }
    };
    let learners = grid.learners(&base.logistic);
    let mut trials = Vec::new();
    for fc in grid.feature_configs(&base.features) {
        // proba[learner][head][row] over all scored rows, truth[head][row].
        let mut proba: Vec<Vec<Vec<Vec<f32>>>> = vec![vec![Vec::new(); nh]; learners.len()];
        let mut truth: Vec<Vec<usize>> = vec![Vec::new(); nh];
        let mut converged = vec![true; learners.len()];
        for (train_rows, test_rows) in &folds {
            let sub = corpus.subset(train_rows)?;
            let (featurizer, x) = fit_features(&sub.texts, res, &fc)?;
            let (xt, test_labels): (_, Vec<Vec<usize>>) = match &validation {
                Validation::Holdout { texts, labels } => {
                    (featurizer.transform_matrix(texts).0, labels.to_vec())
                }
                Validation::Folds { .. } => {
                    let t: Vec<&str> = test_rows
                        .iter()
                        .map(|&i| corpus.texts[i].as_str())
                        .collect();
                    let l = (0..nh)
                        .map(|h| test_rows.iter().map(|&i| corpus.labels[h][i]).collect())
                        .collect();
                    (featurizer.transform_matrix(&t).0, l)
                }
            };
            for (t, l) in truth.iter_mut().zip(&test_labels) {
                t.extend_from_slice(l);
            }
            for (li, learner) in learners.iter().enumerate() {
                for (h, out) in proba[li].iter_mut().enumerate() {
                    let k = corpus.classes[h].len();
                    let tie = head_tie(&featurizer, &corpus.heads[h], &corpus.classes[h], base);
                    let clf = fit_head(
                        learner,
                        &x,
                        &sub.labels[h],
                        k,
                        sub.groups.as_deref(),
                        tie.as_ref(),
                        &featurizer,
                    )?;
                    converged[li] &= clf.convergence.converged;
                    let p = clf.predict_proba(&xt);
                    out.extend(p.rows().into_iter().map(|r| r.to_vec()));
                }
            }
        }
        for (li, learner) in learners.iter().enumerate() {
            let per_head: Vec<f64> = (0..nh)
                .map(|h| {
                    let fa = favg.get(h).copied().flatten();
                    let r = evaluate_labelled(&corpus.classes[h], &truth[h], &proba[li][h], fa);
                    head_metric(&r, metric)
                })
                .collect();
            let trial = Trial {
                options: TrainOptions {
                    features: fc.clone(),
                    logistic: learner.clone(),
                    tie_target_stats: base.tie_target_stats,
                    tie_quoted_lexicon: base.tie_quoted_lexicon,
                    target_stats_on_other_heads: base.target_stats_on_other_heads,
                    lexicon_off_target_heads: base.lexicon_off_target_heads.clone(),
                },
                score: per_head.iter().sum::<f64>() / nh as f64,
                per_head,
                converged: converged[li],
            };
            trials.push(trial);
            progress(trials.len(), trials.last().unwrap());
        }
    }
    Ok(trials)
}

/// The best trial: highest score, ties to the earlier grid point.
pub fn best(trials: &[Trial]) -> Option<&Trial> {
    trials.iter().fold(None, |b: Option<&Trial>, t| match b {
        Some(b) if b.score >= t.score => Some(b),
        _ => Some(t),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{HeadSpec, stratified_group_folds};

    fn corpus() -> Corpus {
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for i in 0..30 {
            // Two FAVOR rows for each AGAINST row: a model regularised to nothing predicts
            // FAVOR everywhere.
            texts.push(format!("great wonderful support number {i}"));
            labels.push(vec!["FAVOR".to_string()]);
            texts.push(format!("good fine support number {i}"));
            labels.push(vec!["FAVOR".to_string()]);
            texts.push(format!("awful terrible oppose number {i}"));
            labels.push(vec!["AGAINST".to_string()]);
        }
        let heads = vec![HeadSpec {
            name: "stance".into(),
            column: "stance".into(),
            target_dependent: false,
        }];
        Corpus::new(texts, heads, &labels).unwrap()
    }

    #[test]
    fn grid_is_scored_in_order_and_the_best_is_chosen() {
        let c = corpus();
        let base = TrainOptions::default();
        let grid = Grid {
            c: vec![1e-6, 10.0],
            ngram_max: vec![1, 2],
            ..Grid::single(&base)
        };
        assert_eq!(grid.len(), 4);
        // Every setting of the grid is expanded.
        let full = Grid {
            max_df: vec![1.0, 0.5],
            max_features: vec![1000, 200_000],
            group_power: vec![0.0, 1.0],
            char_ngrams: vec![None, Some((2, 4))],
            dense_weight: vec![0.5, 1.0],
            window_weight: vec![0.5, 1.0],
            negation: vec![true, false],
            stem: vec![true, false],
            ngrams_across_breaks: vec![false, true],
            abbrev_dots: vec![true, false],
            negated: vec![None, Some(0.25)],
            min_df: vec![1, 2],
            balanced: vec![false, true],
            ..grid.clone()
        };
        let fc = full.feature_configs(&base.features);
        assert_eq!(fc.len() * full.learners(&base.logistic).len(), full.len());
        assert_eq!(fc.iter().filter(|c| !c.negation).count(), fc.len() / 2);
        assert_eq!(fc.iter().filter(|c| !c.stem).count(), fc.len() / 2);
        assert_eq!(
            fc.iter().filter(|c| c.ngrams_across_breaks).count(),
            fc.len() / 2
        );
        assert_eq!(fc.iter().filter(|c| c.abbrev_dots).count(), fc.len() / 2);
        assert_eq!(
            fc.iter()
                .filter(|c| c.negated_block && c.negated_weight == 0.25)
                .count(),
            fc.len() / 2
        );
        assert_eq!(fc.iter().filter(|c| c.max_df == 0.5).count(), fc.len() / 2);
        assert_eq!(
            fc.iter().filter(|c| c.max_features == 1000).count(),
            fc.len() / 2
        );
        let learners = full.learners(&base.logistic);
        assert_eq!(
            learners.iter().filter(|l| l.group_power == 1.0).count(),
            learners.len() / 2
        );
        let favg = vec![crate::metrics::default_polarity(&c.classes[0])];
        let mut seen = 0;
        let trials = tune(
            &c,
            Validation::Folds {
                k: 3,
                seed: 1,
                groups: None,
            },
            &Resources::default(),
            &base,
            &grid,
            Metric::FAvg,
            &favg,
            |n, _| seen = n,
        )
        .unwrap();
        assert_eq!(seen, 4);
        assert_eq!(trials.len(), 4);
        // Order: feature configs outer, C inner.
        assert_eq!(trials[0].options.features.ngram_max, 1);
        assert_eq!(trials[1].options.logistic.c, 10.0);
        // Separable data: C = 10 is perfect, C = 1e-6 predicts the majority class only.
        assert!(trials[0].score < 0.5, "{:?}", trials[0].per_head);
        assert!(
            (trials[1].score - 1.0).abs() < 1e-9,
            "{:?}",
            trials[1].per_head
        );
        let b = best(&trials).unwrap();
        assert_eq!(b.score, 1.0);
        assert_eq!(b.options.logistic.c, 10.0);
        assert_eq!(
            b.options.features.ngram_max, 1,
            "ties go to the earlier point"
        );
    }

    #[test]
    fn character_settings_multiply_only_points_with_character_ngrams() {
        let base = TrainOptions::default();
        let grid = Grid {
            c: vec![1.0, 2.0],
            char_ngrams: vec![None, Some((2, 4))],
            char_weight: vec![0.5, 1.0],
            char_linear: vec![false, true],
            ..Grid::single(&base)
        };
        let fc = grid.feature_configs(&base.features);
        // One point without character n-grams, 2 x 2 with them; each with two values of C.
        assert_eq!(fc.len(), 5);
        assert_eq!(grid.len(), 10);
        for (i, a) in fc.iter().enumerate() {
            assert!(fc[..i].iter().all(|b| b != a), "a repeated point: {a:?}");
        }
        assert_eq!(fc.iter().filter(|c| c.char_ngrams.is_none()).count(), 1);
    }

    #[test]
    fn group_folds_keep_groups_together_and_balance_sizes() {
        let groups: Vec<usize> = (0..100).map(|i| i % 10).collect();
        let labels = vec![0usize; 100];
        let group_folds = |g: &[usize], k, seed| stratified_group_folds(&labels, 1, g, k, seed);
        let f = group_folds(&groups, 5, 3);
        for g in 0..10 {
            let folds: Vec<usize> = (0..100).filter(|&i| groups[i] == g).map(|i| f[i]).collect();
            assert!(folds.iter().all(|&x| x == folds[0]), "group {g} split");
        }
        for k in 0..5 {
            assert_eq!(f.iter().filter(|&&x| x == k).count(), 20);
        }
        assert_eq!(f, group_folds(&groups, 5, 3), "deterministic");
    }

    #[test]
    fn holdout_scores_the_validation_rows() {
        let c = corpus();
        let texts = vec!["great wonderful".to_string(), "awful terrible".to_string()];
        let fav = c.classes[0].iter().position(|l| l == "FAVOR").unwrap();
        let ag = 1 - fav;
        let labels = vec![vec![fav, ag]];
        let base = TrainOptions::default();
        let score = |labels: &[Vec<usize>]| {
            tune(
                &c,
                Validation::Holdout {
                    texts: &texts,
                    labels,
                },
                &Resources::default(),
                &base,
                &Grid::single(&base),
                Metric::MacroF1,
                &[None],
                |_, _| {},
            )
            .unwrap()
        };
        let trials = score(&labels);
        assert_eq!(trials.len(), 1);
        assert_eq!(trials[0].per_head, vec![1.0]);
        // And a wrong validation set scores 0.
        let wrong = vec![vec![ag, fav]];
        let t = score(&wrong);
        assert_eq!(t[0].per_head, vec![0.0]);
    }
}
