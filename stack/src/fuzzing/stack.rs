//! The `stack` fuzz target: one connection of the stack under test, driven
//! by an `Arbitrary` sequence of inbound segments (their numbers *relative*
//! to the live connection, so that most land in or near the window), socket
//! calls and time steps. The fuzzer plays the peer.
//!
//! Invariants checked after every step (a violation panics):
//! - every datagram the stack sends parses, with valid checksums;
//! - SND.UNA ≤ SND.NXT ≤ SND.MAX (in sequence space);
//! - the bytes the stack sends are the bytes the application wrote, at
//!   the sequence numbers they belong to;
//! - the application reads the peer's bytes in order, each exactly once
//!   (the peer's stream is a fixed pattern, so a duplicate, a gap or a
//!   reordering shows as a wrong byte);
//! - memory stays bounded: the receive queue within the receive buffer,
//!   the out-of-order store within its limit, the output queue small;
//! - every connection's own invariants (`Connection::check_invariants`:
//!   sequence variables, send buffer, out-of-order store, timers).

use crate::linux::{self, Errno};
use crate::socket::{Buf, Call, CallId, CallOutcome, CallOutput, CallResult};
use crate::time::{Duration, Instant};
use crate::wire::{
    Checksum, ChecksumMode, IpDatagram, IpProtocol, IpRepr, Ipv4Repr, TcpFlags, TcpOption,
    TcpOptions, TcpRepr, UpperRepr,
};
use crate::{Config, Stack};
use arbitrary::Arbitrary;
use std::net::{Ipv4Addr, SocketAddr};

const LOCAL: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 1);
const PEER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const PEER_PORT: u16 = 40_000;
const LISTEN_PORT: u16 = 8080;
/// Longest payload one fuzzed segment carries.
const MAX_PAYLOAD: usize = 1500;
/// Datagrams the stack may have waiting at once before we call it a leak.
const MAX_OUTBOUND: usize = 4096;

/// The whole input.
#[derive(Arbitrary, Debug)]
pub struct Input {
    pub seed: u8,
    /// RFC profile instead of Linux.
    pub rfc_profile: bool,
    /// The stack under test opens actively (else it listens and accepts).
    pub active: bool,
    /// Options on the peer's SYN or SYN-ACK.
    pub peer_mss: Option<u16>,
    pub peer_wscale: Option<u8>,
    pub peer_sack: bool,
    pub peer_ts: bool,
    pub ops: Vec<Op>,
}

/// One step.
#[derive(Arbitrary, Debug)]
pub enum Op {
    /// A segment from the peer. `seq` is relative to RCV.NXT, `ack` to
    /// SND.UNA; the payload is the peer's stream at that position.
    Segment {
        flags: u8,
        seq: i16,
        ack: i16,
        window: u16,
        len: u16,
        sack: Option<(i16, u16)>,
        ts: bool,
        bad_checksum: bool,
    },
    /// The peer acknowledges everything sent so far.
    AckAll {
        window: u16,
    },
    Write {
        len: u16,
    },
    Read {
        len: u16,
        peek: bool,
    },
    Shutdown {
        how: u8,
    },
    Close,
    SetOpt {
        which: u8,
        value: i32,
    },
    /// Time passes (ms).
    Sleep {
        ms: u16,
    },
}

/// The peer's byte at stream offset `i` (offset 0 is the byte after its SYN).
fn peer_byte(i: u64) -> u8 {
    (i.wrapping_mul(131) ^ (i >> 8)) as u8
}

/// The application's byte at offset `i` of what it writes.
fn app_byte(i: u64) -> u8 {
    (i.wrapping_mul(7) ^ 0x5a ^ (i >> 11)) as u8
}

struct Driver {
    st: Stack,
    now: Instant,
    fd: Option<i32>,
    /// Peer's ISN (its stream offset 0 is irs + 1).
    peer_iss: u32,
    /// Our ISN as the peer saw it on our SYN / SYN-ACK.
    our_iss: Option<u32>,
    written: u64,
    read: u64,
    ts_val: u32,
    /// A blocking write in progress and its length: the stack may already
    /// send part of it, so its bytes count as written until it completes.
    pending_write: Option<(CallId, u64)>,
    /// Blocking reads in progress (and whether each peeks), in call order.
    pending_reads: Vec<(CallId, bool)>,
}

fn done(st: &mut Stack, now: Instant, call: Call) -> Option<CallResult> {
    match st.call(now, call) {
        CallOutcome::Done(r) => Some(r),
        CallOutcome::Pending(_) => None,
    }
}

/// The data a receive call returned, if any.
fn data_of(r: &CallResult) -> &[u8] {
    match &r.out {
        CallOutput::Data(d) => d,
        _ => &[],
    }
}

impl Driver {
    fn datagram(&self, t: TcpRepr<'_>, bad_checksum: bool) -> Vec<u8> {
        let mut t = t;
        if bad_checksum {
            t.checksum = Checksum::wrong(0x1234);
        }
        let ip = IpRepr::V4(Ipv4Repr::new(PEER, LOCAL, IpProtocol::TCP));
        IpDatagram {
            ip,
            upper: UpperRepr::Tcp(t),
        }
        .to_bytes()
        .unwrap_or_default()
    }

    /// Drains what the stack sends and checks each datagram.
    fn collect(&mut self) -> Vec<(u32, u32, TcpFlags, usize)> {
        let mut seen = Vec::new();
        while let Some(d) = self.st.poll_transmit(self.now) {
            let p = IpDatagram::parse(&d, ChecksumMode::Verify)
                .expect("the stack emits parseable datagrams");
            if let IpRepr::V4(v4) = &p.ip {
                assert_eq!(v4.checksum, Checksum::Valid, "IPv4 header checksum");
            }
            let UpperRepr::Tcp(t) = p.upper else {
                continue;
            };
            assert_eq!(t.checksum, Checksum::Valid, "TCP checksum");
            if t.flags.syn() {
                self.our_iss = Some(t.seq);
            }
            if let Some(iss) = self.our_iss {
                // Data carries the bytes the application wrote, in place.
                let off = u64::from(t.seq.wrapping_sub(iss).wrapping_sub(1));
                if !t.flags.syn() && !t.payload.is_empty() {
                    for (k, &b) in t.payload.iter().enumerate() {
                        let i = off + k as u64;
                        let offered = self.written + self.pending_write.map_or(0, |(_, n)| n);
                        assert!(i < offered, "sent byte {i} was never written");
                        assert_eq!(
                            b,
                            app_byte(i),
                            "sent byte {i} differs from what was written"
                        );
                    }
                }
            }
            seen.push((t.seq, t.ack, t.flags, t.payload.len()));
        }
        assert!(
            seen.len() <= MAX_OUTBOUND,
            "{} datagrams at once",
            seen.len()
        );
        seen
    }

    /// A read returned `data` (peeking or not): it must be the peer's
    /// stream from where the application stands.
    fn got(&mut self, data: &[u8], peek: bool) {
        for (k, &b) in data.iter().enumerate() {
            let i = self.read + k as u64;
            assert_eq!(
                b,
                peer_byte(i),
                "read byte {i}: out of order, duplicated or lost"
            );
        }
        if !peek {
            self.read += data.len() as u64;
        }
    }

    /// Blocked calls that completed: a write's bytes are now written, a
    /// read's data is checked like any other.
    fn completions(&mut self) {
        while let Some(c) = self.st.poll_completion() {
            if let Some((id, _)) = self.pending_write {
                if id == c.id {
                    self.pending_write = None;
                    if c.result.ret > 0 {
                        self.written += c.result.ret as u64;
                    }
                    continue;
                }
            }
            if let Some(at) = self.pending_reads.iter().position(|&(id, _)| id == c.id) {
                let (_, peek) = self.pending_reads.remove(at);
                self.got(data_of(&c.result), peek);
            }
        }
    }

    fn check(&mut self) {
        let _ = self.collect();
        self.completions();
        // Every connection, including orphans and queued ones.
        for c in self.st.connections() {
            if let Err(e) = c.check_invariants() {
                panic!("invariant violated: {e}");
            }
        }
        let Some(fd) = self.fd else { return };
        let Some(c) = self.st.connection(fd) else {
            return;
        };
        let t = c.tcb();
        assert!(
            t.snd_una.le(t.snd_nxt),
            "SND.UNA {:?} > SND.NXT {:?}",
            t.snd_una,
            t.snd_nxt
        );
        assert!(
            t.snd_nxt.le(t.snd_max),
            "SND.NXT {:?} > SND.MAX {:?}",
            t.snd_nxt,
            t.snd_max
        );
        let rcvbuf = c.profile().rmem[2] as usize;
        assert!(
            c.recv_queue_len() <= rcvbuf,
            "receive queue beyond any buffer"
        );
        assert!(self.st.connections().count() <= 4, "connections pile up");
    }

    fn peer_options(&self, input: &Input, syn: bool) -> TcpOptions {
        let mut o = TcpOptions::NONE;
        if syn {
            if let Some(m) = input.peer_mss {
                let _ = o.push(&TcpOption::Mss(m));
            }
            if let Some(w) = input.peer_wscale {
                let _ = o.push(&TcpOption::WindowScale(w));
            }
            if input.peer_sack {
                let _ = o.push(&TcpOption::SackPermitted);
            }
        }
        if input.peer_ts {
            let _ = o.push(&TcpOption::Timestamps {
                tsval: self.ts_val,
                tsecr: 0,
            });
        }
        o
    }

    fn tcp(
        &self,
        seq: u32,
        ack: u32,
        flags: TcpFlags,
        window: u16,
        options: TcpOptions,
        payload: &[u8],
    ) -> Vec<u8> {
        let port = if self.fd.is_some() && self.our_iss.is_some() {
            self.local_port()
        } else {
            LISTEN_PORT
        };
        self.datagram(
            TcpRepr {
                src_port: PEER_PORT,
                dst_port: port,
                seq,
                ack,
                flags,
                window,
                checksum: Checksum::Valid,
                urgent: 0,
                options,
                payload,
            },
            false,
        )
    }

    fn local_port(&self) -> u16 {
        self.fd
            .and_then(|fd| self.st.connection(fd))
            .map_or(LISTEN_PORT, |c| c.local().port())
    }

    /// Brings up the connection with a well-behaved handshake.
    fn open(&mut self, input: &Input) -> bool {
        let now = self.now;
        let fd = match done(
            &mut self.st,
            now,
            Call::Socket {
                domain: linux::AF_INET as i32,
                ty: (linux::SOCK_STREAM | linux::SOCK_NONBLOCK) as i32,
                protocol: 0,
            },
        ) {
            Some(r) if r.ret >= 0 => r.ret as i32,
            _ => return false,
        };
        let peer = SocketAddr::new(PEER.into(), PEER_PORT);
        if input.active {
            let r = done(
                &mut self.st,
                now,
                Call::Connect {
                    fd,
                    addr: Some(peer),
                },
            );
            assert_eq!(r.and_then(|r| r.errno), Some(Errno::EINPROGRESS));
            self.fd = Some(fd);
            let syn = self.collect();
            let Some(&(iss, _, _, _)) = syn.first() else {
                return false;
            };
            let opts = self.peer_options(input, true);
            let d = self.tcp(
                self.peer_iss,
                iss.wrapping_add(1),
                TcpFlags::SYN | TcpFlags::ACK,
                65535,
                opts,
                &[],
            );
            self.st.handle_packet(now, &d);
        } else {
            let local = SocketAddr::new(LOCAL.into(), LISTEN_PORT);
            done(
                &mut self.st,
                now,
                Call::Bind {
                    fd,
                    addr: Some(local),
                },
            );
            done(&mut self.st, now, Call::Listen { fd, backlog: 4 });
            let opts = self.peer_options(input, true);
            let d = self.tcp(self.peer_iss, 0, TcpFlags::SYN, 65535, opts, &[]);
            self.st.handle_packet(now, &d);
            let synack = self.collect();
            let Some(&(iss, _, _, _)) = synack.first() else {
                return false;
            };
            let opts = self.peer_options(input, false);
            let d = self.tcp(
                self.peer_iss.wrapping_add(1),
                iss.wrapping_add(1),
                TcpFlags::ACK,
                65535,
                opts,
                &[],
            );
            self.st.handle_packet(now, &d);
            let r = done(&mut self.st, now, Call::Accept { fd, flags: 0 });
            match r {
                Some(r) if r.ret >= 0 => {
                    self.fd = Some(r.ret as i32);
                    self.our_iss = Some(iss);
                }
                _ => return false,
            }
        }
        self.check();
        true
    }

    fn step(&mut self, input: &Input, op: &Op) {
        let now = self.now;
        let Some(fd) = self.fd else { return };
        match *op {
            Op::Segment {
                flags,
                seq,
                ack,
                window,
                len,
                sack,
                ts,
                bad_checksum,
            } => {
                let Some(c) = self.st.connection(fd) else {
                    return;
                };
                let t = c.tcb();
                let seq = t.rcv_nxt + (seq as i32 as u32);
                let ack_n = t.snd_una + (ack as i32 as u32);
                // The payload is the peer's stream at `seq`.
                let start = u64::from(seq.0.wrapping_sub(self.peer_iss).wrapping_sub(1));
                let len = usize::from(len).min(MAX_PAYLOAD);
                let payload: Vec<u8> = (0..len as u64).map(|k| peer_byte(start + k)).collect();
                let mut opts = TcpOptions::NONE;
                if ts && input.peer_ts {
                    self.ts_val = self.ts_val.wrapping_add(1);
                    let _ = opts.push(&TcpOption::Timestamps {
                        tsval: self.ts_val,
                        tsecr: 0,
                    });
                }
                if let Some((l, n)) = sack {
                    let left = (t.snd_una + (l as i32 as u32)).0;
                    if let Ok(b) =
                        crate::wire::SackBlocks::new(&[(left, left.wrapping_add(u32::from(n)))])
                    {
                        let _ = opts.push(&TcpOption::Sack(b));
                    }
                }
                let f = TcpFlags::from_bits_truncate(u16::from(flags) & 0x3f);
                let port = c.local().port();
                let d = self.datagram(
                    TcpRepr {
                        src_port: PEER_PORT,
                        dst_port: port,
                        seq: seq.0,
                        ack: ack_n.0,
                        flags: f,
                        window,
                        checksum: Checksum::Valid,
                        urgent: 0,
                        options: opts,
                        payload: &payload,
                    },
                    bad_checksum,
                );
                self.st.handle_packet(now, &d);
            }
            Op::AckAll { window } => {
                let Some(c) = self.st.connection(fd) else {
                    return;
                };
                let (seq, ack) = (c.tcb().rcv_nxt, c.tcb().snd_max);
                let opts = self.peer_options(input, false);
                let d = self.tcp(seq.0, ack.0, TcpFlags::ACK, window, opts, &[]);
                self.st.handle_packet(now, &d);
            }
            // One blocked write at a time (as one thread would): its
            // bytes are where the next write's would go.
            Op::Write { .. } if self.pending_write.is_some() => {}
            Op::Write { len } => {
                let data: Vec<u8> = (0..u64::from(len))
                    .map(|k| app_byte(self.written + k))
                    .collect();
                let call = Call::Write {
                    fd,
                    buf: Buf::Data(data),
                    len: usize::from(len),
                };
                match self.st.call(now, call) {
                    CallOutcome::Done(r) if r.ret > 0 => self.written += r.ret as u64,
                    CallOutcome::Done(_) => {}
                    CallOutcome::Pending(id) => self.pending_write = Some((id, u64::from(len))),
                }
            }
            // A read behind a blocked one would see the stream out of
            // order only because of the driver's bookkeeping: skip it.
            Op::Read { .. } if !self.pending_reads.is_empty() => {}
            Op::Read { len, peek } => {
                let flags = if peek { linux::MSG_PEEK as i32 } else { 0 };
                let call = Call::Recv {
                    fd,
                    len: usize::from(len),
                    flags,
                };
                match self.st.call(now, call) {
                    CallOutcome::Done(r) => self.got(data_of(&r), peek),
                    CallOutcome::Pending(id) => self.pending_reads.push((id, peek)),
                }
            }
            Op::Shutdown { how } => {
                done(
                    &mut self.st,
                    now,
                    Call::Shutdown {
                        fd,
                        how: i32::from(how % 4),
                    },
                );
            }
            Op::Close => {
                done(&mut self.st, now, Call::Close { fd });
                self.fd = None;
            }
            Op::SetOpt { which, value } => {
                let (level, name) = match which % 6 {
                    0 => (linux::SOL_TCP, linux::TCP_NODELAY),
                    1 => (linux::SOL_TCP, linux::TCP_CORK),
                    2 => (linux::SOL_TCP, linux::TCP_MAXSEG),
                    3 => (linux::SOL_SOCKET, linux::SO_RCVBUF),
                    4 => (linux::SOL_SOCKET, linux::SO_SNDBUF),
                    _ => (linux::SOL_SOCKET, linux::SO_KEEPALIVE),
                };
                done(
                    &mut self.st,
                    now,
                    Call::SetSockOpt {
                        fd,
                        level: level as i32,
                        name: name as i32,
                        value: Buf::Data(value.to_ne_bytes().to_vec()),
                        len: 4,
                    },
                );
            }
            Op::Sleep { ms } => {
                self.now += Duration::from_millis(u64::from(ms));
                self.st.handle_timeout(self.now);
            }
        }
        self.check();
    }
}

/// Runs one input; panics on a violated invariant.
pub fn run(input: &Input) {
    let mut cfg = Config::new(u64::from(input.seed));
    if input.rfc_profile {
        cfg.profile = crate::profile::Profile::rfc();
    }
    let mut d = Driver {
        st: Stack::new(cfg),
        now: Instant::from_millis(1),
        fd: None,
        peer_iss: 1_000_000u32.wrapping_mul(u32::from(input.seed) + 1),
        our_iss: None,
        written: 0,
        read: 0,
        ts_val: 100,
        pending_write: None,
        pending_reads: Vec::new(),
    };
    if !d.open(input) {
        return;
    }
    for op in input.ops.iter().take(256) {
        d.step(input, op);
    }
    // Let every timer run out: the connection must end or idle, never spin.
    for _ in 0..64 {
        let Some(t) = d.st.poll_at() else { break };
        d.now = t.max(d.now + Duration::from_millis(1));
        d.st.handle_timeout(d.now);
        let _ = d.collect();
        d.completions();
    }
}
