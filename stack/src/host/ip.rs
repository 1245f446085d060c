//! The IP layer: inbound datagrams parsed and handed to TCP, UDP or ICMP;
//! outbound segments and datagrams wrapped in an IPv4 or IPv6 header.

use super::Stack;
use crate::tcp::Segment;
use crate::wire::{
    Checksum, ChecksumMode, IpDatagram, IpProtocol, IpRepr, Ipv4Repr, Ipv6ExtHeaders, Ipv6Repr,
    TcpRepr, UdpRepr, UpperRepr, WireError,
};
use std::net::{IpAddr, SocketAddr};

/// What became of an inbound datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputOutcome {
    /// Handed to a connection, listener or socket.
    Delivered,
    /// Answered by the host itself (a RST for a closed port, an ICMP port
    /// unreachable).
    Answered,
    /// Dropped, and why.
    Dropped(DropCause),
}

/// Why the host dropped a datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropCause {
    /// It does not parse (a typed error from the codec).
    Malformed,
    /// A checksum (IPv4 header, TCP, UDP, ICMP) is wrong.
    BadChecksum,
    /// Not addressed to one of our addresses.
    NotForUs,
    /// A fragment: this host does not reassemble.
    Fragment,
    /// A protocol the host does not handle.
    Protocol,
    /// The transport layer dropped it (listen queue full, bad cookie, ...).
    Transport,
}

impl Stack {
    pub(crate) fn input(&mut self, bytes: &[u8]) -> InputOutcome {
        let d = match IpDatagram::parse(bytes, ChecksumMode::Verify) {
            Ok(d) => d,
            Err(_) => {
                self.counters.malformed += 1;
                return InputOutcome::Dropped(DropCause::Malformed);
            }
        };
        if let IpRepr::V4(v4) = &d.ip {
            // RFC 1122 §3.2.1.2: a datagram with a bad header checksum MUST
            // be silently discarded.
            if !v4.checksum.is_acceptable() {
                self.counters.bad_checksum += 1;
                return InputOutcome::Dropped(DropCause::BadChecksum);
            }
        }
        let (src, dst) = (d.ip.src_addr(), d.ip.dst_addr());
        if !self.cfg.addrs.contains(&dst) {
            self.counters.not_for_us += 1;
            return InputOutcome::Dropped(DropCause::NotForUs);
        }
        if d.ip.is_fragment() {
            return InputOutcome::Dropped(DropCause::Fragment);
        }
        let checksum_ok = match &d.upper {
            UpperRepr::Tcp(t) => t.checksum.is_acceptable(),
            UpperRepr::Udp(u) => u.checksum.is_acceptable(),
            UpperRepr::Icmpv4(i) => i.checksum.is_acceptable(),
            UpperRepr::Icmpv6(i) => i.checksum.is_acceptable(),
            UpperRepr::Raw(_) => true,
        };
        if !checksum_ok {
            // RFC 9293 §3.1 / RFC 768: segments with a bad checksum are
            // discarded.
            self.counters.bad_checksum += 1;
            return InputOutcome::Dropped(DropCause::BadChecksum);
        }
        match &d.upper {
            UpperRepr::Tcp(t) => self.tcp_input(src, dst, t),
            UpperRepr::Udp(u) => self.udp_input(bytes, &d.ip, src, dst, u),
            UpperRepr::Icmpv4(i) => self.icmpv4_input(i),
            UpperRepr::Icmpv6(i) => self.icmpv6_input(i),
            UpperRepr::Raw(_) => InputOutcome::Dropped(DropCause::Protocol),
        }
    }

    /// Wraps a TCP segment from `local` to `remote` (wire addresses).
    pub(crate) fn emit_tcp(&mut self, local: SocketAddr, remote: SocketAddr, seg: &Segment) {
        let repr = super::convert::to_repr(seg);
        self.emit(local.ip(), remote.ip(), UpperRepr::Tcp(repr), true);
    }

    /// Wraps the segment connection `c` just wrote into `seg` with
    /// [`Connection::poll_transmit_header`](crate::tcp::Connection): its
    /// payload goes from the send buffer straight into the datagram (through
    /// `seg.payload` only in the rare case that it wraps around the ring).
    pub(crate) fn emit_conn_segment(&mut self, c: u32, seg: &mut Segment) {
        let Some(e) = self.conns.get(c) else {
            return;
        };
        let (local, remote) = (e.conn.local(), e.conn.remote());
        let Some(ip) = self.ip_header(local.ip(), remote.ip(), Some(IpProtocol::TCP), true) else {
            return;
        };
        let Some(e) = self.conns.get(c) else {
            return;
        };
        let payload: &[u8] = match e.conn.staged_payload() {
            ([], _) => &seg.payload,
            (a, []) => a,
            (a, b) => {
                seg.payload.clear();
                seg.payload.extend_from_slice(a);
                seg.payload.extend_from_slice(b);
                &seg.payload
            }
        };
        let repr = TcpRepr {
            payload,
            ..super::convert::to_repr(seg)
        };
        let d = IpDatagram {
            ip,
            upper: UpperRepr::Tcp(repr),
        };
        let mut out = self.pool.pop().unwrap_or_default();
        out.resize(d.buffer_len(), 0);
        let emitted = d.emit(&mut out);
        self.push_datagram(out, emitted);
    }

    /// Wraps a UDP datagram. `connected`: the socket has a peer (Linux gives
    /// such packets an incrementing IP ID; unconnected DF packets get 0).
    pub(crate) fn emit_udp(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        payload: &[u8],
        connected: bool,
    ) {
        let repr = UdpRepr {
            src_port: local.port(),
            dst_port: remote.port(),
            checksum: Checksum::Valid,
            payload,
        };
        self.emit(local.ip(), remote.ip(), UpperRepr::Udp(repr), connected);
    }

    /// Emits a datagram.
    pub(crate) fn emit(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        upper: UpperRepr<'_>,
        counted_id: bool,
    ) {
        let protocol = upper.protocol();
        let Some(ip) = self.ip_header(src, dst, protocol, counted_id) else {
            return;
        };
        let d = IpDatagram { ip, upper };
        let mut out = self.datagram_buffer(d.buffer_len());
        let emitted = d.emit(&mut out);
        self.push_datagram(out, emitted);
    }

    /// The IP header from `src` to `dst` for an upper layer of `protocol`
    /// (`None`: raw bytes; lengths are filled in by `emit`). IPv4 packets
    /// carry DF (Linux: path MTU discovery is on by default) and, with DF,
    /// an ID from a counter for connected traffic and 0 otherwise
    /// (`ip_select_ident`). `None` for mixed families, which cannot happen:
    /// addresses are chosen per family.
    fn ip_header(
        &mut self,
        src: IpAddr,
        dst: IpAddr,
        protocol: Option<IpProtocol>,
        counted_id: bool,
    ) -> Option<IpRepr<'static>> {
        Some(match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let ident = if counted_id {
                    self.ip_ident = self.ip_ident.wrapping_add(1);
                    self.ip_ident
                } else {
                    0
                };
                IpRepr::V4(Ipv4Repr {
                    ident,
                    ttl: self.cfg.ttl,
                    ..Ipv4Repr::new(s, d, protocol.unwrap_or(IpProtocol(255)))
                })
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => IpRepr::V6(Ipv6Repr {
                src: s,
                dst: d,
                traffic_class: 0,
                flow_label: 0,
                hop_limit: self.cfg.ttl,
                ext_headers: Ipv6ExtHeaders::NONE,
                next_header: protocol.unwrap_or(IpProtocol::NO_NEXT_HEADER),
                payload_len: 0,
            }),
            _ => return None,
        })
    }

    /// Queues an emitted datagram of `emitted` bytes, or takes its buffer
    /// back if emitting failed.
    fn push_datagram(&mut self, mut out: Vec<u8>, emitted: Result<usize, WireError>) {
        match emitted {
            Ok(n) => {
                out.truncate(n);
                self.outbound.push_back(out);
            }
            Err(_) => self.recycle(out),
        }
    }

    /// Our address to send to `remote` from: the first configured address
    /// of the same family (RFC 1122 §3.3.4.2 source selection, one
    /// interface).
    pub(crate) fn source_for(&self, remote: IpAddr) -> Option<IpAddr> {
        self.cfg
            .addrs
            .iter()
            .copied()
            .find(|a| a.is_ipv4() == remote.is_ipv4())
    }

    pub(crate) fn is_local(&self, ip: IpAddr) -> bool {
        self.cfg.addrs.contains(&ip)
    }
}
