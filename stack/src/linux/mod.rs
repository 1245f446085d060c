//! The Linux userspace ABI as scripts see it: errno values and the numeric
//! constants of the socket API (x86_64 / generic values).
//!
//! The reference stack's socket API takes and returns these same numbers, the
//! kernel target passes them straight to the kernel, and the script
//! interpreter resolves symbols such as `SOCK_STREAM` through [`symbol`].
//! One table for all three, so they cannot drift apart.

mod consts;
mod errno;
mod tcp_info;

pub use consts::*;
pub use errno::Errno;
pub use tcp_info::{TCP_INFO_LEN, TcpInfo};

/// Looks up a constant or errno by its C name (`"SOCK_STREAM"`, `"EAGAIN"`).
pub fn symbol(name: &str) -> Option<i64> {
    consts::SYMBOLS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, v)| v)
        .or_else(|| Errno::from_name(name).map(|e| i64::from(e.0)))
}

/// The first constant whose name starts with `prefix` and whose value is
/// `value` (`("POLL", 4)` gives `POLLOUT`), for printing flag sets in diagnostics.
pub fn symbol_name(prefix: &str, value: i64) -> Option<&'static str> {
    consts::SYMBOLS
        .iter()
        .find(|(n, v)| *v == value && n.starts_with(prefix))
        .map(|&(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_names_are_unique() {
        let mut names: Vec<_> = consts::SYMBOLS.iter().map(|s| s.0).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len(), "a constant is listed twice");
    }

    #[test]
    fn symbols_resolve_to_linux_values() {
        let table = [
            ("AF_INET", 2),
            ("AF_INET6", 10),
            ("SOCK_STREAM", 1),
            ("SOCK_NONBLOCK", 0o4000),
            ("IPPROTO_TCP", 6),
            ("SOL_SOCKET", 1),
            ("SO_REUSEADDR", 2),
            ("TCP_INFO", 11),
            ("MSG_DONTWAIT", 0x40),
            ("EPOLLET", 1 << 31),
            ("FIONREAD", 0x541B),
            ("EAGAIN", 11),
            ("EINPROGRESS", 115),
        ];
        for (name, value) in table {
            assert_eq!(symbol(name), Some(value), "{name}");
        }
        assert_eq!(symbol("NO_SUCH_SYMBOL"), None);
    }
}
