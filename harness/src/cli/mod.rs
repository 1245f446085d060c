//! The `netdrill` command line: one module per verb.

mod diff;
mod fmt;
mod parse;
mod run;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Conformance and fuzzing harness for TCP/UDP stacks.
#[derive(Debug, Parser)]
#[command(name = "netdrill", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub verb: Verb,
}

#[derive(Debug, Subcommand)]
pub enum Verb {
    /// Parse scripts and report every syntax error.
    Parse(parse::Args),
    /// Rewrite scripts in canonical form (or check that they are).
    Fmt(fmt::Args),
    /// Run scripts against a target and report a verdict for each.
    Run(run::Args),
    /// Run scripts on the reference and the kernel targets and show where they diverge.
    Diff(diff::Args),
}

/// Runs one verb; the exit code is the verb's verdict.
pub fn main(cli: Cli) -> ExitCode {
    match cli.verb {
        Verb::Parse(args) => parse::main(args),
        Verb::Fmt(args) => fmt::main(args),
        Verb::Run(args) => run::main(args),
        Verb::Diff(args) => diff::main(args),
    }
}
