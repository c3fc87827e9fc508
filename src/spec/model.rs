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
    #[schemars(with = "Option<u32>", range(min = 1))]
    pub partitions: Option<Spanned<i64>>,
    /// Default replication factor.
    #[schemars(with = "Option<u16>", range(min = 1, max = 32767))]
    pub replication_factor: Option<Spanned<i64>>,
    /// Configs every topic of the file gets; a topic's own `config` wins key by key.
    #[serde(default)]
    pub config: ConfigMap,
}

/// One entry of `topics:`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TopicDoc {
    /// The topic name.
    #[schemars(with = "String", length(min = 1, max = 249), regex(pattern = r"^[a-zA-Z0-9._-]+$"))]
    pub name: Spanned<String>,
    /// Partition count.
    #[schemars(with = "Option<u32>", range(min = 1))]
    pub partitions: Option<Spanned<i64>>,
    /// Replication factor.
    #[schemars(with = "Option<u16>", range(min = 1, max = 32767))]
    pub replication_factor: Option<Spanned<i64>>,
    /// Topic configs, pinned as topic overrides.
    #[serde(default)]
    pub config: ConfigMap,
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
