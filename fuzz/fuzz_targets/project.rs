//! The project file: `desired::load::project_text` must read any text into a project and its problems
//! (or the one problem that stops it), never panic, and every problem must render. Then every cluster
//! the text names is resolved, with every `${VAR}` and `${file:PATH}` answering a secret: no problem of
//! the resolution (a bad `bootstrap`, a client value of the wrong shape, ...) may show it, and a
//! `bootstrap` made of references is shown as written.
//!
//! Input that is not UTF-8 is skipped, as in `validate`: the loader refuses it before parsing.
#![no_main]

use libfuzzer_sys::fuzz_target;
use topicform::desired::load::project_text;
use topicform::desired::{Error, Sources};
use topicform::render::{self, Style};

/// What every variable and file resolves to. No message may contain it.
const SECRET: &str = "S3CR3T-VALUE";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let project = match project_text("topicform.yaml", text) {
        Ok(project) => project,
        Err(error) => return check(&[error], text),
    };
    check(project.problems(), text);
    let names: Vec<String> = project.cluster_names().map(str::to_owned).collect();
    let env = |_: &str| Some(SECRET.to_owned());
    for name in names.iter().map(|n| Some(n.as_str())).chain([None, Some("no-such-cluster")]) {
        match project.cluster(name, &env) {
            Ok(cluster) => {
                if !text.contains(SECRET) {
                    assert!(!cluster.shown_bootstrap().contains(SECRET), "{}", cluster.shown_bootstrap());
                }
            }
            Err(errors) => check(&errors, text),
        }
    }
});

/// Every problem renders, and none shows a secret (unless the input itself holds the marker).
fn check(errors: &[Error], text: &str) {
    let mut out = Vec::new();
    render::diagnostics(errors, &Sources::default(), Style::default(), &mut out).expect("rendering to a Vec");
    let out = String::from_utf8(out).expect("diagnostics are UTF-8");
    if text.contains(SECRET) {
        return;
    }
    assert!(!out.contains(SECRET), "a secret is shown:\n{out}");
    for error in errors {
        let text = format!("{error} {}", error.hint().unwrap_or_default());
        assert!(!text.contains(SECRET), "a secret is shown: {text}");
    }
}
