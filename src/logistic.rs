//! Multinomial logistic regression with L2 on sparse features, trained by L-BFGS.
//!
//! The objective is linfa-logistic's, on a sparse matrix and with sample weights:
//!
//! ```text
//! f(W, b) = ( sum_i w_i * CE(softmax(W x_i + b), y_i)  +  (alpha / 2) ||W||^2 ) / sum_i w_i
//! ```
//!
//! with `alpha = 1 / C` (scikit-learn's convention; the intercept is not penalised). Dividing by
//! the total weight does not move the minimum and makes the gradient tolerance independent of
//! the data size. argmin's L-BFGS with a More-Thuente line search (what linfa-logistic uses
//! inside) minimises it; the cost and gradient come from one pass, parallel over rows for the
//! scores and over columns (a transposed copy of the matrix) for the gradient, so every sum is
//! taken in a fixed order and the fit is identical for any number of threads. Two classes are
//! fitted in the equivalent binary form, one weight per feature (see
//! [`LogisticRegression::fit_sparse`]).
//!
//! [`LogisticRegression`] (the parameters) implements linfa's `Fit` on a `Dataset` of a
//! [`CsrMatrix`] with class-index targets and sample weights; [`FittedLogistic`] implements
//! `PredictInplace`. linfa-logistic stays the reference: a test fits the same dense problem with
//! both and requires the coefficients and probabilities to agree.

use std::sync::Mutex;

use argmin::core::{CostFunction, Executor, Gradient, State, TerminationReason, TerminationStatus};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use linfa::dataset::DatasetBase;
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, Array2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::sparse::CsrMatrix;

/// How training rows are weighted by class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClassWeight {
    /// Every row weighs its sample weight.
    #[default]
    Uniform,
    /// Rows of class k weigh n / (n_classes * n_k), as scikit-learn's `class_weight="balanced"`.
    Balanced,
}

/// Weights held in a fit: for each of `features`, the two `classes` share one weight, so the
/// feature can set those two classes apart from the others but never one from the other (how
/// much a text is about its target may say whether it takes a side, not which side); each of
/// `frozen` keeps weight 0 for every class (the head does not use it at all).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tie {
    pub features: Vec<usize>,
    /// The two tied classes; not read when `features` is empty.
    pub classes: (usize, usize),
    pub frozen: Vec<usize>,
}

/// Parameters of the fit (a consuming builder; defaults in [`Default`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticRegression {
    /// Inverse regularisation strength. Default 10.0.
    pub c: f64,
    /// Most L-BFGS iterations. Default 500.
    pub max_iter: u64,
    /// Stop when the gradient's L2 norm falls below this. Default 1e-4 (scikit-learn stops at
    /// 1e-4 on the largest component, a looser test).
    pub tol: f64,
    /// Class weighting. Default uniform.
    pub class_weight: ClassWeight,
    /// L-BFGS history length. Default 10.
    pub memory: usize,
    /// Group balance p: when the rows come in groups (outlets, topics), a row of a group of
    /// n_g rows weighs n_g^-p, scaled so that the mean row weight is 1. 0 (the default) ignores
    /// groups; 1 gives every group the same total weight. Applied by
    /// [`LogisticRegression::fit_grouped`], which is given the groups.
    #[serde(default)]
    pub group_power: f32,
    /// Naive-Bayes feature scaling g (Wang and Manning's NBSVM, for logistic regression):
    /// each feature is scaled by |r|^g before the fit, r the log-ratio of how often it occurs
    /// in documents of one class against the others (the largest over the classes), and its
    /// fitted weights multiplied back, so prediction is unchanged. Under L2 that is a
    /// penalty of w^2 / |r|^(2g) per feature: features that occur alike in every class are
    /// held near 0. 0 (the default) turns it off.
    #[serde(default)]
    pub nb_scale: f32,
}

impl Default for LogisticRegression {
    fn default() -> Self {
        LogisticRegression {
            c: 10.0,
            max_iter: 500,
            tol: 1e-4,
            class_weight: ClassWeight::Uniform,
            memory: 10,
            group_power: 0.0,
            nb_scale: 0.0,
        }
    }
}

impl LogisticRegression {
    /// Set C (default 10.0).
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }
    /// Set the iteration limit (default 500).
    pub fn max_iter(mut self, n: u64) -> Self {
        self.max_iter = n;
        self
    }
    /// Set the gradient tolerance (default 1e-4).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Set the class weighting (default uniform).
    pub fn class_weight(mut self, w: ClassWeight) -> Self {
        self.class_weight = w;
        self
    }

    /// Check the parameters are usable (also done by every fit).
    pub fn validate(&self) -> Result<()> {
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(Error::Invalid(format!(
                "C (-C) must be a positive number, not {}",
                self.c
            )));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::Invalid(format!(
                "the tolerance (--tol) must be positive, not {}",
                self.tol
            )));
        }
        if self.max_iter == 0 || self.memory == 0 {
            return Err(Error::Invalid(
                "--max-iter (and the L-BFGS memory) must be at least 1".into(),
            ));
        }
        if !(self.group_power.is_finite() && (0.0..=1.0).contains(&self.group_power)) {
            return Err(Error::Invalid(format!(
                "the group balance power (--group-power) must be between 0 and 1, not {}",
                self.group_power
            )));
        }
        Ok(())
    }
}

/// The loss change per iteration below which L-BFGS stops (argmin's cost tolerance).
pub const COST_TOL: f64 = 1e-12;

/// [`Convergence::reason`] of a fit stopped by [`COST_TOL`] with the gradient norm still at or
/// above the tolerance.
pub const STALLED: &str = "the loss changed by less than 1e-12 in an iteration, with the gradient norm above the tolerance";

/// How a fit ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Convergence {
    /// L-BFGS iterations run.
    pub iterations: u64,
    /// Cost and gradient evaluations.
    pub evaluations: u64,
    /// Final objective value.
    pub loss: f64,
    /// L2 norm of the gradient at the returned weights.
    pub grad_norm: f64,
    /// Whether the gradient norm at the returned weights is below the tolerance (`tol`).
    pub converged: bool,
    /// Why the fit stopped, in words: argmin's termination reason, or [`STALLED`] when the
    /// loss stopped changing before the gradient test was met.
    pub reason: String,
}

/// A fitted model: `coef` is `n_features x n_classes`, row-major.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FittedLogistic {
    pub n_features: usize,
    pub n_classes: usize,
    pub coef: Vec<f32>,
    pub intercept: Vec<f32>,
    pub convergence: Convergence,
}

/// The objective over one dataset. Cost and gradient share one pass, cached per parameter vector.
struct Objective<'a> {
    x: &'a CsrMatrix,
    xt: CsrMatrix,
    y: &'a [usize],
    w: Vec<f64>,
    /// Weight columns per feature: the number of classes, or 1 for the binary form (see
    /// [`LogisticRegression::fit_sparse`]), where `y` is 0 or 1 and the score is a sigmoid.
    k: usize,
    alpha: f64,
    total_w: f64,
    cache: Mutex<Cache>,
    /// Tied weights (see [`Tie`]): parameter offsets of the pairs, in the (active-column)
    /// parameter vector; in the binary form of two tied classes, one offset each (its weight
    /// stays 0). The gradient is projected onto the tie (each pair's two components replaced
    /// by their mean): started at 0 and moved only along projected gradients, L-BFGS keeps
    /// the pairs equal, and it minimises the loss over the weights that keep them so.
    tied: Vec<(usize, Option<usize>)>,
}

#[derive(Default)]
struct Cache {
    param: Option<Array1<f64>>,
    cost: f64,
    grad: Option<Array1<f64>>,
    evaluations: u64,
    /// The best point seen (cost, parameters), kept in case the line search gives up.
    best: Option<(f64, Array1<f64>)>,
}

/// Rows per parallel job in the score pass; fixed so work splits the same for any thread count.
const ROW_CHUNK: usize = 256;
/// Columns per parallel job in the gradient pass.
const COL_CHUNK: usize = 1024;

impl Objective<'_> {
    fn eval(&self, p: &Array1<f64>) -> (f64, Array1<f64>) {
        {
            let c = self.cache.lock().expect("objective cache");
            if c.param.as_ref() == Some(p) {
                return (c.cost, c.grad.clone().expect("cached gradient"));
            }
        }
        let (cost, grad) = self.compute(p.as_slice().expect("contiguous parameters"));
        let grad = Array1::from(grad);
        let mut c = self.cache.lock().expect("objective cache");
        c.evaluations += 1;
        if c.best.as_ref().is_none_or(|b| cost < b.0) {
            c.best = Some((cost, p.clone()));
        }
        c.param = Some(p.clone());
        c.cost = cost;
        c.grad = Some(grad.clone());
        (cost, grad)
    }

    fn compute(&self, p: &[f64]) -> (f64, Vec<f64>) {
        let (n, d, k) = (self.x.nrows(), self.x.ncols(), self.k);
        let binary = k == 1;
        let (coef, bias) = p.split_at(d * k);
        let mut resid = vec![0f64; n * k];
        let mut row_loss = vec![0f64; n];
        resid
            .par_chunks_mut(ROW_CHUNK * k)
            .zip(row_loss.par_chunks_mut(ROW_CHUNK))
            .enumerate()
            .for_each(|(chunk, (r, l))| {
                let mut z = vec![0f64; k];
                for (o, loss) in l.iter_mut().enumerate() {
                    let i = chunk * ROW_CHUNK + o;
                    let (cols, vals) = self.x.row(i);
                    let wi = self.w[i];
                    let ri = &mut r[o * k..o * k + k];
                    if binary {
                        // -log sigmoid(+-z), written to stay finite for large |z|.
                        let zi = bias[0] + gather_dot(cols, vals, coef);
                        let yi = self.y[i] as f64;
                        let softplus = zi.max(0.0) + (-zi.abs()).exp().ln_1p();
                        *loss = wi * (softplus - yi * zi);
                        ri[0] = wi * (1.0 / (1.0 + (-zi).exp()) - yi);
                        continue;
                    }
                    z.copy_from_slice(bias);
                    for (&j, &v) in cols.iter().zip(vals) {
                        let wj = &coef[j as usize * k..j as usize * k + k];
                        for c in 0..k {
                            z[c] += v as f64 * wj[c];
                        }
                    }
                    let m = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let s: f64 = z.iter().map(|&v| (v - m).exp()).sum();
                    let lse = m + s.ln();
                    *loss = wi * (lse - z[self.y[i]]);
                    for c in 0..k {
                        ri[c] = wi * (z[c] - lse).exp();
                    }
                    ri[self.y[i]] -= wi;
                }
            });
        let data_loss: f64 = row_loss.iter().sum();
        let mut grad = vec![0f64; d * k + k];
        let (gw, gb) = grad.split_at_mut(d * k);
        gw.par_chunks_mut(COL_CHUNK * k)
            .enumerate()
            .for_each(|(chunk, g)| {
                for (o, gj) in g.chunks_mut(k).enumerate() {
                    let j = chunk * COL_CHUNK + o;
                    let (rows, vals) = self.xt.row(j);
                    if binary {
                        gj[0] = gather_dot(rows, vals, &resid) + self.alpha * coef[j];
                        continue;
                    }
                    for (&i, &v) in rows.iter().zip(vals) {
                        let ri = &resid[i as usize * k..i as usize * k + k];
                        for c in 0..k {
                            gj[c] += v as f64 * ri[c];
                        }
                    }
                    let wj = &coef[j * k..j * k + k];
                    for c in 0..k {
                        gj[c] += self.alpha * wj[c];
                    }
                }
            });
        for i in 0..n {
            for c in 0..k {
                gb[c] += resid[i * k + c];
            }
        }
        for &(a, b) in &self.tied {
            match b {
                Some(b) => {
                    let m = 0.5 * (gw[a] + gw[b]);
                    gw[a] = m;
                    gw[b] = m;
                }
                None => gw[a] = 0.0,
            }
        }
        let reg: f64 = coef.iter().map(|v| v * v).sum::<f64>() * 0.5 * self.alpha;
        let inv = 1.0 / self.total_w;
        for g in grad.iter_mut() {
            *g *= inv;
        }
        ((data_loss + reg) * inv, grad)
    }
}

/// `sum_t vals[t] * dense[idx[t]]`, in four interleaved partial sums (a fixed order, so the
/// result does not depend on threads) so that the additions do not wait on one another.
#[inline]
fn gather_dot(idx: &[u32], vals: &[f32], dense: &[f64]) -> f64 {
    let mut acc = [0f64; 4];
    let (i4, v4) = (idx.chunks_exact(4), vals.chunks_exact(4));
    let (ir, vr) = (i4.remainder(), v4.remainder());
    for (i, v) in i4.zip(v4) {
        for t in 0..4 {
            acc[t] += v[t] as f64 * dense[i[t] as usize];
        }
    }
    for (&i, &v) in ir.iter().zip(vr) {
        acc[0] += v as f64 * dense[i as usize];
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
}

/// argmin sees the objective through a reference, so the caller keeps the cache afterwards.
struct Problem<'o, 'a>(&'o Objective<'a>);

impl CostFunction for Problem<'_, '_> {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, p: &Self::Param) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.0.eval(p).0)
    }
}

impl Gradient for Problem<'_, '_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, p: &Self::Param) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        Ok(self.0.eval(p).1)
    }
}

/// Group ids renumbered `0..m` in their order (each id's rank among the m distinct ids), and m:
/// ids of any size can index tables of m entries. Ids that are already `0..m` keep their values.
pub(crate) fn dense_ids(ids: &[usize]) -> (Vec<usize>, usize) {
    let mut distinct = ids.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    let dense = ids
        .iter()
        .map(|g| distinct.binary_search(g).expect("a listed id"))
        .collect();
    (dense, distinct.len())
}

/// Sample weights that balance groups: row i weighs n_{g(i)}^-power, scaled to a mean of 1
/// (`groups[i]` is row i's group id, any number). Power 0 gives every row 1.
pub fn group_weights(groups: &[usize], power: f32) -> Vec<f32> {
    let (groups, m) = dense_ids(groups);
    let mut size = vec![0usize; m];
    for &g in &groups {
        size[g] += 1;
    }
    let raw: Vec<f64> = groups
        .iter()
        .map(|&g| (size[g] as f64).powf(-(power as f64)))
        .collect();
    let mean = raw.iter().sum::<f64>() / raw.len().max(1) as f64;
    raw.iter().map(|&w| (w / mean) as f32).collect()
}

/// Per-row weights: `sample` times the class weight.
fn row_weights(y: &[usize], k: usize, sample: &[f32], mode: ClassWeight) -> Vec<f64> {
    let n = y.len();
    let mut count = vec![0usize; k];
    for &c in y {
        count[c] += 1;
    }
    y.iter()
        .enumerate()
        .map(|(i, &c)| {
            let s = sample.get(i).copied().unwrap_or(1.0) as f64;
            match mode {
                ClassWeight::Uniform => s,
                ClassWeight::Balanced => s * n as f64 / (k as f64 * count[c] as f64),
            }
        })
        .collect()
}

/// The Naive-Bayes scale of each column of `x` ([`LogisticRegression::nb_scale`]): |r|^g, r
/// the largest (in size) over the classes c of ln((a + n_cj) / (a D + n_c)) - ln((a + n_oj) /
/// (a D + n_o)), with n_cj the rows of class c where column j is non-zero, n_c the non-zero
/// entries of class c's rows (and o the other classes'), D the columns that occur, smoothed by
/// a = 1 (as NBSVM's p = a + counts over its L1 norm).
pub fn nb_factors(x: &CsrMatrix, y: &[usize], n_classes: usize, g: f32) -> Vec<f32> {
    let d = x.ncols();
    let mut counts = vec![0f64; d * n_classes];
    let mut totals = vec![0f64; n_classes];
    for (i, &c) in y.iter().enumerate() {
        for &j in x.row(i).0 {
            counts[j as usize * n_classes + c] += 1.0;
            totals[c] += 1.0;
        }
    }
    let all: f64 = totals.iter().sum();
    let used = (0..d)
        .filter(|&j| {
            counts[j * n_classes..(j + 1) * n_classes]
                .iter()
                .any(|&n| n > 0.0)
        })
        .count() as f64;
    (0..d)
        .map(|j| {
            let row = &counts[j * n_classes..(j + 1) * n_classes];
            let n_j: f64 = row.iter().sum();
            let r = (0..n_classes)
                .map(|c| {
                    let own = ((1.0 + row[c]) / (used + totals[c])).ln();
                    let rest = ((1.0 + n_j - row[c]) / (used + all - totals[c])).ln();
                    own - rest
                })
                .fold(0f64, |m, r| if r.abs() > m.abs() { r } else { m });
            (r.abs() as f32).powf(g)
        })
        .collect()
}

impl LogisticRegression {
    /// [`LogisticRegression::fit_sparse`] with this learner's group balance: `groups` holds a
    /// group id per row and is needed when [`LogisticRegression::group_power`] is not 0.
    /// With `tie`, the tied weights are held equal (see [`Tie`]).
    pub fn fit_grouped(
        &self,
        x: &CsrMatrix,
        y: &[usize],
        n_classes: usize,
        groups: Option<&[usize]>,
        tie: Option<&Tie>,
    ) -> Result<FittedLogistic> {
        self.fit_grouped_scaling(x, y, n_classes, groups, tie, x.ncols())
    }

    /// [`LogisticRegression::fit_grouped`] with the Naive-Bayes scaling
    /// ([`LogisticRegression::nb_scale`]) on the first `nb_columns` columns only: term
    /// columns, which a document has or lacks; rates and statistics that every document has
    /// (slant's dense block) would all look alike in every class and be held at 0.
    pub fn fit_grouped_scaling(
        &self,
        x: &CsrMatrix,
        y: &[usize],
        n_classes: usize,
        groups: Option<&[usize]>,
        tie: Option<&Tie>,
        nb_columns: usize,
    ) -> Result<FittedLogistic> {
        let w = match groups {
            _ if self.group_power == 0.0 => Vec::new(),
            Some(g) => group_weights(g, self.group_power),
            None => {
                return Err(Error::Invalid(
                    "group balance needs a group per row (on the command line: --balance-col COL)"
                        .into(),
                ));
            }
        };
        if self.nb_scale == 0.0 {
            return self.fit_impl(x, y, n_classes, &w, tie, true);
        }
        let mut f = nb_factors(x, y, n_classes, self.nb_scale);
        for v in f.iter_mut().skip(nb_columns) {
            *v = 1.0;
        }
        let mut xs = x.clone();
        xs.scale_columns(|j| f[j as usize]);
        let mut fit = self.fit_impl(&xs, y, n_classes, &w, tie, true)?;
        for (j, row) in fit.coef.chunks_mut(n_classes).enumerate() {
            for v in row {
                *v *= f[j];
            }
        }
        Ok(fit)
    }

    /// Fit on `x` with class indices `y` in `0..n_classes` and optional per-row `sample_weight`
    /// (the weights as given: group balance is [`LogisticRegression::fit_grouped`]'s).
    ///
    /// Two classes are fitted in the binary form, one weight per feature: the multinomial
    /// objective depends on `W` only through `v = w_1 - w_0` and its minimum has
    /// `w_1 = -w_0 = v / 2`, where `(alpha / 2)(|w_0|^2 + |w_1|^2) = (alpha / 4)|v|^2`. So the
    /// binary logistic loss with `alpha / 2` is minimised and the two columns are written back
    /// as `-v / 2` and `v / 2`: the same model (loss, probabilities, gradient norm, with the
    /// gradient tolerance scaled by 1/sqrt 2 to stop at the same point) at half the work per
    /// iteration.
    pub fn fit_sparse(
        &self,
        x: &CsrMatrix,
        y: &[usize],
        n_classes: usize,
        sample_weight: &[f32],
    ) -> Result<FittedLogistic> {
        self.fit_impl(x, y, n_classes, sample_weight, None, true)
    }

    fn fit_impl(
        &self,
        x: &CsrMatrix,
        y: &[usize],
        n_classes: usize,
        sample_weight: &[f32],
        tie: Option<&Tie>,
        binary_form: bool,
    ) -> Result<FittedLogistic> {
        self.validate()?;
        if x.nrows() != y.len() {
            return Err(Error::Invalid(format!(
                "{} rows but {} labels",
                x.nrows(),
                y.len()
            )));
        }
        if !sample_weight.is_empty() && sample_weight.len() != y.len() {
            return Err(Error::Invalid(
                "sample weights do not match the rows".into(),
            ));
        }
        if sample_weight.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(Error::Invalid(
                "sample weights must be finite and >= 0".into(),
            ));
        }
        if n_classes < 2 {
            return Err(Error::Invalid(format!(
                "need at least 2 classes, found {n_classes}"
            )));
        }
        if let Some(&bad) = y.iter().find(|&&c| c >= n_classes) {
            return Err(Error::Invalid(format!("class index {bad} out of range")));
        }
        let w = row_weights(y, n_classes, sample_weight, self.class_weight);
        let total_w: f64 = w.iter().sum();
        if total_w <= 0.0 {
            return Err(Error::Invalid("total sample weight is zero".into()));
        }
        let binary = binary_form && n_classes == 2;
        let (d, k) = (x.ncols(), if binary { 1 } else { n_classes });
        // In the binary form the gradient is 1/sqrt 2 of the multinomial one (see above).
        let grad_scale = if binary {
            std::f64::consts::SQRT_2
        } else {
            1.0
        };
        // Optimise only over columns that occur in the data: under L2 the optimum of a column
        // with no entries is exactly zero, so leaving it out changes nothing but the cost.
        let mut used = vec![false; d];
        for i in 0..x.nrows() {
            for &j in x.row(i).0 {
                used[j as usize] = true;
            }
        }
        let active: Vec<usize> = (0..d).filter(|&j| used[j]).collect();
        let mut tied = Vec::new();
        if let Some(t) = tie {
            let (a, b) = t.classes;
            if !t.features.is_empty() && (a >= n_classes || b >= n_classes || a == b) {
                return Err(Error::Invalid(format!(
                    "tied classes {a} and {b} are not two of the {n_classes} classes"
                )));
            }
            if let Some(&j) = t.features.iter().chain(&t.frozen).find(|&&j| j >= d) {
                return Err(Error::Invalid(format!("tied feature {j} out of range")));
            }
            for &j in &t.frozen {
                // Unused columns stay 0 anyway.
                if let Ok(pos) = active.binary_search(&j) {
                    tied.extend((0..k).map(|c| (pos * k + c, None)));
                }
            }
            for &j in &t.features {
                // Unused columns stay 0 anyway.
                if let Ok(pos) = active.binary_search(&j) {
                    tied.push(if binary {
                        (pos, None)
                    } else {
                        (pos * k + a, Some(pos * k + b))
                    });
                }
            }
        }
        let xc = (active.len() < d).then(|| x.select_columns(&active));
        let xt = xc.as_ref().unwrap_or(x).transpose();
        let obj = Objective {
            x: xc.as_ref().unwrap_or(x),
            xt,
            y,
            w,
            k,
            alpha: if binary { 0.5 / self.c } else { 1.0 / self.c },
            total_w,
            cache: Mutex::new(Cache::default()),
            tied,
        };
        let da = active.len();
        let init = Array1::<f64>::zeros(da * k + k);
        let solver = LBFGS::new(MoreThuenteLineSearch::new(), self.memory)
            .with_tolerance_grad(self.tol / grad_scale)
            .and_then(|s| s.with_tolerance_cost(COST_TOL))
            .map_err(|e| Error::Invalid(format!("L-BFGS setup: {e}")))?;
        let run = Executor::new(Problem(&obj), solver)
            .configure(|s| s.param(init).max_iters(self.max_iter))
            .run();
        let (param, iterations, reason, converged) = match run {
            Ok(mut res) => {
                let state = &mut res.state;
                let iters = state.get_iter();
                let status = state.get_termination_status().clone();
                let param = state.take_best_param().or_else(|| state.take_param());
                let (reason, converged) = match status {
                    TerminationStatus::Terminated(r) => {
                        let ok = matches!(
                            r,
                            TerminationReason::SolverConverged
                                | TerminationReason::TargetCostReached
                        );
                        (r.text().to_owned(), ok)
                    }
                    TerminationStatus::NotTerminated => ("not terminated".to_owned(), false),
                };
                (param, iters, reason, converged)
            }
            // The line search can fail near the optimum (no further decrease is representable):
            // keep the best point seen and say so.
            Err(e) => (None, 0, format!("stopped early: {e}"), false),
        };
        let cache = std::mem::take(&mut *obj.cache.lock().expect("objective cache"));
        let param = param
            .or(cache.best.map(|b| b.1))
            .ok_or_else(|| Error::Invalid("the optimiser evaluated nothing".into()))?;
        // Loss and gradient norm at the returned point: one more pass, exact whatever the path.
        let (loss, grad) = obj.compute(param.as_slice().expect("contiguous parameters"));
        let grad_norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt() * grad_scale;
        if !param.iter().all(|v| v.is_finite()) {
            return Err(Error::Invalid(
                "training diverged: non-finite weights (try a smaller C)".into(),
            ));
        }
        // Converged means what `tol` promises: the gradient norm at the returned weights is
        // below it. argmin's L-BFGS also stops, as "converged", when the loss changes by less
        // than the cost tolerance in an iteration; on a badly scaled problem (C = 1e-300: the
        // penalty's curvature is 1e300, so every step is about 1e-301 long) that happens with
        // the gradient norm far above `tol`, and the fit is not called converged then.
        let (converged, reason) = if grad_norm < self.tol {
            (true, reason)
        } else if converged {
            (false, STALLED.to_owned())
        } else {
            (false, reason)
        };
        // Back to n_classes columns per feature: the binary form's v as -v/2 and v/2.
        let nk = n_classes;
        let mut coef = vec![0f32; d * nk];
        for (a, &j) in active.iter().enumerate() {
            if binary {
                coef[j * 2] = (-0.5 * param[a]) as f32;
                coef[j * 2 + 1] = (0.5 * param[a]) as f32;
            } else {
                for c in 0..k {
                    coef[j * k + c] = param[a * k + c] as f32;
                }
            }
        }
        let intercept = if binary {
            vec![(-0.5 * param[da]) as f32, (0.5 * param[da]) as f32]
        } else {
            param.iter().skip(da * k).map(|&v| v as f32).collect()
        };
        Ok(FittedLogistic {
            n_features: d,
            n_classes: nk,
            coef,
            intercept,
            convergence: Convergence {
                iterations,
                evaluations: cache.evaluations + 1,
                loss,
                grad_norm,
                converged,
                reason,
            },
        })
    }
}

impl FittedLogistic {
    /// Class scores (logits) of one sparse row.
    pub fn logits(&self, indices: &[u32], values: &[f32], out: &mut [f32]) {
        let k = self.n_classes;
        out.copy_from_slice(&self.intercept);
        for (&j, &v) in indices.iter().zip(values) {
            let j = j as usize;
            if j >= self.n_features {
                continue;
            }
            let w = &self.coef[j * k..j * k + k];
            for c in 0..k {
                out[c] += v * w[c];
            }
        }
    }

    /// Class probabilities of one sparse row.
    pub fn proba(&self, indices: &[u32], values: &[f32]) -> Vec<f32> {
        let mut z = vec![0f32; self.n_classes];
        self.logits(indices, values, &mut z);
        softmax(&mut z);
        z
    }

    /// Class probabilities of every row, `n x n_classes`.
    pub fn predict_proba(&self, x: &CsrMatrix) -> Array2<f32> {
        let rows: Vec<Vec<f32>> = (0..x.nrows())
            .into_par_iter()
            .map(|i| {
                let (c, v) = x.row(i);
                self.proba(c, v)
            })
            .collect();
        let mut out = Array2::zeros((x.nrows(), self.n_classes));
        for (i, r) in rows.into_iter().enumerate() {
            for (c, p) in r.into_iter().enumerate() {
                out[(i, c)] = p;
            }
        }
        out
    }

    /// The weight of feature `j` for class `c`.
    pub fn weight(&self, j: usize, c: usize) -> f32 {
        self.coef[j * self.n_classes + c]
    }
}

/// In-place softmax.
pub fn softmax(z: &mut [f32]) {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    for v in z.iter_mut() {
        *v /= s;
    }
}

/// Index of the largest value (the first one on ties).
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

impl<'a> Fit<&'a CsrMatrix, Array1<usize>, Error> for LogisticRegression {
    type Object = FittedLogistic;

    /// Fit on a linfa dataset; the number of classes is one more than the largest target, and the
    /// dataset's weights (if any) are the sample weights.
    fn fit(&self, dataset: &DatasetBase<&'a CsrMatrix, Array1<usize>>) -> Result<FittedLogistic> {
        let y = dataset.targets.as_slice().expect("contiguous targets");
        let k = y.iter().copied().max().map_or(0, |m| m + 1);
        let w = dataset.weights().map(|w| w.to_vec()).unwrap_or_default();
        self.fit_sparse(dataset.records, y, k, &w)
    }
}

impl PredictInplace<CsrMatrix, Array1<usize>> for FittedLogistic {
    fn predict_inplace(&self, x: &CsrMatrix, y: &mut Array1<usize>) {
        assert_eq!(x.nrows(), y.len(), "one target per row");
        let p = self.predict_proba(x);
        for (i, row) in p.rows().into_iter().enumerate() {
            y[i] = argmax(row.as_slice().expect("contiguous"));
        }
    }

    fn default_target(&self, x: &CsrMatrix) -> Array1<usize> {
        Array1::zeros(x.nrows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use linfa::Dataset;
    use linfa::traits::Predict;
    use ndarray::Array;

    /// A small 3-class problem with some overlap, deterministic.
    fn problem() -> (Array2<f64>, Array1<usize>) {
        let mut x = Array2::zeros((90, 4));
        let mut y = Array1::zeros(90);
        let mut s: u64 = 7;
        let mut rnd = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) as f64 / (1u64 << 31) as f64) - 0.5
        };
        for i in 0..90 {
            let c = i % 3;
            y[i] = c;
            for j in 0..4 {
                let centre = if j == c {
                    1.0
                } else if j == 3 {
                    0.3 * c as f64
                } else {
                    0.0
                };
                x[(i, j)] = centre + 1.2 * rnd();
            }
        }
        (x, y)
    }

    /// Naive-Bayes scaling: a feature met alike in both classes gets a factor near 0 and one
    /// met in one class only a large one; the fit with `nb_scale` is the plain fit on the
    /// scaled columns with its weights multiplied back, so it predicts from unscaled rows.
    #[test]
    fn nb_scaling_fits_the_scaled_problem_and_predicts_from_raw_rows() {
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..60 {
            let c = i % 2;
            // 0: in every row; 1: in class 1 rows (and a few others); 2: in class 0 rows.
            let mut idx = vec![0u32];
            let mut val = vec![0.5 + (i % 3) as f32 * 0.1];
            if c == 1 || i % 10 == 0 {
                idx.push(1);
                val.push(0.7);
            }
            if c == 0 && i % 4 != 0 {
                idx.push(2);
                val.push(0.4 + (i % 5) as f32 * 0.05);
            }
            rows.push(crate::sparse::SparseVec {
                indices: idx,
                values: val,
            });
            y.push(c);
        }
        let x = CsrMatrix::from_rows(3, &rows);
        let f = nb_factors(&x, &y, 2, 1.0);
        assert!(f[0] < 0.3 && f[1] > 1.0 && f[2] > 1.0, "{f:?}");
        assert_eq!(nb_factors(&x, &y, 2, 0.0), vec![1.0; 3]);
        let lr = LogisticRegression::default().c(2.0);
        let nb = LogisticRegression {
            nb_scale: 1.0,
            ..lr.clone()
        }
        .fit_grouped(&x, &y, 2, None, None)
        .unwrap();
        let mut xs = x.clone();
        xs.scale_columns(|j| f[j as usize]);
        let plain = lr.fit_grouped(&xs, &y, 2, None, None).unwrap();
        for (j, &fj) in f.iter().enumerate() {
            for c in 0..2 {
                let want = plain.weight(j, c) * fj;
                assert!((nb.weight(j, c) - want).abs() < 1e-6, "{j} {c}");
            }
        }
        for i in 0..x.nrows() {
            let (ri, rv) = x.row(i);
            let (si, sv) = xs.row(i);
            let (a, b) = (nb.proba(ri, rv), plain.proba(si, sv));
            assert!((a[1] - b[1]).abs() < 1e-5, "{i}: {a:?} {b:?}");
        }
        // The shared feature barely counts; the plain fit on raw rows gives it more weight.
        let raw = lr.fit_grouped(&x, &y, 2, None, None).unwrap();
        assert!(nb.weight(0, 1).abs() < raw.weight(0, 1).abs() / 2.0 + 1e-3);
    }

    #[test]
    fn agrees_with_linfa_logistic() {
        let (x, y) = problem();
        let alpha = 0.5;
        let reference = linfa_logistic::MultiLogisticRegression::default()
            .alpha(alpha)
            .gradient_tolerance(1e-10)
            .max_iterations(2000)
            .fit(&Dataset::new(x.clone(), y.clone()))
            .unwrap();
        let csr = CsrMatrix::from_dense(&x);
        let ours = LogisticRegression::default()
            .c(1.0 / alpha)
            .tol(1e-9)
            .max_iter(2000)
            .fit(&DatasetBase::new(&csr, y.clone()))
            .unwrap();
        // A tolerance of 1e-9 is finer than the fit can go: L-BFGS stops when the loss changes
        // by less than COST_TOL, here near a gradient norm of 1e-7 (so not "converged"); close
        // enough for the comparison.
        assert!(ours.convergence.grad_norm < 1e-6, "{:?}", ours.convergence);
        let ref_params = reference.params();
        let ref_int = reference.intercept();
        for j in 0..4 {
            for c in 0..3 {
                // Softmax is invariant to a per-feature shift across classes; with L2 both fits
                // pick the zero-mean solution, so coefficients compare directly.
                let (a, b) = (ours.weight(j, c) as f64, ref_params[(j, c)]);
                assert!((a - b).abs() < 2e-3, "coef[{j},{c}]: ours {a} linfa {b}");
            }
        }
        let mean_ref = ref_int.mean().unwrap();
        let mean_ours = ours.intercept.iter().map(|&v| v as f64).sum::<f64>() / 3.0;
        for c in 0..3 {
            let (a, b) = (ours.intercept[c] as f64 - mean_ours, ref_int[c] - mean_ref);
            assert!((a - b).abs() < 2e-3, "intercept[{c}]: ours {a} linfa {b}");
        }
        let p_ref = reference.predict_probabilities(&x);
        let p_ours = ours.predict_proba(&csr);
        for i in 0..x.nrows() {
            for c in 0..3 {
                let (a, b) = (p_ours[(i, c)] as f64, p_ref[(i, c)]);
                assert!((a - b).abs() < 1e-3, "p[{i},{c}]: ours {a} linfa {b}");
            }
        }
        let labels: Array1<usize> = ours.predict(&DatasetBase::new(csr.clone(), ()));
        let acc = labels.iter().zip(&y).filter(|(a, b)| a == b).count() as f64 / 90.0;
        assert!(acc > 0.6, "accuracy {acc}");
    }

    #[test]
    fn binary_gradient_matches_finite_differences() {
        let (x, y) = problem();
        let csr = CsrMatrix::from_dense(&x);
        let yv: Vec<usize> = y.iter().map(|&c| (c == 1) as usize).collect();
        let obj = objective(&csr, &yv, 2, true, 0.3, &[]);
        // Large weights too, where a naive log(1 + e^z) would overflow.
        for scale in [1.0, 80.0] {
            check_gradient(&obj, 5, scale, 1e-5 * scale);
        }
    }

    #[test]
    fn two_classes_binary_form_is_the_multinomial_model() {
        // Classes 0 and 1 of the problem, with class balance and uneven sample weights: the
        // binary form (one column, alpha / 2) must give the multinomial fit's weights, loss,
        // gradient norm and probabilities.
        let (x, y) = problem();
        let keep: Vec<usize> = (0..90).filter(|&i| y[i] != 2).collect();
        let x2 = x.select(ndarray::Axis(0), &keep);
        let y2: Vec<usize> = keep.iter().map(|&i| y[i]).collect();
        let sw: Vec<f32> = (0..keep.len()).map(|i| 0.5 + (i % 3) as f32).collect();
        let csr = CsrMatrix::from_dense(&x2);
        let lr = LogisticRegression::default()
            .c(0.7)
            .tol(1e-9)
            .max_iter(2000)
            .class_weight(ClassWeight::Balanced);
        let bin = lr.fit_sparse(&csr, &y2, 2, &sw).unwrap();
        let multi = lr.fit_impl(&csr, &y2, 2, &sw, None, false).unwrap();
        // Stopped by the loss change (COST_TOL) short of the 1e-9 asked for, both close.
        assert!(bin.convergence.grad_norm < 1e-6 && multi.convergence.grad_norm < 1e-6);
        for (a, b) in bin.coef.iter().zip(&multi.coef) {
            assert!((a - b).abs() < 1e-4, "coef: binary {a} multinomial {b}");
        }
        for (a, b) in bin.intercept.iter().zip(&multi.intercept) {
            assert!(
                (a - b).abs() < 1e-4,
                "intercept: binary {a} multinomial {b}"
            );
        }
        let (lb, lm) = (bin.convergence.loss, multi.convergence.loss);
        assert!((lb - lm).abs() < 1e-9, "loss: binary {lb} multinomial {lm}");
        assert!(bin.convergence.grad_norm < 1e-6, "{:?}", bin.convergence);
        // The multinomial objective's own gradient at the binary solution is that small too.
        let obj = objective(&csr, &y2, 2, false, 1.0 / 0.7, &sw);
        let mut p: Vec<f64> = bin.coef.iter().map(|&v| v as f64).collect();
        p.extend(bin.intercept.iter().map(|&v| v as f64));
        let (f, g) = obj.compute(&p);
        assert!(
            (f - lm).abs() < 1e-6,
            "multinomial loss at the binary fit {f} vs {lm}"
        );
        let gn = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!(gn < 1e-5, "multinomial gradient at the binary fit {gn}");
        let (pb, pm) = (bin.predict_proba(&csr), multi.predict_proba(&csr));
        for (a, b) in pb.iter().zip(pm.iter()) {
            assert!((a - b).abs() < 1e-5, "p: binary {a} multinomial {b}");
        }
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let (x, y) = problem();
        let csr = CsrMatrix::from_dense(&x);
        let yv = y.to_vec();
        check_gradient(&objective(&csr, &yv, 3, false, 0.3, &[]), 15, 1.0, 1e-6);
    }

    /// The objective over `x`, `y` with `n_classes` classes (in the binary form when asked),
    /// balanced class weights times `sample`, and L2 strength `alpha`.
    fn objective<'a>(
        x: &'a CsrMatrix,
        y: &'a [usize],
        n_classes: usize,
        binary: bool,
        alpha: f64,
        sample: &[f32],
    ) -> Objective<'a> {
        let w = row_weights(y, n_classes, sample, ClassWeight::Balanced);
        Objective {
            x,
            xt: x.transpose(),
            y,
            total_w: w.iter().sum(),
            w,
            k: if binary { 1 } else { n_classes },
            alpha,
            cache: Mutex::new(Cache::default()),
            tied: Vec::new(),
        }
    }

    /// The analytic gradient at a fixed point of `n` parameters (scaled by `scale`) agrees with
    /// central finite differences within `tol`.
    fn check_gradient(obj: &Objective, n: usize, scale: f64, tol: f64) {
        let p: Vec<f64> = (0..n)
            .map(|i| scale * ((i * 37 % 11) as f64 - 5.0) / 10.0)
            .collect();
        let (f, g) = obj.compute(&p);
        assert!(f.is_finite());
        for i in 0..p.len() {
            let mut hi = p.clone();
            let mut lo = p.clone();
            hi[i] += 1e-6;
            lo[i] -= 1e-6;
            let fd = (obj.compute(&hi).0 - obj.compute(&lo).0) / 2e-6;
            assert!(
                (fd - g[i]).abs() < tol,
                "scale {scale} param {i}: fd {fd} analytic {}",
                g[i]
            );
        }
    }

    #[test]
    fn balanced_weights_and_determinism() {
        let (x, mut y) = problem();
        // Make class 2 rare.
        for i in 0..90 {
            if y[i] == 2 && i % 9 != 2 {
                y[i] = 0;
            }
        }
        let w = row_weights(y.as_slice().unwrap(), 3, &[], ClassWeight::Balanced);
        let total: f64 = w.iter().sum();
        assert!((total - 90.0).abs() < 1e-9);
        let csr = CsrMatrix::from_dense(&x);
        let fit = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                LogisticRegression::default()
                    .class_weight(ClassWeight::Balanced)
                    .fit_sparse(&csr, y.as_slice().unwrap(), 3, &[])
                    .unwrap()
            })
        };
        let a = fit(1);
        assert_eq!(a, fit(2));
        assert_eq!(a, fit(3));
        let rare_recall_balanced = (0..90).filter(|&i| y[i] == 2).filter(|&i| {
            let (c, v) = csr.row(i);
            argmax(&a.proba(c, v)) == 2
        });
        assert!(rare_recall_balanced.count() >= 5);
    }

    #[test]
    fn tied_weights_stay_equal_and_cost_some_fit() {
        // Three classes; feature 0 is high in classes 0 and 2 but higher in 2, feature 1 tells
        // 0 from 2 apart, feature 2 is noise.
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..90usize {
            let c = i % 3;
            let f0 = match c {
                0 => 1.0,
                1 => 0.1,
                _ => 2.0,
            } + (i % 7) as f32 * 0.05;
            let f1 = if c == 0 { 1.0 } else { 0.0 } + (i % 5) as f32 * 0.1;
            rows.push(crate::sparse::SparseVec {
                indices: vec![0, 1, 2],
                values: vec![f0, f1, (i % 4) as f32 * 0.3],
            });
            y.push(c);
        }
        let x = CsrMatrix::from_rows(4, &rows);
        let lr = LogisticRegression::default().c(5.0);
        let tie = Tie {
            features: vec![0, 3],
            classes: (0, 2),
            frozen: vec![],
        };
        let free = lr.fit_grouped(&x, &y, 3, None, None).unwrap();
        let tied = lr.fit_grouped(&x, &y, 3, None, Some(&tie)).unwrap();
        assert!(free.convergence.converged && tied.convergence.converged);
        // Held exactly equal, where the free fit sets them apart.
        assert_eq!(tied.weight(0, 0), tied.weight(0, 2));
        assert!(
            (free.weight(0, 0) - free.weight(0, 2)).abs() > 0.1,
            "{:?}",
            free.coef
        );
        // Feature 0 still tells class 1 from the other two.
        assert!(
            tied.weight(0, 0) - tied.weight(0, 1) > 0.1,
            "{:?}",
            tied.coef
        );
        // A constrained optimum fits no better than the free one; an unused column stays 0.
        assert!(tied.convergence.loss >= free.convergence.loss - 1e-9);
        assert_eq!(tied.weight(3, 0), 0.0);
        // Two classes in the binary form: a tied feature gets no weight.
        let y2: Vec<usize> = y.iter().map(|&c| (c == 2) as usize).collect();
        let t2 = Tie {
            features: vec![0],
            classes: (0, 1),
            frozen: vec![],
        };
        let b = lr.fit_grouped(&x, &y2, 2, None, Some(&t2)).unwrap();
        assert_eq!(b.weight(0, 0), 0.0);
        assert_eq!(b.weight(0, 1), 0.0);
        assert!(b.weight(1, 1) != 0.0);
        // Bad ties are refused.
        let bad = Tie {
            features: vec![9],
            classes: (0, 2),
            frozen: vec![],
        };
        assert!(lr.fit_grouped(&x, &y, 3, None, Some(&bad)).is_err());
        let bad = Tie {
            features: vec![0],
            classes: (1, 1),
            frozen: vec![],
        };
        assert!(lr.fit_grouped(&x, &y, 3, None, Some(&bad)).is_err());
        let bad = Tie {
            frozen: vec![4],
            ..Tie::default()
        };
        assert!(lr.fit_grouped(&x, &y, 3, None, Some(&bad)).is_err());
    }

    #[test]
    fn frozen_weights_stay_zero_for_every_class() {
        // Feature 0 tells the three classes apart; feature 1 marks half of class 2.
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for i in 0..60usize {
            let c = i % 3;
            rows.push(crate::sparse::SparseVec {
                indices: vec![0, 1],
                values: vec![
                    c as f32 + (i % 4) as f32 * 0.1,
                    if c == 2 && i % 2 == 0 { 1.0 } else { 0.0 },
                ],
            });
            y.push(c);
        }
        let x = CsrMatrix::from_rows(2, &rows);
        let lr = LogisticRegression::default().c(5.0);
        let frozen = Tie {
            frozen: vec![0],
            ..Tie::default()
        };
        let free = lr.fit_grouped(&x, &y, 3, None, None).unwrap();
        let held = lr.fit_grouped(&x, &y, 3, None, Some(&frozen)).unwrap();
        assert!(
            free.weight(0, 2) - free.weight(0, 0) > 0.5,
            "{:?}",
            free.coef
        );
        for c in 0..3 {
            assert_eq!(held.weight(0, c), 0.0);
        }
        // The fit goes on without it, worse.
        assert!(held.weight(1, 2) > held.weight(1, 0));
        assert!(held.convergence.loss > free.convergence.loss + 0.1);
        // The binary form too.
        let y2: Vec<usize> = y.iter().map(|&c| (c == 2) as usize).collect();
        let b = lr.fit_grouped(&x, &y2, 2, None, Some(&frozen)).unwrap();
        assert_eq!((b.weight(0, 0), b.weight(0, 1)), (0.0, 0.0));
    }

    #[test]
    fn reports_non_convergence_and_rejects_bad_input() {
        let (x, y) = problem();
        let csr = CsrMatrix::from_dense(&x);
        let f = LogisticRegression::default()
            .max_iter(2)
            .tol(1e-12)
            .fit_sparse(&csr, y.as_slice().unwrap(), 3, &[])
            .unwrap();
        assert!(!f.convergence.converged);
        assert!(f.convergence.grad_norm > 1e-12);
        // An absurd penalty (alpha = 1e300): every step is ~1e-301 long, the loss stops
        // changing at once and argmin stops "converged" with the gradient norm far above the
        // tolerance; that is reported as not converged, with the reason.
        for n_classes in [2, 3] {
            let yk: Vec<usize> = y.iter().map(|&c| c % n_classes).collect();
            let f = LogisticRegression::default()
                .c(1e-300)
                .fit_sparse(&csr, &yk, n_classes, &[])
                .unwrap();
            let c = &f.convergence;
            assert!(c.grad_norm > 1e-2, "{c:?}");
            assert!(!c.converged, "{c:?}");
            assert_eq!(c.reason, STALLED, "{c:?}");
        }
        // A fit that meets the gradient test keeps argmin's reason.
        let f = LogisticRegression::default()
            .fit_sparse(&csr, y.as_slice().unwrap(), 3, &[])
            .unwrap();
        let c = &f.convergence;
        assert!(c.converged && c.grad_norm < 1e-4, "{c:?}");
        assert_eq!(c.reason, "Solver converged");
        assert!(
            LogisticRegression::default()
                .fit_sparse(&csr, &[0; 3], 3, &[])
                .is_err()
        );
        assert!(
            LogisticRegression::default()
                .c(-1.0)
                .fit_sparse(&csr, y.as_slice().unwrap(), 3, &[])
                .is_err()
        );
        let one_class = Array::from_elem(90, 0usize);
        assert!(
            LogisticRegression::default()
                .fit_sparse(&csr, one_class.as_slice().unwrap(), 1, &[])
                .is_err()
        );
    }
}
