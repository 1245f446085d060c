//! Syscall lines → live [`Syscall`]s, and what each line expects back.
//!
//! `...` is filled in as packetdrill does: the local address (`--local_ip`,
//! `--bind_port`) for bind, the remote one (`--remote_ip`, `--connect_port`)
//! for connect, sendto and sendmsg, a buffer of the given length for data,
//! "not checked" for outputs. Script fds become live fds through the
//! [`Mapping`]. Calls the seam cannot express are unsupported, by name.

use super::args::{ArgError, Eval, describe, fields, is_ellipsis, is_null};
use super::mapping::{Mapping, Proto};
use super::structs::{self, CmsgSpec, EpollData};
use crate::script::ast::{self, Expr, ExprKind};
use crate::target::{EpollEvent, IpVersion, MsgHdr, NetConfig, Syscall};
use netdrill_stack::linux;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

/// What the interpreter knows about a live socket fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockInfo {
    pub domain: i32,
    pub proto: Proto,
}

/// Live fds the script created, with their family and protocol.
#[derive(Clone, Debug, Default)]
pub struct Sockets(BTreeMap<i32, SockInfo>);

impl Sockets {
    pub fn get(&self, live_fd: i32) -> Option<SockInfo> {
        self.0.get(&live_fd).copied()
    }
    pub fn insert(&mut self, live_fd: i32, info: SockInfo) {
        self.0.insert(live_fd, info);
    }
    pub fn remove(&mut self, live_fd: i32) {
        self.0.remove(&live_fd);
    }
}

/// Everything a conversion reads.
pub struct CallEnv<'a> {
    pub eval: Eval<'a>,
    pub net: &'a NetConfig,
    pub mapping: &'a Mapping,
    pub sockets: &'a Sockets,
}

/// A converted line: the live call and the checks for its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    pub call: Syscall,
    pub expect: Expect,
    /// What a successful call changes in the interpreter's view.
    pub effect: Effect,
}

/// The result a line expects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    /// The return value as written (for fd-returning calls, the script fd).
    pub ret: i64,
    /// The call returns a new fd: `ret` names it rather than being compared.
    pub new_fd: bool,
    /// `EAGAIN` after the result: (value, name).
    pub errno: Option<(i32, String)>,
    pub out: ExpectOut,
}

/// Output fields a line states (anything not written is not checked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpectOut {
    None,
    /// getsockopt `[N]`, ioctl `[N]`: the int written back.
    Int(i64),
    /// getsockopt with a struct or string value: the exact bytes.
    Bytes(Vec<u8>),
    /// getsockopt TCP_INFO with `{tcpi_x=N, ...}`: these fields.
    TcpInfo(Vec<(String, i64)>),
    /// poll: expected revents per pollfd (`None`: not written).
    Revents(Vec<Option<i16>>),
    /// epoll_wait: the events expected, in order.
    Epoll(Vec<(u32, EpollData)>),
    /// recvmsg: `msg_flags` and `msg_control` when written.
    Msg {
        flags: Option<i32>,
        control: Option<Vec<CmsgSpec>>,
    },
}

/// Bookkeeping after a call succeeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    None,
    Socket(SockInfo),
    Bind { live_fd: i32, port: u16 },
    Listen { live_fd: i32 },
    Accept { listener: i32 },
    Close { script_fd: i32 },
    EpollCreate,
}

impl CallEnv<'_> {
    fn fd(&self, e: &Expr) -> Result<i32, ArgError> {
        Ok(self.mapping.live_fd(self.eval.i32(e)?))
    }

    fn domain_of(&self, live_fd: i32) -> i32 {
        match self.sockets.get(live_fd) {
            Some(s) => s.domain,
            None => default_domain(self.net.ip_version),
        }
    }

    fn is_stream(&self, live_fd: i32) -> bool {
        self.sockets
            .get(live_fd)
            .is_none_or(|s| s.proto == Proto::Tcp)
    }

    /// The address `...` means for this socket: local (bind) or remote.
    fn default_addr(&self, live_fd: i32, local: bool) -> SocketAddr {
        let (ip, port) = if local {
            (self.net.local_ip, self.mapping.bind_port())
        } else {
            (self.net.remote_ip, self.mapping.connect_port())
        };
        SocketAddr::new(in_family(ip, self.domain_of(live_fd)), port)
    }
}

/// AF_INET for `--ip_version=ipv4`, AF_INET6 otherwise.
pub fn default_domain(v: IpVersion) -> i32 {
    match v {
        IpVersion::Ipv4 => linux::AF_INET as i32,
        IpVersion::Ipv4MappedIpv6 | IpVersion::Ipv6 => linux::AF_INET6 as i32,
    }
}

/// An address as a socket of `domain` names it (`::ffff:a.b.c.d` for IPv4
/// on an AF_INET6 socket).
pub fn in_family(ip: IpAddr, domain: i32) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if i64::from(domain) == linux::AF_INET6 => IpAddr::V6(v4.to_ipv6_mapped()),
        other => other,
    }
}

fn arity(s: &ast::Syscall, n: std::ops::RangeInclusive<usize>) -> Result<(), ArgError> {
    if n.contains(&s.args.len()) {
        return Ok(());
    }
    Err(ArgError::script(
        format!(
            "{}() takes {} argument(s), the line gives {}",
            s.name.name,
            if n.start() == n.end() {
                n.start().to_string()
            } else {
                format!("{}..={}", n.start(), n.end())
            },
            s.args.len()
        ),
        s.span,
    ))
}

/// Converts one syscall line.
pub fn prepare(env: &CallEnv<'_>, s: &ast::Syscall) -> Result<Prepared, ArgError> {
    let a = &s.args;
    let ev = &env.eval;
    let mut effect = Effect::None;
    let mut out = ExpectOut::None;
    let mut new_fd = false;
    let call = match s.name.name.as_str() {
        "socket" => {
            arity(s, 3..=3)?;
            let domain = if is_ellipsis(&a[0]) {
                default_domain(env.net.ip_version)
            } else {
                ev.i32(&a[0])?
            };
            let ty = ev.i32(&a[1])?;
            let protocol = if is_ellipsis(&a[2]) {
                0
            } else {
                ev.i32(&a[2])?
            };
            let base_ty = i64::from(ty) & 0xf;
            let proto = if base_ty == linux::SOCK_DGRAM {
                Proto::Udp
            } else {
                Proto::Tcp
            };
            effect = Effect::Socket(SockInfo { domain, proto });
            new_fd = true;
            Syscall::Socket {
                domain,
                ty,
                protocol,
            }
        }
        "bind" => {
            arity(s, 3..=3)?;
            let fd = env.fd(&a[0])?;
            let addr = structs::sockaddr_arg(ev, &a[1], env.default_addr(fd, true))?;
            if let Some(addr) = addr {
                effect = Effect::Bind {
                    live_fd: fd,
                    port: addr.port(),
                };
            }
            Syscall::Bind { fd, addr }
        }
        "listen" => {
            arity(s, 2..=2)?;
            let fd = env.fd(&a[0])?;
            effect = Effect::Listen { live_fd: fd };
            Syscall::Listen {
                fd,
                backlog: ev.i32(&a[1])?,
            }
        }
        "accept" | "accept4" => {
            arity(s, 3..=4)?;
            let fd = env.fd(&a[0])?;
            let flags = match a.get(3) {
                Some(f) => ev.i32(f)?,
                None => 0,
            };
            effect = Effect::Accept { listener: fd };
            new_fd = true;
            Syscall::Accept { fd, flags }
        }
        "connect" => {
            arity(s, 3..=3)?;
            let fd = env.fd(&a[0])?;
            let addr = structs::sockaddr_arg(ev, &a[1], env.default_addr(fd, false))?;
            Syscall::Connect { fd, addr }
        }
        "read" => {
            arity(s, 3..=3)?;
            Syscall::Read {
                fd: env.fd(&a[0])?,
                len: ev.len(&a[2])?,
                buf_null: is_null(&a[1]),
            }
        }
        "write" => {
            arity(s, 3..=3)?;
            let len = ev.len(&a[2])?;
            Syscall::Write {
                fd: env.fd(&a[0])?,
                buf: structs::buffer(ev, &a[1], len)?,
                len,
            }
        }
        "readv" | "writev" => {
            arity(s, 3..=3)?;
            let fd = env.fd(&a[0])?;
            let iov = structs::iovecs(ev, &a[1])?;
            if s.name.name == "readv" {
                Syscall::Readv { fd, iov }
            } else {
                Syscall::Writev { fd, iov }
            }
        }
        "send" => {
            arity(s, 4..=4)?;
            let len = ev.len(&a[2])?;
            Syscall::Send {
                fd: env.fd(&a[0])?,
                buf: structs::buffer(ev, &a[1], len)?,
                len,
                flags: ev.i32(&a[3])?,
            }
        }
        "sendto" => {
            arity(s, 6..=6)?;
            let fd = env.fd(&a[0])?;
            let len = ev.len(&a[2])?;
            let flags = ev.i32(&a[3])?;
            // A bare `AF_UNSPEC`: a sockaddr of that family, no address.
            let addr_unspec = matches!(&a[4].kind, ExprKind::Symbol(id) if id.name == "AF_UNSPEC");
            let addr = if addr_unspec
                || (is_ellipsis(&a[4])
                    && env.is_stream(fd)
                    && i64::from(flags) & linux::MSG_FASTOPEN == 0)
            {
                // A connected TCP socket ignores the address; none is passed.
                None
            } else {
                structs::sockaddr_arg(ev, &a[4], env.default_addr(fd, false))?
            };
            Syscall::SendTo {
                fd,
                buf: structs::buffer(ev, &a[1], len)?,
                len,
                flags,
                addr,
                addr_unspec,
            }
        }
        "recv" => {
            arity(s, 4..=4)?;
            Syscall::Recv {
                fd: env.fd(&a[0])?,
                len: ev.len(&a[2])?,
                flags: ev.i32(&a[3])?,
                buf_null: is_null(&a[1]),
            }
        }
        "recvfrom" => {
            arity(s, 6..=6)?;
            Syscall::RecvFrom {
                fd: env.fd(&a[0])?,
                len: ev.len(&a[2])?,
                flags: ev.i32(&a[3])?,
                buf_null: is_null(&a[1]),
            }
        }
        "sendmsg" => {
            arity(s, 3..=3)?;
            let fd = env.fd(&a[0])?;
            let flags = ev.i32(&a[2])?;
            let name_default = (!env.is_stream(fd) || i64::from(flags) & linux::MSG_FASTOPEN != 0)
                .then(|| env.default_addr(fd, false));
            let m = structs::msghdr(ev, &a[1], name_default)?;
            let control: Vec<_> = m.control.iter().flatten().map(CmsgSpec::to_cmsg).collect();
            let msg = MsgHdr {
                name: m.name,
                iov: m.iov,
                control,
                control_len: 0,
                flags: m.flags.unwrap_or(0),
            };
            Syscall::SendMsg { fd, msg, flags }
        }
        "recvmsg" => {
            arity(s, 3..=3)?;
            let fd = env.fd(&a[0])?;
            let m = structs::msghdr(ev, &a[1], None)?;
            let control_len = if m.control.is_some() {
                structs::CONTROL_ROOM
            } else {
                0
            };
            out = ExpectOut::Msg {
                flags: m.flags,
                control: m.control,
            };
            let msg = MsgHdr {
                name: None,
                iov: m.iov,
                control: vec![],
                control_len,
                flags: 0,
            };
            Syscall::RecvMsg {
                fd,
                msg,
                flags: ev.i32(&a[2])?,
            }
        }
        "close" => {
            arity(s, 1..=1)?;
            effect = Effect::Close {
                script_fd: ev.i32(&a[0])?,
            };
            Syscall::Close { fd: env.fd(&a[0])? }
        }
        "shutdown" => {
            arity(s, 2..=2)?;
            Syscall::Shutdown {
                fd: env.fd(&a[0])?,
                how: ev.i32(&a[1])?,
            }
        }
        "setsockopt" => {
            arity(s, 5..=5)?;
            let len = ev.len(&a[4])?;
            let len32 = u32::try_from(len)
                .map_err(|_| ArgError::script("option length too large", a[4].span))?;
            let value = option_value_in(ev, &a[3], len)?;
            Syscall::SetSockOpt {
                fd: env.fd(&a[0])?,
                level: ev.i32(&a[1])?,
                name: ev.i32(&a[2])?,
                value,
                len: len32,
            }
        }
        "getsockopt" => {
            arity(s, 5..=5)?;
            let len = if is_ellipsis(&a[4]) {
                256
            } else {
                ev.len(&a[4])?
            };
            let len = u32::try_from(len)
                .map_err(|_| ArgError::script("option length too large", a[4].span))?;
            out = option_value_out(ev, &a[3])?;
            Syscall::GetSockOpt {
                fd: env.fd(&a[0])?,
                level: ev.i32(&a[1])?,
                name: ev.i32(&a[2])?,
                len,
            }
        }
        "fcntl" => {
            arity(s, 2..=3)?;
            let arg = match a.get(2) {
                Some(x) => ev.int(x)?,
                None => 0,
            };
            Syscall::Fcntl {
                fd: env.fd(&a[0])?,
                cmd: ev.i32(&a[1])?,
                arg,
            }
        }
        "ioctl" => {
            arity(s, 3..=3)?;
            let arg = if is_ellipsis(&a[2]) {
                0
            } else {
                ev.i32(&a[2])?
            };
            if !is_ellipsis(&a[2]) {
                out = ExpectOut::Int(i64::from(arg));
            }
            let request = ev.int(&a[1])? as u64;
            Syscall::Ioctl {
                fd: env.fd(&a[0])?,
                request,
                arg,
            }
        }
        "poll" => {
            arity(s, 3..=3)?;
            let items: Vec<&Expr> = match &a[0].kind {
                ExprKind::Array(items) => items.iter().collect(),
                ExprKind::Struct(_) => vec![&a[0]],
                _ => {
                    return Err(ArgError::script(
                        format!("poll needs pollfds, found {}", describe(&a[0])),
                        a[0].span,
                    ));
                }
            };
            let mut fds = Vec::new();
            let mut revents = Vec::new();
            for it in items {
                let (p, r) = structs::pollfd(ev, env.mapping, it)?;
                fds.push(p);
                revents.push(r);
            }
            out = ExpectOut::Revents(revents);
            Syscall::Poll {
                fds,
                timeout_ms: ev.i32(&a[2])?,
            }
        }
        "epoll_create" | "epoll_create1" => {
            arity(s, 1..=1)?;
            new_fd = true;
            effect = Effect::EpollCreate;
            let v = ev.i32(&a[0])?;
            if s.name.name == "epoll_create" {
                Syscall::EpollCreate { size: v, flags: 0 }
            } else {
                Syscall::EpollCreate { size: 1, flags: v }
            }
        }
        "epoll_ctl" => {
            arity(s, 4..=4)?;
            let event = if is_null(&a[3]) || is_ellipsis(&a[3]) {
                None
            } else {
                let (events, data) = structs::epoll_event(ev, &a[3])?;
                let data = match data {
                    EpollData::Fd(fd) => env.mapping.live_fd(fd) as u32 as u64,
                    EpollData::Raw(v) => v,
                };
                Some(EpollEvent { events, data })
            };
            Syscall::EpollCtl {
                epfd: env.fd(&a[0])?,
                op: ev.i32(&a[1])?,
                fd: env.fd(&a[2])?,
                event,
            }
        }
        "epoll_wait" | "epoll_pwait" => {
            arity(s, 4..=5)?;
            out = match &a[1].kind {
                ExprKind::Ellipsis => ExpectOut::None,
                ExprKind::Array(items) => ExpectOut::Epoll(
                    items
                        .iter()
                        .map(|it| structs::epoll_event(ev, it))
                        .collect::<Result<_, _>>()?,
                ),
                _ => ExpectOut::Epoll(vec![structs::epoll_event(ev, &a[1])?]),
            };
            Syscall::EpollWait {
                epfd: env.fd(&a[0])?,
                max_events: ev.i32(&a[2])?,
                timeout_ms: ev.i32(&a[3])?,
            }
        }
        other => {
            return Err(ArgError::unsupported(
                format!("syscall {other}"),
                s.name.span,
            ));
        }
    };
    let expect = expect(env, s, new_fd, out)?;
    Ok(Prepared {
        call,
        expect,
        effect,
    })
}

fn expect(
    env: &CallEnv<'_>,
    s: &ast::Syscall,
    new_fd: bool,
    out: ExpectOut,
) -> Result<Expect, ArgError> {
    let ret = env.eval.int(&s.result)?;
    let errno = match &s.errno {
        None => None,
        Some(id) => {
            let v = linux::Errno::from_name(&id.name)
                .map(|e| e.0)
                .ok_or_else(|| ArgError::unsupported(format!("errno {}", id.name), id.span))?;
            Some((v, id.name.clone()))
        }
    };
    Ok(Expect {
        ret,
        new_fd,
        errno,
        out,
    })
}

/// A setsockopt value: `[N]` (an int of `len` bytes), a string, a struct
/// linger, `NULL`, or `...` (zeros).
fn option_value_in(ev: &Eval<'_>, e: &Expr, len: usize) -> Result<crate::target::Buf, ArgError> {
    use crate::target::Buf;
    if is_null(e) {
        return Ok(Buf::Null);
    }
    if is_ellipsis(e) {
        return Ok(Buf::Data(vec![0; len]));
    }
    match &e.kind {
        ExprKind::Array(items) if items.len() == 1 => {
            let v = ev.int(&items[0])?;
            Ok(Buf::Data(int_bytes(v, len)))
        }
        ExprKind::Struct(_) => match structs::linger(ev, e)? {
            Some(b) => Ok(Buf::Data(b)),
            None => {
                let names: Vec<&str> = fields(e)?.iter().map(|(n, _)| *n).collect();
                Err(ArgError::unsupported(
                    format!("option value {{{}}}", names.join(", ")),
                    e.span,
                ))
            }
        },
        ExprKind::Str { value, .. } => Ok(Buf::Data(value.clone())),
        _ => Ok(Buf::Data(int_bytes(ev.int(e)?, len))),
    }
}

/// An int as the kernel reads it from a buffer of `len` bytes (1, 2, 4 or 8).
fn int_bytes(v: i64, len: usize) -> Vec<u8> {
    let full = v.to_le_bytes();
    let n = len.min(8);
    let mut b = full[..n].to_vec();
    b.resize(len, 0);
    b
}

/// What a getsockopt value says about the output.
fn option_value_out(ev: &Eval<'_>, e: &Expr) -> Result<ExpectOut, ArgError> {
    if is_ellipsis(e) || is_null(e) {
        return Ok(ExpectOut::None);
    }
    match &e.kind {
        ExprKind::Array(items) if items.len() == 1 => Ok(ExpectOut::Int(ev.int(&items[0])?)),
        ExprKind::Struct(_) => {
            if let Some(b) = structs::linger(ev, e)? {
                return Ok(ExpectOut::Bytes(b));
            }
            let fs = fields(e)?;
            if fs.iter().all(|(n, _)| n.starts_with("tcpi_")) {
                let want = fs
                    .iter()
                    .map(|(n, v)| Ok((n.to_string(), ev.int(v)?)))
                    .collect::<Result<_, ArgError>>()?;
                return Ok(ExpectOut::TcpInfo(want));
            }
            let names: Vec<&str> = fs.iter().map(|(n, _)| *n).collect();
            Err(ArgError::unsupported(
                format!("option value {{{}}}", names.join(", ")),
                e.span,
            ))
        }
        ExprKind::Str { value, .. } => Ok(ExpectOut::Bytes(value.clone())),
        _ => Ok(ExpectOut::Int(ev.int(e)?)),
    }
}
