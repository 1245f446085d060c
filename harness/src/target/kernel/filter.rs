//! Which IP datagrams the kernel sends on `tun0` belong to the test.
//!
//! Bringing a device up makes the kernel talk on its own: IPv6 router
//! solicitations, MLD reports, neighbour discovery, IGMP. None of it is the
//! script's flow, so it is dropped here instead of failing the script; every
//! other datagram (TCP, UDP, ICMP errors, …) is passed on. ARP never gets
//! this far (see [`super::link`]).

use netdrill_stack::wire::{Icmpv6Message, IpDatagram, IpProtocol, IpRepr, UpperRepr};

/// IGMP (RFC 3376): IPv4 multicast membership.
const IPPROTO_IGMP: IpProtocol = IpProtocol(2);

/// ICMPv6 types that never belong to a test's flow: MLD queries, reports and
/// done (RFC 2710 §3, RFC 3810 §5), router and neighbour discovery and
/// redirect (RFC 4861 §4.1–§4.5).
const ICMPV6_LINK_LOCAL_CHATTER: &[u8] = &[130, 131, 132, 133, 134, 135, 136, 137, 143];

/// True for a datagram the script may expect; false for link-local chatter.
pub fn is_test_traffic(d: &IpDatagram<'_>) -> bool {
    match &d.ip {
        IpRepr::V4(ip) => {
            ip.protocol != IPPROTO_IGMP && !ip.dst.is_multicast() && !ip.dst.is_broadcast()
        }
        // A multicast destination is RS, MLD or DAD.
        IpRepr::V6(ip) => !ip.dst.is_multicast() && !is_chatter(&d.upper),
    }
}

fn is_chatter(upper: &UpperRepr<'_>) -> bool {
    let UpperRepr::Icmpv6(icmp) = upper else {
        return false;
    };
    match icmp.message {
        Icmpv6Message::NeighborSolicit { .. } | Icmpv6Message::NeighborAdvert { .. } => true,
        Icmpv6Message::Other { msg_type, .. } => ICMPV6_LINK_LOCAL_CHATTER.contains(&msg_type),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netdrill_stack::wire::{
        Checksum, ChecksumMode, Icmpv4Message, Icmpv4Repr, Icmpv6Repr, Ipv4Repr, Ipv6ExtHeaders,
        Ipv6Repr, MacAddr, UdpRepr,
    };
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(dst: Ipv4Addr, protocol: IpProtocol, upper: UpperRepr<'_>) -> Vec<u8> {
        let ip = IpRepr::V4(Ipv4Repr::new(Ipv4Addr::new(192, 168, 0, 1), dst, protocol));
        IpDatagram { ip, upper }.to_bytes().unwrap()
    }

    fn v6(dst: Ipv6Addr, ext: Ipv6ExtHeaders<'_>, message: Icmpv6Message<'_>) -> Vec<u8> {
        let ip = IpRepr::V6(Ipv6Repr {
            src: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 1),
            dst,
            traffic_class: 0,
            flow_label: 0,
            hop_limit: 1,
            ext_headers: ext,
            next_header: IpProtocol::ICMPV6,
            payload_len: 0,
        });
        let upper = UpperRepr::Icmpv6(Icmpv6Repr {
            message,
            checksum: Checksum::Valid,
        });
        IpDatagram { ip, upper }.to_bytes().unwrap()
    }

    fn other(msg_type: u8) -> Icmpv6Message<'static> {
        Icmpv6Message::Other {
            msg_type,
            code: 0,
            rest_of_header: [0; 4],
            data: &[0; 16],
        }
    }

    #[test]
    fn link_local_chatter_is_dropped_and_flows_are_kept() {
        let remote4 = Ipv4Addr::new(192, 0, 2, 1);
        let remote6 = Ipv6Addr::new(0xfd3d, 0xfa7b, 0xd17d, 0, 0, 0, 0, 1);
        let all_routers = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);
        let udp = |payload| {
            UpperRepr::Udp(UdpRepr {
                src_port: 1,
                dst_port: 2,
                checksum: Checksum::Valid,
                payload,
            })
        };
        let unreachable = UpperRepr::Icmpv4(Icmpv4Repr {
            message: Icmpv4Message::DstUnreachable {
                code: 3,
                next_hop_mtu: 0,
                quoted: &[0; 28],
            },
            checksum: Checksum::Valid,
        });
        // Hop-by-hop with a router alert (RFC 2711) and PadN, as MLD sends.
        let hop_by_hop_bytes = [58u8, 0, 5, 2, 0, 0, 1, 0];
        let hop_by_hop = Ipv6ExtHeaders::new(IpProtocol::HOP_BY_HOP, &hop_by_hop_bytes).unwrap();
        let cases: Vec<(&str, Vec<u8>, bool)> = vec![
            ("ipv4 udp", v4(remote4, IpProtocol::UDP, udp(b"x")), true),
            (
                "ipv4 icmp error",
                v4(remote4, IpProtocol::ICMP, unreachable),
                true,
            ),
            (
                "igmp report",
                v4(remote4, IPPROTO_IGMP, UpperRepr::Raw(&[0x16, 0, 0, 0])),
                false,
            ),
            (
                "ipv4 multicast",
                v4(Ipv4Addr::new(224, 0, 0, 251), IpProtocol::UDP, udp(b"m")),
                false,
            ),
            (
                "ipv4 broadcast",
                v4(Ipv4Addr::BROADCAST, IpProtocol::UDP, udp(b"b")),
                false,
            ),
            (
                "router solicitation",
                v6(all_routers, Ipv6ExtHeaders::NONE, other(133)),
                false,
            ),
            (
                "unicast neighbour solicitation",
                v6(
                    remote6,
                    Ipv6ExtHeaders::NONE,
                    Icmpv6Message::NeighborSolicit {
                        target: remote6,
                        lladdr: Some(MacAddr([2, 0, 0, 0, 0, 1])),
                    },
                ),
                false,
            ),
            (
                "unicast redirect",
                v6(remote6, Ipv6ExtHeaders::NONE, other(137)),
                false,
            ),
            (
                "mld report behind hop-by-hop",
                v6(remote6, hop_by_hop, other(143)),
                false,
            ),
            (
                "icmpv6 unreachable",
                v6(
                    remote6,
                    Ipv6ExtHeaders::NONE,
                    Icmpv6Message::DstUnreachable {
                        code: 4,
                        quoted: &[0; 48],
                    },
                ),
                true,
            ),
            (
                "icmpv6 packet too big",
                v6(
                    remote6,
                    Ipv6ExtHeaders::NONE,
                    Icmpv6Message::PacketTooBig {
                        mtu: 1280,
                        quoted: &[0; 48],
                    },
                ),
                true,
            ),
        ];
        for (name, bytes, keep) in cases {
            let d = IpDatagram::parse(&bytes, ChecksumMode::Skip)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(is_test_traffic(&d), keep, "{name}");
        }
    }
}
