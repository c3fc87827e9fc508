//! Turns parsed topic files into a [`Desired`] state, collecting every problem in every file before
//! failing once. Pure: documents in, desired state or problems out.
//!
//! Work is done topic by topic, so that a large file costs little more than its own text: a topic's
//! own values are checked and normalised as it is parsed (into a small [`Declared`]); its file's
//! `defaults` are merged in once the file is read ([`FileDefaults::topic`]); then the [`Collector`]
//! checks the topic as each cluster sees it, and keeps it or only counts it (`validate` keeps none).

use compact_str::CompactString;
use litemap::LiteMap;
use std::borrow::Cow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::model::{ConfigMap, ConfigValue, Count, TopicDefaults, TopicDoc};
use super::project::ClusterView;
use super::yaml::{self, At, Pos};
use super::{
    Acknowledgement, ConfigMode, Desired, DesiredTopic, Error, ErrorKind, Location, Locations, Severity, Subject,
};
use crate::catalog;

/// Kafka's limit on topic name length (`Topic.MAX_NAME_LENGTH`).
const MAX_TOPIC_NAME: usize = 249;

/// A valid desired state and the warnings found on the way.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// The desired state.
    pub desired: Desired,
    /// Problems that do not fail validation (unless `--strict`).
    pub warnings: Vec<Error>,
}

/// Splits problems into errors and warnings: `Ok` when there is no error.
pub fn split(desired: Desired, problems: Vec<Error>) -> Result<Checked, Vec<Error>> {
    if problems.iter().any(|p| p.severity() == Severity::Error) {
        Err(problems)
    } else {
        Ok(Checked { desired, warnings: problems })
    }
}

/// A value checked once where it is written (a topic, or its file's `defaults`): `Ok` with its
/// location, or `Err` when it was invalid and has been reported.
type Once<T> = Option<Result<(T, Location), ()>>;

/// A topic's own count: `Err` when it was invalid, or written with a value of the wrong kind (either
/// is reported already).
type Own<T> = Option<Result<(T, Pos), ()>>;

/// A config as a topic sets it: its name (the catalog's, or a raw one), Kafka's form of its value, and
/// where the value is written.
type OwnConfig = (Cow<'static, str>, Box<str>, Pos);

/// One topic's own values, checked and normalised where written, before its file's `defaults` are
/// known (they may come after `topics:`). Small, because a large file holds hundreds of thousands.
#[derive(Debug)]
pub struct Declared {
    name: Box<str>,
    origin: Pos,
    /// The name is one Kafka takes: only such a topic joins the desired state.
    legal: bool,
    partitions: Own<u32>,
    replication_factor: Own<u16>,
    /// Normalised configs, raw ones included, in the order written.
    configs: Box<[OwnConfig]>,
    delete: bool,
    acknowledged: Box<[Acknowledgement]>,
}

/// Checks one topic's own values as it is read; its problems go to the parse's report. `None` for a
/// topic without a name (reported, unless an unknown key or a value of the wrong kind explains it).
pub(crate) fn declare(topic: TopicDoc, entry: Pos) -> Option<Declared> {
    let at = yaml::located;
    let Some(name) = topic.name else {
        if topic.written.missing("name") {
            yaml::report(Error::at(ErrorKind::MissingKey { key: "name".into(), of: "this topic".into() }, at(entry)));
        }
        return None;
    };
    let origin = name.at;
    let name = name.value.0;
    // Messages show a name cut to a readable length: a 1.3-million-character name is an error once.
    let subject = Subject::Topic(yaml::shown(&name));
    let mut errors = Vec::new();
    let legal = match check_topic_name(&name) {
        Err(reason) => {
            errors.push(Error::at(ErrorKind::InvalidTopicName { name: yaml::shown(&name), reason }, at(origin)));
            false
        }
        Ok(()) => {
            if super::is_internal(&name) {
                errors.push(Error::at(ErrorKind::InternalTopic { name: name.clone() }, at(origin)));
            }
            true
        }
    };
    let own = |value: Option<&At<Count>>, field: Field, key: &str, errors: &mut Vec<Error>| -> Own<i64> {
        match (check_count(value, &subject, field, &at, errors), value) {
            (Some(Ok((n, _))), Some(value)) => Some(Ok((n, value.at))),
            (Some(_), _) => Some(Err(())),
            // Written with a value of the wrong kind, or perhaps misspelt: reported already.
            (None, _) if !topic.written.missing(key) => Some(Err(())),
            (None, _) => None,
        }
    };
    let mut partitions = own(topic.partitions.as_ref(), Field::Partitions, "partitions", &mut errors);
    if partitions.is_none() && topic.delete.is_none() && !topic.written.missing("delete") {
        // `delete` written with a value of the wrong kind: perhaps a deletion, which needs no count.
        partitions = Some(Err(()));
    }
    let rf = own(topic.replication_factor.as_ref(), Field::ReplicationFactor, "replicationFactor", &mut errors);
    let mut configs = Vec::with_capacity(topic.config.0.len() + topic.raw_config.0.len());
    for (key, value) in &topic.config.0 {
        match config(&subject, key, value, &at) {
            Ok((key, v)) => configs.push((Cow::Borrowed(key), v.into_boxed_str(), value.at)),
            Err(e) => errors.push(e),
        }
    }
    for (key, value) in &topic.raw_config.0 {
        match raw_config(&subject, key, value, &at) {
            Ok(v) => configs.push((Cow::Owned(key.value.clone()), v.into_boxed_str(), value.at)),
            Err(e) => errors.push(e),
        }
    }
    let deleted = topic.delete.as_ref().is_some_and(|d| d.value);
    if let Some(ack) = topic.acknowledge.iter().find(|a| a.value == Acknowledgement::ActiveData && !deleted) {
        errors.push(Error::at(ErrorKind::ActiveDataWithoutDelete { topic: yaml::shown(&name) }, at(ack.at)));
    }
    for e in errors {
        yaml::report(e);
    }
    Some(Declared {
        name: name.into_boxed_str(),
        origin,
        legal,
        partitions: partitions.map(|p| p.map(|(n, at)| (n as u32, at))),
        replication_factor: rf.map(|p| p.map(|(n, at)| (n as u16, at))),
        configs: configs.into_boxed_slice(),
        delete: topic.delete.is_some_and(|d| d.value),
        acknowledged: topic.acknowledge.into_iter().map(|a| a.value).collect(),
    })
}

/// A file's `defaults` and `configMode`, checked once: a bad default is reported once, not per topic.
#[derive(Debug, Default)]
pub(crate) struct FileDefaults {
    file: Arc<PathBuf>,
    partitions: Once<i64>,
    replication_factor: Once<i64>,
    configs: LiteMap<CompactString, CompactString>,
    config_at: LiteMap<CompactString, Location>,
    mode: Option<ConfigMode>,
}

impl FileDefaults {
    /// The defaults of `file`, and their problems.
    pub(crate) fn new(
        file: &Arc<PathBuf>,
        defaults: Option<&TopicDefaults>,
        mode: Option<ConfigMode>,
        errors: &mut Vec<Error>,
    ) -> FileDefaults {
        let at = |p: Pos| p.located(file);
        let subject = Subject::Defaults;
        let mut out = FileDefaults { file: file.clone(), mode, ..FileDefaults::default() };
        if let Some(d) = defaults {
            out.partitions = check_count(d.partitions.as_ref(), &subject, Field::Partitions, &at, errors);
            out.replication_factor =
                check_count(d.replication_factor.as_ref(), &subject, Field::ReplicationFactor, &at, errors);
            configs_into(&subject, &d.config, &at, &mut out.configs, &mut out.config_at, errors);
            raw_configs_into(&subject, &d.raw_config, &at, &mut out.configs, &mut out.config_at, errors);
        }
        out
    }

    /// The topic `declared` with these defaults applied; `None` when its name is not one Kafka takes.
    pub(crate) fn topic(&self, declared: Declared, errors: &mut Vec<Error>) -> Option<DesiredTopic> {
        if !declared.legal {
            return None;
        }
        let at = |p: Pos| p.located(&self.file);
        let origin = at(declared.origin);
        let mut locations = Locations::default();
        let partitions = match (declared.partitions, &self.partitions) {
            (Some(Ok((n, p))), _) => {
                locations.partitions = Some(at(p));
                n
            }
            (Some(Err(())), _) | (None, Some(Err(()))) => 1,
            (None, Some(Ok((n, loc)))) => {
                locations.partitions = Some(loc.clone());
                *n as u32
            }
            // A topic to delete needs nothing else.
            (None, None) if declared.delete => 1,
            (None, None) => {
                errors
                    .push(Error::at(ErrorKind::PartitionsMissing { topic: declared.name.to_string() }, origin.clone()));
                1
            }
        };
        let replication_factor = match (declared.replication_factor, &self.replication_factor) {
            (Some(Ok((n, p))), _) => {
                locations.replication_factor = Some(at(p));
                Some(n)
            }
            (None, Some(Ok((n, loc)))) => {
                locations.replication_factor = Some(loc.clone());
                Some(*n as u16)
            }
            _ => None,
        };
        let mut configs = self.configs.clone();
        locations.configs = self.config_at.clone();
        for (key, value, p) in declared.configs.into_vec() {
            locations.configs.insert(CompactString::from(&*key), at(p));
            configs.insert(key.into(), value.into_string().into());
        }
        Some(DesiredTopic {
            name: declared.name.into_string(),
            partitions,
            replication_factor,
            configs,
            origin: Some(origin),
            locations,
            config_mode: self.mode,
            delete: declared.delete,
            acknowledged: declared.acknowledged.iter().copied().collect(),
        })
    }
}

/// Takes the desired topics one by one: checks each as every cluster sees it (its overrides, the
/// project's policy, its release), reports a topic declared twice, and keeps the topics as the first
/// cluster sees them, or only counts them.
pub struct Collector<'p> {
    views: Vec<ClusterView<'p>>,
    keep: bool,
    /// The topics kept, in the order read: the map is built from them at once when all are read, with
    /// full B-tree nodes (inserted one by one, in the files' order, which is mostly sorted, the nodes
    /// were about half full: some 110 bytes a topic). Not kept with their map keys: cloning each name
    /// as it is read, among the parse's own allocations, made `check_texts` a quarter slower than
    /// cloning them all at the end.
    kept: Vec<DesiredTopic>,
    /// Every topic's name, with where it is declared first.
    index: HashMap<String, Location>,
    topics: usize,
    problems: Vec<Error>,
}

/// What the [`Collector`] found.
#[derive(Debug, Default)]
pub struct Collected {
    /// The desired state as the first cluster sees it (empty unless kept).
    pub desired: Desired,
    /// How many topics the files declare.
    pub topics: usize,
    /// Every problem.
    pub problems: Vec<Error>,
}

impl<'p> Collector<'p> {
    /// A collector checking topics against `views` (none: the files alone); `keep` keeps the topics.
    pub(crate) fn new(views: Vec<ClusterView<'p>>, keep: bool) -> Self {
        Collector { views, keep, kept: Vec::new(), index: HashMap::new(), topics: 0, problems: Vec::new() }
    }

    /// Problems found on the way (in the files).
    pub(crate) fn problems(&mut self, problems: impl IntoIterator<Item = Error>) {
        self.problems.extend(problems);
    }

    /// One more topic.
    pub(crate) fn add(&mut self, topic: DesiredTopic) {
        let origin = topic.origin.clone().expect("loaded topics have an origin");
        if let Some(first) = self.index.get(&topic.name) {
            self.problems
                .push(Error::at(ErrorKind::DuplicateTopic { topic: topic.name.clone(), first: first.clone() }, origin));
            return;
        }
        self.index.insert(topic.name.clone(), origin);
        self.topics += 1;
        let base = min_insync(&topic, None);
        let mut own: Vec<Error> = Vec::new();
        let mut kept = None;
        for (i, view) in self.views.iter().enumerate() {
            let (seen, problems) = view.apply(&topic, base.as_ref());
            for p in problems {
                if !own.contains(&p) {
                    own.push(p);
                }
            }
            if i == 0 && self.keep {
                kept = Some(seen);
            }
        }
        self.problems.extend(base);
        self.problems.extend(own);
        if self.keep {
            self.kept.push(kept.unwrap_or(topic));
        }
    }

    /// Everything found, with the names that collide once `.` becomes `_`.
    pub(crate) fn finish(self) -> Collected {
        let Collector { kept, index, topics, mut problems, .. } = self;
        collisions(&index, &mut problems);
        // Gone before the map is built, the largest moment of a load: the list and the map, at once.
        drop(index);
        // No name is kept twice (a second declaration is a problem, above).
        let desired = Desired { topics: kept.into_iter().map(|t| (t.name.clone(), t)).collect() };
        Collected { desired, topics, problems }
    }
}

/// Kafka's metric names replace `.` with `_`, so `a.b` and `a_b` collide, and Kafka refuses the second
/// topic: a problem at the later name of each such pair, in name order.
fn collisions(index: &HashMap<String, Location>, problems: &mut Vec<Error>) {
    let mut names: Vec<(&String, &Location)> = index.iter().collect();
    names.sort();
    let mut by_metric_name: HashMap<String, (&String, &Location)> = HashMap::new();
    for (name, at) in names {
        if !name.contains(['.', '_']) {
            continue;
        }
        if let Some((other, other_at)) = by_metric_name.insert(name.replace('.', "_"), (name, at)) {
            problems.push(Error::at(
                ErrorKind::NameCollision { topic: name.clone(), other: other.clone(), other_at: other_at.clone() },
                at.clone(),
            ));
        }
    }
}

/// Which count a value is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field {
    Partitions,
    ReplicationFactor,
}

/// The most partitions one topic may declare: librdkafka's own limit (`RD_KAFKAP_PARTITIONS_MAX`),
/// above which it refuses to create a topic, to add partitions, or to read a topic's metadata, so that
/// topicform could neither make nor see such a topic. Kafka's protocol carries the count as a Java int,
/// but a plan must not allocate for two billion partitions. Kafka 3.6 and later also refuse a request
/// that writes more than 10,000 metadata records (KAFKA-14996): a topic larger than that is created or
/// grown in steps. See `partitions` in docs/format.md.
pub const MAX_PARTITIONS: i64 = 100_000;

/// Checks a count where it is written, reporting a bad one once.
pub(crate) fn check_count(
    value: Option<&At<Count>>,
    subject: &Subject,
    field: Field,
    at: &dyn Fn(Pos) -> Location,
    errors: &mut Vec<Error>,
) -> Once<i64> {
    let value = value?;
    // Partition counts are Java ints; replication factors are Java shorts.
    let max = match field {
        Field::Partitions => i64::from(i32::MAX),
        Field::ReplicationFactor => i64::from(i16::MAX),
    };
    let loc = at(value.at);
    let checked = value.value.within(1, max).and_then(|n| match field {
        Field::Partitions if n > MAX_PARTITIONS => {
            Err(format!("{n}, above librdkafka's limit of {MAX_PARTITIONS} partitions for one topic"))
        }
        _ => Ok(n),
    });
    Some(match checked {
        Ok(n) => Ok((n, loc)),
        Err(reason) => {
            let subject = subject.clone();
            let kind = match field {
                Field::Partitions => ErrorKind::InvalidPartitions { subject, reason },
                Field::ReplicationFactor => ErrorKind::InvalidReplicationFactor { subject, reason },
            };
            errors.push(Error::at(kind, loc));
            Err(())
        }
    })
}

/// A config of the catalog, normalised: its name and Kafka's form of its value.
fn config(
    subject: &Subject,
    key: &At<String>,
    value: &At<ConfigValue>,
    at: &dyn Fn(Pos) -> Location,
) -> Result<(&'static str, String), Error> {
    let Some(spec) = catalog::get(&key.value) else {
        let names: Vec<String> = catalog::all().iter().map(|c| c.name.to_owned()).collect();
        let suggestion = super::load::closest(&key.value, &names);
        return Err(Error::at(ErrorKind::UnknownConfig { key: yaml::shown(&key.value), suggestion }, at(key.at)));
    };
    // Any release's range: the cluster's own is checked once its release is known.
    catalog::normalise(spec.loosest(), &value.value).map(|v| (spec.name, v)).map_err(|invalid| {
        let hint = match value.value {
            ConfigValue::Null => Some(null_hint(subject)),
            _ => invalid.hint,
        };
        Error::at(
            ErrorKind::InvalidConfigValue {
                subject: subject.clone(),
                key: spec.name.to_owned(),
                reason: invalid.reason,
                hint,
            },
            at(value.at),
        )
    })
}

/// What leaving a config out means where `subject` writes it: a topic without it gets its file's
/// default, if any, before the broker's value; a file's `defaults` and a cluster's override stand
/// between the topics and that value.
fn null_hint(subject: &Subject) -> String {
    match subject {
        Subject::Topic(_) => {
            "remove the key: the topic then gets the value of its file's `defaults`, if they set one, \
                              else the broker's"
                .into()
        }
        Subject::Defaults => "remove the key: the file's topics that do not set it then get the broker's value".into(),
        Subject::Override { .. } => {
            "remove the key: the matching topics then keep what their files declare, else the broker's value".into()
        }
        Subject::Cluster(_) => "remove the key".into(),
    }
}

/// A `rawConfig` entry as written (a scalar, as text). A key the catalog knows belongs under `config`,
/// where it is checked and normalised.
fn raw_config(
    subject: &Subject,
    key: &At<String>,
    value: &At<ConfigValue>,
    at: &dyn Fn(Pos) -> Location,
) -> Result<String, Error> {
    if catalog::get(&key.value).is_some() {
        return Err(Error::at(
            ErrorKind::RawConfigKnown { subject: subject.clone(), key: key.value.clone() },
            at(key.at),
        ));
    }
    value.value.as_text().map_err(|invalid| {
        Error::at(
            ErrorKind::InvalidConfigValue {
                subject: subject.clone(),
                key: yaml::shown(&key.value),
                reason: invalid.reason,
                hint: Some("a raw config's value is a string, a number or a boolean".into()),
            },
            at(value.at),
        )
    })
}

/// Normalises every entry of `map` into `configs`; a later map (the topic's own) replaces an earlier
/// one's key (the defaults').
pub(crate) fn configs_into(
    subject: &Subject,
    map: &ConfigMap,
    at: &dyn Fn(Pos) -> Location,
    configs: &mut LiteMap<CompactString, CompactString>,
    locations: &mut LiteMap<CompactString, Location>,
    errors: &mut Vec<Error>,
) {
    for (key, value) in &map.0 {
        match config(subject, key, value, at) {
            Ok((key, v)) => {
                configs.insert(key.into(), v.into());
                locations.insert(key.into(), at(value.at));
            }
            Err(e) => errors.push(e),
        }
    }
}

/// Takes `rawConfig` entries as they are written (scalars, as text).
pub(crate) fn raw_configs_into(
    subject: &Subject,
    map: &ConfigMap,
    at: &dyn Fn(Pos) -> Location,
    configs: &mut LiteMap<CompactString, CompactString>,
    locations: &mut LiteMap<CompactString, Location>,
    errors: &mut Vec<Error>,
) {
    for (key, value) in &map.0 {
        match raw_config(subject, key, value, at) {
            Ok(text) => {
                configs.insert(key.value.as_str().into(), text.into());
                locations.insert(key.value.as_str().into(), at(value.at));
            }
            Err(e) => errors.push(e),
        }
    }
}

/// `min.insync.replicas` above the replication factor, which fails every `acks=all` write (unless the
/// topic acknowledges it); `cluster` when the cluster's overrides make it so.
pub(crate) fn min_insync(topic: &DesiredTopic, cluster: Option<&str>) -> Option<Error> {
    let (Some(rf), Some(min_isr)) = (topic.replication_factor, topic.configs.get("min.insync.replicas")) else {
        return None;
    };
    if topic.acknowledged.contains(&Acknowledgement::MinInsyncAboveReplicationFactor) {
        return None;
    }
    let min_isr = min_isr.parse::<i64>().ok().filter(|m| *m > i64::from(rf))?;
    let at = topic.locations.configs.get("min.insync.replicas").or(topic.origin.as_ref()).cloned();
    Some(Error {
        kind: ErrorKind::MinInsyncAboveReplicationFactor {
            topic: topic.name.clone(),
            min_isr,
            replication_factor: rf,
            replication_factor_at: topic.locations.replication_factor.clone(),
            cluster: cluster.map(str::to_owned),
        },
        at,
    })
}

/// Kafka's rules for topic names (`org.apache.kafka.common.internals.Topic.validate`).
pub fn check_topic_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a topic needs a name".into());
    }
    if name == "." || name == ".." {
        return Err(format!("`{name}` is reserved"));
    }
    if name.len() > MAX_TOPIC_NAME {
        return Err(format!("it has {} characters, more than {MAX_TOPIC_NAME}", name.len()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        // Show the character itself unless it is invisible.
        let shown = if c.is_control() || c.is_whitespace() { c.escape_default().to_string() } else { c.to_string() };
        return Err(format!("it contains `{shown}`"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names() {
        let cases = [
            ("payments.transactions.v1", true),
            ("a", true),
            ("A-b_c.9", true),
            ("", false),
            (".", false),
            ("..", false),
            ("has space", false),
            ("slash/name", false),
            ("ünicode", false),
        ];
        for (name, ok) in cases {
            assert_eq!(check_topic_name(name).is_ok(), ok, "{name}");
        }
        assert!(check_topic_name(&"x".repeat(249)).is_ok());
        assert!(check_topic_name(&"x".repeat(250)).is_err());
    }

    #[test]
    fn counts() {
        use super::super::model::Count;
        assert_eq!(Count::Integer(3).within(1, 10), Ok(3));
        assert_eq!(Count::Text(" 12 ".into()).within(1, 100), Ok(12));
        assert_eq!(Count::Integer(0).within(1, 10), Err("0; Kafka needs at least 1".into()));
        assert_eq!(Count::Integer(11).within(1, 10), Err("11; Kafka allows at most 10".into()));
        assert_eq!(Count::Float(1.5, None).within(1, 10), Err("1.5, which is not a whole number".into()));
        // The value as written, and what to write instead.
        let written = |x: f64, w: &str| Count::Float(x, Some(w.into()));
        assert_eq!(
            written(1.0, "1.0").within(1, 10),
            Err("`1.0`, which is not written as a whole number; write `1`".into())
        );
        assert_eq!(
            written(1e3, "1e3").within(1, 10_000),
            Err("`1e3`, which is not written as a whole number; write `1000`".into())
        );
        assert_eq!(written(1e3, "1e3").within(1, 10), Err("`1e3`; Kafka allows at most 10".into()));
        assert_eq!(written(0.0, "0.0").within(1, 10), Err("`0.0`; Kafka needs at least 1".into()));
        assert_eq!(written(2.5e0, "2.5e0").within(1, 10), Err("`2.5e0`, which is not a whole number".into()));
        assert_eq!(Count::Text("many".into()).within(1, 10), Err("`many`, which is not a whole number".into()));
        assert_eq!(
            Count::Integer(i128::MAX).within(1, 10).unwrap_err(),
            format!("{}; Kafka allows at most 10", i128::MAX)
        );
    }
}
