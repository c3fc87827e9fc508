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
//! it coordinates) and OffsetFetch for those groups (one request for all of them from Kafka 3.0,
//! OffsetFetch v8; one per group before). A refusal is a fact that is not known, never a failure:
//! `unknown (not authorised)`.
//!
//! ListGroups lists every group only to a principal with Describe on the cluster, which DescribeLogDirs
//! needs as well; any other principal sees just the groups it may describe, so without cluster access
//! the group list is called not known rather than shown incomplete.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;

use kafka_protocol::messages::describe_log_dirs_request::DescribableLogDirTopic;
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, BrokerId, DescribeLogDirsRequest, DescribeLogDirsResponse,
    GroupId, ListGroupsRequest, ListGroupsResponse, ListOffsetsRequest, ListOffsetsResponse, OffsetFetchRequest,
    OffsetFetchResponse, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::KafkaAdmin;
use super::connection::Connection;
use super::protocol::{self, Failure};
use crate::cluster::ErrorCode;
use crate::live::{DataQuery, GroupData, Live, PartitionOffsets, PartitionSize, TopicData, Unknown};

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
    /// ListGroups and OffsetFetch: each group's id, state and commits on the asked topics, or why not.
    groups: Option<Result<Commits, Unknown>>,
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
    let per_broker = live.brokers.values().map(|b| {
        let target = protocol::Target::new(&format!("{}:{}", b.host, b.port), &security, admin.request_timeout());
        let led_here = led.get(&b.id).cloned().unwrap_or_default();
        async move {
            let answers =
                protocol::within(target.timeout, &target.broker, ask(admin, &target, query, partitions, &led_here))
                    .await;
            (b.id, answers)
        }
    });
    let answered = futures_util::future::join_all(per_broker).await;
    let leaders: BTreeMap<(String, i32), i32> =
        led.iter().flat_map(|(b, ps)| ps.iter().map(|p| (p.clone(), *b))).collect();
    let mut out = BTreeMap::new();
    for (topic, cut) in &query.topics {
        let Some(live_topic) = live.topics.get(topic) else {
            out.insert(topic.clone(), TopicData::unknown(Unknown::Failed("the topic does not exist".into())));
            continue;
        };
        let ids: Vec<i32> = live_topic.partitions.iter().map(|p| p.id).collect();
        out.insert(
            topic.clone(),
            assemble(admin, topic, &ids, cut.is_some(), &leaders, &answered, leaderless.contains(topic.as_str())),
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
    ids: &[i32],
    cut: bool,
    leaders: &BTreeMap<(String, i32), i32>,
    answered: &Answered,
    leaderless: bool,
) -> TopicData {
    let by_broker: BTreeMap<i32, &Result<Answers, Failure>> = answered.iter().map(|(b, a)| (*b, a)).collect();
    let key = |p: i32| (topic.to_owned(), p);

    // Sizes: every broker's replicas; the leader's share from the leader.
    let sizes = (|| {
        let mut sizes: BTreeMap<i32, PartitionSize> = ids.iter().map(|p| (*p, PartitionSize::default())).collect();
        for (broker, answers) in &by_broker {
            let answers = answers.as_ref().map_err(|f| why(admin, f))?;
            let found = match &answers.sizes {
                Some(Ok(found)) => found,
                Some(Err(why)) => return Err(why.clone()),
                None => return Err(Unknown::Failed("no answer".into())),
            };
            for p in ids {
                if let Some(bytes) = found.get(&key(*p)) {
                    let s = sizes.get_mut(p).expect("every partition");
                    s.all += bytes;
                    s.replicas += 1;
                    if leaders.get(&key(*p)) == Some(broker) {
                        s.leader = *bytes;
                    }
                }
            }
        }
        Ok(sizes)
    })();

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

    // Groups: every coordinator's groups with a commit on the topic.
    let groups = (|| {
        let mut out = Vec::new();
        for answers in by_broker.values() {
            let answers = answers.as_ref().map_err(|f| why(admin, f))?;
            // The group list is complete only with cluster Describe, which DescribeLogDirs shows.
            if let Some(Err(Unknown::NotAuthorised)) = &answers.sizes {
                return Err(Unknown::NotAuthorised);
            }
            let groups = match &answers.groups {
                Some(Ok(groups)) => groups,
                Some(Err(why)) => return Err(why.clone()),
                None => return Err(Unknown::Failed("no answer".into())),
            };
            for (group, state, commits) in groups {
                let committed: BTreeMap<i32, i64> =
                    commits.iter().filter(|((t, _), o)| t == topic && **o >= 0).map(|((_, p), o)| (*p, *o)).collect();
                if !committed.is_empty() {
                    out.push(GroupData { group: group.clone(), state: state.clone(), committed });
                }
            }
        }
        out.sort_by(|a, b| a.group.cmp(&b.group));
        Ok(out)
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
            Err(why(admin, &protocol::failure_with(response.error_code, String::new())))
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
                            why(admin, &f)
                        })
                    };
                    found.insert((t.name.0.to_string(), p.partition_index), r);
                }
            }
            answers.offsets.insert(spec, found);
        }
    }

    // ListGroups (v4: with their state), then OffsetFetch of the asked topics for every group listed.
    match max(ApiKey::ListGroups).filter(|v| *v >= 4) {
        None => answers.groups = Some(Err(Unknown::NotSupported)),
        Some(v) => {
            count();
            let listed: ListGroupsResponse =
                conn.request(ApiKey::ListGroups, v.min(4), &ListGroupsRequest::default()).await?;
            answers.groups = Some(if listed.error_code != 0 {
                Err(why(admin, &protocol::failure_with(listed.error_code, String::new())))
            } else {
                offset_fetch(admin, &mut conn, max(ApiKey::OffsetFetch), &listed, partitions, &count).await?
            });
        }
    }
    Ok(answers)
}

/// Each group's id, state and committed offsets.
type Commits = Vec<(String, String, BTreeMap<Partition, i64>)>;

async fn offset_fetch(
    admin: &KafkaAdmin,
    conn: &mut Connection,
    max: Option<i16>,
    listed: &ListGroupsResponse,
    partitions: &BTreeMap<String, Vec<i32>>,
    count: &impl Fn() -> usize,
) -> Result<Result<Commits, Unknown>, Failure> {
    let groups: Vec<(String, String)> =
        listed.groups.iter().map(|g| (g.group_id.0.to_string(), g.group_state.to_string())).collect();
    let mut out = Vec::new();
    if groups.is_empty() {
        return Ok(Ok(out));
    }
    let Some(version) = max else { return Ok(Err(Unknown::NotSupported)) };
    let states: BTreeMap<&str, &str> = groups.iter().map(|(g, s)| (g.as_str(), s.as_str())).collect();
    let wanted: BTreeSet<&str> = partitions.keys().map(String::as_str).collect();
    let mut take = |group: &str, error: i16, commits: Vec<(String, i32, i64, i16)>| -> Result<(), Unknown> {
        if error != 0 {
            let f = protocol::failure_with(error, String::new());
            // Gone since ListGroups named it: it reads nothing.
            if f.code.name() == "GROUP_ID_NOT_FOUND" {
                return Ok(());
            }
            return Err(why(admin, &f));
        }
        let mut mine = BTreeMap::new();
        for (t, p, offset, e) in commits {
            if !wanted.contains(t.as_str()) {
                continue;
            }
            if e != 0 {
                return Err(why(admin, &protocol::failure_with(e, String::new())));
            }
            mine.insert((t, p), offset);
        }
        out.push((group.to_owned(), states.get(group).copied().unwrap_or_default().to_owned(), mine));
        Ok(())
    };
    if version >= 8 {
        for chunk in groups.chunks(GROUP_CHUNK) {
            let mut request = OffsetFetchRequest::default();
            request.groups = chunk
                .iter()
                .map(|(g, _)| {
                    let mut rg = OffsetFetchRequestGroup::default();
                    rg.group_id = GroupId(StrBytes::from_string(g.clone()));
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
        for (g, _) in &groups {
            let mut request = OffsetFetchRequest::default();
            request.group_id = GroupId(StrBytes::from_string(g.clone()));
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
