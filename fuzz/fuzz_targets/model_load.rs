//! Load any bytes as a model file: refused with a message or loaded, never a panic or an
//! allocation the file did not pay for. The first byte picks raw bytes (header, length and
//! checksum checks) or a payload framed with a correct header and checksum (the decoder and
//! the consistency checks behind them).
#![no_main]

use libfuzzer_sys::fuzz_target;
use slant::model::{Model, frame};

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.bin");
    match data.split_first() {
        Some((0, rest)) => {
            let _ = Model::from_bytes(rest, path);
        }
        Some((_, rest)) => {
            let _ = Model::from_bytes(&frame(rest), path);
        }
        None => {
            let _ = Model::from_bytes(data, path);
        }
    }
});
