//! Compares what a syscall returned with what its line expects: the return
//! value, errno, and every output the line writes down (option values,
//! revents, epoll events, recvmsg flags and control messages).

use super::mapping::Mapping;
use super::structs::{CmsgClock, EpollData, show_live_cmsg};
use super::syscall::{Expect, ExpectOut};
use super::verdict::FieldDiff;
use crate::target::{SyscallOutput, SyscallResult};
use netdrill_stack::linux::{Errno, TcpInfo};

fn diff(field: &str, expected: impl ToString, actual: impl ToString) -> FieldDiff {
    FieldDiff {
        field: field.to_string(),
        expected: expected.to_string(),
        actual: actual.to_string(),
    }
}

/// `-1 EAGAIN (Resource temporarily unavailable)`, `3`.
pub fn show_result(r: &SyscallResult) -> String {
    match r.errno {
        Some(e) => {
            let errno = Errno(e);
            match (errno.name(), errno.message()) {
                (Some(n), Some(m)) => format!("{} {n} ({m})", r.ret),
                (Some(n), None) => format!("{} {n}", r.ret),
                _ => format!("{} errno {e}", r.ret),
            }
        }
        None => r.ret.to_string(),
    }
}

/// Every difference between the live result and the expectation; empty
/// when the call did what the line says. `clock` places the timestamps of
/// control messages in script time (none: they cannot match).
pub fn check(
    expect: &Expect,
    live: &SyscallResult,
    map: &Mapping,
    clock: Option<&CmsgClock>,
) -> Vec<FieldDiff> {
    let mut diffs = Vec::new();
    let ret_ok = if expect.new_fd && expect.ret >= 0 {
        live.ret >= 0
    } else {
        live.ret == expect.ret
    };
    if !ret_ok {
        let want = if expect.new_fd && expect.ret >= 0 {
            format!("a new fd (script fd {})", expect.ret)
        } else {
            expect.ret.to_string()
        };
        diffs.push(diff("ret", want, show_result(live)));
        return diffs;
    }
    if let Some((want, name)) = &expect.errno {
        if live.errno != Some(*want) {
            let got = match live.errno {
                Some(e) => Errno(e).name().map_or(format!("errno {e}"), str::to_string),
                None => "no errno".to_string(),
            };
            diffs.push(diff("errno", name, got));
        }
    }
    if live.ret < 0 {
        return diffs;
    }
    check_out(&expect.out, live, map, clock, &mut diffs);
    diffs
}

fn check_out(
    want: &ExpectOut,
    live: &SyscallResult,
    map: &Mapping,
    clock: Option<&CmsgClock>,
    diffs: &mut Vec<FieldDiff>,
) {
    match (want, &live.out) {
        (ExpectOut::None, _) => {}
        (ExpectOut::Int(v), SyscallOutput::OptVal(bytes)) => {
            let got = le_int(bytes);
            if got != Some(*v) {
                let got = got.map_or(format!("{} bytes", bytes.len()), |g| g.to_string());
                diffs.push(diff("value", v, got));
            }
        }
        (ExpectOut::Int(v), SyscallOutput::Int(got)) => {
            if i64::from(*got) != *v {
                diffs.push(diff("value", v, got));
            }
        }
        // An ioctl that only reads its argument writes nothing back.
        (ExpectOut::Int(_), SyscallOutput::None) => {}
        (ExpectOut::Bytes(b), SyscallOutput::OptVal(got)) => {
            if got != b {
                diffs.push(diff("value", hex(b), hex(got)));
            }
        }
        (ExpectOut::TcpInfo(fields), SyscallOutput::OptVal(got)) => {
            let info = TcpInfo::from_bytes(got);
            for (name, v) in fields {
                match info.get(name) {
                    Some(g) if i64::try_from(g) == Ok(*v) => {}
                    Some(g) => diffs.push(diff(name, v, g)),
                    None => diffs.push(diff(name, v, "absent")),
                }
            }
        }
        (ExpectOut::Revents(want), SyscallOutput::PollRevents(got)) => {
            for (i, w) in want.iter().enumerate() {
                let Some(w) = w else { continue };
                match got.get(i) {
                    Some(g) if g == w => {}
                    Some(g) => diffs.push(diff(
                        &format!("revents[{i}]"),
                        flags(*w as u16 as i64, "POLL"),
                        flags(*g as u16 as i64, "POLL"),
                    )),
                    None => diffs.push(diff(
                        &format!("revents[{i}]"),
                        flags(*w as i64, "POLL"),
                        "missing",
                    )),
                }
            }
        }
        (ExpectOut::Epoll(want), SyscallOutput::EpollEvents(got)) => {
            let n = usize::try_from(live.ret).unwrap_or(0).min(want.len());
            for (i, (events, data)) in want.iter().take(n).enumerate() {
                let Some(g) = got.get(i) else {
                    diffs.push(diff(
                        &format!("events[{i}]"),
                        flags(i64::from(*events), "EPOLL"),
                        "missing",
                    ));
                    continue;
                };
                if g.events != *events {
                    diffs.push(diff(
                        &format!("events[{i}].events"),
                        flags(i64::from(*events), "EPOLL"),
                        flags(i64::from(g.events), "EPOLL"),
                    ));
                }
                match data {
                    EpollData::Fd(fd) => {
                        let got_fd = map.script_fd(g.data as u32 as i32);
                        if got_fd != *fd {
                            diffs.push(diff(&format!("events[{i}].fd"), fd, got_fd));
                        }
                    }
                    EpollData::Raw(v) if g.data != *v => {
                        diffs.push(diff(&format!("events[{i}].data"), v, g.data))
                    }
                    EpollData::Raw(_) => {}
                }
            }
        }
        (
            ExpectOut::Msg { flags: f, control },
            SyscallOutput::Msg {
                flags: got_flags,
                control: got,
                ..
            },
        ) => {
            if let Some(f) = f {
                if f != got_flags {
                    diffs.push(diff(
                        "msg_flags",
                        flags(i64::from(*f), "MSG_"),
                        flags(i64::from(*got_flags), "MSG_"),
                    ));
                }
            }
            if let Some(want) = control {
                if want.len() != got.len() {
                    diffs.push(diff(
                        "msg_control",
                        format!("{} message(s)", want.len()),
                        format!("{} message(s)", got.len()),
                    ));
                } else {
                    for (i, (w, g)) in want.iter().zip(got).enumerate() {
                        if !w.matches(g, clock) {
                            diffs.push(diff(
                                &format!("msg_control[{i}]"),
                                w.show(),
                                show_live_cmsg(g, clock),
                            ));
                        }
                    }
                }
            }
        }
        (want, got) => diffs.push(diff("output", format!("{want:?}"), format!("{got:?}"))),
    }
}

/// An int the kernel wrote into a buffer of 1, 2, 4 or 8 bytes.
fn le_int(b: &[u8]) -> Option<i64> {
    Some(match b.len() {
        1 => i64::from(b[0]),
        2 => i64::from(u16::from_le_bytes([b[0], b[1]])),
        4 => i64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        8 => i64::from_le_bytes(b.try_into().ok()?),
        _ => return None,
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A flag set by the Linux names of its bits (`POLLIN|POLLOUT`), for diffs.
pub fn flags(v: i64, prefix: &str) -> String {
    if v == 0 {
        return "0".into();
    }
    let mut names = Vec::new();
    let mut rest = v;
    for bit in 0..63 {
        let b = 1i64 << bit;
        if v & b == 0 {
            continue;
        }
        if let Some(n) = netdrill_stack::linux::symbol_name(prefix, b) {
            names.push(n.to_string());
            rest &= !b;
        }
    }
    if rest != 0 {
        names.push(format!("{rest:#x}"));
    }
    names.join("|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::EpollEvent;

    fn expect(ret: i64, errno: Option<(i32, &str)>, out: ExpectOut) -> Expect {
        Expect {
            ret,
            new_fd: false,
            errno: errno.map(|(v, n)| (v, n.to_string())),
            out,
        }
    }

    #[test]
    fn return_value_and_errno() {
        let m = Mapping::new(8080, 8080);
        assert!(
            check(
                &expect(0, None, ExpectOut::None),
                &SyscallResult::ok(0),
                &m,
                None
            )
            .is_empty()
        );
        let d = check(
            &expect(1000, None, ExpectOut::None),
            &SyscallResult::ok(500),
            &m,
            None,
        );
        assert_eq!(d, vec![diff("ret", 1000, 500)]);
        let d = check(
            &expect(-1, Some((11, "EAGAIN")), ExpectOut::None),
            &SyscallResult::err(115),
            &m,
            None,
        );
        assert_eq!(d, vec![diff("errno", "EAGAIN", "EINPROGRESS")]);
        // -1 without an errno name: any errno will do.
        assert!(
            check(
                &expect(-1, None, ExpectOut::None),
                &SyscallResult::err(22),
                &m,
                None
            )
            .is_empty()
        );
        // Success where failure was expected shows the errno-less result.
        let d = check(
            &expect(-1, Some((11, "EAGAIN")), ExpectOut::None),
            &SyscallResult::ok(5),
            &m,
            None,
        );
        assert_eq!(d[0].field, "ret");
        // A failure shows errno name and message.
        let d = check(
            &expect(0, None, ExpectOut::None),
            &SyscallResult::err(104),
            &m,
            None,
        );
        assert_eq!(d[0].actual, "-1 ECONNRESET (Connection reset by peer)");
    }

    #[test]
    fn new_fds_are_named_not_compared() {
        let m = Mapping::new(8080, 8080);
        let mut e = expect(3, None, ExpectOut::None);
        e.new_fd = true;
        assert!(check(&e, &SyscallResult::ok(7), &m, None).is_empty());
        let d = check(&e, &SyscallResult::err(93), &m, None);
        assert_eq!(d[0].expected, "a new fd (script fd 3)");
        let mut e = expect(-1, Some((93, "EPROTONOSUPPORT")), ExpectOut::None);
        e.new_fd = true;
        assert!(check(&e, &SyscallResult::err(93), &m, None).is_empty());
    }

    #[test]
    fn outputs() {
        let mut m = Mapping::new(8080, 8080);
        m.bind_fd(4, 9);
        let opt = |v: i32| SyscallResult::with(0, SyscallOutput::OptVal(v.to_le_bytes().to_vec()));
        assert!(check(&expect(0, None, ExpectOut::Int(1100)), &opt(1100), &m, None).is_empty());
        assert_eq!(
            check(&expect(0, None, ExpectOut::Int(1100)), &opt(536), &m, None),
            vec![diff("value", 1100, 536)]
        );
        let one_byte = SyscallResult::with(0, SyscallOutput::OptVal(vec![4]));
        assert!(check(&expect(0, None, ExpectOut::Int(4)), &one_byte, &m, None).is_empty());
        let ioctl = SyscallResult::with(0, SyscallOutput::Int(1000));
        assert!(check(&expect(0, None, ExpectOut::Int(1000)), &ioctl, &m, None).is_empty());

        let poll = SyscallResult::with(1, SyscallOutput::PollRevents(vec![4, 1]));
        let want = ExpectOut::Revents(vec![Some(4), None]);
        assert!(check(&expect(1, None, want), &poll, &m, None).is_empty());
        let want = ExpectOut::Revents(vec![Some(1 | 4), None]);
        let d = check(&expect(1, None, want), &poll, &m, None);
        assert_eq!(d, vec![diff("revents[0]", "POLLIN|POLLOUT", "POLLOUT")]);

        let ep = SyscallResult::with(
            1,
            SyscallOutput::EpollEvents(vec![EpollEvent { events: 4, data: 9 }]),
        );
        assert!(
            check(
                &expect(1, None, ExpectOut::Epoll(vec![(4, EpollData::Fd(4))])),
                &ep,
                &m,
                None
            )
            .is_empty()
        );
        let d = check(
            &expect(1, None, ExpectOut::Epoll(vec![(1, EpollData::Fd(5))])),
            &ep,
            &m,
            None,
        );
        assert_eq!(d.len(), 2, "{d:?}");
        // Zero events returned: the placeholder struct is not checked.
        let none = SyscallResult::with(0, SyscallOutput::EpollEvents(vec![]));
        assert!(
            check(
                &expect(0, None, ExpectOut::Epoll(vec![(0, EpollData::Raw(0))])),
                &none,
                &m,
                None
            )
            .is_empty()
        );

        let mut info = TcpInfo::new();
        info.set("state", 1);
        info.set("snd_mss", 1460);
        let live = SyscallResult::with(0, SyscallOutput::OptVal(info.to_bytes()));
        let want = ExpectOut::TcpInfo(vec![
            ("tcpi_state".into(), 1),
            ("tcpi_snd_mss".into(), 1000),
        ]);
        assert_eq!(
            check(&expect(0, None, want), &live, &m, None),
            vec![diff("tcpi_snd_mss", 1000, 1460)]
        );
    }
}
