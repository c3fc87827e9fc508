//! What topicform knows about Kafka's topic-level configs: each key's value type, range or allowed
//! values, default, whether it can be changed on an existing topic, and since which Kafka version it
//! exists. Pure data and pure functions: no I/O.

pub mod fingerprint;
pub mod human;
mod release;
pub mod setting;
mod table;
mod value;

pub use release::{NotARelease, Release};
pub use value::{Invalid, Value, canonical, java_double, normalise, size_in_bytes};

/// How a config's value is written and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Java `long` of milliseconds (`retention.ms`). Units are accepted in YAML: `500ms`, `30s`,
    /// `15m`, `12h`, `7d`, `2w`.
    Duration,
    /// A Java `int` or `long` of bytes (`segment.bytes`, `retention.bytes`); the range says which.
    /// Binary units are accepted in YAML: `512KiB`, `1MiB`, `1GiB`, `1TiB`.
    Bytes,
    /// A Java `int` that is neither a duration nor a size.
    Int,
    /// A Java `long` that is neither a duration nor a size.
    Long,
    /// A Java `double` (`min.cleanable.dirty.ratio`).
    Double,
    /// `true` or `false`.
    Boolean,
    /// One value of [`ConfigDef::values`].
    Enum,
    /// A comma-separated list; its members are from [`ConfigDef::values`] when that is non-empty.
    List,
    /// Free text.
    String,
    /// A Java class name.
    Class,
}

/// A numeric bound of a config's range, inclusive.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// For integer kinds.
    Int(i64),
    /// For [`Kind::Double`].
    Float(f64),
}

/// One topic-level config of Apache Kafka.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigDef {
    /// The key, in Kafka's spelling.
    pub name: &'static str,
    /// Its value type.
    pub kind: Kind,
    /// The value a topic without an override has on a broker with stock settings, exactly as
    /// DescribeConfigs shows it (`604800000`, `delete`, `producer`); empty when Kafka's default is null.
    pub default: &'static str,
    /// Smallest allowed value, for numeric kinds.
    pub min: Option<Bound>,
    /// Largest allowed value, for numeric kinds (`Int(i32::MAX as i64)` for a Java `int`).
    pub max: Option<Bound>,
    /// Allowed values of an [`Kind::Enum`], or allowed members of a [`Kind::List`] (empty: any).
    pub values: &'static [&'static str],
    /// Whether the order of a list's members has no meaning, so `[compact, delete]` equals
    /// `delete,compact`.
    pub unordered: bool,
    /// Whether it can be changed on an existing topic.
    pub alterable: bool,
    /// The first Apache Kafka version with this topic config.
    pub since: &'static str,
    /// The first Apache Kafka version without it, if it was removed.
    pub until: Option<&'static str>,
    /// Releases before `since` that had it too, each as `(first release with it, first release without it
    /// again)`, oldest first: a patch release that got the key as a backport before the line that keeps it
    /// (`max.decompressed.message.bytes` in 4.2.2, not 4.3.x, again from 4.4.0), or one that published a
    /// key that its next patch release hid again (`remote.storage.enable` in 3.0.0). Revisions apply to
    /// these releases as to any other.
    pub earlier: &'static [(&'static str, &'static str)],
    /// How it differed in older releases (range, default, allowed values), newest change first: the
    /// fields above describe the newest release that has the config.
    pub revisions: &'static [Revision],
    /// One line saying what it does.
    pub doc: &'static str,
}

/// What a config was like before release `before` changed it. `None` fields did not change then.
#[derive(Debug, Clone, PartialEq)]
pub struct Revision {
    /// The first release with the newer form.
    pub before: &'static str,
    /// The default before.
    pub default: Option<&'static str>,
    /// The lower bound before.
    pub min: Option<Option<Bound>>,
    /// The upper bound before.
    pub max: Option<Option<Bound>>,
    /// The allowed values before.
    pub values: Option<&'static [&'static str]>,
    /// Whether it could be changed on an existing topic before.
    pub alterable: Option<bool>,
}

impl ConfigDef {
    /// The config as release `release` defines it, or `None` when that release does not have it.
    pub fn at(&self, release: Release) -> Option<ConfigDef> {
        let earlier = self.earlier.iter().any(|(from, to)| Release::of(from) <= release && release < Release::of(to));
        if !earlier && (release < Release::of(self.since) || self.until.is_some_and(|u| release >= Release::of(u))) {
            return None;
        }
        let mut def = self.clone();
        // Newest first: each older change applies on top of the newer ones, so the oldest that still
        // applies to `release` wins.
        for r in self.revisions.iter().filter(|r| release < Release::of(r.before)) {
            def.default = r.default.unwrap_or(def.default);
            def.min = r.min.unwrap_or(def.min);
            def.max = r.max.unwrap_or(def.max);
            def.values = r.values.unwrap_or(def.values);
            def.alterable = r.alterable.unwrap_or(def.alterable);
        }
        Some(def)
    }
}

impl ConfigDef {
    /// The config as the most permissive release from 2.8 on defines it: the lowest minimum, the
    /// highest maximum, every allowed value of any release, alterable if any release allows it. The
    /// files are checked against this before the cluster's release is known, and against that release's
    /// own definition after ([`ConfigDef::at`]).
    pub fn loosest(&self) -> &'static ConfigDef {
        static LOOSEST: std::sync::OnceLock<Vec<ConfigDef>> = std::sync::OnceLock::new();
        let table = LOOSEST.get_or_init(|| all().iter().map(loosen).collect());
        let i = all().iter().position(|c| c.name == self.name).expect("a config of the catalog");
        &table[i]
    }
}

/// See [`ConfigDef::loosest`]. Runs once per config and process: the union of allowed values is leaked
/// into a `&'static` list, a bounded cost.
fn loosen(c: &ConfigDef) -> ConfigDef {
    let mut def = c.clone();
    let mut values: Vec<&'static str> = c.values.to_vec();
    for r in c.revisions {
        if let Some(min) = r.min {
            def.min = match (def.min, min) {
                (Some(a), Some(b)) => Some(if value_of(b) < value_of(a) { b } else { a }),
                _ => None,
            };
        }
        if let Some(max) = r.max {
            def.max = match (def.max, max) {
                (Some(a), Some(b)) => Some(if value_of(b) > value_of(a) { b } else { a }),
                _ => None,
            };
        }
        for v in r.values.unwrap_or_default() {
            if !values.contains(v) {
                values.push(v);
            }
        }
        def.alterable |= r.alterable.unwrap_or(false);
    }
    if values.len() > c.values.len() {
        def.values = Box::leak(values.into_boxed_slice());
    }
    def
}

fn value_of(b: Bound) -> f64 {
    match b {
        Bound::Int(i) => i as f64,
        Bound::Float(f) => f,
    }
}

/// What the catalog says of a key for a release.
#[derive(Debug, Clone, PartialEq)]
pub enum Known {
    /// The release has it, defined so.
    Yes(ConfigDef),
    /// A later release introduced it (or, for a key an earlier patch release had as a backport, brings
    /// it back: `since` is then the config's `since`).
    NotYet {
        /// The first release with it.
        since: Release,
    },
    /// An earlier release removed it.
    Removed {
        /// The first release without it.
        until: Release,
    },
    /// No Apache Kafka release from [`Release::OLDEST`] on has a topic config of that name.
    Unknown,
}

/// The config `name` as `release` has it; with `None`, as the newest release that has it does.
pub fn lookup(name: &str, release: Option<Release>) -> Known {
    let Some(def) = get(name) else { return Known::Unknown };
    let Some(release) = release else { return Known::Yes(def.clone()) };
    match def.at(release) {
        Some(def) => Known::Yes(def),
        None if release < Release::of(def.since) => Known::NotYet { since: Release::of(def.since) },
        None => Known::Removed { until: Release::of(def.until.expect("a config that is not there was removed")) },
    }
}

/// Every topic config `release` has, as it defines them, sorted by name.
pub fn at(release: Release) -> Vec<ConfigDef> {
    all().iter().filter_map(|c| c.at(release)).collect()
}

/// Every topic-level config of every supported Apache Kafka release (2.8 to 4.4), sorted by name, each
/// as the newest release that has it defines it; see [`ConfigDef::at`] for another release.
pub fn all() -> &'static [ConfigDef] {
    table::TOPIC_CONFIGS
}

/// The config named `name`, if Kafka has it.
pub fn get(name: &str) -> Option<&'static ConfigDef> {
    let table = all();
    table.binary_search_by(|c| c.name.cmp(name)).ok().map(|i| &table[i])
}

/// The reference of every topic config as Markdown: `docs/configs.md`, kept equal by a test.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Topic configs\n\n\
         Every topic-level config of Apache Kafka 2.8 to 4.4, as topicform knows it, with the release that \
         introduced it (`since`) and the one that removed it (`until`); `also a..b` under `since` names earlier \
         releases that had it too, from `a` up to but not including `b` (a backport to a patch release, or a key \
         that one patch release published early). Types, ranges and defaults are those of \
         the newest release that has the config, and `older` says how they differed before. Plans check \
         declared configs against the cluster's release. Generated from the catalog \
         (`src/catalog/table.rs`); a test keeps this file current (`UPDATE_GENERATED=1 cargo test --test generated` rewrites it).\n\n\
         Values are written in YAML as Kafka takes them, with these conveniences, all normalised to Kafka's \
         own form before comparison, so they never show up as drift:\n\n\
         - durations (`*.ms`): `500ms`, `30s`, `15m`, `12h`, `7d`, `2w`, or milliseconds; `-1` where Kafka \
         means \"no limit\";\n\
         - sizes (`*.bytes`): `512KiB`, `64MiB`, `1GiB`, `1TiB`, or bytes (`1GB` is refused: it is ambiguous);\n\
         - numbers as YAML numbers or strings (`\"12\"`), doubles in any spelling (`0.50`);\n\
         - booleans and enum values in any case (`True`, `zstd`, `logappendtime`);\n\
         - lists as YAML lists or comma-separated strings; order does not matter where Kafka ignores it.\n\n\
         | config | type | Kafka default | allowed | since | until | older | what it does |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for c in all() {
        let kind = match c.kind {
            Kind::Duration => "duration",
            Kind::Bytes => "size",
            Kind::Int => "int",
            Kind::Long => "long",
            Kind::Double => "double",
            Kind::Boolean => "boolean",
            Kind::Enum => "enum",
            Kind::List => "list",
            Kind::String => "string",
            Kind::Class => "class",
        };
        let bound = |b: Option<Bound>| match b {
            Some(Bound::Int(i)) => Some(i.to_string()),
            Some(Bound::Float(f)) => Some(java_double(f)),
            None => None,
        };
        let allowed = if !c.values.is_empty() {
            c.values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
        } else {
            match (bound(c.min), bound(c.max)) {
                (Some(lo), Some(hi)) => format!("{lo} to {hi}"),
                (Some(lo), None) => format!("at least {lo}"),
                (None, Some(hi)) => format!("at most {hi}"),
                (None, None) => String::new(),
            }
        };
        let default = if c.default.is_empty() { "(none)".to_owned() } else { format!("`{}`", c.default) };
        let older: Vec<String> = c
            .revisions
            .iter()
            .map(|r| {
                let mut was = Vec::new();
                if let Some(d) = r.default {
                    was.push(format!("default `{d}`"));
                }
                if let Some(b) = r.min {
                    was.push(format!("min {}", bound(b).unwrap_or_else(|| "none".into())));
                }
                if let Some(b) = r.max {
                    was.push(format!("max {}", bound(b).unwrap_or_else(|| "none".into())));
                }
                if let Some(v) = r.values {
                    was.push(v.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", "));
                }
                if let Some(a) = r.alterable {
                    was.push(if a { "alterable".into() } else { "not alterable".into() });
                }
                format!("before {}: {}", r.before, was.join(", "))
            })
            .collect();
        let since = c.earlier.iter().fold(c.since.to_owned(), |s, (from, to)| format!("{s} (also {from}..{to})"));
        out += &format!(
            "| `{}` | {kind} | {default} | {allowed} | {since} | {} | {} | {} |\n",
            c.name,
            c.until.unwrap_or(""),
            older.join("; "),
            c.doc.replace('|', "\\|")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        for pair in all().windows(2) {
            assert!(pair[0].name < pair[1].name, "{} must sort before {}", pair[0].name, pair[1].name);
        }
    }

    #[test]
    fn entries_are_consistent() {
        for c in all() {
            match c.kind {
                Kind::Enum => assert!(!c.values.is_empty(), "{}: an enum lists its values", c.name),
                Kind::List => {}
                _ => assert!(c.values.is_empty(), "{}: only enums and lists have values", c.name),
            }
            if c.kind == Kind::Enum && !c.default.is_empty() {
                assert!(c.values.contains(&c.default), "{}: default {} is allowed", c.name, c.default);
            }
            assert!(!c.since.is_empty() && !c.doc.is_empty(), "{}", c.name);
        }
    }

    #[test]
    fn releases_in_the_table_parse_and_revisions_run_newest_first() {
        for c in all() {
            let since = Release::of(c.since);
            if let Some(until) = c.until {
                assert!(Release::of(until) > since, "{}: removed after it appeared", c.name);
            }
            let mut first = since;
            for pair in c.earlier.windows(2) {
                assert!(Release::of(pair[0].1) < Release::of(pair[1].0), "{}: earlier spans oldest first", c.name);
            }
            for (from, to) in c.earlier {
                let (from, to) = (Release::of(from), Release::of(to));
                assert!(from < to && to < since, "{}: an earlier span before since", c.name);
                first = first.min(from);
            }
            let befores: Vec<Release> = c.revisions.iter().map(|r| Release::of(r.before)).collect();
            assert!(befores.windows(2).all(|w| w[0] > w[1]), "{}: revisions newest first", c.name);
            assert!(befores.iter().all(|b| *b > first), "{}: a revision after the config appeared", c.name);
        }
    }

    static SAMPLE: ConfigDef = ConfigDef {
        name: "sample.bytes",
        kind: Kind::Bytes,
        default: "1073741824",
        min: Some(Bound::Int(1048576)),
        max: None,
        values: &[],
        unordered: false,
        alterable: true,
        since: "3.0.0",
        until: Some("4.2.0"),
        earlier: &[("2.8.1", "2.8.2")],
        revisions: &[
            Revision {
                before: "4.0.0",
                default: None,
                min: Some(Some(Bound::Int(14))),
                max: None,
                values: None,
                alterable: None,
            },
            Revision {
                before: "3.5.0",
                default: Some("536870912"),
                min: None,
                max: None,
                values: None,
                alterable: Some(false),
            },
        ],
        doc: "a sample",
    };

    #[test]
    fn a_config_at_each_release() {
        let at = |r: &str| SAMPLE.at(Release::of(r)).map(|d| (d.default, d.min, d.alterable));
        assert_eq!(at("2.8.0"), None, "before it appeared");
        assert_eq!(at("2.8.1"), Some(("536870912", Some(Bound::Int(14)), false)), "an early patch release");
        assert_eq!(at("2.8.2"), None, "not in the next patch release");
        assert_eq!(at("3.0.0"), Some(("536870912", Some(Bound::Int(14)), false)));
        assert_eq!(at("3.5.0"), Some(("1073741824", Some(Bound::Int(14)), true)));
        assert_eq!(at("3.9.1"), Some(("1073741824", Some(Bound::Int(14)), true)));
        assert_eq!(at("4.0.0"), Some(("1073741824", Some(Bound::Int(1048576)), true)));
        assert_eq!(at("4.2.0"), None, "removed");
    }

    #[test]
    fn the_loosest_definition_accepts_what_any_release_accepts() {
        let loose = loosen(&SAMPLE);
        assert_eq!(loose.min, Some(Bound::Int(14)));
        assert!(loose.alterable);
        for c in all() {
            assert_eq!(c.loosest().name, c.name);
        }
    }

    #[test]
    fn lookup_by_release() {
        let r = |s: &str| Some(Release::of(s));
        assert!(matches!(lookup("retention.ms", r("2.8.0")), Known::Yes(_)));
        assert!(matches!(lookup("retention.ms", None), Known::Yes(_)));
        assert_eq!(lookup("compression.gzip.level", r("3.7.2")), Known::NotYet { since: Release::of("3.8.0") });
        assert_eq!(lookup("retention.msec", r("3.7.2")), Known::Unknown);
    }

    #[test]
    fn facts_per_release() {
        let r = |s: &str| Some(Release::of(s));
        let def = |name: &str, release: &str| match lookup(name, r(release)) {
            Known::Yes(def) => def,
            other => panic!("{name} at {release}: {other:?}"),
        };
        // segment.bytes: at least 14 bytes up to 4.0.x, at least 1 MiB from 4.1.0 (checked on 4.0.2 and 4.1.0).
        assert_eq!(def("segment.bytes", "2.8.2").min, Some(Bound::Int(14)));
        assert_eq!(def("segment.bytes", "3.9.1").min, Some(Bound::Int(14)));
        assert_eq!(def("segment.bytes", "4.0.0").min, Some(Bound::Int(14)));
        assert_eq!(def("segment.bytes", "4.1.0").min, Some(Bound::Int(1048576)));
        assert_eq!(def("segment.bytes", "4.4.0").min, Some(Bound::Int(1048576)));
        // flush.messages and segment.index.bytes: minimum raised in 3.3.0.
        assert_eq!(def("flush.messages", "3.2.3").min, Some(Bound::Int(0)));
        assert_eq!(def("flush.messages", "3.3.0").min, Some(Bound::Int(1)));
        assert_eq!(def("segment.index.bytes", "3.2.3").min, Some(Bound::Int(0)));
        assert_eq!(def("segment.index.bytes", "3.3.0").min, Some(Bound::Int(4)));
        // message.timestamp.after.max.ms: new in 3.6.0, default one hour from 4.0.0.
        assert_eq!(lookup("message.timestamp.after.max.ms", r("3.5.2")), Known::NotYet { since: Release::of("3.6.0") });
        assert_eq!(def("message.timestamp.after.max.ms", "3.9.1").default, "9223372036854775807");
        assert_eq!(def("message.timestamp.after.max.ms", "4.0.0").default, "3600000");
        // The message format configs, removed in 4.0.0.
        assert_eq!(def("message.format.version", "2.8.2").default, "2.8-IV1");
        assert_eq!(def("message.format.version", "3.9.1").default, "3.0-IV1");
        for name in ["message.format.version", "message.downconversion.enable", "message.timestamp.difference.max.ms"] {
            assert!(matches!(lookup(name, r("3.9.2")), Known::Yes(_)), "{name}");
            assert_eq!(lookup(name, r("4.0.0")), Known::Removed { until: Release::of("4.0.0") }, "{name}");
            assert_eq!(lookup(name, r("4.4.0")), Known::Removed { until: Release::of("4.0.0") }, "{name}");
            assert!(matches!(lookup(name, None), Known::Yes(_)), "{name}: the newest release that had it");
        }
        // max.decompressed.message.bytes: backported to 4.2.2, not in 4.3.x, again from 4.4.0.
        let since_4_4 = Known::NotYet { since: Release::of("4.4.0") };
        assert_eq!(lookup("max.decompressed.message.bytes", r("4.2.1")), since_4_4);
        assert_eq!(def("max.decompressed.message.bytes", "4.2.2").max, Some(Bound::Int(2147483639)));
        assert_eq!(lookup("max.decompressed.message.bytes", r("4.3.0")), since_4_4);
        assert_eq!(lookup("max.decompressed.message.bytes", r("4.3.1")), since_4_4);
        assert_eq!(def("max.decompressed.message.bytes", "4.4.0").default, "2147483639");
        for name in ["errors.deadletterqueue.group.enable", "remote.copy.lag.bytes", "remote.copy.lag.ms"] {
            assert_eq!(lookup(name, r("4.3.1")), since_4_4, "{name}");
            assert!(matches!(lookup(name, r("4.4.0")), Known::Yes(_)), "{name}");
        }
        // The tiered-storage keys: public in 3.0.0, internal (not described) in 3.0.1 to 3.5.2, public from 3.6.0.
        for name in ["local.retention.ms", "local.retention.bytes", "remote.storage.enable"] {
            let since_3_6 = Known::NotYet { since: Release::of("3.6.0") };
            assert_eq!(lookup(name, r("2.8.2")), since_3_6, "{name}");
            assert!(matches!(lookup(name, r("3.0.0")), Known::Yes(_)), "{name}");
            assert_eq!(lookup(name, r("3.0.1")), since_3_6, "{name}");
            assert_eq!(lookup(name, r("3.5.2")), since_3_6, "{name}");
            assert!(matches!(lookup(name, r("3.6.0")), Known::Yes(_)), "{name}");
        }
        assert_eq!(lookup("remote.log.copy.disable", r("3.8.1")), Known::NotYet { since: Release::of("3.9.0") });
        // How many configs each release describes for a topic.
        let counts = [("2.8.2", 26), ("3.0.0", 29), ("3.5.2", 26), ("3.6.0", 31), ("3.8.0", 34), ("3.9.1", 36)];
        let counts = counts.into_iter().chain([("4.0.0", 33), ("4.2.2", 34), ("4.3.1", 33), ("4.4.0", 37)]);
        for (release, n) in counts {
            assert_eq!(at(Release::of(release)).len(), n, "{release}");
        }
        assert_eq!(all().len(), 40);
    }

    #[test]
    fn get_by_name() {
        assert_eq!(get("retention.ms").map(|c| c.kind), Some(Kind::Duration));
        assert_eq!(get("cleanup.policy").map(|c| c.kind), Some(Kind::List));
        assert!(get("retention.msec").is_none());
    }
}
