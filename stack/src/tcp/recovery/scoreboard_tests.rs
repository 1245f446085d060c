//! Table-driven tests of the RFC 6675 §4 routines, and a property test of
//! the scoreboard's invariants. Sequence numbers are offsets from a base
//! just below 2^32, so that every table also crosses the wrap-around.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;

use super::*;

const BASE: u32 = 0xFFFF_F000;
const MSS: u32 = 1000;

fn s(off: u32) -> SeqNumber {
    SeqNumber(BASE.wrapping_add(off))
}

fn blocks(b: &[(u32, u32)]) -> Vec<SackBlock> {
    b.iter()
        .map(|&(l, r)| SackBlock {
            left: s(l),
            right: s(r),
        })
        .collect()
}

/// A scoreboard after one ACK of `una` carrying `b`, with `nxt` sent.
/// SACK ranges as (left, right) offsets.
type Ranges = &'static [(u32, u32)];

fn board(una: u32, nxt: u32, b: &[(u32, u32)]) -> Scoreboard {
    let mut sb = Scoreboard::default();
    sb.update(s(una), s(nxt), &blocks(b));
    sb
}

fn offsets(sb: &Scoreboard) -> Vec<(u32, u32)> {
    sb.ranges()
        .iter()
        .map(|r| (r.left - s(0), r.right - s(0)))
        .collect()
}

fn query(una: u32, nxt: u32, high_rxt: u32) -> Query {
    Query {
        una: s(una),
        high_data: s(nxt),
        high_rxt: s(high_rxt),
        dupthresh: 3,
        smss: MSS,
    }
}

#[test]
fn update_merges_clamps_and_ignores_invalid_blocks() {
    // (una, blocks of successive ACKs, newly SACKed by the last, ranges kept)
    type Case = (
        u32,
        &'static [&'static [(u32, u32)]],
        u32,
        &'static [(u32, u32)],
    );
    let table: &[Case] = &[
        // One block, then the same again: nothing new.
        (0, &[&[(1000, 2000)], &[(1000, 2000)]], 0, &[(1000, 2000)]),
        // Growing block (each dupack SACKs one more segment).
        (
            0,
            &[&[(1000, 2000)], &[(1000, 3000)]],
            1000,
            &[(1000, 3000)],
        ),
        // Two blocks in one option, given out of order.
        (
            0,
            &[&[(5000, 6000), (1000, 2000)]],
            2000,
            &[(1000, 2000), (5000, 6000)],
        ),
        // Adjacent ranges coalesce; a filling block merges three.
        (
            0,
            &[&[(1000, 2000), (3000, 4000)], &[(2000, 3000)]],
            1000,
            &[(1000, 4000)],
        ),
        // Overlapping blocks.
        (0, &[&[(1000, 2500)], &[(2000, 3000)]], 500, &[(1000, 3000)]),
        // A D-SACK below SND.UNA (RFC 2883) reports nothing.
        (2000, &[&[(0, 1000)]], 0, &[]),
        // A block reaching beyond SND.NXT is invalid: ignored whole.
        (0, &[&[(9000, 11000)]], 0, &[]),
        // Empty and inverted blocks are ignored.
        (0, &[&[(3000, 3000), (4000, 3500)]], 0, &[]),
        // A block straddling SND.UNA keeps only what lies above it.
        (1500, &[&[(1000, 2000)]], 500, &[(1500, 2000)]),
    ];
    for (una, acks, new, kept) in table {
        let mut sb = Scoreboard::default();
        let mut last = 0;
        for b in *acks {
            last = sb.update(s(*una), s(10_000), &blocks(b));
        }
        assert_eq!(last, *new, "newly SACKed for {acks:?}");
        assert_eq!(offsets(&sb), *kept, "ranges for {acks:?}");
        sb.check(s(*una), s(10_000)).unwrap();
    }
}

#[test]
fn cumulative_ack_trims_and_drops_ranges() {
    let mut sb = board(0, 10_000, &[(1000, 2000), (3000, 5000), (7000, 8000)]);
    sb.ack_to(s(4000));
    assert_eq!(offsets(&sb), [(4000, 5000), (7000, 8000)]);
    sb.ack_to(s(8000));
    assert!(sb.is_empty());
}

#[test]
fn reneging_is_safe_sacked_data_is_only_advisory() {
    // RFC 2018 §8: SACK is advisory, the receiver may discard (renege on)
    // data it SACKed. An ACK that stops listing a range does not clear it;
    // the sender keeps the data until cumulatively ACKed (the send buffer
    // frees only below SND.UNA), and a timeout forgets every SACK.
    let mut sb = board(0, 6000, &[(1000, 4000)]);
    sb.update(s(0), s(6000), &[]);
    assert_eq!(
        offsets(&sb),
        [(1000, 4000)],
        "an ACK without SACK clears nothing"
    );
    // The sender's timeout forgets it all (RFC 2018 §8 SHOULD).
    sb.clear();
    assert_eq!(
        sb.pipe(&query(0, 6000, 0)),
        6000,
        "everything counts as in flight"
    );
    // A block beyond what was sent never enters the board, so a confused or
    // hostile receiver cannot make unsent data look delivered.
    let mut sb = Scoreboard::default();
    assert_eq!(sb.update(s(0), s(6000), &blocks(&[(5000, 7000)])), 0);
    assert!(sb.is_empty());
}

#[test]
fn is_lost_counts_discontiguous_ranges_or_bytes_above() {
    // RFC 6675 §4 IsLost(): DupThresh (3) discontiguous SACKed ranges above,
    // or more than (DupThresh - 1) * SMSS = 2000 bytes SACKed above.
    let table: &[(Ranges, u32, bool)] = &[
        (&[(1000, 3000)], 0, false), // 2000 bytes: not more than 2000
        (&[(1000, 3001)], 0, true),  // 2001 bytes
        (&[(1000, 4000)], 0, true),  // three segments
        (&[(1000, 1100), (2000, 2100), (3000, 3100)], 0, true), // three small ranges
        (&[(1000, 1100), (2000, 2100)], 0, false), // two small ranges
        (&[(1000, 4000)], 999, true), // the last octet of the hole
        (&[(1000, 4000)], 4000, false), // above every SACK
        (&[(1000, 2000), (3000, 6000)], 2000, true), // second hole: 3000 above
        (&[(1000, 2000), (3000, 4000)], 2000, false),
        // Octets inside a range count only the part above them.
        (&[(1000, 4000)], 1500, true),
        (&[(1000, 4000)], 2500, false),
    ];
    for (b, seq, lost) in table {
        let sb = board(0, 10_000, b);
        assert_eq!(
            sb.is_lost(s(*seq), 3, MSS),
            *lost,
            "IsLost({seq}) with {b:?}"
        );
    }
    // DupThresh follows tcp_reordering.
    let sb = board(0, 10_000, &[(1000, 2000)]);
    assert!(sb.is_lost(s(0), 1, MSS));
}

#[test]
fn set_pipe_counts_unsacked_unlost_and_retransmitted_octets() {
    // (blocks, una, high_data, high_rxt, pipe)
    let table: &[(Ranges, u32, u32, u32, u32)] = &[
        // No SACK: everything outstanding.
        (&[], 0, 10_000, 0, 10_000),
        // One segment SACKed, nothing lost: FlightSize minus SACKed.
        (&[(1000, 2000)], 0, 10_000, 0, 9000),
        // Segment 0 lost (3 SACKed above): it leaves the pipe...
        (&[(1000, 4000)], 0, 10_000, 0, 6000),
        // ...and comes back once retransmitted.
        (&[(1000, 4000)], 0, 10_000, 1000, 7000),
        // Two lost holes, the first retransmitted.
        (&[(1000, 4000), (5000, 8000)], 0, 10_000, 1000, 3000),
        // A hole with fewer SACKed above is not lost: counted.
        (&[(1000, 4000), (5000, 6000)], 0, 10_000, 0, 1000 + 4000),
        // Everything SACKed but the head.
        (&[(1000, 10_000)], 0, 10_000, 0, 0),
    ];
    for (b, una, nxt, rxt, pipe) in table {
        let sb = board(*una, *nxt, b);
        assert_eq!(
            sb.pipe(&query(*una, *nxt, *rxt)),
            *pipe,
            "pipe with {b:?} HighRxt {rxt}"
        );
    }
}

#[test]
fn next_seg_picks_the_lost_hole_then_new_data_then_the_rest() {
    let all = Rules {
        rule3: true,
        rescue: true,
        new_data: true,
    };
    let no_new = Rules {
        new_data: false,
        ..all
    };
    let lost_only = Rules {
        rule3: false,
        rescue: false,
        new_data: false,
    };
    let rt = |seq: u32, len: u32, rule: u8| NextSeg::Retransmit {
        seq: s(seq),
        len,
        rule,
    };
    // (blocks, high_rxt, rules, expected)
    let table: &[(Ranges, u32, Rules, NextSeg)] = &[
        // (1) the lowest lost hole: the head.
        (&[(1000, 4000)], 0, all, rt(0, 1000, 1)),
        // (1) a middle hole, once the head is retransmitted (HighRxt).
        (&[(1000, 4000), (5000, 9000)], 1000, all, rt(4000, 1000, 1)),
        // (1) a hole wider than SMSS: one segment at a time.
        (&[(3000, 6000)], 1000, all, rt(1000, 1000, 1)),
        // (1) a hole narrower than SMSS is resent as it is.
        (&[(500, 4000)], 0, all, rt(0, 500, 1)),
        // (2) holes not lost: new data first.
        (&[(1000, 2000)], 0, all, NextSeg::NewData),
        // (2) after every lost hole is retransmitted.
        (&[(1000, 4000)], 1000, all, NextSeg::NewData),
        // (3) no new data: a hole not deemed lost, below the highest SACK.
        (&[(1000, 2000)], 0, no_new, rt(0, 1000, 3)),
        // (4) rescue: the highest unSACKed octet (above every SACK).
        (
            &[(1000, 4000)],
            1000,
            no_new,
            NextSeg::Rescue {
                seq: s(9000),
                len: 1000,
            },
        ),
        // Linux: only lost segments are retransmitted (no rules 3 and 4).
        (&[(1000, 2000)], 0, lost_only, NextSeg::Nothing),
        (&[(1000, 4000)], 0, lost_only, rt(0, 1000, 1)),
        // (1.b) nothing above the highest SACK is a rule (1) candidate.
        (&[(1000, 10_000)], 1000, lost_only, NextSeg::Nothing),
    ];
    for (b, rxt, rules, want) in table {
        let sb = board(0, 10_000, b);
        assert_eq!(
            sb.next_seg(&query(0, 10_000, *rxt), *rules),
            *want,
            "{b:?} HighRxt {rxt} {rules:?}"
        );
    }
}

#[test]
fn holes_cover_exactly_the_unsacked_octets() {
    let sb = board(0, 10_000, &[(1000, 2000), (3000, 4000)]);
    let h: Vec<(u32, u32)> = sb
        .holes(s(0), s(10_000))
        .map(|(a, b)| (a - s(0), b - s(0)))
        .collect();
    assert_eq!(h, [(0, 1000), (2000, 3000), (4000, 10_000)]);
    let sb = board(0, 4000, &[(0, 4000)]);
    assert_eq!(sb.holes(s(0), s(4000)).count(), 0);
}

#[test]
fn memory_is_bounded() {
    let mut sb = Scoreboard::default();
    for i in 0..100u32 {
        sb.update(
            s(0),
            s(1_000_000),
            &blocks(&[(i * 2000 + 1000, i * 2000 + 2000)]),
        );
    }
    assert_eq!(sb.ranges().len(), MAX_RANGES);
    // The lowest ranges are the ones kept (those the next retransmissions
    // need); the ones dropped are merely retransmitted again if needed.
    assert_eq!(offsets(&sb)[0], (1000, 2000));
    sb.check(s(0), s(1_000_000)).unwrap();
}

/// One step of the property test: data sent, an ACK with SACK blocks.
#[derive(Clone, Debug)]
enum Op {
    Send(u32),
    Ack {
        advance: u32,
        blocks: Vec<(u32, u32)>,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1u32..5000).prop_map(Op::Send),
        (
            0u32..3000,
            prop::collection::vec((0u32..20_000, 0u32..5000), 0..4)
        )
            .prop_map(|(advance, blocks)| Op::Ack { advance, blocks }),
    ]
}

proptest! {
    /// Whatever the receiver reports: ranges stay sorted, disjoint and
    /// within [SND.UNA, SND.NXT]; no more than MAX_RANGES; pipe never
    /// exceeds twice the outstanding data (original + retransmission) and
    /// SACKed + pipe-without-retransmissions never exceeds FlightSize.
    #[test]
    fn scoreboard_invariants_hold(start in any::<u32>(), ops in prop::collection::vec(op(), 1..60)) {
        let mut sb = Scoreboard::default();
        let una0 = SeqNumber(start);
        let (mut una, mut nxt) = (una0, una0);
        for op in ops {
            match op {
                Op::Send(n) => nxt += n,
                Op::Ack { advance, blocks } => {
                    una = (una + advance).min(nxt);
                    let b: Vec<SackBlock> = blocks
                        .iter()
                        .map(|&(off, len)| SackBlock { left: una0 + off, right: una0 + off + len })
                        .collect();
                    sb.update(una, nxt, &b);
                }
            }
            prop_assert!(sb.check(una, nxt).is_ok(), "{:?}", sb.check(una, nxt));
            let flight = nxt - una;
            let q = Query { una, high_data: nxt, high_rxt: una, dupthresh: 3, smss: MSS };
            let pipe = sb.pipe(&q);
            prop_assert!(pipe + sb.sacked_bytes() <= flight);
            let q_all = Query { high_rxt: nxt, ..q };
            prop_assert!(sb.pipe(&q_all) <= 2 * flight);
            let holes: u32 = sb.holes(una, nxt).map(|(a, b)| b - a).sum();
            prop_assert_eq!(holes + sb.sacked_bytes(), flight);
            // NextSeg() only ever names unSACKed, outstanding octets.
            let rules = Rules { rule3: true, rescue: true, new_data: false };
            match sb.next_seg(&q, rules) {
                NextSeg::Retransmit { seq, len, .. } | NextSeg::Rescue { seq, len } => {
                    prop_assert!(len > 0 && len <= MSS);
                    prop_assert!(seq.ge(una) && (seq + len).le(nxt));
                    prop_assert!(!sb.is_sacked(seq) && !sb.is_sacked(seq + len - 1));
                }
                NextSeg::NewData => prop_assert!(false, "new data was not allowed"),
                NextSeg::Nothing => prop_assert_eq!(holes, 0),
            }
        }
    }
}
