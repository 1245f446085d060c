//! SEGMENT ARRIVES (RFC 9293 §3.10.7), one function per step of the RFC:
//!
//! | RFC step                            | function                    | file          |
//! |-------------------------------------|-----------------------------|---------------|
//! | §3.10.7.1 CLOSED                    | `closed_arrives`            | here          |
//! | §3.10.7.3 SYN-SENT                  | `syn_sent_arrives`          | syn_sent.rs   |
//! | §3.10.7.4 first: sequence number    | `check_sequence` (+ PAWS)   | sequence.rs   |
//! | §3.10.7.4 second: RST bit           | `check_rst`                 | rst.rs        |
//! | §3.10.7.4 third: security           | not applicable (no IP security options) |    |
//! | §3.10.7.4 fourth: SYN bit           | `check_syn`                 | syn.rs        |
//! | §3.10.7.4 fifth: ACK field          | `check_ack`                 | ack.rs        |
//! | §3.10.7.4 sixth: URG bit            | `check_urg`                 | text.rs       |
//! | §3.10.7.4 seventh: segment text     | `process_text`              | text.rs       |
//! | §3.10.7.4 eighth: FIN bit           | `check_fin`                 | fin.rs        |
//!
//! LISTEN (§3.10.7.2) is `tcp::listen_input`: a listener is the host's.

mod ack;
mod fin;
mod rst;
mod sequence;
mod syn;
mod syn_sent;
mod text;

use core::ops::ControlFlow;

#[cfg(test)]
pub(crate) use sequence::acceptable;

use crate::time::Instant;

use super::closed::reset_for_closed;
use super::seq::SeqNumber;
use super::state::State;
use super::{Connection, DropReason, Segment, SegmentOutcome};

/// A step either lets processing continue or ends it with an outcome.
type Step = ControlFlow<SegmentOutcome>;

/// The "idealized segment" of §3.10.7.4 first step: trimmed to the receive
/// window, SYN and old data before RCV.NXT removed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Trimmed<'a> {
    pub seq: SeqNumber,
    pub data: &'a [u8],
    pub fin: bool,
}

impl Connection {
    /// SEGMENT ARRIVES: processes one segment addressed to this connection
    /// (the host has matched its four-tuple). Replies are queued for
    /// [`poll_transmit`](Self::poll_transmit).
    pub fn on_segment(&mut self, now: Instant, seg: &Segment) -> SegmentOutcome {
        self.on_timer(now);
        self.stats.segs_in += 1;
        match self.state {
            State::Closed | State::Listen => self.closed_arrives(seg),
            State::SynSent => self.syn_sent_arrives(now, seg),
            State::SynReceived if self.is_simultaneous_synack(seg) => {
                // The SYN repeats what we already acknowledge: process the
                // rest of the segment as if it began after the SYN.
                let mut rest = seg.clone();
                rest.flags.remove(super::Flags::SYN);
                rest.seq += 1;
                self.other_states(now, &rest)
            }
            _ => self.other_states(now, seg),
        }
    }

    fn other_states(&mut self, now: Instant, seg: &Segment) -> SegmentOutcome {
        match self.other_states_arrive(now, seg) {
            ControlFlow::Break(outcome) | ControlFlow::Continue(outcome) => outcome,
        }
    }

    /// Simultaneous open (RFC 9293 §3.5 Figure 8, line 7): in SYN-RECEIVED
    /// after SYN-SENT, the peer's SYN,ACK repeats its SYN (SEG.SEQ + 1 =
    /// RCV.NXT) and acknowledges ours. Taken literally, the sequence check
    /// would reject it (the SYN lies before RCV.NXT); Linux accepts exactly
    /// this segment (`tcp_validate_incoming`), as the figure intends.
    fn is_simultaneous_synack(&self, seg: &Segment) -> bool {
        !self.passive
            && seg.flags.syn()
            && seg.flags.ack()
            && !seg.flags.rst()
            && seg.seq + 1 == self.tcb.rcv_nxt
            && seg.ack == self.tcb.snd_max
    }

    /// §3.10.7.1: the TCB is gone; answer with a RST unless the segment is one.
    fn closed_arrives(&mut self, seg: &Segment) -> SegmentOutcome {
        if let Some(rst) = reset_for_closed(seg) {
            self.ctl.push_back(rst);
        }
        SegmentOutcome::Dropped(DropReason::Closed)
    }

    /// §3.10.7.4, "Otherwise": the steps in the RFC's order.
    fn other_states_arrive(
        &mut self,
        now: Instant,
        seg: &Segment,
    ) -> ControlFlow<SegmentOutcome, SegmentOutcome> {
        self.before_sequence_check(now, seg)?;
        let trimmed = self.check_sequence(now, seg)?;
        self.check_rst(now, seg)?;
        // Third, check security: no IP security/compartment in this stack.
        self.check_syn(now, seg)?;
        let outcome = self.check_ack(now, seg)?;
        // RFC 7323 §4.3 (2): TS.Recent from an acceptable segment — taken
        // only once the ACK field passed too, so that a segment with an
        // invalid ACK cannot poison it (Linux does the same).
        if let Some((tsval, _)) = seg.timestamps() {
            self.opts.update_ts_recent(tsval, seg.seq, now);
        }
        self.note_segment_received(now, seg);
        self.data_after_close(seg, &trimmed)?;
        self.check_urg(seg);
        let fin_in_order = self.process_text(now, seg, trimmed);
        self.check_fin(now, fin_in_order);
        ControlFlow::Continue(outcome)
    }

    /// RFC 1122 §4.2.2.13: "if new data is received after CLOSE is called,
    /// its TCP SHOULD send a RST to show that data was lost" (Linux
    /// `tcp_rcv_state_process`, FIN-WAIT-1/2: the RST answers the segment).
    fn data_after_close(&mut self, seg: &Segment, t: &Trimmed<'_>) -> Step {
        let closing = matches!(self.state, State::FinWait1 | State::FinWait2);
        if self.orphan && closing && !t.data.is_empty() {
            self.ctl.push_back(super::closed::reset_reply(seg));
            self.enter_closed();
            return ControlFlow::Break(SegmentOutcome::Closed);
        }
        ControlFlow::Continue(())
    }

    /// Bookkeeping for any segment that got past the ACK step.
    fn note_segment_received(&mut self, now: Instant, seg: &Segment) {
        self.last_recv = now;
        self.probes = 0;
        if !seg.payload.is_empty() {
            self.stats.data_segs_in += 1;
            self.stats.last_data_recv = now;
        }
        self.rearm_keepalive(now);
    }
}
