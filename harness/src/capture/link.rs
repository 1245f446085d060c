//! Link-layer framing of capture records: how an IP datagram is wrapped when
//! we write a pcap, and unwrapped when we read one.
//!
//! Packets at the target seam are bare IP datagrams. A pcap of a run uses the
//! Ethernet link type (what every tool reads), so the writer puts each
//! datagram in an Ethernet II frame between two fixed, locally administered
//! MAC addresses: [`LOCAL_MAC`] is the stack under test, [`REMOTE_MAC`] is the
//! harness playing the script's peer. The reader recognises these addresses
//! and gives the direction back.
//!
//! Only the link-layer headers that pcaps of IP traffic carry are known here;
//! everything above them (IP, TCP, UDP) is the business of `netdrill_stack::wire`.

use super::Direction;

/// MAC address of the stack under test in the pcaps we write
/// (locally administered, unicast: bit 1 of the first octet set, bit 0 clear).
pub const LOCAL_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
/// MAC address of the script's peer (the harness) in the pcaps we write.
pub const REMOTE_MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

/// EtherType of IPv4 (IEEE 802 numbers, RFC 894 framing).
pub const ETHERTYPE_IPV4: u16 = 0x0800;
/// EtherType of IPv6 (RFC 2464).
pub const ETHERTYPE_IPV6: u16 = 0x86DD;
/// IEEE 802.1Q VLAN tag.
const ETHERTYPE_VLAN: u16 = 0x8100;
/// IEEE 802.1ad service tag (QinQ).
const ETHERTYPE_QINQ: u16 = 0x88A8;

/// Length of an Ethernet II header (no tags, no FCS).
pub const ETHERNET_HEADER_LEN: usize = 14;
const VLAN_TAG_LEN: usize = 4;
/// Linux "cooked" capture v1 header (`LINKTYPE_LINUX_SLL`).
const SLL_HEADER_LEN: usize = 16;
/// Linux "cooked" capture v2 header (`LINKTYPE_LINUX_SLL2`).
const SLL2_HEADER_LEN: usize = 20;

/// `sll_pkttype` values (Linux `<linux/if_packet.h>`).
const PACKET_HOST: u8 = 0;
const PACKET_OUTGOING: u8 = 4;

/// The link types this module reads, by their `LINKTYPE_*` number
/// (<https://www.tcpdump.org/linktypes.html>).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkType {
    /// `LINKTYPE_ETHERNET` (1).
    Ethernet,
    /// `LINKTYPE_RAW` (101, and the DLT values 12 and 14 some systems write):
    /// the record is the IP datagram, version in its first nibble.
    RawIp,
    /// `LINKTYPE_IPV4` (228).
    Ipv4,
    /// `LINKTYPE_IPV6` (229).
    Ipv6,
    /// `LINKTYPE_LINUX_SLL` (113).
    LinuxSll,
    /// `LINKTYPE_LINUX_SLL2` (276).
    LinuxSll2,
}

impl LinkType {
    /// The link type for a `LINKTYPE_*` number, if we read it.
    pub fn from_number(n: u32) -> Option<LinkType> {
        match n {
            1 => Some(LinkType::Ethernet),
            12 | 14 | 101 => Some(LinkType::RawIp),
            228 => Some(LinkType::Ipv4),
            229 => Some(LinkType::Ipv6),
            113 => Some(LinkType::LinuxSll),
            276 => Some(LinkType::LinuxSll2),
            _ => None,
        }
    }
}

/// Wraps an IP datagram in an Ethernet II frame going the given way.
/// The EtherType follows the IP version nibble (6: IPv6, anything else: IPv4,
/// so that a malformed datagram still shows up as one in a dissector).
pub fn ethernet_frame(direction: Direction, ip: &[u8]) -> Vec<u8> {
    let (dst, src) = match direction {
        Direction::Inbound => (LOCAL_MAC, REMOTE_MAC),
        Direction::Outbound => (REMOTE_MAC, LOCAL_MAC),
    };
    let ethertype = match ip.first().map(|b| b >> 4) {
        Some(6) => ETHERTYPE_IPV6,
        _ => ETHERTYPE_IPV4,
    };
    let mut frame = Vec::with_capacity(ETHERNET_HEADER_LEN + ip.len());
    frame.extend_from_slice(&dst);
    frame.extend_from_slice(&src);
    frame.extend_from_slice(&ethertype.to_be_bytes());
    frame.extend_from_slice(ip);
    frame
}

/// What a capture record holds once its link-layer header is removed.
#[derive(Debug, PartialEq, Eq)]
pub enum Unframed<'a> {
    /// An IP datagram, and the direction when the link header tells it.
    Ip {
        ip: &'a [u8],
        direction: Option<Direction>,
    },
    /// A frame that carries no IP (ARP, LLDP, ...): skipped, with the reason.
    NotIp(String),
}

/// Why a record could not be unframed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameError(pub String);

/// Removes the link-layer header of one capture record.
pub fn unframe(link: LinkType, record: &[u8]) -> Result<Unframed<'_>, FrameError> {
    match link {
        LinkType::Ethernet => unframe_ethernet(record),
        LinkType::RawIp => unframe_raw(record),
        LinkType::Ipv4 | LinkType::Ipv6 => Ok(Unframed::Ip {
            ip: record,
            direction: None,
        }),
        LinkType::LinuxSll => unframe_sll(record),
        LinkType::LinuxSll2 => unframe_sll2(record),
    }
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at + 2)?;
    Some(u16::from_be_bytes([b[0], b[1]]))
}

fn too_short(what: &str, need: usize, got: usize) -> FrameError {
    FrameError(format!("{what} needs {need} bytes, the record has {got}"))
}

fn unframe_ethernet(record: &[u8]) -> Result<Unframed<'_>, FrameError> {
    if record.len() < ETHERNET_HEADER_LEN {
        return Err(too_short(
            "Ethernet header",
            ETHERNET_HEADER_LEN,
            record.len(),
        ));
    }
    let (dst, src) = (&record[0..6], &record[6..12]);
    let direction = if dst == LOCAL_MAC && src == REMOTE_MAC {
        Some(Direction::Inbound)
    } else if dst == REMOTE_MAC && src == LOCAL_MAC {
        Some(Direction::Outbound)
    } else {
        None
    };
    // The EtherType field, after any number of 802.1Q / 802.1ad tags.
    let mut at = 12;
    loop {
        let ethertype = be16(record, at)
            .ok_or_else(|| too_short("VLAN-tagged Ethernet header", at + 2, record.len()))?;
        if ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ {
            at += VLAN_TAG_LEN;
            continue;
        }
        let payload = &record[at + 2..];
        return Ok(ip_by_ethertype(ethertype, payload, direction));
    }
}

fn ip_by_ethertype(ethertype: u16, payload: &[u8], direction: Option<Direction>) -> Unframed<'_> {
    match ethertype {
        ETHERTYPE_IPV4 | ETHERTYPE_IPV6 => Unframed::Ip {
            ip: payload,
            direction,
        },
        other => Unframed::NotIp(format!("EtherType 0x{other:04x} is not IP")),
    }
}

fn unframe_raw(record: &[u8]) -> Result<Unframed<'_>, FrameError> {
    match record.first().map(|b| b >> 4) {
        Some(4 | 6) => Ok(Unframed::Ip {
            ip: record,
            direction: None,
        }),
        Some(v) => Err(FrameError(format!("raw IP record has IP version {v}"))),
        None => Err(FrameError("raw IP record is empty".into())),
    }
}

fn sll_direction(pkttype: u8) -> Option<Direction> {
    match pkttype {
        PACKET_HOST => Some(Direction::Inbound),
        PACKET_OUTGOING => Some(Direction::Outbound),
        _ => None,
    }
}

fn unframe_sll(record: &[u8]) -> Result<Unframed<'_>, FrameError> {
    if record.len() < SLL_HEADER_LEN {
        return Err(too_short(
            "Linux cooked (SLL) header",
            SLL_HEADER_LEN,
            record.len(),
        ));
    }
    let pkttype = be16(record, 0).map_or(u8::MAX, |t| u8::try_from(t).unwrap_or(u8::MAX));
    let protocol = be16(record, 14).unwrap_or(0);
    Ok(ip_by_ethertype(
        protocol,
        &record[SLL_HEADER_LEN..],
        sll_direction(pkttype),
    ))
}

fn unframe_sll2(record: &[u8]) -> Result<Unframed<'_>, FrameError> {
    if record.len() < SLL2_HEADER_LEN {
        return Err(too_short(
            "Linux cooked (SLL2) header",
            SLL2_HEADER_LEN,
            record.len(),
        ));
    }
    let protocol = be16(record, 0).unwrap_or(0);
    let pkttype = record[10];
    Ok(ip_by_ethertype(
        protocol,
        &record[SLL2_HEADER_LEN..],
        sll_direction(pkttype),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPV4: &[u8] = &[
        0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
    ];
    const IPV6_START: &[u8] = &[0x60, 0, 0, 0, 0, 0, 6, 64];

    #[test]
    fn ethernet_frames_round_trip_with_direction() {
        for direction in [Direction::Inbound, Direction::Outbound] {
            for ip in [IPV4, IPV6_START] {
                let frame = ethernet_frame(direction, ip);
                assert_eq!(frame.len(), ETHERNET_HEADER_LEN + ip.len());
                let got = unframe(LinkType::Ethernet, &frame).unwrap();
                assert_eq!(
                    got,
                    Unframed::Ip {
                        ip,
                        direction: Some(direction)
                    }
                );
            }
        }
    }

    #[test]
    fn ethertype_follows_ip_version() {
        assert_eq!(
            ethernet_frame(Direction::Inbound, IPV4)[12..14],
            [0x08, 0x00]
        );
        assert_eq!(
            ethernet_frame(Direction::Inbound, IPV6_START)[12..14],
            [0x86, 0xDD]
        );
        assert_eq!(
            ethernet_frame(Direction::Outbound, &[])[12..14],
            [0x08, 0x00]
        );
    }

    #[test]
    fn inbound_goes_from_remote_to_local() {
        let frame = ethernet_frame(Direction::Inbound, IPV4);
        assert_eq!(frame[0..6], LOCAL_MAC);
        assert_eq!(frame[6..12], REMOTE_MAC);
    }

    #[test]
    fn vlan_tags_are_skipped_and_foreign_macs_have_no_direction() {
        let mut frame = vec![0xAA; 12];
        frame.extend_from_slice(&[0x81, 0x00, 0x00, 0x05, 0x88, 0xA8, 0x00, 0x06, 0x08, 0x00]);
        frame.extend_from_slice(IPV4);
        let got = unframe(LinkType::Ethernet, &frame).unwrap();
        assert_eq!(
            got,
            Unframed::Ip {
                ip: IPV4,
                direction: None
            }
        );
    }

    #[test]
    fn short_and_non_ip_records() {
        let cases: &[(LinkType, &[u8], &str)] = &[
            (
                LinkType::Ethernet,
                &[0; 13],
                "Ethernet header needs 14 bytes, the record has 13",
            ),
            (
                LinkType::Ethernet,
                &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x81, 0, 0, 0],
                "needs 18 bytes",
            ),
            (LinkType::LinuxSll, &[0; 15], "SLL) header needs 16 bytes"),
            (LinkType::LinuxSll2, &[0; 19], "SLL2) header needs 20 bytes"),
            (LinkType::RawIp, &[], "raw IP record is empty"),
            (LinkType::RawIp, &[0x50], "IP version 5"),
        ];
        for (link, record, want) in cases {
            let err = unframe(*link, record).unwrap_err();
            assert!(err.0.contains(want), "{link:?}: {} lacks {want}", err.0);
        }
        let mut arp = vec![0xFF; 12];
        arp.extend_from_slice(&[0x08, 0x06, 0, 1]);
        assert_eq!(
            unframe(LinkType::Ethernet, &arp).unwrap(),
            Unframed::NotIp("EtherType 0x0806 is not IP".into())
        );
    }

    #[test]
    fn linux_cooked_headers_give_protocol_and_direction() {
        // SLL: pkttype 4 (outgoing), ARPHRD_ETHER, 6-byte address, IPv4.
        let mut sll = vec![0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(IPV4);
        assert_eq!(
            unframe(LinkType::LinuxSll, &sll).unwrap(),
            Unframed::Ip {
                ip: IPV4,
                direction: Some(Direction::Outbound)
            }
        );
        // SLL2: protocol IPv6, ifindex 2, pkttype 0 (to us).
        let mut sll2 = vec![
            0x86, 0xDD, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
        ];
        sll2.extend_from_slice(IPV6_START);
        assert_eq!(
            unframe(LinkType::LinuxSll2, &sll2).unwrap(),
            Unframed::Ip {
                ip: IPV6_START,
                direction: Some(Direction::Inbound)
            }
        );
    }

    #[test]
    fn link_type_numbers() {
        let table = [
            (1, Some(LinkType::Ethernet)),
            (101, Some(LinkType::RawIp)),
            (12, Some(LinkType::RawIp)),
            (228, Some(LinkType::Ipv4)),
            (229, Some(LinkType::Ipv6)),
            (113, Some(LinkType::LinuxSll)),
            (276, Some(LinkType::LinuxSll2)),
            (0, None),
            (105, None),
        ];
        for (n, want) in table {
            assert_eq!(LinkType::from_number(n), want, "link type {n}");
        }
    }
}
