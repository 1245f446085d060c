//! Bounded out-of-order store (RFC 9293 §3.10.7.4 first step: "Segments with
//! higher beginning sequence numbers SHOULD be held for later processing"
//! (SHLD-31)), which also yields the SACK blocks of RFC 2018 §4.
//!
//! Blocks are kept disjoint and non-adjacent, sorted by their distance from
//! RCV.NXT. The store holds at most `max_blocks` blocks: a segment that would
//! create one more is dropped (the peer retransmits it).

use super::segment::SackBlock;
use super::seq::SeqNumber;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Block {
    start: SeqNumber,
    data: Vec<u8>,
    /// Insertion counter of the latest segment merged into this block.
    stamp: u64,
}

impl Block {
    fn end(&self) -> SeqNumber {
        self.start + self.data.len() as u32
    }
}

/// The store is full: the segment was not kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

/// Out-of-order data waiting for the hole before it to fill.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reassembly {
    blocks: Vec<Block>,
    max_blocks: usize,
    counter: u64,
    /// Sequence number of a FIN that arrived out of order.
    fin: Option<SeqNumber>,
}

impl Reassembly {
    pub fn new(max_blocks: usize) -> Reassembly {
        Reassembly {
            blocks: Vec::new(),
            max_blocks: max_blocks.max(1),
            counter: 0,
            fin: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty() && self.fin.is_none()
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.blocks.iter().map(|b| b.data.len()).sum()
    }

    pub fn clear(&mut self) {
        self.blocks.clear();
        self.fin = None;
    }

    /// Stores `data` at `seq` (after `rcv_nxt`, trimmed to the window by the
    /// caller), merging with overlapping or adjacent blocks. Bytes already
    /// held keep their value.
    pub fn insert(&mut self, rcv_nxt: SeqNumber, seq: SeqNumber, data: &[u8]) -> Result<(), Full> {
        if data.is_empty() {
            return Ok(());
        }
        let key = |s: SeqNumber| s - rcv_nxt;
        let (new_lo, new_hi) = (key(seq), key(seq) + data.len() as u32);
        // Blocks that overlap or touch [new_lo, new_hi].
        let first = self.blocks.iter().position(|b| key(b.end()) >= new_lo);
        let touching: Vec<usize> = match first {
            Some(i) => (i..self.blocks.len())
                .take_while(|&j| key(self.blocks[j].start) <= new_hi)
                .collect(),
            None => Vec::new(),
        };
        if touching.is_empty() && self.blocks.len() >= self.max_blocks {
            return Err(Full);
        }
        self.counter += 1;
        let stamp = self.counter;
        let Some(&i0) = touching.first() else {
            let at = first.unwrap_or(self.blocks.len());
            self.blocks.insert(
                at,
                Block {
                    start: seq,
                    data: data.to_vec(),
                    stamp,
                },
            );
            return Ok(());
        };
        let i1 = touching[touching.len() - 1];
        let lo = new_lo.min(key(self.blocks[i0].start));
        let hi = new_hi.max(key(self.blocks[i1].end()));
        let mut merged = vec![0u8; (hi - lo) as usize];
        // New data first, then the old blocks over it: held bytes win.
        let off = (new_lo - lo) as usize;
        merged[off..off + data.len()].copy_from_slice(data);
        for b in &self.blocks[i0..=i1] {
            let o = (key(b.start) - lo) as usize;
            merged[o..o + b.data.len()].copy_from_slice(&b.data);
        }
        self.blocks.drain(i0..=i1);
        self.blocks.insert(
            i0,
            Block {
                start: rcv_nxt + lo,
                data: merged,
                stamp,
            },
        );
        Ok(())
    }

    /// Records a FIN received out of order at `seq`.
    pub fn set_fin(&mut self, seq: SeqNumber) {
        self.fin = Some(seq);
    }

    /// Takes the data that now continues the stream at `rcv_nxt`, if any
    /// (bytes before `rcv_nxt` are dropped).
    pub fn pop(&mut self, rcv_nxt: SeqNumber) -> Option<Vec<u8>> {
        while let Some(b) = self.blocks.first() {
            if b.start.gt(rcv_nxt) {
                return None;
            }
            let b = self.blocks.remove(0);
            if b.end().gt(rcv_nxt) {
                let skip = (rcv_nxt - b.start) as usize;
                let mut data = b.data;
                data.drain(..skip);
                return Some(data);
            }
        }
        None
    }

    /// Whether the out-of-order FIN is now in sequence at `rcv_nxt`; clears it.
    pub fn take_fin(&mut self, rcv_nxt: SeqNumber) -> bool {
        if self.fin == Some(rcv_nxt) {
            self.fin = None;
            return true;
        }
        false
    }

    /// SACK blocks, the block holding the most recently received segment
    /// first (RFC 2018 §4: "The first SACK block ... MUST specify the
    /// contiguous block of data containing the segment which triggered this
    /// ACK"), then the others by recency.
    pub fn sack_blocks(&self) -> Vec<SackBlock> {
        let mut v: Vec<&Block> = self.blocks.iter().collect();
        v.sort_by_key(|b| core::cmp::Reverse(b.stamp));
        v.into_iter()
            .map(|b| SackBlock {
                left: b.start,
                right: b.end(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// The stream's byte at absolute offset `i`.
    fn byte(i: u64) -> u8 {
        (i.wrapping_mul(31) ^ (i >> 7)) as u8
    }

    /// Naive model: one map entry per byte.
    #[derive(Default)]
    struct Model {
        bytes: BTreeMap<u64, u8>,
    }

    impl Model {
        fn ranges(&self) -> Vec<(u64, u64)> {
            let mut out: Vec<(u64, u64)> = Vec::new();
            for &k in self.bytes.keys() {
                match out.last_mut() {
                    Some(r) if r.1 == k => r.1 += 1,
                    _ => out.push((k, k + 1)),
                }
            }
            out
        }
        fn touches(&self, lo: u64, hi: u64) -> bool {
            self.ranges().iter().any(|&(a, b)| a <= hi && lo <= b)
        }
    }

    proptest! {
        #[test]
        fn matches_naive_model(
            base in any::<u32>(),
            ops in prop::collection::vec((0u64..400, 1u64..60, any::<bool>()), 1..80),
            max_blocks in 1usize..6,
        ) {
            let mut r = Reassembly::new(max_blocks);
            let mut m = Model::default();
            let mut nxt: u64 = 0; // absolute offset of RCV.NXT
            let mut delivered: Vec<u8> = Vec::new();
            let seq = |abs: u64| SeqNumber(base.wrapping_add(abs as u32));
            for (off, len, in_order) in ops {
                let lo = if in_order { nxt } else { nxt + 1 + off };
                let hi = lo + len;
                let data: Vec<u8> = (lo..hi).map(byte).collect();
                if lo == nxt {
                    delivered.extend(&data);
                    nxt = hi;
                    for i in lo..hi { m.bytes.remove(&i); }
                    // Pull whatever continues the stream.
                    while let Some(more) = r.pop(seq(nxt)) {
                        delivered.extend(&more);
                        nxt += more.len() as u64;
                    }
                    let keys: Vec<u64> = m.bytes.range(..nxt).map(|(k, _)| *k).collect();
                    for k in keys { m.bytes.remove(&k); }
                } else {
                    let expect_full = m.ranges().len() >= max_blocks && !m.touches(lo, hi);
                    let res = r.insert(seq(nxt), seq(lo), &data);
                    prop_assert_eq!(res.is_err(), expect_full);
                    if res.is_ok() {
                        for i in lo..hi { m.bytes.insert(i, byte(i)); }
                    }
                }
                // Same held ranges as the model.
                let mut got: Vec<(u64, u64)> = r.sack_blocks().iter()
                    .map(|b| (nxt + u64::from(b.left - seq(nxt)), nxt + u64::from(b.right - seq(nxt))))
                    .collect();
                got.sort();
                prop_assert_eq!(got, m.ranges());
                prop_assert_eq!(r.bytes(), m.bytes.len());
            }
            prop_assert!(delivered.iter().enumerate().all(|(i, b)| *b == byte(i as u64)));
            prop_assert_eq!(delivered.len() as u64, nxt);
        }
    }

    #[test]
    fn most_recent_block_is_reported_first() {
        // RFC 2018 §4 (MUST): the first block contains the triggering segment.
        let mut r = Reassembly::new(4);
        let n = SeqNumber(1000);
        r.insert(n, SeqNumber(1100), &[1; 10]).unwrap();
        r.insert(n, SeqNumber(1300), &[1; 10]).unwrap();
        r.insert(n, SeqNumber(1200), &[1; 10]).unwrap();
        let lefts: Vec<u32> = r.sack_blocks().iter().map(|b| b.left.0).collect();
        assert_eq!(lefts, [1200, 1300, 1100]);
        r.insert(n, SeqNumber(1110), &[1; 5]).unwrap();
        assert_eq!(
            r.sack_blocks()[0],
            SackBlock {
                left: SeqNumber(1100),
                right: SeqNumber(1115)
            }
        );
    }

    #[test]
    fn out_of_order_fin_waits_for_the_hole() {
        let mut r = Reassembly::new(2);
        r.set_fin(SeqNumber(20));
        assert!(!r.take_fin(SeqNumber(10)));
        assert!(r.take_fin(SeqNumber(20)));
        assert!(r.is_empty());
    }
}
