//! The committed JSON Schemas accept what topicform reads and writes: the example topic files and
//! project file, and plans in JSON, saved or printed.

use std::path::Path;

use serde_json::Value;

fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::draft7::new(&schema).expect("a valid draft-07 schema")
}

fn yaml(path: &Path) -> Value {
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[track_caller]
fn assert_valid(validator: &jsonschema::Validator, value: &Value, what: &str) {
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn example_files_match_their_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let topics = schema("topicform.schema.json");
    for entry in std::fs::read_dir(root.join("topics")).unwrap() {
        let path = entry.unwrap().path();
        assert_valid(&topics, &yaml(&path), &path.display().to_string());
    }
    assert_valid(&schema("project.schema.json"), &yaml(&root.join("topicform.yaml")), "topicform.yaml");
}

#[test]
fn topic_schema_checks_config_values() {
    let topics = schema("topicform.schema.json");
    let good: Value = serde_saphyr::from_str(
        "topics:\n  - name: a\n    partitions: 3\n    config:\n      retention.ms: 7d\n      cleanup.policy: [compact, delete]\n      preallocate: True\n",
    )
    .unwrap();
    assert_valid(&topics, &good, "units, lists and booleans");
    for bad in [
        "topics:\n  - name: a\n    config:\n      retention.msec: 1\n",
        "topics:\n  - name: a\n    config:\n      compression.type: brotli\n",
        "topics:\n  - name: a\n    partitions: 0\n",
        "topics:\n  - name: has space\n",
        "topics:\n  - partitions: 1\n",
    ] {
        let value: Value = serde_saphyr::from_str(bad).unwrap();
        assert!(!topics.is_valid(&value), "schema accepts:\n{bad}");
    }
}
