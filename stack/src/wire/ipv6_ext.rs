//! IPv6 extension headers (RFC 8200 §4): the chain between the fixed header
//! and the upper layer, walked to find the upper-layer protocol. Hop-by-hop,
//! routing, fragment and destination options headers are decoded; an
//! authentication header (RFC 4302) is skipped by its length. ESP and
//! "no next header" end the chain (their contents are the payload).

use super::IpProtocol;
use super::error::{WireError, need};
use super::field::{u16_at, u32_at};

const HEADER: &str = "IPv6 extension header";

/// Whether `nh` names a header this codec walks through.
#[inline]
fn is_extension(nh: IpProtocol) -> bool {
    matches!(
        nh,
        IpProtocol::HOP_BY_HOP
            | IpProtocol::ROUTING
            | IpProtocol::FRAGMENT
            | IpProtocol::DEST_OPTIONS
            | IpProtocol::AH
    )
}

/// The length of the extension header `nh` at the start of `b`.
fn header_len(nh: IpProtocol, b: &[u8]) -> Result<usize, WireError> {
    need(b, 2, HEADER, "length")?;
    let len = match nh {
        // RFC 8200 §4.5: fixed 8 bytes.
        IpProtocol::FRAGMENT => 8,
        // RFC 4302 §2.2: length in 4-byte words, minus 2.
        IpProtocol::AH => (usize::from(b[1]) + 2) * 4,
        // RFC 8200 §4.3, §4.4, §4.6: length in 8-byte units, not counting the first.
        _ => (usize::from(b[1]) + 1) * 8,
    };
    need(b, len, HEADER, "length")?;
    Ok(len)
}

/// Walks the chain that starts with `first` at the start of `payload`; returns
/// the upper-layer protocol and the chain's length in bytes.
#[inline]
pub(crate) fn walk(first: IpProtocol, payload: &[u8]) -> Result<(IpProtocol, usize), WireError> {
    let mut nh = first;
    let mut at = 0;
    while is_extension(nh) {
        let rest = &payload[at..];
        let len = header_len(nh, rest)?;
        nh = IpProtocol(rest[0]);
        at += len;
    }
    Ok((nh, at))
}

/// A fragment header's fields (RFC 8200 §4.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ipv6Fragment {
    /// Offset in 8-byte units, as on the wire.
    pub offset: u16,
    pub more: bool,
    pub ident: u32,
}

/// One extension header, as the iterator decodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ipv6ExtHeader<'a> {
    /// Options (TLV-encoded, RFC 8200 §4.2), after the 2-byte header.
    HopByHop {
        options: &'a [u8],
    },
    /// Routing type and segments left, then the type-specific data.
    Routing {
        routing_type: u8,
        segments_left: u8,
        data: &'a [u8],
    },
    Fragment(Ipv6Fragment),
    DestOptions {
        options: &'a [u8],
    },
    /// Authentication header: everything after next-header and length.
    Auth {
        data: &'a [u8],
    },
}

impl Ipv6ExtHeader<'_> {
    /// The protocol number that announces this header.
    #[inline]
    pub fn protocol(&self) -> IpProtocol {
        match self {
            Ipv6ExtHeader::HopByHop { .. } => IpProtocol::HOP_BY_HOP,
            Ipv6ExtHeader::Routing { .. } => IpProtocol::ROUTING,
            Ipv6ExtHeader::Fragment(_) => IpProtocol::FRAGMENT,
            Ipv6ExtHeader::DestOptions { .. } => IpProtocol::DEST_OPTIONS,
            Ipv6ExtHeader::Auth { .. } => IpProtocol::AH,
        }
    }

    fn decode(nh: IpProtocol, h: &[u8]) -> Ipv6ExtHeader<'_> {
        match nh {
            IpProtocol::HOP_BY_HOP => Ipv6ExtHeader::HopByHop { options: &h[2..] },
            IpProtocol::ROUTING => Ipv6ExtHeader::Routing {
                routing_type: h[2],
                segments_left: h[3],
                data: &h[4..],
            },
            IpProtocol::FRAGMENT => {
                let word = u16_at(h, 2);
                Ipv6ExtHeader::Fragment(Ipv6Fragment {
                    offset: word >> 3,
                    more: word & 1 != 0,
                    ident: u32_at(h, 4),
                })
            }
            IpProtocol::DEST_OPTIONS => Ipv6ExtHeader::DestOptions { options: &h[2..] },
            _ => Ipv6ExtHeader::Auth { data: &h[2..] },
        }
    }

    /// Encodes the chain `headers` followed by `upper`: returns the protocol
    /// of the first header (for the fixed header) and the bytes. Option and
    /// data lengths must already fill the header's unit (8 bytes; 4 for AH).
    pub fn encode_chain(
        headers: &[Ipv6ExtHeader<'_>],
        upper: IpProtocol,
    ) -> Result<(IpProtocol, Vec<u8>), WireError> {
        let mut out = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            let next = headers.get(i + 1).map_or(upper, Ipv6ExtHeader::protocol);
            let start = out.len();
            out.extend_from_slice(&[next.0, 0]);
            let (unit, minus) = match *h {
                Ipv6ExtHeader::HopByHop { options } | Ipv6ExtHeader::DestOptions { options } => {
                    out.extend_from_slice(options);
                    (8, 1)
                }
                Ipv6ExtHeader::Routing {
                    routing_type,
                    segments_left,
                    data,
                } => {
                    out.extend_from_slice(&[routing_type, segments_left]);
                    out.extend_from_slice(data);
                    (8, 1)
                }
                Ipv6ExtHeader::Fragment(f) => {
                    if f.offset > 0x1fff {
                        return Err(WireError::bad_value(
                            HEADER,
                            "fragment offset",
                            f.offset.into(),
                            "13 bits",
                        ));
                    }
                    let word = (f.offset << 3) | u16::from(f.more);
                    out.extend_from_slice(&word.to_be_bytes());
                    out.extend_from_slice(&f.ident.to_be_bytes());
                    out[start + 1] = 0; // reserved byte
                    continue;
                }
                Ipv6ExtHeader::Auth { data } => {
                    out.extend_from_slice(data);
                    (4, 2)
                }
            };
            let len = out.len() - start;
            let units = len / unit;
            if len % unit != 0 || units < minus || units - minus > 255 {
                return Err(WireError::bad_value(
                    HEADER,
                    "length",
                    len as u64,
                    "does not fill whole units",
                ));
            }
            out[start + 1] = (units - minus) as u8;
        }
        let first = headers.first().map_or(upper, Ipv6ExtHeader::protocol);
        Ok((first, out))
    }
}

/// The raw extension-header chain of an IPv6 packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Ipv6ExtHeaders<'a> {
    first: Option<IpProtocol>,
    bytes: &'a [u8],
}

impl<'a> Ipv6ExtHeaders<'a> {
    pub const NONE: Ipv6ExtHeaders<'static> = Ipv6ExtHeaders {
        first: None,
        bytes: &[],
    };

    /// A chain of bytes whose first header is `first`; checks that it walks
    /// to exactly its end. The last header's next-header byte is overwritten
    /// with the upper-layer protocol when emitted.
    #[inline]
    pub fn new(first: IpProtocol, bytes: &'a [u8]) -> Result<Self, WireError> {
        if bytes.is_empty() {
            return Ok(Ipv6ExtHeaders { first: None, bytes });
        }
        if !is_extension(first) {
            return Err(WireError::bad_value(
                HEADER,
                "next header",
                first.0.into(),
                "not an extension header",
            ));
        }
        let mut nh = first;
        let mut at = 0;
        while at < bytes.len() {
            if !is_extension(nh) {
                return Err(WireError::bad_value(
                    HEADER,
                    "next header",
                    nh.0.into(),
                    "chain ends before its bytes do",
                ));
            }
            let rest = &bytes[at..];
            at += header_len(nh, rest)?;
            nh = IpProtocol(rest[0]);
        }
        Ok(Ipv6ExtHeaders {
            first: Some(first),
            bytes,
        })
    }

    /// The protocol of the first extension header, if there is one.
    #[inline]
    pub fn first(&self) -> Option<IpProtocol> {
        self.first
    }
    #[inline]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
    #[inline]
    pub fn len(&self) -> usize {
        self.bytes.len()
    }
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The headers in order.
    #[inline]
    pub fn iter(&self) -> Ipv6ExtIter<'a> {
        Ipv6ExtIter {
            nh: self.first,
            rest: self.bytes,
        }
    }

    /// The first fragment header, if any.
    #[inline]
    pub fn fragment(&self) -> Option<Ipv6Fragment> {
        self.iter().find_map(|h| match h {
            Ipv6ExtHeader::Fragment(f) => Some(f),
            _ => None,
        })
    }

    /// The offset of the last header's next-header byte in the chain.
    #[inline]
    pub(crate) fn last_next_header_offset(&self) -> Option<usize> {
        let mut nh = self.first?;
        let mut at = 0;
        let mut last = None;
        while at < self.bytes.len() {
            let rest = &self.bytes[at..];
            let len = header_len(nh, rest).ok()?;
            last = Some(at);
            nh = IpProtocol(rest[0]);
            at += len;
        }
        last
    }
}

/// Iterates over an [`Ipv6ExtHeaders`] chain.
#[derive(Clone, Debug)]
pub struct Ipv6ExtIter<'a> {
    nh: Option<IpProtocol>,
    rest: &'a [u8],
}

impl<'a> Iterator for Ipv6ExtIter<'a> {
    type Item = Ipv6ExtHeader<'a>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let nh = self.nh?;
        if self.rest.is_empty() || !is_extension(nh) {
            return None;
        }
        // The chain was validated when built, so the length is in bounds.
        let len = header_len(nh, self.rest).ok()?;
        let (h, rest) = self.rest.split_at(len);
        self.rest = rest;
        self.nh = Some(IpProtocol(h[0]));
        Some(Ipv6ExtHeader::decode(nh, h))
    }
}
