//! The project's own rules for topics (the `policy:` section of the project file): naming, partition and
//! replication-factor bounds, required and forbidden configs. Each rule is an error or a warning.
//!
//! A rule is checked for sense once, where it is written (a pattern that does not compile, a `min`
//! above its `max`, a config key Kafka does not have); a rule that makes no sense is reported there and
//! then left out, so that it is never blamed on every topic.

use std::path::PathBuf;
use std::sync::Arc;

use regex::Regex;
use schemars::JsonSchema;
use serde::de::MapAccess;

use super::model::Count;
use super::yaml::{self, At, Pos, Scalar, Shape};
use super::{DesiredTopic, Error, ErrorKind, Location, Severity};
use crate::catalog;

/// `policy:` as written.
#[derive(Debug, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyDoc {
    /// Topic names must match a regular expression.
    pub naming: Option<At<NamingRule>>,
    /// Bounds on `partitions`.
    pub partitions: Option<At<RangeRule>>,
    /// Bounds on `replicationFactor` (a topic that leaves it to the broker breaks a `min`).
    pub replication_factor: Option<At<RangeRule>>,
    /// Configs every topic must declare.
    pub required_configs: Option<At<KeysRule>>,
    /// Configs no topic may declare.
    pub forbidden_configs: Option<At<KeysRule>>,
}

impl PolicyDoc {
    /// The keys of `policy`.
    pub const KEYS: &'static [&'static str] =
        &["naming", "partitions", "replicationFactor", "requiredConfigs", "forbiddenConfigs"];
}

/// `naming:`.
#[derive(Debug, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NamingRule {
    /// A regular expression (Rust `regex` syntax) that the whole name must match.
    #[schemars(with = "String")]
    pub pattern: Option<At<String>>,
    /// Error (default) or warning.
    #[serde(default = "error")]
    #[schemars(with = "Severity")]
    pub severity: Option<At<Severity>>,
    /// The keys it was written with.
    #[schemars(skip)]
    pub written: yaml::Written,
}

/// A numeric range rule.
#[derive(Debug, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RangeRule {
    /// Smallest allowed value.
    #[schemars(with = "Option<i64>")]
    pub min: Option<At<Count>>,
    /// Largest allowed value.
    #[schemars(with = "Option<i64>")]
    pub max: Option<At<Count>>,
    /// Error (default) or warning.
    #[serde(default = "error")]
    #[schemars(with = "Severity")]
    pub severity: Option<At<Severity>>,
}

/// A rule about config keys.
#[derive(Debug, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KeysRule {
    /// The config keys.
    #[schemars(with = "Vec<String>")]
    pub keys: Option<Vec<At<String>>>,
    /// Error (default) or warning.
    #[serde(default = "error")]
    #[schemars(with = "Severity")]
    pub severity: Option<At<Severity>>,
    /// The keys it was written with.
    #[schemars(skip)]
    pub written: yaml::Written,
}

fn error() -> Severity {
    Severity::Error
}

impl Shape for PolicyDoc {
    fn expected() -> &'static str {
        "a mapping of rules: `naming`, `partitions`, `replicationFactor`, `requiredConfigs`, `forbiddenConfigs`"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        matches!(scalar, Scalar::Null).then(PolicyDoc::default)
    }
    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mut p = PolicyDoc::default();
        yaml::fields(&mut map, Self::KEYS, |key, map| {
            match key {
                "naming" => p.naming = yaml::value(map, key)?,
                "partitions" => p.partitions = yaml::value(map, key)?,
                "replicationFactor" => p.replication_factor = yaml::value(map, key)?,
                "requiredConfigs" => p.required_configs = yaml::value(map, key)?,
                _ => p.forbidden_configs = yaml::value(map, key)?,
            }
            Ok(())
        })?;
        Ok(Some(p))
    }
}

impl Shape for NamingRule {
    fn expected() -> &'static str {
        "a mapping with `pattern` (and optionally `severity`)"
    }
    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mut r = NamingRule::default();
        r.written = yaml::fields(&mut map, &["pattern", "severity"], |key, map| {
            match key {
                "pattern" => r.pattern = yaml::value(map, key)?,
                _ => r.severity = yaml::value(map, key)?,
            }
            Ok(())
        })?;
        Ok(Some(r))
    }
}

impl Shape for RangeRule {
    fn expected() -> &'static str {
        "a mapping with `min`, `max` and `severity`"
    }
    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mut r = RangeRule::default();
        yaml::fields(&mut map, &["min", "max", "severity"], |key, map| {
            match key {
                "min" => r.min = yaml::value(map, key)?,
                "max" => r.max = yaml::value(map, key)?,
                _ => r.severity = yaml::value(map, key)?,
            }
            Ok(())
        })?;
        Ok(Some(r))
    }
}

impl Shape for KeysRule {
    fn expected() -> &'static str {
        "a mapping with `keys` (and optionally `severity`)"
    }
    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mut r = KeysRule::default();
        r.written = yaml::fields(&mut map, &["keys", "severity"], |key, map| {
            match key {
                "keys" => r.keys = yaml::value(map, key)?.map(|k| k.value),
                _ => r.severity = yaml::value(map, key)?,
            }
            Ok(())
        })?;
        Ok(Some(r))
    }
}

fn severity_of(s: &Option<At<Severity>>) -> Severity {
    s.as_ref().map_or(Severity::Error, |s| s.value)
}

/// A checked policy, ready to apply: only the rules that make sense.
#[derive(Debug, Default)]
pub struct Policy {
    naming: Option<(Regex, String, Severity)>,
    partitions: Option<Bounds>,
    replication_factor: Option<Bounds>,
    required: Option<(Vec<String>, Severity)>,
    forbidden: Option<(Vec<String>, Severity)>,
}

#[derive(Debug, Clone, Copy)]
struct Bounds {
    min: Option<i64>,
    max: Option<i64>,
    severity: Severity,
}

impl Policy {
    /// Compiles `doc`, written in `file`: the policy of the rules that make sense, and a problem at its
    /// own place for each rule that does not.
    pub fn new(doc: Option<&PolicyDoc>, file: &Arc<PathBuf>) -> (Policy, Vec<Error>) {
        let mut problems = Vec::new();
        let mut policy = Policy::default();
        let Some(doc) = doc else { return (policy, problems) };
        let at = |p: Pos| p.located(file);
        let rule_error = |rule: &str, message: String, hint: Option<String>, pos: Pos| {
            Error::at(ErrorKind::Policy { rule: rule.into(), message, severity: Severity::Error, hint }, at(pos))
        };

        if let Some(rule) = &doc.naming {
            match &rule.value.pattern {
                None if !rule.value.written.missing("pattern") => {}
                None => problems.push(Error::at(
                    ErrorKind::MissingKey { key: "pattern".into(), of: "`policy.naming`".into() },
                    at(rule.at),
                )),
                Some(pattern) => match compile(&pattern.value) {
                    Ok(regex) => {
                        policy.naming = Some((regex, pattern.value.clone(), severity_of(&rule.value.severity)))
                    }
                    Err(reason) => problems.push(rule_error(
                        "naming",
                        format!("`policy.naming.pattern` is not a valid regular expression: {reason}"),
                        Some(
                            "the syntax is Rust's `regex` crate's: <https://docs.rs/regex/latest/regex/#syntax>".into(),
                        ),
                        pattern.at,
                    )),
                },
            }
        }

        for (name, rule, floor, slot) in [
            ("partitions", &doc.partitions, "every topic has at least 1 partition", &mut policy.partitions),
            (
                "replicationFactor",
                &doc.replication_factor,
                "every topic has at least 1 replica",
                &mut policy.replication_factor,
            ),
        ] {
            let Some(rule) = rule else { continue };
            let mut ok = true;
            let mut bound = |which: &str, value: &Option<At<Count>>| -> Option<(i64, Pos)> {
                let value = value.as_ref()?;
                match value.value.within(i64::MIN, i64::MAX) {
                    Ok(n) if n < 1 => {
                        problems.push(rule_error(
                            name,
                            format!("`policy.{name}.{which}` is {n}; {floor}"),
                            None,
                            value.at,
                        ));
                        ok = false;
                        None
                    }
                    Ok(n) => Some((n, value.at)),
                    Err(reason) => {
                        let reason = reason.split(';').next().unwrap_or_default().to_owned();
                        problems.push(rule_error(
                            name,
                            format!("`policy.{name}.{which}` is {reason}"),
                            Some("a bound is a whole number".into()),
                            value.at,
                        ));
                        ok = false;
                        None
                    }
                }
            };
            let min = bound("min", &rule.value.min);
            let max = bound("max", &rule.value.max);
            if let (Some((lo, at)), Some((hi, _))) = (min, max)
                && lo > hi
            {
                problems.push(rule_error(
                    name,
                    format!(
                        "`policy.{name}.min` is {lo}, above `policy.{name}.max` {hi}; no topic could meet the rule"
                    ),
                    None,
                    at,
                ));
                ok = false;
            }
            if ok {
                *slot = Some(Bounds {
                    min: min.map(|(n, _)| n),
                    max: max.map(|(n, _)| n),
                    severity: severity_of(&rule.value.severity),
                });
            }
        }

        let required = doc.required_configs.as_ref().and_then(|r| keys("requiredConfigs", r, file, &mut problems));
        let forbidden = doc.forbidden_configs.as_ref().and_then(|r| keys("forbiddenConfigs", r, file, &mut problems));
        if let (Some((req, _)), Some(forbid)) = (&required, &doc.forbidden_configs) {
            for key in forbid.value.keys.iter().flatten().filter(|k| req.contains(&k.value)) {
                problems.push(Error::at(
                    ErrorKind::Policy {
                        rule: "forbiddenConfigs".into(),
                        message: format!(
                            "`{}` is both required and forbidden by the policy; no topic could meet both rules",
                            key.value
                        ),
                        severity: Severity::Error,
                        hint: None,
                    },
                    at(key.at),
                ));
            }
        }
        policy.required = required;
        policy.forbidden = forbidden;
        (policy, problems)
    }

    /// Every violation by `topic`, each at the place of the offending value.
    pub fn check(&self, t: &DesiredTopic, out: &mut Vec<Error>) {
        let mut push = |rule: &str,
                        severity: Severity,
                        message: String,
                        hint: Option<String>,
                        at: Option<&Location>| {
            out.push(Error { kind: ErrorKind::Policy { rule: rule.into(), message, severity, hint }, at: at.cloned() })
        };
        if let Some((regex, pattern, severity)) = &self.naming
            && !regex.is_match(&t.name)
        {
            let hint = Some(format!("the project's policy requires names matching `{pattern}`"));
            push(
                "naming",
                *severity,
                format!("topic name `{}` breaks the naming policy", t.name),
                hint,
                t.origin.as_ref(),
            );
        }
        if let Some(rule) = &self.partitions
            && let Some(allowed) = rule.outside(i64::from(t.partitions))
        {
            let at = t.locations.partitions.as_ref().or(t.origin.as_ref());
            let message = format!("topic `{}` has {} partitions; the policy allows {allowed}", t.name, t.partitions);
            push("partitions", rule.severity, message, None, at);
        }
        if let Some(rule) = &self.replication_factor {
            let at = t.locations.replication_factor.as_ref().or(t.origin.as_ref());
            match t.replication_factor {
                Some(rf) => {
                    if let Some(allowed) = rule.outside(i64::from(rf)) {
                        let message =
                            format!("topic `{}` has replication factor {rf}; the policy allows {allowed}", t.name);
                        push("replicationFactor", rule.severity, message, None, at);
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
        if let Some((keys, severity)) = &self.required {
            for key in keys.iter().filter(|k| !t.configs.contains_key(k.as_str())) {
                let message = format!("topic `{}` does not set `{key}`, which the policy requires", t.name);
                push("requiredConfigs", *severity, message, None, t.origin.as_ref());
            }
        }
        if let Some((keys, severity)) = &self.forbidden {
            for key in keys.iter().filter(|k| t.configs.contains_key(k.as_str())) {
                let at = t.locations.configs.get(key.as_str()).or(t.origin.as_ref());
                let message = format!("topic `{}` sets `{key}`, which the policy forbids", t.name);
                push("forbiddenConfigs", *severity, message, None, at);
            }
        }
    }
}

/// The keys of a keys rule that can be met, with a problem at each key Kafka does not have (an error
/// when it is close to a key Kafka has: a typo would silently check nothing).
fn keys(
    rule: &str,
    doc: &At<KeysRule>,
    file: &Arc<PathBuf>,
    problems: &mut Vec<Error>,
) -> Option<(Vec<String>, Severity)> {
    let Some(keys) = &doc.value.keys else {
        if !doc.value.written.missing("keys") {
            return None;
        }
        problems.push(Error::at(
            ErrorKind::MissingKey { key: "keys".into(), of: format!("`policy.{rule}`") },
            doc.at.located(file),
        ));
        return None;
    };
    let mut out = Vec::new();
    for key in keys {
        if catalog::get(&key.value).is_none() {
            let names: Vec<String> = catalog::all().iter().map(|c| c.name.to_owned()).collect();
            let suggestion = super::load::closest(&key.value, &names);
            let (severity, hint) = match &suggestion {
                Some(s) => (Severity::Error, Some(format!("did you mean `{s}`?"))),
                None => (Severity::Warning, Some("only a vendor's key under `rawConfig` can meet the rule".to_owned())),
            };
            problems.push(Error::at(
                ErrorKind::Policy {
                    rule: rule.into(),
                    message: format!(
                        "`policy.{rule}` names `{}`, which is not a topic config of Apache Kafka",
                        key.value
                    ),
                    severity,
                    hint,
                },
                key.at.located(file),
            ));
            if suggestion.is_some() {
                continue;
            }
        }
        out.push(key.value.clone());
    }
    Some((out, severity_of(&doc.value.severity)))
}

impl Bounds {
    /// `None` when `value` is within the bounds, else the allowed range in words.
    fn outside(&self, value: i64) -> Option<String> {
        let below = self.min.is_some_and(|min| value < min);
        let above = self.max.is_some_and(|max| value > max);
        if !(below || above) {
            return None;
        }
        Some(match (self.min, self.max) {
            (Some(lo), Some(hi)) => format!("{lo} to {hi}"),
            (Some(lo), None) => format!("at least {lo}"),
            (None, Some(hi)) => format!("at most {hi}"),
            (None, None) => unreachable!("a bound was broken"),
        })
    }
}

/// The whole-name regex of `pattern`, or why it does not compile, in one line with the place in the
/// pattern ("unclosed group, at character 31").
fn compile(pattern: &str) -> Result<Regex, String> {
    if let Err(e) = regex_syntax::Parser::new().parse(pattern) {
        let (kind, at) = match &e {
            regex_syntax::Error::Parse(e) => (e.kind().to_string(), e.span().start.offset),
            regex_syntax::Error::Translate(e) => (e.kind().to_string(), e.span().start.offset),
            other => (other.to_string(), 0),
        };
        let character = pattern[..at.min(pattern.len())].chars().count() + 1;
        return Err(format!("{kind}, at character {character}"));
    }
    Regex::new(&format!("^(?:{pattern})$")).map_err(|e| match e {
        regex::Error::CompiledTooBig(_) => "it compiles to more than the regex engine's size limit".to_owned(),
        other => other.to_string().lines().last().unwrap_or_default().trim_start_matches("error: ").to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_errors_say_where() {
        assert_eq!(compile("[a-z]+(").unwrap_err(), "unclosed group, at character 7");
        assert!(compile("[a-z]+(\\.[a-z0-9-]+)+").is_ok());
        assert!(compile("a").unwrap().is_match("a") && !compile("a").unwrap().is_match("ba"), "whole names");
    }
}
