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

mod changes;
mod interner;
mod postings;
mod search;

use interner::Interner;
use postings::Postings;

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

impl Index {
    /// A record's place in the address book's order.
    fn order(&self, r: Ix) -> (&str, &str) {
        let rec = &self.records[r as usize];
        (rec.name(), self.members.name(rec.member))
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
