//! Reports of runs, all rendered from [`RunResult`](crate::run::RunResult):
//!
//! - [`terminal`]: one line per run, the failure detail, a progress bar on a
//!   terminal, and the closing `N passed, M failed, K skipped` line.
//! - [`diff`]: the failure detail itself: the script location, then the
//!   expected and the actual event side by side in script numbering, with
//!   their times and the fields that differ (styled; plain where colour is off).
//! - [`junit`]: JUnit XML, one test case per script × address family.
//! - [`json`]: a versioned JSON document ([`json::SCHEMA_VERSION`]).
//!
//! A caller running a suite does:
//!
//! ```no_run
//! # use netdrill::report::{terminal::TerminalReport, junit, json};
//! # fn run_all() -> Vec<netdrill::run::RunResult> { vec![] }
//! # fn main() -> std::io::Result<()> {
//! let mut term = TerminalReport::stdout(490);
//! let results = run_all(); // calling term.record(&result)? as each run ends
//! let summary = term.finish()?; // prints "N passed, M failed, K skipped"
//! junit::write_file("junit.xml".as_ref(), "netdrill", &results)?;
//! json::write_file("runs.json".as_ref(), &results)?;
//! # let _ = summary.success(); Ok(()) }
//! ```

pub mod diff;
pub mod json;
pub mod junit;
pub mod terminal;

use crate::run::verdict::Verdict;
use std::fmt;

/// Counts of verdicts: errors count as failures, unsupported as skipped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    /// Failures and errors: what makes a run of a suite unsuccessful.
    pub failed: usize,
    /// Unsupported runs.
    pub skipped: usize,
}

impl Summary {
    /// Counts one more verdict.
    pub fn add(&mut self, verdict: &Verdict) {
        match verdict {
            Verdict::Pass => self.passed += 1,
            Verdict::Fail(_) | Verdict::Error(_) => self.failed += 1,
            Verdict::Unsupported(_) => self.skipped += 1,
        }
    }

    /// The summary of these verdicts.
    pub fn of<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> Summary {
        let mut s = Summary::default();
        for v in verdicts {
            s.add(v);
        }
        s
    }

    pub fn total(&self) -> usize {
        self.passed + self.failed + self.skipped
    }

    /// Nothing failed: `netdrill run` exits 0.
    pub fn success(&self) -> bool {
        self.failed == 0
    }
}

/// `N passed, M failed, K skipped`.
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// The name serde gives a unit variant (`packet_mismatch`, `parse`): the
/// reports use the names the verdict types declare, not a second list.
pub(crate) fn word<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::from("unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::verdict::{ErrorKind, FailureKind, RunError, Unsupported};

    #[test]
    fn words_are_the_serde_names() {
        assert_eq!(word(&FailureKind::PacketMismatch), "packet_mismatch");
        assert_eq!(word(&ErrorKind::Parse), "parse");
        assert_eq!(word(&3u8), "unknown");
    }

    #[test]
    fn errors_fail_and_unsupported_skips() {
        let verdicts = [
            Verdict::Pass,
            Verdict::Pass,
            Verdict::Error(RunError {
                kind: ErrorKind::Parse,
                message: "bad".into(),
                line: Some(1),
            }),
            Verdict::Unsupported(Unsupported {
                feature: "syscall sendfile".into(),
                line: None,
            }),
        ];
        let s = Summary::of(&verdicts);
        assert_eq!(
            s,
            Summary {
                passed: 2,
                failed: 1,
                skipped: 1
            }
        );
        assert_eq!(s.to_string(), "2 passed, 1 failed, 1 skipped");
        assert_eq!(s.total(), 4);
        assert!(!s.success());
        assert!(Summary::of(&verdicts[..2]).success());
        assert!(Summary::of(&verdicts[3..]).success());
    }
}
