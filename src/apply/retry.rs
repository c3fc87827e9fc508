//! Retry policy: a pure function of the error and the attempt.

use std::time::Duration;

use crate::cluster;

/// How long to wait before retry `attempt` (0-based) of an item that failed with `err`, or `None` to
/// give up: at once for errors that retrying cannot fix, after six tries (about 16 s in all) for
/// transient ones.
pub fn retry_delay(err: &cluster::Error, attempt: u32) -> Option<Duration> {
    const DELAYS_MS: [u64; 6] = [250, 500, 1000, 2000, 4000, 8000];
    if !err.is_retriable() {
        return None;
    }
    DELAYS_MS.get(attempt as usize).map(|&ms| Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ErrorCode;

    fn error(code: &str) -> cluster::Error {
        cluster::Error::Topic {
            operation: "X",
            topic: "t".into(),
            code: ErrorCode::from_name(code),
            message: String::new(),
        }
    }

    #[test]
    fn retry_policy() {
        let cases = [
            ("REQUEST_TIMED_OUT", 0, Some(250)),
            ("NOT_CONTROLLER", 1, Some(500)),
            ("LEADER_NOT_AVAILABLE", 5, Some(8000)),
            ("REQUEST_TIMED_OUT", 6, None),
            ("_TRANSPORT", 0, Some(250)),
            ("POLICY_VIOLATION", 0, None),
            ("INVALID_CONFIG", 0, None),
            ("TOPIC_AUTHORIZATION_FAILED", 0, None),
        ];
        for (code, attempt, want) in cases {
            assert_eq!(retry_delay(&error(code), attempt), want.map(Duration::from_millis), "{code} #{attempt}");
        }
        let total: Duration = (0..).map_while(|a| retry_delay(&error("REQUEST_TIMED_OUT"), a)).sum();
        assert!(total < Duration::from_secs(20), "bounded: {total:?}");
    }
}
