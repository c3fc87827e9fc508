//! Config values: as written in YAML ([`Value`]), checked against a [`ConfigDef`] and normalised to
//! the canonical string Kafka stores, so that formatting never shows up as drift.
//!
//! The canonical form is what a broker's DescribeConfigs returns after parsing a value: decimal
//! integers, `true`/`false`, Java's `Double.toString` spelling, enum values in Kafka's spelling. Lists
//! whose order means nothing (`cleanup.policy`) are sorted, so comparing canonical strings compares sets.

use std::fmt;

use super::{Bound, ConfigDef, Kind};

/// A config value as YAML gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string scalar.
    String(String),
    /// An integer scalar.
    Integer(i128),
    /// A floating-point scalar.
    Float(f64),
    /// `true` or `false`.
    Bool(bool),
    /// A sequence, for list-typed configs.
    List(Vec<Value>),
    /// `~`, `null` or nothing.
    Null,
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write!(f, "`{s}`"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::List(items) => {
                write!(f, "[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    write!(f, "{item}")?;
                }
                write!(f, "]")
            }
            Value::Null => write!(f, "null"),
        }
    }
}

impl Value {
    /// A scalar as plain text (`SASL_SSL`, `30000`, `true`), for settings that are strings to their
    /// consumer, such as librdkafka properties.
    pub fn as_text(&self) -> Result<String, Invalid> {
        match self {
            Value::Null => Err(invalid("nothing (null)")),
            other => scalar_text(other),
        }
    }
}

/// Why a value is refused: one phrase that completes "topic `t` sets `key` to ..."
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// What is wrong.
    pub reason: String,
    /// How to write it instead, when there is a clear answer.
    pub hint: Option<String>,
}

fn invalid(reason: impl Into<String>) -> Invalid {
    Invalid { reason: reason.into(), hint: None }
}

fn invalid_with(reason: impl Into<String>, hint: impl Into<String>) -> Invalid {
    Invalid { reason: reason.into(), hint: Some(hint.into()) }
}

/// Checks `value` against `spec` and returns its canonical string.
pub fn normalise(spec: &ConfigDef, value: &Value) -> Result<String, Invalid> {
    if let Value::Null = value {
        return Err(invalid_with("nothing (null)", "remove the key to leave the topic on the broker's value"));
    }
    match spec.kind {
        Kind::Duration => integer(spec, value, duration_text),
        Kind::Bytes => integer(spec, value, bytes_text),
        Kind::Int | Kind::Long => integer(spec, value, |t| plain_integer(t).ok_or_else(|| not_a_number(t))),
        Kind::Double => double(spec, value),
        Kind::Boolean => boolean(value),
        Kind::Enum => one_of(spec, scalar_text(value)?.trim()),
        Kind::List => list(spec, value),
        Kind::String | Kind::Class => match value {
            Value::List(_) => Err(invalid("a list; it takes a single value")),
            other => scalar_text(other),
        },
    }
}

/// The canonical form of a value the broker reported, for comparison with a normalised declared value.
/// A value that does not parse is returned as it is.
pub fn canonical(spec: &ConfigDef, live: &str) -> String {
    normalise(spec, &Value::String(live.to_owned())).unwrap_or_else(|_| live.to_owned())
}

fn scalar_text(value: &Value) -> Result<String, Invalid> {
    Ok(match value {
        Value::String(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Float(x) => java_double(*x),
        Value::Bool(b) => b.to_string(),
        Value::List(_) => return Err(invalid("a list; it takes a single value")),
        Value::Null => String::new(),
    })
}

fn not_a_number(text: &str) -> Invalid {
    invalid(format!("`{text}`, which is not a whole number"))
}

fn plain_integer(text: &str) -> Option<i128> {
    let t = text.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.len() > 30 {
        return None;
    }
    t.parse().ok()
}

/// Integer kinds: YAML integers, integral floats, and strings (plain or with units), range-checked.
fn integer(
    spec: &ConfigDef,
    value: &Value,
    parse_text: impl Fn(&str) -> Result<i128, Invalid>,
) -> Result<String, Invalid> {
    let n = match value {
        Value::Integer(i) => *i,
        Value::Float(x) if x.fract() == 0.0 && x.abs() < 1e30 => *x as i128,
        Value::Float(x) => return Err(invalid(format!("{x}, which is not a whole number"))),
        Value::String(s) => parse_text(s)?,
        Value::Bool(_) => return Err(invalid("a boolean; it takes a number")),
        Value::List(_) => return Err(invalid("a list; it takes a single number")),
        Value::Null => unreachable!("checked by normalise"),
    };
    // Exact comparison: every integer kind is at most a Java long.
    let bound = |b: Option<Bound>| match b {
        Some(Bound::Int(i)) => Some(i128::from(i)),
        Some(Bound::Float(f)) => Some(f as i128),
        None => None,
    };
    let min = bound(spec.min).unwrap_or(i128::from(i64::MIN));
    let max = bound(spec.max).unwrap_or(i128::from(i64::MAX));
    if n < min || n > max {
        return Err(range_error(spec, &n.to_string()));
    }
    Ok(n.to_string())
}

fn check_float_range(spec: &ConfigDef, x: f64, shown: &str) -> Result<(), Invalid> {
    let value = |b: Bound| match b {
        Bound::Int(i) => i as f64,
        Bound::Float(f) => f,
    };
    let below = spec.min.is_some_and(|b| x < value(b));
    let above = spec.max.is_some_and(|b| x > value(b));
    if below || above { Err(range_error(spec, shown)) } else { Ok(()) }
}

fn range_error(spec: &ConfigDef, shown: &str) -> Invalid {
    let bound = |b: Option<Bound>| match b {
        Some(Bound::Int(i)) => Some(i.to_string()),
        Some(Bound::Float(f)) => Some(java_double(f)),
        None => None,
    };
    let max = bound(spec.max).or_else(|| {
        matches!(spec.kind, Kind::Duration | Kind::Bytes | Kind::Int | Kind::Long).then(|| i64::MAX.to_string())
    });
    let range = match (bound(spec.min), max) {
        (Some(lo), Some(hi)) => format!("from {lo} to {hi}"),
        (Some(lo), None) => format!("at least {lo}"),
        (None, Some(hi)) => format!("at most {hi}"),
        (None, None) => "a number".into(),
    };
    invalid(format!("{shown}, outside its range: Kafka accepts {range}"))
}

/// `500ms`, `30s`, `15m`, `12h`, `7d`, `2w`, or a plain number of milliseconds.
fn duration_text(text: &str) -> Result<i128, Invalid> {
    const UNITS: [(&str, i128); 6] =
        [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000)];
    with_unit(text, &UNITS, "a duration", "write milliseconds, or a whole number with ms, s, m, h, d or w: `7d`")
}

/// A size such as `50MiB` or `1048576`, in bytes (for command-line rates such as `--throttle`).
pub fn size_in_bytes(text: &str) -> Result<i128, Invalid> {
    bytes_text(text)
}

/// `512KiB`, `1MiB`, `1GiB`, `1TiB`, `100B`, or a plain number of bytes.
fn bytes_text(text: &str) -> Result<i128, Invalid> {
    const UNITS: [(&str, i128); 6] =
        [("B", 1), ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40), ("PiB", 1 << 50)];
    let t = text.trim();
    // `1GB` could mean 10^9 or 2^30; guessing would put a different number in the cluster than the
    // author meant, so it is refused with both readings.
    for (unit, power) in [("KB", 1u32), ("kB", 1), ("MB", 2), ("GB", 3), ("TB", 4)] {
        if let Some(n) = t.strip_suffix(unit).and_then(plain_integer) {
            let binary = unit.replace(['K', 'k'], "Ki").replace('M', "Mi").replace('G', "Gi").replace('T', "Ti");
            // Either reading can be too large for any number; then the hint leaves it out.
            let hint = match (n.checked_mul(1i128 << (10 * power)), n.checked_mul(1000i128.pow(power))) {
                (Some(b), Some(d)) => format!("write `{n}{binary}` ({b}) or the number of bytes ({d})"),
                _ => format!("write `{n}{binary}` or the number of bytes"),
            };
            return Err(invalid_with(format!("`{t}`, which is ambiguous"), hint));
        }
    }
    with_unit(t, &UNITS, "a size", "write bytes, or a whole number with B, KiB, MiB, GiB or TiB: `1GiB`")
}

fn with_unit(text: &str, units: &[(&str, i128)], what: &str, hint: &str) -> Result<i128, Invalid> {
    let t = text.trim();
    if let Some(n) = plain_integer(t) {
        return Ok(n);
    }
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(t.len());
    let (number, unit) = (t[..split].replace('_', ""), t[split..].trim());
    let factor = units.iter().find(|(u, _)| *u == unit).map(|(_, f)| *f);
    match (number.parse::<i128>(), factor) {
        // A product too large even for i128 is beyond any Java long: the range check refuses it.
        (Ok(n), Some(f)) if !number.is_empty() && number.len() < 25 => Ok(n.checked_mul(f).unwrap_or(i128::MAX)),
        _ => Err(invalid_with(format!("`{t}`, which is not {what}"), hint)),
    }
}

fn double(spec: &ConfigDef, value: &Value) -> Result<String, Invalid> {
    let x = match value {
        Value::Float(x) => *x,
        Value::Integer(i) => *i as f64,
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| invalid(format!("`{s}`, which is not a number")))?,
        Value::Bool(_) => return Err(invalid("a boolean; it takes a number")),
        Value::List(_) => return Err(invalid("a list; it takes a single number")),
        Value::Null => unreachable!("checked by normalise"),
    };
    if !x.is_finite() {
        return Err(invalid(format!("{x}, which is not a finite number")));
    }
    let shown = java_double(x);
    check_float_range(spec, x, &shown)?;
    Ok(shown)
}

/// Java's `Double.toString`: `0.5`, `1.0`, `1.0E-4`, `1.2345678E7`.
pub fn java_double(x: f64) -> String {
    // YAML's `.nan` and `.inf` reach here as values of the wrong kind, to be described.
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity".into() } else { "-Infinity".into() };
    }
    let x = if x == 0.0 { 0.0 } else { x }; // no `-0.0`
    let abs = x.abs();
    if abs == 0.0 || (1e-3..1e7).contains(&abs) {
        let s = x.to_string();
        if s.contains('.') { s } else { format!("{s}.0") }
    } else {
        let s = format!("{x:e}");
        let (mantissa, exponent) = s.split_once('e').expect("`{:e}` has an exponent");
        let mantissa = if mantissa.contains('.') { mantissa.to_owned() } else { format!("{mantissa}.0") };
        format!("{mantissa}E{exponent}")
    }
}

fn boolean(value: &Value) -> Result<String, Invalid> {
    match value {
        Value::Bool(b) => Ok(b.to_string()),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Ok("true".into()),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Ok("false".into()),
        other => Err(invalid_with(format!("{other}, which is not a boolean"), "write `true` or `false`")),
    }
}

fn one_of(spec: &ConfigDef, text: &str) -> Result<String, Invalid> {
    match spec.values.iter().find(|v| v.eq_ignore_ascii_case(text)) {
        Some(v) => Ok((*v).to_owned()),
        None => Err(invalid_with(
            format!("`{text}`, which is not one of its values"),
            format!(
                "`{}` takes one of {}",
                spec.name,
                spec.values.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

fn list(spec: &ConfigDef, value: &Value) -> Result<String, Invalid> {
    let members: Vec<String> = match value {
        Value::List(items) => items
            .iter()
            .map(|item| match item {
                Value::List(_) => Err(invalid("a nested list")),
                Value::Null => Err(invalid("a list with an empty member")),
                other => scalar_text(other),
            })
            .collect::<Result<_, _>>()?,
        other => {
            let text = scalar_text(other)?;
            if text.trim().is_empty() { Vec::new() } else { text.split(',').map(str::to_owned).collect() }
        }
    };
    let mut out = Vec::with_capacity(members.len());
    for m in members {
        let m = m.trim();
        if m.is_empty() {
            return Err(invalid("a list with an empty member"));
        }
        out.push(if spec.values.is_empty() { m.to_owned() } else { one_of(spec, m)? });
    }
    if spec.unordered {
        out.sort();
        out.dedup();
    }
    Ok(out.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(kind: Kind, min: Option<Bound>, max: Option<Bound>, values: &'static [&'static str]) -> ConfigDef {
        ConfigDef {
            name: "test.config",
            kind,
            default: "",
            min,
            max,
            values,
            unordered: kind == Kind::List,
            alterable: true,
            since: "0.8.1",
            until: None,
            earlier: &[],
            revisions: &[],
            doc: "test",
        }
    }

    fn s(text: &str) -> Value {
        Value::String(text.into())
    }

    #[test]
    fn durations() {
        let d = spec(Kind::Duration, Some(Bound::Int(-1)), None, &[]);
        let cases = [
            (Value::Integer(604800000), "604800000"),
            (s("604800000"), "604800000"),
            (s("7d"), "604800000"),
            (s("1w"), "604800000"),
            (s("12h"), "43200000"),
            (s("15m"), "900000"),
            (s("30s"), "30000"),
            (s("500ms"), "500"),
            (s(" 7d "), "604800000"),
            (s("7 d"), "604800000"),
            (s("1_000ms"), "1000"),
            (s("-1"), "-1"),
            (Value::Integer(-1), "-1"),
            (Value::Float(1000.0), "1000"),
        ];
        for (value, want) in cases {
            assert_eq!(normalise(&d, &value).as_deref(), Ok(want), "{value:?}");
        }
        for bad in
            [s("7days"), s("d"), s("1.5h"), s("-2"), Value::Integer(-2), s(""), Value::Bool(true), Value::Float(0.5)]
        {
            assert!(normalise(&d, &bad).is_err(), "{bad:?}");
        }
        assert!(normalise(&d, &s("999999999999999999999d")).is_err(), "beyond a Java long");
    }

    #[test]
    fn sizes() {
        let b = spec(Kind::Bytes, Some(Bound::Int(14)), Some(Bound::Int(i32::MAX as i64)), &[]);
        let cases = [
            (s("1GiB"), "1073741824"),
            (s("512KiB"), "524288"),
            (s("1MiB"), "1048576"),
            (s("100B"), "100"),
            (Value::Integer(1073741824), "1073741824"),
            (s("1073741824"), "1073741824"),
        ];
        for (value, want) in cases {
            assert_eq!(normalise(&b, &value).as_deref(), Ok(want), "{value:?}");
        }
        let too_big = normalise(&b, &s("2GiB")).unwrap_err();
        assert_eq!(too_big.reason, "2147483648, outside its range: Kafka accepts from 14 to 2147483647");
        // Found by fuzzing: these overflowed i128 (a panic in debug builds, a wrong value in release).
        let huge = spec(Kind::Bytes, Some(Bound::Int(-2)), None, &[]);
        assert!(normalise(&huge, &s("999999999999999999999999PiB")).unwrap_err().reason.contains("outside its range"));
        assert_eq!(
            normalise(&huge, &s("302231454903657293676545PiB")).map_err(|e| e.reason.contains("outside")),
            Err(true)
        );
        let refused = normalise(&b, &s("999999999999999999999999999TB")).unwrap_err();
        assert_eq!(refused.hint.as_deref(), Some("write `999999999999999999999999999TiB` or the number of bytes"));
        let ambiguous = normalise(&b, &s("1GB")).unwrap_err();
        assert_eq!(ambiguous.hint.as_deref(), Some("write `1GiB` (1073741824) or the number of bytes (1000000000)"));
        assert!(normalise(&b, &s("13")).is_err());
    }

    #[test]
    fn doubles() {
        let r = spec(Kind::Double, Some(Bound::Float(0.0)), Some(Bound::Float(1.0)), &[]);
        let cases = [
            (Value::Float(0.5), "0.5"),
            (s("0.50"), "0.5"),
            (Value::Integer(1), "1.0"),
            (s("1"), "1.0"),
            (Value::Float(0.0001), "1.0E-4"),
            (Value::Float(-0.0), "0.0"),
        ];
        for (value, want) in cases {
            assert_eq!(normalise(&r, &value).as_deref(), Ok(want), "{value:?}");
        }
        assert!(normalise(&r, &Value::Float(1.5)).is_err());
        assert!(normalise(&r, &s("NaN")).is_err());
        assert_eq!(java_double(12345678.0), "1.2345678E7");
        // Found by the `load_render` fuzz target: `.nan` written for an enum config panicked here.
        assert_eq!(java_double(f64::NAN), "NaN");
        assert_eq!(java_double(f64::INFINITY), "Infinity");
        assert_eq!(java_double(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(java_double(1e7), "1.0E7");
        assert_eq!(java_double(0.001), "0.001");
    }

    #[test]
    fn booleans_enums_lists() {
        let b = spec(Kind::Boolean, None, None, &[]);
        assert_eq!(normalise(&b, &Value::Bool(true)).as_deref(), Ok("true"));
        assert_eq!(normalise(&b, &s("False")).as_deref(), Ok("false"));
        assert!(normalise(&b, &s("yes")).is_err());
        assert!(normalise(&b, &Value::Integer(1)).is_err());

        let e = spec(Kind::Enum, None, None, &["CreateTime", "LogAppendTime"]);
        assert_eq!(normalise(&e, &s("logappendtime")).as_deref(), Ok("LogAppendTime"));
        let wrong = normalise(&e, &s("Now")).unwrap_err();
        assert_eq!(wrong.hint.as_deref(), Some("`test.config` takes one of `CreateTime`, `LogAppendTime`"));

        let l = spec(Kind::List, None, None, &["compact", "delete"]);
        for v in [
            s("delete,compact"),
            s("compact, delete"),
            Value::List(vec![s("delete"), s("compact")]),
            Value::List(vec![s("Compact"), s("delete"), s("compact")]),
        ] {
            assert_eq!(normalise(&l, &v).as_deref(), Ok("compact,delete"), "{v:?}");
        }
        assert_eq!(normalise(&l, &s("delete")).as_deref(), Ok("delete"));
        assert!(normalise(&l, &s("delete,,compact")).is_err());
        assert!(normalise(&l, &s("archive")).is_err());
        assert_eq!(canonical(&l, "delete,compact"), "compact,delete");
        assert_eq!(canonical(&l, "???"), "???", "unparseable live values are compared as they are");
    }

    #[test]
    fn null_is_refused_everywhere() {
        for kind in [Kind::Duration, Kind::String, Kind::List, Kind::Boolean] {
            assert!(normalise(&spec(kind, None, None, &[]), &Value::Null).is_err());
        }
    }

    use proptest::prelude::*;

    /// Any value of the config's type within its range, as a user could write it in YAML: integers
    /// (maybe as strings, maybe with a unit), doubles, booleans and enums in any case, lists in any
    /// order.
    fn written(spec: &'static ConfigDef) -> BoxedStrategy<Value> {
        let (lo, hi) = match (spec.min, spec.max) {
            (Some(Bound::Int(a)), Some(Bound::Int(b))) => (a, b),
            (Some(Bound::Int(a)), None) => (a, i64::MAX),
            (None, Some(Bound::Int(b))) => (i64::MIN, b),
            _ => (i64::MIN, i64::MAX),
        };
        let case = |v: &str, upper: bool| if upper { v.to_uppercase() } else { v.to_owned() };
        match spec.kind {
            Kind::Duration | Kind::Bytes | Kind::Int | Kind::Long => {
                let units: &'static [(&'static str, i64)] = match spec.kind {
                    Kind::Duration => &[("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000)],
                    Kind::Bytes => &[("B", 1), ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30)],
                    _ => &[("", 1)],
                };
                (lo..=hi, 0..units.len(), 0..3u8)
                    .prop_map(move |(n, u, form)| {
                        let (unit, factor) = units[u];
                        match form {
                            0 => Value::Integer(n.into()),
                            1 => Value::String(n.to_string()),
                            // With a unit, when the value is a whole number of that unit.
                            _ if n >= 0 && n % factor == 0 => Value::String(format!("{}{unit}", n / factor)),
                            _ => Value::String(format!(" {n} ")),
                        }
                    })
                    .boxed()
            }
            Kind::Double => {
                let (lo, hi) = match (spec.min, spec.max) {
                    (Some(Bound::Float(a)), Some(Bound::Float(b))) => (a, b),
                    _ => (-1e9, 1e9),
                };
                (lo..=hi, any::<bool>())
                    .prop_map(|(x, as_text)| if as_text { Value::String(format!("{x:.4}")) } else { Value::Float(x) })
                    .boxed()
            }
            Kind::Boolean => (any::<bool>(), any::<bool>(), any::<bool>())
                .prop_map(
                    move |(b, as_text, upper)| {
                        if as_text { Value::String(case(&b.to_string(), upper)) } else { Value::Bool(b) }
                    },
                )
                .boxed(),
            Kind::Enum => (0..spec.values.len(), any::<bool>())
                .prop_map(move |(i, upper)| Value::String(case(spec.values[i], upper)))
                .boxed(),
            Kind::List if !spec.values.is_empty() => {
                (proptest::sample::subsequence(spec.values, 1..=spec.values.len()).prop_shuffle(), any::<bool>())
                    .prop_map(|(members, as_list)| {
                        if as_list {
                            Value::List(members.iter().map(|m| Value::String(m.to_string())).collect())
                        } else {
                            Value::String(members.join(","))
                        }
                    })
                    .boxed()
            }
            _ => "[a-z0-9:*]{1,12}".prop_map(Value::String).boxed(),
        }
    }

    fn any_config() -> impl Strategy<Value = (&'static ConfigDef, Value)> {
        (0..crate::catalog::all().len()).prop_flat_map(|i| {
            let spec = &crate::catalog::all()[i];
            (Just(spec), written(spec))
        })
    }

    proptest! {
        /// Normalising is idempotent: the canonical string of any accepted value normalises to itself,
        /// which is what makes "no false drift" hold when the broker hands it back.
        #[test]
        fn canonical_values_normalise_to_themselves((spec, value) in any_config()) {
            if let Ok(form) = normalise(spec, &value) {
                prop_assert_eq!(normalise(spec, &Value::String(form.clone())), Ok(form.clone()), "{} {:?}", spec.name, value);
                prop_assert_eq!(canonical(spec, &form), form);
            }
        }

        /// Every written form within range is accepted.
        #[test]
        fn values_in_range_are_accepted((spec, value) in any_config()) {
            prop_assert!(normalise(spec, &value).is_ok(), "{} refuses {:?}: {:?}", spec.name, value, normalise(spec, &value));
        }
    }
}
