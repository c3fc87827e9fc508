//! `validate`: the files offline (schema, types, units, policy, every cluster's overrides); no cluster
//! is contacted.

use std::path::PathBuf;

use super::{Common, Loaded, desired_with, project_and_problems};
use crate::desired::Sources;
use crate::plan::ExitStatus;
use crate::report::{Event, Reporter};

/// Settings of `validate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Fail on warnings too.
    pub strict: bool,
    /// Topic files or directories; empty: the project's `topics`, else `topics/`.
    pub paths: Vec<PathBuf>,
}

/// Runs `validate`.
pub fn run(common: &Common, settings: Settings, reporter: &mut dyn Reporter) -> anyhow::Result<ExitStatus> {
    let Settings { strict, paths } = settings;
    let mut sources = Sources::default();
    // The project file's problems are reported with the topic files', so that one report says all.
    let Loaded::Ok((project, found)) = project_and_problems(common, &mut sources, false) else {
        return Ok(ExitStatus::Failure);
    };
    // The files must hold for every cluster: each cluster's overrides can break a rule.
    let mut clusters: Vec<Option<&str>> = project.iter().flat_map(|p| p.cluster_names().map(Some)).collect();
    if clusters.is_empty() {
        clusters.push(None);
    }
    // Only checked, never kept: a large tree is read topic by topic.
    let Loaded::Ok((_, topics)) =
        desired_with(found, false, paths, project.as_ref(), &clusters, strict, &mut sources, reporter)
    else {
        return Ok(ExitStatus::Failure);
    };
    reporter.event(Event::Valid { topics });
    Ok(ExitStatus::Success)
}
