//! The upstream packetdrill suite (`../shared/peer-suites/packetdrill`) end
//! to end on the reference target, in all three address families with the
//! flags of its baseline: every one of the 490 runs must come out with a
//! verdict that the interpreter reached honestly. What the stack gets wrong
//! is a "fail" and fine here; what this test rejects is the harness itself
//! breaking: a parse error on a suite script, an error from the target, a
//! run without a verdict, and the two scripts meant to fail passing.
//!
//! Needs `../shared`; without it the test is skipped with the reason (and
//! fails when `NETDRILL_REQUIRE_SHARED` is set).

#[path = "support/peer_flags.rs"]
mod peer_flags;
mod support;

use libtest_mimic::{Arguments, Failed, Trial};
use netdrill::run::factory::ReferenceFactory;
use netdrill::run::families_for;
use netdrill::run::suite::{Job, run_jobs};
use netdrill::run::verdict::{ErrorKind, Verdict};
use netdrill::script::files::find_scripts;
use netdrill::target::IpVersion;
use netdrill::target::reference::ProfileChoice;
use peer_flags::peer_flags;
use std::path::Path;

fn every_run_gets_an_honest_verdict(root: &Path) -> Result<(), Failed> {
    let (scripts, errors) = find_scripts(&[root.join("gtests")]);
    if let Some(e) = errors.first() {
        return Err(format!("{}: {}", e.path.display(), e.error).into());
    }
    let mut results = Vec::new();
    for v in [IpVersion::Ipv4, IpVersion::Ipv4MappedIpv6, IpVersion::Ipv6] {
        let opts = peer_flags(v)?;
        let jobs: Vec<Job> = scripts
            .iter()
            .filter(|p| !families_for(p, &[v]).is_empty())
            .map(|p| Job {
                path: p.clone(),
                ip_version: v,
            })
            .collect();
        results.extend(run_jobs(
            &jobs,
            2,
            &opts,
            &ReferenceFactory(ProfileChoice::Linux),
            false,
            |_| {},
        ));
    }
    if results.len() != 490 {
        return Err(format!("{} runs, the baseline has 490", results.len()).into());
    }
    let mut problems = Vec::new();
    for r in &results {
        match &r.verdict {
            Verdict::Error(e)
                if matches!(e.kind, ErrorKind::Target | ErrorKind::Io | ErrorKind::Parse) =>
            {
                problems.push(format!("{}: {e}", r.name()));
            }
            Verdict::Pass
                if r.script.ends_with("socket_err.pkt")
                    || r.script.ends_with("socket_wrong_err.pkt") =>
            {
                problems.push(format!("{} passed, but it is meant to fail", r.name()));
            }
            _ => {}
        }
    }
    let count = |f: fn(&Verdict) -> bool| results.iter().filter(|r| f(&r.verdict)).count();
    eprintln!(
        "peer suite on the reference target: {} pass, {} fail, {} unsupported, {} error",
        count(|v| matches!(v, Verdict::Pass)),
        count(|v| matches!(v, Verdict::Fail(_))),
        count(|v| matches!(v, Verdict::Unsupported(_))),
        count(|v| matches!(v, Verdict::Error(_))),
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n").into())
    }
}

fn main() {
    let args = Arguments::from_args();
    let shared = support::shared_dir();
    let root = shared
        .as_ref()
        .map(|d| d.join("peer-suites/packetdrill"))
        .unwrap_or_default();
    let trials = vec![Trial::test(
        "run_peer_suite::every_run_gets_an_honest_verdict",
        move || every_run_gets_an_honest_verdict(&root),
    )];
    let trials = support::gate(trials, support::Need::Shared, shared.map(drop));
    libtest_mimic::run(&args, trials).exit();
}
