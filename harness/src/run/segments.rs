//! Segmentation offload, seen from the script: Linux hands its test device
//! TSO/GSO "super-segments" larger than the MSS, and packetdrill scripts are
//! written with them (`> P. 1:4001(4000)` with an MSS of 1000). A stack that
//! segments by MSS itself sends the same bytes as several segments. Unless
//! `--strict_segments` is given, consecutive segments of one connection that
//! together cover exactly what an outbound line describes are compared as the
//! one packet GSO would have made of them: the first segment's sequence
//! number, the last one's header fields, the union of their flags.

use super::mapping::{Mapping, Proto};
use crate::script::ast::{Packet, PacketBody};
use netdrill_stack::wire::{Checksum, ChecksumMode, IpDatagram, TcpRepr, UpperRepr};

/// How many more payload bytes an outbound line wants after `first`, if
/// `first` is the start of the segment the line describes; `None` when the
/// line is matched against `first` alone.
pub fn missing_after(expected: &Packet, first: &[u8], map: &Mapping) -> Option<usize> {
    let PacketBody::Tcp(t) = &expected.body else {
        return None;
    };
    let want_start = t.seq.start.as_u32()?;
    let want_len = usize::try_from(t.seq.len.value).ok()?;
    let d = IpDatagram::parse(first, ChecksumMode::Verify).ok()?;
    let UpperRepr::Tcp(tcp) = d.upper else {
        return None;
    };
    let flow = map.find_flow(Proto::Tcp, tcp.src_port, tcp.dst_port)?;
    let got_len = tcp.payload.len();
    let starts_here = map.local_seq_to_script(flow, tcp.seq) == want_start;
    let plain =
        tcp.checksum.is_acceptable() && !tcp.flags.syn() && !tcp.flags.rst() && !tcp.flags.fin();
    (starts_here && plain && got_len > 0 && got_len < want_len).then(|| want_len - got_len)
}

/// Whether `next` continues the segments in `parts` (same connection,
/// contiguous, more payload, no more than `room` bytes of it).
pub fn continues(parts: &[Vec<u8>], next: &[u8], room: usize) -> bool {
    let (Some(last), Some(next)) = (parts.last().and_then(|b| tcp_of(b)), tcp_of(next)) else {
        return false;
    };
    let len = next.payload.len();
    next.src_port == last.src_port
        && next.dst_port == last.dst_port
        && next.seq == last.seq.wrapping_add(last.payload.len() as u32)
        && next.checksum.is_acceptable()
        && !next.flags.syn()
        && !next.flags.rst()
        && len > 0
        && len <= room
}

fn tcp_of(b: &[u8]) -> Option<TcpRepr<'_>> {
    match IpDatagram::parse(b, ChecksumMode::Verify).ok()?.upper {
        UpperRepr::Tcp(t) => Some(t),
        _ => None,
    }
}

/// The one datagram GSO would have sent for these consecutive segments.
pub fn merge(parts: &[Vec<u8>]) -> Option<Vec<u8>> {
    let first = IpDatagram::parse(parts.first()?, ChecksumMode::Verify).ok()?;
    let last = IpDatagram::parse(parts.last()?, ChecksumMode::Verify).ok()?;
    let (UpperRepr::Tcp(head), UpperRepr::Tcp(tail)) = (first.upper, last.upper) else {
        return None;
    };
    let mut flags = tail.flags;
    let mut total = 0;
    for p in parts {
        let t = tcp_of(p)?;
        flags |= t.flags;
        total += t.payload.len();
    }
    let payload = vec![0u8; total];
    let merged = TcpRepr {
        seq: head.seq,
        flags,
        checksum: Checksum::Valid,
        payload: &payload,
        ..tail
    };
    IpDatagram {
        ip: last.ip,
        upper: UpperRepr::Tcp(merged),
    }
    .to_bytes()
    .ok()
}
