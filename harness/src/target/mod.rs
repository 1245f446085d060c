//! The one seam between the interpreter and anything that can be tested.
//!
//! A target speaks *live* values only: the IP packets it really sends and
//! receives, real fd numbers, real socket addresses, and the raw bytes of
//! socket options and control messages in Linux's ABI. Script numbering
//! (relative sequence numbers, TS values, `...` placeholders) never crosses
//! this seam: the interpreter alone maps between the two.
//!
//! Packets are IP datagrams (an IPv4 or IPv6 header first). A target that
//! needs link-layer framing (a TAP device) adds and strips it itself.

pub mod kernel;
pub mod reference;
mod syscall;

pub use syscall::*;

use netdrill_stack::time::Instant;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

/// How the script's addresses are carried, as packetdrill's `--ip_version`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum IpVersion {
    /// AF_INET sockets, IPv4 packets.
    Ipv4,
    /// AF_INET6 sockets with `::ffff:a.b.c.d` addresses, IPv4 packets.
    Ipv4MappedIpv6,
    /// AF_INET6 sockets, IPv6 packets.
    Ipv6,
}

/// The network a run happens on: the stack under test is `local`, the script
/// (the harness) plays `remote`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetConfig {
    pub ip_version: IpVersion,
    pub local_ip: IpAddr,
    pub remote_ip: IpAddr,
    pub gateway_ip: IpAddr,
    /// Prefix length of the local network (from `--netmask_ip` for IPv4).
    pub prefix_len: u8,
    pub mtu: u16,
}

/// Something that happened on the target, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The target sent this IP packet at `at`.
    Packet { at: Instant, bytes: Vec<u8> },
    /// A syscall that had blocked returned at `at`.
    SyscallDone {
        id: SyscallId,
        at: Instant,
        result: SyscallResult,
    },
}

/// What starting a syscall gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Started {
    /// It returned at once (at the target's current time).
    Done(SyscallResult),
    /// It is blocked; its [`Event::SyscallDone`] comes later.
    Blocked(SyscallId),
}

/// A backquoted script command, with what it needs to run where the script lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// The shell text, exactly as written between the backquotes.
    pub text: String,
    /// The script's folder: commands run from there (`../common/defaults.sh`).
    pub dir: PathBuf,
}

/// What a target made of a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandOutcome {
    /// It ran; a non-zero status fails the script as in packetdrill.
    Ran { status: i32, output: String },
    /// The target understood it and applied it (or skipped it) without running a
    /// shell; `notes` says what it did with each part that it skipped.
    Applied { notes: Vec<String> },
    /// The target cannot honour it: the script is unsupported here.
    Unsupported { reason: String },
}

/// A failure of the target itself (not of the stack under test).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TargetError {
    /// The target cannot run here at all (missing privilege, missing device).
    Unavailable(String),
    /// Something broke while running (an I/O error talking to the kernel, …).
    Io(String),
    /// The request names a feature this target does not have.
    Unsupported(String),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::Unavailable(why) => write!(f, "target unavailable: {why}"),
            TargetError::Io(why) => write!(f, "target I/O error: {why}"),
            TargetError::Unsupported(what) => write!(f, "unsupported: {what}"),
        }
    }
}

impl std::error::Error for TargetError {}

/// Anything scripts can run against.
///
/// Time is the target's own: virtual for the reference stack (it jumps),
/// real for the kernel. [`Target::next_event`] is the only way time passes.
pub trait Target {
    /// Short name for reports: `reference`, `kernel`, …
    fn name(&self) -> &'static str;

    /// The target's current time, relative to the start of the run.
    fn now(&self) -> Instant;

    /// Delivers one IP packet to the stack under test, now.
    fn inject(&mut self, packet: &[u8]) -> Result<(), TargetError>;

    /// Starts a syscall now.
    fn syscall(&mut self, call: Syscall) -> Result<Started, TargetError>;

    /// Waits for the next thing the target does, no later than `deadline`.
    /// `Ok(None)` means nothing happened and the target's time is now
    /// `deadline` (or later, for a real-time target that overslept).
    fn next_event(&mut self, deadline: Instant) -> Result<Option<Event>, TargetError>;

    /// Runs or applies a backquoted script command.
    fn command(&mut self, command: &Command) -> Result<CommandOutcome, TargetError>;

    /// The wall-clock (`CLOCK_REALTIME`) time of this target's time zero,
    /// since the Unix epoch: what turns the timestamps a stack reports in
    /// control messages (`SCM_TIMESTAMPING`) into target time. The default
    /// suits a target whose clock runs in real time from its start (the
    /// kernel); a target with a virtual clock has none.
    fn realtime_zero(&self) -> Option<std::time::Duration> {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        wall.checked_sub(std::time::Duration::from_micros(self.now().as_micros()))
    }
}
