//! A run over several clusters: the report's data ([`FleetReport`]: one entry per cluster, and how the
//! whole run ends), one section per cluster (its body drawn by the command's own renderer, so a
//! cluster's section reads as its single-cluster output does), then a summary table. JSON is the
//! [`FleetReport`] itself (`schemas/fleet.schema.json`).

use std::io::{self, Write};

use schemars::JsonSchema;
use serde::Serialize;

use super::Style;
use super::escape::{code, markdown as md, terminal as t};
use super::topics::TopicsView;
use crate::plan::{ExitStatus, Plan};

/// Bump when a consumer of the fleet JSON would break.
pub const FORMAT_VERSION: u32 = 1;

/// Which command a fleet report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FleetCommand {
    /// `plan`.
    Plan,
    /// `list`.
    List,
    /// `snapshot`.
    Snapshot,
    /// `validate`.
    Validate,
    /// `apply`.
    Apply,
}

/// How one cluster's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Done; nothing pending.
    Ok,
    /// Done; changes are pending (plan).
    Changes,
    /// It failed: unreachable, problems in the files, blocked changes, a failed apply.
    Failed,
    /// Not run: an earlier cluster failed (apply stops at the first failure), or the run was interrupted.
    Skipped,
}

/// One cluster's entry of a fleet report.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterReport {
    /// Its name in the project file (never its address).
    pub cluster: String,
    /// How it ended.
    pub status: Status,
    /// Why it failed, when it did: one sentence that names no secret (problems in the files are on
    /// stderr, with their locations).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long it took, in milliseconds.
    pub duration_ms: u64,
    /// Its plan (`plan`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// Its topics (`list`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topics: Option<TopicsView>,
    /// Topics checked or recorded (`validate`, `snapshot`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_count: Option<usize>,
}

impl ClusterReport {
    /// An entry with nothing but its name and status.
    pub fn new(cluster: &str, status: Status) -> Self {
        ClusterReport {
            cluster: cluster.to_owned(),
            status,
            error: None,
            duration_ms: 0,
            plan: None,
            topics: None,
            topic_count: None,
        }
    }
}

/// Counts over the fleet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FleetSummary {
    /// Clusters selected.
    pub clusters: usize,
    /// Done with nothing pending.
    pub ok: usize,
    /// Done with changes pending.
    pub changes: usize,
    /// Failed.
    pub failed: usize,
    /// Not run.
    pub skipped: usize,
}

/// The report of a run over several clusters: one JSON document (`schemas/fleet.schema.json`).
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FleetReport {
    /// The format's version.
    pub format_version: u32,
    /// The command.
    pub command: FleetCommand,
    /// One entry per cluster, in the order selected.
    pub clusters: Vec<ClusterReport>,
    /// Counts.
    pub summary: FleetSummary,
}

impl FleetReport {
    /// The report of `clusters`.
    pub fn new(command: FleetCommand, clusters: Vec<ClusterReport>) -> Self {
        let count = |s: Status| clusters.iter().filter(|c| c.status == s).count();
        let summary = FleetSummary {
            clusters: clusters.len(),
            ok: count(Status::Ok),
            changes: count(Status::Changes),
            failed: count(Status::Failed),
            skipped: count(Status::Skipped),
        };
        FleetReport { format_version: FORMAT_VERSION, command, clusters, summary }
    }

    /// How the run ends: a failure if any cluster failed or was skipped, else changes pending if any
    /// has changes (and `detailed_exitcode` asks to say so), else success.
    pub fn exit_status(&self, detailed_exitcode: bool) -> ExitStatus {
        if self.summary.failed > 0 || self.summary.skipped > 0 {
            ExitStatus::Failure
        } else if self.summary.changes > 0 && detailed_exitcode {
            ExitStatus::ChangesPending
        } else {
            ExitStatus::Success
        }
    }
}

const GREEN: &str = "32";
const YELLOW: &str = "33";
const RED: &str = "31";

fn status_word(status: Status) -> &'static str {
    match status {
        Status::Ok => "ok",
        Status::Changes => "changes",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
    }
}

fn painted(status: Status, style: Style) -> String {
    let code = match status {
        Status::Ok => GREEN,
        Status::Changes => YELLOW,
        Status::Failed | Status::Skipped => RED,
    };
    style.paint(code, status_word(status))
}

/// The summary line: `Fleet: 3 cluster(s): 1 ok, 1 with changes, 1 failed.`
pub fn summary_line(report: &FleetReport) -> String {
    let s = report.summary;
    let mut line = format!("Fleet: {} cluster(s): {} ok", s.clusters, s.ok);
    if report.command == FleetCommand::Plan {
        line += &format!(", {} with changes", s.changes);
    }
    line += &format!(", {} failed", s.failed);
    if s.skipped > 0 {
        line += &format!(", {} skipped", s.skipped);
    }
    line + "."
}

/// The table's columns after CLUSTER and STATUS, and one row's values.
fn columns(command: FleetCommand) -> &'static [&'static str] {
    match command {
        FleetCommand::Plan => &["CREATE", "CHANGE", "DELETE", "BLOCKED", "UNMANAGED"],
        // Each cluster's section says what was applied.
        FleetCommand::Apply => &[],
        FleetCommand::List | FleetCommand::Snapshot | FleetCommand::Validate => &["TOPICS"],
    }
}

fn cells(command: FleetCommand, c: &ClusterReport) -> Vec<String> {
    let dash = || "-".to_owned();
    match command {
        FleetCommand::Apply => Vec::new(),
        FleetCommand::Plan => match &c.plan {
            Some(plan) => {
                let s = plan.summary();
                [s.create, s.change, s.delete, s.blocked, s.unmanaged].iter().map(usize::to_string).collect()
            }
            None => vec![dash(); 5],
        },
        FleetCommand::List | FleetCommand::Snapshot | FleetCommand::Validate => {
            let n = c.topics.as_ref().map(|t| t.topics.len()).or(c.topic_count);
            vec![n.map_or_else(dash, |n| n.to_string())]
        }
    }
}

/// Writes each cluster's section (`bodies[i]` is cluster `i`'s single-cluster output), then the summary
/// line and table.
pub fn text(report: &FleetReport, bodies: &[Vec<u8>], style: Style, out: &mut dyn Write) -> io::Result<()> {
    for (c, body) in report.clusters.iter().zip(bodies) {
        section_start(&c.cluster, style, out)?;
        out.write_all(body)?;
        section_end(c, style, out)?;
    }
    summary(report, style, out)
}

/// The heading of a cluster's section.
pub fn section_start(cluster: &str, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", style.paint("1", &format!("== Cluster `{}` ==", t(cluster))))
}

/// The end of a cluster's section: why it failed, if it did, and a blank line.
pub fn section_end(c: &ClusterReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    if let Some(error) = &c.error {
        writeln!(out, "{}: {}", painted(c.status, style), t(error))?;
    }
    writeln!(out)
}

/// The summary line and table.
pub fn summary(report: &FleetReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", summary_line(report))?;
    let mut header = vec!["CLUSTER".to_owned(), "STATUS".to_owned()];
    header.extend(columns(report.command).iter().map(|c| c.to_string()));
    header.push("TIME".to_owned());
    let rows: Vec<Vec<String>> = report
        .clusters
        .iter()
        .map(|c| {
            let mut row = vec![t(&c.cluster).into_owned(), status_word(c.status).to_owned()];
            row.extend(cells(report.command, c));
            row.push(format!("{:.1}s", c.duration_ms as f64 / 1000.0));
            row
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().map(|r| r[i].len()).chain([header[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |row: &[String], status: Option<Status>| {
        let mut text = String::new();
        for (i, cell) in row.iter().enumerate() {
            let padded = format!("{cell:width$}", width = widths[i]);
            match (i, status) {
                (1, Some(s)) => text += &padded.replacen(cell, &painted(s, style), 1),
                _ => text += &padded,
            }
            if i + 1 < row.len() {
                text += "  ";
            }
        }
        text.trim_end().to_owned()
    };
    writeln!(out, "{}", line(&header, None))?;
    for (row, c) in rows.iter().zip(&report.clusters) {
        writeln!(out, "{}", line(row, Some(c.status)))?;
    }
    Ok(())
}

/// Writes the summary table, then each cluster's section under its own heading (`bodies[i]` is cluster
/// `i`'s single-cluster Markdown).
pub fn markdown(report: &FleetReport, bodies: &[Vec<u8>], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "# topicform fleet {}", command_word(report.command))?;
    writeln!(out)?;
    writeln!(out, "{}", summary_line(report))?;
    writeln!(out)?;
    let mut header = vec!["Cluster".to_owned(), "Status".to_owned()];
    header.extend(columns(report.command).iter().map(|c| title(c)));
    writeln!(out, "| {} |", header.join(" | "))?;
    writeln!(out, "|{}", "---|".repeat(header.len()))?;
    for c in &report.clusters {
        let mut row = vec![code(&c.cluster), status_word(c.status).to_owned()];
        row.extend(cells(report.command, c));
        writeln!(out, "| {} |", row.join(" | "))?;
    }
    for (c, body) in report.clusters.iter().zip(bodies) {
        writeln!(out)?;
        writeln!(out, "## Cluster {}", code(&c.cluster))?;
        writeln!(out)?;
        if let Some(error) = &c.error {
            writeln!(out, "**{}**: {}", status_word(c.status), md(error))?;
            writeln!(out)?;
        }
        out.write_all(body)?;
    }
    Ok(())
}

/// Writes the report as pretty JSON followed by a newline.
pub fn json(report: &FleetReport, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

fn command_word(command: FleetCommand) -> &'static str {
    match command {
        FleetCommand::Plan => "plan",
        FleetCommand::List => "list",
        FleetCommand::Snapshot => "snapshot",
        FleetCommand::Validate => "validate",
        FleetCommand::Apply => "apply",
    }
}

fn title(column: &str) -> String {
    let lower = column.to_lowercase();
    let mut chars = lower.chars();
    chars.next().map(|c| c.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;
    use crate::plan::Change;

    fn report() -> (FleetReport, Vec<Vec<u8>>) {
        let mut dev = ClusterReport::new("dev", Status::Ok);
        dev.plan = Some(Plan::new(vec![], vec![]));
        dev.duration_ms = 120;
        let mut prod = ClusterReport::new("prod", Status::Changes);
        prod.plan = Some(Plan::new(
            vec![Change::AddPartitions { topic: "orders".into(), from: 3, to: 6, assignments: vec![] }],
            vec![],
        ));
        prod.duration_ms = 1530;
        let mut gone = ClusterReport::new("gone", Status::Failed);
        gone.error = Some("cannot describe cluster `gone` at 127.0.0.1:1: Metadata failed".into());
        let report = FleetReport::new(FleetCommand::Plan, vec![dev, prod, gone]);
        let bodies =
            vec![b"No changes.\n".to_vec(), b"Plan: 0 to create, 1 to change, 0 to delete.\n".to_vec(), vec![]];
        (report, bodies)
    }

    #[test]
    fn the_exit_status_aggregates() {
        let report = |statuses: &[Status]| {
            FleetReport::new(FleetCommand::Plan, statuses.iter().map(|s| ClusterReport::new("c", *s)).collect())
        };
        use Status::*;
        let cases = [
            (vec![Ok, Ok], false, ExitStatus::Success),
            (vec![Ok, Changes], false, ExitStatus::Success),
            (vec![Ok, Changes], true, ExitStatus::ChangesPending),
            (vec![Changes, Failed], true, ExitStatus::Failure),
            (vec![Ok, Failed], false, ExitStatus::Failure),
            (vec![Failed, Skipped], false, ExitStatus::Failure),
        ];
        for (statuses, detailed, want) in cases {
            assert_eq!(report(&statuses).exit_status(detailed), want, "{statuses:?} {detailed}");
        }
        let r = report(&[Ok, Changes, Failed, Skipped]);
        assert_eq!(r.summary, FleetSummary { clusters: 4, ok: 1, changes: 1, failed: 1, skipped: 1 });
    }

    #[test]
    fn text_has_a_section_per_cluster_and_a_table() {
        let (report, bodies) = report();
        let mut out = Vec::new();
        text(&report, &bodies, Style::default(), &mut out).unwrap();
        assert_snapshot!(String::from_utf8(out).unwrap(), @r"
        == Cluster `dev` ==
        No changes.

        == Cluster `prod` ==
        Plan: 0 to create, 1 to change, 0 to delete.

        == Cluster `gone` ==
        failed: cannot describe cluster `gone` at 127.0.0.1:1: Metadata failed

        Fleet: 3 cluster(s): 1 ok, 1 with changes, 1 failed.
        CLUSTER  STATUS   CREATE  CHANGE  DELETE  BLOCKED  UNMANAGED  TIME
        dev      ok       0       0       0       0        0          0.1s
        prod     changes  0       1       0       0        0          1.5s
        gone     failed   -       -       -       -        -          0.0s
        ");
    }

    #[test]
    fn markdown_has_the_table_first() {
        let (report, bodies) = report();
        let mut out = Vec::new();
        markdown(&report, &bodies, &mut out).unwrap();
        assert_snapshot!(String::from_utf8(out).unwrap(), @r"
        # topicform fleet plan

        Fleet: 3 cluster(s): 1 ok, 1 with changes, 1 failed.

        | Cluster | Status | Create | Change | Delete | Blocked | Unmanaged |
        |---|---|---|---|---|---|---|
        | `dev` | ok | 0 | 0 | 0 | 0 | 0 |
        | `prod` | changes | 0 | 1 | 0 | 0 | 0 |
        | `gone` | failed | - | - | - | - | - |

        ## Cluster `dev`

        No changes.

        ## Cluster `prod`

        Plan: 0 to create, 1 to change, 0 to delete.

        ## Cluster `gone`

        **failed**: cannot describe cluster &#96;gone&#96; at 127.0.0.1:1: Metadata failed

        ");
    }
}
