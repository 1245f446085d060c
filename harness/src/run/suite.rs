//! Running many scripts: which runs a set of scripts makes (each script in
//! every asked address family its file name allows), and running them on
//! a few threads with results in a stable order.

use super::config::OptionPair;
use super::verdict::{RunResult, Unsupported, Verdict, ip_version_word};
use super::{RunConfig, TargetFactory, families_for, not_run, run_file};
use crate::target::IpVersion;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// One run to do: a script in one address family.
#[derive(Clone, Debug)]
pub struct Job {
    pub path: PathBuf,
    pub ip_version: IpVersion,
}

/// The runs for these scripts: each in every asked family it allows; a
/// script no asked family allows is reported as skipped, not dropped.
pub fn plan(
    scripts: &[PathBuf],
    families: &[IpVersion],
    target: &str,
) -> (Vec<Job>, Vec<RunResult>) {
    let mut jobs = Vec::new();
    let mut skipped = Vec::new();
    for path in scripts {
        let fams = families_for(path, families);
        if fams.is_empty() {
            let why = format!(
                "address family {} (the file name says which family it is for)",
                families
                    .iter()
                    .map(|v| ip_version_word(*v))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let v = families.first().copied().unwrap_or(IpVersion::Ipv4);
            skipped.push(not_run(
                path,
                target,
                v,
                Verdict::Unsupported(Unsupported {
                    feature: why,
                    line: None,
                }),
            ));
        }
        for ip_version in fams {
            jobs.push(Job {
                path: path.clone(),
                ip_version,
            });
        }
    }
    (jobs, skipped)
}

/// Runs `jobs` on `threads` threads; `each` sees every result as it ends
/// (in completion order); the results come back in job order.
pub fn run_jobs(
    jobs: &[Job],
    threads: usize,
    cli: &[OptionPair],
    factory: &(dyn TargetFactory + Sync),
    trace: bool,
    mut each: impl FnMut(&RunResult),
) -> Vec<RunResult> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<RunResult>>> = Mutex::new(vec![None; jobs.len()]);
    let (tx, rx) = mpsc::channel::<usize>();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1).min(jobs.len().max(1)) {
            let tx = tx.clone();
            let (next, slots) = (&next, &slots);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    let r = run_file(
                        &job.path,
                        job.ip_version,
                        cli,
                        factory,
                        &|c: &mut RunConfig| c.trace = trace,
                    );
                    if let Ok(mut g) = slots.lock() {
                        g[i] = Some(r);
                    }
                    if tx.send(i).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for i in rx {
            if let Ok(g) = slots.lock() {
                if let Some(r) = &g[i] {
                    each(r);
                }
            }
        }
    });
    slots
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}
