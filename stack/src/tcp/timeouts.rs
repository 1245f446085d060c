//! Timer expiry (RFC 9293 §3.10.8).

use crate::time::Instant;

use super::Connection;

impl Connection {
    /// Runs every timer due at `now`.
    pub fn on_timer(&mut self, now: Instant) {
        while let Some(_kind) = self.timers.pop_expired(now) {}
    }
}
