//! Writing runs to pcap: [`PcapSink`] writes timed IP packets as Ethernet
//! frames, and [`Recorder`] wraps any [`Target`] so that every packet injected
//! into it and every packet it emits lands in a pcap, with the target's time.
//!
//! The files are classic pcap (libpcap 2.4), little-endian, microsecond
//! timestamps, `LINKTYPE_ETHERNET`, snaplen [`SNAPLEN`]. Timestamps are the
//! target's time since the start of the run, so a run recorded at 0.100 s
//! shows as `1970-01-01 00:00:00.100000`; that keeps the files of a
//! virtual-time run identical from one run to the next. Frame addresses are
//! [`LOCAL_MAC`](super::LOCAL_MAC) for the stack under test and
//! [`REMOTE_MAC`](super::REMOTE_MAC) for the script's peer.

use super::Direction;
use super::link::ethernet_frame;
use crate::run::verdict::{TracedPacket, ip_version_word};
use crate::target::{
    Command, CommandOutcome, Event, IpVersion, Started, Syscall, Target, TargetError,
};
use netdrill_stack::time::Instant;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, Endianness, TsResolution};
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Component, Path};

/// Largest frame stored whole (libpcap's `MAXIMUM_SNAPLEN`); longer frames
/// are cut to this length with their original length kept in the record.
pub const SNAPLEN: u32 = 262_144;

/// Why a capture could not be written.
#[derive(Debug)]
pub enum WriteError {
    /// Creating or writing the file failed.
    Io(std::io::Error),
    /// The packet cannot be represented in a pcap record.
    Record(String),
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteError::Io(e) => write!(f, "writing the capture: {e}"),
            WriteError::Record(why) => write!(f, "writing the capture: {why}"),
        }
    }
}

impl std::error::Error for WriteError {}

fn from_pcap(e: pcap_file::PcapError) -> WriteError {
    match e {
        pcap_file::PcapError::IoError(io) => WriteError::Io(io),
        other => WriteError::Record(other.to_string()),
    }
}

/// A pcap file being written, one IP packet at a time.
pub struct PcapSink<W: Write> {
    writer: PcapWriter<W>,
}

impl<W: Write> fmt::Debug for PcapSink<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PcapSink")
    }
}

impl<W: Write> PcapSink<W> {
    /// Writes the file header to `out`.
    pub fn new(out: W) -> Result<Self, WriteError> {
        let header = PcapHeader {
            version_major: 2,
            version_minor: 4,
            ts_correction: 0,
            ts_accuracy: 0,
            snaplen: SNAPLEN,
            datalink: DataLink::ETHERNET,
            ts_resolution: TsResolution::MicroSecond,
            endianness: Endianness::Little,
        };
        let writer = PcapWriter::with_header(out, header).map_err(from_pcap)?;
        Ok(PcapSink { writer })
    }

    /// Appends one IP datagram that crossed the seam at `at`, going `direction`.
    pub fn write(
        &mut self,
        at: Instant,
        direction: Direction,
        ip: &[u8],
    ) -> Result<(), WriteError> {
        let mut frame = ethernet_frame(direction, ip);
        let orig_len = u32::try_from(frame.len()).map_err(|_| {
            WriteError::Record(format!("a {}-byte packet is too long for pcap", ip.len()))
        })?;
        frame.truncate(SNAPLEN as usize);
        let timestamp = std::time::Duration::from_micros(at.as_micros());
        if timestamp.as_secs() > u64::from(u32::MAX) {
            return Err(WriteError::Record(format!(
                "time {at} is past the largest pcap timestamp"
            )));
        }
        let packet = PcapPacket::new_owned(timestamp, orig_len, frame);
        self.writer.write_packet(&packet).map_err(from_pcap)?;
        Ok(())
    }

    /// Appends a packet the interpreter traced (see [`RunResult::packets`](crate::run::RunResult::packets)).
    pub fn write_traced(&mut self, packet: &TracedPacket) -> Result<(), WriteError> {
        self.write(packet.at, packet.direction, &packet.bytes)
    }

    /// Flushes and hands back the output.
    pub fn finish(self) -> Result<W, WriteError> {
        let mut out = self.writer.into_writer();
        out.flush().map_err(WriteError::Io)?;
        Ok(out)
    }
}

/// A [`Target`] that records the traffic of another one in a pcap.
///
/// Injected packets are written (inbound, at the inner target's time) before
/// they are handed on; emitted packets are written (outbound, at the time the
/// inner target gives them) as they come out of [`Target::next_event`].
/// Syscalls and commands pass through untouched. A failure to write the file
/// is a [`TargetError::Io`]: a run asked to be recorded is not silently left
/// unrecorded.
#[derive(Debug)]
pub struct Recorder<T, W: Write = BufWriter<File>> {
    inner: T,
    sink: PcapSink<W>,
}

impl<T: Target> Recorder<T, BufWriter<File>> {
    /// Records `inner` into a new file at `path` (replacing any file there).
    pub fn create(inner: T, path: &Path) -> Result<Self, WriteError> {
        let file = File::create(path).map_err(WriteError::Io)?;
        Recorder::new(inner, BufWriter::new(file))
    }
}

impl<T: Target, W: Write> Recorder<T, W> {
    /// Records `inner` into `out`.
    pub fn new(inner: T, out: W) -> Result<Self, WriteError> {
        Ok(Recorder {
            inner,
            sink: PcapSink::new(out)?,
        })
    }

    /// The wrapped target.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The wrapped target, mutably (what it does through this reference is not recorded).
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Ends the recording: flushes the file and hands back the target and the output.
    pub fn finish(self) -> Result<(T, W), WriteError> {
        let out = self.sink.finish()?;
        Ok((self.inner, out))
    }
}

/// The file name of the pcap of one run in a `--pcap-dir`: the script's path
/// with its folders joined by `__` (`..` as `up`), then the address family:
/// `corpus/tcp/close/fin.pkt` run over IPv6 is `corpus__tcp__close__fin.pkt.ipv6.pcap`.
pub fn pcap_file_name(script: &Path, ip_version: IpVersion) -> String {
    let parts: Vec<String> = script
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            Component::ParentDir => Some("up".to_string()),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    format!("{}.{}.pcap", parts.join("__"), ip_version_word(ip_version))
}

fn to_target_error(e: WriteError) -> TargetError {
    TargetError::Io(e.to_string())
}

impl<T: Target, W: Write> Target for Recorder<T, W> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn now(&self) -> Instant {
        self.inner.now()
    }

    fn inject(&mut self, packet: &[u8]) -> Result<(), TargetError> {
        let at = self.inner.now();
        self.sink
            .write(at, Direction::Inbound, packet)
            .map_err(to_target_error)?;
        self.inner.inject(packet)
    }

    fn syscall(&mut self, call: Syscall) -> Result<Started, TargetError> {
        self.inner.syscall(call)
    }

    fn next_event(&mut self, deadline: Instant) -> Result<Option<Event>, TargetError> {
        let event = self.inner.next_event(deadline)?;
        if let Some(Event::Packet { at, bytes }) = &event {
            self.sink
                .write(*at, Direction::Outbound, bytes)
                .map_err(to_target_error)?;
        }
        Ok(event)
    }

    fn command(&mut self, command: &Command) -> Result<CommandOutcome, TargetError> {
        self.inner.command(command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcap_file_names_are_flat_and_distinct() {
        let table = [
            (
                "corpus/tcp/close/fin.pkt",
                IpVersion::Ipv6,
                "corpus__tcp__close__fin.pkt.ipv6.pcap",
            ),
            ("./a.pkt", IpVersion::Ipv4, "a.pkt.ipv4.pcap"),
            (
                "/abs/a.pkt",
                IpVersion::Ipv4MappedIpv6,
                "abs__a.pkt.ipv4-mapped-ipv6.pcap",
            ),
            (
                "../shared/x/y.pkt",
                IpVersion::Ipv4,
                "up__shared__x__y.pkt.ipv4.pcap",
            ),
        ];
        for (script, ip, want) in table {
            assert_eq!(pcap_file_name(Path::new(script), ip), want, "{script}");
        }
        assert_ne!(
            pcap_file_name(Path::new("a/b-c.pkt"), IpVersion::Ipv4),
            pcap_file_name(Path::new("a-b/c.pkt"), IpVersion::Ipv4)
        );
    }
}
