use super::*;
use crate::run::config::default_net;
use crate::target::IpVersion;
use netdrill_stack::time::Duration;

fn target() -> ReferenceTarget {
    ReferenceTarget::new(&default_net(IpVersion::Ipv4), ProfileChoice::Linux)
}

fn cmd(text: &str, dir: &Path) -> Command {
    Command {
        text: text.into(),
        dir: dir.to_path_buf(),
    }
}

use std::path::Path;

#[test]
fn waiting_with_nothing_to_do_jumps_to_the_deadline() {
    let mut t = target();
    let wall = std::time::Instant::now();
    assert_eq!(t.next_event(Instant::from_micros(3_000_000)).unwrap(), None);
    assert_eq!(t.now(), Instant::from_micros(3_000_000));
    assert!(wall.elapsed() < std::time::Duration::from_secs(1));
    // Time never goes back.
    assert_eq!(t.next_event(Instant::from_micros(1)).unwrap(), None);
    assert_eq!(t.now(), Instant::from_micros(3_000_000));
}

/// Opens a connection to an unanswering peer and collects what the stack
/// sends in the first `secs` seconds: SYN retransmissions at the times its
/// RTO timer says, found by jumping from one wake-up to the next.
fn syn_retransmissions(secs: u64) -> Vec<(Instant, Vec<u8>)> {
    let mut t = target();
    let fd = match t
        .syscall(Syscall::Socket {
            domain: 2,
            ty: 1 | 0o4000,
            protocol: 0,
        })
        .unwrap()
    {
        Started::Done(r) => r.ret as i32,
        other => panic!("{other:?}"),
    };
    let addr = "192.0.2.1:8080".parse().ok();
    let r = t.syscall(Syscall::Connect { fd, addr }).unwrap();
    assert!(
        matches!(r, Started::Done(ref r) if r.errno == Some(115)),
        "{r:?}"
    );
    let deadline = Instant::ZERO + Duration::from_secs(secs);
    let mut out = Vec::new();
    while let Some(ev) = t.next_event(deadline).unwrap() {
        if let Event::Packet { at, bytes } = ev {
            out.push((at, bytes));
        }
    }
    out
}

#[test]
fn timers_fire_in_virtual_time_and_runs_repeat_exactly() {
    let wall = std::time::Instant::now();
    let a = syn_retransmissions(10);
    assert!(
        wall.elapsed() < std::time::Duration::from_secs(2),
        "virtual time, not real time"
    );
    assert!(a.len() >= 3, "the SYN and its retransmissions: {}", a.len());
    assert_eq!(a[0].0, Instant::ZERO, "the first SYN goes out at once");
    for w in a.windows(2) {
        assert!(w[1].0 > w[0].0, "retransmissions come later and later");
    }
    assert_eq!(
        a,
        syn_retransmissions(10),
        "same inputs, same packets, same times"
    );
}

#[test]
fn sysctl_commands_change_the_profile() {
    let dir = Path::new(".");
    let mut t = target();
    assert!(t.stack.profile().sack);
    let out = t
        .command(&cmd("sysctl -q net.ipv4.tcp_sack=0", dir))
        .unwrap();
    assert_eq!(out, CommandOutcome::Applied { notes: vec![] });
    assert!(!t.stack.profile().sack);
    t.command(&cmd(
        "sysctl -q net.ipv4.tcp_timestamps=0 net.ipv4.tcp_syn_retries=3",
        dir,
    ))
    .unwrap();
    assert!(!t.stack.profile().timestamps);
    assert_eq!(t.stack.profile().syn_retries, 3);
    t.command(&cmd(
        "sysctl -q net.ipv4.tcp_rmem=\"4096 540000 15728640\"",
        dir,
    ))
    .unwrap();
    assert_eq!(t.stack.profile().rmem, [4096, 540000, 15728640]);
}

#[test]
fn commands_without_meaning_here_are_skipped_or_unsupported() {
    let dir = Path::new(".");
    let mut t = target();
    let out = t
        .command(&cmd(
            "tc qdisc add dev tun0 root pfifo > /dev/null 2>&1",
            dir,
        ))
        .unwrap();
    assert!(
        matches!(&out, CommandOutcome::Applied { notes } if notes.len() == 1 && notes[0].contains("tc qdisc")),
        "{out:?}"
    );
    let out = t.command(&cmd("ip tcp_metrics flush all", dir)).unwrap();
    assert!(
        matches!(&out, CommandOutcome::Applied { notes } if notes.len() == 1),
        "{out:?}"
    );
    for text in [
        "nstat > /dev/null",
        "ip route change 192.0.2.1 via 192.168.0.2 dev tun0 mtu lock 1500",
        "sysctl -q net.ipv4.tcp_fastopen=1",
    ] {
        let out = t.command(&cmd(text, dir)).unwrap();
        let CommandOutcome::Unsupported { reason } = out else {
            panic!("{text}: {out:?}")
        };
        let first = text.split_whitespace().next().unwrap_or_default();
        assert!(
            reason.contains(first) || reason.contains("tcp_fastopen"),
            "{text}: {reason}"
        );
    }
}

#[test]
fn settings_files_apply_line_by_line_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let common = dir.path().join("common");
    std::fs::create_dir(&common).unwrap();
    std::fs::write(
        common.join("defaults.sh"),
        "#!/bin/bash\n# comment\nip tcp_metrics flush all > /dev/null 2>&1\nsysctl -q net.ipv4.tcp_sack=0\nsysctl -q net.ipv4.tcp_frto=2  # not modelled\ntc qdisc add dev tun0 root pfifo > /dev/null 2>&1\n",
    )
    .unwrap();
    let scripts = dir.path().join("tests");
    std::fs::create_dir(&scripts).unwrap();
    let mut t = target();
    let out = t.command(&cmd("../common/defaults.sh", &scripts)).unwrap();
    let CommandOutcome::Applied { notes } = out else {
        panic!("{out:?}")
    };
    assert!(!t.stack.profile().sack);
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("tcp_frto")), "{notes:?}");

    // set_sysctls.py saves the profile; the restore script puts it back.
    let out = t
        .command(&cmd(
            "../common/set_sysctls.py /proc/sys/net/ipv4/tcp_timestamps=0",
            &scripts,
        ))
        .unwrap();
    assert!(matches!(out, CommandOutcome::Applied { .. }), "{out:?}");
    assert!(!t.stack.profile().timestamps);
    t.command(&cmd("/tmp/sysctl_restore_${PPID}.sh", &scripts))
        .unwrap();
    assert!(t.stack.profile().timestamps);
    assert!(
        !t.stack.profile().sack,
        "restored to before set_sysctls.py, not to the defaults"
    );

    // A missing file is unsupported, naming it.
    let out = t.command(&cmd("../common/nope.sh", &scripts)).unwrap();
    assert!(
        matches!(&out, CommandOutcome::Unsupported { reason } if reason.contains("nope.sh")),
        "{out:?}"
    );
}

#[test]
fn features_the_stack_lacks_are_unsupported_not_failed() {
    use crate::run::tests::fake::Seg;
    let mut t = target();
    // A SYN carrying data (TCP Fast Open) from the harness.
    let mut syn = Seg::new("S", 0, 0);
    (syn.sport, syn.dport) = (40000, 8080);
    syn.len = 10;
    let err = t.inject(&syn.bytes()).unwrap_err();
    assert!(
        matches!(&err, TargetError::Unsupported(w) if w.contains("Fast Open")),
        "{err:?}"
    );
    // A plain SYN is delivered.
    syn.len = 0;
    assert_eq!(t.inject(&syn.bytes()), Ok(()));
    // Send flags and socket options the stack does not implement.
    let fd = match t
        .syscall(Syscall::Socket {
            domain: 2,
            ty: 1,
            protocol: 0,
        })
        .unwrap()
    {
        Started::Done(r) => r.ret as i32,
        other => panic!("{other:?}"),
    };
    let send = Syscall::SendTo {
        fd,
        buf: crate::target::Buf::Data(vec![0; 4]),
        len: 4,
        flags: linux::MSG_FASTOPEN as i32,
        addr: None,
        addr_unspec: false,
    };
    assert!(
        matches!(t.syscall(send), Err(TargetError::Unsupported(w)) if w.contains("MSG_FASTOPEN"))
    );
    let opt = Syscall::SetSockOpt {
        fd,
        level: linux::SOL_SOCKET as i32,
        name: linux::SO_ZEROCOPY as i32,
        value: crate::target::Buf::Data(vec![1, 0, 0, 0]),
        len: 4,
    };
    assert!(
        matches!(t.syscall(opt), Err(TargetError::Unsupported(w)) if w.contains("SO_ZEROCOPY"))
    );
    // An option number Linux does not have either is the stack's ENOPROTOOPT.
    let bogus = Syscall::SetSockOpt {
        fd,
        level: linux::SOL_SOCKET as i32,
        name: 9999,
        value: crate::target::Buf::Data(vec![1, 0, 0, 0]),
        len: 4,
    };
    assert!(matches!(t.syscall(bogus), Ok(Started::Done(r)) if r.errno == Some(ENOPROTOOPT)));
}

#[test]
fn null_read_buffers_and_af_unspec_addresses_are_unsupported_not_answered() {
    let mut t = target();
    for call in [
        Syscall::Read {
            fd: 3,
            len: 10,
            buf_null: true,
        },
        Syscall::Recv {
            fd: 3,
            len: 10,
            flags: 0,
            buf_null: true,
        },
        Syscall::RecvFrom {
            fd: 3,
            len: 10,
            flags: 0,
            buf_null: true,
        },
    ] {
        match t.syscall(call) {
            Err(TargetError::Unsupported(what)) => assert!(what.contains("NULL"), "{what}"),
            other => panic!("{other:?}"),
        }
    }
    let unspec = Syscall::SendTo {
        fd: 3,
        buf: crate::target::Buf::Data(vec![]),
        len: 0,
        flags: 0,
        addr: None,
        addr_unspec: true,
    };
    assert!(
        matches!(t.syscall(unspec), Err(TargetError::Unsupported(w)) if w.contains("AF_UNSPEC"))
    );
    // With a buffer, the same call reaches the stack (no such fd).
    let r = t
        .syscall(Syscall::Read {
            fd: 3,
            len: 10,
            buf_null: false,
        })
        .unwrap();
    assert!(
        matches!(r, Started::Done(ref r) if r.errno == Some(9)),
        "{r:?}"
    );
}

/// Files and pipes are not modelled: each call is unsupported, naming it and
/// why, and a script using one is skipped at that line, not failed.
#[test]
fn file_and_pipe_calls_are_unsupported_with_the_reason() {
    let mut t = target();
    let calls = [
        Syscall::Open {
            path: b"/tmp/x".to_vec(),
            flags: 0,
            mode: 0,
        },
        Syscall::Pipe { flags: 0 },
        Syscall::SendFile {
            out_fd: 3,
            in_fd: 4,
            offset: Some(0),
            count: 1,
        },
        Syscall::Splice {
            fd_in: 3,
            off_in: None,
            fd_out: 4,
            off_out: None,
            len: 1,
            flags: 0,
        },
    ];
    for call in calls {
        let name = call.name();
        let err = t.syscall(call).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("unsupported: {name} (files/pipes are not modelled by the reference stack)")
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pipe.pkt");
    std::fs::write(
        &path,
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 pipe([5, 6]) = 0\n",
    )
    .unwrap();
    let factory = crate::run::factory::ReferenceFactory(ProfileChoice::Linux);
    let r = crate::run::run_file(&path, IpVersion::Ipv4, &[], &factory, &|_| {});
    match r.verdict {
        crate::run::Verdict::Unsupported(u) => {
            assert_eq!(
                u.feature,
                "pipe (files/pipes are not modelled by the reference stack)"
            );
            assert_eq!(u.line, Some(2));
        }
        other => panic!("{other:?}"),
    }
}
