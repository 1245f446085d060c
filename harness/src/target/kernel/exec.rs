//! Executes one [`Syscall`] for real and turns what the kernel wrote back
//! into a [`SyscallResult`]. Runs on a worker thread inside the namespace;
//! every buffer lives on that thread for the duration of the call.
//!
//! Every fd a call creates (sockets, files, pipes) is close-on-exec,
//! whatever the script asked (the flag it asked for is kept by
//! [`super::fds`]): no process a command starts may hold a copy of a run's
//! socket, file or pipe.

use super::abi;
use super::sys::{self, SysResult, UserBuf};
use crate::target::{Buf, EpollEvent, IoVec, MsgHdr, Syscall, SyscallOutput, SyscallResult};

/// Largest user buffer the target allocates for one argument. A script (or a
/// fuzzer) asking for more gets an "unsupported" answer, not an abort.
pub const MAX_BUFFER: usize = 64 << 20;
/// Most `epoll_event`s one epoll_wait may ask for.
const MAX_EPOLL_EVENTS: usize = 1 << 16;

/// Why a syscall could not be handed to the kernel as asked.
pub type Refusal = String;

fn room(len: usize, what: &str) -> Result<Vec<u8>, Refusal> {
    if len > MAX_BUFFER {
        return Err(format!(
            "{what} of {len} bytes is larger than the kernel target's limit of {MAX_BUFFER}"
        ));
    }
    Ok(vec![0; len])
}

/// The bytes a `len`-byte input buffer holds: the script's data, cut or
/// zero-padded to `len`; `None` for a NULL buffer.
fn input(buf: &Buf, len: usize, what: &str) -> Result<Option<Vec<u8>>, Refusal> {
    match buf {
        Buf::Null => {
            room(len, what)?; // same limit, even though nothing is allocated
            Ok(None)
        }
        Buf::Data(data) => {
            let mut bytes = room(len, what)?;
            let n = data.len().min(len);
            bytes[..n].copy_from_slice(&data[..n]);
            Ok(Some(bytes))
        }
    }
}

fn user(buf: &mut Option<Vec<u8>>, len: usize) -> UserBuf<'_> {
    match buf {
        Some(b) => UserBuf::new(b),
        None => UserBuf::null(len),
    }
}

/// Room for a read, or a NULL pointer of the same length when the script
/// passed NULL.
fn out_buf(buf: &mut [u8], null: bool) -> UserBuf<'_> {
    if null {
        UserBuf::null(buf.len())
    } else {
        UserBuf::new(buf)
    }
}

/// One iovec's buffer (`None`: NULL) and its length.
type IoBuf = (Option<Vec<u8>>, usize);

/// Buffers for an iovec array: the data for writes, room for reads.
fn iov_buffers(iov: &[IoVec], what: &str) -> Result<Vec<IoBuf>, Refusal> {
    let total = iov.iter().fold(0usize, |t, v| t.saturating_add(v.len));
    if total > MAX_BUFFER {
        return Err(format!("{what} of {total} bytes in all is too large"));
    }
    iov.iter()
        .map(|v| Ok((input(&v.base, v.len, what)?, v.len)))
        .collect()
}

fn user_iov(bufs: &mut [IoBuf]) -> Vec<UserBuf<'_>> {
    bufs.iter_mut().map(|(b, len)| user(b, *len)).collect()
}

/// The first `n` bytes spread over `bufs`, in order (what readv filled).
fn gather(bufs: &[IoBuf], n: i64) -> Vec<u8> {
    let mut left = usize::try_from(n).unwrap_or(0);
    let mut out = Vec::with_capacity(left);
    for b in bufs.iter().filter_map(|(b, _)| b.as_ref()) {
        let take = left.min(b.len());
        out.extend_from_slice(&b[..take]);
        left -= take;
    }
    out
}

fn result(r: SysResult, out: impl FnOnce(i64) -> SyscallOutput) -> SyscallResult {
    match r {
        Ok(ret) => SyscallResult::with(ret, out(ret)),
        Err(errno) => SyscallResult::err(errno),
    }
}

fn plain(r: SysResult) -> SyscallResult {
    result(r, |_| SyscallOutput::None)
}

fn data_of(buf: &[u8], n: i64) -> Vec<u8> {
    buf[..usize::try_from(n).unwrap_or(0).min(buf.len())].to_vec()
}

/// Runs `call` in the calling thread's namespace.
pub fn execute(call: &Syscall) -> Result<SyscallResult, Refusal> {
    Ok(match call {
        Syscall::Socket {
            domain,
            ty,
            protocol,
        } => plain(sys::socket(*domain, *ty | libc::SOCK_CLOEXEC, *protocol)),
        Syscall::Bind { fd, addr } => {
            let a = addr.as_ref().map(abi::encode_sockaddr);
            plain(sys::bind(*fd, a.as_deref()))
        }
        Syscall::Connect { fd, addr } => {
            let a = addr.as_ref().map(abi::encode_sockaddr);
            plain(sys::connect(*fd, a.as_deref()))
        }
        Syscall::Listen { fd, backlog } => plain(sys::listen(*fd, *backlog)),
        Syscall::Accept { fd, flags } => {
            let mut addr = [0u8; abi::SOCKADDR_STORAGE_LEN];
            match sys::accept4(*fd, &mut addr, *flags | libc::SOCK_CLOEXEC) {
                Ok((ret, len)) => SyscallResult::with(
                    ret,
                    SyscallOutput::Addr {
                        data: Vec::new(),
                        addr: abi::decode_sockaddr(&addr, len),
                    },
                ),
                Err(errno) => SyscallResult::err(errno),
            }
        }
        Syscall::Read { fd, len, buf_null } => {
            let mut buf = room(*len, "read buffer")?;
            let r = sys::read(*fd, out_buf(&mut buf, *buf_null));
            result(r, |n| SyscallOutput::Data(data_of(&buf, n)))
        }
        Syscall::Readv { fd, iov } => {
            let mut bufs = iov_buffers(iov, "readv buffer")?;
            let r = sys::readv(*fd, &mut user_iov(&mut bufs));
            result(r, |n| SyscallOutput::Data(gather(&bufs, n)))
        }
        Syscall::Write { fd, buf, len } => {
            let mut b = input(buf, *len, "write buffer")?;
            plain(sys::write(*fd, user(&mut b, *len)))
        }
        Syscall::Writev { fd, iov } => {
            let mut bufs = iov_buffers(iov, "writev buffer")?;
            plain(sys::writev(*fd, &mut user_iov(&mut bufs)))
        }
        Syscall::Send {
            fd,
            buf,
            len,
            flags,
        } => {
            let mut b = input(buf, *len, "send buffer")?;
            plain(sys::sendto(*fd, user(&mut b, *len), *flags, None))
        }
        Syscall::SendTo {
            fd,
            buf,
            len,
            flags,
            addr,
            addr_unspec,
        } => {
            let mut b = input(buf, *len, "sendto buffer")?;
            // AF_UNSPEC is 0: a zeroed sockaddr of sockaddr_in's size.
            let a = if *addr_unspec {
                Some(vec![0u8; 16])
            } else {
                addr.as_ref().map(abi::encode_sockaddr)
            };
            plain(sys::sendto(*fd, user(&mut b, *len), *flags, a.as_deref()))
        }
        Syscall::SendMsg { fd, msg, flags } => send_msg(*fd, msg, *flags)?,
        Syscall::Recv {
            fd,
            len,
            flags,
            buf_null,
        } => {
            let mut buf = room(*len, "recv buffer")?;
            let r = sys::recvfrom(*fd, out_buf(&mut buf, *buf_null), *flags, None).map(|(n, _)| n);
            result(r, |n| SyscallOutput::Data(data_of(&buf, n)))
        }
        Syscall::RecvFrom {
            fd,
            len,
            flags,
            buf_null,
        } => {
            let mut buf = room(*len, "recvfrom buffer")?;
            let mut addr = [0u8; abi::SOCKADDR_STORAGE_LEN];
            match sys::recvfrom(*fd, out_buf(&mut buf, *buf_null), *flags, Some(&mut addr)) {
                Ok((n, alen)) => SyscallResult::with(
                    n,
                    SyscallOutput::Addr {
                        data: data_of(&buf, n),
                        addr: abi::decode_sockaddr(&addr, alen),
                    },
                ),
                Err(errno) => SyscallResult::err(errno),
            }
        }
        Syscall::RecvMsg { fd, msg, flags } => recv_msg(*fd, msg, *flags)?,
        Syscall::Close { fd } => plain(sys::close(*fd)),
        Syscall::Shutdown { fd, how } => plain(sys::shutdown(*fd, *how)),
        Syscall::SetSockOpt {
            fd,
            level,
            name,
            value,
            len,
        } => {
            let len = *len as usize;
            let mut v = input(value, len, "option value")?;
            plain(sys::setsockopt(*fd, *level, *name, user(&mut v, len)))
        }
        Syscall::GetSockOpt {
            fd,
            level,
            name,
            len,
        } => {
            let mut buf = room(*len as usize, "option buffer")?;
            match sys::getsockopt(*fd, *level, *name, &mut buf) {
                Ok((ret, written)) => {
                    buf.truncate(written);
                    SyscallResult::with(ret, SyscallOutput::OptVal(buf))
                }
                Err(errno) => SyscallResult::err(errno),
            }
        }
        Syscall::Fcntl { fd, cmd, arg } => {
            let cmd = if *cmd == libc::F_DUPFD {
                libc::F_DUPFD_CLOEXEC
            } else {
                *cmd
            };
            plain(sys::fcntl(*fd, cmd, *arg))
        }
        Syscall::Ioctl { fd, request, arg } => {
            let mut value = *arg;
            let r = sys::ioctl_int(*fd, *request, &mut value);
            result(r, |_| SyscallOutput::Int(value))
        }
        Syscall::Poll { fds, timeout_ms } => {
            let mut pfds: Vec<libc::pollfd> = fds
                .iter()
                .map(|p| libc::pollfd {
                    fd: p.fd,
                    events: p.events,
                    revents: 0,
                })
                .collect();
            let r = sys::poll(&mut pfds, *timeout_ms);
            result(r, |_| {
                SyscallOutput::PollRevents(pfds.iter().map(|p| p.revents).collect())
            })
        }
        // epoll_create has no flags: its fd is made close-on-exec at once.
        Syscall::EpollCreate { size, flags } => plain(if *flags != 0 {
            sys::epoll_create1(*flags | libc::EPOLL_CLOEXEC)
        } else {
            sys::epoll_create(*size).and_then(|fd| match sys::set_cloexec(fd as i32) {
                Ok(()) => Ok(fd),
                Err(errno) => {
                    let _ = sys::close(fd as i32);
                    Err(errno)
                }
            })
        }),
        Syscall::EpollCtl {
            epfd,
            op,
            fd,
            event,
        } => {
            let ev = event.map(|e| libc::epoll_event {
                events: e.events,
                u64: e.data,
            });
            plain(sys::epoll_ctl(*epfd, *op, *fd, ev))
        }
        Syscall::EpollWait {
            epfd,
            max_events,
            timeout_ms,
        } => {
            let n = usize::try_from(*max_events)
                .unwrap_or(0)
                .clamp(1, MAX_EPOLL_EVENTS);
            let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; n];
            let r = sys::epoll_wait(*epfd, &mut events, *max_events, *timeout_ms);
            result(r, |ready| {
                let ready = usize::try_from(ready).unwrap_or(0).min(events.len());
                SyscallOutput::EpollEvents(
                    events[..ready]
                        .iter()
                        .map(|e| EpollEvent {
                            events: e.events,
                            data: e.u64,
                        })
                        .collect(),
                )
            })
        }
        Syscall::Open { path, flags, mode } => {
            // The kernel reads the path up to its first NUL, as C would.
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            let path =
                std::ffi::CString::new(&path[..end]).map_err(|e| format!("open path: {e}"))?;
            plain(sys::open(&path, *flags | libc::O_CLOEXEC, *mode))
        }
        Syscall::Pipe { flags } => match sys::pipe2(*flags | libc::O_CLOEXEC) {
            Ok(fds) => SyscallResult::with(0, SyscallOutput::Pipe(fds)),
            Err(errno) => SyscallResult::err(errno),
        },
        Syscall::SendFile {
            out_fd,
            in_fd,
            offset,
            count,
        } => {
            let mut off = *offset;
            let r = sys::sendfile(*out_fd, *in_fd, off.as_mut(), *count);
            result(r, |_| SyscallOutput::Offsets {
                off_in: off,
                off_out: None,
            })
        }
        Syscall::Splice {
            fd_in,
            off_in,
            fd_out,
            off_out,
            len,
            flags,
        } => {
            let (mut oi, mut oo) = (*off_in, *off_out);
            let r = sys::splice(*fd_in, oi.as_mut(), *fd_out, oo.as_mut(), *len, *flags);
            result(r, |_| SyscallOutput::Offsets {
                off_in: oi,
                off_out: oo,
            })
        }
    })
}

fn send_msg(fd: i32, msg: &MsgHdr, flags: i32) -> Result<SyscallResult, Refusal> {
    let name = msg.name.as_ref().map(abi::encode_sockaddr);
    let mut bufs = iov_buffers(&msg.iov, "sendmsg buffer")?;
    let control = abi::encode_cmsgs(&msg.control);
    Ok(plain(sys::sendmsg(
        fd,
        name.as_deref(),
        &mut user_iov(&mut bufs),
        &control,
        flags,
    )))
}

fn recv_msg(fd: i32, msg: &MsgHdr, flags: i32) -> Result<SyscallResult, Refusal> {
    let mut name = msg.name.map(|_| [0u8; abi::SOCKADDR_STORAGE_LEN]);
    let mut bufs = iov_buffers(&msg.iov, "recvmsg buffer")?;
    let mut control = room(msg.control_len, "recvmsg control buffer")?;
    let r = sys::recvmsg(
        fd,
        name.as_mut().map(|n| &mut n[..]),
        &mut user_iov(&mut bufs),
        &mut control,
        flags,
    );
    Ok(match r {
        Ok(out) => SyscallResult::with(
            out.ret,
            SyscallOutput::Msg {
                data: gather(&bufs, out.ret),
                name: name
                    .as_ref()
                    .and_then(|n| abi::decode_sockaddr(n, out.name_len)),
                control: abi::decode_cmsgs(&control, out.control_len),
                flags: out.flags,
            },
        ),
        Err(errno) => SyscallResult::err(errno),
    })
}
