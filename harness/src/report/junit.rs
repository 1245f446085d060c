//! JUnit XML: one `<testsuite>` per target, one `<testcase>` per script ×
//! address family.
//!
//! - `name`: the script's file name and family, `fin-wait-1.pkt (ipv4)`;
//!   `classname`: the folder it is in, `corpus/tcp/close`; `time`: wall time.
//! - A failure is `<failure message="line 12: outbound packet differs in ack"
//!   type="packet_mismatch">` with the plain-text side-by-side detail as its
//!   text; an error (bad script, broken target) is `<error>` likewise, typed
//!   by its kind (`parse`, `script`, `io`, `target`).
//! - An unsupported run is `<skipped message="unsupported: syscall sendfile at
//!   line 7" type="unsupported">`.
//! - Notes of a run, one per line, go to its `<system-out>`.

use super::diff::{plain, render_failure};
use super::terminal::DEFAULT_WIDTH;
use super::word;
use crate::run::verdict::{RunResult, Verdict};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::io;
use std::path::Path;
use std::time::Duration;

/// The report of `runs`, named `name` (the `<testsuites name>`).
pub fn report(name: &str, runs: &[RunResult]) -> Report {
    let mut report = Report::new(name);
    // One suite per target, in the order targets first appear.
    let mut suites: Vec<TestSuite> = vec![];
    for run in runs {
        let index = match suites.iter().position(|s| s.name.as_str() == run.target) {
            Some(i) => i,
            None => {
                let mut suite = TestSuite::new(run.target.as_str());
                suite.add_property(Property::new("target", run.target.as_str()));
                suite.add_property(Property::new("netdrill-version", env!("CARGO_PKG_VERSION")));
                suite.set_time(Duration::ZERO);
                suites.push(suite);
                suites.len() - 1
            }
        };
        let suite = &mut suites[index];
        suite.set_time(suite.time.unwrap_or_default() + run.wall);
        suite.add_test_case(test_case(run));
    }
    let total = suites.iter().filter_map(|s| s.time).sum();
    report.set_time(total);
    report.add_test_suites(suites);
    report
}

fn test_case(run: &RunResult) -> TestCase {
    let file = run.script.file_name().map_or_else(
        || run.script.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    let name = format!(
        "{file} ({})",
        crate::run::verdict::ip_version_word(run.ip_version)
    );
    let mut case = TestCase::new(name, status(run));
    if let Some(dir) = run.script.parent().filter(|d| !d.as_os_str().is_empty()) {
        case.set_classname(dir.display().to_string());
    }
    case.set_time(run.wall);
    if !run.notes.is_empty() {
        let notes: Vec<String> = run
            .notes
            .iter()
            .map(|n| match n.line {
                Some(line) => format!("note: line {line}: {}", n.text),
                None => format!("note: {}", n.text),
            })
            .collect();
        case.set_system_out(notes.join("\n"));
    }
    case
}

fn status(run: &RunResult) -> TestCaseStatus {
    match &run.verdict {
        Verdict::Pass => TestCaseStatus::success(),
        Verdict::Fail(f) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!("line {}: {}", f.line, f.summary))
                .set_type(word(&f.kind))
                .set_description(plain(&render_failure(&run.script, f, DEFAULT_WIDTH)));
            s
        }
        Verdict::Error(e) => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            let text = e.to_string();
            s.set_message(text.lines().next().unwrap_or_default())
                .set_type(word(&e.kind))
                .set_description(text);
            s
        }
        Verdict::Unsupported(u) => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(u.to_string()).set_type("unsupported");
            s
        }
    }
}

/// The XML text of [`report`].
pub fn to_string(name: &str, runs: &[RunResult]) -> io::Result<String> {
    report(name, runs).to_string().map_err(io::Error::other)
}

/// Writes [`report`] to `path`.
pub fn write_file(path: &Path, name: &str, runs: &[RunResult]) -> io::Result<()> {
    let xml = to_string(name, runs)?;
    std::fs::write(path, xml)
}
