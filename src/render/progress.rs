//! The terminal [`Reporter`]: how each [`Event`] looks on stderr. On a terminal the running count of a
//! reassignment updates one line in place; in a log every line stays. Phases, retries and single
//! changes are shown from `-v`. The reporter writes only to the writer it is given and reads only the
//! input it is given (for the prompt); whether they are terminals is decided by the caller.

use std::io::{BufRead, Write};

use super::{Style, describe, diagnostics};
use crate::plan::{Change, Refusal};
use crate::report::{Event, Reporter};

/// Draws events on `err`; reads the prompt's answer from `input`.
pub struct Terminal<W: Write, R: BufRead> {
    err: W,
    input: R,
    style: Style,
    terminal: bool,
    verbose: u8,
    /// A line updated in place is open (no newline after it yet).
    open: bool,
    /// `[cluster] ` while drawing an event of one cluster of several.
    prefix: String,
}

impl<W: Write, R: BufRead> Terminal<W, R> {
    /// A reporter on `err`, drawing diagnostics in `style`; `terminal` when `err` is one.
    pub fn new(err: W, input: R, style: Style, terminal: bool, verbose: u8) -> Self {
        Terminal { err, input, style, terminal, verbose, open: false, prefix: String::new() }
    }

    /// Lines of progress: what they hold from outside (names, paths, a broker's message) is escaped
    /// here, line by line, so that nothing can move the cursor, recolour or reverse the text. Line
    /// breaks are kept (a message may end with a `hint:` line); one-line records use [`Self::one`].
    fn line(&mut self, text: &str) {
        let escaped: Vec<_> = text.split('\n').map(super::escape::terminal).collect();
        self.raw(&escaped.join("\n"));
    }

    /// A record that must stay one line (a watch cycle, read by log tools), escaped whole.
    fn one(&mut self, text: &str) {
        self.raw(&super::escape::terminal(text));
    }

    /// Text drawn by topicform itself (diagnostics, which escape their own parts), as it is.
    fn raw(&mut self, text: &str) {
        self.close();
        if self.prefix.is_empty() {
            let _ = writeln!(self.err, "{text}");
        } else {
            for line in text.lines() {
                let _ = writeln!(self.err, "{}{line}", self.prefix);
            }
        }
    }

    fn close(&mut self) {
        if std::mem::take(&mut self.open) {
            let _ = writeln!(self.err);
        }
    }

    /// A line that the next one of its kind replaces, on a terminal.
    fn counting(&mut self, text: &str) {
        // Several clusters' counts would overwrite each other's line.
        if self.terminal && self.prefix.is_empty() {
            let _ = write!(self.err, "\r\x1b[K{}", super::escape::terminal(text));
            let _ = self.err.flush();
            self.open = true;
        } else {
            self.line(text);
        }
    }

    fn detail(&mut self, text: &str) {
        if self.verbose >= 1 {
            self.line(text);
        }
    }
}

impl<W: Write, R: BufRead> Reporter for Terminal<W, R> {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Within { cluster, event } => {
                let outer = std::mem::replace(&mut self.prefix, format!("[{}] ", super::escape::terminal(cluster)));
                self.event(*event);
                self.prefix = outer;
            }
            Event::Cycle(cycle) => self.one(&cycle.line()),
            Event::Problems { problems, sources } if !self.prefix.is_empty() => {
                let mut text = Vec::new();
                let _ = diagnostics(problems, sources, self.style, &mut text);
                self.raw(String::from_utf8_lossy(&text).trim_end());
            }
            Event::Problems { problems, sources } => {
                self.close();
                let _ = diagnostics(problems, sources, self.style, &mut self.err);
            }
            Event::StrictFailure => {
                self.line("Failing because of --strict: warnings count as errors. Nothing was sent to any cluster.")
            }
            Event::Valid { topics } => self.line(&format!("{topics} topic(s) valid.")),
            Event::Describing { cluster, bootstrap } => {
                self.line(&format!("Describing cluster `{cluster}` ({bootstrap})..."))
            }
            Event::GatheringData { topics } => self.detail(&format!(
                "Reading the size, offsets and consumer groups of {topics} topic(s) whose data the plan deletes or cuts..."
            )),
            Event::DeletingUnchecked { topics } => self.line(&format!(
                "Warning: deleting {}, whose use could not be checked (see the plan's data lines): unknown counts \
                 as in use, which --allow-active-data or `acknowledge: [activeData]` allows.",
                topics.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", ")
            )),
            Event::PlanSaved { path } => {
                let p = path.display();
                self.line(&format!("Saved the plan to `{p}`; apply it with `topicform apply {p}`."))
            }
            Event::BrokerCheck { changes } => {
                self.line(&format!("Asking the brokers to validate {changes} change(s)..."))
            }
            Event::Refused { change, error } if error.code().is_some_and(|c| c.is_timeout()) => {
                self.one(&format!("timed out: {}: {error}", describe(change)))
            }
            Event::Refused { change, error } => self.one(&format!("refused: {}: {error}", describe(change))),
            Event::BrokerCheckDone { refused: 0 } => self.line("The brokers accept every change."),
            Event::BrokerCheckDone { refused } => self.line(&format!(
                "The brokers would refuse {refused} change(s); apply would stop before changing anything."
            )),
            Event::PlanRefused { path, reasons } => {
                self.line(&format!("The saved plan `{}` is not applied:", path.display()));
                for reason in reasons {
                    self.line(&format!("  - {}", refusal(reason)));
                }
                self.line("Nothing was changed. Make a new plan and review it.");
            }
            Event::Cancelled => self.line("Apply cancelled; nothing was changed."),
            Event::Failed { error } => self.line(&format!("error: {error}")),
            Event::Preflight { changes } => {
                self.detail(&format!("Asking the brokers to check {changes} change(s) first..."))
            }
            Event::PhaseStarted { phase, changes } => {
                self.detail(&format!("Phase {}: {changes} change(s).", phase.as_str()))
            }
            Event::Retrying { items, attempt, delay } => self.detail(&format!(
                "Retrying {items} item(s) after a transient error (attempt {attempt}, in {} ms).",
                delay.as_millis()
            )),
            Event::ChangeDone { change } => self.detail(&format!("done: {}", describe(change))),
            Event::ChangeFailed { change, error } => {
                if self.verbose >= 1 {
                    self.one(&format!("failed: {}: {error}", describe(change)))
                }
            }
            Event::AlreadyExisted { topic } => {
                self.detail(&format!("Topic `{topic}` already existed (made by someone else); verification checks it."))
            }
            Event::ThrottleSet { rate, brokers } => {
                let list: Vec<String> = brokers.iter().map(i32::to_string).collect();
                self.line(&format!("Replication throttled to {rate} bytes/s on brokers {{{}}}.", list.join(", ")))
            }
            Event::ReassignmentStarted { waiting: false, .. } => {
                self.line("Reassignment started; not waiting (--no-wait). Run `topicform apply` again to verify it.")
            }
            Event::ReassignmentStarted { partitions, waiting: true } => {
                self.detail(&format!("Reassigning {partitions} partition(s)..."))
            }
            Event::Reassigning { done, total } => {
                self.counting(&format!("Reassigning: {done} of {total} partition(s) done."))
            }
            Event::ReassignmentDone { total } => {
                self.line(&format!("Reassignment done: {total} of {total} partition(s)."))
            }
            Event::ReassignmentWatchFailed { error } => {
                self.line(&format!("Cannot watch the reassignment ({error}); retrying."))
            }
            Event::ThrottleKept => {
                self.line("The replication throttle stays until the next apply after the reassignment.")
            }
            Event::ThrottleNotRemoved { broker: Some(b), error } => {
                self.line(&format!("Could not remove the replication throttle from broker {b}: {error}"))
            }
            Event::ThrottleNotRemoved { broker: None, error } => {
                self.line(&format!("Could not remove a topic's throttled-replica list: {error}"))
            }
            Event::ThrottleRemoved => self.line("Replication throttle removed."),
            Event::Verifying { topics } => self.detail(&format!("Verifying {topics} topic(s)...")),
            Event::SnapshotWritten { path, topics, hash } => self.line(&format!(
                "Wrote the snapshot of {topics} topic(s) to `{}` (content {}).",
                path.display(),
                &hash[..12.min(hash.len())]
            )),
            Event::Imported { topics, cluster, files, dir } => self.line(&format!(
                "Imported {topics} topic(s) of cluster `{cluster}` into {files} file(s) under `{}`.",
                dir.display()
            )),
        }
    }

    fn confirm(&mut self, destructive: &[&Change]) -> bool {
        self.close();
        if !destructive.is_empty() {
            let _ = writeln!(self.err, "\nThese changes delete data and cannot be undone:");
            for change in destructive {
                let _ = writeln!(self.err, "  - {}", super::escape::terminal(&describe(change)));
            }
        }
        let _ = write!(self.err, "\nApply these changes? Only `yes` is accepted: ");
        let _ = self.err.flush();
        let mut answer = String::new();
        self.input.read_line(&mut answer).is_ok() && answer.trim() == "yes"
    }
}

/// `watch --log-format json`: one JSON object per line on `err`. A cycle's summary is the [`Cycle`]
/// itself (`"event": "cycle"`); any other event is the terminal's text of it (`"event": "log"`), with
/// its cluster when it has one.
///
/// [`Cycle`]: crate::watch::Cycle
pub struct JsonLines<W: Write> {
    err: W,
    text: Terminal<Vec<u8>, &'static [u8]>,
}

impl<W: Write> JsonLines<W> {
    /// A reporter on `err`; `verbose` as for [`Terminal`].
    pub fn new(err: W, verbose: u8) -> Self {
        JsonLines { err, text: Terminal::new(Vec::new(), &b""[..], Style::default(), false, verbose) }
    }
}

impl<W: Write> Reporter for JsonLines<W> {
    fn event(&mut self, event: Event<'_>) {
        let (cluster, inner) = match event {
            Event::Within { cluster, event } => (Some(cluster), *event),
            other => (None, other),
        };
        let value = match inner {
            Event::Cycle(cycle) => {
                let mut value = serde_json::to_value(cycle).unwrap_or_default();
                if let Some(object) = value.as_object_mut() {
                    object.insert("event".into(), "cycle".into());
                }
                value
            }
            other => {
                self.text.event(other);
                let message = String::from_utf8_lossy(&std::mem::take(&mut self.text.err)).trim_end().to_owned();
                if message.is_empty() {
                    return;
                }
                let mut object = serde_json::Map::new();
                object.insert("event".into(), "log".into());
                if let Some(cluster) = cluster {
                    object.insert("cluster".into(), cluster.into());
                }
                object.insert("message".into(), message.into());
                serde_json::Value::Object(object)
            }
        };
        let _ = writeln!(self.err, "{value}");
    }
}

/// One reason to refuse a saved plan, in words.
fn refusal(reason: &Refusal) -> String {
    match reason {
        Refusal::Edited => "the file is not the text `topicform plan --out` wrote: it was edited".into(),
        Refusal::OtherCluster { saved, now } => format!(
            "it was made for a cluster with id `{}`, and this cluster's id is `{}`",
            saved.as_deref().unwrap_or("unknown"),
            now.as_deref().unwrap_or("unknown")
        ),
        Refusal::FilesChanged => "the topic files declare something else now".into(),
        Refusal::TooOld { age_secs, max_secs } => format!(
            "it is {} old, older than the {} allowed (`--max-plan-age`, `maxPlanAge`)",
            age(*age_secs),
            age(*max_secs)
        ),
        Refusal::Future { ahead_secs } => format!(
            "it is dated {} in the future, more than the {} of clock difference allowed: its age cannot be checked",
            age(*ahead_secs),
            age(crate::plan::MAX_CLOCK_SKEW_SECS)
        ),
        Refusal::Stale(stale) => stale.to_string(),
        Refusal::NotInSaved(change) => format!("a fresh plan would also {}", describe(change)),
        Refusal::NotInFresh(change) => {
            format!("the saved plan would {}, which a fresh plan does not", describe(change))
        }
        Refusal::BlockedDiffer => "a fresh plan blocks other changes than the saved one".into(),
    }
}

/// `3d 4h`, `2h 5m`, `45s`.
fn age(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::plan::Phase;

    fn drawn(terminal: bool, verbose: u8, events: &[Event<'_>]) -> String {
        let mut out = Vec::new();
        {
            let mut reporter = Terminal::new(&mut out, &b""[..], Style::default(), terminal, verbose);
            for e in events {
                reporter.event(*e);
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn counting_lines_update_in_place_only_on_a_terminal() {
        let events = [
            Event::Reassigning { done: 0, total: 2 },
            Event::Reassigning { done: 1, total: 2 },
            Event::ReassignmentDone { total: 2 },
        ];
        insta::assert_snapshot!(drawn(false, 0, &events), @r"
        Reassigning: 0 of 2 partition(s) done.
        Reassigning: 1 of 2 partition(s) done.
        Reassignment done: 2 of 2 partition(s).
        ");
        assert_eq!(
            drawn(true, 0, &events),
            "\r\x1b[KReassigning: 0 of 2 partition(s) done.\r\x1b[KReassigning: 1 of 2 partition(s) done.\nReassignment done: 2 of 2 partition(s).\n"
        );
    }

    #[test]
    fn deleting_unchecked_data_is_a_warning_at_every_verbosity() {
        let topics = ["down".to_owned(), "hidden".to_owned()];
        let events = [Event::DeletingUnchecked { topics: &topics }];
        insta::assert_snapshot!(drawn(false, 0, &events), @"Warning: deleting `down`, `hidden`, whose use could not be checked (see the plan's data lines): unknown counts as in use, which --allow-active-data or `acknowledge: [activeData]` allows.");
    }

    #[test]
    fn details_show_from_verbose_one() {
        let events = [
            Event::PhaseStarted { phase: Phase::Create, changes: 3 },
            Event::Retrying { items: 1, attempt: 1, delay: Duration::from_millis(250) },
            Event::ThrottleSet { rate: 1000, brokers: &[1, 2] },
        ];
        assert_eq!(drawn(false, 0, &events), "Replication throttled to 1000 bytes/s on brokers {1, 2}.\n");
        insta::assert_snapshot!(drawn(false, 1, &events), @r"
        Phase create: 3 change(s).
        Retrying 1 item(s) after a transient error (attempt 1, in 250 ms).
        Replication throttled to 1000 bytes/s on brokers {1, 2}.
        ");
    }

    #[test]
    fn events_of_one_cluster_of_several_are_marked_and_json_lines_are_one_object_each() {
        let inner = Event::Describing { cluster: "prod", bootstrap: "127.0.0.1:9092" };
        let events = [Event::Within { cluster: "prod", event: &inner }, Event::Valid { topics: 2 }];
        insta::assert_snapshot!(drawn(true, 0, &events), @r"
        [prod] Describing cluster `prod` (127.0.0.1:9092)...
        2 topic(s) valid.
        ");
        let mut out = Vec::new();
        {
            let mut reporter = JsonLines::new(&mut out, 0);
            for e in events {
                reporter.event(e);
            }
        }
        insta::assert_snapshot!(String::from_utf8(out).unwrap(), @r#"
        {"cluster":"prod","event":"log","message":"Describing cluster `prod` (127.0.0.1:9092)..."}
        {"event":"log","message":"2 topic(s) valid."}
        "#);
    }

    #[test]
    fn a_cycle_is_one_json_object_with_its_counts() {
        let cycle = crate::watch::Cycle {
            cluster: "prod".into(),
            cycle: 7,
            at: "2026-12-01T00:00:00Z".into(),
            outcome: crate::watch::Outcome::Failed,
            error_kind: Some(crate::watch::ErrorKind::Files),
            error: Some("the files have errors".into()),
            pending: vec![],
            blocked: 0,
            managed: 0,
            unmanaged: 0,
            applied: None,
            not_applied: None,
            requests: None,
            describe_ms: 0,
            duration_ms: 3,
        };
        let mut out = Vec::new();
        JsonLines::new(&mut out, 0).event(Event::Cycle(&cycle));
        insta::assert_snapshot!(String::from_utf8(out).unwrap(), @r#"{"at":"2026-12-01T00:00:00Z","blocked":0,"cluster":"prod","cycle":7,"describeMs":0,"durationMs":3,"error":"the files have errors","errorKind":"files","event":"cycle","managed":0,"outcome":"failed","pending":[],"unmanaged":0}"#);
        assert_eq!(
            drawn(false, 0, &[Event::Cycle(&cycle)]),
            "watch: cycle 7 `prod` failed (files): the files have errors (3 ms)\n"
        );
    }

    #[test]
    fn the_prompt_accepts_only_yes() {
        for (answer, want) in [("yes\n", true), ("y\n", false), ("", false), ("YES\n", false)] {
            let mut out = Vec::new();
            let mut reporter = Terminal::new(&mut out, answer.as_bytes(), Style::default(), true, 0);
            assert_eq!(reporter.confirm(&[]), want, "{answer:?}");
        }
    }
}
