//! Setting up librdkafka's client from a cluster of the project file: its properties, its log (drained
//! from the main queue on a thread of its own), and the redaction of secrets from everything it says.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;

use super::{KafkaAdmin, librdkafka, protocol};
use crate::cluster::{Connection, Error, ErrorCode};
use crate::desired::ClusterConfig;

/// Receives librdkafka's log lines (already redacted) when they are shown (`-v`).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Sets up a client for `cluster`. No connection is made until the first request.
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
        if is_secret(key) && !value.is_empty() {
            secrets.push(value.to_owned());
        }
    }
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
    let client = Arc::new(
        config.create::<librdkafka::Client>().map_err(|e| Error::Config(redact(&client_error(&e), &secrets)))?,
    );
    // librdkafka's main queue, until the admin is dropped: log lines are shown at -v, and the latest
    // client error is kept to explain failed requests. The thread holds only a weak reference, and
    // `Drop` stops and joins it, so the client is always destroyed on the dropping thread, before
    // the process exits: librdkafka destroyed during OpenSSL's exit cleanup can crash.
    let last_error = Arc::new(std::sync::Mutex::new(None));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let show = log.filter(|_| verbose >= 1);
    let drain = {
        let weak = Arc::downgrade(&client);
        let (secrets, last_error, stop) = (secrets.clone(), last_error.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed)
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
        })
    };
    let properties: std::collections::BTreeMap<String, String> =
        cluster.client.expose().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    Ok(KafkaAdmin {
        drain: Some((stop, drain)),
        client,
        last_error,
        connection,
        bootstrap: cluster.bootstrap.clone(),
        security: protocol::Security::from_properties(&properties),
        protocol: properties.get("security.protocol").map_or("PLAINTEXT".to_owned(), |p| p.to_ascii_uppercase()),
        secrets,
        requests: Arc::new(AtomicUsize::new(0)),
    })
}

impl KafkaAdmin {
    /// A request that failed as a whole, with the likely cause.
    pub(super) fn request_error(&self, operation: &'static str, e: librdkafka::KafkaError) -> Error {
        Error::Request {
            operation,
            code: Some(ErrorCode::from_name(&e.code)),
            message: self.explain(redact(&e.message, &self.secrets)),
        }
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

/// Whether a client property's value is a secret: passwords, keys, tokens, JAAS configs, OAuth
/// client secrets. Those values are scrubbed from every message and log line.
fn is_secret(key: &str) -> bool {
    ["password", "secret", "key", "token", "jaas", "credential", "oauthbearer.config"].iter().any(|w| key.contains(w))
}

/// librdkafka's configuration errors can quote property values, so they are scrubbed.
fn redact(message: &str, secrets: &[String]) -> String {
    secrets.iter().fold(message.to_owned(), |m, s| m.replace(s.as_str(), "<redacted>"))
}

fn client_error(e: &KafkaError) -> String {
    match e {
        KafkaError::ClientCreation(msg) => msg.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys() {
        for key in [
            "sasl.password",
            "ssl.key.password",
            "ssl.key.pem",
            "sasl.oauthbearer.client.secret",
            "sasl.oauthbearer.config",
            "sasl.jaas.config",
        ] {
            assert!(is_secret(key), "{key}");
        }
        for key in ["sasl.username", "sasl.mechanism", "security.protocol", "ssl.ca.location"] {
            assert!(!is_secret(key), "{key}");
        }
    }

    #[test]
    fn redaction() {
        let secrets = vec!["hunter22".to_owned()];
        assert_eq!(redact("bad value hunter22 for x", &secrets), "bad value <redacted> for x");
    }
}
