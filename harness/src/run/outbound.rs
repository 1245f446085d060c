//! Outbound packet lines (`>`) against what the stack sent, field by field,
//! in script numbering.
//!
//! Checked: the protocol; for TCP the flags, sequence range and length, and —
//! when the line writes them — `ack`, `win`, `urg` and the options in order
//! with their values (`<...>` accepts any); for UDP the payload length; for
//! ICMP the type, code and MTU; the addresses; the IP attributes the line
//! writes (ECN, TOS, TTL, flow label); the checksums. Following packetdrill,
//! the stack's TS `val` is only checked when `--tcp_ts_tick_usecs` gives its
//! clock rate (then within the time tolerance); `ecr` echoes the harness's
//! own value and is checked exactly.

use super::args::{ArgError, Defines};
use super::icmp;
use super::inbound::{cookie, ecn_bits, ip_attrs, seq_range, tcp_flags, u32_of};
use super::mapping::{FlowId, Mapping, Proto};
use super::show;
use super::verdict::FieldDiff;
use crate::script::ast::{self, Ecn, Packet, PacketBody, TcpOptionKind, TcpOptions as AstOptions};
use crate::target::NetConfig;
use netdrill_stack::wire::{ChecksumMode, IpDatagram, IpRepr, TcpOption, TcpRepr, UpperRepr};
use std::net::IpAddr;

/// What comparing needs besides the line and the packet.
pub struct Outbound<'a> {
    pub net: &'a NetConfig,
    pub defines: &'a Defines,
    /// `--tcp_ts_tick_usecs`: the stack's TS clock period, if given.
    pub ts_tick_usecs: Option<u64>,
    /// The time tolerance, which bounds TS val drift when the tick is known.
    pub tolerance_usecs: u64,
}

/// The result of a comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compared {
    pub diffs: Vec<FieldDiff>,
    /// The live packet in script form and numbering.
    pub actual: String,
}

/// A live datagram the stack sent, parsed; `None` for packets that are not
/// part of any script's conversation (IPv6 neighbour discovery, MLD).
pub fn parse(bytes: &[u8]) -> Result<Option<IpDatagram<'_>>, String> {
    let d = IpDatagram::parse(bytes, ChecksumMode::Verify)
        .map_err(|e| format!("the stack sent a malformed packet: {e}"))?;
    if let UpperRepr::Icmpv6(_) = d.upper {
        if let Some((_, ty, _, _)) = icmp::live_type_code(&d.upper) {
            // RFC 4861 §4 (NDP, 133-137) and RFC 2710/3810 (MLD, 130-132, 143).
            if (130..=137).contains(&ty) || ty == 143 {
                return Ok(None);
            }
        }
    }
    Ok(Some(d))
}

/// The TCP payload length of a live datagram (0 for anything else).
pub fn tcp_payload_len(bytes: &[u8]) -> usize {
    match IpDatagram::parse(bytes, ChecksumMode::Verify).map(|d| d.upper) {
        Ok(UpperRepr::Tcp(t)) => t.payload.len(),
        _ => 0,
    }
}

/// The flow a live datagram belongs to, learning what it teaches (the ISN
/// from a SYN; the TS offset when `ts_script` gives the script's value).
pub fn flow_of(d: &IpDatagram<'_>, map: &mut Mapping, expected: Option<&Packet>) -> Option<FlowId> {
    match &d.upper {
        UpperRepr::Tcp(t) => {
            let f = map.flow_for_outbound(Proto::Tcp, t.src_port, t.dst_port);
            let ts = match (t.options.timestamps(), expected.and_then(expected_ts_val)) {
                (Some((val, _)), Some(script)) => Some((val, script)),
                _ => None,
            };
            map.learn_outbound(
                f,
                t.flags.syn(),
                t.seq,
                expected.and_then(expected_syn_seq),
                ts,
            );
            Some(f)
        }
        UpperRepr::Udp(u) => Some(map.flow_for_outbound(Proto::Udp, u.src_port, u.dst_port)),
        _ => None,
    }
}

/// The sequence number a SYN line writes (what the script calls the ISN).
fn expected_syn_seq(p: &Packet) -> Option<u32> {
    let PacketBody::Tcp(t) = &p.body else {
        return None;
    };
    let syn = t.flags.as_ref().is_some_and(|f| f.has('S'));
    if syn { t.seq.start.as_u32() } else { None }
}

fn diff(field: &str, expected: impl ToString, actual: impl ToString) -> FieldDiff {
    FieldDiff {
        field: field.into(),
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

/// The script TS val of an expected line, if it has a TS option.
fn expected_ts_val(p: &Packet) -> Option<u32> {
    let PacketBody::Tcp(t) = &p.body else {
        return None;
    };
    let Some(AstOptions::List { options, .. }) = &t.options else {
        return None;
    };
    options.iter().find_map(|o| match &o.kind {
        TcpOptionKind::Timestamp { val, .. } => val.as_u32(),
        _ => None,
    })
}

impl Outbound<'_> {
    /// Compares an expected line with a live datagram (learning the mapping).
    pub fn compare(
        &self,
        p: &Packet,
        d: &IpDatagram<'_>,
        map: &mut Mapping,
    ) -> Result<Compared, ArgError> {
        if let Some(e) = p.encaps.first() {
            return Err(ArgError::unsupported(
                "encapsulation on an outbound packet",
                e.span,
            ));
        }
        if let PacketBody::Other(o) = &p.body {
            let what = format!("{} packets", o.protocol.name);
            return Err(ArgError::unsupported(what, o.span));
        }
        let flow = flow_of(d, map, Some(p));
        let mut diffs = Vec::new();
        self.check_ip(p, d, &mut diffs)?;
        check_port(p, d, &mut diffs)?;
        match (&p.body, &d.upper) {
            (PacketBody::Tcp(want), UpperRepr::Tcp(got)) => {
                if let Some(f) = flow {
                    self.check_tcp(want, got, map, f, &mut diffs)?;
                }
            }
            (PacketBody::Udp(want), UpperRepr::Udp(got)) => {
                if want.len.value != got.payload.len() as i128 {
                    diffs.push(diff("length", &want.len.text, got.payload.len()));
                }
                if !got.checksum.is_acceptable() {
                    diffs.push(diff("checksum", "valid", format!("{:?}", got.checksum)));
                }
            }
            (PacketBody::Icmp(want), got @ (UpperRepr::Icmpv4(_) | UpperRepr::Icmpv6(_))) => {
                let v6 = matches!(d.ip, IpRepr::V6(_));
                let m = icmp::message(want, v6, self.defines)?;
                if let Some((_, ty, code, mtu)) = icmp::live_type_code(got) {
                    if (m.ty, m.code) != (ty, code) {
                        diffs.push(diff(
                            "icmp",
                            icmp::show(v6, m.ty, m.code),
                            icmp::show(v6, ty, code),
                        ));
                    }
                    if let (Some(w), Some(g)) = (m.mtu, mtu) {
                        if w != g {
                            diffs.push(diff("mtu", w, g));
                        }
                    }
                }
            }
            (want, _) => {
                let want = match want {
                    PacketBody::Tcp(_) => "tcp",
                    PacketBody::Udp(_) => "udp",
                    PacketBody::Icmp(_) => "icmp",
                    PacketBody::Other(o) => &o.protocol.name,
                };
                diffs.push(diff("protocol", want, d.ip.protocol()));
            }
        }
        Ok(Compared {
            diffs,
            actual: show::outbound(d, map, flow),
        })
    }

    fn check_ip(
        &self,
        p: &Packet,
        d: &IpDatagram<'_>,
        diffs: &mut Vec<FieldDiff>,
    ) -> Result<(), ArgError> {
        let (src, dst) = (d.ip.src_addr(), d.ip.dst_addr());
        let want_src = wire_addr(self.net.local_ip);
        let want_dst = wire_addr(self.net.remote_ip);
        if src != want_src || dst != want_dst {
            diffs.push(diff(
                "addresses",
                format!("{want_src} > {want_dst}"),
                format!("{src} > {dst}"),
            ));
        }
        if let IpRepr::V4(r) = &d.ip {
            if !r.checksum.is_acceptable() {
                diffs.push(diff("ip checksum", "valid", format!("{:?}", r.checksum)));
            }
        }
        let a = ip_attrs(p)?;
        let (tos, ttl, flow_label) = match &d.ip {
            IpRepr::V4(r) => ((r.dscp << 2) | r.ecn, r.ttl, None),
            IpRepr::V6(r) => (r.traffic_class, r.hop_limit, Some(r.flow_label)),
        };
        if let Some(e) = a.ecn {
            let got = tos & 3;
            let ok = match e {
                Ecn::Ect01 => got == 1 || got == 2,
                e => got == ecn_bits(e),
            };
            if !ok {
                diffs.push(diff("ecn", e.as_str(), ecn_name(got)));
            }
        }
        if let Some(t) = a.tos {
            if t != tos {
                diffs.push(diff("tos", format!("{t:#04x}"), format!("{tos:#04x}")));
            }
        }
        if let Some(t) = a.ttl {
            if t != ttl {
                diffs.push(diff("ttl", t, ttl));
            }
        }
        if let Some(fl) = a.flow_label {
            match flow_label {
                Some(g) if g == fl => {}
                Some(g) => diffs.push(diff("flowlabel", format!("{fl:#x}"), format!("{g:#x}"))),
                None => return Err(ArgError::script("flowlabel on an IPv4 packet", p.span)),
            }
        }
        Ok(())
    }

    fn check_tcp(
        &self,
        want: &ast::Tcp,
        got: &TcpRepr<'_>,
        map: &Mapping,
        f: FlowId,
        diffs: &mut Vec<FieldDiff>,
    ) -> Result<(), ArgError> {
        let flags = tcp_flags(want)?;
        if flags != got.flags {
            let show_flags = |s: String| if s.is_empty() { "-".to_string() } else { s };
            diffs.push(diff(
                "flags",
                show_flags(flags.to_string()),
                show_flags(got.flags.to_string()),
            ));
        }
        let (seq, len) = seq_range(&want.seq)?;
        // Numbers on a SYN line are written in full, elsewhere from the ISN.
        let syn_line = flags.syn();
        let got_seq = map.local_seq_to_script(f, got.seq, syn_line);
        let got_len = got.payload.len();
        if seq != got_seq || len != got_len {
            diffs.push(diff(
                "seq",
                format!("{}:{}({})", seq, seq.wrapping_add(len as u32), len),
                format!(
                    "{}:{}({})",
                    got_seq,
                    got_seq.wrapping_add(got_len as u32),
                    got_len
                ),
            ));
        }
        if let Some(a) = &want.ack {
            let a = u32_of(a)?;
            let got_ack = map.remote_seq_to_script(f, got.ack, syn_line);
            if !got.flags.ack() || got_ack != a {
                let actual = if got.flags.ack() {
                    got_ack.to_string()
                } else {
                    "none (no ACK flag)".into()
                };
                diffs.push(diff("ack", a, actual));
            }
        }
        if let Some(w) = &want.win {
            if w.value != i128::from(got.window) {
                diffs.push(diff("win", &w.text, got.window));
            }
        }
        if let Some(u) = &want.urg {
            if u.value != i128::from(got.urgent) {
                diffs.push(diff("urg", &u.text, got.urgent));
            }
        }
        if !got.checksum.is_acceptable() {
            diffs.push(diff("checksum", "valid", format!("{:?}", got.checksum)));
        }
        if let Some(AstOptions::List { options, .. }) = &want.options {
            self.check_options(options, got, map, f, diffs)?;
        }
        Ok(())
    }

    fn check_options(
        &self,
        want: &[ast::TcpOption],
        got: &TcpRepr<'_>,
        map: &Mapping,
        f: FlowId,
        diffs: &mut Vec<FieldDiff>,
    ) -> Result<(), ArgError> {
        let mut live: Vec<TcpOption<'_>> = got.options.iter().collect();
        // Padding after the last option is not part of the list the script writes.
        while matches!(live.last(), Some(TcpOption::Eol))
            && !matches!(want.last().map(|o| &o.kind), Some(TcpOptionKind::Eol))
        {
            live.pop();
        }
        let mut ok = want.len() == live.len();
        if ok {
            for (w, g) in want.iter().zip(&live) {
                if !self.option_matches(w, g, map, f)? {
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            let want_text: Vec<String> = want.iter().map(option_text).collect();
            let got_text = show::options(got, map, Some(f));
            diffs.push(diff(
                "options",
                format!("<{}>", want_text.join(",")),
                format!("<{}>", got_text.join(",")),
            ));
        }
        Ok(())
    }

    fn option_matches(
        &self,
        w: &ast::TcpOption,
        g: &TcpOption<'_>,
        map: &Mapping,
        f: FlowId,
    ) -> Result<bool, ArgError> {
        Ok(match (&w.kind, g) {
            (TcpOptionKind::Nop, TcpOption::Nop)
            | (TcpOptionKind::Eol, TcpOption::Eol)
            | (TcpOptionKind::SackOk, TcpOption::SackPermitted) => true,
            (TcpOptionKind::Mss(v), TcpOption::Mss(m)) => v.value == i128::from(*m),
            (TcpOptionKind::WScale(v), TcpOption::WindowScale(s)) => v.value == i128::from(*s),
            (TcpOptionKind::Sack(blocks), TcpOption::Sack(got)) => {
                let got = got.as_slice();
                blocks.len() == got.len()
                    && blocks.iter().zip(got).all(|(b, (l, r))| {
                        let script = |x: u32| Some(map.remote_seq_to_script(f, x, false));
                        b.start.as_u32() == script(*l) && b.end.as_u32() == script(*r)
                    })
            }
            (TcpOptionKind::Timestamp { val, ecr }, TcpOption::Timestamps { tsval, tsecr }) => {
                ecr.as_u32() == Some(*tsecr) && self.ts_val_ok(u32_of(val)?, *tsval, map, f)
            }
            (TcpOptionKind::FastOpen(c), TcpOption::FastOpen(got))
            | (TcpOptionKind::FastOpenExp(c), TcpOption::FastOpenExp(got)) => {
                cookie(self.defines, c.as_ref())? == *got
            }
            (TcpOptionKind::Md5(c), TcpOption::Md5(got)) => match c {
                // The digest depends on the key; without one written, only its presence is checked.
                None => true,
                Some(c) => cookie(self.defines, Some(c))? == got[..],
            },
            (TcpOptionKind::Other { name, .. }, _) => {
                return Err(ArgError::unsupported(
                    format!("TCP option {}", name.name),
                    name.span,
                ));
            }
            _ => false,
        })
    }

    /// packetdrill checks the stack's TS val only against a known clock rate.
    fn ts_val_ok(&self, script: u32, live: u32, map: &Mapping, f: FlowId) -> bool {
        let Some(tick) = self.ts_tick_usecs.filter(|&t| t > 0) else {
            return true;
        };
        let got = map.ts_val_to_script(f, live);
        let slack = self.tolerance_usecs.div_ceil(tick) + 1;
        u64::from(got.wrapping_sub(script).min(script.wrapping_sub(got))) <= slack
    }
}

/// `(port N)` (netdrill's extension): the packet must go to the harness's
/// port N, the connection the line names.
fn check_port(p: &Packet, d: &IpDatagram<'_>, diffs: &mut Vec<FieldDiff>) -> Result<(), ArgError> {
    let Some(want) = ip_attrs(p)?.port else {
        return Ok(());
    };
    let got = match &d.upper {
        UpperRepr::Tcp(t) => t.dst_port,
        UpperRepr::Udp(u) => u.dst_port,
        _ if matches!(p.body, PacketBody::Icmp(_)) => {
            return Err(ArgError::unsupported(
                "(port N) on an outbound ICMP packet",
                p.span,
            ));
        }
        // A packet of another protocol: the protocol diff says so.
        _ => return Ok(()),
    };
    if got != want {
        diffs.push(diff("port", want, got));
    }
    Ok(())
}

fn ecn_name(bits: u8) -> &'static str {
    match bits {
        0 => "noecn",
        1 => "ect1",
        2 => "ect0",
        _ => "ce",
    }
}

/// The address as it appears in packets: IPv4 for an IPv4-mapped address.
pub fn wire_addr(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// An expected option as the script writes it.
pub fn option_text(o: &ast::TcpOption) -> String {
    match &o.kind {
        TcpOptionKind::Nop => "nop".into(),
        TcpOptionKind::Eol => "eol".into(),
        TcpOptionKind::Mss(v) => format!("mss {}", v.text),
        TcpOptionKind::WScale(v) => format!("wscale {}", v.text),
        TcpOptionKind::SackOk => "sackOK".into(),
        TcpOptionKind::Sack(b) => {
            let blocks: Vec<String> = b
                .iter()
                .map(|b| format!("{}:{}", b.start.text, b.end.text))
                .collect();
            format!("sack {}", blocks.join(" "))
        }
        TcpOptionKind::Timestamp { val, ecr } => format!("TS val {} ecr {}", val.text, ecr.text),
        TcpOptionKind::FastOpen(c) => c.as_ref().map_or("FO".into(), |c| format!("FO {}", c.text)),
        TcpOptionKind::FastOpenExp(c) => c
            .as_ref()
            .map_or("FOEXP".into(), |c| format!("FOEXP {}", c.text)),
        TcpOptionKind::Md5(c) => c
            .as_ref()
            .map_or("md5".into(), |c| format!("md5 {}", c.text)),
        TcpOptionKind::Other { name, args } => format!("{} {}", name.name, args.join(" ")),
    }
}
