//! Source positions: every token and AST node carries a [`Span`].

use std::fmt;

/// A range of bytes in a script, with the line and column of its start
/// (both 1-based; the column counts characters, a tab counting as one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
    /// Line of `start`, from 1.
    pub line: u32,
    /// Column of `start` in characters, from 1.
    pub col: u32,
}

impl Span {
    /// The span covering both `self` and `other` (`self` must start first).
    pub fn to(self, other: Span) -> Span {
        Span {
            end: other.end.max(self.end),
            ..self
        }
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span covers no byte (a position, e.g. the end of the file).
    pub fn is_empty(self) -> bool {
        self.end == self.start
    }

    /// The text under the span.
    pub fn text(self, src: &str) -> &str {
        src.get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_covers_both_and_keeps_the_start_position() {
        let a = Span {
            start: 4,
            end: 6,
            line: 2,
            col: 3,
        };
        let b = Span {
            start: 8,
            end: 12,
            line: 2,
            col: 7,
        };
        let c = a.to(b);
        assert_eq!((c.start, c.end, c.line, c.col), (4, 12, 2, 3));
        assert_eq!(c.len(), 8);
        assert_eq!(a.text("0123456789abc"), "45");
        assert_eq!(
            Span {
                start: 20,
                end: 30,
                line: 1,
                col: 1
            }
            .text("short"),
            ""
        );
    }
}
