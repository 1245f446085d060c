//! SEGMENT ARRIVES (RFC 9293 §3.10.7).

use crate::time::Instant;

use super::{Connection, DropReason, Segment, SegmentOutcome};

impl Connection {
    /// SEGMENT ARRIVES: processes one segment addressed to this connection.
    pub fn on_segment(&mut self, now: Instant, seg: &Segment) -> SegmentOutcome {
        let _ = (now, seg);
        SegmentOutcome::Dropped(DropReason::Closed)
    }
}
