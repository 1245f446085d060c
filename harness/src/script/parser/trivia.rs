//! Attaches comments and blank lines to the items they belong to.
//!
//! A comment on the line where an item ends is that item's trailing comment;
//! any other comment leads the next item (comments inside a multi-line item
//! lead that item); comments after the last item are the script's tail.

use super::Item;
use crate::script::ast::{Comment, Script, Span, Trivia};

impl Item {
    fn span(&self) -> Span {
        match self {
            Item::Option(o) => o.span,
            Item::Init(c) | Item::Cleanup(c) => c.command.span,
            Item::Event(e) => e.span,
        }
    }

    fn trivia(&mut self) -> &mut Trivia {
        match self {
            Item::Option(o) => &mut o.trivia,
            Item::Init(c) | Item::Cleanup(c) => &mut c.trivia,
            Item::Event(e) => &mut e.trivia,
        }
    }
}

/// Whether `src[from..to]` is only whitespace and holds a blank line.
fn blank_between(src: &str, from: Option<usize>, to: usize) -> bool {
    let Some(from) = from else { return false };
    match src.get(from..to) {
        Some(gap) if gap.trim().is_empty() => gap.matches('\n').count() >= 2,
        _ => false,
    }
}

/// The line on which `span` ends.
fn end_line(src: &str, span: Span) -> u32 {
    let text = span.text(src);
    span.line + text.matches('\n').count() as u32
}

pub(super) fn assemble(src: &str, mut items: Vec<Item>, comments: Vec<Comment>) -> Script {
    let mut comments = comments.into_iter().peekable();
    // End of the last thing placed (item or comment); `None` at the top.
    let mut boundary: Option<usize> = None;
    // The previous item: its index, the line it ends on, and whether it
    // can still take a trailing comment.
    let mut prev: Option<(usize, u32)> = None;

    for i in 0..items.len() {
        let span = items[i].span();
        let (start, end) = (span.start as usize, span.end as usize);
        let mut leading = Vec::new();
        while let Some(c) = comments.next_if(|c| (c.span.start as usize) < end) {
            let c_start = c.span.start as usize;
            if let Some((p, line)) = prev
                && c.span.line == line
                && c_start < start
            {
                boundary = Some(c.span.end as usize);
                items[p].trivia().trailing = Some(c);
                prev = None;
                continue;
            }
            let mut c = c;
            if c_start < start {
                c.blank_line_before = blank_between(src, boundary, c_start);
                boundary = Some(c.span.end as usize);
            }
            leading.push(c);
        }
        let trivia = items[i].trivia();
        trivia.blank_line_before = blank_between(src, boundary, start);
        trivia.leading = leading;
        boundary = Some(end);
        prev = Some((i, end_line(src, span)));
    }
    let mut tail = Trivia::default();
    for mut c in comments {
        if let Some((p, line)) = prev
            && c.span.line == line
        {
            boundary = Some(c.span.end as usize);
            items[p].trivia().trailing = Some(c);
            prev = None;
            continue;
        }
        prev = None;
        c.blank_line_before = blank_between(src, boundary, c.span.start as usize);
        boundary = Some(c.span.end as usize);
        tail.leading.push(c);
    }

    let mut script = Script {
        tail,
        ..Script::default()
    };
    for item in items {
        match item {
            Item::Option(o) => script.options.push(o),
            Item::Init(c) => script.init.push(c),
            Item::Event(e) => script.events.push(e),
            Item::Cleanup(c) => script.cleanup.push(c),
        }
    }
    script
}
