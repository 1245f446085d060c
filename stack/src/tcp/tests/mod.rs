//! State-organised tests of the TCP engine, one file per state, with
//! fixture builders (`established()`, `time_wait()`, ...) and `send!` /
//! `recv!` helpers that take explicit virtual time.
//!
//! Numbering in every fixture: our ISS is [`ISS`], the peer's is [`IRS`];
//! after the handshake our next sequence number is `ISS + 1` and we expect
//! `IRS + 1`. Time starts at zero; fixtures consume no time.

#![allow(clippy::unwrap_used)]

mod close_wait;
mod closed;
mod closing;
mod established;
mod fin_wait;
mod last_ack;
mod limited_transmit;
mod listen;
mod pair;
mod random_ops;
mod retransmit;
mod sack_recovery;
mod stalls;
mod syn_received;
mod syn_sent;
mod time_wait;
mod timers;

use std::net::SocketAddr;

use crate::profile::Profile;
use crate::time::{Duration, Instant};

use super::{
    Connection, Flags, Open, Segment, SegmentOutcome, SeqNumber, SockOpts, State, TcpOpt, TimerKind,
};

/// Our initial send sequence number in every fixture.
pub const ISS: u32 = 1000;
/// The peer's initial sequence number in every fixture.
pub const IRS: u32 = 5000;
pub const LOCAL_PORT: u16 = 8080;
pub const REMOTE_PORT: u16 = 40000;

pub fn local() -> SocketAddr {
    SocketAddr::from(([192, 168, 0, 1], LOCAL_PORT))
}
pub fn remote() -> SocketAddr {
    SocketAddr::from(([192, 0, 2, 1], REMOTE_PORT))
}
pub fn open() -> Open {
    Open {
        local: local(),
        remote: remote(),
        iss: SeqNumber(ISS),
        ts_offset: 0,
    }
}

/// Milliseconds of virtual time.
pub fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}
pub fn dur_ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A profile without options (no SACK, timestamps or window scaling), so
/// that numbers in tests are plain.
pub fn bare(mut p: Profile) -> Profile {
    p.sack = false;
    p.timestamps = false;
    p.window_scaling = false;
    p
}

/// A segment from the peer to us.
pub fn pkt(flags: Flags, seq: u32, ack: u32) -> Segment {
    Segment {
        src_port: REMOTE_PORT,
        dst_port: LOCAL_PORT,
        seq: SeqNumber(seq),
        ack: SeqNumber(ack),
        flags,
        window: 65535,
        ..Segment::default()
    }
}

/// Per-test overrides of a packet template.
pub trait SegExt {
    fn win(self, w: u16) -> Segment;
    fn data(self, d: &[u8]) -> Segment;
    fn opts(self, o: Vec<TcpOpt>) -> Segment;
    fn ts(self, val: u32, ecr: u32) -> Segment;
}

impl SegExt for Segment {
    fn win(mut self, w: u16) -> Segment {
        self.window = w;
        self
    }
    fn data(mut self, d: &[u8]) -> Segment {
        self.payload = d.to_vec();
        self
    }
    fn opts(mut self, o: Vec<TcpOpt>) -> Segment {
        self.options = o;
        self
    }
    fn ts(mut self, tsval: u32, tsecr: u32) -> Segment {
        self.options.extend([
            TcpOpt::Nop,
            TcpOpt::Nop,
            TcpOpt::Timestamps { tsval, tsecr },
        ]);
        self
    }
}

pub const ACK: Flags = Flags::ACK;
pub const SYN: Flags = Flags::SYN;
pub const RST: Flags = Flags::RST;
pub const FIN: Flags = Flags::FIN;
pub const PSH: Flags = Flags::PSH;

/// Delivers a segment from the peer at a time; evaluates to the outcome.
macro_rules! send {
    ($c:expr, $t:expr, $seg:expr) => {{
        let outcome = $c.on_segment($t, &$seg);
        if let Err(e) = $c.check_invariants() {
            panic!("invariant after {:?}: {e}", $seg);
        }
        outcome
    }};
}

/// The next segment the connection emits at a time (fails if none).
macro_rules! recv {
    ($c:expr, $t:expr) => {{
        let seg = match $c.poll_transmit($t) {
            Some(s) => s,
            None => panic!("expected a segment at {}", $t),
        };
        if let Err(e) = $c.check_invariants() {
            panic!("invariant after sending {seg:?}: {e}");
        }
        seg
    }};
}

/// Asserts the connection has nothing to send at a time.
macro_rules! recv_nothing {
    ($c:expr, $t:expr) => {
        if let Some(s) = $c.poll_transmit($t) {
            panic!("expected no segment at {}, got {:?}", $t, s);
        }
    };
}

pub(crate) use {recv, recv_nothing, send};

/// Asserts a segment's flags, SEQ and (when it has ACK) ACK field.
#[track_caller]
pub fn expect(seg: &Segment, flags: Flags, seq: u32, ack: u32) {
    assert_eq!(seg.flags, flags, "flags of {seg:?}");
    assert_eq!(seg.seq, SeqNumber(seq), "seq of {seg:?}");
    if flags.ack() {
        assert_eq!(seg.ack, SeqNumber(ack), "ack of {seg:?}");
    }
}

// -- fixtures ---------------------------------------------------------------

/// SYN-RECEIVED after a bare SYN from the peer; the SYN-ACK has been sent.
pub fn syn_received_with(p: &Profile, syn: Segment) -> Connection {
    let mut c = Connection::accept_syn(ms(0), open(), &syn, p, &SockOpts::default());
    let synack = recv!(c, ms(0));
    assert_eq!(synack.flags, SYN | ACK);
    c
}

pub fn syn_received() -> Connection {
    syn_received_with(&bare(Profile::rfc()), pkt(SYN, IRS, 0))
}

/// SYN-SENT with the SYN sent.
pub fn syn_sent_with(p: &Profile, so: &SockOpts) -> Connection {
    let mut c = Connection::connect(ms(0), open(), p, so);
    let syn = recv!(c, ms(0));
    assert_eq!(syn.flags, SYN);
    c
}

pub fn syn_sent() -> Connection {
    syn_sent_with(&bare(Profile::rfc()), &SockOpts::default())
}

/// ESTABLISHED through a passive open with the given profile and socket options.
/// The peer's SYN offers `mss 1000` and nothing else.
pub fn established_with(p: &Profile, so: &SockOpts) -> Connection {
    established_from(p, so, pkt(SYN, IRS, 0).opts(vec![TcpOpt::Mss(1000)]))
}

/// ESTABLISHED after the given SYN and a plain ACK of ours.
pub fn established_from(p: &Profile, so: &SockOpts, syn: Segment) -> Connection {
    let mut c = Connection::accept_syn(ms(0), open(), &syn, p, so);
    let _synack = recv!(c, ms(0));
    let out = send!(c, ms(0), pkt(ACK, IRS + 1, ISS + 1));
    assert_eq!(out, SegmentOutcome::Established);
    recv_nothing!(c, ms(0));
    c
}

/// ESTABLISHED, rfc profile without options, peer MSS 1000, peer window 65535.
pub fn established() -> Connection {
    established_with(&bare(Profile::rfc()), &SockOpts::default())
}

/// FIN-WAIT-1: we closed; our FIN (ISS+1) is sent and unacknowledged.
pub fn fin_wait_1() -> Connection {
    let mut c = established();
    c.close(ms(0));
    let fin = recv!(c, ms(0));
    expect(&fin, FIN | ACK, ISS + 1, IRS + 1);
    assert_eq!(c.state(), State::FinWait1);
    c
}

/// FIN-WAIT-2: our FIN is acknowledged (the user closed: orphan).
pub fn fin_wait_2() -> Connection {
    let mut c = fin_wait_1();
    send!(c, ms(0), pkt(ACK, IRS + 1, ISS + 2));
    assert_eq!(c.state(), State::FinWait2);
    c
}

/// CLOSE-WAIT: the peer's FIN (IRS+1) is received and acknowledged.
pub fn close_wait() -> Connection {
    let mut c = established();
    send!(c, ms(0), pkt(FIN | ACK, IRS + 1, ISS + 1));
    let ack = recv!(c, ms(0));
    expect(&ack, ACK, ISS + 1, IRS + 2);
    assert_eq!(c.state(), State::CloseWait);
    c
}

/// LAST-ACK: CLOSE-WAIT, then our FIN (ISS+1) sent.
pub fn last_ack() -> Connection {
    let mut c = close_wait();
    c.close(ms(0));
    let fin = recv!(c, ms(0));
    expect(&fin, FIN | ACK, ISS + 1, IRS + 2);
    assert_eq!(c.state(), State::LastAck);
    c
}

/// CLOSING: simultaneous close — the peer's FIN arrives before the ACK of ours.
pub fn closing() -> Connection {
    let mut c = fin_wait_1();
    send!(c, ms(0), pkt(FIN | ACK, IRS + 1, ISS + 1));
    let ack = recv!(c, ms(0));
    expect(&ack, ACK, ISS + 2, IRS + 2);
    assert_eq!(c.state(), State::Closing);
    c
}

/// TIME-WAIT entered at time zero from FIN-WAIT-2.
pub fn time_wait() -> Connection {
    let mut c = fin_wait_2();
    send!(c, ms(0), pkt(FIN | ACK, IRS + 1, ISS + 2));
    let ack = recv!(c, ms(0));
    expect(&ack, ACK, ISS + 2, IRS + 2);
    assert_eq!(c.state(), State::TimeWait);
    c
}

/// Reads everything available.
pub fn read_all(c: &mut Connection, t: Instant) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = c.recv(t, &mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}
