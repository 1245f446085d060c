//! Readiness: which poll/epoll bits a socket reports, computed as Linux's
//! `tcp_poll` and `udp_poll` (`datagram_poll`) do from the socket's state.

use crate::linux;

/// Poll bits, as `u32` (the epoll width; poll's `short` is the low half).
pub type Mask = u32;

pub const IN: Mask = linux::EPOLLIN as Mask;
pub const PRI: Mask = linux::EPOLLPRI as Mask;
pub const OUT: Mask = linux::EPOLLOUT as Mask;
pub const ERR: Mask = linux::EPOLLERR as Mask;
pub const HUP: Mask = linux::EPOLLHUP as Mask;
pub const RDNORM: Mask = linux::EPOLLRDNORM as Mask;
pub const WRNORM: Mask = linux::EPOLLWRNORM as Mask;
pub const WRBAND: Mask = linux::EPOLLWRBAND as Mask;
pub const RDHUP: Mask = linux::EPOLLRDHUP as Mask;
pub const NVAL: Mask = linux::POLLNVAL as Mask;
/// Bits poll/epoll report whether or not they were asked for.
pub const ALWAYS: Mask = ERR | HUP;
/// Every event bit (for "the state changed" wake-ups).
pub const ALL: Mask = IN | PRI | OUT | ERR | HUP | RDNORM | WRNORM | WRBAND | RDHUP;

/// Where a TCP socket is, as far as polling cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpPhase {
    /// Never connected, or fully closed (Linux `TCP_CLOSE`).
    Closed,
    Listen,
    SynSent,
    SynReceived,
    /// Any synchronized state.
    Synchronized,
}

/// The facts about a socket that decide its poll mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    /// `None` for a datagram socket.
    pub tcp: Option<TcpPhase>,
    /// Data (or, for a listener, a connection) waiting to be taken.
    pub readable: bool,
    /// There is room to write.
    pub writable: bool,
    /// No more data will arrive: FIN received, or shutdown(SHUT_RD).
    pub rcv_shutdown: bool,
    /// shutdown(SHUT_WR) or the connection is gone.
    pub snd_shutdown: bool,
    /// A pending error (`SO_ERROR` is non-zero).
    pub error: bool,
    /// Urgent data is pending.
    pub urgent: bool,
}

/// The poll mask, after Linux `tcp_poll` (net/ipv4/tcp.c) for stream sockets
/// and `datagram_poll` (net/core/datagram.c) for UDP.
pub fn mask(s: &Status) -> Mask {
    match s.tcp {
        Some(phase) => tcp_mask(phase, s),
        None => udp_mask(s),
    }
}

fn tcp_mask(phase: TcpPhase, s: &Status) -> Mask {
    if phase == TcpPhase::Listen {
        // inet_csk_listen_poll: readable when the accept queue is not empty.
        return if s.readable { IN | RDNORM } else { 0 };
    }
    let mut m = 0;
    if (s.rcv_shutdown && s.snd_shutdown) || phase == TcpPhase::Closed {
        m |= HUP;
    }
    if s.rcv_shutdown {
        m |= IN | RDNORM | RDHUP;
    }
    if !matches!(phase, TcpPhase::SynSent | TcpPhase::SynReceived) {
        if s.readable {
            m |= IN | RDNORM;
        }
        if s.snd_shutdown || s.writable {
            m |= OUT | WRNORM;
        }
        if s.urgent {
            m |= PRI;
        }
    }
    if s.error {
        m |= ERR;
    }
    m
}

fn udp_mask(s: &Status) -> Mask {
    let mut m = 0;
    if s.error {
        m |= ERR;
    }
    if s.rcv_shutdown {
        m |= RDHUP | IN | RDNORM;
    }
    if s.rcv_shutdown && s.snd_shutdown {
        m |= HUP;
    }
    if s.readable {
        m |= IN | RDNORM;
    }
    if s.writable {
        m |= OUT | WRNORM | WRBAND;
    }
    m
}

/// `revents` for one pollfd: the asked-for bits plus those always reported.
pub fn poll_revents(current: Mask, events: i16) -> i16 {
    let wanted = Mask::from(events as u16) | ALWAYS;
    (current & wanted & 0xffff) as u16 as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(tcp: Option<TcpPhase>) -> Status {
        Status {
            tcp,
            readable: false,
            writable: true,
            rcv_shutdown: false,
            snd_shutdown: false,
            error: false,
            urgent: false,
        }
    }

    #[test]
    fn tcp_masks_follow_tcp_poll() {
        use TcpPhase::*;
        let est = st(Some(Synchronized));
        let cases: Vec<(&str, Status, Mask)> = vec![
            // A fresh socket is TCP_CLOSE: HUP, and writable.
            ("fresh", st(Some(Closed)), HUP | OUT | WRNORM),
            ("connecting", st(Some(SynSent)), 0),
            ("syn-received", st(Some(SynReceived)), 0),
            ("established idle", est, OUT | WRNORM),
            (
                "established with data",
                Status {
                    readable: true,
                    ..est
                },
                IN | RDNORM | OUT | WRNORM,
            ),
            (
                "send buffer full",
                Status {
                    writable: false,
                    ..est
                },
                0,
            ),
            (
                "peer FIN (CLOSE-WAIT)",
                Status {
                    rcv_shutdown: true,
                    ..est
                },
                IN | RDNORM | RDHUP | OUT | WRNORM,
            ),
            (
                "shut down both ways",
                Status {
                    rcv_shutdown: true,
                    snd_shutdown: true,
                    writable: false,
                    ..est
                },
                HUP | IN | RDNORM | RDHUP | OUT | WRNORM,
            ),
            (
                "reset: closed with an error",
                Status {
                    tcp: Some(Closed),
                    rcv_shutdown: true,
                    snd_shutdown: true,
                    error: true,
                    ..est
                },
                HUP | IN | RDNORM | RDHUP | OUT | WRNORM | ERR,
            ),
            (
                "refused while connecting",
                Status {
                    tcp: Some(SynSent),
                    error: true,
                    ..est
                },
                ERR,
            ),
            ("listener, empty queue", st(Some(Listen)), 0),
            (
                "listener, connection waiting",
                Status {
                    readable: true,
                    ..st(Some(Listen))
                },
                IN | RDNORM,
            ),
        ];
        for (name, s, want) in cases {
            assert_eq!(mask(&s), want, "{name}");
        }
    }

    #[test]
    fn udp_masks_follow_datagram_poll() {
        let idle = st(None);
        assert_eq!(mask(&idle), OUT | WRNORM | WRBAND);
        assert_eq!(
            mask(&Status {
                readable: true,
                ..idle
            }),
            IN | RDNORM | OUT | WRNORM | WRBAND
        );
        assert_eq!(
            mask(&Status {
                error: true,
                ..idle
            }),
            ERR | OUT | WRNORM | WRBAND
        );
        assert_eq!(
            mask(&Status {
                rcv_shutdown: true,
                snd_shutdown: true,
                ..idle
            }),
            HUP | RDHUP | IN | RDNORM | OUT | WRNORM | WRBAND
        );
    }

    #[test]
    fn poll_reports_err_and_hup_unasked() {
        let m = HUP | OUT | ERR | IN;
        assert_eq!(
            poll_revents(m, linux::POLLIN as i16),
            (IN | HUP | ERR) as i16
        );
        assert_eq!(poll_revents(m, 0), (HUP | ERR) as i16);
        // EPOLLRDHUP's bit (0x2000) fits in a short and is reported when asked.
        assert_eq!(poll_revents(RDHUP, linux::POLLRDHUP as i16), RDHUP as i16);
    }
}
