//! The sequence variables of the transmission control block, named as in
//! RFC 9293 §3.3.1 (Figures 2–4).

use super::seq::SeqNumber;

/// Send and receive sequence variables (RFC 9293 §3.3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tcb {
    /// ISS: initial send sequence number.
    pub iss: SeqNumber,
    /// SND.UNA: oldest unacknowledged sequence number.
    pub snd_una: SeqNumber,
    /// SND.NXT: next sequence number to send. Pulled back to SND.UNA by a
    /// retransmission timeout (go-back-N), so it can be below `snd_max`.
    pub snd_nxt: SeqNumber,
    /// Highest sequence number sent so far plus one (BSD `snd_max`): what an
    /// ACK may acknowledge at most ("SEG.ACK =< SND.NXT" in the RFC's text,
    /// where SND.NXT never moves back).
    pub snd_max: SeqNumber,
    /// SND.WND: send window, in bytes (already scaled).
    pub snd_wnd: u32,
    /// SND.UP: send urgent pointer.
    pub snd_up: SeqNumber,
    /// SND.WL1: segment sequence number used for the last window update.
    pub snd_wl1: SeqNumber,
    /// SND.WL2: segment acknowledgment number used for the last window update.
    pub snd_wl2: SeqNumber,
    /// MAX.SND.WND (RFC 5961 §5): the largest window the peer has offered.
    pub max_snd_wnd: u32,
    /// IRS: initial receive sequence number.
    pub irs: SeqNumber,
    /// RCV.NXT: next sequence number expected.
    pub rcv_nxt: SeqNumber,
    /// RCV.WND: the receive window last advertised, counted from `rcv_nxt`
    /// at the time (see `rcv_adv`).
    pub rcv_wnd: u32,
    /// Right edge of the last advertised window (RCV.NXT + RCV.WND when it
    /// was sent); RFC 9293 §3.10.7.4 seventh step: "the total of RCV.NXT and
    /// RCV.WND should not be reduced".
    pub rcv_adv: SeqNumber,
    /// RCV.UP: receive urgent pointer.
    pub rcv_up: SeqNumber,
}

impl Tcb {
    /// Variables for a connection whose ISS is chosen: SND.UNA = ISS,
    /// SND.NXT = ISS (the SYN is not yet sent; output advances it).
    pub fn new(iss: SeqNumber) -> Tcb {
        Tcb {
            iss,
            snd_una: iss,
            snd_nxt: iss,
            snd_max: iss,
            snd_up: iss,
            snd_wl2: iss,
            ..Tcb::default()
        }
    }

    /// The receive window as the peer currently sees it: from RCV.NXT to the
    /// right edge last advertised (zero if RCV.NXT passed it).
    pub fn rcv_window(&self) -> u32 {
        if self.rcv_adv.gt(self.rcv_nxt) {
            self.rcv_adv - self.rcv_nxt
        } else {
            0
        }
    }

    /// Bytes (and SYN/FIN) sent but not yet acknowledged: SND.MAX − SND.UNA.
    pub fn in_flight(&self) -> u32 {
        self.snd_max - self.snd_una
    }

    /// RFC 9293 §3.10.7.4 fifth step, window update rule:
    /// "If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK))".
    pub fn window_update_allowed(&self, seg_seq: SeqNumber, seg_ack: SeqNumber) -> bool {
        self.snd_wl1.lt(seg_seq) || (self.snd_wl1 == seg_seq && self.snd_wl2.le(seg_ack))
    }

    /// Applies a window update: SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ,
    /// SND.WL2 <- SEG.ACK, and tracks MAX.SND.WND.
    pub fn update_window(&mut self, wnd: u32, seg_seq: SeqNumber, seg_ack: SeqNumber) {
        self.snd_wnd = wnd;
        self.snd_wl1 = seg_seq;
        self.snd_wl2 = seg_ack;
        self.max_snd_wnd = self.max_snd_wnd.max(wnd);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u32) -> SeqNumber {
        SeqNumber(n)
    }

    #[test]
    fn window_update_rule_follows_wl1_wl2() {
        // RFC 9293 §3.10.7.4 fifth step (ESTABLISHED): the check "prevents
        // using old segments to update the window".
        let mut t = Tcb::new(s(1000));
        t.snd_wl1 = s(500);
        t.snd_wl2 = s(1000);
        let table = [
            (499, 2000, false), // older segment
            (501, 900, true),   // newer segment, any ack
            (500, 999, false),  // same segment seq, older ack
            (500, 1000, true),  // same seq and ack
            (500, 1001, true),  // same seq, newer ack
        ];
        for (seq, ack, ok) in table {
            assert_eq!(t.window_update_allowed(s(seq), s(ack)), ok, "{seq} {ack}");
        }
        t.update_window(100, s(501), s(1001));
        t.update_window(50, s(502), s(1001));
        assert_eq!((t.snd_wnd, t.max_snd_wnd), (50, 100));
    }

    #[test]
    fn receive_window_never_negative() {
        let mut t = Tcb::new(s(0));
        t.rcv_nxt = s(100);
        t.rcv_adv = s(150);
        assert_eq!(t.rcv_window(), 50);
        t.rcv_nxt = s(160);
        assert_eq!(t.rcv_window(), 0);
    }
}
