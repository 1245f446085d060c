//! Round-trip time estimation and the retransmission timeout (RFC 6298),
//! with the profile's RTO formula, minimum and maximum.

use crate::profile::{Profile, RtoFormula, SynRtoFallback};
use crate::time::Duration;

/// RFC 6298 state: SRTT, RTTVAR, the current RTO and its backoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RttEstimator {
    srtt: Option<Duration>,
    rttvar: Duration,
    /// RTO before backoff.
    base_rto: Duration,
    /// Number of consecutive doublings (RFC 6298 §5.5).
    backoff: u32,
    /// Smallest sample seen (tcp_info `min_rtt`).
    min_rtt: Option<Duration>,
    /// Most recent sample.
    latest: Option<Duration>,
    rto_min: Duration,
    rto_max: Duration,
    granularity: Duration,
    formula: RtoFormula,
    /// The profile's timer tick: the RTO is a whole number of ticks.
    tick: Duration,
}

impl RttEstimator {
    /// RFC 6298 §2.1: "Until a round-trip time (RTT) measurement has been
    /// made ... the sender SHOULD set RTO <- 1 second" (the profile's
    /// initial RTO).
    pub fn new(profile: &Profile) -> RttEstimator {
        RttEstimator {
            srtt: None,
            rttvar: Duration::ZERO,
            base_rto: profile.rto_initial,
            backoff: 0,
            min_rtt: None,
            latest: None,
            rto_min: profile.rto_min,
            rto_max: profile.rto_max,
            granularity: profile.clock_granularity,
            formula: profile.rto_formula,
            tick: profile.timer_tick,
        }
    }

    /// Feeds one RTT measurement R (RFC 6298 §2.2–2.3) and clears the backoff
    /// (§5.7 lets the backed-off RTO stay until a new sample; a new sample
    /// recomputes RTO from SRTT and RTTVAR).
    pub fn sample(&mut self, r: Duration) {
        let r = r.max(Duration::from_micros(1));
        match self.srtt {
            None => {
                // §2.2: SRTT <- R, RTTVAR <- R/2.
                self.srtt = Some(r);
                self.rttvar = Duration::from_micros(r.as_micros() / 2);
            }
            Some(srtt) => {
                // §2.3: RTTVAR <- (1 - 1/4) * RTTVAR + 1/4 * |SRTT - R'|
                //       SRTT   <- (1 - 1/8) * SRTT   + 1/8 * R'
                let delta = srtt.as_micros().abs_diff(r.as_micros());
                let rttvar = (3 * self.rttvar.as_micros() + delta) / 4;
                let srtt = (7 * srtt.as_micros() + r.as_micros()) / 8;
                self.rttvar = Duration::from_micros(rttvar);
                self.srtt = Some(Duration::from_micros(srtt));
            }
        }
        self.min_rtt = Some(self.min_rtt.map_or(r, |m| m.min(r)));
        self.latest = Some(r);
        self.base_rto = self.compute_rto();
        self.backoff = 0;
    }

    fn compute_rto(&self) -> Duration {
        let srtt = self.srtt.unwrap_or(Duration::ZERO);
        let var4 = self.rttvar.saturating_mul(4);
        let rto = match self.formula {
            // RFC 6298 §2.3 and §2.4: RTO <- SRTT + max(G, K*RTTVAR), at least rto_min.
            RtoFormula::Rfc6298 => (srtt + var4.max(self.granularity)).max(self.rto_min),
            // Linux tcp_set_rto: the variance term is floored at rto_min.
            RtoFormula::Linux => srtt + var4.max(self.rto_min),
        };
        // Linux keeps the RTO in jiffies (`usecs_to_jiffies` rounds up).
        // RFC 6298 §2.5: a maximum value may be placed on RTO.
        rto.round_up_to(self.tick).min(self.rto_max)
    }

    /// RFC 6298 §5.5: "The host MUST set RTO <- RTO * 2 ("back off the
    /// timer")", bounded by the maximum (§2.5).
    pub fn back_off(&mut self) {
        self.backoff = self.backoff.saturating_add(1);
    }

    /// Takes the profile's RTO bounds and formula (a sysctl changed); the
    /// estimate itself stays.
    pub fn set_limits(&mut self, profile: &Profile) {
        self.rto_min = profile.rto_min;
        self.rto_max = profile.rto_max;
        self.granularity = profile.clock_granularity;
        self.formula = profile.rto_formula;
        self.tick = profile.timer_tick;
        if self.srtt.is_some() {
            self.base_rto = self.compute_rto();
        }
    }

    /// RFC 6298 §5.7, as data transmission begins: re-initialise the RTO to
    /// 3 s by the profile's rule. `syn_timed_out`: a SYN or SYN-ACK was
    /// retransmitted by the timer.
    pub fn handshake_done(&mut self, rule: SynRtoFallback, syn_timed_out: bool) {
        const FALLBACK: Duration = Duration::from_secs(3);
        let apply = match rule {
            SynRtoFallback::AfterSynTimeout => syn_timed_out && self.base_rto < FALLBACK,
            SynRtoFallback::WithoutRttSample => self.srtt.is_none(),
        };
        if apply {
            if rule == SynRtoFallback::WithoutRttSample {
                // Linux sets mdev to 3 s, reported as RTTVAR = mdev / 4.
                self.rttvar = Duration::from_millis(750);
            }
            self.base_rto = FALLBACK.min(self.rto_max);
            self.backoff = 0;
        }
    }

    /// Clears the backoff without a new sample (e.g. when an ACK for new data
    /// arrives on a connection without RTT samples; Linux does this too).
    pub fn reset_backoff(&mut self) {
        self.backoff = 0;
    }

    /// The current RTO including backoff.
    pub fn rto(&self) -> Duration {
        let shift = self.backoff.min(30);
        self.base_rto
            .saturating_mul(1u64 << shift)
            .min(self.rto_max)
    }

    /// The RTO without backoff.
    pub fn base_rto(&self) -> Duration {
        self.base_rto
    }
    pub fn backoff(&self) -> u32 {
        self.backoff
    }
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt
    }
    pub fn rttvar(&self) -> Duration {
        self.rttvar
    }
    pub fn min_rtt(&self) -> Option<Duration> {
        self.min_rtt
    }
    pub fn latest(&self) -> Option<Duration> {
        self.latest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn first_sample_sets_srtt_and_half_rttvar() {
        // RFC 6298 §2.2
        let mut e = RttEstimator::new(&Profile::rfc());
        assert_eq!(e.rto(), Duration::from_secs(1), "§2.1 initial RTO");
        e.sample(ms(100));
        assert_eq!(e.srtt(), Some(ms(100)));
        assert_eq!(e.rttvar(), ms(50));
        // max(100 + 200, 1 s) = 1 s under RFC 6298 §2.4.
        assert_eq!(e.rto(), Duration::from_secs(1));
    }

    #[test]
    fn linux_formula_is_srtt_plus_floored_variance() {
        let mut e = RttEstimator::new(&Profile::linux());
        e.sample(ms(100));
        // 100 + max(4*50, 200) = 300 ms: the tcpi_rto packetdrill scripts assert.
        assert_eq!(e.rto(), ms(300));
        // 10 + 200 = 210 ms, in whole 4 ms ticks: 212 ms (measured:
        // kernel_linux_facts initial_window_and_rto).
        let mut e = RttEstimator::new(&Profile::linux());
        e.sample(ms(10));
        assert_eq!(e.rto(), ms(212));
        let mut e = RttEstimator::new(&Profile::rfc());
        e.sample(ms(10));
        assert_eq!(e.rto(), ms(1000), "no ticks in the rfc profile");
        let mut r = Profile::rfc();
        r.rto_min = ms(200);
        let mut e = RttEstimator::new(&r);
        e.sample(ms(10));
        assert_eq!(e.rto(), ms(200), "max(10 + 4 x 5, 200): exact, no tick");
    }

    #[test]
    fn later_samples_use_the_ewma_gains() {
        // RFC 6298 §2.3 with alpha = 1/8, beta = 1/4.
        let mut e = RttEstimator::new(&Profile::rfc());
        e.sample(ms(100));
        e.sample(ms(200));
        // RTTVAR = 3/4*50 + 1/4*100 = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5
        assert_eq!(e.rttvar(), Duration::from_micros(62_500));
        assert_eq!(e.srtt(), Some(Duration::from_micros(112_500)));
        assert_eq!(e.min_rtt(), Some(ms(100)));
    }

    #[test]
    fn backoff_doubles_up_to_the_maximum_and_a_sample_clears_it() {
        // RFC 6298 §5.5 (MUST) and §2.5
        let mut e = RttEstimator::new(&Profile::rfc());
        let seq: Vec<u64> = (0..8)
            .map(|_| {
                let r = e.rto().as_millis();
                e.back_off();
                r
            })
            .collect();
        assert_eq!(seq, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
        e.sample(ms(100));
        assert_eq!(e.backoff(), 0);
        assert_eq!(e.rto(), Duration::from_secs(1));
        let mut l = RttEstimator::new(&Profile::linux());
        for _ in 0..40 {
            l.back_off();
        }
        assert_eq!(l.rto(), Duration::from_secs(120));
    }

    #[test]
    fn rto_falls_back_to_three_seconds_as_data_transmission_begins() {
        // RFC 6298 §5.7 (MUST) in the rfc profile: only after a SYN timeout,
        // and even with a sample (e.g. from timestamps).
        let rfc = SynRtoFallback::AfterSynTimeout;
        let linux = SynRtoFallback::WithoutRttSample;
        let table: [(&Profile, SynRtoFallback, bool, Option<u64>, u64); 6] = [
            // profile, rule, SYN timer expired, sample (ms), RTO after (ms)
            (&Profile::rfc(), rfc, true, None, 3000),
            (&Profile::rfc(), rfc, true, Some(100), 3000),
            (&Profile::rfc(), rfc, false, None, 1000),
            // Linux tcp_init_metrics: only the absence of a sample counts.
            (&Profile::linux(), linux, true, None, 3000),
            (&Profile::linux(), linux, false, None, 3000),
            (&Profile::linux(), linux, true, Some(100), 300),
        ];
        for (profile, rule, timed_out, sample, want) in table {
            let mut e = RttEstimator::new(profile);
            if timed_out {
                e.back_off();
            }
            if let Some(r) = sample {
                e.sample(ms(r));
            }
            e.handshake_done(rule, timed_out);
            assert_eq!(
                (e.rto(), e.backoff()),
                (ms(want), 0),
                "{rule:?} timed out {timed_out} sample {sample:?}"
            );
        }
        let mut e = RttEstimator::new(&Profile::linux());
        e.handshake_done(linux, true);
        assert_eq!(e.rttvar(), ms(750), "tcpi_rttvar as Linux reports it");
        e.sample(ms(10));
        assert_eq!(e.rto(), ms(212), "the first sample recomputes the RTO");
    }

    #[test]
    fn rfc_rto_never_below_granularity_term() {
        let mut p = Profile::rfc();
        p.rto_min = Duration::ZERO;
        p.clock_granularity = ms(50);
        let mut e = RttEstimator::new(&p);
        e.sample(ms(8));
        for _ in 0..50 {
            e.sample(ms(8)); // RTTVAR decays to 0
        }
        assert_eq!(e.rto(), ms(8) + ms(50));
    }
}
