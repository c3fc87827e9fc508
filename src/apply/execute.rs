//! A phase of a plan carried out through the [`Admin`] primitives: its changes become one batched call
//! (the adapter chunks it), each item's result is spread back over the changes it carried, and
//! transient failures are retried as [`retry_delay`] allows.

use std::collections::BTreeMap;
use std::future::Future;

use super::Options;
use super::reassign;
use super::retry::retry_delay;
use crate::cluster::{self, Admin, ConfigAlter, ConfigOp, ErrorCode, Mode, NewPartitions, NewTopic};
use crate::plan::{Change, Phase};
use crate::report::{Event, Reporter};

/// Runs `changes`, all of `phase`, in `mode`; one result per change, in order, and the topics that
/// already existed when they were to be created.
pub(super) async fn phase(
    admin: &impl Admin,
    phase: Phase,
    changes: &[&Change],
    mode: Mode,
    options: &Options,
    reporter: &mut dyn Reporter,
) -> (Vec<Result<(), cluster::Error>>, Vec<String>) {
    match (phase, mode) {
        (Phase::Reassign, Mode::Validate) => (reassign::check(admin, changes).await, Vec::new()),
        (Phase::Reassign, Mode::Execute) => (reassign::run(admin, changes, options, reporter).await, Vec::new()),
        // Kafka has no validate-only deletion.
        (Phase::Delete, Mode::Validate) => (vec![Ok(()); changes.len()], Vec::new()),
        _ => {
            let call = |idx: Vec<usize>| once(admin, phase, idx.into_iter().map(|i| changes[i]).collect(), mode);
            let mut results = retrying(changes.len(), call, options, reporter).await;
            // A topic that already exists when it is to be created counts as created: another apply of
            // the same files (or someone else) got there first, and verification checks that it matches.
            let mut existed = Vec::new();
            for (r, change) in results.iter_mut().zip(changes) {
                if matches!(change, Change::CreateTopic { .. })
                    && r.as_ref().is_err_and(|e| e.code() == Some(&ErrorCode::TopicAlreadyExists))
                {
                    reporter.event(Event::AlreadyExisted { topic: change.topic() });
                    existed.push(change.topic().to_owned());
                    *r = Ok(());
                }
            }
            (results, existed)
        }
    }
}

/// One batched call for the changes of one phase (not reassignments).
async fn once(admin: &impl Admin, phase: Phase, changes: Vec<&Change>, mode: Mode) -> Vec<Result<(), cluster::Error>> {
    match phase {
        Phase::Create => {
            let topics: Vec<NewTopic> = changes
                .iter()
                .filter_map(|c| match c {
                    Change::CreateTopic { topic, partitions, replication_factor, configs } => Some(NewTopic {
                        name: topic.clone(),
                        partitions: *partitions,
                        replication_factor: *replication_factor,
                        configs: configs.clone(),
                    }),
                    _ => None,
                })
                .collect();
            admin.create_topics(&topics, mode).await
        }
        Phase::Partitions => {
            let grows: Vec<NewPartitions> = changes
                .iter()
                .filter_map(|c| match c {
                    Change::AddPartitions { topic, to, assignments, .. } => {
                        Some(NewPartitions { topic: topic.clone(), total: *to, assignments: assignments.clone() })
                    }
                    _ => None,
                })
                .collect();
            admin.create_partitions(&grows, mode).await
        }
        Phase::Configs => {
            // One resource per topic carrying all of its SET and DELETE operations.
            let mut by_topic: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (i, c) in changes.iter().enumerate() {
                by_topic.entry(c.topic()).or_default().push(i);
            }
            let alters: Vec<ConfigAlter<String>> = by_topic
                .iter()
                .map(|(topic, idx)| ConfigAlter {
                    resource: topic.to_string(),
                    ops: idx.iter().filter_map(|&i| config_op(changes[i])).collect(),
                })
                .collect();
            let per_topic = admin.alter_topic_configs(&alters, mode).await;
            let mut results = vec![Ok(()); changes.len()];
            for ((_, idx), r) in by_topic.iter().zip(per_topic) {
                for &i in idx {
                    results[i] = r.clone();
                }
            }
            results
        }
        Phase::Delete => {
            let names: Vec<String> = changes.iter().map(|c| c.topic().to_owned()).collect();
            admin.delete_topics(&names).await
        }
        Phase::Reassign => unreachable!("reassignments run through `reassign::run`"),
    }
}

fn config_op(change: &Change) -> Option<ConfigOp> {
    match change {
        Change::SetConfig { key, after, .. } | Change::PinConfig { key, value: after, .. } => {
            Some(ConfigOp::Set { key: key.clone(), value: after.clone() })
        }
        Change::UnsetConfig { key, .. } => Some(ConfigOp::Delete { key: key.clone() }),
        _ => None,
    }
}

/// Calls `call` with the indices of every item, then again with those that failed with a transient
/// error, as [`retry_delay`] allows, while there is time before the deadline and no request to stop;
/// one result per item.
pub(super) async fn retrying<F, Fut>(
    count: usize,
    mut call: F,
    options: &Options,
    reporter: &mut dyn Reporter,
) -> Vec<Result<(), cluster::Error>>
where
    F: FnMut(Vec<usize>) -> Fut,
    Fut: Future<Output = Vec<Result<(), cluster::Error>>>,
{
    let mut results: Vec<Result<(), cluster::Error>> = vec![Ok(()); count];
    let mut pending: Vec<usize> = (0..count).collect();
    let mut attempt = 0;
    while !pending.is_empty() {
        let outcome = call(pending.clone()).await;
        let mut again = Vec::new();
        let mut wait = std::time::Duration::ZERO;
        for (i, r) in pending.iter().copied().zip(outcome) {
            if let Err(e) = &r
                && let Some(d) = retry_delay(e, attempt)
            {
                wait = wait.max(d);
                again.push(i);
            }
            results[i] = r;
        }
        attempt += 1;
        if !again.is_empty() && (options.cancel.is_requested() || !options.has_time_for(wait)) {
            break;
        }
        if !again.is_empty() {
            reporter.event(Event::Retrying { items: again.len(), attempt, delay: wait });
            tokio::time::sleep(wait).await;
        }
        pending = again;
    }
    results
}
