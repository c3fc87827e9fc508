//! What topicform knows about Kafka's topic-level configs: each key's value type, range or allowed
//! values, default, whether it can be changed on an existing topic, and since which Kafka version it
//! exists. Pure data and pure functions: no I/O.

mod table;
mod value;

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
    /// One line saying what it does.
    pub doc: &'static str,
}

/// Every topic-level config of the pinned Apache Kafka release, sorted by name.
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
         Every topic-level config of Apache Kafka 4.3, as topicform knows it. Generated from the catalog \
         (`src/catalog/table.rs`); a test keeps this file current (`UPDATE_GENERATED=1 cargo test --test generated` rewrites it).\n\n\
         Values are written in YAML as Kafka takes them, with these conveniences, all normalised to Kafka's \
         own form before comparison, so they never show up as drift:\n\n\
         - durations (`*.ms`): `500ms`, `30s`, `15m`, `12h`, `7d`, `2w`, or milliseconds; `-1` where Kafka \
         means \"no limit\";\n\
         - sizes (`*.bytes`): `512KiB`, `64MiB`, `1GiB`, `1TiB`, or bytes (`1GB` is refused: it is ambiguous);\n\
         - numbers as YAML numbers or strings (`\"12\"`), doubles in any spelling (`0.50`);\n\
         - booleans and enum values in any case (`True`, `zstd`, `logappendtime`);\n\
         - lists as YAML lists or comma-separated strings; order does not matter where Kafka ignores it.\n\n\
         | config | type | Kafka default | allowed | since | what it does |\n\
         |---|---|---|---|---|---|\n",
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
        out += &format!(
            "| `{}` | {kind} | {default} | {allowed} | {} | {} |\n",
            c.name,
            c.since,
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
    fn lookup() {
        assert_eq!(get("retention.ms").map(|c| c.kind), Some(Kind::Duration));
        assert_eq!(get("cleanup.policy").map(|c| c.kind), Some(Kind::List));
        assert!(get("retention.msec").is_none());
    }
}
