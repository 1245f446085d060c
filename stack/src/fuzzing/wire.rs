//! The `wire` fuzz target: any bytes, parsed as an Ethernet frame, an IP
//! datagram and each upper-layer header on its own, in both checksum modes.
//! Whatever parses must emit; the emitted bytes must parse back to the same
//! `Repr`; and one round is enough: emitting that again gives the same bytes
//! and the same `Repr`.
//!
//! "The same `Repr`" allows for what `emit` normalises by design: the IP
//! payload length and protocol come from the upper layer (a UDP length
//! shorter than the IP payload drops the trailing bytes), and NDP options
//! other than the link-layer address are not kept. Because those bytes can
//! be covered by a checksum, a checksum is compared by what emit promises:
//! asked for `Valid` it computes a valid one; asked to write a given value
//! (`Invalid`/`Unverified { found }`) the same `found` is read back, whose
//! verdict may change with the normalised bytes.

use crate::wire::{
    Checksum, ChecksumMode, EthernetFrame, FramePayload, Icmpv4Packet, Icmpv4Repr, Icmpv6Packet,
    Icmpv6Repr, IpDatagram, IpRepr, PseudoHeader, QuotedDatagram, TcpPacket, TcpRepr, UdpPacket,
    UdpRepr, UpperRepr, WireError,
};
use core::fmt::Debug;
use core::net::{Ipv4Addr, Ipv6Addr};

const MODES: [ChecksumMode; 2] = [ChecksumMode::Verify, ChecksumMode::Skip];

/// Runs every check on `data`; panics (for libFuzzer) on a violated invariant.
pub fn run(data: &[u8]) {
    for mode in MODES {
        if let Ok(frame) = EthernetFrame::parse(data, mode) {
            check_frame(&frame, mode);
        }
        if let Ok(datagram) = IpDatagram::parse(data, mode) {
            check_datagram(&datagram, mode);
        }
        check_upper_alone(data, mode);
    }
    // The cut datagram inside ICMP errors: reading it must not panic.
    let _ = QuotedDatagram::parse(data);
}

/// Whether `again` is what emit promises to read back for `original`.
fn compatible(original: Checksum, again: Checksum) -> bool {
    match (original, again) {
        (Checksum::Valid, Checksum::Valid) | (Checksum::Absent, Checksum::Absent) => true,
        (Checksum::Invalid { found, .. }, Checksum::Invalid { found: f2, .. }) => found == f2,
        (Checksum::Invalid { .. }, Checksum::Valid) => true,
        (Checksum::Unverified { found }, Checksum::Unverified { found: f2 }) => found == f2,
        _ => false,
    }
}

/// The checksum fields of a `Repr`, in a fixed order.
trait Checksums {
    fn checksums(&mut self) -> Vec<&mut Checksum>;
}

macro_rules! one_checksum {
    ($($t:ident),*) => {$(
        impl Checksums for $t<'_> {
            fn checksums(&mut self) -> Vec<&mut Checksum> {
                vec![&mut self.checksum]
            }
        }
    )*};
}
one_checksum!(TcpRepr, UdpRepr, Icmpv4Repr, Icmpv6Repr);

impl Checksums for IpDatagram<'_> {
    fn checksums(&mut self) -> Vec<&mut Checksum> {
        let mut out = Vec::new();
        if let IpRepr::V4(ip) = &mut self.ip {
            out.push(&mut ip.checksum);
        }
        match &mut self.upper {
            UpperRepr::Tcp(r) => out.push(&mut r.checksum),
            UpperRepr::Udp(r) => out.push(&mut r.checksum),
            UpperRepr::Icmpv4(r) => out.push(&mut r.checksum),
            UpperRepr::Icmpv6(r) => out.push(&mut r.checksum),
            UpperRepr::Raw(_) => {}
        }
        out
    }
}

impl Checksums for EthernetFrame<'_> {
    fn checksums(&mut self) -> Vec<&mut Checksum> {
        match &mut self.payload {
            FramePayload::Ip(d) => d.checksums(),
            _ => Vec::new(),
        }
    }
}

/// `again` must equal `expected` except that each checksum only has to be
/// [`compatible`]; then both are compared whole with checksums cleared.
fn assert_round_trip<T: Checksums + PartialEq + Debug>(what: &str, mut expected: T, mut again: T) {
    {
        let (a, b) = (expected.checksums(), again.checksums());
        assert_eq!(a.len(), b.len(), "{what}: checksum fields");
        for (a, b) in a.into_iter().zip(b) {
            assert!(
                compatible(*a, *b),
                "{what}: checksum {a:?} came back as {b:?}"
            );
            *a = Checksum::Valid;
            *b = Checksum::Valid;
        }
    }
    assert_eq!(expected, again, "{what} round trip");
}

fn check_frame(frame: &EthernetFrame<'_>, mode: ChecksumMode) {
    let bytes = frame.to_bytes().expect("a parsed frame emits");
    assert_eq!(
        bytes.len(),
        frame.buffer_len(),
        "emit wrote buffer_len() bytes"
    );
    let again = EthernetFrame::parse(&bytes, mode).expect("an emitted frame parses");
    let mut expected = *frame;
    if let FramePayload::Ip(d) = &mut expected.payload {
        d.ip = d.ip_for_emit();
    }
    assert_round_trip("frame", expected, again);
    let bytes2 = again.to_bytes().expect("re-emit");
    assert_eq!(bytes2, bytes, "second emit is byte-identical");
    assert_eq!(
        EthernetFrame::parse(&bytes2, mode),
        Ok(again),
        "stable after one round"
    );
}

fn check_datagram(datagram: &IpDatagram<'_>, mode: ChecksumMode) {
    let bytes = datagram.to_bytes().expect("a parsed datagram emits");
    assert_eq!(
        bytes.len(),
        datagram.buffer_len(),
        "emit wrote buffer_len() bytes"
    );
    let again = IpDatagram::parse(&bytes, mode).expect("an emitted datagram parses");
    let expected = IpDatagram {
        ip: datagram.ip_for_emit(),
        upper: datagram.upper,
    };
    assert_round_trip("datagram", expected, again);
    let bytes2 = again.to_bytes().expect("re-emit");
    assert_eq!(bytes2, bytes, "second emit is byte-identical");
    assert_eq!(
        IpDatagram::parse(&bytes2, mode),
        Ok(again),
        "stable after one round"
    );
}

/// Each upper-layer header parsed straight from the input, with fixed addresses.
fn check_upper_alone(data: &[u8], mode: ChecksumMode) {
    let pseudos = [
        PseudoHeader::V4 {
            src: Ipv4Addr::new(192, 0, 2, 1),
            dst: Ipv4Addr::new(192, 168, 0, 1),
        },
        PseudoHeader::V6 {
            src: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
            dst: Ipv6Addr::LOCALHOST,
        },
    ];
    for pseudo in &pseudos {
        if let Ok(Ok(repr)) = TcpPacket::new_checked(data).map(|p| TcpRepr::parse(&p, pseudo, mode))
        {
            let mut buf = vec![0; repr.buffer_len()];
            repr.emit(&mut buf, pseudo)
                .expect("a parsed TCP segment emits");
            let packet =
                TcpPacket::new_checked(&buf[..]).expect("an emitted TCP header is long enough");
            // TCP covers exactly the bytes it was parsed from: nothing may change.
            assert_eq!(
                TcpRepr::parse(&packet, pseudo, mode),
                Ok(repr),
                "TCP round trip"
            );
        }
        if let Ok(Ok(repr)) = UdpPacket::new_checked(data).map(|p| UdpRepr::parse(&p, pseudo, mode))
        {
            let mut buf = vec![0; repr.buffer_len()];
            repr.emit(&mut buf, pseudo)
                .expect("a parsed UDP datagram emits");
            let packet =
                UdpPacket::new_checked(&buf[..]).expect("an emitted UDP header is long enough");
            assert_eq!(
                UdpRepr::parse(&packet, pseudo, mode),
                Ok(repr),
                "UDP round trip"
            );
        }
        if let Ok(Ok(repr)) =
            Icmpv6Packet::new_checked(data).map(|p| Icmpv6Repr::parse(&p, pseudo, mode))
        {
            let mut buf = vec![0; repr.buffer_len()];
            repr.emit(&mut buf, pseudo)
                .expect("a parsed ICMPv6 message emits");
            let packet = Icmpv6Packet::new_checked(&buf[..])
                .expect("an emitted ICMPv6 header is long enough");
            let again = Icmpv6Repr::parse(&packet, pseudo, mode);
            assert_round_trip("ICMPv6", repr, expect_parses("ICMPv6", again));
        }
    }
    if let Ok(Ok(repr)) = Icmpv4Packet::new_checked(data).map(|p| Icmpv4Repr::parse(&p, mode)) {
        let mut buf = vec![0; repr.buffer_len()];
        repr.emit(&mut buf).expect("a parsed ICMPv4 message emits");
        let packet =
            Icmpv4Packet::new_checked(&buf[..]).expect("an emitted ICMPv4 header is long enough");
        let again = Icmpv4Repr::parse(&packet, mode);
        assert_round_trip("ICMPv4", repr, expect_parses("ICMPv4", again));
    }
}

fn expect_parses<T>(what: &str, r: Result<T, WireError>) -> T {
    r.unwrap_or_else(|e| panic!("{what}: emitted bytes do not parse: {e}"))
}
