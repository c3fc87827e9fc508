//! The command line: clap definitions, and each command wired through the pipeline
//! (load -> describe -> diff -> render -> apply). The only place, with `main.rs`, that reads the
//! environment, decides on colour and talks to the terminal.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::apply;
use crate::cluster::kafka::KafkaAdmin;
use crate::cluster::{Admin, Scope};
use crate::plan::{self, ExitStatus};
use crate::render::{self, Style};
use crate::spec::{self, Desired, Project, Severity, Sources};

/// Declarative, GitOps-style reconciler for Apache Kafka topics.
///
/// Topics are declared in YAML files; `plan` shows what would change on a cluster, and `apply` makes
/// exactly those changes and then checks that the cluster matches.
#[derive(Debug, Parser)]
#[command(name = "topicform", version, propagate_version = true)]
pub struct Cli {
    /// The project file, which names the clusters.
    #[arg(long, global = true, default_value = "topicform.yaml", value_name = "FILE")]
    pub project: PathBuf,
    /// Never colour the output (colour is also off when NO_COLOR is set or stdout is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the topic files offline: syntax, types, names; no cluster is contacted.
    Validate(ValidateArgs),
    /// Describe the cluster and show what apply would change.
    Plan(PlanArgs),
    /// Make the planned changes, then verify that the cluster matches the files.
    Apply(ApplyArgs),
}

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Topic files or directories (default: the project's `topics`, else `topics/`).
    pub paths: Vec<PathBuf>,
}

/// Which cluster, how long to wait for it, and which files.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The cluster, by its name in the project file (may be left out when there is only one).
    #[arg(long, short = 'c')]
    pub cluster: Option<String>,
    /// Seconds to wait for any one answer from the cluster.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
    /// Topic files or directories (default: the project's `topics`, else `topics/`).
    pub paths: Vec<PathBuf>,
}

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Target.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Exit 0 when in sync, 2 when changes are pending, 1 on error (for drift checks).
    #[arg(long)]
    pub detailed_exitcode: bool,
}

/// Arguments of `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Target.
    #[command(flatten)]
    pub target: TargetArgs,
    /// Apply without asking. Required when standard input is not a terminal.
    #[arg(long)]
    pub auto_approve: bool,
}

/// Runs the command and says how it ended. Errors that are not about the files come back as `Err`.
pub async fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let color =
        !cli.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal();
    let ctx = Context_ { project: cli.project, style: Style { color } };
    match cli.command {
        Command::Validate(args) => validate(&ctx, args),
        Command::Plan(args) => plan_command(&ctx, args).await,
        Command::Apply(args) => apply_command(&ctx, args).await,
    }
}

struct Context_ {
    project: PathBuf,
    style: Style,
}

/// The loaded files, or the diagnostics already written to stderr.
enum Loaded<T> {
    Ok(T),
    Invalid,
}

impl Context_ {
    fn report(&self, errors: &[spec::Error], sources: &Sources) {
        let style = Style { color: self.style.color && io::stderr().is_terminal() };
        let _ = render::diagnostics(errors, sources, style, &mut io::stderr().lock());
    }

    fn project(&self, sources: &mut Sources, required: bool) -> Loaded<Option<Project>> {
        if !required && !self.project.exists() {
            return Loaded::Ok(None);
        }
        match spec::load_project(&self.project, sources) {
            Ok(p) => Loaded::Ok(Some(p)),
            Err(errors) => {
                self.report(&errors, sources);
                Loaded::Invalid
            }
        }
    }

    /// Loads and validates the topic files as they apply to each of `clusters` (or to no cluster when
    /// the list is empty), reports every problem, and returns the desired state of the first cluster.
    fn desired(
        &self,
        paths: Vec<PathBuf>,
        project: Option<&Project>,
        clusters: &[Option<&str>],
        strict: bool,
        sources: &mut Sources,
    ) -> Loaded<Desired> {
        let paths = match (paths.is_empty(), project) {
            (false, _) => paths,
            (true, Some(p)) => p.topic_paths(),
            (true, None) => vec![PathBuf::from("topics")],
        };
        let checked = match spec::load_topics(&paths, sources) {
            Ok(c) => c,
            Err(problems) => {
                self.report(&problems, sources);
                return Loaded::Invalid;
            }
        };
        let mut problems = checked.warnings;
        let mut first = None;
        for cluster in clusters {
            let (desired, more) = match project {
                Some(p) => p.desired_for(*cluster, &checked.desired),
                None => (checked.desired.clone(), Vec::new()),
            };
            for p in more {
                if !problems.contains(&p) {
                    problems.push(p);
                }
            }
            first.get_or_insert(desired);
        }
        let failed = problems.iter().any(|p| strict || p.severity() == Severity::Error);
        if !problems.is_empty() {
            self.report(&problems, sources);
        }
        match first {
            Some(desired) if !failed => Loaded::Ok(desired),
            _ => Loaded::Invalid,
        }
    }
}

fn validate(ctx: &Context_, args: ValidateArgs) -> anyhow::Result<ExitStatus> {
    let mut sources = Sources::default();
    let Loaded::Ok(project) = ctx.project(&mut sources, false) else { return Ok(ExitStatus::Failure) };
    // The files must hold for every cluster: each cluster's overrides can break a rule.
    let mut clusters: Vec<Option<&str>> = project.iter().flat_map(|p| p.cluster_names().map(Some)).collect();
    if clusters.is_empty() {
        clusters.push(None);
    }
    let Loaded::Ok(desired) = ctx.desired(args.paths, project.as_ref(), &clusters, args.strict, &mut sources) else {
        return Ok(ExitStatus::Failure);
    };
    eprintln!("{} topic(s) valid.", desired.topics.len());
    Ok(ExitStatus::Success)
}

/// Everything a plan needs: the desired state, a connection, the scope, and the plan.
struct Planned {
    desired: Desired,
    admin: KafkaAdmin,
    scope: Scope,
    plan: plan::Plan,
}

async fn make_plan(ctx: &Context_, target: TargetArgs) -> anyhow::Result<Option<Planned>> {
    let mut sources = Sources::default();
    let Loaded::Ok(Some(project)) = ctx.project(&mut sources, true) else { return Ok(None) };
    let cluster = match project.cluster(target.cluster.as_deref(), &|name| std::env::var(name).ok()) {
        Ok(c) => c,
        Err(errors) => {
            ctx.report(&errors, &sources);
            return Ok(None);
        }
    };
    let clusters = [Some(cluster.name.as_str())];
    let Loaded::Ok(desired) = ctx.desired(target.paths, Some(&project), &clusters, false, &mut sources) else {
        return Ok(None);
    };

    let scope = Scope::new(desired.topics.keys().cloned(), project.owns(), project.ignore())
        .context("reading the project's `owns` and `ignore` patterns")?;
    let admin = KafkaAdmin::connect(&cluster, Duration::from_secs(target.timeout))?;
    eprintln!("Describing cluster `{}` ({})...", cluster.name, cluster.bootstrap);
    let live = admin
        .describe(&scope)
        .await
        .with_context(|| format!("cannot describe cluster `{}` at {}", cluster.name, cluster.bootstrap))?;
    let plan = plan::diff(&desired, &live);
    Ok(Some(Planned { desired, admin, scope, plan }))
}

async fn plan_command(ctx: &Context_, args: PlanArgs) -> anyhow::Result<ExitStatus> {
    let Some(planned) = make_plan(ctx, args.target).await? else { return Ok(ExitStatus::Failure) };
    render::text(&planned.plan, ctx.style, &mut io::stdout().lock())?;
    Ok(match planned.plan.exit_status() {
        ExitStatus::ChangesPending if !args.detailed_exitcode => ExitStatus::Success,
        other => other,
    })
}

async fn apply_command(ctx: &Context_, args: ApplyArgs) -> anyhow::Result<ExitStatus> {
    // Fail before any work when nobody can answer the prompt: CI must never hang.
    if !args.auto_approve && !io::stdin().is_terminal() {
        bail!("refusing to apply without --auto-approve: standard input is not a terminal, so nobody can confirm");
    }
    let Some(planned) = make_plan(ctx, args.target).await? else { return Ok(ExitStatus::Failure) };
    let mut stdout = io::stdout().lock();
    render::text(&planned.plan, ctx.style, &mut stdout)?;
    if !planned.plan.blocked.is_empty() {
        return Ok(ExitStatus::Failure);
    }
    if planned.plan.changes.is_empty() {
        return Ok(ExitStatus::Success);
    }
    if !args.auto_approve && !confirm()? {
        eprintln!("Apply cancelled; nothing was changed.");
        return Ok(ExitStatus::Failure);
    }
    let report = apply::run(&planned.plan, &planned.desired, &planned.admin, &planned.scope).await?;
    writeln!(stdout)?;
    render::apply_report(&report, ctx.style, &mut stdout)?;
    Ok(if report.is_success() { ExitStatus::Success } else { ExitStatus::Failure })
}

fn confirm() -> anyhow::Result<bool> {
    let mut err = io::stderr().lock();
    write!(err, "\nApply these changes? Only `yes` is accepted: ")?;
    err.flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
