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
    if let Some((tsval, tsecr)) = r.options.as_nop_nop_timestamps() {
        // The options of nearly every segment after the handshake.
        options.extend([
            TcpOpt::Nop,
            TcpOpt::Nop,
            TcpOpt::Timestamps { tsval, tsecr },
        ]);
    } else {
        decode_options(r, options);
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

/// Every option of `r`, in order, into `options`.
fn decode_options(r: &TcpRepr<'_>, options: &mut Vec<TcpOpt>) {
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
}

/// The wire form of a segment the engine wants sent. Options that do not
/// fit in 40 bytes are left off (the engine never builds such a list).
pub fn to_repr(s: &Segment) -> TcpRepr<'_> {
    let (mut options, rest) = match s.options.as_slice() {
        // The options of nearly every segment after the handshake.
        [
            TcpOpt::Nop,
            TcpOpt::Nop,
            TcpOpt::Timestamps { tsval, tsecr },
            rest @ ..,
        ] => (TcpOptions::nop_nop_timestamps(*tsval, *tsecr), rest),
        all => (TcpOptions::NONE, all),
    };
    for o in rest {
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

    /// The shortcuts for `nop,nop,TS` (alone or followed by SACK) give what
    /// the general encoding and decoding give.
    #[test]
    fn the_timestamps_shortcut_matches_the_general_path() {
        let ts = [
            TcpOpt::Nop,
            TcpOpt::Nop,
            TcpOpt::Timestamps {
                tsval: 0x0102_0304,
                tsecr: 0xa0b0_c0d0,
            },
        ];
        let sack = TcpOpt::Sack(vec![SackBlock {
            left: SeqNumber(5),
            right: SeqNumber(9),
        }]);
        let lists = [
            ts.to_vec(),
            [&ts[..], &[TcpOpt::Nop, TcpOpt::Nop, sack]].concat(),
            ts[2..].to_vec(),
        ];
        for options in lists {
            let seg = Segment {
                options: options.clone(),
                ..Segment::default()
            };
            let general: Vec<TcpOption<'_>> = options
                .iter()
                .map(|o| match o {
                    TcpOpt::Nop => TcpOption::Nop,
                    TcpOpt::Timestamps { tsval, tsecr } => TcpOption::Timestamps {
                        tsval: *tsval,
                        tsecr: *tsecr,
                    },
                    _ => TcpOption::Sack(SackBlocks::new(&[(5, 9)]).unwrap()),
                })
                .collect();
            let repr = to_repr(&seg);
            assert_eq!(repr.options, TcpOptions::from_options(&general).unwrap());
            assert_eq!(to_segment(&repr).options, options);
        }
    }
}
