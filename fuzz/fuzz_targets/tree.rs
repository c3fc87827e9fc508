//! The file-tree loader: the input is a small script that builds a directory tree (topic files with
//! content from the input, directories, symbolic links to anything, named pipes, a project file), then
//! `desired::load::load_tree` reads it from two roots at once (`topics` and `.`, a flat layout) with the
//! project file excluded. It must never panic, never hang (a named pipe must not be opened), and
//! every problem must render with its snippet.
//!
//! Each command is one byte and its operands (names are picked from a short list, so that paths meet
//! and links form loops):
//! - `f N L`: a file `N` with the next `L` bytes as content;
//! - `d N`: a directory `N`, entered (later commands build inside it);
//! - `u`: back up one directory;
//! - `l N T`: a symbolic link `N` to target `T` (a name, `.`, `..`, an absolute root, nothing);
//! - `p N`: a named pipe `N`.
//!
//! The tree lives under /dev/shm/topicform-fuzz-tree/<pid> (memory) when /dev/shm exists, and is
//! rebuilt for every input.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use topicform::desired::load::load_tree;
use topicform::desired::{Error, Sources};
use topicform::render::{self, Style};

const NAMES: &[&str] = &["topics", "a.yaml", "b.yml", "topicform.yaml", "shared", "c.yaml", ".hidden.yaml", "x"];
const TARGETS: &[&str] = &[".", "..", "topics", "a.yaml", "shared", "nowhere", "topicform.yaml", "../topics"];

fuzz_target!(|data: &[u8]| {
    let root = scratch();
    let _ = std::fs::remove_dir_all(root);
    std::fs::create_dir_all(root.join("topics")).expect("scratch dir");
    build(root, data);
    let mut sources = Sources::default();
    let paths = [root.join("topics"), root.join(".")];
    let errors: Vec<Error> = match load_tree(&paths, Some(&root.join("topicform.yaml")), &mut sources) {
        Ok(checked) => checked.warnings,
        Err(errors) => {
            assert!(!errors.is_empty(), "Err with no error");
            errors
        }
    };
    let mut out = Vec::new();
    render::diagnostics(&errors, &sources, Style::default(), &mut out).expect("rendering to a Vec");
});

fn build(root: &Path, data: &[u8]) {
    let mut dir = root.to_path_buf();
    let mut bytes = data.iter().copied();
    let mut next = || bytes.next();
    let name = |b: Option<u8>| NAMES[usize::from(b.unwrap_or(0)) % NAMES.len()];
    let mut made = 0;
    while let Some(op) = next() {
        made += 1;
        if made > 64 {
            break;
        }
        match op % 5 {
            0 => {
                let path = dir.join(name(next()));
                let len = usize::from(next().unwrap_or(0));
                let content: Vec<u8> = (0..len).map_while(|_| next()).collect();
                // Never write through what is already there: a link could lead to a named pipe, and the
                // harness would block where topicform must not.
                if std::fs::symlink_metadata(&path).is_err() {
                    let _ = std::fs::write(path, content);
                }
            }
            1 => {
                let path = dir.join(name(next()));
                if std::fs::create_dir_all(&path).is_ok() && dir.components().count() < root.components().count() + 4 {
                    dir = path;
                }
            }
            2 => {
                if dir != root {
                    dir.pop();
                }
            }
            3 => {
                let path = dir.join(name(next()));
                let target = match next() {
                    Some(b) if b % 9 == 8 => root.to_path_buf(),
                    b => PathBuf::from(TARGETS[usize::from(b.unwrap_or(0)) % TARGETS.len()]),
                };
                #[cfg(unix)]
                let _ = std::os::unix::fs::symlink(target, path);
            }
            _ => {
                let path = dir.join(name(next()));
                let _ = std::process::Command::new("mkfifo").arg(path).status();
            }
        }
    }
}

/// This process's scratch directory.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = PathBuf::from("/dev/shm");
        let base = if shm.is_dir() { shm } else { std::env::temp_dir() }.join("topicform-fuzz-tree");
        if let Ok(entries) = std::fs::read_dir(&base) {
            for entry in entries.flatten() {
                let pid = entry.file_name().to_string_lossy().into_owned();
                if !PathBuf::from("/proc").join(&pid).exists() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        base.join(std::process::id().to_string())
    })
}
