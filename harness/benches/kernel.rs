//! The kernel target's own costs (needs root and /dev/net/tun; elsewhere it
//! prints why and measures nothing):
//!
//! - `kernel/setup`: a fresh run — namespace, tun0, addresses, routes,
//!   reader and first worker — ready to use (teardown not included);
//! - `kernel/syn_to_synack`: from injecting a SYN to a listener until the
//!   kernel's SYN-ACK comes out of `next_event`, per address family;
//! - `kernel/syscall`: a non-blocking syscall's round trip through a worker;
//! - `kernel/blocking_call`: how long starting a call that blocks (accept on
//!   an empty queue) takes to be reported blocked;
//! - `kernel/wake_lateness`: how late `next_event` returns after a deadline
//!   2 ms ahead with nothing happening (what a script's `+.002` costs beyond
//!   its 2 ms): the harness's own lateness, which scripts' tolerances absorb.
//!
//! Besides criterion's estimates, the distribution of every sample taken is
//! printed (median, p99, max): the tail is what makes a script late on a
//! loaded machine, so the printed distributions are the figures to compare.

#[path = "../tests/kernel_support/mod.rs"]
mod kernel_support;

use criterion::{Criterion, criterion_group, criterion_main};
use kernel_support::*;
use netdrill::target::kernel::{KernelTarget, check_available};
use netdrill::target::{Buf, Event, IpVersion, Started, Syscall, Target};
use netdrill_stack::linux;
use netdrill_stack::time::Duration;
use netdrill_stack::wire::{TcpFlags, TcpOption};
use std::time::{Duration as StdDuration, Instant};

/// Prints the median and the 99th percentile of `samples`.
fn report(what: &str, samples: &mut [StdDuration]) {
    if samples.is_empty() {
        return;
    }
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    eprintln!(
        "{what}: {} samples, median {:?}, p99 {:?}, max {:?}",
        samples.len(),
        at(0.5),
        at(0.99),
        samples[samples.len() - 1]
    );
}

fn setup(c: &mut Criterion) {
    let mut samples = Vec::new();
    let mut g = c.benchmark_group("kernel");
    g.sample_size(30);
    g.bench_function("setup", |b| {
        b.iter_custom(|iters| {
            let mut total = StdDuration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let t = KernelTarget::new(&config(IpVersion::Ipv4)).expect("kernel run");
                let took = start.elapsed();
                samples.push(took);
                total += took;
                drop(t);
            }
            total
        })
    });
    g.finish();
    report("kernel/setup (namespace + tun0 + config)", &mut samples);
}

/// One SYN to the listener, timed until its SYN-ACK is read; then a RST
/// (untimed) so that the listener's queue stays empty.
fn syn_round_trip(t: &mut KernelTarget, v: IpVersion, port: u16) -> StdDuration {
    let syn = syn(v, port, 8080, 1_000_000);
    let start = Instant::now();
    t.inject(&syn).expect("inject");
    let (_, bytes) = next_packet(t, Duration::from_secs(1)).expect("SYN-ACK");
    let took = start.elapsed();
    let synack = parse_tcp(&bytes).expect("TCP");
    assert_eq!(synack.flags, TcpFlags::SYN | TcpFlags::ACK, "{synack:?}");
    let rst = tcp_packet(
        v,
        &Segment {
            src_port: port,
            dst_port: 8080,
            seq: 1_000_001,
            ack: 0,
            flags: TcpFlags::RST,
            window: 0,
            options: &[] as &[TcpOption<'_>],
            payload: &[],
        },
    );
    t.inject(&rst).expect("inject RST");
    took
}

fn reply_latency(c: &mut Criterion) {
    let mut g = c.benchmark_group("kernel/syn_to_synack");
    g.sample_size(50);
    for v in ALL_VERSIONS {
        let mut t = KernelTarget::new(&config(v)).expect("kernel run");
        listener(&mut t, v, 8080).expect("listener");
        let mut samples = Vec::new();
        let mut port = 1024u16;
        g.bench_function(version_name(v), |b| {
            b.iter_custom(|iters| {
                let mut total = StdDuration::ZERO;
                for _ in 0..iters {
                    port = port.checked_add(1).unwrap_or(1024);
                    let took = syn_round_trip(&mut t, v, port);
                    samples.push(took);
                    total += took;
                }
                total
            })
        });
        report(
            &format!("kernel/syn_to_synack/{}", version_name(v)),
            &mut samples,
        );
    }
    g.finish();
}

fn syscall(c: &mut Criterion) {
    let v = IpVersion::Ipv4;
    let mut t = KernelTarget::new(&config(v)).expect("kernel run");
    let fd = listener(&mut t, v, 8080).expect("listener");
    let get = Syscall::GetSockOpt {
        fd,
        level: linux::SOL_SOCKET as i32,
        name: linux::SO_REUSEADDR as i32,
        len: 4,
    };
    let mut samples = Vec::new();
    c.bench_function("kernel/syscall/getsockopt", |b| {
        b.iter_custom(|iters| {
            let mut total = StdDuration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                call(&mut t, get.clone()).expect("getsockopt");
                let took = start.elapsed();
                samples.push(took);
                total += took;
            }
            total
        })
    });
    report("kernel/syscall/getsockopt", &mut samples);
}

/// Closes `fd` with a RST (SO_LINGER 0), read off the wire: nothing of the
/// connection stays to send packets later.
fn abort(t: &mut KernelTarget, fd: i32) {
    let linger_zero = [1i32.to_ne_bytes(), 0i32.to_ne_bytes()].concat();
    let linger = Syscall::SetSockOpt {
        fd,
        level: linux::SOL_SOCKET as i32,
        name: linux::SO_LINGER as i32,
        value: Buf::Data(linger_zero),
        len: 8,
    };
    call(t, linger).expect("SO_LINGER");
    call(t, Syscall::Close { fd }).expect("close");
    let (_, bytes) = next_packet(t, Duration::from_secs(1)).expect("RST");
    let rst = parse_tcp(&bytes).expect("TCP");
    assert!(rst.flags.contains(TcpFlags::RST), "{rst:?}");
}

/// Starts an accept on an empty queue until it is reported blocked, then
/// completes it with a handshake (untimed) so the worker is free again.
fn blocking_call(c: &mut Criterion) {
    let v = IpVersion::Ipv4;
    let mut t = KernelTarget::new(&config(v)).expect("kernel run");
    let lfd = listener(&mut t, v, 8080).expect("listener");
    let mut samples = Vec::new();
    let mut port = 1024u16;
    let mut g = c.benchmark_group("kernel/blocking_call");
    g.sample_size(30);
    g.bench_function("accept", |b| {
        b.iter_custom(|iters| {
            let mut total = StdDuration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                let started = t
                    .syscall(Syscall::Accept { fd: lfd, flags: 0 })
                    .expect("accept");
                let took = start.elapsed();
                assert!(matches!(started, Started::Blocked(_)), "{started:?}");
                samples.push(took);
                total += took;
                port = port.checked_add(1).unwrap_or(1024);
                handshake(&mut t, v, port, 8080).expect("handshake");
                let deadline = t.now() + Duration::from_secs(1);
                match t.next_event(deadline).expect("completion") {
                    Some(Event::SyscallDone { result, .. }) => {
                        let (fd, _) = accepted_fd(&result).expect("accepted");
                        abort(&mut t, fd);
                    }
                    other => panic!("expected the accept to return, got {other:?}"),
                }
            }
            total
        })
    });
    g.finish();
    report("kernel/blocking_call/accept", &mut samples);
}

/// How late `next_event` hands control back after an idle 2 ms wait.
fn wake_lateness(c: &mut Criterion) {
    let mut t = KernelTarget::new(&config(IpVersion::Ipv4)).expect("kernel run");
    let mut samples = Vec::new();
    let mut g = c.benchmark_group("kernel/wake_lateness");
    g.sample_size(20);
    g.bench_function("idle_2ms", |b| {
        b.iter_custom(|iters| {
            let mut total = StdDuration::ZERO;
            for _ in 0..iters {
                let deadline = t.now() + Duration::from_millis(2);
                assert_eq!(t.next_event(deadline).expect("wait"), None);
                let late = t.now().saturating_since(deadline).as_micros();
                let late = StdDuration::from_micros(late);
                samples.push(late);
                total += late;
            }
            total
        })
    });
    g.finish();
    report(
        "kernel/wake_lateness/idle_2ms (beyond the deadline)",
        &mut samples,
    );
}

fn benches(c: &mut Criterion) {
    if let Err(why) = check_available() {
        eprintln!("kernel benchmarks skipped: {why}");
        return;
    }
    setup(c);
    reply_latency(c);
    syscall(c);
    blocking_call(c);
    wake_lateness(c);
}

criterion_group!(kernel, benches);
criterion_main!(kernel);
