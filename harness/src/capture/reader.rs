//! Reading captures: pcap and pcapng files with Ethernet, raw IP or Linux
//! cooked (SLL, SLL2) link types, into timed IP datagrams.
//!
//! Times are kept as the capture states them, as microseconds since the
//! epoch (nanosecond captures are cut to the microsecond): the pcaps that
//! [`Recorder`](super::Recorder) writes start at the epoch, so their packets
//! come back at exactly the target time they were recorded at; a capture of a
//! real stack can be moved to start at zero with [`Capture::rebased`].
//!
//! A malformed or cut-short file is an [`ReadError`] naming the byte offset
//! and the frame; frames that carry no IP at all (ARP, LLDP) are not errors:
//! they are listed in [`Capture::skipped`].

use super::Direction;
use super::link::{LinkType, Unframed, unframe};
use netdrill_stack::time::Instant;
use pcap_file::PcapError;
use pcap_file::pcap::PcapParser;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketOption;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::{Block, PcapNgParser};
use pcap_file::{Endianness, TsResolution};
use std::fmt;
use std::path::{Path, PathBuf};

/// The container format of a capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    PcapNg,
}

/// One IP datagram from a capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedPacket {
    /// 1-based frame number, as Wireshark counts (every packet record counts,
    /// including the skipped ones).
    pub number: usize,
    /// Time since the epoch (or since the first packet, after [`Capture::rebased`]).
    pub at: Instant,
    /// Which way it went, when the capture says: [`Direction::Inbound`] is
    /// towards the stack under test.
    pub direction: Option<Direction>,
    /// The IP datagram as captured (shorter than `wire_len` when the capture's
    /// snapshot length cut it).
    pub bytes: Vec<u8>,
    /// Length of the datagram on the wire.
    pub wire_len: usize,
}

impl CapturedPacket {
    /// Whether the capture holds less of the datagram than went on the wire.
    pub fn is_cut(&self) -> bool {
        self.bytes.len() < self.wire_len
    }
}

/// A frame that was read but holds no IP datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub number: usize,
    pub reason: String,
}

/// The IP traffic of one capture file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capture {
    pub format: Format,
    pub packets: Vec<CapturedPacket>,
    pub skipped: Vec<Skipped>,
}

impl Capture {
    /// The same capture with times counted from its first packet.
    pub fn rebased(mut self) -> Capture {
        if let Some(start) = self.packets.first().map(|p| p.at) {
            for p in &mut self.packets {
                p.at = Instant::from_micros(p.at.saturating_since(start).as_micros());
            }
        }
        self
    }
}

/// What is wrong with a capture file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadErrorKind {
    /// The file could not be read.
    Io(String),
    /// The file starts with neither a pcap nor a pcapng magic number.
    NotACapture { magic: Vec<u8> },
    /// The file ends in the middle of something.
    Truncated(String),
    /// A field holds a value the format does not allow.
    Malformed(String),
    /// The capture's link type is not one we read (its `LINKTYPE_*` number).
    UnsupportedLinkType(u32),
}

/// A capture that cannot be read, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// The file, when reading one.
    pub path: Option<PathBuf>,
    /// Byte offset in the file of the record (header, block or packet) at fault.
    pub offset: usize,
    /// The frame being read, if the problem is in one.
    pub frame: Option<usize>,
    pub kind: ReadErrorKind,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}: ", path.display())?;
        }
        write!(f, "byte {}", self.offset)?;
        if let Some(n) = self.frame {
            write!(f, " (frame {n})")?;
        }
        f.write_str(": ")?;
        match &self.kind {
            ReadErrorKind::Io(e) => write!(f, "cannot read: {e}"),
            ReadErrorKind::NotACapture { magic } => {
                write!(f, "not a pcap or pcapng file (it starts with")?;
                for b in magic {
                    write!(f, " {b:02x}")?;
                }
                f.write_str(")")
            }
            ReadErrorKind::Truncated(what) => write!(f, "the file ends inside {what}"),
            ReadErrorKind::Malformed(what) => write!(f, "malformed: {what}"),
            ReadErrorKind::UnsupportedLinkType(n) => write!(
                f,
                "link type {n} is not supported (Ethernet, raw IP, Linux SLL and SLL2 are)"
            ),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads the capture file at `path`.
pub fn read_file(path: &Path) -> Result<Capture, ReadError> {
    let bytes = std::fs::read(path).map_err(|e| ReadError {
        path: Some(path.to_path_buf()),
        offset: 0,
        frame: None,
        kind: ReadErrorKind::Io(e.to_string()),
    })?;
    read_bytes(&bytes).map_err(|e| ReadError {
        path: Some(path.to_path_buf()),
        ..e
    })
}

const PCAPNG_MAGIC: [u8; 4] = [0x0A, 0x0D, 0x0D, 0x0A];
const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xA1, 0xB2, 0xC3, 0xD4], // big-endian, µs
    [0xD4, 0xC3, 0xB2, 0xA1], // little-endian, µs
    [0xA1, 0xB2, 0x3C, 0x4D], // big-endian, ns
    [0x4D, 0x3C, 0xB2, 0xA1], // little-endian, ns
];

/// Reads a capture held in memory.
pub fn read_bytes(bytes: &[u8]) -> Result<Capture, ReadError> {
    let magic = bytes.get(..4).unwrap_or(bytes);
    if magic == PCAPNG_MAGIC {
        PcapNgReader::new(bytes).read()
    } else if PCAP_MAGICS.iter().any(|m| m == magic) {
        read_pcap(bytes)
    } else {
        Err(ReadError {
            path: None,
            offset: 0,
            frame: None,
            kind: if bytes.len() < 4 {
                ReadErrorKind::Truncated(format!("the magic number ({} of 4 bytes)", bytes.len()))
            } else {
                ReadErrorKind::NotACapture {
                    magic: magic.to_vec(),
                }
            },
        })
    }
}

/// Collects frames and turns their link-layer records into packets.
struct Collector {
    capture: Capture,
    frames: usize,
}

impl Collector {
    fn new(format: Format) -> Collector {
        Collector {
            capture: Capture {
                format,
                packets: vec![],
                skipped: vec![],
            },
            frames: 0,
        }
    }

    /// Adds the next frame: `record` as captured, `orig_len` its length on the wire.
    fn frame(
        &mut self,
        offset: usize,
        link: LinkType,
        at: Instant,
        record: &[u8],
        orig_len: usize,
        hint: Option<Direction>,
    ) -> Result<(), ReadError> {
        self.frames += 1;
        let number = self.frames;
        match unframe(link, record) {
            Ok(Unframed::Ip { ip, direction }) => {
                let header_len = record.len() - ip.len();
                self.capture.packets.push(CapturedPacket {
                    number,
                    at,
                    direction: hint.or(direction),
                    bytes: ip.to_vec(),
                    wire_len: orig_len.saturating_sub(header_len).max(ip.len()),
                });
                Ok(())
            }
            Ok(Unframed::NotIp(reason)) => {
                self.capture.skipped.push(Skipped { number, reason });
                Ok(())
            }
            Err(e) => Err(ReadError {
                path: None,
                offset,
                frame: Some(number),
                kind: ReadErrorKind::Malformed(e.0),
            }),
        }
    }

    fn next_frame(&self) -> usize {
        self.frames + 1
    }
}

fn error(offset: usize, frame: Option<usize>, kind: ReadErrorKind) -> ReadError {
    ReadError {
        path: None,
        offset,
        frame,
        kind,
    }
}

/// Maps a pcap-file error on the record starting at `offset` to ours.
fn pcap_error(e: PcapError, offset: usize, frame: Option<usize>, what: &str) -> ReadError {
    let kind = match e {
        PcapError::IncompleteBuffer => ReadErrorKind::Truncated(what.to_string()),
        PcapError::InvalidField(field) => ReadErrorKind::Malformed(format!("{what}: {field}")),
        other => ReadErrorKind::Malformed(format!("{what}: {other}")),
    };
    error(offset, frame, kind)
}

fn link_type(n: u32, offset: usize) -> Result<LinkType, ReadError> {
    LinkType::from_number(n)
        .ok_or_else(|| error(offset, None, ReadErrorKind::UnsupportedLinkType(n)))
}

fn read_pcap(bytes: &[u8]) -> Result<Capture, ReadError> {
    let (mut rest, parser) =
        PcapParser::new(bytes).map_err(|e| pcap_error(e, 0, None, "the pcap file header"))?;
    let header = parser.header();
    let link = link_type(u32::from(header.datalink), 20)?;
    let mut out = Collector::new(Format::Pcap);
    while !rest.is_empty() {
        let offset = bytes.len() - rest.len();
        let frame = out.next_frame();
        let (next, raw) = parser
            .next_raw_packet(rest)
            .map_err(|e| pcap_error(e, offset, Some(frame), "a packet record"))?;
        let micros = match header.ts_resolution {
            TsResolution::MicroSecond if raw.ts_frac < 1_000_000 => raw.ts_frac,
            TsResolution::NanoSecond if raw.ts_frac < 1_000_000_000 => raw.ts_frac / 1000,
            _ => {
                return Err(error(
                    offset,
                    Some(frame),
                    ReadErrorKind::Malformed(format!(
                        "timestamp fraction {} is a second or more",
                        raw.ts_frac
                    )),
                ));
            }
        };
        let at = Instant::from_micros(u64::from(raw.ts_sec) * 1_000_000 + u64::from(micros));
        let orig_len = usize::try_from(raw.orig_len).unwrap_or(usize::MAX);
        out.frame(offset, link, at, &raw.data, orig_len, None)?;
        rest = next;
    }
    Ok(out.capture)
}

/// Converts a pcapng timestamp in an interface's units to microseconds.
///
/// `if_tsresol`: the low 7 bits are an exponent; the top bit clear means
/// units of 10^-n s, set means 2^-n s. Absent, the unit is 10^-6 s.
/// `if_tsoffset` is a number of seconds added to every timestamp.
fn pcapng_micros(ticks: u64, tsresol: u8, tsoffset: u64) -> Option<u64> {
    let exp = u32::from(tsresol & 0x7F);
    let ticks = u128::from(ticks);
    let micros = if tsresol & 0x80 == 0 {
        if exp >= 6 {
            // Past 10^38 the divisor overflows, and any u64 tick count is 0 µs.
            10u128.checked_pow(exp - 6).map_or(0, |unit| ticks / unit)
        } else {
            ticks.checked_mul(10u128.pow(6 - exp))?
        }
    } else {
        let scaled = ticks.checked_mul(1_000_000)?;
        if exp >= 128 { 0 } else { scaled >> exp }
    };
    let offset = u128::from(tsoffset).checked_mul(1_000_000)?;
    u64::try_from(micros.checked_add(offset)?).ok()
}

/// The time units of one pcapng interface.
struct Interface {
    link: Option<LinkType>,
    link_number: u32,
    tsresol: u8,
    tsoffset: u64,
}

impl Interface {
    fn from_block(idb: &InterfaceDescriptionBlock<'_>) -> Interface {
        let mut tsresol = 6;
        let mut tsoffset = 0;
        for option in &idb.options {
            match option {
                InterfaceDescriptionOption::IfTsResol(r) => tsresol = *r,
                InterfaceDescriptionOption::IfTsOffset(o) => tsoffset = *o,
                _ => {}
            }
        }
        let link_number = u32::from(idb.linktype);
        Interface {
            link: LinkType::from_number(link_number),
            link_number,
            tsresol,
            tsoffset,
        }
    }
}

/// `epb_flags` bits 0-1: 01 inbound, 10 outbound (pcapng spec, §4.3.1).
fn epb_direction(options: &[EnhancedPacketOption<'_>]) -> Option<Direction> {
    options.iter().find_map(|o| match o {
        EnhancedPacketOption::Flags(f) => match f & 0b11 {
            0b01 => Some(Direction::Inbound),
            0b10 => Some(Direction::Outbound),
            _ => None,
        },
        _ => None,
    })
}

struct PcapNgReader<'a> {
    bytes: &'a [u8],
    interfaces: Vec<Interface>,
    endianness: Endianness,
    last_time: Instant,
    out: Collector,
}

impl<'a> PcapNgReader<'a> {
    fn new(bytes: &'a [u8]) -> PcapNgReader<'a> {
        PcapNgReader {
            bytes,
            interfaces: vec![],
            endianness: Endianness::Big,
            last_time: Instant::ZERO,
            out: Collector::new(Format::PcapNg),
        }
    }

    fn read(mut self) -> Result<Capture, ReadError> {
        let (mut rest, mut parser) = PcapNgParser::new(self.bytes)
            .map_err(|e| pcap_error(e, 0, None, "the section header block"))?;
        self.endianness = parser.section().endianness;
        while !rest.is_empty() {
            let offset = self.bytes.len() - rest.len();
            let (next, block) = parser
                .next_block(rest)
                .map_err(|e| pcap_error(e, offset, Some(self.out.next_frame()), "a block"))?;
            self.block(offset, block)?;
            rest = next;
        }
        Ok(self.out.capture)
    }

    fn interface(&self, id: u32, offset: usize) -> Result<&Interface, ReadError> {
        let frame = Some(self.out.next_frame());
        let interface = usize::try_from(id)
            .ok()
            .and_then(|i| self.interfaces.get(i))
            .ok_or_else(|| {
                error(
                    offset,
                    frame,
                    ReadErrorKind::Malformed(format!(
                        "packet of interface {id}, but {} interface(s) are described",
                        self.interfaces.len()
                    )),
                )
            })?;
        if interface.link.is_none() {
            return Err(error(
                offset,
                frame,
                ReadErrorKind::UnsupportedLinkType(interface.link_number),
            ));
        }
        Ok(interface)
    }

    fn packet(
        &mut self,
        offset: usize,
        interface_id: u32,
        ticks: Option<u64>,
        data: &[u8],
        orig_len: u32,
        hint: Option<Direction>,
    ) -> Result<(), ReadError> {
        let frame = Some(self.out.next_frame());
        let interface = self.interface(interface_id, offset)?;
        let Some(link) = interface.link else {
            return Err(error(
                offset,
                frame,
                ReadErrorKind::UnsupportedLinkType(interface.link_number),
            ));
        };
        // A simple packet block has no timestamp: it keeps the previous one.
        let at = match ticks {
            None => self.last_time,
            Some(t) => pcapng_micros(t, interface.tsresol, interface.tsoffset)
                .map(Instant::from_micros)
                .ok_or_else(|| {
                    error(
                        offset,
                        frame,
                        ReadErrorKind::Malformed(format!(
                            "timestamp {t} does not fit in microseconds (if_tsresol {:#x})",
                            interface.tsresol
                        )),
                    )
                })?,
        };
        self.last_time = at;
        let orig_len = usize::try_from(orig_len).unwrap_or(usize::MAX);
        self.out.frame(offset, link, at, data, orig_len, hint)
    }

    fn block(&mut self, offset: usize, block: Block<'_>) -> Result<(), ReadError> {
        match block {
            Block::SectionHeader(shb) => {
                // A new section: its interfaces start again from 0.
                self.endianness = shb.endianness;
                self.interfaces.clear();
                Ok(())
            }
            Block::InterfaceDescription(idb) => {
                self.interfaces.push(Interface::from_block(&idb));
                Ok(())
            }
            Block::EnhancedPacket(epb) => {
                // pcap-file hands the raw 64-bit tick count over as nanoseconds.
                let ticks = u64::try_from(epb.timestamp.as_nanos()).unwrap_or(u64::MAX);
                let hint = epb_direction(&epb.options);
                self.packet(
                    offset,
                    epb.interface_id,
                    Some(ticks),
                    &epb.data,
                    epb.original_len,
                    hint,
                )
            }
            Block::Packet(pb) => {
                // The obsolete packet block: pcap-file reads its two 32-bit
                // timestamp words as one u64 in the section's byte order, which
                // puts them the wrong way round in little-endian files.
                let ticks = match self.endianness {
                    Endianness::Big => pb.timestamp,
                    Endianness::Little => pb.timestamp.rotate_left(32),
                };
                self.packet(
                    offset,
                    u32::from(pb.interface_id),
                    Some(ticks),
                    &pb.data,
                    pb.original_len,
                    None,
                )
            }
            Block::SimplePacket(spb) => {
                // The block body is padded to 32 bits; the packet is `original_len` long.
                let len = usize::try_from(spb.original_len)
                    .unwrap_or(usize::MAX)
                    .min(spb.data.len());
                self.packet(offset, 0, None, &spb.data[..len], spb.original_len, None)
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcapng_time_units() {
        let table: &[(u64, u8, u64, Option<u64>)] = &[
            (1_500_000, 6, 0, Some(1_500_000)),       // default: µs
            (1_500_000_123, 9, 0, Some(1_500_000)),   // ns, cut to µs
            (15, 1, 0, Some(1_500_000)),              // tenths of a second
            (3, 0, 0, Some(3_000_000)),               // seconds
            (1 << 20, 0x80 | 20, 0, Some(1_000_000)), // 2^-20 s units
            (1, 6, 10, Some(10_000_001)),             // if_tsoffset seconds
            (u64::MAX, 0, 0, None),                   // too far to hold in µs
            (5, 0x7F, 0, Some(0)),                    // 10^-127 s units
            (u64::MAX, 0xFF, 0, Some(0)),             // 2^-127 s units
        ];
        for &(ticks, resol, offset, want) in table {
            assert_eq!(
                pcapng_micros(ticks, resol, offset),
                want,
                "{ticks} ticks, resol {resol:#x}"
            );
        }
    }

    #[test]
    fn errors_name_where_and_what() {
        let err = read_bytes(b"GIF89a...").unwrap_err();
        assert_eq!(
            err.to_string(),
            "byte 0: not a pcap or pcapng file (it starts with 47 49 46 38)"
        );
        let err = read_bytes(&[0xD4, 0xC3]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "byte 0: the file ends inside the magic number (2 of 4 bytes)"
        );
        let err = read_bytes(&[0xD4, 0xC3, 0xB2, 0xA1, 2, 0]).unwrap_err();
        assert_eq!(
            err.kind,
            ReadErrorKind::Truncated("the pcap file header".into())
        );
    }
}
