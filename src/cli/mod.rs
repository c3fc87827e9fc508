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
use crate::render::progress::Terminal;

/// Runs the command and says how it ended. Errors that are not about the files come back as `Err`.
pub async fn run(cli: Cli, env: &Env) -> anyhow::Result<ExitStatus> {
    let Settings { common, command, stderr } = Settings::resolve(cli, env);
    let log = |line: &str| {
        let _ = writeln!(io::stderr().lock(), "{line}");
    };
    let connect = KafkaConnect { log: Some(Arc::new(log)) };
    let mut reporter = Terminal::new(io::stderr(), io::stdin().lock(), stderr.style, stderr.terminal, stderr.verbose);
    let mut out = io::stdout().lock();
    let status = commands::run(&common, command, &connect, &mut out, &mut reporter).await;
    out.flush()?;
    status
}
