//! The entry point for Ethernet frames: the Ethernet header, then ARP, an IP
//! datagram, or raw bytes for any other EtherType.

use super::arp::{ArpPacket, ArpRepr};
use super::checksum::ChecksumMode;
use super::error::{WireError, room};
use super::ethernet::{EtherType, EthernetPacket, EthernetRepr};
use super::ip::{IpDatagram, IpRepr};

/// What an Ethernet frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FramePayload<'a> {
    Arp(ArpRepr),
    Ip(IpDatagram<'a>),
    /// Any other EtherType: the payload bytes as they are.
    Raw(&'a [u8]),
}

/// An Ethernet II frame, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EthernetFrame<'a> {
    pub ethernet: EthernetRepr,
    pub payload: FramePayload<'a>,
}

impl<'a> EthernetFrame<'a> {
    /// Parses a frame (no FCS). EtherType 0x0806 is ARP, 0x0800 IPv4 and
    /// 0x86DD IPv6 (the IP version must match the EtherType); trailing
    /// padding after ARP or the IP length is ignored.
    #[inline]
    pub fn parse(bytes: &'a [u8], mode: ChecksumMode) -> Result<Self, WireError> {
        let packet = EthernetPacket::new_checked(bytes)?;
        let ethernet = EthernetRepr::parse(&packet)?;
        let payload = &bytes[EthernetRepr::HEADER_LEN..];
        let payload = match ethernet.ethertype {
            EtherType::ARP => FramePayload::Arp(ArpRepr::parse(&ArpPacket::new_checked(payload)?)?),
            EtherType::IPV4 | EtherType::IPV6 => {
                let datagram = IpDatagram::parse(payload, mode)?;
                let matches = matches!(
                    (ethernet.ethertype, &datagram.ip),
                    (EtherType::IPV4, IpRepr::V4(_)) | (EtherType::IPV6, IpRepr::V6(_))
                );
                if !matches {
                    let version = payload.first().map_or(0, |b| b >> 4);
                    return Err(WireError::bad_value(
                        "IP",
                        "version",
                        version.into(),
                        "does not match the EtherType",
                    ));
                }
                FramePayload::Ip(datagram)
            }
            _ => FramePayload::Raw(payload),
        };
        Ok(EthernetFrame { ethernet, payload })
    }

    #[inline]
    pub fn buffer_len(&self) -> usize {
        EthernetRepr::HEADER_LEN
            + match &self.payload {
                FramePayload::Arp(a) => a.buffer_len(),
                FramePayload::Ip(d) => d.buffer_len(),
                FramePayload::Raw(b) => b.len(),
            }
    }

    /// Writes the frame (without padding to 60 bytes or an FCS) at the start
    /// of `buf`; returns its length. The EtherType written is the one in
    /// `ethernet`, as given.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let len = self.buffer_len();
        room(buf, len, "Ethernet")?;
        self.ethernet.emit(buf)?;
        let rest = &mut buf[EthernetRepr::HEADER_LEN..len];
        match &self.payload {
            FramePayload::Arp(a) => a.emit(rest)?,
            FramePayload::Ip(d) => {
                d.emit(rest)?;
            }
            FramePayload::Raw(b) => rest.copy_from_slice(b),
        }
        Ok(len)
    }

    #[inline]
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let mut out = vec![0; self.buffer_len()];
        self.emit(&mut out)?;
        Ok(out)
    }
}
