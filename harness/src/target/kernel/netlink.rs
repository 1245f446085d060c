//! Just enough rtnetlink to configure the run's links, addresses, routes and
//! neighbours (the equivalent of `ip link set … address … up mtu …`, `ip addr
//! add …`, `ip route add … via …`, `ip neigh replace … lladdr … nud
//! permanent`), without running `ip` several times per run.
//!
//! Messages are built as bytes here and sent on a netlink socket opened in
//! the run's namespace; every request asks for an acknowledgement and a
//! negative one is an error naming the request. Layouts are those of
//! `<linux/netlink.h>` and `<linux/rtnetlink.h>` (native byte order).

use super::sys;
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::IpAddr;

const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_ACK: u16 = 0x4;
const NLM_F_REPLACE: u16 = 0x100;
const NLM_F_EXCL: u16 = 0x200;
const NLM_F_CREATE: u16 = 0x400;
const RTM_NEWLINK: u16 = 16;
const RTM_NEWADDR: u16 = 20;
const RTM_NEWROUTE: u16 = 24;
const RTM_GETROUTE: u16 = 26;
const RTM_NEWNEIGH: u16 = 28;
const IFF_UP: u32 = 0x1;
const IFLA_ADDRESS: u16 = 1;
const IFLA_MTU: u16 = 4;
const NDA_DST: u16 = 1;
const NDA_LLADDR: u16 = 2;
const NUD_PERMANENT: u16 = 0x80;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_FLAGS: u16 = 8;
const IFA_F_NODAD: u32 = 0x02;
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RT_TABLE_MAIN: u8 = 254;
const RTPROT_BOOT: u8 = 3;
const RT_SCOPE_UNIVERSE: u8 = 0;
const RT_SCOPE_LINK: u8 = 253;
const RTN_UNICAST: u8 = 1;
const RTN_LOCAL: u8 = 2;
const NLMSG_HDRLEN: usize = 16;

fn family(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => libc::AF_INET as u8,
        IpAddr::V6(_) => libc::AF_INET6 as u8,
    }
}

fn addr_bytes(addr: IpAddr) -> Vec<u8> {
    match addr {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// One request being built: header, fixed body, attributes.
struct Request {
    buf: Vec<u8>,
}

impl Request {
    /// A request that asks for an acknowledgement.
    fn new(ty: u16, flags: u16, body: &[u8]) -> Self {
        Self::with_flags(ty, flags | NLM_F_ACK, body)
    }

    fn with_flags(ty: u16, flags: u16, body: &[u8]) -> Self {
        let mut buf = vec![0u8; NLMSG_HDRLEN];
        buf[4..6].copy_from_slice(&ty.to_ne_bytes());
        buf[6..8].copy_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
        buf.extend_from_slice(body);
        buf.resize(align4(buf.len()), 0);
        Request { buf }
    }

    fn attr(mut self, ty: u16, payload: &[u8]) -> Self {
        let len = 4 + payload.len();
        self.buf.extend_from_slice(&(len as u16).to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(payload);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    /// The finished message with its length and sequence number filled in.
    fn finish(mut self, seq: u32) -> Vec<u8> {
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        self.buf
    }
}

/// `struct ifinfomsg` setting (or clearing) IFF_UP.
fn link_request(index: u32, up: bool, mtu: Option<u32>) -> Request {
    let mut body = [0u8; 16];
    body[0] = libc::AF_UNSPEC as u8;
    body[4..8].copy_from_slice(&index.to_ne_bytes());
    body[8..12].copy_from_slice(&(if up { IFF_UP } else { 0 }).to_ne_bytes());
    body[12..16].copy_from_slice(&IFF_UP.to_ne_bytes());
    let req = Request::new(RTM_NEWLINK, 0, &body);
    match mtu {
        Some(m) => req.attr(IFLA_MTU, &m.to_ne_bytes()),
        None => req,
    }
}

/// `struct ifinfomsg` setting link `index`'s hardware address (flags untouched).
fn link_address_request(index: u32, mac: [u8; 6]) -> Request {
    let mut body = [0u8; 16];
    body[0] = libc::AF_UNSPEC as u8;
    body[4..8].copy_from_slice(&index.to_ne_bytes());
    Request::new(RTM_NEWLINK, 0, &body).attr(IFLA_ADDRESS, &mac)
}

/// `struct ndmsg` making `addr` a permanent neighbour at `mac` on link
/// `index`: never resolved, never probed, never expired.
fn neighbour_request(index: u32, addr: IpAddr, mac: [u8; 6]) -> Request {
    let mut body = [0u8; 12];
    body[0] = family(addr);
    body[4..8].copy_from_slice(&index.to_ne_bytes());
    body[8..10].copy_from_slice(&NUD_PERMANENT.to_ne_bytes());
    Request::new(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, &body)
        .attr(NDA_DST, &addr_bytes(addr))
        .attr(NDA_LLADDR, &mac)
}

/// `struct ifaddrmsg` adding `addr/prefix`; an IPv6 address skips duplicate
/// address detection (RFC 4862 §5.4), so it is usable at once.
fn address_request(index: u32, addr: IpAddr, prefix: u8) -> Request {
    let flags = if addr.is_ipv6() { IFA_F_NODAD } else { 0 };
    let mut body = [0u8; 8];
    body[0] = family(addr);
    body[1] = prefix;
    body[2] = flags as u8;
    body[3] = RT_SCOPE_UNIVERSE;
    body[4..8].copy_from_slice(&index.to_ne_bytes());
    let bytes = addr_bytes(addr);
    Request::new(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &body)
        .attr(IFA_LOCAL, &bytes)
        .attr(IFA_ADDRESS, &bytes)
        .attr(IFA_FLAGS, &flags.to_ne_bytes())
}

/// `struct rtmsg` adding a host route to `dst` out of `index`, through
/// `gateway` when there is one.
fn route_request(index: u32, dst: IpAddr, gateway: Option<IpAddr>) -> Request {
    let host_len = match dst {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    let body = [
        family(dst),
        host_len,
        0,
        0,
        RT_TABLE_MAIN,
        RTPROT_BOOT,
        if gateway.is_some() {
            RT_SCOPE_UNIVERSE
        } else {
            RT_SCOPE_LINK
        },
        RTN_UNICAST,
        0,
        0,
        0,
        0,
    ];
    let req = Request::new(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &body)
        .attr(RTA_DST, &addr_bytes(dst))
        .attr(RTA_OIF, &index.to_ne_bytes());
    match gateway {
        Some(gw) => req.attr(RTA_GATEWAY, &addr_bytes(gw)),
        None => req,
    }
}

/// `struct rtmsg` asking how the kernel would route a packet to `dst`.
fn route_lookup_request(dst: IpAddr) -> Request {
    let host_len = if dst.is_ipv6() { 128 } else { 32 };
    let mut body = [0u8; 12];
    body[0] = family(dst);
    body[1] = host_len;
    Request::with_flags(RTM_GETROUTE, 0, &body).attr(RTA_DST, &addr_bytes(dst))
}

/// The `rtm_type` of the route the kernel answered request `seq` with:
/// `Ok(None)` if `reply` holds no answer to it, `Err(errno)` for an error.
fn parse_route_type(reply: &[u8], seq: u32) -> Result<Option<u8>, i32> {
    let mut at = 0;
    while let Some(header) = reply.get(at..at + NLMSG_HDRLEN) {
        let len = u32::from_ne_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let ty = u16::from_ne_bytes([header[4], header[5]]);
        let this = u32::from_ne_bytes([header[8], header[9], header[10], header[11]]);
        if len < NLMSG_HDRLEN {
            return Err(libc::EBADMSG);
        }
        if this == seq {
            if ty == NLMSG_ERROR {
                return parse_ack(&reply[at..], seq).map(|_| None);
            }
            if ty == RTM_NEWROUTE {
                return reply
                    .get(at + NLMSG_HDRLEN + 7)
                    .copied()
                    .map(Some)
                    .ok_or(libc::EBADMSG);
            }
        }
        at += align4(len);
    }
    Ok(None)
}

/// What the kernel answered to the request numbered `seq`: `Ok(Some(()))` for
/// an acknowledgement, `Ok(None)` if `reply` holds no answer to it,
/// `Err(errno)` for a refusal.
fn parse_ack(reply: &[u8], seq: u32) -> Result<Option<()>, i32> {
    let mut at = 0;
    while let Some(header) = reply.get(at..at + NLMSG_HDRLEN) {
        let word =
            |i: usize| u32::from_ne_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
        let len = word(0) as usize;
        let ty = u16::from_ne_bytes([header[4], header[5]]);
        if len < NLMSG_HDRLEN {
            return Err(libc::EBADMSG);
        }
        if ty == NLMSG_ERROR && word(8) == seq {
            let code = reply
                .get(at + NLMSG_HDRLEN..at + NLMSG_HDRLEN + 4)
                .ok_or(libc::EBADMSG)?;
            let code = i32::from_ne_bytes([code[0], code[1], code[2], code[3]]);
            return if code == 0 { Ok(Some(())) } else { Err(-code) };
        }
        at += align4(len);
    }
    Ok(None)
}

/// An rtnetlink socket of the namespace it was opened in.
pub struct Rtnl {
    sock: File,
    seq: u32,
}

impl Rtnl {
    /// Opens the socket; call from a thread inside the target namespace.
    pub fn open() -> io::Result<Rtnl> {
        Ok(Rtnl {
            sock: File::from(sys::netlink_route_socket()?),
            seq: 0,
        })
    }

    fn request(&mut self, what: &str, req: Request) -> io::Result<()> {
        self.seq += 1;
        let msg = req.finish(self.seq);
        self.sock.write_all(&msg)?;
        let mut reply = vec![0u8; 8192];
        loop {
            let n = self.sock.read(&mut reply)?;
            match parse_ack(&reply[..n], self.seq) {
                Ok(Some(())) => return Ok(()),
                Ok(None) => continue,
                Err(errno) => {
                    let e = io::Error::from_raw_os_error(errno);
                    return Err(io::Error::new(e.kind(), format!("{what}: {e}")));
                }
            }
        }
    }

    /// Whether packets to `addr` are delivered locally yet. IPv6 makes an
    /// address usable from a workqueue some time after acknowledging it
    /// (even without DAD), so set-up waits for this before the run starts.
    pub fn is_local(&mut self, addr: IpAddr) -> io::Result<bool> {
        self.seq += 1;
        self.sock
            .write_all(&route_lookup_request(addr).finish(self.seq))?;
        let mut reply = vec![0u8; 8192];
        loop {
            let n = self.sock.read(&mut reply)?;
            match parse_route_type(&reply[..n], self.seq) {
                Ok(Some(ty)) => return Ok(ty == RTN_LOCAL),
                Ok(None) => continue,
                Err(libc::ENETUNREACH) | Err(libc::EHOSTUNREACH) => return Ok(false),
                Err(errno) => return Err(io::Error::from_raw_os_error(errno)),
            }
        }
    }

    /// Brings link `index` up, setting its MTU if given.
    pub fn link_up(&mut self, index: u32, mtu: Option<u32>) -> io::Result<()> {
        self.request(
            &format!("set link {index} up (mtu {mtu:?})"),
            link_request(index, true, mtu),
        )
    }

    /// Sets link `index`'s MAC address.
    pub fn set_link_address(&mut self, index: u32, mac: [u8; 6]) -> io::Result<()> {
        self.request(
            &format!("set link {index} address {mac:02x?}"),
            link_address_request(index, mac),
        )
    }

    /// Makes `addr` a permanent neighbour at `mac` on link `index`.
    pub fn add_neighbour(&mut self, index: u32, addr: IpAddr, mac: [u8; 6]) -> io::Result<()> {
        self.request(
            &format!("add permanent neighbour {addr} on link {index}"),
            neighbour_request(index, addr, mac),
        )
    }

    pub fn add_address(&mut self, index: u32, addr: IpAddr, prefix: u8) -> io::Result<()> {
        self.request(
            &format!("add address {addr}/{prefix} on link {index}"),
            address_request(index, addr, prefix),
        )
    }

    pub fn add_route(
        &mut self,
        index: u32,
        dst: IpAddr,
        gateway: Option<IpAddr>,
    ) -> io::Result<()> {
        self.request(
            &format!("add route to {dst} via {gateway:?} on link {index}"),
            route_request(index, dst, gateway),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u16_at(b: &[u8], i: usize) -> u16 {
        u16::from_ne_bytes([b[i], b[i + 1]])
    }
    fn u32_at(b: &[u8], i: usize) -> u32 {
        u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
    }

    #[test]
    fn address_request_is_laid_out_as_rtnetlink_expects() {
        let msg = address_request(2, "192.168.0.1".parse().unwrap(), 16).finish(7);
        // nlmsghdr(16) + ifaddrmsg(8) + IFA_LOCAL(8) + IFA_ADDRESS(8) + IFA_FLAGS(8)
        assert_eq!(msg.len(), 48);
        assert_eq!(u32_at(&msg, 0), 48);
        assert_eq!(u16_at(&msg, 4), RTM_NEWADDR);
        assert_eq!(
            u16_at(&msg, 6),
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
        );
        assert_eq!(u32_at(&msg, 8), 7);
        assert_eq!(msg[16], libc::AF_INET as u8);
        assert_eq!(msg[17], 16);
        assert_eq!(u32_at(&msg, 20), 2);
        assert_eq!((u16_at(&msg, 24), u16_at(&msg, 26)), (8, IFA_LOCAL));
        assert_eq!(&msg[28..32], &[192, 168, 0, 1]);
        assert_eq!((u16_at(&msg, 40), u16_at(&msg, 42)), (8, IFA_FLAGS));
        assert_eq!(u32_at(&msg, 44), 0);
        let v6 = address_request(2, "fd3d:a0b:17d6::1".parse().unwrap(), 48).finish(1);
        assert_eq!(v6[18], IFA_F_NODAD as u8);
        assert_eq!(u32_at(&v6, v6.len() - 4), IFA_F_NODAD);
    }

    #[test]
    fn route_request_carries_gateway_and_host_prefix() {
        let dst: IpAddr = "fd3d:fa7b:d17d::1".parse().unwrap();
        let gw: IpAddr = "fd3d:a0b:17d6:8888::1".parse().unwrap();
        let msg = route_request(3, dst, Some(gw)).finish(1);
        // nlmsghdr(16) + rtmsg(12) + RTA_DST(20) + RTA_OIF(8) + RTA_GATEWAY(20)
        assert_eq!(msg.len(), 76);
        assert_eq!(msg[16], libc::AF_INET6 as u8);
        assert_eq!(msg[17], 128);
        assert_eq!(msg[20], RT_TABLE_MAIN);
        assert_eq!((u16_at(&msg, 28), u16_at(&msg, 30)), (20, RTA_DST));
        assert_eq!((u16_at(&msg, 56), u16_at(&msg, 58)), (20, RTA_GATEWAY));
        let no_gw = route_request(3, "192.0.2.1".parse().unwrap(), None).finish(1);
        assert_eq!(no_gw[17], 32);
        assert_eq!(no_gw[22], RT_SCOPE_LINK);
    }

    #[test]
    fn link_request_changes_only_the_up_flag() {
        let msg = link_request(1, true, Some(1520)).finish(1);
        assert_eq!(u32_at(&msg, 20), 1);
        assert_eq!(u32_at(&msg, 24), IFF_UP);
        assert_eq!(u32_at(&msg, 28), IFF_UP);
        assert_eq!((u16_at(&msg, 32), u16_at(&msg, 34)), (8, IFLA_MTU));
        assert_eq!(u32_at(&msg, 36), 1520);
    }

    #[test]
    fn link_address_request_sets_only_the_address() {
        let mac = [2, 0, 0, 0, 0, 1];
        let msg = link_address_request(4, mac).finish(3);
        // nlmsghdr(16) + ifinfomsg(16) + IFLA_ADDRESS(4 + 6, padded to 12)
        assert_eq!(msg.len(), 44);
        assert_eq!(u16_at(&msg, 4), RTM_NEWLINK);
        assert_eq!(u32_at(&msg, 20), 4);
        assert_eq!(
            (u32_at(&msg, 24), u32_at(&msg, 28)),
            (0, 0),
            "flags, change"
        );
        assert_eq!((u16_at(&msg, 32), u16_at(&msg, 34)), (10, IFLA_ADDRESS));
        assert_eq!(&msg[36..42], &mac);
    }

    #[test]
    fn neighbour_request_is_permanent_and_replaces() {
        let mac = [2, 0, 0, 0, 0, 2];
        let msg = neighbour_request(5, "192.0.2.1".parse().unwrap(), mac).finish(2);
        // nlmsghdr(16) + ndmsg(12) + NDA_DST(8) + NDA_LLADDR(12)
        assert_eq!(msg.len(), 48);
        assert_eq!(u16_at(&msg, 4), RTM_NEWNEIGH);
        assert_eq!(
            u16_at(&msg, 6),
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE
        );
        assert_eq!(msg[16], libc::AF_INET as u8);
        assert_eq!(u32_at(&msg, 20), 5);
        assert_eq!(u16_at(&msg, 24), NUD_PERMANENT);
        assert_eq!((u16_at(&msg, 28), u16_at(&msg, 30)), (8, NDA_DST));
        assert_eq!(&msg[32..36], &[192, 0, 2, 1]);
        assert_eq!((u16_at(&msg, 36), u16_at(&msg, 38)), (10, NDA_LLADDR));
        assert_eq!(&msg[40..46], &mac);
        let v6 = neighbour_request(5, "fd3d:fa7b:d17d::1".parse().unwrap(), mac).finish(2);
        assert_eq!(v6[16], libc::AF_INET6 as u8);
        assert_eq!(v6.len(), 16 + 12 + 20 + 12);
    }

    fn error_message(seq: u32, code: i32) -> Vec<u8> {
        // struct nlmsgerr: the error, then the header of the request it answers.
        let mut body = code.to_ne_bytes().to_vec();
        body.extend_from_slice(&[0; NLMSG_HDRLEN]);
        Request::new(NLMSG_ERROR, 0, &body).finish(seq)
    }

    #[test]
    fn route_lookup_answers_are_read() {
        let lookup = route_lookup_request("192.0.2.1".parse().unwrap()).finish(9);
        assert_eq!(
            u16_at(&lookup, 6),
            NLM_F_REQUEST,
            "a lookup asks for no ack"
        );
        assert_eq!(u16_at(&lookup, 4), RTM_GETROUTE);
        let mut body = [0u8; 12];
        body[7] = RTN_LOCAL;
        let answer = Request::with_flags(RTM_NEWROUTE, 0, &body).finish(9);
        assert_eq!(parse_route_type(&answer, 9), Ok(Some(RTN_LOCAL)));
        assert_eq!(parse_route_type(&answer, 8), Ok(None));
        let refused = error_message(9, -libc::ENETUNREACH);
        assert_eq!(parse_route_type(&refused, 9), Err(libc::ENETUNREACH));
        assert_eq!(
            parse_route_type(&answer[..NLMSG_HDRLEN + 3], 9),
            Err(libc::EBADMSG)
        );
    }

    #[test]
    fn acks_refusals_and_garbage_are_told_apart() {
        assert_eq!(parse_ack(&error_message(5, 0), 5), Ok(Some(())));
        assert_eq!(
            parse_ack(&error_message(5, -libc::EEXIST), 5),
            Err(libc::EEXIST)
        );
        assert_eq!(parse_ack(&error_message(4, 0), 5), Ok(None));
        assert_eq!(parse_ack(&[], 5), Ok(None));
        assert_eq!(
            parse_ack(&[3, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0], 5),
            Err(libc::EBADMSG)
        );
        let truncated = &error_message(5, 0)[..NLMSG_HDRLEN + 2];
        assert_eq!(parse_ack(truncated, 5), Err(libc::EBADMSG));
    }
}
