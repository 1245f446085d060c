//! Differential test: 10,000 generated frames of every kind, emitted by this
//! codec, decoded both by it and by an independent decoder (`pnet_packet`);
//! every header field and every checksum verdict must agree.

mod wire_gen;

use netdrill_stack::wire::{
    Checksum, ChecksumMode, EthernetFrame, FramePayload, Icmpv4Message, Icmpv6Message, IpDatagram,
    IpRepr, TcpOption, UpperRepr,
};
use pnet_packet::Packet;
use pnet_packet::arp::ArpPacket;
use pnet_packet::ethernet::EthernetPacket;
use pnet_packet::icmp::{self, IcmpPacket};
use pnet_packet::icmpv6::{self, Icmpv6Packet};
use pnet_packet::ipv4::{self, Ipv4Packet};
use pnet_packet::ipv6::{ExtensionPacket, FragmentPacket, Ipv6Packet, RoutingPacket};
use pnet_packet::tcp::{self, TcpPacket};
use pnet_packet::udp::{self, UdpPacket};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use std::net::{Ipv4Addr, Ipv6Addr};

/// One's-complement equality: 0x0000 and 0xffff are both zero.
fn same_sum(a: u16, b: u16) -> bool {
    a == b || (a | b == 0xffff && (a == 0 || b == 0))
}

/// Our verdict must agree with pnet's recomputation `right` of a field that holds `found`.
fn check_verdict(what: &str, ours: Checksum, found: u16, right: u16) {
    match ours {
        Checksum::Valid => assert!(
            same_sum(found, right),
            "{what}: we say valid, pnet computes {right:#06x} for {found:#06x}"
        ),
        Checksum::Invalid { found: f, expected } => {
            assert_eq!(f, found, "{what}: found");
            assert!(
                !same_sum(found, right),
                "{what}: we say invalid, pnet agrees with {found:#06x}"
            );
            assert!(
                same_sum(expected, right),
                "{what}: expected {expected:#06x}, pnet {right:#06x}"
            );
        }
        other => panic!("{what}: unexpected verdict {other:?} in verify mode"),
    }
}

fn compare_frame(bytes: &[u8], ours: &EthernetFrame<'_>) {
    let eth = EthernetPacket::new(bytes).expect("pnet: ethernet");
    assert_eq!(eth.get_destination().octets(), ours.ethernet.dst.0);
    assert_eq!(eth.get_source().octets(), ours.ethernet.src.0);
    assert_eq!(eth.get_ethertype().0, ours.ethernet.ethertype.0);
    match &ours.payload {
        FramePayload::Arp(arp) => {
            let p = ArpPacket::new(eth.payload()).expect("pnet: arp");
            assert_eq!(p.get_operation().0, arp.operation.0);
            assert_eq!(p.get_sender_hw_addr().octets(), arp.sender_mac.0);
            assert_eq!(p.get_sender_proto_addr(), arp.sender_ip);
            assert_eq!(p.get_target_hw_addr().octets(), arp.target_mac.0);
            assert_eq!(p.get_target_proto_addr(), arp.target_ip);
        }
        FramePayload::Ip(d) => compare_datagram(eth.payload(), d),
        FramePayload::Raw(raw) => assert_eq!(eth.payload(), *raw),
    }
}

fn compare_datagram(bytes: &[u8], d: &IpDatagram<'_>) {
    match &d.ip {
        IpRepr::V4(ip) => {
            let p = Ipv4Packet::new(bytes).expect("pnet: ipv4");
            assert_eq!(p.get_version(), 4);
            assert_eq!(usize::from(p.get_header_length()) * 4, ip.header_len());
            assert_eq!((p.get_dscp(), p.get_ecn()), (ip.dscp, ip.ecn));
            assert_eq!(
                usize::from(p.get_total_length()),
                ip.header_len() + ip.payload_len
            );
            assert_eq!(p.get_identification(), ip.ident);
            let flags = p.get_flags();
            assert_eq!(
                (flags & 4 != 0, flags & 2 != 0, flags & 1 != 0),
                (ip.reserved_flag, ip.dont_frag, ip.more_frags)
            );
            assert_eq!(p.get_fragment_offset(), ip.frag_offset);
            assert_eq!(p.get_ttl(), ip.ttl);
            assert_eq!(p.get_next_level_protocol().0, ip.protocol.0);
            assert_eq!((p.get_source(), p.get_destination()), (ip.src, ip.dst));
            assert_eq!(p.get_options_raw(), ip.options.as_bytes());
            check_verdict(
                "IPv4 header",
                ip.checksum,
                p.get_checksum(),
                ipv4::checksum(&p),
            );
            let payload = &bytes[ip.header_len()..ip.header_len() + ip.payload_len];
            compare_upper(payload, &d.upper, Pseudo::V4(ip.src, ip.dst));
        }
        IpRepr::V6(ip) => {
            let p = Ipv6Packet::new(bytes).expect("pnet: ipv6");
            assert_eq!(p.get_version(), 6);
            assert_eq!(
                (p.get_traffic_class(), p.get_flow_label(), p.get_hop_limit()),
                (ip.traffic_class, ip.flow_label, ip.hop_limit)
            );
            assert_eq!(
                usize::from(p.get_payload_length()),
                ip.ext_headers.len() + ip.payload_len
            );
            assert_eq!((p.get_source(), p.get_destination()), (ip.src, ip.dst));
            // Walk the chain with pnet's header types.
            let mut nh = p.get_next_header().0;
            let mut rest = &bytes[40..];
            let mut ours = ip.ext_headers.iter();
            loop {
                let (len, next) =
                    match nh {
                        0 | 60 => {
                            let e = ExtensionPacket::new(rest).expect("pnet: ext");
                            let len = (usize::from(e.get_hdr_ext_len()) + 1) * 8;
                            match ours.next() {
                                Some(netdrill_stack::wire::Ipv6ExtHeader::HopByHop { options })
                                    if nh == 0 =>
                                {
                                    assert_eq!(options, &rest[2..len])
                                }
                                Some(netdrill_stack::wire::Ipv6ExtHeader::DestOptions {
                                    options,
                                }) if nh == 60 => assert_eq!(options, &rest[2..len]),
                                other => panic!("extension {nh}: ours {other:?}"),
                            }
                            (len, e.get_next_header().0)
                        }
                        43 => {
                            let r = RoutingPacket::new(rest).expect("pnet: routing");
                            let len = (usize::from(r.get_hdr_ext_len()) + 1) * 8;
                            match ours.next() {
                                Some(netdrill_stack::wire::Ipv6ExtHeader::Routing {
                                    routing_type,
                                    segments_left,
                                    data,
                                }) => {
                                    assert_eq!(
                                        (routing_type, segments_left),
                                        (r.get_routing_type(), r.get_segments_left())
                                    );
                                    assert_eq!(data, &rest[4..len]);
                                }
                                other => panic!("routing: ours {other:?}"),
                            }
                            (len, r.get_next_header().0)
                        }
                        44 => {
                            let f = FragmentPacket::new(rest).expect("pnet: fragment");
                            match ours.next() {
                                Some(netdrill_stack::wire::Ipv6ExtHeader::Fragment(frag)) => {
                                    assert_eq!(frag.offset, f.get_fragment_offset());
                                    assert_eq!(frag.more, !f.is_last_fragment());
                                    assert_eq!(frag.ident, f.get_id());
                                }
                                other => panic!("fragment: ours {other:?}"),
                            }
                            (8, f.get_next_header().0)
                        }
                        51 => {
                            // pnet has no AH type: RFC 4302 §2.2 by hand.
                            assert!(matches!(
                                ours.next(),
                                Some(netdrill_stack::wire::Ipv6ExtHeader::Auth { .. })
                            ));
                            ((usize::from(rest[1]) + 2) * 4, rest[0])
                        }
                        _ => break,
                    };
                rest = &rest[len..];
                nh = next;
            }
            assert_eq!(ours.next(), None, "pnet's chain ends first");
            assert_eq!(nh, ip.next_header.0);
            assert_eq!(rest.len(), ip.payload_len);
            compare_upper(rest, &d.upper, Pseudo::V6(ip.src, ip.dst));
        }
    }
}

#[derive(Clone, Copy)]
enum Pseudo {
    V4(Ipv4Addr, Ipv4Addr),
    V6(Ipv6Addr, Ipv6Addr),
}

fn compare_upper(bytes: &[u8], upper: &UpperRepr<'_>, pseudo: Pseudo) {
    match upper {
        UpperRepr::Tcp(t) => {
            let p = TcpPacket::new(bytes).expect("pnet: tcp");
            assert_eq!(
                (p.get_source(), p.get_destination()),
                (t.src_port, t.dst_port)
            );
            assert_eq!((p.get_sequence(), p.get_acknowledgement()), (t.seq, t.ack));
            assert_eq!(p.get_data_offset(), t.data_offset());
            let flags = u16::from(p.get_flags()) | (u16::from(p.get_reserved()) << 8);
            assert_eq!(flags, t.flags.bits());
            assert_eq!((p.get_window(), p.get_urgent_ptr()), (t.window, t.urgent));
            assert_eq!(p.payload(), t.payload);
            // Options in order, kind and data, up to the first EOL.
            let mut theirs = Vec::new();
            for o in p.get_options_iter() {
                let kind = o.get_number().0;
                theirs.push((kind, o.payload().to_vec()));
                if kind == 0 {
                    break;
                }
            }
            let ours: Vec<(u8, Vec<u8>)> = t
                .options
                .iter()
                .map(|o| (o.kind(), option_data(&o)))
                .collect();
            assert_eq!(theirs, ours, "options");
            let right = match pseudo {
                Pseudo::V4(s, d) => tcp::ipv4_checksum(&p, &s, &d),
                Pseudo::V6(s, d) => tcp::ipv6_checksum(&p, &s, &d),
            };
            check_verdict("TCP", t.checksum, p.get_checksum(), right);
        }
        UpperRepr::Udp(u) => {
            let p = UdpPacket::new(bytes).expect("pnet: udp");
            assert_eq!(
                (p.get_source(), p.get_destination()),
                (u.src_port, u.dst_port)
            );
            assert_eq!(usize::from(p.get_length()), 8 + u.payload.len());
            assert_eq!(&p.payload()[..u.payload.len()], u.payload);
            let right = match pseudo {
                Pseudo::V4(s, d) => udp::ipv4_checksum(&p, &s, &d),
                Pseudo::V6(s, d) => udp::ipv6_checksum(&p, &s, &d),
            };
            if u.checksum == Checksum::Absent {
                assert!(matches!(pseudo, Pseudo::V4(..)) && p.get_checksum() == 0);
            } else {
                check_verdict("UDP", u.checksum, p.get_checksum(), right);
            }
        }
        UpperRepr::Icmpv4(i) => {
            let p = IcmpPacket::new(bytes).expect("pnet: icmp");
            check_verdict("ICMPv4", i.checksum, p.get_checksum(), icmp::checksum(&p));
            let (t, c) = (p.get_icmp_type().0, p.get_icmp_code().0);
            match i.message {
                Icmpv4Message::EchoRequest {
                    ident,
                    seq_no,
                    data,
                }
                | Icmpv4Message::EchoReply {
                    ident,
                    seq_no,
                    data,
                } => {
                    let e = icmp::echo_request::EchoRequestPacket::new(bytes).expect("pnet: echo");
                    assert!(t == 8 || t == 0);
                    assert_eq!(
                        (e.get_identifier(), e.get_sequence_number(), e.payload()),
                        (ident, seq_no, data)
                    );
                }
                Icmpv4Message::DstUnreachable {
                    code,
                    next_hop_mtu,
                    quoted,
                } => {
                    let u = icmp::destination_unreachable::DestinationUnreachablePacket::new(bytes)
                        .expect("pnet: unreach");
                    assert_eq!((t, c), (3, code));
                    assert_eq!((u.get_next_hop_mtu(), u.payload()), (next_hop_mtu, quoted));
                }
                Icmpv4Message::TimeExceeded { code, quoted } => {
                    let x = icmp::time_exceeded::TimeExceededPacket::new(bytes)
                        .expect("pnet: time exceeded");
                    assert_eq!((t, c, x.payload()), (11, code, quoted));
                }
                Icmpv4Message::Other {
                    msg_type,
                    code,
                    rest_of_header,
                    data,
                } => {
                    assert_eq!((t, c), (msg_type, code));
                    assert_eq!(
                        (&p.payload()[..4], &p.payload()[4..]),
                        (&rest_of_header[..], data)
                    );
                }
            }
        }
        UpperRepr::Icmpv6(i) => {
            let Pseudo::V6(s, d) = pseudo else {
                panic!("ICMPv6 over IPv4")
            };
            let p = Icmpv6Packet::new(bytes).expect("pnet: icmpv6");
            check_verdict(
                "ICMPv6",
                i.checksum,
                p.get_checksum(),
                icmpv6::checksum(&p, &s, &d),
            );
            let (t, c) = (p.get_icmpv6_type().0, p.get_icmpv6_code().0);
            let word = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
            match i.message {
                Icmpv6Message::EchoRequest {
                    ident,
                    seq_no,
                    data,
                }
                | Icmpv6Message::EchoReply {
                    ident,
                    seq_no,
                    data,
                } => {
                    let e =
                        icmpv6::echo_request::EchoRequestPacket::new(bytes).expect("pnet: echo");
                    assert!(t == 128 || t == 129);
                    assert_eq!(
                        (e.get_identifier(), e.get_sequence_number(), e.payload()),
                        (ident, seq_no, data)
                    );
                }
                Icmpv6Message::DstUnreachable { code, quoted } => {
                    assert_eq!((t, c, &bytes[8..]), (1, code, quoted))
                }
                Icmpv6Message::PacketTooBig { mtu, quoted } => {
                    assert_eq!((t, word, &bytes[8..]), (2, mtu, quoted))
                }
                Icmpv6Message::TimeExceeded { code, quoted } => {
                    assert_eq!((t, c, &bytes[8..]), (3, code, quoted))
                }
                Icmpv6Message::NeighborSolicit { target, lladdr } => {
                    let n = icmpv6::ndp::NeighborSolicitPacket::new(bytes).expect("pnet: ns");
                    assert_eq!((t, n.get_target_addr()), (135, target));
                    let opts: Vec<_> = n
                        .get_options_iter()
                        .map(|o| (o.get_option_type().0, o.payload().to_vec()))
                        .collect();
                    assert_eq!(
                        opts,
                        lladdr
                            .map(|m| (1, m.0.to_vec()))
                            .into_iter()
                            .collect::<Vec<_>>()
                    );
                }
                Icmpv6Message::NeighborAdvert {
                    router,
                    solicited,
                    override_,
                    target,
                    lladdr,
                } => {
                    let n = icmpv6::ndp::NeighborAdvertPacket::new(bytes).expect("pnet: na");
                    assert_eq!((t, n.get_target_addr()), (136, target));
                    let f = n.get_flags();
                    assert_eq!(
                        (f & 0x80 != 0, f & 0x40 != 0, f & 0x20 != 0),
                        (router, solicited, override_)
                    );
                    let opts: Vec<_> = n
                        .get_options_iter()
                        .map(|o| (o.get_option_type().0, o.payload().to_vec()))
                        .collect();
                    assert_eq!(
                        opts,
                        lladdr
                            .map(|m| (2, m.0.to_vec()))
                            .into_iter()
                            .collect::<Vec<_>>()
                    );
                }
                Icmpv6Message::Other {
                    msg_type,
                    code,
                    rest_of_header,
                    data,
                } => {
                    assert_eq!(
                        (t, c, word.to_be_bytes(), &bytes[8..]),
                        (msg_type, code, rest_of_header, data)
                    );
                }
            }
        }
        UpperRepr::Raw(raw) => assert_eq!(bytes, *raw),
    }
}

/// The option's bytes after kind and length, as pnet shows them.
fn option_data(o: &TcpOption<'_>) -> Vec<u8> {
    let mut all = netdrill_stack::wire::TcpOptions::NONE;
    all.push(o).expect("one option fits");
    let b = all.as_bytes();
    if b.len() <= 2 {
        Vec::new()
    } else {
        b[2..].to_vec()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn pnet_decodes_every_field_the_same(spec in wire_gen::frame_spec()) {
        let frame = spec.frame();
        let bytes = frame.to_bytes().expect("emits");
        let ours = EthernetFrame::parse(&bytes, ChecksumMode::Verify).expect("parses");
        compare_frame(&bytes, &ours);
    }
}

#[test]
fn pnet_agrees_on_a_deliberately_bad_checksum() {
    // Guard against a comparison that cannot fail: a corrupted field must be
    // seen as invalid by both decoders.
    let spec = wire_gen::frame_spec();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = 0;
    for _ in 0..200 {
        let value = spec.new_tree(&mut runner).expect("value").current();
        let bytes = value.frame().to_bytes().expect("emits");
        let Ok(ours) = EthernetFrame::parse(&bytes, ChecksumMode::Verify) else {
            continue;
        };
        if let FramePayload::Ip(d) = ours.payload {
            if let UpperRepr::Tcp(t) = d.upper {
                let at = 14 + d.ip.header_len() + 16;
                let mut bad = bytes.clone();
                bad[at] ^= 0x5a;
                let parsed = EthernetFrame::parse(&bad, ChecksumMode::Verify).expect("parses");
                let FramePayload::Ip(bd) = parsed.payload else {
                    unreachable!()
                };
                let Some(bt) = bd.tcp() else { unreachable!() };
                assert!(
                    matches!(bt.checksum, Checksum::Invalid { .. })
                        || t.checksum != Checksum::Valid
                );
                compare_frame(&bad, &parsed);
                seen += 1;
            }
        }
    }
    assert!(seen > 10, "too few TCP frames generated ({seen})");
}
