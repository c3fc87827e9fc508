//! Golden tests of the three renderers on one plan that has every kind of change, every risk class in
//! use, every blocked reason, a kept override and an unmanaged topic; and on the empty plan.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use insta::assert_snapshot;

use super::{Style, json, markdown, text};
use crate::desired::Location;
use crate::live::{ConfigSource, Effective};
use crate::plan::{Blocked, BlockedReason, Change, DeleteReason, Kept, PartitionMove, Plan};

fn effective(value: &str, source: ConfigSource) -> Option<Effective> {
    Some(Effective { value: Some(value.into()), source })
}

/// Data facts of the plan's deletion (in use), its retention cut, and a principal that may not see them.
fn with_data(mut plan: Plan) -> Plan {
    use crate::live::{Fact, Unknown};
    use crate::plan::data::{Group, Impact, LastWrite, Size, TimeCut};
    let hour = 3_600_000;
    let now = 1_764_577_235_000;
    plan.data.insert(
        "payments.tmp".into(),
        Impact {
            size: Fact::Known(Size { all_replicas_bytes: 13_207_024_435, leader_bytes: 4_402_341_478, replicas: 3 }),
            records: Fact::Known(4_100_000),
            last_write: Fact::Known(LastWrite { at_ms: Some(now - 2 * hour), age_ms: Some(2 * hour as u64) }),
            groups: Fact::Known(vec![
                Group { group: "audit".into(), active: true, state: "Stable".into(), members: 1, lag: Some(0) },
                Group { group: "billing".into(), active: true, state: "Stable".into(), members: 3, lag: Some(12_000) },
                // Commits by hand, and has not yet: read by its members alone.
                Group { group: "manual".into(), active: true, state: "Stable".into(), members: 2, lag: None },
                Group { group: "replay".into(), active: false, state: "Empty".into(), members: 0, lag: Some(250_000) },
            ]),
            retention_ms_cut: None,
            retention_bytes_cut: None,
        },
    );
    plan.data.insert(
        "payments.ledger.v1".into(),
        Impact {
            size: Fact::Known(Size { all_replicas_bytes: 3 << 30, leader_bytes: 1 << 30, replicas: 3 }),
            records: Fact::Known(2_000_000),
            last_write: Fact::Known(LastWrite { at_ms: Some(now - 90_000), age_ms: Some(90_000) }),
            groups: Fact::Known(vec![]),
            retention_ms_cut: Some(Fact::Known(TimeCut {
                retention_ms: 86_400_000,
                records: 1_500_000,
                bytes: 805_306_368,
            })),
            retention_bytes_cut: None,
        },
    );
    let mut hidden = Impact::unknown(Unknown::NotAuthorised);
    hidden.records = Fact::Known(0);
    hidden.last_write = Fact::Known(LastWrite { at_ms: None, age_ms: None });
    hidden.retention_ms_cut = Some(Fact::Known(TimeCut { retention_ms: 172_800_000, records: 0, bytes: 0 }));
    // A broker holding replicas is down: the size is at least what the others hold, never zero.
    hidden.size = Fact::Unknown(Unknown::Unmeasured {
        replicas: 1,
        of: 3,
        at_least_bytes: 0,
        brokers: vec![crate::live::Unmeasured {
            broker: 3,
            why: "it is not in the cluster's metadata (stopped or unreachable)".into(),
        }],
    });
    plan.data.insert("payments.audit.v1".into(), hidden);
    plan
}

fn every_kind() -> Plan {
    with_data(every_kind_of_change())
}

fn every_kind_of_change() -> Plan {
    let at = |line| Location { file: Arc::new(PathBuf::from("topics/payments.yaml")), line, column: 11, offset: None };
    Plan::with_notes(
        vec![
            Change::CreateTopic {
                topic: "payments.refunds.v1".into(),
                partitions: 3,
                replication_factor: Some(3),
                configs: BTreeMap::from([
                    ("cleanup.policy".into(), "compact,delete".into()),
                    ("min.insync.replicas".into(), "2".into()),
                ]),
            },
            Change::CreateTopic {
                topic: "payments.scratch".into(),
                partitions: 1,
                replication_factor: None,
                configs: BTreeMap::new(),
            },
            Change::AddPartitions {
                topic: "payments.ledger.v1".into(),
                from: 6,
                to: 12,
                assignments: vec![vec![1, 2, 3], vec![2, 3, 1]],
            },
            Change::SetConfig {
                topic: "payments.ledger.v1".into(),
                key: "retention.ms".into(),
                before: effective("604800000", ConfigSource::TopicOverride),
                after: "86400000".into(),
            },
            Change::SetConfig {
                topic: "payments.ledger.v1".into(),
                key: "max.message.bytes".into(),
                before: effective("1048588", ConfigSource::Default),
                after: "2097152".into(),
            },
            Change::PinConfig {
                topic: "payments.ledger.v1".into(),
                key: "min.insync.replicas".into(),
                value: "1".into(),
                inherited_from: ConfigSource::DynamicDefaultBroker,
            },
            Change::UnsetConfig {
                topic: "payments.ledger.v1".into(),
                key: "segment.ms".into(),
                before: Some("3600000".into()),
                after: effective("604800000", ConfigSource::Default),
            },
            Change::DeleteTopic { topic: "payments.tmp".into(), partitions: 3, reason: DeleteReason::Declared },
            Change::AwaitReassignment {
                topic: "payments.moving.v1".into(),
                partitions: vec![0, 2],
                brokers: vec![1, 2, 3],
            },
            Change::RemoveThrottle { topic: "payments.throttled.v1".into(), brokers: vec![2, 3] },
            Change::ChangeReplicationFactor {
                topic: "payments.fraud.v1".into(),
                from: 1,
                to: 3,
                moves: vec![
                    PartitionMove { partition: 0, from: vec![1], to: vec![1, 2, 3] },
                    PartitionMove { partition: 1, from: vec![2], to: vec![2, 3, 1] },
                ],
            },
            Change::UnsetConfig {
                topic: "payments.audit.v1".into(),
                key: "retention.ms".into(),
                before: Some("-1".into()),
                after: effective("172800000", ConfigSource::DynamicDefaultBroker),
            },
        ],
        vec![
            Blocked {
                topic: "payments.events.v1".into(),
                reason: BlockedReason::PartitionDecrease { declared: 3, live: 6 },
                declared_at: Some(at(14)),
            },
            Blocked {
                topic: "payments.fx.v1".into(),
                reason: BlockedReason::NotEnoughBrokers { declared: 4, brokers: 3 },
                declared_at: Some(at(20)),
            },
        ],
        vec![Kept { topic: "payments.ledger.v1".into(), key: "segment.bytes".into(), value: Some("536870912".into()) }],
        vec!["payments.legacy".into()],
    )
}

fn render(f: impl Fn(&Plan, &mut Vec<u8>) -> std::io::Result<()>, plan: &Plan) -> String {
    let mut out = Vec::new();
    f(plan, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn as_text(plan: &Plan) -> String {
    render(|p, out| text(p, Style::default(), out), plan)
}

#[test]
fn text_every_kind() {
    assert_snapshot!(as_text(&every_kind()));
}

#[test]
fn text_empty() {
    assert_snapshot!(as_text(&Plan::new(vec![], vec![])), @"No changes. The cluster matches the files.");
}

#[test]
fn markdown_every_kind() {
    assert_snapshot!(render(|p, out| markdown(p, out), &every_kind()));
}

#[test]
fn markdown_empty() {
    assert_snapshot!(render(|p, out| markdown(p, out), &Plan::new(vec![], vec![])), @r"
    ### topicform plan

    No changes. The cluster matches the files.
    ");
}

#[test]
fn json_every_kind() {
    assert_snapshot!(render(|p, out| json(p, out), &every_kind()));
}

#[test]
fn json_empty() {
    assert_snapshot!(render(|p, out| json(p, out), &Plan::new(vec![], vec![])), @r#"
    {
      "formatVersion": 1,
      "changes": [],
      "blocked": [],
      "kept": [],
      "unmanaged": []
    }
    "#);
}

#[test]
fn json_is_valid_against_its_schema_and_deterministic() {
    let plan = every_kind();
    let first = render(|p, out| json(p, out), &plan);
    assert_eq!(first, render(|p, out| json(p, out), &plan.clone()));
    let value: serde_json::Value = serde_json::from_str(&first).unwrap();
    // The committed schema, which tests/generated.rs keeps equal to the generated one.
    let schema_text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/plan.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&schema_text).unwrap();
    let validator = jsonschema::draft7::new(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&value).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn colour_only_when_asked() {
    let mut out = Vec::new();
    text(&every_kind(), Style { color: true }, &mut out).unwrap();
    assert!(String::from_utf8(out).unwrap().contains("\x1b[32m+"));
    assert!(!as_text(&every_kind()).contains('\x1b'));
}

/// Text that tries everything in both media: terminal escapes (clear screen, window title, a bidi
/// override), and Markdown/HTML that closes a `<details>`, starts a heading, forges "No changes." and
/// a table row, adds a link and an image, and breaks out of a code block.
const HOSTILE: &str = "\x1b[2J\x1b]0;x\x07</code></summary></details>\n\n## Approved\n\nNo changes. | a | b |\n\u{202e}[l](https://e.example)<img src=x>\n```\n";

/// The plan of every kind with every name from outside (topics, groups, the snapshot's path and date)
/// made hostile: group names and config values can hold anything, and a renderer must not trust that
/// a topic name was checked.
fn hostile() -> Plan {
    let escaped = serde_json::to_string(HOSTILE).unwrap();
    let inner = &escaped[1..escaped.len() - 1];
    let json = serde_json::to_string(&every_kind())
        .unwrap()
        .replace("payments.", &format!("{inner}payments."))
        .replace("\"billing\"", &escaped)
        .replace("536870912", &format!("536870912{inner}"));
    let mut plan: Plan = serde_json::from_str(&json).unwrap();
    plan.basis = Some(crate::plan::Basis {
        snapshot: format!("{HOSTILE}.json"),
        taken_at: HOSTILE.into(),
        age_secs: 60,
        content_hash: "0".repeat(64),
    });
    plan
}

#[test]
fn text_hostile() {
    let shown = as_text(&hostile());
    for raw in ["\x1b", "\x07", "\u{202e}", "\n## Approved", "\nNo changes."] {
        assert!(!shown.contains(raw), "{raw:?} came through:\n{shown}");
    }
    assert_snapshot!(shown);
}

#[test]
fn markdown_hostile() {
    let shown = render(|p, out| markdown(p, out), &hostile());
    for raw in ["\x1b", "\x07", "\u{202e}", "\n## Approved", "\nNo changes."] {
        assert!(!shown.contains(raw), "{raw:?} came through:\n{shown}");
    }
    let mut fenced = false;
    for line in shown.lines() {
        let fence = line.starts_with("```");
        fenced ^= fence;
        if !fenced && !fence {
            for raw in ["<img", "</details></", "</code></summary></", "[l](", "| a | b |", "```", "https://"] {
                assert!(!line.contains(raw), "{raw:?} came through in {line:?}:\n{shown}");
            }
        }
    }
    assert!(!fenced, "every code block is closed by its own fence:\n{shown}");
    assert_snapshot!(shown);
}
