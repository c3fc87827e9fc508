//! The `client:` properties of a cluster, checked offline against librdkafka's own list of properties
//! (generated into [`super::client_properties`] from the bundled librdkafka's CONFIGURATION.md): the
//! name, with a "did you mean"; and, when the value is known (written literally, or resolved at plan
//! time), its shape. No check ever shows a value: client values can be credentials.

use super::client_properties::PROPERTIES;

pub use super::client_properties::LIBRDKAFKA;

/// One librdkafka property.
#[derive(Debug)]
pub struct Property {
    /// Its name.
    pub name: &'static str,
    /// The clients it applies to.
    pub role: Role,
    /// What it takes.
    pub kind: Kind,
}

/// Which clients a property applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Every client.
    Any,
    /// Consumers only.
    Consumer,
    /// Producers (and so topicform's admin client).
    Producer,
}

/// What a property takes.
#[derive(Debug)]
pub enum Kind {
    /// Any text.
    Text,
    /// `true` or `false` (librdkafka also reads `t`, `f`, `1` and `0`).
    Bool,
    /// A whole number in a range, or one of a few names.
    Int {
        /// Smallest.
        min: i64,
        /// Largest.
        max: i64,
        /// Names that stand for numbers (`acks: all`).
        names: &'static [&'static str],
    },
    /// A number in a range.
    Float {
        /// Smallest.
        min: f64,
        /// Largest.
        max: f64,
    },
    /// One of these values.
    Enum(&'static [&'static str]),
    /// A comma-separated list of these values.
    Flags(&'static [&'static str]),
    /// Set by programs through librdkafka's API (callbacks, pointers), never in a file.
    Api,
}

/// Properties that topicform sets from the project file itself.
const OWN: &[&str] = &["bootstrap.servers", "metadata.broker.list"];

/// The SASL mechanisms that librdkafka and Kafka's brokers both have, spelt as librdkafka compares
/// them (case matters). A mechanism's name is not a secret: messages may show it.
pub const MECHANISMS: &[&str] = &["GSSAPI", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"];

/// `sasl.mechanism` and its alias `sasl.mechanisms`.
pub fn is_mechanism_key(name: &str) -> bool {
    name == "sasl.mechanism" || name == "sasl.mechanisms"
}

/// What is wrong with a client property. No variant holds the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// librdkafka has no such property.
    Unknown {
        /// The closest property, when one is close.
        suggestion: Option<String>,
    },
    /// `bootstrap.servers`: topicform sets it from `bootstrap`.
    Own,
    /// A callback or pointer: not settable from a file.
    Api,
    /// The value holds a NUL character, which librdkafka's C strings cannot carry.
    Nul,
    /// The value is not of the property's kind; what the property takes, in words.
    Shape(String),
    /// A consumer's property: topicform's admin client is a producer, and librdkafka ignores it.
    ConsumerOnly,
    /// `sasl.mechanism` names no mechanism librdkafka has.
    Mechanism {
        /// The mechanism closest to the value, when one is close.
        suggestion: Option<&'static str>,
    },
}

impl Problem {
    /// The problem, completing "client property `x` of cluster `c` ...".
    pub fn message(&self) -> String {
        match self {
            Problem::Unknown { .. } => format!("is not a property of librdkafka {LIBRDKAFKA}"),
            Problem::Own => "is set by topicform from the cluster's `bootstrap`".into(),
            Problem::Api => "is set by programs through librdkafka's API, not in a file".into(),
            Problem::Nul => "holds a NUL character, which librdkafka cannot take".into(),
            Problem::Shape(takes) => format!("takes {takes}; its value is not one (client values are never shown)"),
            Problem::ConsumerOnly => "is a consumer's property; topicform's admin client ignores it".into(),
            Problem::Mechanism { .. } => {
                format!("names no SASL mechanism of librdkafka {LIBRDKAFKA} (its value is not shown; case matters)")
            }
        }
    }

    /// How to fix it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Problem::Unknown { suggestion: Some(s) } => Some(format!("did you mean `{s}`?")),
            Problem::Unknown { suggestion: None } => {
                Some("librdkafka's CONFIGURATION.md lists its properties; Java client properties often differ".into())
            }
            Problem::Own => Some("write the brokers under the cluster's `bootstrap`".into()),
            Problem::ConsumerOnly => Some("remove it; it has no effect here".into()),
            Problem::Mechanism { suggestion } => {
                let all = MECHANISMS.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
                Some(match suggestion {
                    Some(m) => format!("did you mean `{m}`? The mechanisms are {all}"),
                    None => format!("the mechanisms are {all}"),
                })
            }
            _ => None,
        }
    }

    /// Whether it is only a warning.
    pub fn is_warning(&self) -> bool {
        matches!(self, Problem::ConsumerOnly)
    }
}

/// The property `name`, if librdkafka has it.
pub fn lookup(name: &str) -> Option<&'static Property> {
    PROPERTIES.binary_search_by(|p| p.name.cmp(name)).ok().map(|i| &PROPERTIES[i])
}

/// The librdkafka property closest to `name`, when close enough to be a typo.
pub fn suggestion(name: &str) -> Option<String> {
    let names: Vec<String> =
        PROPERTIES.iter().filter(|p| !matches!(p.kind, Kind::Api)).map(|p| p.name.to_owned()).collect();
    super::load::closest(name, &names)
}

/// Checks the property `name` and, when it is known, its `value`. Problems never show the value.
pub fn check(name: &str, value: Option<&str>) -> Vec<Problem> {
    let mut problems = Vec::new();
    if value.is_some_and(|v| v.contains('\0')) {
        problems.push(Problem::Nul);
    }
    if OWN.contains(&name) {
        problems.push(Problem::Own);
        return problems;
    }
    let Some(property) = lookup(name) else {
        problems.push(Problem::Unknown { suggestion: suggestion(name) });
        return problems;
    };
    if matches!(property.kind, Kind::Api) {
        problems.push(Problem::Api);
        return problems;
    }
    if property.role == Role::Consumer {
        problems.push(Problem::ConsumerOnly);
    }
    if let Some(value) = value.filter(|v| !v.contains('\0'))
        && let Some(takes) = shape(&property.kind, value)
    {
        problems.push(Problem::Shape(takes));
    }
    if is_mechanism_key(name)
        && let Some(value) = value.filter(|v| !v.contains('\0'))
        && !MECHANISMS.contains(&value.trim())
    {
        problems.push(Problem::Mechanism { suggestion: closest_mechanism(value.trim()) });
    }
    problems
}

/// The mechanism `value` most likely means: the same letters in another case, or a near miss.
fn closest_mechanism(value: &str) -> Option<&'static str> {
    if let Some(m) = MECHANISMS.iter().find(|m| m.eq_ignore_ascii_case(value)) {
        return Some(m);
    }
    let names: Vec<String> = MECHANISMS.iter().map(|m| (*m).to_owned()).collect();
    let near = super::load::closest(&value.to_ascii_uppercase(), &names)?;
    MECHANISMS.iter().copied().find(|m| *m == near)
}

/// `None` when `value` has the shape `kind` takes, else what it takes, in words.
fn shape(kind: &Kind, value: &str) -> Option<String> {
    if fits(kind, value) { None } else { takes(kind) }
}

/// What the property `name` takes, in words, when librdkafka says more than "text".
pub fn takes_of(name: &str) -> Option<String> {
    lookup(name).and_then(|p| takes(&p.kind))
}

fn takes(kind: &Kind) -> Option<String> {
    let one_of = |names: &[&str]| names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    match kind {
        Kind::Text | Kind::Api => None,
        Kind::Bool => Some("`true` or `false`".to_owned()),
        Kind::Int { min, max, names } => {
            let names = if names.is_empty() { String::new() } else { format!(" (or {})", one_of(names)) };
            Some(format!("a whole number from {min} to {max}{names}"))
        }
        Kind::Float { min, max } => Some(format!("a number from {min} to {max}")),
        Kind::Enum(names) => Some(format!("one of {}", one_of(names))),
        Kind::Flags(names) => Some(format!("a comma-separated list of {}", one_of(names))),
    }
}

/// Whether `value` has the shape `kind` takes, read as librdkafka reads it: booleans are
/// `true`/`false`/`t`/`f`/`1`/`0` in any case, names are compared without case, integers may carry a
/// sign.
fn fits(kind: &Kind, value: &str) -> bool {
    let v = value.trim();
    match kind {
        Kind::Text | Kind::Api => true,
        Kind::Bool => ["true", "false", "t", "f"].iter().any(|b| v.eq_ignore_ascii_case(b)) || v == "1" || v == "0",
        Kind::Int { min, max, names } => match v.parse::<i64>() {
            Ok(n) => (*min..=*max).contains(&n),
            Err(_) => names.iter().any(|n| v.eq_ignore_ascii_case(n)),
        },
        Kind::Float { min, max } => v.parse::<f64>().is_ok_and(|x| x >= *min && x <= *max),
        Kind::Enum(names) => names.iter().any(|n| v.eq_ignore_ascii_case(n)),
        Kind::Flags(names) => v.split(',').map(str::trim).all(|f| names.iter().any(|n| f.eq_ignore_ascii_case(n))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_librdkafkas() {
        assert!(check("sasl.password", Some("hunter2")).is_empty());
        assert!(check("security.protocol", Some("SASL_SSL")).is_empty());
        assert_eq!(
            check("sasl.pasword", Some("hunter2")),
            vec![Problem::Unknown { suggestion: Some("sasl.password".into()) }]
        );
        assert_eq!(check("no.such.thing.at.all", None), vec![Problem::Unknown { suggestion: None }]);
        assert_eq!(check("bootstrap.servers", Some("a:1")), vec![Problem::Own]);
        assert_eq!(check("error_cb", Some("x")), vec![Problem::Api]);
        assert_eq!(check("group.id", Some("g")), vec![Problem::ConsumerOnly]);
    }

    #[test]
    fn values_have_the_property_s_shape() {
        let cases = [
            ("enable.ssl.certificate.verification", "false", true),
            ("enable.ssl.certificate.verification", "TRUE", true),
            ("enable.ssl.certificate.verification", "1", true),
            ("enable.ssl.certificate.verification", "yes", false),
            ("socket.timeout.ms", "60000", true),
            ("socket.timeout.ms", "5", false),
            ("socket.timeout.ms", "soon", false),
            ("acks", "all", true),
            ("acks", "-1", true),
            ("security.protocol", "sasl_ssl", true),
            ("security.protocol", "SASL_SSL", true),
            ("security.protocol", "tls", false),
            ("debug", "broker,admin", true),
            ("debug", "broker,everything", false),
            ("queue.buffering.max.ms", "0.5", true),
            ("queue.buffering.max.ms", "-1", false),
            ("ssl.ca.location", "/etc/ssl/ca.pem", true),
        ];
        for (name, value, ok) in cases {
            let problems = check(name, Some(value));
            assert_eq!(problems.is_empty(), ok, "{name}: {value}: {problems:?}");
            for p in problems {
                assert!(!p.message().contains(value), "{name}: the message shows the value: {}", p.message());
            }
        }
        assert_eq!(check("sasl.password", Some("a\0b")), vec![Problem::Nul]);
    }

    #[test]
    fn a_sasl_mechanism_is_one_librdkafka_has_with_a_did_you_mean() {
        for m in MECHANISMS {
            assert!(check("sasl.mechanism", Some(m)).is_empty(), "{m}");
            assert!(check("sasl.mechanisms", Some(m)).is_empty(), "{m}");
        }
        let cases = [
            ("SCRAM-SHA-5122", Some("SCRAM-SHA-512")),
            ("scram-sha-256", Some("SCRAM-SHA-256")),
            ("PLAN", Some("PLAIN")),
            ("OAUTHBAERER", Some("OAUTHBEARER")),
            ("Kerberos", None),
            ("SCRAM-SHA-1", Some("SCRAM-SHA-512")),
        ];
        for (value, suggestion) in cases {
            let problems = check("sasl.mechanism", Some(value));
            assert_eq!(problems.len(), 1, "{value}: {problems:?}");
            let Problem::Mechanism { suggestion: got } = problems[0] else { panic!("{value}: {problems:?}") };
            assert_eq!(got, suggestion, "{value}");
            assert!(problems[0].hint().unwrap().contains("`SCRAM-SHA-512`, `OAUTHBEARER`"), "{:?}", problems[0].hint());
            assert!(!problems[0].message().contains(value), "{}", problems[0].message());
        }
        // A `${VAR}` is checked once resolved; nothing is known before.
        assert!(check("sasl.mechanism", None).is_empty());
    }

    #[test]
    fn the_table_is_sorted_for_lookup() {
        assert!(PROPERTIES.windows(2).all(|w| w[0].name < w[1].name));
        assert!(PROPERTIES.len() > 150, "{}", PROPERTIES.len());
    }
}
