//! getsockopt(TCP_INFO): the connection as Linux `tcp_get_info` reports it.
//! Packet counts are derived from byte counts and the MSS (this stack keeps
//! bytes, Linux keeps packets).

use crate::linux::TcpInfo;
use crate::time::{Duration, Instant};

use super::Connection;
use super::congestion::newreno::INFINITE_SSTHRESH;

/// `tcpi_options` bits (include/uapi/linux/tcp.h).
const TCPI_OPT_TIMESTAMPS: u64 = 1;
const TCPI_OPT_SACK: u64 = 2;
const TCPI_OPT_WSCALE: u64 = 4;

impl Connection {
    /// `struct tcp_info` for this connection at `now`.
    pub fn tcp_info(&self, now: Instant) -> TcpInfo {
        let mss = self.opts.eff_snd_mss(&self.profile).max(1);
        let packets = |bytes: u32| u64::from(bytes.div_ceil(mss));
        let ms_since = |t: Instant| now.saturating_since(t).as_millis();
        let us = |d: Duration| d.as_micros();
        let mut options = 0;
        if self.opts.ts_ok {
            options |= TCPI_OPT_TIMESTAMPS;
        }
        if self.opts.sack_ok {
            options |= TCPI_OPT_SACK;
        }
        if self.opts.wscale_ok {
            options |= TCPI_OPT_WSCALE;
        }
        let ssthresh = match self.cc.ssthresh() {
            INFINITE_SSTHRESH => u64::from(INFINITE_SSTHRESH),
            b => packets(b),
        };
        let fields: [(&str, u64); 38] = [
            ("state", u64::from(self.state.linux_number())),
            ("ca_state", u64::from(self.ca_state())),
            ("retransmits", u64::from(self.retries)),
            ("probes", u64::from(self.probes)),
            ("backoff", u64::from(self.rtt.backoff())),
            ("options", options),
            ("snd_wscale", u64::from(self.opts.snd_wscale)),
            ("rcv_wscale", u64::from(self.opts.rcv_wscale)),
            ("rto", us(self.rtt.rto())),
            ("ato", us(self.profile.delayed_ack_min)),
            ("snd_mss", u64::from(mss)),
            ("rcv_mss", u64::from(self.opts.rcv_mss())),
            ("unacked", packets(self.tcb.in_flight())),
            ("last_data_sent", ms_since(self.stats.last_data_sent)),
            ("last_data_recv", ms_since(self.stats.last_data_recv)),
            ("last_ack_recv", ms_since(self.stats.last_ack_recv)),
            ("pmtu", u64::from(self.profile.mtu)),
            ("rcv_ssthresh", u64::from(self.rcv_ssthresh)),
            ("rtt", self.rtt.srtt().map_or(0, us)),
            ("rttvar", us(self.rtt.rttvar())),
            ("snd_ssthresh", ssthresh),
            // Linux counts whole packets.
            ("snd_cwnd", u64::from((self.cc.cwnd() / mss).max(1))),
            ("advmss", u64::from(self.opts.adv_mss)),
            ("reordering", u64::from(self.profile.dupack_threshold)),
            ("rcv_space", u64::from(self.tcb.rcv_wnd)),
            ("total_retrans", u64::from(self.stats.total_retrans)),
            ("bytes_acked", self.stats.bytes_acked),
            ("bytes_received", self.stats.bytes_received),
            ("segs_out", u64::from(self.stats.segs_out)),
            ("segs_in", u64::from(self.stats.segs_in)),
            ("notsent_bytes", self.unsent_len() as u64),
            (
                "min_rtt",
                self.rtt.min_rtt().map_or(u64::from(u32::MAX), us),
            ),
            ("data_segs_in", u64::from(self.stats.data_segs_in)),
            ("data_segs_out", u64::from(self.stats.data_segs_out)),
            (
                "bytes_sent",
                self.stats.bytes_sent + self.stats.bytes_retrans,
            ),
            ("bytes_retrans", self.stats.bytes_retrans),
            ("snd_wnd", u64::from(self.tcb.snd_wnd)),
            ("rcv_wnd", u64::from(self.tcb.rcv_wnd)),
        ];
        let mut info = TcpInfo::new();
        for (name, value) in fields {
            info.set(name, value);
        }
        info.set("rcv_ooopack", u64::from(self.stats.rcv_ooopack));
        let (sacked, lost, retrans) = self.recovery_counts();
        info.set("sacked", sacked);
        info.set("lost", lost);
        info.set("retrans", retrans);
        info
    }
}
