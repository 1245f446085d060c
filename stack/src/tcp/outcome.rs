//! What became of an arriving segment. RFC-mandated drops, resets and
//! challenge ACKs are values, not errors (STYLE.md habit 6).

use crate::linux::Errno;

/// The result of [`Connection::on_segment`](super::Connection::on_segment).
/// Any reply (ACK, RST, data) is queued and comes out of `poll_transmit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentOutcome {
    /// Processed normally.
    Accepted,
    /// This segment completed the handshake: SYN-SENT or SYN-RECEIVED moved
    /// to ESTABLISHED (or beyond, if it also carried a FIN). A passive
    /// connection is now ready for the accept queue.
    Established,
    /// Dropped; a reply may have been queued (see the reason).
    Dropped(DropReason),
    /// RFC 5961 challenge ACK: queued if `sent`, suppressed by the rate limit
    /// otherwise. The segment was dropped.
    ChallengeAck { sent: bool },
    /// The connection was reset by the peer and is CLOSED. The errno is what
    /// the user sees (`ECONNREFUSED` before the handshake completed,
    /// `ECONNRESET` after, `EPIPE` after the user closed).
    Reset(Errno),
    /// A passively opened connection in SYN-RECEIVED got a RST (RFC 9293
    /// §3.10.7.4 second step: "return this connection to LISTEN state"): the
    /// embryonic connection is gone (state CLOSED); the listener is
    /// unaffected and the user is not told.
    ReturnedToListen,
    /// The connection reached CLOSED without error (LAST-ACK's FIN was
    /// acknowledged; a RST in CLOSING, LAST-ACK or TIME-WAIT). The host may
    /// delete it.
    Closed,
    /// A SYN arrived for this connection in TIME-WAIT and may open a new
    /// incarnation (RFC 6191; Linux). The TIME-WAIT connection is now CLOSED:
    /// the host should hand the same SYN to the listener, if any.
    TimeWaitReopen,
}

/// Why a segment was dropped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// The connection is CLOSED; a RST was queued per RFC 9293 §3.10.7.1
    /// unless the segment itself was a RST.
    Closed,
    /// RFC 9293 §3.10.7.4 first step: not acceptable; an ACK was queued
    /// unless the segment carried RST (or the rate limit suppressed it).
    Unacceptable { ack_sent: bool },
    /// RFC 7323 §5.3: PAWS rejected an old timestamp; an ACK was queued
    /// unless the segment carried RST.
    Paws { ack_sent: bool },
    /// RFC 5961 §3.2 / RFC 9293 §3.10.7.4: RST outside the receive window.
    RstOutOfWindow,
    /// RFC 9293 §3.10.7.4 fifth step: the ACK bit is off.
    NoAck,
    /// RFC 9293 §3.10.7.4 fifth step: SEG.ACK acknowledges something not yet
    /// sent; an ACK was queued.
    AckOfUnsentData,
    /// RFC 5961 §5.2: SEG.ACK is older than SND.UNA − MAX.SND.WND; an ACK was
    /// queued (rate limited like a challenge ACK).
    AckTooOld { ack_sent: bool },
    /// RFC 9293 §3.10.7.3 first step: SYN-SENT got an ACK outside
    /// (ISS, SND.NXT]; a RST was queued unless the segment was a RST.
    BadAckInSynSent,
    /// RFC 9293 §3.10.7.3 second step: a RST in SYN-SENT without an acceptable ACK.
    RstWithoutAck,
    /// RFC 9293 §3.10.7.3 fifth step: neither SYN nor RST in SYN-SENT.
    NoSynNoRst,
    /// RFC 9293 §3.10.7.4 fifth step (SYN-RECEIVED): the ACK does not
    /// acknowledge our SYN; a RST `<SEQ=SEG.ACK><CTL=RST>` was queued.
    BadAckInSynReceived,
    /// Out-of-order data that did not fit in the bounded reassembly store.
    ReassemblyFull,
}
