//! The topic files as written, before validation: every value keeps where it was written ([`At`]), and
//! every type reads any YAML value ([`Shape`]), so that a value of the wrong kind, an unknown key or a
//! repeated one is a problem at its place and never stops the rest of the file from being checked.

use schemars::JsonSchema;
use serde::de::{MapAccess, SeqAccess};

use super::validate::{self, Declared};
use super::yaml::{self, At, Scalar, Shape};
use super::{Acknowledgement, ConfigMode, Severity, Subject};

pub use crate::catalog::Value as ConfigValue;

/// A topic file: optional `defaults` for its topics, and the topics.
#[derive(Debug, Default, JsonSchema)]
#[schemars(title = "topicform topic file")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopicFile {
    /// Values every topic of this file inherits unless it sets its own.
    #[serde(default)]
    pub defaults: Option<At<TopicDefaults>>,
    /// The topics.
    #[serde(default)]
    #[schemars(with = "Vec<TopicDoc>")]
    pub topics: Vec<Declared>,
    /// This file's config mode: whether undeclared overrides of its topics are removed or kept.
    #[serde(default)]
    pub config_mode: Option<At<ConfigMode>>,
}

impl TopicFile {
    /// The keys of a topic file.
    pub const KEYS: &'static [&'static str] = &["defaults", "topics", "configMode"];
}

impl Shape for TopicFile {
    fn expected() -> &'static str {
        "a mapping with `topics` (and optionally `defaults` and `configMode`)"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        // An empty file, or one holding only comments, is an empty topic file.
        matches!(scalar, Scalar::Null).then(TopicFile::default)
    }
    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mut file = TopicFile::default();
        yaml::fields(&mut map, Self::KEYS, |key, map| {
            match key {
                "defaults" => file.defaults = yaml::value(map, key)?,
                "topics" => file.topics = yaml::value::<Topics, _>(map, key)?.map(|t| t.value.0).unwrap_or_default(),
                _ => file.config_mode = yaml::value(map, key)?,
            }
            Ok(())
        })?;
        Ok(Some(file))
    }
}

/// `topics:`, each topic checked and made small as soon as it is read, so that a large file is never
/// held as a tree of YAML values.
struct Topics(Vec<Declared>);

impl Shape for Topics {
    fn expected() -> &'static str {
        "a list of topics: one `- name: ...` entry per topic"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        matches!(scalar, Scalar::Null).then(|| Topics(Vec::new()))
    }
    fn seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Option<Self>, A::Error> {
        let mut topics = Vec::new();
        yaml::each::<TopicDoc, A>(seq, |topic| topics.extend(validate::declare(topic.value, topic.at)))?;
        topics.shrink_to_fit();
        Ok(Some(Topics(topics)))
    }
}

/// `defaults:` of a topic file.
#[derive(Debug, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopicDefaults {
    /// Default partition count.
    #[schemars(with = "Option<crate::desired::shapes::PartitionCount>")]
    pub partitions: Option<At<Count>>,
    /// Default replication factor.
    #[schemars(with = "Option<crate::desired::shapes::ReplicationFactor>")]
    pub replication_factor: Option<At<Count>>,
    /// Configs every topic of the file gets; a topic's own `config` wins key by key.
    #[serde(default)]
    pub config: ConfigMap,
    /// Raw configs every topic of the file gets (see a topic's `rawConfig`).
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, crate::desired::shapes::Scalar>")]
    pub raw_config: ConfigMap,
}

impl TopicDefaults {
    /// The keys of `defaults`.
    pub const KEYS: &'static [&'static str] = &["partitions", "replicationFactor", "config", "rawConfig"];
}

impl Shape for TopicDefaults {
    fn expected() -> &'static str {
        "a mapping of values for every topic of the file (`partitions`, `replicationFactor`, `config`, `rawConfig`)"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        matches!(scalar, Scalar::Null).then(TopicDefaults::default)
    }
    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mark = yaml::mark();
        let mut d = TopicDefaults::default();
        yaml::fields(&mut map, Self::KEYS, |key, map| {
            match key {
                "partitions" => d.partitions = yaml::value(map, key)?,
                "replicationFactor" => d.replication_factor = yaml::value(map, key)?,
                "config" => d.config = yaml::value(map, key)?.map(|c| c.value).unwrap_or_default(),
                _ => d.raw_config = yaml::value(map, key)?.map(|c| c.value).unwrap_or_default(),
            }
            Ok(())
        })?;
        yaml::name_subject(mark, Some(Subject::Defaults));
        Ok(Some(d))
    }
}

/// One entry of `topics:`.
#[derive(Debug, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopicDoc {
    /// The topic name.
    #[schemars(with = "String", length(min = 1, max = 249), regex(pattern = r"^[a-zA-Z0-9._-]+$"))]
    pub name: Option<At<TopicName>>,
    /// Partition count.
    #[schemars(with = "Option<crate::desired::shapes::PartitionCount>")]
    pub partitions: Option<At<Count>>,
    /// Replication factor.
    #[schemars(with = "Option<crate::desired::shapes::ReplicationFactor>")]
    pub replication_factor: Option<At<Count>>,
    /// Topic configs, pinned as topic overrides.
    #[serde(default)]
    pub config: ConfigMap,
    /// Configs topicform does not know (a vendor's own keys such as `confluent.*`, or a Kafka newer than
    /// it): pinned as overrides like `config`, but neither checked nor normalised, and compared as
    /// strings.
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, crate::desired::shapes::Scalar>")]
    pub raw_config: ConfigMap,
    /// `true` deletes the topic and its data: an explicit, reviewable deletion.
    #[serde(default)]
    #[schemars(with = "Option<bool>")]
    pub delete: Option<At<bool>>,
    /// Rules this topic breaks knowingly: `minInsyncAboveReplicationFactor`. `import` writes it, with a
    /// comment, for a live topic that breaks a rule, so that adopting it changes nothing and the risk
    /// stays visible in review.
    #[serde(default)]
    #[schemars(with = "Vec<Acknowledgement>")]
    pub acknowledge: Vec<At<Acknowledgement>>,
    /// The keys it was written with.
    #[schemars(skip)]
    pub written: yaml::Written,
}

impl TopicDoc {
    /// The keys of a topic.
    pub const KEYS: &'static [&'static str] =
        &["name", "partitions", "replicationFactor", "config", "rawConfig", "delete", "acknowledge"];
}

impl Shape for TopicDoc {
    fn expected() -> &'static str {
        "a topic: a mapping with `name`, `partitions` and its other keys"
    }
    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mark = yaml::mark();
        let mut t = TopicDoc::default();
        t.written = yaml::fields(&mut map, Self::KEYS, |key, map| {
            match key {
                "name" => t.name = yaml::value(map, key)?,
                "partitions" => t.partitions = yaml::value(map, key)?,
                "replicationFactor" => t.replication_factor = yaml::value(map, key)?,
                "config" => t.config = yaml::value(map, key)?.map(|c| c.value).unwrap_or_default(),
                "rawConfig" => t.raw_config = yaml::value(map, key)?.map(|c| c.value).unwrap_or_default(),
                "delete" => t.delete = yaml::value(map, key)?,
                _ => t.acknowledge = yaml::value(map, key)?.map(|a| a.value).unwrap_or_default(),
            }
            Ok(())
        })?;
        yaml::name_subject(mark, t.name.as_ref().map(|n| Subject::Topic(yaml::shown(&n.value.0))));
        Ok(Some(t))
    }
}

/// A topic name as written: text (validation checks it is one Kafka takes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicName(pub String);

impl Shape for TopicName {
    const TEXTUAL: bool = true;
    fn expected() -> &'static str {
        "a topic name"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        String::scalar(scalar).map(TopicName)
    }
}

/// A count (`partitions`, `replicationFactor`) as written: a number, or a string, so that a wrong one
/// is explained in words ("`1.5`, which is not a whole number") at its location.
#[derive(Debug, Clone, PartialEq)]
pub enum Count {
    /// An integer, of any size.
    Integer(i128),
    /// A number with a fraction or exponent (or an integer too large for 128 bits), and its text as
    /// written when known (`1.0`, `1e3`).
    Float(f64, Option<Box<str>>),
    /// A string; a numeric one is accepted, as for config values.
    Text(String),
}

impl Count {
    /// The count when it is a whole number in `min..=max`, else the reason it is refused (completing
    /// "sets `partitions` to ..."), which starts with the value as written.
    pub fn within(&self, min: i64, max: i64) -> Result<i64, String> {
        let n = match self {
            Count::Integer(n) => *n,
            Count::Float(x, written) => {
                let shown = match written {
                    Some(w) => format!("`{}`", yaml::shown(w)),
                    None => x.to_string(),
                };
                return Err(if x.fract() != 0.0 {
                    format!("{shown}, which is not a whole number")
                } else if *x < min as f64 {
                    format!("{shown}; Kafka needs at least {min}")
                } else if *x > max as f64 {
                    format!("{shown}; Kafka allows at most {max}")
                } else {
                    // `1.0` or `1e3`: the number is whole, but only an integer says so.
                    format!("{shown}, which is not written as a whole number; write `{x:.0}`")
                });
            }
            Count::Text(t) => match t.trim().parse::<i128>() {
                Ok(n) => n,
                Err(_) => return Err(format!("`{}`, which is not a whole number", yaml::shown(t))),
            },
        };
        if n < i128::from(min) {
            Err(format!("{n}; Kafka needs at least {min}"))
        } else if n > i128::from(max) {
            Err(format!("{n}; Kafka allows at most {max}"))
        } else {
            Ok(n as i64)
        }
    }
}

impl Shape for Count {
    fn expected() -> &'static str {
        "a whole number"
    }
    const FLOAT_WRITTEN: bool = true;
    fn float_written(self, written: &str) -> Self {
        match self {
            Count::Float(x, _) => Count::Float(x, Some(written.trim().into())),
            other => other,
        }
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        match scalar {
            Scalar::Integer(i) => Some(Count::Integer(i)),
            Scalar::Float(x) if x.is_finite() => Some(Count::Float(x, None)),
            Scalar::Text(t) => Some(Count::Text(t.to_owned())),
            _ => None,
        }
    }
}

/// A mapping of config names to values (`config`, `rawConfig`, a cluster's `client`) in the order
/// written, with the place of every key and value. A key given twice is a problem, and its second value
/// never reaches this map.
#[derive(Debug, Default)]
pub struct ConfigMap(pub Vec<(At<String>, At<ConfigValue>)>);

impl Shape for ConfigMap {
    fn expected() -> &'static str {
        "a mapping of config names to values: `name: value` lines"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        // `config:` whose entries are all commented out.
        matches!(scalar, Scalar::Null).then(ConfigMap::default)
    }
    fn map<'de, A: MapAccess<'de>>(map: A) -> Result<Option<Self>, A::Error> {
        yaml::entries(map, |_| None).map(|e| Some(ConfigMap(e)))
    }
}

/// Config values are read as YAML wrote them, so that the value's own type (integer, string, ...)
/// reaches normalisation.
impl Shape for ConfigValue {
    fn expected() -> &'static str {
        "a string, a number, a boolean or a list of them"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        Some(match scalar {
            Scalar::Null => ConfigValue::Null,
            Scalar::Bool(b) => ConfigValue::Bool(b),
            Scalar::Integer(i) => ConfigValue::Integer(i),
            Scalar::Float(x) => ConfigValue::Float(x),
            Scalar::Text(s) => ConfigValue::String(s.to_owned()),
        })
    }
    fn seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        // A list of lists is a value normalisation refuses in words; a mapping inside is the wrong kind.
        let mut items = Vec::new();
        let mut wrong = false;
        while let Some(item) = seq.next_element::<Item>()? {
            match item.0 {
                Some(v) => items.push(v),
                None => wrong = true,
            }
        }
        Ok((!wrong).then_some(ConfigValue::List(items)))
    }
}

/// An entry of a list config value.
struct Item(Option<ConfigValue>);

impl<'de> serde::Deserialize<'de> for Item {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        yaml::any::<ConfigValue, D>(deserializer).map(Item)
    }
}

/// Reads an enum from its name.
macro_rules! named {
    ($ty:ty, $expected:literal, $($name:literal => $variant:expr),+ $(,)?) => {
        impl Shape for $ty {
            fn expected() -> &'static str {
                $expected
            }
            fn scalar(scalar: Scalar<'_>) -> Option<Self> {
                match scalar {
                    $(Scalar::Text($name) => Some($variant),)+
                    _ => None,
                }
            }
        }
    };
}

named!(ConfigMode, "`strict` or `additive`", "strict" => ConfigMode::Strict, "additive" => ConfigMode::Additive);
named!(Severity, "`error` or `warning`", "error" => Severity::Error, "warning" => Severity::Warning);
named!(
    Acknowledgement,
    "a rule the topic breaks knowingly: `minInsyncAboveReplicationFactor` or `activeData`",
    "minInsyncAboveReplicationFactor" => Acknowledgement::MinInsyncAboveReplicationFactor,
    "activeData" => Acknowledgement::ActiveData,
);
