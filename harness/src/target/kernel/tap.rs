//! The run's `tun0`: a TUN device (IP packets, no link layer, no `struct
//! tun_pi` header), as packetdrill uses on Linux. With no link layer there is
//! no ARP or neighbour discovery to answer: the kernel hands every routed
//! packet straight to the device.
//!
//! Injecting is one `write` of an IP packet; reading is a non-blocking
//! `read` per packet, done by whoever waits for the run's events (see
//! [`super::KernelTarget`]), which timestamps each packet as it is read.

use super::filter::is_test_traffic;
use super::sys;
use netdrill_stack::time::Instant;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;

/// The device name scripts use in their `tc`/`ip` commands.
pub const DEVICE: &str = "tun0";
const TUN_PATH: &str = "/dev/net/tun";
/// Largest IP packet plus room: a read never truncates.
pub const READ_BUFFER: usize = 65_536 + 256;

/// Opens `/dev/net/tun` and creates `tun0`; call it inside the namespace (the
/// device is created in the namespace of the thread that opened the file).
/// The fd is non-blocking.
pub fn create() -> io::Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(TUN_PATH)
        .map_err(|e| io::Error::new(e.kind(), format!("opening {TUN_PATH}: {e}")))?;
    sys::tun_set_iff(file.as_fd(), DEVICE, libc::IFF_TUN | libc::IFF_NO_PI)
        .map_err(|e| io::Error::new(e.kind(), format!("creating {DEVICE} (TUNSETIFF): {e}")))?;
    Ok(file)
}

/// Hands one IP packet to the kernel as if it had arrived on `tun0`.
pub fn inject(tun: &File, packet: &[u8]) -> io::Result<()> {
    let written = (&*tun).write(packet)?;
    if written != packet.len() {
        return Err(io::Error::other(format!(
            "{DEVICE} took {written} of {} bytes",
            packet.len()
        )));
    }
    Ok(())
}

/// Reads every packet queued on `tun0` now, stamping each with `now()` as it
/// is read, and hands the test's packets to `found`; returns how many
/// packets were read (link-local chatter included).
pub fn drain(
    tun: &File,
    buf: &mut [u8],
    now: impl Fn() -> Instant,
    mut found: impl FnMut(Instant, Vec<u8>),
) -> io::Result<usize> {
    let mut read = 0;
    loop {
        match (&*tun).read(buf) {
            Ok(n) => {
                read += 1;
                let at = now();
                let packet = &buf[..n];
                if is_test_traffic(packet) {
                    found(at, packet.to_vec());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(read),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
