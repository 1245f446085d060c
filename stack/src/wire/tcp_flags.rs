//! The TCP control bits (RFC 9293 §3.1, RFC 3168 for ECE/CWR, RFC 3540 for
//! NS), shown as packetdrill and tcpdump show them: `S.` is SYN+ACK.

use core::fmt;
use core::ops::{BitAnd, BitOr, BitOrAssign, Not};
use core::str::FromStr;

/// The 12 bits after the data offset: 3 reserved bits, NS, then CWR, ECE,
/// URG, ACK, PSH, RST, SYN, FIN. Reserved bits are kept, so a packet that
/// sets them round-trips.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TcpFlags(u16);

impl TcpFlags {
    pub const FIN: TcpFlags = TcpFlags(0x001);
    pub const SYN: TcpFlags = TcpFlags(0x002);
    pub const RST: TcpFlags = TcpFlags(0x004);
    pub const PSH: TcpFlags = TcpFlags(0x008);
    pub const ACK: TcpFlags = TcpFlags(0x010);
    pub const URG: TcpFlags = TcpFlags(0x020);
    pub const ECE: TcpFlags = TcpFlags(0x040);
    pub const CWR: TcpFlags = TcpFlags(0x080);
    pub const NS: TcpFlags = TcpFlags(0x100);
    /// The three reserved bits before NS.
    pub const RESERVED: TcpFlags = TcpFlags(0xe00);
    pub const NONE: TcpFlags = TcpFlags(0);
    const ALL: u16 = 0xfff;

    /// The low 12 bits of `bits`; higher bits are dropped.
    pub const fn from_bits_truncate(bits: u16) -> Self {
        TcpFlags(bits & Self::ALL)
    }
    pub const fn bits(self) -> u16 {
        self.0
    }
    pub const fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn intersects(self, other: TcpFlags) -> bool {
        self.0 & other.0 != 0
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn fin(self) -> bool {
        self.contains(Self::FIN)
    }
    pub fn syn(self) -> bool {
        self.contains(Self::SYN)
    }
    pub fn rst(self) -> bool {
        self.contains(Self::RST)
    }
    pub fn psh(self) -> bool {
        self.contains(Self::PSH)
    }
    pub fn ack(self) -> bool {
        self.contains(Self::ACK)
    }
    pub fn urg(self) -> bool {
        self.contains(Self::URG)
    }
    pub fn ece(self) -> bool {
        self.contains(Self::ECE)
    }
    pub fn cwr(self) -> bool {
        self.contains(Self::CWR)
    }
    pub fn ns(self) -> bool {
        self.contains(Self::NS)
    }
    #[inline]
    pub fn set(&mut self, flag: TcpFlags, on: bool) {
        if on {
            self.0 |= flag.0;
        } else {
            self.0 &= !flag.0;
        }
    }
}

/// The packetdrill letters in the order packetdrill prints them, ACK (`.`)
/// last: `S.`, `SE.`, `FP.`, `U.` as in its scripts.
const LETTERS: [(char, TcpFlags); 9] = [
    ('F', TcpFlags::FIN),
    ('S', TcpFlags::SYN),
    ('R', TcpFlags::RST),
    ('P', TcpFlags::PSH),
    ('U', TcpFlags::URG),
    ('E', TcpFlags::ECE),
    ('W', TcpFlags::CWR),
    ('N', TcpFlags::NS),
    ('.', TcpFlags::ACK),
];

/// packetdrill notation: `S`, `S.`, `P.`, `F.`, `R`, `.`, `SEW`, ... with
/// `N` for NS; no flags at all is the empty string. Reserved bits, if set,
/// are appended as `[res=0x..]`, which `FromStr` does not accept.
impl fmt::Display for TcpFlags {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (c, flag) in LETTERS {
            if self.contains(flag) {
                write!(f, "{c}")?;
            }
        }
        let reserved = self.0 & Self::RESERVED.0;
        if reserved != 0 {
            write!(f, "[res={:#x}]", reserved >> 9)?;
        }
        Ok(())
    }
}

impl fmt::Debug for TcpFlags {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TcpFlags({self})")
    }
}

/// Parses packetdrill notation (any order, each letter at most once); the
/// error is the first letter that is not a flag or is repeated.
impl FromStr for TcpFlags {
    type Err = char;

    fn from_str(s: &str) -> Result<Self, char> {
        let mut flags = TcpFlags::NONE;
        for c in s.chars() {
            let flag = LETTERS
                .iter()
                .find(|(l, _)| *l == c)
                .map(|&(_, f)| f)
                .ok_or(c)?;
            if flags.contains(flag) {
                return Err(c);
            }
            flags |= flag;
        }
        Ok(flags)
    }
}

impl BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for TcpFlags {
    #[inline]
    fn bitor_assign(&mut self, rhs: TcpFlags) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for TcpFlags {
    type Output = TcpFlags;
    fn bitand(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 & rhs.0)
    }
}

impl Not for TcpFlags {
    type Output = TcpFlags;
    fn not(self) -> TcpFlags {
        TcpFlags(!self.0 & Self::ALL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_matches_packetdrill_scripts() {
        let table = [
            (TcpFlags::SYN, "S"),
            (TcpFlags::SYN | TcpFlags::ACK, "S."),
            (TcpFlags::PSH | TcpFlags::ACK, "P."),
            (TcpFlags::FIN | TcpFlags::ACK, "F."),
            (TcpFlags::RST, "R"),
            (TcpFlags::ACK, "."),
            (TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR, "SEW"),
            (TcpFlags::SYN | TcpFlags::ECE | TcpFlags::ACK, "SE."),
            (TcpFlags::FIN | TcpFlags::PSH | TcpFlags::ACK, "FP."),
            (TcpFlags::URG | TcpFlags::ACK, "U."),
            (TcpFlags::NS | TcpFlags::ACK, "N."),
            (TcpFlags::NONE, ""),
        ];
        for (flags, text) in table {
            assert_eq!(flags.to_string(), text);
            assert_eq!(text.parse(), Ok(flags), "{text}");
        }
        // Any order parses; a repeated or unknown letter is the error.
        assert_eq!(
            "SF.".parse(),
            Ok(TcpFlags::SYN | TcpFlags::FIN | TcpFlags::ACK)
        );
        assert_eq!("SS".parse::<TcpFlags>(), Err('S'));
        assert_eq!("SX".parse::<TcpFlags>(), Err('X'));
        assert_eq!(
            TcpFlags::from_bits_truncate(0xe02).to_string(),
            "S[res=0x7]"
        );
    }
}
