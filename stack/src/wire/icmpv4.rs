//! ICMPv4 (RFC 792): echo, destination unreachable (with the next-hop MTU of
//! "fragmentation needed", RFC 1191 §4), time exceeded, each error message
//! with the quoted bytes of the original datagram; other types kept raw.

use super::checksum::{self, Checksum, ChecksumMode, Sum};
use super::error::{WireError, need, room};
use super::field::{array, set_u16, u16_at};

const HEADER: &str = "ICMPv4";

mod off {
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: usize = 2;
    /// The second word: echo identifier and sequence, or unused + MTU.
    pub const REST: usize = 4;
    pub const DATA: usize = 8;
}

pub const HEADER_LEN: usize = off::DATA;

mod msg_type {
    pub const ECHO_REPLY: u8 = 0;
    pub const DST_UNREACHABLE: u8 = 3;
    pub const ECHO_REQUEST: u8 = 8;
    pub const TIME_EXCEEDED: u8 = 11;
}

/// A zero-copy view of an ICMPv4 message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Icmpv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let p = Icmpv4Packet { buffer };
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
    /// The 4 bytes after the checksum.
    #[inline]
    pub fn rest_of_header(&self) -> [u8; 4] {
        array(self.buffer.as_ref(), off::REST)
    }
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[off::DATA..]
    }
    #[inline]
    pub fn verify_checksum(&self) -> Checksum {
        checksum::verdict(Sum::ZERO.add_bytes(self.buffer.as_ref()), self.checksum())
    }
}

/// The message, by type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Icmpv4Message<'a> {
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
    /// `next_hop_mtu` is the low 16 bits of the second word: the MTU for
    /// code 4 (fragmentation needed, RFC 1191 §4), otherwise unused (zero).
    DstUnreachable {
        code: u8,
        next_hop_mtu: u16,
        quoted: &'a [u8],
    },
    TimeExceeded {
        code: u8,
        quoted: &'a [u8],
    },
    /// Any other type: the second word and the data, raw.
    Other {
        msg_type: u8,
        code: u8,
        rest_of_header: [u8; 4],
        data: &'a [u8],
    },
}

impl Icmpv4Message<'_> {
    /// Destination unreachable code 4, "fragmentation needed and DF set"
    /// (RFC 792), which carries the next-hop MTU (RFC 1191 §4).
    pub const CODE_FRAG_NEEDED: u8 = 4;
    /// Destination unreachable code 3, "port unreachable" (RFC 792).
    pub const CODE_PORT_UNREACHABLE: u8 = 3;
}

/// An ICMPv4 message as values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Icmpv4Repr<'a> {
    pub message: Icmpv4Message<'a>,
    pub checksum: Checksum,
}

impl<'a> Icmpv4Repr<'a> {
    /// Echo and time exceeded with a code they do not define are kept as `Other`.
    #[inline]
    pub fn parse(packet: &Icmpv4Packet<&'a [u8]>, mode: ChecksumMode) -> Result<Self, WireError> {
        let checksum = match mode {
            ChecksumMode::Verify => packet.verify_checksum(),
            ChecksumMode::Skip => Checksum::Unverified {
                found: packet.checksum(),
            },
        };
        let buffer: &'a [u8] = packet.buffer;
        let data = &buffer[off::DATA..];
        let rest = packet.rest_of_header();
        let hi = u16::from_be_bytes([rest[0], rest[1]]);
        let lo = u16::from_be_bytes([rest[2], rest[3]]);
        let code = packet.code();
        let message = match (packet.msg_type(), code) {
            (msg_type::ECHO_REQUEST, 0) => Icmpv4Message::EchoRequest {
                ident: hi,
                seq_no: lo,
                data,
            },
            (msg_type::ECHO_REPLY, 0) => Icmpv4Message::EchoReply {
                ident: hi,
                seq_no: lo,
                data,
            },
            (msg_type::DST_UNREACHABLE, _) if hi == 0 => Icmpv4Message::DstUnreachable {
                code,
                next_hop_mtu: lo,
                quoted: data,
            },
            (msg_type::TIME_EXCEEDED, 0 | 1) if rest == [0; 4] => {
                Icmpv4Message::TimeExceeded { code, quoted: data }
            }
            (msg_type, code) => Icmpv4Message::Other {
                msg_type,
                code,
                rest_of_header: rest,
                data,
            },
        };
        Ok(Icmpv4Repr { message, checksum })
    }

    #[inline]
    fn fields(&self) -> (u8, u8, [u8; 4], &'a [u8]) {
        let word = |hi: u16, lo: u16| {
            let [a, b] = hi.to_be_bytes();
            let [c, d] = lo.to_be_bytes();
            [a, b, c, d]
        };
        match self.message {
            Icmpv4Message::EchoRequest {
                ident,
                seq_no,
                data,
            } => (msg_type::ECHO_REQUEST, 0, word(ident, seq_no), data),
            Icmpv4Message::EchoReply {
                ident,
                seq_no,
                data,
            } => (msg_type::ECHO_REPLY, 0, word(ident, seq_no), data),
            Icmpv4Message::DstUnreachable {
                code,
                next_hop_mtu,
                quoted,
            } => (
                msg_type::DST_UNREACHABLE,
                code,
                word(0, next_hop_mtu),
                quoted,
            ),
            Icmpv4Message::TimeExceeded { code, quoted } => {
                (msg_type::TIME_EXCEEDED, code, [0; 4], quoted)
            }
            Icmpv4Message::Other {
                msg_type,
                code,
                rest_of_header,
                data,
            } => (msg_type, code, rest_of_header, data),
        }
    }

    #[inline]
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.fields().3.len()
    }

    #[inline]
    pub fn emit(&self, buf: &mut [u8]) -> Result<(), WireError> {
        let len = self.buffer_len();
        room(buf, len, HEADER)?;
        let (t, code, rest, data) = self.fields();
        let buf = &mut buf[..len];
        buf[off::TYPE] = t;
        buf[off::CODE] = code;
        set_u16(buf, off::CHECKSUM, 0);
        buf[off::REST..off::DATA].copy_from_slice(&rest);
        buf[off::DATA..].copy_from_slice(data);
        let c = checksum::to_write(self.checksum, Sum::ZERO.add_bytes(buf));
        set_u16(buf, off::CHECKSUM, c);
        Ok(())
    }
}
