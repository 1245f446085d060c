//! UDP sockets (RFC 768): a queue of whole datagrams per socket, the
//! connected peer, and the pending error a connected socket reports after an
//! ICMP error (RFC 1122 §4.1.3.3: "UDP MUST pass to the application layer all
//! ICMP error messages that it receives from the IP layer").
//!
//! Addressing, demultiplexing and emission live in the host layer; this
//! module owns what one socket holds.

use crate::linux::Errno;
use std::collections::VecDeque;
use std::net::SocketAddr;

/// Largest UDP payload over IPv4 (65535 − 20 − 8); larger sends are
/// `EMSGSIZE`.
pub const MAX_PAYLOAD_V4: usize = 65_507;
/// Largest UDP payload over IPv6 without jumbograms (65535 − 8).
pub const MAX_PAYLOAD_V6: usize = 65_527;

/// Bytes charged against the receive buffer per queued datagram besides its
/// payload, standing in for Linux's `skb->truesize` overhead (unverified: the
/// kernel's figure depends on allocator rounding).
pub const DATAGRAM_OVERHEAD: usize = 256;

/// One received datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    pub from: SocketAddr,
    pub data: Vec<u8>,
}

/// What a receive call got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// The bytes copied to the caller (at most the buffer length).
    pub data: Vec<u8>,
    /// The datagram's full length (what `MSG_TRUNC` makes recv return).
    pub full_len: usize,
    pub from: SocketAddr,
}

impl Received {
    pub fn truncated(&self) -> bool {
        self.data.len() < self.full_len
    }
}

/// The state of one UDP socket besides its addresses.
#[derive(Clone, Debug, Default)]
pub struct UdpSocket {
    queue: VecDeque<Datagram>,
    /// Bytes charged for the queue (payload + overhead per datagram).
    charged: usize,
    /// `SO_RCVBUF` as the kernel stores it (already doubled).
    pub rcvbuf: usize,
    /// Datagrams dropped because the buffer was full (`/proc/net/snmp`
    /// RcvbufErrors).
    pub drops: u64,
}

impl UdpSocket {
    pub fn new(rcvbuf: usize) -> Self {
        UdpSocket {
            rcvbuf,
            ..UdpSocket::default()
        }
    }

    /// Queues a datagram; false if it was dropped because the receive buffer
    /// is full (Linux `__udp_enqueue_schedule_skb`: drop when the memory
    /// already charged exceeds `sk_rcvbuf`, so one datagram always fits in an
    /// empty queue).
    pub fn deliver(&mut self, from: SocketAddr, data: Vec<u8>) -> bool {
        if self.charged > self.rcvbuf {
            self.drops += 1;
            return false;
        }
        self.charged += data.len() + DATAGRAM_OVERHEAD;
        self.queue.push_back(Datagram { from, data });
        true
    }

    /// Takes (or with `peek`, copies) the first datagram, cut to `len`
    /// bytes. The rest of a cut datagram is discarded: datagram boundaries
    /// are kept (RFC 768 delivers whole datagrams).
    pub fn recv(&mut self, len: usize, peek: bool) -> Result<Received, Errno> {
        let first = self.queue.front().ok_or(Errno::EAGAIN)?;
        let full_len = first.data.len();
        let got = Received {
            data: first.data[..full_len.min(len)].to_vec(),
            full_len,
            from: first.from,
        };
        if !peek {
            self.queue.pop_front();
            self.charged -= full_len + DATAGRAM_OVERHEAD;
        }
        Ok(got)
    }

    /// `FIONREAD` on a UDP socket: the size of the first datagram
    /// (Linux `udp_ioctl` SIOCINQ), 0 when none.
    pub fn next_len(&self) -> usize {
        self.queue.front().map_or(0, |d| d.data.len())
    }

    pub fn is_readable(&self) -> bool {
        !self.queue.is_empty()
    }

    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Drops everything queued (on close).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.charged = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> SocketAddr {
        "192.0.2.1:9".parse().unwrap()
    }

    #[test]
    fn boundaries_are_kept_and_truncation_reported() {
        let mut s = UdpSocket::new(1 << 16);
        assert!(s.deliver(addr(), vec![1; 10]));
        assert!(s.deliver(addr(), vec![2; 3]));
        assert_eq!(s.next_len(), 10);
        let r = s.recv(4, false).unwrap();
        assert_eq!(r.data, [1; 4]);
        assert_eq!(r.full_len, 10);
        assert!(r.truncated());
        // The rest of the first datagram is gone; the second is whole.
        let r = s.recv(100, false).unwrap();
        assert_eq!((r.data.as_slice(), r.full_len), (&[2u8; 3][..], 3));
        assert_eq!(s.recv(100, false), Err(Errno::EAGAIN));
    }

    #[test]
    fn peek_leaves_the_datagram_queued() {
        let mut s = UdpSocket::new(1 << 16);
        s.deliver(addr(), vec![7; 5]);
        assert_eq!(s.recv(2, true).unwrap().data, [7; 2]);
        assert_eq!(s.recv(10, false).unwrap().data, [7; 5]);
        assert!(!s.is_readable());
    }

    #[test]
    fn zero_length_datagrams_are_datagrams() {
        let mut s = UdpSocket::new(1 << 16);
        s.deliver(addr(), Vec::new());
        assert!(s.is_readable());
        let r = s.recv(10, false).unwrap();
        assert_eq!((r.data.len(), r.full_len), (0, 0));
    }

    #[test]
    fn a_full_buffer_drops_and_counts() {
        let mut s = UdpSocket::new(1000);
        assert!(s.deliver(addr(), vec![0; 900]), "fits: nothing charged yet");
        assert!(!s.deliver(addr(), vec![0; 1]), "over the limit");
        assert_eq!(s.drops, 1);
        s.recv(2000, false).unwrap();
        assert!(s.deliver(addr(), vec![0; 1]), "room again");
        s.clear();
        assert!(!s.is_readable());
    }
}
