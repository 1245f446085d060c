//! UDP (RFC 768) and its checksum; over IPv6 a zero checksum is invalid
//! (RFC 8200 §8.1), over IPv4 it means "none".

use super::IpProtocol;
use super::checksum::{self, Checksum, ChecksumMode, PseudoHeader};
use super::error::{WireError, need, room};
use super::field::{set_u16, u16_at};

const HEADER: &str = "UDP";

mod off {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const LENGTH: usize = 4;
    pub const CHECKSUM: usize = 6;
    pub const PAYLOAD: usize = 8;
}

pub const HEADER_LEN: usize = off::PAYLOAD;

/// A zero-copy view of a UDP datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = UdpPacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// Fails unless the length field is at least 8 and fits in the buffer.
    #[inline]
    pub fn check_len(&self) -> Result<(), WireError> {
        let b = self.buffer.as_ref();
        need(b, HEADER_LEN, HEADER, "header")?;
        let len = usize::from(self.len());
        if len < HEADER_LEN {
            return Err(WireError::bad_value(
                HEADER,
                "length",
                len as u64,
                "below the 8-byte header",
            ));
        }
        need(b, len, HEADER, "length")
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
    #[inline]
    pub fn src_port(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::SRC_PORT)
    }
    #[inline]
    pub fn dst_port(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::DST_PORT)
    }
    /// The length field: header plus payload.
    #[inline]
    pub fn len(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::LENGTH)
    }
    /// Whether the length field announces an empty payload.
    #[inline]
    pub fn is_empty(&self) -> bool {
        usize::from(self.len()) <= HEADER_LEN
    }
    #[inline]
    pub fn checksum(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::CHECKSUM)
    }
    /// The payload, up to the length field (bytes after it are ignored).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..usize::from(self.len())]
    }
    /// The checksum verdict over `pseudo` and the datagram.
    #[inline]
    pub fn verify_checksum(&self, pseudo: &PseudoHeader) -> Checksum {
        let found = self.checksum();
        if found == 0 && matches!(pseudo, PseudoHeader::V4 { .. }) {
            return Checksum::Absent; // RFC 768: zero means the sender did not compute one.
        }
        let b = &self.buffer.as_ref()[..usize::from(self.len())];
        let sum = pseudo.sum(IpProtocol::UDP.0, b.len()).add_bytes(b);
        match checksum::verdict(sum, found) {
            // RFC 8200 §8.1: over IPv6 a zero field is never valid.
            Checksum::Valid if found == 0 => Checksum::Invalid {
                found,
                expected: 0xffff,
            },
            Checksum::Invalid { found, expected: 0 } => Checksum::Invalid {
                found,
                expected: 0xffff,
            },
            v => v,
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    #[inline]
    pub fn set_src_port(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::SRC_PORT, v);
    }
    #[inline]
    pub fn set_dst_port(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::DST_PORT, v);
    }
    #[inline]
    pub fn set_len(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::LENGTH, v);
    }
    #[inline]
    pub fn set_checksum(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::CHECKSUM, v);
    }
}

/// A UDP datagram as values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UdpRepr<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub checksum: Checksum,
    pub payload: &'a [u8],
}

impl<'a> UdpRepr<'a> {
    #[inline]
    pub fn parse(
        packet: &UdpPacket<&'a [u8]>,
        pseudo: &PseudoHeader,
        mode: ChecksumMode,
    ) -> Result<Self, WireError> {
        let checksum = match mode {
            ChecksumMode::Verify => packet.verify_checksum(pseudo),
            ChecksumMode::Skip
                if packet.checksum() == 0 && matches!(pseudo, PseudoHeader::V4 { .. }) =>
            {
                Checksum::Absent
            }
            ChecksumMode::Skip => Checksum::Unverified {
                found: packet.checksum(),
            },
        };
        let buffer: &'a [u8] = packet.buffer;
        Ok(UdpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            checksum,
            payload: &buffer[HEADER_LEN..usize::from(packet.len())],
        })
    }

    #[inline]
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// Writes header and payload at the start of `buf`. A computed checksum
    /// of zero is sent as 0xffff (RFC 768).
    #[inline]
    pub fn emit(&self, buf: &mut [u8], pseudo: &PseudoHeader) -> Result<(), WireError> {
        let len = self.buffer_len();
        room(buf, len, HEADER)?;
        let len16 =
            u16::try_from(len).map_err(|_| WireError::too_long(HEADER, "length", len, 65535))?;
        let buf = &mut buf[..len];
        buf[HEADER_LEN..].copy_from_slice(self.payload);
        let mut p = UdpPacket { buffer: buf };
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_len(len16);
        p.set_checksum(0);
        let sum = pseudo.sum(IpProtocol::UDP.0, len).add_bytes(p.buffer);
        let value = match checksum::to_write(self.checksum, sum) {
            0 if self.checksum == Checksum::Valid => 0xffff,
            v => v,
        };
        p.set_checksum(value);
        Ok(())
    }
}
