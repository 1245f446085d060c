//! SEGMENT ARRIVES in SYN-SENT (RFC 9293 §3.10.7.3).

use core::ops::ControlFlow;

use crate::linux::Errno;
use crate::time::Instant;

use super::super::closed::reset_to_ack;
use super::super::state::State;
use super::super::timer::TimerKind;
use super::super::{Connection, DropReason, Segment, SegmentOutcome};
use super::Trimmed;

impl Connection {
    pub(super) fn syn_sent_arrives(&mut self, now: Instant, seg: &Segment) -> SegmentOutcome {
        // First, check the ACK bit.
        let ack_ok = match self.syn_sent_check_ack(seg) {
            ControlFlow::Break(outcome) => return outcome,
            ControlFlow::Continue(ok) => ok,
        };
        // Second, check the RST bit.
        if seg.flags.rst() {
            return self.syn_sent_check_rst(ack_ok);
        }
        // Third, check the security: not applicable.
        // Fourth, check the SYN bit.
        if seg.flags.syn() {
            return self.syn_sent_check_syn(now, seg);
        }
        // Fifth: "if neither of the SYN or RST bits is set, then drop the
        // segment and return."
        SegmentOutcome::Dropped(DropReason::NoSynNoRst)
    }

    /// First step: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset
    /// (unless the RST bit is set, if so drop the segment and return)
    /// <SEQ=SEG.ACK><CTL=RST>". Continues with whether the ACK is acceptable.
    fn syn_sent_check_ack(&mut self, seg: &Segment) -> ControlFlow<SegmentOutcome, bool> {
        if !seg.flags.ack() {
            return ControlFlow::Continue(false);
        }
        if seg.ack.le(self.tcb.iss) || seg.ack.gt(self.tcb.snd_max) {
            if !seg.flags.rst() {
                self.ctl.push_back(reset_to_ack(seg));
            }
            return ControlFlow::Break(SegmentOutcome::Dropped(DropReason::BadAckInSynSent));
        }
        // "If SND.UNA < SEG.ACK =< SND.NXT, then the ACK is acceptable."
        ControlFlow::Continue(self.tcb.snd_una.lt(seg.ack))
    }

    /// Second step: "If the ACK was acceptable, then signal to the user
    /// "error: connection reset", drop the segment, enter CLOSED state,
    /// delete TCB, and return. Otherwise (no ACK), drop the segment".
    /// (The RFC 5961 exact-sequence SHOULD cannot apply: RCV.NXT is not yet
    /// known in SYN-SENT; the acceptable ACK is what validates the RST.)
    fn syn_sent_check_rst(&mut self, ack_ok: bool) -> SegmentOutcome {
        if ack_ok {
            // Linux reports ECONNREFUSED for a RST answering our SYN.
            self.abort_with(Errno::ECONNREFUSED);
            return SegmentOutcome::Reset(Errno::ECONNREFUSED);
        }
        SegmentOutcome::Dropped(DropReason::RstWithoutAck)
    }

    /// Fourth step: the peer's SYN (with or without the ACK of ours).
    fn syn_sent_check_syn(&mut self, now: Instant, seg: &Segment) -> SegmentOutcome {
        // RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ; options negotiated.
        self.take_peer_syn(now, seg);
        self.tcb.rcv_adv = self.tcb.rcv_nxt + self.tcb.rcv_wnd;
        if seg.flags.ack() {
            // "SND.UNA should be advanced to equal SEG.ACK ... and any
            // segments on the retransmission queue that are thereby
            // acknowledged should be removed."
            self.stats.seq_acked += u64::from(seg.ack - self.tcb.snd_una);
            self.tcb.snd_una = seg.ack;
            self.sndbuf.ack_to(seg.ack);
            self.sample_rtt_on_ack(now, seg);
        }
        if self.tcb.snd_una.gt(self.tcb.iss) {
            // RFC 6298 §5.7: after the RTT sample of the SYN-ACK, if any.
            self.rtt
                .handshake_done(self.profile.syn_rto_fallback, self.retries > 0);
            // "If SND.UNA > ISS (our SYN has been ACKed), change the
            // connection state to ESTABLISHED, form an ACK segment
            // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send it."
            self.state = State::Established;
            self.handshake_done(now);
            self.ack.now = true;
            self.last_recv = now;
            self.rearm_keepalive(now);
            // "If there are other controls or text in the segment, then
            // continue processing at the sixth step": text after the SYN.
            let trimmed = Trimmed {
                seq: seg.seq + 1,
                data: &seg.payload,
                fin: seg.flags.fin(),
            };
            let trimmed = self.trim_to_window(trimmed);
            self.check_urg(seg);
            let fin = self.process_text(now, seg, trimmed);
            self.check_fin(now, fin);
            return SegmentOutcome::Established;
        }
        // Simultaneous open (RFC 9293 §3.5 MUST-10): "Otherwise, enter
        // SYN-RECEIVED, form a SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT>
        // <CTL=SYN,ACK> and send it." SND.WND/WL1/WL2 were set from the SYN.
        // Text on the SYN is not queued: the peer retransmits it.
        self.state = State::SynReceived;
        self.syn_pending = true;
        SegmentOutcome::Accepted
    }

    /// Leaving the handshake: the SYN is acknowledged.
    pub(crate) fn handshake_done(&mut self, now: Instant) {
        self.timers.clear(TimerKind::Retransmit);
        self.retries = 0;
        self.retrans_since = None;
        self.syn_pending = false;
        if self.tcb.snd_nxt.lt(self.tcb.snd_una) {
            self.tcb.snd_nxt = self.tcb.snd_una;
        }
        let smss = self.opts.eff_snd_mss(&self.profile);
        self.cc.set_smss(smss);
        // Linux starts tcpi_last_data_{sent,recv} at the handshake.
        self.stats.last_ack_recv = now;
        self.stats.last_data_recv = now;
        self.stats.last_data_sent = now;
        self.rearm_user_timeout(now);
    }
}
