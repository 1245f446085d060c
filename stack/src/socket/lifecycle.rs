//! socket, bind, listen, close, shutdown, fcntl and ioctl: the calls that
//! create, name and end sockets, with Linux's checks in Linux's order.

use super::fd::{FdEntry, FdKind};
use super::listen::{Listener, effective_backlog};
use super::sock::{
    self, Bound, CORE_RMEM_DEFAULT, CORE_WMEM_DEFAULT, Family, Kind, SockOpts, Socket, TcpSock,
};
use crate::host::Stack;
use crate::host::pending::{Progress, Step};
use crate::host::ports::{Binding, Owner, Proto};
use crate::linux::{self, Errno};
use crate::socket::CallResult;
use crate::tcp::{Shutdown, State};
use crate::time::Duration;
use crate::udp::UdpSocket;
use std::net::SocketAddr;

impl Stack {
    /// socket(2). Only AF_INET/AF_INET6 with SOCK_STREAM (TCP) and
    /// SOCK_DGRAM (UDP) exist here.
    pub(crate) fn sys_socket(&mut self, domain: i32, ty: i32, protocol: i32) -> Result<i64, Errno> {
        let flags = i64::from(ty) & !0xf;
        if flags & !(linux::SOCK_NONBLOCK | linux::SOCK_CLOEXEC) != 0 {
            return Err(Errno::EINVAL);
        }
        let base = i64::from(ty) & 0xf;
        let family = match i64::from(domain) {
            linux::AF_INET => Family::Inet,
            linux::AF_INET6 => Family::Inet6,
            _ => return Err(Errno::EAFNOSUPPORT),
        };
        let proto = i64::from(protocol);
        let tcp = match base {
            linux::SOCK_STREAM if proto == 0 || proto == linux::IPPROTO_TCP => true,
            linux::SOCK_DGRAM if proto == 0 || proto == linux::IPPROTO_UDP => false,
            linux::SOCK_STREAM | linux::SOCK_DGRAM => return Err(Errno::EPROTONOSUPPORT),
            _ => return Err(Errno::ESOCKTNOSUPPORT),
        };
        let p = &self.cfg.profile;
        let (rcvbuf, sndbuf) = if tcp {
            (p.rmem[1], p.wmem[1])
        } else {
            (CORE_RMEM_DEFAULT, CORE_WMEM_DEFAULT)
        };
        let opts = SockOpts {
            reuse_addr: false,
            reuse_port: false,
            keepalive: false,
            linger: None,
            rcvbuf,
            sndbuf,
            rcvbuf_locked: false,
            sndbuf_locked: false,
            v6only: false,
            nodelay: false,
            cork: false,
            maxseg: 0,
            keepidle: 0,
            keepintvl: 0,
            keepcnt: 0,
            user_timeout: 0,
            syncnt: 0,
            congestion: String::new(),
        };
        let kind = if tcp {
            Kind::Tcp(TcpSock::Idle)
        } else {
            Kind::Udp(UdpSocket::new(rcvbuf as usize))
        };
        let s = self.socks.insert(Socket::new(family, kind, opts));
        let entry = FdEntry {
            kind: FdKind::Socket(s),
            nonblocking: flags & linux::SOCK_NONBLOCK != 0,
            cloexec: flags & linux::SOCK_CLOEXEC != 0,
        };
        match self.fds.insert(entry) {
            Ok(fd) => Ok(i64::from(fd)),
            Err(e) => {
                self.socks.remove(s);
                Err(e)
            }
        }
    }

    /// The binding a socket would hold for `scope`.
    pub(crate) fn binding_of(
        &self,
        s: u32,
        scope: crate::host::ports::Scope,
        listening: bool,
    ) -> Binding {
        let o = self.socks.get(s).map(|k| &k.opts);
        Binding {
            owner: Owner::Socket(s),
            scope,
            reuse_addr: o.is_some_and(|o| o.reuse_addr),
            reuse_port: o.is_some_and(|o| o.reuse_port),
            listening,
        }
    }

    pub(crate) fn proto_of(&self, s: u32) -> Proto {
        match self.socks.get(s).map(Socket::is_tcp) {
            Some(false) => Proto::Udp,
            _ => Proto::Tcp,
        }
    }

    /// bind(2): `inet_bind` / `inet6_bind`.
    pub(crate) fn sys_bind(&mut self, fd: i32, addr: Option<SocketAddr>) -> Result<i64, Errno> {
        let s = self.sock_of_fd(fd)?;
        let addr = addr.ok_or(Errno::EFAULT)?;
        let sock = self.socks.get(s).ok_or(Errno::EBADF)?;
        let wire = sock::to_wire(sock.family, sock.opts.v6only, addr)?;
        // A socket binds once; a TCP socket that is not CLOSED cannot bind.
        if sock.bound.is_some()
            || matches!(
                sock.kind,
                Kind::Tcp(TcpSock::Conn(_) | TcpSock::Listening(_))
            )
        {
            return Err(Errno::EINVAL);
        }
        if !wire.ip().is_unspecified() && !self.is_local(wire.ip()) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let scope = sock::scope_for(sock.family, sock.opts.v6only, wire.ip());
        self.bind_socket(s, scope, wire.port()).map(|_| 0)
    }

    /// Takes `port` (0: an ephemeral one) for socket `s`.
    pub(crate) fn bind_socket(
        &mut self,
        s: u32,
        scope: crate::host::ports::Scope,
        port: u16,
    ) -> Result<u16, Errno> {
        let proto = self.proto_of(s);
        let b = self.binding_of(s, scope, false);
        let port = if port == 0 {
            self.ports.pick_ephemeral(proto, &b, &mut self.rng)?
        } else {
            port
        };
        self.ports.bind(proto, port, b)?;
        if let Some(sock) = self.socks.get_mut(s) {
            sock.bound = Some(Bound { scope, port });
        }
        Ok(port)
    }

    /// listen(2): `inet_listen`.
    pub(crate) fn sys_listen(&mut self, fd: i32, backlog: i32) -> Result<i64, Errno> {
        let s = self.sock_of_fd(fd)?;
        let somaxconn = self.cfg.profile.somaxconn;
        let sock = self.socks.get_mut(s).ok_or(Errno::EBADF)?;
        match &mut sock.kind {
            Kind::Udp(_) => return Err(Errno::EOPNOTSUPP),
            Kind::Tcp(TcpSock::Listening(l)) => {
                // Listening again only changes the backlog.
                l.backlog = effective_backlog(backlog, somaxconn);
                return Ok(0);
            }
            Kind::Tcp(TcpSock::Conn(_)) => return Err(Errno::EINVAL),
            Kind::Tcp(TcpSock::Idle) => {}
        }
        let family = sock.family;
        let v6only = sock.opts.v6only;
        let bound = match sock.bound {
            Some(b) => b,
            None => {
                // inet_csk_listen_start autobinds an unbound socket.
                let any = match family {
                    Family::Inet => std::net::Ipv4Addr::UNSPECIFIED.into(),
                    Family::Inet6 => std::net::Ipv6Addr::UNSPECIFIED.into(),
                };
                let scope = sock::scope_for(family, v6only, any);
                let port = self.bind_socket(s, scope, 0)?;
                Bound { scope, port }
            }
        };
        // SO_REUSEADDR does not let two sockets listen on one port.
        let b = self.binding_of(s, bound.scope, true);
        self.ports.check(Proto::Tcp, bound.port, &b)?;
        self.ports
            .update(Proto::Tcp, bound.port, Owner::Socket(s), |b| {
                b.listening = true
            });
        if let Some(sock) = self.socks.get_mut(s) {
            sock.kind = Kind::Tcp(TcpSock::Listening(Listener::new(effective_backlog(
                backlog, somaxconn,
            ))));
        }
        Ok(0)
    }

    /// close(2). A TCP connection outlives its fd (it finishes its close as
    /// an orphan); SO_LINGER with a zero timeout aborts it with a RST, with a
    /// non-zero timeout a blocking close waits for the FIN to be acked.
    pub(crate) fn sys_close(&mut self, fd: i32, p: &mut Progress) -> Step {
        if p.lingering {
            return self.linger_wait(p);
        }
        let entry = match self.fds.remove(fd) {
            Ok(e) => e,
            Err(e) => return Step::Done(CallResult::err(e)),
        };
        self.end_pending_on(fd);
        let s = match entry.kind {
            FdKind::Epoll(ep) => {
                self.close_epoll(ep);
                return Step::Done(CallResult::ok(0));
            }
            FdKind::Socket(s) => s,
        };
        self.unwatch_all(s);
        let Some(sock) = self.socks.remove(s) else {
            return Step::Done(CallResult::ok(0));
        };
        let proto = if sock.is_tcp() {
            Proto::Tcp
        } else {
            Proto::Udp
        };
        if let Some(b) = sock.bound {
            self.ports.unbind(proto, b.port, Owner::Socket(s));
        }
        match sock.kind {
            Kind::Tcp(TcpSock::Listening(l)) => self.stop_listening(l),
            Kind::Tcp(TcpSock::Conn(c)) => {
                let blocking = !entry.nonblocking;
                return self.close_conn(c, &sock.opts, sock.bound.map(|b| b.port), blocking, p);
            }
            _ => {}
        }
        Step::Done(CallResult::ok(0))
    }

    /// Linux `inet_csk_listen_stop`: queued requests are dropped; accepted
    /// but unclaimed connections are reset.
    pub(crate) fn stop_listening(&mut self, l: Listener) {
        for c in l.syn_queue {
            self.reap_conn(c);
        }
        for c in l.accept_queue {
            let before = self.conn_snapshot(c);
            let now = self.now;
            if let Some(e) = self.conns.get_mut(c) {
                e.listener = None;
                e.conn.abort(now);
            }
            self.conn_changed(c, before);
        }
    }

    fn close_conn(
        &mut self,
        c: u32,
        opts: &SockOpts,
        port: Option<u16>,
        blocking: bool,
        p: &mut Progress,
    ) -> Step {
        let now = self.now;
        let before = self.conn_snapshot(c);
        let Some(e) = self.conns.get_mut(c) else {
            return Step::Done(CallResult::ok(0));
        };
        e.sock = None;
        match opts.linger {
            // SO_LINGER with l_linger = 0: abortive close (RFC 9293 §3.10.5).
            Some(0) => e.conn.abort(now),
            _ => e.conn.close(now),
        }
        // The connection keeps the port as long as it lives.
        let local = e.conn.local();
        if let Some(port) = port {
            let scope = crate::host::ports::Scope::One(local.ip());
            let b = Binding {
                owner: Owner::Conn(c),
                scope,
                reuse_addr: opts.reuse_addr,
                reuse_port: opts.reuse_port,
                listening: false,
            };
            self.ports.hold(Proto::Tcp, port, b);
        }
        self.conn_changed(c, before);
        match opts.linger {
            Some(secs) if secs > 0 && blocking => {
                p.lingering = true;
                p.done = c as usize;
                p.deadline = Some(now + Duration::from_secs(secs as u64));
                self.linger_wait(p)
            }
            _ => Step::Done(CallResult::ok(0)),
        }
    }

    /// A lingering close returns when the FIN is acked (or the connection
    /// is gone) or at its timeout (`sk_stream_wait_close`).
    fn linger_wait(&mut self, p: &mut Progress) -> Step {
        let closing = self.conns.get(p.done as u32).is_some_and(|e| {
            matches!(
                e.conn.state(),
                State::FinWait1 | State::Closing | State::LastAck
            )
        });
        if !closing || p.timed_out(self.now) {
            Step::Done(CallResult::ok(0))
        } else {
            Step::Block
        }
    }

    /// shutdown(2): `inet_shutdown`.
    pub(crate) fn sys_shutdown(&mut self, fd: i32, how: i32) -> Result<i64, Errno> {
        let s = self.sock_of_fd(fd)?;
        let how = match i64::from(how) {
            linux::SHUT_RD => Shutdown::Read,
            linux::SHUT_WR => Shutdown::Write,
            linux::SHUT_RDWR => Shutdown::Both,
            _ => return Err(Errno::EINVAL),
        };
        let (rd, wr) = match how {
            Shutdown::Read => (true, false),
            Shutdown::Write => (false, true),
            Shutdown::Both => (true, true),
        };
        let now = self.now;
        let sock = self.socks.get_mut(s).ok_or(Errno::EBADF)?;
        let result = match &mut sock.kind {
            Kind::Udp(_) => {
                sock.shut_rd |= rd;
                sock.shut_wr |= wr;
                // An unconnected UDP socket is TCP_CLOSE: ENOTCONN, but the
                // flags are set all the same.
                if sock.peer.is_none() {
                    Err(Errno::ENOTCONN)
                } else {
                    Ok(0)
                }
            }
            Kind::Tcp(TcpSock::Idle) => {
                sock.shut_rd |= rd;
                sock.shut_wr |= wr;
                Err(Errno::ENOTCONN)
            }
            Kind::Tcp(TcpSock::Listening(_)) if !rd => Ok(0),
            Kind::Tcp(TcpSock::Listening(_)) => {
                // Stops listening; the socket stays bound.
                let old = std::mem::replace(&mut sock.kind, Kind::Tcp(TcpSock::Idle));
                if let Some(b) = sock.bound {
                    self.ports
                        .update(Proto::Tcp, b.port, Owner::Socket(s), |b| {
                            b.listening = false
                        });
                }
                if let Kind::Tcp(TcpSock::Listening(l)) = old {
                    self.stop_listening(l);
                }
                Ok(0)
            }
            Kind::Tcp(TcpSock::Conn(c)) => {
                let c = *c;
                sock.shut_rd |= rd;
                sock.shut_wr |= wr;
                let before = self.conn_snapshot(c);
                let r = match self.conns.get_mut(c) {
                    Some(e) => e.conn.shutdown(now, how).map(|_| 0),
                    None => Ok(0),
                };
                self.conn_changed(c, before);
                r
            }
        };
        self.wake_socket(s, super::readiness::ALL);
        result
    }

    /// fcntl(2): F_GETFL/F_SETFL (O_NONBLOCK) and F_GETFD/F_SETFD.
    pub(crate) fn sys_fcntl(&mut self, fd: i32, cmd: i32, arg: i64) -> Result<i64, Errno> {
        let e = self.fds.get_mut(fd)?;
        match i64::from(cmd) {
            linux::F_GETFL => Ok(linux::O_RDWR | if e.nonblocking { linux::O_NONBLOCK } else { 0 }),
            linux::F_SETFL => {
                e.nonblocking = arg & linux::O_NONBLOCK != 0;
                Ok(0)
            }
            linux::F_GETFD => Ok(if e.cloexec { linux::FD_CLOEXEC } else { 0 }),
            linux::F_SETFD => {
                e.cloexec = arg & linux::FD_CLOEXEC != 0;
                Ok(0)
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// ioctl(2): FIONREAD/SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, FIONBIO.
    pub(crate) fn sys_ioctl(&mut self, fd: i32, request: u64, arg: i32) -> Result<i32, Errno> {
        let req = i64::try_from(request).map_err(|_| Errno::ENOTTY)?;
        if req == linux::FIONBIO {
            self.fds.get_mut(fd)?.nonblocking = arg != 0;
            return Ok(arg);
        }
        let s = match self.fds.get(fd)?.kind {
            FdKind::Socket(s) => s,
            FdKind::Epoll(_) => return Err(Errno::ENOTTY),
        };
        let sock = self.socks.get(s).ok_or(Errno::EBADF)?;
        let n = match (&sock.kind, req) {
            (Kind::Udp(u), linux::FIONREAD) => u.next_len(),
            // Datagrams leave at once: nothing waits in the send queue.
            (Kind::Udp(_), linux::SIOCOUTQ) => 0,
            // tcp_ioctl: a listener has no queues to report.
            (
                Kind::Tcp(TcpSock::Listening(_)),
                linux::FIONREAD | linux::SIOCOUTQ | linux::SIOCOUTQNSD,
            ) => {
                return Err(Errno::EINVAL);
            }
            (
                Kind::Tcp(TcpSock::Conn(c)),
                linux::FIONREAD | linux::SIOCOUTQ | linux::SIOCOUTQNSD,
            ) => {
                let conn = &self.conns.get(*c).ok_or(Errno::EBADF)?.conn;
                match req {
                    linux::FIONREAD => conn.recv_queue_len(),
                    linux::SIOCOUTQ => conn.send_queue_len(),
                    _ => conn.unsent_len(),
                }
            }
            (Kind::Tcp(_), linux::FIONREAD | linux::SIOCOUTQ | linux::SIOCOUTQNSD) => 0,
            _ => return Err(Errno::ENOTTY),
        };
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
}
