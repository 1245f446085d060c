//! Packet captures of runs.
//!
//! - [`writer`]: [`PcapSink`] writes timed IP packets as an Ethernet pcap;
//!   [`Recorder`] wraps any [`Target`](crate::target::Target) and records
//!   every packet that goes in or comes out.
//! - [`reader`]: reads pcap and pcapng files (Ethernet, raw IP, Linux cooked
//!   SLL/SLL2) back into timed IP packets, with errors that say where a file
//!   is broken.
//! - [`link`]: the link-layer framing both use, and the fixed MAC addresses
//!   of the pcaps we write.

pub mod link;
pub mod reader;
pub mod writer;

pub use link::{LOCAL_MAC, REMOTE_MAC};
pub use reader::{
    Capture, CapturedPacket, Format, ReadError, ReadErrorKind, read_bytes, read_file,
};
pub use writer::{PcapSink, Recorder, SNAPLEN, WriteError, pcap_file_name};

/// Which way a packet crossed the seam: the interpreter's own type, so that
/// a traced run and a capture speak of directions the same way.
pub use crate::run::verdict::Direction;
