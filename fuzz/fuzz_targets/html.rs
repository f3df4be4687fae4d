//! Web pages: any bytes, decoded as a text file is, read for their article text. The parser is
//! expected never to panic (a panic is caught and becomes "the HTML could not be parsed", which
//! this target treats as a finding), and the text it gives is tidy: no blank line at either
//! end, no run of blank lines.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slant::html::article_text;
use slant::input::decode;

fuzz_target!(|data: &[u8]| {
    let Ok((text, _)) = decode(data) else { return };
    match article_text(&text) {
        Ok(t) => {
            assert!(!t.is_empty() && t.trim() == t && !t.contains("\n\n\n"), "{t:?}");
        }
        Err(e) => assert!(!e.contains("could not be parsed"), "{e}"),
    }
});
