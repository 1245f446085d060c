//! §3.10.7.4 fourth step: check the SYN bit (RFC 5961 §4 challenge ACK).

use core::ops::ControlFlow;

use crate::time::Instant;

use super::super::state::State;
use super::super::{Connection, Segment, SegmentOutcome};
use super::Step;

impl Connection {
    pub(super) fn check_syn(&mut self, now: Instant, seg: &Segment) -> Step {
        if !seg.flags.syn() {
            return ControlFlow::Continue(());
        }
        // SYN-RECEIVED: "If the connection was initiated with a passive OPEN,
        // then return this connection to the LISTEN state and return."
        if self.state == State::SynReceived && self.passive {
            self.enter_closed();
            return ControlFlow::Break(SegmentOutcome::ReturnedToListen);
        }
        // Synchronized states (RFC 5961 §4.2): "if the SYN bit is set,
        // irrespective of the sequence number, TCP endpoints MUST send a
        // "challenge ACK" to the remote peer ... After sending the
        // acknowledgment, TCP implementations MUST drop the unacceptable
        // segment and stop processing further."
        ControlFlow::Break(self.challenge_ack(now))
    }
}
