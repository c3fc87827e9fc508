//! The change primitives, each one batched request per [`CHANGE_CHUNK`] items or
//! [`RECORDS_PER_REQUEST`] metadata records ([`batches`]), and each answer spread back over the items it
//! carried. Nothing here orders, retries or waits: [`crate::apply`] does.

use std::collections::BTreeMap;

use super::{CHANGE_CHUNK, KafkaAdmin, RECORDS_PER_REQUEST, hedge, librdkafka, protocol};
use crate::cluster::{ConfigAlter, ConfigOp, Error, ErrorCode, Mode, NewPartitions, NewTopic, Ongoing, Reassignment};

pub(super) async fn create_topics(admin: &KafkaAdmin, topics: &[NewTopic], mode: Mode) -> Vec<Result<(), Error>> {
    let mut results = Vec::with_capacity(topics.len());
    for chunk in batches(topics, |t| 1 + t.partitions as usize + t.configs.len()) {
        let batch = chunk.to_vec();
        let outcome = admin
            .blocking(move |client, timeout| {
                let topics: Vec<librdkafka::NewTopic<'_>> = batch
                    .iter()
                    .map(|t| librdkafka::NewTopic {
                        name: &t.name,
                        partitions: i32::try_from(t.partitions).unwrap_or(i32::MAX),
                        replication_factor: t.replication_factor.map_or(-1, i32::from),
                        configs: t.configs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect(),
                    })
                    .collect();
                librdkafka::create_topics(client, &topics, mode == Mode::Validate, timeout)
            })
            .await;
        results.extend(admin.record("CreateTopics", outcome, chunk.iter().map(|t| t.name.as_str())));
    }
    results
}

pub(super) async fn create_partitions(
    admin: &KafkaAdmin,
    partitions: &[NewPartitions],
    mode: Mode,
) -> Vec<Result<(), Error>> {
    let mut results = Vec::with_capacity(partitions.len());
    // The count afterwards bounds the partitions a topic adds.
    for chunk in batches(partitions, |p| 1 + p.total as usize) {
        let batch = chunk.to_vec();
        let outcome = admin
            .blocking(move |client, timeout| {
                let refs: Vec<(&str, usize, &[Vec<i32>])> =
                    batch.iter().map(|p| (p.topic.as_str(), p.total as usize, p.assignments.as_slice())).collect();
                librdkafka::create_partitions(client, &refs, mode == Mode::Validate, timeout)
            })
            .await;
        results.extend(admin.record("CreatePartitions", outcome, chunk.iter().map(|p| p.topic.as_str())));
    }
    results
}

pub(super) async fn alter_topic_configs(
    admin: &KafkaAdmin,
    alters: &[ConfigAlter<String>],
    mode: Mode,
) -> Vec<Result<(), Error>> {
    let mut results = Vec::with_capacity(alters.len());
    for chunk in batches(alters, |a| a.ops.len().max(1)) {
        let batch = chunk.to_vec();
        let outcome = admin
            .blocking(move |client, timeout| {
                let ops: Vec<(&str, Vec<librdkafka::ConfigOp<'_>>)> =
                    batch.iter().map(|a| (a.resource.as_str(), a.ops.iter().map(config_op).collect())).collect();
                librdkafka::incremental_alter_configs(
                    client,
                    librdkafka::Resource::Topic,
                    &ops,
                    mode == Mode::Validate,
                    timeout,
                )
            })
            .await;
        results.extend(admin.record("IncrementalAlterConfigs", outcome, chunk.iter().map(|a| a.resource.as_str())));
    }
    results
}

/// One request per broker: librdkafka allows only one broker resource per IncrementalAlterConfigs call
/// ("Only one ConfigResource of type BROKER is allowed per call"), and it cannot address the
/// cluster-wide broker default (the broker resource with the empty name: `rd_kafka_ConfigResource_new`
/// refuses it), so a value meant for every broker is set on each.
pub(super) async fn alter_broker_configs(admin: &KafkaAdmin, alters: &[ConfigAlter<i32>]) -> Vec<Result<(), Error>> {
    let mut results = Vec::with_capacity(alters.len());
    for alter in alters {
        let name = alter.resource.to_string();
        let (resource, ops) = (name.clone(), alter.ops.clone());
        let outcome = admin
            .blocking(move |client, timeout| {
                let ops = [(resource.as_str(), ops.iter().map(config_op).collect())];
                librdkafka::incremental_alter_configs(client, librdkafka::Resource::Broker, &ops, false, timeout)
            })
            .await;
        let mut result = admin.record("IncrementalAlterConfigs", outcome, std::iter::once(name.as_str()));
        // Refusals name the broker as Kafka's tools do.
        if let Some(Err(Error::Topic { topic, .. })) = result.first_mut() {
            *topic = format!("broker {name}");
        }
        results.append(&mut result);
    }
    results
}

pub(super) async fn delete_topics(admin: &KafkaAdmin, topics: &[String]) -> Vec<Result<(), Error>> {
    let mut results = Vec::with_capacity(topics.len());
    for chunk in batches(topics, |_| 1) {
        let batch = chunk.to_vec();
        let outcome = admin
            .blocking(move |client, timeout| {
                let refs: Vec<&str> = batch.iter().map(String::as_str).collect();
                librdkafka::delete_topics(client, &refs, timeout)
            })
            .await;
        results.extend(admin.record("DeleteTopics", outcome, chunk.iter().map(String::as_str)));
    }
    results
}

/// `items` in consecutive batches of at most [`CHANGE_CHUNK`] items whose `records` add up to at most
/// [`RECORDS_PER_REQUEST`]; an item heavier than that alone goes in a batch of its own, for the broker
/// to judge.
fn batches<T>(items: &[T], records: impl Fn(&T) -> usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let (mut start, mut weight) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let w = records(item);
        if i > start && (i - start == CHANGE_CHUNK || weight + w > RECORDS_PER_REQUEST) {
            out.push(&items[start..i]);
            (start, weight) = (i, 0);
        }
        weight += w;
    }
    if start < items.len() {
        out.push(&items[start..]);
    }
    out
}

/// One AlterPartitionReassignments request for every partition, sent to the controller.
pub(super) async fn alter_reassignments(admin: &KafkaAdmin, moves: &[Reassignment]) -> Vec<Result<(), Error>> {
    const OPERATION: &str = "AlterPartitionReassignments";
    let triples: Vec<protocol::Move> =
        moves.iter().map(|m| (m.topic.clone(), m.partition, m.replicas.clone())).collect();
    match to_controller(admin, OPERATION, |target| {
        let triples = triples.clone();
        async move { protocol::alter(&target, &triples).await }
    })
    .await
    {
        Err(e) => vec![Err(e); moves.len()],
        Ok(per_partition) => moves
            .iter()
            .zip(per_partition)
            .map(|(m, r)| {
                r.map_err(|f| Error::Topic {
                    operation: OPERATION,
                    topic: m.topic.clone(),
                    code: f.code,
                    message: format!("partition {}: {}", m.partition, admin.redact(&f.message)),
                })
            })
            .collect(),
    }
}

/// One ListPartitionReassignments request, sent to the controller.
pub(super) async fn list_reassignments(
    admin: &KafkaAdmin,
    partitions: &BTreeMap<String, Vec<i32>>,
) -> Result<Vec<Ongoing>, Error> {
    let moving = to_controller(admin, "ListPartitionReassignments", |target| async move {
        protocol::ongoing(&target, partitions).await
    })
    .await?;
    Ok(moving.into_iter().map(|(topic, partition)| Ongoing { topic, partition }).collect())
}

/// Every reassignment under way in the cluster (ListPartitionReassignments with no topics), sent to
/// `controller` when known (the describe just asked Metadata), hedged over the bootstrap servers (see
/// [`hedge`]): in KRaft mode any broker forwards it, in ZooKeeper mode the others answer
/// `NOT_CONTROLLER` at once. Within 5 s at most: the listing is a note of the plan, and with the
/// (KRaft) controller away no broker can answer it.
pub(super) async fn ongoing_at(admin: &KafkaAdmin, controller: Option<String>) -> Result<Vec<Ongoing>, Error> {
    const OPERATION: &str = "ListPartitionReassignments";
    let security = admin.security.clone().map_err(|message| unsupported(OPERATION, message))?;
    let mut candidates: Vec<String> = controller.into_iter().collect();
    candidates.extend(admin.bootstrap.split(',').map(str::to_owned));
    let budget = admin.request_timeout().min(std::time::Duration::from_secs(5));
    let security = &security;
    let asked = hedge::first(admin, candidates, |broker| async move {
        admin.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        list_all(protocol::Target::new(&broker, security, budget)).await
    });
    // The budget bounds the whole listing, not each broker's try: with the controller away, every
    // broker waits for it alike.
    let asked = tokio::time::timeout(budget, asked).await.unwrap_or_else(|_| {
        Err(protocol::Failure::new("_TIMED_OUT", "timed out: no broker could list the reassignments"))
    });
    let moving = asked.map_err(|f| request_failure(admin, OPERATION, f))?.1;
    Ok(moving.into_iter().map(|(topic, partition)| Ongoing { topic, partition }).collect())
}

async fn list_all(target: protocol::Target) -> Result<Vec<(String, i32)>, protocol::Failure> {
    protocol::ongoing(&target, &BTreeMap::new()).await
}

/// Sends a controller request, hedged (see [`hedge`]): to the controller that DescribeCluster names (in
/// ZooKeeper mode only the controller accepts it; in KRaft mode any broker forwards it), and to each
/// bootstrap server in turn when it fails or stays silent, the first answer counting (the requests sent
/// so are idempotent: a reassignment to the same replicas, a listing). When the answer is
/// `NOT_CONTROLLER` everywhere (the controller moved), DescribeCluster is asked again, at most twice;
/// what is left to retry is apply's decision.
async fn to_controller<T, F, Fut>(admin: &KafkaAdmin, operation: &'static str, send: F) -> Result<T, Error>
where
    F: Fn(protocol::Target) -> Fut,
    Fut: std::future::Future<Output = Result<T, protocol::Failure>>,
{
    let security = admin.security.clone().map_err(|message| unsupported(operation, message))?;
    let security = &security;
    let send = &send;
    let mut last = None;
    for _ in 0..3 {
        let asked = hedge::first(admin, controller_candidates(admin).await, |broker| async move {
            admin.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            send(protocol::Target::new(&broker, security, admin.request_timeout())).await
        })
        .await;
        match asked {
            Ok((_, answer)) => return Ok(answer),
            Err(f) if f.code == ErrorCode::NotController => last = Some(f),
            Err(f) => return Err(request_failure(admin, operation, f)),
        }
    }
    let f = last.unwrap_or_else(|| protocol::Failure::new("_TRANSPORT", "no broker to send it to"));
    Err(request_failure(admin, operation, f))
}

fn request_failure(admin: &KafkaAdmin, operation: &'static str, f: protocol::Failure) -> Error {
    Error::Request { operation, code: Some(f.code), message: admin.redact(&f.message) }
}

/// Where to send a controller request, in order: the controller DescribeCluster names, then every
/// bootstrap server.
async fn controller_candidates(admin: &KafkaAdmin) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(cluster) = admin.blocking(librdkafka::describe_cluster).await
        && let Some(id) = cluster.controller
        && let Some(node) = cluster.nodes.iter().find(|n| n.id == id)
    {
        out.push(address(&node.host, node.port));
    }
    for server in admin.bootstrap.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == server) {
            out.push(server.to_owned());
        }
    }
    out
}

/// `host:port`, with an IPv6 literal in brackets.
pub(super) fn address(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') { format!("[{host}]:{port}") } else { format!("{host}:{port}") }
}

fn unsupported(operation: &'static str, message: String) -> Error {
    Error::Request { operation, code: Some(crate::cluster::ErrorCode::Unsupported), message }
}

fn config_op(op: &ConfigOp) -> librdkafka::ConfigOp<'_> {
    match op {
        ConfigOp::Set { key, value } => librdkafka::ConfigOp::Set(key, value),
        ConfigOp::Delete { key } => librdkafka::ConfigOp::Delete(key),
    }
}

impl KafkaAdmin {
    /// Spreads a batched call's outcome over the items it carried, matching per-resource results by
    /// name, in the order of `names`.
    fn record<'a>(
        &self,
        operation: &'static str,
        outcome: Result<librdkafka::Results<()>, librdkafka::KafkaError>,
        names: impl Iterator<Item = &'a str>,
    ) -> Vec<Result<(), Error>> {
        match outcome {
            Err(e) => {
                let err = self.request_error(operation, e);
                names.map(|_| Err(err.clone())).collect()
            }
            Ok(per_resource) => {
                let by_name: BTreeMap<String, Result<(), librdkafka::KafkaError>> = per_resource.into_iter().collect();
                names
                    .map(|name| match by_name.get(name) {
                        Some(Ok(())) => Ok(()),
                        Some(Err(e)) => Err(self.topic_error(operation, name, e.clone())),
                        None => Err(Error::Topic {
                            operation,
                            topic: name.to_owned(),
                            code: crate::cluster::ErrorCode::NoResult,
                            message: "the broker's answer did not mention this topic".into(),
                        }),
                    })
                    .collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(batches: &[&[usize]]) -> Vec<usize> {
        batches.iter().map(|b| b.len()).collect()
    }

    #[test]
    fn batches_stay_under_the_item_and_record_limits() {
        assert!(batches(&[] as &[usize], |w| *w).is_empty());
        // Light items: the item limit cuts.
        let light = vec![1; 2 * CHANGE_CHUNK + 1];
        assert_eq!(sizes(&batches(&light, |w| *w)), [CHANGE_CHUNK, CHANGE_CHUNK, 1]);
        // 1,000 topics of 3 partitions and 3 configs (7 records each) fit in one request.
        assert_eq!(sizes(&batches(&[7; 1000], |w| *w)), [1000]);
        // Heavy items: the record limit cuts, never above it.
        let heavy = vec![1 + 100 + 2; 300];
        let cut = batches(&heavy, |w| *w);
        assert!(cut.iter().all(|b| b.iter().sum::<usize>() <= RECORDS_PER_REQUEST), "{:?}", sizes(&cut));
        assert_eq!(cut.iter().map(|b| b.len()).sum::<usize>(), heavy.len());
        assert_eq!(cut[0].len(), RECORDS_PER_REQUEST / 103);
        // An item over the limit goes alone; its neighbours are not held back by it.
        let items = [10, RECORDS_PER_REQUEST + 1, 10, 10];
        assert_eq!(sizes(&batches(&items, |w| *w)), [1, 1, 2]);
        // Order is kept, and every item is in exactly one batch.
        let numbered: Vec<usize> = (0..5000).collect();
        let flat: Vec<usize> = batches(&numbered, |i| 1 + i % 40).concat();
        assert_eq!(flat, numbered);
    }
}
