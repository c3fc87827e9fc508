//! Problems in the files as located diagnostics: the message with its file:line:column, a source
//! snippet with the offending text underlined, and a hint. The only module that uses miette.

use std::io::{self, Write};

use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource, SourceSpan};

use super::Style;
use crate::spec::{Error, Location, Severity, Sources};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{message}")]
struct Report {
    message: String,
    #[source_code]
    src: Option<NamedSource<String>>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    label: String,
    #[help]
    help: Option<String>,
    #[diagnostic(severity)]
    severity: miette::Severity,
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
    if n > 0 {
        writeln!(out, "{n} error(s); nothing was sent to any cluster.")?;
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
    Report { message, src, span, label: "here".into(), help: error.hint(), severity }
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
