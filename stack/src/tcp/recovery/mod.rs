//! Loss recovery beside congestion control: duplicate-ACK counting for
//! RFC 3042 limited transmit. Congestion control (`congestion/`) owns cwnd
//! and ssthresh; this module decides what may be sent beyond them.

use super::Connection;

/// RFC 3042 §2: at most this many new segments on the first duplicate ACKs.
const LIMITED_TRANSMIT_SEGMENTS: u32 = 2;

/// Recovery state of a connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Recovery {
    /// Duplicate ACKs (RFC 5681 §2) since the last ACK of new data.
    pub dupacks: u32,
}

impl Recovery {
    /// RFC 5681 §2: a duplicate ACK arrived.
    pub fn on_duplicate_ack(&mut self) {
        self.dupacks = self.dupacks.saturating_add(1);
    }

    /// An ACK of new data: the duplicate count starts again.
    pub fn on_new_ack(&mut self) {
        self.dupacks = 0;
    }
}

impl Connection {
    /// Bytes that may be outstanding beyond cwnd for new data.
    ///
    /// RFC 3042 §2: "a TCP sender SHOULD send a new data segment in response
    /// to each of the first two duplicate acknowledgments that arrive at the
    /// sender", with "the congestion window ... not be changed": the amount
    /// outstanding may reach cwnd + 2 SMSS. Not during fast recovery, whose
    /// own rules govern what is sent (RFC 5681 §3.2, RFC 6582).
    pub(crate) fn limited_transmit_allowance(&self) -> u32 {
        if self.cc.ca_state() > 1 {
            return 0;
        }
        let smss = self.opts.eff_snd_mss(&self.profile);
        self.recovery
            .dupacks
            .min(LIMITED_TRANSMIT_SEGMENTS)
            .saturating_mul(smss)
    }
}
