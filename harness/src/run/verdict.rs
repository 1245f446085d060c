//! What running one script gave: a [`Verdict`] and the facts behind it.
//!
//! The rule this module exists to keep: nothing that was not executed can
//! pass. [`RunResult::finish`] turns a run that stopped early, or skipped an
//! event, into a failure or an unsupported verdict; only a run whose every
//! event was executed and checked comes out as [`Verdict::Pass`].
//!
//! Everything here is plain data (and `serde::Serialize`) so that the
//! reports (terminal, JUnit, JSON) render it without knowing the interpreter.
//! Times are the target's, in microseconds since the start of the run;
//! packets are shown in *script* numbering (relative sequence numbers, the
//! script's TS values), so that expected and actual read side by side.

use crate::target::IpVersion;
use netdrill_stack::time::{Duration, Instant};
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

/// The outcome of one run of one script on one target and address family.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Every event was executed and every check held.
    Pass,
    /// The target did something the script did not expect.
    Fail(Failure),
    /// The script needs something this interpreter or target does not do.
    /// Counted as "skipped" in summaries.
    Unsupported(Unsupported),
    /// The script itself is wrong (syntax, types, an unknown symbol), or the
    /// target broke (not the stack under test: the harness around it).
    Error(RunError),
}

impl Verdict {
    /// The lower-case word reports print: `pass`, `fail`, `unsupported`, `error`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail(_) => "fail",
            Verdict::Unsupported(_) => "unsupported",
            Verdict::Error(_) => "error",
        }
    }

    pub fn is_pass(&self) -> bool {
        matches!(self, Verdict::Pass)
    }

    /// A failure or an error: what makes `netdrill run` exit non-zero.
    pub fn is_failure(&self) -> bool {
        matches!(self, Verdict::Fail(_) | Verdict::Error(_))
    }

    /// The script line the verdict is about, if there is one.
    pub fn line(&self) -> Option<u32> {
        match self {
            Verdict::Pass => None,
            Verdict::Fail(f) => Some(f.line),
            Verdict::Unsupported(u) => u.line,
            Verdict::Error(e) => e.line,
        }
    }
}

/// A check that did not hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// 1-based line of the script event that failed.
    pub line: u32,
    pub kind: FailureKind,
    /// One sentence saying what went wrong, e.g. `outbound packet differs in ack`.
    pub summary: String,
    /// What the script says, in script syntax and numbering (a packet line, a
    /// syscall with its result), when there is one.
    pub expected: Option<String>,
    /// What the target did, in the same form, when it did something.
    pub actual: Option<String>,
    /// The field-by-field differences between `expected` and `actual`.
    pub fields: Vec<FieldDiff>,
    /// When the script said it should happen.
    pub expected_time: Option<TimeWindow>,
    /// When it happened (or when the interpreter stopped waiting).
    #[serde(serialize_with = "ser_opt_instant")]
    pub actual_time: Option<Instant>,
}

/// The broad class of a failure, for grouping in reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// An outbound packet came at the expected time but differs.
    PacketMismatch,
    /// An expected outbound packet never came.
    MissingPacket,
    /// The target sent a packet the script did not expect.
    UnexpectedPacket,
    /// An event happened outside its time window.
    Timing,
    /// A syscall returned a different value, errno or output.
    Syscall,
    /// A blocking syscall did not return when the script said, or returned
    /// when the script said it would block.
    Blocking,
    /// A backquoted command exited non-zero.
    Command,
    /// A `%{ assert ... }%` check was false.
    Assertion,
}

/// One field that differs between the expected and the actual packet or call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    /// `flags`, `seq`, `ack`, `win`, `options`, `tos`, `ret`, `errno`, `revents`, …
    pub field: String,
    pub expected: String,
    pub actual: String,
}

/// When a script says an event happens: `earliest..=latest` as written (one
/// instant when both are equal), checked with `tolerance` of slack either side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TimeWindow {
    #[serde(serialize_with = "ser_instant")]
    pub earliest: Instant,
    #[serde(serialize_with = "ser_instant")]
    pub latest: Instant,
    #[serde(serialize_with = "ser_duration")]
    pub tolerance: Duration,
    /// `*`: any time at all (only the order is checked).
    pub any: bool,
}

impl fmt::Display for TimeWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.any {
            return f.write_str("*");
        }
        if self.earliest == self.latest {
            write!(f, "{}", self.earliest)?;
        } else {
            write!(f, "{}~{}", self.earliest, self.latest)?;
        }
        write!(f, " (±{} µs)", self.tolerance.as_micros())
    }
}

/// A feature the script uses that cannot be executed here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unsupported {
    /// The feature, named so that a grep of the scripts finds it:
    /// `syscall sendfile`, `command "nstat > /dev/null"`, `option --speed`.
    pub feature: String,
    /// Where the script uses it, if it is one line.
    pub line: Option<u32>,
}

/// A bad script, or a broken harness (not a misbehaving stack).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunError {
    pub kind: ErrorKind,
    /// The message; for parse errors, the rendered diagnostic with its caret.
    pub message: String,
    pub line: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The file could not be read.
    Io,
    /// The script does not parse.
    Parse,
    /// The script parses but means nothing (unknown symbol, wrong argument type,
    /// an unknown option).
    Script,
    /// The target itself failed (not the stack under test).
    Target,
}

/// Something worth telling the reader that does not change the verdict: a
/// command the reference target skipped, an option that cannot apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Note {
    pub line: Option<u32>,
    pub text: String,
}

/// Whether a packet went to the stack under test or came from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Injected by the harness (`<` in the script).
    Inbound,
    /// Sent by the stack under test (`>` in the script).
    Outbound,
}

/// A packet as it crossed the seam, in live numbering: what a pcap holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TracedPacket {
    #[serde(serialize_with = "ser_instant")]
    pub at: Instant,
    pub direction: Direction,
    /// The IP datagram.
    pub bytes: Vec<u8>,
}

/// Everything known about one run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunResult {
    pub script: PathBuf,
    /// `reference`, `kernel`, …
    pub target: String,
    pub ip_version: IpVersion,
    pub verdict: Verdict,
    /// Events executed and checked before the verdict was reached.
    pub events_executed: usize,
    /// Events in the script.
    pub events_total: usize,
    /// The target's time when the run ended.
    #[serde(serialize_with = "ser_instant")]
    pub target_time: Instant,
    /// Wall-clock time the run took.
    #[serde(serialize_with = "ser_std_duration")]
    pub wall: std::time::Duration,
    pub notes: Vec<Note>,
    /// Every packet in and out, in order (empty unless tracing was asked for).
    #[serde(skip)]
    pub packets: Vec<TracedPacket>,
}

impl RunResult {
    /// Fixes the verdict so that it is honest: a `Pass` for a run that did not
    /// execute every event becomes an error naming how far it got. Every
    /// path that builds a `RunResult` goes through here.
    pub fn finish(mut self) -> RunResult {
        if self.verdict.is_pass() && self.events_executed != self.events_total {
            self.verdict = Verdict::Error(RunError {
                kind: ErrorKind::Target,
                message: format!(
                    "internal: the run stopped after {} of {} events without a verdict",
                    self.events_executed, self.events_total
                ),
                line: None,
            });
        }
        self
    }

    /// The name reports use for this run: `path (ipv4)`.
    pub fn name(&self) -> String {
        format!(
            "{} ({})",
            self.script.display(),
            ip_version_word(self.ip_version)
        )
    }
}

/// The `--ip_version` word for an address family.
pub fn ip_version_word(v: IpVersion) -> &'static str {
    match v {
        IpVersion::Ipv4 => "ipv4",
        IpVersion::Ipv4MappedIpv6 => "ipv4-mapped-ipv6",
        IpVersion::Ipv6 => "ipv6",
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.summary)?;
        if let Some(e) = &self.expected {
            write!(f, "\n  expected: {e}")?;
            if let Some(t) = &self.expected_time {
                write!(f, "  at {t}")?;
            }
        }
        if let Some(a) = &self.actual {
            write!(f, "\n  actual:   {a}")?;
        }
        if let Some(t) = self.actual_time {
            write!(f, "  at {t}")?;
        }
        for d in &self.fields {
            write!(
                f,
                "\n    {}: expected {}, got {}",
                d.field, d.expected, d.actual
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "unsupported: {} at line {line}", self.feature),
            None => write!(f, "unsupported: {}", self.feature),
        }
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Pass => f.write_str("pass"),
            Verdict::Fail(x) => write!(f, "fail: {x}"),
            Verdict::Unsupported(x) => write!(f, "{x}"),
            Verdict::Error(x) => write!(f, "error: {x}"),
        }
    }
}

fn ser_instant<S: serde::Serializer>(t: &Instant, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(t.as_micros())
}

fn ser_opt_instant<S: serde::Serializer>(t: &Option<Instant>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(&t.as_micros()),
        None => s.serialize_none(),
    }
}

fn ser_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_micros())
}

fn ser_std_duration<S: serde::Serializer>(
    d: &std::time::Duration,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(verdict: Verdict, executed: usize, total: usize) -> RunResult {
        RunResult {
            script: PathBuf::from("a.pkt"),
            target: "reference".into(),
            ip_version: IpVersion::Ipv4,
            verdict,
            events_executed: executed,
            events_total: total,
            target_time: Instant::ZERO,
            wall: std::time::Duration::ZERO,
            notes: vec![],
            packets: vec![],
        }
    }

    #[test]
    fn a_pass_that_skipped_events_is_not_a_pass() {
        let r = result(Verdict::Pass, 3, 4).finish();
        assert!(matches!(r.verdict, Verdict::Error(_)), "{:?}", r.verdict);
        assert!(r.verdict.is_failure());
        let r = result(Verdict::Pass, 4, 4).finish();
        assert_eq!(r.verdict, Verdict::Pass);
    }

    #[test]
    fn non_pass_verdicts_are_kept_as_they_are() {
        let u = Verdict::Unsupported(Unsupported {
            feature: "syscall sendfile".into(),
            line: Some(7),
        });
        let r = result(u.clone(), 2, 9).finish();
        assert_eq!(r.verdict, u);
        assert!(!r.verdict.is_failure());
        assert_eq!(
            r.verdict.to_string(),
            "unsupported: syscall sendfile at line 7"
        );
    }

    #[test]
    fn failure_renders_expected_and_actual_with_times() {
        let f = Failure {
            line: 12,
            kind: FailureKind::PacketMismatch,
            summary: "outbound packet differs in ack".into(),
            expected: Some("> . 1:1(0) ack 1001".into()),
            actual: Some("> . 1:1(0) ack 501".into()),
            fields: vec![FieldDiff {
                field: "ack".into(),
                expected: "1001".into(),
                actual: "501".into(),
            }],
            expected_time: Some(TimeWindow {
                earliest: Instant::from_millis(100),
                latest: Instant::from_millis(100),
                tolerance: Duration::from_micros(4000),
                any: false,
            }),
            actual_time: Some(Instant::from_millis(101)),
        };
        let text = f.to_string();
        assert!(text.contains("line 12"), "{text}");
        assert!(
            text.contains("expected: > . 1:1(0) ack 1001  at 0.100000 (±4000 µs)"),
            "{text}"
        );
        assert!(
            text.contains("actual:   > . 1:1(0) ack 501  at 0.101000"),
            "{text}"
        );
        assert!(text.contains("ack: expected 1001, got 501"), "{text}");
    }

    #[test]
    fn verdicts_serialize_with_a_tag() {
        let v = Verdict::Unsupported(Unsupported {
            feature: "command \"nstat\"".into(),
            line: None,
        });
        let json = serde_json::to_value(&v).unwrap();
        assert_eq!(json["verdict"], "unsupported");
        assert_eq!(json["feature"], "command \"nstat\"");
        assert_eq!(
            serde_json::to_value(Verdict::Pass).unwrap()["verdict"],
            "pass"
        );
    }
}
