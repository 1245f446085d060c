//! The syntax tree of a script, as written: nothing is resolved here.
//!
//! Symbols (`SOCK_STREAM`, `--define`d names, errno names), syscall names,
//! struct field names, ICMP type names and unknown TCP options are kept as
//! text: the interpreter resolves them and reports "unsupported: X (line N)"
//! for what it does not know. Numbers keep their spelling (`0x10` stays hex)
//! so that the printer writes them back as the author did; comments and blank
//! lines are kept as [`Trivia`] so that `netdrill fmt` loses nothing.
//!
//! Every node has a [`Span`]; [`ClearSpans`] erases them so that trees can be
//! compared for structure only (the printer round-trip test does that).

pub use super::span::Span;
pub use super::spanless::ClearSpans;
use std::net::IpAddr;

/// A whole script file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Script {
    /// `--name=value` lines at the top (and `-D NAME=VALUE`, kept as `define`).
    pub options: Vec<OptionLine>,
    /// Backquoted commands before the first event (no time).
    pub init: Vec<ScriptCommand>,
    /// The timed events, in file order.
    pub events: Vec<Event>,
    /// Backquoted commands after the last event (no time).
    pub cleanup: Vec<ScriptCommand>,
    /// Comments after the last item of the file.
    pub tail: Trivia,
}

impl Script {
    /// The `--define=NAME=VALUE` (and `-D NAME=VALUE`) definitions, in order.
    pub fn defines(&self) -> impl Iterator<Item = (&str, &str)> {
        self.options
            .iter()
            .filter(|o| o.name == "define")
            .filter_map(|o| {
                let v = o.value.as_deref()?;
                Some(v.split_once('=').unwrap_or((v, "")))
            })
    }

    /// The value of the last `--name=value` line for `name`, if any. A flag
    /// without a value gives `Some("")`.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|o| o.name == name)
            .map(|o| o.value.as_deref().unwrap_or(""))
    }
}

/// Comments and blank lines attached to an item, so the printer can keep them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trivia {
    /// A blank line separates the item from what comes before it (its last
    /// leading comment, or the previous item).
    pub blank_line_before: bool,
    /// Comments before the item, and comments inside a multi-line item.
    pub leading: Vec<Comment>,
    /// A comment after the item on the line where it ends.
    pub trailing: Option<Comment>,
}

/// A `// ...` or `/* ... */` comment, with its delimiters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub text: String,
    /// A blank line separates it from what comes before it.
    pub blank_line_before: bool,
    pub span: Span,
}

/// A name as written (a symbol, syscall, field, option or errno name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// An integer literal: its value and its spelling (`4096`, `0x1000`, `-1`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Int {
    pub value: i128,
    pub text: String,
    pub span: Span,
}

impl Int {
    /// The value if it fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        i64::try_from(self.value).ok()
    }

    /// The value if it fits a `u32` (sequence numbers, windows, TS values).
    pub fn as_u32(&self) -> Option<u32> {
        u32::try_from(self.value).ok()
    }
}

/// An option line: `--tolerance_usecs=10000`, `--strict_segments`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionLine {
    /// The name without the dashes (`-D` is stored as `define`).
    pub name: String,
    /// The text after the first `=` (trimmed, comment removed); `None` for a flag.
    pub value: Option<String>,
    pub span: Span,
    pub trivia: Trivia,
}

/// A backquoted shell command as a top-level item (init or cleanup).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptCommand {
    pub command: Command,
    pub trivia: Trivia,
}

/// A backquoted shell command: the text between the backquotes, verbatim
/// (it may span several lines).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub text: String,
    pub span: Span,
}

/// A `%{ ... }%` code block: the text between the delimiters, verbatim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    pub text: String,
    pub span: Span,
}

/// One timed event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub time: EventTime,
    pub kind: EventKind,
    /// From the time to the end of the event.
    pub span: Span,
    pub trivia: Trivia,
}

/// A time in seconds as written (`0`, `.1`, `1.25`), and its value in µs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seconds {
    /// Microseconds, rounded to the nearest.
    pub usecs: i64,
    pub text: String,
    pub span: Span,
}

/// One end of a time range, or a syscall end time: `1.2` or `+0.2`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimePoint {
    /// Written with `+`: relative to the previous event's time.
    pub relative: bool,
    pub at: Seconds,
}

/// When an event happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventTime {
    /// `1.5`: seconds since the script started.
    Absolute(Seconds),
    /// `+0.2`: after the previous event.
    Relative(Seconds),
    /// `*`: any time.
    Any(Span),
    /// `1.0~1.2`, `+0.1~+0.3`: within a window.
    Range { start: TimePoint, end: TimePoint },
}

/// What an event does or expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    Packet(Packet),
    Syscall(Syscall),
    Command(Command),
    Code(Code),
}

/// `<` inbound (the harness sends it) or `>` outbound (the stack must send it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Inbound,
    Outbound,
}

/// A packet line: direction, encapsulations, IP attributes, then the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    pub direction: Direction,
    /// Outer layers, outermost first (`IPV4 a > b:`, `gre ...:`, `mpls ...:`).
    pub encaps: Vec<Encap>,
    /// IP attributes of the (innermost) IP header: `[ect0]`, `(tos 0x10)`.
    pub ip: Vec<IpAttrGroup>,
    pub body: PacketBody,
    pub span: Span,
}

/// An outer layer written before the packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Encap {
    pub kind: EncapKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EncapKind {
    /// `IPV4 src > dst:` (or `IPV6 src > dst:`): an outer IP header with
    /// these addresses.
    Ip { src: Address, dst: Address },
    /// `gre [name value]... :`: a GRE header; fields as written.
    Gre(Vec<GreField>),
    /// `mpls (label N, tc N, [S], ttl N) ... :`: an MPLS label stack.
    Mpls(Vec<MplsEntry>),
}

/// An IP address in an encapsulation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub addr: IpAddr,
    pub span: Span,
}

/// A GRE header field: `flags 0x2000`, `proto 0x0800`, `key 5`, `csum`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GreField {
    pub name: Ident,
    pub value: Option<NameOrInt>,
    pub span: Span,
}

/// One MPLS label stack entry; fields left out are not given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MplsEntry {
    pub label: Option<Int>,
    pub tc: Option<Int>,
    /// `[S]`: bottom of stack.
    pub bottom: bool,
    pub ttl: Option<Int>,
    pub span: Span,
}

/// A name or a number, where the language allows either (ICMP types and
/// codes, GRE field values).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameOrInt {
    Name(Ident),
    Int(Int),
}

impl NameOrInt {
    pub fn span(&self) -> Span {
        match self {
            NameOrInt::Name(i) => i.span,
            NameOrInt::Int(i) => i.span,
        }
    }
}

/// How a group of IP attributes is bracketed: `[ect0]` or `(tos 0x10)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Delim {
    Square,
    Paren,
}

/// `[ect0]`, `(tos 0x10, flowlabel 0x12345)`: comma-separated attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpAttrGroup {
    pub delim: Delim,
    pub attrs: Vec<IpAttr>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpAttr {
    pub kind: IpAttrKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpAttrKind {
    /// `ect0`, `ect1`, `ect01`, `ce`, `noecn`.
    Ecn(Ecn),
    /// `tos N`: the whole TOS / traffic class byte.
    Tos(Int),
    /// `flowlabel N` (IPv6).
    FlowLabel(Int),
    /// `ttl N` (hop limit for IPv6).
    Ttl(Int),
    /// Any other `name` or `name N`, checked by the interpreter.
    Other { name: Ident, value: Option<Int> },
}

/// The ECN codepoint of the IP header (RFC 3168 §5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ecn {
    /// `noecn`: Not-ECT (00).
    NotEct,
    /// `ect1`: ECT(1) (01).
    Ect1,
    /// `ect0`: ECT(0) (10).
    Ect0,
    /// `ect01`: either ECT(0) or ECT(1) (outbound matching).
    Ect01,
    /// `ce`: Congestion Experienced (11).
    Ce,
}

impl Ecn {
    /// The script spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Ecn::NotEct => "noecn",
            Ecn::Ect1 => "ect1",
            Ecn::Ect0 => "ect0",
            Ecn::Ect01 => "ect01",
            Ecn::Ce => "ce",
        }
    }

    /// Parses the script spelling.
    pub fn from_name(name: &str) -> Option<Ecn> {
        Some(match name {
            "noecn" => Ecn::NotEct,
            "ect1" => Ecn::Ect1,
            "ect0" => Ecn::Ect0,
            "ect01" => Ecn::Ect01,
            "ce" => Ecn::Ce,
            _ => return None,
        })
    }
}

/// What follows the packet prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PacketBody {
    Tcp(Tcp),
    Udp(Udp),
    Icmp(Icmp),
    /// A protocol the grammar knows only by name (`sctp: INIT[...]`).
    Other(OtherPacket),
}

/// A packet of another protocol, kept as written so that such scripts parse
/// (and format); running one is "unsupported: sctp packets (line N)".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherPacket {
    /// The lower-case word that names the protocol (`sctp`, `udplite`, ...).
    pub protocol: Ident,
    /// The text from the protocol name to the end of the line (or of the
    /// brackets opened on it), tokens separated by one space where the
    /// source had any space, line break or comment.
    pub text: String,
    pub span: Span,
}

/// `FLAGS START:END(LEN) [ack N] [win N] [urg N] [<options>]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tcp {
    /// Always present on a packet line; may be left out inside an ICMP
    /// message's quoted packet (`[1:1(0)]`).
    pub flags: Option<TcpFlags>,
    pub seq: SeqRange,
    pub ack: Option<Int>,
    pub win: Option<Int>,
    pub urg: Option<Int>,
    /// `None`: options are not checked.
    pub options: Option<TcpOptions>,
    pub span: Span,
}

/// The flags as written: letters `F S R P U E W C A N`, `.` for ACK, `-` for none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpFlags {
    pub text: String,
    pub span: Span,
}

impl TcpFlags {
    /// Whether flag letter `c` (or `.` for ACK) is written.
    pub fn has(&self, c: char) -> bool {
        self.text.contains(c)
    }
}

/// `START:END(LEN)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeqRange {
    pub start: Int,
    pub end: Int,
    pub len: Int,
    pub span: Span,
}

/// The `<...>` part of a TCP line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcpOptions {
    /// `<...>`: any options (outbound: not checked).
    Any(Span),
    /// `<mss 1460,nop,...>`; may be empty (`<>`).
    List { options: Vec<TcpOption>, span: Span },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpOption {
    pub kind: TcpOptionKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcpOptionKind {
    Nop,
    Eol,
    Mss(Int),
    WScale(Int),
    SackOk,
    Sack(Vec<SackBlock>),
    /// `TS val N ecr N`.
    Timestamp {
        val: Int,
        ecr: Int,
    },
    /// `FO [cookie]`: Fast Open, option kind 34 (RFC 7413).
    FastOpen(Option<Cookie>),
    /// `FOEXP [cookie]`: Fast Open with the experimental kind 254, magic 0xF989.
    FastOpenExp(Option<Cookie>),
    /// `md5 [hex]`: TCP MD5 signature (RFC 2385).
    Md5(Option<Cookie>),
    /// Any other option: its name and the words after it, as written
    /// (normalised to single spaces).
    Other {
        name: Ident,
        args: Vec<String>,
    },
}

/// `A:B` in a `sack` option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SackBlock {
    pub start: Int,
    pub end: Int,
}

/// A cookie or digest: hex digits (`3021b9d889017eeb`) or a `--define`d name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cookie {
    pub text: String,
    pub span: Span,
}

impl Cookie {
    /// The bytes if the text is an even number of hex digits.
    pub fn hex_bytes(&self) -> Option<Vec<u8>> {
        let t = self.text.as_bytes();
        if t.len() % 2 != 0 || !t.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        t.chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
            .collect()
    }
}

/// `udp (LEN)`: a UDP datagram with LEN payload bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Udp {
    pub len: Int,
    pub span: Span,
}

/// `icmp TYPE [CODE] [mtu N] [[quoted packet]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Icmp {
    /// Written `icmpv6` rather than `icmp` (the address family decides
    /// otherwise).
    pub v6: bool,
    pub ty: NameOrInt,
    pub code: Option<NameOrInt>,
    /// `mtu N` (fragmentation needed / packet too big).
    pub mtu: Option<Int>,
    /// The offending packet the message quotes, in brackets.
    pub quoted: Option<Quoted>,
    pub span: Span,
}

/// The packet an ICMP error quotes: `[1:1(0)]`, `[S 0:0(0)]`, `[udp (100)]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Quoted {
    Tcp(Tcp),
    Udp(Udp),
}

/// `NAME(ARGS) = RESULT [ERRNO] [(note)]`, maybe with an end time `...t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Syscall {
    /// `...1.5` / `...+0.3`: when a blocking call must return.
    pub end: Option<TimePoint>,
    pub name: Ident,
    pub args: Vec<Expr>,
    pub result: Expr,
    /// `EINPROGRESS`: the errno the call must fail with.
    pub errno: Option<Ident>,
    /// `(Operation now in progress)`, `(flags O_RDWR)`: the text in
    /// parentheses after the result, trimmed; not checked.
    pub note: Option<String>,
    pub span: Span,
}

/// An expression in a syscall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExprKind {
    /// `3`, `0x10`, `-1`.
    Int(Int),
    /// `SOCK_STREAM`, `NULL`, a `--define`d name.
    Symbol(Ident),
    /// `${NAME}`: a definition substituted by the interpreter.
    Substitution(Ident),
    /// `"text"` as bytes (escapes such as `\x63` resolved); `"text"...`
    /// sets `ellipsis`.
    Str { value: Vec<u8>, ellipsis: bool },
    /// `...`: the obvious value.
    Ellipsis,
    /// `[a, b]`.
    Array(Vec<Expr>),
    /// `{a, b}`; items are often [`ExprKind::Field`]s.
    Struct(Vec<Expr>),
    /// `htons(8080)`, `inet_addr("192.0.2.1")`.
    Call { name: Ident, args: Vec<Expr> },
    /// `name=value` or `name(len)=value` (msghdr's `msg_iov(1)=[...]`).
    Field {
        name: Ident,
        len: Option<Box<Expr>>,
        value: Box<Expr>,
    },
    /// `a | b`, `a + b`, ...
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `-x`, `~x`, `!x`.
    Unary { op: UnOp, operand: Box<Expr> },
}

/// Binary operators, loosest first in [`BinOp::precedence`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    Xor,
    And,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "|",
            BinOp::Xor => "^",
            BinOp::And => "&",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
        }
    }

    /// Binding strength as in C (higher binds tighter); all are left-associative.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::Xor => 2,
            BinOp::And => 3,
            BinOp::Shl | BinOp::Shr => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 6,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Neg,
    BitNot,
    Not,
}

impl UnOp {
    pub fn as_str(self) -> &'static str {
        match self {
            UnOp::Neg => "-",
            UnOp::BitNot => "~",
            UnOp::Not => "!",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u32) -> Span {
        Span {
            start,
            end: start + 1,
            line: 1,
            col: start + 1,
        }
    }

    #[test]
    fn clear_spans_makes_trees_differing_only_in_spans_equal() {
        let int = |s, v| Int {
            value: v,
            text: v.to_string(),
            span: span(s),
        };
        let mk = |s| Expr {
            kind: ExprKind::Binary {
                op: BinOp::Or,
                lhs: Box::new(Expr {
                    kind: ExprKind::Int(int(s, 1)),
                    span: span(s),
                }),
                rhs: Box::new(Expr {
                    kind: ExprKind::Int(int(s + 4, 2)),
                    span: span(s + 4),
                }),
            },
            span: span(s),
        };
        let (mut a, mut b) = (mk(0), mk(10));
        assert_ne!(a, b);
        a.clear_spans();
        b.clear_spans();
        assert_eq!(a, b);
        let mut c = Expr {
            kind: ExprKind::Int(int(3, 2)),
            span: span(3),
        };
        c.clear_spans();
        assert_ne!(a, c, "clearing spans must not erase values");
    }

    #[test]
    fn defines_and_options() {
        let opt = |name: &str, value: Option<&str>| OptionLine {
            name: name.into(),
            value: value.map(Into::into),
            span: Span::default(),
            trivia: Trivia::default(),
        };
        let script = Script {
            options: vec![
                opt("define", Some("TFO_COOKIE=3021b9d889017eeb")),
                opt("tolerance_usecs", Some("1000")),
                opt("strict_segments", None),
                opt("define", Some("FLAG")),
                opt("tolerance_usecs", Some("7000")),
            ],
            ..Script::default()
        };
        let defs: Vec<_> = script.defines().collect();
        assert_eq!(defs, vec![("TFO_COOKIE", "3021b9d889017eeb"), ("FLAG", "")]);
        assert_eq!(script.option("tolerance_usecs"), Some("7000"));
        assert_eq!(script.option("strict_segments"), Some(""));
        assert_eq!(script.option("mtu"), None);
    }

    #[test]
    fn cookie_hex_bytes() {
        let c = |t: &str| Cookie {
            text: t.into(),
            span: Span::default(),
        };
        assert_eq!(
            c("3021b9d8").hex_bytes(),
            Some(vec![0x30, 0x21, 0xb9, 0xd8])
        );
        assert_eq!(c("").hex_bytes(), Some(vec![]));
        assert_eq!(c("abc").hex_bytes(), None);
        assert_eq!(c("TFO_COOKIE").hex_bytes(), None);
    }

    #[test]
    fn ecn_names_round_trip() {
        for e in [Ecn::NotEct, Ecn::Ect0, Ecn::Ect1, Ecn::Ect01, Ecn::Ce] {
            assert_eq!(Ecn::from_name(e.as_str()), Some(e));
        }
        assert_eq!(Ecn::from_name("ect2"), None);
    }
}
