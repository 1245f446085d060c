//! The file descriptors a run's script created: the only ones its syscalls
//! may name, closed when the run ends, each with its close-on-exec flag as
//! the script set it.
//!
//! fds are per process, and several runs share the harness's process. Every
//! fd a script creates is therefore really close-on-exec (see
//! [`super::exec`]), so that no script command — of this run or of another —
//! ever holds a copy of a run's socket (a copy keeps the socket open after
//! the script closes it: no FIN). The flag the script asked for lives here:
//! `F_GETFD` reports it and `F_SETFD` changes it, without the kernel.

use crate::target::{Syscall, SyscallOutput, SyscallResult};
use std::collections::BTreeMap;

/// The open fds, each with the close-on-exec flag the script sees.
#[derive(Debug, Default)]
pub struct Fds {
    open: BTreeMap<i32, bool>,
}

impl Fds {
    /// The open fds, in order.
    pub fn iter(&self) -> impl Iterator<Item = i32> + '_ {
        self.open.keys().copied()
    }

    fn mine(&self, fd: i32) -> bool {
        self.open.contains_key(&fd)
    }

    /// The call with any fd it names checked against the run's own fds: a
    /// foreign fd (another run's socket, the harness's own files) is never
    /// handed to the kernel. `None`: answer EBADF without calling.
    pub fn confine(&self, call: Syscall) -> Option<Syscall> {
        match call {
            Syscall::Socket { .. }
            | Syscall::EpollCreate { .. }
            | Syscall::Open { .. }
            | Syscall::Pipe { .. } => Some(call),
            Syscall::SendFile { out_fd, in_fd, .. } => {
                (self.mine(out_fd) && self.mine(in_fd)).then_some(call)
            }
            Syscall::Splice { fd_in, fd_out, .. } => {
                (self.mine(fd_in) && self.mine(fd_out)).then_some(call)
            }
            Syscall::Poll {
                mut fds,
                timeout_ms,
            } => {
                // An fd that is not open makes POLLNVAL, as a foreign one
                // would look to a process that had not opened it.
                for p in &mut fds {
                    if p.fd >= 0 && !self.mine(p.fd) {
                        p.fd = i32::MAX;
                    }
                }
                Some(Syscall::Poll { fds, timeout_ms })
            }
            Syscall::EpollCtl { epfd, fd, .. } => {
                (self.mine(epfd) && self.mine(fd)).then_some(call)
            }
            Syscall::EpollWait { epfd, .. } => self.mine(epfd).then_some(call),
            Syscall::Bind { fd, .. }
            | Syscall::Listen { fd, .. }
            | Syscall::Accept { fd, .. }
            | Syscall::Connect { fd, .. }
            | Syscall::Read { fd, .. }
            | Syscall::Readv { fd, .. }
            | Syscall::Write { fd, .. }
            | Syscall::Writev { fd, .. }
            | Syscall::Send { fd, .. }
            | Syscall::SendTo { fd, .. }
            | Syscall::SendMsg { fd, .. }
            | Syscall::Recv { fd, .. }
            | Syscall::RecvFrom { fd, .. }
            | Syscall::RecvMsg { fd, .. }
            | Syscall::Close { fd }
            | Syscall::Shutdown { fd, .. }
            | Syscall::SetSockOpt { fd, .. }
            | Syscall::GetSockOpt { fd, .. }
            | Syscall::Fcntl { fd, .. }
            | Syscall::Ioctl { fd, .. } => self.mine(fd).then_some(call),
        }
    }

    /// The answer to a call about the close-on-exec flag of an fd of the
    /// run (`F_GETFD`, `F_SETFD`): kept here, not in the kernel.
    pub fn answer(&mut self, call: &Syscall) -> Option<SyscallResult> {
        let Syscall::Fcntl { fd, cmd, arg } = call else {
            return None;
        };
        let flag = self.open.get_mut(fd)?;
        match *cmd {
            libc::F_GETFD => Some(SyscallResult::with(
                i64::from(if *flag { libc::FD_CLOEXEC } else { 0 }),
                SyscallOutput::None,
            )),
            libc::F_SETFD => {
                *flag = arg & i64::from(libc::FD_CLOEXEC) != 0;
                Some(SyscallResult::with(0, SyscallOutput::None))
            }
            _ => None,
        }
    }

    /// Keeps the bookkeeping in step with a completed call (as the script
    /// made it).
    pub fn account(&mut self, call: &Syscall, result: &SyscallResult) {
        if result.errno.is_some() {
            return;
        }
        let cloexec = |flags: i32| flags & libc::O_CLOEXEC != 0;
        let created = match call {
            Syscall::Socket { ty, .. } => Some(cloexec(*ty)),
            Syscall::Accept { flags, .. } | Syscall::EpollCreate { flags, .. } => {
                Some(cloexec(*flags))
            }
            Syscall::Open { flags, .. } => Some(cloexec(*flags)),
            Syscall::Pipe { flags } => {
                if let SyscallOutput::Pipe(ends) = result.out {
                    for fd in ends {
                        self.open.insert(fd, cloexec(*flags));
                    }
                }
                None
            }
            Syscall::Fcntl { cmd, .. } if *cmd == libc::F_DUPFD => Some(false),
            Syscall::Fcntl { cmd, .. } if *cmd == libc::F_DUPFD_CLOEXEC => Some(true),
            Syscall::Close { fd } => {
                self.open.remove(fd);
                None
            }
            _ => None,
        };
        if let (Some(flag), Ok(fd)) = (created, i32::try_from(result.ret))
            && fd >= 0
        {
            self.open.insert(fd, flag);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(ret: i64) -> SyscallResult {
        SyscallResult::with(ret, SyscallOutput::None)
    }

    fn fcntl(fd: i32, cmd: i32, arg: i64) -> Syscall {
        Syscall::Fcntl { fd, cmd, arg }
    }

    #[test]
    fn created_fds_are_tracked_with_the_flag_the_script_asked_for() {
        let mut fds = Fds::default();
        let socket = |ty| Syscall::Socket {
            domain: libc::AF_INET,
            ty,
            protocol: 0,
        };
        fds.account(&socket(libc::SOCK_STREAM), &ok(3));
        fds.account(&socket(libc::SOCK_STREAM | libc::SOCK_CLOEXEC), &ok(4));
        fds.account(
            &Syscall::Accept {
                fd: 3,
                flags: libc::SOCK_CLOEXEC,
            },
            &ok(5),
        );
        fds.account(&Syscall::EpollCreate { size: 1, flags: 0 }, &ok(6));
        fds.account(&fcntl(3, libc::F_DUPFD, 10), &ok(10));
        fds.account(&fcntl(3, libc::F_DUPFD_CLOEXEC, 10), &ok(11));
        fds.account(
            &socket(libc::SOCK_STREAM),
            &SyscallResult::err(libc::EMFILE),
        );
        assert_eq!(fds.iter().collect::<Vec<_>>(), [3, 4, 5, 6, 10, 11]);
        let flags: Vec<i64> = [3, 4, 5, 6, 10, 11]
            .iter()
            .map(|&fd| fds.answer(&fcntl(fd, libc::F_GETFD, 0)).unwrap().ret)
            .collect();
        assert_eq!(flags, [0, 1, 1, 0, 0, 1]);
        fds.account(&Syscall::Close { fd: 4 }, &ok(0));
        fds.account(&Syscall::Close { fd: 5 }, &SyscallResult::err(libc::EINTR));
        assert_eq!(fds.iter().collect::<Vec<_>>(), [3, 5, 6, 10, 11]);
    }

    #[test]
    fn f_setfd_changes_only_what_f_getfd_reports() {
        let mut fds = Fds::default();
        fds.account(&Syscall::EpollCreate { size: 1, flags: 0 }, &ok(7));
        let set = fds.answer(&fcntl(7, libc::F_SETFD, 1)).unwrap();
        assert_eq!((set.ret, set.errno), (0, None));
        assert_eq!(fds.answer(&fcntl(7, libc::F_GETFD, 0)).unwrap().ret, 1);
        fds.answer(&fcntl(7, libc::F_SETFD, 0));
        assert_eq!(fds.answer(&fcntl(7, libc::F_GETFD, 0)).unwrap().ret, 0);
        assert_eq!(
            fds.answer(&fcntl(7, libc::F_GETFL, 0)),
            None,
            "to the kernel"
        );
        assert_eq!(
            fds.answer(&fcntl(8, libc::F_GETFD, 0)),
            None,
            "not the run's"
        );
    }

    #[test]
    fn foreign_fds_never_reach_the_kernel() {
        let mut fds = Fds::default();
        fds.account(&Syscall::EpollCreate { size: 1, flags: 0 }, &ok(5));
        assert_eq!(fds.confine(Syscall::Close { fd: 1 }), None);
        assert!(fds.confine(Syscall::Close { fd: 5 }).is_some());
        let ctl = |fd| Syscall::EpollCtl {
            epfd: 5,
            op: 1,
            fd,
            event: None,
        };
        assert_eq!(fds.confine(ctl(2)), None);
        let poll = Syscall::Poll {
            fds: vec![
                crate::target::PollFd { fd: 5, events: 1 },
                crate::target::PollFd { fd: 0, events: 1 },
                crate::target::PollFd { fd: -1, events: 1 },
            ],
            timeout_ms: 0,
        };
        let Some(Syscall::Poll { fds: confined, .. }) = fds.confine(poll) else {
            panic!()
        };
        let numbers: Vec<i32> = confined.iter().map(|p| p.fd).collect();
        assert_eq!(numbers, [5, i32::MAX, -1]);
    }

    #[test]
    fn files_and_pipes_are_tracked_and_confined() {
        let mut fds = Fds::default();
        let open = |flags| Syscall::Open {
            path: b"/dev/null".to_vec(),
            flags,
            mode: 0,
        };
        fds.account(&open(libc::O_RDONLY), &ok(5));
        fds.account(&open(libc::O_RDONLY | libc::O_CLOEXEC), &ok(6));
        fds.account(
            &Syscall::Pipe {
                flags: libc::O_CLOEXEC,
            },
            &SyscallResult::with(0, SyscallOutput::Pipe([7, 8])),
        );
        fds.account(
            &Syscall::Pipe { flags: 0 },
            &SyscallResult::err(libc::EMFILE),
        );
        assert_eq!(fds.iter().collect::<Vec<_>>(), [5, 6, 7, 8]);
        let flags: Vec<i64> = [5, 6, 7, 8]
            .iter()
            .map(|&fd| fds.answer(&fcntl(fd, libc::F_GETFD, 0)).unwrap().ret)
            .collect();
        assert_eq!(flags, [0, 1, 1, 1]);
        let sendfile = |out_fd, in_fd| Syscall::SendFile {
            out_fd,
            in_fd,
            offset: Some(0),
            count: 1,
        };
        assert!(fds.confine(sendfile(8, 5)).is_some());
        assert_eq!(fds.confine(sendfile(8, 0)), None, "foreign input");
        assert_eq!(fds.confine(sendfile(1, 5)), None, "foreign output");
        let splice = |fd_in, fd_out| Syscall::Splice {
            fd_in,
            off_in: None,
            fd_out,
            off_out: None,
            len: 1,
            flags: 0,
        };
        assert!(fds.confine(splice(7, 8)).is_some());
        assert_eq!(fds.confine(splice(2, 8)), None);
        assert_eq!(fds.confine(splice(7, 2)), None);
        fds.account(&Syscall::Close { fd: 7 }, &ok(0));
        assert_eq!(fds.confine(splice(7, 8)), None, "closed");
    }
}
