//! The Internet checksum (RFC 1071) and the IPv4/IPv6 pseudo-headers.
//!
//! Parsing verifies and *reports* a checksum ([`Checksum`]); it never fixes
//! one, so a caller can see, and still use, a packet whose checksum is wrong.
//! Emitting computes it, unless the `Repr` asks for a given (wrong) value.

use core::net::{Ipv4Addr, Ipv6Addr};

/// What a checksum field held, as found by `parse` or wanted by `emit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Checksum {
    /// Parse: the field verified. Emit: compute and write the right value.
    Valid,
    /// Parse: the field held `found` but `expected` was right.
    /// Emit: write `found` as it is (`expected` is ignored), to build a
    /// deliberately broken packet.
    Invalid { found: u16, expected: u16 },
    /// Parse with [`ChecksumMode::Skip`]: the field held `found`, not checked.
    /// Emit: write `found` as it is.
    Unverified { found: u16 },
    /// UDP over IPv4 only: the field was zero, "no checksum" (RFC 768).
    /// Emit: write zero.
    Absent,
}

impl Checksum {
    /// Whether a receiver that checks checksums would accept the field.
    pub fn is_acceptable(self) -> bool {
        matches!(
            self,
            Checksum::Valid | Checksum::Absent | Checksum::Unverified { .. }
        )
    }

    /// A deliberately wrong checksum for emitting: `found` is written as is.
    pub fn wrong(found: u16) -> Self {
        Checksum::Invalid { found, expected: 0 }
    }
}

/// Whether `parse` verifies checksums.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ChecksumMode {
    /// Verify every checksum and report the verdict.
    #[default]
    Verify,
    /// Do not read the payload for checksums (as with checksum offload):
    /// fields come back as [`Checksum::Unverified`].
    Skip,
}

/// A running one's-complement sum (RFC 1071 §2).
///
/// The sum is kept unfolded in little-endian word order, which RFC 1071
/// §2(B) allows (the sum is byte-order independent); [`Sum::fold`] turns it
/// into the big-endian 16-bit value. Parts added with [`Sum::add_bytes`] must
/// each start at an even offset of the checksummed data: only the last part
/// may have an odd length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sum(u64);

impl Sum {
    pub const ZERO: Sum = Sum(0);

    /// Adds bytes (padded with a zero byte if odd, as RFC 1071 §4.1 does).
    #[inline]
    pub fn add_bytes(self, data: &[u8]) -> Sum {
        // u32 words into u64 sums: 2^32 words cannot overflow, far beyond
        // any packet. Four independent sums over 16-byte blocks let the
        // compiler keep them in vector lanes (twice as fast as one sum).
        let mut lanes = [0u64; 4];
        let mut blocks = data.chunks_exact(16);
        for b in &mut blocks {
            for (lane, w) in lanes.iter_mut().zip(b.chunks_exact(4)) {
                *lane += u64::from(u32::from_le_bytes([w[0], w[1], w[2], w[3]]));
            }
        }
        let mut acc = self.0 + lanes.iter().sum::<u64>();
        let mut chunks = blocks.remainder().chunks_exact(4);
        for c in &mut chunks {
            acc += u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        }
        let rest = chunks.remainder();
        let mut last = [0u8; 4];
        last[..rest.len()].copy_from_slice(rest);
        acc += u64::from(u32::from_le_bytes(last));
        Sum(acc)
    }

    /// Adds one big-endian 16-bit word.
    #[inline]
    pub fn add_u16(self, v: u16) -> Sum {
        Sum(self.0 + u64::from(v.swap_bytes()))
    }

    /// Adds one big-endian 32-bit value as two words.
    #[inline]
    pub fn add_u32(self, v: u32) -> Sum {
        self.add_u16((v >> 16) as u16).add_u16(v as u16)
    }

    /// The folded 16-bit one's-complement sum, big-endian.
    #[inline]
    pub fn fold(self) -> u16 {
        let mut s = self.0;
        while s >> 16 != 0 {
            s = (s & 0xffff) + (s >> 16);
        }
        (s as u16).swap_bytes()
    }
}

/// The Internet checksum of `data`: the complement of its one's-complement sum.
pub fn checksum(data: &[u8]) -> u16 {
    !Sum::ZERO.add_bytes(data).fold()
}

/// The IPv4 pseudo-header sum (RFC 9293 §3.1, RFC 768): source, destination,
/// zero, protocol, upper-layer length.
#[inline]
pub fn ipv4_pseudo_header(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, len: u16) -> Sum {
    Sum::ZERO
        .add_u32(src.to_bits())
        .add_u32(dst.to_bits())
        .add_u16(u16::from(protocol))
        .add_u16(len)
}

/// The IPv6 pseudo-header sum (RFC 8200 §8.1): source, destination,
/// 32-bit upper-layer length, three zero bytes, next header.
#[inline]
pub fn ipv6_pseudo_header(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, len: u32) -> Sum {
    Sum::ZERO
        .add_bytes(&src.octets())
        .add_bytes(&dst.octets())
        .add_u32(len)
        .add_u16(u16::from(next_header))
}

/// The checksum to write in a field whose other bytes sum to `without_field`
/// (the field itself taken as zero).
#[inline]
pub(crate) fn compute(without_field: Sum) -> u16 {
    !without_field.fold()
}

/// The verdict on a field that held `found`, given the sum over everything
/// *including* the field: a correct field makes that sum 0xffff (RFC 1071 §1).
#[inline]
pub(crate) fn verdict(with_field: Sum, found: u16) -> Checksum {
    if with_field.fold() == 0xffff {
        Checksum::Valid
    } else {
        // Remove `found` from the sum by adding its complement.
        let expected = compute(with_field.add_u16(!found));
        Checksum::Invalid { found, expected }
    }
}

/// The value `emit` writes for `wanted`, given the sum without the field.
#[inline]
pub(crate) fn to_write(wanted: Checksum, without_field: Sum) -> u16 {
    match wanted {
        Checksum::Valid => compute(without_field),
        Checksum::Invalid { found, .. } | Checksum::Unverified { found } => found,
        Checksum::Absent => 0,
    }
}

/// The addresses an upper-layer checksum covers, from the IP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PseudoHeader {
    V4 { src: Ipv4Addr, dst: Ipv4Addr },
    V6 { src: Ipv6Addr, dst: Ipv6Addr },
}

impl PseudoHeader {
    /// The pseudo-header sum for an upper-layer message of `protocol` and
    /// `len` bytes (callers keep `len` within 65535).
    #[inline]
    pub fn sum(&self, protocol: u8, len: usize) -> Sum {
        match *self {
            PseudoHeader::V4 { src, dst } => ipv4_pseudo_header(src, dst, protocol, len as u16),
            PseudoHeader::V6 { src, dst } => ipv6_pseudo_header(src, dst, protocol, len as u32),
        }
    }
}
