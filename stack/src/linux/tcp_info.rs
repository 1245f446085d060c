//! `struct tcp_info` as Linux lays it out (include/uapi/linux/tcp.h), so that
//! the reference stack's answer to `getsockopt(TCP_INFO)` has the same bytes
//! as the kernel's, and the interpreter reads both the same way.

/// Where a field lives: byte offset, width in bytes, and for the two packed
/// nibble/bit fields a (shift, mask) inside that byte.
#[derive(Clone, Copy, Debug)]
struct Field {
    name: &'static str,
    offset: usize,
    width: usize,
    bits: Option<(u8, u8)>,
}

const fn f(name: &'static str, offset: usize, width: usize) -> Field {
    Field {
        name,
        offset,
        width,
        bits: None,
    }
}
const fn b(name: &'static str, offset: usize, shift: u8, mask: u8) -> Field {
    Field {
        name,
        offset,
        width: 1,
        bits: Some((shift, mask)),
    }
}

/// Every field, in declaration order. Names are without the `tcpi_` prefix.
const LAYOUT: &[Field] = &[
    f("state", 0, 1),
    f("ca_state", 1, 1),
    f("retransmits", 2, 1),
    f("probes", 3, 1),
    f("backoff", 4, 1),
    f("options", 5, 1),
    // GCC on little-endian packs the first-declared bit-field in the low bits.
    b("snd_wscale", 6, 0, 0x0f),
    b("rcv_wscale", 6, 4, 0x0f),
    b("delivery_rate_app_limited", 7, 0, 0x01),
    b("fastopen_client_fail", 7, 1, 0x03),
    f("rto", 8, 4),
    f("ato", 12, 4),
    f("snd_mss", 16, 4),
    f("rcv_mss", 20, 4),
    f("unacked", 24, 4),
    f("sacked", 28, 4),
    f("lost", 32, 4),
    f("retrans", 36, 4),
    f("fackets", 40, 4),
    f("last_data_sent", 44, 4),
    f("last_ack_sent", 48, 4),
    f("last_data_recv", 52, 4),
    f("last_ack_recv", 56, 4),
    f("pmtu", 60, 4),
    f("rcv_ssthresh", 64, 4),
    f("rtt", 68, 4),
    f("rttvar", 72, 4),
    f("snd_ssthresh", 76, 4),
    f("snd_cwnd", 80, 4),
    f("advmss", 84, 4),
    f("reordering", 88, 4),
    f("rcv_rtt", 92, 4),
    f("rcv_space", 96, 4),
    f("total_retrans", 100, 4),
    f("pacing_rate", 104, 8),
    f("max_pacing_rate", 112, 8),
    f("bytes_acked", 120, 8),
    f("bytes_received", 128, 8),
    f("segs_out", 136, 4),
    f("segs_in", 140, 4),
    f("notsent_bytes", 144, 4),
    f("min_rtt", 148, 4),
    f("data_segs_in", 152, 4),
    f("data_segs_out", 156, 4),
    f("delivery_rate", 160, 8),
    f("busy_time", 168, 8),
    f("rwnd_limited", 176, 8),
    f("sndbuf_limited", 184, 8),
    f("delivered", 192, 4),
    f("delivered_ce", 196, 4),
    f("bytes_sent", 200, 8),
    f("bytes_retrans", 208, 8),
    f("dsack_dups", 216, 4),
    f("reord_seen", 220, 4),
    f("rcv_ooopack", 224, 4),
    f("snd_wnd", 228, 4),
    f("rcv_wnd", 232, 4),
    f("rehash", 236, 4),
    f("total_rto", 240, 2),
    f("total_rto_recoveries", 242, 2),
    f("total_rto_time", 244, 4),
];

/// Size of the structure as described by [`LAYOUT`].
pub const TCP_INFO_LEN: usize = 248;

/// A `struct tcp_info`, field by field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpInfo {
    values: Vec<u64>,
    /// How many bytes the producer filled; fields past it are absent (an older
    /// kernel returns a shorter structure).
    len: usize,
}

impl TcpInfo {
    /// All fields zero, full length.
    pub fn new() -> Self {
        TcpInfo {
            values: vec![0; LAYOUT.len()],
            len: TCP_INFO_LEN,
        }
    }

    /// Field names, without the `tcpi_` prefix, in layout order.
    pub fn field_names() -> impl Iterator<Item = &'static str> {
        LAYOUT.iter().map(|f| f.name)
    }

    /// A field's value; `None` for an unknown name or one past the filled length.
    /// Accepts the name with or without the `tcpi_` prefix.
    pub fn get(&self, name: &str) -> Option<u64> {
        let i = Self::index(name)?;
        (LAYOUT[i].offset + LAYOUT[i].width <= self.len).then(|| self.values[i])
    }

    /// Sets a field (masked to its width); returns false for an unknown name.
    pub fn set(&mut self, name: &str, value: u64) -> bool {
        let Some(i) = Self::index(name) else {
            return false;
        };
        let field = LAYOUT[i];
        let max = match field.bits {
            Some((_, mask)) => u64::from(mask),
            None if field.width == 8 => u64::MAX,
            None => (1u64 << (8 * field.width)) - 1,
        };
        self.values[i] = value & max;
        true
    }

    fn index(name: &str) -> Option<usize> {
        let name = name.strip_prefix("tcpi_").unwrap_or(name);
        LAYOUT.iter().position(|f| f.name == name)
    }

    /// The little-endian bytes the kernel would copy out.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![0u8; TCP_INFO_LEN];
        for (field, &v) in LAYOUT.iter().zip(&self.values) {
            let at = &mut out[field.offset..field.offset + field.width];
            match field.bits {
                Some((shift, mask)) => at[0] |= ((v as u8) & mask) << shift,
                None => at.copy_from_slice(&v.to_le_bytes()[..field.width]),
            }
        }
        out.truncate(self.len);
        out
    }

    /// Reads the bytes a kernel returned; a short buffer leaves the missing
    /// fields absent, extra trailing bytes (newer kernels) are ignored.
    pub fn from_bytes(bytes: &[u8]) -> TcpInfo {
        let mut info = TcpInfo {
            values: vec![0; LAYOUT.len()],
            len: bytes.len().min(TCP_INFO_LEN),
        };
        for (field, v) in LAYOUT.iter().zip(info.values.iter_mut()) {
            let Some(raw) = bytes.get(field.offset..field.offset + field.width) else {
                continue;
            };
            let mut le = [0u8; 8];
            le[..field.width].copy_from_slice(raw);
            let word = u64::from_le_bytes(le);
            *v = match field.bits {
                Some((shift, mask)) => (word >> shift) & u64::from(mask),
                None => word,
            };
        }
        info
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_contiguous_and_ends_at_len() {
        let mut end = 0;
        for w in LAYOUT.windows(2) {
            let (a, b) = (w[0], w[1]);
            let a_end = a.offset + a.width;
            assert!(
                b.offset == a_end || (b.offset == a.offset && a.bits.is_some()),
                "{} / {}",
                a.name,
                b.name
            );
            end = end.max(b.offset + b.width);
        }
        assert_eq!(end, TCP_INFO_LEN);
    }

    #[test]
    fn bytes_round_trip_including_packed_fields() {
        let mut info = TcpInfo::new();
        assert!(info.set("snd_wscale", 7));
        assert!(info.set("tcpi_rcv_wscale", 8));
        assert!(info.set("snd_cwnd", 10));
        assert!(info.set("bytes_acked", 1 << 40));
        assert!(!info.set("no_such_field", 1));
        let bytes = info.to_bytes();
        assert_eq!(bytes[6], 0x87);
        assert_eq!(&bytes[80..84], &10u32.to_le_bytes());
        assert_eq!(TcpInfo::from_bytes(&bytes), info);
    }

    #[test]
    fn short_structures_leave_later_fields_absent() {
        let mut info = TcpInfo::new();
        info.set("snd_wnd", 5);
        let short = TcpInfo::from_bytes(&info.to_bytes()[..104]);
        assert_eq!(short.get("total_retrans"), Some(0));
        assert_eq!(short.get("snd_wnd"), None);
    }
}
