//! SYN-SENT (RFC 9293 §3.10.1 OPEN, §3.10.7.3 SEGMENT ARRIVES).

use super::*;
use crate::linux::Errno;
use crate::tcp::DropReason;

#[test]
fn open_sends_syn_and_sets_snd_variables() {
    // RFC 9293 §3.10.1: "A SYN segment of the form <SEQ=ISS><CTL=SYN> is
    // sent. Set SND.UNA to ISS, SND.NXT to ISS+1, enter SYN-SENT state".
    let mut c = Connection::connect(ms(0), open(), &Profile::linux(), &SockOpts::default());
    assert_eq!(c.state(), State::SynSent);
    let syn = recv!(c, ms(0));
    expect(&syn, SYN, ISS, 0);
    assert_eq!(
        (c.tcb().snd_una, c.tcb().snd_nxt),
        (SeqNumber(ISS), SeqNumber(ISS + 1))
    );
    // Linux: <mss 1460,sackOK,TS val X ecr 0,nop,wscale 10>, window 64240
    // (measured: kernel_linux_facts syn_layout_and_retransmission).
    assert!(
        format!("{syn:?}").ends_with("<mss 1460,sackOK,TS val 0 ecr 0,nop,wscale 10>"),
        "{syn:?}"
    );
    assert_eq!(syn.window, 64240);
    recv_nothing!(c, ms(0));
}

#[test]
fn unacceptable_ack_gets_a_reset_unless_it_is_a_reset() {
    // RFC 9293 §3.10.7.3 first step: SEG.ACK =< ISS or SEG.ACK > SND.NXT.
    let table = [
        (ACK, ISS, Some(ISS)),
        (ACK, ISS - 5, Some(ISS - 5)),
        (ACK, ISS + 2, Some(ISS + 2)),
        (SYN | ACK, ISS + 2, Some(ISS + 2)),
        (RST | ACK, ISS, None),
        (RST | ACK, ISS + 2, None),
    ];
    for (flags, ack, rst_seq) in table {
        let mut c = syn_sent();
        let out = send!(c, ms(1), pkt(flags, IRS, ack));
        assert_eq!(out, SegmentOutcome::Dropped(DropReason::BadAckInSynSent));
        assert_eq!(c.state(), State::SynSent);
        match rst_seq {
            Some(seq) => expect(&recv!(c, ms(1)), RST, seq, 0),
            None => recv_nothing!(c, ms(1)),
        }
    }
}

#[test]
fn rst_with_acceptable_ack_refuses_the_connection() {
    // RFC 9293 §3.10.7.3 second step.
    let mut c = syn_sent();
    let out = send!(c, ms(1), pkt(RST | ACK, 0, ISS + 1));
    assert_eq!(out, SegmentOutcome::Reset(Errno::ECONNREFUSED));
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.take_error(), Some(Errno::ECONNREFUSED));
    recv_nothing!(c, ms(1));
    // "Otherwise (no ACK), drop the segment and return."
    let mut c = syn_sent();
    let out = send!(c, ms(1), pkt(RST, 0, 0));
    assert_eq!(out, SegmentOutcome::Dropped(DropReason::RstWithoutAck));
    assert_eq!(c.state(), State::SynSent);
}

#[test]
fn syn_ack_establishes_and_is_acknowledged() {
    // RFC 9293 §3.10.7.3 fourth step: RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ,
    // SND.UNA = SEG.ACK, ESTABLISHED, <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
    let mut c = syn_sent();
    let out = send!(c, ms(30), pkt(SYN | ACK, IRS, ISS + 1).win(1000));
    assert_eq!(out, SegmentOutcome::Established);
    assert_eq!(c.state(), State::Established);
    let t = *c.tcb();
    assert_eq!(
        (t.irs, t.rcv_nxt, t.snd_una),
        (SeqNumber(IRS), SeqNumber(IRS + 1), SeqNumber(ISS + 1))
    );
    assert_eq!(
        t.snd_wnd, 1000,
        "RFC 7323 §2.2: a SYN's window is not scaled"
    );
    expect(&recv!(c, ms(30)), ACK, ISS + 1, IRS + 1);
    assert_eq!(
        c.timer(TimerKind::Retransmit),
        None,
        "SYN acknowledged: no retransmission"
    );
    // Handshake RTT sampled (30 ms): rfc RTO = max(30 + 4*15, 1 s) = 1 s.
    assert_eq!(c.tcp_info(ms(30)).get("rtt"), Some(30_000));
}

#[test]
fn linux_first_ack_window_is_rounded_up_to_the_scale() {
    // tcp_rmem[2] = 6 MiB as corpus/common/defaults.sh sets it: scale 7.
    let mut p = Profile::linux();
    p.rmem[2] = 6_291_456;
    let mut c = syn_sent_with(&p, &SockOpts::default());
    let synack = pkt(SYN | ACK, IRS, ISS + 1).opts(vec![
        TcpOpt::Mss(1460),
        TcpOpt::SackPermitted,
        TcpOpt::Timestamps {
            tsval: 500,
            tsecr: 0,
        },
        TcpOpt::Nop,
        TcpOpt::WindowScale(7),
    ]);
    send!(c, ms(10), synack);
    let ack = recv!(c, ms(10));
    // 64240 advertised on the SYN, 64240/128 rounded up.
    assert_eq!(ack.window, 502);
    assert_eq!(ack.timestamps(), Some((10, 500)));
    let n = c.negotiated();
    assert!(n.ts_ok && n.sack_ok && n.wscale_ok);
    assert_eq!((n.snd_wscale, n.rcv_wscale), (7, 7));
}

#[test]
fn data_on_the_syn_ack_is_delivered() {
    let mut c = syn_sent();
    send!(c, ms(1), pkt(SYN | ACK, IRS, ISS + 1).data(b"early"));
    expect(&recv!(c, ms(1)), ACK, ISS + 1, IRS + 6);
    assert_eq!(read_all(&mut c, ms(1)), b"early");
}

#[test]
fn segment_without_syn_or_rst_is_dropped() {
    // RFC 9293 §3.10.7.3 fifth step.
    let mut c = syn_sent();
    let out = send!(c, ms(1), pkt(ACK, IRS, ISS + 1).data(b"x"));
    assert_eq!(out, SegmentOutcome::Dropped(DropReason::NoSynNoRst));
    assert_eq!(c.state(), State::SynSent);
    recv_nothing!(c, ms(1));
}

#[test]
fn simultaneous_open_enters_syn_received() {
    // RFC 9293 §3.5 (MUST-10), §3.10.7.3 fourth step "Otherwise, enter
    // SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT>".
    let mut c = syn_sent();
    assert_eq!(send!(c, ms(1), pkt(SYN, IRS, 0)), SegmentOutcome::Accepted);
    assert_eq!(c.state(), State::SynReceived);
    expect(&recv!(c, ms(1)), SYN | ACK, ISS, IRS + 1);
    // The peer's SYN,ACK completes it.
    let out = send!(c, ms(2), pkt(SYN | ACK, IRS, ISS + 1));
    assert_eq!(out, SegmentOutcome::Established);
    // ... and a RST instead would have refused it (active open).
    let mut c = syn_sent();
    send!(c, ms(1), pkt(SYN, IRS, 0));
    let _ = recv!(c, ms(1));
    assert_eq!(
        send!(c, ms(2), pkt(RST, IRS + 1, 0)),
        SegmentOutcome::Reset(Errno::ECONNREFUSED)
    );
}

#[test]
fn syn_is_retransmitted_with_backoff_then_times_out() {
    // RFC 6298 §5.5 backoff; profile syn_retries (Linux 6): 1, 2, 4, ... s.
    let mut p = bare(Profile::linux());
    p.syn_linear_timeouts = 0;
    let mut c = syn_sent_with(&p, &SockOpts::default());
    let mut at = 0;
    for k in 0..6 {
        at += 1000 << k;
        recv_nothing!(c, ms(at - 1));
        expect(&recv!(c, ms(at)), SYN, ISS, 0);
    }
    // After the 6th retransmission, 64 s later: ETIMEDOUT.
    at += 64_000;
    recv_nothing!(c, ms(at - 1));
    assert_eq!(c.state(), State::SynSent);
    recv_nothing!(c, ms(at));
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.take_error(), Some(Errno::ETIMEDOUT));
}

#[test]
fn syncnt_overrides_the_profile() {
    let so = SockOpts {
        syn_retries: Some(1),
        ..SockOpts::default()
    };
    let mut c = syn_sent_with(&bare(Profile::linux()), &so);
    expect(&recv!(c, ms(1000)), SYN, ISS, 0);
    recv_nothing!(c, ms(3000));
    assert_eq!(c.state(), State::Closed);
}

#[test]
fn send_before_established_would_block_and_close_deletes() {
    // RFC 9293 §3.10.2 (queue until ESTABLISHED: Linux blocks) and §3.10.4
    // SYN-SENT: "Delete the TCB".
    let mut c = syn_sent();
    assert_eq!(c.send(ms(0), b"x"), Err(Errno::EAGAIN));
    let mut buf = [0u8; 4];
    assert_eq!(c.recv(ms(0), &mut buf), Err(Errno::EAGAIN));
    assert!(c.is_connecting() && !c.writable());
    c.close(ms(0));
    assert_eq!(c.state(), State::Closed);
    recv_nothing!(c, ms(0));
}

#[test]
fn user_timeout_bounds_the_syn_retries() {
    // TCP_USER_TIMEOUT applies to the handshake too (Linux tcp_write_timeout).
    let so = SockOpts {
        user_timeout: Some(dur_ms(2500)),
        ..SockOpts::default()
    };
    let mut c = syn_sent_with(&bare(Profile::linux()), &so);
    expect(&recv!(c, ms(1000)), SYN, ISS, 0);
    expect(&recv!(c, ms(2000)), SYN, ISS, 0);
    recv_nothing!(c, ms(2499));
    assert_eq!(c.state(), State::SynSent);
    recv_nothing!(c, ms(2500));
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.take_error(), Some(Errno::ETIMEDOUT));
}

#[test]
fn user_timeout_stops_once_connected() {
    let so = SockOpts {
        user_timeout: Some(dur_ms(2500)),
        ..SockOpts::default()
    };
    let mut c = syn_sent_with(&bare(Profile::linux()), &so);
    send!(c, ms(100), pkt(SYN | ACK, IRS, ISS + 1));
    let _ = recv!(c, ms(100));
    assert_eq!(c.poll_at(), None);
    recv_nothing!(c, ms(10_000));
    assert_eq!(c.state(), State::Established);
}

#[test]
fn linux_retries_the_first_syns_at_a_fixed_interval() {
    // tcp_syn_linear_timeouts = 4 (measured on the kernel target): SYNs at
    // 1–5 s, then backoff; tcp_syn_retries = 6 is a 127 s budget, so the
    // connect fails at the first timer after it (131 s).
    let mut c = syn_sent_with(&bare(Profile::linux()), &SockOpts::default());
    let mut sent = Vec::new();
    let mut last = 0;
    while c.state() == State::SynSent {
        let t = c.poll_at().unwrap();
        last = t.as_millis();
        if let Some(s) = c.poll_transmit(t) {
            assert_eq!(s.flags, SYN);
            sent.push(t.as_millis());
        }
    }
    assert_eq!(
        sent,
        [
            1000, 2000, 3000, 4000, 5000, 7000, 11_000, 19_000, 35_000, 67_000
        ]
    );
    assert_eq!(last, 131_000);
    assert_eq!(c.take_error(), Some(Errno::ETIMEDOUT));
}

#[test]
fn linux_syn_retries_are_a_time_budget() {
    // Linux tcp_model_timeout: n doubling retransmissions from a 1 s RTO
    // take (2^(n+1) - 1) s; past the RTO cap each adds the cap.
    use crate::tcp::timeouts::modelled_timeout;
    let cap = dur_ms(120_000);
    let table = [
        (1, 3_000),
        (2, 7_000),
        (3, 15_000),
        (6, 127_000),
        (8, 367_000),
    ];
    for (n, want) in table {
        assert_eq!(
            modelled_timeout(n, dur_ms(1000), cap),
            dur_ms(want),
            "n = {n}"
        );
    }
    // tcp_retries2 = 15 from TCP_RTO_MIN: 924.6 s, as tcp(7) says.
    assert_eq!(modelled_timeout(15, dur_ms(200), cap), dur_ms(924_600));

    // The stack: 5 linear retransmissions, then backoff; ETIMEDOUT at the
    // first timer at least 15 s after the first SYN (measured on Linux 6.18).
    let so = SockOpts {
        syn_retries: Some(3),
        ..SockOpts::default()
    };
    let mut c = syn_sent_with(&bare(Profile::linux()), &so);
    for at in [1_000, 2_000, 3_000, 4_000, 5_000, 7_000, 11_000] {
        recv_nothing!(c, ms(at - 1));
        expect(&recv!(c, ms(at)), SYN, ISS, 0);
    }
    recv_nothing!(c, ms(18_999));
    assert_eq!(c.state(), State::SynSent);
    recv_nothing!(c, ms(19_000));
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.take_error(), Some(Errno::ETIMEDOUT));

    // The rfc profile counts: 3 retransmissions, then ETIMEDOUT.
    let mut c = syn_sent_with(&bare(Profile::rfc()), &so);
    for at in [1_000, 3_000, 7_000] {
        expect(&recv!(c, ms(at)), SYN, ISS, 0);
    }
    recv_nothing!(c, ms(15_000));
    assert_eq!(c.state(), State::Closed);
}
