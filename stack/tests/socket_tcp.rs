//! TCP through the socket API between two stacks: blocking connect and
//! accept as pending calls, RST for a closed port, listen-queue overflow
//! as Linux behaves, SYN cookies, and readiness of listeners and
//! connections.

mod socket_util;

use netdrill_stack::Stack;
use netdrill_stack::linux::{self, Errno};
use netdrill_stack::socket::{Call, CallOutcome, CallOutput, EpollEvent};
use netdrill_stack::time::{Duration, Instant};
use netdrill_stack::wire::{ChecksumMode, IpDatagram};
use socket_util::*;

fn listener(b: &mut Stack, port: u16, backlog: i32) -> i32 {
    let l = tcp4(b);
    bind(b, l, &format!("0.0.0.0:{port}"));
    ok(b, Call::Listen { fd: l, backlog });
    l
}

fn nb_connect(a: &mut Stack, port: u16) -> i32 {
    let fd = socket(a, linux::AF_INET, linux::SOCK_STREAM | linux::SOCK_NONBLOCK);
    assert_eq!(
        fails(
            a,
            Call::Connect {
                fd,
                addr: Some(sa(&format!("192.0.2.1:{port}")))
            }
        ),
        Errno::EINPROGRESS
    );
    fd
}

/// Runs both stacks to `until`, moving datagrams instantly.
fn run_until(a: &mut Stack, b: &mut Stack, until: Instant) {
    loop {
        exchange(a, b);
        let next = [a.poll_at(), b.poll_at()]
            .into_iter()
            .flatten()
            .filter(|&t| t > a.now().max(b.now()))
            .min();
        match next {
            Some(t) if t <= until => {
                a.handle_timeout(t);
                b.handle_timeout(t);
            }
            _ => {
                a.handle_timeout(until);
                b.handle_timeout(until);
                exchange(a, b);
                return;
            }
        }
    }
}

fn accept_nb(b: &mut Stack, l: i32) -> Result<i32, Errno> {
    ok(
        b,
        Call::Fcntl {
            fd: l,
            cmd: linux::F_SETFL as i32,
            arg: linux::O_NONBLOCK,
        },
    );
    let r = done(
        b,
        Call::Accept {
            fd: l,
            flags: linux::SOCK_NONBLOCK as i32,
        },
    );
    if r.ret >= 0 {
        Ok(r.ret as i32)
    } else {
        Err(r.errno.unwrap())
    }
}

#[test]
fn a_syn_to_a_closed_port_gets_a_reset_and_connect_fails() {
    let (mut a, mut b) = (local(), remote());
    let fd = tcp4(&mut a);
    let CallOutcome::Pending(id) = a.call(
        at(0),
        Call::Connect {
            fd,
            addr: Some(sa("192.0.2.1:81")),
        },
    ) else {
        panic!("a blocking connect blocks");
    };
    exchange(&mut a, &mut b);
    assert_eq!(b.counters().tcp_resets_sent, 1, "RFC 9293 §3.10.7.1");
    let c = a.poll_completion().expect("the RST completes connect");
    assert_eq!(
        (c.id, c.result.ret, c.result.errno),
        (id, -1, Some(Errno::ECONNREFUSED))
    );
    // A failed connect leaves the socket free to connect again.
    let l = listener(&mut b, 81, 4);
    let CallOutcome::Pending(_) = a.call(
        at(0),
        Call::Connect {
            fd,
            addr: Some(sa("192.0.2.1:81")),
        },
    ) else {
        panic!();
    };
    exchange(&mut a, &mut b);
    assert_eq!(a.poll_completion().map(|c| c.result.ret), Some(0));
    assert!(accept_nb(&mut b, l).is_ok());
    assert_eq!(
        fails(
            &mut a,
            Call::Connect {
                fd,
                addr: Some(sa("192.0.2.1:81"))
            }
        ),
        Errno::EISCONN
    );
}

#[test]
fn blocking_accept_completes_when_the_handshake_does() {
    let (mut a, mut b) = (local(), remote());
    let l = listener(&mut b, 80, 8);
    let CallOutcome::Pending(id) = b.call(at(0), Call::Accept { fd: l, flags: 0 }) else {
        panic!("accept on an empty queue blocks");
    };
    a.handle_timeout(at(5));
    b.handle_timeout(at(5));
    let fd = nb_connect(&mut a, 80);
    exchange(&mut a, &mut b);
    let c = b.poll_completion().expect("accept completes");
    assert_eq!((c.id, c.at), (id, at(5)));
    assert_eq!(c.result.ret, 4, "lowest free fd");
    let s = 4;
    match c.result.out {
        CallOutput::Addr { addr, .. } => {
            assert_eq!(addr.map(|x| x.ip().to_string()).as_deref(), Some(LOCAL4))
        }
        other => panic!("{other:?}"),
    }
    // The non-blocking connect completed: connect() says 0 once, then EISCONN.
    assert_eq!(
        ok(
            &mut a,
            Call::Connect {
                fd,
                addr: Some(sa("192.0.2.1:80"))
            }
        ),
        0
    );
    assert_eq!(
        fails(
            &mut a,
            Call::Connect {
                fd,
                addr: Some(sa("192.0.2.1:80"))
            }
        ),
        Errno::EISCONN
    );
    // Data and readiness.
    assert_eq!(send(&mut a, fd, b"hello").ret, 5);
    exchange(&mut a, &mut b);
    let revents = poll_now(&mut b, s, linux::POLLIN | linux::POLLOUT);
    assert_eq!(revents, linux::POLLIN | linux::POLLOUT);
    assert_eq!(
        ok(
            &mut b,
            Call::Ioctl {
                fd: s,
                request: linux::FIONREAD as u64,
                arg: 0
            }
        ),
        0
    );
    let r = done(&mut b, Call::Read { fd: s, len: 100 });
    assert_eq!(data_of(&r), b"hello");
    // Half-close: EOF for the reader, POLLRDHUP.
    ok(
        &mut a,
        Call::Shutdown {
            fd,
            how: linux::SHUT_WR as i32,
        },
    );
    exchange(&mut a, &mut b);
    let revents = poll_now(&mut b, s, linux::POLLIN | linux::POLLRDHUP);
    assert_eq!(revents, linux::POLLIN | linux::POLLRDHUP);
    assert_eq!(done(&mut b, Call::Read { fd: s, len: 100 }).ret, 0);
    // Writing after our own SHUT_WR is EPIPE.
    assert_eq!(
        fails(
            &mut a,
            Call::Write {
                fd,
                buf: netdrill_stack::socket::Buf::Data(vec![1]),
                len: 1
            }
        ),
        Errno::EPIPE
    );
}

#[test]
fn a_full_accept_queue_drops_syns_and_final_acks_until_accept_makes_room() {
    let (mut a, mut b) = (local(), remote());
    b.profile_mut().syncookies = 0;
    let l = listener(&mut b, 80, 2);
    // Two connections fill the accept queue to its limit (backlog 2 admits
    // up to three: Linux's "more than backlog" test).
    let c1 = nb_connect(&mut a, 80);
    let c2 = nb_connect(&mut a, 80);
    exchange(&mut a, &mut b);
    // Two more SYNs are admitted to the SYN queue; the first to complete
    // fills the accept queue and the second's final ACK is dropped.
    let c3 = nb_connect(&mut a, 80);
    let c4 = nb_connect(&mut a, 80);
    exchange(&mut a, &mut b);
    assert_eq!(b.counters().ack_dropped_accept_full, 1);
    // A fifth SYN finds the accept queue full and is dropped.
    let c5 = nb_connect(&mut a, 80);
    exchange(&mut a, &mut b);
    assert_eq!(b.counters().syn_dropped_queue_full, 1);
    let accepted: Vec<i32> = std::iter::from_fn(|| accept_nb(&mut b, l).ok()).collect();
    assert_eq!(accepted.len(), 3);
    // With room again, the SYN-ACK retransmission (and the SYN
    // retransmission) complete the other two.
    run_until(&mut a, &mut b, at(5000));
    let more: Vec<i32> = std::iter::from_fn(|| accept_nb(&mut b, l).ok()).collect();
    assert_eq!(more.len(), 2, "both late connections end up accepted");
    for fd in [c1, c2, c3, c4, c5] {
        assert_eq!(
            getsockopt_int(&mut a, fd, linux::SOL_SOCKET, linux::SO_ERROR),
            0
        );
    }
}

#[test]
fn syn_cookies_open_connections_without_state() {
    let (mut a, mut b) = (local(), remote());
    b.profile_mut().syncookies = 2;
    let l = listener(&mut b, 80, 4);
    let fd = nb_connect(&mut a, 80);
    exchange(&mut a, &mut b);
    let k = b.counters();
    assert_eq!((k.syn_cookies_sent, k.syn_cookies_ok), (1, 1));
    let s = accept_nb(&mut b, l).expect("the cookie ACK created the connection");
    assert_eq!(send(&mut a, fd, b"through a cookie").ret, 16);
    exchange(&mut a, &mut b);
    assert_eq!(
        data_of(&done(&mut b, Call::Read { fd: s, len: 100 })),
        b"through a cookie"
    );
    // The cookie remembered the client's MSS (1460 is in Linux's table).
    let info = b.connection(s).unwrap().negotiated().peer_mss;
    assert_eq!(info, 1460);
}

#[test]
fn a_bad_cookie_is_answered_with_a_reset() {
    let (mut a, mut b) = (local(), remote());
    b.profile_mut().syncookies = 2;
    listener(&mut b, 80, 4);
    let _fd = nb_connect(&mut a, 80);
    let syn = drain(&mut a);
    b.handle_packet(at(0), &syn[0]);
    let synack = drain(&mut b);
    // Corrupt the cookie (the SYN-ACK's sequence number) before the client
    // sees it: the client's ACK then carries a wrong cookie.
    let mut bad = synack[0].clone();
    let d = IpDatagram::parse(&bad, ChecksumMode::Verify).unwrap();
    let mut t = *d.tcp().unwrap();
    t.seq = t.seq.wrapping_add(1000);
    let d = IpDatagram {
        ip: d.ip,
        upper: netdrill_stack::wire::UpperRepr::Tcp(t),
    };
    bad = d.to_bytes().unwrap();
    a.handle_packet(at(0), &bad);
    let ack = drain(&mut a);
    b.handle_packet(at(0), &ack[0]);
    assert_eq!(b.counters().syn_cookies_ok, 0);
    assert_eq!(
        b.counters().tcp_resets_sent,
        1,
        "RFC 9293 §3.10.7.2: an ACK in LISTEN gets a RST"
    );
}

#[test]
fn epoll_reports_a_listener_with_a_queued_connection() {
    let (mut a, mut b) = (local(), remote());
    let l = listener(&mut b, 80, 8);
    let ep = ok(&mut b, Call::EpollCreate { size: 1, flags: 0 }) as i32;
    ok(
        &mut b,
        Call::EpollCtl {
            epfd: ep,
            op: 1,
            fd: l,
            event: Some(EpollEvent {
                events: linux::EPOLLIN as u32,
                data: 99,
            }),
        },
    );
    let CallOutcome::Pending(id) = b.call(
        at(0),
        Call::EpollWait {
            epfd: ep,
            max_events: 1,
            timeout_ms: -1,
        },
    ) else {
        panic!("no connection yet: blocks");
    };
    a.handle_timeout(at(3));
    b.handle_timeout(at(3));
    nb_connect(&mut a, 80);
    exchange(&mut a, &mut b);
    let c = b
        .poll_completion()
        .expect("a queued connection wakes epoll_wait");
    assert_eq!(c.id, id);
    assert_eq!(
        c.result.out,
        CallOutput::EpollEvents(vec![EpollEvent {
            events: linux::EPOLLIN as u32,
            data: 99
        }])
    );
    assert_eq!(c.at, at(3));
}

#[test]
fn closing_a_connection_ends_in_time_wait_then_nothing() {
    let (mut a, mut b) = (local(), remote());
    let l = listener(&mut b, 80, 8);
    let fd = nb_connect(&mut a, 80);
    exchange(&mut a, &mut b);
    let s = accept_nb(&mut b, l).unwrap();
    ok(&mut a, Call::Close { fd });
    exchange(&mut a, &mut b);
    assert_eq!(done(&mut b, Call::Read { fd: s, len: 10 }).ret, 0, "EOF");
    ok(&mut b, Call::Close { fd: s });
    exchange(&mut a, &mut b);
    assert_eq!(
        b.connections().count(),
        0,
        "the passive closer is done after LAST-ACK"
    );
    assert_eq!(
        a.connections().count(),
        1,
        "the active closer waits in TIME-WAIT"
    );
    let end = a.now() + Duration::from_secs(61);
    run_until(&mut a, &mut b, end);
    assert_eq!(a.connections().count(), 0);
    // The port is free again.
    let fd2 = tcp4(&mut a);
    assert_eq!(fd2, fd);
}

/// A blocked write whose fd is closed ends with the bytes it already took
/// (they are queued and will be sent), not EBADF; a blocked read on it
/// ends with EBADF. A socket that later gets the same fd number is not
/// touched by either. (Found by the stack fuzz target: the application
/// must learn of every byte that goes on the wire.)
#[test]
fn closing_the_fd_under_a_blocked_write_returns_what_it_took() {
    let (mut a, mut b) = (local(), remote());
    let l = listener(&mut b, 80, 8);
    nb_connect(&mut a, 80);
    exchange(&mut a, &mut b);
    let s = accept_nb(&mut b, l).expect("accepted");
    // accept_nb made the listener (and so the child) non-blocking: make
    // the child blocking.
    ok(
        &mut b,
        Call::Fcntl {
            fd: s,
            cmd: linux::F_SETFL as i32,
            arg: 0,
        },
    );
    let big = vec![7u8; 100_000];
    let CallOutcome::Pending(w) = b.call(
        at(0),
        Call::Write {
            fd: s,
            buf: netdrill_stack::socket::Buf::Data(big),
            len: 100_000,
        },
    ) else {
        panic!("a write larger than the send buffer blocks");
    };
    let taken = b.connection(s).expect("connection").send_queue_len();
    assert!(taken > 0 && taken < 100_000);
    ok(&mut b, Call::Close { fd: s });
    let c = b.poll_completion().expect("the write ends at close");
    assert_eq!(c.id, w);
    assert_eq!((c.result.ret, c.result.errno), (taken as i64, None));
    // The fd number is reused; the old call is gone for good.
    let again = tcp4(&mut b);
    assert_eq!(again, s, "lowest free fd");
    run_until(&mut a, &mut b, at(2000));
    assert!(b.poll_completion().is_none());
    assert!(b.pending_calls().next().is_none());
    // A blocked read (nothing read yet) on a closed fd: EBADF.
    let (mut a, mut b) = (local(), remote());
    let l = listener(&mut b, 80, 8);
    let fd = nb_connect(&mut a, 80);
    exchange(&mut a, &mut b);
    accept_nb(&mut b, l).expect("accepted");
    ok(
        &mut a,
        Call::Fcntl {
            fd,
            cmd: linux::F_SETFL as i32,
            arg: 0,
        },
    );
    let CallOutcome::Pending(r) = a.call(at(0), Call::Read { fd, len: 10 }) else {
        panic!("a read with nothing to read blocks");
    };
    ok(&mut a, Call::Close { fd });
    let c = a.poll_completion().expect("the read ends at close");
    assert_eq!((c.id, c.result.errno), (r, Some(Errno::EBADF)));
}

/// A SYN-ACK sent as a cookie for a SYN without timestamps carries `<mss>`
/// alone: there is nowhere to keep SACK or window scaling (Linux
/// `tcp_clear_options`; corpus/tcp/listen/syn-queue-overflow-cookie.pkt).
#[test]
fn a_cookie_for_a_syn_without_timestamps_offers_only_the_mss() {
    let (mut a, mut b) = (local(), remote());
    a.profile_mut().timestamps = false;
    b.profile_mut().syncookies = 2;
    listener(&mut b, 80, 4);
    nb_connect(&mut a, 80);
    let syn = drain(&mut a);
    b.handle_packet(at(0), &syn[0]);
    let synack = drain(&mut b);
    let d = IpDatagram::parse(&synack[0], ChecksumMode::Verify).unwrap();
    let t = d.tcp().unwrap();
    let opts: Vec<_> = t.options.iter().collect();
    assert_eq!(
        opts,
        [netdrill_stack::wire::TcpOption::Mss(1460)],
        "SYN offered sackOK and wscale"
    );
    assert_eq!(b.counters().syn_cookies_sent, 1);
}

/// A valid cookie ACK while the accept queue is full is dropped without a
/// RST, and a later segment from the peer completes the connection once
/// accept() made room (Linux; corpus/tcp/listen/syncookie-ack-on-full-accept-queue.pkt).
#[test]
fn a_cookie_ack_on_a_full_accept_queue_is_dropped_silently() {
    let (mut a, mut b) = (local(), remote());
    b.profile_mut().syncookies = 2;
    // Backlog 0: one connection fills the accept queue.
    let l = listener(&mut b, 80, 0);
    // B's SYN gets its cookie SYN-ACK while the queue is empty; the
    // SYN-ACK is held back.
    let fd = nb_connect(&mut a, 80);
    let syn = drain(&mut a);
    b.handle_packet(at(0), &syn[0]);
    let synack = drain(&mut b);
    assert_eq!(synack.len(), 1);
    // Another connection fills the accept queue.
    nb_connect(&mut a, 80);
    exchange(&mut a, &mut b);
    assert_eq!(b.counters().syn_cookies_ok, 1);
    // B's ACK, with a valid cookie, finds it full: dropped, no RST.
    let resets = b.counters().tcp_resets_sent;
    a.handle_packet(at(0), &synack[0]);
    let ack = drain(&mut a);
    assert_eq!(ack.len(), 1);
    b.handle_packet(at(0), &ack[0]);
    assert_eq!(b.counters().tcp_resets_sent, resets, "no RST");
    assert_eq!(b.counters().ack_dropped_accept_full, 1);
    assert_eq!(b.counters().syn_cookies_ok, 1);
    // accept() makes room; B's data segment (its ACK still the cookie)
    // completes the handshake.
    accept_nb(&mut b, l).expect("the first connection");
    assert_eq!(send(&mut a, fd, b"late").ret, 4);
    exchange(&mut a, &mut b);
    assert_eq!(b.counters().syn_cookies_ok, 2);
    let s = accept_nb(&mut b, l).expect("completed by the data segment");
    assert_eq!(
        data_of(&done(&mut b, Call::Read { fd: s, len: 10 })),
        b"late"
    );
}

/// An ICMPv4 destination unreachable with `code` from the peer, quoting
/// the start of `sent` (an IPv4 datagram we sent).
fn unreachable_for(sent: &[u8], code: u8) -> Vec<u8> {
    use netdrill_stack::wire::{Checksum, Icmpv4Message, Icmpv4Repr, IpRepr, UpperRepr};
    let d = IpDatagram::parse(sent, ChecksumMode::Verify).unwrap();
    let IpRepr::V4(mut ip) = d.ip else {
        panic!("IPv4 expected")
    };
    std::mem::swap(&mut ip.src, &mut ip.dst);
    let icmp = IpDatagram {
        ip: IpRepr::V4(ip),
        upper: UpperRepr::Icmpv4(Icmpv4Repr {
            message: Icmpv4Message::DstUnreachable {
                code,
                next_hop_mtu: 0,
                quoted: &sent[..28],
            },
            checksum: Checksum::Valid,
        }),
    };
    let mut buf = vec![0; icmp.buffer_len()];
    let n = icmp.emit(&mut buf).unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn icmp_errors_during_the_handshake_follow_the_profile() {
    use netdrill_stack::profile::Profile;
    // (profile, ICMP code, aborted with): net (0) and host (1) unreachable
    // are soft errors (RFC 1122 §4.2.3.9: SHOULD NOT abort), port
    // unreachable (3) is hard. Linux aborts SYN-SENT on any of them
    // (measured: corpus/tcp/handshake/icmp-aborts-syn-sent-v4.pkt).
    let table = [
        (Profile::linux(), 1, Some(Errno::EHOSTUNREACH)),
        (Profile::linux(), 0, Some(Errno::ENETUNREACH)),
        (Profile::linux(), 3, Some(Errno::ECONNREFUSED)),
        (Profile::rfc(), 1, None),
        (Profile::rfc(), 0, None),
        (Profile::rfc(), 3, Some(Errno::ECONNREFUSED)),
    ];
    for (profile, code, want) in table {
        let mut a = local();
        *a.profile_mut() = profile;
        let fd = nb_connect(&mut a, 8080);
        let syn = drain(&mut a);
        assert_eq!(syn.len(), 1);
        a.handle_packet(at(10), &unreachable_for(&syn[0], code));
        let err = getsockopt_int(&mut a, fd, linux::SOL_SOCKET, linux::SO_ERROR);
        let name = format!("{:?} code {code}", profile.kind);
        assert_eq!(err, want.map_or(0, |e| e.0), "{name}");
        // An aborted open sends no more SYNs; a live one retries at 1 s.
        a.handle_timeout(at(1100));
        assert_eq!(drain(&mut a).len(), usize::from(want.is_none()), "{name}");
    }
}
