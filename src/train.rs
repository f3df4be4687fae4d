//! Training: labelled texts -> a [`Model`], and k-fold cross-validation.
//!
//! [`train`] counts document frequencies, builds the vocabulary, featurises every text, sets the
//! dense features' scales from their spread over the training set, and fits one
//! [`LogisticRegression`] per head on the shared feature matrix. Everything is deterministic: the
//! same rows and options give a byte-identical model file, whatever the thread count.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::{Analyzer, FeatureConfig, Featurizer, VocabCounts, build_spec};
use crate::lexicon::Lexicon;
use crate::logistic::{FittedLogistic, LogisticRegression, Tie, dense_ids};
use crate::metrics::{self, Report};
use crate::model::{Head, Model, ModelFile, TrainingMeta};
use crate::sparse::CsrMatrix;
use crate::target::TargetSpec;
use crate::text::Residue;

/// One label column to learn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeadSpec {
    /// Head name in the model.
    pub name: String,
    /// CSV column.
    pub column: String,
    /// Whether documents without a target mention are left unscored on this head.
    pub target_dependent: bool,
}

/// All training options (saved as JSON in the model's metadata).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainOptions {
    pub features: FeatureConfig,
    pub logistic: LogisticRegression,
    /// On a head about the target whose labels have a polarity (pro / anti), hold the two
    /// poles' weights of the target statistics (mention rate, share of words near a mention,
    /// no mention) equal: how much a text is about the target may say whether it takes a side,
    /// never which ([`Tie`]). Default true.
    #[serde(default = "yes")]
    pub tie_target_stats: bool,
    /// The same for the lexicon rates inside quotations and reported speech (`lex@quote:`):
    /// what others are quoted as saying may mark a text that takes sides, but by the labelling
    /// guide it never sets which side the writer takes. Default true.
    #[serde(default = "yes")]
    pub tie_quoted_lexicon: bool,
    /// Let a head that is not about the target (framing: the outlet's lens) use the target
    /// statistics. Default false: how much a text is about the target says nothing about the
    /// lens it is written in, so such a head gives them no weight. A model's metadata without
    /// this field was trained before the rule, with them, and reads true.
    #[serde(default = "yes")]
    pub target_stats_on_other_heads: bool,
    /// Lexicon categories whose rates (every voice: `lex:`, `lex@target:`, `lex@quote:`) a head
    /// about the target does not use. Meant for the framing vocabulary: by the labelling guide
    /// stance and framing are independent, so the words that say which lens a text reads
    /// through ("loyal to Iran", "the resistance") should not be what says which side it takes
    /// on him (an anti-militia text can still be hostile to him). Default none (then left out of the
    /// metadata, so a model trained without it keeps its bytes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lexicon_off_target_heads: Vec<String>,
}

fn yes() -> bool {
    true
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            features: FeatureConfig::default(),
            logistic: LogisticRegression::default(),
            tie_target_stats: true,
            tie_quoted_lexicon: true,
            target_stats_on_other_heads: false,
            lexicon_off_target_heads: Vec::new(),
        }
    }
}

/// The weights a head's fit holds equal (see [`TrainOptions::tie_target_stats`] and
/// [`TrainOptions::tie_quoted_lexicon`]): for a head about the target with a polarity, its two
/// poles' weights of the target statistics and of the quoted lexicon rates. And the weights it
/// holds at 0: on a head about the target, the lexicon rates of
/// [`TrainOptions::lexicon_off_target_heads`]; on another head, the target statistics (unless
/// [`TrainOptions::target_stats_on_other_heads`]).
pub fn head_tie(
    featurizer: &Featurizer,
    head: &HeadSpec,
    classes: &[String],
    opts: &TrainOptions,
) -> Option<Tie> {
    if !featurizer.has_target() {
        return None;
    }
    let dense = featurizer.layout().dense as usize;
    let dense_where = |keep: &dyn Fn(&str) -> bool| -> Vec<usize> {
        featurizer
            .dense_names()
            .iter()
            .enumerate()
            .filter(|(_, n)| keep(n))
            .map(|(d, _)| dense + d)
            .collect()
    };
    if !head.target_dependent {
        if opts.target_stats_on_other_heads {
            return None;
        }
        let frozen = dense_where(&|n| n.starts_with("target:"));
        return (!frozen.is_empty()).then_some(Tie {
            frozen,
            ..Tie::default()
        });
    }
    // `lex:C`, `lex@target:C`, `lex@quote:C` of the categories the head does not use.
    let off = |n: &str| {
        n.starts_with("lex")
            && n.split_once(':')
                .is_some_and(|(_, c)| opts.lexicon_off_target_heads.iter().any(|x| x == c))
    };
    let frozen = dense_where(&off);
    let Some((pos, neg)) = metrics::default_polarity(classes) else {
        return (!frozen.is_empty()).then_some(Tie {
            frozen,
            ..Tie::default()
        });
    };
    let features = dense_where(&|n| {
        !off(n)
            && (opts.tie_target_stats && n.starts_with("target:")
                || opts.tie_quoted_lexicon && n.starts_with("lex@quote:"))
    });
    (!features.is_empty() || !frozen.is_empty()).then_some(Tie {
        features,
        classes: (pos, neg),
        frozen,
    })
}

impl TrainOptions {
    /// Check the feature and learner settings before any data is read.
    pub fn validate(&self) -> Result<()> {
        self.features.validate()?;
        self.logistic.validate()
    }

    /// Check the options that name lexicon categories against the lexicon they will use.
    pub fn check_resources(&self, res: &Resources) -> Result<()> {
        let categories = res.lexicon.categories();
        match self
            .lexicon_off_target_heads
            .iter()
            .find(|c| !categories.contains(c))
        {
            Some(c) => Err(Error::Invalid(format!(
                "--lexicon-off-target-heads names `{c}`, which is not a category of the lexicon ({})",
                categories.join(", ")
            ))),
            None => Ok(()),
        }
    }
}

/// The data files' contents a model snapshots.
#[derive(Clone, Debug, Default)]
pub struct Resources {
    /// Residue list source text.
    pub residue: String,
    pub target: Option<TargetSpec>,
    pub lexicon: Lexicon,
}

/// Labelled texts: `labels[h][i]` is row i's label index for head h, into `classes[h]`.
#[derive(Clone, Debug)]
pub struct Corpus {
    pub texts: Vec<String>,
    pub heads: Vec<HeadSpec>,
    pub classes: Vec<Vec<String>>,
    pub labels: Vec<Vec<usize>>,
    /// A group id per row (the outlet or topic it came from; any numbers), for a learner that
    /// balances groups ([`LogisticRegression::group_power`]); `None` when the data names none.
    pub groups: Option<Vec<usize>>,
}

/// In [`Corpus::labels`]: the row has no label for that head (see [`Corpus::new_partial`]).
pub const NO_LABEL: usize = usize::MAX;

impl Corpus {
    /// Build from texts and string labels (`labels[i][h]`: one row per text, one label per
    /// head); classes are the sorted distinct labels.
    pub fn new(texts: Vec<String>, heads: Vec<HeadSpec>, labels: &[Vec<String>]) -> Result<Corpus> {
        let labels: Vec<Vec<Option<String>>> = labels
            .iter()
            .map(|r| r.iter().cloned().map(Some).collect())
            .collect();
        Self::new_partial(texts, heads, &labels)
    }

    /// [`Corpus::new`] where a row may lack the label of some heads (`None`): it is
    /// [`NO_LABEL`] in [`Corpus::labels`], and [`train`] fits each head on the rows that have
    /// its label. Cross-validation and the settings search need every label.
    pub fn new_partial(
        texts: Vec<String>,
        heads: Vec<HeadSpec>,
        labels: &[Vec<Option<String>>],
    ) -> Result<Corpus> {
        if heads.is_empty() {
            return Err(Error::Invalid(
                "a corpus needs at least one head (label column)".into(),
            ));
        }
        if labels.len() != texts.len() {
            return Err(Error::Invalid(format!(
                "{} label rows for {} texts",
                labels.len(),
                texts.len()
            )));
        }
        if let Some((i, r)) = labels
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != heads.len())
        {
            return Err(Error::Invalid(format!(
                "label row {i} has {} labels for {} heads",
                r.len(),
                heads.len()
            )));
        }
        let mut classes = Vec::new();
        let mut idx = Vec::new();
        for (h, head) in heads.iter().enumerate() {
            let mut c: Vec<String> = labels.iter().filter_map(|r| r[h].clone()).collect();
            c.sort();
            c.dedup();
            if c.len() < 2 {
                return Err(Error::Invalid(format!(
                    "head `{}` (column `{}`) needs at least 2 distinct labels, found {}",
                    head.name,
                    head.column,
                    c.len()
                )));
            }
            idx.push(
                labels
                    .iter()
                    .map(|r| {
                        r[h].as_ref()
                            .map_or(NO_LABEL, |l| c.binary_search(l).expect("label present"))
                    })
                    .collect(),
            );
            classes.push(c);
        }
        Ok(Corpus {
            texts,
            heads,
            classes,
            labels: idx,
            groups: None,
        })
    }

    /// Attach a group id per row.
    pub fn with_groups(mut self, groups: Vec<usize>) -> Result<Corpus> {
        if groups.len() != self.texts.len() {
            return Err(Error::Invalid(format!(
                "{} group ids for {} rows",
                groups.len(),
                self.texts.len()
            )));
        }
        self.groups = Some(groups);
        Ok(self)
    }

    /// Check that the fields agree (they are public, so a corpus need not come from
    /// [`Corpus::new`]): at least one head, a class list and a label per row for each, labels
    /// within their classes, and a group per row when there are groups.
    pub fn check(&self) -> Result<()> {
        let n = self.texts.len();
        let bad = |m: String| Err(Error::Invalid(format!("inconsistent corpus: {m}")));
        if self.heads.is_empty() {
            return bad("no heads".into());
        }
        if self.classes.len() != self.heads.len() || self.labels.len() != self.heads.len() {
            return bad(format!(
                "{} heads, {} class lists and {} label columns",
                self.heads.len(),
                self.classes.len(),
                self.labels.len()
            ));
        }
        for (h, (labels, classes)) in self.labels.iter().zip(&self.classes).enumerate() {
            let name = &self.heads[h].name;
            if labels.len() != n {
                return bad(format!(
                    "{} labels of head `{name}` for {n} texts",
                    labels.len()
                ));
            }
            if let Some(&c) = labels
                .iter()
                .find(|&&c| c >= classes.len() && c != NO_LABEL)
            {
                return bad(format!(
                    "label index {c} of head `{name}`, which has {} classes",
                    classes.len()
                ));
            }
        }
        match &self.groups {
            Some(g) if g.len() != n => bad(format!("{} group ids for {n} texts", g.len())),
            _ => Ok(()),
        }
    }

    /// Whether every row has a label for every head (no [`NO_LABEL`]).
    pub fn is_complete(&self) -> bool {
        self.labels.iter().all(|l| !l.contains(&NO_LABEL))
    }

    /// The rows listed in `rows` (indices into this corpus: one past its end is an error, as is
    /// a corpus that fails [`Corpus::check`]).
    pub fn subset(&self, rows: &[usize]) -> Result<Corpus> {
        self.check()?;
        let n = self.texts.len();
        if let Some(&i) = rows.iter().find(|&&i| i >= n) {
            return Err(Error::Invalid(format!(
                "row {i} is not in the corpus, which has {n} rows"
            )));
        }
        Ok(Corpus {
            texts: rows.iter().map(|&i| self.texts[i].clone()).collect(),
            heads: self.heads.clone(),
            classes: self.classes.clone(),
            labels: self
                .labels
                .iter()
                .map(|l| rows.iter().map(|&i| l[i]).collect())
                .collect(),
            groups: self
                .groups
                .as_ref()
                .map(|g| rows.iter().map(|&i| g[i]).collect()),
        })
    }
}

/// What happened during training, for the user (not saved).
#[derive(Clone, Debug)]
pub struct TrainReport {
    /// With a target: how many training texts never mention it (a model trained for one
    /// figure on texts about another reads them all as "not mentioned").
    pub rows_without_target: Option<usize>,
    pub vocabulary: usize,
    pub features: usize,
    pub nnz: usize,
    pub featurise_time: Duration,
    pub fit_time: Vec<Duration>,
    /// Per head: the rows it was fitted on (those with its label).
    pub rows_per_head: Vec<usize>,
}

/// Fit the feature pipeline on `texts` and return the featurizer and the training matrix
/// (`cfg` is checked before any text is read).
pub fn fit_features(
    texts: &[String],
    res: &Resources,
    cfg: &FeatureConfig,
) -> Result<(Featurizer, CsrMatrix)> {
    fit_features_counting_mentions(texts, res, cfg).map(|(f, x, _)| (f, x))
}

/// [`fit_features`], also returning each text's count of target mentions.
fn fit_features_counting_mentions(
    texts: &[String],
    res: &Resources,
    cfg: &FeatureConfig,
) -> Result<(Featurizer, CsrMatrix, Vec<usize>)> {
    let residue = Residue::parse(&res.residue, std::path::Path::new("<residue list>"))?;
    let analyzer = Analyzer::new(residue, res.target.as_ref(), cfg)?;
    let counts = VocabCounts::count(&analyzer, cfg, texts)?;
    let mut spec = build_spec(
        cfg.clone(),
        res.residue.clone(),
        res.target.clone(),
        res.lexicon.clone(),
        &counts,
    )?;
    let raw = Featurizer::from_spec(spec.clone())?;
    let (mut x, mentions) = raw.transform_matrix(texts);
    // Dense scales: each column to unit variance over the training rows, then the block to the
    // expected norm `dense_weight` like the other blocks (so divide by sqrt(columns)); 0 for a
    // constant column.
    let dense = raw.layout().dense;
    let nd = spec.dense_scale.len();
    let (mut sum, mut sq, mut max) = (vec![0f64; nd], vec![0f64; nd], vec![0f32; nd]);
    for i in 0..x.nrows() {
        let (cols, vals) = x.row(i);
        for (&j, &v) in cols.iter().zip(vals) {
            if j >= dense {
                sum[(j - dense) as usize] += v as f64;
                sq[(j - dense) as usize] += (v as f64) * (v as f64);
                max[(j - dense) as usize] = max[(j - dense) as usize].max(v);
            }
        }
    }
    let n = x.nrows().max(1) as f64;
    let block = (nd.max(1) as f64).sqrt();
    for d in 0..nd {
        let mean = sum[d] / n;
        let sd = (sq[d] / n - mean * mean).max(0.0).sqrt();
        spec.dense_scale[d] = if sd > 1e-6 {
            (cfg.dense_weight as f64 / (sd * block)) as f32
        } else {
            0.0
        };
    }
    spec.dense_max = max;
    let scale = spec.dense_scale.clone();
    x.scale_columns(|j| {
        if j >= dense {
            scale[(j - dense) as usize]
        } else {
            1.0
        }
    });
    Ok((Featurizer::from_spec(spec)?, x, mentions))
}

/// Train a model. The options are checked ([`TrainOptions::validate`]) before any text is read.
pub fn train(
    corpus: &Corpus,
    res: &Resources,
    opts: &TrainOptions,
    meta: TrainingMeta,
) -> Result<(Model, TrainReport)> {
    opts.validate()?;
    opts.check_resources(res)?;
    corpus.check()?;
    if corpus.texts.is_empty() {
        return Err(Error::Invalid("no training rows".into()));
    }
    let t0 = Instant::now();
    let (featurizer, x, mentions) =
        fit_features_counting_mentions(&corpus.texts, res, &opts.features)?;
    let featurise_time = t0.elapsed();
    let mut heads = Vec::new();
    let mut fit_time = Vec::new();
    let mut rows_per_head = Vec::new();
    for (h, spec) in corpus.heads.iter().enumerate() {
        let t = Instant::now();
        let k = corpus.classes[h].len();
        let tie = head_tie(&featurizer, spec, &corpus.classes[h], opts);
        // A head fits on the rows that have its label (all of them, usually).
        rows_per_head.push(corpus.labels[h].iter().filter(|&&c| c != NO_LABEL).count());
        let clf = fit_head(
            &opts.logistic,
            &x,
            &corpus.labels[h],
            k,
            corpus.groups.as_deref(),
            tie.as_ref(),
            &featurizer,
        )?;
        fit_time.push(t.elapsed());
        let mut counts = vec![0u64; k];
        for &c in corpus.labels[h].iter().filter(|&&c| c != NO_LABEL) {
            counts[c] += 1;
        }
        heads.push(Head {
            name: spec.name.clone(),
            column: spec.column.clone(),
            labels: corpus.classes[h].clone(),
            target_dependent: spec.target_dependent && featurizer.has_target(),
            polarity: metrics::default_polarity(&corpus.classes[h])
                .map(|(p, n)| (p as u32, n as u32)),
            counts,
            classifier: clf,
        });
    }
    let report = TrainReport {
        rows_without_target: featurizer
            .has_target()
            .then(|| mentions.iter().filter(|&&m| m == 0).count()),
        vocabulary: featurizer.spec().terms.len(),
        features: featurizer.n_features(),
        nnz: x.nnz(),
        featurise_time,
        fit_time,
        rows_per_head,
    };
    let model = Model::new(ModelFile {
        features: featurizer.spec().clone(),
        heads,
        meta,
    })?;
    Ok((model, report))
}

/// Options as saved in a model's metadata.
pub fn options_json(opts: &TrainOptions) -> String {
    serde_json::to_string(opts).expect("options serialise")
}

/// A tiny deterministic generator (SplitMix64): fold assignment, synthetic corpora.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next 64 random bits.
    // Not an `Iterator`: it never ends, and an `Option` at every call site would only be noise.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Shuffle `v` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// Fit one head on the rows of `x` that have its label (`y[i]` not [`NO_LABEL`]; all rows,
/// usually), with their groups.
pub(crate) fn fit_head(
    learner: &LogisticRegression,
    x: &CsrMatrix,
    y: &[usize],
    k: usize,
    groups: Option<&[usize]>,
    tie: Option<&Tie>,
    featurizer: &Featurizer,
) -> Result<FittedLogistic> {
    // Naive-Bayes scaling (when on) applies to the term columns, not to the dense block.
    let terms = featurizer.layout().dense as usize;
    if !y.contains(&NO_LABEL) {
        return learner.fit_grouped_scaling(x, y, k, groups, tie, terms);
    }
    let labelled: Vec<usize> = (0..y.len()).filter(|&i| y[i] != NO_LABEL).collect();
    let yl: Vec<usize> = labelled.iter().map(|&i| y[i]).collect();
    let gl: Option<Vec<usize>> = groups.map(|g| labelled.iter().map(|&i| g[i]).collect());
    learner.fit_grouped_scaling(&x.select_rows(&labelled), &yl, k, gl.as_deref(), tie, terms)
}

/// The classes folds are stratified on: the first head's, with the rows that have no label for
/// it as one more class (so they are spread over the folds too).
fn fold_strata(corpus: &Corpus) -> (Vec<usize>, usize) {
    let k = corpus.classes[0].len();
    let strata = corpus.labels[0]
        .iter()
        .map(|&c| if c == NO_LABEL { k } else { c })
        .collect();
    (strata, k + 1)
}

/// Each row's fold for `k`-fold cross-validation of `corpus` (`cross_validate`, `tune`):
/// stratified on [`fold_strata`], groups kept together when given; an error when the rows
/// cannot fill the folds or a head would have no labelled row to learn from in some fold.
pub(crate) fn cv_folds(
    corpus: &Corpus,
    k: usize,
    seed: u64,
    groups: Option<&[usize]>,
) -> Result<Vec<usize>> {
    check_folds(corpus.texts.len(), k, groups)?;
    let (strata, n_strata) = fold_strata(corpus);
    let fold = match groups {
        Some(g) => stratified_group_folds(&strata, n_strata, g, k, seed),
        None => stratified_folds(&strata, n_strata, k, seed),
    };
    check_labelled_folds(corpus, &fold, k)?;
    Ok(fold)
}

/// [`metrics::evaluate`] over the rows that have a label (`truth[i]` not [`NO_LABEL`]).
pub(crate) fn evaluate_labelled(
    classes: &[String],
    truth: &[usize],
    proba: &[Vec<f32>],
    favg: Option<(usize, usize)>,
) -> Report {
    let (t, p): (Vec<usize>, Vec<Vec<f32>>) = truth
        .iter()
        .zip(proba)
        .filter(|(t, _)| **t != NO_LABEL)
        .map(|(t, p)| (*t, p.clone()))
        .unzip();
    metrics::evaluate(classes, &t, &p, favg)
}

/// Check that every head has a labelled row in the training part of every fold (`fold[i]`:
/// row i's fold), naming the first that has not.
fn check_labelled_folds(corpus: &Corpus, fold: &[usize], k: usize) -> Result<()> {
    for (h, labels) in corpus.labels.iter().enumerate() {
        for f in 0..k {
            if !(0..labels.len()).any(|i| fold[i] != f && labels[i] != NO_LABEL) {
                return Err(Error::Invalid(format!(
                    "head `{}`: no row outside fold {} has a label in column `{}` (label more \
                     rows or use fewer folds)",
                    corpus.heads[h].name,
                    f + 1,
                    corpus.heads[h].column
                )));
            }
        }
    }
    Ok(())
}

/// Stratified fold of every row: rows of each class are shuffled (seeded) and dealt round-robin
/// ([`stratified_group_folds`] with every row its own group).
pub fn stratified_folds(labels: &[usize], n_classes: usize, k: usize, seed: u64) -> Vec<usize> {
    let own: Vec<usize> = (0..labels.len()).collect();
    stratified_group_folds(labels, n_classes, &own, k, seed)
}

/// Check that `n` rows (in `groups`, when given: row i's group id) can fill `k` folds.
pub fn check_folds(n: usize, k: usize, groups: Option<&[usize]>) -> Result<()> {
    if k < 2 || k > n {
        return Err(Error::Invalid(format!(
            "folds must be between 2 and the number of rows ({n}), not {k}"
        )));
    }
    if let Some(g) = groups {
        if g.len() != n {
            return Err(Error::Invalid("one group per row is needed".into()));
        }
        let mut d = g.to_vec();
        d.sort_unstable();
        d.dedup();
        if d.len() < k {
            return Err(Error::Invalid(format!(
                "{} groups cannot fill {k} folds",
                d.len()
            )));
        }
    }
    Ok(())
}

/// Stratified folds that keep groups together: `groups[i]` is row i's group id (a passage and
/// its counterfactual edit, a topic, an outlet; any number). Each group takes the class of its
/// first row.
/// The groups of each class, shuffled (seeded) and then largest first, go one by one to the fold
/// holding the fewest rows of that class, and among those the fewest rows in all: classes are
/// spread evenly and folds come out of similar size even when groups are large. With every row
/// its own group this deals rows round-robin, class after class ([`stratified_folds`]).
pub fn stratified_group_folds(
    labels: &[usize],
    n_classes: usize,
    groups: &[usize],
    k: usize,
    seed: u64,
) -> Vec<usize> {
    // Ids renumbered in their order: the same folds as the ids themselves would give.
    let (groups, n_groups) = dense_ids(groups);
    let mut class_of = vec![usize::MAX; n_groups];
    let mut size = vec![0usize; n_groups];
    for (&g, &c) in groups.iter().zip(labels) {
        if class_of[g] == usize::MAX {
            class_of[g] = c;
        }
        size[g] += 1;
    }
    let mut rng = SplitMix(seed);
    let mut fold_of = vec![0usize; n_groups];
    let k = k.max(1);
    let mut load = vec![0usize; k];
    for c in 0..n_classes {
        let mut gs: Vec<usize> = (0..n_groups).filter(|&g| class_of[g] == c).collect();
        rng.shuffle(&mut gs);
        // Stable: groups of one size keep their shuffled order.
        gs.sort_by_key(|&g| std::cmp::Reverse(size[g]));
        let mut in_class = vec![0usize; k];
        for g in gs {
            let f = (0..k)
                .min_by_key(|&f| (in_class[f], load[f], f))
                .expect("at least one fold");
            fold_of[g] = f;
            in_class[f] += size[g];
            load[f] += size[g];
        }
    }
    groups.iter().map(|&g| fold_of[g]).collect()
}

/// Cross-validation results.
#[derive(Clone, Debug, Serialize)]
pub struct CvReport {
    pub folds: usize,
    /// Per head: metrics over all out-of-fold predictions.
    pub pooled: Vec<(String, Report)>,
    /// Per head: macro-F1 of each fold, over the classes present in the fold's truth or
    /// predictions ([`Report::macro_f1_present`]: a fold without a rare class is not scored
    /// 0 on it).
    pub fold_macro_f1: Vec<(String, Vec<f64>)>,
    /// Out-of-fold probabilities per head (`oof[h][i]`; empty for a row without that head's
    /// label).
    #[serde(skip)]
    pub oof: Vec<Vec<Vec<f32>>>,
}

/// Stratified k-fold cross-validation (on the first head's labels). With `groups` (row i's
/// group id), rows of one group stay in one fold ([`stratified_group_folds`]). A row labelled
/// for some heads only is trained on and scored for those ([`NO_LABEL`]). The options are
/// checked ([`TrainOptions::validate`]) before any text is read.
#[allow(clippy::too_many_arguments)]
pub fn cross_validate(
    corpus: &Corpus,
    res: &Resources,
    opts: &TrainOptions,
    k: usize,
    seed: u64,
    groups: Option<&[usize]>,
    favg: &[Option<(usize, usize)>],
    mut progress: impl FnMut(usize),
) -> Result<CvReport> {
    opts.validate()?;
    opts.check_resources(res)?;
    corpus.check()?;
    let n = corpus.texts.len();
    let fold = cv_folds(corpus, k, seed, groups)?;
    let nh = corpus.heads.len();
    let mut oof: Vec<Vec<Vec<f32>>> = (0..nh).map(|_| vec![Vec::new(); n]).collect();
    let mut fold_truth: Vec<Vec<Vec<usize>>> = vec![vec![Vec::new(); k]; nh];
    let mut fold_proba: Vec<Vec<Vec<Vec<f32>>>> = vec![vec![Vec::new(); k]; nh];
    for f in 0..k {
        let train_rows: Vec<usize> = (0..n).filter(|&i| fold[i] != f).collect();
        let test_rows: Vec<usize> = (0..n).filter(|&i| fold[i] == f).collect();
        let sub = corpus.subset(&train_rows)?;
        let (featurizer, x) = fit_features(&sub.texts, res, &opts.features)?;
        let test_texts: Vec<&str> = test_rows
            .iter()
            .map(|&i| corpus.texts[i].as_str())
            .collect();
        let (xt, _) = featurizer.transform_matrix(&test_texts);
        for h in 0..nh {
            let kc = corpus.classes[h].len();
            let tie = head_tie(&featurizer, &corpus.heads[h], &corpus.classes[h], opts);
            let clf: FittedLogistic = fit_head(
                &opts.logistic,
                &x,
                &sub.labels[h],
                kc,
                sub.groups.as_deref(),
                tie.as_ref(),
                &featurizer,
            )?;
            let p = clf.predict_proba(&xt);
            for (r, &i) in test_rows.iter().enumerate() {
                if corpus.labels[h][i] == NO_LABEL {
                    continue;
                }
                let row = p.row(r).to_vec();
                fold_truth[h][f].push(corpus.labels[h][i]);
                fold_proba[h][f].push(row.clone());
                oof[h][i] = row;
            }
        }
        progress(f + 1);
    }
    let mut pooled = Vec::new();
    let mut fold_macro_f1 = Vec::new();
    for h in 0..nh {
        let fa = favg.get(h).copied().flatten();
        pooled.push((
            corpus.heads[h].name.clone(),
            evaluate_labelled(&corpus.classes[h], &corpus.labels[h], &oof[h], fa),
        ));
        fold_macro_f1.push((
            corpus.heads[h].name.clone(),
            (0..k)
                .map(|f| {
                    metrics::evaluate(&corpus.classes[h], &fold_truth[h][f], &fold_proba[h][f], fa)
                        .macro_f1_present()
                })
                .collect(),
        ));
    }
    Ok(CvReport {
        folds: k,
        pooled,
        fold_macro_f1,
        oof,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::Lexicon;
    use crate::logistic::group_weights;
    use crate::target::TargetSpec;

    #[test]
    fn folds_are_stratified_and_seeded() {
        let labels: Vec<usize> = (0..100).map(|i| if i < 70 { 0 } else { 1 }).collect();
        let f = stratified_folds(&labels, 2, 5, 42);
        for k in 0..5 {
            let zeros = (0..100).filter(|&i| f[i] == k && labels[i] == 0).count();
            let ones = (0..100).filter(|&i| f[i] == k && labels[i] == 1).count();
            assert_eq!((zeros, ones), (14, 6));
        }
        assert_eq!(f, stratified_folds(&labels, 2, 5, 42));
        assert_ne!(f, stratified_folds(&labels, 2, 5, 43));
    }

    #[test]
    fn rows_without_the_first_heads_label_are_a_stratum_and_every_fold_needs_labels() {
        let heads = ["stance", "framing"].map(|n| HeadSpec {
            name: n.into(),
            column: n.into(),
            target_dependent: false,
        });
        let l = |s: Option<&str>, f: Option<&str>| vec![s.map(String::from), f.map(String::from)];
        let labels = vec![
            l(Some("anti"), Some("neutral")),
            l(None, Some("opposition")),
            l(Some("pro"), None),
            l(None, Some("neutral")),
            l(Some("anti"), None),
            l(Some("pro"), None),
        ];
        let texts = (0..6).map(|i| format!("text {i}")).collect();
        let c = Corpus::new_partial(texts, heads.to_vec(), &labels).unwrap();
        let (strata, n) = fold_strata(&c);
        assert_eq!((strata, n), (vec![0, 2, 1, 2, 0, 1], 3));
        // Framing is labelled on rows 0, 1 and 3: folds that leave one of them outside every
        // fold pass; a fold holding all three leaves the framing head nothing to learn from.
        assert!(check_labelled_folds(&c, &[0, 1, 0, 1, 0, 1], 2).is_ok());
        let e = check_labelled_folds(&c, &[0, 0, 1, 0, 1, 1], 2).unwrap_err();
        assert!(
            e.to_string()
                .contains("head `framing`: no row outside fold 1"),
            "{e}"
        );
    }

    /// Resources with the target "Kazemi", no residue list, and `lexicon`.
    fn kazemi_resources(lexicon: Lexicon) -> Resources {
        Resources {
            residue: String::new(),
            target: Some(TargetSpec {
                name: "Kazemi".into(),
                aliases: vec![],
                notes: None,
            }),
            lexicon,
        }
    }

    #[test]
    fn dense_features_are_scaled_and_clamped_to_the_training_range() {
        let texts: Vec<String> = (0..12)
            .map(|i| {
                format!(
                    "Kazemi spoke {} times about the budget and the militias.",
                    i % 4
                )
            })
            .chain((0..12).map(|i| format!("Officials met {i} times; Kazemi and Kazemi agreed.")))
            .collect();
        let res = kazemi_resources(Lexicon::default());
        let (f, x) = fit_features(&texts, &res, &FeatureConfig::default()).unwrap();
        let lay = f.layout().clone();
        let names = f.dense_names();
        let k = names.iter().position(|n| n == "target:per_1k").unwrap() as u32;
        let col = |v: &crate::sparse::SparseVec| v.get(lay.dense + k);
        let train_max = (0..x.nrows())
            .map(|i| col(&x.row_vec(i)))
            .fold(0f32, f32::max);
        // Unit variance per column, block norm 1: the training column's spread matches.
        let vals: Vec<f64> = (0..x.nrows()).map(|i| col(&x.row_vec(i)) as f64).collect();
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        let sd = (vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / vals.len() as f64).sqrt();
        assert!(
            (sd * (names.len() as f64).sqrt() - 1.0).abs() < 1e-3,
            "sd {sd}"
        );
        // Fifty mentions, far beyond training: clamped to the training maximum.
        let long = "Kazemi ".repeat(50);
        assert_eq!(col(&f.transform(&long)), train_max);
        // Training rows and a fresh transform agree bit for bit.
        assert_eq!(f.transform(&texts[3]), x.row_vec(3));
    }

    #[test]
    fn ties_cover_the_target_statistics_and_quoted_lexicon_of_a_polar_target_head() {
        let texts: Vec<String> = (0..6)
            .map(|i| format!("Kazemi failed, the factions said {i} times."))
            .collect();
        let res = kazemi_resources(
            Lexicon::parse("criticism\tfailed\t1\n", std::path::Path::new("l.tsv")).unwrap(),
        );
        let cfg = FeatureConfig {
            min_df: 1,
            ..FeatureConfig::default()
        };
        let (f, _) = fit_features(&texts, &res, &cfg).unwrap();
        let head = |target_dependent| HeadSpec {
            name: "stance".into(),
            column: "stance".into(),
            target_dependent,
        };
        let stance: Vec<String> = ["anti", "neutral", "pro"].map(String::from).to_vec();
        let names = |t: &Tie| -> Vec<String> {
            t.features
                .iter()
                .map(|&j| f.feature_name(j as u32))
                .collect()
        };
        let on = TrainOptions::default();
        let t = head_tie(&f, &head(true), &stance, &on).unwrap();
        // Pro (2) and anti (0) share each weight.
        assert_eq!(t.classes, (2, 0));
        assert_eq!(
            names(&t),
            [
                "lex@quote:criticism",
                "target:per_1k",
                "target:window_share",
                "target:absent"
            ]
        );
        let only_stats = TrainOptions {
            tie_quoted_lexicon: false,
            ..TrainOptions::default()
        };
        let t = head_tie(&f, &head(true), &stance, &only_stats).unwrap();
        assert!(names(&t).iter().all(|n| n.starts_with("target:")));
        let off = TrainOptions {
            tie_target_stats: false,
            tie_quoted_lexicon: false,
            ..TrainOptions::default()
        };
        assert!(head_tie(&f, &head(true), &stance, &off).is_none());
        assert!(t.frozen.is_empty());
        // Labels without a polarity: nothing tied.
        let framing: Vec<String> = ["neutral", "opposition", "pro_iran"]
            .map(String::from)
            .to_vec();
        assert!(head_tie(&f, &head(true), &framing, &on).is_none());
        // Not a head about the target: nothing tied, the target statistics held at 0, unless
        // asked for.
        let t = head_tie(&f, &head(false), &framing, &on).unwrap();
        assert!(t.features.is_empty());
        let frozen: Vec<String> = t.frozen.iter().map(|&j| f.feature_name(j as u32)).collect();
        assert_eq!(
            frozen,
            ["target:per_1k", "target:window_share", "target:absent"]
        );
        let every_head = TrainOptions {
            target_stats_on_other_heads: true,
            ..TrainOptions::default()
        };
        assert!(head_tie(&f, &head(false), &stance, &every_head).is_none());
    }

    #[test]
    fn lexicon_off_target_heads_holds_a_category_at_zero_on_the_stance_head_only() {
        let texts: Vec<String> = (0..6)
            .map(|i| format!("Kazemi failed the militias, the factions said {i} times."))
            .collect();
        let res = kazemi_resources(
            Lexicon::parse(
                "criticism\tfailed\t1\nopposition_framing\tmilitias\t1\n",
                std::path::Path::new("l.tsv"),
            )
            .unwrap(),
        );
        let cfg = FeatureConfig {
            min_df: 1,
            ..FeatureConfig::default()
        };
        let (f, _) = fit_features(&texts, &res, &cfg).unwrap();
        let head = |target_dependent| HeadSpec {
            name: "h".into(),
            column: "h".into(),
            target_dependent,
        };
        let opts = TrainOptions {
            lexicon_off_target_heads: vec!["opposition_framing".into()],
            ..TrainOptions::default()
        };
        opts.check_resources(&res).unwrap();
        let name = |j: &usize| f.feature_name(*j as u32);
        let stance: Vec<String> = ["anti", "neutral", "pro"].map(String::from).to_vec();
        let t = head_tie(&f, &head(true), &stance, &opts).unwrap();
        let frozen: Vec<String> = t.frozen.iter().map(name).collect();
        assert_eq!(
            frozen,
            [
                "lex:opposition_framing",
                "lex@target:opposition_framing",
                "lex@quote:opposition_framing"
            ]
        );
        // The quoted rate is held at 0, not also tied; the other category is tied as before.
        let tied: Vec<String> = t.features.iter().map(name).collect();
        assert!(
            tied.contains(&"lex@quote:criticism".to_string()),
            "{tied:?}"
        );
        assert!(!tied.iter().any(|n| n.ends_with(":opposition_framing")));
        // A head about the target without a polarity holds them at 0 too.
        let three: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let t = head_tie(&f, &head(true), &three, &opts).unwrap();
        assert_eq!(t.frozen.len(), 3);
        assert!(t.features.is_empty());
        // A head not about the target (framing) keeps them.
        let framing: Vec<String> = ["neutral", "opposition", "pro_iran"]
            .map(String::from)
            .to_vec();
        let t = head_tie(&f, &head(false), &framing, &opts).unwrap();
        assert!(t.frozen.iter().all(|j| name(j).starts_with("target:")));
        // A category the lexicon does not have is refused, naming it.
        let typo = TrainOptions {
            lexicon_off_target_heads: vec!["opposition".into()],
            ..TrainOptions::default()
        };
        let e = typo.check_resources(&res).unwrap_err().to_string();
        assert!(
            e.contains("`opposition`") && e.contains("opposition_framing"),
            "{e}"
        );
    }

    #[test]
    fn a_fold_without_a_class_is_not_scored_zero_on_it() {
        // Two common classes and a rare one of 3 rows: with 5 folds, two folds hold no rare
        // row. Each class has words of its own, so every out-of-fold prediction is right.
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for i in 0..20 {
            texts.push(format!("alpha budget ministry alpha{}", i % 3));
            labels.push(vec!["a".to_string()]);
            texts.push(format!("beta militia faction beta{}", i % 3));
            labels.push(vec!["b".to_string()]);
        }
        for i in 0..3 {
            texts.push(format!("gamma poem verse gamma{i}"));
            labels.push(vec!["c".to_string()]);
        }
        let heads = vec![HeadSpec {
            name: "y".into(),
            column: "y".into(),
            target_dependent: false,
        }];
        let corpus = Corpus::new(texts, heads, &labels).unwrap();
        let mut opts = TrainOptions::default();
        opts.features.min_df = 1;
        let cv = cross_validate(
            &corpus,
            &Resources::default(),
            &opts,
            5,
            7,
            None,
            &[None],
            |_| {},
        )
        .unwrap();
        assert_eq!(
            cv.pooled[0].1.accuracy, 1.0,
            "{:?}",
            cv.pooled[0].1.confusion
        );
        let fold = stratified_folds(&corpus.labels[0], 3, 5, 7);
        let without_c = (0..5)
            .filter(|&f| {
                (0..corpus.labels[0].len()).all(|i| fold[i] != f || corpus.labels[0][i] != 2)
            })
            .count();
        assert_eq!(without_c, 2);
        // Every fold is read perfectly: 1 each (a fold without `c` scored 2/3 before).
        assert_eq!(cv.fold_macro_f1[0].1, vec![1.0; 5]);
    }

    #[test]
    fn corpus_needs_two_classes() {
        let heads = vec![HeadSpec {
            name: "s".into(),
            column: "s".into(),
            target_dependent: false,
        }];
        let e = Corpus::new(vec!["a".into()], heads, &[vec!["x".into()]]).unwrap_err();
        assert!(e.to_string().contains("at least 2 distinct labels"));
    }

    #[test]
    fn stratified_group_folds_keep_groups_together_and_classes_spread() {
        // 60 rows of 3 classes; rows 0..20 each paired with one of rows 40..60 (a passage and
        // its edit, of another class), rows 20..40 alone.
        let labels: Vec<usize> = (0..60).map(|i| i % 3).collect();
        let groups: Vec<usize> = (0..60).map(|i| if i >= 40 { i - 40 } else { i }).collect();
        let f = stratified_group_folds(&labels, 3, &groups, 4, 9);
        for i in 40..60 {
            assert_eq!(f[i], f[i - 40], "row {i} and its pair split");
        }
        for c in 0..3 {
            let per_fold: Vec<usize> = (0..4)
                .map(|k| (0..40).filter(|&i| labels[i] == c && f[i] == k).count())
                .collect();
            let (lo, hi) = (
                per_fold.iter().min().unwrap(),
                per_fold.iter().max().unwrap(),
            );
            assert!(
                hi - lo <= 1,
                "class {c} dealt unevenly over the folds: {per_fold:?}"
            );
        }
        assert_eq!(
            f,
            stratified_group_folds(&labels, 3, &groups, 4, 9),
            "deterministic"
        );
        // Groups of very different sizes (topics, outlets): folds of similar size, each class
        // spread (the groups were dealt in turn before, which gave folds of 114 and 25 rows).
        let big_labels: Vec<usize> = (0..300).map(|i| i % 2).collect();
        let big_groups: Vec<usize> = (0..300)
            .map(|i| match i {
                0..=119 => i % 4,
                120..=179 => 4 + i % 6,
                _ => 10 + i % 30,
            })
            .collect();
        let fb = stratified_group_folds(&big_labels, 2, &big_groups, 5, 1);
        let sizes: Vec<usize> = (0..5)
            .map(|k| fb.iter().filter(|&&x| x == k).count())
            .collect();
        let (lo, hi) = (*sizes.iter().min().unwrap(), *sizes.iter().max().unwrap());
        assert!(hi - lo <= 30, "folds of uneven size: {sizes:?}");
        for g in 0..40 {
            let mut fs = (0..300).filter(|&i| big_groups[i] == g).map(|i| fb[i]);
            let first = fs.next().unwrap();
            assert!(fs.all(|x| x == first), "group {g} split");
        }
        // Every row its own group: rows dealt round-robin, class after class, as before.
        let mut expect = vec![0usize; 60];
        let mut rng = SplitMix(9);
        let mut offset = 0;
        for c in 0..3 {
            let mut rows: Vec<usize> = (0..60).filter(|&i| labels[i] == c).collect();
            rng.shuffle(&mut rows);
            for (r, &i) in rows.iter().enumerate() {
                expect[i] = (offset + r) % 4;
            }
            offset += rows.len();
        }
        assert_eq!(stratified_folds(&labels, 3, 4, 9), expect);
        // Every row its own group: the same folds as the row-stratified ones.
        let own: Vec<usize> = (0..60).collect();
        assert_eq!(
            stratified_group_folds(&labels, 3, &own, 4, 9),
            stratified_folds(&labels, 3, 4, 9)
        );
    }

    #[test]
    fn group_weights_give_each_group_the_same_total_at_power_one() {
        let groups = [0, 0, 0, 0, 0, 0, 1, 1, 2];
        let w = group_weights(&groups, 1.0);
        let total = |g: usize| -> f32 { (0..9).filter(|&i| groups[i] == g).map(|i| w[i]).sum() };
        assert!((total(0) - 3.0).abs() < 1e-5 && (total(1) - 3.0).abs() < 1e-5);
        assert!((total(2) - 3.0).abs() < 1e-5);
        assert!((w.iter().sum::<f32>() - 9.0).abs() < 1e-4);
        assert!(
            group_weights(&groups, 0.0)
                .iter()
                .all(|&x| (x - 1.0).abs() < 1e-6)
        );
        // In between: a big group's rows weigh less than a small group's, but its total is larger.
        let h = group_weights(&groups, 0.5);
        assert!(h[0] < h[6] && h[6] < h[8] && h[0] * 6.0 > h[8]);
        // Any ids name the same groups (they indexed a table as long as the largest id).
        let far = [7, 7, 7, 7, 7, 7, usize::MAX, usize::MAX, 1 << 40];
        assert_eq!(group_weights(&far, 1.0), w);
        assert_eq!(group_weights(&far, 0.5), h);
    }

    #[test]
    fn group_folds_take_any_ids_and_deal_them_as_their_order_says() {
        let labels: Vec<usize> = (0..60).map(|i| i % 3).collect();
        let groups: Vec<usize> = (0..60).map(|i| if i >= 40 { i - 40 } else { i }).collect();
        let dense = stratified_group_folds(&labels, 3, &groups, 4, 9);
        // The same ids spread out to the largest there are, in the same order: the same folds.
        let far: Vec<usize> = groups
            .iter()
            .map(|&g| usize::MAX - (39 - g) * 1_000_000_000_007)
            .collect();
        assert_eq!(stratified_group_folds(&labels, 3, &far, 4, 9), dense);
        check_folds(60, 4, Some(&far)).unwrap();
    }

    #[test]
    fn group_balance_stops_one_prolific_group_from_setting_the_model() {
        // One outlet with 40 `pos` rows, three outlets with 5 `neg` rows each, all sharing the
        // word "report"; an unseen text of only "report" follows the majority of rows without
        // balance, and the majority of outlets with it.
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        let mut groups = Vec::new();
        for i in 0..40 {
            texts.push(format!("report alpha{} gamma", i % 7));
            labels.push(vec!["pos".to_string()]);
            groups.push(0);
        }
        for g in 1..4 {
            for i in 0..5 {
                texts.push(format!("report beta{} delta", (g * 5 + i) % 6));
                labels.push(vec!["neg".to_string()]);
                groups.push(g);
            }
        }
        let heads = vec![HeadSpec {
            name: "y".into(),
            column: "y".into(),
            target_dependent: false,
        }];
        let corpus = Corpus::new(texts, heads, &labels).unwrap();
        let res = Resources::default();
        let p_pos = |power: f32, corpus: &Corpus| -> f32 {
            let mut opts = TrainOptions::default();
            opts.features.min_df = 1;
            opts.logistic.c = 1.0;
            opts.logistic.group_power = power;
            let (m, _) = train(corpus, &res, &opts, TrainingMeta::default()).unwrap();
            let pos = m.heads()[0].labels.iter().position(|l| l == "pos").unwrap();
            m.predict_texts(&["report"]).0[0][0][pos]
        };
        // Balance without groups is an error, not a silent no-op.
        let opts = TrainOptions {
            logistic: LogisticRegression::default().c(1.0),
            ..Default::default()
        };
        let mut balanced = opts.clone();
        balanced.logistic.group_power = 1.0;
        let e = train(&corpus, &res, &balanced, TrainingMeta::default()).unwrap_err();
        assert!(e.to_string().contains("group"), "{e}");
        let grouped = corpus.clone().with_groups(groups.clone()).unwrap();
        assert!(corpus.clone().with_groups(vec![0]).is_err());
        let (plain, even) = (p_pos(0.0, &grouped), p_pos(1.0, &grouped));
        assert!(plain > 0.5, "unbalanced P(pos) {plain}");
        assert!(even < 0.5, "balanced P(pos) {even}");
        // A subset keeps each row's group.
        let sub = grouped.subset(&[0, 45]).unwrap();
        assert_eq!(sub.groups, Some(vec![0, 2]));
    }
}
