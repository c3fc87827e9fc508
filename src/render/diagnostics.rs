//! Problems in the files as located diagnostics: the message with its file:line:column, a source
//! snippet with the offending text underlined, and a hint. The only module that uses miette.

use std::io::{self, Write};

use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};

use super::Style;
use crate::desired::{Error, ErrorKind, Location, ReleaseBasis, Severity, Sources};

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct Report {
    message: String,
    src: Option<NamedSource<String>>,
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
        Some(at) => match (sources.get(&at.file), at.offset) {
            (Some(text), Some(offset)) if offset <= text.len() && !text.is_empty() => {
                let span = SourceSpan::new(offset.into(), token_len(text, offset));
                (Some(NamedSource::new(at.file.display().to_string(), text.to_string())), Some(span))
            }
            _ => (None, None),
        },
        None => (None, None),
    };
    let message = match &error.at {
        Some(at) => format!("{}: {}", short(at), error.kind),
        None => error.kind.to_string(),
    };
    Report { message, src, span, help: error.hint(), severity }
}

fn short(at: &Location) -> String {
    at.to_string()
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
    fn token_lengths() {
        assert_eq!(token_len("partitons: 3\n", 0), 9);
        assert_eq!(token_len("x: 7d   \n", 3), 2);
        assert_eq!(token_len("config:\n", 0), 6);
        assert_eq!(token_len("a", 1), 0);
    }
}
