//! RFC 3042 limited transmit: one new segment on each of the first two
//! duplicate ACKs, cwnd unchanged, within the peer's window; both profiles
//! (Linux does it through its in-flight accounting).

use super::*;

const D: u32 = IRS + 1;
const S: u32 = ISS + 1;

/// ESTABLISHED without options, peer MSS 1000, TCP_NODELAY; `w` bytes
/// written and the initial window sent. Returns the connection and the
/// number of segments sent.
fn sent_initial_window(p: Profile, w: usize) -> (Connection, u32) {
    let so = SockOpts {
        nodelay: true,
        ..SockOpts::default()
    };
    let mut c = established_with(&bare(p), &so);
    c.send(ms(0), &vec![7; w]).unwrap();
    let n = std::iter::from_fn(|| c.poll_transmit(ms(0))).count() as u32;
    (c, n)
}

#[test]
fn one_new_segment_on_each_of_the_first_two_duplicate_acks() {
    // (profile, initial window in segments)
    for (p, iw) in [(Profile::rfc(), 4), (Profile::linux(), 10)] {
        let (mut c, n) = sent_initial_window(p, 20_000);
        assert_eq!(n, iw, "{:?}", p.kind);
        let cwnd = c.tcp_info(ms(10)).get("snd_cwnd");
        let next = S + iw * 1000;
        // RFC 3042 §2: "a TCP sender SHOULD send a new data segment in
        // response to each of the first two duplicate acknowledgments".
        for (i, t) in [(0u32, 10u64), (1, 11)] {
            send!(c, ms(t), pkt(ACK, D, S));
            let s = recv!(c, ms(t));
            expect(&s, ACK, next + i * 1000, D);
            assert_eq!(s.payload.len(), 1000);
            recv_nothing!(c, ms(t));
            // "the congestion window ... MUST NOT be changed"
            assert_eq!(c.tcp_info(ms(t)).get("snd_cwnd"), cwnd, "{:?}", p.kind);
        }
        // The third duplicate ACK is fast retransmit (RFC 5681 §3.2), not a
        // third limited-transmit segment.
        send!(c, ms(12), pkt(ACK, D, S));
        expect(&recv!(c, ms(12)), ACK, S, D);
        assert_eq!(c.tcp_info(ms(12)).get("ca_state"), Some(3));
    }
}

#[test]
fn limited_transmit_respects_the_receive_window() {
    // RFC 3042 §2: only "if the receiver's advertised window allows".
    let (mut c, n) = sent_initial_window(Profile::rfc(), 20_000);
    assert_eq!(n, 4);
    // The window shrinks to what is in flight: a window change makes the
    // ACK not a duplicate (RFC 5681 §2 (e)), so shrink it first...
    send!(c, ms(10), pkt(ACK, D, S).win(4000));
    recv_nothing!(c, ms(10));
    // ...then the duplicates carry the same window: nothing may be sent.
    send!(c, ms(11), pkt(ACK, D, S).win(4000));
    recv_nothing!(c, ms(11));
}

#[test]
fn an_ack_of_new_data_ends_limited_transmit() {
    let (mut c, _) = sent_initial_window(Profile::rfc(), 20_000);
    send!(c, ms(10), pkt(ACK, D, S));
    expect(&recv!(c, ms(10)), ACK, S + 4000, D);
    // Reordering, not loss: the cumulative ACK covers the first two
    // segments; slow start adds one SMSS (RFC 5681 §3.1), and the segment
    // sent by limited transmit counts as in flight again.
    send!(c, ms(20), pkt(ACK, D, S + 2000));
    let out: Vec<u32> = std::iter::from_fn(|| c.poll_transmit(ms(20)))
        .map(|s| s.seq.0)
        .collect();
    // In flight before: 3000..5000 (3 segments), cwnd 5 segments.
    assert_eq!(out, [S + 5000, S + 6000]);
    // One duplicate of the new SND.UNA: one limited-transmit segment again.
    send!(c, ms(30), pkt(ACK, D, S + 2000));
    expect(&recv!(c, ms(30)), ACK, S + 7000, D);
    recv_nothing!(c, ms(30));
}

#[test]
fn nothing_new_to_send_means_nothing_sent() {
    let (mut c, n) = sent_initial_window(Profile::rfc(), 3000);
    assert_eq!(n, 3);
    send!(c, ms(10), pkt(ACK, D, S));
    recv_nothing!(c, ms(10));
    // Data written later may still use the allowance.
    c.send(ms(11), &[1; 500]).unwrap();
    let s = recv!(c, ms(11));
    expect(&s, ACK | PSH, S + 3000, D);
}
