//! Source profiles: classification records grouped by outlet, with bootstrap intervals.
//!
//! Each record contributes its source (outlet), the polarity score of one head (P(positive) -
//! P(negative), e.g. P(pro) - P(anti) for stance, in [-1, 1]), the label of every head, its
//! target mentions and, optionally, a true label. A [`SourceProfile`] holds per outlet the
//! article count, the mean score with a 95% percentile-bootstrap interval (resampling the
//! outlet's articles; deterministic for a seed), the label distribution of every head, the mean
//! mentions and, when true labels are known, the outlet's majority true label (over its scored
//! articles; none on a tie) and whether its mean predicted label matches it. Profiles are sorted by mean score.
//! [`period_profiles`] makes the same profiles per source and period of publication (week,
//! month, quarter, year), and [`CueTally`] what moves each source's articles toward each pole.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::classify::Leaning;
use crate::date::{Date, Period};
use crate::train::SplitMix;

/// What one classified article contributes to its outlet's profile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observation {
    /// The outlet; records without one are grouped under [`UNKNOWN_SOURCE`].
    pub source: Option<String>,
    /// The polarity score of the scored head; `None` when the head was not scored (no mention).
    pub score: Option<f64>,
    /// Predicted label per head name (absent when the head was not scored).
    pub labels: BTreeMap<String, String>,
    pub mentions: u64,
    /// The true label of the scored head, when the input has one.
    pub truth: Option<String>,
    /// When the article was published, when known.
    pub date: Option<Date>,
}

/// The group of records that name no source.
pub const UNKNOWN_SOURCE: &str = "(no source)";

/// The period of articles without a date, in per-period profiles (after every dated one).
pub const UNDATED: &str = "undated";

/// One outlet's profile.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceProfile {
    pub source: String,
    /// The period the profile covers ([`period_profiles`]: `2021-11`, `2021-Q4`, [`UNDATED`],
    /// ...); none for a profile of all the source's articles.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// Articles from the outlet.
    pub articles: u64,
    /// Articles with a score (the others did not mention the target).
    pub scored: u64,
    /// Mean score over the scored articles.
    pub mean_score: Option<f64>,
    /// 95% bootstrap interval of the mean score (2.5th and 97.5th percentiles).
    pub interval: Option<(f64, f64)>,
    /// Label counts per head.
    pub labels: BTreeMap<String, BTreeMap<String, u64>>,
    /// The most frequent predicted label of the scored head (none on a tie).
    pub majority: Option<String>,
    /// The outlet's mean prediction as a label, for a three-label polar head (negative -1,
    /// middle 0, positive +1; mean below -1/3 negative, above +1/3 positive, else middle);
    /// otherwise the majority label.
    pub predicted: Option<String>,
    /// Mean target mentions per article.
    pub mean_mentions: f64,
    /// The outlet's most frequent true label over its scored articles (those the prediction
    /// is taken over), when true labels are given; none on a tie.
    pub truth: Option<String>,
    /// Whether `predicted` equals `truth`.
    pub matches: Option<bool>,
    /// Per pole of the scored head, what moves the source's articles toward it most
    /// ([`CueTally::top`]); empty when not tallied.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub cues: BTreeMap<String, Vec<Cue>>,
}

/// Bootstrap settings.
#[derive(Clone, Copy, Debug)]
pub struct Bootstrap {
    pub resamples: usize,
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            resamples: 2000,
            seed: 20_220_513,
        }
    }
}

/// The most frequent label; none on a tie for the top (an alphabetical pick would decide
/// whether an outlet "matches").
fn majority(counts: &BTreeMap<String, u64>) -> Option<String> {
    let top = counts.values().copied().max()?;
    let mut at_top = counts.iter().filter(|&(_, &n)| n == top);
    match (at_top.next(), at_top.next()) {
        (Some((l, _)), None) => Some(l.clone()),
        _ => None,
    }
}

/// The 95% percentile-bootstrap interval of the mean of `xs` (at least one value).
pub fn bootstrap_mean_interval(xs: &[f64], b: Bootstrap) -> (f64, f64) {
    if xs.len() == 1 {
        return (xs[0], xs[0]);
    }
    let mut rng = SplitMix(b.seed ^ (xs.len() as u64).wrapping_mul(0x9E37_79B9));
    let n = xs.len();
    let mut means: Vec<f64> = (0..b.resamples.max(1))
        .map(|_| (0..n).map(|_| xs[rng.below(n)]).sum::<f64>() / n as f64)
        .collect();
    means.sort_by(f64::total_cmp);
    let at = |q: f64| means[((means.len() - 1) as f64 * q).round() as usize];
    (at(0.025), at(0.975))
}

/// The (negative, middle, positive) labels of a three-label polar head, for mean predictions.
#[derive(Clone, Debug, PartialEq)]
pub struct Scale {
    pub negative: String,
    pub middle: String,
    pub positive: String,
}

impl Scale {
    /// The scale of `labels` when they are three with a known polarity (pro / anti, favor /
    /// against, right / left, ...) and one more.
    pub fn of(labels: &[String]) -> Option<Scale> {
        if labels.len() != 3 {
            return None;
        }
        let (p, n) = crate::metrics::default_polarity(labels)?;
        let m = (0..3).find(|&i| i != p && i != n)?;
        Some(Scale {
            negative: labels[n].clone(),
            middle: labels[m].clone(),
            positive: labels[p].clone(),
        })
    }

    /// The label of a mean of per-article values (-1, 0, +1).
    fn label(&self, counts: &BTreeMap<String, u64>) -> Option<String> {
        let c = |l: &String| counts.get(l).copied().unwrap_or(0) as f64;
        let n = c(&self.negative) + c(&self.middle) + c(&self.positive);
        if n == 0.0 {
            return None;
        }
        let m = (c(&self.positive) - c(&self.negative)) / n;
        Some(if m < -1.0 / 3.0 {
            self.negative.clone()
        } else if m > 1.0 / 3.0 {
            self.positive.clone()
        } else {
            self.middle.clone()
        })
    }
}

/// What moves a source's articles toward one pole of the scored head: a feature of their
/// evidence (a word, n-gram or lexicon category), with its mean contribution per scored
/// article of the source.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cue {
    pub feature: String,
    /// Its contribution toward the pole against the other (log-odds), summed over the
    /// source's articles that list it and divided by the source's articles with leanings
    /// (every article scored on the head, when the report classifies them).
    pub mean: f64,
    /// The source's articles that list it.
    pub articles: u64,
    /// Its commonest forms in those articles' texts (up to three).
    pub forms: Vec<String>,
}

/// Per feature: summed contribution, articles listing it, forms met and how often.
type CueSums = BTreeMap<String, (f64, u64, BTreeMap<String, u64>)>;

/// The cues of every source, tallied article by article from the leanings of the scored head
/// (each article's top contributions toward each pole against the other): what each source's
/// score is made of. Memory grows with sources and distinct features, not with articles.
#[derive(Clone, Debug, Default)]
pub struct CueTally {
    /// Per source: its articles with leanings, and per pole the features' sums.
    sources: BTreeMap<String, (u64, BTreeMap<String, CueSums>)>,
}

impl CueTally {
    /// One article's leanings (its evidence toward each pole against the other); `source` as
    /// the profiles name it (`None`: [`UNKNOWN_SOURCE`]). Function words and items that never
    /// say which side (the mention rate) are not cues. Contributions are taken as records
    /// print them (four decimals), so a tally of records read back equals one made as they
    /// were classified.
    pub fn add(&mut self, source: Option<&str>, leanings: &[Leaning]) {
        let (n, poles) = self
            .sources
            .entry(source.unwrap_or(UNKNOWN_SOURCE).to_owned())
            .or_default();
        *n += 1;
        for l in leanings {
            let sums = poles.entry(l.label.clone()).or_default();
            for e in l
                .evidence
                .iter()
                .filter(|e| !e.function_words && !e.either_side)
            {
                let entry = sums.entry(e.feature.clone()).or_default();
                entry.0 += (f64::from(e.contribution) * 1e4).round() / 1e4;
                entry.1 += 1;
                for f in &e.text {
                    *entry.2.entry(f.clone()).or_default() += 1;
                }
            }
        }
    }

    /// Whether no article had leanings.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Per pole, the `n` features with the largest mean contribution for `source`.
    pub fn top(&self, source: &str, n: usize) -> BTreeMap<String, Vec<Cue>> {
        let Some((articles, poles)) = self.sources.get(source) else {
            return BTreeMap::new();
        };
        poles
            .iter()
            .map(|(pole, sums)| {
                let mut cues: Vec<Cue> = sums
                    .iter()
                    .map(|(feature, (sum, k, forms))| {
                        let mut fs: Vec<(&String, &u64)> = forms.iter().collect();
                        fs.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
                        Cue {
                            feature: feature.clone(),
                            mean: sum / *articles as f64,
                            articles: *k,
                            forms: fs.into_iter().take(3).map(|(f, _)| f.clone()).collect(),
                        }
                    })
                    .collect();
                cues.sort_by(|a, b| {
                    b.mean
                        .total_cmp(&a.mean)
                        .then_with(|| a.feature.cmp(&b.feature))
                });
                cues.truncate(n);
                (pole.clone(), cues)
            })
            .collect()
    }
}

/// Profiles of every source in `obs`, sorted by mean score (unscored outlets last), then name.
/// `head` names the scored head (its labels give `majority`, and with `scale` `predicted`).
pub fn profiles(
    obs: &[Observation],
    head: &str,
    scale: Option<&Scale>,
    b: Bootstrap,
) -> Vec<SourceProfile> {
    let mut groups: BTreeMap<&str, Vec<&Observation>> = BTreeMap::new();
    for o in obs {
        groups
            .entry(o.source.as_deref().unwrap_or(UNKNOWN_SOURCE))
            .or_default()
            .push(o);
    }
    let mut out: Vec<SourceProfile> = groups
        .into_iter()
        .map(|(source, os)| profile(source, None, &os, head, scale, b))
        .collect();
    out.sort_by(|a, b| match (a.mean_score, b.mean_score) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.source.cmp(&b.source)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.source.cmp(&b.source),
    });
    out
}

/// The profile of one group of a source's articles (`period`: the period they fall in, for
/// [`period_profiles`]).
fn profile(
    source: &str,
    period: Option<String>,
    os: &[&Observation],
    head: &str,
    scale: Option<&Scale>,
    b: Bootstrap,
) -> SourceProfile {
    let scores: Vec<f64> = os.iter().filter_map(|o| o.score).collect();
    let mean_score = (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64);
    let interval = (!scores.is_empty()).then(|| bootstrap_mean_interval(&scores, b));
    let mut labels: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let mut truths: BTreeMap<String, u64> = BTreeMap::new();
    for o in os {
        for (h, l) in &o.labels {
            *labels
                .entry(h.clone())
                .or_default()
                .entry(l.clone())
                .or_default() += 1;
        }
        // Over the articles the prediction is taken over: those scored on the head.
        if let Some(t) = &o.truth
            && o.labels.contains_key(head)
        {
            *truths.entry(t.clone()).or_default() += 1;
        }
    }
    let maj = labels.get(head).and_then(majority);
    let predicted = match (scale, labels.get(head)) {
        (Some(s), Some(c)) => s.label(c),
        _ => maj.clone(),
    };
    let truth = majority(&truths);
    let matches = match (&predicted, &truth) {
        (Some(m), Some(t)) => Some(m == t),
        _ => None,
    };
    SourceProfile {
        source: source.to_owned(),
        period,
        articles: os.len() as u64,
        scored: scores.len() as u64,
        mean_score,
        interval,
        labels,
        majority: maj,
        predicted,
        mean_mentions: os.iter().map(|o| o.mentions as f64).sum::<f64>() / os.len() as f64,
        truth,
        matches,
        cues: BTreeMap::new(),
    }
}

/// Profiles of every source in `obs` per `period` (articles without a date under
/// [`UNDATED`]): the sources in the order of `order` (the sources' overall profiles, by
/// [`profiles`]), each source's periods in time order, [`UNDATED`] last.
pub fn period_profiles(
    obs: &[Observation],
    head: &str,
    scale: Option<&Scale>,
    b: Bootstrap,
    period: Period,
    order: &[SourceProfile],
) -> Vec<SourceProfile> {
    let rank: BTreeMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, p)| (p.source.as_str(), i))
        .collect();
    // (source rank, source, undated last, period name) -> articles.
    let mut groups: BTreeMap<(usize, &str, bool, String), Vec<&Observation>> = BTreeMap::new();
    for o in obs {
        let source = o.source.as_deref().unwrap_or(UNKNOWN_SOURCE);
        let at = rank.get(source).copied().unwrap_or(usize::MAX);
        let name = o
            .date
            .map_or_else(|| UNDATED.to_owned(), |d| d.period(period));
        groups
            .entry((at, source, o.date.is_none(), name))
            .or_default()
            .push(o);
    }
    groups
        .into_iter()
        .map(|((_, source, _, name), os)| profile(source, Some(name), &os, head, scale, b))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(source: &str, score: f64, label: &str) -> Observation {
        Observation {
            source: Some(source.into()),
            score: Some(score),
            labels: [("stance".to_owned(), label.to_owned())].into(),
            mentions: 2,
            truth: None,
            date: None,
        }
    }

    fn dated(source: &str, score: f64, label: &str, date: &str) -> Observation {
        Observation {
            date: Some(Date::parse(date).unwrap()),
            ..obs(source, score, label)
        }
    }

    /// Per period: a profile per source and period holding that period's articles only, the
    /// sources in the given order, periods in time order (not the order met), undated last.
    #[test]
    fn period_profiles_split_each_source_by_period_in_time_order() {
        let v = vec![
            dated("A", 0.5, "pro", "2021-12-01"),
            obs("A", 0.9, "pro"),
            dated("A", -0.5, "anti", "2021-11-30"),
            dated("A", -0.3, "anti", "2021-11-02"),
            dated("B", 0.2, "neutral", "2022-01-09"),
            dated("B", 0.4, "pro", "2021-02-10"),
        ];
        let b = Bootstrap::default();
        let overall = profiles(&v, "stance", None, b);
        // Sorted by mean score: A (+0.15) before B (+0.30).
        assert_eq!(overall[0].source, "A");
        let per = period_profiles(&v, "stance", None, b, Period::Month, &overall);
        let got: Vec<(&str, &str, u64)> = per
            .iter()
            .map(|p| (p.source.as_str(), p.period.as_deref().unwrap(), p.articles))
            .collect();
        assert_eq!(
            got,
            [
                ("A", "2021-11", 2),
                ("A", "2021-12", 1),
                ("A", UNDATED, 1),
                ("B", "2021-02", 1),
                ("B", "2022-01", 1),
            ]
        );
        assert!((per[0].mean_score.unwrap() + 0.4).abs() < 1e-12);
        assert_eq!(per[0].labels["stance"]["anti"], 2);
        assert_eq!(per[2].mean_score, Some(0.9));
        // The articles of every period add up to the source's.
        let a: u64 = per
            .iter()
            .filter(|p| p.source == "A")
            .map(|p| p.articles)
            .sum();
        assert_eq!(a, overall[0].articles);
        let q = period_profiles(&v, "stance", None, b, Period::Year, &overall);
        assert_eq!(q.len(), 4);
        assert_eq!((q[0].period.as_deref(), q[0].articles), (Some("2021"), 3));
        assert!(overall.iter().all(|p| p.period.is_none()));
    }

    #[test]
    fn profiles_have_known_means_counts_and_order() {
        let mut v = vec![
            obs("A", 0.5, "pro"),
            obs("A", 0.7, "pro"),
            obs("A", -0.3, "anti"),
            obs("B", -0.8, "anti"),
            obs("B", -0.6, "anti"),
        ];
        v.push(Observation {
            source: Some("C".into()),
            ..Default::default()
        });
        let p = profiles(&v, "stance", None, Bootstrap::default());
        let names: Vec<&str> = p.iter().map(|x| x.source.as_str()).collect();
        assert_eq!(names, ["B", "A", "C"]);
        assert!((p[0].mean_score.unwrap() + 0.7).abs() < 1e-12);
        assert!((p[1].mean_score.unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(p[1].labels["stance"]["pro"], 2);
        assert_eq!(p[1].majority.as_deref(), Some("pro"));
        assert_eq!((p[2].articles, p[2].scored, p[2].mean_score), (1, 0, None));
        let (lo, hi) = p[1].interval.unwrap();
        assert!(
            lo <= 0.3 && 0.3 <= hi && lo >= -0.3 && hi <= 0.7,
            "{lo} {hi}"
        );
        assert_eq!(p[0].mean_mentions, 2.0);
    }

    #[test]
    fn bootstrap_interval_narrows_with_more_articles_and_is_deterministic() {
        let few: Vec<f64> = (0..10)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let many: Vec<f64> = (0..1000)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let b = Bootstrap::default();
        let (a, z) = bootstrap_mean_interval(&few, b);
        let (c, d) = bootstrap_mean_interval(&many, b);
        assert!(z - a > 4.0 * (d - c), "{a} {z} {c} {d}");
        // For a mean of +-1 values the standard error is 1/sqrt(n): 0.0316 for 1,000.
        assert!((d - c) > 0.09 && (d - c) < 0.16, "{c} {d}");
        assert_eq!(bootstrap_mean_interval(&few, b), (a, z));
        assert_eq!(bootstrap_mean_interval(&[0.25], b), (0.25, 0.25));
    }

    /// A tie for the top true label leaves the outlet without one (not compared), and the true
    /// labels count only on the articles scored on the head, as the prediction does.
    #[test]
    fn tied_or_unscored_true_labels_are_not_compared() {
        let mut v = vec![obs("T", 0.5, "pro"), obs("T", -0.5, "anti")];
        v[0].truth = Some("pro".into());
        v[1].truth = Some("anti".into());
        let p = profiles(&v, "stance", None, Bootstrap::default());
        assert_eq!((p[0].truth.as_deref(), p[0].matches), (None, None));
        assert_eq!(p[0].majority, None);
        // Two unscored articles labelled `anti` would outvote the scored `pro` one.
        let mut u = vec![obs("U", 0.6, "pro")];
        u[0].truth = Some("pro".into());
        for _ in 0..2 {
            u.push(Observation {
                source: Some("U".into()),
                truth: Some("anti".into()),
                ..Default::default()
            });
        }
        let p = profiles(&u, "stance", None, Bootstrap::default());
        assert_eq!(p[0].truth.as_deref(), Some("pro"));
        assert_eq!(p[0].matches, Some(true));
    }

    #[test]
    fn outlets_match_when_majorities_agree() {
        let mut v = vec![
            obs("X", 0.1, "left"),
            obs("X", 0.2, "left"),
            obs("X", 0.0, "right"),
        ];
        for o in &mut v {
            o.truth = Some("left".into());
        }
        let p = profiles(&v, "stance", None, Bootstrap::default());
        assert_eq!(p[0].truth.as_deref(), Some("left"));
        assert_eq!(p[0].matches, Some(true));
        // With a left / center / right scale, the mean prediction decides: two left and one
        // right average -1/3, which is center, not left.
        let labels: Vec<String> = ["center", "left", "right"].map(String::from).to_vec();
        let scale = Scale::of(&labels).unwrap();
        assert_eq!(
            (scale.negative.as_str(), scale.middle.as_str()),
            ("left", "center")
        );
        let p = profiles(&v, "stance", Some(&scale), Bootstrap::default());
        assert_eq!(p[0].majority.as_deref(), Some("left"));
        assert_eq!(p[0].predicted.as_deref(), Some("center"));
        assert_eq!(p[0].matches, Some(false));
    }
}
