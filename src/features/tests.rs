//! Unit tests of feature extraction.

use super::*;
use std::path::Path;

fn target() -> TargetSpec {
    TargetSpec {
        name: "Mustafa Al-Kazemi".into(),
        aliases: vec!["Kazemi".into(), "Kadhimi".into(), "al-Kadhimi".into()],
        notes: None,
    }
}

fn lexicon() -> Lexicon {
    Lexicon::parse(
        "criticism\tcondemned\t1\ncriticism\tfailed\t1\npro_iran_framing\tmartyrs\t1\nopposition_framing\toutlaw militias\t2\n",
        Path::new("l.tsv"),
    )
    .unwrap()
}

const DOCS: [&str; 6] = [
    "The factions condemned Al-Kazemi and praised the martyrs.",
    "The factions condemned the militias, not Kadhimi.",
    "Al -Kazemi condemned the outlaw militias once more.",
    "Kazemi met officials in Baghdad about the budget.",
    "Officials met about the budget; the militias waited.",
    "\u{201C}He failed,\u{201D} they said of al-Kadhimi, who condemned the attack.",
];

fn featurizer(cfg: FeatureConfig) -> Featurizer {
    let analyzer = Analyzer::new(Residue::default(), Some(&target()), &cfg).unwrap();
    let counts = VocabCounts::count(&analyzer, &cfg, &DOCS).unwrap();
    let spec = build_spec(cfg, String::new(), Some(target()), lexicon(), &counts).unwrap();
    Featurizer::from_spec(spec).unwrap()
}

fn names(f: &Featurizer, v: &SparseVec) -> Vec<String> {
    v.indices.iter().map(|&j| f.feature_name(j)).collect()
}

/// The id of the feature of `v` named `name` (it must be there).
fn feature_id(f: &Featurizer, v: &SparseVec, name: &str) -> u32 {
    v.indices
        .iter()
        .copied()
        .find(|&j| f.feature_name(j) == name)
        .unwrap_or_else(|| panic!("no feature {name} in {:?}", names(f, v)))
}

#[test]
fn target_windows_separate_who_is_condemned() {
    let cfg = FeatureConfig {
        min_df: 1,
        window: 1,
        ..Default::default()
    };
    let f = featurizer(cfg);
    let a = names(&f, &f.transform(DOCS[0]));
    let b = names(&f, &f.transform(DOCS[1]));
    assert!(a.contains(&"condemn <target>".to_owned()), "{a:?}");
    assert!(a.contains(&"near:condemn".to_owned()), "{a:?}");
    assert!(b.contains(&"condemn".to_owned()), "{b:?}");
    assert!(!b.contains(&"near:condemn".to_owned()), "{b:?}");
    assert!(!b.contains(&"condemn <target>".to_owned()), "{b:?}");
}

#[test]
fn word_cache_is_per_featurizer() {
    // Two featurizers on one thread take turns: one stemming with every word in its
    // dictionary, one keeping word forms and only the words of two documents or more (so
    // the same word has another unit id). Each must get its own units, not the other's
    // cached ones.
    let stemmed = featurizer(FeatureConfig {
        min_df: 1,
        ..Default::default()
    });
    let plain = featurizer(FeatureConfig {
        min_df: 2,
        stem: false,
        ..Default::default()
    });
    let text = DOCS[2];
    let a = names(&stemmed, &stemmed.transform(text));
    let b = names(&plain, &plain.transform(text));
    assert!(a.contains(&"condemn".to_owned()), "{a:?}");
    assert!(b.contains(&"condemned".to_owned()), "{b:?}");
    for _ in 0..2 {
        assert_eq!(names(&stemmed, &stemmed.transform(text)), a);
        assert_eq!(names(&plain, &plain.transform(text)), b);
    }
}

/// The cached analysis copies each word's character buckets from the per-thread word cache;
/// the vector, and where each feature occurs, must be those hashing every n-gram of every
/// occurrence gives: with repeated
/// words (cache hits), target mentions (no n-grams), hashtag parts (no n-grams of their own),
/// words outside the ASCII range, and three featurizers of other n-gram settings taking turns
/// on the thread (each must get its own buckets), one of them reading raw chunks (hashed as
/// they come, not cached).
#[test]
fn cached_character_buckets_give_the_vector_hashing_does() {
    let texts = [
        DOCS[0],
        DOCS[5],
        "Al-Kazemi condemned the militias and #OutlawMilitias, then condemned them again: \u{201C}\u{e9}t\u{e9} \
         na\u{ef}ve\u{201D} \u{0627}\u{0644}\u{0643}\u{0627}\u{0638}\u{0645}\u{064A} Kazemi \
         condemned.",
        "The militias, the militias and the martyrs; Kadhimi, Kadhimi.",
    ];
    let wide = featurizer(FeatureConfig {
        min_df: 1,
        char_ngrams: Some((2, 5)),
        char_buckets_log2: 12,
        split_hashtags: true,
        ..Default::default()
    });
    let narrow = featurizer(FeatureConfig {
        min_df: 1,
        char_ngrams: Some((3, 4)),
        char_buckets_log2: 10,
        split_hashtags: true,
        ..Default::default()
    });
    // Each featurizer reads the texts twice in a row (the second time from its cache), then
    // the other takes the thread.
    let chunked = featurizer(FeatureConfig {
        min_df: 1,
        char_ngrams: Some((2, 4)),
        char_buckets_log2: 11,
        char_chunks: true,
        ..Default::default()
    });
    for round in 0..4 {
        for f in [&wide, &narrow, &chunked] {
            for t in texts.iter().chain(&texts) {
                let (mut a, mut b) = (Analysis::default(), Analysis::default());
                let (mut cached, mut hashed) = (SparseVec::default(), SparseVec::default());
                f.analyze(t, &mut a);
                // Raw chunks are hashed as they come (a chunk cache was slower on tweets).
                let words = !f.spec().config.char_chunks;
                assert_eq!(a.char_grams_ready, words);
                assert_eq!(a.char_grams.is_empty(), !words);
                f.vectorize(&mut a, &mut cached);
                f.analyzer.analyze(t, &mut b, |s| f.unit_id(s));
                f.dense_raw(&mut b);
                assert!(!b.char_grams_ready);
                f.vectorize(&mut b, &mut hashed);
                assert_eq!(cached.indices, hashed.indices, "round {round}: {t}");
                assert_eq!(cached.values, hashed.values, "round {round}: {t}");
                let chars = cached
                    .indices
                    .iter()
                    .filter(|&&j| f.feature_name(j).starts_with("chars#"))
                    .count();
                assert!(chars > 10, "{chars} character buckets in {t}");
                // Where each feature occurs, and the n-gram quoted for a bucket, found in the
                // cached buckets or by hashing again: the same, with a limit and without.
                for max in [1, 2, usize::MAX] {
                    assert_eq!(
                        f.provenance_many(&a, &cached.indices, max),
                        f.provenance_many(&b, &hashed.indices, max),
                        "round {round}, max {max}: {t}"
                    );
                }
            }
        }
    }
}

#[test]
fn counts_past_u16_are_exact() {
    // "budget" 70,000 times (past the u16 accumulator's 65,535) and 140,000 times, beside
    // "militias" 3 times: the word block's values keep the ratio of 1 + ln(count) exactly.
    let f = featurizer(FeatureConfig {
        min_df: 1,
        ngram_max: 1,
        ..Default::default()
    });
    for n in [70_000usize, 140_000] {
        let text = format!("{} militias militias militias", "budget ".repeat(n));
        let v = f.transform(&text);
        let value = |name: &str| {
            v.indices
                .iter()
                .position(|&j| f.feature_name(j) == name)
                .map(|k| v.values[k])
                .unwrap()
        };
        let idf = |stem: &str| {
            let spec = f.spec();
            let t = spec
                .terms
                .iter()
                .position(|&(a, b, _)| {
                    b == NO_UNIT && a != TARGET_UNIT && spec.stems[a as usize] == stem
                })
                .unwrap();
            spec.idf[t]
        };
        let got = value("budget") / value("militia");
        let want = (1.0 + (n as f32).ln()) * idf("budget") / ((1.0 + 3f32.ln()) * idf("militia"));
        assert!((got / want - 1.0).abs() < 1e-4, "{n}: {got} vs {want}");
    }
}

#[test]
fn idf_and_block_norms() {
    let f = featurizer(FeatureConfig {
        min_df: 1,
        ..Default::default()
    });
    let spec = f.spec();
    // "condemn" appears in 4 of 6 documents.
    let t = spec
        .terms
        .iter()
        .position(|&(a, b, _)| {
            b == NO_UNIT && a != TARGET_UNIT && spec.stems[a as usize] == "condemn"
        })
        .unwrap();
    let expect = ((1.0f64 + 6.0) / (1.0 + 4.0)).ln() + 1.0;
    assert!((spec.idf[t] as f64 - expect).abs() < 1e-6);
    let v = f.transform(DOCS[2]);
    let lay = f.layout();
    let window = lay.window.unwrap();
    for (lo, hi) in [(lay.word, window), (window, lay.dense)] {
        let norm: f32 = v
            .iter()
            .filter(|(j, _)| *j >= lo && *j < hi)
            .map(|(_, x)| x * x)
            .sum();
        assert!((norm.sqrt() - 1.0).abs() < 1e-5, "block {lo}..{hi}: {norm}");
    }
    assert!(v.indices.windows(2).all(|w| w[0] < w[1]));
}

#[test]
fn function_terms_are_told_from_the_others() {
    let f = featurizer(FeatureConfig {
        min_df: 1,
        negated_block: true,
        char_ngrams: Some((3, 3)),
        ..Default::default()
    });
    let v = f.transform(
        "The factions condemned the militias, not Kadhimi. They said of him that it was over.",
    );
    let function: Vec<String> = v
        .indices
        .iter()
        .filter(|&&j| f.is_function_term(j))
        .map(|&j| f.feature_name(j))
        .collect();
    for name in ["the", "of", "near:the", "they"] {
        assert!(function.contains(&name.to_owned()), "{name}: {function:?}");
    }
    // "us" is also "US" and "U.S." lowercased: not a function word.
    assert!(!is_function_word("us"));
    for j in v.indices.iter().copied() {
        let name = f.feature_name(j);
        let words = name.strip_prefix("near:").unwrap_or(&name);
        let expected = !name.starts_with("not:")
            && !name.starts_with("chars#")
            && !name.contains(':') | name.starts_with("near:")
            && words.split(' ').all(is_function_word);
        assert_eq!(f.is_function_term(j), expected, "{name}");
    }
    // Content words, the target and the dense features are not.
    for name in [
        "faction",
        "condemn the",
        "<target>",
        "not:<target>",
        "lex:criticism",
    ] {
        assert!(!function.contains(&name.to_owned()), "{name}");
    }
}

#[test]
fn negated_lexicon_matches_are_not_counted() {
    let f = featurizer(FeatureConfig {
        min_df: 1,
        ..Default::default()
    });
    let names = f.dense_names().to_vec();
    let mut a = Analysis::default();
    let get = |a: &Analysis, n: &str| a.dense[names.iter().position(|x| x == n).unwrap()];
    f.analyze("Kazemi condemned the outlaw militias.", &mut a);
    assert!(get(&a, "lex:criticism") > 0.0);
    f.analyze(
        "Kazemi never condemned anyone, and the outlaw militias laughed.",
        &mut a,
    );
    assert_eq!(get(&a, "lex:criticism"), 0.0, "negated");
    assert!(
        get(&a, "lex:opposition_framing") > 0.0,
        "out of the negation's scope"
    );
    // A sentence break ends the scope.
    f.analyze("Kazemi did not. Condemned again.", &mut a);
    assert!(get(&a, "lex:criticism") > 0.0);
    // After "if" or "unless" in its sentence, a match is hypothetical (seed 002: "if the
    // Americans do not take real steps to support Al-Kazemi, he will fail to change").
    for text in [
        "If Washington stays away, Kazemi failed the state.",
        "Unless Washington helps him, Kazemi failed.",
    ] {
        f.analyze(text, &mut a);
        assert_eq!(get(&a, "lex:criticism"), 0.0, "{text}");
    }
    // Before the "if", and in the next sentence, it counts.
    for text in [
        "Kazemi failed the state, if you ask the protesters.",
        "If Washington stays away, he is alone. Kazemi failed.",
    ] {
        f.analyze(text, &mut a);
        assert!(get(&a, "lex:criticism") > 0.0, "{text}");
    }
}

#[test]
fn reported_speech_without_quote_marks_counts_as_quoted() {
    let cfg = FeatureConfig {
        min_df: 1,
        ..Default::default()
    };
    let on = featurizer(cfg.clone());
    let off = featurizer(FeatureConfig {
        reported_speech: false,
        ..cfg
    });
    let names = on.dense_names().to_vec();
    let get = |a: &Analysis, n: &str| a.dense[names.iter().position(|x| x == n).unwrap()];
    let mut a = Analysis::default();
    // After a reporting verb, the rest of the sentence is somebody else's.
    let text = "The factions accused Kazemi of having condemned the outlaw militias.";
    on.analyze(text, &mut a);
    assert_eq!(get(&a, "lex:criticism"), 0.0);
    assert!(get(&a, "lex@quote:criticism") > 0.0);
    off.analyze(text, &mut a);
    assert!(get(&a, "lex:criticism") > 0.0);
    assert_eq!(get(&a, "lex@quote:criticism"), 0.0);
    // Words before a cue early in the sentence stay the writer's; the next sentence is the
    // writer's again.
    on.analyze(
        "Kazemi condemned the raid and the factions said nothing about the deaths of many. The outlaw militias fired again.",
        &mut a,
    );
    assert!(get(&a, "lex:criticism") > 0.0);
    assert!(get(&a, "lex:opposition_framing") > 0.0);
    // A cue at the end of its sentence attributes the whole sentence.
    on.analyze(
        "Kazemi condemned the outlaw militias, the statement said on Monday. He left.",
        &mut a,
    );
    assert_eq!(get(&a, "lex:criticism"), 0.0);
    assert!(get(&a, "lex@quote:criticism") > 0.0);
    // A cue right after a quotation attributes the quotation, not what follows.
    on.analyze(
        "\u{201C}He lied,\u{201D} they said of Kazemi, who condemned the raid.",
        &mut a,
    );
    assert!(get(&a, "lex:criticism") > 0.0);
    // A new sentence after a quotation has a cue of its own: "He claimed that ..." reports.
    let q = |text: &str, words: &[&str]| quoted_words(&on, text, words);
    // Past a colon, reported speech runs on (what follows is what was said); without a cue
    // before it, a colon is the writer's, and a full stop still ends reported speech.
    assert_eq!(
        q(
            "Their accusations against Kazemi change with the season: spy, thief. He stayed calm.",
            &["spy", "thief", "calm"]
        ),
        [true, true, false]
    );
    assert_eq!(
        q(
            "His record is plain: reform, courage.",
            &["reform", "courage"]
        ),
        [false, false]
    );
    assert_eq!(
        q(
            "The source added: \u{201C}They back him.\u{201D} He claimed that Maliki plotted.",
            &["plotted"]
        ),
        [true]
    );
    assert_eq!(
        q(
            "\u{201C}Maliki leads them.\u{201D} Abdul Latif added that the campaign began.",
            &["campaign"]
        ),
        [true]
    );
    // A name in quotation marks does not end reported speech; a long quotation does.
    assert_eq!(
        q(
            "A source told the \u{201C}Shafaq News\u{201D} website that the force stayed.",
            &["force", "stayed"]
        ),
        [true, true]
    );
    assert_eq!(
        q(
            "He said \u{201C}we will hold the vote on time\u{201D} and the force stayed.",
            &["force"]
        ),
        [false]
    );
    // A lower-case cue after the full stop still attributes the quotation only.
    assert_eq!(
        q(
            "\u{201C}He lied.\u{201D} they said of Kazemi, who condemned the raid.",
            &["condemned"]
        ),
        [false]
    );
    // "according to" takes the whole sentence, before and after it.
    on.analyze(
        "Kazemi condemned the outlaw militias, according to a source.",
        &mut a,
    );
    assert_eq!(get(&a, "lex:criticism"), 0.0);
    assert_eq!(get(&a, "lex:opposition_framing"), 0.0);
    assert!(get(&a, "lex@quote:opposition_framing") > 0.0);
    // Not when a rule or an interest follows it: that is the writer's sentence.
    for text in [
        "Kazemi condemned the outlaw militias, according to the law.",
        "Kazemi condemned the outlaw militias according to their personal interests.",
    ] {
        on.analyze(text, &mut a);
        assert!(get(&a, "lex:opposition_framing") > 0.0, "{text}");
        assert_eq!(get(&a, "lex@quote:opposition_framing"), 0.0, "{text}");
    }
    // A source after a possessive or a modifier still attributes.
    on.analyze(
        "Kazemi condemned the outlaw militias, according to his office.",
        &mut a,
    );
    assert_eq!(get(&a, "lex:opposition_framing"), 0.0);
}

/// Whether each listed word of `text` is read as quoted (somebody else's voice).
fn quoted_words(f: &Featurizer, text: &str, words: &[&str]) -> Vec<bool> {
    let mut a = Analysis::default();
    f.analyze(text, &mut a);
    words
        .iter()
        .map(|w| {
            let u = (0..a.units.len())
                .find(|&u| {
                    let (s, e) = a.unit_span[u];
                    text[s as usize..e as usize].eq_ignore_ascii_case(w)
                })
                .unwrap_or_else(|| panic!("no unit {w} in {text}"));
            a.unit_flags[u] & QUOTED != 0
        })
        .collect()
}

#[test]
fn scare_quotes_are_the_writers_own_words() {
    let f = featurizer(FeatureConfig {
        min_df: 1,
        ..Default::default()
    });
    let q = |text: &str, words: &[&str]| quoted_words(&f, text, words);
    // A word or two in quotation marks, nobody named as saying it: the writer's.
    assert_eq!(
        q(
            "Kazemi backed the \u{201C}Jokers\u{201D} again.",
            &["Jokers"]
        ),
        [false]
    );
    assert_eq!(
        q("He met the \"civil society\" crowd.", &["civil", "society"]),
        [false, false]
    );
    // At the very end of the text too.
    assert_eq!(q("He armed the \"Jokers\"", &["Jokers"]), [false]);
    // A cue before it in the sentence (the quotation mark is no sentence break) or right
    // after it attributes it.
    assert_eq!(
        q(
            "The commander attacked his team, which he described as \u{201C}spies\u{201D}, again.",
            &["spies"]
        ),
        [true]
    );
    assert_eq!(
        q("\"Traitor,\" the factions said of Kazemi.", &["Traitor"]),
        [true]
    );
    // A cue in an earlier sentence does not.
    assert_eq!(
        q(
            "The factions said so. He backed the \"Jokers\" again.",
            &["Jokers"]
        ),
        [false]
    );
    // A longer quotation is reported speech even without a cue.
    assert_eq!(
        q(
            "\"We will hold the elections on time\" was the message.",
            &["elections"]
        ),
        [true]
    );
}

#[test]
fn some_reporting_words_are_the_writers_voice() {
    let f = featurizer(FeatureConfig {
        min_df: 1,
        ..Default::default()
    });
    let q = |text: &str, words: &[&str]| quoted_words(&f, text, words);
    assert_eq!(
        q("The so-called reformers failed the state.", &["failed"]),
        [false]
    );
    assert_eq!(
        q("It can be said that Kazemi failed the state.", &["failed"]),
        [false]
    );
    assert_eq!(
        q(
            "Al-Asadi, considered to be a moderate figure, stayed.",
            &["moderate"]
        ),
        [false]
    );
    assert_eq!(
        q("He is considered a moderate figure.", &["moderate"]),
        [false]
    );
    assert_eq!(
        q(
            "As an accused in the case he cannot return to politics.",
            &["politics"]
        ),
        [false]
    );
    // An accusation in the passive with nobody named as making it is the writer's
    // presentation; with an agent it is reported.
    assert_eq!(
        q(
            "Being accused of intervening in the assassinations of martyrs, he was shunned.",
            &["martyrs"]
        ),
        [false]
    );
    assert_eq!(
        q("He is accused of betraying the martyrs.", &["martyrs"]),
        [false]
    );
    assert_eq!(
        q(
            "He was accused by the factions of betraying the martyrs.",
            &["martyrs"]
        ),
        [true]
    );
    // The active verbs still report somebody's claim.
    assert_eq!(
        q("The factions considered him a traitor.", &["traitor"]),
        [true]
    );
    assert_eq!(q("They called him a traitor.", &["traitor"]), [true]);
    assert_eq!(q("It was said that Kazemi failed.", &["failed"]), [true]);
    // The verbs of wire copy report too.
    assert_eq!(
        q(
            "Kazemi confirmed that the militias failed the state.",
            &["failed"]
        ),
        [true]
    );
    assert_eq!(
        q(
            "He expressed the hope that elections would restore trust.",
            &["restore"]
        ),
        [true]
    );
    // And in the present tense of a headline ("Al-Kazemi reveals that he was exposed to
    // three assassination attempts", seed 004).
    for verb in ["reveals", "announces", "acknowledges", "admits"] {
        assert_eq!(
            q(
                &format!("Kazemi {verb} that he survived three assassination attempts."),
                &["survived"]
            ),
            [true],
            "{verb}"
        );
    }
    assert_eq!(
        q(
            "Kazemi survived three assassination attempts.",
            &["survived"]
        ),
        [false]
    );
    // Participles after a clause, and "pointed out" (seed 004: `He also pointed out that
    // “...”, stressing his country's commitment ...`).
    for text in [
        "He met the envoy, stressing that the militias failed the state.",
        "He also pointed out that the militias failed the state.",
    ] {
        assert_eq!(q(text, &["failed"]), [true], "{text}");
    }
    assert_eq!(
        q(
            "He pointed to the map where the militias failed the state.",
            &["failed"]
        ),
        [false]
    );
    // The writer's own asides and the noun "demands" (seed 004: "It is worth noting that
    // gunmen had assassinated Al-Hashemi ...", "These elections are one of the demands of
    // popular protests ..."); the verbs still report.
    for text in [
        "It is worth noting that the militias failed the state.",
        "It should be noted that the militias failed the state.",
        "Early elections were one of the demands of the protesters who failed the state.",
        // A claim of an act (seed 004: "... near his home, and no party claimed this crime.").
        "Gunmen killed him, the militias failed the state, and no party claimed this crime.",
        "The militias failed the state, and a new group claimed responsibility.",
    ] {
        assert_eq!(q(text, &["failed"]), [false], "{text}");
    }
    for text in [
        "He met the envoy, noting that the militias failed the state.",
        "The envoy noted that the militias failed the state.",
        "The movement demands that the militias who failed the state disarm.",
        "The militias failed the state, the statement claimed.",
        "The factions claimed the militias had failed the state.",
    ] {
        assert_eq!(q(text, &["failed"]), [true], "{text}");
    }
}

#[test]
fn without_stemming_word_forms_stay_apart_and_the_lexicon_still_matches() {
    let cfg = FeatureConfig {
        min_df: 1,
        ..Default::default()
    };
    let stemmed = featurizer(cfg.clone());
    let words = featurizer(FeatureConfig { stem: false, ..cfg });
    let text = "Al -Kazemi condemned the outlaw militias once more.";
    let n = names(&stemmed, &stemmed.transform(text));
    assert!(
        n.contains(&"condemn".to_owned()) && n.contains(&"militia".to_owned()),
        "{n:?}"
    );
    let n = names(&words, &words.transform(text));
    assert!(
        n.contains(&"condemned".to_owned()) && n.contains(&"militias".to_owned()),
        "{n:?}"
    );
    assert!(!n.contains(&"condemn".to_owned()), "{n:?}");
    // Lexicon phrases are matched on words too.
    let dn = words.dense_names().to_vec();
    let mut a = Analysis::default();
    words.analyze(text, &mut a);
    let get = |n: &str| a.dense[dn.iter().position(|x| x == n).unwrap()];
    assert!(get("lex:criticism") > 0.0 && get("lex:opposition_framing") > 0.0);
}

#[test]
fn ascii_text_is_chunked_as_split_whitespace_would() {
    let f = featurizer(FeatureConfig {
        min_df: 1,
        char_ngrams: Some((3, 3)),
        char_buckets_log2: 16,
        char_chunks: true,
        ..Default::default()
    });
    // Every ASCII byte Unicode calls white space, including the vertical tab and form feed
    // that `u8::is_ascii_whitespace` leaves out; then the same text with one non-ASCII
    // character, which takes the `split_whitespace` path.
    let ascii = "  Kazemi\tSAID:\x0bthe\x0cMilitias\r\n  LOST\u{1}again  ";
    let chunks = |text: &str| {
        let mut a = Analysis::default();
        f.analyze(text, &mut a);
        a.chunks
            .iter()
            .map(|&(s, e, _, _)| a.chunk_text[s as usize..e as usize].to_owned())
            .collect::<Vec<_>>()
    };
    let got = chunks(ascii);
    assert_eq!(
        got,
        ["said:", "the", "militias", "lost\u{1}again"],
        "the mention chunk is skipped"
    );
    let unicode = format!("{ascii} \u{e9}");
    assert_eq!(chunks(&unicode)[..got.len()], got[..]);
}

#[test]
fn character_ngrams_from_raw_chunks_keep_punctuation_and_skip_mentions() {
    let cfg = FeatureConfig {
        min_df: 1,
        char_ngrams: Some((3, 3)),
        char_buckets_log2: 16,
        ..Default::default()
    };
    let chunks = featurizer(FeatureConfig {
        char_chunks: true,
        ..cfg.clone()
    });
    let tokens = featurizer(cfg);
    let text = "Kazemi condemned #Militias!!";
    let grams = |f: &Featurizer| -> Vec<String> {
        let mut a = Analysis::default();
        let mut v = SparseVec::default();
        f.analyze(text, &mut a);
        f.vectorize(&mut a, &mut v);
        let c = f.layout().chars.unwrap();
        let mut out: Vec<String> = v
            .indices
            .iter()
            .filter(|&&j| j >= c && j < f.layout().dense)
            .filter_map(|&j| f.provenance(&a, j, 1).1)
            .collect();
        out.sort();
        out
    };
    let g = grams(&chunks);
    assert!(
        g.contains(&"#mi".to_owned()) && g.contains(&"s!!".to_owned()),
        "{g:?}"
    );
    assert!(
        !g.iter().any(|x| x.contains("kaz")),
        "mention chunk skipped: {g:?}"
    );
    let g = grams(&tokens);
    assert!(
        !g.iter().any(|x| x.contains('#') || x.contains('!')),
        "{g:?}"
    );
    assert!(g.contains(&" mi".to_owned()), "{g:?}");
}

#[test]
fn radix_sort_sorts() {
    let mut rng = crate::train::SplitMix(7);
    let mut tmp = Vec::new();
    for n in [0usize, 1, 255, 256, 1000, 2047, 2048, 5000] {
        for span in [1u64, 256, 2047, 2048, 1 << 18, 1 << 20, u32::MAX as u64 + 1] {
            for base in [0u32, 1 << 20, (u32::MAX as u64 + 1 - span) as u32] {
                let mut v: Vec<u32> = (0..n)
                    .map(|_| base.wrapping_add((rng.next() % span) as u32))
                    .collect();
                let mut want = v.clone();
                want.sort_unstable();
                radix_sort(&mut v, &mut tmp);
                assert_eq!(v, want, "n={n} span={span} base={base}");
            }
        }
    }
}

#[test]
fn char_ngram_hashes_match_fnv_of_each_gram() {
    for word in ["kazemi", "الكاظمي", "e\u{301}te", "a"] {
        let mut grams = Vec::new();
        let (mut buf, mut offs) = (String::new(), Vec::new());
        char_ngrams(word, (2, 5), u64::MAX, &mut buf, &mut offs, |h, g| {
            grams.push((h, g.as_str().to_owned()))
        });
        let padded: Vec<char> = format!(" {word} ").chars().collect();
        let mut expect = Vec::new();
        for n in 2..=5usize {
            for s in 0..padded.len().saturating_sub(n - 1) {
                let g: String = padded[s..s + n].iter().collect();
                expect.push((fnv1a(g.as_bytes()) as u32, g));
            }
        }
        grams.sort();
        expect.sort();
        assert_eq!(grams, expect, "{word}");
    }
}

#[test]
fn long_texts_are_cut_into_chunks_at_line_ends() {
    let short = "one two three\nfour five";
    assert_eq!(chunk_ranges(short, 0), vec![0..short.len()]);
    assert_eq!(chunk_ranges(short, 3), vec![0..short.len()]);
    let para = "w ".repeat(9) + "end.\n";
    let text = para.repeat(6) + "tail words";
    let r = chunk_ranges(&text, 20);
    // 10 words a line: two lines a chunk; the 2-word tail joins the last chunk.
    assert_eq!(r.len(), 3, "{r:?}");
    assert_eq!(r[0], 0..2 * para.len());
    assert_eq!(r.last().unwrap().end, text.len());
    for w in r.windows(2) {
        assert_eq!(w[0].end, w[1].start);
    }
    // One long line: cut at sentence ends.
    let line = "Word word word word. ".repeat(40);
    let r = chunk_ranges(&line, 20);
    assert!(r.len() >= 3, "{r:?}");
    assert!(r.iter().all(|c| line[c.clone()].trim_end().ends_with('.')));
}

#[test]
fn lexicon_rates_and_target_stats() {
    let f = featurizer(FeatureConfig {
        min_df: 1,
        window: 2,
        ..Default::default()
    });
    let mut a = Analysis::default();
    f.analyze(DOCS[2], &mut a);
    let names = f.dense_names();
    let get = |n: &str| a.dense[names.iter().position(|x| x == n).unwrap()];
    // 7 units: <target> condemned the outlaw militias once more.
    assert_eq!(a.units.len(), 7);
    assert!((get("lex:opposition_framing") - 2000.0 / 7.0).abs() < 1e-3);
    assert!((get("lex:criticism") - 1000.0 / 7.0).abs() < 1e-3);
    // Window of 2 covers <target> condemned the: "outlaw militias" starts outside it.
    assert_eq!(get("lex@target:opposition_framing"), 0.0);
    assert!((get("lex@target:criticism") - 1000.0 / 3.0).abs() < 1e-3);
    assert!((get("target:per_1k") - 1000.0 / 7.0).abs() < 1e-3);
    assert_eq!(get("target:absent"), 0.0);
    assert_eq!(get("lex@quote:opposition_framing"), 0.0);
    // Quoted words count in the quote rate only, never as the writer's own voice.
    f.analyze(
        "Kazemi replied. They said \"outlaw militias\" rule.",
        &mut a,
    );
    let get = |n: &str| a.dense[names.iter().position(|x| x == n).unwrap()];
    assert_eq!(get("lex:opposition_framing"), 0.0);
    assert!(get("lex@quote:opposition_framing") > 0.0);
    f.analyze(DOCS[4], &mut a);
    assert_eq!(
        a.dense[names.iter().position(|x| x == "target:absent").unwrap()],
        1.0
    );
}

#[test]
fn evidence_text_skips_weight_zero_matches_and_describes_target_stats() {
    let cfg = FeatureConfig {
        min_df: 1,
        window: 2,
        ..Default::default()
    };
    let analyzer = Analyzer::new(Residue::default(), Some(&target()), &cfg).unwrap();
    let counts = VocabCounts::count(&analyzer, &cfg, &DOCS).unwrap();
    let lex = Lexicon::parse(
        "praise\twise\t1\npraise\twisdom\t1\npraise\twisdom movement\t0\n",
        Path::new("p.tsv"),
    )
    .unwrap();
    let spec = build_spec(cfg, String::new(), Some(target()), lex, &counts).unwrap();
    let f = Featurizer::from_spec(spec).unwrap();
    let text = "The Wisdom Movement backed Kazemi, a wise man of some wisdom.";
    let mut a = Analysis::default();
    f.analyze(text, &mut a);
    let col = |name: &str| {
        f.layout().dense + f.dense_names().iter().position(|n| n == name).unwrap() as u32
    };
    let praise = col("lex:praise");
    let (spans, _) = f.provenance(&a, praise, 5);
    let quoted: Vec<&str> = spans.into_iter().map(|r| &text[r]).collect();
    assert_eq!(
        quoted,
        ["wise", "wisdom"],
        "the party name counted for nothing"
    );
    assert_eq!(f.describe_target_stat(&a, praise), None);
    let words = a.units.len();
    assert_eq!(
        f.describe_target_stat(&a, col("target:per_1k")).unwrap(),
        format!(
            "1 mention in {words} words ({:.1} per 1,000)",
            1000.0 / words as f32
        )
    );
    let share = f
        .describe_target_stat(&a, col("target:window_share"))
        .unwrap();
    assert!(
        share.ends_with("% of the words within reach of a mention"),
        "{share}"
    );
    assert_eq!(f.describe_target_stat(&a, 0), None);
}

#[test]
fn a_lexicon_item_quotes_distinct_phrases_heaviest_first() {
    let f = featurizer(FeatureConfig {
        min_df: 1,
        ..Default::default()
    });
    let text = "The failed plan failed. Kazemi condemned the outlaw militias. It failed again, \
                and the outlaw militias condemned him.";
    let mut a = Analysis::default();
    f.analyze(text, &mut a);
    let j = f.layout().dense
        + f.dense_names()
            .iter()
            .position(|n| n == "lex:criticism")
            .unwrap() as u32;
    let quotes = |max: usize| -> Vec<&str> {
        f.provenance(&a, j, max)
            .0
            .into_iter()
            .map(|r| &text[r])
            .collect()
    };
    // "failed" three times and "condemned" twice: each once, in text order at equal weight.
    assert_eq!(quotes(2), ["failed", "condemned"]);
    // Up to twice `max`.
    assert_eq!(quotes(1), ["failed", "condemned"]);
    let j = f.layout().dense
        + f.dense_names()
            .iter()
            .position(|n| n == "lex:opposition_framing")
            .unwrap() as u32;
    assert_eq!(
        f.provenance(&a, j, 2)
            .0
            .into_iter()
            .map(|r| &text[r])
            .collect::<Vec<_>>(),
        ["outlaw militias"]
    );
}

#[test]
fn provenance_of_many_features_matches_one_at_a_time() {
    let base = FeatureConfig {
        min_df: 1,
        window: 2,
        ngram_max: 3,
        char_ngrams: Some((2, 4)),
        char_buckets_log2: 12,
        split_hashtags: true,
        ..Default::default()
    };
    let configs = [
        base.clone(),
        FeatureConfig {
            quote_block: true,
            char_chunks: true,
            ..base.clone()
        },
        FeatureConfig {
            ngrams_across_breaks: true,
            ..base
        },
    ];
    let mut checked = 0;
    for cfg in configs {
        let f = featurizer(cfg);
        for text in DOCS.iter().chain([
            "Al -Kazemi condemned the outlaw militias. \u{201C}The militias failed,\u{201D} Kazemi said; the martyrs.",
            // Words outside the vocabulary (units without an id) between known ones.
            "The factions zorblax condemned the militias quux Kazemi frobbed the martyrs.",
        ]
        .iter())
        {
            let mut a = Analysis::default();
            let mut v = SparseVec::default();
            f.analyze(text, &mut a);
            f.vectorize(&mut a, &mut v);
            // Every feature of the text, and the first few asked for twice.
            let ids: Vec<u32> = v.indices.iter().chain(v.indices.iter().take(3)).copied().collect();
            let many = f.provenance_many(&a, &ids, 2);
            for (&j, got) in ids.iter().zip(&many) {
                assert_eq!(*got, f.provenance(&a, j, 2), "{text}: {}", f.feature_name(j));
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn quote_block_keeps_quoted_words_apart() {
    let f = featurizer(FeatureConfig {
        min_df: 1,
        quote_block: true,
        ..Default::default()
    });
    let n = names(&f, &f.transform(DOCS[5]));
    assert!(n.contains(&"quote:fail".to_owned()), "{n:?}");
    assert!(!n.contains(&"fail".to_owned()), "{n:?}");
    assert!(n.contains(&"condemn".to_owned()), "{n:?}");
}

#[test]
fn negated_block_keeps_negated_words_apart() {
    let cfg = FeatureConfig {
        min_df: 1,
        negated_block: true,
        ..Default::default()
    };
    let f = featurizer(cfg.clone());
    let text = "The factions never condemned the militias. They praised the martyrs.";
    let mut a = Analysis::default();
    let mut v = SparseVec::default();
    f.analyze(text, &mut a);
    f.vectorize(&mut a, &mut v);
    let n = names(&f, &v);
    assert!(n.contains(&"not:condemn".to_owned()), "{n:?}");
    assert!(!n.contains(&"condemn".to_owned()), "{n:?}");
    // The negator's reach ends with its sentence.
    assert!(n.contains(&"prais".to_owned()), "{n:?}");
    assert!(!n.contains(&"not:prais".to_owned()), "{n:?}");
    // Its evidence points at the negated word.
    let j = feature_id(&f, &v, "not:condemn");
    let (spans, _) = f.provenance(&a, j, 3);
    assert_eq!(
        spans.iter().map(|r| &text[r.clone()]).collect::<Vec<_>>(),
        ["condemned"]
    );
    // Without the block the word counts as itself.
    let plain = featurizer(FeatureConfig {
        negated_block: false,
        ..cfg
    });
    let n = names(&plain, &plain.transform(text));
    assert!(n.contains(&"condemn".to_owned()), "{n:?}");
    assert!(!n.iter().any(|x| x.starts_with("not:")), "{n:?}");
}

#[test]
fn char_ngrams_and_provenance() {
    let f = featurizer(FeatureConfig {
        min_df: 1,
        char_ngrams: Some((3, 4)),
        char_buckets_log2: 12,
        split_hashtags: true,
        ..Default::default()
    });
    let text = DOCS[0];
    let mut a = Analysis::default();
    let mut v = SparseVec::default();
    f.analyze(text, &mut a);
    f.vectorize(&mut a, &mut v);
    let lay = f.layout().clone();
    let chars: Vec<u32> = v
        .indices
        .iter()
        .copied()
        .filter(|&j| j >= lay.chars.unwrap() && j < lay.dense)
        .collect();
    assert!(!chars.is_empty());
    let (spans, gram) = f.provenance(&a, chars[0], 3);
    assert!(gram.is_some() && !spans.is_empty());
    // Word provenance points at the original spelling.
    let j = feature_id(&f, &v, "condemn <target>");
    let (spans, _) = f.provenance(&a, j, 3);
    assert_eq!(&text[spans[0].clone()], "condemned Al-Kazemi");
}

#[test]
fn word_trigrams_within_sentences_with_windows_and_provenance() {
    let cfg = FeatureConfig {
        min_df: 1,
        window: 1,
        ngram_max: 3,
        ..Default::default()
    };
    let f = featurizer(cfg.clone());
    let text = DOCS[0];
    let mut a = Analysis::default();
    let mut v = SparseVec::default();
    f.analyze(text, &mut a);
    f.vectorize(&mut a, &mut v);
    let got = names(&f, &v);
    assert!(
        got.contains(&"faction condemn <target>".to_owned()),
        "{got:?}"
    );
    assert!(
        got.contains(&"near:faction condemn <target>".to_owned()),
        "{got:?}"
    );
    // "prais the martyr" is outside every window.
    assert!(got.contains(&"prais the martyr".to_owned()), "{got:?}");
    assert!(
        !got.contains(&"near:prais the martyr".to_owned()),
        "{got:?}"
    );
    let j = feature_id(&f, &v, "faction condemn <target>");
    let (spans, _) = f.provenance(&a, j, 3);
    assert_eq!(&text[spans[0].clone()], "factions condemned Al-Kazemi");
    // No trigram spans the semicolon of DOCS[4], in the vocabulary or in a vector.
    let all: Vec<String> = (0..f.spec().terms.len() as u32)
        .map(|t| f.term_name(t))
        .collect();
    assert!(all.contains(&"about the budget".to_owned()), "{all:?}");
    assert!(
        !all.iter()
            .any(|n| n == "budget the militia" || n == "the budget the")
    );
    let n_tri = |f: &Featurizer| f.spec().terms.iter().filter(|t| t.2 != NO_UNIT).count();
    assert!(n_tri(&f) > 20);
    // Bigram models have none, and the same unigram and bigram terms in the same order.
    let f2 = featurizer(FeatureConfig {
        ngram_max: 2,
        ..cfg.clone()
    });
    assert_eq!(n_tri(&f2), 0);
    let short: Vec<_> = f.spec().terms.iter().filter(|t| t.2 == NO_UNIT).collect();
    assert_eq!(short.len(), f2.spec().terms.len());
    // Across breaks (scikit-learn's stream of words), the semicolon no longer separates.
    let f3 = featurizer(FeatureConfig {
        ngrams_across_breaks: true,
        ..cfg
    });
    let text = DOCS[4];
    f3.analyze(text, &mut a);
    f3.vectorize(&mut a, &mut v);
    let got = names(&f3, &v);
    for n in ["budget the militia", "budget the", "the budget the"] {
        assert!(got.contains(&n.to_owned()), "{n}: {got:?}");
    }
    let j = feature_id(&f3, &v, "budget the militia");
    let (spans, _) = f3.provenance(&a, j, 3);
    assert_eq!(&text[spans[0].clone()], "budget; the militias");
}

#[test]
fn same_features_for_any_thread_count() {
    let f = featurizer(FeatureConfig {
        min_df: 1,
        char_ngrams: Some((2, 4)),
        char_buckets_log2: 12,
        split_hashtags: true,
        ..Default::default()
    });
    let texts: Vec<String> = (0..200)
        .map(|i| format!("{} {}", DOCS[i % 6], DOCS[(i * 7) % 6]))
        .collect();
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| f.transform_batch(&texts))
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(4));
    // Counting (vocabulary) too.
    let cfg = FeatureConfig::default();
    let analyzer = Analyzer::new(
        Residue::default(),
        Some(&target()),
        &FeatureConfig::default(),
    )
    .unwrap();
    let spec_for = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let counts = pool
            .install(|| VocabCounts::count(&analyzer, &cfg, &texts))
            .unwrap();
        build_spec(
            cfg.clone(),
            String::new(),
            Some(target()),
            lexicon(),
            &counts,
        )
        .unwrap()
    };
    assert_eq!(spec_for(1), spec_for(3));
}

#[test]
fn without_a_target_there_is_no_window_block() {
    let cfg = FeatureConfig {
        min_df: 1,
        char_ngrams: Some((3, 4)),
        char_buckets_log2: 10,
        split_hashtags: true,
        ..Default::default()
    };
    let with = featurizer(cfg.clone());
    let analyzer = Analyzer::new(Residue::default(), None, &cfg).unwrap();
    let counts = VocabCounts::count(&analyzer, &cfg, &DOCS).unwrap();
    let spec = build_spec(cfg, String::new(), None, lexicon(), &counts).unwrap();
    let without = Featurizer::from_spec(spec).unwrap();
    let (lw, lo) = (with.layout(), without.layout());
    assert_eq!(lw.window, Some(lw.n_terms));
    assert_eq!(lo.window, None);
    // Words, then characters straight after: one block of terms fewer.
    assert_eq!(lo.chars, Some(lo.n_terms));
    assert_eq!(
        lo.n_features,
        lo.n_terms + lo.n_buckets + without.dense_names().len() as u32
    );
    // Every feature of a text falls in a block and has a name; none is "near:".
    let v = without.transform(DOCS[2]);
    assert!(!v.indices.is_empty());
    assert!(v.indices.iter().all(|&j| j < lo.n_features));
    assert!(
        v.indices
            .iter()
            .all(|&j| !without.feature_name(j).starts_with("near:"))
    );
}

#[test]
fn corrupt_specs_are_refused() {
    let f = featurizer(FeatureConfig::default());
    let mut s = f.spec().clone();
    s.idf.pop();
    assert!(Featurizer::from_spec(s).is_err());
    let mut s = f.spec().clone();
    s.terms[0].0 = s.stems.len() as u32 + 5;
    assert!(Featurizer::from_spec(s).is_err());
    let mut s = f.spec().clone();
    s.dense_scale[0] = f32::NAN;
    assert!(Featurizer::from_spec(s).is_err());
}

#[test]
fn character_sums_agree_for_every_row_width() {
    // `CharSum::sum` has a fixed-width loop for 2, 4 and 8 weights per row and a general one:
    // each must give the sums written out plainly, for both tf forms.
    let first = 100u32;
    let buckets = 64usize;
    for n in [1usize, 2, 3, 4, 8, 12] {
        let width = (n + 1).next_multiple_of(4);
        let table: Vec<f32> = (0..buckets * width)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect();
        let chars: Vec<u32> = (0..buckets as u32).step_by(3).map(|b| first + b).collect();
        let count = |j: u32| 1 + (j * 7) % 5;
        for linear in [false, true] {
            let tf = |c: u32| {
                if linear {
                    c as f32
                } else {
                    1.0 + (c as f32).ln()
                }
            };
            let mut sums = vec![0f32; n + 1];
            let block = CharSum {
                chars: &chars,
                first,
                table: &table,
                width,
                linear,
            };
            block.sum(&mut sums, &mut |j| count(j), &tf);
            let mut want = vec![0f32; n + 1];
            for &j in &chars {
                let row = &table[(j - first) as usize * width..];
                let t = tf(count(j));
                want[0] += if linear {
                    t * row[0] * row[0]
                } else {
                    (t * row[0]).powi(2)
                };
                for c in 0..n {
                    want[c + 1] += t * row[c + 1];
                }
            }
            for (a, b) in sums.iter().zip(&want) {
                assert!(
                    (a - b).abs() <= 1e-4 * b.abs().max(1.0),
                    "{n} {linear}: {sums:?} {want:?}"
                );
            }
        }
    }
}

#[test]
fn lexicon_about_target_counts_only_sentences_about_him() {
    let cfg = FeatureConfig {
        min_df: 1,
        lexicon_about_target: vec!["criticism".into()],
        ..Default::default()
    };
    let f = featurizer(cfg.clone());
    let plain = featurizer(FeatureConfig {
        lexicon_about_target: Vec::new(),
        ..cfg.clone()
    });
    let names = f.dense_names().to_vec();
    let get = |a: &Analysis, n: &str| a.dense[names.iter().position(|x| x == n).unwrap()];
    let mut a = Analysis::default();
    // Criticism of someone else just before his name (inside his window): counted by the
    // plain featurizer, not by the scoped one, in either rate.
    let others = "The previous government failed. Kazemi met officials in Baghdad.";
    plain.analyze(others, &mut a);
    assert!(get(&a, "lex:criticism") > 0.0 && get(&a, "lex@target:criticism") > 0.0);
    f.analyze(others, &mut a);
    assert_eq!(get(&a, "lex:criticism"), 0.0);
    assert_eq!(get(&a, "lex@target:criticism"), 0.0);
    // The category not listed still counts everywhere.
    f.analyze("The outlaw militias waited. Kazemi met officials.", &mut a);
    assert!(get(&a, "lex:opposition_framing") > 0.0);
    // In a sentence that names him, or one after it that says "he": counted.
    for text in [
        "Kazemi failed the officials in Baghdad.",
        "Kazemi met officials in Baghdad. Then he failed the budget.",
    ] {
        f.analyze(text, &mut a);
        assert!(get(&a, "lex:criticism") > 0.0, "{text}");
    }
    // A single line break (hard-wrapped text) does not end a sentence; a blank line does.
    f.analyze(
        "Kazemi met officials in\nBaghdad and failed the budget.",
        &mut a,
    );
    assert!(get(&a, "lex:criticism") > 0.0);
    f.analyze(
        "Kazemi met officials in Baghdad\n\nThe militias failed the budget.",
        &mut a,
    );
    assert_eq!(get(&a, "lex:criticism"), 0.0);
    // Not in a sentence after it without "he", nor once a sentence about something else
    // broke the chain.
    for text in [
        "Kazemi met officials in Baghdad. Then the militias failed the budget.",
        "Kazemi met officials. The militias waited. Then he failed.",
    ] {
        f.analyze(text, &mut a);
        assert_eq!(get(&a, "lex:criticism"), 0.0, "{text}");
    }
    // A category the lexicon lacks, or no target, is refused.
    let analyzer = Analyzer::new(Residue::default(), Some(&target()), &cfg).unwrap();
    let counts = VocabCounts::count(&analyzer, &cfg, &DOCS).unwrap();
    let bad = FeatureConfig {
        lexicon_about_target: vec!["praise".into()],
        ..cfg.clone()
    };
    let spec = build_spec(bad, String::new(), Some(target()), lexicon(), &counts).unwrap();
    let err = Featurizer::from_spec(spec).unwrap_err().to_string();
    assert!(err.contains("`praise`"), "{err}");
    let spec = build_spec(cfg, String::new(), None, lexicon(), &counts).unwrap();
    assert!(Featurizer::from_spec(spec).is_err());
}
