//! Saved plans: `plan --out plan.json` records the plan together with what it was made from (the
//! cluster's id, a digest of the desired state, the topic paths and options), when and by which
//! version, what the cluster looked like for every topic it touches, and a digest of the file's own
//! text. A saved plan is a commitment, not a script: `apply plan.json` makes a fresh plan from the same
//! inputs and applies only when it equals the saved one ([`SavedPlan::refusals`]); any edit of the file,
//! another cluster, other files, an old plan or a cluster that moved is refused, naming why. Pure: no
//! I/O and no clock (the caller gives the time).

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Change, FORMAT_VERSION, Plan};
use crate::desired::{ConfigMode, Desired, DesiredTopic};
use crate::live::{Live, LiveTopic};

/// A plan as written by `plan --out`: the plan's own fields, plus the cluster it was made for, the
/// declared state of the topics it touches (for verification) and their observed state (for the stale
/// check).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SavedPlan {
    /// The plan, exactly as `plan --format json` prints it.
    #[serde(flatten)]
    pub plan: Plan,
    /// The cluster's name in the project file.
    pub cluster: String,
    /// The declared state of every topic the plan touches.
    pub desired: Vec<SavedTopic>,
    /// What the cluster held for every topic the plan touches when the plan was made; `null` for a
    /// topic that did not exist.
    pub observed: BTreeMap<String, Option<Fingerprint>>,
    /// What the plan was made from, and when.
    pub made: Made,
    /// SHA-256 of the file's text with this field's value zeroed: any edit of the file changes it.
    pub digest: String,
}

/// What a saved plan was made from, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Made {
    /// The cluster's id, as DescribeCluster reported it.
    pub cluster_id: Option<String>,
    /// SHA-256 of every topic the files declare for the cluster (after its overrides), in canonical
    /// form: another file set gives another digest.
    pub desired_digest: String,
    /// The topic files or directories given to `plan` (empty: the project's).
    pub paths: Vec<String>,
    /// Whether it was made with `--prune`.
    pub prune: bool,
    /// When, in seconds since 1970-01-01 UTC.
    pub at_unix: u64,
    /// When, as UTC (`2026-12-01T08:20:00Z`), for people.
    pub at: String,
    /// The topicform version that made it.
    pub by: String,
}

/// How far ahead of this machine's clock a saved plan's or a snapshot's date may be (clocks of CI
/// runners drift a little); further ahead, it is refused: a date in the future would pass any age limit.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;

/// Why a file is not a saved plan this topicform can read. The caller names the file in front.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Not JSON of a saved plan (another file, or cut short).
    #[error(
        "is not a topicform saved plan: {reason}; this topicform reads saved plans of format {FORMAT_VERSION}, as \
         `topicform plan --out` writes them"
    )]
    Unreadable {
        /// Where and what, in words.
        reason: String,
    },
    /// Written by a newer topicform.
    #[error(
        "is a saved plan of format {found}, newer than this topicform reads (format {FORMAT_VERSION}): upgrade \
         topicform, or make the plan again with this version"
    )]
    NewerFormat {
        /// The file's format.
        found: u32,
    },
    /// Written by an older topicform.
    #[error(
        "is a saved plan of format {found}, older than this topicform reads (format {FORMAT_VERSION}): make the \
         plan again with this version"
    )]
    OlderFormat {
        /// The file's format.
        found: u32,
    },
}

/// Where a JSON document failed to parse and why, in words rather than the parser's: the field named
/// when it is missing or unknown.
pub fn json_reason(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Eof => return "the file ends too early (it may be cut short)".into(),
        serde_json::error::Category::Io => "it cannot be read".to_owned(),
        serde_json::error::Category::Syntax => "it is not valid JSON".to_owned(),
        serde_json::error::Category::Data => {
            let message = e.to_string();
            let field =
                |prefix: &str| message.strip_prefix(prefix).and_then(|rest| rest.split('`').next()).map(str::to_owned);
            if let Some(f) = field("missing field `") {
                format!("it has no `{f}` field")
            } else if let Some(f) = field("unknown field `") {
                format!("it has a field `{f}`, which the format does not have")
            } else {
                "a field holds a value of the wrong type".to_owned()
            }
        }
    };
    format!("{what} (line {}, column {})", e.line(), e.column())
}

/// The `formatVersion` of a JSON document, read before the rest so that a newer file is named as such
/// rather than as unreadable.
pub(crate) fn format_version(text: &str) -> Result<u32, serde_json::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Head {
        format_version: u32,
    }
    serde_json::from_str::<Head>(text).map(|h| h.format_version)
}

/// Why `apply` refuses a saved plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The file is not the text topicform wrote.
    Edited,
    /// The plan was made for another cluster (another id).
    OtherCluster {
        /// The id recorded in the plan.
        saved: Option<String>,
        /// The id the cluster has now.
        now: Option<String>,
    },
    /// The topic files declare something else now.
    FilesChanged,
    /// Older than allowed.
    TooOld {
        /// Its age.
        age_secs: u64,
        /// The limit.
        max_secs: u64,
    },
    /// Dated further in the future than [`MAX_CLOCK_SKEW_SECS`]: its age cannot be trusted.
    Future {
        /// How far ahead of now it is dated.
        ahead_secs: u64,
    },
    /// A topic the plan touches changed on the cluster.
    Stale(Stale),
    /// A fresh plan from the same inputs has this change, which the saved plan lacks.
    NotInSaved(Change),
    /// The saved plan has this change, which a fresh plan lacks.
    NotInFresh(Change),
    /// A fresh plan's blocked changes differ from the saved plan's.
    BlockedDiffer,
}

/// A declared topic, as saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SavedTopic {
    /// Topic name.
    pub name: String,
    /// Partition count.
    pub partitions: u32,
    /// Replication factor, if declared.
    pub replication_factor: Option<u16>,
    /// Declared configs in canonical form.
    pub configs: BTreeMap<String, String>,
    /// Config mode, if not strict.
    pub config_mode: Option<ConfigMode>,
    /// Whether the topic is to be deleted.
    #[serde(default)]
    pub delete: bool,
}

/// The part of a live topic that a plan's changes depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Fingerprint {
    /// Partition count.
    pub partitions: usize,
    /// Replication factor.
    pub replication_factor: usize,
    /// Topic overrides; `null` values are sensitive.
    pub overrides: BTreeMap<String, Option<String>>,
}

impl Fingerprint {
    /// The fingerprint of a live topic.
    pub fn of(topic: &LiveTopic) -> Self {
        Fingerprint {
            partitions: topic.partitions.len(),
            replication_factor: topic.replication_factor(),
            overrides: topic.overrides().map(|(k, c)| (k.to_owned(), c.text())).collect(),
        }
    }
}

/// SHA-256 of `bytes`, in lower-case hex.
fn sha256(bytes: &[u8]) -> String {
    openssl::sha::sha256(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

const ZERO_DIGEST: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A digest of the desired state: every declared topic, in canonical form, sorted by name.
pub fn desired_digest(desired: &Desired) -> String {
    let topics: Vec<SavedTopic> = desired.topics.values().map(SavedTopic::of).collect();
    sha256(serde_json::to_string(&topics).expect("topics are JSON").as_bytes())
}

/// `secs` since 1970 as `YYYY-MM-DDTHH:MM:SSZ` (UTC; the proleptic Gregorian calendar, as RFC 3339).
pub fn utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

impl SavedTopic {
    fn of(t: &DesiredTopic) -> SavedTopic {
        SavedTopic {
            name: t.name.clone(),
            partitions: t.partitions,
            replication_factor: t.replication_factor,
            configs: t.configs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            config_mode: t.config_mode,
            delete: t.delete,
        }
    }
}

impl SavedPlan {
    /// Reads a saved plan's text, naming a newer or older format as such.
    pub fn from_text(text: &str) -> Result<SavedPlan, ReadError> {
        let unreadable = |e: serde_json::Error| ReadError::Unreadable { reason: json_reason(&e) };
        match format_version(text).map_err(unreadable)? {
            found if found > super::FORMAT_VERSION => return Err(ReadError::NewerFormat { found }),
            found if found < super::FORMAT_VERSION => return Err(ReadError::OlderFormat { found }),
            _ => {}
        }
        let saved: SavedPlan = serde_json::from_str(text).map_err(unreadable)?;
        // Its names reach messages before the plan is compared with a fresh one: they must be names.
        if let Err(why) = crate::desired::project::check_cluster_name(&saved.cluster) {
            return Err(ReadError::Unreadable { reason: format!("its `cluster` is not a cluster name: {why}") });
        }
        let topics = saved
            .plan
            .changes
            .iter()
            .map(Change::topic)
            .chain(saved.plan.blocked.iter().map(|b| b.topic.as_str()))
            .chain(saved.desired.iter().map(|t| t.name.as_str()))
            .chain(saved.topics());
        for topic in topics {
            if let Err(why) = crate::desired::validate::check_topic_name(topic) {
                return Err(ReadError::Unreadable {
                    reason: format!("it names a topic that is not a legal name: {why}"),
                });
            }
        }
        Ok(saved)
    }

    /// Records `plan`, made for `cluster` from `desired` and `live`, as `made` says (its digest field is
    /// filled in here).
    pub fn new(plan: Plan, cluster: &str, desired: &Desired, live: &Live, made: Made) -> Self {
        let touched: BTreeSet<&str> =
            plan.changes.iter().map(Change::topic).chain(plan.blocked.iter().map(|b| b.topic.as_str())).collect();
        let desired = touched.iter().filter_map(|t| desired.topics.get(*t)).map(SavedTopic::of).collect();
        let observed = touched.iter().map(|t| (t.to_string(), live.topics.get(*t).map(Fingerprint::of))).collect();
        SavedPlan { plan, cluster: cluster.to_owned(), desired, observed, made, digest: ZERO_DIGEST.to_owned() }
    }

    /// The file's text, with its digest.
    pub fn to_text(&self) -> String {
        let unsealed = SavedPlan { digest: ZERO_DIGEST.to_owned(), ..self.clone() };
        let text = serde_json::to_string_pretty(&unsealed).expect("a plan is JSON") + "\n";
        let digest = sha256(text.as_bytes());
        text.replacen(&format!("\"digest\": \"{ZERO_DIGEST}\""), &format!("\"digest\": \"{digest}\""), 1)
    }

    /// Whether `text` is exactly what [`SavedPlan::to_text`] wrote: its digest matches its content.
    pub fn is_sealed(text: &str) -> bool {
        let Some(start) = text.rfind("\"digest\": \"") else { return false };
        let hex_at = start + "\"digest\": \"".len();
        let Some(hex) = text.get(hex_at..hex_at + 64) else { return false };
        let unsealed = format!("{}{ZERO_DIGEST}{}", &text[..hex_at], &text[hex_at + 64..]);
        sha256(unsealed.as_bytes()) == hex
    }

    /// Why this saved plan must not be applied, given a `fresh` plan made now from the same inputs, the
    /// digest of the desired state now, the cluster's id now, what the cluster holds now, the time now
    /// and the age limit. Empty: apply it.
    pub fn refusals(
        &self,
        fresh: &Plan,
        desired_digest: &str,
        cluster_id: Option<&str>,
        live: &Live,
        now_unix: u64,
        max_age_secs: u64,
    ) -> Vec<Refusal> {
        let mut out = Vec::new();
        if self.made.cluster_id.as_deref() != cluster_id {
            out.push(Refusal::OtherCluster { saved: self.made.cluster_id.clone(), now: cluster_id.map(str::to_owned) });
        }
        let age = now_unix.saturating_sub(self.made.at_unix);
        let ahead_secs = self.made.at_unix.saturating_sub(now_unix);
        if ahead_secs > MAX_CLOCK_SKEW_SECS {
            out.push(Refusal::Future { ahead_secs });
        }
        if age > max_age_secs {
            out.push(Refusal::TooOld { age_secs: age, max_secs: max_age_secs });
        }
        if self.made.desired_digest != desired_digest {
            out.push(Refusal::FilesChanged);
        }
        out.extend(self.staleness(live).into_iter().map(Refusal::Stale));
        for c in fresh.changes.iter().filter(|c| !self.plan.changes.contains(c)) {
            out.push(Refusal::NotInSaved(c.clone()));
        }
        for c in self.plan.changes.iter().filter(|c| !fresh.changes.contains(c)) {
            out.push(Refusal::NotInFresh(c.clone()));
        }
        if fresh.blocked != self.plan.blocked {
            out.push(Refusal::BlockedDiffer);
        }
        out
    }

    /// The topics the plan touches.
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.observed.keys().map(String::as_str)
    }

    /// The saved declared state, for verification after apply.
    pub fn desired(&self) -> Desired {
        let topics = self
            .desired
            .iter()
            .map(|t| {
                let topic = DesiredTopic {
                    name: t.name.clone(),
                    partitions: t.partitions,
                    replication_factor: t.replication_factor,
                    configs: t.configs.iter().map(|(k, v)| (k.as_str().into(), v.as_str().into())).collect(),
                    origin: None,
                    locations: Default::default(),
                    config_mode: t.config_mode,
                    delete: t.delete,
                    acknowledged: Default::default(),
                };
                (t.name.clone(), topic)
            })
            .collect();
        Desired { topics }
    }

    /// What changed on the cluster since the plan was made, one item per difference; empty when the
    /// plan still applies as reviewed.
    pub fn staleness(&self, live: &Live) -> Vec<Stale> {
        let mut out = Vec::new();
        for (topic, then) in &self.observed {
            let now = live.topics.get(topic).map(Fingerprint::of);
            let topic = topic.clone();
            match (then, &now) {
                (None, None) => {}
                (None, Some(_)) => out.push(Stale::Created { topic }),
                (Some(_), None) => out.push(Stale::Deleted { topic }),
                (Some(a), Some(b)) if a == b => {}
                (Some(a), Some(b)) => {
                    if a.partitions != b.partitions {
                        out.push(Stale::Partitions { topic: topic.clone(), then: a.partitions, now: b.partitions });
                    }
                    if a.replication_factor != b.replication_factor {
                        out.push(Stale::ReplicationFactor {
                            topic: topic.clone(),
                            then: a.replication_factor,
                            now: b.replication_factor,
                        });
                    }
                    let keys: BTreeSet<&String> = a.overrides.keys().chain(b.overrides.keys()).collect();
                    for key in keys {
                        let (x, y) = (a.overrides.get(key), b.overrides.get(key));
                        if x != y {
                            out.push(Stale::Override {
                                topic: topic.clone(),
                                key: key.clone(),
                                then: x.cloned(),
                                now: y.cloned(),
                            });
                        }
                    }
                }
            }
        }
        out
    }
}

/// One way the cluster moved away from a saved plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stale {
    /// A topic the plan would create exists now.
    Created {
        /// The topic.
        topic: String,
    },
    /// A topic the plan touches is gone.
    Deleted {
        /// The topic.
        topic: String,
    },
    /// The partition count changed.
    Partitions {
        /// The topic.
        topic: String,
        /// When the plan was made.
        then: usize,
        /// Now.
        now: usize,
    },
    /// The replication factor changed.
    ReplicationFactor {
        /// The topic.
        topic: String,
        /// When the plan was made.
        then: usize,
        /// Now.
        now: usize,
    },
    /// The data of a topic the plan deletes or cuts was idle when the plan was made and is in use now
    /// (written within the window, or read by a consumer group with members).
    BecameActive {
        /// The topic.
        topic: String,
    },
    /// A topic override changed: `None` is not overridden, `Some(None)` a sensitive value.
    Override {
        /// The topic.
        topic: String,
        /// The config.
        key: String,
        /// When the plan was made.
        then: Option<Option<String>>,
        /// Now.
        now: Option<Option<String>>,
    },
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &Option<Option<String>>| match v {
            None => "not overridden".to_owned(),
            Some(None) => "(sensitive)".to_owned(),
            Some(Some(v)) => v.clone(),
        };
        match self {
            Stale::Created { topic } => write!(f, "topic `{topic}` was created since the plan was made"),
            Stale::BecameActive { topic } => {
                write!(
                    f,
                    "topic `{topic}`'s data was idle when the plan was made and is in use now, or cannot be checked"
                )
            }
            Stale::Deleted { topic } => write!(f, "topic `{topic}` was deleted since the plan was made"),
            Stale::Partitions { topic, then, now } => write!(f, "topic `{topic}` had {then} partitions, now {now}"),
            Stale::ReplicationFactor { topic, then, now } => {
                write!(f, "topic `{topic}` had replication factor {then}, now {now}")
            }
            Stale::Override { topic, key, then, now } => {
                write!(f, "topic `{topic}` `{key}` was {}, now {}", show(then), show(now))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::live::{ConfigSource, LiveConfig, LivePartition};

    fn topic(partitions: i32, overrides: &[(&str, &str)]) -> LiveTopic {
        LiveTopic {
            partitions: (0..partitions)
                .map(|id| LivePartition { id, leader: Some(1), replicas: vec![1], isr: vec![1] })
                .collect(),
            configs: overrides
                .iter()
                .map(|(k, v)| {
                    let c = LiveConfig {
                        value: Some((*v).into()),
                        source: ConfigSource::TopicOverride,
                        read_only: false,
                        sensitive: false,
                        inherited: None,
                    };
                    ((*k).into(), c)
                })
                .collect(),
        }
    }

    fn live(topics: &[(&str, LiveTopic)]) -> Live {
        Live { topics: topics.iter().map(|(n, t)| (n.to_string(), t.clone())).collect(), ..Live::default() }
    }

    #[test]
    fn stale_plans_name_what_changed() {
        let plan = Plan::new(
            vec![
                Change::AddPartitions { topic: "a".into(), from: 1, to: 2, assignments: vec![] },
                Change::CreateTopic {
                    topic: "new".into(),
                    partitions: 1,
                    replication_factor: None,
                    configs: BTreeMap::new(),
                },
            ],
            vec![],
        );
        let then = live(&[("a", topic(1, &[("retention.ms", "1000")]))]);
        let saved = SavedPlan::new(plan, "prod", &Desired::default(), &then, made());
        assert_eq!(saved.staleness(&then), Vec::<Stale>::new());

        let now = live(&[("a", topic(2, &[("retention.ms", "2000"), ("segment.ms", "1")])), ("new", topic(1, &[]))]);
        assert_eq!(
            saved.staleness(&now).iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "topic `a` had 1 partitions, now 2",
                "topic `a` `retention.ms` was 1000, now 2000",
                "topic `a` `segment.ms` was not overridden, now 1",
                "topic `new` was created since the plan was made",
            ]
        );
    }

    #[test]
    fn round_trips_through_json() {
        let plan =
            Plan::new(vec![Change::AddPartitions { topic: "a".into(), from: 1, to: 2, assignments: vec![] }], vec![]);
        let saved = SavedPlan::new(plan, "prod", &Desired::default(), &live(&[("a", topic(1, &[]))]), made());
        let json = serde_json::to_string(&saved).unwrap();
        let back: SavedPlan = serde_json::from_str(&json).unwrap();
        assert_eq!(back, saved);
    }

    fn made() -> Made {
        Made {
            cluster_id: Some("abc".into()),
            desired_digest: "d1".into(),
            paths: vec![],
            prune: false,
            at_unix: 1_000_000,
            at: utc(1_000_000),
            by: "0.1.0".into(),
        }
    }

    #[test]
    fn utc_times() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_764_577_235), "2025-12-01T08:20:35Z");
        assert_eq!(utc(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn any_edit_of_the_text_breaks_the_seal() {
        let plan =
            Plan::new(vec![Change::AddPartitions { topic: "a".into(), from: 1, to: 2, assignments: vec![] }], vec![]);
        let text = SavedPlan::new(plan, "prod", &Desired::default(), &live(&[("a", topic(1, &[]))]), made()).to_text();
        assert!(SavedPlan::is_sealed(&text));
        let back: SavedPlan = serde_json::from_str(&text).unwrap();
        assert_eq!(back.to_text(), text, "the same plan writes the same text");
        for (from, to) in [("\"to\": 2", "\"to\": 3"), ("\"prod\"", "\"prof\""), ("\n", "\n ")] {
            let edited = text.replacen(from, to, 1);
            assert_ne!(edited, text);
            assert!(!SavedPlan::is_sealed(&edited), "{from} -> {to}");
        }
        assert!(!SavedPlan::is_sealed("{}"));
    }

    #[test]
    fn refusals_name_every_difference() {
        let grow = Change::AddPartitions { topic: "a".into(), from: 1, to: 2, assignments: vec![] };
        let then = live(&[("a", topic(1, &[]))]);
        let saved = SavedPlan::new(Plan::new(vec![grow.clone()], vec![]), "prod", &Desired::default(), &then, made());
        let same = Plan::new(vec![grow.clone()], vec![]);
        assert_eq!(saved.refusals(&same, "d1", Some("abc"), &then, 1_000_100, 3600), []);

        let delete =
            Change::DeleteTopic { topic: "a".into(), partitions: 1, reason: crate::plan::DeleteReason::Declared };
        let fresh = Plan::new(vec![delete.clone()], vec![]);
        let now = live(&[("a", topic(2, &[]))]);
        assert_eq!(
            saved.refusals(&fresh, "d2", Some("xyz"), &now, 1_000_000 + 7200, 3600),
            [
                Refusal::OtherCluster { saved: Some("abc".into()), now: Some("xyz".into()) },
                Refusal::TooOld { age_secs: 7200, max_secs: 3600 },
                Refusal::FilesChanged,
                Refusal::Stale(Stale::Partitions { topic: "a".into(), then: 1, now: 2 }),
                Refusal::NotInSaved(delete),
                Refusal::NotInFresh(grow),
            ]
        );
    }
}
