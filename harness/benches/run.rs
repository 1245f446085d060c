//! Scripts per second on the reference target: the whole `corpus/` and the
//! upstream packetdrill suite in `../shared/peer-suites` (all three address
//! families, with the flags of its baseline runs: 490 runs), one thread and
//! two. Each iteration reads, parses and runs every script, as
//! `netdrill run` does.
//!
//! `cargo bench -p netdrill --bench run`; the throughput line is in runs/s.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use netdrill::run::config::{OptionPair, split_packetdrill_args};
use netdrill::run::factory::ReferenceFactory;
use netdrill::run::families_for;
use netdrill::run::suite::{Job, run_jobs};
use netdrill::script::files::find_scripts;
use netdrill::target::IpVersion;
use netdrill::target::reference::ProfileChoice;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The baseline's flags per family (peer-suites/packetdrill/RUNNING.md).
fn peer_flags(v: IpVersion) -> Vec<OptionPair> {
    let text = match v {
        IpVersion::Ipv4 => {
            "--send_omit_free --ip_version=ipv4 --local_ip=192.168.0.1 --gateway_ip=192.168.0.1 --netmask_ip=255.255.0.0 --remote_ip=192.0.2.1 -D TFO_COOKIE=3021b9d889017eeb -D CODE=host_unreachable -D CMSG_LEVEL_IP=SOL_IP -D CMSG_TYPE_RECVERR=IP_RECVERR"
        }
        IpVersion::Ipv4MappedIpv6 => {
            "--send_omit_free --ip_version=ipv4-mapped-ipv6 --local_ip=192.168.0.1 --gateway_ip=192.168.0.1 --netmask_ip=255.255.0.0 --remote_ip=192.0.2.1 -D TFO_COOKIE=3021b9d889017eeb -D CODE=host_unreachable -D CMSG_LEVEL_IP=SOL_IPV6 -D CMSG_TYPE_RECVERR=IPV6_RECVERR"
        }
        IpVersion::Ipv6 => {
            "--send_omit_free --ip_version=ipv6 --mtu=1520 --local_ip=fd3d:0a0b:17d6::1 --gateway_ip=fd3d:0a0b:17d6:8888::1 --remote_ip=fd3d:fa7b:d17d::1 -D TFO_COOKIE=c1d1e9742a47a9bc -D CMSG_LEVEL_IP=SOL_IPV6 -D CMSG_TYPE_RECVERR=IPV6_RECVERR"
        }
    };
    let args: Vec<String> = text.split(' ').map(String::from).collect();
    split_packetdrill_args(&args)
        .map(|(o, _)| o)
        .unwrap_or_default()
}

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
        .map(|&v| (jobs(&scripts, v), peer_flags(v)))
        .collect();
    bench_suite(c, "peer_suite", groups);
}

criterion_group!(run, benches);
criterion_main!(run);
