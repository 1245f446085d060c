//! SYN-RECEIVED (RFC 9293 §3.10.7.4 in SYN-RECEIVED).

use super::*;
use crate::linux::Errno;
use crate::tcp::DropReason;

#[test]
fn ack_of_syn_establishes_and_takes_the_window() {
    // RFC 9293 §3.10.7.4 fifth step, SYN-RECEIVED: "If SND.UNA < SEG.ACK =<
    // SND.NXT, then enter ESTABLISHED state ... SND.WND <- SEG.WND".
    let mut c = syn_received();
    let out = send!(c, ms(5), pkt(ACK, IRS + 1, ISS + 1).win(3000));
    assert_eq!(out, SegmentOutcome::Established);
    assert_eq!(c.state(), State::Established);
    let t = c.tcb();
    assert_eq!(
        (t.snd_una, t.snd_wnd, t.snd_wl1, t.snd_wl2),
        (
            SeqNumber(ISS + 1),
            3000,
            SeqNumber(IRS + 1),
            SeqNumber(ISS + 1)
        )
    );
    assert_eq!(c.timer(TimerKind::Retransmit), None);
    recv_nothing!(c, ms(5));
}

#[test]
fn unacceptable_ack_gets_rst_seq_seg_ack() {
    // "If the segment acknowledgment is not acceptable, form a reset segment
    // <SEQ=SEG.ACK><CTL=RST> and send it."
    for ack in [ISS, ISS + 2, ISS + 1000] {
        let mut c = syn_received();
        let out = send!(c, ms(1), pkt(ACK, IRS + 1, ack));
        assert_eq!(
            out,
            SegmentOutcome::Dropped(DropReason::BadAckInSynReceived),
            "ack {ack}"
        );
        expect(&recv!(c, ms(1)), RST, ack, 0);
        assert_eq!(c.state(), State::SynReceived);
    }
}

#[test]
fn rst_returns_a_passive_connection_to_listen() {
    // RFC 9293 §3.10.7.4 second step, SYN-RECEIVED (passive OPEN; MUST-11:
    // the connection remembers it was opened passively).
    let mut c = syn_received();
    assert_eq!(
        send!(c, ms(1), pkt(RST, IRS + 1, 0)),
        SegmentOutcome::ReturnedToListen
    );
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.take_error(), None, "The user need not be informed.");
    recv_nothing!(c, ms(1));
}

#[test]
fn in_window_rst_with_wrong_sequence_gets_a_challenge_ack() {
    // RFC 5961 §3.2 applies in SYN-RECEIVED too.
    let mut c = syn_received();
    assert_eq!(
        send!(c, ms(1), pkt(RST, IRS + 10, 0)),
        SegmentOutcome::ChallengeAck { sent: true }
    );
    expect(&recv!(c, ms(1)), ACK, ISS + 1, IRS + 1);
    assert_eq!(c.state(), State::SynReceived);
}

#[test]
fn in_window_syn_returns_a_passive_connection_to_listen() {
    // RFC 9293 §3.10.7.4 fourth step, SYN-RECEIVED: "If the connection was
    // initiated with a passive OPEN, then return this connection to the
    // LISTEN state and return."
    let mut c = syn_received();
    assert_eq!(
        send!(c, ms(1), pkt(SYN, IRS + 5, 0)),
        SegmentOutcome::ReturnedToListen
    );
    assert_eq!(c.state(), State::Closed);
}

#[test]
fn retransmitted_syn_gets_the_syn_ack_again() {
    let mut c = syn_received();
    assert_eq!(
        send!(c, ms(500), pkt(SYN, IRS, 0)),
        SegmentOutcome::Accepted
    );
    expect(&recv!(c, ms(500)), SYN | ACK, ISS, IRS + 1);
}

#[test]
fn syn_ack_is_retransmitted_until_synack_retries() {
    // Profile synack_retries (5), backoff from 1 s; then the embryonic
    // connection is dropped.
    let mut c = syn_received();
    let mut at = 0;
    for k in 0..5 {
        at += 1000 << k;
        recv_nothing!(c, ms(at - 1));
        expect(&recv!(c, ms(at)), SYN | ACK, ISS, IRS + 1);
    }
    at += 32_000;
    recv_nothing!(c, ms(at));
    assert_eq!(c.state(), State::Closed);
}

#[test]
fn fin_with_the_handshake_ack_goes_to_close_wait() {
    // RFC 9293 §3.10.7.4 eighth step, SYN-RECEIVED/ESTABLISHED: CLOSE-WAIT.
    let mut c = syn_received();
    let out = send!(c, ms(1), pkt(FIN | ACK, IRS + 1, ISS + 1).data(b"bye"));
    assert_eq!(out, SegmentOutcome::Established);
    assert_eq!(c.state(), State::CloseWait);
    expect(&recv!(c, ms(1)), ACK, ISS + 1, IRS + 5);
    assert_eq!(read_all(&mut c, ms(1)), b"bye");
}

#[test]
fn segment_without_ack_is_dropped() {
    // RFC 9293 §3.10.7.4 fifth step: "if the ACK bit is off, drop the segment".
    let mut c = syn_received();
    let out = send!(c, ms(1), pkt(Flags::NONE, IRS + 1, 0).data(b"x"));
    assert_eq!(out, SegmentOutcome::Dropped(DropReason::NoAck));
    assert_eq!(c.state(), State::SynReceived);
}

#[test]
fn close_in_syn_received_sends_fin_after_the_handshake() {
    // RFC 9293 §3.10.4 SYN-RECEIVED.
    let mut c = syn_received();
    c.close(ms(1));
    send!(c, ms(2), pkt(ACK, IRS + 1, ISS + 1));
    assert_eq!(c.state(), State::FinWait1);
    expect(&recv!(c, ms(2)), FIN | ACK, ISS + 1, IRS + 1);
}

#[test]
fn active_open_rst_in_syn_received_is_refused() {
    // RFC 9293 §3.10.7.4 second step: active OPEN -> "connection refused".
    let mut c = syn_sent();
    send!(c, ms(1), pkt(SYN, IRS, 0));
    let _ = recv!(c, ms(1));
    assert_eq!(
        send!(c, ms(2), pkt(RST, IRS + 1, 0)),
        SegmentOutcome::Reset(Errno::ECONNREFUSED)
    );
    assert_eq!(c.take_error(), Some(Errno::ECONNREFUSED));
}
