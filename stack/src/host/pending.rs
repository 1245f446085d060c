//! Blocking calls. A call that would sleep in the kernel is kept here with
//! its progress; the stack retries it after every event (packet, timer,
//! other call) and reports it when it completes, or when its timeout passes.

use super::{Completion, Stack};
use crate::linux::Errno;
use crate::socket::dispatch::RecvShape;
use crate::socket::tcp_calls::recv_output;
use crate::socket::{Call, CallId, CallOutcome, CallResult};
use crate::time::Instant;

/// How far a call got, carried between attempts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Not the first attempt.
    pub resumed: bool,
    /// Bytes already taken by a blocking write, or already read by a
    /// `MSG_WAITALL` read.
    pub done: usize,
    pub data: Vec<u8>,
    /// A blocking connect() sent its SYN and waits for the outcome.
    pub connecting: bool,
    /// A blocking close() with SO_LINGER waits for its FIN to be acked.
    pub lingering: bool,
    /// When the call gives up (poll/epoll timeout, SO_LINGER).
    pub deadline: Option<Instant>,
}

impl Progress {
    pub fn timed_out(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|d| now >= d)
    }
}

/// The result of one attempt at a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    Done(CallResult),
    /// Would block: try again after the next event.
    Block,
}

impl From<CallResult> for Step {
    fn from(r: CallResult) -> Self {
        Step::Done(r)
    }
}

/// A blocked call.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    pub call: Call,
    pub progress: Progress,
    pub deadline: Option<Instant>,
}

impl Stack {
    /// Runs a socket call at `now`. A call that would block in the kernel
    /// returns [`CallOutcome::Pending`]; its result comes later from
    /// [`Stack::poll_completion`].
    pub fn call(&mut self, now: Instant, call: Call) -> CallOutcome {
        self.advance(now);
        let mut progress = Progress::default();
        let step = self.exec(&call, &mut progress);
        let out = match step {
            Step::Done(r) => CallOutcome::Done(r),
            Step::Block => {
                let id = self.alloc_call_id();
                let deadline = progress.deadline;
                self.pending.insert(
                    id,
                    Pending {
                        call,
                        progress,
                        deadline,
                    },
                );
                CallOutcome::Pending(id)
            }
        };
        self.after_event();
        out
    }

    /// `fd` was closed: blocked reads and writes on it end now with what
    /// they did — the bytes a write already took (they will be sent), the
    /// data a `MSG_WAITALL` read already took — or `EBADF` if nothing.
    /// (Otherwise a resumed call would find the fd gone, or reused by a new
    /// socket, and lose or misplace that count.)
    pub(crate) fn end_pending_on(&mut self, fd: i32) {
        let ids: Vec<CallId> = self
            .pending
            .iter()
            .filter(|(_, p)| p.call.data_fd() == Some(fd))
            .map(|(&id, _)| id)
            .collect();
        for id in ids {
            let Some(p) = self.pending.remove(&id) else {
                continue;
            };
            let shape = match p.call {
                Call::RecvFrom { .. } => Some(RecvShape::From),
                Call::RecvMsg { .. } => Some(RecvShape::Msg),
                Call::Read { .. } | Call::Readv { .. } | Call::Recv { .. } => Some(RecvShape::Data),
                _ => None,
            };
            let result = match (shape, p.progress) {
                (None, pr) if pr.done > 0 => CallResult::ok(pr.done as i64),
                (Some(shape), pr) if !pr.data.is_empty() => {
                    CallResult::with(pr.data.len() as i64, recv_output(shape, pr.data, None, 0))
                }
                _ => CallResult::err(Errno::EBADF),
            };
            self.completions.push_back(Completion {
                id,
                at: self.now,
                result,
            });
        }
    }

    /// Retries every blocked call, in the order they were made, until a
    /// pass completes none (one completion can unblock another).
    pub(crate) fn retry_pending(&mut self) {
        while !self.pending.is_empty() {
            let ids: Vec<_> = self.pending.keys().copied().collect();
            let mut progressed = false;
            for id in ids {
                let Some(mut p) = self.pending.remove(&id) else {
                    continue;
                };
                p.progress.resumed = true;
                match self.exec(&p.call, &mut p.progress) {
                    Step::Done(result) => {
                        progressed = true;
                        self.completions.push_back(Completion {
                            id,
                            at: self.now,
                            result,
                        });
                    }
                    Step::Block => {
                        p.deadline = p.progress.deadline;
                        self.pending.insert(id, p);
                    }
                }
            }
            if !progressed {
                break;
            }
        }
    }
}
