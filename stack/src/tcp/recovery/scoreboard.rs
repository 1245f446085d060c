//! The sender's SACK scoreboard (RFC 6675 §3, §4): which octets between
//! SND.UNA (HighACK) and SND.MAX (HighData) the receiver reported as held,
//! and the routines of RFC 6675 §4 that read it: Update(), IsLost(),
//! SetPipe() and the retransmission rules of NextSeg().
//!
//! Memory is bounded: at most [`MAX_RANGES`] disjoint ranges. Forgetting a
//! SACKed range is always safe (the data is merely retransmitted again,
//! RFC 2018 §8: SACK is advisory), so the highest ranges are dropped first.
//! Every range lies in [SND.UNA, SND.NXT]: blocks outside are not recorded.

use crate::tcp::segment::SackBlock;
use crate::tcp::seq::SeqNumber;

/// The most SACKed ranges kept per connection.
pub const MAX_RANGES: usize = 32;

/// SACKed ranges, sorted, disjoint and not adjacent, each `left < right`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scoreboard {
    ranges: Vec<SackBlock>,
}

/// What NextSeg() chooses (RFC 6675 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextSeg {
    /// Rules (1) and (3): retransmit `len` octets from `seq`.
    Retransmit { seq: SeqNumber, len: u32, rule: u8 },
    /// Rule (2): previously unsent data from HighData.
    NewData,
    /// Rule (4): the rescue retransmission of `len` octets from `seq`.
    Rescue { seq: SeqNumber, len: u32 },
    /// Rule (5): nothing to send.
    Nothing,
}

/// The sender's variables NextSeg() and SetPipe() read (RFC 6675 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    /// HighACK: SND.UNA.
    pub una: SeqNumber,
    /// HighData + 1: SND.MAX.
    pub high_data: SeqNumber,
    /// HighRxt + 1: the first octet not retransmitted in this recovery.
    pub high_rxt: SeqNumber,
    pub dupthresh: u32,
    pub smss: u32,
}

/// Which NextSeg() rules a profile uses beyond (1) and (2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// Rule (3): retransmit a hole not yet deemed lost.
    pub rule3: bool,
    /// Rule (4): one rescue retransmission per recovery, allowed now.
    pub rescue: bool,
    /// Rule (2) applies: unsent data exists and the peer's window allows.
    pub new_data: bool,
}

impl Scoreboard {
    pub fn ranges(&self) -> &[SackBlock] {
        &self.ranges
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Forgets every SACK (after a timeout, RFC 2018 §8).
    pub fn clear(&mut self) {
        self.ranges.clear();
    }

    /// Octets SACKed.
    pub fn sacked_bytes(&self) -> u32 {
        self.ranges.iter().map(|r| r.right - r.left).sum()
    }

    /// One past the highest SACKed octet.
    pub fn highest_sacked(&self) -> Option<SeqNumber> {
        self.ranges.last().map(|r| r.right)
    }

    /// Whether octet `seq` was SACKed.
    #[cfg(test)]
    pub fn is_sacked(&self, seq: SeqNumber) -> bool {
        self.ranges
            .iter()
            .any(|r| seq.ge(r.left) && seq.lt(r.right))
    }

    /// A cumulative ACK: ranges at or below SND.UNA go (RFC 6675 §5: data
    /// leaves the retransmission queue only when cumulatively acknowledged).
    pub fn ack_to(&mut self, una: SeqNumber) {
        self.ranges.retain_mut(|r| {
            if r.left.lt(una) {
                r.left = una;
            }
            r.left.lt(r.right)
        });
    }

    /// RFC 6675 §4 Update(): records the ACK's SACK blocks after the
    /// cumulative ACK `una`; `nxt` is SND.MAX. Returns the octets newly
    /// SACKed. A block reaching beyond SND.NXT is invalid and ignored; one
    /// at or below SND.UNA (a D-SACK, RFC 2883) reports nothing new.
    pub fn update(&mut self, una: SeqNumber, nxt: SeqNumber, blocks: &[SackBlock]) -> u32 {
        self.ack_to(una);
        let before = self.sacked_bytes();
        for b in blocks {
            if b.right.gt(nxt) || !b.left.lt(b.right) || b.right.le(una) {
                continue;
            }
            self.insert(b.left.max(una), b.right);
        }
        self.ranges.truncate(MAX_RANGES);
        self.sacked_bytes().saturating_sub(before)
    }

    /// Adds [left, right), merging with overlapping or adjacent ranges.
    fn insert(&mut self, mut left: SeqNumber, mut right: SeqNumber) {
        let at = self.ranges.partition_point(|r| r.right.lt(left));
        let mut end = at;
        while end < self.ranges.len() && self.ranges[end].left.le(right) {
            left = left.min(self.ranges[end].left);
            right = right.max(self.ranges[end].right);
            end += 1;
        }
        self.ranges.splice(at..end, [SackBlock { left, right }]);
    }

    /// SACKed ranges and octets above octet `seq`.
    fn sacked_above(&self, seq: SeqNumber) -> (u32, u32) {
        self.ranges
            .iter()
            .filter(|r| r.right.gt(seq + 1))
            .fold((0, 0), |(n, bytes), r| {
                (n + 1, bytes + (r.right - r.left.max(seq + 1)))
            })
    }

    /// RFC 6675 §4 IsLost(SeqNum): "The routine returns true when either
    /// DupThresh discontiguous SACKed sequences have arrived above
    /// 'SeqNum' or more than (DupThresh - 1) * SMSS bytes with sequence
    /// numbers greater than 'SeqNum' have been SACKed."
    pub fn is_lost(&self, seq: SeqNumber, dupthresh: u32, smss: u32) -> bool {
        let (n, bytes) = self.sacked_above(seq);
        n >= dupthresh || bytes > dupthresh.saturating_sub(1).saturating_mul(smss)
    }

    /// The unSACKed ranges ("holes") between SND.UNA and SND.MAX, in order;
    /// the last may lie above every SACKed range.
    pub fn holes(&self, una: SeqNumber, high_data: SeqNumber) -> Holes<'_> {
        Holes {
            ranges: &self.ranges,
            next: 0,
            from: una,
            high_data,
        }
    }

    /// RFC 6675 §4 SetPipe(): for each unSACKed octet between HighACK and
    /// HighData, "(a) If IsLost (S1) returns false: pipe += 1 ... (b) If S1
    /// <= HighRxt: pipe += 1". IsLost() is the same for every octet of a
    /// hole (the same ranges lie above each), so holes are summed whole.
    pub fn pipe(&self, q: &Query) -> u32 {
        self.holes(q.una, q.high_data)
            .map(|(s, e)| {
                let original = if self.is_lost(s, q.dupthresh, q.smss) {
                    0
                } else {
                    e - s
                };
                let rxt_end = q.high_rxt.min(e);
                let retransmitted = if rxt_end.gt(s) { rxt_end - s } else { 0 };
                original + retransmitted
            })
            .sum()
    }

    /// RFC 6675 §4 NextSeg().
    pub fn next_seg(&self, q: &Query, rules: Rules) -> NextSeg {
        // (1.a) S2 > HighRxt, (1.b) S2 below the highest SACKed octet:
        // the first such octet, in the lowest hole not yet retransmitted.
        let candidate = self.highest_sacked().and_then(|top| {
            self.holes(q.una, q.high_data).find_map(|(s, e)| {
                let s2 = s.max(q.high_rxt);
                (s2.lt(e) && s2.lt(top)).then(|| (s2, (e - s2).min(q.smss)))
            })
        });
        if let Some((seq, len)) = candidate {
            // (1.c) IsLost(S2): "the sequence range of one segment of up
            // to SMSS octets starting with S2 MUST be returned".
            if self.is_lost(seq, q.dupthresh, q.smss) {
                return NextSeg::Retransmit { seq, len, rule: 1 };
            }
        }
        // (2) "available unsent data and the receiver's advertised window
        // allows": one segment from HighData+1.
        if rules.new_data {
            return NextSeg::NewData;
        }
        // (3) "an unSACKed sequence number 'S3' that meets ... (1.a) and
        // (1.b) ... (specifically excluding step (1.c))".
        if let (true, Some((seq, len))) = (rules.rule3, candidate) {
            return NextSeg::Retransmit { seq, len, rule: 3 };
        }
        // (4) "one segment of up to SMSS octets that MUST include the
        // highest outstanding unSACKed sequence number".
        if rules.rescue {
            if let Some((s, e)) = self.holes(q.una, q.high_data).last() {
                let seq = s.max(e - q.smss.min(e - s));
                return NextSeg::Rescue { seq, len: e - seq };
            }
        }
        NextSeg::Nothing
    }

    /// The scoreboard's invariants against SND.UNA and SND.MAX.
    pub fn check(&self, una: SeqNumber, nxt: SeqNumber) -> Result<(), String> {
        if self.ranges.len() > MAX_RANGES {
            return Err(format!("{} SACK ranges kept", self.ranges.len()));
        }
        let mut prev = una;
        for (i, r) in self.ranges.iter().enumerate() {
            let ordered = if i == 0 {
                r.left.ge(prev)
            } else {
                r.left.gt(prev)
            };
            if !ordered || !r.left.lt(r.right) || r.right.gt(nxt) {
                return Err(format!(
                    "SACK range {r:?} out of order or outside [{una:?}, {nxt:?}]"
                ));
            }
            prev = r.right;
        }
        Ok(())
    }
}

/// Iterator over the holes of a scoreboard (see [`Scoreboard::holes`]).
#[derive(Debug)]
pub struct Holes<'a> {
    ranges: &'a [SackBlock],
    next: usize,
    from: SeqNumber,
    high_data: SeqNumber,
}

impl Iterator for Holes<'_> {
    type Item = (SeqNumber, SeqNumber);
    fn next(&mut self) -> Option<(SeqNumber, SeqNumber)> {
        while self.from.lt(self.high_data) {
            let end = match self.ranges.get(self.next) {
                Some(r) => r.left.min(self.high_data),
                None => self.high_data,
            };
            let start = self.from;
            if let Some(r) = self.ranges.get(self.next) {
                self.from = r.right;
                self.next += 1;
            } else {
                self.from = self.high_data;
            }
            if start.lt(end) {
                return Some((start, end));
            }
        }
        None
    }
}

#[cfg(test)]
#[path = "scoreboard_tests.rs"]
mod tests;
