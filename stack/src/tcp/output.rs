//! What to send.

use crate::time::Instant;

use super::{Connection, Segment};

impl Connection {
    /// The next segment to emit at `now`, in live numbering, or `None`.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<Segment> {
        self.on_timer(now);
        self.ctl.pop_front()
    }

    pub(crate) fn init_rcv_window(&mut self) {}
}
