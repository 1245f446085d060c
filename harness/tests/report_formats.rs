//! Reports: golden terminal rendering (plain and coloured), JUnit read back
//! with quick-junit, and the JSON schema round trip.

use anstream::ColorChoice;
use netdrill::report::terminal::{Progress, TerminalReport, render_run};
use netdrill::report::{Summary, diff, json, junit};
use netdrill::run::verdict::{
    ErrorKind, Failure, FailureKind, FieldDiff, Note, RunError, RunResult, TimeWindow, Unsupported,
    Verdict,
};
use netdrill::target::IpVersion;
use netdrill_stack::time::{Duration, Instant};
use quick_junit::{NonSuccessKind, Report, TestCaseStatus};
use std::path::PathBuf;

fn run(script: &str, ip: IpVersion, verdict: Verdict) -> RunResult {
    RunResult {
        script: PathBuf::from(script),
        target: "reference".into(),
        ip_version: ip,
        verdict,
        events_executed: 9,
        events_total: 9,
        target_time: Instant::from_millis(101),
        wall: std::time::Duration::from_millis(412),
        notes: vec![],
        packets: vec![],
    }
    .finish()
}

fn ack_mismatch() -> Failure {
    Failure {
        line: 12,
        kind: FailureKind::PacketMismatch,
        summary: "outbound packet differs in ack".into(),
        expected: Some("> . 1:1(0) ack 1001 win 257 <nop,nop,TS val 100 ecr 200>".into()),
        actual: Some("> . 1:1(0) ack 501 win 257 <nop,nop,TS val 100 ecr 200>".into()),
        fields: vec![FieldDiff {
            field: "ack".into(),
            expected: "1001".into(),
            actual: "501".into(),
        }],
        expected_time: Some(TimeWindow {
            earliest: Instant::from_millis(100),
            latest: Instant::from_millis(100),
            tolerance: Duration::from_micros(4000),
            any: false,
        }),
        actual_time: Some(Instant::from_millis(101)),
    }
}

fn missing_fin() -> Failure {
    Failure {
        line: 20,
        kind: FailureKind::MissingPacket,
        summary: "expected outbound packet did not come".into(),
        expected: Some("> F. 1:1(0) ack 1".into()),
        actual: None,
        fields: vec![],
        expected_time: Some(TimeWindow {
            earliest: Instant::from_millis(200),
            latest: Instant::from_millis(300),
            tolerance: Duration::from_micros(4000),
            any: false,
        }),
        actual_time: Some(Instant::from_micros(304_000)),
    }
}

/// One run of each kind of verdict.
fn suite() -> Vec<RunResult> {
    let mut with_note = run(
        "corpus/tcp/close/fin.pkt",
        IpVersion::Ipv4,
        Verdict::Fail(missing_fin()),
    );
    with_note.notes.push(Note {
        line: Some(3),
        text: "skipped `tc qdisc add dev tun0 root fq` (no meaning for the reference stack)".into(),
    });
    vec![
        run("corpus/tcp/close/fin-wait-1.pkt", IpVersion::Ipv4, Verdict::Pass),
        run("corpus/tcp/data/ack.pkt", IpVersion::Ipv6, Verdict::Fail(ack_mismatch())),
        with_note,
        run(
            "peer/sendfile.pkt",
            IpVersion::Ipv4MappedIpv6,
            Verdict::Unsupported(Unsupported {
                feature: "syscall sendfile".into(),
                line: Some(7),
            }),
        ),
        run(
            "bad.pkt",
            IpVersion::Ipv4,
            Verdict::Error(RunError {
                kind: ErrorKind::Script,
                message: "unknown symbol FOO".into(),
                line: Some(3),
            }),
        ),
        run(
            "typo.pkt",
            IpVersion::Ipv4,
            Verdict::Error(RunError {
                kind: ErrorKind::Parse,
                message: "typo.pkt:2:5: error: expected a time\n  |\n2 | +x socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n  |  ^".into(),
                line: Some(2),
            }),
        ),
    ]
}

fn render(color: ColorChoice, width: usize, runs: &[RunResult]) -> String {
    let mut report = TerminalReport::new(Vec::new(), color, width, Progress::none());
    for r in runs {
        report.record(r).expect("writing to a Vec");
    }
    report.finish().expect("writing to a Vec");
    String::from_utf8(report.into_inner()).expect("utf-8")
}

const GOLDEN_PLAIN: &str = "\
PASS  corpus/tcp/close/fin-wait-1.pkt (ipv4)
FAIL  corpus/tcp/data/ack.pkt (ipv6)
  corpus/tcp/data/ack.pkt:12: outbound packet differs in ack
            expected                                   │ actual
    time    0.100000 (±4000 µs)                        │ 0.101000
    packet  > . 1:1(0) ack 1001 win 257 <nop,nop,TS    │ > . 1:1(0) ack 501 win 257 <nop,nop,TS val
            val 100 ecr 200>                           │ 100 ecr 200>
    ack     1001                                       │ 501
FAIL  corpus/tcp/close/fin.pkt (ipv4)
  corpus/tcp/close/fin.pkt:20: expected outbound packet did not come
            expected                     │ actual
    time    0.200000~0.300000 (±4000 µs) │ 0.304000
    packet  > F. 1:1(0) ack 1            │ (none)
  note: line 3: skipped `tc qdisc add dev tun0 root fq` (no meaning for the reference stack)
SKIP  peer/sendfile.pkt (ipv4-mapped-ipv6): unsupported: syscall sendfile at line 7
ERROR bad.pkt (ipv4): line 3: unknown symbol FOO
ERROR typo.pkt (ipv4)
  typo.pkt:2:5: error: expected a time
    |
  2 | +x socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
    |  ^
1 passed, 4 failed, 1 skipped
";

#[test]
fn terminal_golden_plain() {
    let text = render(ColorChoice::Never, 100, &suite());
    assert_eq!(text, GOLDEN_PLAIN, "\n--- got ---\n{text}");
}

#[test]
fn terminal_auto_is_plain_when_not_a_terminal() {
    // A Vec is not a terminal: `Auto` must not colour it.
    let text = render(ColorChoice::Auto, 100, &suite());
    assert!(!text.contains('\x1b'), "{text}");
}

#[test]
fn terminal_colour_marks_what_differs_and_strips_to_the_golden() {
    let text = render(ColorChoice::Always, 100, &suite());
    let red = |s: &str| format!("\x1b[31m{s}\x1b[0m");
    let green = |s: &str| format!("\x1b[32m{s}\x1b[0m");
    // In the ack mismatch, the differing words of the packet and the field
    // values are marked, and the common words are not.
    let ack_run = text
        .split("corpus/tcp/data/ack.pkt (ipv6)")
        .nth(1)
        .and_then(|t| t.split("corpus/tcp/close/fin.pkt (ipv4)").next())
        .unwrap_or_default();
    assert_eq!(ack_run.matches(&red("1001")).count(), 2, "{ack_run:?}");
    assert_eq!(ack_run.matches(&green("501")).count(), 2, "{ack_run:?}");
    for common in ["ack", "win", "257", "<nop,nop,TS"] {
        assert!(
            !ack_run.contains(&red(common)) && !ack_run.contains(&green(common)),
            "{common}: {ack_run:?}"
        );
    }
    // A packet that never came is expected-only, word for word.
    assert!(
        text.contains(&format!(
            "{} {} {} {} {}",
            red(">"),
            red("F."),
            red("1:1(0)"),
            red("ack"),
            red("1")
        )),
        "{text:?}"
    );
    assert!(text.contains("\x1b[1m\x1b[31mFAIL\x1b[0m"), "{text:?}");
    assert_eq!(diff::plain(&text), GOLDEN_PLAIN);
}

#[test]
fn terminal_wraps_long_events_inside_their_columns() {
    let mut f = ack_mismatch();
    f.expected = Some("write(4, ..., 20000) = 20000".into());
    f.actual = Some(format!(
        "write(4, ..., 20000) = -1 EAGAIN ({})",
        "x".repeat(70)
    ));
    f.fields.clear();
    f.expected_time = None;
    f.actual_time = None;
    f.kind = FailureKind::Syscall;
    let r = run("s.pkt", IpVersion::Ipv4, Verdict::Fail(f));
    let text = diff::plain(&render_run(&r, 60));
    let want = "\
FAIL  s.pkt (ipv4)
  s.pkt:12: outbound packet differs in ack
            expected               │ actual
    call    write(4, ..., 20000) = │ write(4, ..., 20000) =
            20000                  │ -1 EAGAIN
                                   │ (xxxxxxxxxxxxxxxxxxxxxx
                                   │ xxxxxxxxxxxxxxxxxxxxxxx
                                   │ xxxxxxxxxxxxxxxxxxxxxxx
                                   │ xx)
";
    assert_eq!(text, want, "\n--- got ---\n{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 60, "too wide: {line:?}");
    }
}

#[test]
fn summary_line_counts() {
    let s = Summary::of(suite().iter().map(|r| &r.verdict));
    assert_eq!(s.to_string(), "1 passed, 4 failed, 1 skipped");
    assert!(!s.success());
}

#[test]
fn junit_reads_back_with_one_case_per_run() {
    let runs = suite();
    let xml = junit::to_string("netdrill", &runs).expect("serializing");
    let report = Report::deserialize_from_str(&xml).expect("quick-junit reads our XML back");
    assert_eq!(report.name.as_ref().map(|n| n.as_str()), Some("netdrill"));
    assert_eq!(
        (report.tests, report.failures, report.errors, report.skipped),
        (6, 2, 2, 1)
    );
    assert_eq!(report.test_suites.len(), 1);
    let suite = &report.test_suites[0];
    assert_eq!(suite.name.as_str(), "reference");
    let names: Vec<(&str, Option<&str>)> = suite
        .test_cases
        .iter()
        .map(|c| (c.name.as_str(), c.classname.as_ref().map(|n| n.as_str())))
        .collect();
    assert_eq!(
        names,
        [
            ("fin-wait-1.pkt (ipv4)", Some("corpus/tcp/close")),
            ("ack.pkt (ipv6)", Some("corpus/tcp/data")),
            ("fin.pkt (ipv4)", Some("corpus/tcp/close")),
            ("sendfile.pkt (ipv4-mapped-ipv6)", Some("peer")),
            ("bad.pkt (ipv4)", None),
            ("typo.pkt (ipv4)", None),
        ]
    );
    let cases = &suite.test_cases;
    assert!(matches!(cases[0].status, TestCaseStatus::Success { .. }));
    assert_eq!(cases[0].time, Some(std::time::Duration::from_millis(412)));
    match &cases[1].status {
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Failure,
            message,
            ty,
            description,
            ..
        } => {
            assert_eq!(
                message.as_ref().map(|m| m.as_str()),
                Some("line 12: outbound packet differs in ack")
            );
            assert_eq!(ty.as_ref().map(|t| t.as_str()), Some("packet_mismatch"));
            let d = description.as_ref().map(|d| d.as_str()).unwrap_or_default();
            // The same plain side-by-side detail the terminal shows.
            let detail = GOLDEN_PLAIN
                .split("FAIL  corpus/tcp/data/ack.pkt (ipv6)\n")
                .nth(1)
                .unwrap_or_default();
            let detail = detail
                .split("FAIL  corpus/tcp/close")
                .next()
                .unwrap_or_default();
            assert_eq!(d.trim(), detail.trim());
        }
        other => panic!("case 1: {other:?}"),
    }
    assert_eq!(
        cases[2].system_out.as_ref().map(|s| s.as_str()),
        Some(
            "note: line 3: skipped `tc qdisc add dev tun0 root fq` (no meaning for the reference stack)"
        )
    );
    match &cases[3].status {
        TestCaseStatus::Skipped { message, ty, .. } => {
            assert_eq!(
                message.as_ref().map(|m| m.as_str()),
                Some("unsupported: syscall sendfile at line 7")
            );
            assert_eq!(ty.as_ref().map(|t| t.as_str()), Some("unsupported"));
        }
        other => panic!("case 3: {other:?}"),
    }
    match &cases[5].status {
        TestCaseStatus::NonSuccess {
            kind: NonSuccessKind::Error,
            message,
            ty,
            description,
            ..
        } => {
            assert_eq!(
                message.as_ref().map(|m| m.as_str()),
                Some("line 2: typo.pkt:2:5: error: expected a time")
            );
            assert_eq!(ty.as_ref().map(|t| t.as_str()), Some("parse"));
            assert!(
                description
                    .as_ref()
                    .is_some_and(|d| d.as_str().contains("  |  ^"))
            );
        }
        other => panic!("case 5: {other:?}"),
    }
}

#[test]
fn junit_groups_suites_by_target_and_sums_time() {
    let mut runs = suite();
    runs[1].target = "kernel".into();
    runs[4].target = "kernel".into();
    let report = junit::report("x", &runs);
    let suites: Vec<(&str, usize)> = report
        .test_suites
        .iter()
        .map(|s| (s.name.as_str(), s.tests))
        .collect();
    assert_eq!(suites, [("reference", 4), ("kernel", 2)]);
    assert_eq!(
        report.test_suites[1].time,
        Some(std::time::Duration::from_millis(824))
    );
    assert_eq!(report.time, Some(std::time::Duration::from_millis(412 * 6)));
}

#[test]
fn junit_file_is_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("junit.xml");
    junit::write_file(&path, "netdrill", &suite()).expect("writing");
    let xml = std::fs::read_to_string(&path).expect("reading back");
    assert!(Report::deserialize_from_str(&xml).is_ok());
}

#[test]
fn json_round_trips_and_pins_the_schema() {
    let runs = suite();
    let text = json::to_string(&runs);
    let doc = json::parse(&text).expect("reading our own JSON");
    assert_eq!(doc, json::document(&runs));
    // The field names and values other tools read (the schema, version 1).
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["schema"], "netdrill-run-report");
    assert_eq!(v["version"], 1);
    assert_eq!(
        v["summary"],
        serde_json::json!({"passed": 1, "failed": 4, "skipped": 1, "total": 6})
    );
    assert_eq!(
        v["runs"][0],
        serde_json::json!({
            "script": "corpus/tcp/close/fin-wait-1.pkt",
            "ip_version": "ipv4",
            "target": "reference",
            "verdict": "pass",
            "events_executed": 9,
            "events_total": 9,
            "target_time_us": 101000,
            "wall_us": 412000
            ,"notes": []
        })
    );
    assert_eq!(
        v["runs"][1]["failure"],
        serde_json::json!({
            "kind": "packet_mismatch",
            "summary": "outbound packet differs in ack",
            "expected": "> . 1:1(0) ack 1001 win 257 <nop,nop,TS val 100 ecr 200>",
            "actual": "> . 1:1(0) ack 501 win 257 <nop,nop,TS val 100 ecr 200>",
            "fields": [{"field": "ack", "expected": "1001", "actual": "501"}],
            "expected_time": {"earliest_us": 100000, "latest_us": 100000, "tolerance_us": 4000, "any": false},
            "actual_time_us": 101000
        })
    );
    assert_eq!(v["runs"][1]["line"], 12);
    assert_eq!(v["runs"][2]["failure"].get("actual"), None);
    assert_eq!(v["runs"][2]["notes"][0]["line"], 3);
    assert_eq!(v["runs"][3]["ip_version"], "ipv4-mapped-ipv6");
    assert_eq!(
        v["runs"][3]["unsupported"],
        serde_json::json!({"feature": "syscall sendfile"})
    );
    assert_eq!(v["runs"][5]["error"]["kind"], "parse");
}

#[test]
fn json_rejects_other_documents_and_versions() {
    let text = json::to_string(&suite());
    let newer = text.replacen("\"version\": 1", "\"version\": 2", 1);
    let err = json::parse(&newer).unwrap_err();
    assert_eq!(
        err.to_string(),
        "report version 2 is not supported (this build reads 1)"
    );
    let other = text.replacen("netdrill-run-report", "something-else", 1);
    assert!(matches!(
        json::parse(&other),
        Err(json::ParseError::WrongSchema(_))
    ));
    assert!(matches!(
        json::parse("[1, 2"),
        Err(json::ParseError::Json(_))
    ));
    // Unknown fields are ignored (new fields may come within a version).
    let extended = text.replacen("\"runs\":", "\"future_field\": true,\n  \"runs\":", 1);
    assert_eq!(
        json::parse(&extended).expect("extended document"),
        json::document(&suite())
    );
}
