//! connect, accept, send and receive on TCP sockets, after Linux's
//! `__inet_stream_connect`, `inet_csk_accept`, `tcp_sendmsg_locked` and
//! `tcp_recvmsg_locked`: which errno when, and when a call blocks.

use super::call::{CallOutput, CallResult};
use super::dispatch::{RecvArgs, RecvShape, SendArgs};
use super::fd::{FdEntry, FdKind};
use super::sock::{self, Bound, Family, Kind, SockOpts, Socket, TcpSock};
use crate::host::pending::{Progress, Step};
use crate::host::ports::{Proto, Scope};
use crate::host::{ConnEntry, Stack};
use crate::linux::{self, Errno};
use crate::tcp::{self, Connection, Open, State};
use crate::time::Duration;
use std::net::{IpAddr, SocketAddr};

fn done(r: Result<i64, Errno>) -> Step {
    Step::Done(r.into())
}

/// The engine's view of a socket's options.
pub(crate) fn tcp_sockopts(o: &SockOpts) -> tcp::SockOpts {
    let secs = |v: u32| (v > 0).then(|| Duration::from_secs(u64::from(v)));
    tcp::SockOpts {
        nodelay: o.nodelay,
        cork: o.cork,
        keepalive: o.keepalive,
        keepidle: secs(o.keepidle),
        keepintvl: secs(o.keepintvl),
        keepcnt: (o.keepcnt > 0).then_some(o.keepcnt),
        user_timeout: (o.user_timeout > 0)
            .then(|| Duration::from_millis(u64::from(o.user_timeout))),
        maxseg: (o.maxseg > 0).then_some(o.maxseg),
        rcvbuf: o.rcvbuf_locked.then_some(o.rcvbuf),
        sndbuf: o.sndbuf_locked.then_some(o.sndbuf),
        quickack: false,
        syn_retries: (o.syncnt > 0).then_some(o.syncnt),
    }
}

/// What a receive call hands back, shaped for the call that made it.
pub(crate) fn recv_output(
    shape: RecvShape,
    data: Vec<u8>,
    from: Option<SocketAddr>,
    msg_flags: i32,
) -> CallOutput {
    match shape {
        RecvShape::Data => CallOutput::Data(data),
        RecvShape::From => CallOutput::Addr { data, addr: from },
        RecvShape::Msg => CallOutput::Msg {
            data,
            name: from,
            control: Vec::new(),
            flags: msg_flags,
        },
    }
}

/// RFC 9293 §3.9.1.1 (MUST-46): an OPEN for a broadcast or multicast
/// remote address is an error.
fn bad_remote(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_multicast() || a.is_broadcast() || a.is_unspecified(),
        IpAddr::V6(a) => a.is_multicast() || a.is_unspecified(),
    }
}

impl Stack {
    /// connect(2) on any socket.
    pub(crate) fn sys_connect(
        &mut self,
        fd: i32,
        addr: Option<SocketAddr>,
        p: &mut Progress,
    ) -> Step {
        let s = match self.sock_of_fd(fd) {
            Ok(s) => s,
            Err(e) => return done(Err(e)),
        };
        if p.connecting {
            return self.connect_wait(s);
        }
        let Some(addr) = addr else {
            return done(Err(Errno::EFAULT));
        };
        match self.socks.get(s).map(Socket::is_tcp) {
            Some(true) => self.tcp_connect(fd, s, addr, p),
            Some(false) => done(self.udp_connect(s, addr)),
            None => done(Err(Errno::EBADF)),
        }
    }

    fn tcp_connect(&mut self, fd: i32, s: u32, addr: SocketAddr, p: &mut Progress) -> Step {
        let Some(sock) = self.socks.get(s) else {
            return done(Err(Errno::EBADF));
        };
        let (family, v6only) = (sock.family, sock.opts.v6only);
        match &sock.kind {
            Kind::Tcp(TcpSock::Listening(_)) => return done(Err(Errno::EISCONN)),
            Kind::Tcp(TcpSock::Conn(c)) => {
                let c = *c;
                let Some(e) = self.conns.get(c) else {
                    return done(Err(Errno::EBADF));
                };
                if e.conn.is_connecting() {
                    if self.may_block(fd, 0) {
                        p.connecting = true;
                        return Step::Block;
                    }
                    return done(Err(Errno::EALREADY));
                }
                if e.was_established {
                    return self.connect_result(s, c);
                }
                // A failed connect leaves the socket free to try again.
                if let Some(e) = self.conns.get_mut(c) {
                    e.sock = None;
                }
                self.reap_conn(c);
                if let Some(sock) = self.socks.get_mut(s) {
                    sock.kind = Kind::Tcp(TcpSock::Idle);
                }
            }
            _ => {}
        }
        let remote = match sock::to_wire(family, v6only, addr) {
            Ok(r) => r,
            // tcp_v6_connect: a mapped address on a v6-only socket.
            Err(Errno::EINVAL) if family == Family::Inet6 && addr.is_ipv6() => {
                return done(Err(Errno::ENETUNREACH));
            }
            Err(e) => return done(Err(e)),
        };
        if bad_remote(remote.ip()) {
            return done(Err(Errno::ENETUNREACH));
        }
        let c = match self.open_active(s, remote) {
            Ok(c) => c,
            Err(e) => return done(Err(e)),
        };
        self.touch(c);
        if self.may_block(fd, 0) {
            p.connecting = true;
            Step::Block
        } else {
            done(Err(Errno::EINPROGRESS))
        }
    }

    /// Picks the local address and port and creates the SYN-SENT connection.
    fn open_active(&mut self, s: u32, remote: SocketAddr) -> Result<u32, Errno> {
        let sock = self.socks.get(s).ok_or(Errno::EBADF)?;
        let bound = sock.bound;
        let local_ip = match bound.map(|b| b.scope) {
            Some(Scope::One(ip)) if ip.is_ipv4() == remote.is_ipv4() => ip,
            Some(Scope::One(_)) => return Err(Errno::EINVAL),
            _ => self.source_for(remote.ip()).ok_or(Errno::ENETUNREACH)?,
        };
        let port = match bound {
            Some(b) => b.port,
            None => {
                // Autobind (`inet_hash_connect`): an ephemeral port whose
                // four-tuple is new.
                let mut port = 0;
                for _ in 0..16 {
                    let b = self.binding_of(s, Scope::One(local_ip), false);
                    let cand = self
                        .ports
                        .pick_ephemeral(Proto::Tcp, &b, &mut self.rng)
                        .map_err(|_| Errno::EADDRNOTAVAIL)?;
                    if !self
                        .demux
                        .contains_key(&(SocketAddr::new(local_ip, cand), remote))
                    {
                        port = cand;
                        break;
                    }
                }
                if port == 0 {
                    return Err(Errno::EADDRNOTAVAIL);
                }
                self.bind_socket(s, Scope::One(local_ip), port)?
            }
        };
        let local = SocketAddr::new(local_ip, port);
        if self.demux.contains_key(&(local, remote)) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let now = self.now;
        let open = Open {
            local,
            remote,
            iss: self.isn.isn(now, local, remote),
            ts_offset: self.isn.ts_offset(local, remote),
        };
        let opts = self
            .socks
            .get(s)
            .map(|k| tcp_sockopts(&k.opts))
            .unwrap_or_default();
        let conn = Connection::connect(now, open, &self.cfg.profile, &opts);
        let c = self.conns.insert(ConnEntry::new(conn, Some(s), None));
        self.demux.insert((local, remote), c);
        if let Some(sock) = self.socks.get_mut(s) {
            sock.kind = Kind::Tcp(TcpSock::Conn(c));
            sock.connect_reported = false;
        }
        Ok(c)
    }

    /// A blocking connect, after its SYN: done when the handshake
    /// completes or fails.
    fn connect_wait(&mut self, s: u32) -> Step {
        let Some(c) = self.socks.get(s).and_then(Socket::conn) else {
            // The fd was closed or reused under the blocked call.
            return done(Err(Errno::EBADF));
        };
        match self.conns.get(c) {
            Some(e) if e.conn.is_connecting() => Step::Block,
            Some(_) => self.connect_result(s, c),
            None => done(Err(Errno::EBADF)),
        }
    }

    /// The answer of connect() once the handshake is over: 0 the first
    /// time after success, EISCONN after; the error after a failure.
    fn connect_result(&mut self, s: u32, c: u32) -> Step {
        let Some(e) = self.conns.get_mut(c) else {
            return done(Err(Errno::EBADF));
        };
        if e.conn.state() == State::Closed && !e.was_established {
            // `sock_error(sk) ?: -ECONNABORTED`.
            let err = e.conn.take_error().unwrap_or(Errno::ECONNABORTED);
            return done(Err(err));
        }
        let Some(sock) = self.socks.get_mut(s) else {
            return done(Err(Errno::EBADF));
        };
        if sock.connect_reported {
            return done(Err(Errno::EISCONN));
        }
        sock.connect_reported = true;
        done(Ok(0))
    }

    /// accept(2) / accept4(2).
    pub(crate) fn sys_accept(&mut self, fd: i32, flags: i32) -> Step {
        let s = match self.sock_of_fd(fd) {
            Ok(s) => s,
            Err(e) => return done(Err(e)),
        };
        let flags = i64::from(flags);
        if flags & !(linux::SOCK_NONBLOCK | linux::SOCK_CLOEXEC) != 0 {
            return done(Err(Errno::EINVAL));
        }
        let Some(sock) = self.socks.get_mut(s) else {
            return done(Err(Errno::EBADF));
        };
        let listener = match &mut sock.kind {
            Kind::Udp(_) => return done(Err(Errno::EOPNOTSUPP)),
            Kind::Tcp(TcpSock::Listening(l)) => l,
            Kind::Tcp(_) => return done(Err(Errno::EINVAL)),
        };
        let Some(c) = listener.accept_queue.pop_front() else {
            return if self.may_block(fd, 0) {
                Step::Block
            } else {
                done(Err(Errno::EAGAIN))
            };
        };
        let (family, opts) = (sock.family, sock.opts.clone());
        let Some(e) = self.conns.get(c) else {
            return done(Err(Errno::ECONNABORTED));
        };
        let (local, remote) = (e.conn.local(), e.conn.remote());
        let mut child = Socket::new(family, Kind::Tcp(TcpSock::Conn(c)), opts);
        child.bound = Some(Bound {
            scope: Scope::One(local.ip()),
            port: local.port(),
        });
        child.connect_reported = true;
        let new = self.socks.insert(child);
        let entry = FdEntry {
            kind: FdKind::Socket(new),
            nonblocking: flags & linux::SOCK_NONBLOCK != 0,
            cloexec: flags & linux::SOCK_CLOEXEC != 0,
        };
        let newfd = match self.fds.insert(entry) {
            Ok(fd) => fd,
            Err(err) => {
                self.socks.remove(new);
                if let Some(Kind::Tcp(TcpSock::Listening(l))) =
                    self.socks.get_mut(s).map(|k| &mut k.kind)
                {
                    l.accept_queue.push_front(c);
                }
                return done(Err(err));
            }
        };
        if let Some(e) = self.conns.get_mut(c) {
            e.sock = Some(new);
            e.listener = None;
        }
        Step::Done(CallResult::with(
            i64::from(newfd),
            CallOutput::Addr {
                data: Vec::new(),
                addr: Some(sock::to_user(family, remote)),
            },
        ))
    }

    /// send/write on a TCP socket. A blocking write takes everything before
    /// it returns (or stops at an error, returning what it took).
    pub(crate) fn tcp_send(&mut self, s: u32, a: SendArgs<'_>, p: &mut Progress) -> Step {
        if i64::from(a.flags) & linux::MSG_OOB != 0 {
            // Urgent data is not sent by this stack.
            return done(Err(Errno::EOPNOTSUPP));
        }
        let blocking = self.may_block(a.fd, a.flags);
        let Some(sock) = self.socks.get(s) else {
            return done(Err(Errno::EBADF));
        };
        let c = match sock.kind {
            Kind::Tcp(TcpSock::Conn(c)) => c,
            // sk_stream_wait_connect: not connected, not connecting.
            _ => return done(Err(Errno::EPIPE)),
        };
        let shut_wr = sock.shut_wr;
        let now = self.now;
        let Some(e) = self.conns.get_mut(c) else {
            return done(Err(Errno::EPIPE));
        };
        if e.conn.is_connecting() {
            if let Some(err) = e.conn.take_error() {
                return done(Err(err));
            }
            return if blocking {
                Step::Block
            } else {
                done(Err(Errno::EAGAIN))
            };
        }
        if shut_wr && p.done == 0 {
            return done(Err(e.conn.take_error().unwrap_or(Errno::EPIPE)));
        }
        if a.data.is_empty() {
            return done(Ok(0));
        }
        let before = self.conn_snapshot(c);
        let Some(e) = self.conns.get_mut(c) else {
            return done(Err(Errno::EPIPE));
        };
        let more = i64::from(a.flags) & linux::MSG_MORE != 0;
        let r = e
            .conn
            .send_with(now, &a.data[p.done.min(a.data.len())..], more);
        let step = match r {
            Ok(n) => {
                p.done += n;
                if p.done >= a.data.len() || !blocking {
                    done(Ok(p.done as i64))
                } else {
                    e.nospace = true;
                    Step::Block
                }
            }
            Err(Errno::EAGAIN) if blocking => {
                e.nospace = true;
                Step::Block
            }
            Err(Errno::EAGAIN) => {
                e.nospace = true;
                done(Err(Errno::EAGAIN))
            }
            Err(_) if p.done > 0 => done(Ok(p.done as i64)),
            Err(err) => done(Err(err)),
        };
        self.conn_changed(c, before);
        step
    }

    /// recv/read on a TCP socket.
    pub(crate) fn tcp_recv(&mut self, s: u32, a: RecvArgs, p: &mut Progress) -> Step {
        let flags = i64::from(a.flags);
        if flags & linux::MSG_OOB != 0 {
            // No urgent byte is ever held out of band here.
            return done(Err(Errno::EINVAL));
        }
        if flags & linux::MSG_ERRQUEUE != 0 {
            return done(Err(Errno::EAGAIN));
        }
        let blocking = self.may_block(a.fd, a.flags);
        let Some(sock) = self.socks.get(s) else {
            return done(Err(Errno::EBADF));
        };
        let c = match sock.kind {
            Kind::Tcp(TcpSock::Conn(c)) => c,
            Kind::Tcp(TcpSock::Idle) if sock.shut_rd => return self.recv_done(a, Vec::new(), 0),
            _ => return done(Err(Errno::ENOTCONN)),
        };
        if a.len == 0 {
            return self.recv_done(a, Vec::new(), 0);
        }
        let Some(e) = self.conns.get(c) else {
            return done(Err(Errno::ENOTCONN));
        };
        let want = a.len - p.data.len().min(a.len);
        let mut buf = vec![0u8; want.min(e.conn.recv_queue_len().max(1))];
        let peek = flags & linux::MSG_PEEK != 0;
        let r = self.tcp_recv_attempt(c, peek, &mut buf);
        let waitall = flags & linux::MSG_WAITALL != 0 && !peek && blocking;
        match r {
            Ok(n) => {
                buf.truncate(n);
                p.data.extend_from_slice(&buf);
                if n > 0 && waitall && p.data.len() < a.len {
                    Step::Block
                } else {
                    let data = std::mem::take(&mut p.data);
                    let len = data.len();
                    // MSG_TRUNC on TCP: the bytes are consumed, not copied.
                    let data = if flags & linux::MSG_TRUNC != 0 {
                        Vec::new()
                    } else {
                        data
                    };
                    Step::Done(CallResult::with(
                        len as i64,
                        recv_output(a.shape, data, None, 0),
                    ))
                }
            }
            Err(Errno::EAGAIN) if !p.data.is_empty() => {
                if blocking {
                    Step::Block
                } else {
                    let data = std::mem::take(&mut p.data);
                    Step::Done(CallResult::with(
                        data.len() as i64,
                        recv_output(a.shape, data, None, 0),
                    ))
                }
            }
            Err(Errno::EAGAIN) if blocking => Step::Block,
            Err(err) => done(Err(err)),
        }
    }

    /// One RECEIVE (or MSG_PEEK) of connection `c` into `buf`, with the
    /// wake-ups and window update it causes.
    pub(crate) fn tcp_recv_attempt(
        &mut self,
        c: u32,
        peek: bool,
        buf: &mut [u8],
    ) -> Result<usize, Errno> {
        let now = self.now;
        let before = self.conn_snapshot(c);
        let Some(e) = self.conns.get_mut(c) else {
            return Err(Errno::ENOTCONN);
        };
        let r = if peek {
            e.conn.peek(buf)
        } else {
            e.conn.recv(now, buf)
        };
        self.conn_changed(c, before);
        r
    }

    fn recv_done(&self, a: RecvArgs, data: Vec<u8>, msg_flags: i32) -> Step {
        Step::Done(CallResult::with(
            data.len() as i64,
            recv_output(a.shape, data, None, msg_flags),
        ))
    }
}
