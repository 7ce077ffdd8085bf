//! The access index: every "may this member do this on this app?" is answered here, in memory,
//! with the path of grants that allowed it or the first link that was missing.
//!
//! Ids are interned to dense integers when facts are loaded, so a check is a handful of array
//! reads and hash lookups on integers.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

mod changes;
mod decide;
mod loader;
mod members;
mod names;
mod reach;
mod verdict;

pub use loader::Loader;
pub use verdict::{Decision, Missing, Reason, Step, Verdict};

use members::{Member, Members};
use names::{Names, Short};

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

/// One thing taken away from an app, to count who would lose access before it is done.
#[derive(Clone, Copy, Debug)]
pub enum Without<'a> {
    /// The app's publication to this network.
    Publication(&'a str),
    /// The permission group of this name.
    Group(&'a str),
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

/// Lookups every part of the index uses.
impl Index {
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

    fn unit_in(&self, org: Ix, net: Ix) -> Option<&Unit> {
        self.units.get(org as usize)?.iter().find(|(n, _)| *n == net).map(|(_, u)| u)
    }
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
mod tests;
