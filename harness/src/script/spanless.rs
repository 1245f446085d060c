//! [`ClearSpans`]: erasing the positions in a tree, so that two trees can
//! be compared for structure only (the printer's round-trip checks).

use super::ast::*;

/// Erases every span (and nothing else), so that two trees can be compared
/// for structure: `a.clear_spans(); b.clear_spans(); a == b`.
pub trait ClearSpans {
    fn clear_spans(&mut self);
}

impl ClearSpans for Span {
    fn clear_spans(&mut self) {
        *self = Span::default();
    }
}

impl<T: ClearSpans> ClearSpans for Option<T> {
    fn clear_spans(&mut self) {
        if let Some(x) = self {
            x.clear_spans();
        }
    }
}

impl<T: ClearSpans> ClearSpans for Vec<T> {
    fn clear_spans(&mut self) {
        self.iter_mut().for_each(ClearSpans::clear_spans);
    }
}

impl<T: ClearSpans> ClearSpans for Box<T> {
    fn clear_spans(&mut self) {
        (**self).clear_spans();
    }
}

/// Implements [`ClearSpans`] for a struct by visiting the listed fields.
macro_rules! clear_fields {
    ($($ty:ty { $($field:ident),* })*) => {$(
        impl ClearSpans for $ty {
            fn clear_spans(&mut self) {
                $( self.$field.clear_spans(); )*
            }
        }
    )*};
}

clear_fields! {
    Script { options, init, events, cleanup, tail }
    Trivia { leading, trailing }
    Comment { span }
    Ident { span }
    Int { span }
    OptionLine { span, trivia }
    ScriptCommand { command, trivia }
    Command { span }
    Code { span }
    Event { time, kind, span, trivia }
    Seconds { span }
    TimePoint { at }
    Packet { encaps, ip, body, span }
    Encap { kind, span }
    Address { span }
    GreField { name, value, span }
    MplsEntry { label, tc, ttl, span }
    IpAttrGroup { attrs, span }
    IpAttr { kind, span }
    Tcp { flags, seq, ack, win, urg, options, span }
    TcpFlags { span }
    SeqRange { start, end, len, span }
    TcpOption { kind, span }
    SackBlock { start, end }
    Cookie { span }
    Udp { len, span }
    OtherPacket { protocol, span }
    Icmp { ty, code, mtu, quoted, span }
    Syscall { end, name, args, result, errno, span }
    Expr { kind, span }
}

impl ClearSpans for EventTime {
    fn clear_spans(&mut self) {
        match self {
            EventTime::Absolute(s) | EventTime::Relative(s) => s.clear_spans(),
            EventTime::Any(s) => s.clear_spans(),
            EventTime::Range { start, end } => {
                start.clear_spans();
                end.clear_spans();
            }
        }
    }
}

impl ClearSpans for EventKind {
    fn clear_spans(&mut self) {
        match self {
            EventKind::Packet(p) => p.clear_spans(),
            EventKind::Syscall(s) => s.clear_spans(),
            EventKind::Command(c) => c.clear_spans(),
            EventKind::Code(c) => c.clear_spans(),
        }
    }
}

impl ClearSpans for EncapKind {
    fn clear_spans(&mut self) {
        match self {
            EncapKind::Ip { src, dst } => {
                src.clear_spans();
                dst.clear_spans();
            }
            EncapKind::Gre(fields) => fields.clear_spans(),
            EncapKind::Mpls(entries) => entries.clear_spans(),
        }
    }
}

impl ClearSpans for NameOrInt {
    fn clear_spans(&mut self) {
        match self {
            NameOrInt::Name(i) => i.clear_spans(),
            NameOrInt::Int(i) => i.clear_spans(),
        }
    }
}

impl ClearSpans for IpAttrKind {
    fn clear_spans(&mut self) {
        match self {
            IpAttrKind::Ecn(_) => {}
            IpAttrKind::Tos(i) | IpAttrKind::FlowLabel(i) | IpAttrKind::Ttl(i) => i.clear_spans(),
            IpAttrKind::Other { name, value } => {
                name.clear_spans();
                value.clear_spans();
            }
        }
    }
}

impl ClearSpans for PacketBody {
    fn clear_spans(&mut self) {
        match self {
            PacketBody::Tcp(t) => t.clear_spans(),
            PacketBody::Udp(u) => u.clear_spans(),
            PacketBody::Icmp(i) => i.clear_spans(),
            PacketBody::Other(o) => o.clear_spans(),
        }
    }
}

impl ClearSpans for TcpOptions {
    fn clear_spans(&mut self) {
        match self {
            TcpOptions::Any(s) => s.clear_spans(),
            TcpOptions::List { options, span } => {
                options.clear_spans();
                span.clear_spans();
            }
        }
    }
}

impl ClearSpans for TcpOptionKind {
    fn clear_spans(&mut self) {
        match self {
            TcpOptionKind::Nop | TcpOptionKind::Eol | TcpOptionKind::SackOk => {}
            TcpOptionKind::Mss(i) | TcpOptionKind::WScale(i) => i.clear_spans(),
            TcpOptionKind::Sack(blocks) => blocks.clear_spans(),
            TcpOptionKind::Timestamp { val, ecr } => {
                val.clear_spans();
                ecr.clear_spans();
            }
            TcpOptionKind::FastOpen(c) | TcpOptionKind::FastOpenExp(c) | TcpOptionKind::Md5(c) => {
                c.clear_spans()
            }
            TcpOptionKind::Other { name, .. } => name.clear_spans(),
        }
    }
}

impl ClearSpans for Quoted {
    fn clear_spans(&mut self) {
        match self {
            Quoted::Tcp(t) => t.clear_spans(),
            Quoted::Udp(u) => u.clear_spans(),
        }
    }
}

impl ClearSpans for ExprKind {
    fn clear_spans(&mut self) {
        match self {
            ExprKind::Int(i) => i.clear_spans(),
            ExprKind::Symbol(i) | ExprKind::Substitution(i) => i.clear_spans(),
            ExprKind::Str { .. } | ExprKind::Ellipsis => {}
            ExprKind::Array(items) | ExprKind::Struct(items) => items.clear_spans(),
            ExprKind::Call { name, args } => {
                name.clear_spans();
                args.clear_spans();
            }
            ExprKind::Field { name, len, value } => {
                name.clear_spans();
                len.clear_spans();
                value.clear_spans();
            }
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.clear_spans();
                rhs.clear_spans();
            }
            ExprKind::Unary { operand, .. } => operand.clear_spans(),
        }
    }
}
