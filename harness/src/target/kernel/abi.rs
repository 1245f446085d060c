//! Socket addresses and control messages as the bytes Linux reads and writes
//! (x86_64 / LP64 layouts of `<netinet/in.h>` and `<sys/socket.h>`).

use netdrill_stack::linux;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::target::Cmsg;

/// Room for any socket address (`sizeof(struct sockaddr_storage)`).
pub const SOCKADDR_STORAGE_LEN: usize = 128;
const SOCKADDR_IN_LEN: usize = 16;
const SOCKADDR_IN6_LEN: usize = 28;
/// `sizeof(struct cmsghdr)`: `size_t cmsg_len; int cmsg_level; int cmsg_type`.
const CMSG_HDR_LEN: usize = 16;

/// `struct sockaddr_in` or `struct sockaddr_in6`.
pub fn encode_sockaddr(addr: &SocketAddr) -> Vec<u8> {
    match addr {
        SocketAddr::V4(a) => {
            let mut b = vec![0u8; SOCKADDR_IN_LEN];
            b[0..2].copy_from_slice(&(linux::AF_INET as u16).to_ne_bytes());
            b[2..4].copy_from_slice(&a.port().to_be_bytes());
            b[4..8].copy_from_slice(&a.ip().octets());
            b
        }
        SocketAddr::V6(a) => {
            let mut b = vec![0u8; SOCKADDR_IN6_LEN];
            b[0..2].copy_from_slice(&(linux::AF_INET6 as u16).to_ne_bytes());
            b[2..4].copy_from_slice(&a.port().to_be_bytes());
            b[4..8].copy_from_slice(&a.flowinfo().to_be_bytes());
            b[8..24].copy_from_slice(&a.ip().octets());
            b[24..28].copy_from_slice(&a.scope_id().to_ne_bytes());
            b
        }
    }
}

/// The address in the first `len` bytes of `bytes`, if it is an INET or
/// INET6 one of the right size (anything else: `None`).
pub fn decode_sockaddr(bytes: &[u8], len: usize) -> Option<SocketAddr> {
    let b = bytes.get(..len)?;
    let family = i64::from(u16::from_ne_bytes([*b.first()?, *b.get(1)?]));
    let port = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
    if family == linux::AF_INET && len >= SOCKADDR_IN_LEN {
        let ip = Ipv4Addr::new(b[4], b[5], b[6], b[7]);
        Some(SocketAddr::V4(SocketAddrV4::new(ip, port)))
    } else if family == linux::AF_INET6 && len >= SOCKADDR_IN6_LEN {
        let flowinfo = u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
        let mut octets = [0u8; 16];
        octets.copy_from_slice(&b[8..24]);
        let scope = u32::from_ne_bytes([b[24], b[25], b[26], b[27]]);
        Some(SocketAddr::V6(SocketAddrV6::new(
            Ipv6Addr::from(octets),
            port,
            flowinfo,
            scope,
        )))
    } else {
        None
    }
}

fn cmsg_align(n: usize) -> usize {
    (n + 7) & !7
}

/// The control buffer for `cmsgs` (`CMSG_SPACE` each, `cmsg_len` =
/// `CMSG_LEN(data)`), as sendmsg reads it.
pub fn encode_cmsgs(cmsgs: &[Cmsg]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in cmsgs {
        let start = out.len();
        out.extend_from_slice(&((CMSG_HDR_LEN + c.data.len()) as u64).to_ne_bytes());
        out.extend_from_slice(&c.level.to_ne_bytes());
        out.extend_from_slice(&c.ty.to_ne_bytes());
        out.extend_from_slice(&c.data);
        out.resize(start + cmsg_align(CMSG_HDR_LEN + c.data.len()), 0);
    }
    out
}

/// The control messages in a buffer recvmsg filled (`len` bytes of it), as
/// `CMSG_FIRSTHDR`/`CMSG_NXTHDR` walk it; a truncated last message keeps the
/// bytes that are there.
pub fn decode_cmsgs(buf: &[u8], len: usize) -> Vec<Cmsg> {
    let buf = &buf[..len.min(buf.len())];
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(h) = buf.get(at..at + CMSG_HDR_LEN) {
        let mut word = [0u8; 8];
        word.copy_from_slice(&h[0..8]);
        let cmsg_len = u64::from_ne_bytes(word) as usize;
        if cmsg_len < CMSG_HDR_LEN {
            break;
        }
        let level = i32::from_ne_bytes([h[8], h[9], h[10], h[11]]);
        let ty = i32::from_ne_bytes([h[12], h[13], h[14], h[15]]);
        let room = buf.len() - at;
        out.push(Cmsg {
            level,
            ty,
            data: buf[at + CMSG_HDR_LEN..at + cmsg_len.min(room)].to_vec(),
        });
        if cmsg_len >= room {
            break;
        }
        at += cmsg_align(cmsg_len);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddrs_round_trip_with_linux_layout() {
        let v4: SocketAddr = "192.0.2.1:8080".parse().unwrap();
        let b = encode_sockaddr(&v4);
        assert_eq!(b, [2, 0, 0x1f, 0x90, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(decode_sockaddr(&b, b.len()), Some(v4));

        let v6 = SocketAddr::V6(SocketAddrV6::new(
            "fd3d:fa7b:d17d::1".parse().unwrap(),
            443,
            0x12345,
            0,
        ));
        let b = encode_sockaddr(&v6);
        assert_eq!(b.len(), 28);
        assert_eq!(&b[0..8], &[10, 0, 1, 0xbb, 0, 1, 0x23, 0x45]);
        assert_eq!(decode_sockaddr(&b, 28), Some(v6));
        let mapped: SocketAddr = "[::ffff:192.0.2.1]:80".parse().unwrap();
        assert_eq!(decode_sockaddr(&encode_sockaddr(&mapped), 28), Some(mapped));
    }

    #[test]
    fn odd_sockaddrs_decode_to_none() {
        let v6 = encode_sockaddr(&"[::1]:1".parse().unwrap());
        assert_eq!(decode_sockaddr(&v6, 16), None, "truncated sockaddr_in6");
        assert_eq!(decode_sockaddr(&[1, 0, 0, 0], 4), None, "AF_UNIX");
        assert_eq!(decode_sockaddr(&[], 0), None);
        assert_eq!(decode_sockaddr(&[2, 0], 40), None, "length past buffer");
    }

    #[test]
    fn cmsgs_round_trip_with_padding() {
        let cmsgs = vec![
            Cmsg {
                level: 0,
                ty: 1,
                data: vec![0xaa; 4],
            },
            Cmsg {
                level: 41,
                ty: 67,
                data: vec![1, 2, 3, 4, 5, 6, 7, 8, 9],
            },
        ];
        let buf = encode_cmsgs(&cmsgs);
        assert_eq!(buf.len(), 24 + 32);
        assert_eq!(&buf[0..8], &20u64.to_ne_bytes());
        assert_eq!(&buf[24..32], &25u64.to_ne_bytes());
        assert_eq!(decode_cmsgs(&buf, buf.len()), cmsgs);
    }

    #[test]
    fn truncated_or_bogus_control_buffers_do_not_panic() {
        let buf = encode_cmsgs(&[Cmsg {
            level: 1,
            ty: 2,
            data: vec![7; 12],
        }]);
        let cut = decode_cmsgs(&buf, 20);
        assert_eq!(
            cut,
            vec![Cmsg {
                level: 1,
                ty: 2,
                data: vec![7; 4]
            }]
        );
        assert_eq!(decode_cmsgs(&buf, 8), vec![]);
        assert_eq!(decode_cmsgs(&[0u8; 32], 32), vec![], "cmsg_len 0");
        assert_eq!(decode_cmsgs(&buf, 1000).len(), 1, "len past buffer");
        let mut huge = buf.clone();
        huge[0..8].copy_from_slice(&u64::MAX.to_ne_bytes());
        assert_eq!(
            decode_cmsgs(&huge, huge.len())[0].data.len(),
            16,
            "cmsg_len overflows"
        );
    }
}
