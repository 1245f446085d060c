//! Retransmission: RTO per RFC 6298 (Karn, backoff, profile min/max),
//! R2 (RFC 9293 §3.8.3), fast retransmit and NewReno (RFC 5681, RFC 6582).

use super::*;
use crate::linux::Errno;

const D: u32 = IRS + 1;
const S: u32 = ISS + 1;

fn nodelay() -> SockOpts {
    SockOpts {
        nodelay: true,
        ..SockOpts::default()
    }
}

#[test]
fn rto_resends_the_oldest_segment_with_exponential_backoff() {
    // RFC 6298 §5.4 (retransmit the earliest segment), §5.5 (RTO <- RTO*2),
    // §5.6 (restart the timer); rfc profile RTO 1 s.
    let mut c = established_with(&bare(Profile::rfc()), &nodelay());
    c.send(ms(0), &[1; 3000]).unwrap();
    for _ in 0..3 {
        let _ = recv!(c, ms(0));
    }
    assert_eq!(c.timer(TimerKind::Retransmit), Some(ms(1000)));
    recv_nothing!(c, ms(999));
    let r = recv!(c, ms(1000));
    expect(&r, ACK, S, D);
    assert_eq!(r.payload.len(), 1000);
    recv_nothing!(c, ms(1000)); // cwnd is one segment after a timeout
    assert_eq!(c.timer(TimerKind::Retransmit), Some(ms(3000)));
    expect(&recv!(c, ms(3000)), ACK, S, D);
    assert_eq!(c.timer(TimerKind::Retransmit), Some(ms(7000)));
    // The first segment is acknowledged: the rest goes out again (go-back-N
    // in slow start), and the timer restarts (§5.3).
    send!(c, ms(3100), pkt(ACK, D, S + 1000));
    let n: Vec<u32> = std::iter::from_fn(|| c.poll_transmit(ms(3100)))
        .map(|s| s.seq.0)
        .collect();
    assert_eq!(n, [S + 1000, S + 2000]);
    let info = c.tcp_info(ms(3100));
    assert_eq!(info.get("total_retrans"), Some(4));
    // §5.2: all acknowledged -> timer off.
    send!(c, ms(3200), pkt(ACK, D, S + 3000));
    assert_eq!(c.timer(TimerKind::Retransmit), None);
}

#[test]
fn karn_takes_no_sample_from_retransmitted_data() {
    // RFC 9293 §3.8.1 (MUST-18), RFC 6298 §3.
    let mut c = established_with(&bare(Profile::rfc()), &nodelay());
    let rtt_before = c.tcp_info(ms(0)).get("rtt");
    c.send(ms(0), &[1; 100]).unwrap();
    let _ = recv!(c, ms(0));
    let _ = recv!(c, ms(1000));
    send!(c, ms(1500), pkt(ACK, D, S + 100));
    assert_eq!(c.tcp_info(ms(1500)).get("rtt"), rtt_before);
    // A fresh segment gives a sample again.
    c.send(ms(2000), &[1; 100]).unwrap();
    let _ = recv!(c, ms(2000));
    send!(c, ms(2300), pkt(ACK, D, S + 200));
    assert_ne!(c.tcp_info(ms(2300)).get("rtt"), rtt_before);
}

#[test]
fn linux_rto_floor_and_retries2_timeout() {
    // Linux: RTO = SRTT + max(4*RTTVAR, 200 ms) in whole 4 ms ticks,
    // tcp_retries2 = 15, cap 120 s.
    let mut c = established_with(&bare(Profile::linux()), &nodelay());
    c.send(ms(0), b"x").unwrap();
    let _ = recv!(c, ms(0));
    let first = c.timer(TimerKind::Retransmit).unwrap();
    assert_eq!(
        first.as_micros(),
        204_000,
        "srtt 1 us (instant handshake) + 200 ms, rounded up to the tick"
    );
    let mut n = 0;
    let mut t = first;
    while c.state() != State::Closed {
        if c.poll_transmit(t).is_some() {
            n += 1;
        }
        t = c.poll_at().unwrap_or(t);
    }
    assert_eq!(n, 15);
    assert_eq!(c.take_error(), Some(Errno::ETIMEDOUT));
    assert!(t < ms(1_000_000), "backoff capped at rto_max: {t}");
}

#[test]
fn rfc_r2_is_a_time() {
    // RFC 9293 §3.8.3: R2 at least 100 s (MUST-20 close when reached).
    let mut c = established_with(&bare(Profile::rfc()), &nodelay());
    c.send(ms(0), b"x").unwrap();
    let _ = recv!(c, ms(0));
    let mut t = ms(0);
    let mut last_tx = ms(0);
    while c.state() != State::Closed {
        t = c.poll_at().unwrap();
        if c.poll_transmit(t).is_some() {
            last_tx = t;
        }
    }
    assert_eq!(c.take_error(), Some(Errno::ETIMEDOUT));
    // First retransmission at 1 s; abort at the first expiry >= 101 s.
    assert!(t >= ms(101_000), "aborted at {t}");
    assert!(last_tx < ms(101_000));
}

#[test]
fn three_duplicate_acks_trigger_fast_retransmit_and_newreno_recovery() {
    // RFC 5681 §3.2, RFC 6582 §3.2.
    let mut c = established_with(&bare(Profile::linux()), &nodelay());
    c.send(ms(0), &[1; 6000]).unwrap();
    let sent: Vec<u32> = std::iter::from_fn(|| c.poll_transmit(ms(0)))
        .map(|s| s.seq.0)
        .collect();
    assert_eq!(sent.len(), 6);
    // Segments 2 and 4 lost: the peer ACKs segment 1, then duplicates.
    send!(c, ms(10), pkt(ACK, D, S + 1000));
    recv_nothing!(c, ms(10));
    send!(c, ms(11), pkt(ACK, D, S + 1000));
    send!(c, ms(12), pkt(ACK, D, S + 1000));
    recv_nothing!(c, ms(12));
    send!(c, ms(13), pkt(ACK, D, S + 1000));
    let r = recv!(c, ms(13));
    assert_eq!(
        (r.seq.0, r.payload.len()),
        (S + 1000, 1000),
        "fast retransmit"
    );
    assert_eq!(c.tcp_info(ms(13)).get("ca_state"), Some(3));
    // Partial ACK (up to the next hole): retransmit it at once.
    send!(c, ms(20), pkt(ACK, D, S + 3000));
    let r = recv!(c, ms(20));
    assert_eq!(r.seq.0, S + 3000);
    // Full ACK: recovery ends.
    send!(c, ms(30), pkt(ACK, D, S + 6000));
    assert_eq!(c.tcp_info(ms(30)).get("ca_state"), Some(0));
    assert_eq!(c.timer(TimerKind::Retransmit), None);
}

#[test]
fn window_updates_are_not_duplicate_acks() {
    // RFC 5681 §2: a duplicate ACK has an unchanged window.
    let mut c = established_with(&bare(Profile::linux()), &nodelay());
    c.send(ms(0), &[1; 3000]).unwrap();
    while c.poll_transmit(ms(0)).is_some() {}
    for w in [60000, 50000, 40000, 30000] {
        send!(c, ms(5), pkt(ACK, D, S).win(w));
    }
    recv_nothing!(c, ms(5));
}

#[test]
fn retransmissions_keep_the_psh_of_each_write() {
    // RFC 9293 §3.9.1.2: PSH ends each pushed SEND; a retransmitted segment
    // is the same segment (Linux retransmits the same skb).
    let mut c = established_with(&bare(Profile::rfc()), &nodelay());
    c.send(ms(0), &[1; 1000]).unwrap();
    c.send(ms(0), &[2; 1000]).unwrap();
    expect(&recv!(c, ms(0)), ACK | PSH, S, D);
    expect(&recv!(c, ms(0)), ACK | PSH, S + 1000, D);
    let r = recv!(c, ms(1000));
    expect(&r, ACK | PSH, S, D);
    // A write split by the MSS: PSH only where the write ends.
    let mut c = established_with(&bare(Profile::rfc()), &nodelay());
    c.send(ms(0), &[1; 1500]).unwrap();
    expect(&recv!(c, ms(0)), ACK, S, D);
    expect(&recv!(c, ms(0)), ACK | PSH, S + 1000, D);
}

/// Linux profile, SACK negotiated (as TLP requires), handshake RTT 100 ms.
fn linux_sack_100ms() -> Connection {
    let syn = pkt(SYN, IRS, 0).opts(vec![TcpOpt::Mss(1000), TcpOpt::SackPermitted]);
    let mut p = bare(Profile::linux());
    p.sack = true;
    let mut c = Connection::accept_syn(ms(0), open(), &syn, &p, &nodelay());
    let _ = recv!(c, ms(0));
    send!(c, ms(100), pkt(ACK, D, S));
    c
}

#[test]
fn tail_loss_probe_resends_the_last_segment_before_the_rto() {
    // RFC 8985 §7 (Linux tcp_early_retrans = 3). One segment in flight:
    // PTO = 2 SRTT + 200 ms = 400 ms, capped by the RTO (300 ms).
    let mut c = linux_sack_100ms();
    c.send(ms(200), &[1; 1000]).unwrap();
    let _ = recv!(c, ms(200));
    assert_eq!(c.timer(TimerKind::LossProbe), Some(ms(500)));
    recv_nothing!(c, ms(499));
    let p = recv!(c, ms(500));
    expect(&p, ACK | PSH, S, D);
    // The probe resent the oldest segment: the RTO counts from it (Linux),
    // and it is not backed off.
    assert_eq!(c.timer(TimerKind::Retransmit), Some(ms(800)));
    assert_eq!(c.timer(TimerKind::LossProbe), None);
    expect(&recv!(c, ms(800)), ACK | PSH, S, D);
    assert_eq!(
        c.tcp_info(ms(800)).get("ca_state"),
        Some(4),
        "the RTO is a real loss"
    );
}

#[test]
fn tail_loss_probe_with_several_segments_probes_the_last() {
    let mut c = linux_sack_100ms();
    c.send(ms(200), &[1; 3000]).unwrap();
    while c.poll_transmit(ms(200)).is_some() {}
    // 2 SRTT + 2 ms, rounded up to the 4 ms tick.
    assert_eq!(c.timer(TimerKind::LossProbe), Some(ms(404)));
    let p = recv!(c, ms(404));
    assert_eq!((p.seq.0, p.payload.len()), (S + 2000, 1000));
    assert_eq!(
        c.timer(TimerKind::Retransmit),
        Some(ms(500)),
        "head's RTO unchanged"
    );
    // One probe per episode: none until SND.UNA passes the probe.
    send!(c, ms(450), pkt(ACK, D, S + 1000));
    assert_eq!(c.timer(TimerKind::LossProbe), None);
    send!(c, ms(460), pkt(ACK, D, S + 3000));
    assert_eq!(c.timer(TimerKind::Retransmit), None);
    c.send(ms(470), &[2; 100]).unwrap();
    let _ = recv!(c, ms(470));
    assert!(c.timer(TimerKind::LossProbe).is_some(), "a new episode");
}

#[test]
fn tail_loss_probe_prefers_new_data_past_cwnd() {
    // RFC 8985 §7.3: a previously unsent segment, if the receive window allows.
    let mut c = linux_sack_100ms();
    c.send(ms(200), &[1; 12_000]).unwrap();
    let n = std::iter::from_fn(|| c.poll_transmit(ms(200))).count();
    assert_eq!(n, 10, "initial window");
    let t = c.timer(TimerKind::LossProbe).unwrap();
    let p = recv!(c, t);
    assert_eq!(p.seq.0, S + 10_000, "new data, beyond cwnd");
    recv_nothing!(c, t);
}

#[test]
fn no_tail_loss_probe_without_sack_or_in_the_rfc_profile() {
    let mut c = established_with(&bare(Profile::linux()), &nodelay());
    c.send(ms(0), b"x").unwrap();
    let _ = recv!(c, ms(0));
    assert_eq!(c.timer(TimerKind::LossProbe), None, "no SACK");
    let syn = pkt(SYN, IRS, 0).opts(vec![TcpOpt::Mss(1000), TcpOpt::SackPermitted]);
    let mut c = established_from(&Profile::rfc(), &nodelay(), syn);
    c.send(ms(0), b"x").unwrap();
    let _ = recv!(c, ms(0));
    assert_eq!(c.timer(TimerKind::LossProbe), None, "rfc profile");
}

#[test]
fn a_sysctl_change_reaches_a_live_connection() {
    // net.ipv4.tcp_early_retrans=0 after accept(): no probe, the RTO backs off.
    let mut c = linux_sack_100ms();
    let mut p = *c.profile();
    p.set_sysctl("net.ipv4.tcp_early_retrans", "0").unwrap();
    c.set_profile(&p);
    c.send(ms(200), &[1; 100]).unwrap();
    let _ = recv!(c, ms(200));
    assert_eq!(c.timer(TimerKind::LossProbe), None);
    let _ = recv!(c, ms(500));
    assert_eq!(c.timer(TimerKind::Retransmit), Some(ms(1100)), "doubled");
}
