//! The documentation keeps up with the code: every key of the file formats' schemas is described in
//! docs/format.md.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

fn keys(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "properties"
                    && let Value::Object(props) = v
                {
                    out.extend(props.keys().cloned());
                }
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn every_schema_key_is_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/format.md")).unwrap();
    let mut missing = Vec::new();
    for name in ["topicform.schema.json", "project.schema.json"] {
        let schema: Value =
            serde_json::from_str(&std::fs::read_to_string(root.join("schemas").join(name)).unwrap()).unwrap();
        let mut found = BTreeSet::new();
        keys(&schema, &mut found);
        // Topic config keys are documented in docs/configs.md, generated from the catalog.
        for key in found.into_iter().filter(|k| topicform::catalog::get(k).is_none()) {
            if !doc.contains(&format!("`{key}`")) {
                missing.push(format!("{name}: {key}"));
            }
        }
    }
    assert!(missing.is_empty(), "docs/format.md does not describe {missing:?}");
}
