//! Recursive-descent parser: script structure, events and times here;
//! packets in [`packet`], syscalls and expressions in [`expr`].
//!
//! Each event is parsed on its own; an error in one is recorded and the
//! parser skips to the next line that starts like an event, so one run
//! reports every broken event of a file. Nesting is limited to
//! [`MAX_DEPTH`] and the number of errors to [`MAX_ERRORS`].
//!
//! The grammar (whitespace, line breaks and comments separate tokens; an
//! event ends its line; `[x]` is optional, `x*` repeated):
//!
//! ```text
//! script   = option* command* event* command*
//! option   = "--" NAME ["=" TEXT] | "-D" NAME=VALUE        (one line each)
//! command  = "`" TEXT "`"
//! event    = time (packet | syscall | command | "%{" TEXT "}%")
//! time     = point | "*" | point "~" point
//! point    = ["+"] NUMBER                          (no space after "+")
//! packet   = ("<" | ">") encap* ipattrs* (tcp | udp | icmp | other)
//! encap    = ("IPV4" | "IPV6") ADDR ">" ADDR ":" | "gre" (NAME [INT])* ":"
//!          | "mpls" ("(" mplsitem ("," mplsitem)* ")")+ ":"
//! ipattrs  = ("[" | "(") NAME [INT] ("," NAME [INT])* ("]" | ")")
//! tcp      = FLAGS seq ["ack" INT] ["win" INT] ["urg" INT] ["<" ("..." | opts) ">"]
//! seq      = INT ":" INT "(" INT ")"
//! opts     = [opt ("," opt)*]   opt = NAME args   (nop, mss N, sack A:B..., TS val N ecr N,
//!                                                  FO [cookie], FOEXP [cookie], md5 [hex], any)
//! udp      = "udp" "(" INT ")"
//! icmp     = ("icmp" | "icmpv6") TYPE [CODE] ["mtu" INT] ["[" (tcp | udp) "]"]
//! other    = PROTOCOL-NAME TOKEN*          (to the end of the line or of its brackets)
//! syscall  = ["..." point] NAME "(" [expr ("," expr)*] ")" "=" expr [ERRNO] ["(" NOTE ")"]
//! expr     = unary (BINOP unary)*          (C precedence: | ^ & << >> + - * / %)
//! unary    = ("-" | "~" | "!") unary | INT | NAME | NAME "(" exprs ")" | NAME ["(" expr ")"] "=" expr
//!          | "${" NAME "}" | STRING ["..."] | "..." | "[" exprs "]" | "{" exprs "}" | "(" expr ")"
//! ```

mod expr;
mod packet;
mod trivia;

use super::ast::*;
use super::diag::Diagnostic;
use super::lexer::{Lexer, Tok, Token};

/// How deeply brackets and unary operators may nest in one expression.
pub const MAX_DEPTH: u32 = 100;
/// After this many errors the parser stops.
pub const MAX_ERRORS: usize = 50;

type PResult<T> = Result<T, Diagnostic>;

/// Parses a whole script; every syntax error if there is any.
pub fn parse(src: &str) -> Result<Script, Vec<Diagnostic>> {
    if u32::try_from(src.len()).is_err() {
        let span = Span {
            start: 0,
            end: 0,
            line: 1,
            col: 1,
        };
        return Err(vec![Diagnostic::new(
            span,
            "file too large (4 GiB at most)",
        )]);
    }
    let mut p = Parser::new(src);
    let script = p.script();
    if p.diags.is_empty() {
        Ok(script)
    } else {
        Err(p.diags)
    }
}

struct Parser<'a> {
    lx: Lexer<'a>,
    /// The next token, not yet consumed.
    tok: Token,
    /// The last consumed token.
    last: Span,
    diags: Vec<Diagnostic>,
    depth: u32,
}

/// A top-level item before trivia are attached.
enum Item {
    Option(OptionLine),
    Init(ScriptCommand),
    Event(Event),
    Cleanup(ScriptCommand),
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Parser<'a> {
        let mut lx = Lexer::new(src);
        let tok = lx.next_token();
        Parser {
            lx,
            tok,
            last: tok.span,
            diags: Vec::new(),
            depth: 0,
        }
    }

    fn src(&self) -> &'a str {
        self.lx.src()
    }

    /// Consumes the current token and returns it.
    fn bump(&mut self) -> Token {
        let t = self.tok;
        self.last = t.span;
        self.tok = self.lx.next_token();
        t
    }

    fn text(&self, t: Token) -> &'a str {
        t.span.text(self.lx.src())
    }

    /// The current token's text.
    fn cur(&self) -> &'a str {
        self.text(self.tok)
    }

    fn at_punct(&self, c: char) -> bool {
        self.tok.is_punct(c)
    }

    fn at_word(&self, w: &str) -> bool {
        self.tok.kind == Tok::Word && self.cur() == w
    }

    fn eat_punct(&mut self, c: char) -> bool {
        let yes = self.at_punct(c);
        if yes {
            self.bump();
        }
        yes
    }

    /// How the current token reads in a message: `` `x` `` or "the end of the file".
    fn found(&self) -> String {
        match self.tok.kind {
            Tok::Eof => "the end of the file".into(),
            Tok::Command => "a `command`".into(),
            Tok::Code => "a %{ code }% block".into(),
            Tok::Str => "a string".into(),
            _ => format!("`{}`", self.cur()),
        }
    }

    /// An error at the current token: "expected WHAT, found X".
    ///
    /// When the current token starts a line like an event does, the line
    /// ended too early: the error points just after the last token instead.
    fn expected(&self, what: &str) -> Diagnostic {
        if let Tok::Unterminated(which) = self.tok.kind {
            return self.unterminated(which);
        }
        if self.tok.line_start && starts_event(self.tok) && self.last.end > 0 {
            let text = self.last.text(self.src());
            if !text.contains('\n') {
                let end = Span {
                    start: self.last.end,
                    end: self.last.end,
                    line: self.last.line,
                    col: self.last.col + text.chars().count() as u32,
                };
                return Diagnostic::new(end, format!("expected {what}, found the end of the line"));
            }
        }
        Diagnostic::new(
            self.tok.span,
            format!("expected {what}, found {}", self.found()),
        )
    }

    fn unterminated(&self, which: &str) -> Diagnostic {
        let mut span = self.tok.span;
        // Underline the opening delimiter only: the rest may be the whole file.
        let open = if self.cur().starts_with("%{") || self.cur().starts_with("/*") {
            2
        } else {
            1
        };
        span.end = span.start + open.min(span.len() as u32);
        Diagnostic::new(span, format!("unterminated {which}"))
    }

    fn expect_punct(&mut self, c: char, what: &str) -> PResult<Token> {
        if self.at_punct(c) {
            Ok(self.bump())
        } else {
            Err(self.expected(what))
        }
    }

    fn expect_word(&mut self, w: &str) -> PResult<Token> {
        if self.at_word(w) {
            Ok(self.bump())
        } else {
            Err(self.expected(&format!("`{w}`")))
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Ident> {
        if self.tok.kind != Tok::Word {
            return Err(self.expected(what));
        }
        let t = self.bump();
        Ok(Ident {
            name: self.text(t).to_string(),
            span: t.span,
        })
    }

    /// An integer literal (decimal or hex), maybe negative if `signed`.
    fn int(&mut self, what: &str) -> PResult<Int> {
        let neg = if self.at_punct('-') && self.lx.peek().kind == Tok::Int {
            Some(self.bump())
        } else {
            None
        };
        if self.tok.kind != Tok::Int {
            return Err(self.expected(what));
        }
        let t = self.bump();
        let digits = self.text(t);
        let parsed = match digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            Some(hex) => u128::from_str_radix(hex, 16)
                .ok()
                .and_then(|v| i128::try_from(v).ok()),
            None => digits.parse::<i128>().ok(),
        };
        let span = neg.map_or(t.span, |n| n.span.to(t.span));
        let value = parsed
            .filter(|v| *v <= u64::MAX as i128)
            .ok_or_else(|| Diagnostic::new(span, "integer too large (64 bits at most)"))?;
        match neg {
            Some(_) => Ok(Int {
                value: -value,
                text: format!("-{digits}"),
                span,
            }),
            None => Ok(Int {
                value,
                text: digits.to_string(),
                span,
            }),
        }
    }

    /// Enters one level of nesting, refusing past [`MAX_DEPTH`].
    fn enter(&mut self) -> PResult<()> {
        if self.depth >= MAX_DEPTH {
            return Err(Diagnostic::new(
                self.tok.span,
                format!("nested too deeply ({MAX_DEPTH} levels at most)"),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn error(&mut self, d: Diagnostic) {
        if self.diags.len() < MAX_ERRORS {
            self.diags.push(d);
        }
    }

    /// Skips to the next token that starts a line like an event does (a time,
    /// a command or a code block), or to the end.
    fn recover(&mut self) {
        self.depth = 0;
        loop {
            let t = self.tok;
            if t.kind == Tok::Eof
                || (t.line_start && starts_event(t) && t.span.start > self.last.start)
            {
                return;
            }
            self.bump();
        }
    }

    fn script(&mut self) -> Script {
        let mut items = Vec::new();
        let mut seen_event = false;
        while self.tok.kind != Tok::Eof && self.diags.len() < MAX_ERRORS {
            let start = self.tok;
            let item = match start.kind {
                Tok::Punct('-') if start.line_start => {
                    // Options come first: after anything else, one is late.
                    let late = !matches!(items.last(), None | Some(Item::Option(_)));
                    self.option_line(late)
                }
                Tok::Command => {
                    let t = self.bump();
                    let command = self.command(t);
                    let sc = ScriptCommand {
                        command,
                        trivia: Trivia::default(),
                    };
                    Ok(if seen_event {
                        Item::Cleanup(sc)
                    } else {
                        Item::Init(sc)
                    })
                }
                _ => {
                    let after_cleanup = matches!(items.last(), Some(Item::Cleanup(_)));
                    match self.event() {
                        Ok(e) if after_cleanup => Err(Diagnostic::new(
                            e.span,
                            "an event after a cleanup command: a command between events needs a time",
                        )
                        .with_help("write it as an event, e.g. +0 `command`")),
                        Ok(e) => {
                            seen_event = true;
                            Ok(Item::Event(e))
                        }
                        Err(d) => Err(d),
                    }
                }
            };
            match item {
                Ok(item) => items.push(item),
                Err(d) => {
                    self.error(d);
                    if self.tok.span.start == start.span.start {
                        self.bump(); // always make progress
                    }
                    self.recover();
                }
            }
        }
        if self.diags.len() >= MAX_ERRORS {
            let span = self.tok.span;
            self.diags.truncate(MAX_ERRORS - 1);
            self.diags
                .push(Diagnostic::new(span, "too many errors; stopping here"));
        }
        let comments = self.lx.take_comments();
        trivia::assemble(self.src(), items, comments)
    }

    /// `--name`, `--name=value`, `-D NAME=VALUE`, `-DNAME=VALUE`.
    fn option_line(&mut self, late: bool) -> PResult<Item> {
        let dash = self.tok;
        // The current token is the first `-`; the lexer is just after it.
        let (rest, rest_span) = self.lx.raw_line();
        let span = if rest.is_empty() {
            dash.span
        } else {
            dash.span.to(rest_span)
        };
        self.tok = self.lx.next_token();
        self.last = span;
        if late {
            return Err(Diagnostic::new(
                span,
                "options must come first, before commands and events",
            ));
        }
        let (name, value) = if let Some(long) = rest.strip_prefix('-') {
            match long.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (long.trim(), None),
            }
        } else if let Some(def) = rest.strip_prefix('D') {
            ("define", Some(def.trim()))
        } else {
            return Err(
                Diagnostic::new(span, format!("unknown option form `-{rest}`"))
                    .with_help("options are written --name=value (or -D NAME=VALUE)"),
            );
        };
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.');
        if !name_ok {
            return Err(Diagnostic::new(span, format!("bad option name `{name}`"))
                .with_help("options are written --name=value, one per line"));
        }
        if name == "define" && value.is_none_or(|v| v.split('=').next().is_none_or(str::is_empty)) {
            return Err(Diagnostic::new(
                span,
                "a definition needs a name: --define=NAME=VALUE",
            ));
        }
        Ok(Item::Option(OptionLine {
            name: name.to_string(),
            value: value.map(str::to_string),
            span,
            trivia: Trivia::default(),
        }))
    }

    fn command(&self, t: Token) -> Command {
        let text = self.text(t);
        Command {
            text: text[1..text.len() - 1].to_string(),
            span: t.span,
        }
    }

    fn event(&mut self) -> PResult<Event> {
        let first = self.tok;
        let time = self.event_time()?;
        let end = if self.tok.kind == Tok::Ellipsis {
            self.bump();
            Some(self.time_point("an end time after `...`")?)
        } else {
            None
        };
        let kind = match self.tok.kind {
            Tok::Punct('<') | Tok::Punct('>') if end.is_none() => EventKind::Packet(self.packet()?),
            Tok::Command if end.is_none() => {
                let t = self.bump();
                EventKind::Command(self.command(t))
            }
            Tok::Code if end.is_none() => {
                let t = self.bump();
                let text = self.text(t);
                EventKind::Code(Code {
                    text: text[2..text.len() - 2].to_string(),
                    span: t.span,
                })
            }
            Tok::Word => EventKind::Syscall(self.syscall(end)?),
            _ if end.is_some() => return Err(self.expected("a system call after the end time")),
            _ => {
                return Err(self.expected(
                    "a packet (`<` or `>`), a system call, a `command` or a %{ code }% block",
                ));
            }
        };
        let span = first.span.to(self.last);
        if self.tok.kind != Tok::Eof && !self.tok.line_start {
            return Err(self.expected("the end of the line"));
        }
        Ok(Event {
            time,
            kind,
            span,
            trivia: Trivia::default(),
        })
    }

    fn event_time(&mut self) -> PResult<EventTime> {
        if self.at_punct('*') {
            return Ok(EventTime::Any(self.bump().span));
        }
        if !matches!(self.tok.kind, Tok::Int | Tok::Float | Tok::Punct('+')) {
            return Err(self.expected("a time (`0`, `+0.1`, `*`, `1~2`)"));
        }
        let start = self.time_point("a time")?;
        if self.eat_punct('~') {
            let end = self.time_point("the end of the time range after `~`")?;
            return Ok(EventTime::Range { start, end });
        }
        Ok(if start.relative {
            EventTime::Relative(start.at)
        } else {
            EventTime::Absolute(start.at)
        })
    }

    /// `1.5` or `+0.2`.
    fn time_point(&mut self, what: &str) -> PResult<TimePoint> {
        let plus = if self.at_punct('+') {
            Some(self.bump())
        } else {
            None
        };
        if !matches!(self.tok.kind, Tok::Int | Tok::Float) {
            return Err(self.expected(what));
        }
        if let Some(p) = plus
            && self.tok.space_before
        {
            let span = p.span.to(self.tok.span);
            return Err(Diagnostic::new(
                span,
                "no space may come between `+` and the time",
            ));
        }
        let t = self.bump();
        let text = self.text(t);
        let usecs = seconds_to_usecs(text)
            .ok_or_else(|| Diagnostic::new(t.span, format!("time `{text}` is out of range")))?;
        let span = plus.map_or(t.span, |p| p.span.to(t.span));
        Ok(TimePoint {
            relative: plus.is_some(),
            at: Seconds {
                usecs,
                text: text.to_string(),
                span,
            },
        })
    }
}

/// Whether a token at the start of a line would start an event.
pub(super) fn starts_event(t: Token) -> bool {
    matches!(
        t.kind,
        Tok::Int | Tok::Float | Tok::Punct('+') | Tok::Punct('*') | Tok::Command | Tok::Code
    )
}

/// Seconds as written (`1`, `0.25`, `.1`, `2.`) in µs, rounded to nearest;
/// `None` if it is not a plain decimal or does not fit.
pub(crate) fn seconds_to_usecs(text: &str) -> Option<i64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) || int.len() + frac.len() == 0 {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut micros: i64 = 0;
    for (i, b) in frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(6)
        .enumerate()
    {
        let _ = i;
        micros = micros * 10 + i64::from(b - b'0');
    }
    if frac.as_bytes().get(6).is_some_and(|d| *d >= b'5') {
        micros += 1;
    }
    whole.checked_mul(1_000_000)?.checked_add(micros)
}

#[cfg(test)]
mod tests;
