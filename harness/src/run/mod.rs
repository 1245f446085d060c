//! The interpreter: plays a script against a [`Target`](crate::target::Target)
//! and compares what happens with what the script expects.
//!
//! - [`verdict`]: what a run gives (pass, fail with a diff, unsupported, error).

pub mod verdict;

pub use verdict::{Failure, FailureKind, RunResult, Unsupported, Verdict};
