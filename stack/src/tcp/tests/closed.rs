//! CLOSED: segments for which no connection exists (RFC 9293 §3.10.7.1).

use super::*;
use crate::tcp::{DropReason, reset_for_closed};

#[test]
fn rst_reply_forms_for_a_closed_port() {
    // RFC 9293 §3.10.7.1: ACK off -> <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>;
    // ACK on -> <SEQ=SEG.ACK><CTL=RST>; a RST gets nothing.
    type Reply = Option<(Flags, u32, u32)>;
    let table: [(Segment, Reply); 6] = [
        (pkt(SYN, 100, 0), Some((RST | ACK, 0, 101))),
        (pkt(SYN, 100, 0).data(b"hello"), Some((RST | ACK, 0, 106))),
        (pkt(SYN | FIN, 100, 0), Some((RST | ACK, 0, 102))),
        (
            pkt(Flags::NONE, 100, 0).data(b"abc"),
            Some((RST | ACK, 0, 103)),
        ),
        (pkt(ACK, 100, 777), Some((RST, 777, 0))),
        (pkt(RST | ACK, 100, 777), None),
    ];
    for (seg, want) in table {
        let got = reset_for_closed(&seg);
        match want {
            None => assert_eq!(got, None, "{seg:?}"),
            Some((flags, seq, ack)) => {
                let rst = got.unwrap();
                expect(&rst, flags, seq, ack);
                assert_eq!((rst.src_port, rst.dst_port), (LOCAL_PORT, REMOTE_PORT));
                assert!(rst.payload.is_empty() && rst.options.is_empty());
            }
        }
    }
}

#[test]
fn a_connection_that_reached_closed_answers_like_a_closed_port() {
    let mut c = established();
    c.abort(ms(1));
    let _rst = recv!(c, ms(1));
    assert_eq!(c.state(), State::Closed);
    let out = send!(c, ms(2), pkt(ACK, IRS + 1, ISS + 1).data(b"x"));
    assert_eq!(out, SegmentOutcome::Dropped(DropReason::Closed));
    expect(&recv!(c, ms(2)), RST, ISS + 1, 0);
    send!(c, ms(3), pkt(RST, IRS + 1, 0));
    recv_nothing!(c, ms(3));
    assert_eq!(c.poll_at(), None, "no timers once CLOSED");
}
