//! Every `unsafe` call of the kernel target, each wrapped in a safe function.
//!
//! The rule of this module: a wrapper never hands the kernel a pointer that
//! could be written past what it points to. Buffers are Rust slices whose
//! length is the length given to the kernel ([`UserBuf`]); requests whose
//! argument layout the wrapper cannot vouch for (an arbitrary `ioctl` or
//! `fcntl` command) are refused with `EINVAL` before they reach the kernel.
//! Results are `Ok(return value)` or `Err(errno)`.

use std::ffi::CString;
use std::io;
use std::marker::PhantomData;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;

/// A syscall's return value, or the errno it failed with.
pub type SysResult = Result<i64, i32>;

fn last_errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn check(ret: i64) -> SysResult {
    if ret < 0 { Err(last_errno()) } else { Ok(ret) }
}

fn check_io(ret: libc::c_int) -> io::Result<()> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// A user-memory argument: either a live slice, or a NULL pointer with a
/// length (the kernel answers `EFAULT`, as it would for a script's NULL).
pub struct UserBuf<'a> {
    ptr: *mut libc::c_void,
    len: usize,
    _borrow: PhantomData<&'a mut [u8]>,
}

impl<'a> UserBuf<'a> {
    pub fn new(buf: &'a mut [u8]) -> Self {
        UserBuf {
            ptr: buf.as_mut_ptr().cast(),
            len: buf.len(),
            _borrow: PhantomData,
        }
    }
    pub fn null(len: usize) -> Self {
        UserBuf {
            ptr: std::ptr::null_mut(),
            len,
            _borrow: PhantomData,
        }
    }
    fn iovec(&self) -> libc::iovec {
        libc::iovec {
            iov_base: self.ptr,
            iov_len: self.len,
        }
    }
}

fn addr_arg(addr: Option<&[u8]>) -> (*const libc::sockaddr, libc::socklen_t) {
    match addr {
        Some(a) => (a.as_ptr().cast(), a.len() as libc::socklen_t),
        None => (std::ptr::null(), 0),
    }
}

// ---- namespaces, threads, signals ------------------------------------------

/// Moves the calling thread (only it) into a new, anonymous network namespace.
pub fn unshare_net() -> io::Result<()> {
    // SAFETY: unshare takes no pointers; CLONE_NEWNET affects the calling
    // thread only, which is allowed in a multi-threaded process.
    check_io(unsafe { libc::unshare(libc::CLONE_NEWNET) })
}

/// Moves the calling thread into the network namespace `ns` refers to.
pub fn setns_net(ns: BorrowedFd<'_>) -> io::Result<()> {
    // SAFETY: `ns` is a live fd for the duration of the call; no pointers.
    check_io(unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) })
}

/// The kernel's id of the calling thread.
pub fn gettid() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::gettid() }
}

/// The signal that interrupts a worker blocked in a syscall at shutdown.
pub fn wakeup_signal() -> i32 {
    libc::SIGRTMIN() + 3
}

extern "C" fn ignore_signal(_: libc::c_int) {}

/// Installs a do-nothing handler for [`wakeup_signal`] without `SA_RESTART`,
/// so that a blocked syscall returns `EINTR` when the signal arrives.
pub fn install_wakeup_handler() -> io::Result<()> {
    // SAFETY: sigaction is given a zero-initialised, fully set struct; the
    // handler is an `extern "C"` function that does nothing (async-signal-safe).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore_signal as *const () as libc::sighandler_t;
        action.sa_flags = 0;
        libc::sigemptyset(&mut action.sa_mask);
        check_io(libc::sigaction(
            wakeup_signal(),
            &action,
            std::ptr::null_mut(),
        ))
    }
}

/// Sends `sig` to one thread of this process.
pub fn signal_thread(thread: libc::pthread_t, sig: i32) -> io::Result<()> {
    // SAFETY: `thread` comes from a JoinHandle the caller still holds, so the
    // thread has not been joined and the id is valid.
    match unsafe { libc::pthread_kill(thread, sig) } {
        0 => Ok(()),
        e => Err(io::Error::from_raw_os_error(e)),
    }
}

/// Makes a child spawned from `command` get SIGKILL when the thread that
/// spawned it dies (so a killed harness leaves no shell behind), and keeps
/// every fd of the harness above stderr out of it. File descriptors are
/// per process: without this, a script command of one run would hold
/// copies of the sockets of every other run going on in the process, and a
/// `close()` there would send no FIN or RST until the command exited.
pub fn isolate_child(command: &mut std::process::Command) {
    // SAFETY: the closure runs between fork and exec and makes only the
    // prctl and close_range system calls, which are async-signal-safe.
    // CLOSE_RANGE_CLOEXEC marks the fds instead of closing them, so the
    // pipe std uses to report a failed exec still works until exec.
    unsafe {
        command.pre_exec(|| {
            check_io(libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ))?;
            let r = libc::syscall(
                libc::SYS_close_range,
                3 as libc::c_uint,
                libc::c_uint::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            );
            // (Needs Linux 5.11. No message is built: allocating between
            // fork and exec is not allowed.)
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// SIGKILLs one process (something a script command left running).
pub fn kill_process(pid: i32) {
    if pid > 1 {
        // SAFETY: kill takes no pointers. A process that is already gone
        // gives ESRCH, which is fine.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
}

/// The scheduling policy (`SCHED_*`, with `SCHED_RESET_ON_FORK` if set) and
/// the static priority of thread `tid` of this process (0: the caller).
pub fn sched_get(tid: i32) -> io::Result<(i32, i32)> {
    // SAFETY: no pointers.
    let policy = unsafe { libc::sched_getscheduler(tid) };
    if policy < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut param = libc::sched_param { sched_priority: 0 };
    // SAFETY: `param` is a live sched_param the call fills in.
    check_io(unsafe { libc::sched_getparam(tid, &mut param) })?;
    Ok((policy, param.sched_priority))
}

/// Sets thread `tid`'s scheduling policy and static priority (0: the caller).
pub fn sched_set(tid: i32, policy: i32, priority: i32) -> io::Result<()> {
    let param = libc::sched_param {
        sched_priority: priority,
    };
    // SAFETY: `param` is a live sched_param the call only reads.
    check_io(unsafe { libc::sched_setscheduler(tid, policy, &param) })
}

// ---- devices ---------------------------------------------------------------

/// Attaches an open `/dev/net/tun` fd to a new device named `name`.
pub fn tun_set_iff(tun: BorrowedFd<'_>, name: &str, flags: i32) -> io::Result<()> {
    if name.len() >= libc::IFNAMSIZ || name.contains('\0') {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: ifreq is plain data; zeroed is valid. The name fits (checked
    // above, with room for the NUL); TUNSETIFF reads and writes one ifreq.
    unsafe {
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (dst, &src) in ifr.ifr_name.iter_mut().zip(name.as_bytes()) {
            *dst = src as libc::c_char;
        }
        ifr.ifr_ifru.ifru_flags = flags as libc::c_short;
        check_io(libc::ioctl(tun.as_raw_fd(), libc::TUNSETIFF, &mut ifr))
    }
}

/// The index of the interface `name` in the calling thread's namespace.
pub fn if_index(name: &str) -> io::Result<u32> {
    let name = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `name` is a valid NUL-terminated string for the call.
    match unsafe { libc::if_nametoindex(name.as_ptr()) } {
        0 => Err(io::Error::last_os_error()),
        i => Ok(i),
    }
}

/// A non-blocking, close-on-exec eventfd.
pub fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: no pointers; on success the fd is new and owned by us alone.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by eventfd and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A close-on-exec rtnetlink socket in the calling thread's namespace.
pub fn netlink_route_socket() -> io::Result<OwnedFd> {
    // SAFETY: no pointers; on success the fd is new and owned by us alone.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            libc::NETLINK_ROUTE,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by socket and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Waits until one of `fds` is readable or `timeout` passes (nanosecond
/// resolution); returns whether any is. EINTR counts as a timeout.
pub fn wait_readable(fds: &[BorrowedFd<'_>], timeout: std::time::Duration) -> io::Result<bool> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ts = libc::timespec {
        tv_sec: timeout.as_secs().min(i64::MAX as u64) as libc::time_t,
        tv_nsec: libc::c_long::from(timeout.subsec_nanos() as i32),
    };
    // SAFETY: `pfds` is a live array of exactly the length passed; `ts` is a
    // live timespec; a NULL signal mask leaves the mask as it is.
    let n = unsafe {
        libc::ppoll(
            pfds.as_mut_ptr(),
            pfds.len() as libc::nfds_t,
            &ts,
            std::ptr::null(),
        )
    };
    if n < 0 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EINTR) {
            return Ok(false);
        }
        return Err(err);
    }
    Ok(n > 0)
}

// ---- the socket API, as scripts call it -----------------------------------

pub fn socket(domain: i32, ty: i32, protocol: i32) -> SysResult {
    // SAFETY: no pointers.
    check(unsafe { libc::socket(domain, ty, protocol) }.into())
}

pub fn bind(fd: RawFd, addr: Option<&[u8]>) -> SysResult {
    let (ptr, len) = addr_arg(addr);
    // SAFETY: `ptr` is NULL or points at `len` readable bytes.
    check(unsafe { libc::bind(fd, ptr, len) }.into())
}

pub fn connect(fd: RawFd, addr: Option<&[u8]>) -> SysResult {
    let (ptr, len) = addr_arg(addr);
    // SAFETY: `ptr` is NULL or points at `len` readable bytes.
    check(unsafe { libc::connect(fd, ptr, len) }.into())
}

pub fn listen(fd: RawFd, backlog: i32) -> SysResult {
    // SAFETY: no pointers.
    check(unsafe { libc::listen(fd, backlog) }.into())
}

/// `accept4`; the peer address is written into `addr`, its length returned.
pub fn accept4(fd: RawFd, addr: &mut [u8], flags: i32) -> Result<(i64, usize), i32> {
    let mut len = addr.len() as libc::socklen_t;
    // SAFETY: `addr` is writable for `len` bytes; `len` is a live socklen_t.
    let r = unsafe { libc::accept4(fd, addr.as_mut_ptr().cast(), &mut len, flags) };
    check(r.into()).map(|r| (r, len as usize))
}

pub fn read(fd: RawFd, buf: UserBuf<'_>) -> SysResult {
    // SAFETY: `buf` is NULL or writable for `buf.len` bytes.
    check(unsafe { libc::read(fd, buf.ptr, buf.len) } as i64)
}

pub fn write(fd: RawFd, buf: UserBuf<'_>) -> SysResult {
    // SAFETY: `buf` is NULL or readable for `buf.len` bytes.
    check(unsafe { libc::write(fd, buf.ptr, buf.len) } as i64)
}

pub fn readv(fd: RawFd, iov: &mut [UserBuf<'_>]) -> SysResult {
    let vecs: Vec<libc::iovec> = iov.iter().map(UserBuf::iovec).collect();
    // SAFETY: each iovec is NULL or a live writable slice of its length;
    // `vecs` has exactly the count passed.
    check(unsafe { libc::readv(fd, vecs.as_ptr(), vecs.len() as libc::c_int) } as i64)
}

pub fn writev(fd: RawFd, iov: &mut [UserBuf<'_>]) -> SysResult {
    let vecs: Vec<libc::iovec> = iov.iter().map(UserBuf::iovec).collect();
    // SAFETY: as readv; the kernel only reads the buffers.
    check(unsafe { libc::writev(fd, vecs.as_ptr(), vecs.len() as libc::c_int) } as i64)
}

pub fn sendto(fd: RawFd, buf: UserBuf<'_>, flags: i32, addr: Option<&[u8]>) -> SysResult {
    let (ptr, len) = addr_arg(addr);
    // SAFETY: `buf` is NULL or readable for its length; `ptr` likewise.
    check(unsafe { libc::sendto(fd, buf.ptr, buf.len, flags, ptr, len) } as i64)
}

/// `recvfrom`; with `addr` given, the source address is written there and
/// its length returned.
pub fn recvfrom(
    fd: RawFd,
    buf: UserBuf<'_>,
    flags: i32,
    addr: Option<&mut [u8]>,
) -> Result<(i64, usize), i32> {
    let mut len = addr.as_ref().map_or(0, |a| a.len()) as libc::socklen_t;
    let (aptr, lptr) = match addr {
        Some(a) => (a.as_mut_ptr().cast(), &mut len as *mut libc::socklen_t),
        None => (std::ptr::null_mut(), std::ptr::null_mut()),
    };
    // SAFETY: `buf` is NULL or writable for its length; `aptr` is NULL (with
    // `lptr` NULL) or writable for `len` bytes.
    let r = unsafe { libc::recvfrom(fd, buf.ptr, buf.len, flags, aptr, lptr) };
    check(r as i64).map(|r| (r, len as usize))
}

/// `sendmsg` with the given name, buffers and raw control bytes.
pub fn sendmsg(
    fd: RawFd,
    name: Option<&[u8]>,
    iov: &mut [UserBuf<'_>],
    control: &[u8],
    flags: i32,
) -> SysResult {
    let vecs: Vec<libc::iovec> = iov.iter().map(UserBuf::iovec).collect();
    // SAFETY: msghdr is plain data; zeroed is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    if let Some(n) = name {
        msg.msg_name = n.as_ptr() as *mut libc::c_void;
        msg.msg_namelen = n.len() as libc::socklen_t;
    }
    msg.msg_iov = vecs.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = vecs.len();
    if !control.is_empty() {
        msg.msg_control = control.as_ptr() as *mut libc::c_void;
        msg.msg_controllen = control.len();
    }
    // SAFETY: every pointer in `msg` refers to a live buffer of the length
    // stored beside it; sendmsg only reads them.
    check(unsafe { libc::sendmsg(fd, &msg, flags) } as i64)
}

/// What `recvmsg` wrote back besides the data.
pub struct RecvMsgOut {
    pub ret: i64,
    pub name_len: usize,
    pub control_len: usize,
    pub flags: i32,
}

pub fn recvmsg(
    fd: RawFd,
    name: Option<&mut [u8]>,
    iov: &mut [UserBuf<'_>],
    control: &mut [u8],
    flags: i32,
) -> Result<RecvMsgOut, i32> {
    let mut vecs: Vec<libc::iovec> = iov.iter().map(UserBuf::iovec).collect();
    // SAFETY: msghdr is plain data; zeroed is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    if let Some(n) = name {
        msg.msg_name = n.as_mut_ptr().cast();
        msg.msg_namelen = n.len() as libc::socklen_t;
    }
    msg.msg_iov = vecs.as_mut_ptr();
    msg.msg_iovlen = vecs.len();
    if !control.is_empty() {
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len();
    }
    // SAFETY: every pointer in `msg` refers to a live writable buffer of the
    // length stored beside it.
    let r = unsafe { libc::recvmsg(fd, &mut msg, flags) };
    check(r as i64).map(|ret| RecvMsgOut {
        ret,
        name_len: msg.msg_namelen as usize,
        control_len: msg.msg_controllen,
        flags: msg.msg_flags,
    })
}

pub fn close(fd: RawFd) -> SysResult {
    // SAFETY: closing an fd number has no memory effects; the caller owns the
    // numbers it closes (fds the script created).
    check(unsafe { libc::close(fd) }.into())
}

pub fn shutdown(fd: RawFd, how: i32) -> SysResult {
    // SAFETY: no pointers.
    check(unsafe { libc::shutdown(fd, how) }.into())
}

pub fn setsockopt(fd: RawFd, level: i32, name: i32, value: UserBuf<'_>) -> SysResult {
    // SAFETY: `value` is NULL or readable for its length, which is the
    // length passed.
    check(
        unsafe { libc::setsockopt(fd, level, name, value.ptr, value.len as libc::socklen_t) }
            .into(),
    )
}

/// `getsockopt` into `buf`; returns the length the kernel wrote back.
pub fn getsockopt(fd: RawFd, level: i32, name: i32, buf: &mut [u8]) -> Result<(i64, usize), i32> {
    let mut len = buf.len() as libc::socklen_t;
    // SAFETY: `buf` is writable for `len` bytes; `len` is a live socklen_t.
    let r = unsafe { libc::getsockopt(fd, level, name, buf.as_mut_ptr().cast(), &mut len) };
    check(r.into()).map(|r| (r, len as usize))
}

/// `fcntl` commands whose third argument is an integer, not a pointer.
const FCNTL_INT_COMMANDS: &[i32] = &[
    libc::F_DUPFD,
    libc::F_GETFD,
    libc::F_SETFD,
    libc::F_GETFL,
    libc::F_SETFL,
    libc::F_SETOWN,
    libc::F_GETOWN,
    10, // F_SETSIG
    11, // F_GETSIG
    libc::F_SETLEASE,
    libc::F_GETLEASE,
    libc::F_NOTIFY,
    libc::F_DUPFD_CLOEXEC,
    libc::F_SETPIPE_SZ,
    libc::F_GETPIPE_SZ,
];

/// `fcntl(fd, cmd, arg)` for the integer-argument commands; any other command
/// would make the kernel dereference `arg`, so it gives `EINVAL`.
pub fn fcntl(fd: RawFd, cmd: i32, arg: i64) -> SysResult {
    if !FCNTL_INT_COMMANDS.contains(&cmd) {
        return Err(libc::EINVAL);
    }
    // SAFETY: for the commands above the argument is a plain integer.
    check(unsafe { libc::fcntl(fd, cmd, arg as libc::c_long) }.into())
}

/// Sets `FD_CLOEXEC` on an fd the run created.
pub fn set_cloexec(fd: RawFd) -> Result<(), i32> {
    // SAFETY: F_SETFD takes a plain integer; no pointers.
    check(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) }.into()).map(drop)
}

/// `ioctl` requests whose argument is a pointer to one `int`.
pub const IOCTL_INT_REQUESTS: &[u64] = &[
    libc::FIONREAD, // SIOCINQ
    libc::TIOCOUTQ, // SIOCOUTQ
    0x894B,         // SIOCOUTQNSD
    libc::FIONBIO,
    libc::FIOASYNC,
    0x8905, // SIOCATMARK
];

/// `ioctl(fd, request, &value)` for the requests that read or write one int;
/// any other request gives `EINVAL` (its argument could be any size).
pub fn ioctl_int(fd: RawFd, request: u64, value: &mut i32) -> SysResult {
    if !IOCTL_INT_REQUESTS.contains(&request) {
        return Err(libc::EINVAL);
    }
    // SAFETY: for the requests above the kernel reads/writes one int through
    // the pointer, which refers to a live i32.
    check(unsafe { libc::ioctl(fd, request as _, value as *mut i32) }.into())
}

pub fn poll(fds: &mut [libc::pollfd], timeout_ms: i32) -> SysResult {
    // SAFETY: `fds` is a live array of exactly the count passed.
    check(unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) }.into())
}

pub fn epoll_create(size: i32) -> SysResult {
    // SAFETY: no pointers.
    check(unsafe { libc::epoll_create(size) }.into())
}

pub fn epoll_create1(flags: i32) -> SysResult {
    // SAFETY: no pointers.
    check(unsafe { libc::epoll_create1(flags) }.into())
}

pub fn epoll_ctl(epfd: RawFd, op: i32, fd: RawFd, event: Option<libc::epoll_event>) -> SysResult {
    let mut ev = event;
    let ptr = match ev.as_mut() {
        Some(e) => e as *mut libc::epoll_event,
        None => std::ptr::null_mut(),
    };
    // SAFETY: `ptr` is NULL or points at a live epoll_event.
    check(unsafe { libc::epoll_ctl(epfd, op, fd, ptr) }.into())
}

/// `epoll_wait` into `events`; `max_events` is passed as given when it is
/// not positive (the kernel rejects it before writing), else capped at the
/// buffer's length.
pub fn epoll_wait(
    epfd: RawFd,
    events: &mut [libc::epoll_event],
    max_events: i32,
    timeout_ms: i32,
) -> SysResult {
    let max = if max_events <= 0 {
        max_events
    } else {
        max_events.min(events.len() as i32)
    };
    // SAFETY: `events` is writable for at least `max` entries (or `max` is
    // not positive and nothing is written).
    check(unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), max, timeout_ms) }.into())
}

// ---- files and pipes -------------------------------------------------------

/// `open(path, flags, mode)`.
pub fn open(path: &std::ffi::CStr, flags: i32, mode: u32) -> SysResult {
    // SAFETY: `path` is a live NUL-terminated string for the call; the mode
    // is passed as the C variadic `unsigned int` the kernel reads when
    // O_CREAT or O_TMPFILE is set, and ignored otherwise.
    check(unsafe { libc::open(path.as_ptr(), flags, mode as libc::c_uint) }.into())
}

/// `pipe2(fds, flags)`: the read end and the write end.
pub fn pipe2(flags: i32) -> Result<[i32; 2], i32> {
    let mut fds = [-1 as libc::c_int; 2];
    // SAFETY: `fds` is a live array of the two ints the kernel writes.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), flags) }.into()).map(|_| fds)
}

/// A pointer to an offset the kernel reads and advances, or NULL. (`off_t`
/// and `loff_t` are `i64` on 64-bit Linux: a target where they are not does
/// not compile.)
fn offset_ptr(offset: Option<&mut i64>) -> *mut libc::loff_t {
    match offset {
        Some(o) => o,
        None => std::ptr::null_mut(),
    }
}

/// `sendfile(out_fd, in_fd, offset, count)`.
pub fn sendfile(out_fd: RawFd, in_fd: RawFd, offset: Option<&mut i64>, count: usize) -> SysResult {
    let ptr: *mut libc::off_t = offset_ptr(offset);
    // SAFETY: `ptr` is NULL or points at a live i64 (off_t) that the kernel
    // reads and writes back; no user buffers are involved.
    check(unsafe { libc::sendfile(out_fd, in_fd, ptr, count) } as i64)
}

/// `splice(fd_in, off_in, fd_out, off_out, len, flags)`.
pub fn splice(
    fd_in: RawFd,
    off_in: Option<&mut i64>,
    fd_out: RawFd,
    off_out: Option<&mut i64>,
    len: usize,
    flags: u32,
) -> SysResult {
    let (pin, pout) = (offset_ptr(off_in), offset_ptr(off_out));
    // SAFETY: each offset pointer is NULL or points at a distinct live i64
    // (loff_t) the kernel reads and writes back; no user buffers.
    check(unsafe { libc::splice(fd_in, pin, fd_out, pout, len, flags) } as i64)
}
