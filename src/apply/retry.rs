//! Retry policy: a pure function of the error and the attempt.

use std::time::Duration;

use crate::cluster::{self, ErrorCode};

/// How long to wait before retry `attempt` (0-based) of an item that failed with `err`, or `None` to
/// give up: at once for errors that retrying cannot fix, after six tries (about 16 s in all) for
/// transient ones, after three (under 2 s) for a topic a config or partition change cannot find (just
/// created: the broker that took the request does not know it yet). The deadline may end them sooner.
pub fn retry_delay(err: &cluster::Error, attempt: u32) -> Option<Duration> {
    const DELAYS_MS: [u64; 6] = [250, 500, 1000, 2000, 4000, 8000];
    let tries = if err.is_retriable() {
        DELAYS_MS.len()
    } else if not_yet_known(err) {
        3
    } else {
        return None;
    };
    DELAYS_MS.get(attempt as usize).filter(|_| (attempt as usize) < tries).map(|&ms| Duration::from_millis(ms))
}

/// `UNKNOWN_TOPIC_OR_PARTITION` from a change to a topic that exists (its config, its partitions, or a
/// description of it): metadata reaches the brokers a moment after the controller. Never for a
/// deletion, where it means that the topic is gone.
fn not_yet_known(err: &cluster::Error) -> bool {
    matches!(
        err,
        cluster::Error::Topic {
            operation: "IncrementalAlterConfigs" | "CreatePartitions" | "DescribeConfigs",
            code: ErrorCode::UnknownTopicOrPartition,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(operation: &'static str, code: &str) -> cluster::Error {
        cluster::Error::Topic { operation, topic: "t".into(), code: ErrorCode::from_name(code), message: String::new() }
    }

    #[test]
    fn retry_policy() {
        let cases = [
            ("X", "REQUEST_TIMED_OUT", 0, Some(250)),
            ("X", "NOT_CONTROLLER", 1, Some(500)),
            ("X", "LEADER_NOT_AVAILABLE", 5, Some(8000)),
            ("X", "REQUEST_TIMED_OUT", 6, None),
            ("X", "_TRANSPORT", 0, Some(250)),
            ("X", "_TIMED_OUT", 0, Some(250)),
            ("X", "POLICY_VIOLATION", 0, None),
            ("X", "INVALID_CONFIG", 0, None),
            ("X", "TOPIC_AUTHORIZATION_FAILED", 0, None),
            // A delete right after a create or a leader move: librdkafka's name and Kafka's.
            ("DeleteTopics", "NOT_LEADER_FOR_PARTITION", 0, Some(250)),
            ("DeleteTopics", "NOT_LEADER_OR_FOLLOWER", 3, Some(2000)),
            ("DeleteTopics", "NOT_ENOUGH_REPLICAS", 0, Some(250)),
            // Gone is gone for a deletion; a change to a topic just created may not be known yet.
            ("DeleteTopics", "UNKNOWN_TOPIC_OR_PARTITION", 0, None),
            ("IncrementalAlterConfigs", "UNKNOWN_TOPIC_OR_PARTITION", 0, Some(250)),
            ("CreatePartitions", "UNKNOWN_TOPIC_OR_PARTITION", 2, Some(1000)),
            ("CreatePartitions", "UNKNOWN_TOPIC_OR_PARTITION", 3, None),
            ("CreateTopics", "TOPIC_ALREADY_EXISTS", 0, None),
        ];
        for (operation, code, attempt, want) in cases {
            let got = retry_delay(&error(operation, code), attempt);
            assert_eq!(got, want.map(Duration::from_millis), "{operation} {code} #{attempt}");
        }
        let total = |op, code| (0..).map_while(|a| retry_delay(&error(op, code), a)).sum::<Duration>();
        assert!(total("X", "REQUEST_TIMED_OUT") < Duration::from_secs(20), "bounded");
        assert!(total("CreatePartitions", "UNKNOWN_TOPIC_OR_PARTITION") < Duration::from_secs(2), "bounded");
    }
}
