//! slant measures news coverage of a named political figure: each article's **stance** toward
//! the figure (anti / neutral / pro, in the text's own voice) and its **framing** (for the
//! shipped model: pro_iran / neutral / opposition), with the evidence behind each label.
//!
//! The modules follow the data's path:
//!
//! 1. [`input`]: documents from files, directories, stdin, CSV, JSON Lines; labelled rows.
//! 2. [`text`]: residue filter, tokens with byte offsets, normalisation (NFKC, case, quotes,
//!    dashes, diacritics, Arabic letter variants, "Al -Kazemi" -> `alkazemi`).
//! 3. [`stem`]: English stems behind a per-thread cache.
//! 4. [`target`]: the figure's aliases and where a document mentions them.
//! 5. [`lexicon`]: curated category phrases matched on stems.
//! 6. [`features`]: units, target windows, vocabulary, tf-idf blocks, lexicon and target rates.
//! 7. [`sparse`]: the sparse vectors and matrices features live in.
//! 8. [`logistic`]: multinomial logistic regression on sparse features (L-BFGS, linfa traits).
//! 9. [`train`]: corpus -> model, cross-validation.
//! 10. [`model`]: the trained model and its checked, versioned file format.
//! 11. [`classify`]: a document -> labels, probabilities, scores, evidence.
//! 12. [`metrics`] and [`report`]: evaluation and output formats.
//!
//! ```no_run
//! use slant::{classify::Scratch, input::Document, model::Model};
//!
//! let model = Model::load("models/stance.bin")?;
//! let doc = Document {
//!     id: "example".into(),
//!     source: None,
//!     text: "The resistance factions accused Al-Kazemi of betraying the martyrs.".into(),
//!     warnings: vec![],
//!     label: None,
//!     date: None,
//! };
//! let record = model.classify(&doc, 5, &mut Scratch::default());
//! for head in &record.heads {
//!     println!("{}: {:?} {:?}", head.head, head.label, head.probabilities);
//! }
//! # Ok::<(), slant::Error>(())
//! ```

pub mod aggregate;
pub mod audit;
pub mod classify;
pub mod date;
pub mod error;
pub mod features;
pub mod html;
pub mod input;
pub mod lexicon;
pub mod logistic;
pub mod metrics;
pub mod model;
pub mod report;
pub mod sources;
pub mod sparse;
pub mod stem;
mod strmap;
pub mod suggest;
pub mod target;
pub mod text;
pub mod train;
pub mod tune;
pub mod view;

pub use error::{Error, Result};
