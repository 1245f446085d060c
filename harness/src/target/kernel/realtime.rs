//! A real-time scheduling class for the threads a run's timing depends on.
//!
//! Scripts check real times with a few milliseconds of tolerance. On a
//! loaded machine a normal thread that wakes from a timed wait can wait that
//! long again for a CPU (measured on a 2-core machine at load 5: 0.15 ms
//! late typically, 7 ms at the 99th percentile, 26 ms at worst), and every
//! syscall is a hand-off between two threads, each one such wake-up. So the
//! thread driving a run (it waits for deadlines, injects packets, reads
//! `tun0`) and the syscall workers run under `SCHED_FIFO` at a low priority
//! when the process may (CAP_SYS_NICE or RLIMIT_RTPRIO): they preempt normal
//! threads when they wake. They only ever block — in `ppoll`, in the
//! script's syscalls — so they take no more CPU than before, and the
//! kernel's real-time throttling bounds them if a bug made one spin.
//!
//! `SCHED_RESET_ON_FORK` gives every thread or process they start (script
//! commands, helper threads) the normal class back. A thread whose class
//! someone chose already (`chrt`, `nice`d to `SCHED_IDLE`, …) is left as it
//! is. `NETDRILL_KERNEL_REALTIME=0` turns all of this off.

use super::sys;
use std::path::Path;

/// The priorities of the two kinds of thread: above every normal thread,
/// below the kernel's own real-time threads (threaded interrupt handlers
/// run at 50).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The thread driving the run.
    Driver = 10,
    /// A syscall worker: one above the driver, so that a worker woken on
    /// the driver's CPU runs at once instead of waiting for the driver to
    /// sleep or being moved to another CPU (measured on a bare hand-off
    /// between two threads through a channel and an eventfd, in a 2-CPU
    /// VM: median 17 us this way, 31 us at equal priorities).
    Worker = 11,
}
/// The environment variable that turns real-time scheduling off when `0`.
pub const OPT_OUT: &str = "NETDRILL_KERNEL_REALTIME";

/// A thread this module raised, with the class to give back.
#[derive(Debug)]
pub struct Raised {
    tid: i32,
    policy: i32,
    priority: i32,
}

fn enabled() -> bool {
    std::env::var_os(OPT_OUT).is_none_or(|v| v != "0")
}

/// Puts the calling thread in `SCHED_FIFO` at `role`'s priority; `None` if
/// turned off, not permitted, or the thread is not in the normal class.
pub fn raise_current_thread(role: Role) -> Option<Raised> {
    if !enabled() {
        return None;
    }
    let (policy, priority) = sys::sched_get(0).ok()?;
    if policy & !libc::SCHED_RESET_ON_FORK != libc::SCHED_OTHER {
        return None;
    }
    sys::sched_set(0, libc::SCHED_FIFO | libc::SCHED_RESET_ON_FORK, role as i32).ok()?;
    Some(Raised {
        tid: sys::gettid(),
        policy,
        priority,
    })
}

impl Raised {
    /// Gives the thread its class back, if it is still a thread of this
    /// process (thread ids are reused; another process's never is touched).
    pub fn restore(self) {
        if Path::new(&format!("/proc/self/task/{}", self.tid)).exists() {
            let _ = sys::sched_set(self.tid, self.policy, self.priority);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On a fresh thread (so the test runner's threads are not touched):
    /// raised to FIFO with reset-on-fork, a thread it starts is normal, and
    /// restoring gives the old class back. Without the privilege, nothing
    /// changes.
    #[test]
    fn a_raised_thread_is_fifo_its_children_are_not_and_it_is_restored() {
        std::thread::spawn(|| {
            let before = sys::sched_get(0).unwrap();
            let Some(raised) = raise_current_thread(Role::Driver) else {
                assert_eq!(
                    sys::sched_get(0).unwrap(),
                    before,
                    "failed raise changed it"
                );
                return;
            };
            assert_eq!(
                sys::sched_get(0).unwrap(),
                (
                    libc::SCHED_FIFO | libc::SCHED_RESET_ON_FORK,
                    Role::Driver as i32
                )
            );
            let child = std::thread::spawn(|| sys::sched_get(0).unwrap())
                .join()
                .unwrap();
            assert_eq!(child, (libc::SCHED_OTHER, 0), "reset on fork");
            assert!(
                raise_current_thread(Role::Worker).is_none(),
                "already real-time"
            );
            raised.restore();
            assert_eq!(sys::sched_get(0).unwrap(), before);
        })
        .join()
        .unwrap();
    }
}
