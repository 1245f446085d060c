//! Helpers for the socket tests: stacks with packetdrill's addresses, calls
//! that must complete at once, and a lossless link between two stacks.
#![allow(dead_code)]

use netdrill_stack::linux::{self, Errno};
use netdrill_stack::socket::{Buf, Call, CallOutcome, CallOutput, CallResult, PollFd};
use netdrill_stack::time::Instant;
use netdrill_stack::{Config, Stack};
use std::net::{IpAddr, SocketAddr};

pub const LOCAL4: &str = "192.168.0.1";
pub const REMOTE4: &str = "192.0.2.1";
pub const LOCAL6: &str = "fd3d:fa7b:d17d::1";
pub const REMOTE6: &str = "2001:db8::1";

pub fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The stack under test (packetdrill's local addresses).
pub fn local() -> Stack {
    Stack::new(Config::new(1))
}

/// A second stack with packetdrill's remote addresses.
pub fn remote() -> Stack {
    let mut c = Config::new(2);
    c.addrs = vec![REMOTE4.parse::<IpAddr>().unwrap(), REMOTE6.parse().unwrap()];
    Stack::new(c)
}

/// Runs a call that must not block.
pub fn done(st: &mut Stack, call: Call) -> CallResult {
    let now = st.now();
    match st.call(now, call.clone()) {
        CallOutcome::Done(r) => r,
        CallOutcome::Pending(_) => panic!("{} blocked: {call:?}", call.name()),
    }
}

/// A call that must succeed; its return value.
pub fn ok(st: &mut Stack, call: Call) -> i64 {
    let r = done(st, call.clone());
    assert_eq!(r.errno, None, "{call:?}");
    r.ret
}

/// A call that must fail; its errno.
pub fn fails(st: &mut Stack, call: Call) -> Errno {
    let r = done(st, call.clone());
    assert_eq!(r.ret, -1, "{call:?} should fail");
    r.errno
        .unwrap_or_else(|| panic!("{call:?}: -1 without errno"))
}

pub fn socket(st: &mut Stack, domain: i64, ty: i64) -> i32 {
    ok(
        st,
        Call::Socket {
            domain: domain as i32,
            ty: ty as i32,
            protocol: 0,
        },
    ) as i32
}

pub fn tcp4(st: &mut Stack) -> i32 {
    socket(st, linux::AF_INET, linux::SOCK_STREAM)
}
pub fn udp4(st: &mut Stack) -> i32 {
    socket(st, linux::AF_INET, linux::SOCK_DGRAM)
}

/// bind, which must succeed.
pub fn bind(st: &mut Stack, fd: i32, addr: &str) {
    ok(
        st,
        Call::Bind {
            fd,
            addr: Some(sa(addr)),
        },
    );
}

/// connect, which must return 0 at once (a datagram socket).
pub fn connect(st: &mut Stack, fd: i32, addr: &str) {
    ok(
        st,
        Call::Connect {
            fd,
            addr: Some(sa(addr)),
        },
    );
}

/// A non-blocking poll of one fd: its revents.
pub fn poll_now(st: &mut Stack, fd: i32, events: i64) -> i64 {
    let fds = vec![PollFd {
        fd,
        events: events as i16,
    }];
    match done(st, Call::Poll { fds, timeout_ms: 0 }).out {
        CallOutput::PollRevents(r) if r.len() == 1 => i64::from(r[0]),
        other => panic!("poll gave {other:?}"),
    }
}

pub fn int(v: i32) -> Buf {
    Buf::Data(v.to_ne_bytes().to_vec())
}

pub fn setsockopt(st: &mut Stack, fd: i32, level: i64, name: i64, v: i32) -> CallResult {
    done(
        st,
        Call::SetSockOpt {
            fd,
            level: level as i32,
            name: name as i32,
            value: int(v),
            len: 4,
        },
    )
}

pub fn getsockopt_int(st: &mut Stack, fd: i32, level: i64, name: i64) -> i32 {
    let r = done(
        st,
        Call::GetSockOpt {
            fd,
            level: level as i32,
            name: name as i32,
            len: 4,
        },
    );
    match r.out {
        CallOutput::OptVal(b) if b.len() == 4 => i32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
        other => panic!("getsockopt: ret {} errno {:?}: {other:?}", r.ret, r.errno),
    }
}

pub fn send(st: &mut Stack, fd: i32, data: &[u8]) -> CallResult {
    done(
        st,
        Call::Write {
            fd,
            buf: Buf::Data(data.to_vec()),
            len: data.len(),
        },
    )
}

pub fn data_of(r: &CallResult) -> Vec<u8> {
    match &r.out {
        CallOutput::Data(d) => d.clone(),
        CallOutput::Addr { data, .. } => data.clone(),
        CallOutput::Msg { data, .. } => data.clone(),
        other => panic!("no data in {other:?}"),
    }
}

/// Moves every datagram between the two stacks until both are quiet, at
/// the current time of `a` (no time passes).
pub fn exchange(a: &mut Stack, b: &mut Stack) -> usize {
    let mut moved = 0;
    loop {
        let now = a.now().max(b.now());
        let mut any = false;
        while let Some(d) = a.poll_transmit(now) {
            b.handle_packet(now, &d);
            any = true;
            moved += 1;
        }
        while let Some(d) = b.poll_transmit(now) {
            a.handle_packet(now, &d);
            any = true;
            moved += 1;
        }
        if !any {
            return moved;
        }
    }
}

/// Every datagram `st` has to send now.
pub fn drain(st: &mut Stack) -> Vec<Vec<u8>> {
    let now = st.now();
    std::iter::from_fn(|| st.poll_transmit(now)).collect()
}

pub fn at(ms: u64) -> Instant {
    Instant::from_millis(ms)
}
