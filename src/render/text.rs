//! Plans and apply reports for terminals and CI logs.

use std::io::{self, Write};

use crate::apply::{ApplyReport, Verify};
use crate::plan::{Change, Plan};

use super::Style;

const GREEN: &str = "32";
const YELLOW: &str = "33";
const RED: &str = "31";
const BOLD_RED: &str = "1;31";

/// Writes the plan: a summary line, then each topic's changes, then anything blocked.
pub fn text(plan: &Plan, style: Style, out: &mut dyn Write) -> io::Result<()> {
    if plan.is_empty() {
        return writeln!(out, "No changes. The cluster matches the files.");
    }
    let s = plan.summary();
    writeln!(out, "Plan: {} to create, {} to change, {} to delete.", s.create, s.change, s.delete)?;

    let mut current: Option<&str> = None;
    for change in &plan.changes {
        let topic = change.topic();
        if current != Some(topic) {
            current = Some(topic);
            writeln!(out)?;
            if !matches!(change, Change::CreateTopic { .. }) {
                writeln!(out, "{} topic {topic}", style.paint(YELLOW, "~"))?;
            }
        }
        change_lines(change, style, out)?;
    }

    if !plan.blocked.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            style.paint(BOLD_RED, "Blocked: these changes cannot be made, so nothing will be applied.")
        )?;
        for b in &plan.blocked {
            let at = b.declared_at.as_ref().map(|l| format!(" ({l})")).unwrap_or_default();
            writeln!(out, "{} topic {}{at}: {}", style.paint(BOLD_RED, "!"), b.topic, b.reason)?;
        }
    }
    Ok(())
}

fn change_lines(change: &Change, style: Style, out: &mut dyn Write) -> io::Result<()> {
    match change {
        Change::CreateTopic { topic, partitions, replication_factor, configs } => {
            writeln!(out, "{} topic {topic}", style.paint(GREEN, "+"))?;
            writeln!(out, "    partitions: {partitions}")?;
            match replication_factor {
                Some(rf) => writeln!(out, "    replicationFactor: {rf}")?,
                None => writeln!(out, "    replicationFactor: (broker default)")?,
            }
            if !configs.is_empty() {
                writeln!(out, "    config:")?;
                for (k, v) in configs {
                    writeln!(out, "      {k}: {v}")?;
                }
            }
        }
        Change::AddPartitions { from, to, .. } => {
            writeln!(out, "    {} partitions: {from} -> {to}", style.paint(YELLOW, "~"))?;
        }
        Change::SetConfig { key, before: Some(before), after, .. } => {
            writeln!(out, "    {} config {key}: {before} -> {after}", style.paint(YELLOW, "~"))?;
        }
        Change::SetConfig { key, before: None, after, .. } => {
            writeln!(out, "    {} config {key}: {after}", style.paint(GREEN, "+"))?;
        }
        Change::UnsetConfig { key, before, .. } => {
            let value = before.as_deref().unwrap_or("(sensitive)");
            writeln!(
                out,
                "    {} config {key}: {value} (override removed; the broker's value applies)",
                style.paint(RED, "-")
            )?;
        }
    }
    Ok(())
}

/// Writes what apply did: each failure, then the result of verification.
pub fn apply_report(report: &ApplyReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let total = report.outcomes.len();
    let failed: Vec<_> = report.failures().collect();
    writeln!(out, "Applied {} of {total} change(s).", total - failed.len())?;
    for (change, err) in &failed {
        writeln!(out, "{} {}: {err}", style.paint(BOLD_RED, "failed:"), describe(change))?;
    }
    match &report.verify {
        Verify::Converged => writeln!(out, "Verified: the cluster matches the files."),
        Verify::NotConverged(rest) => {
            writeln!(out, "{}", style.paint(BOLD_RED, "Not converged: a fresh plan still has changes:"))?;
            text(rest, style, out)
        }
        Verify::Failed(e) => {
            writeln!(out, "{} cannot describe the cluster: {e}", style.paint(BOLD_RED, "Not verified:"))
        }
    }
}

fn describe(change: &Change) -> String {
    match change {
        Change::CreateTopic { topic, .. } => format!("create topic {topic}"),
        Change::AddPartitions { topic, from, to } => format!("add partitions to {topic} ({from} -> {to})"),
        Change::SetConfig { topic, key, .. } => format!("set {key} on {topic}"),
        Change::UnsetConfig { topic, key, .. } => format!("unset {key} on {topic}"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use insta::assert_snapshot;

    use super::*;
    use crate::plan::{Blocked, BlockedReason};

    fn render(plan: &Plan) -> String {
        let mut out = Vec::new();
        text(plan, Style::default(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn mixed() -> Plan {
        Plan::new(
            vec![
                Change::CreateTopic {
                    topic: "payments.transactions.v1".into(),
                    partitions: 12,
                    replication_factor: Some(3),
                    configs: BTreeMap::from([
                        ("cleanup.policy".into(), "delete".into()),
                        ("retention.ms".into(), "604800000".into()),
                    ]),
                },
                Change::AddPartitions { topic: "payments.ledger.v1".into(), from: 3, to: 6 },
                Change::SetConfig {
                    topic: "payments.ledger.v1".into(),
                    key: "retention.ms".into(),
                    before: Some("86400000".into()),
                    after: "604800000".into(),
                },
                Change::SetConfig {
                    topic: "payments.ledger.v1".into(),
                    key: "max.message.bytes".into(),
                    before: None,
                    after: "2097152".into(),
                },
                Change::UnsetConfig {
                    topic: "payments.ledger.v1".into(),
                    key: "segment.ms".into(),
                    before: Some("3600000".into()),
                },
            ],
            vec![],
        )
    }

    #[test]
    fn empty_plan() {
        assert_snapshot!(render(&Plan::new(vec![], vec![])), @"No changes. The cluster matches the files.");
    }

    #[test]
    fn mixed_plan() {
        assert_snapshot!(render(&mixed()), @r"
        Plan: 1 to create, 1 to change, 0 to delete.

        ~ topic payments.ledger.v1
            ~ partitions: 3 -> 6
            + config max.message.bytes: 2097152
            ~ config retention.ms: 86400000 -> 604800000
            - config segment.ms: 3600000 (override removed; the broker's value applies)

        + topic payments.transactions.v1
            partitions: 12
            replicationFactor: 3
            config:
              cleanup.policy: delete
              retention.ms: 604800000
        ");
    }

    #[test]
    fn blocked_plan() {
        let plan = Plan::new(
            vec![],
            vec![Blocked {
                topic: "orders".into(),
                reason: BlockedReason::PartitionDecrease { declared: 3, live: 6 },
                declared_at: None,
            }],
        );
        assert_snapshot!(render(&plan), @r"
        Plan: 0 to create, 0 to change, 0 to delete.

        Blocked: these changes cannot be made, so nothing will be applied.
        ! topic orders: declares 3 partitions but the topic has 6; Kafka cannot remove partitions, and topicform never deletes and recreates a topic to do it
        ");
    }

    #[test]
    fn color_only_when_asked() {
        let mut out = Vec::new();
        text(&mixed(), Style { color: true }, &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("\x1b[32m+\x1b[0m"));
        assert!(!render(&mixed()).contains('\x1b'));
    }
}
