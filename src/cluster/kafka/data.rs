//! Facts about topics' data (size on disk, offsets, last write, consumer groups and their commits),
//! sent with the `kafka-protocol` crate over topicform's own connections: rdkafka 0.39 wraps none of
//! ListOffsets, DescribeLogDirs, ListGroups or OffsetFetch as batched admin calls (only per-partition
//! consumer calls), and librdkafka's C admin API lacks DescribeLogDirs, so every one of these would need
//! its own FFI, results and routing; one connection per broker carrying them all is fewer round trips.
//!
//! One connection to each broker, all brokers at once, each carrying a fixed handful of requests
//! whatever the number of topics: ApiVersions (to choose versions), DescribeLogDirs (its replicas'
//! sizes), ListOffsets for the partitions it leads (earliest, latest, max timestamp when the broker has
//! it (Kafka 3.0, ListOffsets v7), and the retention-cut timestamps when asked), ListGroups (the groups
//! it coordinates), OffsetFetch for those groups (one request for all of them from Kafka 3.0,
//! OffsetFetch v8; one per group before), and for the groups with members a describe from the same
//! coordinator: DescribeGroups for classic groups (each member's subscription and assignment, decoded
//! as the `consumer` protocol), ConsumerGroupDescribe for KIP-848 groups (Kafka 4.0) and
//! ShareGroupDescribe for KIP-932 share groups (the members' subscribed and assigned topics). A group
//! reads a topic when it committed on it or a member subscribes to it or is assigned it: members that
//! commit by hand, or not yet, are seen too. A group with members whose reads cannot be told (a
//! protocol other than `consumer`, such as Connect's, a streams group, an assignment that does not
//! decode) makes the groups of every asked topic unknown, never none; so does a group coordinator
//! nobody reaches (a `__consumer_offsets` partition without a live leader, whose groups no broker
//! lists), which one broker's Metadata of that topic shows. That is at most 11 requests a broker
//! (ApiVersions, DescribeLogDirs, 4 ListOffsets, ListGroups, OffsetFetch, and the 3 describes) and the
//! one Metadata, plus one OffsetFetch per 500 more groups and one describe per 100 more groups with
//! members; a describe only when a group of its kind has members, and nothing at all when no change
//! touches data.
//!
//! A refusal is a fact that is not known, never a failure: `unknown (not authorised)`. A size is summed
//! over every replica the metadata lists: a replica whose broker is down, not in the metadata or did not
//! answer makes it unknown ("at least N B"), never a smaller number. Retriable errors (a coordinator
//! loading or moving, a leader moving, a connection reset, a timed-out attempt) ask every broker again,
//! after the delays of [`retry_delay`], while the command's deadline leaves time.
//!
//! ListGroups lists every group only to a principal with Describe on the cluster, which DescribeLogDirs
//! needs as well; any other principal sees just the groups it may describe, so without cluster access
//! the group list is called not known rather than shown incomplete.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::{Buf, Bytes};

use kafka_protocol::messages::describe_log_dirs_request::DescribableLogDirTopic;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, BrokerId, ConsumerGroupDescribeRequest,
    ConsumerGroupDescribeResponse, ConsumerProtocolAssignment, ConsumerProtocolSubscription, DescribeGroupsRequest,
    DescribeGroupsResponse, DescribeLogDirsRequest, DescribeLogDirsResponse, GroupId, ListGroupsRequest,
    ListGroupsResponse, ListOffsetsRequest, ListOffsetsResponse, OffsetFetchRequest, OffsetFetchResponse,
    ShareGroupDescribeRequest, ShareGroupDescribeResponse, TopicName,
};
use kafka_protocol::protocol::{Decodable, StrBytes};

use super::KafkaAdmin;
use super::connection::Connection;
use super::protocol::{self, Failure};
use crate::cluster::ErrorCode;
use crate::live::{BrokerSizes, DataQuery, GroupAnswer, Live, PartitionOffsets, TopicData, Unknown};

/// ListOffsets' special timestamps.
const EARLIEST: i64 = -2;
const LATEST: i64 = -1;
const MAX_TIMESTAMP: i64 = -3;

/// Groups per OffsetFetch request.
const GROUP_CHUNK: usize = 500;

/// A partition of a topic.
type Partition = (String, i32);

/// ListOffsets' answer: each partition's (offset, timestamp), or why not.
type Listed = BTreeMap<Partition, Result<(i64, i64), Unknown>>;

/// What one broker answered.
#[derive(Default)]
struct Answers {
    /// DescribeLogDirs: the bytes of this broker's replica of each partition.
    sizes: Option<Result<BTreeMap<Partition, u64>, Unknown>>,
    /// ListOffsets by spec: each partition's (offset, timestamp), or why not.
    offsets: BTreeMap<&'static str, Listed>,
    /// ListGroups, OffsetFetch and the describes: each group's state, commits on the asked topics and
    /// readers, or why not.
    groups: Option<Result<Vec<GroupAnswer>, Unknown>>,
    /// Metadata of `__consumer_offsets` (asked of one broker): whether every group has a coordinator
    /// among the brokers asked, since the groups of a partition without one are listed by no broker.
    coordinators: Option<Result<(), Unknown>>,
    /// The first retriable error an answer carried: asking again may do better.
    retriable: Option<ErrorCode>,
}

impl Answers {
    /// `f` as a fact that is not known, noting whether asking again may do better.
    fn unknown(&mut self, admin: &KafkaAdmin, f: &Failure) -> Unknown {
        if is_retriable(&f.code) && self.retriable.is_none() {
            self.retriable = Some(f.code.clone());
        }
        why(admin, f)
    }
}

/// The errors of the data requests that asking again may cure: a group coordinator loading, moving or
/// away, a partition leader moving, an attempt that timed out, a connection that failed.
fn is_retriable(code: &ErrorCode) -> bool {
    matches!(
        code.name(),
        "COORDINATOR_LOAD_IN_PROGRESS"
            | "COORDINATOR_NOT_AVAILABLE"
            | "NOT_COORDINATOR"
            | "NOT_LEADER_OR_FOLLOWER"
            | "LEADER_NOT_AVAILABLE"
            | "OFFSET_NOT_AVAILABLE"
            | "REQUEST_TIMED_OUT"
            | "NETWORK_EXCEPTION"
            | "_TIMED_OUT"
            | "_TRANSPORT"
    )
}

/// How long to wait before asking again after attempt `attempt` (0-based) met `code`, or `None` to keep
/// the answers as they are: a coordinator or a leader settles within seconds (about 3.75 s in all), and
/// an attempt that timed out or lost its connection is tried once more, since each may take a whole
/// request timeout. Pure, like [`crate::apply::retry`]'s policy.
pub fn retry_delay(code: &ErrorCode, attempt: u32) -> Option<Duration> {
    const DELAYS_MS: [u64; 5] = [250, 500, 1000, 1000, 1000];
    if !is_retriable(code) {
        return None;
    }
    let tries = if code.is_timeout() || matches!(code.name(), "_TRANSPORT" | "NETWORK_EXCEPTION") { 1 } else { 5 };
    DELAYS_MS.get(attempt as usize).filter(|_| attempt < tries).map(|&ms| Duration::from_millis(ms))
}

/// Gathers the facts of `query`'s topics from every broker of `live`.
pub(super) async fn data(admin: &KafkaAdmin, live: &Live, query: &DataQuery) -> BTreeMap<String, TopicData> {
    if query.topics.is_empty() {
        return BTreeMap::new();
    }
    let security = match &admin.security {
        Ok(s) => s.clone(),
        Err(message) => {
            let why = Unknown::Failed(admin.redact(message));
            return query.topics.keys().map(|t| (t.clone(), TopicData::unknown(why.clone()))).collect();
        }
    };
    // The partitions each broker leads, of the asked topics.
    let mut led: BTreeMap<i32, Vec<(String, i32)>> = BTreeMap::new();
    let mut leaderless: BTreeSet<&str> = BTreeSet::new();
    for topic in query.topics.keys() {
        for p in live.topics.get(topic).map(|t| t.partitions.as_slice()).unwrap_or_default() {
            match p.leader {
                Some(l) => led.entry(l).or_default().push((topic.clone(), p.id)),
                None => {
                    leaderless.insert(topic);
                }
            }
        }
    }
    let partitions: BTreeMap<String, Vec<i32>> = query
        .topics
        .keys()
        .filter_map(|t| live.topics.get(t).map(|lt| (t.clone(), lt.partitions.iter().map(|p| p.id).collect())))
        .collect();
    let partitions = &partitions;
    let asked: BTreeSet<i32> = live.brokers.keys().copied().collect();
    let asked = &asked;
    let first = asked.first().copied();
    let mut attempt = 0;
    let answered = loop {
        let per_broker = live.brokers.values().map(|b| {
            let target = protocol::Target::new(&format!("{}:{}", b.host, b.port), &security, admin.request_timeout());
            let led_here = led.get(&b.id).cloned().unwrap_or_default();
            // One broker's metadata is enough to know whether every group has a coordinator.
            let coordinators_of = (Some(b.id) == first).then_some(asked);
            async move {
                let work = ask(admin, &target, query, partitions, &led_here, coordinators_of);
                let answers = protocol::within(target.timeout, &target.broker, work).await;
                (b.id, answers)
            }
        });
        let answered: Answered = futures_util::future::join_all(per_broker).await;
        // Every broker again: a group that moved to another coordinator is listed by that one now.
        let retriable = answered.iter().find_map(|(_, a)| match a {
            Err(f) => is_retriable(&f.code).then(|| f.code.clone()),
            Ok(a) => a.retriable.clone(),
        });
        let delay = retriable.as_ref().and_then(|code| retry_delay(code, attempt));
        match delay {
            Some(delay) if admin.has_time_for(delay) => {
                attempt += 1;
                admin.note(&format!("asking again for data facts in {} ms: {}", delay.as_millis(), retriable.unwrap()));
                tokio::time::sleep(delay).await;
            }
            _ => break answered,
        }
    };
    let leaders: BTreeMap<(String, i32), i32> =
        led.iter().flat_map(|(b, ps)| ps.iter().map(|p| (p.clone(), *b))).collect();
    let mut out = BTreeMap::new();
    for (topic, cut) in &query.topics {
        let Some(live_topic) = live.topics.get(topic) else {
            out.insert(topic.clone(), TopicData::unknown(Unknown::Failed("the topic does not exist".into())));
            continue;
        };
        out.insert(
            topic.clone(),
            assemble(
                admin,
                topic,
                &live_topic.partitions,
                cut.is_some(),
                &leaders,
                &answered,
                leaderless.contains(topic.as_str()),
            ),
        );
    }
    out
}

type Answered = Vec<(i32, Result<Answers, Failure>)>;

fn why(admin: &KafkaAdmin, f: &Failure) -> Unknown {
    if f.code.name().ends_with("AUTHORIZATION_FAILED") {
        Unknown::NotAuthorised
    } else {
        Unknown::Failed(admin.redact(format!("{}: {}", f.code, f.message).trim_end_matches(": ")))
    }
}

fn assemble(
    admin: &KafkaAdmin,
    topic: &str,
    partitions: &[crate::live::LivePartition],
    cut: bool,
    leaders: &BTreeMap<(String, i32), i32>,
    answered: &Answered,
    leaderless: bool,
) -> TopicData {
    let by_broker: BTreeMap<i32, &Result<Answers, Failure>> = answered.iter().map(|(b, a)| (*b, a)).collect();
    let key = |p: i32| (topic.to_owned(), p);
    let ids: Vec<i32> = partitions.iter().map(|p| p.id).collect();
    let ids = ids.as_slice();

    // Sizes: every replica the metadata lists, from its broker; the leader's share from the leader.
    let size_answers: BTreeMap<i32, BrokerSizes> = by_broker
        .iter()
        .map(|(broker, answers)| {
            let sizes = match answers {
                Err(f) => Err(why(admin, f)),
                Ok(Answers { sizes: Some(sizes), .. }) => sizes.clone(),
                Ok(_) => Err(Unknown::Failed("no DescribeLogDirs answer".into())),
            };
            (*broker, sizes)
        })
        .collect();
    let sizes = crate::live::sum_sizes(topic, partitions, &size_answers);

    // Offsets and last write: from each partition's leader.
    let lookup = |spec: &'static str, p: i32| -> Result<(i64, i64), Unknown> {
        if leaderless {
            return Err(Unknown::Failed("a partition has no leader".into()));
        }
        let broker = leaders.get(&key(p)).ok_or_else(|| Unknown::Failed("a partition has no leader".into()))?;
        let answers = by_broker
            .get(broker)
            .ok_or_else(|| Unknown::Failed(format!("broker {broker} is not known")))?
            .as_ref()
            .map_err(|f| why(admin, f))?;
        answers
            .offsets
            .get(spec)
            .and_then(|m| m.get(&key(p)))
            .cloned()
            .unwrap_or_else(|| Err(Unknown::Failed("no answer".into())))
    };
    let offsets = (|| {
        let mut out = BTreeMap::new();
        for p in ids {
            let earliest = lookup("earliest", *p)?.0;
            let latest = lookup("latest", *p)?.0;
            let at_cut = if cut {
                let (offset, _) = lookup("cut", *p)?;
                // No record at or after the timestamp: every record is older.
                Some(if offset < 0 { latest } else { offset })
            } else {
                None
            };
            out.insert(*p, PartitionOffsets { earliest, latest, at_cut });
        }
        Ok(out)
    })();
    let last_write = (|| {
        let mut newest: Option<i64> = None;
        for p in ids {
            let (offset, timestamp) = lookup("max", *p)?;
            if offset >= 0 && timestamp >= 0 {
                newest = Some(newest.map_or(timestamp, |n| n.max(timestamp)));
            }
        }
        Ok(newest)
    })();

    // Groups: every coordinator's groups that commit on the topic or whose members read it.
    let groups = (|| {
        let mut all = Vec::new();
        for answers in by_broker.values() {
            let answers = answers.as_ref().map_err(|f| why(admin, f))?;
            // The group list is complete only with cluster Describe, which DescribeLogDirs shows.
            if let Some(Err(Unknown::NotAuthorised)) = &answers.sizes {
                return Err(Unknown::NotAuthorised);
            }
            match &answers.groups {
                Some(Ok(groups)) => all.extend(groups.iter().cloned()),
                Some(Err(why)) => return Err(why.clone()),
                None => return Err(Unknown::Failed("no answer".into())),
            }
            if let Some(Err(why)) = &answers.coordinators {
                return Err(why.clone());
            }
        }
        crate::live::groups_reading(topic, &all)
    })();
    TopicData { sizes: sizes.into(), offsets: offsets.into(), last_write: last_write.into(), groups: groups.into() }
}

/// One broker's requests, on one connection.
async fn ask(
    admin: &KafkaAdmin,
    target: &protocol::Target,
    query: &DataQuery,
    partitions: &BTreeMap<String, Vec<i32>>,
    led: &[(String, i32)],
    coordinators_of: Option<&BTreeSet<i32>>,
) -> Result<Answers, Failure> {
    let count = || admin.requests.fetch_add(1, Ordering::Relaxed);
    let mut conn = Connection::open(target).await?;
    count();
    let versions: ApiVersionsResponse = conn.request(ApiKey::ApiVersions, 0, &ApiVersionsRequest::default()).await?;
    let max = |key: ApiKey| versions.api_keys.iter().find(|k| k.api_key == key as i16).map(|k| k.max_version);
    let mut answers = Answers::default();

    // DescribeLogDirs: this broker's replicas of the asked topics (every partition; it answers those it has).
    if let Some(v) = max(ApiKey::DescribeLogDirs).filter(|v| *v >= 1).map(|v| v.min(4)) {
        let mut request = DescribeLogDirsRequest::default();
        // Every partition of the topic, not only those this broker leads: followers hold replicas too.
        request.topics = Some(
            query
                .topics
                .keys()
                .map(|t| {
                    let mut d = DescribableLogDirTopic::default();
                    d.topic = TopicName(StrBytes::from_string(t.clone()));
                    d.partitions = partitions.get(t).cloned().unwrap_or_default();
                    d
                })
                .collect(),
        );
        count();
        let response: DescribeLogDirsResponse = conn.request(ApiKey::DescribeLogDirs, v, &request).await?;
        answers.sizes = Some(if response.error_code != 0 {
            Err(answers.unknown(admin, &protocol::failure_with(response.error_code, String::new())))
        } else if v < 3 && response.results.is_empty() {
            // Before v3 a refusal is an empty answer: a broker always has a log directory.
            Err(Unknown::NotAuthorised)
        } else {
            let mut found = BTreeMap::new();
            for dir in response.results.iter().filter(|d| d.error_code == 0) {
                for t in &dir.topics {
                    for p in t.partitions.iter().filter(|p| !p.is_future_key) {
                        *found.entry((t.name.0.to_string(), p.partition_index)).or_insert(0) +=
                            p.partition_size.max(0) as u64;
                    }
                }
            }
            Ok(found)
        });
    }

    // ListOffsets for the partitions it leads.
    let list_offsets = max(ApiKey::ListOffsets).filter(|v| *v >= 1).map(|v| v.min(7));
    if !led.is_empty() {
        let mut specs: Vec<(&'static str, Option<i64>)> = vec![("earliest", Some(EARLIEST)), ("latest", Some(LATEST))];
        specs.push(("max", list_offsets.filter(|v| *v >= 7).map(|_| MAX_TIMESTAMP)));
        if query.topics.values().any(Option::is_some) {
            // Each topic's own timestamp, set below; this one only says the spec is supported.
            specs.push(("cut", Some(0)));
        }
        for (spec, timestamp) in specs {
            let (Some(version), Some(timestamp)) = (list_offsets, timestamp) else {
                answers.offsets.insert(spec, led.iter().map(|p| (p.clone(), Err(Unknown::NotSupported))).collect());
                continue;
            };
            let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
            for (t, p) in led {
                // The cut timestamp is the topic's own; topics without one are not asked.
                if spec == "cut" && query.topics.get(t).is_none_or(Option::is_none) {
                    continue;
                }
                by_topic.entry(t).or_default().push(*p);
            }
            let mut request = ListOffsetsRequest::default();
            request.replica_id = BrokerId(-1);
            request.topics = by_topic
                .iter()
                .map(|(t, ps)| {
                    let ts = if spec == "cut" { query.topics[*t].unwrap_or(0) } else { timestamp };
                    let mut lt = ListOffsetsTopic::default();
                    lt.name = TopicName(StrBytes::from_string(t.to_string()));
                    lt.partitions = ps
                        .iter()
                        .map(|p| {
                            let mut lp = ListOffsetsPartition::default();
                            lp.partition_index = *p;
                            lp.current_leader_epoch = -1;
                            lp.timestamp = ts;
                            lp
                        })
                        .collect();
                    lt
                })
                .collect();
            if request.topics.is_empty() {
                continue;
            }
            count();
            let response: ListOffsetsResponse = conn.request(ApiKey::ListOffsets, version, &request).await?;
            let mut found = BTreeMap::new();
            for t in &response.topics {
                for p in &t.partitions {
                    let r = if p.error_code == 0 {
                        Ok((p.offset, p.timestamp))
                    } else {
                        let f = protocol::failure_with(p.error_code, String::new());
                        Err(if f.code == ErrorCode::Other("UNSUPPORTED_VERSION".into()) {
                            Unknown::NotSupported
                        } else {
                            answers.unknown(admin, &f)
                        })
                    };
                    found.insert((t.name.0.to_string(), p.partition_index), r);
                }
            }
            answers.offsets.insert(spec, found);
        }
    }

    // ListGroups (v4: with their state; v5: their type), OffsetFetch of the asked topics for every group
    // listed, then a describe of the groups with members.
    match max(ApiKey::ListGroups).filter(|v| *v >= 4) {
        None => answers.groups = Some(Err(Unknown::NotSupported)),
        Some(v) => {
            let v = v.min(5);
            count();
            let listed: ListGroupsResponse = conn.request(ApiKey::ListGroups, v, &ListGroupsRequest::default()).await?;
            answers.groups = Some(if listed.error_code != 0 {
                Err(answers.unknown(admin, &protocol::failure_with(listed.error_code, String::new())))
            } else {
                let listed: Vec<ListedGroup> = listed
                    .groups
                    .iter()
                    .map(|g| ListedGroup {
                        group: g.group_id.0.to_string(),
                        state: g.group_state.to_string(),
                        protocol_type: g.protocol_type.to_string(),
                        group_type: (v >= 5).then(|| g.group_type.to_string()),
                    })
                    .collect();
                let mut retriable = None;
                let commits = offset_fetch(
                    admin,
                    &mut conn,
                    max(ApiKey::OffsetFetch),
                    &listed,
                    partitions,
                    &count,
                    &mut retriable,
                )
                .await?;
                let wanted: BTreeSet<&str> = partitions.keys().map(String::as_str).collect();
                let describes =
                    (max(ApiKey::DescribeGroups), max(ApiKey::ConsumerGroupDescribe), max(ApiKey::ShareGroupDescribe));
                let readers = match commits {
                    Ok(_) => readers(admin, &mut conn, describes, &listed, &wanted, &count, &mut retriable).await?,
                    Err(_) => BTreeMap::new(),
                };
                if let Some(code) = retriable {
                    answers.retriable.get_or_insert(code);
                }
                commits.map(|mut commits| {
                    listed
                        .iter()
                        .map(|l| GroupAnswer {
                            group: l.group.clone(),
                            state: l.state.clone(),
                            committed: commits.remove(&l.group).unwrap_or_default(),
                            readers: readers.get(&l.group).cloned().unwrap_or_else(|| Ok(BTreeMap::new())),
                        })
                        .collect()
                })
            });
        }
    }
    // Metadata of `__consumer_offsets`: a partition without a leader among the brokers asked is a group
    // coordinator nobody reaches, and its groups are listed by no broker.
    if let Some(asked) = coordinators_of {
        answers.coordinators = Some(match protocol::metadata_version(max(ApiKey::Metadata)) {
            None => Err(Unknown::NotSupported),
            Some(v) => {
                count();
                let topic = vec![OFFSETS_TOPIC.to_owned()];
                match protocol::metadata(&mut conn, target.timeout, v, Some(topic)).await {
                    Err(f) => Err(answers.unknown(admin, &f)),
                    Ok(response) => {
                        let found = response
                            .topics
                            .iter()
                            .find(|t| t.name.as_ref().is_some_and(|n| n.0.as_str() == OFFSETS_TOPIC));
                        let (error, leaders) = found.map_or((0, Vec::new()), |t| {
                            (
                                t.error_code,
                                t.partitions.iter().map(|p| (p.partition_index, p.leader_id.0, p.error_code)).collect(),
                            )
                        });
                        coordinators(error, &leaders, asked).map_err(|(code, why)| match code {
                            Some(code) if code.name().ends_with("AUTHORIZATION_FAILED") => Unknown::NotAuthorised,
                            Some(code) if is_retriable(&code) => {
                                answers.retriable.get_or_insert(code);
                                Unknown::Failed(why)
                            }
                            _ => Unknown::Failed(why),
                        })
                    }
                }
            }
        });
    }
    Ok(answers)
}

/// The internal topic of the group coordinators: each group lives in one of its partitions, and that
/// partition's leader is the group's coordinator.
const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// Whether every group has a coordinator among the `asked` brokers, from the metadata of
/// `__consumer_offsets` (its error, and each partition's id, leader and error). A topic that does not
/// exist yet holds no group. Otherwise the error to retry on, if any, and what is not known.
fn coordinators(
    topic_error: i16,
    partitions: &[(i32, i32, i16)],
    asked: &BTreeSet<i32>,
) -> Result<(), (Option<ErrorCode>, String)> {
    if topic_error != 0 {
        let f = protocol::failure_with(topic_error, String::new());
        if f.code == ErrorCode::UnknownTopicOrPartition {
            return Ok(());
        }
        let why = format!("the group coordinators' topic `{OFFSETS_TOPIC}` cannot be described: {}", f.code);
        return Err((Some(f.code), why));
    }
    let orphans: Vec<String> = partitions
        .iter()
        .filter(|(_, leader, error)| *error != 0 || !asked.contains(leader))
        .map(|(p, _, _)| p.to_string())
        .collect();
    if orphans.is_empty() {
        return Ok(());
    }
    let code =
        partitions.iter().find(|(_, _, e)| *e != 0).map(|(_, _, e)| protocol::failure_with(*e, String::new()).code);
    Err((
        code.or(Some(ErrorCode::LeaderNotAvailable)),
        format!(
            "the coordinator of some groups is not reachable (`{OFFSETS_TOPIC}` partition(s) {} have no leader among \
             the live brokers), so their groups are listed by no broker",
            orphans.join(", ")
        ),
    ))
}

/// A group as ListGroups lists it.
struct ListedGroup {
    group: String,
    state: String,
    protocol_type: String,
    /// `classic`, `consumer`, `share`, `streams` (ListGroups v5, Kafka 3.8); `None` before.
    group_type: Option<String>,
}

/// Protocol types of classic groups whose membership assigns no topic partition (see [`route`]).
const COORDINATION_ONLY: [&str; 1] = ["connect"];

/// How a listed group's members are described.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    /// No members: it reads nothing now.
    Idle,
    /// A classic group of the `consumer` protocol: DescribeGroups, its members' bytes decoded.
    Classic,
    /// A KIP-848 consumer group: ConsumerGroupDescribe.
    Consumer,
    /// A KIP-932 share group: ShareGroupDescribe.
    Share,
    /// What its members read cannot be told, and why.
    Unknown(String),
}

/// How to learn what a listed group's members read: from its state, type (ListGroups v5) and protocol
/// type. Before v5 every group is classic (KIP-848 groups came with Kafka 4.0, after ListGroups v5).
fn route(state: &str, group_type: Option<&str>, protocol_type: &str) -> Route {
    if matches!(state, "Empty" | "Dead") || state.eq_ignore_ascii_case("empty") || state.eq_ignore_ascii_case("dead") {
        return Route::Idle;
    }
    match group_type.map(str::to_ascii_lowercase).as_deref() {
        Some("consumer") => Route::Consumer,
        Some("share") => Route::Share,
        None | Some("classic") | Some("") if protocol_type == "consumer" => Route::Classic,
        // Coordination without topics: a Kafka Connect worker group's members share out connectors and
        // tasks, not partitions (its sink tasks read through consumer groups of their own, described as
        // any other; its internal topics are read by assignment, outside any group, as a Spark or Flink
        // source's are). Calling every topic's readers unknown for it would block each deletion on any
        // cluster that runs Connect, and teach `--allow-active-data`, which also lifts the rules it can
        // check.
        None | Some("classic") | Some("") if COORDINATION_ONLY.contains(&protocol_type) => Route::Idle,
        None | Some("classic") | Some("") => Route::Unknown(format!(
            "its protocol type is `{protocol_type}`, whose members' reads topicform cannot decode"
        )),
        Some(other) => Route::Unknown(format!("it is a `{other}` group, which topicform cannot describe")),
    }
}

/// Groups per DescribeGroups or ConsumerGroupDescribe request.
const DESCRIBE_CHUNK: usize = 100;

/// Each group's committed offsets on the asked topics.
type Commits = BTreeMap<String, BTreeMap<Partition, i64>>;

/// Of the asked topics, those each group's members read, with how many members read each, or why not.
type Readers = BTreeMap<String, Result<BTreeMap<String, u32>, String>>;

/// Describes the groups of `listed` that have members, at their coordinator (this broker, which listed
/// them): which of the `wanted` topics their members subscribe to or are assigned.
async fn readers(
    admin: &KafkaAdmin,
    conn: &mut Connection,
    (describe_groups, consumer_group_describe, share_group_describe): (Option<i16>, Option<i16>, Option<i16>),
    listed: &[ListedGroup],
    wanted: &BTreeSet<&str>,
    count: &impl Fn() -> usize,
    retriable: &mut Option<ErrorCode>,
) -> Result<Readers, Failure> {
    let mut out = Readers::new();
    let mut classic = Vec::new();
    let mut consumer = Vec::new();
    let mut share = Vec::new();
    for l in listed {
        match route(&l.state, l.group_type.as_deref(), &l.protocol_type) {
            Route::Idle => {}
            Route::Classic => classic.push(l.group.as_str()),
            Route::Consumer => consumer.push(l.group.as_str()),
            Route::Share => share.push(l.group.as_str()),
            Route::Unknown(why) => {
                out.insert(l.group.clone(), Err(why));
            }
        }
    }
    // Listed without a type (ListGroups before v5): a group DescribeGroups calls dead or unknown may be
    // a KIP-848 group of an early-access release, which DescribeGroups does not describe (before v6 it
    // answers `Dead`, with no error); not a group that reads nothing.
    let untyped: BTreeSet<&str> = listed.iter().filter(|l| l.group_type.is_none()).map(|l| l.group.as_str()).collect();
    let vanished = |group: &str| {
        untyped
            .contains(group)
            .then(|| "its coordinator listed it with members, then did not describe it as a classic group".to_owned())
    };
    let mut failed = |group: &str, code: i16, message: Option<&StrBytes>, out: &mut Readers| {
        let f = protocol::failure_with(code, message.map(ToString::to_string).unwrap_or_default());
        // Gone since ListGroups named it: it reads nothing.
        if f.code.name() == "GROUP_ID_NOT_FOUND" {
            if let Some(why) = vanished(group) {
                out.insert(group.to_owned(), Err(why));
            }
            return;
        }
        if is_retriable(&f.code) && retriable.is_none() {
            *retriable = Some(f.code.clone());
        }
        out.insert(group.to_owned(), Err(format!("describing it failed: {}", why(admin, &f))));
    };
    if !classic.is_empty() {
        match describe_groups {
            None => classic.iter().for_each(|g| {
                out.insert((*g).to_owned(), Err("the broker does not answer DescribeGroups".into()));
            }),
            Some(version) => {
                for chunk in classic.chunks(DESCRIBE_CHUNK) {
                    let mut request = DescribeGroupsRequest::default();
                    request.groups = chunk.iter().map(|g| GroupId(StrBytes::from_string((*g).to_owned()))).collect();
                    count();
                    let response: DescribeGroupsResponse =
                        conn.request(ApiKey::DescribeGroups, version.min(6), &request).await?;
                    for g in &response.groups {
                        let group = g.group_id.0.to_string();
                        if g.error_code != 0 {
                            failed(&group, g.error_code, g.error_message.as_ref(), &mut out);
                            continue;
                        }
                        let read = if g.group_state.as_str() == "Dead" {
                            vanished(&group).map_or(Ok(BTreeMap::new()), Err)
                        } else if g.group_state.as_str() == "Empty"
                            || COORDINATION_ONLY.contains(&g.protocol_type.as_str())
                        {
                            Ok(BTreeMap::new())
                        } else if g.protocol_type.as_str() != "consumer" {
                            Err(format!(
                                "its protocol type is `{}`, whose members' reads topicform cannot decode",
                                g.protocol_type
                            ))
                        } else {
                            g.members
                                .iter()
                                .map(|m| member_topics(&m.member_metadata, &m.member_assignment))
                                .collect::<Result<Vec<_>, _>>()
                                .map(|members| tally(members, wanted))
                        };
                        out.insert(group, read);
                    }
                    for g in chunk {
                        if !response.groups.iter().any(|d| d.group_id.0.as_str() == *g) {
                            out.insert((*g).to_owned(), Err("its coordinator did not describe it".into()));
                        }
                    }
                }
            }
        }
    }
    if !consumer.is_empty() {
        match consumer_group_describe {
            None => consumer.iter().for_each(|g| {
                out.insert((*g).to_owned(), Err("the broker does not answer ConsumerGroupDescribe".into()));
            }),
            Some(version) => {
                for chunk in consumer.chunks(DESCRIBE_CHUNK) {
                    let mut request = ConsumerGroupDescribeRequest::default();
                    request.group_ids = chunk.iter().map(|g| GroupId(StrBytes::from_string((*g).to_owned()))).collect();
                    count();
                    let response: ConsumerGroupDescribeResponse =
                        conn.request(ApiKey::ConsumerGroupDescribe, version.min(1), &request).await?;
                    for g in &response.groups {
                        let group = g.group_id.0.to_string();
                        if g.error_code != 0 {
                            failed(&group, g.error_code, g.error_message.as_ref(), &mut out);
                            continue;
                        }
                        let read = g
                            .members
                            .iter()
                            .map(|m| {
                                let mut topics: BTreeSet<String> =
                                    m.subscribed_topic_names.iter().map(|t| t.0.to_string()).collect();
                                for a in [&m.assignment, &m.target_assignment] {
                                    topics.extend(a.topic_partitions.iter().map(|t| t.topic_name.0.to_string()));
                                }
                                match m.subscribed_topic_regex.as_ref().filter(|r| !r.is_empty()) {
                                    None => Ok(topics),
                                    Some(pattern) => matching(pattern, wanted).map(|m| {
                                        topics.extend(m);
                                        topics
                                    }),
                                }
                            })
                            .collect::<Result<Vec<_>, _>>()
                            .map(|members| tally(members, wanted));
                        out.insert(group, read);
                    }
                    for g in chunk {
                        if !response.groups.iter().any(|d| d.group_id.0.as_str() == *g) {
                            out.insert((*g).to_owned(), Err("its coordinator did not describe it".into()));
                        }
                    }
                }
            }
        }
    }
    if !share.is_empty() {
        match share_group_describe.filter(|v| *v >= 1) {
            None => share.iter().for_each(|g| {
                out.insert((*g).to_owned(), Err("the broker does not answer ShareGroupDescribe v1".into()));
            }),
            Some(version) => {
                for chunk in share.chunks(DESCRIBE_CHUNK) {
                    let mut request = ShareGroupDescribeRequest::default();
                    request.group_ids = chunk.iter().map(|g| GroupId(StrBytes::from_string((*g).to_owned()))).collect();
                    count();
                    let response: ShareGroupDescribeResponse =
                        conn.request(ApiKey::ShareGroupDescribe, version.min(1), &request).await?;
                    for g in &response.groups {
                        let group = g.group_id.0.to_string();
                        if g.error_code != 0 {
                            failed(&group, g.error_code, g.error_message.as_ref(), &mut out);
                            continue;
                        }
                        let members = g.members.iter().map(|m| {
                            let mut topics: BTreeSet<String> =
                                m.subscribed_topic_names.iter().map(|t| t.0.to_string()).collect();
                            topics.extend(m.assignment.topic_partitions.iter().map(|t| t.topic_name.0.to_string()));
                            topics
                        });
                        out.insert(group, Ok(tally(members.collect(), wanted)));
                    }
                    for g in chunk {
                        if !response.groups.iter().any(|d| d.group_id.0.as_str() == *g) {
                            out.insert((*g).to_owned(), Err("its coordinator did not describe it".into()));
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The wanted topics a member subscribing to `pattern` reads: the coordinator matches the whole name
/// (RE2/J syntax, which Rust's `regex` reads alike for the patterns people write).
fn matching(pattern: &str, wanted: &BTreeSet<&str>) -> Result<Vec<String>, String> {
    let re = regex::Regex::new(&format!("^(?:{pattern})$"))
        .map_err(|_| format!("a member subscribes to the pattern `{pattern}`, which topicform cannot read"))?;
    Ok(wanted.iter().filter(|t| re.is_match(t)).map(|t| (*t).to_owned()).collect())
}

/// How many members read each of the wanted topics.
fn tally(members: Vec<BTreeSet<String>>, wanted: &BTreeSet<&str>) -> BTreeMap<String, u32> {
    let mut out = BTreeMap::new();
    for topics in members {
        for t in topics.into_iter().filter(|t| wanted.contains(t.as_str())) {
            *out.entry(t).or_default() += 1;
        }
    }
    out
}

/// The topics a classic `consumer`-protocol member reads: those of its subscription (its metadata; a
/// member that just joined has no assignment yet) and of its assignment, both in Kafka's
/// ConsumerProtocol encoding (a version, then the message; a newer version reads as the newest known,
/// as Kafka's `ConsumerProtocol` does). Empty bytes say nothing (no assignment yet).
fn member_topics(metadata: &Bytes, assignment: &Bytes) -> Result<BTreeSet<String>, String> {
    fn versioned<T: Decodable>(bytes: &Bytes, what: &str) -> Result<Option<T>, String> {
        if bytes.is_empty() {
            return Ok(None);
        }
        let mut buf = bytes.clone();
        let bad = || format!("a member's {what} does not decode as the `consumer` protocol");
        if buf.remaining() < 2 {
            return Err(bad());
        }
        let version = buf.get_i16();
        if version < 0 {
            return Err(bad());
        }
        T::decode(&mut buf, version.min(3)).map(Some).map_err(|_| bad())
    }
    let mut topics = BTreeSet::new();
    if let Some(s) = versioned::<ConsumerProtocolSubscription>(metadata, "subscription")? {
        topics.extend(s.topics.iter().map(ToString::to_string));
    }
    if let Some(a) = versioned::<ConsumerProtocolAssignment>(assignment, "assignment")? {
        topics.extend(a.assigned_partitions.iter().map(|t| t.topic.0.to_string()));
    }
    Ok(topics)
}

async fn offset_fetch(
    admin: &KafkaAdmin,
    conn: &mut Connection,
    max: Option<i16>,
    listed: &[ListedGroup],
    partitions: &BTreeMap<String, Vec<i32>>,
    count: &impl Fn() -> usize,
    retriable: &mut Option<ErrorCode>,
) -> Result<Result<Commits, Unknown>, Failure> {
    let groups: Vec<&str> = listed.iter().map(|l| l.group.as_str()).collect();
    let mut out = Commits::new();
    if groups.is_empty() {
        return Ok(Ok(out));
    }
    let Some(version) = max else { return Ok(Err(Unknown::NotSupported)) };
    let wanted: BTreeSet<&str> = partitions.keys().map(String::as_str).collect();
    let mut take = |group: &str, error: i16, commits: Vec<(String, i32, i64, i16)>| -> Result<(), Unknown> {
        let unknown = |f: Failure, retriable: &mut Option<ErrorCode>| {
            if is_retriable(&f.code) && retriable.is_none() {
                *retriable = Some(f.code.clone());
            }
            why(admin, &f)
        };
        if error != 0 {
            let f = protocol::failure_with(error, String::new());
            // Gone since ListGroups named it: it reads nothing.
            if f.code.name() == "GROUP_ID_NOT_FOUND" {
                return Ok(());
            }
            return Err(unknown(f, retriable));
        }
        let mut mine = BTreeMap::new();
        for (t, p, offset, e) in commits {
            if !wanted.contains(t.as_str()) {
                continue;
            }
            if e != 0 {
                return Err(unknown(protocol::failure_with(e, String::new()), retriable));
            }
            mine.insert((t, p), offset);
        }
        out.insert(group.to_owned(), mine);
        Ok(())
    };
    if version >= 8 {
        for chunk in groups.chunks(GROUP_CHUNK) {
            let mut request = OffsetFetchRequest::default();
            request.groups = chunk
                .iter()
                .map(|g| {
                    let mut rg = OffsetFetchRequestGroup::default();
                    rg.group_id = GroupId(StrBytes::from_string((*g).to_owned()));
                    rg.topics = Some(
                        partitions
                            .iter()
                            .map(|(t, ps)| {
                                let mut rt = OffsetFetchRequestTopics::default();
                                rt.name = TopicName(StrBytes::from_string(t.clone()));
                                rt.partition_indexes = ps.clone();
                                rt
                            })
                            .collect(),
                    );
                    rg
                })
                .collect();
            count();
            let response: OffsetFetchResponse = conn.request(ApiKey::OffsetFetch, version.min(8), &request).await?;
            for g in &response.groups {
                let commits = g
                    .topics
                    .iter()
                    .flat_map(|t| {
                        t.partitions
                            .iter()
                            .map(move |p| (t.name.0.to_string(), p.partition_index, p.committed_offset, p.error_code))
                    })
                    .collect();
                if let Err(why) = take(&g.group_id.0, g.error_code, commits) {
                    return Ok(Err(why));
                }
            }
        }
    } else {
        // Before Kafka 3.0: one group per request.
        for g in &groups {
            let mut request = OffsetFetchRequest::default();
            request.group_id = GroupId(StrBytes::from_string((*g).to_owned()));
            request.topics = Some(
                partitions
                    .iter()
                    .map(|(t, ps)| {
                        let mut rt = OffsetFetchRequestTopic::default();
                        rt.name = TopicName(StrBytes::from_string(t.clone()));
                        rt.partition_indexes = ps.clone();
                        rt
                    })
                    .collect(),
            );
            count();
            let v = version.clamp(2, 7);
            let response: OffsetFetchResponse = conn.request(ApiKey::OffsetFetch, v, &request).await?;
            let commits = response
                .topics
                .iter()
                .flat_map(|t| {
                    t.partitions
                        .iter()
                        .map(move |p| (t.name.0.to_string(), p.partition_index, p.committed_offset, p.error_code))
                })
                .collect();
            if let Err(why) = take(g, response.error_code, commits) {
                return Ok(Err(why));
            }
        }
    }
    Ok(Ok(out))
}

impl KafkaAdmin {
    /// Whether the command's deadline leaves time to wait `delay` and ask again.
    fn has_time_for(&self, delay: Duration) -> bool {
        self.connection.deadline.is_none_or(|d| std::time::Instant::now() + delay < d)
    }
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition;
    use kafka_protocol::protocol::Encodable;

    use super::*;

    #[test]
    fn retry_policy() {
        let cases = [
            ("COORDINATOR_LOAD_IN_PROGRESS", 0, Some(250)),
            ("NOT_COORDINATOR", 1, Some(500)),
            ("COORDINATOR_NOT_AVAILABLE", 4, Some(1000)),
            ("COORDINATOR_NOT_AVAILABLE", 5, None),
            ("NOT_LEADER_OR_FOLLOWER", 2, Some(1000)),
            // Each try of these may take a whole request timeout: once more only.
            ("_TIMED_OUT", 0, Some(250)),
            ("_TIMED_OUT", 1, None),
            ("_TRANSPORT", 0, Some(250)),
            ("_TRANSPORT", 1, None),
            ("GROUP_AUTHORIZATION_FAILED", 0, None),
            ("UNKNOWN_TOPIC_OR_PARTITION", 0, None),
        ];
        for (code, attempt, want) in cases {
            let got = retry_delay(&ErrorCode::from_name(code), attempt);
            assert_eq!(got, want.map(Duration::from_millis), "{code} #{attempt}");
        }
        let total: Duration = (0..).map_while(|a| retry_delay(&ErrorCode::from_name("NOT_COORDINATOR"), a)).sum();
        assert!(total < Duration::from_secs(5), "bounded: {total:?}");
    }

    #[test]
    fn groups_are_described_by_their_type_and_protocol() {
        let cases = [
            ("Empty", None, "consumer", Route::Idle),
            ("Empty", Some("connect-ish"), "connect", Route::Idle),
            ("Stable", None, "consumer", Route::Classic),
            ("PreparingRebalance", Some("classic"), "consumer", Route::Classic),
            ("Stable", Some("consumer"), "consumer", Route::Consumer),
            ("Reconciling", Some("Consumer"), "consumer", Route::Consumer),
        ];
        for (state, kind, protocol, want) in cases {
            assert_eq!(route(state, kind, protocol), want, "{state} {kind:?} {protocol}");
        }
        // A Connect worker group shares out connectors, not partitions: it reads nothing through the group.
        assert_eq!(route("Stable", Some("classic"), "connect"), Route::Idle);
        assert_eq!(route("PreparingRebalance", None, "connect"), Route::Idle);
        // Any other protocol is unknown, never taken for idle.
        let Route::Unknown(why) = route("Stable", Some("classic"), "sr") else { panic!() };
        assert_eq!(why, "its protocol type is `sr`, whose members' reads topicform cannot decode");
        let Route::Unknown(_) = route("Stable", None, "my-own-protocol") else { panic!() };
        assert_eq!(route("Stable", Some("share"), "share"), Route::Share);
        let Route::Unknown(why) = route("Stable", Some("streams"), "streams") else { panic!() };
        assert_eq!(why, "it is a `streams` group, which topicform cannot describe");
    }

    #[test]
    fn every_group_needs_a_reachable_coordinator() {
        let asked = BTreeSet::from([1, 2]);
        assert_eq!(coordinators(0, &[(0, 1, 0), (1, 2, 0)], &asked), Ok(()));
        assert_eq!(coordinators(3, &[], &asked), Ok(()), "UNKNOWN_TOPIC_OR_PARTITION: no group was ever made");
        let (code, why) = coordinators(0, &[(0, 1, 0), (1, -1, 5), (2, 3, 0)], &asked).unwrap_err();
        assert_eq!(code, Some(ErrorCode::LeaderNotAvailable));
        assert_eq!(
            why,
            "the coordinator of some groups is not reachable (`__consumer_offsets` partition(s) 1, 2 have no leader \
             among the live brokers), so their groups are listed by no broker"
        );
        let (code, _) = coordinators(0, &[(0, 3, 0)], &asked).unwrap_err();
        assert!(code.is_some_and(|c| retry_delay(&c, 0).is_some()), "a leader may be elected: ask again");
        let (code, why) = coordinators(29, &[], &asked).unwrap_err();
        assert_eq!(code.map(|c| c.name().to_owned()).as_deref(), Some("TOPIC_AUTHORIZATION_FAILED"));
        assert!(why.contains("cannot be described"), "{why}");
    }

    fn versioned(version: i16, message: &impl Encodable) -> Bytes {
        let mut out = version.to_be_bytes().to_vec();
        message.encode(&mut out, version.min(3)).unwrap();
        Bytes::from(out)
    }

    #[test]
    fn members_read_their_subscription_and_their_assignment() {
        let mut subscription = ConsumerProtocolSubscription::default();
        subscription.topics = vec![StrBytes::from_static_str("orders")];
        let mut assignment = ConsumerProtocolAssignment::default();
        let mut tp = TopicPartition::default();
        tp.topic = TopicName(StrBytes::from_static_str("payments"));
        tp.partitions = vec![0, 1];
        assignment.assigned_partitions = vec![tp];
        let topics = |m: &Bytes, a: &Bytes| member_topics(m, a).map(|t| t.into_iter().collect::<Vec<_>>());
        for version in [0, 1, 3, 7] {
            assert_eq!(
                topics(&versioned(version, &subscription), &versioned(version, &assignment)),
                Ok(vec!["orders".to_owned(), "payments".to_owned()]),
                "version {version}: a newer one reads as the newest known"
            );
        }
        // Just joined: subscribed, nothing assigned yet.
        assert_eq!(topics(&versioned(3, &subscription), &Bytes::new()), Ok(vec!["orders".to_owned()]));
        assert_eq!(
            topics(&Bytes::new(), &Bytes::from_static(&[0, 1, 0xff])),
            Err("a member's assignment does not decode as the `consumer` protocol".to_owned())
        );
        assert!(topics(&Bytes::from_static(&[0xff, 0xff]), &Bytes::new()).is_err(), "a negative version");
        let wanted = BTreeSet::from(["orders", "payments", "audit"]);
        assert_eq!(
            tally(
                vec![BTreeSet::from(["orders".to_owned(), "x".to_owned()]), BTreeSet::from(["orders".to_owned()])],
                &wanted
            ),
            BTreeMap::from([("orders".to_owned(), 2)])
        );
        assert_eq!(matching("pay.*", &wanted), Ok(vec!["payments".to_owned()]), "the whole name");
        assert_eq!(matching("ments", &wanted), Ok(vec![]));
        assert!(matching("(", &wanted).is_err());
    }
}
