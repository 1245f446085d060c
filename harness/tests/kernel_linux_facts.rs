//! What Linux does by default, measured through the kernel target: the facts
//! the reference stack's `linux` profile must match (SYN/SYN-ACK option
//! layout, window and window scale, initial congestion window, tail loss
//! probe, RTO floor,
//! SYN-ACK retransmission timeout, delayed-ACK timer, timestamp clock).
//!
//! Each trial prints what it measured and fails, naming the fact, if this
//! kernel behaves otherwise. Timing facts are checked with wide windows: the
//! point is the order of magnitude Linux uses, not this machine's jitter.

mod kernel_support;
mod support;

use kernel_support::*;
use libtest_mimic::{Arguments, Failed, Trial};
use netdrill::target::kernel::{KernelTarget, check_available};
use netdrill::target::{Buf, Command, CommandOutcome, Event, IpVersion, Started, Syscall, Target};
use netdrill_stack::linux;
use netdrill_stack::time::{Duration, Instant};
use netdrill_stack::wire::{TcpFlags, TcpOption};
use std::path::PathBuf;

type Outcome = Result<(), Failed>;

fn fact(name: &str, measured: impl std::fmt::Debug, holds: bool, expected: &str) -> Outcome {
    println!("linux fact: {name}: {measured:?} (expected {expected})");
    if holds {
        Ok(())
    } else {
        Err(format!("{name} is {measured:?}, expected {expected}").into())
    }
}

fn target(v: IpVersion) -> Result<KernelTarget, Failed> {
    KernelTarget::new(&config(v)).map_err(|e| Failed::from(e.to_string()))
}

fn ms(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}

/// An established connection from the remote side (SYN with mss 1000,
/// sackOK, TS, wscale 7) whose accepted fd is returned with the SYN-ACK.
fn established(t: &mut KernelTarget, v: IpVersion, port: u16) -> Result<(i32, Seen), Failed> {
    let lfd = listener(t, v, 8080)?;
    let synack = handshake(t, v, port, 8080)?;
    let (fd, _) = accepted_fd(&call(t, Syscall::Accept { fd: lfd, flags: 0 })?)?;
    Ok((fd, synack))
}

/// The window scale Linux derives from the largest receive buffer
/// (`tcp_rmem[2]`, read in the run's namespace): the smallest shift that
/// makes 65535 cover it, at most 14 (RFC 7323 §2.3).
fn expected_wscale(t: &mut KernelTarget) -> Result<u8, Failed> {
    let text = "sysctl -n net.ipv4.tcp_rmem net.core.rmem_max".into();
    let cmd = Command {
        text,
        dir: PathBuf::new(),
    };
    let CommandOutcome::Ran { status: 0, output } = t.command(&cmd).map_err(|e| e.to_string())?
    else {
        return Err("sysctl failed".into());
    };
    let numbers: Vec<u64> = output
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let (Some(rmem_max), Some(core_max)) = (numbers.get(2), numbers.get(3)) else {
        return Err(format!("sysctl said {output:?}").into());
    };
    println!("linux fact: tcp_rmem[2] {rmem_max}, rmem_max {core_max}");
    let mut space = *rmem_max.max(core_max);
    let mut scale = 0;
    while space > 65535 && scale < 14 {
        space >>= 1;
        scale += 1;
    }
    Ok(scale)
}

/// SYN-ACK to a SYN carrying every option: option bytes, window, MSS, scale.
fn synack_layout(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    let (_, s) = established(&mut t, v, 40000)?;
    let kinds: Vec<u8> = {
        let mut k = Vec::new();
        let mut i = 0;
        while let Some(&kind) = s.options.get(i) {
            k.push(kind);
            i += if kind <= 1 {
                1
            } else {
                usize::from(*s.options.get(i + 1).unwrap_or(&1)).max(1)
            };
        }
        k
    };
    // mss, sackOK, TS, nop, wscale (SACK-permitted takes the TS option's NOPs).
    fact(
        "SYN-ACK option kinds",
        &kinds,
        kinds == [2, 4, 8, 1, 3],
        "[2, 4, 8, 1, 3]",
    )?;
    fact(
        "SYN-ACK MSS (MTU 1500 / 1520)",
        s.mss,
        s.mss == Some(1460),
        "1460",
    )?;
    let scale = expected_wscale(&mut t)?;
    fact(
        "SYN-ACK window scale",
        s.wscale,
        s.wscale == Some(scale),
        &format!("{scale}, from tcp_rmem[2]"),
    )?;
    fact(
        "SYN-ACK window",
        s.window,
        s.window == 65160,
        "65160 (45 x 1448)",
    )?;
    Ok(())
}

/// The SYN of connect(): option layout, window, scale, retransmission.
fn syn_layout_and_retransmission(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    let s = call(
        &mut t,
        Syscall::Socket {
            domain: domain(v),
            ty: linux::SOCK_STREAM as i32,
            protocol: 0,
        },
    )?;
    let fd = s.ret as i32;
    let started = t
        .syscall(Syscall::Connect {
            fd,
            addr: Some(remote(v, 8080)),
        })
        .map_err(|e| e.to_string())?;
    if !matches!(started, Started::Blocked(_)) {
        return Err(format!("a blocking connect gave {started:?}").into());
    }
    let (first_at, bytes) = next_packet(&mut t, Duration::from_secs(1))?;
    let syn = parse_tcp(&bytes)?;
    let layout = &syn.options[..4];
    fact(
        "SYN starts with mss 1460",
        layout,
        layout == [2, 4, 0x05, 0xb4],
        "[2, 4, 5, 180]",
    )?;
    fact(
        "SYN sackOK then TS",
        &syn.options[4..8],
        syn.options[4..8] == [4, 2, 8, 10],
        "[4, 2, 8, 10]",
    )?;
    let tail = [1, 3, 3, expected_wscale(&mut t)?];
    fact(
        "SYN ends nop, wscale",
        &syn.options[16..],
        syn.options[16..] == tail,
        &format!("{tail:?}"),
    )?;
    fact(
        "SYN window",
        syn.window,
        syn.window == 64240,
        "64240 (44 x 1460)",
    )?;
    let (again_at, bytes) = next_packet(&mut t, Duration::from_secs(3))?;
    let again = parse_tcp(&bytes)?;
    let rto = ms(again_at.saturating_since(first_at));
    fact(
        "SYN retransmitted",
        again.seq == syn.seq && again.flags == TcpFlags::SYN,
        true,
        "same SYN",
    )?;
    fact(
        "initial RTO (SYN) in ms",
        rto,
        (950.0..1300.0).contains(&rto),
        "1000 (TCP_TIMEOUT_INIT)",
    )
}

/// An unanswered SYN-ACK is retransmitted after the initial RTO.
fn synack_retransmission(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    listener(&mut t, v, 8080)?;
    t.inject(&syn(v, 40000, 8080, 1_000_000))
        .map_err(|e| e.to_string())?;
    let (first, _) = next_packet(&mut t, Duration::from_secs(1))?;
    let (again, bytes) = next_packet(&mut t, Duration::from_secs(3))?;
    let s = parse_tcp(&bytes)?;
    let rto = ms(again.saturating_since(first));
    fact(
        "SYN-ACK retransmitted",
        s.flags == TcpFlags::SYN | TcpFlags::ACK,
        true,
        "SYN-ACK",
    )?;
    fact(
        "SYN-ACK RTO in ms",
        rto,
        (950.0..1300.0).contains(&rto),
        "1000",
    )
}

/// Packets sent within `window` after `now`, stopping at the first quiet gap.
fn burst(t: &mut KernelTarget, window: Duration) -> Result<Vec<(Instant, Seen)>, Failed> {
    let mut out = Vec::new();
    let deadline = t.now() + window;
    while let Some(e) = t.next_event(deadline).map_err(|e| e.to_string())? {
        if let Event::Packet { at, bytes } = e {
            out.push((at, parse_tcp(&bytes)?));
        }
    }
    Ok(out)
}

/// Queues more than the initial window on a fresh connection (TLP on or
/// off in its namespace) and returns the data segments sent within 150 ms.
fn first_flight(
    t: &mut KernelTarget,
    v: IpVersion,
    port: u16,
    tlp: bool,
) -> Result<Vec<(Instant, Seen)>, Failed> {
    let text = format!(
        "sysctl -q net.ipv4.tcp_early_retrans={}",
        if tlp { 3 } else { 0 }
    );
    let cmd = Command {
        text,
        dir: PathBuf::new(),
    };
    if !matches!(t.command(&cmd), Ok(CommandOutcome::Ran { status: 0, .. })) {
        return Err("setting tcp_early_retrans failed".into());
    }
    let (fd, _) = established(t, v, port)?;
    let len = 50_000;
    let send = Syscall::Send {
        fd,
        buf: Buf::Data(vec![1; len]),
        len,
        flags: linux::MSG_DONTWAIT as i32,
    };
    let queued = call(t, send)?.ret;
    if queued < 10_000 {
        return Err(format!("only {queued} bytes could be queued").into());
    }
    let flight = burst(t, Duration::from_millis(150))?;
    let data: Vec<(Instant, Seen)> = flight
        .into_iter()
        .filter(|(_, s)| !s.payload.is_empty())
        .collect();
    if data.is_empty() {
        return Err("no data sent".into());
    }
    let t0 = data[0].0;
    let seq0 = data[0].1.seq;
    let times: Vec<_> = data
        .iter()
        .map(|(a, s)| (ms(a.saturating_since(t0)), s.seq.wrapping_sub(seq0)))
        .collect();
    println!("linux fact: data segments, TLP {tlp} (ms, relative seq): {times:?}");
    Ok(data)
}

/// Initial congestion window, and the RTO floor after a near-zero RTT (tail
/// loss probes off, so the first timer to fire is the RTO).
fn initial_window_and_rto(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    let data = first_flight(&mut t, v, 40001, false)?;
    let bytes: usize = data.iter().map(|(_, s)| s.payload.len()).sum();
    fact(
        "initial window (segments before any ACK)",
        data.len(),
        data.len() == 10,
        "10 (TCP_INIT_CWND)",
    )?;
    fact(
        "initial window bytes (peer MSS 1000 - 12 TS)",
        bytes,
        bytes == 9880,
        "9880",
    )?;
    // Nothing is acknowledged: the first segment comes back one RTO later.
    let (t0, first) = &data[0];
    let (again_at, bytes) = next_packet(&mut t, Duration::from_secs(2))?;
    let again = parse_tcp(&bytes)?;
    let rto = ms(again_at.saturating_since(*t0));
    fact(
        "retransmission is the first segment",
        again.seq == first.seq,
        true,
        "same seq",
    )?;
    fact(
        "RTO after a ~0 RTT, in ms",
        rto,
        (200.0..250.0).contains(&rto),
        "200 + SRTT, rounded up to the 4 ms tick (tcp_rto_min)",
    )
}

/// With tail loss probes on (the default), the initial window is followed
/// by one probe carrying the next new segment (RFC 8985 §7).
fn tail_loss_probe(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    let data = first_flight(&mut t, v, 40004, true)?;
    let (t0, seq0) = (data[0].0, data[0].1.seq);
    let probe = data
        .iter()
        .position(|(_, s)| s.seq.wrapping_sub(seq0) == 9880);
    fact("segments before the probe", probe, probe == Some(10), "10")?;
    let after = probe.map(|i| ms(data[i].0.saturating_since(t0)));
    fact(
        "probe, ms after the first segment",
        after,
        after.is_some_and(|ms| (2.0..100.0).contains(&ms)),
        "2 x SRTT + 2 ms, at least one 4 ms tick",
    )
}

/// With quick-ack mode left (TCP_QUICKACK 0), one data segment is acknowledged
/// by the delayed-ACK timer.
fn delayed_ack(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    let (fd, synack) = established(&mut t, v, 40002)?;
    set_int(&mut t, fd, linux::IPPROTO_TCP, linux::TCP_QUICKACK, 0)?;
    let seg = tcp_packet(
        v,
        &Segment {
            src_port: 40002,
            dst_port: 8080,
            seq: 1_000_001,
            ack: synack.seq.wrapping_add(1),
            flags: TcpFlags::ACK | TcpFlags::PSH,
            window: 1000,
            options: &[] as &[TcpOption<'_>],
            payload: &[9; 100],
        },
    );
    let sent = t.now();
    t.inject(&seg).map_err(|e| e.to_string())?;
    let (at, bytes) = next_packet(&mut t, Duration::from_secs(1))?;
    let ack = parse_tcp(&bytes)?;
    let delay = ms(at.saturating_since(sent));
    fact(
        "ACK of one segment",
        ack.ack == 1_000_101 && ack.payload.is_empty(),
        true,
        "pure ACK",
    )?;
    fact(
        "delayed ACK after TCP_QUICKACK=0, in ms",
        delay,
        (35.0..80.0).contains(&delay),
        "40 (TCP_DELACK_MIN)",
    )
}

/// The TSval clock runs at 1 kHz.
fn timestamp_clock(v: IpVersion) -> Outcome {
    let mut t = target(v)?;
    let (fd, synack) = established(&mut t, v, 40003)?;
    let (ts0, _) = synack.timestamps.ok_or("no TS on the SYN-ACK")?;
    let t0 = t.now();
    std::thread::sleep(std::time::Duration::from_millis(300));
    ok(
        &mut t,
        Syscall::Write {
            fd,
            buf: Buf::Data(vec![1; 10]),
            len: 10,
        },
        10,
    )?;
    let (t1, bytes) = next_packet(&mut t, Duration::from_secs(1))?;
    let (ts1, _) = parse_tcp(&bytes)?.timestamps.ok_or("no TS on data")?;
    let rate = f64::from(ts1.wrapping_sub(ts0)) / ms(t1.saturating_since(t0));
    fact(
        "TSval ticks per ms",
        rate,
        (0.9..1.1).contains(&rate),
        "1 (tcp_clock_ms)",
    )
}

fn main() {
    let args = Arguments::from_args();
    type Fact = (&'static str, fn(IpVersion) -> Outcome);
    let facts: [Fact; 7] = [
        ("synack_layout", synack_layout),
        (
            "syn_layout_and_retransmission",
            syn_layout_and_retransmission,
        ),
        ("synack_retransmission", synack_retransmission),
        ("initial_window_and_rto", initial_window_and_rto),
        ("tail_loss_probe", tail_loss_probe),
        ("delayed_ack", delayed_ack),
        ("timestamp_clock", timestamp_clock),
    ];
    let mut trials = Vec::new();
    for v in [IpVersion::Ipv4, IpVersion::Ipv6] {
        for (name, f) in facts {
            trials.push(Trial::test(
                format!("{name}::{}", version_name(v)),
                move || f(v),
            ));
        }
    }
    let trials = support::gate(trials, support::Need::Kernel, check_available());
    libtest_mimic::run(&args, trials).exit();
}
