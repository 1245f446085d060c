//! One epoll instance: its interest list and its ready list, after Linux
//! `fs/eventpoll.c`.
//!
//! Linux does not re-scan every watched file on `epoll_wait`: a file joins the
//! ready list when it *wakes up* (data arrived, the state changed, space
//! opened), and `epoll_wait` then polls only the files on that list. That is
//! what makes edge-triggered mode report once per wake-up rather than once per
//! transition, and what orders the returned events. This module keeps the
//! same two lists; the stack calls [`Epoll::wake`] when a watched socket
//! wakes up and [`Epoll::wait`] with a way to compute a socket's current mask.

use super::readiness::{self, Mask};
use crate::linux::{self, Errno};
use std::collections::{BTreeMap, VecDeque};

const ET: u32 = linux::EPOLLET as u32;
const ONESHOT: u32 = linux::EPOLLONESHOT as u32;
const EXCLUSIVE: u32 = linux::EPOLLEXCLUSIVE as u32;
const WAKEUP: u32 = linux::EPOLLWAKEUP as u32;
/// Flags that are not event bits (`EP_PRIVATE_BITS`).
const PRIVATE: u32 = ET | ONESHOT | EXCLUSIVE | WAKEUP;

/// One watched fd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Item {
    /// The socket the fd referred to when it was added.
    sock: u32,
    /// Requested events and flags. After a one-shot report only the private
    /// flags remain, which disables the item until `EPOLL_CTL_MOD`.
    events: u32,
    data: u64,
    on_ready_list: bool,
}

/// An epoll instance.
#[derive(Clone, Debug, Default)]
pub struct Epoll {
    items: BTreeMap<i32, Item>,
    /// fds in the order they woke up.
    ready: VecDeque<i32>,
}

/// An `epoll_ctl` operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtlOp {
    Add,
    Mod,
    Del,
}

impl CtlOp {
    pub fn from_raw(op: i32) -> Result<CtlOp, Errno> {
        match i64::from(op) {
            linux::EPOLL_CTL_ADD => Ok(CtlOp::Add),
            linux::EPOLL_CTL_MOD => Ok(CtlOp::Mod),
            linux::EPOLL_CTL_DEL => Ok(CtlOp::Del),
            _ => Err(Errno::EINVAL),
        }
    }
}

impl Epoll {
    pub fn new() -> Self {
        Epoll::default()
    }

    /// `epoll_ctl` on fd `fd` (socket `sock`) whose mask is now `current`.
    /// Argument checks on the fds themselves are the caller's.
    pub fn ctl(
        &mut self,
        op: CtlOp,
        fd: i32,
        sock: u32,
        event: Option<(u32, u64)>,
        current: Mask,
    ) -> Result<(), Errno> {
        match op {
            CtlOp::Add => {
                let (events, data) = event.ok_or(Errno::EFAULT)?;
                if self.items.contains_key(&fd) {
                    return Err(Errno::EEXIST);
                }
                self.items.insert(
                    fd,
                    Item {
                        sock,
                        events: events | readiness::ALWAYS,
                        data,
                        on_ready_list: false,
                    },
                );
                // ep_insert: a file that is already ready goes on the list now.
                self.wake(fd, current);
                Ok(())
            }
            CtlOp::Mod => {
                let (events, data) = event.ok_or(Errno::EFAULT)?;
                // EPOLLEXCLUSIVE may only be given on ADD (ep_modify).
                if events & EXCLUSIVE != 0 {
                    return Err(Errno::EINVAL);
                }
                let item = self.items.get_mut(&fd).ok_or(Errno::ENOENT)?;
                if item.events & EXCLUSIVE != 0 {
                    return Err(Errno::EINVAL);
                }
                item.events = events | readiness::ALWAYS;
                item.data = data;
                self.wake(fd, current);
                Ok(())
            }
            CtlOp::Del => {
                self.items.remove(&fd).ok_or(Errno::ENOENT)?;
                self.ready.retain(|&f| f != fd);
                Ok(())
            }
        }
    }

    /// A wake-up of `fd` carrying the bits `key` (`ep_poll_callback`): the
    /// item joins the ready list unless it is disabled or wants none of them.
    pub fn wake(&mut self, fd: i32, key: Mask) {
        let Some(item) = self.items.get_mut(&fd) else {
            return;
        };
        let wanted = item.events & !PRIVATE;
        if wanted == 0 || key & wanted == 0 || item.on_ready_list {
            return;
        }
        item.on_ready_list = true;
        self.ready.push_back(fd);
    }

    /// Forgets `fd` (it was closed): Linux drops a closed file from every
    /// epoll set that watched it.
    pub fn forget(&mut self, fd: i32) {
        if self.items.remove(&fd).is_some() {
            self.ready.retain(|&f| f != fd);
        }
    }

    /// The fds this set watches, with their socket.
    pub fn watched(&self) -> impl Iterator<Item = (i32, u32)> + '_ {
        self.items.iter().map(|(&fd, it)| (fd, it.sock))
    }

    /// `epoll_wait` without blocking (`ep_send_events`): walks the ready
    /// list in order, asks `mask_of(sock)` for each item's current mask,
    /// reports up to `max` items with something to report, and puts
    /// level-triggered items back at the tail.
    pub fn wait(&mut self, max: usize, mut mask_of: impl FnMut(u32) -> Mask) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        let mut requeue = Vec::new();
        while out.len() < max {
            let Some(fd) = self.ready.pop_front() else {
                break;
            };
            let Some(item) = self.items.get_mut(&fd) else {
                continue;
            };
            item.on_ready_list = false;
            let revents = mask_of(item.sock) & item.events & !PRIVATE;
            if revents == 0 {
                continue;
            }
            out.push((revents, item.data));
            if item.events & ONESHOT != 0 {
                item.events &= PRIVATE;
            } else if item.events & ET == 0 {
                item.on_ready_list = true;
                requeue.push(fd);
            }
        }
        self.ready.extend(requeue);
        out
    }

    /// Whether `wait` would report something now, without changing anything.
    pub fn has_ready(&self, mut mask_of: impl FnMut(u32) -> Mask) -> bool {
        self.ready.iter().any(|fd| {
            self.items
                .get(fd)
                .is_some_and(|it| mask_of(it.sock) & it.events & !PRIVATE != 0)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::readiness::{IN, OUT};
    use super::*;

    #[test]
    fn level_triggered_reports_until_the_condition_clears() {
        let mut ep = Epoll::new();
        ep.ctl(CtlOp::Add, 5, 0, Some((IN, 7)), 0).unwrap();
        assert!(ep.wait(8, |_| 0).is_empty(), "nothing woke it yet");
        ep.wake(5, IN);
        assert_eq!(ep.wait(8, |_| IN), [(IN, 7)]);
        assert_eq!(ep.wait(8, |_| IN), [(IN, 7)], "still readable: again");
        assert!(ep.wait(8, |_| 0).is_empty(), "drained");
        assert!(ep.wait(8, |_| IN).is_empty(), "off the list until woken");
    }

    #[test]
    fn edge_triggered_reports_once_per_wake_up() {
        let mut ep = Epoll::new();
        ep.ctl(CtlOp::Add, 5, 0, Some((IN | ET, 1)), IN).unwrap();
        assert_eq!(ep.wait(8, |_| IN), [(IN, 1)], "ready at ADD");
        assert!(ep.wait(8, |_| IN).is_empty(), "no new wake-up");
        ep.wake(5, IN);
        assert_eq!(ep.wait(8, |_| IN), [(IN, 1)], "new data: reported again");
        ep.wake(5, OUT);
        assert!(
            ep.wait(8, |_| IN | OUT).is_empty(),
            "a wake-up it did not ask for"
        );
    }

    #[test]
    fn oneshot_disables_until_mod() {
        let mut ep = Epoll::new();
        ep.ctl(CtlOp::Add, 5, 0, Some((IN | ONESHOT, 1)), IN)
            .unwrap();
        assert_eq!(ep.wait(8, |_| IN), [(IN, 1)]);
        ep.wake(5, IN);
        assert!(ep.wait(8, |_| IN).is_empty());
        ep.ctl(CtlOp::Mod, 5, 0, Some((IN | ONESHOT, 2)), IN)
            .unwrap();
        assert_eq!(ep.wait(8, |_| IN), [(IN, 2)]);
    }

    #[test]
    fn err_and_hup_are_always_watched() {
        let mut ep = Epoll::new();
        ep.ctl(CtlOp::Add, 5, 0, Some((0, 9)), 0).unwrap();
        ep.wake(5, readiness::HUP);
        assert_eq!(ep.wait(8, |_| readiness::HUP | OUT), [(readiness::HUP, 9)]);
    }

    #[test]
    fn order_is_wake_up_order_and_max_events_leaves_the_rest() {
        let mut ep = Epoll::new();
        for fd in [3, 4, 5] {
            ep.ctl(CtlOp::Add, fd, fd as u32, Some((IN, fd as u64)), 0)
                .unwrap();
        }
        ep.wake(5, IN);
        ep.wake(3, IN);
        ep.wake(4, IN);
        assert_eq!(ep.wait(2, |_| IN), [(IN, 5), (IN, 3)]);
        // 4 was not reached; 5 and 3 were requeued behind it.
        assert_eq!(ep.wait(3, |_| IN), [(IN, 4), (IN, 5), (IN, 3)]);
    }

    #[test]
    fn ctl_errors_as_linux() {
        let mut ep = Epoll::new();
        assert_eq!(ep.ctl(CtlOp::Add, 5, 0, None, 0), Err(Errno::EFAULT));
        ep.ctl(CtlOp::Add, 5, 0, Some((IN, 0)), 0).unwrap();
        assert_eq!(
            ep.ctl(CtlOp::Add, 5, 0, Some((IN, 0)), 0),
            Err(Errno::EEXIST)
        );
        assert_eq!(
            ep.ctl(CtlOp::Mod, 6, 0, Some((IN, 0)), 0),
            Err(Errno::ENOENT)
        );
        assert_eq!(ep.ctl(CtlOp::Del, 6, 0, None, 0), Err(Errno::ENOENT));
        assert_eq!(
            ep.ctl(CtlOp::Mod, 5, 0, Some((IN | EXCLUSIVE, 0)), 0),
            Err(Errno::EINVAL)
        );
        assert_eq!(CtlOp::from_raw(0), Err(Errno::EINVAL));
        ep.ctl(CtlOp::Del, 5, 0, None, 0).unwrap();
        assert!(ep.is_empty());
    }
}
