//! tshark cross-check of the wire codec: frames of every kind (all headers,
//! all TCP options, deliberately wrong checksums) are emitted by
//! `netdrill_stack::wire`, written to a pcap with `pcap-file`, decoded by
//! tshark, and every header field and checksum verdict tshark reports is
//! compared with what our parser says about the same bytes.

mod support;

use libtest_mimic::{Arguments, Failed, Trial};
use netdrill_stack::wire::{
    ArpOperation, ArpRepr, Checksum, ChecksumMode, EtherType, EthernetFrame, EthernetRepr,
    FramePayload, Icmpv4Message, Icmpv4Repr, Icmpv6Message, Icmpv6Repr, IpDatagram, IpProtocol,
    IpRepr, Ipv4Options, Ipv4Repr, Ipv6ExtHeader, Ipv6ExtHeaders, Ipv6Fragment, Ipv6Repr, MacAddr,
    SackBlocks, TcpFlags, TcpOption, TcpOptions, TcpRepr, UdpRepr, UpperRepr,
};
use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::process::Command;
use std::time::Duration;

fn main() {
    let args = Arguments::from_args();
    let trials = vec![
        Trial::test("wire_tshark_agrees_on_hand_made_frames", || {
            cross_check(&hand_made_frames())
        }),
        Trial::test("wire_tshark_agrees_on_generated_frames", || {
            cross_check(&generated_frames(400))
        }),
    ];
    let trials = support::gate(trials, support::Need::Tshark, support::tshark_available());
    libtest_mimic::run(&args, trials).exit();
}

const L4: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 1);
const R4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const L6: Ipv6Addr = Ipv6Addr::new(0xfd3d, 0xfa7b, 0xd17d, 0, 0, 0, 0, 1);
const R6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const LMAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
const RMAC: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

/// Every field compared; one tshark run reads them all.
const FIELDS: &[&str] = &[
    "eth.dst",
    "eth.src",
    "eth.type",
    "arp.opcode",
    "arp.src.hw_mac",
    "arp.src.proto_ipv4",
    "arp.dst.hw_mac",
    "arp.dst.proto_ipv4",
    "ip.version",
    "ip.hdr_len",
    "ip.dsfield.dscp",
    "ip.dsfield.ecn",
    "ip.len",
    "ip.id",
    "ip.flags.rb",
    "ip.flags.df",
    "ip.flags.mf",
    "ip.frag_offset",
    "ip.ttl",
    "ip.proto",
    "ip.src",
    "ip.dst",
    "ip.checksum",
    "ip.checksum.status",
    "ip.checksum_calculated",
    "ipv6.tclass",
    "ipv6.flow",
    "ipv6.plen",
    "ipv6.nxt",
    "ipv6.hlim",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.hopopts.nxt",
    "ipv6.dstopts.nxt",
    "ipv6.routing.type",
    "ipv6.routing.segleft",
    "ipv6.fraghdr.offset",
    "ipv6.fraghdr.more",
    "ipv6.fraghdr.ident",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.hdr_len",
    "tcp.flags",
    "tcp.window_size_value",
    "tcp.checksum",
    "tcp.checksum.status",
    "tcp.checksum_calculated",
    "tcp.urgent_pointer",
    "tcp.len",
    "tcp.option_kind",
    "tcp.options.mss_val",
    "tcp.options.wscale.shift",
    "tcp.options.sack_le",
    "tcp.options.sack_re",
    "tcp.options.timestamp.tsval",
    "tcp.options.timestamp.tsecr",
    "tcp.options.tfo.cookie",
    "tcp.options.experimental.exid",
    "tcp.options.md5.digest",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "udp.checksum",
    "udp.checksum.status",
    "udp.checksum_calculated",
    "icmp.type",
    "icmp.code",
    "icmp.checksum",
    "icmp.checksum.status",
    "icmp.ident",
    "icmp.seq",
    "icmp.mtu",
    "icmpv6.type",
    "icmpv6.code",
    "icmpv6.checksum",
    "icmpv6.checksum.status",
    "icmpv6.mtu",
    "icmpv6.echo.identifier",
    "icmpv6.echo.sequence_number",
    "icmpv6.nd.ns.target_address",
    "icmpv6.nd.na.target_address",
    "icmpv6.nd.na.flag.r",
    "icmpv6.nd.na.flag.s",
    "icmpv6.nd.na.flag.o",
    "icmpv6.opt.linkaddr",
];

// --- frames -------------------------------------------------------------------

/// Owned bytes for the payloads that `Repr`s borrow.
struct Frame {
    what: String,
    bytes: Vec<u8>,
}

fn eth(t: EtherType) -> EthernetRepr {
    EthernetRepr {
        dst: LMAC,
        src: RMAC,
        ethertype: t,
    }
}

fn v4(protocol: IpProtocol) -> Ipv4Repr {
    Ipv4Repr {
        ident: 0x1234,
        ..Ipv4Repr::new(R4, L4, protocol)
    }
}

fn v6(next_header: IpProtocol) -> Ipv6Repr<'static> {
    Ipv6Repr {
        src: R6,
        dst: L6,
        traffic_class: 0,
        flow_label: 0,
        hop_limit: 64,
        ext_headers: Ipv6ExtHeaders::NONE,
        next_header,
        payload_len: 0,
    }
}

fn tcp<'a>(flags: &str, options: &[TcpOption<'_>], payload: &'a [u8]) -> TcpRepr<'a> {
    let mut opts = TcpOptions::from_options(options).expect("options fit");
    opts.pad_to_word();
    TcpRepr {
        src_port: 40000,
        dst_port: 44444,
        seq: 1_000_000,
        ack: if flags.contains('.') { 2_000_000 } else { 0 },
        flags: flags.parse().expect("flags"),
        window: 65535,
        checksum: Checksum::Valid,
        urgent: 0,
        options: opts,
        payload,
    }
}

fn ip_frame(what: &str, ip: IpRepr<'_>, upper: UpperRepr<'_>) -> Frame {
    let t = if matches!(ip, IpRepr::V4(_)) {
        EtherType::IPV4
    } else {
        EtherType::IPV6
    };
    let frame = EthernetFrame {
        ethernet: eth(t),
        payload: FramePayload::Ip(IpDatagram { ip, upper }),
    };
    Frame {
        what: what.to_string(),
        bytes: frame.to_bytes().expect("emits"),
    }
}

fn tcp4(what: &str, t: TcpRepr<'_>) -> Frame {
    ip_frame(what, IpRepr::V4(v4(IpProtocol::TCP)), UpperRepr::Tcp(t))
}

fn hand_made_frames() -> Vec<Frame> {
    let data = vec![0x5a; 1448];
    let md5: [u8; 16] = core::array::from_fn(|i| i as u8 * 17);
    let sack = |n: usize| {
        let blocks: Vec<(u32, u32)> = (0..n as u32)
            .map(|i| (3000 + i * 2000, 4000 + i * 2000))
            .collect();
        TcpOption::Sack(SackBlocks::new(&blocks).expect("1-4 blocks"))
    };
    let ts = TcpOption::Timestamps {
        tsval: 0xdeadbeef,
        tsecr: 7,
    };
    let linux_syn = [
        TcpOption::Mss(1460),
        TcpOption::SackPermitted,
        ts,
        TcpOption::Nop,
        TcpOption::WindowScale(7),
    ];
    let mut out = vec![
        tcp4("SYN, Linux options", tcp("S", &linux_syn, b"")),
        tcp4(
            "SYN-ACK",
            tcp(
                "S.",
                &[
                    TcpOption::Mss(1400),
                    TcpOption::Nop,
                    TcpOption::WindowScale(14),
                ],
                b"",
            ),
        ),
        tcp4(
            "data 1448",
            tcp("P.", &[TcpOption::Nop, TcpOption::Nop, ts], &data),
        ),
        tcp4("FIN", tcp("F.", &[], b"")),
        tcp4("RST", tcp("R", &[], b"")),
        tcp4("ECN SYN", tcp("SEW", &[TcpOption::Mss(536)], b"")),
        tcp4("NS bit", tcp(".N", &[], b"")),
        tcp4(
            "TFO request",
            tcp("S", &[TcpOption::Mss(1460), TcpOption::FastOpen(&[])], b""),
        ),
        tcp4(
            "TFO cookie",
            tcp(
                "S",
                &[
                    TcpOption::FastOpen(&[1, 2, 3, 4, 5, 6, 7, 8]),
                    TcpOption::Nop,
                    TcpOption::Nop,
                ],
                b"hi",
            ),
        ),
        tcp4(
            "exp TFO cookie",
            tcp("S", &[TcpOption::FastOpenExp(&[9, 8, 7, 6])], b""),
        ),
        tcp4(
            "exp TFO request",
            tcp("S", &[TcpOption::FastOpenExp(&[])], b""),
        ),
        tcp4(
            "MD5",
            tcp(
                ".",
                &[TcpOption::Nop, TcpOption::Nop, TcpOption::Md5(md5)],
                b"",
            ),
        ),
        tcp4(
            "unknown kind",
            tcp(
                ".",
                &[
                    TcpOption::Raw {
                        kind: 200,
                        data: &[1, 2, 3],
                    },
                    TcpOption::Nop,
                ],
                b"",
            ),
        ),
        tcp4(
            "EOL then padding",
            tcp(".", &[TcpOption::Mss(1000), TcpOption::Eol], b""),
        ),
    ];
    for n in 1..=4 {
        let list = [TcpOption::Nop, TcpOption::Nop, sack(n)];
        out.push(tcp4(&format!("SACK {n}"), tcp(".", &list, b"")));
    }
    let mut urg = tcp("P.U", &[], b"urgent!");
    urg.urgent = 3;
    out.push(tcp4("URG", urg));
    let mut bad = tcp(".", &[], b"x");
    bad.checksum = Checksum::wrong(0x1234);
    out.push(tcp4("bad TCP checksum", bad));
    let mut bad_ip = v4(IpProtocol::TCP);
    bad_ip.checksum = Checksum::wrong(0x4321);
    out.push(ip_frame(
        "bad IPv4 checksum",
        IpRepr::V4(bad_ip),
        UpperRepr::Tcp(tcp(".", &[], b"")),
    ));

    // IPv4 header variety.
    let mut ip = v4(IpProtocol::UDP);
    (ip.dscp, ip.ecn, ip.ttl, ip.dont_frag, ip.reserved_flag) = (46, 3, 1, false, true);
    ip.options =
        Ipv4Options::new(&[0x94, 0x04, 0, 0, 1, 1, 1, 0]).expect("router alert, nops, eol");
    let udp = |payload: &'static [u8], checksum| UdpRepr {
        src_port: 40001,
        dst_port: 44445,
        checksum,
        payload,
    };
    out.push(ip_frame(
        "IPv4 options, DSCP/ECN",
        IpRepr::V4(ip),
        UpperRepr::Udp(udp(b"datagram", Checksum::Valid)),
    ));
    let mut frag = v4(IpProtocol::UDP);
    (frag.more_frags, frag.frag_offset, frag.dont_frag) = (true, 185, false);
    out.push(ip_frame(
        "IPv4 middle fragment",
        IpRepr::V4(frag),
        UpperRepr::Raw(&[0xab; 16]),
    ));
    out.push(ip_frame(
        "UDP",
        IpRepr::V4(v4(IpProtocol::UDP)),
        UpperRepr::Udp(udp(b"hello", Checksum::Valid)),
    ));
    out.push(ip_frame(
        "UDP no checksum",
        IpRepr::V4(v4(IpProtocol::UDP)),
        UpperRepr::Udp(udp(b"hello", Checksum::Absent)),
    ));
    out.push(ip_frame(
        "bad UDP checksum",
        IpRepr::V4(v4(IpProtocol::UDP)),
        UpperRepr::Udp(udp(b"x", Checksum::wrong(7))),
    ));
    out.push(ip_frame(
        "UDP over IPv6",
        IpRepr::V6(v6(IpProtocol::UDP)),
        UpperRepr::Udp(udp(b"hello6", Checksum::Valid)),
    ));
    out.push(ip_frame(
        "bad UDP/IPv6 checksum",
        IpRepr::V6(v6(IpProtocol::UDP)),
        UpperRepr::Udp(udp(b"y", Checksum::wrong(9))),
    ));

    // IPv6 header variety and an extension chain.
    let mut ip6 = v6(IpProtocol::TCP);
    (ip6.traffic_class, ip6.flow_label, ip6.hop_limit) = (0xb9, 0xfedcb, 255);
    out.push(ip_frame(
        "IPv6 TCP",
        IpRepr::V6(ip6),
        UpperRepr::Tcp(tcp("S", &linux_syn, b"")),
    ));
    let pad = [1u8, 4, 0, 0, 0, 0];
    let chain = [
        Ipv6ExtHeader::HopByHop { options: &pad },
        Ipv6ExtHeader::DestOptions { options: &pad },
        Ipv6ExtHeader::Routing {
            routing_type: 0,
            segments_left: 0,
            data: &[0; 4],
        },
        Ipv6ExtHeader::Fragment(Ipv6Fragment {
            offset: 0,
            more: false,
            ident: 0xcafe,
        }),
    ];
    let (first, bytes) = Ipv6ExtHeader::encode_chain(&chain, IpProtocol::TCP).expect("chain");
    let mut ext = v6(IpProtocol::TCP);
    ext.ext_headers = Ipv6ExtHeaders::new(first, &bytes).expect("chain");
    out.push(ip_frame(
        "IPv6 extension chain",
        IpRepr::V6(ext),
        UpperRepr::Tcp(tcp("P.", &[ts], b"abc")),
    ));
    let frag_chain = [Ipv6ExtHeader::Fragment(Ipv6Fragment {
        offset: 100,
        more: true,
        ident: 77,
    })];
    let (first, frag_bytes) =
        Ipv6ExtHeader::encode_chain(&frag_chain, IpProtocol::UDP).expect("chain");
    let mut frag6 = v6(IpProtocol::UDP);
    frag6.ext_headers = Ipv6ExtHeaders::new(first, &frag_bytes).expect("chain");
    out.push(ip_frame(
        "IPv6 fragment",
        IpRepr::V6(frag6),
        UpperRepr::Raw(&[0xcd; 24]),
    ));

    // ICMPv4, with a quoted original datagram.
    let quoted4 = ip_frame(
        "",
        IpRepr::V4(Ipv4Repr {
            src: L4,
            dst: R4,
            ..v4(IpProtocol::TCP)
        }),
        UpperRepr::Tcp(tcp(".", &[], b"")),
    )
    .bytes;
    let quoted4 = &quoted4[14..14 + 28];
    let icmp4 = |message, checksum| UpperRepr::Icmpv4(Icmpv4Repr { message, checksum });
    let ip_icmp = || IpRepr::V4(v4(IpProtocol::ICMP));
    out.push(ip_frame(
        "echo request",
        ip_icmp(),
        icmp4(
            Icmpv4Message::EchoRequest {
                ident: 0x4242,
                seq_no: 7,
                data: b"ping",
            },
            Checksum::Valid,
        ),
    ));
    out.push(ip_frame(
        "echo reply",
        ip_icmp(),
        icmp4(
            Icmpv4Message::EchoReply {
                ident: 1,
                seq_no: 65535,
                data: b"",
            },
            Checksum::Valid,
        ),
    ));
    let frag_needed = Icmpv4Message::DstUnreachable {
        code: 4,
        next_hop_mtu: 1400,
        quoted: quoted4,
    };
    out.push(ip_frame(
        "frag needed",
        ip_icmp(),
        icmp4(frag_needed, Checksum::Valid),
    ));
    let port_unreach = Icmpv4Message::DstUnreachable {
        code: 3,
        next_hop_mtu: 0,
        quoted: quoted4,
    };
    out.push(ip_frame(
        "port unreachable",
        ip_icmp(),
        icmp4(port_unreach, Checksum::Valid),
    ));
    out.push(ip_frame(
        "time exceeded",
        ip_icmp(),
        icmp4(
            Icmpv4Message::TimeExceeded {
                code: 0,
                quoted: quoted4,
            },
            Checksum::Valid,
        ),
    ));
    out.push(ip_frame(
        "bad ICMP checksum",
        ip_icmp(),
        icmp4(
            Icmpv4Message::EchoRequest {
                ident: 1,
                seq_no: 1,
                data: b"",
            },
            Checksum::wrong(1),
        ),
    ));

    // ICMPv6.
    let quoted6 = ip_frame(
        "",
        IpRepr::V6(Ipv6Repr {
            src: L6,
            dst: R6,
            ..v6(IpProtocol::TCP)
        }),
        UpperRepr::Tcp(tcp(".", &[], b"")),
    )
    .bytes;
    let quoted6 = &quoted6[14..];
    let icmp6 = |message, checksum| UpperRepr::Icmpv6(Icmpv6Repr { message, checksum });
    let ip_icmp6 = |hop| {
        IpRepr::V6(Ipv6Repr {
            hop_limit: hop,
            ..v6(IpProtocol::ICMPV6)
        })
    };
    let v6_cases = [
        (
            "echo6 request",
            Icmpv6Message::EchoRequest {
                ident: 0x77,
                seq_no: 1,
                data: b"abc",
            },
        ),
        (
            "echo6 reply",
            Icmpv6Message::EchoReply {
                ident: 0x78,
                seq_no: 2,
                data: b"",
            },
        ),
        (
            "dst unreachable 6",
            Icmpv6Message::DstUnreachable {
                code: 4,
                quoted: quoted6,
            },
        ),
        (
            "packet too big",
            Icmpv6Message::PacketTooBig {
                mtu: 1280,
                quoted: quoted6,
            },
        ),
        (
            "time exceeded 6",
            Icmpv6Message::TimeExceeded {
                code: 1,
                quoted: quoted6,
            },
        ),
        (
            "NS with SLLA",
            Icmpv6Message::NeighborSolicit {
                target: L6,
                lladdr: Some(RMAC),
            },
        ),
        (
            "NS without option",
            Icmpv6Message::NeighborSolicit {
                target: L6,
                lladdr: None,
            },
        ),
        (
            "NA",
            Icmpv6Message::NeighborAdvert {
                router: true,
                solicited: true,
                override_: false,
                target: R6,
                lladdr: Some(LMAC),
            },
        ),
    ];
    for (what, m) in v6_cases {
        out.push(ip_frame(what, ip_icmp6(255), icmp6(m, Checksum::Valid)));
    }
    out.push(ip_frame(
        "bad ICMPv6 checksum",
        ip_icmp6(64),
        icmp6(
            Icmpv6Message::EchoRequest {
                ident: 1,
                seq_no: 1,
                data: b"",
            },
            Checksum::wrong(2),
        ),
    ));

    // ARP.
    for (what, operation, dst) in [
        ("ARP request", ArpOperation::REQUEST, MacAddr::BROADCAST),
        ("ARP reply", ArpOperation::REPLY, LMAC),
    ] {
        let arp = ArpRepr {
            operation,
            sender_mac: RMAC,
            sender_ip: R4,
            target_mac: dst,
            target_ip: L4,
        };
        let frame = EthernetFrame {
            ethernet: EthernetRepr {
                dst,
                src: RMAC,
                ethertype: EtherType::ARP,
            },
            payload: FramePayload::Arp(arp),
        };
        out.push(Frame {
            what: what.to_string(),
            bytes: frame.to_bytes().expect("emits"),
        });
    }
    out
}

/// A small deterministic generator (xorshift64*), so the frames are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Random TCP and UDP frames over both IP versions: random header fields,
/// random option lists, one in eight with a wrong checksum.
fn generated_frames(n: usize) -> Vec<Frame> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    for i in 0..n {
        let payload_len = rng.below(64) as usize;
        let payload = rng.bytes(payload_len);
        let cookie_len = 4 + 2 * rng.below(7) as usize;
        let cookie = rng.bytes(cookie_len);
        let md5: [u8; 16] = rng.bytes(16).try_into().expect("16 bytes");
        let blocks: Vec<(u32, u32)> = (0..1 + rng.below(3))
            .map(|_| (rng.next() as u32, rng.next() as u32))
            .collect();
        let menu = [
            TcpOption::Nop,
            TcpOption::Mss(rng.next() as u16),
            TcpOption::WindowScale(rng.below(15) as u8),
            TcpOption::SackPermitted,
            TcpOption::Sack(SackBlocks::new(&blocks).expect("blocks")),
            TcpOption::Timestamps {
                tsval: rng.next() as u32,
                tsecr: rng.next() as u32,
            },
            TcpOption::Md5(md5),
            TcpOption::FastOpen(&cookie),
            TcpOption::FastOpenExp(&cookie),
        ];
        let mut options = TcpOptions::NONE;
        for _ in 0..rng.below(6) {
            let _ = options.push(&menu[rng.below(menu.len() as u64) as usize]);
        }
        options.pad_to_word();
        let wrong = rng.below(8) == 0;
        let checksum = if wrong {
            Checksum::wrong(1 + rng.below(0xfffd) as u16)
        } else {
            Checksum::Valid
        };
        let src_port = 40000 + rng.below(20000) as u16;
        let dst_port = 40000 + rng.below(20000) as u16;
        let upper = if rng.below(4) == 0 {
            UpperRepr::Udp(UdpRepr {
                src_port,
                dst_port,
                checksum,
                payload: &payload,
            })
        } else {
            UpperRepr::Tcp(TcpRepr {
                src_port,
                dst_port,
                seq: rng.next() as u32,
                ack: rng.next() as u32,
                // Any of the 9 flags; never none (tshark then guesses less).
                flags: TcpFlags::from_bits_truncate(1 + rng.below(0x1ff) as u16),
                window: rng.next() as u16,
                checksum,
                urgent: rng.next() as u16,
                options,
                payload: &payload,
            })
        };
        let protocol = if matches!(upper, UpperRepr::Udp(_)) {
            IpProtocol::UDP
        } else {
            IpProtocol::TCP
        };
        let ip = if rng.below(2) == 0 {
            let mut ip = v4(protocol);
            (ip.dscp, ip.ecn, ip.ident, ip.ttl, ip.dont_frag) = (
                rng.below(64) as u8,
                rng.below(4) as u8,
                rng.next() as u16,
                rng.next() as u8,
                rng.below(2) == 0,
            );
            if rng.below(8) == 0 {
                ip.checksum = Checksum::wrong(1 + rng.below(0xfffd) as u16);
            }
            IpRepr::V4(ip)
        } else {
            let mut ip = v6(protocol);
            (ip.traffic_class, ip.flow_label, ip.hop_limit) = (
                rng.next() as u8,
                rng.below(0x10_0000) as u32,
                rng.next() as u8,
            );
            IpRepr::V6(ip)
        };
        out.push(ip_frame(&format!("generated #{i}"), ip, upper));
    }
    out
}

// --- tshark -------------------------------------------------------------------

/// One frame as tshark decoded it: field → occurrences.
type Row = BTreeMap<&'static str, Vec<String>>;

fn run_tshark(frames: &[Frame]) -> Result<Vec<Row>, Failed> {
    let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
    let path = dir.path().join("wire.pcap");
    let file = std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ..PcapHeader::default()
    };
    let mut writer =
        PcapWriter::with_header(file, header).map_err(|e| format!("pcap header: {e}"))?;
    for (i, f) in frames.iter().enumerate() {
        let len = u32::try_from(f.bytes.len()).map_err(|_| "frame too long")?;
        let packet = PcapPacket::new(Duration::from_millis(i as u64), len, &f.bytes);
        writer
            .write_packet(&packet)
            .map_err(|e| format!("pcap packet: {e}"))?;
    }
    drop(writer);
    let mut cmd = Command::new("tshark");
    cmd.arg("-r").arg(&path).args([
        "-n",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=,",
    ]);
    cmd.args(["-E", "separator=/t", "-E", "header=n"]);
    for pref in [
        "tcp.check_checksum:TRUE",
        "ip.check_checksum:TRUE",
        "udp.check_checksum:TRUE",
        "tcp.relative_sequence_numbers:FALSE",
        "tcp.analyze_sequence_numbers:FALSE",
    ] {
        cmd.args(["-o", pref]);
    }
    for f in FIELDS {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().map_err(|e| format!("running tshark: {e}"))?;
    if !out.status.success() {
        return Err(format!("tshark failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let text = String::from_utf8(out.stdout).map_err(|_| "tshark output is not UTF-8")?;
    let rows: Vec<Row> = text
        .lines()
        .map(|line| {
            FIELDS
                .iter()
                .zip(line.split('\t'))
                .map(|(f, v)| {
                    (
                        *f,
                        if v.is_empty() {
                            Vec::new()
                        } else {
                            v.split(',').map(str::to_string).collect()
                        },
                    )
                })
                .collect()
        })
        .collect();
    if rows.len() != frames.len() {
        return Err(format!(
            "tshark printed {} rows for {} frames",
            rows.len(),
            frames.len()
        )
        .into());
    }
    Ok(rows)
}

/// Compares one frame's tshark row with our parse, collecting mismatches.
struct Check<'r> {
    row: &'r Row,
    what: String,
    errors: Vec<String>,
}

fn number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

impl Check<'_> {
    fn values(&self, field: &str) -> &[String] {
        self.row.get(field).map_or(&[], Vec::as_slice)
    }
    fn fail(&mut self, field: &str, theirs: impl std::fmt::Debug, ours: impl std::fmt::Debug) {
        self.errors.push(format!(
            "{}: {field}: tshark {theirs:?}, ours {ours:?}",
            self.what
        ));
    }
    /// The first occurrence of `field` is the number `want`.
    fn num(&mut self, field: &str, want: u64) {
        let got = self.values(field).first().and_then(|v| number(v));
        if got != Some(want) {
            self.fail(field, self.values(field).to_vec(), want);
        }
    }
    /// All occurrences of `field` are the numbers `want`, in order.
    fn nums(&mut self, field: &str, want: &[u64]) {
        let got: Vec<_> = self.values(field).iter().map(|v| number(v)).collect();
        let want: Vec<_> = want.iter().map(|&v| Some(v)).collect();
        if got != want {
            self.fail(field, self.values(field).to_vec(), want);
        }
    }
    /// The first occurrence of `field` is the text `want` (addresses, hex strings).
    fn text(&mut self, field: &str, want: &str) {
        if self.values(field).first().map(String::as_str) != Some(want) {
            self.fail(field, self.values(field).to_vec(), want);
        }
    }
    fn ipv6(&mut self, field: &str, want: Ipv6Addr) {
        let got = self
            .values(field)
            .first()
            .and_then(|v| v.parse::<Ipv6Addr>().ok());
        if got != Some(want) {
            self.fail(field, self.values(field).to_vec(), want);
        }
    }
    /// The checksum field holds `found` and tshark's verdict matches ours.
    fn checksum(&mut self, proto: &str, ours: Checksum, found: u16, has_calculated: bool) {
        self.num(&format!("{proto}.checksum"), found.into());
        let status = format!("{proto}.checksum.status");
        match ours {
            // tshark: 0 = bad, 1 = good, 2 = unverified, 3 = not present.
            Checksum::Valid => self.num(&status, 1),
            Checksum::Invalid { expected, .. } => {
                self.num(&status, 0);
                if has_calculated {
                    self.num(&format!("{proto}.checksum_calculated"), expected.into());
                }
            }
            Checksum::Absent => self.num(&status, 3),
            Checksum::Unverified { .. } => self.fail(&status, "", "parsed in verify mode"),
        }
    }
}

fn mac(m: MacAddr) -> String {
    m.to_string()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn cross_check(frames: &[Frame]) -> Result<(), Failed> {
    let rows = run_tshark(frames)?;
    let mut errors = Vec::new();
    for (i, (frame, row)) in frames.iter().zip(&rows).enumerate() {
        let parsed = EthernetFrame::parse(&frame.bytes, ChecksumMode::Verify)
            .map_err(|e| format!("{}: our parser rejects our own frame: {e}", frame.what))?;
        let mut c = Check {
            row,
            what: format!("frame {} ({})", i + 1, frame.what),
            errors: Vec::new(),
        };
        compare(&mut c, &frame.bytes, &parsed);
        errors.extend(c.errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{} mismatch(es):\n{}", errors.len(), errors.join("\n")).into())
    }
}

fn compare(c: &mut Check<'_>, bytes: &[u8], f: &EthernetFrame<'_>) {
    c.text("eth.dst", &mac(f.ethernet.dst));
    c.text("eth.src", &mac(f.ethernet.src));
    c.num("eth.type", f.ethernet.ethertype.0.into());
    match &f.payload {
        FramePayload::Arp(a) => {
            c.num("arp.opcode", a.operation.0.into());
            c.text("arp.src.hw_mac", &mac(a.sender_mac));
            c.text("arp.src.proto_ipv4", &a.sender_ip.to_string());
            c.text("arp.dst.hw_mac", &mac(a.target_mac));
            c.text("arp.dst.proto_ipv4", &a.target_ip.to_string());
        }
        FramePayload::Ip(d) => compare_ip(c, &bytes[14..], d),
        FramePayload::Raw(_) => c.fail("eth.type", "", "a raw payload in the cross-check set"),
    }
}

fn compare_ip(c: &mut Check<'_>, bytes: &[u8], d: &IpDatagram<'_>) {
    let upper_at = d.ip.header_len();
    match &d.ip {
        IpRepr::V4(ip) => {
            c.num("ip.version", 4);
            c.num("ip.hdr_len", ip.header_len() as u64);
            c.num("ip.dsfield.dscp", ip.dscp.into());
            c.num("ip.dsfield.ecn", ip.ecn.into());
            c.num("ip.len", (ip.header_len() + ip.payload_len) as u64);
            c.num("ip.id", ip.ident.into());
            c.num("ip.flags.rb", ip.reserved_flag.into());
            c.num("ip.flags.df", ip.dont_frag.into());
            c.num("ip.flags.mf", ip.more_frags.into());
            // tshark 4.0 shows the offset in 8-byte units, as on the wire.
            c.num("ip.frag_offset", ip.frag_offset.into());
            c.num("ip.ttl", ip.ttl.into());
            c.num("ip.proto", ip.protocol.0.into());
            c.text("ip.src", &ip.src.to_string());
            c.text("ip.dst", &ip.dst.to_string());
            c.checksum("ip", ip.checksum, be16(bytes, 10), true);
        }
        IpRepr::V6(ip) => {
            c.num("ipv6.tclass", ip.traffic_class.into());
            c.num("ipv6.flow", ip.flow_label.into());
            c.num("ipv6.plen", (ip.ext_headers.len() + ip.payload_len) as u64);
            c.num(
                "ipv6.nxt",
                ip.ext_headers.first().unwrap_or(ip.next_header).0.into(),
            );
            c.num("ipv6.hlim", ip.hop_limit.into());
            c.ipv6("ipv6.src", ip.src);
            c.ipv6("ipv6.dst", ip.dst);
            let (mut hbh, mut dst, mut routing, mut frags) = (vec![], vec![], vec![], vec![]);
            let mut next = ip
                .ext_headers
                .iter()
                .skip(1)
                .map(|h| u64::from(h.protocol().0))
                .collect::<Vec<_>>();
            next.push(ip.next_header.0.into());
            for (h, nh) in ip.ext_headers.iter().zip(next) {
                match h {
                    Ipv6ExtHeader::HopByHop { .. } => hbh.push(nh),
                    Ipv6ExtHeader::DestOptions { .. } => dst.push(nh),
                    Ipv6ExtHeader::Routing {
                        routing_type,
                        segments_left,
                        ..
                    } => routing.push((routing_type, segments_left)),
                    Ipv6ExtHeader::Fragment(f) => frags.push(f),
                    Ipv6ExtHeader::Auth { .. } => {}
                }
            }
            c.nums("ipv6.hopopts.nxt", &hbh);
            c.nums("ipv6.dstopts.nxt", &dst);
            c.nums(
                "ipv6.routing.type",
                &routing.iter().map(|r| u64::from(r.0)).collect::<Vec<_>>(),
            );
            c.nums(
                "ipv6.routing.segleft",
                &routing.iter().map(|r| u64::from(r.1)).collect::<Vec<_>>(),
            );
            // In 8-byte units, as on the wire.
            c.nums(
                "ipv6.fraghdr.offset",
                &frags
                    .iter()
                    .map(|f| u64::from(f.offset))
                    .collect::<Vec<_>>(),
            );
            c.nums(
                "ipv6.fraghdr.more",
                &frags.iter().map(|f| u64::from(f.more)).collect::<Vec<_>>(),
            );
            c.nums(
                "ipv6.fraghdr.ident",
                &frags.iter().map(|f| u64::from(f.ident)).collect::<Vec<_>>(),
            );
        }
    }
    let upper = &bytes[upper_at..];
    match &d.upper {
        UpperRepr::Tcp(t) => compare_tcp(c, upper, t),
        UpperRepr::Udp(u) => {
            c.num("udp.srcport", u.src_port.into());
            c.num("udp.dstport", u.dst_port.into());
            c.num("udp.length", (8 + u.payload.len()) as u64);
            c.checksum("udp", u.checksum, be16(upper, 6), true);
        }
        UpperRepr::Icmpv4(i) => {
            c.checksum("icmp", i.checksum, be16(upper, 2), false);
            match i.message {
                Icmpv4Message::EchoRequest { ident, seq_no, .. }
                | Icmpv4Message::EchoReply { ident, seq_no, .. } => {
                    c.num(
                        "icmp.type",
                        if matches!(i.message, Icmpv4Message::EchoRequest { .. }) {
                            8
                        } else {
                            0
                        },
                    );
                    c.num("icmp.ident", ident.into());
                    c.num("icmp.seq", seq_no.into());
                }
                Icmpv4Message::DstUnreachable {
                    code, next_hop_mtu, ..
                } => {
                    c.num("icmp.type", 3);
                    c.num("icmp.code", code.into());
                    if code == Icmpv4Message::CODE_FRAG_NEEDED {
                        c.num("icmp.mtu", next_hop_mtu.into());
                    }
                    // The quoted datagram: tshark's second IPv4 header.
                    c.nums("ip.proto", &[1, 6]);
                }
                Icmpv4Message::TimeExceeded { code, .. } => {
                    c.num("icmp.type", 11);
                    c.num("icmp.code", code.into());
                    c.nums("ip.proto", &[1, 6]);
                }
                Icmpv4Message::Other { msg_type, code, .. } => {
                    c.num("icmp.type", msg_type.into());
                    c.num("icmp.code", code.into());
                }
            }
        }
        UpperRepr::Icmpv6(i) => {
            c.checksum("icmpv6", i.checksum, be16(upper, 2), false);
            let (t, code) = (upper[0], upper[1]);
            c.num("icmpv6.type", t.into());
            c.num("icmpv6.code", code.into());
            match i.message {
                Icmpv6Message::EchoRequest { ident, seq_no, .. }
                | Icmpv6Message::EchoReply { ident, seq_no, .. } => {
                    c.num("icmpv6.echo.identifier", ident.into());
                    c.num("icmpv6.echo.sequence_number", seq_no.into());
                }
                Icmpv6Message::PacketTooBig { mtu, .. } => c.num("icmpv6.mtu", mtu.into()),
                Icmpv6Message::DstUnreachable { .. } | Icmpv6Message::TimeExceeded { .. } => {
                    // The quoted datagram: tshark's second IPv6 header.
                    c.nums("ipv6.nxt", &[58, 6]);
                }
                Icmpv6Message::NeighborSolicit { target, lladdr } => {
                    c.ipv6("icmpv6.nd.ns.target_address", target);
                    let want: Vec<_> = lladdr.iter().map(|m| mac(*m)).collect();
                    if c.values("icmpv6.opt.linkaddr") != want.as_slice() {
                        c.fail(
                            "icmpv6.opt.linkaddr",
                            c.values("icmpv6.opt.linkaddr").to_vec(),
                            want,
                        );
                    }
                }
                Icmpv6Message::NeighborAdvert {
                    router,
                    solicited,
                    override_,
                    target,
                    lladdr,
                } => {
                    c.ipv6("icmpv6.nd.na.target_address", target);
                    c.num("icmpv6.nd.na.flag.r", router.into());
                    c.num("icmpv6.nd.na.flag.s", solicited.into());
                    c.num("icmpv6.nd.na.flag.o", override_.into());
                    c.text("icmpv6.opt.linkaddr", &lladdr.map(mac).unwrap_or_default());
                }
                Icmpv6Message::Other { .. } => {}
            }
        }
        UpperRepr::Raw(raw) => {
            if !d.ip.is_fragment() {
                c.fail(
                    "upper layer",
                    "",
                    format!("raw {} bytes outside a fragment", raw.len()),
                );
            }
        }
    }
}

fn compare_tcp(c: &mut Check<'_>, bytes: &[u8], t: &TcpRepr<'_>) {
    c.num("tcp.srcport", t.src_port.into());
    c.num("tcp.dstport", t.dst_port.into());
    c.num("tcp.seq_raw", t.seq.into());
    c.num("tcp.ack_raw", t.ack.into());
    c.num("tcp.hdr_len", t.header_len() as u64);
    c.num("tcp.flags", t.flags.bits().into());
    c.num("tcp.window_size_value", t.window.into());
    c.num("tcp.urgent_pointer", t.urgent.into());
    c.num("tcp.len", t.payload.len() as u64);
    c.checksum("tcp", t.checksum, be16(bytes, 16), true);
    // Option kinds in order; tshark lists every padding byte after an EOL
    // as another EOL, so compare up to the first.
    let mut theirs: Vec<u64> = c
        .values("tcp.option_kind")
        .iter()
        .filter_map(|v| number(v))
        .collect();
    if let Some(eol) = theirs.iter().position(|&k| k == 0) {
        theirs.truncate(eol + 1);
    }
    let ours: Vec<u64> = t.options.iter().map(|o| u64::from(o.kind())).collect();
    if theirs != ours {
        c.fail("tcp.option_kind", theirs, ours.clone());
    }
    let (mut mss, mut ws, mut le, mut re, mut tsval, mut tsecr, mut cookies, mut exids, mut md5) = (
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    );
    for o in t.options.iter() {
        match o {
            TcpOption::Mss(v) => mss.push(u64::from(v)),
            TcpOption::WindowScale(v) => ws.push(u64::from(v)),
            TcpOption::Sack(blocks) => {
                for (l, r) in blocks.as_slice() {
                    le.push(u64::from(*l));
                    re.push(u64::from(*r));
                }
            }
            TcpOption::Timestamps { tsval: a, tsecr: b } => {
                tsval.push(u64::from(a));
                tsecr.push(u64::from(b));
            }
            TcpOption::FastOpen(cookie) if !cookie.is_empty() => cookies.push(hex(cookie)),
            TcpOption::FastOpenExp(cookie) => {
                exids.push(0xf989);
                if !cookie.is_empty() {
                    cookies.push(hex(cookie));
                }
            }
            TcpOption::Md5(sig) => md5.push(hex(&sig)),
            _ => {}
        }
    }
    c.nums("tcp.options.mss_val", &mss);
    c.nums("tcp.options.wscale.shift", &ws);
    c.nums("tcp.options.sack_le", &le);
    c.nums("tcp.options.sack_re", &re);
    c.nums("tcp.options.timestamp.tsval", &tsval);
    c.nums("tcp.options.timestamp.tsecr", &tsecr);
    c.nums("tcp.options.experimental.exid", &exids);
    for (field, want) in [
        ("tcp.options.tfo.cookie", cookies),
        ("tcp.options.md5.digest", md5),
    ] {
        if c.values(field) != want.as_slice() {
            c.fail(field, c.values(field).to_vec(), want);
        }
    }
}
