//! TCP options (RFC 9293 §3.1, §3.2): kept as the raw option bytes, in their
//! exact order (padding included), and decoded on iteration.
//!
//! Kinds decoded: EOL (0), NOP (1), MSS (2, RFC 9293 §3.7.1), window scale
//! (3, RFC 7323 §2), SACK-permitted (4) and SACK (5, RFC 2018), timestamps
//! (8, RFC 7323 §3), MD5 signature (19, RFC 2385), TCP Fast Open (34,
//! RFC 7413) and its experimental form (254 with ExID 0xF989, RFC 6994).
//! Anything else, and a known kind with a length it does not have, is kept
//! raw as kind + data. A length byte that cannot be right (below 2, or past
//! the end of the options) ends the list with [`TcpOption::Malformed`].

use super::error::WireError;
use super::field::{array, u16_at, u32_at};
use super::inline::InlineBytes;

const HEADER: &str = "TCP option";
/// Options fill at most 40 bytes (data offset 15 words − 5).
pub const MAX_LEN: usize = 40;

pub mod kind {
    pub const EOL: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
    pub const WINDOW_SCALE: u8 = 3;
    pub const SACK_PERMITTED: u8 = 4;
    pub const SACK: u8 = 5;
    pub const TIMESTAMPS: u8 = 8;
    pub const MD5: u8 = 19;
    pub const FAST_OPEN: u8 = 34;
    pub const EXPERIMENTAL: u8 = 254;
}

/// The experiment identifier of TCP Fast Open in kind 254 (RFC 7413 §4.1.1).
pub const FAST_OPEN_EXID: u16 = 0xf989;

/// One to four SACK blocks (left edge, right edge), RFC 2018 §3.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SackBlocks {
    len: u8,
    blocks: [(u32, u32); 4],
}

impl SackBlocks {
    /// Up to four blocks (40 bytes of options hold at most four).
    pub fn new(blocks: &[(u32, u32)]) -> Result<Self, WireError> {
        if blocks.len() > 4 {
            return Err(WireError::too_long(HEADER, "SACK blocks", blocks.len(), 4));
        }
        let mut out = SackBlocks::default();
        out.blocks[..blocks.len()].copy_from_slice(blocks);
        out.len = blocks.len() as u8;
        Ok(out)
    }
    #[inline]
    pub fn as_slice(&self) -> &[(u32, u32)] {
        &self.blocks[..usize::from(self.len)]
    }
}

impl core::fmt::Debug for SackBlocks {
    #[inline]
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// One TCP option. Borrowed data points into the [`TcpOptions`] it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TcpOption<'a> {
    /// End of option list: what follows it in the options area is padding.
    Eol,
    Nop,
    Mss(u16),
    WindowScale(u8),
    SackPermitted,
    Sack(SackBlocks),
    Timestamps {
        tsval: u32,
        tsecr: u32,
    },
    /// RFC 2385 signature (16 bytes).
    Md5([u8; 16]),
    /// Kind 34: the cookie (empty for a cookie request).
    FastOpen(&'a [u8]),
    /// Kind 254 with ExID 0xF989: the cookie after the ExID.
    FastOpenExp(&'a [u8]),
    /// Any other kind, or a known kind with a length it cannot have.
    Raw {
        kind: u8,
        data: &'a [u8],
    },
    /// The rest of the options from a kind whose length byte is missing,
    /// below 2, or runs past the end; written back as is.
    Malformed(&'a [u8]),
}

impl<'a> TcpOption<'a> {
    /// Decodes a TLV option of `kind` whose data (after kind and length) is `data`.
    #[inline]
    fn decode(kind: u8, data: &'a [u8]) -> TcpOption<'a> {
        match (kind, data.len()) {
            (kind::MSS, 2) => TcpOption::Mss(u16_at(data, 0)),
            (kind::WINDOW_SCALE, 1) => TcpOption::WindowScale(data[0]),
            (kind::SACK_PERMITTED, 0) => TcpOption::SackPermitted,
            (kind::SACK, 8 | 16 | 24 | 32) => {
                let mut blocks = SackBlocks {
                    len: (data.len() / 8) as u8,
                    ..SackBlocks::default()
                };
                for (i, block) in blocks.blocks.iter_mut().take(data.len() / 8).enumerate() {
                    *block = (u32_at(data, i * 8), u32_at(data, i * 8 + 4));
                }
                TcpOption::Sack(blocks)
            }
            (kind::TIMESTAMPS, 8) => TcpOption::Timestamps {
                tsval: u32_at(data, 0),
                tsecr: u32_at(data, 4),
            },
            (kind::MD5, 16) => TcpOption::Md5(array(data, 0)),
            (kind::FAST_OPEN, _) => TcpOption::FastOpen(data),
            (kind::EXPERIMENTAL, 2..) if u16_at(data, 0) == FAST_OPEN_EXID => {
                TcpOption::FastOpenExp(&data[2..])
            }
            _ => TcpOption::Raw { kind, data },
        }
    }

    /// The kind byte (the first byte for [`TcpOption::Malformed`], 0 if empty).
    #[inline]
    pub fn kind(&self) -> u8 {
        match self {
            TcpOption::Eol => kind::EOL,
            TcpOption::Nop => kind::NOP,
            TcpOption::Mss(_) => kind::MSS,
            TcpOption::WindowScale(_) => kind::WINDOW_SCALE,
            TcpOption::SackPermitted => kind::SACK_PERMITTED,
            TcpOption::Sack(_) => kind::SACK,
            TcpOption::Timestamps { .. } => kind::TIMESTAMPS,
            TcpOption::Md5(_) => kind::MD5,
            TcpOption::FastOpen(_) => kind::FAST_OPEN,
            TcpOption::FastOpenExp(_) => kind::EXPERIMENTAL,
            TcpOption::Raw { kind, .. } => *kind,
            TcpOption::Malformed(bytes) => bytes.first().copied().unwrap_or(0),
        }
    }

    /// The bytes this option takes on the wire.
    #[inline]
    pub fn buffer_len(&self) -> usize {
        match self {
            TcpOption::Eol | TcpOption::Nop => 1,
            TcpOption::Mss(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::Sack(b) => 2 + 8 * b.as_slice().len(),
            TcpOption::Timestamps { .. } => 10,
            TcpOption::Md5(_) => 18,
            TcpOption::FastOpen(c) => 2 + c.len(),
            TcpOption::FastOpenExp(c) => 4 + c.len(),
            TcpOption::Raw { data, .. } => 2 + data.len(),
            TcpOption::Malformed(bytes) => bytes.len(),
        }
    }

    /// Appends this option's bytes to `out`; fails (changing nothing) past
    /// 40 bytes.
    #[inline]
    fn emit_into(&self, out: &mut InlineBytes<MAX_LEN>) -> Result<(), WireError> {
        let len = self.buffer_len();
        if out.len() + len > MAX_LEN {
            return Err(WireError::too_long(
                HEADER,
                "options",
                out.len() + len,
                MAX_LEN,
            ));
        }
        // Built in place, then appended in one piece. It fits in 40 bytes,
        // so the length byte below is exact.
        let mut b = [0u8; MAX_LEN];
        b[0] = self.kind();
        b[1] = len as u8;
        let mut put = |at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
        match self {
            TcpOption::Eol | TcpOption::Nop | TcpOption::SackPermitted => {}
            TcpOption::Mss(v) => put(2, &v.to_be_bytes()),
            TcpOption::WindowScale(v) => put(2, &[*v]),
            TcpOption::Sack(blocks) => {
                for (i, (l, r)) in blocks.as_slice().iter().enumerate() {
                    put(2 + 8 * i, &l.to_be_bytes());
                    put(6 + 8 * i, &r.to_be_bytes());
                }
            }
            TcpOption::Timestamps { tsval, tsecr } => {
                put(2, &tsval.to_be_bytes());
                put(6, &tsecr.to_be_bytes());
            }
            TcpOption::Md5(sig) => put(2, sig),
            TcpOption::FastOpen(cookie) => put(2, cookie),
            TcpOption::FastOpenExp(cookie) => {
                put(2, &FAST_OPEN_EXID.to_be_bytes());
                put(4, cookie);
            }
            TcpOption::Raw { data, .. } => put(2, data),
            TcpOption::Malformed(bytes) => put(0, bytes),
        }
        out.extend(&b[..len], HEADER, "options")
    }
}

/// The options area of a TCP header, raw and in order. Equality is byte
/// equality, so option order and padding count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TcpOptions(InlineBytes<MAX_LEN>);

impl TcpOptions {
    pub const NONE: TcpOptions = TcpOptions(InlineBytes::EMPTY);

    /// `nop,nop,TS val ecr`: the layout RFC 7323 Appendix A recommends for
    /// the timestamps option on every non-SYN segment (12 bytes, aligned).
    #[inline]
    pub fn nop_nop_timestamps(tsval: u32, tsecr: u32) -> TcpOptions {
        let mut b = [0u8; 12];
        b[..4].copy_from_slice(&[kind::NOP, kind::NOP, kind::TIMESTAMPS, 10]);
        b[4..8].copy_from_slice(&tsval.to_be_bytes());
        b[8..].copy_from_slice(&tsecr.to_be_bytes());
        let mut out = TcpOptions::NONE;
        // 12 bytes always fit in 40.
        let _ = out.0.extend(&b, HEADER, "options");
        out
    }

    /// (TSval, TSecr) if the options are exactly [`Self::nop_nop_timestamps`]
    /// (the common case, recognised without walking the list).
    #[inline]
    pub fn as_nop_nop_timestamps(&self) -> Option<(u32, u32)> {
        match self.as_bytes() {
            [kind::NOP, kind::NOP, kind::TIMESTAMPS, 10, ts @ ..] if ts.len() == 8 => {
                Some((u32_at(ts, 0), u32_at(ts, 4)))
            }
            _ => None,
        }
    }

    /// Encodes `options` in the given order, exactly (no padding is added:
    /// `TcpRepr::emit` pads to a word with zero bytes, RFC 9293 §3.1).
    pub fn from_options(options: &[TcpOption<'_>]) -> Result<Self, WireError> {
        let mut out = TcpOptions::NONE;
        for opt in options {
            out.push(opt)?;
        }
        Ok(out)
    }

    /// Raw option bytes, kept as they are (at most 40).
    #[inline]
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, WireError> {
        Ok(TcpOptions(InlineBytes::new(bytes, HEADER, "options")?))
    }

    /// Appends one option; fails (changing nothing) past 40 bytes.
    #[inline]
    pub fn push(&mut self, option: &TcpOption<'_>) -> Result<(), WireError> {
        option.emit_into(&mut self.0)
    }

    /// Appends zero bytes (EOL, then padding) up to a multiple of 4 bytes, as
    /// `emit` would: after this, parsing the emitted header gives back the
    /// same options.
    #[inline]
    pub fn pad_to_word(&mut self) {
        let pad = self.padded_len() - self.len();
        // Cannot fail: padded_len() <= 40 because len() <= 40.
        let _ = self.0.extend(&[0; 3][..pad], HEADER, "options");
    }

    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_slice()
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The length rounded up to a 4-byte word, as emitted.
    #[inline]
    pub fn padded_len(&self) -> usize {
        self.len().div_ceil(4) * 4
    }

    /// The options in order, up to and including an EOL.
    #[inline]
    pub fn iter(&self) -> TcpOptionIter<'_> {
        TcpOptionIter {
            rest: self.as_bytes(),
        }
    }

    /// The first MSS option's value.
    #[inline]
    pub fn mss(&self) -> Option<u16> {
        self.iter().find_map(|o| {
            if let TcpOption::Mss(v) = o {
                Some(v)
            } else {
                None
            }
        })
    }
    /// The first window-scale option's shift count.
    #[inline]
    pub fn window_scale(&self) -> Option<u8> {
        self.iter().find_map(|o| {
            if let TcpOption::WindowScale(v) = o {
                Some(v)
            } else {
                None
            }
        })
    }
    #[inline]
    pub fn sack_permitted(&self) -> bool {
        self.iter().any(|o| o == TcpOption::SackPermitted)
    }
    /// The first timestamps option as (TSval, TSecr).
    #[inline]
    pub fn timestamps(&self) -> Option<(u32, u32)> {
        self.iter().find_map(|o| {
            if let TcpOption::Timestamps { tsval, tsecr } = o {
                Some((tsval, tsecr))
            } else {
                None
            }
        })
    }
    /// The first SACK option's blocks.
    #[inline]
    pub fn sack_blocks(&self) -> Option<SackBlocks> {
        self.iter().find_map(|o| {
            if let TcpOption::Sack(b) = o {
                Some(b)
            } else {
                None
            }
        })
    }
    /// The first Fast Open cookie (kind 34 or experimental 254/0xF989).
    #[inline]
    pub fn fast_open_cookie(&self) -> Option<&[u8]> {
        self.iter().find_map(|o| match o {
            TcpOption::FastOpen(c) | TcpOption::FastOpenExp(c) => Some(c),
            _ => None,
        })
    }
}

/// Iterates over [`TcpOptions`]; stops after EOL or a malformed option.
#[derive(Clone, Debug)]
pub struct TcpOptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for TcpOptionIter<'a> {
    type Item = TcpOption<'a>;

    #[inline]
    fn next(&mut self) -> Option<TcpOption<'a>> {
        let rest = self.rest;
        let (&kind, after) = rest.split_first()?;
        match kind {
            kind::EOL => {
                self.rest = &[];
                Some(TcpOption::Eol)
            }
            kind::NOP => {
                self.rest = after;
                Some(TcpOption::Nop)
            }
            _ => {
                let len = after.first().map_or(0, |&l| usize::from(l));
                // RFC 9293 §3.1 (MUST-7): an illegal length must not crash us.
                if len < 2 || len > rest.len() {
                    self.rest = &[];
                    return Some(TcpOption::Malformed(rest));
                }
                self.rest = &rest[len..];
                Some(TcpOption::decode(kind, &rest[2..len]))
            }
        }
    }
}

impl<'a> IntoIterator for &'a TcpOptions {
    type Item = TcpOption<'a>;
    type IntoIter = TcpOptionIter<'a>;
    fn into_iter(self) -> TcpOptionIter<'a> {
        self.iter()
    }
}
