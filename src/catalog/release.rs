//! Apache Kafka releases, as the catalog and the plans name them.

use std::fmt;
use std::str::FromStr;

/// An Apache Kafka release: `3.9.1`. Releases before 1.0 had four parts (`0.10.2.0`); the fourth is
/// ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Release {
    /// Major version.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
    /// Patch version.
    pub patch: u16,
}

impl Release {
    /// The oldest release topicform supports.
    pub const OLDEST: Release = Release::new(2, 8, 0);
    /// The newest release the catalog knows.
    pub const NEWEST: Release = Release::new(4, 4, 0);

    /// `major.minor.patch`.
    pub const fn new(major: u16, minor: u16, patch: u16) -> Release {
        Release { major, minor, patch }
    }

    /// The release's `major.minor` line, `3.9`.
    pub fn line(self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    /// The catalog's release spelled in a `&'static str` field (`"3.9.0"`).
    ///
    /// # Panics
    /// On a string that is not a release: the catalog's table is checked by a test.
    pub fn of(text: &str) -> Release {
        text.parse().unwrap_or_else(|e| panic!("catalog release `{text}`: {e}"))
    }
}

impl serde::Serialize for Release {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Release {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Release {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "KafkaRelease".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An Apache Kafka release, `major.minor` or `major.minor.patch`.",
            "type": "string",
            "pattern": "^[0-9]+\\.[0-9]+(\\.[0-9]+)?$"
        })
    }
}

/// `3.9.1`; `3.9` for a release line (patch 0), which is what a detected release is: the brokers
/// say which line they run, not which patch.
impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patch == 0 {
            write!(f, "{}.{}", self.major, self.minor)
        } else {
            write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
        }
    }
}

/// Why a text is not a release.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a Kafka release; write it as `major.minor` or `major.minor.patch`, such as `3.9` or `3.9.1`")]
pub struct NotARelease(pub String);

impl FromStr for Release {
    type Err = NotARelease;

    /// `3.9`, `3.9.1`, `0.10.2.0`; a suffix after a `-` (`3.9.1-ccs`, `7.8.0-ce`) is ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || NotARelease(text.to_owned());
        let core = text.trim().split(['-', '+']).next().unwrap_or_default();
        let parts: Vec<&str> = core.split('.').collect();
        if !(2..=4).contains(&parts.len()) {
            return Err(bad());
        }
        let number = |p: &str| {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            p.parse::<u16>().map_err(|_| bad())
        };
        let major = number(parts[0])?;
        let minor = number(parts[1])?;
        let patch = parts.get(2).map_or(Ok(0), |p| number(p))?;
        if let Some(fourth) = parts.get(3) {
            number(fourth)?;
        }
        Ok(Release { major, minor, patch })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_order() {
        let cases = [
            ("3.9.1", Some((3, 9, 1))),
            ("3.9", Some((3, 9, 0))),
            ("0.10.2.0", Some((0, 10, 2))),
            ("0.8.1", Some((0, 8, 1))),
            (" 4.4.0 ", Some((4, 4, 0))),
            ("7.8.0-ccs", Some((7, 8, 0))),
            ("3", None),
            ("3.x", None),
            ("", None),
            ("3.9.1.0.0", None),
            ("-1.2", None),
            ("99999999.1", None),
        ];
        for (text, want) in cases {
            let got = text.parse::<Release>().ok().map(|r| (r.major, r.minor, r.patch));
            assert_eq!(got, want, "{text:?}");
        }
        assert!(Release::of("2.8.2") < Release::of("3.0.0"));
        assert!(Release::of("3.10.0") > Release::of("3.9.1"));
        assert_eq!(Release::of("3.9.1").to_string(), "3.9.1");
        assert_eq!(Release::of("3.9.0").to_string(), "3.9");
        assert_eq!(Release::of("3.9.1").line(), "3.9");
    }
}
