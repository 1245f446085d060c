//! Parse throughput of the wire codec on a realistic frame mix, against
//! etherparse and pnet on the same bytes in the same run.
//!
//! Each parser reads the same fields of every frame (IP addresses, TTL or
//! hop limit, lengths, ports, sequence and acknowledgment numbers, all nine
//! TCP flags, the window, every TCP option walked and decoded, the payload
//! length) and folds them into one digest; the setup asserts that the three
//! digests agree, so no parser can skip work the others do. netdrill runs
//! twice: without checksum verification (what etherparse and pnet do) and
//! with it (verifying IP, TCP and UDP checksums).
//!
//! `cargo bench -p netdrill-stack --bench wire`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use netdrill_stack::wire::{
    Checksum, ChecksumMode, EtherType, EthernetFrame, EthernetRepr, FramePayload, IpDatagram,
    IpProtocol, IpRepr, Ipv4Repr, Ipv6ExtHeaders, Ipv6Repr, MacAddr, SackBlocks, TcpFlags,
    TcpOption, TcpOptions, TcpRepr, UdpRepr, UpperRepr,
};
use std::hint::black_box;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Folds a field into the digest.
#[inline(always)]
fn mix(acc: u64, v: u64) -> u64 {
    acc.wrapping_mul(0x100_0000_01b3).wrapping_add(v)
}

// --- the frames ---------------------------------------------------------------

fn frames() -> Vec<Vec<u8>> {
    let eth = |t| EthernetRepr {
        dst: MacAddr([2, 0, 0, 0, 0, 1]),
        src: MacAddr([2, 0, 0, 0, 0, 2]),
        ethertype: t,
    };
    let v4 = |protocol| {
        IpRepr::V4(Ipv4Repr {
            ident: 0x1234,
            ..Ipv4Repr::new(
                Ipv4Addr::new(192, 0, 2, 1),
                Ipv4Addr::new(192, 168, 0, 1),
                protocol,
            )
        })
    };
    let v6 = IpRepr::V6(Ipv6Repr {
        src: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
        dst: Ipv6Addr::new(0xfd3d, 0xfa7b, 0xd17d, 0, 0, 0, 0, 1),
        traffic_class: 0,
        flow_label: 0x12345,
        hop_limit: 64,
        ext_headers: Ipv6ExtHeaders::NONE,
        next_header: IpProtocol::TCP,
        payload_len: 0,
    });
    let tcp = |flags: TcpFlags, options: &[TcpOption<'_>], payload: &'static [u8]| {
        let mut opts = TcpOptions::from_options(options).expect("options fit");
        opts.pad_to_word();
        TcpRepr {
            src_port: 54321,
            dst_port: 8080,
            seq: 0x0a0b_0c0d,
            ack: 0x0102_0304,
            flags,
            window: 502,
            checksum: Checksum::Valid,
            urgent: 0,
            options: opts,
            payload,
        }
    };
    let ts = TcpOption::Timestamps {
        tsval: 1_000_000,
        tsecr: 999_000,
    };
    let syn_options = [
        TcpOption::Mss(1460),
        TcpOption::SackPermitted,
        ts,
        TcpOption::Nop,
        TcpOption::WindowScale(7),
    ];
    let sack = SackBlocks::new(&[(5000, 6448), (7896, 9344), (10792, 12240)]).expect("3 blocks");
    let data: &'static [u8] = Box::leak(vec![0x61; 1448].into_boxed_slice());
    let datagrams = [
        (
            v4(IpProtocol::TCP),
            UpperRepr::Tcp(tcp(TcpFlags::SYN, &syn_options, b"")),
        ),
        (
            v4(IpProtocol::TCP),
            UpperRepr::Tcp(tcp(
                TcpFlags::ACK,
                &[TcpOption::Nop, TcpOption::Nop, ts],
                data,
            )),
        ),
        (
            v4(IpProtocol::TCP),
            UpperRepr::Tcp(tcp(
                TcpFlags::ACK,
                &[
                    TcpOption::Nop,
                    TcpOption::Nop,
                    ts,
                    TcpOption::Nop,
                    TcpOption::Nop,
                    TcpOption::Sack(sack),
                ],
                b"",
            )),
        ),
        (
            v4(IpProtocol::UDP),
            UpperRepr::Udp(UdpRepr {
                src_port: 5353,
                dst_port: 53,
                checksum: Checksum::Valid,
                payload: b"0123456789abcdef0123456789abcdef",
            }),
        ),
        (
            v6,
            UpperRepr::Tcp(tcp(
                TcpFlags::ACK | TcpFlags::PSH,
                &[TcpOption::Nop, TcpOption::Nop, ts],
                b"GET / HTTP/1.1\r\nHost: example\r\n\r\n",
            )),
        ),
    ];
    datagrams
        .into_iter()
        .map(|(ip, upper)| {
            let t = if matches!(ip, IpRepr::V4(_)) {
                EtherType::IPV4
            } else {
                EtherType::IPV6
            };
            let frame = EthernetFrame {
                ethernet: eth(t),
                payload: FramePayload::Ip(IpDatagram { ip, upper }),
            };
            frame.to_bytes().expect("emits")
        })
        .collect()
}

// --- netdrill -----------------------------------------------------------------

fn netdrill(frame: &[u8], mode: ChecksumMode) -> u64 {
    let Ok(f) = EthernetFrame::parse(frame, mode) else {
        return 0;
    };
    let FramePayload::Ip(d) = f.payload else {
        return 0;
    };
    let mut acc = match d.ip {
        IpRepr::V4(ip) => {
            let acc = mix(mix(0, u32::from(ip.src).into()), u32::from(ip.dst).into());
            mix(mix(acc, ip.ttl.into()), ip.payload_len as u64)
        }
        IpRepr::V6(ip) => {
            let acc = mix(mix(0, u128::from(ip.src) as u64), u128::from(ip.dst) as u64);
            mix(mix(acc, ip.hop_limit.into()), ip.payload_len as u64)
        }
    };
    if mode == ChecksumMode::Verify {
        acc = mix(
            acc,
            u64::from(matches!(
                d.ip,
                IpRepr::V4(Ipv4Repr {
                    checksum: Checksum::Valid,
                    ..
                }) | IpRepr::V6(_)
            )),
        );
    }
    match d.upper {
        UpperRepr::Tcp(t) => {
            acc = mix(mix(acc, t.src_port.into()), t.dst_port.into());
            acc = mix(mix(acc, t.seq.into()), t.ack.into());
            acc = mix(mix(acc, (t.flags.bits() & 0x1ff).into()), t.window.into());
            for o in t.options.iter() {
                acc = mix(acc, o.kind().into());
                acc = match o {
                    TcpOption::Mss(v) => mix(acc, v.into()),
                    TcpOption::WindowScale(v) => mix(acc, v.into()),
                    TcpOption::Timestamps { tsval, tsecr } => {
                        mix(mix(acc, tsval.into()), tsecr.into())
                    }
                    TcpOption::Sack(b) => b
                        .as_slice()
                        .iter()
                        .fold(acc, |a, &(l, r)| mix(mix(a, l.into()), r.into())),
                    _ => acc,
                };
            }
            acc = mix(acc, t.payload.len() as u64);
            if mode == ChecksumMode::Verify {
                acc = mix(acc, u64::from(t.checksum == Checksum::Valid));
            }
        }
        UpperRepr::Udp(u) => {
            acc = mix(mix(acc, u.src_port.into()), u.dst_port.into());
            acc = mix(acc, u.payload.len() as u64);
            if mode == ChecksumMode::Verify {
                acc = mix(acc, u64::from(u.checksum == Checksum::Valid));
            }
        }
        _ => {}
    }
    acc
}

// --- etherparse ---------------------------------------------------------------

fn etherparse(frame: &[u8]) -> u64 {
    use etherparse::{NetSlice, SlicedPacket, TcpOptionElement, TransportSlice};
    let Ok(p) = SlicedPacket::from_ethernet(frame) else {
        return 0;
    };
    let mut acc = match &p.net {
        Some(NetSlice::Ipv4(ip)) => {
            let h = ip.header();
            let acc = mix(
                mix(0, u32::from_be_bytes(h.source()).into()),
                u32::from_be_bytes(h.destination()).into(),
            );
            mix(mix(acc, h.ttl().into()), ip.payload().payload.len() as u64)
        }
        Some(NetSlice::Ipv6(ip)) => {
            let h = ip.header();
            let acc = mix(
                mix(0, u128::from_be_bytes(h.source()) as u64),
                u128::from_be_bytes(h.destination()) as u64,
            );
            mix(
                mix(acc, h.hop_limit().into()),
                ip.payload().payload.len() as u64,
            )
        }
        _ => return 0,
    };
    match &p.transport {
        Some(TransportSlice::Tcp(t)) => {
            acc = mix(
                mix(acc, t.source_port().into()),
                t.destination_port().into(),
            );
            acc = mix(
                mix(acc, t.sequence_number().into()),
                t.acknowledgment_number().into(),
            );
            let flags = [
                t.fin(),
                t.syn(),
                t.rst(),
                t.psh(),
                t.ack(),
                t.urg(),
                t.ece(),
                t.cwr(),
                t.ns(),
            ]
            .iter()
            .enumerate()
            .fold(0u64, |f, (i, &on)| f | (u64::from(on) << i));
            acc = mix(mix(acc, flags), t.window_size().into());
            for o in t.options_iterator() {
                let Ok(o) = o else { break };
                acc = match o {
                    TcpOptionElement::Noop => mix(acc, 1),
                    TcpOptionElement::MaximumSegmentSize(v) => mix(mix(acc, 2), v.into()),
                    TcpOptionElement::WindowScale(v) => mix(mix(acc, 3), v.into()),
                    TcpOptionElement::SelectiveAcknowledgementPermitted => mix(acc, 4),
                    TcpOptionElement::SelectiveAcknowledgement(first, rest) => {
                        let acc = mix(mix(mix(acc, 5), first.0.into()), first.1.into());
                        rest.iter()
                            .flatten()
                            .fold(acc, |a, &(l, r)| mix(mix(a, l.into()), r.into()))
                    }
                    TcpOptionElement::Timestamp(a, b) => mix(mix(mix(acc, 8), a.into()), b.into()),
                };
            }
            mix(acc, t.payload().len() as u64)
        }
        Some(TransportSlice::Udp(u)) => {
            acc = mix(
                mix(acc, u.source_port().into()),
                u.destination_port().into(),
            );
            mix(acc, u.payload().len() as u64)
        }
        _ => acc,
    }
}

// --- pnet ---------------------------------------------------------------------

fn pnet(frame: &[u8]) -> u64 {
    use pnet_packet::Packet;
    use pnet_packet::ethernet::{EtherTypes, EthernetPacket};
    use pnet_packet::ip::IpNextHeaderProtocols;
    use pnet_packet::ipv4::Ipv4Packet;
    use pnet_packet::ipv6::Ipv6Packet;
    use pnet_packet::tcp::TcpPacket;
    use pnet_packet::udp::UdpPacket;
    let be16 = |b: &[u8], at: usize| {
        b.get(at..at + 2)
            .map_or(0, |s| u64::from(u16::from_be_bytes([s[0], s[1]])))
    };
    let be32 = |b: &[u8], at: usize| {
        b.get(at..at + 4).map_or(0, |s| {
            u64::from(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        })
    };
    let Some(eth) = EthernetPacket::new(frame) else {
        return 0;
    };
    let (mut acc, protocol, payload) = match eth.get_ethertype() {
        EtherTypes::Ipv4 => {
            let Some(ip) = Ipv4Packet::new(eth.payload()) else {
                return 0;
            };
            let acc = mix(
                mix(0, u32::from(ip.get_source()).into()),
                u32::from(ip.get_destination()).into(),
            );
            let hl = usize::from(ip.get_header_length()) * 4;
            let total = usize::from(ip.get_total_length());
            let Some(payload) = eth.payload().get(hl..total) else {
                return 0;
            };
            (
                mix(mix(acc, ip.get_ttl().into()), payload.len() as u64),
                ip.get_next_level_protocol(),
                payload,
            )
        }
        EtherTypes::Ipv6 => {
            let Some(ip) = Ipv6Packet::new(eth.payload()) else {
                return 0;
            };
            let acc = mix(
                mix(0, u128::from(ip.get_source()) as u64),
                u128::from(ip.get_destination()) as u64,
            );
            let len = usize::from(ip.get_payload_length());
            let Some(payload) = eth.payload().get(40..40 + len) else {
                return 0;
            };
            (
                mix(mix(acc, ip.get_hop_limit().into()), payload.len() as u64),
                ip.get_next_header(),
                payload,
            )
        }
        _ => return 0,
    };
    match protocol {
        IpNextHeaderProtocols::Tcp => {
            let Some(t) = TcpPacket::new(payload) else {
                return 0;
            };
            acc = mix(mix(acc, t.get_source().into()), t.get_destination().into());
            acc = mix(
                mix(acc, t.get_sequence().into()),
                t.get_acknowledgement().into(),
            );
            let flags = u64::from(t.get_flags()) | (u64::from(t.get_reserved() & 1) << 8);
            acc = mix(mix(acc, flags), t.get_window().into());
            for o in t.get_options_iter() {
                let kind = o.get_number().0;
                if kind == 0 {
                    break;
                }
                acc = mix(acc, kind.into());
                let v = o.payload();
                acc = match (kind, v.len()) {
                    (2, 2) => mix(acc, be16(v, 0)),
                    (3, 1) => mix(acc, v[0].into()),
                    (8, 8) => mix(mix(acc, be32(v, 0)), be32(v, 4)),
                    (5, _) => v
                        .chunks_exact(8)
                        .fold(acc, |a, b| mix(mix(a, be32(b, 0)), be32(b, 4))),
                    _ => acc,
                };
            }
            mix(acc, t.payload().len() as u64)
        }
        IpNextHeaderProtocols::Udp => {
            let Some(u) = UdpPacket::new(payload) else {
                return 0;
            };
            acc = mix(mix(acc, u.get_source().into()), u.get_destination().into());
            mix(acc, u.payload().len() as u64)
        }
        _ => acc,
    }
}

fn bench(c: &mut Criterion) {
    let frames = frames();
    let all = |f: &dyn Fn(&[u8]) -> u64| frames.iter().fold(0u64, |acc, fr| acc ^ f(fr));
    // The three parsers must read the same fields to the same values.
    let ours = all(&|f| netdrill(f, ChecksumMode::Skip));
    assert_ne!(ours, 0);
    assert_eq!(all(&etherparse), ours, "etherparse digest differs");
    assert_eq!(all(&pnet), ours, "pnet digest differs");
    let bytes: usize = frames.iter().map(Vec::len).sum();

    let mut g = c.benchmark_group("wire_parse_mix");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("netdrill", |b| {
        b.iter(|| all(&|f| netdrill(black_box(f), ChecksumMode::Skip)))
    });
    g.bench_function("etherparse", |b| {
        b.iter(|| all(&|f| etherparse(black_box(f))))
    });
    g.bench_function("pnet", |b| b.iter(|| all(&|f| pnet(black_box(f)))));
    g.bench_function("netdrill_verify_checksums", |b| {
        b.iter(|| all(&|f| netdrill(black_box(f), ChecksumMode::Verify)))
    });
    g.finish();

    let mut g = c.benchmark_group("wire_parse_mix_bytes");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("netdrill_verify_checksums", |b| {
        b.iter(|| all(&|f| netdrill(black_box(f), ChecksumMode::Verify)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
