//! Plans and apply reports for terminals and CI logs.

use std::io::{self, Write};

use super::Style;
use super::escape::terminal as t;
use super::sections::{Action, Tag, sections};
use crate::apply::{ApplyReport, Verify};
use crate::plan::{Change, Plan, Risk};

const GREEN: &str = "32";
const YELLOW: &str = "33";
const RED: &str = "31";
const BOLD_RED: &str = "1;31";

/// The summary line: `Plan: 1 to create, 2 to change, 0 to delete; 3 unmanaged.`
pub(crate) fn summary_line(plan: &Plan) -> String {
    let s = plan.summary();
    let mut line = format!("Plan: {} to create, {} to change, {} to delete", s.create, s.change, s.delete);
    if s.unmanaged > 0 {
        line += &format!("; {} unmanaged", s.unmanaged);
    }
    if s.blocked > 0 {
        line += &format!("; {} blocked", s.blocked);
    }
    line + "."
}

/// Writes the plan: a summary line, each topic's changes as a diff of its YAML form with its risk
/// class, then anything blocked, kept or unmanaged.
pub fn text(plan: &Plan, style: Style, out: &mut dyn Write) -> io::Result<()> {
    if let Some(basis) = &plan.basis {
        writeln!(out, "{}", basis_line(basis, |s| format!("`{}`", t(s)), |s| t(s).into_owned()))?;
    }
    if plan.is_empty() {
        writeln!(out, "No changes. The cluster matches the files.")?;
    } else {
        writeln!(out, "{}", summary_line(plan))?;
    }
    for section in sections(plan) {
        writeln!(out)?;
        let (sign, color, verb) = match section.action {
            Action::Create => ("+", GREEN, "create"),
            Action::Change => ("~", YELLOW, "change"),
            Action::Delete => ("-", BOLD_RED, "delete"),
        };
        let risk = match section.risk {
            Risk::Safe => style.paint(GREEN, "safe"),
            Risk::Caution => style.paint(YELLOW, "caution"),
            Risk::Destructive => style.paint(BOLD_RED, "destructive"),
        };
        writeln!(out, "{} topic {} ({verb}, {risk})", style.paint(color, sign), t(section.topic))?;
        for line in &section.lines {
            let text = t(&line.text);
            match line.tag {
                Tag::Add => writeln!(out, "  {}", style.paint(GREEN, &format!("+ {text}")))?,
                Tag::Remove => writeln!(out, "  {}", style.paint(RED, &format!("- {text}")))?,
                Tag::Context => writeln!(out, "    {text}")?,
            }
        }
        for line in &section.data {
            writeln!(out, "  {}", t(line))?;
        }
        for (what, why) in &section.cautions {
            writeln!(out, "  {} {}: {why}", style.paint(YELLOW, "caution:"), t(what))?;
        }
    }
    notes(plan, style, out)
}

fn notes(plan: &Plan, style: Style, out: &mut dyn Write) -> io::Result<()> {
    if !plan.blocked.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            style.paint(BOLD_RED, "Blocked: these changes cannot be made, so nothing will be applied.")
        )?;
        for b in &plan.blocked {
            let at = b.declared_at.as_ref().map(|l| format!(" ({l})")).unwrap_or_default();
            let at = t(&at);
            writeln!(out, "{} topic {}{at}: {}", style.paint(BOLD_RED, "!"), t(&b.topic), t(&b.reason.to_string()))?;
        }
    }
    if !plan.kept.is_empty() {
        writeln!(out)?;
        writeln!(out, "Warning: undeclared topic overrides kept (configMode: additive):")?;
        for k in &plan.kept {
            let value =
                k.value.as_deref().map_or_else(|| "(sensitive)".to_owned(), |v| super::sections::valued(&k.key, v));
            writeln!(out, "  topic {} keeps {} = {}", t(&k.topic), t(&k.key), t(&value))?;
        }
    }
    if !plan.unknown.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Warning: overrides of configs topicform does not know{}, kept (declare them under `rawConfig` to manage them):",
            release_note(plan)
        )?;
        for k in &plan.unknown {
            let value = k.value.as_deref().unwrap_or("(sensitive)");
            writeln!(out, "  topic {} keeps {} = {}", t(&k.topic), t(&k.key), t(value))?;
        }
    }
    if !plan.unmanaged.is_empty() {
        writeln!(out)?;
        writeln!(out, "Unmanaged: inside `owns` but declared in no file; never changed:")?;
        for t_ in &plan.unmanaged {
            writeln!(out, "  {}", t(t_))?;
        }
    }
    Ok(())
}

/// Says that a plan was made from a snapshot, when it was taken and how old it was; the snapshot's
/// path and date (outside text) written by `quote` and `text`, escaped for the medium.
pub(crate) fn basis_line(
    basis: &crate::plan::Basis,
    quote: impl Fn(&str) -> String,
    text: impl Fn(&str) -> String,
) -> String {
    let age = basis.age_secs;
    let (n, unit) = if age >= 86_400 {
        (age / 86_400, "d")
    } else if age >= 3600 {
        (age / 3600, "h")
    } else {
        (age / 60, "min")
    };
    format!(
        "Planned from the snapshot {}, taken {} ({n} {unit} before this plan), not from the live cluster; `apply` checks the live cluster.",
        quote(&basis.snapshot),
        text(&basis.taken_at)
    )
}

/// ` for Kafka 4.4`, when the plan knows the cluster's release.
pub(crate) fn release_note(plan: &Plan) -> String {
    plan.kafka_version.map(|r| format!(" for Kafka {}", r.line())).unwrap_or_default()
}

/// Writes what apply did: each failure, topics someone else made meanwhile, what an interruption left
/// undone, then the result of verification.
pub fn apply_report(report: &ApplyReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let total = report.outcomes.len();
    let interrupted = |r: &Result<(), crate::cluster::Error>| {
        r.as_ref().is_err_and(|e| e.code() == Some(&crate::cluster::ErrorCode::Interrupted))
    };
    let failed: Vec<_> =
        report.failures().filter(|(_, e)| e.code() != Some(&crate::cluster::ErrorCode::Interrupted)).collect();
    let undone = report.outcomes.iter().filter(|(_, r)| interrupted(r)).count();
    let existed = report.already_existed.len();
    let applied = total - failed.len() - undone - existed;
    write!(out, "Applied {applied} of {total} change(s)")?;
    if existed > 0 {
        write!(out, "; {existed} topic(s) already existed (made by someone else since the plan)")?;
    }
    writeln!(out, ".")?;
    for topic in &report.already_existed {
        writeln!(out, "  topic {} already existed: verification compares it with the files", t(topic))?;
    }
    for (change, err) in &failed {
        let (what, err) = (describe(change), err.to_string());
        writeln!(out, "{} {}: {}", style.paint(BOLD_RED, "failed:"), t(&what), t(&err))?;
    }
    if report.interrupted {
        writeln!(out, "{}", style.paint(BOLD_RED, "Interrupted before apply was done:"))?;
        for (change, r) in report.outcomes.iter().filter(|(_, r)| interrupted(r)) {
            if let Err(e) = r {
                writeln!(out, "  {}: {}", t(&describe(change)), t(interruption(e)))?;
            }
        }
    }
    let all_applied = failed.is_empty() && undone == 0;
    match &report.verify {
        Verify::Converged => writeln!(out, "Verified: the cluster matches the files."),
        Verify::NotConverged(rest) => {
            writeln!(out, "{}", style.paint(BOLD_RED, "Not converged: a fresh plan still has changes:"))?;
            text(rest, style, out)
        }
        Verify::Failed(e) if all_applied => writeln!(
            out,
            "{} every change was applied, but the cluster could not be described to check it: {e}\n\
             Check with `topicform plan --detailed-exitcode` (exit 0: the cluster matches the files).",
            style.paint(BOLD_RED, "Not verified:"),
            e = t(&e.to_string())
        ),
        Verify::Failed(e) => {
            let e = e.to_string();
            writeln!(out, "{} cannot describe the cluster: {}", style.paint(BOLD_RED, "Not verified:"), t(&e))
        }
        Verify::Skipped(why) => writeln!(out, "Not verified: {why}."),
    }
}

/// What an interruption did to a change: not sent, or sent without an answer.
pub(crate) fn interruption(e: &crate::cluster::Error) -> &str {
    match e {
        crate::cluster::Error::Request { message, .. } => message,
        _ => "interrupted",
    }
}

/// A change in a few words, for reports.
pub fn describe(change: &Change) -> String {
    match change {
        Change::CreateTopic { topic, .. } => format!("create topic {topic}"),
        Change::AddPartitions { topic, from, to, .. } => format!("add partitions to {topic} ({from} -> {to})"),
        Change::SetConfig { topic, key, .. } => format!("set {key} on {topic}"),
        Change::PinConfig { topic, key, .. } => format!("pin {key} on {topic}"),
        Change::UnsetConfig { topic, key, .. } => format!("unset {key} on {topic}"),
        Change::DeleteTopic { topic, .. } => format!("delete topic {topic}"),
        Change::AwaitReassignment { topic, partitions, .. } => {
            format!("wait for {} moving partition(s) of {topic}", partitions.len())
        }
        Change::RemoveThrottle { topic, .. } => format!("remove the replication throttle of {topic}"),
        Change::ChangeReplicationFactor { topic, from, to, .. } => {
            format!("change the replication factor of {topic} ({from} -> {to})")
        }
    }
}
