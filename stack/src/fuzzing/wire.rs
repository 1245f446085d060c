//! The `wire` fuzz target: any bytes, parsed as an Ethernet frame, an IP
//! datagram and each upper-layer header on its own, in both checksum modes.
//! Whatever parses must emit, and the emitted bytes must parse back to the
//! same `Repr`; emitting that again must give the same bytes.
//!
//! "The same `Repr`" allows for what `emit` normalises by design: the IP
//! payload length and protocol come from the upper layer (a UDP length
//! shorter than the IP payload drops the trailing bytes), NDP options other
//! than the link-layer address are not kept, and so the *expected* value of
//! a wrong checksum (never the value found) may change.

use crate::wire::{
    Checksum, ChecksumMode, EthernetFrame, FramePayload, Icmpv4Packet, Icmpv4Repr, Icmpv6Packet,
    Icmpv6Repr, IpDatagram, IpRepr, PseudoHeader, TcpPacket, TcpRepr, UdpPacket, UdpRepr,
    UpperRepr, WireError,
};
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
        *d = normalized(d);
    }
    let mut got = again;
    if let FramePayload::Ip(d) = &mut got.payload {
        *d = normalized(d);
    }
    assert_eq!(expected, got, "frame round trip");
    assert_eq!(
        again.to_bytes().expect("re-emit"),
        bytes,
        "second emit is byte-identical"
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
    assert_eq!(
        normalized(datagram),
        normalized(&again),
        "datagram round trip"
    );
    let bytes2 = again.to_bytes().expect("re-emit");
    assert_eq!(bytes2, bytes, "second emit is byte-identical");
    assert_eq!(
        IpDatagram::parse(&bytes2, mode).expect("third parse"),
        again,
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
            assert_same("TCP", TcpRepr::parse(&packet, pseudo, mode), repr);
        }
        if let Ok(Ok(repr)) = UdpPacket::new_checked(data).map(|p| UdpRepr::parse(&p, pseudo, mode))
        {
            let mut buf = vec![0; repr.buffer_len()];
            repr.emit(&mut buf, pseudo)
                .expect("a parsed UDP datagram emits");
            let packet =
                UdpPacket::new_checked(&buf[..]).expect("an emitted UDP header is long enough");
            assert_same("UDP", UdpRepr::parse(&packet, pseudo, mode), repr);
        }
        if let Ok(Ok(repr)) =
            Icmpv6Packet::new_checked(data).map(|p| Icmpv6Repr::parse(&p, pseudo, mode))
        {
            let mut buf = vec![0; repr.buffer_len()];
            repr.emit(&mut buf, pseudo)
                .expect("a parsed ICMPv6 message emits");
            let packet = Icmpv6Packet::new_checked(&buf[..])
                .expect("an emitted ICMPv6 header is long enough");
            assert_same("ICMPv6", Icmpv6Repr::parse(&packet, pseudo, mode), repr);
        }
    }
    if let Ok(Ok(repr)) = Icmpv4Packet::new_checked(data).map(|p| Icmpv4Repr::parse(&p, mode)) {
        let mut buf = vec![0; repr.buffer_len()];
        repr.emit(&mut buf).expect("a parsed ICMPv4 message emits");
        let packet =
            Icmpv4Packet::new_checked(&buf[..]).expect("an emitted ICMPv4 header is long enough");
        assert_same("ICMPv4", Icmpv4Repr::parse(&packet, mode), repr);
    }
}

/// `again` must be `original`, up to the expected value of a wrong checksum.
fn assert_same<T: HasChecksum + PartialEq + core::fmt::Debug>(
    what: &str,
    again: Result<T, WireError>,
    original: T,
) {
    let mut again = again.unwrap_or_else(|e| panic!("{what}: emitted bytes do not parse: {e}"));
    let mut original = original;
    norm(again.checksum_mut());
    norm(original.checksum_mut());
    assert_eq!(again, original, "{what} round trip");
}

/// Clears the expected value of a wrong checksum.
fn norm(c: &mut Checksum) {
    if let Checksum::Invalid { expected, .. } = c {
        *expected = 0;
    }
}

trait HasChecksum {
    fn checksum_mut(&mut self) -> &mut Checksum;
}

macro_rules! has_checksum {
    ($($t:ident),*) => {$(
        impl HasChecksum for $t<'_> {
            fn checksum_mut(&mut self) -> &mut Checksum {
                &mut self.checksum
            }
        }
    )*};
}
has_checksum!(TcpRepr, UdpRepr, Icmpv4Repr, Icmpv6Repr);

/// The datagram as `emit` writes it, with wrong checksums' expected values cleared.
fn normalized<'a>(d: &IpDatagram<'a>) -> IpDatagram<'a> {
    let mut out = IpDatagram {
        ip: d.ip_for_emit(),
        upper: d.upper,
    };
    if let IpRepr::V4(ip) = &mut out.ip {
        norm(&mut ip.checksum);
    }
    match &mut out.upper {
        UpperRepr::Tcp(r) => norm(&mut r.checksum),
        UpperRepr::Udp(r) => norm(&mut r.checksum),
        UpperRepr::Icmpv4(r) => norm(&mut r.checksum),
        UpperRepr::Icmpv6(r) => norm(&mut r.checksum),
        UpperRepr::Raw(_) => {}
    }
    out
}
