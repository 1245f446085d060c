//! RFC 5681 slow start, congestion avoidance, fast retransmit and fast
//! recovery, with the RFC 6582 (NewReno) modification for partial ACKs.

use super::{AckAction, AckEvent, CongestionControl};
use crate::profile::Profile;

/// Linux TCP_INFINITE_SSTHRESH: "ssthresh MAY be set arbitrarily high"
/// (RFC 5681 §3.1) before the first loss.
pub const INFINITE_SSTHRESH: u32 = 0x7fff_ffff;

/// NewReno state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewReno {
    cwnd: u32,
    ssthresh: u32,
    smss: u32,
    dupacks: u32,
    dupack_threshold: u32,
    /// RFC 6582 "recover" (the highest sequence number transmitted when the
    /// last recovery or timeout began), stored as SND.MAX, one past it: an
    /// ACK "covers" recover when SND.UNA >= this.
    recover: u64,
    in_recovery: bool,
    /// After an RTO, until SND.UNA passes `recover` (Linux TCP_CA_Loss).
    in_loss: bool,
    /// Slow-start growth cap per ACK, in SMSS (profile `abc_limit`).
    abc_limit: Option<u32>,
    /// Grow only while cwnd-limited (profile `cwnd_validation`).
    validation: bool,
}

impl NewReno {
    pub fn new(iw: u32, smss: u32, profile: &Profile) -> NewReno {
        NewReno {
            cwnd: iw.max(smss),
            ssthresh: INFINITE_SSTHRESH,
            smss: smss.max(1),
            dupacks: 0,
            dupack_threshold: profile.dupack_threshold.max(1),
            recover: 0,
            in_recovery: false,
            in_loss: false,
            abc_limit: profile.abc_limit,
            validation: profile.cwnd_validation,
        }
    }

    fn on_duplicate(&mut self, ev: &AckEvent) -> AckAction {
        self.dupacks += 1;
        if ev.sack {
            // RFC 6675 §5: the scoreboard decides; no inflation (pipe
            // replaces it).
            return AckAction::None;
        }
        if self.in_recovery {
            // RFC 6582 §3.2 step 4 (RFC 5681 §3.2 step 4): inflate by SMSS
            // for each additional duplicate ACK.
            self.cwnd = self.cwnd.saturating_add(self.smss);
            return AckAction::None;
        }
        // RFC 6582 §3.2 step 2: enter fast retransmit only if the cumulative
        // ACK covers more than "recover" (avoids multiple fast retransmits
        // for one window of losses).
        if self.dupacks == self.dupack_threshold && ev.snd_una >= self.recover {
            self.recover = ev.snd_max;
            // RFC 5681 §3.2 step 2, equation 4: ssthresh = max(FlightSize/2, 2*SMSS).
            self.ssthresh = (ev.flight_before / 2).max(2 * self.smss);
            // RFC 5681 §3.2 step 3: cwnd = ssthresh + 3*SMSS.
            self.cwnd = self.ssthresh + 3 * self.smss;
            self.in_recovery = true;
            self.in_loss = false;
            return AckAction::FastRetransmit;
        }
        AckAction::None
    }

    fn on_new_ack(&mut self, ev: &AckEvent) -> AckAction {
        if self.in_recovery && ev.sack {
            // RFC 6675: cwnd stays at ssthresh until recovery ends.
            return AckAction::None;
        }
        if self.in_recovery {
            if ev.snd_una >= self.recover {
                // RFC 6582 §3.2 step 3 (full acknowledgment): deflate.
                // "Set cwnd to either (1) min (ssthresh, max(FlightSize, SMSS) + SMSS)
                // or (2) ssthresh" — option (1).
                let flight = ev
                    .snd_max
                    .saturating_sub(ev.snd_una)
                    .min(u64::from(u32::MAX)) as u32;
                self.cwnd = self.ssthresh.min(flight.max(self.smss) + self.smss);
                self.in_recovery = false;
                self.dupacks = 0;
                return AckAction::None;
            }
            // RFC 6582 §3.2 step 3 (partial acknowledgment): retransmit the
            // first unacknowledged segment, deflate cwnd by the amount of new
            // data acknowledged, add back SMSS if at least SMSS was acked.
            self.cwnd = self.cwnd.saturating_sub(ev.acked);
            if ev.acked >= self.smss {
                self.cwnd += self.smss;
            }
            self.cwnd = self.cwnd.max(self.smss);
            return AckAction::RetransmitHead;
        }
        self.dupacks = 0;
        if self.in_loss && ev.snd_una >= self.recover {
            self.in_loss = false;
        }
        if self.cwnd < self.ssthresh {
            // Linux: no growth unless cwnd < 2 x the packets in flight.
            if self.validation && u64::from(self.cwnd) >= 2 * u64::from(ev.max_flight) {
                return AckAction::None;
            }
            // RFC 5681 §3.1 equation 2: cwnd += min(N, SMSS) (Linux: += N).
            let limit = self
                .abc_limit
                .map_or(u32::MAX, |l| l.saturating_mul(self.smss));
            self.cwnd = self
                .cwnd
                .saturating_add(ev.acked.min(limit))
                .min(self.ssthresh.max(self.cwnd));
        } else {
            if self.validation && !ev.cwnd_limited {
                return AckAction::None;
            }
            // RFC 5681 §3.1 equation 3: cwnd += SMSS*SMSS/cwnd, at least 1.
            let inc =
                (u64::from(self.smss) * u64::from(self.smss) / u64::from(self.cwnd.max(1))).max(1);
            self.cwnd = self.cwnd.saturating_add(inc as u32);
        }
        AckAction::None
    }
}

impl CongestionControl for NewReno {
    fn name(&self) -> &'static str {
        "reno"
    }
    fn cwnd(&self) -> u32 {
        self.cwnd
    }
    fn ssthresh(&self) -> u32 {
        self.ssthresh
    }
    fn ca_state(&self) -> u8 {
        if self.in_loss {
            4
        } else if self.in_recovery {
            3
        } else if self.dupacks > 0 {
            1
        } else {
            0
        }
    }
    fn on_ack(&mut self, ev: &AckEvent) -> AckAction {
        if ev.duplicate {
            self.on_duplicate(ev)
        } else if ev.acked > 0 {
            self.on_new_ack(ev)
        } else {
            AckAction::None
        }
    }
    fn on_timeout(&mut self, flight: u32, snd_max: u64) {
        // RFC 5681 §3.1 equation 4 and "cwnd MUST be set to no more than the
        // loss window, LW, which equals 1 full-sized segment".
        self.ssthresh = (flight / 2).max(2 * self.smss);
        self.cwnd = self.smss;
        self.dupacks = 0;
        self.in_recovery = false;
        self.in_loss = true;
        // RFC 6582 §3.2 step 1 after a timeout: record the highest sent.
        self.recover = snd_max;
    }
    fn enter_recovery(&mut self, flight: u32, snd_max: u64) {
        // RFC 6675 §5 (4.2) "ssthresh = cwnd = (FlightSize / 2)", at least
        // 2 SMSS (RFC 5681 §3.2 equation 4); Linux passes cwnd instead.
        self.ssthresh = (flight / 2).max(2 * self.smss);
        self.cwnd = self.ssthresh;
        self.recover = snd_max;
        self.in_recovery = true;
        self.in_loss = false;
    }
    fn exit_recovery(&mut self) {
        // RFC 5681 §3.2 step 6: "set cwnd to ssthresh" (Linux
        // `tcp_end_cwnd_reduction` likewise).
        self.cwnd = self.ssthresh;
        self.in_recovery = false;
        self.dupacks = 0;
    }
    fn set_recovery_cwnd(&mut self, cwnd: u32) {
        if self.in_recovery {
            self.cwnd = cwnd.max(self.smss);
        }
    }
    fn set_smss(&mut self, smss: u32) {
        self.smss = smss.max(1);
    }
    fn set_profile(&mut self, profile: &Profile) {
        self.dupack_threshold = profile.dupack_threshold.max(1);
        self.abc_limit = profile.abc_limit;
        self.validation = profile.cwnd_validation;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    fn ack(acked: u32, una: u64, max: u64, flight: u32) -> AckEvent {
        AckEvent {
            acked,
            duplicate: false,
            snd_una: una,
            snd_max: max,
            flight_before: flight,
            smss: MSS,
            max_flight: flight,
            cwnd_limited: true,
            sack: false,
        }
    }
    fn rfc() -> Profile {
        Profile::rfc()
    }
    fn dup(una: u64, max: u64, flight: u32) -> AckEvent {
        AckEvent {
            duplicate: true,
            ..ack(0, una, max, flight)
        }
    }

    #[test]
    fn slow_start_then_congestion_avoidance() {
        let mut c = NewReno::new(2 * MSS, MSS, &rfc());
        assert_eq!(c.ssthresh(), INFINITE_SSTHRESH);
        // RFC 5681 eq. 2: at most SMSS per ACK, even for a stretch ACK.
        c.on_ack(&ack(3 * MSS, 3001, 3001, 3000));
        assert_eq!(c.cwnd(), 3 * MSS);
        c.ssthresh = 3 * MSS;
        // eq. 3: SMSS*SMSS/cwnd = 333
        c.on_ack(&ack(MSS, 4001, 5001, 2000));
        assert_eq!(c.cwnd(), 3 * MSS + 333);
    }

    #[test]
    fn third_duplicate_triggers_fast_retransmit_and_recovery() {
        let mut c = NewReno::new(10 * MSS, MSS, &rfc());
        let (una, max, flight) = (1, 10_001, 10_000);
        assert_eq!(c.on_ack(&dup(una, max, flight)), AckAction::None);
        assert_eq!(c.ca_state(), 1);
        assert_eq!(c.on_ack(&dup(una, max, flight)), AckAction::None);
        assert_eq!(c.on_ack(&dup(una, max, flight)), AckAction::FastRetransmit);
        // RFC 5681 §3.2 steps 2–3.
        assert_eq!(c.ssthresh(), 5 * MSS);
        assert_eq!(c.cwnd(), 8 * MSS);
        assert_eq!(c.ca_state(), 3);
        // step 4: inflate.
        c.on_ack(&dup(una, max, flight));
        assert_eq!(c.cwnd(), 9 * MSS);
        // RFC 6582 partial ACK: retransmit head, deflate by acked, add SMSS.
        assert_eq!(
            c.on_ack(&ack(2 * MSS, 2001, max, flight)),
            AckAction::RetransmitHead
        );
        assert_eq!(c.cwnd(), 8 * MSS);
        // Full ACK (covers recover): cwnd = min(ssthresh, flight + SMSS).
        assert_eq!(c.on_ack(&ack(8000, 10_001, max, flight)), AckAction::None);
        assert_eq!(c.cwnd(), 2 * MSS, "flight after the ACK is 0");
        assert_eq!(c.ca_state(), 0);
    }

    #[test]
    fn no_second_fast_retransmit_for_the_same_window() {
        // RFC 6582 §3.2 step 2: duplicates whose ACK does not cover "recover".
        let mut c = NewReno::new(10 * MSS, MSS, &rfc());
        c.on_timeout(10_000, 10_001);
        assert_eq!((c.cwnd(), c.ssthresh(), c.ca_state()), (MSS, 5000, 4));
        for _ in 0..3 {
            assert_eq!(c.on_ack(&dup(5001, 10_001, 5000)), AckAction::None);
        }
        // Once past recover, a new triple duplicate counts again.
        c.on_ack(&ack(5000, 10_001, 12_001, 5000));
        assert_eq!(c.ca_state(), 0);
        for _ in 0..2 {
            c.on_ack(&dup(10_001, 12_001, 2000));
        }
        assert_eq!(
            c.on_ack(&dup(10_001, 12_001, 2000)),
            AckAction::FastRetransmit
        );
    }
}

#[cfg(test)]
mod linux_tests {
    use super::*;

    const MSS: u32 = 1000;

    fn ack(acked: u32, max_flight: u32, cwnd_limited: bool) -> AckEvent {
        AckEvent {
            acked,
            duplicate: false,
            snd_una: 1 + u64::from(acked),
            snd_max: 100_000,
            flight_before: max_flight,
            smss: MSS,
            max_flight,
            cwnd_limited,
            sack: false,
        }
    }

    #[test]
    fn linux_slow_start_counts_every_acked_byte_while_cwnd_is_used() {
        let mut c = NewReno::new(10 * MSS, MSS, &Profile::linux());
        // 9 segments in flight: grows while cwnd < 18 segments.
        c.on_ack(&ack(2000, 9000, false));
        assert_eq!(c.cwnd(), 12 * MSS, "a stretch ACK of 2 segments adds 2");
        for _ in 0..3 {
            c.on_ack(&ack(2000, 9000, false));
        }
        assert_eq!(c.cwnd(), 18 * MSS);
        c.on_ack(&ack(1000, 9000, false));
        assert_eq!(c.cwnd(), 18 * MSS, "application-limited: no growth");
        // The RFC profile grows regardless, by at most one SMSS per ACK.
        let mut r = NewReno::new(10 * MSS, MSS, &Profile::rfc());
        r.on_ack(&ack(2000, 1000, false));
        assert_eq!(r.cwnd(), 11 * MSS);
    }
}
