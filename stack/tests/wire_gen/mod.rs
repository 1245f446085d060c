//! proptest strategies for the wire tests: owned "specs" (proptest values
//! must own their data) that build the borrowed `Repr`s.
#![allow(dead_code)] // each test target uses a different part

use netdrill_stack::wire::{
    ArpOperation, ArpRepr, Checksum, EtherType, EthernetFrame, EthernetRepr, FramePayload,
    Icmpv4Message, Icmpv4Repr, Icmpv6Message, Icmpv6Repr, IpDatagram, IpProtocol, IpRepr,
    Ipv4Options, Ipv4Repr, Ipv6ExtHeader, Ipv6ExtHeaders, Ipv6Fragment, Ipv6Repr, MacAddr,
    SackBlocks, TcpFlags, TcpOption, TcpOptions, TcpRepr, UdpRepr, UpperRepr,
};
use proptest::collection::vec;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

pub fn mac() -> impl Strategy<Value = MacAddr> {
    any::<[u8; 6]>().prop_map(MacAddr)
}
pub fn ipv4_addr() -> impl Strategy<Value = Ipv4Addr> {
    any::<[u8; 4]>().prop_map(Ipv4Addr::from)
}
pub fn ipv6_addr() -> impl Strategy<Value = Ipv6Addr> {
    any::<[u8; 16]>().prop_map(Ipv6Addr::from)
}
fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

/// What `emit` is asked to write: mostly the right checksum, sometimes a
/// wrong one (never 0 or 0xffff, so that it cannot be an equivalent of the
/// right value or UDP's "no checksum").
pub fn checksum_request() -> impl Strategy<Value = Checksum> {
    prop_oneof![3 => Just(Checksum::Valid), 1 => (1u16..0xffff).prop_map(Checksum::wrong)]
}

/// A TCP option that decodes back to itself.
#[derive(Clone, Debug)]
pub enum OptSpec {
    Nop,
    Mss(u16),
    Ws(u8),
    SackOk,
    Sack(Vec<(u32, u32)>),
    Ts(u32, u32),
    Md5([u8; 16]),
    Tfo(Vec<u8>),
    TfoExp(Vec<u8>),
    Raw(u8, Vec<u8>),
    /// Only ever last: ends the list.
    Eol,
}

impl OptSpec {
    pub fn option(&self) -> TcpOption<'_> {
        match self {
            OptSpec::Nop => TcpOption::Nop,
            OptSpec::Mss(v) => TcpOption::Mss(*v),
            OptSpec::Ws(v) => TcpOption::WindowScale(*v),
            OptSpec::SackOk => TcpOption::SackPermitted,
            OptSpec::Sack(b) => TcpOption::Sack(SackBlocks::new(b).expect("1-4 blocks")),
            OptSpec::Ts(a, b) => TcpOption::Timestamps {
                tsval: *a,
                tsecr: *b,
            },
            OptSpec::Md5(s) => TcpOption::Md5(*s),
            OptSpec::Tfo(c) => TcpOption::FastOpen(c),
            OptSpec::TfoExp(c) => TcpOption::FastOpenExp(c),
            OptSpec::Raw(k, d) => TcpOption::Raw { kind: *k, data: d },
            OptSpec::Eol => TcpOption::Eol,
        }
    }
}

/// Kinds this codec does not decode.
fn unknown_kind() -> impl Strategy<Value = u8> {
    any::<u8>().prop_filter("an unknown kind", |k| {
        ![0, 1, 2, 3, 4, 5, 8, 19, 34, 254].contains(k)
    })
}

pub fn opt_spec() -> impl Strategy<Value = OptSpec> {
    prop_oneof![
        Just(OptSpec::Nop),
        any::<u16>().prop_map(OptSpec::Mss),
        any::<u8>().prop_map(OptSpec::Ws),
        Just(OptSpec::SackOk),
        vec(any::<(u32, u32)>(), 1..=4).prop_map(OptSpec::Sack),
        any::<(u32, u32)>().prop_map(|(a, b)| OptSpec::Ts(a, b)),
        any::<[u8; 16]>().prop_map(OptSpec::Md5),
        bytes(16).prop_map(OptSpec::Tfo),
        bytes(16).prop_map(OptSpec::TfoExp),
        (unknown_kind(), bytes(8)).prop_map(|(k, d)| OptSpec::Raw(k, d)),
    ]
}

/// Up to 40 bytes of options in a random order, maybe ended by EOL.
pub fn opt_specs() -> impl Strategy<Value = Vec<OptSpec>> {
    (vec(opt_spec(), 0..8), any::<bool>()).prop_map(|(mut opts, eol)| {
        if eol {
            opts.push(OptSpec::Eol);
        }
        while opts.iter().map(|o| o.option().buffer_len()).sum::<usize>() > 40 {
            opts.remove(0);
        }
        opts
    })
}

pub fn options_of(specs: &[OptSpec]) -> TcpOptions {
    let list: Vec<_> = specs.iter().map(OptSpec::option).collect();
    let mut options = TcpOptions::from_options(&list).expect("at most 40 bytes");
    options.pad_to_word();
    options
}

#[derive(Clone, Debug)]
pub struct TcpSpec {
    pub ports: (u16, u16),
    pub seq: u32,
    pub ack: u32,
    pub flags: u16,
    pub window: u16,
    pub urgent: u16,
    pub options: Vec<OptSpec>,
    pub payload: Vec<u8>,
    pub checksum: Checksum,
}

impl TcpSpec {
    pub fn repr(&self) -> TcpRepr<'_> {
        TcpRepr {
            src_port: self.ports.0,
            dst_port: self.ports.1,
            seq: self.seq,
            ack: self.ack,
            flags: TcpFlags::from_bits_truncate(self.flags),
            window: self.window,
            checksum: self.checksum,
            urgent: self.urgent,
            options: options_of(&self.options),
            payload: &self.payload,
        }
    }
}

prop_compose! {
    pub fn tcp_spec()(
        ports in any::<(u16, u16)>(),
        seq in any::<u32>(),
        ack in any::<u32>(),
        flags in 0u16..0x1000,
        window in any::<u16>(),
        urgent in any::<u16>(),
        options in opt_specs(),
        payload in prop_oneof![bytes(64), vec(any::<u8>(), 1400..1500)],
        checksum in checksum_request(),
    ) -> TcpSpec {
        TcpSpec { ports, seq, ack, flags, window, urgent, options, payload, checksum }
    }
}

#[derive(Clone, Debug)]
pub struct UdpSpec {
    pub ports: (u16, u16),
    pub payload: Vec<u8>,
    pub checksum: Checksum,
}

impl UdpSpec {
    pub fn repr(&self) -> UdpRepr<'_> {
        UdpRepr {
            src_port: self.ports.0,
            dst_port: self.ports.1,
            checksum: self.checksum,
            payload: &self.payload,
        }
    }
}

prop_compose! {
    /// `absent_ok`: whether "no checksum" may be asked for (UDP over IPv4).
    pub fn udp_spec(absent_ok: bool)(
        ports in any::<(u16, u16)>(),
        payload in bytes(80),
        checksum in checksum_request(),
        absent in any::<bool>(),
    ) -> UdpSpec {
        let checksum = if absent_ok && absent && checksum == Checksum::Valid { Checksum::Absent } else { checksum };
        UdpSpec { ports, payload, checksum }
    }
}

#[derive(Clone, Debug)]
pub enum Icmpv4Spec {
    Echo {
        reply: bool,
        ident: u16,
        seq_no: u16,
        data: Vec<u8>,
    },
    Unreachable {
        code: u8,
        mtu: u16,
        quoted: Vec<u8>,
    },
    TimeExceeded {
        code: u8,
        quoted: Vec<u8>,
    },
    Other {
        msg_type: u8,
        code: u8,
        rest: [u8; 4],
        data: Vec<u8>,
    },
}

pub fn icmpv4_spec() -> impl Strategy<Value = (Icmpv4Spec, Checksum)> {
    let spec = prop_oneof![
        (any::<bool>(), any::<u16>(), any::<u16>(), bytes(40)).prop_map(
            |(reply, ident, seq_no, data)| Icmpv4Spec::Echo {
                reply,
                ident,
                seq_no,
                data
            }
        ),
        (any::<u8>(), any::<u16>(), bytes(48))
            .prop_map(|(code, mtu, quoted)| Icmpv4Spec::Unreachable { code, mtu, quoted }),
        (0u8..2, bytes(48)).prop_map(|(code, quoted)| Icmpv4Spec::TimeExceeded { code, quoted }),
        (
            any::<u8>().prop_filter("not decoded", |t| ![0, 3, 8, 11].contains(t)),
            any::<u8>(),
            any::<[u8; 4]>(),
            bytes(40)
        )
            .prop_map(|(msg_type, code, rest, data)| Icmpv4Spec::Other {
                msg_type,
                code,
                rest,
                data
            }),
    ];
    (spec, checksum_request())
}

pub fn icmpv4_repr(spec: &(Icmpv4Spec, Checksum)) -> Icmpv4Repr<'_> {
    let message = match &spec.0 {
        Icmpv4Spec::Echo {
            reply: false,
            ident,
            seq_no,
            data,
        } => Icmpv4Message::EchoRequest {
            ident: *ident,
            seq_no: *seq_no,
            data,
        },
        Icmpv4Spec::Echo {
            reply: true,
            ident,
            seq_no,
            data,
        } => Icmpv4Message::EchoReply {
            ident: *ident,
            seq_no: *seq_no,
            data,
        },
        Icmpv4Spec::Unreachable { code, mtu, quoted } => Icmpv4Message::DstUnreachable {
            code: *code,
            next_hop_mtu: *mtu,
            quoted,
        },
        Icmpv4Spec::TimeExceeded { code, quoted } => Icmpv4Message::TimeExceeded {
            code: *code,
            quoted,
        },
        Icmpv4Spec::Other {
            msg_type,
            code,
            rest,
            data,
        } => Icmpv4Message::Other {
            msg_type: *msg_type,
            code: *code,
            rest_of_header: *rest,
            data,
        },
    };
    Icmpv4Repr {
        message,
        checksum: spec.1,
    }
}

#[derive(Clone, Debug)]
pub enum Icmpv6Spec {
    Echo {
        reply: bool,
        ident: u16,
        seq_no: u16,
        data: Vec<u8>,
    },
    Unreachable {
        code: u8,
        quoted: Vec<u8>,
    },
    TooBig {
        mtu: u32,
        quoted: Vec<u8>,
    },
    TimeExceeded {
        code: u8,
        quoted: Vec<u8>,
    },
    Solicit {
        target: Ipv6Addr,
        lladdr: Option<MacAddr>,
    },
    Advert {
        flags: (bool, bool, bool),
        target: Ipv6Addr,
        lladdr: Option<MacAddr>,
    },
    Other {
        msg_type: u8,
        code: u8,
        rest: [u8; 4],
        data: Vec<u8>,
    },
}

pub fn icmpv6_spec() -> impl Strategy<Value = (Icmpv6Spec, Checksum)> {
    let spec = prop_oneof![
        (any::<bool>(), any::<u16>(), any::<u16>(), bytes(40)).prop_map(
            |(reply, ident, seq_no, data)| Icmpv6Spec::Echo {
                reply,
                ident,
                seq_no,
                data
            }
        ),
        (any::<u8>(), bytes(64))
            .prop_map(|(code, quoted)| Icmpv6Spec::Unreachable { code, quoted }),
        (any::<u32>(), bytes(64)).prop_map(|(mtu, quoted)| Icmpv6Spec::TooBig { mtu, quoted }),
        (0u8..2, bytes(64)).prop_map(|(code, quoted)| Icmpv6Spec::TimeExceeded { code, quoted }),
        (ipv6_addr(), proptest::option::of(mac()))
            .prop_map(|(target, lladdr)| Icmpv6Spec::Solicit { target, lladdr }),
        (
            any::<(bool, bool, bool)>(),
            ipv6_addr(),
            proptest::option::of(mac())
        )
            .prop_map(|(flags, target, lladdr)| Icmpv6Spec::Advert {
                flags,
                target,
                lladdr
            }),
        (
            any::<u8>().prop_filter("not decoded", |t| ![1, 2, 3, 128, 129, 135, 136]
                .contains(t)),
            any::<u8>(),
            any::<[u8; 4]>(),
            bytes(40)
        )
            .prop_map(|(msg_type, code, rest, data)| Icmpv6Spec::Other {
                msg_type,
                code,
                rest,
                data
            }),
    ];
    (spec, checksum_request())
}

pub fn icmpv6_repr(spec: &(Icmpv6Spec, Checksum)) -> Icmpv6Repr<'_> {
    let message = match &spec.0 {
        Icmpv6Spec::Echo {
            reply: false,
            ident,
            seq_no,
            data,
        } => Icmpv6Message::EchoRequest {
            ident: *ident,
            seq_no: *seq_no,
            data,
        },
        Icmpv6Spec::Echo {
            reply: true,
            ident,
            seq_no,
            data,
        } => Icmpv6Message::EchoReply {
            ident: *ident,
            seq_no: *seq_no,
            data,
        },
        Icmpv6Spec::Unreachable { code, quoted } => Icmpv6Message::DstUnreachable {
            code: *code,
            quoted,
        },
        Icmpv6Spec::TooBig { mtu, quoted } => Icmpv6Message::PacketTooBig { mtu: *mtu, quoted },
        Icmpv6Spec::TimeExceeded { code, quoted } => Icmpv6Message::TimeExceeded {
            code: *code,
            quoted,
        },
        Icmpv6Spec::Solicit { target, lladdr } => Icmpv6Message::NeighborSolicit {
            target: *target,
            lladdr: *lladdr,
        },
        Icmpv6Spec::Advert {
            flags: (router, solicited, override_),
            target,
            lladdr,
        } => Icmpv6Message::NeighborAdvert {
            router: *router,
            solicited: *solicited,
            override_: *override_,
            target: *target,
            lladdr: *lladdr,
        },
        Icmpv6Spec::Other {
            msg_type,
            code,
            rest,
            data,
        } => Icmpv6Message::Other {
            msg_type: *msg_type,
            code: *code,
            rest_of_header: *rest,
            data,
        },
    };
    Icmpv6Repr {
        message,
        checksum: spec.1,
    }
}

pub fn ipv4_repr() -> impl Strategy<Value = Ipv4Repr> {
    (
        (ipv4_addr(), ipv4_addr(), 0u8..64, 0u8..4, any::<u16>()),
        (
            any::<(bool, bool, bool)>(),
            0u16..0x2000,
            any::<u8>(),
            any::<u8>(),
        ),
        vec(any::<u8>(), 0..=10).prop_map(|w| {
            let mut o = w.clone();
            o.resize(w.len() / 4 * 4, 0);
            o
        }),
        checksum_request(),
        0usize..2000,
    )
        .prop_map(
            |(
                (src, dst, dscp, ecn, ident),
                ((r, df, mf), frag_offset, ttl, protocol),
                opts,
                checksum,
                len,
            )| {
                Ipv4Repr {
                    src,
                    dst,
                    dscp,
                    ecn,
                    ident,
                    reserved_flag: r,
                    dont_frag: df,
                    more_frags: mf,
                    frag_offset,
                    ttl,
                    protocol: IpProtocol(protocol),
                    options: Ipv4Options::new(&opts).expect("a multiple of 4, at most 40"),
                    checksum,
                    payload_len: len,
                }
            },
        )
}

/// An IPv6 extension header, owned.
#[derive(Clone, Debug)]
pub enum ExtSpec {
    HopByHop(Vec<u8>),
    Routing(u8, u8, Vec<u8>),
    Fragment(Ipv6Fragment),
    DestOptions(Vec<u8>),
    Auth(Vec<u8>),
}

impl ExtSpec {
    pub fn header(&self) -> Ipv6ExtHeader<'_> {
        match self {
            ExtSpec::HopByHop(o) => Ipv6ExtHeader::HopByHop { options: o },
            ExtSpec::Routing(t, s, d) => Ipv6ExtHeader::Routing {
                routing_type: *t,
                segments_left: *s,
                data: d,
            },
            ExtSpec::Fragment(f) => Ipv6ExtHeader::Fragment(*f),
            ExtSpec::DestOptions(o) => Ipv6ExtHeader::DestOptions { options: o },
            ExtSpec::Auth(d) => Ipv6ExtHeader::Auth { data: d },
        }
    }
}

/// `n` bytes with length `n ≡ want (mod unit)`, `n >= want`.
fn sized(unit: usize, want: usize, max_units: usize) -> impl Strategy<Value = Vec<u8>> {
    (0..=max_units).prop_flat_map(move |k| vec(any::<u8>(), want + k * unit))
}

pub fn ext_spec(fragment_ok: bool) -> impl Strategy<Value = ExtSpec> {
    let frag = if fragment_ok {
        (0u16..0x2000, any::<bool>()).boxed()
    } else {
        Just((0u16, false)).boxed()
    };
    prop_oneof![
        sized(8, 6, 2).prop_map(ExtSpec::HopByHop),
        (any::<u8>(), any::<u8>(), sized(8, 4, 2)).prop_map(|(t, s, d)| ExtSpec::Routing(t, s, d)),
        (frag, any::<u32>()).prop_map(|((offset, more), ident)| ExtSpec::Fragment(Ipv6Fragment {
            offset,
            more,
            ident
        })),
        sized(8, 6, 2).prop_map(ExtSpec::DestOptions),
        sized(4, 6, 3).prop_map(ExtSpec::Auth),
    ]
}

#[derive(Clone, Debug)]
pub struct Ipv6Spec {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub traffic_class: u8,
    pub flow_label: u32,
    pub hop_limit: u8,
    pub next_header: u8,
    pub headers: Vec<ExtSpec>,
    pub ext_first: IpProtocol,
    pub ext: Vec<u8>,
    pub payload_len: usize,
}

impl Ipv6Spec {
    /// Re-encodes the chain for upper-layer protocol `nh` (emit writes the
    /// upper protocol into the last extension header).
    pub fn set_upper(&mut self, nh: u8) {
        let headers: Vec<_> = self.headers.iter().map(ExtSpec::header).collect();
        let (first, ext) = Ipv6ExtHeader::encode_chain(&headers, IpProtocol(nh)).expect("encodes");
        self.next_header = nh;
        self.ext_first = first;
        self.ext = ext;
    }

    pub fn repr(&self) -> Ipv6Repr<'_> {
        Ipv6Repr {
            src: self.src,
            dst: self.dst,
            traffic_class: self.traffic_class,
            flow_label: self.flow_label,
            hop_limit: self.hop_limit,
            ext_headers: Ipv6ExtHeaders::new(self.ext_first, &self.ext).expect("a valid chain"),
            next_header: IpProtocol(self.next_header),
            payload_len: self.payload_len,
        }
    }
}

/// Upper-layer protocols that are not extension headers this codec walks.
pub fn non_ext_protocol() -> impl Strategy<Value = u8> {
    any::<u8>().prop_filter("not walked", |p| ![0, 43, 44, 51, 60].contains(p))
}

pub fn ipv6_spec(fragment_ok: bool) -> impl Strategy<Value = Ipv6Spec> {
    (
        (
            ipv6_addr(),
            ipv6_addr(),
            any::<u8>(),
            0u32..0x10_0000,
            any::<u8>(),
        ),
        non_ext_protocol(),
        vec(ext_spec(fragment_ok), 0..4),
        0usize..2000,
    )
        .prop_map(
            |((src, dst, traffic_class, flow_label, hop_limit), nh, headers, payload_len)| {
                let mut spec = Ipv6Spec {
                    src,
                    dst,
                    traffic_class,
                    flow_label,
                    hop_limit,
                    next_header: nh,
                    headers,
                    ext_first: IpProtocol(nh),
                    ext: Vec::new(),
                    payload_len,
                };
                spec.set_upper(nh);
                spec
            },
        )
}

/// An upper layer for a datagram, owned.
#[derive(Clone, Debug)]
pub enum UpperSpec {
    Tcp(TcpSpec),
    Udp(UdpSpec),
    Icmpv4((Icmpv4Spec, Checksum)),
    Icmpv6((Icmpv6Spec, Checksum)),
    Raw(u8, Vec<u8>),
}

/// A whole IP datagram, owned.
#[derive(Clone, Debug)]
pub struct DatagramSpec {
    pub ip: Result<Ipv4Repr, Ipv6Spec>,
    pub upper: UpperSpec,
}

impl DatagramSpec {
    pub fn datagram(&self) -> IpDatagram<'_> {
        let upper = match &self.upper {
            UpperSpec::Tcp(s) => UpperRepr::Tcp(s.repr()),
            UpperSpec::Udp(s) => UpperRepr::Udp(s.repr()),
            UpperSpec::Icmpv4(s) => UpperRepr::Icmpv4(icmpv4_repr(s)),
            UpperSpec::Icmpv6(s) => UpperRepr::Icmpv6(icmpv6_repr(s)),
            UpperSpec::Raw(_, b) => UpperRepr::Raw(b),
        };
        let raw_protocol = match &self.upper {
            UpperSpec::Raw(p, _) => Some(IpProtocol(*p)),
            _ => None,
        };
        let mut ip = match &self.ip {
            Ok(v4) => IpRepr::V4(*v4),
            Err(v6) => IpRepr::V6(v6.repr()),
        };
        match &mut ip {
            IpRepr::V4(r) => r.protocol = raw_protocol.unwrap_or(r.protocol),
            IpRepr::V6(r) => r.next_header = raw_protocol.unwrap_or(r.next_header),
        }
        // What parse reports: the protocol and length emit writes.
        let d = IpDatagram { ip, upper };
        IpDatagram {
            ip: d.ip_for_emit(),
            upper,
        }
    }
}

/// Datagrams of every kind that parse back to themselves: a typed upper
/// layer only where parse decodes one (no fragments, ICMP of its version).
fn v4_whole() -> impl Strategy<Value = Ipv4Repr> {
    ipv4_repr().prop_map(|mut r| {
        r.more_frags = false;
        r.frag_offset = 0;
        r
    })
}

pub fn datagram_spec() -> impl Strategy<Value = DatagramSpec> {
    let v4_frag = ipv4_repr().prop_map(|mut r| {
        r.more_frags = true;
        r
    });
    let raw = |exclude: &'static [u8]| {
        (
            any::<u8>().prop_filter("not decoded", move |p| !exclude.contains(p)),
            bytes(60),
        )
            .prop_map(|(p, b)| UpperSpec::Raw(p, b))
    };
    prop_oneof![
        (v4_whole(), tcp_spec()).prop_map(|(ip, t)| DatagramSpec {
            ip: Ok(ip),
            upper: UpperSpec::Tcp(t)
        }),
        (v4_whole(), udp_spec(true)).prop_map(|(ip, u)| DatagramSpec {
            ip: Ok(ip),
            upper: UpperSpec::Udp(u)
        }),
        (v4_whole(), icmpv4_spec()).prop_map(|(ip, i)| DatagramSpec {
            ip: Ok(ip),
            upper: UpperSpec::Icmpv4(i)
        }),
        (v4_whole(), raw(&[1, 6, 17])).prop_map(|(ip, r)| DatagramSpec {
            ip: Ok(ip),
            upper: r
        }),
        (v4_frag, any::<u8>(), bytes(60)).prop_map(|(ip, p, b)| DatagramSpec {
            ip: Ok(ip),
            upper: UpperSpec::Raw(p, b)
        }),
        (ipv6_spec(false), tcp_spec()).prop_map(|(ip, t)| DatagramSpec {
            ip: Err(ip),
            upper: UpperSpec::Tcp(t)
        }),
        (ipv6_spec(false), udp_spec(false)).prop_map(|(ip, u)| DatagramSpec {
            ip: Err(ip),
            upper: UpperSpec::Udp(u)
        }),
        (ipv6_spec(false), icmpv6_spec()).prop_map(|(ip, i)| DatagramSpec {
            ip: Err(ip),
            upper: UpperSpec::Icmpv6(i)
        }),
        (ipv6_spec(false), raw(&[0, 6, 17, 43, 44, 51, 58, 60])).prop_map(|(ip, r)| DatagramSpec {
            ip: Err(ip),
            upper: r
        }),
    ]
    .prop_map(|mut d| {
        let upper = match &d.upper {
            UpperSpec::Tcp(_) => 6,
            UpperSpec::Udp(_) => 17,
            UpperSpec::Icmpv4(_) => 1,
            UpperSpec::Icmpv6(_) => 58,
            UpperSpec::Raw(p, _) => *p,
        };
        if let Err(v6) = &mut d.ip {
            v6.set_upper(upper);
        }
        d
    })
}

/// A whole Ethernet frame, owned.
#[derive(Clone, Debug)]
pub struct FrameSpec {
    pub ethernet: EthernetRepr,
    pub payload: Result<ArpRepr, Result<DatagramSpec, Vec<u8>>>,
}

impl FrameSpec {
    pub fn frame(&self) -> EthernetFrame<'_> {
        let payload = match &self.payload {
            Ok(arp) => FramePayload::Arp(*arp),
            Err(Ok(d)) => FramePayload::Ip(d.datagram()),
            Err(Err(raw)) => FramePayload::Raw(raw),
        };
        EthernetFrame {
            ethernet: self.ethernet,
            payload,
        }
    }
}

pub fn arp_repr() -> impl Strategy<Value = ArpRepr> {
    (any::<u16>(), mac(), ipv4_addr(), mac(), ipv4_addr()).prop_map(|(op, sm, si, tm, ti)| {
        ArpRepr {
            operation: ArpOperation(op),
            sender_mac: sm,
            sender_ip: si,
            target_mac: tm,
            target_ip: ti,
        }
    })
}

pub fn frame_spec() -> impl Strategy<Value = FrameSpec> {
    let eth = |t: u16| {
        (mac(), mac()).prop_map(move |(dst, src)| EthernetRepr {
            dst,
            src,
            ethertype: EtherType(t),
        })
    };
    prop_oneof![
        (eth(0x0806), arp_repr()).prop_map(|(ethernet, a)| FrameSpec {
            ethernet,
            payload: Ok(a)
        }),
        (eth(0), datagram_spec()).prop_map(|(mut ethernet, d)| {
            ethernet.ethertype = if d.ip.is_ok() {
                EtherType::IPV4
            } else {
                EtherType::IPV6
            };
            FrameSpec {
                ethernet,
                payload: Err(Ok(d)),
            }
        }),
        (
            (
                mac(),
                mac(),
                any::<u16>().prop_filter("not decoded", |t| ![0x0800, 0x0806, 0x86dd].contains(t))
            ),
            bytes(60)
        )
            .prop_map(|((dst, src, t), raw)| FrameSpec {
                ethernet: EthernetRepr {
                    dst,
                    src,
                    ethertype: EtherType(t)
                },
                payload: Err(Err(raw)),
            }),
    ]
}
