//! SEGMENT ARRIVES in the LISTEN state (RFC 9293 §3.10.7.2). The listen
//! queues (SYN queue, accept queue, SYN cookies) belong to the host; this is
//! the per-segment decision it asks the TCP engine for.

use super::closed::reset_to_ack;
use super::segment::Segment;

/// What a listener does with an arriving segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAction {
    /// First step: "An incoming RST should be ignored."
    IgnoreRst,
    /// Second step: "Any acknowledgment is bad if it arrives on a connection
    /// still in the LISTEN state": send `<SEQ=SEG.ACK><CTL=RST>`.
    ///
    /// (A host with SYN cookies checks an ACK against its cookie first, and
    /// only then falls back to this reply.)
    Reset(Segment),
    /// Third step: a SYN. Create a connection with
    /// [`Connection::accept_syn`](super::Connection::accept_syn), which enters
    /// SYN-RECEIVED and queues the SYN-ACK.
    Syn,
    /// Fourth step: "Drop the segment and return."
    Drop,
}

/// RFC 9293 §3.10.7.2, steps one to four, in order.
pub fn listen_input(seg: &Segment) -> ListenAction {
    // First, check for a RST.
    if seg.flags.rst() {
        return ListenAction::IgnoreRst;
    }
    // Second, check for an ACK.
    if seg.flags.ack() {
        return ListenAction::Reset(reset_to_ack(seg));
    }
    // Third, check for a SYN (the security check is not applicable: no
    // IP security options in this stack).
    if seg.flags.syn() {
        return ListenAction::Syn;
    }
    // Fourth, other data or control.
    ListenAction::Drop
}
