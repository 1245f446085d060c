//! Benchmarks of the whole stack in virtual time (issue 4 item 9):
//! - `bulk`: payload throughput of one connection between two stacks on a
//!   lossless, zero-delay link (wall-clock bytes per second on one core),
//!   at the standard 1500-byte MTU: 1448 payload bytes per segment with
//!   timestamps (checked). Writer and reader use caller-owned buffers
//!   (`Stack::send_from`, `Stack::recv_into`) and the link one reused
//!   datagram buffer (`Stack::poll_transmit_into`), so the figure is the
//!   stack's own cost;
//! - `open_close`: connect + accept + data-less close + TIME-WAIT expiry;
//! - memory per idle established connection, measured with a counting
//!   allocator and printed before the timed benchmarks run.

use criterion::{Criterion, Throughput, criterion_group};
use netdrill_stack::linux::{self};
use netdrill_stack::socket::{Call, CallOutcome, CallResult};
use netdrill_stack::time::{Duration, Instant};
use netdrill_stack::{Config, Stack};
use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicIsize, Ordering};

/// Counts live heap bytes.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to the system allocator with the caller's
// arguments unchanged; the counter is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const PORT: u16 = 8080;

fn call(st: &mut Stack, now: Instant, c: Call) -> CallResult {
    match st.call(now, c) {
        CallOutcome::Done(r) => r,
        CallOutcome::Pending(_) => panic!("blocked"),
    }
}

struct Pair {
    a: Stack,
    b: Stack,
    now: Instant,
    listen: i32,
    /// The link's one datagram buffer: the stacks write into it and read
    /// from it, so the link itself allocates and copies nothing.
    wire: Vec<u8>,
}

impl Pair {
    fn new() -> Pair {
        let a = Stack::new(Config::new(1));
        let mut cfg = Config::new(2);
        cfg.addrs = vec!["192.0.2.1".parse::<IpAddr>().unwrap()];
        let mut b = Stack::new(cfg);
        let now = Instant::ZERO;
        let nb = (linux::SOCK_STREAM | linux::SOCK_NONBLOCK) as i32;
        let listen = call(
            &mut b,
            now,
            Call::Socket {
                domain: 2,
                ty: nb,
                protocol: 0,
            },
        )
        .ret as i32;
        call(
            &mut b,
            now,
            Call::Bind {
                fd: listen,
                addr: Some(SocketAddr::new("0.0.0.0".parse().unwrap(), PORT)),
            },
        );
        call(
            &mut b,
            now,
            Call::Listen {
                fd: listen,
                backlog: 4096,
            },
        );
        Pair {
            a,
            b,
            now,
            listen,
            wire: Vec::new(),
        }
    }

    /// Delivers everything in flight, instantly; returns whether anything moved.
    fn exchange(&mut self) -> bool {
        let mut moved = false;
        loop {
            let mut any = false;
            while self.a.poll_transmit_into(self.now, &mut self.wire) {
                self.b.handle_packet(self.now, &self.wire);
                any = true;
            }
            while self.b.poll_transmit_into(self.now, &mut self.wire) {
                self.a.handle_packet(self.now, &self.wire);
                any = true;
            }
            if !any {
                return moved;
            }
            moved = true;
        }
    }

    /// Moves time to the next wake-up of either stack.
    fn tick(&mut self) {
        let next = [self.a.poll_at(), self.b.poll_at()]
            .into_iter()
            .flatten()
            .min();
        self.now = match next {
            Some(t) if t > self.now => t,
            _ => self.now + Duration::from_micros(1),
        };
        self.a.handle_timeout(self.now);
        self.b.handle_timeout(self.now);
    }

    /// An established pair of sockets: (client fd, server fd).
    fn connect(&mut self) -> (i32, i32) {
        let nb = (linux::SOCK_STREAM | linux::SOCK_NONBLOCK) as i32;
        let fd = call(
            &mut self.a,
            self.now,
            Call::Socket {
                domain: 2,
                ty: nb,
                protocol: 0,
            },
        )
        .ret as i32;
        let peer = SocketAddr::new("192.0.2.1".parse().unwrap(), PORT);
        call(
            &mut self.a,
            self.now,
            Call::Connect {
                fd,
                addr: Some(peer),
            },
        );
        loop {
            self.exchange();
            let r = call(
                &mut self.b,
                self.now,
                Call::Accept {
                    fd: self.listen,
                    flags: linux::SOCK_NONBLOCK as i32,
                },
            );
            if r.ret >= 0 {
                return (fd, r.ret as i32);
            }
            self.tick();
        }
    }
}

/// The writer's buffer: a pseudo-random pattern whose length is prime,
/// so that stream byte `k` is `pattern[k % len]` and data that arrives
/// shifted, duplicated or out of order (by less than the period) differs.
fn pattern() -> Vec<u8> {
    const PERIOD: usize = 65521;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..PERIOD)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Where a transfer is in the byte stream, which continues from one
/// iteration to the next.
#[derive(Clone, Copy, Default)]
struct Stream {
    sent: u64,
    got: u64,
}

/// Sends `total` bytes from a to b over an established connection. The
/// writer and the reader own their buffers (as a real application does):
/// each write hands the stack the next slice of the writer's pattern and
/// the stack copies only what it takes; each read fills the reader's
/// buffer. With `verify`, every byte read is compared with the pattern
/// (the stack does exactly the same work either way).
fn bulk(p: &mut Pair, fds: (i32, i32), total: usize, io: &mut Io, verify: bool) {
    let (c, s) = fds;
    let period = io.wbuf.len() as u64;
    let goal = io.at.sent + total as u64;
    let end = io.at.got + total as u64;
    while io.at.got < end {
        while io.at.sent < goal {
            let off = (io.at.sent % period) as usize;
            let n = (io.wbuf.len() - off).min((goal - io.at.sent) as usize);
            match p.a.send_from(p.now, c, &io.wbuf[off..off + n], 0) {
                Ok(k) if k > 0 => io.at.sent += k as u64,
                _ => break,
            }
        }
        let moved = p.exchange();
        while let Ok(n) = p.b.recv_into(p.now, s, &mut io.rbuf, 0) {
            if n == 0 {
                break;
            }
            if verify {
                check(&io.wbuf, io.at.got, &io.rbuf[..n]);
            }
            io.at.got += n as u64;
        }
        if !moved {
            p.tick();
        }
    }
}

/// Panics unless `got`, read at stream offset `at`, is the pattern there.
fn check(pattern: &[u8], at: u64, got: &[u8]) {
    let period = pattern.len() as u64;
    let mut off = (at % period) as usize;
    let mut rest = got;
    while !rest.is_empty() {
        let n = rest.len().min(pattern.len() - off);
        assert!(
            rest[..n] == pattern[off..off + n],
            "bytes read at stream offset {} differ from those written",
            at + (got.len() - rest.len()) as u64
        );
        rest = &rest[n..];
        off = 0;
    }
}

/// The writer's pattern, the reader's buffer and the stream position.
struct Io {
    wbuf: Vec<u8>,
    rbuf: Vec<u8>,
    at: Stream,
}

fn bench_bulk(c: &mut Criterion) {
    const TOTAL: usize = 16 << 20;
    let mut g = c.benchmark_group("bulk");
    g.throughput(Throughput::Bytes(TOTAL as u64));
    g.sample_size(10);
    let mut runs = Runs::new();
    g.bench_function("16MiB_one_connection", |bn| {
        let mut p = Pair::new();
        let fds = p.connect();
        let mss =
            p.a.connection(fds.0)
                .map(|c| c.negotiated().eff_snd_mss(p.a.profile()));
        assert_eq!(mss, Some(1448), "MTU 1500, timestamps on");
        let mut io = Io {
            wbuf: pattern(),
            rbuf: vec![0u8; 64 * 1024],
            at: Stream::default(),
        };
        // One untimed transfer in which every byte read is checked.
        bulk(&mut p, fds, TOTAL, &mut io, true);
        bn.iter_custom(|iters| {
            let (wall, cpu) = (wall_clock(), cpu_time());
            for _ in 0..iters {
                bulk(&mut p, fds, black_box(TOTAL), &mut io, false);
            }
            let took = wall.elapsed();
            runs.record(TOTAL as u64 * iters, took, cpu_time().zip(cpu));
            took
        });
        // And the bytes of the timed transfers arrived too, in order.
        bulk(&mut p, fds, TOTAL, &mut io, true);
        assert_eq!(io.at.sent, io.at.got);
    });
    g.finish();
    runs.report();
}

/// The timed runs of `bulk` (criterion's warm-up and samples): payload
/// bytes, wall-clock time and, where the OS tells, the time this thread
/// spent on a CPU, which a busy machine inflates less.
struct Runs {
    bytes: u64,
    wall: std::time::Duration,
    cpu: Option<std::time::Duration>,
    wall_rates: Vec<f64>,
}

impl Runs {
    fn new() -> Runs {
        Runs {
            bytes: 0,
            wall: std::time::Duration::ZERO,
            cpu: Some(std::time::Duration::ZERO),
            wall_rates: Vec::new(),
        }
    }

    fn record(
        &mut self,
        bytes: u64,
        wall: std::time::Duration,
        cpu: Option<(std::time::Duration, std::time::Duration)>,
    ) {
        self.bytes += bytes;
        self.wall += wall;
        self.wall_rates.push(gbit_per_s(bytes, wall));
        self.cpu = self
            .cpu
            .zip(cpu)
            .map(|(sum, (end, start))| sum + end.saturating_sub(start));
    }

    fn report(mut self) {
        self.wall_rates.sort_by(f64::total_cmp);
        let Some(median) = self.wall_rates.get(self.wall_rates.len() / 2) else {
            return;
        };
        let on_cpu = self.cpu.map_or(String::new(), |cpu| {
            format!(
                "; {:.2} Gbit/s of time on the CPU",
                gbit_per_s(self.bytes, cpu)
            )
        });
        eprintln!(
            "bulk: {:.2} Gbit/s of payload over {} MiB in {} timed runs (median run {median:.2}){on_cpu}; \
             every byte checked in an untimed transfer before and after",
            gbit_per_s(self.bytes, self.wall),
            self.bytes >> 20,
            self.wall_rates.len(),
        );
    }
}

/// Payload bits per second, in units of 10^9.
fn gbit_per_s(bytes: u64, took: std::time::Duration) -> f64 {
    bytes as f64 * 8.0 / took.as_secs_f64() / 1e9
}

/// The bench measures wall-clock time; the stack itself never reads a clock.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> std::time::Instant {
    std::time::Instant::now()
}

/// Time this thread has spent on a CPU (Linux `/proc/thread-self/schedstat`,
/// first field, in ns), if the OS says.
fn cpu_time() -> Option<std::time::Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = s.split_whitespace().next()?.parse().ok()?;
    Some(std::time::Duration::from_nanos(ns))
}

fn bench_open_close(c: &mut Criterion) {
    let mut g = c.benchmark_group("open_close");
    g.throughput(Throughput::Elements(1));
    g.bench_function("connect_accept_close", |bn| {
        let mut p = Pair::new();
        bn.iter(|| {
            let (cfd, sfd) = p.connect();
            call(&mut p.a, p.now, Call::Close { fd: cfd });
            call(&mut p.b, p.now, Call::Close { fd: sfd });
            // Until TIME-WAIT is over and both stacks are empty.
            while p.a.connections().next().is_some() || p.b.connections().next().is_some() {
                if !p.exchange() {
                    p.tick();
                }
            }
        });
    });
    g.finish();
}

/// Live heap per idle established connection end.
fn memory_per_connection() {
    const N: usize = 1000;
    let mut p = Pair::new();
    // Warm up tables so that their growth is not charged to the first ones.
    let mut fds = vec![p.connect()];
    let before = LIVE.load(Ordering::Relaxed);
    for _ in 1..N {
        fds.push(p.connect());
    }
    p.exchange();
    // Both stacks grew: two connection ends (and two sockets) per pair.
    let per_end = (LIVE.load(Ordering::Relaxed) - before) as f64 / (2.0 * (N - 1) as f64);
    eprintln!(
        "memory: {N} idle established connections: {per_end:.0} B of live heap per connection \
         end (socket, fd, TCB, tables; buffers are empty when idle); \
         size_of::<Connection>() = {} B",
        std::mem::size_of::<netdrill_stack::tcp::Connection>()
    );
    black_box(fds);
}

criterion_group!(benches, bench_bulk, bench_open_close);

fn main() {
    memory_per_connection();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
