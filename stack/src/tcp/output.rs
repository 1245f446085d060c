//! What to send, and when: the SYN and SYN-ACK, data within
//! min(cwnd, SND.WND) under Nagle (RFC 9293 §3.7.4), TCP_NODELAY, TCP_CORK
//! and sender SWS avoidance (§3.8.6.2.1), the FIN, probes, and ACKs carrying
//! the receive window (§3.8.6.2.2) with timestamps and SACK blocks.

use crate::profile::{InitialRcvWindow, NagleVariant};
use crate::time::Instant;

use super::Connection;
use super::options::{segment_options, segment_options_into, syn_options};
use super::recovery::scoreboard::NextSeg;
use super::segment::{Flags, Segment};
use super::seq::SeqNumber;
use super::state::State;
use super::timer::TimerKind;

impl Connection {
    /// The next segment to emit at `now`, in live numbering, or `None` when
    /// there is nothing to send. Runs due timers first. Call it until it
    /// returns `None`.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Segment> {
        let mut seg = Segment::default();
        self.poll_transmit_into(now, &mut seg).then_some(seg)
    }

    /// [`poll_transmit`](Self::poll_transmit) into `out`, whose payload and
    /// option buffers are reused (no allocation per segment). Returns
    /// whether a segment was written; `out` is unspecified if not.
    pub fn poll_transmit_into(&mut self, now: Instant, out: &mut Segment) -> bool {
        if !self.poll_transmit_header(now, out) {
            return false;
        }
        let (a, b) = self.sndbuf.staged();
        out.payload.extend_from_slice(a);
        out.payload.extend_from_slice(b);
        true
    }

    /// [`poll_transmit_into`](Self::poll_transmit_into) for the host, which
    /// writes the payload into the frame straight from the send buffer: a
    /// data segment comes with an empty `payload`, and its data is
    /// [`staged_payload`](Self::staged_payload) until the next call.
    pub(crate) fn poll_transmit_header(&mut self, now: Instant, out: &mut Segment) -> bool {
        self.sndbuf.unstage();
        self.on_timer(now);
        if let Some(rst) = self.ctl.pop_front() {
            self.stats.segs_out += 1;
            *out = rst;
            return true;
        }
        let sent = match self.state {
            State::Closed | State::Listen => false,
            State::SynSent | State::SynReceived if self.syn_pending => {
                self.syn_segment(now, out);
                true
            }
            State::SynSent => false,
            State::SynReceived => self.ack_if_due(now, out),
            _ => self.next_segment(now, out),
        };
        if sent {
            self.stats.segs_out += 1;
        }
        sent
    }

    /// The payload of the segment [`poll_transmit_header`](Self::poll_transmit_header)
    /// last wrote, as the send buffer holds it (two slices when it wraps
    /// around the ring); empty for a segment without data.
    pub(crate) fn staged_payload(&self) -> (&[u8], &[u8]) {
        self.sndbuf.staged()
    }

    /// The receive space the buffer allows (Linux `tcp_win_from_space` with
    /// `tcp_adv_win_scale`: part of the buffer is kept for overhead).
    pub(crate) fn rcv_space_full(&self) -> u32 {
        self.profile.win_from_space(self.rcvbuf_cap)
    }

    /// Chooses the window offered on our SYN or SYN-ACK.
    pub(crate) fn init_rcv_window(&mut self) {
        let full = self.rcv_space_full();
        // Linux quantizes with the MSS it will receive: the advertised MSS on
        // an active open, less the timestamps when they are negotiated.
        let mss = if self.passive {
            self.opts.rcv_mss()
        } else {
            u32::from(self.opts.adv_mss)
        };
        let wnd = match self.profile.initial_rcv_window {
            InitialRcvWindow::LinuxRoundToMss if full > mss => full - full % mss,
            InitialRcvWindow::LinuxRoundToMss | InitialRcvWindow::WholeBuffer => full,
        };
        // RFC 7323 §2.2: the SYN's window is not scaled, so the peer learns
        // at most 65535 from it; that is the window until we say more.
        let wnd = wnd.min(65535);
        self.tcb.rcv_wnd = wnd;
        self.rcv_ssthresh = match self.profile.initial_rcv_window {
            InitialRcvWindow::LinuxRoundToMss => wnd,
            InitialRcvWindow::WholeBuffer => full,
        };
        self.tcb.rcv_adv = self.tcb.rcv_nxt + wnd;
    }

    /// The SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED), first transmission or
    /// retransmission (RFC 9293 §3.10.1, §3.10.7.2, §3.10.7.3).
    fn syn_segment(&mut self, now: Instant, seg: &mut Segment) {
        self.syn_pending = false;
        let iss = self.tcb.iss;
        let retransmission = self.tcb.snd_max.gt(iss);
        let p = self.profile;
        let tsval = self.opts.tsval(&p, now);
        let (flags, options) = if self.state == State::SynSent {
            let o = syn_options(
                p.syn_option_layout,
                self.opts.adv_mss,
                p.window_scaling.then_some(self.opts.rcv_wscale),
                p.sack,
                p.timestamps.then_some((tsval, 0)),
            );
            (Flags::SYN, o)
        } else {
            // Only the options the peer offered (RFC 7323 §1.3, RFC 2018 §2).
            let o = syn_options(
                p.syn_option_layout,
                self.opts.adv_mss,
                self.opts.wscale_ok.then_some(self.opts.rcv_wscale),
                self.opts.sack_ok,
                self.opts.ts_ok.then_some((tsval, self.opts.ts_recent)),
            );
            (Flags::SYN | Flags::ACK, o)
        };
        self.header(seg, iss, flags);
        // RFC 7323 §2.2: "The window field in a segment where the SYN bit is
        // set (i.e., a <SYN> or <SYN,ACK>) MUST NOT be scaled."
        seg.window = self.tcb.rcv_wnd.min(65535) as u16;
        seg.options = options;
        if flags.ack() {
            self.ack_sent(seg);
        }
        self.tcb.snd_nxt = iss + 1;
        self.tcb.snd_max = self.tcb.snd_max.max(iss + 1);
        if retransmission {
            self.stats.total_retrans += 1;
            // Karn (RFC 9293 §3.8.1 MUST-18): no sample from a retransmission.
            self.rtt_timed = None;
        } else {
            self.rtt_timed = Some((iss + 1, now));
            // Linux `retrans_stamp`: SYN retries are timed from here.
            self.retrans_since = Some(now);
        }
        self.timers
            .set_if_unset(TimerKind::Retransmit, now + self.rtt.rto());
        if !self.timers.is_set(TimerKind::UserTimeout) {
            self.rearm_user_timeout(now);
        }
    }

    /// A bare header from us to the peer in `seg`: ports, SEQ, ACK =
    /// RCV.NXT when `flags` has ACK, no options, no payload (the buffers
    /// keep their capacity).
    fn header(&self, seg: &mut Segment, seq: SeqNumber, flags: Flags) {
        seg.src_port = self.local.port();
        seg.dst_port = self.remote.port();
        seg.seq = seq;
        seg.ack = if flags.ack() {
            self.tcb.rcv_nxt
        } else {
            SeqNumber(0)
        };
        seg.flags = flags;
        seg.window = 0;
        seg.urgent = 0;
        seg.options.clear();
        seg.payload.clear();
    }

    /// Fills the window field and options of a non-SYN segment and records
    /// that an ACK went out.
    fn finish(&mut self, now: Instant, seg: &mut Segment) {
        seg.window = self.advertise_window();
        let ts = self
            .opts
            .ts_ok
            .then(|| (self.opts.tsval(&self.profile, now), self.opts.ts_recent));
        let sack = if self.opts.sack_ok && !self.ooo.is_empty() {
            self.ooo.sack_blocks()
        } else {
            Vec::new()
        };
        segment_options_into(&mut seg.options, ts, &sack);
        self.ack_sent(seg);
    }

    /// Bookkeeping after a segment carrying ACK = RCV.NXT leaves.
    fn ack_sent(&mut self, seg: &Segment) {
        self.ack.now = false;
        self.ack.window_update = false;
        self.ack.rcv_wup = seg.ack;
        self.opts.last_ack_sent = seg.ack;
        self.timers.clear(TimerKind::DelayedAck);
    }

    /// The window field for a non-SYN segment; updates RCV.WND and the
    /// advertised right edge.
    ///
    /// RFC 9293 §3.10.7.4 seventh step: "The total of RCV.NXT and RCV.WND
    /// should not be reduced" — a smaller offer keeps the old right edge,
    /// rounded up to the scale unit (as Linux does). RFC 9293 §3.8.6.2.2
    /// (MUST-39, receiver SWS avoidance): the right edge only advances by at
    /// least min(RCV.BUFF/2, Eff.rcv.MSS).
    pub(crate) fn advertise_window(&mut self) -> u16 {
        let ws = u32::from(self.opts.rcv_wscale);
        let unit = 1u32 << ws;
        let max_wnd = 65535u32 << ws;
        let free = self.free_window();
        let cur = self.tcb.rcv_window();
        let sws_step = (self.rcv_space_full() / 2).min(self.opts.rcv_mss()).max(1);
        let wnd = if free <= cur || free - cur < sws_step {
            cur.div_ceil(unit).saturating_mul(unit).min(max_wnd)
        } else {
            free
        };
        self.tcb.rcv_wnd = wnd;
        self.tcb.rcv_adv = self.tcb.rcv_nxt + wnd;
        (wnd >> ws).min(65535) as u16
    }

    /// The window the buffer allows now: free space, at most `rcv_ssthresh`
    /// and what the window field can express, in whole scale units.
    fn free_window(&self) -> u32 {
        let ws = u32::from(self.opts.rcv_wscale);
        let buffered = (self.rcvbuf.len() + self.ooo.bytes()) as u32;
        let free = self
            .rcv_space_full()
            .saturating_sub(buffered)
            .min(self.rcv_ssthresh)
            .min(65535u32 << ws);
        free - free % (1u32 << ws)
    }

    /// Whether reading opened the window enough for an update: Linux
    /// `tcp_cleanup_rbuf` waits until the new window is at least twice the
    /// current one; RFC 9293 §3.8.6.2.2 (MUST-39) until it grows by
    /// min(RCV.BUFF/2, Eff.rcv.MSS).
    pub(crate) fn window_would_open(&self) -> bool {
        let free = self.free_window();
        let cur = self.tcb.rcv_window();
        let step = (self.rcv_space_full() / 2).min(self.opts.rcv_mss()).max(1);
        free > cur && free - cur >= step && free >= 2 * cur
    }

    /// In SYN-RECEIVED: an ACK (e.g. for an unacceptable segment) if one is due.
    fn ack_if_due(&mut self, now: Instant, seg: &mut Segment) -> bool {
        if self.ack.now {
            self.pure_ack(now, seg);
            return true;
        }
        false
    }

    fn next_segment(&mut self, now: Instant, seg: &mut Segment) -> bool {
        if self.tlp.pending && self.loss_probe(now, seg) {
            return true;
        }
        if self.retransmit_head {
            self.retransmit_head = false;
            if self.retransmit_una(now, seg) {
                return true;
            }
        }
        if self.send_new(now, seg) {
            return true;
        }
        if self.probe_pending {
            self.probe_pending = false;
            self.probe(now, seg);
            return true;
        }
        if self.ack.now || self.ack.window_update {
            self.pure_ack(now, seg);
            return true;
        }
        false
    }

    /// RFC 5681 §3.2 step 2 / RFC 6582 partial ACK / RFC 6675 §5 (4.3):
    /// resend the segment at SND.UNA, without moving SND.NXT.
    fn retransmit_una(&mut self, now: Instant, seg: &mut Segment) -> bool {
        let una = self.tcb.snd_una;
        let mss = self.opts.eff_snd_mss(&self.profile);
        // One segment, and the FIN right after it.
        let Some(end) = self.retransmit_range(now, seg, una, mss + 1) else {
            return false;
        };
        if self.in_sack_recovery() {
            // (4.3) "set HighRxt to the highest sequence number in the
            // retransmitted segment".
            self.sack_retransmitted(end, false);
            self.note_recovery_sent();
        }
        true
    }

    /// Resends up to `max` octets of sent data from `seq` (the FIN too when
    /// it falls within them), without moving SND.NXT; returns the end of
    /// what was resent.
    fn retransmit_range(
        &mut self,
        now: Instant,
        seg: &mut Segment,
        seq: SeqNumber,
        max: u32,
    ) -> Option<SeqNumber> {
        let mss = self.opts.eff_snd_mss(&self.profile);
        let len = self.sndbuf.available_from(seq).min(mss).min(max) as usize;
        let fin = self.sndbuf.fin_seq() == Some(seq + len as u32)
            && (len as u32) < max
            && self.tcb.snd_max.gt(seq + len as u32);
        if len == 0 && !fin {
            return None;
        }
        self.data_segment(now, seg, seq, len, fin);
        Some(seq + len as u32 + u32::from(fin))
    }

    /// RFC 6675 §5 (C): during SACK-based recovery, while cwnd - pipe >= 1
    /// SMSS, the segment NextSeg() chooses.
    fn sack_recovery_send(&mut self, now: Instant, seg: &mut Segment) -> bool {
        let sent = self.sack_next_send(now, seg);
        if sent {
            self.note_recovery_sent();
        }
        sent
    }

    fn sack_next_send(&mut self, now: Instant, seg: &mut Segment) -> bool {
        match self.sack_next_seg() {
            NextSeg::Retransmit { seq, len, .. } => {
                // (C.2) "HighRxt MUST be set to the highest sequence number
                // of the retransmitted segment".
                let sent = self.retransmit_range(now, seg, seq, len);
                sent.inspect(|&end| self.sack_retransmitted(end, false))
                    .is_some()
            }
            NextSeg::Rescue { seq, len } => {
                let sent = self.retransmit_range(now, seg, seq, len);
                sent.inspect(|&end| self.sack_retransmitted(end, true))
                    .is_some()
            }
            // (C.3) new data advances HighData (SND.MAX).
            NextSeg::NewData => self.send_data(now, seg, false),
            NextSeg::Nothing => false,
        }
    }

    /// RFC 8985 §7.3: the tail loss probe — one new segment (past cwnd, not
    /// past the peer's window), else the last segment again.
    fn loss_probe(&mut self, now: Instant, seg: &mut Segment) -> bool {
        self.tlp.pending = false;
        match self.loss_probe_choice() {
            Some((seq, len, fin)) if len > 0 || fin => self.data_segment(now, seg, seq, len, fin),
            Some(_) => return false,
            None if self.send_data(now, seg, true) => {}
            None => return false,
        }
        self.loss_probe_sent(now, seg.seq);
        true
    }

    /// New data (or go-back-N retransmission after a timeout) from SND.NXT.
    fn send_new(&mut self, now: Instant, seg: &mut Segment) -> bool {
        if self.in_sack_recovery() {
            return self.sack_recovery_send(now, seg);
        }
        self.send_data(now, seg, false)
    }

    /// `probe`: a loss probe's new segment, sent regardless of cwnd, Nagle
    /// and cork.
    fn send_data(&mut self, now: Instant, seg: &mut Segment, probe: bool) -> bool {
        let seq = self.tcb.snd_nxt;
        let mss = self.opts.eff_snd_mss(&self.profile);
        let avail = self.sndbuf.available_from(seq);
        let fin_at = self.sndbuf.fin_seq();
        // RFC 3042 §2: limited transmit lets new data past cwnd on the
        // first duplicate ACKs. In SACK recovery the caller checked pipe.
        let cwnd = if probe || self.in_sack_recovery() {
            u32::MAX
        } else {
            self.cc
                .cwnd()
                .saturating_add(self.limited_transmit_allowance())
        };
        let wnd_edge = self.tcb.snd_una + self.tcb.snd_wnd.min(cwnd);
        let usable = if wnd_edge.gt(seq) { wnd_edge - seq } else { 0 };
        let len = avail.min(mss).min(usable);
        let ends_queue = len == avail;
        // The FIN needs room in the peer's window but not in cwnd (Linux
        // `tcp_cwnd_test`: "Don't be strict about the congestion window for
        // the final FIN").
        let peer_edge = self.tcb.snd_una + self.tcb.snd_wnd;
        let fin = ends_queue && fin_at == Some(seq + len) && peer_edge.gt(seq + len);
        if len == 0 {
            if fin {
                self.data_segment(now, seg, seq, 0, true);
                return true;
            }
            self.arm_persist_if_stalled(now, avail);
            return false;
        }
        let retransmission = seq.lt(self.tcb.snd_max);
        if !retransmission && len < mss && !fin && !self.push_once && !probe {
            // TCP_CORK (or MSG_MORE): only full segments until uncorked,
            // closed, or pushed by TCP_NODELAY.
            if self.sockopts.cork || self.more {
                // tcp(7): corked output waits at most 200 ms; Linux arms
                // its probe timer (max(RTO, 200 ms), measured on 6.18) and
                // `probe` sends what waits when it fires.
                self.arm_persist_if_stalled(now, avail);
                return false;
            }
            // RFC 9293 §3.8.6.2.1 (MUST-38): a segment cut short by the
            // window goes out only if it is at least half the largest window
            // the peer has offered.
            if !ends_queue && len < self.tcb.max_snd_wnd / 2 {
                self.arm_persist_if_stalled(now, avail);
                return false;
            }
            // RFC 9293 §3.7.4 (SHLD-7): Nagle, unless TCP_NODELAY.
            if ends_queue && !self.sockopts.nodelay && self.nagle_holds() {
                return false;
            }
        }
        if ends_queue {
            self.push_once = false;
        }
        if !probe && !self.in_sack_recovery() {
            self.note_limited_transmit(self.tcb.in_flight(), len);
        }
        self.data_segment(now, seg, seq, len as usize, fin);
        true
    }

    /// Whether Nagle's algorithm holds back a small segment now.
    fn nagle_holds(&self) -> bool {
        let una = self.tcb.snd_una;
        match self.profile.nagle {
            // RFC 896: no small segment while anything is unacknowledged.
            NagleVariant::Rfc896 => self.tcb.snd_max.gt(una),
            // Minshall: while a small segment is unacknowledged.
            NagleVariant::Minshall => self.snd_sml.gt(una) && self.snd_sml.le(self.tcb.snd_max),
        }
    }

    /// RFC 9293 §3.8.6.1 (MUST-36): with data waiting, nothing in flight and
    /// no usable window, the persist timer makes sure a probe goes out.
    fn arm_persist_if_stalled(&mut self, now: Instant, avail: u32) {
        let nothing_in_flight = self.tcb.snd_max == self.tcb.snd_una;
        let fin_unsent = self.sndbuf.fin_seq() == Some(self.tcb.snd_nxt);
        if (avail > 0 || fin_unsent)
            && nothing_in_flight
            && !self.timers.is_set(TimerKind::Retransmit)
        {
            let at = now + self.persist_interval();
            self.timers.set_if_unset(TimerKind::Persist, at);
        }
    }

    /// A segment of `len` bytes from `seq` (plus FIN), first transmission or
    /// not. RFC 9293 §3.9.1.2 (MUST-61): PSH on the segment that ends a
    /// pushed SEND (every write without MSG_MORE), retransmissions included.
    fn data_segment(
        &mut self,
        now: Instant,
        seg: &mut Segment,
        seq: SeqNumber,
        len: usize,
        fin: bool,
    ) {
        let mut flags = Flags::ACK;
        if fin {
            flags |= Flags::FIN;
        }
        let end = seq + len as u32;
        if len > 0 && self.sndbuf.pushes_in(seq, end) {
            flags |= Flags::PSH;
        }
        self.header(seg, seq, flags);
        // The payload stays in the send buffer until the segment is written
        // out (`poll_transmit_into`, or the host straight into the frame).
        self.sndbuf.stage(seq, len);
        self.finish(now, seg);
        let seg_end = end + u32::from(fin);
        let retransmission = seq.lt(self.tcb.snd_max);
        if retransmission {
            self.stats.total_retrans += 1;
            self.stats.bytes_retrans += len as u64;
            // Karn (RFC 9293 §3.8.1 MUST-18).
            self.rtt_timed = None;
        } else {
            self.stats.bytes_sent += len as u64;
            if self.rtt_timed.is_none() {
                self.rtt_timed = Some((seg_end, now));
            }
        }
        if len > 0 {
            self.stats.data_segs_out += 1;
            self.stats.last_data_sent = now;
            if (len as u32) < self.opts.eff_snd_mss(&self.profile) {
                self.snd_sml = end;
            }
        }
        if seq == self.tcb.snd_nxt {
            self.tcb.snd_nxt = seg_end;
        }
        self.tcb.snd_max = self.tcb.snd_max.max(seg_end);
        self.note_cwnd_use();
        self.timers.clear(TimerKind::Persist);
        self.persist_backoff = 0;
        // RFC 6298 §5.1: start the timer if it is not running.
        if !self.timers.is_set(TimerKind::Retransmit) {
            let at = now + self.rtt.rto();
            self.timers.set(TimerKind::Retransmit, at);
        }
        if !self.timers.is_set(TimerKind::UserTimeout) {
            self.rearm_user_timeout(now);
        }
        // Linux schedules the loss probe after sending new data.
        if !retransmission {
            self.schedule_loss_probe(now);
        }
    }

    /// Linux `tcp_cwnd_validate`: remember the most bytes in flight (and
    /// whether cwnd was the limit) over the last window of data.
    fn note_cwnd_use(&mut self) {
        let flight = self.tcb.in_flight();
        let limited = flight >= self.cc.cwnd();
        let u = &mut self.cwnd_use;
        if self.tcb.snd_una.ge(u.until) || limited || flight > u.max_flight {
            u.max_flight = flight;
            u.until = self.tcb.snd_max;
            u.limited = limited;
        }
    }

    /// `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>` (SND.NXT meaning the highest
    /// sequence sent: a timeout pulls our send pointer back, the ACK's SEQ
    /// stays).
    pub(crate) fn pure_ack(&mut self, now: Instant, seg: &mut Segment) {
        self.header(seg, self.tcb.snd_max, Flags::ACK);
        self.finish(now, seg);
    }

    /// A zero-window or keep-alive probe: `<SEQ=SND.UNA-1><ACK=RCV.NXT>`
    /// without data, which the peer must answer with an ACK (RFC 9293
    /// §3.8.4: "SEG.SEQ = SND.NXT-1"; Linux `tcp_xmit_probe_skb`).
    ///
    /// When the window has room, data goes out instead, as much as fits in
    /// one segment, past Nagle, cork and sender SWS avoidance (Linux
    /// `tcp_write_wakeup`, with PSH; RFC 9293 §3.8.6.2.1: the override
    /// timeout sends data the SWS rule held back).
    fn probe(&mut self, now: Instant, seg: &mut Segment) {
        if self.write_wakeup(now, seg) {
            return;
        }
        self.header(seg, self.tcb.snd_una - 1, Flags::ACK);
        self.finish(now, seg);
    }

    /// The data half of [`probe`](Self::probe): one segment of queued data
    /// within the peer's window, if there is any.
    fn write_wakeup(&mut self, now: Instant, seg: &mut Segment) -> bool {
        let nxt = self.tcb.snd_nxt;
        let peer_edge = self.tcb.snd_una + self.tcb.snd_wnd;
        if self.sndbuf.available_from(nxt) == 0 || !peer_edge.gt(nxt) {
            return false;
        }
        if !self.send_data(now, seg, true) {
            return false;
        }
        // Data and window were both there, so the segment carries data.
        seg.flags |= Flags::PSH;
        // Data is in flight now: the retransmission timer takes over, and
        // the probe count starts again (Linux `tcp_send_probe0`).
        self.probes = 0;
        true
    }

    /// RST for ABORT: `<SEQ=SND.NXT><CTL=RST>` (RFC 9293 §3.10.5); Linux
    /// (`tcp_send_active_reset`) sets ACK as well.
    pub(crate) fn queue_abort_rst(&mut self, now: Instant) {
        let flags = if self.profile.abort_rst_ack {
            Flags::RST | Flags::ACK
        } else {
            Flags::RST
        };
        let mut seg = Segment::default();
        self.header(&mut seg, self.tcb.snd_max, flags);
        seg.window = self.advertise_window();
        if self.opts.ts_ok {
            let tsval = self.opts.tsval(&self.profile, now);
            seg.options = segment_options(Some((tsval, self.opts.ts_recent)), &[]);
        }
        self.ctl.push_back(seg);
    }
}
