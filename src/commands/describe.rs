//! `describe`: topics as `kafka-topics --describe` shows them: partitions, leaders, replicas, ISR,
//! overrides.

use std::io::Write;

use super::list::Format;
use super::{Common, Target, read_cluster};
use crate::cluster::Connect;
use crate::plan::ExitStatus;
use crate::render;
use crate::report::Reporter;

/// Settings of `describe`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The topics.
    pub topics: Vec<String>,
    /// The cluster.
    pub target: Target,
    /// Only topics whose names match.
    pub matching: Option<regex::Regex>,
    /// How to print.
    pub format: Format,
}

/// Runs `describe`; fails when a named topic does not exist.
pub async fn run(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    out: &mut dyn Write,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ExitStatus> {
    let Settings { topics, target, matching, format } = settings;
    let Some((live, _)) = read_cluster(common, &target, matching.as_ref(), Some(&topics), connect, reporter).await?
    else {
        return Ok(ExitStatus::Failure);
    };
    match format {
        Format::Text => render::topics::describe(&live, &topics, common.style, out)?,
        Format::Json => render::topics::json(&live, out)?,
    }
    let missing = topics.iter().any(|n| !live.topics.contains_key(n));
    Ok(if missing { ExitStatus::Failure } else { ExitStatus::Success })
}
