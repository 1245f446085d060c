//! `Stack::send_from`, `Stack::recv_into` and `Stack::poll_transmit_into`
//! (the entry points on caller-owned buffers) against the `Call` API they
//! stand for: two identical worlds run the same operations, one through
//! `Call::Send`/`Call::Recv` with MSG_DONTWAIT and `poll_transmit`, the
//! other through the direct entry points; every return value, errno, byte
//! read and datagram sent must be the same.

mod socket_util;

use netdrill_stack::Stack;
use netdrill_stack::linux::{self, Errno};
use netdrill_stack::socket::{Buf, Call, CallOutput};
use proptest::prelude::*;
use socket_util::*;

/// What a test does next, on both worlds.
#[derive(Clone, Debug)]
enum Op {
    /// Send `len` bytes of the pattern on fd `fd` (of the client stack).
    Send { fd: i32, len: usize, flags: i32 },
    /// Receive into a buffer of `len` bytes on fd `fd` (of the server).
    Recv { fd: i32, len: usize, flags: i32 },
    /// Move datagrams between the stacks.
    Exchange,
    /// Let `ms` of virtual time pass (timers: delayed ACKs, probes).
    Wait { ms: u64 },
    /// shutdown(SHUT_WR) on the client's fd.
    ShutWr { fd: i32 },
}

/// What a call returned (ret or errno, and the bytes read); `None` for an
/// operation that is not a call.
type Outcome = Option<(Result<usize, Errno>, Vec<u8>)>;

/// Two stacks, a TCP connection between them and a UDP pair; the fds are
/// the same in both worlds because the worlds are built identically.
struct World {
    a: Stack,
    b: Stack,
    direct: bool,
    /// The link's buffer for `poll_transmit_into`.
    wire: Vec<u8>,
    /// Every datagram that crossed the link, in order.
    log: Vec<Vec<u8>>,
}

/// The client stack's fds: TCP, UDP, epoll.
const CLIENT: i32 = 3;
const UDP_A: i32 = 4;
const EPOLL_A: i32 = 5;
/// The server stack's fds (3 is the listener): TCP, UDP, epoll.
const SERVER: i32 = 4;
const UDP_B: i32 = 5;
const EPOLL_B: i32 = 6;

fn pattern(i: usize) -> u8 {
    (i * 7 + i / 251) as u8
}

impl World {
    fn new(direct: bool) -> World {
        let (mut a, mut b) = (local(), remote());
        let l = tcp4(&mut b);
        bind(&mut b, l, "0.0.0.0:8080");
        ok(&mut b, Call::Listen { fd: l, backlog: 8 });
        let c = socket(
            &mut a,
            linux::AF_INET,
            linux::SOCK_STREAM | linux::SOCK_NONBLOCK,
        );
        assert_eq!(c, CLIENT);
        let r = done(
            &mut a,
            Call::Connect {
                fd: c,
                addr: Some(sa("192.0.2.1:8080")),
            },
        );
        assert_eq!(r.errno, Some(Errno::EINPROGRESS));
        let mut w = World {
            a,
            b,
            direct,
            wire: Vec::new(),
            log: Vec::new(),
        };
        w.exchange();
        let s = ok(
            &mut w.b,
            Call::Accept {
                fd: l,
                flags: linux::SOCK_NONBLOCK as i32,
            },
        ) as i32;
        assert_eq!(s, SERVER);
        let ua = udp4(&mut w.a);
        assert_eq!(ua, UDP_A);
        let ub = udp4(&mut w.b);
        assert_eq!(ub, UDP_B);
        ok(
            &mut w.b,
            Call::Bind {
                fd: ub,
                addr: Some(sa("0.0.0.0:53")),
            },
        );
        ok(
            &mut w.a,
            Call::Connect {
                fd: ua,
                addr: Some(sa("192.0.2.1:53")),
            },
        );
        let ep = ok(&mut w.a, Call::EpollCreate { size: 1, flags: 0 }) as i32;
        assert_eq!(ep, EPOLL_A);
        let ep = ok(&mut w.b, Call::EpollCreate { size: 1, flags: 0 }) as i32;
        assert_eq!(ep, EPOLL_B);
        w
    }

    fn exchange(&mut self) {
        loop {
            let now = self.a.now().max(self.b.now());
            let mut any = false;
            for (from_a, _) in [(true, ()), (false, ())] {
                loop {
                    let (src, dst) = if from_a {
                        (&mut self.a, &mut self.b)
                    } else {
                        (&mut self.b, &mut self.a)
                    };
                    let d = if self.direct {
                        if !src.poll_transmit_into(now, &mut self.wire) {
                            break;
                        }
                        self.wire.clone()
                    } else {
                        match src.poll_transmit(now) {
                            Some(d) => d,
                            None => break,
                        }
                    };
                    dst.handle_packet(now, &d);
                    self.log.push(d);
                    any = true;
                }
            }
            if !any {
                return;
            }
        }
    }

    /// Runs `op`; what a call returned: (ret or errno, bytes read).
    fn run(&mut self, op: &Op) -> Outcome {
        let now = self.a.now().max(self.b.now());
        match *op {
            Op::Send { fd, len, flags } => {
                let data: Vec<u8> = (0..len).map(pattern).collect();
                let flags = flags | linux::MSG_DONTWAIT as i32;
                let r = if self.direct {
                    self.a.send_from(now, fd, &data, flags)
                } else {
                    let r = done(
                        &mut self.a,
                        Call::Send {
                            fd,
                            buf: Buf::Data(data),
                            len,
                            flags,
                        },
                    );
                    match r.errno {
                        Some(e) => Err(e),
                        None => Ok(r.ret as usize),
                    }
                };
                Some((r, Vec::new()))
            }
            Op::Recv { fd, len, flags } => {
                let flags = flags | linux::MSG_DONTWAIT as i32;
                if self.direct {
                    let mut buf = vec![0xee; len];
                    let r = self.b.recv_into(now, fd, &mut buf, flags);
                    let n = r.map_or(0, |n| n.min(len));
                    // MSG_TRUNC on TCP consumes without copying: compare
                    // only what a copying call reports.
                    if flags & linux::MSG_TRUNC as i32 != 0 {
                        buf.clear();
                    } else {
                        buf.truncate(n);
                    }
                    Some((r, buf))
                } else {
                    let r = done(&mut self.b, Call::Recv { fd, len, flags });
                    let data = match r.out {
                        CallOutput::Data(d) => d,
                        _ => Vec::new(),
                    };
                    let data = if flags & linux::MSG_TRUNC as i32 != 0 {
                        Vec::new()
                    } else {
                        data
                    };
                    let res = match r.errno {
                        Some(e) => Err(e),
                        None => Ok(r.ret as usize),
                    };
                    Some((res, data))
                }
            }
            Op::Exchange => {
                self.exchange();
                None
            }
            Op::Wait { ms } => {
                let t = now + netdrill_stack::time::Duration::from_millis(ms);
                self.a.handle_timeout(t);
                self.b.handle_timeout(t);
                self.exchange();
                None
            }
            Op::ShutWr { fd } => {
                let r = done(
                    &mut self.a,
                    Call::Shutdown {
                        fd,
                        how: linux::SHUT_WR as i32,
                    },
                );
                Some((r.errno.map_or(Ok(r.ret as usize), Err), Vec::new()))
            }
        }
    }
}

/// Runs `ops` in both worlds and checks they agree at every step; returns
/// the results (of the direct world).
fn agree(ops: &[Op]) -> Vec<Outcome> {
    let (mut by_call, mut direct) = (World::new(false), World::new(true));
    let mut out = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let x = by_call.run(op);
        let y = direct.run(op);
        assert_eq!(x, y, "step {i}: {op:?}");
        assert_eq!(by_call.log, direct.log, "datagrams after step {i}: {op:?}");
        out.push(y);
    }
    out
}

#[test]
fn direct_calls_answer_what_the_call_api_answers() {
    let r = agree(&[
        // Nothing to read yet; then a partial read, a peek, the rest.
        Op::Recv {
            fd: SERVER,
            len: 100,
            flags: 0,
        },
        Op::Send {
            fd: CLIENT,
            len: 3000,
            flags: 0,
        },
        Op::Exchange,
        Op::Recv {
            fd: SERVER,
            len: 0,
            flags: 0,
        },
        Op::Recv {
            fd: SERVER,
            len: 1000,
            flags: linux::MSG_PEEK as i32,
        },
        Op::Recv {
            fd: SERVER,
            len: 1000,
            flags: 0,
        },
        Op::Recv {
            fd: SERVER,
            len: 500,
            flags: linux::MSG_TRUNC as i32,
        },
        Op::Recv {
            fd: SERVER,
            len: 10_000,
            flags: 0,
        },
        // More than the send buffer takes: a partial write, then EAGAIN.
        Op::Send {
            fd: CLIENT,
            len: 8 << 20,
            flags: 0,
        },
        Op::Send {
            fd: CLIENT,
            len: 100,
            flags: 0,
        },
        Op::Exchange,
        Op::Wait { ms: 50 },
        // Errors: no such fd, an epoll fd, MSG_OOB.
        Op::Send {
            fd: 42,
            len: 1,
            flags: 0,
        },
        Op::Recv {
            fd: 42,
            len: 1,
            flags: 0,
        },
        Op::Send {
            fd: EPOLL_A,
            len: 1,
            flags: 0,
        },
        Op::Recv {
            fd: EPOLL_B,
            len: 1,
            flags: 0,
        },
        Op::Send {
            fd: CLIENT,
            len: 1,
            flags: linux::MSG_OOB as i32,
        },
        // UDP: one datagram per call, truncation, MSG_TRUNC's full length.
        Op::Send {
            fd: UDP_A,
            len: 300,
            flags: 0,
        },
        Op::Send {
            fd: UDP_A,
            len: 300,
            flags: 0,
        },
        Op::Exchange,
        Op::Recv {
            fd: UDP_B,
            len: 100,
            flags: 0,
        },
        Op::Recv {
            fd: UDP_B,
            len: 100,
            flags: linux::MSG_TRUNC as i32,
        },
        Op::Recv {
            fd: UDP_B,
            len: 100,
            flags: 0,
        },
        // After SHUT_WR: EPIPE for the writer, end of stream for the reader.
        Op::ShutWr { fd: CLIENT },
        Op::Send {
            fd: CLIENT,
            len: 1,
            flags: 0,
        },
        Op::Exchange,
        Op::Recv {
            fd: SERVER,
            len: 8 << 20,
            flags: 0,
        },
        Op::Recv {
            fd: SERVER,
            len: 10,
            flags: 0,
        },
    ]);
    let res: Vec<_> = r.into_iter().flatten().map(|(r, d)| (r, d.len())).collect();
    assert_eq!(res[0], (Err(Errno::EAGAIN), 0), "nothing to read");
    assert_eq!(res[1], (Ok(3000), 0));
    assert_eq!(res[2], (Ok(0), 0), "zero-length read");
    assert_eq!(res[3], (Ok(1000), 1000), "peek");
    assert_eq!(res[4], (Ok(1000), 1000));
    assert_eq!(res[5], (Ok(500), 0), "MSG_TRUNC consumes");
    assert_eq!(res[6], (Ok(1500), 1500), "the rest");
    assert!(
        matches!(res[7], (Ok(n), 0) if n > 0 && n < 8 << 20),
        "partial write"
    );
    assert_eq!(res[8], (Err(Errno::EAGAIN), 0), "send buffer full");
    assert_eq!(res[9].0, Err(Errno::EBADF));
    assert_eq!(res[10].0, Err(Errno::EBADF));
    assert_eq!(res[11].0, Err(Errno::ENOTSOCK));
    assert_eq!(res[12].0, Err(Errno::ENOTSOCK));
    assert_eq!(res[13].0, Err(Errno::EOPNOTSUPP));
    assert_eq!(res[14], (Ok(300), 0));
    assert_eq!(res[16], (Ok(100), 100), "truncated datagram");
    assert_eq!(res[17].0, Ok(300), "MSG_TRUNC: the full length");
    assert_eq!(res[18], (Err(Errno::EAGAIN), 0), "one datagram per call");
    assert_eq!(res[20].0, Err(Errno::EPIPE));
    assert_eq!(res[22], (Ok(0), 0), "end of stream");
}

fn op() -> impl Strategy<Value = Op> {
    let fd = prop_oneof![
        Just(CLIENT),
        Just(SERVER),
        Just(UDP_A),
        Just(UDP_B),
        0..8i32
    ];
    let flags = prop_oneof![
        Just(0),
        Just(linux::MSG_PEEK as i32),
        Just(linux::MSG_TRUNC as i32),
        Just(linux::MSG_WAITALL as i32),
        Just(linux::MSG_MORE as i32),
    ];
    prop_oneof![
        (fd.clone(), 0..70_000usize, flags.clone()).prop_map(|(fd, len, flags)| Op::Send {
            fd,
            len,
            flags
        }),
        (fd.clone(), 0..70_000usize, flags).prop_map(|(fd, len, flags)| Op::Recv {
            fd,
            len,
            flags
        }),
        Just(Op::Exchange),
        (0..300u64).prop_map(|ms| Op::Wait { ms }),
        fd.prop_map(|fd| Op::ShutWr { fd }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any sequence of operations: both worlds agree step by step.
    #[test]
    fn direct_calls_agree_on_random_operations(ops in prop::collection::vec(op(), 1..40)) {
        agree(&ops);
    }
}
