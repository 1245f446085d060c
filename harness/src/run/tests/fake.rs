//! A scripted target for testing the interpreter without a stack: it sends
//! the packets a test schedules, answers syscalls from a list, and records
//! what the interpreter did.

use crate::target::*;
use netdrill_stack::time::{Duration, Instant};
use netdrill_stack::wire::{
    Checksum, IpDatagram, IpProtocol, IpRepr, Ipv4Repr, TcpFlags, TcpOption, TcpOptions, TcpRepr,
    UpperRepr,
};
use std::collections::VecDeque;
use std::net::Ipv4Addr;

/// How the fake answers one syscall.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Returns at once.
    Now(SyscallResult),
    /// Blocks, then returns this much later.
    After(Duration, SyscallResult),
    /// Blocks until the next injected packet, then returns.
    OnInject(SyscallResult),
}

#[derive(Default)]
pub struct Fake {
    pub now: Instant,
    agenda: Vec<(Instant, Event)>,
    /// For the k-th injected packet, packets to send after a delay.
    pub on_inject: VecDeque<Vec<(Duration, Vec<u8>)>>,
    pub replies: VecDeque<Reply>,
    pub commands: VecDeque<CommandOutcome>,
    pub injected: Vec<(Instant, Vec<u8>)>,
    pub calls: Vec<Syscall>,
    next_id: u64,
    waiting_inject: Option<(SyscallId, SyscallResult)>,
    /// What [`Target::realtime_zero`] answers.
    pub realtime_zero: Option<std::time::Duration>,
}

impl Fake {
    pub fn new() -> Fake {
        Fake::default()
    }

    /// Sends `bytes` at `at`.
    pub fn send_at(&mut self, at: Instant, bytes: Vec<u8>) {
        self.schedule(at, Event::Packet { at, bytes });
    }

    fn schedule(&mut self, at: Instant, ev: Event) {
        self.agenda.push((at, ev));
        self.agenda.sort_by_key(|(t, _)| *t);
    }
}

impl Target for Fake {
    fn name(&self) -> &'static str {
        "fake"
    }
    fn now(&self) -> Instant {
        self.now
    }
    fn inject(&mut self, packet: &[u8]) -> Result<(), TargetError> {
        self.injected.push((self.now, packet.to_vec()));
        if let Some(reactions) = self.on_inject.pop_front() {
            for (d, bytes) in reactions {
                let at = self.now + d;
                self.send_at(at, bytes);
            }
        }
        if let Some((id, result)) = self.waiting_inject.take() {
            let at = self.now;
            self.schedule(at, Event::SyscallDone { id, at, result });
        }
        Ok(())
    }
    fn syscall(&mut self, call: Syscall) -> Result<Started, TargetError> {
        self.calls.push(call.clone());
        let reply = self
            .replies
            .pop_front()
            .ok_or_else(|| TargetError::Io(format!("fake: no reply for {call:?}")))?;
        self.next_id += 1;
        let id = SyscallId(self.next_id);
        Ok(match reply {
            Reply::Now(r) => Started::Done(r),
            Reply::After(d, result) => {
                let at = self.now + d;
                self.schedule(at, Event::SyscallDone { id, at, result });
                Started::Blocked(id)
            }
            Reply::OnInject(result) => {
                self.waiting_inject = Some((id, result));
                Started::Blocked(id)
            }
        })
    }
    fn next_event(&mut self, deadline: Instant) -> Result<Option<Event>, TargetError> {
        if let Some((at, _)) = self.agenda.first() {
            if *at <= deadline {
                let (at, ev) = self.agenda.remove(0);
                self.now = self.now.max(at);
                return Ok(Some(ev));
            }
        }
        self.now = self.now.max(deadline);
        Ok(None)
    }
    fn realtime_zero(&self) -> Option<std::time::Duration> {
        self.realtime_zero
    }
    fn command(&mut self, _command: &Command) -> Result<CommandOutcome, TargetError> {
        Ok(self
            .commands
            .pop_front()
            .unwrap_or(CommandOutcome::Applied { notes: vec![] }))
    }
}

pub const LOCAL: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 1);
pub const REMOTE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

/// A TCP segment from the stack (192.168.0.1:`sport`) to the harness.
pub struct Seg<'a> {
    pub sport: u16,
    pub dport: u16,
    pub flags: &'a str,
    pub seq: u32,
    pub ack: u32,
    pub win: u16,
    pub len: usize,
    pub options: Vec<TcpOption<'a>>,
    pub ecn: u8,
}

impl Seg<'_> {
    pub fn new(flags: &str, seq: u32, ack: u32) -> Seg<'_> {
        Seg {
            sport: 8080,
            dport: crate::run::mapping::FIRST_REMOTE_PORT,
            flags,
            seq,
            ack,
            win: 65535,
            len: 0,
            options: vec![],
            ecn: 0,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        let payload = vec![0u8; self.len];
        let flags: TcpFlags = self.flags.parse().unwrap_or(TcpFlags::NONE);
        let tcp = TcpRepr {
            src_port: self.sport,
            dst_port: self.dport,
            seq: self.seq,
            ack: self.ack,
            flags,
            window: self.win,
            checksum: Checksum::Valid,
            urgent: 0,
            options: TcpOptions::from_options(&self.options).expect("options fit"),
            payload: &payload,
        };
        let ip = IpRepr::V4(Ipv4Repr {
            ecn: self.ecn,
            ..Ipv4Repr::new(LOCAL, REMOTE, IpProtocol::TCP)
        });
        IpDatagram {
            ip,
            upper: UpperRepr::Tcp(tcp),
        }
        .to_bytes()
        .expect("emit")
    }
}

/// The TCP header of an injected packet.
pub fn tcp_of(bytes: &[u8]) -> (Ipv4Addr, Ipv4Addr, TcpRepr<'_>) {
    let d =
        IpDatagram::parse(bytes, netdrill_stack::wire::ChecksumMode::Verify).expect("valid packet");
    let (src, dst) = match d.ip {
        IpRepr::V4(r) => (r.src, r.dst),
        IpRepr::V6(_) => panic!("IPv6 packet"),
    };
    match d.upper {
        UpperRepr::Tcp(t) => {
            assert!(t.checksum.is_acceptable(), "checksum");
            (src, dst, t)
        }
        other => panic!("not TCP: {other:?}"),
    }
}
