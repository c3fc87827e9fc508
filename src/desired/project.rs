//! The project file, `topicform.yaml`: which clusters there are and how to reach them.
//!
//! Client properties go to librdkafka as they are, after `${VAR}` interpolation. Their values can be
//! credentials, so [`ClientProperties`] never prints them, not even in `Debug` output.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use serde_saphyr::Spanned;

use globset::Glob;
use schemars::JsonSchema;

use super::model::ConfigMap;
use super::policy::{Policy, PolicyDoc};
use super::validate::Field;
use super::{Desired, Error, ErrorKind, Location, Subject, validate};

/// The project file as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(title = "topicform project file")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProjectDoc {
    /// Clusters by name.
    #[serde(default)]
    pub clusters: BTreeMap<String, ClusterDoc>,
    /// Files and directories holding topic files, relative to the project file. Default: `topics`.
    #[serde(default)]
    pub topics: Option<Vec<String>>,
    /// Glob patterns of the topics this repository owns: live topics matching them that no file
    /// declares are reported as unmanaged.
    #[serde(default)]
    pub owns: Vec<String>,
    /// Glob patterns of topics that are never reported and never touched.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Whether undeclared topic overrides are removed (`strict`, the default) or kept (`additive`).
    #[serde(default)]
    pub config_mode: Option<ConfigMode>,
    /// The project's own rules for topics.
    #[serde(default)]
    pub policy: Option<PolicyDoc>,
    /// How old a saved plan `apply` still takes (`7d`, `36h`; default 7 days); `--max-plan-age` wins.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub max_plan_age: Option<Spanned<String>>,
}

/// What happens to a live topic override that the files do not declare.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConfigMode {
    /// It is drift, and apply removes it.
    #[default]
    Strict,
    /// It is kept, and the plan reports it as a warning.
    Additive,
}

/// One entry of a cluster's `overrides:`: values that replace the files' for topics matching a glob.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OverrideDoc {
    /// A glob over topic names (`*`, `payments.*`).
    #[serde(rename = "match")]
    #[schemars(with = "String")]
    pub pattern: Spanned<String>,
    /// Partition count for matching topics.
    #[schemars(with = "Option<crate::desired::shapes::PartitionCount>")]
    pub partitions: Option<Spanned<super::model::Count>>,
    /// Replication factor for matching topics.
    #[schemars(with = "Option<u16>", range(min = 1))]
    pub replication_factor: Option<Spanned<super::model::Count>>,
    /// Configs for matching topics; they replace the files' values key by key.
    #[serde(default)]
    pub config: ConfigMap,
}

/// One entry of `clusters:` as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterDoc {
    /// Bootstrap servers, `host:port[,host:port...]`; `${VAR}` is replaced from the environment.
    #[schemars(with = "String")]
    pub bootstrap: Spanned<String>,
    /// librdkafka client properties (`security.protocol`, `sasl.username`, ...), passed as they are;
    /// `${VAR}` is replaced from the environment. Values are never printed.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, crate::desired::shapes::Scalar>")]
    pub client: ConfigMap,
    /// Per-cluster adjustments of the declared topics, in order; a later match wins.
    #[serde(default)]
    pub overrides: Vec<OverrideDoc>,
    /// This cluster's config mode; overrides the project's.
    #[serde(default)]
    pub config_mode: Option<ConfigMode>,
    /// The Apache Kafka release the cluster runs, quoted (`"3.9"`), so that `validate` checks topic
    /// configs against it without a connection; `plan` detects the release and says when they differ.
    #[serde(default)]
    #[schemars(with = "Option<crate::catalog::Release>")]
    pub kafka_version: Option<Spanned<crate::catalog::Value>>,
}

/// A loaded project file.
#[derive(Debug)]
pub struct Project {
    /// Where it was read from.
    pub path: PathBuf,
    /// The parsed document.
    pub doc: ProjectDoc,
    /// Location of the document's start, to which whole-file problems point.
    pub(crate) origin: Location,
}

/// Everything needed to connect to one cluster, with every `${VAR}` resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// The cluster's name in the project file.
    pub name: String,
    /// Bootstrap servers.
    pub bootstrap: String,
    /// librdkafka properties.
    pub client: ClientProperties,
    /// The declared release (`kafkaVersion`) and where it is written.
    pub kafka_version: Option<(crate::catalog::Release, Location)>,
}

/// librdkafka properties. Values may be secrets: `Debug` shows keys only, and there is no `Display`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ClientProperties(BTreeMap<String, String>);

impl ClientProperties {
    /// Wraps properties.
    pub fn new(map: BTreeMap<String, String>) -> Self {
        ClientProperties(map)
    }

    /// Every property, for handing to the Kafka client. Never print what this returns.
    pub fn expose(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl fmt::Debug for ClientProperties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.keys().map(|k| (k, "<redacted>"))).finish()
    }
}

impl Project {
    /// The topic paths the project names, relative to the current directory.
    pub fn topic_paths(&self) -> Vec<PathBuf> {
        let base = self.path.parent().map(PathBuf::from).unwrap_or_default();
        match &self.doc.topics {
            Some(paths) => paths.iter().map(|p| base.join(p)).collect(),
            None => vec![base.join("topics")],
        }
    }

    /// The cluster `name`, or the only cluster when `name` is `None`, with `${VAR}`s resolved by `env`.
    pub fn cluster(
        &self,
        name: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ClusterConfig, Vec<Error>> {
        let known: Vec<String> = self.doc.clusters.keys().cloned().collect();
        let name = match (name, known.as_slice()) {
            (Some(n), _) => n.to_owned(),
            (None, [only]) => only.clone(),
            (None, _) => {
                return Err(vec![Error::at(
                    ErrorKind::UnknownCluster { name: String::new(), known },
                    self.origin.clone(),
                )]);
            }
        };
        let Some(doc) = self.doc.clusters.get(&name) else {
            return Err(vec![Error::at(ErrorKind::UnknownCluster { name, known }, self.origin.clone())]);
        };

        let mut errors = Vec::new();
        let resolve = |value: &str, at: Location, errors: &mut Vec<Error>| match interpolate(value, env) {
            Ok(v) => Some(v),
            Err(kind) => {
                errors.push(Error::at(kind, at));
                None
            }
        };
        let bootstrap = resolve(&doc.bootstrap.value, self.locate(&doc.bootstrap.referenced), &mut errors);
        let mut client = BTreeMap::new();
        for (key, value) in &doc.client.0 {
            let at = self.locate(&value.referenced);
            match value.value.as_text() {
                Ok(raw) => {
                    if let Some(v) = resolve(&raw, at, &mut errors) {
                        client.insert(key.value.clone(), v);
                    }
                }
                // The reason describes the value's shape (a list, null), never the value itself.
                Err(invalid) => errors.push(Error::at(
                    ErrorKind::InvalidClientProperty { key: key.value.clone(), reason: invalid.reason },
                    at,
                )),
            }
        }
        if let Some(b) = &bootstrap
            && b.trim().is_empty()
        {
            errors.push(Error::at(
                ErrorKind::Empty { key: format!("clusters.{name}.bootstrap") },
                self.locate(&doc.bootstrap.referenced),
            ));
        }
        let kafka_version = match self.release_of(&name) {
            Some(Ok(declared)) => Some(declared),
            Some(Err(e)) => {
                errors.push(e);
                None
            }
            None => None,
        };
        match bootstrap {
            Some(bootstrap) if errors.is_empty() => {
                Ok(ClusterConfig { name, bootstrap, client: ClientProperties(client), kafka_version })
            }
            _ => Err(errors),
        }
    }

    /// `maxPlanAge`, in seconds, if the project sets it.
    pub fn max_plan_age(&self) -> Option<Result<u64, Error>> {
        let written = self.doc.max_plan_age.as_ref()?;
        Some(match crate::catalog::duration_in_ms(&written.value) {
            Ok(ms) if ms >= 0 => Ok((ms / 1000) as u64),
            Ok(_) => Err(Error::at(
                ErrorKind::InvalidMaxPlanAge { reason: "negative".into() },
                self.locate(&written.referenced),
            )),
            Err(invalid) => Err(Error::at(
                ErrorKind::InvalidMaxPlanAge { reason: invalid.reason },
                self.locate(&written.referenced),
            )),
        })
    }

    /// The `kafkaVersion` of cluster `name`, if it declares one.
    pub fn release_of(&self, name: &str) -> Option<Result<(crate::catalog::Release, Location), Error>> {
        let written = self.doc.clusters.get(name)?.kafka_version.as_ref()?;
        let at = self.locate(&written.referenced);
        let bad = |reason: String| Error::at(ErrorKind::BadRelease { cluster: name.to_owned(), reason }, at.clone());
        Some(match &written.value {
            crate::catalog::Value::String(text) => match text.parse::<crate::catalog::Release>() {
                Ok(r) if r < crate::catalog::Release::OLDEST => {
                    Err(bad(format!("{r}, older than the oldest release topicform supports (2.8)")))
                }
                Ok(r) => Ok((r, at)),
                Err(e) => Err(bad(e.to_string())),
            },
            // YAML reads `3.10` as the number 3.1: only a string says the release exactly.
            other => Err(bad(format!("{other}, a number; write it as a string"))),
        })
    }

    /// The desired state as it applies to cluster `name`: the cluster's `overrides` applied in order,
    /// then the rules that span fields checked again, then the project's policy. Returns every problem;
    /// the state is usable only when none is an error.
    pub fn desired_for(&self, cluster: Option<&str>, desired: &Desired) -> (Desired, Vec<Error>) {
        let mut out = desired.clone();
        let mut problems = Vec::new();
        let doc = cluster.and_then(|name| self.doc.clusters.get(name));
        let mode = doc.and_then(|c| c.config_mode).or(self.doc.config_mode);
        for topic in out.topics.values_mut() {
            if topic.config_mode.is_none() {
                topic.config_mode = mode;
            }
        }
        for rule in doc.map(|c| c.overrides.as_slice()).unwrap_or_default() {
            let matcher = match Glob::new(&rule.pattern.value) {
                Ok(glob) => glob.compile_matcher(),
                Err(e) => {
                    problems.push(Error::at(
                        ErrorKind::BadPattern { pattern: rule.pattern.value.clone(), reason: e.kind().to_string() },
                        self.locate(&rule.pattern.referenced),
                    ));
                    continue;
                }
            };
            let subject = Subject::Override {
                cluster: cluster.unwrap_or_default().to_owned(),
                pattern: rule.pattern.value.clone(),
            };
            let locate = |l: &serde_saphyr::Location| self.locate(l);
            // Checked once per override, not once per matching topic.
            let partitions =
                validate::check_count(rule.partitions.as_ref(), &subject, Field::Partitions, &locate, &mut problems);
            let rf = validate::check_count(
                rule.replication_factor.as_ref(),
                &subject,
                Field::ReplicationFactor,
                &locate,
                &mut problems,
            );
            let mut configs = BTreeMap::new();
            let mut config_at = BTreeMap::new();
            validate::configs_into(&subject, &rule.config, &locate, &mut configs, &mut config_at, &mut problems);
            for topic in out.topics.values_mut().filter(|t| matcher.is_match(&t.name)) {
                if let Some(Ok((n, at))) = &partitions {
                    topic.partitions = *n as u32;
                    topic.locations.partitions = Some(at.clone());
                }
                if let Some(Ok((n, at))) = &rf {
                    topic.replication_factor = Some(*n as u16);
                    topic.locations.replication_factor = Some(at.clone());
                }
                topic.configs.extend(configs.clone());
                topic.locations.configs.extend(config_at.clone());
            }
        }
        // Overrides can break rules the files alone kept (`replicationFactor: 1` under
        // `min.insync.replicas: 2`), so these run on the result. Collisions were reported already.
        problems.extend(
            validate::cross_checks(&out, cluster)
                .into_iter()
                .filter(|e| !matches!(e.kind, ErrorKind::NameCollision { .. }))
                // A conflict the files alone have was reported already, without a cluster.
                .filter(|e| !validate::cross_checks(desired, None).iter().any(|d| d.at == e.at && same_topic(d, e))),
        );
        match Policy::new(self.doc.policy.as_ref(), &|l| self.locate(l)) {
            Ok(policy) => problems.extend(policy.check(&out)),
            Err(e) => problems.push(e),
        }
        if let Some(name) = cluster {
            match self.release_of(name) {
                Some(Ok((release, at))) => {
                    let basis = super::ReleaseBasis::Declared { cluster: name.to_owned(), at };
                    problems.extend(super::check_release(&out, release, &basis));
                }
                Some(Err(e)) => problems.push(e),
                None => {}
            }
        }
        (out, problems)
    }

    /// Checks, offline, what can be checked without the environment: every `${...}` reference in the
    /// project file is well formed.
    pub fn check_references(&self) -> Vec<Error> {
        let mut problems = Vec::new();
        for cluster in self.doc.clusters.values() {
            let values = std::iter::once(&cluster.bootstrap)
                .map(|b| (b.value.clone(), &b.referenced))
                .chain(cluster.client.0.iter().filter_map(|(_, v)| v.value.as_text().ok().map(|t| (t, &v.referenced))));
            for (text, at) in values {
                if let Err(kind @ ErrorKind::BadVariable { .. }) = interpolate(&text, &|_| Some(String::new())) {
                    problems.push(Error::at(kind, self.locate(at)));
                }
            }
        }
        problems
    }

    /// The clusters the project names.
    pub fn cluster_names(&self) -> impl Iterator<Item = &str> {
        self.doc.clusters.keys().map(String::as_str)
    }

    /// Glob patterns of the topics this repository owns.
    pub fn owns(&self) -> &[String] {
        &self.doc.owns
    }

    /// Glob patterns of the topics that are never reported or touched.
    pub fn ignore(&self) -> &[String] {
        &self.doc.ignore
    }

    fn locate(&self, at: &serde_saphyr::Location) -> Location {
        super::load::location(&self.origin.file, at)
    }
}

fn same_topic(a: &Error, b: &Error) -> bool {
    match (&a.kind, &b.kind) {
        (
            ErrorKind::MinInsyncAboveReplicationFactor { topic: x, .. },
            ErrorKind::MinInsyncAboveReplicationFactor { topic: y, .. },
        ) => x == y,
        _ => false,
    }
}

/// Replaces every `${NAME}` in `text` with the variable's value, and every `${file:PATH}` with what
/// `lookup` returns for `file:PATH` (the caller reads the file). `$${` stands for a literal `${`.
pub fn interpolate(text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, ErrorKind> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        if let Some(after) = rest.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = rest.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                return Err(ErrorKind::BadVariable { text: rest.chars().take(40).collect() });
            };
            let name = &after[..end];
            // `${file:PATH}`: the content of a file, such as a mounted secret; the lookup reads it.
            let file = name.strip_prefix("file:").is_some_and(|path| !path.trim().is_empty());
            let legal = file
                || (!name.is_empty()
                    && !name.starts_with(|c: char| c.is_ascii_digit())
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if !legal {
                return Err(ErrorKind::BadVariable { text: format!("${{{name}}}") });
            }
            match env(name) {
                Some(value) => out.push_str(&value),
                None => return Err(ErrorKind::UnsetVariable { name: name.to_owned() }),
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "USER" => Some("alice".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn interpolation() {
        let cases: [(&str, Result<&str, ErrorKind>); 8] = [
            ("plain", Ok("plain")),
            ("${USER}", Ok("alice")),
            ("a-${USER}-b", Ok("a-alice-b")),
            ("${EMPTY}x", Ok("x")),
            ("cost $5", Ok("cost $5")),
            ("$${USER}", Ok("${USER}")),
            ("${MISSING}", Err(ErrorKind::UnsetVariable { name: "MISSING".into() })),
            ("${USER", Err(ErrorKind::BadVariable { text: "${USER".into() })),
        ];
        for (input, want) in cases {
            assert_eq!(interpolate(input, &env), want.map(String::from), "{input}");
        }
        assert_eq!(interpolate("${1X}", &env), Err(ErrorKind::BadVariable { text: "${1X}".into() }));
    }

    #[test]
    fn client_properties_debug_hides_values() {
        let props = ClientProperties::new(BTreeMap::from([("sasl.password".into(), "hunter2".into())]));
        let shown = format!("{props:?}");
        assert!(shown.contains("sasl.password"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
