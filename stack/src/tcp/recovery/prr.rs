//! Proportional Rate Reduction (RFC 6937), the cwnd Linux uses during
//! fast recovery (`tcp_cwnd_reduction`), in whole segments as Linux counts.

/// PRR state of one recovery episode (RFC 6937 §3 variables).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prr {
    /// RecoverFS: cwnd when recovery began, in segments (Linux `prior_cwnd`).
    pub prior_cwnd: u32,
    /// prr_delivered: segments delivered (SACKed or ACKed) since then.
    pub delivered: u32,
    /// prr_out: segments sent since then.
    pub out: u32,
}

impl Prr {
    pub fn start(prior_cwnd: u32) -> Prr {
        Prr {
            prior_cwnd: prior_cwnd.max(1),
            delivered: 0,
            out: 0,
        }
    }

    /// RFC 6937 §3 "On every ACK during recovery": the new cwnd, in
    /// segments, given `pipe` segments in flight, `ssthresh` segments, the
    /// segments this ACK newly delivered, and whether it advanced SND.UNA
    /// without new losses (Linux adds one segment then).
    pub fn on_ack(
        &mut self,
        pipe: u32,
        ssthresh: u32,
        delivered: u32,
        una_advanced: bool,
    ) -> Option<u32> {
        if delivered == 0 {
            return None;
        }
        self.delivered = self.delivered.saturating_add(delivered);
        let sndcnt = if pipe > ssthresh {
            // "sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out"
            let limit = (u64::from(ssthresh) * u64::from(self.delivered))
                .div_ceil(u64::from(self.prior_cwnd));
            (limit.min(u64::from(u32::MAX)) as u32).saturating_sub(self.out)
        } else {
            // Slow-start reduction bound (PRR-SSRB): "sndcnt = MIN(ssthresh -
            // pipe, limit)" with limit = MAX(prr_delivered - prr_out,
            // DeliveredData) + MSS.
            let mut limit = self.delivered.saturating_sub(self.out).max(delivered);
            if una_advanced {
                limit += 1;
            }
            (ssthresh - pipe).min(limit)
        };
        // Linux: force the fast retransmit when recovery begins.
        let sndcnt = sndcnt.max(u32::from(self.out == 0));
        Some(pipe + sndcnt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prr_reduces_proportionally_then_bounds_by_ssthresh() {
        // (pipe, ssthresh, delivered, una advanced, sent since, cwnd)
        let mut p = Prr::start(12);
        // Entry (measured on Linux 6.18: corpus/tcp/recovery/sack-middle-hole.pkt):
        // pipe 4 below ssthresh 6: one segment per delivered, and the
        // forced fast retransmit.
        assert_eq!(p.on_ack(4, 6, 1, false), Some(5));
        p.out += 1;
        assert_eq!(p.on_ack(4, 6, 1, false), Some(5));
        // Nothing delivered: cwnd untouched.
        assert_eq!(p.on_ack(4, 6, 0, false), None);
        // Pipe above ssthresh: ceil(delivered * ssthresh / prior_cwnd) - out.
        let mut p = Prr::start(10);
        assert_eq!(p.on_ack(9, 5, 1, false), Some(10), "ceil(5/10) - 0 = 1");
        p.out += 1;
        assert_eq!(p.on_ack(9, 5, 1, false), Some(9), "ceil(10/10) - 1 = 0");
        assert_eq!(p.on_ack(8, 5, 1, false), Some(9), "ceil(15/10) - 1 = 1");
    }
}
