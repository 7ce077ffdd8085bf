//! Building an index: from all the facts at once, or handed over piece by piece.

use super::{AppFacts, Facts, Few, Index, Ix, Short};

impl Index {
    pub fn build(facts: &Facts) -> Index {
        let mut l = Loader::new(facts);
        l.reserve(facts.members.len());
        for m in &facts.members {
            for d in &m.departments {
                l.membership(&m.id, d);
            }
            for p in &m.pools {
                l.seat(&m.id, p);
            }
            l.member(&m.id, &m.org, m.active, m.admin);
        }
        l.finish(&facts.apps)
    }
}

/// Builds an index from facts handed over piece by piece, borrowing every id: loading a
/// million members from the database then hands over slices of a few long strings instead of
/// millions of owned ones. A member's memberships and seats come before the member.
#[derive(Default)]
pub struct Loader {
    ix: Index,
    departments_of: Vec<Few>,
    pools_of: Vec<Few>,
}

impl Loader {
    /// Starts from the departments, networks and units of `structure` (its members and apps are
    /// not read here).
    pub fn new(structure: &Facts) -> Loader {
        let mut l = Loader::default();
        for (d, p) in &structure.departments {
            l.ix.put_department(d, p.as_deref());
        }
        for (net, owner) in &structure.networks {
            l.ix.put_network(net, owner);
        }
        for u in &structure.units {
            l.ix.put_unit(u);
        }
        l
    }

    pub fn membership(&mut self, member: &str, department: &str) {
        let (m, d) = (self.ix.names.intern(member), self.ix.names.intern(department));
        push(&mut self.departments_of, m, d);
    }

    /// An enabled seat of `member` in `pool`.
    pub fn seat(&mut self, member: &str, pool: &str) {
        let (m, p) = (self.ix.names.intern(member), self.ix.names.intern(pool));
        push(&mut self.pools_of, m, p);
    }

    /// Makes room for `n` members, so loading a million does not grow the table twenty times.
    pub fn reserve(&mut self, n: usize) {
        self.ix.members.reserve(n);
    }

    pub fn member(&mut self, name: &str, org: &str, active: bool, admin: bool) {
        let (id, org) = (self.ix.names.intern(name), self.ix.names.intern(org));
        let take = |v: &mut Vec<Few>| v.get_mut(id as usize).map(std::mem::take).unwrap_or_default();
        let (departments, pools) = (take(&mut self.departments_of), take(&mut self.pools_of));
        self.ix.org_members.entry(org).or_default().push(id);
        let key = Short::new(name).unwrap_or(Short::numbered(id));
        self.ix.members.put(key, id, (org, active, admin), departments, pools);
    }

    pub fn finish(mut self, apps: &[AppFacts]) -> Index {
        for a in apps {
            self.ix.put_app(a);
        }
        // One sort per organization instead of an ordered insert per member.
        let names = &self.ix.names;
        for list in self.ix.org_members.values_mut() {
            list.sort_unstable_by(|x, y| names.name(*x).cmp(names.name(*y)));
            list.dedup();
        }
        self.ix
    }
}

fn push(lists: &mut Vec<Few>, i: Ix, x: Ix) {
    let i = i as usize;
    if lists.len() <= i {
        lists.resize_with(i + 1, Few::new);
    }
    if !lists[i].contains(&x) {
        lists[i].push(x);
    }
}
