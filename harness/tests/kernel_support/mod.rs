//! Shared by the kernel-target tests and benchmark: the default networks of
//! the three address families, and TCP/UDP packets built and read with the
//! project's own wire codec.
#![allow(dead_code)] // the test and the benchmark use different parts

use netdrill::target::{
    Event, IpVersion, NetConfig, Started, Syscall, SyscallOutput, SyscallResult, Target,
};
use netdrill_stack::linux;
use netdrill_stack::time::{Duration, Instant};
use netdrill_stack::wire::{
    Checksum, ChecksumMode, IpDatagram, IpProtocol, IpRepr, Ipv4Repr, Ipv6ExtHeaders, Ipv6Repr,
    TcpFlags, TcpOption, TcpOptions, TcpRepr, UdpRepr, UpperRepr,
};
use std::net::{IpAddr, SocketAddr};

pub const ALL_VERSIONS: [IpVersion; 3] =
    [IpVersion::Ipv4, IpVersion::Ipv4MappedIpv6, IpVersion::Ipv6];

pub fn version_name(v: IpVersion) -> &'static str {
    match v {
        IpVersion::Ipv4 => "ipv4",
        IpVersion::Ipv4MappedIpv6 => "ipv4_mapped_ipv6",
        IpVersion::Ipv6 => "ipv6",
    }
}

/// packetdrill's defaults (the peer suite's RUNNING.md flags).
pub fn config(v: IpVersion) -> NetConfig {
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    match v {
        IpVersion::Ipv4 | IpVersion::Ipv4MappedIpv6 => NetConfig {
            ip_version: v,
            local_ip: ip("192.168.0.1"),
            remote_ip: ip("192.0.2.1"),
            gateway_ip: ip("192.168.0.1"),
            prefix_len: 16,
            mtu: 1500,
        },
        IpVersion::Ipv6 => NetConfig {
            ip_version: v,
            local_ip: ip("fd3d:a0b:17d6::1"),
            remote_ip: ip("fd3d:fa7b:d17d::1"),
            gateway_ip: ip("fd3d:a0b:17d6:8888::1"),
            prefix_len: 16,
            mtu: 1520,
        },
    }
}

/// The socket family scripts use for `v`.
pub fn domain(v: IpVersion) -> i32 {
    match v {
        IpVersion::Ipv4 => linux::AF_INET as i32,
        _ => linux::AF_INET6 as i32,
    }
}

/// An address as the socket API sees it (`::ffff:a.b.c.d` in mapped mode).
pub fn sock_addr(v: IpVersion, ip: IpAddr, port: u16) -> SocketAddr {
    match (v, ip) {
        (IpVersion::Ipv4MappedIpv6, IpAddr::V4(a)) => {
            SocketAddr::new(a.to_ipv6_mapped().into(), port)
        }
        _ => SocketAddr::new(ip, port),
    }
}

pub fn local(v: IpVersion, port: u16) -> SocketAddr {
    sock_addr(v, config(v).local_ip, port)
}

pub fn remote(v: IpVersion, port: u16) -> SocketAddr {
    sock_addr(v, config(v).remote_ip, port)
}

/// The IP header of a packet from the remote side to the local one.
fn inbound_ip(v: IpVersion, tos: u8) -> IpRepr<'static> {
    let c = config(v);
    match (c.remote_ip, c.local_ip) {
        (IpAddr::V4(src), IpAddr::V4(dst)) => IpRepr::V4(Ipv4Repr {
            dscp: tos >> 2,
            ecn: tos & 3,
            ..Ipv4Repr::new(src, dst, IpProtocol::TCP)
        }),
        (IpAddr::V6(src), IpAddr::V6(dst)) => IpRepr::V6(Ipv6Repr {
            src,
            dst,
            traffic_class: tos,
            flow_label: 0,
            hop_limit: 64,
            ext_headers: Ipv6ExtHeaders::NONE,
            next_header: IpProtocol::TCP,
            payload_len: 0,
        }),
        _ => unreachable!("config() gives one family"),
    }
}

/// One TCP segment from the remote side.
pub struct Segment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub options: &'a [TcpOption<'a>],
    pub payload: &'a [u8],
}

pub fn tcp_packet(v: IpVersion, s: &Segment<'_>) -> Vec<u8> {
    let options = TcpOptions::from_options(s.options).expect("options fit");
    IpDatagram {
        ip: inbound_ip(v, 0),
        upper: UpperRepr::Tcp(TcpRepr {
            src_port: s.src_port,
            dst_port: s.dst_port,
            seq: s.seq,
            ack: s.ack,
            flags: s.flags,
            window: s.window,
            checksum: Checksum::Valid,
            urgent: 0,
            options,
            payload: s.payload,
        }),
    }
    .to_bytes()
    .expect("segment emits")
}

pub fn udp_packet(v: IpVersion, tos: u8, src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
    IpDatagram {
        ip: inbound_ip(v, tos),
        upper: UpperRepr::Udp(UdpRepr {
            src_port,
            dst_port,
            checksum: Checksum::Valid,
            payload,
        }),
    }
    .to_bytes()
    .expect("datagram emits")
}

/// The SYN a typical Linux client sends: mss 1000, SACK, timestamps, wscale 7.
pub fn syn(v: IpVersion, src_port: u16, dst_port: u16, isn: u32) -> Vec<u8> {
    let options = [
        TcpOption::Mss(1000),
        TcpOption::SackPermitted,
        TcpOption::Timestamps {
            tsval: 100,
            tsecr: 0,
        },
        TcpOption::Nop,
        TcpOption::WindowScale(7),
    ];
    tcp_packet(
        v,
        &Segment {
            src_port,
            dst_port,
            seq: isn,
            ack: 0,
            flags: TcpFlags::SYN,
            window: 65535,
            options: &options,
            payload: &[],
        },
    )
}

/// A TCP segment the kernel sent, with what the tests look at.
#[derive(Debug, Clone)]
pub struct Seen {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub options: Vec<u8>,
    pub mss: Option<u16>,
    pub wscale: Option<u8>,
    pub sack_permitted: bool,
    pub timestamps: Option<(u32, u32)>,
    pub payload: Vec<u8>,
    pub checksum_ok: bool,
}

pub fn parse_tcp(bytes: &[u8]) -> Result<Seen, String> {
    let d = IpDatagram::parse(bytes, ChecksumMode::Verify).map_err(|e| e.to_string())?;
    let t = d.tcp().ok_or_else(|| format!("not TCP: {:?}", d.upper))?;
    Ok(Seen {
        src: d.ip.src_addr(),
        dst: d.ip.dst_addr(),
        src_port: t.src_port,
        dst_port: t.dst_port,
        seq: t.seq,
        ack: t.ack,
        flags: t.flags,
        window: t.window,
        options: t.options.as_bytes().to_vec(),
        mss: t.options.mss(),
        wscale: t.options.window_scale(),
        sack_permitted: t.options.sack_permitted(),
        timestamps: t.options.timestamps(),
        payload: t.payload.to_vec(),
        checksum_ok: t.checksum == Checksum::Valid,
    })
}

/// The next packet within `within`, skipping nothing.
pub fn next_packet(t: &mut dyn Target, within: Duration) -> Result<(Instant, Vec<u8>), String> {
    let deadline = t.now() + within;
    match t.next_event(deadline).map_err(|e| e.to_string())? {
        Some(Event::Packet { at, bytes }) => Ok((at, bytes)),
        Some(other) => Err(format!("expected a packet, got {other:?}")),
        None => Err(format!("no packet within {within}")),
    }
}

/// Runs a call that must return at once.
pub fn call(t: &mut dyn Target, c: Syscall) -> Result<SyscallResult, String> {
    let name = c.name();
    match t.syscall(c).map_err(|e| e.to_string())? {
        Started::Done(r) => Ok(r),
        Started::Blocked(_) => Err(format!("{name} blocked")),
    }
}

/// Runs a call that must return `want` at once.
pub fn ok(t: &mut dyn Target, c: Syscall, want: i64) -> Result<SyscallResult, String> {
    let name = c.name();
    let r = call(t, c)?;
    if r.ret != want || r.errno.is_some() {
        return Err(format!(
            "{name} gave {} (errno {:?}), not {want}",
            r.ret, r.errno
        ));
    }
    Ok(r)
}

/// setsockopt of an `int` option, which must succeed.
pub fn set_int(
    t: &mut dyn Target,
    fd: i32,
    level: i64,
    name: i64,
    value: i32,
) -> Result<(), String> {
    let c = Syscall::SetSockOpt {
        fd,
        level: level as i32,
        name: name as i32,
        value: netdrill::target::Buf::Data(value.to_ne_bytes().to_vec()),
        len: 4,
    };
    ok(t, c, 0).map(|_| ())
}

/// socket + SO_REUSEADDR + bind(port) + listen: the listener's fd.
pub fn listener(t: &mut dyn Target, v: IpVersion, port: u16) -> Result<i32, String> {
    let s = call(
        t,
        Syscall::Socket {
            domain: domain(v),
            ty: linux::SOCK_STREAM as i32,
            protocol: 0,
        },
    )?;
    let fd = i32::try_from(s.ret).map_err(|_| format!("socket gave {s:?}"))?;
    if fd < 0 {
        return Err(format!("socket failed: {s:?}"));
    }
    set_int(t, fd, linux::SOL_SOCKET, linux::SO_REUSEADDR, 1)?;
    ok(
        t,
        Syscall::Bind {
            fd,
            addr: Some(local(v, port)),
        },
        0,
    )?;
    ok(t, Syscall::Listen { fd, backlog: 16 }, 0)?;
    Ok(fd)
}

/// Sends the SYN, reads the SYN-ACK, sends the ACK. Returns the SYN-ACK.
pub fn handshake(
    t: &mut dyn Target,
    v: IpVersion,
    remote_port: u16,
    local_port: u16,
) -> Result<Seen, String> {
    let isn = 1_000_000;
    t.inject(&syn(v, remote_port, local_port, isn))
        .map_err(|e| e.to_string())?;
    let (_, bytes) = next_packet(t, Duration::from_secs(2))?;
    let synack = parse_tcp(&bytes)?;
    if synack.flags != (TcpFlags::SYN | TcpFlags::ACK) || synack.ack != isn + 1 {
        return Err(format!("not the SYN-ACK for our SYN: {synack:?}"));
    }
    let ack = tcp_packet(
        v,
        &Segment {
            src_port: remote_port,
            dst_port: local_port,
            seq: isn + 1,
            ack: synack.seq.wrapping_add(1),
            flags: TcpFlags::ACK,
            window: 1000,
            options: &[],
            payload: &[],
        },
    );
    t.inject(&ack).map_err(|e| e.to_string())?;
    Ok(synack)
}

/// The fd an accept result carries.
pub fn accepted_fd(r: &SyscallResult) -> Result<(i32, Option<SocketAddr>), String> {
    match (&r.out, i32::try_from(r.ret)) {
        (SyscallOutput::Addr { addr, .. }, Ok(fd)) if fd >= 0 && r.errno.is_none() => {
            Ok((fd, *addr))
        }
        _ => Err(format!("accept gave {r:?}")),
    }
}
