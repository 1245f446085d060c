//! §3.10.7.4 fifth step: check the ACK field — RFC 5961 §5.2 range check,
//! SYN-RECEIVED completion, SND.UNA / window update, RTT sampling
//! (RFC 6298, RFC 7323 §4), congestion control (RFC 5681, RFC 6582), and
//! the per-state FIN-acknowledged transitions.

use core::ops::ControlFlow;

use crate::time::{Duration, Instant};

use super::super::closed::reset_to_ack;
use super::super::congestion::{AckAction, AckEvent};
use super::super::options::ts_clock;
use super::super::state::State;
use super::super::timer::TimerKind;
use super::super::{Connection, DropReason, Segment, SegmentOutcome};

impl Connection {
    /// Continues with `Established` if this ACK completed the handshake,
    /// `Accepted` otherwise; breaks when the segment is dropped or the
    /// connection closes.
    pub(super) fn check_ack(
        &mut self,
        now: Instant,
        seg: &Segment,
    ) -> ControlFlow<SegmentOutcome, SegmentOutcome> {
        // "if the ACK bit is off, drop the segment and return"
        if !seg.flags.ack() {
            return ControlFlow::Break(SegmentOutcome::Dropped(DropReason::NoAck));
        }
        let mut outcome = SegmentOutcome::Accepted;
        let mut syn_ack_timed_out = None;
        if self.state == State::SynReceived {
            syn_ack_timed_out = Some(self.retries > 0);
            self.syn_received_ack(now, seg)?;
            outcome = SegmentOutcome::Established;
        }
        self.check_ack_range(now, seg)?;
        self.established_ack(now, seg);
        if let Some(timed_out) = syn_ack_timed_out {
            // RFC 6298 §5.7: after the RTT sample of the SYN-ACK, if any.
            self.rtt
                .handshake_done(self.profile.syn_rto_fallback, timed_out);
        }
        self.fin_acked_transitions(now)?;
        ControlFlow::Continue(outcome)
    }

    /// SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED
    /// state and continue processing with the variables below set to:
    /// SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK. If the
    /// segment acknowledgment is not acceptable, form a reset segment
    /// <SEQ=SEG.ACK><CTL=RST> and send it."
    fn syn_received_ack(&mut self, now: Instant, seg: &Segment) -> ControlFlow<SegmentOutcome> {
        let t = &self.tcb;
        if !(t.snd_una.lt(seg.ack) && seg.ack.le(t.snd_max)) {
            self.ctl.push_back(reset_to_ack(seg));
            return ControlFlow::Break(SegmentOutcome::Dropped(DropReason::BadAckInSynReceived));
        }
        self.state = State::Established;
        self.handshake_done(now);
        let wnd = self.scaled_window(seg);
        self.tcb.update_window(wnd, seg.seq, seg.ack);
        // A FIN queued by CLOSE in SYN-RECEIVED now goes out (§3.10.4).
        if self.sndbuf.fin_queued() {
            self.state = State::FinWait1;
        }
        ControlFlow::Continue(())
    }

    /// RFC 5961 §5.2: "the ACK value is acceptable only if it is in the range
    /// of ((SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT). All incoming
    /// segments whose ACK value doesn't satisfy the above condition MUST be
    /// discarded and an ACK sent back." For SEG.ACK > SND.NXT RFC 9293 also
    /// says "send an ACK, drop the segment, and return".
    fn check_ack_range(&mut self, now: Instant, seg: &Segment) -> ControlFlow<SegmentOutcome> {
        if seg.ack.gt(self.tcb.snd_max) {
            self.ack.now = true;
            return ControlFlow::Break(SegmentOutcome::Dropped(DropReason::AckOfUnsentData));
        }
        let oldest = self.tcb.snd_una - self.tcb.max_snd_wnd;
        if seg.ack.lt(oldest) {
            let sent = matches!(
                self.challenge_ack(now),
                SegmentOutcome::ChallengeAck { sent: true }
            );
            return ControlFlow::Break(SegmentOutcome::Dropped(DropReason::AckTooOld {
                ack_sent: sent,
            }));
        }
        ControlFlow::Continue(())
    }

    /// The peer's window field, scaled (RFC 7323 §2.3: not on a SYN).
    fn scaled_window(&self, seg: &Segment) -> u32 {
        let shift = if seg.flags.syn() {
            0
        } else {
            self.opts.snd_wscale
        };
        u32::from(seg.window) << shift
    }

    /// ESTABLISHED processing of an acceptable ACK (shared by the later
    /// states): advance SND.UNA, update the send window.
    fn established_ack(&mut self, now: Instant, seg: &Segment) {
        let wnd = self.scaled_window(seg);
        let una = self.tcb.snd_una;
        let flight_before = self.tcb.in_flight();
        if una.lt(seg.ack) {
            // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK.
            // Any segments on the retransmission queue that are thereby
            // entirely acknowledged are removed."
            self.ack_new_data(now, seg, flight_before);
        } else if self.is_duplicate_ack(seg, wnd) {
            self.recovery.on_duplicate_ack();
            let ev = self.ack_event(0, true, flight_before);
            if self.cc.on_ack(&ev) == AckAction::FastRetransmit {
                self.retransmit_head = true;
            }
        }
        // RFC 6675 §5: the scoreboard, and entry to or exit from recovery.
        let acked = self.tcb.snd_una - una;
        self.sack_on_ack(seg, acked);
        // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be
        // updated. If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =<
        // SEG.ACK)), set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set
        // SND.WL2 <- SEG.ACK."
        if self.tcb.snd_una.le(seg.ack) && self.tcb.window_update_allowed(seg.seq, seg.ack) {
            let opened = wnd > self.tcb.snd_wnd;
            self.tcb.update_window(wnd, seg.seq, seg.ack);
            if opened && wnd > 0 {
                // The peer's window opened: stop probing (RFC 9293 §3.8.6.1).
                self.timers.clear(TimerKind::Persist);
                self.persist_backoff = 0;
            }
        }
        self.stats.last_ack_recv = now;
    }

    /// RFC 5681 §2 "DUPLICATE ACKNOWLEDGMENT": (a) outstanding data, (b) no
    /// data, (c) SYN and FIN off, (d) SEG.ACK = SND.UNA, (e) same window.
    fn is_duplicate_ack(&self, seg: &Segment, wnd: u32) -> bool {
        self.tcb.snd_max.gt(self.tcb.snd_una)
            && seg.payload.is_empty()
            && !seg.flags.syn()
            && !seg.flags.fin()
            && seg.ack == self.tcb.snd_una
            && wnd == self.tcb.snd_wnd
    }

    fn ack_event(&self, acked: u32, duplicate: bool, flight_before: u32) -> AckEvent {
        AckEvent {
            acked,
            duplicate,
            snd_una: self.stats.seq_acked,
            snd_max: self.stats.seq_acked + u64::from(self.tcb.in_flight()),
            flight_before,
            smss: self.opts.eff_snd_mss(&self.profile),
            max_flight: self.cwnd_use.max_flight,
            cwnd_limited: self.cwnd_use.limited,
            sack: self.opts.sack_ok,
        }
    }

    fn ack_new_data(&mut self, now: Instant, seg: &Segment, flight_before: u32) {
        let una = self.tcb.snd_una;
        let acked = seg.ack - una;
        let data_before = self.sndbuf.len();
        self.tcb.snd_una = seg.ack;
        if self.tcb.snd_nxt.lt(seg.ack) {
            self.tcb.snd_nxt = seg.ack;
        }
        self.sndbuf.ack_to(seg.ack);
        let data_acked = (data_before - self.sndbuf.len()) as u32;
        self.stats.bytes_acked += u64::from(data_acked);
        self.stats.seq_acked += u64::from(acked);
        self.sample_rtt_on_ack(now, seg);
        self.retries = 0;
        self.retrans_since = None;
        self.recovery.on_new_ack();
        // MSG_MORE holds a partial segment only for the write that said it:
        // Linux pushes from an ACK with the socket's own Nagle setting.
        self.more = false;
        // Congestion control counts data: the ACK of our SYN (or of a FIN
        // alone) does not open the window.
        if data_acked > 0 {
            let ev = self.ack_event(data_acked, false, flight_before);
            if self.cc.on_ack(&ev) == AckAction::RetransmitHead {
                self.retransmit_head = true;
            }
        }
        // RFC 6298 §5.2: "When all outstanding data has been acknowledged,
        // turn off the retransmission timer." §5.3: "When an ACK is received
        // that acknowledges new data, restart the retransmission timer".
        if self.tcb.snd_una == self.tcb.snd_max {
            self.timers.clear(TimerKind::Retransmit);
        } else {
            let at = now + self.rtt.rto();
            self.timers.set(TimerKind::Retransmit, at);
        }
        self.loss_probe_on_ack(now);
        self.rearm_user_timeout(now);
    }

    /// RTT measurement: from the timestamp echo when timestamps are in use
    /// (RFC 7323 §4.1; only ACKs that advance SND.UNA reach here), otherwise
    /// from the one timed segment (Karn's algorithm, RFC 6298 §3).
    pub(crate) fn sample_rtt_on_ack(&mut self, now: Instant, seg: &Segment) {
        let ts_sample = match seg.timestamps() {
            Some((_, tsecr)) if self.opts.ts_ok && tsecr != 0 => {
                let sent = tsecr.wrapping_sub(self.opts.ts_offset);
                let ticks = ts_clock(&self.profile, now).wrapping_sub(sent);
                // An echo from the future or from long ago is not a sample.
                (ticks as i32 >= 0 && ticks < 0x7fff_ffff).then(|| {
                    let per_tick = 1_000_000 / u64::from(self.profile.ts_hz.max(1));
                    Duration::from_micros(u64::from(ticks) * per_tick)
                })
            }
            _ => None,
        };
        let timed = match self.rtt_timed {
            Some((end, sent)) if seg.ack.ge(end) => {
                self.rtt_timed = None;
                Some(now.saturating_since(sent))
            }
            _ => None,
        };
        if let Some(r) = ts_sample.or(timed) {
            self.rtt.sample(r);
        }
    }

    /// FIN-WAIT-1, CLOSING, LAST-ACK: what happens when our FIN is acknowledged.
    fn fin_acked_transitions(&mut self, now: Instant) -> ControlFlow<SegmentOutcome> {
        let fin_acked = self
            .sndbuf
            .fin_seq()
            .is_some_and(|f| self.tcb.snd_una.gt(f));
        if !fin_acked {
            return ControlFlow::Continue(());
        }
        match self.state {
            // "if the FIN segment is now acknowledged, then enter FIN-WAIT-2
            // and continue processing in that state."
            State::FinWait1 => {
                self.state = State::FinWait2;
                self.timers.clear(TimerKind::Retransmit);
                if self.orphan {
                    // Linux tcp_fin_timeout for an orphaned FIN-WAIT-2.
                    self.timers
                        .set(TimerKind::Linger, now + self.profile.fin_timeout);
                }
            }
            // "if the ACK acknowledges our FIN, then enter the TIME-WAIT state"
            State::Closing => {
                self.state = State::TimeWait;
                self.restart_time_wait(now);
            }
            // "If our FIN is now acknowledged, delete the TCB, enter the
            // CLOSED state, and return."
            State::LastAck => {
                self.enter_closed();
                return ControlFlow::Break(SegmentOutcome::Closed);
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}
