//! `describe`: one Metadata request, one DescribeCluster request (for racks) and DescribeConfigs for
//! the topics in scope, in chunks of [`DESCRIBE_CHUNK`] sent at once, mapped into [`Live`].

use std::collections::BTreeMap;

use rdkafka::error::RDKafkaErrorCode;

use super::{DESCRIBE_CHUNK, KafkaAdmin, librdkafka, probe, protocol};
use crate::catalog::{self, Release};
use crate::cluster::{Error, ErrorCode};
use crate::live::{Broker, ConfigSource, Effective, Live, LiveConfig, LivePartition, LiveTopic, Scope};

/// Describes the brokers and every topic in `scope`.
pub(super) async fn describe(admin: &KafkaAdmin, scope: &Scope) -> Result<Live, Error> {
    let metadata = match admin.blocking(|client, timeout| client.inner().fetch_metadata(None, timeout)).await {
        Ok(metadata) => metadata,
        Err(e) => {
            let message = admin.redact(&e.to_string());
            return Err(Error::Request {
                operation: "Metadata",
                code: e.rdkafka_error_code().map(|c| ErrorCode::from_name(&librdkafka::error_name(c as i32))),
                message: match door(admin).await {
                    Some(cause) => format!("{message}\nlikely cause: {}", admin.redact(&cause)),
                    None => admin.explain(message),
                },
            });
        }
    };

    // Metadata through librdkafka has no racks; DescribeCluster does. Only brokers Metadata lists
    // (the live ones) are kept.
    let cluster =
        admin.blocking(librdkafka::describe_cluster).await.map_err(|e| admin.request_error("DescribeCluster", e))?;
    let racks: BTreeMap<i32, Option<String>> = cluster.nodes.iter().map(|n| (n.id, n.rack.clone())).collect();
    let mut live = Live::default();
    live.cluster.id = cluster.id;
    for b in metadata.brokers() {
        let broker = Broker {
            id: b.id(),
            host: b.host().to_owned(),
            port: u16::try_from(b.port()).unwrap_or(0),
            rack: racks.get(&b.id()).cloned().flatten(),
        };
        live.brokers.insert(b.id(), broker);
    }
    for t in metadata.topics() {
        if !scope.contains(t.name()) {
            continue;
        }
        match t.error().map(RDKafkaErrorCode::from) {
            // Deleted between listing and describing, or not yet known to this broker.
            Some(RDKafkaErrorCode::UnknownTopicOrPartition) => continue,
            Some(RDKafkaErrorCode::TopicAuthorizationFailed) => {
                return Err(Error::Topic {
                    operation: "Metadata",
                    topic: t.name().to_owned(),
                    code: ErrorCode::TopicAuthorizationFailed,
                    message: "the client may not describe this topic".into(),
                });
            }
            _ => {}
        }
        let mut partitions: Vec<LivePartition> = t
            .partitions()
            .iter()
            .map(|p| LivePartition {
                id: p.id(),
                leader: (p.leader() >= 0).then_some(p.leader()),
                replicas: p.replicas().to_vec(),
                isr: p.isr().to_vec(),
            })
            .collect();
        partitions.sort_by_key(|p| p.id);
        live.topics.insert(t.name().to_owned(), LiveTopic { partitions, configs: BTreeMap::new() });
    }

    // One DescribeConfigs per chunk, all in flight at once: the brokers answer them in parallel.
    let names: Vec<String> = live.topics.keys().cloned().collect();
    let requests = names.chunks(DESCRIBE_CHUNK).map(|chunk| {
        let chunk = chunk.to_vec();
        admin.blocking(move |client, timeout| {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            librdkafka::describe_configs(client, librdkafka::Resource::Topic, &refs, timeout)
        })
    });
    // Beside the configs, so that they cost no extra wait: the release and the moves in progress.
    let controller = cluster
        .controller
        .and_then(|id| cluster.nodes.iter().find(|n| n.id == id))
        .map(|n| super::execute::address(&n.host, n.port));
    let (outcomes, release, moving) = futures_util::future::join3(
        futures_util::future::join_all(requests),
        release(admin),
        super::execute::ongoing_at(admin, controller),
    )
    .await;
    live.cluster.release = release;
    for o in visible(moving)?.unwrap_or_default() {
        if scope.contains(&o.topic) {
            live.moving.entry(o.topic).or_default().insert(o.partition);
        }
    }
    for outcome in outcomes {
        let results = outcome.map_err(|e| admin.request_error("DescribeConfigs", e))?;
        for (topic, result) in results {
            match result {
                Ok(entries) => {
                    let Some(t) = live.topics.get_mut(&topic) else { continue };
                    t.configs = entries.into_iter().map(live_config).collect();
                }
                // Deleted since the Metadata request: it is simply not there.
                Err(e) if e.raw == librdkafka::UNKNOWN_TOPIC_OR_PART => {
                    live.topics.remove(&topic);
                }
                Err(e) => return Err(admin.topic_error("DescribeConfigs", &topic, e)),
            }
        }
    }
    // A throttle left by a move shows on its topics first; only then are the brokers asked for theirs
    // (one request each), so a cluster with nothing moving pays nothing for it.
    let evidence = !live.moving.is_empty()
        || live.topics.values().any(|t| {
            crate::live::THROTTLED_REPLICAS
                .iter()
                .any(|k| t.configs.get(*k).is_some_and(|c| c.source == ConfigSource::TopicOverride))
        });
    if evidence {
        let brokers: Vec<i32> = live.brokers.keys().copied().collect();
        live.throttled_brokers = visible(throttled_brokers(admin, &brokers).await)?.unwrap_or_default();
    }
    Ok(live)
}

/// What a principal may not see, a connection cannot ask, or an absent controller cannot answer is left
/// unknown rather than failing the describe: a principal allowed only to describe topics, or a plan
/// while the controller is away, still gets a plan.
fn visible<T>(outcome: Result<T, Error>) -> Result<Option<T>, Error> {
    match outcome {
        Ok(v) => Ok(Some(v)),
        Err(e)
            if matches!(
                e.code(),
                Some(
                    ErrorCode::Unsupported
                        | ErrorCode::ClusterAuthorizationFailed
                        | ErrorCode::TopicAuthorizationFailed
                        | ErrorCode::TimedOut
                        | ErrorCode::RequestTimedOut
                )
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// The release the brokers run, from the ApiVersions answer of the first bootstrap server that answers
/// (see [`crate::catalog::fingerprint`]); `None` when topicform cannot make such a connection (OAUTHBEARER,
/// GSSAPI) or the answer is not one it knows.
async fn release(admin: &KafkaAdmin) -> Option<Release> {
    let security = admin.security.as_ref().ok()?;
    for server in admin.bootstrap.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        admin.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(versions) =
            protocol::api_versions(&protocol::Target::new(server, security, admin.request_timeout())).await
        {
            return catalog::fingerprint::release_of(&versions);
        }
    }
    None
}

/// The brokers with a replication throttle rate, from each broker's DescribeConfigs (one request per
/// broker, all at once: a broker resource is answered by that broker).
async fn throttled_brokers(admin: &KafkaAdmin, brokers: &[i32]) -> Result<std::collections::BTreeSet<i32>, Error> {
    let requests = brokers.iter().map(|&b| {
        admin.blocking(move |client, timeout| {
            let name = b.to_string();
            librdkafka::describe_configs(client, librdkafka::Resource::Broker, &[name.as_str()], timeout)
                .map(|r| (b, r))
        })
    });
    let mut out = std::collections::BTreeSet::new();
    for outcome in futures_util::future::join_all(requests).await {
        let (broker, results) = outcome.map_err(|e| admin.request_error("DescribeConfigs", e))?;
        for (_, result) in results {
            let entries = result.map_err(|e| admin.topic_error("DescribeConfigs", &format!("broker {broker}"), e))?;
            let throttled = entries.iter().any(|e| {
                crate::live::THROTTLE_RATES.contains(&e.name.as_str())
                    && config_source(e.source) == ConfigSource::DynamicBroker
                    && e.value.is_some()
            });
            if throttled {
                out.insert(broker);
            }
        }
    }
    Ok(out)
}

/// Why the first bootstrap server did not answer, from what answers there (see [`probe`]).
async fn door(admin: &KafkaAdmin) -> Option<String> {
    let first = admin.bootstrap.split(',').map(str::trim).find(|s| !s.is_empty())?;
    // Its own small budget: the failed request may have used all that was left of the deadline, and the
    // guard behind the deadline leaves room for this.
    let budget = admin.request_timeout().clamp(std::time::Duration::from_secs(2), std::time::Duration::from_secs(6));
    probe::cause(first, probe::knock(first, budget).await, &admin.protocol)
}

fn config_source(raw: i32) -> ConfigSource {
    // librdkafka's rd_kafka_ConfigSource_t, which mirrors the DescribeConfigs ConfigSource field.
    match raw {
        1 => ConfigSource::TopicOverride,
        2 => ConfigSource::DynamicBroker,
        3 => ConfigSource::DynamicDefaultBroker,
        4 => ConfigSource::StaticBroker,
        5 => ConfigSource::Default,
        _ => ConfigSource::Unknown,
    }
}

fn live_config(e: librdkafka::Entry) -> (String, LiveConfig) {
    let source = config_source(e.source);
    let hide = |v: Option<String>| if e.sensitive { None } else { v };
    let inherited = if source == ConfigSource::TopicOverride {
        e.synonyms.iter().find(|s| config_source(s.source) != ConfigSource::TopicOverride).map(|s| Effective {
            value: hide(s.value.as_deref().map(|v| in_topic_units(&e.name, &s.name, v))),
            source: config_source(s.source),
        })
    } else {
        // Not overridden: the entry's own value is what it inherits; no second copy (10,000 topics
        // have 330,000 entries).
        None
    };
    let config = LiveConfig { value: hide(e.value), source, read_only: e.read_only, sensitive: e.sensitive, inherited };
    (e.name, config)
}

/// A broker synonym's value in the topic config's unit: `retention.ms` falls back to
/// `log.retention.hours` when no finer broker setting is given, so 168 hours is 604800000 ms.
fn in_topic_units(topic_key: &str, synonym: &str, value: &str) -> String {
    let factor = if !topic_key.ends_with(".ms") {
        1
    } else if synonym.ends_with(".hours") {
        3_600_000
    } else if synonym.ends_with(".minutes") {
        60_000
    } else if synonym.ends_with(".seconds") {
        1_000
    } else {
        1
    };
    match value.parse::<i64>() {
        // -1 means "no limit" in every unit.
        Ok(n) if factor != 1 && n >= 0 => n.saturating_mul(factor).to_string(),
        _ => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonym_units() {
        assert_eq!(in_topic_units("retention.ms", "log.retention.hours", "168"), "604800000");
        assert_eq!(in_topic_units("retention.ms", "log.retention.minutes", "2"), "120000");
        assert_eq!(in_topic_units("retention.ms", "log.retention.ms", "5"), "5");
        assert_eq!(in_topic_units("retention.ms", "log.retention.hours", "-1"), "-1");
        assert_eq!(in_topic_units("segment.bytes", "log.segment.bytes", "1073741824"), "1073741824");
    }

    #[test]
    fn config_sources() {
        assert_eq!(config_source(1), ConfigSource::TopicOverride);
        assert_eq!(config_source(5), ConfigSource::Default);
        assert_eq!(config_source(6), ConfigSource::Unknown);
        assert_eq!(config_source(-1), ConfigSource::Unknown);
    }
}
