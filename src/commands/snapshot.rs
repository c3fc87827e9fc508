//! `snapshot`: one batched describe of the scope (the same requests as `plan`), written as a redacted,
//! deterministic file that `plan --from-snapshot` plans against with no credential.

use std::path::PathBuf;

use anyhow::Context;

use super::{Common, Target};
use crate::cluster::Connect;
use crate::plan::{self, ExitStatus};
use crate::report::{Event, Reporter};
use crate::snapshot::Snapshot;

/// Settings of `snapshot`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The cluster.
    pub target: Target,
    /// Topic files or directories, for the scope (empty: the project's `topics`).
    pub paths: Vec<PathBuf>,
    /// The file to write.
    pub out: PathBuf,
    /// Record the brokers' addresses too.
    pub keep_hosts: bool,
}

/// Runs `snapshot`.
pub async fn run(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ExitStatus> {
    run_keeping(common, settings, connect, reporter, &mut None).await
}

/// [`run`], keeping the number of topics recorded in `kept` (for a fleet's report).
pub(crate) async fn run_keeping(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    reporter: &mut dyn Reporter,
    kept: &mut Option<usize>,
) -> anyhow::Result<ExitStatus> {
    let Settings { target, paths, out, keep_hosts } = settings;
    let options = plan::Options::default();
    let output = super::plan::Output { path: &out, also_read: None };
    let keep = super::plan::Keep::Everything;
    let made =
        super::plan::make_writing(common, &target, paths, options, keep, Some(output), connect, reporter).await?;
    let Some(planned) = made else {
        return Ok(ExitStatus::Failure);
    };
    let out = super::per_cluster(&out, &planned.cluster);
    let snapshot = Snapshot::of(&planned.live, keep_hosts, common.now_unix);
    std::fs::write(&out, snapshot.to_text()).with_context(|| format!("writing the snapshot to `{}`", out.display()))?;
    *kept = Some(snapshot.content.topics.len());
    reporter.event(Event::SnapshotWritten {
        path: &out,
        topics: snapshot.content.topics.len(),
        hash: &snapshot.content_hash,
    });
    Ok(ExitStatus::Success)
}
