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
    Bind {
        live_fd: i32,
        port: u16,
    },
    Listen {
        live_fd: i32,
    },
    Accept {
        listener: i32,
    },
    Close {
        script_fd: i32,
    },
    EpollCreate,
    /// A new fd that is not a socket (`open`): the script's number names it.
    NewFd,
    /// `pipe([R, W])`: the script's numbers for the read and write ends.
    Pipe {
        script_fds: [i32; 2],
    },
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
        "open" => {
            arity(s, 2..=3)?;
            let Some(path) = ev.bytes(&a[0])? else {
                return Err(ArgError::script(
                    format!("open needs a path string, found {}", describe(&a[0])),
                    a[0].span,
                ));
            };
            let mode = match a.get(2) {
                Some(m) => u32::try_from(file_mode(ev, m)?)
                    .map_err(|_| ArgError::script("open mode out of range", m.span))?,
                None => 0,
            };
            new_fd = true;
            effect = Effect::NewFd;
            Syscall::Open {
                path,
                flags: ev.i32(&a[1])?,
                mode,
            }
        }
        "pipe" | "pipe2" => {
            if s.name.name == "pipe" {
                arity(s, 1..=1)?;
            } else {
                arity(s, 2..=2)?;
            }
            if let Some(script_fds) = pipe_fds(ev, &a[0])? {
                effect = Effect::Pipe { script_fds };
            }
            let flags = match a.get(1) {
                Some(f) => ev.i32(f)?,
                None => 0,
            };
            Syscall::Pipe { flags }
        }
        "sendfile" => {
            arity(s, 4..=4)?;
            Syscall::SendFile {
                out_fd: env.fd(&a[0])?,
                in_fd: env.fd(&a[1])?,
                offset: offset_in(ev, &a[2])?,
                count: ev.len(&a[3])?,
            }
        }
        "splice" => {
            arity(s, 6..=6)?;
            Syscall::Splice {
                fd_in: env.fd(&a[0])?,
                off_in: offset_in(ev, &a[1])?,
                fd_out: env.fd(&a[2])?,
                off_out: offset_in(ev, &a[3])?,
                len: ev.len(&a[4])?,
                flags: ev.i32(&a[5])? as u32,
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

/// An `open` mode. Modes are written in octal as in C (`0644`), which the
/// script's number literals do not do by themselves (they read `0644` as
/// 644), so a literal with a leading zero is read here as octal.
fn file_mode(ev: &Eval<'_>, e: &Expr) -> Result<i64, ArgError> {
    if let ExprKind::Int(i) = &e.kind {
        if let Some(v) = super::args::parse_int(&i.text) {
            return i64::try_from(v)
                .map_err(|_| ArgError::script("open mode out of range", e.span));
        }
    }
    ev.int(e)
}

/// The script's fd numbers for the two ends of a pipe: `[R, W]`, or `...`
/// (`None`: the script does not name them).
fn pipe_fds(ev: &Eval<'_>, e: &Expr) -> Result<Option<[i32; 2]>, ArgError> {
    match &e.kind {
        ExprKind::Ellipsis => Ok(None),
        ExprKind::Array(items) if items.len() == 2 => {
            Ok(Some([ev.i32(&items[0])?, ev.i32(&items[1])?]))
        }
        _ => Err(ArgError::script(
            format!("pipe needs [read_fd, write_fd], found {}", describe(e)),
            e.span,
        )),
    }
}

/// An `loff_t *` argument of sendfile or splice: `NULL` (the file position
/// is used) or `[N]`, a pointer to `N`. As in packetdrill, `N` is only what
/// goes in: the value the kernel advances it to is not checked.
fn offset_in(ev: &Eval<'_>, e: &Expr) -> Result<Option<i64>, ArgError> {
    if is_null(e) {
        return Ok(None);
    }
    match &e.kind {
        ExprKind::Array(items) if items.len() == 1 => Ok(Some(ev.int(&items[0])?)),
        _ => Err(ArgError::script(
            format!("an offset is NULL or [N], found {}", describe(e)),
            e.span,
        )),
    }
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

#[cfg(test)]
mod tests {
    use crate::run::config::RunConfig;
    use crate::run::tests::fake::{Fake, Reply};
    use crate::run::verdict::{ErrorKind, Verdict};
    use crate::target::{IpVersion, Syscall, SyscallOutput, SyscallResult};
    use netdrill_stack::linux;
    use std::path::Path;

    fn play(src: &str, fake: &mut Fake) -> Verdict {
        let script = crate::script::parse(src).unwrap_or_else(|d| panic!("parse: {d:?}"));
        let cfg = RunConfig::new(IpVersion::Ipv4, &[], &[]).expect("config");
        crate::run::run(&script, Path::new("t/x.pkt"), fake, &cfg).verdict
    }

    fn now(ret: i64) -> Reply {
        Reply::Now(SyscallResult::ok(ret))
    }

    /// The script's numbers for a file and both pipe ends name the live
    /// fds the target returned; offsets go in as written, NULL as none.
    #[test]
    fn files_and_pipes_are_mapped_and_their_arguments_converted() {
        let mut f = Fake::new();
        f.replies.extend([
            now(20),
            Reply::Now(SyscallResult::with(0, SyscallOutput::Pipe([21, 22]))),
            now(100),
            now(10),
            now(0),
            now(0),
        ]);
        let v = play(
            r#"0 open("/x", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 5
+0 pipe([6, 7]) = 0
+0 sendfile(7, 5, [12], 100) = 100
+0 splice(6, NULL, 5, [3], 10, SPLICE_F_MOVE|SPLICE_F_NONBLOCK) = 10
+0 pipe2(..., O_CLOEXEC) = 0
+0 close(7) = 0
"#,
            &mut f,
        );
        assert_eq!(v, Verdict::Pass, "{v}");
        let want = [
            Syscall::Open {
                path: b"/x".to_vec(),
                flags: (linux::O_WRONLY | linux::O_CREAT | linux::O_TRUNC) as i32,
                mode: 0o644,
            },
            Syscall::Pipe { flags: 0 },
            Syscall::SendFile {
                out_fd: 22,
                in_fd: 20,
                offset: Some(12),
                count: 100,
            },
            Syscall::Splice {
                fd_in: 21,
                off_in: None,
                fd_out: 20,
                off_out: Some(3),
                len: 10,
                flags: 3,
            },
            Syscall::Pipe {
                flags: linux::O_CLOEXEC as i32,
            },
            Syscall::Close { fd: 22 },
        ];
        assert_eq!(f.calls, want);
    }

    /// Shapes the calls cannot take are script errors naming the argument.
    #[test]
    fn bad_pipe_and_offset_arguments_are_script_errors() {
        for (line, says) in [
            ("pipe([5]) = 0", "pipe needs [read_fd, write_fd]"),
            ("pipe(5) = 0", "pipe needs [read_fd, write_fd]"),
            ("sendfile(4, 5, 0, 5) = 5", "an offset is NULL or [N]"),
            (
                "splice(4, [0, 1], 5, NULL, 1, 0) = 1",
                "an offset is NULL or [N]",
            ),
            ("open(5, O_RDONLY) = 3", "open needs a path string"),
            ("open(\"/x\", O_RDONLY, -1) = 3", "open mode out of range"),
        ] {
            let mut f = Fake::new();
            match play(&format!("0 {line}\n"), &mut f) {
                Verdict::Error(e) => {
                    assert_eq!(e.kind, ErrorKind::Script, "{line}");
                    assert!(e.message.contains(says), "{line}: {}", e.message);
                    assert_eq!(e.line, Some(1), "{line}");
                }
                other => panic!("{line}: {other:?}"),
            }
            assert!(f.calls.is_empty(), "{line} reached the target");
        }
    }
}
