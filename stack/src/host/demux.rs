//! The connection table: (local, remote) in wire form to a connection, with
//! the last lookup remembered — consecutive segments of a transfer belong
//! to the same connection, and one key comparison is cheaper than a walk
//! down the tree.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::net::SocketAddr;

type Key = (SocketAddr, SocketAddr);

#[derive(Debug, Default)]
pub(crate) struct Demux {
    map: BTreeMap<Key, u32>,
    /// The last key found and its connection; always agrees with `map`.
    last: Cell<Option<(Key, u32)>>,
}

impl Demux {
    pub fn get(&self, key: &Key) -> Option<u32> {
        if let Some((k, c)) = self.last.get() {
            if k == *key {
                return Some(c);
            }
        }
        let c = *self.map.get(key)?;
        self.last.set(Some((*key, c)));
        Some(c)
    }

    pub fn contains_key(&self, key: &Key) -> bool {
        self.get(key).is_some()
    }

    pub fn insert(&mut self, key: Key, c: u32) {
        self.last.set(None);
        self.map.insert(key, c);
    }

    pub fn remove(&mut self, key: &Key) {
        self.last.set(None);
        self.map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(port: u16) -> Key {
        (
            SocketAddr::from(([192, 168, 0, 1], 8080)),
            SocketAddr::from(([192, 0, 2, 1], port)),
        )
    }

    #[test]
    fn the_remembered_lookup_follows_inserts_and_removals() {
        let mut d = Demux::default();
        assert_eq!(d.get(&key(1)), None);
        d.insert(key(1), 7);
        assert_eq!(d.get(&key(1)), Some(7));
        assert_eq!(d.get(&key(1)), Some(7), "from the remembered entry");
        d.insert(key(1), 9);
        assert_eq!(d.get(&key(1)), Some(9), "replaced, not stale");
        d.insert(key(2), 3);
        assert_eq!(d.get(&key(2)), Some(3));
        assert_eq!(d.get(&key(1)), Some(9));
        d.remove(&key(1));
        assert_eq!(d.get(&key(1)), None, "removed, not stale");
        assert!(d.contains_key(&key(2)));
    }
}
