//! Virtual time: integer microseconds. There is no `now()` in this crate; the
//! caller passes the current [`Instant`] into every entry point.

use core::fmt;
use core::ops::{Add, AddAssign, Sub};

/// A point in virtual time, in microseconds since the start of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

/// A span of virtual time, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u64);

impl Instant {
    pub const ZERO: Instant = Instant(0);
    /// Far enough in the future to mean "never" without overflowing on addition
    /// of any realistic duration.
    pub const FAR_FUTURE: Instant = Instant(u64::MAX / 4);

    pub const fn from_micros(us: u64) -> Self {
        Instant(us)
    }
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms.saturating_mul(1000))
    }
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    pub const fn as_millis(self) -> u64 {
        self.0 / 1000
    }
    /// Time elapsed since `earlier`, zero if `earlier` is later.
    pub const fn saturating_since(self, earlier: Instant) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
    /// The first multiple of `tick` after this instant (strictly): when a
    /// kernel timer with a zero timeout fires. `self` for a zero tick.
    pub const fn next_tick(self, tick: Duration) -> Instant {
        if tick.0 == 0 {
            return self;
        }
        Instant((self.0 / tick.0).saturating_add(1).saturating_mul(tick.0))
    }
}

impl Duration {
    pub const ZERO: Duration = Duration(0);

    pub const fn from_micros(us: u64) -> Self {
        Duration(us)
    }
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms.saturating_mul(1000))
    }
    pub const fn from_secs(s: u64) -> Self {
        Duration(s.saturating_mul(1_000_000))
    }
    pub const fn as_micros(self) -> u64 {
        self.0
    }
    pub const fn as_millis(self) -> u64 {
        self.0 / 1000
    }
    pub const fn saturating_mul(self, k: u64) -> Duration {
        Duration(self.0.saturating_mul(k))
    }
    pub const fn min(self, other: Duration) -> Duration {
        if self.0 < other.0 { self } else { other }
    }
    pub const fn max(self, other: Duration) -> Duration {
        if self.0 > other.0 { self } else { other }
    }
    /// Rounded up to a whole number of `tick`s (unchanged for a zero tick),
    /// as a kernel converts a timeout to jiffies.
    pub const fn round_up_to(self, tick: Duration) -> Duration {
        if tick.0 == 0 {
            return self;
        }
        Duration(self.0.div_ceil(tick.0).saturating_mul(tick.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(self.0.saturating_add(d.0))
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, d: Duration) -> Instant {
        Instant(self.0.saturating_sub(d.0))
    }
}

impl Add for Duration {
    type Output = Duration;
    fn add(self, d: Duration) -> Duration {
        Duration(self.0.saturating_add(d.0))
    }
}

impl Sub for Duration {
    type Output = Duration;
    fn sub(self, d: Duration) -> Duration {
        Duration(self.0.saturating_sub(d.0))
    }
}

/// Seconds with six decimals, as packetdrill prints times.
impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:06}s", self.0 / 1_000_000, self.0 % 1_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(Instant::ZERO - Duration::from_secs(1), Instant::ZERO);
        assert_eq!(
            Instant::from_micros(u64::MAX) + Duration::from_micros(1),
            Instant::from_micros(u64::MAX)
        );
        assert_eq!(
            Instant::from_millis(1500).saturating_since(Instant::from_millis(500)),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn ticks_round_up() {
        let tick = Duration::from_millis(4);
        let ms = Duration::from_millis;
        assert_eq!(ms(200).round_up_to(tick), ms(200));
        assert_eq!(Duration::from_micros(200_050).round_up_to(tick), ms(204));
        assert_eq!(Duration::from_micros(2_100).round_up_to(tick), ms(4));
        assert_eq!(Duration::ZERO.round_up_to(tick), Duration::ZERO);
        assert_eq!(ms(7).round_up_to(Duration::ZERO), ms(7));
        let at = Instant::from_millis;
        assert_eq!(at(20).next_tick(tick), at(24), "strictly after");
        assert_eq!(Instant::from_micros(20_001).next_tick(tick), at(24));
        assert_eq!(Instant::from_micros(23_999).next_tick(tick), at(24));
        assert_eq!(at(5).next_tick(Duration::ZERO), at(5));
    }

    #[test]
    fn display_matches_packetdrill_seconds() {
        assert_eq!(Instant::from_micros(1_234_567).to_string(), "1.234567");
        assert_eq!(Instant::ZERO.to_string(), "0.000000");
    }
}
