//! IPv6 (RFC 8200): the fixed header, and the extension-header chain walked
//! to the upper layer (see `ipv6_ext`).

use super::IpProtocol;
use super::checksum::{self, Sum};
use super::error::{WireError, need, room};
use super::field::{array, set_u16, set_u32, u16_at, u32_at};
use super::ipv6_ext::{self, Ipv6ExtHeaders};
use core::net::Ipv6Addr;

const HEADER: &str = "IPv6";

mod off {
    pub const VER_TC_FLOW: usize = 0;
    pub const PAYLOAD_LEN: usize = 4;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC: usize = 8;
    pub const DST: usize = 24;
    pub const PAYLOAD: usize = 40;
}

pub const HEADER_LEN: usize = off::PAYLOAD;

/// A zero-copy view of an IPv6 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Ipv6Packet { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// Fails unless the 40-byte header and the payload length it announces
    /// fit in the buffer (bytes beyond are ignored, as Ethernet padding).
    #[inline]
    pub fn check_len(&self) -> Result<(), WireError> {
        let b = self.buffer.as_ref();
        need(b, HEADER_LEN, HEADER, "header")?;
        need(
            b,
            HEADER_LEN + usize::from(self.payload_len()),
            HEADER,
            "payload length",
        )
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[0] >> 4
    }
    #[inline]
    pub fn traffic_class(&self) -> u8 {
        (u32_at(self.buffer.as_ref(), off::VER_TC_FLOW) >> 20) as u8
    }
    #[inline]
    pub fn flow_label(&self) -> u32 {
        u32_at(self.buffer.as_ref(), off::VER_TC_FLOW) & 0x000f_ffff
    }
    #[inline]
    pub fn payload_len(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::PAYLOAD_LEN)
    }
    #[inline]
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol(self.buffer.as_ref()[off::NEXT_HEADER])
    }
    #[inline]
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[off::HOP_LIMIT]
    }
    #[inline]
    pub fn src_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(array::<16>(self.buffer.as_ref(), off::SRC))
    }
    #[inline]
    pub fn dst_addr(&self) -> Ipv6Addr {
        Ipv6Addr::from(array::<16>(self.buffer.as_ref(), off::DST))
    }
    /// Everything after the fixed header, up to the payload length
    /// (extension headers included).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[HEADER_LEN..HEADER_LEN + usize::from(self.payload_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    #[inline]
    pub fn set_version_tc_flow(&mut self, traffic_class: u8, flow_label: u32) {
        let v = (6 << 28) | (u32::from(traffic_class) << 20) | (flow_label & 0x000f_ffff);
        set_u32(self.buffer.as_mut(), off::VER_TC_FLOW, v);
    }
    #[inline]
    pub fn set_payload_len(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), off::PAYLOAD_LEN, v);
    }
    #[inline]
    pub fn set_next_header(&mut self, p: IpProtocol) {
        self.buffer.as_mut()[off::NEXT_HEADER] = p.0;
    }
    #[inline]
    pub fn set_hop_limit(&mut self, v: u8) {
        self.buffer.as_mut()[off::HOP_LIMIT] = v;
    }
    #[inline]
    pub fn set_src_addr(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[off::SRC..off::SRC + 16].copy_from_slice(&a.octets());
    }
    #[inline]
    pub fn set_dst_addr(&mut self, a: Ipv6Addr) {
        self.buffer.as_mut()[off::DST..off::DST + 16].copy_from_slice(&a.octets());
    }
}

/// The IPv6 header and its extension-header chain, as values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ipv6Repr<'a> {
    pub src: Ipv6Addr,
    pub dst: Ipv6Addr,
    pub traffic_class: u8,
    /// 20 bits.
    pub flow_label: u32,
    pub hop_limit: u8,
    /// The extension headers between the fixed header and the upper layer.
    pub ext_headers: Ipv6ExtHeaders<'a>,
    /// The upper-layer protocol, after the extension headers.
    pub next_header: IpProtocol,
    /// Upper-layer bytes (after the extension headers).
    pub payload_len: usize,
}

impl<'a> Ipv6Repr<'a> {
    /// Reads the header and walks the extension headers to the upper layer.
    #[inline]
    pub fn parse(packet: &Ipv6Packet<&'a [u8]>) -> Result<Self, WireError> {
        if packet.version() != 6 {
            return Err(WireError::bad_value(
                HEADER,
                "version",
                packet.version().into(),
                "must be 6",
            ));
        }
        let buffer: &'a [u8] = packet.buffer;
        let payload = &buffer[HEADER_LEN..HEADER_LEN + usize::from(packet.payload_len())];
        let first = packet.next_header();
        let (upper, chain_len) = ipv6_ext::walk(first, payload)?;
        let ext_headers = Ipv6ExtHeaders::new(first, &payload[..chain_len])?;
        Ok(Ipv6Repr {
            src: packet.src_addr(),
            dst: packet.dst_addr(),
            traffic_class: packet.traffic_class(),
            flow_label: packet.flow_label(),
            hop_limit: packet.hop_limit(),
            ext_headers,
            next_header: upper,
            payload_len: payload.len() - chain_len,
        })
    }

    /// The fixed header plus the extension headers.
    #[inline]
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.ext_headers.len()
    }

    /// The header length (the upper layer is written by the caller after it).
    #[inline]
    pub fn buffer_len(&self) -> usize {
        self.header_len()
    }

    /// Writes the fixed header and the extension headers at the start of
    /// `buf`; the last extension header's next-header byte is set to
    /// `next_header`.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let header_len = self.header_len();
        room(buf, header_len, HEADER)?;
        let payload = self.ext_headers.len() + self.payload_len;
        let payload = u16::try_from(payload)
            .map_err(|_| WireError::too_long(HEADER, "payload length", payload, 65535))?;
        if self.flow_label > 0x000f_ffff {
            return Err(WireError::bad_value(
                HEADER,
                "flow label",
                self.flow_label.into(),
                "20 bits",
            ));
        }
        let mut p = Ipv6Packet {
            buffer: &mut buf[..header_len],
        };
        p.set_version_tc_flow(self.traffic_class, self.flow_label);
        p.set_payload_len(payload);
        p.set_next_header(self.ext_headers.first().unwrap_or(self.next_header));
        p.set_hop_limit(self.hop_limit);
        p.set_src_addr(self.src);
        p.set_dst_addr(self.dst);
        let chain = &mut p.buffer[HEADER_LEN..];
        chain.copy_from_slice(self.ext_headers.as_bytes());
        if let Some(at) = self.ext_headers.last_next_header_offset() {
            chain[at] = self.next_header.0;
        }
        Ok(())
    }

    /// The pseudo-header sum for an upper-layer message of `len` bytes.
    #[inline]
    pub fn pseudo_header(&self, protocol: IpProtocol, len: u32) -> Sum {
        checksum::ipv6_pseudo_header(self.src, self.dst, protocol.0, len)
    }
}
