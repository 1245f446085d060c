//! When an event should happen, and whether it happened then.
//!
//! packetdrill's rules, which this module keeps:
//! - an absolute time (`1.5`) counts from the start of the run;
//! - a relative time (`+0.2`) counts from when the previous event *actually*
//!   happened, so that one late event does not make every later one late;
//! - `a~b` (absolute) and `+a~+b` (relative) give a window instead of an
//!   instant; `*` means any time at all;
//! - every check allows `--tolerance_usecs` of slack either side (default
//!   4000 µs), widened by `--tolerance_percent` of the expected interval since
//!   the previous event when that is larger (default 12.5%: slack
//!   proportional to the elapsed time, for long waits such as exponential
//!   back-off). Either option alone leaves the other at its default.

use super::verdict::TimeWindow;
use netdrill_stack::time::{Duration, Instant};

/// packetdrill's default `--tolerance_usecs`.
pub const DEFAULT_TOLERANCE_USECS: u64 = 4000;

/// The default `--tolerance_percent` (of the expected interval).
pub const DEFAULT_TOLERANCE_PERCENT: f64 = 12.5;

/// A script time, as written (microseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// `1.5`: since the start of the run.
    Absolute(u64),
    /// `+0.2`: since the previous event happened.
    Relative(u64),
    /// `1.0~1.2`.
    AbsoluteRange(u64, u64),
    /// `+0.1~+0.3`.
    RelativeRange(u64, u64),
    /// `*`.
    Any,
}

/// The slack allowed around every expected time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    pub usecs: u64,
    /// `--tolerance_percent`: slack as a percentage of the expected interval
    /// since the previous event, used when it is larger than `usecs`
    /// (`None` or zero: the fixed slack only).
    pub percent: Option<f64>,
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance {
            usecs: DEFAULT_TOLERANCE_USECS,
            percent: Some(DEFAULT_TOLERANCE_PERCENT),
        }
    }
}

impl Tolerance {
    /// The slack for an event expected `interval` after the previous one.
    pub fn for_interval(&self, interval: Duration) -> Duration {
        let fixed = Duration::from_micros(self.usecs);
        match self.percent {
            Some(p) if p.is_finite() && p > 0.0 => {
                // Rounded down: the percentage is a bound, not a target.
                let scaled = (interval.as_micros() as f64 * p / 100.0) as u64;
                fixed.max(Duration::from_micros(scaled))
            }
            _ => fixed,
        }
    }
}

/// Where an event's time stands against its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Punctuality {
    OnTime,
    /// Before the window opened (minus the tolerance), by this much.
    Early(Duration),
    /// After the window closed (plus the tolerance), by this much.
    Late(Duration),
}

/// Turns a script time into a window of target time. `base` is when the
/// previous event actually happened (zero for the first event).
pub fn window(when: When, base: Instant, tolerance: &Tolerance) -> TimeWindow {
    window_from(when, base, Instant::ZERO, tolerance)
}

/// [`window`] for a run whose time zero is `origin` in target time (a real
/// target's clock has run while the script's init commands ran).
pub fn window_from(
    when: When,
    base: Instant,
    origin: Instant,
    tolerance: &Tolerance,
) -> TimeWindow {
    let at = |us: u64| origin + Duration::from_micros(us);
    let (earliest, latest, any) = match when {
        When::Absolute(t) => (at(t), at(t), false),
        When::Relative(d) => {
            let t = base + Duration::from_micros(d);
            (t, t, false)
        }
        When::AbsoluteRange(a, b) => (at(a.min(b)), at(a.max(b)), false),
        When::RelativeRange(a, b) => (
            base + Duration::from_micros(a.min(b)),
            base + Duration::from_micros(a.max(b)),
            false,
        ),
        When::Any => (base, base, true),
    };
    let tolerance = tolerance.for_interval(latest.saturating_since(base));
    TimeWindow {
        earliest,
        latest,
        tolerance,
        any,
    }
}

impl TimeWindow {
    /// When the interpreter acts for an event it causes (inbound packet,
    /// syscall, command): the start of the window.
    pub fn start(&self) -> Instant {
        self.earliest
    }

    /// The last instant at which an awaited event still counts as on time.
    /// `*` windows have no deadline of their own: the caller picks one.
    pub fn deadline(&self) -> Instant {
        self.latest + self.tolerance
    }

    /// Whether something that happened at `at` is inside the window.
    pub fn check(&self, at: Instant) -> Punctuality {
        if self.any {
            return Punctuality::OnTime;
        }
        let open = self.earliest - self.tolerance;
        let close = self.latest + self.tolerance;
        if at < open {
            Punctuality::Early(open.saturating_since(at))
        } else if at > close {
            Punctuality::Late(at.saturating_since(close))
        } else {
            Punctuality::OnTime
        }
    }

    /// The window of a blocking syscall's end time (`...0.3` absolute, or
    /// `...+0.3` counted from the call's start).
    pub fn for_end(end: When, started: Instant, tolerance: &Tolerance) -> TimeWindow {
        window(end, started, tolerance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> Instant {
        Instant::from_millis(v)
    }
    const TOL: Tolerance = Tolerance {
        usecs: 4000,
        percent: None,
    };

    #[test]
    fn relative_times_count_from_the_previous_actual_event() {
        // Previous event happened at 1.003 (3 ms late): `+0.1` means 1.103.
        let w = window(
            When::Relative(100_000),
            Instant::from_micros(1_003_000),
            &TOL,
        );
        assert_eq!(w.earliest, Instant::from_micros(1_103_000));
        assert_eq!(w.latest, w.earliest);
        // An absolute time ignores where the previous event landed.
        let w = window(
            When::Absolute(1_100_000),
            Instant::from_micros(1_003_000),
            &TOL,
        );
        assert_eq!(w.earliest, Instant::from_micros(1_100_000));
    }

    #[test]
    fn absolute_times_count_from_the_origin() {
        let w = window_from(When::Absolute(100_000), ms(250), ms(200), &TOL);
        assert_eq!(w.earliest, ms(300));
        let w = window_from(When::AbsoluteRange(0, 10_000), ms(200), ms(200), &TOL);
        assert_eq!((w.earliest, w.latest), (ms(200), ms(210)));
    }

    #[test]
    fn ranges_and_any() {
        let w = window(When::RelativeRange(100_000, 300_000), ms(1000), &TOL);
        assert_eq!((w.earliest, w.latest), (ms(1100), ms(1300)));
        let w = window(When::AbsoluteRange(300_000, 100_000), ms(0), &TOL);
        assert_eq!(
            (w.earliest, w.latest),
            (ms(100), ms(300)),
            "reversed range is ordered"
        );
        let w = window(When::Any, ms(5), &TOL);
        assert!(w.any);
        assert_eq!(w.check(ms(0)), Punctuality::OnTime);
        assert_eq!(w.check(ms(1_000_000)), Punctuality::OnTime);
    }

    #[test]
    fn tolerance_is_inclusive_on_both_sides() {
        let w = window(When::Absolute(100_000), ms(0), &TOL);
        let table = [
            (95_999, Punctuality::Early(Duration::from_micros(1))),
            (96_000, Punctuality::OnTime),
            (100_000, Punctuality::OnTime),
            (104_000, Punctuality::OnTime),
            (104_001, Punctuality::Late(Duration::from_micros(1))),
            (
                200_000,
                Punctuality::Late(Duration::from_micros(95_999 + 1)),
            ),
        ];
        for (at, want) in table {
            assert_eq!(w.check(Instant::from_micros(at)), want, "at {at}");
        }
        assert_eq!(w.deadline(), Instant::from_micros(104_000));
    }

    #[test]
    fn range_tolerance_applies_outside_the_range() {
        let w = window(When::AbsoluteRange(100_000, 200_000), ms(0), &TOL);
        assert_eq!(w.check(Instant::from_micros(96_000)), Punctuality::OnTime);
        assert_eq!(w.check(Instant::from_micros(150_000)), Punctuality::OnTime);
        assert_eq!(w.check(Instant::from_micros(204_000)), Punctuality::OnTime);
        assert!(matches!(
            w.check(Instant::from_micros(204_001)),
            Punctuality::Late(_)
        ));
    }

    #[test]
    fn percent_tolerance_scales_with_the_interval_and_never_shrinks_the_fixed_one() {
        let tol = Tolerance {
            usecs: 4000,
            percent: Some(10.0),
        };
        // 3 s after the previous event: 10% is 300 ms, more than 4 ms.
        let w = window(When::Relative(3_000_000), ms(1000), &tol);
        assert_eq!(w.tolerance, Duration::from_millis(300));
        assert_eq!(w.check(ms(3700)), Punctuality::OnTime);
        assert!(matches!(w.check(ms(4301)), Punctuality::Late(_)));
        // 10 ms after: 10% is 1 ms, so the fixed 4 ms stands.
        let w = window(When::Relative(10_000), ms(0), &tol);
        assert_eq!(w.tolerance, Duration::from_micros(4000));
        // Nonsense percentages fall back to the fixed tolerance.
        let bad = Tolerance {
            usecs: 4000,
            percent: Some(f64::NAN),
        };
        assert_eq!(
            bad.for_interval(Duration::from_secs(10)),
            Duration::from_micros(4000)
        );
    }

    #[test]
    fn default_tolerance_is_4000_usecs_or_12_5_percent_of_the_interval() {
        let d = Tolerance::default();
        let table = [
            // (expected interval, slack)
            (0, 4000),
            (10_000, 4000),
            (32_000, 4000),
            (32_008, 4001),
            (200_000, 25_000),
            (1_000_000, 125_000),
            (3_000_000, 375_000),
        ];
        for (interval, slack) in table {
            assert_eq!(
                d.for_interval(Duration::from_micros(interval)),
                Duration::from_micros(slack),
                "interval {interval}"
            );
        }
        // A 1 s retransmission seen 1.1 s after the previous event is on
        // time by default, 1.126 s is late.
        let w = window(When::Relative(1_000_000), ms(0), &d);
        assert_eq!(w.check(ms(1100)), Punctuality::OnTime);
        assert!(matches!(w.check(ms(1126)), Punctuality::Late(_)));
        // An explicit zero percent turns the proportional slack off.
        let zero = Tolerance {
            usecs: 4000,
            percent: Some(0.0),
        };
        assert_eq!(
            zero.for_interval(Duration::from_secs(1)),
            Duration::from_micros(4000)
        );
    }

    proptest::proptest! {
        /// A window accepts exactly [earliest - tol, latest + tol], whatever
        /// the times, and its deadline is the last instant it accepts.
        #[test]
        fn windows_accept_exactly_their_span(base in 0u64..1 << 40, a in 0u64..1 << 32, b in 0u64..1 << 32, tol in 0u64..1 << 20, at in 0u64..1 << 41) {
            let t = Tolerance { usecs: tol, percent: None };
            let w = window(When::RelativeRange(a, b), Instant::from_micros(base), &t);
            let lo = (base + a.min(b)).saturating_sub(tol);
            let hi = base + a.max(b) + tol;
            let on_time = w.check(Instant::from_micros(at)) == Punctuality::OnTime;
            proptest::prop_assert_eq!(on_time, (lo..=hi).contains(&at));
            proptest::prop_assert_eq!(w.deadline(), Instant::from_micros(hi));
        }
    }

    #[test]
    fn end_time_of_a_blocking_call_counts_from_its_start() {
        let w = TimeWindow::for_end(When::Relative(300_000), ms(100), &TOL);
        assert_eq!(w.earliest, ms(400));
        let w = TimeWindow::for_end(When::Absolute(300_000), ms(100), &TOL);
        assert_eq!(w.earliest, ms(300));
    }
}
