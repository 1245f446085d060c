//! Initial sequence numbers per RFC 6528 §3:
//! ISN = M + F(localip, localport, remoteip, remoteport, secretkey),
//! M a 4-microsecond timer, F a keyed hash (SipHash-2-4 here) under a key
//! derived from the configuration's seed (RFC 9293 §3.4.1 MUST-8, MUST-9).

use std::net::{IpAddr, SocketAddr};

use crate::time::Instant;

use super::seq::SeqNumber;

/// SipHash-2-4 (Aumasson and Bernstein) of `data` under the 128-bit key
/// `(k0, k1)`.
pub fn siphash24(k0: u64, k1: u64, data: &[u8]) -> u64 {
    let mut v = [
        k0 ^ 0x736f_6d65_7073_6575,
        k1 ^ 0x646f_7261_6e64_6f6d,
        k0 ^ 0x6c79_6765_6e65_7261,
        k1 ^ 0x7465_6462_7974_6573,
    ];
    fn round(v: &mut [u64; 4]) {
        v[0] = v[0].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(13) ^ v[0];
        v[0] = v[0].rotate_left(32);
        v[2] = v[2].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(16) ^ v[2];
        v[0] = v[0].wrapping_add(v[3]);
        v[3] = v[3].rotate_left(21) ^ v[0];
        v[2] = v[2].wrapping_add(v[1]);
        v[1] = v[1].rotate_left(17) ^ v[2];
        v[2] = v[2].rotate_left(32);
    }
    let mut compress = |m: u64| {
        v[3] ^= m;
        round(&mut v);
        round(&mut v);
        v[0] ^= m;
    };
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        compress(u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    let mut last = [0u8; 8];
    last[..rest.len()].copy_from_slice(rest);
    last[7] = data.len() as u8;
    compress(u64::from_le_bytes(last));
    v[2] ^= 0xff;
    for _ in 0..4 {
        round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// The ISN generator: a secret key fixed for the life of the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsnGenerator {
    k0: u64,
    k1: u64,
}

impl IsnGenerator {
    /// A generator whose key is derived from `seed` (RFC 6528 §3: "a secret
    /// key ... SHOULD be of at least 128 bits"; deterministic here by design).
    pub fn new(seed: u64) -> IsnGenerator {
        IsnGenerator {
            k0: siphash24(seed, 0x6e65_7464_7269_6c6c, b"isn-key-0"),
            k1: siphash24(seed, 0x6e65_7464_7269_6c6c, b"isn-key-1"),
        }
    }

    /// F(): the keyed hash of the connection's four-tuple (and a domain tag).
    pub fn hash(&self, local: SocketAddr, remote: SocketAddr, tag: u8) -> u64 {
        let mut buf = Vec::with_capacity(37);
        buf.push(tag);
        for a in [local, remote] {
            match a.ip() {
                IpAddr::V4(v4) => buf.extend(v4.octets()),
                IpAddr::V6(v6) => buf.extend(v6.octets()),
            }
            buf.extend(a.port().to_be_bytes());
        }
        siphash24(self.k0, self.k1, &buf)
    }

    /// RFC 6528 §3: ISN = M + F(...), M the 4-µs clock.
    pub fn isn(&self, now: Instant, local: SocketAddr, remote: SocketAddr) -> SeqNumber {
        let m = (now.as_micros() / 4) as u32;
        SeqNumber(m.wrapping_add(self.hash(local, remote, 0) as u32))
    }

    /// A per-connection timestamp offset (RFC 7323 §5.4 / Linux
    /// `tsoffset`), so TSval does not reveal the clock across connections.
    pub fn ts_offset(&self, local: SocketAddr, remote: SocketAddr) -> u32 {
        self.hash(local, remote, 1) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siphash_matches_the_reference_vectors() {
        // The paper's test vectors: key 00..0f, message 00..(n-1).
        let k0 = u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]);
        let k1 = u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15]);
        let msg: Vec<u8> = (0..64).collect();
        assert_eq!(siphash24(k0, k1, &msg[..0]), 0x726f_db47_dd0e_0e31);
        assert_eq!(siphash24(k0, k1, &msg[..1]), 0x74f8_39c5_93dc_67fd);
        assert_eq!(siphash24(k0, k1, &msg[..8]), 0x93f5_f579_9a93_2462);
        assert_eq!(siphash24(k0, k1, &msg[..15]), 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn isn_advances_with_the_4us_clock_and_depends_on_tuple_and_key() {
        // RFC 6528 §3; RFC 9293 §3.4.1 (MUST-8: clock-driven; MUST-9: keyed).
        let l: SocketAddr = "192.168.0.1:8080".parse().unwrap();
        let r: SocketAddr = "192.0.2.1:40000".parse().unwrap();
        let r2: SocketAddr = "192.0.2.1:40001".parse().unwrap();
        let g = IsnGenerator::new(1);
        let a = g.isn(Instant::ZERO, l, r);
        assert_eq!(g.isn(Instant::from_micros(400), l, r) - a, 100);
        assert_eq!(g.isn(Instant::ZERO, l, r), a, "deterministic");
        assert_ne!(g.isn(Instant::ZERO, l, r2), a);
        assert_ne!(IsnGenerator::new(2).isn(Instant::ZERO, l, r), a);
        assert_ne!(g.ts_offset(l, r), g.hash(l, r, 0) as u32);
    }
}
