//! Deciding one question: may this member exercise this right on this app, and why.

use smallvec::SmallVec;

use super::verdict::{Gap, Missing, Reason, Verdict, Why};
use super::{A, App, Group, Index, Ix, Member, P, Right, UNKNOWN, Unit};

impl Index {
    /// May `member` exercise `right` on `app`? The fast path: no reasons are built.
    pub fn allows(&self, member: &str, app: &str, right: Right) -> bool {
        let Some(a) = self.names.get(app).and_then(|ai| self.apps.get(&ai)) else { return false };
        self.member_by_id(member).is_some_and(|m| self.decide(&m, a, right, &mut ()).is_ok())
    }

    /// May an admin of `owner` learn of `member` at all: one of the owner's own members, or an
    /// active member whom a unit of one of the owner's networks brings in. Anyone else is, to
    /// that admin, exactly an id that does not exist.
    pub fn sees(&self, owner: &str, member: &str) -> bool {
        let (Some(owner), Some(m)) = (self.names.get(owner), self.member_by_id(member)) else {
            return false;
        };
        if m.org == owner {
            return true;
        }
        m.active
            && self
                .units
                .get(m.org as usize)
                .into_iter()
                .flatten()
                .any(|(net, u)| self.networks.get(net) == Some(&owner) && self.brings(u, &m))
    }

    /// May `member` exercise `right` on `app`, and why.
    pub fn check<'a>(&'a self, member: &'a str, app: &'a str, right: Right) -> Verdict<'a> {
        let mut reasons = SmallVec::new();
        let found = self.member_by_id(member).zip(self.names.get(app).and_then(|ai| self.apps.get(&ai)));
        let outcome = match &found {
            // Published to a unit of the member's organization that leaves the member's
            // departments out: say so, rather than that no publication reaches the organization.
            Some((m, a)) => self.decide(m, a, right, &mut reasons).map_err(|gap| match gap {
                Gap::Publication => self
                    .published_units(m, a)
                    .next()
                    .map_or(Gap::Publication, |(u, network)| Gap::Brought { unit: u.id, network }),
                gap => gap,
            }),
            None => Err(Gap::Known),
        };
        let Err(gap) = outcome else { return Verdict { allowed: true, reasons } };
        let org = found.map_or("?", |(m, _)| self.names.name(m.org));
        let owner = found.map_or("?", |(_, a)| self.names.name(a.org));
        reasons.push(Reason::Missing(match gap {
            Gap::Known => Missing::Known,
            Gap::Active => Missing::Active { member },
            Gap::Publication => Missing::Publication { app, org },
            Gap::Brought { unit, network } => {
                Missing::Brought { unit: self.names.name(unit), network: self.names.name(network) }
            }
            Gap::Owner => Missing::Owner { owner, right },
            Gap::Seat => Missing::Seat { owner },
            Gap::Group => Missing::Group { right, member },
        }));
        Verdict { allowed: false, reasons }
    }

    pub(super) fn decide<'a>(
        &'a self,
        m: &Member<'_>,
        a: &'a App,
        right: Right,
        why: &mut impl Why<'a>,
    ) -> Result<(), Gap> {
        if !m.active {
            return Err(Gap::Active);
        }
        // Through the owner organization, or through a publication to one of the member's units.
        // A partner can be a unit in several of the owner's networks: any unit that the app
        // reaches and that a group names will do, whatever order the units came in.
        let (unit, group) = if m.org == a.org {
            why.add(|| Reason::OwnerMember { org: self.names.name(m.org) });
            (None, self.granting(a, right, m, None))
        } else {
            let mut reaching = self.reaching_units(m, a);
            let first = reaching.next().ok_or(Gap::Publication)?;
            let granted = std::iter::once(first)
                .chain(reaching)
                .find_map(|(u, net)| self.granting(a, right, m, Some(u)).map(|g| ((u, net), g)));
            let ((u, net), group) = granted.map_or((first, None), |(un, g)| (un, Some(g)));
            why.add(|| Reason::UnitMember {
                unit: self.names.name(u.id),
                partner_type: self.names.name(u.partner_type),
                network: self.names.name(net),
            });
            why.add(|| Reason::Published);
            (Some(u), group)
        };
        // A partner's widest view is its organization's, and it never manages the app.
        if right.owner_only() && unit.is_some() {
            return Err(Gap::Owner);
        }
        if !m.pools.contains(&a.org) {
            return Err(Gap::Seat);
        }
        why.add(|| Reason::Seat { pool: self.names.name(a.org) });
        let g = group.ok_or(Gap::Group)?;
        why.add(|| Reason::Group { group: self.names.name(g.name), right });
        Ok(())
    }

    /// The first of the app's groups that grants `right` and names the member.
    fn granting<'a>(&self, a: &'a App, right: Right, m: &Member<'_>, unit: Option<&Unit>) -> Option<&'a Group> {
        a.groups
            .iter()
            .filter(|g| g.rights.contains(&right))
            .find(|g| g.principals.iter().any(|p| self.principal_has(p, m, unit)))
    }

    /// The member's active units in the owner's networks that the app is published to and that
    /// bring the member in.
    fn reaching_units<'s>(&'s self, m: &'s Member<'_>, a: &'s App) -> impl Iterator<Item = (&'s Unit, Ix)> + 's {
        self.published_units(m, a).filter(move |(u, _)| self.brings(u, m))
    }

    /// The active units of the member's organization in the owner's networks that the app is
    /// published to, whether or not they bring the member in.
    fn published_units<'s>(&'s self, m: &'s Member<'_>, a: &'s App) -> impl Iterator<Item = (&'s Unit, Ix)> + 's {
        let units = self.units.get(m.org as usize).into_iter().flatten();
        units
            .filter(move |(net, u)| {
                u.active
                    && self.networks.get(net) == Some(&a.org)
                    && a.publications.iter().any(|(pnet, audience)| pnet == net && self.audience_has(audience, u, m))
            })
            .map(|(net, u)| (u, *net))
    }

    /// Does `u` bring the member of its organization into its network: the whole organization, or
    /// a department the member is in, or one above it? The tree is read as it is now, so a
    /// department or a member moved in or out counts at once.
    fn brings(&self, u: &Unit, m: &Member<'_>) -> bool {
        match &u.tops {
            None => true,
            Some(tops) => tops.iter().any(|t| self.in_subtree(m, *t)),
        }
    }

    /// Is `dep` the department `top` or below it?
    fn within(&self, dep: Ix, top: Ix) -> bool {
        let mut cur = dep;
        // The bound stops a malformed cycle.
        for _ in 0..64 {
            if cur == top {
                return true;
            }
            match self.parents.get(cur as usize) {
                Some(p) if *p != UNKNOWN => cur = *p,
                _ => return false,
            }
        }
        false
    }

    fn in_subtree(&self, m: &Member<'_>, top: Ix) -> bool {
        m.departments.iter().any(|d| self.within(*d, top))
    }

    fn audience_has(&self, audience: &A, u: &Unit, m: &Member<'_>) -> bool {
        match audience {
            A::AllUnits => true,
            A::PartnerTypes(t) => t.contains(&u.partner_type),
            A::Units(us) => us.contains(&u.id),
            A::Departments(ds) => ds.iter().any(|d| self.in_subtree(m, *d)),
        }
    }

    fn principal_has(&self, p: &P, m: &Member<'_>, unit: Option<&Unit>) -> bool {
        match p {
            P::Everyone => true,
            P::Member(x) => *x == m.ix,
            P::Department(d) => self.in_subtree(m, *d),
            P::PartnerType(t) => unit.is_some_and(|u| u.partner_type == *t),
            P::Unit(x) => unit.is_some_and(|u| u.id == *x),
            P::Admins => m.admin,
        }
    }
}
