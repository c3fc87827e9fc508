//! An [`Admin`] that answers from a snapshot file's picture of a cluster, for `plan --from-snapshot`:
//! describe is served from it, and every change is refused (apply always works on the live cluster).

use std::collections::BTreeMap;

use super::{
    Admin, ConfigAlter, Connect, Connection, Error, ErrorCode, Mode, NewPartitions, NewTopic, Ongoing, Reassignment,
};
use crate::desired::ClusterConfig;
use crate::live::{DataQuery, Live, Scope, TopicData, Unknown};
use crate::snapshot::Snapshot;

/// The cluster as a snapshot recorded it.
#[derive(Debug, Clone)]
pub struct SnapshotAdmin {
    /// Shared: `connect` hands out a copy of the admin, not of the snapshot.
    snapshot: std::sync::Arc<Snapshot>,
}

impl SnapshotAdmin {
    /// An admin that answers from `snapshot`.
    pub fn new(snapshot: Snapshot) -> Self {
        SnapshotAdmin { snapshot: std::sync::Arc::new(snapshot) }
    }
}

fn refused<T>(items: &[T]) -> Vec<Result<(), Error>> {
    let e = Error::Request {
        operation: "Snapshot",
        code: Some(ErrorCode::Unsupported),
        message: "a snapshot is a picture of a cluster: apply works on the live cluster".into(),
    };
    vec![Err(e); items.len()]
}

impl Admin for SnapshotAdmin {
    async fn describe(&self, scope: &Scope) -> Result<Live, Error> {
        Ok(self.snapshot.to_live(scope))
    }

    async fn create_topics(&self, topics: &[NewTopic], _mode: Mode) -> Vec<Result<(), Error>> {
        refused(topics)
    }

    async fn create_partitions(&self, partitions: &[NewPartitions], _mode: Mode) -> Vec<Result<(), Error>> {
        refused(partitions)
    }

    async fn alter_topic_configs(&self, alters: &[ConfigAlter<String>], _mode: Mode) -> Vec<Result<(), Error>> {
        refused(alters)
    }

    async fn alter_broker_configs(&self, alters: &[ConfigAlter<i32>]) -> Vec<Result<(), Error>> {
        refused(alters)
    }

    async fn delete_topics(&self, topics: &[String]) -> Vec<Result<(), Error>> {
        refused(topics)
    }

    async fn alter_reassignments(&self, moves: &[Reassignment]) -> Vec<Result<(), Error>> {
        refused(moves)
    }

    async fn list_reassignments(&self, partitions: &BTreeMap<String, Vec<i32>>) -> Result<Vec<Ongoing>, Error> {
        Ok(self
            .snapshot
            .content
            .moving
            .iter()
            .filter(|(t, _)| partitions.contains_key(*t))
            .flat_map(|(t, ps)| ps.iter().map(move |&p| Ongoing { topic: t.clone(), partition: p }))
            .collect())
    }

    async fn data(&self, _live: &Live, query: &DataQuery) -> BTreeMap<String, TopicData> {
        query.topics.keys().map(|t| (t.clone(), TopicData::unknown(Unknown::NotInSnapshot))).collect()
    }
}

impl Connect for SnapshotAdmin {
    type Admin = SnapshotAdmin;

    /// No connection: the snapshot stands in for the cluster, whatever the project file says of it.
    fn connect(&self, _cluster: &ClusterConfig, _connection: Connection) -> Result<SnapshotAdmin, Error> {
        Ok(self.clone())
    }

    fn is_live(&self) -> bool {
        false
    }
}
