//! CLOSING: simultaneous close (RFC 9293 §3.6 case 2, Figure 13).

use super::*;

const D: u32 = IRS + 2;

#[test]
fn ack_of_our_fin_enters_time_wait() {
    // RFC 9293 §3.10.7.4 fifth step, CLOSING: "if the ACK acknowledges our
    // FIN, then enter the TIME-WAIT state; otherwise, ignore the segment."
    let mut c = closing();
    send!(c, ms(1), pkt(ACK, D, ISS + 1));
    assert_eq!(c.state(), State::Closing);
    send!(c, ms(2), pkt(ACK, D, ISS + 2));
    assert_eq!(c.state(), State::TimeWait);
    assert_eq!(
        c.timer(TimerKind::Linger),
        Some(ms(2) + Profile::rfc().time_wait)
    );
}

#[test]
fn our_fin_is_retransmitted_while_closing() {
    let mut c = closing();
    let s = recv!(c, ms(1000));
    expect(&s, FIN | ACK, ISS + 1, D);
}

#[test]
fn rst_in_closing_closes_without_error() {
    // RFC 9293 §3.10.7.4 second step, CLOSING: "enter the CLOSED state".
    let mut c = closing();
    assert_eq!(send!(c, ms(1), pkt(RST, D, 0)), SegmentOutcome::Closed);
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.take_error(), None);
}
