use super::*;
use crate::script::print;

/// The only event of `src` (panics with the diagnostics if it fails).
fn event(src: &str) -> Event {
    match parse(src) {
        Ok(mut s) => {
            assert_eq!(s.events.len(), 1, "{src}");
            s.events.remove(0)
        }
        Err(d) => panic!("{src}: {d:?}"),
    }
}

fn packet(src: &str) -> Packet {
    match event(src).kind {
        EventKind::Packet(p) => p,
        other => panic!("{src}: not a packet: {other:?}"),
    }
}

fn tcp(src: &str) -> Tcp {
    match packet(src).body {
        PacketBody::Tcp(t) => t,
        other => panic!("{src}: not TCP: {other:?}"),
    }
}

fn syscall(src: &str) -> Syscall {
    match event(src).kind {
        EventKind::Syscall(s) => s,
        other => panic!("{src}: not a syscall: {other:?}"),
    }
}

/// The first diagnostic's message and position.
fn error(src: &str) -> (String, u32, u32) {
    let d = parse(src).expect_err(src);
    (d[0].message.clone(), d[0].span.line, d[0].span.col)
}

fn int(v: i128) -> i128 {
    v
}

#[test]
fn event_times() {
    /// (relative, µs) of both ends of a range.
    type Range = (bool, i64, bool, i64);
    let cases: &[(&str, &str, Option<i64>, Option<Range>)] = &[
        // source, printed time, single-point usecs, range
        ("0 close(3) = 0", "0", Some(0), None),
        ("+0.1 close(3) = 0", "+0.1", Some(100_000), None),
        ("+.01 close(3) = 0", "+.01", Some(10_000), None),
        ("1.5 close(3) = 0", "1.5", Some(1_500_000), None),
        ("2. close(3) = 0", "2.", Some(2_000_000), None),
        ("0.0000015 close(3) = 0", "0.0000015", Some(2), None),
        ("* close(3) = 0", "*", None, None),
        (
            "1.0~1.2 close(3) = 0",
            "1.0~1.2",
            None,
            Some((false, 1_000_000, false, 1_200_000)),
        ),
        (
            "+0.1~+0.3 close(3) = 0",
            "+0.1~+0.3",
            None,
            Some((true, 100_000, true, 300_000)),
        ),
    ];
    for (src, printed, usecs, range) in cases {
        let e = event(src);
        assert_eq!(
            crate::script::printer::time_text(&e.time),
            *printed,
            "{src}"
        );
        match (&e.time, usecs, range) {
            (EventTime::Absolute(s) | EventTime::Relative(s), Some(u), None) => {
                assert_eq!(s.usecs, *u, "{src}");
                assert_eq!(
                    matches!(e.time, EventTime::Relative(_)),
                    src.starts_with('+'),
                    "{src}"
                );
            }
            (EventTime::Any(_), None, None) => {}
            (EventTime::Range { start, end }, None, Some((sr, su, er, eu))) => {
                assert_eq!(
                    (start.relative, start.at.usecs, end.relative, end.at.usecs),
                    (*sr, *su, *er, *eu)
                );
            }
            other => panic!("{src}: {other:?}"),
        }
    }
}

#[test]
fn seconds_conversion() {
    let cases = [
        ("0", Some(0)),
        (".1", Some(100_000)),
        ("1.", Some(1_000_000)),
        ("0.000001", Some(1)),
        ("0.0000004", Some(0)),
        ("0.0000005", Some(1)),
        ("12.345678", Some(12_345_678)),
        ("99999999999999999999", None),
        (".", None),
        ("1e3", None),
    ];
    for (text, want) in cases {
        assert_eq!(seconds_to_usecs(text), want, "{text}");
    }
}

#[test]
fn syscall_end_times() {
    for (src, relative, usecs) in [
        ("+0...0.010 connect(3, ..., ...) = 0", false, 10_000),
        ("+0 ...0.300 read(4, ..., 100) = 100", false, 300_000),
        ("+.002 ... 0.004 connect(4, ..., ...) = 0", false, 4_000),
        (
            "+0 ... .02 sendto(4, ..., 6000, MSG_FASTOPEN, ..., ...) = 6000",
            false,
            20_000,
        ),
        ("+0 ...+0.3 read(4, ..., 100) = 100", true, 300_000),
    ] {
        let s = syscall(src);
        let end = s.end.expect(src);
        assert_eq!((end.relative, end.at.usecs), (relative, usecs), "{src}");
    }
}

#[test]
fn tcp_packets() {
    let t = tcp("+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>");
    assert_eq!(t.flags.as_ref().map(|f| f.text.as_str()), Some("S"));
    assert_eq!(
        (t.seq.start.value, t.seq.end.value, t.seq.len.value),
        (0, 0, 0)
    );
    assert_eq!(t.win.map(|w| w.value), Some(32792));
    assert!(t.ack.is_none() && t.urg.is_none());
    let Some(TcpOptions::List { options, .. }) = t.options else {
        panic!()
    };
    let kinds: Vec<_> = options.into_iter().map(|o| o.kind).collect();
    assert!(matches!(kinds[0], TcpOptionKind::Mss(ref m) if m.value == 1000));
    assert_eq!(kinds[1], TcpOptionKind::SackOk);
    assert_eq!(
        kinds[2..5],
        [TcpOptionKind::Nop, TcpOptionKind::Nop, TcpOptionKind::Nop]
    );
    assert!(matches!(kinds[5], TcpOptionKind::WScale(ref w) if w.value == 7));

    for (src, flags) in [
        ("+0 > S. 0:0(0) ack 1", "S."),
        ("+0 > . 1:1(0) ack 1", "."),
        ("+0 < - 1:1(0) win 1", "-"),
        ("+0 < SEW 0:0(0) win 1", "SEW"),
        ("+0 > FP. 1:1(0) ack 1", "FP."),
        ("+0 < U. 1:1(0) ack 1 win 1 urg 1", "U."),
    ] {
        let t = tcp(src);
        let f = t.flags.expect(src);
        assert_eq!(f.text, flags, "{src}");
        assert_eq!(f.has('.'), flags.contains('.'));
    }
    let t = tcp("+0 < U. 1:1(0) ack 1 win 1 urg 5");
    assert_eq!(t.urg.map(|u| u.value), Some(5));
    let t = tcp("+0 > P. 1:1001(1000) ack 1 <...>");
    assert!(matches!(t.options, Some(TcpOptions::Any(_))));
    let t = tcp("+0 > P. 1:1001(1000) ack 1 <>");
    assert!(matches!(t.options, Some(TcpOptions::List { ref options, .. }) if options.is_empty()));
}

#[test]
fn tcp_options_every_kind() {
    let t = tcp(
        "+0 < . 1:1(0) ack 1 win 1 <eol,sack 1:2 3:4,TS val 7 ecr 0,FO,FO 3021b9d8,FOEXP TFO_COOKIE,\
         FOEXP,md5 000102030405060708090a0b0c0d0e0f,exp 0xf989 1:2 abc,mptcp>",
    );
    let Some(TcpOptions::List { options, .. }) = t.options else {
        panic!()
    };
    let kinds: Vec<_> = options.into_iter().map(|o| o.kind).collect();
    assert_eq!(kinds[0], TcpOptionKind::Eol);
    let TcpOptionKind::Sack(blocks) = &kinds[1] else {
        panic!("{:?}", kinds[1])
    };
    let pairs: Vec<_> = blocks
        .iter()
        .map(|b| (b.start.value, b.end.value))
        .collect();
    assert_eq!(pairs, vec![(1, 2), (3, 4)]);
    assert!(
        matches!(&kinds[2], TcpOptionKind::Timestamp { val, ecr } if val.value == 7 && ecr.value == 0)
    );
    assert_eq!(kinds[3], TcpOptionKind::FastOpen(None));
    let cookie = |k: &TcpOptionKind| match k {
        TcpOptionKind::FastOpen(c) | TcpOptionKind::FastOpenExp(c) | TcpOptionKind::Md5(c) => {
            c.as_ref().map(|c| c.text.clone())
        }
        _ => panic!("{k:?}"),
    };
    assert_eq!(cookie(&kinds[4]).as_deref(), Some("3021b9d8"));
    assert_eq!(cookie(&kinds[5]).as_deref(), Some("TFO_COOKIE"));
    assert!(matches!(kinds[5], TcpOptionKind::FastOpenExp(_)));
    assert_eq!(cookie(&kinds[6]), None);
    assert_eq!(
        cookie(&kinds[7]).as_deref(),
        Some("000102030405060708090a0b0c0d0e0f")
    );
    let TcpOptionKind::Other { name, args } = &kinds[8] else {
        panic!()
    };
    assert_eq!(
        (name.name.as_str(), args.clone()),
        ("exp", vec!["0xf989".into(), "1:2".into(), "abc".into()])
    );
    assert!(
        matches!(&kinds[9], TcpOptionKind::Other { name, args } if name.name == "mptcp" && args.is_empty())
    );
}

#[test]
fn ip_attributes_and_encapsulation() {
    let p = packet("+0 > [ect0] P. 1:1(0) ack 1");
    assert_eq!(p.ip[0].delim, Delim::Square);
    assert_eq!(p.ip[0].attrs[0].kind, IpAttrKind::Ecn(Ecn::Ect0));
    let p = packet("+0 < [noecn] E. 1:1(0) ack 1 win 1");
    assert_eq!(p.ip[0].attrs[0].kind, IpAttrKind::Ecn(Ecn::NotEct));
    let p =
        packet("+0 > (tos 0x10, flowlabel 0x12345) [ce] [ttl 3] (hoplimit 4) (df) . 1:1(0) ack 1");
    let kinds: Vec<_> =
        p.ip.iter()
            .flat_map(|g| g.attrs.iter().map(|a| a.kind.clone()))
            .collect();
    assert!(matches!(&kinds[0], IpAttrKind::Tos(v) if v.value == 0x10 && v.text == "0x10"));
    assert!(matches!(&kinds[1], IpAttrKind::FlowLabel(v) if v.value == 0x12345));
    assert_eq!(kinds[2], IpAttrKind::Ecn(Ecn::Ce));
    assert!(matches!(&kinds[3], IpAttrKind::Ttl(v) if v.value == 3));
    assert!(
        matches!(&kinds[4], IpAttrKind::Other { name, value: Some(v) } if name.name == "hoplimit" && v.value == 4)
    );
    assert!(matches!(&kinds[5], IpAttrKind::Other { name, value: None } if name.name == "df"));

    let p = packet("+0 < IPV4 192.0.2.1 > 192.168.0.1: S 0:0(0) win 1");
    let EncapKind::Ip { src, dst } = &p.encaps[0].kind else {
        panic!()
    };
    assert_eq!(
        (src.addr.to_string(), dst.addr.to_string()),
        ("192.0.2.1".into(), "192.168.0.1".into())
    );
    let p = packet(
        "+0 < ipv6 2001:db8::1 > fd3d:fa7b:d17d::1: gre flags 0x2000 key 5 csum: . 1:1(0) ack 1 win 1",
    );
    let EncapKind::Ip { src, dst } = &p.encaps[0].kind else {
        panic!()
    };
    assert_eq!(
        (src.addr.to_string(), dst.addr.to_string()),
        ("2001:db8::1".into(), "fd3d:fa7b:d17d::1".into())
    );
    let EncapKind::Gre(fields) = &p.encaps[1].kind else {
        panic!()
    };
    let names: Vec<_> = fields
        .iter()
        .map(|f| (f.name.name.as_str(), f.value.is_some()))
        .collect();
    assert_eq!(names, vec![("flags", true), ("key", true), ("csum", false)]);
    let p = packet("+0 > mpls (label 16, tc 1, [S], ttl 64) (label 17, ttl 2): . 1:1(0) ack 1");
    let EncapKind::Mpls(entries) = &p.encaps[0].kind else {
        panic!()
    };
    assert_eq!(entries.len(), 2);
    assert!(entries[0].bottom && !entries[1].bottom);
    assert_eq!(entries[0].label.as_ref().map(|l| l.value), Some(16));
    assert_eq!(entries[1].ttl.as_ref().map(|l| l.value), Some(2));
    assert!(entries[1].tc.is_none());
    let p = packet("+0 < IPV6 ::1 > fe80:::  . 1:1(0) ack 1 win 1");
    let EncapKind::Ip { dst, .. } = &p.encaps[0].kind else {
        panic!()
    };
    assert_eq!(dst.addr.to_string(), "fe80::");
}

#[test]
fn udp_and_icmp() {
    let p = packet("+0 < udp (100)");
    assert!(matches!(p.body, PacketBody::Udp(ref u) if u.len.value == 100));
    let icmp = |src: &str| match packet(src).body {
        PacketBody::Icmp(i) => i,
        b => panic!("{b:?}"),
    };
    let i = icmp("+0 > icmp unreachable port [udp (100)]");
    assert!(matches!(&i.ty, NameOrInt::Name(n) if n.name == "unreachable"));
    assert!(matches!(&i.code, Some(NameOrInt::Name(n)) if n.name == "port"));
    assert!(matches!(&i.quoted, Some(Quoted::Udp(u)) if u.len.value == 100));
    let i = icmp("+0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]");
    assert_eq!(i.mtu.as_ref().map(|m| m.value), Some(1200));
    let Some(Quoted::Tcp(t)) = &i.quoted else {
        panic!()
    };
    assert!(t.flags.is_none());
    assert_eq!(t.seq.end.value, 1461);
    let i = icmp("+0 < icmp packet_too_big mtu 1400 [0:1440(1440)]");
    assert!(i.code.is_none() && !i.v6);
    let i = icmp("+0 < icmpv6 1 4 [S 0:0(0)]");
    assert!(i.v6);
    assert!(
        matches!((&i.ty, &i.code), (NameOrInt::Int(t), Some(NameOrInt::Int(c))) if t.value == 1 && c.value == 4)
    );
    assert!(
        matches!(&i.quoted, Some(Quoted::Tcp(t)) if t.flags.as_ref().is_some_and(|f| f.text == "S"))
    );
    // A code is never taken from the next line (where an absolute time may be).
    let s = parse("0 < icmp echo_reply\n1 close(3) = 0\n").unwrap();
    assert_eq!(s.events.len(), 2);
}

#[test]
fn other_protocols_are_kept_as_written() {
    let src = "+0.0 > sctp: INIT[flgs=0, tag=1, a_rwnd=1500, os=1, is=1, tsn=1, ...]\n\
               +0.1 < sctp: INIT_ACK[flgs=0, tag=2, a_rwnd=1500, os=1, is=1, tsn=1,\n\
               \x20                     STATE_COOKIE[len=..., val=...]] // cookie\n\
               +0.0 < sctp: SACK[flgs=0, cum_tsn=1, a_rwnd=1500, gaps=[2:3], dups=[]]\n\
               +0 > udplite (10)\n\
               +0 < udp(sport=1, dport=2)/sctp: ABORT[flgs=T]\n\
               +0 < . 1:1(0) ack 1 win 1 <mp_capable 1 flags[h] key=0x1f (a,b), nop>\n";
    let s = parse(src).unwrap();
    let others: Vec<_> = s.events[..5]
        .iter()
        .map(|e| match &e.kind {
            EventKind::Packet(Packet {
                body: PacketBody::Other(o),
                ..
            }) => (o.protocol.name.as_str(), o.text.as_str()),
            k => panic!("{k:?}"),
        })
        .collect();
    assert_eq!(
        others[0],
        (
            "sctp",
            "sctp: INIT[flgs=0, tag=1, a_rwnd=1500, os=1, is=1, tsn=1, ...]"
        )
    );
    assert_eq!(
        others[1].1,
        "sctp: INIT_ACK[flgs=0, tag=2, a_rwnd=1500, os=1, is=1, tsn=1, STATE_COOKIE[len=..., val=...]]"
    );
    assert_eq!(others[3], ("udplite", "udplite (10)"));
    assert_eq!(
        others[4],
        ("udp", "udp(sport=1, dport=2)/sctp: ABORT[flgs=T]")
    );
    let EventKind::Packet(Packet {
        body: PacketBody::Tcp(t),
        ..
    }) = &s.events[5].kind
    else {
        panic!()
    };
    let Some(TcpOptions::List { options, .. }) = &t.options else {
        panic!()
    };
    let TcpOptionKind::Other { name, args } = &options[0].kind else {
        panic!()
    };
    assert_eq!(name.name, "mp_capable");
    assert_eq!(args, &["1", "flags[h]", "key=0x1f", "(a,b)"]);
    assert_eq!(
        s.events[1]
            .trivia
            .trailing
            .as_ref()
            .map(|c| c.text.as_str()),
        Some("// cookie")
    );
    assert_eq!(s.events[1].span.line, 2);
    let (msg, line, _) = error("+0 > sctp: DATA[flgs=BE\n+0 close(3) = 0\n");
    assert_eq!((msg.as_str(), line), ("`[` is not closed", 1));
}

#[test]
fn syscall_results_errno_and_notes() {
    let s = syscall("+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)");
    assert!(matches!(s.result.kind, ExprKind::Int(ref i) if i.value == -1 && i.text == "-1"));
    assert_eq!(s.errno.map(|e| e.name).as_deref(), Some("EINPROGRESS"));
    assert_eq!(s.note.as_deref(), Some("Operation now in progress"));
    let s = syscall("+0 write(4, ..., 100) = -1 ECONNRESET(Connection reset by peer)");
    assert_eq!(s.errno.map(|e| e.name).as_deref(), Some("ECONNRESET"));
    assert_eq!(s.note.as_deref(), Some("Connection reset by peer"));
    let s = syscall("+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, \"\", 0) = -1 (Invalid Argument)");
    assert!(s.errno.is_none());
    assert_eq!(s.note.as_deref(), Some("Invalid Argument"));
    let s = syscall("+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)");
    assert!(matches!(s.result.kind, ExprKind::Int(ref i) if i.value == 2 && i.text == "0x2"));
    assert_eq!(s.note.as_deref(), Some("flags O_RDWR"));
    let s = syscall("+0 ioctl(4, FIONREAD, [0]) = SOME_SYM (a (nested) note)");
    assert!(matches!(s.result.kind, ExprKind::Symbol(ref i) if i.name == "SOME_SYM"));
    assert_eq!(s.note.as_deref(), Some("a (nested) note"));
    let s = syscall("+0 getpid() = ...");
    assert!(s.args.is_empty() && s.result.kind == ExprKind::Ellipsis);
}

fn arg(src: &str, i: usize) -> Expr {
    syscall(src).args.swap_remove(i)
}

#[test]
fn expressions() {
    let e = arg("+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0", 2);
    let ExprKind::Binary {
        op: BinOp::Or,
        lhs,
        rhs,
    } = e.kind
    else {
        panic!()
    };
    assert!(matches!(lhs.kind, ExprKind::Symbol(ref s) if s.name == "O_RDWR"));
    assert!(matches!(rhs.kind, ExprKind::Symbol(ref s) if s.name == "O_NONBLOCK"));

    // Precedence as in C: 1 | 2 & 3 + 4 * 5 is 1 | (2 & (3 + (4 * 5))).
    let e = arg("+0 f(1 | 2 & 3 + 4 * 5) = 0", 0);
    assert_eq!(crate::script::printer::expr_text(&e), "1|2 & 3 + 4 * 5");
    let ExprKind::Binary {
        op: BinOp::Or, rhs, ..
    } = e.kind
    else {
        panic!()
    };
    let ExprKind::Binary {
        op: BinOp::And,
        rhs,
        ..
    } = rhs.kind
    else {
        panic!()
    };
    assert!(matches!(rhs.kind, ExprKind::Binary { op: BinOp::Add, .. }));
    // Left associativity, and parentheses kept where the tree needs them.
    let e = arg(
        "+0 f(1 - 2 - 3, 1 - (2 - 3), (1 | 2) << 3, -(1+2), ~X, !0, 1 << 2 >> 3) = 0",
        0,
    );
    assert!(
        matches!(e.kind, ExprKind::Binary { op: BinOp::Sub, ref lhs, .. } if matches!(lhs.kind, ExprKind::Binary { .. }))
    );
    let s = syscall("+0 f(1 - 2 - 3, 1 - (2 - 3), (1 | 2) << 3, -(1+2), ~X, !0, 1 << 2 >> 3) = 0");
    let printed: Vec<_> = s
        .args
        .iter()
        .map(crate::script::printer::expr_text)
        .collect();
    assert_eq!(
        printed,
        [
            "1 - 2 - 3",
            "1 - (2 - 3)",
            "(1|2) << 3",
            "-(1 + 2)",
            "~X",
            "!0",
            "1 << 2 >> 3"
        ]
    );

    let e = arg(
        "+0 bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr(\"192.0.2.1\")}, 16) = 0",
        1,
    );
    let ExprKind::Struct(fields) = e.kind else {
        panic!()
    };
    let ExprKind::Field {
        name,
        len: None,
        value,
    } = &fields[1].kind
    else {
        panic!()
    };
    assert_eq!(name.name, "sin_port");
    assert!(
        matches!(&value.kind, ExprKind::Call { name, args } if name.name == "htons" && args.len() == 1)
    );
    let ExprKind::Field { value, .. } = &fields[2].kind else {
        panic!()
    };
    let ExprKind::Call { args, .. } = &value.kind else {
        panic!()
    };
    assert_eq!(
        args[0].kind,
        ExprKind::Str {
            value: b"192.0.2.1".to_vec(),
            ellipsis: false
        }
    );

    let e = arg(
        "+0 sendmsg(4, {msg_name(...)=..., msg_iov(2)=[{..., 600},{iov_base=..., iov_len=400}], msg_flags=0}, 0) = 1000",
        1,
    );
    let ExprKind::Struct(fields) = e.kind else {
        panic!()
    };
    let ExprKind::Field {
        name,
        len: Some(len),
        value,
    } = &fields[0].kind
    else {
        panic!()
    };
    assert_eq!(
        (name.name.as_str(), &len.kind, &value.kind),
        ("msg_name", &ExprKind::Ellipsis, &ExprKind::Ellipsis)
    );
    let ExprKind::Field {
        len: Some(len),
        value,
        ..
    } = &fields[1].kind
    else {
        panic!()
    };
    assert!(matches!(len.kind, ExprKind::Int(ref i) if i.value == 2));
    let ExprKind::Array(iov) = &value.kind else {
        panic!()
    };
    assert!(matches!(&iov[0].kind, ExprKind::Struct(items) if items[0].kind == ExprKind::Ellipsis));

    let e = arg(
        "+0 setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, \"\\xf7\\x63a\", 16) = 0",
        3,
    );
    assert_eq!(
        e.kind,
        ExprKind::Str {
            value: vec![0xf7, 0x63, b'a'],
            ellipsis: false
        }
    );
    let e = arg("+0 write(4, \"GET /\"..., 100) = 100", 1);
    assert_eq!(
        e.kind,
        ExprKind::Str {
            value: b"GET /".to_vec(),
            ellipsis: true
        }
    );
    let e = arg("+0 f(${PORT}, NULL, [], {}, 0xffffffffffffffff) = 0", 0);
    assert!(matches!(e.kind, ExprKind::Substitution(ref i) if i.name == "PORT"));
    let s = syscall("+0 f(${PORT}, NULL, [], {}, 0xffffffffffffffff) = 0");
    assert!(matches!(s.args[1].kind, ExprKind::Symbol(ref i) if i.name == "NULL"));
    assert_eq!(s.args[2].kind, ExprKind::Array(vec![]));
    assert_eq!(s.args[3].kind, ExprKind::Struct(vec![]));
    assert!(matches!(s.args[4].kind, ExprKind::Int(ref i) if i.value == int(u64::MAX as i128)));
    // Multi-line arguments with `|` at line ends.
    let e = arg(
        "+0 setsockopt(3, SOL_SOCKET, SO_TIMESTAMPING,\n\t[A |\n\t B], 4) = 0",
        3,
    );
    assert!(
        matches!(e.kind, ExprKind::Array(ref v) if matches!(v[0].kind, ExprKind::Binary { .. }))
    );
}

#[test]
fn options_commands_and_code() {
    let src = "--tolerance_usecs=10000\n-D TFO_COOKIE=3021b9d889017eeb\n--strict_segments // why\n\
               --define=X=\n`../common/defaults.sh\n echo hi`\n\n0 `sysctl -q a=1`\n+0 %{ assert tcpi_rto == 300000 }%\n`echo done`\n";
    let s = parse(src).unwrap();
    let opts: Vec<_> = s
        .options
        .iter()
        .map(|o| (o.name.as_str(), o.value.as_deref()))
        .collect();
    assert_eq!(
        opts,
        [
            ("tolerance_usecs", Some("10000")),
            ("define", Some("TFO_COOKIE=3021b9d889017eeb")),
            ("strict_segments", None),
            ("define", Some("X=")),
        ]
    );
    assert_eq!(
        s.options[2]
            .trivia
            .trailing
            .as_ref()
            .map(|c| c.text.as_str()),
        Some("// why")
    );
    assert_eq!(
        s.defines().collect::<Vec<_>>(),
        [("TFO_COOKIE", "3021b9d889017eeb"), ("X", "")]
    );
    assert_eq!(s.init[0].command.text, "../common/defaults.sh\n echo hi");
    assert_eq!(s.init[0].command.span.line, 5);
    assert!(matches!(&s.events[0].kind, EventKind::Command(c) if c.text == "sysctl -q a=1"));
    assert!(s.events[0].trivia.blank_line_before);
    assert!(
        matches!(&s.events[1].kind, EventKind::Code(c) if c.text == " assert tcpi_rto == 300000 ")
    );
    assert_eq!(s.cleanup[0].command.text, "echo done");
}

#[test]
fn unknown_names_parse() {
    // Unknown syscalls, fields, symbols, options and ICMP types are the
    // interpreter's business, not syntax errors.
    let src = "--brand_new_flag=7\n0 frobnicate(3, {zz_top=WHATEVER(1, \"x\")}, [A|B]) = FROB_OK\n\
               +0 > icmp weird_type weird_code\n+0 < . 1:1(0) ack 1 win 1 <newopt 1 2,nop>\n";
    let s = parse(src).unwrap();
    assert_eq!(s.events.len(), 3);
}

#[test]
fn comments_become_trivia() {
    let src = "// head\n\n// two\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 // trail\n\
               +0 bind(3, // inside\n  ..., ...) = 0\n\n/* tail */\n";
    let s = parse(src).unwrap();
    let t0 = &s.events[0].trivia;
    let lead: Vec<_> = t0
        .leading
        .iter()
        .map(|c| (c.text.as_str(), c.blank_line_before))
        .collect();
    assert_eq!(lead, [("// head", false), ("// two", true)]);
    assert!(!t0.blank_line_before);
    assert_eq!(
        t0.trailing.as_ref().map(|c| c.text.as_str()),
        Some("// trail")
    );
    let t1 = &s.events[1].trivia;
    assert_eq!(
        t1.leading
            .iter()
            .map(|c| c.text.as_str())
            .collect::<Vec<_>>(),
        ["// inside"]
    );
    assert_eq!(s.tail.leading.len(), 1);
    assert!(s.tail.leading[0].blank_line_before);
    let printed = print(&s);
    assert_eq!(
        printed,
        "// head\n\n// two\n    0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3 // trail\n// inside\n   +0 bind(3, ..., ...) = 0\n\n/* tail */\n"
    );
}

#[test]
fn errors_point_at_the_token() {
    let cases: &[(&str, &str, u32, u32)] = &[
        (
            "0 socket(..., SOCK_STREAM = 3\n",
            "expected `,` or `)` in the arguments, found `=`",
            1,
            27,
        ),
        (
            "0 close(3) = 0 EBADF extra\n",
            "expected the end of the line, found `extra`",
            1,
            22,
        ),
        ("0 > X 0:0(0)\n", "unknown TCP flag `X`", 1, 5),
        (
            "0 > sctp: DATA[flgs=BE, len=1016]]\n",
            "expected the end of the line, found `]`",
            1,
            34,
        ),
        (
            "0 close(3) = 0\n--late=1\n",
            "options must come first, before commands and events",
            2,
            1,
        ),
        (
            "+ 0 close(3) = 0\n",
            "no space may come between `+` and the time",
            1,
            1,
        ),
        (
            "0 < S 0:0 win 1\n",
            "expected `(` and the payload length, found `win`",
            1,
            11,
        ),
    ];
    for (src, msg, line, col) in cases {
        assert_eq!(error(src), (msg.to_string(), *line, *col), "{src}");
    }
}

#[test]
fn recovers_and_reports_every_broken_event() {
    let src = "0 socket(..., SOCK_STREAM IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n\
               +0 > Q 0:0(0)\n+0 listen(3,\n   1) = \n+0 accept(3, ..., ...) = 4\n";
    let d = parse(src).unwrap_err();
    let at: Vec<_> = d.iter().map(|d| d.span.line).collect();
    assert_eq!(at, [1, 3, 5], "{d:#?}");
    assert_eq!(d[2].message, "expected the result after `=`");
}

#[test]
fn limits_hold_on_hostile_input() {
    // Deep nesting is an error, not a stack overflow.
    let deep = format!("0 f({}1{}) = 0\n", "[".repeat(10_000), "]".repeat(10_000));
    assert!(error(&deep).0.contains("nested too deeply"));
    let deep = format!("0 f({}1) = 0\n", "-~".repeat(10_000));
    assert!(error(&deep).0.contains("nested too deeply"));
    // So is a long operator chain (the tree is as deep as the chain).
    let chain = format!("0 f(a{}) = 0\n", "|a".repeat(200_000));
    assert!(error(&chain).0.contains("nested too deeply"));
    let chain = format!("0 f(a{}) = 0\n", "|a".repeat(MAX_DEPTH as usize - 1));
    assert!(parse(&chain).is_ok());
    // A very long line costs linear time (columns are counted incrementally).
    let long = format!("0 f({}1) = 0\n", "1, ".repeat(100_000));
    assert_eq!(parse(&long).map(|s| s.events.len()).ok(), Some(1));
    // Many errors stop at MAX_ERRORS.
    let many = "0 ???\n".repeat(1000);
    let d = parse(&many).unwrap_err();
    assert_eq!(d.len(), MAX_ERRORS);
    assert_eq!(
        d.last().map(|d| d.message.as_str()),
        Some("too many errors; stopping here")
    );
}

#[test]
fn unterminated_things_are_reported_at_their_start() {
    for (src, msg, col) in [
        ("0 `echo\n", "unterminated command (no closing `)", 3),
        ("0 %{ x\n", "unterminated code block (no closing }%)", 3),
        (
            "0 write(3, \"abc, 3) = 3\n",
            "unterminated string (no closing \")",
            12,
        ),
        (
            "0 close(3) = 0 /* open\n",
            "unterminated comment (no closing */)",
            16,
        ),
    ] {
        let (m, _, c) = error(src);
        assert_eq!((m.as_str(), c), (msg, col), "{src}");
    }
}
