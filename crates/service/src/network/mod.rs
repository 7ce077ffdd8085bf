//! The partner network: networks, partner types and tiers, units, invitations, contacts and
//! their handover, and the network address book.
//!
//! Who may do what is decided once per request by [`Service::look`]: the caller acts either
//! for the backbone (a network member, or a partner admin when `admin`) or for one active unit.

use std::collections::{HashMap, HashSet};

use keiretsu_domain::directory::{Certification, MemberStatus, RowError, name, optional_text, subtree};
use keiretsu_domain::identity::{Caller, NOT_ALLOWED, NOT_SIGNED_IN, Need, Scope};
use keiretsu_domain::ids::{ContactId, DepartmentId, InvitationId, MemberId, NetworkId, OrgId, UnitId};
use keiretsu_domain::journal::{Change, Entry};
use keiretsu_domain::network::{
    self as rules, BUILTIN_TYPES, Brings, Candidate, DEFAULT_TIERS, InvitationState, InvitationStatus, Side, Tier,
    TreeDepartment, UnitStatus, Viewer, Visibility,
};
use keiretsu_domain::people;
use keiretsu_domain::time::{Millis, format_rfc3339};
use keiretsu_domain::{DomainError, Reason, Rule};
use keiretsu_store::directory as dir;
use keiretsu_store::network::{
    self as store, ContactRow, InvitationRow, NetworkRow, NewContactRow, NewUnitRow, PartnerTypeRow, PeopleFilter,
    PersonRow, UnitRow,
};
use keiretsu_store::{AnyConnection, Backend, Json, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::directory::DepartmentView;
use crate::notifications::notify;
use crate::page::{Page, decode_cursor, encode_cursor, page_limit};
use crate::reactions::{
    BoxFuture, CertificationChanged, Departure, Move, MoveReaction, Reaction, Registry, Settle, TreeChanged,
    UnitNarrowed,
};
use crate::{Result, random_id_bytes, random_token, secret_hash, unique_to_field};

const NOT_FOUND_NETWORK: DomainError = DomainError::NotFound { what: "network" };
const NOT_FOUND_UNIT: DomainError = DomainError::NotFound { what: "unit" };
const NOT_FOUND_INVITATION: DomainError = DomainError::NotFound { what: "invitation" };
const NOT_FOUND_CONTACT: DomainError = DomainError::NotFound { what: "contact" };
const NOT_FOUND_PERSON: DomainError = DomainError::NotFound { what: "person" };
const UNIT_BLOCKED: DomainError = DomainError::Forbidden(Reason::UnitBlocked);

mod address_book;
mod contacts;
mod invitations;
mod networks;
mod units;
mod views;

pub use views::*;

crate::use_cases!();

/// The caller as seen by one network.
struct Seen {
    network: NetworkRow,
    viewer: Viewer,
}

impl Seen {
    fn visibility(&self) -> Visibility {
        self.network.visibility
    }

    fn backbone_admin(&self) -> Result<()> {
        match self.viewer {
            Viewer::Backbone { admin: true } => Ok(()),
            _ => Err(NOT_ALLOWED.into()),
        }
    }

    /// The backbone's partner admins, or the unit's own.
    fn unit_admin(&self, unit: &str) -> Result<()> {
        match &self.viewer {
            Viewer::Backbone { admin: true } => Ok(()),
            Viewer::Unit { unit: u, admin: true, .. } if u == unit => Ok(()),
            _ => Err(NOT_ALLOWED.into()),
        }
    }

    /// A live unit of this network the viewer sees; not found otherwise.
    async fn unit(&self, c: &mut AnyConnection, unit: &UnitId) -> Result<UnitRow> {
        match store::unit(c, &self.network.id, unit.as_str()).await? {
            Some(u) if u.status != UnitStatus::Removed && self.sees_unit(&u) => Ok(u),
            _ => Err(NOT_FOUND_UNIT.into()),
        }
    }

    /// [`Seen::unit`], locked until the transaction ends: for a change decided on the unit's
    /// departments or contacts, which every such change locks first.
    async fn lock_unit(&self, tx: &mut Tx, unit: &UnitId) -> Result<UnitRow> {
        match store::lock_unit(tx, &self.network.id, unit.as_str()).await? {
            Some(u) if u.status != UnitStatus::Removed && self.sees_unit(&u) => Ok(u),
            _ => Err(NOT_FOUND_UNIT.into()),
        }
    }

    fn sees_unit(&self, u: &UnitRow) -> bool {
        let backbone = self.viewer.is_backbone();
        (backbone || u.status == UnitStatus::Active)
            && self.viewer.unit_scope(self.visibility()).sees(&u.id, &u.partner_type)
    }
}

fn tiers_of(t: &PartnerTypeRow) -> &[Tier] {
    &t.tiers
}

/// Checks that `key` is a partner type of the network and `tier` one of its tiers.
async fn check_type_tier(c: &mut AnyConnection, network: &str, key: &str, tier: &str) -> Result<()> {
    let t = store::partner_type(c, network, key)
        .await?
        .ok_or_else(|| DomainError::invalid("partner_type", Rule::Reason(Reason::UnknownPartnerType)))?;
    if !tiers_of(&t).iter().any(|x| x.name == tier) {
        return Err(DomainError::invalid("tier", Rule::Reason(Reason::UnknownTier)).into());
    }
    Ok(())
}

/// Whom units bring into their networks, taken before a change that may leave some out (a new
/// choice of departments, a department moved, a member moved), to settle it after.
pub(crate) struct Brought {
    units: Vec<(UnitRow, Vec<String>)>,
    /// Only these members can be affected (one moved member), rather than anyone.
    only: Option<Vec<String>>,
}

impl Brought {
    pub(crate) async fn of(c: &mut AnyConnection, units: Vec<UnitRow>, only: Option<Vec<String>>) -> Result<Brought> {
        let mut b = Brought { units: Vec::new(), only };
        for u in units {
            let people = b.people(c, &u.id).await?;
            b.units.push((u, people));
        }
        Ok(b)
    }

    /// The live units of `org` that bring only some departments: the only ones a change to its
    /// tree or its members' departments can narrow.
    pub(crate) async fn in_org(c: &mut AnyConnection, org: &str, only: Option<Vec<String>>) -> Result<Brought> {
        let units =
            store::live_units_of_org(c, org).await?.into_iter().filter(|u| u.brings == Brings::Departments).collect();
        Brought::of(c, units, only).await
    }

    async fn people(&self, c: &mut AnyConnection, unit: &str) -> Result<Vec<String>> {
        Ok(match &self.only {
            Some(members) => store::brought_of(c, unit, members).await?,
            None => store::brought_members(c, unit).await?,
        })
    }

    /// After the change: a partner contact or backup left out refuses it (naming `field`), as a
    /// unit never loses a contact silently; anyone else left out gives back their partner seat,
    /// and entry rules on departments no longer brought go.
    pub(crate) async fn settle(
        self,
        tx: &mut Tx,
        field: &str,
        actor: &str,
        now: Millis,
        narrowed: &Registry<UnitNarrowed>,
    ) -> Result<Vec<Change>> {
        let mut changes = Vec::new();
        for (u, before) in &self.units {
            // As the unit now stands: its choice may have just changed.
            let u = store::unit_by_id(tx, &u.id).await?.unwrap_or_else(|| u.clone());
            let after: HashSet<String> = self.people(tx, &u.id).await?.into_iter().collect();
            let left_out: Vec<String> = before.iter().filter(|m| !after.contains(*m)).cloned().collect();
            let out: HashSet<&String> = left_out.iter().collect();
            let contacts = store::contacts_of_unit(tx, &u.id).await?;
            let holds =
                |k: &ContactRow| out.contains(&k.member_id) || k.backup_id.as_ref().is_some_and(|b| out.contains(b));
            if contacts.iter().any(|k| k.side == Side::Partner && holds(k)) {
                return Err(DomainError::conflict(field, Rule::Reason(Reason::ContactLeftOut)).into());
            }
            let pool_org = store::network(tx, &u.network_id).await?.ok_or(NOT_FOUND_NETWORK)?.org_id;
            let event = UnitNarrowed { pool_org, unit: u, removed: false, left_out, actor: actor.to_owned(), at: now };
            changes.extend(narrowed.run(tx, &event).await?);
        }
        Ok(changes)
    }
}

/// A member or a department moving may take people out of what units bring into their
/// networks: whom they bring is taken before the move and settled after it.
pub(crate) struct BroughtIn {
    /// Fired for each unit that then brings fewer people.
    pub(crate) narrowed: std::sync::Arc<Registry<UnitNarrowed>>,
}

struct BroughtBefore {
    brought: Brought,
    narrowed: std::sync::Arc<Registry<UnitNarrowed>>,
}

impl MoveReaction for BroughtIn {
    fn before<'a>(&'a self, tx: &'a mut Tx, e: &'a Move) -> BoxFuture<'a, Result<Box<dyn Settle>>> {
        Box::pin(async move {
            let brought = Brought::in_org(tx, &e.org, e.member.clone().map(|m| vec![m])).await?;
            Ok(Box::new(BroughtBefore { brought, narrowed: self.narrowed.clone() }) as Box<dyn Settle>)
        })
    }
}

impl Settle for BroughtBefore {
    fn settle<'a>(self: Box<Self>, tx: &'a mut Tx, e: &'a Move) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            if e.member.is_none() {
                // A department moved: the departments units bring follow the tree.
                store::refresh_unit_departments(tx, &e.org).await?;
            }
            self.brought.settle(tx, e.field, &e.actor, e.at, &self.narrowed).await
        })
    }
}

fn already_a_unit() -> DomainError {
    DomainError::conflict("organization", Rule::Reason(Reason::AlreadyUnit))
}

/// An organization's department tree, as the rules for departments to bring in take it.
async fn tree(c: &mut AnyConnection, org: &OrgId) -> Result<Vec<TreeDepartment>> {
    Ok(dir::departments(c, org)
        .await?
        .into_iter()
        .map(|d| TreeDepartment { id: d.id, parent: d.parent_id, name: d.name })
        .collect())
}

/// A contact's holder or backup: an active member of its side's organization and, on the
/// partner's side, one of the people the unit brings in; an error naming `field` otherwise.
async fn contact_member(c: &mut AnyConnection, side: Side, unit: &str, org: &str, id: &str, field: &str) -> Result<()> {
    active_member_of(c, org, id, field).await?;
    if side == Side::Partner && !store::brings(c, unit, id).await? {
        return Err(DomainError::invalid(field, Rule::Reason(Reason::NotBroughtDepartment)).into());
    }
    Ok(())
}

/// An active member of `org`, or an error naming `field`.
async fn active_member_of(c: &mut AnyConnection, org: &str, id: &str, field: &str) -> Result<dir::MemberRow> {
    let org = OrgId::from_trusted(org.to_owned());
    match dir::member(c, &org, id).await? {
        Some(m) if m.status == MemberStatus::Active => Ok(m),
        _ => Err(DomainError::invalid(field, Rule::Reason(Reason::NotActiveMemberThere)).into()),
    }
}

async fn notify_all(
    c: &mut AnyConnection,
    accounts: &[String],
    org: &str,
    kind: &str,
    params: &serde_json::Value,
    link: &str,
    now: Millis,
) -> Result<()> {
    let org = OrgId::from_trusted(org.to_owned());
    let unique: HashSet<&String> = accounts.iter().collect();
    for a in unique {
        notify(c, a, Some(&org), kind, params.clone(), Some(link), now).await?;
    }
    Ok(())
}

/// The accounts to tell about something on the backbone's side of a unit: its backbone
/// contacts, or the backbone's primary admins when it has none.
async fn backbone_listeners(c: &mut AnyConnection, network: &NetworkRow, unit: &str) -> Result<Vec<String>> {
    let mut accounts: Vec<String> = store::contacts_of_unit(c, unit)
        .await?
        .into_iter()
        .filter(|k| k.side == Side::Backbone)
        .map(|k| k.account_id)
        .collect();
    if accounts.is_empty() {
        accounts = dir::primary_admin_accounts(c, &OrgId::from_trusted(network.org_id.clone())).await?;
    }
    Ok(accounts)
}

/// The accounts on the partner's side of a unit: its partner contacts, or its primary admins.
async fn partner_listeners(c: &mut AnyConnection, unit: &UnitRow) -> Result<Vec<String>> {
    let mut accounts: Vec<String> = store::contacts_of_unit(c, &unit.id)
        .await?
        .into_iter()
        .filter(|k| k.side == Side::Partner)
        .map(|k| k.account_id)
        .collect();
    if accounts.is_empty() {
        accounts = dir::primary_admin_accounts(c, &OrgId::from_trusted(unit.org_id.clone())).await?;
    }
    Ok(accounts)
}

/// Moves a contact to its successor, or leaves the post vacant, telling everyone concerned:
/// the counterpart side, the successor, and the owner when nobody took over.
async fn hand_over(
    c: &mut AnyConnection,
    contact: &ContactRow,
    successor: Option<dir::MemberRow>,
    why: &str,
    actor: &str,
    now: Millis,
) -> Result<Change> {
    let unit = store::unit_by_id(c, &contact.unit_id).await?.ok_or(NOT_FOUND_UNIT)?;
    let network = store::network(c, &unit.network_id).await?.ok_or(NOT_FOUND_NETWORK)?;
    let link = unit_link(&network.id, &unit.id);
    let side = contact.side;
    let base = |action: &'static str| {
        Change::new(actor, Some(&network.org_id), action, &contact.id)
            .with("network", &network.id)
            .with("unit", &unit.id)
            .with("side", contact.side.as_str())
            .with("role", &contact.role)
            .with("from", &contact.member_id)
            .with("why", why)
    };
    match successor {
        Some(s) => {
            let existing = store::contacts_of_unit(c, &unit.id).await?;
            let duplicate =
                existing.iter().any(|k| k.id != contact.id && k.member_id == s.id && k.role == contact.role);
            if duplicate {
                // The successor already holds this role for the unit: the post folds into theirs.
                store::delete_contact(c, &contact.id).await?;
            } else {
                let backup = contact.backup_id.as_deref().filter(|b| *b != s.id);
                store::update_contact(c, &contact.id, &s.id, &contact.role, backup).await?;
            }
            let counterpart = match side {
                Side::Partner => backbone_listeners(c, &network, &unit.id).await?,
                Side::Backbone => partner_listeners(c, &unit).await?,
            };
            let params = json!({ "name": contact.member_name, "successor": s.name, "partner": unit.org_name,
                "role": contact.role });
            let counterpart_org = match side {
                Side::Partner => &network.org_id,
                Side::Backbone => &unit.org_id,
            };
            notify_all(c, &counterpart, counterpart_org, "contact_handover", &params, &link, now).await?;
            notify(
                c,
                &s.account_id,
                Some(&OrgId::from_trusted(s.org_id.clone())),
                "contact_assigned",
                params,
                Some(&link),
                now,
            )
            .await?;
            // Open approvals and conversations move here too once those capabilities exist.
            Ok(base("contact.handover").with("to", &s.id).with("moved", json!({ "contact": 1 })))
        }
        None => {
            store::delete_contact(c, &contact.id).await?;
            let listeners = backbone_listeners(c, &network, &unit.id).await?;
            let params = json!({ "name": contact.member_name, "partner": unit.org_name, "role": contact.role });
            notify_all(c, &listeners, &network.org_id, "contact_missing", &params, &link, now).await?;
            Ok(base("contact.vacant"))
        }
    }
}

/// Who takes over `contact` now that its holder is going.
async fn find_successor(c: &mut AnyConnection, contact: &ContactRow) -> Result<Option<dir::MemberRow>> {
    let org = OrgId::from_trusted(contact.org_id.clone());
    let mut backup = match &contact.backup_id {
        Some(b) => {
            dir::member(c, &org, b).await?.map(|m| Candidate { active: m.status == MemberStatus::Active, member: m.id })
        }
        None => None,
    };
    let mut heads: Vec<Candidate> = store::heads_over(c, &contact.member_id)
        .await?
        .into_iter()
        .map(|h| Candidate { member: h.id, active: h.status == MemberStatus::Active })
        .collect();
    if contact.side == Side::Partner {
        // A partner-side post goes only to someone the unit brings into the network.
        let ids: Vec<String> = backup.iter().chain(&heads).map(|k| k.member.clone()).collect();
        let brought: HashSet<String> = store::brought_of(c, &contact.unit_id, &ids).await?.into_iter().collect();
        for k in backup.iter_mut().chain(heads.iter_mut()) {
            k.active &= brought.contains(&k.member);
        }
    }
    match rules::successor(&contact.member_id, backup.as_ref(), &heads) {
        Some(id) => Ok(dir::member(c, &org, &id).await?),
        None => Ok(None),
    }
}

/// A departing member's contact posts pass to their backups or department heads; the
/// counterparts are told at once.
pub(crate) struct ContactHandover;

impl Reaction<Departure> for ContactHandover {
    fn react<'a>(&'a self, tx: &'a mut Tx, d: &'a Departure) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            // Every unit where the leaver may hold or back a post, before reading any: a post
            // named meanwhile, the unit's departments and a successor's own departure all change
            // under these locks, so what is read below stays true until commit.
            store::lock_units_of_org(tx, d.org.as_str()).await?;
            let mut changes = Vec::new();
            for contact in store::contacts_held_by(tx, &d.member.id).await? {
                let successor = find_successor(tx, &contact).await?;
                changes.push(hand_over(tx, &contact, successor, "departure", &d.actor, d.at).await?);
            }
            let cleared = store::clear_backup(tx, &d.member.id).await?;
            if !cleared.is_empty() {
                changes.push(d.change("departure.clear_backup").with("contacts", &cleared));
            }
            Ok(changes)
        })
    }
}

/// What units bring follows the tree: a department added below a brought one is brought too, a
/// removed one is forgotten.
pub(crate) struct BroughtFollowsTree;

impl Reaction<TreeChanged> for BroughtFollowsTree {
    fn react<'a>(&'a self, tx: &'a mut Tx, e: &'a TreeChanged) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(async move {
            match &e.removed {
                Some(department) => store::forget_department(tx, department).await?,
                None => store::refresh_unit_departments(tx, &e.org).await?,
            }
            Ok(Vec::new())
        })
    }
}

/// Units follow their organization's certification.
pub(crate) struct UnitsFollowCertification;

impl Reaction<CertificationChanged> for UnitsFollowCertification {
    fn react<'a>(&'a self, tx: &'a mut Tx, e: &'a CertificationChanged) -> BoxFuture<'a, Result<Vec<Change>>> {
        Box::pin(certification_changed(tx, &e.org, e.certified, &e.actor, e.at))
    }
}

/// Blocks an organization's linked units when it loses certification and lets them back when
/// it regains it; the backbones are told either way.
async fn certification_changed(
    c: &mut Tx,
    org: &str,
    certified: bool,
    actor: &str,
    now: Millis,
) -> Result<Vec<Change>> {
    // The rows are written back whole: lock them first, so an edit or removal on another server
    // is seen rather than undone.
    store::lock_units_of_org(c, org).await?;
    let mut changes = Vec::new();
    for mut u in store::live_units_of_org(c, org).await? {
        let (from, to, kind) = match (u.status, certified) {
            (UnitStatus::Active, false) if u.managed == 0 => (UnitStatus::Active, UnitStatus::Blocked, "unit_blocked"),
            (UnitStatus::Blocked, true) => (UnitStatus::Blocked, UnitStatus::Active, "unit_unblocked"),
            _ => continue,
        };
        u.status = to;
        u.blocked_reason = (!certified).then(|| "organization not certified".to_owned());
        store::update_unit(c, &u).await?;
        let network = store::network(c, &u.network_id).await?.ok_or(NOT_FOUND_NETWORK)?;
        let listeners = backbone_listeners(c, &network, &u.id).await?;
        let params = json!({ "partner": u.org_name, "network": network.name });
        notify_all(c, &listeners, &network.org_id, kind, &params, &unit_link(&network.id, &u.id), now).await?;
        changes.push(
            Change::new(actor, Some(&network.org_id), "unit.status", &u.id)
                .with("network", &network.id)
                .with("from", from.as_str())
                .with("to", to.as_str())
                .with("why", "certification"),
        );
    }
    Ok(changes)
}

impl Cases<'_> {
    /// The network and the caller's place in it. Someone with no place gets "not found", so a
    /// refusal never confirms that a network exists.
    async fn look(&self, c: &mut AnyConnection, caller: &Caller, network: &NetworkId) -> Result<Seen> {
        let acting = match caller {
            Caller::Anonymous => return Err(NOT_SIGNED_IN.into()),
            Caller::System => {
                let network = store::network(c, network.as_str()).await?.ok_or(NOT_FOUND_NETWORK)?;
                return Ok(Seen { network, viewer: Viewer::Backbone { admin: true } });
            }
            Caller::Account { .. } => caller.acting().ok_or(NOT_FOUND_NETWORK)?,
        };
        let network = store::network(c, network.as_str()).await?.ok_or(NOT_FOUND_NETWORK)?;
        let admin = acting.role.has(Scope::Partners);
        if network.org_id == acting.org.as_str() {
            if admin || store::is_network_member(c, &network.id, acting.member.as_str()).await? {
                return Ok(Seen { network, viewer: Viewer::Backbone { admin } });
            }
            return Err(NOT_FOUND_NETWORK.into());
        }
        match store::unit_of_org(c, &network.id, acting.org.as_str()).await? {
            Some(u) if u.status == UnitStatus::Active => {
                // The organization's partner admins answer for the unit; its other members are in
                // the network only when the unit brings them.
                if !admin && !store::brings(c, &u.id, acting.member.as_str()).await? {
                    return Err(NOT_FOUND_NETWORK.into());
                }
                Ok(Seen { network, viewer: Viewer::Unit { unit: u.id, partner_type: u.partner_type, admin } })
            }
            Some(_) => Err(UNIT_BLOCKED.into()),
            None => Err(NOT_FOUND_NETWORK.into()),
        }
    }
}
