//! Captures: a recorded run reads back exactly as it happened, tshark reads
//! our pcaps without a warning, and broken files give errors, not panics.

mod support;

use etherparse::PacketBuilder;
use libtest_mimic::{Arguments, Failed, Trial};
use netdrill::capture::{
    self, Capture, Direction, Format, LOCAL_MAC, PcapSink, REMOTE_MAC, ReadErrorKind, Recorder,
};
use netdrill::run::verdict::TracedPacket;
use netdrill::target::{
    Command, CommandOutcome, Event, Started, Syscall, SyscallResult, Target, TargetError,
};
use netdrill_stack::time::Instant;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::{DataLink, Endianness, TsResolution};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::borrow::Cow;
use std::process::Command as Process;

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test("capture_recorder_round_trip", recorder_round_trip),
        Trial::test(
            "capture_recorder_passes_calls_through",
            recorder_passes_calls_through,
        ),
        Trial::test(
            "capture_recorder_files_are_deterministic",
            recorder_files_are_deterministic,
        ),
        Trial::test(
            "capture_trace_file_equals_recording",
            trace_file_equals_recording,
        ),
        Trial::test(
            "capture_sink_cuts_frames_at_snaplen",
            sink_cuts_frames_at_snaplen,
        ),
        Trial::test("capture_sink_round_trip_prop", sink_round_trip_prop),
        Trial::test("capture_reads_other_link_types", reads_other_link_types),
        Trial::test(
            "capture_reads_nanosecond_big_endian_pcap",
            reads_nanosecond_big_endian_pcap,
        ),
        Trial::test("capture_reads_pcapng", reads_pcapng),
        Trial::test("capture_pcapng_errors", pcapng_errors),
        Trial::test(
            "capture_truncated_files_error_at_every_cut",
            truncated_files_error_at_every_cut,
        ),
        Trial::test(
            "capture_garbage_and_mutations_never_panic",
            garbage_and_mutations_never_panic,
        ),
        Trial::test("capture_unsupported_link_type", unsupported_link_type),
        Trial::test("capture_read_file_names_the_path", read_file_names_the_path),
    ];
    trials.extend(support::gate(
        vec![
            Trial::test(
                "capture_tshark_reads_recording_without_warnings",
                tshark_reads_recording,
            ),
            Trial::test(
                "capture_reads_what_tshark_rewrites",
                reads_what_tshark_rewrites,
            ),
        ],
        support::Need::Tshark,
        support::tshark_available(),
    ));
    libtest_mimic::run(&args, trials).exit();
}

fn check(cond: bool, msg: impl FnOnce() -> String) -> Result<(), Failed> {
    if cond { Ok(()) } else { Err(msg().into()) }
}

// --- packets -----------------------------------------------------------------

const LOCAL4: [u8; 4] = [192, 168, 0, 1];
const REMOTE4: [u8; 4] = [192, 0, 2, 1];
const LOCAL6: [u8; 16] = [
    0xfd, 0x3d, 0xfa, 0x7b, 0xd1, 0x7d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
];
const REMOTE6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/// A TCP segment between the script's peer (port 40000) and the stack under
/// test (port 44444); `ack` 0 means no ACK flag.
fn tcp4(from_remote: bool, syn: bool, seq: u32, ack: u32, payload: &[u8]) -> Vec<u8> {
    let (src, dst, sport, dport) = if from_remote {
        (REMOTE4, LOCAL4, 40000, 44444)
    } else {
        (LOCAL4, REMOTE4, 44444, 40000)
    };
    let mut b = PacketBuilder::ipv4(src, dst, 64).tcp(sport, dport, seq, 65535);
    if syn {
        b = b.syn();
    }
    if ack != 0 {
        b = b.ack(ack);
    }
    let mut out = Vec::new();
    b.write(&mut out, payload).expect("building a test packet");
    out
}

/// A SYN from the peer.
fn syn() -> Vec<u8> {
    tcp4(true, true, 1000, 0, b"")
}

fn udp6(from_remote: bool, payload: &[u8]) -> Vec<u8> {
    let (src, dst) = if from_remote {
        (REMOTE6, LOCAL6)
    } else {
        (LOCAL6, REMOTE6)
    };
    let mut out = Vec::new();
    PacketBuilder::ipv6(src, dst, 64)
        .udp(
            if from_remote { 40000 } else { 44444 },
            if from_remote { 44444 } else { 40000 },
        )
        .write(&mut out, payload)
        .expect("building a test packet");
    out
}

// --- a fake target -------------------------------------------------------------

/// A target that replies to every injected packet with the packets queued for
/// it, one millisecond later each, and counts the calls it gets.
#[derive(Default)]
struct Echo {
    now: Instant,
    injected: Vec<(Instant, Vec<u8>)>,
    pending: Vec<(Instant, Vec<u8>)>,
    replies: Vec<Vec<Vec<u8>>>,
    syscalls: usize,
    commands: usize,
}

impl Target for Echo {
    fn name(&self) -> &'static str {
        "echo"
    }
    fn now(&self) -> Instant {
        self.now
    }
    fn inject(&mut self, packet: &[u8]) -> Result<(), TargetError> {
        self.injected.push((self.now, packet.to_vec()));
        if !self.replies.is_empty() {
            let mut at = self.now;
            for p in self.replies.remove(0) {
                at += netdrill_stack::time::Duration::from_millis(1);
                self.pending.push((at, p));
            }
        }
        Ok(())
    }
    fn syscall(&mut self, _call: Syscall) -> Result<Started, TargetError> {
        self.syscalls += 1;
        Ok(Started::Done(SyscallResult::default()))
    }
    fn next_event(&mut self, deadline: Instant) -> Result<Option<Event>, TargetError> {
        match self.pending.first() {
            Some((at, _)) if *at <= deadline => {
                let (at, bytes) = self.pending.remove(0);
                self.now = at;
                Ok(Some(Event::Packet { at, bytes }))
            }
            _ => {
                self.now = deadline;
                Ok(None)
            }
        }
    }
    fn command(&mut self, command: &Command) -> Result<CommandOutcome, TargetError> {
        self.commands += 1;
        Ok(CommandOutcome::Applied {
            notes: vec![command.text.clone()],
        })
    }
}

/// The traffic of a small exchange, in the order it crosses the seam.
fn conversation() -> Vec<(Instant, Direction, Vec<u8>)> {
    let ms = Instant::from_millis;
    vec![
        (ms(0), Direction::Inbound, syn()),
        (
            ms(1),
            Direction::Outbound,
            tcp4(false, true, 5000, 1001, b""),
        ),
        (
            ms(100),
            Direction::Inbound,
            tcp4(true, false, 1001, 5001, b"hello"),
        ),
        (
            ms(101),
            Direction::Outbound,
            tcp4(false, false, 5001, 1006, b""),
        ),
        (
            ms(102),
            Direction::Outbound,
            tcp4(false, false, 5001, 1006, b"world!"),
        ),
        (ms(2500), Direction::Inbound, udp6(true, b"q")),
        (ms(2501), Direction::Outbound, udp6(false, b"answer")),
    ]
}

/// Plays `conversation()` through a recorder around `Echo`; returns the pcap bytes.
fn record_conversation() -> Result<(Echo, Vec<u8>), Failed> {
    let conv = conversation();
    let mut echo = Echo::default();
    // Group the outbound packets after each inbound one as its replies.
    for (_, dir, bytes) in &conv {
        match dir {
            Direction::Inbound => echo.replies.push(vec![]),
            Direction::Outbound => echo
                .replies
                .last_mut()
                .ok_or("starts outbound")?
                .push(bytes.clone()),
        }
    }
    let mut rec = Recorder::new(echo, Vec::new())?;
    for (at, dir, bytes) in &conv {
        if *dir == Direction::Inbound {
            // Let time pass to the injection time.
            if let Some(ev) = rec.next_event(*at)? {
                return Err(format!("unexpected event before {at}: {ev:?}").into());
            }
            rec.inject(bytes)?;
            while let Some(_ev) =
                rec.next_event(*at + netdrill_stack::time::Duration::from_millis(50))?
            {}
        }
    }
    Ok(rec.finish()?)
}

fn recorder_round_trip() -> Result<(), Failed> {
    let (echo, pcap) = record_conversation()?;
    let conv = conversation();
    let capture = capture::read_bytes(&pcap)?;
    check(capture.format == Format::Pcap, || {
        format!("{:?}", capture.format)
    })?;
    check(capture.skipped.is_empty(), || {
        format!("{:?}", capture.skipped)
    })?;
    check(capture.packets.len() == conv.len(), || {
        format!(
            "{} packets read back, {} recorded",
            capture.packets.len(),
            conv.len()
        )
    })?;
    for (i, (p, (at, dir, bytes))) in capture.packets.iter().zip(&conv).enumerate() {
        check(p.number == i + 1, || {
            format!("frame number {} at index {i}", p.number)
        })?;
        check(p.at == *at, || {
            format!("frame {}: at {} instead of {at}", p.number, p.at)
        })?;
        check(p.direction == Some(*dir), || {
            format!("frame {}: {:?}", p.number, p.direction)
        })?;
        check(&p.bytes == bytes, || {
            format!("frame {}: bytes differ", p.number)
        })?;
        check(p.wire_len == bytes.len() && !p.is_cut(), || {
            format!("frame {}: wire_len", p.number)
        })?;
    }
    // The inner target saw exactly the injected packets, at the same times.
    let injected: Vec<_> = conv
        .iter()
        .filter(|c| c.1 == Direction::Inbound)
        .map(|c| (c.0, c.2.clone()))
        .collect();
    check(echo.injected == injected, || {
        "the inner target got different injections".into()
    })?;
    // The frames carry the documented addresses, the right way round.
    let raw = &pcap[24 + 16..];
    check(raw[0..6] == LOCAL_MAC && raw[6..12] == REMOTE_MAC, || {
        "inbound frame MACs".into()
    })
}

fn recorder_passes_calls_through() -> Result<(), Failed> {
    let mut rec = Recorder::new(Echo::default(), Vec::new())?;
    check(rec.name() == "echo", || rec.name().to_string())?;
    let started = rec.syscall(Syscall::Close { fd: 3 })?;
    check(started == Started::Done(SyscallResult::default()), || {
        format!("{started:?}")
    })?;
    let cmd = Command {
        text: "sysctl -q net.ipv4.tcp_sack=0".into(),
        dir: ".".into(),
    };
    let outcome = rec.command(&cmd)?;
    check(
        outcome
            == CommandOutcome::Applied {
                notes: vec![cmd.text.clone()],
            },
        || format!("{outcome:?}"),
    )?;
    check(rec.next_event(Instant::from_millis(7))?.is_none(), || {
        "no event expected".into()
    })?;
    check(rec.now() == Instant::from_millis(7), || {
        format!("now {}", rec.now())
    })?;
    let (echo, pcap) = rec.finish()?;
    check(echo.syscalls == 1 && echo.commands == 1, || {
        "calls did not reach the inner target".into()
    })?;
    // Nothing crossed the wire: a header-only file that reads back empty.
    check(pcap.len() == 24, || format!("{} bytes", pcap.len()))?;
    let capture = capture::read_bytes(&pcap)?;
    check(capture.packets.is_empty(), || format!("{capture:?}"))
}

fn recorder_files_are_deterministic() -> Result<(), Failed> {
    let (_, a) = record_conversation()?;
    let (_, b) = record_conversation()?;
    check(a == b, || "two recordings of the same run differ".into())?;
    // Little-endian classic pcap, µs, Ethernet, snaplen 262144.
    check(a[0..4] == [0xD4, 0xC3, 0xB2, 0xA1], || {
        format!("magic {:02x?}", &a[0..4])
    })?;
    check(a[16..20] == 262_144u32.to_le_bytes(), || "snaplen".into())?;
    check(a[20..24] == 1u32.to_le_bytes(), || "link type".into())
}

/// Writing the interpreter's trace of a run gives the same file as recording it.
fn trace_file_equals_recording() -> Result<(), Failed> {
    let (_, recorded) = record_conversation()?;
    let mut sink = PcapSink::new(Vec::new())?;
    for (at, direction, bytes) in conversation() {
        sink.write_traced(&TracedPacket {
            at,
            direction,
            bytes,
        })?;
    }
    check(sink.finish()? == recorded, || {
        "trace and recording differ".into()
    })
}

fn sink_cuts_frames_at_snaplen() -> Result<(), Failed> {
    let mut sink = PcapSink::new(Vec::new())?;
    let mut big = vec![0x45u8; 300_000];
    big[0] = 0x45;
    sink.write(Instant::from_micros(5), Direction::Outbound, &big)?;
    let capture = capture::read_bytes(&sink.finish()?)?;
    let p = capture.packets.first().ok_or("no packet")?;
    check(p.bytes.len() == capture::SNAPLEN as usize - 14, || {
        format!("{} bytes kept", p.bytes.len())
    })?;
    check(p.wire_len == big.len() && p.is_cut(), || {
        format!("wire_len {}", p.wire_len)
    })
}

fn sink_round_trip_prop() -> Result<(), Failed> {
    let packet = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..1500).prop_map(|mut v| {
            if let Some(b) = v.first_mut() {
                *b = 0x45;
            }
            v
        }),
        proptest::collection::vec(any::<u8>(), 1..200).prop_map(|mut v| {
            v[0] = 0x60;
            v
        }),
    ];
    let item = (0u64..4_000_000_000_000, any::<bool>(), packet);
    let mut runner = TestRunner::new(Config::with_cases(64));
    runner
        .run(&proptest::collection::vec(item, 0..20), |items| {
            let mut sink =
                PcapSink::new(Vec::new()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (us, inbound, bytes) in &items {
                let dir = if *inbound {
                    Direction::Inbound
                } else {
                    Direction::Outbound
                };
                sink.write(Instant::from_micros(*us), dir, bytes)
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
            }
            let out = sink
                .finish()
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let capture =
                capture::read_bytes(&out).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(capture.packets.len(), items.len());
            for (p, (us, inbound, bytes)) in capture.packets.iter().zip(&items) {
                prop_assert_eq!(p.at, Instant::from_micros(*us));
                let dir = if *inbound {
                    Direction::Inbound
                } else {
                    Direction::Outbound
                };
                prop_assert_eq!(p.direction, Some(dir));
                prop_assert_eq!(&p.bytes, bytes);
            }
            Ok(())
        })
        .map_err(|e| Failed::from(e.to_string()))
}

/// A classic pcap of `records` with the given link type, endianness and resolution.
fn pcap_of(
    link: u32,
    endianness: Endianness,
    res: TsResolution,
    records: &[(u64, Vec<u8>)],
) -> Vec<u8> {
    let header = PcapHeader {
        datalink: DataLink::from(link),
        endianness,
        ts_resolution: res,
        ..PcapHeader::default()
    };
    let mut w = PcapWriter::with_header(Vec::new(), header).expect("pcap header");
    for (ns, data) in records {
        let len = data.len() as u32;
        w.write_packet(&PcapPacket::new(
            std::time::Duration::from_nanos(*ns),
            len,
            data,
        ))
        .expect("pcap record");
    }
    w.into_writer()
}

fn only_ip(capture: &Capture) -> Vec<(u64, Option<Direction>, Vec<u8>)> {
    capture
        .packets
        .iter()
        .map(|p| (p.at.as_micros(), p.direction, p.bytes.clone()))
        .collect()
}

fn reads_other_link_types() -> Result<(), Failed> {
    let a = syn();
    let b = udp6(false, b"x");
    // Raw IP (101), and the two single-version link types.
    for link in [101, 12] {
        let file = pcap_of(
            link,
            Endianness::Little,
            TsResolution::MicroSecond,
            &[(1_000, a.clone()), (2_000, b.clone())],
        );
        let got = only_ip(&capture::read_bytes(&file)?);
        check(
            got == vec![(1, None, a.clone()), (2, None, b.clone())],
            || format!("link {link}: {got:?}"),
        )?;
    }
    let file = pcap_of(
        228,
        Endianness::Little,
        TsResolution::MicroSecond,
        &[(0, a.clone())],
    );
    check(
        only_ip(&capture::read_bytes(&file)?) == vec![(0, None, a.clone())],
        || "IPV4 link type".into(),
    )?;
    // Linux cooked v1: incoming (0) IPv4, outgoing (4) IPv6, and an ARP frame.
    let sll = |pkttype: u8, proto: [u8; 2], ip: &[u8]| {
        let mut r = vec![
            0, pkttype, 0, 1, 0, 6, 9, 9, 9, 9, 9, 9, 0, 0, proto[0], proto[1],
        ];
        r.extend_from_slice(ip);
        r
    };
    let file = pcap_of(
        113,
        Endianness::Big,
        TsResolution::MicroSecond,
        &[
            (0, sll(0, [8, 0], &a)),
            (0, sll(1, [8, 6], &[0; 28])),
            (3_000, sll(4, [0x86, 0xDD], &b)),
        ],
    );
    let capture = capture::read_bytes(&file)?;
    let got = only_ip(&capture);
    check(
        got == vec![
            (0, Some(Direction::Inbound), a.clone()),
            (3, Some(Direction::Outbound), b.clone()),
        ],
        || format!("SLL: {got:?}"),
    )?;
    check(
        capture.skipped.len() == 1 && capture.skipped[0].number == 2,
        || format!("{:?}", capture.skipped),
    )?;
    check(capture.packets[1].number == 3, || {
        "frame numbers count skipped frames".into()
    })?;
    // Linux cooked v2.
    let mut sll2 = vec![
        0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0,
    ];
    sll2.extend_from_slice(&a);
    let file = pcap_of(
        276,
        Endianness::Little,
        TsResolution::MicroSecond,
        &[(7_000, sll2)],
    );
    let got = only_ip(&capture::read_bytes(&file)?);
    check(
        got == vec![(7, Some(Direction::Outbound), a.clone())],
        || format!("SLL2: {got:?}"),
    )?;
    // Ethernet from elsewhere: no direction, but the IP is there.
    let mut eth = vec![0xAA; 12];
    eth.extend_from_slice(&[0x08, 0x00]);
    eth.extend_from_slice(&a);
    let file = pcap_of(
        1,
        Endianness::Little,
        TsResolution::MicroSecond,
        &[(0, eth)],
    );
    check(
        only_ip(&capture::read_bytes(&file)?) == vec![(0, None, a)],
        || "foreign Ethernet".into(),
    )
}

fn reads_nanosecond_big_endian_pcap() -> Result<(), Failed> {
    let a = tcp4(false, false, 7, 9, b"data");
    let ns = 1_700_000_000_123_456_789u64;
    let file = pcap_of(
        101,
        Endianness::Big,
        TsResolution::NanoSecond,
        &[(ns, a.clone()), (ns + 2_000_000, a.clone())],
    );
    check(file[0..4] == [0xA1, 0xB2, 0x3C, 0x4D], || {
        "expected a big-endian ns file".into()
    })?;
    let capture = capture::read_bytes(&file)?;
    let got: Vec<u64> = capture.packets.iter().map(|p| p.at.as_micros()).collect();
    check(got == vec![ns / 1000, ns / 1000 + 2000], || {
        format!("{got:?}")
    })?;
    let rebased: Vec<u64> = capture
        .rebased()
        .packets
        .iter()
        .map(|p| p.at.as_micros())
        .collect();
    check(rebased == vec![0, 2000], || format!("rebased {rebased:?}"))
}

fn pcapng_of(
    endianness: Endianness,
    interfaces: Vec<InterfaceDescriptionBlock<'static>>,
    packets: Vec<EnhancedPacketBlock<'static>>,
) -> Vec<u8> {
    let section = pcap_file::pcapng::blocks::section_header::SectionHeaderBlock {
        endianness,
        ..Default::default()
    };
    let mut w = PcapNgWriter::with_section_header(Vec::new(), section).expect("pcapng header");
    for idb in interfaces {
        w.write_pcapng_block(idb).expect("idb");
    }
    for epb in packets {
        w.write_pcapng_block(epb).expect("epb");
    }
    w.into_inner()
}

fn epb(
    interface_id: u32,
    ticks: u64,
    data: Vec<u8>,
    options: Vec<EnhancedPacketOption<'static>>,
) -> EnhancedPacketBlock<'static> {
    EnhancedPacketBlock {
        interface_id,
        // pcap-file writes the Duration's nanoseconds as the raw tick count.
        timestamp: std::time::Duration::from_nanos(ticks),
        original_len: data.len() as u32,
        data: Cow::Owned(data),
        options,
    }
}

fn idb(
    link: u32,
    options: Vec<InterfaceDescriptionOption<'static>>,
) -> InterfaceDescriptionBlock<'static> {
    InterfaceDescriptionBlock {
        linktype: DataLink::from(link),
        snaplen: 0,
        options,
    }
}

fn reads_pcapng() -> Result<(), Failed> {
    let a = syn();
    let b = udp6(false, b"yz");
    let mut eth = pcap_file_frame(&b);
    eth[0..6].copy_from_slice(&REMOTE_MAC);
    eth[6..12].copy_from_slice(&LOCAL_MAC);
    for endianness in [Endianness::Little, Endianness::Big] {
        let file = pcapng_of(
            endianness,
            vec![
                idb(101, vec![]),                                       // µs
                idb(1, vec![InterfaceDescriptionOption::IfTsResol(9)]), // ns
                idb(
                    101,
                    vec![
                        InterfaceDescriptionOption::IfTsResol(0x80 | 10),
                        InterfaceDescriptionOption::IfTsOffset(2),
                    ],
                ),
            ],
            vec![
                epb(0, 1_500, a.clone(), vec![EnhancedPacketOption::Flags(0b01)]),
                epb(1, 2_000_000, eth.clone(), vec![]),
                epb(2, 1024, a.clone(), vec![EnhancedPacketOption::Flags(0b10)]),
            ],
        );
        let capture = capture::read_bytes(&file)?;
        check(capture.format == Format::PcapNg, || "format".into())?;
        let got = only_ip(&capture);
        let want = vec![
            (1_500, Some(Direction::Inbound), a.clone()),
            (2_000, Some(Direction::Outbound), b.clone()),
            (3_000_000, Some(Direction::Outbound), a.clone()),
        ];
        check(got == want, || format!("{endianness:?}: {got:?}"))?;
    }
    Ok(())
}

fn pcap_file_frame(ip: &[u8]) -> Vec<u8> {
    let mut f = vec![0; 12];
    f.extend_from_slice(&[0x86, 0xDD]);
    f.extend_from_slice(ip);
    f
}

fn pcapng_errors() -> Result<(), Failed> {
    let a = syn();
    // A packet for an interface that was never described.
    // (pcap-file refuses to write one, so write interface 0 and patch it:
    // the EPB is the last block, its interface id 8 bytes into it.)
    let mut file = pcapng_of(
        Endianness::Little,
        vec![idb(101, vec![])],
        vec![epb(0, 0, a.clone(), vec![])],
    );
    let epb_len = 32 + a.len().div_ceil(4) * 4;
    let id_at = file.len() - epb_len + 8;
    file[id_at..id_at + 4].copy_from_slice(&3u32.to_le_bytes());
    let err = capture::read_bytes(&file).unwrap_err();
    check(
        err.frame == Some(1) && matches!(err.kind, ReadErrorKind::Malformed(_)),
        || format!("{err:?}"),
    )?;
    check(
        err.to_string().contains("interface 3, but 1 interface(s)"),
        || err.to_string(),
    )?;
    // An interface with a link type we do not read.
    let file = pcapng_of(
        Endianness::Little,
        vec![idb(105, vec![])],
        vec![epb(0, 0, a.clone(), vec![])],
    );
    let err = capture::read_bytes(&file).unwrap_err();
    check(err.kind == ReadErrorKind::UnsupportedLinkType(105), || {
        format!("{err:?}")
    })?;
    // A timestamp in seconds too large for microseconds.
    let file = pcapng_of(
        Endianness::Little,
        vec![idb(101, vec![InterfaceDescriptionOption::IfTsResol(0)])],
        vec![epb(0, u64::MAX, a, vec![])],
    );
    let err = capture::read_bytes(&file).unwrap_err();
    check(
        err.to_string().contains("does not fit in microseconds"),
        || err.to_string(),
    )
}

fn truncated_files_error_at_every_cut() -> Result<(), Failed> {
    let (_, pcap) = record_conversation()?;
    // Record boundaries: a cut there is a valid, shorter file.
    let mut boundaries = vec![24];
    let mut at = 24;
    while at < pcap.len() {
        let incl = u32::from_le_bytes(pcap[at + 8..at + 12].try_into()?) as usize;
        at += 16 + incl;
        boundaries.push(at);
    }
    for cut in 0..pcap.len() {
        match capture::read_bytes(&pcap[..cut]) {
            Ok(c) => {
                let n = boundaries
                    .iter()
                    .position(|b| *b == cut)
                    .ok_or_else(|| format!("a cut at {cut} read as valid"))?;
                check(c.packets.len() == n, || {
                    format!("cut at {cut}: {} packets", c.packets.len())
                })?;
            }
            Err(e) => {
                check(matches!(e.kind, ReadErrorKind::Truncated(_)), || {
                    format!("cut at {cut}: {e}")
                })?;
                check(!boundaries.contains(&cut), || {
                    format!("cut at boundary {cut}: {e}")
                })?;
                // The error points at the start of the cut record.
                if cut >= 24 {
                    let start = boundaries
                        .iter()
                        .rev()
                        .find(|b| **b <= cut)
                        .copied()
                        .unwrap_or(0);
                    check(e.offset == start, || {
                        format!("cut at {cut}: offset {} not {start}", e.offset)
                    })?;
                    check(
                        e.frame
                            == Some(boundaries.iter().position(|b| *b == start).unwrap_or(0) + 1),
                        || format!("cut at {cut}: {e}"),
                    )?;
                }
            }
        }
    }
    // pcapng: every cut short of the whole file is an error or a shorter valid file.
    let file = pcapng_of(
        Endianness::Little,
        vec![idb(101, vec![])],
        vec![epb(0, 0, syn(), vec![])],
    );
    for cut in 0..file.len() {
        if let Ok(c) = capture::read_bytes(&file[..cut]) {
            check(c.packets.is_empty(), || {
                format!("pcapng cut at {cut} kept a packet")
            })?;
        }
    }
    Ok(())
}

fn garbage_and_mutations_never_panic() -> Result<(), Failed> {
    let (_, pcap) = record_conversation()?;
    let ng = pcapng_of(
        Endianness::Big,
        vec![idb(1, vec![InterfaceDescriptionOption::IfTsResol(9)])],
        vec![epb(
            0,
            5,
            pcap_file_frame(&udp6(true, b"abc")),
            vec![EnhancedPacketOption::Flags(1)],
        )],
    );
    let mut runner = TestRunner::new(Config::with_cases(2000));
    let seeds = [pcap, ng];
    let strategy = (
        0..seeds.len(),
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        any::<usize>(),
        proptest::collection::vec(any::<u8>(), 0..64),
    );
    runner
        .run(&strategy, |(seed, flips, cut, garbage)| {
            let mut bytes = seeds[seed].clone();
            for (at, value) in flips {
                let i = at % bytes.len();
                bytes[i] = value;
            }
            bytes.truncate(cut % (bytes.len() + 1));
            let _ = capture::read_bytes(&bytes);
            let _ = capture::read_bytes(&garbage);
            // Garbage after a valid header.
            let mut tail = seeds[seed][..24].to_vec();
            tail.extend_from_slice(&garbage);
            let _ = capture::read_bytes(&tail);
            Ok(())
        })
        .map_err(|e| Failed::from(e.to_string()))
}

fn unsupported_link_type() -> Result<(), Failed> {
    let file = pcap_of(105, Endianness::Little, TsResolution::MicroSecond, &[]);
    let err = capture::read_bytes(&file).unwrap_err();
    check(err.kind == ReadErrorKind::UnsupportedLinkType(105), || {
        format!("{err:?}")
    })?;
    check(
        err.to_string()
            == "byte 20: link type 105 is not supported (Ethernet, raw IP, Linux SLL and SLL2 are)",
        || err.to_string(),
    )?;
    // A bad timestamp fraction in a µs file.
    let mut file = pcap_of(
        101,
        Endianness::Little,
        TsResolution::MicroSecond,
        &[(0, syn())],
    );
    file[28..32].copy_from_slice(&1_000_000u32.to_le_bytes());
    let err = capture::read_bytes(&file).unwrap_err();
    check(
        err.to_string()
            == "byte 24 (frame 1): malformed: timestamp fraction 1000000 is a second or more",
        || err.to_string(),
    )?;
    // A frame too short for its Ethernet header.
    let file = pcap_of(
        1,
        Endianness::Little,
        TsResolution::MicroSecond,
        &[(0, vec![0; 10])],
    );
    let err = capture::read_bytes(&file).unwrap_err();
    check(
        err.to_string()
            == "byte 24 (frame 1): malformed: Ethernet header needs 14 bytes, the record has 10",
        || err.to_string(),
    )
}

fn read_file_names_the_path() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("nope.pcap");
    let err = capture::read_file(&missing).unwrap_err();
    check(
        err.path.as_deref() == Some(missing.as_path()) && matches!(err.kind, ReadErrorKind::Io(_)),
        || format!("{err:?}"),
    )?;
    let bad = dir.path().join("bad.pcap");
    std::fs::write(&bad, b"this is text")?;
    let err = capture::read_file(&bad).unwrap_err();
    check(
        err.to_string()
            .starts_with(&format!("{}: byte 0: not a pcap", bad.display())),
        || err.to_string(),
    )?;
    // And a recording written through Recorder::create reads back.
    let path = dir.path().join("run.pcap");
    let mut rec = Recorder::create(Echo::default(), &path)?;
    rec.inject(&syn())?;
    rec.finish()?;
    let capture = capture::read_file(&path)?;
    check(capture.packets.len() == 1, || format!("{capture:?}"))
}

/// tshark reads a recording with an empty stderr, no expert warnings, and
/// dissects each frame down to the transport protocol we wrote.
fn tshark_reads_recording() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("run.pcap");
    let (_, pcap) = record_conversation()?;
    std::fs::write(&path, &pcap)?;
    let out = Process::new("tshark")
        .args(["-n", "-r"])
        .arg(&path)
        .args([
            "-T",
            "fields",
            "-e",
            "frame.protocols",
            "-e",
            "_ws.expert.severity",
            "-e",
            "_ws.malformed",
        ])
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    // tshark prints one notice when run as root; anything else is a complaint.
    let complaints: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("Running as user \"root\""))
        .collect();
    check(out.status.success(), || {
        format!("tshark exited with {}: {stderr}", out.status)
    })?;
    check(complaints.is_empty(), || {
        format!("tshark complained: {complaints:?}")
    })?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    let want = [
        "eth:ethertype:ip:tcp",
        "eth:ethertype:ip:tcp",
        "eth:ethertype:ip:tcp:data",
        "eth:ethertype:ip:tcp",
        "eth:ethertype:ip:tcp:data",
        "eth:ethertype:ipv6:udp:data",
        "eth:ethertype:ipv6:udp:data",
    ];
    check(rows.len() == want.len(), || {
        format!("tshark shows {} frames:\n{stdout}", rows.len())
    })?;
    for (i, (row, want)) in rows.iter().zip(want).enumerate() {
        check(row.first() == Some(&want), || {
            format!("frame {}: {row:?}, want {want}", i + 1)
        })?;
        // Expert severities: chat (2097152) and note (4194304) are fine; warning
        // (6291456) and error (8388608) are not.
        for sev in row
            .get(1)
            .unwrap_or(&"")
            .split(',')
            .filter(|s| !s.is_empty())
        {
            let level: u64 = sev.parse().map_err(|e| format!("severity {sev}: {e}"))?;
            check(level < 6_291_456, || {
                format!("frame {}: expert severity {sev}: {row:?}", i + 1)
            })?;
        }
        check(row.get(2).is_none_or(|m| m.is_empty()), || {
            format!("frame {}: malformed: {row:?}", i + 1)
        })?;
    }
    Ok(())
}

/// Wireshark's own pcapng and nanosecond-pcap writers: the reader gets the
/// same packets, times and directions back from their rewrite of a recording.
fn reads_what_tshark_rewrites() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let original = dir.path().join("run.pcap");
    let (_, pcap) = record_conversation()?;
    std::fs::write(&original, &pcap)?;
    let want = capture::read_bytes(&pcap)?;
    for (format, expect) in [("pcapng", Format::PcapNg), ("nsecpcap", Format::Pcap)] {
        let rewritten = dir.path().join(format!("run.{format}"));
        let out = Process::new("tshark")
            .arg("-r")
            .arg(&original)
            .args(["-F", format, "-w"])
            .arg(&rewritten)
            .output()?;
        check(out.status.success(), || {
            format!(
                "tshark -F {format}: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
        let got = capture::read_file(&rewritten)?;
        check(got.format == expect, || {
            format!("{format}: read as {:?}", got.format)
        })?;
        check(got.packets == want.packets, || {
            format!(
                "{format}: packets differ:\n{:?}\n{:?}",
                got.packets, want.packets
            )
        })?;
    }
    Ok(())
}
