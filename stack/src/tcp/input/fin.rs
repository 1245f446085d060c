//! §3.10.7.4 eighth step: check the FIN bit.

use crate::time::Instant;

use super::super::Connection;
use super::super::state::State;
use super::super::timer::TimerKind;

impl Connection {
    /// "If the FIN bit is set, signal the user "connection closing" and
    /// return any pending RECEIVEs with same message, advance RCV.NXT over
    /// the FIN, and send an acknowledgment for the FIN."
    /// `with_data`: the FIN came on a segment that also carried text.
    pub(super) fn check_fin(&mut self, now: Instant, fin_in_order: bool, with_data: bool) {
        if !fin_in_order {
            return;
        }
        self.tcb.rcv_nxt += 1;
        self.ack.now = true;
        match self.state {
            // SYN-RECEIVED, ESTABLISHED: "Enter the CLOSE-WAIT state."
            State::SynReceived | State::Established => {
                self.state = State::CloseWait;
                if with_data && self.profile.delay_ack_of_data_fin {
                    // Linux: ping-pong mode; the ACK waits for a reply or
                    // the delayed-ACK timer (RFC 9293 §3.8.6.3 allows it).
                    self.ack.now = false;
                    let delay = self.profile.delayed_ack_min;
                    self.timers.set(TimerKind::DelayedAck, now + delay);
                    return;
                }
            }
            // "If our FIN has been ACKed (perhaps in this segment), then
            // enter TIME-WAIT, start the time-wait timer, turn off the other
            // timers; otherwise, enter the CLOSING state."
            State::FinWait1 => {
                let fin_acked = self
                    .sndbuf
                    .fin_seq()
                    .is_some_and(|f| self.tcb.snd_una.gt(f));
                if fin_acked {
                    self.enter_time_wait(now);
                } else {
                    self.state = State::Closing;
                }
            }
            // "Enter the TIME-WAIT state. Start the time-wait timer, turn off
            // the other timers."
            State::FinWait2 => self.enter_time_wait(now),
            // "Remain in the TIME-WAIT state. Restart the 2 MSL time-wait
            // timeout."
            State::TimeWait => self.restart_time_wait(now),
            // CLOSE-WAIT, CLOSING, LAST-ACK: remain.
            _ => {}
        }
        // The ACK goes now: no delayed ACK pending any more.
        self.timers.clear(TimerKind::DelayedAck);
    }

    /// RFC 9293 §3.6 (MUST-13): TIME-WAIT for 2·MSL (profile `time_wait`).
    pub(crate) fn enter_time_wait(&mut self, now: Instant) {
        self.state = State::TimeWait;
        self.restart_time_wait(now);
    }
}
