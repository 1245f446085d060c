//! §3.10.7.4 eighth step: check the FIN bit.

use crate::time::Instant;

use super::super::Connection;
use super::super::state::State;
use super::super::timer::TimerKind;

impl Connection {
    /// "If the FIN bit is set, signal the user "connection closing" and
    /// return any pending RECEIVEs with same message, advance RCV.NXT over
    /// the FIN, and send an acknowledgment for the FIN."
    pub(super) fn check_fin(&mut self, now: Instant, fin_in_order: bool) {
        if !fin_in_order {
            return;
        }
        self.tcb.rcv_nxt += 1;
        self.ack.now = true;
        match self.state {
            // SYN-RECEIVED, ESTABLISHED: "Enter the CLOSE-WAIT state."
            State::SynReceived | State::Established => {
                self.state = State::CloseWait;
                if self.profile.delay_ack_of_fin {
                    // Linux `tcp_fin`: ping-pong mode, so the ACK waits for
                    // a reply or the delayed-ACK timer (RFC 9293 §3.8.6.3
                    // allows it), whose timeout is the ACK timeout: set by
                    // the first data received (`tcp_event_data_recv`), zero
                    // before — a zero timeout fires at the next tick.
                    self.ack.now = false;
                    let at = if self.stats.bytes_received > 0 {
                        now + self.profile.delayed_ack_min
                    } else {
                        now.next_tick(self.profile.timer_tick)
                    };
                    let at = self
                        .timers
                        .get(TimerKind::DelayedAck)
                        .map_or(at, |t| t.min(at));
                    self.timers.set(TimerKind::DelayedAck, at);
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
