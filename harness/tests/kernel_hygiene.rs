//! A kernel run leaves nothing behind, even when the harness is SIGKILLed in
//! the middle of it: no namespace, interface or process survives, and no host
//! (root-namespace) setting is changed — although the run changed the same
//! settings inside its own namespace.
//!
//! The killed harness is this binary itself, re-executed with
//! `NETDRILL_HYGIENE_CHILD` set: it starts a run, prints `READY <ns inode>`
//! and waits mid-run until the parent kills it.

mod kernel_support;
mod support;

use kernel_support::*;
use libtest_mimic::{Arguments, Failed, Trial};
use netdrill::target::kernel::{KernelTarget, check_available};
use netdrill::target::{Command, CommandOutcome, IpVersion, Started, Syscall, Target};
use netdrill_stack::time::Instant;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

const CHILD_VAR: &str = "NETDRILL_HYGIENE_CHILD";

/// Host settings a run (or a script's `sysctl` command) could plausibly
/// write: every value directly in net/core, net/ipv4, net/ipv6 and the
/// all/default conf folders.
fn host_sysctls() -> BTreeMap<PathBuf, String> {
    let mut files = Vec::new();
    for dir in [
        "core",
        "ipv4",
        "ipv6",
        "ipv4/conf/all",
        "ipv4/conf/default",
        "ipv6/conf/all",
        "ipv6/conf/default",
    ] {
        if let Ok(entries) = std::fs::read_dir(Path::new("/proc/sys/net").join(dir)) {
            files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
        }
    }
    files
        .into_iter()
        .filter_map(|p| std::fs::read_to_string(&p).ok().map(|v| (p, v)))
        .collect()
}

/// Interface names of the namespace `path` (a `/proc/.../net` folder) shows.
fn interfaces(net: &Path) -> BTreeSet<String> {
    let dev = std::fs::read_to_string(net.join("dev")).unwrap_or_default();
    dev.lines()
        .skip(2)
        .filter_map(|l| l.split(':').next())
        .map(|n| n.trim().to_string())
        .collect()
}

/// Every (pid, tid) whose thread is in network namespace `inode`.
fn threads_in(inode: u64) -> Vec<(u32, u32)> {
    let mut found = Vec::new();
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return found;
    };
    for p in procs.flatten() {
        let Some(pid) = p.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(tasks) = std::fs::read_dir(p.path().join("task")) else {
            continue;
        };
        for t in tasks.flatten() {
            let Some(tid) = t.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            if std::fs::metadata(t.path().join("ns/net")).is_ok_and(|m| m.ino() == inode) {
                found.push((pid, tid));
            }
        }
    }
    found
}

/// Named namespaces (`ip netns`): the harness must never make one.
fn named_namespaces() -> BTreeSet<String> {
    std::fs::read_dir("/run/netns")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn flipped(value: &str) -> &'static str {
    if value.trim() == "0" { "1" } else { "0" }
}

/// The child: a run stopped mid-script, with settings changed in its
/// namespace, a listener, a blocked accept and a connection.
fn child(v: IpVersion) -> ! {
    let fail = |why: String| -> ! {
        eprintln!("hygiene child: {why}");
        std::process::exit(3)
    };
    let mut t = KernelTarget::new(&config(v)).unwrap_or_else(|e| fail(e.to_string()));
    let host_sack = std::fs::read_to_string("/proc/sys/net/ipv4/tcp_sack").unwrap_or_default();
    let text = format!(
        "sysctl -qw net.ipv4.tcp_sack={} net.ipv4.tcp_timestamps=0 net.core.somaxconn=77",
        flipped(&host_sack)
    );
    match t.command(&Command {
        text,
        dir: PathBuf::from("/"),
    }) {
        Ok(CommandOutcome::Ran { status: 0, .. }) => {}
        other => fail(format!("sysctl command: {other:?}")),
    }
    let lfd = listener(&mut t, v, 8080).unwrap_or_else(|e| fail(e));
    handshake(&mut t, v, 40000, 8080).unwrap_or_else(|e| fail(e));
    let _ = call(&mut t, Syscall::Accept { fd: lfd, flags: 0 }).unwrap_or_else(|e| fail(e));
    match t.syscall(Syscall::Accept { fd: lfd, flags: 0 }) {
        Ok(Started::Blocked(_)) => {}
        other => fail(format!("second accept: {other:?}")),
    }
    println!("READY {}", t.namespace_id());
    let _ = t.next_event(Instant::FAR_FUTURE);
    fail("the run ended before it was killed".into())
}

/// Starts a child run, checks it really set things up in its namespace,
/// SIGKILLs it, and checks that nothing is left.
fn killed_mid_run(v: IpVersion) -> Result<(), Failed> {
    let sysctls_before = host_sysctls();
    let host_net = Path::new("/proc/self/net");
    let interfaces_before = interfaces(host_net);
    let named_before = named_namespaces();

    let mut child = std::process::Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
        .env(CHILD_VAR, version_name(v))
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawning the child run: {e}"))?;
    let mut line = String::new();
    let read = child
        .stdout
        .take()
        .map(|out| BufReader::new(out).read_line(&mut line));
    let inode: u64 = match (read, line.strip_prefix("READY ")) {
        (Some(Ok(_)), Some(n)) => n
            .trim()
            .parse()
            .map_err(|e| format!("READY line {line:?}: {e}"))?,
        _ => {
            let _ = child.kill();
            let status = child.wait();
            return Err(format!("the child did not get ready ({status:?}, said {line:?})").into());
        }
    };

    // Mid-run: the namespace exists, holds tun0, and its settings differ
    // from the host's, which are untouched.
    let inside = threads_in(inode);
    let result = (|| -> Result<(), String> {
        let &(pid, tid) = inside
            .iter()
            .find(|(p, _)| *p == child.id())
            .ok_or("no thread of the child is in its namespace")?;
        let ns_net = PathBuf::from(format!("/proc/{pid}/task/{tid}/net"));
        let ns_ifaces = interfaces(&ns_net);
        if !ns_ifaces.contains("tun0") || !ns_ifaces.contains("lo") {
            return Err(format!("the run's namespace has interfaces {ns_ifaces:?}"));
        }
        if interfaces(host_net).contains("tun0") && !interfaces_before.contains("tun0") {
            return Err("tun0 appeared in the host namespace".into());
        }
        let ns_sack = std::process::Command::new("nsenter")
            .arg(format!("--net=/proc/{pid}/task/{tid}/ns/net"))
            .args(["sysctl", "-n", "net.ipv4.tcp_sack"])
            .output()
            .map_err(|e| format!("nsenter: {e}"))?;
        let host_sack = sysctls_before
            .get(Path::new("/proc/sys/net/ipv4/tcp_sack"))
            .cloned()
            .unwrap_or_default();
        if String::from_utf8_lossy(&ns_sack.stdout).trim() != flipped(&host_sack) {
            return Err(format!(
                "tcp_sack inside is {:?}, host {host_sack:?}",
                ns_sack
            ));
        }
        if host_sysctls() != sysctls_before {
            return Err("a host setting changed while the run was going".into());
        }
        Ok(())
    })();
    child.kill().map_err(|e| format!("SIGKILL: {e}"))?;
    child
        .wait()
        .map_err(|e| format!("reaping the child: {e}"))?;
    result?;

    // After: nothing of the run survives.
    let left = threads_in(inode);
    if !left.is_empty() {
        return Err(format!("threads still in the run's namespace: {left:?}").into());
    }
    let after = interfaces(host_net);
    if after != interfaces_before {
        return Err(format!("host interfaces changed: {interfaces_before:?} -> {after:?}").into());
    }
    if named_namespaces() != named_before {
        return Err("a named network namespace appeared".into());
    }
    let sysctls_after = host_sysctls();
    let changed: Vec<_> = sysctls_before
        .iter()
        .filter(|(k, v)| sysctls_after.get(*k) != Some(v))
        .map(|(k, _)| k.display().to_string())
        .collect();
    if !changed.is_empty() {
        return Err(format!("host settings changed: {changed:?}").into());
    }
    Ok(())
}

/// A run that ends normally, with calls still blocked, closes everything it
/// opened and leaves no thread in its namespace.
fn dropped_with_blocked_calls(v: IpVersion) -> Result<(), Failed> {
    let fds_before = open_fds();
    let mut t = KernelTarget::new(&config(v)).map_err(|e| e.to_string())?;
    let inode = t.namespace_id();
    let lfd = listener(&mut t, v, 8080)?;
    let blocked = [
        Syscall::Accept { fd: lfd, flags: 0 },
        Syscall::Poll {
            fds: vec![netdrill::target::PollFd { fd: lfd, events: 1 }],
            timeout_ms: -1,
        },
    ];
    for c in blocked {
        let name = c.name();
        if !matches!(t.syscall(c), Ok(Started::Blocked(_))) {
            return Err(format!("{name} did not block").into());
        }
    }
    let epfd = call(&mut t, Syscall::EpollCreate { size: 1, flags: 0 })?.ret as i32;
    if !matches!(
        t.syscall(Syscall::EpollWait {
            epfd,
            max_events: 1,
            timeout_ms: -1
        }),
        Ok(Started::Blocked(_))
    ) {
        return Err("epoll_wait did not block".into());
    }
    drop(t);
    let left = threads_in(inode);
    if !left.is_empty() {
        return Err(format!("threads still in the namespace after drop: {left:?}").into());
    }
    let fds_after = open_fds();
    let leaked: Vec<_> = fds_after.difference(&fds_before).collect();
    if !leaked.is_empty() {
        return Err(format!("fds left open after drop: {leaked:?}").into());
    }
    Ok(())
}

/// This process's open fds and what they point at.
fn open_fds() -> BTreeSet<String> {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    std::fs::read_link(e.path())
                        .ok()
                        .map(|l| format!("{:?} -> {}", e.file_name(), l.display()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn main() {
    if let Ok(v) = std::env::var(CHILD_VAR) {
        let v = ALL_VERSIONS
            .into_iter()
            .find(|x| version_name(*x) == v)
            .unwrap_or(IpVersion::Ipv4);
        child(v);
    }
    let args = Arguments::from_args();
    let mut trials = Vec::new();
    for v in [IpVersion::Ipv4, IpVersion::Ipv6] {
        let n = version_name(v);
        trials.push(Trial::test(
            format!("sigkill_mid_run_leaves_nothing::{n}"),
            move || killed_mid_run(v),
        ));
    }
    trials.push(Trial::test(
        "drop_with_blocked_calls_leaves_nothing",
        || dropped_with_blocked_calls(IpVersion::Ipv4),
    ));
    let trials = support::gate(trials, support::Need::Kernel, check_available());
    // Each trial looks at the whole machine: one at a time.
    let args = Arguments {
        test_threads: Some(1),
        ..args
    };
    libtest_mimic::run(&args, trials).exit();
}
