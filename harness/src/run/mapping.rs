//! Translation between script numbering and live numbering.
//!
//! A script names things as the script's author saw them: the stack's
//! sequence numbers relative to its ISN, its TS values relative to the first
//! one it sent, fds as `socket()` returned them in the author's run, and no
//! ports at all. The target speaks live values. This module alone knows how
//! one becomes the other; the interpreter asks it in both directions.
//!
//! packetdrill's conventions, which it follows:
//! - on a SYN or SYN-ACK line, sequence and ack numbers are written in full:
//!   the SYN's own number is that side's ISN in the script (the harness
//!   sends its ISN as written; the stack's is learned from its first SYN and
//!   stands for whatever the script wrote there, `0` or `1234`);
//! - on every other line, each number counts from its side's ISN: `1:1(0)
//!   ack 1` after `< S. 123:123(0)` means the byte after the harness's ISN
//!   123 and the byte after the stack's ISN, whatever the live ISNs are;
//! - inbound `seq`, SACK blocks of outbound packets and outbound `ack` are
//!   the harness's numbers; outbound `seq`, inbound `ack`, inbound SACK
//!   blocks and quoted ICMP sequence numbers are the stack's;
//! - TS `val` of inbound packets is used as written; the stack's TS values
//!   are shifted by the offset learned from the first TS option it sends;
//!   an inbound TS `ecr` (on a segment with ACK) names a TS val an earlier
//!   outbound line wrote and becomes the live value that packet carried; a
//!   value no line wrote is an error unless `--tcp_ts_ecr_scaled` says to
//!   shift it by the first offset;
//! - each new passive connection gets a fresh remote port; an active one
//!   takes the ports of the SYN the stack sends;
//! - netdrill's one extension (harness/SCRIPT-EXTENSIONS.md): a line with
//!   `(port N)` belongs to the connection whose remote port is N (made on
//!   first use, on the port of the socket under test), with its own ISNs and
//!   TS offset; it does not change which connection port-less lines address.

use std::collections::BTreeMap;

/// First remote port the harness uses for connections it opens.
pub const FIRST_REMOTE_PORT: u16 = 40_000;

/// Transport protocol of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Proto {
    Tcp,
    Udp,
}

/// Index of a flow in [`Mapping`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowId(pub usize);

/// One connection (TCP) or port pair (UDP) between the stack and the harness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    pub proto: Proto,
    /// The stack's port.
    pub local_port: u16,
    /// The harness's port.
    pub remote_port: u16,
    /// The stack opened it (connect/sendto) rather than the harness.
    pub active: bool,
    /// The stack's initial sequence number, once seen.
    pub local_isn: Option<u32>,
    /// What the script calls the stack's ISN (the number on the outbound
    /// SYN line that taught `local_isn`).
    pub local_script_isn: u32,
    /// The harness's ISN (sent as the script wrote it on its SYN line).
    pub remote_isn: Option<u32>,
    /// live TS val − script TS val, for the stack's timestamps, once seen.
    pub ts_offset: Option<u32>,
    /// Every TS val an outbound line wrote → the live value of that packet.
    pub ts_vals: BTreeMap<u32, u32>,
    /// The live fd the stack's socket for this flow has, once known.
    pub live_fd: Option<i32>,
    /// The live sequence number of the last TCP segment the stack sent (what
    /// an inbound ICMP error quotes when its line does not say).
    pub last_out_seq: Option<u32>,
    /// A `(port N)` line named this connection: it is part of the script's
    /// conversation even while it has no socket (never passed over).
    pub named: bool,
}

/// What inbound packets go to: what the script touched last.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Current {
    /// Nothing yet.
    None,
    /// A socket with no flow yet (socket/bind/listen), with its port if known.
    Socket {
        live_fd: i32,
        proto: Proto,
        port: Option<u16>,
        listening: bool,
    },
    /// A flow.
    Flow(FlowId),
}

/// All script ↔ live translations for one run.
#[derive(Clone, Debug)]
pub struct Mapping {
    flows: Vec<Flow>,
    current: Current,
    next_remote_port: u16,
    /// The port a `bind(..., ...)` and an unaddressed inbound packet use.
    default_local_port: u16,
    /// The remote port an active open goes to (`--connect_port`).
    connect_port: u16,
    /// Listening sockets: live fd → port.
    listeners: BTreeMap<i32, u16>,
    /// script fd → live fd.
    fds: BTreeMap<i32, i32>,
}

impl Mapping {
    pub fn new(bind_port: u16, connect_port: u16) -> Self {
        Mapping {
            flows: Vec::new(),
            current: Current::None,
            next_remote_port: FIRST_REMOTE_PORT,
            default_local_port: bind_port,
            connect_port,
            listeners: BTreeMap::new(),
            fds: BTreeMap::new(),
        }
    }

    pub fn flow(&self, id: FlowId) -> &Flow {
        &self.flows[id.0]
    }

    pub fn flows(&self) -> &[Flow] {
        &self.flows
    }

    pub fn current(&self) -> Current {
        self.current
    }

    pub fn bind_port(&self) -> u16 {
        self.default_local_port
    }

    pub fn connect_port(&self) -> u16 {
        self.connect_port
    }

    // ---- file descriptors ----------------------------------------------

    /// Records that the fd the script calls `script_fd` is `live_fd` live.
    pub fn bind_fd(&mut self, script_fd: i32, live_fd: i32) {
        self.fds.insert(script_fd, live_fd);
    }

    /// The live fd for a script fd; an fd the script never got from a call
    /// (a deliberately bad one, `-1`) is passed through unchanged.
    pub fn live_fd(&self, script_fd: i32) -> i32 {
        self.fds.get(&script_fd).copied().unwrap_or(script_fd)
    }

    /// The script fd for a live fd (for outputs such as epoll data and revents).
    pub fn script_fd(&self, live_fd: i32) -> i32 {
        self.fds
            .iter()
            .find(|&(_, &l)| l == live_fd)
            .map(|(&s, _)| s)
            .unwrap_or(live_fd)
    }

    /// Forgets a closed fd (the number can be handed out again).
    pub fn close_fd(&mut self, script_fd: i32) {
        if let Some(live) = self.fds.remove(&script_fd) {
            self.listeners.remove(&live);
            for f in &mut self.flows {
                if f.live_fd == Some(live) {
                    f.live_fd = None;
                }
            }
            if let Current::Socket { live_fd, .. } = self.current {
                if live_fd == live {
                    self.current = Current::None;
                }
            }
        }
    }

    // ---- sockets the script creates -------------------------------------

    /// `socket()` returned `live_fd`: it becomes the socket under test.
    pub fn socket_created(&mut self, live_fd: i32, proto: Proto) {
        self.current = Current::Socket {
            live_fd,
            proto,
            port: None,
            listening: false,
        };
    }

    /// `bind()` gave `live_fd` this port.
    pub fn socket_bound(&mut self, live_fd: i32, port: u16) {
        if let Current::Socket {
            live_fd: cur,
            port: p,
            ..
        } = &mut self.current
        {
            if *cur == live_fd {
                *p = Some(port);
            }
        }
    }

    /// `listen()` succeeded on `live_fd`.
    pub fn socket_listening(&mut self, live_fd: i32, proto: Proto) {
        let port = match self.current {
            Current::Socket {
                live_fd: cur,
                port: Some(p),
                ..
            } if cur == live_fd => p,
            _ => self.default_local_port,
        };
        self.listeners.insert(live_fd, port);
        self.current = Current::Socket {
            live_fd,
            proto,
            port: Some(port),
            listening: true,
        };
    }

    /// `accept()` on `listener_fd` returned `live_fd`, for the peer at
    /// `peer_port` when the call reported it: the passive flow from that
    /// port (the accept queue is in order of handshake completion, which
    /// the script does not say), else the oldest passive flow of that
    /// listener's port that has no socket yet.
    pub fn accepted(&mut self, listener_fd: i32, live_fd: i32, peer_port: Option<u16>) {
        let port = self.listeners.get(&listener_fd).copied();
        let waiting =
            |f: &Flow| !f.active && f.live_fd.is_none() && port.is_none_or(|p| f.local_port == p);
        let by_peer = peer_port.and_then(|peer| {
            self.flows
                .iter()
                .position(|f| waiting(f) && f.proto == Proto::Tcp && f.remote_port == peer)
        });
        let flow = by_peer
            .or_else(|| self.flows.iter().position(waiting))
            .map(|i| (i, &mut self.flows[i]));
        if let Some((i, f)) = flow {
            f.live_fd = Some(live_fd);
            self.current = Current::Flow(FlowId(i));
        }
    }

    /// The live fd of the socket under test, for `%{ }%` blocks.
    pub fn socket_under_test(&self) -> Option<i32> {
        match self.current {
            Current::None => None,
            Current::Socket { live_fd, .. } => Some(live_fd),
            Current::Flow(id) => self.flows[id.0].live_fd,
        }
    }

    // ---- flows ----------------------------------------------------------

    fn new_flow(
        &mut self,
        proto: Proto,
        local_port: u16,
        remote_port: u16,
        active: bool,
    ) -> FlowId {
        self.flows.push(Flow {
            proto,
            local_port,
            remote_port,
            active,
            local_isn: None,
            local_script_isn: 0,
            remote_isn: None,
            ts_offset: None,
            ts_vals: BTreeMap::new(),
            live_fd: None,
            last_out_seq: None,
            named: false,
        });
        let id = FlowId(self.flows.len() - 1);
        self.current = Current::Flow(id);
        id
    }

    /// The next remote port no flow of `proto` uses yet (a port a `(port N)`
    /// line took is skipped).
    fn fresh_remote_port(&mut self, proto: Proto) -> u16 {
        let mut port = self.next_remote_port;
        for _ in 0..=usize::from(u16::MAX - FIRST_REMOTE_PORT) {
            port = self.next_remote_port;
            self.next_remote_port = self
                .next_remote_port
                .checked_add(1)
                .unwrap_or(FIRST_REMOTE_PORT);
            if !self
                .flows
                .iter()
                .any(|f| f.proto == proto && f.remote_port == port)
            {
                break;
            }
        }
        port
    }

    /// The stack's port that new inbound traffic goes to: that of the
    /// socket or connection under test.
    fn local_port_under_test(&self) -> u16 {
        match self.current {
            Current::Flow(id) => self.flows[id.0].local_port,
            Current::Socket { port, .. } => port.unwrap_or(self.default_local_port),
            Current::None => self.default_local_port,
        }
    }

    /// The flow an inbound line goes to: with `(port N)`, the connection
    /// whose remote port is N; otherwise the connection under test.
    pub fn flow_for_inbound_line(&mut self, proto: Proto, port: Option<u16>) -> FlowId {
        match port {
            Some(p) => self.flow_for_named_port(proto, p),
            None => self.flow_for_inbound(proto),
        }
    }

    /// The connection a `(port N)` line names: the flow of `proto` from
    /// remote port N to the port under test, made on first use (a new
    /// passive connection, or for UDP the socket under test's datagrams).
    /// Which connection port-less lines address does not change.
    pub fn flow_for_named_port(&mut self, proto: Proto, remote_port: u16) -> FlowId {
        let local = self.local_port_under_test();
        let found = self
            .flows
            .iter()
            .position(|f| f.proto == proto && f.remote_port == remote_port && f.local_port == local)
            // A connection the stack opened to that port (active open).
            .or_else(|| {
                self.flows
                    .iter()
                    .position(|f| f.active && f.proto == proto && f.remote_port == remote_port)
            });
        if let Some(i) = found {
            self.flows[i].named = true;
            return FlowId(i);
        }
        let current = self.current;
        let udp_socket = match current {
            Current::Socket { live_fd, .. } if proto == Proto::Udp => Some(live_fd),
            _ => None,
        };
        let id = self.new_flow(proto, local, remote_port, false);
        self.flows[id.0].named = true;
        self.flows[id.0].live_fd = udp_socket;
        self.current = current;
        id
    }

    /// The flow an inbound packet the script writes belongs to.
    pub fn flow_for_inbound(&mut self, proto: Proto) -> FlowId {
        match self.current {
            // As in packetdrill, everything goes to the connection under test
            // (a SYN too: that is how scripts test SYNs on live connections);
            // only a listening socket under test starts a new connection.
            Current::Flow(id) if self.flows[id.0].proto == proto => id,
            Current::Flow(id) => {
                let port = self.flows[id.0].local_port;
                let remote = self.fresh_remote_port(proto);
                self.new_flow(proto, port, remote, false)
            }
            Current::Socket { live_fd, port, .. } => {
                let port = port.unwrap_or(self.default_local_port);
                let remote = self.fresh_remote_port(proto);
                let id = self.new_flow(proto, port, remote, false);
                self.flows[id.0].live_fd = match proto {
                    // A UDP socket is the flow's socket; a TCP listener is not.
                    Proto::Udp => Some(live_fd),
                    Proto::Tcp => None,
                };
                id
            }
            Current::None => {
                let port = self.default_local_port;
                let remote = self.fresh_remote_port(proto);
                self.new_flow(proto, port, remote, false)
            }
        }
    }

    /// The flow with these live ports, if there is one.
    pub fn find_flow(&self, proto: Proto, local_port: u16, remote_port: u16) -> Option<FlowId> {
        self.flows
            .iter()
            .position(|f| {
                f.proto == proto && f.local_port == local_port && f.remote_port == remote_port
            })
            .map(FlowId)
    }

    /// The flow an outbound packet with these live ports belongs to; a packet
    /// of a flow never seen before opens one (an active open, or a reply to
    /// something the harness sent before any socket existed).
    pub fn flow_for_outbound(&mut self, proto: Proto, local_port: u16, remote_port: u16) -> FlowId {
        if let Some(id) = self.find_flow(proto, local_port, remote_port) {
            return id;
        }
        let live_fd = match self.current {
            Current::Socket { live_fd, .. } => Some(live_fd),
            _ => None,
        };
        let id = self.new_flow(proto, local_port, remote_port, true);
        self.flows[id.0].live_fd = live_fd;
        id
    }

    /// Learns what an outbound packet teaches: the stack's ISN from its
    /// first SYN (which the script calls `script_syn_seq`), its TS offset
    /// from the first TS val it sends.
    pub fn learn_outbound(
        &mut self,
        id: FlowId,
        syn: bool,
        seq: u32,
        script_syn_seq: Option<u32>,
        ts: Option<(u32, u32)>,
    ) {
        let f = &mut self.flows[id.0];
        f.last_out_seq = Some(seq);
        if syn && f.local_isn.is_none() {
            f.local_isn = Some(seq);
            f.local_script_isn = script_syn_seq.unwrap_or(0);
        }
        if let Some((live_val, script_val)) = ts {
            f.ts_vals.insert(script_val, live_val);
            f.ts_offset.get_or_insert(live_val.wrapping_sub(script_val));
        }
    }

    /// Learns the harness's ISN from the first SYN line it sends.
    pub fn learn_remote_isn(&mut self, id: FlowId, seq: u32) {
        self.flows[id.0].remote_isn.get_or_insert(seq);
    }

    // ---- numbers ----------------------------------------------------------

    fn isn(&self, id: FlowId) -> u32 {
        self.flows[id.0].local_isn.unwrap_or(0)
    }

    fn remote_isn(&self, id: FlowId) -> u32 {
        self.flows[id.0].remote_isn.unwrap_or(0)
    }

    /// A stack's sequence number (outbound `seq`) in script numbering, as a
    /// SYN line (`syn_line`) or any other line writes it.
    pub fn local_seq_to_script(&self, id: FlowId, live: u32, syn_line: bool) -> u32 {
        let off = live.wrapping_sub(self.isn(id));
        if syn_line {
            off.wrapping_add(self.flows[id.0].local_script_isn)
        } else {
            off
        }
    }

    /// A script number naming the stack's bytes (inbound `ack`, inbound SACK
    /// edges, quoted sequence numbers) in live numbering.
    pub fn local_seq_to_live(&self, id: FlowId, script: u32, syn_line: bool) -> u32 {
        let off = if syn_line {
            script.wrapping_sub(self.flows[id.0].local_script_isn)
        } else {
            script
        };
        off.wrapping_add(self.isn(id))
    }

    /// A script number naming the harness's bytes (inbound `seq`) in live
    /// numbering: as written on a SYN line, from the harness's ISN otherwise.
    pub fn remote_seq_to_live(&self, id: FlowId, script: u32, syn_line: bool) -> u32 {
        if syn_line {
            script
        } else {
            script.wrapping_add(self.remote_isn(id))
        }
    }

    /// A live number naming the harness's bytes (outbound `ack`, outbound
    /// SACK edges) in script numbering.
    pub fn remote_seq_to_script(&self, id: FlowId, live: u32, syn_line: bool) -> u32 {
        if syn_line {
            live
        } else {
            live.wrapping_sub(self.remote_isn(id))
        }
    }

    /// An inbound TS `ecr` (echoing the stack's TS val) in live numbering:
    /// the live value of the outbound packet whose line wrote that TS val;
    /// failing that, with `scaled` (`--tcp_ts_ecr_scaled`), shifted by the
    /// offset of the first TS val. `None`: the script's value means nothing
    /// live (packetdrill refuses such a packet).
    pub fn ts_ecr_to_live(&self, id: FlowId, script: u32, scaled: bool) -> Option<u32> {
        let f = &self.flows[id.0];
        if let Some(live) = f.ts_vals.get(&script) {
            return Some(*live);
        }
        let off = f.ts_offset.filter(|_| scaled)?;
        Some(script.wrapping_add(off))
    }

    /// An outbound TS `val` in script numbering (once the offset is known).
    pub fn ts_val_to_script(&self, id: FlowId, live: u32) -> u32 {
        match self.flows[id.0].ts_offset {
            Some(off) => live.wrapping_sub(off),
            None => live,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping() -> Mapping {
        Mapping::new(8080, 8080)
    }

    #[test]
    fn passive_open_gets_a_fresh_remote_port_and_learns_the_isn_from_the_syn_ack() {
        let mut m = mapping();
        m.socket_created(3, Proto::Tcp);
        m.socket_bound(3, 8080);
        m.socket_listening(3, Proto::Tcp);
        let id = m.flow_for_inbound(Proto::Tcp);
        assert_eq!(m.flow(id).local_port, 8080);
        assert_eq!(m.flow(id).remote_port, FIRST_REMOTE_PORT);
        // SYN-ACK with live ISN 0xfffffff0 (wraps).
        let out = m.flow_for_outbound(Proto::Tcp, 8080, FIRST_REMOTE_PORT);
        assert_eq!(out, id);
        m.learn_outbound(out, true, 0xffff_fff0, Some(0), None);
        assert_eq!(m.local_seq_to_script(id, 0xffff_fff1, false), 1);
        assert_eq!(m.local_seq_to_script(id, 0x0000_0010, false), 0x20);
        assert_eq!(
            m.local_seq_to_live(id, 1001, false),
            0xffff_fff0u32.wrapping_add(1001)
        );
        // A later SYN (a retransmitted SYN-ACK) does not relearn.
        m.learn_outbound(out, true, 5, Some(0), None);
        assert_eq!(m.local_seq_to_script(id, 0xffff_fff1, false), 1);
    }

    #[test]
    fn every_inbound_packet_goes_to_the_connection_under_test() {
        let mut m = mapping();
        m.socket_created(3, Proto::Tcp);
        m.socket_listening(3, Proto::Tcp);
        let a = m.flow_for_inbound(Proto::Tcp);
        assert_eq!(m.flow_for_inbound(Proto::Tcp), a, "SYN retransmission");
        assert_eq!(
            m.flow_for_inbound(Proto::Tcp),
            a,
            "final ACK of the handshake"
        );
        m.accepted(3, 4, None);
        assert_eq!(m.flow(a).live_fd, Some(4));
        assert_eq!(m.current(), Current::Flow(a));
        assert_eq!(m.socket_under_test(), Some(4));
        // A SYN on the established connection is for that connection.
        assert_eq!(m.flow_for_inbound(Proto::Tcp), a);
        // A UDP datagram while a TCP connection is under test gets its own flow.
        let u = m.flow_for_inbound(Proto::Udp);
        assert_ne!(u, a);
        assert_eq!(m.flow(u).remote_port, FIRST_REMOTE_PORT + 1);
    }

    #[test]
    fn a_new_listener_starts_a_new_connection_even_while_an_old_one_lives() {
        let mut m = mapping();
        m.socket_created(3, Proto::Tcp);
        m.socket_listening(3, Proto::Tcp);
        let a = m.flow_for_inbound(Proto::Tcp);
        m.flow_for_inbound(Proto::Tcp);
        m.accepted(3, 4, None);
        m.close_fd(3); // not bound in fds: nothing happens, the listener stays
        m.socket_created(3, Proto::Tcp);
        m.socket_listening(3, Proto::Tcp);
        let b = m.flow_for_inbound(Proto::Tcp);
        assert_ne!(a, b);
        assert_ne!(m.flow(a).remote_port, m.flow(b).remote_port);
    }

    #[test]
    fn active_open_takes_the_ports_of_the_stacks_syn() {
        let mut m = mapping();
        m.socket_created(3, Proto::Tcp);
        let id = m.flow_for_outbound(Proto::Tcp, 33_000, 8080);
        m.learn_outbound(id, true, 1_000_000, Some(0), Some((77_000, 700)));
        assert!(m.flow(id).active);
        assert_eq!(m.flow(id).live_fd, Some(3));
        assert_eq!(m.current(), Current::Flow(id));
        // Inbound now goes to that flow.
        assert_eq!(m.flow_for_inbound(Proto::Tcp), id);
        assert_eq!(m.local_seq_to_live(id, 1, false), 1_000_001);
        // TS: live 77000 is script 700; an inbound ecr of 700 means live 77000.
        assert_eq!(m.ts_ecr_to_live(id, 700, false), Some(77_000));
        // A value no line wrote: shifted only with --tcp_ts_ecr_scaled.
        assert_eq!(m.ts_ecr_to_live(id, 710, false), None);
        assert_eq!(m.ts_ecr_to_live(id, 710, true), Some(77_010));
        assert_eq!(m.ts_val_to_script(id, 77_100), 800);
        // A later line wrote 800 for a packet whose live val was 77_095 (the
        // stack's clock is not the script's): ecr 800 echoes that packet.
        m.learn_outbound(id, false, 1_000_001, None, Some((77_095, 800)));
        assert_eq!(m.ts_ecr_to_live(id, 800, false), Some(77_095));
        assert_eq!(m.ts_ecr_to_live(id, 800, true), Some(77_095));
        assert_eq!(
            m.ts_val_to_script(id, 77_095),
            795,
            "the first offset stays"
        );
    }

    #[test]
    fn syn_lines_name_the_isns_and_other_lines_count_from_them() {
        // packetdrill's TFO client: `> S 0:0(0)`, `< S. 123:123(0) ack 1`,
        // `> . 1:1(0) ack 1` acks the harness's byte 124.
        let mut m = mapping();
        m.socket_created(3, Proto::Tcp);
        let id = m.flow_for_outbound(Proto::Tcp, 33_000, 8080);
        m.learn_outbound(id, true, 7_000_000, Some(0), None);
        m.learn_remote_isn(id, 123);
        assert_eq!(
            m.remote_seq_to_live(id, 123, true),
            123,
            "the SYN-ACK goes out as written"
        );
        assert_eq!(m.local_seq_to_live(id, 1, true), 7_000_001);
        assert_eq!(
            m.remote_seq_to_script(id, 124, false),
            1,
            "outbound ack 124 is `ack 1`"
        );
        assert_eq!(
            m.remote_seq_to_live(id, 1, false),
            124,
            "inbound `1:1(0)` is byte 124"
        );
        // packetdrill's TFO server: `< S 999000:999040(40)`,
        // `> S. 1234:1234(0) ack 999001`, `< . 1:1(0) ack 1`.
        let mut m = mapping();
        m.socket_created(3, Proto::Tcp);
        m.socket_listening(3, Proto::Tcp);
        let id = m.flow_for_inbound(Proto::Tcp);
        m.learn_remote_isn(id, 999_000);
        m.learn_outbound(id, true, 55, Some(1234), None);
        assert_eq!(
            m.local_seq_to_script(id, 55, true),
            1234,
            "the SYN-ACK line's seq names the ISN"
        );
        assert_eq!(
            m.remote_seq_to_script(id, 999_001, true),
            999_001,
            "its ack is written in full"
        );
        assert_eq!(m.remote_seq_to_live(id, 1, false), 999_001);
        assert_eq!(
            m.local_seq_to_live(id, 1, false),
            56,
            "`ack 1` is the byte after the stack's ISN"
        );
        assert_eq!(m.local_seq_to_script(id, 56, false), 1);
        // A second SYN does not move the ISNs.
        m.learn_remote_isn(id, 5);
        assert_eq!(m.remote_seq_to_live(id, 1, false), 999_001);
    }

    #[test]
    fn unknown_isn_and_ts_offset_leave_numbers_as_written() {
        let mut m = mapping();
        let id = m.flow_for_inbound(Proto::Tcp);
        assert_eq!(m.local_seq_to_live(id, 1, false), 1);
        assert_eq!(m.local_seq_to_script(id, 1, false), 1);
        assert_eq!(m.remote_seq_to_live(id, 1, false), 1);
        assert_eq!(m.ts_ecr_to_live(id, 9, true), None, "no TS val seen yet");
    }

    #[test]
    fn fds_map_both_ways_and_unknown_fds_pass_through() {
        let mut m = mapping();
        m.bind_fd(3, 7);
        m.bind_fd(4, 9);
        assert_eq!(m.live_fd(3), 7);
        assert_eq!(m.script_fd(9), 4);
        assert_eq!(m.live_fd(-1), -1);
        assert_eq!(m.live_fd(100), 100);
        m.close_fd(3);
        assert_eq!(m.live_fd(3), 3);
    }

    #[test]
    fn udp_socket_flow_carries_the_socket() {
        let mut m = mapping();
        m.socket_created(3, Proto::Udp);
        m.socket_bound(3, 5353);
        let id = m.flow_for_inbound(Proto::Udp);
        assert_eq!(m.flow(id).local_port, 5353);
        assert_eq!(m.flow(id).live_fd, Some(3));
        assert_eq!(
            m.flow_for_outbound(Proto::Udp, 5353, m.flow(id).remote_port),
            id
        );
    }

    proptest::proptest! {
        /// Whatever the stack's ISN and TS clock, script → live → script is
        /// the identity, including across the 2^32 wrap.
        #[test]
        fn numbers_round_trip(isn: u32, ts_live: u32, ts_script: u32, x: u32) {
            let mut m = mapping();
            let id = m.flow_for_outbound(Proto::Tcp, 1, 2);
            m.learn_outbound(id, true, isn, Some(x ^ 0x5555), Some((ts_live, ts_script)));
            m.learn_remote_isn(id, ts_live ^ isn);
            for syn in [false, true] {
                proptest::prop_assert_eq!(m.local_seq_to_script(id, m.local_seq_to_live(id, x, syn), syn), x);
                proptest::prop_assert_eq!(m.remote_seq_to_script(id, m.remote_seq_to_live(id, x, syn), syn), x);
            }
            let live = m.ts_ecr_to_live(id, x, true);
            proptest::prop_assert_eq!(live.map(|l| m.ts_val_to_script(id, l)), Some(x));
            proptest::prop_assert_eq!(m.local_seq_to_script(id, isn, false), 0);
            proptest::prop_assert_eq!(m.local_seq_to_script(id, isn, true), x ^ 0x5555);
            proptest::prop_assert_eq!(m.ts_val_to_script(id, ts_live), ts_script);
        }
    }

    #[test]
    fn named_ports_are_connections_of_their_own_and_leave_the_one_under_test() {
        let mut m = mapping();
        m.socket_created(3, Proto::Tcp);
        m.socket_bound(3, 8080);
        m.socket_listening(3, Proto::Tcp);
        // Two handshakes on one listener, from two named remote ports.
        let a = m.flow_for_inbound_line(Proto::Tcp, Some(40_001));
        let b = m.flow_for_inbound_line(Proto::Tcp, Some(40_002));
        assert_ne!(a, b);
        assert_eq!(
            (m.flow(a).local_port, m.flow(a).remote_port),
            (8080, 40_001)
        );
        assert_eq!(
            (m.flow(b).local_port, m.flow(b).remote_port),
            (8080, 40_002)
        );
        assert!(m.flow(a).named && m.flow(b).named && !m.flow(a).active);
        assert_eq!(m.flow_for_inbound_line(Proto::Tcp, Some(40_001)), a);
        // The listener is still what port-less lines address: a port-less
        // SYN starts a third connection, on a port no named one took.
        assert!(matches!(
            m.current(),
            Current::Socket {
                listening: true,
                ..
            }
        ));
        m.next_remote_port = 40_001;
        let c = m.flow_for_inbound_line(Proto::Tcp, None);
        assert_eq!(m.flow(c).remote_port, 40_003);
        assert!(!m.flow(c).named);
        assert_eq!(m.current(), Current::Flow(c));
        // Each has its own ISNs.
        m.learn_outbound(a, true, 1000, Some(0), None);
        m.learn_outbound(b, true, 9000, Some(0), None);
        m.learn_remote_isn(a, 0);
        m.learn_remote_isn(b, 500);
        assert_eq!(m.local_seq_to_live(a, 1, false), 1001);
        assert_eq!(m.local_seq_to_live(b, 1, false), 9001);
        assert_eq!(m.remote_seq_to_live(b, 1, false), 501);
        // The stack's packets find their connection by live ports.
        assert_eq!(m.flow_for_outbound(Proto::Tcp, 8080, 40_002), b);
        // accept() names its peer: the second connection completed first.
        m.accepted(3, 4, Some(40_002));
        assert_eq!(m.flow(b).live_fd, Some(4));
        // Without a peer, the oldest connection without a socket.
        m.accepted(3, 5, None);
        assert_eq!(m.flow(a).live_fd, Some(5));
        // Once a connection is under test, a named line goes to the named
        // connection on the same local port, not to the one under test.
        assert_eq!(m.current(), Current::Flow(a));
        assert_eq!(m.flow_for_inbound_line(Proto::Tcp, Some(40_002)), b);
        assert_eq!(m.current(), Current::Flow(a));
    }

    #[test]
    fn a_named_port_on_a_new_listener_is_a_new_connection() {
        let mut m = mapping();
        m.socket_created(3, Proto::Tcp);
        m.socket_bound(3, 8080);
        m.socket_listening(3, Proto::Tcp);
        let a = m.flow_for_inbound_line(Proto::Tcp, Some(40_001));
        m.socket_created(4, Proto::Tcp);
        m.socket_bound(4, 8081);
        m.socket_listening(4, Proto::Tcp);
        let b = m.flow_for_inbound_line(Proto::Tcp, Some(40_001));
        assert_ne!(a, b);
        assert_eq!(m.flow(b).local_port, 8081);
        // An active open is found by the port it connected to.
        m.socket_created(5, Proto::Tcp);
        let c = m.flow_for_outbound(Proto::Tcp, 33_000, 9090);
        assert_eq!(m.flow_for_inbound_line(Proto::Tcp, Some(9090)), c);
    }

    #[test]
    fn a_named_udp_port_is_the_socket_under_tests_datagrams() {
        let mut m = mapping();
        m.socket_created(3, Proto::Udp);
        m.socket_bound(3, 5353);
        let id = m.flow_for_inbound_line(Proto::Udp, Some(7000));
        assert_eq!(
            (m.flow(id).local_port, m.flow(id).remote_port),
            (5353, 7000)
        );
        assert_eq!(m.flow(id).live_fd, Some(3));
    }

    #[test]
    fn remote_ports_wrap_instead_of_overflowing() {
        let mut m = mapping();
        m.next_remote_port = u16::MAX;
        assert_eq!(m.fresh_remote_port(Proto::Tcp), u16::MAX);
        assert_eq!(m.fresh_remote_port(Proto::Tcp), FIRST_REMOTE_PORT);
    }
}
