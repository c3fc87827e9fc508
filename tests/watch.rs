//! `topicform watch` on the real cluster: a real Prometheus (Debian's `prometheus` package, installed
//! by scripts/setup) scrapes it and sees the drift gauge follow a change made behind topicform's back
//! with Kafka's own `kafka-configs`, and `apply`; and watch keeps serving through the cluster going away
//! and coming back and a file made invalid and fixed, reporting each state.
//!
//! Its own test binary, like tests/faults.rs: cargo runs test binaries one after another, so stopping
//! the brokers here disturbs no other test; within it, the tests take turns. It needs a cluster that
//! `scripts/kafka-local` controls (`TOPICFORM_TEST_KAFKA_LOCAL=1`, with the script's own
//! `TOPICFORM_KAFKA_*` variables), and `prometheus` and `promtool` on PATH. Without them it is skipped
//! with a loud message, or fails when CI or TOPICFORM_REQUIRE_CLUSTER is set.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Workspace, cluster_available};

fn required() -> bool {
    let set = |name| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("CI") || set("TOPICFORM_REQUIRE_CLUSTER")
}

/// Whether this test can run; panics when it must and cannot.
fn ready_for(test: &str, tools: &[&str]) -> bool {
    if !cluster_available(test) {
        return false;
    }
    let mut missing: Vec<String> = tools.iter().filter(|t| which(t).is_none()).map(|t| format!("`{t}`")).collect();
    if std::env::var("TOPICFORM_TEST_KAFKA_LOCAL").is_ok_and(|v| v == "1") {
    } else {
        missing.push("a cluster scripts/kafka-local controls (TOPICFORM_TEST_KAFKA_LOCAL=1)".into());
    }
    if missing.is_empty() {
        return true;
    }
    let message =
        format!("{test} needs {}; scripts/setup installs the tools, scripts/test runs it", missing.join(", "));
    if required() {
        panic!("{message}; CI/TOPICFORM_REQUIRE_CLUSTER is set, so this is a failure, not a skip");
    }
    eprintln!("\n!!! SKIPPED {test}: {message}\n");
    false
}

fn which(tool: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?.to_str()?.split(':').map(|d| Path::new(d).join(tool)).find(|p| p.is_file())
}

fn kafka_local(args: &[&str]) -> std::process::Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/kafka-local");
    Command::new(script).args(args).stdin(Stdio::null()).output().expect("scripts/kafka-local runs")
}

/// The tests stop and start the cluster's brokers, so they run one at a time.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A GET over plain HTTP/1.0: status code and body.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let code = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, b)| b).to_owned();
    Some((code, body))
}

/// Polls `check` every 250 ms until it gives a value, for at most `limit`.
fn eventually<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {limit:?} waiting for: {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A child process stopped with SIGTERM when dropped (then killed, if it does not go).
struct Running {
    child: Child,
    name: &'static str,
}

impl Running {
    /// Sends SIGTERM and waits for the exit status, at most `limit`.
    fn terminate(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        // SAFETY: kill(2) on our own child's pid, which has not been waited for.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() && self.terminate(Duration::from_secs(10)).is_none() {
            eprintln!("{} did not stop on SIGTERM; killing it", self.name);
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `topicform watch` in `ws`, its stderr in `log`.
fn watch(ws: &Workspace, port: u16, log: &Path, extra: &[&str]) -> Running {
    let listen = format!("127.0.0.1:{port}");
    let mut args = vec!["watch", "--interval", "1s", "--jitter", "0", "--listen", &listen, "--log-format", "json"];
    args.extend(extra);
    let child = Command::new(env!("CARGO_BIN_EXE_topicform"))
        .args(&args)
        .current_dir(ws.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("topicform watch starts");
    let running = Running { child, name: "topicform watch" };
    eventually("watch serves /healthz", Duration::from_secs(20), || get(port, "/healthz").filter(|(c, _)| *c == 200));
    running
}

/// The JSON cycle summaries written so far.
fn cycles(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "cycle")
        .collect()
}

/// The next cycle (after the first `seen`) whose outcome is `outcome`.
fn next_cycle(log: &Path, seen: &mut usize, outcome: &str, limit: Duration) -> serde_json::Value {
    eventually(&format!("a cycle with outcome `{outcome}`"), limit, || {
        let all = cycles(log);
        let found =
            all.iter().skip(*seen).position(|c| c["outcome"] == outcome).map(|i| (*seen + i, all[*seen + i].clone()));
        found.map(|(i, c)| {
            *seen = i + 1;
            c
        })
    })
}

/// The value of a sample line of the classic exposition, by its exact name and labels.
fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// `prometheus` scraping `targets` every second, on a free port, with its data in `dir`.
fn prometheus(dir: &Path, target_port: u16) -> (Running, u16) {
    let port = free_port();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: topicform\n    \
             static_configs:\n      - targets: ['127.0.0.1:{target_port}']\n"
        ),
    )
    .unwrap();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
        .spawn()
        .expect("prometheus starts");
    let running = Running { child, name: "prometheus" };
    eventually("prometheus is ready", Duration::from_secs(30), || get(port, "/-/ready").filter(|(c, _)| *c == 200));
    (running, port)
}

/// The value Prometheus has now for `query` (an instant query with one series), if any.
fn query(port: u16, query: &str) -> Option<f64> {
    let encoded: String = query
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let (code, body) = get(port, &format!("/api/v1/query?query={encoded}"))?;
    assert_eq!(code, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    json["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

#[test]
fn prometheus_sees_the_drift_gauge_follow_a_change_behind_topicforms_back_and_apply() {
    if !ready_for("prometheus_sees_the_drift_gauge", &["prometheus", "promtool"]) {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let ws = Workspace::new("watch-prom");
    let topic = ws.topic("orders");
    let prefix = &ws.prefix;
    ws.write(
        "topicform.yaml",
        &format!("clusters:\n  test:\n    bootstrap: {}\nowns: [\"{prefix}.*\"]\n", ws.bootstrap),
    );
    ws.write(
        "topics/t.yaml",
        &format!("topics:\n  - name: {topic}\n    partitions: 1\n    replicationFactor: 1\n    config:\n      retention.ms: 1d\n"),
    );
    ws.run(&["apply", "--auto-approve"]).expect_code(0);

    let port = free_port();
    let log = ws.path().join("watch.log");
    let _watch = watch(&ws, port, &log, &[]);
    let (_prometheus, prom) = prometheus(ws.path(), port);
    let drift = "topicform_drift_pending{cluster=\"test\"}";
    eventually("Prometheus has the drift gauge at 0", Duration::from_secs(30), || {
        query(prom, drift).filter(|v| *v == 0.0)
    });

    // Behind topicform's back: retention changed and an undeclared override added, with kafka-configs.
    let changed = kafka_local(&[
        "tool",
        "kafka-configs",
        "--bootstrap-server",
        ws.bootstrap.split(',').next().unwrap(),
        "--entity-type",
        "topics",
        "--entity-name",
        &topic,
        "--alter",
        "--add-config",
        "retention.ms=3600000,max.message.bytes=2000000",
    ]);
    assert!(changed.status.success(), "kafka-configs: {}", String::from_utf8_lossy(&changed.stderr));
    eventually("Prometheus has the drift gauge at 2", Duration::from_secs(30), || {
        query(prom, drift).filter(|v| *v == 2.0)
    });
    let by_action = "sum(topicform_pending_changes{cluster=\"test\",action=\"unset_config\"})";
    assert_eq!(query(prom, by_action), Some(1.0), "the undeclared override is one unset_config");

    // The exposition as promtool reads it (the classic text format).
    let (_, exposition) = get(port, "/metrics").unwrap();
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    promtool.stdin.take().unwrap().write_all(exposition.as_bytes()).unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}\n{exposition}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(!exposition.contains(&ws.bootstrap), "no address in the metrics");

    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    eventually("Prometheus has the drift gauge back at 0", Duration::from_secs(30), || {
        query(prom, drift).filter(|v| *v == 0.0)
    });
    let up = query(prom, "topicform_cluster_up{cluster=\"test\"}");
    assert_eq!(up, Some(1.0));
    assert!(cycles(&log).iter().all(|c| c["outcome"] != "failed"), "{:?}", cycles(&log));
}

/// Starts the brokers again when dropped, even after a failure, and waits for the cluster.
struct Stopped(Vec<String>);

impl Drop for Stopped {
    fn drop(&mut self) {
        for broker in &self.0 {
            kafka_local(&["start-broker", broker]);
        }
        kafka_local(&["wait"]);
    }
}

#[test]
fn watch_keeps_serving_through_an_outage_and_invalid_files_and_stops_on_sigterm() {
    if !ready_for("watch_keeps_serving_through_an_outage", &[]) {
        return;
    }
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let ws = Workspace::new("watch-faults");
    let topic = ws.topic("orders");
    let files = format!("topics:\n  - name: {topic}\n    partitions: 1\n    replicationFactor: 1\n");
    ws.write("topics/t.yaml", &files);
    ws.run(&["apply", "--auto-approve"]).expect_code(0);
    let port = free_port();
    let log = ws.path().join("watch.log");
    let mut watch = watch(&ws, port, &log, &["--timeout", "3", "--ready-grace", "2s"]);
    let mut seen = 0;
    next_cycle(&log, &mut seen, "in_sync", Duration::from_secs(30));
    eventually("ready", Duration::from_secs(10), || get(port, "/readyz").filter(|(c, _)| *c == 200));

    // The cluster goes away: every broker stopped. Watch counts the errors and keeps serving.
    let brokers: Vec<String> = (1..=ws.bootstrap.split(',').count()).map(|b| b.to_string()).collect();
    let restart = Stopped(brokers.clone());
    for broker in &brokers {
        let stopped = kafka_local(&["stop-broker", broker]);
        assert!(stopped.status.success(), "stopping broker {broker}: {}", String::from_utf8_lossy(&stopped.stderr));
    }
    let failed = next_cycle(&log, &mut seen, "failed", Duration::from_secs(60));
    assert!(["describe", "timeout"].contains(&failed["errorKind"].as_str().unwrap()), "{failed}");
    let (code, metrics) = get(port, "/metrics").expect("still serving");
    assert_eq!(code, 200);
    assert_eq!(sample(&metrics, "topicform_cluster_up{cluster=\"test\"}"), Some(0.0), "{metrics}");
    assert_eq!(sample(&metrics, "topicform_drift_pending{cluster=\"test\"}"), None, "no stale drift number: {metrics}");
    let errors: f64 = ["describe", "timeout"]
        .iter()
        .filter_map(|k| sample(&metrics, &format!("topicform_errors_total{{cluster=\"test\",kind=\"{k}\"}}")))
        .sum();
    assert!(errors >= 1.0, "{metrics}");
    eventually("not ready past the grace", Duration::from_secs(30), || get(port, "/readyz").filter(|(c, _)| *c == 503));
    assert_eq!(get(port, "/healthz").map(|(c, _)| c), Some(200));

    // It comes back: the plan resumes.
    drop(restart);
    next_cycle(&log, &mut seen, "in_sync", Duration::from_secs(90));
    eventually("ready again", Duration::from_secs(10), || get(port, "/readyz").filter(|(c, _)| *c == 200));

    // A file made invalid: the cluster is in error with the diagnostics, not planned from the last good files.
    ws.write("topics/t.yaml", &format!("topics:\n  - name: {topic}\n    partitions: 0\n"));
    let invalid = next_cycle(&log, &mut seen, "failed", Duration::from_secs(30));
    assert_eq!(invalid["errorKind"], "files", "{invalid}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("\"event\":\"log\"") && text.contains("partitions"), "the diagnostics are logged: {text}");
    let (_, metrics) = get(port, "/metrics").unwrap();
    assert_eq!(
        sample(&metrics, "topicform_errors_total{cluster=\"test\",kind=\"files\"}").map(|v| v >= 1.0),
        Some(true)
    );
    assert_eq!(sample(&metrics, "topicform_drift_pending{cluster=\"test\"}"), None, "{metrics}");

    ws.write("topics/t.yaml", &files);
    next_cycle(&log, &mut seen, "in_sync", Duration::from_secs(30));

    // SIGTERM: the cycle under way finishes (or is abandoned after 5 s) and the exit status is 0.
    let started = Instant::now();
    let status = watch.terminate(Duration::from_secs(15)).expect("watch stops on SIGTERM");
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "bounded: {:?}", started.elapsed());
}
