//! The command line: parse ([`args`]), resolve once against the environment ([`settings`]), and hand
//! the command to [`crate::commands`] with the real Kafka connection and the terminal reporter.

pub mod args;
pub mod settings;

use std::io::{self, Write};
use std::sync::Arc;

pub use args::Cli;
pub use settings::{Env, Settings};

use crate::cluster::kafka::KafkaConnect;
use crate::commands;
use crate::plan::ExitStatus;
use crate::render::progress::{JsonLines, Terminal};
use crate::report::Reporter;

/// Runs the command and says how it ended. Errors that are not about the files come back as `Err`.
pub async fn run(cli: Cli, env: &Env) -> anyhow::Result<ExitStatus> {
    let Settings { common, command, stderr } = Settings::resolve(cli, env);
    let log = |line: &str| {
        let _ = writeln!(io::stderr().lock(), "{line}");
    };
    let connect = KafkaConnect { log: Some(Arc::new(log)) };
    let watching = match &command {
        commands::Command::Watch(s) => Some(s.log_format),
        _ => None,
    };
    let mut reporter: Box<dyn Reporter> = match watching {
        Some(commands::watch::LogFormat::Json) => Box::new(JsonLines::new(io::stderr(), stderr.verbose)),
        _ => Box::new(Terminal::new(io::stderr(), io::stdin().lock(), stderr.style, stderr.terminal, stderr.verbose)),
    };
    let reporter = &mut *reporter;
    if watching.is_some() {
        tokio::spawn(on_signals_watching(common.cancel.clone()));
    } else {
        tokio::spawn(on_signals(common.cancel.clone()));
    }
    let limit = command.timeout();
    let mut out = io::stdout().lock();
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
async fn on_signals_watching(cancel: crate::apply::Cancel) {
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else { return };
    for first in [true, false] {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        if first {
            cancel.request();
            eprintln!(
                "watch: stopping; the cycle under way gets {} s to finish. A second signal stops at once.",
                crate::apply::GRACE.as_secs()
            );
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
        eprintln!("\nInterrupted.");
        std::process::exit(130);
    }
    eprintln!(
        "\nInterrupted: no new request is sent; the ones in flight get {} s to answer. Press Ctrl-C again to stop at once.",
        crate::apply::GRACE.as_secs()
    );
    signal(&mut term).await;
    eprintln!("\nStopped at once: requests in flight may or may not have taken; `topicform plan` shows what is left.");
    std::process::exit(130);
}
