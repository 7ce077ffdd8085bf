//! Who an app reaches: pages and counts of those allowed, a publication's preview, a member's apps.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{A, App, Audience, Index, Ix, Right, UNKNOWN, Without, add_once, audience};

impl Index {
    /// The organizations whose members `a` could reach: the owner and the units its
    /// publications name. Decisions then narrow their members down.
    fn reached_orgs(&self, a: &App, right: Right) -> Vec<Ix> {
        // Nobody, when no group grants the right; only the owner's members for an owner-only right.
        if !a.groups.iter().any(|g| g.rights.contains(&right)) {
            return Vec::new();
        }
        let mut orgs = vec![a.org];
        if right.owner_only() {
            return orgs;
        }
        for (net, audience) in &a.publications {
            for org in self.network_units.get(net).into_iter().flatten() {
                let Some(u) = self.unit_in(*org, *net) else { continue };
                let named = match audience {
                    A::AllUnits | A::Departments(_) => true,
                    A::PartnerTypes(t) => t.contains(&u.partner_type),
                    A::Units(us) => us.contains(&u.id),
                };
                let brings_anyone = u.tops.as_ref().is_none_or(|t| !t.is_empty());
                if named && u.active && brings_anyone {
                    add_once(&mut orgs, *org);
                }
            }
        }
        orgs
    }

    fn allowed(&self, mi: Ix, a: &App, right: Right) -> bool {
        self.member(mi).is_some_and(|m| self.decide(&m, a, right, &mut ()).is_ok())
    }

    /// A page of the members who may exercise `right` on `app`, by id, after `after`.
    ///
    /// The reached organizations' member lists are already in id order: they are merged from the
    /// cursor on and the walk stops when the page is full. Where most of the people reached are
    /// allowed, a page costs about `limit` decisions however many the app reaches; where few
    /// are (a group naming a handful), the walk reads on until it finds them.
    pub fn who_can(&self, app: &str, right: Right, after: Option<&str>, limit: usize) -> Vec<String> {
        let Some(a) = self.names.get(app).and_then(|ai| self.apps.get(&ai)) else { return Vec::new() };
        let lists: Vec<&[Ix]> =
            self.reached_orgs(a, right).iter().filter_map(|o| self.org_members.get(o)).map(Vec::as_slice).collect();
        let mut heads = BinaryHeap::with_capacity(lists.len());
        for (k, list) in lists.iter().enumerate() {
            let at = after.map_or(0, |after| list.partition_point(|m| self.names.name(*m) <= after));
            if let Some(m) = list.get(at) {
                heads.push(Reverse((self.names.name(*m), k, at)));
            }
        }
        let mut page = Vec::new();
        while page.len() < limit {
            let Some(Reverse((name, k, at))) = heads.pop() else { break };
            if self.allowed(lists[k][at], a, right) {
                page.push(name.to_owned());
            }
            if let Some(m) = lists[k].get(at + 1) {
                heads.push(Reverse((self.names.name(*m), k, at + 1)));
            }
        }
        page
    }

    /// How many members would exercise `right` on `app` if it were published to `network` for
    /// `audience` (the publication dialog's preview).
    pub fn preview(&self, app: &str, network: &str, audience_: &Audience, right: Right) -> usize {
        let Some(mut a) = self.names.get(app).and_then(|ai| self.apps.get(&ai)).cloned() else { return 0 };
        let net = self.names.get(network).unwrap_or(UNKNOWN);
        a.publications.retain(|(n, _)| *n != net);
        a.publications.push((net, audience(audience_, |x| self.names.get(x).unwrap_or(UNKNOWN))));
        self.count(&a, right)
    }

    /// How many members would lose at least one of `rights` on `app` if `change` were made: the
    /// number a confirmation names before an admin unpublishes or removes a permission group.
    pub fn losses(&self, app: &str, change: Without<'_>, rights: &[Right]) -> usize {
        let Some(now) = self.names.get(app).and_then(|ai| self.apps.get(&ai)) else { return 0 };
        let mut after = now.clone();
        match change {
            Without::Publication(network) => {
                let net = self.names.get(network).unwrap_or(UNKNOWN);
                after.publications.retain(|(n, _)| *n != net);
            }
            Without::Group(group) => {
                let g = self.names.get(group).unwrap_or(UNKNOWN);
                after.groups.retain(|x| x.name != g);
            }
        }
        let mut orgs: Vec<Ix> = rights.iter().flat_map(|r| self.reached_orgs(now, *r)).collect();
        orgs.sort_unstable();
        orgs.dedup();
        let lost = |mi: Ix| rights.iter().any(|r| self.allowed(mi, now, *r) && !self.allowed(mi, &after, *r));
        orgs.iter().flat_map(|o| self.org_members.get(o).into_iter().flatten()).filter(|mi| lost(**mi)).count()
    }

    /// How many members may exercise `right` on `app`.
    pub fn count_who_can(&self, app: &str, right: Right) -> usize {
        self.names.get(app).and_then(|ai| self.apps.get(&ai)).map_or(0, |a| self.count(a, right))
    }

    fn count(&self, a: &App, right: Right) -> usize {
        let orgs = self.reached_orgs(a, right);
        let members = orgs.iter().flat_map(|o| self.org_members.get(o).into_iter().flatten());
        members.filter(|mi| self.allowed(**mi, a, right)).count()
    }

    /// The apps `member` may exercise `right` on (the workbench), sorted by id.
    pub fn apps_of(&self, member: &str, right: Right) -> Vec<String> {
        let Some(m) = self.member_by_id(member) else { return Vec::new() };
        let ok = self.apps.iter().filter(|(_, a)| self.decide(&m, a, right, &mut ()).is_ok());
        let mut apps: Vec<String> = ok.map(|(ai, _)| self.names.name(*ai).to_owned()).collect();
        apps.sort_unstable();
        apps
    }

    /// The owner organization of an app the index knows.
    pub fn app_org(&self, app: &str) -> Option<&str> {
        self.names.get(app).and_then(|ai| self.apps.get(&ai)).map(|a| self.names.name(a.org))
    }
}
