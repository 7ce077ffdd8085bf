//! Building the index from facts, and each change after: people, units, brought sets, networks.

use rustc_hash::FxHashMap;

use super::postings::grams_of;
use super::{Facts, Index, Ix, NONE, PersonFacts, Record, UnitFacts};

impl Index {
    pub fn build(f: &Facts) -> Index {
        let mut ix = Index::default();
        for p in f.people.iter().filter(|p| p.active) {
            let member = ix.members.intern(&p.id);
            let org = ix.orgs.intern(&p.org);
            ix.set_current(member, ix.records.len() as Ix);
            ix.records.push(Record {
                member,
                org,
                name_len: p.name.len() as u32,
                text: format!("{}{}", p.name, p.key).into(),
            });
            ix.dead.push(false);
        }
        ix.base_len = ix.records.len();
        let mut base: Vec<Ix> = (0..ix.base_len as Ix).collect();
        base.sort_unstable_by(|&a, &b| ix.order(a).cmp(&ix.order(b)));
        let mut grams = Vec::new();
        for (rank, &r) in base.iter().enumerate() {
            grams_of(ix.records[r as usize].key(), &mut grams);
            for g in &grams {
                ix.grams.entry(*g).or_default().push(rank as u32);
            }
        }
        for p in ix.grams.values_mut() {
            p.bytes.shrink_to_fit();
            p.skips.shrink_to_fit();
        }
        ix.base = base;
        for u in &f.units {
            ix.put_unit(u);
        }
        // Units bringing departments start with nobody; rows for any other unit are ignored.
        for (u, m) in &f.brought {
            if let Some(b) = ix.brought.get_mut(&ix.units.get(u)) {
                b.insert(ix.members.intern(m));
            }
        }
        let mut by_member: FxHashMap<&str, Vec<String>> = FxHashMap::default();
        for (n, m) in &f.network_members {
            by_member.entry(m).or_default().push(n.clone());
        }
        for (m, nets) in by_member {
            ix.set_networks(m, &nets);
        }
        ix
    }

    fn set_current(&mut self, member: Ix, record: Ix) {
        if self.current.len() <= member as usize {
            self.current.resize(member as usize + 1, NONE);
        }
        self.current[member as usize] = record;
    }

    /// Records made since the build, live or dead: the owner rebuilds past a limit of its
    /// choosing, so the same people changing again and again cannot grow the index for ever.
    pub fn delta_len(&self) -> usize {
        self.records.len() - self.base_len
    }

    pub fn put_person(&mut self, p: &PersonFacts) {
        if !p.active {
            return self.remove_person(&p.id);
        }
        let member = self.members.intern(&p.id);
        let org = self.orgs.intern(&p.org);
        let cur = self.current.get(member as usize).copied().unwrap_or(NONE);
        if cur != NONE {
            let r = &self.records[cur as usize];
            if r.org == org && r.name() == p.name && r.key() == p.key {
                return;
            }
            self.kill(cur);
        }
        let r = self.records.len() as Ix;
        self.records.push(Record {
            member,
            org,
            name_len: p.name.len() as u32,
            text: format!("{}{}", p.name, p.key).into(),
        });
        self.dead.push(false);
        self.set_current(member, r);
        let at = self.delta.partition_point(|&d| self.order(d) < self.order(r));
        self.delta.insert(at, r);
    }

    pub fn remove_person(&mut self, id: &str) {
        let member = self.members.get(id);
        if let Some(&cur) = self.current.get(member as usize).filter(|c| **c != NONE) {
            self.kill(cur);
            self.current[member as usize] = NONE;
        }
    }

    fn kill(&mut self, r: Ix) {
        self.dead[r as usize] = true;
        if r as usize >= self.base_len {
            let at = self.delta.partition_point(|&d| self.order(d) < self.order(r));
            if self.delta.get(at) == Some(&r) {
                self.delta.remove(at);
            }
        }
    }

    /// A unit as it now stands; a removed unit is put as not active. A unit bringing
    /// departments keeps the members last given by [`Index::set_brought`] (nobody at first).
    pub fn put_unit(&mut self, u: &UnitFacts) {
        let unit = self.units.intern(&u.id);
        self.unplace(unit);
        if u.departments.is_some() {
            self.brought.entry(unit).or_default();
        } else {
            self.brought.remove(&unit);
        }
        if !u.active {
            return;
        }
        let (net, org, ty) =
            (self.networks.intern(&u.network), self.orgs.intern(&u.org), self.types.intern(&u.partner_type));
        let n = self.nets.entry(net).or_default();
        let displaced = n.units.insert(org, (unit, ty));
        *n.by_type.entry(ty).or_default() += 1;
        if let Some((other, other_ty)) = displaced {
            // One live unit per organization and network; the other one is gone.
            n.by_type.entry(other_ty).and_modify(|c| *c -= 1);
            self.unit_at.remove(&other);
        }
        self.unit_at.insert(unit, (net, org));
    }

    pub fn remove_unit(&mut self, id: &str) {
        let unit = self.units.get(id);
        self.unplace(unit);
        self.brought.remove(&unit);
    }

    /// The members a unit brings as they now stand: `None` when it brings its whole
    /// organization, otherwise the active members of its departments and those below.
    pub fn set_brought(&mut self, unit: &str, members: Option<&[String]>) {
        let unit = self.units.intern(unit);
        match members {
            None => {
                self.brought.remove(&unit);
            }
            Some(list) => {
                let set = list.iter().map(|m| self.members.intern(m)).collect();
                self.brought.insert(unit, set);
            }
        }
    }

    fn unplace(&mut self, unit: Ix) {
        let Some((net, org)) = self.unit_at.remove(&unit) else { return };
        if let Some(n) = self.nets.get_mut(&net)
            && let Some(&(u, ty)) = n.units.get(&org)
            && u == unit
        {
            n.units.remove(&org);
            n.by_type.entry(ty).and_modify(|c| *c -= 1);
        }
    }

    /// The networks a member is a backbone network member of, as they now stand.
    pub fn set_networks(&mut self, member: &str, networks: &[String]) {
        let m = self.members.intern(member);
        if networks.is_empty() {
            self.member_nets.remove(&m);
        } else {
            let nets = networks.iter().map(|n| self.networks.intern(n)).collect();
            self.member_nets.insert(m, nets);
        }
    }
}
