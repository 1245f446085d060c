//! The TCP header (RFC 9293 §3.1) and its checksum over the pseudo-header.

use super::IpProtocol;
use super::checksum::{self, Checksum, ChecksumMode, PseudoHeader};
use super::error::{WireError, need, room};
use super::field::{set_u16, set_u32, u16_at, u32_at};
use super::tcp_flags::TcpFlags;
use super::tcp_option::TcpOptions;

const HEADER: &str = "TCP";

mod off {
    pub const SRC_PORT: usize = 0;
    pub const DST_PORT: usize = 2;
    pub const SEQ: usize = 4;
    pub const ACK: usize = 8;
    pub const OFFSET_FLAGS: usize = 12;
    pub const WINDOW: usize = 14;
    pub const CHECKSUM: usize = 16;
    pub const URGENT: usize = 18;
    pub const OPTIONS: usize = 20;
}

/// The header without options.
pub const MIN_HEADER_LEN: usize = off::OPTIONS;
/// Segments longer than this cannot be carried (IPv6 jumbograms are not supported).
const MAX_SEGMENT_LEN: usize = 65535;

/// A zero-copy view of a TCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = TcpPacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// Fails unless the data offset is at least 5 words and the header it
    /// announces fits in the buffer.
    #[inline]
    pub fn check_len(&self) -> Result<(), WireError> {
        let b = self.buffer.as_ref();
        need(b, MIN_HEADER_LEN, HEADER, "header")?;
        let header_len = self.header_len();
        if header_len < MIN_HEADER_LEN {
            return Err(WireError::bad_value(
                HEADER,
                "data offset",
                (header_len / 4) as u64,
                "below the minimum of 5 words",
            ));
        }
        need(b, header_len, HEADER, "data offset")
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
    #[inline]
    pub fn seq_number(&self) -> u32 {
        u32_at(self.buffer.as_ref(), off::SEQ)
    }
    #[inline]
    pub fn ack_number(&self) -> u32 {
        u32_at(self.buffer.as_ref(), off::ACK)
    }
    /// The header length in bytes (data offset × 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[off::OFFSET_FLAGS] >> 4) * 4
    }
    #[inline]
    pub fn flags(&self) -> TcpFlags {
        TcpFlags::from_bits_truncate(u16_at(self.buffer.as_ref(), off::OFFSET_FLAGS))
    }
    #[inline]
    pub fn window(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::WINDOW)
    }
    #[inline]
    pub fn checksum(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::CHECKSUM)
    }
    #[inline]
    pub fn urgent_ptr(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::URGENT)
    }
    /// The raw options area (between the fixed header and the data offset).
    #[inline]
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[off::OPTIONS..self.header_len()]
    }
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
    /// The checksum verdict over `pseudo` and the whole segment.
    #[inline]
    pub fn verify_checksum(&self, pseudo: &PseudoHeader) -> Checksum {
        let b = self.buffer.as_ref();
        let sum = pseudo.sum(IpProtocol::TCP.0, b.len()).add_bytes(b);
        checksum::verdict(sum, self.checksum())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    #[inline]
    pub fn set_src_port(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::SRC_PORT, v);
    }
    #[inline]
    pub fn set_dst_port(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::DST_PORT, v);
    }
    #[inline]
    pub fn set_seq_number(&mut self, v: u32) {
        set_u32(self.buffer.as_mut(), off::SEQ, v);
    }
    #[inline]
    pub fn set_ack_number(&mut self, v: u32) {
        set_u32(self.buffer.as_mut(), off::ACK, v);
    }
    /// Sets the data offset (from a header length in bytes) and the flags.
    #[inline]
    pub fn set_header_len_and_flags(&mut self, header_len: usize, flags: TcpFlags) {
        let v = ((header_len as u16 / 4) << 12) | flags.bits();
        set_u16(self.buffer.as_mut(), off::OFFSET_FLAGS, v);
    }
    #[inline]
    pub fn set_window(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::WINDOW, v);
    }
    #[inline]
    pub fn set_checksum(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::CHECKSUM, v);
    }
    #[inline]
    pub fn set_urgent_ptr(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::URGENT, v);
    }
    /// Recomputes the checksum over `pseudo` and the whole buffer.
    #[inline]
    pub fn fill_checksum(&mut self, pseudo: &PseudoHeader) {
        self.set_checksum(0);
        let b = self.buffer.as_ref();
        let c = checksum::compute(pseudo.sum(IpProtocol::TCP.0, b.len()).add_bytes(b));
        self.set_checksum(c);
    }
}

/// A TCP segment as values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TcpRepr<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    /// The window field as sent (not scaled).
    pub window: u16,
    pub checksum: Checksum,
    pub urgent: u16,
    /// In wire order, padding included; the data offset is derived from it.
    pub options: TcpOptions,
    pub payload: &'a [u8],
}

impl<'a> TcpRepr<'a> {
    /// Reads a checked view. The checksum is verified over `pseudo` unless
    /// `mode` is [`ChecksumMode::Skip`]; a wrong one is reported, not an error.
    #[inline]
    pub fn parse(
        packet: &TcpPacket<&'a [u8]>,
        pseudo: &PseudoHeader,
        mode: ChecksumMode,
    ) -> Result<Self, WireError> {
        let checksum = match mode {
            ChecksumMode::Verify => packet.verify_checksum(pseudo),
            ChecksumMode::Skip => Checksum::Unverified {
                found: packet.checksum(),
            },
        };
        let buffer: &'a [u8] = packet.buffer;
        Ok(TcpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq: packet.seq_number(),
            ack: packet.ack_number(),
            flags: packet.flags(),
            window: packet.window(),
            checksum,
            urgent: packet.urgent_ptr(),
            options: TcpOptions::from_bytes(packet.options())?,
            payload: &buffer[packet.header_len()..],
        })
    }

    /// The header length: 20 bytes plus the options padded to a word.
    #[inline]
    pub fn header_len(&self) -> usize {
        MIN_HEADER_LEN + self.options.padded_len()
    }

    /// The data offset field (header length in 32-bit words).
    #[inline]
    pub fn data_offset(&self) -> u8 {
        (self.header_len() / 4) as u8
    }

    /// Sequence space this segment occupies: payload, plus one each for SYN and FIN.
    #[inline]
    pub fn segment_len(&self) -> usize {
        self.payload.len() + usize::from(self.flags.syn()) + usize::from(self.flags.fin())
    }

    /// Header plus payload.
    #[inline]
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// Writes header and payload at the start of `buf`; options are padded
    /// with zero bytes to a word (RFC 9293 §3.1); the checksum is computed
    /// over `pseudo` unless `checksum` asks for a given value.
    #[inline]
    pub fn emit(&self, buf: &mut [u8], pseudo: &PseudoHeader) -> Result<(), WireError> {
        let len = self.buffer_len();
        room(buf, len, HEADER)?;
        if len > MAX_SEGMENT_LEN {
            return Err(WireError::too_long(HEADER, "segment", len, MAX_SEGMENT_LEN));
        }
        let header_len = self.header_len();
        let buf = &mut buf[..len];
        let options = self.options.as_bytes();
        buf[off::OPTIONS..off::OPTIONS + options.len()].copy_from_slice(options);
        buf[off::OPTIONS + options.len()..header_len].fill(0);
        buf[header_len..].copy_from_slice(self.payload);
        let mut p = TcpPacket { buffer: buf };
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_seq_number(self.seq);
        p.set_ack_number(self.ack);
        p.set_header_len_and_flags(header_len, self.flags);
        p.set_window(self.window);
        p.set_checksum(0);
        p.set_urgent_ptr(self.urgent);
        let sum = pseudo.sum(IpProtocol::TCP.0, len).add_bytes(p.buffer);
        p.set_checksum(checksum::to_write(self.checksum, sum));
        Ok(())
    }
}
