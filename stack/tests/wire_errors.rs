//! Malformed input gives a typed error naming the header and the field, and
//! never a panic (table-driven; the fuzz target covers the rest).

use netdrill_stack::wire::{
    ChecksumMode, ErrorKind, EthernetFrame, IpDatagram, TcpOption, TcpOptions, TcpRepr, WireError,
};

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("hex"))
        .collect()
}

/// An IPv4 header (no options, TCP, 192.0.2.1 > 192.168.0.1) with the given
/// total length, followed by `rest`.
fn ipv4_then(total: u16, protocol: u8, rest: &str) -> Vec<u8> {
    let mut b = hex("45 00 00 00 00 00 40 00 40 00 00 00 c0 00 02 01 c0 a8 00 01");
    b[2..4].copy_from_slice(&total.to_be_bytes());
    b[9] = protocol;
    b.extend(hex(rest));
    b
}

#[test]
fn ip_datagram_errors_name_header_and_field() {
    let tcp20 = "d4 31 1f 90 00 00 00 01 00 00 00 00 50 02 ff ff 00 00 00 00";
    let table: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("empty", vec![], "IP", "version"),
        ("version 5", hex("50 00"), "IP", "version"),
        ("short IPv4 header", hex("45 00 00 14"), "IPv4", "header"),
        (
            "IHL 3",
            hex("43 00 00 14 00 00 00 00 40 06 00 00 c0 00 02 01 c0 a8 00 01"),
            "IPv4",
            "IHL",
        ),
        (
            "IHL past the end",
            hex("4f 00 00 14 00 00 00 00 40 06 00 00 c0 00 02 01 c0 a8 00 01"),
            "IPv4",
            "IHL",
        ),
        (
            "total length past the end",
            ipv4_then(100, 6, tcp20),
            "IPv4",
            "total length",
        ),
        (
            "total length below header",
            ipv4_then(10, 6, tcp20),
            "IPv4",
            "total length",
        ),
        (
            "TCP shorter than 20",
            ipv4_then(30, 6, "d4 31 1f 90 00 00 00 01 00 00"),
            "TCP",
            "header",
        ),
        (
            "TCP data offset 4",
            ipv4_then(40, 6, &tcp20.replace("50 02", "40 02")),
            "TCP",
            "data offset",
        ),
        (
            "TCP data offset past the end",
            ipv4_then(40, 6, &tcp20.replace("50 02", "f0 02")),
            "TCP",
            "data offset",
        ),
        (
            "UDP length 4",
            ipv4_then(28, 17, "00 01 00 02 00 04 00 00"),
            "UDP",
            "length",
        ),
        (
            "UDP length past the end",
            ipv4_then(28, 17, "00 01 00 02 00 10 00 00"),
            "UDP",
            "length",
        ),
        (
            "ICMP shorter than 8",
            ipv4_then(24, 1, "08 00 00 00"),
            "ICMPv4",
            "header",
        ),
        ("short IPv6 header", hex("60 00 00 00"), "IPv6", "header"),
    ];
    for (what, bytes, header, field) in table {
        let err = IpDatagram::parse(&bytes, ChecksumMode::Verify).expect_err(what);
        assert_eq!((err.header, err.field), (header, field), "{what}: {err}");
        assert!(
            err.to_string().starts_with(&format!("{header} {field}: ")),
            "{what}: {err}"
        );
    }
}

#[test]
fn ipv6_errors() {
    let fixed = |payload_len: u16, nh: u8, rest: &str| {
        let mut b = hex("60 00 00 00 00 00 00 40");
        b[4..6].copy_from_slice(&payload_len.to_be_bytes());
        b[6] = nh;
        b.extend([0u8; 32]);
        b.extend(hex(rest));
        b
    };
    // Payload length beyond the buffer.
    let err = IpDatagram::parse(&fixed(8, 59, ""), ChecksumMode::Verify).expect_err("short");
    assert_eq!((err.header, err.field), ("IPv6", "payload length"));
    // A hop-by-hop header announcing 16 bytes with only 8 there.
    let err = IpDatagram::parse(
        &fixed(8, 0, "3b 01 00 00 00 00 00 00"),
        ChecksumMode::Verify,
    )
    .expect_err("ext");
    assert_eq!((err.header, err.field), ("IPv6 extension header", "length"));
    assert!(matches!(
        err.kind,
        ErrorKind::Truncated {
            needed: 16,
            available: 8
        }
    ));
    // ICMPv6 neighbour solicitation with a zero-length option (RFC 4861 §4.6).
    let mut ns = hex("87 00 00 00 00 00 00 00");
    ns.extend([0u8; 16]);
    ns.extend(hex("01 00 00 00 00 00 00 00"));
    let bytes = fixed(
        ns.len() as u16,
        58,
        &ns.iter().map(|b| format!("{b:02x} ")).collect::<String>(),
    );
    let err = IpDatagram::parse(&bytes, ChecksumMode::Skip).expect_err("ndp");
    assert_eq!((err.header, err.field), ("ICMPv6", "NDP option length"));
}

#[test]
fn frame_errors() {
    let err = EthernetFrame::parse(&[0; 13], ChecksumMode::Verify).expect_err("short");
    assert_eq!((err.header, err.field), ("Ethernet", "header"));
    // ARP for a hardware type other than Ethernet.
    let mut arp = hex("ff ff ff ff ff ff 02 00 00 00 00 02 08 06 00 06 08 00 06 04 00 01");
    arp.extend([0u8; 20]);
    let err = EthernetFrame::parse(&arp, ChecksumMode::Verify).expect_err("htype");
    assert_eq!((err.header, err.field), ("ARP", "hardware type"));
    // EtherType IPv6 carrying an IPv4 header.
    let mut frame = hex("02 00 00 00 00 01 02 00 00 00 00 02 86 dd");
    frame.extend(ipv4_then(20, 59, ""));
    let err = EthernetFrame::parse(&frame, ChecksumMode::Verify).expect_err("mismatch");
    assert_eq!((err.header, err.field), ("IP", "version"));
}

#[test]
fn emit_errors_instead_of_panicking() {
    // Too many options.
    let mut options = TcpOptions::NONE;
    for _ in 0..10 {
        options.push(&TcpOption::Mss(1)).expect("40 bytes fit");
    }
    let err: WireError = options.push(&TcpOption::Nop).expect_err("41 bytes");
    assert!(
        matches!(err.kind, ErrorKind::TooLong { len: 41, max: 40 }),
        "{err}"
    );
    assert_eq!(options.len(), 40, "a failed push changes nothing");
    // A buffer shorter than buffer_len().
    let repr = TcpRepr {
        src_port: 1,
        dst_port: 2,
        seq: 0,
        ack: 0,
        flags: Default::default(),
        window: 0,
        checksum: netdrill_stack::wire::Checksum::Valid,
        urgent: 0,
        options: TcpOptions::NONE,
        payload: b"abc",
    };
    let pseudo = netdrill_stack::wire::PseudoHeader::V4 {
        src: [1, 1, 1, 1].into(),
        dst: [2, 2, 2, 2].into(),
    };
    let err = repr.emit(&mut [0; 22], &pseudo).expect_err("short buffer");
    assert!(
        matches!(
            err.kind,
            ErrorKind::BufferTooSmall {
                needed: 23,
                available: 22
            }
        ),
        "{err}"
    );
}

#[test]
fn malformed_tcp_option_lengths_end_the_list() {
    // RFC 9293 §3.1: an illegal option length (here 0, then past the end) must not crash.
    let cases: [(&[u8], &[TcpOption<'_>]); 4] = [
        (
            &[1, 2, 0, 1],
            &[TcpOption::Nop, TcpOption::Malformed(&[2, 0, 1])],
        ),
        (&[2, 9, 0, 0], &[TcpOption::Malformed(&[2, 9, 0, 0])]),
        (
            &[1, 1, 1, 8],
            &[
                TcpOption::Nop,
                TcpOption::Nop,
                TcpOption::Nop,
                TcpOption::Malformed(&[8]),
            ],
        ),
        // A known kind with the wrong length is kept raw.
        (
            &[2, 3, 5, 0],
            &[
                TcpOption::Raw {
                    kind: 2,
                    data: &[5],
                },
                TcpOption::Eol,
            ],
        ),
    ];
    for (bytes, want) in cases {
        let options = TcpOptions::from_bytes(bytes).expect("fits");
        assert_eq!(options.iter().collect::<Vec<_>>(), want, "{bytes:?}");
        // And the list emits back to the same bytes.
        assert_eq!(
            TcpOptions::from_options(want).expect("fits").as_bytes(),
            &bytes[..want_len(want)]
        );
    }
}

fn want_len(list: &[TcpOption<'_>]) -> usize {
    list.iter().map(TcpOption::buffer_len).sum()
}
