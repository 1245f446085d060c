//! `netdrill run` as a user runs it: exit codes, the per-run lines and the
//! closing summary, packetdrill's own options, JUnit/JSON reports, and one
//! pcap per run that tshark reads without complaint.

mod support;

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::Path;
use std::process::{Command, Output};

type Outcome = Result<(), Failed>;

const PASSING: &str = "\
// A passive open and one write.
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0  > S. 0:0(0) ack 1 <...>
+.1 < . 1:1(0) ack 1 win 257
+0  accept(3, ..., ...) = 4
+0  write(4, ..., 100) = 100
+0  > P. 1:101(100) ack 1
";

fn netdrill(dir: &Path, args: &[&str]) -> Result<Output, Failed> {
    Command::new(env!("CARGO_BIN_EXE_netdrill"))
        .current_dir(dir)
        .arg("run")
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .map_err(|e| Failed::from(format!("cannot run netdrill: {e}")))
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn expect(cond: bool, what: impl FnOnce() -> String) -> Outcome {
    if cond { Ok(()) } else { Err(what().into()) }
}

fn scripts(files: &[(&str, &str)]) -> Result<tempfile::TempDir, Failed> {
    let dir = tempfile::tempdir().map_err(|e| Failed::from(e.to_string()))?;
    for (name, body) in files {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Failed::from(e.to_string()))?;
        }
        std::fs::write(path, body).map_err(|e| Failed::from(e.to_string()))?;
    }
    Ok(dir)
}

fn passing_in_every_family() -> Outcome {
    let dir = scripts(&[("a/ok.pkt", PASSING)])?;
    let out = netdrill(dir.path(), &["a"])?;
    let (stdout, stderr) = text(&out);
    expect(out.status.code() == Some(0), || {
        format!("exit {:?}\n{stdout}{stderr}", out.status)
    })?;
    for family in ["ipv4", "ipv4-mapped-ipv6", "ipv6"] {
        let line = format!("PASS  a/ok.pkt ({family})");
        expect(stdout.contains(&line), || {
            format!("no line {line:?} in\n{stdout}")
        })?;
    }
    expect(stdout.ends_with("3 passed, 0 failed, 0 skipped\n"), || {
        format!("summary:\n{stdout}")
    })
}

fn a_failure_exits_one_and_shows_the_diff() -> Outcome {
    let dir = scripts(&[(
        "bad.pkt",
        &PASSING.replace("P. 1:101(100)", "P. 1:201(200)"),
    )])?;
    let out = netdrill(dir.path(), &["--ip-version", "ipv4", "bad.pkt"])?;
    let (stdout, _) = text(&out);
    expect(out.status.code() == Some(1), || {
        format!("exit {:?}\n{stdout}", out.status)
    })?;
    expect(stdout.contains("FAIL  bad.pkt (ipv4)"), || stdout.clone())?;
    expect(stdout.contains("bad.pkt:11"), || {
        format!("no script line in\n{stdout}")
    })?;
    expect(
        stdout.contains("1:201(200)") && stdout.contains("1:101(100)"),
        || format!("no side-by-side seq in\n{stdout}"),
    )?;
    expect(stdout.ends_with("0 passed, 1 failed, 0 skipped\n"), || {
        stdout.clone()
    })
}

fn unsupported_is_skipped_and_does_not_fail() -> Outcome {
    let dir = scripts(&[
        ("u.pkt", "0 tee(4, 6, 1, 0) = 0\n"),
        (
            "only-v6.pkt",
            "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n",
        ),
    ])?;
    let out = netdrill(dir.path(), &["--ip-version", "ipv4", "u.pkt"])?;
    let (stdout, _) = text(&out);
    expect(out.status.code() == Some(0), || {
        format!("exit {:?}\n{stdout}", out.status)
    })?;
    expect(
        stdout.contains("unsupported: syscall tee at line 1"),
        || stdout.clone(),
    )?;
    expect(stdout.ends_with("0 passed, 0 failed, 1 skipped\n"), || {
        stdout.clone()
    })
}

fn packetdrill_options_are_accepted_as_packetdrill_spells_them() -> Outcome {
    let script = PASSING.replace("write(4, ..., 100) = 100", "write(4, ..., LEN) = LEN");
    let dir = scripts(&[("d.pkt", &script)])?;
    let out = netdrill(
        dir.path(),
        &[
            "--send_omit_free",
            "--ip_version=ipv4",
            "--local_ip=192.168.0.1",
            "--gateway_ip=192.168.0.1",
            "--netmask_ip=255.255.0.0",
            "--remote_ip=192.0.2.1",
            "--tolerance_usecs=10000",
            "-D",
            "LEN=100",
            "d.pkt",
        ],
    )?;
    let (stdout, stderr) = text(&out);
    expect(out.status.code() == Some(0), || {
        format!("exit {:?}\n{stdout}{stderr}", out.status)
    })?;
    expect(
        stdout.contains("PASS  d.pkt (ipv4)") && !stdout.contains("ipv6"),
        || stdout.clone(),
    )?;
    expect(stderr.matches("send_omit_free").count() == 1, || {
        format!("the no-effect note once:\n{stderr}")
    })?;
    let out = netdrill(dir.path(), &["--no_such_option=1", "d.pkt"])?;
    let (_, stderr) = text(&out);
    expect(out.status.code() == Some(2), || {
        format!("exit {:?}", out.status)
    })?;
    expect(stderr.contains("no_such_option"), || stderr.clone())
}

fn reports_and_pcaps_are_written() -> Outcome {
    let dir = scripts(&[
        ("ok.pkt", PASSING),
        (
            "bad.pkt",
            &PASSING.replace("ack 1 win 257", "ack 2 win 257"),
        ),
    ])?;
    let out = netdrill(
        dir.path(),
        &[
            "--ip-version",
            "ipv4",
            "-j",
            "2",
            "--junit",
            "j.xml",
            "--json",
            "r.json",
            "--pcap-dir",
            "caps",
            ".",
        ],
    )?;
    expect(out.status.code() == Some(1), || {
        format!("exit {:?}", out.status)
    })?;
    let junit = std::fs::read_to_string(dir.path().join("j.xml"))
        .map_err(|e| Failed::from(e.to_string()))?;
    expect(
        junit.contains("<testsuite") && junit.contains("failure"),
        || junit.clone(),
    )?;
    let json = std::fs::read_to_string(dir.path().join("r.json"))
        .map_err(|e| Failed::from(e.to_string()))?;
    let doc = netdrill::report::json::parse(&json).map_err(|e| Failed::from(format!("{e:?}")))?;
    expect(doc.runs.len() == 2, || {
        format!("{} runs in the JSON report", doc.runs.len())
    })?;
    let caps: Vec<_> = std::fs::read_dir(dir.path().join("caps"))
        .map_err(|e| Failed::from(e.to_string()))?
        .flatten()
        .collect();
    expect(caps.len() == 2, || format!("{} pcaps", caps.len()))?;
    let ok = dir.path().join("caps").join("ok.pkt.ipv4.pcap");
    let capture =
        netdrill::capture::reader::read_file(&ok).map_err(|e| Failed::from(format!("{e:?}")))?;
    // SYN, SYN-ACK, ACK, data: every packet in and out, in order.
    expect(capture.packets.len() == 4, || {
        format!("{} packets in {}", capture.packets.len(), ok.display())
    })
}

fn tshark_reads_the_pcaps_cleanly() -> Outcome {
    let dir = scripts(&[("ok.pkt", PASSING)])?;
    let out = netdrill(dir.path(), &["--pcap-dir", "caps", "ok.pkt"])?;
    expect(out.status.code() == Some(0), || {
        format!("exit {:?}", out.status)
    })?;
    for family in ["ipv4", "ipv4-mapped-ipv6", "ipv6"] {
        let pcap = dir
            .path()
            .join("caps")
            .join(format!("ok.pkt.{family}.pcap"));
        let t = Command::new("tshark")
            .arg("-r")
            .arg(&pcap)
            .output()
            .map_err(|e| Failed::from(e.to_string()))?;
        let (stdout, stderr) = text(&t);
        // tshark's note about running as root is not about the file.
        let warnings: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("Running as user \"root\""))
            .collect();
        expect(t.status.success() && warnings.is_empty(), || {
            format!("tshark on {}: {warnings:?}", pcap.display())
        })?;
        expect(stdout.lines().count() == 4, || {
            format!("tshark saw:\n{stdout}")
        })?;
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let mut trials = vec![
        Trial::test("run_cli::passing_in_every_family", passing_in_every_family),
        Trial::test(
            "run_cli::a_failure_exits_one_and_shows_the_diff",
            a_failure_exits_one_and_shows_the_diff,
        ),
        Trial::test(
            "run_cli::unsupported_is_skipped_and_does_not_fail",
            unsupported_is_skipped_and_does_not_fail,
        ),
        Trial::test(
            "run_cli::packetdrill_options_are_accepted_as_packetdrill_spells_them",
            packetdrill_options_are_accepted_as_packetdrill_spells_them,
        ),
        Trial::test(
            "run_cli::reports_and_pcaps_are_written",
            reports_and_pcaps_are_written,
        ),
    ];
    let tshark = vec![Trial::test(
        "run_cli::tshark_reads_the_pcaps_cleanly",
        tshark_reads_the_pcaps_cleanly,
    )];
    trials.extend(support::gate(
        tshark,
        support::Need::Tshark,
        support::tshark_available(),
    ));
    libtest_mimic::run(&args, trials).exit();
}
