//! `import`: write topic files for the topics a cluster already has; the first plan against them is
//! empty.

use std::path::{Component, Path, PathBuf};

use anyhow::{Context, bail};

use super::{Common, Target, read_cluster};
use crate::cluster::Connect;
use crate::plan::ExitStatus;
use crate::report::{Event, Reporter};

/// Settings of `import`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The cluster.
    pub target: Target,
    /// Only topics whose names match.
    pub matching: Option<regex::Regex>,
    /// The directory to write into.
    pub out: PathBuf,
    /// Overwrite files that exist.
    pub force: bool,
}

/// Runs `import`.
pub async fn run(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ExitStatus> {
    let Settings { target, matching, out, force } = settings;
    let Some((live, cluster)) = read_cluster(common, &target, matching.as_ref(), None, connect, reporter).await? else {
        return Ok(ExitStatus::Failure);
    };
    let out = super::per_cluster(&out, &cluster.name);
    let schema = schema_path(&out);
    let files = crate::import::files(&live, schema.as_deref().unwrap_or(BESIDE));
    std::fs::create_dir_all(&out).with_context(|| format!("creating `{}`", out.display()))?;
    let existing: Vec<String> = files.iter().map(|(n, _)| n.clone()).filter(|n| out.join(n).exists()).collect();
    if !existing.is_empty() && !force {
        bail!("`{}` already holds {}; pass --force to overwrite", out.display(), existing.join(", "));
    }
    // A topic named like the project file must not overwrite it, even with --force.
    for (name, _) in &files {
        super::refuse_clobber(&out.join(name), "--out", [common.project.as_path()])?;
    }
    for (name, text) in &files {
        let path = out.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing `{}`", path.display()))?;
    }
    if schema.is_none() {
        let path = out.join(BESIDE);
        let (_, text) = crate::schema::all().into_iter().next().expect("the topic-file schema comes first");
        std::fs::write(&path, text).with_context(|| format!("writing `{}`", path.display()))?;
    }
    reporter.event(Event::Imported {
        topics: live.topics.len(),
        cluster: &cluster.name,
        files: files.len(),
        dir: &out,
    });
    Ok(ExitStatus::Success)
}

/// The schema file written beside imported files when there is no `schemas/` to point at.
const BESIDE: &str = "topicform.schema.json";

/// The schema modeline's path from `dir` to the project's `schemas/`, when the directory is inside the
/// working directory and that has `schemas/`; else `None`, and the schema is written beside the files.
fn schema_path(dir: &Path) -> Option<String> {
    let depth = dir.components().filter(|c| matches!(c, Component::Normal(_))).count();
    let inside = dir.is_relative() && !dir.components().any(|c| matches!(c, Component::ParentDir));
    (inside && Path::new("schemas/topicform.schema.json").exists())
        .then(|| format!("{}schemas/topicform.schema.json", "../".repeat(depth)))
}
