//! ICMP: errors we send (port unreachable for a closed UDP port) and errors
//! we receive, delivered to the socket or connection they concern
//! (RFC 1122 §3.2.2, §4.1.3.3, §4.2.3.9; RFC 4443 §3; RFC 9293 §3.9.2.2).

use super::Stack;
use super::ip::{DropCause, InputOutcome};
use crate::linux::Errno;
use crate::profile::IcmpInHandshake;
use crate::tcp::State;
use crate::time::{Duration, Instant};
use crate::wire::{
    Checksum, Icmpv4Message, Icmpv4Repr, Icmpv6Message, Icmpv6Repr, IpProtocol, QuotedDatagram,
    UpperRepr,
};
use std::net::{IpAddr, SocketAddr};

/// How much of the offending datagram an ICMPv4 error quotes: the error
/// stays within 576 bytes (RFC 1812 §4.3.2.3; Linux `icmp_send`).
const QUOTE_V4: usize = 576 - 20 - 8;
/// ICMPv6: within the minimum MTU, 1280 bytes (RFC 4443 §2.4(c)).
const QUOTE_V6: usize = 1280 - 40 - 8;

/// Per-destination ICMP error rate limit (RFC 1812 §4.3.2.8, RFC 4443
/// §2.4(f)): Linux's token bucket, one token per `icmp_ratelimit` (1 s),
/// at most [`BURST`] saved (`XRLIM_BURST_FACTOR`). Unverified.
const RATE: Duration = Duration::from_secs(1);
const BURST: u64 = 6;

/// An ICMP error as the transport layer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct IcmpError {
    pub errno: Errno,
    /// A hard error (RFC 1122 §4.2.3.9: port/protocol unreachable and the
    /// like) as opposed to a soft one (net/host unreachable, time exceeded).
    pub hard: bool,
    /// Linux drops a SYN-RECEIVED request on it (`tcp_req_err`'s `abort`:
    /// net/host unreachable and time exceeded for IPv4, the `fatal` errors
    /// of `icmpv6_err_convert` for IPv6).
    pub drops_request: bool,
}

/// ICMPv4 destination unreachable codes to errno and hardness, as Linux's
/// `icmp_err_convert` table (ENONET for code 8 is reported as EHOSTUNREACH).
fn v4_unreachable(code: u8) -> IcmpError {
    let (errno, hard) = match code {
        0 => (Errno::ENETUNREACH, false),
        1 => (Errno::EHOSTUNREACH, false),
        2 => (Errno::ENOPROTOOPT, true),
        3 => (Errno::ECONNREFUSED, true),
        4 => (Errno::EMSGSIZE, false),
        5 => (Errno::EOPNOTSUPP, false),
        6 | 9 => (Errno::ENETUNREACH, true),
        7 => (Errno::EHOSTDOWN, true),
        11 => (Errno::ENETUNREACH, false),
        12 => (Errno::EHOSTUNREACH, false),
        _ => (Errno::EHOSTUNREACH, true),
    };
    IcmpError {
        errno,
        hard,
        drops_request: code <= 1,
    }
}

/// ICMPv6 destination unreachable codes (Linux `icmpv6_err_convert`).
fn v6_unreachable(code: u8) -> IcmpError {
    let errno = match code {
        0 => Errno::ENETUNREACH,
        1 | 5 | 6 => Errno::EACCES,
        4 => Errno::ECONNREFUSED,
        _ => Errno::EHOSTUNREACH,
    };
    IcmpError {
        errno,
        hard: true,
        // Linux's table: no route, beyond scope and address unreachable
        // are not fatal.
        drops_request: !matches!(code, 0 | 2 | 3),
    }
}

/// Per-peer token buckets for the errors we send.
#[derive(Clone, Debug, Default)]
pub(crate) struct IcmpLimiter {
    peers: std::collections::BTreeMap<IpAddr, (u64, Instant)>,
}

impl IcmpLimiter {
    fn allow(&mut self, peer: IpAddr, now: Instant) -> bool {
        let (tokens, last) = self.peers.entry(peer).or_insert((BURST, now));
        let earned = now.saturating_since(*last).as_micros() / RATE.as_micros();
        if earned > 0 {
            *tokens = (*tokens + earned).min(BURST);
            *last = now;
        }
        if *tokens == 0 {
            return false;
        }
        *tokens -= 1;
        true
    }
}

impl Stack {
    /// RFC 1122 §4.1.3.1: a UDP datagram for a port nobody listens on gets
    /// ICMP port unreachable, quoting it.
    pub(crate) fn send_port_unreachable(&mut self, original: &[u8], src: IpAddr, dst: IpAddr) {
        if !self.icmp_limiter.allow(src, self.now) {
            return;
        }
        match (dst, src) {
            (IpAddr::V4(_), IpAddr::V4(_)) => {
                let quoted = &original[..original.len().min(QUOTE_V4)];
                let repr = Icmpv4Repr {
                    message: Icmpv4Message::DstUnreachable {
                        code: Icmpv4Message::CODE_PORT_UNREACHABLE,
                        next_hop_mtu: 0,
                        quoted,
                    },
                    checksum: Checksum::Valid,
                };
                self.emit(dst, src, UpperRepr::Icmpv4(repr), false);
            }
            _ => {
                let quoted = &original[..original.len().min(QUOTE_V6)];
                let repr = Icmpv6Repr {
                    message: Icmpv6Message::DstUnreachable { code: 4, quoted },
                    checksum: Checksum::Valid,
                };
                self.emit(dst, src, UpperRepr::Icmpv6(repr), false);
            }
        }
    }

    pub(crate) fn icmpv4_input(&mut self, r: &Icmpv4Repr<'_>) -> InputOutcome {
        let (err, quoted) = match r.message {
            Icmpv4Message::DstUnreachable { code, quoted, .. } => (v4_unreachable(code), quoted),
            Icmpv4Message::TimeExceeded { quoted, .. } => (
                IcmpError {
                    errno: Errno::EHOSTUNREACH,
                    hard: false,
                    drops_request: true,
                },
                quoted,
            ),
            _ => return InputOutcome::Dropped(DropCause::Protocol),
        };
        self.icmp_error(err, quoted)
    }

    pub(crate) fn icmpv6_input(&mut self, r: &Icmpv6Repr<'_>) -> InputOutcome {
        let (err, quoted) = match r.message {
            Icmpv6Message::DstUnreachable { code, quoted } => (v6_unreachable(code), quoted),
            Icmpv6Message::PacketTooBig { quoted, .. } => (
                IcmpError {
                    errno: Errno::EMSGSIZE,
                    hard: false,
                    drops_request: false,
                },
                quoted,
            ),
            Icmpv6Message::TimeExceeded { quoted, .. } => (
                IcmpError {
                    errno: Errno::EHOSTUNREACH,
                    hard: false,
                    drops_request: false,
                },
                quoted,
            ),
            _ => return InputOutcome::Dropped(DropCause::Protocol),
        };
        self.icmp_error(err, quoted)
    }

    /// Finds who sent the quoted datagram and tells them.
    fn icmp_error(&mut self, err: IcmpError, quoted: &[u8]) -> InputOutcome {
        let Ok(q) = QuotedDatagram::parse(quoted) else {
            return InputOutcome::Dropped(DropCause::Malformed);
        };
        if !self.is_local(q.src) {
            return InputOutcome::Dropped(DropCause::NotForUs);
        }
        self.counters.icmp_errors_in += 1;
        let local = SocketAddr::new(q.src, q.src_port);
        let remote = SocketAddr::new(q.dst, q.dst_port);
        let delivered = match q.protocol {
            IpProtocol::UDP => self.udp_icmp_error(local, remote, err),
            IpProtocol::TCP => self.tcp_icmp_error(local, remote, q.seq, err),
            _ => false,
        };
        if delivered {
            InputOutcome::Delivered
        } else {
            InputOutcome::Dropped(DropCause::Transport)
        }
    }

    /// Linux `__udp4_lib_err` without IP_RECVERR: only a hard error on a
    /// connected socket is reported (as `SO_ERROR`, and by the next send or
    /// receive call), per RFC 1122 §4.1.3.3.
    fn udp_icmp_error(&mut self, local: SocketAddr, remote: SocketAddr, err: IcmpError) -> bool {
        let Some(s) = self.udp_lookup(local.ip(), local.port(), remote) else {
            return false;
        };
        let Some(sock) = self.socks.get_mut(s) else {
            return false;
        };
        if !err.hard || sock.peer.is_none() {
            return false;
        }
        sock.error = Some(err.errno);
        self.wake_socket(s, crate::socket::readiness::ERR);
        true
    }

    /// The quoted sequence number must be in [SND.UNA, SND.NXT] (RFC 5927
    /// §4.1). During the handshake the profile decides what aborts
    /// ([`IcmpInHandshake`]); a synchronized connection is never aborted
    /// (RFC 1122 §4.2.3.9: "SHOULD NOT abort" for soft errors; Linux keeps
    /// established connections for hard ones too).
    fn tcp_icmp_error(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        seq: u32,
        err: IcmpError,
    ) -> bool {
        let Some(c) = self.demux.get(&(local, remote)) else {
            return false;
        };
        let Some(e) = self.conns.get_mut(c) else {
            return false;
        };
        let tcb = e.conn.tcb();
        let seq = crate::tcp::SeqNumber(seq);
        if seq.lt(tcb.snd_una) || seq.gt(tcb.snd_max) {
            return false;
        }
        let abort = match (e.conn.state(), self.cfg.profile.icmp_in_handshake) {
            (State::SynSent, IcmpInHandshake::Linux) => true,
            (State::SynReceived, IcmpInHandshake::Linux) => err.drops_request,
            (State::SynSent | State::SynReceived, IcmpInHandshake::Rfc1122) => err.hard,
            _ => false,
        };
        if abort {
            let before = self.conn_snapshot(c);
            if let Some(e) = self.conns.get_mut(c) {
                e.conn.abort_with(err.errno);
            }
            self.conn_changed(c, before);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_tables_follow_linux() {
        assert_eq!(
            v4_unreachable(3),
            IcmpError {
                errno: Errno::ECONNREFUSED,
                hard: true,
                drops_request: false
            }
        );
        assert_eq!(
            v4_unreachable(1),
            IcmpError {
                errno: Errno::EHOSTUNREACH,
                hard: false,
                drops_request: true
            }
        );
        assert_eq!(v4_unreachable(4).errno, Errno::EMSGSIZE);
        assert_eq!(v4_unreachable(200).errno, Errno::EHOSTUNREACH);
        assert_eq!(v6_unreachable(4).errno, Errno::ECONNREFUSED);
        assert_eq!(v6_unreachable(1).errno, Errno::EACCES);
        let drops: Vec<bool> = (0..7).map(|c| v6_unreachable(c).drops_request).collect();
        assert_eq!(drops, [false, true, false, false, true, true, true]);
    }

    #[test]
    fn limiter_allows_a_burst_then_one_per_second() {
        let mut l = IcmpLimiter::default();
        let p: IpAddr = "192.0.2.1".parse().unwrap();
        let t = Instant::from_millis(10);
        for i in 0..BURST {
            assert!(l.allow(p, t), "{i}");
        }
        assert!(!l.allow(p, t));
        assert!(!l.allow(p, t + Duration::from_millis(999)));
        assert!(l.allow(p, t + Duration::from_millis(1000)));
        assert!(!l.allow(p, t + Duration::from_millis(1000)));
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(l.allow(other, t), "per destination");
    }
}
