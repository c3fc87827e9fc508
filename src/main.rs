//! The `topicform` binary: parses the command line, runs it, and turns the outcome into an exit code.
//! Nothing else.

use std::process::ExitCode;

use clap::Parser;
use topicform::cli::{self, Cli};
use topicform::plan::ExitStatus;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(ExitStatus::Success) => ExitCode::SUCCESS,
        Ok(ExitStatus::ChangesPending) => ExitCode::from(2),
        Ok(ExitStatus::Failure) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
