//! LAST-ACK (RFC 9293 §3.10.7.4).

use super::*;

const D: u32 = IRS + 2;

#[test]
fn ack_of_fin_deletes_the_tcb() {
    // "If our FIN is now acknowledged, delete the TCB, enter the CLOSED
    // state, and return."
    let mut c = last_ack();
    assert_eq!(
        send!(c, ms(1), pkt(ACK, D, ISS + 1)),
        SegmentOutcome::Accepted
    );
    assert_eq!(c.state(), State::LastAck);
    assert_eq!(
        send!(c, ms(2), pkt(ACK, D, ISS + 2)),
        SegmentOutcome::Closed
    );
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.poll_at(), None);
    recv_nothing!(c, ms(2));
}

#[test]
fn fin_is_retransmitted_with_backoff() {
    let mut c = last_ack();
    expect(&recv!(c, ms(1000)), FIN | ACK, ISS + 1, D);
    recv_nothing!(c, ms(2999));
    expect(&recv!(c, ms(3000)), FIN | ACK, ISS + 1, D);
}

#[test]
fn rst_in_last_ack_closes() {
    let mut c = last_ack();
    assert_eq!(send!(c, ms(1), pkt(RST, D, 0)), SegmentOutcome::Closed);
    assert_eq!(c.take_error(), None);
}
