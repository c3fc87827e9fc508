//! Secured clusters: TLS, SASL SCRAM and PLAIN, ACLs, clear failures, and secrets that never leak.
//!
//! Needs the secure mode of the test cluster (`scripts/kafka-local start --secure`, as `scripts/test`
//! does), whose listeners and CA come from `scripts/kafka-local secure-env`:
//! `TOPICFORM_TEST_SASL_SSL_BOOTSTRAP`, `TOPICFORM_TEST_SASL_PLAINTEXT_BOOTSTRAP`,
//! `TOPICFORM_TEST_SSL_BOOTSTRAP`, `TOPICFORM_TEST_CA`. Users: alice (may manage topics), bob (may only
//! describe them). Without them the tests are skipped loudly; they fail instead under CI, or when the
//! test cluster is the one scripts/test starts (TOPICFORM_TEST_KAFKA_LOCAL=1).

mod common;

use std::time::{Duration, Instant};

use common::{Run, Workspace, cluster_available};

struct Secure {
    sasl_ssl: String,
    sasl_plaintext: String,
    ssl: String,
    ca: String,
}

fn secure(test: &str) -> Option<Secure> {
    if !cluster_available(test) {
        return None;
    }
    let var = |name: &str| std::env::var(format!("TOPICFORM_TEST_{name}")).ok().filter(|v| !v.is_empty());
    match (var("SASL_SSL_BOOTSTRAP"), var("SASL_PLAINTEXT_BOOTSTRAP"), var("SSL_BOOTSTRAP"), var("CA")) {
        (Some(sasl_ssl), Some(sasl_plaintext), Some(ssl), Some(ca)) => {
            Some(Secure { sasl_ssl, sasl_plaintext, ssl, ca })
        }
        _ => {
            let message =
                "no secure test cluster (TOPICFORM_TEST_SASL_SSL_BOOTSTRAP...; scripts/kafka-local start --secure)";
            if std::env::var_os("CI").is_some() || std::env::var("TOPICFORM_TEST_KAFKA_LOCAL").is_ok_and(|v| v == "1") {
                panic!("{message}; CI needs the security tests, run them through scripts/test");
            }
            eprintln!("\n!!! SKIPPED {test}: {message}\n");
            None
        }
    }
}

/// A project file whose cluster `secure` is reached with these client properties; the password comes
/// from the environment variable `KAFKA_PASSWORD`, as it would in CI.
fn project(ws: &Workspace, bootstrap: &str, client: &[(&str, &str)]) {
    let mut yaml = format!("clusters:\n  secure:\n    bootstrap: {bootstrap}\n    client:\n");
    for (k, v) in client {
        yaml += &format!("      {k}: \"{v}\"\n");
    }
    ws.write("topicform.yaml", &yaml);
}

/// A project reaching the cluster over SASL_SSL with SCRAM-SHA-512 as `user`, the password from the
/// environment.
fn scram(ws: &Workspace, s: &Secure, user: &str) {
    project(
        ws,
        &s.sasl_ssl,
        &[
            ("security.protocol", "SASL_SSL"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", user),
            ("sasl.password", "${KAFKA_PASSWORD}"),
            ("ssl.ca.location", &s.ca),
        ],
    );
}

/// A project reaching the cluster over SASL_PLAINTEXT with PLAIN as `user`, the password from the
/// environment.
fn plain(ws: &Workspace, s: &Secure, user: &str) {
    project(
        ws,
        &s.sasl_plaintext,
        &[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
            ("sasl.username", user),
            ("sasl.password", "${KAFKA_PASSWORD}"),
        ],
    );
}

fn run_with_password(ws: &Workspace, password: &str, args: &[&str]) -> Run {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_topicform"))
        .args(args)
        .current_dir(ws.path())
        .env("NO_COLOR", "1")
        .env("KAFKA_PASSWORD", password)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("topicform runs");
    Run::from(output)
}

fn topic_file(ws: &Workspace, name: &str) {
    ws.write("topics/t.yaml", &format!("topics:\n  - name: {name}\n    partitions: 2\n    replicationFactor: 3\n    config:\n      retention.ms: 1h\n"));
}

#[tokio::test]
async fn sasl_ssl_with_scram_plans_and_applies() {
    let Some(s) = secure("sasl_ssl_with_scram_plans_and_applies") else { return };
    let ws = Workspace::new("scram");
    let t = ws.topic("t");
    scram(&ws, &s, "alice");
    topic_file(&ws, &t);
    run_with_password(&ws, "alice-secret", &["apply", "--auto-approve"]).expect_code(0);
    run_with_password(&ws, "alice-secret", &["plan", "--detailed-exitcode"]).expect_code(0);
    assert!(ws.live().await.topics.contains_key(&t));
}

#[tokio::test]
async fn sasl_plaintext_with_plain_and_tls_only_plan() {
    let Some(s) = secure("sasl_plaintext_with_plain_and_tls_only_plan") else { return };
    let ws = Workspace::new("plain");
    topic_file(&ws, &ws.topic("t"));
    plain(&ws, &s, "alice");
    run_with_password(&ws, "alice-secret", &["apply", "--auto-approve"]).expect_code(0);
    project(&ws, &s.ssl, &[("security.protocol", "SSL"), ("ssl.ca.location", &s.ca)]);
    run_with_password(&ws, "", &["plan", "--detailed-exitcode"]).expect_code(0);
}

/// With the CA given inline (`ssl.ca.pem`), topicform cannot open its own connections, so librdkafka
/// describes the configs (with every synonym) instead of topicform's spread, synonym-free requests: the
/// plan is the same, the fallback of an undeclared override included.
#[tokio::test]
async fn both_ways_of_describing_plan_the_same() {
    let Some(s) = secure("both_ways_of_describing_plan_the_same") else { return };
    let ws = Workspace::new("describe-ways");
    let t = ws.topic("t");
    plain(&ws, &s, "alice");
    ws.write(
        "topics/t.yaml",
        &format!(
            "topics:\n  - name: {t}\n    partitions: 2\n    config:\n      retention.ms: 1h\n      segment.ms: 2h\n"
        ),
    );
    run_with_password(&ws, "alice-secret", &["apply", "--auto-approve"]).expect_code(0);
    // Drift both ways: a declared value changes, an override is no longer declared.
    ws.write(
        "topics/t.yaml",
        &format!("topics:\n  - name: {t}\n    partitions: 2\n    config:\n      retention.ms: 3h\n"),
    );
    project(&ws, &s.ssl, &[("security.protocol", "SSL"), ("ssl.ca.location", &s.ca)]);
    let own = run_with_password(&ws, "", &["plan", "--detailed-exitcode", "--format", "json"]);
    own.expect_code(2);
    let pem = std::fs::read_to_string(&s.ca).unwrap().replace('\n', "\\n");
    project(&ws, &s.ssl, &[("security.protocol", "SSL"), ("ssl.ca.pem", &pem)]);
    let librdkafka = run_with_password(&ws, "", &["plan", "--detailed-exitcode", "--format", "json"]);
    librdkafka.expect_code(2);
    let json = |run: &Run| -> serde_json::Value { serde_json::from_str(&run.stdout).expect("a JSON plan") };
    let (mut own, mut librdkafka) = (json(&own), json(&librdkafka));
    // The release is detected on topicform's own connection (ApiVersions), which inline PEM also rules out.
    assert!(own["kafkaVersion"].is_string(), "{own:#}");
    own.as_object_mut().unwrap().remove("kafkaVersion");
    librdkafka.as_object_mut().unwrap().remove("kafkaVersion");
    assert_eq!(own, librdkafka);
    let changes = own["changes"].as_array().unwrap();
    assert!(changes.iter().any(|c| c["action"] == "unset_config" && c["key"] == "segment.ms"), "{own:#}");
}

#[tokio::test]
async fn clear_bounded_failures() {
    let Some(s) = secure("clear_bounded_failures") else { return };
    let ws = Workspace::new("failures");
    topic_file(&ws, &ws.topic("t"));

    // A wrong password: the message says authentication failed, within the timeout.
    scram(&ws, &s, "alice");
    let started = Instant::now();
    let wrong = run_with_password(&ws, "not-alices-password", &["plan", "--timeout", "5"]);
    wrong.expect_code(1);
    assert!(started.elapsed() < Duration::from_secs(20), "bounded: {:?}", started.elapsed());
    assert!(wrong.stderr.contains("Authentication failed"), "{}", wrong.stderr);

    // A certificate nobody told the client to trust.
    project(&ws, &s.ssl, &[("security.protocol", "SSL")]);
    let untrusted = run_with_password(&ws, "", &["plan", "--timeout", "5"]);
    untrusted.expect_code(1);
    assert!(untrusted.stderr.contains("certificate verify failed"), "{}", untrusted.stderr);

    // A user without the permission to create topics: the preflight names the operation and the topic.
    scram(&ws, &s, "bob");
    let denied = run_with_password(&ws, "bob-secret", &["apply", "--auto-approve"]);
    denied.expect_code(1);
    assert!(
        denied.stderr.contains(&format!(
            "refused: create topic {}: CreateTopics `{}` refused: TOPIC_AUTHORIZATION_FAILED",
            ws.topic("t"),
            ws.topic("t")
        )),
        "{}",
        denied.stderr
    );
}

/// Runs every command with a known password at the highest verbosity, failing runs included, and
/// checks that the password is in no output and no written file.
#[tokio::test]
async fn secrets_never_leak() {
    let Some(s) = secure("secrets_never_leak") else { return };
    let ws = Workspace::new("secrets");
    let t = ws.topic("t");
    let password = "alice-secret";
    let client = |pw_ref: &str| {
        vec![
            ("security.protocol".to_owned(), "SASL_SSL".to_owned()),
            ("sasl.mechanism".to_owned(), "SCRAM-SHA-512".to_owned()),
            ("sasl.username".to_owned(), "alice".to_owned()),
            ("sasl.password".to_owned(), pw_ref.to_owned()),
            ("ssl.ca.location".to_owned(), s.ca.clone()),
        ]
    };
    let write_project = |pw_ref: &str| {
        let c = client(pw_ref);
        let refs: Vec<(&str, &str)> = c.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        project(&ws, &s.sasl_ssl, &refs);
    };
    topic_file(&ws, &t);
    write_project("${KAFKA_PASSWORD}");
    let pattern = format!("^{}", regex::escape(&ws.prefix));
    let mut runs = vec![
        run_with_password(&ws, password, &["-vv", "validate"]),
        run_with_password(&ws, password, &["-vv", "plan", "--out", "plan.json", "--format", "json"]),
        run_with_password(&ws, password, &["-vv", "apply", "plan.json", "--auto-approve"]),
        run_with_password(&ws, password, &["-vv", "apply", "--auto-approve"]),
        run_with_password(&ws, password, &["-vv", "import", "--match", &pattern, "--out", "imported"]),
        run_with_password(&ws, password, &["-vv", "describe", &t]),
        // Failing runs: an unreachable port, and the password written into the file (a mistake users make).
        run_with_password(&ws, "wrong-password-but-secret", &["-vv", "plan", "--timeout", "3"]),
    ];
    write_project(password);
    runs.push(run_with_password(&ws, "", &["-vv", "plan", "--timeout", "5"]));
    project(&ws, "127.0.0.1:1", &client(password).iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>());
    runs.push(run_with_password(&ws, "", &["-vv", "plan", "--timeout", "3"]));
    // A bad property value makes librdkafka quote values in its error.
    project(&ws, &s.sasl_ssl, &[("sasl.password", password), ("sasl.mechanism", password)]);
    runs.push(run_with_password(&ws, "", &["-vv", "plan", "--timeout", "3"]));

    assert!(runs[3].code == 0, "the apply ran: {}", runs[3].stderr);
    for (i, run) in runs.iter().enumerate() {
        for secret in [password, "wrong-password-but-secret"] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "run {i} shows a secret:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
        assert!(!run.stderr.contains("panicked"), "run {i} panicked: {}", run.stderr);
    }
    for entry in walk(ws.path()) {
        if entry.ends_with("topicform.yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        assert!(!text.contains(password), "{} holds the password", entry.display());
    }
}

/// Every value that came from `${VAR}` or `${file:PATH}` is shown as its template, whatever key it is in:
/// a secret typed into `bootstrap` by mistake, a `client` key topicform does not know as secret, a
/// password read from a file. Every command at `-vv`, failing runs included; stdout, stderr and every
/// file written (plans, snapshots, imported files).
#[tokio::test]
async fn interpolated_values_never_leak() {
    let Some(s) = secure("interpolated_values_never_leak") else { return };
    let ws = Workspace::new("interpolated");
    let t = ws.topic("t");
    topic_file(&ws, &t);
    let (password, client_id, boot_secret) = ("alice-secret", "tf-ci-client-7f3a9c", "SuperSecret123");
    ws.write("secrets/password", password);
    let project = |bootstrap: &str, file: &str| {
        ws.write(
            "topicform.yaml",
            &format!(
                "clusters:\n  secure:\n    bootstrap: {bootstrap}\n    client:\n      security.protocol: SASL_SSL\n      \
                 sasl.mechanism: SCRAM-SHA-512\n      sasl.username: alice\n      sasl.password: ${{file:{file}}}\n      \
                 ssl.ca.location: \"{}\"\n      client.id: ${{CLIENT_ID}}\n",
                s.ca
            ),
        )
    };
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_topicform"))
            .args(args)
            .current_dir(ws.path())
            .env("NO_COLOR", "1")
            .env("CLIENT_ID", client_id)
            .env("BOOTSTRAP", &s.sasl_ssl)
            .env("KAFKA_PASSWORD", boot_secret)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("topicform runs");
        Run::from(output)
    };
    project("${BOOTSTRAP}", "secrets/password");
    let pattern = format!("^{}", regex::escape(&ws.prefix));
    let mut runs = vec![
        run(&["-vv", "validate"]),
        run(&["-vv", "apply", "--auto-approve"]),
        run(&["-vv", "plan", "--out", "plan.json", "--format", "json"]),
        run(&["-vv", "apply", "plan.json", "--auto-approve"]),
        run(&["-vv", "snapshot", "--out", "snapshot.json"]),
        run(&["-vv", "plan", "--from-snapshot", "snapshot.json", "--format", "markdown"]),
        run(&["-vv", "import", "--match", &pattern, "--out", "imported"]),
        run(&["-vv", "list"]),
        run(&["-vv", "describe", &t]),
    ];
    assert!(runs.iter().all(|r| r.code == 0), "{:#?}", runs.iter().map(|r| &r.stderr).collect::<Vec<_>>());
    assert!(runs[2].stderr.contains("${BOOTSTRAP}"), "the bootstrap is shown as written: {}", runs[2].stderr);
    // Failing runs: a secret typed into `bootstrap`, the wrong password from the file, an unreadable file.
    project("${KAFKA_PASSWORD}", "secrets/password");
    runs.push(run(&["-vv", "plan", "--timeout", "3"]));
    runs.push(run(&["-vv", "snapshot", "--out", "failed.json", "--timeout", "3"]));
    ws.write("secrets/wrong", "wrong-password-but-secret");
    project("${BOOTSTRAP}", "secrets/wrong");
    runs.push(run(&["-vv", "plan", "--timeout", "5"]));
    runs.push(run(&["-vv", "apply", "--auto-approve", "--timeout", "5"]));
    project("${BOOTSTRAP}", "secrets/missing");
    runs.push(run(&["-vv", "plan", "--timeout", "3"]));
    assert!(runs[9..].iter().all(|r| r.code == 1), "{:#?}", runs.iter().map(|r| &r.stderr).collect::<Vec<_>>());

    let resolved = [password, client_id, boot_secret, "wrong-password-but-secret"];
    for (i, run) in runs.iter().enumerate() {
        for value in resolved {
            assert!(
                !run.stdout.contains(value) && !run.stderr.contains(value),
                "run {i} shows `{value}`:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
    }
    let files = walk(ws.path());
    assert!(files.iter().any(|f| f.ends_with("snapshot.json")) && files.iter().any(|f| f.ends_with("plan.json")));
    for entry in files {
        if entry.ends_with("topicform.yaml") || entry.starts_with(ws.path().join("secrets")) {
            continue;
        }
        let text = std::fs::read_to_string(&entry).unwrap_or_default();
        for value in resolved {
            assert!(!text.contains(value), "{} holds `{value}`", entry.display());
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
    }
    out
}

#[tokio::test]
async fn replication_factor_changes_over_sasl_and_tls() {
    let Some(s) = secure("replication_factor_changes_over_sasl_and_tls") else { return };
    let ws = Workspace::new("rf-sasl");
    let t = ws.topic("t");
    let declare = |rf: u16| {
        ws.write("topics/t.yaml", &format!("topics:\n  - name: {t}\n    partitions: 2\n    replicationFactor: {rf}\n"));
    };
    // SASL_SSL with SCRAM-SHA-512, and a throttle: the reassignment connection authenticates itself.
    scram(&ws, &s, "alice");
    declare(1);
    run_with_password(&ws, "alice-secret", &["apply", "--auto-approve"]).expect_code(0);
    declare(3);
    let up = run_with_password(&ws, "alice-secret", &["apply", "--auto-approve", "--throttle", "10MiB/s"]);
    up.expect_code(0);
    assert!(up.stderr.contains("Reassignment done: 2 of 2 partition(s)."), "{}", up.stderr);
    assert_eq!(ws.live().await.topics[&t].replication_factor(), 3);

    // SASL_PLAINTEXT with PLAIN.
    plain(&ws, &s, "alice");
    declare(2);
    run_with_password(&ws, "alice-secret", &["apply", "--auto-approve"]).expect_code(0);
    assert_eq!(ws.live().await.topics[&t].replication_factor(), 2);

    // A wrong password: the describe before the plan already fails clearly, and nothing changes.
    declare(3);
    scram(&ws, &s, "alice");
    let wrong = run_with_password(&ws, "not-alices-password", &["apply", "--auto-approve", "--timeout", "5"]);
    wrong.expect_code(1);
    assert!(wrong.stderr.contains("Authentication failed"), "{}", wrong.stderr);
    assert_eq!(ws.live().await.topics[&t].replication_factor(), 2, "nothing changed");
}
