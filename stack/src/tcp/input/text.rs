//! §3.10.7.4 sixth step (URG) and seventh step (segment text), with the
//! ACK policy of §3.8.6.3 (delayed ACK, quick ACK) and RFC 5681 §4.2
//! (immediate ACK for out-of-order data and for data filling a hole).

use crate::time::Instant;

use super::super::state::State;
use super::super::timer::TimerKind;
use super::super::{Connection, Segment};
use super::Trimmed;

impl Connection {
    /// Sixth, check the URG bit: in ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2
    /// "RCV.UP <- max(RCV.UP,SEG.UP)"; ignored once a FIN has been received.
    /// RFC 9293 §3.8.5 (MUST-62): the urgent pointer points to the sequence
    /// number of the octet following the urgent data.
    pub(super) fn check_urg(&mut self, seg: &Segment) {
        let receiving = matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        );
        if receiving && seg.flags.urg() && seg.urgent > 0 {
            let up = seg.seq + u32::from(seg.urgent);
            self.tcb.rcv_up = self.tcb.rcv_up.max(up);
        }
    }

    /// Seventh, process the segment text. Returns whether a FIN is now in
    /// sequence (on this segment, or held from an earlier out-of-order one).
    pub(super) fn process_text(&mut self, now: Instant, seg: &Segment, t: Trimmed<'_>) -> bool {
        let receiving = matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        );
        if !receiving {
            // CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should not occur
            // since a FIN has been received from the remote side. Ignore the
            // segment text."
            return false;
        }
        if t.seq != self.tcb.rcv_nxt {
            if !t.data.is_empty() || t.fin {
                self.hold_out_of_order(t);
            }
            return false;
        }
        if t.data.is_empty() {
            return t.fin || self.ooo.take_fin(self.tcb.rcv_nxt);
        }
        let filled_hole = !self.ooo.is_empty();
        self.deliver(t.data);
        let mut fin = t.fin;
        while let Some(more) = self.ooo.pop(self.tcb.rcv_nxt) {
            self.deliver(&more);
        }
        fin |= self.ooo.take_fin(self.tcb.rcv_nxt);
        self.grow_rcv_ssthresh(t.data.len());
        if filled_hole {
            // RFC 5681 §4.2: "an immediate ACK SHOULD be generated when a
            // segment arrives that fills in all or part of a gap".
            self.ack.now = true;
        } else {
            self.schedule_ack(now, seg);
        }
        fin
    }

    /// "Once the TCP endpoint takes responsibility for the data, it advances
    /// RCV.NXT over the data accepted".
    fn deliver(&mut self, data: &[u8]) {
        self.rcvbuf.extend(data);
        self.tcb.rcv_nxt += data.len() as u32;
        self.stats.bytes_received += data.len() as u64;
    }

    /// "Segments with higher beginning sequence numbers SHOULD be held for
    /// later processing" (SHLD-31); RFC 5681 §4.2: "A TCP receiver SHOULD
    /// send an immediate duplicate ACK when an out-of-order segment arrives."
    fn hold_out_of_order(&mut self, t: Trimmed<'_>) {
        let rcv_nxt = self.tcb.rcv_nxt;
        if self.ooo.insert(rcv_nxt, t.seq, t.data).is_ok() {
            if t.fin {
                self.ooo.set_fin(t.seq + t.data.len() as u32);
            }
            if !t.data.is_empty() {
                self.stats.rcv_ooopack += 1;
            }
        }
        self.ack.now = true;
    }

    /// RFC 9293 §3.8.6.3: "an ACK SHOULD be generated for at least every
    /// second full-sized segment" (SHLD-19) and the delay "MUST be less than
    /// 0.5 seconds" (MUST-40). Linux ACKs at once in quick-ack mode (the
    /// first segments of a connection, or after TCP_QUICKACK).
    fn schedule_ack(&mut self, now: Instant, seg: &Segment) {
        let unacked = self.tcb.rcv_nxt - self.ack.rcv_wup;
        let full = self.opts.rcv_mss();
        let every = self.profile.ack_every.max(1);
        if self.ack.quick > 0 || self.sockopts.quickack {
            self.ack.quick = self.ack.quick.saturating_sub(1);
            self.ack.now = true;
        } else if unacked > (every - 1) * full {
            self.ack.now = true;
        } else {
            let _ = seg;
            let delay = self
                .profile
                .delayed_ack_min
                .min(self.profile.delayed_ack_max);
            self.timers.set_if_unset(TimerKind::DelayedAck, now + delay);
        }
    }

    /// Linux `tcp_grow_window`: the offered window grows towards the buffer
    /// by two receive MSS per data segment.
    fn grow_rcv_ssthresh(&mut self, len: usize) {
        let full = self.rcv_space_full();
        if len >= 128 && self.rcv_ssthresh < full {
            self.rcv_ssthresh = (self.rcv_ssthresh + 2 * self.opts.rcv_mss()).min(full);
        }
    }
}
