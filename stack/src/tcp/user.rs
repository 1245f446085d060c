//! User calls: SEND, RECEIVE, CLOSE, ABORT (RFC 9293 §3.10.2–3.10.5), with
//! Linux's errno for each refusal.

use crate::linux::Errno;
use crate::time::Instant;

use super::{Connection, Shutdown};

impl Connection {
    /// SEND (RFC 9293 §3.10.2): queues as much of `data` as fits.
    /// `Err(EAGAIN)` = would block.
    pub fn send(&mut self, now: Instant, data: &[u8]) -> Result<usize, Errno> {
        let _ = (now, data);
        Err(Errno::EAGAIN)
    }
    /// RECEIVE (RFC 9293 §3.10.3): `Ok(0)` = end of stream.
    pub fn recv(&mut self, now: Instant, buf: &mut [u8]) -> Result<usize, Errno> {
        let _ = (now, buf);
        Err(Errno::EAGAIN)
    }
    /// RECEIVE without consuming (MSG_PEEK).
    pub fn peek(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        let _ = buf;
        Err(Errno::EAGAIN)
    }
    /// CLOSE (RFC 9293 §3.10.4) as close(2) does it.
    pub fn close(&mut self, now: Instant) {
        let _ = now;
    }
    /// shutdown(2).
    pub fn shutdown(&mut self, now: Instant, how: Shutdown) -> Result<(), Errno> {
        let _ = (now, how);
        Ok(())
    }
    /// ABORT (RFC 9293 §3.10.5).
    pub fn abort(&mut self, now: Instant) {
        let _ = now;
    }
}
