//! One socket: its family, protocol, options and addresses, and the
//! translation between user addresses (what the socket API shows) and wire
//! addresses (what the packets carry).

use super::listen::Listener;
use crate::host::ports::Scope;
use crate::linux::Errno;
use crate::udp::UdpSocket;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Address family of a socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Inet,
    Inet6,
}

/// Defaults Linux gives a new socket's buffers (`net.core.*mem_default`,
/// used by UDP; TCP takes `tcp_rmem[1]`/`tcp_wmem[1]` from the profile).
/// Unverified.
pub const CORE_RMEM_DEFAULT: u32 = 212_992;
pub const CORE_WMEM_DEFAULT: u32 = 212_992;
/// `net.core.rmem_max` / `wmem_max`: the ceiling for SO_RCVBUF/SO_SNDBUF
/// (before doubling). Unverified.
pub const CORE_RMEM_MAX: u32 = 212_992;
pub const CORE_WMEM_MAX: u32 = 212_992;
/// Floors after doubling (`SOCK_MIN_RCVBUF`, `SOCK_MIN_SNDBUF`: twice
/// `TCP_SKB_MIN_TRUESIZE`). Unverified.
pub const SOCK_MIN_RCVBUF: u32 = 2_304;
pub const SOCK_MIN_SNDBUF: u32 = 4_608;

/// The options a socket carries; TCP ones are handed to its connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SockOpts {
    pub reuse_addr: bool,
    pub reuse_port: bool,
    pub keepalive: bool,
    /// SO_LINGER: `Some(seconds)` when on.
    pub linger: Option<i32>,
    /// SO_RCVBUF / SO_SNDBUF as the kernel stores them (doubled).
    pub rcvbuf: u32,
    pub sndbuf: u32,
    /// Set by the user: the stack no longer auto-tunes that buffer
    /// (`SOCK_RCVBUF_LOCK` / `SOCK_SNDBUF_LOCK`).
    pub rcvbuf_locked: bool,
    pub sndbuf_locked: bool,
    pub v6only: bool,
    pub nodelay: bool,
    pub cork: bool,
    /// TCP_MAXSEG (0: none).
    pub maxseg: u16,
    /// TCP_KEEPIDLE / TCP_KEEPINTVL in seconds and TCP_KEEPCNT; 0 = the
    /// profile's default.
    pub keepidle: u32,
    pub keepintvl: u32,
    pub keepcnt: u32,
    /// TCP_USER_TIMEOUT in ms (0: none).
    pub user_timeout: u32,
    /// TCP_SYNCNT (0: the profile's `tcp_syn_retries`).
    pub syncnt: u32,
    pub congestion: String,
}

/// The protocol half of a socket.
#[derive(Clone, Debug)]
pub enum Kind {
    Tcp(TcpSock),
    Udp(UdpSocket),
}

/// Where a TCP socket is in its life.
#[derive(Clone, Debug)]
pub enum TcpSock {
    /// Created, maybe bound, never connected or listening.
    Idle,
    Listening(Listener),
    /// Connecting, connected, or closed after either: the connection's key.
    /// The connection lives as long as the socket holds it, so that its
    /// error and end of stream stay visible.
    Conn(u32),
}

/// A bound address: the scope it receives for and the port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bound {
    pub scope: Scope,
    pub port: u16,
}

impl Bound {
    /// The address getsockname shows, in wire form (unspecified for a
    /// wildcard).
    pub fn wire_ip(&self, family: Family) -> IpAddr {
        match self.scope {
            Scope::One(a) => a,
            Scope::Any4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Scope::Any6Only | Scope::AnyDual => match family {
                Family::Inet => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                Family::Inet6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            },
        }
    }
}

/// A socket.
#[derive(Clone, Debug)]
pub struct Socket {
    pub family: Family,
    pub kind: Kind,
    pub opts: SockOpts,
    /// Set once bound (explicitly or by connect/listen/sendto).
    pub bound: Option<Bound>,
    /// UDP: the connected peer, in wire form.
    pub peer: Option<SocketAddr>,
    /// A pending error for `SO_ERROR` (cleared when read).
    pub error: Option<Errno>,
    pub shut_rd: bool,
    pub shut_wr: bool,
    /// connect() has already returned 0 for the current connection (a
    /// second connect() after a non-blocking one completes returns 0 once,
    /// then EISCONN).
    pub connect_reported: bool,
    /// (epoll key, fd) of every epoll set watching this socket.
    pub watchers: Vec<(u32, i32)>,
}

impl Socket {
    pub fn new(family: Family, kind: Kind, opts: SockOpts) -> Self {
        Socket {
            family,
            kind,
            opts,
            bound: None,
            peer: None,
            error: None,
            shut_rd: false,
            shut_wr: false,
            connect_reported: false,
            watchers: Vec::new(),
        }
    }

    pub fn is_tcp(&self) -> bool {
        matches!(self.kind, Kind::Tcp(_))
    }

    /// The connection key of a connecting/connected TCP socket.
    pub fn conn(&self) -> Option<u32> {
        match self.kind {
            Kind::Tcp(TcpSock::Conn(c)) => Some(c),
            _ => None,
        }
    }

    /// Takes the pending error (`sock_error`: reading it clears it).
    pub fn take_error(&mut self) -> Option<Errno> {
        self.error.take()
    }
}

/// A user address turned into the address the packets carry, checked
/// against the socket's family as Linux's `inet_bind`/`inet6_bind` and
/// `*_connect` do: an AF_INET socket takes only IPv4 addresses
/// (`EAFNOSUPPORT` otherwise), an AF_INET6 socket takes IPv6 addresses,
/// where `::ffff:a.b.c.d` means IPv4 (refused with `IPV6_V6ONLY`), and a
/// `sockaddr_in` given to it is too short (`EINVAL`).
pub fn to_wire(family: Family, v6only: bool, addr: SocketAddr) -> Result<SocketAddr, Errno> {
    match (family, addr) {
        (Family::Inet, SocketAddr::V4(_)) => Ok(addr),
        (Family::Inet, SocketAddr::V6(_)) => Err(Errno::EAFNOSUPPORT),
        (Family::Inet6, SocketAddr::V4(_)) => Err(Errno::EINVAL),
        (Family::Inet6, SocketAddr::V6(a)) => match a.ip().to_ipv4_mapped() {
            Some(_) if v6only => Err(Errno::EINVAL),
            Some(v4) => Ok(SocketAddr::new(IpAddr::V4(v4), a.port())),
            None => Ok(addr),
        },
    }
}

/// A wire address as a socket of `family` shows it (IPv4 on an AF_INET6
/// socket appears as `::ffff:a.b.c.d`).
pub fn to_user(family: Family, addr: SocketAddr) -> SocketAddr {
    match (family, addr.ip()) {
        (Family::Inet6, IpAddr::V4(v4)) => {
            SocketAddr::new(IpAddr::V6(v4.to_ipv6_mapped()), addr.port())
        }
        _ => addr,
    }
}

/// The binding scope for a wire address on a socket of `family`.
pub fn scope_for(family: Family, v6only: bool, ip: IpAddr) -> Scope {
    if !ip.is_unspecified() {
        return Scope::One(ip);
    }
    match (family, ip) {
        (Family::Inet, _) | (_, IpAddr::V4(_)) => Scope::Any4,
        (Family::Inet6, IpAddr::V6(_)) if v6only => Scope::Any6Only,
        (Family::Inet6, IpAddr::V6(_)) => Scope::AnyDual,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn user_addresses_map_to_wire_addresses_by_family() {
        let cases: &[(Family, bool, &str, Result<&str, Errno>)] = &[
            (Family::Inet, false, "192.0.2.1:80", Ok("192.0.2.1:80")),
            (
                Family::Inet,
                false,
                "[2001:db8::1]:80",
                Err(Errno::EAFNOSUPPORT),
            ),
            (Family::Inet6, false, "192.0.2.1:80", Err(Errno::EINVAL)),
            (
                Family::Inet6,
                false,
                "[2001:db8::1]:80",
                Ok("[2001:db8::1]:80"),
            ),
            (
                Family::Inet6,
                false,
                "[::ffff:192.0.2.1]:80",
                Ok("192.0.2.1:80"),
            ),
            (
                Family::Inet6,
                true,
                "[::ffff:192.0.2.1]:80",
                Err(Errno::EINVAL),
            ),
        ];
        for (fam, v6only, user, want) in cases {
            assert_eq!(
                to_wire(*fam, *v6only, a(user)),
                want.map(a),
                "{fam:?} {user}"
            );
        }
        assert_eq!(
            to_user(Family::Inet6, a("192.0.2.1:80")),
            a("[::ffff:192.0.2.1]:80")
        );
        assert_eq!(to_user(Family::Inet, a("192.0.2.1:80")), a("192.0.2.1:80"));
    }

    #[test]
    fn wildcard_scopes_follow_family_and_v6only() {
        let any4: IpAddr = Ipv4Addr::UNSPECIFIED.into();
        let any6: IpAddr = Ipv6Addr::UNSPECIFIED.into();
        assert_eq!(scope_for(Family::Inet, false, any4), Scope::Any4);
        assert_eq!(scope_for(Family::Inet6, false, any6), Scope::AnyDual);
        assert_eq!(scope_for(Family::Inet6, true, any6), Scope::Any6Only);
        // `::ffff:0.0.0.0` on an AF_INET6 socket is the IPv4 wildcard.
        assert_eq!(scope_for(Family::Inet6, false, any4), Scope::Any4);
        let one: IpAddr = "192.168.0.1".parse().unwrap();
        assert_eq!(scope_for(Family::Inet6, false, one), Scope::One(one));
        let b = Bound {
            scope: Scope::AnyDual,
            port: 1,
        };
        assert_eq!(b.wire_ip(Family::Inet6), any6);
    }
}
