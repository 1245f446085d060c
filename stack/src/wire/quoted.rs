//! The datagram an ICMP error quotes: its IP header and the first bytes of
//! its upper layer (RFC 792: "Internet Header + 64 bits of Original Data
//! Datagram"; RFC 4443 §2.4(c): as much as fits). The quote is cut short,
//! so the usual length checks of the full views do not apply; this reads
//! only what an ICMP error handler needs to find the socket.

use super::IpProtocol;
use super::error::{WireError, need};
use super::field::{array, u16_at, u32_at};
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const HEADER: &str = "quoted datagram";

/// What an ICMP error says about the datagram that caused it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QuotedDatagram {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: IpProtocol,
    /// The first two 16-bit words of the upper layer: ports for TCP and UDP.
    pub src_port: u16,
    pub dst_port: u16,
    /// The next 32 bits: the sequence number for TCP.
    pub seq: u32,
}

impl QuotedDatagram {
    /// Reads a quoted IPv4 or IPv6 datagram; needs the IP header and 8 bytes
    /// of the upper layer. IPv6 extension headers are not walked: a quote
    /// whose next header is not the upper layer reports that header as the
    /// protocol.
    pub fn parse(b: &[u8]) -> Result<Self, WireError> {
        need(b, 1, HEADER, "version")?;
        let (src, dst, protocol, upper) = match b[0] >> 4 {
            4 => {
                need(b, 20, HEADER, "IPv4 header")?;
                let ihl = usize::from(b[0] & 0x0f) * 4;
                if ihl < 20 {
                    return Err(WireError::bad_value(
                        HEADER,
                        "IHL",
                        (ihl / 4) as u64,
                        "below the minimum of 5 words",
                    ));
                }
                need(b, ihl, HEADER, "IHL")?;
                let src = Ipv4Addr::from(array::<4>(b, 12));
                let dst = Ipv4Addr::from(array::<4>(b, 16));
                (IpAddr::V4(src), IpAddr::V4(dst), IpProtocol(b[9]), ihl)
            }
            6 => {
                need(b, 40, HEADER, "IPv6 header")?;
                let src = Ipv6Addr::from(array::<16>(b, 8));
                let dst = Ipv6Addr::from(array::<16>(b, 24));
                (IpAddr::V6(src), IpAddr::V6(dst), IpProtocol(b[6]), 40)
            }
            v => {
                return Err(WireError::bad_value(
                    HEADER,
                    "version",
                    v.into(),
                    "must be 4 or 6",
                ));
            }
        };
        need(b, upper + 8, HEADER, "upper-layer bytes")?;
        Ok(QuotedDatagram {
            src,
            dst,
            protocol,
            src_port: u16_at(b, upper),
            dst_port: u16_at(b, upper + 2),
            seq: u32_at(b, upper + 4),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_cut_ipv4_quote_and_rejects_short_ones() {
        let mut b = vec![0x45, 0, 0x05, 0xdc, 0, 0, 0x40, 0, 64, 17, 0, 0];
        b.extend_from_slice(&[192, 168, 0, 1, 192, 0, 2, 1]);
        b.extend_from_slice(&[0x1f, 0x90, 0x00, 0x35, 0, 0, 0, 9]);
        let q = QuotedDatagram::parse(&b).unwrap();
        assert_eq!(q.src, IpAddr::V4(Ipv4Addr::new(192, 168, 0, 1)));
        assert_eq!(q.dst, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)));
        assert_eq!(q.protocol, IpProtocol::UDP);
        assert_eq!((q.src_port, q.dst_port, q.seq), (8080, 53, 9));
        for cut in 0..b.len() {
            assert!(QuotedDatagram::parse(&b[..cut]).is_err(), "{cut}");
        }
        b[0] = 0x44;
        assert!(QuotedDatagram::parse(&b).is_err());
    }

    #[test]
    fn reads_an_ipv6_quote() {
        let mut b = vec![0x60, 0, 0, 0, 0, 8, 6, 64];
        b.extend_from_slice(&[0xfd; 16]);
        b.extend_from_slice(&[0x20; 16]);
        b.extend_from_slice(&[0, 80, 1, 0, 0, 0, 1, 0]);
        let q = QuotedDatagram::parse(&b).unwrap();
        assert_eq!(q.protocol, IpProtocol::TCP);
        assert_eq!((q.src_port, q.dst_port, q.seq), (80, 256, 256));
        assert!(QuotedDatagram::parse(&b[..47]).is_err());
    }
}
