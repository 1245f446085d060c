//! Syscall lines: converted, started, awaited when they block, checked.

use super::*;
use crate::run::structs::CmsgClock;
use crate::target::SyscallOutput;

impl Engine<'_> {
    /// A syscall line. Its end time (`...T`) counts, as in packetdrill, from
    /// the same origin as its start: the previous event for a relative start
    /// (`+.1...0.2` starts 0.1 and returns 0.2 after the previous event), the
    /// run's start for an absolute one; `...+T` counts from the call's start.
    pub(super) fn syscall(
        &mut self,
        s: &ast::Syscall,
        line: u32,
        w: TimeWindow,
        relative: bool,
    ) -> Result<(), Stop> {
        let base = self.last;
        // One syscall at a time: a blocking one must have returned first.
        self.finish_pending()?;
        self.advance_to(w.start())?;
        self.check_start(line, w, "syscall")?;
        let prepared = {
            let env = CallEnv {
                eval: Eval {
                    defines: &self.cfg.defines,
                },
                net: &self.cfg.net,
                mapping: &self.map,
                sockets: &self.sockets,
            };
            prepare(&env, s).map_err(stop)?
        };
        let start = self.target.now();
        self.last = start;
        let end = match &s.end {
            Some(p) if p.relative => TimeWindow::for_end(end_when(p), start, &self.cfg.tolerance),
            Some(p) if relative => {
                let us = u64::try_from(p.at.usecs).unwrap_or(0);
                window(When::Relative(us), base, &self.cfg.tolerance)
            }
            Some(p) => window_from(end_when(p), start, self.origin, &self.cfg.tolerance),
            None => window(When::Relative(0), start, &self.cfg.tolerance),
        };
        let text = printer::event_text(&ast::Event {
            time: EventTime::Relative(ast::Seconds {
                usecs: 0,
                text: "0".into(),
                span: s.span,
            }),
            kind: EventKind::Syscall(s.clone()),
            span: s.span,
            trivia: ast::Trivia::default(),
        });
        let text = text.trim_start_matches("+0").trim().to_string();
        let call = Call {
            line,
            text,
            prepared,
            end,
        };
        match self
            .target
            .syscall(call.prepared.call.clone())
            .map_err(|e| target_error(e, Some(line)))?
        {
            Started::Done(result) => {
                // A call that returned at once happened when it returned (on
                // a real-time target a call takes time; later relative
                // times must not inherit that delay as lateness).
                self.last = self.target.now().max(start);
                self.complete(&call, start, result)
            }
            Started::Blocked(id) => {
                self.pending = Some(Pending { id, call });
                if s.end.is_none() {
                    // Not marked blocking: it must return within the tolerance.
                    self.finish_pending()?;
                }
                Ok(())
            }
        }
    }

    /// Waits for the outstanding blocking call, if any, until its end window closes.
    pub(super) fn finish_pending(&mut self) -> Result<(), Stop> {
        while let Some(p) = &self.pending {
            let deadline = p.call.end.deadline();
            let (line, text, end) = (p.call.line, p.call.text.clone(), p.call.end);
            if self.target.now() >= deadline {
                let mut f = fail(
                    line,
                    FailureKind::Blocking,
                    "the call is still blocked when the script says it returns",
                );
                f.expected = Some(text);
                f.expected_time = Some(end);
                f.actual_time = Some(self.target.now());
                return Err(stop(Verdict::Fail(f)));
            }
            if let Some(ev) = self
                .target
                .next_event(deadline)
                .map_err(|e| target_error(e, Some(line)))?
            {
                self.on_event(ev)?;
            }
        }
        Ok(())
    }

    pub(super) fn on_done(
        &mut self,
        id: SyscallId,
        at: Instant,
        result: SyscallResult,
    ) -> Result<(), Stop> {
        match self.pending.take() {
            Some(p) if p.id == id => self.complete(&p.call, at, result),
            other => {
                self.pending = other;
                Err(stop(Verdict::Error(RunError {
                    kind: ErrorKind::Target,
                    message: format!("the target completed syscall {id:?}, which was not pending"),
                    line: None,
                })))
            }
        }
    }

    /// Checks a returned call (time, value, outputs) and records what it did.
    pub(super) fn complete(
        &mut self,
        p: &Call,
        at: Instant,
        result: SyscallResult,
    ) -> Result<(), Stop> {
        let clock = self.cmsg_clock();
        let diffs = check(&p.prepared.expect, &result, &self.map, clock.as_ref());
        let timing = p.end.check(at);
        if !diffs.is_empty() || timing != Punctuality::OnTime {
            let (kind, summary) = if diffs.is_empty() {
                (
                    FailureKind::Blocking,
                    format!("the call returned {}", lateness(timing)),
                )
            } else {
                let names: Vec<&str> = diffs.iter().map(|d| d.field.as_str()).collect();
                (
                    FailureKind::Syscall,
                    format!(
                        "{} returned a different {}",
                        p.prepared.call.name(),
                        names.join(", ")
                    ),
                )
            };
            return Err(stop(Verdict::Fail(Failure {
                line: p.line,
                kind,
                summary,
                expected: Some(p.text.clone()),
                actual: Some(format!(
                    "{} = {}",
                    p.prepared.call.name(),
                    show_result(&result)
                )),
                fields: diffs,
                expected_time: Some(p.end),
                actual_time: Some(at),
            })));
        }
        if result.ret >= 0 {
            self.apply(&p.prepared, &result);
        }
        Ok(())
    }

    /// Where script time zero is on the wall clock, for the timestamps of
    /// control messages (targets with a virtual clock have none).
    fn cmsg_clock(&self) -> Option<CmsgClock> {
        let zero = self.target.realtime_zero()?;
        Some(CmsgClock {
            script_zero_usecs: zero.as_micros() as i128 + i128::from(self.origin.as_micros()),
            tolerance_usecs: self.cfg.tolerance.usecs,
        })
    }

    pub(super) fn apply(&mut self, p: &Prepared, r: &SyscallResult) {
        let live = i32::try_from(r.ret).unwrap_or(-1);
        let script = i32::try_from(p.expect.ret).unwrap_or(-1);
        match p.effect {
            Effect::None => {}
            Effect::Socket(info) => {
                self.map.bind_fd(script, live);
                self.sockets.insert(live, info);
                self.map.socket_created(live, info.proto);
            }
            Effect::Bind { live_fd, port } => self.map.socket_bound(live_fd, port),
            Effect::Listen { live_fd } => {
                let proto = self.sockets.get(live_fd).map_or(Proto::Tcp, |s| s.proto);
                self.map.socket_listening(live_fd, proto);
            }
            Effect::Accept { listener } => {
                self.map.bind_fd(script, live);
                let info = self.sockets.get(listener).unwrap_or(SockInfo {
                    domain: crate::run::syscall::default_domain(self.cfg.net.ip_version),
                    proto: Proto::Tcp,
                });
                self.sockets.insert(live, info);
                let peer = match &r.out {
                    SyscallOutput::Addr {
                        addr: Some(peer), ..
                    } => Some(peer.port()),
                    _ => None,
                };
                self.map.accepted(listener, live, peer);
            }
            Effect::Close { script_fd } => {
                let live_fd = self.map.live_fd(script_fd);
                self.sockets.remove(live_fd);
                self.map.close_fd(script_fd);
            }
            Effect::EpollCreate | Effect::NewFd => self.map.bind_fd(script, live),
            Effect::Pipe { script_fds } => {
                if let SyscallOutput::Pipe(live_fds) = r.out {
                    for (script, live) in script_fds.into_iter().zip(live_fds) {
                        self.map.bind_fd(script, live);
                    }
                }
            }
        }
    }
}
