//! The CSV and JSON Lines readers (documents for classify, labelled rows for train / eval) on
//! any bytes: every item is a document or an error naming its place, never a panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use slant::input::{Documents, LabelledSet, ReadOptions, Source, TableSpec};

fn scratch() -> &'static PathBuf {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| std::env::temp_dir().join(format!("slant-fuzz-{}.dat", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = slant::date::Date::parse(s);
    }
    let path = scratch();
    std::fs::write(path, data).unwrap();
    let spec = |id: Option<&str>| TableSpec {
        path: path.clone(),
        text: "text".into(),
        id: id.map(str::to_owned),
        source: Some("source".into()),
        label: Some("stance".into()),
        // The `date` column, when the data has one.
        date: None,
    };
    let opts = ReadOptions {
        max_bytes: 1 << 10,
        ..Default::default()
    };
    let sources = vec![
        Source::Csv(spec(None)),
        Source::Jsonl(spec(None)),
        Source::Csv(spec(Some("url"))),
    ];
    for item in Documents::new(sources, opts) {
        match item {
            Ok(d) => assert!(!d.text.trim().is_empty() && d.text.len() <= 1 << 10),
            Err(e) => assert!(e.location.starts_with(&*path.to_string_lossy())),
        }
    }
    let labels = vec!["stance".to_string()];
    let allowed = vec![Some(vec!["anti".to_string(), "pro".to_string()])];
    if let Ok(set) = LabelledSet::read_csv(path, "text", Some("id"), &labels, &allowed, 1 << 10) {
        for r in &set.rows {
            assert!(matches!(r.labels[0].as_deref(), Some("anti" | "pro")));
        }
    }
});
