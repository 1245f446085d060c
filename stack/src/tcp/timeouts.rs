//! Timer expiry (RFC 9293 §3.10.8 and §3.8): retransmission (RFC 6298 §5),
//! SYN/SYN-ACK retries, delayed ACK, zero-window probes (§3.8.6.1),
//! keep-alive (§3.8.4), TIME-WAIT and FIN-WAIT-2 expiry, user timeout
//! (§3.8.3, RFC 5482).

use crate::linux::Errno;
use crate::profile::SynGiveUp;
use crate::time::{Duration, Instant};

use super::Connection;
use super::state::State;
use super::timer::TimerKind;

impl Connection {
    /// Runs every timer due at `now`. Replies are queued for `poll_transmit`.
    pub fn on_timer(&mut self, now: Instant) {
        if self.state == State::Closed {
            self.timers.clear_all();
            return;
        }
        while let Some(kind) = self.timers.pop_expired(now) {
            match kind {
                TimerKind::LossProbe => self.on_loss_probe_timeout(now),
                TimerKind::Retransmit => self.on_retransmit_timeout(now),
                TimerKind::DelayedAck => self.ack.now = true,
                TimerKind::Persist => self.on_persist_timeout(now),
                TimerKind::Keepalive => self.on_keepalive_timeout(now),
                // TIME-WAIT TIMEOUT: "delete the TCB, enter the CLOSED state";
                // also the end of an orphaned FIN-WAIT-2.
                TimerKind::Linger => self.enter_closed(),
                // USER TIMEOUT: "flush all queues, signal the user "error:
                // connection aborted due to user timeout" ... delete the TCB".
                TimerKind::UserTimeout => self.abort_with(Errno::ETIMEDOUT),
            }
            if self.state == State::Closed {
                self.timers.clear_all();
                return;
            }
        }
    }

    /// RETRANSMISSION TIMEOUT.
    fn on_retransmit_timeout(&mut self, now: Instant) {
        match self.state {
            State::SynSent | State::SynReceived => self.retransmit_syn(now),
            State::Closed | State::Listen | State::TimeWait => {}
            _ => self.retransmit_data(now),
        }
    }

    /// SYN or SYN-ACK: resend with backoff until the profile's retry count
    /// (RFC 9293 §3.8.3: R2 for a SYN at least 3 minutes, MUST-23).
    fn retransmit_syn(&mut self, now: Instant) {
        let limit = if self.state == State::SynSent {
            self.sockopts
                .syn_retries
                .unwrap_or(self.profile.syn_retries)
        } else {
            self.profile.synack_retries
        };
        let give_up = match self.profile.syn_give_up {
            SynGiveUp::ModelledTime if self.state == State::SynSent => {
                let budget =
                    modelled_timeout(limit, self.profile.rto_initial, self.profile.rto_max);
                self.retrans_since
                    .is_some_and(|first| now.saturating_since(first) >= budget)
            }
            // Linux counts SYN-ACK retransmissions (the request's timeouts).
            _ => self.retries >= limit,
        };
        if give_up {
            self.abort_with(Errno::ETIMEDOUT);
            return;
        }
        self.retries += 1;
        // Linux tcp_syn_linear_timeouts: the first SYN retransmissions keep
        // the initial RTO; RFC 6298 §5.5 backs off from the first.
        let linear =
            self.state == State::SynSent && self.retries <= self.profile.syn_linear_timeouts;
        if !linear {
            self.rtt.back_off();
        }
        self.syn_pending = true;
    }

    /// Data or FIN: RFC 6298 §5.4–5.6 — retransmit the earliest
    /// unacknowledged segment, back off, restart the timer (the restart
    /// happens when the segment is sent). Everything from SND.UNA is then
    /// resent as the congestion window allows (go-back-N, as Linux's loss
    /// state does).
    fn retransmit_data(&mut self, now: Instant) {
        if self.tcb.snd_una == self.tcb.snd_max {
            return;
        }
        let zero_window = self.tcb.snd_wnd == 0 && !self.orphan;
        // RFC 9293 §3.8.3: R2 reached — abort (MUST-20: close the connection).
        // With a zero window the retransmissions are the zero-window probes
        // instead, and §3.8.6.1 (MUST-37) keeps the connection open while
        // the peer answers them.
        let give_up = if zero_window {
            self.zero_window_silence_reached(now)
        } else {
            self.r2_reached(now)
        };
        if give_up {
            self.abort_with(Errno::ETIMEDOUT);
            return;
        }
        let flight = self.tcb.in_flight();
        let snd_max = self.stats.seq_acked + u64::from(flight);
        self.cc.on_timeout(flight, snd_max);
        self.recovery_on_timeout();
        self.rtt.back_off();
        self.retries += 1;
        self.retrans_since.get_or_insert(now);
        self.tcb.snd_nxt = self.tcb.snd_una;
        // The oldest segment goes out even when the window no longer admits
        // it (Linux `__tcp_retransmit_skb` allows one MSS at SND.UNA): with a
        // window shrunk to zero it is the probe RFC 9293 §3.8.6.1 (MUST-36)
        // requires, and the RTO, backed off, is its persist timer (SHLD-30).
        self.retransmit_head = self.tcb.snd_wnd == 0;
        self.tlp = super::tlp::Tlp::default();
        self.timers.clear(TimerKind::LossProbe);
        // Karn (RFC 9293 §3.8.1 MUST-18).
        self.rtt_timed = None;
    }

    /// R2 as a retry count (Linux `tcp_retries2`, `tcp_orphan_retries` for
    /// orphans) or as a time (the rfc profile's 100 s).
    fn r2_reached(&self, now: Instant) -> bool {
        if let Some(r2) = self.profile.r2_time {
            return self
                .retrans_since
                .is_some_and(|t| now.saturating_since(t) >= r2);
        }
        let limit = if self.orphan {
            match self.profile.orphan_retries {
                0 => 8,
                n => n,
            }
        } else {
            self.profile.retries2
        };
        self.retries >= limit
    }

    /// The window shrank to zero under data in flight: give up only when
    /// the peer has been silent, and retransmitting, for R2 (the rfc
    /// profile's time) or, in Linux (`tcp_rtx_probe0_timed_out`), for twice
    /// `TCP_RTO_MAX`. A peer that answers the probes keeps the connection
    /// (RFC 9293 §3.8.6.1, MUST-37).
    fn zero_window_silence_reached(&self, now: Instant) -> bool {
        let limit = self
            .profile
            .r2_time
            .unwrap_or(self.profile.rto_max.saturating_mul(2));
        let retrying = self
            .retrans_since
            .is_some_and(|t| now.saturating_since(t) >= limit);
        retrying && now.saturating_since(self.last_recv) >= limit
    }

    /// The interval before the next zero-window probe: RTO with exponential
    /// backoff (RFC 9293 §3.8.6.1, SHLD-29), bounded by `persist_max`.
    pub(crate) fn persist_interval(&self) -> Duration {
        let shift = self.persist_backoff.min(30);
        self.rtt
            .base_rto()
            .saturating_mul(1u64 << shift)
            .min(self.profile.persist_max)
            .max(self.profile.rto_min)
    }

    /// Zero-window probe (RFC 9293 §3.8.6.1, MUST-36). "The transmitting
    /// host SHOULD send the first zero-window probe when a zero window has
    /// existed for the retransmission timeout period (SHLD-29)", then with
    /// exponential backoff (which, as in Linux, an answer with a still-zero
    /// window does not reset). MUST-37: a peer that keeps answering keeps the
    /// connection open — the abort count only applies to unanswered probes
    /// (any segment resets it).
    fn on_persist_timeout(&mut self, now: Instant) {
        let waiting = self.sndbuf.available_from(self.tcb.snd_nxt) > 0
            || self.sndbuf.fin_seq() == Some(self.tcb.snd_nxt);
        if !self.state.is_synchronized() || !waiting {
            return;
        }
        if self.probes >= self.profile.retries2 || self.user_timeout_passed(now) {
            self.abort_with(Errno::ETIMEDOUT);
            return;
        }
        self.probes += 1;
        self.persist_backoff += 1;
        self.probe_pending = true;
        let at = now + self.persist_interval();
        self.timers.set(TimerKind::Persist, at);
    }

    /// With a user timeout and probes outstanding: the peer has been silent
    /// longer than the user allows.
    fn user_timeout_passed(&self, now: Instant) -> bool {
        self.probes > 0
            && self
                .sockopts
                .user_timeout
                .is_some_and(|ut| now.saturating_since(self.last_recv) >= ut)
    }

    /// Keep-alive (RFC 9293 §3.8.4): only when no data is outstanding
    /// (MUST-26: "only send keep-alive packets when no sent data is
    /// outstanding"); a probe every KEEPINTVL after KEEPIDLE of silence; the
    /// connection is reset after KEEPCNT unanswered probes (Linux sends a
    /// RST and reports ETIMEDOUT).
    fn on_keepalive_timeout(&mut self, now: Instant) {
        if !self.sockopts.keepalive
            || !self.state.is_synchronized()
            || self.state == State::TimeWait
        {
            return;
        }
        let idle = self
            .sockopts
            .keepidle
            .unwrap_or(self.profile.keepalive_time);
        let intvl = self
            .sockopts
            .keepintvl
            .unwrap_or(self.profile.keepalive_intvl);
        let cnt = self
            .sockopts
            .keepcnt
            .unwrap_or(self.profile.keepalive_probes);
        if self.tcb.snd_max != self.tcb.snd_una || self.unsent_len() > 0 {
            self.timers.set(TimerKind::Keepalive, now + idle);
            return;
        }
        let silent = now.saturating_since(self.last_recv);
        if silent < idle {
            self.timers.set(TimerKind::Keepalive, self.last_recv + idle);
            return;
        }
        if self.probes >= cnt || self.user_timeout_passed(now) {
            self.queue_abort_rst(now);
            self.abort_with(Errno::ETIMEDOUT);
            return;
        }
        self.probes += 1;
        self.probe_pending = true;
        self.timers.set(TimerKind::Keepalive, now + intvl);
    }

    /// Arms the user timeout while data (or our SYN) is unacknowledged
    /// (RFC 5482: "how long transmitted data may remain unacknowledged"),
    /// counted from the last forward progress. Linux applies it to SYN
    /// retransmissions as well.
    pub(crate) fn rearm_user_timeout(&mut self, now: Instant) {
        match self.sockopts.user_timeout {
            Some(ut)
                if self.tcb.snd_max != self.tcb.snd_una
                    && !matches!(self.state, State::Closed | State::Listen | State::TimeWait) =>
            {
                self.timers.set(TimerKind::UserTimeout, now + ut);
            }
            _ => self.timers.clear(TimerKind::UserTimeout),
        }
    }
}

/// Linux `tcp_model_timeout`: how long `boundary` retransmissions take when
/// the RTO doubles from `base` up to `max`, after which each adds `max`.
pub(crate) fn modelled_timeout(boundary: u32, base: Duration, max: Duration) -> Duration {
    let base_us = base.as_micros().max(1);
    let ratio = (max.as_micros() / base_us).max(1);
    let thresh = ratio.ilog2();
    if boundary <= thresh {
        base.saturating_mul((2u64 << boundary) - 1)
    } else {
        base.saturating_mul((2u64 << thresh) - 1) + max.saturating_mul(u64::from(boundary - thresh))
    }
}
