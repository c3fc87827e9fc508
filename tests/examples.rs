//! The `produce` and `consume` examples against a real Kafka cluster (see `common` for which one).
//!
//! The test runs the example binaries that cargo has already built: `cargo test --all-targets` builds
//! them, a plain `cargo test --test examples` does not, so run `cargo build --examples` first.

mod common;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use common::{Run, Workspace, cluster_available, delete_group};

/// The path of a built example, or a panic that says how to build it.
fn example(name: &str) -> PathBuf {
    // The test binary is target/<profile>/deps/examples-<hash>; examples are in target/<profile>/examples.
    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>/deps/<test>");
    let path = profile_dir.join("examples").join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let built = std::fs::metadata(&path).and_then(|m| m.modified()).unwrap_or_else(|_| {
        panic!(
            "the `{name}` example is not built ({} is missing); run `cargo build --examples` first, or \
             `cargo test --all-targets`, which builds the examples",
            path.display()
        )
    });
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples").join(format!("{name}.rs"));
    let edited = std::fs::metadata(&source).and_then(|m| m.modified()).unwrap_or(SystemTime::UNIX_EPOCH);
    assert!(
        built >= edited,
        "{} is older than {}; rebuild it with `cargo build --examples`",
        path.display(),
        source.display()
    );
    path
}

/// Runs an example with `stdin` as its input, killing it if it is still running after a minute.
fn run_example(name: &str, args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(example(name))
        .args(args)
        .env_remove("KAFKA_BOOTSTRAP")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start the `{name}` example: {e}"));
    // Dropping the pipe after writing closes the example's standard input.
    child.stdin.take().expect("piped stdin").write_all(stdin.as_bytes()).expect("write to the example's stdin");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("wait for the example").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let run = Run::from(child.wait_with_output().expect("output of the killed example"));
            panic!(
                "`{name} {}` still ran after 60 s\n--- stdout\n{}\n--- stderr\n{}",
                args.join(" "),
                run.stdout,
                run.stderr
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Run::from(child.wait_with_output().expect("output of the example"))
}

/// `(partition, offset)` of each `delivered: partition P, offset O` line of `produce`.
fn deliveries(run: &Run) -> Vec<(i32, i64)> {
    run.stdout
        .lines()
        .map(|line| {
            let rest = line.strip_prefix("delivered: partition ").unwrap_or_else(|| panic!("produce printed {line:?}"));
            let (partition, offset) =
                rest.split_once(", offset ").unwrap_or_else(|| panic!("produce printed {line:?}"));
            (partition.parse().expect("a partition"), offset.parse().expect("an offset"))
        })
        .collect()
}

/// `(partition, offset, key, value)` of each line of `consume`.
fn records(run: &Run) -> Vec<(i32, i64, String, String)> {
    run.stdout
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.splitn(4, ' ').collect();
            let [partition, offset, key, value] = fields[..] else { panic!("consume printed {line:?}") };
            (partition.parse().expect("a partition"), offset.parse().expect("an offset"), key.into(), value.into())
        })
        .collect()
}

#[test]
fn produce_then_consume() {
    if !cluster_available("produce_then_consume") {
        return;
    }
    let ws = Workspace::new("examples");
    let topic = ws.topic("greetings");
    let group = format!("{}.group", ws.prefix);
    // Three partitions, so that the key decides where the records go. The replication factor is the
    // cluster's default, so the test also runs against a single broker.
    ws.write("topics/t.yaml", &format!("topics:\n  - name: {topic}\n    partitions: 3\n"));
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let bootstrap = ws.bootstrap.as_str();

    // Two messages from the arguments, then one from standard input, all with the same key.
    let first = run_example("produce", &[&topic, "--bootstrap", bootstrap, "--key", "user-42", "hello", "brave"], "");
    first.expect_code(0);
    let second = run_example("produce", &[&topic, "--bootstrap", bootstrap, "--key", "user-42"], "new world\n");
    second.expect_code(0);
    let delivered: Vec<(i32, i64)> = deliveries(&first).into_iter().chain(deliveries(&second)).collect();
    let partition = delivered[0].0;
    assert_eq!(delivered, [(partition, 0), (partition, 1), (partition, 2)], "one key, one partition, in order");

    let consume = |extra: &[&str]| {
        let mut args = vec![topic.as_str(), "--bootstrap", bootstrap, "--group", &group];
        args.extend_from_slice(extra);
        let run = run_example("consume", &args, "");
        run.expect_code(0);
        records(&run)
    };
    let read = consume(&["--from-beginning", "--max", "3", "--timeout", "20"]);
    let expected: Vec<(i32, i64, String, String)> = ["hello", "brave", "new world"]
        .iter()
        .zip(0..)
        .map(|(value, offset)| (partition, offset, "user-42".to_owned(), value.to_string()))
        .collect();
    assert_eq!(read, expected);

    // The group committed its offsets: it resumes after them, although --from-beginning is given.
    run_example("produce", &[&topic, "--bootstrap", bootstrap, "--key", "user-42", "again"], "").expect_code(0);
    let resumed = consume(&["--from-beginning", "--max", "1", "--timeout", "20"]);
    assert_eq!(resumed, [(partition, 3, "user-42".to_owned(), "again".to_owned())]);

    delete_group(bootstrap, &group);
}
