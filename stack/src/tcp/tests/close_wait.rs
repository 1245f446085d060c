//! CLOSE-WAIT (RFC 9293 §3.10.7.4, §3.10.2–3.10.4).

use super::*;
use crate::linux::Errno;

const D: u32 = IRS + 2; // after the peer's FIN

#[test]
fn sending_continues_after_the_peers_fin() {
    // RFC 9293 §3.10.2 CLOSE-WAIT: "Segmentize the buffer and send it".
    let mut c = close_wait();
    assert_eq!(c.send(ms(1), b"reply"), Ok(5));
    let s = recv!(c, ms(1));
    expect(&s, ACK | PSH, ISS + 1, D);
    assert_eq!(s.payload, b"reply");
    assert!(c.writable());
}

#[test]
fn close_sends_fin_and_enters_last_ack() {
    // RFC 9293 §3.10.4 CLOSE-WAIT: "send a FIN segment, enter LAST-ACK".
    let mut c = close_wait();
    c.send(ms(1), b"bye").unwrap();
    c.close(ms(1));
    assert_eq!(c.state(), State::LastAck);
    let s = recv!(c, ms(1));
    expect(&s, ACK | PSH | FIN, ISS + 1, D);
}

#[test]
fn text_and_urgent_after_fin_are_ignored() {
    // RFC 9293 §3.10.7.4 sixth/seventh step, CLOSE-WAIT: ignore.
    let mut c = close_wait();
    let mut s = pkt(ACK | Flags::URG, D, ISS + 1).data(b"late");
    s.urgent = 2;
    send!(c, ms(1), s);
    assert!(read_all(&mut c, ms(1)).is_empty());
    assert!(!c.urgent_pending());
}

#[test]
fn rst_in_close_wait_reports_epipe() {
    // Linux tcp_reset: EPIPE in CLOSE-WAIT.
    let mut c = close_wait();
    assert_eq!(
        send!(c, ms(1), pkt(RST, D, 0)),
        SegmentOutcome::Reset(Errno::EPIPE)
    );
    assert_eq!(c.take_error(), Some(Errno::EPIPE));
}

#[test]
fn retransmitted_fin_is_acknowledged_again() {
    // A duplicate FIN lies before RCV.NXT: unacceptable, ACK in reply.
    let mut c = close_wait();
    send!(c, ms(1), pkt(FIN | ACK, IRS + 1, ISS + 1));
    expect(&recv!(c, ms(1)), ACK, ISS + 1, D);
    assert_eq!(c.state(), State::CloseWait);
}
