//! ESTABLISHED (RFC 9293 §3.10.7.4 and the SEND/RECEIVE/CLOSE/ABORT calls).
//! Fixture: rfc profile without options, peer MSS 1000, peer window 65535.

use super::*;
use crate::linux::Errno;
use crate::tcp::input::acceptable;
use crate::tcp::{DropReason, Shutdown};

const D: u32 = IRS + 1; // first data byte from the peer
const S: u32 = ISS + 1; // our first data byte

#[test]
fn acceptability_test_table() {
    // RFC 9293 §3.10.7.4 first step, Table 6 (four cases), incl. wrap-around.
    let table: &[(u32, u32, i64, bool)] = &[
        // len, wnd, seq - rcv_nxt, acceptable
        (0, 0, 0, true),
        (0, 0, 1, false),
        (0, 0, -1, false),
        (0, 100, 0, true),
        (0, 100, 99, true),
        (0, 100, 100, false),
        (0, 100, -1, false),
        (10, 0, 0, false),
        (10, 100, 0, true),
        (10, 100, 99, true),
        (10, 100, 100, false),
        (10, 100, -5, true),
        (10, 100, -9, true),
        (10, 100, -10, false),
        // Covers the whole window: neither edge inside (the RFC's test).
        (300, 100, -50, false),
    ];
    for base in [5000u32, u32::MAX - 20] {
        let nxt = SeqNumber(base);
        for &(len, wnd, off, want) in table {
            let seq = SeqNumber(base.wrapping_add(off as u32));
            assert_eq!(
                acceptable(seq, len, nxt, wnd),
                want,
                "len {len} wnd {wnd} off {off} base {base}"
            );
        }
    }
}

#[test]
fn unacceptable_segment_gets_an_ack_and_is_dropped() {
    // RFC 9293 §3.10.7.4: "<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>", then drop.
    let mut c = established();
    let out = send!(c, ms(1), pkt(ACK, D + 70_000, S).data(b"far"));
    assert_eq!(
        out,
        SegmentOutcome::Dropped(DropReason::Unacceptable { ack_sent: true })
    );
    expect(&recv!(c, ms(1)), ACK, S, D);
    // Old data (a retransmission already received) too.
    let out = send!(c, ms(2), pkt(ACK, D - 3, S).data(b"old"));
    assert_eq!(
        out,
        SegmentOutcome::Dropped(DropReason::Unacceptable { ack_sent: true })
    );
    expect(&recv!(c, ms(2)), ACK, S, D);
    assert!(read_all(&mut c, ms(2)).is_empty());
}

#[test]
fn rst_checks_of_rfc5961() {
    // RFC 9293 §3.10.7.4 second step / RFC 5961 §3.2: out of window ->
    // silently dropped; exactly RCV.NXT -> reset; in window otherwise ->
    // challenge ACK.
    let mut c = established();
    assert_eq!(
        send!(c, ms(1), pkt(RST, D + 100_000, 0)),
        SegmentOutcome::Dropped(DropReason::Unacceptable { ack_sent: false })
    );
    recv_nothing!(c, ms(1));
    assert_eq!(
        send!(c, ms(1), pkt(RST, D - 1, 0)),
        SegmentOutcome::Dropped(DropReason::Unacceptable { ack_sent: false })
    );
    assert_eq!(
        send!(c, ms(2), pkt(RST, D + 1, 0)),
        SegmentOutcome::ChallengeAck { sent: true }
    );
    expect(&recv!(c, ms(2)), ACK, S, D);
    assert_eq!(c.state(), State::Established);
    assert_eq!(
        send!(c, ms(3), pkt(RST, D, 0)),
        SegmentOutcome::Reset(Errno::ECONNRESET)
    );
    assert_eq!(c.state(), State::Closed);
    recv_nothing!(c, ms(3));
    // "any outstanding RECEIVEs and SEND should receive "reset" responses"
    assert_eq!(c.send(ms(4), b"x"), Err(Errno::ECONNRESET));
    assert_eq!(c.send(ms(4), b"x"), Err(Errno::EPIPE));
    let mut buf = [0u8; 4];
    assert_eq!(c.recv(ms(4), &mut buf), Ok(0));
}

#[test]
fn syn_in_window_gets_a_challenge_ack() {
    // RFC 5961 §4.2 / RFC 9293 §3.10.7.4 fourth step.
    let mut c = established();
    assert_eq!(
        send!(c, ms(1), pkt(SYN, D + 10, 0)),
        SegmentOutcome::ChallengeAck { sent: true }
    );
    expect(&recv!(c, ms(1)), ACK, S, D);
    assert_eq!(c.state(), State::Established);
}

#[test]
fn challenge_acks_are_rate_limited() {
    // RFC 5961 §7: rfc profile 10 per 5 s.
    let mut c = established();
    for i in 0..10 {
        assert_eq!(
            send!(c, ms(i), pkt(RST, D + 5, 0)),
            SegmentOutcome::ChallengeAck { sent: true }
        );
        let _ = recv!(c, ms(i));
    }
    assert_eq!(
        send!(c, ms(100), pkt(RST, D + 5, 0)),
        SegmentOutcome::ChallengeAck { sent: false }
    );
    recv_nothing!(c, ms(100));
    assert_eq!(
        send!(c, ms(5000), pkt(SYN, D + 5, 0)),
        SegmentOutcome::ChallengeAck { sent: true }
    );
    // Linux profile: one per 500 ms.
    let mut c = established_with(&bare(Profile::linux()), &SockOpts::default());
    assert_eq!(
        send!(c, ms(1), pkt(RST, D + 5, 0)),
        SegmentOutcome::ChallengeAck { sent: true }
    );
    assert_eq!(
        send!(c, ms(2), pkt(RST, D + 5, 0)),
        SegmentOutcome::ChallengeAck { sent: false }
    );
    assert_eq!(
        send!(c, ms(501), pkt(RST, D + 5, 0)),
        SegmentOutcome::ChallengeAck { sent: true }
    );
}

#[test]
fn ack_of_unsent_data_is_answered_and_dropped() {
    // RFC 9293 §3.10.7.4 fifth step: "If the ACK acks something not yet sent
    // (SEG.ACK > SND.NXT), then send an ACK, drop the segment, and return."
    let mut c = established();
    let out = send!(c, ms(1), pkt(ACK, D, S + 10).data(b"data"));
    assert_eq!(out, SegmentOutcome::Dropped(DropReason::AckOfUnsentData));
    expect(&recv!(c, ms(1)), ACK, S, D);
    assert!(
        read_all(&mut c, ms(1)).is_empty(),
        "text of a dropped segment"
    );
}

#[test]
fn ack_older_than_the_max_window_gets_a_challenge() {
    // RFC 5961 §5.2: acceptable only if SND.UNA - MAX.SND.WND =< SEG.ACK.
    let so = SockOpts {
        nodelay: true,
        ..SockOpts::default()
    };
    let syn = pkt(SYN, IRS, 0).win(1000).opts(vec![TcpOpt::Mss(1000)]);
    let mut c = Connection::accept_syn(ms(0), open(), &syn, &bare(Profile::rfc()), &so);
    let _ = recv!(c, ms(0));
    send!(c, ms(0), pkt(ACK, D, S).win(1000));
    for k in 0..3u32 {
        c.send(ms(k as u64), &[1; 1000]).unwrap();
        let _ = recv!(c, ms(k as u64));
        send!(c, ms(k as u64), pkt(ACK, D, S + 1000 * (k + 1)).win(1000));
    }
    assert_eq!(c.tcb().max_snd_wnd, 1000);
    // 2000 behind SND.UNA (3001 past ISS+1): too old.
    let out = send!(c, ms(10), pkt(ACK, D, S + 500).data(b"inject"));
    assert_eq!(
        out,
        SegmentOutcome::Dropped(DropReason::AckTooOld { ack_sent: true })
    );
    expect(&recv!(c, ms(10)), ACK, S + 3000, D);
    assert!(read_all(&mut c, ms(10)).is_empty());
    // Within MAX.SND.WND of SND.UNA: an old duplicate, data accepted.
    send!(c, ms(11), pkt(ACK, D, S + 2500).data(b"ok"));
    assert_eq!(read_all(&mut c, ms(11)), b"ok");
}

#[test]
fn window_updates_follow_wl1_wl2() {
    // RFC 9293 §3.10.7.4 fifth step: only a newer segment updates SND.WND.
    let mut c = established();
    send!(c, ms(1), pkt(ACK, D, S).data(b"abc").win(5000));
    assert_eq!(c.tcb().snd_wnd, 5000);
    // A newer segment (SND.WL1 < SEG.SEQ) may shrink it.
    send!(c, ms(2), pkt(ACK, D + 3, S).win(100));
    assert_eq!(c.tcb().snd_wnd, 100);
    // Same SEG.SEQ, same SEG.ACK: allowed.
    send!(c, ms(3), pkt(ACK, D + 3, S).data(b"def").win(7000));
    assert_eq!(c.tcb().snd_wnd, 7000);
    // A reordered older segment (SEG.SEQ < SND.WL1) still carrying new data
    // must not change the window.
    send!(c, ms(4), pkt(ACK, D + 2, S).data(b"cdefgh").win(10));
    assert_eq!(c.tcb().snd_wnd, 7000);
    assert_eq!(read_all(&mut c, ms(4)), b"abcdefgh");
}

#[test]
fn in_order_data_is_delivered_with_a_delayed_ack() {
    // RFC 9293 §3.8.6.3: delayed ACK, < 0.5 s (MUST-40); rfc profile 200 ms.
    assert!(Profile::rfc().delayed_ack_max < dur_ms(500));
    assert!(Profile::linux().delayed_ack_max < dur_ms(500));
    let mut c = established();
    assert_eq!(
        send!(c, ms(10), pkt(ACK | PSH, D, S).data(b"hello")),
        SegmentOutcome::Accepted
    );
    assert!(c.readable());
    recv_nothing!(c, ms(10));
    recv_nothing!(c, ms(209));
    expect(&recv!(c, ms(210)), ACK, S, D + 5);
    assert_eq!(read_all(&mut c, ms(210)), b"hello");
    assert!(!c.readable());
}

#[test]
fn every_second_full_segment_is_acked_at_once() {
    // RFC 9293 §3.8.6.3 (SHLD-19), RFC 5681 §4.2.
    let mut c = established();
    send!(c, ms(1), pkt(ACK, D, S).data(&[1; 1000]));
    recv_nothing!(c, ms(1));
    send!(c, ms(2), pkt(ACK, D + 1000, S).data(&[2; 1000]));
    expect(&recv!(c, ms(2)), ACK, S, D + 2000);
    assert_eq!(c.timer(TimerKind::DelayedAck), None);
}

#[test]
fn linux_quick_acks_the_first_segments() {
    let mut c = established_with(&bare(Profile::linux()), &SockOpts::default());
    for i in 0..16u32 {
        send!(c, ms(1), pkt(ACK, D + 10 * i, S).data(&[0; 10]));
        expect(&recv!(c, ms(1)), ACK, S, D + 10 * (i + 1));
    }
    send!(c, ms(2), pkt(ACK, D + 160, S).data(&[0; 10]));
    recv_nothing!(c, ms(2));
    recv_nothing!(c, ms(41));
    expect(&recv!(c, ms(42)), ACK, S, D + 170);
}

#[test]
fn out_of_order_data_is_held_and_acked_immediately() {
    // SHLD-31 (hold for later), RFC 5681 §4.2 (immediate duplicate ACK and
    // immediate ACK for the segment filling the hole).
    let mut c = established();
    assert_eq!(
        send!(c, ms(1), pkt(ACK, D + 3, S).data(b"def")),
        SegmentOutcome::Accepted
    );
    expect(&recv!(c, ms(1)), ACK, S, D);
    assert!(!c.readable());
    send!(c, ms(2), pkt(ACK, D + 9, S).data(b"jkl"));
    expect(&recv!(c, ms(2)), ACK, S, D);
    send!(c, ms(3), pkt(ACK, D, S).data(b"abc"));
    expect(&recv!(c, ms(3)), ACK, S, D + 6);
    send!(c, ms(4), pkt(ACK, D + 5, S).data(b"fghi"));
    expect(&recv!(c, ms(4)), ACK, S, D + 12);
    assert_eq!(read_all(&mut c, ms(4)), b"abcdefghijkl");
}

#[test]
fn sack_blocks_report_out_of_order_data() {
    // RFC 2018 §4: the first block holds the most recent segment; SACK is
    // sent only when negotiated.
    let syn = pkt(SYN, IRS, 0).opts(vec![TcpOpt::Mss(1000), TcpOpt::SackPermitted]);
    let mut p = bare(Profile::linux());
    p.sack = true;
    let mut c = established_from(&p, &SockOpts::default(), syn);
    send!(c, ms(1), pkt(ACK, D + 10, S).data(&[0; 10]));
    let a = recv!(c, ms(1));
    let blocks: Vec<(u32, u32)> = a
        .sack_blocks()
        .iter()
        .map(|b| (b.left.0, b.right.0))
        .collect();
    assert_eq!(blocks, [(D + 10, D + 20)]);
    send!(c, ms(2), pkt(ACK, D + 30, S).data(&[0; 10]));
    let a = recv!(c, ms(2));
    let blocks: Vec<(u32, u32)> = a
        .sack_blocks()
        .iter()
        .map(|b| (b.left.0, b.right.0))
        .collect();
    assert_eq!(blocks, [(D + 30, D + 40), (D + 10, D + 20)]);
    send!(c, ms(3), pkt(ACK, D, S).data(&[0; 20]));
    let a = recv!(c, ms(3));
    assert_eq!(a.ack, SeqNumber(D + 20));
    let blocks: Vec<(u32, u32)> = a
        .sack_blocks()
        .iter()
        .map(|b| (b.left.0, b.right.0))
        .collect();
    assert_eq!(blocks, [(D + 30, D + 40)]);
    // Without SACK-permitted from the peer: no SACK option.
    let mut c = established_with(&bare(Profile::linux()), &SockOpts::default());
    send!(c, ms(1), pkt(ACK, D + 10, S).data(&[0; 10]));
    assert!(recv!(c, ms(1)).options.is_empty());
}

#[test]
fn straddling_segment_delivers_only_new_data() {
    // RFC 9293 §3.10.7.4: "If a segment's contents straddle the boundary
    // between old and new, only the new parts are processed."
    let mut c = established();
    send!(c, ms(1), pkt(ACK, D, S).data(b"abc"));
    send!(c, ms(2), pkt(ACK, D + 1, S).data(b"bcdef"));
    assert_eq!(read_all(&mut c, ms(2)), b"abcdef");
}

#[test]
fn zero_window_still_accepts_acks_at_rcv_nxt() {
    // RFC 9293 §3.10.7.4: "If the RCV.WND is zero, no segments will be
    // acceptable, but special allowance should be made to accept valid ACKs".
    let so = SockOpts {
        rcvbuf: Some(2000),
        nodelay: true,
        ..SockOpts::default()
    };
    let mut c = established_with(&bare(Profile::rfc()), &so);
    assert_eq!(c.tcb().rcv_window(), 1000);
    send!(c, ms(1), pkt(ACK, D, S).data(&[9; 1000]));
    let a = recv!(c, ms(201));
    assert_eq!((a.ack, a.window), (SeqNumber(D + 1000), 0));
    c.send(ms(2), b"xyz").unwrap();
    let _ = recv!(c, ms(2));
    // Data into the zero window, with an ACK of ours: the ACK counts, the
    // text does not.
    send!(c, ms(3), pkt(ACK, D + 1000, S + 3).data(b"more"));
    assert_eq!(c.tcb().snd_una, SeqNumber(S + 3));
    assert_eq!(read_all(&mut c, ms(3)).len(), 1000);
}

#[test]
fn reading_reopens_the_window_with_an_update() {
    // RFC 9293 §3.8.6.2.2 (MUST-39): the update waits until the window can
    // grow by min(RCV.BUFF/2, MSS).
    let so = SockOpts {
        rcvbuf: Some(8000),
        ..SockOpts::default()
    };
    let mut c = established_with(&bare(Profile::rfc()), &so);
    assert_eq!(c.tcb().rcv_window(), 4000);
    for k in 0..4u32 {
        send!(c, ms(1), pkt(ACK, D + 1000 * k, S).data(&[0; 1000]));
    }
    let mut last = None;
    while let Some(a) = c.poll_transmit(ms(1)) {
        last = Some(a);
    }
    assert_eq!(last.unwrap().window, 0);
    let mut buf = [0u8; 500];
    c.recv(ms(2), &mut buf).unwrap();
    recv_nothing!(c, ms(2));
    let mut big = [0u8; 1000];
    c.recv(ms(3), &mut big).unwrap();
    let upd = recv!(c, ms(3));
    expect(&upd, ACK, S, D + 4000);
    assert_eq!(upd.window, 1500);
}

#[test]
fn send_segments_by_effective_mss_with_psh_on_the_last() {
    // RFC 9293 §3.7.1 (MUST-16) and §3.9.1.2 (MUST-61).
    let so = SockOpts {
        nodelay: true,
        ..SockOpts::default()
    };
    let mut c = established_with(&bare(Profile::rfc()), &so);
    assert_eq!(c.send(ms(1), &[5; 2500]), Ok(2500));
    let a = recv!(c, ms(1));
    let b = recv!(c, ms(1));
    let d = recv!(c, ms(1));
    expect(&a, ACK, S, D);
    expect(&b, ACK, S + 1000, D);
    expect(&d, ACK | PSH, S + 2000, D);
    assert_eq!(
        (a.payload.len(), b.payload.len(), d.payload.len()),
        (1000, 1000, 500)
    );
    recv_nothing!(c, ms(1));
}

#[test]
fn send_is_limited_by_the_peer_window_and_cwnd() {
    // RFC 9293 §3.8.6 / RFC 5681: at most min(SND.WND, cwnd) in flight;
    // rfc initial window for MSS 1000 is 4 segments.
    let mut c = established();
    send!(c, ms(0), pkt(ACK, D, S).win(2500));
    c.send(ms(1), &[0; 10_000]).unwrap();
    let mut sent = 0;
    while let Some(s) = c.poll_transmit(ms(1)) {
        sent += s.payload.len();
    }
    assert_eq!(
        sent, 2000,
        "two full segments; a 500-byte tail is sender SWS"
    );
    send!(c, ms(2), pkt(ACK, D, S + 2000).win(65535));
    let mut sent = 0;
    while let Some(s) = c.poll_transmit(ms(2)) {
        sent += s.payload.len();
    }
    // cwnd grew by one SMSS for the ACK (slow start): 5000 in flight.
    assert_eq!(sent, 5000);
}

#[test]
fn nagle_holds_a_small_segment_while_data_is_unacknowledged() {
    // RFC 9293 §3.7.4 (SHLD-7) / RFC 896.
    let mut c = established();
    c.send(ms(1), b"a").unwrap();
    expect(&recv!(c, ms(1)), ACK | PSH, S, D);
    c.send(ms(2), b"b").unwrap();
    recv_nothing!(c, ms(2));
    c.send(ms(3), b"c").unwrap();
    recv_nothing!(c, ms(3));
    send!(c, ms(4), pkt(ACK, D, S + 1));
    let s = recv!(c, ms(4));
    expect(&s, ACK | PSH, S + 1, D);
    assert_eq!(s.payload, b"bc");
}

#[test]
fn nodelay_sends_small_segments_at_once() {
    // RFC 9293 §3.7.4 (MUST-17): Nagle can be disabled per connection.
    let mut c = established();
    c.set_nodelay(true);
    c.send(ms(1), b"a").unwrap();
    c.send(ms(1), b"b").unwrap();
    let s = recv!(c, ms(1));
    assert_eq!(s.payload, b"ab");
    c.send(ms(2), b"c").unwrap();
    assert_eq!(recv!(c, ms(2)).payload, b"c");
}

#[test]
fn minshall_nagle_only_waits_for_small_segments() {
    // Linux profile: a full segment outstanding does not hold a small one.
    let mut c = established_with(&bare(Profile::linux()), &SockOpts::default());
    c.send(ms(1), &[0; 1500]).unwrap();
    assert_eq!(recv!(c, ms(1)).payload.len(), 1000);
    assert_eq!(recv!(c, ms(1)).payload.len(), 500);
    c.send(ms(2), b"x").unwrap();
    recv_nothing!(c, ms(2));
    // RFC 896 holds the tail of the same write instead.
    let mut c = established();
    c.send(ms(1), &[0; 1500]).unwrap();
    assert_eq!(recv!(c, ms(1)).payload.len(), 1000);
    recv_nothing!(c, ms(1));
}

#[test]
fn cork_holds_partial_segments_until_uncorked() {
    let mut c = established();
    c.set_cork(true);
    c.send(ms(1), &[0; 1200]).unwrap();
    assert_eq!(recv!(c, ms(1)).payload.len(), 1000);
    recv_nothing!(c, ms(1));
    send!(c, ms(2), pkt(ACK, D, S + 1000));
    recv_nothing!(c, ms(2));
    c.set_cork(false);
    assert_eq!(recv!(c, ms(3)).payload.len(), 200);
}

#[test]
fn cork_lets_the_fin_push_the_tail() {
    let mut c = established();
    c.set_cork(true);
    c.send(ms(1), &[0; 300]).unwrap();
    recv_nothing!(c, ms(1));
    c.close(ms(2));
    let s = recv!(c, ms(2));
    assert_eq!(s.flags, ACK | PSH | FIN);
    assert_eq!(s.payload.len(), 300);
}

#[test]
fn full_send_buffer_would_block() {
    let so = SockOpts {
        sndbuf: Some(3000),
        ..SockOpts::default()
    };
    let mut c = established_with(&bare(Profile::rfc()), &so);
    assert!(c.writable());
    assert_eq!(c.send(ms(1), &[0; 5000]), Ok(3000));
    assert_eq!(c.send(ms(1), b"x"), Err(Errno::EAGAIN));
    assert!(!c.writable());
    while c.poll_transmit(ms(1)).is_some() {}
    send!(c, ms(2), pkt(ACK, D, S + 2000));
    assert!(c.writable());
    assert_eq!(c.send(ms(2), &[0; 5000]), Ok(2000));
    assert_eq!(c.send_queue_len(), 3000);
}

#[test]
fn fin_moves_to_close_wait_and_reads_end() {
    // RFC 9293 §3.10.7.4 eighth step; §3.10.3 CLOSE-WAIT RECEIVE.
    let mut c = established();
    send!(c, ms(1), pkt(ACK | FIN, D, S).data(b"last"));
    assert_eq!(c.state(), State::CloseWait);
    expect(&recv!(c, ms(1)), ACK, S, D + 5);
    assert!(c.rcv_shutdown());
    assert_eq!(read_all(&mut c, ms(2)), b"last");
    let mut buf = [0u8; 8];
    assert_eq!(c.recv(ms(2), &mut buf), Ok(0));
}

#[test]
fn out_of_order_fin_waits_for_the_gap() {
    let mut c = established();
    send!(c, ms(1), pkt(ACK | FIN, D + 3, S).data(b"def"));
    assert_eq!(c.state(), State::Established);
    expect(&recv!(c, ms(1)), ACK, S, D);
    send!(c, ms(2), pkt(ACK, D, S).data(b"abc"));
    assert_eq!(c.state(), State::CloseWait);
    expect(&recv!(c, ms(2)), ACK, S, D + 7);
    assert_eq!(read_all(&mut c, ms(2)), b"abcdef");
}

#[test]
fn close_sends_fin_after_queued_data() {
    // RFC 9293 §3.10.4 ESTABLISHED: "Queue this until all preceding SENDs
    // have been segmentized, then form a FIN segment and send it."
    let mut c = established();
    c.send(ms(1), b"tail").unwrap();
    c.close(ms(1));
    assert_eq!(c.state(), State::FinWait1);
    let s = recv!(c, ms(1));
    expect(&s, ACK | PSH | FIN, S, D);
    assert_eq!(s.payload, b"tail");
    assert_eq!(c.send(ms(2), b"x"), Err(Errno::EPIPE));
}

#[test]
fn close_with_unread_data_resets() {
    // RFC 2525 §2.17 and Linux tcp_close: unread data -> RST, not FIN.
    let mut c = established_with(&bare(Profile::linux()), &SockOpts::default());
    send!(c, ms(1), pkt(ACK, D, S).data(b"unread"));
    let _ = recv!(c, ms(1));
    c.close(ms(2));
    assert_eq!(c.state(), State::Closed);
    let r = recv!(c, ms(2));
    expect(&r, RST | ACK, S, D + 6);
}

#[test]
fn abort_sends_rst_at_snd_nxt() {
    // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>, queues flushed.
    let mut c = established();
    c.send(ms(1), b"pending").unwrap();
    let _ = recv!(c, ms(1));
    c.abort(ms(2));
    assert_eq!(c.state(), State::Closed);
    expect(&recv!(c, ms(2)), RST, S + 7, 0);
    recv_nothing!(c, ms(10_000));
}

#[test]
fn shutdown_read_ends_reads_but_keeps_the_connection() {
    let mut c = established();
    c.shutdown(ms(1), Shutdown::Read).unwrap();
    assert!(c.rcv_shutdown() && !c.snd_shutdown());
    let mut buf = [0u8; 4];
    assert_eq!(c.recv(ms(1), &mut buf), Ok(0));
    assert_eq!(c.state(), State::Established);
    assert_eq!(c.send(ms(1), b"ok"), Ok(2));
}

#[test]
fn urgent_pointer_is_recorded() {
    // RFC 9293 §3.10.7.4 sixth step, §3.8.5 (MUST-30, MUST-62).
    let mut c = established();
    let mut s = pkt(ACK | Flags::URG, D, S).data(b"abcd");
    s.urgent = 3;
    send!(c, ms(1), s);
    assert_eq!(c.tcb().rcv_up, SeqNumber(D + 3));
    assert!(c.urgent_pending());
    read_all(&mut c, ms(1));
    assert!(!c.urgent_pending());
}

#[test]
fn window_scaling_applies_both_ways() {
    // RFC 7323 §2.3: the peer's window is shifted by its scale; ours by ours.
    let syn = pkt(SYN, IRS, 0).opts(vec![TcpOpt::Mss(1000), TcpOpt::WindowScale(2)]);
    let mut p = bare(Profile::linux());
    p.window_scaling = true;
    let mut c = established_from(&p, &SockOpts::default(), syn);
    send!(c, ms(1), pkt(ACK, D, S).win(100).data(b"x"));
    assert_eq!(c.tcb().snd_wnd, 400);
    let a = recv!(c, ms(1));
    assert_eq!(c.negotiated().rcv_wscale, 10, "tcp_rmem[2] 32 MiB");
    assert_eq!(u32::from(a.window) << 10, c.tcb().rcv_window());
}

#[test]
fn paws_rejects_old_timestamps_but_not_resets() {
    // RFC 7323 §5.3 R1: ACK and drop; RST segments are not subject to PAWS.
    let syn = pkt(SYN, IRS, 0).opts(vec![
        TcpOpt::Mss(1000),
        TcpOpt::Timestamps {
            tsval: 1000,
            tsecr: 0,
        },
    ]);
    let mut c = established_from(&Profile::linux(), &SockOpts::default(), syn);
    send!(c, ms(1), pkt(ACK, D, S).data(b"new").ts(2000, 0));
    assert_eq!(c.negotiated().ts_recent, 2000, "RFC 7323 §4.3 update");
    let out = send!(c, ms(2), pkt(ACK, D + 3, S).data(b"old").ts(1500, 0));
    assert_eq!(
        out,
        SegmentOutcome::Dropped(DropReason::Paws { ack_sent: true })
    );
    let a = recv!(c, ms(2));
    assert_eq!(
        a.timestamps(),
        Some((2, 2000)),
        "TSval from our ms clock, TSecr = TS.Recent"
    );
    assert_eq!(read_all(&mut c, ms(2)), b"new");
    let out = send!(c, ms(3), pkt(RST, D + 3, 0).ts(1500, 0));
    assert_eq!(out, SegmentOutcome::Reset(Errno::ECONNRESET));
}

#[test]
fn data_without_ack_is_dropped() {
    let mut c = established();
    let out = send!(c, ms(1), pkt(Flags::PSH, D, 0).data(b"x"));
    assert_eq!(out, SegmentOutcome::Dropped(DropReason::NoAck));
    assert!(read_all(&mut c, ms(1)).is_empty());
}

#[test]
fn tcp_info_reports_state_windows_and_counters() {
    let syn = pkt(SYN, IRS, 0).opts(vec![TcpOpt::Mss(1000)]);
    let p = Profile::linux();
    let mut c = Connection::accept_syn(ms(0), open(), &syn, &p, &SockOpts::default());
    let _ = recv!(c, ms(0));
    // Handshake RTT 100 ms: Linux RTO = 100 ms + max(4 * 50 ms, 200 ms).
    send!(c, ms(100), pkt(ACK, D, S));
    c.send(ms(101), b"hello").unwrap();
    let _ = recv!(c, ms(101));
    send!(c, ms(201), pkt(ACK, D, S + 5));
    let i = c.tcp_info(ms(201));
    assert_eq!(i.get("state"), Some(crate::linux::TCP_ESTABLISHED as u64));
    assert_eq!(i.get("rtt"), Some(100_000));
    assert_eq!(i.get("rto"), Some(300_000));
    assert_eq!(i.get("snd_mss"), Some(1000));
    assert_eq!(
        i.get("snd_cwnd"),
        Some(10),
        "IW 10; application-limited, no growth"
    );
    assert_eq!(i.get("bytes_acked"), Some(5));
    assert_eq!(i.get("unacked"), Some(0));
    assert_eq!(i.get("snd_ssthresh"), Some(0x7fff_ffff));
    assert_eq!(i.get("last_data_sent"), Some(100));
    assert_eq!(i.get("last_data_recv"), Some(101), "from the handshake");
}

#[test]
fn acks_for_a_burst_are_aggregated() {
    // RFC 9293 §3.10.7.4 (MUST-58, MUST-59): process all queued segments
    // before sending an ACK.
    let mut c = established();
    for k in 0..3u32 {
        send!(c, ms(1), pkt(ACK, D + 10 + 10 * k, S).data(&[0; 10]));
    }
    send!(c, ms(1), pkt(ACK, D, S).data(&[0; 10]));
    expect(&recv!(c, ms(1)), ACK, S, D + 40);
    recv_nothing!(c, ms(1));
}

#[test]
fn rst_and_urg_are_processed_in_a_zero_window() {
    // RFC 9293 §3.4 (MUST-66).
    let so = SockOpts {
        rcvbuf: Some(2000),
        ..SockOpts::default()
    };
    let mut c = established_with(&bare(Profile::rfc()), &so);
    send!(c, ms(1), pkt(ACK, D, S).data(&[0; 1000]));
    while c.poll_transmit(ms(300)).is_some() {}
    assert_eq!(c.tcb().rcv_window(), 0);
    let mut u = pkt(ACK | Flags::URG, D + 1000, S);
    u.urgent = 5;
    send!(c, ms(301), u);
    assert_eq!(c.tcb().rcv_up, SeqNumber(D + 1005));
    assert_eq!(
        send!(c, ms(302), pkt(RST, D + 1000, 0)),
        SegmentOutcome::Reset(Errno::ECONNRESET)
    );
}

#[test]
fn unknown_options_are_ignored() {
    // RFC 9293 §3.1 (MUST-6): "ignore without error any TCP option it does
    // not implement".
    let mut c = established();
    let s = pkt(ACK, D, S).data(b"ok").opts(vec![
        TcpOpt::Unknown {
            kind: 99,
            data: vec![1, 2, 3],
        },
        TcpOpt::Nop,
    ]);
    assert_eq!(send!(c, ms(1), s), SegmentOutcome::Accepted);
    assert_eq!(read_all(&mut c, ms(1)), b"ok");
}

#[test]
fn shrinking_peer_window_is_survived() {
    // RFC 9293 §3.8.6 (MUST-34): the usable window may become negative.
    let so = SockOpts {
        nodelay: true,
        ..SockOpts::default()
    };
    let mut c = established_with(&bare(Profile::rfc()), &so);
    c.send(ms(0), &[0; 3000]).unwrap();
    while c.poll_transmit(ms(0)).is_some() {}
    send!(c, ms(1), pkt(ACK, D, S + 1000).win(500));
    assert_eq!(c.tcb().snd_wnd, 500);
    c.send(ms(1), &[0; 100]).unwrap();
    recv_nothing!(c, ms(1));
    // Everything in flight is eventually acknowledged; sending resumes.
    send!(c, ms(2), pkt(ACK, D, S + 3000).win(5000));
    assert_eq!(recv!(c, ms(2)).payload.len(), 100);
}

#[test]
fn reset_is_reported_unlike_a_normal_close() {
    // RFC 9293 §3.6 (MUST-12): the application learns whether the peer
    // closed normally (read returns 0) or aborted (ECONNRESET).
    let mut a = established();
    send!(a, ms(1), pkt(FIN | ACK, D, S));
    let mut buf = [0u8; 4];
    assert_eq!(a.recv(ms(1), &mut buf), Ok(0));
    let mut b = established();
    send!(b, ms(1), pkt(RST, D, 0));
    assert_eq!(b.recv(ms(1), &mut buf), Err(Errno::ECONNRESET));
}

#[test]
fn invalid_ack_does_not_update_ts_recent() {
    // RFC 7323 §4.3: TS.Recent follows acceptable segments only; a segment
    // dropped for acknowledging unsent data must not move it (else PAWS
    // would reject the peer's next, genuine segment).
    let syn = pkt(SYN, IRS, 0).opts(vec![
        TcpOpt::Mss(1000),
        TcpOpt::Timestamps {
            tsval: 100,
            tsecr: 0,
        },
    ]);
    let mut c = established_from(&Profile::linux(), &SockOpts::default(), syn);
    let out = send!(c, ms(1), pkt(FIN | ACK, D, S + 9999).ts(200_000, 0));
    assert_eq!(out, SegmentOutcome::Dropped(DropReason::AckOfUnsentData));
    assert_eq!(c.negotiated().ts_recent, 100);
    let _ = recv!(c, ms(1));
    send!(c, ms(2), pkt(ACK, D, S).data(b"ok").ts(201, 0));
    assert_eq!(read_all(&mut c, ms(2)), b"ok");
    assert_eq!(c.negotiated().ts_recent, 201);
}

#[test]
fn nodelay_pushes_corked_data_once() {
    // Linux TCP_NAGLE_PUSH: setting TCP_NODELAY pushes even while corked.
    let mut c = established();
    c.set_cork(true);
    c.send(ms(1), &[0; 40]).unwrap();
    c.send(ms(2), &[0; 40]).unwrap();
    recv_nothing!(c, ms(3));
    c.set_nodelay(true);
    let s = recv!(c, ms(3));
    expect(&s, ACK | PSH, S, D);
    assert_eq!(s.payload.len(), 80);
    // Still corked afterwards: a new partial write waits.
    send!(c, ms(4), pkt(ACK, D, S + 80));
    c.send(ms(4), &[0; 40]).unwrap();
    recv_nothing!(c, ms(4));
}

#[test]
fn msg_more_holds_data_without_psh() {
    let mut c = established();
    c.set_nodelay(true);
    c.send_with(ms(1), &[0; 40], true).unwrap();
    c.send_with(ms(2), &[0; 40], true).unwrap();
    recv_nothing!(c, ms(2));
    c.set_nodelay(true);
    let s = recv!(c, ms(3));
    expect(&s, ACK, S, D);
    assert_eq!(s.payload.len(), 80);
    // A write without MSG_MORE goes out at once with PSH.
    c.send(ms(4), &[0; 10]).unwrap();
    expect(&recv!(c, ms(4)), ACK | PSH, S + 80, D);
}

#[test]
fn final_fin_is_not_held_by_cwnd() {
    // Linux tcp_cwnd_test: the FIN goes out with cwnd full (not beyond the
    // peer's window, though).
    let so = SockOpts {
        nodelay: true,
        ..SockOpts::default()
    };
    let mut c = established_with(&bare(Profile::rfc()), &so);
    c.send(ms(0), &[0; 4000]).unwrap();
    while c.poll_transmit(ms(0)).is_some() {}
    assert_eq!(c.tcb().in_flight(), 4000, "initial window full");
    c.close(ms(1));
    expect(&recv!(c, ms(1)), FIN | ACK, S + 4000, D);
}

#[test]
fn linux_delays_the_ack_of_a_fin_with_data() {
    // Measured on the kernel target (corpus/tcp/close/fin-with-data.pkt,
    // passive-close.pkt): a FIN carrying data is ACKed after the 40 ms
    // delayed-ACK time; a bare FIN, with no data before it, at the next
    // 4 ms timer tick (Linux's ACK timeout is still zero then). The rfc
    // profile ACKs both at once (RFC 5681 §4.2).
    let mut c = established_with(&bare(Profile::linux()), &SockOpts::default());
    send!(c, ms(10), pkt(FIN | PSH | ACK, D, S).data(&[0; 100]));
    assert_eq!(c.state(), State::CloseWait);
    recv_nothing!(c, ms(49));
    expect(&recv!(c, ms(50)), ACK, S, D + 101);
    let mut c = established_with(&bare(Profile::linux()), &SockOpts::default());
    send!(c, ms(10), pkt(FIN | ACK, D, S));
    recv_nothing!(c, ms(11));
    expect(&recv!(c, ms(12)), ACK, S, D + 1);
    // After data (its ACK sent), a bare FIN waits the delayed-ACK time
    // (Linux: the ACK timeout the data set; not measured yet).
    let mut c = established_with(&bare(Profile::linux()), &SockOpts::default());
    send!(c, ms(10), pkt(PSH | ACK, D, S).data(&[0; 100]));
    expect(&recv!(c, ms(10)), ACK, S, D + 100);
    send!(c, ms(20), pkt(FIN | ACK, D + 100, S));
    recv_nothing!(c, ms(59));
    expect(&recv!(c, ms(60)), ACK, S, D + 101);
    let mut c = established();
    send!(c, ms(10), pkt(FIN | PSH | ACK, D, S).data(&[0; 100]));
    expect(&recv!(c, ms(10)), ACK, S, D + 101);
}

/// The flags of each data segment of a 4000-byte write at MSS 1000, on a
/// connection whose handshake took `rtt` ms.
fn psh_pattern(p: &Profile, rtt: u64) -> String {
    let syn = pkt(SYN, IRS, 0).opts(vec![TcpOpt::Mss(1000)]);
    let so = SockOpts {
        nodelay: true,
        ..SockOpts::default()
    };
    let mut c = Connection::accept_syn(ms(0), open(), &syn, p, &so);
    let _ = recv!(c, ms(0));
    send!(c, ms(rtt), pkt(ACK, D, S).win(65535));
    c.send(ms(rtt), &[7; 4000]).unwrap();
    std::iter::from_fn(|| c.poll_transmit(ms(rtt)))
        .map(|s| format!("{:?}", s.flags))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn linux_puts_psh_at_the_end_of_each_send_queue_skb() {
    // Measured on the kernel target: at a low pacing rate (cwnd 10 x 1000
    // bytes per 100 ms) Linux cuts a 4000-byte write into 2-MSS skbs, each
    // ending in PSH: `. P. . P.`. At a tiny RTT the skb holds the whole
    // write (up to 64 KiB). RFC 9293 §3.9.1.2: PSH at the end of the SEND.
    let linux = bare(Profile::linux());
    assert_eq!(psh_pattern(&linux, 100), ". P. . P.");
    assert_eq!(psh_pattern(&linux, 0), ". . . P.");
    assert_eq!(psh_pattern(&bare(Profile::rfc()), 100), ". . . P.");
    let mut four = linux;
    four.min_tso_segs = 4;
    assert_eq!(psh_pattern(&four, 100), ". . . P.", "tcp_min_tso_segs 4");
}
