//! The loader on real files: `desired::load_topics` reads raw bytes (UTF-8 or not) from disk, and every
//! error is rendered with `render::diagnostics` using the `Sources` the loader filled in, so that source
//! snippets and their underlined spans (byte offsets into the file) are drawn too. `validate` cannot do
//! that: `Sources` has no public constructor for in-memory text.
//!
//! Each input is written as one file and loaded, then split in two files (`a.yaml`, `b.yaml`, at a line
//! start chosen by the last byte) in a directory and the directory is loaded. The files live in a
//! per-process directory under /dev/shm/topicform-fuzz (memory, not disk) when /dev/shm exists.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use topicform::render::{self, Style};
use topicform::desired::{Error, Sources, load_topics};

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    let whole = dir.join("fuzz.yaml");
    std::fs::write(&whole, data).expect("write scratch file");
    check(&[whole]);

    let split = split_point(data, data.last().copied().unwrap_or(0));
    let pair = dir.join("pair");
    std::fs::write(pair.join("a.yaml"), &data[..split]).expect("write scratch file");
    std::fs::write(pair.join("b.yaml"), &data[split..]).expect("write scratch file");
    check(&[pair]);
});

/// This process's scratch directory, `<base>/topicform-fuzz/<pid>`. libFuzzer ends a process without
/// running destructors, and fork mode starts a new process per job, so the directories of processes that
/// are gone are removed here instead.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let base = if shm.is_dir() { shm } else { std::env::temp_dir() }.join("topicform-fuzz");
        if let Ok(entries) = std::fs::read_dir(&base) {
            for entry in entries.flatten() {
                let pid = entry.file_name().to_string_lossy().into_owned();
                if !PathBuf::from("/proc").join(&pid).exists() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let dir = base.join(std::process::id().to_string());
        std::fs::create_dir_all(dir.join("pair")).expect("create scratch dir");
        dir
    })
}

/// The start of the line at or after `byte / 255` of the way through `data`.
fn split_point(data: &[u8], byte: u8) -> usize {
    let at = data.len() * usize::from(byte) / 255;
    if at == 0 || data[at - 1] == b'\n' {
        return at;
    }
    data[at..].iter().position(|&b| b == b'\n').map_or(data.len(), |i| at + i + 1)
}

fn check(paths: &[PathBuf]) {
    let mut sources = Sources::default();
    let errors: Vec<Error> = match load_topics(paths, &mut sources) {
        Ok(checked) => checked.warnings,
        Err(errors) => {
            assert!(!errors.is_empty(), "Err with no error");
            errors
        }
    };
    let mut out = Vec::new();
    render::diagnostics(&errors, &sources, Style::default(), &mut out).expect("rendering to a Vec");
    for error in &errors {
        let _ = error.to_string();
        let _ = error.hint();
    }
}
