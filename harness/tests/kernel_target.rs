//! The kernel target driven through the `Target` trait alone (no
//! interpreter): real handshakes, blocking calls, TCP_INFO, commands inside
//! the namespace, for IPv4, IPv4-mapped IPv6 and IPv6. Needs root and
//! /dev/net/tun; elsewhere every test reports itself skipped with the reason.

mod kernel_support;
mod support;

use kernel_support::*;
use libtest_mimic::{Arguments, Failed, Trial};
use netdrill::capture::link::{LOCAL_MAC, REMOTE_MAC};
use netdrill::report::terminal::render_run;
use netdrill::run::factory::KernelFactory;
use netdrill::run::run_file;
use netdrill::target::kernel::{KernelTarget, check_available};
use netdrill::target::{
    Buf, Cmsg, Command, CommandOutcome, EpollEvent, Event, IoVec, IpVersion, MsgHdr, PollFd,
    Started, Syscall, SyscallOutput, Target, TargetError,
};
use netdrill_stack::linux::{self, TCP_INFO_LEN, TcpInfo};
use netdrill_stack::time::Duration;
use netdrill_stack::wire::{
    ChecksumMode, EtherType, EthernetFrame, EthernetRepr, FramePayload, Icmpv6Message, Icmpv6Repr,
    IpDatagram, MacAddr, TcpFlags, TcpRepr, UpperRepr,
};
use std::path::PathBuf;

type Outcome = Result<(), Failed>;

const LOCAL: MacAddr = MacAddr(LOCAL_MAC);
const REMOTE: MacAddr = MacAddr(REMOTE_MAC);

fn target(v: IpVersion) -> Result<KernelTarget, Failed> {
    KernelTarget::new(&config(v)).map_err(|e| Failed::from(e.to_string()))
}

fn check(cond: bool, what: impl FnOnce() -> String) -> Outcome {
    if cond { Ok(()) } else { Err(what().into()) }
}

/// Listen, handshake, accept, write one segment and read it off the wire,
/// then receive data and read it from the socket.
fn handshake_accept_write_read(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    let lfd = listener(&mut t, v, 8080)?;
    let synack = handshake(&mut t, v, 40000, 8080)?;
    check(synack.checksum_ok, || "SYN-ACK checksum".into())?;
    check(
        synack.src == config(v).local_ip && synack.dst == config(v).remote_ip,
        || format!("SYN-ACK addresses {} > {}", synack.src, synack.dst),
    )?;
    check(synack.src_port == 8080 && synack.dst_port == 40000, || {
        format!("{synack:?}")
    })?;
    check(
        synack.mss.is_some() && synack.sack_permitted && synack.timestamps.is_some(),
        || format!("SYN-ACK options {:?}", synack.options),
    )?;

    let (fd, peer) = accepted_fd(&call(&mut t, Syscall::Accept { fd: lfd, flags: 0 })?)?;
    check(peer == Some(remote(v, 40000)), || format!("peer {peer:?}"))?;

    // Less than one MSS (988: the SYN's 1000 less the timestamp option).
    let data = vec![0x5a; 900];
    ok(
        &mut t,
        Syscall::Write {
            fd,
            buf: Buf::Data(data.clone()),
            len: 900,
        },
        900,
    )?;
    let (_, bytes) = next_packet(&mut t, Duration::from_secs(1))?;
    let seg = parse_tcp(&bytes)?;
    check(seg.payload == data, || format!("data segment {seg:?}"))?;
    check(
        seg.seq == synack.seq.wrapping_add(1) && seg.ack == 1_000_001,
        || format!("{seg:?}"),
    )?;
    check(seg.flags.contains(TcpFlags::ACK | TcpFlags::PSH), || {
        format!("flags {:?}", seg.flags)
    })?;

    let hello = tcp_packet(
        v,
        &Segment {
            src_port: 40000,
            dst_port: 8080,
            seq: 1_000_001,
            ack: seg.seq.wrapping_add(900),
            flags: TcpFlags::ACK | TcpFlags::PSH,
            window: 1000,
            options: &[],
            payload: b"hello",
        },
    );
    t.inject(&hello).map_err(|e| e.to_string())?;
    let r = ok(
        &mut t,
        Syscall::Read {
            fd,
            len: 100,
            buf_null: false,
        },
        5,
    )?;
    check(r.out == SyscallOutput::Data(b"hello".to_vec()), || {
        format!("{r:?}")
    })?;
    Ok(())
}

/// A blocking accept is reported blocked, and completes when the handshake does.
fn blocking_accept(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    let lfd = listener(&mut t, v, 8080)?;
    let Started::Blocked(id) = t
        .syscall(Syscall::Accept { fd: lfd, flags: 0 })
        .map_err(|e| e.to_string())?
    else {
        return Err("accept on an empty queue did not block".into());
    };
    // Other calls go on while it is blocked.
    let s = ok(
        &mut t,
        Syscall::GetSockOpt {
            fd: lfd,
            level: linux::SOL_SOCKET as i32,
            name: linux::SO_REUSEADDR as i32,
            len: 4,
        },
        0,
    )?;
    check(
        s.out == SyscallOutput::OptVal(1i32.to_ne_bytes().to_vec()),
        || format!("{s:?}"),
    )?;
    let before = t.now();
    handshake(&mut t, v, 40001, 8080)?;
    match t
        .next_event(t.now() + Duration::from_secs(2))
        .map_err(|e| e.to_string())?
    {
        Some(Event::SyscallDone {
            id: done,
            at,
            result,
        }) => {
            check(done == id, || format!("completion of {done:?}, not {id:?}"))?;
            // The final ACK completes the handshake inside inject(): the
            // accept returns during the handshake, not after it.
            check(at >= before && at <= t.now(), || {
                format!("completion at {at}, handshake from {before}")
            })?;
            let (fd, peer) = accepted_fd(&result)?;
            check(peer == Some(remote(v, 40001)), || format!("peer {peer:?}"))?;
            // The fd accepted while blocked belongs to the run.
            ok(&mut t, Syscall::Close { fd }, 0)?;
            Ok(())
        }
        other => Err(format!("expected the accept to complete, got {other:?}").into()),
    }
}

/// TCP_INFO bytes decode into the connection's real state, and FIONREAD
/// counts queued bytes.
fn tcp_info_and_ioctl(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    let lfd = listener(&mut t, v, 8080)?;
    let synack = handshake(&mut t, v, 40002, 8080)?;
    let (fd, _) = accepted_fd(&call(&mut t, Syscall::Accept { fd: lfd, flags: 0 })?)?;
    let r = ok(
        &mut t,
        Syscall::GetSockOpt {
            fd,
            level: linux::IPPROTO_TCP as i32,
            name: linux::TCP_INFO as i32,
            len: TCP_INFO_LEN as u32,
        },
        0,
    )?;
    let SyscallOutput::OptVal(bytes) = r.out else {
        return Err(format!("getsockopt gave {r:?}").into());
    };
    let info = TcpInfo::from_bytes(&bytes);
    let field = |n: &str| {
        info.get(n)
            .ok_or_else(|| format!("no {n} in {} bytes", bytes.len()))
    };
    check(field("state")? == 1, || {
        "tcpi_state is not ESTABLISHED".into()
    })?;
    check(field("snd_wscale")? == 7, || {
        format!("snd_wscale {:?}", info.get("snd_wscale"))
    })?;
    // The peer's MSS 1000 less the 12 bytes of the timestamp option.
    check(field("snd_mss")? == 988, || {
        format!("snd_mss {:?}", info.get("snd_mss"))
    })?;
    check(field("rto")? >= 200_000, || {
        format!("rto {:?}", info.get("rto"))
    })?;

    let data = tcp_packet(
        v,
        &Segment {
            src_port: 40002,
            dst_port: 8080,
            seq: 1_000_001,
            ack: synack.seq.wrapping_add(1),
            flags: TcpFlags::ACK | TcpFlags::PSH,
            window: 1000,
            options: &[],
            payload: &[7; 300],
        },
    );
    t.inject(&data).map_err(|e| e.to_string())?;
    let r = ok(
        &mut t,
        Syscall::Ioctl {
            fd,
            request: linux::FIONREAD as u64,
            arg: -1,
        },
        0,
    )?;
    check(r.out == SyscallOutput::Int(300), || {
        format!("FIONREAD {r:?}")
    })?;
    // A request whose argument is not one int is refused before the kernel.
    let r = call(
        &mut t,
        Syscall::Ioctl {
            fd,
            request: 0x8915,
            arg: 0,
        },
    )?; // SIOCGIFADDR
    check(r.errno == Some(errno("EINVAL")), || {
        format!("SIOCGIFADDR {r:?}")
    })?;
    Ok(())
}

fn errno(name: &str) -> i32 {
    linux::symbol(name).unwrap_or(-1) as i32
}

/// Commands run in a shell inside the run's namespace, from the script's
/// folder (whatever characters its name has), with PACKETDRILL_PID and
/// $PPID naming the same process, which is not the harness (see
/// `packetdrill_pid_is_per_run`); a sysctl set there leaves the host's value
/// alone.
fn commands_run_inside_the_namespace() -> Outcome {
    let mut t = target(IpVersion::Ipv4)?;
    let sack = "/proc/sys/net/ipv4/tcp_sack";
    let host = std::fs::read_to_string(sack).map_err(|e| e.to_string())?;
    let want = if host.trim() == "0" { "1" } else { "0" };
    let dir = tempfile::Builder::new()
        .prefix("it's a \"dir\" $x ")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let text = format!(
        "sysctl -qw net.ipv4.tcp_sack={want} && sysctl -n net.ipv4.tcp_sack && \
         echo $PACKETDRILL_PID $PPID && pwd && grep -c tun0 /proc/self/net/dev\n\
         echo 'single '\"'\"' quoted' >&2"
    );
    let out = t
        .command(&Command {
            text,
            dir: dir.path().to_path_buf(),
        })
        .map_err(|e| e.to_string())?;
    let CommandOutcome::Ran { status: 0, output } = &out else {
        return Err(format!("got {out:?}").into());
    };
    let lines: Vec<&str> = output.lines().collect();
    let dir_real = dir.path().canonicalize().map_err(|e| e.to_string())?;
    let pids: Vec<&str> = lines.get(1).map_or(vec![], |l| l.split(' ').collect());
    check(
        lines.len() == 5
            && lines[0] == want
            && pids.len() == 2
            && pids[0] == pids[1]
            && pids[0] != std::process::id().to_string()
            && lines[2] == dir_real.display().to_string()
            && lines[3] == "1"
            && lines[4] == "single ' quoted",
        || format!("got {output:?} (harness pid {})", std::process::id()),
    )?;
    let after = std::fs::read_to_string(sack).map_err(|e| e.to_string())?;
    check(after == host, || {
        format!("host tcp_sack changed: {host:?} -> {after:?}")
    })?;
    // The value stays for the rest of the run (later commands see it).
    let again = t
        .command(&Command {
            text: "sysctl -n net.ipv4.tcp_sack; exit 3".into(),
            dir: PathBuf::new(),
        })
        .map_err(|e| e.to_string())?;
    check(
        again
            == CommandOutcome::Ran {
                status: 3,
                output: format!("{want}\n"),
            },
        || format!("{again:?}"),
    )?;
    Ok(())
}

/// `PACKETDRILL_PID` (and `$PPID`, which upstream restore files are run
/// by) is the same for every command of a run and differs between runs
/// going on at the same time, so that their `/tmp/sysctl_restore_*` files
/// cannot collide.
fn packetdrill_pid_is_per_run() -> Outcome {
    const RUNS: usize = 3;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(RUNS));
    let runs: Vec<_> = (0..RUNS)
        .map(|_| {
            let barrier = std::sync::Arc::clone(&barrier);
            std::thread::spawn(move || -> Result<String, String> {
                let mut t =
                    KernelTarget::new(&config(IpVersion::Ipv4)).map_err(|e| e.to_string())?;
                let ask = "echo $PACKETDRILL_PID $PPID";
                let first = shell(&mut t, ask)?;
                // Every run is alive here, each with its value.
                barrier.wait();
                let second = shell(&mut t, ask)?;
                let pids: Vec<&str> = first.split_whitespace().collect();
                if second != first || pids.len() != 2 || pids[0] != pids[1] {
                    return Err(format!("one run saw {first:?} then {second:?}"));
                }
                barrier.wait();
                Ok(pids[0].to_string())
            })
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    for r in runs {
        seen.insert(r.join().map_err(|_| "a run panicked")??);
    }
    check(seen.len() == RUNS, || {
        format!("concurrent runs shared PACKETDRILL_PID: {seen:?}")
    })
}

fn udp_socket(t: &mut KernelTarget, v: IpVersion, port: u16) -> Result<i32, Failed> {
    let s = call(
        t,
        Syscall::Socket {
            domain: domain(v),
            ty: linux::SOCK_DGRAM as i32,
            protocol: 0,
        },
    )?;
    let fd = s.ret as i32;
    ok(
        t,
        Syscall::Bind {
            fd,
            addr: Some(local(v, port)),
        },
        0,
    )?;
    Ok(fd)
}

/// UDP both ways: sendto puts a datagram on the wire, an injected one is
/// read back with its source address.
fn udp_sendto_recvfrom(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    let fd = udp_socket(&mut t, v, 5353)?;
    let to = remote(v, 7777);
    ok(
        &mut t,
        Syscall::SendTo {
            fd,
            buf: Buf::Data(b"pong".to_vec()),
            len: 4,
            flags: 0,
            addr: Some(to),
            addr_unspec: false,
        },
        4,
    )?;
    let (_, bytes) = next_packet(&mut t, Duration::from_secs(1))?;
    let d = IpDatagram::parse(&bytes, ChecksumMode::Verify).map_err(|e| e.to_string())?;
    match d.upper {
        UpperRepr::Udp(u) => check(
            u.src_port == 5353 && u.dst_port == 7777 && u.payload == b"pong",
            || format!("{u:?}"),
        )?,
        other => return Err(format!("not UDP: {other:?}").into()),
    }
    t.inject(&udp_packet(v, 0, 7777, 5353, b"ping"))
        .map_err(|e| e.to_string())?;
    let r = ok(
        &mut t,
        Syscall::RecvFrom {
            fd,
            len: 100,
            flags: 0,
            buf_null: false,
        },
        4,
    )?;
    check(
        r.out
            == SyscallOutput::Addr {
                data: b"ping".to_vec(),
                addr: Some(to),
            },
        || format!("{r:?}"),
    )
}

/// recvmsg hands back control messages as raw Linux bytes (IP_TOS here).
fn recvmsg_control_messages() -> Outcome {
    let v = IpVersion::Ipv4;
    let mut t = target(v)?;
    let fd = udp_socket(&mut t, v, 5353)?;
    set_int(&mut t, fd, linux::IPPROTO_IP, linux::IP_RECVTOS, 1)?;
    t.inject(&udp_packet(v, 0x10, 7777, 5353, b"tos"))
        .map_err(|e| e.to_string())?;
    let msg = MsgHdr {
        name: Some(remote(v, 0)),
        iov: vec![
            IoVec {
                base: Buf::Data(vec![]),
                len: 2,
            },
            IoVec {
                base: Buf::Data(vec![]),
                len: 10,
            },
        ],
        control: vec![],
        control_len: 64,
        flags: 0,
    };
    let r = ok(&mut t, Syscall::RecvMsg { fd, msg, flags: 0 }, 3)?;
    let want = SyscallOutput::Msg {
        data: b"tos".to_vec(),
        name: Some(remote(v, 7777)),
        control: vec![Cmsg {
            level: linux::IPPROTO_IP as i32,
            ty: linux::IP_TOS as i32,
            data: vec![0x10],
        }],
        flags: 0,
    };
    check(r.out == want, || format!("{r:?}"))?;
    // sendmsg with a control message: IP_TOS for this datagram only.
    let msg = MsgHdr {
        name: Some(remote(v, 7777)),
        iov: vec![
            IoVec {
                base: Buf::Data(b"ab".to_vec()),
                len: 2,
            },
            IoVec {
                base: Buf::Data(b"cd".to_vec()),
                len: 2,
            },
        ],
        control: vec![Cmsg {
            level: linux::IPPROTO_IP as i32,
            ty: linux::IP_TOS as i32,
            data: 0x20i32.to_ne_bytes().to_vec(),
        }],
        control_len: 0,
        flags: 0,
    };
    ok(&mut t, Syscall::SendMsg { fd, msg, flags: 0 }, 4)?;
    let (_, bytes) = next_packet(&mut t, Duration::from_secs(1))?;
    check(bytes[1] == 0x20 && bytes.ends_with(b"abcd"), || {
        format!("sendmsg sent {bytes:02x?}")
    })
}

/// poll and epoll_wait report a listener readable once a connection is queued.
fn poll_and_epoll_readiness() -> Outcome {
    let v = IpVersion::Ipv4;
    let mut t = target(v)?;
    let lfd = listener(&mut t, v, 8080)?;
    let epfd = call(&mut t, Syscall::EpollCreate { size: 1, flags: 0 })?.ret as i32;
    let ev = EpollEvent {
        events: linux::EPOLLIN as u32,
        data: 42,
    };
    ok(
        &mut t,
        Syscall::EpollCtl {
            epfd,
            op: linux::EPOLL_CTL_ADD as i32,
            fd: lfd,
            event: Some(ev),
        },
        0,
    )?;
    let r = ok(
        &mut t,
        Syscall::EpollWait {
            epfd,
            max_events: 4,
            timeout_ms: 0,
        },
        0,
    )?;
    check(r.out == SyscallOutput::EpollEvents(vec![]), || {
        format!("{r:?}")
    })?;
    handshake(&mut t, v, 40003, 8080)?;
    let r = ok(
        &mut t,
        Syscall::EpollWait {
            epfd,
            max_events: 4,
            timeout_ms: 0,
        },
        1,
    )?;
    check(r.out == SyscallOutput::EpollEvents(vec![ev]), || {
        format!("{r:?}")
    })?;
    let pollin = linux::POLLIN as i16;
    let r = ok(
        &mut t,
        Syscall::Poll {
            fds: vec![PollFd {
                fd: lfd,
                events: pollin,
            }],
            timeout_ms: 0,
        },
        1,
    )?;
    check(r.out == SyscallOutput::PollRevents(vec![pollin]), || {
        format!("{r:?}")
    })
}

/// A non-blocking accept on an empty queue returns EAGAIN at once.
fn nonblocking_calls_do_not_block() -> Outcome {
    let v = IpVersion::Ipv4;
    let mut t = target(v)?;
    let lfd = listener(&mut t, v, 8080)?;
    let r = ok(
        &mut t,
        Syscall::Fcntl {
            fd: lfd,
            cmd: linux::F_GETFL as i32,
            arg: 0,
        },
        2,
    )?; // O_RDWR
    ok(
        &mut t,
        Syscall::Fcntl {
            fd: lfd,
            cmd: linux::F_SETFL as i32,
            arg: r.ret | linux::O_NONBLOCK,
        },
        0,
    )?;
    let r = call(&mut t, Syscall::Accept { fd: lfd, flags: 0 })?;
    check(r.errno == Some(errno("EAGAIN")), || format!("{r:?}"))
}

/// Calls naming fds the run did not create never reach the kernel.
fn foreign_fds_are_not_touched() -> Outcome {
    let mut t = target(IpVersion::Ipv4)?;
    for fd in [0, 1, 2] {
        let r = call(&mut t, Syscall::Close { fd })?;
        check(r.errno == Some(errno("EBADF")), || {
            format!("close({fd}) gave {r:?}")
        })?;
    }
    check(std::path::Path::new("/proc/self/fd/1").exists(), || {
        "stdout was closed".into()
    })?;
    let r = call(
        &mut t,
        Syscall::Poll {
            fds: vec![PollFd {
                fd: 1,
                events: linux::POLLOUT as i16,
            }],
            timeout_ms: 0,
        },
    )?;
    check(
        r.out == SyscallOutput::PollRevents(vec![linux::POLLNVAL as i16]),
        || format!("{r:?}"),
    )
}

/// Malformed requests are typed errors, not crashes.
fn bad_requests_are_errors() -> Outcome {
    let mut t = target(IpVersion::Ipv4)?;
    let fd = udp_socket(&mut t, IpVersion::Ipv4, 5353)?;
    match t.syscall(Syscall::Read {
        fd,
        len: 1 << 40,
        buf_null: false,
    }) {
        Err(TargetError::Unsupported(why)) => check(why.contains("read buffer"), || why.clone())?,
        other => return Err(format!("huge read gave {other:?}").into()),
    }
    match t.inject(&[0x10; 40]) {
        Err(TargetError::Io(_)) => {}
        other => return Err(format!("non-IP inject gave {other:?}").into()),
    }
    let r = call(
        &mut t,
        Syscall::Write {
            fd,
            buf: Buf::Null,
            len: 10,
        },
    )?;
    check(
        r.errno == Some(errno("EFAULT")) || r.errno == Some(errno("EDESTADDRREQ")),
        || format!("{r:?}"),
    )
}

/// Several runs at once, each in its own namespace with the same addresses.
fn parallel_runs_are_isolated() -> Outcome {
    let runs: Vec<_> = (0..4)
        .map(|i| {
            std::thread::spawn(move || -> Result<u64, String> {
                let v = ALL_VERSIONS[i % 3];
                let mut t = KernelTarget::new(&config(v)).map_err(|e| e.to_string())?;
                let lfd = listener(&mut t, v, 8080)?;
                handshake(&mut t, v, 40000, 8080)?;
                accepted_fd(&call(&mut t, Syscall::Accept { fd: lfd, flags: 0 })?)?;
                Ok(t.namespace_id())
            })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    for r in runs {
        ids.insert(r.join().map_err(|_| "a run panicked")??);
    }
    check(ids.len() == 4, || format!("namespaces {ids:?}"))
}

/// Router solicitations and MLD reports that tun0 sends by itself are not
/// reported as packets; time passes in real time.
fn link_local_chatter_is_not_reported() -> Outcome {
    let mut t = target(IpVersion::Ipv6)?;
    let start = t.now();
    let wait = Duration::from_millis(1500);
    let e = t.next_event(start + wait).map_err(|e| e.to_string())?;
    check(e.is_none(), || format!("unexpected event {e:?}"))?;
    let waited = t.now().saturating_since(start);
    check(waited >= wait, || {
        format!("next_event returned after {waited}")
    })
}

/// A command's shell holds none of the run's sockets: file descriptors are
/// per process, so an inherited copy would keep a socket open after the
/// script closes it (no FIN until the command, or a process it left
/// running, exits) — for every run in the process, not only its own.
fn commands_do_not_inherit_sockets() -> Outcome {
    let v = IpVersion::Ipv4;
    let mut t = target(v)?;
    let lfd = listener(&mut t, v, 8080)?;
    let synack = handshake(&mut t, v, 40000, 8080)?;
    let (fd, _) = accepted_fd(&call(&mut t, Syscall::Accept { fd: lfd, flags: 0 })?)?;
    let held = shell(
        &mut t,
        &format!("for fd in {lfd} {fd}; do test -e /proc/$$/fd/$fd && echo held $fd; done; true"),
    )?;
    check(held.is_empty(), || format!("the shell has {held}"))?;
    // The close-on-exec flag is the script's: clear unless it asks.
    let getfd = |fd| Syscall::Fcntl {
        fd,
        cmd: linux::F_GETFD as i32,
        arg: 0,
    };
    ok(&mut t, getfd(fd), 0)?;
    ok(
        &mut t,
        Syscall::Fcntl {
            fd,
            cmd: linux::F_SETFD as i32,
            arg: linux::FD_CLOEXEC,
        },
        0,
    )?;
    ok(&mut t, getfd(fd), linux::FD_CLOEXEC)?;
    // A process left running holds no copy either: close sends the FIN now.
    shell(&mut t, "sleep 5 > /dev/null 2>&1 &")?;
    ok(&mut t, Syscall::Close { fd }, 0)?;
    let (_, bytes) = next_packet(&mut t, Duration::from_millis(500))?;
    let fin = parse_tcp(&bytes)?;
    check(
        fin.flags.contains(TcpFlags::FIN) && fin.seq == synack.seq.wrapping_add(1),
        || format!("after close: {fin:?}"),
    )
}

/// A capture of every frame on `tun0`, taken inside the run's namespace by
/// an AF_PACKET socket (a python3 helper started as a background command,
/// killed when the run ends): what really crossed the link, Ethernet
/// headers, ARP and neighbour discovery included.
struct Capture {
    dir: tempfile::TempDir,
}

/// One captured frame: whether the kernel sent it (`PACKET_OUTGOING`) or
/// received it, and its bytes.
struct Frame {
    outgoing: bool,
    bytes: Vec<u8>,
}

const CAPTURE_PY: &str = r#"
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("tun0", 0))
s.settimeout(10)
out = open(sys.argv[1], "w", buffering=1)
out.write("ready\n")
while True:
    try:
        data, addr = s.recvfrom(70000)
    except socket.timeout:
        break
    out.write("%d %s\n" % (addr[2], data.hex()))
"#;
const PACKET_OUTGOING: u32 = 4;

fn unhex(s: &str) -> Option<Vec<u8>> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

impl Capture {
    fn start(t: &mut KernelTarget) -> Result<Capture, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::write(dir.path().join("capture.py"), CAPTURE_PY).map_err(|e| e.to_string())?;
        let out = t
            .command(&Command {
                text: "python3 capture.py frames > capture.log 2>&1 &".into(),
                dir: dir.path().to_path_buf(),
            })
            .map_err(|e| e.to_string())?;
        if !matches!(out, CommandOutcome::Ran { status: 0, .. }) {
            return Err(format!("starting the capture: {out:?}"));
        }
        let capture = Capture { dir };
        let start = std::time::Instant::now();
        while !capture.text().starts_with("ready") {
            if start.elapsed() > std::time::Duration::from_secs(10) {
                let log = std::fs::read_to_string(capture.dir.path().join("capture.log"));
                return Err(format!(
                    "the capture did not start (needs python3): {log:?}"
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        Ok(capture)
    }

    fn text(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("frames")).unwrap_or_default()
    }

    fn frames(&self) -> Vec<Frame> {
        self.text()
            .lines()
            .skip(1)
            .filter_map(|l| {
                let (ty, hex) = l.split_once(' ')?;
                Some(Frame {
                    outgoing: ty.parse::<u32>().ok()? == PACKET_OUTGOING,
                    bytes: unhex(hex)?,
                })
            })
            .collect()
    }

    /// The frames seen once `done` holds for them (within 2 s).
    fn wait_for(&self, what: &str, done: impl Fn(&[Frame]) -> bool) -> Result<Vec<Frame>, String> {
        let start = std::time::Instant::now();
        loop {
            let frames = self.frames();
            if done(&frames) {
                return Ok(frames);
            }
            if start.elapsed() > std::time::Duration::from_secs(2) {
                return Err(format!(
                    "{what}: not in the {} frames captured",
                    frames.len()
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

/// A command's output, which must succeed.
fn shell(t: &mut KernelTarget, text: &str) -> Result<String, String> {
    match t.command(&Command {
        text: text.into(),
        dir: PathBuf::new(),
    }) {
        Ok(CommandOutcome::Ran { status: 0, output }) => Ok(output),
        other => Err(format!("`{text}` gave {other:?}")),
    }
}

fn is_arp(f: &EthernetFrame<'_>) -> bool {
    matches!(f.payload, FramePayload::Arp(_))
}

/// A neighbour solicitation or advertisement.
fn is_ndp(f: &EthernetFrame<'_>) -> bool {
    let FramePayload::Ip(d) = &f.payload else {
        return false;
    };
    matches!(
        &d.upper,
        UpperRepr::Icmpv6(Icmpv6Repr {
            message: Icmpv6Message::NeighborSolicit { .. } | Icmpv6Message::NeighborAdvert { .. },
            ..
        })
    )
}

fn tcp_of<'a>(f: &EthernetFrame<'a>) -> Option<TcpRepr<'a>> {
    match &f.payload {
        FramePayload::Ip(d) => d.tcp().copied(),
        _ => None,
    }
}

/// Frames on tun0 are Ethernet II between the fixed MACs (02:..:01 for the
/// kernel, 02:..:02 for the script's peer), the IP datagram inside is what
/// the target reports, and the first SYN-ACK needs no neighbour resolution:
/// no ARP or NDP frame is sent before it, the neighbours are permanent.
fn frames_are_ethernet_between_fixed_macs(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    let links = shell(&mut t, "ip -o link show dev tun0")?;
    check(links.contains("link/ether 02:00:00:00:00:01"), || {
        format!("tun0 is {links}")
    })?;
    let capture = Capture::start(&mut t)?;
    listener(&mut t, v, 8080)?;
    let syn = syn(v, 40000, 8080, 1_000_000);
    t.inject(&syn).map_err(|e| e.to_string())?;
    let (_, synack) = next_packet(&mut t, Duration::from_secs(2))?;
    let frames = capture.wait_for("the SYN-ACK", |fs| fs.iter().any(|f| f.outgoing))?;
    let ethertype = match v {
        IpVersion::Ipv6 => EtherType::IPV6,
        _ => EtherType::IPV4,
    };
    let mut seen_syn = false;
    for f in &frames {
        let parsed = EthernetFrame::parse(&f.bytes, ChecksumMode::Verify)
            .map_err(|e| format!("captured frame {:02x?}: {e}", f.bytes))?;
        check(!is_arp(&parsed) && !is_ndp(&parsed), || {
            format!("neighbour resolution on the wire: {parsed:?}")
        })?;
        let Some(tcp) = tcp_of(&parsed) else {
            continue; // link-local chatter (MLD, router solicitations)
        };
        let (src, dst) = (parsed.ethernet.src, parsed.ethernet.dst);
        check(parsed.ethernet.ethertype == ethertype, || {
            format!("EtherType {:?}", parsed.ethernet.ethertype)
        })?;
        let ip = &f.bytes[EthernetRepr::HEADER_LEN..];
        if f.outgoing {
            check(src == LOCAL && dst == REMOTE, || {
                format!("the kernel sent {src:?} -> {dst:?}")
            })?;
            check(
                seen_syn && tcp.flags == TcpFlags::SYN | TcpFlags::ACK,
                || format!("first segment out: {tcp:?}"),
            )?;
            check(ip == &synack[..], || {
                "the reported SYN-ACK is not the frame's datagram".into()
            })?;
            break;
        }
        check(src == REMOTE && dst == LOCAL, || {
            format!("injected frame {src:?} -> {dst:?}")
        })?;
        check(ip == &syn[..], || {
            "the injected frame is not the SYN".into()
        })?;
        seen_syn = true;
    }
    let neighbours = shell(&mut t, "ip neigh show dev tun0")?;
    let c = config(v);
    let mut must = vec![c.remote_ip];
    if c.gateway_ip != c.local_ip {
        must.push(c.gateway_ip);
    }
    for ip in must {
        let line = neighbours
            .lines()
            .find(|l| l.split(' ').next() == Some(&ip.to_string()));
        check(
            line.is_some_and(|l| l.contains("lladdr 02:00:00:00:00:02") && l.contains("PERMANENT")),
            || format!("neighbour {ip} is not permanent at the peer's MAC: {neighbours}"),
        )?;
    }
    Ok(())
}

/// With the permanent neighbours deleted, the kernel asks (ARP or a
/// neighbour solicitation); the target answers as the peer, the SYN-ACK
/// comes, and neither the request nor the answer is reported as a packet.
fn neighbour_requests_are_answered_not_reported(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    let c = config(v);
    for ip in [c.remote_ip, c.gateway_ip] {
        if ip != c.local_ip {
            shell(&mut t, &format!("ip neigh del {ip} dev tun0"))?;
        }
    }
    let capture = Capture::start(&mut t)?;
    listener(&mut t, v, 8080)?;
    t.inject(&syn(v, 40000, 8080, 1_000_000))
        .map_err(|e| e.to_string())?;
    let (_, bytes) = next_packet(&mut t, Duration::from_secs(2))?;
    let synack = parse_tcp(&bytes)?;
    check(synack.flags == TcpFlags::SYN | TcpFlags::ACK, || {
        format!("first packet reported: {synack:?}")
    })?;
    let quiet = t
        .next_event(t.now() + Duration::from_millis(300))
        .map_err(|e| e.to_string())?;
    check(quiet.is_none(), || format!("also reported: {quiet:?}"))?;
    let asked = |f: &EthernetFrame<'_>| match v {
        IpVersion::Ipv6 => is_ndp(f),
        _ => is_arp(f),
    };
    let frames = capture.wait_for("the request and its answer", |fs| {
        let parsed: Vec<_> = fs
            .iter()
            .filter_map(|f| {
                Some((
                    f.outgoing,
                    EthernetFrame::parse(&f.bytes, ChecksumMode::Verify).ok()?,
                ))
            })
            .collect();
        parsed.iter().any(|(out, f)| *out && asked(f))
            && parsed
                .iter()
                .any(|(out, f)| !*out && asked(f) && f.ethernet.src == REMOTE)
            && parsed.iter().any(|(out, f)| *out && tcp_of(f).is_some())
    })?;
    // The request went out before the SYN-ACK, which waited for the answer.
    let order: Vec<&str> = frames
        .iter()
        .filter_map(|f| {
            let p = EthernetFrame::parse(&f.bytes, ChecksumMode::Verify).ok()?;
            match (f.outgoing, asked(&p), tcp_of(&p).is_some()) {
                (true, true, _) => Some("request"),
                (false, true, _) => Some("answer"),
                (true, _, true) => Some("syn-ack"),
                _ => None,
            }
        })
        .collect();
    check(order.starts_with(&["request", "answer", "syn-ack"]), || {
        format!("frames in order {order:?}")
    })?;
    let neighbours = shell(&mut t, "ip neigh show dev tun0")?;
    check(
        neighbours.contains("lladdr 02:00:00:00:00:02") && !neighbours.contains("PERMANENT"),
        || format!("neighbours {neighbours}"),
    )
}

/// The upstream suite's passive open, ending with the accepted socket as fd 4.
const ACCEPTED: &str = "
    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
   +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
   +0 bind(3, ..., ...) = 0
   +0 listen(3, 1) = 0
   +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 10>
   +0 > S. 0:0(0) ack 1 <...>
   +0 < . 1:1(0) ack 1 win 514
   +0 accept(3, ..., ...) = 4
";

/// Writes `body` (after [`ACCEPTED`]) as a script in `dir`, runs it on the
/// kernel for IPv4 and fails with the rendered run unless it passes.
fn run_script(dir: &std::path::Path, body: &str) -> Outcome {
    let path = dir.join("test.pkt");
    std::fs::write(&path, format!("{ACCEPTED}{body}")).map_err(|e| e.to_string())?;
    let r = run_file(&path, IpVersion::Ipv4, &[], &KernelFactory, &|_| {});
    check(r.verdict.is_pass(), || {
        netdrill::report::diff::plain(&render_run(&r, 100))
    })
}

/// `open` and `sendfile` of a file the test writes: the `[N]` offset goes
/// in (and the file position stays), NULL uses and moves the file
/// position, `read` and `close` work on the file's fd, and a closed fd is
/// EBADF.
fn open_and_sendfile() -> Outcome {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("zeros");
    std::fs::write(&file, [0u8; 5]).map_err(|e| e.to_string())?;
    let body = format!(
        r#"
   +0 open("{}", O_RDONLY) = 5
   +0 sendfile(4, 5, [0], 5) = 5
   +0 > P. 1:6(5) ack 1
   +0 < . 1:1(0) ack 6 win 514
   +0 sendfile(4, 5, [100], 5) = 0
   +0 sendfile(4, 5, NULL, 3) = 3
   +0 > P. 6:9(3) ack 1
   +0 read(5, ..., 10) = 2
   +0 close(5) = 0
   +0 sendfile(4, 5, NULL, 1) = -1 EBADF (Bad file descriptor)
   +0 open("{}/missing", O_RDONLY) = -1 ENOENT (No such file or directory)
"#,
        file.display(),
        dir.path().display()
    );
    run_script(dir.path(), &body)
}

/// `pipe` with the script's fd numbers, `write` into it, `splice` from the
/// pipe into the socket and from the socket into a pipe (blocking until
/// data comes), end of file once the write end is closed, ESPIPE for an
/// offset on a pipe.
fn pipe_write_splice() -> Outcome {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let body = "
   +0 pipe([5, 6]) = 0
   +0 write(6, ..., 100) = 100
   +0 splice(5, NULL, 4, NULL, 100, SPLICE_F_MOVE) = 100
   +0 > P. 1:101(100) ack 1
   +0 < . 1:1(0) ack 101 win 514
   +0 splice(5, [0], 4, NULL, 1, 0) = -1 ESPIPE (Illegal seek)
   +0 close(6) = 0
   +0 splice(5, NULL, 4, NULL, 100, 0) = 0
   +0 pipe2([7, 8], O_NONBLOCK) = 0
   +0 ...0.100 splice(4, NULL, 8, NULL, 10, 0) = 10
  +.1 < P. 1:11(10) ack 101 win 514
   +0 > . 101:101(0) ack 11
   +0 read(7, ..., 100) = 10
   +0 read(7, ..., 100) = -1 EAGAIN (Resource temporarily unavailable)
";
    run_script(dir.path(), body)
}

fn main() {
    let args = Arguments::from_args();
    type Test = fn(IpVersion) -> Outcome;
    let per_version: [(&str, Test); 5] = [
        ("handshake_accept_write_read", handshake_accept_write_read),
        (
            "frames_are_ethernet_between_fixed_macs",
            frames_are_ethernet_between_fixed_macs,
        ),
        (
            "blocking_accept_is_reported_then_completes",
            blocking_accept,
        ),
        ("tcp_info_and_ioctl", tcp_info_and_ioctl),
        ("udp_sendto_recvfrom", udp_sendto_recvfrom),
    ];
    let mut trials = Vec::new();
    for v in ALL_VERSIONS {
        for (name, test) in per_version {
            let n = version_name(v);
            trials.push(Trial::test(format!("{name}::{n}"), move || test(v)));
        }
    }
    type Single = (&'static str, fn() -> Outcome);
    let single: [Single; 12] = [
        (
            "commands_do_not_inherit_sockets::ipv4",
            commands_do_not_inherit_sockets,
        ),
        (
            "commands_run_inside_the_namespace",
            commands_run_inside_the_namespace,
        ),
        (
            "recvmsg_sendmsg_control_messages::ipv4",
            recvmsg_control_messages,
        ),
        ("poll_and_epoll_readiness::ipv4", poll_and_epoll_readiness),
        (
            "nonblocking_calls_do_not_block::ipv4",
            nonblocking_calls_do_not_block,
        ),
        ("foreign_fds_are_not_touched", foreign_fds_are_not_touched),
        ("bad_requests_are_errors", bad_requests_are_errors),
        ("parallel_runs_are_isolated", parallel_runs_are_isolated),
        ("packetdrill_pid_is_per_run", packetdrill_pid_is_per_run),
        ("open_and_sendfile::ipv4", open_and_sendfile),
        ("pipe_write_splice::ipv4", pipe_write_splice),
        (
            "link_local_chatter_is_not_reported::ipv6",
            link_local_chatter_is_not_reported,
        ),
    ];
    trials.extend(
        single
            .into_iter()
            .map(|(name, test)| Trial::test(name, test)),
    );
    for v in [IpVersion::Ipv4, IpVersion::Ipv6] {
        trials.push(Trial::test(
            format!(
                "neighbour_requests_are_answered_not_reported::{}",
                version_name(v)
            ),
            move || neighbour_requests_are_answered_not_reported(v),
        ));
    }
    let trials = support::gate(trials, support::Need::Kernel, check_available());
    libtest_mimic::run(&args, trials).exit();
}
