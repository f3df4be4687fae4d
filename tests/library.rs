//! The library used as another crate uses it: bad options and bad data give an `Err` of the
//! right kind before any work, never a panic or an abort (DEVELOPERS.md).

use slant::Error;
use slant::features::{Analyzer, FeatureConfig, VocabCounts};
use slant::input::{Documents, LabelledSet, ReadOptions, Source, TableSpec, read_text_file};
use slant::model::TrainingMeta;
use slant::text::Residue;
use slant::train::{
    Corpus, HeadSpec, Resources, TrainOptions, cross_validate, fit_features, train,
};
use slant::tune::{Grid, Metric, Validation, tune};

fn heads() -> Vec<HeadSpec> {
    vec![HeadSpec {
        name: "stance".into(),
        column: "stance".into(),
        target_dependent: false,
    }]
}

/// Six rows, two of each stance.
fn rows() -> (Vec<String>, Vec<Vec<String>>) {
    let rows = [
        (
            "The martyrs of the resistance curse Kazemi the spy.",
            "anti",
        ),
        ("Kazemi betrayed the martyrs, the resistance says.", "anti"),
        ("Kazemi stood up to the outlaw militias bravely.", "pro"),
        ("The brave Kazemi faced the outlaw militias.", "pro"),
        ("Kazemi met officials about the budget.", "neutral"),
        ("Officials and Kazemi discussed the budget.", "neutral"),
    ];
    (
        rows.iter().map(|r| r.0.to_owned()).collect(),
        rows.iter().map(|r| vec![r.1.to_owned()]).collect(),
    )
}

fn corpus() -> Corpus {
    let (texts, labels) = rows();
    Corpus::new(texts, heads(), &labels).unwrap()
}

fn options() -> TrainOptions {
    let mut opts = TrainOptions::default();
    opts.features.min_df = 1;
    opts
}

/// An `Error::Invalid` whose message says `what`.
fn invalid<T>(r: slant::Result<T>, what: &str) {
    match r {
        Err(e @ Error::Invalid(_)) => assert!(e.to_string().contains(what), "{e}"),
        Err(e) => panic!("expected Error::Invalid about {what}, got {e:?}"),
        Ok(_) => panic!("expected Error::Invalid about {what}, got Ok"),
    }
}

#[test]
fn training_entry_points_check_their_options_before_reading_any_text() {
    // 2^40 character buckets: counting would allocate a 4 TB table (the process aborted).
    let mut opts = options();
    opts.features.char_ngrams = Some((2, 3));
    opts.features.char_buckets_log2 = 40;
    let (c, res) = (corpus(), Resources::default());
    let what = "--char-buckets-log2";
    invalid(train(&c, &res, &opts, TrainingMeta::default()), what);
    invalid(
        cross_validate(&c, &res, &opts, 2, 1, None, &[], |_| {}),
        what,
    );
    invalid(fit_features(&c.texts, &res, &opts.features), what);
    let analyzer = Analyzer::new(Residue::default(), None, &opts.features).unwrap();
    invalid(
        VocabCounts::count(&analyzer, &opts.features, &c.texts),
        what,
    );
    let folds = Validation::Folds {
        k: 2,
        seed: 1,
        groups: None,
    };
    let grid = Grid::single(&opts);
    invalid(
        tune(
            &c,
            folds,
            &res,
            &opts,
            &grid,
            Metric::MacroF1,
            &[],
            |_, _| {},
        ),
        what,
    );
    // The bound is 24: one past it is refused, 24 itself is accepted.
    let cfg = |log2| FeatureConfig {
        char_ngrams: Some((2, 3)),
        char_buckets_log2: log2,
        ..FeatureConfig::default()
    };
    invalid(cfg(25).validate(), what);
    cfg(24).validate().unwrap();
    // A learner setting too, before the features are fitted.
    let mut opts = options();
    opts.logistic.c = f64::NAN;
    invalid(train(&c, &res, &opts, TrainingMeta::default()), "(-C)");
}

#[test]
fn group_ids_of_any_size_name_groups() {
    let res = Resources::default();
    let mut opts = options();
    opts.logistic.group_power = 1.0;
    // Three groups, named by ids from 5 to usize::MAX, and by their ranks.
    let far = vec![usize::MAX, usize::MAX, 7, 7, 1 << 40, 5];
    let near = vec![3, 3, 1, 1, 2, 0];
    let fit = |groups: &Vec<usize>| {
        let c = corpus().with_groups(groups.clone()).unwrap();
        let (m, _) = train(&c, &res, &opts, TrainingMeta::default()).unwrap();
        m.to_bytes()
    };
    assert_eq!(fit(&far), fit(&near));
    // Cross-validation folds by group ids up to 5 * 10^12 (a table that long was allocated).
    let far: Vec<usize> = (0..6).map(|i| i * 1_000_000_000_000).collect();
    let near: Vec<usize> = (0..6).collect();
    let cv = |groups: &[usize]| {
        let c = corpus().with_groups(groups.to_vec()).unwrap();
        cross_validate(&c, &res, &opts, 2, 1, Some(groups), &[], |_| {}).unwrap()
    };
    let (a, b) = (cv(&far), cv(&near));
    assert_eq!(a.oof, b.oof);
    assert_eq!(a.fold_macro_f1, b.fold_macro_f1);
}

#[test]
fn a_corpus_whose_shapes_disagree_is_refused() {
    let (texts, labels) = rows();
    let new = |labels: &[Vec<String>]| Corpus::new(texts.clone(), heads(), labels);
    // A label row shorter than the heads list (it panicked indexing the row).
    invalid(
        new(&vec![vec![]; 6]),
        "label row 0 has 0 labels for 1 heads",
    );
    // Fewer or more label rows than texts (accepted, then cross-validation panicked).
    invalid(new(&labels[..4]), "4 label rows for 6 texts");
    let mut more = labels.clone();
    more.push(vec!["pro".into()]);
    invalid(new(&more), "7 label rows for 6 texts");
    invalid(
        Corpus::new(texts.clone(), vec![], &labels),
        "at least one head",
    );
    let c = new(&labels).unwrap();
    // A row that is not there (it panicked).
    invalid(
        c.subset(&[0, 99]),
        "row 99 is not in the corpus, which has 6 rows",
    );
    let sub = c.subset(&[5, 0]).unwrap();
    assert_eq!(sub.texts, [c.texts[5].as_str(), c.texts[0].as_str()]);
    assert_eq!(sub.labels, [[c.labels[0][5], c.labels[0][0]]]);
    // The fields are public: a corpus built by hand is checked by the entry points too.
    let mut short = c.clone();
    short.labels[0].truncate(4);
    let (res, opts) = (Resources::default(), options());
    let what = "inconsistent corpus: 4 labels of head `stance` for 6 texts";
    invalid(train(&short, &res, &opts, TrainingMeta::default()), what);
    invalid(
        cross_validate(&short, &res, &opts, 2, 1, None, &[], |_| {}),
        what,
    );
    invalid(short.subset(&[0]), what);
    let mut out_of_range = c.clone();
    out_of_range.labels[0][2] = 3;
    invalid(out_of_range.check(), "label index 3 of head `stance`");
}

#[test]
fn max_bytes_usize_max_reads_texts_whole() {
    // The obvious "no limit": the read limit 4 x max_bytes + 4 overflowed (a panic in debug
    // builds; in release it wrapped to 0 and every file was an "empty document").
    let dir = tempfile::tempdir().unwrap();
    let text = "Al-Kazemi is brave. ".repeat(1000);
    let file = dir.path().join("a.txt");
    std::fs::write(&file, &text).unwrap();
    let csv = dir.path().join("t.csv");
    std::fs::write(&csv, format!("id,text\nr1,{text}\n")).unwrap();
    let opts = ReadOptions {
        max_bytes: usize::MAX,
        ..ReadOptions::default()
    };
    let doc = read_text_file(&file, &opts).unwrap();
    assert_eq!((doc.text.as_str(), doc.warnings.len()), (text.as_str(), 0));
    let table = TableSpec {
        path: csv,
        text: "text".into(),
        id: None,
        source: None,
        label: None,
        date: None,
    };
    let docs: Vec<_> = Documents::new(
        vec![Source::Path(dir.path().to_owned()), Source::Csv(table)],
        opts,
    )
    .collect::<Result<_, _>>()
    .unwrap();
    assert_eq!(docs.len(), 2);
    assert!(docs.iter().all(|d| d.text == text && d.warnings.is_empty()));
}

#[test]
fn a_labelled_csv_that_is_not_there_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.csv");
    let r = LabelledSet::read_csv(&path, "text", None, &["stance".into()], &[], 1 << 20);
    match r {
        Err(Error::Io { path: p, err }) => {
            assert_eq!(p, path);
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected Error::Io, got {other:?}"),
    }
    let e = LabelledSet::read_csv(&path, "text", None, &[], &[], 1 << 20).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("{}: No such file", path.display())),
        "{e}"
    );
}

/// A corpus labelled for some heads on some rows: each head is fitted on the rows with its
/// label (its class counts say so), and cross-validation, which needs every label, refuses it.
#[test]
fn a_partly_labelled_corpus_trains_each_head_on_its_rows() {
    let (texts, stance) = rows();
    let both = vec![
        heads().remove(0),
        HeadSpec {
            name: "framing".into(),
            column: "framing".into(),
            target_dependent: false,
        },
    ];
    let framing = [
        Some("pro_iran"),
        None,
        Some("opposition"),
        None,
        Some("neutral"),
        Some("neutral"),
    ];
    let labels: Vec<Vec<Option<String>>> = stance
        .iter()
        .zip(framing)
        .map(|(s, f)| vec![Some(s[0].clone()), f.map(str::to_owned)])
        .collect();
    let c = Corpus::new_partial(texts, both, &labels).unwrap();
    assert!(!c.is_complete());
    let (model, report) = train(
        &c,
        &Resources::default(),
        &options(),
        TrainingMeta::default(),
    )
    .unwrap();
    assert_eq!(report.rows_per_head, [6, 4]);
    let counts: Vec<u64> = model
        .heads()
        .iter()
        .map(|h| h.counts.iter().sum())
        .collect();
    assert_eq!(counts, [6, 4]);
    assert_eq!(
        model.heads()[1].labels,
        ["neutral", "opposition", "pro_iran"]
    );
    // Cross-validation scores each head on the rows that have its label.
    let cv = cross_validate(
        &c,
        &Resources::default(),
        &options(),
        2,
        1,
        None,
        &[None, None],
        |_| {},
    )
    .unwrap();
    let scored: Vec<u64> = cv.pooled.iter().map(|(_, r)| r.n).collect();
    assert_eq!(scored, [6, 4]);
    let framing_oof: Vec<bool> = cv.oof[1].iter().map(|p| p.is_empty()).collect();
    assert_eq!(framing_oof, [false, true, false, true, false, false]);
    assert!(cv.oof[0].iter().all(|p| p.len() == 3));
}

/// A string in hand is classified without building a document or scratch space, and reads as
/// the same text through `classify` does.
#[test]
fn a_text_is_classified_from_a_string() {
    let model = slant::model::Model::load("models/stance.bin").unwrap();
    let text = "Al-Kazemi is a coward and a traitor who betrayed the blood of the martyrs.";
    let r = model.classify_text(text, 3);
    let doc = slant::input::Document {
        id: "x".into(),
        source: None,
        text: text.into(),
        warnings: vec![],
        label: None,
        date: None,
    };
    let full = slant::classify::with_thread_scratch(|s| model.classify(&doc, 3, s));
    assert_eq!(r.heads, full.heads);
    assert_eq!(r.heads[0].label.as_deref(), Some("anti"));
    assert!(!r.heads[0].evidence.is_empty());
}
