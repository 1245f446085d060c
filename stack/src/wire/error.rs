//! The one error type of the codec: which header, which field, what was wrong.

use core::fmt;

/// Malformed input (on parse) or an unrepresentable value / short buffer (on
/// emit). `Display` names the header and the field, e.g.
/// `TCP data offset: value 3 is invalid (below 5 words)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireError {
    /// The header being read or written: `"IPv4"`, `"TCP"`, `"TCP option"`, ...
    pub header: &'static str,
    /// The field that is wrong: `"data offset"`, `"total length"`, ...
    pub field: &'static str,
    pub kind: ErrorKind,
}

/// What was wrong with the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The bytes end before the field (or the part it announces) does.
    Truncated { needed: usize, available: usize },
    /// The field holds a value the format does not allow.
    BadValue { value: u64, reason: &'static str },
    /// A value is longer than the field can carry (emit side).
    TooLong { len: usize, max: usize },
    /// The output buffer is shorter than `buffer_len()` (emit side).
    BufferTooSmall { needed: usize, available: usize },
}

impl WireError {
    pub(crate) const fn truncated(
        header: &'static str,
        field: &'static str,
        needed: usize,
        available: usize,
    ) -> Self {
        WireError {
            header,
            field,
            kind: ErrorKind::Truncated { needed, available },
        }
    }

    pub(crate) const fn bad_value(
        header: &'static str,
        field: &'static str,
        value: u64,
        reason: &'static str,
    ) -> Self {
        WireError {
            header,
            field,
            kind: ErrorKind::BadValue { value, reason },
        }
    }

    pub(crate) const fn too_long(
        header: &'static str,
        field: &'static str,
        len: usize,
        max: usize,
    ) -> Self {
        WireError {
            header,
            field,
            kind: ErrorKind::TooLong { len, max },
        }
    }

    pub(crate) const fn buffer_too_small(
        header: &'static str,
        needed: usize,
        available: usize,
    ) -> Self {
        WireError {
            header,
            field: "output buffer",
            kind: ErrorKind::BufferTooSmall { needed, available },
        }
    }
}

impl fmt::Display for WireError {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: ", self.header, self.field)?;
        match self.kind {
            ErrorKind::Truncated { needed, available } => {
                write!(f, "truncated (needs {needed} bytes, {available} available)")
            }
            ErrorKind::BadValue { value, reason } => {
                write!(f, "value {value} is invalid ({reason})")
            }
            ErrorKind::TooLong { len, max } => write!(f, "{len} bytes is too long (at most {max})"),
            ErrorKind::BufferTooSmall { needed, available } => {
                write!(f, "needs {needed} bytes, the buffer has {available}")
            }
        }
    }
}

impl std::error::Error for WireError {}

/// Fails with [`ErrorKind::Truncated`] unless `buf` holds at least `needed` bytes.
#[inline]
pub(crate) fn need(
    buf: &[u8],
    needed: usize,
    header: &'static str,
    field: &'static str,
) -> Result<(), WireError> {
    if buf.len() < needed {
        Err(WireError::truncated(header, field, needed, buf.len()))
    } else {
        Ok(())
    }
}

/// Fails with [`ErrorKind::BufferTooSmall`] unless `buf` holds at least `needed` bytes.
#[inline]
pub(crate) fn room(buf: &[u8], needed: usize, header: &'static str) -> Result<(), WireError> {
    if buf.len() < needed {
        Err(WireError::buffer_too_small(header, needed, buf.len()))
    } else {
        Ok(())
    }
}
