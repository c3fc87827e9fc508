//! YAML text in, the model's values out: the one place that parses YAML, and the one place that turns
//! the parser's problems into ours, in the user's words (the key, what was found, what it takes).
//!
//! The model's types never make the parse fail on a value of the wrong kind: each one reads any YAML
//! value ([`Shape`]), and a value of the wrong kind is recorded as a problem at its place and left out,
//! so that one mistake in a file never hides the others. Only YAML that is not YAML (an unclosed
//! bracket, a tab in the indentation), and the parser's limits (an alias bomb, 65 levels of nesting),
//! stop a file; [`problem`] explains those.
//!
//! Problems found while parsing are collected in a context that lives for the duration of [`parse`]
//! on its thread: serde gives a value's visitor no way to reach its caller, and a value's own location
//! is only known to its parent. The context also holds the source text, so that a topic name written
//! as `1.10` keeps its spelling instead of becoming the number 1.1.

use std::cell::RefCell;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use serde_saphyr::granit_parser::ErrorKind as Scan;

use super::{Error, ErrorKind, Location, Subject};

/// The longest piece of a value shown in a message; longer ones are cut, with an ellipsis. Kafka's
/// longest topic name (249) is shown whole.
pub const SHOWN: usize = 250;

/// Nesting deeper than this is refused: topicform's files need 5 levels.
const MAX_DEPTH: usize = 64;

/// Where a value was written: 1-based line and column, and byte offset. Small, because every value
/// of a large file carries one; [`Pos::located`] makes the full [`Location`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// Byte offset from the start of the file.
    pub offset: u32,
}

impl Pos {
    fn of(at: &serde_saphyr::Location) -> Pos {
        let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        Pos {
            line: clamp(at.line()),
            column: clamp(at.column()),
            offset: clamp(at.span().byte_offset().unwrap_or(u64::from(u32::MAX))),
        }
    }

    /// This position in `file`.
    pub fn located(self, file: &Arc<PathBuf>) -> Location {
        Location {
            file: file.clone(),
            line: self.line,
            column: self.column,
            offset: (self.offset != u32::MAX).then_some(self.offset),
        }
    }
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct At<T> {
    /// The value.
    pub value: T,
    /// Where it was written.
    pub at: Pos,
}

/// A scalar as YAML resolved it, offered to a [`Shape`].
#[derive(Debug, Clone, Copy)]
pub enum Scalar<'a> {
    /// `~`, `null` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Integer(i128),
    /// A number with a fraction or an exponent, or `.inf` / `.nan`.
    Float(f64),
    /// A string.
    Text(&'a str),
}

/// A value of the wrong kind, described for a message ("found a list", "found the string `yes`"). Text
/// from the file is cut to [`SHOWN`] characters, so a huge value gives a small message.
#[derive(Debug, Clone, PartialEq)]
pub enum Found {
    /// Nothing (null).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Integer(i128),
    /// A float, possibly infinite or NaN.
    Float(f64),
    /// A string, already cut.
    Text(String),
    /// A sequence.
    List,
    /// A mapping.
    Mapping,
}

impl Found {
    fn of(scalar: Scalar<'_>) -> Found {
        match scalar {
            Scalar::Null => Found::Null,
            Scalar::Bool(b) => Found::Bool(b),
            Scalar::Integer(i) => Found::Integer(i),
            Scalar::Float(x) => Found::Float(x),
            Scalar::Text(s) => Found::Text(shown(s)),
        }
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::Null => f.write_str("nothing (null)"),
            Found::Bool(b) => write!(f, "the boolean `{b}`"),
            Found::Integer(i) => write!(f, "the number {i}"),
            Found::Float(x) if x.is_nan() => f.write_str("`.nan`, which is not a number"),
            Found::Float(x) if x.is_infinite() && *x < 0.0 => f.write_str("a negative infinite number"),
            Found::Float(x) if x.is_infinite() => f.write_str("an infinite number"),
            Found::Float(x) => write!(f, "the number {x}"),
            Found::Text(s) if s.is_empty() => f.write_str("the empty string"),
            Found::Text(s) => write!(f, "the string `{s}`"),
            Found::List => f.write_str("a list"),
            Found::Mapping => f.write_str("a mapping"),
        }
    }
}

/// `text` as it may appear in a message: control characters escaped, and cut to [`SHOWN`] characters
/// with an ellipsis that says how much was left out.
pub fn shown(text: &str) -> String {
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == SHOWN {
            let rest = text.chars().count() - SHOWN;
            out.push_str(&format!("… ({rest} more characters)"));
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A value of the model: it reads any YAML value, and says `None` when the value has the wrong kind
/// (the caller records what was found). The defaults refuse every kind.
pub trait Shape: Sized {
    /// What the key takes, completing "`key` must be ...".
    fn expected() -> &'static str;

    /// The value from a scalar.
    fn scalar(_scalar: Scalar<'_>) -> Option<Self> {
        None
    }

    /// The value from a sequence. The default skips it.
    fn seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Self>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    /// The value from a mapping. The default skips it.
    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<Self>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    /// Whether a number or boolean scalar is read from its source text instead (`1.10` stays `1.10`).
    const TEXTUAL: bool = false;

    /// Whether a value read from a float scalar is given the scalar's text ([`Shape::float_written`]).
    const FLOAT_WRITTEN: bool = false;

    /// The value read from a float scalar, given the scalar's text as written (`1.0`, `1e3`), for a
    /// message that shows what was written. Called only when [`Shape::FLOAT_WRITTEN`].
    fn float_written(self, _written: &str) -> Self {
        self
    }
}

/// A value, or what was found instead; `typed` when it came from a non-string scalar, `float` when
/// from a float one.
struct Loose<T> {
    value: Result<T, Found>,
    typed: bool,
    float: bool,
}

impl<'de, T: Shape> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LooseVisitor<T>(std::marker::PhantomData<T>);
        impl<T: Shape> LooseVisitor<T> {
            fn scalar<E>(scalar: Scalar<'_>) -> Result<Loose<T>, E> {
                // Null stays null: `name: ~` is no name, not the name `~`.
                let typed = matches!(scalar, Scalar::Bool(_) | Scalar::Integer(_) | Scalar::Float(_));
                let float = matches!(scalar, Scalar::Float(_));
                Ok(Loose { value: T::scalar(scalar).ok_or_else(|| Found::of(scalar)), typed, float })
            }
        }
        impl<'de, T: Shape> Visitor<'de> for LooseVisitor<T> {
            type Value = Loose<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(T::expected())
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Self::scalar(Scalar::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Self::scalar(Scalar::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                Loose::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Self::scalar(Scalar::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Self::scalar(Scalar::Integer(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Self::scalar(Scalar::Integer(v.into()))
            }
            fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
                Self::scalar(Scalar::Integer(v))
            }
            fn visit_u128<E: de::Error>(self, v: u128) -> Result<Self::Value, E> {
                match i128::try_from(v) {
                    Ok(v) => Self::scalar(Scalar::Integer(v)),
                    Err(_) => Self::scalar(Scalar::Float(v as f64)),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Self::scalar(Scalar::Float(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Self::scalar(Scalar::Text(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Ok(Loose { value: T::seq(seq)?.ok_or(Found::List), typed: false, float: false })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                Ok(Loose { value: T::map(map)?.ok_or(Found::Mapping), typed: false, float: false })
            }
        }
        deserializer.deserialize_any(LooseVisitor(std::marker::PhantomData))
    }
}

/// Reads a value with no place of its own (an entry of a list value): `None` when it has the wrong kind.
pub(crate) fn any<'de, T: Shape, D: Deserializer<'de>>(deserializer: D) -> Result<Option<T>, D::Error> {
    Loose::<T>::deserialize(deserializer).map(|l| l.value.ok())
}

/// Reads one value of the document, at its place. `None` when it has the wrong kind: the problem is
/// then recorded as `what` must be `T::expected()`, found ....
fn read<'de, T: Shape, D: Deserializer<'de>>(deserializer: D) -> Result<(Result<T, Found>, Pos), D::Error> {
    let spanned = Spanned::<Loose<T>>::deserialize(deserializer)?;
    let at = Pos::of(&spanned.referenced);
    let Loose { mut value, typed, float } = spanned.value;
    if typed && (T::TEXTUAL || (float && T::FLOAT_WRITTEN)) {
        let span = spanned.referenced.span();
        if let (Some(start), Some(len)) = (span.byte_offset(), span.byte_len())
            && let Some(raw) =
                with(|cx| cx.source.get(start as usize..(start + len) as usize).map(str::to_owned)).flatten()
        {
            value = if T::TEXTUAL {
                // A number or a boolean where text belongs: take it as written.
                T::scalar(Scalar::Text(&raw)).ok_or_else(|| Found::Text(shown(&raw)))
            } else {
                value.map(|v| v.float_written(&raw))
            };
        }
    }
    Ok((value, at))
}

// --- the context of one parse ------------------------------------------------------------------------

/// One step of the path from the document's root to a value.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// A key of a record (a struct of the model).
    Key(&'static str),
    /// A key of a mapping of names (configs, clusters).
    Name(String),
    /// An entry of a list, 0-based.
    Index(usize),
}

/// A problem found while parsing, before it knows its file and subject.
#[derive(Debug)]
struct Issue {
    kind: IssueKind,
    /// The path to the value, from the root.
    path: Vec<Step>,
    at: Pos,
    /// Set once the enclosing topic, cluster or override knows its name: the path is then shown from
    /// `depth` on.
    subject: Option<(usize, Option<Subject>)>,
}

#[derive(Debug)]
enum IssueKind {
    WrongType { expected: &'static str, found: Found },
    UnknownKey { key: String, allowed: &'static [&'static str] },
    DuplicateKey { key: String, first: Pos },
    KeyNotText { found: Found },
}

struct Context {
    file: Arc<PathBuf>,
    source: Arc<str>,
    path: Vec<Step>,
    issues: Vec<Issue>,
    /// Problems found by checks that run as the values are read.
    reported: Vec<Error>,
}

thread_local! {
    static CONTEXT: RefCell<Option<Context>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread's parse context, when a parse is under way.
fn with<R>(f: impl FnOnce(&mut Context) -> R) -> Option<R> {
    CONTEXT.with(|cx| cx.borrow_mut().as_mut().map(f))
}

fn enter(step: Step) {
    with(|cx| cx.path.push(step));
}

fn leave() {
    with(|cx| cx.path.pop());
}

fn issue(kind: IssueKind, at: Pos, last: Option<Step>) {
    with(|cx| {
        let mut path = cx.path.clone();
        path.extend(last);
        cx.issues.push(Issue { kind, path, at, subject: None })
    });
}

/// The number of problems recorded so far: [`name_subject`] names the subject of those after it.
pub(crate) fn mark() -> (usize, usize) {
    with(|cx| (cx.issues.len(), cx.path.len())).unwrap_or_default()
}

/// Names the subject (a topic, a cluster, an override) of the problems recorded since `mark`, whose
/// keys are then shown from the subject on (`partitions` of topic `orders`).
///
/// With `None` (a topic without a name), the keys are still shown from the subject on, unqualified.
pub(crate) fn name_subject(mark: (usize, usize), subject: Option<Subject>) {
    with(|cx| {
        for issue in cx.issues.iter_mut().skip(mark.0) {
            if issue.subject.is_none() {
                issue.subject = Some((mark.1, subject.clone()));
            }
        }
    });
}

/// The name of the innermost named entry being read (the cluster of an override).
pub(crate) fn enclosing_name() -> Option<String> {
    with(|cx| {
        cx.path.iter().rev().find_map(|s| match s {
            Step::Name(n) => Some(n.clone()),
            _ => None,
        })
    })
    .flatten()
}

/// A position of the file being parsed, as a location.
pub(crate) fn located(at: Pos) -> Location {
    with(|cx| at.located(&cx.file)).unwrap_or_else(|| at.located(&Arc::new(PathBuf::new())))
}

/// Reports a problem found by a check that runs as values are read (a topic's own values).
pub(crate) fn report(error: Error) {
    with(|cx| cx.reported.push(error));
}

// --- reading records, lists and maps ------------------------------------------------------------------

/// Reads the value of the record key `key` (the map's next value): `Some` when it has the shape `T`
/// takes, else `None` with the problem recorded.
pub(crate) fn value<'de, T: Shape, A: MapAccess<'de>>(
    map: &mut A,
    key: &'static str,
) -> Result<Option<At<T>>, A::Error> {
    enter(Step::Key(key));
    let read = map.next_value_seed(Reader::<T>(std::marker::PhantomData));
    leave();
    Ok(checked(read?, Step::Key(key)))
}

fn checked<T: Shape>((value, at): (Result<T, Found>, Pos), step: Step) -> Option<At<T>> {
    match value {
        Ok(value) => Some(At { value, at }),
        Err(found) => {
            issue(IssueKind::WrongType { expected: T::expected(), found }, at, Some(step));
            None
        }
    }
}

struct Reader<T>(std::marker::PhantomData<T>);

impl<'de, T: Shape> de::DeserializeSeed<'de> for Reader<T> {
    type Value = (Result<T, Found>, Pos);
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        read::<T, D>(deserializer)
    }
}

/// The keys a record was written with: those it has (even with a value of the wrong kind), and
/// whether it had one it does not have. A key that is missing is reported only when neither explains
/// it, so that `partitons: 6` is one problem (the unknown key), not two.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    allowed: &'static [&'static str],
    mask: u32,
    unknown: bool,
}

impl Written {
    /// Whether `key` is missing for no reason already reported: neither written (even wrongly) nor
    /// possibly misspelt as an unknown key.
    pub fn missing(&self, key: &str) -> bool {
        !self.unknown && self.allowed.iter().position(|k| *k == key).is_none_or(|i| self.mask & (1 << i) == 0)
    }
}

/// Reads a record's keys in order and hands each allowed one, once, to `field` (which must read its
/// value); a key given twice, a key the record does not have, and a key that is not text are recorded
/// as problems and their values skipped.
pub(crate) fn fields<'de, A: MapAccess<'de>>(
    map: &mut A,
    allowed: &'static [&'static str],
    mut field: impl FnMut(&'static str, &mut A) -> Result<(), A::Error>,
) -> Result<Written, A::Error> {
    let mut written = Written { allowed, mask: 0, unknown: false };
    let mut seen: Vec<(&'static str, Pos)> = Vec::new();
    while let Some((key, at)) = map.next_key_seed(Reader::<String>(std::marker::PhantomData))? {
        let key = match key {
            Ok(key) => key,
            Err(found) => {
                issue(IssueKind::KeyNotText { found }, at, None);
                written.unknown = true;
                map.next_value::<IgnoredAny>()?;
                continue;
            }
        };
        let Some(index) = allowed.iter().position(|k| *k == key) else {
            written.unknown = true;
            issue(IssueKind::UnknownKey { key: key.clone(), allowed }, at, Some(Step::Name(key)));
            map.next_value::<IgnoredAny>()?;
            continue;
        };
        let name = allowed[index];
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == name) {
            issue(IssueKind::DuplicateKey { key, first: *first }, at, Some(Step::Key(name)));
            map.next_value::<IgnoredAny>()?;
            continue;
        }
        seen.push((name, at));
        written.mask |= 1 << index;
        field(name, map)?;
    }
    Ok(written)
}

/// The entries of a mapping of names to values (`config`, `clusters`, `client`), in the order
/// written; a name given twice is a problem, and its later value is left out.
///
/// `subject` names what an entry's name makes of its value's problems (`cluster `prod``), if anything.
pub(crate) fn entries<'de, T: Shape, A: MapAccess<'de>>(
    mut map: A,
    subject: fn(&str) -> Option<Subject>,
) -> Result<Entries<T>, A::Error> {
    let mut out: Entries<T> = Vec::new();
    while let Some((key, at)) = map.next_key_seed(Reader::<String>(std::marker::PhantomData))? {
        let key = match key {
            Ok(key) => key,
            Err(found) => {
                issue(IssueKind::KeyNotText { found }, at, None);
                map.next_value::<IgnoredAny>()?;
                continue;
            }
        };
        if let Some((first, _)) = out.iter().find(|(k, _)| k.value == key) {
            issue(IssueKind::DuplicateKey { key: key.clone(), first: first.at }, at, Some(Step::Name(key)));
            map.next_value::<IgnoredAny>()?;
            continue;
        }
        enter(Step::Name(key.clone()));
        let mark = mark();
        let read = map.next_value_seed(Reader::<T>(std::marker::PhantomData));
        if let Some(subject) = subject(&key) {
            name_subject(mark, Some(subject));
        }
        leave();
        if let Some(value) = checked(read?, Step::Name(key.clone())) {
            out.push((At { value: key, at }, value));
        }
    }
    out.shrink_to_fit();
    Ok(out)
}

/// Named entries, in the order written.
pub(crate) type Entries<T> = Vec<(At<String>, At<T>)>;

/// The entries of a list, each at its place; an entry of the wrong kind is a problem and left out.
pub(crate) fn items<'de, T: Shape, A: SeqAccess<'de>>(seq: A) -> Result<Vec<At<T>>, A::Error> {
    let mut out = Vec::new();
    each(seq, |item| out.push(item))?;
    out.shrink_to_fit();
    Ok(out)
}

/// Hands each entry of a list to `take` as soon as it is read (a large list is never held whole); an
/// entry of the wrong kind is a problem and left out.
pub(crate) fn each<'de, T: Shape, A: SeqAccess<'de>>(mut seq: A, mut take: impl FnMut(At<T>)) -> Result<(), A::Error> {
    for index in 0.. {
        enter(Step::Index(index));
        let read = seq.next_element_seed(Reader::<T>(std::marker::PhantomData));
        leave();
        match read? {
            None => break,
            Some(read) => {
                if let Some(item) = checked(read, Step::Index(index)) {
                    take(item);
                }
            }
        }
    }
    Ok(())
}

/// A value serializes as itself (schemas show defaults through this).
impl<T: serde::Serialize> serde::Serialize for At<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(serializer)
    }
}

/// A value's schema is its type's: where it was written is not part of the format.
impl<T: schemars::JsonSchema> schemars::JsonSchema for At<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::json_schema(generator)
    }
    fn _schemars_private_non_optional_json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        T::_schemars_private_non_optional_json_schema(generator)
    }
    fn _schemars_private_is_option() -> bool {
        T::_schemars_private_is_option()
    }
}

impl Shape for String {
    const TEXTUAL: bool = true;
    fn expected() -> &'static str {
        "text"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        match scalar {
            Scalar::Text(s) => Some(s.to_owned()),
            _ => None,
        }
    }
}

impl Shape for bool {
    fn expected() -> &'static str {
        "`true` or `false`"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        match scalar {
            Scalar::Bool(b) => Some(b),
            _ => None,
        }
    }
}

/// A list whose entries are `T`s: an empty list when its entries are all commented out (null).
impl<T: Shape> Shape for Vec<At<T>> {
    fn expected() -> &'static str {
        "a list: one `- ...` line per entry"
    }
    fn scalar(scalar: Scalar<'_>) -> Option<Self> {
        matches!(scalar, Scalar::Null).then(Vec::new)
    }
    fn seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Option<Self>, A::Error> {
        items(seq).map(Some)
    }
}

// --- parsing a file ------------------------------------------------------------------------------------

/// Parses `text`, the content of `file`, into `T`: the document, with every problem found on the way
/// (values of the wrong kind, unknown and repeated keys), or the one problem that stops the file (it is
/// not YAML, or it breaks a limit).
pub fn parse<T: Shape>(file: &Arc<PathBuf>, text: &Arc<str>) -> Result<(Option<At<T>>, Vec<Error>), Error> {
    let options = options(text.len());
    let previous = CONTEXT.with(|cx| {
        cx.borrow_mut().replace(Context {
            file: file.clone(),
            source: text.clone(),
            path: Vec::new(),
            issues: Vec::new(),
            reported: Vec::new(),
        })
    });
    // The context is removed even when a visitor panics, so that the next parse on this thread starts clean.
    struct Restore(Option<Option<Context>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            if let Some(previous) = self.0.take() {
                CONTEXT.with(|cx| *cx.borrow_mut() = previous);
            }
        }
    }
    let restore = Restore(Some(previous));
    let result = serde_saphyr::from_str_with_options::<RootOf<T>>(text, options);
    let context = CONTEXT.with(|cx| cx.borrow_mut().take());
    drop(restore);
    let (issues, reported) = context.map(|cx| (cx.issues, cx.reported)).unwrap_or_default();
    match result {
        Ok(RootOf(value, at)) => {
            let mut problems: Vec<Error> = issues.into_iter().map(|i| i.into_error(file)).collect();
            problems.extend(reported);
            let value = match value {
                Ok(value) => Some(At { value, at }),
                Err(found) => {
                    problems.push(Error::at(
                        ErrorKind::WrongType {
                            key: "the file".into(),
                            subject: None,
                            expected: T::expected().into(),
                            found: found.to_string(),
                        },
                        at.located(file),
                    ));
                    None
                }
            };
            Ok((value, problems))
        }
        Err(e) => Err(problem(file, text, &e)),
    }
}

/// The document's root: `T` read with [`read`], so that it may be null (an empty file) or of the wrong kind.
struct RootOf<T>(Result<T, Found>, Pos);

impl<'de, T: Shape> Deserialize<'de> for RootOf<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (value, at) = read::<T, D>(deserializer)?;
        Ok(RootOf(value, at))
    }
}

/// The parser's options and limits for a text of `len` bytes.
fn options(len: usize) -> serde_saphyr::Options {
    // Work is bounded by the input's size. Parser events and nodes cannot outnumber the text's bytes
    // by much in any real file; YAML aliases (`*name`) are what can make a small file expand without
    // limit (an alias bomb). What an alias costs is the events it replays, so those are budgeted in
    // proportion to the text: a small file may use one anchor a hundred times, and a bomb is stopped
    // after a few times its own size. The ratio of aliases to anchors says nothing about cost, so that
    // heuristic is off.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = (len * 2).max(10_000);
    budget.max_events = (len * 4).max(20_000);
    budget.max_aliases = (len / 2).max(10_000);
    budget.max_recorded_anchor_events = (len * 4).max(20_000);
    budget.enforce_alias_anchor_ratio = false;
    budget.max_depth = MAX_DEPTH;
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = (len * 4).max(20_000);
    serde_saphyr::options! {
        budget: Some(budget),
        alias_limits: alias_limits,
        // YAML 1.1's `yes`/`no`/`on`/`off` are strings, not booleans: `delete: yes` is refused with a
        // clear message instead of silently meaning `true`.
        strict_booleans: true,
        // Repeated keys reach the model, which reports them with both places and goes on.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        // `.inf` and `.nan` reach the model, which says what they are.
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
    }
}

impl Issue {
    fn into_error(self, file: &Arc<PathBuf>) -> Error {
        let Issue { kind, path, at, subject } = self;
        let (depth, subject) = subject.unwrap_or((0, None));
        let shown_path = &path[depth.min(path.len())..];
        let kind = match kind {
            IssueKind::WrongType { expected, found } => ErrorKind::WrongType {
                key: key_phrase(shown_path),
                subject,
                expected: expected.into(),
                found: found.to_string(),
            },
            IssueKind::UnknownKey { key, allowed } => {
                let expected: Vec<String> = allowed.iter().map(|k| (*k).to_owned()).collect();
                let suggestion = super::load::closest(&key, &expected);
                ErrorKind::UnknownKey { key: shown(&key), expected, suggestion }
            }
            IssueKind::DuplicateKey { key, first } => {
                ErrorKind::DuplicateKey { key: shown(&key), first: Some(first.located(file)) }
            }
            IssueKind::KeyNotText { found } => ErrorKind::WrongType {
                key: match shown_path {
                    [] => "a key".to_owned(),
                    path => format!("a key of {}", key_phrase(path)),
                },
                subject,
                expected: "text".into(),
                found: found.to_string(),
            },
        };
        Error::at(kind, at.located(file))
    }
}

/// The key a path names, as a message shows it: "`partitions`", "`policy.partitions.min`", "each entry of
/// `topics`"; "the file" for the root.
fn key_phrase(path: &[Step]) -> String {
    let dotted = |steps: &[Step]| {
        let mut out = String::new();
        for step in steps {
            match step {
                Step::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Step::Name(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&shown(k));
                }
                Step::Index(i) => out.push_str(&format!("[{}]", i + 1)),
            }
        }
        out
    };
    match path.split_last() {
        // A config's name says what it is: `retention.ms`, not `config.retention.ms`.
        Some((Step::Name(name), [.., Step::Key("config" | "rawConfig" | "client")])) => format!("`{}`", shown(name)),
        None => "the file".into(),
        Some((Step::Index(_), [])) => "each entry of the file".into(),
        Some((Step::Index(_), before)) => format!("each entry of `{}`", dotted(before)),
        Some(_) => format!("`{}`", dotted(path)),
    }
}

/// The problem that stops a file, from the parser's error: in our words, at its place.
pub fn problem(file: &Arc<PathBuf>, text: &str, err: &serde_saphyr::Error) -> Error {
    let err = err.without_snippet();
    let mut at = err.location().map(|l| Pos::of(&l).located(file)).unwrap_or_else(|| Location {
        file: file.clone(),
        line: 1,
        column: 1,
        offset: None,
    });
    // The scanner's errors carry a line and column but no offset; snippets need the offset.
    if at.offset.is_none() {
        at.offset = offset_of(text, at.line, at.column);
    }
    let message = match err {
        serde_saphyr::Error::Budget { breach, .. } => budget(breach),
        serde_saphyr::Error::AliasReplayLimitExceeded { .. }
        | serde_saphyr::Error::AliasExpansionLimitExceeded { .. }
        | serde_saphyr::Error::AliasReplayCounterOverflow { .. }
        | serde_saphyr::Error::AliasReplayStackDepthExceeded { .. } => EXPANDS.into(),
        serde_saphyr::Error::MultipleDocuments { .. } => {
            // Point at the `---` that starts the second document.
            let lines: Vec<&str> = text.lines().take(at.line as usize).collect();
            if let Some(line) = lines.iter().rposition(|l| l.starts_with("---")) {
                at.line = u32::try_from(line + 1).unwrap_or(u32::MAX);
                at.column = 1;
                at.offset = offset_of(text, at.line, 1);
            }
            "this file holds more than one YAML document (`---`); put every topic under one `topics:` list".into()
        }
        serde_saphyr::Error::UnknownAnchor { .. } => {
            "this alias (`*name`) names no anchor (`&name`) written before it".into()
        }
        serde_saphyr::Error::AliasError { error, locations, .. } => {
            // Where the alias is used, not where its anchor is.
            let mut inner = problem(file, text, error);
            let used = locations.reference_location;
            if used.line() > 0 {
                let mut at = Pos::of(&used).located(file);
                if at.offset.is_none() {
                    at.offset = offset_of(text, at.line, at.column);
                }
                inner.at = Some(at);
            }
            return inner;
        }
        serde_saphyr::Error::InvalidUtf8Input => "the file is not valid UTF-8".into(),
        serde_saphyr::Error::ExternalMessage { source, .. } => match source.as_ref() {
            serde_saphyr::ExternalMessageSource::Parser(scan) => scanner(scan.kind()),
            _ => NOT_YAML.into(),
        },
        serde_saphyr::Error::Eof { .. } => "the file ends in the middle of a value".into(),
        serde_saphyr::Error::IndentationError { .. } => INDENTATION.into(),
        serde_saphyr::Error::UnsupportedTag { .. } | serde_saphyr::Error::TaggedEnumMismatch { .. } => {
            "topicform does not read YAML tags (`!name`); remove it".into()
        }
        _ => NOT_YAML.into(),
    };
    Error::at(ErrorKind::Syntax { message }, at)
}

const NOT_YAML: &str = "this is not valid YAML";
const EXPANDS: &str = "the file expands to far more values than its text holds; YAML aliases (`*name`) can make a \
                       small file expand like this (an alias bomb), and topicform refuses such files";
const INDENTATION: &str = "this line is not indented like the lines around it; the keys of one mapping, and the \
                           `-` of one list, start in the same column";

fn nesting() -> String {
    format!("the file nests deeper than {MAX_DEPTH} levels; topicform's files need 5")
}

/// Which parser limit a file broke, in the user's terms.
fn budget(breach: &serde_saphyr::budget::BudgetBreach) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    match breach {
        B::Depth { .. } => nesting(),
        B::Documents { .. } => "the file holds too many YAML documents (`---`)".into(),
        B::ScalarBytes { .. } | B::InputBytes { .. } => "the file holds more text than topicform reads".into(),
        _ => EXPANDS.into(),
    }
}

/// The scanner's and parser's errors, in the user's terms.
fn scanner(kind: &Scan) -> String {
    match kind {
        Scan::UnclosedFlowCollection { open } => {
            let close = if *open == '[' { ']' } else { '}' };
            format!("this `{open}` is never closed: a `{close}` is missing")
        }
        Scan::MismatchedFlowCollectionEnd { open, close } => format!("this `{open}` is closed by `{close}`"),
        Scan::MisplacedFlowCollectionEnd => "this closing bracket has no opening bracket".into(),
        Scan::ExpectedFlowSequenceSeparator => "a `,` or `]` is missing in this `[...]` list".into(),
        Scan::ExpectedFlowMappingSeparator => "a `,` or `}` is missing in this `{...}` mapping".into(),
        Scan::UnexpectedEofFlowSequence => "the file ends inside a `[...]` list".into(),
        Scan::UnexpectedEofFlowMapping | Scan::UnexpectedEofImplicitFlowMapping => {
            "the file ends inside a `{...}` mapping".into()
        }
        Scan::UnexpectedEofBlockSequence | Scan::UnexpectedEofBlockMapping | Scan::UnexpectedEof => {
            "the file ends in the middle of a value".into()
        }
        Scan::RecursionLimitExceeded => nesting(),
        Scan::TabInIndentation | Scan::TabInBlockIndentation | Scan::TabNotAllowed | Scan::TabAtBlockScalarStart => {
            "a tab indents this line; YAML allows only spaces for indentation".into()
        }
        Scan::ExpectedBlockMappingKey
        | Scan::ExpectedBlockSequenceEntry
        | Scan::InvalidIndentation
        | Scan::ExpectedDocumentStart
        | Scan::InvalidBlockScalarIndent
        | Scan::InvalidQuotedScalarIndent => INDENTATION.into(),
        Scan::InvalidColonPlacement => {
            "a `:` cannot stand here: a `]` or `}` may be missing before this line, or the value needs quotes".into()
        }
        Scan::InvalidMappingValueWhitespace => "a `:` that starts a value needs a space after it".into(),
        Scan::UnexpectedEndOfPlainScalar | Scan::InvalidFlowScalarIndent | Scan::TabInPlainScalar => {
            "this value ends where YAML does not allow it; put it in quotes".into()
        }
        Scan::InvalidUnicodeEscape
        | Scan::InvalidLowSurrogate
        | Scan::MissingLowSurrogate
        | Scan::UnpairedLowSurrogate => "this `\\u` escape is not a valid character".into(),
        Scan::MappingValueNotAllowed => {
            "a `: ` here would start a mapping inside a value; quote the value, or put the mapping on its own lines"
                .into()
        }
        Scan::BlockSequenceEntryNotAllowed | Scan::BlockEntryInFlowCollection => {
            "a `- ` list entry cannot start here; put it on its own line, indented under its key".into()
        }
        Scan::ExpectedNodeContent => "a value is missing here".into(),
        Scan::UnclosedQuotedScalar => "this quoted string is never closed".into(),
        Scan::UnknownQuotedScalarEscape | Scan::InvalidQuotedScalarHexEscape | Scan::InvalidLowSurrogateHexEscape => {
            "this `\\` escape means nothing in a double-quoted string; write `\\\\` for a backslash, or use single \
             quotes"
                .into()
        }
        Scan::InvalidTrailingSingleQuotedScalar | Scan::InvalidTrailingDoubleQuotedScalar => {
            "something follows this quoted string on its line; quote the whole value".into()
        }
        Scan::UnexpectedCharacter { character } => {
            format!("a plain value cannot start with `{character}`; put the value in quotes")
        }
        Scan::CommentNotSeparated => "a `#` comment needs a space before it".into(),
        Scan::UnknownAnchor => "this alias (`*name`) names no anchor (`&name`) written before it".into(),
        Scan::SimpleKeyExpected | Scan::InvalidSimpleKey => {
            "this key is missing its `:`, or is longer than YAML allows for a key on one line".into()
        }
        Scan::MultipleDocumentsUnsupported => {
            "this file holds more than one YAML document (`---`); put every topic under one `topics:` list".into()
        }
        Scan::BomInsideDocument => "a byte-order mark appears in the middle of the file".into(),
        _ => NOT_YAML.into(),
    }
}

/// The byte offset of a 1-based line and column (in characters).
pub(crate) fn offset_of(text: &str, line: u32, column: u32) -> Option<u32> {
    let start: usize = text.split_inclusive('\n').take(line.checked_sub(1)? as usize).map(str::len).sum();
    let line_text = text.get(start..)?.lines().next().unwrap_or("");
    let within = line_text.char_indices().nth(column.saturating_sub(1) as usize).map_or(line_text.len(), |(i, _)| i);
    u32::try_from(start + within).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_in_words() {
        let cases = [
            (Found::Null, "nothing (null)"),
            (Found::List, "a list"),
            (Found::Mapping, "a mapping"),
            (Found::Bool(true), "the boolean `true`"),
            (Found::Integer(3), "the number 3"),
            (Found::Float(1.5), "the number 1.5"),
            (Found::Float(f64::INFINITY), "an infinite number"),
            (Found::Float(f64::NEG_INFINITY), "a negative infinite number"),
            (Found::Float(f64::NAN), "`.nan`, which is not a number"),
            (Found::Text("yes".into()), "the string `yes`"),
            (Found::Text(String::new()), "the empty string"),
        ];
        for (found, want) in cases {
            assert_eq!(found.to_string(), want);
        }
    }

    #[test]
    fn long_text_is_cut() {
        let long = "x".repeat(1_300_000);
        let cut = shown(&long);
        assert!(cut.len() < 300, "{}", cut.len());
        assert!(cut.ends_with("… (1299750 more characters)"), "{cut}");
        assert_eq!(shown("a\tb"), "a\\tb");
        assert_eq!(shown("plain"), "plain");
    }

    #[test]
    fn key_phrases() {
        assert_eq!(key_phrase(&[]), "the file");
        assert_eq!(key_phrase(&[Step::Key("topics"), Step::Index(2)]), "each entry of `topics`");
        assert_eq!(key_phrase(&[Step::Key("partitions")]), "`partitions`");
        assert_eq!(
            key_phrase(&[Step::Key("policy"), Step::Key("partitions"), Step::Key("min")]),
            "`policy.partitions.min`"
        );
        assert_eq!(
            key_phrase(&[Step::Key("clusters"), Step::Name("prod".into()), Step::Key("bootstrap")]),
            "`clusters.prod.bootstrap`"
        );
        assert_eq!(
            key_phrase(&[Step::Key("ignore"), Step::Index(0), Step::Key("x"), Step::Index(1)]),
            "each entry of `ignore[1].x`"
        );
    }
}
