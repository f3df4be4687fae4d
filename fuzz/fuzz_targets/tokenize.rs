//! Normalise + tokenise any bytes (decoded as the text reader decodes files); the token
//! invariants must hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use slant::text::{Residue, Tokens, tokenize};

fuzz_target!(|data: &[u8]| {
    let Ok((text, _)) = slant::input::decode(data) else {
        return;
    };
    let residue = Residue::parse(
        include_str!("../../data/residue.txt"),
        std::path::Path::new("residue.txt"),
    )
    .unwrap();
    let mut toks = Tokens::default();
    tokenize(&text, &residue, &mut toks);
    let mut last = 0u32;
    for (i, t) in toks.as_slice().iter().enumerate() {
        assert!(t.start < t.end && t.start >= last);
        assert!(text.is_char_boundary(t.start as usize) && text.is_char_boundary(t.end as usize));
        assert!(!toks.norm(i).is_empty());
        last = t.end;
    }
});
