use super::fake::*;
use crate::run::config::RunConfig;
use crate::run::mapping::FIRST_REMOTE_PORT;
use crate::run::verdict::*;
use crate::target::{CommandOutcome, IpVersion, Syscall, SyscallOutput, SyscallResult};
use netdrill_stack::linux::TcpInfo;
use netdrill_stack::time::{Duration, Instant};
use netdrill_stack::wire::TcpOption;
use std::path::Path;

fn play(src: &str, fake: &mut Fake) -> RunResult {
    play_with(src, fake, &[])
}

fn play_with(src: &str, fake: &mut Fake, cli: &[(String, Option<String>)]) -> RunResult {
    let script = crate::script::parse(src).unwrap_or_else(|d| panic!("parse: {d:?}"));
    let opts: Vec<_> = script
        .options
        .iter()
        .map(|o| (o.name.clone(), o.value.clone()))
        .collect();
    let mut cfg = RunConfig::new(IpVersion::Ipv4, &opts, cli).expect("config");
    cfg.trace = true;
    crate::run::run(&script, Path::new("t/x.pkt"), fake, &cfg)
}

fn ok(ret: i64) -> Reply {
    Reply::Now(SyscallResult::ok(ret))
}

const ISN: u32 = 0xfff0_0000;

const SERVER: &str = "
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 1) = 0
+0  < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
+0  > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
+.1 < . 1:1(0) ack 1 win 257
+0  accept(3, ..., ...) = 4
+0  write(4, ..., 1000) = 1000
+0  > P. 1:1001(1000) ack 1
";

/// A fake that plays a correct server side for `SERVER`.
fn server_fake() -> Fake {
    let mut f = Fake::new();
    f.replies.extend([ok(3), ok(0), ok(0)]);
    let mut synack = Seg::new("S.", ISN, 1);
    synack.options = vec![
        TcpOption::Mss(1460),
        TcpOption::Nop,
        TcpOption::WindowScale(8),
    ];
    f.on_inject
        .push_back(vec![(Duration::from_micros(50), synack.bytes())]);
    f.on_inject.push_back(vec![]);
    f.replies.push_back(ok(4));
    f.replies.push_back(ok(1000));
    f
}

#[test]
fn a_correct_server_run_passes_and_every_event_counts() {
    let mut f = server_fake();
    // The data segment goes out right after write().
    let mut data = Seg::new("P.", ISN.wrapping_add(1), 1);
    data.len = 1000;
    f.send_at(Instant::from_micros(100_100), data.bytes());
    let r = play(SERVER, &mut f);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    assert_eq!((r.events_executed, r.events_total), (9, 9));
    // The SYN went to the bound port from a fresh remote port, as written.
    let (src, dst, syn) = tcp_of(&f.injected[0].1);
    assert_eq!((src, dst), (REMOTE, LOCAL));
    assert_eq!(
        (syn.src_port, syn.dst_port, syn.seq, syn.window),
        (FIRST_REMOTE_PORT, 8080, 0, 32792)
    );
    assert_eq!(syn.options.mss(), Some(1000));
    // The ACK's ack number is shifted into the stack's numbering.
    let (_, _, ack) = tcp_of(&f.injected[1].1);
    assert_eq!(ack.ack, ISN.wrapping_add(1));
    assert_eq!(
        f.injected[1].0,
        Instant::from_micros(100_050),
        "+.1 after the SYN-ACK arrived"
    );
    // bind(..., ...) means the local address and the default port.
    assert!(
        matches!(&f.calls[1], crate::target::Syscall::Bind { addr: Some(a), .. } if a.to_string() == "192.168.0.1:8080")
    );
    assert_eq!(r.packets.len(), 4, "2 in, 2 out traced");
}

#[test]
fn a_wrong_field_fails_with_both_packets_in_script_numbering() {
    let mut f = server_fake();
    let mut data = Seg::new("P.", ISN.wrapping_add(1), 1);
    data.len = 500;
    f.send_at(Instant::from_micros(100_100), data.bytes());
    let r = play(SERVER, &mut f);
    let Verdict::Fail(fl) = &r.verdict else {
        panic!("{}", r.verdict)
    };
    assert_eq!(fl.line, 10);
    assert_eq!(fl.kind, FailureKind::PacketMismatch);
    assert_eq!(fl.expected.as_deref(), Some("> P. 1:1001(1000) ack 1"));
    assert_eq!(
        fl.actual.as_deref(),
        Some("> P. 1:501(500) ack 1 win 65535")
    );
    assert_eq!(fl.fields.len(), 1);
    assert_eq!(
        (
            fl.fields[0].field.as_str(),
            fl.fields[0].expected.as_str(),
            fl.fields[0].actual.as_str()
        ),
        ("seq", "1:1001(1000)", "1:501(500)")
    );
    assert_eq!(fl.actual_time, Some(Instant::from_micros(100_100)));
    assert!(fl.expected_time.is_some());
    assert_eq!(r.events_executed, 8, "stopped at the failing line");
}

#[test]
fn a_packet_that_never_comes_is_missing() {
    let mut f = server_fake();
    let r = play(SERVER, &mut f);
    let Verdict::Fail(fl) = &r.verdict else {
        panic!("{}", r.verdict)
    };
    assert_eq!(fl.kind, FailureKind::MissingPacket);
    assert_eq!(fl.line, 10);
    // Waited until the window closed (4 ms tolerance), no longer.
    assert_eq!(fl.actual_time, Some(Instant::from_micros(100_050 + 4000)));
}

#[test]
fn timing_is_checked_with_the_tolerance() {
    for (delay, pass) in [
        (3_999u64, true),
        (4_000, true),
        (4_001, false),
        (60_000, false),
    ] {
        let mut f = server_fake();
        let mut data = Seg::new("P.", ISN.wrapping_add(1), 1);
        data.len = 1000;
        f.send_at(Instant::from_micros(100_050 + delay), data.bytes());
        let r = play(SERVER, &mut f);
        assert_eq!(r.verdict.is_pass(), pass, "delay {delay}: {}", r.verdict);
        if !pass {
            let Verdict::Fail(fl) = &r.verdict else {
                panic!()
            };
            assert!(
                matches!(fl.kind, FailureKind::MissingPacket | FailureKind::Timing),
                "{fl}"
            );
        }
    }
    // A wider tolerance from a script option line lets the late one pass.
    let mut f = server_fake();
    let mut data = Seg::new("P.", ISN.wrapping_add(1), 1);
    data.len = 1000;
    f.send_at(Instant::from_micros(160_050), data.bytes());
    let r = play(&format!("--tolerance_usecs=70000\n{SERVER}"), &mut f);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
}

#[test]
fn an_extra_packet_is_unexpected() {
    let mut f = server_fake();
    // A stray ACK before the data the script expects.
    f.send_at(
        Instant::from_micros(100_060),
        Seg::new(".", ISN.wrapping_add(1), 1).bytes(),
    );
    let mut data = Seg::new("P.", ISN.wrapping_add(1), 1);
    data.len = 1000;
    f.send_at(Instant::from_micros(100_100), data.bytes());
    let r = play(SERVER, &mut f);
    let Verdict::Fail(fl) = &r.verdict else {
        panic!("{}", r.verdict)
    };
    assert_eq!(fl.kind, FailureKind::PacketMismatch, "{fl}");
    assert_eq!(fl.actual.as_deref(), Some("> . 1:1(0) ack 1 win 65535"));

    // A stray packet after the last outbound line is not compared (as in
    // packetdrill) but noted.
    let mut f = server_fake();
    let mut data = Seg::new("P.", ISN.wrapping_add(1), 1);
    data.len = 1000;
    f.send_at(Instant::from_micros(100_100), data.bytes());
    f.send_at(
        Instant::from_micros(150_000),
        Seg::new(".", ISN.wrapping_add(1001), 1).bytes(),
    );
    f.replies.push_back(ok(0));
    let r = play(&format!("{SERVER}+.1 close(4) = 0\n"), &mut f);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    assert!(
        r.notes
            .iter()
            .any(|n| n.text.contains("does not list") && n.text.contains("1001:1001(0)")),
        "{:?}",
        r.notes
    );

    // A packet caused by the last event itself is not held against the script.
    let mut f = server_fake();
    f.send_at(Instant::from_micros(100_100), data.bytes());
    f.send_at(
        Instant::from_micros(200_100),
        Seg::new("F.", ISN.wrapping_add(1001), 1).bytes(),
    );
    f.replies.push_back(ok(0));
    let r = play(&format!("{SERVER}+.1 close(4) = 0\n"), &mut f);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
}

#[test]
fn an_early_packet_that_differs_is_reported_as_unexpected() {
    let mut f = server_fake();
    let mut data = Seg::new("P.", ISN.wrapping_add(1), 1);
    data.len = 1000;
    f.send_at(Instant::from_micros(100_100), data.bytes());
    let src = SERVER.replace("+0  > P. 1:1001(1000) ack 1", "+.5 > P. 1:2001(2000) ack 1");
    let r = play(&src, &mut f);
    let Verdict::Fail(fl) = &r.verdict else {
        panic!("{}", r.verdict)
    };
    assert_eq!(fl.kind, FailureKind::UnexpectedPacket, "{fl}");
}

#[test]
fn syscall_results_and_errnos_are_checked() {
    let mut f = Fake::new();
    f.replies
        .extend([ok(3), Reply::Now(SyscallResult::err(115))]);
    let r = play(
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 connect(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)\n",
        &mut f,
    );
    let Verdict::Fail(fl) = &r.verdict else {
        panic!("{}", r.verdict)
    };
    assert_eq!((fl.kind, fl.line), (FailureKind::Syscall, 2));
    assert_eq!(fl.fields[0].field, "errno");
    assert_eq!(fl.fields[0].expected, "EAGAIN");
    assert_eq!(fl.fields[0].actual, "EINPROGRESS");
    assert!(
        matches!(&f.calls[1], crate::target::Syscall::Connect { addr: Some(a), .. } if a.to_string() == "192.0.2.1:8080")
    );
}

#[test]
fn script_fds_are_mapped_to_live_fds() {
    let mut f = Fake::new();
    f.replies.extend([ok(7), ok(0), ok(0)]);
    let r = play(
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n+0 close(3) = 0\n",
        &mut f,
    );
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    assert!(matches!(
        f.calls[1],
        crate::target::Syscall::Listen { fd: 7, backlog: 1 }
    ));
    assert!(matches!(
        f.calls[2],
        crate::target::Syscall::Close { fd: 7 }
    ));
}

#[test]
fn blocking_calls_must_return_inside_their_end_window() {
    let src = "0 read(3, ..., 10) = 10\n";
    let blocking = "0 ...0.100 read(3, ..., 10) = 10\n";
    let table = [
        (src, Reply::Now(SyscallResult::ok(10)), true),
        (
            src,
            Reply::After(Duration::from_millis(3), SyscallResult::ok(10)),
            true,
        ),
        (
            src,
            Reply::After(Duration::from_millis(50), SyscallResult::ok(10)),
            false,
        ),
        (
            blocking,
            Reply::After(Duration::from_millis(100), SyscallResult::ok(10)),
            true,
        ),
        (
            blocking,
            Reply::After(Duration::from_millis(120), SyscallResult::ok(10)),
            false,
        ),
        (blocking, Reply::Now(SyscallResult::ok(10)), false),
    ];
    for (script, reply, pass) in table {
        let mut f = Fake::new();
        f.replies.push_back(reply.clone());
        let r = play(script, &mut f);
        assert_eq!(
            r.verdict.is_pass(),
            pass,
            "{script} {reply:?}: {}",
            r.verdict
        );
        if !pass {
            let Verdict::Fail(fl) = &r.verdict else {
                panic!()
            };
            assert_eq!(fl.kind, FailureKind::Blocking, "{fl}");
        }
    }
}

#[test]
fn a_blocking_call_returns_when_a_later_inbound_packet_unblocks_it() {
    let mut f = server_fake();
    let mut data = Seg::new("P.", ISN.wrapping_add(1), 1);
    data.len = 1000;
    f.send_at(Instant::from_micros(100_100), data.bytes());
    f.on_inject.push_back(vec![]);
    f.replies.push_back(Reply::OnInject(SyscallResult::ok(100)));
    let src = format!(
        "{SERVER}+0...0.200 read(4, ..., 1000) = 100\n+.2 < P. 1:101(100) ack 1001 win 257\n"
    );
    let r = play(&src, &mut f);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    let (_, _, seg) = tcp_of(&f.injected[2].1);
    assert_eq!(seg.ack, ISN.wrapping_add(1001));
    assert_eq!(seg.payload.len(), 100);
}

#[test]
fn end_times_count_from_the_same_origin_as_the_start() {
    // packetdrill's blocking-read: the call starts +.1 after the previous
    // event and returns ...0.2 after that same event.
    let table = [
        (
            "0 write(3, ..., 1) = 1\n+.1...0.200 read(3, ..., 10) = 10\n",
            100,
            true,
        ),
        (
            "0 write(3, ..., 1) = 1\n+.1...0.200 read(3, ..., 10) = 10\n",
            200,
            false,
        ),
        (
            "0 write(3, ..., 1) = 1\n0.1...0.300 read(3, ..., 10) = 10\n",
            200,
            true,
        ),
        (
            "0 write(3, ..., 1) = 1\n+.1...+0.050 read(3, ..., 10) = 10\n",
            50,
            true,
        ),
    ];
    for (src, after_ms, pass) in table {
        let mut f = Fake::new();
        f.replies.push_back(ok(1));
        f.replies.push_back(Reply::After(
            Duration::from_millis(after_ms),
            SyscallResult::ok(10),
        ));
        let r = play(src, &mut f);
        assert_eq!(
            r.verdict.is_pass(),
            pass,
            "{src} returning after {after_ms} ms: {}",
            r.verdict
        );
    }
}

#[test]
fn commands_the_target_cannot_honour_make_the_script_unsupported() {
    let mut f = Fake::new();
    f.commands.push_back(CommandOutcome::Unsupported {
        reason: "command `nstat`".into(),
    });
    f.replies.push_back(ok(3));
    let r = play(
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `nstat`\n+0 close(3) = 0\n",
        &mut f,
    );
    assert_eq!(
        r.verdict,
        Verdict::Unsupported(Unsupported {
            feature: "command `nstat`".into(),
            line: Some(2)
        })
    );
    assert!(!r.verdict.is_failure());
    let mut f = Fake::new();
    f.commands.push_back(CommandOutcome::Ran {
        status: 1,
        output: "boom".into(),
    });
    let r = play("`false`\n0 `true`\n", &mut f);
    let Verdict::Fail(fl) = &r.verdict else {
        panic!("{}", r.verdict)
    };
    assert_eq!(fl.kind, FailureKind::Command);
    assert_eq!(r.events_executed, 0);
}

#[test]
fn unknown_syscalls_and_symbols_are_unsupported_by_name() {
    let mut f = Fake::new();
    let r = play("0 tee(4, 6, 1, 0) = 0\n", &mut f);
    assert_eq!(
        r.verdict,
        Verdict::Unsupported(Unsupported {
            feature: "syscall tee".into(),
            line: Some(1)
        })
    );
    let r = play("0 socket(..., SOCK_WEIRD, 0) = 3\n", &mut Fake::new());
    assert_eq!(
        r.verdict,
        Verdict::Unsupported(Unsupported {
            feature: "symbol SOCK_WEIRD".into(),
            line: Some(1)
        })
    );
}

#[test]
fn code_blocks_check_tcp_info_of_the_socket_under_test() {
    let mut info = TcpInfo::new();
    info.set("snd_cwnd", 10);
    let reply = || {
        Reply::Now(SyscallResult::with(
            0,
            SyscallOutput::OptVal(info.to_bytes()),
        ))
    };
    let src = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 %{ assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd }%\n";
    let mut f = Fake::new();
    f.replies.extend([ok(3), reply()]);
    assert_eq!(play(src, &mut f).verdict, Verdict::Pass);
    assert!(matches!(
        f.calls[1],
        crate::target::Syscall::GetSockOpt {
            fd: 3,
            level: 6,
            name: 11,
            ..
        }
    ));
    let mut f = Fake::new();
    f.replies.extend([ok(3), reply()]);
    let r = play(&src.replace("== 10", "== 12"), &mut f);
    let Verdict::Fail(fl) = &r.verdict else {
        panic!("{}", r.verdict)
    };
    assert_eq!((fl.kind, fl.line), (FailureKind::Assertion, 2));
    assert!(
        fl.actual
            .as_deref()
            .unwrap_or("")
            .contains("tcpi_snd_cwnd=10"),
        "{fl}"
    );
    let mut f = Fake::new();
    f.replies.extend([ok(3)]);
    let r = play(&src.replace("assert", "import os;assert"), &mut f);
    assert!(
        matches!(
            r.verdict,
            Verdict::Unsupported(Unsupported { line: Some(2), .. })
        ),
        "{}",
        r.verdict
    );
}

#[test]
fn timestamps_are_mapped_between_script_and_stack_clocks() {
    let mut f = Fake::new();
    f.replies.extend([ok(3), ok(0), ok(0)]);
    let mut synack = Seg::new("S.", ISN, 1);
    synack.options = vec![TcpOption::Timestamps {
        tsval: 777_000,
        tsecr: 100,
    }];
    f.on_inject
        .push_back(vec![(Duration::ZERO, synack.bytes())]);
    let mut ack = Seg::new(".", ISN.wrapping_add(1), 11);
    ack.options = vec![
        TcpOption::Nop,
        TcpOption::Nop,
        TcpOption::Timestamps {
            tsval: 777_001,
            tsecr: 101,
        },
    ];
    f.on_inject.push_back(vec![(Duration::ZERO, ack.bytes())]);
    let src = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 1000 <TS val 100 ecr 0>
+0 > S. 0:0(0) ack 1 <TS val 5000 ecr 100>
+0 < P. 1:11(10) ack 1 win 1000 <nop,nop,TS val 101 ecr 5000>
+0 > . 1:1(0) ack 11 <nop,nop,TS val 5001 ecr 101>
";
    let r = play(src, &mut f);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    let (_, _, data) = tcp_of(&f.injected[1].1);
    assert_eq!(
        data.options.timestamps(),
        Some((101, 777_000)),
        "ecr translated into the stack's clock"
    );

    // With the TS clock rate given, a val far off the clock fails.
    let mut f = Fake::new();
    f.replies.extend([ok(3), ok(0), ok(0)]);
    f.on_inject
        .push_back(vec![(Duration::ZERO, synack.bytes())]);
    let mut ack = Seg::new(".", ISN.wrapping_add(1), 11);
    ack.options = vec![
        TcpOption::Nop,
        TcpOption::Nop,
        TcpOption::Timestamps {
            tsval: 778_000,
            tsecr: 101,
        },
    ];
    f.on_inject.push_back(vec![(Duration::ZERO, ack.bytes())]);
    let r = play_with(
        src,
        &mut f,
        &[("tcp_ts_tick_usecs".into(), Some("1000".into()))],
    );
    let Verdict::Fail(fl) = &r.verdict else {
        panic!("{}", r.verdict)
    };
    assert_eq!(fl.fields[0].field, "options");
    assert!(
        fl.actual
            .as_deref()
            .unwrap_or("")
            .contains("TS val 6000 ecr 101"),
        "{fl}"
    );
}

#[test]
fn ecn_and_options_in_order_are_compared_when_written() {
    let mut f = Fake::new();
    f.replies.extend([ok(3), ok(0), ok(0)]);
    let mut synack = Seg::new("S.", ISN, 1);
    synack.options = vec![TcpOption::Nop, TcpOption::Mss(1460)];
    f.on_inject
        .push_back(vec![(Duration::ZERO, synack.bytes())]);
    let src = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 1000
+0 > [ect0] S. 0:0(0) ack 1 <mss 1460,nop>
";
    let r = play(src, &mut f);
    let Verdict::Fail(fl) = &r.verdict else {
        panic!("{}", r.verdict)
    };
    let fields: Vec<&str> = fl.fields.iter().map(|d| d.field.as_str()).collect();
    assert_eq!(fields, ["ecn", "options"]);
    assert_eq!(fl.fields[1].actual, "<nop,mss 1460>");
    // `<...>` accepts any options; no IP attribute means ECN is not checked.
    let mut f = Fake::new();
    f.replies.extend([ok(3), ok(0), ok(0)]);
    f.on_inject
        .push_back(vec![(Duration::ZERO, synack.bytes())]);
    let r = play(
        &src.replace("[ect0] ", "")
            .replace("<mss 1460,nop>", "<...>"),
        &mut f,
    );
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
}

#[test]
fn any_time_waits_for_the_packet_whenever_it_comes() {
    let mut f = server_fake();
    let mut data = Seg::new("P.", ISN.wrapping_add(1), 1);
    data.len = 1000;
    f.send_at(Instant::from_micros(3_000_000), data.bytes());
    let src = SERVER.replace("+0  > P. 1:1001(1000) ack 1", "* > P. 1:1001(1000) ack 1");
    let r = play(&src, &mut f);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    assert_eq!(r.target_time, Instant::from_micros(3_000_000));
}

#[test]
fn mss_sized_segments_match_a_gso_line_unless_strict_segments() {
    let src = SERVER
        .replace("write(4, ..., 1000) = 1000", "write(4, ..., 3000) = 3000")
        .replace("> P. 1:1001(1000) ack 1", "> P. 1:3001(3000) ack 1");
    let fake = || {
        let mut f = server_fake();
        f.replies.pop_back();
        f.replies.push_back(ok(3000));
        for (i, flags) in [".", ".", "P."].into_iter().enumerate() {
            let mut s = Seg::new(flags, ISN.wrapping_add(1 + 1000 * i as u32), 1);
            s.len = 1000;
            f.send_at(Instant::from_micros(100_100), s.bytes());
        }
        f
    };
    let r = play(&src, &mut fake());
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    let r = play(&format!("--strict_segments\n{src}"), &mut fake());
    let Verdict::Fail(fl) = &r.verdict else {
        panic!("{}", r.verdict)
    };
    assert_eq!(
        fl.actual.as_deref(),
        Some("> . 1:1001(1000) ack 1 win 65535")
    );
}

#[test]
fn numbers_after_a_syn_count_from_the_isn_the_syn_line_names() {
    // packetdrill's TFO client scripts: the harness's ISN is 123, so the
    // stack's `ack 1` is 124 on the wire and the harness's `1:1(0)` is 124.
    let mut f = Fake::new();
    f.replies
        .extend([ok(3), Reply::Now(SyscallResult::err(115))]);
    let mut syn = Seg::new("S", ISN, 0);
    (syn.sport, syn.dport) = (33_000, 8080);
    f.send_at(Instant::ZERO, syn.bytes());
    let mut ack = Seg::new(".", ISN.wrapping_add(1), 124);
    (ack.sport, ack.dport) = (33_000, 8080);
    f.on_inject.push_back(vec![(Duration::ZERO, ack.bytes())]);
    f.on_inject.push_back(vec![]);
    let src = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0)
+.01 < S. 123:123(0) ack 1 win 5840
+0 > . 1:1(0) ack 1
+.01 < F. 1:1(0) ack 1 win 92
";
    let r = play(src, &mut f);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    let (_, _, synack) = tcp_of(&f.injected[0].1);
    assert_eq!((synack.seq, synack.ack), (123, ISN.wrapping_add(1)));
    let (_, _, fin) = tcp_of(&f.injected[1].1);
    assert_eq!((fin.seq, fin.ack), (124, ISN.wrapping_add(1)));
}

#[test]
fn packets_of_connections_not_under_test_are_passed_over() {
    let mut f = server_fake();
    let mut data = Seg::new("P.", ISN.wrapping_add(1), 1);
    data.len = 1000;
    f.send_at(Instant::from_micros(100_100), data.bytes());
    // close(4) at 0.2; socket 5 connects at 0.3: the old connection's FIN
    // comes out right before the new SYN.
    f.replies
        .extend([ok(0), ok(5), Reply::Now(SyscallResult::err(115))]);
    f.send_at(
        Instant::from_micros(300_000),
        Seg::new("F.", ISN.wrapping_add(1001), 1).bytes(),
    );
    let mut syn = Seg::new("S", 777, 0);
    (syn.sport, syn.dport) = (33_000, 8080);
    f.send_at(Instant::from_micros(300_000), syn.bytes());
    let src = format!(
        "{SERVER}+.1 close(4) = 0\n+.1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5\n+0 connect(5, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n+0 > S 0:0(0)\n"
    );
    let r = play(&src, &mut f);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    assert!(
        r.notes
            .iter()
            .any(|n| n.text.contains("another connection") && n.text.contains("F.")),
        "{:?}",
        r.notes
    );
    // With its socket still open the FIN is passed over all the same: only
    // the socket under test (here socket 5, connecting) counts, as in
    // packetdrill, which never reads packets of other sockets.
    let mut f = server_fake();
    f.send_at(Instant::from_micros(100_100), data.bytes());
    f.send_at(
        Instant::from_micros(100_200),
        Seg::new("F.", ISN.wrapping_add(1001), 1).bytes(),
    );
    f.replies
        .extend([ok(5), Reply::Now(SyscallResult::err(115))]);
    f.send_at(Instant::from_micros(300_000), syn.bytes());
    let src = format!(
        "{SERVER}+.2 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5\n+0 connect(5, ..., ...) = -1 EINPROGRESS (Operation now in progress)\n+0 > S 0:0(0)\n"
    );
    let r = play(&src, &mut f);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    assert!(
        r.notes
            .iter()
            .any(|n| n.text.contains("another connection")),
        "{:?}",
        r.notes
    );
    // But the FIN of the socket under test itself is compared: an extra
    // packet there fails.
    let mut f = server_fake();
    f.send_at(Instant::from_micros(100_100), data.bytes());
    f.send_at(
        Instant::from_micros(100_200),
        Seg::new("F.", ISN.wrapping_add(1001), 1).bytes(),
    );
    let src = format!("{SERVER}+.1 < . 1:1(0) ack 1001 win 257\n+0 > . 1001:1001(0) ack 1\n");
    assert!(matches!(play(&src, &mut f).verdict, Verdict::Fail(_)));
}

/// Two handshakes on one listener from named remote ports: each has its own
/// ISN, inbound packets go out from their port, and an outbound line naming
/// one port does not accept a packet to the other.
const TWO_PORTS: &str = "
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0  bind(3, ..., ...) = 0
+0  listen(3, 2) = 0
+0  < (port 40001) S 0:0(0) win 32792 <mss 1000>
+0  > (port 40001) S. 0:0(0) ack 1 <mss 1460>
+0  < (port 40002) S 100:100(0) win 32792 <mss 1000>
+0  > (port 40002) S. 0:0(0) ack 101 <mss 1460>
+.1 < (port 40002) . 1:1(0) ack 1 win 257
+0  < (port 40001) . 1:1(0) ack 1 win 257
+0  accept(3, ..., ...) = 4
+0  accept(3, ..., ...) = 5
+0  < (port 40002) P. 1:11(10) ack 1 win 257
+0  > (port 40002) . 1:1(0) ack 11
";

fn two_ports_fake(ack_port: u16) -> Fake {
    let mut f = Fake::new();
    f.replies.extend([ok(3), ok(0), ok(0)]);
    let synack = |port: u16, isn: u32, ack: u32| {
        let mut s = Seg::new("S.", isn, ack);
        s.dport = port;
        s.options = vec![TcpOption::Mss(1460)];
        vec![(Duration::from_micros(50), s.bytes())]
    };
    f.on_inject.push_back(synack(40_001, ISN, 1));
    f.on_inject.push_back(synack(40_002, 7_000, 101));
    f.on_inject.push_back(vec![]);
    f.on_inject.push_back(vec![]);
    let mut ack = Seg::new(".", 7_001, 111);
    ack.dport = ack_port;
    f.on_inject
        .push_back(vec![(Duration::from_micros(30), ack.bytes())]);
    f.replies.extend([ok(4), ok(5)]);
    f
}

#[test]
fn named_ports_are_connections_of_their_own() {
    let mut f = two_ports_fake(40_002);
    let r = play(TWO_PORTS, &mut f);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    let ports: Vec<(u16, u32, u32)> = f
        .injected
        .iter()
        .map(|(_, b)| {
            let (_, _, t) = tcp_of(b);
            (t.src_port, t.seq, t.ack)
        })
        .collect();
    assert_eq!(
        ports,
        vec![
            (40_001, 0, 0),
            (40_002, 100, 0),
            // `1:1(0) ack 1` of each port counts from that port's ISNs.
            (40_002, 101, 7_001),
            (40_001, 1, ISN.wrapping_add(1)),
            (40_002, 101, 7_001),
        ]
    );
    // The ACK goes to the other connection: a mismatch naming the port.
    let mut f = two_ports_fake(40_001);
    let r = play(TWO_PORTS, &mut f);
    let Verdict::Fail(fl) = &r.verdict else {
        panic!("{}", r.verdict)
    };
    assert_eq!(fl.line, 14);
    assert!(
        fl.fields.iter().any(
            |d| (d.field.as_str(), d.expected.as_str(), d.actual.as_str())
                == ("port", "40002", "40001")
        ),
        "{:?}",
        fl.fields
    );
    assert!(
        fl.actual
            .as_deref()
            .is_some_and(|a| a.contains("(port 40001)")),
        "{:?}",
        fl.actual
    );
}

#[test]
fn other_ip_attributes_stay_unsupported_and_bad_ports_are_errors() {
    let base = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3, 1) = 0\n";
    let table = [
        ("+0 < (sport 40001) S 0:0(0) win 1000", "unsupported"),
        ("+0 < (port 0) S 0:0(0) win 1000", "error"),
        ("+0 < (port 70000) S 0:0(0) win 1000", "error"),
        ("+0 < (port) S 0:0(0) win 1000", "error"),
    ];
    for (line, want) in table {
        let mut f = Fake::new();
        f.replies.extend([ok(3), ok(0)]);
        let r = play(&format!("{base}{line}\n"), &mut f);
        let got = match &r.verdict {
            Verdict::Unsupported(u) => {
                assert!(u.feature.contains("sport"), "{u:?}");
                "unsupported"
            }
            Verdict::Error(e) => {
                assert!(e.message.contains("port"), "{e:?}");
                "error"
            }
            other => panic!("{line}: {other}"),
        };
        assert_eq!(got, want, "{line}");
        assert!(f.injected.is_empty(), "{line}: nothing sent");
    }
}

#[test]
fn null_read_buffers_reach_the_target_as_null() {
    let mut f = Fake::new();
    f.replies.extend([
        Reply::Now(SyscallResult::err(14)),
        Reply::Now(SyscallResult::err(14)),
        Reply::Now(SyscallResult::err(14)),
        ok(5),
    ]);
    let r = play(
        "0 read(3, NULL, 1000) = -1 EFAULT (Bad address)\n\
         +0 recv(3, NULL, 1000, 0) = -1 EFAULT (Bad address)\n\
         +0 recvfrom(3, NULL, 1000, 0, ..., ...) = -1 EFAULT (Bad address)\n\
         +0 read(3, ..., 1000) = 5\n",
        &mut f,
    );
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    let nulls: Vec<bool> = f
        .calls
        .iter()
        .map(|c| match c {
            Syscall::Read { buf_null, .. }
            | Syscall::Recv { buf_null, .. }
            | Syscall::RecvFrom { buf_null, .. } => *buf_null,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(nulls, [true, true, true, false]);
}

#[test]
fn timestamps_in_control_messages_are_checked_in_script_time() {
    let src = "0 recvmsg(3, {msg_name(...)=..., msg_iov(1)=[{...,0}], msg_flags=MSG_ERRQUEUE, \
               msg_control=[{cmsg_level=SOL_SOCKET, cmsg_type=SCM_TIMESTAMPING, \
               cmsg_data={scm_sec=0,scm_nsec=10000000}}]}, MSG_ERRQUEUE) = 0\n";
    let zero = std::time::Duration::from_secs(1_700_000_000);
    let reply = |stamp_us: u64| {
        let t = zero + std::time::Duration::from_micros(stamp_us);
        let mut data = vec![0u8; 48];
        data[..8].copy_from_slice(&(t.as_secs() as i64).to_ne_bytes());
        data[8..16].copy_from_slice(&i64::from(t.subsec_nanos()).to_ne_bytes());
        Reply::Now(SyscallResult::with(
            0,
            SyscallOutput::Msg {
                data: vec![],
                name: None,
                control: vec![crate::target::Cmsg {
                    level: 1,
                    ty: 37,
                    data,
                }],
                flags: 0x2000,
            },
        ))
    };
    let run = |stamp_us: u64, clock: Option<std::time::Duration>| {
        let mut f = Fake::new();
        f.realtime_zero = clock;
        f.replies.push_back(reply(stamp_us));
        play(src, &mut f).verdict
    };
    assert_eq!(run(12_000, Some(zero)), Verdict::Pass);
    assert!(matches!(run(20_000, Some(zero)), Verdict::Fail(_)));
    // A target without a wall clock cannot place the stamp: a failure that
    // says so in the report, not a pass.
    let Verdict::Fail(f) = run(12_000, None) else {
        panic!("no clock must not pass")
    };
    assert!(
        f.fields.iter().any(|d| d.field == "msg_control[0]"),
        "{f:?}"
    );
}

/// packetdrill's rule for an inbound TS ecr: it names a TS val an outbound
/// line wrote (and becomes that packet's live value); any other value is
/// refused unless `--tcp_ts_ecr_scaled` shifts it by the first offset.
#[test]
fn an_inbound_ts_ecr_must_echo_a_written_ts_val_unless_scaled() {
    let fake = || {
        let mut f = Fake::new();
        f.replies.extend([ok(3), ok(0), ok(0)]);
        let mut synack = Seg::new("S.", ISN, 1);
        synack.options = vec![TcpOption::Timestamps {
            tsval: 777_000,
            tsecr: 100,
        }];
        f.on_inject
            .push_back(vec![(Duration::ZERO, synack.bytes())]);
        f.on_inject.push_back(vec![]);
        f
    };
    let src = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 1000 <TS val 100 ecr 0>
+0 > S. 0:0(0) ack 1 <TS val 5000 ecr 100>
+0 < . 1:1(0) ack 1 win 1000 <nop,nop,TS val 101 ecr 5007>
";
    let mut f = fake();
    let r = play(src, &mut f);
    let Verdict::Error(e) = &r.verdict else {
        panic!("{}", r.verdict)
    };
    assert!(e.message.contains("TS ecr 5007"), "{e:?}");
    assert_eq!(e.line, Some(6));
    assert_eq!(f.injected.len(), 1, "the refused packet is not sent");
    let mut f = fake();
    let r = play_with(src, &mut f, &[("tcp_ts_ecr_scaled".into(), None)]);
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    let (_, _, ack) = tcp_of(&f.injected[1].1);
    assert_eq!(ack.options.timestamps(), Some((101, 777_007)));
}

#[test]
fn a_bare_af_unspec_address_reaches_the_target_as_such() {
    let mut f = Fake::new();
    f.replies
        .extend([ok(3), Reply::Now(SyscallResult::err(95))]);
    let r = play(
        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n\
         +0 sendto(3, ..., 0, MSG_FASTOPEN, AF_UNSPEC, ...) = -1 EOPNOTSUPP (Operation not supported)\n",
        &mut f,
    );
    assert_eq!(r.verdict, Verdict::Pass, "{}", r.verdict);
    assert!(
        matches!(
            &f.calls[1],
            Syscall::SendTo {
                addr: None,
                addr_unspec: true,
                ..
            }
        ),
        "{:?}",
        f.calls[1]
    );
}
