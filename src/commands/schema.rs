//! `schema`: print the JSON Schema of a file format (also committed under `schemas/`).

use std::io::Write;

use crate::plan::ExitStatus;

/// The schemas `schema` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Topic files (`schemas/topicform.schema.json`).
    Topics,
    /// The project file (`schemas/project.schema.json`).
    Project,
    /// Plans printed with `--format json` (`schemas/plan.schema.json`).
    Plan,
    /// Plans saved with `--out` (`schemas/saved-plan.schema.json`).
    SavedPlan,
    /// `list` and `describe` with `--format json` (`schemas/topics.schema.json`).
    TopicList,
    /// Snapshots written by `snapshot` (`schemas/snapshot.schema.json`).
    Snapshot,
    /// Fleet reports: `plan` or `list --format json` over several clusters (`schemas/fleet.schema.json`).
    Fleet,
}

/// Settings of `schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Which schema.
    pub which: Kind,
}

/// Runs `schema`.
pub fn run(settings: Settings, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let Settings { which } = settings;
    let name = match which {
        Kind::Topics => "topicform.schema.json",
        Kind::Project => "project.schema.json",
        Kind::Plan => "plan.schema.json",
        Kind::SavedPlan => "saved-plan.schema.json",
        Kind::TopicList => "topics.schema.json",
        Kind::Snapshot => "snapshot.schema.json",
        Kind::Fleet => "fleet.schema.json",
    };
    let (_, text) = crate::schema::all().into_iter().find(|(n, _)| *n == name).expect("every kind has a schema");
    out.write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}
