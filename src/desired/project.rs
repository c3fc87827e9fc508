//! The project file, `topicform.yaml`: which clusters there are and how to reach them.
//!
//! Client properties go to librdkafka as they are, after `${VAR}` interpolation. Their values can be
//! credentials, so [`ClientProperties`] never prints them, not even in `Debug` output.

use compact_str::CompactString;
use litemap::LiteMap;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::Glob;
use schemars::JsonSchema;
use serde::de::{MapAccess, SeqAccess};

use super::bootstrap;
use super::client;
use super::model::{ConfigMap, ConfigValue, Count};
use super::policy::{Policy, PolicyDoc};
use super::validate::Field;
use super::yaml::{self, At, Scalar, Shape};
use super::{Desired, DesiredTopic, Error, ErrorKind, Location, Subject, validate};

/// The project file as written.
#[derive(Debug, Default, JsonSchema)]
#[schemars(title = "topicform project file")]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProjectDoc {
    /// Clusters by name.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ClusterDoc>")]
    pub clusters: Vec<(At<String>, At<ClusterDoc>)>,
    /// Files and directories holding topic files, relative to the project file. Default: `topics`.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub topics: Option<At<Vec<At<String>>>>,
    /// Glob patterns of the topics this repository owns: live topics matching them that no file
    /// declares are reported as unmanaged.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub owns: Vec<At<String>>,
    /// Glob patterns of topics that are never reported and never touched.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub ignore: Vec<At<String>>,
    /// Whether undeclared topic overrides are removed (`strict`, the default) or kept (`additive`).
    #[serde(default)]
    #[schemars(with = "Option<ConfigMode>")]
    pub config_mode: Option<At<ConfigMode>>,
    /// The project's own rules for topics.
    #[serde(default)]
    #[schemars(with = "Option<PolicyDoc>")]
    pub policy: Option<At<PolicyDoc>>,
    /// How old a saved plan `apply` still takes (`7d`, `36h`; 1s to 365d;
    /// default 7 days); `--max-plan-age` wins.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub max_plan_age: Option<At<String>>,
    /// How old a snapshot `plan --from-snapshot` still takes (`24h`, `7d`; 1s to 365d;
    /// default: any age); `--max-snapshot-age` wins.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub max_snapshot_age: Option<At<String>>,
}

impl ProjectDoc {
    /// The keys of the project file.
    pub const KEYS: &'static [&'static str] =
        &["clusters", "topics", "owns", "ignore", "configMode", "policy", "maxPlanAge", "maxSnapshotAge"];
}

impl Shape for ProjectDoc {
    fn expected() -> &'static str {
        "a mapping with `clusters` and the project's other keys"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        matches!(scalar, Scalar::Null).then(ProjectDoc::default)
    }
    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mut p = ProjectDoc::default();
        yaml::fields(&mut map, Self::KEYS, |key, map| {
            match key {
                "clusters" => p.clusters = yaml::value::<Clusters, _>(map, key)?.map(|c| c.value.0).unwrap_or_default(),
                "topics" => p.topics = yaml::value(map, key)?,
                "owns" => p.owns = yaml::value(map, key)?.map(|v| v.value).unwrap_or_default(),
                "ignore" => p.ignore = yaml::value(map, key)?.map(|v| v.value).unwrap_or_default(),
                "configMode" => p.config_mode = yaml::value(map, key)?,
                "maxPlanAge" => p.max_plan_age = yaml::value(map, key)?,
                "maxSnapshotAge" => p.max_snapshot_age = yaml::value(map, key)?,
                _ => p.policy = yaml::value(map, key)?,
            }
            Ok(())
        })?;
        Ok(Some(p))
    }
}

/// `clusters:`, by name.
struct Clusters(Vec<(At<String>, At<ClusterDoc>)>);

impl Shape for Clusters {
    fn expected() -> &'static str {
        "a mapping of cluster names to clusters: `name:` lines, each with a `bootstrap`"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        matches!(scalar, Scalar::Null).then(|| Clusters(Vec::new()))
    }
    fn map<'de, A: MapAccess<'de>>(map: A) -> Result<Option<Self>, A::Error> {
        yaml::entries(map, |name| Some(Subject::Cluster(yaml::shown(name)))).map(|c| Some(Clusters(c)))
    }
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
#[derive(Debug, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OverrideDoc {
    /// A glob over topic names (`*`, `payments.*`).
    #[serde(rename = "match")]
    #[schemars(with = "String")]
    pub pattern: Option<At<String>>,
    /// Partition count for matching topics.
    #[schemars(with = "Option<crate::desired::shapes::PartitionCount>")]
    pub partitions: Option<At<Count>>,
    /// Replication factor for matching topics.
    #[schemars(with = "Option<u16>", range(min = 1))]
    pub replication_factor: Option<At<Count>>,
    /// Configs for matching topics; they replace the files' values key by key.
    #[serde(default)]
    pub config: ConfigMap,
    /// The keys it was written with.
    #[schemars(skip)]
    pub written: yaml::Written,
}

impl OverrideDoc {
    /// The keys of an override.
    pub const KEYS: &'static [&'static str] = &["match", "partitions", "replicationFactor", "config"];
}

impl Shape for OverrideDoc {
    fn expected() -> &'static str {
        "an override: a mapping with `match` and the values it sets"
    }
    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mark = yaml::mark();
        let mut o = OverrideDoc::default();
        o.written = yaml::fields(&mut map, Self::KEYS, |key, map| {
            match key {
                "match" => o.pattern = yaml::value(map, key)?,
                "partitions" => o.partitions = yaml::value(map, key)?,
                "replicationFactor" => o.replication_factor = yaml::value(map, key)?,
                _ => o.config = yaml::value(map, key)?.map(|c| c.value).unwrap_or_default(),
            }
            Ok(())
        })?;
        if let Some(pattern) = &o.pattern {
            let cluster = yaml::enclosing_name().unwrap_or_default();
            yaml::name_subject(mark, Some(Subject::Override { cluster, pattern: yaml::shown(&pattern.value) }));
        }
        Ok(Some(o))
    }
}

/// `bootstrap`: a comma-separated string, or a list of `host:port`.
#[derive(Debug, Clone, PartialEq)]
pub enum Bootstrap {
    /// `host:port[,host:port...]`.
    Text(String),
    /// One `host:port` per entry.
    List(Vec<At<String>>),
}

impl Shape for Bootstrap {
    fn expected() -> &'static str {
        "`host:port[,host:port...]`, or a list of `host:port`"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        match scalar {
            Scalar::Text(s) => Some(Bootstrap::Text(s.to_owned())),
            _ => None,
        }
    }
    fn seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Option<Self>, A::Error> {
        yaml::items(seq).map(|items| Some(Bootstrap::List(items)))
    }
}

impl Bootstrap {
    /// Every entry as written, with where it is written (a list's own entry, or the whole string).
    fn entries(&self, at: yaml::Pos) -> Vec<(&str, yaml::Pos)> {
        match self {
            Bootstrap::Text(t) => bootstrap::entries(t).into_iter().map(|e| (e, at)).collect(),
            Bootstrap::List(items) => items.iter().map(|i| (i.value.as_str(), i.at)).collect(),
        }
    }
}

/// One entry of `clusters:` as written.
#[derive(Debug, Default, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterDoc {
    /// Bootstrap servers, `host:port[,host:port...]` or a list of `host:port`; `${VAR}` is replaced from
    /// the environment.
    #[schemars(with = "crate::desired::shapes::Bootstrap")]
    pub bootstrap: Option<At<Bootstrap>>,
    /// librdkafka client properties (`security.protocol`, `sasl.username`, ...), passed as they are;
    /// `${VAR}` is replaced from the environment. Values are never printed.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, crate::desired::shapes::Scalar>")]
    pub client: ConfigMap,
    /// Per-cluster adjustments of the declared topics, in order; a later match wins.
    #[serde(default)]
    #[schemars(with = "Vec<OverrideDoc>")]
    pub overrides: Vec<At<OverrideDoc>>,
    /// This cluster's config mode; overrides the project's.
    #[serde(default)]
    #[schemars(with = "Option<ConfigMode>")]
    pub config_mode: Option<At<ConfigMode>>,
    /// The Apache Kafka release the cluster runs, quoted (`"3.9"`), so that `validate` checks topic
    /// configs against it without a connection; `plan` detects the release and says when they differ.
    #[serde(default)]
    #[schemars(with = "Option<crate::catalog::Release>")]
    pub kafka_version: Option<At<ConfigValue>>,
    /// The keys it was written with.
    #[schemars(skip)]
    pub written: yaml::Written,
}

impl ClusterDoc {
    /// The keys of a cluster.
    pub const KEYS: &'static [&'static str] = &["bootstrap", "client", "overrides", "configMode", "kafkaVersion"];
}

impl Shape for ClusterDoc {
    fn expected() -> &'static str {
        "a cluster: a mapping with `bootstrap` (and optionally `client`, `overrides`, `configMode`, `kafkaVersion`)"
    }
    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        let mut c = ClusterDoc::default();
        c.written = yaml::fields(&mut map, Self::KEYS, |key, map| {
            match key {
                "bootstrap" => c.bootstrap = yaml::value(map, key)?,
                "client" => c.client = yaml::value(map, key)?.map(|v| v.value).unwrap_or_default(),
                "overrides" => c.overrides = yaml::value(map, key)?.map(|v| v.value).unwrap_or_default(),
                "configMode" => c.config_mode = yaml::value(map, key)?,
                _ => c.kafka_version = yaml::value(map, key)?,
            }
            Ok(())
        })?;
        Ok(Some(c))
    }
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
    /// What reading it found wrong, and what the offline checks found: errors and warnings.
    problems: Vec<Error>,
    /// The policy's rules that make sense.
    policy: Policy,
    owns: Vec<String>,
    ignore: Vec<String>,
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

impl ClusterConfig {
    /// `bootstrap` as messages may show it: as written when it holds a `${...}` reference, whose value
    /// is never shown.
    pub fn shown_bootstrap(&self) -> &str {
        self.client.bootstrap_template.as_deref().unwrap_or(&self.bootstrap)
    }
}

/// librdkafka properties. Values may be secrets: `Debug` shows keys only, and there is no `Display`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ClientProperties {
    map: BTreeMap<String, String>,
    /// `bootstrap` as written, when it came from `${...}`: the brokers are then not shown either.
    bootstrap_template: Option<String>,
}

impl ClientProperties {
    /// Wraps properties.
    pub fn new(map: BTreeMap<String, String>) -> Self {
        ClientProperties { map, bootstrap_template: None }
    }

    /// Every property, for handing to the Kafka client. Never print what this returns.
    pub fn expose(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Whether the cluster's `bootstrap` came from `${...}`, so that its brokers are secret too.
    pub fn hides_bootstrap(&self) -> bool {
        self.bootstrap_template.is_some()
    }
}

impl fmt::Debug for ClientProperties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.map.keys().map(|k| (k, "<redacted>"))).finish()
    }
}

impl Project {
    /// The project of `doc`, read from `path`, with the problems reading it found; runs the checks that
    /// need no environment and no cluster.
    pub(crate) fn new(path: &Path, doc: ProjectDoc, mut problems: Vec<Error>) -> Project {
        let file = Arc::new(path.to_path_buf());
        let origin = Location { file: file.clone(), line: 1, column: 1, offset: Some(0) };
        let (policy, more) = Policy::new(doc.policy.as_ref().map(|p| &p.value), &file);
        problems.extend(more);
        let mut project = Project {
            path: path.to_path_buf(),
            owns: doc.owns.iter().map(|p| p.value.clone()).collect(),
            ignore: doc.ignore.iter().map(|p| p.value.clone()).collect(),
            doc,
            origin,
            problems: Vec::new(),
            policy,
        };
        problems.extend(project.offline());
        project.problems = problems;
        project
    }

    /// What reading the project file found, and what can be checked in it without the environment or
    /// a cluster: errors and warnings, each at its place.
    pub fn problems(&self) -> &[Error] {
        &self.problems
    }

    fn file(&self) -> &Arc<PathBuf> {
        &self.origin.file
    }

    fn offline(&self) -> Vec<Error> {
        let mut problems = Vec::new();
        let at = |p: yaml::Pos| p.located(self.file());
        if self.doc.clusters.is_empty() {
            problems.push(Error::at(ErrorKind::NoClusters { needed: false }, self.origin.clone()));
        }
        for (name, cluster) in &self.doc.clusters {
            if let Err(reason) = check_cluster_name(&name.value) {
                let kind = ErrorKind::InvalidClusterName { name: name.value.clone(), reason };
                problems.push(Error::at(kind, at(name.at)));
            }
            let name = &name.value;
            let doc = &cluster.value;
            match &doc.bootstrap {
                None if !doc.written.missing("bootstrap") => {}
                None => problems.push(Error::at(
                    ErrorKind::MissingKey { key: "bootstrap".into(), of: format!("cluster `{}`", yaml::shown(name)) },
                    at(cluster.at),
                )),
                Some(b) => problems.extend(self.check_bootstrap(name, &b.value, b.at, None)),
            }
            for (key, value) in &doc.client.0 {
                let text = match value.value.as_text() {
                    Ok(text) => text,
                    // The reason describes the value's shape (a list, null), never the value itself.
                    Err(invalid) => {
                        problems.push(Error::at(
                            ErrorKind::InvalidClientProperty { key: key.value.clone(), reason: invalid.reason },
                            at(value.at),
                        ));
                        continue;
                    }
                };
                let literal = !text.contains("${");
                if !literal
                    && let Err(kind @ ErrorKind::BadVariable { .. }) = interpolate(&text, &|_| Some(String::new()))
                {
                    problems.push(Error::at(kind, at(value.at)));
                }
                for problem in client::check(&key.value, literal.then_some(text.as_str())) {
                    let pos = if matches!(problem, client::Problem::Unknown { .. } | client::Problem::Own) {
                        key.at
                    } else {
                        value.at
                    };
                    problems.push(Error::at(client_problem(name, &key.value, problem, false), at(pos)));
                }
            }
            for rule in &doc.overrides {
                match &rule.value.pattern {
                    None if !rule.value.written.missing("match") => {}
                    None => problems.push(Error::at(
                        ErrorKind::MissingKey {
                            key: "match".into(),
                            of: format!("an entry of `overrides` of cluster `{}`", yaml::shown(name)),
                        },
                        at(rule.at),
                    )),
                    Some(p) => problems.extend(glob_problem("match", p, self.file())),
                }
            }
        }
        for (key, patterns) in [("owns", &self.doc.owns), ("ignore", &self.doc.ignore)] {
            for p in patterns {
                problems.extend(glob_problem(key, p, self.file()));
            }
        }
        problems.extend(self.max_plan_age().and_then(Result::err));
        problems.extend(self.max_snapshot_age().and_then(Result::err));
        problems
    }

    /// The problems of a cluster's `bootstrap`: of its literal text when `resolved` is `None`, else of
    /// the text `${VAR}`s resolved to, which no message shows.
    fn check_bootstrap(&self, cluster: &str, written: &Bootstrap, at: yaml::Pos, resolved: Option<&str>) -> Vec<Error> {
        let mut problems = Vec::new();
        let located = |p: yaml::Pos| p.located(self.file());
        let key = format!("clusters.{}.bootstrap", yaml::shown(cluster));
        let entries: Vec<(&str, yaml::Pos, bool)> = match resolved {
            Some(text) => bootstrap::entries(text).into_iter().map(|e| (e, at, true)).collect(),
            None => written.entries(at).into_iter().map(|(e, p)| (e, p, false)).collect(),
        };
        if entries.iter().all(|(e, _, _)| e.is_empty()) {
            problems.push(Error::at(ErrorKind::Empty { key }, located(at)));
            return problems;
        }
        for (i, (entry, pos, hidden)) in entries.iter().enumerate() {
            // A template's entries are checked once resolved, at plan time.
            if !hidden && entry.contains("${") {
                if let Err(kind @ ErrorKind::BadVariable { .. }) = interpolate(entry, &|_| Some(String::new())) {
                    problems.push(Error::at(kind, located(*pos)));
                }
                continue;
            }
            if let Err(refusal) = bootstrap::check(entry) {
                problems.push(Error::at(
                    ErrorKind::BadBootstrap {
                        cluster: yaml::shown(cluster),
                        entry: (!hidden).then(|| yaml::shown(entry)),
                        position: i + 1,
                        reason: refusal.reason().into(),
                    },
                    located(*pos),
                ));
            }
        }
        problems
    }

    /// The topic paths the project names, relative to the current directory.
    pub fn topic_paths(&self) -> Vec<PathBuf> {
        self.located_topic_paths().into_iter().map(|(path, _)| path).collect()
    }

    /// [`Self::topic_paths`], each with where the project file names it (`None` for the default
    /// `topics`, which it does not name).
    pub fn located_topic_paths(&self) -> Vec<(PathBuf, Option<Location>)> {
        let base = self.path.parent().map(PathBuf::from).unwrap_or_default();
        match &self.doc.topics {
            Some(paths) => paths.value.iter().map(|p| (base.join(&p.value), Some(p.at.located(self.file())))).collect(),
            None => vec![(base.join("topics"), None)],
        }
    }

    /// The cluster `name`, or the only cluster when `name` is `None`, with `${VAR}`s resolved by `env`;
    /// `${file:PATH}` names a file relative to the project file's directory.
    pub fn cluster(
        &self,
        name: Option<&str>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ClusterConfig, Vec<Error>> {
        let known: Vec<String> = self.cluster_names().map(str::to_owned).collect();
        let name = match (name, known.as_slice()) {
            (_, []) => return Err(vec![Error::at(ErrorKind::NoClusters { needed: true }, self.origin.clone())]),
            (Some(n), _) => n.to_owned(),
            (None, [only]) => only.clone(),
            (None, _) => return Err(vec![Error::at(ErrorKind::ChooseCluster { known }, self.origin.clone())]),
        };
        let Some((_, cluster)) = self.doc.clusters.iter().find(|(n, _)| n.value == name) else {
            return Err(vec![Error::at(ErrorKind::UnknownCluster { name, known }, self.origin.clone())]);
        };
        let doc = &cluster.value;
        let base = self.path.parent().map(Path::to_path_buf).unwrap_or_default();
        // What a `${file:...}` named when it is a named pipe, a socket or a device: never handed to
        // `env` (a read would block past `--timeout`), and said in the message.
        let special: std::cell::RefCell<Option<String>> = std::cell::RefCell::new(None);
        let env = |var: &str| match var.strip_prefix("file:") {
            Some(path) => {
                let path = Path::new(path.trim());
                let path = if path.is_absolute() { path.to_path_buf() } else { base.join(path) };
                if let Some(what) = super::load::special_file(&path) {
                    *special.borrow_mut() = Some(what);
                    return None;
                }
                env(&format!("file:{}", path.display()))
            }
            None => env(var),
        };
        let mut errors = Vec::new();
        let at = |p: yaml::Pos| p.located(self.file());
        let resolve = |value: &str, pos: yaml::Pos, errors: &mut Vec<Error>| match interpolate(value, &env) {
            Ok(v) => Some(v),
            Err(kind) => {
                let kind = match (kind, special.borrow_mut().take()) {
                    (ErrorKind::UnsetVariable { name }, Some(what)) => ErrorKind::SpecialFileReference { name, what },
                    (kind, _) => kind,
                };
                errors.push(Error::at(kind, at(pos)));
                None
            }
        };
        let mut bootstrap_template = None;
        let bootstrap = match &doc.bootstrap {
            None => {
                errors.push(Error::at(
                    ErrorKind::MissingKey { key: "bootstrap".into(), of: format!("cluster `{}`", yaml::shown(&name)) },
                    at(cluster.at),
                ));
                None
            }
            Some(b) => {
                let pieces: Vec<(String, yaml::Pos)> = match &b.value {
                    Bootstrap::Text(t) => vec![(t.clone(), b.at)],
                    Bootstrap::List(items) => items.iter().map(|i| (i.value.clone(), i.at)).collect(),
                };
                let templated = pieces.iter().any(|(p, _)| p.contains("${"));
                if templated {
                    bootstrap_template = Some(pieces.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>().join(","));
                }
                let resolved: Option<Vec<String>> =
                    pieces.iter().map(|(p, pos)| resolve(p, *pos, &mut errors)).collect();
                resolved.map(|r| r.join(",")).filter(|joined| {
                    // A literal `bootstrap` was checked with the file; a template only now, unseen.
                    let problems = if templated {
                        self.check_bootstrap(&name, &b.value, b.at, Some(joined))
                    } else {
                        self.check_bootstrap(&name, &b.value, b.at, None)
                    };
                    let ok = problems.is_empty();
                    errors.extend(problems);
                    ok
                })
            }
        };
        let mut client = BTreeMap::new();
        for (key, value) in &doc.client.0 {
            let pos = value.at;
            match value.value.as_text() {
                Ok(raw) => {
                    if let Some(v) = resolve(&raw, pos, &mut errors) {
                        // Literal values were checked with the file; resolved ones are checked now.
                        let problems =
                            if raw.contains("${") { client::check(&key.value, Some(&v)) } else { Vec::new() };
                        for problem in problems.into_iter().filter(|p| !p.is_warning()) {
                            errors.push(Error::at(client_problem(&name, &key.value, problem, true), at(pos)));
                        }
                        // librdkafka and OpenSSL read these files when the client is made, before
                        // any deadline runs: a named pipe there would hang the command.
                        if key.value.ends_with(".location")
                            && let Some(what) = super::load::special_file(Path::new(v.trim()))
                        {
                            let kind = ErrorKind::ClientFileNotRegular { key: key.value.clone(), what };
                            errors.push(Error::at(kind, at(pos)));
                        }
                        client.insert(key.value.clone(), v);
                    }
                }
                Err(invalid) => errors.push(Error::at(
                    ErrorKind::InvalidClientProperty { key: key.value.clone(), reason: invalid.reason },
                    at(pos),
                )),
            }
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
                let client = ClientProperties { map: client, bootstrap_template };
                Ok(ClusterConfig { name, bootstrap, client, kafka_version })
            }
            _ => Err(errors),
        }
    }

    fn cluster_doc(&self, name: &str) -> Option<&ClusterDoc> {
        self.doc.clusters.iter().find(|(n, _)| n.value == name).map(|(_, c)| &c.value)
    }

    /// `maxPlanAge`, in seconds, if the project sets it.
    pub fn max_plan_age(&self) -> Option<Result<u64, Error>> {
        self.age("maxPlanAge", self.doc.max_plan_age.as_ref()?)
    }

    /// `maxSnapshotAge`, in seconds, if the project sets it.
    pub fn max_snapshot_age(&self) -> Option<Result<u64, Error>> {
        self.age("maxSnapshotAge", self.doc.max_snapshot_age.as_ref()?)
    }

    fn age(&self, key: &'static str, written: &At<String>) -> Option<Result<u64, Error>> {
        let at = written.at.located(self.file());
        Some(match crate::catalog::setting::duration(&written.value, crate::catalog::setting::MAX_AGE) {
            Ok(age) => Ok(age.as_secs()),
            Err(e) => Err(Error::at(ErrorKind::InvalidMaxAge { key, reason: e.to_string() }, at)),
        })
    }

    /// The `kafkaVersion` of cluster `name`, if it declares one.
    pub fn release_of(&self, name: &str) -> Option<Result<(crate::catalog::Release, Location), Error>> {
        let written = self.cluster_doc(name)?.kafka_version.as_ref()?;
        let at = written.at.located(self.file());
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
        let (view, mut problems) = self.view(cluster);
        let mut out = Desired::default();
        for topic in desired.topics.values() {
            let (seen, more) = view.apply(topic, validate::min_insync(topic, None).as_ref());
            problems.extend(more);
            out.topics.insert(seen.name.clone(), seen);
        }
        (out, problems)
    }

    /// How cluster `name` (or no cluster) sees the declared topics: its overrides compiled, its config
    /// mode, its declared release, and the project's policy; with the problems of its overrides and
    /// release, found once here, not once per topic.
    pub(crate) fn view(&self, cluster: Option<&str>) -> (ClusterView<'_>, Vec<Error>) {
        let mut problems = Vec::new();
        let doc = cluster.and_then(|name| self.cluster_doc(name));
        let mode = doc.and_then(|c| c.config_mode.as_ref()).or(self.doc.config_mode.as_ref()).map(|m| m.value);
        let file = self.file();
        let locate = |p: yaml::Pos| p.located(file);
        let mut rules = Vec::new();
        for rule in doc.map(|c| c.overrides.as_slice()).unwrap_or_default() {
            let rule = &rule.value;
            // A missing or bad `match` was reported with the file.
            let Some(pattern) = &rule.pattern else { continue };
            let Ok(glob) = Glob::new(&pattern.value) else { continue };
            let subject = Subject::Override {
                cluster: cluster.unwrap_or_default().to_owned(),
                pattern: yaml::shown(&pattern.value),
            };
            let count = |value, field, problems: &mut Vec<Error>| match validate::check_count(
                value, &subject, field, &locate, problems,
            ) {
                Some(Ok(found)) => Some(found),
                _ => None,
            };
            let partitions = count(rule.partitions.as_ref(), Field::Partitions, &mut problems);
            let replication_factor = count(rule.replication_factor.as_ref(), Field::ReplicationFactor, &mut problems);
            let mut configs = LiteMap::new();
            let mut config_at = LiteMap::new();
            validate::configs_into(&subject, &rule.config, &locate, &mut configs, &mut config_at, &mut problems);
            rules.push(Rule { matcher: glob.compile_matcher(), partitions, replication_factor, configs, config_at });
        }
        let release = match cluster.and_then(|name| self.release_of(name)) {
            Some(Ok((release, at))) => {
                Some((release, super::ReleaseBasis::Declared { cluster: cluster.unwrap_or_default().to_owned(), at }))
            }
            Some(Err(e)) => {
                problems.push(e);
                None
            }
            None => None,
        };
        let view = ClusterView { cluster: cluster.map(str::to_owned), mode, rules, release, policy: &self.policy };
        (view, problems)
    }

    /// The clusters the project names.
    pub fn cluster_names(&self) -> impl Iterator<Item = &str> {
        self.doc.clusters.iter().map(|(n, _)| n.value.as_str())
    }

    /// Glob patterns of the topics this repository owns.
    pub fn owns(&self) -> &[String] {
        &self.owns
    }

    /// Glob patterns of the topics that are never reported or touched.
    pub fn ignore(&self) -> &[String] {
        &self.ignore
    }
}

/// How one cluster (or none) sees the declared topics. See [`Project::view`].
pub(crate) struct ClusterView<'p> {
    cluster: Option<String>,
    mode: Option<ConfigMode>,
    rules: Vec<Rule>,
    release: Option<(crate::catalog::Release, super::ReleaseBasis)>,
    policy: &'p Policy,
}

/// One override, compiled.
struct Rule {
    matcher: globset::GlobMatcher,
    partitions: Option<(i64, Location)>,
    replication_factor: Option<(i64, Location)>,
    configs: LiteMap<CompactString, CompactString>,
    config_at: LiteMap<CompactString, Location>,
}

impl ClusterView<'_> {
    /// `topic` as this cluster sees it, with the problems that only this cluster has: the rules that
    /// span fields (`base`, the topic's own such problem, is not reported again), the policy, the
    /// cluster's release.
    pub(crate) fn apply(&self, topic: &DesiredTopic, base: Option<&Error>) -> (DesiredTopic, Vec<Error>) {
        let mut problems = Vec::new();
        let mut seen = topic.clone();
        if seen.config_mode.is_none() {
            seen.config_mode = self.mode;
        }
        for rule in self.rules.iter().filter(|r| r.matcher.is_match(&seen.name)) {
            if let Some((n, at)) = &rule.partitions {
                seen.partitions = *n as u32;
                seen.locations.partitions = Some(at.clone());
            }
            if let Some((n, at)) = &rule.replication_factor {
                seen.replication_factor = Some(*n as u16);
                seen.locations.replication_factor = Some(at.clone());
            }
            seen.configs.extend(rule.configs.iter().map(|(k, v)| (k.clone(), v.clone())));
            seen.locations.configs.extend(rule.config_at.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        // Overrides can break rules the files alone kept (`replicationFactor: 1` under
        // `min.insync.replicas: 2`). A conflict the files alone have was reported already.
        if let Some(e) = validate::min_insync(&seen, self.cluster.as_deref())
            && base.is_none_or(|b| b.at != e.at)
        {
            problems.push(e);
        }
        self.policy.check(&seen, &mut problems);
        if let Some((release, basis)) = &self.release {
            super::release::check_topic(&seen, *release, basis, &mut problems);
        }
        (seen, problems)
    }
}

/// A bad glob in `key`, at its place.
fn glob_problem(key: &str, pattern: &At<String>, file: &Arc<PathBuf>) -> Option<Error> {
    let e = Glob::new(&pattern.value).err()?;
    Some(Error::at(
        ErrorKind::BadPattern { key: key.into(), pattern: yaml::shown(&pattern.value), reason: e.kind().to_string() },
        pattern.at.located(file),
    ))
}

/// A client property's problem as ours; `resolved` when its value came from `${...}`.
fn client_problem(cluster: &str, key: &str, problem: client::Problem, resolved: bool) -> ErrorKind {
    let hint = match (problem.hint(), resolved) {
        (Some(h), _) => Some(h),
        (None, true) => Some("the value comes from a `${...}` reference, and is not shown".into()),
        (None, false) => None,
    };
    ErrorKind::ClientProperty {
        cluster: yaml::shown(cluster),
        key: yaml::shown(key),
        problem: problem.message(),
        hint,
        warning: problem.is_warning(),
    }
}

/// The longest cluster name.
pub const MAX_CLUSTER_NAME: usize = 64;

/// Whether `name` is in the safe set of cluster names: 1 to [`MAX_CLUSTER_NAME`] ASCII letters, digits,
/// `-`, `_` and `.`, not starting with `.` or `-`. A name becomes a path (`--out plans/{cluster}.json`:
/// no `/`, no `..`, no hidden file), a `--cluster a,b` selection (no `,`, no glob), a metric label and a
/// log or `/readyz` line (no line break, no control character).
pub fn check_cluster_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a cluster needs a name".into());
    }
    if name.len() > MAX_CLUSTER_NAME {
        return Err(format!("it has {} characters, more than {MAX_CLUSTER_NAME}", name.chars().count()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return Err(format!("it contains `{}`", c.escape_default()));
    }
    if let Some(first) = name.strip_prefix(['.', '-']).map(|rest| &name[..name.len() - rest.len()]) {
        return Err(format!("it starts with `{first}`"));
    }
    Ok(())
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

    fn project(text: &str) -> Project {
        let file = Arc::new(PathBuf::from("/repo/conf/topicform.yaml"));
        let (doc, problems) = yaml::parse::<ProjectDoc>(&file, &Arc::from(text)).expect("YAML");
        Project::new(&file, doc.map(|d| d.value).unwrap_or_default(), problems)
    }

    fn messages(problems: &[Error]) -> Vec<String> {
        problems
            .iter()
            .map(|p| {
                format!("{}:{}: {}", p.at.as_ref().map_or(0, |a| a.line), p.at.as_ref().map_or(0, |a| a.column), p.kind)
            })
            .collect()
    }

    #[test]
    fn ages() {
        let p = project("clusters:\n  c:\n    bootstrap: a:1\nmaxPlanAge: 36h\nmaxSnapshotAge: 1d\n");
        assert_eq!((p.max_plan_age().unwrap().unwrap(), p.max_snapshot_age().unwrap().unwrap()), (129_600, 86_400));
        let p = project("clusters:\n  c:\n    bootstrap: a:1\nmaxSnapshotAge: soon\n");
        assert!(p.max_plan_age().is_none());
        let e = p.max_snapshot_age().unwrap().unwrap_err();
        assert!(messages(&[e])[0].starts_with("4:17: `maxSnapshotAge` is "), "{:?}", p.max_snapshot_age());
        // A bare number needs a unit (it was milliseconds once), the bounds are the flags', and a huge
        // value is refused at its line, never wrapped around to a small one.
        let p = project("clusters:\n  c:\n    bootstrap: a:1\nmaxPlanAge: 3600000\nmaxSnapshotAge: 366d\n");
        let e = p.max_plan_age().unwrap().unwrap_err();
        assert!(messages(&[e])[0].starts_with("4:13: `maxPlanAge` is `3600000`, a number without a unit"));
        let e = p.max_snapshot_age().unwrap().unwrap_err();
        assert_eq!(messages(&[e])[0], "5:17: `maxSnapshotAge` is `366d`, outside the range it takes: from 1s to 365d");
        let p = project("clusters:\n  c:\n    bootstrap: a:1\nmaxPlanAge: 99999999999999999999999w\n");
        let e = p.max_plan_age().unwrap().unwrap_err();
        assert!(messages(&[e])[0].starts_with("4:13: `maxPlanAge` is `99999999999999999999999w`, outside"));
    }

    #[test]
    fn file_references_resolve_beside_the_project_file() {
        let p = project(
            "clusters:\n  c:\n    bootstrap: a:1\n    client:\n      sasl.password: ${file:secrets/pw}\n      ssl.key.password: ${file:/abs/pw}\n",
        );
        let asked = std::sync::Mutex::new(Vec::new());
        let env = |name: &str| {
            asked.lock().unwrap().push(name.to_owned());
            Some("x".to_owned())
        };
        p.cluster(None, &env).unwrap();
        assert_eq!(*asked.lock().unwrap(), ["file:/repo/conf/secrets/pw", "file:/abs/pw"]);
    }

    #[test]
    fn bootstrap_is_checked_where_written_and_once_resolved() {
        let p = project(
            "clusters:\n  a:\n    bootstrap: \"h:9092:1\"\n  b:\n    bootstrap: [ok:1, \":1\", host]\n  c:\n    bootstrap: \"\"\n  d:\n    bootstrap: ${B}\n",
        );
        assert_eq!(
            messages(p.problems()),
            [
                "3:16: `h:9092:1` of cluster `a`'s `bootstrap` is not `host:port`: it has more than one `:`; an IPv6 address goes in brackets, as in `[::1]:9092`",
                "5:23: `:1` of cluster `b`'s `bootstrap` is not `host:port`: it has no host before the `:`",
                "5:29: `host` of cluster `b`'s `bootstrap` is not `host:port`: it has no `:port`",
                "7:16: `clusters.c.bootstrap` must not be empty",
            ]
        );
        let env = |_: &str| Some("127.0.0.1:99999".to_owned());
        let errors = p.cluster(Some("d"), &env).unwrap_err();
        assert_eq!(
            messages(&errors),
            ["9:16: entry 1 of cluster `d`'s `bootstrap` is not `host:port`: its port is not a number from 1 to 65535"]
        );
        let env = |_: &str| Some("b1:9092, [::1]:9093".to_owned());
        let cluster = p.cluster(Some("d"), &env).unwrap();
        assert_eq!(cluster.bootstrap, "b1:9092, [::1]:9093");
        assert_eq!(cluster.shown_bootstrap(), "${B}");
        assert!(cluster.client.hides_bootstrap());
        let listed = project("clusters:\n  l:\n    bootstrap: [a:1, b:2]\n");
        assert!(listed.problems().is_empty(), "{:?}", listed.problems());
        assert_eq!(listed.cluster(None, &|_| None).unwrap().bootstrap, "a:1,b:2");
    }

    #[test]
    fn an_empty_project_file_declares_no_cluster() {
        for text in ["", "# nothing yet\n", "clusters:\n"] {
            let p = project(text);
            assert_eq!(messages(p.problems()), ["1:1: the project file declares no cluster"], "{text:?}");
            assert_eq!(p.problems()[0].severity(), super::super::Severity::Warning);
            let errors = p.cluster(None, &|_| None).unwrap_err();
            assert_eq!(errors[0].severity(), super::super::Severity::Error);
        }
    }

    #[test]
    fn globs_and_policy_are_checked_at_their_line() {
        let p = project(
            "clusters: {c: {bootstrap: a:1, overrides: [{match: \"x.[\", partitions: 2}]}}\nowns: [\"a.{b\"]\nignore: [ok]\npolicy:\n  partitions: {min: 12, max: 6}\n  replicationFactor: {min: 1.5}\n  requiredConfigs: {keys: [min.insync.replica, confluent.x]}\n",
        );
        let got = messages(p.problems());
        assert_eq!(got.len(), 6, "{got:#?}");
        assert!(got[0].starts_with("5:21: `policy.partitions.min` is 12, above `policy.partitions.max` 6"), "{got:#?}");
        assert!(
            got[1].starts_with("6:28: `policy.replicationFactor.min` is `1.5`, which is not a whole number"),
            "{got:#?}"
        );
        assert!(got[2].starts_with("7:28: `policy.requiredConfigs` names `min.insync.replica`"), "{got:#?}");
        assert!(got[3].starts_with("7:48: `policy.requiredConfigs` names `confluent.x`"), "{got:#?}");
        assert!(got[4].starts_with("1:52: `x.[` in `match` is not a valid glob pattern"), "{got:#?}");
        assert!(got[5].starts_with("2:8: `a.{b` in `owns` is not a valid glob pattern"), "{got:#?}");
        assert_eq!(p.problems()[3].severity(), super::super::Severity::Warning);
    }
}
