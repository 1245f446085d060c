//! The send buffer, which is also the retransmission queue: bytes from
//! SND.UNA onwards, sent or not, plus whether a FIN follows them.

use std::collections::VecDeque;

use super::seq::SeqNumber;

/// Unacknowledged and unsent data, in sequence order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendBuffer {
    data: VecDeque<u8>,
    /// Sequence number of `data[0]`.
    start: SeqNumber,
    /// Capacity in bytes (SO_SNDBUF as the stack counts it).
    cap: usize,
    /// The user closed the sending direction: a FIN follows the data.
    fin: bool,
    /// Ends of SEND calls with the PUSH flag (RFC 9293 §3.9.1.2): a
    /// segment covering one carries PSH, on every (re)transmission.
    push_points: VecDeque<SeqNumber>,
}

/// Push points remembered at most (older ones are forgotten: their
/// retransmissions then go without PSH).
const MAX_PUSH_POINTS: usize = 1024;

impl SendBuffer {
    pub fn new(start: SeqNumber, cap: usize) -> SendBuffer {
        SendBuffer {
            data: VecDeque::new(),
            start,
            cap,
            fin: false,
            push_points: VecDeque::new(),
        }
    }
    pub fn len(&self) -> usize {
        self.data.len()
    }
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    pub fn capacity(&self) -> usize {
        self.cap
    }
    pub fn set_capacity(&mut self, cap: usize) {
        self.cap = cap;
    }
    pub fn free(&self) -> usize {
        self.cap.saturating_sub(self.data.len())
    }
    /// Sequence number of the first byte held.
    pub fn start(&self) -> SeqNumber {
        self.start
    }
    /// Sequence number just after the last byte held (where the FIN goes).
    pub fn end(&self) -> SeqNumber {
        self.start + self.data.len() as u32
    }
    /// The FIN's sequence number, once the user has closed.
    pub fn fin_seq(&self) -> Option<SeqNumber> {
        self.fin.then(|| self.end())
    }
    pub fn fin_queued(&self) -> bool {
        self.fin
    }
    /// Queues the FIN after all data (RFC 9293 §3.10.4: "Queue this until
    /// all preceding SENDs have been segmentized, then form a FIN").
    pub fn queue_fin(&mut self) {
        self.fin = true;
    }
    /// Copies as much of `bytes` as fits; returns how much.
    pub fn push(&mut self, bytes: &[u8]) -> usize {
        if self.fin {
            return 0;
        }
        let n = bytes.len().min(self.free());
        self.data.extend(&bytes[..n]);
        n
    }
    /// Marks the end of the data queued so far as a push point.
    pub fn mark_push(&mut self) {
        let end = self.end();
        if self.data.is_empty() || self.push_points.back() == Some(&end) {
            return;
        }
        if self.push_points.len() == MAX_PUSH_POINTS {
            self.push_points.pop_front();
        }
        self.push_points.push_back(end);
    }
    /// Whether a push point lies in (seq, end]: the segment [seq, end) ends
    /// a pushed SEND or contains the end of one.
    pub fn pushes_in(&self, seq: SeqNumber, end: SeqNumber) -> bool {
        // Points are in sequence order: find the first after `seq`.
        let i = self.push_points.partition_point(|p| p.le(seq));
        self.push_points.get(i).is_some_and(|p| p.le(end))
    }
    /// Forgets data acknowledged up to (not including) `ack`. Sequence numbers
    /// outside the data (the SYN before it, the FIN after it) are ignored.
    pub fn ack_to(&mut self, ack: SeqNumber) {
        if ack.le(self.start) {
            return;
        }
        let n = (ack - self.start).min(self.data.len() as u32);
        self.data.drain(..n as usize);
        self.start += n;
        let start = self.start;
        while self.push_points.front().is_some_and(|p| p.le(start)) {
            self.push_points.pop_front();
        }
    }
    /// Bytes held from `seq` to the end (zero if `seq` is past the end).
    pub fn available_from(&self, seq: SeqNumber) -> u32 {
        let end = self.end();
        if seq.ge(end) || seq.lt(self.start) {
            return 0;
        }
        end - seq
    }
    /// Appends up to `max` bytes starting at `seq` to `out`.
    pub fn copy_out(&self, seq: SeqNumber, max: usize, out: &mut Vec<u8>) {
        if seq.lt(self.start) {
            return;
        }
        let off = (seq - self.start) as usize;
        if off >= self.data.len() {
            return;
        }
        let n = max.min(self.data.len() - off);
        let (a, b) = self.data.as_slices();
        if off < a.len() {
            let take = n.min(a.len() - off);
            out.extend_from_slice(&a[off..off + take]);
            out.extend_from_slice(&b[..n - take]);
        } else {
            let o = off - a.len();
            out.extend_from_slice(&b[o..o + n]);
        }
    }
    /// Drops everything (ABORT: "all segments queued for transmission ... or
    /// retransmission should be flushed").
    pub fn flush(&mut self) {
        self.start = self.end();
        self.data.clear();
        self.push_points.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_ack_and_copy_track_sequence_numbers() {
        let mut b = SendBuffer::new(SeqNumber(u32::MAX - 2), 8);
        assert_eq!(b.push(b"abcdefghij"), 8);
        assert_eq!(b.end(), SeqNumber(5));
        let mut out = Vec::new();
        b.copy_out(SeqNumber(0), 3, &mut out);
        assert_eq!(out, b"def");
        b.ack_to(SeqNumber(1));
        assert_eq!((b.start(), b.len()), (SeqNumber(1), 4));
        assert_eq!(b.available_from(SeqNumber(3)), 2);
        assert_eq!(b.available_from(SeqNumber(9)), 0);
        b.queue_fin();
        assert_eq!(b.push(b"x"), 0, "no data after FIN");
        assert_eq!(b.fin_seq(), Some(SeqNumber(5)));
        b.ack_to(SeqNumber(6)); // acks data and FIN
        assert!(b.is_empty());
        assert_eq!(b.start(), SeqNumber(5));
    }

    #[test]
    fn push_points_mark_the_ends_of_writes() {
        let mut b = SendBuffer::new(SeqNumber(100), 100);
        b.push(b"aaaa");
        b.mark_push();
        b.push(b"bbbb");
        b.push(b"cc");
        b.mark_push();
        let p = |a: u32, z: u32| b.pushes_in(SeqNumber(a), SeqNumber(z));
        assert!(p(100, 104) && p(102, 104) && p(100, 110) && p(108, 110));
        assert!(!p(100, 103) && !p(104, 108) && !p(110, 110));
        b.ack_to(SeqNumber(105));
        assert!(!b.pushes_in(SeqNumber(100), SeqNumber(104)));
        assert!(b.pushes_in(SeqNumber(105), SeqNumber(110)));
    }

    #[test]
    fn copy_out_across_the_ring_seam() {
        let mut b = SendBuffer::new(SeqNumber(0), 8);
        b.push(b"012345");
        b.ack_to(SeqNumber(5));
        b.push(b"6789abc");
        let mut out = Vec::new();
        b.copy_out(SeqNumber(5), 100, &mut out);
        assert_eq!(out, b"56789abc");
    }
}
