//! An anonymous network namespace, held by a file descriptor.
//!
//! A helper thread unshares (`CLONE_NEWNET` moves only that thread), opens
//! `/proc/thread-self/ns/net` and exits. The fd keeps the namespace alive;
//! threads that need to act inside it `setns` to it first. Nothing is named or
//! mounted, so the namespace, its devices and its sysctls go away when the
//! last fd or socket referring to it closes — at the latest when the process
//! dies, however it dies.

use super::sys;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;
use std::thread;

const THREAD_NS: &str = "/proc/thread-self/ns/net";
/// The thread-group leader's namespace: where the harness itself lives.
const PROCESS_NS: &str = "/proc/self/ns/net";

/// A private network namespace.
#[derive(Debug)]
pub struct Namespace {
    fd: OwnedFd,
    inode: u64,
}

fn ns_inode(path: &str) -> io::Result<u64> {
    Ok(std::fs::metadata(path)?.ino())
}

impl Namespace {
    /// Makes a fresh namespace (needs CAP_SYS_ADMIN).
    pub fn new() -> io::Result<Arc<Namespace>> {
        let made = thread::Builder::new()
            .name("netdrill-unshare".into())
            .spawn(|| -> io::Result<Namespace> {
                sys::unshare_net()
                    .map_err(|e| io::Error::new(e.kind(), format!("unshare(CLONE_NEWNET): {e}")))?;
                let file = File::open(THREAD_NS)?;
                let inode = file.metadata()?.ino();
                Ok(Namespace {
                    fd: file.into(),
                    inode,
                })
            })?
            .join()
            .map_err(|_| io::Error::other("the namespace thread panicked"))??;
        if made.inode == ns_inode(PROCESS_NS)? {
            return Err(io::Error::other(
                "unshare gave the harness's own namespace back",
            ));
        }
        Ok(Arc::new(made))
    }

    /// Moves the calling thread into the namespace, and checks it is there.
    pub fn enter(&self) -> io::Result<()> {
        sys::setns_net(self.fd.as_fd())?;
        self.check_inside()
    }

    /// Fails unless the calling thread is inside this namespace: the guard in
    /// front of anything that writes settings, so that a mistake can never
    /// write the host's.
    pub fn check_inside(&self) -> io::Result<()> {
        let here = ns_inode(THREAD_NS)?;
        if here == self.inode {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "refusing to act: this thread is in network namespace {here}, not the run's {}",
                self.inode
            )))
        }
    }

    /// Runs `f` on a new thread inside the namespace and waits for it.
    pub fn run<T: Send>(&self, f: impl FnOnce() -> io::Result<T> + Send) -> io::Result<T> {
        thread::scope(|s| {
            thread::Builder::new()
                .name("netdrill-ns".into())
                .spawn_scoped(s, || {
                    self.enter()?;
                    f()
                })?
                .join()
                .map_err(|_| io::Error::other("a namespace thread panicked"))?
        })
    }

    /// Writes a sysctl of this namespace (`path` under /proc/sys); the calling
    /// thread must be inside it.
    pub fn write_sysctl(&self, path: &str, value: &str) -> io::Result<()> {
        self.check_inside()?;
        let full = Path::new("/proc/sys").join(path);
        std::fs::write(&full, value)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", full.display())))
    }

    /// The namespace's inode number (its identity in /proc/*/ns/net).
    pub fn inode(&self) -> u64 {
        self.inode
    }

    /// A path that opens this namespace for another process (`nsenter
    /// --net=PATH`), valid while the harness runs: the fd that holds it, as
    /// `/proc` shows it.
    pub fn proc_path(&self) -> std::path::PathBuf {
        use std::os::fd::AsRawFd;
        format!("/proc/{}/fd/{}", std::process::id(), self.fd.as_raw_fd()).into()
    }
}
