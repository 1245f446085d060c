//! Tail loss probes (RFC 8985 §7, the TLP half of RACK-TLP), on in Linux by
//! default (`tcp_early_retrans` = 3): when the ACKs stop while data is
//! outstanding, send one probe after about two round trips instead of
//! waiting for the retransmission timeout, so that a lost tail is repaired
//! by fast recovery rather than by an RTO.

use crate::time::{Duration, Instant};

use super::Connection;
use super::seq::SeqNumber;
use super::state::State;
use super::timer::TimerKind;

/// Linux `TCP_TIMEOUT_MIN` (2 jiffies): the PTO's slack when more than one
/// segment is in flight.
const PTO_SLACK: Duration = Duration::from_millis(2);

/// The probe state of a connection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tlp {
    /// RFC 8985 §7.3 TLP.end_seq: SND.NXT when the probe was sent; no new
    /// probe until this episode ends (SND.UNA passes it, or an RTO).
    pub high_seq: Option<SeqNumber>,
    /// The PTO fired: the next `poll_transmit` sends the probe.
    pub pending: bool,
}

impl Connection {
    /// RFC 8985 §7.2 (and Linux `tcp_schedule_loss_probe`): whether a probe
    /// may be scheduled now.
    fn tlp_allowed(&self) -> bool {
        self.profile.tlp
            && self.opts.sack_ok
            && self.tlp.high_seq.is_none()
            && self.tcb.in_flight() > 0
            && self.ca_state() == 0
            && matches!(
                self.state,
                State::Established
                    | State::CloseWait
                    | State::FinWait1
                    | State::Closing
                    | State::LastAck
            )
    }

    /// RFC 8985 §7.2: PTO = 2·SRTT, plus the worst-case delayed-ACK time
    /// when one segment is in flight (Linux adds `TCP_RTO_MIN` then, a few
    /// milliseconds otherwise), 1 s without an RTT sample; never later than
    /// the RTO would fire.
    pub(crate) fn schedule_loss_probe(&mut self, now: Instant) {
        if !self.tlp_allowed() {
            self.timers.clear(TimerKind::LossProbe);
            return;
        }
        let mss = self.opts.eff_snd_mss(&self.profile);
        let pto = match self.rtt.srtt() {
            Some(srtt) if self.tcb.in_flight() <= mss => {
                srtt.saturating_mul(2) + self.profile.rto_min
            }
            Some(srtt) => srtt.saturating_mul(2) + PTO_SLACK,
            None => Duration::from_secs(1),
        }
        // Linux `tcp_schedule_loss_probe` converts it to jiffies.
        .round_up_to(self.profile.timer_tick);
        let rto_at = self
            .timers
            .get(TimerKind::Retransmit)
            .unwrap_or(now + self.rtt.rto());
        self.timers
            .set(TimerKind::LossProbe, (now + pto).min(rto_at));
    }

    /// The PTO fired (RFC 8985 §7.3): probe at the next `poll_transmit`.
    pub(crate) fn on_loss_probe_timeout(&mut self, now: Instant) {
        if self.tlp_allowed() {
            self.tlp.pending = true;
            // The probe replaces an RTO due at the same moment (Linux runs
            // one timer for both): the RTO is re-armed after the probe.
            if self
                .timers
                .get(TimerKind::Retransmit)
                .is_some_and(|t| t <= now)
            {
                self.timers.set(TimerKind::Retransmit, now + self.rtt.rto());
            }
        } else if self.tcb.in_flight() > 0 && !self.timers.is_set(TimerKind::Retransmit) {
            self.timers.set(TimerKind::Retransmit, now + self.rtt.rto());
        }
    }

    /// RFC 8985 §7.3: "If a previously unsent segment exists AND the
    /// receive window allows, send one new segment"; otherwise retransmit
    /// the last segment sent. Returns (seq, len, fin) of a retransmission to
    /// make (zero length and no FIN: no probe at all), or `None` when new data goes out instead (through the normal
    /// path, with the cwnd check lifted for this one segment).
    pub(crate) fn loss_probe_choice(&self) -> Option<(SeqNumber, usize, bool)> {
        let nxt = self.tcb.snd_max;
        let peer_edge = self.tcb.snd_una + self.tcb.snd_wnd;
        let new_data = self.sndbuf.available_from(nxt) > 0 && peer_edge.gt(nxt);
        if new_data && self.tcb.snd_nxt == nxt {
            return None;
        }
        let fin_sent = self.sndbuf.fin_seq().is_some_and(|f| f.lt(nxt));
        let data_end = self.sndbuf.end().min(nxt);
        let mss = self.opts.eff_snd_mss(&self.profile);
        let from = self.tcb.snd_una.max(self.sndbuf.start());
        let start = if data_end - from > mss {
            data_end - mss
        } else {
            from
        };
        // Linux `__tcp_retransmit_skb`: nothing past the peer's window,
        // except the segment at SND.UNA; a window shrunk to zero leaves the
        // tail to the RTO (measured on Linux 6.18: no probe, the RTO
        // retransmits SND.UNA).
        if peer_edge.le(start) && start != self.tcb.snd_una {
            return Some((start, 0, false));
        }
        Some((start, (data_end - start) as usize, fin_sent))
    }

    /// After the probe left: remember the episode and re-arm the RTO (from
    /// now if the probe resent the oldest outstanding data, as Linux's
    /// `tcp_rearm_rto` measures from that segment's last transmission).
    pub(crate) fn loss_probe_sent(&mut self, now: Instant, seq: SeqNumber) {
        self.tlp.pending = false;
        self.tlp.high_seq = Some(self.tcb.snd_max);
        if seq == self.tcb.snd_una || !self.timers.is_set(TimerKind::Retransmit) {
            self.timers.set(TimerKind::Retransmit, now + self.rtt.rto());
        }
        self.timers.clear(TimerKind::LossProbe);
    }

    /// An ACK moved SND.UNA: end the probe episode once it passes the probe.
    pub(crate) fn loss_probe_on_ack(&mut self, now: Instant) {
        if self.tlp.high_seq.is_some_and(|h| self.tcb.snd_una.ge(h)) {
            self.tlp.high_seq = None;
        }
        if self.tcb.in_flight() > 0 {
            self.schedule_loss_probe(now);
        } else {
            self.timers.clear(TimerKind::LossProbe);
        }
    }
}
