//! The file descriptor table: POSIX's "lowest available number" rule.
//!
//! Numbers 0, 1 and 2 are taken by stdin/stdout/stderr in every process a
//! script runs in, so the first socket is fd 3, as packetdrill scripts expect.

use crate::linux::Errno;
use std::collections::BTreeSet;

/// What an fd refers to: an index into the stack's socket or epoll table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FdKind {
    Socket(u32),
    Epoll(u32),
}

/// One open file description as seen through an fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdEntry {
    pub kind: FdKind,
    /// `O_NONBLOCK`, kept on the file (as F_GETFL/F_SETFL see it).
    pub nonblocking: bool,
    /// `FD_CLOEXEC`, kept on the fd.
    pub cloexec: bool,
}

/// fds 0–2 belong to the standard streams, which are not sockets.
pub const FIRST_FD: i32 = 3;

/// `RLIMIT_NOFILE`'s usual soft limit: opening more gives `EMFILE`.
pub const MAX_FDS: i32 = 1024;

/// Open fds, numbered lowest-first.
#[derive(Clone, Debug, Default)]
pub struct FdTable {
    /// Indexed by `fd - FIRST_FD`.
    slots: Vec<Option<FdEntry>>,
    /// Closed slots below `slots.len()`, so that allocation is O(log n).
    free: BTreeSet<i32>,
}

impl FdTable {
    pub fn new() -> Self {
        FdTable::default()
    }

    /// Installs `entry` at the lowest free number (POSIX.1-2017 `open`:
    /// "the lowest numbered file descriptor not currently open").
    pub fn insert(&mut self, entry: FdEntry) -> Result<i32, Errno> {
        if let Some(fd) = self.free.pop_first() {
            self.slots[(fd - FIRST_FD) as usize] = Some(entry);
            return Ok(fd);
        }
        let fd = FIRST_FD + self.slots.len() as i32;
        if fd >= MAX_FDS {
            return Err(Errno::EMFILE);
        }
        self.slots.push(Some(entry));
        Ok(fd)
    }

    /// The entry behind `fd`; `EBADF` when it is not open (including 0–2,
    /// negative numbers and numbers never handed out).
    pub fn get(&self, fd: i32) -> Result<&FdEntry, Errno> {
        self.index(fd)
            .and_then(|i| self.slots[i].as_ref())
            .ok_or(Errno::EBADF)
    }

    pub fn get_mut(&mut self, fd: i32) -> Result<&mut FdEntry, Errno> {
        match self.index(fd) {
            Some(i) => self.slots[i].as_mut().ok_or(Errno::EBADF),
            None => Err(Errno::EBADF),
        }
    }

    /// Closes `fd`, returning what it referred to.
    pub fn remove(&mut self, fd: i32) -> Result<FdEntry, Errno> {
        let i = self.index(fd).ok_or(Errno::EBADF)?;
        let entry = self.slots[i].take().ok_or(Errno::EBADF)?;
        if i + 1 == self.slots.len() {
            // Shrink so that `free` only holds numbers below the end.
            self.slots.pop();
            while let Some(None) = self.slots.last() {
                self.slots.pop();
                let gone = FIRST_FD + self.slots.len() as i32;
                self.free.remove(&gone);
            }
        } else {
            self.free.insert(fd);
        }
        Ok(entry)
    }

    /// Every open fd, lowest first.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &FdEntry)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.as_ref().map(|e| (FIRST_FD + i as i32, e)))
    }

    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn index(&self, fd: i32) -> Option<usize> {
        let i = usize::try_from(fd.checked_sub(FIRST_FD)?).ok()?;
        (i < self.slots.len()).then_some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sock(i: u32) -> FdEntry {
        FdEntry {
            kind: FdKind::Socket(i),
            nonblocking: false,
            cloexec: false,
        }
    }

    #[test]
    fn lowest_free_number_is_reused_first() {
        let mut t = FdTable::new();
        assert_eq!(t.insert(sock(0)), Ok(3));
        assert_eq!(t.insert(sock(1)), Ok(4));
        assert_eq!(t.insert(sock(2)), Ok(5));
        assert_eq!(t.insert(sock(3)), Ok(6));
        t.remove(5).unwrap();
        t.remove(4).unwrap();
        assert_eq!(t.insert(sock(9)), Ok(4));
        assert_eq!(t.insert(sock(9)), Ok(5));
        assert_eq!(t.insert(sock(9)), Ok(7));
        assert_eq!(t.len(), 5);
    }

    #[test]
    fn closing_the_top_fds_shrinks_the_table() {
        let mut t = FdTable::new();
        for i in 0..4 {
            t.insert(sock(i)).unwrap();
        }
        t.remove(4).unwrap();
        t.remove(6).unwrap();
        t.remove(5).unwrap();
        assert_eq!(t.insert(sock(7)), Ok(4));
        assert_eq!(t.insert(sock(8)), Ok(5));
        assert_eq!(t.iter().map(|(fd, _)| fd).collect::<Vec<_>>(), [3, 4, 5]);
    }

    #[test]
    fn bad_numbers_are_ebadf() {
        let mut t = FdTable::new();
        t.insert(sock(0)).unwrap();
        for fd in [-1, 0, 1, 2, 4, 1000, i32::MIN, i32::MAX] {
            assert_eq!(t.get(fd).err(), Some(Errno::EBADF), "{fd}");
            assert_eq!(t.remove(fd).err(), Some(Errno::EBADF), "{fd}");
        }
        t.remove(3).unwrap();
        assert_eq!(t.remove(3).err(), Some(Errno::EBADF));
        assert!(t.is_empty());
    }

    #[test]
    fn running_out_of_numbers_is_emfile() {
        let mut t = FdTable::new();
        for i in FIRST_FD..MAX_FDS {
            assert_eq!(t.insert(sock(0)), Ok(i));
        }
        assert_eq!(t.insert(sock(0)), Err(Errno::EMFILE));
        t.remove(100).unwrap();
        assert_eq!(t.insert(sock(0)), Ok(100));
    }
}
