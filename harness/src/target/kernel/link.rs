//! The link layer of `tun0`, a TAP device: Ethernet II framing around the IP
//! datagrams that cross the target seam, and the remote side's answers to
//! the kernel's neighbour requests.
//!
//! The stack under test is [`LOCAL`] (`tun0`'s own address), the script's
//! peer is [`REMOTE`]: the same addresses the pcaps of a run use. Set-up
//! makes the remote (and gateway) neighbours permanent, so the kernel has no
//! reason to ask; when it still does (a script routed through another
//! address, or deleted the entry), the request is answered here for every
//! address but the kernel's own, and never reported as a test packet.
//!
//! All parsing and emitting is `netdrill_stack::wire`'s.

use super::filter::is_test_traffic;
use crate::capture::link::{LOCAL_MAC, REMOTE_MAC};
use netdrill_stack::wire::{
    ArpOperation, ArpRepr, Checksum, ChecksumMode, EtherType, EthernetFrame, EthernetPacket,
    EthernetRepr, FramePayload, Icmpv6Message, Icmpv6Repr, IpDatagram, IpProtocol, IpRepr,
    Ipv4Packet, Ipv6ExtHeaders, Ipv6Packet, Ipv6Repr, MacAddr, UpperRepr,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `tun0`'s MAC address: the stack under test.
pub const LOCAL: MacAddr = MacAddr(LOCAL_MAC);
/// The MAC address of the script's peer (and of every other neighbour).
pub const REMOTE: MacAddr = MacAddr(REMOTE_MAC);

/// RFC 4861 §7.1: neighbour discovery messages travel with hop limit 255
/// (proof that they were not forwarded); anything else is discarded.
const ND_HOP_LIMIT: u8 = 255;
/// The fixed IPv6 header (RFC 8200 §3).
const IPV6_HEADER_LEN: usize = 40;

/// What a frame the kernel sent on `tun0` is to the run.
#[derive(Debug, PartialEq, Eq)]
pub enum Received<'a> {
    /// An IP datagram the script may expect (Ethernet header removed).
    Packet(&'a [u8]),
    /// A neighbour request, and the frame that answers it.
    Answer(Vec<u8>),
    /// Link-local chatter or a frame that is not IPv4, IPv6 or ARP.
    Ignored,
}

/// Writes `packet` (an IP datagram) into `frame` as an Ethernet II frame
/// from the remote side to `tun0`; the EtherType follows the IP version.
pub fn frame(packet: &[u8], frame: &mut Vec<u8>) -> Result<(), String> {
    let ethertype = match packet.first().map(|b| b >> 4) {
        Some(4) => EtherType::IPV4,
        Some(6) => EtherType::IPV6,
        Some(v) => return Err(format!("not an IP packet: version {v} (must be 4 or 6)")),
        None => return Err("not an IP packet: it is empty".into()),
    };
    let header = EthernetRepr {
        dst: LOCAL,
        src: REMOTE,
        ethertype,
    };
    frame.clear();
    frame.resize(EthernetRepr::HEADER_LEN, 0);
    header.emit(frame).map_err(|e| e.to_string())?;
    frame.extend_from_slice(packet);
    Ok(())
}

/// The remote side of `tun0`'s link.
#[derive(Clone, Copy, Debug)]
pub struct Link {
    /// The kernel's address on the link: never claimed by the responder.
    local: IpAddr,
}

impl Link {
    pub fn new(local: IpAddr) -> Link {
        Link { local }
    }

    /// Sorts one frame the kernel sent.
    pub fn receive<'a>(&self, bytes: &'a [u8]) -> Received<'a> {
        let Ok(packet) = EthernetPacket::new_checked(bytes) else {
            return Received::Ignored;
        };
        match packet.ethertype() {
            EtherType::ARP => match EthernetFrame::parse(bytes, ChecksumMode::Skip) {
                Ok(EthernetFrame {
                    payload: FramePayload::Arp(arp),
                    ..
                }) => self
                    .answer_arp(&arp)
                    .map_or(Received::Ignored, Received::Answer),
                _ => Received::Ignored,
            },
            EtherType::IPV4 | EtherType::IPV6 => {
                self.receive_ip(&bytes[EthernetRepr::HEADER_LEN..], packet.src_addr())
            }
            _ => Received::Ignored,
        }
    }

    fn receive_ip<'a>(&self, payload: &'a [u8], from: MacAddr) -> Received<'a> {
        let ip = &payload[..ip_len(payload).min(payload.len())];
        // A datagram the codec cannot read is reported: the interpreter
        // fails the run on it with the codec's own diagnosis.
        let Ok(datagram) = IpDatagram::parse(ip, ChecksumMode::Skip) else {
            return Received::Packet(ip);
        };
        if let Some(answer) = self.answer_ns(&datagram, from) {
            return Received::Answer(answer);
        }
        if is_test_traffic(&datagram) {
            Received::Packet(ip)
        } else {
            Received::Ignored
        }
    }

    /// RFC 826: a request for any address but the kernel's is answered with
    /// the remote's MAC. A request with sender 0.0.0.0 is an address probe
    /// (RFC 5227 §2.1.1): answering it would declare a conflict.
    fn answer_arp(&self, req: &ArpRepr) -> Option<Vec<u8>> {
        let asks_for_other = IpAddr::V4(req.target_ip) != self.local;
        let ok = req.operation == ArpOperation::REQUEST
            && req.sender_ip != Ipv4Addr::UNSPECIFIED
            && asks_for_other;
        if !ok {
            return None;
        }
        let reply = EthernetFrame {
            ethernet: EthernetRepr {
                dst: req.sender_mac,
                src: REMOTE,
                ethertype: EtherType::ARP,
            },
            payload: FramePayload::Arp(ArpRepr {
                operation: ArpOperation::REPLY,
                sender_mac: REMOTE,
                sender_ip: req.target_ip,
                target_mac: req.sender_mac,
                target_ip: req.sender_ip,
            }),
        };
        reply.to_bytes().ok()
    }

    /// RFC 4861 §7.2.4: a solicitation for any address but the kernel's is
    /// answered with a solicited, overriding advertisement carrying the
    /// remote's MAC, sent to the soliciting address. One from the
    /// unspecified address is duplicate address detection (RFC 4862 §5.4.3),
    /// which must not be answered for an address the kernel is trying.
    fn answer_ns(&self, d: &IpDatagram<'_>, from: MacAddr) -> Option<Vec<u8>> {
        let (IpRepr::V6(ip), UpperRepr::Icmpv6(icmp)) = (&d.ip, &d.upper) else {
            return None;
        };
        let Icmpv6Message::NeighborSolicit { target, lladdr } = icmp.message else {
            return None;
        };
        let ok = ip.hop_limit == ND_HOP_LIMIT
            && ip.src != Ipv6Addr::UNSPECIFIED
            && IpAddr::V6(target) != self.local;
        if !ok {
            return None;
        }
        let advert = IpDatagram {
            ip: IpRepr::V6(Ipv6Repr {
                src: target,
                dst: ip.src,
                traffic_class: 0,
                flow_label: 0,
                hop_limit: ND_HOP_LIMIT,
                ext_headers: Ipv6ExtHeaders::NONE,
                next_header: IpProtocol::ICMPV6,
                payload_len: 0,
            }),
            upper: UpperRepr::Icmpv6(Icmpv6Repr {
                message: Icmpv6Message::NeighborAdvert {
                    router: false,
                    solicited: true,
                    override_: true,
                    target,
                    lladdr: Some(REMOTE),
                },
                checksum: Checksum::Valid,
            }),
        };
        EthernetFrame {
            ethernet: EthernetRepr {
                dst: lladdr.unwrap_or(from),
                src: REMOTE,
                ethertype: EtherType::IPV6,
            },
            payload: FramePayload::Ip(advert),
        }
        .to_bytes()
        .ok()
    }
}

/// The length the IP header gives its datagram (the whole buffer if the
/// header is unreadable), so that link-layer padding is not reported.
fn ip_len(payload: &[u8]) -> usize {
    match payload.first().map(|b| b >> 4) {
        Some(4) => {
            Ipv4Packet::new_checked(payload).map_or(payload.len(), |p| usize::from(p.total_len()))
        }
        Some(6) => Ipv6Packet::new_checked(payload).map_or(payload.len(), |p| {
            IPV6_HEADER_LEN + usize::from(p.payload_len())
        }),
        _ => payload.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netdrill_stack::wire::{Ipv4Repr, TcpFlags, TcpOptions, TcpRepr};

    const LOCAL_V4: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 1);
    const REMOTE_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
    const LOCAL_V6: Ipv6Addr = Ipv6Addr::new(0xfd3d, 0xa0b, 0x17d6, 0, 0, 0, 0, 1);
    const REMOTE_V6: Ipv6Addr = Ipv6Addr::new(0xfd3d, 0xfa7b, 0xd17d, 0, 0, 0, 0, 1);
    const LOCAL_LINK_V6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0xff, 0xfe00, 1);

    fn tcp_v4(src: Ipv4Addr, dst: Ipv4Addr) -> Vec<u8> {
        IpDatagram {
            ip: IpRepr::V4(Ipv4Repr::new(src, dst, IpProtocol::TCP)),
            upper: UpperRepr::Tcp(TcpRepr {
                src_port: 8080,
                dst_port: 40000,
                seq: 1,
                ack: 2,
                flags: TcpFlags::SYN | TcpFlags::ACK,
                window: 1000,
                checksum: Checksum::Valid,
                urgent: 0,
                options: TcpOptions::NONE,
                payload: &[],
            }),
        }
        .to_bytes()
        .unwrap()
    }

    fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, hop_limit: u8, message: Icmpv6Message<'_>) -> Vec<u8> {
        IpDatagram {
            ip: IpRepr::V6(Ipv6Repr {
                src,
                dst,
                traffic_class: 0,
                flow_label: 0,
                hop_limit,
                ext_headers: Ipv6ExtHeaders::NONE,
                next_header: IpProtocol::ICMPV6,
                payload_len: 0,
            }),
            upper: UpperRepr::Icmpv6(Icmpv6Repr {
                message,
                checksum: Checksum::Valid,
            }),
        }
        .to_bytes()
        .unwrap()
    }

    fn ethernet(dst: MacAddr, ethertype: EtherType, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0; EthernetRepr::HEADER_LEN];
        EthernetRepr {
            dst,
            src: LOCAL,
            ethertype,
        }
        .emit(&mut f)
        .unwrap();
        f.extend_from_slice(payload);
        f
    }

    fn arp_request(sender_ip: Ipv4Addr, target_ip: Ipv4Addr) -> Vec<u8> {
        EthernetFrame {
            ethernet: EthernetRepr {
                dst: MacAddr::BROADCAST,
                src: LOCAL,
                ethertype: EtherType::ARP,
            },
            payload: FramePayload::Arp(ArpRepr {
                operation: ArpOperation::REQUEST,
                sender_mac: LOCAL,
                sender_ip,
                target_mac: MacAddr::ZERO,
                target_ip,
            }),
        }
        .to_bytes()
        .unwrap()
    }

    fn solicitation(src: Ipv6Addr, target: Ipv6Addr, hop_limit: u8) -> Vec<u8> {
        let o = target.octets();
        let solicited_node = Ipv6Addr::new(
            0xff02,
            0,
            0,
            0,
            0,
            1,
            0xff00 | u16::from(o[13]),
            u16::from_be_bytes([o[14], o[15]]),
        );
        let ns = Icmpv6Message::NeighborSolicit {
            target,
            lladdr: Some(LOCAL),
        };
        let mac = MacAddr([0x33, 0x33, 0xff, o[13], o[14], o[15]]);
        ethernet(
            mac,
            EtherType::IPV6,
            &ipv6(src, solicited_node, hop_limit, ns),
        )
    }

    #[test]
    fn injected_packets_are_framed_from_remote_to_local() {
        let ip = tcp_v4(REMOTE_V4, LOCAL_V4);
        let mut f = Vec::new();
        frame(&ip, &mut f).unwrap();
        let parsed = EthernetFrame::parse(&f, ChecksumMode::Verify).unwrap();
        assert_eq!(parsed.ethernet.dst, LOCAL);
        assert_eq!(parsed.ethernet.src, REMOTE);
        assert_eq!(parsed.ethernet.ethertype, EtherType::IPV4);
        assert_eq!(&f[EthernetRepr::HEADER_LEN..], &ip[..]);

        let v6 = ipv6(
            REMOTE_V6,
            LOCAL_V6,
            64,
            Icmpv6Message::EchoRequest {
                ident: 1,
                seq_no: 2,
                data: b"x",
            },
        );
        frame(&v6, &mut f).unwrap();
        assert_eq!(f[12..14], [0x86, 0xdd]);
        assert_eq!(f.len(), EthernetRepr::HEADER_LEN + v6.len());
    }

    #[test]
    fn non_ip_bytes_are_refused_with_the_reason() {
        let mut f = Vec::new();
        assert!(
            frame(&[0x10; 40], &mut f)
                .unwrap_err()
                .contains("version 1")
        );
        assert!(frame(&[], &mut f).unwrap_err().contains("empty"));
    }

    #[test]
    fn ip_frames_are_stripped_and_padding_dropped() {
        let link = Link::new(LOCAL_V4.into());
        let ip = tcp_v4(LOCAL_V4, REMOTE_V4);
        let mut f = ethernet(REMOTE, EtherType::IPV4, &ip);
        assert_eq!(link.receive(&f), Received::Packet(&ip[..]));
        f.extend_from_slice(&[0; 6]); // Ethernet padding after the datagram
        assert_eq!(link.receive(&f), Received::Packet(&ip[..]));
    }

    #[test]
    fn arp_requests_for_other_addresses_are_answered_as_the_remote() {
        let link = Link::new(LOCAL_V4.into());
        let gateway = Ipv4Addr::new(192, 168, 0, 2);
        for target in [REMOTE_V4, gateway] {
            let Received::Answer(reply) = link.receive(&arp_request(LOCAL_V4, target)) else {
                panic!("no answer for {target}");
            };
            let parsed = EthernetFrame::parse(&reply, ChecksumMode::Verify).unwrap();
            assert_eq!(parsed.ethernet.dst, LOCAL);
            assert_eq!(parsed.ethernet.src, REMOTE);
            assert_eq!(
                parsed.payload,
                FramePayload::Arp(ArpRepr {
                    operation: ArpOperation::REPLY,
                    sender_mac: REMOTE,
                    sender_ip: target,
                    target_mac: LOCAL,
                    target_ip: LOCAL_V4,
                })
            );
        }
    }

    #[test]
    fn arp_probes_replies_and_requests_for_the_kernel_are_ignored() {
        let link = Link::new(LOCAL_V4.into());
        let cases: [(&str, Vec<u8>); 4] = [
            (
                "probe",
                arp_request(Ipv4Addr::UNSPECIFIED, Ipv4Addr::new(192, 168, 0, 9)),
            ),
            ("own address", arp_request(REMOTE_V4, LOCAL_V4)),
            ("reply", {
                let mut f = arp_request(LOCAL_V4, REMOTE_V4);
                f[EthernetRepr::HEADER_LEN + 7] = 2;
                f
            }),
            ("truncated", arp_request(LOCAL_V4, REMOTE_V4)[..30].to_vec()),
        ];
        for (name, f) in cases {
            assert_eq!(link.receive(&f), Received::Ignored, "{name}");
        }
    }

    #[test]
    fn neighbour_solicitations_for_other_addresses_are_answered() {
        let link = Link::new(LOCAL_V6.into());
        let gateway = Ipv6Addr::new(0xfd3d, 0xfa7b, 0xd17d, 0x8888, 0, 0, 0, 0);
        for (src, target) in [(LOCAL_LINK_V6, REMOTE_V6), (LOCAL_V6, gateway)] {
            let Received::Answer(reply) = link.receive(&solicitation(src, target, 255)) else {
                panic!("no answer for {target}");
            };
            let parsed = EthernetFrame::parse(&reply, ChecksumMode::Verify).unwrap();
            assert_eq!((parsed.ethernet.dst, parsed.ethernet.src), (LOCAL, REMOTE));
            let FramePayload::Ip(d) = parsed.payload else {
                panic!("{parsed:?}")
            };
            let IpRepr::V6(ip) = d.ip else { panic!() };
            assert_eq!((ip.src, ip.dst, ip.hop_limit), (target, src, 255));
            let UpperRepr::Icmpv6(icmp) = d.upper else {
                panic!()
            };
            assert_eq!(icmp.checksum, Checksum::Valid);
            assert_eq!(
                icmp.message,
                Icmpv6Message::NeighborAdvert {
                    router: false,
                    solicited: true,
                    override_: true,
                    target,
                    lladdr: Some(REMOTE),
                }
            );
        }
    }

    #[test]
    fn dad_forwarded_and_own_address_solicitations_are_ignored() {
        let link = Link::new(LOCAL_V6.into());
        let cases = [
            ("dad", solicitation(Ipv6Addr::UNSPECIFIED, REMOTE_V6, 255)),
            ("hop limit 64", solicitation(LOCAL_LINK_V6, REMOTE_V6, 64)),
            ("own address", solicitation(REMOTE_V6, LOCAL_V6, 255)),
        ];
        for (name, f) in cases {
            assert_eq!(link.receive(&f), Received::Ignored, "{name}");
        }
    }

    #[test]
    fn chatter_and_other_ethertypes_are_ignored() {
        let link = Link::new(LOCAL_V6.into());
        let all_routers = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);
        let rs = Icmpv6Message::Other {
            msg_type: 133,
            code: 0,
            rest_of_header: [0; 4],
            data: &[],
        };
        let rs = ethernet(
            MacAddr([0x33, 0x33, 0, 0, 0, 2]),
            EtherType::IPV6,
            &ipv6(LOCAL_LINK_V6, all_routers, 255, rs),
        );
        assert_eq!(link.receive(&rs), Received::Ignored, "router solicitation");
        let lldp = ethernet(REMOTE, EtherType(0x88cc), &[0; 40]);
        assert_eq!(link.receive(&lldp), Received::Ignored, "LLDP");
        assert_eq!(link.receive(&[0; 10]), Received::Ignored, "runt");
    }

    #[test]
    fn unreadable_ip_is_reported_for_the_interpreter_to_diagnose() {
        let link = Link::new(LOCAL_V4.into());
        let mut ip = tcp_v4(LOCAL_V4, REMOTE_V4);
        ip[32] = 0x10; // TCP data offset 1: malformed
        let f = ethernet(REMOTE, EtherType::IPV4, &ip);
        assert_eq!(link.receive(&f), Received::Packet(&ip[..]));
    }
}
