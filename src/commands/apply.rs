//! `apply`: make the planned changes and verify; or, given a saved plan, apply exactly it after the
//! stale check.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::{Common, Loaded, Target, cluster, describe};
use crate::apply::{self, Guards, Options};
use crate::cluster::{Admin, Connect};
use crate::desired::{Desired, Sources};
use crate::live::Scope;
use crate::plan::{self, Change, ExitStatus, Plan, SavedPlan};
use crate::render;
use crate::report::{Event, Reporter};

/// Settings of `apply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The cluster.
    pub target: Target,
    /// What to apply.
    pub source: Source,
    /// Apply without asking.
    pub auto_approve: bool,
    /// Whether someone can answer the prompt (standard input is a terminal).
    pub interactive: bool,
    /// Deletion limits.
    pub guards: Guards,
    /// How replication-factor changes run.
    pub options: Options,
}

/// What `apply` applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A fresh plan of these topic files (empty: the project's `topics`), pruning or not.
    Files {
        /// Topic files or directories.
        paths: Vec<PathBuf>,
        /// Delete unmanaged topics inside `owns`.
        prune: bool,
    },
    /// A plan saved by `plan --out`.
    Saved(PathBuf),
}

/// Runs `apply`.
pub async fn run(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    out: &mut dyn Write,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ExitStatus> {
    let Settings { target, source, auto_approve, interactive, guards, options } = settings;
    // Fail before any work when nobody can answer the prompt: CI must never hang.
    if !auto_approve && !interactive {
        bail!("refusing to apply without --auto-approve: standard input is not a terminal, so nobody can confirm");
    }
    let run = Run { out, reporter, auto_approve, guards, options };
    match source {
        Source::Saved(path) => saved(common, &target, &path, connect, run).await,
        Source::Files { paths, prune } => {
            let options = plan::Options { prune };
            let planned = super::plan::make(common, &target, paths, options, connect, run.reporter).await?;
            let Some(planned) = planned else { return Ok(ExitStatus::Failure) };
            run.apply(common, &planned.plan, &planned.desired, &planned.admin).await
        }
    }
}

/// Where apply reports, and what it may do.
struct Run<'a> {
    out: &'a mut dyn Write,
    reporter: &'a mut dyn Reporter,
    auto_approve: bool,
    guards: Guards,
    options: Options,
}

/// Applies a plan saved by `plan --out`: exactly its changes, and only if the topics it touches look as
/// they did when it was made.
async fn saved(
    common: &Common,
    target: &Target,
    path: &Path,
    connect: &impl Connect,
    run: Run<'_>,
) -> anyhow::Result<ExitStatus> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the saved plan `{}`", path.display()))?;
    let saved: SavedPlan = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is not a plan saved by `topicform plan --out`", path.display()))?;
    if saved.plan.format_version != plan::FORMAT_VERSION {
        bail!(
            "`{}` has plan format {}, this topicform reads format {}; make the plan again with this version",
            path.display(),
            saved.plan.format_version,
            plan::FORMAT_VERSION
        );
    }
    if let Some(name) = &target.cluster
        && *name != saved.cluster
    {
        bail!("the plan was made for cluster `{}`, not `{name}`", saved.cluster);
    }
    let mut sources = Sources::default();
    let Loaded::Ok((_, cluster)) = cluster(common, Some(&saved.cluster), &mut sources, run.reporter) else {
        return Ok(ExitStatus::Failure);
    };
    let scope = Scope::new(saved.topics().map(str::to_owned), &[], &[])?;
    let target = Target { cluster: Some(saved.cluster.clone()), timeout: target.timeout };
    let (admin, live) = describe(common, connect, &cluster, &target, &scope, run.reporter).await?;
    let stale = saved.staleness(&live);
    if !stale.is_empty() {
        run.reporter.event(Event::Stale { reasons: &stale });
        return Ok(ExitStatus::Failure);
    }
    run.apply(common, &saved.plan, &saved.desired(), &admin).await
}

impl Run<'_> {
    async fn apply(
        self,
        common: &Common,
        plan: &Plan,
        desired: &Desired,
        admin: &impl Admin,
    ) -> anyhow::Result<ExitStatus> {
        let Run { out, reporter, auto_approve, guards, options } = self;
        render::text(plan, common.style, out)?;
        if !plan.blocked.is_empty() {
            return Ok(ExitStatus::Failure);
        }
        if plan.changes.is_empty() {
            return Ok(ExitStatus::Success);
        }
        // Refuse before asking: a prompt for an apply that will not run is noise.
        if let Err(error) = apply::check_guards(plan, &guards) {
            reporter.event(Event::Failed { error: &error });
            return Ok(ExitStatus::Failure);
        }
        if !auto_approve {
            let destructive: Vec<&Change> = plan.changes.iter().filter(|c| c.is_destructive()).collect();
            if !reporter.confirm(&destructive) {
                reporter.event(Event::Cancelled);
                return Ok(ExitStatus::Failure);
            }
        }
        let report = match apply::run(plan, desired, admin, &guards, &options, reporter).await {
            Ok(report) => report,
            Err(apply::Error::Preflight(refused)) => {
                for (change, error) in &refused {
                    reporter.event(Event::Refused { change, error });
                }
                let error = apply::Error::Preflight(refused);
                reporter.event(Event::Failed { error: &error });
                return Ok(ExitStatus::Failure);
            }
            Err(error) => {
                reporter.event(Event::Failed { error: &error });
                return Ok(ExitStatus::Failure);
            }
        };
        writeln!(out)?;
        render::apply_report(&report, common.style, out)?;
        Ok(if report.is_success() { ExitStatus::Success } else { ExitStatus::Failure })
    }
}
