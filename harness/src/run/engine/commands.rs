//! Backquoted commands and `%{ }%` code blocks.

use super::*;

impl Engine<'_> {
    pub(super) fn command(&mut self, c: &ast::Command, line: Option<u32>) -> Result<(), Stop> {
        let cmd = Command {
            text: c.text.clone(),
            dir: self.dir.to_path_buf(),
        };
        let line = line.or(Some(c.span.line));
        match self
            .target
            .command(&cmd)
            .map_err(|e| target_error(e, line))?
        {
            CommandOutcome::Ran { status: 0, .. } => {}
            CommandOutcome::Ran { status, output } => {
                let mut f = fail(
                    line.unwrap_or(0),
                    FailureKind::Command,
                    format!("command exited with status {status}"),
                );
                f.expected = Some(format!("`{}` exits with status 0", c.text.trim()));
                f.actual = Some(output.trim().to_string());
                f.actual_time = Some(self.target.now());
                return Err(stop(Verdict::Fail(f)));
            }
            CommandOutcome::Applied { notes } => {
                self.notes
                    .extend(notes.into_iter().map(|text| Note { line, text }));
            }
            CommandOutcome::Unsupported { reason } => {
                return Err(stop(Verdict::Unsupported(Unsupported {
                    feature: reason,
                    line,
                })));
            }
        }
        self.last = self.target.now();
        Ok(())
    }

    /// `getsockopt(fd, SOL_TCP, TCP_INFO)` for a code block.
    pub(super) fn tcp_info(&mut self, fd: i32, line: u32) -> Result<TcpInfo, Stop> {
        let call = Syscall::GetSockOpt {
            fd,
            level: linux::SOL_TCP as i32,
            name: linux::TCP_INFO as i32,
            len: linux::TCP_INFO_LEN as u32,
        };
        let result = match self
            .target
            .syscall(call)
            .map_err(|e| target_error(e, Some(line)))?
        {
            Started::Done(r) => r,
            Started::Blocked(_) => {
                return Err(stop(Verdict::Error(RunError {
                    kind: ErrorKind::Target,
                    message: "getsockopt(TCP_INFO) blocked".into(),
                    line: Some(line),
                })));
            }
        };
        match (&result.ret, &result.out) {
            (0, crate::target::SyscallOutput::OptVal(b)) => Ok(TcpInfo::from_bytes(b)),
            _ => {
                let mut f = fail(
                    line,
                    FailureKind::Assertion,
                    "getsockopt(TCP_INFO) for the %{ }% block failed",
                );
                f.actual = Some(show_result(&result));
                Err(stop(Verdict::Fail(f)))
            }
        }
    }

    pub(super) fn code(&mut self, c: &ast::Code, line: u32) -> Result<(), Stop> {
        let block = Block::parse(&c.text).map_err(|e| {
            Verdict::Unsupported(Unsupported {
                feature: e.0,
                line: Some(line),
            })
        })?;
        self.last = self.target.now();
        if block.is_empty() {
            return Ok(());
        }
        // Blocks see the tcp_info of the socket under test; without one (a
        // block that only sets a variable) they see no tcp_info fields.
        let info = match self.map.socket_under_test() {
            Some(fd) => self.tcp_info(fd, line)?,
            None => TcpInfo::from_bytes(&[]),
        };
        match block.run(&info, &mut self.vars) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(a)) => {
                let mut f = fail(line, FailureKind::Assertion, "assertion failed");
                f.expected = Some(format!("assert {}", a.condition));
                f.actual = Some(a.to_string());
                f.fields = a
                    .values
                    .iter()
                    .map(|(n, v)| FieldDiff {
                        field: n.clone(),
                        expected: String::new(),
                        actual: v.clone(),
                    })
                    .collect();
                f.actual_time = Some(self.target.now());
                Err(stop(Verdict::Fail(f)))
            }
            Err(u) => Err(stop(Verdict::Unsupported(Unsupported {
                feature: u.0,
                line: Some(line),
            }))),
        }
    }
}
