//! JSON Schema shapes of the values the YAML files accept where a Rust type says less (a count written
//! as a number or a numeric string, a scalar config value). They live beside the model that names them
//! in `#[schemars(with = ...)]`, so that `schema` depends on `desired` and not the other way round.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// A partition count: an integer from 1 to 100,000 (librdkafka's limit, `validate::MAX_PARTITIONS`),
/// or the same number as a string (`"12"` is accepted, as numbers are everywhere in topic files).
pub struct PartitionCount;

impl JsonSchema for PartitionCount {
    fn schema_name() -> Cow<'static, str> {
        "PartitionCount".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                { "type": "integer", "minimum": 1, "maximum": super::validate::MAX_PARTITIONS },
                { "type": "string", "pattern": "^\\s*[0-9]+\\s*$" },
            ]
        })
    }
}

/// A replication factor: an integer from 1 to 32767, or the same number as a string.
pub struct ReplicationFactor;

impl JsonSchema for ReplicationFactor {
    fn schema_name() -> Cow<'static, str> {
        "ReplicationFactor".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                { "type": "integer", "minimum": 1, "maximum": 32767 },
                { "type": "string", "pattern": "^\\s*[0-9]+\\s*$" },
            ]
        })
    }
}

/// A scalar config value: string, number or boolean.
pub struct Scalar;

impl JsonSchema for Scalar {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

/// `bootstrap`: `host:port[,host:port...]`, or a list of `host:port`.
pub struct Bootstrap;

impl JsonSchema for Bootstrap {
    fn schema_name() -> Cow<'static, str> {
        "Bootstrap".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "anyOf": [
                { "type": "string", "minLength": 1 },
                { "type": "array", "items": { "type": "string", "minLength": 1 }, "minItems": 1 },
            ]
        })
    }
}
