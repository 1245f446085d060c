//! The TCP engine: one [`Connection`] per TCB, written after RFC 9293 §3.10
//! (OPEN, SEND, RECEIVE, CLOSE, ABORT, SEGMENT ARRIVES, timeouts), sans-IO.
//!
//! # How the host drives a connection
//!
//! - **Open.** Active: [`Connection::connect`]. Passive: the listener asks
//!   [`listen_input`] what to do with a segment; for
//!   [`ListenAction::Syn`] it calls [`Connection::accept_syn`] (SYN-RECEIVED).
//!   ISNs and TS offsets come from an [`IsnGenerator`] seeded by the host.
//! - **Segments in.** [`Connection::on_segment`] runs SEGMENT ARRIVES and
//!   returns a [`SegmentOutcome`] (accepted, established, dropped with a
//!   reason, challenge ACK, reset with an errno, ...). Segments for which no
//!   connection exists get [`reset_for_closed`] (§3.10.7.1).
//! - **Segments out.** Call [`Connection::poll_transmit`] until it returns
//!   `None`, after every input, user call or timer. Segments are in live
//!   numbering with our ports; the host adds the IP header.
//! - **Time.** [`Connection::poll_at`] is the next wake-up; at or after it,
//!   call [`Connection::on_timer`] (then `poll_transmit`). `poll_transmit`
//!   also runs due timers, so calling it alone at `poll_at` is enough.
//! - **User calls.** [`Connection::send`] (and [`Connection::send_with`]
//!   for MSG_MORE), [`Connection::recv`], [`Connection::peek`],
//!   [`Connection::close`], [`Connection::shutdown`], [`Connection::abort`];
//!   errors are Linux errnos; `EAGAIN` means "would block" (the host turns
//!   it into a pending call).
//! - **Readiness.** `readable`, `writable`, `rcv_shutdown`, `snd_shutdown`,
//!   `has_error`, `urgent_pending` feed `socket::readiness`.
//! - **Options and info.** `set_nodelay`, `set_cork`, `set_keepalive`,
//!   `set_keepidle`, `set_keepintvl`, `set_keepcnt`, `set_user_timeout`,
//!   `set_maxseg`, `set_recv_buffer`, `set_send_buffer`, `set_quickack`,
//!   `set_syn_retries`; [`Connection::tcp_info`].
//! - **Sysctls.** [`Connection::set_profile`] after a profile change.
//! - **Delete** the connection when [`Connection::is_finished`] (CLOSED with
//!   no RST left to send) and the user no longer holds it.
//! - **Invariants** for tests and fuzzing: [`Connection::check_invariants`].
//!
//! Linux-only mechanisms (tail loss probes, SYN linear timeouts, ...) are
//! switched by the [`Profile`](crate::profile::Profile); the `rfc` profile
//! follows the RFCs' own rules.

pub mod challenge;
pub mod closed;
pub mod congestion;
mod connection;
mod info;
mod input;
mod invariants;
pub mod isn;
pub mod listen;
pub mod options;
mod outcome;
mod output;
mod pacing;
pub mod reassembly;
mod recovery;
pub mod rtt;
pub mod segment;
pub mod sendbuf;
pub mod seq;
pub mod state;
pub mod tcb;
mod timeouts;
pub mod timer;
mod tlp;
mod user;

#[cfg(test)]
mod tests;

pub use closed::reset_for_closed;
pub use connection::{Connection, Open, Shutdown, SockOpts};
pub use isn::IsnGenerator;
pub use listen::{ListenAction, listen_input};
pub use outcome::{DropReason, SegmentOutcome};
pub use segment::{Flags, SackBlock, Segment, TcpOpt};
pub use seq::SeqNumber;
pub use state::State;
pub use timer::TimerKind;
