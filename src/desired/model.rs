//! The YAML documents as written, before validation: every field that validation checks keeps its
//! source location (`Spanned`), and unknown keys are refused by serde.

use std::fmt;

use schemars::JsonSchema;
use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

pub use crate::catalog::Value as ConfigValue;

/// A topic file: optional `defaults` for its topics, and the topics.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(title = "topicform topic file")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopicFile {
    /// Values every topic of this file inherits unless it sets its own.
    #[serde(default)]
    pub defaults: Option<TopicDefaults>,
    /// The topics.
    #[serde(default)]
    pub topics: Vec<TopicDoc>,
    /// This file's config mode: whether undeclared overrides of its topics are removed or kept.
    #[serde(default)]
    pub config_mode: Option<super::ConfigMode>,
}

/// `defaults:` of a topic file.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopicDefaults {
    /// Default partition count.
    #[schemars(with = "Option<crate::desired::shapes::PartitionCount>")]
    pub partitions: Option<Spanned<Count>>,
    /// Default replication factor.
    #[schemars(with = "Option<crate::desired::shapes::ReplicationFactor>")]
    pub replication_factor: Option<Spanned<Count>>,
    /// Configs every topic of the file gets; a topic's own `config` wins key by key.
    #[serde(default)]
    pub config: ConfigMap,
    /// Raw configs every topic of the file gets (see a topic's `rawConfig`).
    #[serde(default)]
    #[schemars(with = "std::collections::BTreeMap<String, crate::desired::shapes::Scalar>")]
    pub raw_config: ConfigMap,
}

/// One entry of `topics:`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopicDoc {
    /// The topic name.
    #[schemars(with = "String", length(min = 1, max = 249), regex(pattern = r"^[a-zA-Z0-9._-]+$"))]
    pub name: Spanned<String>,
    /// Partition count.
    #[schemars(with = "Option<crate::desired::shapes::PartitionCount>")]
    pub partitions: Option<Spanned<Count>>,
    /// Replication factor.
    #[schemars(with = "Option<crate::desired::shapes::ReplicationFactor>")]
    pub replication_factor: Option<Spanned<Count>>,
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
    pub delete: Option<Spanned<bool>>,
    /// Rules this topic breaks knowingly: `minInsyncAboveReplicationFactor`. `import` writes it, with a
    /// comment, for a live topic that breaks a rule, so that adopting it changes nothing and the risk
    /// stays visible in review.
    #[serde(default)]
    pub acknowledge: Vec<super::Acknowledgement>,
}

/// A count (`partitions`, `replicationFactor`) as written: any scalar, so that a wrong one is explained
/// in words ("1.5, which is not a whole number") at its location, not as a parser type error.
#[derive(Debug, Clone, PartialEq)]
pub enum Count {
    /// An integer, of any size.
    Integer(i128),
    /// A number with a fraction or exponent.
    Float(f64),
    /// A string; a numeric one is accepted, as for config values.
    Text(String),
    /// Something else (a boolean), described.
    Other(&'static str),
}

impl Count {
    /// The count when it is a whole number in `min..=max`, else the reason it is refused (completing
    /// "sets `partitions` to ...").
    pub fn within(&self, min: i64, max: i64) -> Result<i64, String> {
        let n = match self {
            Count::Integer(n) => *n,
            // A whole number too large for a 64-bit integer arrives as a float.
            Count::Float(x) if x.fract() == 0.0 && *x < i64::MIN as f64 => {
                return Err(format!("{x:.0}; Kafka needs at least {min}"));
            }
            Count::Float(x) if x.fract() == 0.0 && *x > i64::MAX as f64 => {
                return Err(format!("{x:.0}; Kafka allows at most {max}"));
            }
            Count::Float(x) => return Err(format!("{x}, which is not a whole number")),
            Count::Other(what) => return Err(format!("{what}; it takes a whole number")),
            Count::Text(t) => match t.trim().parse::<i128>() {
                Ok(n) => n,
                Err(_) => return Err(format!("`{t}`, which is not a whole number")),
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

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CountVisitor;
        impl<'de> Visitor<'de> for CountVisitor {
            type Value = Count;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Count, E> {
                Ok(Count::Integer(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Count, E> {
                Ok(Count::Integer(v.into()))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Count, E> {
                Ok(Count::Integer(v))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Count, E> {
                Ok(Count::Integer(i128::try_from(v).unwrap_or(i128::MAX)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Count, E> {
                Ok(Count::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Count, E> {
                Ok(Count::Text(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Count, E> {
                Ok(Count::Other("a boolean"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Count, E> {
                Ok(Count::Other("nothing (null)"))
            }
        }
        deserializer.deserialize_any(CountVisitor)
    }
}

/// A `config:` mapping in the order written, with the location of every key and value. Duplicate keys
/// never reach it: the YAML parser refuses them.
#[derive(Debug, Default)]
pub struct ConfigMap(pub Vec<(Spanned<String>, Spanned<ConfigValue>)>);

impl<'de> Deserialize<'de> for ConfigMap {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor;
        impl<'de> Visitor<'de> for MapVisitor {
            type Value = ConfigMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of Kafka config names to values")
            }
            fn visit_unit<E: de::Error>(self) -> Result<ConfigMap, E> {
                Ok(ConfigMap::default())
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ConfigMap, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(ConfigMap(entries))
            }
        }
        deserializer.deserialize_map(MapVisitor)
    }
}

/// Deserialized straight from YAML scalars and sequences, so that the value's own type (integer, string,
/// ...) reaches normalisation and its location reaches diagnostics.
impl<'de> Deserialize<'de> for ConfigValue {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ValueVisitor;
        impl<'de> Visitor<'de> for ValueVisitor {
            type Value = ConfigValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean or list of them")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ConfigValue, E> {
                Ok(ConfigValue::String(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<ConfigValue, E> {
                Ok(ConfigValue::String(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Integer(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Integer(v.into()))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Integer(v))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<ConfigValue, E> {
                i128::try_from(v).map(ConfigValue::Integer).map_err(|_| E::custom("integer too large"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Float(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<ConfigValue, E> {
                Ok(ConfigValue::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ConfigValue, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(ConfigValue::List(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<ConfigValue, A::Error> {
                Err(de::Error::custom("a config value is a string, number, boolean or list, not a mapping"))
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}
