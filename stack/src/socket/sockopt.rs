//! setsockopt/getsockopt applied to sockets and their connections.

use super::call::Buf;
use super::opts::{self, Opt, SockKind, Value};
use super::sock::{
    CORE_RMEM_MAX, CORE_WMEM_MAX, Family, Kind, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF, Socket, TcpSock,
};
use crate::host::Stack;
use crate::host::ports::Owner;
use crate::linux::{self, Errno, TcpInfo};
use crate::time::Duration;

/// `sock_setsockopt`'s buffer rule: the value is capped at the sysctl
/// maximum (as unsigned, so a negative value means the maximum), doubled
/// for overhead, and floored.
fn buffer_size(v: i32, max: u32, min: u32) -> u32 {
    let v = (v as u32).min(max).max(1).min(i32::MAX as u32 / 2);
    (v * 2).max(min)
}

impl Stack {
    fn opt_kind(sock: &Socket) -> SockKind {
        SockKind {
            ipv6: sock.family == Family::Inet6,
            tcp: sock.is_tcp(),
        }
    }

    /// The name of the congestion control new connections use.
    fn default_congestion(&self) -> &'static str {
        crate::tcp::congestion::new_reno(&self.cfg.profile, 536).name()
    }

    /// setsockopt(2).
    pub(crate) fn sys_setsockopt(
        &mut self,
        fd: i32,
        level: i32,
        name: i32,
        value: &Buf,
        len: u32,
    ) -> Result<i64, Errno> {
        let s = self.sock_of_fd(fd)?;
        let sock = self.socks.get(s).ok_or(Errno::EBADF)?;
        let opt = opts::lookup(Self::opt_kind(sock), level, name)?;
        let v = opts::decode(opt, value, len)?;
        let int = match v {
            Value::Int(i) => i,
            _ => 0,
        };
        let on = int != 0;
        let now = self.now;
        let default_cc = self.default_congestion();
        let sock = self.socks.get_mut(s).ok_or(Errno::EBADF)?;
        let c = sock.conn();
        let o = &mut sock.opts;
        match (opt, &v) {
            (Opt::ReuseAddr, _) => o.reuse_addr = on,
            (Opt::ReusePort, _) => o.reuse_port = on,
            (Opt::Linger, Value::Linger { on, secs }) => o.linger = on.then_some(*secs),
            (Opt::RcvBuf, _) => {
                o.rcvbuf = buffer_size(int, CORE_RMEM_MAX, SOCK_MIN_RCVBUF);
                o.rcvbuf_locked = true;
            }
            (Opt::SndBuf, _) => {
                o.sndbuf = buffer_size(int, CORE_WMEM_MAX, SOCK_MIN_SNDBUF);
                o.sndbuf_locked = true;
            }
            (Opt::KeepAlive, _) => o.keepalive = on,
            (Opt::NoDelay, _) => o.nodelay = on,
            (Opt::Cork, _) => o.cork = on,
            (Opt::MaxSeg, _) => o.maxseg = int as u16,
            (Opt::KeepIdle, _) => o.keepidle = int as u32,
            (Opt::KeepIntvl, _) => o.keepintvl = int as u32,
            (Opt::KeepCnt, _) => o.keepcnt = int as u32,
            (Opt::UserTimeout, _) => o.user_timeout = int as u32,
            (Opt::SynCnt, _) => o.syncnt = int as u32,
            (Opt::QuickAck, _) => {}
            (Opt::Congestion, Value::Name(n)) => {
                // tcp_set_congestion_control: an unknown algorithm is ENOENT.
                if n != default_cc {
                    return Err(Errno::ENOENT);
                }
                o.congestion = n.clone();
            }
            (Opt::V6Only, _) => {
                // IPV6_V6ONLY cannot change once the socket has a port.
                if sock.bound.is_some() {
                    return Err(Errno::EINVAL);
                }
                o.v6only = on;
            }
            _ => return Err(Errno::ENOPROTOOPT),
        }
        let (reuse_addr, reuse_port, rcvbuf, sndbuf) =
            (o.reuse_addr, o.reuse_port, o.rcvbuf, o.sndbuf);
        let bound = sock.bound;
        if let Kind::Udp(u) = &mut sock.kind {
            u.rcvbuf = rcvbuf as usize;
        }
        if let (Some(b), Opt::ReuseAddr | Opt::ReusePort) = (bound, opt) {
            let proto = self.proto_of(s);
            self.ports.update(proto, b.port, Owner::Socket(s), |b| {
                b.reuse_addr = reuse_addr;
                b.reuse_port = reuse_port;
            });
        }
        if let Some(c) = c {
            let before = self.conn_snapshot(c);
            if let Some(e) = self.conns.get_mut(c) {
                let conn = &mut e.conn;
                let secs = |v: i32| Duration::from_secs(v as u64);
                match opt {
                    Opt::NoDelay => conn.set_nodelay(on),
                    Opt::Cork => conn.set_cork(on),
                    Opt::KeepAlive => conn.set_keepalive(now, on),
                    Opt::KeepIdle => conn.set_keepidle(now, secs(int)),
                    Opt::KeepIntvl => conn.set_keepintvl(secs(int)),
                    Opt::KeepCnt => conn.set_keepcnt(int as u32),
                    Opt::UserTimeout => conn.set_user_timeout(Duration::from_millis(int as u64)),
                    Opt::MaxSeg if int > 0 => conn.set_maxseg(int as u16),
                    Opt::RcvBuf => conn.set_recv_buffer(rcvbuf),
                    Opt::SndBuf => conn.set_send_buffer(sndbuf),
                    Opt::QuickAck => conn.set_quickack(on),
                    Opt::SynCnt => conn.set_syn_retries(int as u32),
                    _ => {}
                }
            }
            self.conn_changed(c, before);
        }
        Ok(0)
    }

    /// getsockopt(2): the option's bytes, cut to `len`.
    pub(crate) fn sys_getsockopt(
        &mut self,
        fd: i32,
        level: i32,
        name: i32,
        len: u32,
    ) -> Result<Vec<u8>, Errno> {
        let s = self.sock_of_fd(fd)?;
        let now = self.now;
        let default_cc = self.default_congestion();
        let profile = self.cfg.profile;
        let sock = self.socks.get_mut(s).ok_or(Errno::EBADF)?;
        let opt = opts::lookup(Self::opt_kind(sock), level, name)?;
        let c = sock.conn();
        let conn = c.and_then(|c| self.conns.get_mut(c)).map(|e| &mut e.conn);
        let o = &sock.opts;
        let int = |v: i64| Ok(opts::encode_int(v as i32, len));
        match opt {
            Opt::ReuseAddr => int(o.reuse_addr.into()),
            Opt::ReusePort => int(o.reuse_port.into()),
            Opt::KeepAlive => int(o.keepalive.into()),
            Opt::Linger => Ok(opts::encode_linger(
                o.linger.is_some(),
                o.linger.unwrap_or(0),
                len,
            )),
            Opt::RcvBuf => int(o.rcvbuf.into()),
            Opt::SndBuf => int(o.sndbuf.into()),
            Opt::Error => {
                // Reading SO_ERROR clears it (`sock_error`).
                let e = sock
                    .error
                    .take()
                    .or_else(|| conn.and_then(|c| c.take_error()));
                int(e.map_or(0, |e| i64::from(e.0)))
            }
            Opt::Type => int(if sock.is_tcp() {
                linux::SOCK_STREAM
            } else {
                linux::SOCK_DGRAM
            }),
            Opt::Domain => int(match sock.family {
                Family::Inet => linux::AF_INET,
                Family::Inet6 => linux::AF_INET6,
            }),
            Opt::Protocol => int(if sock.is_tcp() {
                linux::IPPROTO_TCP
            } else {
                linux::IPPROTO_UDP
            }),
            Opt::AcceptConn => int(matches!(sock.kind, Kind::Tcp(TcpSock::Listening(_))).into()),
            Opt::NoDelay => int(o.nodelay.into()),
            Opt::Cork => int(o.cork.into()),
            Opt::MaxSeg => {
                // do_tcp_getsockopt: the current MSS, or the user's value
                // before the connection exists; 536 by default.
                let v = match conn {
                    Some(c) if c.state().is_synchronized() => {
                        i64::from(c.negotiated().eff_snd_mss(&profile))
                    }
                    _ if o.maxseg > 0 => i64::from(o.maxseg),
                    _ => i64::from(profile.default_mss_v4),
                };
                int(v)
            }
            Opt::KeepIdle => int(if o.keepidle > 0 {
                o.keepidle.into()
            } else {
                (profile.keepalive_time.as_micros() / 1_000_000) as i64
            }),
            Opt::KeepIntvl => int(if o.keepintvl > 0 {
                o.keepintvl.into()
            } else {
                (profile.keepalive_intvl.as_micros() / 1_000_000) as i64
            }),
            Opt::KeepCnt => int(if o.keepcnt > 0 {
                o.keepcnt
            } else {
                profile.keepalive_probes
            }
            .into()),
            Opt::UserTimeout => int(o.user_timeout.into()),
            Opt::SynCnt => int(if o.syncnt > 0 {
                o.syncnt
            } else {
                profile.syn_retries
            }
            .into()),
            Opt::QuickAck => int(conn.map_or(1, |c| i64::from(c.sockopts().quickack))),
            Opt::Info => {
                let info = match conn {
                    Some(c) => c.tcp_info(now),
                    None => {
                        let mut i = TcpInfo::new();
                        let state = match sock.kind {
                            Kind::Tcp(TcpSock::Listening(_)) => linux::TCP_LISTEN,
                            _ => linux::TCP_CLOSE,
                        };
                        i.set("state", state as u64);
                        i
                    }
                };
                let mut b = info.to_bytes();
                b.truncate(len as usize);
                Ok(b)
            }
            Opt::Congestion => {
                let name = conn.map_or(default_cc, |c| c.congestion_name());
                Ok(opts::encode_name(name, len))
            }
            Opt::V6Only => int(o.v6only.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffer_sizes_double_cap_and_floor() {
        assert_eq!(buffer_size(1000, 212_992, 2304), 2304);
        assert_eq!(buffer_size(10_000, 212_992, 2304), 20_000);
        assert_eq!(buffer_size(1 << 30, 212_992, 2304), 425_984);
        assert_eq!(buffer_size(-1, 212_992, 2304), 425_984);
        assert_eq!(buffer_size(0, 212_992, 4608), 4608);
    }
}
