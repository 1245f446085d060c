//! The kernel target's own costs (needs root and /dev/net/tun; elsewhere it
//! prints why and measures nothing):
//!
//! - `kernel/setup`: a fresh run — namespace, tun0, addresses, routes,
//!   reader and first worker — ready to use (teardown not included);
//! - `kernel/syn_to_synack`: from injecting a SYN to a listener until the
//!   kernel's SYN-ACK comes out of `next_event`, per address family;
//! - `kernel/syscall`: a non-blocking syscall's round trip through a worker.
//!
//! Besides criterion's estimates, the distribution of every sample taken is
//! printed (median, p99) for the reply latency and the set-up time.

#[path = "../tests/kernel_support/mod.rs"]
mod kernel_support;

use criterion::{Criterion, criterion_group, criterion_main};
use kernel_support::*;
use netdrill::target::kernel::{KernelTarget, check_available};
use netdrill::target::{IpVersion, Syscall, Target};
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
    c.bench_function("kernel/syscall/getsockopt", |b| {
        b.iter(|| call(&mut t, get.clone()).expect("getsockopt"))
    });
}

fn benches(c: &mut Criterion) {
    if let Err(why) = check_available() {
        eprintln!("kernel benchmarks skipped: {why}");
        return;
    }
    setup(c);
    reply_latency(c);
    syscall(c);
}

criterion_group!(kernel, benches);
criterion_main!(kernel);
