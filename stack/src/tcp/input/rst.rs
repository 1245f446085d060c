//! §3.10.7.4 second step: check the RST bit, with the RFC 5961 §3.2
//! mitigation (the segment is already known to be in the window).

use core::ops::ControlFlow;

use crate::linux::Errno;
use crate::time::Instant;

use super::super::state::State;
use super::super::{Connection, Segment, SegmentOutcome};
use super::Step;

impl Connection {
    pub(super) fn check_rst(&mut self, now: Instant, seg: &Segment) -> Step {
        if !seg.flags.rst() {
            return ControlFlow::Continue(());
        }
        // RFC 5961 §3.2 / RFC 9293 §3.10.7.4: "If the RST bit is set and the
        // sequence number does not exactly match the next expected sequence
        // value, yet is within the current receive window, TCP endpoints
        // MUST send an acknowledgment (challenge ACK)".
        if seg.seq != self.tcb.rcv_nxt {
            return ControlFlow::Break(self.challenge_ack(now));
        }
        // "If the RST bit is set and the sequence number exactly matches the
        // next expected sequence number (RCV.NXT), then TCP endpoints MUST
        // reset the connection in the manner prescribed below according to
        // the connection state."
        ControlFlow::Break(self.reset_by_peer())
    }

    /// The per-state effect of an acceptable RST.
    fn reset_by_peer(&mut self) -> SegmentOutcome {
        match self.state {
            // "If this connection was initiated with a passive OPEN (i.e.,
            // came from the LISTEN state), then return this connection to
            // LISTEN state and return. The user need not be informed."
            State::SynReceived if self.passive => {
                self.enter_closed();
                SegmentOutcome::ReturnedToListen
            }
            // "If this connection was initiated with an active OPEN ... then
            // the connection was refused; signal the user "connection refused"".
            State::SynReceived => {
                self.abort_with(Errno::ECONNREFUSED);
                SegmentOutcome::Reset(Errno::ECONNREFUSED)
            }
            // "any outstanding RECEIVEs and SEND should receive "reset"
            // responses ... Enter the CLOSED state, delete the TCB". Linux
            // reports EPIPE in CLOSE-WAIT (`tcp_reset`), ECONNRESET otherwise.
            State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait => {
                let err = if self.state == State::CloseWait {
                    Errno::EPIPE
                } else {
                    Errno::ECONNRESET
                };
                self.abort_with(err);
                SegmentOutcome::Reset(err)
            }
            // CLOSING, LAST-ACK, TIME-WAIT: "enter the CLOSED state, delete
            // the TCB, and return."
            _ => {
                self.enter_closed();
                SegmentOutcome::Closed
            }
        }
    }

    /// RFC 5961 §3.2/§4.2/§7: `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`, rate
    /// limited; the segment is dropped either way.
    pub(crate) fn challenge_ack(&mut self, now: Instant) -> SegmentOutcome {
        let sent = self.challenge.allow(now, self.profile.challenge_ack);
        if sent {
            self.ack.now = true;
        }
        SegmentOutcome::ChallengeAck { sent }
    }
}
