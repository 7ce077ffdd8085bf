//! The partner network: networks, partner types and tiers, units, invitations, contacts and
//! their handover, and the network address book.
//!
//! Who may do what is decided once per request by [`Service::look`]: the caller acts either
//! for the backbone (a network member, or a partner admin when `admin`) or for one active unit.

use std::collections::{HashMap, HashSet};

use keiretsu_domain::directory::{RowError, name, optional_text, subtree};
use keiretsu_domain::identity::{Caller, NOT_ALLOWED, NOT_SIGNED_IN, Need, Scope};
use keiretsu_domain::ids::{ContactId, DepartmentId, InvitationId, MemberId, NetworkId, OrgId, UnitId};
use keiretsu_domain::journal::{Change, Entry};
use keiretsu_domain::network::{
    self as rules, BUILTIN_TYPES, Candidate, DEFAULT_TIERS, InvitationState, InvitationStatus, Side, Tier,
    TreeDepartment, Viewer, Visibility,
};
use keiretsu_domain::people;
use keiretsu_domain::time::{Millis, format_rfc3339};
use keiretsu_domain::{DomainError, Rule};
use keiretsu_store::directory as dir;
use keiretsu_store::network::{
    self as store, ContactRow, InvitationRow, NetworkRow, PartnerTypeRow, PeopleFilter, PersonRow, UnitRow,
};
use keiretsu_store::{AnyConnection, Backend, Tx};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::departure::{BoxFuture, Departure, Reaction};
use crate::directory::DepartmentView;
use crate::notifications::notify;
use crate::page::{Page, decode_cursor, encode_cursor, page_limit};
use crate::{Result, Service, random_id_bytes, random_token, secret_hash, unique_to_field};

const NOT_FOUND_NETWORK: DomainError = DomainError::NotFound { what: "network" };
const NOT_FOUND_UNIT: DomainError = DomainError::NotFound { what: "unit" };
const NOT_FOUND_INVITATION: DomainError = DomainError::NotFound { what: "invitation" };
const NOT_FOUND_CONTACT: DomainError = DomainError::NotFound { what: "contact" };
const NOT_FOUND_PERSON: DomainError = DomainError::NotFound { what: "person" };
const UNIT_BLOCKED: DomainError =
    DomainError::Forbidden("your organization's unit is blocked from this network until it is certified again");

// ----- views and inputs -----

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NetworkView {
    pub id: String,
    /// The backbone organization that owns the network.
    pub organization_id: String,
    pub name: String,
    pub description: String,
    pub visibility: Visibility,
    pub created_at: String,
    /// How the caller's organization takes part: `backbone` or `unit`.
    pub membership: String,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewNetwork {
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::n80)]
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkPatch {
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::optional_n80)]
    pub name: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<Visibility>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PartnerTypeView {
    pub key: String,
    pub name: String,
    pub tiers: Vec<Tier>,
    /// The cooperation policy for every partner of this type.
    pub policy: String,
    pub builtin: bool,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerTypeInput {
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::n60)]
    pub name: String,
    pub tiers: Vec<Tier>,
    #[serde(default)]
    pub policy: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UnitView {
    pub id: String,
    pub network_id: String,
    pub organization_id: String,
    pub organization_name: String,
    pub partner_type: String,
    pub tier: String,
    pub tags: Vec<String>,
    pub contract_start: Option<String>,
    pub contract_end: Option<String>,
    /// Kept inside the network by the backbone rather than linked to the partner's own organization.
    pub managed: bool,
    /// `active`, `blocked` (its organization lost certification) or `removed`.
    pub status: String,
    pub blocked_reason: Option<String>,
    pub joined_at: String,
    /// Active people the unit brings into the network.
    pub member_count: i64,
    pub contacts: Vec<ContactView>,
    /// `organization`: all its members; `departments`: those of `departments` and below them.
    pub brings: String,
    /// The departments it brings in (not those below them); empty when it brings its whole
    /// organization.
    pub departments: Vec<BroughtDepartment>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BroughtDepartment {
    pub id: String,
    pub name: String,
}

/// Which of its departments a unit brings into the network.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitDepartmentsInput {
    /// Departments of the unit's own organization; their sub-departments, present and future,
    /// come too. Empty: the whole organization.
    pub department_ids: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    pub partner_type: Option<String>,
    pub tier: Option<String>,
    pub tags: Option<Vec<String>>,
    /// `YYYY-MM-DD`; an empty string clears it.
    pub contract_start: Option<String>,
    pub contract_end: Option<String>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewManagedUnit {
    /// The partner's name; a new organization of that name holds the unit's people.
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::n120)]
    pub name: String,
    pub partner_type: String,
    pub tier: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationView {
    pub id: String,
    pub network_id: String,
    pub partner_name: String,
    /// The organization it was sent to; absent for an open code.
    pub organization_id: Option<String>,
    pub partner_type: String,
    pub tier: String,
    pub status: InvitationStatus,
    /// True when a pending invitation's time has run out.
    pub expired: bool,
    pub created_at: String,
    pub expires_at: String,
    pub answered_at: Option<String>,
    pub unit_id: Option<String>,
    /// The partner's departments proposed to bring in, by name; empty: the whole organization.
    pub departments: Vec<String>,
    /// The code, shown once: when the invitation is created or resent.
    pub code: Option<String>,
    /// The console page where a partner admin answers it, with the code.
    pub link: Option<String>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::n120)]
    pub partner_name: String,
    /// Send it to an organization on the platform: its admins are told, and only it can accept.
    pub organization_id: Option<OrgId>,
    pub partner_type: String,
    pub tier: String,
    /// 1 to 2160 hours (90 days); 336 (14 days) by default.
    #[schema(minimum = 1, maximum = 2160)]
    #[serde(default, deserialize_with = "keiretsu_domain::whole::option")]
    pub expires_in_hours: Option<i64>,
    /// The partner's departments to bring in, by name (up to 20); the accepting admin matches
    /// them to their tree or picks others. Empty: the whole organization.
    #[serde(default)]
    pub departments: Vec<String>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationImport {
    pub created: Vec<InvitationView>,
    pub errors: Vec<RowError>,
}

/// What a partner admin sees before answering.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InvitationPreview {
    pub id: String,
    pub network_id: String,
    pub network_name: String,
    pub backbone_name: String,
    pub partner_name: String,
    pub partner_type: String,
    pub tier: String,
    pub status: InvitationStatus,
    pub expired: bool,
    pub expires_at: String,
    /// The departments proposed to bring in, by name.
    pub departments: Vec<String>,
}

/// An answer names the invitation by its code, or by id when it was sent to the caller's organization.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvitationAnswer {
    /// The code the invitation gave (surrounding whitespace is ignored), or `invitation_id`.
    #[schema(
        max_length = 128,
        pattern = "[^\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]"
    )]
    pub code: Option<String>,
    pub invitation_id: Option<InvitationId>,
    /// On accepting: the departments of your organization to bring in (and those below them).
    /// Absent: the departments the invitation names, matched by name, or the whole organization
    /// when it names none. Empty: the whole organization.
    pub department_ids: Option<Vec<String>>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    pub id: String,
    pub unit_id: String,
    pub side: Side,
    pub member_id: String,
    pub member_name: String,
    pub organization_id: String,
    /// `owner`, `business`, `finance`, `technical`, `legal`, `logistics` or `other`.
    pub role: String,
    pub backup_id: Option<String>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub side: Side,
    pub member_id: MemberId,
    pub role: String,
    pub backup_id: Option<MemberId>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    pub member_id: Option<MemberId>,
    pub role: Option<String>,
    /// An empty string clears the backup.
    pub backup_id: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkMembersInput {
    #[serde(default)]
    pub member_ids: Vec<MemberId>,
    /// Every active member of these departments and the departments below them.
    #[serde(default)]
    pub department_ids: Vec<DepartmentId>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NetworkMembersAdded {
    pub added: u64,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// Part of a name, login, phone, email or employee number.
    pub q: Option<String>,
    /// Only this unit's people; `backbone` for the backbone's network members.
    pub unit_id: Option<String>,
    /// With `unit_id`: only people in this department of that unit (or of the backbone) and below it.
    pub department_id: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 2048, pattern = "^([0-9a-fA-F]{2})+$")]
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PersonView {
    pub member_id: String,
    pub name: String,
    pub title: Option<String>,
    pub status: String,
    pub organization_id: String,
    pub organization_name: String,
    /// Absent for the backbone's own people.
    pub unit_id: Option<String>,
    pub partner_type: Option<String>,
    pub tier: Option<String>,
}

/// A partner member's page: who they are and who their contact at the backbone is.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PersonDetail {
    #[serde(flatten)]
    pub person: PersonView,
    pub departments: Vec<String>,
    pub backbone_contacts: Vec<ContactView>,
}

fn network_view(n: NetworkRow, membership: &str) -> NetworkView {
    NetworkView {
        visibility: Visibility::parse("visibility", &n.visibility).unwrap_or_default(),
        id: n.id,
        organization_id: n.org_id,
        name: n.name,
        description: n.description,
        created_at: format_rfc3339(n.created_at),
        membership: membership.into(),
    }
}

fn partner_type_view(t: PartnerTypeRow) -> PartnerTypeView {
    PartnerTypeView {
        builtin: BUILTIN_TYPES.iter().any(|(k, _)| *k == t.key),
        tiers: serde_json::from_str(&t.tiers).unwrap_or_default(),
        key: t.key,
        name: t.name,
        policy: t.policy,
    }
}

fn contact_view(k: ContactRow) -> ContactView {
    ContactView {
        side: Side::parse("side", &k.side).unwrap_or(Side::Partner),
        id: k.id,
        unit_id: k.unit_id,
        member_id: k.member_id,
        member_name: k.member_name,
        organization_id: k.org_id,
        role: k.role,
        backup_id: k.backup_id,
    }
}

fn unit_view(u: UnitRow, member_count: i64, contacts: Vec<ContactRow>, tops: Vec<(String, String)>) -> UnitView {
    UnitView {
        departments: tops.into_iter().map(|(id, name)| BroughtDepartment { id, name }).collect(),
        brings: u.brings.clone(),
        tags: serde_json::from_str(&u.tags).unwrap_or_default(),
        managed: u.managed != 0,
        joined_at: format_rfc3339(u.joined_at),
        contacts: contacts.into_iter().map(contact_view).collect(),
        id: u.id,
        network_id: u.network_id,
        organization_id: u.org_id,
        organization_name: u.org_name,
        partner_type: u.partner_type,
        tier: u.tier,
        contract_start: u.contract_start,
        contract_end: u.contract_end,
        status: u.status,
        blocked_reason: u.blocked_reason,
        member_count,
    }
}

fn invitation_view(i: InvitationRow, now: Millis, code: Option<String>) -> InvitationView {
    let status = InvitationStatus::parse("status", &i.status).unwrap_or(InvitationStatus::Revoked);
    InvitationView {
        expired: status == InvitationStatus::Pending && now >= i.expires_at,
        status,
        link: code.as_ref().map(|c| format!("/console/invitations/answer?code={c}")),
        code,
        id: i.id,
        network_id: i.network_id,
        partner_name: i.partner_name,
        organization_id: i.target_org,
        partner_type: i.partner_type,
        tier: i.tier,
        created_at: format_rfc3339(i.created_at),
        expires_at: format_rfc3339(i.expires_at),
        answered_at: i.answered_at.map(format_rfc3339),
        unit_id: i.unit_id,
        departments: serde_json::from_str(&i.departments).unwrap_or_default(),
    }
}

fn person_view(p: PersonRow) -> PersonView {
    PersonView {
        member_id: p.member_id,
        name: p.name,
        title: p.title,
        status: p.status,
        organization_id: p.org_id,
        organization_name: p.org_name,
        unit_id: p.unit_id,
        partner_type: p.partner_type,
        tier: p.tier,
    }
}

fn unit_link(network: &str, unit: &str) -> String {
    format!("/console/networks/{network}/units/{unit}")
}

/// The caller as seen by one network.
struct Seen {
    network: NetworkRow,
    viewer: Viewer,
}

impl Seen {
    fn visibility(&self) -> Visibility {
        Visibility::parse("visibility", &self.network.visibility).unwrap_or_default()
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
            Some(u) if u.status != "removed" && self.sees_unit(&u) => Ok(u),
            _ => Err(NOT_FOUND_UNIT.into()),
        }
    }

    /// [`Seen::unit`], locked until the transaction ends: for a change decided on the unit's
    /// departments or contacts, which every such change locks first.
    async fn lock_unit(&self, tx: &mut Tx, unit: &UnitId) -> Result<UnitRow> {
        match store::lock_unit(tx, &self.network.id, unit.as_str()).await? {
            Some(u) if u.status != "removed" && self.sees_unit(&u) => Ok(u),
            _ => Err(NOT_FOUND_UNIT.into()),
        }
    }

    fn sees_unit(&self, u: &UnitRow) -> bool {
        let backbone = self.viewer.is_backbone();
        (backbone || u.status == "active") && self.viewer.unit_scope(self.visibility()).sees(&u.id, &u.partner_type)
    }
}

fn tiers_of(t: &PartnerTypeRow) -> Vec<Tier> {
    serde_json::from_str(&t.tiers).unwrap_or_default()
}

/// Checks that `key` is a partner type of the network and `tier` one of its tiers.
async fn check_type_tier(c: &mut AnyConnection, network: &str, key: &str, tier: &str) -> Result<()> {
    let t = store::partner_type(c, network, key)
        .await?
        .ok_or_else(|| DomainError::invalid("partner_type", Rule::Custom("is not a partner type of this network")))?;
    if !tiers_of(&t).iter().any(|x| x.name == tier) {
        return Err(DomainError::invalid("tier", Rule::Custom("is not a tier of this partner type")).into());
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
        let units = store::live_units_of_org(c, org).await?.into_iter().filter(|u| u.brings == "departments").collect();
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
    pub(crate) async fn settle(self, tx: &mut Tx, field: &str, actor: &str, now: Millis) -> Result<Vec<Change>> {
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
            if contacts.iter().any(|k| k.side == Side::Partner.as_str() && holds(k)) {
                return Err(DomainError::conflict(
                    field,
                    Rule::Custom(
                        "would leave a contact (or backup) of a network unit out of the network: name another first",
                    ),
                )
                .into());
            }
            let pool = store::network(tx, &u.network_id).await?.ok_or(NOT_FOUND_NETWORK)?.org_id;
            changes.extend(crate::license::unit_narrowed(tx, &pool, &u, &left_out, actor, now).await?);
        }
        Ok(changes)
    }
}

fn already_a_unit() -> DomainError {
    DomainError::conflict("organization", Rule::Custom("is already a unit of this network"))
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
        return Err(DomainError::invalid(field, Rule::Custom("is not in the departments the unit brings in")).into());
    }
    Ok(())
}

/// An active member of `org`, or an error naming `field`.
async fn active_member_of(c: &mut AnyConnection, org: &str, id: &str, field: &str) -> Result<dir::MemberRow> {
    let org = OrgId::from_trusted(org.to_owned());
    match dir::member(c, &org, id).await? {
        Some(m) if m.status == "active" => Ok(m),
        _ => Err(DomainError::invalid(field, Rule::Custom("must be an active member of that organization")).into()),
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
        .filter(|k| k.side == "backbone")
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
        .filter(|k| k.side == "partner")
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
    let side = Side::parse("side", &contact.side)?;
    let base = |action: &'static str| {
        Change::new(actor, Some(&network.org_id), action, &contact.id)
            .with("network", &network.id)
            .with("unit", &unit.id)
            .with("side", &contact.side)
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
        Some(b) => dir::member(c, &org, b).await?.map(|m| Candidate { active: m.status == "active", member: m.id }),
        None => None,
    };
    let mut heads: Vec<Candidate> = store::heads_over(c, &contact.member_id)
        .await?
        .into_iter()
        .map(|(member, status)| Candidate { member, active: status == "active" })
        .collect();
    if contact.side == Side::Partner.as_str() {
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
/// counterparts are told at once. Registered in the departure reactions.
pub(crate) struct ContactHandover;

impl Reaction for ContactHandover {
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

/// Blocks an organization's linked units when it loses certification and lets them back when
/// it regains it; the backbones are told either way.
pub(crate) async fn certification_changed(
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
        let (from, to, kind) = match (u.status.as_str(), certified) {
            ("active", false) if u.managed == 0 => ("active", "blocked", "unit_blocked"),
            ("blocked", true) => ("blocked", "active", "unit_unblocked"),
            _ => continue,
        };
        u.status = to.into();
        u.blocked_reason = (!certified).then(|| "organization not certified".to_owned());
        store::update_unit(c, &u).await?;
        let network = store::network(c, &u.network_id).await?.ok_or(NOT_FOUND_NETWORK)?;
        let listeners = backbone_listeners(c, &network, &u.id).await?;
        let params = json!({ "partner": u.org_name, "network": network.name });
        notify_all(c, &listeners, &network.org_id, kind, &params, &unit_link(&network.id, &u.id), now).await?;
        changes.push(
            Change::new(actor, Some(&network.org_id), "unit.status", &u.id)
                .with("network", &network.id)
                .with("from", from)
                .with("to", to)
                .with("why", "certification"),
        );
    }
    Ok(changes)
}

/// One row of a bulk invitation file, with its line number.
type LineInvitation = (u64, NewInvitation);

/// Parses a bulk invitation file: header `partner_name,partner_type,tier` with optional
/// `organization_id` and `departments` (names to bring in, separated by `;`) columns.
fn parse_invitations(text: &str) -> Result<(Vec<LineInvitation>, Vec<RowError>)> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|_| DomainError::invalid("file", Rule::Format("CSV text in UTF-8 with a header line")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let col = |n: &str| header.iter().position(|h| h == n);
    let (Some(pn), Some(pt), Some(ti)) = (col("partner_name"), col("partner_type"), col("tier")) else {
        return Err(DomainError::invalid(
            "file",
            Rule::Custom("needs the columns partner_name, partner_type and tier"),
        )
        .into());
    };
    let org = col("organization_id");
    let deps = col("departments");
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(_) => {
                errors.push(RowError { line, field: "row".into(), reason: "is not valid CSV".into() });
                continue;
            }
        };
        let get = |i: usize| record.get(i).unwrap_or("").to_owned();
        let organization_id = match org.map(get).filter(|s| !s.is_empty()) {
            Some(s) => match OrgId::parse(&s) {
                Ok(id) => Some(id),
                Err(e) => {
                    errors.push(RowError { line, field: "organization_id".into(), reason: e.to_string() });
                    continue;
                }
            },
            None => None,
        };
        rows.push((
            line,
            NewInvitation {
                partner_name: get(pn),
                organization_id,
                partner_type: get(pt),
                tier: get(ti),
                expires_in_hours: None,
                departments: deps
                    .map(get)
                    .unwrap_or_default()
                    .split(';')
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned)
                    .collect(),
            },
        ));
    }
    if rows.len() + errors.len() > 10_000 {
        return Err(DomainError::invalid("file", Rule::Custom("has more than 10000 rows")).into());
    }
    Ok((rows, errors))
}

impl Service {
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
            Some(u) if u.status == "active" => {
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

    // ----- networks -----

    pub async fn create_network(&self, caller: &Caller, input: &NewNetwork) -> Result<NetworkView> {
        let permit = caller.permit_own(Need::Manage(Scope::Partners))?;
        let network_name = name("name", &input.name, 80)?;
        let description = rules::policy("description", &input.description)?;
        let mut tx = self.store.write().await?;
        let org =
            dir::org(&mut tx, permit.org().as_str()).await?.ok_or(DomainError::NotFound { what: "organization" })?;
        if org.certification != "certified" {
            return Err(DomainError::conflict(
                "organization",
                Rule::Custom("must be certified by the platform before it can own a network"),
            )
            .into());
        }
        let pool = keiretsu_store::license::pool(&mut tx, &org.id).await?;
        let edition = match pool {
            Some(p) => keiretsu_store::license::edition(&mut tx, &p.edition).await?,
            None => None,
        };
        let max = edition.filter(|e| e.downstream).map_or(0, |e| e.max_networks);
        if max == 0 {
            return Err(DomainError::conflict(
                "organization",
                Rule::Custom("has an edition that does not allow release to downstream networks"),
            )
            .into());
        }
        if store::count_networks(&mut tx, &org.id).await? >= max {
            return Err(
                DomainError::conflict("organization", Rule::Custom("has reached its edition's network limit")).into()
            );
        }
        let row = NetworkRow {
            id: NetworkId::from_random(random_id_bytes()).to_string(),
            org_id: org.id.clone(),
            name: network_name,
            description,
            visibility: Visibility::Own.as_str().into(),
            created_at: self.now(),
        };
        store::insert_network(&mut tx, &row).await.map_err(|e| unique_to_field(e, "name"))?;
        let tiers: Vec<Tier> =
            DEFAULT_TIERS.iter().map(|t| Tier { name: (*t).into(), policy: String::new() }).collect();
        for (key, label) in BUILTIN_TYPES {
            let t = PartnerTypeRow {
                network_id: row.id.clone(),
                key: (*key).into(),
                name: (*label).into(),
                tiers: serde_json::to_string(&tiers).unwrap_or_default(),
                policy: String::new(),
            };
            store::upsert_partner_type(&mut tx, &t).await?;
        }
        // The creator works with the partners from the start.
        if let Some(acting) = caller.acting() {
            store::add_network_members(&mut tx, &row.id, &[acting.member.to_string()], row.created_at).await?;
        }
        let change = Change::new(permit.actor(), Some(&org.id), "network.create", &row.id).with("name", &row.name);
        self.commit(tx, &[change]).await?;
        Ok(network_view(row, "backbone"))
    }

    /// The networks the caller's organization owns or is a unit of.
    pub async fn networks(&self, caller: &Caller) -> Result<Vec<NetworkView>> {
        let permit = caller.permit_own(Need::Read)?;
        let mut c = self.store.read().await?;
        let mut out = Vec::new();
        for n in store::networks_of_org(&mut c, permit.org().as_str()).await? {
            let id = NetworkId::from_trusted(n.id.clone());
            // Only networks the caller may look into: backbone members outside a network do not see it.
            if let Ok(seen) = self.look(&mut c, caller, &id).await {
                let membership = if seen.viewer.is_backbone() { "backbone" } else { "unit" };
                out.push(network_view(n, membership));
            }
        }
        Ok(out)
    }

    pub async fn network(&self, caller: &Caller, id: &NetworkId) -> Result<NetworkView> {
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        let membership = if seen.viewer.is_backbone() { "backbone" } else { "unit" };
        Ok(network_view(seen.network, membership))
    }

    pub async fn update_network(&self, caller: &Caller, id: &NetworkId, patch: &NetworkPatch) -> Result<NetworkView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        let mut n = seen.network;
        let mut change = Change::new(caller.actor(), Some(&n.org_id), "network.update", &n.id);
        if let Some(v) = &patch.name {
            n.name = name("name", v, 80)?;
            change = change.with("name", &n.name);
        }
        if let Some(v) = &patch.description {
            n.description = rules::policy("description", v)?;
            change = change.with("description", &n.description);
        }
        if let Some(v) = patch.visibility {
            change = change.with("visibility", json!({ "from": n.visibility, "to": v.as_str() }));
            n.visibility = v.as_str().into();
        }
        store::update_network(&mut tx, &n).await.map_err(|e| unique_to_field(e, "name"))?;
        self.commit(tx, &[change]).await?;
        Ok(network_view(n, "backbone"))
    }

    // ----- partner types -----

    pub async fn partner_types(&self, caller: &Caller, id: &NetworkId) -> Result<Vec<PartnerTypeView>> {
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        Ok(store::partner_types(&mut c, &seen.network.id).await?.into_iter().map(partner_type_view).collect())
    }

    /// Creates or replaces a partner type. A tier still held by units cannot be dropped.
    pub async fn put_partner_type(
        &self,
        caller: &Caller,
        id: &NetworkId,
        key: &str,
        input: &PartnerTypeInput,
    ) -> Result<PartnerTypeView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        let key = rules::type_key("key", key)?;
        let label = name("name", &input.name, 60)?;
        let tiers = rules::tiers("tiers", &input.tiers)?;
        let policy = rules::policy("policy", &input.policy)?;
        let network = &seen.network.id;
        for u in store::units(&mut tx, network).await? {
            if u.partner_type == key && !tiers.iter().any(|t| t.name == u.tier) {
                return Err(
                    DomainError::conflict("tiers", Rule::NotEmpty("units on a tier this change removes")).into()
                );
            }
        }
        let row = PartnerTypeRow {
            network_id: network.clone(),
            key: key.clone(),
            name: label,
            tiers: serde_json::to_string(&tiers).unwrap_or_default(),
            policy,
        };
        store::upsert_partner_type(&mut tx, &row).await?;
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "network.partner_type", network)
            .with("key", &key)
            .with("name", &row.name)
            .with("tiers", tiers.iter().map(|t| &t.name).collect::<Vec<_>>());
        self.commit(tx, &[change]).await?;
        Ok(partner_type_view(row))
    }

    // ----- units -----

    pub async fn units(&self, caller: &Caller, id: &NetworkId) -> Result<Vec<UnitView>> {
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        let counts: HashMap<String, i64> =
            store::unit_member_counts(&mut c, &seen.network.id).await?.into_iter().collect();
        let mut out = Vec::new();
        for u in store::units(&mut c, &seen.network.id).await? {
            if seen.sees_unit(&u) {
                let n = counts.get(&u.id).copied().unwrap_or(0);
                let tops = if u.brings == "departments" { store::unit_tops(&mut c, &u.id).await? } else { Vec::new() };
                out.push(unit_view(u, n, Vec::new(), tops));
            }
        }
        Ok(out)
    }

    pub async fn unit(&self, caller: &Caller, id: &NetworkId, unit: &UnitId) -> Result<UnitView> {
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        let u = seen.unit(&mut c, unit).await?;
        let n = store::unit_member_count(&mut c, &u.id).await?;
        let contacts = store::contacts_of_unit(&mut c, &u.id).await?;
        let tops = store::unit_tops(&mut c, &u.id).await?;
        Ok(unit_view(u, n, contacts, tops))
    }

    /// A unit the backbone keeps itself: a new organization, run by the backbone's partner
    /// admins until it gets admins of its own.
    pub async fn create_managed_unit(
        &self,
        caller: &Caller,
        id: &NetworkId,
        input: &NewManagedUnit,
    ) -> Result<UnitView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        let partner = name("name", &input.name, 120)?;
        check_type_tier(&mut tx, &seen.network.id, &input.partner_type, &input.tier).await?;
        let now = self.now();
        let org = dir::OrgRow {
            id: OrgId::from_random(random_id_bytes()).to_string(),
            name: partner,
            // The backbone vouches for a unit it keeps; certification is for linked organizations.
            certification: "unverified".into(),
            edition: None,
            created_at: now,
        };
        dir::insert_org(&mut tx, &org).await?;
        store::set_managed_by(&mut tx, &org.id, &seen.network.org_id).await?;
        let root = dir::DepartmentRow {
            id: DepartmentId::from_random(random_id_bytes()).to_string(),
            org_id: org.id.clone(),
            parent_id: None,
            name: org.name.clone(),
            created_at: now,
        };
        dir::insert_department(&mut tx, &root).await?;
        let u = UnitRow {
            id: UnitId::from_random(random_id_bytes()).to_string(),
            network_id: seen.network.id.clone(),
            org_id: org.id.clone(),
            org_name: org.name.clone(),
            partner_type: input.partner_type.clone(),
            tier: input.tier.clone(),
            tags: "[]".into(),
            contract_start: None,
            contract_end: None,
            managed: 1,
            status: "active".into(),
            blocked_reason: None,
            joined_at: now,
            removed_at: None,
            brings: "organization".into(),
        };
        store::insert_unit(&mut tx, &u).await?;
        let mut contacts = Vec::new();
        if let Some(acting) = caller.acting() {
            contacts.push(self.owner_contact(&mut tx, &u.id, acting.member.as_str(), now).await?);
        }
        let actor = caller.actor();
        let changes = [Change::new(&actor, Some(&seen.network.org_id), "unit.create_managed", &u.id)
            .with("network", &seen.network.id)
            .with("organization", &org.id)
            .with("name", &org.name)
            .with("partner_type", &u.partner_type)
            .with("tier", &u.tier)];
        self.commit(tx, &changes).await?;
        Ok(unit_view(u, 0, contacts, Vec::new()))
    }

    async fn owner_contact(&self, c: &mut AnyConnection, unit: &str, member: &str, now: Millis) -> Result<ContactRow> {
        let k = ContactRow {
            id: ContactId::from_random(random_id_bytes()).to_string(),
            unit_id: unit.to_owned(),
            side: Side::Backbone.as_str().into(),
            member_id: member.to_owned(),
            member_name: String::new(),
            account_id: String::new(),
            org_id: String::new(),
            role: "owner".into(),
            backup_id: None,
            created_at: now,
        };
        store::insert_contact(c, &k).await?;
        Ok(store::contact(c, unit, &k.id).await?.unwrap_or(k))
    }

    pub async fn update_unit(
        &self,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
        patch: &UnitPatch,
    ) -> Result<UnitView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        // Locked: the whole row is written back, so a removal meanwhile must be seen, not undone.
        let mut u = store::lock_unit(&mut tx, &seen.network.id, unit.as_str()).await?.ok_or(NOT_FOUND_UNIT)?;
        if u.status == "removed" {
            return Err(NOT_FOUND_UNIT.into());
        }
        let mut change = Change::new(caller.actor(), Some(&seen.network.org_id), "unit.update", &u.id)
            .with("network", &seen.network.id);
        if patch.partner_type.is_some() || patch.tier.is_some() {
            let ty = patch.partner_type.clone().unwrap_or(u.partner_type.clone());
            let tier = patch.tier.clone().unwrap_or(u.tier.clone());
            check_type_tier(&mut tx, &seen.network.id, &ty, &tier).await?;
            change = change.with("partner_type", &ty).with("tier", &tier);
            (u.partner_type, u.tier) = (ty, tier);
        }
        if let Some(tags) = &patch.tags {
            let tags = rules::tags("tags", tags)?;
            change = change.with("tags", &tags);
            u.tags = serde_json::to_string(&tags).unwrap_or_default();
        }
        if patch.contract_start.is_some() || patch.contract_end.is_some() {
            let start = patch.contract_start.as_deref().or(u.contract_start.as_deref());
            let end = patch.contract_end.as_deref().or(u.contract_end.as_deref());
            (u.contract_start, u.contract_end) = rules::contract(start, end)?;
            change = change.with("contract", json!([u.contract_start, u.contract_end]));
        }
        store::update_unit(&mut tx, &u).await?;
        self.commit(tx, &[change]).await?;
        self.unit(caller, id, unit).await
    }

    /// The unit's own admins choose which departments it brings into the network; the backbone
    /// chooses for a unit it keeps. The backbone cannot widen what a linked partner shares.
    /// Partner contacts must stay among the people brought in, and the seats of people left out
    /// go back to the backbone's pool.
    pub async fn set_unit_departments(
        &self,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
        input: &UnitDepartmentsInput,
    ) -> Result<UnitView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        // Locked before the tree, the people brought and the contacts are read: a choice made
        // meanwhile on another server is either all in place or not begun.
        let u = seen.lock_unit(&mut tx, unit).await?;
        match &seen.viewer {
            Viewer::Unit { unit: mine, admin: true, .. } if *mine == u.id => {}
            Viewer::Backbone { admin: true } if u.managed != 0 => {}
            _ => return Err(NOT_ALLOWED.into()),
        }
        let org = OrgId::from_trusted(u.org_id.clone());
        let tops = rules::departments_to_bring(&tree(&mut tx, &org).await?, &[], Some(&input.department_ids))?;
        let before = Brought::of(&mut tx, vec![u.clone()], None).await?;
        store::set_unit_departments(&mut tx, &u.id, tops.as_deref()).await?;
        let actor = caller.actor();
        // In both organizations' journals: the backbone's network changed, and the partner shares
        // other people with it.
        let mut changes: Vec<Change> = [&seen.network.org_id, &u.org_id]
            .into_iter()
            .map(|org| {
                Change::new(&actor, Some(org), "unit.departments", &u.id)
                    .with("network", &seen.network.id)
                    .with("organization", &u.org_id)
                    .with("departments", &tops)
            })
            .collect();
        changes.extend(before.settle(&mut tx, "department_ids", &actor, self.now()).await?);
        self.commit(tx, &changes).await?;
        self.unit(caller, id, unit).await
    }

    /// The backbone removes a unit, or the unit's admin takes it out: its people lose access
    /// to the network at once; the history stays in the journal.
    pub async fn remove_unit(&self, caller: &Caller, id: &NetworkId, unit: &UnitId) -> Result<()> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.unit_admin(unit.as_str())?;
        let mut u = store::lock_unit(&mut tx, &seen.network.id, unit.as_str()).await?.ok_or(NOT_FOUND_UNIT)?;
        if u.status == "removed" {
            return Err(NOT_FOUND_UNIT.into());
        }
        let now = self.now();
        let by_partner = !seen.viewer.is_backbone();
        // Tell the other side before the contacts go out of reach.
        let link = unit_link(&seen.network.id, &u.id);
        let params = json!({ "partner": u.org_name, "network": seen.network.name });
        if by_partner {
            let listeners = backbone_listeners(&mut tx, &seen.network, &u.id).await?;
            notify_all(&mut tx, &listeners, &seen.network.org_id, "unit_left", &params, &link, now).await?;
        } else {
            let admins = dir::primary_admin_accounts(&mut tx, &OrgId::from_trusted(u.org_id.clone())).await?;
            notify_all(&mut tx, &admins, &u.org_id, "unit_removed", &params, "/console/networks", now).await?;
        }
        u.status = "removed".into();
        u.removed_at = Some(now);
        store::update_unit(&mut tx, &u).await?;
        let action = if by_partner { "unit.leave" } else { "unit.remove" };
        let actor = caller.actor();
        let mut changes = vec![
            Change::new(&actor, Some(&seen.network.org_id), action, &u.id)
                .with("network", &seen.network.id)
                .with("organization", &u.org_id),
        ];
        // Its people's partner seats go back to the backbone's pool.
        changes.extend(crate::license::release_unit(&mut tx, &seen.network.org_id, &u.org_id, &actor, now).await?);
        self.commit(tx, &changes).await?;
        Ok(())
    }

    // ----- the backbone's network members -----

    pub async fn add_network_members(
        &self,
        caller: &Caller,
        id: &NetworkId,
        input: &NetworkMembersInput,
    ) -> Result<NetworkMembersAdded> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        if input.member_ids.len() + input.department_ids.len() > 1000 {
            return Err(DomainError::invalid("member_ids", Rule::Range { min: 0, max: 1000 }).into());
        }
        let org = OrgId::from_trusted(seen.network.org_id.clone());
        let mut members: Vec<String> = Vec::new();
        for (i, m) in input.member_ids.iter().enumerate() {
            active_member_of(&mut tx, org.as_str(), m.as_str(), &format!("member_ids[{i}]")).await?;
            members.push(m.to_string());
        }
        if !input.department_ids.is_empty() {
            let all = dir::departments(&mut tx, &org).await?;
            let parents = all
                .iter()
                .map(|d| {
                    (DepartmentId::from_trusted(d.id.clone()), d.parent_id.clone().map(DepartmentId::from_trusted))
                })
                .collect();
            let mut deps = HashSet::new();
            for (i, d) in input.department_ids.iter().enumerate() {
                if !all.iter().any(|x| x.id == d.as_str()) {
                    return Err(DomainError::invalid(
                        format!("department_ids[{i}]"),
                        Rule::Custom("is not a department of the backbone organization"),
                    )
                    .into());
                }
                deps.extend(subtree(&parents, d).into_iter().map(String::from));
            }
            let deps: Vec<String> = deps.into_iter().collect();
            let filter = dir::MemberFilter {
                status: Some("active".into()),
                departments: Some(deps),
                limit: 1_000_000,
                ..Default::default()
            };
            members.extend(
                dir::list_members(&mut tx, self.store.backend(), &org, &filter).await?.into_iter().map(|m| m.id),
            );
        }
        let added = store::add_network_members(&mut tx, &seen.network.id, &members, self.now()).await?;
        let change = Change::new(caller.actor(), Some(org.as_str()), "network.add_members", &seen.network.id)
            .with("members", &members)
            .with("departments", &input.department_ids);
        self.commit(tx, &[change]).await?;
        Ok(NetworkMembersAdded { added })
    }

    pub async fn remove_network_member(&self, caller: &Caller, id: &NetworkId, member: &MemberId) -> Result<()> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        if store::remove_network_member(&mut tx, &seen.network.id, member.as_str()).await? == 0 {
            return Err(DomainError::NotFound { what: "network member" }.into());
        }
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "network.remove_member", &seen.network.id)
            .with("member", member.as_str());
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    // ----- invitations -----

    pub async fn invite(&self, caller: &Caller, id: &NetworkId, input: &NewInvitation) -> Result<InvitationView> {
        let mut tx = self.store.write().await?;
        let (view, change) = self.invite_in(&mut tx, caller, id, input).await?;
        self.commit(tx, &[change]).await?;
        Ok(view)
    }

    async fn invite_in(
        &self,
        tx: &mut AnyConnection,
        caller: &Caller,
        id: &NetworkId,
        input: &NewInvitation,
    ) -> Result<(InvitationView, Change)> {
        let seen = self.look(tx, caller, id).await?;
        seen.backbone_admin()?;
        let partner = name("partner_name", &input.partner_name, 120)?;
        let hours = rules::invitation_hours("expires_in_hours", input.expires_in_hours)?;
        let departments = rules::department_names("departments", &input.departments)?;
        check_type_tier(tx, &seen.network.id, &input.partner_type, &input.tier).await?;
        if let Some(target) = &input.organization_id {
            if target.as_str() == seen.network.org_id {
                return Err(
                    DomainError::invalid("organization_id", Rule::Custom("is the network's own backbone")).into()
                );
            }
            dir::org(tx, target.as_str()).await?.ok_or_else(|| {
                DomainError::invalid("organization_id", Rule::Custom("is not an organization on the platform"))
            })?;
            if store::unit_of_org(tx, &seen.network.id, target.as_str()).await?.is_some() {
                return Err(DomainError::conflict(
                    "organization_id",
                    Rule::Custom("is already a unit of this network"),
                )
                .into());
            }
        }
        let now = self.now();
        let code = random_token(16);
        let row = InvitationRow {
            id: InvitationId::from_random(random_id_bytes()).to_string(),
            network_id: seen.network.id.clone(),
            code_hash: secret_hash(&code),
            partner_name: partner,
            target_org: input.organization_id.as_ref().map(ToString::to_string),
            partner_type: input.partner_type.clone(),
            tier: input.tier.clone(),
            status: InvitationStatus::Pending.as_str().into(),
            created_by: caller.acting().map(|a| a.member.to_string()).unwrap_or_else(|| caller.actor()),
            created_at: now,
            expires_at: now + hours * 3_600_000,
            answered_at: None,
            answered_by_org: None,
            unit_id: None,
            departments: serde_json::to_string(&departments).unwrap_or_else(|_| "[]".into()),
        };
        store::insert_invitation(tx, &row).await.map_err(|e| {
            if e.unique_violation().is_some() {
                DomainError::conflict(
                    "organization_id",
                    Rule::Custom("already has a pending invitation to this network"),
                )
                .into()
            } else {
                crate::Error::Store(e)
            }
        })?;
        if let Some(target) = &row.target_org {
            self.tell_target(tx, &seen.network, target, &row).await?;
        }
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "invitation.create", &row.id)
            .with("network", &seen.network.id)
            .with("partner_name", &row.partner_name)
            .with("organization", &row.target_org)
            .with("partner_type", &row.partner_type)
            .with("tier", &row.tier)
            .with("departments", &departments)
            .with("expires_at", row.expires_at);
        Ok((invitation_view(row, now, Some(code)), change))
    }

    async fn tell_target(
        &self,
        c: &mut AnyConnection,
        network: &NetworkRow,
        target: &str,
        inv: &InvitationRow,
    ) -> Result<()> {
        let backbone = dir::org(c, &network.org_id).await?.map(|o| o.name).unwrap_or_default();
        let admins = dir::primary_admin_accounts(c, &OrgId::from_trusted(target.to_owned())).await?;
        let params = json!({ "network": network.name, "backbone": backbone, "partner_type": inv.partner_type });
        notify_all(c, &admins, target, "invitation_received", &params, "/console/invitations", self.now()).await
    }

    /// Creates one invitation per good row of a CSV; bad rows are reported and skipped.
    pub async fn import_invitations(&self, caller: &Caller, id: &NetworkId, text: &str) -> Result<InvitationImport> {
        let mut tx = self.store.write().await?;
        self.look(&mut tx, caller, id).await?.backbone_admin()?;
        let (rows, mut errors) = parse_invitations(text)?;
        let mut created = Vec::new();
        let mut changes = Vec::new();
        for (line, input) in rows {
            // A savepoint per row, so one bad row leaves the others in place.
            let mut sp = keiretsu_store::savepoint(&mut tx).await?;
            match self.invite_in(&mut sp, caller, id, &input).await {
                Ok((view, change)) => {
                    sp.commit().await?;
                    created.push(view);
                    changes.push(change);
                }
                Err(crate::Error::Domain(e)) => {
                    sp.rollback().await?;
                    let field = e.field().unwrap_or("row").to_owned();
                    errors.push(RowError { line, field, reason: e.to_string() });
                }
                Err(e) => return Err(e),
            }
        }
        errors.sort_by_key(|e| e.line);
        self.commit(tx, &changes).await?;
        Ok(InvitationImport { created, errors })
    }

    pub async fn invitations(
        &self,
        caller: &Caller,
        id: &NetworkId,
        status: Option<&str>,
    ) -> Result<Vec<InvitationView>> {
        let status = status.map(|s| InvitationStatus::parse("status", s)).transpose()?;
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        seen.backbone_admin()?;
        let now = self.now();
        let rows = store::invitations(&mut c, &seen.network.id, status.map(InvitationStatus::as_str)).await?;
        Ok(rows.into_iter().map(|r| invitation_view(r, now, None)).collect())
    }

    /// A fresh code and a new expiry for a pending invitation; the old code stops working.
    pub async fn resend_invitation(
        &self,
        caller: &Caller,
        id: &NetworkId,
        inv: &InvitationId,
    ) -> Result<InvitationView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        let lock = Some(tx.backend());
        let mut row =
            store::invitation(&mut tx, &seen.network.id, inv.as_str(), lock).await?.ok_or(NOT_FOUND_INVITATION)?;
        let now = self.now();
        let code = random_token(16);
        row.code_hash = secret_hash(&code);
        row.expires_at = now + rules::INVITATION_HOURS_DEFAULT * 3_600_000;
        if store::renew_invitation(&mut tx, &row.id, &row.code_hash, row.expires_at).await? == 0 {
            return Err(DomainError::conflict("invitation_id", Rule::Custom("is no longer pending")).into());
        }
        if let Some(target) = &row.target_org {
            self.tell_target(&mut tx, &seen.network, target, &row).await?;
        }
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "invitation.resend", &row.id)
            .with("network", &seen.network.id)
            .with("expires_at", row.expires_at);
        self.commit(tx, &[change]).await?;
        Ok(invitation_view(row, now, Some(code)))
    }

    pub async fn revoke_invitation(
        &self,
        caller: &Caller,
        id: &NetworkId,
        inv: &InvitationId,
    ) -> Result<InvitationView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        seen.backbone_admin()?;
        let lock = Some(tx.backend());
        let mut row =
            store::invitation(&mut tx, &seen.network.id, inv.as_str(), lock).await?.ok_or(NOT_FOUND_INVITATION)?;
        let now = self.now();
        if store::answer_invitation(&mut tx, &row.id, "revoked", None, None, now).await? == 0 {
            return Err(DomainError::conflict("invitation_id", Rule::Custom("is no longer pending")).into());
        }
        row.status = "revoked".into();
        row.answered_at = Some(now);
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "invitation.revoke", &row.id)
            .with("network", &seen.network.id);
        self.commit(tx, &[change]).await?;
        Ok(invitation_view(row, now, None))
    }

    /// Invitations sent to the caller's organization and still pending, for its partner admins.
    pub async fn received_invitations(&self, caller: &Caller) -> Result<Vec<InvitationPreview>> {
        let permit = caller.permit_own(Need::Manage(Scope::Partners))?;
        let mut c = self.store.read().await?;
        let rows = store::invitations_for(&mut c, permit.org().as_str()).await?;
        let mut out = Vec::new();
        for r in rows {
            out.push(self.preview_of(&mut c, r).await?);
        }
        Ok(out)
    }

    async fn preview_of(&self, c: &mut AnyConnection, r: InvitationRow) -> Result<InvitationPreview> {
        let network = store::network(c, &r.network_id).await?.ok_or(NOT_FOUND_NETWORK)?;
        let backbone = dir::org(c, &network.org_id).await?.map(|o| o.name).unwrap_or_default();
        let status = InvitationStatus::parse("status", &r.status)?;
        Ok(InvitationPreview {
            expired: status == InvitationStatus::Pending && self.now() >= r.expires_at,
            status,
            id: r.id,
            network_id: network.id,
            network_name: network.name,
            backbone_name: backbone,
            partner_name: r.partner_name,
            partner_type: r.partner_type,
            tier: r.tier,
            expires_at: format_rfc3339(r.expires_at),
            departments: serde_json::from_str(&r.departments).unwrap_or_default(),
        })
    }

    /// The invitation an answer names, as the caller's organization may see it. `lock` (the
    /// write transaction's backend) holds it until the end: two answers, or an answer and a
    /// revocation or a new code, then decide one after the other, the second on what the first left.
    async fn answered(
        &self,
        c: &mut AnyConnection,
        lock: Option<Backend>,
        caller: &Caller,
        answer: &InvitationAnswer,
    ) -> Result<(InvitationRow, OrgId)> {
        let permit = caller.permit_own(Need::Manage(Scope::Partners))?;
        let row = match (&answer.code, &answer.invitation_id) {
            (Some(code), None) => {
                if code.chars().count() > 128 {
                    return Err(DomainError::invalid("code", Rule::TooLong(128)).into());
                }
                let code = code.trim();
                if code.is_empty() {
                    return Err(DomainError::invalid("code", Rule::Required).into());
                }
                store::invitation_by_code(c, &secret_hash(code), lock).await?
            }
            (None, Some(id)) => store::invitation_by_id(c, id.as_str(), lock)
                .await?
                .filter(|r| r.target_org.as_deref() == Some(permit.org().as_str())),
            _ => {
                return Err(DomainError::invalid("code", Rule::Custom("or invitation_id is required, not both")).into());
            }
        };
        let row = row.ok_or(NOT_FOUND_INVITATION)?;
        if row.target_org.as_deref().is_some_and(|t| t != permit.org().as_str()) {
            return Err(NOT_FOUND_INVITATION.into());
        }
        Ok((row, permit.org().clone()))
    }

    pub async fn preview_invitation(&self, caller: &Caller, answer: &InvitationAnswer) -> Result<InvitationPreview> {
        let mut c = self.store.read().await?;
        let (row, _) = self.answered(&mut c, None, caller, answer).await?;
        self.preview_of(&mut c, row).await
    }

    /// The partner admin accepts: the organization becomes a unit with the invitation's type
    /// and tier, the admin its first partner contact and the inviter its backbone owner.
    pub async fn accept_invitation(&self, caller: &Caller, answer: &InvitationAnswer) -> Result<UnitView> {
        let mut tx = self.store.write().await?;
        let lock = Some(tx.backend());
        let (inv, org) = self.answered(&mut tx, lock, caller, answer).await?;
        let network = store::network(&mut tx, &inv.network_id).await?.ok_or(NOT_FOUND_NETWORK)?;
        let partner = dir::org(&mut tx, org.as_str()).await?.ok_or(DomainError::NotFound { what: "organization" })?;
        let now = self.now();
        let state = InvitationState {
            status: InvitationStatus::parse("status", &inv.status)?,
            expires_at: inv.expires_at,
            target_org: inv.target_org.as_deref(),
        };
        rules::check_answer(&state, org.as_str(), partner.certification == "certified", now)?;
        if network.org_id == org.as_str() {
            return Err(DomainError::conflict("organization", Rule::Custom("is the network's own backbone")).into());
        }
        if store::unit_of_org(&mut tx, &network.id, org.as_str()).await?.is_some() {
            return Err(already_a_unit().into());
        }
        let u = UnitRow {
            id: UnitId::from_random(random_id_bytes()).to_string(),
            network_id: network.id.clone(),
            org_id: partner.id.clone(),
            org_name: partner.name.clone(),
            partner_type: inv.partner_type.clone(),
            tier: inv.tier.clone(),
            tags: "[]".into(),
            contract_start: None,
            contract_end: None,
            managed: 0,
            status: "active".into(),
            blocked_reason: None,
            joined_at: now,
            removed_at: None,
            brings: "organization".into(),
        };
        let named: Vec<String> = serde_json::from_str(&inv.departments).unwrap_or_default();
        let tops = rules::departments_to_bring(&tree(&mut tx, &org).await?, &named, answer.department_ids.as_deref())?;
        // Conditional on the invitation still being pending: of two racing accepts, one wins.
        if store::answer_invitation(&mut tx, &inv.id, "accepted", Some(org.as_str()), None, now).await? == 0 {
            return Err(DomainError::conflict("code", Rule::Custom("belongs to an invitation already answered")).into());
        }
        // The first contacts are held: a departure's unit locks cannot reach a unit nobody else
        // sees yet, so someone leaving meanwhile is either gone when read here or finds the post.
        let mut people: Vec<String> = caller.acting().map(|a| a.member.to_string()).into_iter().collect();
        people.push(inv.created_by.clone());
        let active: HashSet<String> = store::hold_members(&mut tx, &people)
            .await?
            .into_iter()
            .filter(|(_, s)| s == "active")
            .map(|(m, _)| m)
            .collect();
        // Another code accepted at once by the same organization: the unique index decides, and
        // the loser hears what the check above tells it a moment later.
        store::insert_unit(&mut tx, &u).await.map_err(|e| match e.unique_violation() {
            Some(_) => already_a_unit().into(),
            None => crate::Error::Store(e),
        })?;
        store::link_invitation(&mut tx, &inv.id, &u.id).await?;
        if tops.is_some() {
            store::set_unit_departments(&mut tx, &u.id, tops.as_deref()).await?;
        }
        // The accepting admin is the unit's first contact when the unit brings them in; otherwise
        // they name one from the people it brings.
        let acting = match caller.acting().filter(|a| active.contains(a.member.as_str())) {
            Some(a) if store::brings(&mut tx, &u.id, a.member.as_str()).await? => Some(a),
            _ => None,
        };
        if let Some(acting) = acting {
            let k = ContactRow {
                id: ContactId::from_random(random_id_bytes()).to_string(),
                unit_id: u.id.clone(),
                side: Side::Partner.as_str().into(),
                member_id: acting.member.to_string(),
                member_name: String::new(),
                account_id: String::new(),
                org_id: String::new(),
                role: "business".into(),
                backup_id: None,
                created_at: now,
            };
            store::insert_contact(&mut tx, &k).await?;
        }
        let inviter = dir::member(&mut tx, &OrgId::from_trusted(network.org_id.clone()), &inv.created_by).await?;
        if let Some(inviter) = inviter.filter(|m| active.contains(&m.id)) {
            self.owner_contact(&mut tx, &u.id, &inviter.id, now).await?;
        }
        let listeners = backbone_listeners(&mut tx, &network, &u.id).await?;
        let params = json!({ "partner": partner.name, "network": network.name });
        notify_all(
            &mut tx,
            &listeners,
            &network.org_id,
            "invitation_accepted",
            &params,
            &unit_link(&network.id, &u.id),
            now,
        )
        .await?;
        let actor = caller.actor();
        let changes = [
            Change::new(&actor, Some(&network.org_id), "invitation.accept", &inv.id)
                .with("network", &network.id)
                .with("organization", &partner.id)
                .with("unit", &u.id),
            Change::new(&actor, Some(&partner.id), "unit.join", &u.id)
                .with("network", &network.id)
                .with("partner_type", &u.partner_type)
                .with("tier", &u.tier)
                .with("departments", &tops),
        ];
        let contacts = store::contacts_of_unit(&mut tx, &u.id).await?;
        let n = store::unit_member_count(&mut tx, &u.id).await?;
        let tops = store::unit_tops(&mut tx, &u.id).await?;
        let u = store::unit_by_id(&mut tx, &u.id).await?.unwrap_or(u);
        self.commit(tx, &changes).await?;
        Ok(unit_view(u, n, contacts, tops))
    }

    pub async fn decline_invitation(&self, caller: &Caller, answer: &InvitationAnswer) -> Result<()> {
        let mut tx = self.store.write().await?;
        let lock = Some(tx.backend());
        let (inv, org) = self.answered(&mut tx, lock, caller, answer).await?;
        let state = InvitationState {
            status: InvitationStatus::parse("status", &inv.status)?,
            expires_at: inv.expires_at,
            target_org: inv.target_org.as_deref(),
        };
        // Declining needs no certification.
        rules::check_answer(&state, org.as_str(), true, self.now())?;
        let network = store::network(&mut tx, &inv.network_id).await?.ok_or(NOT_FOUND_NETWORK)?;
        let now = self.now();
        if store::answer_invitation(&mut tx, &inv.id, "declined", Some(org.as_str()), None, now).await? == 0 {
            return Err(DomainError::conflict("code", Rule::Custom("belongs to an invitation already answered")).into());
        }
        let inviter = dir::member(&mut tx, &OrgId::from_trusted(network.org_id.clone()), &inv.created_by).await?;
        if let Some(m) = inviter.filter(|m| m.status == "active") {
            let partner = dir::org(&mut tx, org.as_str()).await?.map(|o| o.name).unwrap_or_default();
            let params = json!({ "partner": partner, "network": network.name });
            let link = format!("/console/networks/{}", network.id);
            notify_all(&mut tx, &[m.account_id], &network.org_id, "invitation_declined", &params, &link, now).await?;
        }
        let change = Change::new(caller.actor(), Some(&network.org_id), "invitation.decline", &inv.id)
            .with("network", &network.id)
            .with("organization", org.as_str());
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    // ----- contacts -----

    pub async fn add_contact(
        &self,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
        input: &NewContact,
    ) -> Result<ContactView> {
        let mut tx = self.store.write().await?;
        let seen = self.look(&mut tx, caller, id).await?;
        // A member leaving meanwhile locks this unit too: either they are gone when checked
        // below, or their departure finds this post.
        let u = seen.lock_unit(&mut tx, unit).await?;
        let org = match input.side {
            Side::Backbone => {
                seen.backbone_admin()?;
                seen.network.org_id.clone()
            }
            Side::Partner => {
                seen.unit_admin(&u.id)?;
                u.org_id.clone()
            }
        };
        let role = rules::contact_role("role", &input.role)?;
        let check = async |c: &mut AnyConnection, id: &str, field: &str| {
            contact_member(c, input.side, &u.id, &org, id, field).await
        };
        check(&mut tx, input.member_id.as_str(), "member_id").await?;
        if let Some(b) = &input.backup_id {
            if b == &input.member_id {
                return Err(
                    DomainError::invalid("backup_id", Rule::Custom("must be someone other than the contact")).into()
                );
            }
            check(&mut tx, b.as_str(), "backup_id").await?;
        }
        let k = ContactRow {
            id: ContactId::from_random(random_id_bytes()).to_string(),
            unit_id: u.id.clone(),
            side: input.side.as_str().into(),
            member_id: input.member_id.to_string(),
            member_name: String::new(),
            account_id: String::new(),
            org_id: String::new(),
            role,
            backup_id: input.backup_id.as_ref().map(ToString::to_string),
            created_at: self.now(),
        };
        store::insert_contact(&mut tx, &k).await.map_err(|e| unique_to_field(e, "member_id"))?;
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "contact.add", &k.id)
            .with("network", &seen.network.id)
            .with("unit", &u.id)
            .with("side", &k.side)
            .with("member", &k.member_id)
            .with("role", &k.role)
            .with("backup", &k.backup_id);
        let row = store::contact(&mut tx, &u.id, &k.id).await?.ok_or(NOT_FOUND_CONTACT)?;
        self.commit(tx, &[change]).await?;
        Ok(contact_view(row))
    }

    pub async fn update_contact(
        &self,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
        contact: &ContactId,
        patch: &ContactPatch,
    ) -> Result<ContactView> {
        let mut tx = self.store.write().await?;
        let (seen, k) = self.contact_for_change(&mut tx, caller, id, unit, contact).await?;
        let member = patch.member_id.as_ref().map(|m| m.to_string()).unwrap_or(k.member_id.clone());
        let role = match &patch.role {
            Some(r) => rules::contact_role("role", r)?,
            None => k.role.clone(),
        };
        let backup = match patch.backup_id.as_deref() {
            Some("") => None,
            Some(b) => Some(
                MemberId::parse(b).map_err(|_| DomainError::invalid("backup_id", Rule::IdPrefix("mem_")))?.to_string(),
            ),
            None => k.backup_id.clone(),
        };
        let side = Side::parse("side", &k.side)?;
        let check = async |c: &mut AnyConnection, id: &str, field: &str| {
            contact_member(c, side, &k.unit_id, &k.org_id, id, field).await
        };
        if member != k.member_id {
            check(&mut tx, &member, "member_id").await?;
        }
        if let Some(b) = &backup {
            if *b == member {
                return Err(
                    DomainError::invalid("backup_id", Rule::Custom("must be someone other than the contact")).into()
                );
            }
            check(&mut tx, b, "backup_id").await?;
        }
        store::update_contact(&mut tx, &k.id, &member, &role, backup.as_deref())
            .await
            .map_err(|e| unique_to_field(e, "member_id"))?;
        let change = Change::new(caller.actor(), Some(&seen.network.org_id), "contact.update", &k.id)
            .with("network", &seen.network.id)
            .with("unit", &k.unit_id)
            .with("member", &member)
            .with("role", &role)
            .with("backup", &backup);
        let row = store::contact(&mut tx, &k.unit_id, &k.id).await?.ok_or(NOT_FOUND_CONTACT)?;
        self.commit(tx, &[change]).await?;
        Ok(contact_view(row))
    }

    /// Removing a contact hands the post to its backup. Without a backup it may go only if
    /// another contact remains on its side: a unit never ends without a contact.
    pub async fn remove_contact(
        &self,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
        contact: &ContactId,
    ) -> Result<()> {
        let mut tx = self.store.write().await?;
        let (seen, k) = self.contact_for_change(&mut tx, caller, id, unit, contact).await?;
        let now = self.now();
        let actor = caller.actor();
        let backup = match &k.backup_id {
            Some(b) => active_member_of(&mut tx, &k.org_id, b, "backup_id").await.ok(),
            None => None,
        };
        let change = if backup.is_some() {
            hand_over(&mut tx, &k, backup, "removed", &actor, now).await?
        } else {
            let others = store::contacts_of_unit(&mut tx, &k.unit_id).await?;
            if !others.iter().any(|o| o.id != k.id && o.side == k.side) {
                return Err(DomainError::conflict(
                    "contact_id",
                    Rule::Custom("is the last contact on its side; name a backup or another contact first"),
                )
                .into());
            }
            store::delete_contact(&mut tx, &k.id).await?;
            Change::new(&actor, Some(&seen.network.org_id), "contact.remove", &k.id)
                .with("network", &seen.network.id)
                .with("unit", &k.unit_id)
                .with("member", &k.member_id)
        };
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    async fn contact_for_change(
        &self,
        tx: &mut Tx,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
        contact: &ContactId,
    ) -> Result<(Seen, ContactRow)> {
        let seen = self.look(tx, caller, id).await?;
        // The contact is read under the unit's lock: a change, removal or handover of it (or of
        // the side's other contacts) on another server is over before this one decides.
        let u = seen.lock_unit(tx, unit).await?;
        let k = store::contact(tx, &u.id, contact.as_str()).await?.ok_or(NOT_FOUND_CONTACT)?;
        match Side::parse("side", &k.side)? {
            Side::Backbone => seen.backbone_admin()?,
            Side::Partner => seen.unit_admin(&u.id)?,
        }
        Ok((seen, k))
    }

    /// Contact handovers and vacancies of a network, newest first.
    pub async fn handovers(&self, caller: &Caller, id: &NetworkId) -> Result<Vec<Entry>> {
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        seen.backbone_admin()?;
        let q = keiretsu_store::journal::Query {
            org: Some(seen.network.org_id.clone()),
            action: Some("contact".into()),
            limit: 500,
            ..Default::default()
        };
        let entries = keiretsu_store::journal::query(&mut c, &q).await?;
        Ok(entries
            .into_iter()
            .filter(|e| e.action == "contact.handover" || e.action == "contact.vacant")
            .filter(|e| {
                serde_json::from_str::<serde_json::Value>(&e.details)
                    .is_ok_and(|d| d.get("network").and_then(|n| n.as_str()) == Some(seen.network.id.as_str()))
            })
            .collect())
    }

    // ----- the address book -----

    /// The network address book and person picker: the people the caller may see, in name
    /// order, filtered by text and unit.
    pub async fn people(&self, caller: &Caller, id: &NetworkId, q: &PeopleQuery) -> Result<Page<PersonView>> {
        let limit = page_limit(q.limit)?;
        let text = match &q.q {
            Some(t) => optional_text("q", t, 100)?.map(|t| t.to_lowercase()),
            None => None,
        };
        let after = match q.cursor.as_deref() {
            Some(c) => {
                let parts = decode_cursor(c, 2)?;
                Some((parts[0].clone(), parts[1].clone()))
            }
            None => None,
        };
        let unit = match q.unit_id.as_deref() {
            None | Some("") => None,
            Some("backbone") => Some(String::new()),
            Some(u) => Some(UnitId::parse(u)?.to_string()),
        };
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        let scope = match seen.viewer.unit_scope(seen.visibility()) {
            rules::UnitScope::Every => None,
            rules::UnitScope::Only { units, partner_types } => Some((units, partner_types)),
        };
        let departments = match q.department_id.as_deref().filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => {
                let d = DepartmentId::parse(d)?;
                let org = match unit.as_deref() {
                    Some("") => seen.network.org_id.clone(),
                    // A unit out of sight has no departments to filter by.
                    Some(u) => store::unit(&mut c, &seen.network.id, u)
                        .await?
                        .filter(|u| u.status == "active" && seen.sees_unit(u))
                        .map(|u| u.org_id)
                        .unwrap_or_default(),
                    None => {
                        return Err(DomainError::invalid("department_id", Rule::Custom("needs unit_id")).into());
                    }
                };
                Some(self.subtree_of(&mut c, &org, &d).await?)
            }
        };
        let filter = PeopleFilter { scope, unit, departments, text, after, limit: limit + 1 };
        let wide = filter.unit.is_none() && filter.departments.is_none();
        // `more`: the index found a person past the page, even if one of the page left meanwhile.
        let (mut rows, more) = if wide {
            // The index answers wide questions; a scope of few units stays with the SQL plan.
            drop(c);
            let hits = {
                let guard = self.people_index().await?;
                guard
                    .as_ref()
                    .and_then(|g| g.get())
                    .filter(|ix| {
                        filter.scope.as_ref().is_none_or(|(ids, types)| {
                            ix.scoped_units(&seen.network.id, ids, types) as i64 >= store::NARROW_UNITS
                        })
                    })
                    .map(|ix| {
                        ix.page(&people::Query {
                            network: &seen.network.id,
                            scope: filter.scope.as_ref().map(|(a, b)| (a.as_slice(), b.as_slice())),
                            text: filter.text.as_deref(),
                            after: filter.after.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
                            limit: filter.limit as usize,
                        })
                    })
            };
            match hits {
                Some(hits) => self.rows_of(&seen.network.id, hits, limit as usize).await?,
                None => (store::people(&mut *self.store.read().await?, &seen.network.id, &filter).await?, false),
            }
        } else {
            (store::people(&mut c, &seen.network.id, &filter).await?, false)
        };
        let next_cursor = if more || rows.len() as i64 > limit {
            rows.truncate(limit as usize);
            rows.last().map(|p| encode_cursor(&[&p.name, &p.member_id]))
        } else {
            None
        };
        Ok(Page { items: rows.into_iter().map(person_view).collect(), next_cursor })
    }

    /// The rows of the page's people the index chose, in its order, and whether it found more;
    /// the unit is dropped where the person is seen only as a network member. Someone who left
    /// since the index answered is left out.
    async fn rows_of(&self, network: &str, mut hits: Vec<people::Hit>, limit: usize) -> Result<(Vec<PersonRow>, bool)> {
        let more = hits.len() > limit;
        hits.truncate(limit);
        let ids: Vec<String> = hits.iter().map(|h| h.member.clone()).collect();
        let rows = store::people_by_ids(&mut *self.store.read().await?, network, &ids).await?;
        let mut by_id: HashMap<String, PersonRow> = rows.into_iter().map(|r| (r.member_id.clone(), r)).collect();
        let rows = hits
            .into_iter()
            .filter_map(|h| {
                let mut r = by_id.remove(&h.member)?;
                if h.unit.is_none() {
                    (r.unit_id, r.partner_type, r.tier) = (None, None, None);
                }
                Some(r)
            })
            .collect();
        Ok((rows, more))
    }

    /// A department and every department below it, in `org`; an error naming `department_id` otherwise.
    async fn subtree_of(&self, c: &mut AnyConnection, org: &str, d: &DepartmentId) -> Result<Vec<String>> {
        let all = dir::departments(c, &OrgId::from_trusted(org.to_owned())).await?;
        if !all.iter().any(|x| x.id == d.as_str()) {
            return Err(DomainError::invalid("department_id", Rule::Custom("is not a department of that unit")).into());
        }
        let parents = all
            .iter()
            .map(|x| (DepartmentId::from_trusted(x.id.clone()), x.parent_id.clone().map(DepartmentId::from_trusted)))
            .collect();
        Ok(subtree(&parents, d).into_iter().map(String::from).collect())
    }

    /// A unit's department tree, for the address book.
    pub async fn unit_departments(
        &self,
        caller: &Caller,
        id: &NetworkId,
        unit: &UnitId,
    ) -> Result<Vec<DepartmentView>> {
        let u = {
            let mut c = self.store.read().await?;
            let seen = self.look(&mut c, caller, id).await?;
            let u = store::unit(&mut c, &seen.network.id, unit.as_str()).await?.ok_or(NOT_FOUND_UNIT)?;
            if u.status != "active" || !seen.sees_unit(&u) {
                return Err(NOT_FOUND_UNIT.into());
            }
            u
        };
        // The network's rules allowed the read above; the directory lists the tree.
        let all = self.departments(&Caller::System, &OrgId::from_trusted(u.org_id.clone())).await?;
        if u.brings != "departments" {
            return Ok(all);
        }
        // Only the departments brought in, the chosen ones shown as roots, and only heads the
        // unit brings.
        let mut c = self.store.read().await?;
        let brought = store::unit_departments_of(&mut c, &u.id).await?;
        let heads: Vec<String> = all.iter().flat_map(|d| d.head_ids.iter().cloned()).collect();
        let heads: HashSet<String> = store::brought_of(&mut c, &u.id, &heads).await?.into_iter().collect();
        Ok(all
            .into_iter()
            .filter_map(|mut d| {
                if *brought.get(&d.id)? {
                    d.parent_id = None;
                }
                d.head_ids.retain(|h| heads.contains(h));
                Some(d)
            })
            .collect())
    }

    pub async fn person(&self, caller: &Caller, id: &NetworkId, member: &MemberId) -> Result<PersonDetail> {
        let mut c = self.store.read().await?;
        let seen = self.look(&mut c, caller, id).await?;
        let p = store::person(&mut c, &seen.network.id, member.as_str()).await?.ok_or(NOT_FOUND_PERSON)?;
        let scope = seen.viewer.unit_scope(seen.visibility());
        let backbone_contacts = match (&p.unit_id, &p.partner_type) {
            (Some(u), Some(t)) => {
                if !scope.sees(u, t) {
                    return Err(NOT_FOUND_PERSON.into());
                }
                let unit = store::unit(&mut c, &seen.network.id, u).await?.ok_or(NOT_FOUND_PERSON)?;
                if unit.status != "active" && !seen.viewer.is_backbone() {
                    return Err(NOT_FOUND_PERSON.into());
                }
                store::contacts_of_unit(&mut c, u)
                    .await?
                    .into_iter()
                    .filter(|k| k.side == "backbone")
                    .map(contact_view)
                    .collect()
            }
            _ => Vec::new(),
        };
        let mut dep_ids: Vec<String> = dir::departments_of(&mut c, std::slice::from_ref(&p.member_id))
            .await?
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        // Only the departments the unit brings: the others are not the network's to see.
        if let Some(u) = &p.unit_id
            && store::unit_by_id(&mut c, u).await?.is_some_and(|u| u.brings == "departments")
        {
            let brought = store::unit_departments_of(&mut c, u).await?;
            dep_ids.retain(|d| brought.contains_key(d));
        }
        let all = dir::departments(&mut c, &OrgId::from_trusted(p.org_id.clone())).await?;
        let departments = all.into_iter().filter(|d| dep_ids.contains(&d.id)).map(|d| d.name).collect();
        Ok(PersonDetail { person: person_view(p), departments, backbone_contacts })
    }
}
