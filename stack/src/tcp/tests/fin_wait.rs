//! FIN-WAIT-1 and FIN-WAIT-2 (RFC 9293 §3.10.7.4, §3.6).

use super::*;
use crate::linux::Errno;

const D: u32 = IRS + 1;

#[test]
fn ack_of_fin_moves_to_fin_wait_2() {
    // RFC 9293 §3.10.7.4 fifth step, FIN-WAIT-1: "if the FIN segment is now
    // acknowledged, then enter FIN-WAIT-2".
    let mut c = fin_wait_1();
    send!(c, ms(1), pkt(ACK, D, ISS + 1));
    assert_eq!(c.state(), State::FinWait1, "ACK below the FIN");
    send!(c, ms(2), pkt(ACK, D, ISS + 2));
    assert_eq!(c.state(), State::FinWait2);
    assert_eq!(c.timer(TimerKind::Retransmit), None);
}

#[test]
fn fin_and_ack_of_our_fin_go_straight_to_time_wait() {
    // RFC 9293 §3.10.7.4 eighth step, FIN-WAIT-1: "If our FIN has been ACKed
    // (perhaps in this segment), then enter TIME-WAIT".
    let mut c = fin_wait_1();
    send!(c, ms(1), pkt(FIN | ACK, D, ISS + 2));
    assert_eq!(c.state(), State::TimeWait);
    expect(&recv!(c, ms(1)), ACK, ISS + 2, D + 1);
    assert_eq!(
        c.timer(TimerKind::Linger),
        Some(ms(1) + Profile::rfc().time_wait)
    );
}

#[test]
fn fin_without_ack_of_ours_goes_to_closing() {
    let mut c = fin_wait_1();
    send!(c, ms(1), pkt(FIN | ACK, D, ISS + 1));
    assert_eq!(c.state(), State::Closing);
}

#[test]
fn fin_is_retransmitted_on_timeout() {
    // RFC 9293 §3.10.8 RETRANSMISSION TIMEOUT: the FIN is in the queue too.
    let mut c = fin_wait_1();
    recv_nothing!(c, ms(999));
    expect(&recv!(c, ms(1000)), FIN | ACK, ISS + 1, D);
    expect(&recv!(c, ms(3000)), FIN | ACK, ISS + 1, D);
}

#[test]
fn fin_wait_2_still_receives_data() {
    // RFC 9293 §3.6.1 half-close: FIN-WAIT-1/2 process segment text.
    let mut c = established();
    c.shutdown(ms(0), crate::tcp::Shutdown::Write).unwrap();
    let _fin = recv!(c, ms(0));
    send!(c, ms(1), pkt(ACK, D, ISS + 2).data(b"more"));
    assert_eq!(c.state(), State::FinWait2);
    assert_eq!(read_all(&mut c, ms(1)), b"more");
    assert_eq!(c.send(ms(1), b"x"), Err(Errno::EPIPE));
    send!(c, ms(2), pkt(FIN | ACK, D + 4, ISS + 2));
    assert_eq!(c.state(), State::TimeWait);
    let mut buf = [0u8; 4];
    assert_eq!(c.recv(ms(2), &mut buf), Ok(0));
}

#[test]
fn orphaned_fin_wait_2_times_out() {
    // Linux tcp_fin_timeout (60 s) for a socket the user closed.
    let mut c = fin_wait_2();
    let limit = Profile::rfc().fin_timeout;
    assert_eq!(c.timer(TimerKind::Linger), Some(ms(0) + limit));
    recv_nothing!(c, ms(0) + limit);
    assert_eq!(c.state(), State::Closed);
}

#[test]
fn shutdown_fin_wait_2_has_no_timeout() {
    let mut c = established();
    c.shutdown(ms(0), crate::tcp::Shutdown::Write).unwrap();
    let _fin = recv!(c, ms(0));
    send!(c, ms(1), pkt(ACK, D, ISS + 2));
    assert_eq!(c.state(), State::FinWait2);
    assert_eq!(c.poll_at(), None);
}

#[test]
fn rst_in_fin_wait_resets() {
    for mut c in [fin_wait_1(), fin_wait_2()] {
        assert_eq!(
            send!(c, ms(1), pkt(RST, D, 0)),
            SegmentOutcome::Reset(Errno::ECONNRESET)
        );
        assert_eq!(c.state(), State::Closed);
    }
}

#[test]
fn second_close_sends_no_second_fin() {
    // RFC 9293 §3.10.4 FIN-WAIT-1/2: "as long as a second FIN is not emitted".
    let mut c = fin_wait_1();
    c.close(ms(1));
    recv_nothing!(c, ms(1));
    assert_eq!(c.state(), State::FinWait1);
}

#[test]
fn new_data_after_close_is_answered_with_rst() {
    // RFC 1122 §4.2.2.13 (SHOULD): data received after CLOSE was lost: RST.
    let mut c = fin_wait_2();
    assert_eq!(
        send!(c, ms(1), pkt(ACK, D, ISS + 2).data(b"late")),
        SegmentOutcome::Closed
    );
    assert_eq!(c.state(), State::Closed);
    expect(&recv!(c, ms(1)), RST, ISS + 2, 0);
    // A bare FIN is fine: TIME-WAIT.
    let mut c = fin_wait_2();
    send!(c, ms(1), pkt(FIN | ACK, D, ISS + 2));
    assert_eq!(c.state(), State::TimeWait);
}
