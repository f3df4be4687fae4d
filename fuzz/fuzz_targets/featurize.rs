//! Featurise and classify any text with the shipped model: features, probabilities and evidence
//! must come out finite, without a panic.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use slant::classify::Scratch;
use slant::input::Document;
use slant::model::Model;

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| {
        Model::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../models/stance.bin"
        )))
        .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let m = model();
    let doc = Document {
        id: "fuzz".into(),
        source: None,
        text: text.clone(),
        warnings: Vec::new(),
        label: None,
    };
    let rec = m.classify(&doc, 5, &mut Scratch::default());
    for h in &rec.heads {
        if let Some(p) = &h.probabilities {
            assert!(p.iter().all(|(_, x)| x.is_finite()));
        }
    }
    let (rows, _) = m.featurizer().transform_batch(&[text]);
    assert!(rows[0].values.iter().all(|v| v.is_finite()));
});
