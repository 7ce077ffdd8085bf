//! Keeping the index current: one `put_*` or `remove_*` call per changed object, in journal order.

use smallvec::SmallVec;

use super::{
    App, AppFacts, Group, Index, Ix, MemberFacts, P, Principal, Short, UNKNOWN, Unit, UnitFacts, add_once, audience,
    set,
};

impl Index {
    pub fn put_member(&mut self, f: &MemberFacts) {
        let id = self.names.intern(&f.id);
        let org = self.names.intern(&f.org);
        let departments = f.departments.iter().map(|d| self.names.intern(d)).collect();
        let pools = f.pools.iter().map(|p| self.names.intern(p)).collect();
        let old = self.member(id).map(|m| m.org);
        if old != Some(org) {
            if let Some(old) = old {
                self.leave_org(old, id);
            }
            let names = &self.names;
            let list = self.org_members.entry(org).or_default();
            let at = list.partition_point(|m| names.name(*m) < names.name(id));
            if list.get(at) != Some(&id) {
                list.insert(at, id);
            }
        }
        let key = Short::new(&f.id).unwrap_or(Short::numbered(id));
        self.members.put(key, id, (org, f.active, f.admin), departments, pools);
    }

    /// A seat of `member` in `pool` enabled or not: the journal's seat entries list whose seats
    /// moved, so a batch of 100,000 needs no reading back. Unknown members are left alone.
    pub fn put_seat(&mut self, member: &str, pool: &str, enabled: bool) {
        let Some(key) = self.key_of(member) else { return };
        let pool = self.names.intern(pool);
        self.members.put_seat(&key, pool, enabled);
    }

    pub fn remove_member(&mut self, id: &str) {
        let Some(key) = self.key_of(id) else { return };
        if let Some(m) = self.members.get(&key) {
            let (org, ix) = (m.org, m.ix);
            self.leave_org(org, ix);
        }
        self.members.remove(&key);
    }

    fn leave_org(&mut self, org: Ix, id: Ix) {
        if let Some(list) = self.org_members.get_mut(&org) {
            list.retain(|m| *m != id);
        }
    }

    pub fn put_department(&mut self, id: &str, parent: Option<&str>) {
        let id = self.names.intern(id);
        let parent = parent.map_or(UNKNOWN, |p| self.names.intern(p));
        set(&mut self.parents, id, parent, UNKNOWN);
    }

    pub fn remove_department(&mut self, id: &str) {
        if let Some(id) = self.names.get(id) {
            set(&mut self.parents, id, UNKNOWN, UNKNOWN);
        }
    }

    pub fn put_network(&mut self, id: &str, owner: &str) {
        let (id, owner) = (self.names.intern(id), self.names.intern(owner));
        self.networks.insert(id, owner);
    }

    pub fn put_unit(&mut self, f: &UnitFacts) {
        self.remove_unit(&f.id);
        let id = self.names.intern(&f.id);
        let (net, org) = (self.names.intern(&f.network), self.names.intern(&f.org));
        let partner_type = self.names.intern(&f.partner_type);
        let tops = f.departments.as_ref().map(|ds| ds.iter().map(|d| self.names.intern(d)).collect());
        let i = org as usize;
        if self.units.len() <= i {
            self.units.resize_with(i + 1, SmallVec::new);
        }
        // An organization is one unit per network: a new unit there displaces the old one.
        for (_, old) in self.units[i].iter().filter(|(n, _)| *n == net) {
            self.unit_keys.remove(&old.id);
        }
        self.units[i].retain(|(n, _)| *n != net);
        // In network-id order, so a decision (and its reasons) never depends on the order units came in.
        let names = &self.names;
        let at = self.units[i].partition_point(|(n, _)| names.name(*n) < names.name(net));
        self.units[i].insert(at, (net, Unit { id, partner_type, active: f.active, tops }));
        self.unit_keys.insert(id, (net, org));
        add_once(self.network_units.entry(net).or_default(), org);
    }

    /// A unit that left or was removed: its people lose what the network gave them.
    pub fn remove_unit(&mut self, id: &str) {
        let Some(id) = self.names.get(id) else { return };
        let Some((net, org)) = self.unit_keys.remove(&id) else { return };
        if let Some(list) = self.units.get_mut(org as usize) {
            list.retain(|(n, u)| !(*n == net && u.id == id));
        }
        if self.unit_in(org, net).is_none()
            && let Some(list) = self.network_units.get_mut(&net)
        {
            list.retain(|o| *o != org);
        }
    }

    pub fn put_app(&mut self, f: &AppFacts) {
        let n = &mut self.names;
        let groups = f
            .groups
            .iter()
            .map(|(name, rights, principals)| Group {
                name: n.intern(name),
                rights: rights.clone(),
                principals: principals
                    .iter()
                    .map(|p| match p {
                        Principal::Everyone => P::Everyone,
                        Principal::Member(m) => P::Member(n.intern(m)),
                        Principal::Department(d) => P::Department(n.intern(d)),
                        Principal::PartnerType(t) => P::PartnerType(n.intern(t)),
                        Principal::Unit(u) => P::Unit(n.intern(u)),
                        Principal::Admins => P::Admins,
                    })
                    .collect(),
            })
            .collect();
        let publications =
            f.publications.iter().map(|(net, a)| (n.intern(net), audience(a, |x| n.intern(x)))).collect();
        let app = App { org: n.intern(&f.org), groups, publications };
        let id = n.intern(&f.id);
        self.apps.insert(id, app);
    }

    pub fn remove_app(&mut self, id: &str) {
        if let Some(id) = self.names.get(id) {
            self.apps.remove(&id);
        }
    }
}
