//! netdrill: a conformance and fuzzing harness for TCP/UDP stacks.
//!
//! - [`script`]: the packetdrill script language (lexer, parser, AST, printer,
//!   diagnostics).
//! - [`run`]: the interpreter that plays a script against a target and
//!   compares what happens with what the script expects.
//! - [`target`]: the seam to anything testable: the reference stack in
//!   virtual time, the Linux kernel in a private network namespace.
//! - [`capture`]: pcap writing, reading and replay.
//! - [`report`]: terminal, JUnit and JSON reports.
//! - [`cli`]: the `netdrill` command's verbs.

pub mod capture;
pub mod cli;
pub mod report;
pub mod run;
pub mod script;
pub mod target;
