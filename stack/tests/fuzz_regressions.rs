//! Fuzz findings, replayed as tests (the fuzz targets' entry points are in
//! the crate's `fuzzing` module, enabled for tests by the dev-dependency of
//! the crate on itself). Each input is the minimized crash, written out.

use netdrill_stack::fuzzing::stack::{Input, Op, run};

fn input(active: bool, ops: Vec<Op>) -> Input {
    Input {
        seed: 20,
        rfc_profile: false,
        active,
        peer_mss: None,
        peer_wscale: None,
        peer_sack: true,
        peer_ts: false,
        ops,
    }
}

/// crash-b3b66b6e: on an accepted (blocking) socket, a write larger than
/// the send buffer blocks after taking 16 KiB, and the stack sends those
/// bytes before the call completes. The driver counted written bytes only
/// from completed calls and took the first one sent for one never written.
#[test]
fn bytes_of_a_blocked_write_count_as_written() {
    run(&input(false, vec![Op::Write { len: 22873 }]));
    // The write completes once the peer acknowledges enough.
    run(&input(
        false,
        vec![
            Op::Write { len: 40000 },
            Op::AckAll { window: 65535 },
            Op::AckAll { window: 65535 },
            Op::Sleep { ms: 300 },
            Op::AckAll { window: 65535 },
            Op::Write { len: 10 },
        ],
    ));
}

/// The same bookkeeping for a blocked read: its data arrives with the
/// completion and must be the peer's stream in order.
#[test]
fn data_of_a_blocked_read_is_checked_in_order() {
    run(&input(
        false,
        vec![
            Op::Read {
                len: 100,
                peek: false,
            },
            Op::Segment {
                flags: 0x18,
                seq: 0,
                ack: 0,
                window: 65535,
                len: 300,
                sack: None,
                ts: false,
                bad_checksum: false,
            },
            Op::Read {
                len: 1000,
                peek: false,
            },
        ],
    ));
}

/// crash-00297486: a write blocks after taking 16 KiB, then the fd is
/// closed. The stack ended the call with EBADF although the bytes it took
/// were queued and then sent (as the orphan connection finished its
/// close): the application could not know they went out. Now the call ends
/// at close with the count it took (socket_tcp.rs
/// `closing_the_fd_under_a_blocked_write_returns_what_it_took`).
#[test]
fn closing_under_a_blocked_write_reports_what_was_taken() {
    let mut i = input(
        false,
        vec![
            Op::Write { len: 17285 },
            Op::Close,
            Op::SetOpt {
                which: 77,
                value: 254,
            },
        ],
    );
    i.seed = 93;
    i.rfc_profile = true;
    i.peer_ts = true;
    run(&i);
}
