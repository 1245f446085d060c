//! send(2) and recv(2) on buffers the caller owns, for drivers that move
//! bulk data (benchmarks, simulations): no [`Call`](super::Call) value, no
//! copy of the caller's buffer into one, no `Vec` for what is read.
//!
//! Both never block (as if `MSG_DONTWAIT` were given) and answer exactly
//! what [`Stack::call`] answers for `Call::Send` / `Call::Recv` with the
//! same arguments and `MSG_DONTWAIT`: same return values, same errnos.

use super::dispatch::RecvShape;
use super::sock::{Kind, TcpSock};
use crate::host::Stack;
use crate::host::pending::{Progress, Step};
use crate::linux::{self, Errno};
use crate::time::Instant;
use std::borrow::Cow;

use super::call::{CallOutput, CallResult};

/// Flags the TCP fast path of [`Stack::recv_into`] handles itself; any
/// other flag takes the general path.
const FAST_RECV_FLAGS: i64 = linux::MSG_PEEK | linux::MSG_DONTWAIT;

impl Stack {
    /// `send(fd, data, data.len(), flags | MSG_DONTWAIT)`: how many bytes
    /// were taken (for TCP possibly fewer than `data.len()`), or the errno.
    pub fn send_from(
        &mut self,
        now: Instant,
        fd: i32,
        data: &[u8],
        flags: i32,
    ) -> Result<usize, Errno> {
        self.advance(now);
        let flags = flags | linux::MSG_DONTWAIT as i32;
        let step = self.write_like(
            fd,
            Ok(Cow::Borrowed(data)),
            flags,
            None,
            false,
            &mut Progress::default(),
        );
        self.after_event();
        step_result(step).map(|(n, _)| n)
    }

    /// `recv(fd, buf, buf.len(), flags | MSG_DONTWAIT)`: the bytes are
    /// written to the start of `buf`; returns the call's return value (for
    /// UDP with `MSG_TRUNC`, the datagram's full length) or the errno.
    pub fn recv_into(
        &mut self,
        now: Instant,
        fd: i32,
        buf: &mut [u8],
        flags: i32,
    ) -> Result<usize, Errno> {
        self.advance(now);
        let flags = flags | linux::MSG_DONTWAIT as i32;
        let r = match self.fast_tcp_conn(fd, flags) {
            Some(c) => {
                let peek = i64::from(flags) & linux::MSG_PEEK != 0;
                self.tcp_recv_attempt(c, peek, buf)
            }
            None => {
                let step = self.read_like(
                    fd,
                    buf.len(),
                    flags,
                    RecvShape::Data,
                    false,
                    &mut Progress::default(),
                );
                step_result(step).map(|(n, out)| {
                    if let CallOutput::Data(d) = out {
                        let k = d.len().min(buf.len());
                        buf[..k].copy_from_slice(&d[..k]);
                    }
                    n
                })
            }
        };
        self.after_event();
        r
    }

    /// The connection behind `fd` when a receive with `flags` can go
    /// straight to it: a connected TCP socket and no flag that needs the
    /// general path's handling.
    fn fast_tcp_conn(&self, fd: i32, flags: i32) -> Option<u32> {
        if i64::from(flags) & !FAST_RECV_FLAGS != 0 {
            return None;
        }
        let s = self.sock_of_fd(fd).ok()?;
        match self.socks.get(s)?.kind {
            Kind::Tcp(TcpSock::Conn(c)) if self.conns.get(c).is_some() => Some(c),
            _ => None,
        }
    }
}

/// A nonblocking attempt's result as `Result`: a step that would block
/// cannot happen with `MSG_DONTWAIT`, but is `EAGAIN` if it did.
fn step_result(step: Step) -> Result<(usize, CallOutput), Errno> {
    match step {
        Step::Done(CallResult { ret, errno, out }) => match errno {
            Some(e) => Err(e),
            None => Ok((usize::try_from(ret).unwrap_or(0), out)),
        },
        Step::Block => Err(Errno::EAGAIN),
    }
}
