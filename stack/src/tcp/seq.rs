//! Sequence numbers: 32-bit values compared modulo 2^32 (RFC 9293 §3.4).
//!
//! "It is essential to remember that the actual sequence number space is
//! finite, though very large ... all arithmetic dealing with sequence numbers
//! must be performed modulo 2**32." Comparisons are therefore methods, not
//! `PartialOrd`: modular "before" is not transitive over the whole space.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A TCP sequence (or acknowledgment) number.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// Signed distance `self - other`, in (-2^31, 2^31].
    pub const fn diff(self, other: SeqNumber) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }
    /// `self < other` modulo 2^32.
    pub const fn lt(self, other: SeqNumber) -> bool {
        self.diff(other) < 0
    }
    /// `self =< other` modulo 2^32.
    pub const fn le(self, other: SeqNumber) -> bool {
        self.diff(other) <= 0
    }
    /// `self > other` modulo 2^32.
    pub const fn gt(self, other: SeqNumber) -> bool {
        self.diff(other) > 0
    }
    /// `self >= other` modulo 2^32.
    pub const fn ge(self, other: SeqNumber) -> bool {
        self.diff(other) >= 0
    }
    /// `lo =< self < hi`: membership in a half-open window of
    /// `hi - lo` numbers (empty when `hi == lo`).
    pub const fn in_window(self, lo: SeqNumber, len: u32) -> bool {
        self.0.wrapping_sub(lo.0) < len
    }
    /// The later of two numbers (modulo 2^32).
    pub fn max(self, other: SeqNumber) -> SeqNumber {
        if self.ge(other) { self } else { other }
    }
    /// The earlier of two numbers (modulo 2^32).
    pub fn min(self, other: SeqNumber) -> SeqNumber {
        if self.le(other) { self } else { other }
    }
}

impl Add<u32> for SeqNumber {
    type Output = SeqNumber;
    fn add(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(n))
    }
}

impl AddAssign<u32> for SeqNumber {
    fn add_assign(&mut self, n: u32) {
        *self = *self + n;
    }
}

impl Sub<u32> for SeqNumber {
    type Output = SeqNumber;
    fn sub(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(n))
    }
}

/// `a - b` as an unsigned offset (the number of sequence numbers from `b` up
/// to `a`, modulo 2^32). Use it when `b =< a` is known.
impl Sub for SeqNumber {
    type Output = u32;
    fn sub(self, other: SeqNumber) -> u32 {
        self.0.wrapping_sub(other.0)
    }
}

impl fmt::Debug for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn s(n: u32) -> SeqNumber {
        SeqNumber(n)
    }

    #[test]
    fn comparisons_wrap_around() {
        let table = [
            // a, b, a<b
            (0, 1, true),
            (1, 0, false),
            (u32::MAX, 0, true),
            (0, u32::MAX, false),
            (u32::MAX - 10, 5, true),
            (0x7fff_ffff, 0, false),
            (0x8000_0001, 0, true),
        ];
        for (a, b, lt) in table {
            assert_eq!(s(a).lt(s(b)), lt, "{a} < {b}");
            assert_eq!(s(a).ge(s(b)), !lt, "{a} >= {b}");
        }
        assert!(s(7).le(s(7)) && s(7).ge(s(7)) && !s(7).lt(s(7)) && !s(7).gt(s(7)));
    }

    #[test]
    fn window_membership_is_half_open() {
        assert!(s(10).in_window(s(10), 5));
        assert!(s(14).in_window(s(10), 5));
        assert!(!s(15).in_window(s(10), 5));
        assert!(!s(9).in_window(s(10), 5));
        assert!(!s(10).in_window(s(10), 0));
        assert!(s(2).in_window(s(u32::MAX - 1), 5));
    }

    proptest! {
        #[test]
        fn add_then_diff_round_trips(a: u32, n in 0u32..0x8000_0000) {
            let x = s(a);
            let y = x + n;
            prop_assert_eq!(y - x, n);
            prop_assert_eq!(y.diff(x), n as i32);
            prop_assert!(y.ge(x));
            prop_assert_eq!(y.gt(x), n > 0);
            prop_assert_eq!(y - n, x);
        }

        #[test]
        fn exactly_one_of_lt_eq_gt(a: u32, b: u32) {
            let (x, y) = (s(a), s(b));
            let count = [x.lt(y), x == y, x.gt(y)].iter().filter(|&&c| c).count();
            // The antipodal point (distance 2^31) is "after" in one direction only.
            prop_assert_eq!(count, 1);
            if b.wrapping_sub(a) != 0x8000_0000 {
                prop_assert_eq!(x.lt(y), y.gt(x));
            }
        }

        #[test]
        fn in_window_matches_naive_u64(lo: u32, len in 0u32..0x8000_0000, off: u32) {
            let x = s(lo.wrapping_add(off));
            prop_assert_eq!(x.in_window(s(lo), len), u64::from(off) < u64::from(len));
        }

        #[test]
        fn max_min_pick_the_later_and_earlier(a: u32, n in 0u32..0x8000_0000) {
            let (x, y) = (s(a), s(a) + n);
            prop_assert_eq!(x.max(y), y);
            prop_assert_eq!(y.max(x), y);
            prop_assert_eq!(x.min(y), x);
        }
    }
}
