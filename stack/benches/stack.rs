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

/// Sends `total` bytes from a to b over an established connection. The
/// writer and the reader own their buffers (as a real application does):
/// each write hands the stack a slice of the writer's buffer and the stack
/// copies only what it takes; each read fills the reader's buffer.
fn bulk(p: &mut Pair, c: i32, s: i32, total: usize, wbuf: &[u8], rbuf: &mut [u8]) {
    let (mut sent, mut got) = (0, 0);
    while got < total {
        while sent < total {
            let n = wbuf.len().min(total - sent);
            match p.a.send_from(p.now, c, &wbuf[..n], 0) {
                Ok(k) if k > 0 => sent += k,
                _ => break,
            }
        }
        let moved = p.exchange();
        while let Ok(n) = p.b.recv_into(p.now, s, rbuf, 0) {
            if n == 0 {
                break;
            }
            got += n;
        }
        if !moved {
            p.tick();
        }
    }
}

fn bench_bulk(c: &mut Criterion) {
    const TOTAL: usize = 16 << 20;
    let mut g = c.benchmark_group("bulk");
    g.throughput(Throughput::Bytes(TOTAL as u64));
    g.sample_size(10);
    g.bench_function("16MiB_one_connection", |bn| {
        let mut p = Pair::new();
        let (cfd, sfd) = p.connect();
        let mss =
            p.a.connection(cfd)
                .map(|c| c.negotiated().eff_snd_mss(p.a.profile()));
        assert_eq!(mss, Some(1448), "MTU 1500, timestamps on");
        let wbuf = vec![0x5au8; 64 * 1024];
        let mut rbuf = vec![0u8; 64 * 1024];
        bn.iter(|| bulk(&mut p, cfd, sfd, black_box(TOTAL), &wbuf, &mut rbuf));
    });
    g.finish();
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
