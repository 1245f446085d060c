//! TCP options: what we offer on a SYN, what was negotiated, and the rules
//! that use them — effective send MSS (RFC 9293 §3.7.1), window scaling
//! (RFC 7323 §2), timestamps and PAWS (RFC 7323 §3–5), SACK (RFC 2018).

use crate::profile::{Profile, SynOptionLayout, WscaleFrom};
use crate::time::{Duration, Instant};

use super::segment::{SackBlock, Segment, TcpOpt};
use super::seq::SeqNumber;

/// RFC 7323 §2.3: "the shift count ... MUST be limited to 14".
pub const MAX_WSCALE: u8 = 14;
/// Bytes the timestamps option takes in every segment once negotiated
/// (two NOPs + 10).
pub const TS_OPTION_LEN: u16 = 12;
/// RFC 7323 §5.5: TS.Recent is invalid after 24 days of idleness.
pub const PAWS_IDLE: Duration = Duration::from_secs(24 * 24 * 3600);

/// What the two ends agreed on during the handshake, plus the timestamp
/// state that follows from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The MSS we advertised (our receive MSS).
    pub adv_mss: u16,
    /// The peer's MSS option, or the default of RFC 9293 §3.7.1 (MUST-15).
    pub peer_mss: u16,
    /// The user's TCP_MAXSEG, if any.
    pub user_mss: Option<u16>,
    /// Shift applied to windows the peer sends us (its wscale option).
    pub snd_wscale: u8,
    /// Shift applied to windows we send (our wscale option).
    pub rcv_wscale: u8,
    /// Both sides sent a window-scale option.
    pub wscale_ok: bool,
    /// Both sides sent SACK-permitted.
    pub sack_ok: bool,
    /// Both sides sent timestamps.
    pub ts_ok: bool,
    /// TS.Recent (RFC 7323 §4.3).
    pub ts_recent: u32,
    /// When TS.Recent was last updated (for PAWS idleness, RFC 7323 §5.5).
    pub ts_recent_at: Instant,
    /// Last.ACK.sent (RFC 7323 §4.3).
    pub last_ack_sent: SeqNumber,
    /// Added to our millisecond clock to form TSval (a per-connection
    /// offset, RFC 7323 §5.4).
    pub ts_offset: u32,
    pub ipv6: bool,
}

impl Negotiated {
    /// The state before a SYN has been exchanged: what we would offer.
    /// `rcvbuf`: the receive buffer; `locked`: set by the user (SO_RCVBUF).
    pub fn offer(
        profile: &Profile,
        ipv6: bool,
        user_mss: Option<u16>,
        rcvbuf: u32,
        locked: bool,
    ) -> Negotiated {
        let adv = profile.advertised_mss(ipv6);
        Negotiated {
            adv_mss: user_mss.map_or(adv, |u| u.min(adv)),
            peer_mss: profile.default_mss(ipv6),
            user_mss,
            snd_wscale: 0,
            rcv_wscale: wscale_for(profile, rcvbuf, locked),
            wscale_ok: profile.window_scaling,
            sack_ok: profile.sack,
            ts_ok: profile.timestamps,
            ts_recent: 0,
            ts_recent_at: Instant::ZERO,
            last_ack_sent: SeqNumber(0),
            ts_offset: 0,
            ipv6,
        }
    }

    /// Applies the options of the peer's SYN (or SYN-ACK): an option is on
    /// only if both sides sent it (RFC 7323 §2.2, §3.2; RFC 2018 §2).
    pub fn apply_peer_syn(&mut self, profile: &Profile, syn: &Segment, now: Instant) {
        // RFC 9293 §3.7.1 (MUST-15): without an MSS option, assume the default.
        // Linux clamps the peer's value to tcp_min_snd_mss from below.
        self.peer_mss = syn.mss().map_or(profile.default_mss(self.ipv6), |m| {
            m.max(profile.min_snd_mss)
        });
        match syn.window_scale() {
            Some(shift) if self.wscale_ok => {
                // RFC 7323 §2.3: a shift above 14 is used as 14.
                self.snd_wscale = shift.min(MAX_WSCALE);
            }
            _ => {
                // RFC 7323 §2.2: both sides must send it, else neither scales.
                self.wscale_ok = false;
                self.snd_wscale = 0;
                self.rcv_wscale = 0;
            }
        }
        self.sack_ok = self.sack_ok && syn.sack_permitted();
        match syn.timestamps() {
            Some((tsval, _)) if self.ts_ok => {
                self.ts_recent = tsval;
                self.ts_recent_at = now;
            }
            _ => self.ts_ok = false,
        }
    }

    /// RFC 9293 §3.7.1 (MUST-16): the effective send MSS is the smaller of
    /// the send MSS and the largest payload the path allows, less the TCP
    /// options carried in every segment. Also bounded by TCP_MAXSEG.
    pub fn eff_snd_mss(&self, profile: &Profile) -> u32 {
        let path = profile.advertised_mss(self.ipv6);
        let mut mss = self.peer_mss.min(path);
        if let Some(u) = self.user_mss {
            mss = mss.min(u);
        }
        if self.ts_ok {
            mss = mss.saturating_sub(TS_OPTION_LEN);
        }
        u32::from(
            mss.max(profile.min_snd_mss.saturating_sub(TS_OPTION_LEN))
                .max(1),
        )
    }

    /// Our receive MSS for delayed-ACK and window decisions: the advertised
    /// MSS minus per-segment options.
    pub fn rcv_mss(&self) -> u32 {
        let ts = if self.ts_ok { TS_OPTION_LEN } else { 0 };
        u32::from(self.adv_mss.saturating_sub(ts).max(1))
    }

    /// TSval for a segment sent at `now`.
    pub fn tsval(&self, profile: &Profile, now: Instant) -> u32 {
        ts_clock(profile, now).wrapping_add(self.ts_offset)
    }

    /// RFC 7323 §5.3 R1: PAWS. A segment whose TSval is older than TS.Recent
    /// is rejected, unless TS.Recent has been idle for more than 24 days
    /// (§5.5). RST segments are exempt in Linux and RFC 7323 §5.3 ("it is
    /// recommended that RST segments NOT carry timestamps"); the caller
    /// decides.
    pub fn paws_rejects(&self, tsval: u32, now: Instant) -> bool {
        self.ts_ok
            && (tsval.wrapping_sub(self.ts_recent) as i32) < 0
            && now.saturating_since(self.ts_recent_at) <= PAWS_IDLE
    }

    /// RFC 7323 §4.3 (2): "If SEG.TSval >= TS.Recent and SEG.SEQ =<
    /// Last.ACK.sent, then SEG.TSval is copied to TS.Recent".
    pub fn update_ts_recent(&mut self, tsval: u32, seg_seq: SeqNumber, now: Instant) {
        if self.ts_ok
            && (tsval.wrapping_sub(self.ts_recent) as i32) >= 0
            && seg_seq.le(self.last_ack_sent)
        {
            self.ts_recent = tsval;
            self.ts_recent_at = now;
        }
    }
}

/// Milliseconds (or the profile's TS clock ticks) since time zero.
pub fn ts_clock(profile: &Profile, now: Instant) -> u32 {
    let hz = u64::from(profile.ts_hz.max(1));
    (now.as_micros() / (1_000_000 / hz).max(1)) as u32
}

/// The window-scale shift we offer (RFC 7323 §2.2): the smallest shift that
/// lets the window field cover the space the profile sizes it for.
/// `rcvbuf` is the socket's receive buffer, `locked` whether the user set it
/// (SO_RCVBUF).
pub fn wscale_for(profile: &Profile, rcvbuf: u32, locked: bool) -> u8 {
    let space = match profile.wscale_from {
        // Linux tcp_select_initial_window: the largest of the buffer's
        // window space, tcp_rmem[2] and rmem_max, clamped to the buffer's
        // window space when the user locked the buffer (window_clamp).
        WscaleFrom::MaxBuffer if locked => profile.win_from_space(rcvbuf),
        WscaleFrom::MaxBuffer => profile.rmem[2]
            .max(profile.rmem_max)
            .max(profile.win_from_space(rcvbuf)),
        WscaleFrom::SocketBuffer => rcvbuf,
    };
    let mut shift = 0u8;
    while shift < MAX_WSCALE && (space >> shift) > 65535 {
        shift += 1;
    }
    shift
}

/// The options of a SYN or SYN-ACK, laid out as the profile says.
/// `ts` is (TSval, TSecr); `wscale` our shift if window scaling is offered.
pub fn syn_options(
    layout: SynOptionLayout,
    mss: u16,
    wscale: Option<u8>,
    sack: bool,
    ts: Option<(u32, u32)>,
) -> Vec<TcpOpt> {
    let mut o = vec![TcpOpt::Mss(mss)];
    match layout {
        SynOptionLayout::Linux => {
            // Linux tcp_options_write: SACK-permitted takes the place of the
            // timestamps option's leading NOPs when both are present.
            match (ts, sack) {
                (Some((tsval, tsecr)), true) => {
                    o.extend([TcpOpt::SackPermitted, TcpOpt::Timestamps { tsval, tsecr }]);
                }
                (Some((tsval, tsecr)), false) => {
                    o.extend([
                        TcpOpt::Nop,
                        TcpOpt::Nop,
                        TcpOpt::Timestamps { tsval, tsecr },
                    ]);
                }
                (None, true) => o.extend([TcpOpt::Nop, TcpOpt::Nop, TcpOpt::SackPermitted]),
                (None, false) => {}
            }
            if let Some(ws) = wscale {
                o.extend([TcpOpt::Nop, TcpOpt::WindowScale(ws)]);
            }
        }
        SynOptionLayout::Aligned => {
            if let Some(ws) = wscale {
                o.extend([TcpOpt::Nop, TcpOpt::WindowScale(ws)]);
            }
            if sack {
                o.extend([TcpOpt::Nop, TcpOpt::Nop, TcpOpt::SackPermitted]);
            }
            if let Some((tsval, tsecr)) = ts {
                o.extend([
                    TcpOpt::Nop,
                    TcpOpt::Nop,
                    TcpOpt::Timestamps { tsval, tsecr },
                ]);
            }
        }
    }
    o
}

/// Options of a non-SYN segment: `nop,nop,TS` when timestamps are on, then
/// `nop,nop,sack ...` with as many blocks as fit in 40 bytes (RFC 2018 §3:
/// at most 3 blocks alongside timestamps, 4 without).
pub fn segment_options(ts: Option<(u32, u32)>, sack: &[SackBlock]) -> Vec<TcpOpt> {
    let mut o = Vec::new();
    segment_options_into(&mut o, ts, sack);
    o
}

/// [`segment_options`] written into `o` (cleared first; its allocation is
/// reused).
pub fn segment_options_into(o: &mut Vec<TcpOpt>, ts: Option<(u32, u32)>, sack: &[SackBlock]) {
    o.clear();
    if let Some((tsval, tsecr)) = ts {
        o.extend([
            TcpOpt::Nop,
            TcpOpt::Nop,
            TcpOpt::Timestamps { tsval, tsecr },
        ]);
    }
    if !sack.is_empty() {
        let max = if ts.is_some() { 3 } else { 4 };
        let n = sack.len().min(max);
        o.extend([TcpOpt::Nop, TcpOpt::Nop, TcpOpt::Sack(sack[..n].to_vec())]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_syn_layouts_match_the_kernel_order() {
        use SynOptionLayout::Linux;
        let ts = Some((7, 0));
        let show = |o: Vec<TcpOpt>| {
            format!(
                "{:?}",
                Segment {
                    options: o,
                    ..Segment::default()
                }
            )
        };
        assert!(
            show(syn_options(Linux, 1460, Some(7), true, ts))
                .ends_with("<mss 1460,sackOK,TS val 7 ecr 0,nop,wscale 7>")
        );
        assert!(
            show(syn_options(Linux, 1460, Some(7), true, None))
                .ends_with("<mss 1460,nop,nop,sackOK,nop,wscale 7>")
        );
        assert!(
            show(syn_options(Linux, 1460, None, false, ts))
                .ends_with("<mss 1460,nop,nop,TS val 7 ecr 0>")
        );
        assert!(show(syn_options(Linux, 1000, None, false, None)).ends_with("<mss 1000>"));
    }

    #[test]
    fn linux_wscale_comes_from_the_largest_buffer() {
        // measured (kernel_linux_facts synack_layout): max(tcp_rmem[2],
        // rmem_max) halved until it fits in 16 bits.
        let mut p = Profile::linux();
        assert_eq!(wscale_for(&p, 131_072, false), 10, "32 MiB -> 10");
        for (rmem2, shift) in [(6_291_456, 7), (15_728_640, 8), (65_535, 0), (65_536, 1)] {
            p.rmem[2] = rmem2;
            p.rmem_max = 0;
            assert_eq!(wscale_for(&p, 4096, false), shift, "tcp_rmem[2] {rmem2}");
        }
        p.rmem_max = 16 << 20;
        assert_eq!(wscale_for(&p, 4096, false), 9, "rmem_max counts too");
        // SO_RCVBUF clamps the window to the buffer's window space.
        assert_eq!(wscale_for(&p, 131_070, true), 0, "65535 fits");
        assert_eq!(wscale_for(&p, 131_072, true), 1, "65536 does not");
        assert_eq!(wscale_for(&p, 1 << 20, true), 4, "512 KiB of window -> 4");
        let r = Profile::rfc();
        assert_eq!(wscale_for(&r, 65535, false), 0);
        assert_eq!(wscale_for(&r, 65536, false), 1);
        assert_eq!(wscale_for(&r, 131_072, true), 2);
        assert_eq!(wscale_for(&r, u32::MAX, false), MAX_WSCALE);
    }

    fn negotiated(peer: Segment) -> Negotiated {
        let p = Profile::linux();
        let mut n = Negotiated::offer(&p, false, None, 131_072, false);
        n.apply_peer_syn(&p, &peer, Instant::ZERO);
        n
    }

    #[test]
    fn options_are_on_only_when_both_sides_send_them() {
        let bare = negotiated(Segment::default());
        assert!(!bare.wscale_ok && !bare.sack_ok && !bare.ts_ok);
        assert_eq!((bare.snd_wscale, bare.rcv_wscale), (0, 0));
        // RFC 9293 §3.7.1 (MUST-15): no MSS option -> 536 for IPv4.
        assert_eq!(bare.peer_mss, 536);
        let full = negotiated(Segment {
            options: vec![
                TcpOpt::Mss(1000),
                TcpOpt::WindowScale(15),
                TcpOpt::SackPermitted,
                TcpOpt::Timestamps { tsval: 9, tsecr: 0 },
            ],
            ..Segment::default()
        });
        assert!(full.wscale_ok && full.sack_ok && full.ts_ok);
        // RFC 7323 §2.3: shift 15 is used as 14.
        assert_eq!(full.snd_wscale, 14);
        assert_eq!(full.ts_recent, 9);
        // RFC 9293 §3.7.1 (MUST-16): effective MSS = min(1000, 1460) - 12.
        assert_eq!(full.eff_snd_mss(&Profile::linux()), 988);
    }

    #[test]
    fn paws_rejects_older_timestamps_until_idle_24_days() {
        // RFC 7323 §5.3 R1 and §5.5.
        let mut n = negotiated(Segment {
            options: vec![TcpOpt::Timestamps {
                tsval: 1000,
                tsecr: 0,
            }],
            ..Segment::default()
        });
        let t0 = Instant::ZERO;
        assert!(n.paws_rejects(999, t0));
        assert!(!n.paws_rejects(1000, t0));
        assert!(!n.paws_rejects(1001, t0));
        assert!(n.paws_rejects(1000u32.wrapping_sub(0x7fff_0000), t0));
        assert!(!n.paws_rejects(999, t0 + PAWS_IDLE + Duration::from_secs(1)));
        // RFC 7323 §4.3: update only when SEG.SEQ =< Last.ACK.sent.
        n.last_ack_sent = SeqNumber(100);
        n.update_ts_recent(2000, SeqNumber(101), t0);
        assert_eq!(n.ts_recent, 1000);
        n.update_ts_recent(2000, SeqNumber(100), t0);
        assert_eq!(n.ts_recent, 2000);
        n.update_ts_recent(1500, SeqNumber(50), t0);
        assert_eq!(n.ts_recent, 2000, "never moves back");
    }

    #[test]
    fn segment_options_fit_in_forty_bytes() {
        let b = |l, r| SackBlock {
            left: SeqNumber(l),
            right: SeqNumber(r),
        };
        let blocks = [b(1, 2), b(3, 4), b(5, 6), b(7, 8), b(9, 10)];
        let o = segment_options(Some((1, 2)), &blocks);
        assert!(matches!(&o[5], TcpOpt::Sack(v) if v.len() == 3));
        let o = segment_options(None, &blocks);
        assert!(matches!(&o[2], TcpOpt::Sack(v) if v.len() == 4));
        assert!(segment_options(None, &[]).is_empty());
    }
}
