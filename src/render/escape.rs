//! Escaping of text that came from outside (a topic file, a snapshot, a broker's answer, a saved plan),
//! one function per medium, applied where such text is written: a name or a value can then never move
//! the cursor, recolour the terminal or reverse a line (control characters and bidi overrides), nor
//! start a heading, forge a table row, close a `<details>`, or inject HTML or a link in a Markdown
//! comment. The renderers' own words pass through untouched; only what they interpolate is escaped.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal or a log as it is: C0 controls (newline and tab included: a
/// value is one line), DEL, C1 controls, and the invisible format characters that reorder or hide
/// text (bidi embeddings, overrides and isolates, zero-width characters, the byte-order mark).
pub(crate) fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// `s` for a terminal or a log line: every control or invisible format character is written as a
/// visible escape (`\x1b`, `\n`, `\u{202e}`), so the text reads as what it holds and stays on its line.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Characters that need no escape anywhere in Markdown or HTML: letters, digits and punctuation that
/// starts nothing where a value is written, always after the renderer's own text and never inside an
/// HTML attribute (`.` `-` `,` `:` `/` `=` `(` `)` `%` `+` `;` `?` `@` `>` `'` `"`, space).
fn plain(c: char) -> bool {
    c.is_alphanumeric() || " .-,:/=()%+;?@>'\"".contains(c)
}

/// `s` as inline Markdown text, also safe inside an HTML block (`<summary>`): first escaped as for a
/// terminal, then every character that Markdown or HTML gives a meaning to (`#`, `*`, `_`, `[`, `|`,
/// `<`, `&`, `` ` ``, `\`, `!`, `~`, ...) written as a numeric character reference, which GitHub and
/// GitLab show as the character and never interpret. A value cannot start a heading or a list either:
/// it is always written after the renderer's own text.
pub fn markdown(s: &str) -> String {
    let s = terminal(s);
    let mut out = String::with_capacity(s.len());
    for (i, c) in s.char_indices() {
        let rest = &s[i..];
        // GitHub and GitLab turn a bare `https://...` or `www....` into a link; a character reference in
        // it splits the text so that neither is recognised, and it still reads the same.
        let autolink = (c == ':' && rest.starts_with("://"))
            || (c == '.' && i >= 3 && s.as_bytes()[i - 3..i].eq_ignore_ascii_case(b"www"));
        if (plain(c) || !c.is_ascii()) && !autolink {
            out.push(c);
        } else {
            let _ = write!(out, "&#{};", c as u32);
        }
    }
    out
}

/// `s` as inline code: `` `s` `` when that shows it exactly (nothing Markdown, HTML or a table reads
/// inside a code span), else `<code>` with [`markdown`]'s escapes, which shows the same characters.
pub fn code(s: &str) -> String {
    let simple = !s.is_empty()
        && !s.starts_with(' ')
        && !s.ends_with(' ')
        && s.chars().all(|c| !hidden(c) && !matches!(c, '`' | '|' | '\\' | '<' | '>' | '&'));
    if simple { format!("`{s}`") } else { format!("<code>{}</code>", markdown(s)) }
}

/// One line of a fenced code block: escaped as for a terminal (so it stays one line), with every run of
/// three backticks broken, so that nothing in it can end the block.
pub fn code_line(s: &str) -> String {
    terminal(s).replace("```", "'''")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_text_shows_controls_and_bidi_overrides_as_escapes() {
        let cases = [
            ("orders.v1", "orders.v1"),
            ("a\x1b[2Jb", "a\\x1b[2Jb"),
            ("a\nb\rc\td", "a\\nb\\rc\\td"),
            ("\u{9b}31m", "\\x9b31m"),
            ("\x7f", "\\x7f"),
            ("evil\u{202e}txt.exe", "evil\\u{202e}txt.exe"),
            ("zero\u{200b}width", "zero\\u{200b}width"),
            ("naïve ü 日本", "naïve ü 日本"),
        ];
        for (raw, want) in cases {
            assert_eq!(terminal(raw), want, "{raw:?}");
        }
        assert!(matches!(terminal("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn markdown_text_cannot_start_anything() {
        let cases = [
            ("orders.v1", "orders.v1"),
            ("## Approved", "&#35;&#35; Approved"),
            ("a|b", "a&#124;b"),
            ("</details><img src=x>", "&#60;/details>&#60;img src=x>"),
            ("[x](http://e)", "&#91;x&#93;(http&#58;//e)"),
            ("*_~`\\!", "&#42;&#95;&#126;&#96;&#92;&#33;"),
            ("a\nNo changes.", "a&#92;nNo changes."),
            ("see https://e.example or WWW.e.example", "see https&#58;//e.example or WWW&#46;e.example"),
            ("\x1b[31m", "&#92;x1b&#91;31m"),
        ];
        for (raw, want) in cases {
            assert_eq!(markdown(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn code_spans_stay_plain_when_they_can() {
        assert_eq!(code("orders.v1"), "`orders.v1`");
        assert_eq!(code("a b"), "`a b`");
        assert_eq!(code("a`b"), "<code>a&#96;b</code>");
        assert_eq!(code("a|b"), "<code>a&#124;b</code>");
        assert_eq!(code("x\n## y"), "<code>x&#92;n&#35;&#35; y</code>");
        assert_eq!(code(""), "<code></code>");
        assert_eq!(code_line("a ``` b\nc"), "a ''' b\\nc");
    }
}
