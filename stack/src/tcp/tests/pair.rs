//! Two connections over a lossy virtual link: end-to-end checks of the
//! engine alone (the host's two-stack simulation exercises the full stack).

use proptest::prelude::*;

use super::*;
use crate::tcp::Shutdown;

/// A tiny deterministic generator (SplitMix64) for the link's choices.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
}

/// Link behaviour.
#[derive(Clone, Copy, Debug)]
pub struct LinkCfg {
    pub loss: u64,
    pub dup: u64,
    pub delay_ms: u64,
    pub jitter_ms: u64,
    pub seed: u64,
}

impl LinkCfg {
    pub fn clean() -> LinkCfg {
        LinkCfg {
            loss: 0,
            dup: 0,
            delay_ms: 10,
            jitter_ms: 0,
            seed: 1,
        }
    }
}

/// Client (active open) and server (passive open) with a link between them.
pub struct Pair {
    pub a: Connection,
    pub b: Option<Connection>,
    pub t: Instant,
    cfg: LinkCfg,
    rng: Lcg,
    /// (deliver at, to the server?, segment)
    flight: Vec<(Instant, bool, Segment)>,
    pub profile: Profile,
}

fn server_open() -> Open {
    Open {
        local: remote(),
        remote: local(),
        iss: SeqNumber(IRS),
        ts_offset: 12345,
    }
}

impl Pair {
    pub fn new(p: &Profile, cfg: LinkCfg) -> Pair {
        let a = Connection::connect(ms(0), open(), p, &SockOpts::default());
        Pair {
            a,
            b: None,
            t: ms(0),
            cfg,
            rng: Lcg(cfg.seed),
            flight: Vec::new(),
            profile: *p,
        }
    }

    fn emit(&mut self) {
        let t = self.t;
        let mut out: Vec<(bool, Segment)> = Vec::new();
        while let Some(s) = self.a.poll_transmit(t) {
            out.push((true, s));
        }
        if let Some(b) = self.b.as_mut() {
            while let Some(s) = b.poll_transmit(t) {
                out.push((false, s));
            }
        }
        for (to_b, s) in out {
            if self.rng.chance(self.cfg.loss) {
                continue;
            }
            let copies = if self.rng.chance(self.cfg.dup) { 2 } else { 1 };
            for _ in 0..copies {
                let jitter = match self.cfg.jitter_ms {
                    0 => 0,
                    j => self.rng.next() % (j + 1),
                };
                let at = t + dur_ms(self.cfg.delay_ms + jitter);
                self.flight.push((at, to_b, s.clone()));
            }
        }
    }

    fn deliver_due(&mut self) {
        let t = self.t;
        let mut due: Vec<(Instant, bool, Segment)> = Vec::new();
        let mut i = 0;
        while i < self.flight.len() {
            if self.flight[i].0 <= t {
                due.push(self.flight.remove(i));
            } else {
                i += 1;
            }
        }
        due.sort_by_key(|d| d.0);
        for (_, to_b, s) in due {
            if to_b {
                match self.b.as_mut() {
                    Some(b) => {
                        b.on_segment(t, &s);
                    }
                    None if s.flags == SYN => {
                        let so = SockOpts::default();
                        self.b = Some(Connection::accept_syn(
                            t,
                            server_open(),
                            &s,
                            &self.profile,
                            &so,
                        ));
                    }
                    None => {}
                }
            } else {
                self.a.on_segment(t, &s);
            }
        }
    }

    /// Advances to the next event (delivery or timer); false when idle.
    pub fn step(&mut self) -> bool {
        self.check();
        self.emit();
        let mut next = self.flight.iter().map(|f| f.0).min();
        for p in [self.a.poll_at(), self.b.as_ref().and_then(|b| b.poll_at())] {
            next = match (next, p) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
        }
        let Some(next) = next else { return false };
        self.t = self.t.max(next);
        self.deliver_due();
        self.check();
        self.emit();
        true
    }

    fn check(&self) {
        if let Err(e) = self.a.check_invariants() {
            panic!("client at {}: {e}", self.t);
        }
        if let Some(Err(e)) = self.b.as_ref().map(|b| b.check_invariants()) {
            panic!("server at {}: {e}", self.t);
        }
    }

    pub fn b(&mut self) -> &mut Connection {
        self.b.as_mut().expect("server exists")
    }
}

/// Transfers `data` from client to server (client writes, then closes; the
/// server reads to EOF, then closes) and returns what the server read.
fn transfer(p: &Profile, cfg: LinkCfg, data: &[u8]) -> (Vec<u8>, Pair) {
    let mut pair = Pair::new(p, cfg);
    let mut written = 0;
    let mut got = Vec::new();
    let mut a_closed = false;
    let mut b_closed = false;
    let mut buf = vec![0u8; 65536];
    for _ in 0..2_000_000 {
        if written < data.len() {
            if let Ok(n) = pair.a.send(pair.t, &data[written..]) {
                written += n;
            }
        } else if !a_closed {
            pair.a.close(pair.t);
            a_closed = true;
        }
        if let Some(b) = pair.b.as_mut() {
            loop {
                match b.recv(pair.t, &mut buf) {
                    Ok(0) => {
                        if !b_closed {
                            b.close(pair.t);
                            b_closed = true;
                        }
                        break;
                    }
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(_) => break,
                }
            }
        }
        if !pair.step() {
            break;
        }
    }
    (got, pair)
}

#[test]
fn clean_link_transfer_and_close() {
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    for p in [Profile::linux(), Profile::rfc(), bare(Profile::rfc())] {
        let (got, mut pair) = transfer(&p, LinkCfg::clean(), &data);
        assert!(
            got == data,
            "{:?}: got {} of {} bytes",
            p.kind,
            got.len(),
            data.len()
        );
        // The active closer ends in TIME-WAIT (then CLOSED), the other in CLOSED.
        assert_eq!(pair.a.state(), State::Closed);
        assert_eq!(pair.b().state(), State::Closed);
        assert!(pair.a.take_error().is_none() && pair.b().take_error().is_none());
    }
}

#[test]
fn simultaneous_open_and_close_between_two_connections() {
    // RFC 9293 §3.5 (MUST-10) Figure 8 and §3.6 Figure 13.
    let p = Profile::linux();
    let so = SockOpts::default();
    let mut a = Connection::connect(ms(0), open(), &p, &so);
    let mut b = Connection::connect(ms(0), server_open(), &p, &so);
    let syn_a = recv!(a, ms(0));
    let syn_b = recv!(b, ms(0));
    send!(a, ms(5), syn_b);
    send!(b, ms(5), syn_a);
    assert_eq!(
        (a.state(), b.state()),
        (State::SynReceived, State::SynReceived)
    );
    let sa_a = recv!(a, ms(5));
    let sa_b = recv!(b, ms(5));
    assert_eq!(sa_a.flags, SYN | ACK);
    assert_eq!(sa_a.seq, SeqNumber(ISS), "SYN-ACK repeats the ISS");
    assert_eq!(send!(a, ms(10), sa_b), SegmentOutcome::Established);
    assert_eq!(send!(b, ms(10), sa_a), SegmentOutcome::Established);
    // Simultaneous close: FINs cross.
    a.close(ms(20));
    b.close(ms(20));
    let fa = recv!(a, ms(20));
    let fb = recv!(b, ms(20));
    while a.poll_transmit(ms(20)).is_some() {}
    while b.poll_transmit(ms(20)).is_some() {}
    send!(a, ms(25), fb);
    send!(b, ms(25), fa);
    assert_eq!((a.state(), b.state()), (State::Closing, State::Closing));
    let ack_a = recv!(a, ms(25));
    let ack_b = recv!(b, ms(25));
    send!(a, ms(30), ack_b);
    send!(b, ms(30), ack_a);
    assert_eq!((a.state(), b.state()), (State::TimeWait, State::TimeWait));
}

#[test]
fn half_close_lets_the_other_direction_continue() {
    // RFC 9293 §3.6.1: after our FIN, data from the peer is still delivered.
    let p = Profile::linux();
    let mut pair = Pair::new(&p, LinkCfg::clean());
    while pair.b.is_none() || pair.a.state() != State::Established {
        assert!(pair.step());
    }
    pair.a.shutdown(pair.t, Shutdown::Write).unwrap();
    for _ in 0..20 {
        pair.step();
    }
    assert_eq!(pair.a.state(), State::FinWait2);
    assert_eq!(pair.b().state(), State::CloseWait);
    let t = pair.t;
    let reply = vec![7u8; 5000];
    assert_eq!(pair.b().send(t, &reply), Ok(5000));
    for _ in 0..20 {
        pair.step();
    }
    assert_eq!(read_all(&mut pair.a, pair.t), reply);
    let mut buf = [0u8; 10];
    assert_eq!(
        pair.b().recv(t, &mut buf),
        Ok(0),
        "EOF on the half-closed side"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn lossy_link_delivers_byte_identical_data(
        len in 1usize..120_000,
        loss in 0u64..80,
        dup in 0u64..50,
        jitter in 0u64..30,
        seed: u64,
        linux: bool,
    ) {
        let mut p = if linux { Profile::linux() } else { Profile::rfc() };
        // Up to 8 % loss both ways can legitimately exhaust R2 (a lost ACK
        // behind a hole yields RTT samples of many seconds, then RTOs of
        // tens of seconds): give up later than the defaults do, so that the
        // test is about delivery.
        p.r2_time = p.r2_time.map(|_| Duration::from_secs(3600));
        p.retries2 = 40;
        let cfg = LinkCfg { loss, dup, delay_ms: 20, jitter_ms: jitter, seed };
        let data: Vec<u8> = (0..len).map(|i| (i.wrapping_mul(7) % 253) as u8).collect();
        let (got, pair) = transfer(&p, cfg, &data);
        prop_assert_eq!(got.len(), data.len());
        prop_assert!(got == data);
        prop_assert_eq!(pair.a.state(), State::Closed);
    }
}

#[test]
fn heavy_loss_forces_retransmissions_yet_delivers_everything() {
    let data: Vec<u8> = (0..200_000u32).map(|i| (i % 249) as u8).collect();
    let cfg = LinkCfg {
        loss: 150,
        dup: 30,
        delay_ms: 15,
        jitter_ms: 20,
        seed: 7,
    };
    for p in [Profile::linux(), Profile::rfc()] {
        let (got, pair) = transfer(&p, cfg, &data);
        assert!(
            got == data,
            "{:?}: {} of {} bytes",
            p.kind,
            got.len(),
            data.len()
        );
        let info = pair.a.tcp_info(pair.t);
        assert!(
            info.get("total_retrans").unwrap() > 10,
            "{:?}",
            info.get("total_retrans")
        );
    }
}
