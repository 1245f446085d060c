//! The BSD socket API as scripts call it, with Linux's numbers and errnos.
//!
//! A call is a value ([`Call`]); [`crate::host::Stack::call`] runs it and
//! returns [`CallOutcome::Done`] with what the kernel would return, or
//! [`CallOutcome::Pending`] when a blocking call would sleep. The stack then
//! retries the pending call itself whenever something that could complete it
//! happens (a packet, a timer, another call) and reports it through
//! [`crate::host::Stack::poll_completion`] at the virtual time it completes.

mod call;
pub mod cookie;
mod direct;
pub(crate) mod dispatch;
pub mod epoll;
pub mod fd;
mod lifecycle;
pub mod listen;
pub mod opts;
mod poll_calls;
pub mod readiness;
pub mod sock;
mod sockopt;
pub(crate) mod tcp_calls;
mod udp_calls;

pub use call::*;
