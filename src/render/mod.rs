//! Renderers: a [`Plan`](crate::plan::Plan) or an apply report into text, Markdown or JSON, and problems
//! in the files into located diagnostics. A renderer writes only to the writer it is given: it reads no
//! environment and chooses no exit code.

mod diagnostics;
pub mod escape;
pub mod fleet;
#[cfg(test)]
mod golden;
mod json;
mod markdown;
pub mod progress;
mod sections;
mod text;
pub mod topics;

pub use diagnostics::diagnostics;
pub use json::json;
pub use markdown::markdown;
pub use sections::yaml_scalar;
pub use text::{apply_report, describe, text};

/// How to draw output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    /// Use ANSI colours.
    pub color: bool,
}

impl Style {
    /// Wraps `text` in the ANSI colour `code` when colour is on.
    pub(crate) fn paint(self, code: &str, text: &str) -> String {
        if self.color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_owned() }
    }
}
