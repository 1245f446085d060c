//! Inbound packet lines (`<`) → the live IP datagram the harness injects.
//!
//! Addresses come from the [`NetConfig`] (the harness is `remote_ip`, the
//! stack `local_ip`), ports from the connection the [`Mapping`] picks, the
//! stack's numbers (`ack`, SACK edges, TS `ecr`, the sequence number quoted in
//! an ICMP error) are shifted into live numbering, checksums are computed by
//! the wire codec. Fields a line leaves out get packetdrill's defaults: a
//! window of 65535, no options, TTL 64, ECN not-ECT, TOS 0, flow label 0.

use super::args::{ArgError, Defines};
use super::icmp;
use super::mapping::{FlowId, Mapping, Proto};
use crate::script::ast::{
    self, Cookie, Ecn, IpAttrKind, Packet, PacketBody, Quoted, TcpOptionKind,
    TcpOptions as AstOptions,
};
use crate::target::NetConfig;
use netdrill_stack::wire::{
    Checksum, IpDatagram, IpProtocol, IpRepr, Ipv4Repr, Ipv6ExtHeaders, Ipv6Repr, SackBlocks,
    TcpFlags, TcpOption, TcpOptions, TcpRepr, UdpRepr, UpperRepr,
};
use std::net::{IpAddr, Ipv4Addr};

/// The receive window an inbound TCP line without `win` advertises.
pub const DEFAULT_WINDOW: u16 = 65535;
/// TTL / hop limit of injected packets.
pub const DEFAULT_TTL: u8 = 64;

/// The IP header fields a line can set (`[ect0]`, `(tos 0x10)`, ...).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpAttrs {
    pub ecn: Option<Ecn>,
    pub tos: Option<u8>,
    pub ttl: Option<u8>,
    pub flow_label: Option<u32>,
    /// `(port N)`: netdrill's extension naming the remote (script-side)
    /// port of the packet (harness/SCRIPT-EXTENSIONS.md).
    pub port: Option<u16>,
}

/// Reads the IP attribute groups of a packet line.
pub fn ip_attrs(p: &Packet) -> Result<IpAttrs, ArgError> {
    let mut a = IpAttrs::default();
    for g in &p.ip {
        for attr in &g.attrs {
            let small = |i: &ast::Int, max: i128| {
                (0..=max)
                    .contains(&i.value)
                    .then_some(i.value)
                    .ok_or_else(|| ArgError::script(format!("{} is out of range", i.text), i.span))
            };
            match &attr.kind {
                IpAttrKind::Ecn(e) => a.ecn = Some(*e),
                IpAttrKind::Tos(i) => a.tos = Some(small(i, 0xff)? as u8),
                IpAttrKind::Ttl(i) => a.ttl = Some(small(i, 0xff)? as u8),
                IpAttrKind::FlowLabel(i) => a.flow_label = Some(small(i, 0xf_ffff)? as u32),
                IpAttrKind::Other { name, value } if name.name == "port" => {
                    let Some(v) = value else {
                        return Err(ArgError::script("`port` needs a port number", name.span));
                    };
                    a.port = Some(u16::try_from(v.value).ok().filter(|&p| p != 0).ok_or_else(
                        || ArgError::script(format!("port {} is not 1 to 65535", v.text), v.span),
                    )?);
                }
                IpAttrKind::Other { name, .. } => {
                    return Err(ArgError::unsupported(
                        format!("IP attribute {}", name.name),
                        name.span,
                    ));
                }
            }
        }
    }
    Ok(a)
}

/// The two ECN bits of a codepoint (RFC 3168 §5).
pub fn ecn_bits(e: Ecn) -> u8 {
    match e {
        Ecn::NotEct => 0b00,
        Ecn::Ect1 => 0b01,
        Ecn::Ect0 | Ecn::Ect01 => 0b10,
        Ecn::Ce => 0b11,
    }
}

/// What building an inbound packet needs.
pub struct Inbound<'a> {
    pub net: &'a NetConfig,
    pub defines: &'a Defines,
    /// `--tcp_ts_ecr_scaled`: a TS ecr no outbound line wrote is shifted by
    /// the first TS offset instead of being an error.
    pub ts_ecr_scaled: bool,
}

/// A built packet, and the connection it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Built {
    pub bytes: Vec<u8>,
    pub flow: FlowId,
}

impl Inbound<'_> {
    /// Builds the live datagram for an inbound line.
    pub fn build(&self, p: &Packet, map: &mut Mapping) -> Result<Built, ArgError> {
        if let Some(e) = p.encaps.first() {
            let what = match e.kind {
                ast::EncapKind::Ip { .. } => "outer IP header",
                ast::EncapKind::Gre(_) => "GRE encapsulation",
                ast::EncapKind::Mpls(_) => "MPLS encapsulation",
            };
            return Err(ArgError::unsupported(what, e.span));
        }
        let attrs = ip_attrs(p)?;
        let mut payload_buf = Vec::new();
        let mut options_buf = Vec::new();
        let (upper, flow, protocol) = match &p.body {
            PacketBody::Other(o) => {
                let what = format!("{} packets", o.protocol.name);
                return Err(ArgError::unsupported(what, o.span));
            }
            PacketBody::Tcp(t) => {
                let flow = map.flow_for_inbound_line(Proto::Tcp, attrs.port);
                let repr = self.tcp(t, map, flow, &mut payload_buf, &mut options_buf)?;
                (Upper::Tcp(repr), flow, IpProtocol::TCP)
            }
            PacketBody::Udp(u) => {
                let flow = map.flow_for_inbound_line(Proto::Udp, attrs.port);
                let len = usize::try_from(u.len.value)
                    .map_err(|_| ArgError::script("negative UDP length", u.len.span))?;
                payload_buf.resize(len, 0);
                let f = map.flow(flow);
                (
                    Upper::Udp(f.remote_port, f.local_port),
                    flow,
                    IpProtocol::UDP,
                )
            }
            PacketBody::Icmp(i) => {
                let flow = match (attrs.port, map.current()) {
                    // An error about a named connection quotes its packets.
                    (Some(port), _) => {
                        let proto = match &i.quoted {
                            Some(Quoted::Udp(_)) => Proto::Udp,
                            _ => Proto::Tcp,
                        };
                        map.flow_for_named_port(proto, port)
                    }
                    (None, super::mapping::Current::Flow(f)) => f,
                    (None, _) => map.flow_for_inbound(Proto::Tcp),
                };
                let quote = self.quote(i, map, flow)?;
                payload_buf = quote;
                let v6 = self.net.ip_version == crate::target::IpVersion::Ipv6;
                let msg = icmp::message(i, v6, self.defines)?;
                (
                    Upper::Icmp(msg),
                    flow,
                    if v6 {
                        IpProtocol::ICMPV6
                    } else {
                        IpProtocol::ICMP
                    },
                )
            }
        };
        let ip = self.ip_header(&attrs, protocol);
        let upper = match upper {
            Upper::Tcp(mut r) => {
                r.payload = &payload_buf;
                r.options = TcpOptions::from_options(
                    &options_buf.iter().map(Opt::as_option).collect::<Vec<_>>(),
                )
                .map_err(|e| ArgError::script(format!("TCP options do not fit: {e}"), p.span))?;
                UpperRepr::Tcp(r)
            }
            Upper::Udp(src_port, dst_port) => UpperRepr::Udp(UdpRepr {
                src_port,
                dst_port,
                checksum: Checksum::Valid,
                payload: &payload_buf,
            }),
            Upper::Icmp(m) => icmp::repr(m, &payload_buf),
        };
        let bytes = IpDatagram { ip, upper }
            .to_bytes()
            .map_err(|e| ArgError::script(format!("packet cannot be built: {e}"), p.span))?;
        Ok(Built { bytes, flow })
    }

    fn tcp<'p>(
        &self,
        t: &ast::Tcp,
        map: &mut Mapping,
        flow: FlowId,
        payload: &mut Vec<u8>,
        options: &mut Vec<Opt>,
    ) -> Result<TcpRepr<'p>, ArgError> {
        let flags = tcp_flags(t)?;
        let (seq, len) = seq_range(&t.seq)?;
        payload.resize(len, 0);
        // A SYN line writes its numbers in full and names the harness's ISN.
        let syn_line = flags.syn();
        if syn_line {
            map.learn_remote_isn(flow, seq);
        }
        let seq = map.remote_seq_to_live(flow, seq, syn_line);
        let map = &*map;
        let f = map.flow(flow);
        let ack = match &t.ack {
            Some(a) => map.local_seq_to_live(flow, u32_of(a)?, syn_line),
            None => 0,
        };
        let window = match &t.win {
            Some(w) => u16::try_from(w.value).map_err(|_| {
                ArgError::script(format!("window {} does not fit 16 bits", w.text), w.span)
            })?,
            None => DEFAULT_WINDOW,
        };
        let urgent = match &t.urg {
            Some(u) => u16::try_from(u.value).map_err(|_| {
                ArgError::script(
                    format!("urgent pointer {} does not fit 16 bits", u.text),
                    u.span,
                )
            })?,
            None => 0,
        };
        match &t.options {
            None => {}
            Some(AstOptions::Any(span)) => {
                return Err(ArgError::script(
                    "<...> (any options) can only be expected, not sent",
                    *span,
                ));
            }
            Some(AstOptions::List { options: list, .. }) => {
                for o in list {
                    options.push(self.option(o, map, flow, flags.ack())?);
                }
            }
        }
        Ok(TcpRepr {
            src_port: f.remote_port,
            dst_port: f.local_port,
            seq,
            ack,
            flags,
            window,
            checksum: Checksum::Valid,
            urgent,
            options: TcpOptions::default(),
            payload: &[],
        })
    }

    fn option(
        &self,
        o: &ast::TcpOption,
        map: &Mapping,
        flow: FlowId,
        ack: bool,
    ) -> Result<Opt, ArgError> {
        Ok(match &o.kind {
            TcpOptionKind::Nop => Opt::Nop,
            TcpOptionKind::Eol => Opt::Eol,
            TcpOptionKind::Mss(v) => Opt::Mss(
                u16::try_from(v.value)
                    .map_err(|_| ArgError::script("mss does not fit 16 bits", v.span))?,
            ),
            TcpOptionKind::WScale(v) => Opt::WScale(
                u8::try_from(v.value)
                    .map_err(|_| ArgError::script("wscale does not fit 8 bits", v.span))?,
            ),
            TcpOptionKind::SackOk => Opt::SackOk,
            TcpOptionKind::Sack(blocks) => {
                let mut live = Vec::new();
                for b in blocks {
                    live.push((
                        map.local_seq_to_live(flow, u32_of(&b.start)?, false),
                        map.local_seq_to_live(flow, u32_of(&b.end)?, false),
                    ));
                }
                Opt::Sack(
                    SackBlocks::new(&live)
                        .map_err(|_| ArgError::script("at most 4 SACK blocks fit", o.span))?,
                )
            }
            // packetdrill: the ecr of a segment with ACK echoes one of the
            // stack's TS vals; without ACK it is sent as written.
            TcpOptionKind::Timestamp { val, ecr } => {
                let script = u32_of(ecr)?;
                let live = if ack {
                    map.ts_ecr_to_live(flow, script, self.ts_ecr_scaled)
                        .ok_or_else(|| {
                            ArgError::script(
                                format!(
                                    "TS ecr {script} echoes no TS val an outbound line of this connection wrote (--tcp_ts_ecr_scaled would shift it by the first TS val's offset)"
                                ),
                                ecr.span,
                            )
                        })?
                } else {
                    script
                };
                Opt::Ts(u32_of(val)?, live)
            }
            TcpOptionKind::FastOpen(c) => Opt::Fo(cookie(self.defines, c.as_ref())?),
            TcpOptionKind::FastOpenExp(c) => Opt::FoExp(cookie(self.defines, c.as_ref())?),
            TcpOptionKind::Md5(c) => {
                let b = cookie(self.defines, c.as_ref())?;
                let mut d = [0u8; 16];
                if b.len() > 16 {
                    return Err(ArgError::script("an MD5 digest has 16 bytes", o.span));
                }
                d[..b.len()].copy_from_slice(&b);
                Opt::Md5(d)
            }
            TcpOptionKind::Other { name, .. } => {
                return Err(ArgError::unsupported(
                    format!("TCP option {}", name.name),
                    name.span,
                ));
            }
        })
    }

    fn ip_header(&self, a: &IpAttrs, protocol: IpProtocol) -> IpRepr<'static> {
        let tos = a.tos.unwrap_or(0);
        let (dscp, ecn) = (tos >> 2, a.ecn.map_or(tos & 3, ecn_bits));
        let ttl = a.ttl.unwrap_or(DEFAULT_TTL);
        match (self.net.remote_ip, self.net.local_ip) {
            (IpAddr::V6(src), IpAddr::V6(dst)) => IpRepr::V6(Ipv6Repr {
                src,
                dst,
                traffic_class: (dscp << 2) | ecn,
                flow_label: a.flow_label.unwrap_or(0),
                hop_limit: ttl,
                ext_headers: Ipv6ExtHeaders::NONE,
                next_header: protocol,
                payload_len: 0,
            }),
            (src, dst) => IpRepr::V4(Ipv4Repr {
                dscp,
                ecn,
                ttl,
                ..Ipv4Repr::new(v4(src), v4(dst), protocol)
            }),
        }
    }

    /// The datagram an inbound ICMP error quotes: as the stack sent it
    /// (local → remote), IP header plus the transport header.
    fn quote(&self, i: &ast::Icmp, map: &Mapping, flow: FlowId) -> Result<Vec<u8>, ArgError> {
        let f = map.flow(flow).clone();
        // Without a quoted packet, the error is about the flow's last datagram.
        let udp_len = match &i.quoted {
            Some(Quoted::Udp(u)) => Some(
                usize::try_from(u.len.value)
                    .map_err(|_| ArgError::script("negative UDP length", u.len.span))?,
            ),
            None if f.proto == Proto::Udp => Some(0),
            _ => None,
        };
        let mut hdr = match (&i.quoted, udp_len) {
            (_, Some(len)) => {
                let mut h = Vec::with_capacity(8);
                h.extend_from_slice(&f.local_port.to_be_bytes());
                h.extend_from_slice(&f.remote_port.to_be_bytes());
                h.extend_from_slice(&((len + 8).min(0xffff) as u16).to_be_bytes());
                h.extend_from_slice(&[0, 0]);
                (h, IpProtocol::UDP, len + 8)
            }
            (quoted, None) => {
                let (seq, len, flags, ack) = match quoted {
                    Some(Quoted::Tcp(t)) => {
                        let (s, l) = seq_range(&t.seq)?;
                        let flags = if t.flags.is_some() {
                            tcp_flags(t)?
                        } else {
                            TcpFlags::ACK
                        };
                        let syn = flags.syn();
                        let ack = t.ack.as_ref().map(u32_of).transpose()?.unwrap_or(0);
                        let ack = map.remote_seq_to_live(flow, ack, syn);
                        (map.local_seq_to_live(flow, s, syn), l, flags, ack)
                    }
                    _ => (
                        f.last_out_seq
                            .unwrap_or_else(|| map.local_seq_to_live(flow, 0, false)),
                        0,
                        TcpFlags::ACK,
                        0,
                    ),
                };
                let repr = TcpRepr {
                    src_port: f.local_port,
                    dst_port: f.remote_port,
                    seq,
                    ack,
                    flags,
                    window: 0,
                    checksum: Checksum::Unverified { found: 0 },
                    urgent: 0,
                    options: TcpOptions::default(),
                    payload: &[],
                };
                let mut h = vec![0; repr.buffer_len()];
                let pseudo = self
                    .ip_header(&IpAttrs::default(), IpProtocol::TCP)
                    .pseudo_header();
                repr.emit(&mut h, &pseudo)
                    .map_err(|e| ArgError::script(format!("quoted packet: {e}"), i.span))?;
                (h, IpProtocol::TCP, 20 + len)
            }
        };
        // The quoted IP header, addressed as the stack sent it.
        let mut ip = self.ip_header(&IpAttrs::default(), hdr.1);
        match &mut ip {
            IpRepr::V4(r) => {
                std::mem::swap(&mut r.src, &mut r.dst);
                r.payload_len = hdr.2;
            }
            IpRepr::V6(r) => {
                std::mem::swap(&mut r.src, &mut r.dst);
                r.payload_len = hdr.2;
            }
        }
        let mut out = vec![0; ip.header_len()];
        let emitted = match ip {
            IpRepr::V4(r) => r.emit(&mut out),
            IpRepr::V6(r) => r.emit(&mut out),
        };
        emitted.map_err(|e| ArgError::script(format!("quoted packet: {e}"), i.span))?;
        out.append(&mut hdr.0);
        Ok(out)
    }
}

/// A TCP option with owned data, until the options area is built.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Opt {
    Nop,
    Eol,
    Mss(u16),
    WScale(u8),
    SackOk,
    Sack(SackBlocks),
    Ts(u32, u32),
    Fo(Vec<u8>),
    FoExp(Vec<u8>),
    Md5([u8; 16]),
}

impl Opt {
    fn as_option(&self) -> TcpOption<'_> {
        match self {
            Opt::Nop => TcpOption::Nop,
            Opt::Eol => TcpOption::Eol,
            Opt::Mss(v) => TcpOption::Mss(*v),
            Opt::WScale(v) => TcpOption::WindowScale(*v),
            Opt::SackOk => TcpOption::SackPermitted,
            Opt::Sack(b) => TcpOption::Sack(*b),
            Opt::Ts(v, e) => TcpOption::Timestamps {
                tsval: *v,
                tsecr: *e,
            },
            Opt::Fo(c) => TcpOption::FastOpen(c),
            Opt::FoExp(c) => TcpOption::FastOpenExp(c),
            Opt::Md5(d) => TcpOption::Md5(*d),
        }
    }
}

enum Upper {
    Tcp(TcpRepr<'static>),
    Udp(u16, u16),
    Icmp(icmp::Message),
}

fn v4(a: IpAddr) -> Ipv4Addr {
    match a {
        IpAddr::V4(v) => v,
        IpAddr::V6(v) => v.to_ipv4_mapped().unwrap_or(Ipv4Addr::UNSPECIFIED),
    }
}

/// The flags of a TCP line (`-` is none).
pub fn tcp_flags(t: &ast::Tcp) -> Result<TcpFlags, ArgError> {
    let Some(f) = &t.flags else {
        return Ok(TcpFlags::NONE);
    };
    if f.text == "-" {
        return Ok(TcpFlags::NONE);
    }
    f.text.parse::<TcpFlags>().map_err(|c| {
        ArgError::script(
            format!("{c:?} is not a TCP flag (or is repeated) in {:?}", f.text),
            f.span,
        )
    })
}

/// `START:END(LEN)`: the start and the length, which must agree with END.
pub fn seq_range(r: &ast::SeqRange) -> Result<(u32, usize), ArgError> {
    let start = u32_of(&r.start)?;
    let end = u32_of(&r.end)?;
    let len = usize::try_from(r.len.value)
        .ok()
        .filter(|&l| l <= 0xffff)
        .ok_or_else(|| {
            ArgError::script(format!("length {} out of range", r.len.text), r.len.span)
        })?;
    if end.wrapping_sub(start) as usize != len {
        return Err(ArgError::script(
            format!(
                "{}:{}({}): the length must be end - start",
                r.start.text, r.end.text, r.len.text
            ),
            r.span,
        ));
    }
    Ok((start, len))
}

pub fn u32_of(i: &ast::Int) -> Result<u32, ArgError> {
    i.as_u32()
        .ok_or_else(|| ArgError::script(format!("{} does not fit 32 bits", i.text), i.span))
}

/// A cookie's bytes: hex digits, or a `--define`d name standing for them.
pub fn cookie(defines: &Defines, c: Option<&Cookie>) -> Result<Vec<u8>, ArgError> {
    let Some(c) = c else { return Ok(Vec::new()) };
    if let Some(b) = c.hex_bytes() {
        return Ok(b);
    }
    if let Some(v) = defines.get(&c.text) {
        let as_cookie = Cookie {
            text: v.trim().to_string(),
            span: c.span,
        };
        if let Some(b) = as_cookie.hex_bytes() {
            return Ok(b);
        }
    }
    Err(ArgError::script(
        format!("{} is neither hex bytes nor a defined cookie", c.text),
        c.span,
    ))
}
