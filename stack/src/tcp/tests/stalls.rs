//! Liveness: a sender with unacknowledged or queued data always has a timer
//! armed. A window shrunk to zero under data in flight (RFC 9293 §3.8.6.1),
//! data held back by sender SWS avoidance (§3.8.6.2.1), and corked or
//! MSG_MORE data (tcp(7)), with the segments and times measured on Linux
//! 6.18 (corpus/tcp/window/*-stall*.pkt).

use super::*;
use crate::linux::Errno;

const D: u32 = IRS + 1;
const S: u32 = ISS + 1;

/// ESTABLISHED through a passive open; the peer's ACK of our SYN-ACK comes
/// `rtt_ms` after its SYN (one RTT sample) and offers `win`.
fn est(p: &Profile, rtt_ms: u64, win: u16) -> Connection {
    let mut opts = vec![TcpOpt::Mss(1000)];
    if p.sack {
        opts.push(TcpOpt::SackPermitted);
    }
    let syn = pkt(SYN, IRS, 0).win(65535).opts(opts);
    let mut c = Connection::accept_syn(ms(0), open(), &syn, p, &SockOpts::default());
    let _synack = recv!(c, ms(0));
    let out = send!(c, ms(rtt_ms), pkt(ACK, D, S).win(win));
    assert_eq!(out, SegmentOutcome::Established);
    recv_nothing!(c, ms(rtt_ms));
    c
}

fn linux() -> Profile {
    let mut p = bare(Profile::linux());
    p.sack = true;
    p
}

/// The liveness invariant: data unacknowledged or queued means a timer.
#[track_caller]
fn assert_live(c: &Connection) {
    if c.state() != State::Closed && c.send_queue_len() > 0 {
        assert!(
            c.poll_at().is_some(),
            "data waits and no timer is armed: {:?}",
            c.tcb()
        );
    }
}

/// Runs the connection from `from` to `until` (ms): drains what it sends,
/// checks liveness, and moves to its next timer or the next answer. Each
/// segment is recorded as (ms, seq offset from S, payload length, PSH) and
/// handed to `peer`, whose answer (if any) is delivered 10 ms later.
fn drive(
    c: &mut Connection,
    from: u64,
    until: u64,
    mut peer: impl FnMut(&Segment) -> Option<Segment>,
) -> Vec<(u64, u32, usize, bool)> {
    let mut log = Vec::new();
    let mut answers: Vec<(u64, Segment)> = Vec::new();
    let mut t = from;
    loop {
        if answers.first().is_some_and(|a| a.0 == t) {
            let (_, seg) = answers.remove(0);
            send!(c, ms(t), seg);
        }
        while let Some(seg) = c.poll_transmit(ms(t)) {
            let off = seg.seq.0.wrapping_sub(S);
            log.push((t, off, seg.payload.len(), seg.flags.psh()));
            if let Some(a) = peer(&seg) {
                answers.push((t + 10, a));
            }
        }
        if c.state() == State::Closed {
            return log;
        }
        assert_live(c);
        let next_timer = c.poll_at().map(Instant::as_millis);
        let next_answer = answers.first().map(|a| a.0);
        t = match (next_timer, next_answer) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => match a.or(b) {
                Some(t) => t,
                None => return log,
            },
        };
        if t > until {
            return log;
        }
    }
}

#[test]
fn zero_window_under_flight_is_probed_by_the_rto() {
    // Linux 6.18: 2000 bytes sent, the peer shrinks the window to zero:
    // no tail loss probe (the last segment is past the window), the RTO
    // (300 ms after the data) resends SND.UNA's segment, then with the RTO
    // backed off; an answering peer keeps the connection (RFC 9293 §3.8.6.1,
    // MUST-36/37) well past tcp_retries2 retransmissions. The rfc profile
    // alike, with its own RTO (1 s floor) and cap (60 s).
    for (name, p, rto0, cap) in [
        ("linux", linux(), 300, 120_000),
        ("rfc", bare(Profile::rfc()), 1000, 60_000),
    ] {
        let mut c = est(&p, 100, 65535);
        c.send(ms(100), &[7; 2000]).unwrap();
        let first = drive(&mut c, 100, 100, |_| None);
        assert_eq!(first, [(100, 0, 1000, false), (100, 1000, 1000, true)]);
        send!(c, ms(110), pkt(ACK, D, S).win(0));
        let log = drive(&mut c, 110, 2_000_000, |_| Some(pkt(ACK, D, S).win(0)));
        let mut at = 100 + rto0;
        let mut rto = rto0;
        for (k, &(t, off, len, _)) in log.iter().enumerate() {
            assert_eq!((t, off, len), (at, 0, 1000), "{name}: retransmission {k}");
            rto = (rto * 2).min(cap);
            at += rto;
        }
        assert!(log.len() > 15, "{name}: {} retransmissions", log.len());
        assert_eq!(c.state(), State::Established, "{name}");
        // The window opens with an ACK of the probe's data: the rest follows.
        send!(c, ms(2_000_010), pkt(ACK, D, S + 1000).win(65535));
        let s = recv!(c, ms(2_000_010));
        assert_eq!(
            (s.seq, s.payload.len()),
            (SeqNumber(S + 1000), 1000),
            "{name}"
        );
    }
}

#[test]
fn zero_window_under_flight_gives_up_after_silence() {
    // Unanswered: Linux aborts once the peer has been silent and the
    // retransmissions have gone on for 2 x TCP_RTO_MAX (240 s)
    // (`tcp_rtx_probe0_timed_out`), at the first RTO after that; the rfc
    // profile after R2 = 100 s (RFC 9293 §3.8.3), counted the same way.
    for (name, p, rtt, end) in [
        ("linux", linux(), 100, 273_400),
        ("rfc", bare(Profile::rfc()), 100, 123_100),
    ] {
        let mut c = est(&p, rtt, 65535);
        c.send(ms(rtt), &[7; 2000]).unwrap();
        let _ = drive(&mut c, rtt, rtt, |_| None);
        send!(c, ms(rtt + 10), pkt(ACK, D, S).win(0));
        let log = drive(&mut c, rtt + 10, 1_000_000, |_| None);
        assert_eq!(c.state(), State::Closed, "{}", name);
        let last = log.last().map(|l| l.0).unwrap_or(0);
        assert!(log.iter().all(|l| l.1 == 0 && l.2 == 1000), "{log:?}");
        assert!(last < end, "{}: last retransmission {last}", name);
        assert_eq!(c.take_error(), Some(Errno::ETIMEDOUT), "{}", name);
        // The abort came at the retransmission timeout after `last`.
        assert_eq!(c.poll_at(), None);
        let mut d = est(&p, rtt, 65535);
        d.send(ms(rtt), &[7; 2000]).unwrap();
        let _ = drive(&mut d, rtt, rtt, |_| None);
        send!(d, ms(rtt + 10), pkt(ACK, D, S).win(0));
        let _ = drive(&mut d, rtt + 10, end - 1, |_| None);
        assert_eq!(d.state(), State::Established, "{} open before {end}", name);
        let _ = drive(&mut d, end - 1, end, |_| None);
        assert_eq!(d.state(), State::Closed, "{} closed at {end}", name);
    }
}

#[test]
fn window_too_small_for_sws_is_filled_when_the_probe_timer_fires() {
    // RFC 9293 §3.8.6.2.1 (MUST-38): 100 bytes of window is less than half
    // the largest offered (2000), so the 1000 queued bytes wait; Linux's
    // probe timer (one RTO) sends what fits, with PSH (`tcp_write_wakeup`),
    // each time the window is again too small; the rfc profile's override
    // timeout is the same timer.
    for (name, p) in [("linux", linux()), ("rfc", bare(Profile::rfc()))] {
        let mut c = est(&p, 100, 2000);
        c.set_nodelay(true);
        c.send(ms(100), &[1; 1000]).unwrap();
        let _ = recv!(c, ms(100));
        send!(c, ms(110), pkt(ACK, D, S + 1000).win(100));
        c.send(ms(110), &[2; 1000]).unwrap();
        recv_nothing!(c, ms(110));
        let rto = c.rtt.rto();
        assert_eq!(c.poll_at(), Some(ms(110) + rto), "{}", name);
        let mut acked = S + 1000;
        let log = drive(&mut c, 110, 3000, |s| {
            acked = acked.max(s.seq.0 + s.payload.len() as u32);
            Some(pkt(ACK, D, acked).win(100))
        });
        assert!(log.len() >= 2, "{}: {log:?}", name);
        assert_eq!(log[0], ((ms(110) + rto).as_millis(), 1000, 100, true));
        assert!(log.iter().all(|l| l.2 == 100 && l.3), "{}: {log:?}", name);
        for w in log.windows(2) {
            // In order, one probe interval (not backed off) after the ACK.
            assert_eq!(w[1].1, w[0].1 + 100, "{}: {log:?}", name);
            // (a backed-off interval would be over twice the RTO).
            assert!(
                w[1].0 - w[0].0 < 10 + 2 * rto.as_millis(),
                "{name}: {log:?}"
            );
        }
        assert_eq!(c.state(), State::Established, "{}", name);
    }
}

#[test]
fn corked_or_more_data_goes_out_when_the_probe_timer_fires() {
    // tcp(7): corked output is sent after at most 200 ms; Linux 6.18 sends
    // it (with PSH) when its probe timer fires, max(RTO, 200 ms) after the
    // write: 210 ms with a 10 ms RTT, 300 ms with 100 ms. MSG_MORE alike.
    for (rtt, more, wait) in [(10, false, 210), (100, false, 300), (100, true, 300)] {
        let mut c = est(&linux(), rtt, 65535);
        if !more {
            c.set_cork(true);
        }
        c.send_with(ms(rtt), &[3; 100], more).unwrap();
        recv_nothing!(c, ms(rtt));
        assert_live(&c);
        let wait = wait.max(c.rtt.rto().as_millis());
        let log = drive(&mut c, rtt, rtt + 1000, |s| {
            Some(pkt(ACK, D, s.seq.0 + s.payload.len() as u32).win(65535))
        });
        assert_eq!(log, [(rtt + wait, 0, 100, true)], "rtt {rtt} more {more}");
    }
}

#[test]
fn msg_more_holds_a_partial_segment_only_for_its_write() {
    // Linux applies MSG_MORE at the push of that sendmsg only; an ACK then
    // pushes with the socket's own setting (TCP_NODELAY here), so the held
    // 150 bytes go out on the first ACK, not at the probe timer
    // (peer suite tcp/nagle/sendmsg_msg_more.pkt passes on Linux 6.18).
    let mut c = est(&linux(), 10, 65535);
    c.set_nodelay(true);
    c.send_with(ms(10), &[4; 3000], false).unwrap();
    c.send_with(ms(10), &[5; 150], true).unwrap();
    let log = drive(&mut c, 10, 1000, |s| {
        Some(pkt(ACK, D, s.seq.0 + s.payload.len() as u32).win(65535))
    });
    let sizes: Vec<_> = log.iter().map(|&(t, off, len, _)| (t, off, len)).collect();
    assert_eq!(
        sizes,
        [
            (10, 0, 1000),
            (10, 1000, 1000),
            (10, 2000, 1000),
            (20, 3000, 150)
        ]
    );
}

mod random {
    //! The liveness invariant under random writes, cork and MSG_MORE, peer
    //! ACKs offering windows from zero up, and time steps.

    use proptest::prelude::*;

    use super::*;

    #[derive(Clone, Debug)]
    enum Op {
        /// An acceptable ACK: `ack_frac`/8 of what is in flight, window `win`.
        Ack {
            ack_frac: u32,
            win: u16,
        },
        Send {
            len: usize,
            more: bool,
        },
        Cork(bool),
        NoDelay(bool),
        Wait(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        let win = prop_oneof![Just(0u16), 1u16..600, 600u16..=65535];
        prop_oneof![
            4 => (0u32..=8, win).prop_map(|(ack_frac, win)| Op::Ack { ack_frac, win }),
            3 => (1usize..5000, any::<bool>()).prop_map(|(len, more)| Op::Send { len, more }),
            1 => any::<bool>().prop_map(Op::Cork),
            1 => any::<bool>().prop_map(Op::NoDelay),
            3 => (0u64..5_000_000).prop_map(Op::Wait),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
        #[test]
        fn a_sender_with_data_always_has_a_timer(rfc in any::<bool>(), ops in prop::collection::vec(op(), 1..80)) {
            let p = if rfc { bare(Profile::rfc()) } else { linux() };
            let mut c = est(&p, 100, 65535);
            let mut t = ms(100);
            let data = vec![0x11u8; 5000];
            for op in ops {
                match op {
                    Op::Ack { ack_frac, win } => {
                        let tcb = *c.tcb();
                        let flight = tcb.snd_max - tcb.snd_una;
                        let ack = tcb.snd_una + flight * ack_frac / 8;
                        c.on_segment(t, &pkt(ACK, D, ack.0).win(win));
                    }
                    Op::Send { len, more } => { let _ = c.send_with(t, &data[..len], more); }
                    Op::Cork(on) => c.set_cork(on),
                    Op::NoDelay(on) => c.set_nodelay(on),
                    Op::Wait(us) => t += Duration::from_micros(us),
                }
                while c.poll_transmit(t).is_some() {}
                if c.state() != State::Closed && c.send_queue_len() > 0 {
                    prop_assert!(c.poll_at().is_some(), "stalled: {:?}", c.tcb());
                }
            }
        }
    }
}
