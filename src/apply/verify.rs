//! Verification: after the changes, describe the topics they touched and diff again until nothing
//! remains and every broker lists those topics alike (see [`Admin::disagreement`]), or the budget runs
//! out.

use std::collections::BTreeSet;
use std::time::Duration;

use super::Verify;
use crate::cluster::Admin;
use crate::desired::Desired;
use crate::live::Scope;
use crate::plan::{self, Change, Plan};
use crate::report::{Event, Reporter};

/// How long to wait before verify attempt `attempt` (0-based): quickly at first, then every 3.2 s.
///
/// Kafka propagates metadata to every broker asynchronously, so a describe right after a change can
/// still show the old state for a moment; after many creates, for many seconds.
pub fn verify_delay(attempt: u32) -> Duration {
    const DELAYS_MS: [u64; 6] = [0, 200, 400, 800, 1600, 3200];
    Duration::from_millis(DELAYS_MS[(attempt as usize).min(DELAYS_MS.len() - 1)])
}

/// How long verification may wait for `changes` changes to show: 10 s, plus 20 ms per change (brokers
/// took over 10 s to list 1,000 new topics on a busy cluster of 10,000), at most 5 minutes. A plan
/// that is still not empty then is reported as not converged.
pub fn verify_budget(changes: usize) -> Duration {
    (Duration::from_secs(10) + Duration::from_millis(20) * changes as u32).min(Duration::from_secs(300))
}

/// Describes the topics `plan` touches and diffs them against `desired` until nothing remains or
/// [`verify_budget`] runs out. Only those topics: the rest of the scope was not changed, and describing
/// it again would cost as much as the plan did. Waiting stops early once all that remains is `failed`:
/// changes the cluster refused will not appear by waiting.
pub async fn verify(
    plan: &Plan,
    desired: &Desired,
    admin: &impl Admin,
    failed: &[Change],
    options: &super::Options,
    reporter: &mut dyn Reporter,
) -> Verify {
    let touched: BTreeSet<String> =
        plan.changes.iter().map(|c| c.topic().to_owned()).chain(plan.blocked.iter().map(|b| b.topic.clone())).collect();
    let desired = Desired {
        topics: desired
            .topics
            .iter()
            .filter(|(n, _)| touched.contains(*n))
            .map(|(n, t)| (n.clone(), t.clone()))
            .collect(),
    };
    let scope = match Scope::new(touched.iter().cloned(), &[], &[]) {
        Ok(scope) => scope.declaring(desired.declared_keys()),
        Err(e) => unreachable!("exact names make a valid scope: {e}"),
    };
    // A pruned topic is in no file: while it is still listed, the diff calls it unmanaged, not a change.
    let pruned: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| matches!(c, Change::DeleteTopic { reason: plan::DeleteReason::Pruned, .. }))
        .collect();
    reporter.event(Event::Verifying { topics: touched.len() });
    let failed_topics: BTreeSet<&str> = failed.iter().map(Change::topic).collect();
    let budget = options.left(verify_budget(plan.changes.len()));
    let mut waited = Duration::ZERO;
    let mut attempt = 0;
    loop {
        let delay = verify_delay(attempt);
        tokio::time::sleep(delay).await;
        waited += delay;
        let remaining = match super::describe(admin, &scope, options, reporter).await {
            Ok(live) => {
                let mut remaining = plan::diff(&desired, &live);
                let listed = pruned.iter().filter(|c| live.topics.contains_key(c.topic()));
                remaining.changes.extend(listed.map(|c| (*c).clone()));
                remaining.unmanaged.retain(|n| !pruned.iter().any(|c| c.topic() == n));
                remaining
            }
            Err(e) => return Verify::Failed(e),
        };
        if remaining.is_empty() {
            // One broker's view matches the files; the others must too, or the next plan, answered by
            // a broker whose metadata lags, would show the created topics as missing or the deleted
            // ones as still there.
            let lagging = match admin.disagreement(&touched.iter().cloned().collect::<Vec<_>>()).await {
                Ok(lagging) => lagging,
                Err(e) => return Verify::Failed(e),
            };
            if lagging.is_empty() {
                return Verify::Converged;
            }
            if waited >= budget {
                return Verify::Failed(disagree(&lagging, waited));
            }
            attempt += 1;
            continue;
        }
        let only_failures = remaining.blocked.is_empty()
            && remaining.changes.iter().all(|c| failed.contains(c) || failed_topics.contains(c.topic()));
        attempt += 1;
        if only_failures || waited >= budget {
            return Verify::NotConverged(remaining);
        }
    }
}

/// The brokers still disagree on `lagging` after `waited`.
fn disagree(lagging: &[String], waited: Duration) -> crate::cluster::Error {
    const SHOWN: usize = 5;
    let mut names: Vec<String> = lagging.iter().take(SHOWN).map(|t| format!("`{t}`")).collect();
    if lagging.len() > SHOWN {
        names.push(format!("and {} more", lagging.len() - SHOWN));
    }
    crate::cluster::Error::Request {
        operation: "Metadata",
        code: None,
        message: format!(
            "after {} s the brokers still do not all list {} alike: some have not yet caught up with the controller",
            waited.as_secs(),
            names.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_waits_longer_for_more_changes() {
        assert_eq!(verify_delay(0), Duration::ZERO);
        assert_eq!(verify_delay(100), Duration::from_millis(3200));
        assert_eq!(verify_budget(0), Duration::from_secs(10));
        assert_eq!(verify_budget(1000), Duration::from_secs(30));
        assert_eq!(verify_budget(1_000_000), Duration::from_secs(300));
    }
}
