//! Congestion control behind a trait (RFC 9293 §3.8.2 MUST-19: implement
//! RFC 5681). The connection reports ACKs and timeouts; the algorithm owns
//! cwnd and ssthresh and says when to retransmit during recovery.

pub mod newreno;

pub use newreno::NewReno;

use crate::profile::{InitialWindow, Profile};

/// What the connection tells the algorithm about one arriving ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckEvent {
    /// Bytes newly acknowledged (SEG.ACK − old SND.UNA; 0 for a duplicate).
    pub acked: u32,
    /// RFC 5681 §2 "DUPLICATE ACKNOWLEDGMENT": same ACK as SND.UNA, no data,
    /// no SYN/FIN, unchanged window, data outstanding.
    pub duplicate: bool,
    /// SND.UNA after this ACK, as an offset from ISS (keeps the trait free of
    /// wrap-around: offsets grow monotonically during a connection).
    pub snd_una: u64,
    /// Highest sequence sent (SND.MAX) as an offset from ISS.
    pub snd_max: u64,
    /// Bytes in flight before this ACK (FlightSize, RFC 5681 §2).
    pub flight_before: u32,
    /// Sender MSS (SMSS).
    pub smss: u32,
    /// The most bytes in flight during the last window of data (Linux
    /// `max_packets_out`), for cwnd validation.
    pub max_flight: u32,
    /// The last window of data was limited by cwnd (Linux `is_cwnd_limited`).
    pub cwnd_limited: bool,
    /// SACK-based loss recovery (RFC 6675) decides when recovery begins
    /// and ends and what is retransmitted: duplicate ACKs neither trigger a
    /// fast retransmit nor inflate cwnd here, and partial ACKs ask for no
    /// retransmission.
    pub sack: bool,
}

/// The algorithm's answer to an ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckAction {
    /// Nothing beyond sending what cwnd and the window allow.
    None,
    /// RFC 5681 §3.2 step 2: retransmit the segment at SND.UNA now (fast
    /// retransmit), entering fast recovery.
    FastRetransmit,
    /// RFC 6582 §3.2 step 5: a partial ACK during recovery: retransmit the
    /// first unacknowledged segment.
    RetransmitHead,
}

/// A congestion controller. Linux `tcp_info.ca_state` values come from
/// [`CongestionControl::ca_state`].
pub trait CongestionControl: core::fmt::Debug {
    /// The TCP_CONGESTION name.
    fn name(&self) -> &'static str;
    /// Congestion window in bytes.
    fn cwnd(&self) -> u32;
    /// Slow-start threshold in bytes.
    fn ssthresh(&self) -> u32;
    /// Linux `TCP_CA_*` state number (0 open, 1 disorder, 3 recovery, 4 loss).
    fn ca_state(&self) -> u8;
    /// An ACK arrived (new or duplicate).
    fn on_ack(&mut self, ev: &AckEvent) -> AckAction;
    /// The retransmission timer expired (RFC 5681 §3.1 equation 4) with
    /// `flight` bytes outstanding; `snd_max` as in [`AckEvent`].
    fn on_timeout(&mut self, flight: u32, snd_max: u64);
    /// RFC 6675 §5 step (4.2): SACK-based loss recovery begins with
    /// `flight` bytes in flight (FlightSize); `snd_max` as in [`AckEvent`].
    fn enter_recovery(&mut self, flight: u32, snd_max: u64);
    /// RFC 6675 §5 (A): the ACK covered RecoveryPoint.
    fn exit_recovery(&mut self);
    /// RFC 6937: cwnd as Proportional Rate Reduction sets it during
    /// recovery.
    fn set_recovery_cwnd(&mut self, cwnd: u32);
    /// The sender MSS changed (e.g. after the handshake).
    fn set_smss(&mut self, smss: u32);
    /// A sysctl changed: take the profile's tunables (not cwnd or ssthresh).
    fn set_profile(&mut self, profile: &Profile);
}

/// RFC 5681 §3.1: IW for a sender MSS, as the profile chooses.
pub fn initial_window(profile: &Profile, smss: u32) -> u32 {
    match profile.initial_window {
        InitialWindow::Segments(n) => n.saturating_mul(smss),
        // RFC 5681 §3.1 (from RFC 3390).
        InitialWindow::Rfc5681 => {
            if smss > 2190 {
                2 * smss
            } else if smss > 1095 {
                3 * smss
            } else {
                4 * smss
            }
        }
    }
}

/// The default algorithm (RFC 5681 with RFC 6582 NewReno).
pub fn new_reno(profile: &Profile, smss: u32) -> Box<dyn CongestionControl> {
    Box::new(NewReno::new(initial_window(profile, smss), smss, profile))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_window_per_rfc5681_and_linux() {
        let r = Profile::rfc();
        assert_eq!(initial_window(&r, 536), 4 * 536);
        assert_eq!(initial_window(&r, 1460), 3 * 1460);
        assert_eq!(initial_window(&r, 9000), 2 * 9000);
        assert_eq!(initial_window(&Profile::linux(), 1448), 14480);
    }
}
