//! The corpus of bad inputs: every directory under `tests/corpus/` is one case, run through the real
//! binary as `topicform validate`, with its exact diagnostics pinned in the case's `expected.txt`.
//!
//! A case directory holds:
//!
//! - the input: `topicform.yaml` (always; it names the unreachable cluster `127.0.0.1:1`, which
//!   `validate` must never contact) and usually `topics/*.yaml`;
//! - `expected.txt`: the exact standard error;
//! - optionally `strict` (an empty file): run `validate --strict`;
//! - optionally `args`: more arguments, one per line, appended after `validate`;
//! - optionally `fifos`: paths (one per line, relative to the case) where a named pipe is made for the
//!   run, since git cannot hold one; the run must report it, never open it (that would hang).
//!
//! The exit code must be 1, except for cases whose name (after the `NNN-` number) starts with `warn-`
//! (the files validate with warnings only) or `ok-` (they validate, today, without any problem): those
//! exit 0, unless run under `strict`. An `ok-` case may pin a behaviour judged wrong; its `known-bug.txt`
//! then says what it should do, and the case is renamed when that is fixed.
//!
//! `UPDATE_CORPUS=1 cargo test --test corpus` rewrites every `expected.txt` from the current output
//! (on purpose, then review the diff); the other checks still apply.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// A run longer than this is a hang.
const TIMEOUT: Duration = Duration::from_secs(20);
/// A run whose resident memory grows beyond this is a blow-up (checked where `/proc` exists).
const MAX_RSS_KIB: u64 = 1024 * 1024;
/// A variable some cases reference in the project file; it must be unset for them.
const UNSET_VAR: &str = "TOPICFORM_CORPUS_UNSET_VAR";

struct Outcome {
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    killed: Option<String>,
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("corpus")
}

fn cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir(corpus_dir())
        .expect("tests/corpus exists")
        .map(|e| e.expect("readable corpus entry").path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// The case's name without its `NNN-` number.
fn short_name(case: &Path) -> String {
    let name = case.file_name().expect("a case has a name").to_string_lossy().into_owned();
    match name.split_once('-') {
        Some((number, rest)) if number.bytes().all(|b| b.is_ascii_digit()) => rest.to_owned(),
        _ => name,
    }
}

fn args(case: &Path) -> Vec<String> {
    let mut args = vec!["validate".to_owned()];
    if case.join("strict").exists() {
        args.push("--strict".into());
    }
    if let Ok(text) = fs::read_to_string(case.join("args")) {
        args.extend(text.lines().filter(|l| !l.trim().is_empty()).map(str::to_owned));
    }
    args
}

fn spawn_reader(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        buf
    })
}

/// Resident memory of a running process in KiB, where `/proc` tells.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run(case: &Path, args: &[String]) -> Outcome {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_topicform"))
        .args(args)
        .current_dir(case)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove(UNSET_VAR)
        .env_remove("CLICOLOR_FORCE")
        .env_remove("FORCE_COLOR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the topicform binary starts");
    let stdout = spawn_reader(child.stdout.take().expect("piped stdout"));
    let stderr = spawn_reader(child.stderr.take().expect("piped stderr"));
    let mut killed = None;
    let status = loop {
        match child.try_wait().expect("waiting for topicform") {
            Some(status) => break Some(status),
            None if start.elapsed() > TIMEOUT => {
                killed = Some(format!("still running after {TIMEOUT:?}: killed"));
            }
            None => match rss_kib(child.id()) {
                Some(kib) if kib > MAX_RSS_KIB => {
                    killed = Some(format!("resident memory reached {} MiB: killed", kib / 1024));
                }
                _ => {}
            },
        }
        if killed.is_some() {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(5));
    };
    let text = |h: thread::JoinHandle<Vec<u8>>| String::from_utf8_lossy(&h.join().expect("reader thread")).into_owned();
    Outcome { status, stdout: text(stdout), stderr: text(stderr), elapsed: start.elapsed(), killed }
}

/// Every problem of one case; empty when it passes.
fn check(case: &Path, update: bool) -> Vec<String> {
    let mut problems = Vec::new();
    let project = fs::read_to_string(case.join("topicform.yaml")).unwrap_or_default();
    if !project.contains("127.0.0.1:1") {
        problems.push("its topicform.yaml must name the unreachable cluster `bootstrap: 127.0.0.1:1`".to_owned());
    }

    let args = args(case);
    let fifos = make_fifos(case);
    let outcome = run(case, &args);
    for fifo in fifos {
        let _ = fs::remove_file(fifo);
    }
    if let Some(why) = &outcome.killed {
        problems.push(why.clone());
    }
    let strict = case.join("strict").exists();
    let name = short_name(case);
    let succeeds = name.starts_with("warn-") || name.starts_with("ok-");
    let want_code = if succeeds && !strict { 0 } else { 1 };
    if let Some(status) = outcome.status
        && status.code() != Some(want_code)
    {
        problems.push(format!("exit status {status}, expected {want_code}"));
    }
    if outcome.stderr.contains("panicked at") {
        problems.push("it panicked".to_owned());
    }
    if outcome.stderr.contains("Describing") {
        problems.push("it contacted a cluster".to_owned());
    }

    let expected_path = case.join("expected.txt");
    if update {
        if outcome.killed.is_none() {
            fs::write(&expected_path, &outcome.stderr).expect("expected.txt is writable");
        }
    } else {
        match fs::read_to_string(&expected_path) {
            Err(_) => problems.push("it has no expected.txt (run with UPDATE_CORPUS=1 to write it)".to_owned()),
            Ok(expected) if expected != outcome.stderr => {
                problems.push(format!("stderr differs from expected.txt:\n{}", diff(&expected, &outcome.stderr)))
            }
            Ok(_) => {}
        }
    }

    if !problems.is_empty() {
        problems.push(format!(
            "ran `topicform {}` in {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
            args.join(" "),
            outcome.elapsed,
            outcome.stdout,
            outcome.stderr
        ));
    }
    problems
}

/// Makes the named pipes a case lists in `fifos` (Unix only).
fn make_fifos(case: &Path) -> Vec<PathBuf> {
    let Ok(list) = fs::read_to_string(case.join("fifos")) else { return Vec::new() };
    let mut made = Vec::new();
    for line in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let path = case.join(line);
        let _ = fs::remove_file(&path);
        let ok = Command::new("mkfifo").arg(&path).status().is_ok_and(|s| s.success());
        assert!(ok, "mkfifo {} failed", path.display());
        made.push(path);
    }
    made
}

/// A line-by-line comparison: `-` expected, `+` actual, only where they differ.
fn diff(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<&str>, Vec<&str>) = (expected.lines().collect(), actual.lines().collect());
    let mut out = String::new();
    for i in 0..e.len().max(a.len()) {
        let (x, y) = (e.get(i), a.get(i));
        if x != y {
            if let Some(x) = x {
                out.push_str(&format!("  line {}: - {x}\n", i + 1));
            }
            if let Some(y) = y {
                out.push_str(&format!("  line {}: + {y}\n", i + 1));
            }
        }
    }
    if out.is_empty() {
        out.push_str("  (they differ only in line endings or a final newline)\n");
    }
    out
}

#[test]
fn corpus() {
    let update = std::env::var("UPDATE_CORPUS").is_ok_and(|v| v == "1");
    let cases = cases();
    assert!(cases.len() >= 45, "the corpus has {} cases, expected at least 45", cases.len());

    let mut failures = Vec::new();
    for case in &cases {
        let problems = check(case, update);
        if !problems.is_empty() {
            let name = case.file_name().expect("named").to_string_lossy();
            failures.push(format!("=== {name}\n{}", problems.join("\n")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// Words of the parser, of serde or of Rust that must never reach a user: every message is in the
/// user's terms (the key, what was found, what it takes). Checked on every golden of the corpus.
const PARSER_WORDING: &[&str] = &[
    "invalid type",
    "invalid value",
    "invalid length",
    "unknown variant",
    "unknown field",
    "missing field",
    "expected",
    "deserializ",
    "Option<",
    "Vec<",
    "recursion limit",
    "serde",
    "saphyr",
    "granit",
    "strict mode",
    "configured policy",
    "DuplicateKeyPolicy",
    "budget breached",
    "scalar",
    "sequence",
    "did not find",
    "while parsing",
    "i64",
    "u16",
    "u32",
    "FFI",
    "nul error",
    "os error",
    "No such configuration property",
];

#[test]
fn no_golden_uses_the_parser_s_words() {
    let mut found = Vec::new();
    for case in cases() {
        let text = fs::read_to_string(case.join("expected.txt")).unwrap_or_default().to_lowercase();
        for word in PARSER_WORDING {
            if text.contains(&word.to_lowercase()) {
                found.push(format!("{}: `{word}`", case.file_name().expect("named").to_string_lossy()));
            }
        }
    }
    assert!(found.is_empty(), "goldens in the parser's words:\n{}", found.join("\n"));
}

/// The wording check itself catches what it is meant to (a check that cannot fail is no check).
#[test]
fn the_wording_check_catches_parser_messages() {
    let parser_messages = [
        "invalid type: sequence, expected a whole number",
        "cannot deserialize null into string; use Option<String>",
        "non-finite float `inf` rejected by the configured policy",
        "strict mode expects true/false",
        "recursion limit exceeded",
        "while parsing a block mapping, did not find expected key",
    ];
    for message in parser_messages {
        let lower = message.to_lowercase();
        assert!(PARSER_WORDING.iter().any(|w| lower.contains(&w.to_lowercase())), "{message}");
    }
}
