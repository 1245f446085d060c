//! Inbound TCP: to the connection that owns the four-tuple, else to a
//! listener (SYN queue, accept queue, SYN cookies), else a RST for a closed
//! port (RFC 9293 §3.10.7.1).

use super::convert::to_segment_into;
use super::ip::{DropCause, InputOutcome};
use super::ports::{Owner, Proto};
use super::{ConnEntry, Stack};
use crate::socket::cookie::{self, CookieOptions, Tuple};
use crate::socket::listen::{AckVerdict, SynVerdict};
use crate::socket::readiness;
use crate::socket::sock::{Family, Kind, TcpSock};
use crate::socket::tcp_calls::tcp_sockopts;
use crate::tcp::{
    Connection, Flags, ListenAction, Open, Segment, SegmentOutcome, SeqNumber, State, TcpOpt,
    listen_input, reset_for_closed,
};
use crate::wire::TcpRepr;
use std::net::{IpAddr, SocketAddr};

impl Stack {
    pub(crate) fn tcp_input(&mut self, src: IpAddr, dst: IpAddr, t: &TcpRepr<'_>) -> InputOutcome {
        // The reused segment: its buffers keep their capacity.
        let mut seg = std::mem::take(&mut self.rx_seg);
        to_segment_into(t, &mut seg);
        let local = SocketAddr::new(dst, t.dst_port);
        let remote = SocketAddr::new(src, t.src_port);
        let out = match self.demux.get(&(local, remote)) {
            Some(c) => self.segment_to_conn(c, &seg, local, remote),
            None => self.segment_without_conn(local, remote, &seg),
        };
        self.rx_seg = seg;
        out
    }

    fn segment_to_conn(
        &mut self,
        c: u32,
        seg: &Segment,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> InputOutcome {
        if let Some(out) = self.check_accept_overflow(c, seg) {
            return out;
        }
        let before = self.conn_snapshot(c);
        let now = self.now;
        let Some(e) = self.conns.get_mut(c) else {
            return InputOutcome::Dropped(DropCause::Transport);
        };
        let outcome = e.conn.on_segment(now, seg);
        let listener = e.listener;
        match outcome {
            SegmentOutcome::Established => {
                if let Some(l) = listener {
                    self.handshake_done(l, c);
                }
            }
            SegmentOutcome::TimeWaitReopen => {
                // The old incarnation is gone; the SYN may open a new one.
                self.conn_changed(c, before);
                self.reap_conn(c);
                return self.segment_without_conn(local, remote, seg);
            }
            _ => {}
        }
        self.conn_changed(c, before);
        InputOutcome::Delivered
    }

    /// Linux `tcp_check_req` → `syn_recv_sock`: the ACK that would complete
    /// a passive handshake while the listener's accept queue is full is
    /// dropped (the SYN-ACK timer keeps running), or answered with a RST
    /// under `tcp_abort_on_overflow`.
    fn check_accept_overflow(&mut self, c: u32, seg: &Segment) -> Option<InputOutcome> {
        let e = self.conns.get(c)?;
        let l = e.listener?;
        let f = seg.flags;
        if e.conn.state() != State::SynReceived
            || !f.ack()
            || f.syn()
            || f.rst()
            || seg.ack != e.conn.tcb().snd_nxt
        {
            return None;
        }
        let Some(Kind::Tcp(TcpSock::Listening(q))) = self.socks.get(l).map(|k| &k.kind) else {
            return None;
        };
        if !q.accept_queue_full() {
            return None;
        }
        self.counters.ack_dropped_accept_full += 1;
        if self.cfg.profile.abort_on_overflow {
            let before = self.conn_snapshot(c);
            let now = self.now;
            if let Some(e) = self.conns.get_mut(c) {
                e.conn.abort(now);
            }
            if let Some(Kind::Tcp(TcpSock::Listening(q))) =
                self.socks.get_mut(l).map(|k| &mut k.kind)
            {
                q.forget(c);
            }
            if let Some(e) = self.conns.get_mut(c) {
                e.listener = None;
            }
            self.conn_changed(c, before);
            return Some(InputOutcome::Answered);
        }
        Some(InputOutcome::Dropped(DropCause::Transport))
    }

    /// A passive connection reached ESTABLISHED: to the accept queue.
    fn handshake_done(&mut self, l: u32, c: u32) {
        let abort = self.cfg.profile.abort_on_overflow;
        let verdict = match self.socks.get_mut(l).map(|k| &mut k.kind) {
            Some(Kind::Tcp(TcpSock::Listening(q))) => q.on_handshake_done(c, abort),
            _ => return,
        };
        if verdict == AckVerdict::Accept {
            self.wake_socket(l, readiness::IN | readiness::RDNORM);
        }
    }

    /// The listening socket for a segment to `local` (Linux
    /// `__inet_lookup_listener`: an exact address beats a wildcard, a
    /// same-family socket beats a dual-stack one; SO_REUSEPORT groups are
    /// spread by a hash of the peer).
    pub(crate) fn find_listener(&self, local: SocketAddr, remote: SocketAddr) -> Option<u32> {
        let mut best: Vec<(u32, u32)> = Vec::new();
        for b in self.ports.holders(Proto::Tcp, local.port()) {
            let Owner::Socket(s) = b.owner else { continue };
            if !b.listening || !b.scope.accepts(local.ip()) {
                continue;
            }
            let Some(sock) = self.socks.get(s) else {
                continue;
            };
            let mut score = 1;
            if b.scope.is_exact() {
                score += 4;
            }
            if (sock.family == Family::Inet) == local.is_ipv4() {
                score += 1;
            }
            best.push((s, score));
        }
        let top = best.iter().map(|b| b.1).max()?;
        let group: Vec<u32> = best.iter().filter(|b| b.1 == top).map(|b| b.0).collect();
        let pick = if group.len() > 1 {
            (self.isn.hash(local, remote, 7) % group.len() as u64) as usize
        } else {
            0
        };
        group.get(pick).copied()
    }

    fn segment_without_conn(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        seg: &Segment,
    ) -> InputOutcome {
        let Some(l) = self.find_listener(local, remote) else {
            return self.reply_closed(local, remote, seg);
        };
        match listen_input(seg) {
            ListenAction::IgnoreRst | ListenAction::Drop => {
                InputOutcome::Dropped(DropCause::Transport)
            }
            ListenAction::Reset(rst) => {
                if let Some(out) = self.try_cookie_ack(l, local, remote, seg) {
                    return out;
                }
                self.counters.tcp_resets_sent += 1;
                self.emit_tcp(local, remote, &rst);
                InputOutcome::Answered
            }
            ListenAction::Syn => self.syn_to_listener(l, local, remote, seg),
        }
    }

    /// RFC 9293 §3.10.7.1: no connection, no listener.
    fn reply_closed(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        seg: &Segment,
    ) -> InputOutcome {
        match reset_for_closed(seg) {
            Some(rst) => {
                self.counters.tcp_resets_sent += 1;
                self.emit_tcp(local, remote, &rst);
                InputOutcome::Answered
            }
            None => InputOutcome::Dropped(DropCause::Transport),
        }
    }

    fn open_for(&self, local: SocketAddr, remote: SocketAddr, iss: SeqNumber) -> Open {
        Open {
            local,
            remote,
            iss,
            ts_offset: self.isn.ts_offset(local, remote),
        }
    }

    fn syn_to_listener(
        &mut self,
        l: u32,
        local: SocketAddr,
        remote: SocketAddr,
        seg: &Segment,
    ) -> InputOutcome {
        let now = self.now;
        let syncookies = self.cfg.profile.syncookies;
        let Some(sock) = self.socks.get_mut(l) else {
            return InputOutcome::Dropped(DropCause::Transport);
        };
        let opts = tcp_sockopts(&sock.opts);
        let (reuse_addr, reuse_port) = (sock.opts.reuse_addr, sock.opts.reuse_port);
        let Kind::Tcp(TcpSock::Listening(q)) = &mut sock.kind else {
            return InputOutcome::Dropped(DropCause::Transport);
        };
        match q.on_syn(now, syncookies) {
            SynVerdict::Drop => {
                self.counters.syn_dropped_queue_full += 1;
                InputOutcome::Dropped(DropCause::Transport)
            }
            SynVerdict::Cookie => {
                self.send_cookie_syn_ack(local, remote, seg, &opts);
                InputOutcome::Answered
            }
            SynVerdict::Queue => {
                let iss = self.isn.isn(now, local, remote);
                let open = self.open_for(local, remote, iss);
                let conn = Connection::accept_syn(now, open, seg, &self.cfg.profile, &opts);
                let c = self.conns.insert(ConnEntry::new(conn, None, Some(l)));
                self.demux.insert((local, remote), c);
                self.ports.hold(
                    Proto::Tcp,
                    local.port(),
                    super::ports::Binding {
                        owner: Owner::Conn(c),
                        scope: super::ports::Scope::One(local.ip()),
                        reuse_addr,
                        reuse_port,
                        listening: false,
                    },
                );
                if let Some(Kind::Tcp(TcpSock::Listening(q))) =
                    self.socks.get_mut(l).map(|k| &mut k.kind)
                {
                    q.syn_queue.push(c);
                }
                self.touch(c);
                InputOutcome::Delivered
            }
        }
    }

    /// The options a SYN offered that this host also uses, as a cookie
    /// remembers them.
    fn cookie_options(&self, seg: &Segment) -> CookieOptions {
        let p = &self.cfg.profile;
        CookieOptions {
            wscale: seg.window_scale().filter(|_| p.window_scaling),
            sack: seg.sack_permitted() && p.sack,
            ecn: false,
        }
    }

    /// A stateless SYN-ACK whose ISN is a cookie (RFC 4987 §3.6). The
    /// engine builds it as it would for a queued connection, which is then
    /// thrown away; with timestamps the SYN's options go into TSval.
    /// Without timestamps there is nowhere to keep them: Linux
    /// (`tcp_conn_request`: `want_cookie && !saw_tstamp` ->
    /// `tcp_clear_options`) answers as if the SYN had offered neither SACK
    /// nor window scaling, with `<mss>` alone.
    fn send_cookie_syn_ack(
        &mut self,
        local: SocketAddr,
        remote: SocketAddr,
        seg: &Segment,
        opts: &crate::tcp::SockOpts,
    ) {
        let now = self.now;
        let t = Tuple { local, remote };
        let iss = self.cookies.make(&t, seg.seq.0, seg.mss(), now);
        let open = self.open_for(local, remote, SeqNumber(iss));
        let stripped;
        let syn = if seg.timestamps().is_some() {
            seg
        } else {
            let mut s = seg.clone();
            s.options
                .retain(|o| !matches!(o, TcpOpt::WindowScale(_) | TcpOpt::SackPermitted));
            stripped = s;
            &stripped
        };
        let mut tmp = Connection::accept_syn(now, open, syn, &self.cfg.profile, opts);
        let copts = self.cookie_options(seg);
        while let Some(mut out) = tmp.poll_transmit(now) {
            if !out.flags.syn() {
                continue;
            }
            for o in &mut out.options {
                if let TcpOpt::Timestamps { tsval, .. } = o {
                    *tsval = cookie::encode_ts(*tsval, copts);
                }
            }
            self.counters.syn_cookies_sent += 1;
            self.emit_tcp(local, remote, &out);
            break;
        }
    }

    /// An ACK for no connection at a listener that recently sent cookies:
    /// if it carries a valid cookie, the connection is created ESTABLISHED
    /// and queued for accept (Linux `cookie_v4_check`). `None`: not a
    /// valid cookie (the caller answers with a RST, as for any stray ACK).
    /// A valid cookie while the accept queue is full is dropped silently
    /// (Linux: `tcp_v4_syn_recv_sock` overflows, `cookie_v4_check` returns
    /// no socket, `tcp_v4_do_rcv` discards); the peer's next segment tries
    /// again.
    fn try_cookie_ack(
        &mut self,
        l: u32,
        local: SocketAddr,
        remote: SocketAddr,
        seg: &Segment,
    ) -> Option<InputOutcome> {
        let now = self.now;
        let f = seg.flags;
        if !f.ack() || f.syn() || f.rst() {
            return None;
        }
        let syncookies = self.cfg.profile.syncookies;
        let sock = self.socks.get(l)?;
        let Kind::Tcp(TcpSock::Listening(q)) = &sock.kind else {
            return None;
        };
        if !q.cookie_check_allowed(now, syncookies) {
            return None;
        }
        let accept_full = q.accept_queue_full();
        let opts = tcp_sockopts(&sock.opts);
        let client_isn = seg.seq - 1;
        let iss = seg.ack - 1;
        let t = Tuple { local, remote };
        let mss = self.cookies.check(&t, client_isn.0, iss.0, now)?;
        if accept_full {
            self.counters.ack_dropped_accept_full += 1;
            return Some(InputOutcome::Dropped(DropCause::Transport));
        }
        // The SYN as the cookie remembers it.
        let mut syn = Segment {
            src_port: seg.src_port,
            dst_port: seg.dst_port,
            seq: client_isn,
            flags: Flags::SYN,
            window: seg.window,
            options: vec![TcpOpt::Mss(mss)],
            ..Segment::default()
        };
        if let Some((tsval, tsecr)) = seg.timestamps() {
            let o = cookie::decode_ts(tsecr);
            if let Some(w) = o.wscale {
                syn.options.push(TcpOpt::WindowScale(w));
            }
            if o.sack {
                syn.options.push(TcpOpt::SackPermitted);
            }
            syn.options.push(TcpOpt::Timestamps { tsval, tsecr: 0 });
        }
        let open = self.open_for(local, remote, iss);
        let mut conn = Connection::accept_syn(now, open, &syn, &self.cfg.profile, &opts);
        // Its SYN-ACK was already sent, statelessly.
        while conn.poll_transmit(now).is_some() {}
        if conn.on_segment(now, seg) != SegmentOutcome::Established {
            return None;
        }
        self.counters.syn_cookies_ok += 1;
        let (reuse_addr, reuse_port) = (sock.opts.reuse_addr, sock.opts.reuse_port);
        let mut entry = ConnEntry::new(conn, None, Some(l));
        entry.was_established = true;
        let c = self.conns.insert(entry);
        self.demux.insert((local, remote), c);
        self.ports.hold(
            Proto::Tcp,
            local.port(),
            super::ports::Binding {
                owner: Owner::Conn(c),
                scope: super::ports::Scope::One(local.ip()),
                reuse_addr,
                reuse_port,
                listening: false,
            },
        );
        if let Some(Kind::Tcp(TcpSock::Listening(q))) = self.socks.get_mut(l).map(|k| &mut k.kind) {
            q.accept_queue.push_back(c);
        }
        self.touch(c);
        self.wake_socket(l, readiness::IN | readiness::RDNORM);
        Some(InputOutcome::Delivered)
    }
}
