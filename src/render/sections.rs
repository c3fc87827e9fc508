//! The per-topic view shared by the text and Markdown renderers: each topic's changes as a diff of its
//! YAML form, with notes on pins and fallbacks, and its risk.
//!
//! The diff is built per key rather than by a text diff of two documents: a key's old and new lines
//! then always stand together (`- retention.ms: 1` above `+ retention.ms: 2`), which a line diff of
//! whole documents does not promise.

use crate::catalog::human;
use crate::live::{ConfigSource, Effective, Fact};
use crate::plan::data::Impact;
use crate::plan::{Change, DeleteReason, Plan, Risk};

/// What happens to a topic as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Create,
    Change,
    Delete,
}

/// Whether a diff line is added, removed or context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Add,
    Remove,
    Context,
}

/// One line of a topic's diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub tag: Tag,
    pub text: String,
}

impl Line {
    fn new(tag: Tag, text: impl Into<String>) -> Self {
        Line { tag, text: text.into() }
    }
}

/// How many per-partition placement lines a topic's diff shows before summing up the rest.
const MOVES_SHOWN: usize = 12;

/// Everything the renderers show about one topic.
#[derive(Debug, Clone)]
pub(crate) struct Section<'a> {
    pub topic: &'a str,
    pub action: Action,
    pub risk: Risk,
    pub lines: Vec<Line>,
    /// `(what, why)` for every change that is not safe.
    pub cautions: Vec<(String, &'static str)>,
    /// What the changes do to the topic's data, one fact per line; the first line sums it up.
    pub data: Vec<String>,
}

/// The plan's topics in order, each with its diff.
pub(crate) fn sections(plan: &Plan) -> Vec<Section<'_>> {
    let mut out: Vec<Section<'_>> = Vec::new();
    // Changes are sorted by topic, so each topic's changes are adjacent.
    for change in &plan.changes {
        match out.last_mut() {
            Some(section) if section.topic == change.topic() => add(section, change),
            _ => {
                let mut section = Section {
                    topic: change.topic(),
                    action: Action::Change,
                    risk: Risk::Safe,
                    lines: vec![Line::new(Tag::Context, format!("name: {}", change.topic()))],
                    cautions: Vec::new(),
                    data: plan.data.get(change.topic()).map(data_lines).unwrap_or_default(),
                };
                add(&mut section, change);
                out.push(section);
            }
        }
    }
    out
}

/// `what unknown (not authorised)`, or what `known` says of the value.
fn fact<T>(f: &Fact<T>, what: &str, known: impl FnOnce(&T) -> String) -> String {
    match f {
        Fact::Known(v) => known(v),
        Fact::Unknown(why) => format!("{what} {why}"),
    }
}

/// The data facts of a topic, in words: a summary line (size, records, last write, active groups), each
/// group with its lag, and the estimate of a retention cut.
fn data_lines(i: &Impact) -> Vec<String> {
    let size = fact(&i.size, "size", |s| {
        format!(
            "{} on {} replica(s) ({} on the leaders)",
            human::bytes(s.all_replicas_bytes),
            s.replicas,
            human::bytes(s.leader_bytes)
        )
    });
    let records = fact(&i.records, "records", |n| format!("{} records", human::count(*n)));
    let last_write = fact(&i.last_write, "last write", |w| match w.age_ms {
        Some(age) => format!("last write {} ago", human::duration(age)),
        None => "never written".into(),
    });
    let groups = fact(&i.groups, "consumer groups", |gs| {
        let active: Vec<&str> = gs.iter().filter(|g| g.active).map(|g| g.group.as_str()).collect();
        match (gs.len(), active.len()) {
            (0, _) => "no consumer group".into(),
            (_, 0) => format!("{} consumer group(s), none active", gs.len()),
            (_, n) => format!("{n} consumer group(s) active ({})", active.join(", ")),
        }
    });
    let mut out = vec![format!("data: {size}, {records}, {last_write}, {groups}")];
    if let Fact::Known(gs) = &i.groups {
        for g in gs {
            // With the offsets known, no lag means no commit: a group that commits by hand, or not yet.
            let lag = match (g.lag, i.records.known()) {
                (Some(l), _) => format!("lag {} records", human::count(l)),
                (None, Some(_)) => "nothing committed".to_owned(),
                (None, None) => "lag unknown".to_owned(),
            };
            let state = if g.active { "active" } else { "no members" };
            let members = match g.members {
                0 => String::new(),
                n => format!(", {n} member(s) reading it"),
            };
            out.push(format!("group {}: {state} ({}){members}, {lag}", g.group, g.state));
        }
    }
    const ESTIMATE: &str =
        "an estimate: the broker deletes whole segments, never the active one, so less may go at once";
    if let Some(cut) = &i.retention_ms_cut {
        out.push(fact(cut, "retention.ms cut: what goes is", |c| {
            format!(
                "retention.ms cut to {}: about {} records ({}) older than that become eligible for deletion at once; {ESTIMATE}",
                human::exact_duration(c.retention_ms),
                human::count(c.records),
                human::bytes(c.bytes)
            )
        }));
    }
    if let Some(cut) = &i.retention_bytes_cut {
        out.push(fact(cut, "retention.bytes cut: what goes is", |c| {
            format!(
                "retention.bytes cut to {} per partition: {} partition(s) over it, by {} together, eligible for deletion at once; {ESTIMATE}",
                human::bytes(c.retention_bytes.max(0) as u64),
                c.partitions_over,
                human::bytes(c.bytes_over)
            )
        }));
    }
    out
}

/// A config value with its human reading when it is a duration or a size: `604800000 (7d)`.
pub(crate) fn valued(key: &str, value: &str) -> String {
    match human::config_value(key, value) {
        Some(h) => format!("{} ({h})", yaml_scalar(value)),
        None => yaml_scalar(value),
    }
}

fn add(section: &mut Section<'_>, change: &Change) {
    let (risk, why) = change.risk();
    section.risk = section.risk.max(risk);
    let config_line = |section: &mut Section<'_>, tag: Tag, text: String| {
        let header = section.lines.iter().any(|l| l.text == "config:");
        if !header {
            let tag = if section.action == Action::Create { Tag::Add } else { Tag::Context };
            section.lines.push(Line::new(tag, "config:"));
        }
        section.lines.push(Line::new(tag, format!("  {text}")));
    };
    match change {
        Change::CreateTopic { partitions, replication_factor, configs, .. } => {
            section.action = Action::Create;
            section.lines[0].tag = Tag::Add;
            section.lines.push(Line::new(Tag::Add, format!("partitions: {partitions}")));
            section.lines.push(Line::new(
                Tag::Add,
                match replication_factor {
                    Some(rf) => format!("replicationFactor: {rf}"),
                    None => "replicationFactor: null  # the broker's default.replication.factor".into(),
                },
            ));
            for (k, v) in configs {
                config_line(section, Tag::Add, format!("{k}: {}", valued(k, v)));
            }
        }
        Change::AddPartitions { from, to, assignments, .. } => {
            section.lines.push(Line::new(Tag::Remove, format!("partitions: {from}")));
            section.lines.push(Line::new(Tag::Add, format!("partitions: {to}")));
            for (i, replicas) in assignments.iter().enumerate().take(MOVES_SHOWN) {
                let list = replicas.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
                section.lines.push(Line::new(
                    Tag::Context,
                    format!("# new partition {}: replicas [{list}]", *from as usize + i),
                ));
            }
            if assignments.len() > MOVES_SHOWN {
                section.lines.push(Line::new(
                    Tag::Context,
                    format!("# ... and {} more partitions", assignments.len() - MOVES_SHOWN),
                ));
            }
            if let Some(why) = why {
                section.cautions.push((format!("partitions {from} -> {to}"), why));
            }
        }
        Change::SetConfig { key, before, after, .. } => {
            match before {
                Some(e) if e.source == ConfigSource::TopicOverride => {
                    config_line(section, Tag::Remove, format!("{key}: {}", shown(key, e.value.as_deref())));
                    config_line(section, Tag::Add, format!("{key}: {}", valued(key, after)));
                }
                Some(e) => config_line(
                    section,
                    Tag::Add,
                    format!(
                        "{key}: {}  # was {}, inherited from the {}",
                        valued(key, after),
                        shown(key, e.value.as_deref()),
                        e.source
                    ),
                ),
                None => config_line(section, Tag::Add, format!("{key}: {}", valued(key, after))),
            }
            if let Some(why) = why {
                section.cautions.push((key.clone(), why));
            }
        }
        Change::PinConfig { key, value, inherited_from, .. } => config_line(
            section,
            Tag::Add,
            format!("{key}: {}  # pin: the value it already inherits from the {inherited_from}", valued(key, value)),
        ),
        Change::ChangeReplicationFactor { from, to, moves, .. } => {
            section.lines.push(Line::new(Tag::Remove, format!("replicationFactor: {from}")));
            section.lines.push(Line::new(Tag::Add, format!("replicationFactor: {to}")));
            // The per-partition moves, which reviewers check against their racks; long lists are cut.
            let list = |v: &[i32]| v.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
            for m in moves.iter().take(MOVES_SHOWN) {
                section.lines.push(Line::new(
                    Tag::Context,
                    format!("# partition {}: replicas [{}] -> [{}]", m.partition, list(&m.from), list(&m.to)),
                ));
            }
            if moves.len() > MOVES_SHOWN {
                section
                    .lines
                    .push(Line::new(Tag::Context, format!("# ... and {} more partitions", moves.len() - MOVES_SHOWN)));
            }
            if let Some(why) = why {
                section.cautions.push((format!("replicationFactor {from} -> {to}"), why));
            }
        }
        Change::AwaitReassignment { partitions, .. } => {
            let list = partitions.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
            section
                .lines
                .push(Line::new(Tag::Context, format!("# still moving: partitions [{list}]; apply waits for them")));
            if let Some(why) = why {
                section.cautions.push(("reassignment in progress".into(), why));
            }
        }
        Change::RemoveThrottle { brokers, .. } => {
            let list = brokers.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
            section.lines.push(Line::new(
                Tag::Remove,
                format!("# replication throttle: the topic's throttled replicas, and the rate on brokers [{list}]"),
            ));
        }
        Change::DeleteTopic { partitions, reason, .. } => {
            section.action = Action::Delete;
            section.lines[0].tag = Tag::Remove;
            section.lines.push(Line::new(Tag::Remove, format!("partitions: {partitions}")));
            let why = match reason {
                DeleteReason::Declared => "declared with `delete: true`",
                DeleteReason::Pruned => "in `owns` but in no file, and --prune was given",
            };
            section.lines.push(Line::new(Tag::Remove, format!("# deleted with all its data: {why}")));
        }
        Change::UnsetConfig { key, before, after, .. } => {
            config_line(
                section,
                Tag::Remove,
                format!("{key}: {}  # unset: {}", shown(key, before.as_deref()), fallback_note(key, after.as_ref())),
            );
            if let Some(why) = why {
                section.cautions.push((key.clone(), why));
            }
        }
    }
}

fn fallback_note(key: &str, fallback: Option<&Effective>) -> String {
    match fallback {
        Some(Effective { value: Some(v), source }) => format!("falls back to {} from the {source}", valued(key, v)),
        Some(Effective { value: None, source }) => format!("falls back to the {source}"),
        None => "falls back to the broker's value".into(),
    }
}

fn shown(key: &str, value: Option<&str>) -> String {
    value.map_or_else(|| "(sensitive)".to_owned(), |v| valued(key, v))
}

/// A value as a YAML scalar: quoted when YAML would read it as something else.
pub fn yaml_scalar(value: &str) -> String {
    // `-`, `?` and `:` start a plain scalar when a non-space follows (`-1`), and only then.
    let indicator = value.starts_with(|c: char| " ,[]{}#&*!|>'\"%@`".contains(c))
        || (value.starts_with(['-', '?', ':']) && !value[1..].starts_with(|c: char| !c.is_whitespace()));
    let plain = !value.is_empty()
        && !indicator
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.ends_with([' ', ':']);
    if plain { value.to_owned() } else { format!("'{}'", value.replace('\'', "''")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_scalars() {
        assert_eq!(yaml_scalar("delete"), "delete");
        assert_eq!(yaml_scalar("compact,delete"), "compact,delete");
        assert_eq!(yaml_scalar("*"), "'*'");
        assert_eq!(yaml_scalar(""), "''");
        assert_eq!(yaml_scalar("a: b"), "'a: b'");
        assert_eq!(yaml_scalar("it's"), "it's");
        assert_eq!(yaml_scalar("-1"), "-1");
        assert_eq!(yaml_scalar("-"), "'-'");
        assert_eq!(yaml_scalar("- a"), "'- a'");
    }
}
