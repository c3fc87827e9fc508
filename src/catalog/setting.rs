//! Durations of topicform's own settings (`--timeout`, `--interval`, `maxPlanAge`, ...), as opposed to
//! the durations of topic configs: one parser for all of them, with a least and a greatest value per
//! setting, so that no setting wraps around, overflows a clock or turns a loop into a busy one.
//!
//! A setting's duration is a whole number with a unit, `ms`, `s`, `m`, `h`, `d` or `w` (`30s`, `5m`,
//! `7d`). Only `--timeout` also takes a bare number, as seconds, as `--timeout 300` always did. Every
//! other setting refuses one: before this parser, their bare numbers were milliseconds (a topic
//! config's reading), so `maxPlanAge: 3600000` meant an hour; reading it as seconds now would loosen
//! that guard to 41 days without a word, and a unit makes the value plain to a reviewer anyway. (A
//! topic config's bare number is still milliseconds, as Kafka reads it: the two never share a parser.)

use std::fmt;
use std::time::Duration;

/// The least and the greatest duration a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The least value.
    pub min: Duration,
    /// The greatest value.
    pub max: Duration,
    /// Whether a bare number is taken, as seconds (`--timeout` only; see the module's doc).
    pub bare_seconds: bool,
}

const SECOND: Duration = Duration::from_secs(1);

/// `--timeout`: a whole command, up to a month (a reassignment of terabytes under a throttle).
pub const TIMEOUT: Limits = Limits { min: SECOND, max: Duration::from_secs(30 * 86_400), bare_seconds: true };
/// `watch --interval`: at least 100 ms (no busy loop; the soak benchmark runs cycles this close), at
/// most a week.
pub const INTERVAL: Limits =
    Limits { min: Duration::from_millis(100), max: Duration::from_secs(7 * 86_400), bare_seconds: false };
/// `watch --ready-grace`: as long as two of the longest intervals.
pub const READY_GRACE: Limits = Limits { min: SECOND, max: Duration::from_secs(14 * 86_400), bare_seconds: false };
/// `apply --active-window`: how recent a write keeps a topic in use, up to a year.
pub const ACTIVE_WINDOW: Limits = Limits { min: SECOND, max: Duration::from_secs(365 * 86_400), bare_seconds: false };
/// `--max-plan-age`, `--max-snapshot-age`, `maxPlanAge`, `maxSnapshotAge`: up to a year.
pub const MAX_AGE: Limits = Limits { min: SECOND, max: Duration::from_secs(365 * 86_400), bare_seconds: false };

/// Why a setting's duration is refused: a phrase, starting with the value, that completes "`maxPlanAge`
/// is ..." (and follows clap's "invalid value ... for `--interval`:").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// Not a whole number with a unit.
    NotADuration {
        /// What was written (cut to a readable length).
        written: String,
    },
    /// A bare number where the setting needs a unit.
    NoUnit {
        /// What was written.
        written: String,
    },
    /// Outside the setting's limits.
    OutOfRange {
        /// What was written.
        written: String,
        /// The setting's limits.
        limits: Limits,
    },
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::NotADuration { written } => write!(
                f,
                "`{written}`, which is not a duration: write a whole number with a unit, `ms`, `s`, `m`, `h`, `d` or `w` \
                 (`30s`, `5m`, `7d`)"
            ),
            DurationError::NoUnit { written } => write!(
                f,
                "`{written}`, a number without a unit: write one, `ms`, `s`, `m`, `h`, `d` or `w` (`{written}ms`, \
                 `{written}s`); a bare number is not guessed, as older versions read it as milliseconds"
            ),
            DurationError::OutOfRange { written, limits } => write!(
                f,
                "`{written}`, outside the range it takes: from {} to {}",
                shown(limits.min),
                shown(limits.max)
            ),
        }
    }
}

impl std::error::Error for DurationError {}

const UNITS: [(&str, u64); 6] =
    [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000)];

/// `text` as a duration within `limits`: a whole number with a unit, or, where `limits` take one, a
/// bare number of seconds.
/// Every step is checked: a number too large for any clock is out of range, never wrapped.
pub fn duration(text: &str, limits: Limits) -> Result<Duration, DurationError> {
    let t = text.trim();
    let written = || cut(t);
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = (&t[..split], t[split..].trim());
    let factor = match unit {
        "" if !digits.is_empty() && !limits.bare_seconds => {
            return Err(DurationError::NoUnit { written: written() });
        }
        "" => 1_000,
        unit => match UNITS.iter().find(|(u, _)| *u == unit) {
            Some((_, f)) => *f,
            None => return Err(DurationError::NotADuration { written: written() }),
        },
    };
    if digits.is_empty() {
        return Err(DurationError::NotADuration { written: written() });
    }
    // Too many digits for a u64 is too large for any limit: out of range, not "not a number".
    let out_of_range = || DurationError::OutOfRange { written: written(), limits };
    let n: u64 = digits.parse().map_err(|_| out_of_range())?;
    let ms = n.checked_mul(factor).ok_or_else(out_of_range)?;
    let value = Duration::from_millis(ms);
    if value < limits.min || value > limits.max {
        return Err(out_of_range());
    }
    Ok(value)
}

/// A limit as the largest unit that divides it: `1s`, `30d`, `2w`.
pub fn shown(d: Duration) -> String {
    let ms = d.as_millis();
    match UNITS.iter().rev().find(|(_, f)| ms > 0 && ms.is_multiple_of(u128::from(*f))) {
        Some((unit, f)) => format!("{}{unit}", ms / u128::from(*f)),
        None => format!("{ms}ms"),
    }
}

fn cut(text: &str) -> String {
    const SHOWN: usize = 40;
    let mut out: String = text.chars().take(SHOWN).flat_map(char::escape_default).collect();
    if text.chars().count() > SHOWN {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn units_bare_seconds_limits_and_overflow() {
        let wide = Limits { min: Duration::ZERO, max: Duration::from_millis(u64::MAX), bare_seconds: true };
        let cases: &[(&str, Limits, Result<Duration, &str>)] = &[
            // Units, and a bare number is seconds where the setting takes one.
            ("500ms", wide, Ok(Duration::from_millis(500))),
            ("30s", wide, Ok(S(30))),
            ("5m", TIMEOUT, Ok(S(300))),
            ("2h", wide, Ok(S(7200))),
            ("7d", MAX_AGE, Ok(S(7 * 86_400))),
            ("2w", wide, Ok(S(14 * 86_400))),
            ("300", TIMEOUT, Ok(S(300))),
            // Elsewhere a bare number was milliseconds once: it needs a unit now, never a guess.
            ("30", INTERVAL, Err("without a unit")),
            ("3600000", MAX_AGE, Err("without a unit")),
            ("24", ACTIVE_WINDOW, Err("without a unit")),
            ("60", READY_GRACE, Err("without a unit")),
            (" 5 m ", TIMEOUT, Ok(S(300))),
            ("0", wide, Ok(Duration::ZERO)),
            // Limits, both ends inclusive.
            ("100ms", INTERVAL, Ok(Duration::from_millis(100))),
            ("1w", INTERVAL, Ok(S(7 * 86_400))),
            ("99ms", INTERVAL, Err("outside")),
            ("999ms", TIMEOUT, Err("outside")),
            ("0s", INTERVAL, Err("outside")),
            ("8d", INTERVAL, Err("outside")),
            ("30d", TIMEOUT, Ok(S(30 * 86_400))),
            ("31d", TIMEOUT, Err("outside")),
            ("366d", MAX_AGE, Err("outside")),
            // Overflow is out of range, never a wrap-around.
            ("18446744073709551615", wide, Err("outside")),
            ("18446744073709551616", wide, Err("outside")),
            ("99999999999999999999999999w", MAX_AGE, Err("outside")),
            ("30500000000000000w", wide, Err("outside")),
            // Not durations.
            ("", TIMEOUT, Err("not a duration")),
            ("m", TIMEOUT, Err("not a duration")),
            ("5x", TIMEOUT, Err("not a duration")),
            ("1.5h", TIMEOUT, Err("not a duration")),
            ("-5m", TIMEOUT, Err("not a duration")),
            ("+5m", TIMEOUT, Err("not a duration")),
            ("5mm", TIMEOUT, Err("not a duration")),
            ("1h30m", TIMEOUT, Err("not a duration")),
            ("5M", TIMEOUT, Err("not a duration")),
        ];
        for (text, limits, want) in cases {
            let got = duration(text, *limits);
            match (want, &got) {
                (Ok(w), Ok(g)) => assert_eq!(w, g, "{text:?}"),
                (Err(w), Err(e)) => assert!(e.to_string().contains(w), "{text:?}: {e}"),
                _ => panic!("{text:?}: want {want:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn messages_say_the_form_and_the_range() {
        assert_eq!(
            duration("8d", INTERVAL).unwrap_err().to_string(),
            "`8d`, outside the range it takes: from 100ms to 1w"
        );
        assert_eq!(
            duration("5 minutes", TIMEOUT).unwrap_err().to_string(),
            "`5 minutes`, which is not a duration: write a whole number with a unit, `ms`, `s`, `m`, `h`, `d` or `w` \
             (`30s`, `5m`, `7d`)"
        );
        assert_eq!(
            duration("3600000", MAX_AGE).unwrap_err().to_string(),
            "`3600000`, a number without a unit: write one, `ms`, `s`, `m`, `h`, `d` or `w` (`3600000ms`, \
             `3600000s`); a bare number is not guessed, as older versions read it as milliseconds"
        );
        assert_eq!(
            duration(&"9".repeat(100), TIMEOUT).unwrap_err().to_string(),
            format!("`{}…`, outside the range it takes: from 1s to 30d", "9".repeat(40))
        );
        assert_eq!(duration("\u{1b}[2J", TIMEOUT).unwrap_err().to_string().lines().count(), 1);
        assert!(!duration("\u{1b}[2J", TIMEOUT).unwrap_err().to_string().contains('\u{1b}'));
        assert_eq!(
            (shown(S(30 * 86_400)), shown(S(14 * 86_400)), shown(Duration::from_millis(1500))),
            ("30d".into(), "2w".into(), "1500ms".into())
        );
    }
}
