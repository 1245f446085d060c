//! The interpreter: plays a script against a [`Target`] and compares what
//! happens with what the script expects, with packetdrill's semantics.
//!
//! - [`engine`]: the event loop over the script's timeline.
//! - [`timing`]: script times → windows of target time, tolerance.
//! - [`mapping`]: script numbering ↔ live numbering (ISN, ports, TS, fds).
//! - [`inbound`] / [`outbound`] / [`icmp`] / [`show`]: building injected
//!   packets, matching sent ones field by field, printing live ones;
//!   [`segments`] merges MSS-sized segments where a line expects a GSO one.
//! - [`syscall`] / [`args`] / [`structs`] / [`check`]: syscall lines to live
//!   calls and their results checked.
//! - [`code`]: the `%{ assert ... }%` evaluator.
//! - [`config`]: packetdrill's options → [`RunConfig`]; [`factory`]: targets
//!   per run; [`suite`]: many scripts on a few threads.
//! - [`verdict`]: what a run gives (pass, fail with a diff, unsupported, error).
//!
//! The entry points: [`load`] reads and parses a file, [`run`] plays a parsed
//! script, [`run_file`] does both for one address family.

pub mod args;
pub mod check;
pub mod code;
pub mod config;
pub mod engine;
pub mod factory;
pub mod icmp;
pub mod inbound;
pub mod mapping;
pub mod outbound;
pub mod segments;
pub mod show;
pub mod structs;
pub mod suite;
pub mod syscall;
pub mod timing;
pub mod verdict;

#[cfg(test)]
pub(crate) mod tests;

pub use config::RunConfig;
pub use engine::run;
pub use verdict::{Failure, FailureKind, RunResult, Unsupported, Verdict};

use crate::script::{self, ast::Script};
use crate::target::{IpVersion, Target, TargetError};
use netdrill_stack::time::Instant;
use std::path::Path;
use verdict::{ErrorKind, RunError};

/// A script read and parsed, with its source for diagnostics.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub source: String,
    pub script: Script,
}

impl Loaded {
    /// The option lines of the script as `(name, value)` pairs.
    pub fn options(&self) -> Vec<config::OptionPair> {
        self.script
            .options
            .iter()
            .map(|o| (o.name.clone(), o.value.clone()))
            .collect()
    }
}

/// Reads and parses a script; the error is ready to be a verdict.
pub fn load(path: &Path) -> Result<Loaded, RunError> {
    let source = std::fs::read_to_string(path).map_err(|e| RunError {
        kind: ErrorKind::Io,
        message: format!("cannot read {}: {e}", path.display()),
        line: None,
    })?;
    match script::parse(&source) {
        Ok(script) => Ok(Loaded { source, script }),
        Err(diags) => Err(RunError {
            kind: ErrorKind::Parse,
            message: script::diag::render_all(&diags, &path.display().to_string(), &source),
            line: diags.first().map(|d| d.span.line),
        }),
    }
}

/// The address families a script runs in, as packetdrill's `run_all.py`
/// decides: `*v4.pkt` only in IPv4, `*v6.pkt` only in IPv6.
pub fn families_for(path: &Path, asked: &[IpVersion]) -> Vec<IpVersion> {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    asked
        .iter()
        .copied()
        .filter(|v| {
            if stem.ends_with("v6") {
                *v == IpVersion::Ipv6
            } else if stem.ends_with("v4") {
                *v != IpVersion::Ipv6
            } else {
                true
            }
        })
        .collect()
}

/// A result for a run that could not start (the file, the options, the target).
pub fn not_run(path: &Path, target: &str, ip_version: IpVersion, verdict: Verdict) -> RunResult {
    RunResult {
        script: path.to_path_buf(),
        target: target.to_string(),
        ip_version,
        verdict,
        events_executed: 0,
        events_total: 0,
        target_time: Instant::ZERO,
        wall: std::time::Duration::ZERO,
        notes: vec![],
        packets: vec![],
    }
    .finish()
}

/// Makes a target for one run.
pub trait TargetFactory {
    /// The name results carry before a target exists.
    fn name(&self) -> &'static str;
    fn make(&self, cfg: &RunConfig) -> Result<Box<dyn Target>, TargetError>;
}

/// Loads `path`, configures the run (script option lines, then `cli`
/// options, then `adjust`), makes a target and plays the script.
pub fn run_file(
    path: &Path,
    ip_version: IpVersion,
    cli: &[config::OptionPair],
    factory: &dyn TargetFactory,
    adjust: &dyn Fn(&mut RunConfig),
) -> RunResult {
    let bad = |v| not_run(path, factory.name(), ip_version, v);
    let loaded = match load(path) {
        Ok(l) => l,
        Err(e) => return bad(Verdict::Error(e)),
    };
    let mut cfg = match RunConfig::new(ip_version, &loaded.options(), cli) {
        Ok(c) => c,
        Err(e) => {
            return bad(Verdict::Error(RunError {
                kind: ErrorKind::Script,
                message: e.0,
                line: None,
            }));
        }
    };
    adjust(&mut cfg);
    let mut target = match factory.make(&cfg) {
        Ok(t) => t,
        Err(TargetError::Unsupported(what)) => {
            return bad(Verdict::Unsupported(Unsupported {
                feature: what,
                line: None,
            }));
        }
        Err(e) => {
            return bad(Verdict::Error(RunError {
                kind: ErrorKind::Target,
                message: e.to_string(),
                line: None,
            }));
        }
    };
    run(&loaded.script, path, target.as_mut(), &cfg)
}
