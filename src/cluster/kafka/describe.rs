//! `describe`: ApiVersions (for the release) and Metadata (brokers, racks, controller, partitions) on
//! topicform's own connection to a bootstrap server, then DescribeConfigs of the topics in scope, mapped
//! into [`Live`]. Where that connection cannot be made or fails, librdkafka asks Metadata,
//! DescribeCluster (for the racks) and ApiVersions at once instead.
//!
//! DescribeConfigs goes out on topicform's own connections ([`protocol`]) where it can make them:
//! one per broker, each taking the next chunk of topics as it finishes the last (sized by [`Chunks`] so
//! that no answer reaches a broker's humongous allocations, see [`ANSWER_BYTES`]), so
//! that every broker answers a share at once (librdkafka sends every topic chunk to the same broker, which
//! answers them one after another), without synonyms (which triple the answer) and with the answer kept
//! only for what the scope needs (see [`Scope::declaring`]). What an override falls back to is asked
//! afterwards, only for the overrides that need it, with their keys named. Where topicform cannot make
//! such a connection (OAUTHBEARER, GSSAPI, inline PEM) or it fails, librdkafka asks instead.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use compact_str::CompactString;
use kafka_protocol::messages::{DescribeConfigsResponse, MetadataResponse};
use litemap::LiteMap;
use rdkafka::error::RDKafkaErrorCode;

use super::connection::Connection;
use super::{ANSWER_BYTES, DESCRIBE_CHUNK, KafkaAdmin, hedge, librdkafka, probe, protocol};
use crate::catalog;
use crate::cluster::{Error, ErrorCode};
use crate::live::{Broker, ConfigSource, Effective, Live, LiveConfig, LivePartition, LiveTopic, Names, Scope};

/// Describes the brokers and every topic in `scope`.
pub(super) async fn describe(admin: &KafkaAdmin, scope: &Scope) -> Result<Live, Error> {
    let First { mut live, versions, controller } = match own_first(admin, scope).await {
        Ok(first) => first,
        Err(Some(e)) => return Err(e),
        Err(None) => librdkafka_first(admin, scope).await?,
    };

    let version = versions
        .as_ref()
        .and_then(|v| v.get(&DESCRIBE_CONFIGS))
        .map(|&max| max.min(*protocol::DESCRIBE_CONFIGS_VERSIONS.end()));
    // Beside the configs, so that they cost no extra wait: the moves in progress.
    let (configs, moving) = futures_util::future::join(
        configs(admin, scope, &mut live, version),
        super::execute::ongoing_at(admin, controller),
    )
    .await;
    configs?;
    for o in visible(moving)?.unwrap_or_default() {
        if scope.contains(&o.topic) {
            live.moving.entry(o.topic).or_default().insert(o.partition);
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

/// What the first round trip tells: the brokers with their racks and the topics in scope with their
/// partitions (in `live`), the brokers' API versions (for the release), and where the controller is.
struct First {
    live: Live,
    versions: Option<BTreeMap<i16, i16>>,
    controller: Option<String>,
}

/// Metadata API key.
const METADATA: i16 = 3;

/// The first round trip on topicform's own connection to a bootstrap server: ApiVersions, then Metadata
/// (see [`metadata_of`]), which also gives the racks, the cluster's id and the controller. Cheaper than
/// librdkafka's Metadata (which asks for every topic and keeps them all in its cache) and its
/// DescribeCluster. `Err(None)` when it cannot be made or fails:
/// librdkafka then asks, with its own diagnostics; `Err(Some)` for an answer that ends the describe, or
/// a server that did not answer in time (asking again through librdkafka would double the wait).
async fn own_first(admin: &KafkaAdmin, scope: &Scope) -> Result<First, Option<Error>> {
    let Ok(security) = admin.security.as_ref() else { return Err(None) };
    let names: Option<Vec<&str>> = scope.exact_names().map(Iterator::collect);
    let names = names.as_deref();
    let servers: Vec<String> = admin.bootstrap.split(',').map(str::to_owned).collect();
    // Hedged over the bootstrap servers: a frozen one (it accepts the connection, then says nothing)
    // costs [`hedge::patience`], not the deadline.
    let asked = hedge::first(admin, servers, |server| async move {
        let mut conn = protocol::open(&protocol::Target::new(&server, security, admin.request_timeout())).await?;
        admin.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let versions = protocol::api_versions_on(&mut conn, admin.request_timeout()).await?;
        let version = protocol::metadata_version(versions.get(&METADATA).copied())
            .ok_or_else(|| protocol::Failure::new("_UNSUPPORTED_FEATURE", "no Metadata version 4 or later"))?;
        let response = metadata_of(admin, &mut conn, version, names).await?;
        Ok::<_, protocol::Failure>((versions, version, response))
    });
    // When the first server is silent past its patience, why is looked into meanwhile (see [`door`]),
    // so that a command that times out has its likely cause by the deadline rather than after it.
    let probe = async {
        tokio::time::sleep(hedge::patience(admin.request_timeout())).await;
        door(admin).await
    };
    tokio::pin!(asked, probe);
    let mut cause: Option<Option<String>> = None;
    let asked = loop {
        tokio::select! {
            asked = &mut asked => break asked,
            found = &mut probe, if cause.is_none() => cause = Some(found),
        }
    };
    match asked {
        Ok((server, (versions, version, response))) => {
            let mut first = first_of(scope, versions, response).map_err(Some)?;
            confirm_missing(admin, security, scope, &server, version, &mut first).await;
            *admin.via.lock().unwrap() = via(&first, server.trim(), &admin.hung.lock().unwrap());
            Ok(first)
        }
        // No server answered within the deadline: librdkafka would wait as long again.
        Err(f) if f.code == ErrorCode::TimedOut => {
            let message = admin.redact(&f.message);
            let cause = match cause {
                Some(cause) => cause,
                None => probe.await,
            };
            Err(Some(Error::Request {
                operation: "Metadata",
                code: Some(ErrorCode::TimedOut),
                message: match cause {
                    Some(cause) => format!("{message}\nlikely cause: {}", admin.redact(&cause)),
                    None => message,
                },
            }))
        }
        Err(f) => {
            admin.note(&format!(
                "Metadata on topicform's own connection failed ({}: {}); asking through librdkafka",
                f.code.name(),
                admin.redact(&f.message)
            ));
            Err(None)
        }
    }
}

/// The topics of `topics` whose Metadata the brokers do not agree on (see [`crate::cluster::Admin::
/// disagreement`]): one broker's answer (hedged over the bootstrap servers), then every other broker it
/// lists at once, each within [`hedge::patience`]. Empty when topicform cannot make its own connections
/// (OAUTHBEARER, GSSAPI): it cannot tell.
pub(super) async fn disagreement(admin: &KafkaAdmin, topics: &[String]) -> Result<Vec<String>, Error> {
    let Ok(security) = admin.security.as_ref() else { return Ok(Vec::new()) };
    if topics.is_empty() {
        return Ok(Vec::new());
    }
    let names: Vec<&str> = topics.iter().map(String::as_str).collect();
    let names = &names[..];
    let ask = |server: String, timeout: std::time::Duration| async move {
        let mut conn = protocol::open(&protocol::Target::new(&server, security, timeout)).await?;
        admin.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let versions = protocol::within(timeout, &server, protocol::api_versions_on(&mut conn, timeout)).await?;
        let version = protocol::metadata_version(versions.get(&METADATA).copied())
            .ok_or_else(|| protocol::Failure::new("_UNSUPPORTED_FEATURE", "no Metadata version 4 or later"))?;
        protocol::within(timeout, &server, metadata_of(admin, &mut conn, version, Some(names))).await
    };
    let servers: Vec<String> = admin.bootstrap.split(',').map(str::to_owned).collect();
    let (server, first) = hedge::first(admin, servers, |server| ask(server, admin.request_timeout()))
        .await
        .map_err(|f| Error::Request { operation: "Metadata", code: Some(f.code), message: admin.redact(&f.message) })?;
    let others: Vec<String> = first
        .brokers
        .iter()
        .map(|b| super::execute::address(&b.host, u16::try_from(b.port).unwrap_or(0)))
        .filter(|a| a != server.trim())
        .collect();
    let bound = hedge::patience(admin.request_timeout());
    let answers = futures_util::future::join_all(others.into_iter().map(|broker| ask(broker, bound))).await;
    // A broker that does not answer in time tells nothing either way.
    let views: Vec<BTreeMap<String, usize>> =
        std::iter::once(first).chain(answers.into_iter().filter_map(Result::ok)).map(|r| view(&r)).collect();
    Ok(disagreeing(topics, &views))
}

/// One broker's Metadata answer as the topics it knows, with their partition counts.
fn view(response: &MetadataResponse) -> BTreeMap<String, usize> {
    response
        .topics
        .iter()
        .filter(|t| t.error_code == 0)
        .filter_map(|t| Some((t.name.as_ref()?.0.to_string(), t.partitions.len())))
        .collect()
}

/// The topics of `topics` that the `views` (one per broker) do not all give alike.
fn disagreeing(topics: &[String], views: &[BTreeMap<String, usize>]) -> Vec<String> {
    topics
        .iter()
        .filter(|t| {
            let mut seen = views.iter().map(|v| v.get(*t));
            let first = seen.next().flatten();
            seen.any(|s| s != first)
        })
        .cloned()
        .collect()
}

/// Where librdkafka's admin requests go (see [`librdkafka::with_via`]): the controller the answer named
/// (in ZooKeeper mode the one broker that takes them; in KRaft mode any live broker, which forwards
/// them), unless it was seen silent, then the broker that answered (`answered`, a bootstrap server).
fn via(first: &First, answered: &str, hung: &std::collections::BTreeSet<String>) -> Option<i32> {
    let id_of =
        |at: &str| first.live.brokers.values().find(|b| super::execute::address(&b.host, b.port) == at).map(|b| b.id);
    match &first.controller {
        Some(controller) if !hung.contains(controller) => id_of(controller),
        _ => id_of(answered),
    }
}

/// The topics the scope names that the answering broker (`answered`) did not list, asked of every other
/// broker at once (one Metadata request each, of just those topics): a broker learns of new topics a
/// moment after the controller (seconds after thousands of creates), so a topic is taken as missing only
/// when no broker that answers within [`hedge::patience`] knows it. A topic another broker knows is taken
/// from its answer. Costs nothing when the answer lists every named topic; else one round trip.
async fn confirm_missing(
    admin: &KafkaAdmin,
    security: &protocol::Security,
    scope: &Scope,
    answered: &str,
    version: i16,
    first: &mut First,
) {
    let missing: Vec<String> =
        scope.named().filter(|n| !first.live.topics.contains_key(*n)).map(str::to_owned).collect();
    if missing.is_empty() {
        return;
    }
    // A broker seen silent is not waited for again: it would cost the bound and tell nothing.
    let hung = admin.hung.lock().unwrap().clone();
    let others: Vec<String> = first
        .live
        .brokers
        .values()
        .map(|b| super::execute::address(&b.host, b.port))
        .filter(|a| a != answered.trim() && !hung.contains(a))
        .collect();
    let bound = hedge::patience(admin.request_timeout());
    let asks = others.iter().map(|broker| {
        let missing = missing.clone();
        async move {
            admin.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let asked = async {
                let mut conn = protocol::open(&protocol::Target::new(broker, security, bound)).await?;
                protocol::metadata(&mut conn, bound, version, Some(missing)).await
            };
            protocol::within(bound, broker, asked).await
        }
    });
    for answer in futures_util::future::join_all(asks).await {
        // A broker that does not answer in time, or refuses, tells nothing either way.
        let Ok(response) = answer else { continue };
        let Ok(other) = first_of(scope, BTreeMap::new(), response) else { continue };
        for (name, topic) in other.live.topics {
            first.live.topics.entry(name).or_insert(topic);
        }
    }
}

/// Metadata on `conn`, as one answer: of every topic in one request (`names` is `None`), or of the
/// topics `names` in [`Chunks`] asked one after another (so that no answer reaches a broker's humongous
/// allocations, see [`ANSWER_BYTES`]: 10,000 topics of three partitions answer 681,000 bytes).
async fn metadata_of(
    admin: &KafkaAdmin,
    conn: &mut Connection,
    version: i16,
    names: Option<&[&str]>,
) -> Result<MetadataResponse, protocol::Failure> {
    let mut chunks = Chunks::new(names.unwrap_or_default(), METADATA_GUESS, METADATA_CHUNK);
    let mut merged: Option<MetadataResponse> = None;
    // Every topic, or no name at all, is still one request (for the brokers).
    while let Some(chunk) = chunks.next().or_else(|| merged.is_none().then_some(&[][..])) {
        let ask = names.map(|_| chunk.iter().map(|n| (*n).to_owned()).collect());
        admin.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let response = protocol::metadata(conn, admin.request_timeout(), version, ask).await?;
        chunks.answered(chunk.len(), conn.last_size());
        admin.answered.fetch_add(conn.last_size(), std::sync::atomic::Ordering::Relaxed);
        match &mut merged {
            None => merged = Some(response),
            Some(m) => m.topics.extend(response.topics),
        }
    }
    Ok(merged.expect("one request at least"))
}

/// The live cluster of one Metadata answer, narrowed to `scope`.
fn first_of(scope: &Scope, versions: BTreeMap<i16, i16>, response: MetadataResponse) -> Result<First, Error> {
    const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
    const TOPIC_AUTHORIZATION_FAILED: i16 = 29;
    let mut live = Live::default();
    live.cluster.id = response.cluster_id.map(|id| id.to_string());
    live.cluster.release = catalog::fingerprint::release_of(&versions);
    for b in response.brokers {
        let id = b.node_id.0;
        let broker = Broker {
            id,
            host: b.host.to_string(),
            port: u16::try_from(b.port).unwrap_or(0),
            rack: b.rack.map(|r| r.to_string()),
        };
        live.brokers.insert(id, broker);
    }
    let controller = live.brokers.get(&response.controller_id.0).map(|b| super::execute::address(&b.host, b.port));
    // Into a map at once, with full B-tree nodes (inserted one by one in the answer's order, mostly
    // sorted, they were about half full). An answer of every topic may hold many the scope leaves out.
    let named = scope.exact_names().is_some();
    let mut topics = Vec::with_capacity(if named { response.topics.len() } else { 0 });
    for t in response.topics {
        let Some(name) = t.name.map(|n| n.0.to_string()) else { continue };
        if !scope.contains(&name) {
            continue;
        }
        match t.error_code {
            // Deleted since it was listed, or not yet known to this broker.
            UNKNOWN_TOPIC_OR_PARTITION => continue,
            TOPIC_AUTHORIZATION_FAILED => return Err(not_authorized(name)),
            _ => {}
        }
        let mut partitions: Vec<LivePartition> = t
            .partitions
            .into_iter()
            .map(|p| LivePartition {
                id: p.partition_index,
                leader: (p.leader_id.0 >= 0).then_some(p.leader_id.0),
                replicas: p.replica_nodes.into_iter().map(|b| b.0).collect(),
                isr: p.isr_nodes.into_iter().map(|b| b.0).collect(),
            })
            .collect();
        partitions.sort_by_key(|p| p.id);
        // Made in place of the decoded partitions, which are larger: without their room.
        partitions.shrink_to_fit();
        topics.push((name, LiveTopic { partitions, configs: LiteMap::new() }));
    }
    live.topics = topics.into_iter().collect();
    Ok(First { live, versions: Some(versions), controller })
}

/// Metadata's answer for a topic the client may not describe, which ends the describe.
fn not_authorized(topic: String) -> Error {
    Error::Topic {
        operation: "Metadata",
        topic,
        code: ErrorCode::TopicAuthorizationFailed,
        message: "the client may not describe this topic".into(),
    }
}

/// The first round trip through librdkafka: Metadata of every topic, DescribeCluster (for the racks,
/// which librdkafka's Metadata lacks) and ApiVersions, at once.
async fn librdkafka_first(admin: &KafkaAdmin, scope: &Scope) -> Result<First, Error> {
    let metadata = admin.blocking(|client, timeout| client.inner().fetch_metadata(None, timeout));
    let cluster = admin.blocking(librdkafka::describe_cluster);
    let (metadata, cluster, versions) = futures_util::future::join3(metadata, cluster, api_versions(admin)).await;
    let metadata = match metadata {
        Ok(metadata) => metadata,
        Err(rdkafka::error::KafkaError::ClientCreation(message)) => return Err(Error::Config(message)),
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
    let cluster = cluster.map_err(|e| admin.request_error("DescribeCluster", e))?;
    let racks: BTreeMap<i32, Option<String>> = cluster.nodes.iter().map(|n| (n.id, n.rack.clone())).collect();
    let mut live = Live::default();
    live.cluster.id = cluster.id;
    live.cluster.release = versions.as_ref().and_then(catalog::fingerprint::release_of);
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
            Some(RDKafkaErrorCode::TopicAuthorizationFailed) => return Err(not_authorized(t.name().to_owned())),
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
        live.topics.insert(t.name().to_owned(), LiveTopic { partitions, configs: LiteMap::new() });
    }
    drop(metadata);
    let controller = cluster
        .controller
        .and_then(|id| cluster.nodes.iter().find(|n| n.id == id))
        .map(|n| super::execute::address(&n.host, n.port));
    Ok(First { live, versions, controller })
}

/// DescribeConfigs' API key.
const DESCRIBE_CONFIGS: i16 = 32;

/// Fills in the configs of `live`'s topics: on topicform's own connections when it can make them (the
/// DescribeConfigs `version` is known and the security is one it speaks), else, or when they fail,
/// through librdkafka.
async fn configs(admin: &KafkaAdmin, scope: &Scope, live: &mut Live, version: Option<i16>) -> Result<(), Error> {
    if let (Some(version), Ok(security)) = (version, admin.security.as_ref())
        && protocol::DESCRIBE_CONFIGS_VERSIONS.contains(&version)
    {
        let addresses: Vec<String> = live.brokers.values().map(|b| super::execute::address(&b.host, b.port)).collect();
        // Brokers seen silent (a frozen bootstrap server) are asked last.
        let brokers = hedge::order(addresses.iter().map(String::as_str), &admin.hung.lock().unwrap());
        let own = Own { admin, security, brokers: &brokers, version };
        match own.describe(scope, live).await {
            Ok(unknown) if unknown.is_empty() => return Ok(()),
            // Brokers learn of topics one after another: a topic that Metadata listed and the broker
            // asked does not know is asked again as librdkafka asks, and left out only if that broker
            // does not know it either (deleted since).
            Ok(unknown) => {
                let mut again = Live {
                    topics: unknown.iter().filter_map(|n| live.topics.remove_entry(n)).collect(),
                    ..Live::default()
                };
                by_librdkafka(admin, scope, &mut again).await?;
                live.topics.append(&mut again.topics);
                return Ok(());
            }
            Err(f) => {
                admin.note(&format!(
                    "DescribeConfigs on topicform's own connections failed ({}: {}); asking through librdkafka",
                    f.code.name(),
                    admin.redact(&f.message)
                ));
                for t in live.topics.values_mut() {
                    t.configs.clear();
                }
            }
        }
    }
    by_librdkafka(admin, scope, live).await
}

/// DescribeConfigs on topicform's own connections.
struct Own<'a> {
    admin: &'a KafkaAdmin,
    security: &'a protocol::Security,
    brokers: &'a [String],
    version: i16,
}

/// One topic's kept config entries.
type Configs = LiteMap<CompactString, LiveConfig>;

/// One topic's answer, by its place in the asks: its kept entries, or the broker's error for it.
type Answer = (usize, Result<Configs, protocol::Failure>);

impl Own<'_> {
    /// Every topic's configs without synonyms; then the synonyms of the overrides whose fallback the
    /// scope needs, their keys named. Returns the topics a broker said it does not know.
    async fn describe(&self, scope: &Scope, live: &mut Live) -> Result<Vec<String>, protocol::Failure> {
        let mut unknown = Vec::new();
        // The asks borrow the names from one buffer of them, not from the map, so that each answer
        // goes into the map as it comes: no list of every topic's answer is ever held.
        let names = Names::new(live.topics.keys());
        let asks: Vec<protocol::Ask> = names.iter().map(|topic| protocol::Ask { topic, keys: None }).collect();
        let topics = Mutex::new(&mut live.topics);
        let failed = self
            .ask(&asks, false, scope, |i, configs| {
                if let Some(t) = topics.lock().unwrap().get_mut(asks[i].topic) {
                    t.configs = configs;
                }
            })
            .await?;
        for (i, f) in failed {
            unknown.push(settle(asks[i].topic.to_owned(), f)?);
        }
        drop(asks);
        drop(names);

        let topics = topics.into_inner().unwrap();
        let fallbacks: Vec<(String, Vec<String>)> = topics
            .iter()
            .filter_map(|(name, t)| {
                let keys: Vec<String> =
                    t.overrides().filter(|(k, _)| scope.needs_fallback(name, k)).map(|(k, _)| k.to_owned()).collect();
                (!keys.is_empty()).then(|| (name.clone(), keys))
            })
            .collect();
        if fallbacks.is_empty() {
            return Ok(unknown);
        }
        let asks: Vec<protocol::Ask> =
            fallbacks.iter().map(|(topic, keys)| protocol::Ask { topic, keys: Some(keys) }).collect();
        let topics = Mutex::new(topics);
        let failed = self
            .ask(&asks, true, scope, |i, configs| {
                let mut topics = topics.lock().unwrap();
                let Some(t) = topics.get_mut(asks[i].topic) else { return };
                for (key, c) in configs {
                    if let Some(entry) = t.configs.get_mut(key.as_str()) {
                        entry.inherited = c.inherited;
                    }
                }
            })
            .await?;
        for (i, f) in failed {
            unknown.push(settle(asks[i].topic.to_owned(), f)?);
        }
        Ok(unknown)
    }

    /// `asks` (sorted by topic) in [`Chunks`], spread over one connection per broker: each takes the next
    /// chunk when it has its answer, and hands each topic's kept entries to `take` (with the topic's
    /// place in `asks`) as they come. A chunk whose broker fails goes back for another; so does a copy
    /// of one whose broker has not answered within [`hedge::patience`] (a frozen broker), for a broker
    /// that is idle or kept in reserve (every broker beyond those the chunks need waits, without a
    /// connection, until a chunk comes back), and the first answer counts. Done when every chunk is
    /// answered, whatever the silent brokers do; when every connection failed with chunks left, the
    /// [`hedge::worst`] failure. Returns the topics the brokers answered with an error, in the order of
    /// `asks`.
    async fn ask(
        &self,
        asks: &[protocol::Ask<'_>],
        synonyms: bool,
        scope: &Scope,
        take: impl Fn(usize, Configs),
    ) -> Result<Vec<(usize, protocol::Failure)>, protocol::Failure> {
        if asks.is_empty() {
            return Ok(Vec::new());
        }
        // Locked only between awaits, never across one.
        let state = Mutex::new(Spread {
            chunks: Chunks::new(asks, CONFIGS_GUESS, DESCRIBE_CHUNK),
            answered: std::collections::BTreeSet::new(),
            items: 0,
            lost: 0,
        });
        let done = tokio::sync::Notify::new();
        let failed: Mutex<Vec<(usize, protocol::Failure)>> = Mutex::new(Vec::new());
        let first = asks.len().div_ceil(state.lock().unwrap().chunks.size());
        let start = |chunk: &[protocol::Ask<'_>]| chunk.as_ptr() as usize;
        let workers = self.brokers.iter().enumerate().map(|(n, broker)| {
            let (state, failed, take, done) = (&state, &failed, &take, &done);
            async move {
                // In reserve: waits for a chunk to come back before it connects.
                if n >= first {
                    loop {
                        {
                            let s = state.lock().unwrap();
                            if s.items == asks.len() {
                                return Ok(());
                            }
                            if !s.chunks.again.is_empty() || s.lost > 0 {
                                break;
                            }
                        }
                        tokio::time::sleep(IDLE).await;
                    }
                }
                // A frozen broker may accept the connection and never finish TLS or SASL: bounded, and
                // a reserve broker takes over.
                let timeout = self.admin.request_timeout().min(2 * hedge::patience(self.admin.request_timeout()));
                let mut conn = match protocol::open(&protocol::Target::new(broker, self.security, timeout)).await {
                    Ok(conn) => conn,
                    Err(f) => {
                        state.lock().unwrap().lost += 1;
                        return Err((broker.clone(), f));
                    }
                };
                loop {
                    let next = {
                        let mut s = state.lock().unwrap();
                        if s.items == asks.len() {
                            return Ok(());
                        }
                        match s.chunks.next() {
                            Some(chunk) if s.answered.contains(&start(chunk)) => continue,
                            next => next,
                        }
                    };
                    let Some(chunk) = next else {
                        // Idle while another broker's chunk may still come back.
                        tokio::time::sleep(IDLE).await;
                        continue;
                    };
                    self.admin.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let timeout = self.admin.request_timeout();
                    let answer = {
                        let request =
                            protocol::describe_topic_configs(&mut conn, timeout, self.version, chunk, synonyms);
                        tokio::pin!(request);
                        tokio::select! {
                            answer = &mut request => answer,
                            _ = tokio::time::sleep(hedge::patience(timeout)) => {
                                // Silent so far: another broker gets a copy; this one still may answer.
                                {
                                    let mut s = state.lock().unwrap();
                                    if !s.answered.contains(&start(chunk)) {
                                        s.chunks.again.push_back(chunk);
                                    }
                                }
                                let answer = request.await;
                                self.admin.hung.lock().unwrap().insert(broker.clone());
                                answer
                            }
                        }
                    };
                    let size = conn.last_size();
                    match answer {
                        Ok(response) => {
                            {
                                let mut s = state.lock().unwrap();
                                if !s.answered.insert(start(chunk)) {
                                    continue;
                                }
                                s.chunks.answered(chunk.len(), size);
                            }
                            self.admin.answered.fetch_add(size, std::sync::atomic::Ordering::Relaxed);
                            for (i, answer) in kept(response, synonyms, scope, asks) {
                                match answer {
                                    Ok(configs) => take(i, configs),
                                    Err(f) => failed.lock().unwrap().push((i, f)),
                                }
                            }
                            let mut s = state.lock().unwrap();
                            s.items += chunk.len();
                            if s.items == asks.len() {
                                done.notify_one();
                            }
                        }
                        Err(f) => {
                            let mut s = state.lock().unwrap();
                            if !s.answered.contains(&start(chunk)) {
                                s.chunks.again.push_back(chunk);
                            }
                            s.lost += 1;
                            return Err((broker.clone(), f));
                        }
                    }
                }
            }
        });
        let workers = futures_util::future::join_all(workers);
        let outcomes: Vec<Result<(), (String, protocol::Failure)>> = tokio::select! {
            outcomes = workers => outcomes,
            _ = done.notified() => Vec::new(),
        };
        if state.into_inner().unwrap().items < asks.len() {
            return Err(hedge::worst(outcomes.into_iter().filter_map(Result::err).collect()));
        }
        let mut failed = failed.into_inner().unwrap();
        failed.sort_unstable_by_key(|(i, _)| *i);
        failed.dedup_by_key(|(i, _)| *i);
        Ok(failed)
    }
}

/// What the brokers asking DescribeConfigs share: the chunks still to hand out, the chunks answered (by
/// where they start), how many topics those hold, and how many brokers failed (a broker in reserve then
/// takes over).
struct Spread<'a, 'b> {
    chunks: Chunks<'a, protocol::Ask<'b>>,
    answered: std::collections::BTreeSet<usize>,
    items: usize,
    lost: usize,
}

/// How often a broker with nothing to ask looks for a chunk that came back.
const IDLE: std::time::Duration = std::time::Duration::from_millis(20);

/// What a topic's DescribeConfigs answer is taken to weigh before an answer tells: a little more than a
/// 4.x topic's 33 entries without synonyms (1,358 bytes with a 13-character name), so that the first
/// requests hold 256 topics (a cluster of a few hundred is asked in one request).
const CONFIGS_GUESS: usize = 1536;

/// What a topic's Metadata answer is taken to weigh before an answer tells: a topic of about four
/// partitions of three replicas (a 13-character name with three partitions of one replica is 68 bytes).
const METADATA_GUESS: usize = 256;

/// Topics per Metadata request, at most.
const METADATA_CHUNK: usize = 5000;

/// Items (topics) not yet asked about, handed out in chunks that keep each answer under
/// [`ANSWER_BYTES`], going by what the answers so far weighed per item (before any, `guess`), and of at
/// most `most` items.
struct Chunks<'a, T> {
    rest: &'a [T],
    /// Chunks whose broker failed, handed out again first.
    again: VecDeque<&'a [T]>,
    guess: usize,
    most: usize,
    /// Bytes and items answered so far.
    bytes: usize,
    items: usize,
}

impl<'a, T> Chunks<'a, T> {
    fn new(items: &'a [T], guess: usize, most: usize) -> Self {
        Chunks { rest: items, again: VecDeque::new(), guess, most, bytes: 0, items: 0 }
    }

    /// How many items the next chunk holds (unless fewer are left).
    fn size(&self) -> usize {
        let per_item = if self.items == 0 { self.guess } else { self.bytes.div_ceil(self.items) };
        (ANSWER_BYTES / per_item.max(1)).clamp(1, self.most)
    }

    fn next(&mut self) -> Option<&'a [T]> {
        if let Some(chunk) = self.again.pop_front() {
            return Some(chunk);
        }
        if self.rest.is_empty() {
            return None;
        }
        let (chunk, rest) = self.rest.split_at(self.size().min(self.rest.len()));
        self.rest = rest;
        Some(chunk)
    }

    /// A chunk of `items` was answered in `bytes`.
    fn answered(&mut self, items: usize, bytes: usize) {
        self.items += items;
        self.bytes += bytes;
    }

    /// Whether every item was handed out and none is to be asked again.
    #[cfg(test)]
    fn is_done(&self) -> bool {
        self.rest.is_empty() && self.again.is_empty()
    }
}

/// What the scope needs of one DescribeConfigs answer to `asks` (sorted by topic), by the place of each
/// topic in them; the rest is dropped with the answer, and so is a result for a topic not asked.
fn kept(response: DescribeConfigsResponse, synonyms: bool, scope: &Scope, asks: &[protocol::Ask<'_>]) -> Vec<Answer> {
    response
        .results
        .into_iter()
        .filter_map(|r| {
            let topic: &str = &r.resource_name;
            let at = asks.binary_search_by(|a| a.topic.cmp(topic)).ok()?;
            if r.error_code != 0 {
                let message = r.error_message.map(|m| m.to_string()).unwrap_or_default();
                return Some((at, Err(protocol::failure_with(r.error_code, message))));
            }
            let keeping = scope.keeping(topic);
            let configs = r
                .configs
                .into_iter()
                .filter_map(|e| {
                    let source = config_source(i32::from(e.config_source));
                    if !keeping.keeps(&e.name, source == ConfigSource::TopicOverride) {
                        return None;
                    }
                    // A broker does not return a secret's value; should one, it is not kept either.
                    let shown = !e.is_sensitive;
                    let inherited = (synonyms && source == ConfigSource::TopicOverride)
                        .then(|| {
                            e.synonyms
                                .iter()
                                .find(|s| config_source(i32::from(s.source)) != ConfigSource::TopicOverride)
                        })
                        .flatten()
                        .map(|s| Effective {
                            value: s.value.as_deref().filter(|_| shown).map(|v| in_topic_units(&e.name, &s.name, v)),
                            source: config_source(i32::from(s.source)),
                        });
                    let config = LiveConfig {
                        value: e.value.filter(|_| shown).map(|v| CompactString::from(&*v)),
                        source,
                        read_only: e.read_only,
                        sensitive: e.is_sensitive,
                        inherited: inherited.map(Box::new),
                    };
                    Some((CompactString::from(&*e.name), config))
                })
                .collect();
            Some((at, Ok(crate::live::tight(configs))))
        })
        .collect()
}

/// A topic's DescribeConfigs error: the topic, when the broker does not know it (deleted since the
/// Metadata request, or not yet known to that broker); any other error fails the describe.
fn settle(topic: String, f: protocol::Failure) -> Result<String, protocol::Failure> {
    if f.code == ErrorCode::UnknownTopicOrPartition {
        Ok(topic)
    } else {
        Err(protocol::Failure { message: format!("topic `{topic}`: {}", f.message), ..f })
    }
}

/// Topics per DescribeConfigs request through librdkafka, which asks for synonyms: they triple a
/// topic's answer, so that [`ANSWER_BYTES`] holds about three times fewer topics than without.
const LIBRDKAFKA_CHUNK: usize = ANSWER_BYTES / (3 * CONFIGS_GUESS);

/// DescribeConfigs through librdkafka: one request per [`LIBRDKAFKA_CHUNK`] topics, all in flight at
/// once (librdkafka sends them to one broker), every entry with its synonyms, narrowed to the scope
/// afterwards.
async fn by_librdkafka(admin: &KafkaAdmin, scope: &Scope, live: &mut Live) -> Result<(), Error> {
    let names: Vec<String> = live.topics.keys().cloned().collect();
    let requests = names.chunks(LIBRDKAFKA_CHUNK).map(|chunk| {
        let chunk = chunk.to_vec();
        admin.blocking(move |client, timeout| {
            let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
            librdkafka::describe_configs(client, librdkafka::Resource::Topic, &refs, timeout)
        })
    });
    for outcome in futures_util::future::join_all(requests).await {
        let results = outcome.map_err(|e| admin.request_error("DescribeConfigs", e))?;
        for (topic, result) in results {
            match result {
                Ok(entries) => {
                    let Some(t) = live.topics.get_mut(&topic) else { continue };
                    t.configs = entries.into_iter().map(live_config).collect();
                    scope.narrow(&topic, t);
                }
                // Deleted since the Metadata request: it is simply not there.
                Err(e) if e.raw == librdkafka::UNKNOWN_TOPIC_OR_PART => {
                    live.topics.remove(&topic);
                }
                Err(e) => return Err(admin.topic_error("DescribeConfigs", &topic, e)),
            }
        }
    }
    Ok(())
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

/// The highest version of each API the brokers support, from the ApiVersions answer of the first
/// bootstrap server that answers: the release they run (see [`crate::catalog::fingerprint`]) and the
/// DescribeConfigs version to speak. `None` when topicform cannot make such a connection (OAUTHBEARER,
/// GSSAPI).
async fn api_versions(admin: &KafkaAdmin) -> Option<BTreeMap<i16, i16>> {
    let security = admin.security.as_ref().ok()?;
    let servers: Vec<String> = admin.bootstrap.split(',').map(str::to_owned).collect();
    let asked = hedge::first(admin, servers, |server| async move {
        admin.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        protocol::api_versions(&protocol::Target::new(&server, security, admin.request_timeout())).await
    })
    .await;
    asked.ok().map(|(_, versions)| versions)
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

/// Why the first bootstrap server did not answer, from what answers there (see [`probe`]), within
/// [`PROBE_BUDGET`]. Started while the other servers are asked, it is done by the deadline unless the
/// deadline is shorter than a patience and the budget: then it adds that much to it, at most.
async fn door(admin: &KafkaAdmin) -> Option<String> {
    let first = admin.bootstrap.split(',').map(str::trim).find(|s| !s.is_empty())?;
    probe::cause(first, probe::knock(first, PROBE_BUDGET).await, &admin.protocol)
}

/// How long the probe of a bootstrap server that did not answer may take, past the deadline at most:
/// a TLS listener asked in plain text, an HTTP server or ZooKeeper answers a probe within milliseconds
/// on a network where Kafka works at all. README's bound on `--timeout` counts it.
pub(super) const PROBE_BUDGET: std::time::Duration = std::time::Duration::from_secs(1);

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

fn live_config(e: librdkafka::Entry) -> (CompactString, LiveConfig) {
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
    let config = LiveConfig {
        value: hide(e.value).map(CompactString::from),
        source,
        read_only: e.read_only,
        sensitive: e.sensitive,
        inherited: inherited.map(Box::new),
    };
    (e.name.into(), config)
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
    use kafka_protocol::messages::metadata_response::{
        MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
    };
    use kafka_protocol::messages::{BrokerId, MetadataResponse, TopicName};
    use kafka_protocol::protocol::StrBytes;

    use super::*;

    fn topic(name: &str, error_code: i16, partitions: &[(i32, i32, &[i32])]) -> MetadataResponseTopic {
        let mut t = MetadataResponseTopic::default();
        t.name = Some(TopicName(StrBytes::from_string(name.to_owned())));
        t.error_code = error_code;
        t.partitions = partitions
            .iter()
            .map(|&(id, leader, replicas)| {
                let mut p = MetadataResponsePartition::default();
                p.partition_index = id;
                p.leader_id = BrokerId(leader);
                p.replica_nodes = replicas.iter().map(|&b| BrokerId(b)).collect();
                p.isr_nodes = p.replica_nodes.clone();
                p
            })
            .collect();
        t
    }

    /// One Metadata answer into the live cluster: brokers with racks, the controller's address, the
    /// partitions in order, leaderless ones without a leader; unknown, internal and out-of-scope topics
    /// left out; a topic the client may not describe fails the describe.
    #[test]
    fn a_metadata_answer() {
        let mut response = MetadataResponse::default();
        response.cluster_id = Some(StrBytes::from_static_str("c1"));
        response.controller_id = BrokerId(2);
        response.brokers = [(1, "a", Some("r1")), (2, "b", None)]
            .into_iter()
            .map(|(id, host, rack)| {
                let mut b = MetadataResponseBroker::default();
                b.node_id = BrokerId(id);
                b.host = StrBytes::from_static_str(host);
                b.port = 9092;
                b.rack = rack.map(StrBytes::from_static_str);
                b
            })
            .collect();
        response.topics = vec![
            topic("orders", 0, &[(1, -1, &[2, 1]), (0, 1, &[1, 2])]),
            topic("gone", 3, &[]),
            topic("__consumer_offsets", 0, &[(0, 1, &[1])]),
            topic("other", 0, &[(0, 1, &[1])]),
        ];
        let scope = Scope::new(["orders".to_owned(), "gone".to_owned()], &[], &[]).unwrap();
        let versions = BTreeMap::from([(3, 12), (32, 4)]);
        let first = first_of(&scope, versions.clone(), response.clone()).unwrap();
        assert_eq!(first.controller.as_deref(), Some("b:9092"));
        assert_eq!(first.live.cluster.id.as_deref(), Some("c1"));
        assert_eq!(first.live.brokers[&1].rack.as_deref(), Some("r1"));
        assert_eq!(first.live.topics.keys().collect::<Vec<_>>(), ["orders"]);
        let partitions = &first.live.topics["orders"].partitions;
        assert_eq!(partitions.iter().map(|p| (p.id, p.leader)).collect::<Vec<_>>(), [(0, Some(1)), (1, None)]);
        assert_eq!(partitions[1].replicas, [2, 1]);

        response.topics.push(topic("orders", 29, &[]));
        let refused = first_of(&scope, versions, response).err().unwrap();
        assert!(matches!(refused, Error::Topic { code: ErrorCode::TopicAuthorizationFailed, .. }), "{refused:?}");
    }

    /// librdkafka's admin requests go to the controller the answer named, unless it was seen silent;
    /// then to the broker that answered.
    #[test]
    fn librdkafka_is_pointed_at_a_broker_that_answers() {
        let mut live = Live::default();
        for (id, host) in [(1, "a"), (2, "b"), (3, "c")] {
            live.brokers.insert(id, Broker { id, host: host.into(), port: 9092, rack: None });
        }
        let first = First { live, versions: None, controller: Some("a:9092".into()) };
        let none = std::collections::BTreeSet::new();
        let hung: std::collections::BTreeSet<String> = ["a:9092".to_owned()].into();
        assert_eq!(via(&first, "b:9092", &none), Some(1), "the controller, as librdkafka would");
        assert_eq!(via(&first, "b:9092", &hung), Some(2), "the frozen controller is passed over");
        assert_eq!(via(&first, "elsewhere:1", &hung), None, "an address no broker has: librdkafka decides");
    }

    /// Brokers agree on a topic when every one lists it with the same partition count, or none does.
    #[test]
    fn brokers_disagree_while_one_lags() {
        let v = |pairs: &[(&str, usize)]| pairs.iter().map(|(n, p)| (n.to_string(), *p)).collect();
        let topics: Vec<String> = ["created", "deleted", "grown", "settled", "absent"].map(str::to_owned).into();
        let views: Vec<BTreeMap<String, usize>> = vec![
            v(&[("created", 1), ("deleted", 1), ("grown", 3), ("settled", 2)]),
            v(&[("grown", 6), ("settled", 2)]),
            v(&[("created", 1), ("grown", 6), ("settled", 2)]),
        ];
        assert_eq!(disagreeing(&topics, &views), ["created", "deleted", "grown"]);
        assert!(disagreeing(&topics, &views[..1]).is_empty(), "one view agrees with itself");
        assert!(disagreeing(&topics, &[]).is_empty());
    }

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

    /// One DescribeConfigs answer, in the broker's order: each topic found by its place in the asks, a
    /// topic not asked dropped, a topic's error carried, the entries narrowed to what the scope keeps,
    /// and a sensitive value never kept.
    #[test]
    fn a_describe_configs_answer_is_kept_by_place() {
        use kafka_protocol::messages::describe_configs_response::{
            DescribeConfigsResourceResult, DescribeConfigsResult,
        };
        let entry = |name: &'static str, value: &'static str, source: i8, sensitive: bool| {
            let mut e = DescribeConfigsResourceResult::default();
            e.name = StrBytes::from_static_str(name);
            e.value = Some(StrBytes::from_static_str(value));
            e.config_source = source;
            e.is_sensitive = sensitive;
            e
        };
        let result = |topic: &'static str, error: i16, configs| {
            let mut r = DescribeConfigsResult::default();
            r.resource_name = StrBytes::from_static_str(topic);
            r.error_code = error;
            r.configs = configs;
            r
        };
        const OVERRIDE: i8 = 1;
        const DEFAULT: i8 = 5;
        let mut response = DescribeConfigsResponse::default();
        response.results = vec![
            result("c", 0, vec![entry("segment.ms", "1", DEFAULT, false)]),
            result(
                "a",
                0,
                vec![
                    entry("retention.ms", "7", OVERRIDE, false),
                    entry("segment.ms", "2", DEFAULT, false),
                    entry("x.secret", "s3cr3t", OVERRIDE, true),
                ],
            ),
            result("not.asked", 0, vec![entry("retention.ms", "1", OVERRIDE, false)]),
            result("b", 3, vec![]),
        ];
        let asks: Vec<protocol::Ask> =
            ["a", "b", "c"].iter().map(|topic| protocol::Ask { topic, keys: None }).collect();
        let scope = Scope::new(["a", "b", "c"].map(str::to_owned), &[], &[])
            .unwrap()
            .declaring(BTreeMap::from([("a".to_owned(), vec!["retention.ms".to_owned()])]));
        let answers = kept(response, false, &scope, &asks);
        assert_eq!(answers.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [2, 0, 1], "by place, `not.asked` dropped");
        assert!(answers[0].1.as_ref().unwrap().is_empty(), "a default nobody declares is not kept");
        let a = answers[1].1.as_ref().unwrap();
        assert_eq!(a.keys().map(|k| k.as_str()).collect::<Vec<_>>(), ["retention.ms", "x.secret"]);
        assert_eq!(a.get("retention.ms").unwrap().value.as_deref(), Some("7"));
        assert_eq!(a.get("x.secret").unwrap().value, None, "a sensitive value is never kept");
        let failure = answers[2].1.as_ref().unwrap_err();
        assert_eq!(failure.code, ErrorCode::UnknownTopicOrPartition);
    }

    #[test]
    fn chunks_keep_answers_under_the_humongous_threshold() {
        let names: Vec<String> = (0..1000).map(|i| format!("t{i}")).collect();
        let size = |bytes, items| Chunks { bytes, items, ..Chunks::new(&names, CONFIGS_GUESS, DESCRIBE_CHUNK) }.size();
        // Before any answer: the guess.
        assert_eq!(size(0, 0), ANSWER_BYTES / CONFIGS_GUESS);
        // 4.4.0's 1,358 bytes a topic: 289 topics, 392,000 bytes.
        assert_eq!(size(1358 * 100, 100), 289);
        // Never more than the most (small answers), never none (a huge one).
        assert_eq!(size(10, 100), DESCRIBE_CHUNK);
        assert_eq!(size(ANSWER_BYTES * 4, 1), 1);

        let mut chunks = Chunks::new(&names, CONFIGS_GUESS, DESCRIBE_CHUNK);
        let first = chunks.next().unwrap();
        assert_eq!(first.len(), ANSWER_BYTES / CONFIGS_GUESS);
        // Answers of 4,000 bytes a topic make the next chunk smaller; one whose broker failed goes
        // out again first.
        chunks.answered(first.len(), first.len() * 4000);
        let second = chunks.next().unwrap();
        assert_eq!(second.len(), ANSWER_BYTES / 4000);
        assert_eq!(second[0], names[first.len()]);
        chunks.again.push_back(second);
        assert!(!chunks.is_done());
        assert_eq!(chunks.next().unwrap()[0], second[0]);
        // Every topic is handed out once, in order, and then none.
        let mut seen = first.len() + second.len();
        while let Some(chunk) = chunks.next() {
            assert_eq!(chunk[0], names[seen]);
            seen += chunk.len();
        }
        assert_eq!(seen, names.len());
        assert!(chunks.is_done());
        assert!(Chunks::new(&names[..0], METADATA_GUESS, METADATA_CHUNK).next().is_none());
    }
}
