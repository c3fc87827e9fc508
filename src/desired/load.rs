//! The only code that reads files: the project file and the topic files, parsed into [`super::model`]
//! documents and handed to [`super::validate`]. Every problem carries its file, line and column.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::model::TopicFile;
use super::project::{Project, ProjectDoc};
use super::validate::Checked;
use super::{Error, ErrorKind, Location, validate};

/// The text of every file read, so that diagnostics can show source snippets.
#[derive(Debug, Default, Clone)]
pub struct Sources(BTreeMap<Arc<PathBuf>, Arc<str>>);

impl Sources {
    /// The text of `file`, if it was read.
    pub fn get(&self, file: &Path) -> Option<&Arc<str>> {
        self.0.get(&file.to_path_buf())
    }

    fn insert(&mut self, file: Arc<PathBuf>, text: Arc<str>) {
        self.0.insert(file, text);
    }
}

/// Reads and parses the project file.
pub fn load_project(path: &Path, sources: &mut Sources) -> Result<Project, Vec<Error>> {
    let file = Arc::new(path.to_path_buf());
    let text = read(&file, sources).map_err(|e| vec![e])?;
    let doc: ProjectDoc = parse(&file, &text).map_err(|e| vec![e])?;
    let origin = Location { file, line: 1, column: 1, offset: Some(0) };
    Ok(Project { path: path.to_path_buf(), doc, origin })
}

/// Reads every topic file under `paths` (files, or directories searched recursively for `.yaml` and
/// `.yml`, in name order), validates them together and returns the desired state with its warnings, or
/// every problem found.
pub fn load_topics(paths: &[PathBuf], sources: &mut Sources) -> Result<Checked, Vec<Error>> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        match topic_files(path) {
            Ok(found) if found.is_empty() => {
                problems.push(Error { kind: ErrorKind::NoTopicFiles { path: path.display().to_string() }, at: None })
            }
            Ok(found) => files.extend(found),
            Err(reason) => problems.push(Error { kind: ErrorKind::Read { reason }, at: None }),
        }
    }
    files.sort();
    files.dedup();

    let mut parsed = Vec::with_capacity(files.len());
    for path in files {
        let file = Arc::new(path);
        let result = read(&file, sources).and_then(|text| parse::<TopicFile>(&file, &text));
        match result {
            Ok(doc) => parsed.push((file, doc)),
            Err(e) => problems.push(e),
        }
    }
    let (desired, more) = validate::topics(&parsed);
    problems.extend(more);
    validate::split(desired, problems)
}

/// Validates topic files given as text, as if read from disk under the names given: the same parse and
/// checks as [`load_topics`], without the file system. For fuzzing, benchmarks and tests.
pub fn check_texts(files: &[(&str, &str)]) -> Result<Checked, Vec<Error>> {
    let mut problems = Vec::new();
    let mut parsed = Vec::with_capacity(files.len());
    for (name, text) in files {
        let file = Arc::new(PathBuf::from(name));
        match parse::<TopicFile>(&file, text) {
            Ok(doc) => parsed.push((file, doc)),
            Err(e) => problems.push(e),
        }
    }
    let (desired, more) = validate::topics(&parsed);
    problems.extend(more);
    validate::split(desired, problems)
}

fn topic_files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("`{}` does not exist", path.display()),
        _ => format!("cannot read `{}`: {e}", path.display()),
    })?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))? {
            let entry = entry.map_err(|e| e.to_string())?;
            let p = entry.path();
            let hidden = p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(p);
            }
        }
    }
    Ok(out)
}

fn whole_file(path: &Path) -> Location {
    Location { file: Arc::new(path.to_path_buf()), line: 1, column: 1, offset: None }
}

fn read(file: &Arc<PathBuf>, sources: &mut Sources) -> Result<Arc<str>, Error> {
    let bytes = std::fs::read(file.as_path()).map_err(|e| Error {
        kind: ErrorKind::Read { reason: format!("cannot read `{}`: {e}", file.display()) },
        at: None,
    })?;
    let text: Arc<str> = match String::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            let at = position(file, &valid, offset);
            let utf16 = e.as_bytes().starts_with(&[0xff, 0xfe]) || e.as_bytes().starts_with(&[0xfe, 0xff]);
            sources.insert(file.clone(), valid.into());
            return Err(Error::at(ErrorKind::NotUtf8 { offset, utf16 }, at));
        }
    };
    sources.insert(file.clone(), text.clone());
    Ok(text)
}

/// The location of byte `offset` of `text`, which must be on a character boundary.
fn position(file: &Arc<PathBuf>, text: &str, offset: usize) -> Location {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() as u64 + 1;
    Location { file: file.clone(), line, column, offset: Some(offset) }
}

fn parse<T: DeserializeOwned>(file: &Arc<PathBuf>, text: &str) -> Result<T, Error> {
    // An empty file (or one holding only comments) is an empty document, not an error.
    let text = if text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) { "{}" } else { text };
    // Work is bounded by the input's size: a real topic file holds at most about one value per two
    // bytes, while YAML aliases (`*name`) can make a small file expand without limit (an alias bomb).
    // Two values and four parser events per byte allow any real file, however large, and stop a bomb
    // after a few thousand values.
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = (text.len() * 2).max(10_000);
    budget.max_events = (text.len() * 4).max(20_000);
    let options = serde_saphyr::options! {
        budget: Some(budget),
        // YAML 1.1's `yes`/`no`/`on`/`off` are strings, not booleans: `preallocate: yes` is refused
        // with a clear message instead of silently meaning `true`.
        strict_booleans: true,
    };
    serde_saphyr::from_str_with_options::<T>(text, options).map_err(|e| from_yaml_error(file, text, &e))
}

/// Converts a parser error into ours: the location separately, the message without it.
fn from_yaml_error(file: &Arc<PathBuf>, text: &str, err: &serde_saphyr::Error) -> Error {
    let mut at = err.location().map(|l| location(file, &l)).unwrap_or_else(|| whole_file(file));
    // The scanner's errors carry a line and column but no offset; snippets need the offset.
    if at.offset.is_none() {
        at.offset = offset_of(text, at.line, at.column);
    }
    let message = yaml_message(err);
    if message.starts_with("multiple YAML documents") {
        // Point at the `---` that starts the second document.
        let lines: Vec<&str> = text.lines().take(at.line as usize).collect();
        if let Some(line) = lines.iter().rposition(|l| l.starts_with("---")) {
            at.line = line as u64 + 1;
            at.column = 1;
            at.offset = offset_of(text, at.line, 1);
        }
    }
    Error::at(classify(&message), at)
}

/// The byte offset of a 1-based line and column (in characters).
fn offset_of(text: &str, line: u64, column: u64) -> Option<usize> {
    let start: usize = text.split_inclusive('\n').take(line.checked_sub(1)? as usize).map(str::len).sum();
    let line_text = text.get(start..)?.lines().next().unwrap_or("");
    let within = line_text.char_indices().nth(column.saturating_sub(1) as usize).map_or(line_text.len(), |(i, _)| i);
    Some(start + within)
}

/// The parser's message with no location suffix and no snippet.
fn yaml_message(err: &serde_saphyr::Error) -> String {
    let full = err.without_snippet().to_string();
    let first = full.lines().next().unwrap_or_default();
    if let Some(rest) = first.strip_prefix("budget breached: ") {
        return budget_message(rest);
    }
    match first.find(" at line ") {
        Some(i) => first[..i].to_owned(),
        None => first.to_owned(),
    }
}

/// Explains which parser limit a file broke, in the user's terms.
fn budget_message(breach: &str) -> String {
    let kind = breach.split([' ', '{']).next().unwrap_or_default();
    match kind {
        "Depth" => "values are nested more than 64 levels deep; topic files need 4".into(),
        "Nodes" | "Events" | "Aliases" | "AliasReplays" | "RecordedAnchorEvents" | "RecordedAnchorBytes" => {
            "the file expands to far more values than its text holds; YAML aliases (`*name`) can make a \
             small file expand like this (an alias bomb), and topicform refuses such files"
                .into()
        }
        "Documents" => "the file holds too many YAML documents".into(),
        _ => "the file is too large or too complex for topicform to read".into(),
    }
}

/// Turns the parser's wording into ours where we know it better.
fn classify(message: &str) -> ErrorKind {
    if let Some((key, expected)) = unknown_key(message) {
        let suggestion = closest(&key, &expected);
        return ErrorKind::UnknownKey { key, expected, suggestion };
    }
    if let Some(rest) = message.strip_prefix("duplicate mapping key: ") {
        let key = rest.split(", set DuplicateKeyPolicy").next().unwrap_or(rest);
        return ErrorKind::DuplicateKey { key: key.to_owned() };
    }
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((value, expected)) = rest.split_once("`, expected ")
    {
        let expected = expected.trim_start_matches("one of ").replace(" or ", ", ");
        let allowed: Vec<String> = expected.split(", ").map(|v| format!("`{}`", v.trim_matches('`'))).collect();
        return ErrorKind::Syntax {
            message: format!("`{value}` is not allowed here; write one of {}", allowed.join(", ")),
        };
    }
    let message = match message {
        "missing field `name`" => "this topic has no `name`".to_owned(),
        "expected string scalar" => "expected a single value (a string) here".to_owned(),
        "expected sequence start" => "expected a list here: one `- ...` line per item".to_owned(),
        "expected mapping start" => "expected a mapping here: `key: value` lines".to_owned(),
        m if m.starts_with("multiple YAML documents") => {
            "this file holds more than one YAML document (`---`); put every topic under one `topics:` list".to_owned()
        }
        m if m.starts_with("tabs disallowed") => {
            "a tab indents this line; YAML allows only spaces for indentation".to_owned()
        }
        other => other.to_owned(),
    };
    ErrorKind::Syntax { message }
}

/// Recognises serde's ``unknown field `x`, expected one of a, b`` message (with or without backticks
/// around the expected names).
fn unknown_key(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let end = rest.find('`')?;
    let key = rest[..end].to_owned();
    let list = rest[end + 1..].trim_start_matches(", ");
    let list = list.strip_prefix("expected one of ").or_else(|| list.strip_prefix("expected ")).unwrap_or("");
    let expected = list
        .split(", ")
        .flat_map(|part| part.split(" or "))
        .map(|name| name.trim().trim_matches('`').to_owned())
        .filter(|name| !name.is_empty() && name != "there are no fields")
        .collect();
    Some((key, expected))
}

/// The allowed key closest to `key`, when the two are close enough to be a typo.
pub(crate) fn closest(key: &str, candidates: &[String]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (edit_distance(&key.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.clone())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Our location for a parser location in `file`.
pub(crate) fn location(file: &Arc<PathBuf>, at: &serde_saphyr::Location) -> Location {
    Location {
        file: file.clone(),
        line: at.line(),
        column: at.column(),
        offset: at.span().byte_offset().and_then(|o| usize::try_from(o).ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parser's budget grows with the file: one file of 20,000 topics with configs is read.
    #[test]
    fn large_files_fit_the_budget() {
        let mut text =
            String::from("defaults:\n  replicationFactor: 3\n  config:\n    min.insync.replicas: 2\ntopics:\n");
        for i in 0..20_000 {
            text += &format!(
                "  - name: t{i}\n    partitions: 3\n    config:\n      retention.ms: 7d\n      cleanup.policy: [compact, delete]\n"
            );
        }
        let checked = check_texts(&[("topics/big.yaml", &text)]).unwrap();
        assert_eq!(checked.desired.topics.len(), 20_000);
    }

    #[test]
    fn closest_key() {
        let keys: Vec<String> = ["name", "partitions", "replicationFactor", "config"].map(String::from).into();
        assert_eq!(closest("partitons", &keys).as_deref(), Some("partitions"));
        assert_eq!(closest("replicationfactor", &keys).as_deref(), Some("replicationFactor"));
        assert_eq!(closest("configs", &keys).as_deref(), Some("config"));
        assert_eq!(closest("owner", &keys), None);
    }

    #[test]
    fn unknown_key_message() {
        let want = Some(("partitons".to_owned(), vec!["name".to_owned(), "partitions".to_owned()]));
        for msg in [
            "unknown field `partitons`, expected one of `name`, `partitions`",
            "unknown field `partitons`, expected one of name, partitions",
            "unknown field `partitons`, expected `name` or `partitions`",
        ] {
            assert_eq!(unknown_key(msg), want, "{msg}");
        }
        assert_eq!(unknown_key("invalid type: string"), None);
    }
}
