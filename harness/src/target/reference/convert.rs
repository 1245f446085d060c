//! The seam's syscall types to the stack's socket-call types and back. The
//! two mirror each other field by field (both are Linux's ABI as values), so
//! this is plain copying; it lives here so that neither crate depends on the
//! other's types.

use crate::target::{
    Buf, Cmsg, EpollEvent, IoVec, MsgHdr, PollFd, Syscall, SyscallOutput, SyscallResult,
};
use netdrill_stack::socket as s;

fn buf(b: Buf) -> s::Buf {
    match b {
        Buf::Null => s::Buf::Null,
        Buf::Data(d) => s::Buf::Data(d),
    }
}

fn iov(v: Vec<IoVec>) -> Vec<s::IoVec> {
    v.into_iter()
        .map(|i| s::IoVec {
            base: buf(i.base),
            len: i.len,
        })
        .collect()
}

fn msg(m: MsgHdr) -> s::MsgHdr {
    s::MsgHdr {
        name: m.name,
        iov: iov(m.iov),
        control: m
            .control
            .into_iter()
            .map(|c| s::Cmsg {
                level: c.level,
                ty: c.ty,
                data: c.data,
            })
            .collect(),
        control_len: m.control_len,
        flags: m.flags,
    }
}

/// A live syscall as the stack takes it; `Err(name)` for the calls on
/// files and pipes, which the stack does not model.
pub fn call(c: Syscall) -> Result<s::Call, &'static str> {
    Ok(match c {
        Syscall::Socket {
            domain,
            ty,
            protocol,
        } => s::Call::Socket {
            domain,
            ty,
            protocol,
        },
        Syscall::Bind { fd, addr } => s::Call::Bind { fd, addr },
        Syscall::Listen { fd, backlog } => s::Call::Listen { fd, backlog },
        Syscall::Accept { fd, flags } => s::Call::Accept { fd, flags },
        Syscall::Connect { fd, addr } => s::Call::Connect { fd, addr },
        Syscall::Read { fd, len, .. } => s::Call::Read { fd, len },
        Syscall::Readv { fd, iov: v } => s::Call::Readv { fd, iov: iov(v) },
        Syscall::Write { fd, buf: b, len } => s::Call::Write {
            fd,
            buf: buf(b),
            len,
        },
        Syscall::Writev { fd, iov: v } => s::Call::Writev { fd, iov: iov(v) },
        Syscall::Send {
            fd,
            buf: b,
            len,
            flags,
        } => s::Call::Send {
            fd,
            buf: buf(b),
            len,
            flags,
        },
        Syscall::SendTo {
            fd,
            buf: b,
            len,
            flags,
            addr,
            ..
        } => s::Call::SendTo {
            fd,
            buf: buf(b),
            len,
            flags,
            addr,
        },
        Syscall::SendMsg { fd, msg: m, flags } => s::Call::SendMsg {
            fd,
            msg: msg(m),
            flags,
        },
        Syscall::Recv { fd, len, flags, .. } => s::Call::Recv { fd, len, flags },
        Syscall::RecvFrom { fd, len, flags, .. } => s::Call::RecvFrom { fd, len, flags },
        Syscall::RecvMsg { fd, msg: m, flags } => s::Call::RecvMsg {
            fd,
            msg: msg(m),
            flags,
        },
        Syscall::Close { fd } => s::Call::Close { fd },
        Syscall::Shutdown { fd, how } => s::Call::Shutdown { fd, how },
        Syscall::SetSockOpt {
            fd,
            level,
            name,
            value,
            len,
        } => s::Call::SetSockOpt {
            fd,
            level,
            name,
            value: buf(value),
            len,
        },
        Syscall::GetSockOpt {
            fd,
            level,
            name,
            len,
        } => s::Call::GetSockOpt {
            fd,
            level,
            name,
            len,
        },
        Syscall::Fcntl { fd, cmd, arg } => s::Call::Fcntl { fd, cmd, arg },
        Syscall::Ioctl { fd, request, arg } => s::Call::Ioctl { fd, request, arg },
        Syscall::Poll { fds, timeout_ms } => s::Call::Poll {
            fds: fds
                .into_iter()
                .map(|PollFd { fd, events }| s::PollFd { fd, events })
                .collect(),
            timeout_ms,
        },
        Syscall::EpollCreate { size, flags } => s::Call::EpollCreate { size, flags },
        Syscall::EpollCtl {
            epfd,
            op,
            fd,
            event,
        } => s::Call::EpollCtl {
            epfd,
            op,
            fd,
            event: event.map(|EpollEvent { events, data }| s::EpollEvent { events, data }),
        },
        Syscall::EpollWait {
            epfd,
            max_events,
            timeout_ms,
        } => s::Call::EpollWait {
            epfd,
            max_events,
            timeout_ms,
        },
        Syscall::Open { .. }
        | Syscall::Pipe { .. }
        | Syscall::SendFile { .. }
        | Syscall::Splice { .. } => return Err(c.name()),
    })
}

/// The stack's result as the seam reports it.
pub fn result(r: s::CallResult) -> SyscallResult {
    let out = match r.out {
        s::CallOutput::None => SyscallOutput::None,
        s::CallOutput::Data(d) => SyscallOutput::Data(d),
        s::CallOutput::Addr { data, addr } => SyscallOutput::Addr { data, addr },
        s::CallOutput::OptVal(v) => SyscallOutput::OptVal(v),
        s::CallOutput::Int(i) => SyscallOutput::Int(i),
        s::CallOutput::Msg {
            data,
            name,
            control,
            flags,
        } => SyscallOutput::Msg {
            data,
            name,
            control: control
                .into_iter()
                .map(|c| Cmsg {
                    level: c.level,
                    ty: c.ty,
                    data: c.data,
                })
                .collect(),
            flags,
        },
        s::CallOutput::PollRevents(r) => SyscallOutput::PollRevents(r),
        s::CallOutput::EpollEvents(e) => SyscallOutput::EpollEvents(
            e.into_iter()
                .map(|e| EpollEvent {
                    events: e.events,
                    data: e.data,
                })
                .collect(),
        ),
    };
    SyscallResult {
        ret: r.ret,
        errno: r.errno.map(|e| e.0),
        out,
    }
}
