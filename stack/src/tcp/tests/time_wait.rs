//! TIME-WAIT (RFC 9293 §3.6 MUST-13, §3.10.7.4, §3.10.8; RFC 6191).

use super::*;
use crate::linux::Errno;

const D: u32 = IRS + 2;

#[test]
fn time_wait_lasts_two_msl_then_closes() {
    // RFC 9293 §3.6 (MUST-13): "remain in TIME-WAIT state for a time 2xMSL";
    // rfc profile 2 x 2 min; linux 60 s.
    let mut c = time_wait();
    let two_msl = Profile::rfc().time_wait;
    assert_eq!(two_msl, Duration::from_secs(240));
    assert_eq!(c.poll_at(), Some(ms(0) + two_msl));
    recv_nothing!(c, ms(0) + two_msl - dur_ms(1));
    assert_eq!(c.state(), State::TimeWait);
    recv_nothing!(c, ms(0) + two_msl);
    assert_eq!(c.state(), State::Closed);
    assert_eq!(Profile::linux().time_wait, Duration::from_secs(60));
}

#[test]
fn retransmitted_fin_is_acked_and_restarts_the_timer() {
    // RFC 9293 §3.10.7.4 fifth and eighth steps, TIME-WAIT.
    let mut c = time_wait();
    send!(c, ms(5000), pkt(FIN | ACK, IRS + 1, ISS + 2));
    expect(&recv!(c, ms(5000)), ACK, ISS + 2, D);
    assert_eq!(c.poll_at(), Some(ms(5000) + Profile::rfc().time_wait));
}

#[test]
fn rst_in_time_wait_closes() {
    // RFC 9293 §3.10.7.4 second step, TIME-WAIT.
    let mut c = time_wait();
    assert_eq!(send!(c, ms(1), pkt(RST, D, 0)), SegmentOutcome::Closed);
    assert_eq!(c.state(), State::Closed);
}

#[test]
fn new_syn_with_higher_sequence_reopens() {
    // RFC 6191 §2 without timestamps (RFC 1122 rule): SEG.SEQ > RCV.NXT.
    let mut c = time_wait();
    assert_eq!(
        send!(c, ms(1), pkt(SYN, D + 100_000, 0)),
        SegmentOutcome::TimeWaitReopen
    );
    assert_eq!(c.state(), State::Closed);
    recv_nothing!(c, ms(1));
}

#[test]
fn old_syn_does_not_reopen() {
    // Not newer: the sequence check answers with an ACK.
    let mut c = time_wait();
    let out = send!(c, ms(1), pkt(SYN, IRS - 100, 0));
    assert!(matches!(out, SegmentOutcome::Dropped(_)), "{out:?}");
    expect(&recv!(c, ms(1)), ACK, ISS + 2, D);
    assert_eq!(c.state(), State::TimeWait);
}

#[test]
fn timestamps_decide_reopening_when_both_used_them() {
    // RFC 6191 §2: with timestamps the TSval must be newer than TS.Recent
    // (rfc profile); Linux also accepts a higher sequence number.
    fn tw(p: Profile) -> Connection {
        let syn = pkt(SYN, IRS, 0).opts(vec![
            TcpOpt::Mss(1000),
            TcpOpt::Timestamps {
                tsval: 100,
                tsecr: 0,
            },
        ]);
        let mut c = established_from(&p, &SockOpts::default(), syn);
        c.close(ms(0));
        while c.poll_transmit(ms(0)).is_some() {}
        send!(c, ms(1), pkt(FIN | ACK, IRS + 1, ISS + 2).ts(200, 0));
        assert_eq!(c.state(), State::TimeWait);
        c
    }
    let mut p = Profile::rfc();
    p.sack = false;
    let newer_seq_old_ts = pkt(SYN, D + 10_000, 0).ts(150, 0);
    let newer_ts = pkt(SYN, IRS - 100, 0).ts(300, 0);
    let mut c = tw(p);
    assert_ne!(
        send!(c, ms(2), newer_seq_old_ts.clone()),
        SegmentOutcome::TimeWaitReopen
    );
    let mut c = tw(p);
    assert_eq!(
        send!(c, ms(2), newer_ts.clone()),
        SegmentOutcome::TimeWaitReopen
    );
    let mut c = tw(Profile::linux());
    assert_eq!(
        send!(c, ms(2), newer_seq_old_ts),
        SegmentOutcome::TimeWaitReopen
    );
}

#[test]
fn user_calls_in_time_wait() {
    // RFC 9293 §3.10.2/3.10.3: "error: connection closing".
    let mut c = time_wait();
    assert_eq!(c.send(ms(1), b"x"), Err(Errno::EPIPE));
    let mut buf = [0u8; 2];
    assert_eq!(c.recv(ms(1), &mut buf), Ok(0));
    // §3.10.5 ABORT in TIME-WAIT: "Respond with "ok" and delete the TCB".
    c.abort(ms(1));
    assert_eq!(c.state(), State::Closed);
    recv_nothing!(c, ms(1));
}
