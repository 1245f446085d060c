//! setsockopt/getsockopt: which (level, name) pairs exist for which socket,
//! how their raw bytes decode, and the errno Linux gives for each misuse.
//!
//! Decoding is separate from applying: [`lookup`] names the option,
//! [`decode`] turns the caller's bytes into a [`Value`] (checking length and
//! range as Linux does), and the socket layer applies it.

use super::call::Buf;
use crate::linux::{self, Errno};

/// A socket option the stack knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opt {
    // SOL_SOCKET
    ReuseAddr,
    ReusePort,
    Linger,
    RcvBuf,
    SndBuf,
    KeepAlive,
    Error,
    Type,
    Domain,
    Protocol,
    AcceptConn,
    // SOL_TCP
    NoDelay,
    MaxSeg,
    Cork,
    KeepIdle,
    KeepIntvl,
    KeepCnt,
    UserTimeout,
    Info,
    Congestion,
    QuickAck,
    SynCnt,
    // SOL_IPV6
    V6Only,
}

/// The kind of socket an option is looked up on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockKind {
    pub ipv6: bool,
    pub tcp: bool,
}

/// Finds the option named by (`level`, `name`) on a socket of `kind`.
///
/// Linux hands a level it does not own to the next layer down
/// (tcp → ip/ipv6), which answers `ENOPROTOOPT` for anything unknown.
pub fn lookup(kind: SockKind, level: i32, name: i32) -> Result<Opt, Errno> {
    let (level, name) = (i64::from(level), i64::from(name));
    let opt = match level {
        linux::SOL_SOCKET => match name {
            linux::SO_REUSEADDR => Opt::ReuseAddr,
            linux::SO_REUSEPORT => Opt::ReusePort,
            linux::SO_LINGER => Opt::Linger,
            linux::SO_RCVBUF => Opt::RcvBuf,
            linux::SO_SNDBUF => Opt::SndBuf,
            linux::SO_KEEPALIVE => Opt::KeepAlive,
            linux::SO_ERROR => Opt::Error,
            linux::SO_TYPE => Opt::Type,
            linux::SO_DOMAIN => Opt::Domain,
            linux::SO_PROTOCOL => Opt::Protocol,
            linux::SO_ACCEPTCONN => Opt::AcceptConn,
            _ => return Err(Errno::ENOPROTOOPT),
        },
        linux::SOL_TCP if kind.tcp => match name {
            linux::TCP_NODELAY => Opt::NoDelay,
            linux::TCP_MAXSEG => Opt::MaxSeg,
            linux::TCP_CORK => Opt::Cork,
            linux::TCP_KEEPIDLE => Opt::KeepIdle,
            linux::TCP_KEEPINTVL => Opt::KeepIntvl,
            linux::TCP_KEEPCNT => Opt::KeepCnt,
            linux::TCP_USER_TIMEOUT => Opt::UserTimeout,
            linux::TCP_INFO => Opt::Info,
            linux::TCP_CONGESTION => Opt::Congestion,
            linux::TCP_QUICKACK => Opt::QuickAck,
            linux::TCP_SYNCNT => Opt::SynCnt,
            _ => return Err(Errno::ENOPROTOOPT),
        },
        linux::SOL_IPV6 if kind.ipv6 => match name {
            linux::IPV6_V6ONLY => Opt::V6Only,
            _ => return Err(Errno::ENOPROTOOPT),
        },
        _ => return Err(Errno::ENOPROTOOPT),
    };
    Ok(opt)
}

/// A decoded option value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Int(i32),
    /// `struct linger { int l_onoff; int l_linger; }`.
    Linger {
        on: bool,
        secs: i32,
    },
    /// A congestion-control name, without trailing NULs.
    Name(String),
}

/// Longest congestion-control name plus its NUL (`TCP_CA_NAME_MAX`).
pub const CA_NAME_MAX: usize = 16;

/// Largest `TCP_KEEPIDLE`/`TCP_KEEPINTVL` in seconds (`MAX_TCP_KEEPIDLE`).
pub const MAX_KEEP_SECS: i32 = 32767;
/// Largest `TCP_KEEPCNT` (`MAX_TCP_KEEPCNT`).
pub const MAX_KEEPCNT: i32 = 127;
/// Smallest MSS `TCP_MAXSEG` accepts (`TCP_MIN_MSS`).
pub const MIN_USER_MSS: i32 = 88;
/// Largest MSS `TCP_MAXSEG` accepts (`MAX_TCP_WINDOW`).
pub const MAX_USER_MSS: i32 = 32767;
/// Largest `TCP_SYNCNT` (`MAX_TCP_SYNCNT`).
pub const MAX_SYNCNT: i32 = 127;

/// Decodes the bytes of a setsockopt call for `opt`.
pub fn decode(opt: Opt, value: &Buf, len: u32) -> Result<Value, Errno> {
    let len = len as usize;
    match opt {
        // Read-only options.
        Opt::Error | Opt::Type | Opt::Domain | Opt::Protocol | Opt::AcceptConn | Opt::Info => {
            Err(Errno::ENOPROTOOPT)
        }
        Opt::Linger => {
            if len < 8 {
                return Err(Errno::EINVAL);
            }
            let b = value.bytes(8)?;
            Ok(Value::Linger {
                on: int_at(b, 0) != 0,
                secs: int_at(b, 4),
            })
        }
        Opt::Congestion => {
            // tcp_setsockopt: optlen < 1 is EINVAL; longer names are cut
            // to TCP_CA_NAME_MAX - 1 before the lookup.
            if len < 1 {
                return Err(Errno::EINVAL);
            }
            let b = value.bytes(len.min(CA_NAME_MAX - 1))?;
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            Ok(Value::Name(String::from_utf8_lossy(&b[..end]).into_owned()))
        }
        _ => {
            if len < 4 {
                return Err(Errno::EINVAL);
            }
            let v = int_at(value.bytes(4)?, 0);
            check_range(opt, v)?;
            Ok(Value::Int(v))
        }
    }
}

/// Linux's range checks for integer TCP options (tcp.c, do_tcp_setsockopt).
fn check_range(opt: Opt, v: i32) -> Result<(), Errno> {
    let ok = match opt {
        Opt::MaxSeg => v == 0 || (MIN_USER_MSS..=MAX_USER_MSS).contains(&v),
        Opt::KeepIdle | Opt::KeepIntvl => (1..=MAX_KEEP_SECS).contains(&v),
        Opt::KeepCnt => (1..=MAX_KEEPCNT).contains(&v),
        Opt::UserTimeout => v >= 0,
        Opt::SynCnt => (1..=MAX_SYNCNT).contains(&v),
        _ => true,
    };
    if ok { Ok(()) } else { Err(Errno::EINVAL) }
}

fn int_at(b: &[u8], at: usize) -> i32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    i32::from_ne_bytes(w)
}

/// The bytes getsockopt copies out for an int option: at most `len` bytes
/// of the native int (Linux copies `min(len, sizeof(int))`).
pub fn encode_int(v: i32, len: u32) -> Vec<u8> {
    let mut b = v.to_ne_bytes().to_vec();
    b.truncate(len as usize);
    b
}

/// The bytes of `struct linger`, cut to `len`.
pub fn encode_linger(on: bool, secs: i32, len: u32) -> Vec<u8> {
    let mut b = i32::from(on).to_ne_bytes().to_vec();
    b.extend_from_slice(&secs.to_ne_bytes());
    b.truncate(len as usize);
    b
}

/// A congestion-control name as the kernel's `char[TCP_CA_NAME_MAX]`, cut
/// to `len`.
pub fn encode_name(name: &str, len: u32) -> Vec<u8> {
    let mut b = vec![0u8; CA_NAME_MAX];
    let n = name.len().min(CA_NAME_MAX - 1);
    b[..n].copy_from_slice(&name.as_bytes()[..n]);
    b.truncate(len as usize);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP4: SockKind = SockKind {
        ipv6: false,
        tcp: true,
    };
    const UDP6: SockKind = SockKind {
        ipv6: true,
        tcp: false,
    };

    fn int(v: i32) -> Buf {
        Buf::Data(v.to_ne_bytes().to_vec())
    }

    #[test]
    fn lookup_follows_level_and_socket_kind() {
        let sol_tcp = linux::SOL_TCP as i32;
        let sol_ip6 = linux::SOL_IPV6 as i32;
        let cases: &[(SockKind, i32, i64, Result<Opt, Errno>)] = &[
            (TCP4, 1, linux::SO_REUSEADDR, Ok(Opt::ReuseAddr)),
            (UDP6, 1, linux::SO_LINGER, Ok(Opt::Linger)),
            (TCP4, sol_tcp, linux::TCP_NODELAY, Ok(Opt::NoDelay)),
            (TCP4, sol_tcp, linux::TCP_INFO, Ok(Opt::Info)),
            // TCP options on a UDP socket fall through to the IP layer.
            (UDP6, sol_tcp, linux::TCP_NODELAY, Err(Errno::ENOPROTOOPT)),
            // IPV6_V6ONLY exists only on AF_INET6 sockets.
            (TCP4, sol_ip6, linux::IPV6_V6ONLY, Err(Errno::ENOPROTOOPT)),
            (UDP6, sol_ip6, linux::IPV6_V6ONLY, Ok(Opt::V6Only)),
            (TCP4, 1, 9999, Err(Errno::ENOPROTOOPT)),
            (TCP4, 12345, 1, Err(Errno::ENOPROTOOPT)),
        ];
        for (i, (kind, level, name, want)) in cases.iter().enumerate() {
            assert_eq!(lookup(*kind, *level, *name as i32), *want, "case {i}");
        }
    }

    #[test]
    fn decode_checks_length_pointer_and_range() {
        let cases: &[(Opt, Buf, u32, Result<Value, Errno>)] = &[
            (Opt::NoDelay, int(1), 4, Ok(Value::Int(1))),
            (Opt::NoDelay, int(1), 3, Err(Errno::EINVAL)),
            (Opt::NoDelay, Buf::Null, 4, Err(Errno::EFAULT)),
            (Opt::NoDelay, Buf::Data(vec![1, 0]), 4, Err(Errno::EFAULT)),
            (Opt::MaxSeg, int(87), 4, Err(Errno::EINVAL)),
            (Opt::MaxSeg, int(88), 4, Ok(Value::Int(88))),
            (Opt::MaxSeg, int(0), 4, Ok(Value::Int(0))),
            (Opt::MaxSeg, int(32768), 4, Err(Errno::EINVAL)),
            (Opt::KeepIdle, int(0), 4, Err(Errno::EINVAL)),
            (Opt::KeepIdle, int(32767), 4, Ok(Value::Int(32767))),
            (Opt::KeepIntvl, int(32768), 4, Err(Errno::EINVAL)),
            (Opt::KeepCnt, int(127), 4, Ok(Value::Int(127))),
            (Opt::KeepCnt, int(128), 4, Err(Errno::EINVAL)),
            (Opt::UserTimeout, int(-1), 4, Err(Errno::EINVAL)),
            (Opt::SynCnt, int(0), 4, Err(Errno::EINVAL)),
            (Opt::Error, int(0), 4, Err(Errno::ENOPROTOOPT)),
            (Opt::Info, int(0), 4, Err(Errno::ENOPROTOOPT)),
            (Opt::Linger, int(1), 4, Err(Errno::EINVAL)),
            (
                Opt::Congestion,
                Buf::Data(b"reno".to_vec()),
                0,
                Err(Errno::EINVAL),
            ),
            (
                Opt::Congestion,
                Buf::Data(b"cubic\0xx".to_vec()),
                8,
                Ok(Value::Name("cubic".into())),
            ),
        ];
        for (i, (opt, buf, len, want)) in cases.iter().enumerate() {
            assert_eq!(decode(*opt, buf, *len), *want, "case {i}: {opt:?}");
        }
        let mut linger = 1i32.to_ne_bytes().to_vec();
        linger.extend_from_slice(&5i32.to_ne_bytes());
        assert_eq!(
            decode(Opt::Linger, &Buf::Data(linger), 8),
            Ok(Value::Linger { on: true, secs: 5 })
        );
    }

    #[test]
    fn encoders_cut_to_the_callers_length() {
        assert_eq!(encode_int(0x0102_0304, 4), 0x0102_0304i32.to_ne_bytes());
        assert_eq!(encode_int(7, 2).len(), 2);
        assert_eq!(encode_int(7, 100).len(), 4);
        assert_eq!(encode_linger(true, 3, 8).len(), 8);
        assert_eq!(&encode_name("reno", 16)[..5], b"reno\0");
        assert_eq!(encode_name("reno", 16).len(), 16);
        assert_eq!(encode_name("cubic", 3), b"cub");
    }
}
