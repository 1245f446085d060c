//! getsockopt(TCP_INFO).

use crate::linux::TcpInfo;
use crate::time::Instant;

use super::Connection;

impl Connection {
    /// `struct tcp_info` as Linux fills it for this connection at `now`.
    pub fn tcp_info(&self, now: Instant) -> TcpInfo {
        let _ = now;
        let mut i = TcpInfo::new();
        i.set("state", u64::from(self.state.linux_number()));
        i
    }
}
