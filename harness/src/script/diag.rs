//! Parse errors, rendered as `path:line:col: error: message`, the source
//! line, and a caret under the offending text.

use super::span::Span;
use std::fmt::Write as _;

/// One syntax error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
    /// A hint printed after the caret line (`help: ...`).
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The diagnostic as the user sees it:
    ///
    /// ```text
    /// a.pkt:3:29: error: expected `)` to close the arguments
    ///    +0 socket(..., SOCK_STREAM = 3
    ///                              ^
    /// ```
    ///
    /// The source line is printed as it is; the caret line copies its tabs
    /// so that the caret lines up in any terminal. A span running past the
    /// end of its line is underlined to the end of the line.
    pub fn render(&self, path: &str, src: &str) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{path}:{}:{}: error: {}",
            self.span.line, self.span.col, self.message
        );
        let start = (self.span.start as usize).min(src.len());
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let line = src[line_start..line_end].trim_end_matches('\r');
        let _ = writeln!(out, "{line}");
        let mut caret = String::new();
        for c in src[line_start..start].chars() {
            caret.push(if c == '\t' { '\t' } else { ' ' });
        }
        caret.push('^');
        let end = (self.span.end as usize).clamp(start, line_end);
        let width = src.get(start..end).map_or(0, |s| s.chars().count());
        for _ in 1..width {
            caret.push('~');
        }
        let _ = writeln!(out, "{caret}");
        if let Some(help) = &self.help {
            let _ = writeln!(out, "help: {help}");
        }
        out
    }
}

/// Renders every diagnostic, in order.
pub fn render_all(diags: &[Diagnostic], path: &str, src: &str) -> String {
    diags.iter().map(|d| d.render(path, src)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(src: &str, needle: &str) -> Span {
        let start = src.find(needle).unwrap();
        let line = src[..start].matches('\n').count() as u32 + 1;
        let ls = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let col = src[ls..start].chars().count() as u32 + 1;
        Span {
            start: start as u32,
            end: (start + needle.len()) as u32,
            line,
            col,
        }
    }

    #[test]
    fn caret_under_token_with_tildes() {
        let src = "0 socket()\n+0\tbind(3, bad, 4) = 0\n";
        let d = Diagnostic::new(span(src, "bad"), "no good");
        assert_eq!(
            d.render("x.pkt", src),
            "x.pkt:2:12: error: no good\n+0\tbind(3, bad, 4) = 0\n  \t        ^~~\n"
        );
    }

    #[test]
    fn span_past_line_end_and_eof_and_help() {
        let src = "`abc\ndef";
        let mut s = span(src, "`abc\ndef");
        let d = Diagnostic::new(s, "unterminated").with_help("add `");
        assert_eq!(
            d.render("p", src),
            "p:1:1: error: unterminated\n`abc\n^~~~\nhelp: add `\n"
        );
        s = Span {
            start: 8,
            end: 8,
            line: 2,
            col: 4,
        };
        assert_eq!(
            Diagnostic::new(s, "eof").render("p", src),
            "p:2:4: error: eof\ndef\n   ^\n"
        );
    }
}
