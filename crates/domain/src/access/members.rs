//! The member table: members by id in one open-addressed array, each id in the same 64-byte
//! slot as its member's decision facts. At a million members a decision then finds the member
//! with one memory read, where a hash map from id to number and a vector by number took three
//! (the map's control byte, its bucket, the vector's slot), each a miss to main memory.

use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;

use super::{Few, Ix, Map, Short, UNKNOWN};

/// A member's facts as stored: up to two departments and two pools inline. A member with more
/// keeps all of them in [`Members::spilled`] and its counts say so.
#[derive(Clone, Copy, Default)]
struct Packed {
    org: Ix,
    active: bool,
    admin: bool,
    departments_len: u8,
    pools_len: u8,
    departments: [Ix; 2],
    pools: [Ix; 2],
}

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Slot {
    /// All zero when the slot is empty: no key is.
    key: Short,
    ix: Ix,
    m: Packed,
}

const EMPTY: Slot = Slot {
    key: Short([0; 4]),
    ix: UNKNOWN,
    m: Packed {
        org: UNKNOWN,
        active: false,
        admin: false,
        departments_len: 0,
        pools_len: 0,
        departments: [UNKNOWN; 2],
        pools: [UNKNOWN; 2],
    },
};

/// A member as decisions read it.
#[derive(Clone, Copy)]
pub(super) struct Member<'a> {
    pub ix: Ix,
    pub org: Ix,
    pub active: bool,
    pub admin: bool,
    pub departments: &'a [Ix],
    pub pools: &'a [Ix],
}

/// Members by key, with linear probing and at most three quarters full.
#[derive(Default)]
pub(super) struct Members {
    slots: Vec<Slot>,
    len: usize,
    /// By member number, its slot (`UNKNOWN` when absent), for the walks that start from
    /// numbers (`who_can`).
    at: Vec<u32>,
    spilled: Map<Ix, (Few, Few)>,
}

fn home(key: &Short, mask: usize) -> usize {
    let mut h = FxHasher::default();
    key.hash(&mut h);
    h.finish() as usize & mask
}

impl Members {
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    fn find(&self, key: &Short) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.mask();
        let mut i = home(key, mask);
        loop {
            let s = &self.slots[i];
            if s.key == *key {
                return Some(i);
            }
            if s.key == EMPTY.key {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    fn view<'a>(&'a self, s: &'a Slot) -> Member<'a> {
        let p = &s.m;
        let (departments, pools) = if p.departments_len > 2 || p.pools_len > 2 {
            self.spilled.get(&s.ix).map_or((&[][..], &[][..]), |(d, p)| (d.as_slice(), p.as_slice()))
        } else {
            (&p.departments[..p.departments_len as usize], &p.pools[..p.pools_len as usize])
        };
        Member { ix: s.ix, org: p.org, active: p.active, admin: p.admin, departments, pools }
    }

    pub fn get(&self, key: &Short) -> Option<Member<'_>> {
        self.find(key).map(|i| self.view(&self.slots[i]))
    }

    pub fn by_number(&self, ix: Ix) -> Option<Member<'_>> {
        let at = *self.at.get(ix as usize)?;
        (at != UNKNOWN).then(|| self.view(&self.slots[at as usize]))
    }

    /// Adds the member or replaces what is known of it.
    pub fn put(&mut self, key: Short, ix: Ix, m: (Ix, bool, bool), departments: Few, pools: Few) {
        let (org, active, admin) = m;
        let mut p = Packed {
            org,
            active,
            admin,
            departments_len: departments.len().min(3) as u8,
            pools_len: pools.len().min(3) as u8,
            ..EMPTY.m
        };
        if departments.len() > 2 || pools.len() > 2 {
            self.spilled.insert(ix, (departments, pools));
        } else {
            self.spilled.remove(&ix);
            p.departments[..departments.len()].copy_from_slice(&departments);
            p.pools[..pools.len()].copy_from_slice(&pools);
        }
        if let Some(i) = self.find(&key) {
            self.slots[i].m = p;
            return;
        }
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        self.place(Slot { key, ix, m: p });
        self.len += 1;
    }

    fn place(&mut self, s: Slot) {
        let mask = self.mask();
        let mut i = home(&s.key, mask);
        while self.slots[i].key != EMPTY.key {
            i = (i + 1) & mask;
        }
        self.slots[i] = s;
        super::set(&mut self.at, s.ix, i as u32, UNKNOWN);
    }

    fn grow(&mut self) {
        self.resize((self.slots.len() * 2).max(16));
    }

    /// Room for `n` members without growing on the way.
    pub fn reserve(&mut self, n: usize) {
        let size = (n * 4 / 3 + 1).next_power_of_two().max(16);
        if size > self.slots.len() {
            self.resize(size);
        }
    }

    fn resize(&mut self, size: usize) {
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; size]);
        for s in old.into_iter().filter(|s| s.key != EMPTY.key) {
            self.place(s);
        }
    }

    pub fn remove(&mut self, key: &Short) {
        let Some(mut hole) = self.find(key) else { return };
        let gone = self.slots[hole].ix;
        self.spilled.remove(&gone);
        self.at[gone as usize] = UNKNOWN;
        self.len -= 1;
        // Backward shift: each later slot of the run that may sit in the hole moves into it, so
        // every key stays reachable from its home without tombstones.
        let mask = self.mask();
        let mut j = hole;
        loop {
            j = (j + 1) & mask;
            let s = self.slots[j];
            if s.key == EMPTY.key {
                break;
            }
            let from_home = j.wrapping_sub(home(&s.key, mask)) & mask;
            if from_home >= j.wrapping_sub(hole) & mask {
                self.slots[hole] = s;
                self.at[s.ix as usize] = hole as u32;
                hole = j;
            }
        }
        self.slots[hole] = EMPTY;
    }

    /// A seat of member `ix` in `pool` enabled or not.
    pub fn put_seat(&mut self, key: &Short, pool: Ix, enabled: bool) {
        let Some(i) = self.find(key) else { return };
        let m = self.view(&self.slots[i]);
        let (departments, mut pools): (Few, Few) = (m.departments.into(), m.pools.into());
        match (enabled, pools.contains(&pool)) {
            (true, false) => pools.push(pool),
            (false, true) => pools.retain(|p| *p != pool),
            _ => return,
        }
        let (s, p) = (self.slots[i], self.slots[i].m);
        self.put(s.key, s.ix, (p.org, p.active, p.admin), departments, pools);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key(i: u32) -> Short {
        Short::new(&format!("m{i}")).unwrap()
    }

    proptest! {
        /// The table agrees with a plain map through puts, removals and seat changes, whatever
        /// the collisions and backward shifts.
        #[test]
        fn agrees_with_a_map(ops in prop::collection::vec((0u32..64, 0u8..4, 0usize..5, 0usize..5), 1..300)) {
            let mut t = Members::default();
            let mut model: std::collections::BTreeMap<u32, (Vec<Ix>, Vec<Ix>)> = Default::default();
            for (i, op, d, p) in ops {
                let deps: Few = (0..d as Ix).map(|x| 100 + x).collect();
                let pools: Few = (0..p as Ix).map(|x| 200 + x).collect();
                match op {
                    0 | 1 => {
                        t.put(key(i), i, (7, true, false), deps.clone(), pools.clone());
                        model.insert(i, (deps.to_vec(), pools.to_vec()));
                    }
                    2 => {
                        t.remove(&key(i));
                        model.remove(&i);
                    }
                    _ => {
                        t.put_seat(&key(i), 300, true);
                        if let Some((_, ps)) = model.get_mut(&i)
                            && !ps.contains(&300)
                        {
                            ps.push(300);
                        }
                    }
                }
                prop_assert_eq!(t.len, model.len());
                for j in 0..64 {
                    let got = t.get(&key(j)).map(|m| (m.departments.to_vec(), m.pools.to_vec()));
                    prop_assert_eq!(&got, &model.get(&j).cloned(), "by key {}", j);
                    let by_number = t.by_number(j).map(|m| (m.departments.to_vec(), m.pools.to_vec()));
                    prop_assert_eq!(&by_number, &model.get(&j).cloned(), "by number {}", j);
                }
            }
        }
    }
}
