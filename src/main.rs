//! The `topicform` binary: captures the environment, builds the runtime, runs the command line, and
//! turns the outcome into an exit code. Nothing else.

use std::process::ExitCode;

use clap::Parser;
use topicform::cli::{self, Cli, Env};
use topicform::plan::ExitStatus;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env = Env::capture();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(cli::run(cli, &env));
    // librdkafka calls still blocking a thread (past the deadline) must not hold the exit.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match outcome {
        Ok(ExitStatus::Success) => ExitCode::SUCCESS,
        Ok(ExitStatus::ChangesPending) => ExitCode::from(2),
        Ok(ExitStatus::Failure) => ExitCode::from(1),
        Ok(ExitStatus::Interrupted) => ExitCode::from(130),
        Err(e) => {
            // The message may quote a path, a name or a broker's words: escaped line by line.
            let text = format!("{e:#}");
            let lines: Vec<_> = text.split('\n').map(topicform::render::escape::terminal).collect();
            eprintln!("error: {}", lines.join("\n"));
            ExitCode::from(1)
        }
    }
}
