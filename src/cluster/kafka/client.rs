//! Setting up librdkafka's client from a cluster of the project file: its properties, its log (drained
//! from the main queue on a thread of its own), and the redaction of secrets from everything it says.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;

use super::{KafkaAdmin, librdkafka, protocol};
use crate::cluster::{Connection, Error, ErrorCode};
use crate::desired::ClusterConfig;

/// Receives librdkafka's log lines (already redacted) when they are shown (`-v`).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Sets up a client for `cluster`, its properties checked. No connection is made, and no librdkafka
/// client, until the first request.
pub(super) fn connect(
    cluster: &ClusterConfig,
    connection: Connection,
    log: Option<LogSink>,
) -> Result<KafkaAdmin, Error> {
    let Connection { timeout, verbose, .. } = connection;
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &cluster.bootstrap);
    config.set("client.id", "topicform");
    let ms = timeout.as_millis().to_string();
    config.set("socket.timeout.ms", &ms);
    // A dead broker must not hold a request past the deadline: connection attempts give up within the
    // request timeout (at most 10 s), and reconnects back off quickly but never storm.
    config.set("socket.connection.setup.timeout.ms", timeout.min(Duration::from_secs(10)).as_millis().to_string());
    config.set("reconnect.backoff.ms", "100");
    config.set("reconnect.backoff.max.ms", "2000");
    let mut secrets = Vec::new();
    for (key, value) in cluster.client.expose() {
        config.set(key, value);
        // A mechanism's name is no secret, and scrubbing it would garble what it appears in
        // (`PLAIN` in `SASL_PLAINTEXT`, and the error that names a mechanism).
        if crate::desired::client::is_mechanism_key(key) && crate::desired::client::MECHANISMS.contains(&value) {
            continue;
        }
        secrets.push(value.to_owned());
    }
    if cluster.client.hides_bootstrap() {
        secrets.extend(cluster.bootstrap.split(',').map(|s| s.trim().to_owned()));
    }
    // Every client value is scrubbed, not only the secret-looking ones: a password under a misspelt
    // key (`sasl.pasword`) is still a password. Longer values first, so that one never leaves a piece
    // of another.
    secrets.retain(|s| !s.is_empty());
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    // Warnings at least, always: connection, TLS and authentication failures come as log lines,
    // and they explain failed requests (see `explain`).
    config.set_log_level(match verbose {
        0 => RDKafkaLogLevel::Warning,
        1 => RDKafkaLogLevel::Info,
        _ => RDKafkaLogLevel::Debug,
    });
    if verbose >= 2 {
        config.set("debug", "broker,admin,security,protocol");
    }
    let secrets = Arc::new(secrets);
    // Every property is checked now, before anything is asked.
    config.create_native_config().map_err(|e| Error::Config(config_error(&e, cluster, &secrets)))?;
    let properties: std::collections::BTreeMap<String, String> =
        cluster.client.expose().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    let admin = KafkaAdmin {
        config,
        cluster: cluster.name.clone(),
        made: std::sync::OnceLock::new(),
        log: log.filter(|_| verbose >= 1),
        last_error: Arc::new(std::sync::Mutex::new(None)),
        connection,
        bootstrap: cluster.bootstrap.clone(),
        security: protocol::Security::from_properties(&properties),
        protocol: properties.get("security.protocol").map_or("PLAINTEXT".to_owned(), |p| p.to_ascii_uppercase()),
        secrets,
        requests: Arc::new(AtomicUsize::new(0)),
        answered: AtomicUsize::new(0),
        hung: std::sync::Mutex::new(std::collections::BTreeSet::new()),
        via: std::sync::Mutex::new(None),
    };
    // The client is made on first use ([`KafkaAdmin::client`]), unless topicform cannot connect itself
    // (OAUTHBEARER, GSSAPI, inline PEM; a mechanism it does not know): then every request goes through
    // librdkafka, and what it refuses only when it makes the client (a mechanism this build lacks, a
    // key it cannot read) is said now, before anything is asked.
    if admin.security.is_err() {
        admin.client().map_err(Error::Config)?;
    }
    Ok(admin)
}

/// Why librdkafka's client could not be made (a configuration error), as the error of a call.
pub(super) struct Unmade(pub(super) String);

impl From<Unmade> for librdkafka::KafkaError {
    fn from(Unmade(message): Unmade) -> Self {
        librdkafka::KafkaError { code: UNMADE.to_owned(), message, raw: -1 }
    }
}

impl From<Unmade> for KafkaError {
    fn from(Unmade(message): Unmade) -> Self {
        KafkaError::ClientCreation(message)
    }
}

/// The code of [`Unmade`] as a [`librdkafka::KafkaError`]: not librdkafka's, so never a broker's.
const UNMADE: &str = "_TOPICFORM_NO_CLIENT";

/// librdkafka's client, once made, and the thread draining its main queue.
pub(super) struct Made {
    pub(super) client: Arc<librdkafka::Client>,
    /// The drain thread's stop flag, and the thread.
    pub(super) drain: Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>,
}

impl KafkaAdmin {
    /// librdkafka's client, made on first use: a run whose requests all go on topicform's own
    /// connections (a plan on a cluster it can connect to) never starts its threads, never opens its
    /// bootstrap connection, and never waits for its shutdown (30-90 ms at the end of a plan of 10,000
    /// topics). `Err` with the configuration error, each time, when it cannot be made.
    pub(super) fn client(&self) -> Result<Arc<librdkafka::Client>, String> {
        let made = self.made.get_or_init(|| {
            // Bootstrap servers seen silent are left out, while any other remains: librdkafka connects
            // to one of them first, and a frozen one holds it until `socket.connection.setup.timeout.ms`.
            let mut config = self.config.clone();
            let hung = self.hung.lock().unwrap();
            let servers: Vec<&str> = self.bootstrap.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
            let answering: Vec<&str> = servers.iter().copied().filter(|s| !hung.contains(*s)).collect();
            if !answering.is_empty() && answering.len() < servers.len() {
                config.set("bootstrap.servers", answering.join(","));
            }
            drop(hung);
            let client = config.create::<librdkafka::Client>().map_err(|e| match e {
                KafkaError::ClientCreation(message) => format!(
                    "librdkafka cannot create a client for cluster `{}`: {}",
                    self.cluster,
                    redact(&message, &self.secrets)
                ),
                other => redact(&other.to_string(), &self.secrets),
            })?;
            let client = Arc::new(client);
            let drain = self.drain(&client);
            Ok(Made { client, drain })
        });
        made.as_ref().map(|m| m.client.clone()).map_err(Clone::clone)
    }

    /// Drains librdkafka's main queue on a thread of its own, until the admin is dropped: log lines are
    /// shown at -v, and the latest client error is kept to explain failed requests. The thread holds
    /// only a weak reference, and `Drop` stops and joins it, so the client is always destroyed on the
    /// dropping thread, before the process exits: librdkafka destroyed during OpenSSL's exit cleanup
    /// can crash. `None` when the thread cannot be started (the log is then not read).
    fn drain(&self, client: &Arc<librdkafka::Client>) -> Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)> {
        let stop = Arc::new(AtomicBool::new(false));
        let weak = Arc::downgrade(client);
        let (secrets, last_error, stop_flag, show) =
            (self.secrets.clone(), self.last_error.clone(), stop.clone(), self.log.clone());
        let thread = std::thread::Builder::new().name("librdkafka-log".into()).spawn(move || {
            while !stop_flag.load(Ordering::Relaxed)
                && let Some(client) = weak.upgrade()
            {
                match librdkafka::poll_main(&client, Duration::from_millis(200)) {
                    Some(librdkafka::MainEvent::Log(level, fac, message)) => {
                        let message = redact(&message, &secrets);
                        if let Some(show) = &show {
                            show(&format!("librdkafka {level} {fac}: {message}"));
                        }
                        // Without an error callback, librdkafka reports connection, TLS and
                        // authentication failures as log lines of level 4 (warning) or worse.
                        if level <= 4 && !message.contains("brokers are down") {
                            let cause = message.rsplit_once("]: ").map_or(message.as_str(), |(_, m)| m).to_owned();
                            *last_error.lock().unwrap() = Some((fac, cause));
                        }
                    }
                    Some(librdkafka::MainEvent::Error(code, message)) => {
                        let message = redact(&message, &secrets);
                        if let Some(show) = &show {
                            show(&format!("librdkafka error {code}: {message}"));
                        }
                        // `_ALL_BROKERS_DOWN` follows the real cause; keep the cause.
                        if code != "_ALL_BROKERS_DOWN" {
                            *last_error.lock().unwrap() = Some((code, message));
                        }
                    }
                    _ => {}
                }
            }
        });
        thread.ok().map(|t| (stop, t))
    }
}

impl KafkaAdmin {
    /// A request that failed as a whole, with the likely cause.
    pub(super) fn request_error(&self, operation: &'static str, e: librdkafka::KafkaError) -> Error {
        if e.code == UNMADE {
            return Error::Config(e.message);
        }
        let code = ErrorCode::from_name(&e.code);
        let mut message = redact(&e.message, &self.secrets);
        // librdkafka says `Local: Timed out`, often after another clause: a timeout is called one.
        if code.is_timeout() && !message.to_ascii_lowercase().starts_with("timed out") {
            message = format!("timed out: {message}");
        }
        Error::Request { operation, code: Some(code), message: self.explain(message) }
    }

    /// Adds the likely cause to a request that failed for want of a broker: what librdkafka last
    /// reported about its connections (a refused connection, a failed TLS handshake, bad credentials).
    pub(super) fn explain(&self, message: String) -> String {
        match self.last_error.lock().unwrap().clone() {
            Some((_, cause)) => format!("{message}\nlikely cause: {cause}"),
            None => message,
        }
    }

    /// A refusal of one item of a batched request.
    pub(super) fn topic_error(&self, operation: &'static str, topic: &str, e: librdkafka::KafkaError) -> Error {
        Error::Topic {
            operation,
            topic: topic.to_owned(),
            code: ErrorCode::from_name(&e.code),
            message: redact(&e.message, &self.secrets),
        }
    }

    /// `message` with every secret value replaced.
    pub(super) fn redact(&self, message: &str) -> String {
        redact(message, &self.secrets)
    }
}

/// `message` with every value of `secrets` (the cluster's client values) replaced. A value of 4
/// characters or more is replaced wherever it appears; a shorter one (`1`, `all`) only where it stands
/// alone, between spaces, quotes or separators, so that log lines keep their numbers and addresses.
fn redact(message: &str, secrets: &[String]) -> String {
    let mut out = message.to_owned();
    for secret in secrets {
        if secret.chars().count() >= 4 {
            out = out.replace(secret.as_str(), "<redacted>");
            continue;
        }
        let standalone = |c: Option<char>| c.is_none_or(|c| c.is_whitespace() || "\"'`=,;()[]{}<>".contains(c));
        let mut scrubbed = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(i) = rest.find(secret.as_str()) {
            let before = if i > 0 { rest[..i].chars().last() } else { scrubbed.chars().last() };
            let after = rest[i + secret.len()..].chars().next();
            scrubbed.push_str(&rest[..i]);
            scrubbed.push_str(if standalone(before) && standalone(after) { "<redacted>" } else { secret });
            rest = &rest[i + secret.len()..];
        }
        scrubbed.push_str(rest);
        out = scrubbed;
    }
    out
}

/// A configuration error of librdkafka's, rebuilt from the property's name alone: librdkafka's own
/// message quotes the value (`No such configuration property: "sasl.pasword" sasl.pasword hunter2`).
fn config_error(e: &KafkaError, cluster: &ClusterConfig, secrets: &[String]) -> String {
    use crate::desired::client;
    use rdkafka::types::RDKafkaConfRes;
    let whose = |key: &str| {
        if cluster.client.expose().any(|(k, _)| k == key) {
            format!("client property `{key}` of cluster `{}`", cluster.name)
        } else {
            format!("topicform's own setting `{key}` for cluster `{}`", cluster.name)
        }
    };
    match e {
        KafkaError::ClientConfig(RDKafkaConfRes::RD_KAFKA_CONF_UNKNOWN, _, key, _) => {
            let hint = client::suggestion(key).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
            format!("{} is not a property of librdkafka {}{hint}", whose(key), client::LIBRDKAFKA)
        }
        KafkaError::ClientConfig(_, _, key, _) => {
            let takes = client::takes_of(key).map(|t| format!("; it takes {t}")).unwrap_or_default();
            format!("librdkafka refuses the value of {}{takes} (the value is not shown)", whose(key))
        }
        KafkaError::Nul(_) => {
            let key = cluster.client.expose().find(|(_, v)| v.contains('\0')).map_or("?", |(k, _)| k);
            format!("{} holds a NUL character, which librdkafka cannot take", whose(key))
        }
        other => redact(&other.to_string(), secrets),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction() {
        let secrets = vec!["hunter22".to_owned(), "all".to_owned(), "1".to_owned()];
        assert_eq!(redact("bad value hunter22 for x", &secrets), "bad value <redacted> for x");
        assert_eq!(redact("a=hunter22xyz", &secrets), "a=<redacted>xyz");
        // Short values only where they stand alone.
        assert_eq!(redact("acks all, 1 retry", &secrets), "acks <redacted>, <redacted> retry");
        assert_eq!(
            redact("connect to 127.0.0.1:9092 failed; install", &secrets),
            "connect to 127.0.0.1:9092 failed; install"
        );
        assert_eq!(redact("value \"1\"", &secrets), "value \"<redacted>\"");
    }

    fn cluster(client: &[(&str, &str)]) -> ClusterConfig {
        ClusterConfig {
            name: "prod".into(),
            bootstrap: "127.0.0.1:1".into(),
            client: crate::desired::ClientProperties::new(
                client.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            ),
            kafka_version: None,
        }
    }

    fn connect_error(client: &[(&str, &str)]) -> String {
        let connection = Connection { timeout: Duration::from_secs(1), deadline: None, verbose: 0 };
        match connect(&cluster(client), connection, None) {
            Err(Error::Config(message)) => message,
            Err(other) => panic!("not a configuration error: {other}"),
            Ok(_) => panic!("librdkafka took {client:?}"),
        }
    }

    /// A request librdkafka gave up on is called a timeout, whatever its words; other errors keep theirs.
    #[test]
    fn a_timeout_is_called_one() {
        let admin =
            connect(&cluster(&[]), Connection { timeout: Duration::from_secs(1), deadline: None, verbose: 0 }, None)
                .unwrap();
        let error = |code: &str, message: &str| {
            let e = librdkafka::KafkaError { code: code.into(), message: message.into(), raw: -185 };
            admin.request_error("CreatePartitions", e).to_string()
        };
        assert_eq!(
            error("_TIMED_OUT", "Failed while waiting for controller: Local: Timed out"),
            "CreatePartitions failed: timed out: Failed while waiting for controller: Local: Timed out"
        );
        assert_eq!(
            error("_TIMED_OUT", "timed out: no answer within 6 s"),
            "CreatePartitions failed: timed out: no answer within 6 s"
        );
        assert_eq!(error("POLICY_VIOLATION", "no"), "CreatePartitions failed: no");
    }

    /// librdkafka's own message for a misspelt property echoes the value; ours names the property only.
    #[test]
    fn configuration_errors_never_show_a_value() {
        let message = connect_error(&[("sasl.pasword", "hunter2-s3cr3t")]);
        assert_eq!(
            message,
            format!(
                "client property `sasl.pasword` of cluster `prod` is not a property of librdkafka {}; did you mean `sasl.password`?",
                crate::desired::client::LIBRDKAFKA
            )
        );
        let message = connect_error(&[("socket.timeout.ms", "soon-s3cr3t")]);
        assert!(
            message.starts_with("librdkafka refuses the value of client property `socket.timeout.ms`"),
            "{message}"
        );
        assert!(!message.contains("s3cr3t"), "{message}");
        let message = connect_error(&[("sasl.password", "a\0hunter2-s3cr3t")]);
        assert_eq!(
            message,
            "client property `sasl.password` of cluster `prod` holds a NUL character, which librdkafka cannot take"
        );
        // Refused only when the client is created: a mechanism this build lacks, with a secret set.
        let message = connect_error(&[
            ("security.protocol", "sasl_ssl"),
            ("sasl.mechanism", "NOPE-s3cr3t"),
            ("sasl.password", "hunter2-s3cr3t"),
        ]);
        assert!(!message.contains("s3cr3t"), "{message}");
    }

    /// A mechanism's name is no secret: an error that names it keeps it, and every real secret is
    /// still scrubbed.
    #[test]
    fn a_mechanism_name_is_never_redacted() {
        let connection = Connection { timeout: Duration::from_secs(1), deadline: None, verbose: 0 };
        for mechanism in crate::desired::client::MECHANISMS {
            let client = [
                ("security.protocol", "sasl_plaintext"),
                ("sasl.mechanism", mechanism),
                ("sasl.username", "alice-s3cr3t"),
                ("sasl.password", "hunter2-s3cr3t"),
            ];
            let said = match connect(&cluster(&client), connection, None) {
                Err(e) => e.to_string(),
                Ok(admin) => admin.redact(&format!("SASL authentication with {mechanism} over SASL_PLAINTEXT failed")),
            };
            assert!(said.contains(mechanism) && !said.contains("<redacted>"), "{mechanism}: {said}");
            assert!(!said.contains("s3cr3t"), "{said}");
            if let Ok(admin) = connect(&cluster(&client), connection, None) {
                assert_eq!(admin.redact("user alice-s3cr3t"), "user <redacted>");
            }
        }
        // A value that is not a mechanism is scrubbed as any value is.
        let admin = connect(&cluster(&[("sasl.mechanisms", "plain")]), connection, None);
        if let Ok(admin) = admin {
            assert_eq!(admin.redact("mechanism plain"), "mechanism <redacted>");
        }
    }
}
