//! A table of values addressed by small integer keys, reusing freed keys.
//! Deterministic (no hashing) so that the same run gives the same keys.

/// Values of type `T` under `u32` keys.
#[derive(Clone, Debug)]
pub struct Slab<T> {
    entries: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
        }
    }
}

impl<T> Slab<T> {
    pub fn insert(&mut self, value: T) -> u32 {
        match self.free.pop() {
            Some(k) => {
                self.entries[k as usize] = Some(value);
                k
            }
            None => {
                self.entries.push(Some(value));
                (self.entries.len() - 1) as u32
            }
        }
    }

    pub fn get(&self, key: u32) -> Option<&T> {
        self.entries.get(key as usize).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, key: u32) -> Option<&mut T> {
        self.entries.get_mut(key as usize).and_then(Option::as_mut)
    }

    pub fn remove(&mut self, key: u32) -> Option<T> {
        let v = self.entries.get_mut(key as usize)?.take()?;
        self.free.push(key);
        Some(v)
    }

    pub fn contains(&self, key: u32) -> bool {
        self.get(key).is_some()
    }

    /// Keys in ascending order.
    pub fn keys(&self) -> impl Iterator<Item = u32> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.is_some())
            .map(|(k, _)| k as u32)
    }

    pub fn iter(&self) -> impl Iterator<Item = (u32, &T)> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(k, e)| e.as_ref().map(|v| (k as u32, v)))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (u32, &mut T)> + '_ {
        self.entries
            .iter_mut()
            .enumerate()
            .filter_map(|(k, e)| e.as_mut().map(|v| (k as u32, v)))
    }

    pub fn len(&self) -> usize {
        self.entries.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_reused_after_removal() {
        let mut s = Slab::default();
        let a = s.insert("a");
        let b = s.insert("b");
        assert_eq!((a, b), (0, 1));
        assert_eq!(s.remove(a), Some("a"));
        assert_eq!(s.remove(a), None);
        assert_eq!(s.get(a), None);
        assert_eq!(s.insert("c"), 0);
        assert_eq!(s.keys().collect::<Vec<_>>(), [0, 1]);
        assert_eq!(s.len(), 2);
        assert_eq!(s.get(99), None);
        assert!(s.get_mut(99).is_none());
    }
}
