//! The command line: parse ([`args`]), resolve once against the environment ([`settings`]), and hand
//! the command to [`crate::commands`] with the real Kafka connection and the terminal reporter.
//!
//! The standard streams are written only through [`Checked`], which remembers a failed write (a closed
//! pipe, a full disk): such a run ends with status 1, whatever the writer's caller did with the error,
//! and nothing here panics on a stream that cannot be written.

pub mod args;
pub mod settings;

use std::ffi::OsString;
use std::io::{self, Write};
use std::sync::{Arc, OnceLock};

pub use args::Cli;
pub use settings::{Env, Settings};

use crate::cluster::kafka::KafkaConnect;
use crate::commands;
use crate::plan::ExitStatus;
use crate::render::progress::{JsonLines, Terminal};
use crate::report::Reporter;

/// The first failed write on standard output, if any.
static STDOUT_FAILED: OnceLock<io::ErrorKind> = OnceLock::new();
/// The first failed write on standard error, if any.
static STDERR_FAILED: OnceLock<io::ErrorKind> = OnceLock::new();

/// A standard stream that remembers its first failed write in `failed`.
pub struct Checked<W> {
    inner: W,
    failed: &'static OnceLock<io::ErrorKind>,
}

impl<W: Write> Write for Checked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| {
            let _ = self.failed.set(e.kind());
        })
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().inspect_err(|e| {
            let _ = self.failed.set(e.kind());
        })
    }
    // The stream's own: standard error takes its lock for the whole line, so that lines written from
    // other threads (the Kafka client's log) never cut into it.
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf).inspect_err(|e| {
            let _ = self.failed.set(e.kind());
        })
    }
    fn write_fmt(&mut self, args: std::fmt::Arguments<'_>) -> io::Result<()> {
        self.inner.write_fmt(args).inspect_err(|e| {
            let _ = self.failed.set(e.kind());
        })
    }
}

/// Standard output, checked.
fn stdout() -> Checked<io::StdoutLock<'static>> {
    Checked { inner: io::stdout().lock(), failed: &STDOUT_FAILED }
}

/// Standard error, checked.
fn stderr() -> Checked<io::Stderr> {
    Checked { inner: io::stderr(), failed: &STDERR_FAILED }
}

/// A write on standard output or standard error failed during the run: its output or its messages
/// are incomplete, so it cannot end with success (nor say "changes pending" on half a plan).
pub fn output_failed() -> bool {
    STDOUT_FAILED.get().is_some() || STDERR_FAILED.get().is_some()
}

/// How lines that are not a reporter's events (errors, signals, the Kafka client's log) are written
/// on stderr: as text, or as one JSON object per line under `watch --log-format json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    /// `error: ...`.
    Text,
    /// `{"event":"error","message":"..."}`.
    Json,
}

impl Lines {
    /// The form `cli` asks for.
    pub fn of(cli: &Cli) -> Lines {
        match &cli.command {
            args::Command::Watch(w) if w.log_format == commands::watch::LogFormat::Json => Lines::Json,
            _ => Lines::Text,
        }
    }

    /// The form asked for by arguments clap refused: JSON when they hold `--log-format json` (or
    /// `--log-format=json`), so that a usage error of a JSON-logging watcher is JSON too.
    pub fn of_args(args: &[OsString]) -> Lines {
        let json = args
            .iter()
            .zip(args.iter().skip(1).map(Some).chain([None]))
            .any(|(a, next)| a == "--log-format=json" || (a == "--log-format" && next.is_some_and(|n| n == "json")));
        if json { Lines::Json } else { Lines::Text }
    }

    /// Writes `message` as an `event` line (`error`, `log`, `signal`); a failed write is remembered,
    /// never a panic.
    pub fn say(self, event: &str, message: &str) {
        let mut err = stderr();
        // The message may quote a path, a name or a broker's words: escaped for the terminal, line by
        // line (JSON escapes its own).
        let escaped: Vec<_> = message.split('\n').map(crate::render::escape::terminal).collect();
        let message = escaped.join("\n");
        let _ = match self {
            Lines::Text if event == "error" => writeln!(err, "error: {message}"),
            Lines::Text => writeln!(err, "{message}"),
            Lines::Json => {
                let line = serde_json::json!({ "event": event, "message": message });
                writeln!(err, "{line}")
            }
        };
    }
}

/// Ends a run whose arguments clap refused or answered: `--help` and `--version` print on stdout and
/// succeed; anything else is a usage error, printed on stderr, and fails with status 1 (never 2,
/// which `plan --detailed-exitcode` uses for changes pending).
pub fn usage(error: &clap::Error, args: &[OsString]) -> ExitStatus {
    use clap::error::ErrorKind;
    if matches!(error.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        // clap prints help on stdout, coloured only on a terminal.
        let shown = error.print().and_then(|()| io::stdout().flush());
        if let Err(e) = shown {
            let _ = STDOUT_FAILED.set(e.kind());
            output_failure(Lines::of_args(args), &e.to_string());
            return ExitStatus::Failure;
        }
        return ExitStatus::Success;
    }
    match Lines::of_args(args) {
        Lines::Json => {
            let text = error.render().to_string();
            Lines::Json.say("error", text.trim_end().strip_prefix("error: ").unwrap_or(text.trim_end()));
        }
        Lines::Text => {
            let styled = error.print();
            if let Err(e) = styled {
                let _ = STDERR_FAILED.set(e.kind());
            }
        }
    }
    ExitStatus::Failure
}

/// Says why a run failed, on stderr. A closed standard output (`| head`) is said in one line of its
/// own: the command stopped there (an `apply` whose plan could not be shown applies nothing), and a
/// silent status 1 would not say why.
pub fn report_error(error: &anyhow::Error, lines: Lines) {
    let io = error.chain().find_map(|c| c.downcast_ref::<io::Error>()).map(io::Error::kind);
    match (STDOUT_FAILED.get(), io) {
        (Some(failed), Some(kind)) if *failed == kind => output_failure(lines, &format!("{error:#}")),
        _ => lines.say("error", &format!("{error:#}")),
    }
}

/// Says that standard output could not take the whole output of the run.
pub fn report_output_failure(lines: Lines) {
    if let Some(kind) = STDOUT_FAILED.get() {
        output_failure(lines, &io::Error::from(*kind).to_string());
    }
}

fn output_failure(lines: Lines, why: &str) {
    match STDOUT_FAILED.get() {
        Some(io::ErrorKind::BrokenPipe) => lines.say(
            "error",
            "standard output was closed before the output was written in full (its reader stopped reading); \
             the command stopped there",
        ),
        _ => lines.say("error", &format!("cannot write the output on standard output: {why}")),
    }
}

/// Runs the command and says how it ended. Errors that are not about the files come back as `Err`.
pub async fn run(cli: Cli, env: &Env) -> anyhow::Result<ExitStatus> {
    let lines = Lines::of(&cli);
    let Settings { common, command, stderr: drawing } = Settings::resolve(cli, env);
    let log = move |line: &str| lines.say("log", line);
    let connect = KafkaConnect { log: Some(Arc::new(log)) };
    let watching = matches!(&command, commands::Command::Watch(_));
    let mut reporter: Box<dyn Reporter> = match lines {
        Lines::Json => Box::new(JsonLines::new(stderr(), drawing.verbose)),
        Lines::Text => {
            Box::new(Terminal::new(stderr(), io::stdin().lock(), drawing.style, drawing.terminal, drawing.verbose))
        }
    };
    let reporter = &mut *reporter;
    if watching {
        tokio::spawn(on_signals_watching(common.cancel.clone(), lines));
    } else {
        tokio::spawn(on_signals(common.cancel.clone()));
    }
    let limit = command.timeout();
    let mut out = stdout();
    let run = commands::run(&common, command, &connect, &mut out, reporter);
    let status = match limit {
        // A guard behind the deadline that every step honours: nothing may make a run hang past it.
        Some(limit) => match tokio::time::timeout(limit + GUARD, run).await {
            Ok(status) => status,
            Err(_) => Err(anyhow::anyhow!("timed out: the command took longer than --timeout ({} s)", limit.as_secs())),
        },
        None => run.await,
    };
    out.flush()?;
    status
}

/// How long past `--timeout` the last-resort guard waits.
const GUARD: std::time::Duration = std::time::Duration::from_secs(10);

/// SIGINT or SIGTERM during `watch`: the first asks it to stop (the cycle under way finishes, or is
/// abandoned after the grace, and the run ends with status 0); a second exits at once.
async fn on_signals_watching(cancel: crate::apply::Cancel, lines: Lines) {
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else { return };
    for first in [true, false] {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        if first {
            cancel.request();
            let message = format!(
                "watch: stopping; the cycle under way gets {} s to finish. A second signal stops at once.",
                crate::apply::GRACE.as_secs()
            );
            lines.say("signal", &message);
        }
    }
    std::process::exit(130);
}

/// SIGINT or SIGTERM: during an apply, the first asks it to stop after the requests in flight, and a
/// second exits at once; otherwise the first exits at once. Exit status 130, as a shell reports Ctrl-C.
async fn on_signals(cancel: crate::apply::Cancel) {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let signal = async |term: &mut Option<tokio::signal::unix::Signal>| {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            Some(()) = async { match term { Some(t) => t.recv().await, None => std::future::pending().await } } => {}
        }
    };
    signal(&mut term).await;
    if !cancel.request() {
        Lines::Text.say("signal", "\nInterrupted.");
        std::process::exit(130);
    }
    let message = format!(
        "\nInterrupted: no new request is sent; the ones in flight get {} s to answer. Press Ctrl-C again to stop at once.",
        crate::apply::GRACE.as_secs()
    );
    Lines::Text.say("signal", &message);
    signal(&mut term).await;
    Lines::Text.say(
        "signal",
        "\nStopped at once: requests in flight may or may not have taken; `topicform plan` shows what is left.",
    );
    std::process::exit(130);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_usage_error_is_json_when_the_arguments_ask_for_json_logs() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        for (given, want) in [
            (&["topicform", "watch", "--log-format", "json", "--bogus"][..], Lines::Json),
            (&["topicform", "watch", "--bogus", "--log-format=json"], Lines::Json),
            (&["topicform", "watch", "--log-format", "text"], Lines::Text),
            (&["topicform", "watch", "--log-format"], Lines::Text),
            (&["topicform", "plan", "json"], Lines::Text),
        ] {
            assert_eq!(Lines::of_args(&args(given)), want, "{given:?}");
        }
        let parsed = |a: &[&str]| Lines::of(&<Cli as clap::Parser>::try_parse_from(a).unwrap());
        assert_eq!(parsed(&["topicform", "watch", "--log-format", "json"]), Lines::Json);
        assert_eq!(parsed(&["topicform", "watch"]), Lines::Text);
        assert_eq!(parsed(&["topicform", "plan"]), Lines::Text);
    }
}
