//! Turns script text into tokens, on demand.
//!
//! The lexer is context-free; the parser gives tokens their meaning (a word
//! may be a symbol, a TCP flag group or an option name) and reads raw text
//! where the language is line-based (option lines, errno notes). Comments are
//! not tokens: the lexer collects them, in order, for the printer to keep.
//!
//! Every step consumes at least one byte, and nothing is ever re-scanned
//! except through an explicit [`Lexer::reset`], so lexing is linear.

use super::ast::Comment;
use super::span::Span;

/// What a token is; its text is the span's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    /// Decimal digits, or `0x` and hex digits.
    Int,
    /// Digits with one decimal point: `1.5`, `.1`, `0.`.
    Float,
    /// Dotted digits with three or more parts: `192.0.2.1`.
    Dotted,
    /// A name (`[A-Za-z_][A-Za-z0-9_]*`), or digits and letters mixed as in a
    /// hex cookie (`3021b9d8`).
    Word,
    /// `${NAME}`.
    Subst,
    /// A double-quoted string (text includes the quotes).
    Str,
    /// A backquoted command (text includes the backquotes).
    Command,
    /// A `%{ ... }%` block (text includes the delimiters).
    Code,
    /// `...`.
    Ellipsis,
    /// Any other single character.
    Punct(char),
    /// A string, command, code block or comment with no end.
    Unterminated(&'static str),
    Eof,
}

/// A token and where it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Tok,
    pub span: Span,
    /// Whitespace, a comment or a line break separates it from the token before.
    pub space_before: bool,
    /// A line break separates it from the token before (or it starts the file).
    pub line_start: bool,
}

impl Token {
    pub fn is_punct(&self, c: char) -> bool {
        self.kind == Tok::Punct(c)
    }
}

/// A position to return to with [`Lexer::reset`].
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    pos: usize,
    line: u32,
    line_start: usize,
}

pub struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: u32,
    /// Byte offset where the current line starts.
    line_start: usize,
    comments: Vec<Comment>,
    /// The last column computed: (byte offset, its column from 0). Columns
    /// are counted on from there, so a very long line costs linear time.
    col_cache: (usize, usize),
}

impl<'a> Lexer<'a> {
    /// `src` must be shorter than 4 GiB (spans are 32-bit); the parser checks.
    pub fn new(src: &'a str) -> Lexer<'a> {
        Lexer {
            src,
            pos: 0,
            line: 1,
            line_start: 0,
            comments: Vec::new(),
            col_cache: (0, 0),
        }
    }

    pub fn src(&self) -> &'a str {
        self.src
    }

    pub fn mark(&self) -> Mark {
        Mark {
            pos: self.pos,
            line: self.line,
            line_start: self.line_start,
        }
    }

    pub fn reset(&mut self, m: Mark) {
        self.pos = m.pos;
        self.line = m.line;
        self.line_start = m.line_start;
    }

    /// The comments seen so far, in file order, each once.
    pub fn take_comments(&mut self) -> Vec<Comment> {
        std::mem::take(&mut self.comments)
    }

    /// A span for bytes `start..end`, `start` being on the line that starts
    /// at `line_start`, numbered `line`.
    fn span_at(&mut self, start: usize, end: usize, line: u32, line_start: usize) -> Span {
        let (from, base) = match self.col_cache {
            (at, col) if at >= line_start && at <= start => (at, col),
            _ => (line_start, 0),
        };
        let col = base + self.src.get(from..start).map_or(0, |s| s.chars().count());
        self.col_cache = (start, col);
        Span {
            start: start as u32,
            end: end as u32,
            line,
            col: col as u32 + 1,
        }
    }

    fn peek_byte(&self, ahead: usize) -> u8 {
        self.src
            .as_bytes()
            .get(self.pos + ahead)
            .copied()
            .unwrap_or(0)
    }

    /// Advances over `n` bytes, counting line breaks.
    fn bump(&mut self, n: usize) {
        let end = (self.pos + n).min(self.src.len());
        for (i, b) in self.src.as_bytes()[self.pos..end].iter().enumerate() {
            if *b == b'\n' {
                self.line += 1;
                self.line_start = self.pos + i + 1;
            }
        }
        self.pos = end;
    }

    /// Skips whitespace and comments; says whether it skipped any, and
    /// whether a line break was among them.
    fn skip_trivia(&mut self) -> (bool, bool) {
        let (mut space, mut newline) = (false, self.pos == 0);
        if self.pos == 0 && self.src.starts_with('\u{feff}') {
            self.bump('\u{feff}'.len_utf8()); // a byte-order mark is not text
        }
        loop {
            match self.peek_byte(0) {
                b'\n' => {
                    newline = true;
                    space = true;
                    self.bump(1);
                }
                b' ' | b'\t' | b'\r' | 0x0b | 0x0c => {
                    space = true;
                    self.bump(1);
                }
                b'/' if self.peek_byte(1) == b'/' => {
                    let len = self.src[self.pos..]
                        .find('\n')
                        .unwrap_or(self.src.len() - self.pos);
                    self.comment(len);
                    space = true;
                }
                b'/' if self.peek_byte(1) == b'*' => {
                    let Some(len) = self.src[self.pos + 2..].find("*/") else {
                        return (space, newline); // reported as an Unterminated token
                    };
                    self.comment(len + 4);
                    space = true;
                }
                _ => return (space, newline),
            }
        }
    }

    fn comment(&mut self, len: usize) {
        let (start, line, ls) = (self.pos, self.line, self.line_start);
        self.bump(len);
        let span = self.span_at(start, self.pos, line, ls);
        // After a reset the same comment is lexed again: keep it once.
        if self
            .comments
            .last()
            .is_none_or(|c| c.span.start < span.start)
        {
            let text = self.src[start..self.pos].trim_end().to_string();
            self.comments.push(Comment {
                text,
                blank_line_before: false,
                span,
            });
        }
    }

    /// The next token.
    pub fn next_token(&mut self) -> Token {
        let (space_before, line_start) = self.skip_trivia();
        let (start, line, ls) = (self.pos, self.line, self.line_start);
        let kind = self.scan();
        let span = self.span_at(start, self.pos, line, ls);
        Token {
            kind,
            span,
            space_before,
            line_start,
        }
    }

    /// The next token without consuming it.
    pub fn peek(&mut self) -> Token {
        let m = self.mark();
        let t = self.next_token();
        self.reset(m);
        t
    }

    fn scan(&mut self) -> Tok {
        let rest = &self.src[self.pos..];
        let Some(c) = rest.chars().next() else {
            return Tok::Eof;
        };
        if c.is_ascii_digit() {
            return self.number();
        }
        if c.is_ascii_alphabetic() || c == '_' {
            self.bump(word_len(rest));
            return Tok::Word;
        }
        match c {
            '.' if rest.starts_with("...") => {
                self.bump(3);
                Tok::Ellipsis
            }
            '.' if rest.as_bytes().get(1).is_some_and(u8::is_ascii_digit) => {
                self.bump(1 + digits_len(&rest[1..]));
                Tok::Float
            }
            '"' => self.string(),
            '`' => self.delimited(1, "`", Tok::Command, "command (no closing `)"),
            '%' if rest.starts_with("%{") => {
                self.delimited(2, "}%", Tok::Code, "code block (no closing }%)")
            }
            '/' if rest.starts_with("/*") => {
                self.bump(rest.len());
                Tok::Unterminated("comment (no closing */)")
            }
            '$' if rest.starts_with("${") => match rest.find('}') {
                Some(end) if end > 2 && word_len(&rest[2..]) == end - 2 => {
                    self.bump(end + 1);
                    Tok::Subst
                }
                _ => {
                    self.bump(1);
                    Tok::Punct('$')
                }
            },
            _ => {
                self.bump(c.len_utf8());
                Tok::Punct(c)
            }
        }
    }

    fn number(&mut self) -> Tok {
        let rest = &self.src[self.pos..];
        let b = rest.as_bytes();
        if b.len() > 2 && b[0] == b'0' && (b[1] | 0x20) == b'x' && b[2].is_ascii_hexdigit() {
            let n = 2 + rest[2..].bytes().take_while(u8::is_ascii_hexdigit).count();
            if word_len(&rest[n..]) == 0 {
                self.bump(n);
                return Tok::Int;
            }
        }
        let w = word_len(rest);
        let d = digits_len(rest);
        if w > d {
            // Digits run into letters: a hex cookie or similar word.
            self.bump(w);
            return Tok::Word;
        }
        // Digits, then maybe `.digits` once (a float) or more (dotted).
        let mut n = d;
        let mut dots = 0;
        while rest[n..].starts_with('.') && !rest[n..].starts_with("...") {
            let more = digits_len(&rest[n + 1..]);
            if more == 0 && dots > 0 {
                break;
            }
            dots += 1;
            n += 1 + more;
            if more == 0 {
                break; // `1.`: a float with no fraction
            }
        }
        self.bump(n);
        match dots {
            0 => Tok::Int,
            1 => Tok::Float,
            _ => Tok::Dotted,
        }
    }

    fn string(&mut self) -> Tok {
        let bytes = self.src.as_bytes();
        let mut i = self.pos + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    self.bump(i + 1 - self.pos);
                    return Tok::Str;
                }
                b'\\' if i + 1 < bytes.len() && bytes[i + 1] != b'\n' => i += 2,
                b'\n' => break,
                _ => i += 1,
            }
        }
        self.bump(i - self.pos);
        Tok::Unterminated("string (no closing \")")
    }

    fn delimited(&mut self, open: usize, close: &str, kind: Tok, what: &'static str) -> Tok {
        match self.src[self.pos + open..].find(close) {
            Some(n) => {
                self.bump(open + n + close.len());
                kind
            }
            None => {
                self.bump(self.src.len() - self.pos);
                Tok::Unterminated(what)
            }
        }
    }

    /// Reads raw text from the current position to the end of the line,
    /// stopping before a `//` or `/*` comment (which is left to be lexed).
    /// Returns the text, trimmed, and its span.
    pub fn raw_line(&mut self) -> (&'a str, Span) {
        let rest = &self.src[self.pos..];
        let eol = rest.find('\n').unwrap_or(rest.len());
        let line = &rest[..eol];
        let mut end = line.len();
        for pat in ["//", "/*"] {
            if let Some(i) = line.find(pat) {
                end = end.min(i);
            }
        }
        let text = &line[..end];
        let lead = text.len() - text.trim_start().len();
        let trimmed = text.trim();
        let start = self.pos + lead;
        let (l, ls) = (self.line, self.line_start);
        self.bump(lead + trimmed.len());
        (trimmed, self.span_at(start, start + trimmed.len(), l, ls))
    }

    /// After a `(` token: the raw text up to the matching `)` on the same
    /// line, consumed with it. `None` (nothing consumed) if there is none.
    pub fn raw_paren_rest(&mut self) -> Option<&'a str> {
        let rest = &self.src[self.pos..];
        let mut depth = 0usize;
        for (i, c) in rest.char_indices() {
            match c {
                '\n' => return None,
                '(' => depth += 1,
                ')' if depth == 0 => {
                    self.bump(i + 1);
                    return Some(&rest[..i]);
                }
                ')' => depth -= 1,
                _ => {}
            }
        }
        None
    }

    /// Skips to the start of the next line.
    pub fn skip_line(&mut self) {
        let rest = &self.src[self.pos..];
        let n = rest.find('\n').map_or(rest.len(), |i| i + 1);
        self.bump(n);
    }
}

fn digits_len(s: &str) -> usize {
    s.bytes().take_while(u8::is_ascii_digit).count()
}

fn word_len(s: &str) -> usize {
    s.bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count()
}

/// The bytes a string token (with its quotes) stands for. Escapes: `\n \t \r
/// \0 \\ \" \'`, `\xHH`, octal `\NNN`; an unknown escape stands for itself.
pub fn unescape(token_text: &str) -> Vec<u8> {
    let inner = token_text.strip_prefix('"').unwrap_or(token_text);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let b = inner.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let e = b[i + 1];
        i += 2;
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'x' => {
                let n = b[i..]
                    .iter()
                    .take(2)
                    .take_while(|c| c.is_ascii_hexdigit())
                    .count();
                if n == 0 {
                    out.extend_from_slice(b"\\x");
                } else {
                    let hex = std::str::from_utf8(&b[i..i + n]).unwrap_or("0");
                    out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                    i += n;
                }
            }
            b'0'..=b'7' => {
                let n = 1 + b[i..]
                    .iter()
                    .take(2)
                    .take_while(|c| (b'0'..=b'7').contains(c))
                    .count();
                let oct = std::str::from_utf8(&b[i - 1..i - 1 + n]).unwrap_or("0");
                out.push(u16::from_str_radix(oct, 8).map_or(0, |v| v as u8));
                i += n - 1;
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Tok, &str)> {
        let mut lx = Lexer::new(src);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token();
            if t.kind == Tok::Eof {
                return out;
            }
            out.push((t.kind, t.span.text(src)));
        }
    }

    #[test]
    fn numbers_words_and_cookies() {
        use Tok::*;
        let cases: &[(&str, &[(Tok, &str)])] = &[
            ("0x10", &[(Int, "0x10")]),
            ("0xffffffff", &[(Int, "0xffffffff")]),
            ("1000", &[(Int, "1000")]),
            ("3021b9d889017eeb", &[(Word, "3021b9d889017eeb")]),
            ("0xZZ", &[(Word, "0xZZ")]),
            ("0x1g", &[(Word, "0x1g")]),
            ("1.25", &[(Float, "1.25")]),
            (".1", &[(Float, ".1")]),
            ("1.", &[(Float, "1.")]),
            ("192.0.2.1", &[(Dotted, "192.0.2.1")]),
            ("SOCK_STREAM", &[(Word, "SOCK_STREAM")]),
            ("${X_1}", &[(Subst, "${X_1}")]),
            (
                "${}",
                &[(Punct('$'), "$"), (Punct('{'), "{"), (Punct('}'), "}")],
            ),
        ];
        for (src, want) in cases {
            assert_eq!(kinds(src), *want, "{src}");
        }
    }

    #[test]
    fn times_with_ellipsis_end() {
        use Tok::*;
        assert_eq!(
            kinds("+0...0.010"),
            vec![
                (Punct('+'), "+"),
                (Int, "0"),
                (Ellipsis, "..."),
                (Float, "0.010")
            ]
        );
        assert_eq!(
            kinds("+.01...0.020"),
            vec![
                (Punct('+'), "+"),
                (Float, ".01"),
                (Ellipsis, "..."),
                (Float, "0.020")
            ]
        );
        assert_eq!(
            kinds("1.0~+2"),
            vec![
                (Float, "1.0"),
                (Punct('~'), "~"),
                (Punct('+'), "+"),
                (Int, "2")
            ]
        );
    }

    #[test]
    fn flags_and_packets() {
        use Tok::*;
        assert_eq!(
            kinds("> S. 0:0(0)"),
            vec![
                (Punct('>'), ">"),
                (Word, "S"),
                (Punct('.'), "."),
                (Int, "0"),
                (Punct(':'), ":"),
                (Int, "0"),
                (Punct('('), "("),
                (Int, "0"),
                (Punct(')'), ")"),
            ]
        );
    }

    #[test]
    fn delimited_tokens_span_lines() {
        let src = "`a\nb` %{ x = 1\n}% \"s\\\"q\" /* c\n */ // d\n`open";
        let ks = kinds(src);
        assert_eq!(ks[0], (Tok::Command, "`a\nb`"));
        assert_eq!(ks[1], (Tok::Code, "%{ x = 1\n}%"));
        assert_eq!(ks[2], (Tok::Str, "\"s\\\"q\""));
        assert_eq!(ks[3].0, Tok::Unterminated("command (no closing `)"));
        assert_eq!(ks.len(), 4);
    }

    #[test]
    fn unterminated_string_stops_at_line_end() {
        let ks = kinds("\"abc\nx");
        assert_eq!(
            ks,
            vec![
                (Tok::Unterminated("string (no closing \")"), "\"abc"),
                (Tok::Word, "x")
            ]
        );
    }

    #[test]
    fn comments_collected_once_with_positions() {
        let src = "a // one\n\t/* two */ b";
        let mut lx = Lexer::new(src);
        let m = lx.mark();
        lx.next_token();
        lx.next_token();
        lx.reset(m);
        lx.next_token();
        let b = lx.next_token();
        assert_eq!((b.span.line, b.span.col), (2, 12));
        assert!(b.line_start && b.space_before);
        let cs = lx.take_comments();
        assert_eq!(cs.len(), 2);
        assert_eq!(cs[0].text, "// one");
        assert_eq!((cs[1].span.line, cs[1].span.col), (2, 2));
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        assert_eq!(kinds("\u{feff}0"), vec![(Tok::Int, "0")]);
        assert_eq!(kinds("0\u{feff}").len(), 2, "only at the start of the file");
    }

    #[test]
    fn columns_count_characters() {
        let src = "é x";
        let mut lx = Lexer::new(src);
        assert_eq!(lx.next_token().kind, Tok::Punct('é'));
        assert_eq!(lx.next_token().span.col, 3);
    }

    #[test]
    fn raw_reads() {
        let mut lx = Lexer::new("--x=a b // c\n(Operation (now) in) tail");
        let (t, s) = lx.raw_line();
        assert_eq!(t, "--x=a b");
        assert_eq!((s.start, s.end), (0, 7));
        assert!(lx.next_token().is_punct('('));
        assert_eq!(lx.raw_paren_rest(), Some("Operation (now) in"));
        assert_eq!(lx.next_token().span.text(lx.src()), "tail");
        assert_eq!(lx.take_comments()[0].text, "// c");
    }

    #[test]
    fn unescape_forms() {
        assert_eq!(
            unescape(r#""\xf7\x63a\n\\\"\101\0""#),
            vec![0xf7, 0x63, b'a', b'\n', b'\\', b'"', b'A', 0]
        );
        assert_eq!(unescape(r#""\q\x""#), b"q\\x".to_vec());
    }
}
