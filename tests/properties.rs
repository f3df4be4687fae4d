//! Property tests: invariants that must hold for any input, not just the examples we thought of.

use std::path::Path;
use std::sync::OnceLock;

use proptest::prelude::*;

use slant::features::FeatureConfig;
use slant::lexicon::Lexicon;
use slant::model::{Model, TrainingMeta};
use slant::target::TargetSpec;
use slant::text::{Residue, Tokens, tokenize};
use slant::train::{Corpus, HeadSpec, Resources, TrainOptions, train};

/// Text drawn from the alphabets and punctuation articles mix: Latin with diacritics, Arabic,
/// Persian, typographic quotes and dashes, combining marks, digits, newlines, NULs and emoji.
fn messy_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("Al-Kazemi ".to_string()),
        Just("al -Kadhimi's ".to_string()),
        Just("الكاظمي ".to_string()),
        Just("مصطفى ".to_string()),
        Just("\u{201C}spy\u{201D} ".to_string()),
        Just("\"traitor\" ".to_string()),
        Just("— ".to_string()),
        Just("e\u{0301}te\u{0301} ".to_string()),
        Just("1,450.5 ".to_string()),
        Just("\n\n".to_string()),
        Just("\r\n".to_string()),
        Just("[ad_1]\n".to_string()),
        Just("\u{0000}".to_string()),
        Just("🙂 ".to_string()),
        Just("militias never condemned. ".to_string()),
        Just("so-called ".to_string()),
        Just("it can be said ".to_string()),
        Just("which he described as ".to_string()),
        Just("as an accused ".to_string()),
        Just("it is worth noting ".to_string()),
        Just("no party claimed the attack. ".to_string()),
        Just("#StopTheWar ".to_string()),
        // Words past 16 bytes (the inline keys of the word caches) and past 64 (per-word
        // character scoring keeps no cache entry for those).
        Just("counterinsurgency's ".to_string()),
        Just("والاستخباراتية ".to_string()),
        "[a-z]{60,90} ",
        Just(", the statement said. ".to_string()),
        "[a-zA-Z]{1,12} ",
        "\\PC{0,8}",
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn resources() -> Resources {
    Resources {
        residue: "exact [ad_1]\n".into(),
        target: Some(TargetSpec {
            name: "Mustafa Al-Kazemi".into(),
            aliases: vec!["Kadhimi".into(), "الكاظمي".into()],
            notes: None,
        }),
        lexicon: Lexicon::parse(
            "criticism\tcondemned\t1\npraise\tbrave\t1\nopposition_framing\tmilitias\t1\n",
            Path::new("lexicon.tsv"),
        )
        .unwrap(),
    }
}

/// A small trained model, built once.
/// A document of `text` with nothing else.
fn document(text: String) -> slant::input::Document {
    slant::input::Document {
        id: "d".into(),
        source: None,
        text,
        warnings: vec![],
        label: None,
        date: None,
    }
}

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| {
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        for i in 0..20 {
            texts.push(format!("Al-Kazemi the brave reformer stood firm {i}"));
            labels.push(vec!["pro".to_string()]);
            texts.push(format!("Kadhimi the spy condemned by the militias {i}"));
            labels.push(vec!["anti".to_string()]);
        }
        let heads = vec![HeadSpec {
            name: "stance".into(),
            column: "stance".into(),
            target_dependent: true,
        }];
        let corpus = Corpus::new(texts, heads, &labels).unwrap();
        let opts = TrainOptions {
            features: FeatureConfig {
                min_df: 1,
                char_ngrams: Some((2, 3)),
                char_buckets_log2: 8,
                ..Default::default()
            },
            ..Default::default()
        };
        let meta = TrainingMeta {
            slant_version: "test".into(),
            data_file: "t.csv".into(),
            data_sha256: String::new(),
            rows: 40,
            skipped_rows: 0,
            options: "{}".into(),
        };
        let mut m = train(&corpus, &resources(), &opts, meta).unwrap().0;
        // The generated texts are mostly words this small model never saw: score them all
        // (the share of known words is tested on its own below).
        m.set_min_known(0.0);
        m
    })
}

/// The test model and two variants of it: its character block scored per word, and long
/// texts read in chunks of about six words.
fn variants() -> &'static [Model] {
    static V: OnceLock<Vec<Model>> = OnceLock::new();
    V.get_or_init(|| {
        let mut per_word = model().file().clone();
        per_word.features.config.char_linear = true;
        let mut chunked = model().file().clone();
        chunked.features.config.chunk_words = 6;
        [model().file().clone(), per_word, chunked]
            .map(|f| {
                let mut m = Model::new(f).unwrap();
                m.set_min_known(0.0);
                m
            })
            .into()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Sentences are trimmed, ordered, disjoint pieces of the text on character boundaries,
    /// each with a letter or digit.
    #[test]
    fn sentences_are_ordered_trimmed_pieces(text in messy_text()) {
        let mut last = 0usize;
        for r in slant::text::sentence_spans(&text) {
            prop_assert!(r.start >= last && r.start < r.end);
            prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            let s = &text[r.clone()];
            prop_assert_eq!(s, s.trim());
            prop_assert!(s.chars().any(char::is_alphanumeric));
            last = r.end;
        }
    }

    /// Every token's byte offsets fall on UTF-8 boundaries of the original text, in order,
    /// and never cover a newline.
    #[test]
    fn token_offsets_are_char_boundaries(text in messy_text()) {
        let residue = Residue::parse("exact [ad_1]\nprefix Read also\n", Path::new("r")).unwrap();
        let mut toks = Tokens::default();
        tokenize(&text, &residue, &mut toks);
        let mut last = 0u32;
        for (i, t) in toks.as_slice().iter().enumerate() {
            prop_assert!(t.start < t.end);
            prop_assert!(t.start >= last, "tokens out of order");
            prop_assert!(text.is_char_boundary(t.start as usize));
            prop_assert!(text.is_char_boundary(t.end as usize));
            prop_assert!(!text[t.start as usize..t.end as usize].contains('\n'));
            prop_assert!(!toks.norm(i).is_empty());
            last = t.end;
        }
    }

    /// Features do not depend on the number of threads, nor on the run.
    #[test]
    fn features_are_identical_across_thread_counts(docs in proptest::collection::vec(messy_text(), 1..12)) {
        let f = model().featurizer();
        let run = |threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| f.transform_batch(&docs))
        };
        let (a, ma) = run(1);
        let (b, mb) = run(2);
        let (c, _) = run(2);
        prop_assert_eq!(&ma, &mb);
        for ((x, y), z) in a.iter().zip(&b).zip(&c) {
            prop_assert_eq!(&x.indices, &y.indices);
            prop_assert_eq!(&x.values, &y.values);
            prop_assert_eq!(&y.indices, &z.indices);
            prop_assert!(x.values.iter().all(|v| v.is_finite()));
        }
    }

    /// Classifying with evidence never panics, and the record holds together: probabilities
    /// sum to 1, every evidence item pushes its way (a positive contribution), and the two
    /// leanings of the stance head never name the same feature.
    #[test]
    fn classify_with_evidence_holds_together(text in messy_text(), k in 0usize..8) {
        let m = model();
        let doc = document(text);
        let r = slant::classify::with_thread_scratch(|s| {
            let mut r = m.classify(&doc, k, s);
            m.key_sentences(&doc.text, &mut r, k, s);
            r
        });
        let spans = slant::text::sentence_spans(&doc.text);
        for h in &r.heads {
            // Key sentences: at most k each way, sentences of the text, the effect past the
            // floor, "for" toward the label and "against" toward another one. For a stance
            // pole, k of the writer's own first, then at most k quoted ones (the quoted among
            // the k strongest), each part strongest first.
            prop_assert!(h.sentences_against.len() <= k);
            let pole = h.leanings.is_some() && h.label.as_deref() != Some("neutral");
            if pole {
                let own = h.sentences.iter().take_while(|s| !s.quoted).count();
                prop_assert!(own <= k && h.sentences.len() - own <= k);
                prop_assert!(h.sentences[own..].iter().all(|s| s.quoted));
                for part in [&h.sentences[..own], &h.sentences[own..]] {
                    prop_assert!(part.windows(2).all(|w| w[0].effect >= w[1].effect));
                }
            } else {
                prop_assert!(h.sentences.len() <= k);
                prop_assert!(h.sentences.windows(2).all(|w| w[0].effect >= w[1].effect));
            }
            for (list, toward_label) in [(&h.sentences, true), (&h.sentences_against, false)] {
                for ks in list.iter() {
                    prop_assert!(spans.iter().any(|r| r.start == ks.start && r.end == ks.end));
                    prop_assert!(ks.effect >= slant::classify::MIN_SENTENCE_EFFECT);
                    prop_assert_eq!(Some(&ks.toward) == h.label.as_ref(), toward_label);
                }
            }
            if h.label.is_none() {
                prop_assert!(h.sentences.is_empty() && h.sentences_against.is_empty());
                prop_assert!(h.absent.is_empty());
            }
            // Absent cues: one at most per other label, a lexicon rate in the writer's own
            // voice, and none that the evidence shows as present in the text.
            for a in &h.absent {
                prop_assert!(Some(&a.favours) != h.label.as_ref());
                prop_assert!(a.feature.starts_with("lex:") || a.feature.starts_with("lex@target:"));
                prop_assert_eq!(h.absent.iter().filter(|b| b.favours == a.favours).count(), 1);
                let shown = std::iter::once(&h.evidence)
                    .chain(h.leanings().iter().map(|l| &l.evidence))
                    .flatten()
                    .any(|e| e.feature == a.feature);
                prop_assert!(!shown, "{} is absent and shown", a.feature);
            }
            if let Some(p) = &h.probabilities {
                let total: f32 = p.values().sum();
                prop_assert!((total - 1.0).abs() < 1e-3);
            }
            // At most k items that are not function words, and the function words among
            // them: k of each at most; a list past k ends on an item that is not one.
            let lists = std::iter::once(&h.evidence).chain(h.leanings().iter().map(|l| &l.evidence));
            for list in lists {
                prop_assert!(list.iter().filter(|e| !e.function_words).count() <= k);
                prop_assert!(list.len() <= 2 * k);
                if list.len() > k && list.len() < 2 * k {
                    prop_assert!(!list.last().unwrap().function_words);
                }
            }
            prop_assert!(h.evidence.iter().all(|e| e.contribution > 0.0));
            match (&h.label, k) {
                (Some(_), 1..) => prop_assert_eq!(h.leanings().len(), 2),
                _ => prop_assert!(h.leanings().is_empty()),
            }
            if let [a, b] = h.leanings() {
                prop_assert!(a.evidence.iter().all(|e| e.contribution > 0.0));
                prop_assert!(a.evidence.iter().all(|e| b.evidence.iter().all(|f| f.feature != e.feature)));
            }
        }
    }

    /// The share of known words is a share, and a text below the least share asked for has
    /// no head scored (each says why), while one at or above it is scored as with no limit.
    #[test]
    fn texts_with_too_few_known_words_are_not_scored(text in messy_text(), least in 0.0f32..=1.0) {
        let mut strict = Model::new(model().file().clone()).unwrap();
        strict.set_min_known(least);
        let doc = document(text);
        let (r, open) = slant::classify::with_thread_scratch(|s| {
            (strict.classify(&doc, 3, s), model().classify(&doc, 3, s))
        });
        let known = r.known_words.expect("the test model has word terms");
        prop_assert!((0.0..=1.0).contains(&known));
        prop_assert_eq!(Some(known), open.known_words);
        if known < least {
            for h in &r.heads {
                prop_assert!(h.label.is_none() && h.probabilities.is_none());
                prop_assert!(h.note.as_deref().is_some_and(|n| n.contains("words")));
            }
        } else {
            prop_assert_eq!(&r, &open);
        }
    }

    /// Scoring without evidence (`--explain 0`, `eval`) sums the character block against the
    /// model's table instead of building the vector; with evidence, the vector is built. Both
    /// must give the same probabilities up to rounding, for the usual scoring, per-word
    /// character scoring (`--char-linear`) and a model that reads long texts in chunks.
    #[test]
    fn scoring_with_and_without_evidence_agrees(text in messy_text()) {
        for m in variants() {
            let doc = document(text.clone());
            let (with, without) = slant::classify::with_thread_scratch(|s| {
                (m.classify(&doc, 5, s), m.classify(&doc, 0, s))
            });
            prop_assert_eq!(with.heads.len(), without.heads.len());
            for (a, b) in with.heads.iter().zip(&without.heads) {
                prop_assert_eq!(&a.label.is_some(), &b.label.is_some());
                if let (Some(p), Some(q)) = (&a.probabilities, &b.probabilities) {
                    prop_assert_eq!(p.len(), q.len());
                    for (label, x) in p {
                        let y = q[label];
                        prop_assert!((x - y).abs() <= 2e-4, "{label}: {x} with evidence, {y} without");
                    }
                }
            }
        }
    }

    /// Loading a damaged model never panics: truncations, bit flips and overwritten bytes are
    /// refused (or, if the damage happens to leave a valid file, loaded).
    #[test]
    fn mutated_models_never_panic(
        cut in proptest::option::of(0usize..100_000),
        flips in proptest::collection::vec((0usize..1_000_000, 0u8..8), 0..4),
        overwrite in proptest::option::of((0usize..1_000_000, any::<u8>())),
    ) {
        let mut bytes = model().to_bytes();
        for (pos, bit) in flips {
            let n = bytes.len();
            bytes[pos % n] ^= 1 << bit;
        }
        if let Some((pos, b)) = overwrite {
            let n = bytes.len();
            bytes[pos % n] = b;
        }
        if let Some(c) = cut {
            let n = bytes.len();
            bytes.truncate(c % n);
        }
        let _ = Model::from_bytes(&bytes, Path::new("mutated.bin"));
    }
}

#[test]
fn every_prefix_of_a_model_is_refused() {
    let bytes = model().to_bytes();
    for n in 0..bytes.len() {
        assert!(
            Model::from_bytes(&bytes[..n], Path::new("cut.bin")).is_err(),
            "a {n}-byte prefix of a {}-byte model was accepted",
            bytes.len()
        );
    }
    assert!(Model::from_bytes(&bytes, Path::new("whole.bin")).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(if std::env::var_os("CI").is_some() { 500 } else { 5000 }))]

    /// Every real day reads back from each form a publisher may write it in, and any string
    /// at all is either a date or an error, never a panic.
    #[test]
    fn dates_read_back_from_every_form(
        year in 1800u16..=2200,
        month in 1u8..=12,
        day in 1u8..=31,
        time in prop_oneof![Just(""), Just("T03:14:00Z"), Just(" 23:59"), Just("T00:00:00+03:00")],
        junk in "\\PC{0,30}",
    ) {
        use slant::date::Date;
        let _ = Date::parse(&junk);
        let Some(d) = Date::new(year, month, day) else {
            // Not a day of the calendar (31 April, 29 February of a common year).
            let iso = format!("{year:04}-{month:02}-{day:02}");
            prop_assert!(Date::parse(&iso).is_err());
            return Ok(());
        };
        const NAMES: [&str; 12] = ["January", "February", "March", "April", "May", "June", "July",
            "August", "September", "October", "November", "December"];
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let name = NAMES[month as usize - 1];
        let forms = [
            format!("{d}{time}"),
            format!("{year}/{month}/{day}"),
            format!("{}, {day:02} {} {year} 10:00:00 GMT", DAYS[d.weekday() as usize], &name[..3]),
            format!("{day} {name} {year}"),
            format!("{name} {day}, {year}"),
        ];
        for f in &forms {
            prop_assert_eq!(Date::parse(f), Ok(d), "{}", f);
        }
        // The day count and the ISO week agree with each other: the week's Thursday is in
        // the week's year.
        let (wy, w) = d.iso_week();
        prop_assert!((1..=53).contains(&w));
        prop_assert!(wy.abs_diff(year) <= 1);
    }
}
