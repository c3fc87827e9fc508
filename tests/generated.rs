//! Files generated from the code are committed, and must equal what the code generates now:
//! `schemas/*.json` and `docs/configs.md`. Run with `UPDATE_GENERATED=1` to rewrite them.

use std::path::Path;

fn check(files: Vec<(String, String)>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let update = std::env::var_os("UPDATE_GENERATED").is_some();
    let mut stale = Vec::new();
    for (path, text) in files {
        let full = root.join(&path);
        if update {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, &text).unwrap();
        } else if std::fs::read_to_string(&full).ok().as_deref() != Some(text.as_str()) {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from what the code generates; run `UPDATE_GENERATED=1 cargo test --test generated`"
    );
}

#[test]
fn schemas_are_current() {
    check(topicform::schema::all().into_iter().map(|(name, text)| (format!("schemas/{name}"), text)).collect());
}

#[test]
fn config_reference_is_current() {
    check(vec![("docs/configs.md".to_owned(), topicform::catalog::markdown())]);
}
