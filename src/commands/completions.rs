//! `completions`: a shell completion script.

use std::io::Write;

use crate::plan::ExitStatus;

/// Settings of `completions`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The shell.
    pub shell: clap_complete::Shell,
    /// The command line's definition, to complete.
    pub command: clap::Command,
}

/// Runs `completions`.
pub fn run(settings: Settings, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let Settings { shell, mut command } = settings;
    // Into a buffer first: clap_complete panics when a write fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "topicform", &mut script);
    out.write_all(&script)?;
    Ok(ExitStatus::Success)
}
