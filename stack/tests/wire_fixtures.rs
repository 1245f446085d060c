//! Per-header fixtures: frames written by hand from the RFC layouts (built
//! with an independent Python encoder and checked with tshark, whose summary
//! line heads each one). Each test checks every decoded field and that
//! emitting the decoded frame gives back the very same bytes.

use netdrill_stack::wire::{
    ArpOperation, ArpRepr, Checksum, ChecksumMode, EtherType, EthernetFrame, EthernetRepr,
    FramePayload, Icmpv4Message, Icmpv6Message, IpDatagram, IpProtocol, IpRepr, Ipv4Repr,
    Ipv6ExtHeader, Ipv6Fragment, MacAddr, SackBlocks, TcpFlags, TcpOption, UpperRepr,
};
use std::net::{Ipv4Addr, Ipv6Addr};

const A: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const B: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 1);
const A6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const B6: Ipv6Addr = Ipv6Addr::new(0xfd3d, 0xfa7b, 0xd17d, 0, 0, 0, 0, 1);
const M1: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
const M2: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

fn hex(lines: &[&str]) -> Vec<u8> {
    lines
        .iter()
        .flat_map(|l| l.split_whitespace())
        .map(|b| u8::from_str_radix(b, 16).expect("fixture hex"))
        .collect()
}

/// Parses `bytes` as a frame, checks the Ethernet header is M2 → M1 (or
/// broadcast for ARP), and that emitting the result gives `bytes` back.
fn frame(bytes: &[u8]) -> EthernetFrame<'_> {
    let frame = EthernetFrame::parse(bytes, ChecksumMode::Verify).expect("fixture parses");
    assert_eq!(frame.ethernet.src, M2);
    assert_eq!(
        frame.to_bytes().expect("emits"),
        bytes,
        "emit reproduces the fixture"
    );
    frame
}

fn datagram<'a>(f: &EthernetFrame<'a>) -> IpDatagram<'a> {
    match f.payload {
        FramePayload::Ip(d) => d,
        other => panic!("not IP: {other:?}"),
    }
}

fn v4(d: &IpDatagram<'_>) -> Ipv4Repr {
    match d.ip {
        IpRepr::V4(r) => r,
        other => panic!("not IPv4: {other:?}"),
    }
}

fn ipv4(ident: u16, protocol: IpProtocol, payload_len: usize) -> Ipv4Repr {
    Ipv4Repr {
        ident,
        payload_len,
        ..Ipv4Repr::new(A, B, protocol)
    }
}

#[test]
fn tcp_syn_with_linux_options() {
    // 192.0.2.1.54321 > 192.168.0.1.8080: Flags [S], seq 168496141, win 65535,
    //   options [mss 1460,sackOK,TS val 1000 ecr 0,nop,wscale 7], length 0
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 08 00 45 00",
        "00 3c 12 34 40 00 40 06 a5 dd c0 00 02 01 c0 a8",
        "00 01 d4 31 1f 90 0a 0b 0c 0d 00 00 00 00 a0 02",
        "ff ff b7 93 00 00 02 04 05 b4 04 02 08 0a 00 00",
        "03 e8 00 00 00 00 01 03 03 07",
    ]);
    let f = frame(&bytes);
    assert_eq!(
        f.ethernet,
        EthernetRepr {
            dst: M1,
            src: M2,
            ethertype: EtherType::IPV4
        }
    );
    let d = datagram(&f);
    assert_eq!(v4(&d), ipv4(0x1234, IpProtocol::TCP, 40));
    let tcp = d.tcp().expect("TCP");
    assert_eq!(
        (tcp.src_port, tcp.dst_port, tcp.seq, tcp.ack),
        (54321, 8080, 0x0a0b0c0d, 0)
    );
    assert_eq!(tcp.flags, TcpFlags::SYN);
    assert_eq!(tcp.flags.to_string(), "S");
    assert_eq!((tcp.window, tcp.urgent, tcp.data_offset()), (65535, 0, 10));
    assert_eq!(tcp.checksum, Checksum::Valid);
    let options: Vec<_> = tcp.options.iter().collect();
    assert_eq!(
        options,
        [
            TcpOption::Mss(1460),
            TcpOption::SackPermitted,
            TcpOption::Timestamps {
                tsval: 1000,
                tsecr: 0
            },
            TcpOption::Nop,
            TcpOption::WindowScale(7),
        ]
    );
    assert_eq!(tcp.options.mss(), Some(1460));
    assert_eq!(tcp.options.window_scale(), Some(7));
    assert_eq!(tcp.options.timestamps(), Some((1000, 0)));
    assert!(tcp.options.sack_permitted());
    assert!(tcp.payload.is_empty());
}

#[test]
fn tcp_data_segment_psh_ack() {
    // 192.0.2.1.54321 > 192.168.0.1.8080: Flags [P.], seq 1001:1007, ack 2002, win 502,
    //   options [nop,nop,TS val 10000 ecr 9000], length 6
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 08 00 45 00",
        "00 3a be ef 40 00 40 06 f9 23 c0 00 02 01 c0 a8",
        "00 01 d4 31 1f 90 00 00 03 e9 00 00 07 d2 80 18",
        "01 f6 64 7d 00 00 01 01 08 0a 00 00 27 10 00 00",
        "23 28 68 65 6c 6c 6f 0a",
    ]);
    let f = frame(&bytes);
    let d = datagram(&f);
    assert_eq!(v4(&d), ipv4(0xbeef, IpProtocol::TCP, 38));
    let tcp = d.tcp().expect("TCP");
    assert_eq!((tcp.seq, tcp.ack, tcp.window), (1001, 2002, 502));
    assert_eq!(tcp.flags, TcpFlags::PSH | TcpFlags::ACK);
    assert_eq!(tcp.flags.to_string(), "P.");
    let options: Vec<_> = tcp.options.iter().collect();
    assert_eq!(
        options,
        [
            TcpOption::Nop,
            TcpOption::Nop,
            TcpOption::Timestamps {
                tsval: 10000,
                tsecr: 9000
            }
        ]
    );
    assert_eq!(tcp.payload, b"hello\n");
    assert_eq!(tcp.segment_len(), 6);
}

#[test]
fn tcp_pure_ack_with_sack_blocks() {
    // 192.0.2.1.8080 > 192.168.0.1.54321: Flags [.], ack 1001, win 1000,
    //   options [nop,nop,sack 2 {3000:4000}{5000:6000}], length 0
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 08 00 45 00",
        "00 3c 12 34 40 00 40 06 a5 dd c0 00 02 01 c0 a8",
        "00 01 1f 90 d4 31 00 00 07 d2 00 00 03 e9 a0 10",
        "03 e8 8d 4d 00 00 01 01 05 12 00 00 0b b8 00 00",
        "0f a0 00 00 13 88 00 00 17 70",
    ]);
    let f = frame(&bytes);
    let tcp = *datagram(&f).tcp().expect("TCP");
    assert_eq!(tcp.flags.to_string(), ".");
    let sack = SackBlocks::new(&[(3000, 4000), (5000, 6000)]).expect("two blocks");
    let options: Vec<_> = tcp.options.iter().collect();
    assert_eq!(
        options,
        [TcpOption::Nop, TcpOption::Nop, TcpOption::Sack(sack)]
    );
    assert_eq!(
        tcp.options.sack_blocks().map(|b| b.as_slice().to_vec()),
        Some(vec![(3000, 4000), (5000, 6000)])
    );
}

#[test]
fn tcp_fast_open_md5_unknown_and_eol_in_order() {
    // 192.0.2.1.54321 > 192.168.0.1.8080: Flags [SEW] (tcpdump: [SEW]), seq 1, win 65535,
    //   options [tfo cookie 0102030405060708,exp-tfo cookie aabb,md5 000102..0f,
    //   unknown-168 01,eol], length 0
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 08 00 45 00",
        "00 50 12 34 40 00 40 06 a5 c9 c0 00 02 01 c0 a8",
        "00 01 d4 31 1f 90 00 00 00 01 00 00 00 00 f0 c2",
        "ff ff cf cb 00 00 22 0a 01 02 03 04 05 06 07 08",
        "fe 06 f9 89 aa bb 13 12 00 01 02 03 04 05 06 07",
        "08 09 0a 0b 0c 0d 0e 0f a8 03 01 00 00 00",
    ]);
    let f = frame(&bytes);
    let tcp = *datagram(&f).tcp().expect("TCP");
    assert_eq!(tcp.flags, TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR);
    assert_eq!(tcp.flags.to_string(), "SEW");
    let md5: [u8; 16] = core::array::from_fn(|i| i as u8);
    let options: Vec<_> = tcp.options.iter().collect();
    assert_eq!(
        options,
        [
            TcpOption::FastOpen(&[1, 2, 3, 4, 5, 6, 7, 8]),
            TcpOption::FastOpenExp(&[0xaa, 0xbb]),
            TcpOption::Md5(md5),
            TcpOption::Raw {
                kind: 168,
                data: &[1]
            },
            TcpOption::Eol,
        ]
    );
    // The padding after EOL is kept: the data offset says 15 words.
    assert_eq!(tcp.options.len(), 40);
    assert_eq!(tcp.data_offset(), 15);
    assert_eq!(
        tcp.options.fast_open_cookie(),
        Some(&[1u8, 2, 3, 4, 5, 6, 7, 8][..])
    );
}

#[test]
fn tcp_bad_checksum_is_reported_not_fixed() {
    // 192.0.2.1.54321 > 192.168.0.1.8080: Flags [R.], seq 7, ack 8, win 0, length 0
    //   [bad tcp cksum 2844 (->3955)!]
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 08 00 45 00",
        "00 28 12 34 40 00 40 06 a5 f1 c0 00 02 01 c0 a8",
        "00 01 d4 31 1f 90 00 00 00 07 00 00 00 08 50 14",
        "00 00 28 44 00 00",
    ]);
    let f = frame(&bytes);
    let d = datagram(&f);
    let tcp = d.tcp().expect("TCP");
    assert_eq!(
        tcp.checksum,
        Checksum::Invalid {
            found: 0x2844,
            expected: 0x3955
        }
    );
    assert!(!tcp.checksum.is_acceptable());
    assert_eq!(tcp.flags.to_string(), "R.");
    // Skipping verification reports the raw value instead.
    let skipped = IpDatagram::parse(&bytes[14..], ChecksumMode::Skip).expect("parses");
    assert_eq!(
        skipped.tcp().expect("TCP").checksum,
        Checksum::Unverified { found: 0x2844 }
    );
    // Asking emit for the right checksum fixes it to tshark's "should be".
    let mut fixed = d;
    if let UpperRepr::Tcp(t) = &mut fixed.upper {
        t.checksum = Checksum::Valid;
    }
    let out = fixed.to_bytes().expect("emits");
    assert_eq!(&out[36..38], &[0x39, 0x55]);
}

#[test]
fn ipv4_bad_header_checksum_still_parses() {
    // 192.0.2.1.4000 > 192.168.0.1.5000: UDP, length 1 [bad ip cksum ffab (->a5f1)!]
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 08 00 45 00",
        "00 1d 12 34 40 00 40 11 ff ab c0 00 02 01 c0 a8",
        "00 01 0f a0 13 88 00 09 e2 08 78",
    ]);
    let f = frame(&bytes);
    let d = datagram(&f);
    assert_eq!(
        v4(&d).checksum,
        Checksum::Invalid {
            found: 0xffab,
            expected: 0xa5f1
        }
    );
    match d.upper {
        UpperRepr::Udp(u) => {
            assert_eq!((u.src_port, u.dst_port, u.payload), (4000, 5000, &b"x"[..]));
            assert_eq!(u.checksum, Checksum::Valid);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn udp_over_ipv4_with_dscp_and_ecn() {
    // 192.0.2.1.4001 > 192.168.0.1.5001: UDP, length 5 (tos 0xb9: DSCP EF, ECT(1))
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 08 00 45 b9",
        "00 21 12 34 00 00 40 11 e5 34 c0 00 02 01 c0 a8",
        "00 01 0f a1 13 89 00 0d 0a 17 71 75 65 72 79",
    ]);
    let f = frame(&bytes);
    let d = datagram(&f);
    let ip = v4(&d);
    assert_eq!((ip.dscp, ip.ecn, ip.dont_frag), (46, 1, false));
    match d.upper {
        UpperRepr::Udp(u) => {
            assert_eq!(
                (u.src_port, u.dst_port, u.payload, u.checksum),
                (4001, 5001, &b"query"[..], Checksum::Valid)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn udp_over_ipv6_with_traffic_class_and_flow_label() {
    // 2001:db8::1.4001 > fd3d:fa7b:d17d::1.5001: UDP, length 6 (class 0x2e, flowlabel 0xabcde, hlim 255)
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 86 dd 62 ea",
        "bc de 00 0e 11 ff 20 01 0d b8 00 00 00 00 00 00",
        "00 00 00 00 00 01 fd 3d fa 7b d1 7d 00 00 00 00",
        "00 00 00 00 00 01 0f a1 13 89 00 0e 95 97 71 75",
        "65 72 79 36",
    ]);
    let f = frame(&bytes);
    let d = datagram(&f);
    let IpRepr::V6(ip) = d.ip else {
        panic!("not IPv6")
    };
    assert_eq!((ip.src, ip.dst), (A6, B6));
    assert_eq!(
        (ip.traffic_class, ip.flow_label, ip.hop_limit),
        (0x2e, 0xabcde, 255)
    );
    assert_eq!((ip.next_header, ip.payload_len), (IpProtocol::UDP, 14));
    assert!(ip.ext_headers.is_empty());
    let UpperRepr::Udp(u) = d.upper else {
        panic!("not UDP")
    };
    assert_eq!(
        (u.src_port, u.dst_port, u.payload, u.checksum),
        (4001, 5001, &b"query6"[..], Checksum::Valid)
    );
}

/// The first 28 bytes of 192.168.0.1.8080 > 192.0.2.1.54321: Flags [.] (quoted by ICMP).
const QUOTED_V4: &str =
    "45 00 00 28 12 34 40 00 40 06 a5 f1 c0 a8 00 01 c0 00 02 01 1f 90 d4 31 00 00 00 05";

#[test]
fn icmpv4_fragmentation_needed_with_mtu_and_quote() {
    // 192.0.2.1 > 192.168.0.1: ICMP 192.0.2.1 unreachable - need to frag (mtu 1400), length 36
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 08 00 45 00",
        "00 38 12 34 40 00 40 01 a5 e6 c0 00 02 01 c0 a8",
        "00 01 03 04 03 bd 00 00 05 78 45 00 00 28 12 34",
        "40 00 40 06 a5 f1 c0 a8 00 01 c0 00 02 01 1f 90",
        "d4 31 00 00 00 05",
    ]);
    let f = frame(&bytes);
    let d = datagram(&f);
    let UpperRepr::Icmpv4(icmp) = d.upper else {
        panic!("not ICMP")
    };
    assert_eq!(icmp.checksum, Checksum::Valid);
    assert_eq!(
        icmp.message,
        Icmpv4Message::DstUnreachable {
            code: Icmpv4Message::CODE_FRAG_NEEDED,
            next_hop_mtu: 1400,
            quoted: &hex(&[QUOTED_V4])
        }
    );
}

#[test]
fn icmpv4_echo_request() {
    // 192.0.2.1 > 192.168.0.1: ICMP echo request, id 16962, seq 7, length 17
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 08 00 45 00",
        "00 25 12 34 40 00 40 01 a5 f9 c0 00 02 01 c0 a8",
        "00 01 08 00 e7 0c 42 42 00 07 70 69 6e 67 2d 64",
        "61 74 61",
    ]);
    let f = frame(&bytes);
    let UpperRepr::Icmpv4(icmp) = datagram(&f).upper else {
        panic!("not ICMP")
    };
    assert_eq!(
        icmp.message,
        Icmpv4Message::EchoRequest {
            ident: 0x4242,
            seq_no: 7,
            data: b"ping-data"
        }
    );
    assert_eq!(icmp.checksum, Checksum::Valid);
}

#[test]
fn icmpv4_time_exceeded_with_quote() {
    // 192.0.2.1 > 192.168.0.1: ICMP time exceeded in-transit, length 36
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 08 00 45 00",
        "00 38 12 34 40 00 40 01 a5 e6 c0 00 02 01 c0 a8",
        "00 01 0b 00 01 39 00 00 00 00 45 00 00 28 12 34",
        "40 00 40 06 a5 f1 c0 a8 00 01 c0 00 02 01 1f 90",
        "d4 31 00 00 00 05",
    ]);
    let f = frame(&bytes);
    let UpperRepr::Icmpv4(icmp) = datagram(&f).upper else {
        panic!("not ICMP")
    };
    assert_eq!(
        icmp.message,
        Icmpv4Message::TimeExceeded {
            code: 0,
            quoted: &hex(&[QUOTED_V4])
        }
    );
}

/// fd3d:fa7b:d17d::1.8080 > 2001:db8::1.54321: Flags [.], ack 6, win 100 (quoted by ICMPv6).
const QUOTED_V6: [&str; 4] = [
    "60 00 00 00 00 14 06 40 fd 3d fa 7b d1 7d 00 00 00 00",
    "00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00",
    "00 00 00 00 00 01 1f 90 d4 31 00 00 00 05 00 00",
    "00 06 50 10 00 64 c4 b1 00 00",
];

#[test]
fn icmpv6_packet_too_big() {
    // 2001:db8::1 > fd3d:fa7b:d17d::1: ICMP6, packet too big, mtu 1280, length 68
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 86 dd 60 00",
        "00 00 00 44 3a 40 20 01 0d b8 00 00 00 00 00 00",
        "00 00 00 00 00 01 fd 3d fa 7b d1 7d 00 00 00 00",
        "00 00 00 00 00 01 02 00 9b 54 00 00 05 00 60 00",
        "00 00 00 14 06 40 fd 3d fa 7b d1 7d 00 00 00 00",
        "00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00",
        "00 00 00 00 00 01 1f 90 d4 31 00 00 00 05 00 00",
        "00 06 50 10 00 64 c4 b1 00 00",
    ]);
    let f = frame(&bytes);
    let UpperRepr::Icmpv6(icmp) = datagram(&f).upper else {
        panic!("not ICMPv6")
    };
    assert_eq!(icmp.checksum, Checksum::Valid);
    assert_eq!(
        icmp.message,
        Icmpv6Message::PacketTooBig {
            mtu: 1280,
            quoted: &hex(&QUOTED_V6)
        }
    );
    // The quote is a whole IPv6+TCP datagram here, so it parses on its own.
    let Icmpv6Message::PacketTooBig { quoted, .. } = icmp.message else {
        unreachable!()
    };
    let inner = IpDatagram::parse(quoted, ChecksumMode::Verify).expect("quoted datagram");
    assert_eq!(
        inner.tcp().map(|t| (t.src_port, t.ack, t.checksum)),
        Some((8080, 6, Checksum::Valid))
    );
}

#[test]
fn icmpv6_destination_unreachable() {
    // 2001:db8::1 > fd3d:fa7b:d17d::1: ICMP6, destination unreachable, unreachable port, length 68
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 86 dd 60 00",
        "00 00 00 44 3a 40 20 01 0d b8 00 00 00 00 00 00",
        "00 00 00 00 00 01 fd 3d fa 7b d1 7d 00 00 00 00",
        "00 00 00 00 00 01 01 04 a1 50 00 00 00 00 60 00",
        "00 00 00 14 06 40 fd 3d fa 7b d1 7d 00 00 00 00",
        "00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00",
        "00 00 00 00 00 01 1f 90 d4 31 00 00 00 05 00 00",
        "00 06 50 10 00 64 c4 b1 00 00",
    ]);
    let f = frame(&bytes);
    let UpperRepr::Icmpv6(icmp) = datagram(&f).upper else {
        panic!("not ICMPv6")
    };
    assert_eq!(
        icmp.message,
        Icmpv6Message::DstUnreachable {
            code: 4,
            quoted: &hex(&QUOTED_V6)
        }
    );
}

#[test]
fn icmpv6_echo_request() {
    // 2001:db8::1 > fd3d:fa7b:d17d::1: ICMP6, echo request, id 119, seq 1, length 11
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 86 dd 60 00",
        "00 00 00 0b 3a 40 20 01 0d b8 00 00 00 00 00 00",
        "00 00 00 00 00 01 fd 3d fa 7b d1 7d 00 00 00 00",
        "00 00 00 00 00 01 80 00 c3 ec 00 77 00 01 61 62",
        "63",
    ]);
    let f = frame(&bytes);
    let UpperRepr::Icmpv6(icmp) = datagram(&f).upper else {
        panic!("not ICMPv6")
    };
    assert_eq!(
        icmp.message,
        Icmpv6Message::EchoRequest {
            ident: 0x77,
            seq_no: 1,
            data: b"abc"
        }
    );
    assert_eq!(icmp.checksum, Checksum::Valid);
}

#[test]
fn icmpv6_neighbor_solicitation_with_source_lladdr() {
    // 2001:db8::1 > fd3d:fa7b:d17d::1: ICMP6, neighbor solicitation, who has fd3d:fa7b:d17d::1,
    //   source link-address option (1), length 8 (1): 02:00:00:00:00:02
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 86 dd 60 00",
        "00 00 00 20 3a ff 20 01 0d b8 00 00 00 00 00 00",
        "00 00 00 00 00 01 fd 3d fa 7b d1 7d 00 00 00 00",
        "00 00 00 00 00 01 87 00 b5 76 00 00 00 00 fd 3d",
        "fa 7b d1 7d 00 00 00 00 00 00 00 00 00 01 01 01",
        "02 00 00 00 00 02",
    ]);
    let f = frame(&bytes);
    let UpperRepr::Icmpv6(icmp) = datagram(&f).upper else {
        panic!("not ICMPv6")
    };
    assert_eq!(
        icmp.message,
        Icmpv6Message::NeighborSolicit {
            target: B6,
            lladdr: Some(M2)
        }
    );
    assert_eq!(icmp.checksum, Checksum::Valid);
}

#[test]
fn icmpv6_neighbor_advertisement_with_target_lladdr() {
    // 2001:db8::1 > fd3d:fa7b:d17d::1: ICMP6, neighbor advertisement, tgt is 2001:db8::1,
    //   Flags [solicited, override], target link-address option (2): 02:00:00:00:00:02
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 86 dd 60 00",
        "00 00 00 20 3a ff 20 01 0d b8 00 00 00 00 00 00",
        "00 00 00 00 00 01 fd 3d fa 7b d1 7d 00 00 00 00",
        "00 00 00 00 00 01 88 00 ee f4 60 00 00 00 20 01",
        "0d b8 00 00 00 00 00 00 00 00 00 00 00 01 02 01",
        "02 00 00 00 00 02",
    ]);
    let f = frame(&bytes);
    let UpperRepr::Icmpv6(icmp) = datagram(&f).upper else {
        panic!("not ICMPv6")
    };
    assert_eq!(
        icmp.message,
        Icmpv6Message::NeighborAdvert {
            router: false,
            solicited: true,
            override_: true,
            target: A6,
            lladdr: Some(M2)
        }
    );
}

#[test]
fn ipv6_extension_chain_walked_to_tcp() {
    // 2001:db8::1 > fd3d:fa7b:d17d::1: HBH (padn) DSTOPT (padn) frag (0|20) 54321 > 8080:
    //   Flags [S], seq 9, win 65535, options [mss 1440], length 0
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 86 dd 60 00",
        "00 00 00 30 00 40 20 01 0d b8 00 00 00 00 00 00",
        "00 00 00 00 00 01 fd 3d fa 7b d1 7d 00 00 00 00",
        "00 00 00 00 00 01 3c 00 01 04 00 00 00 00 2c 00",
        "01 04 00 00 00 00 06 00 00 00 de ad be ef d4 31",
        "1f 90 00 00 00 09 00 00 00 00 60 02 ff ff ad 7d",
        "00 00 02 04 05 a0",
    ]);
    let f = frame(&bytes);
    let d = datagram(&f);
    let IpRepr::V6(ip) = d.ip else {
        panic!("not IPv6")
    };
    assert_eq!(ip.next_header, IpProtocol::TCP);
    assert_eq!(
        (ip.ext_headers.first(), ip.ext_headers.len(), ip.payload_len),
        (Some(IpProtocol::HOP_BY_HOP), 24, 24)
    );
    let headers: Vec<_> = ip.ext_headers.iter().collect();
    assert_eq!(
        headers,
        [
            Ipv6ExtHeader::HopByHop {
                options: &[1, 4, 0, 0, 0, 0]
            },
            Ipv6ExtHeader::DestOptions {
                options: &[1, 4, 0, 0, 0, 0]
            },
            Ipv6ExtHeader::Fragment(Ipv6Fragment {
                offset: 0,
                more: false,
                ident: 0xdeadbeef
            }),
        ]
    );
    // An atomic fragment (offset 0, M clear) is not a fragment of anything.
    assert!(!d.ip.is_fragment());
    let tcp = d.tcp().expect("TCP after the chain");
    assert_eq!(
        (tcp.src_port, tcp.seq, tcp.checksum, tcp.options.mss()),
        (54321, 9, Checksum::Valid, Some(1440))
    );
    // The chain can be rebuilt from its decoded headers.
    let (first, chain) = Ipv6ExtHeader::encode_chain(&headers, IpProtocol::TCP).expect("encodes");
    assert_eq!(
        (first, &chain[..]),
        (IpProtocol::HOP_BY_HOP, ip.ext_headers.as_bytes())
    );
}

#[test]
fn arp_request() {
    // ARP, Request who-has 192.168.0.1 tell 192.0.2.1, length 28
    let bytes = hex(&[
        "ff ff ff ff ff ff 02 00 00 00 00 02 08 06 00 01",
        "08 00 06 04 00 01 02 00 00 00 00 02 c0 00 02 01",
        "00 00 00 00 00 00 c0 a8 00 01",
    ]);
    let f = frame(&bytes);
    assert_eq!(f.ethernet.dst, MacAddr::BROADCAST);
    assert_eq!(
        f.payload,
        FramePayload::Arp(ArpRepr {
            operation: ArpOperation::REQUEST,
            sender_mac: M2,
            sender_ip: A,
            target_mac: MacAddr::ZERO,
            target_ip: B,
        })
    );
    // Ethernet padding to 60 bytes is ignored.
    let mut padded = bytes.clone();
    padded.resize(60, 0);
    assert_eq!(
        EthernetFrame::parse(&padded, ChecksumMode::Verify)
            .expect("padded")
            .payload,
        f.payload
    );
}

#[test]
fn ipv4_options_kept_and_first_fragment_left_raw() {
    // 192.0.2.1 > 192.168.0.1: (tos 0x0, ttl 64, id 4660, offset 0, flags [+], proto UDP (17),
    //   length 40, options (RA value 0)) (first fragment: the UDP header is not checked)
    let bytes = hex(&[
        "02 00 00 00 00 01 02 00 00 00 00 02 08 00 46 00",
        "00 28 12 34 20 00 40 11 30 e2 c0 00 02 01 c0 a8",
        "00 01 94 04 00 00 0f a0 13 88 00 10 00 00 66 72",
        "61 67 64 61 74 61",
    ]);
    let f = frame(&bytes);
    let d = datagram(&f);
    let ip = v4(&d);
    assert_eq!(ip.options.as_bytes(), &[0x94, 0x04, 0x00, 0x00]);
    assert_eq!(
        (ip.header_len(), ip.more_frags, ip.dont_frag, ip.frag_offset),
        (24, true, false, 0)
    );
    assert_eq!(ip.checksum, Checksum::Valid);
    assert!(ip.is_fragment());
    assert_eq!(d.upper, UpperRepr::Raw(&bytes[38..]));
}
