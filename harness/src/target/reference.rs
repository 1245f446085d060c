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
//! [`commands`].

mod commands;
mod convert;

use super::{
    Command, CommandOutcome, Event, NetConfig, Started, Syscall, SyscallId, Target, TargetError,
};
use netdrill_stack::profile::{Profile, ProfileKind};
use netdrill_stack::socket::CallOutcome;
use netdrill_stack::time::Instant;
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
        // Malformed or unwanted packets are the stack's to drop; the outcome
        // is not a target error.
        let _ = self.stack.handle_packet(self.now, packet);
        Ok(())
    }

    fn syscall(&mut self, call: Syscall) -> Result<Started, TargetError> {
        Ok(match self.stack.call(self.now, convert::call(call)) {
            CallOutcome::Done(r) => Started::Done(convert::result(r)),
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
}

#[cfg(test)]
mod tests;
