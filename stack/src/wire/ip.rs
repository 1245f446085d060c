//! The entry point for IP datagrams: bytes that start with an IPv4 or IPv6
//! header, to the IP `Repr` plus the upper layer's, and back.

use super::IpProtocol;
use super::checksum::{ChecksumMode, PseudoHeader};
use super::error::{WireError, room};
use super::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use super::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use super::ipv4::{Ipv4Packet, Ipv4Repr};
use super::ipv6::{Ipv6Packet, Ipv6Repr};
use super::tcp::{TcpPacket, TcpRepr};
use super::udp::{UdpPacket, UdpRepr};
use core::net::IpAddr;

/// The IP header of either version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpRepr<'a> {
    V4(Ipv4Repr),
    V6(Ipv6Repr<'a>),
}

impl IpRepr<'_> {
    #[inline]
    pub fn src_addr(&self) -> IpAddr {
        match self {
            IpRepr::V4(r) => r.src.into(),
            IpRepr::V6(r) => r.src.into(),
        }
    }
    #[inline]
    pub fn dst_addr(&self) -> IpAddr {
        match self {
            IpRepr::V4(r) => r.dst.into(),
            IpRepr::V6(r) => r.dst.into(),
        }
    }
    /// The upper-layer protocol (after any IPv6 extension headers).
    #[inline]
    pub fn protocol(&self) -> IpProtocol {
        match self {
            IpRepr::V4(r) => r.protocol,
            IpRepr::V6(r) => r.next_header,
        }
    }
    #[inline]
    fn set_protocol(&mut self, p: IpProtocol) {
        match self {
            IpRepr::V4(r) => r.protocol = p,
            IpRepr::V6(r) => r.next_header = p,
        }
    }
    #[inline]
    fn set_payload_len(&mut self, len: usize) {
        match self {
            IpRepr::V4(r) => r.payload_len = len,
            IpRepr::V6(r) => r.payload_len = len,
        }
    }
    /// TTL (IPv4) or hop limit (IPv6).
    #[inline]
    pub fn hop_limit(&self) -> u8 {
        match self {
            IpRepr::V4(r) => r.ttl,
            IpRepr::V6(r) => r.hop_limit,
        }
    }
    /// Upper-layer bytes (after the header and any extension headers).
    #[inline]
    pub fn payload_len(&self) -> usize {
        match self {
            IpRepr::V4(r) => r.payload_len,
            IpRepr::V6(r) => r.payload_len,
        }
    }
    /// The IP header, options and extension headers included.
    #[inline]
    pub fn header_len(&self) -> usize {
        match self {
            IpRepr::V4(r) => r.header_len(),
            IpRepr::V6(r) => r.header_len(),
        }
    }
    /// The addresses upper-layer checksums cover. For IPv6 this is the
    /// header's destination: RFC 8200 §8.1 asks for the *final* destination
    /// when a routing header still has segments left, which this codec does
    /// not derive (it reads such packets as their receiver at that hop would).
    #[inline]
    pub fn pseudo_header(&self) -> PseudoHeader {
        match self {
            IpRepr::V4(r) => PseudoHeader::V4 {
                src: r.src,
                dst: r.dst,
            },
            IpRepr::V6(r) => PseudoHeader::V6 {
                src: r.src,
                dst: r.dst,
            },
        }
    }
    /// Whether the payload is a fragment (IPv4 MF/offset, or an IPv6
    /// fragment header with either set), so the upper layer is incomplete.
    #[inline]
    pub fn is_fragment(&self) -> bool {
        match self {
            IpRepr::V4(r) => r.is_fragment(),
            IpRepr::V6(r) => r
                .ext_headers
                .fragment()
                .is_some_and(|f| f.more || f.offset != 0),
        }
    }
    #[inline]
    fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        match self {
            IpRepr::V4(r) => r.emit(buf),
            IpRepr::V6(r) => r.emit(buf),
        }
    }
}

/// What an IP datagram carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UpperRepr<'a> {
    Tcp(TcpRepr<'a>),
    Udp(UdpRepr<'a>),
    Icmpv4(Icmpv4Repr<'a>),
    Icmpv6(Icmpv6Repr<'a>),
    /// Any other protocol, a fragment, or ICMP of the other IP version: the
    /// upper-layer bytes as they are.
    Raw(&'a [u8]),
}

impl UpperRepr<'_> {
    #[inline]
    pub fn buffer_len(&self) -> usize {
        match self {
            UpperRepr::Tcp(r) => r.buffer_len(),
            UpperRepr::Udp(r) => r.buffer_len(),
            UpperRepr::Icmpv4(r) => r.buffer_len(),
            UpperRepr::Icmpv6(r) => r.buffer_len(),
            UpperRepr::Raw(b) => b.len(),
        }
    }
    /// The protocol number this layer needs in the IP header (`None` for raw).
    #[inline]
    pub fn protocol(&self) -> Option<IpProtocol> {
        match self {
            UpperRepr::Tcp(_) => Some(IpProtocol::TCP),
            UpperRepr::Udp(_) => Some(IpProtocol::UDP),
            UpperRepr::Icmpv4(_) => Some(IpProtocol::ICMP),
            UpperRepr::Icmpv6(_) => Some(IpProtocol::ICMPV6),
            UpperRepr::Raw(_) => None,
        }
    }
}

/// An IP datagram: header and upper layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpDatagram<'a> {
    pub ip: IpRepr<'a>,
    pub upper: UpperRepr<'a>,
}

impl<'a> IpDatagram<'a> {
    /// Parses `bytes` (an IPv4 or IPv6 header first; trailing bytes past the
    /// IP length are ignored). TCP, UDP, ICMPv4 (in IPv4) and ICMPv6 (in
    /// IPv6) are decoded unless the datagram is a fragment; anything else is
    /// [`UpperRepr::Raw`]. Checksums are verified and reported per `mode`.
    #[inline]
    pub fn parse(bytes: &'a [u8], mode: ChecksumMode) -> Result<Self, WireError> {
        let (ip, payload): (IpRepr<'a>, &'a [u8]) = match bytes.first().map(|b| b >> 4) {
            Some(4) => {
                let packet = Ipv4Packet::new_checked(bytes)?;
                let repr = Ipv4Repr::parse(&packet, mode)?;
                let hl = packet.header_len();
                (IpRepr::V4(repr), &bytes[hl..hl + repr.payload_len])
            }
            Some(6) => {
                let packet = Ipv6Packet::new_checked(bytes)?;
                let repr = Ipv6Repr::parse(&packet)?;
                let start = repr.header_len();
                (IpRepr::V6(repr), &bytes[start..start + repr.payload_len])
            }
            Some(v) => {
                return Err(WireError::bad_value(
                    "IP",
                    "version",
                    v.into(),
                    "must be 4 or 6",
                ));
            }
            None => return Err(WireError::truncated("IP", "version", 1, 0)),
        };
        let upper = Self::parse_upper(&ip, payload, mode)?;
        Ok(IpDatagram { ip, upper })
    }

    #[inline]
    fn parse_upper(
        ip: &IpRepr<'a>,
        payload: &'a [u8],
        mode: ChecksumMode,
    ) -> Result<UpperRepr<'a>, WireError> {
        if ip.is_fragment() {
            return Ok(UpperRepr::Raw(payload));
        }
        let pseudo = ip.pseudo_header();
        Ok(match (ip.protocol(), ip) {
            (IpProtocol::TCP, _) => UpperRepr::Tcp(TcpRepr::parse(
                &TcpPacket::new_checked(payload)?,
                &pseudo,
                mode,
            )?),
            (IpProtocol::UDP, _) => UpperRepr::Udp(UdpRepr::parse(
                &UdpPacket::new_checked(payload)?,
                &pseudo,
                mode,
            )?),
            (IpProtocol::ICMP, IpRepr::V4(_)) => UpperRepr::Icmpv4(Icmpv4Repr::parse(
                &Icmpv4Packet::new_checked(payload)?,
                mode,
            )?),
            (IpProtocol::ICMPV6, IpRepr::V6(_)) => UpperRepr::Icmpv6(Icmpv6Repr::parse(
                &Icmpv6Packet::new_checked(payload)?,
                &pseudo,
                mode,
            )?),
            _ => UpperRepr::Raw(payload),
        })
    }

    /// The upper layer as TCP, if it is.
    #[inline]
    pub fn tcp(&self) -> Option<&TcpRepr<'a>> {
        match &self.upper {
            UpperRepr::Tcp(t) => Some(t),
            _ => None,
        }
    }

    /// The IP header with the protocol and payload length `emit` writes: the
    /// protocol of a typed upper layer (kept as is for raw) and its length.
    #[inline]
    pub fn ip_for_emit(&self) -> IpRepr<'a> {
        let mut ip = self.ip;
        if let Some(p) = self.upper.protocol() {
            ip.set_protocol(p);
        }
        ip.set_payload_len(self.upper.buffer_len());
        ip
    }

    #[inline]
    pub fn buffer_len(&self) -> usize {
        self.ip.header_len() + self.upper.buffer_len()
    }

    /// Writes the datagram at the start of `buf`; returns its length. The IP
    /// header's protocol and lengths come from the upper layer (see
    /// [`ip_for_emit`](Self::ip_for_emit)); checksums are computed unless a
    /// `Repr` asks for a given value.
    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize, WireError> {
        let len = self.buffer_len();
        room(buf, len, "IP")?;
        let ip = self.ip_for_emit();
        ip.emit(buf)?;
        let pseudo = ip.pseudo_header();
        let upper = &mut buf[ip.header_len()..len];
        match &self.upper {
            UpperRepr::Tcp(r) => r.emit(upper, &pseudo)?,
            UpperRepr::Udp(r) => r.emit(upper, &pseudo)?,
            UpperRepr::Icmpv4(r) => r.emit(upper)?,
            UpperRepr::Icmpv6(r) => r.emit(upper, &pseudo)?,
            UpperRepr::Raw(b) => upper.copy_from_slice(b),
        }
        Ok(len)
    }

    /// The datagram as a new vector.
    #[inline]
    pub fn to_bytes(&self) -> Result<Vec<u8>, WireError> {
        let mut out = vec![0; self.buffer_len()];
        self.emit(&mut out)?;
        Ok(out)
    }
}
