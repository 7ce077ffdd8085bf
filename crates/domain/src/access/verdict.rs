//! A decision's outcome and its reasons: the links that held, the one missing, and their words.

use serde::Serialize;
use smallvec::SmallVec;

use super::{Ix, Right};

/// A decision and why, as the API shows it: each reason in words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Decision {
    pub allowed: bool,
    /// The grants that allowed it, in order; or, when denied, those that held and then the
    /// missing link, prefixed `missing:`.
    pub reasons: Vec<String>,
    /// The same reasons as data, for a client that puts them in its own words and names.
    pub steps: Vec<Step>,
}

/// One reason as data: `code` names the link (`owner_member`, `unit_member`, `published`,
/// `seat`, `group`, or one of the `missing_` links), the other fields the ids and keys it involves.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Step {
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub right: Option<String>,
}

impl Step {
    /// Every code a step may carry, so a client (and a test) can cover them all.
    pub const CODES: [&'static str; 12] = [
        "owner_member",
        "unit_member",
        "published",
        "seat",
        "group",
        "missing_known",
        "missing_active",
        "missing_publication",
        "missing_brought",
        "missing_owner",
        "missing_seat",
        "missing_group",
    ];
}

impl Reason<'_> {
    pub fn step(&self) -> Step {
        let s = |v: &str| Some(v.to_owned());
        let right = |r: Right| Some(r.as_str().to_owned());
        match *self {
            Reason::OwnerMember { org } => Step { code: "owner_member", organization_id: s(org), ..Step::default() },
            Reason::UnitMember { unit, partner_type, network } => Step {
                code: "unit_member",
                unit_id: s(unit),
                partner_type: s(partner_type),
                network_id: s(network),
                ..Step::default()
            },
            Reason::Published => Step { code: "published", ..Step::default() },
            Reason::Seat { pool } => Step { code: "seat", organization_id: s(pool), ..Step::default() },
            Reason::Group { group, right: r } => {
                Step { code: "group", group: s(group), right: right(r), ..Step::default() }
            }
            Reason::Missing(m) => match m {
                Missing::Known => Step { code: "missing_known", ..Step::default() },
                Missing::Active { member } => Step { code: "missing_active", member_id: s(member), ..Step::default() },
                Missing::Publication { app, org } => {
                    Step { code: "missing_publication", app_id: s(app), organization_id: s(org), ..Step::default() }
                }
                Missing::Brought { unit, network } => {
                    Step { code: "missing_brought", unit_id: s(unit), network_id: s(network), ..Step::default() }
                }
                Missing::Owner { owner, right: r } => {
                    Step { code: "missing_owner", organization_id: s(owner), right: right(r), ..Step::default() }
                }
                Missing::Seat { owner } => Step { code: "missing_seat", organization_id: s(owner), ..Step::default() },
                Missing::Group { right: r, member } => {
                    Step { code: "missing_group", member_id: s(member), right: right(r), ..Step::default() }
                }
            },
        }
    }
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
        Decision {
            allowed: self.allowed,
            reasons: self.reasons.iter().map(ToString::to_string).collect(),
            steps: self.reasons.iter().map(Reason::step).collect(),
        }
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
pub(super) enum Gap {
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
pub(super) trait Why<'a> {
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
