//! The Internet checksum against a naive RFC 1071 reference (16-bit words,
//! end-around carry, one at a time), and the pseudo-header layouts against
//! RFC 9293 §3.1 / RFC 8200 §8.1 written out byte by byte.

use netdrill_stack::wire::checksum::{Sum, checksum, ipv4_pseudo_header, ipv6_pseudo_header};
use proptest::collection::vec;
use proptest::prelude::*;
use std::net::{Ipv4Addr, Ipv6Addr};

/// RFC 1071 §4.1, literally: add 16-bit big-endian words, pad an odd byte
/// with zero, fold the carries, complement.
fn reference(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut i = 0;
    while i + 1 < data.len() {
        sum += u32::from(u16::from_be_bytes([data[i], data[i + 1]]));
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        i += 2;
    }
    if i < data.len() {
        sum += u32::from(data[i]) << 8;
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
    }
    !(sum as u16)
}

#[test]
fn rfc1071_worked_example() {
    // RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2.
    let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
    assert_eq!(Sum::ZERO.add_bytes(&data).fold(), 0xddf2);
    assert_eq!(checksum(&data), !0xddf2);
}

#[test]
fn edge_cases_match_the_reference() {
    let cases: [&[u8]; 7] = [
        &[],
        &[0],
        &[0xff],
        &[0xff, 0xff],
        &[0xff; 7],
        &[0; 9],
        &[0x80, 0, 0x80, 0],
    ];
    for data in cases {
        assert_eq!(checksum(data), reference(data), "{data:02x?}");
    }
}

#[test]
fn ipv4_pseudo_header_layout() {
    let (src, dst) = (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 168, 0, 1));
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&src.octets());
    bytes.extend_from_slice(&dst.octets());
    bytes.extend_from_slice(&[0, 6, 0x05, 0xdc]); // zero, protocol, length 1500
    assert_eq!(
        ipv4_pseudo_header(src, dst, 6, 1500).fold(),
        !reference(&bytes)
    );
}

#[test]
fn ipv6_pseudo_header_layout() {
    let src = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    let dst = Ipv6Addr::new(0xfd3d, 0xfa7b, 0xd17d, 0, 0, 0, 0, 1);
    let mut bytes = Vec::new();
    bytes.extend_from_slice(&src.octets());
    bytes.extend_from_slice(&dst.octets());
    bytes.extend_from_slice(&70000u32.to_be_bytes()); // 32-bit length
    bytes.extend_from_slice(&[0, 0, 0, 58]); // zero, next header
    assert_eq!(
        ipv6_pseudo_header(src, dst, 58, 70000).fold(),
        !reference(&bytes)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn matches_the_naive_reference(data in vec(any::<u8>(), 0..2048)) {
        prop_assert_eq!(checksum(&data), reference(&data));
    }

    /// Any length (odd ones included) at any offset into a buffer, so the
    /// summation is checked at every alignment and every tail length of
    /// its blocks.
    #[test]
    fn any_length_at_any_offset_matches_the_reference(
        data in vec(any::<u8>(), 0..4200),
        start in 0usize..64,
        len in 0usize..4200,
    ) {
        let start = start.min(data.len());
        let part = &data[start..start + len.min(data.len() - start)];
        prop_assert_eq!(checksum(part), reference(part), "offset {} length {}", start, part.len());
    }

    #[test]
    fn parts_at_even_offsets_sum_like_the_whole(data in vec(any::<u8>(), 0..600), cut in 0usize..300) {
        let cut = (cut * 2).min(data.len() & !1);
        let parts = Sum::ZERO.add_bytes(&data[..cut]).add_bytes(&data[cut..]);
        prop_assert_eq!(!parts.fold(), reference(&data));
    }

    #[test]
    fn words_add_like_bytes(a in any::<u16>(), b in any::<u32>(), rest in vec(any::<u8>(), 0..64)) {
        let mut bytes = a.to_be_bytes().to_vec();
        bytes.extend_from_slice(&b.to_be_bytes());
        bytes.extend_from_slice(&rest);
        let by_words = Sum::ZERO.add_u16(a).add_u32(b).add_bytes(&rest);
        prop_assert_eq!(!by_words.fold(), reference(&bytes));
    }

    #[test]
    fn a_correct_field_makes_the_sum_verify(mut data in vec(any::<u8>(), 2..512)) {
        // Zero a 2-byte field at offset 0, compute, store: the whole then sums to 0xffff.
        data[0] = 0;
        data[1] = 0;
        let c = checksum(&data);
        data[..2].copy_from_slice(&c.to_be_bytes());
        prop_assert_eq!(Sum::ZERO.add_bytes(&data).fold(), 0xffff);
    }
}
