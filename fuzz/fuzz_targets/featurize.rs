//! Featurise and classify any text with the shipped model: features, probabilities and evidence
//! must come out finite, without a panic, and scoring without evidence (the character block
//! summed against the model's table) must give the probabilities of scoring with it, up to
//! rounding. Key sentences and absent cues hold together.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use slant::classify::Scratch;
use slant::input::Document;
use slant::model::Model;

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| {
        let mut m = Model::load(std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../models/stance.bin"
        )))
        .unwrap();
        // Score every text, however few of its words the model knows: fuzzed bytes are
        // mostly unknown words, which would otherwise leave the heads unscored.
        m.set_min_known(0.0);
        m
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
        date: None,
    };
    let mut scratch = Scratch::default();
    let mut rec = m.classify(&doc, 5, &mut scratch);
    // Key sentences: shares of the contributions, finite, within the text.
    m.key_sentences(&doc.text, &mut rec, 3, &mut scratch);
    for h in &rec.heads {
        for k in h.sentences.iter().chain(&h.sentences_against) {
            assert!(k.effect.is_finite() && k.start <= k.end && k.end <= text.len());
        }
        assert!(h.absent.iter().all(|a| Some(&a.favours) != h.label.as_ref()));
    }
    let plain = m.classify(&doc, 0, &mut scratch);
    for (h, g) in rec.heads.iter().zip(&plain.heads) {
        if let Some(p) = &h.probabilities {
            assert!(p.iter().all(|(_, x)| x.is_finite()));
            let q = g.probabilities.as_ref().expect("the same heads are scored");
            for (label, x) in p {
                assert!((x - q[label]).abs() <= 2e-4, "{label}: {x} against {}", q[label]);
            }
        }
    }
    let (rows, _) = m.featurizer().transform_batch(&[text]);
    assert!(rows[0].values.iter().all(|v| v.is_finite()));
});
