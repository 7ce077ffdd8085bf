//! Strings interned to dense numbers, found by their hash.

use rustc_hash::FxHashMap;

use super::{Ix, NONE};

/// Strings to dense numbers and back, each string kept once: the table holds only numbers, found
/// by the string's hash (a million member ids would otherwise be held twice).
#[derive(Default)]
pub(super) struct Interner {
    by_hash: FxHashMap<u64, Ix>,
    /// Strings whose hash an earlier one already holds.
    clashes: FxHashMap<Box<str>, Ix>,
    names: Vec<Box<str>>,
}

fn hash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

impl Interner {
    pub(super) fn intern(&mut self, s: &str) -> Ix {
        self.intern_hashed(s, hash(s))
    }

    pub(super) fn intern_hashed(&mut self, s: &str, h: u64) -> Ix {
        let found = self.get_hashed(s, h);
        if found != NONE {
            return found;
        }
        let i = self.names.len() as Ix;
        self.names.push(s.into());
        match self.by_hash.entry(h) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.clashes.insert(s.into(), i);
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
        }
        i
    }

    pub(super) fn get(&self, s: &str) -> Ix {
        self.get_hashed(s, hash(s))
    }

    pub(super) fn get_hashed(&self, s: &str, h: u64) -> Ix {
        match self.by_hash.get(&h) {
            Some(&i) if &*self.names[i as usize] == s => i,
            Some(_) => self.clashes.get(s).copied().unwrap_or(NONE),
            None => NONE,
        }
    }

    pub(super) fn name(&self, i: Ix) -> &str {
        &self.names[i as usize]
    }

    pub(super) fn bytes(&self) -> usize {
        self.names.iter().map(|s| s.len() + 16).sum::<usize>()
            + self.by_hash.capacity() * 13
            + self.clashes.keys().map(|s| s.len() + 24).sum::<usize>()
    }
}
