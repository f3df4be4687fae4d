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

pub fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
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
        .args(["--min-df", "1", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "train failed: {}", stderr(&o));
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
