//! The JSON report: a versioned document that other tools can rely on.
//!
//! # Schema, version 1
//!
//! ```text
//! {
//!   "schema": "netdrill-run-report",  constant
//!   "version": 1,                     bumped on any incompatible change
//!   "netdrill_version": "0.1.0",
//!   "summary": { "passed": N, "failed": M, "skipped": K, "total": N+M+K },
//!   "runs": [ {                       in the order the runs were reported
//!     "script": "corpus/tcp/ack.pkt",
//!     "ip_version": "ipv4" | "ipv4-mapped-ipv6" | "ipv6",
//!     "target": "reference",
//!     "verdict": "pass" | "fail" | "unsupported" | "error",
//!     "line": 12,                     script line of the verdict, or absent
//!     "events_executed": 7, "events_total": 9,
//!     "target_time_us": 101000,       target time when the run ended
//!     "wall_us": 412,                 wall-clock time of the run
//!     "notes": [ { "line": 3, "text": "..." } ],          line may be absent
//!     "failure": {                    only when verdict is "fail"
//!       "kind": "packet_mismatch" | "missing_packet" | "unexpected_packet" | "timing"
//!             | "syscall" | "blocking" | "command" | "assertion",
//!       "summary": "outbound packet differs in ack",
//!       "expected": "> . 1:1(0) ack 1001",            script numbering; may be absent
//!       "actual": "> . 1:1(0) ack 501",               script numbering; may be absent
//!       "fields": [ { "field": "ack", "expected": "1001", "actual": "501" } ],
//!       "expected_time": { "earliest_us": 100000, "latest_us": 100000,
//!                          "tolerance_us": 4000, "any": false },   may be absent
//!       "actual_time_us": 101000                      may be absent
//!     },
//!     "unsupported": { "feature": "syscall sendfile" },     only when "unsupported"
//!     "error": { "kind": "io" | "parse" | "script" | "target", "message": "..." }
//!   } ]
//! }
//! ```
//!
//! Times are integer microseconds. Readers should ignore fields they do not
//! know: new fields may be added within a version; removing or changing the
//! meaning of one bumps [`SCHEMA_VERSION`].

use super::{Summary, word};
use crate::run::verdict::{Failure, RunResult, TimeWindow, Verdict, ip_version_word};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;

/// The `schema` field of every document.
pub const SCHEMA: &str = "netdrill-run-report";
/// The `version` field this module writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub schema: String,
    pub version: u32,
    pub netdrill_version: String,
    pub summary: Counts,
    pub runs: Vec<Run>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub total: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictWord {
    Pass,
    Fail,
    Unsupported,
    Error,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub script: String,
    pub ip_version: String,
    pub target: String,
    pub verdict: VerdictWord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub events_executed: usize,
    pub events_total: usize,
    pub target_time_us: u64,
    pub wall_us: u64,
    #[serde(default)]
    pub notes: Vec<NoteDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<FailureDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<UnsupportedDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDoc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoteDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureDoc {
    pub kind: String,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    #[serde(default)]
    pub fields: Vec<FieldDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_time: Option<WindowDoc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual_time_us: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDoc {
    pub field: String,
    pub expected: String,
    pub actual: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowDoc {
    pub earliest_us: u64,
    pub latest_us: u64,
    pub tolerance_us: u64,
    pub any: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsupportedDoc {
    pub feature: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDoc {
    pub kind: String,
    pub message: String,
}

/// The document for `runs`.
pub fn document(runs: &[RunResult]) -> Document {
    let s = Summary::of(runs.iter().map(|r| &r.verdict));
    Document {
        schema: SCHEMA.to_string(),
        version: SCHEMA_VERSION,
        netdrill_version: env!("CARGO_PKG_VERSION").to_string(),
        summary: Counts {
            passed: s.passed,
            failed: s.failed,
            skipped: s.skipped,
            total: s.total(),
        },
        runs: runs.iter().map(run).collect(),
    }
}

fn run(r: &RunResult) -> Run {
    let (verdict, failure, unsupported, error) = match &r.verdict {
        Verdict::Pass => (VerdictWord::Pass, None, None, None),
        Verdict::Fail(f) => (VerdictWord::Fail, Some(failure(f)), None, None),
        Verdict::Unsupported(u) => (
            VerdictWord::Unsupported,
            None,
            Some(UnsupportedDoc {
                feature: u.feature.clone(),
            }),
            None,
        ),
        Verdict::Error(e) => (
            VerdictWord::Error,
            None,
            None,
            Some(ErrorDoc {
                kind: word(&e.kind),
                message: e.message.clone(),
            }),
        ),
    };
    Run {
        script: r.script.display().to_string(),
        ip_version: ip_version_word(r.ip_version).to_string(),
        target: r.target.clone(),
        verdict,
        line: r.verdict.line(),
        events_executed: r.events_executed,
        events_total: r.events_total,
        target_time_us: r.target_time.as_micros(),
        wall_us: u64::try_from(r.wall.as_micros()).unwrap_or(u64::MAX),
        notes: r
            .notes
            .iter()
            .map(|n| NoteDoc {
                line: n.line,
                text: n.text.clone(),
            })
            .collect(),
        failure,
        unsupported,
        error,
    }
}

fn window(w: &TimeWindow) -> WindowDoc {
    WindowDoc {
        earliest_us: w.earliest.as_micros(),
        latest_us: w.latest.as_micros(),
        tolerance_us: w.tolerance.as_micros(),
        any: w.any,
    }
}

fn failure(f: &Failure) -> FailureDoc {
    FailureDoc {
        kind: word(&f.kind),
        summary: f.summary.clone(),
        expected: f.expected.clone(),
        actual: f.actual.clone(),
        fields: f
            .fields
            .iter()
            .map(|d| FieldDoc {
                field: d.field.clone(),
                expected: d.expected.clone(),
                actual: d.actual.clone(),
            })
            .collect(),
        expected_time: f.expected_time.as_ref().map(window),
        actual_time_us: f.actual_time.map(|t| t.as_micros()),
    }
}

/// The document for `runs`, pretty-printed, with a final newline.
pub fn to_string(runs: &[RunResult]) -> String {
    // Serializing plain structs of strings and integers cannot fail.
    let mut text = serde_json::to_string_pretty(&document(runs)).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes the document for `runs` to `path`.
pub fn write_file(path: &Path, runs: &[RunResult]) -> std::io::Result<()> {
    std::fs::write(path, to_string(runs))
}

/// Why a JSON report could not be read.
#[derive(Debug)]
pub enum ParseError {
    /// Not JSON, or not shaped like the schema (serde_json says where).
    Json(serde_json::Error),
    /// Some other document.
    WrongSchema(String),
    /// A version this build does not read.
    UnsupportedVersion(u32),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Json(e) => write!(f, "not a netdrill JSON report: {e}"),
            ParseError::WrongSchema(s) => {
                write!(f, "schema is \"{s}\", expected \"{SCHEMA}\"")
            }
            ParseError::UnsupportedVersion(v) => {
                write!(
                    f,
                    "report version {v} is not supported (this build reads {SCHEMA_VERSION})"
                )
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// Reads a document written by [`to_string`] (this version or an older one).
pub fn parse(text: &str) -> Result<Document, ParseError> {
    // Check the header first so that a newer version says so instead of
    // failing on a field it reshaped.
    #[derive(Deserialize)]
    struct Header {
        schema: String,
        version: u32,
    }
    let header: Header = serde_json::from_str(text).map_err(ParseError::Json)?;
    if header.schema != SCHEMA {
        return Err(ParseError::WrongSchema(header.schema));
    }
    if header.version != SCHEMA_VERSION {
        return Err(ParseError::UnsupportedVersion(header.version));
    }
    serde_json::from_str(text).map_err(ParseError::Json)
}
