//! Syscalls as live values in Linux's ABI. Integer arguments (levels, option
//! names, flags) are the raw Linux numbers from `netdrill_stack::linux`;
//! structured inputs and outputs are the raw bytes the kernel would read or
//! write (option values, control messages, `struct tcp_info`).

use std::net::SocketAddr;

/// Identifies a blocked syscall until its completion is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SyscallId(pub u64);

/// A user buffer argument: a real buffer of this content, or a NULL pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Buf {
    Null,
    Data(Vec<u8>),
}

/// One `struct iovec`: a buffer and the length the script gave for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoVec {
    pub base: Buf,
    pub len: usize,
}

/// One control message (`struct cmsghdr` and its payload bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmsg {
    pub level: i32,
    pub ty: i32,
    pub data: Vec<u8>,
}

/// A `struct msghdr` going in (sendmsg) or describing buffers to fill (recvmsg).
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

/// A syscall with live arguments. Anything the interpreter cannot express here
/// is reported as unsupported before it reaches a target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Syscall {
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
        /// The buffer is a NULL pointer (the kernel answers `EFAULT` when it
        /// has something to copy).
        buf_null: bool,
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
        /// The address is a `struct sockaddr` of family `AF_UNSPEC` (and
        /// `addr` is `None`): what a script's bare `AF_UNSPEC` passes.
        addr_unspec: bool,
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
        /// The buffer is a NULL pointer.
        buf_null: bool,
    },
    RecvFrom {
        fd: i32,
        len: usize,
        flags: i32,
        /// The buffer is a NULL pointer.
        buf_null: bool,
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
    /// `ioctl(fd, request, &int)`: the requests scripts use read or write one int.
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
    /// `open(path, flags, mode)`: the path's bytes as the script wrote them
    /// (no NUL; a relative path is relative to the harness's directory).
    Open {
        path: Vec<u8>,
        flags: i32,
        mode: u32,
    },
    /// `pipe(fds)` is `pipe2(fds, 0)`; the two fds come back in
    /// [`SyscallOutput::Pipe`].
    Pipe {
        flags: i32,
    },
    /// `sendfile(out_fd, in_fd, offset, count)`; `offset: None` is a NULL
    /// pointer (the file position is used and moved), `Some(n)` points at
    /// `n`, which the kernel advances ([`SyscallOutput::Offsets`]).
    SendFile {
        out_fd: i32,
        in_fd: i32,
        offset: Option<i64>,
        count: usize,
    },
    /// `splice(fd_in, off_in, fd_out, off_out, len, flags)`; each offset as
    /// in [`Syscall::SendFile`].
    Splice {
        fd_in: i32,
        off_in: Option<i64>,
        fd_out: i32,
        off_out: Option<i64>,
        len: usize,
        flags: u32,
    },
}

impl Syscall {
    /// The C name, for reports.
    pub fn name(&self) -> &'static str {
        match self {
            Syscall::Socket { .. } => "socket",
            Syscall::Bind { .. } => "bind",
            Syscall::Listen { .. } => "listen",
            Syscall::Accept { .. } => "accept",
            Syscall::Connect { .. } => "connect",
            Syscall::Read { .. } => "read",
            Syscall::Readv { .. } => "readv",
            Syscall::Write { .. } => "write",
            Syscall::Writev { .. } => "writev",
            Syscall::Send { .. } => "send",
            Syscall::SendTo { .. } => "sendto",
            Syscall::SendMsg { .. } => "sendmsg",
            Syscall::Recv { .. } => "recv",
            Syscall::RecvFrom { .. } => "recvfrom",
            Syscall::RecvMsg { .. } => "recvmsg",
            Syscall::Close { .. } => "close",
            Syscall::Shutdown { .. } => "shutdown",
            Syscall::SetSockOpt { .. } => "setsockopt",
            Syscall::GetSockOpt { .. } => "getsockopt",
            Syscall::Fcntl { .. } => "fcntl",
            Syscall::Ioctl { .. } => "ioctl",
            Syscall::Poll { .. } => "poll",
            Syscall::EpollCreate { .. } => "epoll_create",
            Syscall::EpollCtl { .. } => "epoll_ctl",
            Syscall::EpollWait { .. } => "epoll_wait",
            Syscall::Open { .. } => "open",
            Syscall::Pipe { .. } => "pipe",
            Syscall::SendFile { .. } => "sendfile",
            Syscall::Splice { .. } => "splice",
        }
    }
}

/// What a syscall returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyscallResult {
    /// The return value; -1 with `errno` set on failure.
    pub ret: i64,
    /// Set when `ret` is -1.
    pub errno: Option<i32>,
    pub out: SyscallOutput,
}

/// What a syscall wrote back into user memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SyscallOutput {
    #[default]
    None,
    /// Bytes read (read, recv, readv: concatenated).
    Data(Vec<u8>),
    /// accept/recvfrom peer address.
    Addr {
        data: Vec<u8>,
        addr: Option<SocketAddr>,
    },
    /// getsockopt: the option bytes (an int, a `struct linger`, `struct
    /// tcp_info`, a string, …) and the length written back.
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
    /// pipe: the read end and the write end.
    Pipe([i32; 2]),
    /// sendfile, splice: the offsets the call was given, as the kernel left
    /// them (`None` where the pointer was NULL; sendfile's offset is the
    /// input file's, it has no `off_out`).
    Offsets {
        off_in: Option<i64>,
        off_out: Option<i64>,
    },
}

impl SyscallResult {
    pub fn ok(ret: i64) -> Self {
        SyscallResult {
            ret,
            errno: None,
            out: SyscallOutput::None,
        }
    }
    pub fn err(errno: i32) -> Self {
        SyscallResult {
            ret: -1,
            errno: Some(errno),
            out: SyscallOutput::None,
        }
    }
    pub fn with(ret: i64, out: SyscallOutput) -> Self {
        SyscallResult {
            ret,
            errno: None,
            out,
        }
    }
}
