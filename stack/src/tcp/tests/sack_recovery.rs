//! RFC 6675 SACK-based loss recovery at the connection level: which
//! segments go out after a given pattern of ACKs, in both profiles.

use super::*;
use crate::tcp::SackBlock;

const D: u32 = IRS + 1;
const S: u32 = ISS + 1;

/// ESTABLISHED with SACK (no timestamps or window scaling), peer MSS 1000,
/// TCP_NODELAY; `n` segments of 1000 bytes written and sent at time 0.
/// No tail loss probes: the handshake took no time, so a probe would be
/// due within a millisecond.
fn sent(p: Profile, n: u32) -> Connection {
    let mut p = bare(p);
    p.sack = true;
    p.tlp = false;
    let so = SockOpts {
        nodelay: true,
        ..SockOpts::default()
    };
    let syn = pkt(SYN, IRS, 0).opts(vec![TcpOpt::Mss(1000), TcpOpt::SackPermitted]);
    let mut c = established_from(&p, &so, syn);
    for _ in 0..n {
        c.send(ms(0), &[7; 1000]).unwrap();
    }
    let out = std::iter::from_fn(|| c.poll_transmit(ms(0))).count() as u32;
    assert_eq!(out, n.min(initial_segments(&p)));
    c
}

fn initial_segments(p: &Profile) -> u32 {
    match p.kind {
        crate::profile::ProfileKind::Linux => 10,
        crate::profile::ProfileKind::Rfc => 4,
    }
}

/// An ACK of `ack` (offset from S) with SACK blocks (offsets from S).
fn sack(ack: u32, blocks: &[(u32, u32)]) -> Segment {
    let b = blocks
        .iter()
        .map(|&(l, r)| SackBlock {
            left: SeqNumber(S + l),
            right: SeqNumber(S + r),
        })
        .collect();
    pkt(ACK, D, S + ack).opts(vec![TcpOpt::Sack(b)])
}

/// Offsets (from S) of every segment sent now.
fn drain(c: &mut Connection, t: u64) -> Vec<u32> {
    std::iter::from_fn(|| c.poll_transmit(ms(t)))
        .map(|s| s.seq.0 - S)
        .collect()
}

#[test]
fn dupthresh_sacked_segments_above_a_middle_hole_retransmit_that_hole() {
    // RFC 6675 §5 steps (2) and (4.3); Linux 6.18 (corpus/tcp/recovery/
    // sack-middle-hole.pkt): cwnd 12 -> ssthresh 6, PRR cwnd 5.
    let mut c = sent(Profile::linux(), 10);
    send!(c, ms(10), pkt(ACK, D, S + 2000));
    assert_eq!(drain(&mut c, 10), Vec::<u32>::new());
    send!(c, ms(10), sack(2000, &[(3000, 4000)]));
    send!(c, ms(10), sack(2000, &[(3000, 5000)]));
    assert_eq!(drain(&mut c, 10), Vec::<u32>::new(), "no data to send");
    assert_eq!(c.tcp_info(ms(10)).get("ca_state"), Some(1));
    send!(c, ms(10), sack(2000, &[(3000, 6000)]));
    assert_eq!(drain(&mut c, 10), [2000], "the hole, once");
    let i = c.tcp_info(ms(10));
    let got = [
        "ca_state",
        "snd_ssthresh",
        "snd_cwnd",
        "sacked",
        "lost",
        "retrans",
    ]
    .map(|f| i.get(f).unwrap());
    assert_eq!(got, [3, 6, 5, 3, 1, 1]);
}

#[test]
fn recovery_starts_on_is_lost_even_before_three_duplicates() {
    // RFC 6675 §5 step (2): one ACK SACKing three segments above the hole.
    for p in [Profile::linux(), Profile::rfc()] {
        let mut c = sent(p, 10);
        let n = initial_segments(&p) * 1000;
        send!(c, ms(10), sack(0, &[(1000, n)]));
        let out = drain(&mut c, 10);
        assert_eq!(out.first(), Some(&0), "{:?}: {out:?}", p.kind);
        assert_eq!(c.tcp_info(ms(10)).get("ca_state"), Some(3));
    }
}

#[test]
fn two_holes_are_retransmitted_lowest_first_never_a_sacked_segment() {
    let mut c = sent(Profile::linux(), 10);
    send!(c, ms(10), pkt(ACK, D, S + 1000));
    send!(c, ms(10), sack(1000, &[(2000, 3000)]));
    send!(c, ms(10), sack(1000, &[(2000, 4000)]));
    send!(c, ms(10), sack(1000, &[(2000, 5000)]));
    assert_eq!(drain(&mut c, 10), [1000]);
    send!(c, ms(10), sack(1000, &[(2000, 5000), (6000, 9000)]));
    assert_eq!(drain(&mut c, 10), [5000], "the second hole, not 1000 again");
    let i = c.tcp_info(ms(10));
    assert_eq!(
        ["sacked", "lost", "retrans", "snd_cwnd"].map(|f| i.get(f).unwrap()),
        [6, 2, 2, 5]
    );
    // Recovery ends at RecoveryPoint (RFC 6675 §5 (A)): cwnd = ssthresh.
    send!(c, ms(20), pkt(ACK, D, S + 10_000));
    let i = c.tcp_info(ms(20));
    assert_eq!(
        [
            "ca_state",
            "snd_cwnd",
            "snd_ssthresh",
            "sacked",
            "lost",
            "retrans"
        ]
        .map(|f| i.get(f).unwrap()),
        [0, 5, 5, 0, 0, 0]
    );
}

#[test]
fn a_partial_ack_keeps_recovery_until_recovery_point() {
    // rfc: IW 4 segments (RFC 5681 §3.1, SMSS 1000), more data waiting.
    let mut c = sent(Profile::rfc(), 4);
    c.send(ms(0), &[1; 20_000]).unwrap();
    send!(c, ms(10), sack(0, &[(1000, 2000)]));
    assert_eq!(drain(&mut c, 10), [4000], "pipe-based limited transmit");
    send!(c, ms(10), sack(0, &[(1000, 3000)]));
    assert_eq!(drain(&mut c, 10), [5000]);
    // Third duplicate: DupAcks >= DupThresh (step 1). FlightSize excludes
    // the two limited-transmit segments: ssthresh = cwnd = 4000/2.
    send!(c, ms(10), sack(0, &[(1000, 4000)]));
    let out = drain(&mut c, 10);
    assert_eq!(out.first(), Some(&0), "step (4.3): HighACK + 1 first");
    assert_eq!(c.tcp_info(ms(10)).get("snd_ssthresh"), Some(2));
    assert_eq!(c.tcp_info(ms(10)).get("snd_cwnd"), Some(2));
    // A partial ACK: still recovering (RecoveryPoint is 6000).
    send!(c, ms(20), sack(4000, &[]));
    assert_eq!(c.tcp_info(ms(20)).get("ca_state"), Some(3));
    send!(c, ms(30), pkt(ACK, D, S + 6000));
    assert_eq!(c.tcp_info(ms(30)).get("ca_state"), Some(0));
}

#[test]
fn rfc_profile_retransmits_an_unlost_hole_by_rule_3() {
    // RFC 6675 §4 NextSeg() rule (3), which Linux does not have: three
    // duplicates SACKing one segment enter recovery by DupAcks (step 1)
    // though no hole is "lost"; the head goes first (4.3), then, with no
    // new data and room in cwnd - pipe, a hole below the highest SACK.
    let mut c = sent(Profile::rfc(), 4);
    for _ in 0..3 {
        send!(c, ms(10), sack(0, &[(1000, 2000)]));
    }
    assert_eq!(drain(&mut c, 10), [0]);
    assert_eq!(c.tcp_info(ms(10)).get("ca_state"), Some(3));
    // cwnd = ssthresh = 2000. The retransmission is ACKed, then 3000..4000
    // SACKed: pipe is the unlost hole 2000..3000 alone.
    send!(c, ms(20), sack(1000, &[(1000, 2000)]));
    send!(c, ms(20), sack(2000, &[(3000, 4000)]));
    let out = drain(&mut c, 20);
    assert_eq!(out, [2000], "rule (3): the hole below the highest SACK");
    // And the Linux profile, with only lost segments, sends nothing more.
    let mut c = sent(Profile::linux(), 4);
    for _ in 0..3 {
        send!(c, ms(10), sack(0, &[(1000, 2000)]));
    }
    assert_eq!(drain(&mut c, 10), [0]);
    send!(c, ms(20), sack(2000, &[(3000, 4000)]));
    assert_eq!(drain(&mut c, 20), Vec::<u32>::new());
}

#[test]
fn a_timeout_ends_recovery_and_forgets_sacks() {
    // RFC 6675 §5.1, RFC 2018 §8.
    let mut c = sent(Profile::linux(), 10);
    send!(c, ms(10), sack(0, &[(1000, 4000)]));
    assert_eq!(drain(&mut c, 10), [0]);
    let rto = c.timer(TimerKind::Retransmit).unwrap();
    let out = drain(&mut c, rto.as_micros() / 1000);
    assert_eq!(out, [0], "go-back-N from SND.UNA, one segment");
    let i = c.tcp_info(rto);
    assert_eq!(["ca_state", "sacked"].map(|f| i.get(f).unwrap()), [4, 0]);
    // No new recovery before SND.UNA passes the old RecoveryPoint.
    send!(c, rto + dur_ms(1), sack(0, &[(1000, 6000)]));
    assert_eq!(c.tcp_info(rto + dur_ms(1)).get("ca_state"), Some(4));
}

#[test]
fn sack_blocks_outside_the_window_change_nothing() {
    // Blocks beyond SND.NXT or below SND.UNA (D-SACK) are not SACK
    // information: no recovery, nothing retransmitted.
    let mut c = sent(Profile::linux(), 10);
    send!(c, ms(10), pkt(ACK, D, S + 2000));
    send!(c, ms(10), sack(2000, &[(20_000, 30_000)]));
    send!(c, ms(10), sack(2000, &[(0, 1000)]));
    assert_eq!(drain(&mut c, 10), Vec::<u32>::new());
    assert_eq!(c.tcp_info(ms(10)).get("sacked"), Some(0));
}
