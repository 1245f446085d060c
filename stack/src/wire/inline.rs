//! A short byte string stored inline (no allocation): IPv4 and TCP options,
//! which are at most 40 bytes, so that their `Repr`s own them cheaply.

use super::error::WireError;
use core::fmt;

/// Up to `N` bytes, compared and hashed by content.
#[derive(Clone, Copy)]
pub struct InlineBytes<const N: usize> {
    len: u8,
    bytes: [u8; N],
}

impl<const N: usize> InlineBytes<N> {
    pub const EMPTY: Self = InlineBytes {
        len: 0,
        bytes: [0; N],
    };

    /// Copies `src`; fails if it is longer than `N` bytes.
    #[inline]
    pub fn new(src: &[u8], header: &'static str, field: &'static str) -> Result<Self, WireError> {
        let mut out = Self::EMPTY;
        out.extend(src, header, field)?;
        Ok(out)
    }

    /// Appends `src`; fails (and changes nothing) if the result would exceed `N` bytes.
    #[inline]
    pub fn extend(
        &mut self,
        src: &[u8],
        header: &'static str,
        field: &'static str,
    ) -> Result<(), WireError> {
        let at = usize::from(self.len);
        let end = at + src.len();
        if end > N {
            return Err(WireError::too_long(header, field, end, N));
        }
        self.bytes[at..end].copy_from_slice(src);
        // N <= 255 for every use in this module (40), so the cast is exact.
        self.len = end as u8;
        Ok(())
    }

    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    #[inline]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl<const N: usize> Default for InlineBytes<N> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<const N: usize> PartialEq for InlineBytes<N> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<const N: usize> Eq for InlineBytes<N> {}

impl<const N: usize> core::hash::Hash for InlineBytes<N> {
    #[inline]
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl<const N: usize> fmt::Debug for InlineBytes<N> {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        for b in self.as_slice() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}
