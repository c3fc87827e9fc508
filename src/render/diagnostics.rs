//! Problems in the files as located diagnostics: the message with its file:line:column, a source
//! snippet with the offending text underlined, and a hint. The only module that uses miette.

use std::io::{self, Write};

use miette::{
    GraphicalReportHandler, GraphicalTheme, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::Style;
use crate::desired::{Error, ErrorKind, Location, ReleaseBasis, Severity, Sources};

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct Report {
    message: String,
    src: Option<Snippet>,
    span: Option<SourceSpan>,
    help: Option<String>,
    severity: miette::Severity,
}

// By hand rather than derived: miette's derive takes one fixed severity per type, and a problem here
// is an error or a warning depending on the rule and the project's policy.
impl miette::Diagnostic for Report {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.src.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span?;
        Some(Box::new(std::iter::once(miette::LabeledSpan::new_with_span(Some("here".into()), span))))
    }
}

/// Writes every problem, then a count.
pub fn diagnostics(errors: &[Error], sources: &Sources, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    for error in errors {
        let report = report(error, sources);
        let mut rendered = String::new();
        handler.render_report(&mut rendered, &report).map_err(io::Error::other)?;
        writeln!(out, "{}", rendered.trim_end())?;
        writeln!(out)?;
    }
    let n = errors.iter().filter(|e| e.severity() == Severity::Error).count();
    let w = errors.len() - n;
    // Problems found against the release the brokers named come after a (read-only) describe.
    let described = errors.iter().any(|e| match &e.kind {
        ErrorKind::ConfigNotInRelease { basis, .. } | ErrorKind::ConfigValueForRelease { basis, .. } => {
            matches!(basis, ReleaseBasis::Detected { .. })
        }
        ErrorKind::ReleaseMismatch { .. } => true,
        _ => false,
    });
    let nothing = if described {
        "the cluster was described, and nothing was changed"
    } else {
        "nothing was sent to any cluster"
    };
    match (n, w) {
        (0, 0) => {}
        (0, w) => writeln!(out, "{w} warning(s).")?,
        (n, 0) => writeln!(out, "{n} error(s); {nothing}.")?,
        (n, w) => writeln!(out, "{n} error(s) and {w} warning(s); {nothing}.")?,
    }
    Ok(())
}

fn report(error: &Error, sources: &Sources) -> Report {
    let severity = match error.severity() {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    };
    let (src, span) = match &error.at {
        Some(at) => match (sources.get(&at.file), at.offset.map(|o| o as usize)) {
            (Some(text), Some(offset)) if offset <= text.len() && !text.is_empty() && text.is_char_boundary(offset) => {
                let (snippet, span) = Snippet::around(at, text, offset);
                (Some(snippet), Some(span))
            }
            _ => (None, None),
        },
        None => (None, None),
    };
    let message = match &error.at {
        Some(at) => format!("{}: {}", short(at), error.kind),
        None => error.kind.to_string(),
    };
    // A path, a name or a value quoted from a file reaches the terminal escaped.
    let message = super::escape::terminal(&message).into_owned();
    let help = error.hint().map(|h| super::escape::terminal(&h).into_owned());
    Report { message, src, span, help, severity }
}

fn short(at: &Location) -> String {
    at.to_string()
}

/// Lines of context shown around a problem.
const CONTEXT: usize = 1;
/// The longest line a snippet shows; longer ones are cut around the problem, with an ellipsis.
const LINE: usize = 200;

/// The lines around a problem, as a source miette can draw: only those lines (not the whole file, which
/// would be copied for every problem), each cut to [`LINE`] characters, numbered as in the file.
#[derive(Debug)]
struct Snippet {
    name: String,
    text: String,
    /// The 0-based line number of the snippet's first line in the file.
    first_line: usize,
    /// The 0-based column of the problem in the file.
    column: usize,
}

impl Snippet {
    /// The snippet around byte `offset` of `text` (on a character boundary), and the problem's span in it.
    fn around(at: &Location, text: &str, offset: usize) -> (Snippet, SourceSpan) {
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let mut start = line_start;
        for _ in 0..CONTEXT {
            if start == 0 {
                break;
            }
            start = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
        }
        let lines_before = text[start..line_start].matches('\n').count();
        let first_line = (at.line.saturating_sub(1) as usize).saturating_sub(lines_before);
        let mut out = String::new();
        let mut span = SourceSpan::new(0.into(), 0);
        for (i, line) in text[start..].split('\n').take(lines_before + 1 + CONTEXT).enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let line = line.trim_end_matches('\r');
            if i == lines_before {
                let (cut, within) = cut(line, offset - line_start);
                let from = out.len() + within;
                out.push_str(&cut);
                span = SourceSpan::new(from.into(), token_len(&out, from));
            } else {
                out.push_str(&cut(line, 0).0);
            }
        }
        // Control and format characters of the file are drawn as `?`s, one per byte, so that the span
        // still points at the same bytes and nothing in a file can drive the terminal.
        let out: String = out
            .chars()
            .flat_map(|c| {
                let hidden = c != '\n' && c != '\t' && super::escape::hidden(c);
                let n = if hidden { c.len_utf8() } else { 0 };
                std::iter::repeat_n('?', n).chain((!hidden).then_some(c))
            })
            .collect();
        let snippet = Snippet {
            name: super::escape::terminal(&at.file.display().to_string()).into_owned(),
            text: out,
            first_line,
            column: at.column.saturating_sub(1) as usize,
        };
        (snippet, span)
    }
}

/// `line` cut to [`LINE`] characters around byte `at` of it, and where `at` is in the cut line.
fn cut(line: &str, at: usize) -> (String, usize) {
    // A problem at a line's end, after its `\r` (which the snippet drops), is just past the line.
    let at = at.min(line.len());
    if line.chars().count() <= LINE {
        return (line.to_owned(), at);
    }
    let before = line[..at].chars().count();
    let from = before.saturating_sub(LINE / 4);
    let start = line.char_indices().nth(from).map_or(line.len(), |(i, _)| i);
    let end = line[start..].char_indices().nth(LINE).map_or(line.len(), |(i, _)| start + i);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let within = out.len() + at.saturating_sub(start);
    out.push_str(&line[start..end]);
    if end < line.len() {
        out.push('…');
    }
    (out, within)
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_str().read_span(span, before, after)?;
        // The header's line and column are the file's; a cut line would make the column the snippet's.
        let column = if before == 0 && after == 0 { self.column } else { inner.column() };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )))
    }
}

/// The length of the token at `offset`: a mapping key up to its `:`, or the rest of the line.
fn token_len(text: &str, offset: usize) -> usize {
    let line = text[offset..].lines().next().unwrap_or("");
    let end = line.find(": ").or_else(|| line.strip_suffix(':').map(str::len)).unwrap_or(line.trim_end().len());
    end.max(1).min(text.len() - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_value_gives_a_small_diagnostic() {
        use std::path::PathBuf;
        use std::sync::Arc;
        let name = "x".repeat(1_300_000);
        let text = format!("topics:\n  - name: {name}\n    partitions: 3\n");
        let file = Arc::new(PathBuf::from("topics/huge.yaml"));
        let at = Location { file: file.clone(), line: 2, column: 11, offset: Some(18) };
        let (snippet, span) = Snippet::around(&at, &text, 18);
        assert!(snippet.text.len() < 400, "{}", snippet.text.len());
        assert_eq!(snippet.first_line, 0);
        assert_eq!(&snippet.text[span.offset()..span.offset() + 3], "xxx");
        let checked = crate::desired::load::check_texts(&[("topics/huge.yaml", &text)]).unwrap_err();
        let mut sources = Sources::default();
        sources.insert_for_tests(file, text.into());
        let mut out = Vec::new();
        diagnostics(&checked, &sources, Style::default(), &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.len() < 2_000, "{} bytes:\n{out}", out.len());
        assert!(out.contains("topics/huge.yaml:2:11:"), "{out}");
        assert!(out.contains("more characters)"), "{out}");
    }

    #[test]
    fn snippets_keep_the_file_s_line_numbers() {
        use std::path::PathBuf;
        use std::sync::Arc;
        let text = "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\n";
        let at = Location { file: Arc::new(PathBuf::from("f.yaml")), line: 4, column: 4, offset: Some(18) };
        let (snippet, span) = Snippet::around(&at, text, 18);
        assert_eq!(snippet.text, "c: 3\nd: 4\ne: 5");
        assert_eq!(snippet.first_line, 2);
        assert_eq!(&snippet.text[span.offset()..span.offset() + span.len()], "4");
        let (cut_line, within) = cut(&format!("{}y{}", "a".repeat(500), "b".repeat(500)), 500);
        assert!(cut_line.starts_with('…') && cut_line.ends_with('…'), "{cut_line}");
        assert_eq!(&cut_line[within..within + 1], "y");
    }

    /// Found by the `tree` fuzz target: a problem at the `\r` of a CRLF line.
    #[test]
    fn a_problem_at_a_carriage_return() {
        use std::path::PathBuf;
        use std::sync::Arc;
        let text = "ons: 0Z\r\nnext\r\n";
        // The end of the first line, after its `\r`: the offset is past the line the snippet shows.
        let at = Location { file: Arc::new(PathBuf::from("f.yaml")), line: 1, column: 9, offset: Some(8) };
        let (snippet, span) = Snippet::around(&at, text, 8);
        assert_eq!(snippet.text, "ons: 0Z\nnext");
        assert!(span.offset() + span.len() <= snippet.text.len());
    }

    #[test]
    fn token_lengths() {
        assert_eq!(token_len("partitons: 3\n", 0), 9);
        assert_eq!(token_len("x: 7d   \n", 3), 2);
        assert_eq!(token_len("config:\n", 0), 6);
        assert_eq!(token_len("a", 1), 0);
    }
}
