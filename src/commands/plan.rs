//! `plan`: describe the cluster, diff, print the plan; optionally save it and ask the brokers to check
//! it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{Common, Loaded, Target, cluster, describe, desired};
use crate::apply;
use crate::cluster::Connect;
use crate::cluster::snapshot::SnapshotAdmin;
use crate::desired::{self as files, Desired, ErrorKind, ReleaseBasis, Severity, Sources};
use crate::live::{Live, Scope};
use crate::plan::{self, Basis, ExitStatus, Made, Plan, SavedPlan};
use crate::render;
use crate::report::{Event, Reporter};
use crate::snapshot::Snapshot;

/// Output formats of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For terminals and logs.
    Text,
    /// For pull-request comments.
    Markdown,
    /// For tools; see `schemas/plan.schema.json`.
    Json,
}

/// Settings of `plan`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The cluster.
    pub target: Target,
    /// Topic files or directories; empty: the project's `topics`, else `topics/`.
    pub paths: Vec<PathBuf>,
    /// Exit 2 when changes are pending.
    pub detailed_exitcode: bool,
    /// How to print the plan.
    pub format: Format,
    /// Where to save the plan for `apply FILE`.
    pub out: Option<PathBuf>,
    /// Plan to delete unmanaged topics inside `owns`.
    pub prune: bool,
    /// Ask the brokers to check every change (validate-only requests).
    pub validate_on_broker: bool,
    /// Plan against this snapshot instead of the live cluster (no credential needed).
    pub from_snapshot: Option<PathBuf>,
    /// Refuse a snapshot older than this, in seconds.
    pub max_snapshot_age: Option<u64>,
}

/// A plan and what it was made from.
pub(crate) struct Planned<A> {
    pub(crate) cluster: String,
    pub(crate) desired: Desired,
    pub(crate) live: Live,
    pub(crate) admin: A,
    pub(crate) plan: Plan,
}

/// A file the command will write once the plan is made (`--out`), checked before the cluster is asked:
/// `{cluster}` expanded, and refused when it is a file the run reads.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output<'a> {
    /// The path as given.
    pub(crate) path: &'a Path,
    /// A file read besides the project and topic files (the snapshot planned against).
    pub(crate) also_read: Option<&'a Path>,
}

/// How much of the cluster [`make`] keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// What the diff reads: overrides, declared keys, fallbacks of overrides the files would unset
    /// (see [`Scope::declaring`]). Cheaper to ask and to hold.
    ForDiff,
    /// Every entry and every fallback: a snapshot may be planned against other files later.
    Everything,
}

/// Loads the files, describes the cluster and diffs: the part `plan` and `apply` share.
pub(crate) async fn make<C: Connect>(
    common: &Common,
    target: &Target,
    paths: Vec<PathBuf>,
    options: plan::Options,
    keep: Keep,
    connect: &C,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<Option<Planned<C::Admin>>> {
    make_writing(common, target, paths, options, keep, None, connect, reporter).await
}

/// [`make`], refusing `out` once the files are read and before the cluster is asked, when it is one
/// of them (see [`super::refuse_clobber`]).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn make_writing<C: Connect>(
    common: &Common,
    target: &Target,
    paths: Vec<PathBuf>,
    options: plan::Options,
    keep: Keep,
    out: Option<Output<'_>>,
    connect: &C,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<Option<Planned<C::Admin>>> {
    let mut sources = Sources::default();
    let offline = !connect.is_live();
    let Loaded::Ok((project, cluster)) = cluster(common, target.cluster.as_deref(), offline, &mut sources, reporter)
    else {
        return Ok(None);
    };
    let clusters = [Some(cluster.name.as_str())];
    let Loaded::Ok(desired) = desired(paths, Some(&project), &clusters, false, &mut sources, reporter) else {
        return Ok(None);
    };
    if let Some(Output { path, also_read }) = out {
        let path = super::per_cluster(path, &cluster.name);
        let inputs = sources.files().chain([common.project.as_path()]).chain(also_read);
        super::refuse_clobber(&path, "--out", inputs)?;
    }
    let scope = Scope::new(desired.topics.keys().cloned(), project.owns(), project.ignore())
        .context("reading the project's `owns` and `ignore` patterns")?;
    let scope = match keep {
        Keep::ForDiff => scope.declaring(desired.declared_keys()),
        Keep::Everything => scope,
    };
    let (admin, live) = describe(common, connect, &cluster, target, &scope, reporter).await?;
    if let Some(detected) = live.cluster.release {
        let mut problems = Vec::new();
        if let Some((declared, at)) = &cluster.kafka_version
            && (declared.major, declared.minor) != (detected.major, detected.minor)
        {
            let kind = ErrorKind::ReleaseMismatch { cluster: cluster.name.clone(), declared: *declared, detected };
            problems.push(files::Error::at(kind, at.clone()));
        }
        let basis = ReleaseBasis::Detected { cluster: cluster.name.clone() };
        problems.extend(files::check_release(&desired, detected, &basis));
        if !problems.is_empty() {
            let failed = problems.iter().any(|p| p.severity() == Severity::Error);
            super::report_problems(problems, &sources, reporter);
            if failed {
                return Ok(None);
            }
        }
    }
    let mut plan = plan::diff_with(&desired, &live, &options);
    plan.kafka_version = live.cluster.release;
    let now_ms = i64::try_from(common.now_unix).unwrap_or(i64::MAX / 1000) * 1000;
    apply::gather(&mut plan, &live, &admin, now_ms, reporter).await;
    Ok(Some(Planned { cluster: cluster.name, desired, live, admin, plan }))
}

/// Runs `plan`: against the live cluster, or against a snapshot (`--from-snapshot`).
pub async fn run(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    out: &mut dyn Write,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ExitStatus> {
    run_keeping(common, settings, connect, out, reporter, &mut None).await
}

/// [`run`], keeping the plan in `kept` once made (for a fleet's report and `watch`).
pub(crate) async fn run_keeping(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    out: &mut dyn Write,
    reporter: &mut dyn Reporter,
    kept: &mut Option<Plan>,
) -> anyhow::Result<ExitStatus> {
    let Some(path) = settings.from_snapshot.clone() else {
        return plan_with(common, settings, connect, None, out, reporter, kept).await;
    };
    // `{cluster}` names the selected cluster's snapshot in a one-cluster run too.
    // (The project file is read for the name only when the path has the placeholder.)
    let templated = path.to_string_lossy().contains(super::CLUSTER_PLACEHOLDER);
    let path = match templated.then(|| super::selected_cluster(common, &settings.target)).flatten() {
        Some(cluster) => super::per_cluster(&path, &cluster),
        None => path,
    };
    if settings.validate_on_broker {
        anyhow::bail!("--validate-on-broker asks the live cluster, and --from-snapshot plans without it: choose one");
    }
    let text = super::read_document(&path, "snapshot")?;
    let snapshot = Snapshot::from_text(&text).map_err(|e| anyhow::anyhow!("`{}` {e}", path.display()))?;
    // `--max-snapshot-age`, else the project's `maxSnapshotAge`, else any age.
    let max_age = match settings.max_snapshot_age {
        Some(secs) => Some(secs),
        None => {
            let mut sources = Sources::default();
            let Loaded::Ok(project) = super::project(common, &mut sources, false, reporter) else {
                return Ok(ExitStatus::Failure);
            };
            match project.as_ref().and_then(|p| p.max_snapshot_age()) {
                Some(Ok(secs)) => Some(secs),
                Some(Err(e)) => {
                    reporter.event(Event::Problems { problems: &[e], sources: &sources });
                    return Ok(ExitStatus::Failure);
                }
                None => None,
            }
        }
    };
    snapshot.check_age(common.now_unix, max_age).map_err(|e| anyhow::anyhow!("`{}` {e}", path.display()))?;
    let basis = Basis {
        snapshot: path.display().to_string(),
        taken_at: snapshot.taken_at.clone(),
        age_secs: common.now_unix.saturating_sub(snapshot.taken_at_unix),
        content_hash: snapshot.content_hash.clone(),
    };
    let admin = SnapshotAdmin::new(snapshot);
    plan_with(common, settings, &admin, Some(basis), out, reporter, kept).await
}

async fn plan_with(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    basis: Option<Basis>,
    out: &mut dyn Write,
    reporter: &mut dyn Reporter,
    kept: &mut Option<Plan>,
) -> anyhow::Result<ExitStatus> {
    let Settings {
        target,
        paths,
        detailed_exitcode,
        format,
        out: save,
        prune,
        validate_on_broker,
        from_snapshot: _,
        max_snapshot_age: _,
    } = settings;
    let read_snapshot = basis.as_ref().map(|b| PathBuf::from(&b.snapshot));
    let options = plan::Options { prune };
    let given: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let output = save.as_deref().map(|path| Output { path, also_read: read_snapshot.as_deref() });
    let made = make_writing(common, &target, paths, options, Keep::ForDiff, output, connect, reporter).await?;
    let Some(mut planned) = made else {
        return Ok(ExitStatus::Failure);
    };
    planned.plan.basis = basis;
    match format {
        Format::Text => render::text(&planned.plan, common.style, out)?,
        Format::Markdown => render::markdown(&planned.plan, out)?,
        Format::Json => render::json(&planned.plan, out)?,
    }
    *kept = Some(planned.plan.clone());
    if let Some(path) = save.map(|p| super::per_cluster(&p, &planned.cluster)) {
        let path = &path;
        let made = Made {
            cluster_id: planned.live.cluster.id.clone(),
            desired_digest: plan::desired_digest(&planned.desired),
            paths: given,
            prune,
            at_unix: common.now_unix,
            at: plan::utc(common.now_unix),
            by: env!("CARGO_PKG_VERSION").to_owned(),
        };
        let saved = SavedPlan::new(planned.plan.clone(), &planned.cluster, &planned.desired, &planned.live, made);
        let text = saved.to_text();
        std::fs::write(path, text).with_context(|| format!("writing the plan to `{}`", path.display()))?;
        reporter.event(Event::PlanSaved { path });
    }
    if validate_on_broker && !planned.plan.changes.is_empty() {
        reporter.event(Event::BrokerCheck { changes: planned.plan.changes.len() });
        let options = common.apply_options(&target, apply::Options::default());
        let results = apply::validate(&planned.admin, &planned.plan.changes, &options, reporter).await;
        let mut refused = 0;
        for (change, r) in planned.plan.changes.iter().zip(&results) {
            if let Err(error) = r {
                reporter.event(Event::Refused { change, error });
                refused += 1;
            }
        }
        reporter.event(Event::BrokerCheckDone { refused });
        if refused > 0 {
            return Ok(ExitStatus::Failure);
        }
    }
    Ok(match planned.plan.exit_status() {
        ExitStatus::ChangesPending if !detailed_exitcode => ExitStatus::Success,
        other => other,
    })
}
