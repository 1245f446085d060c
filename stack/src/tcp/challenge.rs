//! RFC 5961 §7 ACK throttling: a budget of challenge ACKs per interval.
//!
//! RFC 5961 suggests a system-wide counter; Linux 6.x limits per socket
//! (`tcp_invalid_ratelimit`) as well. This limiter is per connection, with
//! the budget taken from the profile.

use crate::profile::ChallengeAckLimit;
use crate::time::Instant;

/// Counts challenge ACKs in the current interval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimiter {
    window_start: Option<Instant>,
    sent: u32,
}

impl RateLimiter {
    /// Whether one more ACK may be sent at `now`; counts it if so.
    pub fn allow(&mut self, now: Instant, limit: ChallengeAckLimit) -> bool {
        let fresh = match self.window_start {
            None => true,
            Some(start) => now.saturating_since(start) >= limit.per,
        };
        if fresh {
            self.window_start = Some(now);
            self.sent = 0;
        }
        if self.sent < limit.count {
            self.sent += 1;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Duration;

    #[test]
    fn budget_refills_after_the_interval() {
        // RFC 5961 §7: "An implementation SHOULD include an ACK throttling mechanism".
        let lim = ChallengeAckLimit {
            count: 2,
            per: Duration::from_secs(1),
        };
        let mut r = RateLimiter::default();
        let t = Instant::from_millis;
        assert!(r.allow(t(0), lim));
        assert!(r.allow(t(10), lim));
        assert!(!r.allow(t(999), lim));
        assert!(r.allow(t(1000), lim));
        assert!(r.allow(t(1500), lim));
        assert!(!r.allow(t(1600), lim));
    }
}
