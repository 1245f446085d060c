//! §3.10.7.4 first step: check the sequence number (with RFC 7323 PAWS in
//! front of it), and the two SYN cases handled before it.

use core::ops::ControlFlow;

use crate::profile::TimeWaitReopen;
use crate::time::Instant;

use super::super::state::State;
use super::super::timer::TimerKind;
use super::super::{Connection, DropReason, Segment, SegmentOutcome};
use super::{Step, Trimmed};

/// RFC 9293 §3.10.7.4 Table 6: the four cases of the acceptability test.
pub(crate) fn acceptable(
    seg_seq: super::SeqNumber,
    seg_len: u32,
    rcv_nxt: super::SeqNumber,
    rcv_wnd: u32,
) -> bool {
    match (seg_len, rcv_wnd) {
        // SEG.SEQ = RCV.NXT
        (0, 0) => seg_seq == rcv_nxt,
        // RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
        (0, _) => seg_seq.in_window(rcv_nxt, rcv_wnd),
        // not acceptable
        (_, 0) => false,
        // RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND or
        // RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
        (_, _) => {
            seg_seq.in_window(rcv_nxt, rcv_wnd)
                || (seg_seq + (seg_len - 1)).in_window(rcv_nxt, rcv_wnd)
        }
    }
}

impl Connection {
    /// Cases decided before the sequence check.
    pub(super) fn before_sequence_check(&mut self, now: Instant, seg: &Segment) -> Step {
        let bare_syn = seg.flags.syn() && !seg.flags.ack() && !seg.flags.rst();
        // A retransmitted SYN in SYN-RECEIVED: our SYN-ACK was lost;
        // retransmit it (it would otherwise only get an ACK, which a peer in
        // SYN-SENT drops per §3.10.7.3 fifth step).
        if self.state == State::SynReceived && bare_syn && seg.seq == self.tcb.irs {
            self.syn_pending = true;
            return ControlFlow::Break(SegmentOutcome::Accepted);
        }
        // A SYN for a connection in TIME-WAIT may start a new incarnation
        // (RFC 9293 §3.10.7.4 first step note, RFC 6191).
        if self.state == State::TimeWait && bare_syn && self.time_wait_accepts_syn(seg) {
            self.enter_closed();
            return ControlFlow::Break(SegmentOutcome::TimeWaitReopen);
        }
        let _ = now;
        ControlFlow::Continue(())
    }

    fn time_wait_accepts_syn(&self, seg: &Segment) -> bool {
        let seq_newer = seg.seq.gt(self.tcb.rcv_nxt);
        let ts_newer = match (self.opts.ts_ok, seg.timestamps()) {
            (true, Some((tsval, _))) => (tsval.wrapping_sub(self.opts.ts_recent) as i32) > 0,
            _ => false,
        };
        match self.profile.time_wait_reopen {
            // Linux tcp_timewait_state_process.
            TimeWaitReopen::SeqOrTimestamp => seq_newer || ts_newer,
            // RFC 6191 §2: timestamps decide when both incarnations use them;
            // otherwise the sequence number does (RFC 1122 §4.2.2.13).
            TimeWaitReopen::Rfc6191 => match (self.opts.ts_ok, seg.timestamps()) {
                (true, Some(_)) => ts_newer,
                _ => seq_newer,
            },
        }
    }

    /// RFC 7323 §5.3 (PAWS) then RFC 9293 §3.10.7.4 first step. Continues
    /// with the segment trimmed to the window.
    pub(super) fn check_sequence<'a>(
        &mut self,
        now: Instant,
        seg: &'a Segment,
    ) -> ControlFlow<SegmentOutcome, Trimmed<'a>> {
        // RFC 7323 §5.3 R1: "If there is a Timestamps option in the arriving
        // segment, SEG.TSval < TS.Recent, TS.Recent is valid, and the RST bit
        // is off, then treat the arriving segment as not acceptable: Send an
        // acknowledgment in reply as specified in RFC 793 page 69 and drop
        // the segment."
        let paws = seg
            .timestamps()
            .is_some_and(|(tsval, _)| self.opts.paws_rejects(tsval, now));
        if paws && !seg.flags.rst() {
            let sent = self.ack_unacceptable(now, seg);
            return ControlFlow::Break(SegmentOutcome::Dropped(DropReason::Paws {
                ack_sent: sent,
            }));
        }
        let len = seg.seg_len();
        let wnd = self.tcb.rcv_window();
        let rcv_nxt = self.tcb.rcv_nxt;
        let ok = acceptable(seg.seq, len, rcv_nxt, wnd)
            // "If the RCV.WND is zero, no segments will be acceptable, but
            // special allowance should be made to accept valid ACKs, URGs,
            // and RSTs": a segment at RCV.NXT is processed with its text
            // trimmed away.
            || (wnd == 0 && seg.seq == rcv_nxt);
        if !ok {
            // TIME-WAIT: "The only thing that can arrive in this state is a
            // retransmission of the remote FIN. Acknowledge it, and restart
            // the 2 MSL timeout."
            if self.state == State::TimeWait && seg.flags.fin() && !seg.flags.rst() {
                self.restart_time_wait(now);
            }
            // "If an incoming segment is not acceptable, an acknowledgment
            // should be sent in reply (unless the RST bit is set, if so drop
            // the segment and return)".
            let sent = !seg.flags.rst() && self.ack_unacceptable(now, seg);
            return ControlFlow::Break(SegmentOutcome::Dropped(DropReason::Unacceptable {
                ack_sent: sent,
            }));
        }
        let trimmed = Trimmed {
            seq: seg.seq,
            data: &seg.payload,
            fin: seg.flags.fin(),
        };
        let trimmed = self.trim_front(trimmed, seg.flags.syn());
        ControlFlow::Continue(self.trim_to_window(trimmed))
    }

    /// Queues the ACK for an unacceptable segment. Linux rate-limits these
    /// for segments without data (`tcp_oow_rate_limited`, one per
    /// `tcp_invalid_ratelimit`), to avoid ACK loops. Returns whether queued.
    fn ack_unacceptable(&mut self, now: Instant, seg: &Segment) -> bool {
        let pure = seg.payload.is_empty() || seg.flags.syn();
        if pure {
            let limit = crate::profile::ChallengeAckLimit {
                count: 1,
                per: self.profile.invalid_ratelimit,
            };
            if !self.oow_ack.allow(now, limit) {
                return false;
            }
        }
        self.ack.now = true;
        true
    }

    /// Removes the SYN and any data before RCV.NXT ("If a segment's contents
    /// straddle the boundary between old and new, only the new parts are
    /// processed").
    fn trim_front<'a>(&self, mut t: Trimmed<'a>, syn: bool) -> Trimmed<'a> {
        let rcv_nxt = self.tcb.rcv_nxt;
        if syn && t.seq.lt(rcv_nxt) {
            t.seq += 1;
        }
        if t.seq.lt(rcv_nxt) {
            let skip = ((rcv_nxt - t.seq) as usize).min(t.data.len());
            t.data = &t.data[skip..];
            t.seq += skip as u32;
            if t.seq.lt(rcv_nxt) {
                // The FIN itself is old too.
                t.fin = false;
                t.seq = rcv_nxt;
            }
        }
        t
    }

    /// Cuts text (and the FIN) beyond RCV.NXT+RCV.WND ("trimming off any
    /// portions that lie outside the window (including SYN and FIN)").
    pub(super) fn trim_to_window<'a>(&self, mut t: Trimmed<'a>) -> Trimmed<'a> {
        let right = self.tcb.rcv_nxt + self.tcb.rcv_window();
        let room = if right.gt(t.seq) { right - t.seq } else { 0 };
        if t.data.len() as u64 > u64::from(room) {
            t.data = &t.data[..room as usize];
            t.fin = false;
        }
        t
    }

    /// (Re)starts the TIME-WAIT timer and turns off the others.
    pub(crate) fn restart_time_wait(&mut self, now: Instant) {
        self.timers.clear_all();
        self.timers
            .set(TimerKind::Linger, now + self.profile.time_wait);
    }
}
