//! Invariants of a connection that must hold after every entry point, for
//! tests and the fuzz target (issue 4 item 8).

use super::Connection;
use super::state::State;

impl Connection {
    /// Checks the internal invariants; `Err` names the first one violated.
    pub fn check_invariants(&self) -> Result<(), String> {
        let t = &self.tcb;
        let fail = |what: &str| Err(format!("{what}: {t:?} state {}", self.state));
        // RFC 9293 §3.3.1: SND.UNA =< SND.NXT (and our SND.MAX on top).
        if !t.snd_una.le(t.snd_nxt) {
            return fail("SND.UNA > SND.NXT");
        }
        if !t.snd_nxt.le(t.snd_max) {
            return fail("SND.NXT > SND.MAX");
        }
        // The send buffer starts at SND.UNA, or just after the SYN while it
        // is unacknowledged, or at the FIN once the FIN is acknowledged.
        let start = self.sndbuf.start();
        let expected = if t.snd_una == t.iss {
            t.iss + 1
        } else {
            t.snd_una.min(self.sndbuf.end())
        };
        if start != expected && self.state != State::Closed {
            return Err(format!(
                "send buffer starts at {start:?}, expected {expected:?}"
            ));
        }
        // Nothing was sent beyond the data held (plus the SYN before it and
        // the FIN after it).
        let limit = self.sndbuf.end() + u32::from(self.sndbuf.fin_queued());
        if self.state != State::Closed && t.snd_max.gt(limit) {
            return fail("SND.MAX beyond the data and FIN held");
        }
        // Out-of-order data lies after RCV.NXT, never at or before it.
        if let Some(b) = self
            .ooo
            .sack_blocks()
            .iter()
            .find(|b| !b.left.gt(t.rcv_nxt))
        {
            return Err(format!(
                "out-of-order block {b:?} not after RCV.NXT {:?}",
                t.rcv_nxt
            ));
        }
        // RFC 6675 §3: the scoreboard lies within [SND.UNA, SND.MAX].
        if self.state != State::Closed {
            self.recovery.check(t.snd_una, t.snd_max)?;
        }
        if self.state == State::Closed && self.timers.next().is_some() {
            return Err("timer armed in CLOSED".into());
        }
        if self.state == State::TimeWait && self.timers.get(super::TimerKind::Retransmit).is_some()
        {
            return Err("retransmission timer in TIME-WAIT".into());
        }
        Ok(())
    }
}
