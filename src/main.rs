//! The `topicform` binary: captures the environment, builds the runtime, runs the command line, and
//! turns the outcome into an exit code. Nothing else.

use std::process::ExitCode;

use clap::Parser;
use topicform::cli::{self, Cli, Env, Lines};
use topicform::plan::ExitStatus;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return code(cli::usage(&e, &args)),
    };
    let lines = Lines::of(&cli);
    if lines == Lines::Json {
        // Even a bug is reported as one JSON line.
        std::panic::set_hook(Box::new(move |info| {
            let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
            lines.say("error", &format!("internal error{at}; please report it"));
        }));
    }
    let env = Env::capture();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            lines.say("error", &format!("cannot start the async runtime: {e}"));
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(cli::run(cli, &env));
    // librdkafka calls still blocking a thread (past the deadline) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    let status = match outcome {
        Ok(status) => {
            cli::report_output_failure(lines);
            status
        }
        Err(e) => {
            cli::report_error(&e, lines);
            ExitStatus::Failure
        }
    };
    // Output that did not reach its reader is a failure, whatever the command concluded.
    match status {
        ExitStatus::Interrupted => code(status),
        _ if cli::output_failed() => code(ExitStatus::Failure),
        _ => code(status),
    }
}

fn code(status: ExitStatus) -> ExitCode {
    match status {
        ExitStatus::Success => ExitCode::SUCCESS,
        ExitStatus::ChangesPending => ExitCode::from(2),
        ExitStatus::Failure => ExitCode::from(1),
        ExitStatus::Interrupted => ExitCode::from(130),
    }
}
