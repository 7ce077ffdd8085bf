//! The access index: every "may this member do this on this app?" is answered here, in memory,
//! with the path of grants that allowed it or the first link that was missing.
//!
//! Ids are interned to dense integers when facts are loaded, so a check is a handful of array
//! reads and hash lookups on integers.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// What a permission group lets its people do with an app.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    /// Use the app: see it on the workbench and submit.
    Submit,
    /// Read their own submissions.
    ViewOwn,
    /// Read their unit's (or, on the backbone, their department's) submissions.
    ViewUnit,
    /// Read their organization's submissions.
    ViewOrg,
    /// Read every submission (the backbone's view).
    ViewAll,
    Edit,
    Manage,
}

text_enum!(Right {
    Submit = "submit",
    ViewOwn = "view_own",
    ViewUnit = "view_unit",
    ViewOrg = "view_org",
    ViewAll = "view_all",
    Edit = "edit",
    Manage = "manage",
});

/// Who a permission group names.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Principal {
    /// Everyone who can reach the app: the owner's members and the publication's audience.
    Everyone,
    Member(String),
    /// A department and every department below it (of the owner or of a unit).
    Department(String),
    PartnerType(String),
    Unit(String),
    /// The admins of the member's own organization.
    Admins,
}

/// To whom a publication releases an app inside a network.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "ids", rename_all = "snake_case")]
pub enum Audience {
    AllUnits,
    PartnerTypes(Vec<String>),
    Units(Vec<String>),
    /// Departments of units (with the departments below them).
    Departments(Vec<String>),
}

/// The facts a decision reads, as loaded from the database.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// `(member, organization, active, admin, departments)`.
    pub members: Vec<(String, String, bool, bool, Vec<String>)>,
    /// `(department, parent)`.
    pub departments: Vec<(String, Option<String>)>,
    /// `(unit, network, organization, partner type, active)`.
    pub units: Vec<(String, String, String, String, bool)>,
    /// `(network, owner organization)`.
    pub networks: Vec<(String, String)>,
    /// `(pool organization, member)` of enabled seats.
    pub seats: Vec<(String, String)>,
    pub apps: Vec<AppFacts>,
}

#[derive(Clone, Debug, Default)]
pub struct AppFacts {
    pub id: String,
    pub org: String,
    pub groups: Vec<(String, Vec<Right>, Vec<Principal>)>,
    pub publications: Vec<(String, Audience)>,
}

type Ix = u32;

#[derive(Default)]
struct Names {
    ids: HashMap<String, Ix>,
    names: Vec<String>,
}

impl Names {
    fn intern(&mut self, s: &str) -> Ix {
        if let Some(i) = self.ids.get(s) {
            return *i;
        }
        let i = self.names.len() as Ix;
        self.ids.insert(s.to_owned(), i);
        self.names.push(s.to_owned());
        i
    }
    fn get(&self, s: &str) -> Option<Ix> {
        self.ids.get(s).copied()
    }
    fn name(&self, i: Ix) -> &str {
        &self.names[i as usize]
    }
}

struct Member {
    org: Ix,
    active: bool,
    admin: bool,
    /// The member's departments and every department above them.
    departments: Vec<Ix>,
}

struct Unit {
    id: Ix,
    partner_type: Ix,
    active: bool,
}

enum P {
    Everyone,
    Member(Ix),
    Department(Ix),
    PartnerType(Ix),
    Unit(Ix),
    Admins,
}

enum A {
    AllUnits,
    PartnerTypes(Vec<Ix>),
    Units(Vec<Ix>),
    Departments(Vec<Ix>),
}

struct Group {
    name: Ix,
    rights: Vec<Right>,
    principals: Vec<P>,
}

struct App {
    org: Ix,
    groups: Vec<Group>,
    /// `(network, audience)`.
    publications: Vec<(Ix, A)>,
}

/// A decision and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Decision {
    pub allowed: bool,
    /// The grants that allowed it, in order; or, when denied, those that held and then the
    /// missing link, prefixed `missing:`.
    pub reasons: Vec<String>,
}

/// The in-memory index over loaded facts.
#[derive(Default)]
pub struct Index {
    names: Names,
    members: HashMap<Ix, Member>,
    /// Units by `(network, organization)`.
    units: HashMap<(Ix, Ix), Unit>,
    /// Networks of each unit organization: `(network, owner)`.
    networks_of: HashMap<Ix, Vec<(Ix, Ix)>>,
    seats: HashSet<(Ix, Ix)>,
    apps: HashMap<Ix, App>,
}

impl Index {
    pub fn build(facts: &Facts) -> Index {
        let mut ix = Index::default();
        let n = &mut ix.names;
        let parents: HashMap<Ix, Option<Ix>> =
            facts.departments.iter().map(|(d, p)| (n.intern(d), p.as_deref().map(|p| n.intern(p)))).collect();
        for (id, org, active, admin, deps) in &facts.members {
            let mut all = Vec::new();
            for d in deps {
                let mut cur = Some(n.intern(d));
                // Walk up; the guard stops a malformed cycle.
                while let Some(c) = cur {
                    if all.contains(&c) || all.len() > 64 {
                        break;
                    }
                    all.push(c);
                    cur = parents.get(&c).copied().flatten();
                }
            }
            let member = Member { org: n.intern(org), active: *active, admin: *admin, departments: all };
            ix.members.insert(n.intern(id), member);
        }
        let owners: HashMap<Ix, Ix> = facts.networks.iter().map(|(net, org)| (n.intern(net), n.intern(org))).collect();
        for (id, net, org, ty, active) in &facts.units {
            let (net, org) = (n.intern(net), n.intern(org));
            ix.units.insert((net, org), Unit { id: n.intern(id), partner_type: n.intern(ty), active: *active });
            if let Some(owner) = owners.get(&net) {
                ix.networks_of.entry(org).or_default().push((net, *owner));
            }
        }
        for (pool, member) in &facts.seats {
            ix.seats.insert((n.intern(pool), n.intern(member)));
        }
        for app in &facts.apps {
            let groups = app
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
            let publications = app
                .publications
                .iter()
                .map(|(net, a)| {
                    let list = |v: &Vec<String>, n: &mut Names| v.iter().map(|x| n.intern(x)).collect();
                    let a = match a {
                        Audience::AllUnits => A::AllUnits,
                        Audience::PartnerTypes(v) => A::PartnerTypes(list(v, n)),
                        Audience::Units(v) => A::Units(list(v, n)),
                        Audience::Departments(v) => A::Departments(list(v, n)),
                    };
                    (n.intern(net), a)
                })
                .collect();
            ix.apps.insert(n.intern(&app.id), App { org: n.intern(&app.org), groups, publications });
        }
        ix
    }

    /// May `member` exercise `right` on `app`?
    pub fn check(&self, member: &str, app: &str, right: Right) -> Decision {
        let mut reasons = Vec::new();
        let deny = |mut reasons: Vec<String>, why: String| {
            reasons.push(format!("missing: {why}"));
            Decision { allowed: false, reasons }
        };
        let (Some(mi), Some(ai)) = (self.names.get(member), self.names.get(app)) else {
            return deny(reasons, "a known member and app".into());
        };
        let (Some(m), Some(a)) = (self.members.get(&mi), self.apps.get(&ai)) else {
            return deny(reasons, "a known member and app".into());
        };
        if !m.active {
            return deny(reasons, format!("{member} is not an active member"));
        }
        let org = self.names.name(m.org);
        // Through the owner organization, or through a publication to one of the member's units.
        let unit = if m.org == a.org {
            reasons.push(format!("member of {org}, which owns the app"));
            None
        } else {
            let mut via = None;
            for (net, owner) in self.networks_of.get(&m.org).into_iter().flatten() {
                if *owner != a.org {
                    continue;
                }
                let Some(u) = self.units.get(&(*net, m.org)).filter(|u| u.active) else { continue };
                for (pnet, audience) in &a.publications {
                    if pnet == net && self.audience_has(audience, u, m) {
                        via = Some((u, *net));
                        break;
                    }
                }
                if via.is_some() {
                    break;
                }
            }
            let Some((u, net)) = via else {
                return deny(reasons, format!("a publication of {app} to a unit of {org}"));
            };
            reasons.push(format!(
                "member of unit {} ({}) in network {}",
                self.names.name(u.id),
                self.names.name(u.partner_type),
                self.names.name(net)
            ));
            reasons.push(format!("{app} published to that unit's audience"));
            Some(u)
        };
        if !self.seats.contains(&(a.org, mi)) {
            return deny(reasons, format!("a seat in {}'s pool", self.names.name(a.org)));
        }
        reasons.push(format!("seat held in {}'s pool", self.names.name(a.org)));
        for g in a.groups.iter().filter(|g| g.rights.contains(&right)) {
            if g.principals.iter().any(|p| self.principal_has(p, mi, m, unit)) {
                reasons.push(format!("permission group {} grants {}", self.names.name(g.name), right.as_str()));
                return Decision { allowed: true, reasons };
            }
        }
        deny(reasons, format!("a permission group granting {} that names {member}", right.as_str()))
    }

    fn audience_has(&self, audience: &A, u: &Unit, m: &Member) -> bool {
        match audience {
            A::AllUnits => true,
            A::PartnerTypes(t) => t.contains(&u.partner_type),
            A::Units(us) => us.contains(&u.id),
            A::Departments(ds) => m.departments.iter().any(|d| ds.contains(d)),
        }
    }

    fn principal_has(&self, p: &P, mi: Ix, m: &Member, unit: Option<&Unit>) -> bool {
        match p {
            P::Everyone => true,
            P::Member(x) => *x == mi,
            P::Department(d) => m.departments.contains(d),
            P::PartnerType(t) => unit.is_some_and(|u| u.partner_type == *t),
            P::Unit(x) => unit.is_some_and(|u| u.id == *x),
            P::Admins => m.admin,
        }
    }

    /// Every active member who may exercise `right` on `app`, sorted by id.
    pub fn who_can(&self, app: &str, right: Right) -> Vec<String> {
        let mut out: Vec<String> = self
            .members
            .keys()
            .map(|m| self.names.name(*m))
            .filter(|m| self.check(m, app, right).allowed)
            .map(str::to_owned)
            .collect();
        out.sort();
        out
    }

    /// The apps `member` may exercise `right` on (the workbench), sorted by id.
    pub fn apps_of(&self, member: &str, right: Right) -> Vec<String> {
        let mut out: Vec<String> = self
            .apps
            .keys()
            .map(|a| self.names.name(*a))
            .filter(|a| self.check(member, a, right).allowed)
            .map(str::to_owned)
            .collect();
        out.sort();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        x.to_owned()
    }

    /// A backbone with one app published to suppliers; a supplier and a distributor unit.
    fn facts() -> Facts {
        Facts {
            members: vec![
                (s("m_back"), s("o_back"), true, false, vec![s("d_sales")]),
                (s("m_sup"), s("o_sup"), true, false, vec![s("d_sup_east")]),
                (s("m_sup_noseat"), s("o_sup"), true, false, vec![]),
                (s("m_dist"), s("o_dist"), true, false, vec![]),
                (s("m_gone"), s("o_sup"), false, false, vec![]),
            ],
            departments: vec![(s("d_sales"), None), (s("d_sup"), None), (s("d_sup_east"), Some(s("d_sup")))],
            units: vec![
                (s("u_sup"), s("n"), s("o_sup"), s("supplier"), true),
                (s("u_dist"), s("n"), s("o_dist"), s("distributor"), true),
            ],
            networks: vec![(s("n"), s("o_back"))],
            seats: vec![
                (s("o_back"), s("m_back")),
                (s("o_back"), s("m_sup")),
                (s("o_back"), s("m_dist")),
                (s("o_back"), s("m_gone")),
            ],
            apps: vec![AppFacts {
                id: s("app"),
                org: s("o_back"),
                groups: vec![(s("g_all"), vec![Right::Submit, Right::ViewOwn], vec![Principal::Everyone])],
                publications: vec![(s("n"), Audience::PartnerTypes(vec![s("supplier")]))],
            }],
        }
    }

    #[test]
    fn suppliers_get_supplier_apps_with_reasons() {
        let ix = Index::build(&facts());
        let d = ix.check("m_sup", "app", Right::Submit);
        assert!(d.allowed, "{d:?}");
        assert!(d.reasons.iter().any(|r| r.contains("unit u_sup (supplier)")), "{d:?}");
        assert!(d.reasons.iter().any(|r| r.contains("seat held")));
        assert!(d.reasons.last().unwrap().contains("permission group g_all grants submit"));
        let d = ix.check("m_dist", "app", Right::Submit);
        assert!(!d.allowed);
        assert!(d.reasons.last().unwrap().starts_with("missing: a publication"), "{d:?}");
        let d = ix.check("m_sup_noseat", "app", Right::Submit);
        assert!(d.reasons.last().unwrap().contains("missing: a seat"), "{d:?}");
        assert!(!ix.check("m_gone", "app", Right::Submit).allowed);
        assert!(ix.check("m_back", "app", Right::Submit).allowed);
        assert!(!ix.check("m_back", "app", Right::Manage).allowed, "no group grants manage");
        assert_eq!(ix.who_can("app", Right::Submit), vec!["m_back", "m_sup"]);
        assert_eq!(ix.apps_of("m_sup", Right::Submit), vec!["app"]);
        assert!(ix.apps_of("m_dist", Right::Submit).is_empty());
    }

    #[test]
    fn department_audiences_include_subdepartments_and_groups_narrow() {
        let mut f = facts();
        f.apps[0].publications = vec![(s("n"), Audience::Departments(vec![s("d_sup")]))];
        f.apps[0].groups = vec![(
            s("g_unit"),
            vec![Right::Submit],
            vec![Principal::Unit(s("u_sup")), Principal::Department(s("d_sales"))],
        )];
        let ix = Index::build(&f);
        assert!(ix.check("m_sup", "app", Right::Submit).allowed, "d_sup_east is below d_sup");
        assert!(ix.check("m_back", "app", Right::Submit).allowed, "named by department");
        f.apps[0].groups = vec![(s("g_dist"), vec![Right::Submit], vec![Principal::PartnerType(s("distributor"))])];
        let ix = Index::build(&f);
        assert!(!ix.check("m_sup", "app", Right::Submit).allowed);
        assert!(!ix.check("m_back", "app", Right::Submit).allowed);
    }
}
