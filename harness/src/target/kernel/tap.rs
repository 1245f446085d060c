//! The run's `tun0`: a TAP device (Ethernet frames, no `struct tun_pi`
//! header). Scripts name it `tun0`, as packetdrill's device is named.
//!
//! Injecting is one `write` of a frame; reading is a non-blocking `read` per
//! frame, done by whoever waits for the run's events (see
//! [`super::KernelTarget`]), which timestamps each packet as it is read.
//! Framing, and answering the kernel's neighbour requests, is
//! [`super::link`]'s business.

use super::link::{self, Link, Received};
use super::sys;
use netdrill_stack::time::Instant;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;

/// The device name scripts use in their `tc`/`ip` commands.
pub const DEVICE: &str = "tun0";
const TUN_PATH: &str = "/dev/net/tun";
/// Largest frame plus room: a read never truncates.
pub const READ_BUFFER: usize = 65_536 + 256;

/// Opens `/dev/net/tun` and creates `tun0` as a TAP device; call it inside
/// the namespace (the device is created in the namespace of the thread that
/// opened the file). The fd is non-blocking.
pub fn create() -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(TUN_PATH)
        .map_err(|e| io::Error::new(e.kind(), format!("opening {TUN_PATH}: {e}")))?;
    sys::tun_set_iff(file.as_fd(), DEVICE, libc::IFF_TAP | libc::IFF_NO_PI)
        .map_err(|e| io::Error::new(e.kind(), format!("creating {DEVICE} (TUNSETIFF): {e}")))?;
    Ok(file)
}

/// Writes one whole frame to `tun0`.
fn write_frame(tap: &File, frame: &[u8]) -> io::Result<()> {
    let written = (&*tap).write(frame)?;
    if written != frame.len() {
        return Err(io::Error::other(format!(
            "{DEVICE} took {written} of {} bytes",
            frame.len()
        )));
    }
    Ok(())
}

/// Hands one IP packet to the kernel as if the remote side had sent it on
/// `tun0`, framed in `scratch`.
pub fn inject(tap: &File, packet: &[u8], scratch: &mut Vec<u8>) -> io::Result<()> {
    link::frame(packet, scratch).map_err(io::Error::other)?;
    write_frame(tap, scratch)
}

/// Reads every frame queued on `tun0` now, stamping each with `now()` as it
/// is read: test packets go to `found` (as IP datagrams), neighbour
/// requests are answered at once, chatter is dropped. Returns how many
/// frames were read.
pub fn drain(
    tap: &File,
    link: &Link,
    buf: &mut [u8],
    now: impl Fn() -> Instant,
    mut found: impl FnMut(Instant, Vec<u8>),
) -> io::Result<usize> {
    let mut read = 0;
    loop {
        match (&*tap).read(buf) {
            Ok(n) => {
                read += 1;
                let at = now();
                match link.receive(&buf[..n]) {
                    Received::Packet(ip) => found(at, ip.to_vec()),
                    Received::Answer(frame) => write_frame(tap, &frame)?,
                    Received::Ignored => {}
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(read),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
