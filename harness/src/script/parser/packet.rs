//! Packet lines: `< [ect0] S 0:0(0) win 32792 <mss 1000,sackOK>`,
//! `> udp (100)`, `< icmp unreachable port [udp (100)]`, encapsulations.

use super::{PResult, Parser};
use crate::script::ast::*;
use crate::script::diag::Diagnostic;
use crate::script::lexer::{Tok, Token};
use std::net::IpAddr;

/// Letters allowed in a TCP flags word (RFC 9293 §3.1 control bits, plus
/// ECE/CWR of RFC 3168 and AE of Accurate ECN as `A`, `N` for the old NS bit).
const FLAG_LETTERS: &str = "FSRPUEWCAN";

impl Parser<'_> {
    pub(super) fn packet(&mut self) -> PResult<Packet> {
        let dir = self.bump();
        let direction = if dir.is_punct('<') {
            Direction::Inbound
        } else {
            Direction::Outbound
        };
        let mut encaps = Vec::new();
        while self.tok.kind == Tok::Word {
            let kw = self.cur().to_ascii_lowercase();
            let start = self.tok.span;
            let kind = match kw.as_str() {
                "ipv4" | "ipv6" => {
                    self.bump();
                    self.encap_ip(kw == "ipv6")?
                }
                "gre" => {
                    self.bump();
                    self.encap_gre()?
                }
                "mpls" => {
                    self.bump();
                    self.encap_mpls()?
                }
                _ => break,
            };
            encaps.push(Encap {
                kind,
                span: start.to(self.last),
            });
        }
        let mut ip = Vec::new();
        while self.at_punct('[') || self.at_punct('(') {
            ip.push(self.ip_attr_group()?);
        }
        let udp_len = self.at_word("udp") && self.udp_len_follows();
        let body = match self.tok.kind {
            // `udp (LEN)`; any other `udp ...` form is another protocol's syntax.
            Tok::Word if udp_len => PacketBody::Udp(self.udp()?),
            Tok::Word if self.cur() == "icmp" || self.cur() == "icmpv6" => {
                PacketBody::Icmp(self.icmp()?)
            }
            Tok::Word if is_protocol_name(self.cur()) => PacketBody::Other(self.other_packet()?),
            Tok::Word | Tok::Punct('.') | Tok::Punct('-') => PacketBody::Tcp(self.tcp(true)?),
            _ => {
                return Err(self.expected(
                    "TCP flags (`S`, `.`, `P.`, ...), `udp`, `icmp` or a protocol name",
                ));
            }
        };
        Ok(Packet {
            direction,
            encaps,
            ip,
            body,
            span: dir.span.to(self.last),
        })
    }

    /// `src > dst:` after `IPV4`/`IPV6`.
    fn encap_ip(&mut self, v6: bool) -> PResult<EncapKind> {
        let src = self.address(v6, false)?;
        self.expect_punct('>', "`>` between the addresses")?;
        let dst = self.address(v6, true)?;
        if !dst.1 {
            self.expect_punct(':', "`:` after the encapsulation")?;
        }
        Ok(EncapKind::Ip {
            src: src.0,
            dst: dst.0,
        })
    }

    /// An address: the run of adjacent tokens that spells it. For the last
    /// address (`b:`) the `:` that ends the encapsulation may be glued on; the
    /// flag says whether it was taken.
    fn address(&mut self, v6: bool, last: bool) -> PResult<(Address, bool)> {
        let first = self.tok;
        if !matches!(
            first.kind,
            Tok::Int | Tok::Word | Tok::Dotted | Tok::Punct(':')
        ) {
            return Err(self.expected(if v6 {
                "an IPv6 address"
            } else {
                "an IPv4 address"
            }));
        }
        let mut span = self.bump().span;
        while !self.tok.space_before
            && matches!(
                self.tok.kind,
                Tok::Int | Tok::Word | Tok::Dotted | Tok::Float | Tok::Punct(':')
            )
        {
            span = span.to(self.bump().span);
        }
        let text = span.text(self.src());
        let parse = |t: &str| t.parse::<IpAddr>().ok().filter(|a| a.is_ipv6() == v6);
        if let Some(addr) = parse(text) {
            return Ok((Address { addr, span }, false));
        }
        if last && let Some(addr) = text.strip_suffix(':').and_then(parse) {
            span.end -= 1;
            return Ok((Address { addr, span }, true));
        }
        let fam = if v6 { "IPv6" } else { "IPv4" };
        Err(Diagnostic::new(
            span,
            format!("`{text}` is not an {fam} address"),
        ))
    }

    /// `gre [name [value]]... :`.
    fn encap_gre(&mut self) -> PResult<EncapKind> {
        let mut fields = Vec::new();
        while !self.at_punct(':') {
            let name = self.ident("a GRE field (`flags`, `proto`, `key`, `seq`, ...) or `:`")?;
            let value = match self.tok.kind {
                Tok::Int => Some(NameOrInt::Int(self.int("a value")?)),
                _ => None,
            };
            let span = name.span.to(self.last);
            fields.push(GreField { name, value, span });
        }
        self.bump();
        Ok(EncapKind::Gre(fields))
    }

    /// `mpls (label N, tc N, [S], ttl N)... :`.
    fn encap_mpls(&mut self) -> PResult<EncapKind> {
        let mut entries = Vec::new();
        while self.at_punct('(') {
            let open = self.bump();
            let mut e = MplsEntry {
                label: None,
                tc: None,
                bottom: false,
                ttl: None,
                span: open.span,
            };
            loop {
                if self.at_punct('[') {
                    self.bump();
                    self.expect_word("S")?;
                    self.expect_punct(']', "`]` after `[S`")?;
                    e.bottom = true;
                } else {
                    let name = self.ident("an MPLS field (`label`, `tc`, `ttl`, `[S]`)")?;
                    let slot = match name.name.as_str() {
                        "label" => &mut e.label,
                        "tc" => &mut e.tc,
                        "ttl" => &mut e.ttl,
                        other => {
                            return Err(Diagnostic::new(
                                name.span,
                                format!("unknown MPLS field `{other}`"),
                            )
                            .with_help("an MPLS entry is (label N, tc N, [S], ttl N)"));
                        }
                    };
                    *slot = Some(self.int("a number")?);
                }
                if !self.eat_punct(',') {
                    break;
                }
            }
            self.expect_punct(')', "`,` or `)` in the MPLS entry")?;
            e.span = open.span.to(self.last);
            entries.push(e);
        }
        if entries.is_empty() {
            return Err(self.expected("an MPLS entry `(label N, tc N, [S], ttl N)`"));
        }
        self.expect_punct(':', "`:` after the MPLS entries")?;
        Ok(EncapKind::Mpls(entries))
    }

    /// `[ect0]`, `(tos 0x10, flowlabel 7)`.
    fn ip_attr_group(&mut self) -> PResult<IpAttrGroup> {
        let open = self.bump();
        let (delim, close) = if open.is_punct('[') {
            (Delim::Square, ']')
        } else {
            (Delim::Paren, ')')
        };
        let mut attrs = Vec::new();
        loop {
            let name =
                self.ident("an IP attribute (`ect0`, `ce`, `tos N`, `ttl N`, `flowlabel N`)")?;
            let value = if self.tok.kind == Tok::Int {
                Some(self.int("a number")?)
            } else {
                None
            };
            let span = name.span.to(self.last);
            let kind = match (name.name.as_str(), value) {
                (n, None) if Ecn::from_name(n).is_some() => {
                    IpAttrKind::Ecn(Ecn::from_name(n).unwrap_or(Ecn::NotEct))
                }
                ("tos", Some(v)) => IpAttrKind::Tos(v),
                ("flowlabel", Some(v)) => IpAttrKind::FlowLabel(v),
                ("ttl", Some(v)) => IpAttrKind::Ttl(v),
                ("tos" | "flowlabel" | "ttl", None) => {
                    return Err(self.expected(&format!("a number after `{}`", name.name)));
                }
                (_, value) => IpAttrKind::Other { name, value },
            };
            attrs.push(IpAttr { kind, span });
            if !self.eat_punct(',') {
                break;
            }
        }
        self.expect_punct(close, &format!("`,` or `{close}`"))?;
        Ok(IpAttrGroup {
            delim,
            attrs,
            span: open.span.to(self.last),
        })
    }

    /// Whether `(` and a number follow the current token.
    fn udp_len_follows(&mut self) -> bool {
        let m = self.lx.mark();
        let (a, b) = (self.lx.next_token(), self.lx.next_token());
        self.lx.reset(m);
        a.is_punct('(') && b.kind == Tok::Int
    }

    /// `udp (LEN)`.
    fn udp(&mut self) -> PResult<Udp> {
        let kw = self.bump();
        self.expect_punct('(', "`(` and the payload length after `udp`")?;
        let len = self.int("the UDP payload length")?;
        self.expect_punct(')', "`)` after the UDP payload length")?;
        Ok(Udp {
            len,
            span: kw.span.to(self.last),
        })
    }

    /// `icmp TYPE [CODE] [mtu N] [[quoted]]`.
    fn icmp(&mut self) -> PResult<Icmp> {
        let kw = self.bump();
        let v6 = self.text(kw) == "icmpv6";
        let ty = self.name_or_int("an ICMP type (`unreachable`, `echo_request`, a number, ...)")?;
        let same_line = |p: &Self| !p.tok.line_start;
        let code = match self.tok.kind {
            Tok::Word if same_line(self) && self.cur() != "mtu" => {
                Some(self.name_or_int("a code")?)
            }
            Tok::Int if same_line(self) => Some(self.name_or_int("a code")?),
            _ => None,
        };
        let mtu = if self.at_word("mtu") {
            self.bump();
            Some(self.int("the MTU after `mtu`")?)
        } else {
            None
        };
        let quoted = if self.at_punct('[') && same_line(self) {
            self.bump();
            let q = if self.at_word("udp") {
                Quoted::Udp(self.udp()?)
            } else {
                Quoted::Tcp(self.tcp(false)?)
            };
            self.expect_punct(']', "`]` after the quoted packet")?;
            Some(q)
        } else {
            None
        };
        Ok(Icmp {
            v6,
            ty,
            code,
            mtu,
            quoted,
            span: kw.span.to(self.last),
        })
    }

    fn name_or_int(&mut self, what: &str) -> PResult<NameOrInt> {
        match self.tok.kind {
            Tok::Word => Ok(NameOrInt::Name(self.ident(what)?)),
            Tok::Int => Ok(NameOrInt::Int(self.int(what)?)),
            _ => Err(self.expected(what)),
        }
    }

    /// `FLAGS START:END(LEN) [ack N] [win N] [urg N] [<options>]`; flags may
    /// be left out where `flags_required` is false.
    pub(super) fn tcp(&mut self, flags_required: bool) -> PResult<Tcp> {
        let first = self.tok.span;
        let flags = if flags_required || self.tok.kind != Tok::Int {
            Some(self.tcp_flags()?)
        } else {
            None
        };
        let seq = self.seq_range()?;
        let mut tcp = Tcp {
            flags,
            seq,
            ack: None,
            win: None,
            urg: None,
            options: None,
            span: first,
        };
        loop {
            let slot = match self.tok.kind {
                Tok::Word if self.cur() == "ack" => &mut tcp.ack,
                Tok::Word if self.cur() == "win" => &mut tcp.win,
                Tok::Word if self.cur() == "urg" => &mut tcp.urg,
                Tok::Punct('<') => {
                    if tcp.options.is_some() {
                        return Err(Diagnostic::new(
                            self.tok.span,
                            "TCP options are given twice",
                        ));
                    }
                    tcp.options = Some(self.tcp_options()?);
                    continue;
                }
                _ => break,
            };
            if slot.is_some() {
                return Err(Diagnostic::new(
                    self.tok.span,
                    format!("`{}` is given twice", self.cur()),
                ));
            }
            let kw = self.bump();
            let what = format!("a number after `{}`", self.text(kw));
            *slot = Some(self.int(&what)?);
        }
        tcp.span = first.to(self.last);
        Ok(tcp)
    }

    /// The flags: adjacent letters, `.` and `-` (`S.`, `FP.`, `.`, `-`).
    fn tcp_flags(&mut self) -> PResult<TcpFlags> {
        if !matches!(self.tok.kind, Tok::Word | Tok::Punct('.') | Tok::Punct('-')) {
            return Err(self.expected("TCP flags (`S`, `.`, `P.`, `-`, ...)"));
        }
        let mut span = self.bump().span;
        while !self.tok.space_before
            && matches!(self.tok.kind, Tok::Word | Tok::Punct('.') | Tok::Punct('-'))
        {
            span = span.to(self.bump().span);
        }
        let text = span.text(self.src());
        if let Some((i, bad)) = text
            .char_indices()
            .find(|(_, c)| !FLAG_LETTERS.contains(*c) && !".-".contains(*c))
        {
            let at = Span {
                start: span.start + i as u32,
                end: span.start + (i + bad.len_utf8()) as u32,
                col: span.col + text[..i].chars().count() as u32,
                ..span
            };
            return Err(Diagnostic::new(at, format!("unknown TCP flag `{bad}`"))
                .with_help("flags are F S R P U E W C A N, `.` for ACK, `-` for none"));
        }
        Ok(TcpFlags {
            text: text.to_string(),
            span,
        })
    }

    /// `START:END(LEN)`.
    fn seq_range(&mut self) -> PResult<SeqRange> {
        let start = self.int("a sequence range `START:END(LEN)`")?;
        self.expect_punct(':', "`:` in the sequence range `START:END(LEN)`")?;
        let end = self.int("the end sequence number")?;
        self.expect_punct('(', "`(` and the payload length")?;
        let len = self.int("the payload length")?;
        self.expect_punct(')', "`)` after the payload length")?;
        let span = start.span.to(self.last);
        Ok(SeqRange {
            start,
            end,
            len,
            span,
        })
    }

    /// `<...>` or `<opt, opt, ...>`.
    fn tcp_options(&mut self) -> PResult<TcpOptions> {
        let open = self.bump();
        if self.tok.kind == Tok::Ellipsis {
            self.bump();
            self.expect_punct('>', "`>` after `<...`")?;
            return Ok(TcpOptions::Any(open.span.to(self.last)));
        }
        let mut options = Vec::new();
        if !self.eat_punct('>') {
            loop {
                options.push(self.tcp_option()?);
                if self.eat_punct('>') {
                    break;
                }
                self.expect_punct(',', "`,` or `>` in the TCP options")?;
            }
        }
        Ok(TcpOptions::List {
            options,
            span: open.span.to(self.last),
        })
    }

    fn tcp_option(&mut self) -> PResult<TcpOption> {
        let name = self.ident("a TCP option (`nop`, `mss N`, `sackOK`, `TS val N ecr N`, ...)")?;
        let kind = match name.name.as_str() {
            "nop" => TcpOptionKind::Nop,
            "eol" => TcpOptionKind::Eol,
            "sackOK" => TcpOptionKind::SackOk,
            "mss" => TcpOptionKind::Mss(self.int("the MSS after `mss`")?),
            "wscale" => TcpOptionKind::WScale(self.int("the shift count after `wscale`")?),
            "sack" => {
                let mut blocks = Vec::new();
                while self.tok.kind == Tok::Int {
                    let start = self.int("a SACK block start")?;
                    self.expect_punct(':', "`:` in the SACK block `START:END`")?;
                    let end = self.int("a SACK block end")?;
                    blocks.push(SackBlock { start, end });
                }
                TcpOptionKind::Sack(blocks)
            }
            "TS" => {
                self.expect_word("val")?;
                let val = self.int("the TS value after `val`")?;
                self.expect_word("ecr")?;
                let ecr = self.int("the TS echo reply after `ecr`")?;
                TcpOptionKind::Timestamp { val, ecr }
            }
            "FO" => TcpOptionKind::FastOpen(self.cookie()),
            "FOEXP" => TcpOptionKind::FastOpenExp(self.cookie()),
            "md5" => TcpOptionKind::Md5(self.cookie()),
            _ => {
                let mut args: Vec<String> = Vec::new();
                // Anything up to a `,` or `>` outside brackets, on this line.
                let mut depth = 0usize;
                loop {
                    let t = self.tok;
                    if depth == 0 && (t.is_punct(',') || t.is_punct('>')) {
                        break;
                    }
                    let ends = matches!(
                        t.kind,
                        Tok::Eof | Tok::Command | Tok::Code | Tok::Unterminated(_)
                    );
                    if t.line_start || ends {
                        return Err(self.expected("`,` or `>` in the TCP options"));
                    }
                    match t.kind {
                        Tok::Punct('(' | '[' | '{') => depth += 1,
                        Tok::Punct(')' | ']' | '}') if depth == 0 => {
                            return Err(self.expected("`,` or `>` in the TCP options"));
                        }
                        Tok::Punct(')' | ']' | '}') => depth -= 1,
                        _ => {}
                    }
                    let t = self.bump();
                    let glue = !t.space_before && !args.is_empty();
                    let text = self.text(t);
                    match args.last_mut() {
                        Some(prev) if glue => prev.push_str(text),
                        _ => args.push(text.to_string()),
                    }
                }
                TcpOptionKind::Other {
                    name: name.clone(),
                    args,
                }
            }
        };
        Ok(TcpOption {
            kind,
            span: name.span.to(self.last),
        })
    }

    /// A packet of a protocol known only by name: its tokens up to the end
    /// of the line, or further while brackets opened on it are open.
    fn other_packet(&mut self) -> PResult<OtherPacket> {
        let kw = self.bump();
        let protocol = Ident {
            name: self.text(kw).to_string(),
            span: kw.span,
        };
        let mut text = protocol.name.clone();
        let mut open: Vec<Token> = Vec::new();
        loop {
            let t = self.tok;
            let at_end = t.kind == Tok::Eof || (t.line_start && open.is_empty());
            if at_end && open.is_empty() {
                break;
            }
            // A line that starts like an event ends the packet, closed or not.
            let next_event = t.line_start && super::starts_event(t);
            if let Some(o) = open.last().filter(|_| next_event || t.kind == Tok::Eof) {
                let c = self.text(*o);
                return Err(Diagnostic::new(o.span, format!("`{c}` is not closed")));
            }
            match t.kind {
                Tok::Command | Tok::Code | Tok::Unterminated(_) => {
                    return Err(self.expected("the end of the line"));
                }
                Tok::Punct('(' | '[' | '{') => open.push(t),
                Tok::Punct(c @ (')' | ']' | '}')) => {
                    let want = match open.pop() {
                        Some(o) if o.is_punct('(') => ')',
                        Some(o) if o.is_punct('[') => ']',
                        Some(_) => '}',
                        None => return Err(self.expected("the end of the line")),
                    };
                    if c != want {
                        return Err(self.expected(&format!("`{want}`")));
                    }
                }
                _ => {}
            }
            if t.space_before {
                text.push(' ');
            }
            text.push_str(self.text(t));
            self.bump();
        }
        Ok(OtherPacket {
            protocol,
            text,
            span: kw.span.to(self.last),
        })
    }

    /// A cookie or digest after `FO`, `FOEXP`, `md5`, if one is written.
    fn cookie(&mut self) -> Option<Cookie> {
        if !matches!(self.tok.kind, Tok::Int | Tok::Word) || self.tok.line_start {
            return None;
        }
        let t = self.bump();
        Some(Cookie {
            text: self.text(t).to_string(),
            span: t.span,
        })
    }
}

/// A lower-case word that names a protocol after the packet prefix (TCP
/// flags are upper-case).
fn is_protocol_name(w: &str) -> bool {
    w.starts_with(|c: char| c.is_ascii_lowercase())
        && w.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
