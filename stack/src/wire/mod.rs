//! The wire codec: Ethernet II, ARP, IPv4, IPv6 (+ extension headers), TCP
//! (+ every option), UDP, ICMPv4 and ICMPv6. The stack and the harness both
//! use it: one codec in the project.
//!
//! # The contract
//!
//! Every header has two levels, and byte offsets live only in this module:
//!
//! - a zero-copy view `XxxPacket<T: AsRef<[u8]>>` over a byte buffer.
//!   `XxxPacket::new_checked(buffer)` runs `check_len`, after which every
//!   getter stays inside the buffer: no input can make a getter panic. (There is
//!   deliberately no public unchecked constructor.) With `T: AsMut<[u8]>` the
//!   view also has setters, for rewriting a packet in place.
//! - a plain `XxxRepr` with every field as a value: `XxxRepr::parse(&view, ..)`
//!   checks what the format requires and returns a typed [`WireError`] naming
//!   the header and field; `repr.buffer_len()` says how many bytes `emit`
//!   writes; `repr.emit(&mut buf, ..)` writes them (and fails, without
//!   panicking, if `buf` is too short or a value does not fit).
//!
//! `emit` then `parse` gives back the same `Repr` (property-tested for every
//! `Repr`). Checksums are verified on parse and *reported* in a [`Checksum`]
//! field, never fixed: a packet with a wrong checksum still parses, and a
//! `Repr` can ask `emit` for a deliberately wrong checksum.
//!
//! The entry points most callers want are [`IpDatagram`] (bytes that start
//! with an IPv4 or IPv6 header, to IP + upper-layer `Repr`s and back) and
//! [`EthernetFrame`] (a frame, dispatched to ARP, IPv4 or IPv6).
//!
//! Payloads are borrowed from the parsed buffer (`'a`), so parsing copies no
//! payload bytes; IPv4 and TCP options (at most 40 bytes) are copied inline
//! so that a `Repr` can be built by hand without a backing buffer.

mod arp;
pub mod checksum;
mod error;
mod ethernet;
mod field;
mod frame;
mod icmpv4;
mod icmpv6;
mod inline;
mod ip;
mod ipv4;
mod ipv6;
mod ipv6_ext;
mod quoted;
mod tcp;
mod tcp_flags;
mod tcp_option;
mod udp;

pub use arp::{ArpOperation, ArpPacket, ArpRepr};
pub use checksum::{Checksum, ChecksumMode, PseudoHeader};
pub use error::{ErrorKind, WireError};
pub use ethernet::{EtherType, EthernetPacket, EthernetRepr, MacAddr};
pub use frame::{EthernetFrame, FramePayload};
pub use icmpv4::{Icmpv4Message, Icmpv4Packet, Icmpv4Repr};
pub use icmpv6::{Icmpv6Message, Icmpv6Packet, Icmpv6Repr};
pub use inline::InlineBytes;
pub use ip::{IpDatagram, IpRepr, UpperRepr};
pub use ipv4::{Ipv4Options, Ipv4Packet, Ipv4Repr};
pub use ipv6::{Ipv6Packet, Ipv6Repr};
pub use ipv6_ext::{Ipv6ExtHeader, Ipv6ExtHeaders, Ipv6ExtIter, Ipv6Fragment};
pub use quoted::QuotedDatagram;
pub use tcp::{TcpPacket, TcpRepr};
pub use tcp_flags::TcpFlags;
pub use tcp_option::{
    FAST_OPEN_EXID, SackBlocks, TcpOption, TcpOptionIter, TcpOptions, kind as tcp_option_kind,
};
pub use udp::{UdpPacket, UdpRepr};

use core::fmt;

/// An IP protocol number / IPv6 next-header value (IANA registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IpProtocol(pub u8);

impl IpProtocol {
    pub const HOP_BY_HOP: IpProtocol = IpProtocol(0);
    pub const ICMP: IpProtocol = IpProtocol(1);
    pub const TCP: IpProtocol = IpProtocol(6);
    pub const UDP: IpProtocol = IpProtocol(17);
    pub const ROUTING: IpProtocol = IpProtocol(43);
    pub const FRAGMENT: IpProtocol = IpProtocol(44);
    pub const ESP: IpProtocol = IpProtocol(50);
    pub const AH: IpProtocol = IpProtocol(51);
    pub const ICMPV6: IpProtocol = IpProtocol(58);
    pub const NO_NEXT_HEADER: IpProtocol = IpProtocol(59);
    pub const DEST_OPTIONS: IpProtocol = IpProtocol(60);
}

impl fmt::Display for IpProtocol {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            IpProtocol::HOP_BY_HOP => "hop-by-hop",
            IpProtocol::ICMP => "icmp",
            IpProtocol::TCP => "tcp",
            IpProtocol::UDP => "udp",
            IpProtocol::ROUTING => "routing",
            IpProtocol::FRAGMENT => "fragment",
            IpProtocol::ESP => "esp",
            IpProtocol::AH => "ah",
            IpProtocol::ICMPV6 => "icmpv6",
            IpProtocol::NO_NEXT_HEADER => "no-next-header",
            IpProtocol::DEST_OPTIONS => "dest-options",
            IpProtocol(n) => return write!(f, "protocol {n}"),
        };
        f.write_str(name)
    }
}
