//! LISTEN (RFC 9293 §3.10.7.2) and the passive open that leaves it.

use super::*;
use crate::tcp::{ListenAction, listen_input};

#[test]
fn listen_steps_in_rfc_order() {
    // RFC 9293 §3.10.7.2: first RST (ignore), second ACK (RST <SEQ=SEG.ACK>),
    // third SYN, fourth anything else (drop).
    let table = [
        (pkt(RST, 1, 0), "ignore"),
        (pkt(RST | ACK, 1, 9), "ignore"),
        (pkt(SYN | RST, 1, 0), "ignore"),
        (pkt(ACK, 1, 9), "reset"),
        (pkt(SYN | ACK, 1, 9), "reset"),
        (pkt(SYN, 1, 0), "syn"),
        (pkt(FIN, 1, 0), "drop"),
        (pkt(Flags::NONE, 1, 0).data(b"x"), "drop"),
    ];
    for (seg, want) in table {
        let got = listen_input(&seg);
        let name = match &got {
            ListenAction::IgnoreRst => "ignore",
            ListenAction::Reset(rst) => {
                expect(rst, RST, 9, 0);
                "reset"
            }
            ListenAction::Syn => "syn",
            ListenAction::Drop => "drop",
        };
        assert_eq!(name, want, "{seg:?}");
    }
}

#[test]
fn syn_creates_syn_received_and_a_syn_ack() {
    // RFC 9293 §3.10.7.2 third step (and MUST-14: MSS option sent): RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ,
    // <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, SND.NXT = ISS+1, SND.UNA = ISS.
    let p = bare(Profile::rfc());
    let mut c = Connection::accept_syn(ms(0), open(), &pkt(SYN, IRS, 0), &p, &SockOpts::default());
    assert_eq!(c.state(), State::SynReceived);
    assert!(c.is_passive());
    let sa = recv!(c, ms(0));
    expect(&sa, SYN | ACK, ISS, IRS + 1);
    let t = c.tcb();
    assert_eq!((t.irs, t.rcv_nxt), (SeqNumber(IRS), SeqNumber(IRS + 1)));
    assert_eq!((t.snd_una, t.snd_nxt), (SeqNumber(ISS), SeqNumber(ISS + 1)));
    // Only MSS: the peer offered no other option.
    assert_eq!(sa.options, vec![TcpOpt::Mss(1460)]);
}

#[test]
fn linux_syn_ack_options_and_window() {
    let peer = pkt(SYN, IRS, 0).win(65535).opts(vec![
        TcpOpt::Mss(1460),
        TcpOpt::SackPermitted,
        TcpOpt::Timestamps {
            tsval: 77,
            tsecr: 0,
        },
        TcpOpt::Nop,
        TcpOpt::WindowScale(7),
    ]);
    let mut c = Connection::accept_syn(
        ms(0),
        open(),
        &peer,
        &Profile::linux(),
        &SockOpts::default(),
    );
    let sa = recv!(c, ms(0));
    // Linux order: <mss 1460,sackOK,TS val X ecr 77,nop,wscale 10> (the
    // scale from tcp_rmem[2], 32 MiB by default).
    assert!(
        format!("{sa:?}").ends_with("<mss 1460,sackOK,TS val 0 ecr 77,nop,wscale 10>"),
        "{sa:?}"
    );
    // 65535 rounded down to a multiple of 1448 (MSS less timestamps).
    assert_eq!(sa.window, 65160);
    // Without timestamps from the peer: nop,nop,sackOK and the full MSS.
    let peer = pkt(SYN, IRS, 0).opts(vec![
        TcpOpt::Mss(1000),
        TcpOpt::SackPermitted,
        TcpOpt::WindowScale(2),
    ]);
    let mut c = Connection::accept_syn(
        ms(0),
        open(),
        &peer,
        &Profile::linux(),
        &SockOpts::default(),
    );
    let sa = recv!(c, ms(0));
    assert!(
        format!("{sa:?}").ends_with("<mss 1460,nop,nop,sackOK,nop,wscale 10>"),
        "{sa:?}"
    );
    assert_eq!(sa.window, 64240);
}

#[test]
fn syn_ack_offers_only_options_the_peer_offered() {
    // RFC 7323 §2.2 / §3.2, RFC 2018 §2: an option is sent on the SYN-ACK
    // only if it was received on the SYN.
    let mut c = Connection::accept_syn(
        ms(0),
        open(),
        &pkt(SYN, IRS, 0),
        &Profile::linux(),
        &SockOpts::default(),
    );
    let sa = recv!(c, ms(0));
    assert_eq!(sa.options, vec![TcpOpt::Mss(1460)]);
    let n = c.negotiated();
    assert!(!n.ts_ok && !n.sack_ok && !n.wscale_ok);
    assert_eq!(n.rcv_wscale, 0);
}

#[test]
fn user_maxseg_clamps_the_advertised_mss() {
    let so = SockOpts {
        maxseg: Some(1000),
        ..SockOpts::default()
    };
    let mut c =
        Connection::accept_syn(ms(0), open(), &pkt(SYN, IRS, 0), &bare(Profile::rfc()), &so);
    assert_eq!(recv!(c, ms(0)).options, vec![TcpOpt::Mss(1000)]);
}
