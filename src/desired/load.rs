//! The only code that reads files: the project file and the topic files, parsed into [`super::model`]
//! documents and handed to [`super::validate`]. Every problem carries its file, line and column.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::model::TopicFile;
use super::project::{Project, ProjectDoc};
use super::validate::{Checked, Collected, Collector, FileDefaults};
use super::{Error, ErrorKind, Location, validate, yaml};

/// The largest file topicform reads. Far beyond any real topic file, it bounds what a mistake (a log
/// file named `.yaml`) can cost.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

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

    /// Every file read, by the path it was read by.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.0.keys().map(|p| p.as_path())
    }

    /// Adds a text, as if `file` had been read: for tests of rendering.
    #[doc(hidden)]
    pub fn insert_for_tests(&mut self, file: Arc<PathBuf>, text: Arc<str>) {
        self.insert(file, text);
    }
}

/// Reads and parses the project file. `Err` only when it cannot be read or is not YAML; the problems
/// in a file that parses are in [`Project::problems`].
pub fn load_project(path: &Path, sources: &mut Sources) -> Result<Project, Vec<Error>> {
    let file = Arc::new(path.to_path_buf());
    let text = read(&file, sources).map_err(|e| vec![e])?;
    let (doc, problems) = yaml::parse::<ProjectDoc>(&file, &text).map_err(|e| vec![e])?;
    let doc = doc.map(|d| d.value).unwrap_or_default();
    // Snippets of the project file never show a client value written in it: it may be a password. A
    // SASL mechanism's name is none, and stays.
    let offsets: Vec<usize> = doc
        .clusters
        .iter()
        .flat_map(|(_, c)| c.value.client.0.iter())
        .filter(|(k, v)| {
            let mechanism =
                |t: &str| super::client::is_mechanism_key(&k.value) && super::client::MECHANISMS.contains(&t);
            v.value.as_text().is_ok_and(|t| !t.contains("${") && !mechanism(&t))
        })
        .map(|(_, v)| v.at.offset as usize)
        .collect();
    if !offsets.is_empty() {
        sources.insert(file.clone(), mask(&text, &offsets).into());
    }
    Ok(Project::new(path, doc, problems))
}

/// `text` with the scalar at each of `offsets` replaced by `*`s, byte for byte, so that every other
/// offset, line and column stays where it was.
fn mask(text: &str, offsets: &[usize]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &start in offsets {
        let Some(rest) = text.get(start..) else { continue };
        let (from, to) = scalar_extent(rest);
        for (i, c) in rest[from..to].char_indices() {
            if !c.is_whitespace() {
                bytes[start + from + i..start + from + i + c.len_utf8()].fill(b'*');
            }
        }
    }
    String::from_utf8(bytes).expect("ASCII replaced whole characters")
}

/// Where the scalar that `rest` starts with has its content, as byte offsets into `rest`: inside its
/// quotes, the block of a `|` or `>` scalar, or a plain scalar up to its line's end (or, in a flow
/// collection, its `,`, `]` or `}`) without a trailing comment.
fn scalar_extent(rest: &str) -> (usize, usize) {
    let bytes = rest.as_bytes();
    match bytes.first() {
        Some(b'"') => {
            let mut i = 1;
            while i < bytes.len() && bytes[i] != b'"' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            (1, i.min(bytes.len()))
        }
        Some(b'\'') => {
            let mut i = 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            (1, i.min(bytes.len()))
        }
        Some(b'|' | b'>') => {
            // The block: every following line that is blank or indented.
            let mut end = rest.find('\n').unwrap_or(rest.len());
            while end < rest.len() {
                let next = rest[end + 1..].find('\n').map_or(rest.len(), |i| end + 1 + i);
                let line = &rest[end + 1..next];
                if !(line.trim().is_empty() || line.starts_with(' ')) {
                    break;
                }
                end = next;
            }
            (0, end)
        }
        _ => {
            let line = rest.find('\n').map_or(rest, |i| &rest[..i]);
            let line = line.find(" #").map_or(line, |i| &line[..i]);
            let flow = line.find([',', ']', '}']).map_or(line, |i| &line[..i]);
            (0, flow.trim_end().len())
        }
    }
}

/// Reads every topic file under `paths` (files, or directories searched recursively for `.yaml` and
/// `.yml`, in name order), validates them together and returns the desired state with its warnings, or
/// every problem found.
pub fn load_topics(paths: &[PathBuf], sources: &mut Sources) -> Result<Checked, Vec<Error>> {
    load_tree(paths, None, sources)
}

/// [`load_topics`], leaving out `project` (the project file), which a flat layout (`topics: [.]`)
/// would otherwise read as a topic file.
pub fn load_tree(paths: &[PathBuf], project: Option<&Path>, sources: &mut Sources) -> Result<Checked, Vec<Error>> {
    let tree = walk_tree(paths, &[], project, Collector::new(Vec::new(), true), sources);
    validate::split(tree.desired, tree.problems)
}

/// Reads every topic file under `paths` and checks the topics as each of `clusters` of `project` sees
/// them (its overrides, the project's policy, its release), with every problem found; the desired state
/// is kept, as the first cluster sees it, only with `keep` (`validate` needs no desired state, and a
/// large file is then checked topic by topic, never held whole).
pub fn check_tree(
    paths: &[PathBuf],
    project: Option<&Project>,
    clusters: &[Option<&str>],
    keep: bool,
    sources: &mut Sources,
) -> Collected {
    let mut problems = Vec::new();
    let views = match project {
        Some(p) => clusters
            .iter()
            .map(|c| {
                let (view, more) = p.view(*c);
                problems.extend(more);
                view
            })
            .collect(),
        None => Vec::new(),
    };
    let mut collector = Collector::new(views, keep);
    collector.problems(problems);
    // The project's own `topics:` entries: a problem with one is located at the entry.
    let named: Vec<Option<Location>> = match project.map(Project::located_topic_paths) {
        Some(located) if located.iter().map(|(p, _)| p).eq(paths.iter()) => {
            located.into_iter().map(|(_, at)| at).collect()
        }
        _ => Vec::new(),
    };
    walk_tree(paths, &named, project.map(|p| p.path.as_path()), collector, sources)
}

fn walk_tree(
    paths: &[PathBuf],
    named: &[Option<Location>],
    project: Option<&Path>,
    mut collector: Collector<'_>,
    sources: &mut Sources,
) -> Collected {
    let (files, problems) = topic_files(paths, named, project);
    collector.problems(problems);
    parse_in_order(files, |file, read, parsed| {
        if let Some(text) = read {
            sources.insert(file.clone(), text);
        }
        match parsed {
            Ok((doc, problems)) => {
                collector.problems(problems);
                take(&file, doc.map(|d| d.value).unwrap_or_default(), &mut collector);
            }
            Err(e) => collector.problems([e]),
        }
    });
    collector.finish()
}

/// One topic file read and parsed: its text for [`Sources`] (what could be read of it), and the
/// document with its problems, or the problem that stops it.
type Parsed = (Option<Arc<str>>, Outcome);

/// A topic file's document with its problems, or the problem that stops it.
type Outcome = Result<(Option<yaml::At<TopicFile>>, Vec<Error>), Error>;

/// A file larger than this is parsed while no other large one is, so that parsing on several threads
/// never holds more than one large file's document at once.
const ALONE_BYTES: usize = 8 * 1024 * 1024;

/// Reads and parses `files`, on up to four threads (one per core), and hands each outcome to `each` in
/// the order of `files`, as soon as it and every file before it are done: problems come out in the same
/// order as from one thread, and the collector sees the files in the same order.
fn parse_in_order(files: Vec<PathBuf>, mut each: impl FnMut(Arc<PathBuf>, Option<Arc<str>>, Outcome)) {
    let files: Vec<Arc<PathBuf>> = files.into_iter().map(Arc::new).collect();
    let parse = |file: &Arc<PathBuf>, large: &std::sync::Mutex<()>| -> Parsed {
        match read_text(file) {
            (text, Err(e)) => (text, Err(e)),
            (text, Ok(t)) => {
                let _alone = (t.len() > ALONE_BYTES).then(|| large.lock().unwrap_or_else(|e| e.into_inner()));
                let parsed = yaml::parse::<TopicFile>(file, &t);
                (text, parsed)
            }
        }
    };
    let large = std::sync::Mutex::new(());
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4).min(files.len());
    if workers <= 1 {
        for file in &files {
            let (text, parsed) = parse(file, &large);
            each(file.clone(), text, parsed);
        }
        return;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel::<(usize, Parsed)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (tx, next, files, large, parse) = (tx.clone(), &next, &files, &large, &parse);
            // The main thread's stack size, so that a file parses wherever it would on one thread. A
            // worker that cannot be started leaves its share to the others, or to this thread below.
            let _ = std::thread::Builder::new().name("topicform-parse".into()).stack_size(8 << 20).spawn_scoped(
                scope,
                move || {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(file) = files.get(i) else { break };
                        if tx.send((i, parse(file, large))).is_err() {
                            break;
                        }
                    }
                },
            );
        }
        drop(tx);
        let mut ready: BTreeMap<usize, Parsed> = BTreeMap::new();
        let mut due = 0;
        let mut take = |i: usize, parsed: Parsed, due: &mut usize| {
            ready.insert(i, parsed);
            while let Some((text, parsed)) = ready.remove(due) {
                each(files[*due].clone(), text, parsed);
                *due += 1;
            }
        };
        for (i, parsed) in rx {
            take(i, parsed, &mut due);
        }
        // Every worker is done: what none of them took (none could be started) is read here.
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(file) = files.get(i) else { break };
            take(i, parse(file, &large), &mut due);
        }
    });
}

/// The topics of one parsed file, with its defaults, into `collector`.
fn take(file: &Arc<PathBuf>, doc: TopicFile, collector: &mut Collector<'_>) {
    let mut problems = Vec::new();
    let mode = doc.config_mode.as_ref().map(|m| m.value);
    let defaults = FileDefaults::new(file, doc.defaults.as_ref().map(|d| &d.value), mode, &mut problems);
    for declared in doc.topics {
        if let Some(topic) = defaults.topic(declared, &mut problems) {
            collector.add(topic);
        }
    }
    collector.problems(problems);
}

/// Validates topic files given as text, as if read from disk under the names given: the same parse and
/// checks as [`load_topics`], without the file system. For fuzzing, benchmarks and tests.
pub fn check_texts(files: &[(&str, &str)]) -> Result<Checked, Vec<Error>> {
    let mut collector = Collector::new(Vec::new(), true);
    for (name, text) in files {
        let file = Arc::new(PathBuf::from(name));
        match yaml::parse::<TopicFile>(&file, &Arc::from(*text)) {
            Ok((doc, problems)) => {
                collector.problems(problems);
                take(&file, doc.map(|d| d.value).unwrap_or_default(), &mut collector);
            }
            Err(e) => collector.problems([e]),
        }
    }
    let collected = collector.finish();
    validate::split(collected.desired, collected.problems)
}

/// Reads a project file given as text, as if read from disk under `name`: the project (its problems in
/// [`Project::problems`]), or the problem that stops it. For fuzzing and tests.
pub fn project_text(name: &str, text: &str) -> Result<Project, Error> {
    let file = Arc::new(PathBuf::from(name));
    let (doc, problems) = yaml::parse::<ProjectDoc>(&file, &Arc::from(text))?;
    Ok(Project::new(&file, doc.map(|d| d.value).unwrap_or_default(), problems))
}

/// The topic files under `paths`, each once, in the order given and then by name, and the problems
/// of what cannot be read as one.
///
/// Only regular files are read: a named pipe would block the read forever, a device could be endless.
/// What a path is, is asked before anything is opened. Symbolic links are followed, to directories too
/// (sharing a directory of topic files through a link is common), with loop detection; a link that
/// cannot be followed is reported, never skipped silently. A file reached by two paths (`topics` and
/// `./topics`, or through a link) is read once, and the project file never.
/// A problem with a path itself (it does not exist, is no file or directory, holds no topic file) is
/// located where `named` says the path is named (the project's `topics:`), when it says.
fn topic_files(paths: &[PathBuf], named: &[Option<Location>], project: Option<&Path>) -> (Vec<PathBuf>, Vec<Error>) {
    let mut walk = Walk {
        files: Vec::new(),
        problems: Vec::new(),
        seen: HashSet::new(),
        project: project.and_then(|p| std::fs::canonicalize(p).ok()),
        found: 0,
    };
    for (i, path) in paths.iter().enumerate() {
        walk.found = 0;
        let at = named.get(i).cloned().flatten();
        let located = |kind| Error { kind, at: at.clone() };
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let reason = format!("`{}` does not exist", path.display());
                walk.problems.push(located(ErrorKind::Read { reason }));
                continue;
            }
            Err(e) => {
                let reason = format!("cannot read `{}`: {}", path.display(), reason(&e));
                walk.problems.push(located(ErrorKind::Read { reason }));
                continue;
            }
            Ok(_) => {}
        }
        match std::fs::metadata(path) {
            Err(e) => walk.problems.push(located(broken_link(path, &e))),
            Ok(meta) if meta.is_dir() => walk.dir(path, &mut Vec::new()),
            // A file named on the command line or in `topics:` is read whatever its extension.
            Ok(meta) if meta.is_file() => walk.file(path),
            Ok(meta) => walk.problems.push(located(not_regular(path, &meta))),
        }
        if walk.found == 0 && std::fs::metadata(path).is_ok_and(|m| m.is_dir()) {
            walk.problems.push(located(ErrorKind::NoTopicFiles { path: path.display().to_string() }));
        }
    }
    (walk.files, walk.problems)
}

struct Walk {
    files: Vec<PathBuf>,
    problems: Vec<Error>,
    /// Canonical paths of the files and directories taken so far.
    seen: HashSet<PathBuf>,
    project: Option<PathBuf>,
    /// Topic files (and directories already read) met under the current path, taken or not.
    found: usize,
}

impl Walk {
    fn problem(&mut self, kind: ErrorKind) {
        self.problems.push(Error { kind, at: None });
    }

    fn file(&mut self, path: &Path) {
        let Ok(canonical) = std::fs::canonicalize(path) else {
            self.found += 1;
            self.files.push(path.to_path_buf());
            return;
        };
        if self.project.as_ref() == Some(&canonical) {
            return;
        }
        self.found += 1;
        if !self.seen.insert(canonical) {
            return;
        }
        self.files.push(path.to_path_buf());
    }

    /// Walks `dir`; `ancestors` are the canonical directories being walked above it.
    fn dir(&mut self, dir: &Path, ancestors: &mut Vec<PathBuf>) {
        let canonical = match std::fs::canonicalize(dir) {
            Ok(c) => c,
            Err(e) => return self.problem(broken_link(dir, &e)),
        };
        if ancestors.contains(&canonical) {
            return self.problem(ErrorKind::LinkLoop { link: dir.display().to_string() });
        }
        if !self.seen.insert(canonical.clone()) {
            // Read already, through another path.
            self.found += 1;
            return;
        }
        let mut entries: Vec<std::fs::DirEntry> = match std::fs::read_dir(dir) {
            Ok(entries) => entries.filter_map(Result::ok).collect(),
            Err(e) => {
                return self.problem(ErrorKind::Read {
                    reason: format!("cannot read the directory `{}`: {}", dir.display(), reason(&e)),
                });
            }
        };
        entries.sort_by_key(|e| e.file_name());
        ancestors.push(canonical);
        for entry in entries {
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let topic_file = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
            let Ok(kind) = entry.file_type() else { continue };
            // What a link leads to; the entry itself otherwise.
            let meta = if kind.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(meta) => meta,
                    Err(e) => {
                        self.problem(broken_link(&path, &e));
                        continue;
                    }
                }
            } else {
                match entry.metadata() {
                    Ok(meta) => meta,
                    Err(_) => continue,
                }
            };
            if meta.is_dir() {
                self.dir(&path, ancestors);
            } else if topic_file && meta.is_file() {
                self.file(&path);
            } else if topic_file {
                self.problem(not_regular(&path, &meta));
            }
        }
        ancestors.pop();
    }
}

/// A path that exists but is neither a file nor a directory.
fn not_regular(path: &Path, meta: &std::fs::Metadata) -> ErrorKind {
    #[cfg(unix)]
    let what = {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            "a named pipe (FIFO)"
        } else if t.is_socket() {
            "a socket"
        } else if t.is_block_device() || t.is_char_device() {
            "a device"
        } else if t.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        }
    };
    #[cfg(not(unix))]
    let what = {
        let _ = meta;
        "not a regular file"
    };
    ErrorKind::NotRegular { path: path.display().to_string(), what: what.into() }
}

/// What `path` is when it is a named pipe, a socket or a device (links followed): files that a
/// reader waits on forever, or that never end. `None` for a regular file, a directory, or nothing.
pub fn special_file(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() || meta.is_dir() {
        return None;
    }
    match not_regular(path, &meta) {
        ErrorKind::NotRegular { what, .. } => Some(what),
        _ => None,
    }
}

/// A symbolic link that cannot be followed, or a path that vanished.
fn broken_link(path: &Path, e: &std::io::Error) -> ErrorKind {
    match std::fs::read_link(path) {
        Ok(target) if e.kind() == std::io::ErrorKind::NotFound => ErrorKind::Read {
            reason: format!("`{}` is a symbolic link to `{}`, which does not exist", path.display(), target.display()),
        },
        Ok(target) => ErrorKind::Read {
            reason: format!(
                "`{}` is a symbolic link to `{}`, which cannot be followed: {}",
                path.display(),
                target.display(),
                reason(e)
            ),
        },
        Err(_) => ErrorKind::Read { reason: format!("cannot read `{}`: {}", path.display(), reason(e)) },
    }
}

/// The operating system's reason, without Rust's `(os error N)`.
fn reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_lowercase(),
        None => text.to_lowercase(),
    }
}

/// Opens a regular file for reading, never blocking: a file swapped for a named pipe after it was
/// looked at opens at once and is refused.
fn open(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

fn read(file: &Arc<PathBuf>, sources: &mut Sources) -> Result<Arc<str>, Error> {
    let (text, result) = read_text(file);
    if let Some(text) = text {
        sources.insert(file.clone(), text);
    }
    result
}

/// The text of `file`, or why it cannot be read; beside it, what [`Sources`] keeps of it (what could be
/// read, when it is not UTF-8).
fn read_text(file: &Arc<PathBuf>) -> (Option<Arc<str>>, Result<Arc<str>, Error>) {
    let mut kept = None;
    let result = read_keeping(file, &mut kept);
    (kept, result)
}

/// The bytes of the regular file at `path` (links followed), at most `max` of them: the one function
/// through which topicform reads a file it is given (topic and project files, saved plans, snapshots,
/// `${file:PATH}` references). A named pipe, a socket, a device or a directory is refused at once,
/// never opened for a read that could block past `--timeout`; a larger file is refused before it is
/// read, so a mistake cannot exhaust memory.
pub fn read_file(path: &Path, max: u64) -> Result<Vec<u8>, ErrorKind> {
    let cannot =
        |e: std::io::Error| ErrorKind::Read { reason: format!("cannot read `{}`: {}", path.display(), reason(&e)) };
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let handle = open(path).map_err(cannot)?;
    // Looked at again through the handle: the path may have been swapped for a pipe meanwhile.
    let meta = handle.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(not_regular(path, &meta));
    }
    let too_large = |len: u64| ErrorKind::Read {
        reason: format!("`{}` holds {}; topicform reads files of up to {}", path.display(), mib(len), mib(max)),
    };
    if meta.len() > max {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    handle.take(max + 1).read_to_end(&mut bytes).map_err(cannot)?;
    // A file that grew while it was read.
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// `n` bytes in MiB, or in bytes below 1 MiB.
fn mib(n: u64) -> String {
    if n >= 1024 * 1024 { format!("{} MiB", n / (1024 * 1024)) } else { format!("{n} bytes") }
}

fn read_keeping(file: &Arc<PathBuf>, kept: &mut Option<Arc<str>>) -> Result<Arc<str>, Error> {
    let bytes = read_file(file, MAX_FILE_BYTES).map_err(|kind| Error { kind, at: None })?;
    let text: Arc<str> = match String::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let valid = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            let at = position(file, &valid, offset);
            let utf16 = e.as_bytes().starts_with(&[0xff, 0xfe]) || e.as_bytes().starts_with(&[0xfe, 0xff]);
            *kept = Some(valid.into());
            return Err(Error::at(ErrorKind::NotUtf8 { offset, utf16 }, at));
        }
    };
    *kept = Some(text.clone());
    Ok(text)
}

/// The location of byte `offset` of `text`, which must be on a character boundary.
fn position(file: &Arc<PathBuf>, text: &str, offset: usize) -> Location {
    let before = &text[..offset.min(text.len())];
    let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let line = clamp(before.matches('\n').count() + 1);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = clamp(before[line_start..].chars().count() + 1);
    Location { file: file.clone(), line, column, offset: u32::try_from(offset).ok() }
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

    fn names(files: &[PathBuf], base: &Path) -> Vec<String> {
        files.iter().map(|f| f.strip_prefix(base).unwrap_or(f).display().to_string()).collect()
    }

    fn reasons(problems: &[Error]) -> Vec<String> {
        problems.iter().map(|p| p.kind.to_string()).collect()
    }

    #[cfg(unix)]
    #[test]
    fn the_tree_reads_regular_files_once_and_follows_links() {
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        std::fs::create_dir_all(base.join("topics/own")).unwrap();
        std::fs::create_dir_all(base.join("shared")).unwrap();
        std::fs::write(base.join("topicform.yaml"), "clusters: {}\n").unwrap();
        std::fs::write(base.join("topics/a.yaml"), "").unwrap();
        std::fs::write(base.join("topics/own/b.yml"), "").unwrap();
        std::fs::write(base.join("topics/notes.txt"), "").unwrap();
        std::fs::write(base.join("topics/.hidden.yaml"), "").unwrap();
        std::fs::write(base.join("shared/c.yaml"), "").unwrap();
        // A shared directory and a shared file, through links; a link back up; a dangling link.
        symlink(base.join("shared"), base.join("topics/shared")).unwrap();
        symlink(base.join("topics/a.yaml"), base.join("topics/z-again.yaml")).unwrap();
        symlink(base.join("topics"), base.join("topics/own/up")).unwrap();
        symlink(base.join("nowhere"), base.join("topics/gone.yaml")).unwrap();
        let fifo = base.join("topics/pipe.yaml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());

        let topics = base.join("topics");
        let again = base.join("./topics");
        let (files, problems) = topic_files(&[topics.clone(), again, base.join("topics/a.yaml")], &[], None);
        assert_eq!(names(&files, base), ["topics/a.yaml", "topics/own/b.yml", "topics/shared/c.yaml"]);
        let mut want = vec![
            format!(
                "`{}` is a symbolic link to `{}`, which does not exist",
                topics.join("gone.yaml").display(),
                base.join("nowhere").display()
            ),
            format!(
                "`{}` leads back to a directory above it; topicform reads that directory once",
                topics.join("own/up").display()
            ),
        ];
        if made {
            want.push(format!("`{}` is a named pipe (FIFO); topicform reads only regular files", fifo.display()));
        }
        assert_eq!(reasons(&problems), want);
        assert_eq!(problems.iter().filter(|p| p.severity() == super::super::Severity::Error).count(), want.len() - 1);

        // A flat layout: the project file beside the topic files is never one of them.
        std::fs::write(base.join("flat.yaml"), "").unwrap();
        let (files, _) = topic_files(&[base.join(".")], &[], Some(&base.join("topicform.yaml")));
        assert!(files.iter().all(|f| !f.ends_with("topicform.yaml")), "{files:?}");
        assert!(files.iter().any(|f| f.ends_with("flat.yaml")), "{files:?}");

        // A FIFO named on the command line is refused, and never opened (this would block).
        if made {
            let (files, problems) = topic_files(std::slice::from_ref(&fifo), &[], None);
            assert!(files.is_empty());
            assert_eq!(
                reasons(&problems),
                [format!("`{}` is a named pipe (FIFO); topicform reads only regular files", fifo.display())]
            );
            let mut sources = Sources::default();
            let err = read(&Arc::new(fifo), &mut sources).unwrap_err();
            assert!(matches!(err.kind, ErrorKind::NotRegular { .. }), "{err:?}");
        }
    }

    /// Files are parsed on several threads, and everything comes out as from one: problems in the order
    /// of the files, the first of two declarations kept, every text in the sources.
    #[test]
    fn files_parsed_at_once_come_out_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        for i in 0..64 {
            let text = match i {
                // Not UTF-8, not YAML, and a later declaration of file 10's topic.
                30 => b"topics:\n  - name: t30\xff\n".to_vec(),
                40 => b"topics: [\n".to_vec(),
                50 => b"topics:\n  - name: t10\n    partitions: 1\n".to_vec(),
                // Slow to parse: the files after it are done first.
                10 => (0..5000)
                    .fold(String::from("topics:\n  - name: t10\n    partitions: 1\n"), |t, j| {
                        t + &format!("  - name: t10.{j}\n    partitions: 1\n")
                    })
                    .into_bytes(),
                _ => format!("topics:\n  - name: t{i}\n    partitions: {}\n", if i % 7 == 0 { "many" } else { "1" })
                    .into_bytes(),
            };
            std::fs::write(base.join(format!("f{i:02}.yaml")), text).unwrap();
        }
        let mut sources = Sources::default();
        let collected = check_tree(&[base.to_path_buf()], None, &[], true, &mut sources);
        let files: Vec<String> = collected
            .problems
            .iter()
            .map(|p| p.at.as_ref().map_or(String::new(), |at| names(&[(*at.file).clone()], base)[0].clone()))
            .collect();
        let want: Vec<String> =
            (0..64).filter(|i| i % 7 == 0 || [30, 40, 50].contains(i)).map(|i| format!("f{i:02}.yaml")).collect();
        assert_eq!(files, want, "{:?}", reasons(&collected.problems));
        let at_50 = files.iter().position(|f| f == "f50.yaml").unwrap();
        assert!(
            matches!(&collected.problems[at_50].kind, ErrorKind::DuplicateTopic { topic, .. } if topic == "t10"),
            "{:?}",
            collected.problems[at_50]
        );
        let kept = &collected.desired.topics["t10"];
        assert_eq!(kept.origin.as_ref().map(|at| at.file.as_path()), Some(base.join("f10.yaml").as_path()));
        assert!((0..64).all(|i| sources.get(&base.join(format!("f{i:02}.yaml"))).is_some()));
    }

    #[test]
    fn empty_and_commented_files_are_empty() {
        for text in [
            "",
            "\n\n",
            "# only a comment\n",
            "---\n# a comment\n",
            "---\n",
            "topics:\n",
            "topics:\n  # - name: a\n  #   partitions: 1\n",
            "topics: []\n",
            "defaults:\n  config:\n    # retention.ms: 1\ntopics:\n  - name: a\n    partitions: 1\n    config:\n      # retention.ms: 7d\n",
        ] {
            let checked = check_texts(&[("t.yaml", text)]).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
            assert!(checked.warnings.is_empty(), "{text:?}");
        }
    }

    #[test]
    fn one_anchor_used_many_times_is_fine_and_a_bomb_is_not() {
        let mut text = String::from(
            "defaults:\n  partitions: 3\ntopics:\n  - name: t0\n    config: &common\n      retention.ms: 7d\n      cleanup.policy: [compact, delete]\n      segment.bytes: 1GiB\n",
        );
        for i in 1..=101 {
            text += &format!("  - name: topic.{i}\n    config: *common\n");
        }
        assert!(text.len() < 5_000);
        assert_eq!(check_texts(&[("t.yaml", &text)]).unwrap().desired.topics.len(), 102);

        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (prev, next) in
            ["a", "b", "c", "d", "e", "f", "g", "h"].iter().zip(["b", "c", "d", "e", "f", "g", "h", "i"])
        {
            bomb += &format!(
                "{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            );
        }
        let started = std::time::Instant::now();
        let errors = check_texts(&[("t.yaml", &bomb)]).unwrap_err();
        assert!(errors[0].kind.to_string().contains("alias bomb"), "{errors:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn client_values_are_masked_in_snippets() {
        let text = "clusters:\n  c:\n    bootstrap: a:1\n    client:\n      sasl.password: hunter2 # note\n      ssl.key.password: \"p\\\"w\"\n      sasl.username: '${USER}'\n      x: {a: b}\n";
        let password = text.find("hunter2").unwrap();
        let quoted = text.find("\"p").unwrap();
        let masked = mask(text, &[password, quoted]);
        assert_eq!(masked.len(), text.len());
        assert!(masked.contains("sasl.password: ******* # note\n"), "{masked}");
        assert!(masked.contains("ssl.key.password: \"****\"\n"), "{masked}");
        assert!(masked.contains("'${USER}'"), "{masked}");
        assert_eq!(scalar_extent("v, w: x}"), (0, 1));
        assert_eq!(scalar_extent("'it''s' # c"), (1, 6));
        assert_eq!(scalar_extent("|\n  one\n  two\nnext: 1\n"), (0, 13));
    }

    /// Found by the `load_render` fuzz target: non-finite floats in configs of every kind.
    #[test]
    fn non_finite_config_values_are_refused_in_words() {
        for key in ["compression.type", "retention.ms", "min.cleanable.dirty.ratio", "preallocate", "cleanup.policy"] {
            for value in [".nan", ".inf", "-.inf", "[.nan]"] {
                let text = format!("topics:\n  - name: t\n    partitions: 1\n    config:\n      {key}: {value}\n");
                let errors = check_texts(&[("t.yaml", &text)]).unwrap_err();
                assert_eq!(errors.len(), 1, "{key}: {value}: {errors:?}");
            }
        }
    }

    #[test]
    fn closest_key() {
        let keys: Vec<String> = ["name", "partitions", "replicationFactor", "config"].map(String::from).into();
        assert_eq!(closest("partitons", &keys).as_deref(), Some("partitions"));
        assert_eq!(closest("replicationfactor", &keys).as_deref(), Some("replicationFactor"));
        assert_eq!(closest("configs", &keys).as_deref(), Some("config"));
        assert_eq!(closest("owner", &keys), None);
    }
}
