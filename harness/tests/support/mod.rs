//! Shared by the `harness = false` test targets: tests that need something a
//! machine may lack (root and /dev/net/tun, the `../shared` folder, tshark).
//!
//! Where it is missing, each such test is reported as ignored with the reason
//! in its kind (`[skipped: ...]`) and the reason is printed once; where the
//! matching `NETDRILL_REQUIRE_*` variable is set (CI sets them all), the test
//! fails with that reason instead, so a CI machine cannot skip silently.
#![allow(dead_code)] // each test target uses a different part

use libtest_mimic::{Failed, Trial};
use std::path::PathBuf;

/// Something a test needs from the machine.
#[derive(Clone, Copy, Debug)]
pub enum Need {
    /// Root (CAP_NET_ADMIN) and /dev/net/tun, for the kernel target.
    Kernel,
    /// The `../shared` folder beside the repository (the peer suites).
    Shared,
    /// The `tshark` program.
    Tshark,
}

impl Need {
    fn variable(self) -> &'static str {
        match self {
            Need::Kernel => "NETDRILL_REQUIRE_KERNEL",
            Need::Shared => "NETDRILL_REQUIRE_SHARED",
            Need::Tshark => "NETDRILL_REQUIRE_TSHARK",
        }
    }
}

/// Applies the skip-or-fail rule to every trial that has `need`.
pub fn gate(trials: Vec<Trial>, need: Need, available: Result<(), String>) -> Vec<Trial> {
    let Err(reason) = available else {
        return trials;
    };
    let required = std::env::var_os(need.variable()).is_some_and(|v| v != "0" && !v.is_empty());
    if required {
        let var = need.variable();
        return trials
            .into_iter()
            .map(|t| {
                let reason = reason.clone();
                Trial::test(t.name().to_string(), move || {
                    Err(Failed::from(format!("{var} is set but {reason}")))
                })
            })
            .collect();
    }
    eprintln!("skipping {} test(s): {reason}", trials.len());
    trials
        .into_iter()
        .map(|t| {
            t.with_kind(format!("skipped: {reason}"))
                .with_ignored_flag(true)
        })
        .collect()
}

/// The `shared` folder beside the repository, if it is there.
pub fn shared_dir() -> Result<PathBuf, String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    if dir.join("peer-suites").is_dir() {
        Ok(dir)
    } else {
        Err(format!(
            "{} is missing (a fresh clone has no ../shared)",
            dir.display()
        ))
    }
}

/// Whether `tshark` can be run.
pub fn tshark_available() -> Result<(), String> {
    match std::process::Command::new("tshark")
        .arg("--version")
        .output()
    {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!("tshark --version exited with {}", out.status)),
        Err(e) => Err(format!("tshark is not installed ({e})")),
    }
}
