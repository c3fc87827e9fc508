//! `validate`: the files offline (schema, types, units, policy, every cluster's overrides); no cluster
//! is contacted.

use std::path::PathBuf;

use super::{Common, Loaded, desired, project};
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
    let Loaded::Ok(project) = project(common, &mut sources, false, reporter) else { return Ok(ExitStatus::Failure) };
    if let Some(p) = &project {
        let problems = p.check_references();
        if !problems.is_empty() {
            reporter.event(Event::Problems { problems: &problems, sources: &sources });
            return Ok(ExitStatus::Failure);
        }
    }
    // The files must hold for every cluster: each cluster's overrides can break a rule.
    let mut clusters: Vec<Option<&str>> = project.iter().flat_map(|p| p.cluster_names().map(Some)).collect();
    if clusters.is_empty() {
        clusters.push(None);
    }
    let Loaded::Ok(desired) = desired(paths, project.as_ref(), &clusters, strict, &mut sources, reporter) else {
        return Ok(ExitStatus::Failure);
    };
    reporter.event(Event::Valid { topics: desired.topics.len() });
    Ok(ExitStatus::Success)
}
