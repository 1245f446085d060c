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
    /// Ends of SEND calls with the PUSH flag (RFC 9293 §3.9.1.2), or of
    /// Linux send-queue skbs: a segment covering one carries PSH, on every
    /// (re)transmission.
    push_points: VecDeque<SeqNumber>,
    /// Where the last skb starts ([`SendBuffer::push_skbs`]): it takes more
    /// data until it is full or any of it has been sent.
    skb_start: SeqNumber,
    /// The data of the segment being sent, `(SEG.SEQ, SEG.LEN)` without
    /// SYN or FIN ([`SendBuffer::stage`]): it stays here, so the host can
    /// write it straight into the frame instead of copying it into the
    /// segment first.
    staged: Option<(SeqNumber, usize)>,
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
            skb_start: start,
            staged: None,
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

    /// Queues as much of `bytes` as fits the way Linux fills its send
    /// queue (`tcp_sendmsg_locked`), and returns how much: the last skb
    /// grows up to `goal` bytes if none of it has been sent yet (it starts
    /// at or after `unsent_from`, SND.NXT), then new skbs of `goal` bytes
    /// follow. Every skb that fills up ends in a push point; so does the
    /// last one unless `more` (MSG_MORE). A push point at the end of an
    /// skb that grows moves with its end, as the skb's PSH flag does.
    pub fn push_skbs(
        &mut self,
        bytes: &[u8],
        goal: u32,
        unsent_from: SeqNumber,
        more: bool,
    ) -> usize {
        let goal = goal.max(1);
        let end = self.end();
        let tail_open = self.skb_start.ge(unsent_from) && end - self.skb_start < goal;
        if !tail_open {
            self.skb_start = end;
        } else if self.push_points.back() == Some(&end) {
            self.push_points.pop_back();
        }
        let n = self.push(bytes);
        let end = self.end();
        while end - self.skb_start >= goal {
            self.skb_start += goal;
            let at = self.skb_start;
            self.push_point_at(at);
        }
        if !more {
            self.mark_push();
        }
        n
    }

    fn push_point_at(&mut self, at: SeqNumber) {
        if self.push_points.back().is_some_and(|&p| p.ge(at)) {
            return;
        }
        if self.push_points.len() == MAX_PUSH_POINTS {
            self.push_points.pop_front();
        }
        self.push_points.push_back(at);
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
    /// Up to `max` bytes starting at `seq`, as the ring holds them: one
    /// slice, or two when they wrap around (the second is empty if not,
    /// and both are if nothing is held at `seq`).
    pub fn slices(&self, seq: SeqNumber, max: usize) -> (&[u8], &[u8]) {
        if seq.lt(self.start) {
            return (&[], &[]);
        }
        let off = (seq - self.start) as usize;
        if off >= self.data.len() {
            return (&[], &[]);
        }
        let n = max.min(self.data.len() - off);
        let (a, b) = self.data.as_slices();
        if off < a.len() {
            let take = n.min(a.len() - off);
            (&a[off..off + take], &b[..n - take])
        } else {
            let o = off - a.len();
            (&b[o..o + n], &[])
        }
    }
    /// Appends up to `max` bytes starting at `seq` to `out`.
    pub fn copy_out(&self, seq: SeqNumber, max: usize, out: &mut Vec<u8>) {
        let (a, b) = self.slices(seq, max);
        out.extend_from_slice(a);
        out.extend_from_slice(b);
    }
    /// Marks `len` bytes from `seq` as the payload of the segment being
    /// sent, until the next `stage` or [`unstage`](Self::unstage).
    pub fn stage(&mut self, seq: SeqNumber, len: usize) {
        self.staged = Some((seq, len));
    }
    /// The segment being sent has no payload from here.
    pub fn unstage(&mut self) {
        self.staged = None;
    }
    /// The staged payload ([`slices`](Self::slices) of it); empty if none.
    pub fn staged(&self) -> (&[u8], &[u8]) {
        match self.staged {
            Some((seq, len)) => self.slices(seq, len),
            None => (&[], &[]),
        }
    }
    /// Drops everything (ABORT: "all segments queued for transmission ... or
    /// retransmission should be flushed").
    pub fn flush(&mut self) {
        self.start = self.end();
        self.data.clear();
        self.push_points.clear();
        self.skb_start = self.start;
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

    /// Linux skbs: a 4000-byte write with a 2000-byte goal is two skbs,
    /// each ending in PSH (`. P. . P.` at MSS 1000); the next write grows an
    /// unsent partial skb and moves its PSH; a sent one stays closed.
    #[test]
    fn push_points_at_skb_ends() {
        let mut b = SendBuffer::new(SeqNumber(0), 100_000);
        let unsent = SeqNumber(0);
        assert_eq!(b.push_skbs(&[0; 4000], 2000, unsent, false), 4000);
        let p = |b: &SendBuffer, a: u32, z: u32| b.pushes_in(SeqNumber(a), SeqNumber(z));
        assert!(!p(&b, 0, 1000) && p(&b, 1000, 2000) && !p(&b, 2000, 3000) && p(&b, 3000, 4000));
        // 500 more: a new skb [4000, 4500) with PSH at its end.
        b.push_skbs(&[0; 500], 2000, unsent, false);
        assert!(p(&b, 4000, 4500));
        // Unsent, so 1000 more grow it to [4000, 5500); PSH moves.
        b.push_skbs(&[0; 1000], 2000, unsent, false);
        assert!(!p(&b, 4000, 4500) && p(&b, 4500, 5500));
        // 1000 more: it fills at 6000 (PSH) and [6000, 6500) follows.
        b.push_skbs(&[0; 1000], 2000, unsent, false);
        assert!(p(&b, 5500, 6000) && !p(&b, 6000, 6499) && p(&b, 6000, 6500));
        // Once any of [6000, 6500) is sent, the next write starts afresh.
        b.push_skbs(&[0; 100], 2000, SeqNumber(6200), false);
        assert!(p(&b, 6000, 6500) && p(&b, 6500, 6600));
        // MSG_MORE: no PSH at the end, one at a filled skb.
        b.push_skbs(&[0; 2500], 2000, SeqNumber(6600), true);
        assert!(p(&b, 6600, 8600) && !p(&b, 8601, 9100));
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
        // The same bytes as the ring holds them: two slices, in order.
        let (x, y) = b.slices(SeqNumber(5), 100);
        assert!(!x.is_empty() && !y.is_empty(), "wrapped: {x:?} {y:?}");
        assert_eq!([x, y].concat(), b"56789abc");
        let (x, y) = b.slices(SeqNumber(6), 3);
        assert_eq!([x, y].concat(), b"678");
        assert_eq!(b.slices(SeqNumber(4), 3), (&[][..], &[][..]), "acked");
        assert_eq!(
            b.slices(SeqNumber(13), 3),
            (&[][..], &[][..]),
            "past the end"
        );
    }

    #[test]
    fn staged_payload_is_the_marked_range_until_restaged() {
        let mut b = SendBuffer::new(SeqNumber(10), 100);
        b.push(b"abcdefgh");
        assert_eq!(b.staged(), (&[][..], &[][..]));
        b.stage(SeqNumber(12), 4);
        assert_eq!(b.staged().0, b"cdef");
        b.unstage();
        assert_eq!(b.staged(), (&[][..], &[][..]));
    }
}
