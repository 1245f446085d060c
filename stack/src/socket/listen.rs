//! Listen queues: the SYN queue (connections in SYN-RECEIVED) and the accept
//! queue (established, waiting for accept()), sized from `listen(fd,
//! backlog)`, with Linux's behaviour when they overflow, and SYN cookies.
//!
//! Linux (net/ipv4/tcp_input.c `tcp_conn_request`, tcp_minisocks.c
//! `tcp_check_req`, inet_connection_sock.c):
//! - the backlog is capped at `net.core.somaxconn` (a negative backlog
//!   counts as the cap);
//! - the accept queue is full when it holds *more* than the backlog
//!   (`sk_acceptq_is_full`: `ack_backlog > max_ack_backlog`);
//! - a SYN that finds the accept queue full is dropped, cookies or not;
//! - a SYN that finds the SYN queue full — more requests than the backlog
//!   (Linux 6.18 `inet_csk_reqsk_queue_is_full`: `len > max_ack_backlog`,
//!   measured: corpus/tcp/listen/syn-queue-overflow-no-cookies-drops-syn.pkt)
//!   — gets a SYN cookie if `tcp_syncookies` is 1 (always with 2), else it
//!   is dropped;
//! - the ACK completing a handshake while the accept queue is full is
//!   dropped (`tcp_abort_on_overflow = 0`), the request stays, and the
//!   SYN-ACK is retransmitted on its timer; with `tcp_abort_on_overflow = 1`
//!   a RST is sent instead.

use crate::time::{Duration, Instant};
use std::collections::VecDeque;

/// One listening socket's queues. Entries are connection keys.
#[derive(Clone, Debug, Default)]
pub struct Listener {
    /// `sk_max_ack_backlog`.
    pub backlog: u32,
    /// Connections in SYN-RECEIVED, oldest first.
    pub syn_queue: Vec<u32>,
    /// Established connections waiting for accept(), in completion order.
    pub accept_queue: VecDeque<u32>,
    /// Last time a SYN found the SYN queue full (Linux `synq_overflow_ts`):
    /// an ACK for no known connection is checked as a cookie only within
    /// [`COOKIE_CHECK_WINDOW`] after it.
    pub last_overflow: Option<Instant>,
}

/// How long after a SYN-queue overflow cookie ACKs are accepted
/// (`TCP_SYNCOOKIE_VALID`, 2 minutes).
pub const COOKIE_CHECK_WINDOW: Duration = Duration::from_secs(120);

/// The backlog Linux keeps for `listen(fd, backlog)` (`__sys_listen`:
/// `if ((unsigned int)backlog > somaxconn) backlog = somaxconn`).
pub fn effective_backlog(backlog: i32, somaxconn: u32) -> u32 {
    let as_unsigned = backlog as u32;
    as_unsigned.min(somaxconn)
}

/// What to do with a SYN that reached a listener.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynVerdict {
    /// Make a SYN-RECEIVED connection and queue it.
    Queue,
    /// Answer with a SYN cookie and keep no state.
    Cookie,
    /// Drop silently (the peer retransmits).
    Drop,
}

/// What to do with the ACK that completes a handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AckVerdict {
    /// Move the connection to the accept queue.
    Accept,
    /// Drop the ACK; the SYN-ACK timer keeps running.
    Drop,
    /// Reset the connection (`tcp_abort_on_overflow`).
    Reset,
}

impl Listener {
    pub fn new(backlog: u32) -> Self {
        Listener {
            backlog,
            ..Listener::default()
        }
    }

    /// `sk_acceptq_is_full`: strictly more than the backlog.
    pub fn accept_queue_full(&self) -> bool {
        self.accept_queue.len() as u64 > u64::from(self.backlog)
    }

    /// `inet_csk_reqsk_queue_is_full`: strictly more than the backlog.
    pub fn syn_queue_full(&self) -> bool {
        self.syn_queue.len() as u64 > u64::from(self.backlog)
    }

    /// `tcp_conn_request`'s admission test for a SYN (`syncookies` is the
    /// `net.ipv4.tcp_syncookies` value).
    pub fn on_syn(&mut self, now: Instant, syncookies: u32) -> SynVerdict {
        let cookie = syncookies == 2 || self.syn_queue_full();
        if cookie && syncookies == 0 {
            return SynVerdict::Drop;
        }
        if self.accept_queue_full() {
            return SynVerdict::Drop;
        }
        if cookie {
            // cookie_init_sequence -> tcp_synq_overflow: remember when, so
            // that cookie ACKs are checked for a while.
            self.last_overflow = Some(now);
            SynVerdict::Cookie
        } else {
            SynVerdict::Queue
        }
    }

    /// The handshake of SYN-queue entry `conn` completed.
    pub fn on_handshake_done(&mut self, conn: u32, abort_on_overflow: bool) -> AckVerdict {
        if self.accept_queue_full() {
            return if abort_on_overflow {
                self.syn_queue.retain(|&c| c != conn);
                AckVerdict::Reset
            } else {
                AckVerdict::Drop
            };
        }
        self.syn_queue.retain(|&c| c != conn);
        self.accept_queue.push_back(conn);
        AckVerdict::Accept
    }

    /// Whether an ACK for no known connection may be a cookie
    /// (`tcp_synq_no_recent_overflow` is false, or cookies are forced).
    pub fn cookie_check_allowed(&self, now: Instant, syncookies: u32) -> bool {
        syncookies == 2
            || (syncookies == 1
                && self
                    .last_overflow
                    .is_some_and(|t| now.saturating_since(t) <= COOKIE_CHECK_WINDOW))
    }

    /// Removes `conn` from whichever queue holds it.
    pub fn forget(&mut self, conn: u32) {
        self.syn_queue.retain(|&c| c != conn);
        self.accept_queue.retain(|&c| c != conn);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Instant = Instant::ZERO;

    #[test]
    fn backlog_is_capped_by_somaxconn_and_negative_means_the_cap() {
        assert_eq!(effective_backlog(5, 4096), 5);
        assert_eq!(effective_backlog(0, 4096), 0);
        assert_eq!(effective_backlog(10_000, 4096), 4096);
        assert_eq!(effective_backlog(-1, 4096), 4096);
    }

    #[test]
    fn accept_queue_holds_backlog_plus_one() {
        let mut l = Listener::new(1);
        for c in 0..2 {
            assert_eq!(l.on_syn(T0, 1), SynVerdict::Queue);
            l.syn_queue.push(c);
            assert_eq!(l.on_handshake_done(c, false), AckVerdict::Accept);
        }
        assert!(l.accept_queue_full());
        // A new SYN is dropped even though cookies are on.
        assert_eq!(l.on_syn(T0, 1), SynVerdict::Drop);
        assert_eq!(l.on_syn(T0, 2), SynVerdict::Drop);
    }

    #[test]
    fn final_ack_on_a_full_accept_queue_is_dropped_or_reset() {
        let mut l = Listener::new(0);
        l.syn_queue.push(1);
        assert_eq!(l.on_handshake_done(1, false), AckVerdict::Accept);
        l.syn_queue.push(2);
        assert_eq!(l.on_handshake_done(2, false), AckVerdict::Drop);
        assert_eq!(l.syn_queue, [2], "the request stays for the SYN-ACK timer");
        assert_eq!(l.on_handshake_done(2, true), AckVerdict::Reset);
        assert!(l.syn_queue.is_empty());
    }

    #[test]
    fn full_syn_queue_means_cookies_or_drop() {
        let mut l = Listener::new(2);
        l.syn_queue = vec![1, 2];
        assert_eq!(l.on_syn(T0, 0), SynVerdict::Queue, "as many as the backlog");
        l.syn_queue = vec![1, 2, 3];
        assert_eq!(l.on_syn(T0, 0), SynVerdict::Drop);
        assert_eq!(l.on_syn(T0, 1), SynVerdict::Cookie);
        assert!(l.cookie_check_allowed(T0 + Duration::from_secs(60), 1));
        assert!(!l.cookie_check_allowed(T0 + Duration::from_secs(121), 1));
        l.syn_queue.clear();
        assert_eq!(l.on_syn(T0, 1), SynVerdict::Queue);
        assert_eq!(
            l.on_syn(T0, 2),
            SynVerdict::Cookie,
            "tcp_syncookies=2: always"
        );
        assert!(Listener::new(1).cookie_check_allowed(T0, 2));
        let mut fresh = Listener::new(0);
        assert_eq!(fresh.on_syn(T0, 0), SynVerdict::Queue, "backlog 0: one");
        fresh.syn_queue.push(1);
        assert_eq!(fresh.on_syn(T0, 0), SynVerdict::Drop);
        assert!(!fresh.cookie_check_allowed(T0, 1), "no cookie was issued");
        assert!(
            !Listener::new(1).cookie_check_allowed(T0, 1),
            "no overflow yet"
        );
    }
}
