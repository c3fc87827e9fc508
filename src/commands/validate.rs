//! `validate`: the files offline (schema, types, units, policy, every cluster's overrides); no cluster
//! is contacted.

use std::cell::RefCell;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use super::fleet::Within;
use super::{Common, Loaded, desired_with, project_and_problems};
use crate::desired::{Project, Severity, Sources};
use crate::fleet::Selection;
use crate::plan::ExitStatus;
use crate::render::fleet::{ClusterReport, FleetCommand, FleetReport, Status};
use crate::report::{Event, Reporter};

/// Settings of `validate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Fail on warnings too.
    pub strict: bool,
    /// Topic files or directories; empty: the project's `topics`, else `topics/`.
    pub paths: Vec<PathBuf>,
    /// Which clusters' overrides to check: none named is every cluster, in one report; a fleet
    /// selection checks each selected cluster on its own and prints a summary table.
    pub clusters: Selection,
}

/// Runs `validate`.
pub fn run(
    common: &Common,
    settings: Settings,
    out: &mut dyn Write,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ExitStatus> {
    let Settings { strict, paths, clusters: selection } = settings;
    let mut sources = Sources::default();
    // The project file's problems are reported with the topic files', so that one report says all.
    let Loaded::Ok((project, found)) = project_and_problems(common, &mut sources, false) else {
        return Ok(ExitStatus::Failure);
    };
    if selection != Selection::default() {
        return per_cluster(project, found, selection, strict, paths, sources, out, reporter);
    }
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

/// `validate` of each selected cluster on its own (its overrides applied), one after another (the work
/// is local), with a summary table on stdout.
#[allow(clippy::too_many_arguments)]
fn per_cluster(
    project: Option<Project>,
    found: Vec<crate::desired::Error>,
    selection: Selection,
    strict: bool,
    paths: Vec<PathBuf>,
    mut sources: Sources,
    out: &mut dyn Write,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ExitStatus> {
    let failed = found.iter().any(|p| p.severity() == Severity::Error);
    if !found.is_empty() {
        super::report_problems(found, &sources, reporter);
    }
    let Some(project) = project.filter(|_| !failed) else { return Ok(ExitStatus::Failure) };
    let known: Vec<String> = project.cluster_names().map(str::to_owned).collect();
    let names = match selection.resolve(&known) {
        Ok(names) => names,
        Err(error) => {
            reporter.event(Event::Failed { error: &error });
            return Ok(ExitStatus::Failure);
        }
    };
    let shared = RefCell::new(reporter);
    let mut reports = Vec::new();
    for name in &names {
        let began = Instant::now();
        let mut within = Within { cluster: name.clone(), shared: &shared };
        let clusters = [Some(name.as_str())];
        let loaded = desired_with(
            Vec::new(),
            false,
            paths.clone(),
            Some(&project),
            &clusters,
            strict,
            &mut sources,
            &mut within,
        );
        let mut report = ClusterReport::new(name, Status::Ok);
        match loaded {
            Loaded::Ok((_, topics)) => {
                within.event(Event::Valid { topics });
                report.topic_count = Some(topics);
            }
            Loaded::Invalid => {
                report.status = Status::Failed;
                report.error =
                    Some("the files have problems with this cluster's overrides; see the diagnostics".into());
            }
        }
        report.duration_ms = u64::try_from(began.elapsed().as_millis()).unwrap_or(u64::MAX);
        reports.push(report);
    }
    let report = FleetReport::new(FleetCommand::Validate, reports);
    let bodies = vec![Vec::new(); report.clusters.len()];
    crate::render::fleet::text(&report, &bodies, crate::render::Style::default(), out)?;
    Ok(report.exit_status(false))
}
