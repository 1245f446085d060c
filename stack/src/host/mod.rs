//! The host: the top-level [`Stack`] that owns sockets, connections and the
//! IP layer, and turns inbound datagrams and socket calls into outbound
//! datagrams, in virtual time.
//!
//! # Driving a stack
//!
//! ```text
//! loop {
//!     stack.handle_packet(now, &datagram);       // each inbound IP datagram
//!     stack.call(now, call);                     // each socket call
//!     while let Some(d) = stack.poll_transmit(now) { send(d) }
//!     while let Some(c) = stack.poll_completion() { report(c) }
//!     now = stack.poll_at().unwrap_or(never);    // jump to the next wake-up
//!     stack.handle_timeout(now);
//! }
//! ```
//!
//! Every entry point takes `now`; a `now` earlier than one already seen is
//! treated as the later one (time never runs backwards inside the stack).

mod conns;
mod convert;
mod demux;
mod icmp;
pub(crate) mod ip;
pub(crate) mod pending;
pub mod ports;
pub mod slab;
mod tcp_input;

use crate::profile::Profile;
use crate::rng::Rng;
use crate::socket::cookie::CookieKeys;
use crate::socket::epoll::Epoll;
use crate::socket::fd::FdTable;
use crate::socket::sock::Socket;
use crate::socket::{CallId, CallResult};
use crate::tcp::{Connection, IsnGenerator, Segment};
use crate::time::Instant;
use demux::Demux;
use pending::Pending;
use ports::Ports;
use slab::Slab;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use ip::{DropCause, InputOutcome};

/// Datagram buffers kept for reuse.
const POOL_MAX: usize = 64;
/// The largest buffer kept: every datagram the stack emits fits in 64 KiB
/// plus headers.
const POOL_BUF_MAX: usize = 128 * 1024;

/// How a stack is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Every random choice (ISN key, ephemeral ports, cookie secrets) comes
    /// from this seed.
    pub seed: u64,
    /// The host's own addresses; packets to other addresses are dropped.
    pub addrs: Vec<IpAddr>,
    pub profile: Profile,
    /// TTL / hop limit of the packets we send (RFC 9293 MUST-49: configurable).
    pub ttl: u8,
}

impl Config {
    /// packetdrill's local addresses (192.168.0.1 and fd3d:fa7b:d17d::1),
    /// the Linux profile and TTL 64.
    pub fn new(seed: u64) -> Config {
        Config {
            seed,
            addrs: vec![
                IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)),
                IpAddr::V6(Ipv6Addr::new(0xfd3d, 0xfa7b, 0xd17d, 0, 0, 0, 0, 1)),
            ],
            profile: Profile::linux(),
            ttl: 64,
        }
    }
}

/// A blocked call that completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    pub id: CallId,
    /// When it completed (the `now` of the event that completed it).
    pub at: Instant,
    pub result: CallResult,
}

/// A TCP connection and what ties it to the rest of the host.
#[derive(Debug)]
pub(crate) struct ConnEntry {
    pub conn: Connection,
    /// The socket it belongs to; `None` while it waits in a listen queue or
    /// after its socket was closed (an orphan finishing its close).
    pub sock: Option<u32>,
    /// The listening socket whose SYN or accept queue holds it.
    pub listener: Option<u32>,
    /// Key in `Stack::timers`, if registered.
    pub timer_at: Option<Instant>,
    /// Whether it is in `Stack::dirty`.
    pub dirty: bool,
    /// Data was written while the send buffer was full (Linux
    /// `SOCK_NOSPACE`): space opening up is a wake-up.
    pub nospace: bool,
    /// It reached a synchronized state at some point.
    pub was_established: bool,
}

/// A deterministic, sans-IO TCP/UDP host.
pub struct Stack {
    pub(crate) cfg: Config,
    pub(crate) rng: Rng,
    pub(crate) now: Instant,
    pub(crate) fds: FdTable,
    pub(crate) socks: Slab<Socket>,
    pub(crate) epolls: Slab<Epoll>,
    pub(crate) conns: Slab<ConnEntry>,
    /// Established and embryonic connections by (local, remote), wire form.
    pub(crate) demux: Demux,
    pub(crate) ports: Ports,
    /// (when, connection): the connection wants `on_timer` then.
    pub(crate) timers: BTreeSet<(Instant, u32)>,
    /// Connections that may have something to send, in the order they
    /// became so.
    pub(crate) dirty: VecDeque<u32>,
    pub(crate) outbound: VecDeque<Vec<u8>>,
    /// Emptied datagram buffers handed back by [`Stack::poll_transmit_into`],
    /// reused for the next datagrams (at most [`POOL_MAX`]).
    pub(crate) pool: Vec<Vec<u8>>,
    /// A segment whose buffers are reused for every segment a connection
    /// emits, and one for every segment that arrives: no allocation per
    /// packet.
    pub(crate) tx_seg: Segment,
    pub(crate) rx_seg: Segment,
    pub(crate) pending: BTreeMap<CallId, Pending>,
    pub(crate) next_call: u64,
    pub(crate) completions: VecDeque<Completion>,
    pub(crate) isn: IsnGenerator,
    pub(crate) cookies: CookieKeys,
    /// IPv4 identification counter for connected sockets' packets.
    pub(crate) ip_ident: u16,
    pub(crate) icmp_limiter: icmp::IcmpLimiter,
    pub(crate) counters: Counters,
}

/// Things the host dropped or answered on its own, for tests and reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub malformed: u64,
    pub bad_checksum: u64,
    pub not_for_us: u64,
    pub tcp_resets_sent: u64,
    pub syn_dropped_queue_full: u64,
    pub ack_dropped_accept_full: u64,
    pub syn_cookies_sent: u64,
    pub syn_cookies_ok: u64,
    pub udp_no_port: u64,
    pub udp_rcvbuf_drops: u64,
    pub icmp_errors_in: u64,
}

impl Stack {
    pub fn new(cfg: Config) -> Stack {
        let mut rng = Rng::new(cfg.seed);
        let isn = IsnGenerator::new(rng.next_u64());
        let cookies = CookieKeys::new([
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64(),
        ]);
        let ip_ident = rng.next_u32() as u16;
        Stack {
            cfg,
            rng,
            now: Instant::ZERO,
            fds: FdTable::new(),
            socks: Slab::default(),
            epolls: Slab::default(),
            conns: Slab::default(),
            demux: Demux::default(),
            ports: Ports::default(),
            timers: BTreeSet::new(),
            dirty: VecDeque::new(),
            outbound: VecDeque::new(),
            pool: Vec::new(),
            tx_seg: Segment::default(),
            rx_seg: Segment::default(),
            pending: BTreeMap::new(),
            next_call: 1,
            completions: VecDeque::new(),
            isn,
            cookies,
            ip_ident,
            icmp_limiter: icmp::IcmpLimiter::default(),
            counters: Counters::default(),
        }
    }

    /// The profile new connections copy (a connection keeps the profile it
    /// was created with).
    pub fn profile(&self) -> &Profile {
        &self.cfg.profile
    }

    /// For sysctls: changes apply to connections created afterwards.
    pub fn profile_mut(&mut self) -> &mut Profile {
        &mut self.cfg.profile
    }

    /// Replaces the profile (a sysctl changed) for new and live
    /// connections alike: Linux reads most sysctls at use time.
    pub fn set_profile(&mut self, p: Profile) {
        self.cfg.profile = p;
        for (_, e) in self.conns.iter_mut() {
            e.conn.set_profile(&p);
        }
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The latest time the stack has been told about.
    pub fn now(&self) -> Instant {
        self.now
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// An inbound IP datagram (IPv4 or IPv6 header first).
    pub fn handle_packet(&mut self, now: Instant, datagram: &[u8]) -> InputOutcome {
        self.advance(now);
        let out = self.input(datagram);
        self.after_event();
        out
    }

    /// Runs the timers due at or before `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        self.after_event();
    }

    /// The next outbound IP datagram, if any (runs due timers first).
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Vec<u8>> {
        self.advance(now);
        loop {
            if let Some(d) = self.outbound.pop_front() {
                return Some(d);
            }
            let c = self.dirty.pop_front()?;
            self.drain_conn(c);
        }
    }

    /// [`poll_transmit`](Self::poll_transmit) into the caller's buffer:
    /// `buf` is replaced by the next datagram and its old allocation is
    /// kept for a later one, so a caller that passes the same buffer again
    /// and again makes the stack allocate nothing per datagram. Returns
    /// whether there was a datagram (`buf` is left as it was if not).
    pub fn poll_transmit_into(&mut self, now: Instant, buf: &mut Vec<u8>) -> bool {
        let Some(d) = self.poll_transmit(now) else {
            return false;
        };
        let old = std::mem::replace(buf, d);
        self.recycle(old);
        true
    }

    /// Keeps a datagram buffer for reuse. Its old bytes stay: emitting
    /// overwrites every byte of a datagram, so only growth is zeroed.
    pub(crate) fn recycle(&mut self, buf: Vec<u8>) {
        // A caller's oversized buffer is not kept: no datagram needs it.
        if self.pool.len() < POOL_MAX && (1..=POOL_BUF_MAX).contains(&buf.capacity()) {
            self.pool.push(buf);
        }
    }

    /// A buffer of `len` bytes (of unspecified value) for a datagram, from
    /// the pool if it has one.
    pub(crate) fn datagram_buffer(&mut self, len: usize) -> Vec<u8> {
        let mut buf = self.pool.pop().unwrap_or_default();
        buf.resize(len, 0);
        buf
    }

    /// When the stack next wants to be woken: a timer, a blocked call's
    /// timeout, or `now` when output is waiting.
    pub fn poll_at(&self) -> Option<Instant> {
        if !self.outbound.is_empty() || !self.dirty.is_empty() || !self.completions.is_empty() {
            return Some(self.now);
        }
        let timer = self.timers.first().map(|&(t, _)| t);
        let call = self.pending.values().filter_map(|p| p.deadline).min();
        match (timer, call) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next blocked call that has completed, in completion order.
    pub fn poll_completion(&mut self) -> Option<Completion> {
        self.completions.pop_front()
    }

    /// Calls still blocked.
    pub fn pending_calls(&self) -> impl Iterator<Item = CallId> + '_ {
        self.pending.keys().copied()
    }

    /// The connection behind a TCP socket's fd, for tests and invariants.
    pub fn connection(&self, fd: i32) -> Option<&Connection> {
        let s = self.sock_of_fd(fd).ok()?;
        let c = self.socks.get(s)?.conn()?;
        self.conns.get(c).map(|e| &e.conn)
    }

    /// Every live connection (including orphans and queued ones).
    pub fn connections(&self) -> impl Iterator<Item = &Connection> + '_ {
        self.conns.iter().map(|(_, e)| &e.conn)
    }

    // -- internal bookkeeping -------------------------------------------------

    /// Moves time forward to `now` and fires due connection timers.
    pub(crate) fn advance(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
        while let Some(&(t, c)) = self.timers.first() {
            if t > self.now {
                break;
            }
            self.timers.pop_first();
            let Some(e) = self.conns.get_mut(c) else {
                continue;
            };
            e.timer_at = None;
            let before = self.conn_snapshot(c);
            if let Some(e) = self.conns.get_mut(c) {
                e.conn.on_timer(self.now);
            }
            self.conn_changed(c, before);
        }
    }

    /// After any event: blocked calls that can now complete do.
    pub(crate) fn after_event(&mut self) {
        self.retry_pending();
    }

    /// Re-registers `c`'s timer and queues it for output.
    pub(crate) fn touch(&mut self, c: u32) {
        let Some(e) = self.conns.get_mut(c) else {
            return;
        };
        let want = e.conn.poll_at();
        if want != e.timer_at {
            if let Some(old) = e.timer_at {
                self.timers.remove(&(old, c));
            }
            if let Some(t) = want {
                self.timers.insert((t, c));
            }
            e.timer_at = want;
        }
        if !e.dirty {
            e.dirty = true;
            self.dirty.push_back(c);
        }
    }

    /// Turns everything `c` wants to send into datagrams.
    fn drain_conn(&mut self, c: u32) {
        let now = self.now;
        let Some(e) = self.conns.get_mut(c) else {
            return;
        };
        e.dirty = false;
        let before = self.conn_snapshot(c);
        let mut seg = std::mem::take(&mut self.tx_seg);
        while let Some(e) = self.conns.get_mut(c) {
            if !e.conn.poll_transmit_header(now, &mut seg) {
                break;
            }
            self.emit_conn_segment(c, &mut seg);
        }
        self.tx_seg = seg;
        self.conn_changed(c, before);
        // Output itself never needs another pass: un-mark.
        if let Some(e) = self.conns.get_mut(c) {
            if e.dirty {
                e.dirty = false;
                self.dirty.retain(|&d| d != c);
            }
        }
    }

    pub(crate) fn alloc_call_id(&mut self) -> CallId {
        let id = CallId(self.next_call);
        self.next_call += 1;
        id
    }
}
