//! Timers as data: one slot per kind, each an `Option<Instant>`; the next
//! wake-up is the earliest armed slot. Expiry handling lives in `timeouts.rs`.

use crate::time::Instant;

/// The kinds of timer a connection runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimerKind {
    /// Tail loss probe (RFC 8985 §7): fires before the RTO would.
    LossProbe,
    /// Retransmission of the oldest unacknowledged segment, including the
    /// SYN and SYN-ACK (RFC 6298; RFC 9293 §3.10.8).
    Retransmit,
    /// Delayed ACK (RFC 9293 §3.8.6.3).
    DelayedAck,
    /// Zero-window probe (RFC 9293 §3.8.6.1).
    Persist,
    /// Keep-alive probe (RFC 9293 §3.8.4).
    Keepalive,
    /// TIME-WAIT expiry, or FIN-WAIT-2 timeout of an orphaned connection.
    Linger,
    /// User timeout (RFC 9293 §3.8.3 / RFC 5482): abort when data stays
    /// unacknowledged this long.
    UserTimeout,
}

impl TimerKind {
    pub const ALL: [TimerKind; 7] = [
        TimerKind::LossProbe,
        TimerKind::Retransmit,
        TimerKind::DelayedAck,
        TimerKind::Persist,
        TimerKind::Keepalive,
        TimerKind::Linger,
        TimerKind::UserTimeout,
    ];
    const fn index(self) -> usize {
        self as usize
    }
}

/// The timer table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timers {
    at: [Option<Instant>; 7],
}

impl Timers {
    pub fn set(&mut self, kind: TimerKind, at: Instant) {
        self.at[kind.index()] = Some(at);
    }
    /// Arms `kind` unless it is already armed.
    pub fn set_if_unset(&mut self, kind: TimerKind, at: Instant) {
        let slot = &mut self.at[kind.index()];
        if slot.is_none() {
            *slot = Some(at);
        }
    }
    pub fn clear(&mut self, kind: TimerKind) {
        self.at[kind.index()] = None;
    }
    pub fn clear_all(&mut self) {
        self.at = [None; 7];
    }
    pub fn get(&self, kind: TimerKind) -> Option<Instant> {
        self.at[kind.index()]
    }
    pub fn is_set(&self, kind: TimerKind) -> bool {
        self.get(kind).is_some()
    }
    /// The earliest armed timer.
    pub fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }
    /// The first timer (in [`TimerKind::ALL`] order) that is due at `now`,
    /// disarmed as it is returned.
    pub fn pop_expired(&mut self, now: Instant) -> Option<TimerKind> {
        let kind = TimerKind::ALL
            .into_iter()
            .find(|k| self.get(*k).is_some_and(|t| t <= now))?;
        self.clear(kind);
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_the_minimum_and_expiry_disarms() {
        let mut t = Timers::default();
        assert_eq!(t.next(), None);
        t.set(TimerKind::Keepalive, Instant::from_millis(500));
        t.set(TimerKind::Retransmit, Instant::from_millis(300));
        t.set_if_unset(TimerKind::Retransmit, Instant::from_millis(100));
        assert_eq!(t.next(), Some(Instant::from_millis(300)));
        assert_eq!(t.pop_expired(Instant::from_millis(299)), None);
        assert_eq!(
            t.pop_expired(Instant::from_millis(600)),
            Some(TimerKind::Retransmit)
        );
        assert_eq!(
            t.pop_expired(Instant::from_millis(600)),
            Some(TimerKind::Keepalive)
        );
        assert_eq!(t.pop_expired(Instant::from_millis(600)), None);
        assert_eq!(t.next(), None);
    }
}
