//! UDP sockets through the socket API and from the wire: connect, send and
//! receive (Linux `udp_sendmsg`, `udp_recvmsg`, `__ip4_datagram_connect`),
//! and the demultiplexing of inbound datagrams (`__udp4_lib_lookup`).

use super::call::CallResult;
use super::dispatch::{RecvArgs, SendArgs};
use super::sock::{self, Family, Kind};
use super::tcp_calls::recv_output;
use crate::host::pending::Step;
use crate::host::ports::{Owner, Proto, Scope};
use crate::host::{InputOutcome, Stack};
use crate::linux::{self, Errno};
use crate::udp::{MAX_PAYLOAD_V4, MAX_PAYLOAD_V6};
use crate::wire::{IpRepr, UdpRepr};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

impl Stack {
    /// A destination given to a UDP socket, in wire form. An AF_INET6 UDP
    /// socket also takes a `sockaddr_in` (Linux `udpv6_sendmsg`,
    /// `ip6_datagram_connect`), unless it is v6-only.
    fn udp_dest(
        &self,
        family: Family,
        v6only: bool,
        addr: SocketAddr,
    ) -> Result<SocketAddr, Errno> {
        match (family, addr) {
            (Family::Inet6, SocketAddr::V4(_)) if v6only => Err(Errno::EAFNOSUPPORT),
            (Family::Inet6, SocketAddr::V4(_)) => Ok(addr),
            _ => sock::to_wire(family, v6only, addr),
        }
    }

    /// Binds an unbound UDP socket to the wildcard and an ephemeral port
    /// (`inet_autobind`).
    fn udp_autobind(&mut self, s: u32) -> Result<(), Errno> {
        let Some(sock) = self.socks.get(s) else {
            return Err(Errno::EBADF);
        };
        if sock.bound.is_some() {
            return Ok(());
        }
        let any: IpAddr = match sock.family {
            Family::Inet => Ipv4Addr::UNSPECIFIED.into(),
            Family::Inet6 => Ipv6Addr::UNSPECIFIED.into(),
        };
        let scope = sock::scope_for(sock.family, sock.opts.v6only, any);
        // Linux reports an exhausted range as EAGAIN here.
        self.bind_socket(s, scope, 0).map_err(|_| Errno::EAGAIN)?;
        Ok(())
    }

    /// connect(2) on a UDP socket: sets the default destination and the
    /// source address; datagrams from anyone else are no longer received.
    pub(crate) fn udp_connect(&mut self, s: u32, addr: SocketAddr) -> Result<i64, Errno> {
        let sock = self.socks.get(s).ok_or(Errno::EBADF)?;
        let remote = self.udp_dest(sock.family, sock.opts.v6only, addr)?;
        self.udp_autobind(s)?;
        let source = self.udp_source(s, remote.ip())?;
        let sock = self.socks.get_mut(s).ok_or(Errno::EBADF)?;
        sock.peer = Some(remote);
        if let Some(b) = &mut sock.bound {
            if !b.scope.is_exact() {
                // The receive address becomes the source (rehash).
                b.scope = Scope::One(source);
                let port = b.port;
                self.ports.update(Proto::Udp, port, Owner::Socket(s), |b| {
                    b.scope = Scope::One(source)
                });
            }
        }
        Ok(0)
    }

    /// The source address for a datagram to `dst`.
    fn udp_source(&self, s: u32, dst: IpAddr) -> Result<IpAddr, Errno> {
        match self.socks.get(s).and_then(|k| k.bound).map(|b| b.scope) {
            Some(Scope::One(ip)) if ip.is_ipv4() == dst.is_ipv4() => Ok(ip),
            Some(Scope::One(_)) => Err(Errno::ENETUNREACH),
            _ => self.source_for(dst).ok_or(Errno::ENETUNREACH),
        }
    }

    /// send/sendto/sendmsg/write on a UDP socket: one call, one datagram
    /// (RFC 768), sent at once.
    pub(crate) fn udp_send(&mut self, s: u32, a: SendArgs<'_>) -> Result<i64, Errno> {
        if i64::from(a.flags) & linux::MSG_OOB != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let sock = self.socks.get_mut(s).ok_or(Errno::EBADF)?;
        if let Some(e) = sock.take_error() {
            return Err(e);
        }
        if sock.shut_wr {
            return Err(Errno::EPIPE);
        }
        let (family, v6only, peer) = (sock.family, sock.opts.v6only, sock.peer);
        let dst = match a.addr {
            Some(addr) => {
                let d = self.udp_dest(family, v6only, addr)?;
                if d.port() == 0 {
                    return Err(Errno::EINVAL);
                }
                d
            }
            None => peer.ok_or(Errno::EDESTADDRREQ)?,
        };
        let max = if dst.is_ipv4() {
            MAX_PAYLOAD_V4
        } else {
            MAX_PAYLOAD_V6
        };
        if a.data.len() > max {
            return Err(Errno::EMSGSIZE);
        }
        self.udp_autobind(s)?;
        let src = self.udp_source(s, dst.ip())?;
        let port = self
            .socks
            .get(s)
            .and_then(|k| k.bound)
            .map_or(0, |b| b.port);
        self.emit_udp(SocketAddr::new(src, port), dst, &a.data, peer.is_some());
        Ok(a.data.len() as i64)
    }

    /// recv/recvfrom/recvmsg/read on a UDP socket.
    pub(crate) fn udp_recv(&mut self, s: u32, a: RecvArgs) -> Step {
        let flags = i64::from(a.flags);
        if flags & linux::MSG_ERRQUEUE != 0 {
            return Step::Done(CallResult::err(Errno::EAGAIN));
        }
        let blocking = self.may_block(a.fd, a.flags);
        let Some(sock) = self.socks.get_mut(s) else {
            return Step::Done(CallResult::err(Errno::EBADF));
        };
        // __skb_recv_udp checks the socket error before the queue.
        if let Some(e) = sock.take_error() {
            return Step::Done(CallResult::err(e));
        }
        let family = sock.family;
        let shut_rd = sock.shut_rd;
        let Kind::Udp(u) = &mut sock.kind else {
            return Step::Done(CallResult::err(Errno::EBADF));
        };
        match u.recv(a.len, flags & linux::MSG_PEEK != 0) {
            Ok(r) => {
                let ret = if flags & linux::MSG_TRUNC != 0 {
                    r.full_len
                } else {
                    r.data.len()
                };
                let msg_flags = if r.truncated() {
                    linux::MSG_TRUNC as i32
                } else {
                    0
                };
                let from = sock::to_user(family, r.from);
                Step::Done(CallResult::with(
                    ret as i64,
                    recv_output(a.shape, r.data, Some(from), msg_flags),
                ))
            }
            Err(_) if shut_rd => Step::Done(CallResult::with(
                0,
                recv_output(a.shape, Vec::new(), None, 0),
            )),
            Err(_) if blocking => Step::Block,
            Err(e) => Step::Done(CallResult::err(e)),
        }
    }

    /// The socket that receives a datagram for `local_ip:port` from
    /// `remote`: a connected socket must match the sender; more specific
    /// sockets win (Linux `compute_score`).
    pub(crate) fn udp_lookup(
        &self,
        local_ip: IpAddr,
        port: u16,
        remote: SocketAddr,
    ) -> Option<u32> {
        let mut best: Option<(u32, u32)> = None;
        for b in self.ports.holders(Proto::Udp, port) {
            let Owner::Socket(s) = b.owner else { continue };
            if !b.scope.accepts(local_ip) {
                continue;
            }
            let Some(sock) = self.socks.get(s) else {
                continue;
            };
            let mut score = 1;
            match sock.peer {
                Some(p) if p != remote => continue,
                Some(_) => score += 4,
                None => {}
            }
            if b.scope.is_exact() {
                score += 4;
            }
            if (sock.family == Family::Inet) == local_ip.is_ipv4() {
                score += 1;
            }
            if best.is_none_or(|(_, bs)| score > bs) {
                best = Some((s, score));
            }
        }
        best.map(|(s, _)| s)
    }

    /// An inbound UDP datagram: to its socket, or ICMP port unreachable.
    pub(crate) fn udp_input(
        &mut self,
        original: &[u8],
        ip: &IpRepr<'_>,
        src: IpAddr,
        dst: IpAddr,
        u: &UdpRepr<'_>,
    ) -> InputOutcome {
        let remote = SocketAddr::new(src, u.src_port);
        let Some(s) = self.udp_lookup(dst, u.dst_port, remote) else {
            self.counters.udp_no_port += 1;
            let len = ip.header_len() + ip.payload_len();
            self.send_port_unreachable(&original[..len.min(original.len())], src, dst);
            return InputOutcome::Answered;
        };
        let delivered = match self.socks.get_mut(s).map(|k| &mut k.kind) {
            Some(Kind::Udp(q)) => q.deliver(remote, u.payload.to_vec()),
            _ => false,
        };
        if !delivered {
            self.counters.udp_rcvbuf_drops += 1;
            return InputOutcome::Dropped(crate::host::ip::DropCause::Transport);
        }
        self.wake_socket(s, super::readiness::IN | super::readiness::RDNORM);
        InputOutcome::Delivered
    }
}
