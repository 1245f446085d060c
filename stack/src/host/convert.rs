//! The TCP engine's [`Segment`] to and from the wire codec's [`TcpRepr`]:
//! the one place where the two meet, so that TCP logic never sees bytes.

use crate::tcp::{Flags, SackBlock, Segment, SeqNumber, TcpOpt};
use crate::wire::{Checksum, SackBlocks, TcpFlags, TcpOption, TcpOptions, TcpRepr};

/// A parsed segment as the engine sees it. Options the engine has no
/// variant for are kept raw (kind and data), so nothing is lost.
#[cfg(test)]
pub fn to_segment(r: &TcpRepr<'_>) -> Segment {
    let mut seg = Segment::default();
    to_segment_into(r, &mut seg);
    seg
}

/// A parsed segment as the engine sees it, written into `seg` (its payload
/// and option buffers are reused). Options the engine has no variant for
/// are kept raw (kind and data), so nothing is lost.
pub fn to_segment_into(r: &TcpRepr<'_>, seg: &mut Segment) {
    let options = &mut seg.options;
    options.clear();
    for opt in r.options.iter() {
        options.push(match opt {
            TcpOption::Eol => TcpOpt::Eol,
            TcpOption::Nop => TcpOpt::Nop,
            TcpOption::Mss(v) => TcpOpt::Mss(v),
            TcpOption::WindowScale(v) => TcpOpt::WindowScale(v),
            TcpOption::SackPermitted => TcpOpt::SackPermitted,
            TcpOption::Sack(b) => TcpOpt::Sack(
                b.as_slice()
                    .iter()
                    .map(|&(l, r)| SackBlock {
                        left: SeqNumber(l),
                        right: SeqNumber(r),
                    })
                    .collect(),
            ),
            TcpOption::Timestamps { tsval, tsecr } => TcpOpt::Timestamps { tsval, tsecr },
            TcpOption::Md5(sig) => TcpOpt::Unknown {
                kind: opt.kind(),
                data: sig.to_vec(),
            },
            TcpOption::FastOpen(d) | TcpOption::Raw { data: d, .. } => TcpOpt::Unknown {
                kind: opt.kind(),
                data: d.to_vec(),
            },
            TcpOption::FastOpenExp(d) => {
                // The experiment ID of TCP Fast Open (RFC 7413 §4.1.1) goes back in front.
                let mut data = 0xf989u16.to_be_bytes().to_vec();
                data.extend_from_slice(d);
                TcpOpt::Unknown {
                    kind: opt.kind(),
                    data,
                }
            }
            // A broken option ends the list (RFC 9293 §3.1: a receiver
            // MUST be prepared for an illegal option length, MUST-7).
            TcpOption::Malformed(_) => break,
        });
    }
    seg.src_port = r.src_port;
    seg.dst_port = r.dst_port;
    seg.seq = SeqNumber(r.seq);
    seg.ack = SeqNumber(r.ack);
    seg.flags = Flags(r.flags.bits());
    seg.window = r.window;
    seg.urgent = r.urgent;
    seg.payload.clear();
    seg.payload.extend_from_slice(r.payload);
}

/// The wire form of a segment the engine wants sent. Options that do not
/// fit in 40 bytes are left off (the engine never builds such a list).
pub fn to_repr(s: &Segment) -> TcpRepr<'_> {
    let mut options = TcpOptions::NONE;
    for o in &s.options {
        let sack;
        let raw;
        let opt = match o {
            TcpOpt::Eol => TcpOption::Eol,
            TcpOpt::Nop => TcpOption::Nop,
            TcpOpt::Mss(v) => TcpOption::Mss(*v),
            TcpOpt::WindowScale(v) => TcpOption::WindowScale(*v),
            TcpOpt::SackPermitted => TcpOption::SackPermitted,
            TcpOpt::Sack(blocks) => {
                let mut pairs = [(0, 0); 4];
                let n = blocks.len().min(4);
                for (p, b) in pairs.iter_mut().zip(blocks) {
                    *p = (b.left.0, b.right.0);
                }
                sack = SackBlocks::new(&pairs[..n]).unwrap_or_default();
                TcpOption::Sack(sack)
            }
            TcpOpt::Timestamps { tsval, tsecr } => TcpOption::Timestamps {
                tsval: *tsval,
                tsecr: *tsecr,
            },
            TcpOpt::Unknown { kind, data } => {
                raw = data.as_slice();
                TcpOption::Raw {
                    kind: *kind,
                    data: raw,
                }
            }
        };
        if options.push(&opt).is_err() {
            break;
        }
    }
    TcpRepr {
        src_port: s.src_port,
        dst_port: s.dst_port,
        seq: s.seq.0,
        ack: s.ack.0,
        flags: TcpFlags::from_bits_truncate(s.flags.0),
        window: s.window,
        checksum: Checksum::Valid,
        urgent: s.urgent,
        options,
        payload: &s.payload,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_round_trips_through_the_wire_form() {
        let seg = Segment {
            src_port: 8080,
            dst_port: 40000,
            seq: SeqNumber(1),
            ack: SeqNumber(0xffff_fff0),
            flags: Flags::SYN | Flags::ACK,
            window: 65535,
            urgent: 0,
            options: vec![
                TcpOpt::Mss(1460),
                TcpOpt::SackPermitted,
                TcpOpt::Timestamps { tsval: 7, tsecr: 9 },
                TcpOpt::Nop,
                TcpOpt::WindowScale(7),
                TcpOpt::Sack(vec![SackBlock {
                    left: SeqNumber(10),
                    right: SeqNumber(20),
                }]),
                TcpOpt::Unknown {
                    kind: 99,
                    data: vec![1, 2],
                },
            ],
            payload: b"hello".to_vec(),
        };
        let repr = to_repr(&seg);
        assert_eq!(to_segment(&repr), seg);
    }
}
