//! IPv4 (RFC 791): options kept raw, fragments recognised (the codec does not
//! reassemble), header checksum verified and reported.

use super::IpProtocol;
use super::checksum::{self, Checksum, ChecksumMode, Sum};
use super::error::{WireError, need, room};
use super::field::{array, set_u16, u16_at};
use super::inline::InlineBytes;
use core::net::Ipv4Addr;

const HEADER: &str = "IPv4";

mod off {
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: usize = 2;
    pub const IDENT: usize = 4;
    pub const FLAGS_FRAG: usize = 6;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: usize = 10;
    pub const SRC: usize = 12;
    pub const DST: usize = 16;
    pub const OPTIONS: usize = 20;
}

/// The fixed header length; options follow it.
pub const MIN_HEADER_LEN: usize = off::OPTIONS;
const MAX_OPTIONS_LEN: usize = 40;

const FLAG_RESERVED: u16 = 0x8000;
const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const FRAG_OFFSET_MASK: u16 = 0x1fff;

/// A zero-copy view of an IPv4 datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Ipv4Packet { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// Fails unless the header length (IHL) is at least 5 words and both it and
    /// the total length fit in the buffer. Bytes after the total length
    /// (Ethernet padding) are allowed and ignored.
    #[inline]
    pub fn check_len(&self) -> Result<(), WireError> {
        let b = self.buffer.as_ref();
        need(b, MIN_HEADER_LEN, HEADER, "header")?;
        let header_len = self.header_len();
        if header_len < MIN_HEADER_LEN {
            let ihl = u64::from(b[off::VER_IHL] & 0x0f);
            return Err(WireError::bad_value(
                HEADER,
                "IHL",
                ihl,
                "below the minimum of 5 words",
            ));
        }
        need(b, header_len, HEADER, "IHL")?;
        let total = usize::from(self.total_len());
        if total < header_len {
            return Err(WireError::bad_value(
                HEADER,
                "total length",
                total as u64,
                "shorter than the header",
            ));
        }
        need(b, total, HEADER, "total length")
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[off::VER_IHL] >> 4
    }
    /// The header length in bytes (IHL × 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[off::VER_IHL] & 0x0f) * 4
    }
    #[inline]
    pub fn dscp(&self) -> u8 {
        self.buffer.as_ref()[off::TOS] >> 2
    }
    #[inline]
    pub fn ecn(&self) -> u8 {
        self.buffer.as_ref()[off::TOS] & 0x03
    }
    #[inline]
    pub fn total_len(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::LENGTH)
    }
    #[inline]
    pub fn ident(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::IDENT)
    }
    #[inline]
    fn flags_frag(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::FLAGS_FRAG)
    }
    /// The reserved flag bit (must be zero per RFC 791).
    #[inline]
    pub fn reserved_flag(&self) -> bool {
        self.flags_frag() & FLAG_RESERVED != 0
    }
    #[inline]
    pub fn dont_frag(&self) -> bool {
        self.flags_frag() & FLAG_DF != 0
    }
    #[inline]
    pub fn more_frags(&self) -> bool {
        self.flags_frag() & FLAG_MF != 0
    }
    /// The fragment offset in 8-byte units, as on the wire.
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        self.flags_frag() & FRAG_OFFSET_MASK
    }
    #[inline]
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[off::TTL]
    }
    #[inline]
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol(self.buffer.as_ref()[off::PROTOCOL])
    }
    #[inline]
    pub fn checksum(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::CHECKSUM)
    }
    #[inline]
    pub fn src_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(array::<4>(self.buffer.as_ref(), off::SRC))
    }
    #[inline]
    pub fn dst_addr(&self) -> Ipv4Addr {
        Ipv4Addr::from(array::<4>(self.buffer.as_ref(), off::DST))
    }
    /// The raw option bytes, between the fixed header and IHL × 4.
    #[inline]
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[off::OPTIONS..self.header_len()]
    }
    /// The payload: from the end of the header to the total length.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..usize::from(self.total_len())]
    }
    /// The header checksum verdict (RFC 791: the sum over the header).
    #[inline]
    pub fn verify_checksum(&self) -> Checksum {
        let header = &self.buffer.as_ref()[..self.header_len()];
        checksum::verdict(Sum::ZERO.add_bytes(header), self.checksum())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    #[inline]
    pub fn set_version_and_header_len(&mut self, header_len: usize) {
        self.buffer.as_mut()[off::VER_IHL] = 0x40 | ((header_len / 4) as u8 & 0x0f);
    }
    #[inline]
    pub fn set_tos(&mut self, dscp: u8, ecn: u8) {
        self.buffer.as_mut()[off::TOS] = (dscp << 2) | (ecn & 0x03);
    }
    #[inline]
    pub fn set_total_len(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::LENGTH, v);
    }
    #[inline]
    pub fn set_ident(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::IDENT, v);
    }
    #[inline]
    pub fn set_flags_and_frag_offset(&mut self, reserved: bool, df: bool, mf: bool, offset: u16) {
        let mut v = offset & FRAG_OFFSET_MASK;
        for (on, bit) in [(reserved, FLAG_RESERVED), (df, FLAG_DF), (mf, FLAG_MF)] {
            if on {
                v |= bit;
            }
        }
        set_u16(self.buffer.as_mut(), off::FLAGS_FRAG, v);
    }
    #[inline]
    pub fn set_ttl(&mut self, v: u8) {
        self.buffer.as_mut()[off::TTL] = v;
    }
    #[inline]
    pub fn set_protocol(&mut self, p: IpProtocol) {
        self.buffer.as_mut()[off::PROTOCOL] = p.0;
    }
    #[inline]
    pub fn set_checksum(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::CHECKSUM, v);
    }
    #[inline]
    pub fn set_src_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[off::SRC..off::SRC + 4].copy_from_slice(&a.octets());
    }
    #[inline]
    pub fn set_dst_addr(&mut self, a: Ipv4Addr) {
        self.buffer.as_mut()[off::DST..off::DST + 4].copy_from_slice(&a.octets());
    }
    /// Recomputes the header checksum over the current header bytes.
    #[inline]
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let header = &self.buffer.as_ref()[..self.header_len()];
        let c = checksum::compute(Sum::ZERO.add_bytes(header));
        self.set_checksum(c);
    }
}

/// IPv4 options, raw (RFC 791 §3.1): at most 40 bytes, a multiple of 4.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ipv4Options(InlineBytes<MAX_OPTIONS_LEN>);

impl Ipv4Options {
    pub const NONE: Ipv4Options = Ipv4Options(InlineBytes::EMPTY);

    /// The options area as bytes; it must fill whole 32-bit words (IHL counts
    /// words), padded by the caller with End of Option List (0) bytes.
    #[inline]
    pub fn new(bytes: &[u8]) -> Result<Self, WireError> {
        if bytes.len() % 4 != 0 {
            return Err(WireError::bad_value(
                HEADER,
                "options",
                bytes.len() as u64,
                "length must be a multiple of 4 bytes",
            ));
        }
        Ok(Ipv4Options(InlineBytes::new(bytes, HEADER, "options")?))
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
}

/// The IPv4 header as values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ipv4Repr {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    /// Differentiated Services code point (the TOS byte's upper 6 bits).
    pub dscp: u8,
    /// ECN field (the TOS byte's lower 2 bits, RFC 3168).
    pub ecn: u8,
    pub ident: u16,
    /// The reserved flag bit, kept so that it can be seen and sent.
    pub reserved_flag: bool,
    pub dont_frag: bool,
    pub more_frags: bool,
    /// Fragment offset in 8-byte units, as on the wire.
    pub frag_offset: u16,
    pub ttl: u8,
    pub protocol: IpProtocol,
    pub options: Ipv4Options,
    pub checksum: Checksum,
    /// Bytes after the header (total length − header length).
    pub payload_len: usize,
}

impl Ipv4Repr {
    /// A plain header from `src` to `dst`: DF set, TTL 64, no options, DSCP,
    /// ECN and ident 0, the checksum computed on emit and the payload length
    /// filled in by [`IpDatagram::emit`](super::IpDatagram::emit). Callers
    /// change what differs with struct update syntax.
    pub const fn new(src: Ipv4Addr, dst: Ipv4Addr, protocol: IpProtocol) -> Ipv4Repr {
        Ipv4Repr {
            src,
            dst,
            dscp: 0,
            ecn: 0,
            ident: 0,
            reserved_flag: false,
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
            ttl: 64,
            protocol,
            options: Ipv4Options::NONE,
            checksum: Checksum::Valid,
            payload_len: 0,
        }
    }

    /// Reads the header of a checked view. With [`ChecksumMode::Verify`] the
    /// header checksum is verified and reported in `checksum`.
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(
        packet: &Ipv4Packet<T>,
        mode: ChecksumMode,
    ) -> Result<Self, WireError> {
        if packet.version() != 4 {
            return Err(WireError::bad_value(
                HEADER,
                "version",
                packet.version().into(),
                "must be 4",
            ));
        }
        let checksum = match mode {
            ChecksumMode::Verify => packet.verify_checksum(),
            ChecksumMode::Skip => Checksum::Unverified {
                found: packet.checksum(),
            },
        };
        Ok(Ipv4Repr {
            src: packet.src_addr(),
            dst: packet.dst_addr(),
            dscp: packet.dscp(),
            ecn: packet.ecn(),
            ident: packet.ident(),
            reserved_flag: packet.reserved_flag(),
            dont_frag: packet.dont_frag(),
            more_frags: packet.more_frags(),
            frag_offset: packet.frag_offset(),
            ttl: packet.ttl(),
            protocol: packet.protocol(),
            options: Ipv4Options::new(packet.options())?,
            checksum,
            payload_len: packet.payload().len(),
        })
    }

    /// Whether this datagram is a fragment (MF set or a non-zero offset).
    #[inline]
    pub fn is_fragment(&self) -> bool {
        self.more_frags || self.frag_offset != 0
    }

    /// The header length: 20 bytes plus the options.
    #[inline]
    pub fn header_len(&self) -> usize {
        MIN_HEADER_LEN + self.options.len()
    }

    /// The header length (the payload is written by the caller after it).
    #[inline]
    pub fn buffer_len(&self) -> usize {
        self.header_len()
    }

    /// Writes the header at the start of `buf`, with the total length from
    /// `payload_len` and the checksum as `checksum` asks.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let header_len = self.header_len();
        room(buf, header_len, HEADER)?;
        let total = header_len + self.payload_len;
        let total = u16::try_from(total)
            .map_err(|_| WireError::too_long(HEADER, "total length", total, 65535))?;
        if self.dscp > 0x3f || self.ecn > 3 || self.frag_offset > FRAG_OFFSET_MASK {
            let (field, value) = if self.dscp > 0x3f {
                ("DSCP", u64::from(self.dscp))
            } else if self.ecn > 3 {
                ("ECN", u64::from(self.ecn))
            } else {
                ("fragment offset", u64::from(self.frag_offset))
            };
            return Err(WireError::bad_value(
                HEADER,
                field,
                value,
                "does not fit in its bits",
            ));
        }
        let mut p = Ipv4Packet {
            buffer: &mut buf[..header_len],
        };
        p.set_version_and_header_len(header_len);
        p.set_tos(self.dscp, self.ecn);
        p.set_total_len(total);
        p.set_ident(self.ident);
        p.set_flags_and_frag_offset(
            self.reserved_flag,
            self.dont_frag,
            self.more_frags,
            self.frag_offset,
        );
        p.set_ttl(self.ttl);
        p.set_protocol(self.protocol);
        p.set_checksum(0);
        p.set_src_addr(self.src);
        p.set_dst_addr(self.dst);
        p.buffer[off::OPTIONS..].copy_from_slice(self.options.as_bytes());
        let c = checksum::to_write(self.checksum, Sum::ZERO.add_bytes(p.buffer));
        p.set_checksum(c);
        Ok(())
    }

    /// The pseudo-header sum for an upper-layer message of `len` bytes.
    #[inline]
    pub fn pseudo_header(&self, protocol: IpProtocol, len: u16) -> Sum {
        checksum::ipv4_pseudo_header(self.src, self.dst, protocol.0, len)
    }
}
