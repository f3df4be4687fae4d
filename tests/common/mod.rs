//! Helpers shared by the integration tests: run the real binary, read its output.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

pub fn slant() -> Command {
    let mut c = Command::cargo_bin("slant").unwrap();
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// The `slant` binary as a plain process, run from the repository, for tests that signal it,
/// read its pipes as it runs or give it other standard streams.
pub fn slant_process() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_slant"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

pub fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `slant train --label stance=stance --min-df 1 --data DATA -o OUT EXTRA...`: a stance head
/// trained on a small table.
pub fn train_stance(data: &Path, out: &Path, extra: &[&str]) -> Output {
    slant()
        .args([
            "train",
            "--label",
            "stance=stance",
            "--min-df",
            "1",
            "--data",
        ])
        .arg(data)
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// Train the tiny fixture model into `dir` and return its path.
pub fn tiny_model(dir: &Path) -> PathBuf {
    let out = dir.join("tiny.bin");
    let o = slant()
        .args([
            "train",
            "--data",
            "tests/fixtures/tiny.csv",
            "--label",
            "stance=stance",
            "--label",
            "framing=framing",
        ])
        .args(["--min-df", "1", "--json", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "train failed: {}", stderr(&o));
    // The --json summary: every row read, both heads, and times that nest (featurise within
    // train within the whole command).
    let v: Value = serde_json::from_slice(&o.stdout).expect("train --json prints JSON");
    let rows = csv::Reader::from_path("tests/fixtures/tiny.csv")
        .unwrap()
        .records()
        .count();
    assert_eq!(v["rows"].as_u64(), Some(rows as u64), "{v}");
    let heads: Vec<&str> = v["heads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["head"].as_str().unwrap())
        .collect();
    assert_eq!(heads, ["stance", "framing"]);
    let secs = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"));
    assert!(secs("featurise_seconds") <= secs("train_seconds"), "{v}");
    assert!(secs("train_seconds") <= secs("seconds"), "{v}");
    assert!(
        v["heads"][0]["convergence"]["converged"].as_bool().unwrap(),
        "{v}"
    );
    out
}

pub fn jsonl(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

pub fn head<'a>(rec: &'a Value, name: &str) -> &'a Value {
    rec["heads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["head"] == name)
        .unwrap()
}
