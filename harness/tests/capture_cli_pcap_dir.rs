//! `netdrill run --pcap-dir`: one pcap per run, which tshark reads without a
//! complaint, dissects as the IP/TCP/UDP/ICMP we sent, and whose frames go
//! between the script's addresses in the direction our reader says.

mod support;

use libtest_mimic::{Arguments, Failed, Trial};
use netdrill::capture::{self, Direction, pcap_file_name};
use netdrill::report::json;
use netdrill::target::IpVersion;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One script per kind of traffic: TCP both ways (active, passive, RST),
/// UDP, and ICMP port unreachable.
const SCRIPTS: &[&str] = &[
    "corpus/tcp/handshake/active-open.pkt",
    "corpus/tcp/handshake/passive-open.pkt",
    "corpus/tcp/rst/rst-established-econnreset.pkt",
    "corpus/udp/send-recv.pkt",
    "corpus/udp/port-unreachable.pkt",
];

fn main() {
    let args = Arguments::from_args();
    let trials = vec![Trial::test(
        "capture_cli_pcap_dir_tshark_reads_every_run",
        pcap_dir,
    )];
    let trials = support::gate(trials, support::Need::Tshark, support::tshark_available());
    libtest_mimic::run(&args, trials).exit();
}

fn check(cond: bool, msg: impl FnOnce() -> String) -> Result<(), Failed> {
    if cond { Ok(()) } else { Err(msg().into()) }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn pcap_dir() -> Result<(), Failed> {
    let dir = tempfile::tempdir()?;
    let report = dir.path().join("runs.json");
    let out = Command::new(env!("CARGO_BIN_EXE_netdrill"))
        .current_dir(repo())
        .args(["run", "--ip-version", "all", "--pcap-dir"])
        .arg(dir.path())
        .arg("--json")
        .arg(&report)
        .args(SCRIPTS)
        .output()?;
    // Whether the scripts pass is the interpreter's business; the run must
    // have ended with a report (exit 0 or 1, not a usage error).
    check(matches!(out.status.code(), Some(0 | 1)), || {
        format!(
            "netdrill run: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let doc = json::parse(&std::fs::read_to_string(&report)?)?;
    check(doc.runs.len() == SCRIPTS.len() * 3, || {
        format!("{} runs reported", doc.runs.len())
    })?;
    let mut files = vec![];
    for run in &doc.runs {
        if run.verdict == json::VerdictWord::Unsupported {
            continue;
        }
        let ip = match run.ip_version.as_str() {
            "ipv4" => IpVersion::Ipv4,
            "ipv6" => IpVersion::Ipv6,
            _ => IpVersion::Ipv4MappedIpv6,
        };
        let path = dir.path().join(pcap_file_name(Path::new(&run.script), ip));
        check(path.is_file(), || {
            format!("no pcap for {} ({})", run.script, run.ip_version)
        })?;
        let capture = capture::read_file(&path)?;
        check(!capture.packets.is_empty(), || {
            format!("{}: no packets", path.display())
        })?;
        // IPv4-mapped runs carry IPv4 packets like the IPv4 runs: tshark
        // (slow to start) looks at the IPv4 and IPv6 ones.
        if ip != IpVersion::Ipv4MappedIpv6 {
            files.push((path, ip));
        }
    }
    // tshark is slow to start: two at a time.
    let results: Vec<Result<(), String>> = std::thread::scope(|s| {
        let halves: Vec<_> = files
            .chunks(files.len().div_ceil(2).max(1))
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|(p, ip)| tshark_check(p, *ip))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        halves
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![Err("tshark thread panicked".into())])
            })
            .collect()
    });
    let errors: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    check(errors.is_empty(), || errors.join("\n"))
}

/// Reads one pcap with tshark and with our reader, and compares.
fn tshark_check(path: &Path, ip: IpVersion) -> Result<(), String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ours = capture::read_file(path).map_err(|e| e.to_string())?;
    if ours.packets.is_empty() {
        return Err(format!("{name}: no packets"));
    }
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(["-T", "fields", "-E", "separator=/t"])
        .args([
            "-e",
            "frame.protocols",
            "-e",
            "ip.src",
            "-e",
            "ipv6.src",
            "-e",
            "_ws.malformed",
        ])
        .output()
        .map_err(|e| format!("{name}: running tshark: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let complaints: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("Running as user \"root\""))
        .collect();
    if !out.status.success() || !complaints.is_empty() {
        return Err(format!("{name}: tshark {}: {complaints:?}", out.status));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Vec<&str>> = stdout.lines().map(|l| l.split('\t').collect()).collect();
    if rows.len() != ours.packets.len() {
        return Err(format!(
            "{name}: tshark sees {} frames, we read {}",
            rows.len(),
            ours.packets.len()
        ));
    }
    let (local, remote) = match ip {
        IpVersion::Ipv6 => ("fd3d:fa7b:d17d::1", "2001:db8::1"),
        _ => ("192.168.0.1", "192.0.2.1"),
    };
    for (row, p) in rows.iter().zip(&ours.packets) {
        let protocols = row.first().copied().unwrap_or_default();
        let want_ip = if ip == IpVersion::Ipv6 {
            "eth:ethertype:ipv6:"
        } else {
            "eth:ethertype:ip:"
        };
        let transport = ["tcp", "udp", "icmp", "icmpv6"]
            .iter()
            .any(|t| protocols.split(':').any(|x| x == *t));
        if !protocols.starts_with(want_ip) || !transport {
            return Err(format!("{name}: frame {}: protocols {protocols}", p.number));
        }
        if row.get(3).is_some_and(|m| !m.is_empty()) {
            return Err(format!("{name}: frame {}: malformed", p.number));
        }
        // The outer header's source (an ICMP error also lists the quoted one).
        let src = if ip == IpVersion::Ipv6 {
            row.get(2)
        } else {
            row.get(1)
        };
        let src = src.and_then(|s| s.split(',').next());
        let want_src = match p.direction {
            Some(Direction::Inbound) => remote,
            Some(Direction::Outbound) => local,
            None => return Err(format!("{name}: frame {}: no direction", p.number)),
        };
        if src != Some(want_src) {
            return Err(format!(
                "{name}: frame {}: source {src:?}, want {want_src} ({:?})",
                p.number, p.direction
            ));
        }
    }
    Ok(())
}
