//! The requests topicform sends itself with the `kafka-protocol` crate, because librdkafka does not
//! expose them: partition reassignment (KIP-455: AlterPartitionReassignments,
//! ListPartitionReassignments) and ApiVersions (to know the broker's release).
//!
//! One request per call on a fresh connection to the broker the caller chose (for reassignments the
//! controller that DescribeCluster names, which forwards them in KRaft mode), made with the same client
//! properties as the librdkafka client:
//! `security.protocol` PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; TLS with `ssl.ca.location`,
//! `ssl.certificate.location` / `ssl.key.location` (mutual TLS), `enable.ssl.certificate.verification`
//! and `ssl.endpoint.identification.algorithm`; SASL mechanisms PLAIN, SCRAM-SHA-256 and
//! SCRAM-SHA-512. Not supported here: OAUTHBEARER and GSSAPI, and PEM or keystore material given inline
//! rather than as files; such a cluster gets a clear error before anything is changed.

use std::collections::BTreeMap;
use std::time::Duration;

use kafka_protocol::messages::alter_partition_reassignments_request::{ReassignablePartition, ReassignableTopic};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::list_partition_reassignments_request::ListPartitionReassignmentsTopics;
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse, ApiKey, ApiVersionsRequest,
    ApiVersionsResponse, BrokerId, DescribeConfigsRequest, DescribeConfigsResponse, ListPartitionReassignmentsRequest,
    ListPartitionReassignmentsResponse, MetadataRequest, MetadataResponse, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};

use super::connection::{Connection, Mechanism, Sasl};
use super::tls::Tls;
use crate::cluster::ErrorCode;

/// How topicform's own connections are secured, from the same client properties as librdkafka's.
#[derive(Debug, Clone)]
pub struct Security {
    pub(super) tls: Option<Tls>,
    pub(super) sasl: Option<Sasl>,
}

/// How to reach one broker: its address, the connection's security, and the per-request deadline.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` of a broker.
    pub broker: String,
    /// Per-request deadline.
    pub timeout: Duration,
    pub(super) security: Security,
}

impl Target {
    /// `broker`, reached with `security`.
    pub fn new(broker: &str, security: &Security, timeout: Duration) -> Target {
        Target { broker: broker.to_owned(), timeout, security: security.clone() }
    }
}

impl Security {
    /// The security `client` (librdkafka properties) asks for, when this module can make such a
    /// connection.
    pub fn from_properties(client: &BTreeMap<String, String>) -> Result<Security, String> {
        let get = |k: &str| client.get(k).map(String::as_str);
        let protocol = get("security.protocol").unwrap_or("PLAINTEXT").to_ascii_uppercase();
        let (tls, sasl) = match protocol.as_str() {
            "PLAINTEXT" => (false, false),
            "SSL" => (true, false),
            "SASL_PLAINTEXT" => (false, true),
            "SASL_SSL" => (true, true),
            other => return Err(format!("unknown security.protocol `{other}`")),
        };
        let unsupported = |what: &str| {
            format!(
                "changing a replication factor needs partition reassignment, which topicform sends itself, and \
                 it does not support {what}"
            )
        };
        for inline in ["ssl.ca.pem", "ssl.certificate.pem", "ssl.key.pem", "ssl.keystore.location"] {
            if tls && get(inline).is_some() {
                return Err(unsupported(&format!("`{inline}`; give the material as files (`ssl.ca.location`...)")));
            }
        }
        let tls = tls.then(|| Tls {
            ca: get("ssl.ca.location").map(str::to_owned),
            certificate: get("ssl.certificate.location").map(str::to_owned),
            key: get("ssl.key.location").map(str::to_owned),
            verify: get("enable.ssl.certificate.verification").is_none_or(|v| v != "false"),
            verify_hostname: get("ssl.endpoint.identification.algorithm")
                .is_none_or(|v| v.eq_ignore_ascii_case("https")),
        });
        let sasl = if sasl {
            let mechanism = match get("sasl.mechanism")
                .or(get("sasl.mechanisms"))
                .unwrap_or("GSSAPI")
                .to_ascii_uppercase()
                .as_str()
            {
                "PLAIN" => Mechanism::Plain,
                "SCRAM-SHA-256" => Mechanism::Scram256,
                "SCRAM-SHA-512" => Mechanism::Scram512,
                other => return Err(unsupported(&format!("SASL mechanism {other}"))),
            };
            let username = get("sasl.username").ok_or("`sasl.username` is not set")?.to_owned();
            let password = get("sasl.password").ok_or("`sasl.password` is not set")?.to_owned();
            Some(Sasl { mechanism, username, password })
        } else {
            None
        };
        Ok(Security { tls, sasl })
    }
}

/// A per-partition or request-level error: Kafka's error and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Kafka's (or the connection's) error.
    pub code: ErrorCode,
    /// What the broker said, or what went wrong locally.
    pub message: String,
}

impl Failure {
    /// A failure with a name Kafka or librdkafka would use (`_TRANSPORT`, `_SSL`).
    pub fn new(code: &str, message: impl Into<String>) -> Failure {
        Failure { code: ErrorCode::from_name(code), message: message.into() }
    }
}

/// A partition's new replica list: `(topic, partition, replicas)`.
pub type Move = (String, i32, Vec<i32>);

/// Submits new replica lists, `(topic, partition, replicas)`, in one request. Returns one result per
/// partition, in order.
pub async fn alter(target: &Target, moves: &[Move]) -> Result<Vec<Result<(), Failure>>, Failure> {
    let mut by_topic: BTreeMap<&str, Vec<&Move>> = BTreeMap::new();
    for m in moves {
        by_topic.entry(&m.0).or_default().push(m);
    }
    let mut request = AlterPartitionReassignmentsRequest::default();
    request.timeout_ms = broker_timeout_ms(target);
    request.topics = by_topic
        .iter()
        .map(|(topic, moves)| {
            let mut t = ReassignableTopic::default();
            t.name = TopicName(StrBytes::from_string(topic.to_string()));
            t.partitions = moves
                .iter()
                .map(|(_, p, replicas)| {
                    let mut rp = ReassignablePartition::default();
                    rp.partition_index = *p;
                    rp.replicas = Some(replicas.iter().map(|b| BrokerId(*b)).collect());
                    rp
                })
                .collect();
            t
        })
        .collect();
    let response: AlterPartitionReassignmentsResponse =
        exchange(target, ApiKey::AlterPartitionReassignments, 0, &request).await?;
    if response.error_code != 0 {
        return Err(failure(response.error_code, response.error_message.as_ref().map(|m| m.to_string())));
    }
    let mut results: BTreeMap<(String, i32), Result<(), Failure>> = BTreeMap::new();
    for t in &response.responses {
        for p in &t.partitions {
            let outcome = if p.error_code == 0 {
                Ok(())
            } else {
                Err(failure(p.error_code, p.error_message.as_ref().map(|m| m.to_string())))
            };
            results.insert((t.name.0.to_string(), p.partition_index), outcome);
        }
    }
    Ok(moves
        .iter()
        .map(|(t, p, _)| {
            results
                .remove(&(t.clone(), *p))
                .unwrap_or_else(|| Err(Failure::new("NO_RESULT", "the controller's answer did not mention it")))
        })
        .collect())
}

/// The partitions of `topics` whose reassignment is still under way; with no topics, every partition
/// of the cluster whose reassignment is under way.
pub async fn ongoing(target: &Target, topics: &BTreeMap<String, Vec<i32>>) -> Result<Vec<(String, i32)>, Failure> {
    let mut request = ListPartitionReassignmentsRequest::default();
    request.timeout_ms = broker_timeout_ms(target);
    request.topics = (!topics.is_empty()).then(|| {
        topics
            .iter()
            .map(|(name, partitions)| {
                let mut t = ListPartitionReassignmentsTopics::default();
                t.name = TopicName(StrBytes::from_string(name.clone()));
                t.partition_indexes = partitions.clone();
                t
            })
            .collect()
    });
    let response: ListPartitionReassignmentsResponse =
        exchange(target, ApiKey::ListPartitionReassignments, 0, &request).await?;
    if response.error_code != 0 {
        return Err(failure(response.error_code, response.error_message.as_ref().map(|m| m.to_string())));
    }
    Ok(response
        .topics
        .iter()
        .flat_map(|t| t.partitions.iter().map(move |p| (t.name.0.to_string(), p.partition_index)))
        .collect())
}

/// The highest version of each API the broker supports, by API key.
pub async fn api_versions(target: &Target) -> Result<BTreeMap<i16, i16>, Failure> {
    // Version 0: every broker answers it, whatever it supports, so that clients can negotiate.
    let response: ApiVersionsResponse =
        exchange(target, ApiKey::ApiVersions, 0, &ApiVersionsRequest::default()).await?;
    versions_of(response)
}

/// [`api_versions`] on an open connection.
pub(super) async fn api_versions_on(conn: &mut Connection, timeout: Duration) -> Result<BTreeMap<i16, i16>, Failure> {
    let broker = conn.broker().to_owned();
    let response: ApiVersionsResponse =
        within(timeout, &broker, conn.request(ApiKey::ApiVersions, 0, &ApiVersionsRequest::default())).await?;
    versions_of(response)
}

fn versions_of(response: ApiVersionsResponse) -> Result<BTreeMap<i16, i16>, Failure> {
    if response.error_code != 0 {
        return Err(failure(response.error_code, None));
    }
    Ok(response.api_keys.iter().map(|k| (k.api_key, k.max_version)).collect())
}

/// The Metadata versions this module speaks: from 4, a request never creates the topics it names
/// (`AllowAutoTopicCreation`; Kafka 4.0 answers nothing older), to 13, the newest.
pub const METADATA_VERSIONS: std::ops::RangeInclusive<i16> = 4..=13;

/// The Metadata version to send to a broker whose newest is `max` (its ApiVersions answer), or `None`
/// when it has none this module speaks.
pub fn metadata_version(max: Option<i16>) -> Option<i16> {
    max.map(|v| v.min(*METADATA_VERSIONS.end())).filter(|v| METADATA_VERSIONS.contains(v))
}

/// Metadata of `topics` (`None`: every topic) on an open connection: the brokers with their racks, the
/// cluster's id and controller, each topic's partitions. Never creates a topic.
pub(super) async fn metadata(
    conn: &mut Connection,
    timeout: Duration,
    version: i16,
    topics: Option<Vec<String>>,
) -> Result<MetadataResponse, Failure> {
    let mut request = MetadataRequest::default();
    request.allow_auto_topic_creation = false;
    request.topics = topics.map(|names| {
        names
            .into_iter()
            .map(|name| {
                let mut t = MetadataRequestTopic::default();
                t.name = Some(TopicName(StrBytes::from_string(name)));
                t
            })
            .collect()
    });
    let broker = conn.broker().to_owned();
    let response: MetadataResponse =
        within(timeout, &broker, conn.request(ApiKey::Metadata, version, &request)).await?;
    if response.error_code != 0 {
        return Err(failure(response.error_code, None));
    }
    Ok(response)
}

/// The DescribeConfigs versions this module speaks: 1 has the config sources and `IncludeSynonyms`
/// (Kafka 2.0), 4 is the newest.
pub const DESCRIBE_CONFIGS_VERSIONS: std::ops::RangeInclusive<i16> = 1..=4;

/// One topic to describe: its name, and the keys to describe (`None`: every key).
pub struct Ask<'a> {
    pub topic: &'a str,
    pub keys: Option<&'a [String]>,
}

/// DescribeConfigs of `asks` (topics) on an open connection, in one request: with each entry's
/// synonyms only when `synonyms` (the broker's answer is then several times larger), never with the
/// documentation.
pub(super) async fn describe_topic_configs(
    conn: &mut Connection,
    timeout: Duration,
    version: i16,
    asks: &[Ask<'_>],
    synonyms: bool,
) -> Result<DescribeConfigsResponse, Failure> {
    const TOPIC: i8 = 2;
    let mut request = DescribeConfigsRequest::default();
    request.include_synonyms = synonyms;
    request.include_documentation = false;
    request.resources = asks
        .iter()
        .map(|a| {
            let mut r = DescribeConfigsResource::default();
            r.resource_type = TOPIC;
            r.resource_name = StrBytes::from_string(a.topic.to_owned());
            r.configuration_keys = a.keys.map(|keys| keys.iter().map(|k| StrBytes::from_string(k.clone())).collect());
            r
        })
        .collect();
    let broker = conn.broker().to_owned();
    within(timeout, &broker, conn.request(ApiKey::DescribeConfigs, version, &request)).await
}

/// `work` within `timeout`, or `_TIMED_OUT` naming `broker`.
pub(super) async fn within<T>(
    timeout: Duration,
    broker: &str,
    work: impl std::future::Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| Err(Failure::new("_TIMED_OUT", format!("timed out: no answer from {broker}"))))
}

/// Opens an authenticated connection to `target`, within its deadline.
pub(super) async fn open(target: &Target) -> Result<Connection, Failure> {
    within(target.timeout, &target.broker, Connection::open(target)).await
}

/// Connects, authenticates, sends one request and reads its response, within the target's deadline.
async fn exchange<Req, Resp>(target: &Target, key: ApiKey, version: i16, request: &Req) -> Result<Resp, Failure>
where
    Req: Encodable + HeaderVersion,
    Resp: Decodable,
{
    let exchange = async {
        let mut conn = Connection::open(target).await?;
        conn.request(key, version, request).await
    };
    // The whole exchange within the request's budget: the deadline of the command depends on it.
    within(target.timeout, &target.broker, exchange).await
}

/// The broker's own timeout for a request: a little less than ours, so that its answer (a timeout
/// error) arrives before we stop listening.
fn broker_timeout_ms(target: &Target) -> i32 {
    let ms = target.timeout.as_millis().saturating_sub(500).max(100);
    i32::try_from(ms).unwrap_or(i32::MAX)
}

pub(super) fn failure_with(code: i16, message: String) -> Failure {
    failure(code, Some(message))
}

fn failure(code: i16, message: Option<String>) -> Failure {
    let name = kafka_protocol::ResponseError::try_from_code(code)
        .map(|e| format!("{e:?}"))
        .unwrap_or_else(|| format!("ERROR_{code}"));
    Failure { code: ErrorCode::from_name(&screaming(&name)), message: message.unwrap_or_default() }
}

/// `InvalidReplicaAssignment` -> `INVALID_REPLICA_ASSIGNMENT`, Kafka's spelling of error names.
fn screaming(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_version_is_the_newest_both_speak() {
        let cases = [(None, None), (Some(3), None), (Some(4), Some(4)), (Some(12), Some(12)), (Some(20), Some(13))];
        for (max, want) in cases {
            assert_eq!(metadata_version(max), want, "{max:?}");
        }
    }

    #[test]
    fn error_names() {
        assert_eq!(screaming("InvalidReplicaAssignment"), "INVALID_REPLICA_ASSIGNMENT");
        assert_eq!(failure(39, None).code, ErrorCode::InvalidReplicaAssignment);
    }

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// The first bootstrap server, as the adapter reaches it when no controller is known.
    fn first_target(bootstrap: &str, client: &BTreeMap<String, String>, timeout: Duration) -> Result<Target, String> {
        let security = Security::from_properties(client)?;
        let first = bootstrap.split(',').map(str::trim).find(|s| !s.is_empty()).ok_or("no bootstrap server")?;
        Ok(Target::new(first, &security, timeout))
    }

    #[test]
    fn targets() {
        let t = Duration::from_secs(1);
        assert!(first_target("a:1,b:2", &props(&[]), t).is_ok_and(|t| t.broker == "a:1" && t.security.tls.is_none()));
        let sasl_ssl = props(&[
            ("security.protocol", "sasl_ssl"),
            ("sasl.mechanism", "SCRAM-SHA-512"),
            ("sasl.username", "alice"),
            ("sasl.password", "secret"),
        ]);
        let target = first_target("a:1", &sasl_ssl, t).unwrap();
        assert!(
            target.security.tls.is_some()
                && target.security.sasl.as_ref().is_some_and(|s| s.mechanism == Mechanism::Scram512)
        );
        assert!(!format!("{target:?}").contains("secret"), "Debug hides the password");
        let refused =
            first_target("a:1", &props(&[("security.protocol", "SASL_SSL"), ("sasl.mechanism", "OAUTHBEARER")]), t);
        assert!(refused.unwrap_err().contains("SASL mechanism OAUTHBEARER"));
        let inline = first_target("a:1", &props(&[("security.protocol", "SSL"), ("ssl.ca.pem", "-----BEGIN")]), t);
        assert!(inline.unwrap_err().contains("ssl.ca.pem"));
    }
}
