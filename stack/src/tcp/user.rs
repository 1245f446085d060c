//! User calls: SEND, RECEIVE, CLOSE, ABORT (RFC 9293 §3.10.2–3.10.5), with
//! the errno Linux returns for each refusal. `EAGAIN` means "would block":
//! the host turns it into a pending call for a blocking socket.

use crate::linux::Errno;
use crate::time::Instant;

use super::state::State;
use super::{Connection, Shutdown};

impl Connection {
    /// SEND (RFC 9293 §3.10.2): queues as much of `data` as fits in the send
    /// buffer and returns how much. Segmentation happens in `poll_transmit`.
    pub fn send(&mut self, now: Instant, data: &[u8]) -> Result<usize, Errno> {
        self.send_with(now, data, false)
    }

    /// SEND with MSG_MORE (`more`): the data is held like TCP_CORK until a
    /// write without it (no PSH either).
    pub fn send_with(&mut self, now: Instant, data: &[u8], more: bool) -> Result<usize, Errno> {
        let _ = now;
        // Linux tcp_sendmsg: a pending error first (and it is consumed), then
        // EPIPE once the sending side is shut.
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        match self.state {
            // "Queue the data for transmission after entering ESTABLISHED
            // state": Linux waits for the connection instead.
            State::SynSent | State::SynReceived => Err(Errno::EAGAIN),
            State::Established | State::CloseWait if !self.sndbuf.fin_queued() => {
                if data.is_empty() {
                    return Ok(0);
                }
                if self.sndbuf.free() == 0 {
                    return Err(Errno::EAGAIN);
                }
                let n = if self.profile.push_per_skb {
                    // Linux: PSH at the end of every send-queue skb.
                    let goal = self.skb_size_goal();
                    let unsent = self.tcb.snd_nxt;
                    self.sndbuf.push_skbs(data, goal, unsent, more)
                } else {
                    // RFC 9293 §3.9.1.2: PSH at the end of each SEND.
                    let n = self.sndbuf.push(data);
                    if !more {
                        self.sndbuf.mark_push();
                    }
                    n
                };
                self.more = more;
                // A TCP_NODELAY push applies to what was queued then.
                self.push_once = false;
                Ok(n)
            }
            // FIN-WAIT-1 and later: "Return "error: connection closing"";
            // CLOSED: "error: connection does not exist". Linux: EPIPE.
            _ => Err(Errno::EPIPE),
        }
    }

    /// RECEIVE (RFC 9293 §3.10.3): copies in-order data into `buf`.
    /// `Ok(0)` is the end of the stream (FIN received, or shut down for
    /// reading, or reset after the error was reported).
    pub fn recv(&mut self, now: Instant, buf: &mut [u8]) -> Result<usize, Errno> {
        let n = self.copy_received(buf);
        if n > 0 {
            self.rcvbuf.drain(..n);
            // "When the TCP endpoint takes responsibility for delivering data
            // to the user, that fact must be communicated to the sender via
            // an acknowledgment": a window update once it opened enough.
            if self.state.is_synchronized() && self.window_would_open() {
                self.ack.window_update = true;
            }
            let _ = now;
            return Ok(n);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        self.recv_empty()
    }

    /// RECEIVE without consuming (MSG_PEEK).
    pub fn peek(&mut self, buf: &mut [u8]) -> Result<usize, Errno> {
        let n = self.copy_received(buf);
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        self.recv_empty()
    }

    fn copy_received(&self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.rcvbuf.len());
        let (a, b) = self.rcvbuf.as_slices();
        let from_a = n.min(a.len());
        buf[..from_a].copy_from_slice(&a[..from_a]);
        buf[from_a..n].copy_from_slice(&b[..n - from_a]);
        n
    }

    /// Nothing to read: end of stream, an error, or "would block" — in
    /// Linux `tcp_recvmsg`'s order.
    fn recv_empty(&mut self) -> Result<usize, Errno> {
        if self.state.fin_received() {
            return Ok(0);
        }
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        if self.shut_rd || self.aborted {
            return Ok(0);
        }
        match self.state {
            State::Closed | State::Listen => Err(Errno::ENOTCONN),
            _ => Err(Errno::EAGAIN),
        }
    }

    /// CLOSE as close(2) does it (RFC 9293 §3.10.4). The connection becomes
    /// an orphan that finishes the close on its own. With unread data, Linux
    /// (and RFC 2525 §2.17) resets the connection instead of sending a FIN.
    pub fn close(&mut self, now: Instant) {
        self.orphan = true;
        if !self.rcvbuf.is_empty() && self.state != State::SynSent && self.state.is_synchronized() {
            self.rcvbuf.clear();
            self.abort(now);
            return;
        }
        self.close_send(now);
        if self.state == State::FinWait2 {
            self.timers
                .set(super::TimerKind::Linger, now + self.profile.fin_timeout);
        }
    }

    /// The sending half of CLOSE: queue the FIN after all data.
    fn close_send(&mut self, now: Instant) {
        match self.state {
            // "Delete the TCB and return "error: closing" responses to any
            // queued SENDs, or RECEIVEs."
            State::SynSent => self.enter_closed(),
            // "If no SENDs have been issued and there is no pending data to
            // send, then form a FIN segment and send it, and enter FIN-WAIT-1
            // state; otherwise, queue for processing after entering
            // ESTABLISHED state." The FIN waits for the handshake here.
            State::SynReceived => self.sndbuf.queue_fin(),
            // "Queue this until all preceding SENDs have been segmentized,
            // then form a FIN segment and send it. In any case, enter
            // FIN-WAIT-1 state."
            State::Established => {
                self.sndbuf.queue_fin();
                self.state = State::FinWait1;
            }
            // "Queue this request until all preceding SENDs have been
            // segmentized; then send a FIN segment, enter LAST-ACK state."
            State::CloseWait => {
                self.sndbuf.queue_fin();
                self.state = State::LastAck;
            }
            // FIN-WAIT-1/2, CLOSING, LAST-ACK, TIME-WAIT: already closing
            // ("an "ok" response would be acceptable, too, as long as a
            // second FIN is not emitted"); CLOSED: nothing to do.
            _ => {}
        }
        let _ = now;
    }

    /// shutdown(2): `Read` stops reception (data still arriving is
    /// acknowledged, reads return 0 once the buffer is empty), `Write` sends
    /// the FIN (the sending half of CLOSE), `Both` does both.
    /// `Err(ENOTCONN)` when there is no connection (Linux `inet_shutdown`).
    pub fn shutdown(&mut self, now: Instant, how: Shutdown) -> Result<(), Errno> {
        if matches!(self.state, State::Closed | State::Listen) {
            return Err(Errno::ENOTCONN);
        }
        if matches!(how, Shutdown::Read | Shutdown::Both) {
            self.shut_rd = true;
        }
        if matches!(how, Shutdown::Write | Shutdown::Both) {
            self.close_send(now);
        }
        Ok(())
    }

    /// ABORT (RFC 9293 §3.10.5), also close(2) with SO_LINGER of zero.
    pub fn abort(&mut self, now: Instant) {
        match self.state {
            // "Send a reset segment: <SEQ=SND.NXT><CTL=RST> ... all segments
            // queued for transmission (except for the RST formed above) or
            // retransmission should be flushed. Delete the TCB".
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait => {
                self.queue_abort_rst(now);
                self.enter_closed();
            }
            // SYN-SENT: "Delete the TCB"; CLOSING, LAST-ACK, TIME-WAIT:
            // "Respond with "ok" and delete the TCB".
            _ => self.enter_closed(),
        }
    }
}
