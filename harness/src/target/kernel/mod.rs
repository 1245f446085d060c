//! The Linux kernel as a target: each run gets a fresh anonymous network
//! namespace with a TAP device `tun0`; packets are framed in Ethernet and
//! written to and read from that device, syscalls run on worker threads
//! inside the namespace, script commands run in a shell inside it. Time is
//! real, measured from the end of set-up.
//!
//! Nothing outside the namespace is touched, and nothing in it outlives the
//! process: the namespace is never named or mounted (see [`netns`]).
//!
//! All `unsafe` code of this target is in [`sys`].
#![deny(unsafe_code)]

mod abi;
mod command;
mod exec;
mod fds;
mod filter;
mod link;
mod netlink;
mod netns;
mod realtime;
#[allow(unsafe_code)]
mod sys;
mod tap;
mod worker;

pub use realtime::OPT_OUT as REALTIME_OPT_OUT;
pub use tap::DEVICE;

use super::{
    Command, CommandOutcome, Event, IpVersion, NetConfig, Started, Syscall, SyscallId,
    SyscallResult, Target, TargetError,
};
use fds::Fds;
use netdrill_stack::time::Instant;
use netns::Namespace;
use std::collections::VecDeque;
use std::fs::File;
use std::io;
use std::io::Read;
use std::net::IpAddr;
use std::os::fd::AsFd;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, OnceLock};
use std::time::Duration as StdDuration;
use worker::Worker;

/// How a starting syscall is awaited. A real-time driver first spins for
/// its completion, briefly: a getsockopt round trip took 0.5 us that way
/// against 15-20 us through a sleep and a wake-up (in a VM, wake-ups across
/// CPUs are inter-processor interrupts). Only real-time drivers spin: a
/// normal-class worker would not run any sooner for it.
const HANDOFF_SPIN: StdDuration = StdDuration::from_micros(30);
/// Then the call is checked for having blocked at once, and again after the
/// first step, the step doubling up to the longest. Between checks the
/// driver sleeps (a completion wakes it): each check is a `/proc` read, and
/// checking every few microseconds made slow calls slower. A call that
/// blocks is asleep within microseconds of starting.
const BLOCK_CHECK_FIRST: StdDuration = StdDuration::from_micros(40);
const BLOCK_CHECK_LONGEST: StdDuration = StdDuration::from_millis(1);
/// Workers started with the run: a blocked call and the next one.
const INITIAL_WORKERS: usize = 2;
/// A call still running (not sleeping) after this long is reported blocked.
const BLOCK_CHECK_LIMIT: StdDuration = StdDuration::from_secs(1);
/// How long set-up waits for the local address to become usable.
const ADDRESS_READY_LIMIT: StdDuration = StdDuration::from_secs(2);
/// How long tearing down waits for blocked workers to return.
const TEARDOWN_LIMIT: StdDuration = StdDuration::from_secs(2);

/// Real time since the run started, as the stack's [`Instant`].
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: std::time::Instant,
}

impl Clock {
    fn start() -> Clock {
        Clock {
            origin: std::time::Instant::now(),
        }
    }

    pub fn now(&self) -> Instant {
        let us = self.origin.elapsed().as_micros();
        Instant::from_micros(u64::try_from(us).unwrap_or(u64::MAX))
    }
}

/// A syscall a worker finished.
#[derive(Debug)]
pub struct Done {
    worker: usize,
    id: SyscallId,
    call: Syscall,
    at: Instant,
    outcome: Result<SyscallResult, exec::Refusal>,
}

/// Whether kernel runs can be made here; the error names what is missing
/// (root / CAP_SYS_ADMIN / CAP_NET_ADMIN, `/dev/net/tun`). Probed once.
pub fn check_available() -> Result<(), String> {
    static PROBE: OnceLock<Result<(), String>> = OnceLock::new();
    PROBE
        .get_or_init(|| {
            let ns = Namespace::new().map_err(|e| unavailable(&e).to_string())?;
            ns.run(tap::create)
                .map(drop)
                .map_err(|e| unavailable(&e).to_string())
        })
        .clone()
}

/// Names the missing privilege or device behind a set-up failure; anything
/// else is an I/O error. Errors are matched by kind, as the set-up steps wrap
/// the OS error with what they were doing.
fn unavailable(e: &io::Error) -> TargetError {
    let capabilities = effective_capabilities();
    let has = |bit: u32| capabilities.is_some_and(|c| c & (1 << bit) != 0);
    const CAP_NET_ADMIN: u32 = 12;
    const CAP_SYS_ADMIN: u32 = 21;
    let why = match e.kind() {
        io::ErrorKind::PermissionDenied if !has(CAP_SYS_ADMIN) => {
            "the kernel target needs CAP_SYS_ADMIN to create a network namespace (run as root)"
        }
        io::ErrorKind::PermissionDenied if !has(CAP_NET_ADMIN) => {
            "the kernel target needs CAP_NET_ADMIN to create a TAP device (run as root)"
        }
        io::ErrorKind::PermissionDenied => "the kernel target was refused a privilege it needs",
        io::ErrorKind::NotFound if e.to_string().contains("/dev/net/tun") => {
            "the kernel target needs /dev/net/tun (load the `tun` module, or create the device node)"
        }
        _ if e.raw_os_error() == Some(libc::ENODEV) => {
            "the kernel target needs TUN support in the kernel (CONFIG_TUN)"
        }
        _ => return TargetError::Io(format!("setting up the kernel target: {e}")),
    };
    TargetError::Unavailable(format!("{why}: {e}"))
}

/// The `CapEff` mask of this process, if /proc says.
fn effective_capabilities() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
    u64::from_str_radix(hex.trim(), 16).ok()
}

/// The addresses as they appear on the wire and on `tun0`: IPv4 for the
/// ipv4-mapped-ipv6 mode (its `::ffff:a.b.c.d` addresses are unmapped).
fn wire_addresses(config: &NetConfig) -> Result<(IpAddr, IpAddr, IpAddr), TargetError> {
    let wire = |a: IpAddr| match (config.ip_version, a) {
        (IpVersion::Ipv4MappedIpv6, IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
        _ => a,
    };
    let (local, remote, gateway) = (
        wire(config.local_ip),
        wire(config.remote_ip),
        wire(config.gateway_ip),
    );
    let want_v6 = config.ip_version == IpVersion::Ipv6;
    for (name, a) in [("local", local), ("remote", remote), ("gateway", gateway)] {
        if a.is_ipv6() != want_v6 {
            return Err(TargetError::Unsupported(format!(
                "{name} address {a} does not fit ip_version {:?}",
                config.ip_version
            )));
        }
    }
    let max_prefix = if want_v6 { 128 } else { 32 };
    if config.prefix_len > max_prefix {
        return Err(TargetError::Unsupported(format!(
            "prefix length {} is longer than {max_prefix}",
            config.prefix_len
        )));
    }
    Ok((local, remote, gateway))
}

/// Inside the namespace: DAD off, `tun0` created and configured, `lo` up,
/// the remote side and the gateway permanent neighbours.
fn set_up(ns: &Namespace, config: &NetConfig) -> io::Result<File> {
    let (local, remote, gateway) =
        wire_addresses(config).map_err(|e| io::Error::other(e.to_string()))?;
    // No duplicate address detection (RFC 4862 §5.4) on any address of the
    // namespace, link-local ones included: nothing waits, nothing is sent.
    // Devices copy `default`, so this comes before tun0 exists.
    for conf in ["all", "default"] {
        let path = format!("net/ipv6/conf/{conf}/accept_dad");
        match ns.write_sysctl(&path, "0") {
            Err(e) if e.kind() == io::ErrorKind::NotFound && !local.is_ipv6() => {}
            other => other?,
        }
    }
    let tap = tap::create()?;
    let index = sys::if_index(DEVICE)?;
    let mut rtnl = netlink::Rtnl::open()?;
    rtnl.link_up(sys::if_index("lo")?, None)?;
    rtnl.set_link_address(index, link::LOCAL.0)?;
    rtnl.link_up(index, Some(u32::from(config.mtu)))?;
    rtnl.add_address(index, local, config.prefix_len)?;
    // Every neighbour is the remote side: the next hop changes nothing on
    // the wire. The gateway is used where the kernel accepts it, and a
    // direct route where it does not (the gateway is the local address, as
    // in packetdrill's IPv4 defaults, or off every local prefix).
    if rtnl.add_route(index, remote, Some(gateway)).is_err() {
        rtnl.add_route(index, remote, None)?;
    }
    // No neighbour resolution before the first packet (and no ARP or NDP
    // traffic at all unless a script reroutes): see `link` for the rest.
    for next_hop in [remote, gateway] {
        if next_hop != local {
            rtnl.add_neighbour(index, next_hop, link::REMOTE.0)?;
        }
    }
    let start = std::time::Instant::now();
    while !rtnl.is_local(local)? {
        if start.elapsed() > ADDRESS_READY_LIMIT {
            return Err(io::Error::other(format!(
                "{local} on {DEVICE} was not usable after {ADDRESS_READY_LIMIT:?}"
            )));
        }
        std::thread::sleep(StdDuration::from_micros(50));
    }
    Ok(tap)
}

/// A run against the Linux kernel.
pub struct KernelTarget {
    ns: Arc<Namespace>,
    tap: File,
    link: link::Link,
    /// Room for one frame read from `tap`.
    read_buf: Vec<u8>,
    /// The frame being injected.
    write_buf: Vec<u8>,
    clock: Clock,
    done_tx: Sender<Done>,
    done: Receiver<Done>,
    /// An eventfd the workers write after each completion.
    wake: Arc<File>,
    workers: Vec<Worker>,
    /// Events seen but not yet handed out, in time order.
    pending: VecDeque<Event>,
    failure: Option<TargetError>,
    /// The fds this run created and has not closed: the only ones its
    /// syscalls may touch, and the ones closed when the run ends.
    fds: Fds,
    next_id: u64,
    ran_commands: bool,
    /// The parent of the run's commands (its `PACKETDRILL_PID`).
    commands: command::Commands,
    /// The calling thread's scheduling class, while the run has it raised.
    raised: Option<realtime::Raised>,
}

impl KernelTarget {
    /// Sets up a fresh namespace and device for `config`.
    ///
    /// The calling thread drives the run (its waits decide how punctual the
    /// run is): it is put in the real-time class while the target lives, if
    /// the process may and the thread is in the normal class, and given its
    /// class back on drop; see [`REALTIME_OPT_OUT`].
    pub fn new(config: &NetConfig) -> Result<KernelTarget, TargetError> {
        let (local, _, _) = wire_addresses(config)?;
        let ns = Namespace::new().map_err(|e| unavailable(&e))?;
        let tap = ns
            .run(|| set_up(&ns, config))
            .map_err(|e| unavailable(&e))?;
        let clock = Clock::start();
        let (done_tx, done) = mpsc::channel();
        let io = |e: io::Error| TargetError::Io(format!("starting the kernel target: {e}"));
        let wake = Arc::new(File::from(sys::eventfd().map_err(io)?));
        install_wakeup_handler()?;
        let workers = (0..INITIAL_WORKERS)
            .map(|i| {
                Worker::spawn(
                    i,
                    Arc::clone(&ns),
                    clock,
                    done_tx.clone(),
                    Arc::clone(&wake),
                )
            })
            .collect::<io::Result<Vec<_>>>()
            .map_err(io)?;
        let raised = realtime::raise_current_thread(realtime::Role::Driver);
        Ok(KernelTarget {
            ns,
            tap,
            link: link::Link::new(local),
            read_buf: vec![0; tap::READ_BUFFER],
            write_buf: Vec::with_capacity(tap::READ_BUFFER),
            clock,
            done_tx,
            done,
            wake,
            workers,
            pending: VecDeque::new(),
            failure: None,
            fds: Fds::default(),
            next_id: 0,
            ran_commands: false,
            commands: command::Commands::default(),
            raised,
        })
    }

    /// Whether the run's thread is in the real-time class (see [`new`](Self::new)).
    pub fn is_realtime(&self) -> bool {
        self.raised.is_some()
    }

    /// The inode of the run's namespace, as `/proc/PID/task/TID/ns/net`
    /// links show it (`net:[INODE]`): for diagnostics and hygiene checks.
    pub fn namespace_id(&self) -> u64 {
        self.ns.inode()
    }

    fn idle_worker(&mut self) -> Result<usize, TargetError> {
        if let Some(w) = self.workers.iter().position(|w| w.blocked_on.is_none()) {
            return Ok(w);
        }
        let index = self.workers.len();
        let w = Worker::spawn(
            index,
            Arc::clone(&self.ns),
            self.clock,
            self.done_tx.clone(),
            Arc::clone(&self.wake),
        )
        .map_err(|e| TargetError::Io(format!("starting a syscall worker: {e}")))?;
        self.workers.push(w);
        Ok(index)
    }

    /// Keeps the fd bookkeeping in step with a completed call.
    fn account(&mut self, call: &Syscall, result: &SyscallResult) {
        self.fds.account(call, result);
    }

    /// Files a completion that is not the answer being waited for.
    fn file_done(&mut self, done: Done) {
        if let Some(w) = self.workers.get_mut(done.worker) {
            w.blocked_on = None;
        }
        match done.outcome {
            Ok(result) => {
                self.account(&done.call, &result);
                let event = Event::SyscallDone {
                    id: done.id,
                    at: done.at,
                    result,
                };
                self.file(event);
            }
            Err(refusal) => self.failure = Some(TargetError::Unsupported(refusal)),
        }
    }

    /// Adds an event to `pending`, keeping it in time order.
    fn file(&mut self, event: Event) {
        let at = event_time(&event);
        let slot = self
            .pending
            .iter()
            .rposition(|e| event_time(e) <= at)
            .map_or(0, |i| i + 1);
        self.pending.insert(slot, event);
    }

    /// Files every completion that has arrived, except that of `awaited`,
    /// which is returned; also says whether any arrived. No system call.
    fn collect_done(&mut self, awaited: Option<SyscallId>) -> (Option<Done>, bool) {
        let mut got_done = false;
        let mut answer = None;
        while let Ok(done) = self.done.try_recv() {
            got_done = true;
            if Some(done.id) == awaited {
                answer = Some(done);
            } else {
                self.file_done(done);
            }
        }
        (answer, got_done)
    }

    /// Files every packet and completion that is ready, first waiting up to
    /// `timeout` if nothing is; the completion of `awaited` is returned
    /// instead of filed.
    fn pump(
        &mut self,
        timeout: StdDuration,
        awaited: Option<SyscallId>,
    ) -> Result<Option<Done>, TargetError> {
        let mut waited = false;
        loop {
            let clock = self.clock;
            let mut packets = Vec::new();
            tap::drain(
                &self.tap,
                &self.link,
                &mut self.read_buf,
                || clock.now(),
                |at, bytes| packets.push(Event::Packet { at, bytes }),
            )
            .map_err(|e| TargetError::Io(format!("reading {DEVICE}: {e}")))?;
            let got_packets = !packets.is_empty();
            for p in packets {
                self.file(p);
            }
            let (answer, got_done) = self.collect_done(awaited);
            if answer.is_some() || got_packets || got_done || waited {
                return Ok(answer);
            }
            let fds = [self.tap.as_fd(), self.wake.as_fd()];
            sys::wait_readable(&fds, timeout)
                .map_err(|e| TargetError::Io(format!("waiting for {DEVICE}: {e}")))?;
            // Reset the eventfd before draining, so no wake-up is lost.
            let _ = (&*self.wake).read(&mut [0u8; 8]);
            waited = true;
        }
    }

    /// Waits until call `id` on worker `w` returns or sleeps in the kernel.
    fn wait_started(&mut self, w: usize, id: SyscallId) -> Result<Started, TargetError> {
        let started = std::time::Instant::now();
        if self.raised.is_some() {
            // A real-time worker starts at once on either CPU; most calls
            // return within microseconds, sooner than a sleep and wake-up.
            while started.elapsed() < HANDOFF_SPIN {
                if let (Some(done), _) = self.collect_done(Some(id)) {
                    return self.returned(done);
                }
                std::hint::spin_loop();
            }
        }
        let mut step = StdDuration::ZERO;
        loop {
            if let Some(done) = self.pump(step, Some(id))? {
                return self.returned(done);
            }
            if self.workers[w].is_blocked_in(id) || started.elapsed() > BLOCK_CHECK_LIMIT {
                self.workers[w].blocked_on = Some(id);
                return Ok(Started::Blocked(id));
            }
            step = (step * 2).clamp(BLOCK_CHECK_FIRST, BLOCK_CHECK_LONGEST);
        }
    }

    /// The answer to a call that returned while the caller waited.
    fn returned(&mut self, done: Done) -> Result<Started, TargetError> {
        if let Some(worker) = self.workers.get_mut(done.worker) {
            worker.blocked_on = None;
        }
        let result = done.outcome.map_err(TargetError::Unsupported)?;
        self.account(&done.call, &result);
        Ok(Started::Done(result))
    }

    fn take_pending(&mut self, deadline: Instant) -> Option<Event> {
        match self.pending.front() {
            Some(e) if event_time(e) <= deadline => self.pending.pop_front(),
            _ => None,
        }
    }
}

fn event_time(e: &Event) -> Instant {
    match e {
        Event::Packet { at, .. } | Event::SyscallDone { at, .. } => *at,
    }
}

fn install_wakeup_handler() -> Result<(), TargetError> {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    INSTALLED
        .get_or_init(|| sys::install_wakeup_handler().map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| TargetError::Io(format!("installing the worker wake-up handler: {e}")))
}

impl Target for KernelTarget {
    fn name(&self) -> &'static str {
        "kernel"
    }

    fn now(&self) -> Instant {
        self.clock.now()
    }

    fn inject(&mut self, packet: &[u8]) -> Result<(), TargetError> {
        tap::inject(&self.tap, packet, &mut self.write_buf)
            .map_err(|e| TargetError::Io(format!("writing a packet to {DEVICE}: {e}")))
    }

    fn syscall(&mut self, call: Syscall) -> Result<Started, TargetError> {
        let Some(call) = self.fds.confine(call) else {
            return Ok(Started::Done(SyscallResult::err(libc::EBADF)));
        };
        if let Some(result) = self.fds.answer(&call) {
            return Ok(Started::Done(result));
        }
        let w = self.idle_worker()?;
        let id = SyscallId(self.next_id);
        self.next_id += 1;
        self.workers[w]
            .submit(id, call)
            .map_err(|e| TargetError::Io(e.to_string()))?;
        self.wait_started(w, id)
    }

    fn next_event(&mut self, deadline: Instant) -> Result<Option<Event>, TargetError> {
        loop {
            if let Some(e) = self.take_pending(deadline) {
                return Ok(Some(e));
            }
            if let Some(f) = self.failure.take() {
                return Err(f);
            }
            let now = self.clock.now();
            if now >= deadline {
                return Ok(None);
            }
            let wait = StdDuration::from_micros(deadline.saturating_since(now).as_micros());
            self.pump(wait, None)?;
        }
    }

    fn command(&mut self, command: &Command) -> Result<CommandOutcome, TargetError> {
        self.ran_commands = true;
        self.commands
            .run(&self.ns, command)
            .map_err(|e| TargetError::Io(format!("command `{}`: {e}", command.text)))
    }
}

impl Drop for KernelTarget {
    fn drop(&mut self) {
        for w in &mut self.workers {
            w.close_inbox();
        }
        if self.workers.iter().any(|w| w.blocked_on.is_some()) {
            // Wake calls blocked on sockets; poll/epoll_wait need the signal.
            for fd in self.fds.iter() {
                let _ = sys::shutdown(fd, libc::SHUT_RDWR);
            }
            let start = std::time::Instant::now();
            while self.workers.iter().any(|w| w.blocked_on.is_some())
                && start.elapsed() < TEARDOWN_LIMIT
            {
                for w in self.workers.iter().filter(|w| w.blocked_on.is_some()) {
                    w.interrupt();
                }
                if let Ok(done) = self.done.recv_timeout(StdDuration::from_millis(5)) {
                    self.file_done(done);
                }
            }
        }
        for w in &mut self.workers {
            let start = std::time::Instant::now();
            while !w.is_finished() && start.elapsed() < TEARDOWN_LIMIT {
                std::thread::sleep(StdDuration::from_micros(200));
            }
            w.join_if_finished();
        }
        // Fds created by calls that completed during teardown count too.
        while let Ok(done) = self.done.try_recv() {
            self.file_done(done);
        }
        for fd in self.fds.iter() {
            let _ = sys::close(fd);
        }
        if self.ran_commands {
            command::kill_leftovers(&self.ns);
        }
        if let Some(raised) = self.raised.take() {
            raised.restore();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(v: IpVersion, local: &str, remote: &str, gateway: &str) -> NetConfig {
        NetConfig {
            ip_version: v,
            local_ip: local.parse().unwrap(),
            remote_ip: remote.parse().unwrap(),
            gateway_ip: gateway.parse().unwrap(),
            prefix_len: 16,
            mtu: 1500,
        }
    }

    #[test]
    fn mapped_addresses_go_on_the_wire_as_ipv4() {
        let c = config(
            IpVersion::Ipv4MappedIpv6,
            "::ffff:192.168.0.1",
            "::ffff:192.0.2.1",
            "192.168.0.1",
        );
        let (l, r, g) = wire_addresses(&c).unwrap();
        assert_eq!(l, "192.168.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(r, "192.0.2.1".parse::<IpAddr>().unwrap());
        assert_eq!(g, "192.168.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn addresses_of_the_wrong_family_are_refused_by_name() {
        let c = config(IpVersion::Ipv6, "fd3d:a0b:17d6::1", "192.0.2.1", "fd3d::1");
        let err = wire_addresses(&c).unwrap_err();
        assert!(
            err.to_string().contains("remote address 192.0.2.1"),
            "{err}"
        );
        let mut c = config(IpVersion::Ipv4, "192.168.0.1", "192.0.2.1", "192.168.0.1");
        c.prefix_len = 33;
        assert!(
            wire_addresses(&c)
                .unwrap_err()
                .to_string()
                .contains("prefix length 33")
        );
    }

    #[test]
    fn capability_mask_is_read_from_proc() {
        assert!(effective_capabilities().is_some());
    }

    #[test]
    fn setup_failures_name_what_is_missing() {
        let no_tun = io::Error::new(
            io::ErrorKind::NotFound,
            "opening /dev/net/tun: No such file or directory",
        );
        let e = unavailable(&no_tun);
        assert!(
            matches!(&e, TargetError::Unavailable(m) if m.contains("needs /dev/net/tun")),
            "{e}"
        );
        let denied = io::Error::new(
            io::ErrorKind::PermissionDenied,
            "unshare(CLONE_NEWNET): EPERM",
        );
        assert!(matches!(unavailable(&denied), TargetError::Unavailable(_)));
        let other = io::Error::other("netlink said no");
        assert!(matches!(unavailable(&other), TargetError::Io(_)));
    }
}
