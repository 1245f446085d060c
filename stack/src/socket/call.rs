//! Socket calls and their results as plain values, in Linux's ABI.
//!
//! Integer arguments (levels, option names, flags, commands) are the raw Linux
//! numbers from [`crate::linux`]; option values and `struct tcp_info` are the
//! raw bytes the kernel would read or write. The shapes follow the calls a
//! packetdrill script makes, one variant per C function, so that a harness can
//! map its own syscall type onto [`Call`] field by field.

use crate::linux::Errno;
use std::net::SocketAddr;

/// Identifies a call that did not complete at once ([`CallOutcome::Pending`])
/// until the stack reports its completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CallId(pub u64);

/// A user buffer: real bytes, or a NULL pointer (which the kernel answers
/// with `EFAULT`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Buf {
    Null,
    Data(Vec<u8>),
}

impl Buf {
    /// The first `len` bytes; `EFAULT` for NULL or a buffer shorter than
    /// `len` (the kernel would read past the end of the caller's memory).
    pub(crate) fn bytes(&self, len: usize) -> Result<&[u8], Errno> {
        match self {
            Buf::Data(d) => d.get(..len).ok_or(Errno::EFAULT),
            Buf::Null if len == 0 => Ok(&[]),
            Buf::Null => Err(Errno::EFAULT),
        }
    }
}

/// One `struct iovec`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoVec {
    pub base: Buf,
    pub len: usize,
}

/// One control message (`struct cmsghdr` plus payload).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmsg {
    pub level: i32,
    pub ty: i32,
    pub data: Vec<u8>,
}

/// A `struct msghdr`: for sendmsg the data and destination, for recvmsg the
/// buffers to fill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgHdr {
    pub name: Option<SocketAddr>,
    pub iov: Vec<IoVec>,
    pub control: Vec<Cmsg>,
    /// Room for control messages on recvmsg, in bytes.
    pub control_len: usize,
    pub flags: i32,
}

/// One `struct pollfd` going in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PollFd {
    pub fd: i32,
    pub events: i16,
}

/// One `struct epoll_event`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpollEvent {
    pub events: u32,
    pub data: u64,
}

/// A socket call with live arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    Socket {
        domain: i32,
        ty: i32,
        protocol: i32,
    },
    Bind {
        fd: i32,
        addr: Option<SocketAddr>,
    },
    Listen {
        fd: i32,
        backlog: i32,
    },
    /// `accept` is `accept4` with flags 0.
    Accept {
        fd: i32,
        flags: i32,
    },
    Connect {
        fd: i32,
        addr: Option<SocketAddr>,
    },
    Read {
        fd: i32,
        len: usize,
    },
    Readv {
        fd: i32,
        iov: Vec<IoVec>,
    },
    Write {
        fd: i32,
        buf: Buf,
        len: usize,
    },
    Writev {
        fd: i32,
        iov: Vec<IoVec>,
    },
    Send {
        fd: i32,
        buf: Buf,
        len: usize,
        flags: i32,
    },
    SendTo {
        fd: i32,
        buf: Buf,
        len: usize,
        flags: i32,
        addr: Option<SocketAddr>,
    },
    SendMsg {
        fd: i32,
        msg: MsgHdr,
        flags: i32,
    },
    Recv {
        fd: i32,
        len: usize,
        flags: i32,
    },
    RecvFrom {
        fd: i32,
        len: usize,
        flags: i32,
    },
    RecvMsg {
        fd: i32,
        msg: MsgHdr,
        flags: i32,
    },
    Close {
        fd: i32,
    },
    Shutdown {
        fd: i32,
        how: i32,
    },
    SetSockOpt {
        fd: i32,
        level: i32,
        name: i32,
        value: Buf,
        len: u32,
    },
    GetSockOpt {
        fd: i32,
        level: i32,
        name: i32,
        len: u32,
    },
    Fcntl {
        fd: i32,
        cmd: i32,
        arg: i64,
    },
    /// `ioctl(fd, request, &int)`.
    Ioctl {
        fd: i32,
        request: u64,
        arg: i32,
    },
    Poll {
        fds: Vec<PollFd>,
        timeout_ms: i32,
    },
    EpollCreate {
        size: i32,
        flags: i32,
    },
    EpollCtl {
        epfd: i32,
        op: i32,
        fd: i32,
        event: Option<EpollEvent>,
    },
    EpollWait {
        epfd: i32,
        max_events: i32,
        timeout_ms: i32,
    },
}

impl Call {
    /// The fd a read or write call moves data on (`None` for other calls).
    pub fn data_fd(&self) -> Option<i32> {
        match *self {
            Call::Read { fd, .. }
            | Call::Readv { fd, .. }
            | Call::Recv { fd, .. }
            | Call::RecvFrom { fd, .. }
            | Call::RecvMsg { fd, .. }
            | Call::Write { fd, .. }
            | Call::Writev { fd, .. }
            | Call::Send { fd, .. }
            | Call::SendTo { fd, .. }
            | Call::SendMsg { fd, .. } => Some(fd),
            _ => None,
        }
    }

    /// The C name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Call::Socket { .. } => "socket",
            Call::Bind { .. } => "bind",
            Call::Listen { .. } => "listen",
            Call::Accept { .. } => "accept",
            Call::Connect { .. } => "connect",
            Call::Read { .. } => "read",
            Call::Readv { .. } => "readv",
            Call::Write { .. } => "write",
            Call::Writev { .. } => "writev",
            Call::Send { .. } => "send",
            Call::SendTo { .. } => "sendto",
            Call::SendMsg { .. } => "sendmsg",
            Call::Recv { .. } => "recv",
            Call::RecvFrom { .. } => "recvfrom",
            Call::RecvMsg { .. } => "recvmsg",
            Call::Close { .. } => "close",
            Call::Shutdown { .. } => "shutdown",
            Call::SetSockOpt { .. } => "setsockopt",
            Call::GetSockOpt { .. } => "getsockopt",
            Call::Fcntl { .. } => "fcntl",
            Call::Ioctl { .. } => "ioctl",
            Call::Poll { .. } => "poll",
            Call::EpollCreate { .. } => "epoll_create",
            Call::EpollCtl { .. } => "epoll_ctl",
            Call::EpollWait { .. } => "epoll_wait",
        }
    }
}

/// What a completed call returned: `ret` (−1 on failure, with `errno`) and
/// what it wrote back into user memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallResult {
    pub ret: i64,
    pub errno: Option<Errno>,
    pub out: CallOutput,
}

impl CallResult {
    pub fn ok(ret: i64) -> Self {
        CallResult {
            ret,
            errno: None,
            out: CallOutput::None,
        }
    }
    pub fn err(errno: Errno) -> Self {
        CallResult {
            ret: -1,
            errno: Some(errno),
            out: CallOutput::None,
        }
    }
    pub fn with(ret: i64, out: CallOutput) -> Self {
        CallResult {
            ret,
            errno: None,
            out,
        }
    }
}

impl From<Result<i64, Errno>> for CallResult {
    fn from(r: Result<i64, Errno>) -> Self {
        match r {
            Ok(v) => CallResult::ok(v),
            Err(e) => CallResult::err(e),
        }
    }
}

/// What a call wrote back into user memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CallOutput {
    #[default]
    None,
    /// Bytes read (read, recv, readv: concatenated).
    Data(Vec<u8>),
    /// accept (no data) or recvfrom: the peer address.
    Addr {
        data: Vec<u8>,
        addr: Option<SocketAddr>,
    },
    /// getsockopt: the option bytes, as long as the length written back.
    OptVal(Vec<u8>),
    /// ioctl: the int written back.
    Int(i32),
    /// recvmsg: data, source address, control messages and `msg_flags`.
    Msg {
        data: Vec<u8>,
        name: Option<SocketAddr>,
        control: Vec<Cmsg>,
        flags: i32,
    },
    /// poll: `revents` for each pollfd, in order.
    PollRevents(Vec<i16>),
    /// epoll_wait: the ready events.
    EpollEvents(Vec<EpollEvent>),
}

/// What starting a call gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallOutcome {
    /// It returned at once.
    Done(CallResult),
    /// It blocks; [`crate::Stack::poll_completion`] reports it later, at the
    /// virtual time it completes.
    Pending(CallId),
}
