//! The access index: every "may this member do this on this app?" is answered here, in memory,
//! with the path of grants that allowed it or the first link that was missing.
//!
//! Ids are interned to dense integers when facts are loaded, so a check is a handful of array
//! reads and hash lookups on integers.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

mod members;
use members::{Member, Members};

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
    /// Read every submission: the owner's view, never granted to a partner.
    ViewAll,
    Edit,
    /// Change the app's form and groups: the owner's, never granted to a partner.
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

impl Right {
    /// Reading every submission and managing the app (its form and groups) stay with the owner's
    /// members: a group can never hand them to a partner, admins of a unit included.
    pub fn owner_only(self) -> bool {
        matches!(self, Right::ViewAll | Right::Manage)
    }
}

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
    pub members: Vec<MemberFacts>,
    /// `(department, parent)`.
    pub departments: Vec<(String, Option<String>)>,
    pub units: Vec<UnitFacts>,
    /// `(network, owner organization)`.
    pub networks: Vec<(String, String)>,
    pub apps: Vec<AppFacts>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberFacts {
    pub id: String,
    pub org: String,
    pub active: bool,
    pub admin: bool,
    /// The departments the member is in (not those above them).
    pub departments: Vec<String>,
    /// The organizations whose pools hold an enabled seat for the member.
    pub pools: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitFacts {
    pub id: String,
    pub network: String,
    pub org: String,
    pub partner_type: String,
    /// Blocked units keep their place but reach nothing.
    pub active: bool,
    /// `None`: the unit brings its whole organization into the network. Otherwise only the
    /// members of these departments and of those below them (none left: nobody).
    pub departments: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppFacts {
    pub id: String,
    pub org: String,
    pub groups: Vec<(String, Vec<Right>, Vec<Principal>)>,
    pub publications: Vec<(String, Audience)>,
}

type Ix = u32;
type Map<K, V> = FxHashMap<K, V>;
/// Stands for an id the index has never seen, or no parent: it matches nothing.
const UNKNOWN: Ix = Ix::MAX;

/// An id of at most 31 bytes kept inline with its length, so finding it among a million ids
/// compares words in the table instead of following a pointer to each candidate's text. Every
/// id the platform makes is shorter.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Short([u64; 4]);

impl Short {
    fn new(s: &str) -> Option<Short> {
        let b = s.as_bytes();
        if b.is_empty() || b.len() > 31 {
            return None;
        }
        let mut buf = [0u8; 32];
        buf[..b.len()].copy_from_slice(b);
        buf[31] = b.len() as u8;
        let mut words = [0u64; 4];
        for (w, c) in words.iter_mut().zip(buf.chunks_exact(8)) {
            *w = <[u8; 8]>::try_from(c).map_or(0, u64::from_le_bytes);
        }
        Some(Short(words))
    }
}

impl Short {
    /// The key of a member whose id is not short: its number, marked by a length no short id has.
    fn numbered(i: Ix) -> Short {
        Short([u64::from(i), 0, 0, 0xFF << 56])
    }
}

impl std::hash::Hash for Short {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        for w in self.0 {
            h.write_u64(w);
        }
    }
}

#[derive(Default)]
struct Names {
    short: Map<Short, Ix>,
    long: Map<Box<str>, Ix>,
    names: Vec<Box<str>>,
}

impl Names {
    fn intern(&mut self, s: &str) -> Ix {
        if let Some(i) = self.get(s) {
            return i;
        }
        let i = self.names.len() as Ix;
        match Short::new(s) {
            Some(k) => self.short.insert(k, i),
            None => self.long.insert(s.into(), i),
        };
        self.names.push(s.into());
        i
    }
    fn get(&self, s: &str) -> Option<Ix> {
        match Short::new(s) {
            Some(k) => self.short.get(&k),
            None => self.long.get(s),
        }
        .copied()
    }
    fn name(&self, i: Ix) -> &str {
        self.names.get(i as usize).map_or("?", |n| n)
    }
}

/// Most members are in one department and hold one seat: both lists stay inline.
type Few = SmallVec<[Ix; 2]>;

#[derive(Clone)]
struct Unit {
    id: Ix,
    partner_type: Ix,
    active: bool,
    /// The departments the unit brings (each with those below it, as the tree is now), or
    /// `None` for its whole organization. Empty: nobody.
    tops: Option<Box<[Ix]>>,
}

#[derive(Clone)]
enum P {
    Everyone,
    Member(Ix),
    Department(Ix),
    PartnerType(Ix),
    Unit(Ix),
    Admins,
}

#[derive(Clone)]
enum A {
    AllUnits,
    PartnerTypes(Vec<Ix>),
    Units(Vec<Ix>),
    Departments(Vec<Ix>),
}

#[derive(Clone)]
struct Group {
    name: Ix,
    rights: Vec<Right>,
    principals: Vec<P>,
}

#[derive(Clone)]
struct App {
    org: Ix,
    groups: Vec<Group>,
    /// `(network, audience)`.
    publications: Vec<(Ix, A)>,
}

/// A decision and why, as the API shows it: each reason in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Decision {
    pub allowed: bool,
    /// The grants that allowed it, in order; or, when denied, those that held and then the
    /// missing link, prefixed `missing:`.
    pub reasons: Vec<String>,
}

/// A decision and why, as the index finds it: the reasons name what the index holds and are
/// put in words only when shown, so explaining a decision allocates nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict<'a> {
    pub allowed: bool,
    /// The grants that held, in order; when denied, the last is [`Reason::Missing`].
    pub reasons: SmallVec<[Reason<'a>; 5]>,
}

impl Verdict<'_> {
    /// The reasons in words.
    pub fn decision(&self) -> Decision {
        Decision { allowed: self.allowed, reasons: self.reasons.iter().map(ToString::to_string).collect() }
    }
}

/// One link of a decision's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason<'a> {
    OwnerMember { org: &'a str },
    UnitMember { unit: &'a str, partner_type: &'a str, network: &'a str },
    Published,
    Seat { pool: &'a str },
    Group { group: &'a str, right: Right },
    Missing(Missing<'a>),
}

/// The first link missing on the way to an allow. `Brought`: the app is published to the unit,
/// but the unit brings only some departments into the network and the member is in none of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing<'a> {
    Known,
    Active { member: &'a str },
    Publication { app: &'a str, org: &'a str },
    Brought { unit: &'a str, network: &'a str },
    Owner { owner: &'a str, right: Right },
    Seat { owner: &'a str },
    Group { right: Right, member: &'a str },
}

impl std::fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Reason::OwnerMember { org } => write!(f, "member of {org}, which owns the app"),
            Reason::UnitMember { unit, partner_type, network } => {
                write!(f, "member of unit {unit} ({partner_type}) in network {network}")
            }
            Reason::Published => f.write_str("the app is published to that unit's audience"),
            Reason::Seat { pool } => write!(f, "seat held in {pool}'s pool"),
            Reason::Group { group, right } => write!(f, "permission group {group} grants {}", right.as_str()),
            Reason::Missing(m) => match m {
                Missing::Known => f.write_str("missing: a known member and app"),
                Missing::Active { member } => write!(f, "missing: {member} as an active member"),
                Missing::Publication { app, org } => write!(f, "missing: a publication of {app} to a unit of {org}"),
                Missing::Brought { unit, network } => {
                    write!(f, "missing: membership of a department that unit {unit} brings into network {network}")
                }
                Missing::Owner { owner, right } => {
                    write!(f, "missing: membership of {owner}: {} is the owner's alone", right.as_str())
                }
                Missing::Seat { owner } => write!(f, "missing: a seat in {owner}'s pool"),
                Missing::Group { right, member } => {
                    write!(f, "missing: a permission group granting {} that names {member}", right.as_str())
                }
            },
        }
    }
}

/// Which link was missing, before the names are looked up for the reasons.
enum Gap {
    Known,
    Active,
    Publication,
    /// Published to this unit, which does not bring the member's departments into this network.
    Brought {
        unit: Ix,
        network: Ix,
    },
    Owner,
    Seat,
    Group,
}

/// Where the grants of a decision go: nowhere on the fast path, into the verdict when explaining.
trait Why<'a> {
    fn add(&mut self, reason: impl FnOnce() -> Reason<'a>);
}

impl<'a> Why<'a> for () {
    fn add(&mut self, _: impl FnOnce() -> Reason<'a>) {}
}

impl<'a> Why<'a> for SmallVec<[Reason<'a>; 5]> {
    fn add(&mut self, reason: impl FnOnce() -> Reason<'a>) {
        self.push(reason());
    }
}

/// The in-memory index. Built from [`Facts`] and then kept current by the `put_*` and
/// `remove_*` calls, one per changed object, in journal order.
#[derive(Default)]
pub struct Index {
    names: Names,
    /// Members by id: a decision reads one slot for the member.
    members: Members,
    /// Each organization's members in id order, so `who_can` merges them and stops at a page.
    org_members: Map<Ix, Vec<Ix>>,
    /// Department to parent (`UNKNOWN` for none), by the department's number.
    parents: Vec<Ix>,
    /// By organization number, its units: `(network, unit)`. A decision reads one slot.
    units: Vec<SmallVec<[(Ix, Unit); 1]>>,
    unit_keys: Map<Ix, (Ix, Ix)>,
    /// Network to owner organization.
    networks: Map<Ix, Ix>,
    /// The unit organizations of a network.
    network_units: Map<Ix, Vec<Ix>>,
    apps: Map<Ix, App>,
}

fn add_once(list: &mut Vec<Ix>, x: Ix) {
    if !list.contains(&x) {
        list.push(x);
    }
}

/// Puts `value` at `i`, growing the vector with `fill` as needed.
fn set<T: Clone>(v: &mut Vec<T>, i: Ix, value: T, fill: T) {
    let i = i as usize;
    if v.len() <= i {
        v.resize(i + 1, fill);
    }
    v[i] = value;
}

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

    /// The member table's key for an id the index has interned.
    fn key_of(&self, id: &str) -> Option<Short> {
        Short::new(id).or_else(|| self.names.long.get(id).map(|i| Short::numbered(*i)))
    }

    fn member(&self, id: Ix) -> Option<Member<'_>> {
        self.members.by_number(id)
    }

    fn member_by_id(&self, id: &str) -> Option<Member<'_>> {
        self.members.get(&self.key_of(id)?)
    }

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

    fn decide<'a>(&'a self, m: &Member<'_>, a: &'a App, right: Right, why: &mut impl Why<'a>) -> Result<(), Gap> {
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

    fn unit_in(&self, org: Ix, net: Ix) -> Option<&Unit> {
        self.units.get(org as usize)?.iter().find(|(n, _)| *n == net).map(|(_, u)| u)
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

fn audience(a: &Audience, mut ix: impl FnMut(&str) -> Ix) -> A {
    let mut list = |v: &Vec<String>| v.iter().map(|x| ix(x)).collect();
    match a {
        Audience::AllUnits => A::AllUnits,
        Audience::PartnerTypes(v) => A::PartnerTypes(list(v)),
        Audience::Units(v) => A::Units(list(v)),
        Audience::Departments(v) => A::Departments(list(v)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn s(x: &str) -> String {
        x.to_owned()
    }

    fn member(id: &str, org: &str, deps: &[&str], pools: &[&str]) -> MemberFacts {
        MemberFacts {
            id: s(id),
            org: s(org),
            active: true,
            admin: false,
            departments: deps.iter().map(|d| s(d)).collect(),
            pools: pools.iter().map(|p| s(p)).collect(),
        }
    }

    fn unit(id: &str, org: &str, ty: &str) -> UnitFacts {
        UnitFacts { id: s(id), network: s("n"), org: s(org), partner_type: s(ty), active: true, departments: None }
    }

    /// A backbone with one app published to suppliers; a supplier and a distributor unit.
    fn facts() -> Facts {
        Facts {
            members: vec![
                member("m_back", "o_back", &["d_sales"], &["o_back"]),
                member("m_sup", "o_sup", &["d_sup_east"], &["o_back"]),
                member("m_sup_noseat", "o_sup", &[], &[]),
                member("m_dist", "o_dist", &[], &["o_back"]),
                MemberFacts { active: false, ..member("m_gone", "o_sup", &[], &["o_back"]) },
            ],
            departments: vec![(s("d_sales"), None), (s("d_sup"), None), (s("d_sup_east"), Some(s("d_sup")))],
            units: vec![unit("u_sup", "o_sup", "supplier"), unit("u_dist", "o_dist", "distributor")],
            networks: vec![(s("n"), s("o_back"))],
            apps: vec![AppFacts {
                id: s("app"),
                org: s("o_back"),
                groups: vec![(s("g_all"), vec![Right::Submit, Right::ViewOwn], vec![Principal::Everyone])],
                publications: vec![(s("n"), Audience::PartnerTypes(vec![s("supplier")]))],
            }],
        }
    }

    #[test]
    fn managing_the_app_never_reaches_a_partner_not_even_its_admins() {
        let mut f = facts();
        for m in &mut f.members {
            m.admin = true;
        }
        let manage = vec![Right::Manage, Right::ViewAll];
        f.apps[0].groups.push((s("g_admins"), manage, vec![Principal::Admins, Principal::Everyone]));
        let ix = Index::build(&f);
        assert!(ix.allows("m_back", "app", Right::Manage), "the owner's admin manages");
        let d = ix.check("m_sup", "app", Right::Manage).decision();
        assert!(!d.allowed, "a supplier's admin reached by the app does not: {d:?}");
        assert!(d.reasons.last().unwrap().contains("manage is the owner's alone"), "{d:?}");
        assert_eq!(ix.who_can("app", Right::Manage, None, 10), vec!["m_back"]);
        assert_eq!(ix.count_who_can("app", Right::ViewAll), 1);
    }

    #[test]
    fn ids_too_long_to_keep_inline_work_like_short_ones() {
        let long = "m_".to_owned() + &"x".repeat(40);
        let mut f = facts();
        f.members.push(member(&long, "o_sup", &["d_sup"], &["o_back"]));
        f.members.push(member("", "o_sup", &[], &["o_back"]));
        let mut ix = Index::build(&f);
        assert!(ix.allows(&long, "app", Right::Submit));
        assert!(ix.allows("", "app", Right::Submit), "an empty id is kept by number, not lost");
        ix.put_seat(&long, "o_back", false);
        assert!(!ix.allows(&long, "app", Right::Submit), "seat released");
        ix.remove_member(&long);
        assert!(!ix.check(&long, "app", Right::Submit).allowed);
        assert!(ix.allows("m_sup", "app", Right::Submit), "others untouched");
    }

    #[test]
    fn suppliers_get_supplier_apps_with_reasons() {
        let ix = Index::build(&facts());
        let d = ix.check("m_sup", "app", Right::Submit).decision();
        assert!(d.allowed, "{d:?}");
        assert!(d.reasons.iter().any(|r| r.contains("unit u_sup (supplier)")), "{d:?}");
        assert!(d.reasons.iter().any(|r| r.contains("seat held")));
        assert!(d.reasons.last().unwrap().contains("permission group g_all grants submit"));
        let d = ix.check("m_dist", "app", Right::Submit).decision();
        assert!(!d.allowed);
        assert!(d.reasons.last().unwrap().starts_with("missing: a publication"), "{d:?}");
        let d = ix.check("m_sup_noseat", "app", Right::Submit).decision();
        assert!(d.reasons.last().unwrap().contains("missing: a seat"), "{d:?}");
        assert!(!ix.check("m_gone", "app", Right::Submit).allowed);
        assert!(ix.check("m_back", "app", Right::Submit).allowed);
        assert!(!ix.check("m_back", "app", Right::Manage).allowed, "no group grants manage");
        assert_eq!(ix.who_can("app", Right::Submit, None, 10), vec!["m_back", "m_sup"]);
        assert_eq!(ix.who_can("app", Right::Submit, Some("m_back"), 10), vec!["m_sup"], "pages go on after the cursor");
        assert_eq!(ix.who_can("app", Right::Submit, None, 1), vec!["m_back"]);
        assert_eq!(ix.apps_of("m_sup", Right::Submit), vec!["app"]);
        assert!(ix.apps_of("m_dist", Right::Submit).is_empty());
        assert_eq!(ix.preview("app", "n", &Audience::AllUnits, Right::Submit), 3, "the distributor would join");
        assert_eq!(ix.preview("app", "n", &Audience::Units(vec![s("nope")]), Right::Submit), 1);
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

    #[test]
    fn a_removed_unit_or_a_moved_department_takes_effect_at_once() {
        let mut f = facts();
        f.apps[0].publications = vec![(s("n"), Audience::Departments(vec![s("d_sup")]))];
        let mut ix = Index::build(&f);
        assert!(ix.allows("m_sup", "app", Right::Submit));
        ix.put_department("d_sup_east", None);
        assert!(!ix.allows("m_sup", "app", Right::Submit), "no longer below d_sup");
        ix.put_department("d_sup_east", Some("d_sup"));
        assert!(ix.allows("m_sup", "app", Right::Submit));
        ix.remove_unit("u_sup");
        assert!(!ix.allows("m_sup", "app", Right::Submit));
        assert!(ix.who_can("app", Right::Submit, None, 10).iter().all(|m| m != "m_sup"));
    }

    /// `facts()` with the supplier unit bringing `departments`, and more supplier members: `m_in`
    /// in d_sup, `m_deep` two levels below it, `m_out` in d_sup_north (outside d_sup), `m_none`
    /// in no department; `m_sup` is in d_sup_east, below d_sup.
    fn bringing(departments: Option<Vec<String>>) -> Facts {
        let mut f = facts();
        f.units[0].departments = departments;
        f.departments.push((s("d_sup_north"), None));
        f.departments.push((s("d_sup_sub"), Some(s("d_sup_east"))));
        f.members.push(member("m_in", "o_sup", &["d_sup"], &["o_back"]));
        f.members.push(member("m_deep", "o_sup", &["d_sup_sub"], &["o_back"]));
        f.members.push(member("m_out", "o_sup", &["d_sup_north"], &["o_back"]));
        f.members.push(member("m_none", "o_sup", &[], &["o_back"]));
        f
    }

    #[test]
    fn a_unit_bringing_departments_reaches_only_their_members() {
        let f = bringing(Some(vec![s("d_sup")]));
        let ix = Index::build(&f);
        for m in ["m_in", "m_sup", "m_deep"] {
            assert!(ix.allows(m, "app", Right::Submit), "{m} is in d_sup or below it");
            assert!(ix.check(m, "app", Right::Submit).allowed, "{m}");
            assert_eq!(ix.apps_of(m, Right::Submit), vec!["app"], "{m}");
        }
        for m in ["m_out", "m_none"] {
            assert!(!ix.allows(m, "app", Right::Submit), "{m} is of o_sup but outside d_sup");
            let d = ix.check(m, "app", Right::Submit).decision();
            assert!(!d.allowed);
            assert_eq!(
                d.reasons,
                vec!["missing: membership of a department that unit u_sup brings into network n"],
                "{m}"
            );
            assert!(ix.apps_of(m, Right::Submit).is_empty(), "{m}");
        }
        assert_eq!(ix.who_can("app", Right::Submit, None, 10), vec!["m_back", "m_deep", "m_in", "m_sup"]);
        assert_eq!(ix.who_can("app", Right::Submit, Some("m_deep"), 2), vec!["m_in", "m_sup"]);
        assert_eq!(ix.count_who_can("app", Right::Submit), 4);
        assert_eq!(ix.preview("app", "n", &Audience::AllUnits, Right::Submit), 5, "the whole distributor joins");
        assert_eq!(ix.preview("app", "n", &Audience::Units(vec![s("u_sup")]), Right::Submit), 4);
        let departments = Audience::Departments(vec![s("d_sup_north"), s("d_sup_east")]);
        assert_eq!(ix.preview("app", "n", &departments, Right::Submit), 3, "m_back, m_sup, m_deep: not m_out");

        // Groups naming the unit or its partner type name only the members it brings.
        let mut f = f;
        f.apps[0].groups = vec![
            (s("g_unit"), vec![Right::Submit], vec![Principal::Unit(s("u_sup"))]),
            (s("g_type"), vec![Right::ViewOwn], vec![Principal::PartnerType(s("supplier"))]),
        ];
        f.apps[0].publications = vec![(s("n"), Audience::AllUnits)];
        let ix = Index::build(&f);
        for right in [Right::Submit, Right::ViewOwn] {
            assert!(ix.allows("m_in", "app", right));
            assert!(!ix.allows("m_out", "app", right));
            assert_eq!(ix.who_can("app", right, None, 10), vec!["m_deep", "m_in", "m_sup"]);
        }

        // A unit of the same organization in another network that brings it whole still reaches m_out.
        f.networks.push((s("n2"), s("o_back")));
        f.units.push(UnitFacts { network: s("n2"), ..unit("v_sup", "o_sup", "supplier") });
        f.apps[0].groups = vec![(s("g"), vec![Right::Submit], vec![Principal::Unit(s("v_sup"))])];
        f.apps[0].publications.push((s("n2"), Audience::AllUnits));
        let ix = Index::build(&f);
        let d = ix.check("m_out", "app", Right::Submit).decision();
        assert!(d.allowed, "{d:?}");
        assert!(d.reasons[0].contains("unit v_sup (supplier) in network n2"), "{d:?}");
        assert!(ix.allows("m_in", "app", Right::Submit), "by v_sup too, though u_sup brings m_in as well");
        f.units.last_mut().unwrap().departments = Some(vec![s("d_sup_sub")]);
        let ix = Index::build(&f);
        assert!(!ix.allows("m_out", "app", Right::Submit));
        assert!(ix.allows("m_deep", "app", Right::Submit));
        assert_eq!(ix.who_can("app", Right::Submit, None, 10), vec!["m_deep"]);
    }

    #[test]
    fn moving_departments_or_members_changes_who_a_unit_brings_at_once() {
        let mut ix = Index::build(&bringing(Some(vec![s("d_sup")])));
        assert!(!ix.allows("m_out", "app", Right::Submit));
        ix.put_department("d_sup_north", Some("d_sup"));
        assert!(ix.allows("m_out", "app", Right::Submit), "d_sup_north moved under d_sup");
        assert!(ix.who_can("app", Right::Submit, None, 10).contains(&s("m_out")));
        ix.put_department("d_sup_north", None);
        assert!(!ix.allows("m_out", "app", Right::Submit), "and out again");
        assert!(!ix.who_can("app", Right::Submit, None, 10).contains(&s("m_out")));

        // The member moves in; another moves out.
        ix.put_member(&member("m_out", "o_sup", &["d_sup_east"], &["o_back"]));
        assert!(ix.allows("m_out", "app", Right::Submit), "m_out moved into d_sup_east");
        ix.put_member(&member("m_in", "o_sup", &["d_sup_north"], &["o_back"]));
        assert!(!ix.allows("m_in", "app", Right::Submit), "m_in moved out of d_sup");

        // A department made below d_sup after the unit was put counts too; one moved out, or
        // removed, does not.
        ix.put_department("d_later", Some("d_sup_sub"));
        ix.put_member(&member("m_none", "o_sup", &["d_later"], &["o_back"]));
        assert!(ix.allows("m_none", "app", Right::Submit), "d_later is below d_sup");
        ix.put_department("d_sup_east", Some("d_sup_north"));
        for m in ["m_sup", "m_out", "m_deep", "m_none"] {
            assert!(!ix.allows(m, "app", Right::Submit), "{m}: d_sup_east moved out from under d_sup");
        }
        ix.put_department("d_sup_east", Some("d_sup"));
        assert!(ix.allows("m_none", "app", Right::Submit));
        ix.remove_department("d_sup_east");
        assert!(!ix.allows("m_sup", "app", Right::Submit), "d_sup_east removed");
        assert_eq!(ix.who_can("app", Right::Submit, None, 10), vec!["m_back"]);

        // Putting the unit again changes what it brings.
        ix.put_unit(&UnitFacts { departments: Some(vec![s("d_sup_north")]), ..unit("u_sup", "o_sup", "supplier") });
        assert_eq!(ix.who_can("app", Right::Submit, None, 10), vec!["m_back", "m_in"]);
        ix.put_unit(&unit("u_sup", "o_sup", "supplier"));
        assert_eq!(ix.count_who_can("app", Right::Submit), 6, "the whole organization, those with seats");
    }

    #[test]
    fn a_unit_bringing_no_department_reaches_nobody() {
        for departments in [vec![], vec![s("d_nobody_knows")]] {
            let ix = Index::build(&bringing(Some(departments.clone())));
            for m in ["m_in", "m_sup", "m_deep", "m_out", "m_none"] {
                assert!(!ix.allows(m, "app", Right::Submit), "{departments:?} {m}");
            }
            assert_eq!(ix.who_can("app", Right::Submit, None, 10), vec!["m_back"], "{departments:?}");
            assert_eq!(ix.count_who_can("app", Right::Submit), 1, "{departments:?}");
            assert_eq!(ix.preview("app", "n", &Audience::AllUnits, Right::Submit), 2, "{departments:?}: m_dist");
        }
    }

    #[test]
    fn a_unit_bringing_its_whole_organization_reaches_all_its_members() {
        let ix = Index::build(&bringing(None));
        for m in ["m_in", "m_sup", "m_deep", "m_out", "m_none"] {
            assert!(ix.allows(m, "app", Right::Submit), "{m}");
        }
        let all = ["m_back", "m_deep", "m_in", "m_none", "m_out", "m_sup"];
        assert_eq!(ix.who_can("app", Right::Submit, None, 10), all);
        let d = ix.check("m_dist", "app", Right::Submit).decision();
        assert!(d.reasons.last().unwrap().starts_with("missing: a publication"), "{d:?}");
    }

    /// What the access model says, read straight off the facts: the reference the index is held to.
    fn reference(f: &Facts, member: &str, app: &str, right: Right) -> bool {
        let (Some(m), Some(a)) = (f.members.iter().find(|x| x.id == member), f.apps.iter().find(|x| x.id == app))
        else {
            return false;
        };
        let parent = |d: &str| f.departments.iter().find(|(x, _)| x == d).and_then(|(_, p)| p.as_deref());
        // In `top` or below it; a cycle of parents ends the walk.
        let under = |top: &str| {
            m.departments.iter().any(|d| {
                let mut seen = Vec::new();
                let mut cur = Some(d.as_str());
                while let Some(c) = cur.filter(|c| !seen.contains(c)) {
                    if c == top {
                        return true;
                    }
                    seen.push(c);
                    cur = parent(c);
                }
                false
            })
        };
        let names = |p: &Principal, unit: Option<&UnitFacts>| match p {
            Principal::Everyone => true,
            Principal::Member(x) => x == member,
            Principal::Department(d) => under(d),
            Principal::PartnerType(t) => unit.is_some_and(|u| u.partner_type == *t),
            Principal::Unit(x) => unit.is_some_and(|u| u.id == *x),
            Principal::Admins => m.admin,
        };
        let granted = |unit: Option<&UnitFacts>| {
            a.groups.iter().any(|(_, rights, ps)| rights.contains(&right) && ps.iter().any(|p| names(p, unit)))
        };
        let owner = |net: &str| f.networks.iter().find(|(n, _)| n == net).map(|(_, o)| o);
        let published = |u: &UnitFacts| {
            a.publications.iter().any(|(net, audience)| {
                *net == u.network
                    && match audience {
                        Audience::AllUnits => true,
                        Audience::PartnerTypes(t) => t.contains(&u.partner_type),
                        Audience::Units(us) => us.contains(&u.id),
                        Audience::Departments(ds) => ds.iter().any(|d| under(d)),
                    }
            })
        };
        let brings = |u: &UnitFacts| u.departments.as_ref().is_none_or(|ds| ds.iter().any(|d| under(d)));
        let reaches = |u: &&UnitFacts| {
            u.org == m.org && u.active && owner(&u.network) == Some(&a.org) && published(u) && brings(u)
        };
        let reached = if m.org == a.org {
            granted(None)
        } else {
            !right.owner_only() && f.units.iter().filter(reaches).any(|u| granted(Some(u)))
        };
        m.active && m.pools.contains(&a.org) && reached
    }

    /// A change to the facts, applied both to the facts (then rebuilt) and to a live index.
    #[derive(Clone, Debug)]
    enum Step {
        Seat(usize, bool),
        /// The same, told as a seat movement rather than a whole member.
        SeatMove(usize, bool),
        Active(usize, bool),
        Department(usize, usize),
        Parent(usize, Option<usize>),
        UnitActive(usize, bool),
        UnitType(usize, usize),
        /// The departments the unit of `o{u}` in `n` brings (`None`: its whole organization).
        Brings(usize, Option<Vec<usize>>),
        RemoveUnit(usize),
        /// The unit of organization `o{u}` in network `n` is replaced by a new unit with a new
        /// id, the new one put before the old one is removed.
        Readd(usize, usize),
        /// App, network (`n` or `n2`), audience.
        Audience(usize, usize, Audience),
        Unpublish(usize),
        Group(usize, Vec<Right>, Principal),
        RemoveApp(usize),
        /// The member joins organization `o` (0 is the backbone), coming back if they had left.
        Org(usize, usize),
        Leave(usize),
    }

    const TYPES: [&str; 2] = ["supplier", "distributor"];
    const DEPS: usize = 6;

    fn principal() -> impl Strategy<Value = Principal> {
        prop_oneof![
            Just(Principal::Everyone),
            (0..12usize).prop_map(|m| Principal::Member(format!("m{m}"))),
            (0..DEPS).prop_map(|d| Principal::Department(format!("d{d}"))),
            (0..2usize).prop_map(|t| Principal::PartnerType(TYPES[t].to_owned())),
            (0..3usize).prop_map(|u| Principal::Unit(format!("u{u}"))),
            Just(Principal::Admins),
        ]
    }

    fn audience_() -> impl Strategy<Value = Audience> {
        prop_oneof![
            Just(Audience::AllUnits),
            (0..2usize).prop_map(|t| Audience::PartnerTypes(vec![TYPES[t].to_owned()])),
            (0..3usize).prop_map(|u| Audience::Units(vec![format!("u{u}")])),
            (0..DEPS).prop_map(|d| Audience::Departments(vec![format!("d{d}")])),
        ]
    }

    fn step() -> impl Strategy<Value = Step> {
        let rights = prop::sample::subsequence(Right::ALL.to_vec(), 1..3);
        prop_oneof![
            (0..12usize, any::<bool>()).prop_map(|(m, on)| Step::Seat(m, on)),
            (0..12usize, any::<bool>()).prop_map(|(m, on)| Step::SeatMove(m, on)),
            (0..12usize, any::<bool>()).prop_map(|(m, on)| Step::Active(m, on)),
            (0..12usize, 0..DEPS).prop_map(|(m, d)| Step::Department(m, d)),
            (0..DEPS, prop::option::of(0..DEPS)).prop_map(|(d, p)| Step::Parent(d, p)),
            (0..3usize, any::<bool>()).prop_map(|(u, on)| Step::UnitActive(u, on)),
            (0..3usize, 0..2usize).prop_map(|(u, t)| Step::UnitType(u, t)),
            (0..3usize, prop::option::of(prop::collection::vec(0..DEPS, 0..3))).prop_map(|(u, d)| Step::Brings(u, d)),
            (0..3usize).prop_map(Step::RemoveUnit),
            (0..3usize, 0..1000usize).prop_map(|(u, k)| Step::Readd(u, k)),
            (0..2usize, 0..2usize, audience_()).prop_map(|(a, n, au)| Step::Audience(a, n, au)),
            (0..2usize).prop_map(Step::Unpublish),
            (0..2usize, rights, principal()).prop_map(|(a, r, p)| Step::Group(a, r, p)),
            (0..2usize).prop_map(Step::RemoveApp),
            (0..12usize, 0..4usize).prop_map(|(m, o)| Step::Org(m, o)),
            (0..12usize).prop_map(Step::Leave),
        ]
    }

    /// Twelve members: four in the backbone, the rest in three unit organizations; two in three
    /// hold a seat; member `m` is in department `d{m % 6}`, and d2 is below d0, d4 below d2 and
    /// d3 below d1. u1 brings d1 into n, v0 brings d0 into n2; a0 is published to all of n2.
    fn start() -> Facts {
        let org = |m: usize| if m < 4 { s("o_back") } else { format!("o{}", (m - 4) / 3) };
        Facts {
            members: (0..12)
                .map(|m| {
                    let pools: &[&str] = if m % 3 == 2 { &[] } else { &["o_back"] };
                    let dep = format!("d{}", m % DEPS);
                    MemberFacts { admin: m % 5 == 0, ..member(&format!("m{m}"), &org(m), &[&dep], pools) }
                })
                .collect(),
            departments: (0..DEPS)
                .map(|d| (format!("d{d}"), [None, None, Some(0), Some(1), Some(2), None][d].map(|p| format!("d{p}"))))
                .collect(),
            // o0 is a supplier in n and a distributor in n2.
            units: (0..3)
                .map(|u| UnitFacts {
                    departments: (u == 1).then(|| vec![s("d1")]),
                    ..unit(&format!("u{u}"), &format!("o{u}"), TYPES[u % 2])
                })
                .chain([UnitFacts {
                    network: s("n2"),
                    departments: Some(vec![s("d0")]),
                    ..unit("v0", "o0", "distributor")
                }])
                .collect(),
            networks: vec![(s("n"), s("o_back")), (s("n2"), s("o_back"))],
            apps: (0..2)
                .map(|a| AppFacts {
                    id: format!("a{a}"),
                    org: s("o_back"),
                    groups: vec![(s("g"), vec![Right::Submit], vec![Principal::Everyone])],
                    publications: if a == 0 { vec![(s("n2"), Audience::AllUnits)] } else { vec![] },
                })
                .collect(),
        }
    }

    /// Changes member `m`, if they have not left, in the facts and in the live index.
    fn change(f: &mut Facts, ix: &mut Index, m: usize, edit: impl FnOnce(&mut MemberFacts)) {
        if let Some(x) = f.members.iter_mut().find(|x| x.id == format!("m{m}")) {
            edit(x);
            ix.put_member(x);
        }
    }

    /// The unit of organization `o{u}` in network `n`, whatever its id.
    fn unit_in_n(f: &mut Facts, u: usize) -> Option<&mut UnitFacts> {
        f.units.iter_mut().find(|x| x.org == format!("o{u}") && x.network == "n")
    }

    /// Applies `step` to the facts and tells the live index.
    fn apply(f: &mut Facts, ix: &mut Index, step: &Step) {
        match step {
            Step::Seat(m, on) => change(f, ix, *m, |x| x.pools = if *on { vec![s("o_back")] } else { vec![] }),
            Step::SeatMove(m, on) => {
                if let Some(x) = f.members.iter_mut().find(|x| x.id == format!("m{m}")) {
                    x.pools = if *on { vec![s("o_back")] } else { vec![] };
                }
                ix.put_seat(&format!("m{m}"), "o_back", *on);
            }
            Step::Active(m, on) => change(f, ix, *m, |x| x.active = *on),
            Step::Department(m, d) => change(f, ix, *m, |x| x.departments = vec![format!("d{d}")]),
            Step::Org(m, o) => {
                let org = if *o == 0 { s("o_back") } else { format!("o{}", o - 1) };
                if !f.members.iter().any(|x| x.id == format!("m{m}")) {
                    f.members.push(member(&format!("m{m}"), &org, &[], &[]));
                }
                change(f, ix, *m, |x| x.org = org);
            }
            Step::Leave(m) => {
                f.members.retain(|x| x.id != format!("m{m}"));
                ix.remove_member(&format!("m{m}"));
            }
            Step::Parent(d, p) => {
                let p = p.filter(|p| p != d).map(|p| format!("d{p}"));
                f.departments[*d].1.clone_from(&p);
                ix.put_department(&f.departments[*d].0, p.as_deref());
            }
            Step::UnitActive(u, on) => {
                if let Some(x) = unit_in_n(f, *u) {
                    x.active = *on;
                    ix.put_unit(x);
                }
            }
            Step::UnitType(u, t) => {
                if let Some(x) = unit_in_n(f, *u) {
                    x.partner_type = TYPES[*t].to_owned();
                    ix.put_unit(x);
                }
            }
            Step::Brings(u, ds) => {
                if let Some(x) = unit_in_n(f, *u) {
                    x.departments = ds.as_ref().map(|ds| ds.iter().map(|d| format!("d{d}")).collect());
                    ix.put_unit(x);
                }
            }
            Step::RemoveUnit(u) => {
                if let Some(id) = unit_in_n(f, *u).map(|x| x.id.clone()) {
                    f.units.retain(|x| x.id != id);
                    ix.remove_unit(&id);
                }
            }
            Step::Readd(u, k) => {
                let new_id = format!("r{k}");
                if let Some(old) = unit_in_n(f, *u).cloned()
                    && !f.units.iter().any(|x| x.id == new_id)
                {
                    let new = UnitFacts { id: new_id, ..old.clone() };
                    f.units.retain(|x| x.id != old.id);
                    f.units.push(new.clone());
                    ix.put_unit(&new);
                    ix.remove_unit(&old.id);
                }
            }
            Step::Audience(a, n, au) => {
                let net = if *n == 0 { s("n") } else { s("n2") };
                if let Some(x) = f.apps.iter_mut().find(|x| x.id == format!("a{a}")) {
                    x.publications.retain(|(p, _)| *p != net);
                    x.publications.push((net, au.clone()));
                    ix.put_app(x);
                }
            }
            Step::Unpublish(a) => {
                if let Some(x) = f.apps.iter_mut().find(|x| x.id == format!("a{a}")) {
                    x.publications.clear();
                    ix.put_app(x);
                }
            }
            Step::Group(a, rights, p) => {
                if let Some(x) = f.apps.iter_mut().find(|x| x.id == format!("a{a}")) {
                    x.groups = vec![(s("g"), rights.clone(), vec![p.clone()])];
                    ix.put_app(x);
                }
            }
            Step::RemoveApp(a) => {
                f.apps.retain(|x| x.id != format!("a{a}"));
                ix.remove_app(&format!("a{a}"));
            }
        }
    }

    proptest! {
        /// An index kept current change by change answers every question exactly as one
        /// rebuilt from the facts and as the reference model, and `check`, `allows`, `who_can`
        /// and `apps_of` agree.
        #[test]
        fn advancing_equals_rebuilding(steps in prop::collection::vec(step(), 1..40)) {
            let mut f = start();
            let mut live = Index::build(&f);
            for st in &steps {
                apply(&mut f, &mut live, st);
                let fresh = Index::build(&f);
                for a in 0..2 {
                    let app = format!("a{a}");
                    for right in Right::ALL {
                        let mut allowed = Vec::new();
                        for m in 0..12 {
                            let member = format!("m{m}");
                            let d = live.check(&member, &app, *right);
                            prop_assert_eq!(&d, &fresh.check(&member, &app, *right), "{:?} {} {}", st, member, app);
                            let allowed_here = d.allowed;
                            drop(d);
                            prop_assert_eq!(allowed_here, live.allows(&member, &app, *right));
                            prop_assert_eq!(allowed_here, reference(&f, &member, &app, *right), "{:?} {} {}", st, member, app);
                            prop_assert_eq!(
                                allowed_here && *right == Right::Submit,
                                live.apps_of(&member, Right::Submit).contains(&app) && *right == Right::Submit
                            );
                            if allowed_here {
                                allowed.push(member);
                            }
                        }
                        allowed.sort();
                        prop_assert_eq!(&live.who_can(&app, *right, None, 100), &allowed);
                        prop_assert_eq!(live.count_who_can(&app, *right), allowed.len());
                        // Pages of two, each after the last id of the one before, add up to the whole.
                        let mut paged: Vec<String> = Vec::new();
                        for _ in 0..=allowed.len() {
                            let page = live.who_can(&app, *right, paged.last().map(String::as_str), 2);
                            prop_assert!(page.len() <= 2);
                            paged.extend(page);
                        }
                        prop_assert_eq!(paged, allowed);
                    }
                }
            }
        }
    }
}
