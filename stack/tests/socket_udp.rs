//! UDP through the socket API between two stacks: datagram boundaries,
//! truncation, peeking, addresses, ICMP port unreachable and the
//! ECONNREFUSED it leaves on a connected socket; blocking receive; poll and
//! epoll readiness driven by arriving datagrams.

mod socket_util;

use netdrill_stack::linux::{self, Errno};
use netdrill_stack::socket::{Buf, Call, CallOutcome, CallOutput, EpollEvent, PollFd};
use netdrill_stack::time::Instant;
use netdrill_stack::wire::{ChecksumMode, Icmpv4Message, IpDatagram, UpperRepr};
use socket_util::*;

fn sendto(fd: i32, data: &[u8], to: &str) -> Call {
    Call::SendTo {
        fd,
        buf: Buf::Data(data.to_vec()),
        len: data.len(),
        flags: 0,
        addr: Some(sa(to)),
    }
}

#[test]
fn datagrams_keep_boundaries_truncation_and_peek() {
    let (mut a, mut b) = (local(), remote());
    let rx = udp4(&mut b);
    bind(&mut b, rx, "0.0.0.0:53");
    let tx = udp4(&mut a);
    assert_eq!(
        ok(&mut a, sendto(tx, b"first datagram", "192.0.2.1:53")),
        14
    );
    assert_eq!(ok(&mut a, sendto(tx, b"2nd", "192.0.2.1:53")), 3);
    assert_eq!(ok(&mut a, sendto(tx, b"", "192.0.2.1:53")), 0);
    exchange(&mut a, &mut b);
    assert_eq!(
        ok(
            &mut b,
            Call::Ioctl {
                fd: rx,
                request: linux::FIONREAD as u64,
                arg: 0
            }
        ),
        0
    );
    let r = done(
        &mut b,
        Call::Ioctl {
            fd: rx,
            request: linux::FIONREAD as u64,
            arg: 0,
        },
    );
    assert_eq!(
        r.out,
        CallOutput::Int(14),
        "FIONREAD is the first datagram's size"
    );
    // MSG_PEEK leaves it; recvfrom gives the sender.
    let r = done(
        &mut b,
        Call::RecvFrom {
            fd: rx,
            len: 5,
            flags: linux::MSG_PEEK as i32,
        },
    );
    match r.out {
        CallOutput::Addr { data, addr } => {
            assert_eq!(data, b"first");
            assert_eq!(addr.map(|a| a.ip().to_string()).as_deref(), Some(LOCAL4));
        }
        other => panic!("{other:?}"),
    }
    // recvmsg with a short buffer: MSG_TRUNC in msg_flags, the rest gone.
    let msg = netdrill_stack::socket::MsgHdr {
        name: None,
        iov: vec![netdrill_stack::socket::IoVec {
            base: Buf::Data(vec![0; 5]),
            len: 5,
        }],
        control: Vec::new(),
        control_len: 0,
        flags: 0,
    };
    let r = done(
        &mut b,
        Call::RecvMsg {
            fd: rx,
            msg,
            flags: 0,
        },
    );
    assert_eq!(r.ret, 5);
    match r.out {
        CallOutput::Msg { data, flags, .. } => {
            assert_eq!(data, b"first");
            assert_eq!(i64::from(flags), linux::MSG_TRUNC);
        }
        other => panic!("{other:?}"),
    }
    // MSG_TRUNC as a recv flag: the real length is returned.
    let r = done(
        &mut b,
        Call::Recv {
            fd: rx,
            len: 1,
            flags: linux::MSG_TRUNC as i32,
        },
    );
    assert_eq!((r.ret, data_of(&r)), (3, b"2".to_vec()));
    // The empty datagram is a datagram.
    let r = done(
        &mut b,
        Call::Recv {
            fd: rx,
            len: 10,
            flags: 0,
        },
    );
    assert_eq!((r.ret, r.errno), (0, None));
    assert_eq!(
        fails(
            &mut b,
            Call::Recv {
                fd: rx,
                len: 10,
                flags: linux::MSG_DONTWAIT as i32
            }
        ),
        Errno::EAGAIN
    );
}

#[test]
fn closed_port_answers_icmp_and_a_connected_socket_reports_econnrefused() {
    let (mut a, mut b) = (local(), remote());
    let tx = udp4(&mut a);
    connect(&mut a, tx, "192.0.2.1:9999");
    assert_eq!(
        ok(
            &mut a,
            Call::Write {
                fd: tx,
                buf: Buf::Data(b"ping".to_vec()),
                len: 4
            }
        ),
        4
    );
    let out = drain(&mut a);
    assert_eq!(out.len(), 1);
    b.handle_packet(Instant::ZERO, &out[0]);
    let icmp = drain(&mut b);
    assert_eq!(icmp.len(), 1, "RFC 1122 §4.1.3.1: port unreachable");
    let d = IpDatagram::parse(&icmp[0], ChecksumMode::Verify).unwrap();
    match d.upper {
        UpperRepr::Icmpv4(i) => match i.message {
            Icmpv4Message::DstUnreachable { code, quoted, .. } => {
                assert_eq!(code, 3);
                assert_eq!(quoted, &out[0][..], "the whole short datagram is quoted");
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(b.counters().udp_no_port, 1);
    a.handle_packet(Instant::ZERO, &icmp[0]);
    // poll shows the error; SO_ERROR reads and clears it...
    let revents = poll_now(&mut a, tx, linux::POLLIN);
    assert_eq!(revents, linux::POLLERR);
    assert_eq!(
        getsockopt_int(&mut a, tx, linux::SOL_SOCKET, linux::SO_ERROR),
        Errno::ECONNREFUSED.0
    );
    assert_eq!(
        getsockopt_int(&mut a, tx, linux::SOL_SOCKET, linux::SO_ERROR),
        0
    );
    // ...and otherwise the next call returns it, once.
    ok(
        &mut a,
        Call::Write {
            fd: tx,
            buf: Buf::Data(b"ping".to_vec()),
            len: 4,
        },
    );
    let out = drain(&mut a);
    b.handle_packet(Instant::ZERO, &out[0]);
    for d in drain(&mut b) {
        a.handle_packet(Instant::ZERO, &d);
    }
    assert_eq!(
        fails(
            &mut a,
            Call::Recv {
                fd: tx,
                len: 4,
                flags: linux::MSG_DONTWAIT as i32
            }
        ),
        Errno::ECONNREFUSED
    );
    assert_eq!(
        fails(
            &mut a,
            Call::Recv {
                fd: tx,
                len: 4,
                flags: linux::MSG_DONTWAIT as i32
            }
        ),
        Errno::EAGAIN
    );
}

#[test]
fn an_unconnected_socket_ignores_icmp_errors() {
    let (mut a, mut b) = (local(), remote());
    let tx = udp4(&mut a);
    ok(&mut a, sendto(tx, b"x", "192.0.2.1:9999"));
    for d in drain(&mut a) {
        b.handle_packet(Instant::ZERO, &d);
    }
    for d in drain(&mut b) {
        a.handle_packet(Instant::ZERO, &d);
    }
    assert_eq!(
        getsockopt_int(&mut a, tx, linux::SOL_SOCKET, linux::SO_ERROR),
        0
    );
}

#[test]
fn a_connected_socket_only_hears_its_peer() {
    let (mut a, mut b) = (local(), remote());
    let rx = udp4(&mut a);
    bind(&mut a, rx, "0.0.0.0:5000");
    connect(&mut a, rx, "192.0.2.1:7");
    let tx = udp4(&mut b);
    bind(&mut b, tx, "0.0.0.0:8");
    ok(&mut b, sendto(tx, b"wrong port", "192.168.0.1:5000"));
    exchange(&mut a, &mut b);
    assert_eq!(
        fails(
            &mut a,
            Call::Recv {
                fd: rx,
                len: 20,
                flags: linux::MSG_DONTWAIT as i32
            }
        ),
        Errno::EAGAIN
    );
    let tx7 = udp4(&mut b);
    bind(&mut b, tx7, "0.0.0.0:7");
    ok(&mut b, sendto(tx7, b"right", "192.168.0.1:5000"));
    exchange(&mut a, &mut b);
    let r = done(
        &mut a,
        Call::Recv {
            fd: rx,
            len: 20,
            flags: 0,
        },
    );
    assert_eq!(data_of(&r), b"right");
}

#[test]
fn ipv6_and_mapped_sockets_speak_their_ip_version() {
    let (mut a, mut b) = (local(), remote());
    let rx6 = socket(&mut b, linux::AF_INET6, linux::SOCK_DGRAM);
    bind(&mut b, rx6, "[::]:53");
    let tx = socket(&mut a, linux::AF_INET6, linux::SOCK_DGRAM);
    ok(&mut a, sendto(tx, b"v6", "[2001:db8::1]:53"));
    ok(&mut a, sendto(tx, b"v4", "[::ffff:192.0.2.1]:53"));
    let out = drain(&mut a);
    assert_eq!(
        out.iter().map(|d| d[0] >> 4).collect::<Vec<_>>(),
        [6, 4],
        "IPv6, then IPv4 for the mapped address"
    );
    for d in &out {
        b.handle_packet(Instant::ZERO, d);
    }
    let r1 = done(
        &mut b,
        Call::RecvFrom {
            fd: rx6,
            len: 10,
            flags: 0,
        },
    );
    let r2 = done(
        &mut b,
        Call::RecvFrom {
            fd: rx6,
            len: 10,
            flags: 0,
        },
    );
    let from = |r: &netdrill_stack::socket::CallResult| match &r.out {
        CallOutput::Addr { addr, .. } => addr.map(|a| a.ip().to_string()),
        _ => None,
    };
    assert_eq!(from(&r1).as_deref(), Some(LOCAL6));
    assert_eq!(
        from(&r2).as_deref(),
        Some("::ffff:192.168.0.1"),
        "IPv4 sender seen as mapped"
    );
}

#[test]
fn blocking_recv_completes_when_a_datagram_arrives() {
    let (mut a, mut b) = (local(), remote());
    let rx = udp4(&mut b);
    bind(&mut b, rx, "0.0.0.0:53");
    let id = match b.call(
        at(0),
        Call::Recv {
            fd: rx,
            len: 100,
            flags: 0,
        },
    ) {
        CallOutcome::Pending(id) => id,
        other => panic!("{other:?}"),
    };
    assert!(b.poll_completion().is_none());
    let tx = udp4(&mut a);
    a.call(at(250), sendto(tx, b"late", "192.0.2.1:53"));
    let d = a.poll_transmit(at(250)).unwrap();
    b.handle_packet(at(250), &d);
    let c = b
        .poll_completion()
        .expect("the datagram completes the recv");
    assert_eq!((c.id, c.at, c.result.ret), (id, at(250), 4));
    assert_eq!(data_of(&c.result), b"late");
}

#[test]
fn poll_and_epoll_timeouts_complete_at_their_deadline() {
    let mut b = remote();
    let rx = udp4(&mut b);
    let ep = ok(&mut b, Call::EpollCreate { size: 1, flags: 0 }) as i32;
    ok(
        &mut b,
        Call::EpollCtl {
            epfd: ep,
            op: 1,
            fd: rx,
            event: Some(EpollEvent {
                events: linux::EPOLLIN as u32,
                data: 7,
            }),
        },
    );
    let CallOutcome::Pending(id) = b.call(
        at(10),
        Call::EpollWait {
            epfd: ep,
            max_events: 4,
            timeout_ms: 100,
        },
    ) else {
        panic!("epoll_wait with a timeout blocks");
    };
    assert_eq!(b.poll_at(), Some(at(110)));
    b.handle_timeout(at(109));
    assert!(b.poll_completion().is_none());
    b.handle_timeout(at(110));
    let c = b.poll_completion().unwrap();
    assert_eq!((c.id, c.at, c.result.ret), (id, at(110), 0));
    let CallOutcome::Pending(_) = b.call(
        at(200),
        Call::Poll {
            fds: vec![PollFd {
                fd: rx,
                events: linux::POLLIN as i16,
            }],
            timeout_ms: 50,
        },
    ) else {
        panic!("poll with a timeout blocks");
    };
    b.handle_timeout(at(250));
    let c = b.poll_completion().unwrap();
    assert_eq!(
        (c.at, c.result.out),
        (at(250), CallOutput::PollRevents(vec![0]))
    );
}

#[test]
fn epoll_level_and_edge_triggered_on_arriving_datagrams() {
    let (mut a, mut b) = (local(), remote());
    let lt = udp4(&mut b);
    let et = udp4(&mut b);
    bind(&mut b, lt, "0.0.0.0:1000");
    bind(&mut b, et, "0.0.0.0:2000");
    let ep = ok(&mut b, Call::EpollCreate { size: 1, flags: 0 }) as i32;
    let ev = |e: i64, d: u64| {
        Some(EpollEvent {
            events: e as u32,
            data: d,
        })
    };
    ok(
        &mut b,
        Call::EpollCtl {
            epfd: ep,
            op: 1,
            fd: lt,
            event: ev(linux::EPOLLIN, 1),
        },
    );
    ok(
        &mut b,
        Call::EpollCtl {
            epfd: ep,
            op: 1,
            fd: et,
            event: ev(linux::EPOLLIN | linux::EPOLLET, 2),
        },
    );
    let wait = |b: &mut netdrill_stack::Stack| match done(
        b,
        Call::EpollWait {
            epfd: ep,
            max_events: 8,
            timeout_ms: 0,
        },
    )
    .out
    {
        CallOutput::EpollEvents(v) => v.iter().map(|e| e.data).collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    assert!(wait(&mut b).is_empty());
    let tx = udp4(&mut a);
    ok(&mut a, sendto(tx, b"1", "192.0.2.1:2000"));
    ok(&mut a, sendto(tx, b"2", "192.0.2.1:1000"));
    exchange(&mut a, &mut b);
    assert_eq!(wait(&mut b), [2, 1], "in wake-up order");
    assert_eq!(
        wait(&mut b),
        [1],
        "edge-triggered: once per arrival; level: until read"
    );
    ok(&mut a, sendto(tx, b"3", "192.0.2.1:2000"));
    exchange(&mut a, &mut b);
    assert_eq!(wait(&mut b), [1, 2], "a new datagram is a new edge");
    done(
        &mut b,
        Call::Recv {
            fd: lt,
            len: 10,
            flags: 0,
        },
    );
    assert!(wait(&mut b).is_empty(), "drained: level-triggered stops");
    // Closing a watched fd removes it from the set.
    ok(&mut b, Call::Close { fd: et });
    ok(&mut a, sendto(tx, b"4", "192.0.2.1:1000"));
    exchange(&mut a, &mut b);
    assert_eq!(wait(&mut b), [1]);
}
