//! Topic files given as text: `desired::load::check_texts` must return `Ok` or a list of errors for any
//! text, never panic, never hang, and every error it returns must render.
//!
//! The input is the text of one topic file. It is checked twice: as one file, and split in two files at
//! a line start chosen by the input's last byte, so that the cross-file checks (a topic declared in two
//! files, `.`/`_` collisions between files) see two well-formed files often enough.
//!
//! Input that is not UTF-8 is skipped rather than converted lossily: `check_texts` takes `&str`, and the
//! loader refuses non-UTF-8 files before parsing (that path is fuzzed by `load_render`). Keeping the input
//! byte-for-byte identical to the text checked means a crash artifact is itself the topic file that
//! reproduces it (`topicform validate artifact.yaml`), and no two inputs collapse onto one text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use topicform::render::{self, Style};
use topicform::desired::load::check_texts;
use topicform::desired::{Error, Sources};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(&[("topics/fuzz.yaml", text)]);

    let (first, second) = text.split_at(split_point(text, data.last().copied().unwrap_or(0)));
    check(&[("topics/a.yaml", first), ("topics/b.yaml", second)]);
});

/// The start of the line at or after `byte / 255` of the way through `text`.
fn split_point(text: &str, byte: u8) -> usize {
    let mut at = text.len() * usize::from(byte) / 255;
    while !text.is_char_boundary(at) {
        at += 1;
    }
    if at == 0 || text[..at].ends_with('\n') {
        return at;
    }
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

fn check(files: &[(&str, &str)]) {
    let errors: Vec<Error> = match check_texts(files) {
        Ok(checked) => checked.warnings,
        Err(errors) => {
            assert!(!errors.is_empty(), "Err with no error");
            errors
        }
    };
    // `Sources` has no public constructor for in-memory text (its `insert` is private to `desired::load`),
    // so the diagnostics are drawn without source snippets here; `load_render` draws them with.
    let mut out = Vec::new();
    render::diagnostics(&errors, &Sources::default(), Style::default(), &mut out).expect("rendering to a Vec");
    for error in &errors {
        let _ = error.to_string();
        let _ = error.hint();
    }
}
