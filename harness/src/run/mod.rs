//! The interpreter: plays a script against a [`Target`](crate::target::Target)
//! and compares what happens with what the script expects.
//!
//! - [`verdict`]: what a run gives (pass, fail with a diff, unsupported, error).
//! - [`timing`]: script times → windows of target time, tolerance.
//! - [`mapping`]: script numbering ↔ live numbering (ISN, ports, TS, fds).
//! - [`code`]: the `%{ assert ... }%` evaluator.

pub mod args;
pub mod check;
pub mod code;
pub mod icmp;
pub mod inbound;
pub mod mapping;
pub mod outbound;
pub mod show;
pub mod structs;
pub mod syscall;
pub mod timing;
pub mod verdict;

pub use verdict::{Failure, FailureKind, RunResult, Unsupported, Verdict};
