//! Replication-factor changes by partition reassignment (KIP-455), as visible steps over the
//! [`Admin`] primitives: throttle (if asked) -> submit every move in one request -> wait, reporting
//! progress -> remove the throttle, whatever happened. Kafka has no validate-only reassignment: the
//! preflight checks that the controller answers ListPartitionReassignments for the partitions.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::Options;
use super::execute::retrying;
use crate::cluster::{self, Admin, ConfigAlter, ConfigOp, ErrorCode, Reassignment};
use crate::live::{THROTTLE_RATES, THROTTLED_REPLICAS};
use crate::plan::Change;
use crate::report::{Event, Reporter};

const LEADER_RATE: &str = THROTTLE_RATES[0];
const FOLLOWER_RATE: &str = THROTTLE_RATES[1];
const LEADER_REPLICAS: &str = THROTTLED_REPLICAS[0];
const FOLLOWER_REPLICAS: &str = THROTTLED_REPLICAS[1];

/// What the reassignment of a set of changes touches.
struct Moves {
    /// Every partition's new replicas.
    moves: Vec<Reassignment>,
    /// The partitions moving, by topic.
    partitions: BTreeMap<String, Vec<i32>>,
    /// Per topic, the throttled replicas as Kafka writes them (`partition:broker`): leaders (the
    /// current replicas, which send) and followers (the new ones, which receive).
    throttled: BTreeMap<String, (Vec<String>, Vec<String>)>,
    /// Every broker that sends or receives.
    brokers: BTreeSet<i32>,
}

impl Moves {
    fn of(changes: &[&Change]) -> Moves {
        let mut out = Moves {
            moves: Vec::new(),
            partitions: BTreeMap::new(),
            throttled: BTreeMap::new(),
            brokers: BTreeSet::new(),
        };
        for change in changes {
            if let Change::ChangeReplicationFactor { topic, moves, .. } = change {
                for m in moves {
                    out.partitions.entry(topic.clone()).or_default().push(m.partition);
                    out.moves.push(Reassignment {
                        topic: topic.clone(),
                        partition: m.partition,
                        replicas: m.to.clone(),
                    });
                    let (leaders, followers) = out.throttled.entry(topic.clone()).or_default();
                    leaders.extend(m.from.iter().map(|b| format!("{}:{b}", m.partition)));
                    followers
                        .extend(m.to.iter().filter(|b| !m.from.contains(b)).map(|b| format!("{}:{b}", m.partition)));
                    out.brokers.extend(m.from.iter().chain(&m.to).copied());
                }
            }
        }
        out
    }
}

/// The preflight: the controller must answer for the partitions, and nothing may be moving already.
pub(super) async fn check(admin: &impl Admin, changes: &[&Change]) -> Vec<Result<(), cluster::Error>> {
    let Moves { partitions, .. } = Moves::of(changes);
    match admin.list_reassignments(&partitions).await {
        Ok(_) => vec![Ok(()); changes.len()],
        Err(e) => vec![Err(e); changes.len()],
    }
}

/// Runs the reassignment phase: replication-factor changes (throttle, submit, wait, unthrottle), then
/// the wait for moves started earlier, then the removal of throttles nothing needs any more; one
/// result per change.
pub(super) async fn run(
    admin: &impl Admin,
    changes: &[&Change],
    options: &Options,
    reporter: &mut dyn Reporter,
) -> Vec<Result<(), cluster::Error>> {
    let mut results: Vec<Result<(), cluster::Error>> = vec![Ok(()); changes.len()];
    let of = |pred: fn(&Change) -> bool| -> Vec<usize> { (0..changes.len()).filter(|&i| pred(changes[i])).collect() };
    let rf = of(|c| matches!(c, Change::ChangeReplicationFactor { .. }));
    if !rf.is_empty() {
        let sub: Vec<&Change> = rf.iter().map(|&i| changes[i]).collect();
        for (i, r) in rf.iter().zip(replication_factor(admin, &sub, options, reporter).await) {
            results[*i] = r;
        }
    }
    // Moves started earlier: wait, then unthrottle what they leave.
    let awaits = of(|c| matches!(c, Change::AwaitReassignment { .. }));
    let mut unthrottle: Vec<usize> = Vec::new();
    if !awaits.is_empty() && !options.cancel.is_requested() {
        let sub: Vec<&Change> = awaits.iter().map(|&i| changes[i]).collect();
        let mut partitions: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for c in &sub {
            if let Change::AwaitReassignment { topic, partitions: ps, .. } = c {
                partitions.insert(topic.clone(), ps.clone());
            }
        }
        let total = partitions.values().map(Vec::len).sum();
        reporter.event(Event::ReassignmentStarted { partitions: total, waiting: true });
        let mut sub_results = vec![Ok(()); sub.len()];
        wait_for(admin, &partitions, options, &sub, &mut sub_results, reporter).await;
        for (i, r) in awaits.iter().zip(sub_results) {
            if r.is_ok() {
                unthrottle.push(*i);
            }
            results[*i] = r;
        }
    }
    unthrottle.extend(of(|c| matches!(c, Change::RemoveThrottle { .. })));
    if !unthrottle.is_empty() && !options.cancel.is_requested() {
        let mut topics = BTreeSet::new();
        let mut brokers = BTreeSet::new();
        for &i in &unthrottle {
            if let Change::AwaitReassignment { topic, brokers: bs, .. }
            | Change::RemoveThrottle { topic, brokers: bs } = changes[i]
            {
                topics.insert(topic.clone());
                brokers.extend(bs.iter().copied());
            }
        }
        remove_throttle(admin, &topics, &brokers, reporter).await;
    }
    results
}

/// Replication-factor changes: throttle (if asked), submit every move, wait, unthrottle.
async fn replication_factor(
    admin: &impl Admin,
    changes: &[&Change],
    options: &Options,
    reporter: &mut dyn Reporter,
) -> Vec<Result<(), cluster::Error>> {
    let all = |e: cluster::Error| vec![Err(e); changes.len()];
    let moves = Moves::of(changes);
    if let Some(rate) = options.throttle {
        if let Err(e) = set_throttle(admin, &moves, rate).await {
            remove_throttle(admin, &moves.throttled.keys().cloned().collect(), &moves.brokers, reporter).await;
            return all(throttle_error(e));
        }
        let brokers: Vec<i32> = moves.brokers.iter().copied().collect();
        reporter.event(Event::ThrottleSet { rate, brokers: &brokers });
    }

    // One request for every partition; those refused transiently are sent again.
    let submit = |idx: Vec<usize>| {
        let batch: Vec<Reassignment> = idx.into_iter().map(|i| moves.moves[i].clone()).collect();
        async move { admin.alter_reassignments(&batch).await }
    };
    let per_partition = retrying(moves.moves.len(), submit, options, reporter).await;
    let mut results: Vec<Result<(), cluster::Error>> = vec![Ok(()); changes.len()];
    for (result, change) in results.iter_mut().zip(changes) {
        if let Some((_, Err(e))) =
            moves.moves.iter().zip(&per_partition).find(|(m, r)| m.topic == change.topic() && r.is_err())
        {
            *result = Err(e.clone());
        }
    }
    let started = per_partition.iter().filter(|r| r.is_ok()).count();
    if started > 0 {
        reporter.event(Event::ReassignmentStarted { partitions: started, waiting: options.wait });
        if options.wait {
            wait_for(admin, &moves.partitions, options, changes, &mut results, reporter).await;
        }
    }
    if options.throttle.is_some() {
        if options.cancel.is_requested() {
            // No new request after a request to stop: the next apply removes it.
            reporter.event(Event::ThrottleKept);
        } else if options.wait || started == 0 {
            remove_throttle(admin, &moves.throttled.keys().cloned().collect(), &moves.brokers, reporter).await;
        } else {
            reporter.event(Event::ThrottleKept);
        }
    }
    results
}

/// Watches the moves until no partition is moving, the wait timeout or the deadline passes, or a stop
/// is asked for.
async fn wait_for(
    admin: &impl Admin,
    partitions: &BTreeMap<String, Vec<i32>>,
    options: &Options,
    changes: &[&Change],
    results: &mut [Result<(), cluster::Error>],
    reporter: &mut dyn Reporter,
) {
    let total: usize = partitions.values().map(Vec::len).sum();
    let deadline = tokio::time::Instant::now() + options.left(options.wait_timeout);
    let mut last = usize::MAX;
    loop {
        match admin.list_reassignments(partitions).await {
            Ok(moving) if moving.is_empty() => {
                reporter.event(Event::ReassignmentDone { total });
                return;
            }
            Ok(moving) => {
                if moving.len() != last {
                    reporter.event(Event::Reassigning { done: total - moving.len(), total });
                    last = moving.len();
                }
            }
            // A passing failure of the watch is not a failure of the reassignment.
            Err(error) => reporter.event(Event::ReassignmentWatchFailed { error: &error }),
        }
        if tokio::time::Instant::now() >= deadline || options.cancel.is_requested() {
            let why = if options.cancel.is_requested() { "apply was interrupted" } else { "the wait timed out" };
            for (result, change) in results.iter_mut().zip(changes) {
                if result.is_ok() {
                    *result = Err(cluster::Error::Topic {
                        operation: "ListPartitionReassignments",
                        topic: change.topic().to_owned(),
                        code: ErrorCode::TimedOut,
                        message: format!(
                            "{why} while the reassignment runs; it goes on in the cluster, and `topicform apply` again \
                             waits for it"
                        ),
                    });
                }
            }
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            () = options.cancel.requested() => {}
        }
    }
}

async fn set_throttle(admin: &impl Admin, moves: &Moves, rate: u64) -> Result<(), cluster::Error> {
    let rate = rate.to_string();
    let set = |key: &str| ConfigOp::Set { key: key.to_owned(), value: rate.clone() };
    let brokers: Vec<ConfigAlter<i32>> = moves
        .brokers
        .iter()
        .map(|&b| ConfigAlter { resource: b, ops: vec![set(LEADER_RATE), set(FOLLOWER_RATE)] })
        .collect();
    first_error(admin.alter_broker_configs(&brokers).await)?;
    let topics: Vec<ConfigAlter<String>> = moves
        .throttled
        .iter()
        .map(|(topic, (leaders, followers))| ConfigAlter {
            resource: topic.clone(),
            ops: [(LEADER_REPLICAS, leaders), (FOLLOWER_REPLICAS, followers)]
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(key, v)| ConfigOp::Set { key: key.to_owned(), value: v.join(",") })
                .collect(),
        })
        .collect();
    first_error(admin.alter_topic_configs(&topics, cluster::Mode::Execute).await)
}

/// Removes the throttle rates of `brokers` and the throttled-replica lists of `topics`.
async fn remove_throttle(
    admin: &impl Admin,
    topics: &BTreeSet<String>,
    brokers: &BTreeSet<i32>,
    reporter: &mut dyn Reporter,
) {
    let delete = |key: &str| ConfigOp::Delete { key: key.to_owned() };
    let brokers: Vec<ConfigAlter<i32>> = brokers
        .iter()
        .map(|&b| ConfigAlter { resource: b, ops: vec![delete(LEADER_RATE), delete(FOLLOWER_RATE)] })
        .collect();
    for (alter, r) in brokers.iter().zip(admin.alter_broker_configs(&brokers).await) {
        if let Err(error) = r {
            reporter.event(Event::ThrottleNotRemoved { broker: Some(alter.resource), error: &error });
        }
    }
    let topics: Vec<ConfigAlter<String>> = topics
        .iter()
        .map(|topic| ConfigAlter {
            resource: topic.clone(),
            ops: vec![delete(LEADER_REPLICAS), delete(FOLLOWER_REPLICAS)],
        })
        .collect();
    for r in admin.alter_topic_configs(&topics, cluster::Mode::Execute).await {
        if let Err(error) = r {
            reporter.event(Event::ThrottleNotRemoved { broker: None, error: &error });
        }
    }
    reporter.event(Event::ThrottleRemoved);
}

fn first_error(results: Vec<Result<(), cluster::Error>>) -> Result<(), cluster::Error> {
    results.into_iter().find(Result::is_err).unwrap_or(Ok(()))
}

fn throttle_error(e: cluster::Error) -> cluster::Error {
    cluster::Error::Request {
        operation: "AlterPartitionReassignments",
        code: e.code().cloned().or(Some(ErrorCode::Other("THROTTLE".into()))),
        message: format!("cannot set the replication throttle: {e}"),
    }
}
