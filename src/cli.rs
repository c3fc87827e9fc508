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
use crate::cluster::{Admin, Live, Scope};
use crate::plan::{self, ExitStatus, SavedPlan};
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
    /// Show the Kafka client's log on stderr (-v), and its debug log too (-vv). Secrets are redacted.
    #[arg(long, short = 'v', global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
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
    ///
    /// Given a saved plan (`apply plan.json`), apply exactly its changes, after checking that the cluster
    /// still looks as it did when the plan was made.
    Apply(ApplyArgs),
    /// Write topic files for the topics a cluster already has; the first plan against them is empty.
    Import(ImportArgs),
    /// List the cluster's topics, as `kafka-topics --list` does, with their health.
    List(ListArgs),
    /// Describe topics, as `kafka-topics --describe` does: partitions, leaders, replicas, ISR, overrides.
    Describe(DescribeArgs),
    /// Print the JSON Schema of a file format (also committed under `schemas/`).
    Schema(SchemaArgs),
    /// Print a shell completion script: `topicform completions bash > /etc/bash_completion.d/topicform`.
    Completions(CompletionsArgs),
}

/// Which cluster to read, for commands that need no topic files.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// The cluster, by its name in the project file (may be left out when there is only one).
    #[arg(long, short = 'c')]
    pub cluster: Option<String>,
    /// Seconds to wait for any one answer from the cluster.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    pub timeout: u64,
    /// Only topics whose names match this regular expression.
    #[arg(long = "match", value_name = "REGEX")]
    pub matching: Option<regex::Regex>,
}

/// Arguments of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The directory to write topic files into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Overwrite files that exist.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

/// Arguments of `describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The topics.
    #[arg(required = true)]
    pub topics: Vec<String>,
    /// Cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ListFormat,
}

/// Formats of `list` and `describe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// A table.
    Text,
    /// JSON.
    Json,
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

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

/// Arguments of `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum, default_value = "topics")]
    pub which: SchemaKind,
}

/// The schemas `schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    /// Topic files (`schemas/topicform.schema.json`).
    Topics,
    /// The project file (`schemas/project.schema.json`).
    Project,
    /// Plans printed with `--format json` (`schemas/plan.schema.json`).
    Plan,
    /// Plans saved with `--out` (`schemas/saved-plan.schema.json`).
    SavedPlan,
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
    /// How to print the plan.
    #[arg(long, visible_alias = "output", value_enum, default_value = "text")]
    pub format: Format,
    /// Also save the plan to FILE, for `apply FILE` to apply exactly as reviewed.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Plan to delete topics inside `owns` that no file declares (apply needs --max-destroy too).
    #[arg(long)]
    pub prune: bool,
    /// Also ask the brokers to check every change (validate-only requests), changing nothing: catches
    /// broker policy violations and impossible values on the pull request.
    #[arg(long)]
    pub validate_on_broker: bool,
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
    /// Delete topics inside `owns` that no file declares. Needs --max-destroy.
    #[arg(long)]
    pub prune: bool,
    /// Delete at most N topics (explicit `delete: true` and --prune together); refuse the whole apply
    /// otherwise. Without it, `delete: true` deletions are allowed and pruning is not.
    #[arg(long, value_name = "N")]
    pub max_destroy: Option<usize>,
    /// Limit replication traffic while replicas move for a replication-factor change, per broker
    /// (`50MiB/s`); set before the move and removed after.
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub throttle: Option<u64>,
    /// Start replication-factor changes and return without waiting for the data to move.
    #[arg(long, conflicts_with = "throttle")]
    pub no_wait: bool,
}

fn parse_rate(text: &str) -> Result<u64, String> {
    let bytes = text.trim().strip_suffix("/s").unwrap_or(text.trim());
    match crate::catalog::size_in_bytes(bytes) {
        Ok(n) if n > 0 => u64::try_from(n).map_err(|_| "too large".to_owned()),
        Ok(_) => Err("a rate must be positive".into()),
        Err(e) => Err(format!("{}; write bytes per second, such as `50MiB/s`", e.reason)),
    }
}

/// Runs the command and says how it ended. Errors that are not about the files come back as `Err`.
pub async fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let color =
        !cli.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal();
    let ctx = Session { project: cli.project, style: Style { color }, verbose: cli.verbose };
    match cli.command {
        Command::Validate(args) => validate(&ctx, args),
        Command::Plan(args) => plan_command(&ctx, args).await,
        Command::Apply(args) => apply_command(&ctx, args).await,
        Command::Import(args) => import_command(&ctx, args).await,
        Command::List(args) => {
            let (live, _) = match read_cluster(&ctx, &args.cluster, None).await? {
                Some(found) => found,
                None => return Ok(ExitStatus::Failure),
            };
            let mut stdout = io::stdout().lock();
            match args.format {
                ListFormat::Text => render::topics::list(&live, ctx.style, &mut stdout)?,
                ListFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&topics_json(&live))?)?,
            }
            Ok(ExitStatus::Success)
        }
        Command::Describe(args) => {
            let names = args.topics.clone();
            let (live, _) = match read_cluster(&ctx, &args.cluster, Some(&names)).await? {
                Some(found) => found,
                None => return Ok(ExitStatus::Failure),
            };
            let mut stdout = io::stdout().lock();
            match args.format {
                ListFormat::Text => render::topics::describe(&live, &names, ctx.style, &mut stdout)?,
                ListFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&topics_json(&live))?)?,
            }
            let missing: Vec<&String> = names.iter().filter(|n| !live.topics.contains_key(*n)).collect();
            Ok(if missing.is_empty() { ExitStatus::Success } else { ExitStatus::Failure })
        }
        Command::Completions(args) => {
            use clap::CommandFactory;
            // Into a buffer first: clap_complete panics when a write fails (a closed pipe).
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "topicform", &mut script);
            io::stdout().lock().write_all(&script)?;
            Ok(ExitStatus::Success)
        }
        Command::Schema(args) => {
            let name = match args.which {
                SchemaKind::Topics => "topicform.schema.json",
                SchemaKind::Project => "project.schema.json",
                SchemaKind::Plan => "plan.schema.json",
                SchemaKind::SavedPlan => "saved-plan.schema.json",
            };
            let (_, text) =
                crate::schema::all().into_iter().find(|(n, _)| *n == name).expect("every kind has a schema");
            io::stdout().lock().write_all(text.as_bytes())?;
            Ok(ExitStatus::Success)
        }
    }
}

struct Session {
    project: PathBuf,
    style: Style,
    verbose: u8,
}

/// The loaded files, or the diagnostics already written to stderr.
enum Loaded<T> {
    Ok(T),
    Invalid,
}

impl Session {
    /// The project file and the cluster `name` of it, with `${VAR}`s resolved from the environment.
    fn cluster(&self, name: Option<&str>, sources: &mut Sources) -> Loaded<(Project, crate::spec::ClusterConfig)> {
        let Loaded::Ok(Some(project)) = self.project(sources, true) else { return Loaded::Invalid };
        match project.cluster(name, &lookup) {
            Ok(cluster) => Loaded::Ok((project, cluster)),
            Err(errors) => {
                self.report(&errors, sources);
                Loaded::Invalid
            }
        }
    }

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
            Err(mut problems) => {
                problems.sort_by(|a, b| a.at.is_none().cmp(&b.at.is_none()).then_with(|| a.at.cmp(&b.at)));
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
        problems.sort_by(|a, b| a.at.is_none().cmp(&b.at.is_none()).then_with(|| a.at.cmp(&b.at)));
        let errors = problems.iter().any(|p| p.severity() == Severity::Error);
        let failed = errors || (strict && !problems.is_empty());
        if !problems.is_empty() {
            self.report(&problems, sources);
        }
        if failed && !errors {
            eprintln!("Failing because of --strict: warnings count as errors. Nothing was sent to any cluster.");
        }
        match first {
            Some(desired) if !failed => Loaded::Ok(desired),
            _ => Loaded::Invalid,
        }
    }
}

fn validate(ctx: &Session, args: ValidateArgs) -> anyhow::Result<ExitStatus> {
    let mut sources = Sources::default();
    let Loaded::Ok(project) = ctx.project(&mut sources, false) else { return Ok(ExitStatus::Failure) };
    if let Some(p) = &project {
        let problems = p.check_references();
        if !problems.is_empty() {
            ctx.report(&problems, &sources);
            return Ok(ExitStatus::Failure);
        }
    }
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

/// A plan and what it was made from: the cluster's name, the desired and live states, and the connection.
struct Planned {
    cluster: String,
    desired: Desired,
    live: Live,
    admin: KafkaAdmin,
    plan: plan::Plan,
}

async fn make_plan(ctx: &Session, target: TargetArgs, options: plan::Options) -> anyhow::Result<Option<Planned>> {
    let mut sources = Sources::default();
    let Loaded::Ok((project, cluster)) = ctx.cluster(target.cluster.as_deref(), &mut sources) else { return Ok(None) };
    let clusters = [Some(cluster.name.as_str())];
    let Loaded::Ok(desired) = ctx.desired(target.paths, Some(&project), &clusters, false, &mut sources) else {
        return Ok(None);
    };

    let scope = Scope::new(desired.topics.keys().cloned(), project.owns(), project.ignore())
        .context("reading the project's `owns` and `ignore` patterns")?;
    let admin = KafkaAdmin::connect_verbose(&cluster, Duration::from_secs(target.timeout), ctx.verbose)?;
    eprintln!("Describing cluster `{}` ({})...", cluster.name, cluster.bootstrap);
    let live = admin
        .describe(&scope)
        .await
        .with_context(|| format!("cannot describe cluster `{}` at {}", cluster.name, cluster.bootstrap))?;
    let plan = plan::diff_with(&desired, &live, &options);
    Ok(Some(Planned { cluster: cluster.name, desired, live, admin, plan }))
}

async fn plan_command(ctx: &Session, args: PlanArgs) -> anyhow::Result<ExitStatus> {
    let options = plan::Options { prune: args.prune };
    let Some(planned) = make_plan(ctx, args.target, options).await? else { return Ok(ExitStatus::Failure) };
    let mut stdout = io::stdout().lock();
    match args.format {
        Format::Text => render::text(&planned.plan, ctx.style, &mut stdout)?,
        Format::Markdown => render::markdown(&planned.plan, &mut stdout)?,
        Format::Json => render::json(&planned.plan, &mut stdout)?,
    }
    if let Some(path) = &args.out {
        let saved = SavedPlan::new(planned.plan.clone(), &planned.cluster, &planned.desired, &planned.live);
        let text = serde_json::to_string_pretty(&saved)? + "\n";
        std::fs::write(path, text).with_context(|| format!("writing the plan to `{}`", path.display()))?;
        eprintln!("Saved the plan to `{}`; apply it with `topicform apply {}`.", path.display(), path.display());
    }
    if args.validate_on_broker && !planned.plan.changes.is_empty() {
        eprintln!("Asking the brokers to validate {} change(s)...", planned.plan.changes.len());
        let results = planned.admin.validate(&planned.plan.changes).await;
        let refused: Vec<(plan::Change, crate::cluster::Error)> =
            planned.plan.changes.iter().zip(results).filter_map(|(c, r)| r.err().map(|e| (c.clone(), e))).collect();
        if !refused.is_empty() {
            report_refusals(&refused);
            eprintln!(
                "The brokers would refuse {} change(s); apply would stop before changing anything.",
                refused.len()
            );
            return Ok(ExitStatus::Failure);
        }
        eprintln!("The brokers accept every change.");
    }
    Ok(match planned.plan.exit_status() {
        ExitStatus::ChangesPending if !args.detailed_exitcode => ExitStatus::Success,
        other => other,
    })
}

async fn apply_command(ctx: &Session, args: ApplyArgs) -> anyhow::Result<ExitStatus> {
    // Fail before any work when nobody can answer the prompt: CI must never hang.
    if !args.auto_approve && !io::stdin().is_terminal() {
        bail!("refusing to apply without --auto-approve: standard input is not a terminal, so nobody can confirm");
    }
    if let [path] = args.target.paths.as_slice()
        && path.extension().is_some_and(|e| e == "json")
    {
        let path = path.clone();
        return apply_saved(ctx, args, &path).await;
    }
    let guards = apply::Guards { max_destroy: args.max_destroy, reassignments_not_awaited: args.no_wait };
    let options = plan::Options { prune: args.prune };
    let reassignment = reassignment(&args);
    let Some(planned) = make_plan(ctx, args.target, options).await? else { return Ok(ExitStatus::Failure) };
    let admin = planned.admin.with_reassignment(reassignment).with_progress(progress());
    run_apply(ctx, &planned.plan, &planned.desired, &admin, args.auto_approve, &guards).await
}

/// Applies a plan saved by `plan --out`: exactly its changes, and only if the topics it touches look as
/// they did when it was made.
async fn apply_saved(ctx: &Session, args: ApplyArgs, path: &std::path::Path) -> anyhow::Result<ExitStatus> {
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
    if let Some(name) = &args.target.cluster
        && *name != saved.cluster
    {
        bail!("the plan was made for cluster `{}`, not `{name}`", saved.cluster);
    }
    let mut sources = Sources::default();
    let Loaded::Ok((_, cluster)) = ctx.cluster(Some(&saved.cluster), &mut sources) else {
        return Ok(ExitStatus::Failure);
    };
    let scope = Scope::new(saved.topics().map(str::to_owned), &[], &[])?;
    let admin = KafkaAdmin::connect_verbose(&cluster, Duration::from_secs(args.target.timeout), ctx.verbose)?
        .with_reassignment(reassignment(&args))
        .with_progress(progress());
    eprintln!("Describing cluster `{}` ({})...", cluster.name, cluster.bootstrap);
    let live = admin
        .describe(&scope)
        .await
        .with_context(|| format!("cannot describe cluster `{}` at {}", cluster.name, cluster.bootstrap))?;
    let stale = saved.staleness(&live);
    if !stale.is_empty() {
        eprintln!("The cluster changed since the plan was made, so it is not applied:");
        for line in &stale {
            eprintln!("  - {line}");
        }
        eprintln!("Make a new plan and review it.");
        return Ok(ExitStatus::Failure);
    }
    let guards = apply::Guards { max_destroy: args.max_destroy, reassignments_not_awaited: args.no_wait };
    run_apply(ctx, &saved.plan, &saved.desired(), &admin, args.auto_approve, &guards).await
}

async fn run_apply(
    ctx: &Session,
    plan: &plan::Plan,
    desired: &Desired,
    admin: &KafkaAdmin,
    auto_approve: bool,
    guards: &apply::Guards,
) -> anyhow::Result<ExitStatus> {
    let mut stdout = io::stdout().lock();
    render::text(plan, ctx.style, &mut stdout)?;
    if !plan.blocked.is_empty() {
        return Ok(ExitStatus::Failure);
    }
    if plan.changes.is_empty() {
        return Ok(ExitStatus::Success);
    }
    // Refuse before asking: a prompt for an apply that will not run is noise.
    if let Err(e) = apply::check_guards(plan, guards) {
        eprintln!("error: {e}");
        return Ok(ExitStatus::Failure);
    }
    if !auto_approve && !confirm(plan)? {
        eprintln!("Apply cancelled; nothing was changed.");
        return Ok(ExitStatus::Failure);
    }
    let report = match apply::run(plan, desired, admin, guards).await {
        Ok(report) => report,
        Err(apply::Error::Preflight(refused)) => {
            report_refusals(&refused);
            eprintln!(
                "error: the brokers refused {} change(s) in the preflight check; nothing was applied",
                refused.len()
            );
            return Ok(ExitStatus::Failure);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitStatus::Failure);
        }
    };
    writeln!(stdout)?;
    render::apply_report(&report, ctx.style, &mut stdout)?;
    Ok(if report.is_success() { ExitStatus::Success } else { ExitStatus::Failure })
}

/// Describes the topics of a cluster named in the project file: all of them (less internal and
/// ignored ones, and those `--match` leaves out), or the `names` given.
async fn read_cluster(
    ctx: &Session,
    args: &ClusterArgs,
    names: Option<&[String]>,
) -> anyhow::Result<Option<(Live, crate::spec::ClusterConfig)>> {
    let mut sources = Sources::default();
    let Loaded::Ok((project, cluster)) = ctx.cluster(args.cluster.as_deref(), &mut sources) else { return Ok(None) };
    let mut scope = match names {
        Some(names) => Scope::new(names.iter().cloned(), &[], &[])?,
        None => Scope::new([], &["*".to_owned()], project.ignore())?,
    };
    if let Some(regex) = &args.matching {
        scope = scope.matching(regex.clone());
    }
    let admin = KafkaAdmin::connect_verbose(&cluster, Duration::from_secs(args.timeout), ctx.verbose)?;
    eprintln!("Describing cluster `{}` ({})...", cluster.name, cluster.bootstrap);
    let live = admin
        .describe(&scope)
        .await
        .with_context(|| format!("cannot describe cluster `{}` at {}", cluster.name, cluster.bootstrap))?;
    Ok(Some((live, cluster)))
}

async fn import_command(ctx: &Session, args: ImportArgs) -> anyhow::Result<ExitStatus> {
    let Some((live, cluster)) = read_cluster(ctx, &args.cluster, None).await? else { return Ok(ExitStatus::Failure) };
    let files = crate::import::files(&live, &schema_path(&args.out));
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating `{}`", args.out.display()))?;
    let existing: Vec<String> = files.iter().map(|(n, _)| n.clone()).filter(|n| args.out.join(n).exists()).collect();
    if !existing.is_empty() && !args.force {
        bail!("`{}` already holds {}; pass --force to overwrite", args.out.display(), existing.join(", "));
    }
    for (name, text) in &files {
        let path = args.out.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing `{}`", path.display()))?;
    }
    eprintln!(
        "Imported {} topic(s) of cluster `{}` into {} file(s) under `{}`.",
        live.topics.len(),
        cluster.name,
        files.len(),
        args.out.display()
    );
    Ok(ExitStatus::Success)
}

/// The schema modeline's path from `dir`: relative to the project's `schemas/` when the directory is
/// inside the project, else the published address.
fn schema_path(dir: &std::path::Path) -> String {
    let depth = dir.components().filter(|c| matches!(c, std::path::Component::Normal(_))).count();
    if dir.is_relative() && std::path::Path::new("schemas/topicform.schema.json").exists() {
        format!("{}schemas/topicform.schema.json", "../".repeat(depth))
    } else {
        "https://topicform.dev/schemas/topicform.schema.json".to_owned()
    }
}

/// `list` and `describe` as JSON.
fn topics_json(live: &Live) -> serde_json::Value {
    let topics: Vec<serde_json::Value> = live
        .topics
        .iter()
        .map(|(name, t)| {
            let overrides: std::collections::BTreeMap<&String, &Option<String>> = t
                .configs
                .iter()
                .filter(|(_, c)| c.source == crate::cluster::ConfigSource::TopicOverride)
                .map(|(k, c)| (k, &c.value))
                .collect();
            serde_json::json!({
                "name": name,
                "partitions": t.partitions.len(),
                "replicationFactor": t.replication_factor(),
                "health": render::topics::health(t),
                "overrides": overrides,
                "partitionDetails": t.partitions,
            })
        })
        .collect();
    serde_json::json!({ "topics": topics })
}

/// Resolves `${NAME}` from the environment and `${file:PATH}` from a file (a mounted secret), with one
/// trailing newline dropped. Neither value is ever printed.
fn lookup(name: &str) -> Option<String> {
    match name.strip_prefix("file:") {
        Some(path) => std::fs::read_to_string(path.trim()).ok().map(|s| s.strip_suffix('\n').unwrap_or(&s).to_owned()),
        None => std::env::var(name).ok(),
    }
}

/// One line per change the brokers refused, naming the change and the broker's reason.
fn report_refusals(refused: &[(plan::Change, crate::cluster::Error)]) {
    for (change, err) in refused {
        eprintln!("refused: {}: {err}", render::describe(change));
    }
}

fn reassignment(args: &ApplyArgs) -> crate::cluster::kafka::Reassignment {
    crate::cluster::kafka::Reassignment { throttle: args.throttle, wait: !args.no_wait, ..Default::default() }
}

/// Progress goes to stderr, so stdout carries only the plan and the report. On a terminal the
/// running count of a reassignment updates one line in place; in a log each line stays.
fn progress() -> crate::cluster::kafka::Progress {
    let terminal = io::stderr().is_terminal();
    let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    std::sync::Arc::new(move |line: &str| {
        use std::sync::atomic::Ordering::Relaxed;
        let counting = line.starts_with("Reassigning:");
        if terminal && counting {
            eprint!("\r\x1b[K{line}");
            open.store(true, Relaxed);
        } else {
            if open.swap(false, Relaxed) {
                eprintln!();
            }
            eprintln!("{line}");
        }
    })
}

fn confirm(plan: &plan::Plan) -> anyhow::Result<bool> {
    let mut err = io::stderr().lock();
    let destructive: Vec<&plan::Change> = plan.changes.iter().filter(|c| c.is_destructive()).collect();
    if !destructive.is_empty() {
        writeln!(err, "\nThese changes delete data and cannot be undone:")?;
        for change in destructive {
            writeln!(err, "  - {}", render::describe(change))?;
        }
    }
    write!(err, "\nApply these changes? Only `yes` is accepted: ")?;
    err.flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
