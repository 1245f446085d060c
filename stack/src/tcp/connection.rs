//! The connection: one TCB with its buffers, timers and estimators, the
//! constructors for active and passive open, and the queries and socket
//! options the host calls. User calls are in `user.rs`, SEGMENT ARRIVES in
//! `input/`, what to send in `output.rs`, timer expiry in `timeouts.rs`.

use std::collections::VecDeque;
use std::net::SocketAddr;

use crate::linux::Errno;
use crate::profile::Profile;
use crate::time::{Duration, Instant};

use super::challenge::RateLimiter;
use super::congestion::{self, CongestionControl};
use super::options::Negotiated;
use super::reassembly::Reassembly;
use super::rtt::RttEstimator;
use super::segment::Segment;
use super::sendbuf::SendBuffer;
use super::seq::SeqNumber;
use super::state::State;
use super::tcb::Tcb;
use super::timer::{TimerKind, Timers};

/// Addresses and secrets of a new connection, chosen by the host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Open {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// Initial send sequence number (see [`super::isn::IsnGenerator`]).
    pub iss: SeqNumber,
    /// Per-connection offset added to the TS clock (RFC 7323 §5.4).
    pub ts_offset: u32,
}

/// Socket options that shape a connection. The host keeps one per socket
/// (options set before `connect`/`listen` are passed to the constructors) and
/// forwards later changes through the `set_*` methods.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SockOpts {
    /// TCP_NODELAY: disable Nagle (RFC 9293 §3.7.4).
    pub nodelay: bool,
    /// TCP_CORK: send only full segments until uncorked.
    pub cork: bool,
    /// SO_KEEPALIVE (RFC 9293 §3.8.4: MUST default to off, MUST-25).
    pub keepalive: bool,
    /// TCP_KEEPIDLE; `None` = the profile's `keepalive_time`.
    pub keepidle: Option<Duration>,
    /// TCP_KEEPINTVL; `None` = the profile's `keepalive_intvl`.
    pub keepintvl: Option<Duration>,
    /// TCP_KEEPCNT; `None` = the profile's `keepalive_probes`.
    pub keepcnt: Option<u32>,
    /// TCP_USER_TIMEOUT (RFC 9293 §3.8.3 MUST-21, RFC 5482); `None` = off.
    pub user_timeout: Option<Duration>,
    /// TCP_MAXSEG: clamp on the MSS advertised and used.
    pub maxseg: Option<u16>,
    /// Receive buffer in bytes as the kernel stores it (SO_RCVBUF doubles the
    /// user's value before it gets here); `None` = `tcp_rmem[1]`.
    pub rcvbuf: Option<u32>,
    /// Send buffer in bytes; `None` = `tcp_wmem[1]`.
    pub sndbuf: Option<u32>,
    /// TCP_QUICKACK: ACK immediately instead of delaying.
    pub quickack: bool,
    /// TCP_SYNCNT: SYN retries for this socket; `None` = the profile's.
    pub syn_retries: Option<u32>,
}

/// How [`Connection::shutdown`] closes a connection (SHUT_RD/WR/RDWR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    Read,
    Write,
    Both,
}

/// ACK bookkeeping of the receiving side (RFC 9293 §3.8.6.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AckState {
    /// An ACK must go out at the next `poll_transmit`.
    pub now: bool,
    /// Segments still to be ACKed immediately (Linux quick-ack mode).
    pub quick: u32,
    /// RCV.NXT as carried by the last segment we sent.
    pub rcv_wup: SeqNumber,
    /// The window should be re-advertised (it opened significantly).
    pub window_update: bool,
}

/// How much of cwnd the sender used in the last window of data (Linux
/// `max_packets_out`, `cwnd_usage_seq`, `is_cwnd_limited`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CwndUse {
    pub max_flight: u32,
    pub until: SeqNumber,
    pub limited: bool,
}

/// Counters for `tcp_info` and the fuzzer's invariants.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub segs_in: u32,
    pub segs_out: u32,
    pub data_segs_in: u32,
    pub data_segs_out: u32,
    pub bytes_sent: u64,
    pub bytes_retrans: u64,
    pub bytes_acked: u64,
    pub bytes_received: u64,
    pub total_retrans: u32,
    /// Sequence space acknowledged so far (SYN and FIN included), a 64-bit
    /// offset that does not wrap: what congestion control counts in.
    pub seq_acked: u64,
    pub rcv_ooopack: u32,
    pub last_data_sent: Instant,
    pub last_data_recv: Instant,
    pub last_ack_recv: Instant,
}

/// One TCP connection (a TCB, RFC 9293 §3.3.1) in virtual time.
#[derive(Debug)]
pub struct Connection {
    pub(crate) state: State,
    /// Opened passively (from LISTEN): a RST in SYN-RECEIVED returns the
    /// connection to LISTEN instead of refusing it (RFC 9293 §3.5 MUST-11:
    /// remember whether SYN-RECEIVED came from a passive or an active OPEN).
    pub(crate) passive: bool,
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
    pub(crate) profile: Profile,
    pub(crate) sockopts: SockOpts,
    pub(crate) tcb: Tcb,
    pub(crate) opts: Negotiated,
    pub(crate) sndbuf: SendBuffer,
    pub(crate) rcvbuf: VecDeque<u8>,
    pub(crate) rcvbuf_cap: u32,
    /// Linux `rcv_ssthresh`: the window grows towards the buffer as data
    /// arrives instead of being offered whole at once.
    pub(crate) rcv_ssthresh: u32,
    pub(crate) ooo: Reassembly,
    pub(crate) timers: Timers,
    pub(crate) rtt: RttEstimator,
    /// Karn's algorithm (RFC 9293 §3.8.1 MUST-18): the segment being timed,
    /// forgotten when anything is retransmitted.
    pub(crate) rtt_timed: Option<(SeqNumber, Instant)>,
    pub(crate) cc: Box<dyn CongestionControl>,
    pub(crate) cwnd_use: CwndUse,
    pub(crate) tlp: super::tlp::Tlp,
    /// Duplicate-ACK counting, limited transmit and SACK loss recovery.
    pub(crate) recovery: super::recovery::Recovery,
    pub(crate) challenge: RateLimiter,
    pub(crate) oow_ack: RateLimiter,
    pub(crate) ack: AckState,
    /// Segments outside the normal flow (RSTs) waiting for `poll_transmit`.
    pub(crate) ctl: VecDeque<Segment>,
    /// A pending error for SO_ERROR and the next user call.
    pub(crate) error: Option<Errno>,
    /// The connection was reset or timed out (not closed normally).
    pub(crate) aborted: bool,
    pub(crate) shut_rd: bool,
    /// The last write said MSG_MORE: hold a partial segment as TCP_CORK does.
    pub(crate) more: bool,
    /// TCP_NODELAY was just set: push what is queued once, even if corked
    /// (Linux `TCP_NAGLE_PUSH`).
    pub(crate) push_once: bool,
    /// The user called `close()`: the socket is an orphan.
    pub(crate) orphan: bool,
    /// Our SYN (or SYN-ACK) must be (re)sent at the next `poll_transmit`.
    pub(crate) syn_pending: bool,
    /// Retransmit the segment at SND.UNA at the next `poll_transmit` (fast
    /// retransmit / NewReno partial ACK), without moving SND.NXT.
    pub(crate) retransmit_head: bool,
    /// Consecutive retransmission timeouts of the same data (tcpi_retransmits).
    pub(crate) retries: u32,
    /// When the first retransmission of the current head happened (for R2
    /// as a time and the user timeout); in the handshake, when the first
    /// SYN or SYN-ACK went out.
    pub(crate) retrans_since: Option<Instant>,
    /// Zero-window probes or keep-alives sent without an answer.
    pub(crate) probes: u32,
    /// Doublings of the zero-window probe interval (reset when data flows).
    pub(crate) persist_backoff: u32,
    /// A zero-window probe or keep-alive must be sent at the next poll.
    pub(crate) probe_pending: bool,
    /// Time of the last segment received (keep-alive idle reference).
    pub(crate) last_recv: Instant,
    /// Highest sequence number sent in a small (less than MSS) segment that
    /// is not yet acknowledged (Minshall's Nagle check).
    pub(crate) snd_sml: SeqNumber,
    pub(crate) stats: Stats,
}

impl Connection {
    fn new(now: Instant, open: Open, state: State, profile: &Profile, so: &SockOpts) -> Connection {
        let ipv6 = open.local.is_ipv6() && !is_v4_mapped(&open.local);
        let rcvbuf = so.rcvbuf.unwrap_or(profile.rmem[1]);
        let sndbuf = so.sndbuf.unwrap_or(profile.wmem[1]);
        let mut opts = Negotiated::offer(profile, ipv6, so.maxseg, rcvbuf, so.rcvbuf.is_some());
        opts.ts_offset = open.ts_offset;
        let smss = opts.eff_snd_mss(profile);
        Connection {
            state,
            passive: false,
            local: open.local,
            remote: open.remote,
            profile: *profile,
            sockopts: *so,
            tcb: Tcb::new(open.iss),
            opts,
            sndbuf: SendBuffer::new(open.iss + 1, sndbuf as usize),
            rcvbuf: VecDeque::new(),
            rcvbuf_cap: rcvbuf,
            rcv_ssthresh: 0,
            ooo: Reassembly::new(profile.ooo_max_segments),
            timers: Timers::default(),
            rtt: RttEstimator::new(profile),
            rtt_timed: None,
            cc: congestion::new_reno(profile, smss),
            cwnd_use: CwndUse::default(),
            tlp: super::tlp::Tlp::default(),
            recovery: super::recovery::Recovery::default(),
            challenge: RateLimiter::default(),
            oow_ack: RateLimiter::default(),
            ack: AckState {
                quick: profile.quickack_segments,
                ..AckState::default()
            },
            ctl: VecDeque::new(),
            error: None,
            aborted: false,
            shut_rd: false,
            more: false,
            push_once: false,
            orphan: false,
            syn_pending: true,
            retransmit_head: false,
            retries: 0,
            retrans_since: None,
            probes: 0,
            persist_backoff: 0,
            probe_pending: false,
            last_recv: now,
            snd_sml: open.iss,
            stats: Stats::default(),
        }
    }

    /// Active OPEN (RFC 9293 §3.10.1): a connection in SYN-SENT whose SYN
    /// `<SEQ=ISS><CTL=SYN>` comes out of the next [`poll_transmit`](Self::poll_transmit).
    pub fn connect(now: Instant, open: Open, profile: &Profile, so: &SockOpts) -> Connection {
        let mut c = Connection::new(now, open, State::SynSent, profile, so);
        c.init_rcv_window();
        c
    }

    /// Passive open from a SYN received in LISTEN (RFC 9293 §3.10.7.2 third
    /// step): RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ, state SYN-RECEIVED; the
    /// SYN-ACK `<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>` comes out of the next
    /// `poll_transmit`. Data on the SYN is not accepted (no TCP Fast Open):
    /// the peer retransmits it after the handshake.
    pub fn accept_syn(
        now: Instant,
        open: Open,
        syn: &Segment,
        profile: &Profile,
        so: &SockOpts,
    ) -> Connection {
        let mut c = Connection::new(now, open, State::SynReceived, profile, so);
        c.passive = true;
        c.take_peer_syn(now, syn);
        c.init_rcv_window();
        c
    }

    /// Records the peer's SYN: IRS, RCV.NXT, its window and options
    /// (RFC 9293 §3.10.7.2 third step, §3.10.7.3 fourth step).
    pub(crate) fn take_peer_syn(&mut self, now: Instant, syn: &Segment) {
        self.tcb.irs = syn.seq;
        self.tcb.rcv_nxt = syn.seq + 1;
        self.tcb.rcv_up = syn.seq + 1;
        self.ack.rcv_wup = self.tcb.rcv_nxt;
        self.opts.apply_peer_syn(&self.profile, syn, now);
        // RFC 7323 §2.2: the window field of a SYN is never scaled.
        self.tcb
            .update_window(u32::from(syn.window), syn.seq, syn.ack);
        self.cc = congestion::new_reno(&self.profile, self.opts.eff_snd_mss(&self.profile));
        self.last_recv = now;
    }

    // -- queries -----------------------------------------------------------

    /// The RFC 9293 state.
    pub fn state(&self) -> State {
        self.state
    }
    pub fn local(&self) -> SocketAddr {
        self.local
    }
    pub fn remote(&self) -> SocketAddr {
        self.remote
    }
    /// The sequence variables (read-only), for tests, invariants and tcp_info.
    pub fn tcb(&self) -> &Tcb {
        &self.tcb
    }
    /// The negotiated options (MSS, window scale, SACK, timestamps).
    pub fn negotiated(&self) -> &Negotiated {
        &self.opts
    }
    pub fn profile(&self) -> &Profile {
        &self.profile
    }
    pub fn sockopts(&self) -> &SockOpts {
        &self.sockopts
    }
    /// Whether the connection was opened passively (from a listener).
    pub fn is_passive(&self) -> bool {
        self.passive
    }
    /// The next time the connection wants [`on_timer`](Self::on_timer) /
    /// `poll_transmit` to be called, if any timer is armed.
    pub fn poll_at(&self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        self.timers.next()
    }
    /// When the given timer fires, for tests and tcp_info.
    pub fn timer(&self, kind: TimerKind) -> Option<Instant> {
        self.timers.get(kind)
    }
    /// Bytes ready to be read (FIONREAD / SIOCINQ).
    pub fn recv_queue_len(&self) -> usize {
        self.rcvbuf.len()
    }
    /// Bytes sent but unacknowledged plus bytes not yet sent (SIOCOUTQ).
    pub fn send_queue_len(&self) -> usize {
        self.sndbuf.len()
    }
    /// Bytes not yet sent (SIOCOUTQNSD, tcpi_notsent_bytes).
    pub fn unsent_len(&self) -> usize {
        self.sndbuf
            .available_from(self.tcb.snd_max.max(self.sndbuf.start())) as usize
    }
    /// Room left in the send buffer.
    pub fn send_space(&self) -> usize {
        self.sndbuf.free()
    }

    // -- readiness (the facts socket::readiness needs) ----------------------

    /// Data waiting to be read.
    pub fn readable(&self) -> bool {
        !self.rcvbuf.is_empty()
    }
    /// Room to write in a state that accepts writes (Linux
    /// `sk_stream_is_writeable`: free space at least half of what is queued).
    pub fn writable(&self) -> bool {
        matches!(self.state, State::Established | State::CloseWait)
            && !self.sndbuf.fin_queued()
            && self.sndbuf.free() > 0
            && self.sndbuf.free() >= self.sndbuf.len() / 2
    }
    /// No more data will arrive: FIN received, shutdown(SHUT_RD), or gone.
    pub fn rcv_shutdown(&self) -> bool {
        self.shut_rd || self.state.fin_received() || self.aborted || self.state == State::Closed
    }
    /// No more data may be sent: FIN queued, or the connection is gone.
    pub fn snd_shutdown(&self) -> bool {
        self.sndbuf.fin_queued() || self.aborted || self.state == State::Closed
    }
    /// A pending error (SO_ERROR is non-zero).
    pub fn has_error(&self) -> bool {
        self.error.is_some()
    }
    /// Urgent data not yet read is pending (RCV.UP ahead of the read point).
    pub fn urgent_pending(&self) -> bool {
        let read_point = self.tcb.rcv_nxt - self.rcvbuf.len() as u32;
        self.tcb.rcv_up.gt(read_point)
    }
    /// Reads and clears the pending error (getsockopt SO_ERROR).
    pub fn take_error(&mut self) -> Option<Errno> {
        self.error.take()
    }
    /// CLOSED with nothing left to send: the host may delete the
    /// connection. (A connection can be CLOSED with a RST still queued —
    /// after ABORT, or close with unread data — until `poll_transmit` has
    /// returned it.)
    pub fn is_finished(&self) -> bool {
        self.state == State::Closed && self.ctl.is_empty()
    }
    /// Whether the handshake is still in progress (connect would return
    /// EALREADY / EINPROGRESS).
    pub fn is_connecting(&self) -> bool {
        matches!(self.state, State::SynSent | State::SynReceived)
    }

    // -- socket options -----------------------------------------------------

    /// TCP_NODELAY (RFC 9293 §3.7.4 MUST-17). Turning it on pushes what is
    /// queued, once, even past TCP_CORK or MSG_MORE (as Linux does).
    pub fn set_nodelay(&mut self, on: bool) {
        self.sockopts.nodelay = on;
        if on {
            self.push_once = true;
        }
    }
    /// TCP_CORK. Turning it off pushes a held partial segment.
    pub fn set_cork(&mut self, on: bool) {
        self.sockopts.cork = on;
    }
    /// SO_KEEPALIVE (RFC 9293 §3.8.4 MUST-24: per connection, on or off).
    pub fn set_keepalive(&mut self, now: Instant, on: bool) {
        self.sockopts.keepalive = on;
        self.rearm_keepalive(now);
    }
    /// TCP_KEEPIDLE (RFC 9293 §3.8.4 MUST-27: the interval is configurable).
    pub fn set_keepidle(&mut self, now: Instant, idle: Duration) {
        self.sockopts.keepidle = Some(idle);
        self.rearm_keepalive(now);
    }
    /// TCP_KEEPINTVL.
    pub fn set_keepintvl(&mut self, intvl: Duration) {
        self.sockopts.keepintvl = Some(intvl);
    }
    /// TCP_KEEPCNT.
    pub fn set_keepcnt(&mut self, cnt: u32) {
        self.sockopts.keepcnt = Some(cnt);
    }
    /// TCP_USER_TIMEOUT; zero turns it off (RFC 9293 §3.8.3 MUST-21).
    pub fn set_user_timeout(&mut self, t: Duration) {
        self.sockopts.user_timeout = (t > Duration::ZERO).then_some(t);
    }
    /// TCP_MAXSEG: clamps the MSS used from now on.
    pub fn set_maxseg(&mut self, mss: u16) {
        self.sockopts.maxseg = Some(mss);
        self.opts.user_mss = Some(mss);
    }
    /// SO_RCVBUF, in bytes as the kernel stores it.
    pub fn set_recv_buffer(&mut self, bytes: u32) {
        self.sockopts.rcvbuf = Some(bytes);
        self.rcvbuf_cap = bytes;
    }
    /// SO_SNDBUF, in bytes as the kernel stores it.
    pub fn set_send_buffer(&mut self, bytes: u32) {
        self.sockopts.sndbuf = Some(bytes);
        self.sndbuf.set_capacity(bytes as usize);
    }
    /// TCP_QUICKACK: on = ACK every segment now (Linux re-enters quick-ack
    /// mode; the flag does not stick).
    pub fn set_quickack(&mut self, on: bool) {
        self.sockopts.quickack = on;
        if on {
            self.ack.quick = self.ack.quick.max(self.profile.quickack_segments.max(1));
            if self.tcb.rcv_nxt != self.ack.rcv_wup && self.state.is_synchronized() {
                self.ack.now = true;
            }
        }
    }
    /// TCP_SYNCNT.
    pub fn set_syn_retries(&mut self, n: u32) {
        self.sockopts.syn_retries = Some(n);
    }
    /// A sysctl changed (Linux reads most at use time): take the new
    /// profile. What was fixed when the connection opened stays — the
    /// options and MSS negotiated, the window scale, the initial windows.
    pub fn set_profile(&mut self, p: &Profile) {
        self.profile = *p;
        self.rtt.set_limits(p);
        self.cc.set_profile(p);
        if !p.tlp {
            self.tlp = super::tlp::Tlp::default();
            self.timers.clear(TimerKind::LossProbe);
        }
    }
    /// TCP_CONGESTION's answer.
    pub fn congestion_name(&self) -> &'static str {
        self.cc.name()
    }

    /// Re-arms the keep-alive timer from the last time we heard from the peer.
    pub(crate) fn rearm_keepalive(&mut self, now: Instant) {
        if self.sockopts.keepalive && self.state.is_synchronized() && self.state != State::TimeWait
        {
            let idle = self
                .sockopts
                .keepidle
                .unwrap_or(self.profile.keepalive_time);
            self.timers
                .set(TimerKind::Keepalive, self.last_recv.max(now - idle) + idle);
        } else {
            self.timers.clear(TimerKind::Keepalive);
        }
    }

    /// The TCB is gone: CLOSED, no timers, no queues except pending RSTs.
    pub(crate) fn enter_closed(&mut self) {
        self.state = State::Closed;
        self.timers.clear_all();
        self.sndbuf.flush();
        self.ooo.clear();
        self.syn_pending = false;
        self.retransmit_head = false;
        self.probe_pending = false;
        self.tlp = super::tlp::Tlp::default();
        self.ack.now = false;
    }

    /// Reset or timed out: record the error for the user and close.
    pub(crate) fn abort_with(&mut self, err: Errno) {
        self.error = Some(err);
        self.aborted = true;
        self.rcvbuf.clear();
        self.enter_closed();
    }
}

/// `::ffff:a.b.c.d` sockets speak IPv4 on the wire.
fn is_v4_mapped(a: &SocketAddr) -> bool {
    match a {
        SocketAddr::V6(v6) => v6.ip().to_ipv4_mapped().is_some(),
        SocketAddr::V4(_) => false,
    }
}
