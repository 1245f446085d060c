//! The reference target: the project's own stack ([`netdrill_stack::Stack`])
//! in virtual time, in-process, no privileges.
//!
//! Waiting jumps the clock: [`Target::next_event`] moves time straight to the
//! earlier of the deadline and the stack's next wake-up (`poll_at`), so a
//! script that spans seconds runs in microseconds, and the same script gives
//! the same packets at the same times on every run (the stack's randomness
//! comes from a fixed seed).
//!
//! Script commands that set Linux tunables change the stack's profile; see
//! `reference/commands.rs`.

mod commands;
mod convert;

use super::{
    Command, CommandOutcome, Event, NetConfig, Started, Syscall, SyscallId, Target, TargetError,
};
use netdrill_stack::linux;
use netdrill_stack::profile::{Profile, ProfileKind};
use netdrill_stack::socket::CallOutcome;
use netdrill_stack::time::Instant;
use netdrill_stack::wire::{ChecksumMode, IpDatagram, TcpOption, UpperRepr};
use netdrill_stack::{Config, Stack};
use std::collections::VecDeque;
use std::net::IpAddr;

/// The seed every reference run uses unless told otherwise: runs are
/// reproducible bit for bit.
pub const DEFAULT_SEED: u64 = 0x6e65_7464_7269_6c6c; // "netdrill"

/// Which behaviour the stack follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProfileChoice {
    /// What Linux does by default.
    Linux,
    /// What the RFCs say.
    Rfc,
}

impl ProfileChoice {
    pub fn profile(self) -> Profile {
        match self {
            ProfileChoice::Linux => Profile::linux(),
            ProfileChoice::Rfc => Profile::rfc(),
        }
    }
}

/// The reference stack behind the [`Target`] seam.
pub struct ReferenceTarget {
    stack: Stack,
    now: Instant,
    /// Things that happened at or before `now`, not yet reported.
    ready: VecDeque<Event>,
    /// The profile before the first `set_sysctls.py`, for its restore script.
    saved_profile: Option<Profile>,
}

/// How many wake-ups in a row may produce nothing before the target stops
/// trusting `poll_at` (a stack bug must not hang the interpreter).
const MAX_IDLE_WAKEUPS: u32 = 1000;

impl ReferenceTarget {
    /// A stack at the run's local address, with the MTU of the run.
    pub fn new(net: &NetConfig, profile: ProfileChoice) -> ReferenceTarget {
        Self::with_seed(net, profile, DEFAULT_SEED)
    }

    pub fn with_seed(net: &NetConfig, profile: ProfileChoice, seed: u64) -> ReferenceTarget {
        let mut cfg = Config::new(seed);
        cfg.addrs = vec![wire_addr(net.local_ip)];
        cfg.profile = profile.profile();
        cfg.profile.mtu = net.mtu;
        ReferenceTarget {
            stack: Stack::new(cfg),
            now: Instant::ZERO,
            ready: VecDeque::new(),
            saved_profile: None,
        }
    }

    /// The stack, for tests that look inside.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    pub fn profile_kind(&self) -> ProfileKind {
        self.stack.profile().kind
    }

    /// Moves everything the stack has for `now` into `ready`.
    fn collect(&mut self) {
        while let Some(bytes) = self.stack.poll_transmit(self.now) {
            self.ready.push_back(Event::Packet {
                at: self.now,
                bytes,
            });
        }
        while let Some(c) = self.stack.poll_completion() {
            self.ready.push_back(Event::SyscallDone {
                id: SyscallId(c.id.0),
                at: c.at.max(Instant::ZERO),
                result: convert::result(c.result),
            });
        }
    }
}

const ENOPROTOOPT: i32 = netdrill_stack::linux::Errno::ENOPROTOOPT.0;

/// Message flags the stack does not implement: TCP Fast Open
/// (`MSG_FASTOPEN`), zero-copy sends (`MSG_ZEROCOPY`), the error queue
/// (`MSG_ERRQUEUE`), record boundaries (`MSG_EOR`), and corking by message
/// (`MSG_MORE`) except on a TCP connection, where the stack holds the data
/// as TCP_CORK does. A call using them tests a feature this target lacks.
fn unmodelled_flags(call: &Syscall, tcp_connection: impl Fn(i32) -> bool) -> Option<&'static str> {
    let (fd, flags) = match call {
        Syscall::Send { fd, flags, .. }
        | Syscall::SendTo { fd, flags, .. }
        | Syscall::SendMsg { fd, flags, .. }
        | Syscall::RecvMsg { fd, flags, .. }
        | Syscall::Recv { fd, flags, .. }
        | Syscall::RecvFrom { fd, flags, .. } => (*fd, i64::from(*flags)),
        _ => return None,
    };
    let flags = if tcp_connection(fd) {
        flags & !linux::MSG_MORE
    } else {
        flags
    };
    [
        (linux::MSG_FASTOPEN, "MSG_FASTOPEN (TCP Fast Open)"),
        (linux::MSG_ZEROCOPY, "MSG_ZEROCOPY"),
        (linux::MSG_ERRQUEUE, "MSG_ERRQUEUE"),
        (linux::MSG_MORE, "MSG_MORE"),
        (linux::MSG_EOR, "MSG_EOR"),
    ]
    .into_iter()
    .find(|(bit, _)| flags & bit != 0)
    .map(|(_, name)| name)
}

/// Arguments the stack's calls cannot carry: a read into a NULL buffer
/// (Linux answers `EFAULT` once it has data to copy, blocks or says `EAGAIN`
/// before) and an `AF_UNSPEC` destination address.
fn unmodelled_buffer(call: &Syscall) -> Option<&'static str> {
    match call {
        Syscall::Read { buf_null: true, .. }
        | Syscall::Recv { buf_null: true, .. }
        | Syscall::RecvFrom { buf_null: true, .. } => Some("a NULL buffer to read into"),
        Syscall::SendTo {
            addr_unspec: true, ..
        } => Some("an AF_UNSPEC destination address"),
        _ => None,
    }
}

/// A segment that asks for a feature the stack does not implement: a SYN
/// with a TCP Fast Open option or with data (RFC 7413), which Linux with
/// `tcp_fastopen` set accepts and the reference stack would only drop.
fn unmodelled_segment(packet: &[u8]) -> Option<&'static str> {
    let d = IpDatagram::parse(packet, ChecksumMode::Skip).ok()?;
    let UpperRepr::Tcp(t) = d.upper else {
        return None;
    };
    if !t.flags.syn() {
        return None;
    }
    let fast_open = t
        .options
        .iter()
        .any(|o| matches!(o, TcpOption::FastOpen(_) | TcpOption::FastOpenExp(_)));
    (fast_open || !t.payload.is_empty())
        .then_some("TCP Fast Open (a SYN with a Fast Open option or data)")
}

/// The Linux name of a socket option, if Linux has one at that level: an
/// option the stack answers `ENOPROTOOPT` for but Linux knows is a missing
/// feature, not a wrong script.
fn linux_option_name(level: i32, name: i32) -> Option<&'static str> {
    let prefix = match i64::from(level) {
        linux::SOL_SOCKET => "SO_",
        linux::SOL_TCP => "TCP_",
        linux::SOL_IP => "IP_",
        linux::SOL_IPV6 => "IPV6_",
        _ => return None,
    };
    linux::symbol_name(prefix, i64::from(name)).filter(|n| {
        !n.starts_with("SO_EE_") && !n.starts_with("TCP_CA_") && !n.starts_with("TCP_CM_")
    })
}

/// IPv4-mapped addresses are plain IPv4 on the wire.
fn wire_addr(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
        v4 => v4,
    }
}

impl Target for ReferenceTarget {
    fn name(&self) -> &'static str {
        "reference"
    }

    fn now(&self) -> Instant {
        self.now
    }

    fn inject(&mut self, packet: &[u8]) -> Result<(), TargetError> {
        if let Some(what) = unmodelled_segment(packet) {
            return Err(TargetError::Unsupported(format!(
                "{what} (not modelled by the reference stack)"
            )));
        }
        // Malformed or unwanted packets are the stack's to drop; the outcome
        // is not a target error.
        let _ = self.stack.handle_packet(self.now, packet);
        Ok(())
    }

    fn syscall(&mut self, call: Syscall) -> Result<Started, TargetError> {
        let tcp_connection = |fd| self.stack.connection(fd).is_some();
        if let Some(what) =
            unmodelled_flags(&call, tcp_connection).or_else(|| unmodelled_buffer(&call))
        {
            return Err(TargetError::Unsupported(format!(
                "{what} (not modelled by the reference stack)"
            )));
        }
        let option = match &call {
            Syscall::SetSockOpt { level, name, .. } | Syscall::GetSockOpt { level, name, .. } => {
                Some((call.name(), *level, *name))
            }
            _ => None,
        };
        let call = convert::call(call).map_err(|name| {
            TargetError::Unsupported(format!(
                "{name} (files/pipes are not modelled by the reference stack)"
            ))
        })?;
        Ok(match self.stack.call(self.now, call) {
            CallOutcome::Done(r) => {
                let r = convert::result(r);
                if let Some((call, level, name)) = option {
                    if r.errno == Some(ENOPROTOOPT) {
                        if let Some(opt) = linux_option_name(level, name) {
                            return Err(TargetError::Unsupported(format!(
                                "{call} {opt} (not modelled by the reference stack)"
                            )));
                        }
                    }
                }
                Started::Done(r)
            }
            CallOutcome::Pending(id) => Started::Blocked(SyscallId(id.0)),
        })
    }

    fn next_event(&mut self, deadline: Instant) -> Result<Option<Event>, TargetError> {
        let mut idle = 0;
        loop {
            self.collect();
            if let Some(ev) = self.ready.pop_front() {
                return Ok(Some(ev));
            }
            match self.stack.poll_at() {
                Some(t) if t <= deadline && idle < MAX_IDLE_WAKEUPS => {
                    self.now = self.now.max(t);
                    self.stack.handle_timeout(self.now);
                    idle += 1;
                }
                _ => {
                    self.now = self.now.max(deadline);
                    return Ok(None);
                }
            }
        }
    }

    fn command(&mut self, command: &Command) -> Result<CommandOutcome, TargetError> {
        Ok(commands::run(self, command))
    }

    /// Virtual time has no wall-clock counterpart.
    fn realtime_zero(&self) -> Option<std::time::Duration> {
        None
    }
}

#[cfg(test)]
mod tests;
