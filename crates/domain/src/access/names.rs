//! Ids interned to dense numbers, and ids short enough to be kept inline as keys.

use super::{Ix, Map};

/// An id of at most 31 bytes kept inline with its length, so finding it among a million ids
/// compares words in the table instead of following a pointer to each candidate's text. Every
/// id the platform makes is shorter.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Short(pub(super) [u64; 4]);

impl Short {
    pub(super) fn new(s: &str) -> Option<Short> {
        let b = s.as_bytes();
        if b.is_empty() || b.len() > 31 {
            return None;
        }
        let mut buf = [0u8; 32];
        buf[..b.len()].copy_from_slice(b);
        buf[31] = b.len() as u8;
        let mut words = [0u64; 4];
        for (w, c) in words.iter_mut().zip(buf.chunks_exact(8)) {
            *w = <[u8; 8]>::try_from(c).map_or(0, u64::from_le_bytes);
        }
        Some(Short(words))
    }
}

impl Short {
    /// The key of a member whose id is not short: its number, marked by a length no short id has.
    pub(super) fn numbered(i: Ix) -> Short {
        Short([u64::from(i), 0, 0, 0xFF << 56])
    }
}

impl std::hash::Hash for Short {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        for w in self.0 {
            h.write_u64(w);
        }
    }
}

#[derive(Default)]
pub(super) struct Names {
    short: Map<Short, Ix>,
    pub(super) long: Map<Box<str>, Ix>,
    names: Vec<Box<str>>,
}

impl Names {
    pub(super) fn intern(&mut self, s: &str) -> Ix {
        if let Some(i) = self.get(s) {
            return i;
        }
        let i = self.names.len() as Ix;
        match Short::new(s) {
            Some(k) => self.short.insert(k, i),
            None => self.long.insert(s.into(), i),
        };
        self.names.push(s.into());
        i
    }
    pub(super) fn get(&self, s: &str) -> Option<Ix> {
        match Short::new(s) {
            Some(k) => self.short.get(&k),
            None => self.long.get(s),
        }
        .copied()
    }
    pub(super) fn name(&self, i: Ix) -> &str {
        self.names.get(i as usize).map_or("?", |n| n)
    }
}
