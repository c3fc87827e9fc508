//! Data-aware safety, pure: which planned changes destroy or expire data ([`query`]), what the
//! cluster's answers about that data mean ([`impact`]: size, records, last write, consumer groups and,
//! for a retention cut, an estimate of what goes at once), and the rules apply holds a deletion to
//! ([`check`]). No I/O and no clock: the caller gives the time.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Change, DeleteReason};
use crate::live::{DataQuery, Fact, TopicData, Unknown};

/// What a plan's changes do to one topic's data, as the cluster told it when the plan was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Impact {
    /// Size on disk.
    pub size: Fact<Size>,
    /// Records held: the sum over partitions of latest minus earliest offset (a compacted topic or one
    /// with transactions holds fewer).
    pub records: Fact<u64>,
    /// When the newest record was written.
    pub last_write: Fact<LastWrite>,
    /// Consumer groups that read the topic (a commit on it, or members subscribed to it or assigned
    /// it), by group id; unknown when a group with members might read it and what they read is not known.
    pub groups: Fact<Vec<Group>>,
    /// For a shorter `retention.ms`: what becomes eligible for deletion at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_ms_cut: Option<Fact<TimeCut>>,
    /// For a smaller `retention.bytes`: the partitions over the new limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_bytes_cut: Option<Fact<BytesCut>>,
}

/// A topic's size on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Size {
    /// Bytes of every replica of every partition together.
    pub all_replicas_bytes: u64,
    /// Bytes of the leaders' replicas: one copy of the data.
    pub leader_bytes: u64,
    /// Replicas per partition, at most (the replication factor as found on disk).
    pub replicas: u32,
}

/// When a topic was last written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LastWrite {
    /// The newest record's timestamp, in milliseconds since 1970-01-01 UTC; `null`: the topic holds no
    /// record.
    pub at_ms: Option<i64>,
    /// Its age when the plan was made, in milliseconds; `null` with `atMs`.
    pub age_ms: Option<u64>,
}

/// A consumer group that reads a topic: with committed offsets on it, or with members that subscribe to
/// it or are assigned its partitions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// The group id.
    pub group: String,
    /// Whether it has members now (members read the topic, or its state is not `Empty`).
    pub active: bool,
    /// Its state, as its coordinator says (`Stable`, `Empty`, ...).
    pub state: String,
    /// Members that subscribe to the topic or are assigned its partitions (a group that commits by
    /// hand, or has not committed yet, reads through them alone).
    #[serde(default)]
    pub members: u32,
    /// Records behind the end of the topic, summed over the partitions it committed; `null` when the
    /// offsets are not known or the group committed nothing on the topic.
    pub lag: Option<u64>,
}

/// What a shorter `retention.ms` makes eligible for deletion at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimeCut {
    /// The new retention, in milliseconds.
    pub retention_ms: i64,
    /// Records older than the new retention (offsets before the first record at or after now minus
    /// it). An estimate: the broker deletes whole segments, and never the active one, so fewer may go
    /// at once.
    pub records: u64,
    /// Their bytes, in proportion to each partition's leader size (an estimate, as `records`).
    pub bytes: u64,
}

/// What a smaller `retention.bytes` (a per-partition limit) makes eligible for deletion at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BytesCut {
    /// The new limit per partition, in bytes.
    pub retention_bytes: i64,
    /// Partitions larger than it.
    pub partitions_over: u32,
    /// By how many bytes they are over it, together: an estimate of what goes, since the broker deletes
    /// whole segments.
    pub bytes_over: u64,
}

/// The new value of a retention limit when the change lowers it: `-1` (unlimited) is the largest.
fn lowered(before: Option<&str>, after: Option<&str>) -> Option<i64> {
    let limit =
        |v: Option<&str>| v.and_then(|v| v.trim().parse::<i64>().ok()).map(|n| if n < 0 { i64::MAX } else { n });
    match (limit(before), limit(after)) {
        (Some(b), Some(a)) if a < b => Some(a),
        // An unknown old value may be a cut: look.
        (None, Some(a)) if a != i64::MAX => Some(a),
        _ => None,
    }
}

/// A config change as (topic, key, effective value before, after).
fn config_change(change: &Change) -> Option<(&str, &str, Option<&str>, Option<&str>)> {
    match change {
        Change::SetConfig { topic, key, before, after } => {
            Some((topic, key, before.as_ref().and_then(|b| b.value.as_deref()), Some(after)))
        }
        Change::UnsetConfig { topic, key, before, after } => {
            Some((topic, key, before.as_deref(), after.as_ref().and_then(|a| a.value.as_deref())))
        }
        _ => None,
    }
}

/// What the changes do to data, per topic.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Touches {
    delete: bool,
    retention_ms: Option<i64>,
    retention_bytes: Option<i64>,
    cleanup_policy: bool,
}

fn touches(changes: &[Change]) -> BTreeMap<&str, Touches> {
    let mut out: BTreeMap<&str, Touches> = BTreeMap::new();
    for change in changes {
        if let Change::DeleteTopic { topic, .. } = change {
            out.entry(topic).or_default().delete = true;
        }
        let Some((topic, key, before, after)) = config_change(change) else { continue };
        match key {
            "retention.ms" => {
                if let Some(new) = lowered(before, after) {
                    out.entry(topic).or_default().retention_ms = Some(new);
                }
            }
            "retention.bytes" => {
                if let Some(new) = lowered(before, after) {
                    out.entry(topic).or_default().retention_bytes = Some(new);
                }
            }
            "cleanup.policy" => out.entry(topic).or_default().cleanup_policy = true,
            _ => {}
        }
    }
    out
}

/// The topics whose data the changes destroy or expire (a deletion, a shorter `retention.ms` or
/// `retention.bytes`, a `cleanup.policy` change), and for a shorter `retention.ms` the timestamp before
/// which records become eligible for deletion. Empty when no change touches data: then nothing is asked.
pub fn query(changes: &[Change], now_ms: i64) -> DataQuery {
    let topics = touches(changes)
        .into_iter()
        .map(|(topic, t)| (topic.to_owned(), t.retention_ms.map(|r| now_ms.saturating_sub(r))))
        .collect();
    DataQuery { topics }
}

/// Sums up what the cluster said about the topics of [`query`], for the changes planned on them.
pub fn impact(changes: &[Change], data: &BTreeMap<String, TopicData>, now_ms: i64) -> BTreeMap<String, Impact> {
    let touched = touches(changes);
    let mut out = BTreeMap::new();
    for (topic, t) in touched {
        let missing = TopicData::unknown(Unknown::Failed("no answer".into()));
        let d = data.get(topic).unwrap_or(&missing);
        out.insert(topic.to_owned(), topic_impact(d, t, now_ms));
    }
    out
}

fn topic_impact(d: &TopicData, t: Touches, now_ms: i64) -> Impact {
    let size = map(&d.sizes, |sizes| Size {
        all_replicas_bytes: sizes.values().map(|s| s.all).sum(),
        leader_bytes: sizes.values().map(|s| s.leader).sum(),
        replicas: sizes.values().map(|s| s.replicas).max().unwrap_or(0),
    });
    let held = |o: &crate::live::PartitionOffsets| (o.latest - o.earliest).max(0) as u64;
    let records = map(&d.offsets, |offsets| offsets.values().map(held).sum());
    let last_write =
        map(&d.last_write, |at| LastWrite { at_ms: *at, age_ms: at.map(|at| now_ms.saturating_sub(at).max(0) as u64) });
    let groups = map(&d.groups, |groups| {
        groups
            .iter()
            .map(|g| Group {
                group: g.group.clone(),
                active: g.is_active(),
                state: g.state.clone(),
                members: g.members,
                lag: d.offsets.known().filter(|_| !g.committed.is_empty()).map(|offsets| {
                    g.committed
                        .iter()
                        .filter_map(|(p, c)| offsets.get(p).map(|o| (o.latest - (*c).max(o.earliest)).max(0) as u64))
                        .sum()
                }),
            })
            .collect()
    });
    let retention_ms_cut = t.retention_ms.map(|retention_ms| match (&d.offsets, &d.sizes) {
        (Fact::Unknown(why), _) => Fact::Unknown(why.clone()),
        (Fact::Known(offsets), sizes) => {
            let mut records = 0u64;
            let mut bytes = 0u64;
            for (p, o) in offsets {
                let cut = o.at_cut.unwrap_or(o.earliest).clamp(o.earliest, o.latest);
                let gone = (cut - o.earliest) as u64;
                records += gone;
                let leader = sizes.known().and_then(|s| s.get(p)).map_or(0, |s| s.leader);
                if held(o) > 0 {
                    bytes += (leader as u128 * gone as u128 / held(o) as u128) as u64;
                }
            }
            Fact::Known(TimeCut { retention_ms, records, bytes })
        }
    });
    let retention_bytes_cut = t.retention_bytes.map(|retention_bytes| {
        map(&d.sizes, |sizes| {
            let limit = retention_bytes.max(0) as u64;
            let over: Vec<u64> = sizes.values().filter(|s| s.leader > limit).map(|s| s.leader - limit).collect();
            BytesCut { retention_bytes, partitions_over: over.len() as u32, bytes_over: over.iter().sum() }
        })
    });
    Impact { size, records, last_write, groups, retention_ms_cut, retention_bytes_cut }
}

fn map<T, U>(fact: &Fact<T>, f: impl FnOnce(&T) -> U) -> Fact<U> {
    match fact {
        Fact::Known(v) => Fact::Known(f(v)),
        Fact::Unknown(why) => Fact::Unknown(why.clone()),
    }
}

/// The data rules of apply: a deletion is refused while its data is in use, and the bytes one apply
/// deletes may be capped. Unknown is never taken for idle or for zero: a fact that could not be read
/// counts as in use, and an unknown size as over the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// `--allow-active-data`: delete topics in use too, and so topics whose use could not be checked
    /// (unknown counts as in use); [`unchecked`] names them, so that apply says so. It never lifts the
    /// byte cap.
    pub allow_active_data: bool,
    /// A topic written within this many milliseconds is in use.
    pub window_ms: u64,
    /// `--max-destroy-bytes`: at most this many bytes (all replicas) deleted by one apply.
    pub max_destroy_bytes: Option<u64>,
}

/// The default window: a topic written within the last 24 hours is in use.
pub const DEFAULT_WINDOW_MS: u64 = 24 * 3_600_000;

impl Default for Rules {
    fn default() -> Self {
        Rules { allow_active_data: false, window_ms: DEFAULT_WINDOW_MS, max_destroy_bytes: None }
    }
}

/// Why apply refuses to delete data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// Written within the window.
    #[error(
        "topic `{topic}` was written {} ago, within the {} window of the recent-write rule",
        crate::catalog::human::duration(*age_ms),
        crate::catalog::human::duration(*window_ms)
    )]
    RecentWrite {
        /// The topic.
        topic: String,
        /// The age of its newest record, in milliseconds.
        age_ms: u64,
        /// The window, in milliseconds.
        window_ms: u64,
    },
    /// A consumer group with members reads it.
    #[error("topic `{topic}` is read by consumer group(s) with active members ({}), against the active-group rule", .groups.join(", "))]
    ActiveGroups {
        /// The topic.
        topic: String,
        /// The active groups.
        groups: Vec<String>,
    },
    /// A fact a rule needs is not known, so the rule cannot be checked.
    #[error("topic `{topic}`: {fact} {why}, so the {rule} rule cannot be checked")]
    CannotCheck {
        /// The topic.
        topic: String,
        /// The fact (`last write`, `consumer groups`, `size`).
        fact: &'static str,
        /// Why it is not known.
        why: Unknown,
        /// The rule (`recent-write`, `active-group`, `--max-destroy-bytes`).
        rule: &'static str,
    },
    /// More bytes than `--max-destroy-bytes`.
    #[error(
        "the plan deletes {} ({bytes} bytes on all replicas), more than --max-destroy-bytes {} ({max} bytes)",
        crate::catalog::human::bytes(*bytes),
        crate::catalog::human::bytes(*max)
    )]
    TooManyBytes {
        /// Bytes the deletions destroy.
        bytes: u64,
        /// The cap.
        max: u64,
    },
}

/// Checks every deletion of `changes` against `rules`, with the facts of `data` (gathered at apply
/// time). `acknowledged(topic)`: the topic's file acknowledges `activeData`, which lifts the in-use rules
/// for it (never the byte cap). A fact that is not known counts as in use, and an unknown size as more
/// than any `--max-destroy-bytes`. Empty: apply may delete.
pub fn check(
    changes: &[Change],
    data: &BTreeMap<String, Impact>,
    acknowledged: impl Fn(&str) -> bool,
    rules: &Rules,
) -> Vec<Refused> {
    let mut out = Vec::new();
    let mut total = 0u64;
    let mut unknown_sizes = Vec::new();
    for change in changes {
        let Change::DeleteTopic { topic, reason, .. } = change else { continue };
        let missing = Impact::unknown(Unknown::Failed("not gathered".into()));
        let facts = data.get(topic).unwrap_or(&missing);
        match &facts.size {
            Fact::Known(s) => total += s.all_replicas_bytes,
            Fact::Unknown(why) => unknown_sizes.push((topic.clone(), why.clone())),
        }
        // A pruned topic has no file to acknowledge in.
        if rules.allow_active_data || (*reason == DeleteReason::Declared && acknowledged(topic)) {
            continue;
        }
        // A topic that holds no record has nothing to lose to a deletion, whenever it was written (its
        // last write is unknown before Kafka 3.0).
        let empty = facts.records == Fact::Known(0);
        match &facts.last_write {
            _ if empty => {}
            Fact::Known(LastWrite { age_ms: Some(age_ms), .. }) if *age_ms < rules.window_ms => {
                out.push(Refused::RecentWrite { topic: topic.clone(), age_ms: *age_ms, window_ms: rules.window_ms })
            }
            Fact::Known(_) => {}
            Fact::Unknown(why) => out.push(Refused::CannotCheck {
                topic: topic.clone(),
                fact: "last write",
                why: why.clone(),
                rule: "recent-write",
            }),
        }
        match &facts.groups {
            Fact::Known(groups) => {
                let active: Vec<String> = groups.iter().filter(|g| g.active).map(|g| g.group.clone()).collect();
                if !active.is_empty() {
                    out.push(Refused::ActiveGroups { topic: topic.clone(), groups: active });
                }
            }
            Fact::Unknown(why) => out.push(Refused::CannotCheck {
                topic: topic.clone(),
                fact: "consumer groups",
                why: why.clone(),
                rule: "active-group",
            }),
        }
    }
    if let Some(max) = rules.max_destroy_bytes {
        // Every topic whose size is unknown, and the known bytes too when they alone exceed the cap.
        for (topic, why) in unknown_sizes {
            out.push(Refused::CannotCheck { topic, fact: "size", why, rule: "--max-destroy-bytes" });
        }
        if total > max {
            out.push(Refused::TooManyBytes { bytes: total, max });
        }
    }
    out
}

/// The deletions of `changes` allowed only because `--allow-active-data` or the file's acknowledgement
/// lifts the in-use rules, while a fact those rules need is not known: apply deletes them, as unknown
/// counts as in use and in use is allowed, and says so rather than take them for idle.
pub fn unchecked(
    changes: &[Change],
    data: &BTreeMap<String, Impact>,
    acknowledged: impl Fn(&str) -> bool,
    rules: &Rules,
) -> Vec<String> {
    changes
        .iter()
        .filter_map(|c| match c {
            Change::DeleteTopic { topic, reason, .. } => Some((topic, reason)),
            _ => None,
        })
        .filter(|(topic, reason)| {
            rules.allow_active_data || (**reason == DeleteReason::Declared && acknowledged(topic))
        })
        .filter(|(topic, _)| {
            data.get(topic.as_str()).is_none_or(|f| {
                let empty = f.records == Fact::Known(0);
                (!empty && f.last_write.known().is_none()) || f.groups.known().is_none()
            })
        })
        .map(|(topic, _)| topic.to_string())
        .collect()
}

impl Impact {
    /// A topic of which nothing is known, for one reason.
    pub fn unknown(why: Unknown) -> Self {
        Impact {
            size: Fact::Unknown(why.clone()),
            records: Fact::Unknown(why.clone()),
            last_write: Fact::Unknown(why.clone()),
            groups: Fact::Unknown(why),
            retention_ms_cut: None,
            retention_bytes_cut: None,
        }
    }

    /// Whether the data is in use by the rules' window: written within it, or read by a group with
    /// members. `None` when that is not known: neither fact shows use and one of them is unknown (a
    /// topic holding no record needs no last write).
    pub fn in_use(&self, window_ms: u64) -> Option<bool> {
        let empty = self.records == Fact::Known(0);
        let written =
            if empty { Some(false) } else { self.last_write.known().map(|w| w.age_ms.is_some_and(|a| a < window_ms)) };
        let read = self.groups.known().map(|g| g.iter().any(|g| g.active));
        match (written, read) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        }
    }
}

/// The topics whose data was idle when the plan was made and is in use now, or can no longer be checked
/// (unknown counts as in use): a saved plan reviewed as deleting idle data must not delete data in use.
pub fn became_active(then: &BTreeMap<String, Impact>, now: &BTreeMap<String, Impact>, window_ms: u64) -> Vec<String> {
    then.iter()
        .filter(|(topic, t)| {
            t.in_use(window_ms) == Some(false) && now.get(*topic).and_then(|n| n.in_use(window_ms)) != Some(false)
        })
        .map(|(topic, _)| topic.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{ConfigSource, Effective, GroupData, PartitionOffsets, PartitionSize};

    const NOW: i64 = 1_000_000_000_000;
    const HOUR: i64 = 3_600_000;

    fn set(topic: &str, key: &str, before: &str, after: &str) -> Change {
        Change::SetConfig {
            topic: topic.into(),
            key: key.into(),
            before: Some(Effective { value: Some(before.into()), source: ConfigSource::TopicOverride }),
            after: after.into(),
        }
    }

    fn delete(topic: &str, reason: DeleteReason) -> Change {
        Change::DeleteTopic { topic: topic.into(), partitions: 2, reason }
    }

    #[test]
    fn only_changes_that_touch_data_are_asked_about() {
        let changes = [
            delete("gone", DeleteReason::Declared),
            set("shorter", "retention.ms", "604800000", "86400000"),
            set("longer", "retention.ms", "86400000", "604800000"),
            set("smaller", "retention.bytes", "-1", "1073741824"),
            set("policy", "cleanup.policy", "delete", "compact"),
            set("other", "segment.ms", "604800000", "1000"),
            Change::AddPartitions { topic: "grow".into(), from: 1, to: 2, assignments: vec![] },
        ];
        let q = query(&changes, NOW);
        assert_eq!(
            q.topics.into_iter().collect::<Vec<_>>(),
            [
                ("gone".to_owned(), None),
                ("policy".to_owned(), None),
                ("shorter".to_owned(), Some(NOW - 24 * HOUR)),
                ("smaller".to_owned(), None),
            ]
        );
        assert!(query(&changes[2..3], NOW).topics.is_empty(), "a longer retention asks nothing");
    }

    fn data() -> TopicData {
        let offsets = BTreeMap::from([
            (0, PartitionOffsets { earliest: 0, latest: 1000, at_cut: Some(400) }),
            (1, PartitionOffsets { earliest: 100, latest: 300, at_cut: Some(300) }),
        ]);
        let sizes = BTreeMap::from([
            (0, PartitionSize { leader: 10_000, all: 30_000, replicas: 3 }),
            (1, PartitionSize { leader: 2_000, all: 6_000, replicas: 3 }),
        ]);
        TopicData {
            sizes: Fact::Known(sizes),
            offsets: Fact::Known(offsets),
            last_write: Fact::Known(Some(NOW - 2 * HOUR)),
            groups: Fact::Known(vec![
                GroupData {
                    group: "billing".into(),
                    state: "Stable".into(),
                    committed: BTreeMap::from([(0, 900)]),
                    members: 1,
                },
                GroupData {
                    group: "old".into(),
                    state: "Empty".into(),
                    committed: BTreeMap::from([(0, 1000), (1, 50)]),
                    members: 0,
                },
            ]),
        }
    }

    #[test]
    fn impact_sums_partitions_and_estimates_cuts() {
        let changes = [set("t", "retention.ms", "604800000", "86400000"), set("t", "retention.bytes", "-1", "5000")];
        let data = BTreeMap::from([("t".to_owned(), data())]);
        let i = &impact(&changes, &data, NOW)["t"];
        assert_eq!(i.size, Fact::Known(Size { all_replicas_bytes: 36_000, leader_bytes: 12_000, replicas: 3 }));
        assert_eq!(i.records, Fact::Known(1200));
        assert_eq!(i.last_write, Fact::Known(LastWrite { at_ms: Some(NOW - 2 * HOUR), age_ms: Some(2 * HOUR as u64) }));
        let groups = i.groups.known().unwrap();
        assert_eq!((groups[0].active, groups[0].lag), (true, Some(100)));
        // A commit before the earliest offset lags from the earliest: what is held is what can be read.
        assert_eq!((groups[1].active, groups[1].lag), (false, Some(200)));
        // 400 of 1000 records of partition 0 (4,000 of its 10,000 bytes), all 200 of partition 1.
        assert_eq!(
            i.retention_ms_cut,
            Some(Fact::Known(TimeCut { retention_ms: 86_400_000, records: 600, bytes: 6000 }))
        );
        assert_eq!(
            i.retention_bytes_cut,
            Some(Fact::Known(BytesCut { retention_bytes: 5000, partitions_over: 1, bytes_over: 5000 }))
        );
    }

    #[test]
    fn deletions_of_data_in_use_are_refused_naming_the_rule() {
        let changes = [delete("t", DeleteReason::Declared)];
        let facts = impact(&changes, &BTreeMap::from([("t".to_owned(), data())]), NOW);
        let rules = Rules::default();
        let refused = check(&changes, &facts, |_| false, &rules);
        assert_eq!(
            refused.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "topic `t` was written 2 h ago, within the 24 h window of the recent-write rule",
                "topic `t` is read by consumer group(s) with active members (billing), against the active-group rule",
            ]
        );
        assert!(check(&changes, &facts, |_| false, &Rules { allow_active_data: true, ..rules }).is_empty());
        assert!(check(&changes, &facts, |t| t == "t", &rules).is_empty(), "acknowledged in the file");
        let pruned = [delete("t", DeleteReason::Pruned)];
        assert_eq!(check(&pruned, &facts, |_| true, &rules).len(), 2, "a pruned topic has no file to acknowledge in");
        let capped = Rules { allow_active_data: true, max_destroy_bytes: Some(1000), ..rules };
        assert_eq!(check(&changes, &facts, |_| true, &capped), [Refused::TooManyBytes { bytes: 36_000, max: 1000 }]);

        // Idle: old writes, no active group. Nothing refused.
        let mut idle = data();
        idle.last_write = Fact::Known(Some(NOW - 48 * HOUR));
        idle.groups = Fact::Known(vec![]);
        let idle = impact(&changes, &BTreeMap::from([("t".to_owned(), idle)]), NOW);
        assert!(check(&changes, &idle, |_| false, &rules).is_empty());

        // An empty topic whose last write is unknown (before Kafka 3.0) holds nothing to lose.
        let mut old = data();
        old.offsets = Fact::Known(BTreeMap::from([(0, PartitionOffsets { earliest: 7, latest: 7, at_cut: None })]));
        old.last_write = Fact::Unknown(Unknown::NotSupported);
        old.groups = Fact::Known(vec![]);
        let old = impact(&changes, &BTreeMap::from([("t".to_owned(), old)]), NOW);
        assert!(check(&changes, &old, |_| false, &rules).is_empty());

        // Unknown facts: the rule cannot be checked, and says so.
        let mut hidden = data();
        hidden.groups = Fact::Unknown(Unknown::NotAuthorised);
        hidden.last_write = Fact::Known(None);
        let hidden = impact(&changes, &BTreeMap::from([("t".to_owned(), hidden)]), NOW);
        assert_eq!(
            check(&changes, &hidden, |_| false, &rules).iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["topic `t`: consumer groups unknown (not authorised), so the active-group rule cannot be checked"]
        );
        assert_eq!(became_active(&idle, &facts, rules.window_ms), ["t"]);
        assert!(became_active(&facts, &idle, rules.window_ms).is_empty());
        assert_eq!(became_active(&idle, &hidden, rules.window_ms), ["t"], "idle then, unknown now: not idle");
    }

    /// Unknown is never idle and never zero: each rule, the flag and the acknowledgement over facts that
    /// could not be read.
    #[test]
    fn unknown_facts_count_as_in_use_and_over_the_byte_cap() {
        let changes = [delete("t", DeleteReason::Pruned)];
        let rules = Rules::default();
        let facts = |d: TopicData| impact(&changes, &BTreeMap::from([("t".to_owned(), d)]), NOW);
        let refusals = |i: &BTreeMap<String, Impact>, rules: &Rules| -> Vec<String> {
            check(&changes, i, |_| false, rules).iter().map(ToString::to_string).collect()
        };
        let mut idle = data();
        idle.last_write = Fact::Known(Some(NOW - 48 * HOUR));
        idle.groups = Fact::Known(vec![]);

        // A group whose members read the topic and never committed: in use, and its lag is not a number.
        let mut manual = idle.clone();
        manual.groups = Fact::Known(vec![GroupData {
            group: "manual".into(),
            state: "Stable".into(),
            committed: BTreeMap::new(),
            members: 1,
        }]);
        let manual = facts(manual);
        let group = &manual["t"].groups.known().unwrap()[0];
        assert_eq!((group.active, group.members, group.lag), (true, 1, None));
        assert_eq!(manual["t"].in_use(rules.window_ms), Some(true));
        assert_eq!(
            refusals(&manual, &rules),
            ["topic `t` is read by consumer group(s) with active members (manual), against the active-group rule"]
        );

        // The only replica's broker is down: the size is unknown, so the byte cap cannot pass, even
        // with the flag; the data was not written within the window, but no group list: unknown use.
        let down = Unknown::Unmeasured {
            replicas: 1,
            of: 1,
            at_least_bytes: 0,
            brokers: vec![crate::live::Unmeasured { broker: 3, why: "stopped".into() }],
        };
        let mut broken = idle.clone();
        broken.sizes = Fact::Unknown(down.clone());
        broken.groups = Fact::Unknown(Unknown::Failed("group `g` has members, and what they read is not known".into()));
        let broken = facts(broken);
        assert_eq!(broken["t"].in_use(rules.window_ms), None, "unknown, not idle");
        let capped = Rules { max_destroy_bytes: Some(1024), ..rules };
        assert_eq!(
            refusals(&broken, &capped),
            [
                "topic `t`: consumer groups unknown (group `g` has members, and what they read is not known), so \
                 the active-group rule cannot be checked",
                "topic `t`: size unknown (1 of 1 replica(s) not measured (broker 3: stopped); at least 0 B on the \
                 others), so the --max-destroy-bytes rule cannot be checked",
            ]
        );
        let allowed = Rules { allow_active_data: true, ..capped };
        assert_eq!(
            check(&changes, &broken, |_| false, &allowed),
            [Refused::CannotCheck { topic: "t".into(), fact: "size", why: down, rule: "--max-destroy-bytes" }],
            "the flag never lifts the byte cap"
        );
        // With the flag and no cap, it goes, and is named as unchecked so that apply says so.
        let allowed = Rules { allow_active_data: true, ..rules };
        assert!(check(&changes, &broken, |_| false, &allowed).is_empty());
        assert_eq!(unchecked(&changes, &broken, |_| false, &allowed), ["t"]);
        assert!(unchecked(&changes, &broken, |_| false, &rules).is_empty(), "refused, not unchecked");
        assert!(unchecked(&changes, &facts(idle), |_| false, &allowed).is_empty(), "known idle");
        let declared = [delete("t", DeleteReason::Declared)];
        assert_eq!(unchecked(&declared, &broken, |t| t == "t", &rules), ["t"], "acknowledged in its file");

        // Every unknown size is named, and known bytes over the cap still count.
        let two =
            [delete("t", DeleteReason::Pruned), delete("u", DeleteReason::Pruned), delete("v", DeleteReason::Pruned)];
        let mut facts = broken.clone();
        facts.insert("u".into(), broken["t"].clone());
        facts.insert("v".into(), impact(&changes, &BTreeMap::from([("t".to_owned(), data())]), NOW)["t"].clone());
        let capped = Rules { allow_active_data: true, max_destroy_bytes: Some(1024), ..rules };
        let refused = check(&two, &facts, |_| false, &capped);
        assert_eq!(
            refused
                .iter()
                .map(|r| match r {
                    Refused::CannotCheck { topic, .. } => topic.as_str(),
                    Refused::TooManyBytes { .. } => "bytes",
                    _ => "other",
                })
                .collect::<Vec<_>>(),
            ["t", "u", "bytes"]
        );
    }
}
