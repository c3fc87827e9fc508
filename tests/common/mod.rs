//! Shared harness of the integration tests: a real Kafka cluster, and a private workspace per test.
//!
//! The cluster is `TOPICFORM_TEST_BOOTSTRAP` (default `127.0.0.1:9092`, the one `scripts/kafka-local`
//! starts). Each test owns the topic prefix `it-{test}-{rand6}`, so tests can share the cluster and run
//! in parallel; its topics are deleted when the workspace is dropped, even after a failure.
//!
//! When no cluster answers, a test is skipped with a loud message, unless `CI` or
//! `TOPICFORM_REQUIRE_CLUSTER` is set: then it fails. CI never skips silently.

#![allow(dead_code)]

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use topicform::cluster::Admin;
use topicform::cluster::kafka::KafkaAdmin;
use topicform::desired::{ClientProperties, ClusterConfig};
use topicform::live::{Live, Scope};

/// The bootstrap servers of the test cluster.
pub fn bootstrap() -> String {
    std::env::var("TOPICFORM_TEST_BOOTSTRAP").unwrap_or_else(|_| "127.0.0.1:9092".into())
}

fn cluster_required() -> bool {
    let set = |name| std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
    set("CI") || set("TOPICFORM_REQUIRE_CLUSTER")
}

/// Whether the cluster answers. `false` means: skip (after a loud message). Panics when the cluster is
/// required and absent.
pub fn cluster_available(test: &str) -> bool {
    let bootstrap = bootstrap();
    let reachable = bootstrap.split(',').any(|hostport| {
        hostport
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok())
    });
    if reachable {
        return true;
    }
    let message = format!(
        "no Kafka cluster at {bootstrap} (TOPICFORM_TEST_BOOTSTRAP); start one with `scripts/kafka-local start` \
         or run the README's test command"
    );
    if cluster_required() {
        panic!("{message}; CI/TOPICFORM_REQUIRE_CLUSTER is set, so this is a failure, not a skip");
    }
    eprintln!("\n!!! SKIPPED {test}: {message}\n");
    false
}

/// A temporary project directory bound to the test cluster and a private topic prefix.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub prefix: String,
    pub bootstrap: String,
}

impl Workspace {
    /// A workspace whose `topicform.yaml` points at the test cluster.
    pub fn new(test: &str) -> Workspace {
        let random = RandomState::new().hash_one((test, std::process::id())) & 0xff_ffff;
        let prefix = format!("it-{test}-{random:06x}").replace('_', "-");
        let bootstrap = bootstrap();
        let ws = Workspace { dir: tempfile::tempdir().expect("temp dir"), prefix, bootstrap };
        ws.write("topicform.yaml", &format!("clusters:\n  test:\n    bootstrap: {}\n", ws.bootstrap));
        ws
    }

    /// The full name of this test's topic `suffix`.
    pub fn topic(&self, suffix: &str) -> String {
        format!("{}.{suffix}", self.prefix)
    }

    /// Writes a file of the workspace, creating directories as needed.
    pub fn write(&self, path: &str, text: &str) {
        let path = self.dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Runs `topicform ARGS` in the workspace with no terminal and no colour.
    pub fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_topicform"))
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .expect("topicform runs");
        Run::from(output)
    }

    /// A client of the test cluster, through topicform's own adapter.
    pub fn admin(&self) -> KafkaAdmin {
        let cluster = ClusterConfig {
            name: "test".into(),
            bootstrap: self.bootstrap.clone(),
            client: ClientProperties::default(),
            kafka_version: None,
        };
        KafkaAdmin::connect(&cluster, Duration::from_secs(30)).unwrap()
    }

    /// This test's topics as the cluster has them now.
    pub async fn live(&self) -> Live {
        let scope = Scope::new([], &[format!("{}.*", self.prefix)], &[]).unwrap();
        self.admin().describe(&scope).await.unwrap()
    }

    /// How many brokers the test cluster has.
    pub async fn admin_brokers(&self) -> usize {
        self.admin().describe(&Scope::new([], &[], &[]).unwrap()).await.unwrap().brokers.len()
    }

    /// The path of the workspace.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// What no snapshot may ever hold: the test clusters' passwords and the client key's path (the
/// secure cluster's `scripts/kafka-local secure-env`), and any secret a test puts in the environment.
fn secrets() -> Vec<String> {
    let mut secrets: Vec<String> = ["admin-secret", "alice-secret", "bob-secret"].map(str::to_owned).into();
    secrets.extend(std::env::var("TOPICFORM_TEST_CLIENT_KEY").ok().filter(|k| !k.is_empty()));
    secrets
}

/// Every snapshot the test wrote in `dir` (a JSON file with a `contentHash`), with what it must not hold.
fn check_snapshots(dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            if !text.contains("\"contentHash\"") {
                continue;
            }
            for secret in secrets() {
                assert!(!text.contains(&secret), "the snapshot {} holds `{secret}`", path.display());
            }
        }
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        // Every snapshot the suite writes is checked for secrets (a panic while panicking would abort).
        if !std::thread::panicking() {
            check_snapshots(self.dir.path());
        }
        // Runs on its own thread and runtime: the test's runtime may be gone or still running.
        let (bootstrap, prefix) = (self.bootstrap.clone(), self.prefix.clone());
        let _ = std::thread::spawn(move || delete_prefix(&bootstrap, &prefix)).join();
    }
}

fn delete_prefix(bootstrap: &str, prefix: &str) {
    let Ok(admin) =
        ClientConfig::new().set("bootstrap.servers", bootstrap).create::<AdminClient<DefaultClientContext>>()
    else {
        return;
    };
    let Ok(metadata) = admin.inner().fetch_metadata(None, Duration::from_secs(10)) else { return };
    let names: Vec<String> = metadata
        .topics()
        .iter()
        .map(|t| t.name().to_owned())
        .filter(|n| n.starts_with(&format!("{prefix}.")))
        .collect();
    if names.is_empty() {
        return;
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let _ = runtime.block_on(admin.delete_topics(&refs, &AdminOptions::new()));
}

/// Deletes a test's consumer group (best effort: an empty group would expire anyway).
pub fn delete_group(bootstrap: &str, group: &str) {
    let Ok(admin) =
        ClientConfig::new().set("bootstrap.servers", bootstrap).create::<AdminClient<DefaultClientContext>>()
    else {
        return;
    };
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
    let _ = runtime.block_on(admin.delete_groups(&[group], &AdminOptions::new()));
}

/// A finished `topicform` run.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Panics with the whole output unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }
}
