//! The command line's clap types, and nothing else: what a flag means is decided in
//! [`super::settings`].

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::catalog::setting;
use crate::commands::{list, plan, schema, watch};

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
    /// Write a redacted, deterministic snapshot of the cluster, for `plan --from-snapshot` (no credential).
    Snapshot(SnapshotArgs),
    /// List the cluster's topics, as `kafka-topics --list` does, with their health.
    List(ListArgs),
    /// Describe topics, as `kafka-topics --describe` does: partitions, leaders, replicas, ISR, overrides.
    Describe(DescribeArgs),
    /// Watch for drift: plan every selected cluster again and again, serve Prometheus metrics, and
    /// change nothing (unless `--auto-apply safe`).
    Watch(WatchArgs),
    /// Print the JSON Schema of a file format (also committed under `schemas/`).
    Schema(SchemaArgs),
    /// Print a shell completion script: `topicform completions bash > /etc/bash_completion.d/topicform`.
    Completions(CompletionsArgs),
}

/// Which cluster and how long to wait for it: what every cluster command shares.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The cluster, by its name in the project file (may be left out when there is only one). Several
    /// (repeated, or separated by commas) or a glob (`'prod-*'`) make a fleet run: `plan`, `list` and
    /// `snapshot` run on each cluster at once and report them together; `apply` needs the clusters
    /// named (no glob) or --all-clusters, and goes one after another.
    #[arg(long, short = 'c', value_delimiter = ',', value_name = "NAME|GLOB")]
    pub cluster: Vec<String>,
    /// Every cluster of the project file (a fleet run).
    #[arg(long, conflicts_with = "cluster")]
    pub all_clusters: bool,
    /// In a fleet run, how many clusters are read at once, each with its own connection.
    #[arg(long, value_name = "N", default_value_t = crate::commands::fleet::DEFAULT_PARALLEL,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub parallel: usize,
    /// How long the whole command may take (`90s`, `5m`, `2h`; a bare number is seconds; 1s to 30d):
    /// describe, preflight, every phase, waiting for replicas to move, and verification. Every request
    /// gets what is left (at most 30 s), and retries stop at it.
    #[arg(long, default_value = "5m", value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Duration,
}

/// Arguments of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Fail on warnings too.
    #[arg(long)]
    pub strict: bool,
    /// Topic files or directories (default: the project's `topics`, else `topics/`).
    pub paths: Vec<PathBuf>,
    /// Check only these clusters' overrides, each on its own, with a summary table (default: every
    /// cluster's, in one report). Names or globs, repeated or separated by commas.
    #[arg(long, short = 'c', value_delimiter = ',', value_name = "NAME|GLOB")]
    pub cluster: Vec<String>,
    /// Check every cluster's overrides each on its own, with a summary table.
    #[arg(long, conflicts_with = "cluster")]
    pub all_clusters: bool,
}

/// Arguments of `plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Cluster.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Topic files or directories (default: the project's `topics`, else `topics/`).
    pub paths: Vec<PathBuf>,
    /// Exit 0 when in sync, 2 when changes are pending, 1 on error (for drift checks).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// How to print the plan.
    #[arg(long, visible_alias = "output", value_enum, default_value = "text")]
    pub format: plan::Format,
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
    /// Plan against a snapshot written by `topicform snapshot` instead of the live cluster: no
    /// credential is needed or read. `apply` of such a plan checks the live cluster.
    #[arg(long, value_name = "FILE")]
    pub from_snapshot: Option<PathBuf>,
    /// With --from-snapshot: refuse a snapshot older than this (`24h`, `7d`; 1s to
    /// 365d); default: the project's `maxSnapshotAge`, else any age.
    #[arg(long, value_name = "DURATION", value_parser = parse_age, requires = "from_snapshot")]
    pub max_snapshot_age: Option<u64>,
}

/// Arguments of `snapshot`.
#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Cluster.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Topic files or directories, for the scope (default: the project's `topics`, else `topics/`).
    pub paths: Vec<PathBuf>,
    /// The file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Also record each broker's address (left out by default).
    #[arg(long)]
    pub keep_hosts: bool,
}

/// Arguments of `apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Cluster.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Topic files or directories (default: the project's `topics`, else `topics/`), or one saved plan
    /// (`plan.json`).
    pub paths: Vec<PathBuf>,
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
    /// Refuse a saved plan older than this (`36h`, `7d`; 1s to 365d); default:
    /// the project's `maxPlanAge`, else 7 days.
    #[arg(long, value_name = "DURATION", value_parser = parse_age)]
    pub max_plan_age: Option<u64>,
    /// Delete topics whose data is in use too: written within --active-window, or read by a consumer
    /// group with members, or whose use cannot be checked (unknown counts as in use; apply warns). Without
    /// it such a deletion is refused, naming the rule (a topic declared with `delete: true` may say
    /// `acknowledge: [activeData]` instead).
    #[arg(long)]
    pub allow_active_data: bool,
    /// A topic written more recently than this is in use (`24h`, `7d`; 1s to 365d).
    #[arg(long, value_name = "DURATION", value_parser = parse_window, default_value = "24h")]
    pub active_window: u64,
    /// Delete at most this many bytes (`500GiB`; every replica counted) in one apply; refuse the whole
    /// apply otherwise, and when a size is unknown (a replica's broker did not answer).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_destroy_bytes: Option<u64>,
}

/// Arguments of `import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Cluster.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Only topics whose names match this regular expression.
    #[arg(long = "match", value_name = "REGEX")]
    pub matching: Option<regex::Regex>,
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
    pub connect: ConnectArgs,
    /// Only topics whose names match this regular expression.
    #[arg(long = "match", value_name = "REGEX")]
    pub matching: Option<regex::Regex>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: list::Format,
}

/// Arguments of `describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The topics.
    #[arg(required = true)]
    pub topics: Vec<String>,
    /// Cluster.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Only topics whose names match this regular expression.
    #[arg(long = "match", value_name = "REGEX")]
    pub matching: Option<regex::Regex>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: list::Format,
}

/// Arguments of `watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Clusters (one, several, globs or --all-clusters); each cycle's describe gets --timeout.
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Topic files or directories (default: the project's `topics`, else `topics/`), read again each cycle.
    pub paths: Vec<PathBuf>,
    /// How long from one cycle's start to the next (`30s`, `5m`; 100ms to 7d),
    /// plus up to --jitter of it at random.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_interval)]
    pub interval: Duration,
    /// Up to this fraction of --interval is added to each wait at random, so that many watchers do not
    /// describe their clusters at the same moment.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.1, value_parser = parse_fraction)]
    pub jitter: f64,
    /// Where to serve `/metrics` (Prometheus), `/healthz` and `/readyz`.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9464")]
    pub listen: std::net::SocketAddr,
    /// Apply changes of this risk class by itself, only when the plan blocks nothing and has nothing
    /// riskier. Without it, watch never changes a cluster.
    #[arg(long, value_enum, value_name = "RISK")]
    pub auto_apply: Option<watch::AutoApply>,
    /// How each cycle's summary is written on stderr: text, or one JSON object per line.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: watch::LogFormat,
    /// `/readyz` stays ready this long after a cluster's last good cycle (1s to 14d; default: two
    /// intervals).
    #[arg(long, value_name = "DURATION", value_parser = parse_ready_grace)]
    pub ready_grace: Option<Duration>,
    /// Stop after this many cycles (for tests and benchmarks); default: run until SIGTERM or SIGINT.
    #[arg(long, value_name = "N")]
    pub cycles: Option<u64>,
}

/// Arguments of `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum, default_value = "topics")]
    pub which: schema::Kind,
}

/// Arguments of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: clap_complete::Shell,
}

fn parse_age(text: &str) -> Result<u64, String> {
    Ok(setting::duration(text, setting::MAX_AGE).map_err(|e| e.to_string())?.as_secs())
}

fn parse_window(text: &str) -> Result<u64, String> {
    let window = setting::duration(text, setting::ACTIVE_WINDOW).map_err(|e| e.to_string())?;
    // At most a year, in milliseconds: far inside a u64.
    Ok(u64::try_from(window.as_millis()).unwrap_or(u64::MAX))
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    setting::duration(text, setting::TIMEOUT).map_err(|e| e.to_string())
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    setting::duration(text, setting::INTERVAL).map_err(|e| e.to_string())
}

fn parse_ready_grace(text: &str) -> Result<Duration, String> {
    setting::duration(text, setting::READY_GRACE).map_err(|e| e.to_string())
}

fn parse_size(text: &str) -> Result<u64, String> {
    match crate::catalog::size_in_bytes(text) {
        Ok(n) if n >= 0 => u64::try_from(n).map_err(|_| "too large".to_owned()),
        Ok(_) => Err("a size cannot be negative".into()),
        Err(e) => Err(format!("{}; write bytes, such as `500GiB`", e.reason)),
    }
}

fn parse_fraction(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err("a fraction between 0 and 1, such as `0.1`".into()),
    }
}

fn parse_rate(text: &str) -> Result<u64, String> {
    let bytes = text.trim().strip_suffix("/s").unwrap_or(text.trim());
    match crate::catalog::size_in_bytes(bytes) {
        Ok(n) if n > 0 => u64::try_from(n).map_err(|_| "too large".to_owned()),
        Ok(_) => Err("a rate must be positive".into()),
        Err(e) => Err(format!("{}; write bytes per second, such as `50MiB/s`", e.reason)),
    }
}
