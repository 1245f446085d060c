//! Interpreter tests against a scripted fake target: matching, timing,
//! mapping and verdicts without a stack.

mod engine;
pub(crate) mod fake;
