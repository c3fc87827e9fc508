//! Settings, resolved once: the command line plus the environment ([`Env`], captured at start) become
//! the commands' settings. Every `*Args` is destructured without `..`, so a flag that is added to the
//! command line and not wired here fails to compile. This file and `main.rs` are the only places that
//! read the environment or ask whether a stream is a terminal.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::CommandFactory;

use super::args::{
    ApplyArgs, Cli, Command, CompletionsArgs, ConnectArgs, DescribeArgs, ImportArgs, ListArgs, PlanArgs, SchemaArgs,
    SnapshotArgs, ValidateArgs, WatchArgs,
};
use crate::apply::{Guards, Options};
use crate::commands::{
    self, Common, Target, apply, completions, describe, fleet, import, list, plan, schema, snapshot, validate, watch,
};
use crate::fleet::Selection;
use crate::render::Style;

/// What the process was started with, captured once: the variables, `NO_COLOR`, and which standard
/// streams are terminals.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// The environment's variables (for `${VAR}` in the project file).
    pub vars: BTreeMap<String, String>,
    /// Standard input is a terminal (someone can answer a prompt).
    pub stdin_terminal: bool,
    /// Standard output is a terminal.
    pub stdout_terminal: bool,
    /// Standard error is a terminal.
    pub stderr_terminal: bool,
    /// When the process started, in seconds since 1970 (UTC).
    pub now_unix: u64,
}

impl Env {
    /// The process's environment and streams, now.
    pub fn capture() -> Env {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            stdin_terminal: std::io::stdin().is_terminal(),
            stdout_terminal: std::io::stdout().is_terminal(),
            stderr_terminal: std::io::stderr().is_terminal(),
            now_unix: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        }
    }

    /// `NO_COLOR` is set to something (<https://no-color.org>).
    pub fn no_color(&self) -> bool {
        self.vars.get("NO_COLOR").is_some_and(|v| !v.is_empty())
    }

    /// Resolves `${NAME}` from the captured variables and `${file:PATH}` from a file (a mounted
    /// secret), with one trailing newline dropped. Neither value is ever printed. The file is read
    /// through the shared reader: a named pipe, a device or a directory is refused at once (never a
    /// read that blocks), and so is a file above [`MAX_SECRET_BYTES`].
    pub fn lookup(&self) -> commands::Lookup {
        let vars = self.vars.clone();
        Arc::new(move |name: &str| match name.strip_prefix("file:") {
            Some(path) => {
                let bytes =
                    crate::desired::load::read_file(std::path::Path::new(path.trim()), MAX_SECRET_BYTES).ok()?;
                let s = String::from_utf8(bytes).ok()?;
                Some(s.strip_suffix('\n').unwrap_or(&s).to_owned())
            }
            None => vars.get(name).cloned(),
        })
    }
}

/// The largest file a `${file:PATH}` reference reads: 1 MiB, far above any secret or certificate.
pub const MAX_SECRET_BYTES: u64 = 1024 * 1024;

/// Everything a run needs, decided from the command line and the environment.
pub struct Settings {
    /// What every command shares.
    pub common: Common,
    /// The command and its settings.
    pub command: commands::Command,
    /// How to draw diagnostics and progress on stderr.
    pub stderr: Stderr,
}

/// How stderr is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stderr {
    /// Colours for diagnostics.
    pub style: Style,
    /// Stderr is a terminal: progress may update a line in place.
    pub terminal: bool,
    /// `-v` count: phases and retries are shown from 1.
    pub verbose: u8,
}

impl Settings {
    /// Resolves `cli` against `env`.
    pub fn resolve(cli: Cli, env: &Env) -> Settings {
        let Cli { project, no_color, verbose, command } = cli;
        let color = !no_color && !env.no_color();
        let common = Common {
            project,
            style: Style { color: color && env.stdout_terminal },
            verbose,
            lookup: env.lookup(),
            now_unix: env.now_unix,
            // Resolved once, at start: the command's deadline counts from here.
            started: std::time::Instant::now(),
            cancel: crate::apply::Cancel::default(),
        };
        let stderr =
            Stderr { style: Style { color: color && env.stderr_terminal }, terminal: env.stderr_terminal, verbose };
        let command = match command {
            Command::Validate(args) => commands::Command::Validate(validate_settings(args)),
            Command::Plan(args) => {
                let (settings, fleet) = plan_settings(args);
                fleet.wrap(commands::Command::Plan(settings))
            }
            Command::Apply(args) => {
                let (settings, fleet) = apply_settings(args, env);
                fleet.wrap(commands::Command::Apply(settings))
            }
            Command::Import(args) => {
                let (settings, fleet) = import_settings(args);
                fleet.wrap(commands::Command::Import(settings))
            }
            Command::Snapshot(args) => {
                let (settings, fleet) = snapshot_settings(args);
                fleet.wrap(commands::Command::Snapshot(settings))
            }
            Command::List(args) => {
                let (settings, fleet) = list_settings(args);
                fleet.wrap(commands::Command::List(settings))
            }
            Command::Describe(args) => {
                let (settings, fleet) = describe_settings(args);
                fleet.wrap(commands::Command::Describe(settings))
            }
            Command::Watch(args) => commands::Command::Watch(watch_settings(args)),
            Command::Schema(args) => commands::Command::Schema(schema_settings(args)),
            Command::Completions(args) => commands::Command::Completions(completions_settings(args)),
        };
        Settings { common, command, stderr }
    }
}

/// The clusters a command names: one (or none: the project's only one), or a fleet.
struct FleetChoice {
    selection: Selection,
    parallel: usize,
}

impl FleetChoice {
    /// `command` as it runs: alone when one cluster is named, else once per cluster of the fleet.
    fn wrap(self, command: commands::Command) -> commands::Command {
        let FleetChoice { selection, parallel } = self;
        if selection.single().is_some() {
            return command;
        }
        commands::Command::Fleet(fleet::Settings { selection, parallel, command: Box::new(command) })
    }
}

fn target(args: ConnectArgs) -> (Target, FleetChoice) {
    let ConnectArgs { cluster, all_clusters, parallel, timeout } = args;
    let selection = Selection { patterns: cluster, all: all_clusters };
    let single = selection.single().flatten().map(str::to_owned);
    (Target { cluster: single, timeout }, FleetChoice { selection, parallel })
}

fn validate_settings(args: ValidateArgs) -> validate::Settings {
    let ValidateArgs { strict, paths, cluster, all_clusters } = args;
    validate::Settings { strict, paths, clusters: Selection { patterns: cluster, all: all_clusters } }
}

fn plan_settings(args: PlanArgs) -> (plan::Settings, FleetChoice) {
    let PlanArgs {
        connect,
        paths,
        detailed_exitcode,
        format,
        out,
        prune,
        validate_on_broker,
        from_snapshot,
        max_snapshot_age,
    } = args;
    let (target, fleet) = target(connect);
    let settings = plan::Settings {
        target,
        paths,
        detailed_exitcode,
        format,
        out,
        prune,
        validate_on_broker,
        from_snapshot,
        max_snapshot_age,
    };
    (settings, fleet)
}

fn apply_settings(args: ApplyArgs, env: &Env) -> (apply::Settings, FleetChoice) {
    let ApplyArgs {
        connect,
        paths,
        auto_approve,
        prune,
        max_destroy,
        throttle,
        no_wait,
        max_plan_age,
        allow_active_data,
        active_window,
        max_destroy_bytes,
    } = args;
    let source = match saved_plan(&paths) {
        Some(path) => {
            let others = paths.into_iter().filter(|p| *p != path).collect();
            apply::Source::Saved { path, others, prune }
        }
        None => apply::Source::Files { paths, prune },
    };
    let (target, fleet) = target(connect);
    let settings = apply::Settings {
        target,
        source,
        auto_approve,
        interactive: env.stdin_terminal,
        guards: Guards {
            max_destroy,
            data: crate::plan::data::Rules { allow_active_data, window_ms: active_window, max_destroy_bytes },
        },
        options: Options { throttle, wait: !no_wait, ..Options::default() },
        max_plan_age,
    };
    (settings, fleet)
}

/// A `.json` argument (`PLAN.JSON` too) is a saved plan; apply refuses it beside other paths.
fn saved_plan(paths: &[PathBuf]) -> Option<PathBuf> {
    paths.iter().find(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))).cloned()
}

fn snapshot_settings(args: SnapshotArgs) -> (snapshot::Settings, FleetChoice) {
    let SnapshotArgs { connect, paths, out, keep_hosts } = args;
    let (target, fleet) = target(connect);
    (snapshot::Settings { target, paths, out, keep_hosts }, fleet)
}

fn import_settings(args: ImportArgs) -> (import::Settings, FleetChoice) {
    let ImportArgs { connect, matching, out, force } = args;
    let (target, fleet) = target(connect);
    (import::Settings { target, matching, out, force }, fleet)
}

fn list_settings(args: ListArgs) -> (list::Settings, FleetChoice) {
    let ListArgs { connect, matching, format } = args;
    let (target, fleet) = target(connect);
    (list::Settings { target, matching, format }, fleet)
}

fn describe_settings(args: DescribeArgs) -> (describe::Settings, FleetChoice) {
    let DescribeArgs { topics, connect, matching, format } = args;
    let (target, fleet) = target(connect);
    (describe::Settings { topics, target, matching, format }, fleet)
}

fn watch_settings(args: WatchArgs) -> watch::Settings {
    let WatchArgs { connect, paths, interval, jitter, listen, auto_apply, log_format, ready_grace, cycles } = args;
    let ConnectArgs { cluster, all_clusters, parallel, timeout } = connect;
    watch::Settings {
        selection: Selection { patterns: cluster, all: all_clusters },
        parallel,
        timeout,
        paths,
        interval,
        jitter,
        listen,
        auto_apply,
        log_format,
        ready_grace: ready_grace.unwrap_or(interval * 2),
        cycles,
    }
}

fn schema_settings(args: SchemaArgs) -> schema::Settings {
    let SchemaArgs { which } = args;
    schema::Settings { which }
}

fn completions_settings(args: CompletionsArgs) -> completions::Settings {
    let CompletionsArgs { shell } = args;
    completions::Settings { shell, command: Cli::command() }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;

    fn resolve(args: &[&str], env: &Env) -> Settings {
        Settings::resolve(Cli::try_parse_from(args).unwrap(), env)
    }

    #[test]
    fn colour_follows_the_flag_no_color_and_terminals() {
        let tty = Env { stdout_terminal: true, stderr_terminal: true, ..Env::default() };
        assert!(resolve(&["topicform", "validate"], &tty).common.style.color);
        assert!(!resolve(&["topicform", "--no-color", "validate"], &tty).common.style.color);
        let mut no_color = tty.clone();
        no_color.vars.insert("NO_COLOR".into(), "1".into());
        assert!(!resolve(&["topicform", "validate"], &no_color).common.style.color);
        no_color.vars.insert("NO_COLOR".into(), String::new());
        assert!(resolve(&["topicform", "validate"], &no_color).common.style.color, "an empty NO_COLOR is unset");
        let piped = Env { stdout_terminal: false, stderr_terminal: true, ..Env::default() };
        let settings = resolve(&["topicform", "validate"], &piped);
        assert!(!settings.common.style.color && settings.stderr.style.color);
    }

    #[test]
    fn apply_of_a_json_file_is_a_saved_plan() {
        let env = Env::default();
        let commands::Command::Apply(s) = resolve(&["topicform", "apply", "p.json"], &env).command else { panic!() };
        assert_eq!(s.source, apply::Source::Saved { path: "p.json".into(), others: vec![], prune: false });
        let commands::Command::Apply(s) = resolve(&["topicform", "apply", "--prune", "PLAN.JSON", "t/"], &env).command
        else {
            panic!()
        };
        assert_eq!(s.source, apply::Source::Saved { path: "PLAN.JSON".into(), others: vec!["t/".into()], prune: true });
        assert!(!s.interactive);
        let commands::Command::Apply(s) =
            resolve(&["topicform", "apply", "--prune", "--max-destroy", "2", "--throttle", "1MiB/s", "t/"], &env)
                .command
        else {
            panic!()
        };
        assert_eq!(s.source, apply::Source::Files { paths: vec!["t/".into()], prune: true });
        assert_eq!(s.guards.max_destroy, Some(2));
        assert_eq!(s.options.throttle, Some(1_048_576));
    }

    #[test]
    fn one_plain_cluster_name_is_the_single_cluster_command_and_anything_else_a_fleet() {
        let env = Env::default();
        let single = |args: &[&str]| match resolve(args, &env).command {
            commands::Command::Plan(s) => Some(s.target.cluster),
            commands::Command::Fleet(f) => {
                assert!(matches!(*f.command, commands::Command::Plan(ref s) if s.target.cluster.is_none()));
                None
            }
            _ => panic!("not a plan"),
        };
        assert_eq!(single(&["topicform", "plan"]), Some(None));
        assert_eq!(single(&["topicform", "plan", "--cluster", "prod"]), Some(Some("prod".into())));
        assert_eq!(single(&["topicform", "plan", "-c", "prod", "--parallel", "2"]), Some(Some("prod".into())));
        assert_eq!(single(&["topicform", "plan", "--cluster", "prod,dev"]), None);
        assert_eq!(single(&["topicform", "plan", "--cluster", "prod", "--cluster", "dev"]), None);
        assert_eq!(single(&["topicform", "plan", "--cluster", "prod-*"]), None);
        assert_eq!(single(&["topicform", "plan", "--all-clusters"]), None);
        let commands::Command::Fleet(f) =
            resolve(&["topicform", "list", "--cluster", "a,b", "--parallel", "7"], &env).command
        else {
            panic!()
        };
        assert_eq!((f.selection.patterns, f.parallel), (vec!["a".to_owned(), "b".to_owned()], 7));
        assert!(Cli::try_parse_from(["topicform", "plan", "--parallel", "0"]).is_err());
        assert!(Cli::try_parse_from(["topicform", "plan", "--all-clusters", "--cluster", "a"]).is_err());
        let commands::Command::Watch(w) =
            resolve(&["topicform", "watch", "--interval", "30s", "--cluster", "prod-*"], &env).command
        else {
            panic!()
        };
        assert_eq!(
            (w.interval, w.ready_grace, w.listen.to_string()),
            (Duration::from_secs(30), Duration::from_secs(60), "127.0.0.1:9464".into())
        );
    }

    #[test]
    fn every_duration_flag_takes_units_and_only_the_timeout_a_bare_number() {
        let env = Env::default();
        let commands::Command::Plan(p) = resolve(&["topicform", "plan", "--timeout", "5m"], &env).command else {
            panic!()
        };
        assert_eq!(p.target.timeout, Duration::from_secs(300));
        let commands::Command::Plan(p) = resolve(&["topicform", "plan", "--timeout", "90"], &env).command else {
            panic!()
        };
        assert_eq!(p.target.timeout, Duration::from_secs(90));
        let commands::Command::Watch(w) =
            resolve(&["topicform", "watch", "--interval", "30s", "--timeout", "1m", "--ready-grace", "2h"], &env)
                .command
        else {
            panic!()
        };
        assert_eq!(
            (w.interval, w.timeout, w.ready_grace),
            (Duration::from_secs(30), Duration::from_secs(60), Duration::from_secs(7200))
        );
        let commands::Command::Apply(a) = resolve(
            &["topicform", "apply", "p.json", "--max-plan-age", "36h", "--active-window", "3600s", "--timeout", "1h"],
            &env,
        )
        .command
        else {
            panic!()
        };
        assert_eq!((a.max_plan_age, a.guards.data.window_ms), (Some(129_600), 3_600_000));
        // Out of range or not a duration: a usage error naming the form and the range, never a
        // wrap-around to zero or a busy loop.
        for (args, said) in [
            (&["topicform", "watch", "--interval", "0s"][..], "from 100ms to 1w"),
            (&["topicform", "watch", "--interval", "8d"], "from 100ms to 1w"),
            (&["topicform", "plan", "--timeout", "18446744073709551615"], "from 1s to 30d"),
            (&["topicform", "apply", "p.json", "--max-plan-age", "99999999999999999999w"], "from 1s to 365d"),
            (&["topicform", "plan", "--from-snapshot", "s.json", "--max-snapshot-age", "0s"], "from 1s to 365d"),
            (&["topicform", "apply", "--active-window", "1.5h"], "which is not a duration"),
            (&["topicform", "watch", "--ready-grace", "15d"], "from 1s to 2w"),
            // Bare numbers were milliseconds here once: refused rather than read as seconds.
            (&["topicform", "watch", "--interval", "30"], "a number without a unit"),
            (&["topicform", "apply", "--active-window", "3600"], "a number without a unit"),
            (&["topicform", "apply", "p.json", "--max-plan-age", "3600000"], "a number without a unit"),
        ] {
            let err = Cli::try_parse_from(args).unwrap_err().to_string();
            assert!(err.contains(said), "{args:?}: {err}");
        }
    }

    #[test]
    fn lookup_reads_the_captured_variables_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("secret");
        std::fs::write(&secret, "s3cr3t\n").unwrap();
        let env = Env { vars: [("USER_X".to_owned(), "x".to_owned())].into(), ..Env::default() };
        let lookup = env.lookup();
        assert_eq!(lookup("USER_X").as_deref(), Some("x"));
        assert_eq!(lookup("MISSING"), None);
        assert_eq!(lookup(&format!("file:{}", secret.display())).as_deref(), Some("s3cr3t"));
    }

    /// A `${file:...}` naming a named pipe, a directory or a device is refused at once, located at its
    /// line; a read would block past `--timeout`. Bounded, so that a hang fails the test.
    #[test]
    fn a_file_reference_to_a_pipe_a_directory_or_a_device_is_refused_at_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; MAX_SECRET_BYTES as usize + 1]).unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        let paths = [fifo.clone(), dir.path().to_path_buf(), "/dev/zero".into(), big];
        let location = fifo.clone();
        let fifo_shown = fifo.display().to_string();
        std::thread::spawn(move || {
            let lookup = Env::default().lookup();
            // A file librdkafka reads when the client is made: refused before, naming only the key.
            for (path, what) in
                [(location.display().to_string(), "a named pipe (FIFO)"), ("/dev/zero".into(), "a device")]
            {
                let text = format!(
                    "clusters:\n  c:\n    bootstrap: a:1\n    client:\n      security.protocol: SSL\n      ssl.ca.location: {path}\n"
                );
                let project = crate::desired::load::project_text("topicform.yaml", &text).unwrap();
                let errors = project.cluster(Some("c"), &*lookup).unwrap_err();
                let shown: Vec<String> =
                    errors.iter().map(|e| format!("{}: {}", e.at.as_ref().unwrap(), e.kind)).collect();
                assert_eq!(
                    shown,
                    [format!(
                        "topicform.yaml:6:24: client property `ssl.ca.location` names {what}; the Kafka client reads only regular files there"
                    )]
                );
            }
            for path in paths {
                let text = format!(
                    "clusters:\n  c:\n    bootstrap: a:1\n    client:\n      sasl.password: ${{file:{}}}\n",
                    path.display()
                );
                let project = crate::desired::load::project_text("topicform.yaml", &text).unwrap();
                let errors = project.cluster(Some("c"), &*lookup).unwrap_err();
                let shown: Vec<String> =
                    errors.iter().map(|e| format!("{}: {}", e.at.as_ref().unwrap(), e.kind)).collect();
                let why = match path.display().to_string() {
                    p if p == fifo_shown => "names a named pipe (FIFO); topicform reads only regular files",
                    p if p == "/dev/zero" => "names a device; topicform reads only regular files",
                    _ => "names a file that cannot be read",
                };
                assert_eq!(shown, [format!("topicform.yaml:5:22: `${{file:{}}}` {why}", path.display())]);
            }
            let _ = done.send(());
        });
        match finished.recv_timeout(Duration::from_secs(120)) {
            Ok(()) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("blocked on `{}`", fifo.display()),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("the check failed; see above"),
        }
    }
}
