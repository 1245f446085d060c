//! ICMPv6 (RFC 4443): echo, destination unreachable, packet too big, time
//! exceeded; neighbour solicitation and advertisement (RFC 4861 §4.3, §4.4)
//! with the link-layer address option. The checksum covers the IPv6
//! pseudo-header (RFC 4443 §2.3). Other types are kept raw.

use super::IpProtocol;
use super::checksum::{self, Checksum, ChecksumMode, PseudoHeader};
use super::error::{WireError, need, room};
use super::ethernet::MacAddr;
use super::field::{array, set_u16, u16_at};
use core::net::Ipv6Addr;

const HEADER: &str = "ICMPv6";

mod off {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    pub const REST: usize = 4;
    pub const DATA: usize = 8;
    /// Neighbour discovery: the target address, then options.
    pub const ND_TARGET: usize = 8;
    pub const ND_OPTIONS: usize = 24;
}

pub const HEADER_LEN: usize = off::DATA;

mod msg_type {
    pub const DST_UNREACHABLE: u8 = 1;
    pub const PACKET_TOO_BIG: u8 = 2;
    pub const TIME_EXCEEDED: u8 = 3;
    pub const ECHO_REQUEST: u8 = 128;
    pub const ECHO_REPLY: u8 = 129;
    pub const NEIGHBOR_SOLICIT: u8 = 135;
    pub const NEIGHBOR_ADVERT: u8 = 136;
}

/// RFC 4861 §4.6.1 option types.
const OPT_SOURCE_LLADDR: u8 = 1;
const OPT_TARGET_LLADDR: u8 = 2;

const NA_ROUTER: u8 = 0x80;
const NA_SOLICITED: u8 = 0x40;
const NA_OVERRIDE: u8 = 0x20;

/// A zero-copy view of an ICMPv6 message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Icmpv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Icmpv6Packet { buffer };
        p.check_len()?;
        Ok(p)
    }
    /// Fails unless the 8-byte header is there.
    #[inline]
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref(), HEADER_LEN, HEADER, "header")
    }
    pub fn into_inner(self) -> T {
        self.buffer
    }
    #[inline]
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[off::TYPE]
    }
    #[inline]
    pub fn code(&self) -> u8 {
        self.buffer.as_ref()[off::CODE]
    }
    #[inline]
    pub fn checksum(&self) -> u16 {
        u16_at(self.buffer.as_ref(), off::CHECKSUM)
    }
    #[inline]
    pub fn rest_of_header(&self) -> [u8; 4] {
        array(self.buffer.as_ref(), off::REST)
    }
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[off::DATA..]
    }
    #[inline]
    pub fn verify_checksum(&self, pseudo: &PseudoHeader) -> Checksum {
        let b = self.buffer.as_ref();
        let sum = pseudo.sum(IpProtocol::ICMPV6.0, b.len()).add_bytes(b);
        checksum::verdict(sum, self.checksum())
    }
}

/// The message, by type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Icmpv6Message<'a> {
    EchoRequest {
        ident: u16,
        seq_no: u16,
        data: &'a [u8],
    },
    EchoReply {
        ident: u16,
        seq_no: u16,
        data: &'a [u8],
    },
    DstUnreachable {
        code: u8,
        quoted: &'a [u8],
    },
    PacketTooBig {
        mtu: u32,
        quoted: &'a [u8],
    },
    TimeExceeded {
        code: u8,
        quoted: &'a [u8],
    },
    /// `lladdr` is the source link-layer address option, if present (other
    /// options are not kept).
    NeighborSolicit {
        target: Ipv6Addr,
        lladdr: Option<MacAddr>,
    },
    /// `lladdr` is the target link-layer address option, if present.
    NeighborAdvert {
        router: bool,
        solicited: bool,
        override_: bool,
        target: Ipv6Addr,
        lladdr: Option<MacAddr>,
    },
    /// Any other type (or a known type with a code it does not define).
    Other {
        msg_type: u8,
        code: u8,
        rest_of_header: [u8; 4],
        data: &'a [u8],
    },
}

/// An ICMPv6 message as values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Icmpv6Repr<'a> {
    pub message: Icmpv6Message<'a>,
    pub checksum: Checksum,
}

/// The first link-layer address option of `want` type in NDP `options`.
/// RFC 4861 §4.6: an option of length zero makes the packet invalid.
fn find_lladdr(options: &[u8], want: u8) -> Result<Option<MacAddr>, WireError> {
    let mut rest = options;
    let mut found = None;
    while !rest.is_empty() {
        need(rest, 2, HEADER, "NDP option")?;
        let len = usize::from(rest[1]) * 8;
        if len == 0 {
            return Err(WireError::bad_value(
                HEADER,
                "NDP option length",
                0,
                "must not be zero (RFC 4861 §4.6)",
            ));
        }
        need(rest, len, HEADER, "NDP option length")?;
        if rest[0] == want && len == 8 && found.is_none() {
            found = Some(MacAddr(array(rest, 2)));
        }
        rest = &rest[len..];
    }
    Ok(found)
}

impl<'a> Icmpv6Repr<'a> {
    #[inline]
    pub fn parse(
        packet: &Icmpv6Packet<&'a [u8]>,
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
        let data = &buffer[off::DATA..];
        let rest = packet.rest_of_header();
        let word = u32::from_be_bytes(rest);
        let (hi, lo) = ((word >> 16) as u16, word as u16);
        let code = packet.code();
        let message = match (packet.msg_type(), code) {
            (msg_type::ECHO_REQUEST, 0) => Icmpv6Message::EchoRequest {
                ident: hi,
                seq_no: lo,
                data,
            },
            (msg_type::ECHO_REPLY, 0) => Icmpv6Message::EchoReply {
                ident: hi,
                seq_no: lo,
                data,
            },
            (msg_type::DST_UNREACHABLE, _) if word == 0 => {
                Icmpv6Message::DstUnreachable { code, quoted: data }
            }
            (msg_type::PACKET_TOO_BIG, 0) => Icmpv6Message::PacketTooBig {
                mtu: word,
                quoted: data,
            },
            (msg_type::TIME_EXCEEDED, 0 | 1) if word == 0 => {
                Icmpv6Message::TimeExceeded { code, quoted: data }
            }
            // RFC 4861 §7.1.1: code 0, at least 24 bytes.
            (msg_type::NEIGHBOR_SOLICIT, 0) if buffer.len() >= off::ND_OPTIONS && word == 0 => {
                Icmpv6Message::NeighborSolicit {
                    target: Ipv6Addr::from(array::<16>(buffer, off::ND_TARGET)),
                    lladdr: find_lladdr(&buffer[off::ND_OPTIONS..], OPT_SOURCE_LLADDR)?,
                }
            }
            (msg_type::NEIGHBOR_ADVERT, 0)
                if buffer.len() >= off::ND_OPTIONS && word & 0x1fff_ffff == 0 =>
            {
                Icmpv6Message::NeighborAdvert {
                    router: rest[0] & NA_ROUTER != 0,
                    solicited: rest[0] & NA_SOLICITED != 0,
                    override_: rest[0] & NA_OVERRIDE != 0,
                    target: Ipv6Addr::from(array::<16>(buffer, off::ND_TARGET)),
                    lladdr: find_lladdr(&buffer[off::ND_OPTIONS..], OPT_TARGET_LLADDR)?,
                }
            }
            (msg_type, code) => Icmpv6Message::Other {
                msg_type,
                code,
                rest_of_header: rest,
                data,
            },
        };
        Ok(Icmpv6Repr { message, checksum })
    }

    #[inline]
    pub fn buffer_len(&self) -> usize {
        let lla = |l: &Option<MacAddr>| if l.is_some() { 8 } else { 0 };
        match &self.message {
            Icmpv6Message::EchoRequest { data, .. }
            | Icmpv6Message::EchoReply { data, .. }
            | Icmpv6Message::DstUnreachable { quoted: data, .. }
            | Icmpv6Message::PacketTooBig { quoted: data, .. }
            | Icmpv6Message::TimeExceeded { quoted: data, .. }
            | Icmpv6Message::Other { data, .. } => HEADER_LEN + data.len(),
            Icmpv6Message::NeighborSolicit { lladdr, .. }
            | Icmpv6Message::NeighborAdvert { lladdr, .. } => off::ND_OPTIONS + lla(lladdr),
        }
    }

    /// Writes the message at the start of `buf`, checksummed over `pseudo`.
    #[inline]
    pub fn emit(&self, buf: &mut [u8], pseudo: &PseudoHeader) -> Result<(), WireError> {
        let len = self.buffer_len();
        room(buf, len, HEADER)?;
        let buf = &mut buf[..len];
        let nd = |buf: &mut [u8], target: Ipv6Addr, opt: u8, lladdr: Option<MacAddr>| {
            buf[off::ND_TARGET..off::ND_OPTIONS].copy_from_slice(&target.octets());
            if let Some(mac) = lladdr {
                buf[off::ND_OPTIONS] = opt;
                buf[off::ND_OPTIONS + 1] = 1;
                buf[off::ND_OPTIONS + 2..off::ND_OPTIONS + 8].copy_from_slice(&mac.0);
            }
        };
        let (t, code, rest) = match self.message {
            Icmpv6Message::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                buf[off::DATA..].copy_from_slice(data);
                (
                    msg_type::ECHO_REQUEST,
                    0,
                    (u32::from(ident) << 16) | u32::from(seq_no),
                )
            }
            Icmpv6Message::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                buf[off::DATA..].copy_from_slice(data);
                (
                    msg_type::ECHO_REPLY,
                    0,
                    (u32::from(ident) << 16) | u32::from(seq_no),
                )
            }
            Icmpv6Message::DstUnreachable { code, quoted } => {
                buf[off::DATA..].copy_from_slice(quoted);
                (msg_type::DST_UNREACHABLE, code, 0)
            }
            Icmpv6Message::PacketTooBig { mtu, quoted } => {
                buf[off::DATA..].copy_from_slice(quoted);
                (msg_type::PACKET_TOO_BIG, 0, mtu)
            }
            Icmpv6Message::TimeExceeded { code, quoted } => {
                buf[off::DATA..].copy_from_slice(quoted);
                (msg_type::TIME_EXCEEDED, code, 0)
            }
            Icmpv6Message::NeighborSolicit { target, lladdr } => {
                nd(buf, target, OPT_SOURCE_LLADDR, lladdr);
                (msg_type::NEIGHBOR_SOLICIT, 0, 0)
            }
            Icmpv6Message::NeighborAdvert {
                router,
                solicited,
                override_,
                target,
                lladdr,
            } => {
                nd(buf, target, OPT_TARGET_LLADDR, lladdr);
                let mut flags = 0u8;
                for (on, bit) in [
                    (router, NA_ROUTER),
                    (solicited, NA_SOLICITED),
                    (override_, NA_OVERRIDE),
                ] {
                    if on {
                        flags |= bit;
                    }
                }
                (msg_type::NEIGHBOR_ADVERT, 0, u32::from(flags) << 24)
            }
            Icmpv6Message::Other {
                msg_type,
                code,
                rest_of_header,
                data,
            } => {
                buf[off::DATA..].copy_from_slice(data);
                (msg_type, code, u32::from_be_bytes(rest_of_header))
            }
        };
        buf[off::TYPE] = t;
        buf[off::CODE] = code;
        set_u16(buf, off::CHECKSUM, 0);
        buf[off::REST..off::DATA].copy_from_slice(&rest.to_be_bytes());
        let sum = pseudo.sum(IpProtocol::ICMPV6.0, len).add_bytes(buf);
        set_u16(buf, off::CHECKSUM, checksum::to_write(self.checksum, sum));
        Ok(())
    }
}
