//! JSON Schemas (draft-07, which yaml-language-server handles best) of the topic files, the project file
//! and the plan, generated from the Rust types with schemars. The topic-file schema describes every
//! Kafka topic config from the catalog, so editors complete and check config keys and values.
//! `schemas/` holds the generated files; tests/generated.rs keeps them equal to what this module generates.

use std::borrow::Cow;

use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::{Map, Value, json};

use crate::catalog::{self, Bound, ConfigDef, Kind};
use crate::desired::model::{ConfigMap, TopicFile};
use crate::desired::project::ProjectDoc;
use crate::plan::{Plan, SavedPlan};
use crate::render::fleet::FleetReport;
use crate::render::topics::TopicsView;
use crate::snapshot::Snapshot;

/// Every schema, by the file name it has under `schemas/`.
pub fn all() -> Vec<(&'static str, String)> {
    vec![
        ("topicform.schema.json", render::<TopicFile>("https://topicform.dev/schemas/topicform.schema.json")),
        ("project.schema.json", render::<ProjectDoc>("https://topicform.dev/schemas/project.schema.json")),
        ("plan.schema.json", render::<Plan>("https://topicform.dev/schemas/plan.schema.json")),
        ("saved-plan.schema.json", render::<SavedPlan>("https://topicform.dev/schemas/saved-plan.schema.json")),
        ("topics.schema.json", render::<TopicsView>("https://topicform.dev/schemas/topics.schema.json")),
        ("snapshot.schema.json", render::<Snapshot>("https://topicform.dev/schemas/snapshot.schema.json")),
        ("fleet.schema.json", render::<FleetReport>("https://topicform.dev/schemas/fleet.schema.json")),
    ]
}

fn render<T: JsonSchema>(id: &str) -> String {
    let mut schema = SchemaSettings::draft07().into_generator().into_root_schema_for::<T>();
    schema.insert("$id".into(), Value::String(id.into()));
    serde_json::to_string_pretty(&schema).expect("a schema is JSON") + "\n"
}

impl JsonSchema for ConfigMap {
    fn schema_name() -> Cow<'static, str> {
        "TopicConfigs".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let properties: Map<String, Value> = catalog::all().iter().map(|c| (c.name.to_owned(), config(c))).collect();
        json_schema!({
            "description": "Kafka topic configs, pinned as topic overrides. Values are normalised before comparison: units, list order and case never show as drift.",
            "type": "object",
            "properties": properties,
            "additionalProperties": false,
        })
    }
}

fn config(c: &ConfigDef) -> Value {
    let mut description = c.doc.to_owned();
    if !c.default.is_empty() {
        description += &format!(". Kafka default: {}", c.default);
    }
    description += &format!(". Since Apache Kafka {}.", c.since);
    let bounds = |schema: &mut Map<String, Value>| {
        let number = |b: Bound| match b {
            Bound::Int(i) => json!(i),
            Bound::Float(f) => json!(f),
        };
        if let Some(b) = c.min {
            schema.insert("minimum".into(), number(b));
        }
        if let Some(b) = c.max {
            schema.insert("maximum".into(), number(b));
        }
    };
    let integer = |pattern: &str| {
        let mut number = Map::new();
        number.insert("type".into(), json!("integer"));
        bounds(&mut number);
        json!([Value::Object(number), { "type": "string", "pattern": pattern }])
    };
    let shape = match c.kind {
        Kind::Duration => json!({ "anyOf": integer(r"^\s*-?[0-9_]+\s*(ms|s|m|h|d|w)?\s*$") }),
        Kind::Bytes => json!({ "anyOf": integer(r"^\s*-?[0-9_]+\s*(B|KiB|MiB|GiB|TiB|PiB)?\s*$") }),
        Kind::Int | Kind::Long => json!({ "anyOf": integer(r"^\s*-?[0-9]+\s*$") }),
        Kind::Double => {
            let mut number = Map::new();
            number.insert("type".into(), json!("number"));
            bounds(&mut number);
            json!({ "anyOf": [Value::Object(number), { "type": "string" }] })
        }
        Kind::Boolean => {
            json!({ "anyOf": [{ "type": "boolean" }, { "type": "string", "pattern": "^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$" }] })
        }
        Kind::Enum => json!({ "type": "string", "enum": c.values }),
        Kind::List if !c.values.is_empty() => json!({
            "anyOf": [
                { "type": "array", "items": { "type": "string", "enum": c.values }, "uniqueItems": true },
                { "type": "string" },
            ]
        }),
        Kind::List => json!({ "anyOf": [{ "type": "array", "items": { "type": "string" } }, { "type": "string" }] }),
        Kind::String | Kind::Class => json!({ "type": "string" }),
    };
    let mut out = shape.as_object().cloned().expect("an object");
    out.insert("description".into(), Value::String(description));
    if !c.default.is_empty() {
        out.insert("default".into(), Value::String(c.default.to_owned()));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_schema_is_draft_07_and_knows_every_config() {
        let (_, text) = &all()[0];
        let schema: Value = serde_json::from_str(text).unwrap();
        assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
        let configs = &schema["definitions"]["TopicConfigs"]["properties"];
        for c in catalog::all() {
            assert!(configs.get(c.name).is_some(), "{} is in the schema", c.name);
        }
        assert_eq!(configs["cleanup.policy"]["default"], "delete");
    }
}
