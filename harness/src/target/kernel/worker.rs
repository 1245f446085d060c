//! Syscall workers: threads living in the run's namespace that execute the
//! script's syscalls, one at a time each, as packetdrill's syscall thread does.
//!
//! The caller hands a call to an idle worker and then learns whether it
//! returned or blocked: it blocked when the worker is inside that call and the
//! kernel reports the thread as sleeping (state `S` in its
//! `/proc/thread-self/stat`, kept open and re-read). A blocked worker stays
//! busy until its completion arrives as a [`Done`]; meanwhile further calls
//! go to other workers, spawned on demand. Workers run in the real-time
//! class when permitted (see [`super::realtime`]).

use super::exec;
use super::netns::Namespace;
use super::realtime;
use super::sys;
use super::{Clock, Done};
use crate::target::{Syscall, SyscallId};
use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::thread::JoinHandleExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::thread::{self, JoinHandle};

struct Job {
    id: SyscallId,
    call: Syscall,
}

/// What the caller may read about a worker while it works.
#[derive(Default)]
struct Shared {
    /// The id + 1 of the call in progress; 0 when idle.
    current: AtomicU64,
}

pub struct Worker {
    jobs: Option<Sender<Job>>,
    shared: Arc<Shared>,
    /// The thread's `/proc/thread-self/stat`, opened by the thread itself.
    stat: File,
    handle: Option<JoinHandle<()>>,
    /// The blocked call this worker is still executing.
    pub blocked_on: Option<SyscallId>,
}

impl Worker {
    /// Starts a worker inside `ns`; its results go to `done`, and each one
    /// is signalled on the eventfd `wake`.
    pub fn spawn(
        index: usize,
        ns: Arc<Namespace>,
        clock: Clock,
        done: Sender<Done>,
        wake: Arc<File>,
    ) -> io::Result<Worker> {
        let shared = Arc::new(Shared::default());
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready_tx, ready) = mpsc::channel::<io::Result<File>>();
        let mine = Arc::clone(&shared);
        let handle = thread::Builder::new()
            .name(format!("netdrill-sys{index}"))
            .spawn(move || {
                let entered = ns
                    .enter()
                    .and_then(|()| File::open("/proc/thread-self/stat"));
                let ok = entered.is_ok();
                // Lives as long as the thread: nothing to give back.
                let _ = realtime::raise_current_thread(realtime::Role::Worker);
                let _ = ready_tx.send(entered);
                if !ok {
                    return;
                }
                for job in inbox {
                    mine.current.store(job.id.0 + 1, Ordering::SeqCst);
                    let outcome = exec::execute(&job.call);
                    let at = clock.now();
                    mine.current.store(0, Ordering::SeqCst);
                    let msg = Done {
                        worker: index,
                        id: job.id,
                        call: job.call,
                        at,
                        outcome,
                    };
                    if done.send(msg).is_err() {
                        return;
                    }
                    let _ = (&*wake).write(&1u64.to_ne_bytes());
                }
            })?;
        let stat = ready
            .recv()
            .map_err(|_| io::Error::other("a syscall worker died while starting"))??;
        Ok(Worker {
            jobs: Some(jobs),
            shared,
            stat,
            handle: Some(handle),
            blocked_on: None,
        })
    }

    pub fn submit(&self, id: SyscallId, call: Syscall) -> io::Result<()> {
        self.jobs
            .as_ref()
            .and_then(|j| j.send(Job { id, call }).ok())
            .ok_or_else(|| io::Error::other("the syscall worker has stopped"))
    }

    /// Whether the worker is asleep inside the kernel while executing `id`.
    pub fn is_blocked_in(&self, id: SyscallId) -> bool {
        let running = |s: &Shared| s.current.load(Ordering::SeqCst) == id.0 + 1;
        if !running(&self.shared) {
            return false;
        }
        let sleeping = thread_state(&self.stat) == Some('S');
        // Still the same call after the state was read: the sleep was in it.
        sleeping && running(&self.shared)
    }

    /// Asks the thread to stop once idle (it exits when its inbox closes).
    pub fn close_inbox(&mut self) {
        self.jobs = None;
    }

    /// Interrupts a blocking syscall (it returns EINTR).
    pub fn interrupt(&self) {
        if let Some(h) = &self.handle {
            let _ = sys::signal_thread(h.as_pthread_t(), sys::wakeup_signal());
        }
    }

    pub fn is_finished(&self) -> bool {
        self.handle.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Waits for the thread, if it has finished; an unfinished one is left
    /// running detached (it holds only its own stack).
    pub fn join_if_finished(&mut self) {
        if self.is_finished()
            && let Some(h) = self.handle.take()
        {
            let _ = h.join();
        }
    }
}

/// The scheduler state letter in a thread's open `stat` file (each read
/// from the start makes the kernel write it afresh).
fn thread_state(stat: &File) -> Option<char> {
    let mut buf = [0u8; 512];
    let n = stat.read_at(&mut buf, 0).ok()?;
    parse_state(std::str::from_utf8(&buf[..n]).ok()?)
}

/// The state field of a `stat` line: the first letter after the `)` that
/// closes the command name (which may itself contain spaces and parentheses).
fn parse_state(stat: &str) -> Option<char> {
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.trim_start().chars().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_read_after_the_command_name() {
        assert_eq!(parse_state("42 (netdrill-sys0) S 1 2 3"), Some('S'));
        assert_eq!(parse_state("42 (a) b (c)) R 1"), Some('R'));
        assert_eq!(parse_state("42 (x)"), None);
        assert_eq!(parse_state("garbage"), None);
    }

    #[test]
    fn this_thread_is_running_while_it_reads_its_own_state() {
        let stat = File::open("/proc/thread-self/stat").unwrap();
        assert_eq!(thread_state(&stat), Some('R'));
        assert_eq!(thread_state(&stat), Some('R'), "read again from the start");
    }

    #[test]
    fn a_sleeping_thread_reads_as_sleeping() {
        let (tx, rx) = mpsc::channel();
        let (go_tx, go) = mpsc::channel::<()>();
        let t = thread::spawn(move || {
            tx.send(File::open("/proc/thread-self/stat").unwrap())
                .unwrap();
            let _ = go.recv(); // sleeps on a futex
        });
        let stat = rx.recv().unwrap();
        let start = std::time::Instant::now();
        while thread_state(&stat) != Some('S') {
            assert!(start.elapsed().as_secs() < 5, "never seen asleep");
            thread::yield_now();
        }
        go_tx.send(()).unwrap();
        t.join().unwrap();
    }
}
