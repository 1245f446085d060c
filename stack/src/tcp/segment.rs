//! The TCP layer's own segment: header fields as values, options as a list,
//! payload owned. The host converts to and from `wire::TcpRepr`, so TCP logic
//! never sees a byte offset (STYLE.md "seams that must stay clean").

use core::fmt;
use core::ops::{BitOr, BitOrAssign};

use super::seq::SeqNumber;

/// The control bits of the TCP header (RFC 9293 §3.1, RFC 3168 ECE/CWR).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags(pub u16);

impl Flags {
    pub const FIN: Flags = Flags(0x001);
    pub const SYN: Flags = Flags(0x002);
    pub const RST: Flags = Flags(0x004);
    pub const PSH: Flags = Flags(0x008);
    pub const ACK: Flags = Flags(0x010);
    pub const URG: Flags = Flags(0x020);
    pub const ECE: Flags = Flags(0x040);
    pub const CWR: Flags = Flags(0x080);
    pub const NONE: Flags = Flags(0);

    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn fin(self) -> bool {
        self.contains(Flags::FIN)
    }
    pub const fn syn(self) -> bool {
        self.contains(Flags::SYN)
    }
    pub const fn rst(self) -> bool {
        self.contains(Flags::RST)
    }
    pub const fn psh(self) -> bool {
        self.contains(Flags::PSH)
    }
    pub const fn ack(self) -> bool {
        self.contains(Flags::ACK)
    }
    pub const fn urg(self) -> bool {
        self.contains(Flags::URG)
    }
    pub fn remove(&mut self, other: Flags) {
        self.0 &= !other.0;
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, o: Flags) -> Flags {
        Flags(self.0 | o.0)
    }
}

impl BitOrAssign for Flags {
    fn bitor_assign(&mut self, o: Flags) {
        self.0 |= o.0;
    }
}

/// packetdrill's spelling: `S`, `S.`, `P.`, `F.`, `R`, `.`, ...
impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letters = [
            (Flags::SYN, 'S'),
            (Flags::FIN, 'F'),
            (Flags::RST, 'R'),
            (Flags::PSH, 'P'),
            (Flags::URG, 'U'),
            (Flags::ECE, 'E'),
            (Flags::CWR, 'W'),
        ];
        let mut any = false;
        for (flag, c) in letters {
            if self.contains(flag) {
                write!(f, "{c}")?;
                any = true;
            }
        }
        if self.ack() {
            write!(f, ".")?;
        } else if !any {
            write!(f, "-")?;
        }
        Ok(())
    }
}

/// One SACK block: the left edge and the right edge (one past the last
/// byte) of a contiguous block of received data (RFC 2018 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SackBlock {
    pub left: SeqNumber,
    pub right: SeqNumber,
}

/// One TCP option, in the order it appears on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TcpOpt {
    /// Kind 0: end of option list.
    Eol,
    /// Kind 1: padding.
    Nop,
    /// Kind 2 (RFC 9293 §3.2).
    Mss(u16),
    /// Kind 3 (RFC 7323 §2): the shift count as sent (the receiver clamps to 14).
    WindowScale(u8),
    /// Kind 4 (RFC 2018 §2).
    SackPermitted,
    /// Kind 5 (RFC 2018 §3): up to four blocks.
    Sack(Vec<SackBlock>),
    /// Kind 8 (RFC 7323 §3).
    Timestamps { tsval: u32, tsecr: u32 },
    /// Any other option, kept raw (kind, data without kind and length).
    Unknown { kind: u8, data: Vec<u8> },
}

/// A TCP segment as the TCP layer sees it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Segment {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: SeqNumber,
    /// Meaningful only when `flags.ack()`.
    pub ack: SeqNumber,
    pub flags: Flags,
    /// The header's window field, unscaled.
    pub window: u16,
    /// The urgent pointer field (meaningful only with URG).
    pub urgent: u16,
    /// Options in wire order, padding included.
    pub options: Vec<TcpOpt>,
    pub payload: Vec<u8>,
}

impl Segment {
    /// SEG.LEN: payload length plus one for SYN and one for FIN (RFC 9293 §3.4).
    pub fn seg_len(&self) -> u32 {
        let len = u32::try_from(self.payload.len()).unwrap_or(u32::MAX);
        len.saturating_add(u32::from(self.flags.syn()))
            .saturating_add(u32::from(self.flags.fin()))
    }
    /// The MSS option's value, if present.
    pub fn mss(&self) -> Option<u16> {
        self.options.iter().find_map(|o| match o {
            TcpOpt::Mss(v) => Some(*v),
            _ => None,
        })
    }
    /// The window-scale option's shift as sent, if present.
    pub fn window_scale(&self) -> Option<u8> {
        self.options.iter().find_map(|o| match o {
            TcpOpt::WindowScale(v) => Some(*v),
            _ => None,
        })
    }
    /// Whether SACK-permitted is present.
    pub fn sack_permitted(&self) -> bool {
        self.options
            .iter()
            .any(|o| matches!(o, TcpOpt::SackPermitted))
    }
    /// (TSval, TSecr) if the timestamps option is present.
    pub fn timestamps(&self) -> Option<(u32, u32)> {
        self.options.iter().find_map(|o| match o {
            TcpOpt::Timestamps { tsval, tsecr } => Some((*tsval, *tsecr)),
            _ => None,
        })
    }
    /// The SACK blocks, empty when there is no SACK option.
    pub fn sack_blocks(&self) -> &[SackBlock] {
        self.options
            .iter()
            .find_map(|o| match o {
                TcpOpt::Sack(b) => Some(b.as_slice()),
                _ => None,
            })
            .unwrap_or(&[])
    }
}

/// `S. 0:0(0) ack 1 win 65535 <mss 1460>`-like, in live numbers.
impl fmt::Debug for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = self.seq + u32::try_from(self.payload.len()).unwrap_or(u32::MAX);
        write!(
            f,
            "{}>{} {:?} {}:{}({})",
            self.src_port,
            self.dst_port,
            self.flags,
            self.seq,
            end,
            self.payload.len()
        )?;
        if self.flags.ack() {
            write!(f, " ack {}", self.ack)?;
        }
        write!(f, " win {}", self.window)?;
        if self.flags.urg() {
            write!(f, " urg {}", self.urgent)?;
        }
        if !self.options.is_empty() {
            write!(f, " <")?;
            for (i, o) in self.options.iter().enumerate() {
                if i > 0 {
                    write!(f, ",")?;
                }
                match o {
                    TcpOpt::Eol => write!(f, "eol")?,
                    TcpOpt::Nop => write!(f, "nop")?,
                    TcpOpt::Mss(v) => write!(f, "mss {v}")?,
                    TcpOpt::WindowScale(v) => write!(f, "wscale {v}")?,
                    TcpOpt::SackPermitted => write!(f, "sackOK")?,
                    TcpOpt::Sack(blocks) => {
                        write!(f, "sack")?;
                        for b in blocks {
                            write!(f, " {}:{}", b.left, b.right)?;
                        }
                    }
                    TcpOpt::Timestamps { tsval, tsecr } => write!(f, "TS val {tsval} ecr {tsecr}")?,
                    TcpOpt::Unknown { kind, data } => write!(f, "opt{kind}[{}]", data.len())?,
                }
            }
            write!(f, ">")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seg_len_counts_syn_and_fin() {
        let mut s = Segment {
            payload: vec![0; 10],
            ..Segment::default()
        };
        assert_eq!(s.seg_len(), 10);
        s.flags = Flags::SYN | Flags::FIN;
        assert_eq!(s.seg_len(), 12);
    }

    #[test]
    fn debug_uses_packetdrill_flag_letters() {
        assert_eq!(format!("{:?}", Flags::SYN | Flags::ACK), "S.");
        assert_eq!(format!("{:?}", Flags::PSH | Flags::ACK), "P.");
        assert_eq!(format!("{:?}", Flags::ACK), ".");
        assert_eq!(format!("{:?}", Flags::RST), "R");
        assert_eq!(format!("{:?}", Flags::NONE), "-");
    }

    #[test]
    fn option_accessors_find_options_anywhere_in_the_list() {
        let s = Segment {
            options: vec![
                TcpOpt::Nop,
                TcpOpt::Mss(1000),
                TcpOpt::SackPermitted,
                TcpOpt::Timestamps { tsval: 5, tsecr: 6 },
                TcpOpt::WindowScale(7),
            ],
            ..Segment::default()
        };
        assert_eq!(s.mss(), Some(1000));
        assert_eq!(s.window_scale(), Some(7));
        assert!(s.sack_permitted());
        assert_eq!(s.timestamps(), Some((5, 6)));
        assert!(s.sack_blocks().is_empty());
    }
}
