//! Every misuse of the socket API gets the errno Linux gives. Table-driven:
//! each row sets up sockets, makes one call and names the errno.

mod socket_util;

use netdrill_stack::Stack;
use netdrill_stack::linux::{self, Errno};
use netdrill_stack::socket::{Buf, Call, EpollEvent};
use socket_util::*;

/// Fds every row can use: 3 = TCP/IPv4, 4 = UDP/IPv4, 5 = TCP/IPv6,
/// 6 = an epoll fd, 7 = TCP listening on 8080, 8 = TCP bound to 9090,
/// 9 = UDP bound to 5353.
fn fixture() -> Stack {
    let mut st = local();
    assert_eq!(tcp4(&mut st), 3);
    assert_eq!(udp4(&mut st), 4);
    assert_eq!(socket(&mut st, linux::AF_INET6, linux::SOCK_STREAM), 5);
    assert_eq!(ok(&mut st, Call::EpollCreate { size: 1, flags: 0 }), 6);
    assert_eq!(tcp4(&mut st), 7);
    ok(
        &mut st,
        Call::Bind {
            fd: 7,
            addr: Some(sa("0.0.0.0:8080")),
        },
    );
    ok(&mut st, Call::Listen { fd: 7, backlog: 5 });
    assert_eq!(tcp4(&mut st), 8);
    ok(
        &mut st,
        Call::Bind {
            fd: 8,
            addr: Some(sa("192.168.0.1:9090")),
        },
    );
    assert_eq!(udp4(&mut st), 9);
    ok(
        &mut st,
        Call::Bind {
            fd: 9,
            addr: Some(sa("0.0.0.0:5353")),
        },
    );
    st
}

fn nonblock(st: &mut Stack, fd: i32) {
    ok(
        st,
        Call::Fcntl {
            fd,
            cmd: linux::F_SETFL as i32,
            arg: linux::O_NONBLOCK,
        },
    );
}

fn w(fd: i32) -> Call {
    Call::Write {
        fd,
        buf: Buf::Data(vec![1, 2, 3]),
        len: 3,
    }
}

fn r(fd: i32) -> Call {
    Call::Read { fd, len: 10 }
}

#[test]
fn misuse_gives_linux_errnos() {
    let sol = linux::SOL_SOCKET as i32;
    let tcp = linux::SOL_TCP as i32;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(&str, fn(&mut Stack), Call, Errno)> = vec![
        // fd lookup
        ("read closed fd", |_| {}, r(42), Errno::EBADF),
        ("write negative fd", |_| {}, w(-1), Errno::EBADF),
        (
            "stdin is not ours",
            |_| {},
            Call::Close { fd: 0 },
            Errno::EBADF,
        ),
        (
            "bind on epoll fd",
            |_| {},
            Call::Bind {
                fd: 6,
                addr: Some(sa("0.0.0.0:1")),
            },
            Errno::ENOTSOCK,
        ),
        (
            "listen on epoll fd",
            |_| {},
            Call::Listen { fd: 6, backlog: 1 },
            Errno::ENOTSOCK,
        ),
        (
            "accept on epoll fd",
            |_| {},
            Call::Accept { fd: 6, flags: 0 },
            Errno::ENOTSOCK,
        ),
        (
            "connect on epoll fd",
            |_| {},
            Call::Connect {
                fd: 6,
                addr: Some(sa("192.0.2.1:80")),
            },
            Errno::ENOTSOCK,
        ),
        (
            "shutdown epoll fd",
            |_| {},
            Call::Shutdown { fd: 6, how: 1 },
            Errno::ENOTSOCK,
        ),
        (
            "getsockopt epoll fd",
            |_| {},
            Call::GetSockOpt {
                fd: 6,
                level: sol,
                name: 3,
                len: 4,
            },
            Errno::ENOTSOCK,
        ),
        ("read epoll fd", |_| {}, r(6), Errno::EINVAL),
        ("write epoll fd", |_| {}, w(6), Errno::EINVAL),
        (
            "recv epoll fd",
            |_| {},
            Call::Recv {
                fd: 6,
                len: 1,
                flags: 0,
            },
            Errno::ENOTSOCK,
        ),
        // socket()
        (
            "AF_UNIX",
            |_| {},
            Call::Socket {
                domain: 1,
                ty: 1,
                protocol: 0,
            },
            Errno::EAFNOSUPPORT,
        ),
        (
            "bad domain",
            |_| {},
            Call::Socket {
                domain: 99,
                ty: 1,
                protocol: 0,
            },
            Errno::EAFNOSUPPORT,
        ),
        (
            "stream with UDP",
            |_| {},
            Call::Socket {
                domain: 2,
                ty: 1,
                protocol: 17,
            },
            Errno::EPROTONOSUPPORT,
        ),
        (
            "dgram with TCP",
            |_| {},
            Call::Socket {
                domain: 2,
                ty: 2,
                protocol: 6,
            },
            Errno::EPROTONOSUPPORT,
        ),
        (
            "seqpacket",
            |_| {},
            Call::Socket {
                domain: 2,
                ty: 5,
                protocol: 0,
            },
            Errno::ESOCKTNOSUPPORT,
        ),
        (
            "bad type flags",
            |_| {},
            Call::Socket {
                domain: 2,
                ty: 1 | 0x100,
                protocol: 0,
            },
            Errno::EINVAL,
        ),
        // bind()
        (
            "bind twice",
            |_| {},
            Call::Bind {
                fd: 8,
                addr: Some(sa("0.0.0.0:9091")),
            },
            Errno::EINVAL,
        ),
        (
            "bind a listener",
            |_| {},
            Call::Bind {
                fd: 7,
                addr: Some(sa("0.0.0.0:1")),
            },
            Errno::EINVAL,
        ),
        (
            "bind foreign address",
            |_| {},
            Call::Bind {
                fd: 3,
                addr: Some(sa("10.1.2.3:80")),
            },
            Errno::EADDRNOTAVAIL,
        ),
        (
            "bind IPv6 on AF_INET",
            |_| {},
            Call::Bind {
                fd: 3,
                addr: Some(sa("[::]:80")),
            },
            Errno::EAFNOSUPPORT,
        ),
        (
            "bind sockaddr_in on AF_INET6",
            |_| {},
            Call::Bind {
                fd: 5,
                addr: Some(sa("0.0.0.0:80")),
            },
            Errno::EINVAL,
        ),
        (
            "bind NULL",
            |_| {},
            Call::Bind { fd: 3, addr: None },
            Errno::EFAULT,
        ),
        (
            "bind a port in use",
            |_| {},
            Call::Bind {
                fd: 3,
                addr: Some(sa("0.0.0.0:8080")),
            },
            Errno::EADDRINUSE,
        ),
        (
            "dual-stack bind over IPv4",
            |_| {},
            Call::Bind {
                fd: 5,
                addr: Some(sa("[::]:9090")),
            },
            Errno::EADDRINUSE,
        ),
        (
            "SO_REUSEADDR does not share with a listener",
            |st| {
                setsockopt(st, 3, linux::SOL_SOCKET, linux::SO_REUSEADDR, 1);
                setsockopt(st, 7, linux::SOL_SOCKET, linux::SO_REUSEADDR, 1);
            },
            Call::Bind {
                fd: 3,
                addr: Some(sa("0.0.0.0:8080")),
            },
            Errno::EADDRINUSE,
        ),
        (
            "two SO_REUSEADDR sockets cannot both listen",
            |st| {
                setsockopt(st, 3, linux::SOL_SOCKET, linux::SO_REUSEADDR, 1);
                setsockopt(st, 8, linux::SOL_SOCKET, linux::SO_REUSEADDR, 1);
                ok(
                    st,
                    Call::Bind {
                        fd: 3,
                        addr: Some(sa("0.0.0.0:9090")),
                    },
                );
                ok(st, Call::Listen { fd: 8, backlog: 1 });
            },
            Call::Listen { fd: 3, backlog: 1 },
            Errno::EADDRINUSE,
        ),
        (
            "UDP port in use",
            |_| {},
            Call::Bind {
                fd: 4,
                addr: Some(sa("192.168.0.1:5353")),
            },
            Errno::EADDRINUSE,
        ),
        // listen(), accept()
        (
            "listen on UDP",
            |_| {},
            Call::Listen { fd: 4, backlog: 1 },
            Errno::EOPNOTSUPP,
        ),
        (
            "accept on UDP",
            |_| {},
            Call::Accept { fd: 4, flags: 0 },
            Errno::EOPNOTSUPP,
        ),
        (
            "accept without listen",
            |_| {},
            Call::Accept { fd: 3, flags: 0 },
            Errno::EINVAL,
        ),
        (
            "accept bad flags",
            |_| {},
            Call::Accept { fd: 7, flags: 1 },
            Errno::EINVAL,
        ),
        (
            "accept nothing queued",
            |st| nonblock(st, 7),
            Call::Accept { fd: 7, flags: 0 },
            Errno::EAGAIN,
        ),
        (
            "listen after connect",
            |st| {
                nonblock(st, 3);
                fails(
                    st,
                    Call::Connect {
                        fd: 3,
                        addr: Some(sa("192.0.2.1:80")),
                    },
                );
            },
            Call::Listen { fd: 3, backlog: 1 },
            Errno::EINVAL,
        ),
        // connect()
        (
            "connect a listener",
            |_| {},
            Call::Connect {
                fd: 7,
                addr: Some(sa("192.0.2.1:80")),
            },
            Errno::EISCONN,
        ),
        (
            "connect nonblocking",
            |st| nonblock(st, 3),
            Call::Connect {
                fd: 3,
                addr: Some(sa("192.0.2.1:80")),
            },
            Errno::EINPROGRESS,
        ),
        (
            "connect again while connecting",
            |st| {
                nonblock(st, 3);
                fails(
                    st,
                    Call::Connect {
                        fd: 3,
                        addr: Some(sa("192.0.2.1:80")),
                    },
                );
            },
            Call::Connect {
                fd: 3,
                addr: Some(sa("192.0.2.1:80")),
            },
            Errno::EALREADY,
        ),
        (
            "connect multicast",
            |_| {},
            Call::Connect {
                fd: 3,
                addr: Some(sa("224.0.0.1:80")),
            },
            Errno::ENETUNREACH,
        ),
        (
            "connect broadcast",
            |_| {},
            Call::Connect {
                fd: 3,
                addr: Some(sa("255.255.255.255:80")),
            },
            Errno::ENETUNREACH,
        ),
        (
            "connect IPv6 on AF_INET",
            |_| {},
            Call::Connect {
                fd: 3,
                addr: Some(sa("[2001:db8::1]:80")),
            },
            Errno::EAFNOSUPPORT,
        ),
        (
            "connect NULL",
            |_| {},
            Call::Connect { fd: 3, addr: None },
            Errno::EFAULT,
        ),
        (
            "connect mapped on v6-only",
            |st| {
                setsockopt(st, 5, linux::SOL_IPV6, linux::IPV6_V6ONLY, 1);
            },
            Call::Connect {
                fd: 5,
                addr: Some(sa("[::ffff:192.0.2.1]:80")),
            },
            Errno::ENETUNREACH,
        ),
        // data on unconnected TCP sockets
        ("read unconnected", |_| {}, r(3), Errno::ENOTCONN),
        ("read a listener", |_| {}, r(7), Errno::ENOTCONN),
        ("write unconnected", |_| {}, w(3), Errno::EPIPE),
        ("write a listener", |_| {}, w(7), Errno::EPIPE),
        (
            "recv MSG_OOB",
            |_| {},
            Call::Recv {
                fd: 3,
                len: 1,
                flags: 1,
            },
            Errno::EINVAL,
        ),
        (
            "write while connecting, nonblocking",
            |st| {
                nonblock(st, 3);
                fails(
                    st,
                    Call::Connect {
                        fd: 3,
                        addr: Some(sa("192.0.2.1:80")),
                    },
                );
            },
            w(3),
            Errno::EAGAIN,
        ),
        // shutdown()
        (
            "shutdown unconnected",
            |_| {},
            Call::Shutdown { fd: 3, how: 1 },
            Errno::ENOTCONN,
        ),
        (
            "shutdown bad how",
            |_| {},
            Call::Shutdown { fd: 3, how: 3 },
            Errno::EINVAL,
        ),
        (
            "shutdown unconnected UDP",
            |_| {},
            Call::Shutdown { fd: 4, how: 2 },
            Errno::ENOTCONN,
        ),
        // UDP data
        ("sendto without address", |_| {}, w(4), Errno::EDESTADDRREQ),
        (
            "datagram too long",
            |_| {},
            Call::SendTo {
                fd: 4,
                buf: Buf::Data(vec![0; 65_508]),
                len: 65_508,
                flags: 0,
                addr: Some(sa("192.0.2.1:53")),
            },
            Errno::EMSGSIZE,
        ),
        (
            "sendto port 0",
            |_| {},
            Call::SendTo {
                fd: 4,
                buf: Buf::Data(vec![0; 1]),
                len: 1,
                flags: 0,
                addr: Some(sa("192.0.2.1:0")),
            },
            Errno::EINVAL,
        ),
        (
            "recv empty nonblocking",
            |st| nonblock(st, 4),
            r(4),
            Errno::EAGAIN,
        ),
        (
            "recv MSG_DONTWAIT",
            |_| {},
            Call::Recv {
                fd: 4,
                len: 1,
                flags: linux::MSG_DONTWAIT as i32,
            },
            Errno::EAGAIN,
        ),
        (
            "write NULL buffer",
            |_| {},
            Call::Write {
                fd: 4,
                buf: Buf::Null,
                len: 4,
            },
            Errno::EFAULT,
        ),
        (
            "write short buffer",
            |_| {},
            Call::Write {
                fd: 4,
                buf: Buf::Data(vec![1]),
                len: 4,
            },
            Errno::EFAULT,
        ),
        // socket options
        (
            "unknown level",
            |_| {},
            Call::SetSockOpt {
                fd: 3,
                level: 999,
                name: 1,
                value: int(1),
                len: 4,
            },
            Errno::ENOPROTOOPT,
        ),
        (
            "unknown SOL_SOCKET option",
            |_| {},
            Call::SetSockOpt {
                fd: 3,
                level: sol,
                name: 999,
                value: int(1),
                len: 4,
            },
            Errno::ENOPROTOOPT,
        ),
        (
            "TCP option on UDP",
            |_| {},
            Call::SetSockOpt {
                fd: 4,
                level: tcp,
                name: 1,
                value: int(1),
                len: 4,
            },
            Errno::ENOPROTOOPT,
        ),
        (
            "IPv6 option on AF_INET",
            |_| {},
            Call::SetSockOpt {
                fd: 3,
                level: 41,
                name: 26,
                value: int(1),
                len: 4,
            },
            Errno::ENOPROTOOPT,
        ),
        (
            "short option",
            |_| {},
            Call::SetSockOpt {
                fd: 3,
                level: tcp,
                name: 1,
                value: int(1),
                len: 2,
            },
            Errno::EINVAL,
        ),
        (
            "NULL option",
            |_| {},
            Call::SetSockOpt {
                fd: 3,
                level: tcp,
                name: 1,
                value: Buf::Null,
                len: 4,
            },
            Errno::EFAULT,
        ),
        (
            "TCP_MAXSEG too small",
            |_| {},
            Call::SetSockOpt {
                fd: 3,
                level: tcp,
                name: 2,
                value: int(10),
                len: 4,
            },
            Errno::EINVAL,
        ),
        (
            "TCP_KEEPCNT 0",
            |_| {},
            Call::SetSockOpt {
                fd: 3,
                level: tcp,
                name: 6,
                value: int(0),
                len: 4,
            },
            Errno::EINVAL,
        ),
        (
            "set SO_ERROR",
            |_| {},
            Call::SetSockOpt {
                fd: 3,
                level: sol,
                name: 4,
                value: int(0),
                len: 4,
            },
            Errno::ENOPROTOOPT,
        ),
        (
            "unknown congestion control",
            |_| {},
            Call::SetSockOpt {
                fd: 3,
                level: tcp,
                name: 13,
                value: Buf::Data(b"nosuch".to_vec()),
                len: 6,
            },
            Errno::ENOENT,
        ),
        (
            "IPV6_V6ONLY after bind",
            |st| {
                ok(
                    st,
                    Call::Bind {
                        fd: 5,
                        addr: Some(sa("[::]:7777")),
                    },
                );
            },
            Call::SetSockOpt {
                fd: 5,
                level: 41,
                name: 26,
                value: int(1),
                len: 4,
            },
            Errno::EINVAL,
        ),
        (
            "TCP_INFO on UDP",
            |_| {},
            Call::GetSockOpt {
                fd: 4,
                level: tcp,
                name: 11,
                len: 104,
            },
            Errno::ENOPROTOOPT,
        ),
        // fcntl, ioctl
        (
            "fcntl bad cmd",
            |_| {},
            Call::Fcntl {
                fd: 3,
                cmd: 9999,
                arg: 0,
            },
            Errno::EINVAL,
        ),
        (
            "FIONREAD on a listener",
            |_| {},
            Call::Ioctl {
                fd: 7,
                request: linux::FIONREAD as u64,
                arg: 0,
            },
            Errno::EINVAL,
        ),
        (
            "unknown ioctl",
            |_| {},
            Call::Ioctl {
                fd: 3,
                request: 0x1234,
                arg: 0,
            },
            Errno::ENOTTY,
        ),
        // epoll
        (
            "epoll_create size 0",
            |_| {},
            Call::EpollCreate { size: 0, flags: 0 },
            Errno::EINVAL,
        ),
        (
            "epoll_create bad flags",
            |_| {},
            Call::EpollCreate { size: 1, flags: 1 },
            Errno::EINVAL,
        ),
        (
            "epoll_ctl on a socket fd",
            |_| {},
            Call::EpollCtl {
                epfd: 3,
                op: 1,
                fd: 4,
                event: Some(EpollEvent { events: 1, data: 0 }),
            },
            Errno::EINVAL,
        ),
        (
            "epoll_ctl on itself",
            |_| {},
            Call::EpollCtl {
                epfd: 6,
                op: 1,
                fd: 6,
                event: Some(EpollEvent { events: 1, data: 0 }),
            },
            Errno::EINVAL,
        ),
        (
            "epoll_ctl bad fd",
            |_| {},
            Call::EpollCtl {
                epfd: 6,
                op: 1,
                fd: 99,
                event: Some(EpollEvent { events: 1, data: 0 }),
            },
            Errno::EBADF,
        ),
        (
            "epoll_ctl bad op",
            |_| {},
            Call::EpollCtl {
                epfd: 6,
                op: 9,
                fd: 3,
                event: Some(EpollEvent { events: 1, data: 0 }),
            },
            Errno::EINVAL,
        ),
        (
            "epoll_ctl MOD unknown",
            |_| {},
            Call::EpollCtl {
                epfd: 6,
                op: 3,
                fd: 3,
                event: Some(EpollEvent { events: 1, data: 0 }),
            },
            Errno::ENOENT,
        ),
        (
            "epoll_ctl DEL unknown",
            |_| {},
            Call::EpollCtl {
                epfd: 6,
                op: 2,
                fd: 3,
                event: None,
            },
            Errno::ENOENT,
        ),
        (
            "epoll_ctl ADD NULL event",
            |_| {},
            Call::EpollCtl {
                epfd: 6,
                op: 1,
                fd: 3,
                event: None,
            },
            Errno::EFAULT,
        ),
        (
            "epoll_ctl ADD twice",
            |st| {
                ok(
                    st,
                    Call::EpollCtl {
                        epfd: 6,
                        op: 1,
                        fd: 3,
                        event: Some(EpollEvent { events: 1, data: 0 }),
                    },
                );
            },
            Call::EpollCtl {
                epfd: 6,
                op: 1,
                fd: 3,
                event: Some(EpollEvent { events: 1, data: 0 }),
            },
            Errno::EEXIST,
        ),
        (
            "epoll_wait maxevents 0",
            |_| {},
            Call::EpollWait {
                epfd: 6,
                max_events: 0,
                timeout_ms: 0,
            },
            Errno::EINVAL,
        ),
        (
            "epoll_wait on a socket",
            |_| {},
            Call::EpollWait {
                epfd: 3,
                max_events: 1,
                timeout_ms: 0,
            },
            Errno::EINVAL,
        ),
    ];
    let mut failures = Vec::new();
    for (name, setup, call, want) in rows {
        let mut st = fixture();
        setup(&mut st);
        let got = done(&mut st, call.clone());
        if got.ret != -1 || got.errno != Some(want) {
            failures.push(format!(
                "{name}: {call:?}: want {want}, got {} {:?}",
                got.ret, got.errno
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn fds_are_allocated_lowest_first() {
    let mut st = local();
    let fds: Vec<i32> = (0..4).map(|_| tcp4(&mut st)).collect();
    assert_eq!(fds, [3, 4, 5, 6]);
    ok(&mut st, Call::Close { fd: 4 });
    ok(&mut st, Call::Close { fd: 3 });
    assert_eq!(udp4(&mut st), 3);
    assert_eq!(ok(&mut st, Call::EpollCreate { size: 1, flags: 0 }), 4);
    assert_eq!(tcp4(&mut st), 7);
    ok(&mut st, Call::Close { fd: 4 });
    assert_eq!(
        fails(&mut st, Call::Close { fd: 4 }),
        Errno::EBADF,
        "closing works once"
    );
}

#[test]
fn fcntl_and_socket_flags() {
    let mut st = local();
    let fd = socket(
        &mut st,
        linux::AF_INET,
        linux::SOCK_STREAM | linux::SOCK_NONBLOCK,
    );
    let getfl = Call::Fcntl {
        fd,
        cmd: linux::F_GETFL as i32,
        arg: 0,
    };
    assert_eq!(
        ok(&mut st, getfl.clone()),
        linux::O_RDWR | linux::O_NONBLOCK
    );
    ok(
        &mut st,
        Call::Fcntl {
            fd,
            cmd: linux::F_SETFL as i32,
            arg: 0,
        },
    );
    assert_eq!(ok(&mut st, getfl), linux::O_RDWR);
    assert_eq!(
        ok(
            &mut st,
            Call::Fcntl {
                fd,
                cmd: linux::F_GETFD as i32,
                arg: 0
            }
        ),
        0
    );
    let fd2 = socket(
        &mut st,
        linux::AF_INET,
        linux::SOCK_DGRAM | linux::SOCK_CLOEXEC,
    );
    assert_eq!(
        ok(
            &mut st,
            Call::Fcntl {
                fd: fd2,
                cmd: linux::F_GETFD as i32,
                arg: 0
            }
        ),
        linux::FD_CLOEXEC
    );
}

#[test]
fn getsockopt_reports_type_domain_and_defaults() {
    let mut st = local();
    let t = tcp4(&mut st);
    let u = socket(&mut st, linux::AF_INET6, linux::SOCK_DGRAM);
    let sol = linux::SOL_SOCKET;
    let cases = [
        (t, sol, linux::SO_TYPE, linux::SOCK_STREAM),
        (u, sol, linux::SO_TYPE, linux::SOCK_DGRAM),
        (t, sol, linux::SO_DOMAIN, linux::AF_INET),
        (u, sol, linux::SO_DOMAIN, linux::AF_INET6),
        (t, sol, linux::SO_PROTOCOL, linux::IPPROTO_TCP),
        (t, sol, linux::SO_ERROR, 0),
        (t, sol, linux::SO_ACCEPTCONN, 0),
        (t, sol, linux::SO_REUSEADDR, 0),
        (t, sol, linux::SO_KEEPALIVE, 0),
        (t, linux::SOL_TCP, linux::TCP_NODELAY, 0),
        (t, linux::SOL_TCP, linux::TCP_MAXSEG, 536),
        (t, linux::SOL_TCP, linux::TCP_KEEPIDLE, 7200),
        (t, linux::SOL_TCP, linux::TCP_KEEPINTVL, 75),
        (t, linux::SOL_TCP, linux::TCP_KEEPCNT, 9),
        (t, linux::SOL_TCP, linux::TCP_USER_TIMEOUT, 0),
        (u, linux::SOL_IPV6, linux::IPV6_V6ONLY, 0),
    ];
    for (fd, level, name, want) in cases {
        assert_eq!(
            i64::from(getsockopt_int(&mut st, fd, level, name)),
            want,
            "{level}/{name}"
        );
    }
    // Set, then read back.
    for (name, v) in [
        (linux::TCP_NODELAY, 1),
        (linux::TCP_KEEPIDLE, 30),
        (linux::TCP_MAXSEG, 1000),
        (linux::TCP_USER_TIMEOUT, 5000),
    ] {
        assert_eq!(setsockopt(&mut st, t, linux::SOL_TCP, name, v).errno, None);
        assert_eq!(
            getsockopt_int(&mut st, t, linux::SOL_TCP, name),
            v,
            "{name}"
        );
    }
    // SO_RCVBUF doubles, with a floor.
    setsockopt(&mut st, t, sol, linux::SO_RCVBUF, 10_000);
    assert_eq!(getsockopt_int(&mut st, t, sol, linux::SO_RCVBUF), 20_000);
    setsockopt(&mut st, t, sol, linux::SO_SNDBUF, 1);
    assert_eq!(getsockopt_int(&mut st, t, sol, linux::SO_SNDBUF), 4608);
    // listen() sets SO_ACCEPTCONN.
    ok(&mut st, Call::Listen { fd: t, backlog: 1 });
    assert_eq!(getsockopt_int(&mut st, t, sol, linux::SO_ACCEPTCONN), 1);
}

#[test]
fn getsockopt_copies_at_most_len_bytes() {
    let mut st = local();
    let t = tcp4(&mut st);
    let r = done(
        &mut st,
        Call::GetSockOpt {
            fd: t,
            level: linux::SOL_SOCKET as i32,
            name: linux::SO_TYPE as i32,
            len: 2,
        },
    );
    assert_eq!(
        r.out,
        netdrill_stack::socket::CallOutput::OptVal(vec![1, 0])
    );
    let r = done(
        &mut st,
        Call::GetSockOpt {
            fd: t,
            level: linux::SOL_TCP as i32,
            name: linux::TCP_INFO as i32,
            len: 8,
        },
    );
    match r.out {
        netdrill_stack::socket::CallOutput::OptVal(b) => {
            assert_eq!(b.len(), 8);
            assert_eq!(
                i64::from(b[0]),
                linux::TCP_CLOSE,
                "tcpi_state of a fresh socket"
            );
        }
        other => panic!("{other:?}"),
    }
    let r = done(
        &mut st,
        Call::GetSockOpt {
            fd: t,
            level: linux::SOL_TCP as i32,
            name: linux::TCP_CONGESTION as i32,
            len: 16,
        },
    );
    match r.out {
        netdrill_stack::socket::CallOutput::OptVal(b) => assert_eq!(b.len(), 16),
        other => panic!("{other:?}"),
    }
}

#[test]
fn shutdown_and_ioctl_on_udp() {
    let mut st = local();
    let u = udp4(&mut st);
    assert_eq!(
        ok(
            &mut st,
            Call::Ioctl {
                fd: u,
                request: linux::FIONREAD as u64,
                arg: 0
            }
        ),
        0
    );
    ok(
        &mut st,
        Call::Connect {
            fd: u,
            addr: Some(sa("192.0.2.1:53")),
        },
    );
    ok(
        &mut st,
        Call::Shutdown {
            fd: u,
            how: linux::SHUT_WR as i32,
        },
    );
    assert_eq!(fails(&mut st, send_call(u)), Errno::EPIPE);
    assert_eq!(
        ok(
            &mut st,
            Call::Ioctl {
                fd: u,
                request: linux::FIONBIO as u64,
                arg: 1
            }
        ),
        0
    );
    assert_eq!(
        ok(
            &mut st,
            Call::Fcntl {
                fd: u,
                cmd: linux::F_GETFL as i32,
                arg: 0
            }
        ),
        linux::O_RDWR | linux::O_NONBLOCK
    );
}

fn send_call(fd: i32) -> Call {
    Call::Send {
        fd,
        buf: Buf::Data(vec![9]),
        len: 1,
        flags: 0,
    }
}
