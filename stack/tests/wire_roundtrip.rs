//! Round trips for every `Repr`: emit, then parse, gives the original back
//! (property tests), with the checksum verdict parse must report: `Valid`
//! when emit computed it, `Invalid { found, expected }` when emit was asked
//! for a wrong value, `expected` being the value emit computes.

mod wire_gen;

use netdrill_stack::wire::{
    ArpPacket, ArpRepr, Checksum, ChecksumMode, EthernetFrame, EthernetPacket, EthernetRepr,
    FramePayload, Icmpv4Packet, Icmpv4Repr, Icmpv6Packet, Icmpv6Repr, IpDatagram, IpRepr,
    Ipv4Packet, Ipv4Repr, Ipv6ExtHeaders, Ipv6Packet, Ipv6Repr, PseudoHeader, TcpFlags, TcpOptions,
    TcpPacket, TcpRepr, UdpPacket, UdpRepr, UpperRepr,
};
use proptest::prelude::*;
use wire_gen::*;

/// The verdict parse must give for a field emit wrote as `requested`, when
/// `right` is the value that verifies.
fn verdict(requested: Checksum, right: u16) -> Checksum {
    match requested {
        Checksum::Invalid { found, .. } if found != right => Checksum::Invalid {
            found,
            expected: right,
        },
        Checksum::Invalid { .. } => Checksum::Valid,
        other => other,
    }
}

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn pseudo() -> impl Strategy<Value = PseudoHeader> {
    prop_oneof![
        (ipv4_addr(), ipv4_addr()).prop_map(|(src, dst)| PseudoHeader::V4 { src, dst }),
        (ipv6_addr(), ipv6_addr()).prop_map(|(src, dst)| PseudoHeader::V6 { src, dst }),
    ]
}

fn emit_tcp(r: &TcpRepr<'_>, p: &PseudoHeader) -> Vec<u8> {
    let mut buf = vec![0; r.buffer_len()];
    r.emit(&mut buf, p).expect("emits");
    buf
}

/// The expected parse of the emitted `d`: each requested checksum turned into
/// its verdict, the right values taken from emitting `d` with all valid.
fn expected_datagram<'a>(d: &IpDatagram<'a>) -> IpDatagram<'a> {
    let mut all_valid = *d;
    if let IpRepr::V4(ip) = &mut all_valid.ip {
        ip.checksum = Checksum::Valid;
    }
    let upper_at = d.ip.header_len();
    let field = match &mut all_valid.upper {
        UpperRepr::Tcp(r) => Some((&mut r.checksum, 16)),
        UpperRepr::Udp(r) => Some((&mut r.checksum, 6)),
        UpperRepr::Icmpv4(r) => Some((&mut r.checksum, 2)),
        UpperRepr::Icmpv6(r) => Some((&mut r.checksum, 2)),
        UpperRepr::Raw(_) => None,
    };
    let upper_offset = field.map(|(c, off)| {
        if *c != Checksum::Absent {
            *c = Checksum::Valid;
        }
        off
    });
    let good = all_valid.to_bytes().expect("emits");
    let mut out = *d;
    if let IpRepr::V4(ip) = &mut out.ip {
        ip.checksum = verdict(ip.checksum, be16(&good, 10));
    }
    if let Some(off) = upper_offset {
        let right = be16(&good, upper_at + off);
        match &mut out.upper {
            UpperRepr::Tcp(r) => r.checksum = verdict(r.checksum, right),
            UpperRepr::Udp(r) => r.checksum = verdict(r.checksum, right),
            UpperRepr::Icmpv4(r) => r.checksum = verdict(r.checksum, right),
            UpperRepr::Icmpv6(r) => r.checksum = verdict(r.checksum, right),
            UpperRepr::Raw(_) => {}
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn ethernet_repr_round_trips(dst in mac(), src in mac(), t in any::<u16>(), payload in proptest::collection::vec(any::<u8>(), 0..20)) {
        let repr = EthernetRepr { dst, src, ethertype: netdrill_stack::wire::EtherType(t) };
        let mut buf = vec![0; repr.buffer_len() + payload.len()];
        repr.emit(&mut buf).expect("emits");
        buf[14..].copy_from_slice(&payload);
        let packet = EthernetPacket::new_checked(&buf[..]).expect("long enough");
        prop_assert_eq!(EthernetRepr::parse(&packet), Ok(repr));
        prop_assert_eq!(packet.payload(), &payload[..]);
    }

    #[test]
    fn arp_repr_round_trips(repr in arp_repr()) {
        let mut buf = vec![0; repr.buffer_len()];
        repr.emit(&mut buf).expect("emits");
        prop_assert_eq!(ArpRepr::parse(&ArpPacket::new_checked(&buf[..]).expect("long enough")), Ok(repr));
    }

    #[test]
    fn ipv4_repr_round_trips(repr in ipv4_repr()) {
        let mut buf = vec![0; repr.buffer_len() + repr.payload_len];
        repr.emit(&mut buf).expect("emits");
        let mut good = vec![0; repr.buffer_len()];
        Ipv4Repr { checksum: Checksum::Valid, ..repr }.emit(&mut good).expect("emits");
        let parsed = Ipv4Repr::parse(&Ipv4Packet::new_checked(&buf[..]).expect("checked"), ChecksumMode::Verify);
        prop_assert_eq!(parsed, Ok(Ipv4Repr { checksum: verdict(repr.checksum, be16(&good, 10)), ..repr }));
    }

    #[test]
    fn ipv6_repr_round_trips(spec in ipv6_spec(true)) {
        let repr = spec.repr();
        let mut buf = vec![0; repr.buffer_len() + repr.payload_len];
        repr.emit(&mut buf).expect("emits");
        let packet = Ipv6Packet::new_checked(&buf[..]).expect("checked");
        prop_assert_eq!(Ipv6Repr::parse(&packet), Ok(repr));
    }

    #[test]
    fn ipv6_ext_headers_iterate_as_encoded(specs in proptest::collection::vec(ext_spec(true), 0..5), nh in non_ext_protocol()) {
        let headers: Vec<_> = specs.iter().map(ExtSpec::header).collect();
        let (first, bytes) = netdrill_stack::wire::Ipv6ExtHeader::encode_chain(&headers, netdrill_stack::wire::IpProtocol(nh)).expect("encodes");
        let chain = Ipv6ExtHeaders::new(first, &bytes).expect("valid chain");
        prop_assert_eq!(chain.iter().collect::<Vec<_>>(), headers);
    }

    #[test]
    fn tcp_repr_round_trips(spec in tcp_spec(), p in pseudo()) {
        let repr = spec.repr();
        let buf = emit_tcp(&repr, &p);
        let good = emit_tcp(&TcpRepr { checksum: Checksum::Valid, ..repr }, &p);
        let parsed = TcpRepr::parse(&TcpPacket::new_checked(&buf[..]).expect("checked"), &p, ChecksumMode::Verify);
        prop_assert_eq!(parsed, Ok(TcpRepr { checksum: verdict(repr.checksum, be16(&good, 16)), ..repr }));
        let skipped = TcpRepr::parse(&TcpPacket::new_checked(&buf[..]).expect("checked"), &p, ChecksumMode::Skip);
        prop_assert_eq!(skipped, Ok(TcpRepr { checksum: Checksum::Unverified { found: be16(&buf, 16) }, ..repr }));
    }

    #[test]
    fn tcp_options_keep_their_order(specs in opt_specs()) {
        let list: Vec<_> = specs.iter().map(OptSpec::option).collect();
        let options = TcpOptions::from_options(&list).expect("fits");
        prop_assert_eq!(options.iter().collect::<Vec<_>>(), list.clone());
        // Padding to a word only adds what follows an EOL (or the EOL itself).
        let mut padded = options;
        padded.pad_to_word();
        let mut decoded: Vec<_> = padded.iter().collect();
        if decoded.len() > list.len() {
            prop_assert_eq!(decoded.pop(), Some(netdrill_stack::wire::TcpOption::Eol));
        }
        prop_assert_eq!(decoded, list);
    }

    #[test]
    fn tcp_flags_display_parses_back(bits in 0u16..0x200) {
        let flags = TcpFlags::from_bits_truncate(bits);
        prop_assert_eq!(flags.to_string().parse::<TcpFlags>(), Ok(flags));
    }

    #[test]
    fn udp_repr_round_trips(spec in udp_spec(false), p in pseudo()) {
        let repr = spec.repr();
        let mut buf = vec![0; repr.buffer_len()];
        repr.emit(&mut buf, &p).expect("emits");
        let mut good = vec![0; repr.buffer_len()];
        UdpRepr { checksum: Checksum::Valid, ..repr }.emit(&mut good, &p).expect("emits");
        prop_assert_ne!(be16(&good, 6), 0, "a computed zero is sent as 0xffff");
        let parsed = UdpRepr::parse(&UdpPacket::new_checked(&buf[..]).expect("checked"), &p, ChecksumMode::Verify);
        prop_assert_eq!(parsed, Ok(UdpRepr { checksum: verdict(repr.checksum, be16(&good, 6)), ..repr }));
    }

    #[test]
    fn icmpv4_repr_round_trips(spec in icmpv4_spec()) {
        let repr = icmpv4_repr(&spec);
        let mut buf = vec![0; repr.buffer_len()];
        repr.emit(&mut buf).expect("emits");
        let mut good = vec![0; repr.buffer_len()];
        Icmpv4Repr { checksum: Checksum::Valid, ..repr }.emit(&mut good).expect("emits");
        let parsed = Icmpv4Repr::parse(&Icmpv4Packet::new_checked(&buf[..]).expect("checked"), ChecksumMode::Verify);
        prop_assert_eq!(parsed, Ok(Icmpv4Repr { checksum: verdict(repr.checksum, be16(&good, 2)), ..repr }));
    }

    #[test]
    fn icmpv6_repr_round_trips(spec in icmpv6_spec(), p in pseudo()) {
        let repr = icmpv6_repr(&spec);
        let mut buf = vec![0; repr.buffer_len()];
        repr.emit(&mut buf, &p).expect("emits");
        let mut good = vec![0; repr.buffer_len()];
        Icmpv6Repr { checksum: Checksum::Valid, ..repr }.emit(&mut good, &p).expect("emits");
        let parsed = Icmpv6Repr::parse(&Icmpv6Packet::new_checked(&buf[..]).expect("checked"), &p, ChecksumMode::Verify);
        prop_assert_eq!(parsed, Ok(Icmpv6Repr { checksum: verdict(repr.checksum, be16(&good, 2)), ..repr }));
    }

    #[test]
    fn ip_datagram_round_trips(spec in datagram_spec()) {
        let d = spec.datagram();
        let bytes = d.to_bytes().expect("emits");
        prop_assert_eq!(bytes.len(), d.buffer_len());
        prop_assert_eq!(IpDatagram::parse(&bytes, ChecksumMode::Verify), Ok(expected_datagram(&d)));
    }

    /// `emit` writes every byte of the datagram, so a buffer holding an
    /// older datagram can be reused without zeroing it first (the stack's
    /// datagram pool does this).
    #[test]
    fn ip_datagram_emit_ignores_old_buffer_contents(spec in datagram_spec(), junk: u8) {
        let d = spec.datagram();
        let clean = d.to_bytes().expect("emits");
        let mut dirty = vec![junk; d.buffer_len()];
        prop_assert_eq!(d.emit(&mut dirty), Ok(clean.len()));
        prop_assert_eq!(dirty, clean);
    }

    #[test]
    fn ethernet_frame_round_trips(spec in frame_spec()) {
        let f = spec.frame();
        let bytes = f.to_bytes().expect("emits");
        let mut expected = f;
        if let FramePayload::Ip(d) = &mut expected.payload {
            *d = expected_datagram(d);
        }
        prop_assert_eq!(EthernetFrame::parse(&bytes, ChecksumMode::Verify), Ok(expected));
    }
}
