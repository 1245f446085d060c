//! From a [`Call`] to the function that runs it, with the argument checks
//! every socket call shares (fd lookup: `EBADF`, `ENOTSOCK`).

use super::call::{Call, CallOutput, CallResult, IoVec};
use super::fd::FdKind;
use crate::host::Stack;
use crate::host::pending::{Progress, Step};
use crate::linux::{self, Errno};
use std::borrow::Cow;
use std::net::SocketAddr;

/// A send, whatever call it came from.
pub(crate) struct SendArgs<'a> {
    pub fd: i32,
    /// Borrowed from the call when it is one buffer (no copy for a write
    /// that then finds the send buffer full); gathered for iovecs.
    pub data: Cow<'a, [u8]>,
    pub flags: i32,
    /// The destination of sendto/sendmsg (`None`: none given).
    pub addr: Option<SocketAddr>,
}

/// A receive, whatever call it came from.
#[derive(Clone, Copy)]
pub(crate) struct RecvArgs {
    pub fd: i32,
    pub len: usize,
    pub flags: i32,
    /// What the caller gets back.
    pub shape: RecvShape,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecvShape {
    /// read, readv, recv: the data.
    Data,
    /// recvfrom: data and source address.
    From,
    /// recvmsg: data, address and msg_flags.
    Msg,
}

/// Concatenates an iovec array (`EFAULT` for a NULL or short buffer, as
/// the kernel's copy from user memory would give).
fn gather(iov: &[IoVec]) -> Result<Cow<'_, [u8]>, Errno> {
    let mut out = Vec::new();
    for v in iov {
        out.extend_from_slice(v.base.bytes(v.len)?);
    }
    Ok(Cow::Owned(out))
}

fn total_len(iov: &[IoVec]) -> usize {
    iov.iter().fold(0usize, |a, v| a.saturating_add(v.len))
}

fn err(e: Errno) -> Step {
    Step::Done(CallResult::err(e))
}

impl Stack {
    /// The socket behind `fd`: `EBADF` if it is not open, `ENOTSOCK` if it
    /// is not a socket.
    pub(crate) fn sock_of_fd(&self, fd: i32) -> Result<u32, Errno> {
        match self.fds.get(fd)?.kind {
            FdKind::Socket(s) => Ok(s),
            FdKind::Epoll(_) => Err(Errno::ENOTSOCK),
        }
    }

    /// Whether a call on `fd` may block: the file is blocking and the call
    /// did not ask for MSG_DONTWAIT.
    pub(crate) fn may_block(&self, fd: i32, flags: i32) -> bool {
        let nonblocking = self.fds.get(fd).map(|e| e.nonblocking).unwrap_or(true);
        !nonblocking && i64::from(flags) & linux::MSG_DONTWAIT == 0
    }

    /// One attempt at `call`.
    pub(crate) fn exec(&mut self, call: &Call, p: &mut Progress) -> Step {
        match call {
            Call::Socket {
                domain,
                ty,
                protocol,
            } => self.sys_socket(*domain, *ty, *protocol).into(),
            Call::Bind { fd, addr } => self.sys_bind(*fd, *addr).into(),
            Call::Listen { fd, backlog } => self.sys_listen(*fd, *backlog).into(),
            Call::Accept { fd, flags } => self.sys_accept(*fd, *flags),
            Call::Connect { fd, addr } => self.sys_connect(*fd, *addr, p),
            Call::Read { fd, len } => self.read_like(*fd, *len, 0, RecvShape::Data, true, p),
            Call::Readv { fd, iov } => {
                self.read_like(*fd, total_len(iov), 0, RecvShape::Data, true, p)
            }
            Call::Recv { fd, len, flags } => {
                self.read_like(*fd, *len, *flags, RecvShape::Data, false, p)
            }
            Call::RecvFrom { fd, len, flags } => {
                self.read_like(*fd, *len, *flags, RecvShape::From, false, p)
            }
            Call::RecvMsg { fd, msg, flags } => {
                self.read_like(*fd, total_len(&msg.iov), *flags, RecvShape::Msg, false, p)
            }
            Call::Write { fd, buf, len } => {
                self.write_like(*fd, buf.bytes(*len).map(Cow::Borrowed), 0, None, true, p)
            }
            Call::Writev { fd, iov } => self.write_like(*fd, gather(iov), 0, None, true, p),
            Call::Send {
                fd,
                buf,
                len,
                flags,
            } => self.write_like(
                *fd,
                buf.bytes(*len).map(Cow::Borrowed),
                *flags,
                None,
                false,
                p,
            ),
            Call::SendTo {
                fd,
                buf,
                len,
                flags,
                addr,
            } => self.write_like(
                *fd,
                buf.bytes(*len).map(Cow::Borrowed),
                *flags,
                *addr,
                false,
                p,
            ),
            Call::SendMsg { fd, msg, flags } => {
                self.write_like(*fd, gather(&msg.iov), *flags, msg.name, false, p)
            }
            Call::Close { fd } => self.sys_close(*fd, p),
            Call::Shutdown { fd, how } => self.sys_shutdown(*fd, *how).into(),
            Call::SetSockOpt {
                fd,
                level,
                name,
                value,
                len,
            } => self.sys_setsockopt(*fd, *level, *name, value, *len).into(),
            Call::GetSockOpt {
                fd,
                level,
                name,
                len,
            } => match self.sys_getsockopt(*fd, *level, *name, *len) {
                Ok(bytes) => CallResult::with(0, CallOutput::OptVal(bytes)).into(),
                Err(e) => err(e),
            },
            Call::Fcntl { fd, cmd, arg } => self.sys_fcntl(*fd, *cmd, *arg).into(),
            Call::Ioctl { fd, request, arg } => match self.sys_ioctl(*fd, *request, *arg) {
                Ok(v) => CallResult::with(0, CallOutput::Int(v)).into(),
                Err(e) => err(e),
            },
            Call::Poll { fds, timeout_ms } => self.sys_poll(fds, *timeout_ms, p),
            Call::EpollCreate { size, flags } => self.sys_epoll_create(*size, *flags).into(),
            Call::EpollCtl {
                epfd,
                op,
                fd,
                event,
            } => self.sys_epoll_ctl(*epfd, *op, *fd, *event).into(),
            Call::EpollWait {
                epfd,
                max_events,
                timeout_ms,
            } => self.sys_epoll_wait(*epfd, *max_events, *timeout_ms, p),
        }
    }

    /// read/readv/recv/recvfrom/recvmsg. `plain_read`: read or readv
    /// (which answer EINVAL on an epoll fd, where the others say ENOTSOCK).
    pub(crate) fn read_like(
        &mut self,
        fd: i32,
        len: usize,
        flags: i32,
        shape: RecvShape,
        plain_read: bool,
        p: &mut Progress,
    ) -> Step {
        let s = match self.fds.get(fd).map(|e| e.kind) {
            Err(e) => return err(e),
            // read(2) on an epoll fd: its file has no read method.
            Ok(FdKind::Epoll(_)) if plain_read => {
                return err(Errno::EINVAL);
            }
            Ok(FdKind::Epoll(_)) => return err(Errno::ENOTSOCK),
            Ok(FdKind::Socket(s)) => s,
        };
        let args = RecvArgs {
            fd,
            len,
            flags,
            shape,
        };
        match self.socks.get(s).map(|k| k.is_tcp()) {
            Some(true) => self.tcp_recv(s, args, p),
            Some(false) => self.udp_recv(s, args),
            None => err(Errno::EBADF),
        }
    }

    /// write/writev/send/sendto/sendmsg. `plain_write`: write or writev
    /// (EINVAL on an epoll fd, where the others say ENOTSOCK).
    pub(crate) fn write_like(
        &mut self,
        fd: i32,
        data: Result<Cow<'_, [u8]>, Errno>,
        flags: i32,
        addr: Option<SocketAddr>,
        plain_write: bool,
        p: &mut Progress,
    ) -> Step {
        let s = match self.fds.get(fd).map(|e| e.kind) {
            Err(e) => return err(e),
            Ok(FdKind::Epoll(_)) if plain_write => {
                return err(Errno::EINVAL);
            }
            Ok(FdKind::Epoll(_)) => return err(Errno::ENOTSOCK),
            Ok(FdKind::Socket(s)) => s,
        };
        let data = match data {
            Ok(d) => d,
            Err(e) => return err(e),
        };
        let args = SendArgs {
            fd,
            data,
            flags,
            addr,
        };
        match self.socks.get(s).map(|k| k.is_tcp()) {
            Some(true) => self.tcp_send(s, args, p),
            Some(false) => self.udp_send(s, args).into(),
            None => err(Errno::EBADF),
        }
    }
}

impl From<Result<i64, Errno>> for Step {
    fn from(r: Result<i64, Errno>) -> Self {
        Step::Done(r.into())
    }
}
