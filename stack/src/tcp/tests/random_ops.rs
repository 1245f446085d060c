//! Random operation sequences against one connection: arbitrary peer
//! segments near the live sequence numbers, user calls and time steps. No
//! panic, and the invariants hold after every step.

use proptest::prelude::*;

use super::*;
use crate::tcp::Shutdown;

#[derive(Clone, Debug)]
enum Op {
    Peer {
        flags: u16,
        seq_off: i32,
        ack_off: i32,
        len: usize,
        win: u16,
        ts: Option<u32>,
    },
    Send(usize),
    Recv(usize),
    Close,
    Shutdown(u8),
    Abort,
    Wait(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u16..0x100, -3000i32..70_000, -70_000i32..3000, 0usize..3000, any::<u16>(), proptest::option::of(any::<u32>()))
            .prop_map(|(flags, seq_off, ack_off, len, win, ts)| Op::Peer { flags, seq_off, ack_off, len, win, ts }),
        2 => (0usize..20_000).prop_map(Op::Send),
        2 => (0usize..20_000).prop_map(Op::Recv),
        1 => Just(Op::Close),
        1 => (0u8..3).prop_map(Op::Shutdown),
        1 => Just(Op::Abort),
        3 => (0u64..200_000).prop_map(Op::Wait),
    ]
}

fn start(which: u8) -> Connection {
    match which {
        0 => established(),
        1 => established_with(&Profile::linux(), &SockOpts::default()),
        2 => syn_sent(),
        3 => syn_received(),
        4 => time_wait(),
        _ => close_wait(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn invariants_hold_under_random_operations(which in 0u8..6, ops in prop::collection::vec(op(), 1..60)) {
        let mut c = start(which);
        let mut t = ms(0);
        let mut buf = vec![0u8; 20_000];
        for op in ops {
            match op {
                Op::Peer { flags, seq_off, ack_off, len, win, ts } => {
                    let tcb = *c.tcb();
                    let mut s = pkt(Flags(flags), 0, 0).win(win).data(&vec![0x5a; len]);
                    s.seq = tcb.rcv_nxt + seq_off as u32;
                    s.ack = tcb.snd_una + ack_off as u32;
                    if let Some(v) = ts {
                        s = s.ts(v, 0);
                    }
                    c.on_segment(t, &s);
                }
                Op::Send(n) => { let _ = c.send(t, &buf[..n]); }
                Op::Recv(n) => { let _ = c.recv(t, &mut buf[..n]); }
                Op::Close => c.close(t),
                Op::Shutdown(h) => {
                    let how = [Shutdown::Read, Shutdown::Write, Shutdown::Both][h as usize];
                    let _ = c.shutdown(t, how);
                }
                Op::Abort => c.abort(t),
                Op::Wait(us) => t += Duration::from_micros(us),
            }
            prop_assert!(c.check_invariants().is_ok(), "{:?}", c.check_invariants());
            let mut n = 0;
            while let Some(s) = c.poll_transmit(t) {
                n += 1;
                prop_assert!(n < 200, "runaway output: {s:?}");
                prop_assert!(s.payload.len() <= 1460);
            }
            prop_assert!(c.check_invariants().is_ok(), "{:?}", c.check_invariants());
            // Every due timer ran: the next wake-up is in the future.
            if let Some(at) = c.poll_at() {
                prop_assert!(at > t, "wake-up {at} not after {t}");
            }
            let _ = c.tcp_info(t);
        }
    }
}
