//! Connections as the host keeps them: what changed after an event (for
//! wake-ups and listen queues), and when a connection is deleted.

use super::ports::{Owner, Proto};
use super::{ConnEntry, Stack};
use crate::socket::readiness::{self, Mask};
use crate::socket::sock::{Kind, TcpSock};
use crate::tcp::{Connection, State};

/// What a socket can see of a connection, before and after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Snapshot {
    state: State,
    recv_len: usize,
    writable: bool,
    error: bool,
    rcv_shutdown: bool,
}

impl ConnEntry {
    pub(crate) fn new(conn: Connection, sock: Option<u32>, listener: Option<u32>) -> Self {
        ConnEntry {
            conn,
            sock,
            listener,
            timer_at: None,
            dirty: false,
            nospace: false,
            was_established: false,
        }
    }
}

impl Stack {
    pub(crate) fn conn_snapshot(&self, c: u32) -> Option<Snapshot> {
        let conn = &self.conns.get(c)?.conn;
        Some(Snapshot {
            state: conn.state(),
            recv_len: conn.recv_queue_len(),
            writable: conn.writable(),
            error: conn.has_error(),
            rcv_shutdown: conn.rcv_shutdown(),
        })
    }

    /// After anything happened to connection `c`: re-arm its timer, queue
    /// it for output, wake its socket's watchers, and delete it if it is
    /// closed and nobody holds it.
    pub(crate) fn conn_changed(&mut self, c: u32, before: Option<Snapshot>) {
        self.touch(c);
        let (Some(before), Some(after)) = (before, self.conn_snapshot(c)) else {
            return;
        };
        let Some(e) = self.conns.get_mut(c) else {
            return;
        };
        if after.state.is_synchronized() {
            e.was_established = true;
        }
        let mut key: Mask = 0;
        if after.recv_len > before.recv_len || (after.rcv_shutdown && !before.rcv_shutdown) {
            key |= readiness::IN | readiness::RDNORM;
        }
        if after.state != before.state || (after.error && !before.error) {
            key |= readiness::ALL;
        }
        if after.writable && (!before.writable || e.nospace) {
            key |= readiness::OUT | readiness::WRNORM;
            e.nospace = false;
        }
        let (sock, listener) = (e.sock, e.listener);
        if let Some(s) = sock {
            if key != 0 {
                self.wake_socket(s, key);
            }
        }
        if after.state == State::Closed
            && sock.is_none()
            && self.conns.get(c).is_some_and(|e| e.conn.is_finished())
        {
            let in_accept_queue =
                listener.is_some_and(|l| match self.socks.get(l).map(|k| &k.kind) {
                    Some(Kind::Tcp(TcpSock::Listening(q))) => q.accept_queue.contains(&c),
                    _ => false,
                });
            // A reset child stays in the accept queue: accept() returns it
            // and the first read reports the error (Linux does the same).
            if !in_accept_queue {
                self.reap_conn(c);
            }
        }
    }

    /// Deletes connection `c` and everything that points at it.
    pub(crate) fn reap_conn(&mut self, c: u32) {
        let Some(e) = self.conns.remove(c) else {
            return;
        };
        let key = (e.conn.local(), e.conn.remote());
        if self.demux.get(&key) == Some(c) {
            self.demux.remove(&key);
        }
        if let Some(t) = e.timer_at {
            self.timers.remove(&(t, c));
        }
        self.ports
            .unbind(Proto::Tcp, e.conn.local().port(), Owner::Conn(c));
        if let Some(l) = e.listener {
            if let Some(Kind::Tcp(TcpSock::Listening(q))) =
                self.socks.get_mut(l).map(|k| &mut k.kind)
            {
                q.forget(c);
            }
        }
        if e.dirty {
            self.dirty.retain(|&d| d != c);
        }
    }
}
