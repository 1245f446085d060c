//! Ethernet II (DIX) frames: destination, source, EtherType, payload. The
//! frame check sequence is not part of the buffer (as on a TAP device or in a
//! pcap with the Ethernet link type).

use super::error::{WireError, need, room};
use super::field::{array, set_u16, u16_at};
use core::fmt;

const HEADER: &str = "Ethernet";

mod off {
    pub const DST: usize = 0;
    pub const SRC: usize = 6;
    pub const ETHERTYPE: usize = 12;
    pub const PAYLOAD: usize = 14;
}

/// A 48-bit IEEE MAC address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);
    pub const ZERO: MacAddr = MacAddr([0; 6]);
}

impl fmt::Display for MacAddr {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// The EtherType field (values below 0x0600 are IEEE 802.3 lengths).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EtherType(pub u16);

impl EtherType {
    pub const IPV4: EtherType = EtherType(0x0800);
    pub const ARP: EtherType = EtherType(0x0806);
    pub const IPV6: EtherType = EtherType(0x86dd);
}

/// A zero-copy view of an Ethernet II frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EthernetPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetPacket<T> {
    /// Wraps `buffer` after [`check_len`](Self::check_len).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = EthernetPacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// Fails unless the buffer holds the 14-byte header.
    #[inline]
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref(), off::PAYLOAD, HEADER, "header")
    }

    pub fn into_inner(self) -> T {
        self.buffer
    }
    #[inline]
    pub fn dst_addr(&self) -> MacAddr {
        MacAddr(array(self.buffer.as_ref(), off::DST))
    }
    #[inline]
    pub fn src_addr(&self) -> MacAddr {
        MacAddr(array(self.buffer.as_ref(), off::SRC))
    }
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        EtherType(u16_at(self.buffer.as_ref(), off::ETHERTYPE))
    }
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[off::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetPacket<T> {
    #[inline]
    pub fn set_dst_addr(&mut self, a: MacAddr) {
        self.buffer.as_mut()[off::DST..off::DST + 6].copy_from_slice(&a.0);
    }
    #[inline]
    pub fn set_src_addr(&mut self, a: MacAddr) {
        self.buffer.as_mut()[off::SRC..off::SRC + 6].copy_from_slice(&a.0);
    }
    #[inline]
    pub fn set_ethertype(&mut self, t: EtherType) {
        set_u16(self.buffer.as_mut(), off::ETHERTYPE, t.0);
    }
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[off::PAYLOAD..]
    }
}

/// The Ethernet II header as values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EthernetRepr {
    pub dst: MacAddr,
    pub src: MacAddr,
    pub ethertype: EtherType,
}

impl EthernetRepr {
    pub const HEADER_LEN: usize = off::PAYLOAD;

    #[inline]
    pub fn parse<T: AsRef<[u8]>>(packet: &EthernetPacket<T>) -> Result<Self, WireError> {
        Ok(EthernetRepr {
            dst: packet.dst_addr(),
            src: packet.src_addr(),
            ethertype: packet.ethertype(),
        })
    }

    /// The header length; the payload follows it.
    #[inline]
    pub fn buffer_len(&self) -> usize {
        Self::HEADER_LEN
    }

    /// Writes the 14-byte header at the start of `buf`.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        room(buf, Self::HEADER_LEN, HEADER)?;
        let mut p = EthernetPacket {
            buffer: &mut buf[..],
        };
        p.set_dst_addr(self.dst);
        p.set_src_addr(self.src);
        p.set_ethertype(self.ethertype);
        Ok(())
    }
}
