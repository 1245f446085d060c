//! SYN cookies (RFC 4987 §3.6): when the SYN queue is full, the listener
//! keeps no state for a SYN and instead encodes what it needs into the
//! SYN-ACK's sequence number, to be checked when the ACK comes back.
//!
//! The layout is Linux's (net/ipv4/syncookies.c `secure_tcp_syn_cookie`):
//!
//! ```text
//! ISN = H(k0, tuple) + client ISN + (count << 24)
//!       + ((H(k1, tuple, count) + mss_index) mod 2^24)
//! ```
//!
//! where `count` is a minute counter: a cookie is valid for the minute it
//! was made and the next one. With timestamps, the window scale, SACK and
//! ECN choices ride in the low 6 bits of the SYN-ACK's TSval
//! (`cookie_init_timestamp`) and come back in the ACK's TSecr.

use crate::tcp::isn::siphash24;
use crate::time::Instant;
use std::net::{IpAddr, SocketAddr};

const COOKIE_BITS: u32 = 24;
const COOKIE_MASK: u32 = (1 << COOKIE_BITS) - 1;
/// Cookies older than this many minute-counter ticks are rejected
/// (`MAX_SYNCOOKIE_AGE`).
const MAX_AGE: u32 = 2;

/// MSS values a cookie can carry, for IPv4 (`msstab` in syncookies.c).
pub const MSS_V4: [u16; 4] = [536, 1300, 1440, 1460];
/// MSS values a cookie can carry, for IPv6 (`msstab` in ipv6/syncookies.c).
pub const MSS_V6: [u16; 4] = [1220, 1420, 1440, 8940];

/// Bits of the options field in a cookie TSval (`TS_OPT_*`).
const TS_OPT_WSCALE_MASK: u32 = 0xf;
const TS_OPT_SACK: u32 = 1 << 4;
const TS_OPT_ECN: u32 = 1 << 5;
const TS_BITS: u32 = 6;
const TS_MASK: u32 = (1 << TS_BITS) - 1;

/// The SYN's options a cookie remembers through the timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CookieOptions {
    /// The peer's window-scale shift, if it offered window scaling.
    pub wscale: Option<u8>,
    pub sack: bool,
    pub ecn: bool,
}

/// The secrets for one host's cookies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieKeys {
    k0: [u64; 2],
    k1: [u64; 2],
}

/// The connection a cookie is bound to, as the *listener* sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuple {
    pub local: SocketAddr,
    pub remote: SocketAddr,
}

impl CookieKeys {
    pub fn new(words: [u64; 4]) -> Self {
        CookieKeys {
            k0: [words[0], words[1]],
            k1: [words[2], words[3]],
        }
    }

    /// The SYN-ACK's ISN for a SYN with sequence number `client_isn` and MSS
    /// option `mss` (None: the RFC 9293 default applies).
    pub fn make(&self, t: &Tuple, client_isn: u32, mss: Option<u16>, now: Instant) -> u32 {
        let table = mss_table(t);
        let mss = mss.unwrap_or(table[0]);
        let index = table.iter().rposition(|&m| m <= mss).unwrap_or(0) as u32;
        let count = minute(now);
        keyed(&self.k0, t, 0)
            .wrapping_add(client_isn)
            .wrapping_add(count << COOKIE_BITS)
            .wrapping_add(keyed(&self.k1, t, count).wrapping_add(index) & COOKIE_MASK)
    }

    /// Checks the ACK's `ack - 1` (our cookie ISN) against `seq - 1` (the
    /// peer's ISN); returns the MSS it encoded (`__cookie_v4_check`).
    pub fn check(&self, t: &Tuple, client_isn: u32, cookie: u32, now: Instant) -> Option<u16> {
        let count = minute(now);
        let c = cookie
            .wrapping_sub(keyed(&self.k0, t, 0))
            .wrapping_sub(client_isn);
        let diff = count.wrapping_sub(c >> COOKIE_BITS) & (u32::MAX >> COOKIE_BITS);
        if diff >= MAX_AGE {
            return None;
        }
        let index = c.wrapping_sub(keyed(&self.k1, t, count.wrapping_sub(diff))) & COOKIE_MASK;
        mss_table(t).get(index as usize).copied()
    }
}

fn mss_table(t: &Tuple) -> &'static [u16; 4] {
    if t.remote.is_ipv4() { &MSS_V4 } else { &MSS_V6 }
}

/// `tcp_cookie_time`: minutes of virtual time.
fn minute(now: Instant) -> u32 {
    (now.as_micros() / 60_000_000) as u32
}

/// The TSval to put on a cookie SYN-ACK: `ts_now` with its low 6 bits
/// replaced by the options, never greater than `ts_now`.
pub fn encode_ts(ts_now: u32, opts: CookieOptions) -> u32 {
    let mut bits = opts
        .wscale
        .map_or(TS_OPT_WSCALE_MASK, |w| u32::from(w) & TS_OPT_WSCALE_MASK);
    if opts.sack {
        bits |= TS_OPT_SACK;
    }
    if opts.ecn {
        bits |= TS_OPT_ECN;
    }
    let ts = (ts_now & !TS_MASK) | bits;
    if ts > ts_now {
        ts.wrapping_sub(TS_MASK + 1)
    } else {
        ts
    }
}

/// The options an ACK's TSecr brings back (`cookie_timestamp_decode`).
pub fn decode_ts(tsecr: u32) -> CookieOptions {
    let w = tsecr & TS_OPT_WSCALE_MASK;
    CookieOptions {
        wscale: (w != TS_OPT_WSCALE_MASK).then_some(w as u8),
        sack: tsecr & TS_OPT_SACK != 0,
        ecn: tsecr & TS_OPT_ECN != 0,
    }
}

/// A 32-bit keyed hash of the tuple and a salt: SipHash-2-4, which is what
/// Linux uses for cookies too (the same function as RFC 6528 ISNs).
fn keyed(key: &[u64; 2], t: &Tuple, salt: u32) -> u32 {
    let mut msg = Vec::with_capacity(40);
    for addr in [t.local, t.remote] {
        match addr.ip() {
            IpAddr::V4(a) => msg.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => msg.extend_from_slice(&a.octets()),
        }
        msg.extend_from_slice(&addr.port().to_be_bytes());
    }
    msg.extend_from_slice(&salt.to_be_bytes());
    let h = siphash24(key[0], key[1], &msg);
    (h ^ (h >> 32)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Duration;

    fn tuple() -> Tuple {
        Tuple {
            local: "192.168.0.1:8080".parse().unwrap(),
            remote: "192.0.2.1:40000".parse().unwrap(),
        }
    }

    fn keys() -> CookieKeys {
        CookieKeys::new([1, 2, 3, 4])
    }

    #[test]
    fn a_cookie_round_trips_its_mss_for_two_minutes() {
        let t0 = Instant::from_millis(5 * 60_000 + 100);
        let table = [
            (None, 536),
            (Some(100), 536),
            (Some(1300), 1300),
            (Some(1439), 1300),
            (Some(1460), 1460),
            (Some(9000), 1460),
        ];
        for (mss, want) in table {
            let c = keys().make(&tuple(), 1000, mss, t0);
            assert_eq!(keys().check(&tuple(), 1000, c, t0), Some(want), "{mss:?}");
            let later = t0 + Duration::from_secs(60);
            assert_eq!(keys().check(&tuple(), 1000, c, later), Some(want));
            let too_late = t0 + Duration::from_secs(120);
            assert_eq!(keys().check(&tuple(), 1000, c, too_late), None);
        }
    }

    #[test]
    fn a_cookie_is_bound_to_tuple_isn_and_secret() {
        let t0 = Instant::from_millis(1);
        // MSS index 0, so that being off by one wraps the decoded index.
        let c = keys().make(&tuple(), 7, None, t0);
        assert_eq!(keys().check(&tuple(), 7, c, t0), Some(536));
        let mut other = tuple();
        other.remote.set_port(40001);
        // A wrong tuple or key makes the decoded index random (in 0..4 only
        // by a 4-in-2^24 chance); a wrong ISN or cookie shifts it.
        assert_eq!(keys().check(&other, 7, c, t0), None);
        assert_eq!(keys().check(&tuple(), 8, c, t0), None);
        assert_eq!(
            CookieKeys::new([9, 9, 9, 9]).check(&tuple(), 7, c, t0),
            None
        );
        assert_eq!(keys().check(&tuple(), 7, c.wrapping_sub(1), t0), None);
    }

    #[test]
    fn ipv6_uses_its_own_table() {
        let t = Tuple {
            local: "[fd3d:fa7b:d17d::1]:80".parse().unwrap(),
            remote: "[2001:db8::1]:5000".parse().unwrap(),
        };
        let c = keys().make(&t, 0, Some(1440), Instant::ZERO);
        assert_eq!(keys().check(&t, 0, c, Instant::ZERO), Some(1440));
    }

    #[test]
    fn timestamp_carries_options_and_never_runs_ahead() {
        let opts = CookieOptions {
            wscale: Some(7),
            sack: true,
            ecn: false,
        };
        for now in [0u32, 5, 63, 64, 1000, u32::MAX] {
            let ts = encode_ts(now, opts);
            assert!(ts <= now || now < 64, "{now} -> {ts}");
            assert_eq!(decode_ts(ts), opts, "{now}");
        }
        let none = CookieOptions {
            wscale: None,
            sack: false,
            ecn: true,
        };
        assert_eq!(decode_ts(encode_ts(12345, none)), none);
    }
}
