//! poll and epoll calls, and the wake-ups that feed epoll's ready lists.

use super::call::{CallOutput, CallResult, EpollEvent, PollFd};
use super::epoll::{CtlOp, Epoll};
use super::fd::{FdEntry, FdKind};
use super::readiness::{self, Mask, Status, TcpPhase};
use super::sock::{Kind, TcpSock};
use crate::host::Stack;
use crate::host::pending::{Progress, Step};
use crate::linux::{self, Errno};
use crate::tcp::State;
use crate::time::Duration;

/// Most fds one poll() may name (`RLIMIT_NOFILE`).
const POLL_MAX: usize = super::fd::MAX_FDS as usize;

/// A poll/epoll timeout in ms (negative: none) as a deadline.
fn deadline(p: &mut Progress, now: crate::time::Instant, timeout_ms: i32) {
    if !p.resumed && timeout_ms > 0 {
        p.deadline = Some(now + Duration::from_millis(timeout_ms as u64));
    }
}

impl Stack {
    /// The readiness facts of socket `s`.
    pub(crate) fn sock_status(&self, s: u32) -> Option<Status> {
        let sock = self.socks.get(s)?;
        let mut st = Status {
            tcp: None,
            readable: false,
            writable: true,
            rcv_shutdown: sock.shut_rd,
            snd_shutdown: sock.shut_wr,
            error: sock.error.is_some(),
            urgent: false,
        };
        match &sock.kind {
            Kind::Udp(u) => st.readable = u.is_readable(),
            Kind::Tcp(TcpSock::Idle) => st.tcp = Some(TcpPhase::Closed),
            Kind::Tcp(TcpSock::Listening(l)) => {
                st.tcp = Some(TcpPhase::Listen);
                st.readable = !l.accept_queue.is_empty();
            }
            Kind::Tcp(TcpSock::Conn(c)) => {
                let conn = &self.conns.get(*c)?.conn;
                st.tcp = Some(match conn.state() {
                    State::Closed => TcpPhase::Closed,
                    State::Listen => TcpPhase::Listen,
                    State::SynSent => TcpPhase::SynSent,
                    State::SynReceived => TcpPhase::SynReceived,
                    _ => TcpPhase::Synchronized,
                });
                st.readable = conn.readable();
                st.writable = conn.writable();
                st.rcv_shutdown |= conn.rcv_shutdown();
                st.snd_shutdown |= conn.snd_shutdown();
                st.error |= conn.has_error();
                st.urgent = conn.urgent_pending();
            }
        }
        Some(st)
    }

    /// The poll mask of socket `s` (0 for a socket that is gone).
    pub(crate) fn sock_mask(&self, s: u32) -> Mask {
        self.sock_status(s).map_or(0, |st| readiness::mask(&st))
    }

    /// A wake-up of socket `s` carrying `key`: every epoll set watching it
    /// may put it on its ready list.
    pub(crate) fn wake_socket(&mut self, s: u32, key: Mask) {
        let Some(sock) = self.socks.get(s) else {
            return;
        };
        if sock.watchers.is_empty() {
            return;
        }
        let watchers = sock.watchers.clone();
        for (ep, fd) in watchers {
            if let Some(e) = self.epolls.get_mut(ep) {
                e.wake(fd, key);
            }
        }
    }

    /// Removes socket `s` from every epoll set (its fd was closed).
    pub(crate) fn unwatch_all(&mut self, s: u32) {
        let Some(sock) = self.socks.get_mut(s) else {
            return;
        };
        for (ep, fd) in std::mem::take(&mut sock.watchers) {
            if let Some(e) = self.epolls.get_mut(ep) {
                e.forget(fd);
            }
        }
    }

    /// Closing an epoll fd drops its interest list.
    pub(crate) fn close_epoll(&mut self, ep: u32) {
        let Some(e) = self.epolls.remove(ep) else {
            return;
        };
        for (fd, s) in e.watched() {
            if let Some(sock) = self.socks.get_mut(s) {
                sock.watchers.retain(|&w| w != (ep, fd));
            }
        }
    }

    /// poll(2).
    pub(crate) fn sys_poll(&mut self, fds: &[PollFd], timeout_ms: i32, p: &mut Progress) -> Step {
        if fds.len() > POLL_MAX {
            return Step::Done(CallResult::err(Errno::EINVAL));
        }
        let mut ready = 0;
        let revents: Vec<i16> = fds
            .iter()
            .map(|pfd| {
                // A negative fd is ignored: revents 0.
                if pfd.fd < 0 {
                    return 0;
                }
                let r = match self.fds.get(pfd.fd).map(|e| e.kind) {
                    Err(_) => readiness::NVAL as i16,
                    Ok(FdKind::Socket(s)) => readiness::poll_revents(self.sock_mask(s), pfd.events),
                    Ok(FdKind::Epoll(ep)) => {
                        let has = self
                            .epolls
                            .get(ep)
                            .is_some_and(|e| e.has_ready(|s| self.sock_mask(s)));
                        let m = if has {
                            readiness::IN | readiness::RDNORM
                        } else {
                            0
                        };
                        readiness::poll_revents(m, pfd.events)
                    }
                };
                if r != 0 {
                    ready += 1;
                }
                r
            })
            .collect();
        deadline(p, self.now, timeout_ms);
        if ready > 0 || timeout_ms == 0 || p.timed_out(self.now) {
            return Step::Done(CallResult::with(ready, CallOutput::PollRevents(revents)));
        }
        Step::Block
    }

    /// epoll_create(2) / epoll_create1(2).
    pub(crate) fn sys_epoll_create(&mut self, size: i32, flags: i32) -> Result<i64, Errno> {
        if size <= 0 || i64::from(flags) & !linux::EPOLL_CLOEXEC != 0 {
            return Err(Errno::EINVAL);
        }
        let ep = self.epolls.insert(Epoll::new());
        let entry = FdEntry {
            kind: FdKind::Epoll(ep),
            nonblocking: false,
            cloexec: i64::from(flags) & linux::EPOLL_CLOEXEC != 0,
        };
        match self.fds.insert(entry) {
            Ok(fd) => Ok(i64::from(fd)),
            Err(e) => {
                self.epolls.remove(ep);
                Err(e)
            }
        }
    }

    /// epoll_ctl(2): checks in `do_epoll_ctl`'s order.
    pub(crate) fn sys_epoll_ctl(
        &mut self,
        epfd: i32,
        op: i32,
        fd: i32,
        event: Option<EpollEvent>,
    ) -> Result<i64, Errno> {
        let ep_kind = self.fds.get(epfd)?.kind;
        let target = self.fds.get(fd)?.kind;
        let op = CtlOp::from_raw(op)?;
        let FdKind::Epoll(ep) = ep_kind else {
            return Err(Errno::EINVAL);
        };
        if fd == epfd {
            return Err(Errno::EINVAL);
        }
        let s = match target {
            FdKind::Socket(s) => s,
            // Nested epoll sets are not modelled.
            FdKind::Epoll(_) => return Err(Errno::EPERM),
        };
        let current = self.sock_mask(s);
        let e = self.epolls.get_mut(ep).ok_or(Errno::EBADF)?;
        e.ctl(op, fd, s, event.map(|ev| (ev.events, ev.data)), current)?;
        if let Some(sock) = self.socks.get_mut(s) {
            match op {
                CtlOp::Add => sock.watchers.push((ep, fd)),
                CtlOp::Del => sock.watchers.retain(|&w| w != (ep, fd)),
                CtlOp::Mod => {}
            }
        }
        Ok(0)
    }

    /// epoll_wait(2).
    pub(crate) fn sys_epoll_wait(
        &mut self,
        epfd: i32,
        max_events: i32,
        timeout_ms: i32,
        p: &mut Progress,
    ) -> Step {
        let kind = match self.fds.get(epfd) {
            Ok(e) => e.kind,
            Err(e) => return Step::Done(CallResult::err(e)),
        };
        let FdKind::Epoll(ep) = kind else {
            return Step::Done(CallResult::err(Errno::EINVAL));
        };
        if max_events <= 0 {
            return Step::Done(CallResult::err(Errno::EINVAL));
        }
        let Some(e) = self.epolls.get(ep) else {
            return Step::Done(CallResult::err(Errno::EBADF));
        };
        let masks: Vec<(u32, Mask)> = e.watched().map(|(_, s)| (s, self.sock_mask(s))).collect();
        let mask_of = |s: u32| masks.iter().find(|m| m.0 == s).map_or(0, |m| m.1);
        let got = match self.epolls.get_mut(ep) {
            Some(e) => e.wait(max_events as usize, mask_of),
            None => Vec::new(),
        };
        deadline(p, self.now, timeout_ms);
        if !got.is_empty() || timeout_ms == 0 || p.timed_out(self.now) {
            let events: Vec<EpollEvent> = got
                .into_iter()
                .map(|(events, data)| EpollEvent { events, data })
                .collect();
            return Step::Done(CallResult::with(
                events.len() as i64,
                CallOutput::EpollEvents(events),
            ));
        }
        Step::Block
    }
}
