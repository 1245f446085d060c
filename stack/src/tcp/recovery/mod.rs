//! Loss recovery beside congestion control (`congestion/` owns cwnd and
//! ssthresh): duplicate-ACK counting for RFC 3042 limited transmit, and,
//! when SACK is in use, RFC 6675 SACK-based loss recovery over the
//! [`scoreboard`]. Connections without SACK keep NewReno (RFC 6582).

pub mod prr;
pub mod scoreboard;

use crate::profile::{RecoveryCwnd, SackRetransmit};

use super::Connection;
use super::segment::Segment;
use super::seq::SeqNumber;
use prr::Prr;
use scoreboard::{NextSeg, Query, Rules, Scoreboard};

/// RFC 3042 §2: at most this many new segments on the first duplicate ACKs.
const LIMITED_TRANSMIT_SEGMENTS: u32 = 2;

/// Recovery state of a connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Recovery {
    /// Duplicate ACKs (RFC 5681 §2) since the last ACK of new data.
    pub dupacks: u32,
    /// Bytes sent beyond cwnd by limited transmit since then: not part of
    /// FlightSize when ssthresh is computed (RFC 6675 §5 step 4.2).
    pub lt_bytes: u32,
    /// What the peer SACKed (RFC 6675 §3).
    pub board: Scoreboard,
    /// RFC 6675 HighRxt, as the octet after it: the first octet not yet
    /// retransmitted during this recovery.
    pub high_rxt: SeqNumber,
    /// RFC 6675 RecoveryPoint, as the octet after it (SND.MAX when recovery
    /// began): `Some` while in SACK-based loss recovery.
    pub point: Option<SeqNumber>,
    /// RFC 6675 RescueRxt (NextSeg() rule 4).
    pub rescue_rxt: Option<SeqNumber>,
    /// RFC 6937 state (profile `recovery_cwnd` LinuxPrr).
    pub prr: Prr,
}

impl Recovery {
    /// RFC 5681 §2: a duplicate ACK arrived.
    pub fn on_duplicate_ack(&mut self) {
        self.dupacks = self.dupacks.saturating_add(1);
    }

    /// An ACK of new data: the duplicate count starts again.
    pub fn on_new_ack(&mut self) {
        self.dupacks = 0;
        self.lt_bytes = 0;
    }

    /// The scoreboard's invariants (SND.UNA ≤ every range ≤ SND.MAX) and
    /// HighRxt within the same bounds while recovering.
    pub fn check(&self, una: SeqNumber, nxt: SeqNumber) -> Result<(), String> {
        self.board.check(una, nxt)?;
        if let Some(p) = self.point {
            if p.gt(nxt) || self.high_rxt.gt(nxt) {
                return Err(format!(
                    "RecoveryPoint {p:?} or HighRxt {:?} beyond SND.MAX {nxt:?}",
                    self.high_rxt
                ));
            }
        }
        Ok(())
    }
}

impl Connection {
    /// SACK-based loss recovery (RFC 6675) is in progress.
    pub(crate) fn in_sack_recovery(&self) -> bool {
        self.recovery.point.is_some()
    }

    /// Linux `icsk_ca_state`: Disorder (1) while SACKed data is
    /// outstanding, otherwise what congestion control says.
    pub(crate) fn ca_state(&self) -> u8 {
        match self.cc.ca_state() {
            0 if !self.recovery.board.is_empty() => 1,
            s => s,
        }
    }

    /// Bytes that may be outstanding beyond cwnd for new data.
    ///
    /// RFC 3042 §2: "a TCP sender SHOULD send a new data segment in response
    /// to each of the first two duplicate acknowledgments that arrive at the
    /// sender", with "the congestion window ... not be changed": the amount
    /// outstanding may reach cwnd + 2 SMSS. With SACK, RFC 6675 §5 step (3)
    /// governs the same sending by pipe instead: SACKed data has left the
    /// network. Not during fast recovery, whose own rules apply.
    pub(crate) fn limited_transmit_allowance(&self) -> u32 {
        if self.cc.ca_state() > 1 {
            return 0;
        }
        if self.opts.sack_ok {
            return self.recovery.board.sacked_bytes();
        }
        let smss = self.opts.eff_snd_mss(&self.profile);
        self.recovery
            .dupacks
            .min(LIMITED_TRANSMIT_SEGMENTS)
            .saturating_mul(smss)
    }

    /// Counts bytes sent past cwnd by limited transmit.
    pub(crate) fn note_limited_transmit(&mut self, flight_before: u32, len: u32) {
        let cwnd = self.cc.cwnd();
        let over = (flight_before + len).saturating_sub(cwnd.max(flight_before));
        self.recovery.lt_bytes = self.recovery.lt_bytes.saturating_add(over);
    }

    /// RFC 6675 §5, for every acceptable ACK of a SACK connection (after
    /// SND.UNA moved): Update() the scoreboard, leave recovery at
    /// RecoveryPoint (A), or enter it (steps 1, 2, 4).
    /// `acked`: octets this ACK newly acknowledged cumulatively.
    pub(crate) fn sack_on_ack(&mut self, seg: &Segment, acked: u32) {
        if !self.opts.sack_ok {
            return;
        }
        let (una, nxt) = (self.tcb.snd_una, self.tcb.snd_max);
        // "Upon the receipt of any ACK containing SACK information, the
        // scoreboard MUST be updated via the Update () routine."
        let sacked_before = self.recovery.board.sacked_bytes();
        self.recovery.board.update(una, nxt, seg.sack_blocks());
        // Delivered by this ACK: newly ACKed or SACKed, each octet once.
        let delivered = (acked + self.recovery.board.sacked_bytes()).saturating_sub(sacked_before);
        self.recovery.high_rxt = self.recovery.high_rxt.max(una);
        if let Some(point) = self.recovery.point {
            // (A) "An incoming cumulative ACK for a sequence number greater
            // than RecoveryPoint signals the end of loss recovery".
            if una.ge(point) {
                self.recovery.point = None;
                self.cc.exit_recovery();
            } else {
                self.prr_on_ack(delivered, acked > 0);
            }
            return;
        }
        // RFC 6675 §5.1: after a timeout, no new recovery until HighACK
        // reaches the RecoveryPoint the timeout set (congestion control's
        // loss state lasts exactly that long).
        if self.cc.ca_state() >= 3 {
            return;
        }
        let smss = self.opts.eff_snd_mss(&self.profile);
        let dupthresh = self.profile.dupack_threshold.max(1);
        // (1) "If DupAcks >= DupThresh, go to step (4)." (2) "If DupAcks <
        // DupThresh but IsLost (HighACK + 1) returns true ... go to step (4)."
        if self.recovery.dupacks >= dupthresh || self.recovery.board.is_lost(una, dupthresh, smss) {
            self.enter_sack_recovery();
            self.prr_on_ack(delivered, acked > 0);
        }
    }

    /// RFC 6937 (Linux `tcp_cwnd_reduction`): cwnd for this ACK.
    fn prr_on_ack(&mut self, delivered: u32, una_advanced: bool) {
        if self.profile.recovery_cwnd != RecoveryCwnd::LinuxPrr {
            return;
        }
        let smss = self.opts.eff_snd_mss(&self.profile).max(1);
        let pipe = self.recovery.board.pipe(&self.sack_query()).div_ceil(smss);
        let ssthresh = self.cc.ssthresh() / smss;
        let delivered = delivered.div_ceil(smss);
        if let Some(cwnd) = self
            .recovery
            .prr
            .on_ack(pipe, ssthresh, delivered, una_advanced)
        {
            self.cc.set_recovery_cwnd(cwnd.saturating_mul(smss));
        }
    }

    /// RFC 6937 prr_out: a segment left during recovery.
    pub(crate) fn note_recovery_sent(&mut self) {
        self.recovery.prr.out = self.recovery.prr.out.saturating_add(1);
    }

    /// RFC 6675 §5 step (4).
    fn enter_sack_recovery(&mut self) {
        let (una, nxt) = (self.tcb.snd_una, self.tcb.snd_max);
        let smss = self.opts.eff_snd_mss(&self.profile).max(1);
        // (4.1) "RecoveryPoint = HighData".
        self.recovery.point = Some(nxt);
        self.recovery.rescue_rxt = None;
        self.recovery.high_rxt = una;
        // (4.2) "ssthresh = cwnd = (FlightSize / 2)", FlightSize without
        // the segments limited transmit sent; Linux halves cwnd instead
        // (`tcp_reno_ssthresh`) and starts PRR from it.
        let base = match self.profile.recovery_cwnd {
            RecoveryCwnd::Rfc6675 => self.tcb.in_flight().saturating_sub(self.recovery.lt_bytes),
            // In whole segments, halved rounding down (packets >> 1).
            RecoveryCwnd::LinuxPrr => self.cc.cwnd() / smss / 2 * 2 * smss,
        };
        self.recovery.prr = Prr::start(self.cc.cwnd() / smss);
        let snd_max = self.stats.seq_acked + u64::from(self.tcb.in_flight());
        self.cc.enter_recovery(base, snd_max);
        // (4.3) "Retransmit the first data segment presumed dropped -- the
        // segment starting with sequence number HighACK + 1."
        self.retransmit_head = true;
    }

    /// A retransmission timeout ends loss recovery (RFC 6675 §5.1: "the
    /// loss recovery algorithm outlined in this document MUST be
    /// terminated") and, the receiver having perhaps reneged, forgets what
    /// it SACKed (RFC 2018 §8: "After a retransmit timeout the data sender
    /// SHOULD turn off all of the SACKed bits").
    pub(crate) fn recovery_on_timeout(&mut self) {
        self.recovery.point = None;
        self.recovery.board.clear();
        self.recovery.dupacks = 0;
        self.recovery.lt_bytes = 0;
        self.recovery.high_rxt = self.tcb.snd_una;
    }

    /// RFC 6675 §5 (C): "If cwnd - pipe >= 1 SMSS", what NextSeg() chooses.
    pub(crate) fn sack_next_seg(&self) -> NextSeg {
        let smss = self.opts.eff_snd_mss(&self.profile);
        let q = self.sack_query();
        let pipe = self.recovery.board.pipe(&q);
        if self.cc.cwnd() < pipe.saturating_add(smss) {
            return NextSeg::Nothing;
        }
        let (una, max) = (self.tcb.snd_una, self.tcb.snd_max);
        let new_data = self.tcb.snd_nxt == max
            && self.sndbuf.available_from(max) > 0
            && (una + self.tcb.snd_wnd).gt(max);
        let full = self.profile.sack_retransmit == SackRetransmit::Rfc6675;
        let rules = Rules {
            rule3: full,
            rescue: full && self.recovery.rescue_rxt.is_none_or(|r| una.gt(r)),
            new_data,
        };
        self.recovery.board.next_seg(&q, rules)
    }

    /// RFC 6675 (C.2): after a retransmission of [seq, end) in recovery.
    pub(crate) fn sack_retransmitted(&mut self, end: SeqNumber, rescue: bool) {
        if rescue {
            // Rule (4): "RescueRxt set to RecoveryPoint. HighRxt MUST NOT
            // be updated."
            self.recovery.rescue_rxt = self.recovery.point;
        } else {
            self.recovery.high_rxt = self.recovery.high_rxt.max(end);
        }
    }

    fn sack_query(&self) -> Query {
        Query {
            una: self.tcb.snd_una,
            high_data: self.tcb.snd_max,
            high_rxt: self.recovery.high_rxt.max(self.tcb.snd_una),
            dupthresh: self.profile.dupack_threshold.max(1),
            smss: self.opts.eff_snd_mss(&self.profile),
        }
    }

    /// tcp_info's `sacked`, `lost` and `retrans`, in segments of SMSS.
    pub(crate) fn recovery_counts(&self) -> (u64, u64, u64) {
        let smss = self.opts.eff_snd_mss(&self.profile).max(1);
        let segs = |b: u32| u64::from(b.div_ceil(smss));
        let board = &self.recovery.board;
        let sacked = board.ranges().iter().map(|r| segs(r.right - r.left)).sum();
        let q = self.sack_query();
        let (mut lost, mut retrans) = (0, 0);
        for (s, e) in board.holes(q.una, q.high_data) {
            if self.in_sack_recovery() && board.is_lost(s, q.dupthresh, smss) {
                lost += segs(e - s);
            }
            let rxt_end = q.high_rxt.min(e);
            if self.in_sack_recovery() && rxt_end.gt(s) {
                retrans += segs(rxt_end - s);
            }
        }
        (sacked, lost, retrans)
    }
}
