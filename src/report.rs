//! Progress and outcomes as typed data: every step a command or apply takes is an [`Event`] sent to a
//! [`Reporter`]. The terminal reporter (`render::progress`) decides how an event looks; a test records
//! them with [`Recorder`]. Nothing parses a progress string. Pure: no I/O here.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::cluster;
use crate::desired::{self, Sources};
use crate::plan::{Change, Phase, Refusal};

/// One thing that happened, for the user to see on stderr (stdout carries only results).
#[derive(Clone, Copy)]
pub enum Event<'a> {
    /// An event of one cluster of a run over several (a fleet, or `watch`).
    Within {
        /// The cluster's name in the project file.
        cluster: &'a str,
        /// What happened there.
        event: &'a Event<'a>,
    },
    /// `watch` finished a cycle on one cluster.
    Cycle(&'a crate::watch::Cycle),
    /// Problems in the files (errors and warnings), with their sources for snippets.
    Problems {
        /// The problems, sorted by location.
        problems: &'a [desired::Error],
        /// The files' text.
        sources: &'a Sources,
    },
    /// `--strict` failed a run that had only warnings.
    StrictFailure,
    /// `validate` passed.
    Valid {
        /// Declared topics.
        topics: usize,
    },
    /// A cluster is about to be described.
    Describing {
        /// Its name in the project file.
        cluster: &'a str,
        /// Its bootstrap servers.
        bootstrap: &'a str,
    },
    /// Facts about the data of topics that a change deletes or cuts are being gathered.
    GatheringData {
        /// The topics.
        topics: usize,
    },
    /// Topics are deleted although a fact the in-use rules need was not known: `--allow-active-data` or
    /// the file's `activeData` acknowledgement lets them go, since unknown counts as in use.
    DeletingUnchecked {
        /// The topics.
        topics: &'a [String],
    },
    /// The plan was saved for `apply FILE`.
    PlanSaved {
        /// Where.
        path: &'a Path,
    },
    /// `plan --validate-on-broker` asks the brokers about every change.
    BrokerCheck {
        /// Changes asked about.
        changes: usize,
    },
    /// The brokers refused a change (in a broker check or apply's preflight).
    Refused {
        /// The change.
        change: &'a Change,
        /// Their answer.
        error: &'a cluster::Error,
    },
    /// `plan --validate-on-broker` is done.
    BrokerCheckDone {
        /// Changes the brokers would refuse.
        refused: usize,
    },
    /// `apply` refuses a saved plan.
    PlanRefused {
        /// The plan file.
        path: &'a Path,
        /// Why, every reason found.
        reasons: &'a [Refusal],
    },
    /// The user declined the prompt.
    Cancelled,
    /// A command failed; the message says why (it names no secret).
    Failed {
        /// Why.
        error: &'a dyn fmt::Display,
    },
    /// Apply asks the brokers to check the whole plan first (validate-only requests).
    Preflight {
        /// Changes checked.
        changes: usize,
    },
    /// A phase of apply starts.
    PhaseStarted {
        /// Which.
        phase: Phase,
        /// Its changes.
        changes: usize,
    },
    /// Transient failures are retried after a delay.
    Retrying {
        /// Items retried.
        items: usize,
        /// The attempt about to be made, from 1.
        attempt: u32,
        /// The wait before it.
        delay: Duration,
    },
    /// A change was made.
    ChangeDone {
        /// Which.
        change: &'a Change,
    },
    /// A change failed.
    ChangeFailed {
        /// Which.
        change: &'a Change,
        /// Why.
        error: &'a cluster::Error,
    },
    /// A topic to create already existed: made by someone else since the plan.
    AlreadyExisted {
        /// The topic.
        topic: &'a str,
    },
    /// The replication throttle was set for a reassignment.
    ThrottleSet {
        /// Bytes per second per broker.
        rate: u64,
        /// The brokers throttled.
        brokers: &'a [i32],
    },
    /// Replicas started moving.
    ReassignmentStarted {
        /// Partitions moving.
        partitions: usize,
        /// Whether apply waits for them.
        waiting: bool,
    },
    /// How far the moves are.
    Reassigning {
        /// Partitions done.
        done: usize,
        /// Partitions in all.
        total: usize,
    },
    /// Every move finished.
    ReassignmentDone {
        /// Partitions moved.
        total: usize,
    },
    /// Watching the moves failed once; the watch goes on.
    ReassignmentWatchFailed {
        /// Why.
        error: &'a cluster::Error,
    },
    /// The throttle stays because apply did not wait (`--no-wait`).
    ThrottleKept,
    /// Removing part of the throttle failed.
    ThrottleNotRemoved {
        /// The broker, or `None` for a topic's throttled-replica lists.
        broker: Option<i32>,
        /// Why.
        error: &'a cluster::Error,
    },
    /// The throttle was removed.
    ThrottleRemoved,
    /// Apply re-describes the topics it touched.
    Verifying {
        /// Topics described.
        topics: usize,
    },
    /// `snapshot` wrote its file.
    SnapshotWritten {
        /// Where.
        path: &'a Path,
        /// Topics recorded.
        topics: usize,
        /// Its content hash.
        hash: &'a str,
    },
    /// `import` wrote its files.
    Imported {
        /// Topics imported.
        topics: usize,
        /// The cluster's name.
        cluster: &'a str,
        /// Files written.
        files: usize,
        /// Where.
        dir: &'a Path,
    },
}

/// Receives events. The terminal reporter draws them; a test records them.
pub trait Reporter {
    /// One event.
    fn event(&mut self, event: Event<'_>);

    /// Asks whether to apply, listing the `destructive` changes; `false` when nobody can answer.
    fn confirm(&mut self, destructive: &[&Change]) -> bool {
        let _ = destructive;
        false
    }
}

/// Drops every event (for library calls that report nothing).
#[derive(Debug, Default)]
pub struct Silent;

impl Reporter for Silent {
    fn event(&mut self, _event: Event<'_>) {}
}

/// Records events as one line of text each, for tests to compare. The lines are a test's view of the
/// data, not what a user sees: the terminal reporter decides that.
#[derive(Debug, Default)]
pub struct Recorder {
    /// One line per event, in order.
    pub lines: Vec<String>,
    /// The answer to give when asked to confirm.
    pub approve: bool,
}

impl Reporter for Recorder {
    fn confirm(&mut self, destructive: &[&Change]) -> bool {
        self.lines.push(format!("confirm? {} destructive", destructive.len()));
        self.approve
    }

    fn event(&mut self, event: Event<'_>) {
        let line = record(event);
        self.lines.push(line);
    }
}

/// The test's one line for `event`.
fn record(event: Event<'_>) -> String {
    match event {
        Event::Within { cluster, event } => format!("[{cluster}] {}", record(*event)),
        Event::Cycle(cycle) => format!("cycle {}: {}", cycle.cluster, cycle.outcome.word()),
        Event::Problems { problems, .. } => format!("problems: {}", problems.len()),
        Event::StrictFailure => "strict failure".into(),
        Event::Valid { topics } => format!("valid: {topics} topic(s)"),
        Event::Describing { cluster, .. } => format!("describing {cluster}"),
        Event::GatheringData { topics } => format!("gathering data facts: {topics} topic(s)"),
        Event::DeletingUnchecked { topics } => format!("deleting unchecked: {}", topics.join(", ")),
        Event::PlanSaved { path } => format!("plan saved: {}", path.display()),
        Event::BrokerCheck { changes } => format!("broker check: {changes}"),
        Event::Refused { change, error } => {
            format!("refused: {} {}: {error}", change.phase().as_str(), change.topic())
        }
        Event::BrokerCheckDone { refused } => format!("broker check done: {refused} refused"),
        Event::PlanRefused { reasons, .. } => format!("plan refused: {reasons:?}"),
        Event::Cancelled => "cancelled".into(),
        Event::Failed { error } => format!("failed: {error}"),
        Event::Preflight { changes } => format!("preflight: {changes}"),
        Event::PhaseStarted { phase, changes } => format!("phase {}: {changes}", phase.as_str()),
        Event::Retrying { items, attempt, .. } => format!("retrying {items} (attempt {attempt})"),
        Event::ChangeDone { change } => format!("done: {} {}", change.phase().as_str(), change.topic()),
        Event::ChangeFailed { change, error } => {
            format!(
                "failed: {} {}: {}",
                change.phase().as_str(),
                change.topic(),
                error.code().map_or("-", |c| c.name())
            )
        }
        Event::AlreadyExisted { topic } => format!("already existed: {topic}"),
        Event::ThrottleSet { rate, brokers } => format!("throttle set: {rate} B/s on {brokers:?}"),
        Event::ReassignmentStarted { partitions, waiting } => {
            format!("reassignment started: {partitions} partition(s), waiting: {waiting}")
        }
        Event::Reassigning { done, total } => format!("reassigning: {done}/{total}"),
        Event::ReassignmentDone { total } => format!("reassignment done: {total}"),
        Event::ReassignmentWatchFailed { .. } => "reassignment watch failed".into(),
        Event::ThrottleKept => "throttle kept".into(),
        Event::ThrottleNotRemoved { broker, .. } => format!("throttle not removed: {broker:?}"),
        Event::ThrottleRemoved => "throttle removed".into(),
        Event::Verifying { topics } => format!("verifying {topics} topic(s)"),
        Event::Imported { topics, files, .. } => format!("imported {topics} topic(s) into {files} file(s)"),
        Event::SnapshotWritten { topics, .. } => format!("snapshot of {topics} topic(s)"),
    }
}
