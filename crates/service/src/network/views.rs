//! What the network capability takes in and gives out.

use super::*;

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
    #[schema(schema_with = keiretsu_domain::network::policy_schemas::text)]
    pub description: String,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkPatch {
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::optional_n80)]
    pub name: Option<String>,
    #[schema(schema_with = keiretsu_domain::network::policy_schemas::optional)]
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
    #[schema(schema_with = keiretsu_domain::network::policy_schemas::text)]
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

pub(super) fn network_view(n: NetworkRow, membership: &str) -> NetworkView {
    NetworkView {
        visibility: n.visibility,
        id: n.id,
        organization_id: n.org_id,
        name: n.name,
        description: n.description,
        created_at: format_rfc3339(n.created_at),
        membership: membership.into(),
    }
}

pub(super) fn partner_type_view(t: PartnerTypeRow) -> PartnerTypeView {
    PartnerTypeView {
        builtin: BUILTIN_TYPES.iter().any(|(k, _)| *k == t.key),
        tiers: t.tiers.0,
        key: t.key,
        name: t.name,
        policy: t.policy,
    }
}

pub(super) fn contact_view(k: ContactRow) -> ContactView {
    ContactView {
        side: k.side,
        id: k.id,
        unit_id: k.unit_id,
        member_id: k.member_id,
        member_name: k.member_name,
        organization_id: k.org_id,
        role: k.role,
        backup_id: k.backup_id,
    }
}

pub(super) fn unit_view(
    u: UnitRow,
    member_count: i64,
    contacts: Vec<ContactRow>,
    tops: Vec<(String, String)>,
) -> UnitView {
    UnitView {
        departments: tops.into_iter().map(|(id, name)| BroughtDepartment { id, name }).collect(),
        brings: u.brings.as_str().into(),
        tags: u.tags.0,
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
        status: u.status.as_str().into(),
        blocked_reason: u.blocked_reason,
        member_count,
    }
}

pub(super) fn invitation_view(i: InvitationRow, now: Millis, code: Option<String>) -> InvitationView {
    let status = i.status;
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
        departments: i.departments.0,
    }
}

pub(super) fn person_view(p: PersonRow) -> PersonView {
    PersonView {
        member_id: p.member_id,
        name: p.name,
        title: p.title,
        status: p.status.as_str().into(),
        organization_id: p.org_id,
        organization_name: p.org_name,
        unit_id: p.unit_id,
        partner_type: p.partner_type,
        tier: p.tier,
    }
}

pub(super) fn unit_link(network: &str, unit: &str) -> String {
    format!("/console/networks/{network}/units/{unit}")
}

/// A network a member was added to (no unit), or a contact post they hold or back up on a unit.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberPost {
    pub network_id: String,
    pub network_name: String,
    pub unit_id: Option<String>,
    /// The unit's organization's name.
    pub unit_name: Option<String>,
    /// `backbone` or `partner`: which side of the unit the post is on.
    pub side: Option<String>,
    pub role: Option<String>,
    /// The member backs the post up rather than holds it.
    pub backup: bool,
}
