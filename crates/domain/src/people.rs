//! The people index: the network address book's wide questions (every unit in sight, or many
//! units) answered in memory, so a common term or the first page costs about a page of reads.
//!
//! Every active member is kept once, with their name, organization and search key (the text the
//! SQL `LIKE` matches). The members present at the build sit in a base in (name, id) order, and
//! each n-gram of their keys lists them in that same order, so the first page of a term is found
//! by walking the term's lists from the cursor, intersecting them and checking the whole term
//! and the viewer's sight on each candidate, stopping at a full page. A name term's matches sit
//! together in name order; the lists jump straight to them.
//!
//! Changes never touch the base: a changed member's base record is marked dead and their new
//! record joins a small delta kept in the same order, merged at query time. The owner rebuilds
//! when the records made since the build ([`Index::delta_len`]) pass a limit of its choosing.
//!
//! A unit that brings only some departments of its organization shows only the members it
//! brings: a set per such unit, put by the owner after the unit ([`Index::set_brought`]) and
//! checked with the viewer's sight.

use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;

/// A member as the address book sees them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonFacts {
    pub id: String,
    pub org: String,
    pub name: String,
    /// The lowercased search text (`members.search`).
    pub key: String,
    pub active: bool,
}

/// A unit as both indexes take it; only active units show their people.
pub use crate::access::UnitFacts;

#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub people: Vec<PersonFacts>,
    pub units: Vec<UnitFacts>,
    /// `(network, member)`: the backbone's network members.
    pub network_members: Vec<(String, String)>,
    /// `(unit, member)`: for each unit that brings only some departments, the active members
    /// of those departments and below; the unit shows no one else.
    pub brought: Vec<(String, String)>,
}

/// A wide address-book question.
#[derive(Clone, Copy, Debug)]
pub struct Query<'a> {
    pub network: &'a str,
    /// `None`: every active unit; otherwise these units and the units of these partner types.
    pub scope: Option<(&'a [String], &'a [String])>,
    /// Lowercase; `%` and `_` are dropped as the SQL pattern drops them.
    pub text: Option<&'a str>,
    /// `(name, member id)` of the last person of the previous page.
    pub after: Option<(&'a str, &'a str)>,
    pub limit: usize,
}

/// One person of a page: the member and, when seen through their unit, that unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    pub member: String,
    pub unit: Option<String>,
}

type Ix = u32;
const NONE: Ix = Ix::MAX;
/// Postings between skip entries: a walk starts at its cursor after decoding at most this many.
const SKIP: u32 = 64;
/// Terms are indexed by n-grams of one to three characters.
const GRAM: usize = 3;

/// Strings to dense numbers and back, each string kept once: the table holds only numbers, found
/// by the string's hash (a million member ids would otherwise be held twice).
#[derive(Default)]
struct Interner {
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
    fn intern(&mut self, s: &str) -> Ix {
        self.intern_hashed(s, hash(s))
    }

    fn intern_hashed(&mut self, s: &str, h: u64) -> Ix {
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

    fn get(&self, s: &str) -> Ix {
        self.get_hashed(s, hash(s))
    }

    fn get_hashed(&self, s: &str, h: u64) -> Ix {
        match self.by_hash.get(&h) {
            Some(&i) if &*self.names[i as usize] == s => i,
            Some(_) => self.clashes.get(s).copied().unwrap_or(NONE),
            None => NONE,
        }
    }

    fn name(&self, i: Ix) -> &str {
        &self.names[i as usize]
    }

    fn bytes(&self) -> usize {
        self.names.iter().map(|s| s.len() + 16).sum::<usize>()
            + self.by_hash.capacity() * 13
            + self.clashes.keys().map(|s| s.len() + 24).sum::<usize>()
    }
}

/// One version of a member: never changed once made, so the base's order stays true.
struct Record {
    member: Ix,
    org: Ix,
    name_len: u32,
    /// The name, then the search key, in one allocation.
    text: Box<str>,
}

impl Record {
    fn name(&self) -> &str {
        &self.text[..self.name_len as usize]
    }

    fn key(&self) -> &str {
        &self.text[self.name_len as usize..]
    }
}

/// The base positions holding one n-gram, ascending, as varint gaps; `skips[j]` is the position
/// of posting `j * SKIP` and the byte offset just after it.
#[derive(Default)]
struct Postings {
    bytes: Vec<u8>,
    skips: Vec<(u32, u32)>,
    len: u32,
    last: u32,
}

impl Postings {
    fn push(&mut self, rank: u32) {
        let mut gap = if self.len == 0 { rank } else { rank - self.last };
        loop {
            let b = (gap & 0x7f) as u8;
            gap >>= 7;
            if gap == 0 {
                self.bytes.push(b);
                break;
            }
            self.bytes.push(b | 0x80);
        }
        if self.len.is_multiple_of(SKIP) {
            self.skips.push((rank, self.bytes.len() as u32));
        }
        self.len += 1;
        self.last = rank;
    }

    fn bytes(&self) -> usize {
        self.bytes.capacity() + self.skips.capacity() * 8 + std::mem::size_of::<Self>()
    }
}

/// A forward walk over one list.
struct Walk<'a> {
    p: &'a Postings,
    pos: usize,
    cur: u32,
    started: bool,
}

impl<'a> Walk<'a> {
    fn new(p: &'a Postings) -> Self {
        Walk { p, pos: 0, cur: 0, started: false }
    }

    /// The first position at or after `target`, from where the walk stands.
    fn seek(&mut self, target: u32) -> Option<u32> {
        if self.started && self.cur >= target {
            return Some(self.cur);
        }
        let j = self.p.skips.partition_point(|s| s.0 <= target);
        if j > 0 {
            let (r, off) = self.p.skips[j - 1];
            if !self.started || r > self.cur {
                (self.cur, self.pos, self.started) = (r, off as usize, true);
                if r >= target {
                    return Some(r);
                }
            }
        }
        loop {
            let bytes = &self.p.bytes;
            if self.pos >= bytes.len() {
                return None;
            }
            let mut gap = 0u32;
            let mut shift = 0;
            while let Some(&b) = bytes.get(self.pos) {
                self.pos += 1;
                gap |= u32::from(b & 0x7f) << shift;
                shift += 7;
                if b & 0x80 == 0 {
                    break;
                }
            }
            self.cur = if self.started { self.cur + gap } else { gap };
            self.started = true;
            if self.cur >= target {
                return Some(self.cur);
            }
        }
    }
}

/// N-grams of characters packed in a word: 21 bits a character, a missing one all ones.
fn gram(chars: &[char]) -> u64 {
    let mut g = 0u64;
    for i in 0..GRAM {
        g = (g << 21) | chars.get(i).map_or(0x1f_ffff, |&c| u64::from(c));
    }
    g
}

/// Every n-gram of one to three characters in a key, deduplicated.
fn grams_of(key: &str, out: &mut Vec<u64>) {
    out.clear();
    let chars: Vec<char> = key.chars().collect();
    for n in 1..=GRAM {
        out.extend(chars.windows(n).map(gram));
    }
    out.sort_unstable();
    out.dedup();
}

/// What a term is looked up by: its trigrams, or the term itself when shorter.
fn term_grams(term: &str) -> Vec<u64> {
    let chars: Vec<char> = term.chars().collect();
    let mut g: Vec<u64> = chars.windows(GRAM.min(chars.len())).map(gram).collect();
    g.sort_unstable();
    g.dedup();
    g
}

/// One network's active units, by organization.
#[derive(Default)]
struct Net {
    units: FxHashMap<Ix, (Ix, Ix)>,
    by_type: FxHashMap<Ix, u32>,
}

#[derive(Default)]
pub struct Index {
    members: Interner,
    orgs: Interner,
    units: Interner,
    networks: Interner,
    types: Interner,
    records: Vec<Record>,
    dead: Vec<bool>,
    /// By member: their live record, or [`NONE`].
    current: Vec<Ix>,
    /// Records `0..base_len` are the base, `base` lists them in (name, id) order.
    base_len: usize,
    base: Vec<Ix>,
    grams: FxHashMap<u64, Postings>,
    /// Records made since the build, in (name, id) order.
    delta: Vec<Ix>,
    nets: FxHashMap<Ix, Net>,
    /// Where each active unit sits: `(network, org)`.
    unit_at: FxHashMap<Ix, (Ix, Ix)>,
    member_nets: FxHashMap<Ix, SmallVec<[Ix; 2]>>,
    /// By unit that brings only some departments: the members it brings. A unit not here
    /// brings its whole organization.
    brought: FxHashMap<Ix, FxHashSet<Ix>>,
}

/// The resolved sight of one question.
struct Sight<'a> {
    net: Option<&'a Net>,
    net_ix: Ix,
    scope: Option<(FxHashSet<Ix>, FxHashSet<Ix>)>,
}

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

    /// A record's place in the address book's order.
    fn order(&self, r: Ix) -> (&str, &str) {
        let rec = &self.records[r as usize];
        (rec.name(), self.members.name(rec.member))
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

    /// Active units in scope, counted as the SQL plan chooser counts them: those of the types,
    /// plus the ids given.
    pub fn scoped_units(&self, network: &str, ids: &[String], types: &[String]) -> usize {
        let by_type = self.nets.get(&self.networks.get(network)).map_or(0, |n| {
            types.iter().map(|t| n.by_type.get(&self.types.get(t)).copied().unwrap_or(0) as usize).sum()
        });
        by_type + ids.len()
    }

    fn sight(&self, q: &Query) -> Sight<'_> {
        let net_ix = self.networks.get(q.network);
        let scope = q.scope.map(|(ids, types)| {
            (ids.iter().map(|u| self.units.get(u)).collect(), types.iter().map(|t| self.types.get(t)).collect())
        });
        Sight { net: self.nets.get(&net_ix), net_ix, scope }
    }

    /// Whether the viewer sees a live record, and through which unit.
    fn sees(&self, s: &Sight, rec: &Record) -> Option<Option<Ix>> {
        if let Some(&(unit, ty)) = s.net.and_then(|n| n.units.get(&rec.org))
            && s.scope.as_ref().is_none_or(|(ids, types)| ids.contains(&unit) || types.contains(&ty))
            && self.brought.get(&unit).is_none_or(|b| b.contains(&rec.member))
        {
            return Some(Some(unit));
        }
        let member_of = self.member_nets.get(&rec.member).is_some_and(|n| n.contains(&s.net_ix));
        (s.net_ix != NONE && member_of).then_some(None)
    }

    /// A page of the address book: the people the viewer sees, in (name, id) order, after the
    /// cursor, at most `limit`.
    pub fn page(&self, q: &Query) -> Vec<Hit> {
        let term: Option<String> = q.text.map(|t| t.replace(['%', '_'], "")).filter(|t| !t.is_empty());
        let sight = self.sight(q);
        let mut out = Vec::new();
        if q.limit == 0 || sight.net_ix == NONE {
            return out;
        }
        let after = |r: Ix| q.after.is_none_or(|a| self.order(r) > a);
        let keep = |r: Ix| -> Option<Option<Ix>> {
            let rec = &self.records[r as usize];
            if self.dead[r as usize] || term.as_deref().is_some_and(|t| !rec.key().contains(t)) {
                return None;
            }
            self.sees(&sight, rec)
        };
        // The base's candidates: the term's lists intersected, or every position.
        let start = q.after.map_or(0, |a| self.base.partition_point(|&r| self.order(r) <= a)) as u32;
        let lists: Option<Vec<&Postings>> = term.as_deref().map(|t| {
            let grams = term_grams(t);
            let mut ls: Vec<&Postings> = grams.iter().filter_map(|g| self.grams.get(g)).collect();
            if ls.len() < grams.len() {
                // A gram nobody has: no base record matches.
                ls.clear();
            }
            ls.sort_by_key(|p| p.len);
            ls
        });
        let mut walks: Vec<Walk> = lists.iter().flatten().map(|p| Walk::new(p)).collect();
        let no_base = lists.as_ref().is_some_and(|l| l.is_empty());
        let mut next_rank = start;
        let mut base_next = || -> Option<(Ix, Option<Ix>)> {
            loop {
                if no_base || next_rank as usize >= self.base.len() {
                    return None;
                }
                let rank = if walks.is_empty() { next_rank } else { intersect(&mut walks, next_rank)? };
                next_rank = rank + 1;
                let r = self.base[rank as usize];
                if let Some(unit) = keep(r) {
                    return Some((r, unit));
                }
            }
        };
        let mut delta = self.delta[self.delta.partition_point(|&d| !after(d))..].iter();
        let mut delta_next = || delta.by_ref().find_map(|&r| keep(r).map(|u| (r, u)));
        let (mut b, mut d) = (base_next(), delta_next());
        while out.len() < q.limit {
            let take_base = match (&b, &d) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (Some((x, _)), Some((y, _))) => self.order(*x) < self.order(*y),
            };
            let (r, unit) = if take_base {
                std::mem::replace(&mut b, base_next())
            } else {
                std::mem::replace(&mut d, delta_next())
            }
            .unwrap_or((NONE, None));
            if r == NONE {
                break;
            }
            let member = self.members.name(self.records[r as usize].member).to_owned();
            out.push(Hit { member, unit: unit.map(|u| self.units.name(u).to_owned()) });
        }
        out
    }

    /// Live people in the index, and an estimate of its heap in bytes.
    pub fn size(&self) -> (usize, usize) {
        let live = self.current.iter().filter(|c| **c != NONE).count();
        let heap = [&self.members, &self.orgs, &self.units, &self.networks, &self.types]
            .map(Interner::bytes)
            .iter()
            .sum::<usize>()
            + self.records.iter().map(|r| r.text.len() + std::mem::size_of::<Record>()).sum::<usize>()
            + self.dead.len()
            + (self.current.len() + self.base.len() + self.delta.len()) * 4
            + self.grams.values().map(|p| p.bytes() + 8).sum::<usize>()
            + self.member_nets.len() * 32
            + self.unit_at.len() * 16
            + self.brought.values().map(|b| b.capacity() * 5 + 48).sum::<usize>()
            + self.nets.values().map(|n| n.units.len() * 16).sum::<usize>();
        (live, heap)
    }
}

/// The first position at or after `from` in every list.
fn intersect(walks: &mut [Walk], mut from: u32) -> Option<u32> {
    'next: loop {
        let (first, rest) = walks.split_first_mut()?;
        let r = first.seek(from)?;
        for w in rest {
            let x = w.seek(r)?;
            if x > r {
                from = x;
                continue 'next;
            }
        }
        return Some(r);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn postings_seek_from_anywhere() {
        let mut p = Postings::default();
        let ranks: Vec<u32> = (0..1000).map(|i| i * 3 + (i % 7) * 1000).collect::<FxHashSet<_>>().into_iter().collect();
        let mut ranks = ranks;
        ranks.sort_unstable();
        for r in &ranks {
            p.push(*r);
        }
        for target in [0, 1, 2, 5, 190, 191, 192, 3000, 7000, 9000, 100_000] {
            let want = ranks.iter().copied().find(|r| *r >= target);
            assert_eq!(Walk::new(&p).seek(target), want, "{target}");
        }
        let mut w = Walk::new(&p);
        let mut got = vec![];
        let mut t = 0;
        while let Some(r) = w.seek(t) {
            got.push(r);
            t = r + 1;
        }
        assert_eq!(got, ranks);
    }

    #[test]
    fn strings_sharing_a_hash_keep_their_own_numbers() {
        let mut i = Interner::default();
        let (a, b) = (i.intern_hashed("mem_a", 7), i.intern_hashed("mem_b", 7));
        assert_ne!(a, b);
        assert_eq!((i.get_hashed("mem_a", 7), i.get_hashed("mem_b", 7), i.get_hashed("mem_c", 7)), (a, b, NONE));
        assert_eq!((i.intern_hashed("mem_b", 7), i.name(b)), (b, "mem_b"));
        assert_eq!(i.get("mem_a"), NONE, "found by its own hash only");
    }

    /// The world a test run builds from and changes.
    #[derive(Clone, Debug)]
    enum Step {
        Person(usize, String, String, usize, bool),
        /// `(unit, network, org, type, active, brings)`: `brings` is `None` for the whole
        /// organization; `Some(None)` brings departments but gives no new members (the unit
        /// keeps those it had); `Some(Some(mask))` brings the org's members whose bit is set.
        Unit(usize, usize, usize, usize, bool, Option<Option<u16>>),
        RemoveUnit(usize),
        /// The members a unit brings changed (a department moved, a member's departments
        /// changed): applied only to a unit that brings departments.
        Brought(usize, u16),
        Networks(usize, Vec<usize>),
    }

    fn word() -> impl Strategy<Value = String> {
        "[abcA]{0,4}"
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            4 => (0..14usize, word(), "[abc]{0,3}", 0..5usize, prop::bool::weighted(0.85))
                .prop_map(|(m, n, k, o, a)| Step::Person(m, n, k, o, a)),
            2 => (0..6usize, 0..2usize, 0..5usize, 0..2usize, prop::bool::weighted(0.8), brings())
                .prop_map(|(u, n, o, t, a, b)| Step::Unit(u, n, o, t, a, b)),
            1 => (0..6usize).prop_map(Step::RemoveUnit),
            1 => (0..6usize, any::<u16>()).prop_map(|(u, m)| Step::Brought(u, m)),
            1 => (0..14usize, prop::collection::vec(0..2usize, 0..2)).prop_map(|(m, n)| Step::Networks(m, n)),
        ]
    }

    fn brings() -> impl Strategy<Value = Option<Option<u16>>> {
        prop_oneof![2 => Just(None), 1 => Just(Some(None)), 2 => any::<u16>().prop_map(|m| Some(Some(m)))]
    }

    /// The org's members whose bit is set in the mask: a random subset of them.
    fn subset(f: &Facts, org: &str, mask: u16) -> Vec<String> {
        let mut ids: Vec<String> = f.people.iter().filter(|p| p.org == org).map(|p| p.id.clone()).collect();
        ids.sort();
        ids.into_iter().enumerate().filter(|(i, _)| mask & (1 << (i % 16)) != 0).map(|(_, id)| id).collect()
    }

    /// The unit's brought members replaced in the facts and the index.
    fn bring(f: &mut Facts, ix: &mut Index, unit: &str, org: &str, mask: u16) {
        let list = subset(f, org, mask);
        f.brought.retain(|(u, _)| u != unit);
        f.brought.extend(list.iter().map(|m| (unit.to_owned(), m.clone())));
        ix.set_brought(unit, Some(&list));
    }

    fn apply(f: &mut Facts, ix: &mut Index, st: &Step) {
        match st.clone() {
            Step::Person(m, name, key, o, active) => {
                let p = PersonFacts {
                    id: format!("m{m}"),
                    org: format!("o{o}"),
                    key: format!("{}\n{key}", name.to_lowercase()),
                    name,
                    active,
                };
                f.people.retain(|x| x.id != p.id);
                f.people.push(p.clone());
                ix.put_person(&p);
            }
            Step::Unit(u, n, o, t, active, brings) => {
                let u = UnitFacts {
                    id: format!("u{u}"),
                    network: format!("n{n}"),
                    org: format!("o{o}"),
                    partner_type: format!("t{t}"),
                    active,
                    departments: brings.map(|_| vec!["dep".into()]),
                };
                // An organization has one live unit per network, as the database's index keeps it.
                let clash = f.units.iter().any(|x| x.id != u.id && x.network == u.network && x.org == u.org);
                if clash {
                    return;
                }
                f.units.retain(|x| x.id != u.id);
                f.units.push(u.clone());
                ix.put_unit(&u);
                match brings {
                    // Only units bringing departments have rows; put_unit forgot the old set.
                    None => f.brought.retain(|(x, _)| *x != u.id),
                    Some(None) => {}
                    Some(Some(mask)) => bring(f, ix, &u.id, &u.org, mask),
                }
            }
            Step::RemoveUnit(u) => {
                let id = format!("u{u}");
                f.units.retain(|x| x.id != id);
                f.brought.retain(|(x, _)| *x != id);
                ix.remove_unit(&id);
            }
            Step::Brought(u, mask) => {
                let id = format!("u{u}");
                let Some(org) = f.units.iter().find(|x| x.id == id && x.departments.is_some()).map(|x| x.org.clone())
                else {
                    return;
                };
                bring(f, ix, &id, &org, mask);
            }
            Step::Networks(m, nets) => {
                let id = format!("m{m}");
                let nets: Vec<String> = nets.iter().map(|n| format!("n{n}")).collect();
                f.network_members.retain(|x| x.1 != id);
                f.network_members.extend(nets.iter().map(|n| (n.clone(), id.clone())));
                ix.set_networks(&id, &nets);
            }
        }
    }

    /// The address book as the SQL's wide plan reads it: filter, then sort.
    fn reference(f: &Facts, q: &Query) -> Vec<Hit> {
        let term = q.text.map(|t| t.replace(['%', '_'], ""));
        let mut rows: Vec<(&str, &str, Option<String>)> = vec![];
        for p in f.people.iter().filter(|p| p.active) {
            if term.as_ref().is_some_and(|t| !p.key.contains(t.as_str())) {
                continue;
            }
            if q.after.is_some_and(|(n, id)| (p.name.as_str(), p.id.as_str()) <= (n, id)) {
                continue;
            }
            let unit = f.units.iter().find(|u| {
                u.active
                    && u.network == q.network
                    && u.org == p.org
                    && q.scope.is_none_or(|(ids, types)| ids.contains(&u.id) || types.contains(&u.partner_type))
                    && (u.departments.is_none() || f.brought.iter().any(|(x, m)| *x == u.id && *m == p.id))
            });
            let member = f.network_members.iter().any(|(n, m)| n == q.network && *m == p.id);
            if unit.is_some() || member {
                rows.push((&p.name, &p.id, unit.map(|u| u.id.clone())));
            }
        }
        rows.sort();
        rows.into_iter().take(q.limit).map(|(_, m, unit)| Hit { member: m.to_owned(), unit }).collect()
    }

    fn scopes() -> Vec<Option<(Vec<String>, Vec<String>)>> {
        vec![
            None,
            Some((vec!["u1".into(), "u3".into()], vec![])),
            Some((vec![], vec!["t1".into()])),
            Some((vec!["u0".into()], vec!["t0".into()])),
            Some((vec![], vec![])),
        ]
    }

    /// Every page of every question, walked with cursors, equals the reference's.
    fn check_all(f: &Facts, ix: &Index) -> Result<(), TestCaseError> {
        let names: Vec<String> = f.people.iter().map(|p| p.id.clone()).collect();
        for network in ["n0", "n1", "n9"] {
            for scope in scopes() {
                let scope = scope.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice()));
                for text in [
                    None,
                    Some(""),
                    Some("a"),
                    Some("b"),
                    Some("ab"),
                    Some("a_b"),
                    Some("abc"),
                    Some("\na"),
                    Some("ca"),
                ] {
                    for limit in [1usize, 2, 3, 100] {
                        let mut after: Option<(String, String)> = None;
                        let mut pages = 0;
                        loop {
                            let q = Query {
                                network,
                                scope,
                                text,
                                after: after.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                                limit,
                            };
                            let got = ix.page(&q);
                            prop_assert_eq!(
                                &got,
                                &reference(f, &q),
                                "{} {:?} {:?} {:?} {}",
                                network,
                                scope,
                                text,
                                after,
                                limit
                            );
                            let Some(last) = got.last() else { break };
                            let p = f.people.iter().find(|p| p.id == last.member).unwrap();
                            after = Some((p.name.clone(), p.id.clone()));
                            pages += 1;
                            prop_assert!(pages <= names.len() + 1);
                            if got.len() < limit {
                                break;
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn start(n: usize) -> (Facts, Vec<Step>) {
        let mut steps = vec![];
        for m in 0..n {
            let names = ["Ab", "ab", "Bca", "aab", "", "c", "abc"];
            steps.push(Step::Person(
                m,
                names[m % names.len()].into(),
                ["ba", "", "cab"][m % 3].into(),
                m % 5,
                m % 9 != 4,
            ));
        }
        steps.push(Step::Unit(0, 0, 0, 0, true, None));
        steps.push(Step::Unit(1, 0, 1, 1, true, Some(Some(0b0101))));
        steps.push(Step::Unit(2, 1, 2, 0, true, None));
        steps.push(Step::Unit(3, 0, 3, 1, false, Some(Some(0b0011))));
        steps.push(Step::Unit(4, 1, 4, 1, true, Some(None)));
        steps.push(Step::Networks(4, vec![0]));
        (Facts::default(), steps)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
        /// An index built from facts and then changed answers every page as the naive
        /// reference does, and as one rebuilt from the changed facts.
        #[test]
        fn pages_equal_the_reference(people in 0..14usize, steps in prop::collection::vec(step(), 0..30)) {
            let (mut f, setup) = start(people);
            let mut scratch = Index::default();
            for st in &setup {
                apply(&mut f, &mut scratch, st);
            }
            let mut live = Index::build(&f);
            check_all(&f, &live)?;
            for st in &steps {
                apply(&mut f, &mut live, st);
            }
            check_all(&f, &live)?;
            check_all(&f, &Index::build(&f))?;
            check_all(&f, &grown(&f))?;
        }
    }

    /// An empty index grown entirely from changes: everything in the delta.
    fn grown(f: &Facts) -> Index {
        let mut ix = Index::default();
        for p in &f.people {
            ix.put_person(p);
        }
        for u in &f.units {
            ix.put_unit(u);
            if u.departments.is_some() {
                let list: Vec<String> = f.brought.iter().filter(|(x, _)| *x == u.id).map(|(_, m)| m.clone()).collect();
                ix.set_brought(&u.id, Some(&list));
            }
        }
        let mut by: FxHashMap<&str, Vec<String>> = FxHashMap::default();
        for (n, m) in &f.network_members {
            by.entry(m).or_default().push(n.clone());
        }
        for (m, n) in by {
            ix.set_networks(m, &n);
        }
        ix
    }

    #[test]
    fn a_unit_bringing_departments_shows_only_those_it_brings() {
        let person = |id: &str, org: &str| PersonFacts {
            id: id.into(),
            org: org.into(),
            name: id.to_uppercase(),
            key: id.into(),
            active: true,
        };
        let unit = |id: &str, org: &str, departments: Option<Vec<String>>| UnitFacts {
            id: id.into(),
            network: "n".into(),
            org: org.into(),
            partner_type: "t".into(),
            active: true,
            departments,
        };
        let f = Facts {
            people: vec![person("a", "o"), person("b", "o"), person("c", "p")],
            units: vec![unit("u", "o", Some(vec!["dep".into()])), unit("v", "p", None)],
            brought: vec![("u".into(), "a".into()), ("v".into(), "c".into())],
            ..Facts::default()
        };
        let seen = |ix: &Index| -> Vec<(String, Option<String>)> {
            let q = Query { network: "n", scope: None, text: None, after: None, limit: 10 };
            ix.page(&q).into_iter().map(|h| (h.member, h.unit)).collect()
        };
        let hit = |m: &str, u: &str| (m.to_owned(), Some(u.to_owned()));
        let mut ix = Index::build(&f);
        assert_eq!(seen(&ix), [hit("a", "u"), hit("c", "v")], "b is not brought; v brings its whole org");
        ix.set_brought("u", None);
        assert_eq!(seen(&ix), [hit("a", "u"), hit("b", "u"), hit("c", "v")]);
        ix.set_brought("u", Some(&[]));
        assert_eq!(seen(&ix), [hit("c", "v")], "no department left: nobody of o");
        ix.set_brought("u", Some(&["b".into()]));
        ix.put_unit(&unit("u", "o", Some(vec!["dep".into()])));
        assert_eq!(seen(&ix), [hit("b", "u"), hit("c", "v")], "put_unit keeps what set_brought gave");
        ix.remove_unit("u");
        ix.put_unit(&unit("u", "o", Some(vec!["dep".into()])));
        assert_eq!(seen(&ix), [hit("c", "v")], "a removed unit's set goes with it");
        ix.put_unit(&unit("u", "o", None));
        assert_eq!(seen(&ix).len(), 3, "the whole organization again");
        ix.set_networks("b", &["n".into()]);
        ix.put_unit(&unit("u", "o", Some(vec!["dep".into()])));
        assert_eq!(seen(&ix), [("b".to_owned(), None), hit("c", "v")], "not brought, but a network member");
    }

    #[test]
    fn churn_of_one_person_counts_toward_a_rebuild() {
        let person = |name: &str, active: bool| PersonFacts {
            id: "mem1".into(),
            org: "o".into(),
            name: name.into(),
            key: name.to_lowercase(),
            active,
        };
        let mut ix = Index::build(&Facts { people: vec![person("Ann", true)], ..Facts::default() });
        assert_eq!(ix.delta_len(), 0);
        for i in 0..10 {
            ix.put_person(&person(&format!("Ann {i}"), true));
        }
        ix.put_person(&person("Ann 9", false));
        assert_eq!(ix.delta_len(), 10, "every record made counts, though none is live");
    }

    #[test]
    fn a_common_term_reads_about_a_page() {
        let mut f = Facts::default();
        for i in 0..20_000 {
            let surname = ["Chen", "Li", "Wang", "Zhao"][i * 4 / 20_000];
            f.people.push(PersonFacts {
                id: format!("mem{i:06}"),
                org: "o".into(),
                name: format!("{surname} {i}"),
                key: format!("{} {i}", surname.to_lowercase()),
                active: true,
            });
        }
        f.units.push(UnitFacts {
            id: "u".into(),
            network: "n".into(),
            org: "o".into(),
            partner_type: "t".into(),
            active: true,
            departments: None,
        });
        let ix = Index::build(&f);
        let q = Query { network: "n", scope: None, text: Some("wang"), after: None, limit: 3 };
        let got: Vec<String> = ix.page(&q).into_iter().map(|h| h.member).collect();
        assert_eq!(got, ["mem010000", "mem010001", "mem010002"]);
    }
}
