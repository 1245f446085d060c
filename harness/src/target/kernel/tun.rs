//! The run's `tun0`: a TUN device (IP packets, no link layer, no `struct
//! tun_pi` header), as packetdrill uses on Linux. With no link layer there is
//! no ARP or neighbour discovery to answer: the kernel hands every routed
//! packet straight to the device.
//!
//! Injecting is one `write` of an IP packet. Reading is done by a thread that
//! timestamps each packet the moment it comes out of the kernel and forwards
//! the test's packets (see [`super::filter`]) to the run's event channel.

use super::filter::is_test_traffic;
use super::sys;
use super::{Clock, Msg};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::thread::{self, JoinHandle};

/// The device name scripts use in their `tc`/`ip` commands.
pub const DEVICE: &str = "tun0";
const TUN_PATH: &str = "/dev/net/tun";
/// Largest IP packet plus room: a read never truncates.
const READ_BUFFER: usize = 65_536 + 256;

/// Opens `/dev/net/tun` and creates `tun0`; call it inside the namespace (the
/// device is created in the namespace of the thread that opened the file).
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

/// The thread reading `tun0`.
pub struct Reader {
    stop: File,
    handle: Option<JoinHandle<()>>,
}

impl Reader {
    pub fn spawn(tun: Arc<File>, clock: Clock, events: Sender<Msg>) -> io::Result<Reader> {
        let stop = File::from(sys::eventfd()?);
        let stop_fd = stop.try_clone()?;
        let handle = thread::Builder::new()
            .name("netdrill-tun".into())
            .spawn(move || {
                if let Err(e) = read_loop(&tun, &stop_fd, clock, &events) {
                    let _ = events.send(Msg::Failed(format!("reading {DEVICE}: {e}")));
                }
            })?;
        Ok(Reader {
            stop,
            handle: Some(handle),
        })
    }

    /// Stops the thread and waits for it.
    pub fn stop(&mut self) {
        let _ = (&self.stop).write(&1u64.to_ne_bytes());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.stop();
    }
}

fn read_loop(tun: &File, stop: &File, clock: Clock, events: &Sender<Msg>) -> io::Result<()> {
    let mut buf = vec![0u8; READ_BUFFER];
    loop {
        let ready = sys::wait_readable(&[tun.as_fd(), stop.as_fd()], -1)?;
        if ready[1] {
            return Ok(());
        }
        if !ready[0] {
            continue;
        }
        // Drain everything queued: the fd is non-blocking.
        loop {
            match (&*tun).read(&mut buf) {
                Ok(n) => {
                    let at = clock.now();
                    let packet = &buf[..n];
                    if is_test_traffic(packet) {
                        let msg = Msg::Packet {
                            at,
                            bytes: packet.to_vec(),
                        };
                        if events.send(msg).is_err() {
                            return Ok(()); // the run is gone
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}
