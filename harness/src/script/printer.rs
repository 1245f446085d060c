//! The canonical form of a script, as `netdrill fmt` writes it.
//!
//! - options, init commands, events, cleanup commands, in that order, with
//!   their comments; a blank line wherever the source had one or more;
//! - an event is its time right-aligned in five columns, a space, the action;
//! - numbers and times keep their spelling, strings are re-escaped;
//! - a system call longer than [`WIDTH`] columns is broken after commas,
//!   each item aligned under the first one of its bracket;
//! - comments inside a multi-line item are moved before it.
//!
//! Parsing the printed text gives the same tree (spans aside): the round-trip
//! tests check this for every script we have, and the fuzz target for
//! whatever parses.

use super::ast::*;
use std::fmt::Write as _;

/// Lines longer than this are broken where the language allows.
pub const WIDTH: usize = 100;

/// Why a source has no canonical form.
#[derive(Debug)]
pub enum FormatError {
    /// It does not parse.
    Syntax(Vec<super::Diagnostic>),
    /// Its canonical form would not parse back to the same script: a bug in
    /// the printer, reported rather than risking the user's text.
    NotRoundTrip,
}

/// The canonical form of `src`, checked: the printed text parses back to
/// the same tree (spans aside), so writing it loses nothing.
pub fn format_source(src: &str) -> Result<String, FormatError> {
    let mut script = super::parse(src).map_err(FormatError::Syntax)?;
    let text = print(&script);
    let mut again = super::parse(&text).map_err(|_| FormatError::NotRoundTrip)?;
    script.clear_spans();
    again.clear_spans();
    if script == again {
        Ok(text)
    } else {
        Err(FormatError::NotRoundTrip)
    }
}

/// The canonical text of a script.
pub fn print(script: &Script) -> String {
    let mut p = Printer {
        out: String::new(),
        first: true,
    };
    for o in &script.options {
        p.item(&o.trivia, &option_text(o));
    }
    for c in &script.init {
        p.item(&c.trivia, &command_text(&c.command));
    }
    for e in &script.events {
        p.item(&e.trivia, &event_text(e));
    }
    for c in &script.cleanup {
        p.item(&c.trivia, &command_text(&c.command));
    }
    for c in &script.tail.leading {
        p.comment(c);
    }
    p.out
}

struct Printer {
    out: String,
    /// Nothing printed yet: no blank line may come first.
    first: bool,
}

impl Printer {
    fn blank(&mut self, wanted: bool) {
        if wanted && !self.first {
            self.out.push('\n');
        }
    }

    fn comment(&mut self, c: &Comment) {
        self.blank(c.blank_line_before);
        self.out.push_str(&c.text);
        self.out.push('\n');
        self.first = false;
    }

    fn item(&mut self, trivia: &Trivia, text: &str) {
        for c in &trivia.leading {
            self.comment(c);
        }
        self.blank(trivia.blank_line_before);
        self.out.push_str(text);
        if let Some(c) = &trivia.trailing {
            self.out.push(' ');
            self.out.push_str(&c.text);
        }
        self.out.push('\n');
        self.first = false;
    }
}

fn option_text(o: &OptionLine) -> String {
    match &o.value {
        Some(v) => format!("--{}={v}", o.name),
        None => format!("--{}", o.name),
    }
}

fn command_text(c: &Command) -> String {
    format!("`{}`", c.text)
}

fn point(t: &TimePoint) -> String {
    format!("{}{}", if t.relative { "+" } else { "" }, t.at.text)
}

/// The time column of an event.
pub fn time_text(t: &EventTime) -> String {
    match t {
        EventTime::Absolute(s) => s.text.clone(),
        EventTime::Relative(s) => format!("+{}", s.text),
        EventTime::Any(_) => "*".into(),
        EventTime::Range { start, end } => format!("{}~{}", point(start), point(end)),
    }
}

/// One event on one line (or several, for a long system call).
pub fn event_text(e: &Event) -> String {
    let mut out = format!("{:>5} ", time_text(&e.time));
    match &e.kind {
        EventKind::Packet(p) => out.push_str(&packet_text(p)),
        EventKind::Syscall(s) => syscall_into(&mut out, s),
        EventKind::Command(c) => out.push_str(&command_text(c)),
        EventKind::Code(c) => {
            let _ = write!(out, "%{{{}}}%", c.text);
        }
    }
    out
}

/// A packet line without its time: `< S 0:0(0) win 32792 <mss 1000>`.
pub fn packet_text(p: &Packet) -> String {
    let mut out = String::from(match p.direction {
        Direction::Inbound => "<",
        Direction::Outbound => ">",
    });
    for e in &p.encaps {
        out.push(' ');
        encap_into(&mut out, e);
    }
    for g in &p.ip {
        out.push(' ');
        let (open, close) = match g.delim {
            Delim::Square => ('[', ']'),
            Delim::Paren => ('(', ')'),
        };
        out.push(open);
        for (i, a) in g.attrs.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            ip_attr_into(&mut out, a);
        }
        out.push(close);
    }
    out.push(' ');
    match &p.body {
        PacketBody::Tcp(t) => tcp_into(&mut out, t),
        PacketBody::Udp(u) => udp_into(&mut out, u),
        PacketBody::Icmp(i) => icmp_into(&mut out, i),
        PacketBody::Other(o) => out.push_str(&o.text),
    }
    out
}

fn encap_into(out: &mut String, e: &Encap) {
    match &e.kind {
        EncapKind::Ip { src, dst } => {
            let kw = if src.addr.is_ipv6() { "IPV6" } else { "IPV4" };
            let _ = write!(out, "{kw} {} > {}:", src.addr, dst.addr);
        }
        EncapKind::Gre(fields) => {
            out.push_str("gre");
            for f in fields {
                let _ = write!(out, " {}", f.name.name);
                if let Some(v) = &f.value {
                    out.push(' ');
                    name_or_int_into(out, v);
                }
            }
            out.push(':');
        }
        EncapKind::Mpls(entries) => {
            out.push_str("mpls");
            for m in entries {
                let mut parts = Vec::new();
                if let Some(l) = &m.label {
                    parts.push(format!("label {}", l.text));
                }
                if let Some(t) = &m.tc {
                    parts.push(format!("tc {}", t.text));
                }
                if m.bottom {
                    parts.push("[S]".to_string());
                }
                if let Some(t) = &m.ttl {
                    parts.push(format!("ttl {}", t.text));
                }
                let _ = write!(out, " ({})", parts.join(", "));
            }
            out.push(':');
        }
    }
}

fn ip_attr_into(out: &mut String, a: &IpAttr) {
    match &a.kind {
        IpAttrKind::Ecn(e) => out.push_str(e.as_str()),
        IpAttrKind::Tos(v) => {
            let _ = write!(out, "tos {}", v.text);
        }
        IpAttrKind::FlowLabel(v) => {
            let _ = write!(out, "flowlabel {}", v.text);
        }
        IpAttrKind::Ttl(v) => {
            let _ = write!(out, "ttl {}", v.text);
        }
        IpAttrKind::Other { name, value } => {
            out.push_str(&name.name);
            if let Some(v) = value {
                let _ = write!(out, " {}", v.text);
            }
        }
    }
}

fn name_or_int_into(out: &mut String, v: &NameOrInt) {
    match v {
        NameOrInt::Name(n) => out.push_str(&n.name),
        NameOrInt::Int(i) => out.push_str(&i.text),
    }
}

fn tcp_into(out: &mut String, t: &Tcp) {
    if let Some(f) = &t.flags {
        out.push_str(&f.text);
        out.push(' ');
    }
    let s = &t.seq;
    let _ = write!(out, "{}:{}({})", s.start.text, s.end.text, s.len.text);
    for (kw, v) in [("ack", &t.ack), ("win", &t.win), ("urg", &t.urg)] {
        if let Some(v) = v {
            let _ = write!(out, " {kw} {}", v.text);
        }
    }
    match &t.options {
        None => {}
        Some(TcpOptions::Any(_)) => out.push_str(" <...>"),
        Some(TcpOptions::List { options, .. }) => {
            out.push_str(" <");
            for (i, o) in options.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                tcp_option_into(out, o);
            }
            out.push('>');
        }
    }
}

fn tcp_option_into(out: &mut String, o: &TcpOption) {
    let cookie = |out: &mut String, kw: &str, c: &Option<Cookie>| {
        out.push_str(kw);
        if let Some(c) = c {
            out.push(' ');
            out.push_str(&c.text);
        }
    };
    match &o.kind {
        TcpOptionKind::Nop => out.push_str("nop"),
        TcpOptionKind::Eol => out.push_str("eol"),
        TcpOptionKind::SackOk => out.push_str("sackOK"),
        TcpOptionKind::Mss(v) => {
            let _ = write!(out, "mss {}", v.text);
        }
        TcpOptionKind::WScale(v) => {
            let _ = write!(out, "wscale {}", v.text);
        }
        TcpOptionKind::Sack(blocks) => {
            out.push_str("sack");
            for b in blocks {
                let _ = write!(out, " {}:{}", b.start.text, b.end.text);
            }
        }
        TcpOptionKind::Timestamp { val, ecr } => {
            let _ = write!(out, "TS val {} ecr {}", val.text, ecr.text);
        }
        TcpOptionKind::FastOpen(c) => cookie(out, "FO", c),
        TcpOptionKind::FastOpenExp(c) => cookie(out, "FOEXP", c),
        TcpOptionKind::Md5(c) => cookie(out, "md5", c),
        TcpOptionKind::Other { name, args } => {
            out.push_str(&name.name);
            for a in args {
                out.push(' ');
                out.push_str(a);
            }
        }
    }
}

fn udp_into(out: &mut String, u: &Udp) {
    let _ = write!(out, "udp ({})", u.len.text);
}

fn icmp_into(out: &mut String, i: &Icmp) {
    out.push_str(if i.v6 { "icmpv6 " } else { "icmp " });
    name_or_int_into(out, &i.ty);
    if let Some(c) = &i.code {
        out.push(' ');
        name_or_int_into(out, c);
    }
    if let Some(m) = &i.mtu {
        let _ = write!(out, " mtu {}", m.text);
    }
    match &i.quoted {
        None => {}
        Some(Quoted::Tcp(t)) => {
            out.push_str(" [");
            tcp_into(out, t);
            out.push(']');
        }
        Some(Quoted::Udp(u)) => {
            out.push_str(" [");
            udp_into(out, u);
            out.push(']');
        }
    }
}

/// `...END name(args) = result ERRNO (note)`, broken over lines if long.
fn syscall_into(out: &mut String, s: &Syscall) {
    if let Some(end) = &s.end {
        let _ = write!(out, "...{} ", point(end));
    }
    let mut tail = format!(" = {}", expr_text(&s.result));
    if let Some(e) = &s.errno {
        let _ = write!(tail, " {}", e.name);
    }
    if let Some(n) = &s.note {
        let _ = write!(tail, " ({n})");
    }
    out.push_str(&s.name.name);
    let items: Vec<String> = s.args.iter().map(expr_text).collect();
    let flat = format!("({})", items.join(", "));
    if column(out) + flat.chars().count() + tail.chars().count() <= WIDTH {
        out.push_str(&flat);
    } else {
        list_broken(out, '(', ')', &s.args, tail.chars().count());
    }
    out.push_str(&tail);
}

/// The column (in characters) where the next character of `out` goes.
fn column(out: &str) -> usize {
    out.rsplit('\n').next().map_or(0, |l| l.chars().count())
}

/// Writes `open items close` broken over lines, continuation lines aligned
/// after `open`. Struct fields go one per line; array items and arguments
/// are packed as many to a line as fit. An item too long for a line of its
/// own is broken the same way. `after` is the width of what must follow
/// the closer on its line.
fn list_broken(out: &mut String, open: char, close: char, items: &[Expr], after: usize) {
    let one_per_line = open == '{';
    out.push(open);
    let indent = column(out);
    for (i, item) in items.iter().enumerate() {
        let last = i + 1 == items.len();
        // What follows this item on its line: `,` or the closers.
        let follow = if last { 1 + after } else { 1 };
        if i > 0 {
            out.push(',');
            let width = expr_text(item).chars().count() + follow;
            let fits_here = column(out) + 1 + width <= WIDTH;
            let fits_below = indent + width <= WIDTH;
            // An item too long for any line is broken where it stands,
            // unless that is far to the right.
            let break_here = !fits_below && column(out) < WIDTH / 2;
            if one_per_line || !(fits_here || break_here) {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', indent));
            } else {
                out.push(' ');
            }
        }
        expr_into(out, item, follow);
    }
    out.push(close);
}

/// Writes an expression flat if it fits, else broken at its brackets (or
/// after the `|`s of a long flag list).
fn expr_into(out: &mut String, e: &Expr, follow: usize) {
    let flat = expr_text(e);
    if column(out) + flat.chars().count() + follow <= WIDTH {
        out.push_str(&flat);
        return;
    }
    match &e.kind {
        ExprKind::Array(items) if !items.is_empty() => list_broken(out, '[', ']', items, follow),
        ExprKind::Struct(items) if !items.is_empty() => list_broken(out, '{', '}', items, follow),
        ExprKind::Call { name, args } if !args.is_empty() => {
            out.push_str(&name.name);
            list_broken(out, '(', ')', args, follow);
        }
        ExprKind::Field { name, len, value } => {
            out.push_str(&name.name);
            if let Some(l) = len {
                let _ = write!(out, "({})", expr_text(l));
            }
            out.push('=');
            expr_into(out, value, follow);
        }
        ExprKind::Binary { op: BinOp::Or, .. } => {
            let mut terms = Vec::new();
            or_terms(e, &mut terms);
            let indent = column(out);
            for (i, t) in terms.iter().enumerate() {
                let text = expr_text(t);
                let tail = if i + 1 == terms.len() { follow } else { 1 };
                if i > 0 {
                    out.push('|');
                    if column(out) + text.chars().count() + tail > WIDTH {
                        out.push('\n');
                        out.extend(std::iter::repeat_n(' ', indent));
                    }
                }
                let wrap = matches!(&t.kind, ExprKind::Binary { op, .. } if op.precedence() <= BinOp::Or.precedence());
                if wrap {
                    let _ = write!(out, "({text})");
                } else {
                    out.push_str(&text);
                }
            }
        }
        _ => out.push_str(&flat),
    }
}

/// The operands of a left-leaning chain `a | b | c`, in order.
fn or_terms<'e>(e: &'e Expr, terms: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Binary {
            op: BinOp::Or,
            lhs,
            rhs,
        } => {
            or_terms(lhs, terms);
            terms.push(rhs);
        }
        _ => terms.push(e),
    }
}

/// An expression on one line.
pub fn expr_text(e: &Expr) -> String {
    let mut out = String::new();
    expr_flat(&mut out, e);
    out
}

fn expr_flat(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Int(i) => out.push_str(&i.text),
        ExprKind::Symbol(s) => out.push_str(&s.name),
        ExprKind::Substitution(s) => {
            let _ = write!(out, "${{{}}}", s.name);
        }
        ExprKind::Str { value, ellipsis } => {
            string_into(out, value);
            if *ellipsis {
                out.push_str("...");
            }
        }
        ExprKind::Ellipsis => out.push_str("..."),
        ExprKind::Array(items) => list_flat(out, '[', ']', items),
        ExprKind::Struct(items) => list_flat(out, '{', '}', items),
        ExprKind::Call { name, args } => {
            out.push_str(&name.name);
            list_flat(out, '(', ')', args);
        }
        ExprKind::Field { name, len, value } => {
            out.push_str(&name.name);
            if let Some(l) = len {
                out.push('(');
                expr_flat(out, l);
                out.push(')');
            }
            out.push('=');
            expr_flat(out, value);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            operand(out, lhs, op.precedence(), false);
            match op {
                BinOp::Or => out.push('|'),
                _ => {
                    let _ = write!(out, " {} ", op.as_str());
                }
            }
            operand(out, rhs, op.precedence(), true);
        }
        ExprKind::Unary { op, operand: inner } => {
            out.push_str(op.as_str());
            // `-(5)` is not `-5` (which reads as the literal -5).
            let wrap = match &inner.kind {
                ExprKind::Binary { .. } => true,
                ExprKind::Int(i) => *op == UnOp::Neg && i.value >= 0 && !i.text.starts_with('-'),
                _ => false,
            };
            if wrap {
                out.push('(');
            }
            expr_flat(out, inner);
            if wrap {
                out.push(')');
            }
        }
    }
}

/// An operand of a binary operator, in parentheses where the tree needs
/// them (operators are left-associative, so a right operand of equal
/// precedence needs them too).
fn operand(out: &mut String, e: &Expr, parent: u8, right: bool) {
    let wrap = match &e.kind {
        ExprKind::Binary { op, .. } => {
            op.precedence() < parent || (right && op.precedence() == parent)
        }
        _ => false,
    };
    if wrap {
        out.push('(');
    }
    expr_flat(out, e);
    if wrap {
        out.push(')');
    }
}

fn list_flat(out: &mut String, open: char, close: char, items: &[Expr]) {
    out.push(open);
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr_flat(out, item);
    }
    out.push(close);
}

/// A string literal whose [`unescape`](super::lexer::unescape) is `bytes`.
fn string_into(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::parse;

    fn fmt(src: &str) -> String {
        match format_source(src) {
            Ok(t) => t,
            Err(e) => panic!("{src}: {e:?}"),
        }
    }

    #[test]
    fn canonical_layout() {
        let cases = [
            // Times right-aligned in five columns, single spaces inside lines.
            (
                "0   socket(...,SOCK_STREAM,IPPROTO_TCP)=3\n",
                "    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
            ),
            (
                "+.1\t<  S  0:0(0)   win 1 < mss 1460 , nop >\n",
                "  +.1 < S 0:0(0) win 1 <mss 1460,nop>\n",
            ),
            (
                "+0...0.2 read(3,...,1)=1\n",
                "   +0 ...0.2 read(3, ..., 1) = 1\n",
            ),
            (
                "1~+2.5 > [ect0](tos 0x2) P. 1:2(1) ack 1\n",
                "1~+2.5 > [ect0] (tos 0x2) P. 1:2(1) ack 1\n",
            ),
            (
                "+0 fcntl(3,F_GETFL)=0x2 (flags  O_RDWR )\n",
                "   +0 fcntl(3, F_GETFL) = 0x2 (flags  O_RDWR)\n",
            ),
            (
                "-D  A=1\n--x\n`a`\n0 `b`\n`c`\n",
                "--define=A=1\n--x\n`a`\n    0 `b`\n`c`\n",
            ),
            (
                "* < icmp unreachable  port [ udp (10) ]\n",
                "    * < icmp unreachable port [udp (10)]\n",
            ),
            (
                "0 f(a | (b | c), (a | b) | c, -(5), - 5, -(-5)) = 0\n",
                "    0 f(a|(b|c), a|b|c, -(5), -5, --5) = 0\n",
            ),
            (
                "0 write(3, \"a\\\"b\\\\\\x00\\xff\\n\"..., 5) = 5\n",
                "    0 write(3, \"a\\\"b\\\\\\x00\\xff\\n\"..., 5) = 5\n",
            ),
            (
                "\n\n// c\n\n\n0 close(3) = 0   // t\n\n\n",
                "// c\n\n    0 close(3) = 0 // t\n",
            ),
        ];
        for (src, want) in cases {
            assert_eq!(fmt(src), want, "{src:?}");
            assert_eq!(fmt(want), want, "not a fixed point: {want:?}");
        }
    }

    #[test]
    fn long_calls_break_at_commas_aligned_under_their_bracket() {
        let src = "+0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 1000}], msg_flags=0, \
                   msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=9000}]}, 0) = 1000\n";
        let want = "   +0 recvmsg(3, {msg_name(...)=...,\n\
                    \x20                 msg_iov(1)=[{..., 1000}],\n\
                    \x20                 msg_flags=0,\n\
                    \x20                 msg_control=[{cmsg_level=SOL_TCP, cmsg_type=TCP_CM_INQ, cmsg_data=9000}]},\n\
                    \x20             0) = 1000\n";
        assert_eq!(fmt(src), want);
        for line in fmt(src).lines() {
            assert!(line.chars().count() <= WIDTH, "{line}");
        }
        // A long flag list breaks after `|`.
        let flags: Vec<String> = (0..12)
            .map(|i| format!("SOME_LONG_FLAG_NAME_{i}"))
            .collect();
        let src = format!(
            "+0 setsockopt(3, SOL_SOCKET, SO_TIMESTAMPING, [{}], 4) = 0\n",
            flags.join(" | ")
        );
        let out = fmt(&src);
        assert!(out.lines().count() > 2, "{out}");
        assert!(out.lines().all(|l| l.chars().count() <= WIDTH), "{out}");
        let second = out.lines().nth(1).unwrap_or("");
        assert!(
            second.trim_start().starts_with("SOME_LONG_FLAG_NAME_2|"),
            "{out}"
        );
    }

    #[test]
    fn every_packet_form_prints_back() {
        let src = "\
+0 < IPV4 192.0.2.1 > 192.168.0.1: gre flags 0x2000 key 5: mpls (label 1, tc 2, [S], ttl 3): [ce] . 1:1(0) ack 1 win 1
+0 > IPV6 2001:DB8::1 > fd3d::1: (flowlabel 0x1, ttl 3) [x] F. 1:1(0) ack 2 urg 0 <...>
+0 < S 0:0(0) win 1 <eol,sack 1:2 3:4,TS val 1 ecr 0,FO,FO abc1,FOEXP TFO_COOKIE,md5 00ff,exp 1:2 x>
+0 > icmp 3 4 mtu 1400 [S. 0:0(0) ack 1]
+0 < icmpv6 packet_too_big mtu 1280 [1:1001(1000)]
";
        let out = fmt(src);
        assert!(
            out.contains("IPV6 2001:db8::1 > fd3d::1: (flowlabel 0x1, ttl 3) [x] F."),
            "{out}"
        );
        assert!(
            out.contains("mpls (label 1, tc 2, [S], ttl 3): [ce] ."),
            "{out}"
        );
        let script = parse(&out).unwrap();
        assert_eq!(script.events.len(), 5);
    }
}
