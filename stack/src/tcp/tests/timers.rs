//! Zero-window probes (RFC 9293 §3.8.6.1), keep-alive (§3.8.4), user
//! timeout (§3.8.3, RFC 5482) and delayed-ACK interplay.

use super::*;
use crate::linux::Errno;

const D: u32 = IRS + 1;
const S: u32 = ISS + 1;

#[test]
fn zero_window_is_probed_with_backoff_and_kept_open() {
    // RFC 9293 §3.8.6.1: probing MUST be supported (MUST-36); the first probe
    // after one RTO (SHLD-29), then exponentially spaced; a peer that keeps
    // answering keeps the connection open (MUST-37).
    let mut c = established();
    send!(c, ms(0), pkt(ACK, D, S).win(0));
    c.send(ms(0), b"blocked").unwrap();
    recv_nothing!(c, ms(0));
    assert_eq!(c.timer(TimerKind::Persist), Some(ms(1000)));
    let mut at = 1000;
    for k in 0..20u32 {
        let p = recv!(c, ms(at));
        expect(&p, ACK, S - 1, D);
        assert!(p.payload.is_empty());
        send!(c, ms(at), pkt(ACK, D, S).win(0));
        let next = c.timer(TimerKind::Persist).unwrap().as_millis();
        // Exponential backoff up to persist_max (120 s), answered or not.
        assert_eq!(next - at, (1000u64 << (k + 1)).min(120_000), "probe {k}");
        at = next;
    }
    // More answered probes than tcp_retries2: still open (MUST-37).
    assert_eq!(c.state(), State::Established);
    // The window opens: the data goes out and probing stops.
    send!(c, ms(at), pkt(ACK, D, S).win(1000));
    let s = recv!(c, ms(at));
    assert_eq!(s.payload, b"blocked");
    assert_eq!(c.timer(TimerKind::Persist), None);
}

#[test]
fn unanswered_zero_window_probes_back_off() {
    let mut c = established();
    send!(c, ms(0), pkt(ACK, D, S).win(0));
    c.send(ms(0), b"x").unwrap();
    recv_nothing!(c, ms(0));
    let times: Vec<u64> = (0..4)
        .map(|_| {
            let t = c.poll_at().unwrap();
            let _ = recv!(c, t);
            t.as_millis()
        })
        .collect();
    assert_eq!(times, [1000, 3000, 7000, 15000]);
}

#[test]
fn keepalive_is_off_by_default() {
    // RFC 9293 §3.8.4: MUST default to off (MUST-25); the interval MUST
    // default to no less than two hours (MUST-28).
    let mut c = established();
    assert_eq!(c.poll_at(), None);
    recv_nothing!(c, ms(10 * 3600 * 1000));
    assert!(Profile::linux().keepalive_time >= Duration::from_secs(7200));
    assert!(Profile::rfc().keepalive_time >= Duration::from_secs(7200));
}

fn keepalive_conn() -> Connection {
    let so = SockOpts {
        keepalive: true,
        keepidle: Some(Duration::from_secs(10)),
        keepintvl: Some(Duration::from_secs(2)),
        keepcnt: Some(3),
        ..SockOpts::default()
    };
    established_with(&bare(Profile::linux()), &so)
}

#[test]
fn keepalive_probes_after_idle_and_resets_after_count() {
    // RFC 9293 §3.8.4: probe SEG.SEQ = SND.NXT-1 (MUST-24 per connection,
    // MUST-27 configurable interval).
    let mut c = keepalive_conn();
    assert_eq!(c.poll_at(), Some(ms(10_000)));
    recv_nothing!(c, ms(9_999));
    expect(&recv!(c, ms(10_000)), ACK, S - 1, D);
    expect(&recv!(c, ms(12_000)), ACK, S - 1, D);
    expect(&recv!(c, ms(14_000)), ACK, S - 1, D);
    // Third probe unanswered for an interval: RST (Linux) and ETIMEDOUT.
    let r = recv!(c, ms(16_000));
    assert!(r.flags.rst());
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.take_error(), Some(Errno::ETIMEDOUT));
}

#[test]
fn answered_keepalive_keeps_the_connection() {
    // MUST-29: a single unanswered probe is not a dead connection; an answer
    // restarts the idle period.
    let mut c = keepalive_conn();
    let _ = recv!(c, ms(10_000));
    send!(c, ms(10_050), pkt(ACK, D, S));
    recv_nothing!(c, ms(20_049));
    expect(&recv!(c, ms(20_050)), ACK, S - 1, D);
}

#[test]
fn no_keepalive_while_data_is_outstanding() {
    // RFC 9293 §3.8.4 (MUST-26): only when no sent data is outstanding.
    let mut c = keepalive_conn();
    c.set_user_timeout(Duration::ZERO);
    c.send(ms(9_000), b"x").unwrap();
    let _ = recv!(c, ms(9_000));
    // The retransmission timer runs; keep-alive probes must not appear.
    let mut t = ms(9_000);
    while t < ms(30_000) {
        t = c.poll_at().unwrap();
        if let Some(s) = c.poll_transmit(t) {
            assert_eq!(s.payload, b"x", "only retransmissions at {t}");
        }
    }
}

#[test]
fn user_timeout_aborts_unacknowledged_data() {
    // RFC 9293 §3.8.3 (MUST-21: the application can set R2), RFC 5482.
    let mut c = established_with(&bare(Profile::linux()), &SockOpts::default());
    c.set_user_timeout(Duration::from_secs(5));
    c.send(ms(1000), b"data").unwrap();
    let _ = recv!(c, ms(1000));
    let mut t = ms(1000);
    while c.state() != State::Closed {
        t = c.poll_at().unwrap();
        let _ = c.poll_transmit(t);
    }
    assert_eq!(t, ms(6000));
    assert_eq!(c.take_error(), Some(Errno::ETIMEDOUT));
}

#[test]
fn user_timeout_restarts_on_progress() {
    let mut c = established_with(&bare(Profile::linux()), &SockOpts::default());
    c.set_user_timeout(Duration::from_secs(5));
    c.set_nodelay(true);
    c.send(ms(0), b"a").unwrap();
    let _ = recv!(c, ms(0));
    c.send(ms(0), b"b").unwrap();
    let _ = recv!(c, ms(0));
    send!(c, ms(4000), pkt(ACK, D, S + 1));
    assert_eq!(c.timer(TimerKind::UserTimeout), Some(ms(9000)));
    send!(c, ms(4100), pkt(ACK, D, S + 2));
    assert_eq!(c.timer(TimerKind::UserTimeout), None);
}

#[test]
fn data_carries_the_pending_ack() {
    // RFC 9293 §3.10.7.4 seventh step: "This acknowledgment should be
    // piggybacked on a segment being transmitted if possible".
    let mut c = established();
    send!(c, ms(0), pkt(ACK, D, S).data(b"ping"));
    assert!(c.timer(TimerKind::DelayedAck).is_some());
    c.send(ms(10), b"pong").unwrap();
    let s = recv!(c, ms(10));
    expect(&s, ACK | PSH, S, D + 4);
    assert_eq!(c.timer(TimerKind::DelayedAck), None);
    recv_nothing!(c, ms(500));
}

#[test]
fn quickack_option_acks_at_once() {
    let mut c = established();
    c.set_quickack(true);
    send!(c, ms(0), pkt(ACK, D, S).data(b"x"));
    expect(&recv!(c, ms(0)), ACK, S, D + 1);
}
