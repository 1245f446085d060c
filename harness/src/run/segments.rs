//! Segmentation offload, seen from the script, in both directions.
//!
//! Outbound: Linux hands its test device
//! TSO/GSO "super-segments" larger than the MSS, and packetdrill scripts are
//! written with them (`> P. 1:4001(4000)` with an MSS of 1000). A stack that
//! segments by MSS itself sends the same bytes as several segments. Unless
//! `--strict_segments` is given, consecutive segments of one connection that
//! together cover exactly what an outbound line describes are compared as the
//! one packet GSO would have made of them: the first segment's sequence
//! number, the last one's header fields, the union of their flags.
//!
//! Inbound: with `--mss=N`, packetdrill hands the kernel a larger inbound
//! segment as a GRO packet of N-byte segments; [`split`] makes those
//! segments, so that a stack without GRO receives what Linux would have
//! received from the wire.

use super::mapping::{Mapping, Proto};
use crate::script::ast::{Packet, PacketBody};
use netdrill_stack::wire::{Checksum, ChecksumMode, IpDatagram, TcpFlags, TcpRepr, UpperRepr};

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
    let starts_here = map.local_seq_to_script(flow, tcp.seq, false) == want_start;
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
/// Where segments end depends on the sender's timing, and so does which of
/// them carries PSH; the merged packet has PSH when the line asks for it and
/// some segment has it, and none when the line does not ask for it.
pub fn merge(parts: &[Vec<u8>], want_psh: bool) -> Option<Vec<u8>> {
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
    if !want_psh {
        flags.set(TcpFlags::PSH, false);
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

/// An inbound TCP datagram cut into segments of at most `mss` payload bytes
/// (PSH and FIN only on the last, as segmentation leaves them); a datagram
/// that fits, or is not plain TCP data, comes back as it is.
pub fn split(bytes: &[u8], mss: usize) -> Vec<Vec<u8>> {
    let whole = || vec![bytes.to_vec()];
    let Ok(d) = IpDatagram::parse(bytes, ChecksumMode::Verify) else {
        return whole();
    };
    let UpperRepr::Tcp(t) = d.upper else {
        return whole();
    };
    if mss == 0 || t.payload.len() <= mss || t.flags.syn() || t.flags.rst() {
        return whole();
    }
    let chunks: Vec<&[u8]> = t.payload.chunks(mss).collect();
    let mut out = Vec::with_capacity(chunks.len());
    let mut seq = t.seq;
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        let mut flags = t.flags;
        if !last {
            flags.set(TcpFlags::PSH, false);
            flags.set(TcpFlags::FIN, false);
        }
        let seg = TcpRepr {
            seq,
            flags,
            checksum: Checksum::Valid,
            payload: chunk,
            ..t
        };
        match (IpDatagram {
            ip: d.ip,
            upper: UpperRepr::Tcp(seg),
        })
        .to_bytes()
        {
            Ok(b) => out.push(b),
            Err(_) => return whole(),
        }
        seq = seq.wrapping_add(chunk.len() as u32);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::tests::fake::{Seg, tcp_of};

    #[test]
    fn split_cuts_payload_and_keeps_psh_and_fin_for_the_last() {
        let mut s = Seg::new("FP.", 1000, 5);
        s.len = 2500;
        let parts = split(&s.bytes(), 1000);
        let got: Vec<(u32, usize, String)> = parts
            .iter()
            .map(|b| {
                let (_, _, t) = tcp_of(b);
                (t.seq, t.payload.len(), t.flags.to_string())
            })
            .collect();
        assert_eq!(
            got,
            [
                (1000, 1000, ".".into()),
                (2000, 1000, ".".into()),
                (3000, 500, "FP.".into())
            ]
        );
        // A segment that fits, and a SYN, are left alone.
        s.len = 1000;
        assert_eq!(split(&s.bytes(), 1000), vec![s.bytes()]);
        let mut syn = Seg::new("S", 0, 0);
        syn.len = 3000;
        assert_eq!(split(&syn.bytes(), 1000).len(), 1);
    }

    #[test]
    fn merge_makes_one_gso_packet_of_contiguous_segments() {
        let mut a = Seg::new(".", 100, 7);
        a.len = 1000;
        let mut b = Seg::new("P.", 1100, 7);
        b.len = 500;
        b.win = 300;
        let parts = vec![a.bytes(), b.bytes()];
        assert!(continues(&parts[..1], &parts[1], 500));
        assert!(
            !continues(&parts[..1], &parts[1], 499),
            "more than the line wants"
        );
        let mut gap = Seg::new(".", 1200, 7);
        gap.len = 10;
        assert!(
            !continues(&parts[..1], &gap.bytes(), 5000),
            "not contiguous"
        );
        let merged = merge(&parts, true).unwrap();
        let (_, _, t) = tcp_of(&merged);
        assert_eq!(
            (t.seq, t.payload.len(), t.flags.to_string(), t.window),
            (100, 1500, "P.".into(), 300)
        );
    }
}
