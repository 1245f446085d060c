//! The event loop: walks a script's timeline against a [`Target`].
//!
//! For each event, in file order:
//! - an inbound packet, a syscall, a command or a code block happens at the
//!   start of its window: the target's time is advanced to it (collecting
//!   whatever the target does meanwhile), then it is carried out;
//! - an outbound packet is the next packet the stack sent (already queued, or
//!   awaited until the window closes), compared field by field.
//!
//! Packets the stack sends are consumed in order, so a packet the script
//! does not list shows up as a mismatch (or as early) at the next outbound
//! line; as in packetdrill, only packets of the connection under test count
//! (others are passed over with a note), and packets after the last
//! outbound line are not compared, only noted.
//! One blocking syscall may be outstanding, as in packetdrill's single
//! syscall thread; the next syscall line waits for it.
//!
//! Syscall lines are in `calls.rs`, commands and code blocks in `commands.rs`.

use super::args::Eval;
use super::check::{check, show_result};
use super::code::{Block, Vars};
use super::config::RunConfig;
use super::inbound::Inbound;
use super::mapping::{Mapping, Proto};
use super::outbound::{self, Outbound};
use super::segments;
use super::syscall::{CallEnv, Effect, Prepared, SockInfo, Sockets, prepare};
use super::timing::{Punctuality, When, window, window_from};
use super::verdict::*;
use crate::script::ast::{self, EventKind, EventTime, Script};
use crate::script::printer;
use crate::target::{
    Command, CommandOutcome, Event, Started, Syscall, SyscallId, SyscallResult, Target, TargetError,
};
use netdrill_stack::linux::{self, TcpInfo};
use netdrill_stack::time::{Duration, Instant};
use std::collections::VecDeque;
use std::path::Path;

mod calls;
mod commands;

/// Why the loop stopped before the end (boxed: verdicts are large).
type Stop = Box<Verdict>;

/// What an outbound line does with a queued packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// It is compared with the line.
    Take,
    /// It belongs to a connection the script is not testing now: dropped,
    /// as packetdrill drops packets not of its socket under test.
    PassOver,
}

fn stop(v: impl Into<Verdict>) -> Stop {
    Box::new(v.into())
}

/// A syscall line being executed.
struct Call {
    line: u32,
    /// The line as written (for reports).
    text: String,
    prepared: Prepared,
    /// When it must return (at once, within the tolerance, unless `...t`).
    end: TimeWindow,
}

/// A blocking syscall that has not returned yet.
struct Pending {
    id: SyscallId,
    call: Call,
}

struct Engine<'a> {
    target: &'a mut dyn Target,
    cfg: &'a RunConfig,
    dir: &'a Path,
    map: Mapping,
    sockets: Sockets,
    /// Packets the stack sent that no outbound line has consumed yet.
    queue: VecDeque<(Instant, Vec<u8>)>,
    pending: Option<Pending>,
    /// When the previous event actually happened (base of relative times).
    last: Instant,
    /// Target time of the script's time zero: when its first event begins,
    /// after the init commands (a real target's clock runs meanwhile).
    origin: Instant,
    notes: Vec<Note>,
    packets: Vec<TracedPacket>,
    executed: usize,
    /// Variables of the script's `%{ }%` blocks.
    vars: Vars,
}

/// Plays `script` (from `path`, whose folder commands run in) on `target`.
pub fn run(script: &Script, path: &Path, target: &mut dyn Target, cfg: &RunConfig) -> RunResult {
    let started = std::time::Instant::now();
    // Absolute, so that a target running commands elsewhere (another
    // process, another mount namespace) still finds `../common/...`.
    let dir = path.parent().unwrap_or(Path::new("."));
    let dir = &std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let total = script.init.len() + script.events.len() + script.cleanup.len();
    let mut e = Engine {
        target,
        cfg,
        dir,
        map: Mapping::new(cfg.bind_port, cfg.connect_port),
        sockets: Sockets::default(),
        queue: VecDeque::new(),
        pending: None,
        last: Instant::ZERO,
        origin: Instant::ZERO,
        notes: cfg
            .notes
            .iter()
            .map(|n| Note {
                line: None,
                text: n.clone(),
            })
            .collect(),
        packets: Vec::new(),
        executed: 0,
        vars: Vars::default(),
    };
    let verdict = match &cfg.unsupported {
        Some(what) => Verdict::Unsupported(Unsupported {
            feature: what.clone(),
            line: None,
        }),
        None => match e.play(script) {
            Ok(()) => Verdict::Pass,
            Err(v) => script_times(*v, e.origin),
        },
    };
    RunResult {
        script: path.to_path_buf(),
        target: e.target.name().to_string(),
        ip_version: cfg.net.ip_version,
        verdict,
        events_executed: e.executed,
        events_total: total,
        target_time: e.target.now() - Duration::from_micros(e.origin.as_micros()),
        wall: started.elapsed(),
        notes: e.notes,
        packets: e.packets,
    }
    .finish()
}

/// A verdict's times in script time (zero at the first event).
fn script_times(v: Verdict, origin: Instant) -> Verdict {
    let shift = Duration::from_micros(origin.as_micros());
    match v {
        Verdict::Fail(mut f) => {
            f.actual_time = f.actual_time.map(|t| t - shift);
            if let Some(w) = &mut f.expected_time {
                w.earliest = w.earliest - shift;
                w.latest = w.latest - shift;
            }
            Verdict::Fail(f)
        }
        other => other,
    }
}

fn target_error(e: TargetError, line: Option<u32>) -> Stop {
    Box::new(match e {
        TargetError::Unsupported(what) => Verdict::Unsupported(Unsupported {
            feature: what,
            line,
        }),
        other => Verdict::Error(RunError {
            kind: ErrorKind::Target,
            message: other.to_string(),
            line,
        }),
    })
}

fn fail(line: u32, kind: FailureKind, summary: impl Into<String>) -> Failure {
    Failure {
        line,
        kind,
        summary: summary.into(),
        expected: None,
        actual: None,
        fields: vec![],
        expected_time: None,
        actual_time: None,
    }
}

fn when(t: &EventTime) -> When {
    let us = |s: &ast::Seconds| u64::try_from(s.usecs).unwrap_or(0);
    match t {
        EventTime::Absolute(s) => When::Absolute(us(s)),
        EventTime::Relative(s) => When::Relative(us(s)),
        EventTime::Any(_) => When::Any,
        EventTime::Range { start, end } => {
            if start.relative {
                // `+a~+b`; `+a~b` takes b as relative too, as packetdrill does.
                When::RelativeRange(us(&start.at), us(&end.at))
            } else {
                When::AbsoluteRange(us(&start.at), us(&end.at))
            }
        }
    }
}

fn end_when(p: &ast::TimePoint) -> When {
    let us = u64::try_from(p.at.usecs).unwrap_or(0);
    if p.relative {
        When::Relative(us)
    } else {
        When::Absolute(us)
    }
}

impl Engine<'_> {
    fn play(&mut self, script: &Script) -> Result<(), Stop> {
        for c in &script.init {
            self.command(&c.command, None)?;
            self.executed += 1;
        }
        self.origin = self.target.now();
        self.last = self.origin;
        for ev in &script.events {
            self.event(ev)?;
            self.executed += 1;
        }
        self.finish_pending()?;
        self.note_leftovers(script.events.last().map(|e| e.span.line));
        for c in &script.cleanup {
            self.command(&c.command, None)?;
            self.executed += 1;
        }
        Ok(())
    }

    fn event(&mut self, ev: &ast::Event) -> Result<(), Stop> {
        let line = ev.span.line;
        let w = window_from(when(&ev.time), self.last, self.origin, &self.cfg.tolerance);
        match &ev.kind {
            EventKind::Packet(p) if p.direction == ast::Direction::Outbound => {
                self.outbound(p, line, w)
            }
            EventKind::Packet(p) => {
                self.advance_to(w.start())?;
                self.inbound(p, line, w)
            }
            EventKind::Syscall(s) => {
                let relative = !matches!(
                    ev.time,
                    EventTime::Absolute(_)
                        | EventTime::Range {
                            start: ast::TimePoint {
                                relative: false,
                                ..
                            },
                            ..
                        }
                );
                self.syscall(s, line, w, relative)
            }
            EventKind::Command(c) => {
                self.advance_to(w.start())?;
                self.check_start(line, w, "command")?;
                self.command(c, Some(line))
            }
            EventKind::Code(c) => {
                self.advance_to(w.start())?;
                self.check_start(line, w, "code block")?;
                self.code(c, line)
            }
        }
    }

    // ---- time --------------------------------------------------------------

    /// Lets the target run until `t`, handling what it does meanwhile.
    fn advance_to(&mut self, t: Instant) -> Result<(), Stop> {
        while self.target.now() < t {
            match self
                .target
                .next_event(t)
                .map_err(|e| target_error(e, None))?
            {
                Some(ev) => self.on_event(ev)?,
                None => break,
            }
        }
        Ok(())
    }

    /// Handles one thing the target did.
    fn on_event(&mut self, ev: Event) -> Result<(), Stop> {
        match ev {
            Event::Packet { at, bytes } => {
                if self.cfg.trace {
                    self.packets.push(TracedPacket {
                        at,
                        direction: Direction::Outbound,
                        bytes: bytes.clone(),
                    });
                }
                match outbound::parse(&bytes) {
                    Ok(Some(_)) => self.queue.push_back((at, bytes)),
                    Ok(None) => {}
                    Err(e) => {
                        let line = self.pending.as_ref().map_or(0, |p| p.call.line);
                        let mut f = fail(line, FailureKind::UnexpectedPacket, e);
                        f.actual_time = Some(at);
                        return Err(stop(Verdict::Fail(f)));
                    }
                }
                Ok(())
            }
            Event::SyscallDone { id, at, result } => self.on_done(id, at, result),
        }
    }

    /// The start of an event the harness causes must be inside its window
    /// (a real-time target may be late; the reference target never is).
    fn check_start(&self, line: u32, w: TimeWindow, what: &str) -> Result<(), Stop> {
        let now = self.target.now();
        match w.check(now) {
            Punctuality::OnTime => Ok(()),
            p => {
                let mut f = fail(
                    line,
                    FailureKind::Timing,
                    format!("{what} came {}", lateness(p)),
                );
                f.expected_time = Some(w);
                f.actual_time = Some(now);
                Err(stop(Verdict::Fail(f)))
            }
        }
    }

    // ---- packets -------------------------------------------------------------

    fn inbound(&mut self, p: &ast::Packet, line: u32, w: TimeWindow) -> Result<(), Stop> {
        let builder = Inbound {
            net: &self.cfg.net,
            defines: &self.cfg.defines,
            ts_ecr_scaled: self.cfg.ts_ecr_scaled,
        };
        let built = builder.build(p, &mut self.map).map_err(stop)?;
        self.check_start(line, w, "inbound packet")?;
        let pieces = match self.cfg.gso_mss {
            Some(mss) => segments::split(&built.bytes, usize::from(mss)),
            None => vec![built.bytes],
        };
        for bytes in pieces {
            self.target
                .inject(&bytes)
                .map_err(|e| target_error(e, Some(line)))?;
            if self.cfg.trace {
                let at = self.target.now();
                self.packets.push(TracedPacket {
                    at,
                    direction: Direction::Inbound,
                    bytes,
                });
            }
        }
        let now = self.target.now();
        self.last = now;
        Ok(())
    }

    /// The next packet of the connection an outbound line is about, waiting
    /// no later than `deadline`. As in packetdrill, which only reads packets
    /// of its socket under test, a packet of another connection the script
    /// knows (an older one finishing its close, another socket's ACK) is not
    /// the one the line describes: it is passed over, with a note. Packets
    /// of connections `(port N)` lines named are always compared.
    fn next_packet_of_socket_under_test(
        &mut self,
        deadline: Instant,
        line: u32,
        port: Option<u16>,
    ) -> Result<Option<(Instant, Vec<u8>)>, Stop> {
        while let Some((at, bytes)) = self.next_packet(deadline, line)? {
            if self.fate(&bytes, port) == Fate::Take {
                return Ok(Some((at, bytes)));
            }
            let shown = self.describe_outbound(&bytes);
            self.notes.push(Note {
                line: Some(line),
                text: format!("passed over a packet of another connection at {at}: {shown}"),
            });
        }
        Ok(None)
    }

    /// What an outbound line (naming remote `port`, or none) does with a
    /// packet the stack sent. A packet of a connection never seen is a new
    /// one, taken; so is one that is not TCP or UDP.
    fn fate(&self, bytes: &[u8], port: Option<u16>) -> Fate {
        let Ok(Some(d)) = outbound::parse(bytes) else {
            return Fate::Take;
        };
        let (proto, local, remote) = match &d.upper {
            netdrill_stack::wire::UpperRepr::Tcp(t) => (Proto::Tcp, t.src_port, t.dst_port),
            netdrill_stack::wire::UpperRepr::Udp(u) => (Proto::Udp, u.src_port, u.dst_port),
            _ => return Fate::Take,
        };
        let Some(flow) = self.map.find_flow(proto, local, remote) else {
            return Fate::Take;
        };
        let f = self.map.flow(flow);
        let current =
            matches!(self.map.current(), super::mapping::Current::Flow(cur) if cur == flow);
        // The connection under test, the one the line names, and every
        // connection a `(port N)` line named are compared (a packet to
        // another port than the line's then differs in `port`).
        if current || f.named || port == Some(f.remote_port) {
            Fate::Take
        } else {
            Fate::PassOver
        }
    }

    /// The next packet the stack sends, waiting no later than `deadline`.
    fn next_packet(
        &mut self,
        deadline: Instant,
        line: u32,
    ) -> Result<Option<(Instant, Vec<u8>)>, Stop> {
        loop {
            if let Some(front) = self.queue.pop_front() {
                return Ok(Some(front));
            }
            if self.target.now() >= deadline {
                return Ok(None);
            }
            if let Some(ev) = self
                .target
                .next_event(deadline)
                .map_err(|e| target_error(e, Some(line)))?
            {
                self.on_event(ev)?;
            }
        }
    }

    fn outbound(&mut self, p: &ast::Packet, line: u32, w: TimeWindow) -> Result<(), Stop> {
        let deadline = if w.any {
            self.target.now() + self.cfg.any_time_limit
        } else {
            w.deadline()
        };
        let port = super::inbound::ip_attrs(p).map_err(stop)?.port;
        let Some((at, first)) = self.next_packet_of_socket_under_test(deadline, line, port)? else {
            let mut f = fail(
                line,
                FailureKind::MissingPacket,
                "expected outbound packet did not come",
            );
            f.expected = Some(printer::packet_text(p));
            f.expected_time = Some(w);
            f.actual_time = Some(self.target.now());
            return Err(stop(Verdict::Fail(f)));
        };
        let mut bytes = first;
        let mut times = vec![at];
        if !self.cfg.strict_segments {
            if let Some(mut room) = segments::missing_after(p, &bytes, &self.map) {
                let mut parts = vec![bytes.clone()];
                while room > 0 {
                    let Some((t, next)) = self.next_packet(deadline, line)? else {
                        break;
                    };
                    if !segments::continues(&parts, &next, room) {
                        self.queue.push_front((t, next));
                        break;
                    }
                    room -= outbound::tcp_payload_len(&next);
                    parts.push(next);
                    times.push(t);
                }
                let want_psh = matches!(&p.body, ast::PacketBody::Tcp(t) if t.flags.as_ref().is_some_and(|f| f.has('P')));
                if let Some(merged) = segments::merge(&parts, want_psh).filter(|_| parts.len() > 1)
                {
                    bytes = merged;
                }
            }
        }
        // Every segment of a merged packet must be on time; the first late
        // or early one is the packet's time.
        let at = times
            .iter()
            .copied()
            .find(|t| w.check(*t) != Punctuality::OnTime)
            .unwrap_or(at);
        let d = match outbound::parse(&bytes) {
            Ok(Some(d)) => d,
            // Filtered packets are never queued; a parse error stops earlier.
            Ok(None) | Err(_) => return Ok(()),
        };
        let cmp = Outbound {
            net: &self.cfg.net,
            defines: &self.cfg.defines,
            ts_tick_usecs: self.cfg.ts_tick_usecs,
            tolerance_usecs: self.cfg.tolerance.usecs,
        }
        .compare(p, &d, &mut self.map)
        .map_err(stop)?;
        let timing = w.check(at);
        if cmp.diffs.is_empty() && timing == Punctuality::OnTime {
            self.last = at;
            return Ok(());
        }
        let (kind, summary) = match (cmp.diffs.is_empty(), timing) {
            (false, Punctuality::Early(_)) => (
                FailureKind::UnexpectedPacket,
                "the stack sent a packet the script does not expect here".to_string(),
            ),
            (false, _) => {
                let names: Vec<&str> = cmp.diffs.iter().map(|d| d.field.as_str()).collect();
                (
                    FailureKind::PacketMismatch,
                    format!("outbound packet differs in {}", names.join(", ")),
                )
            }
            (true, p) => (
                FailureKind::Timing,
                format!("outbound packet came {}", lateness(p)),
            ),
        };
        Err(stop(Verdict::Fail(Failure {
            line,
            kind,
            summary,
            expected: Some(printer::packet_text(p)),
            actual: Some(cmp.actual),
            fields: cmp.diffs,
            expected_time: Some(w),
            actual_time: Some(at),
        })))
    }

    /// An outbound packet in script numbering for a note, or its size when
    /// it does not parse.
    fn describe_outbound(&mut self, bytes: &[u8]) -> String {
        match outbound::parse(bytes) {
            Ok(Some(d)) => {
                let flow = outbound::flow_of(&d, &mut self.map, None);
                super::show::outbound(&d, &self.map, flow)
            }
            _ => format!("{} bytes", bytes.len()),
        }
    }

    /// After the last event: packets the stack sent that no outbound line
    /// consumed. packetdrill never reads them, so they do not change the
    /// verdict; each is noted (a stack that keeps talking is worth seeing).
    fn note_leftovers(&mut self, line: Option<u32>) {
        let queued: Vec<(Instant, Vec<u8>)> = self.queue.drain(..).collect();
        for (at, bytes) in queued {
            let shown = self.describe_outbound(&bytes);
            self.notes.push(Note {
                line,
                text: format!(
                    "the stack also sent, at {at}, a packet the script does not list: {shown}"
                ),
            });
        }
    }
}

fn lateness(p: Punctuality) -> String {
    match p {
        Punctuality::OnTime => "on time".into(),
        Punctuality::Early(d) => format!("{} µs too early", d.as_micros()),
        Punctuality::Late(d) => format!("{} µs too late", d.as_micros()),
    }
}
