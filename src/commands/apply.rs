//! `apply`: make the planned changes and verify; or, given a saved plan, apply exactly it after the
//! stale check.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::bail;

use super::{Common, Loaded, Target};
use crate::apply::{self, Guards, Options};
use crate::cluster::{Admin, Connect};
use crate::desired::{Desired, Sources};
use crate::plan::{self, Change, ExitStatus, Plan, Refusal, SavedPlan};
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
    /// How old a saved plan may be, in seconds (`--max-plan-age`); `None`: the project's `maxPlanAge`,
    /// else [`DEFAULT_MAX_PLAN_AGE`].
    pub max_plan_age: Option<u64>,
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
    /// A plan saved by `plan --out` (a path ending in `.json`, in any letter case).
    Saved {
        /// The saved plan.
        path: PathBuf,
        /// Other paths given beside it: refused, the plan names its own topic paths.
        others: Vec<PathBuf>,
        /// `--prune` was given: refused unless the plan was made with it, and required when it was.
        prune: bool,
    },
}

/// Runs `apply`.
pub async fn run(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    out: &mut dyn Write,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ExitStatus> {
    let Settings { target, source, auto_approve, interactive, guards, options, max_plan_age } = settings;
    // Fail before any work when nobody can answer the prompt: CI must never hang.
    if !auto_approve && !interactive {
        bail!("refusing to apply without --auto-approve: standard input is not a terminal, so nobody can confirm");
    }
    let options = common.apply_options(&target, options);
    let run = Run { out, reporter, auto_approve, guards, options };
    match source {
        Source::Saved { path, others, prune } => {
            if let Some(other) = others.first() {
                bail!(
                    "`{}` is a saved plan, applied alone with the topic paths it was made from; `{}` cannot be given beside it",
                    path.display(),
                    other.display()
                );
            }
            saved(common, &target, &path, prune, max_plan_age, connect, run).await
        }
        Source::Files { paths, prune } => {
            let options = plan::Options { prune };
            let planned =
                super::plan::make(common, &target, paths, options, super::plan::Keep::ForDiff, connect, run.reporter)
                    .await?;
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

/// Applies a plan saved by `plan --out`, as a commitment: only if it is the text topicform wrote, for
/// this cluster, not too old, and a fresh plan made now from the same files and options equals it.
async fn saved(
    common: &Common,
    target: &Target,
    path: &Path,
    prune: bool,
    max_plan_age: Option<u64>,
    connect: &impl Connect,
    run: Run<'_>,
) -> anyhow::Result<ExitStatus> {
    let text = super::read_document(path, "saved plan")?;
    let saved = SavedPlan::from_text(&text).map_err(|e| anyhow::anyhow!("`{}` {e}", path.display()))?;
    // What the plan was made with is fixed by it: a flag that says otherwise is refused, never ignored.
    match (prune, saved.made.prune) {
        (true, false) => bail!(
            "`{}` was made without `--prune`, so it deletes no unmanaged topic: make the plan again with `plan --prune --out`, or apply it without `--prune`",
            path.display()
        ),
        (false, true) => bail!(
            "`{}` was made with `--prune` and deletes unmanaged topics: give `--prune` to apply it, so that the deletions are asked for",
            path.display()
        ),
        _ => {}
    }
    if let Some(name) = &target.cluster
        && *name != saved.cluster
    {
        bail!("the plan was made for cluster `{}`, not `{name}`", saved.cluster);
    }
    let mut sources = Sources::default();
    let Loaded::Ok(Some(project)) = super::project(common, &mut sources, true, run.reporter) else {
        return Ok(ExitStatus::Failure);
    };
    let max_age = match max_plan_age.map(Ok).or_else(|| project.max_plan_age()) {
        Some(Ok(secs)) => secs,
        Some(Err(e)) => {
            run.reporter.event(Event::Problems { problems: &[e], sources: &sources });
            return Ok(ExitStatus::Failure);
        }
        None => DEFAULT_MAX_PLAN_AGE,
    };
    let mut refusals = Vec::new();
    if !SavedPlan::is_sealed(&text) {
        refusals.push(Refusal::Edited);
    }
    // The same inputs as the plan: its cluster, its topic paths, its options.
    let target = Target { cluster: Some(saved.cluster.clone()), timeout: target.timeout };
    let paths: Vec<PathBuf> = saved.made.paths.iter().map(PathBuf::from).collect();
    // The plan names the files apply reads: only inside the project's directory, so that a plan from a
    // pull request cannot have a secret elsewhere read and quoted in a diagnostic.
    let dir = common.project.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    if let Ok(base) = std::fs::canonicalize(dir) {
        for p in &paths {
            if let Ok(real) = std::fs::canonicalize(p)
                && !real.starts_with(&base)
            {
                bail!(
                    "`{}` names the topic path `{}`, outside the project's directory `{}`: make the plan with topic paths inside it",
                    path.display(),
                    p.display(),
                    base.display()
                );
            }
        }
    }
    let options = plan::Options { prune: saved.made.prune };
    let Some(fresh) =
        super::plan::make(common, &target, paths, options, super::plan::Keep::ForDiff, connect, run.reporter).await?
    else {
        return Ok(ExitStatus::Failure);
    };
    refusals.extend(saved.refusals(
        &fresh.plan,
        &plan::desired_digest(&fresh.desired),
        fresh.live.cluster.id.as_deref(),
        &fresh.live,
        common.now_unix,
        max_age,
    ));
    // Data that was idle when the plan was reviewed and is in use now: the review no longer holds.
    let window = run.guards.data.window_ms;
    refusals.extend(
        plan::data::became_active(&saved.plan.data, &fresh.plan.data, window)
            .into_iter()
            .map(|topic| Refusal::Stale(plan::Stale::BecameActive { topic })),
    );
    if !refusals.is_empty() {
        run.reporter.event(Event::PlanRefused { path, reasons: &refusals });
        return Ok(ExitStatus::Failure);
    }
    // The saved changes, with the data facts read now: the guards check what the cluster holds at
    // apply time, so a saved plan cannot hide new writes.
    let mut plan = saved.plan.clone();
    plan.data = fresh.plan.data.clone();
    run.apply(common, &plan, &fresh.desired, &fresh.admin).await
}

/// How old a saved plan may be when neither `--max-plan-age` nor `maxPlanAge` says: 7 days.
pub const DEFAULT_MAX_PLAN_AGE: u64 = 7 * 86_400;

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
        if let Err(error) = apply::check_guards(plan, desired, &guards) {
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
        Ok(match () {
            () if report.interrupted => ExitStatus::Interrupted,
            () if report.is_success() => ExitStatus::Success,
            () => ExitStatus::Failure,
        })
    }
}
