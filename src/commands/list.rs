//! `list`: the cluster's topics, as `kafka-topics --list` shows them, with their health.

use std::io::Write;

use super::{Common, Target, read_cluster};
use crate::cluster::Connect;
use crate::plan::ExitStatus;
use crate::render;
use crate::report::Reporter;

/// Formats of `list` and `describe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table.
    Text,
    /// JSON; see `schemas/topics.schema.json`.
    Json,
}

/// Settings of `list`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The cluster.
    pub target: Target,
    /// Only topics whose names match.
    pub matching: Option<regex::Regex>,
    /// How to print.
    pub format: Format,
}

/// Runs `list`.
pub async fn run(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    out: &mut dyn Write,
    reporter: &mut dyn Reporter,
) -> anyhow::Result<ExitStatus> {
    run_keeping(common, settings, connect, out, reporter, &mut None).await
}

/// [`run`], keeping the topics in `kept` (for a fleet's report).
pub(crate) async fn run_keeping(
    common: &Common,
    settings: Settings,
    connect: &impl Connect,
    out: &mut dyn Write,
    reporter: &mut dyn Reporter,
    kept: &mut Option<render::topics::TopicsView>,
) -> anyhow::Result<ExitStatus> {
    let Settings { target, matching, format } = settings;
    let Some((live, _)) = read_cluster(common, &target, matching.as_ref(), None, connect, reporter).await? else {
        return Ok(ExitStatus::Failure);
    };
    match format {
        Format::Text => render::topics::list(&live, common.style, out)?,
        Format::Json => render::topics::json(&live, out)?,
    }
    *kept = Some(render::topics::TopicsView::of(&live));
    Ok(ExitStatus::Success)
}
