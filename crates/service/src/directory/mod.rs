//! Directory use cases: organizations, departments, members and their lifecycle.

use std::collections::{HashMap, HashSet};

use keiretsu_domain::directory::{self as rules, Certification, ImportRow, MemberStatus, RowError};
use keiretsu_domain::identity::{Caller, Need, Permit, Role, Scope, normalize_login, validate_password};
use keiretsu_domain::ids::{AccountId, DepartmentId, MemberId, OrgId};
use keiretsu_domain::journal::Change;
use keiretsu_domain::time::format_rfc3339;
use keiretsu_domain::{DomainError, Reason, Rule};
use keiretsu_store::directory::{self as store, AccountRow, DepartmentRow, MemberFilter, MemberRow, OrgRow};
use keiretsu_store::{AnyConnection, Tx};
use serde::{Deserialize, Serialize};

use crate::identity::hash_password;
use crate::page::{Page, decode_cursor, encode_cursor, page_limit};
use crate::reactions::{CertificationChanged, Departure, Joined, Move, TreeChanged};
use crate::{Result, random_id_bytes, unique_to_field};

crate::use_cases!();

mod departments;
mod departure;
mod departures;
mod import;
mod invitations;
mod members;
mod orgs;

pub(crate) use departure::{ReassignReports, ReleaseHeadships, TellSupervisor};
pub use departures::{DEPARTURES_MAX, DepartureView, Handover, Successor};
pub use invitations::{Added, MemberInvitationView, ReceivedInvitationView};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OrgView {
    pub id: String,
    pub name: String,
    pub certification: Certification,
    /// Reserved for the licensing capability.
    pub edition: Option<String>,
    pub created_at: String,
}

impl From<OrgRow> for OrgView {
    fn from(o: OrgRow) -> Self {
        OrgView {
            certification: o.certification,
            id: o.id,
            name: o.name,
            edition: o.edition,
            created_at: format_rfc3339(o.created_at),
        }
    }
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrg {
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::n100)]
    pub name: String,
    pub certification: Option<Certification>,
    /// The first primary admin: an existing login is linked, a new one is created.
    pub admin_login: String,
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::n100)]
    pub admin_name: String,
    /// Required when the admin login is new.
    pub admin_password: Option<String>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificationChange {
    pub certification: Certification,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DepartmentView {
    pub id: String,
    /// Absent for the organization's root department.
    pub parent_id: Option<String>,
    pub name: String,
    pub head_ids: Vec<String>,
    /// Active members directly in this department.
    pub member_count: i64,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::n100)]
    pub name: String,
    /// Defaults to the root department.
    pub parent_id: Option<DepartmentId>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentPatch {
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::optional_n100)]
    pub name: Option<String>,
    /// Moves the department (with everything below it) under another one.
    pub parent_id: Option<DepartmentId>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Heads {
    pub member_ids: Vec<MemberId>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub id: String,
    pub account_id: String,
    pub login: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub employee_no: Option<String>,
    pub supervisor_id: Option<String>,
    pub status: MemberStatus,
    pub role: Role,
    pub department_ids: Vec<String>,
    pub joined_at: String,
    pub left_at: Option<String>,
}

fn member_view(m: MemberRow, department_ids: Vec<String>) -> MemberView {
    MemberView {
        status: m.status,
        role: m.role,
        id: m.id,
        account_id: m.account_id,
        login: m.login,
        name: m.name,
        phone: m.phone,
        email: m.email,
        title: m.title,
        employee_no: m.employee_no,
        supervisor_id: m.supervisor_id,
        department_ids,
        joined_at: format_rfc3339(m.joined_at),
        left_at: m.left_at.map(format_rfc3339),
    }
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::n100)]
    pub name: String,
    /// A new login gets an account and becomes a member at once. The login of an existing account
    /// (a person of another organization) is invited instead: they become a member when they accept.
    pub login: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub employee_no: Option<String>,
    /// Defaults to the root department.
    #[serde(default)]
    pub department_ids: Vec<DepartmentId>,
    pub supervisor_id: Option<MemberId>,
    /// Initial password for a new account (8 to 256 characters). Refused for an existing account:
    /// the person keeps their own.
    pub password: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    #[schema(schema_with = keiretsu_domain::directory::name_schemas::optional_n100)]
    pub name: Option<String>,
    pub title: Option<String>,
    pub employee_no: Option<String>,
    /// An empty string clears the supervisor.
    pub supervisor_id: Option<String>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub department_ids: Vec<DepartmentId>,
}

#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleChange {
    pub role: Role,
}

#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// Part of a name, login, phone, email or employee number.
    pub q: Option<String>,
    pub department_id: Option<String>,
    /// With `department_id`: include every department below it.
    pub include_sub_departments: Option<bool>,
    /// `active` or `left`.
    #[param(pattern = "^(active|left)$")]
    pub status: Option<String>,
    /// The `next_cursor` of the page before.
    #[param(min_length = 1, max_length = 2048, pattern = "^([0-9a-fA-F]{2})+$")]
    pub cursor: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// False when bad rows stopped the import: nothing was changed.
    pub applied: bool,
    pub created: u64,
    pub updated: u64,
    pub skipped: u64,
    /// Rows whose login belongs to an existing account of another organization: the person was
    /// invited and becomes a member on accepting. A row already invited is not invited again.
    pub invited: Vec<InvitedRow>,
    pub errors: Vec<RowError>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InvitedRow {
    pub line: u64,
    pub login: String,
    pub invitation_id: String,
}

/// A member import's progress, for the CLI's progress bar.
pub trait Progress: Sync {
    fn total(&self, rows: u64);
    fn advance(&self, rows: u64);
}

impl Progress for () {
    fn total(&self, _: u64) {}
    fn advance(&self, _: u64) {}
}

const NOT_FOUND_MEMBER: DomainError = DomainError::NotFound { what: "member" };
const NOT_FOUND_DEPARTMENT: DomainError = DomainError::NotFound { what: "department" };

fn supervisor_error() -> DomainError {
    DomainError::invalid("supervisor_id", Rule::Reason(Reason::NotActiveMember))
}

async fn active_member(c: &mut AnyConnection, permit: &Permit, id: &str, field: &str) -> Result<MemberRow> {
    match store::member(c, permit.org(), id).await? {
        Some(m) if m.status == MemberStatus::Active => Ok(m),
        _ if field == "supervisor_id" => Err(supervisor_error().into()),
        _ => Err(NOT_FOUND_MEMBER.into()),
    }
}

async fn root(c: &mut AnyConnection, org: &OrgId) -> Result<DepartmentRow> {
    store::departments(c, org)
        .await?
        .into_iter()
        .find(|d| d.parent_id.is_none())
        .ok_or_else(|| crate::Error::Internal(format!("organization {org} has no root department")))
}

fn parent_map(all: &[DepartmentRow]) -> HashMap<DepartmentId, Option<DepartmentId>> {
    all.iter()
        .map(|d| (DepartmentId::from_trusted(d.id.clone()), d.parent_id.clone().map(DepartmentId::from_trusted)))
        .collect()
}

/// Each department's path below the root (`Manufacturing/Assembly`), to its id.
fn department_paths(all: &[DepartmentRow]) -> HashMap<String, String> {
    let by_id: HashMap<&str, &DepartmentRow> = all.iter().map(|d| (d.id.as_str(), d)).collect();
    let mut out = HashMap::new();
    for d in all {
        let mut parts = vec![];
        let mut at = Some(d);
        while let Some(x) = at {
            if x.parent_id.is_none() || parts.len() > all.len() {
                break;
            }
            parts.push(x.name.as_str());
            at = x.parent_id.as_deref().and_then(|p| by_id.get(p).copied());
        }
        parts.reverse();
        out.insert(parts.join("/"), d.id.clone());
    }
    out
}
