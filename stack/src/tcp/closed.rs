//! SEGMENT ARRIVES in the CLOSED state: the reply to a segment for which no
//! connection exists (RFC 9293 §3.10.7.1), and the RST forms shared with the
//! other states (§3.5.2).

use super::segment::{Flags, Segment};
use super::seq::SeqNumber;

/// RFC 9293 §3.10.7.1: "An incoming segment containing a RST is discarded.
/// An incoming segment not containing a RST causes a RST to be sent in
/// response." Returns the RST to send, or `None` if `seg` is itself a RST.
pub fn reset_for_closed(seg: &Segment) -> Option<Segment> {
    if seg.flags.rst() {
        return None;
    }
    Some(reset_reply(seg))
}

/// The RST that answers `seg`, "selected to make the reset sequence
/// acceptable to the TCP endpoint that sent the offending segment"
/// (RFC 9293 §3.10.7.1):
/// - ACK off: `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`
/// - ACK on: `<SEQ=SEG.ACK><CTL=RST>`
pub fn reset_reply(seg: &Segment) -> Segment {
    let mut rst = Segment {
        src_port: seg.dst_port,
        dst_port: seg.src_port,
        ..Segment::default()
    };
    if seg.flags.ack() {
        rst.seq = seg.ack;
        rst.flags = Flags::RST;
    } else {
        rst.seq = SeqNumber(0);
        rst.ack = seg.seq + seg.seg_len();
        rst.flags = Flags::RST | Flags::ACK;
    }
    rst
}

/// `<SEQ=SEG.ACK><CTL=RST>`: the reply to an unacceptable ACK (RFC 9293
/// §3.10.7.2 second step, §3.10.7.3 first step, §3.10.7.4 fifth step).
pub fn reset_to_ack(seg: &Segment) -> Segment {
    Segment {
        src_port: seg.dst_port,
        dst_port: seg.src_port,
        seq: seg.ack,
        flags: Flags::RST,
        ..Segment::default()
    }
}
