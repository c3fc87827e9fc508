//! Hedged requests: no single broker is a single point of failure. A request any of several brokers can
//! answer goes to the first; when it has not answered within [`patience`] (a frozen broker accepts the
//! connection and says nothing: a long GC pause, a hung disk), the next is asked too, and so on; the first
//! good answer wins and the others are dropped. A broker that fails outright (refused, reset) hands over at
//! once. Every attempt is bounded by the command's deadline, so a hedged request ends by then whatever
//! the brokers do.
//!
//! The policy ([`patience`], [`order`], [`worst`]) is pure; [`first`] runs it. Brokers overtaken while
//! silent are remembered by the admin ([`KafkaAdmin::hung`]) and asked last by the next requests of the
//! command, until they answer again.

use std::collections::BTreeSet;
use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use super::KafkaAdmin;
use super::protocol::Failure;
use crate::cluster::ErrorCode;

/// The least a broker is given before the next one is asked too: a broker of a busy cluster answers a
/// Metadata or DescribeConfigs request of hundreds of topics in tens to hundreds of milliseconds.
pub(super) const PATIENCE_MIN: Duration = Duration::from_millis(250);
/// The most a broker is given before the next one is asked too.
pub(super) const PATIENCE_MAX: Duration = Duration::from_secs(2);

/// How long one broker gets to answer before the next is asked too, when `left` remains before the
/// deadline: a tenth of it, between [`PATIENCE_MIN`] and [`PATIENCE_MAX`], so that a deadline of a few
/// seconds still leaves time for several brokers.
pub(super) fn patience(left: Duration) -> Duration {
    (left / 10).clamp(PATIENCE_MIN, PATIENCE_MAX)
}

/// `candidates` in the order to ask them: each once, in their order, except that those seen `hung`
/// come last.
pub(super) fn order<'a>(candidates: impl IntoIterator<Item = &'a str>, hung: &BTreeSet<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let unique: Vec<&str> =
        candidates.into_iter().map(str::trim).filter(|c| !c.is_empty() && seen.insert(*c)).collect();
    let (slow, ready): (Vec<&str>, Vec<&str>) = unique.into_iter().partition(|c| hung.contains(*c));
    ready.into_iter().chain(slow).map(str::to_owned).collect()
}

/// Of the failures of every broker asked (in the order asked), the one to report: an answer a broker
/// gave (Kafka's error, a TLS or authentication failure) over a connection that failed, and that over
/// a timeout; when every broker timed out, one timeout naming them all.
pub(super) fn worst(failures: Vec<(String, Failure)>) -> Failure {
    let rank = |f: &Failure| match f.code {
        ErrorCode::TimedOut => 0,
        ErrorCode::Transport => 1,
        _ => 2,
    };
    let silent: Vec<&str> =
        failures.iter().filter(|(_, f)| f.code == ErrorCode::TimedOut).map(|(b, _)| b.as_str()).collect();
    if !failures.is_empty() && silent.len() == failures.len() {
        return Failure::new("_TIMED_OUT", format!("timed out: no answer from {}", silent.join(", ")));
    }
    let best = failures.iter().map(|(_, f)| rank(f)).max();
    failures
        .into_iter()
        .find(|(_, f)| Some(rank(f)) == best)
        .map(|(_, f)| f)
        .unwrap_or_else(|| Failure::new("_TRANSPORT", "no broker to ask"))
}

/// Asks `candidates` (see [`order`]) with `ask`, hedged: the first at once, the next after
/// [`patience`] without an answer or at once when one fails; returns the broker that answered first
/// and its answer, or, when none did, the [`worst`] failure. Brokers still silent when another answered
/// are remembered as hung; one that answers is forgotten.
pub(super) async fn first<T, F, Fut>(
    admin: &KafkaAdmin,
    candidates: Vec<String>,
    ask: F,
) -> Result<(String, T), Failure>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let candidates = order(candidates.iter().map(String::as_str), &admin.hung.lock().unwrap());
    let mut waiting = candidates.into_iter();
    let mut asked: Vec<String> = Vec::new();
    let mut failures: Vec<(String, Failure)> = Vec::new();
    let mut pending = FuturesUnordered::new();
    let mut start_next = true;
    loop {
        if start_next && let Some(broker) = waiting.next() {
            asked.push(broker.clone());
            let attempt = ask(broker.clone());
            pending.push(async move { (broker, attempt.await) });
        }
        if pending.is_empty() {
            break;
        }
        let more = waiting.len() > 0;
        start_next = tokio::select! {
            Some((broker, outcome)) = pending.next() => match outcome {
                Ok(answer) => {
                    let mut hung = admin.hung.lock().unwrap();
                    hung.remove(&broker);
                    for other in asked.iter().filter(|a| **a != broker && !failures.iter().any(|(f, _)| f == *a)) {
                        hung.insert(other.clone());
                    }
                    return Ok((broker, answer));
                }
                Err(f) => {
                    if f.code == ErrorCode::TimedOut {
                        admin.hung.lock().unwrap().insert(broker.clone());
                    }
                    failures.push((broker, f));
                    true
                }
            },
            _ = tokio::time::sleep(patience(admin.request_timeout())), if more => true,
        };
    }
    Err(worst(failures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patience_is_a_tenth_of_what_is_left_within_bounds() {
        let cases = [
            (Duration::from_secs(30), Duration::from_secs(2)),
            (Duration::from_secs(10), Duration::from_secs(1)),
            (Duration::from_secs(5), Duration::from_millis(500)),
            (Duration::from_secs(1), PATIENCE_MIN),
            (Duration::ZERO, PATIENCE_MIN),
            (Duration::from_secs(3600), PATIENCE_MAX),
        ];
        for (left, want) in cases {
            assert_eq!(patience(left), want, "{left:?}");
        }
        // With 30 s left, the third broker is asked after 4 s at most: well within the deadline.
        assert!(patience(Duration::from_secs(30)) * 2 < Duration::from_secs(30) / 3);
    }

    #[test]
    fn hung_brokers_are_asked_last() {
        let hung: BTreeSet<String> = ["a:1".to_owned()].into();
        let none = BTreeSet::new();
        let cases: [(&[&str], &BTreeSet<String>, &[&str]); 5] = [
            (&["a:1", "b:2", "c:3"], &none, &["a:1", "b:2", "c:3"]),
            (&["a:1", "b:2", "c:3"], &hung, &["b:2", "c:3", "a:1"]),
            (&["c:3", "a:1", "b:2"], &hung, &["c:3", "b:2", "a:1"]),
            // A bootstrap list as written: spaces, empty entries, repeats.
            (&[" a:1", "", "b:2", "a:1"], &none, &["a:1", "b:2"]),
            (&["a:1"], &hung, &["a:1"]),
        ];
        for (candidates, hung, want) in cases {
            assert_eq!(order(candidates.iter().copied(), hung), want, "{candidates:?}");
        }
    }

    fn admin() -> KafkaAdmin {
        let cluster = crate::desired::ClusterConfig {
            name: "test".into(),
            bootstrap: "a:1,b:2,c:3".into(),
            client: crate::desired::ClientProperties::default(),
            kafka_version: None,
        };
        KafkaAdmin::connect(&cluster, Duration::from_secs(10)).unwrap()
    }

    /// A silent broker (frozen) is overtaken after its patience and remembered as hung, so the next
    /// request asks it last; one that refuses hands over at once; none answering is a timeout naming
    /// them all. Time is paused: the sleeps pass at once, in order.
    #[tokio::test(start_paused = true)]
    async fn a_silent_broker_is_overtaken_and_asked_last_next_time() {
        let admin = admin();
        let servers = || ["a:1", "b:2", "c:3"].map(str::to_owned).to_vec();
        let asked = std::sync::Mutex::new(Vec::new());
        let ask = |broker: String| {
            asked.lock().unwrap().push(broker.clone());
            let timeout = admin.request_timeout();
            async move {
                let answer = async {
                    match broker.as_str() {
                        "a:1" => std::future::pending().await,
                        "b:2" => Err(Failure::new("_TRANSPORT", "b:2: connection refused")),
                        _ => Ok(broker.clone()),
                    }
                };
                super::super::protocol::within(timeout, &broker, answer).await
            }
        };
        let (broker, answer) = first(&admin, servers(), ask).await.unwrap();
        assert_eq!((broker.as_str(), answer.as_str()), ("c:3", "c:3"));
        assert_eq!(*asked.lock().unwrap(), ["a:1", "b:2", "c:3"]);
        assert!(admin.hung.lock().unwrap().contains("a:1"), "the silent one is remembered");
        assert!(!admin.hung.lock().unwrap().contains("b:2"), "a refusal is not a hang");

        asked.lock().unwrap().clear();
        first(&admin, servers(), ask).await.unwrap();
        assert_eq!(*asked.lock().unwrap(), ["b:2", "c:3"], "the hung one last, and not needed");

        let silent = |broker: String| {
            let timeout = admin.request_timeout();
            async move {
                super::super::protocol::within(timeout, &broker, std::future::pending::<Result<(), Failure>>()).await
            }
        };
        let failed = first(&admin, servers(), silent).await.unwrap_err();
        assert_eq!(failed.code, ErrorCode::TimedOut);
        assert!(failed.message.starts_with("timed out: no answer from "), "{}", failed.message);
        assert!(["a:1", "b:2", "c:3"].iter().all(|b| failed.message.contains(b)), "{}", failed.message);
    }

    #[test]
    fn the_failure_told_is_the_most_telling() {
        let timeout = |b: &str| (b.to_owned(), Failure::new("_TIMED_OUT", format!("no answer from {b}")));
        let refused = |b: &str| (b.to_owned(), Failure::new("_TRANSPORT", format!("{b}: connection refused")));
        let sasl = |b: &str| (b.to_owned(), Failure::new("SASL_AUTHENTICATION_FAILED", "bad password"));

        let all_silent = worst(vec![timeout("a:1"), timeout("b:2")]);
        assert_eq!(all_silent.code, ErrorCode::TimedOut);
        assert_eq!(all_silent.message, "timed out: no answer from a:1, b:2");
        assert_eq!(worst(vec![timeout("a:1"), refused("b:2")]).code, ErrorCode::Transport);
        assert_eq!(worst(vec![refused("a:1"), sasl("b:2"), timeout("c:3")]).message, "bad password");
        assert_eq!(worst(Vec::new()).message, "no broker to ask");
    }
}
