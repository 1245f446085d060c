//! The detail of a failure: where, then expected and actual side by side.
//!
//! ```text
//!   corpus/tcp/ack.pkt:12: outbound packet differs in ack
//!               expected                     │ actual
//!     time      0.100000 (±4000 µs)          │ 0.101000
//!     packet    > . 1:1(0) ack 1001 win 257  │ > . 1:1(0) ack 501 win 257
//!     ack       1001                         │ 501
//! ```
//!
//! Both sides are in script numbering, as the interpreter hands them over in
//! [`Failure`]. Words of the event that are not common to both sides (by a
//! longest-common-subsequence of whitespace-separated words) are styled, as
//! are the differing field values; [`plain`] removes the styles, which is
//! what a terminal without colour and the JUnit report get. Long events wrap
//! at word boundaries inside their column.

use crate::run::verdict::{Failure, FailureKind};
use anstyle::{AnsiColor, Style};
use std::path::Path;

/// What the script expected (removed from the actual, in diff terms).
pub const EXPECTED: Style = AnsiColor::Red.on_default();
/// What the target did instead.
pub const ACTUAL: Style = AnsiColor::Green.on_default();
const LABEL: Style = Style::new().dimmed();
const HEADING: Style = Style::new().bold();
const LOCATION: Style = Style::new().bold();

const INDENT: &str = "    ";
const SEPARATOR: &str = " │";
/// Narrowest a column gets, whatever the width asked for.
const MIN_COLUMN: usize = 16;
/// Above this many word pairs, the event words are not diffed (only the fields are).
const MAX_DIFF_CELLS: usize = 250_000;

/// The text with its styles removed.
pub fn plain(styled: &str) -> String {
    anstream::adapter::strip_str(styled).to_string()
}

/// Renders the detail of `failure` in `script` for a terminal `width` columns
/// wide, with styles. Every line ends with `\n`.
pub fn render_failure(script: &Path, failure: &Failure, width: usize) -> String {
    let mut out = format!(
        "  {LOCATION}{}:{}{LOCATION:#}: {}\n",
        script.display(),
        failure.line,
        failure.summary
    );
    let rows = rows(failure);
    if rows.is_empty() {
        return out;
    }
    let label_width = rows
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0)
        .max(6)
        + 2;
    let avail = width
        .saturating_sub(INDENT.len() + label_width + SEPARATOR.chars().count() + 1)
        .max(2 * MIN_COLUMN);
    let widest =
        |side: fn(&Row) -> &Cell| rows.iter().map(|r| cell_width(side(r))).max().unwrap_or(0);
    let (max_left, max_right) = (widest(|r| &r.left), widest(|r| &r.right));
    // The left column takes what it needs, up to what the right one leaves it,
    // and never less than half when both are long.
    let left_width = max_left.min(avail.saturating_sub(max_right).max(avail / 2));
    let right_width = avail - left_width;
    for row in &rows {
        render_row(&mut out, row, label_width, left_width, right_width);
    }
    out
}

/// A text in words, each with its style.
type Cell = Vec<(String, Style)>;

struct Row {
    label: String,
    label_style: Style,
    left: Cell,
    right: Cell,
}

fn words(text: &str, style: Style) -> Cell {
    text.split_whitespace()
        .map(|w| (w.to_string(), style))
        .collect()
}

fn cell_width(cell: &Cell) -> usize {
    let chars: usize = cell.iter().map(|(w, _)| w.chars().count()).sum();
    chars + cell.len().saturating_sub(1)
}

/// What the event line is, for its row label.
fn event_label(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::PacketMismatch
        | FailureKind::MissingPacket
        | FailureKind::UnexpectedPacket => "packet",
        FailureKind::Syscall | FailureKind::Blocking => "call",
        FailureKind::Command => "command",
        FailureKind::Assertion => "assert",
        FailureKind::Timing => "event",
    }
}

fn rows(f: &Failure) -> Vec<Row> {
    let mut rows = vec![];
    let none = || words("(none)", LABEL);
    if f.expected_time.is_some() || f.actual_time.is_some() {
        rows.push(Row {
            label: "time".into(),
            label_style: LABEL,
            left: f
                .expected_time
                .map_or_else(none, |t| words(&t.to_string(), Style::new())),
            right: f
                .actual_time
                .map_or_else(none, |t| words(&t.to_string(), Style::new())),
        });
    }
    if f.expected.is_some() || f.actual.is_some() {
        let (left, right) = match (&f.expected, &f.actual) {
            (Some(e), Some(a)) => diff_words(e, a),
            (Some(e), None) => (words(e, EXPECTED), none()),
            (None, Some(a)) => (none(), words(a, ACTUAL)),
            (None, None) => (none(), none()),
        };
        rows.push(Row {
            label: event_label(f.kind).into(),
            label_style: LABEL,
            left,
            right,
        });
    }
    for d in &f.fields {
        rows.push(Row {
            label: d.field.clone(),
            label_style: LABEL,
            left: words(&d.expected, EXPECTED),
            right: words(&d.actual, ACTUAL),
        });
    }
    if !rows.is_empty() {
        rows.insert(
            0,
            Row {
                label: String::new(),
                label_style: LABEL,
                left: words("expected", HEADING),
                right: words("actual", HEADING),
            },
        );
    }
    rows
}

/// The two sides in words, those outside a longest common subsequence styled.
fn diff_words(expected: &str, actual: &str) -> (Cell, Cell) {
    let e: Vec<&str> = expected.split_whitespace().collect();
    let a: Vec<&str> = actual.split_whitespace().collect();
    if e.len().saturating_mul(a.len()) > MAX_DIFF_CELLS {
        return (words(expected, Style::new()), words(actual, Style::new()));
    }
    // lcs[i][j]: length of the LCS of e[i..] and a[j..].
    let mut lcs = vec![vec![0u32; a.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..a.len()).rev() {
            lcs[i][j] = if e[i] == a[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut left, mut right) = (Cell::new(), Cell::new());
    let (mut i, mut j) = (0, 0);
    while i < e.len() || j < a.len() {
        if i < e.len() && j < a.len() && e[i] == a[j] {
            left.push((e[i].to_string(), Style::new()));
            right.push((a[j].to_string(), Style::new()));
            (i, j) = (i + 1, j + 1);
        } else if j == a.len() || (i < e.len() && lcs[i + 1][j] >= lcs[i][j + 1]) {
            left.push((e[i].to_string(), EXPECTED));
            i += 1;
        } else {
            right.push((a[j].to_string(), ACTUAL));
            j += 1;
        }
    }
    (left, right)
}

/// Breaks a cell into lines of at most `width` columns, at word boundaries;
/// a word longer than a line is cut. Each line: (styled text, visible width).
fn wrap(cell: &Cell, width: usize) -> Vec<(String, usize)> {
    let width = width.max(1);
    let mut lines = vec![];
    let (mut line, mut used) = (String::new(), 0);
    for (word, style) in cell {
        let chars: Vec<char> = word.chars().collect();
        for piece in chars.chunks(width) {
            let piece: String = piece.iter().collect();
            let len = piece.chars().count();
            if used > 0 && used + 1 + len > width {
                lines.push((std::mem::take(&mut line), used));
                used = 0;
            }
            if used > 0 {
                line.push(' ');
                used += 1;
            }
            line.push_str(&format!("{style}{piece}{style:#}"));
            used += len;
        }
    }
    if used > 0 || lines.is_empty() {
        lines.push((line, used));
    }
    lines
}

fn render_row(
    out: &mut String,
    row: &Row,
    label_width: usize,
    left_width: usize,
    right_width: usize,
) {
    let left = wrap(&row.left, left_width);
    let right = wrap(&row.right, right_width);
    for k in 0..left.len().max(right.len()) {
        out.push_str(INDENT);
        let label = if k == 0 { row.label.as_str() } else { "" };
        let pad = label_width - label.chars().count().min(label_width);
        if !label.is_empty() {
            let style = row.label_style;
            out.push_str(&format!("{style}{label}{style:#}"));
        }
        out.push_str(&" ".repeat(pad));
        let (l, lw) = left.get(k).map_or(("", 0), |(s, w)| (s.as_str(), *w));
        out.push_str(l);
        out.push_str(&" ".repeat(left_width.saturating_sub(lw)));
        out.push_str(SEPARATOR);
        if let Some((r, _)) = right.get(k).filter(|(_, w)| *w > 0) {
            out.push(' ');
            out.push_str(r);
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(cell: &Cell) -> Vec<(&str, bool)> {
        cell.iter()
            .map(|(w, s)| (w.as_str(), *s != Style::new()))
            .collect()
    }

    #[test]
    fn diff_marks_only_the_words_that_differ() {
        let (l, r) = diff_words(
            "> . 1:1(0) ack 1001 win 257",
            "> . 1:1(0) ack 501 win 257 <nop>",
        );
        assert_eq!(
            texts(&l),
            [
                (">", false),
                (".", false),
                ("1:1(0)", false),
                ("ack", false),
                ("1001", true),
                ("win", false),
                ("257", false)
            ]
        );
        assert_eq!(
            texts(&r),
            [
                (">", false),
                (".", false),
                ("1:1(0)", false),
                ("ack", false),
                ("501", true),
                ("win", false),
                ("257", false),
                ("<nop>", true)
            ]
        );
    }

    #[test]
    fn diff_of_disjoint_or_empty_sides() {
        let (l, r) = diff_words("a b", "");
        assert_eq!(texts(&l), [("a", true), ("b", true)]);
        assert!(r.is_empty());
        let (l, r) = diff_words("x", "y");
        assert_eq!(
            (texts(&l), texts(&r)),
            (vec![("x", true)], vec![("y", true)])
        );
    }

    #[test]
    fn wrap_keeps_words_whole_and_cuts_only_overlong_ones() {
        let cell = words("aaa bb cccccccc d", Style::new());
        let lines: Vec<String> = wrap(&cell, 6).into_iter().map(|(s, _)| plain(&s)).collect();
        assert_eq!(lines, ["aaa bb", "cccccc", "cc d"]);
        for (s, w) in wrap(&cell, 6) {
            assert_eq!(plain(&s).chars().count(), w);
            assert!(w <= 6);
        }
        assert_eq!(wrap(&Cell::new(), 5), [(String::new(), 0)]);
    }
}
