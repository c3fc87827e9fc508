//! The project's own rules for topics (the `policy:` section of the project file): naming, partition and
//! replication-factor bounds, required and forbidden configs. Each rule is an error or a warning.

use regex::Regex;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{Desired, Error, ErrorKind, Location, Severity};

/// `policy:` as written.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyDoc {
    /// Topic names must match a regular expression.
    pub naming: Option<NamingRule>,
    /// Bounds on `partitions`.
    pub partitions: Option<RangeRule>,
    /// Bounds on `replicationFactor` (a topic that leaves it to the broker breaks a `min`).
    pub replication_factor: Option<RangeRule>,
    /// Configs every topic must declare.
    pub required_configs: Option<KeysRule>,
    /// Configs no topic may declare.
    pub forbidden_configs: Option<KeysRule>,
}

/// `naming:`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NamingRule {
    /// A regular expression (Rust `regex` syntax) that the whole name must match.
    #[schemars(with = "String")]
    pub pattern: Spanned<String>,
    /// Error (default) or warning.
    #[serde(default = "error")]
    pub severity: Severity,
}

/// A numeric range rule.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RangeRule {
    /// Smallest allowed value.
    pub min: Option<i64>,
    /// Largest allowed value.
    pub max: Option<i64>,
    /// Error (default) or warning.
    #[serde(default = "error")]
    pub severity: Severity,
}

/// A rule about config keys.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KeysRule {
    /// The config keys.
    pub keys: Vec<String>,
    /// Error (default) or warning.
    #[serde(default = "error")]
    pub severity: Severity,
}

fn error() -> Severity {
    Severity::Error
}

/// A checked policy, ready to apply.
#[derive(Debug, Default)]
pub struct Policy<'a> {
    naming: Option<(Regex, &'a NamingRule)>,
    doc: Option<&'a PolicyDoc>,
}

impl<'a> Policy<'a> {
    /// Compiles the policy's patterns; a bad pattern is an error at its location.
    pub fn new(
        doc: Option<&'a PolicyDoc>,
        locate: &dyn Fn(&serde_saphyr::Location) -> Location,
    ) -> Result<Self, Error> {
        let naming = match doc.and_then(|d| d.naming.as_ref()) {
            None => None,
            Some(rule) => {
                // The user's pattern alone first, so that an error's position points into what they wrote.
                let anchored = format!("^(?:{})$", rule.pattern.value);
                let regex = Regex::new(&rule.pattern.value).and_then(|_| Regex::new(&anchored)).map_err(|e| {
                    Error::at(
                        ErrorKind::Policy {
                            rule: "naming".into(),
                            message: format!("`policy.naming.pattern` is not a valid regular expression: {e}"),
                            severity: Severity::Error,
                            hint: None,
                        },
                        locate(&rule.pattern.referenced),
                    )
                })?;
                Some((regex, rule))
            }
        };
        Ok(Policy { naming, doc })
    }

    /// Every violation in `desired`, each at the place of the offending value.
    pub fn check(&self, desired: &Desired) -> Vec<Error> {
        let Some(doc) = self.doc else { return Vec::new() };
        let mut out = Vec::new();
        let mut push = |rule: &str,
                        severity: Severity,
                        message: String,
                        hint: Option<String>,
                        at: Option<&Location>| {
            out.push(Error { kind: ErrorKind::Policy { rule: rule.into(), message, severity, hint }, at: at.cloned() })
        };
        for t in desired.topics.values() {
            if let Some((regex, rule)) = &self.naming
                && !regex.is_match(&t.name)
            {
                let hint = Some(format!("the project's policy requires names matching `{}`", rule.pattern.value));
                push(
                    "naming",
                    rule.severity,
                    format!("topic name `{}` breaks the naming policy", t.name),
                    hint,
                    t.origin.as_ref(),
                );
            }
            if let Some(rule) = &doc.partitions
                && let Some(message) = outside(rule, i64::from(t.partitions))
            {
                let at = t.locations.partitions.as_ref().or(t.origin.as_ref());
                push(
                    "partitions",
                    rule.severity,
                    format!("topic `{}` has {} partitions; the policy allows {message}", t.name, t.partitions),
                    None,
                    at,
                );
            }
            if let Some(rule) = &doc.replication_factor {
                let at = t.locations.replication_factor.as_ref().or(t.origin.as_ref());
                match t.replication_factor {
                    Some(rf) => {
                        if let Some(message) = outside(rule, i64::from(rf)) {
                            push(
                                "replicationFactor",
                                rule.severity,
                                format!("topic `{}` has replication factor {rf}; the policy allows {message}", t.name),
                                None,
                                at,
                            );
                        }
                    }
                    None if rule.min.is_some() => push(
                        "replicationFactor",
                        rule.severity,
                        format!("topic `{}` does not declare `replicationFactor`, which the policy bounds", t.name),
                        Some("declare it, in the topic or in the file's `defaults`".into()),
                        at,
                    ),
                    None => {}
                }
            }
            if let Some(rule) = &doc.required_configs {
                for key in &rule.keys {
                    if !t.configs.contains_key(key) {
                        push(
                            "requiredConfigs",
                            rule.severity,
                            format!("topic `{}` does not set `{key}`, which the policy requires", t.name),
                            None,
                            t.origin.as_ref(),
                        );
                    }
                }
            }
            if let Some(rule) = &doc.forbidden_configs {
                for key in &rule.keys {
                    if t.configs.contains_key(key) {
                        let at = t.locations.configs.get(key).or(t.origin.as_ref());
                        push(
                            "forbiddenConfigs",
                            rule.severity,
                            format!("topic `{}` sets `{key}`, which the policy forbids", t.name),
                            None,
                            at,
                        );
                    }
                }
            }
        }
        out
    }
}

/// `None` when `value` is within the rule's bounds, else the allowed range in words.
fn outside(rule: &RangeRule, value: i64) -> Option<String> {
    let below = rule.min.is_some_and(|min| value < min);
    let above = rule.max.is_some_and(|max| value > max);
    if !(below || above) {
        return None;
    }
    Some(match (rule.min, rule.max) {
        (Some(lo), Some(hi)) => format!("{lo} to {hi}"),
        (Some(lo), None) => format!("at least {lo}"),
        (None, Some(hi)) => format!("at most {hi}"),
        (None, None) => unreachable!("a bound was broken"),
    })
}
