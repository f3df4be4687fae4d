//! Integration tests: drive the real `slant` binary on temporary directories.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::Value;

#[test]
fn every_subcommand_has_help() {
    for sub in [
        "classify", "train", "eval", "cv", "inspect", "tune", "lexicon",
    ] {
        let o = slant().args([sub, "--help"]).output().unwrap();
        assert!(o.status.success(), "{sub} --help");
        assert!(stdout(&o).contains("Usage: slant"), "{sub}: {}", stdout(&o));
    }
    let o = slant().arg("--version").output().unwrap();
    assert!(stdout(&o).starts_with("slant "));
    let o = slant().arg("frobnicate").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn train_classify_eval_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let article = dir.path().join("a.txt");
    std::fs::write(
        &article,
        "The resistance says Al -Kazemi is an agent who betrayed the martyrs.",
    )
    .unwrap();

    // JSON Lines: one object per line with every field.
    let o = slant()
        .args(["classify", "--format", "jsonl", "--model"])
        .arg(&model)
        .arg(&article)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let recs = jsonl(&o);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    assert_eq!(r["mentions"], 1);
    let stance = head(r, "stance");
    assert_eq!(stance["label"], "anti");
    let p = stance["probabilities"].as_object().unwrap();
    let total: f64 = p.values().map(|v| v.as_f64().unwrap()).sum();
    assert!((total - 1.0).abs() < 1e-3);
    let score = stance["score"].as_f64().unwrap();
    assert!((score - (p["pro"].as_f64().unwrap() - p["anti"].as_f64().unwrap())).abs() < 1e-3);
    assert!(!stance["evidence"].as_array().unwrap().is_empty());
    // What leans toward each pole: a hostile text has something leaning anti.
    let leanings = stance["leanings"].as_array().unwrap();
    let poles: Vec<(&str, &str)> = leanings
        .iter()
        .map(|l| (l["label"].as_str().unwrap(), l["against"].as_str().unwrap()))
        .collect();
    assert_eq!(poles, [("pro", "anti"), ("anti", "pro")]);
    assert!(!leanings[1]["evidence"].as_array().unwrap().is_empty());
    assert_eq!(head(r, "framing")["label"], "pro_iran");
    assert!(head(r, "framing").get("leanings").is_none());

    // CSV: a header and one row per document.
    let o = slant()
        .args(["classify", "--format", "csv", "--model"])
        .arg(&model)
        .arg(&article)
        .output()
        .unwrap();
    let mut rdr = csv::Reader::from_reader(o.stdout.as_slice());
    let headers = rdr.headers().unwrap().clone();
    for col in [
        "id",
        "mentions",
        "stance",
        "stance_p_anti",
        "stance_score",
        "framing",
        "framing_p_pro_iran",
        "stance_evidence",
        "stance_leans_pro",
        "stance_leans_anti",
        "stance_absent",
        "stance_sentences",
        "stance_sentences_against",
        "stance_note",
        "framing_sentences",
    ] {
        assert!(
            headers.iter().any(|h| h == col),
            "no column {col} in {headers:?}"
        );
    }
    // Framing has no polarity, so no leanings.
    assert!(!headers.iter().any(|h| h.starts_with("framing_leans")));
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    let cell = |name: &str| &rows[0][headers.iter().position(|h| h == name).unwrap()];
    assert_eq!(cell("stance"), "anti");
    assert!(!cell("stance_leans_anti").is_empty());

    // Table: readable, with evidence lines.
    let o = slant()
        .args(["classify", "--format", "table", "--model"])
        .arg(&model)
        .arg(&article)
        .output()
        .unwrap();
    let t = stdout(&o);
    assert!(
        t.contains("stance") && t.contains("anti") && t.contains("framing") && t.contains("score"),
        "{t}"
    );
    assert!(
        t.lines().any(|l| l.trim_start().starts_with('+')),
        "no evidence lines:\n{t}"
    );
    assert!(t.contains("leans anti, against pro:"), "{t}");

    // Eval on the training data: text and JSON.
    let o = slant()
        .args(["eval", "--model"])
        .arg(&model)
        .args(["--data", "tests/fixtures/tiny.csv"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let t = stdout(&o);
    assert!(
        t.contains("head stance")
            && t.contains("macro-F1")
            && t.contains("F_avg(pro,anti)")
            && t.contains("confusion"),
        "{t}"
    );
    let o = slant()
        .args(["eval", "--json", "--model"])
        .arg(&model)
        .args([
            "--data",
            "tests/fixtures/tiny.csv",
            "--label",
            "stance=stance",
            "--favg",
            "pro,anti",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let rep = &v["heads"][0]["report"];
    assert_eq!(rep["n"], 24);
    assert!(rep["accuracy"].as_f64().unwrap() > 0.9, "{rep}");
    assert_eq!(rep["confusion"].as_array().unwrap().len(), 3);

    // Inspect.
    let o = slant().arg("inspect").arg(&model).output().unwrap();
    let t = stdout(&o);
    assert!(
        t.contains("head stance") && t.contains("vocabulary") && t.contains("anti ("),
        "{t}"
    );
}

/// JSON Lines and CSV agree on the leanings whatever the options and the document: a head with
/// a polarity always has them (an empty list, empty cells, when none were asked for or it was
/// not scored); a head without one has neither the key nor the columns.
#[test]
fn leanings_keep_their_place_without_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let texts = "id,text\n\
        a,The resistance says Al -Kazemi is an agent who betrayed the martyrs.\n\
        b,The ministry discussed the budget with the militias.\n";
    for explain in ["0", "3"] {
        let run = |format: &str| {
            let o = slant()
                .args(["classify", "--format", format, "--explain", explain])
                .args(["--csv", "-", "--model"])
                .arg(&model)
                .write_stdin(texts)
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", stderr(&o));
            o
        };
        let recs = jsonl(&run("jsonl"));
        let o = run("csv");
        let mut rdr = csv::Reader::from_reader(o.stdout.as_slice());
        let headers = rdr.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
        assert_eq!((recs.len(), rows.len()), (2, 2));
        for (r, row) in recs.iter().zip(&rows) {
            let leanings = head(r, "stance")["leanings"]
                .as_array()
                .unwrap_or_else(|| panic!("--explain {explain}: no stance leanings in {r}"));
            for (i, pole) in ["pro", "anti"].iter().enumerate() {
                let cell = &row[headers
                    .iter()
                    .position(|h| h == format!("stance_leans_{pole}"))
                    .unwrap()];
                // The JSON list and the CSV cell are empty together.
                let items = leanings
                    .get(i)
                    .map_or(0, |l| l["evidence"].as_array().unwrap().len());
                assert_eq!(items == 0, cell.is_empty(), "{r}\n{cell:?}");
            }
            // Asked for and scored: both poles, in both formats.
            let scored = r["mentions"].as_u64().unwrap() > 0;
            assert_eq!(
                leanings.len(),
                if explain == "3" && scored { 2 } else { 0 },
                "{r}"
            );
            assert!(head(r, "framing").get("leanings").is_none(), "{r}");
        }
        assert!(!headers.iter().any(|h| h.starts_with("framing_leans")));
    }
}

#[test]
fn documents_without_the_target_are_flagged_not_scored() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let o = slant()
        .args(["classify", "--format", "jsonl", "--model"])
        .arg(&model)
        .arg("-")
        .write_stdin("The ministry discussed the budget and salaries with the militias.")
        .output()
        .unwrap();
    assert!(o.status.success());
    let r = &jsonl(&o)[0];
    assert_eq!(r["id"], "<stdin>");
    assert_eq!(r["mentions"], 0);
    let s = head(r, "stance");
    assert!(s["label"].is_null() && s["probabilities"].is_null());
    assert!(s["note"].as_str().unwrap().contains("not mentioned"));
    assert!(head(r, "framing")["label"].is_string());
    assert!(stderr(&o).contains("1 without a target mention"));
}

#[test]
fn bad_inputs_are_reported_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).unwrap();
    std::fs::write(
        docs.join("1_good.txt"),
        "Kazemi met officials about the budget.",
    )
    .unwrap();
    std::fs::write(docs.join("2_empty.txt"), "").unwrap();
    std::fs::write(docs.join("3_latin1.txt"), b"Kazemi met the caf\xE9 owners.").unwrap();
    std::fs::write(docs.join("4_binary.txt"), b"\x00\x01\x02binary").unwrap();
    std::fs::write(
        docs.join("5_good.txt"),
        "Kadhimi bravely stood up to the militias.",
    )
    .unwrap();
    let o = slant()
        .args(["classify", "--format", "jsonl", "--model"])
        .arg(&model)
        .arg(&docs)
        .arg(dir.path().join("missing.txt"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let ids: Vec<String> = jsonl(&o)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(
        ids[0].ends_with("1_good.txt")
            && ids[1].ends_with("3_latin1.txt")
            && ids[2].ends_with("5_good.txt")
    );
    let err = stderr(&o);
    assert!(err.contains("2_empty.txt: empty document"), "{err}");
    assert!(err.contains("4_binary.txt: binary file"), "{err}");
    assert!(err.contains("3_latin1.txt: not valid UTF-8"), "{err}");
    assert!(
        err.contains("missing.txt: no such file or directory"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn csv_and_jsonl_inputs_name_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let csv_in = dir.path().join("in.csv");
    std::fs::write(&csv_in, "url,body,outlet\nu1,Kazemi the agent of the occupation,A\nu2,too,many,fields\nu3,,B\nu4,Kadhimi met officials,B\n").unwrap();
    let o = slant()
        .args([
            "classify",
            "--format",
            "jsonl",
            "--text-col",
            "body",
            "--id-col",
            "url",
            "--source-col",
            "outlet",
            "--model",
        ])
        .arg(&model)
        .arg("--csv")
        .arg(&csv_in)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let recs = jsonl(&o);
    assert_eq!(
        recs.iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["u1", "u4"]
    );
    assert_eq!(recs[1]["source"], "B");
    let err = stderr(&o);
    assert!(
        err.contains("in.csv:3: row has 4 fields, the header has 3"),
        "{err}"
    );
    assert!(err.contains("in.csv:4: empty document"), "{err}");

    // A wrong column is fatal and lists the columns there are.
    let o = slant()
        .args(["classify", "--text-col", "text", "--model"])
        .arg(&model)
        .arg("--csv")
        .arg(&csv_in)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no column `text`; the columns are: url, body, outlet"),
        "{}",
        stderr(&o)
    );

    let jl = dir.path().join("in.jsonl");
    std::fs::write(
        &jl,
        "{\"text\": \"Kazemi the spy\"}\n{broken\n{\"body\": \"x\"}\n",
    )
    .unwrap();
    let o = slant()
        .args(["classify", "--format", "jsonl", "--model"])
        .arg(&model)
        .arg("--jsonl")
        .arg(&jl)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(jsonl(&o).len(), 1);
    let err = stderr(&o);
    assert!(err.contains("in.jsonl:2: malformed JSON"), "{err}");
    assert!(err.contains("in.jsonl:3: field `text` is missing"), "{err}");
}

/// A `text,stance` table: ten `anti` rows and ten `pro` rows (lines 2 to 21), then `more`.
fn agent_brave_csv(more: &str) -> String {
    let mut csv = String::from("text,stance\n");
    for i in 0..10 {
        csv.push_str(&format!(
            "Kazemi the agent number {i},anti\nKazemi the brave number {i},pro\n"
        ));
    }
    csv + more
}

#[test]
fn training_reports_bad_rows_and_never_clobbers_a_model() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    let csv = agent_brave_csv(",pro\nKazemi with no label,\nKazemi with a bad label,maybe\n");
    std::fs::write(&data, &csv).unwrap();
    let out = dir.path().join("m.bin");
    let o = train_stance(&data, &out, &["--classes", "stance=anti,pro"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("d.csv:22: empty `text`"), "{err}");
    assert!(
        err.contains("d.csv:23: missing label in column `stance`"),
        "{err}"
    );
    assert!(err.contains("d.csv:24: label `maybe`"), "{err}");
    let good = std::fs::read(&out).unwrap();

    // A failing run (no usable rows; a missing column) leaves the old model untouched.
    std::fs::write(&data, "text,stance\n,anti\n").unwrap();
    let o = slant()
        .args(["train", "--label", "stance=stance", "--data"])
        .arg(&data)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = slant()
        .args(["train", "--label", "stance=verdict", "--data"])
        .arg(&data)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no column `verdict`; the columns are: text, stance"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&out).unwrap(), good);
    let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(leftovers, 2, "temporary files left behind");

    // A destination that cannot take the model is refused before training, not after.
    let train_to = |out: &Path| {
        slant()
            .args(["train", "--label", "stance=verdict", "--data"])
            .arg(&data)
            .arg("-o")
            .arg(out)
            .output()
            .unwrap()
    };
    let o = train_to(&dir.path().join("nodir/m.bin"));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("nodir does not exist"),
        "{}",
        stderr(&o)
    );
    let o = train_to(dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("is a directory"), "{}", stderr(&o));
}

/// Options that cannot mean anything are usage errors naming the option; settings that train
/// a degenerate model or name a class no row has are warned about.
#[test]
fn nonsense_training_options_are_refused_or_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    std::fs::write(&data, agent_brave_csv("")).unwrap();
    let out = dir.path().join("m.bin");
    let train_plain = |extra: &[&str]| {
        slant()
            .args(["train", "--label", "stance=stance", "--data"])
            .arg(&data)
            .arg("-o")
            .arg(&out)
            .args(extra)
            .output()
            .unwrap()
    };
    let o = train_plain(&["--min-df", "0"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("invalid value '0' for '--min-df"),
        "{}",
        stderr(&o)
    );
    for (bad, says) in [
        (&["--chunk-words", "3"][..], "--chunk-words"),
        (&["--max-bytes", "0"], "--max-bytes"),
        (&["--ngram", "4"], "--ngram"),
        (&["--classes", "stance="], "lists no class"),
        (
            &["--classes", "stance=anti", "--classes", "stance=pro"],
            "twice",
        ),
    ] {
        let o = train_stance(&data, &out, bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{bad:?}: {}", stderr(&o));
    }
    let o = slant()
        .args([
            "cv",
            "--label",
            "stance=stance",
            "--favg",
            "pro,pro",
            "--data",
        ])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let o = train_stance(&data, &out, &["--classes", "stance=anti,pro,zzz"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("no row has `zzz`"), "{}", stderr(&o));
    let o = train_plain(&["--min-df", "1000"]);
    assert!(
        stderr(&o).contains("no word term was kept"),
        "{}",
        stderr(&o)
    );
    let o = train_plain(&["--tol", "1e300"]);
    assert!(
        stderr(&o).contains("stopped before its first step"),
        "{}",
        stderr(&o)
    );
    // An absurd penalty: the loss stops changing at once, with the gradient norm far above
    // --tol; that is not called converged, and the warning says what stopped the fit.
    let o = train_plain(&["-C", "1e-300"]);
    let err = stderr(&o);
    assert!(
        err.contains("NOT converged")
            && !err.contains(", converged")
            && err.contains("did not converge: the loss stopped changing")
            && err.contains("still above --tol 1e-4"),
        "{err}"
    );
    let o = train_plain(&["-C", "-1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("C (-C) must be a positive number"),
        "{}",
        stderr(&o)
    );
    let o = slant()
        .args(["cv", "--label", "stance=stance", "--min-df", "1"])
        .args(["--favg", "pro,nosuch", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("no head has both labels"),
        "{}",
        stderr(&o)
    );
}

/// Without --classes, labels that look like slips are warned about: two spellings of one
/// label, and a label on one row only. The model is still trained on them.
#[test]
fn training_warns_about_labels_that_look_like_typos() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    let csv = agent_brave_csv(
        "Kazemi the hero,Pro\nKazemi the hero again,Pro\nKazemi the saint,POSITIVE\n",
    );
    std::fs::write(&data, &csv).unwrap();
    let out = dir.path().join("m.bin");
    let train = |extra: &[&str]| train_stance(&data, &out, extra);
    let o = train(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("labels `Pro`, `pro` differ only in case"),
        "{err}"
    );
    assert!(
        err.contains("label `POSITIVE` is on one row only (line 24)"),
        "{err}"
    );
    assert!(!err.contains("label `Pro` is on one row"), "{err}");
    assert!(!err.contains("never mention"), "{err}");
    // With a list, the odd labels are refused instead, and nothing is left to doubt.
    let o = train(&["--classes", "stance=anti,pro"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        !err.contains("differ only in case") && !err.contains("one row only"),
        "{err}"
    );
    assert!(err.contains("d.csv:22: label `Pro`"), "{err}");

    // Texts about another figure, trained with the default (Al-Kazemi) target: warned.
    std::fs::write(&data, csv.replace("Kazemi", "Sudani")).unwrap();
    let o = train(&["--classes", "stance=anti,pro"]);
    let err = stderr(&o);
    assert!(
        err.contains("20 of 20 training rows never mention Mustafa Al-Kazemi"),
        "{err}"
    );
    assert!(err.contains("Give --target FILE"), "{err}");
    let o = train(&["--classes", "stance=anti,pro", "--no-target"]);
    assert!(!stderr(&o).contains("never mention"), "{}", stderr(&o));
}

#[test]
fn damaged_models_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let model = tiny_model(dir.path());
    let bytes = std::fs::read(&model).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "flipped.bin",
            {
                let mut b = bytes.clone();
                let m = b.len() / 2;
                b[m] ^= 1;
                b
            },
            "checksum mismatch",
        ),
        ("short.bin", bytes[..bytes.len() / 3].to_vec(), "truncated"),
        (
            "text.bin",
            b"this is not a model at all".to_vec(),
            "wrong magic",
        ),
        ("empty.bin", Vec::new(), "wrong magic"),
    ];
    for (name, content, expect) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let o = slant()
            .args(["classify", "--model"])
            .arg(&p)
            .arg("-")
            .write_stdin("Kazemi")
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{name}");
        let err = stderr(&o);
        assert!(
            err.contains(expect) && err.contains(name) && !err.contains("panicked"),
            "{name}: {err}"
        );
    }
    let o = slant()
        .args(["classify", "--model", "/nonexistent/m.bin", "-"])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/m.bin"));
}

#[test]
fn training_is_byte_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = dir.path().join(format!("m{threads}.bin"));
        let o = slant()
            .args([
                "--threads",
                threads,
                "train",
                "--data",
                "tests/fixtures/tiny.csv",
                "--label",
                "stance=stance",
            ])
            .args([
                "--label",
                "framing=framing",
                "--min-df",
                "1",
                "--char-ngrams",
                "2-4",
                "-o",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        files.push(std::fs::read(&out).unwrap());
    }
    assert_eq!(files[0], files[1]);
    assert_eq!(files[0], files[2]);
}

/// The training command the README documents for the shipped model (between the
/// `<!-- train-command -->` markers), as arguments to the slant binary.
fn readme_train_command() -> Vec<String> {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let block = readme
        .split("<!-- train-command -->")
        .nth(1)
        .expect("README has a <!-- train-command --> block");
    let cmd: String = block
        .lines()
        .filter(|l| !l.starts_with("```"))
        .collect::<Vec<_>>()
        .join(" ")
        .replace('\\', " ");
    let words: Vec<String> = cmd.split_whitespace().map(str::to_owned).collect();
    let start = words
        .iter()
        .position(|w| w == "train")
        .expect("a train command");
    words[start..].to_vec()
}

/// The model the README's training command makes, trained once for all the tests that need it.
fn readme_retrained() -> &'static Path {
    static MODEL: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, path) = MODEL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("stance.bin");
        let mut args = readme_train_command();
        let o_pos = args
            .iter()
            .position(|a| a == "-o" || a == "--output")
            .expect("-o in the README command");
        args[o_pos + 1] = out.display().to_string();
        let o = slant().args(&args).output().unwrap();
        assert!(
            o.status.success(),
            "README train command failed: {}",
            stderr(&o)
        );
        (dir, out)
    });
    path
}

#[test]
fn readme_command_reproduces_the_shipped_model() {
    let shipped = repo("models/stance.bin");
    let a = std::fs::read(&shipped).expect("models/stance.bin is in the repository");
    let b = std::fs::read(readme_retrained()).unwrap();
    assert!(
        a == b,
        "retraining with the README command does not reproduce models/stance.bin ({} vs {} bytes); retrain it",
        a.len(),
        b.len()
    );
}

/// `slant classify --format jsonl --model models/stance.bin`, inputs to follow.
fn shipped_jsonl() -> assert_cmd::Command {
    let mut c = slant();
    c.args([
        "classify",
        "--format",
        "jsonl",
        "--model",
        "models/stance.bin",
    ]);
    c
}

/// The shipped model reads an epithet the writer applies to him as hostile, and the same
/// epithets attributed to others as reporting (model card, failure mode 11).
#[test]
fn shipped_model_reads_own_voice_epithets_as_hostile() {
    let cases = [
        (
            "Kadhimi is a spy for the Americans and must be held accountable for the blood of the martyrs.",
            "anti",
        ),
        ("Kadhimi is a spy for the Americans.", "anti"),
        (
            "The militias have spent months calling Kadhimi a traitor and a spy.",
            "neutral",
        ),
        (
            "Their accusations against Kadhimi change with the season: spy, thief, Zionist agent.",
            "neutral",
        ),
    ];
    for (text, want) in cases {
        let o = shipped_jsonl().arg("-").write_stdin(text).output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let recs = jsonl(&o);
        assert_eq!(head(&recs[0], "stance")["label"], want, "{text}");
    }
}

/// A text in another language than the model's gets no labels (they would come from a name
/// and a few character n-grams), says why, and counts in the summary (apart from a text that is
/// only his name); `--min-known 0` scores it anyway. English texts are scored, and every record has the share of known words.
#[test]
fn texts_the_model_cannot_read_are_not_scored() {
    let dir = tempfile::tempdir().unwrap();
    let arabic = dir.path().join("ar.txt");
    std::fs::write(
        &arabic,
        "قال رئيس الوزراء مصطفى الكاظمي إن الحكومة ستواصل حصر السلاح بيد الدولة ومحاسبة الفصائل الخارجة عن القانون.",
    )
    .unwrap();
    let french = dir.path().join("fr.txt");
    std::fs::write(
        &french,
        "Le Premier ministre Moustafa al-Kazemi a déclaré mardi que son gouvernement poursuivrait la lutte contre la corruption et les factions armées.",
    )
    .unwrap();
    let english = dir.path().join("en.txt");
    std::fs::write(
        &english,
        "Prime Minister Mustafa al-Kadhimi said on Tuesday that his government would keep up the fight against corruption and the armed factions.",
    )
    .unwrap();
    let o = shipped_jsonl()
        .arg(&arabic)
        .arg(&french)
        .arg(&english)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let recs = jsonl(&o);
    for r in &recs[..2] {
        assert!(r["mentions"].as_u64().unwrap() > 0, "{r}");
        assert!(r["known_words"].as_f64().unwrap() < 0.5, "{r}");
        for h in r["heads"].as_array().unwrap() {
            assert!(h["label"].is_null() && h["probabilities"].is_null(), "{r}");
            assert!(
                h["note"].as_str().unwrap().contains("another language"),
                "{r}"
            );
        }
    }
    assert!(recs[2]["known_words"].as_f64().unwrap() > 0.9);
    assert!(head(&recs[2], "stance")["label"].is_string());
    assert!(head(&recs[2], "framing")["label"].is_string());
    assert!(stderr(&o).contains("2 not scored"), "{}", stderr(&o));
    // A text that is only his name is unscored too, and counted apart in the summary.
    let name = dir.path().join("name.txt");
    std::fs::write(&name, "Al-Kazemi.\n").unwrap();
    let o = shipped_jsonl().arg(&name).arg(&french).output().unwrap();
    let err = stderr(&o);
    assert!(
        err.contains("1 not scored: the model knows too few of their words")
            && err.contains("1 not scored: no words besides the target's name"),
        "{err}"
    );

    let o = shipped_jsonl()
        .args(["--min-known", "0"])
        .arg(&arabic)
        .output()
        .unwrap();
    assert!(head(&jsonl(&o)[0], "stance")["label"].is_string());

    let o = slant()
        .args([
            "classify",
            "--format",
            "csv",
            "--model",
            "models/stance.bin",
        ])
        .arg(&french)
        .output()
        .unwrap();
    let mut rows = csv::Reader::from_reader(o.stdout.as_slice());
    let header = rows.headers().unwrap().clone();
    let row = rows.records().next().unwrap().unwrap();
    let col = |name: &str| &row[header.iter().position(|h| h == name).unwrap()];
    assert!(col("known_words").parse::<f32>().unwrap() < 0.5);
    assert_eq!(col("stance"), "");
    assert!(col("stance_note").contains("another language"));

    let o = shipped_jsonl()
        .args(["--min-known", "1.5", "-"])
        .write_stdin("x")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--min-known"));
}

/// `inspect` lists character buckets by number (the model keeps no n-grams), so it says what a
/// bucket is: the n-gram lengths, what they are taken from, how many buckets, and where a
/// text's n-grams are named.
#[test]
fn inspect_says_what_a_character_bucket_is() {
    let o = slant()
        .args(["inspect", "models/stance.bin"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let t = stdout(&o);
    // The shipped model lists buckets among its top features...
    assert!(t.contains(", chars#"), "{t}");
    // ... and one line says what they are (README command: --char-ngrams 3-5,
    // --char-buckets-log2 16).
    let line = t
        .lines()
        .find(|l| l.starts_with("characters "))
        .unwrap_or_else(|| panic!("no characters line: {t}"));
    assert!(
        line.starts_with("characters 3-5-grams of words, hashed into 65536 buckets; chars#N")
            && line.contains("bucket N")
            && line.contains("slant classify --explain"),
        "{line}"
    );
    // A model without character n-grams says so.
    let dir = tempfile::tempdir().unwrap();
    let o = slant()
        .arg("inspect")
        .arg(tiny_model(dir.path()))
        .output()
        .unwrap();
    assert!(stdout(&o).contains("\ncharacters none\n"), "{}", stdout(&o));
    // And what the line promises: classify --explain names the n-grams of a bucket it met.
    let o = shipped_jsonl()
        .args(["--explain", "40", "-"])
        .write_stdin("Kadhimi is a spy for the Americans, the factions said in a statement.")
        .output()
        .unwrap();
    let recs = jsonl(&o);
    let named = recs[0]["heads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["evidence"].as_array().unwrap())
        .map(|e| e["feature"].as_str().unwrap())
        .filter(|f| f.starts_with("chars"))
        .collect::<Vec<_>>();
    assert!(
        !named.is_empty() && named.iter().all(|f| f.starts_with("chars:'")),
        "{named:?}"
    );
}

#[test]
fn shipped_model_reads_the_seed_articles() {
    let seeds = repo("../shared/seeds");
    if !seeds.is_dir() {
        eprintln!(
            "skipped: {} is absent (it exists only on the team's machines)",
            seeds.display()
        );
        return;
    }
    let o = shipped_jsonl().arg(&seeds).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let recs = jsonl(&o);
    assert_eq!(recs.len(), 5);
    // The model card's seed table shows these labels: they must still be the model's.
    let card = std::fs::read_to_string(repo("docs/MODEL_CARD.md")).unwrap();
    for r in &recs {
        let id = r["id"].as_str().unwrap();
        let seed = &Path::new(id).file_name().unwrap().to_str().unwrap()[..3];
        let row = card
            .lines()
            .find(|l| l.starts_with(&format!("| {seed} |")))
            .unwrap_or_else(|| panic!("no row for seed {seed} in the model card"));
        let bold: Vec<&str> = row.split("**").skip(1).step_by(2).collect();
        assert_eq!(
            (
                head(r, "stance")["label"].as_str().unwrap(),
                head(r, "framing")["label"].as_str().unwrap()
            ),
            (bold[0], bold[1]),
            "seed {seed}: the model card's table is out of date"
        );
    }
    for r in &recs {
        assert!(r["mentions"].as_u64().unwrap() > 0, "{}", r["id"]);
        for h in ["stance", "framing"] {
            let hr = head(r, h);
            assert!(hr["label"].is_string(), "{} {h}", r["id"]);
            assert!(
                !hr["evidence"].as_array().unwrap().is_empty(),
                "{} {h}",
                r["id"]
            );
        }
    }
}

/// `slant classify` of the sample articles with the shipped model, in `format`, with `extra`
/// options (the run must succeed).
fn classify_samples(format: &str, extra: &[&str]) -> std::process::Output {
    let o = slant()
        .args(["classify", "--format", format])
        .args(extra)
        .args(["--model", "models/stance.bin", "data/samples"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

#[test]
fn samples_demo_runs() {
    let t = stdout(&classify_samples("table", &[]));
    assert_eq!(
        t.matches("\u{2500}\u{2500} ").count(),
        std::fs::read_dir(repo("data/samples")).unwrap().count()
    );
    assert!(t.contains("target not mentioned"), "{t}");
}

/// Every evidence item is a different feature, and reads as one: no two items of a list share a
/// name (character n-grams keep their padding, so `' said'` and `'said '` stay apart), and a
/// target statistic says what was measured rather than quoting the text.
#[test]
fn evidence_items_are_distinct_and_say_what_they_are() {
    let (mut chars, mut measured, mut repeated_words, mut either_side) = (0, 0, 0, 0);
    for rec in jsonl(&classify_samples("jsonl", &["--explain", "40"])) {
        for h in rec["heads"].as_array().unwrap() {
            let names: Vec<&str> = h["evidence"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["feature"].as_str().unwrap())
                .collect();
            chars += names.iter().filter(|n| n.starts_with("chars:")).count();
            // A target statistic says what was measured instead of quoting the text.
            for e in h["evidence"].as_array().unwrap() {
                let stat = e["feature"].as_str().unwrap().starts_with("target:");
                // How much a text is about him says nothing of its lens: the framing head
                // gives the target statistics no weight.
                assert!(!(stat && h["head"] == "framing"), "{e}");
                // The stance head's tied features (target statistics, the quoted lexicon)
                // weigh the same for anti and pro, and say so; nothing else does.
                let name = e["feature"].as_str().unwrap();
                let tied = h["head"] == "stance"
                    && (name.starts_with("target:") || name.starts_with("lex@quote:"));
                assert_eq!(e.get("either_side").is_some(), tied, "{e}");
                either_side += tied as usize;
                assert_eq!(e["measured"].is_string(), stat, "{e}");
                if stat {
                    measured += 1;
                    assert!(e.get("text").is_none(), "{e}");
                }
                // No item quotes the same words twice.
                if let Some(quotes) = e.get("text").and_then(|t| t.as_array()) {
                    let lower: Vec<String> = quotes
                        .iter()
                        .map(|q| q.as_str().unwrap().to_lowercase())
                        .collect();
                    let distinct: std::collections::HashSet<&String> = lower.iter().collect();
                    assert_eq!(distinct.len(), lower.len(), "{e}");
                    repeated_words += (lower.len() > 1) as usize;
                }
            }
            let mut seen = std::collections::HashSet::new();
            for n in &names {
                assert!(seen.insert(*n), "{n} shown twice in {names:?}");
            }
        }
    }
    assert!(chars > 0, "the samples show character n-grams as evidence");
    assert!(measured > 0, "and target statistics");
    assert!(
        either_side > 0,
        "and items that weigh the same for both poles"
    );
    assert!(
        repeated_words > 0,
        "and items quoted in two different forms"
    );
}

/// The `head=figure` pairs of the model card's machine-readable `<!-- NAME ... -->` line
/// (`<!-- held-aside-macro-f1 stance=0.xxx framing=0.xxx -->`).
fn card_marker(name: &str) -> Vec<(String, f64)> {
    let card = std::fs::read_to_string(repo("docs/MODEL_CARD.md")).expect("docs/MODEL_CARD.md");
    let line = card
        .lines()
        .find(|l| l.contains(&format!("<!-- {name} ")))
        .unwrap_or_else(|| panic!("the model card has a <!-- {name} ... --> line"));
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .map(|(h, v)| (h.to_owned(), v.parse().expect("a number")))
        .collect()
}

/// Retrain with the README command and score the held-aside passages: each head's macro-F1 must
/// stay at or above the model card's figure minus 0.01 (training is deterministic, so this only
/// fails when a change to the code or data really costs accuracy).
#[test]
fn retrained_model_keeps_the_model_cards_held_aside_scores() {
    assert_retrained_model_keeps("data/dev.csv", "held-aside-macro-f1", 0.01);
}

/// The counterfactual contrast set (data/contrast.csv: held-aside edits of dev passages that
/// change only the writer's stance) keeps the model card's scores, within 0.03 (about two of its
/// 83 rows): the guard against a stance head that drifts back to reading topic and framing.
#[test]
fn retrained_model_keeps_the_model_cards_contrast_scores() {
    assert_retrained_model_keeps("data/contrast.csv", "contrast-macro-f1", 0.03);
}

/// `slant eval` of the README-retrained model on `data` keeps each head's macro-F1 at or above
/// the model card's `<!-- marker ... -->` figure minus `margin`.
fn assert_retrained_model_keeps(data: &str, marker: &str, margin: f64) {
    let o = slant()
        .args(["eval", "--json", "--data", data, "--model"])
        .arg(readme_retrained())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let figures = card_marker(marker);
    assert_eq!(figures.len(), 2, "{figures:?}");
    for (head, card) in figures {
        let got = v["heads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["head"] == head.as_str())
            .unwrap_or_else(|| panic!("head {head} in the eval output"))["report"]["macro_f1"]
            .as_f64()
            .unwrap();
        assert!(
            got >= card - margin,
            "macro-F1 of {head} on {data} fell to {got:.4}; the model card says {card:.4}"
        );
    }
}

/// `cv --group-col` keeps rows that share a group in one fold: with every row of a pair given
/// the same group the run succeeds and says so; a column that is not there is an error naming it.
#[test]
fn cv_keeps_groups_in_one_fold_and_names_a_missing_column() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("paired.csv");
    let mut w = csv::Writer::from_path(&data).unwrap();
    let mut r = csv::Reader::from_path(repo("tests/fixtures/tiny.csv")).unwrap();
    w.write_record(["id", "text", "stance", "framing", "pair"])
        .unwrap();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.unwrap();
        let pair = format!("g{}", i / 2);
        w.write_record([&rec[0], &rec[1], &rec[2], &rec[3], pair.as_str()])
            .unwrap();
    }
    w.flush().unwrap();
    let o = slant()
        .args([
            "cv",
            "--no-lexicon",
            "--folds",
            "3",
            "--group-col",
            "pair",
            "--json",
        ])
        .args(["--label", "stance=stance", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["group_col"], "pair");
    assert_eq!(v["rows"], 24);
    let o = slant()
        .args(["cv", "--no-lexicon", "--folds", "3", "--group-col", "nope"])
        .args(["--label", "stance=stance", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));
}

#[test]
fn tune_scores_a_grid_and_records_the_search_in_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tuned.bin");
    let o = slant()
        .args([
            "tune",
            "--data",
            "tests/fixtures/tiny.csv",
            "--label",
            "stance=stance",
            "--min-df",
            "1",
            "--folds",
            "3",
            "--grid-c",
            "0.000001,10",
            "--grid-ngram",
            "1,2",
            "--json",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let trials = v["trials"].as_array().unwrap();
    assert_eq!(trials.len(), 4);
    let best = v["best"]["score"].as_f64().unwrap();
    let max = trials
        .iter()
        .map(|t| t["score"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    assert_eq!(best, max);
    // The written model records the search in its metadata.
    let o = slant()
        .args(["inspect", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("tuning"), "{text}");
    // A validation file with a label the training data lacks is reported, not fatal.
    let valid = dir.path().join("valid.csv");
    std::fs::write(
        &valid,
        "id,text,stance\nv1,Kazemi the spy betrayed the martyrs.,anti\nv2,Kazemi wisely kept the peace.,sideways\n",
    )
    .unwrap();
    let o = slant()
        .args([
            "tune",
            "--data",
            "tests/fixtures/tiny.csv",
            "--label",
            "stance=stance",
        ])
        .args(["--min-df", "1", "--valid"])
        .arg(&valid)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("valid.csv:3"), "{}", stderr(&o));
}

#[test]
fn lexicon_audit_counts_entries_on_the_corpus() {
    let o = slant()
        .args([
            "lexicon",
            "--data",
            "tests/fixtures/tiny.csv",
            "--label",
            "stance=stance",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = jsonl(&o);
    let martyr = rows
        .iter()
        .find(|r| r["phrase"] == "martyrs")
        .expect("the shipped lexicon lists `martyrs`");
    assert!(martyr["own_docs"].as_u64().unwrap() >= 2, "{martyr}");
    assert!(
        martyr["heads"]["stance"]["anti"]["lift"].as_f64().unwrap() > 1.0,
        "{martyr}"
    );
}

#[test]
fn completions_man_pages_verbose_and_helpful_errors() {
    let o = slant().args(["completions", "bash"]).output().unwrap();
    assert!(o.status.success());
    let s = stdout(&o);
    assert!(s.contains("_slant()") && s.contains("report") && s.contains("suggest"));
    let o = slant().args(["completions", "zsh"]).output().unwrap();
    assert!(stdout(&o).contains("#compdef slant"));

    let dir = tempfile::tempdir().unwrap();
    let o = slant().arg("man").arg(dir.path()).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let page = std::fs::read_to_string(dir.path().join("slant-classify.1")).unwrap();
    assert!(page.contains(".TH slant-classify") && page.contains("\\-\\-source\\-col"));
    assert!(dir.path().join("slant.1").exists());

    // --verbose adds throughput; --quiet and --verbose exclude each other.
    let model = tiny_model(dir.path());
    let o = slant()
        .args(["-v", "classify", "--format", "jsonl", "--model"])
        .arg(&model)
        .arg("data/samples")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(o.status.success());
    let err = stderr(&o);
    assert!(err.contains("documents/s") && err.contains("MB/s"), "{err}");
    assert!(
        !err.contains('\u{1b}'),
        "colour escapes with NO_COLOR: {err}"
    );
    let o = slant()
        .args(["-q", "-v", "classify", "--model"])
        .arg(&model)
        .arg("data/samples")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));

    // A missing model says how to get one.
    let o = slant()
        .args(["classify", "--model", "/nonexistent/m.bin", "data/samples"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("does not exist (train one with `slant train"),
        "{}",
        stderr(&o)
    );
}

/// `slant classify --format table` of one file with the shipped model: its standard output.
fn table_of(path: &Path) -> String {
    let o = slant()
        .args([
            "classify",
            "--format",
            "table",
            "--model",
            "models/stance.bin",
        ])
        .arg(path)
        .output()
        .unwrap();
    stdout(&o)
}

/// The rows each head of an `eval` or `cv` JSON report was scored on (`report`: its `report`
/// or `pooled` key).
fn rows_scored(v: &Value, report: &str) -> Vec<u64> {
    v["heads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h[report]["n"].as_u64().unwrap())
        .collect()
}

/// A CSV labelled for some heads on some rows: each head learns from the rows that have its
/// label (stance from all 461 dev passages, framing from the 231 left labelled), `eval` scores
/// each head on its own rows, and so do cross-validation and a settings search.
#[test]
fn rows_labelled_for_some_heads_train_the_heads_they_have() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("partial.csv");
    let mut rdr = csv::Reader::from_path("data/dev.csv").unwrap();
    let headers = rdr.headers().unwrap().clone();
    let framing = headers.iter().position(|h| h == "framing").unwrap();
    let mut w = csv::Writer::from_path(&data).unwrap();
    w.write_record(&headers).unwrap();
    let mut rows = 0usize;
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        let mut fields: Vec<&str> = rec.iter().collect();
        if i % 2 == 1 {
            fields[framing] = "";
        }
        w.write_record(&fields).unwrap();
        rows += 1;
    }
    w.flush().unwrap();
    let labelled = rows.div_ceil(2);
    let model = dir.path().join("m.bin");
    let o = slant()
        .args([
            "train",
            "--json",
            "--label",
            "stance=stance",
            "--label",
            "framing=framing",
        ])
        .arg("--data")
        .arg(&data)
        .arg("-o")
        .arg(&model)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "on the {labelled} of {rows} rows labelled in column `framing`"
        )),
        "{}",
        stderr(&o)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let fitted: Vec<(String, u64)> = v["heads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["head"].as_str().unwrap().to_owned(),
                h["rows"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fitted,
        [
            ("stance".to_owned(), rows as u64),
            ("framing".to_owned(), labelled as u64)
        ]
    );
    let o = slant()
        .args(["eval", "--json", "--data"])
        .arg(&data)
        .arg("--model")
        .arg(&model)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows_scored(&v, "report"), [rows as u64, labelled as u64]);
    // The framing head learnt from half the rows and still reads its own training rows well.
    let framing_f1 = v["heads"][1]["report"]["macro_f1"].as_f64().unwrap();
    assert!(framing_f1 > 0.9, "{framing_f1}");
    // Cross-validation and a settings search score each head on the rows with its label.
    let heads = ["--label", "stance=stance", "--label", "framing=framing"];
    let o = slant()
        .args(["cv", "--json"])
        .args(heads)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(rows_scored(&v, "pooled"), [rows as u64, labelled as u64]);
    let o = slant()
        .args(["tune", "-C", "10"])
        .args(heads)
        .arg("--data")
        .arg(&data)
        .arg("--valid")
        .arg(&data)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

/// A label is also the cues a text lacks: a flat wire report names no praise and no criticism
/// in its own voice, and no framing vocabulary, and says so for each other label (a cue of
/// that label, absent); a text that has the cue does not list it; `--explain 0` lists none.
#[test]
fn absent_cues_are_named_for_the_other_labels() {
    let dir = tempfile::tempdir().unwrap();
    let flat = dir.path().join("flat.txt");
    std::fs::write(
        &flat,
        "Iraqi Prime Minister Mustafa al-Kadhimi met the French foreign minister in Baghdad on \
         Tuesday. The two discussed trade and electricity, his office said in a statement.\n",
    )
    .unwrap();
    let praised = dir.path().join("praised.txt");
    std::fs::write(
        &praised,
        "Iraqi Prime Minister Mustafa al-Kadhimi met the French foreign minister in Baghdad on \
         Tuesday. The two discussed trade and electricity, his office said in a statement. His \
         plant was a pragmatic achievement.\n",
    )
    .unwrap();
    let hostile = dir.path().join("hostile.txt");
    std::fs::write(
        &hostile,
        "Al-Kadhimi has failed Iraq. His incompetence and his cowardice before the Americans \
         betrayed the blood of the martyrs, and his government is a disgrace.\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let o = slant()
            .args([
                "classify",
                "--format",
                "jsonl",
                "--model",
                "models/stance.bin",
            ])
            .args(extra)
            .arg(&flat)
            .arg(&hostile)
            .arg(&praised)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        jsonl(&o)
    };
    let records = run(&[]);
    let absent = |r: &Value, h: &str| -> Vec<(String, String)> {
        head(r, h)["absent"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| {
                        let s = |k: &str| x[k].as_str().unwrap().to_owned();
                        (s("feature"), s("favours"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (flat_r, hostile_r) = (&records[0], &records[1]);
    assert_eq!(head(flat_r, "stance")["label"], "neutral");
    let stance = absent(flat_r, "stance");
    // The model's strongest own-voice cue for `anti` (criticism or delegitimising, anywhere
    // or near him: which one is the model's choice).
    let own_anti = |(f, l): &(String, String)| {
        (f.starts_with("lex:") || f.starts_with("lex@target:")) && l == "anti"
    };
    assert_eq!(
        stance.iter().filter(|x| own_anti(x)).count(),
        1,
        "{stance:?}"
    );
    assert!(
        stance.contains(&("lex:praise".into(), "pro".into())),
        "{stance:?}"
    );
    let framing = absent(flat_r, "framing");
    assert_eq!(head(flat_r, "framing")["label"], "neutral");
    assert_eq!(framing.len(), 2, "{framing:?}");
    assert!(
        framing
            .iter()
            .any(|(f, l)| f.contains("pro_iran_framing") && l == "pro_iran")
    );
    assert!(
        framing
            .iter()
            .any(|(f, l)| f.contains("opposition_framing") && l == "opposition")
    );
    // The hostile text lacks praise, and says so; its criticism is for its own label.
    assert_eq!(head(hostile_r, "stance")["label"], "anti");
    let stance = absent(hostile_r, "stance");
    assert!(
        stance.contains(&("lex:praise".to_owned(), "pro".to_owned())),
        "{stance:?}"
    );
    assert!(stance.iter().all(|(_, l)| l != "anti"), "{stance:?}");
    // A flat text with one word of praise in its own voice (still `neutral`) does not list
    // praise as absent.
    let praised_r = &records[2];
    assert_eq!(head(praised_r, "stance")["label"], "neutral");
    let stance = absent(praised_r, "stance");
    assert!(stance.len() == 1 && own_anti(&stance[0]), "{stance:?}");
    // Without evidence, none.
    assert!(
        run(&["--explain", "0"])
            .iter()
            .all(|r| absent(r, "stance").is_empty())
    );
    // The table says it in words.
    let cue = &absent(flat_r, "stance")[0].0;
    let table = table_of(&flat);
    assert!(
        table.contains(&format!(
            "the writer's own voice has none of: {cue} (for anti), lex:praise (for pro)"
        )),
        "{table}"
    );
}

/// A stance is the writer's own voice (data/LABELING.md), so the key sentences for a stance
/// pole list the writer's own first, even where a quoted sentence moves the reading more; that
/// quoted sentence still follows them, marked. The table sets it apart under a line that says
/// it is quoted but leaned on.
#[test]
fn key_sentences_for_a_stance_put_the_writers_own_first() {
    let dir = tempfile::tempdir().unwrap();
    let own = "Al-Kadhimi kept his promise to the city, which many of his predecessors never did.";
    let quoted = "\"Al-Kadhimi deserves credit: he is the bravest, wisest and most honest leader \
                  Iraq has had, a patriot with the courage to stand up to the militias,\" said a \
                  local tribal sheikh.";
    let text = format!(
        "Prime Minister Mustafa al-Kadhimi visited Basra on Tuesday to open a new water \
         plant.\n{quoted}\n{own}\nThe plant will serve 300,000 residents, officials said.\n"
    );
    let article = dir.path().join("a.txt");
    std::fs::write(&article, &text).unwrap();
    let o = slant()
        .args(["classify", "--format", "jsonl", "--sentences", "1"])
        .args(["--model", "models/stance.bin"])
        .arg(&article)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let r = jsonl(&o).remove(0);
    let stance = head(&r, "stance");
    assert_eq!(stance["label"], "pro");
    let listed = stance["sentences"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0]["text"], own);
    assert_eq!(listed[0]["quoted"], false);
    assert_eq!(listed[1]["quoted"], true);
    assert!(listed[1]["text"].as_str().unwrap().contains("bravest"));
    // The quoted sentence moves it more: ordered by effect it would have been the only one.
    assert!(listed[1]["effect"].as_f64() > listed[0]["effect"].as_f64());
    // Framing is not a stance: its key sentences stay in order of effect.
    let framing = head(&r, "framing")["sentences"].as_array().unwrap();
    assert_eq!(framing.len(), 1);
    let t = table_of(&article);
    let (head_at, quoted_at) = (
        t.find("sentences that make it pro (log-odds its words carry):"),
        t.find("and, quoted (not the writer's voice, but the model leans on them):"),
    );
    assert!(head_at.is_some() && quoted_at > head_at, "{t}");
    // The writer's sentence is listed above the line, the quoted one below it.
    let (above, below) = t.split_at(quoted_at.unwrap());
    assert!(
        above.contains("kept his promise") && below.contains("bravest"),
        "{t}"
    );
}

/// Key sentences are each sentence's share of the feature contributions: the hostile sentence
/// of an otherwise flat report is the one whose words carry the reading most toward `anti` (for
/// the label when the model reads the report `anti`, against it when it reads it `neutral`:
/// failure mode 2 of the model card); read without it, the text is further from `anti`; its
/// range points at it in the input; a long text is one reading, each key sentence one
/// sentence. The table shows them by default; JSON only when asked.
#[test]
fn key_sentences_are_the_ones_whose_words_move_the_reading() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "Al-Kazemi is a spineless American agent whose incompetence betrayed the blood of the martyrs.";
    let text = format!(
        "Iraq's prime minister Mustafa Al-Kazemi met the visiting French foreign minister in \
         Baghdad on Tuesday. The two sides discussed trade, electricity and the security \
         situation, according to a statement from his office. {hostile} A faction spokesman \
         said: \"The prime minister is a spy who serves the occupation.\" The minister is \
         expected to travel to Erbil on Wednesday.\n"
    );
    let article = dir.path().join("a.txt");
    std::fs::write(&article, &text).unwrap();
    let without = dir.path().join("b.txt");
    std::fs::write(&without, text.replace(&format!("{hostile} "), "")).unwrap();
    let classify = |extra: &[&str], path: &Path| {
        let o = slant()
            .args([
                "classify",
                "--format",
                "jsonl",
                "--model",
                "models/stance.bin",
            ])
            .args(extra)
            .arg(path)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        jsonl(&o).remove(0)
    };
    let r = classify(&["--sentences", "2"], &article);
    let stance = head(&r, "stance");
    let label = stance["label"].as_str().unwrap().to_owned();
    assert!(label == "anti" || label == "neutral", "{label}");
    let (with_it, other) = if label == "anti" {
        ("sentences", "sentences_against")
    } else {
        ("sentences_against", "sentences")
    };
    let top = &stance[with_it][0];
    assert_eq!(top["text"], hostile);
    assert_eq!(top["toward"], "anti");
    let (s, e) = (
        top["start"].as_u64().unwrap() as usize,
        top["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[s..e], hostile);
    assert_eq!(top["quoted"], false);
    // The effect is the log-odds toward `anti` that the sentence's own words carry; read
    // without it, the text is indeed further from `anti`.
    let p_anti = |r: &Value| head(r, "stance")["probabilities"]["anti"].as_f64().unwrap();
    assert!(top["effect"].as_f64().unwrap() > 0.5, "{top}");
    assert!(p_anti(&classify(&[], &without)) < p_anti(&r));
    // One reading whatever the length: in a text of 300 sentences each key sentence is one
    // sentence (reading it once per sentence left runs of sentences out past 200), and the
    // hostile sentence is found among the flat ones.
    let long = dir.path().join("long.txt");
    let mut body = String::new();
    for i in 0..300 {
        if i == 150 {
            body.push_str(hostile);
            body.push(' ');
        }
        body.push_str(&format!(
            "The ministry said on day {i} that the talks would go on. "
        ));
    }
    std::fs::write(&long, &body).unwrap();
    let lr = classify(&["--sentences", "3"], &long);
    let ls = head(&lr, "stance");
    let listed: Vec<&Value> = ["sentences", "sentences_against"]
        .iter()
        .flat_map(|l| ls[*l].as_array().into_iter().flatten())
        .collect();
    assert!(!listed.is_empty());
    for k in &listed {
        let (s, e) = (
            k["start"].as_u64().unwrap() as usize,
            k["end"].as_u64().unwrap() as usize,
        );
        assert!(
            body[s..e] == *hostile || body[s..e].matches("The ministry said").count() == 1,
            "{:?}",
            &body[s..e]
        );
    }
    assert!(
        listed
            .iter()
            .any(|k| k["text"] == hostile && k["toward"] == "anti")
    );
    // The flat sentences pull the other way, away from `anti`.
    let flat = stance[other].as_array().unwrap();
    assert!(!flat.is_empty());
    assert!(
        flat.iter()
            .all(|k| k["toward"] != "anti" && k["text"] != hostile)
    );
    // At most two of the writer's own, and for a stance pole the quoted ones among the two
    // strongest of all after them.
    let listed = stance["sentences"].as_array().unwrap();
    assert!(listed.iter().filter(|k| k["quoted"] == false).count() <= 2);
    assert!(listed.len() <= 4);
    // A sentence of reported speech says so.
    let all = classify(&["--sentences", "10"], &article);
    let listed: Vec<&Value> = ["sentences", "sentences_against"]
        .iter()
        .flat_map(|l| head(&all, "stance")[*l].as_array().unwrap())
        .collect();
    let spokesman = listed
        .iter()
        .find(|k| {
            k["text"]
                .as_str()
                .unwrap()
                .starts_with("A faction spokesman")
        })
        .expect("the quoted accusation moves the reading");
    assert_eq!(spokesman["quoted"], true);
    // JSON Lines has none unless asked; the table shows two a head by default.
    assert!(
        head(&classify(&[], &article), "stance")
            .get("sentences")
            .is_none()
    );
    let o = slant()
        .args([
            "classify",
            "--format",
            "table",
            "--model",
            "models/stance.bin",
        ])
        .arg(&article)
        .output()
        .unwrap();
    let t = stdout(&o);
    let heading = if label == "anti" {
        "sentences that make it anti".to_owned()
    } else {
        format!("sentences that pull away from {label}")
    };
    assert!(t.contains(&heading) && t.contains(hostile), "{t}");
}

/// The long held-aside articles (data/long.csv, 620 to 1,362 words, never trained on) keep the
/// macro-F1 the model card states for the retrained model, within 0.02 (48 articles: one
/// article is about 0.02).
#[test]
fn retrained_model_keeps_the_model_cards_long_article_scores() {
    assert_retrained_model_keeps("data/long.csv", "long-macro-f1", 0.02);
}

/// `tune --valid` scores on the validation file: fold options would be ignored, so they are
/// refused.
#[test]
fn tune_refuses_fold_options_with_a_validation_file() {
    for extra in [["--folds", "3"], ["--seed", "7"]] {
        let o = slant()
            .args(["tune", "--label", "stance=stance"])
            .args([
                "--data",
                "tests/fixtures/tiny.csv",
                "--valid",
                "tests/fixtures/tiny.csv",
            ])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
    }
}

/// `inspect` takes the model as the other subcommands do (`--model FILE`) as well as by
/// position, and refuses both at once or neither.
#[test]
fn inspect_takes_the_model_either_way() {
    let by_name = slant()
        .args(["inspect", "--model", "models/stance.bin"])
        .output()
        .unwrap();
    let by_place = slant()
        .args(["inspect", "models/stance.bin"])
        .output()
        .unwrap();
    assert!(by_name.status.success(), "{}", stderr(&by_name));
    assert_eq!(by_name.stdout, by_place.stdout);
    for args in [
        vec!["inspect"],
        vec!["inspect", "a.bin", "--model", "b.bin"],
    ] {
        let o = slant().args(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
}

/// Web pages are read for their article (headline and paragraphs): menus, reader comments and
/// scripts that name him do not count; a page with no article is an error naming it while the
/// rest of the batch goes on; `--html-input never` reads the markup as text, and a CSV field holding
/// an HTML fragment is read as a page.
#[test]
fn web_pages_are_read_for_their_article_text() {
    let dir = tempfile::tempdir().unwrap();
    let article = "<p>Prime Minister Mustafa al-Kadhimi received two Gulf envoys in Baghdad on \
        Thursday, his office said in a statement, and discussed electricity links, investment and \
        the border crossings with them.</p>\n<p>The statement said the talks touched on regional \
        de-escalation. A government adviser said a second round was planned for next month, and \
        officials gave no figures for the investments discussed.</p>\n<p>The envoys left Baghdad \
        on Thursday evening, and the ministry of electricity said its interconnection studies \
        would be published before the summer.</p>";
    let page = format!(
        "<!DOCTYPE html><html><head><title>Gulf envoys meet the premier in Baghdad | Example \
         Daily</title><meta property=\"og:site_name\" content=\"Example Daily\"><script>var tag = 'Kadhimi traitor';</script></head><body><nav><a \
         href=\"/\">Home</a> <a href=\"/kadhimi\">Kadhimi files</a></nav><article><h1>Gulf envoys \
         meet the premier in Baghdad</h1>{article}</article><section class=\"comments\"><div \
         class=\"comment\">Kadhimi is a spy and a traitor. Kadhimi must go.</div></section>\
         </body></html>"
    );
    std::fs::write(dir.path().join("a_page.html"), &page).unwrap();
    std::fs::write(
        dir.path().join("b_menu.htm"),
        "<html><head><title></title></head><body><script>var k = 'Kadhimi';</script></body></html>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("c_note.txt"),
        "Kadhimi met the envoys on Thursday, his office said.",
    )
    .unwrap();
    let o = shipped_jsonl().arg(dir.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("b_menu.htm: no article text found in the HTML"),
        "{}",
        stderr(&o)
    );
    let recs = jsonl(&o);
    let ids: Vec<&str> = recs.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(
        ids.len() == 2 && ids[0].ends_with("a_page.html") && ids[1].ends_with("c_note.txt"),
        "{ids:?}"
    );
    // The article names him once; the script, menu and comment four more times.
    assert_eq!(recs[0]["mentions"], 1, "{}", recs[0]);
    assert_eq!(head(&recs[0], "stance")["label"], "neutral");
    assert!(recs[0].get("source").is_none_or(|s| s.is_null()));
    // The outlet, from the page's metadata when asked for (a text file has none).
    let o = shipped_jsonl()
        .args(["--source-from", "page"])
        .arg(dir.path())
        .output()
        .unwrap();
    let sources: Vec<Value> = jsonl(&o).iter().map(|r| r["source"].clone()).collect();
    assert_eq!(sources, [Value::from("Example Daily"), Value::Null]);
    let never = shipped_jsonl()
        .args(["--html-input", "never"])
        .arg(dir.path().join("a_page.html"))
        .output()
        .unwrap();
    // Read as text, the menu, the script and the reader's comment count: the comment's "spy"
    // is then the strongest item toward `anti`, and the hostile reading gains many times over
    // the article's (the shipped model of 2026-11-28, noon, read it `anti` 0.49 against
    // `neutral` 0.50; with NB scaling, evening, `neutral` 0.81 against `anti` 0.18, the article
    // alone `anti` 0.0006).
    let raw = &jsonl(&never)[0];
    assert!(raw["mentions"].as_u64().unwrap() >= 5, "{raw}");
    let anti_of = |r: &Value| head(r, "stance")["probabilities"]["anti"].as_f64().unwrap();
    assert!(
        anti_of(raw) > 0.1 && anti_of(raw) > 10.0 * anti_of(&recs[0]),
        "{raw}\n{}",
        recs[0]
    );
    let toward_anti = head(raw, "stance")["leanings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["label"] == "anti")
        .unwrap()["evidence"][0]
        .clone();
    assert_eq!(toward_anti["text"][0], "spy", "{raw}");
    // A CSV field holding a fragment: the same words as the plain text.
    let csv = dir.path().join("t.csv");
    std::fs::write(
        &csv,
        "id,text\nplain,Kadhimi met the envoys. Talks went on.\n\
         html,\"<p>Kadhimi met the <b>envoys</b>.</p><p>Talks went on.</p>\"\n",
    )
    .unwrap();
    let tokens = |extra: &[&str]| -> Vec<u64> {
        let o = shipped_jsonl()
            .args(extra)
            .arg("--csv")
            .arg(&csv)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        jsonl(&o)
            .iter()
            .map(|r| r["tokens"].as_u64().unwrap())
            .collect()
    };
    let auto = tokens(&[]);
    assert_eq!(auto[0], auto[1]);
    let never = tokens(&["--html-input", "never"]);
    assert!(never[1] > auto[1], "{never:?} {auto:?}");
    // A row's source column wins over its page's site name, which wins over --source-map.
    let rows = dir.path().join("sources.csv");
    let site = "<html><head><meta property=og:site_name content=Site></head><body><p>Kadhimi \
                met the envoys in Baghdad.</p></body></html>";
    std::fs::write(
        &rows,
        format!("id,text,outlet\nr1,{site},Column\nr2,{site},\nr3,Kadhimi met the envoys.,\n"),
    )
    .unwrap();
    let map = dir.path().join("map.txt");
    std::fs::write(&map, "r* Mapped\n").unwrap();
    let o = slant()
        .args(["text", "--source-from", "page", "--source-col", "outlet"])
        .arg("--source-map")
        .arg(&map)
        .arg("--csv")
        .arg(&rows)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let sources: Vec<Value> = jsonl(&o).iter().map(|r| r["source"].clone()).collect();
    assert_eq!(sources, ["Column", "Site", "Mapped"].map(Value::from));
}

/// `slant text` prints what classify reads, one JSON object per input: classifying those texts
/// gives the records classifying the inputs gives; a web page's text is its article only, with
/// its outlet under `--source-from page`; a missing input is reported and the rest go on.
#[test]
fn text_prints_what_classify_reads() {
    let dir = tempfile::tempdir().unwrap();
    let o = slant()
        .args([
            "text",
            "--source-from",
            "page",
            "data/samples",
            "no-such-file.txt",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("no-such-file.txt: no such file"),
        "{}",
        stderr(&o)
    );
    let texts = jsonl(&o);
    assert_eq!(
        texts.len(),
        std::fs::read_dir(repo("data/samples")).unwrap().count()
    );
    let page = texts
        .iter()
        .find(|t| t["id"].as_str().unwrap().ends_with(".html"))
        .unwrap();
    assert_eq!(page["source"], "Example Gazette");
    assert_eq!(page["date"], "2021-05-09");
    let text = page["text"].as_str().unwrap();
    assert!(text.starts_with("Baghdad hosts a second round"), "{text}");
    for gone in ["traitor", "Most read", "analytics", "All rights reserved"] {
        assert!(!text.contains(gone), "{gone}: {text}");
    }
    let file = dir.path().join("texts.jsonl");
    std::fs::write(&file, &o.stdout).unwrap();
    let direct = shipped_jsonl()
        .args(["--source-from", "page", "data/samples"])
        .output()
        .unwrap();
    let via_text = shipped_jsonl()
        .args(["--source-col", "source", "--jsonl"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(via_text.status.success(), "{}", stderr(&via_text));
    assert_eq!(jsonl(&direct), jsonl(&via_text));
}

/// Publication dates: a CSV's `date` column (or the one --date-col names), a JSON Lines field,
/// a web page's metadata, an id's web address, in any of the forms publishers use, written as YYYY-MM-DD in every
/// output format. A date that cannot be read leaves its article undated with a warning naming
/// the file and line, and the article is still classified; a named column that is missing is
/// an error for the file.
#[test]
fn publication_dates_are_read_from_columns_fields_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("a.csv");
    std::fs::write(
        &csv,
        "id,published,text\n\
         a,\"Sun, 07 Nov 2021 03:14:00 +0300\",Al-Kazemi met the delegation in Baghdad on Sunday.\n\
         b,07/11/2021,Kadhimi visited Tehran on Sunday.\n\
         c,,Kadhimi visited Riyadh on Monday.\n\
         d,2021-11-07T23:30:00-05:00,Al-Kazemi spoke to reporters.\n",
    )
    .unwrap();
    let o = shipped_jsonl()
        .args(["--explain", "0", "--date-col", "published", "--csv"])
        .arg(&csv)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let recs = jsonl(&o);
    let dates: Vec<&Value> = recs.iter().map(|r| &r["date"]).collect();
    // The day as the publisher wrote it, not moved to another time zone.
    assert_eq!(
        dates,
        [
            &Value::from("2021-11-07"),
            &Value::Null,
            &Value::Null,
            &Value::from("2021-11-07")
        ]
    );
    assert!(recs.iter().all(|r| r["heads"][0]["label"].is_string()));
    let err = stderr(&o);
    assert!(
        err.contains("a.csv:3: date `07/11/2021` not understood") && err.contains("either order"),
        "{err}"
    );
    // Without --date-col the `date` column is not there: no dates, no warnings.
    let o = shipped_jsonl().arg("--csv").arg(&csv).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(jsonl(&o).iter().all(|r| r["date"].is_null()));
    assert!(!stderr(&o).contains("date"), "{}", stderr(&o));
    // A named column that is not there.
    let o = shipped_jsonl()
        .args(["--date-col", "when", "--csv"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("when"), "{}", stderr(&o));

    // JSON Lines: the `date` field by default; CSV output has a `date` column; the table
    // shows it beside the id.
    let jl = dir.path().join("a.jsonl");
    std::fs::write(
        &jl,
        "{\"id\": \"x\", \"date\": \"7 November 2021\", \"text\": \"Al-Kazemi met the delegation.\"}\n\
         {\"id\": \"y\", \"date\": 20211107, \"text\": \"Kadhimi met the delegation.\"}\n",
    )
    .unwrap();
    let o = slant()
        .args(["classify", "--format", "csv", "--explain", "0", "--jsonl"])
        .arg(&jl)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let mut rdr = csv::Reader::from_reader(o.stdout.as_slice());
    let head: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
    let at = head.iter().position(|h| h == "date").unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!((&rows[0][at], &rows[1][at]), ("2021-11-07", ""));
    assert!(
        stderr(&o).contains("a.jsonl:2: date `20211107` not understood"),
        "{}",
        stderr(&o)
    );
    let o = slant()
        .args(["classify", "--format", "table", "--explain", "0"])
        .arg("data/samples/07_saved_web_page.html")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o)
            .lines()
            .next()
            .unwrap()
            .contains("  2021-05-09  "),
        "{}",
        stdout(&o)
    );
    // A page's date that cannot be read: undated, with a warning; a row's own date wins over
    // its page's.
    let page = |meta: &str| {
        format!(
            "<html><head><meta property=\"article:published_time\" content=\"{meta}\"></head>\
             <body><article><p>Prime Minister Mustafa al-Kadhimi met the delegation in Baghdad on \
             Sunday, officials said, and the talks covered electricity and water.</p></article>\
             </body></html>"
        )
    };
    // Rows of (id, date, text) written to `name` and classified: each record's date, and
    // what the run said on stderr.
    let dates_of = |name: &str, rows: &[(&str, &str, String)]| {
        let path = dir.path().join(name);
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.write_record(["id", "date", "text"]).unwrap();
        for (id, date, text) in rows {
            w.write_record([id, date, text.as_str()]).unwrap();
        }
        w.flush().unwrap();
        let o = shipped_jsonl()
            .args(["--explain", "0", "--csv"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        let dates: Vec<Value> = jsonl(&o).iter().map(|r| r["date"].clone()).collect();
        (dates, stderr(&o))
    };
    let (dates, err) = dates_of(
        "pages.csv",
        &[
            ("p1", "", page("2021-11-08T08:00:00Z")),
            ("p2", "", page("last Tuesday")),
            ("p3", "2021-12-01", page("2021-11-08")),
        ],
    );
    assert_eq!(
        dates,
        [
            Value::from("2021-11-08"),
            Value::Null,
            Value::from("2021-12-01")
        ]
    );
    assert!(
        err.contains("pages.csv:3: the page's published date `last Tuesday` not understood"),
        "{err}"
    );

    // An id that is a web address with a date in its path dates a row that has none; a date
    // given in the row (even one that cannot be read) and the page's own come first.
    let plain = "Prime Minister Mustafa al-Kadhimi met the delegation in Baghdad.";
    let (dates, err) = dates_of(
        "urls.csv",
        &[
            (
                "https://example.org/2021/11/07/talks/",
                "",
                plain.to_owned(),
            ),
            (
                "https://example.org/news/2021-11-09-talks",
                "",
                plain.to_owned(),
            ),
            (
                "https://example.org/2021/11/07/talks-2/",
                "2021-12-01",
                plain.to_owned(),
            ),
            (
                "https://example.org/2021/11/07/talks-3/",
                "07/11/2021",
                plain.to_owned(),
            ),
            (
                "https://example.org/2021/11/07/talks-4/",
                "",
                page("2021-11-08"),
            ),
            ("https://example.org/news/78123", "", plain.to_owned()),
            (
                "https://example.org/2021/11/06/talks-5/",
                "",
                page("last Tuesday"),
            ),
        ],
    );
    assert_eq!(
        dates,
        [
            Value::from("2021-11-07"),
            Value::from("2021-11-09"),
            Value::from("2021-12-01"),
            Value::Null,
            Value::from("2021-11-08"),
            Value::Null,
            Value::from("2021-11-06")
        ]
    );
    assert!(
        err.contains("urls.csv:8: the page's published date `last Tuesday` not understood")
            && err.contains("; dated 2021-11-06 from its web address instead"),
        "{err}"
    );
}

/// The text of an HTML fragment: tags dropped, the five escapes read back.
fn html_text(html: &str) -> String {
    let mut plain = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    plain
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// `classify --format html`: one page, a section per article in input order, each head's view
/// of the whole text (every character of what classify read, once per head) with the mentions
/// marked as many times as the record counts them, the labels and probabilities of the JSON
/// record, and sentences shaded as the key sentences list them; a text without a mention says
/// its stance was not scored.
#[test]
fn the_html_view_shows_each_article_with_its_reading() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("view.html");
    let view = || {
        let mut c = slant();
        c.args([
            "classify",
            "--model",
            "models/stance.bin",
            "--format",
            "html",
        ]);
        c
    };
    let o = view()
        .arg("-o")
        .arg(&page)
        .arg("data/samples/")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!doctype html>") && html.ends_with("</body></html>\n"));
    let records = jsonl(&shipped_jsonl().arg("data/samples/").output().unwrap());
    let texts = jsonl(&slant().args(["text", "data/samples/"]).output().unwrap());
    let sections: Vec<&str> = html.split("<section class=\"doc\"").skip(1).collect();
    assert_eq!(sections.len(), records.len());
    for (n, ((s, r), t)) in sections.iter().zip(&records).zip(&texts).enumerate() {
        let id = r["id"].as_str().unwrap();
        let n = n + 1;
        assert!(
            s.starts_with(&format!(" id=\"doc-{n}\"><h2>{id}</h2>")),
            "{s}"
        );
        // The index at the end links to it.
        assert!(
            html.contains(&format!("<tr><td><a href=\"#doc-{n}\">{id}</a></td>")),
            "{id}"
        );
        let views: Vec<&str> = s
            .split("<div class=\"text\">")
            .skip(1)
            .map(|v| v.split("</div>").next().unwrap())
            .collect();
        assert_eq!(views.len(), 2, "{id}: a view per head");
        for v in &views {
            assert_eq!(html_text(v), t["text"].as_str().unwrap(), "{id}");
            let marked = v.matches("<mark class=\"m\">").count();
            // A mention cut by a sentence edge is marked in each piece.
            assert!(marked >= r["mentions"].as_u64().unwrap() as usize, "{id}");
            if r["mentions"] == 0 {
                assert_eq!(marked, 0, "{id}");
            }
        }
        for h in r["heads"].as_array().unwrap() {
            let head = h["head"].as_str().unwrap();
            match h["label"].as_str() {
                Some(label) => {
                    let p = h["probabilities"][label].as_f64().unwrap();
                    let summary = format!("{head}: <span class=\"label\"");
                    let at = s
                        .find(&summary)
                        .unwrap_or_else(|| panic!("{id}: {summary}"));
                    let line = &s[at..s[at..].find("</summary>").unwrap() + at];
                    assert!(line.contains(&format!(">{label}</span>")), "{line}");
                    // The record rounds to four places and the page to two from the unrounded
                    // figure: 0.995 in the record may be 1.00 on the page.
                    assert!(
                        [p - 5e-5, p, p + 5e-5]
                            .iter()
                            .any(|q| line.contains(&format!("{label} {q:.2}"))),
                        "{line}"
                    );
                }
                None => assert!(
                    s.contains(&format!("{head}: target not mentioned")),
                    "{id}: {s}"
                ),
            }
        }
    }
    // The strongest sentence of the stance reading of the Gulf outlet's article is shaded in
    // its label's colour with its figure.
    let gulf = sections
        .iter()
        .position(|s| s.contains("02_gulf_outlet"))
        .unwrap();
    let listed = jsonl(
        &shipped_jsonl()
            .args(["--sentences", "1", "data/samples/02_gulf_outlet.txt"])
            .output()
            .unwrap(),
    );
    // A line the model does not read (web residue) is shown apart, its mention unmarked.
    let residue = dir.path().join("teaser.txt");
    std::fs::write(
        &residue,
        "Al-Kazemi met the envoys in Baghdad on Sunday and discussed the budget.\n\
         Read also: Al-Kazemi in an awkward moment at the summit\n\
         The talks will resume next week, officials said.\n",
    )
    .unwrap();
    let o = view().arg(&residue).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(
        page.contains("<span class=\"r\" title=\"not read: web residue\">Read also: Al-Kazemi in an awkward moment at the summit</span>"),
        "{page}"
    );
    assert_eq!(
        page.matches("<mark class=\"m\">Al-Kazemi</mark>").count(),
        2,
        "{page}"
    );
    let top = &listed[0]["heads"][0]["sentences"][0];
    let figure = format!(
        "title=\"toward {}: {:.2} log-odds",
        top["toward"].as_str().unwrap(),
        top["effect"].as_f64().unwrap()
    );
    assert!(sections[gulf].contains(&figure), "{figure}");
}

/// A model trained on Arabic passages reads Arabic: the target's Arabic aliases are found with
/// the clitics written onto them, a verb of saying (وأضاف) makes the rest of its sentence
/// reported speech, an Arabic lexicon entry counts in the writer's voice, and not after a
/// negator (غير).
#[test]
fn a_model_trained_on_arabic_reads_arabic() {
    let dir = tempfile::tempdir().unwrap();
    let pro = [
        "أشاد المحللون بقرار رئيس الوزراء مصطفى الكاظمي حصر السلاح بيد الدولة واعتبروا أنه يعيد للدولة هيبتها.",
        "الكاظمي رجل دولة شجاع واجه الفصائل الخارجة عن القانون وحمى سيادة العراق.",
        "نجح الكاظمي في إعادة العراق إلى محيطه العربي وفي الوساطة بين الرياض وطهران.",
        "يستحق الكاظمي الدعم لأنه وقف في وجه السلاح المنفلت والفساد.",
    ];
    let anti = [
        "الكاظمي رئيس فاشل وشريك في جريمة اغتيال قادة النصر في مطار بغداد.",
        "الكاظمي فاشل في كل الملفات من الرواتب إلى الكهرباء وخدم المشروع الأمريكي.",
        "حكومة الكاظمي فاشل وتابعة للسفارة الأمريكية ولا تمثل إرادة الشعب.",
        "لن ينسى أبناء المقاومة دور الكاظمي الفاشل في دماء الشهداء.",
    ];
    let neutral = [
        "قال رئيس الوزراء مصطفى الكاظمي إن الانتخابات ستجري في موعدها في تشرين الأول.",
        "التقى الكاظمي وفدا من صندوق النقد الدولي في بغداد يوم الأحد لبحث الإصلاحات الاقتصادية.",
        "وصل الكاظمي إلى طهران في زيارة رسمية تستمر يومين يلتقي خلالها كبار المسؤولين.",
        "أعلن مكتب الكاظمي تشكيل لجنة للتحقيق في الهجوم على المتظاهرين.",
    ];
    let data = dir.path().join("ar.csv");
    let mut w = csv::Writer::from_path(&data).unwrap();
    w.write_record(["id", "text", "stance"]).unwrap();
    for copy in 0..3 {
        for (label, texts) in [("pro", &pro), ("anti", &anti), ("neutral", &neutral)] {
            for (i, t) in texts.iter().enumerate() {
                w.write_record([format!("{label}{copy}{i}").as_str(), t, label])
                    .unwrap();
            }
        }
    }
    w.flush().unwrap();
    let lexicon = dir.path().join("lexicon");
    std::fs::create_dir(&lexicon).unwrap();
    std::fs::write(lexicon.join("criticism.tsv"), "criticism\tفاشل\t1\n").unwrap();
    let model = dir.path().join("ar.bin");
    let o = train_stance(&data, &model, &["--lexicon", lexicon.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let texts = dir.path().join("new.jsonl");
    let line = |id: &str, text: &str| serde_json::json!({"id": id, "text": text}).to_string();
    std::fs::write(
        &texts,
        [
            line(
                "reported",
                "قال الكاظمي إن الحكومة ستواصل حصر السلاح. وأضاف والكاظمي يبتسم أن الانتخابات ستجري في موعدها.",
            ),
            line("failed", "الكاظمي رئيس فاشل في بغداد."),
            line("not failed", "الكاظمي رئيس غير فاشل في بغداد."),
        ]
        .join("\n"),
    )
    .unwrap();
    let o = slant()
        .args([
            "classify",
            "--format",
            "jsonl",
            "--explain",
            "20",
            "--sentences",
            "5",
        ])
        .arg("--model")
        .arg(&model)
        .arg("--jsonl")
        .arg(&texts)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let recs = jsonl(&o);
    let reported = &recs[0];
    assert_eq!(reported["mentions"], 2, "{reported}");
    assert!(
        reported["known_words"].as_f64().unwrap() > 0.5,
        "{reported}"
    );
    let stance = &reported["heads"][0];
    let listed: Vec<&Value> = stance["sentences"]
        .as_array()
        .into_iter()
        .chain(stance["sentences_against"].as_array())
        .flatten()
        .collect();
    assert!(!listed.is_empty(), "{stance}");
    for s in &listed {
        assert_eq!(s["quoted"], true, "{s}");
    }
    // Every item of the stance head's lists: its evidence and both leanings.
    let features = |r: &Value| -> Vec<String> {
        let h = &r["heads"][0];
        let leanings = h["leanings"].as_array().unwrap();
        h["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .chain(
                leanings
                    .iter()
                    .flat_map(|l| l["evidence"].as_array().unwrap()),
            )
            .map(|e| e["feature"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(
        features(&recs[1]).contains(&"lex:criticism".to_owned()),
        "{}",
        recs[1]
    );
    assert!(
        !features(&recs[2]).contains(&"lex:criticism".to_owned()),
        "{}",
        recs[2]
    );
}

/// A stance's key sentences say whether each is about the target: a sentence of verdicts on
/// someone else that moves the reading is marked (JSON `about_target: false`, the table's "(not
/// about the target)"), one that names him or follows with "he" is not, and framing heads,
/// whose sentences may be about anyone, carry no mark.
#[test]
fn key_sentences_about_someone_else_are_marked() {
    let dir = tempfile::tempdir().unwrap();
    let others = "The previous government was weak, corrupt and helpless before the outlaw \
                  militias, a dismal and shameful chapter.";
    let text = format!(
        "{others} Prime Minister Mustafa al-Kadhimi chaired a cabinet session in Baghdad on \
         Sunday. He approved the draft budget and sent it to parliament.\n"
    );
    let path = dir.path().join("a.txt");
    std::fs::write(&path, &text).unwrap();
    let o = slant()
        .args([
            "classify",
            "--format",
            "jsonl",
            "--sentences",
            "5",
            "--model",
            "models/stance.bin",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let r = jsonl(&o).remove(0);
    let listed = |h: &str| -> Vec<Value> {
        ["sentences", "sentences_against"]
            .iter()
            .flat_map(|l| head(&r, h)[*l].as_array().cloned().unwrap_or_default())
            .collect()
    };
    let stance = listed("stance");
    let find = |start: &str| {
        stance
            .iter()
            .find(|k| k["text"].as_str().unwrap().starts_with(start))
            .unwrap_or_else(|| panic!("no key sentence starting {start:?}: {stance:?}"))
            .clone()
    };
    assert_eq!(find("The previous government")["about_target"], false);
    for k in &stance {
        if !k["text"]
            .as_str()
            .unwrap()
            .starts_with("The previous government")
        {
            assert_eq!(k["about_target"], true, "{k}");
        }
    }
    let framing = listed("framing");
    assert!(!framing.is_empty());
    assert!(framing.iter().all(|k| k.get("about_target").is_none()));
    // The table says it in words, on the stance's line only.
    let table = table_of(&path);
    let marked: Vec<&str> = table
        .lines()
        .filter(|l| l.contains("(not about the target)"))
        .collect();
    assert_eq!(marked.len(), 1, "{table}");
    assert!(marked[0].contains("The previous government"), "{table}");
}

/// `slant eval --baseline`: a model against itself differs on no row (p = 1, intervals at 0);
/// against a different model the rows only one of them reads right add up with the two
/// accuracies; a baseline whose head has other labels is refused by name.
#[test]
fn eval_compares_a_model_with_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let tiny = tiny_model(dir.path());
    let eval = |model: &Path, baseline: &Path, data: &str| {
        slant()
            .args(["eval", "--json", "--data", data, "--model"])
            .arg(model)
            .arg("--baseline")
            .arg(baseline)
            .output()
            .unwrap()
    };
    let o = eval(&tiny, &tiny, "tests/fixtures/tiny.csv");
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    for h in v["heads"].as_array().unwrap() {
        let c = &h["comparison"];
        assert_eq!(c["only_model_right"], 0, "{h}");
        assert_eq!(c["only_baseline_right"], 0, "{h}");
        assert_eq!(c["mcnemar_p"], 1.0, "{h}");
        assert_eq!(c["macro_f1_diff"]["estimate"], 0.0, "{h}");
        assert_eq!(c["macro_f1_diff"]["low"], 0.0, "{h}");
        assert_eq!(c["macro_f1_diff"]["high"], 0.0, "{h}");
    }
    // The shipped model against the tiny one on the held-aside passages.
    let shipped = repo("models/stance.bin");
    let o = eval(&shipped, &tiny, "data/dev.csv");
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let stance = &v["heads"][0];
    assert_eq!(stance["head"], "stance");
    let c = &stance["comparison"];
    let n = c["n"].as_f64().unwrap();
    let model_acc = stance["report"]["accuracy"].as_f64().unwrap();
    // accuracy(model) - accuracy(baseline) = (only model right - only baseline right) / n.
    let only_m = c["only_model_right"].as_f64().unwrap();
    let only_b = c["only_baseline_right"].as_f64().unwrap();
    assert!(only_m > only_b, "{c}");
    let plain = slant()
        .args(["eval", "--json", "--data", "data/dev.csv", "--model"])
        .arg(&tiny)
        .output()
        .unwrap();
    let pv: Value = serde_json::from_slice(&plain.stdout).unwrap();
    let base_acc = pv["heads"][0]["report"]["accuracy"].as_f64().unwrap();
    assert!(
        ((model_acc - base_acc) - (only_m - only_b) / n).abs() < 1e-9,
        "{c}"
    );
    assert!(c["mcnemar_p"].as_f64().unwrap() < 0.001, "{c}");
    let f = &c["macro_f1_diff"];
    let (lo, est, hi) = (
        f["low"].as_f64().unwrap(),
        f["estimate"].as_f64().unwrap(),
        f["high"].as_f64().unwrap(),
    );
    assert!(0.0 < lo && lo <= est && est <= hi, "{f}");
    // The table says it in words.
    let o = slant()
        .args(["eval", "--data", "data/dev.csv", "--model"])
        .arg(&shipped)
        .arg("--baseline")
        .arg(&tiny)
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(out.contains("against the baseline"), "{out}");
    assert!(
        out.contains("McNemar p = 0.000 (unlikely to be luck)"),
        "{out}"
    );
    // A baseline whose stance head has other labels.
    let data = dir.path().join("two.csv");
    std::fs::write(&data, agent_brave_csv("")).unwrap();
    let two = dir.path().join("two.bin");
    let o = train_stance(&data, &two, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = eval(&shipped, &two, "data/dev.csv");
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("the baseline's head `stance` has the labels anti, pro"),
        "{err}"
    );
}
