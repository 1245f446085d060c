//! The C structs syscall lines write as `{name=value, ...}`, turned into live
//! values: socket addresses, iovecs, msghdrs, control messages, linger,
//! pollfds and epoll events. `...` fills in what packetdrill fills in.

use super::args::{ArgError, Eval, describe, field, fields, is_ellipsis, is_null};
use super::mapping::Mapping;
use crate::script::ast::{Expr, ExprKind};
use crate::target::{Buf, Cmsg, IoVec};
use netdrill_stack::linux;
use std::net::{IpAddr, SocketAddr};

/// `struct sockaddr_in`/`sockaddr_in6` from a struct expression:
/// `{sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("192.0.2.1")}`.
pub fn sockaddr(ev: &Eval<'_>, e: &Expr) -> Result<SocketAddr, ArgError> {
    let fs = fields(e)?;
    let family = field(&fs, "sa_family")
        .or_else(|| field(&fs, "sin_family"))
        .or_else(|| field(&fs, "sin6_family"))
        .map(|f| ev.int(f))
        .transpose()?;
    let port = field(&fs, "sin_port")
        .or_else(|| field(&fs, "sin6_port"))
        .map(|p| ev.int(p))
        .transpose()?
        .unwrap_or(0);
    let port = u16::try_from(port)
        .map_err(|_| ArgError::script(format!("port {port} out of range"), e.span))?;
    let addr = match field(&fs, "sin_addr").or_else(|| field(&fs, "sin6_addr")) {
        Some(a) => ev.ip(a)?,
        None => {
            return Err(ArgError::script(
                "sockaddr without sin_addr/sin6_addr",
                e.span,
            ));
        }
    };
    let addr = match (family, addr) {
        (Some(f), IpAddr::V4(v4)) if f == linux::AF_INET6 => IpAddr::V6(v4.to_ipv6_mapped()),
        (Some(f), _) if f != linux::AF_INET && f != linux::AF_INET6 => {
            return Err(ArgError::unsupported(
                format!("address family {f} in a sockaddr"),
                e.span,
            ));
        }
        (_, a) => a,
    };
    Ok(SocketAddr::new(addr, port))
}

/// A socket address argument: `...` gives `default`, `NULL` gives none, a
/// struct is read as written.
pub fn sockaddr_arg(
    ev: &Eval<'_>,
    e: &Expr,
    default: SocketAddr,
) -> Result<Option<SocketAddr>, ArgError> {
    if is_ellipsis(e) {
        return Ok(Some(default));
    }
    if is_null(e) {
        return Ok(None);
    }
    match &e.kind {
        ExprKind::Struct(_) => sockaddr(ev, e).map(Some),
        ExprKind::Symbol(id) => Err(ArgError::unsupported(
            format!("{} as a socket address", id.name),
            e.span,
        )),
        _ => Err(ArgError::unsupported(
            format!("{} as a socket address", describe(e)),
            e.span,
        )),
    }
}

/// A buffer argument of `len` bytes: `...` (zeros), a string, or `NULL`.
pub fn buffer(ev: &Eval<'_>, e: &Expr, len: usize) -> Result<Buf, ArgError> {
    if is_null(e) {
        return Ok(Buf::Null);
    }
    if is_ellipsis(e) {
        return Ok(Buf::Data(vec![0; len]));
    }
    match ev.bytes(e)? {
        Some(mut b) => {
            // A string shorter than the length: the rest of the buffer is zero.
            if b.len() < len {
                b.resize(len, 0);
            }
            Ok(Buf::Data(b))
        }
        None => Err(ArgError::unsupported(
            format!("{} as a data buffer", describe(e)),
            e.span,
        )),
    }
}

/// One iovec: `{iov_base=..., iov_len=N}` or the positional `{..., N}`.
pub fn iovec(ev: &Eval<'_>, e: &Expr) -> Result<IoVec, ArgError> {
    let ExprKind::Struct(items) = &e.kind else {
        return Err(ArgError::script(
            format!("expected an iovec struct, found {}", describe(e)),
            e.span,
        ));
    };
    let (base, len) = match items.as_slice() {
        [b, l] if !matches!(b.kind, ExprKind::Field { .. }) => (b, l),
        _ => {
            let fs = fields(e)?;
            let base = field(&fs, "iov_base")
                .ok_or_else(|| ArgError::script("iovec without iov_base", e.span))?;
            let len = field(&fs, "iov_len")
                .ok_or_else(|| ArgError::script("iovec without iov_len", e.span))?;
            (base, len)
        }
    };
    let len = ev.len(len)?;
    Ok(IoVec {
        base: buffer(ev, base, len)?,
        len,
    })
}

/// An array of iovecs.
pub fn iovecs(ev: &Eval<'_>, e: &Expr) -> Result<Vec<IoVec>, ArgError> {
    match &e.kind {
        ExprKind::Array(items) => items.iter().map(|it| iovec(ev, it)).collect(),
        ExprKind::Struct(_) => Ok(vec![iovec(ev, e)?]),
        _ if is_null(e) => Ok(vec![]),
        _ => Err(ArgError::script(
            format!("expected an iovec array, found {}", describe(e)),
            e.span,
        )),
    }
}

/// What a `struct msghdr` line says: the live msghdr, and the fields that are
/// outputs on recvmsg (`msg_flags`, `msg_control`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgSpec {
    pub name: Option<SocketAddr>,
    pub iov: Vec<IoVec>,
    pub control: Option<Vec<CmsgSpec>>,
    pub flags: Option<i32>,
}

/// Room given for control messages when a recvmsg line has `msg_control`.
pub const CONTROL_ROOM: usize = 1024;

/// `{msg_name(...)=..., msg_iov(N)=[...], msg_control=[...], msg_flags=F}`.
/// `name_default` is what `msg_name=...` means for this socket.
pub fn msghdr(
    ev: &Eval<'_>,
    e: &Expr,
    name_default: Option<SocketAddr>,
) -> Result<MsgSpec, ArgError> {
    let fs = fields(e)?;
    for (n, v) in &fs {
        if !matches!(
            *n,
            "msg_name"
                | "msg_namelen"
                | "msg_iov"
                | "msg_iovlen"
                | "msg_control"
                | "msg_controllen"
                | "msg_flags"
        ) {
            return Err(ArgError::script(
                format!("unknown msghdr field {n}"),
                v.span,
            ));
        }
    }
    let name = match field(&fs, "msg_name") {
        None => None,
        Some(v) if is_ellipsis(v) => name_default,
        Some(v) if is_null(v) => None,
        Some(v) => Some(sockaddr(ev, v)?),
    };
    let iov = match field(&fs, "msg_iov") {
        Some(v) => iovecs(ev, v)?,
        None => vec![],
    };
    let control = field(&fs, "msg_control")
        .map(|v| cmsgs(ev, v))
        .transpose()?;
    let flags = field(&fs, "msg_flags").map(|v| ev.i32(v)).transpose()?;
    Ok(MsgSpec {
        name,
        iov,
        control,
        flags,
    })
}

/// What a control message's data is expected (or given) to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CmsgData {
    /// `cmsg_data=N`, `cmsg_data=[N]`: one int.
    Int(i32),
    /// Raw bytes that must begin the payload (a `struct sock_extended_err`
    /// written field by field is its first 16 bytes; the kernel appends the
    /// offender's address after it).
    Prefix(Vec<u8>),
    /// `{scm_sec=S, scm_nsec=N}`: a `struct scm_timestamping` whose first
    /// (software) timestamp is S s + N ns of script time; the stack reports
    /// it in wall-clock time, checked within the time tolerance.
    Timestamp { usecs: i128 },
}

/// What checking a reported timestamp needs: the wall-clock time of the
/// script's time zero and the slack allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CmsgClock {
    /// `CLOCK_REALTIME` of script time zero, in µs since the Unix epoch.
    pub script_zero_usecs: i128,
    pub tolerance_usecs: u64,
}

/// `struct scm_timestamping` (linux/errqueue.h): three `struct timespec`
/// (64-bit seconds, 64-bit nanoseconds); the first is the software stamp.
const SCM_TIMESTAMPING_LEN: usize = 48;

/// The first timestamp of a `struct scm_timestamping`, in µs (wall clock).
fn first_timestamp_usecs(data: &[u8]) -> Option<i128> {
    let sec = i64::from_ne_bytes(data.get(0..8)?.try_into().ok()?);
    let nsec = i64::from_ne_bytes(data.get(8..16)?.try_into().ok()?);
    Some(i128::from(sec) * 1_000_000 + i128::from(nsec) / 1000)
}

/// A live `SCM_TIMESTAMPING` message's first timestamp in script time (µs).
fn live_script_usecs(c: &Cmsg, clock: Option<&CmsgClock>) -> Option<i128> {
    let is_timestamping =
        i64::from(c.level) == linux::SOL_SOCKET && i64::from(c.ty) == linux::SCM_TIMESTAMPING;
    if !is_timestamping {
        return None;
    }
    Some(first_timestamp_usecs(&c.data)? - clock?.script_zero_usecs)
}

/// `scm_sec=S,scm_nsec=N` for a time in µs.
fn show_timestamp(usecs: i128) -> String {
    let (sec, rest) = (usecs.div_euclid(1_000_000), usecs.rem_euclid(1_000_000));
    format!("scm_sec={sec},scm_nsec={}", rest * 1000)
}

/// A live control message for a report: a timestamp in script time when it
/// is one (and the clock is known), else its bytes.
pub fn show_live_cmsg(c: &Cmsg, clock: Option<&CmsgClock>) -> String {
    match live_script_usecs(c, clock) {
        Some(t) => format!(
            "level {} type {} data {{{}}} (script time)",
            c.level,
            c.ty,
            show_timestamp(t)
        ),
        None => format!("level {} type {} data {}", c.level, c.ty, hex(&c.data)),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CmsgSpec {
    pub level: i32,
    pub ty: i32,
    pub data: CmsgData,
}

impl CmsgSpec {
    /// The bytes to send (sendmsg).
    pub fn to_cmsg(&self) -> Cmsg {
        Cmsg {
            level: self.level,
            ty: self.ty,
            data: match &self.data {
                CmsgData::Int(v) => v.to_ne_bytes().to_vec(),
                CmsgData::Prefix(b) => b.clone(),
                CmsgData::Timestamp { usecs } => {
                    let mut out = vec![0; SCM_TIMESTAMPING_LEN];
                    let sec = usecs.div_euclid(1_000_000) as i64;
                    let nsec = (usecs.rem_euclid(1_000_000) * 1000) as i64;
                    out[..8].copy_from_slice(&sec.to_ne_bytes());
                    out[8..16].copy_from_slice(&nsec.to_ne_bytes());
                    out
                }
            },
        }
    }

    /// Whether a live control message is this one. A timestamp needs the
    /// clock; without one it never matches.
    pub fn matches(&self, c: &Cmsg, clock: Option<&CmsgClock>) -> bool {
        if c.level != self.level || c.ty != self.ty {
            return false;
        }
        match &self.data {
            CmsgData::Int(v) => c.data.get(..4) == Some(&v.to_ne_bytes()[..]),
            CmsgData::Prefix(b) => c.data.starts_with(b),
            CmsgData::Timestamp { usecs } => match (live_script_usecs(c, clock), clock) {
                (Some(live), Some(clock)) => {
                    (live - usecs).unsigned_abs() <= u128::from(clock.tolerance_usecs)
                }
                _ => false,
            },
        }
    }

    /// The expected message for a report.
    pub fn show(&self) -> String {
        match &self.data {
            CmsgData::Timestamp { usecs } => format!(
                "level {} type {} data {{{}}}",
                self.level,
                self.ty,
                show_timestamp(*usecs)
            ),
            _ => format!(
                "level {} type {} data {}",
                self.level,
                self.ty,
                hex(&self.to_cmsg().data)
            ),
        }
    }
}

fn cmsgs(ev: &Eval<'_>, e: &Expr) -> Result<Vec<CmsgSpec>, ArgError> {
    let ExprKind::Array(items) = &e.kind else {
        return Err(ArgError::script(
            format!("expected a cmsg array, found {}", describe(e)),
            e.span,
        ));
    };
    items.iter().map(|it| cmsg(ev, it)).collect()
}

fn cmsg(ev: &Eval<'_>, e: &Expr) -> Result<CmsgSpec, ArgError> {
    let fs = fields(e)?;
    let need = |n: &str| {
        field(&fs, n).ok_or_else(|| ArgError::script(format!("cmsg without {n}"), e.span))
    };
    let level = ev.i32(need("cmsg_level")?)?;
    let ty = ev.i32(need("cmsg_type")?)?;
    let data = need("cmsg_data")?;
    let data = match &data.kind {
        ExprKind::Struct(_) => {
            let dfs = fields(data)?;
            if dfs.iter().all(|(n, _)| n.starts_with("ee_")) {
                CmsgData::Prefix(extended_err(ev, &dfs)?)
            } else if dfs
                .iter()
                .all(|(n, _)| matches!(*n, "scm_sec" | "scm_nsec"))
            {
                let get = |n: &str| -> Result<i128, ArgError> {
                    field(&dfs, n)
                        .map(|v| ev.int(v).map(i128::from))
                        .transpose()
                        .map(|v| v.unwrap_or(0))
                };
                CmsgData::Timestamp {
                    usecs: get("scm_sec")? * 1_000_000 + get("scm_nsec")? / 1000,
                }
            } else {
                let names: Vec<&str> = dfs.iter().map(|(n, _)| *n).collect();
                return Err(ArgError::unsupported(
                    format!("control message data {{{}}}", names.join(", ")),
                    data.span,
                ));
            }
        }
        _ => CmsgData::Int(ev.i32(data)?),
    };
    Ok(CmsgSpec { level, ty, data })
}

/// `struct sock_extended_err` (linux/errqueue.h): u32 errno, u8 origin,
/// u8 type, u8 code, u8 pad, u32 info, u32 data.
fn extended_err(ev: &Eval<'_>, fs: &[(&str, &Expr)]) -> Result<Vec<u8>, ArgError> {
    let get = |n: &str| -> Result<i64, ArgError> {
        field(fs, n)
            .map(|v| ev.int(v))
            .transpose()
            .map(|v| v.unwrap_or(0))
    };
    let mut out = Vec::with_capacity(16);
    out.extend_from_slice(&(get("ee_errno")? as u32).to_ne_bytes());
    out.push(get("ee_origin")? as u8);
    out.push(get("ee_type")? as u8);
    out.push(get("ee_code")? as u8);
    out.push(get("ee_pad")? as u8);
    out.extend_from_slice(&(get("ee_info")? as u32).to_ne_bytes());
    out.extend_from_slice(&(get("ee_data")? as u32).to_ne_bytes());
    Ok(out)
}

/// `struct linger` from `{onoff=1, linger=0}` / `{l_onoff=.., l_linger=..}`.
pub fn linger(ev: &Eval<'_>, e: &Expr) -> Result<Option<Vec<u8>>, ArgError> {
    let fs = fields(e)?;
    let on = field(&fs, "onoff").or_else(|| field(&fs, "l_onoff"));
    let secs = field(&fs, "linger").or_else(|| field(&fs, "l_linger"));
    match (on, secs) {
        (Some(on), Some(secs)) if fs.len() == 2 => {
            let mut out = ev.i32(on)?.to_ne_bytes().to_vec();
            out.extend_from_slice(&ev.i32(secs)?.to_ne_bytes());
            Ok(Some(out))
        }
        _ => Ok(None),
    }
}

/// One `{fd=N, events=E, revents=R}`: the live pollfd and the expected revents.
pub fn pollfd(
    ev: &Eval<'_>,
    map: &Mapping,
    e: &Expr,
) -> Result<(crate::target::PollFd, Option<i16>), ArgError> {
    let fs = fields(e)?;
    let fd = field(&fs, "fd").ok_or_else(|| ArgError::script("pollfd without fd", e.span))?;
    let events = field(&fs, "events")
        .map(|v| ev.int(v))
        .transpose()?
        .unwrap_or(0);
    let revents = field(&fs, "revents").map(|v| ev.int(v)).transpose()?;
    Ok((
        crate::target::PollFd {
            fd: map.live_fd(ev.i32(fd)?),
            events: events as i16,
        },
        revents.map(|r| r as i16),
    ))
}

/// How an epoll event's data is written: `fd=N` (a script fd) or a raw value
/// (`ptr=`, `u32=`, `u64=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpollData {
    Fd(i32),
    Raw(u64),
}

/// `{events=E, fd=N}`.
pub fn epoll_event(ev: &Eval<'_>, e: &Expr) -> Result<(u32, EpollData), ArgError> {
    let fs = fields(e)?;
    let events = field(&fs, "events")
        .map(|v| ev.int(v))
        .transpose()?
        .unwrap_or(0) as u32;
    let data = if let Some(fd) = field(&fs, "fd") {
        EpollData::Fd(ev.i32(fd)?)
    } else if let Some(v) = field(&fs, "ptr")
        .or_else(|| field(&fs, "u64"))
        .or_else(|| field(&fs, "u32"))
        .or_else(|| field(&fs, "data"))
    {
        EpollData::Raw(ev.int(v)? as u64)
    } else {
        EpollData::Raw(0)
    };
    Ok((events, data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::args::Defines;
    use crate::run::args::tests::{call, e, int, string, sym};
    use crate::script::Span;
    use crate::script::ast::Ident;

    fn fieldx(name: &str, v: Expr) -> Expr {
        e(ExprKind::Field {
            name: Ident {
                name: name.into(),
                span: Span::default(),
            },
            len: None,
            value: Box::new(v),
        })
    }
    fn st(items: Vec<Expr>) -> Expr {
        e(ExprKind::Struct(items))
    }
    fn ell() -> Expr {
        e(ExprKind::Ellipsis)
    }

    #[test]
    fn sockaddr_forms() {
        let d = Defines::default();
        let ev = Eval { defines: &d };
        let v4 = st(vec![
            fieldx("sa_family", sym("AF_INET")),
            fieldx("sin_port", call("htons", vec![int(8080)])),
            fieldx("sin_addr", call("inet_addr", vec![string("192.0.2.1")])),
        ]);
        assert_eq!(sockaddr(&ev, &v4), Ok("192.0.2.1:8080".parse().unwrap()));
        // An IPv4 address in an AF_INET6 sockaddr is v4-mapped.
        let mapped = st(vec![
            fieldx("sin6_family", sym("AF_INET6")),
            fieldx("sin6_port", call("htons", vec![int(80)])),
            fieldx(
                "sin6_addr",
                call("inet_pton", vec![sym("AF_INET6"), string("192.0.2.1")]),
            ),
        ]);
        assert_eq!(
            sockaddr(&ev, &mapped),
            Ok("[::ffff:192.0.2.1]:80".parse().unwrap())
        );
        let default: SocketAddr = "10.0.0.1:1".parse().unwrap();
        assert_eq!(sockaddr_arg(&ev, &ell(), default), Ok(Some(default)));
        assert_eq!(sockaddr_arg(&ev, &sym("NULL"), default), Ok(None));
        let big_port = st(vec![
            fieldx("sin_port", int(70000)),
            fieldx("sin_addr", call("inet_addr", vec![string("1.2.3.4")])),
        ]);
        assert!(sockaddr(&ev, &big_port).is_err());
    }

    #[test]
    fn msghdr_with_iovs_flags_and_control() {
        let d = Defines::default();
        let ev = Eval { defines: &d };
        let iov = e(ExprKind::Array(vec![
            st(vec![ell(), int(40)]),
            st(vec![
                fieldx("iov_base", string("ab")),
                fieldx("iov_len", int(4)),
            ]),
        ]));
        let ext = st(vec![
            fieldx("ee_errno", int(0)),
            fieldx("ee_origin", sym("SO_EE_ORIGIN_ZEROCOPY")),
            fieldx("ee_code", int(1)),
            fieldx("ee_data", int(2)),
        ]);
        let control = e(ExprKind::Array(vec![
            st(vec![
                fieldx("cmsg_level", sym("SOL_TCP")),
                fieldx("cmsg_type", sym("TCP_CM_INQ")),
                fieldx("cmsg_data", int(8000)),
            ]),
            st(vec![
                fieldx("cmsg_level", sym("SOL_IP")),
                fieldx("cmsg_type", sym("IP_RECVERR")),
                fieldx("cmsg_data", ext),
            ]),
        ]));
        let m = st(vec![
            fieldx("msg_name", ell()),
            fieldx("msg_iov", iov),
            fieldx("msg_flags", sym("MSG_ERRQUEUE")),
            fieldx("msg_control", control),
        ]);
        let spec = msghdr(&ev, &m, None).unwrap();
        assert_eq!(spec.name, None);
        assert_eq!(
            spec.iov[0],
            IoVec {
                base: Buf::Data(vec![0; 40]),
                len: 40
            }
        );
        assert_eq!(
            spec.iov[1],
            IoVec {
                base: Buf::Data(b"ab\0\0".to_vec()),
                len: 4
            }
        );
        assert_eq!(spec.flags, Some(0x2000));
        let control = spec.control.unwrap();
        assert_eq!(
            control[0],
            CmsgSpec {
                level: 6,
                ty: 36,
                data: CmsgData::Int(8000)
            }
        );
        let mut want = vec![0, 0, 0, 0, 5, 0, 1, 0, 0, 0, 0, 0];
        want.extend_from_slice(&2u32.to_ne_bytes());
        assert_eq!(control[1].data, CmsgData::Prefix(want.clone()));
        // The kernel appends the offender address: a prefix match.
        let mut live = want;
        live.extend_from_slice(&[2, 0, 0, 0]);
        assert!(control[1].matches(
            &Cmsg {
                level: 0,
                ty: 11,
                data: live
            },
            None
        ));
        assert!(!control[0].matches(
            &Cmsg {
                level: 6,
                ty: 36,
                data: 7999i32.to_ne_bytes().to_vec()
            },
            None
        ));
    }

    #[test]
    fn timestamping_cmsg_data_is_checked_in_script_time() {
        let d = Defines::default();
        let ev = Eval { defines: &d };
        let c = st(vec![
            fieldx("cmsg_level", sym("SOL_SOCKET")),
            fieldx("cmsg_type", sym("SCM_TIMESTAMPING")),
            fieldx(
                "cmsg_data",
                st(vec![
                    fieldx("scm_sec", int(1)),
                    fieldx("scm_nsec", int(20_000_000)),
                ]),
            ),
        ]);
        let spec = cmsg(&ev, &c).unwrap();
        assert_eq!(spec.data, CmsgData::Timestamp { usecs: 1_020_000 });
        assert_eq!(
            spec.show(),
            "level 1 type 37 data {scm_sec=1,scm_nsec=20000000}"
        );
        // Script time zero is at wall-clock 1_700_000_000.5 s.
        let zero = 1_700_000_000_500_000i128;
        let clock = CmsgClock {
            script_zero_usecs: zero,
            tolerance_usecs: 4000,
        };
        // A live struct scm_timestamping with ts[0] at zero + `at` µs.
        let live = |at: i128| {
            let t = zero + at;
            let mut data = vec![0u8; SCM_TIMESTAMPING_LEN];
            data[..8].copy_from_slice(&((t / 1_000_000) as i64).to_ne_bytes());
            data[8..16].copy_from_slice(&(((t % 1_000_000) * 1000) as i64).to_ne_bytes());
            Cmsg {
                level: 1,
                ty: 37,
                data,
            }
        };
        let table = [
            (1_020_000, true),
            (1_016_000, true),
            (1_024_000, true),
            (1_015_999, false),
            (1_024_001, false),
            (20_000, false),
        ];
        for (at, want) in table {
            assert_eq!(spec.matches(&live(at), Some(&clock)), want, "at {at}");
        }
        // Without a wall clock (a virtual target) a timestamp cannot match.
        assert!(!spec.matches(&live(1_020_000), None));
        assert_eq!(
            show_live_cmsg(&live(1_030_000), Some(&clock)),
            "level 1 type 37 data {scm_sec=1,scm_nsec=30000000} (script time)"
        );
        // The bytes a sendmsg line gives: ts[0] only.
        let sent = spec.to_cmsg();
        assert_eq!(sent.data.len(), SCM_TIMESTAMPING_LEN);
        assert_eq!(first_timestamp_usecs(&sent.data), Some(1_020_000));
        // Other structs stay unsupported, by name.
        let other = st(vec![
            fieldx("cmsg_level", sym("SOL_SOCKET")),
            fieldx("cmsg_type", int(37)),
            fieldx("cmsg_data", st(vec![fieldx("tv_sec", int(0))])),
        ]);
        let err = cmsg(&ev, &other).unwrap_err();
        assert!(
            matches!(&err, ArgError::Unsupported { feature, .. } if feature.contains("tv_sec")),
            "{err:?}"
        );
    }

    #[test]
    fn linger_pollfd_epoll() {
        let d = Defines::default();
        let ev = Eval { defines: &d };
        let l = st(vec![fieldx("onoff", int(1)), fieldx("linger", int(0))]);
        assert_eq!(linger(&ev, &l), Ok(Some(vec![1, 0, 0, 0, 0, 0, 0, 0])));
        let mut m = Mapping::new(8080, 8080);
        m.bind_fd(4, 9);
        let p = st(vec![
            fieldx("fd", int(4)),
            fieldx("events", sym("POLLIN")),
            fieldx("revents", sym("POLLOUT")),
        ]);
        let (pfd, rev) = pollfd(&ev, &m, &p).unwrap();
        assert_eq!((pfd.fd, pfd.events, rev), (9, 1, Some(4)));
        let ep = st(vec![fieldx("events", sym("EPOLLIN")), fieldx("fd", int(4))]);
        assert_eq!(epoll_event(&ev, &ep), Ok((1, EpollData::Fd(4))));
        let ep = st(vec![fieldx("events", int(0)), fieldx("ptr", int(0))]);
        assert_eq!(epoll_event(&ev, &ep), Ok((0, EpollData::Raw(0))));
    }
}
