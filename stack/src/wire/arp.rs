//! ARP (RFC 826) for Ethernet and IPv4, the only pairing this codec accepts.

use super::error::{WireError, need, room};
use super::ethernet::MacAddr;
use super::field::{array, set_u16, u16_at};
use core::net::Ipv4Addr;

const HEADER: &str = "ARP";

mod off {
    pub const HTYPE: usize = 0;
    pub const PTYPE: usize = 2;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: usize = 6;
    pub const SHA: usize = 8;
    pub const SPA: usize = 14;
    pub const THA: usize = 18;
    pub const TPA: usize = 24;
    pub const END: usize = 28;
}

const HTYPE_ETHERNET: u16 = 1;
const PTYPE_IPV4: u16 = 0x0800;

/// The ARP operation code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArpOperation(pub u16);

impl ArpOperation {
    pub const REQUEST: ArpOperation = ArpOperation(1);
    pub const REPLY: ArpOperation = ArpOperation(2);
}

/// A zero-copy view of an ARP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = ArpPacket { buffer };
        p.check_len()?;
        Ok(p)
    }

    /// Fails unless the buffer holds the 28 bytes of an Ethernet/IPv4 ARP packet.
    #[inline]
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref(), off::END, HEADER, "packet")
    }

    #[inline]
    pub fn hardware_type(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::HTYPE)
    }
    #[inline]
    pub fn protocol_type(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::PTYPE)
    }
    #[inline]
    pub fn hardware_len(&self) -> u8 {
        self.buffer.as_ref()[off::HLEN]
    }
    #[inline]
    pub fn protocol_len(&self) -> u8 {
        self.buffer.as_ref()[off::PLEN]
    }
    #[inline]
    pub fn operation(&self) -> ArpOperation {
        ArpOperation(u16_at(self.buffer.as_ref(), off::OPER))
    }
    #[inline]
    pub fn sender_mac(&self) -> MacAddr {
        MacAddr(array(self.buffer.as_ref(), off::SHA))
    }
    #[inline]
    pub fn sender_ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(array::<4>(self.buffer.as_ref(), off::SPA))
    }
    #[inline]
    pub fn target_mac(&self) -> MacAddr {
        MacAddr(array(self.buffer.as_ref(), off::THA))
    }
    #[inline]
    pub fn target_ip(&self) -> Ipv4Addr {
        Ipv4Addr::from(array::<4>(self.buffer.as_ref(), off::TPA))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    #[inline]
    fn set_fixed(&mut self) {
        let b = self.buffer.as_mut();
        set_u16(b, off::HTYPE, HTYPE_ETHERNET);
        set_u16(b, off::PTYPE, PTYPE_IPV4);
        b[off::HLEN] = 6;
        b[off::PLEN] = 4;
    }
    #[inline]
    pub fn set_operation(&mut self, op: ArpOperation) {
        set_u16(self.buffer.as_mut(), off::OPER, op.0);
    }
    #[inline]
    pub fn set_sender(&mut self, mac: MacAddr, ip: Ipv4Addr) {
        let b = self.buffer.as_mut();
        b[off::SHA..off::SHA + 6].copy_from_slice(&mac.0);
        b[off::SPA..off::SPA + 4].copy_from_slice(&ip.octets());
    }
    #[inline]
    pub fn set_target(&mut self, mac: MacAddr, ip: Ipv4Addr) {
        let b = self.buffer.as_mut();
        b[off::THA..off::THA + 6].copy_from_slice(&mac.0);
        b[off::TPA..off::TPA + 4].copy_from_slice(&ip.octets());
    }
}

/// An Ethernet/IPv4 ARP packet as values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArpRepr {
    pub operation: ArpOperation,
    pub sender_mac: MacAddr,
    pub sender_ip: Ipv4Addr,
    pub target_mac: MacAddr,
    pub target_ip: Ipv4Addr,
}

impl ArpRepr {
    pub const BUFFER_LEN: usize = off::END;

    /// Accepts Ethernet (1) / IPv4 (0x0800) with lengths 6 and 4 only.
    #[inline]
    pub fn parse<T: AsRef<[u8]>>(packet: &ArpPacket<T>) -> Result<Self, WireError> {
        let bad =
            |field, value: u64, reason| Err(WireError::bad_value(HEADER, field, value, reason));
        if packet.hardware_type() != HTYPE_ETHERNET {
            return bad(
                "hardware type",
                packet.hardware_type().into(),
                "only Ethernet (1) is supported",
            );
        }
        if packet.protocol_type() != PTYPE_IPV4 {
            return bad(
                "protocol type",
                packet.protocol_type().into(),
                "only IPv4 (0x0800) is supported",
            );
        }
        if packet.hardware_len() != 6 {
            return bad(
                "hardware length",
                packet.hardware_len().into(),
                "Ethernet addresses are 6 bytes",
            );
        }
        if packet.protocol_len() != 4 {
            return bad(
                "protocol length",
                packet.protocol_len().into(),
                "IPv4 addresses are 4 bytes",
            );
        }
        Ok(ArpRepr {
            operation: packet.operation(),
            sender_mac: packet.sender_mac(),
            sender_ip: packet.sender_ip(),
            target_mac: packet.target_mac(),
            target_ip: packet.target_ip(),
        })
    }

    #[inline]
    pub fn buffer_len(&self) -> usize {
        Self::BUFFER_LEN
    }

    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        room(buf, Self::BUFFER_LEN, HEADER)?;
        let mut p = ArpPacket {
            buffer: &mut buf[..],
        };
        p.set_fixed();
        p.set_operation(self.operation);
        p.set_sender(self.sender_mac, self.sender_ip);
        p.set_target(self.target_mac, self.target_ip);
        Ok(())
    }
}
