//! Scripts per second on the reference target: the whole `corpus/` and the
//! upstream packetdrill suite in `../shared/peer-suites` (all three address
//! families, with the flags of its baseline runs: 490 runs), one thread and
//! two. Each iteration reads, parses and runs every script, as
//! `netdrill run` does.
//!
//! `cargo bench -p netdrill --bench run`; the throughput line is in runs/s.

#[path = "../tests/support/peer_flags.rs"]
mod peer_flags;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use netdrill::run::config::OptionPair;
use netdrill::run::factory::ReferenceFactory;
use netdrill::run::families_for;
use netdrill::run::suite::{Job, run_jobs};
use netdrill::script::files::find_scripts;
use netdrill::target::IpVersion;
use netdrill::target::reference::ProfileChoice;
use peer_flags::peer_flags;
use std::path::{Path, PathBuf};
use std::time::Duration;

const FAMILIES: [IpVersion; 3] = [IpVersion::Ipv4, IpVersion::Ipv4MappedIpv6, IpVersion::Ipv6];

fn jobs(scripts: &[PathBuf], v: IpVersion) -> Vec<Job> {
    scripts
        .iter()
        .filter(|p| !families_for(p, &[v]).is_empty())
        .map(|p| Job {
            path: p.clone(),
            ip_version: v,
        })
        .collect()
}

/// Runs every family's jobs with its own flags; returns the number of runs.
fn run_all(groups: &[(Vec<Job>, Vec<OptionPair>)], threads: usize) -> usize {
    let factory = ReferenceFactory(ProfileChoice::Linux);
    groups
        .iter()
        .map(|(jobs, flags)| run_jobs(jobs, threads, flags, &factory, false, |_| {}).len())
        .sum()
}

fn bench_suite(c: &mut Criterion, name: &str, groups: Vec<(Vec<Job>, Vec<OptionPair>)>) {
    let runs: usize = groups.iter().map(|(j, _)| j.len()).sum();
    if runs == 0 {
        eprintln!("{name}: no scripts found; skipped");
        return;
    }
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements(runs as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    for threads in [1, 2] {
        g.bench_function(format!("{runs}_runs_{threads}_threads"), |b| {
            b.iter(|| assert_eq!(run_all(&groups, threads), runs))
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (corpus, _) = find_scripts(&[root.join("corpus")]);
    let groups = FAMILIES
        .iter()
        .map(|&v| (jobs(&corpus, v), vec![]))
        .collect();
    bench_suite(c, "corpus", groups);

    let peer = root.join("../shared/peer-suites/packetdrill/gtests");
    if !peer.is_dir() {
        eprintln!("peer suite: {} is missing; skipped", peer.display());
        return;
    }
    let (scripts, _) = find_scripts(&[peer]);
    let groups = FAMILIES
        .iter()
        .map(|&v| {
            (
                jobs(&scripts, v),
                peer_flags(v).expect("RUNNING.md's flags parse"),
            )
        })
        .collect();
    bench_suite(c, "peer_suite", groups);
}

criterion_group!(run, benches);
criterion_main!(run);
