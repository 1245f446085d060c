//! Tunables that differ between "what the RFCs say" ([`Profile::rfc`]) and
//! "what Linux does by default" ([`Profile::linux`]).
//!
//! Every value a script can observe lives here, nowhere else. The Linux values
//! are Linux 6.x defaults as documented (ip-sysctl.rst, tcp.7) and as the
//! kernel source defines them. Each one says where it comes from: `measured:`
//! names the kernel-target fact (`harness/tests/kernel_linux_facts.rs`, run
//! on Linux 6.18) or the corpus script that checked it against the kernel;
//! `unverified` marks a value not measured yet (DESIGN.md: "the Linux
//! profile is learned by measuring the kernel").
//!
//! # Every difference between `linux` and `rfc`
//!
//! | field                       | linux                           | rfc                                   | source of the rfc value            |
//! |-----------------------------|---------------------------------|---------------------------------------|------------------------------------|
//! | `initial_window`            | 10 segments (measured)          | RFC 5681 formula (2–4 segments)       | RFC 5681 §3.1, RFC 3390            |
//! | `rto_min`                   | 200 ms (measured)               | 1 s                                   | RFC 6298 §2.4                      |
//! | `rto_max`                   | 120 s                           | 60 s                                  | RFC 6298 §2.5 ("at least 60 s")    |
//! | `rto_formula`               | srtt + max(4·rttvar, rto_min)   | max(srtt + max(G, 4·rttvar), rto_min) | RFC 6298 §2.3                      |
//! | `delayed_ack_min`           | 40 ms (measured)                | 200 ms                                | RFC 9293 §3.8.6.3 (< 500 ms)       |
//! | `delayed_ack_max`           | 200 ms                          | 200 ms (same)                         |                                    |
//! | `quickack_segments`         | 16 (quick-ack mode at start)    | 0                                     | RFC 9293 §3.8.6.3 (no quick-ack)   |
//! | `syn_retries`               | 6 (gives up after 127 s: below MUST-23's 3 min) | 7 (R2 for SYN ≥ 3 min) | RFC 9293 §3.8.3 (MUST-23)   |
//! | `time_wait`                 | 60 s                            | 240 s (2·MSL, MSL = 2 min)            | RFC 9293 §3.4.2, glossary "MSL"    |
//! | `syn_option_layout`         | Linux order (`mss,sackOK,TS,nop,wscale`) (measured) | each option NOP-aligned, MSS, WS, SACK-permitted, TS | RFC 7323 App. A |
//! | `initial_rcv_window`        | receive space rounded down to a multiple of the MSS (measured) | the whole receive space (capped at 65535 on the SYN itself) | RFC 7323 §2.2                  |
//! | `wscale_from`               | max(`tcp_rmem[2]`, `rmem_max`), or a locked SO_RCVBUF's window (measured) | the socket's receive buffer           | RFC 7323 §2.2                      |
//! | `nagle`                     | Minshall variant                | RFC 896 as in RFC 9293 §3.7.4         | RFC 9293 §3.7.4                    |
//! | `challenge_ack`             | per-socket 1 / 500 ms           | 10 per 5 s                            | RFC 5961 §7 (suggested values)     |
//! | `retries2` / `user_timeout` | 15 retransmissions              | R2 = 100 s                            | RFC 9293 §3.8.3 (R2 ≥ 100 s)       |
//! | `time_wait_reopen`          | SYN with higher seq or newer TS | RFC 6191 (TS only)                    | RFC 6191 §2                        |
//! | `abort_rst_ack`             | RST of ABORT/close carries ACK  | `<SEQ=SND.NXT><CTL=RST>`              | RFC 9293 §3.10.5                   |
//! | `syn_linear_timeouts`       | 4 SYNs at 1 s, then backoff (measured) | backoff from the first         | RFC 6298 §5.5                      |
//! | `delay_ack_of_fin`          | ACK of a FIN delayed (ping-pong): 40 ms after data, else the next timer tick (measured) | ACK at once | RFC 5681 §4.2, RFC 9293 §3.10.7.4 |
//! | `timer_tick`                | 4 ms (HZ 250): RTO and loss-probe timeouts round up to whole ticks (measured) | none (exact) | RFC 6298 (no granularity imposed) |
//! | `push_per_skb`              | PSH at the end of each send-queue skb (size from the pacing rate, ≥ 2 MSS) (measured) | PSH at the end of each SEND | RFC 9293 §3.9.1.2 |
//! | `tlp`                       | tail loss probes (RACK-TLP) (measured) | none                                  | RFC 8985 §7 (optional)             |
//! | `abc_limit`                 | none: every acked byte counts   | 1 SMSS per ACK in slow start          | RFC 5681 §3.1 equation 2           |
//! | `cwnd_validation`           | grow only while cwnd-limited    | always grow                           | RFC 5681 (RFC 7661 experimental)   |
//! | `syn_rto_fallback`          | RTO 3 s (RTTVAR 750 ms) when the handshake gave no RTT sample (measured) | RTO 3 s if a SYN timer expired and RTO < 3 s | RFC 6298 §5.7 (MUST) |
//! | `sack_retransmit`           | only segments marked lost (no NextSeg() rules 3, 4) | NextSeg() rules 1–4 | RFC 6675 §4 (rules 3 and 4 SHOULD) |
//! | `recovery_cwnd`             | ssthresh = cwnd/2, cwnd by PRR during recovery (measured) | ssthresh = cwnd = FlightSize/2 | RFC 6675 §5 step 4.2 |
//! | `syn_give_up`               | when a SYN timer fires (2^(n+1) − 1)·1 s after the first SYN, n = `syn_retries` (measured) | after `syn_retries` retransmissions | RFC 9293 §3.8.3 (R2 for a SYN) |
//! | `icmp_in_handshake`         | any ICMP error aborts SYN-SENT; net/host unreachable and time exceeded silently drop a SYN-RECEIVED request (measured) | hard errors abort SYN-SENT and SYN-RECEIVED | RFC 1122 §4.2.3.9 |
//! | `ack_every`                 | 2 full segments (rcv_mss)       | 2 full segments (same)                | RFC 9293 §3.8.6.3 (SHLD-19)        |
//!
//! All other fields have the same value in both profiles. The test
//! `profile::tests::differences_are_exactly_the_documented_ones` fails if a
//! field changes in one profile without this table being updated.

use core::fmt;

use crate::time::Duration;

/// Which family of rules produced a profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProfileKind {
    Linux,
    Rfc,
}

/// How the initial congestion window is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitialWindow {
    /// A fixed number of segments of SMSS bytes (Linux `TCP_INIT_CWND`).
    Segments(u32),
    /// RFC 5681 §3.1: IW = 4·SMSS if SMSS ≤ 1095, 3·SMSS if ≤ 2190, else 2·SMSS.
    Rfc5681,
}

/// When the RTO is re-initialised to 3 s as data transmission begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynRtoFallback {
    /// RFC 6298 §5.7 (MUST): "If the timer expires awaiting the ACK of a SYN
    /// segment and the TCP implementation is using an RTO less than 3
    /// seconds, the RTO MUST be re-initialized to 3 seconds when data
    /// transmission begins".
    AfterSynTimeout,
    /// Linux `tcp_init_metrics`: whenever the handshake left no RTT sample
    /// (SRTT 0), whether or not a timer expired; RTTVAR becomes 750 ms.
    WithoutRttSample,
}

/// What SACK-based loss recovery retransmits (RFC 6675 §4 NextSeg()).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SackRetransmit {
    /// Rules (1)–(4): lost holes, new data, then holes not yet deemed
    /// lost (3), then one rescue retransmission per recovery (4).
    Rfc6675,
    /// Linux `tcp_xmit_retransmit_queue`: only segments marked lost, then
    /// new data (rules 1 and 2); no rescue retransmission (the tail is
    /// left to the loss probe and the RTO).
    LostOnly,
}

/// ssthresh and cwnd during SACK-based loss recovery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecoveryCwnd {
    /// RFC 6675 §5 (4.2): "ssthresh = cwnd = (FlightSize / 2)", unchanged
    /// until recovery ends.
    Rfc6675,
    /// Linux: ssthresh = cwnd / 2 (`tcp_reno_ssthresh`), and cwnd set on
    /// every ACK by Proportional Rate Reduction (RFC 6937,
    /// `tcp_cwnd_reduction`); cwnd = ssthresh when recovery ends.
    LinuxPrr,
}

/// What an ICMP error does to a connection still in its handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IcmpInHandshake {
    /// RFC 1122 §4.2.3.9: hard errors (protocol or port unreachable, …)
    /// SHOULD abort; soft ones (net or host unreachable, time exceeded)
    /// SHOULD NOT.
    Rfc1122,
    /// Linux `tcp_v4_err`/`tcp_v6_err`: any error aborts SYN-SENT (the
    /// connect fails with its errno); a request in SYN-RECEIVED is dropped
    /// silently on the errors `tcp_req_err` is told to abort on.
    Linux,
}

/// When an active open stops retransmitting its SYN (RFC 9293 §3.8.3 R2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynGiveUp {
    /// After `syn_retries` retransmissions.
    Count,
    /// Linux `retransmits_timed_out`: at the first SYN timer expiry at least
    /// `tcp_model_timeout(syn_retries, 1 s)` after the first SYN, i.e. the
    /// time `syn_retries` doubling retransmissions would take; linear SYN
    /// timeouts send more SYNs within that time, not fewer.
    ModelledTime,
}

/// How the retransmission timeout is computed from the RTT estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RtoFormula {
    /// RFC 6298 §2.3: RTO = max(SRTT + max(G, 4·RTTVAR), rto_min), capped at rto_max.
    Rfc6298,
    /// Linux: RTO = SRTT + max(4·RTTVAR, rto_min), capped at rto_max
    /// (`tcp_set_rto`, the variance term is floored by `tcp_rto_min`).
    Linux,
}

/// Order and padding of the options on a SYN or SYN-ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynOptionLayout {
    /// Linux `tcp_options_write`: `mss, sackOK, TS` when timestamps are on
    /// (SACK-permitted fills the TS option's two NOPs), otherwise
    /// `mss, nop, nop, sackOK`, then `nop, wscale`.
    Linux,
    /// Each option aligned on 4 bytes with leading NOPs, in the order MSS,
    /// window scale, SACK-permitted, timestamps (RFC 7323 Appendix A style).
    Aligned,
}

/// How the window advertised on the SYN / SYN-ACK is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitialRcvWindow {
    /// Linux `tcp_select_initial_window`: the receive space rounded down to a
    /// multiple of the MSS, at most 65535.
    LinuxRoundToMss,
    /// The receive buffer, capped at 65535 (a SYN's window is never scaled).
    WholeBuffer,
}

/// Which buffer size the window-scale shift is derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WscaleFrom {
    /// The largest receive buffer the socket could grow to (`tcp_rmem[2]`).
    MaxBuffer,
    /// The socket's current receive buffer.
    SocketBuffer,
}

/// The Nagle variant used to hold back small segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NagleVariant {
    /// RFC 896 / RFC 9293 §3.7.4: no new small segment while any data is
    /// unacknowledged.
    Rfc896,
    /// Minshall's variant (Linux `tcp_minshall_check`): no new small segment
    /// while a previously sent *small* segment is unacknowledged.
    Minshall,
}

/// Rate limit for RFC 5961 challenge ACKs and for ACKs to out-of-window segments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChallengeAckLimit {
    /// At most this many challenge ACKs...
    pub count: u32,
    /// ...per this interval.
    pub per: Duration,
}

/// When a SYN that arrives for a connection in TIME-WAIT may open a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeWaitReopen {
    /// Linux `tcp_timewait_state_process`: the SYN's sequence number is after
    /// RCV.NXT, or its timestamp is newer than the last one seen.
    SeqOrTimestamp,
    /// RFC 6191 §2: only when both sides use timestamps and the SYN's TSval
    /// is newer (or, without timestamps, when SEG.SEQ is after RCV.NXT).
    Rfc6191,
}

/// Every tunable of the stack a script can observe. `Copy`: a connection
/// keeps its own copy, fixed when it is created.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    pub kind: ProfileKind,

    // -- sysctl-like switches (names as in net.ipv4.*) ---------------------
    /// `net.ipv4.tcp_sack`: offer and accept SACK-permitted.
    pub sack: bool,
    /// `net.ipv4.tcp_timestamps`: offer and accept RFC 7323 timestamps.
    pub timestamps: bool,
    /// `net.ipv4.tcp_window_scaling`: offer and accept RFC 7323 window scale.
    pub window_scaling: bool,
    /// `net.ipv4.tcp_syn_retries`: SYN retransmissions before giving up.
    pub syn_retries: u32,
    /// `net.ipv4.tcp_synack_retries`: SYN-ACK retransmissions before giving up.
    pub synack_retries: u32,
    /// `net.ipv4.tcp_retries1`: retransmissions before "negative advice" (R1).
    pub retries1: u32,
    /// `net.ipv4.tcp_retries2`: retransmissions of data before the connection
    /// is aborted with ETIMEDOUT (R2), when no user timeout is set.
    pub retries2: u32,
    /// R2 as a time (RFC 9293 §3.8.3); `None` = count `retries2` instead.
    pub r2_time: Option<Duration>,
    /// `net.ipv4.tcp_orphan_retries` (0 means 8, as in Linux).
    pub orphan_retries: u32,
    /// `net.ipv4.tcp_rmem`: min, default, max receive buffer (bytes).
    pub rmem: [u32; 3],
    /// `net.core.rmem_max`: the largest SO_RCVBUF; Linux also sizes the
    /// window scale for it.
    pub rmem_max: u32,
    /// `net.ipv4.tcp_wmem`: min, default, max send buffer (bytes).
    pub wmem: [u32; 3],
    /// `net.ipv4.tcp_adv_win_scale`: the share of the receive buffer offered
    /// as window (1 = half; the rest is overhead).
    pub adv_win_scale: i32,
    /// `net.ipv4.tcp_syncookies`: 0 off, 1 when the SYN queue overflows, 2 always.
    pub syncookies: u32,
    /// `net.ipv4.tcp_ecn`: 0 off, 1 request and accept, 2 accept only.
    pub ecn: u32,
    /// `net.ipv4.tcp_min_rtt_wlen`: window of the min-RTT filter (seconds).
    pub min_rtt_wlen: u32,
    /// `net.ipv4.tcp_fin_timeout`: FIN-WAIT-2 lifetime of an orphaned socket.
    pub fin_timeout: Duration,
    /// `net.ipv4.tcp_keepalive_time` default for TCP_KEEPIDLE.
    pub keepalive_time: Duration,
    /// `net.ipv4.tcp_keepalive_intvl` default for TCP_KEEPINTVL.
    pub keepalive_intvl: Duration,
    /// `net.ipv4.tcp_keepalive_probes` default for TCP_KEEPCNT.
    pub keepalive_probes: u32,
    /// `net.ipv4.tcp_min_snd_mss`: floor of the peer's MSS we accept.
    pub min_snd_mss: u16,
    /// `net.ipv4.tcp_base_mss`-free: the MSS assumed when the peer sends none
    /// (RFC 9293 §3.7.1 MUST-15: 536 for IPv4; 1220 for IPv6).
    pub default_mss_v4: u16,
    pub default_mss_v6: u16,
    /// Link MTU the advertised MSS is derived from (MSS = MTU − 40 / − 60).
    pub mtu: u16,
    /// `net.core.somaxconn`: cap on the listen backlog.
    pub somaxconn: u32,
    /// `net.ipv4.tcp_max_syn_backlog`: SYN queue size cap.
    pub max_syn_backlog: u32,
    /// `net.ipv4.tcp_abort_on_overflow`: RST instead of dropping the final ACK
    /// when the accept queue is full.
    pub abort_on_overflow: bool,
    /// `net.ipv4.tcp_invalid_ratelimit`: minimum gap between ACKs sent in
    /// reply to out-of-window segments.
    pub invalid_ratelimit: Duration,

    // -- algorithm choices and constants ----------------------------------
    pub initial_window: InitialWindow,
    pub rto_initial: Duration,
    pub rto_min: Duration,
    pub rto_max: Duration,
    pub rto_formula: RtoFormula,
    /// Clock granularity G of RFC 6298 §2.
    pub clock_granularity: Duration,
    /// Delayed-ACK timeout when no RTT is known / its floor (Linux TCP_ATO_MIN).
    pub delayed_ack_min: Duration,
    /// Delayed-ACK timeout ceiling (Linux TCP_DELACK_MAX; RFC 9293 MUST-40: < 500 ms).
    pub delayed_ack_max: Duration,
    /// Segments ACKed immediately at connection start (Linux quick-ack mode).
    pub quickack_segments: u32,
    /// ACK at least every this many full-sized segments (RFC 9293 SHLD-19).
    pub ack_every: u32,
    /// TIME-WAIT length (2·MSL).
    pub time_wait: Duration,
    /// Timestamp clock: TSval ticks per second.
    pub ts_hz: u32,
    pub syn_option_layout: SynOptionLayout,
    pub initial_rcv_window: InitialRcvWindow,
    pub wscale_from: WscaleFrom,
    pub nagle: NagleVariant,
    pub challenge_ack: ChallengeAckLimit,
    pub time_wait_reopen: TimeWaitReopen,
    /// Duplicate ACKs that trigger fast retransmit (RFC 5681 §3.2).
    pub dupack_threshold: u32,
    /// `net.ipv4.tcp_syn_linear_timeouts`: SYN retransmissions sent at the
    /// initial RTO before exponential backoff starts (0: RFC 6298 §5.5 from
    /// the first).
    pub syn_linear_timeouts: u32,
    /// The ACK of a FIN that moves ESTABLISHED to CLOSE-WAIT is delayed
    /// (Linux enters ping-pong mode on the FIN and sends a delayed ACK with
    /// its current ACK timeout: 40 ms once data has arrived, zero — the
    /// next timer tick — before).
    pub delay_ack_of_fin: bool,
    /// The kernel timer granularity (Linux jiffy, HZ 250): RTO and loss-probe
    /// timeouts are whole ticks, rounded up (`usecs_to_jiffies`); a zero
    /// timeout fires at the next tick. `Duration::ZERO`: exact timeouts.
    pub timer_tick: Duration,
    /// PSH goes at the end of every skb of the send queue (Linux), not only
    /// at the end of each write: a write is cut into skbs of the size goal
    /// `tcp_tso_autosize` gives at the current pacing rate (at least
    /// `min_tso_segs` MSS), and the last skb grows with the next write while
    /// none of it has been sent.
    pub push_per_skb: bool,
    /// `net.ipv4.tcp_min_tso_segs`: the smallest skb size goal, in MSS.
    pub min_tso_segs: u32,
    /// `net.ipv4.tcp_pacing_ss_ratio` / `tcp_pacing_ca_ratio`: the pacing
    /// rate in percent of cwnd·MSS/SRTT in slow start / congestion avoidance
    /// (only the skb size goal uses it; segments are not paced).
    pub pacing_ss_ratio: u32,
    pub pacing_ca_ratio: u32,
    /// Tail loss probes (RFC 8985 §7; Linux `tcp_early_retrans` 3 or 4).
    pub tlp: bool,
    /// Which NextSeg() rules SACK-based loss recovery uses.
    pub sack_retransmit: SackRetransmit,
    /// ssthresh and cwnd during SACK-based loss recovery.
    pub recovery_cwnd: RecoveryCwnd,
    /// The 3-second RTO after the handshake (RFC 6298 §5.7).
    pub syn_rto_fallback: SynRtoFallback,
    /// When an active open gives up.
    pub syn_give_up: SynGiveUp,
    /// ICMP errors during the handshake.
    pub icmp_in_handshake: IcmpInHandshake,
    /// Slow start: at most this many SMSS of growth per ACK (RFC 5681 §3.1
    /// equation 2: 1, "cwnd += min (N, SMSS)"); `None` = every newly
    /// acknowledged byte counts (Linux `tcp_slow_start` counts packets).
    pub abc_limit: Option<u32>,
    /// Grow cwnd only while the sender uses it (Linux `tcp_is_cwnd_limited`:
    /// in slow start while cwnd < 2 x the most packets in flight of the
    /// last window; in congestion avoidance while the window was full).
    pub cwnd_validation: bool,
    /// Longest interval between zero-window probes.
    pub persist_max: Duration,
    /// The RST sent by ABORT (and close with unread data) also carries ACK
    /// (Linux `tcp_send_active_reset`); RFC 9293 §3.10.5 sends a bare RST.
    pub abort_rst_ack: bool,
    /// Out-of-order segments kept per connection (bounded reassembly).
    pub ooo_max_segments: usize,
}

/// A sysctl the profile does not know, or a value it cannot parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SysctlError {
    /// No profile field corresponds to this name: report as "unsupported".
    Unknown(String),
    /// The name is known but the value does not parse or is out of range.
    BadValue { name: String, value: String },
}

impl fmt::Display for SysctlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SysctlError::Unknown(n) => write!(f, "unsupported sysctl {n}"),
            SysctlError::BadValue { name, value } => {
                write!(f, "bad value {value:?} for sysctl {name}")
            }
        }
    }
}

impl std::error::Error for SysctlError {}

impl Profile {
    /// Linux 6.x defaults (6.18 where measured).
    pub const fn linux() -> Profile {
        Profile {
            kind: ProfileKind::Linux,
            // measured: syn_layout_and_retransmission, synack_layout (sackOK,
            // TS and wscale on the SYN and the SYN-ACK).
            sack: true,
            timestamps: true,
            window_scaling: true,
            syn_retries: 6,    // unverified
            synack_retries: 5, // unverified
            retries1: 3,       // unverified
            retries2: 15,      // unverified
            r2_time: None,     // unverified
            orphan_retries: 0, // unverified
            // measured: synack_layout (a new namespace: tcp_rmem[2] 32 MiB,
            // window scale 10); SYN window 64240 from rmem[1] (below).
            rmem: [4096, 131_072, 33_554_432],
            rmem_max: 212_992,                         // unverified
            wmem: [4096, 16_384, 4_194_304],           // unverified
            adv_win_scale: 1,                          // unverified
            syncookies: 1,                             // unverified
            ecn: 2,                                    // unverified
            min_rtt_wlen: 300,                         // unverified
            fin_timeout: Duration::from_secs(60),      // unverified
            keepalive_time: Duration::from_secs(7200), // unverified
            keepalive_intvl: Duration::from_secs(75),  // unverified
            keepalive_probes: 9,                       // unverified
            min_snd_mss: 48,                           // unverified
            // measured: corpus/tcp/handshake/no-options-default-mss-v4.pkt
            // and no-options-default-mss-v6.pkt.
            default_mss_v4: 536,
            default_mss_v6: 1220,
            // measured: syn_layout_and_retransmission (mss 1460).
            mtu: 1500,
            somaxconn: 4096,                               // unverified
            max_syn_backlog: 128,                          // unverified
            abort_on_overflow: false,                      // unverified
            invalid_ratelimit: Duration::from_millis(500), // unverified
            // measured: initial_window_and_rto (10 segments back to back).
            initial_window: InitialWindow::Segments(10),
            // measured: syn_layout_and_retransmission, synack_retransmission
            // (SYN and SYN-ACK resent after 1 s).
            rto_initial: Duration::from_secs(1),
            // measured: initial_window_and_rto (204–212 ms after a ~0 RTT:
            // 200 ms + SRTT, rounded up to the 4 ms tick, plus timer slack).
            rto_min: Duration::from_millis(200),
            rto_max: Duration::from_secs(120), // unverified
            rto_formula: RtoFormula::Linux,    // unverified
            clock_granularity: Duration::from_millis(1), // unverified
            // measured: delayed_ack (40 ms after TCP_QUICKACK 0).
            delayed_ack_min: Duration::from_millis(40),
            delayed_ack_max: Duration::from_millis(200), // unverified
            quickack_segments: 16,                       // unverified
            ack_every: 2,                                // unverified
            time_wait: Duration::from_secs(60),          // unverified
            // measured: timestamp_clock (1 tick per ms).
            ts_hz: 1000,
            // measured: syn_layout_and_retransmission, synack_layout
            // (`mss,sackOK,TS,nop,wscale`; without TS
            // corpus/tcp/handshake/passive-open.pkt `mss,nop,nop,sackOK,nop,wscale`).
            syn_option_layout: SynOptionLayout::Linux,
            // measured: syn_layout_and_retransmission (SYN window 64240 =
            // 44 x 1460), synack_layout (SYN-ACK window 65160 = 45 x 1448).
            initial_rcv_window: InitialRcvWindow::LinuxRoundToMss,
            // measured: synack_layout (scale from max(tcp_rmem[2],
            // rmem_max): 6 MiB -> 7, 15 MiB -> 8, 32 MiB -> 10).
            wscale_from: WscaleFrom::MaxBuffer,
            nagle: NagleVariant::Minshall, // unverified
            challenge_ack: ChallengeAckLimit {
                count: 1,                        // unverified
                per: Duration::from_millis(500), // unverified
            },
            time_wait_reopen: TimeWaitReopen::SeqOrTimestamp, // unverified
            dupack_threshold: 3,                              // unverified
            abc_limit: None,                                  // unverified
            // measured: tail_loss_probe (a probe 4–8 ms after the first of
            // 10 segments at a ~0 RTT).
            tlp: true,
            // measured: corpus/tcp/recovery/sack-two-holes.pkt (only the
            // holes marked lost are retransmitted).
            sack_retransmit: SackRetransmit::LostOnly,
            // measured: corpus/tcp/recovery/sack-middle-hole.pkt (cwnd 12
            // -> ssthresh 6, cwnd 5 = pipe 4 + 1 on entry).
            recovery_cwnd: RecoveryCwnd::LinuxPrr,
            // measured: corpus/tcp/retransmit/syn-timeout-rto.pkt,
            // synack-timeout-rto.pkt (tcpi_rto 3 s, tcpi_rttvar 750 ms).
            syn_rto_fallback: SynRtoFallback::WithoutRttSample,
            // measured: corpus/tcp/handshake/syn-give-up.pkt (syn_retries 2:
            // SYNs at 0–5 s, ETIMEDOUT at the 7 s timer); with syn_retries 3,
            // SYNs at 0–5, 7 and 11 s and ETIMEDOUT at the 19 s timer.
            syn_give_up: SynGiveUp::ModelledTime,
            // measured: corpus/tcp/handshake/icmp-aborts-syn-sent.pkt,
            // icmp-drops-request.pkt.
            icmp_in_handshake: IcmpInHandshake::Linux,
            // measured: corpus/tcp/handshake/syn-retransmit.pkt (4 SYNs 1 s
            // apart, then backoff).
            syn_linear_timeouts: 4,
            // measured: corpus/tcp/close/fin-with-data.pkt (ACK 40 ms after
            // data with FIN), corpus/tcp/close/passive-close.pkt (a bare FIN
            // with no data before it: ACK at the next tick).
            delay_ack_of_fin: true,
            // measured: initial_window_and_rto (RTO 204–212 ms),
            // tail_loss_probe (PTO 4–8 ms): HZ 250.
            timer_tick: Duration::from_millis(4),
            // measured: a 4000-byte write at a low pacing rate goes out
            // `. P. . P.` (kernel target, reported by the kernel-target
            // engineer); corpus/tcp/data/write-split-by-mss.pkt (2000 bytes:
            // `. P.`); corpus/tcp/retransmit/fast-retransmit.pkt (a
            // retransmission keeps its PSH).
            push_per_skb: true,
            min_tso_segs: 2,                       // unverified
            pacing_ss_ratio: 200,                  // unverified
            pacing_ca_ratio: 120,                  // unverified
            cwnd_validation: true,                 // unverified
            persist_max: Duration::from_secs(120), // unverified
            abort_rst_ack: true,                   // unverified
            ooo_max_segments: 64,
        }
    }

    /// The RFCs' own defaults where they give one; where they leave a value
    /// open, the Linux value (see the table in the module docs).
    pub const fn rfc() -> Profile {
        let l = Profile::linux();
        Profile {
            kind: ProfileKind::Rfc,
            // RFC 5681 §3.1 / RFC 3390.
            initial_window: InitialWindow::Rfc5681,
            // RFC 6298 §2.4: "Whenever RTO is computed, if it is less than 1
            // second, then the RTO SHOULD be rounded up to 1 second."
            rto_min: Duration::from_secs(1),
            // RFC 6298 §2.5: "A maximum value MAY be placed on RTO provided it
            // is at least 60 seconds."
            rto_max: Duration::from_secs(60),
            rto_formula: RtoFormula::Rfc6298,
            // RFC 9293 §3.8.6.3 (MUST-40): the delay must be less than 0.5 s;
            // RFC 1122 used 200 ms as the common value.
            delayed_ack_min: Duration::from_millis(200),
            quickack_segments: 0,
            // RFC 9293 §3.8.3 (MUST-23): R2 for a SYN at least 3 minutes:
            // 1+2+4+8+16+32+64 s of backoff before the 7th retry's timeout.
            syn_retries: 7,
            // RFC 9293 §3.4.2 and glossary: MSL = 2 minutes, TIME-WAIT = 2·MSL.
            time_wait: Duration::from_secs(240),
            syn_option_layout: SynOptionLayout::Aligned,
            initial_rcv_window: InitialRcvWindow::WholeBuffer,
            wscale_from: WscaleFrom::SocketBuffer,
            nagle: NagleVariant::Rfc896,
            // RFC 5961 §7 suggests a configurable system-wide limit; 10 per 5 s.
            challenge_ack: ChallengeAckLimit {
                count: 10,
                per: Duration::from_secs(5),
            },
            // RFC 9293 §3.8.3: R2 should correspond to at least 100 seconds.
            r2_time: Some(Duration::from_secs(100)),
            time_wait_reopen: TimeWaitReopen::Rfc6191,
            // RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>.
            abort_rst_ack: false,
            // RFC 5681 §3.1 equation 2.
            abc_limit: Some(1),
            // RFC 6298 §5.5: back off from the first retransmission.
            syn_linear_timeouts: 0,
            // RFC 8985 (RACK-TLP) is optional for the base specifications.
            tlp: false,
            // RFC 6675 §4: all of NextSeg().
            sack_retransmit: SackRetransmit::Rfc6675,
            recovery_cwnd: RecoveryCwnd::Rfc6675,
            syn_rto_fallback: SynRtoFallback::AfterSynTimeout,
            syn_give_up: SynGiveUp::Count,
            icmp_in_handshake: IcmpInHandshake::Rfc1122,
            // RFC 5681 §4.2 / RFC 9293 §3.8.6.3: a FIN is ACKed at once.
            delay_ack_of_fin: false,
            // RFC 6298 imposes no timer granularity.
            timer_tick: Duration::ZERO,
            // RFC 9293 §3.9.1.2: PSH ends the data of a SEND.
            push_per_skb: false,
            // RFC 5681 has no cwnd validation (RFC 7661 is experimental).
            cwnd_validation: false,
            ..l
        }
    }

    /// Applies a sysctl by its name, `net.ipv4.tcp_sack` or
    /// `net/ipv4/tcp_sack` (as written under /proc/sys). Values are decimal;
    /// `tcp_rmem`/`tcp_wmem` take three whitespace-separated numbers.
    pub fn set_sysctl(&mut self, name: &str, value: &str) -> Result<(), SysctlError> {
        let key = name
            .trim()
            .trim_start_matches("/proc/sys/")
            .replace('/', ".");
        let bad = || SysctlError::BadValue {
            name: name.to_string(),
            value: value.to_string(),
        };
        let num = || value.trim().parse::<u64>().map_err(|_| bad());
        let u32v = || num().and_then(|v| u32::try_from(v).map_err(|_| bad()));
        let flag = || match num()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(bad()),
        };
        let triple = || -> Result<[u32; 3], SysctlError> {
            let v: Vec<u32> = value
                .split_whitespace()
                .map(|p| p.parse::<u32>().map_err(|_| bad()))
                .collect::<Result<_, _>>()?;
            match v.as_slice() {
                &[a, b, c] if a <= b && b <= c => Ok([a, b, c]),
                _ => Err(bad()),
            }
        };
        match key.as_str() {
            "net.ipv4.tcp_sack" => self.sack = flag()?,
            "net.ipv4.tcp_timestamps" => self.timestamps = num()? != 0,
            "net.ipv4.tcp_window_scaling" => self.window_scaling = flag()?,
            "net.ipv4.tcp_syn_retries" => self.syn_retries = bounded(u32v()?, 1, 127, bad)?,
            "net.ipv4.tcp_synack_retries" => self.synack_retries = bounded(u32v()?, 0, 255, bad)?,
            "net.ipv4.tcp_retries1" => self.retries1 = bounded(u32v()?, 0, 255, bad)?,
            "net.ipv4.tcp_retries2" => self.retries2 = bounded(u32v()?, 0, 255, bad)?,
            "net.ipv4.tcp_orphan_retries" => self.orphan_retries = u32v()?,
            "net.ipv4.tcp_rmem" => self.rmem = triple()?,
            "net.ipv4.tcp_wmem" => self.wmem = triple()?,
            "net.core.rmem_max" => self.rmem_max = u32v()?,
            "net.ipv4.tcp_min_tso_segs" => self.min_tso_segs = bounded(u32v()?, 1, 255, bad)?,
            "net.ipv4.tcp_pacing_ss_ratio" => {
                self.pacing_ss_ratio = bounded(u32v()?, 0, 1000, bad)?;
            }
            "net.ipv4.tcp_pacing_ca_ratio" => {
                self.pacing_ca_ratio = bounded(u32v()?, 0, 1000, bad)?;
            }
            "net.ipv4.tcp_adv_win_scale" => {
                let v: i32 = value.trim().parse().map_err(|_| bad())?;
                self.adv_win_scale = bounded(v, -31, 31, bad)?;
            }
            "net.ipv4.tcp_syncookies" => self.syncookies = bounded(u32v()?, 0, 2, bad)?,
            "net.ipv4.tcp_ecn" => self.ecn = bounded(u32v()?, 0, 2, bad)?,
            "net.ipv4.tcp_min_rtt_wlen" => self.min_rtt_wlen = u32v()?,
            "net.ipv4.tcp_fin_timeout" => self.fin_timeout = Duration::from_secs(num()?),
            "net.ipv4.tcp_keepalive_time" => self.keepalive_time = Duration::from_secs(num()?),
            "net.ipv4.tcp_keepalive_intvl" => self.keepalive_intvl = Duration::from_secs(num()?),
            "net.ipv4.tcp_keepalive_probes" => self.keepalive_probes = u32v()?,
            "net.ipv4.tcp_min_snd_mss" => {
                self.min_snd_mss = bounded(u32v()?, 48, 65535, bad)? as u16;
            }
            "net.core.somaxconn" => self.somaxconn = u32v()?,
            "net.ipv4.tcp_max_syn_backlog" => self.max_syn_backlog = u32v()?,
            "net.ipv4.tcp_abort_on_overflow" => self.abort_on_overflow = flag()?,
            "net.ipv4.tcp_invalid_ratelimit" => {
                self.invalid_ratelimit = Duration::from_millis(num()?);
            }
            "net.ipv4.tcp_syn_linear_timeouts" => {
                self.syn_linear_timeouts = bounded(u32v()?, 0, 255, bad)?;
            }
            "net.ipv4.tcp_reordering" => self.dupack_threshold = bounded(u32v()?, 1, 300, bad)?,
            // Mechanisms this stack does not have: only the value that turns
            // them off matches its behaviour; any other is "not modelled".
            "net.ipv4.tcp_early_retrans" => match num()? {
                0 => self.tlp = false,
                3 | 4 => self.tlp = true,
                // Early retransmit without TLP (1, 2): not modelled.
                _ => return Err(SysctlError::Unknown(name.to_string())),
            },
            "net.ipv4.tcp_slow_start_after_idle"
            | "net.ipv4.tcp_recovery"
            | "net.ipv4.tcp_frto"
            | "net.ipv4.tcp_dsack"
            | "net.ipv4.tcp_fack" => {
                if num()? != 0 {
                    return Err(SysctlError::Unknown(name.to_string()));
                }
            }
            "net.ipv4.tcp_challenge_ack_limit" => {
                // Linux: a global per-second budget.
                self.challenge_ack = ChallengeAckLimit {
                    count: u32v()?,
                    per: Duration::from_secs(1),
                };
            }
            _ => return Err(SysctlError::Unknown(name.to_string())),
        }
        Ok(())
    }

    /// The window a receive buffer of `space` bytes allows (Linux
    /// `tcp_win_from_space` with `tcp_adv_win_scale`: part of the buffer is
    /// kept for overhead).
    pub fn win_from_space(&self, space: u32) -> u32 {
        let scale = self.adv_win_scale;
        if scale > 0 {
            space - (space >> scale.min(31))
        } else {
            space >> (-scale).min(31)
        }
    }

    /// MSS we advertise on a SYN for this address family (MTU minus the
    /// minimal IP and TCP headers).
    pub fn advertised_mss(&self, ipv6: bool) -> u16 {
        let headers = if ipv6 { 60 } else { 40 };
        self.mtu.saturating_sub(headers).max(self.min_snd_mss)
    }

    /// RFC 9293 §3.7.1 (MUST-15): the send MSS when the peer sent no MSS option.
    pub fn default_mss(&self, ipv6: bool) -> u16 {
        if ipv6 {
            self.default_mss_v6
        } else {
            self.default_mss_v4
        }
    }
}

fn bounded<T: PartialOrd>(
    v: T,
    lo: T,
    hi: T,
    bad: impl Fn() -> SysctlError,
) -> Result<T, SysctlError> {
    if v < lo || v > hi { Err(bad()) } else { Ok(v) }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::linux()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Splits `Profile { a: 1, b: X { c: 2 } }` into its top-level
    /// `name: value` parts.
    fn top_level_fields(p: &Profile) -> Vec<(String, String)> {
        let s = format!("{p:?}");
        let body = s
            .strip_prefix("Profile { ")
            .and_then(|b| b.strip_suffix(" }"))
            .expect("derived Debug shape");
        let (mut depth, mut start, mut out) = (0i32, 0usize, Vec::new());
        let mut push = |part: &str| {
            let (n, v) = part.split_once(": ").expect("name: value");
            out.push((n.trim().to_string(), v.to_string()));
        };
        for (i, c) in body.char_indices() {
            match c {
                '{' | '(' | '[' => depth += 1,
                '}' | ')' | ']' => depth -= 1,
                ',' if depth == 0 => {
                    push(&body[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        push(&body[start..]);
        out
    }

    fn differing_fields() -> Vec<String> {
        let l = top_level_fields(&Profile::linux());
        let r = top_level_fields(&Profile::rfc());
        assert_eq!(l.len(), r.len());
        l.iter()
            .zip(&r)
            .filter(|(a, b)| a.1 != b.1)
            .map(|(a, _)| a.0.clone())
            .collect()
    }

    #[test]
    fn differences_are_exactly_the_documented_ones() {
        let documented = [
            "kind",
            "syn_retries",
            "r2_time",
            "initial_window",
            "rto_min",
            "rto_max",
            "rto_formula",
            "delayed_ack_min",
            "quickack_segments",
            "time_wait",
            "syn_option_layout",
            "initial_rcv_window",
            "wscale_from",
            "nagle",
            "challenge_ack",
            "time_wait_reopen",
            "abort_rst_ack",
            "abc_limit",
            "cwnd_validation",
            "syn_linear_timeouts",
            "delay_ack_of_fin",
            "timer_tick",
            "push_per_skb",
            "tlp",
            "syn_rto_fallback",
            "syn_give_up",
            "icmp_in_handshake",
            "sack_retransmit",
            "recovery_cwnd",
        ];
        let mut got = differing_fields();
        got.sort();
        let mut want: Vec<String> = documented.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(got, want, "update the table in the profile module docs");
    }

    #[test]
    fn sysctls_map_to_fields() {
        let mut p = Profile::linux();
        p.set_sysctl("net.ipv4.tcp_sack", "0").unwrap();
        p.set_sysctl("net/ipv4/tcp_timestamps", "0").unwrap();
        p.set_sysctl("/proc/sys/net/ipv4/tcp_window_scaling", "0")
            .unwrap();
        p.set_sysctl("net.ipv4.tcp_syn_retries", "2").unwrap();
        p.set_sysctl("net.ipv4.tcp_rmem", "4096\t87380 6291456")
            .unwrap();
        p.set_sysctl("net.ipv4.tcp_syncookies", "2").unwrap();
        p.set_sysctl("net.ipv4.tcp_syn_linear_timeouts", "0")
            .unwrap();
        p.set_sysctl("net.ipv4.tcp_early_retrans", "0").unwrap();
        assert!(!p.tlp);
        p.set_sysctl("net.core.rmem_max", "1048576").unwrap();
        p.set_sysctl("net.ipv4.tcp_min_tso_segs", "4").unwrap();
        p.set_sysctl("net.ipv4.tcp_pacing_ss_ratio", "300").unwrap();
        p.set_sysctl("net.ipv4.tcp_pacing_ca_ratio", "150").unwrap();
        assert_eq!(
            (
                p.rmem_max,
                p.min_tso_segs,
                p.pacing_ss_ratio,
                p.pacing_ca_ratio
            ),
            (1_048_576, 4, 300, 150)
        );
        assert_eq!(
            p.set_sysctl("net.ipv4.tcp_early_retrans", "2"),
            Err(SysctlError::Unknown("net.ipv4.tcp_early_retrans".into())),
            "early retransmit without TLP is not modelled"
        );
        assert_eq!(p.syn_linear_timeouts, 0);
        assert!(!p.sack && !p.timestamps && !p.window_scaling);
        assert_eq!(p.syn_retries, 2);
        assert_eq!(p.rmem, [4096, 87380, 6_291_456]);
        assert_eq!(p.syncookies, 2);
    }

    #[test]
    fn bad_and_unknown_sysctls_are_errors_not_panics() {
        let mut p = Profile::linux();
        assert_eq!(
            p.set_sysctl("net.ipv4.tcp_nonsense", "1"),
            Err(SysctlError::Unknown("net.ipv4.tcp_nonsense".into()))
        );
        for (n, v) in [
            ("net.ipv4.tcp_sack", "2"),
            ("net.ipv4.tcp_sack", "yes"),
            ("net.ipv4.tcp_rmem", "1 2"),
            ("net.ipv4.tcp_rmem", "3 2 1"),
            ("net.ipv4.tcp_syn_retries", "0"),
            ("net.ipv4.tcp_syn_retries", "99999999999999999999"),
            ("net.ipv4.tcp_adv_win_scale", "-99"),
        ] {
            assert!(
                matches!(p.set_sysctl(n, v), Err(SysctlError::BadValue { .. })),
                "{n}={v}"
            );
        }
        assert_eq!(p, Profile::linux(), "a failed set changes nothing");
    }

    #[test]
    fn mss_values_follow_the_address_family() {
        let p = Profile::linux();
        assert_eq!(p.advertised_mss(false), 1460);
        assert_eq!(p.advertised_mss(true), 1440);
        // RFC 9293 §3.7.1 (MUST-15)
        assert_eq!(p.default_mss(false), 536);
        assert_eq!(p.default_mss(true), 1220);
    }
}
