//! Which packets the kernel sends on `tun0` belong to the test.
//!
//! Bringing a device up makes the kernel talk on its own: IPv6 router
//! solicitations, MLD reports, neighbour discovery, IGMP. None of it is the
//! script's flow, so it is dropped here instead of failing the script; every
//! other IP packet (TCP, UDP, ICMP errors, …) is passed on.

const IPPROTO_HOPOPTS: u8 = 0;
const IPPROTO_IGMP: u8 = 2;
const IPPROTO_ROUTING: u8 = 43;
const IPPROTO_ICMPV6: u8 = 58;
const IPPROTO_DSTOPTS: u8 = 60;

/// ICMPv6 types of MLD (RFC 2710, RFC 3810) and neighbour discovery (RFC 4861).
const ICMPV6_LINK_LOCAL_CHATTER: &[u8] = &[130, 131, 132, 133, 134, 135, 136, 137, 143];

/// True for a packet the script may expect; false for link-local chatter and
/// for bytes that are not an IP packet at all.
pub fn is_test_traffic(packet: &[u8]) -> bool {
    match packet.first().map(|b| b >> 4) {
        Some(4) => ipv4_is_test_traffic(packet),
        Some(6) => ipv6_is_test_traffic(packet),
        _ => false,
    }
}

fn ipv4_is_test_traffic(packet: &[u8]) -> bool {
    let Some(header) = packet.get(..20) else {
        return false;
    };
    let dst = [header[16], header[17], header[18], header[19]];
    let multicast = (224..=239).contains(&dst[0]);
    let broadcast = dst == [255; 4];
    header[9] != IPPROTO_IGMP && !multicast && !broadcast
}

fn ipv6_is_test_traffic(packet: &[u8]) -> bool {
    let Some(header) = packet.get(..40) else {
        return false;
    };
    if header[24] == 0xff {
        return false; // multicast destination: RS, MLD, DAD
    }
    // Walk the extension headers that can precede ICMPv6 (RFC 8200 §4).
    let (mut next, mut at) = (header[6], 40);
    while matches!(next, IPPROTO_HOPOPTS | IPPROTO_ROUTING | IPPROTO_DSTOPTS) {
        let Some(ext) = packet.get(at..at + 2) else {
            return true;
        };
        next = ext[0];
        at += 8 * (usize::from(ext[1]) + 1);
    }
    if next != IPPROTO_ICMPV6 {
        return true;
    }
    match packet.get(at) {
        Some(ty) => !ICMPV6_LINK_LOCAL_CHATTER.contains(ty),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4(proto: u8, dst: [u8; 4]) -> Vec<u8> {
        let mut p = vec![0u8; 40];
        p[0] = 0x45;
        p[9] = proto;
        p[12..16].copy_from_slice(&[192, 168, 0, 1]);
        p[16..20].copy_from_slice(&dst);
        p
    }

    fn ipv6(next: u8, dst_first: u8, rest: &[u8]) -> Vec<u8> {
        let mut p = vec![0u8; 40];
        p[0] = 0x60;
        p[6] = next;
        p[24] = dst_first;
        p.extend_from_slice(rest);
        p
    }

    #[test]
    fn link_local_chatter_is_dropped_and_flows_are_kept() {
        let hop_by_hop_then_mld = [IPPROTO_ICMPV6, 0, 5, 2, 0, 0, 1, 0, 143, 0, 0, 0];
        let cases: &[(&str, Vec<u8>, bool)] = &[
            ("ipv4 tcp", ipv4(6, [192, 0, 2, 1]), true),
            ("ipv4 icmp error", ipv4(1, [192, 0, 2, 1]), true),
            ("ipv4 udp", ipv4(17, [192, 0, 2, 1]), true),
            ("igmp report", ipv4(IPPROTO_IGMP, [192, 0, 2, 1]), false),
            ("ipv4 multicast", ipv4(17, [224, 0, 0, 251]), false),
            ("ipv4 broadcast", ipv4(17, [255; 4]), false),
            ("ipv6 tcp", ipv6(6, 0xfd, &[]), true),
            (
                "router solicitation",
                ipv6(IPPROTO_ICMPV6, 0xff, &[133, 0]),
                false,
            ),
            (
                "unicast neighbour solicitation",
                ipv6(IPPROTO_ICMPV6, 0xfd, &[135, 0]),
                false,
            ),
            (
                "mld behind hop-by-hop",
                ipv6(IPPROTO_HOPOPTS, 0xfd, &hop_by_hop_then_mld),
                false,
            ),
            (
                "icmpv6 unreachable",
                ipv6(IPPROTO_ICMPV6, 0xfd, &[1, 4]),
                true,
            ),
            (
                "icmpv6 packet too big",
                ipv6(IPPROTO_ICMPV6, 0xfd, &[2, 0]),
                true,
            ),
            (
                "ipv6 truncated extension",
                ipv6(IPPROTO_DSTOPTS, 0xfd, &[]),
                true,
            ),
            ("empty", vec![], false),
            ("short ipv4", vec![0x45, 0, 0], false),
            ("short ipv6", vec![0x60; 39], false),
            ("not ip", vec![0x10; 60], false),
        ];
        for (name, packet, keep) in cases {
            assert_eq!(is_test_traffic(packet), *keep, "{name}");
        }
    }
}
