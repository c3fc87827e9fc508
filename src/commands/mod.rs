//! One module per command. Each takes its resolved settings (built once by `cli::settings` from the
//! command line and the environment), a [`Connect`] that makes the cluster's [`Admin`](crate::cluster::Admin)
//! (the real one, or a test's fake), the writer for results (stdout) and a [`Reporter`] for everything
//! else, and returns how the run ended. Nothing here reads the environment or asks whether a stream is
//! a terminal, so every command runs in-process against `FakeCluster` in tests.

pub mod apply;
pub mod completions;
pub mod describe;
pub mod fleet;
pub mod import;
pub mod list;
pub mod plan;
pub mod schema;
pub mod snapshot;
pub mod validate;
pub mod watch;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::cluster::{Connect, Connection};
use crate::desired::{self, ClusterConfig, Desired, Project, Severity, Sources};
use crate::live::{Live, Scope};
use crate::plan::ExitStatus;
use crate::render::Style;
use crate::report::{Event, Reporter};

/// Resolves `${NAME}` and `${file:PATH}` references of the project file. Its values are never printed.
pub type Lookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// What every command shares.
#[derive(Clone)]
pub struct Common {
    /// The project file.
    pub project: PathBuf,
    /// How to draw results on stdout.
    pub style: Style,
    /// How much of the Kafka client's log to show.
    pub verbose: u8,
    /// `${VAR}` resolution.
    pub lookup: Lookup,
    /// When the run started, in seconds since 1970 (UTC): saved plans record it and check their age.
    pub now_unix: u64,
    /// When the run started, for its deadline (`--timeout`).
    pub started: std::time::Instant,
    /// Asks apply to stop (the signal handler holds the other end).
    pub cancel: crate::apply::Cancel,
}

impl Common {
    /// When a command given `target` must be done.
    pub fn deadline(&self, target: &Target) -> std::time::Instant {
        self.started + target.timeout
    }

    /// Apply's options for `target`'s deadline and this run's cancel handle, from `base`.
    pub fn apply_options(&self, target: &Target, base: crate::apply::Options) -> crate::apply::Options {
        let deadline = tokio::time::Instant::from_std(self.deadline(target));
        crate::apply::Options { deadline: Some(deadline), cancel: self.cancel.clone(), ..base }
    }
}

/// No single request waits longer than this, whatever is left of the deadline.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Which cluster and how long the command may take: what every cluster command shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The cluster's name in the project file; may be left out when there is only one.
    pub cluster: Option<String>,
    /// How long the whole command may take (`--timeout`): describe, preflight, every phase and
    /// verification; every request gets what is left, and retries stop at it.
    pub timeout: Duration,
}

/// A resolved command.
// Built once per run; boxing the larger settings would only add noise.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// `validate`.
    Validate(validate::Settings),
    /// `plan`.
    Plan(plan::Settings),
    /// `apply`.
    Apply(apply::Settings),
    /// `import`.
    Import(import::Settings),
    /// `list`.
    List(list::Settings),
    /// `describe`.
    Describe(describe::Settings),
    /// `schema`.
    Schema(schema::Settings),
    /// `completions`.
    Completions(completions::Settings),
    /// `snapshot`.
    Snapshot(snapshot::Settings),
    /// `watch`.
    Watch(watch::Settings),
    /// A command over several clusters.
    Fleet(fleet::Settings),
}

impl Command {
    /// How long the command may take, for commands that talk to a cluster.
    pub fn timeout(&self) -> Option<Duration> {
        match self {
            Command::Plan(s) => Some(s.target.timeout),
            Command::Apply(s) => Some(s.target.timeout),
            Command::Import(s) => Some(s.target.timeout),
            Command::List(s) => Some(s.target.timeout),
            Command::Describe(s) => Some(s.target.timeout),
            Command::Snapshot(s) => Some(s.target.timeout),
            // Each cluster's run, and each cycle, has its own deadline; the whole has none.
            Command::Watch(_) | Command::Fleet(_) => None,
            Command::Validate(_) | Command::Schema(_) | Command::Completions(_) => None,
        }
    }
}

/// Runs `command`. Problems in the files are reported through `reporter` and end as
/// [`ExitStatus::Failure`]; other errors come back as `Err`.
pub async fn run(
    common: &Common,
    command: Command,
    connect: &impl Connect,
    out: &mut dyn Write,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ExitStatus> {
    match command {
        Command::Validate(s) => validate::run(common, s, out, reporter),
        Command::Plan(s) => plan::run(common, s, connect, out, reporter).await,
        Command::Apply(s) => apply::run(common, s, connect, out, reporter).await,
        Command::Import(s) => import::run(common, s, connect, reporter).await,
        Command::List(s) => list::run(common, s, connect, out, reporter).await,
        Command::Describe(s) => describe::run(common, s, connect, out, reporter).await,
        Command::Schema(s) => schema::run(s, out),
        Command::Completions(s) => completions::run(s, out),
        Command::Snapshot(s) => snapshot::run(common, s, connect, reporter).await,
        Command::Watch(s) => watch::run(common, s, connect, reporter).await,
        Command::Fleet(s) => Box::pin(fleet::run(common, s, connect, out, reporter)).await,
    }
}

/// The text of a saved plan or a snapshot at `path` (`what` names it in errors), read through
/// [`desired::load::read_file`]: a named pipe, a device or a directory is refused at once, and a file
/// above [`MAX_DOCUMENT_BYTES`] before it is read.
pub(crate) fn read_document(path: &std::path::Path, what: &str) -> anyhow::Result<String> {
    let bytes = desired::load::read_file(path, MAX_DOCUMENT_BYTES)
        .map_err(|kind| anyhow::anyhow!("cannot read the {what}: {kind}"))?;
    String::from_utf8(bytes).map_err(|e| {
        anyhow::anyhow!(
            "`{}` is not a topicform {what}: byte {} is not UTF-8 text",
            path.display(),
            e.utf8_error().valid_up_to() + 1
        )
    })
}

/// `{cluster}` in an output or input path (`--out plans/{cluster}.json`), in a fleet and in a
/// one-cluster run alike.
pub const CLUSTER_PLACEHOLDER: &str = "{cluster}";

/// `path` with every `{cluster}` replaced by `cluster` (a name of the safe set, see
/// [`desired::project::check_cluster_name`], so that it cannot lead out of the directory).
pub(crate) fn per_cluster(path: &std::path::Path, cluster: &str) -> PathBuf {
    match path.to_str() {
        Some(text) if text.contains(CLUSTER_PLACEHOLDER) => PathBuf::from(text.replace(CLUSTER_PLACEHOLDER, cluster)),
        _ => path.to_path_buf(),
    }
}

/// Refuses to write `out` (given as `flag`) when it is one of the `inputs` this run read (the project
/// file, a topic file, the plan or snapshot read): compared as files (device and inode, after links),
/// never as strings, so `./topicform.yaml` or a link to it is caught too. Refuses as well an `out` that
/// exists and is not a regular file.
pub(crate) fn refuse_clobber<'a>(
    out: &std::path::Path,
    flag: &str,
    inputs: impl IntoIterator<Item = &'a std::path::Path>,
) -> anyhow::Result<()> {
    let Ok(written) = std::fs::metadata(out) else { return Ok(()) };
    // A write into a named pipe waits for a reader, past any deadline; into a device, worse.
    if !written.is_file() {
        anyhow::bail!(
            "{flag} `{}` is not a regular file (a named pipe, a device or a directory); topicform writes only regular files",
            out.display()
        );
    }
    for input in inputs {
        let Ok(read) = std::fs::metadata(input) else { continue };
        if same_file(&written, &read) {
            anyhow::bail!(
                "{flag} `{}` is `{}`, which this run reads: it would be overwritten; choose another path",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok() && a.created().ok() == b.created().ok()
}

/// The name of the cluster `target` selects: the one given, else the project's only one.
fn selected_cluster(common: &Common, target: &Target) -> Option<String> {
    if let Some(name) = &target.cluster {
        return Some(name.clone());
    }
    let project = desired::load_project(&common.project, &mut Sources::default()).ok()?;
    let mut names = project.cluster_names();
    match (names.next(), names.next()) {
        (Some(only), None) => Some(only.to_owned()),
        _ => None,
    }
}

/// The largest saved plan or snapshot topicform reads: 1 GiB, above a snapshot of 100,000 topics with
/// their partitions (about 200 MiB), and below what would exhaust a CI runner's memory once parsed.
pub const MAX_DOCUMENT_BYTES: u64 = 1 << 30;

/// The loaded files, or `Invalid` once the problems have been reported.
pub(crate) enum Loaded<T> {
    Ok(T),
    Invalid,
}

/// Reports `problems`, sorted: located ones first, by place.
fn report_problems(mut problems: Vec<desired::Error>, sources: &Sources, reporter: &mut dyn Reporter) {
    problems.sort_by(|a, b| a.at.is_none().cmp(&b.at.is_none()).then_with(|| a.at.cmp(&b.at)));
    reporter.event(Event::Problems { problems: &problems, sources });
}

/// The project file, or `None` when it is not required and absent. Its problems are reported; an
/// error among them ends the command.
fn project(
    common: &Common,
    sources: &mut Sources,
    required: bool,
    reporter: &mut dyn Reporter,
) -> Loaded<Option<Project>> {
    let (project, problems) = match project_and_problems(common, sources, required) {
        Loaded::Ok(loaded) => loaded,
        Loaded::Invalid => return Loaded::Invalid,
    };
    if !problems.is_empty() {
        let failed = problems.iter().any(|p| p.severity() == Severity::Error);
        report_problems(problems, sources, reporter);
        if failed {
            return Loaded::Invalid;
        }
    }
    Loaded::Ok(project)
}

/// The project file (`None` when it is not required and absent) and its problems, unreported; `Invalid`
/// when it cannot be read at all.
fn project_and_problems(
    common: &Common,
    sources: &mut Sources,
    required: bool,
) -> Loaded<(Option<Project>, Vec<desired::Error>)> {
    if !required && !common.project.exists() {
        return Loaded::Ok((None, Vec::new()));
    }
    match desired::load_project(&common.project, sources) {
        Ok(p) => {
            let problems = p.problems().to_vec();
            Loaded::Ok((Some(p), problems))
        }
        Err(errors) => Loaded::Ok((None, errors)),
    }
}

/// The project file and its cluster `name`, with `${VAR}`s resolved; `offline` (a plan from a snapshot)
/// resolves none (each stands for a placeholder), so that no secret is needed or read.
fn cluster(
    common: &Common,
    name: Option<&str>,
    offline: bool,
    sources: &mut Sources,
    reporter: &mut dyn Reporter,
) -> Loaded<(Project, ClusterConfig)> {
    let Loaded::Ok(Some(project)) = project(common, sources, true, reporter) else { return Loaded::Invalid };
    // Offline, every `${VAR}` stands for a placeholder that passes the bootstrap checks and reaches
    // nothing (`.invalid` never resolves, RFC 6761); messages show the template as written anyway.
    let template = |_: &str| Some("snapshot.invalid:9092".to_owned());
    let lookup: &dyn Fn(&str) -> Option<String> = if offline { &template } else { &*common.lookup };
    match project.cluster(name, lookup) {
        Ok(cluster) => Loaded::Ok((project, cluster)),
        Err(errors) => {
            reporter.event(Event::Problems { problems: &errors, sources });
            Loaded::Invalid
        }
    }
}

/// Loads and validates the topic files as they apply to each of `clusters` (or to no cluster when the
/// list is empty), reports every problem, and returns the desired state of the first cluster.
fn desired(
    paths: Vec<PathBuf>,
    project: Option<&Project>,
    clusters: &[Option<&str>],
    strict: bool,
    sources: &mut Sources,
    reporter: &mut dyn Reporter,
) -> Loaded<Desired> {
    match desired_with(Vec::new(), true, paths, project, clusters, strict, sources, reporter) {
        Loaded::Ok((desired, _)) => Loaded::Ok(desired),
        Loaded::Invalid => Loaded::Invalid,
    }
}

/// [`desired`], reporting `found` (problems found before, in the project file) with the topic files'
/// own; the desired state is kept only with `keep` (else it is empty), and the topics are counted.
#[allow(clippy::too_many_arguments)]
fn desired_with(
    found: Vec<desired::Error>,
    keep: bool,
    paths: Vec<PathBuf>,
    project: Option<&Project>,
    clusters: &[Option<&str>],
    strict: bool,
    sources: &mut Sources,
    reporter: &mut dyn Reporter,
) -> Loaded<(Desired, usize)> {
    let paths = match (paths.is_empty(), project) {
        (false, _) => paths,
        (true, Some(p)) => p.topic_paths(),
        (true, None) => vec![PathBuf::from("topics")],
    };
    let collected = desired::load::check_tree(&paths, project, clusters, keep, sources);
    let mut problems = found;
    problems.extend(collected.problems);
    let errors = problems.iter().any(|p| p.severity() == Severity::Error);
    let failed = errors || (strict && !problems.is_empty());
    if !problems.is_empty() {
        report_problems(problems, sources, reporter);
    }
    if failed && !errors {
        reporter.event(Event::StrictFailure);
    }
    if failed { Loaded::Invalid } else { Loaded::Ok((collected.desired, collected.topics)) }
}

/// Connects to `cluster` and describes `scope`.
async fn describe<C: Connect>(
    common: &Common,
    connect: &C,
    cluster: &ClusterConfig,
    target: &Target,
    scope: &Scope,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<(C::Admin, Live)> {
    let deadline = common.deadline(target);
    let connection =
        Connection { timeout: target.timeout.min(REQUEST_TIMEOUT), deadline: Some(deadline), verbose: common.verbose };
    let admin = connect.connect(cluster, connection)?;
    if connect.is_live() {
        reporter.event(Event::Describing { cluster: &cluster.name, bootstrap: cluster.shown_bootstrap() });
    }
    let options = common.apply_options(target, crate::apply::Options::default());
    let live = crate::apply::describe(&admin, scope, &options, reporter)
        .await
        .with_context(|| format!("cannot describe cluster `{}` at {}", cluster.name, cluster.shown_bootstrap()))?;
    Ok((admin, live))
}

/// Describes the topics of a cluster named in the project file: all of them (less internal and
/// ignored ones, and those `matching` leaves out), or the `names` given.
async fn read_cluster(
    common: &Common,
    target: &Target,
    matching: Option<&regex::Regex>,
    names: Option<&[String]>,
    connect: &impl Connect,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<Option<(Live, ClusterConfig)>> {
    let mut sources = Sources::default();
    let Loaded::Ok((project, cluster)) = cluster(common, target.cluster.as_deref(), false, &mut sources, reporter)
    else {
        return Ok(None);
    };
    let mut scope = match names {
        Some(names) => Scope::new(names.iter().cloned(), &[], &[])?,
        None => Scope::new([], &["*".to_owned()], project.ignore())?,
    };
    if let Some(regex) = matching {
        scope = scope.matching(regex.clone());
    }
    let (_, live) = describe(common, connect, &cluster, target, &scope, reporter).await?;
    Ok(Some((live, cluster)))
}

#[cfg(test)]
mod tests;
