//! How big Linux makes the skbs of its send queue, which decides where PSH
//! goes when the profile puts one at the end of every skb
//! (`Profile::push_per_skb`). Segments themselves are not paced.
//!
//! Linux sizes a send-queue skb with `tcp_tso_autosize`: about one
//! millisecond of data at the pacing rate (`sk_pacing_rate >>
//! sk_pacing_shift`), plus a share of 64 KiB that grows as the minimum RTT
//! shrinks (`tcp_tso_rtt_log`), at most 64 KiB and at least
//! `tcp_min_tso_segs` segments, bounded by half the largest window the peer
//! offered (`tcp_bound_to_half_wnd`). The pacing rate is
//! `tcp_update_pacing_rate`: `tcp_pacing_ss_ratio` percent (slow start) or
//! `tcp_pacing_ca_ratio` percent (congestion avoidance) of
//! max(cwnd, packets in flight)·MSS per SRTT.

use super::Connection;

/// `GSO_LEGACY_MAX_SIZE`: the largest skb (and TSO burst).
const GSO_MAX_SIZE: u64 = 65_536;
/// `sk_pacing_shift` default: a skb holds about 2^-10 s of data.
const PACING_SHIFT: u32 = 10;
/// `tcp_tso_rtt_log` default: the 64 KiB share halves per 2^9 µs of RTT.
const TSO_RTT_LOG: u32 = 9;
/// `TCP_MSS_DEFAULT`: below this the whole window bounds the skb.
const MSS_DEFAULT: u32 = 536;

impl Connection {
    /// The size goal of a new send-queue skb, in bytes: a whole number of
    /// send MSS, at least one.
    pub(crate) fn skb_size_goal(&self) -> u32 {
        let mss = self.opts.eff_snd_mss(&self.profile).max(1);
        let bytes = match self.rtt.srtt() {
            // No RTT yet: the rate is unbounded, the skb as large as GSO
            // allows.
            None => GSO_MAX_SIZE,
            Some(srtt) => {
                let p = &self.profile;
                let cwnd = self.cc.cwnd();
                let ratio = if cwnd < self.cc.ssthresh() / 2 {
                    p.pacing_ss_ratio
                } else {
                    p.pacing_ca_ratio
                };
                let window = u64::from(cwnd.max(self.tcb.in_flight()));
                // Bytes per second, then per 2^-10 s.
                let rate = window * u64::from(ratio) * 10_000 / srtt.as_micros().max(1);
                let mut bytes = rate >> PACING_SHIFT;
                let min_rtt = self.rtt.min_rtt().unwrap_or(srtt).as_micros();
                let r = min_rtt >> TSO_RTT_LOG;
                if r < 64 {
                    bytes += GSO_MAX_SIZE >> r;
                }
                bytes.min(GSO_MAX_SIZE)
            }
        };
        let segs = (bytes / u64::from(mss)).max(u64::from(self.profile.min_tso_segs.max(1)));
        let goal = u32::try_from(segs.saturating_mul(u64::from(mss))).unwrap_or(u32::MAX);
        // tcp_bound_to_half_wnd.
        let max_wnd = self.tcb.max_snd_wnd;
        let cutoff = if max_wnd > MSS_DEFAULT {
            max_wnd / 2
        } else {
            max_wnd
        };
        let goal = if cutoff > 0 && goal > cutoff {
            cutoff
        } else {
            goal
        };
        (goal - goal % mss).max(mss)
    }
}
