//! The binary's contract with shells and CI, run as a process: exit codes of usage errors, `--help`
//! and `--version`; a full or closed standard stream ends the run with status 1 and never a panic;
//! `watch --log-format json` writes nothing on stderr that is not a JSON line. No cluster is needed.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn topicform(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_topicform"));
    command.args(args).current_dir(dir).env("NO_COLOR", "1").stdin(Stdio::null());
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    topicform(dir, args).output().expect("topicform runs")
}

/// A project with one valid topic file, naming a cluster nobody listens on.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("topicform.yaml"), "clusters: {x: {bootstrap: 127.0.0.1:1}}\n").unwrap();
    std::fs::create_dir(dir.path().join("topics")).unwrap();
    std::fs::write(
        dir.path().join("topics/a.yaml"),
        "topics:\n  - name: a\n    partitions: 1\n    replicationFactor: 1\n",
    )
    .unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[track_caller]
fn assert_no_panic(output: &Output) {
    let (out, err) = (text(&output.stdout), text(&output.stderr));
    assert!(!err.contains("panicked") && !out.contains("panicked"), "a panic: {err}");
    assert_ne!(output.status.code(), Some(101), "the exit status of a panic: {err}");
}

#[test]
fn a_usage_error_exits_1_never_2_and_help_and_version_exit_0() {
    let dir = project();
    for args in [
        &["plna"][..],
        &["plan", "--detailed-exitcode", "--bogus"],
        &["plan", "--detailed-exitcode", "--timeout", "5x"],
        &["watch", "--interval", "0s"],
        &["apply", "--max-plan-age"],
        &[],
    ] {
        let output = run(dir.path(), args);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", text(&output.stderr));
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(!output.stderr.contains(&0x1b), "{args:?}: no colour off a terminal");
        assert_no_panic(&output);
    }
    let typo = run(dir.path(), &["plan", "--detailed-exitcode", "--bogus"]);
    assert!(text(&typo.stderr).contains("unexpected argument '--bogus'"), "{}", text(&typo.stderr));
    for args in [&["--help"][..], &["plan", "--help"], &["-h"], &["--version"], &["help", "apply"]] {
        let output = run(dir.path(), args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", text(&output.stderr));
        assert!(!output.stdout.is_empty(), "{args:?} prints on stdout");
        assert!(!output.stdout.contains(&0x1b), "{args:?}: no colour off a terminal");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_or_stderr_ends_the_run_with_1_and_no_panic() {
    let dir = project();
    let full = || std::fs::OpenOptions::new().write(true).open("/dev/full").expect("Linux has /dev/full");
    // Output that cannot be written: status 1, and stderr says why.
    for args in [&["schema"][..], &["completions", "bash"], &["--help"], &["--version"]] {
        let output = topicform(dir.path(), args).stdout(full()).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", text(&output.stderr));
        assert_no_panic(&output);
    }
    let output = topicform(dir.path(), &["schema"]).stdout(full()).output().unwrap();
    assert_eq!(
        text(&output.stderr),
        "error: cannot write the output on standard output: No space left on device (os error 28)\n"
    );
    // Messages that cannot be written: a failing run still fails with 1 (a panic would be 101), and
    // a run that succeeded fails too, since what it said was lost.
    std::fs::write(dir.path().join("topics/b.yaml"), "topics:\n  - name: b\n    partitions: x\n").unwrap();
    for args in
        [&["validate"][..], &["validate", "missing/"], &["plan", "--bogus"], &["watch", "--log-format", "json", "--x"]]
    {
        let output = topicform(dir.path(), args).stderr(full()).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
    }
    std::fs::remove_file(dir.path().join("topics/b.yaml")).unwrap();
    let output = topicform(dir.path(), &["validate"]).stderr(full()).output().unwrap();
    assert_eq!(output.status.code(), Some(1), "`1 topic(s) valid.` was lost");
    // Both full.
    let output = topicform(dir.path(), &["schema"]).stdout(full()).stderr(full()).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
}

/// `topicform schema | head -1` once head has gone: the run fails (status 1, so that `plan
/// --detailed-exitcode | head` never passes for "in sync" or "changes pending" on output nobody read),
/// says so in one line, and does not panic.
#[test]
fn a_closed_stdout_ends_the_run_with_1_in_one_line_and_no_panic() {
    let dir = project();
    for args in [&["schema"][..], &["completions", "zsh"], &["--help"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        // The reader is gone before the first write: every write meets a closed pipe.
        drop(reader);
        let output = topicform(dir.path(), args).stdout(writer).output().unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", text(&output.stderr));
        assert_eq!(
            text(&output.stderr),
            "error: standard output was closed before the output was written in full (its reader stopped \
             reading); the command stopped there\n",
            "{args:?}"
        );
    }
}

#[track_caller]
fn assert_json_lines(stderr: &[u8], what: &str) -> Vec<serde_json::Value> {
    let stderr = text(stderr);
    assert!(!stderr.is_empty(), "{what}: says nothing");
    stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {l:?}\n{stderr}")))
        .collect()
}

#[test]
fn watch_with_json_logs_writes_only_json_lines_on_stderr_when_it_fails() {
    let dir = project();
    let watch = ["watch", "--log-format", "json", "--cycles", "1", "--listen", "127.0.0.1:0", "--timeout", "2s"];
    // A usage error after the flag, and before it.
    for args in [&[&watch[..], &["--interval", "soon"]].concat(), &[&["watch", "--bogus"][..], &watch[1..]].concat()] {
        let output = run(dir.path(), args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let lines = assert_json_lines(&output.stderr, &format!("{args:?}"));
        assert_eq!((lines.len(), &lines[0]["event"]), (1, &"error".into()), "{lines:?}");
        assert!(!lines[0]["message"].as_str().unwrap().starts_with("error:"), "{lines:?}");
    }
    // Files with errors: the diagnostics and the cycle are JSON.
    std::fs::write(dir.path().join("topics/b.yaml"), "topics:\n  - name: b\n    partitions: x\n").unwrap();
    let output = run(dir.path(), &watch);
    let lines = assert_json_lines(&output.stderr, "bad files");
    assert!(lines.iter().any(|l| l["event"] == "cycle" && l["errorKind"] == "files"), "{lines:?}");
    std::fs::remove_file(dir.path().join("topics/b.yaml")).unwrap();
    // The address is taken: the startup error is JSON.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let mut args = watch.to_vec();
    args[6] = &listen;
    let output = run(dir.path(), &args);
    assert_eq!(output.status.code(), Some(1));
    let lines = assert_json_lines(&output.stderr, "address taken");
    assert!(lines[0]["message"].as_str().unwrap().contains("cannot listen"), "{lines:?}");
    // No project file.
    let output = run(dir.path(), &[&["--project", "missing.yaml"][..], &watch].concat());
    assert_json_lines(&output.stderr, "no project");
    // The Kafka client's log (`-v`) while the cluster cannot be reached: JSON too.
    let output = run(dir.path(), &[&["-v"][..], &watch].concat());
    let lines = assert_json_lines(&output.stderr, "-v");
    assert!(
        lines.iter().any(|l| l["event"] == "log" && l["message"].as_str().unwrap().starts_with("librdkafka")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l["event"] == "cycle" && l["outcome"] == "failed"), "{lines:?}");
    // A signal: the watcher says it stops, as JSON.
    std::fs::write(dir.path().join("topics/b.yaml"), "topics:\n  - name: b\n    partitions: x\n").unwrap();
    let log = dir.path().join("watch.log");
    let mut args = watch.to_vec();
    args[4] = "100"; // cycles
    let mut child = topicform(dir.path(), &[&args[..], &["--interval", "1h"]].concat())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // The first cycle's summary is written once the signal handlers are in place.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !std::fs::read_to_string(&log).unwrap().contains("\"event\":\"cycle\"") {
        assert!(std::time::Instant::now() < deadline, "no cycle: {}", std::fs::read_to_string(&log).unwrap());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "a signal ends watch with 0");
    let lines = assert_json_lines(&std::fs::read(&log).unwrap(), "signal");
    assert!(lines.iter().any(|l| l["event"] == "signal"), "{lines:?}");
}
