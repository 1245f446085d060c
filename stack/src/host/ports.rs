//! Port bindings: who holds which local port, Linux's rules for when two
//! bindings conflict (`inet_csk_bind_conflict`, `udp_lib_lport_inuse`), and
//! ephemeral port choice.

use crate::linux::Errno;
use crate::rng::Rng;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The addresses a binding receives for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// One address (an IPv4-mapped IPv6 address is stored as its IPv4 form).
    One(IpAddr),
    /// `0.0.0.0` on an AF_INET socket.
    Any4,
    /// `::` on an AF_INET6 socket with IPV6_V6ONLY.
    Any6Only,
    /// `::` on an AF_INET6 socket without IPV6_V6ONLY: IPv4 and IPv6.
    AnyDual,
}

impl Scope {
    /// Whether a packet for `dst` reaches this binding.
    pub fn accepts(self, dst: IpAddr) -> bool {
        match self {
            Scope::One(a) => a == dst,
            Scope::Any4 => dst.is_ipv4(),
            Scope::Any6Only => dst.is_ipv6(),
            Scope::AnyDual => true,
        }
    }

    /// Whether two bindings' address sets overlap.
    pub fn overlaps(self, other: Scope) -> bool {
        match (self, other) {
            (Scope::One(a), Scope::One(b)) => a == b,
            (Scope::One(a), s) | (s, Scope::One(a)) => s.accepts(a),
            (Scope::Any4, Scope::Any6Only) | (Scope::Any6Only, Scope::Any4) => false,
            _ => true,
        }
    }

    /// Exact-address bindings win over wildcards when several accept.
    pub fn is_exact(self) -> bool {
        matches!(self, Scope::One(_))
    }
}

/// Transport protocol of a binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Proto {
    Tcp,
    Udp,
}

/// What holds a binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    Socket(u32),
    /// A TCP connection with no socket of its own (accepted-but-queued,
    /// orphaned after close): it keeps its port until it is gone.
    Conn(u32),
}

/// One holder of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    pub owner: Owner,
    pub scope: Scope,
    pub reuse_addr: bool,
    pub reuse_port: bool,
    pub listening: bool,
}

impl Binding {
    /// Whether this existing holder keeps `new` off the port (Linux
    /// `inet_bind_conflict` as `bind` and `listen` use it): overlapping
    /// addresses conflict unless both set SO_REUSEADDR and the holder is
    /// not listening, or both set SO_REUSEPORT. Whether `new` listens does
    /// not matter, only the holder's state does.
    pub fn blocks(&self, new: &Binding) -> bool {
        if !self.scope.overlaps(new.scope) {
            return false;
        }
        let reuse_addr = self.reuse_addr && new.reuse_addr && !self.listening;
        let reuse_port = self.reuse_port && new.reuse_port;
        !(reuse_addr || reuse_port)
    }
}

/// `net.ipv4.ip_local_port_range` default (unverified).
pub const EPHEMERAL: (u16, u16) = (32768, 60999);

/// All bindings, by protocol and port.
#[derive(Clone, Debug, Default)]
pub struct Ports {
    map: BTreeMap<(Proto, u16), Vec<Binding>>,
}

impl Ports {
    /// Adds `b` on `port`, or `EADDRINUSE` if it conflicts with a holder
    /// other than its own owner.
    pub fn bind(&mut self, proto: Proto, port: u16, b: Binding) -> Result<(), Errno> {
        self.check(proto, port, &b)?;
        self.map.entry((proto, port)).or_default().push(b);
        Ok(())
    }

    /// Adds `b` without a conflict check: a connection shares the port of
    /// the listener it came from, or keeps its socket's port after close.
    pub fn hold(&mut self, proto: Proto, port: u16, b: Binding) {
        self.map.entry((proto, port)).or_default().push(b);
    }

    /// Whether `b` could be added on `port`.
    pub fn check(&self, proto: Proto, port: u16, b: &Binding) -> Result<(), Errno> {
        let holders = self.map.get(&(proto, port)).map_or(&[][..], Vec::as_slice);
        if holders.iter().any(|h| h.owner != b.owner && h.blocks(b)) {
            return Err(Errno::EADDRINUSE);
        }
        Ok(())
    }

    /// Replaces `owner`'s binding on `port` (listen() flips `listening`,
    /// an accepted connection moves from Conn to Socket ownership).
    pub fn update(&mut self, proto: Proto, port: u16, owner: Owner, f: impl FnOnce(&mut Binding)) {
        if let Some(b) = self
            .map
            .get_mut(&(proto, port))
            .and_then(|v| v.iter_mut().find(|b| b.owner == owner))
        {
            f(b);
        }
    }

    pub fn unbind(&mut self, proto: Proto, port: u16, owner: Owner) {
        if let Some(v) = self.map.get_mut(&(proto, port)) {
            v.retain(|b| b.owner != owner);
            if v.is_empty() {
                self.map.remove(&(proto, port));
            }
        }
    }

    /// The holders of a port.
    pub fn holders(&self, proto: Proto, port: u16) -> &[Binding] {
        self.map.get(&(proto, port)).map_or(&[], Vec::as_slice)
    }

    /// Picks a free ephemeral port for `b` (Linux `inet_csk_find_open_port`:
    /// a random starting point, then every port in the range once), or
    /// `EADDRINUSE` when the range is exhausted (Linux gives EADDRNOTAVAIL on
    /// connect and EADDRINUSE on bind; the caller maps it).
    pub fn pick_ephemeral(&self, proto: Proto, b: &Binding, rng: &mut Rng) -> Result<u16, Errno> {
        let (lo, hi) = EPHEMERAL;
        let span = u32::from(hi - lo) + 1;
        let start = rng.below(u64::from(span)) as u32;
        for i in 0..span {
            let port = lo + ((start + i) % span) as u16;
            if self.check(proto, port, b).is_ok()
                && !self.holders(proto, port).iter().any(|h| h.owner == b.owner)
            {
                return Ok(port);
            }
        }
        Err(Errno::EADDRINUSE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(owner: u32, scope: Scope) -> Binding {
        Binding {
            owner: Owner::Socket(owner),
            scope,
            reuse_addr: false,
            reuse_port: false,
            listening: false,
        }
    }

    fn v4(s: &str) -> Scope {
        Scope::One(s.parse().unwrap())
    }

    #[test]
    fn scopes_overlap_as_dual_stack_sockets_do() {
        let cases = [
            (Scope::Any4, Scope::Any4, true),
            (Scope::Any4, Scope::AnyDual, true),
            (Scope::Any4, Scope::Any6Only, false),
            (Scope::Any6Only, Scope::AnyDual, true),
            (v4("192.168.0.1"), Scope::Any4, true),
            (v4("192.168.0.1"), Scope::AnyDual, true),
            (v4("192.168.0.1"), Scope::Any6Only, false),
            (v4("192.168.0.1"), v4("192.168.0.2"), false),
            (Scope::One("fd3d::1".parse().unwrap()), Scope::Any4, false),
            (
                Scope::One("fd3d::1".parse().unwrap()),
                Scope::Any6Only,
                true,
            ),
        ];
        for (a, c, want) in cases {
            assert_eq!(a.overlaps(c), want, "{a:?} {c:?}");
            assert_eq!(c.overlaps(a), want, "{c:?} {a:?}");
        }
    }

    #[test]
    fn conflicts_follow_reuse_flags_and_the_holders_listen_state() {
        let mut held = b(1, Scope::Any4);
        let mut new = b(2, v4("192.168.0.1"));
        assert!(held.blocks(&new), "no flags");
        held.reuse_addr = true;
        assert!(held.blocks(&new), "only one has SO_REUSEADDR");
        new.reuse_addr = true;
        assert!(!held.blocks(&new), "both SO_REUSEADDR");
        new.listening = true;
        assert!(
            !held.blocks(&new),
            "the newcomer may listen over a bound holder"
        );
        held.listening = true;
        assert!(
            held.blocks(&new),
            "SO_REUSEADDR does not share with a listener"
        );
        held.reuse_port = true;
        new.reuse_port = true;
        assert!(!held.blocks(&new), "both SO_REUSEPORT");
    }

    #[test]
    fn bind_refuses_conflicts_and_unbind_frees() {
        let mut p = Ports::default();
        p.bind(Proto::Tcp, 80, b(1, Scope::Any4)).unwrap();
        assert_eq!(
            p.bind(Proto::Tcp, 80, b(2, Scope::AnyDual)),
            Err(Errno::EADDRINUSE)
        );
        p.bind(Proto::Tcp, 80, b(3, Scope::Any6Only)).unwrap();
        p.bind(Proto::Udp, 80, b(4, Scope::Any4)).unwrap();
        p.unbind(Proto::Tcp, 80, Owner::Socket(1));
        p.bind(Proto::Tcp, 80, b(2, v4("192.168.0.1"))).unwrap();
        assert_eq!(p.holders(Proto::Tcp, 80).len(), 2);
    }

    #[test]
    fn ephemeral_ports_are_in_range_free_and_seeded() {
        let mut p = Ports::default();
        let mut rng = Rng::new(1);
        let first = p
            .pick_ephemeral(Proto::Tcp, &b(1, Scope::Any4), &mut rng)
            .unwrap();
        assert!((EPHEMERAL.0..=EPHEMERAL.1).contains(&first));
        let again = Ports::default()
            .pick_ephemeral(Proto::Tcp, &b(1, Scope::Any4), &mut Rng::new(1))
            .unwrap();
        assert_eq!(first, again, "same seed, same port");
        p.bind(Proto::Tcp, first, b(1, Scope::Any4)).unwrap();
        let mut rng = Rng::new(1);
        let next = p
            .pick_ephemeral(Proto::Tcp, &b(2, Scope::Any4), &mut rng)
            .unwrap();
        assert_ne!(next, first, "a taken port is skipped");
    }

    #[test]
    fn an_exhausted_range_is_an_error() {
        let mut p = Ports::default();
        for port in EPHEMERAL.0..=EPHEMERAL.1 {
            p.bind(Proto::Udp, port, b(0, Scope::AnyDual)).unwrap();
        }
        let mut rng = Rng::new(5);
        assert_eq!(
            p.pick_ephemeral(Proto::Udp, &b(1, Scope::Any4), &mut rng),
            Err(Errno::EADDRINUSE)
        );
    }
}
