//! Directory use cases: organizations, departments, members and their lifecycle.

use std::collections::{HashMap, HashSet};

use keiretsu_domain::directory::{self as rules, Certification, ImportRow, MemberStatus, RowError};
use keiretsu_domain::identity::{Caller, Need, Permit, Role, Scope, normalize_login, validate_password};
use keiretsu_domain::ids::{AccountId, DepartmentId, MemberId, OrgId};
use keiretsu_domain::journal::Change;
use keiretsu_domain::time::format_rfc3339;
use keiretsu_domain::{DomainError, Rule};
use keiretsu_store::directory::{self as store, AccountRow, DepartmentRow, MemberFilter, MemberRow, OrgRow};
use keiretsu_store::{AnyConnection, Tx};
use serde::{Deserialize, Serialize};

use crate::identity::hash_password;
use crate::page::{Page, decode_cursor, encode_cursor, page_limit};
use crate::reactions::{CertificationChanged, Departure, Joined, Move};
use crate::{Result, random_id_bytes, unique_to_field};

crate::use_cases!();

mod departure;

pub(crate) use departure::{ReassignReports, ReleaseHeadships, TellSupervisor};

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
            certification: Certification::parse("certification", &o.certification).unwrap_or(Certification::Unverified),
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
        status: if m.status == "left" { MemberStatus::Left } else { MemberStatus::Active },
        role: Role::decode(&m.role),
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
    /// An existing login is linked (one account, several organizations); a new one is created.
    pub login: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub employee_no: Option<String>,
    /// Defaults to the root department.
    #[serde(default)]
    pub department_ids: Vec<DepartmentId>,
    pub supervisor_id: Option<MemberId>,
    /// Initial password for a new account (8 to 256 characters). Ignored for an existing login.
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
    pub errors: Vec<RowError>,
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

impl Cases<'_> {
    // ----- organizations (the platform operator) -----

    pub async fn create_org(&self, caller: &Caller, input: &NewOrg) -> Result<OrgView> {
        let permit = caller.operator()?;
        let name = rules::name("name", &input.name, rules::NAME_MAX)?;
        let login = normalize_login("admin_login", &input.admin_login)?;
        let admin_name = rules::name("admin_name", &input.admin_name, rules::NAME_MAX)?;
        if let Some(p) = &input.admin_password {
            validate_password("admin_password", p)?;
        }
        let hash = match &input.admin_password {
            Some(p) => Some(hash_password(&self.settings, p).await?),
            None => None,
        };
        let now = self.now();
        let org = OrgRow {
            id: OrgId::from_random(random_id_bytes()).to_string(),
            name,
            certification: input.certification.unwrap_or(Certification::Unverified).as_str().into(),
            edition: None,
            created_at: now,
        };
        let mut tx = self.store.write().await?;
        store::insert_org(&mut tx, &org).await?;
        let root = DepartmentRow {
            id: DepartmentId::from_random(random_id_bytes()).to_string(),
            org_id: org.id.clone(),
            parent_id: None,
            name: org.name.clone(),
            created_at: now,
        };
        store::insert_department(&mut tx, &root).await?;
        let account = match store::account_by_login(&mut tx, &login).await? {
            Some(a) => a.id,
            None => {
                let hash = hash.ok_or(DomainError::invalid("admin_password", Rule::Required))?;
                self.new_account(&mut tx, &login, &admin_name, None, None, Some(hash)).await?
            }
        };
        let admin = MemberRow {
            id: MemberId::from_random(random_id_bytes()).to_string(),
            org_id: org.id.clone(),
            account_id: account,
            login,
            name: admin_name,
            phone: None,
            email: None,
            title: None,
            employee_no: None,
            supervisor_id: None,
            status: "active".into(),
            role: Role::PrimaryAdmin.encode(),
            joined_at: now,
            left_at: None,
        };
        store::insert_member(&mut tx, &admin).await?;
        store::set_member_departments(&mut tx, &admin.id, std::slice::from_ref(&root.id)).await?;
        let changes = [
            Change::new(permit.actor(), None, "org.create", &org.id)
                .with("name", &org.name)
                .with("certification", &org.certification),
            Change::new(permit.actor(), Some(&org.id), "member.join", &admin.id)
                .with("name", &admin.name)
                .with("role", &admin.role),
        ];
        self.commit(tx, &changes).await?;
        Ok(org.into())
    }

    pub async fn orgs(&self, caller: &Caller) -> Result<Vec<OrgView>> {
        caller.operator()?;
        Ok(store::orgs(&mut *self.store.read().await?).await?.into_iter().map(Into::into).collect())
    }

    /// The organization itself, for its members; the operator sees every organization.
    pub async fn org(&self, caller: &Caller, org: &OrgId) -> Result<OrgView> {
        if caller.operator().is_err() {
            self.permit(caller, org, Need::Read).await?;
        }
        let row = store::org(&mut *self.store.read().await?, org.as_str()).await?;
        Ok(row.ok_or(DomainError::NotFound { what: "organization" })?.into())
    }

    pub async fn set_certification(&self, caller: &Caller, org: &OrgId, to: Certification) -> Result<OrgView> {
        let permit = caller.operator()?;
        let mut tx = self.store.write().await?;
        let before = store::org(&mut tx, org.as_str()).await?.ok_or(DomainError::NotFound { what: "organization" })?;
        store::set_certification(&mut tx, org.as_str(), to.as_str()).await?;
        let change = Change::new(permit.actor(), None, "org.certify", org.as_str())
            .with("from", &before.certification)
            .with("to", to.as_str());
        let certified = to == Certification::Certified;
        let mut changes = vec![change];
        let event =
            CertificationChanged { org: org.to_string(), certified, actor: permit.actor().to_owned(), at: self.now() };
        changes.extend(self.reactions.certification.run(&mut tx, &event).await?);
        self.commit(tx, &changes).await?;
        Ok(OrgView { certification: to, ..before.into() })
    }

    /// Members who joined, came back or were imported: every capability that reacts hears it.
    async fn joined(&self, tx: &mut Tx, org: &OrgId, members: Vec<String>, actor: &str) -> Result<Vec<Change>> {
        let event = Joined { org: org.to_string(), members, actor: actor.to_owned(), at: self.now() };
        self.reactions.joined.run(tx, &event).await
    }

    // ----- departments -----

    pub async fn departments(&self, caller: &Caller, org: &OrgId) -> Result<Vec<DepartmentView>> {
        let permit = self.permit(caller, org, Need::Read).await?;
        let mut c = self.store.read().await?;
        let rows = store::departments(&mut c, permit.org()).await?;
        let mut heads: HashMap<String, Vec<String>> = HashMap::new();
        for (d, m) in store::heads(&mut c, permit.org()).await? {
            heads.entry(d).or_default().push(m);
        }
        let counts: HashMap<String, i64> =
            store::department_member_counts(&mut c, permit.org()).await?.into_iter().collect();
        Ok(rows
            .into_iter()
            .map(|d| DepartmentView {
                head_ids: heads.remove(&d.id).unwrap_or_default(),
                member_count: counts.get(&d.id).copied().unwrap_or(0),
                id: d.id,
                parent_id: d.parent_id,
                name: d.name,
            })
            .collect())
    }

    pub async fn create_department(
        &self,
        caller: &Caller,
        org: &OrgId,
        input: &NewDepartment,
    ) -> Result<DepartmentView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let name = rules::name("name", &input.name, rules::NAME_MAX)?;
        let mut tx = self.store.write().await?;
        let parent = match &input.parent_id {
            Some(p) => store::department(&mut tx, permit.org(), p.as_str())
                .await?
                .ok_or(DomainError::invalid("parent_id", Rule::Custom("is not a department of this organization")))?,
            None => root(&mut tx, permit.org()).await?,
        };
        let row = DepartmentRow {
            id: DepartmentId::from_random(random_id_bytes()).to_string(),
            org_id: org.to_string(),
            parent_id: Some(parent.id.clone()),
            name,
            created_at: self.now(),
        };
        store::insert_department(&mut tx, &row).await?;
        // A new department below one a network unit brings in is brought in too.
        keiretsu_store::network::refresh_unit_departments(&mut tx, org.as_str()).await?;
        let change = Change::new(permit.actor(), Some(org.as_str()), "department.create", &row.id)
            .with("name", &row.name)
            .with("parent_id", &row.parent_id);
        self.commit(tx, &[change]).await?;
        Ok(DepartmentView { id: row.id, parent_id: row.parent_id, name: row.name, head_ids: vec![], member_count: 0 })
    }

    /// Renames and/or moves a department; a move may not put it inside itself.
    pub async fn update_department(
        &self,
        caller: &Caller,
        org: &OrgId,
        id: &DepartmentId,
        patch: &DepartmentPatch,
    ) -> Result<()> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let name = patch.name.as_deref().map(|n| rules::name("name", n, rules::NAME_MAX)).transpose()?;
        let mut tx = self.store.write().await?;
        let all = store::departments(&mut tx, permit.org()).await?;
        let current = all.iter().find(|d| d.id == id.as_str()).ok_or(NOT_FOUND_DEPARTMENT)?;
        let mut parent = current.parent_id.clone();
        if let Some(new_parent) = &patch.parent_id {
            if current.parent_id.is_none() {
                return Err(DomainError::invalid("parent_id", Rule::Custom("cannot move the root department")).into());
            }
            if !all.iter().any(|d| d.id == new_parent.as_str()) {
                return Err(DomainError::invalid(
                    "parent_id",
                    Rule::Custom("is not a department of this organization"),
                )
                .into());
            }
            rules::check_move(&parent_map(&all), id, new_parent)?;
            parent = Some(new_parent.to_string());
        }
        let name = name.unwrap_or_else(|| current.name.clone());
        let mut change = Change::new(permit.actor(), Some(org.as_str()), "department.update", id.as_str());
        if name != current.name {
            change = change.with("name", [&current.name, &name]);
        }
        if parent != current.parent_id {
            change = change.with("parent_id", [&current.parent_id, &parent]);
        }
        // A move may take people into or out of what a network unit brings in; a rename cannot.
        let moved = parent != current.parent_id;
        let event = Move {
            org: org.to_string(),
            member: None,
            field: "parent_id",
            actor: permit.actor().to_owned(),
            at: self.now(),
        };
        let moving = if moved { Some(self.reactions.moves.before(&mut tx, &event).await?) } else { None };
        store::update_department(&mut tx, permit.org(), id.as_str(), &name, parent.as_deref()).await?;
        let mut changes = vec![change];
        if let Some(moving) = moving {
            changes.extend(moving.settle(&mut tx, &event).await?);
        }
        self.commit(tx, &changes).await?;
        Ok(())
    }

    /// Deletes a department that has no sub-departments and no active members.
    pub async fn delete_department(&self, caller: &Caller, org: &OrgId, id: &DepartmentId) -> Result<()> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let mut tx = self.store.write().await?;
        let d = store::department(&mut tx, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_DEPARTMENT)?;
        if d.parent_id.is_none() {
            return Err(DomainError::conflict("department_id", Rule::Custom("is the root department")).into());
        }
        let (children, members) = store::department_contents(&mut tx, permit.org(), id.as_str()).await?;
        if children > 0 {
            return Err(DomainError::conflict("department_id", Rule::NotEmpty("sub-departments")).into());
        }
        if members > 0 {
            return Err(DomainError::conflict("department_id", Rule::NotEmpty("members")).into());
        }
        keiretsu_store::network::forget_department(&mut tx, id.as_str()).await?;
        store::delete_department(&mut tx, permit.org(), id.as_str()).await?;
        self.commit(
            tx,
            &[Change::new(permit.actor(), Some(org.as_str()), "department.delete", id.as_str()).with("name", &d.name)],
        )
        .await?;
        Ok(())
    }

    /// Sets a department's heads: active members of the organization.
    pub async fn set_heads(&self, caller: &Caller, org: &OrgId, id: &DepartmentId, heads: &Heads) -> Result<()> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let mut tx = self.store.write().await?;
        store::department(&mut tx, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_DEPARTMENT)?;
        let ids: Vec<String> =
            heads.member_ids.iter().map(ToString::to_string).collect::<HashSet<_>>().into_iter().collect();
        let found = store::members_by_ids(&mut tx, permit.org(), &ids).await?;
        if found.len() != ids.len() || found.iter().any(|m| m.status != "active") {
            return Err(DomainError::invalid(
                "member_ids",
                Rule::Custom("must be active members of this organization"),
            )
            .into());
        }
        let mut ids = ids;
        ids.sort();
        store::set_heads(&mut tx, id.as_str(), &ids).await?;
        self.commit(
            tx,
            &[Change::new(permit.actor(), Some(org.as_str()), "department.heads", id.as_str()).with("heads", &ids)],
        )
        .await?;
        Ok(())
    }

    // ----- members -----

    async fn new_account(
        &self,
        tx: &mut Tx,
        login: &str,
        name: &str,
        phone: Option<String>,
        email: Option<String>,
        password_hash: Option<String>,
    ) -> Result<String> {
        let row = AccountRow {
            id: AccountId::from_random(random_id_bytes()).to_string(),
            login: login.to_owned(),
            name: name.to_owned(),
            phone,
            email,
            password_hash,
            operator: 0,
            disabled: 0,
            lang: "en".into(),
            created_at: self.now(),
        };
        store::insert_account(tx, &row).await.map_err(|e| unique_to_field(e, "login"))?;
        Ok(row.id)
    }

    pub async fn add_member(&self, caller: &Caller, org: &OrgId, input: &NewMember) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let name = rules::name("name", &input.name, rules::NAME_MAX)?;
        let login = normalize_login("login", &input.login)?;
        let phone = rules::phone("phone", input.phone.as_deref().unwrap_or(""))?;
        let email = rules::email("email", input.email.as_deref().unwrap_or(""))?;
        let title = rules::optional_text("title", input.title.as_deref().unwrap_or(""), rules::TITLE_MAX)?;
        let employee_no = rules::employee_no("employee_no", input.employee_no.as_deref().unwrap_or(""))?;
        if let Some(p) = &input.password {
            validate_password("password", p)?;
        }
        // Hash before taking the write lock: argon2 is deliberately slow.
        let hash = match &input.password {
            Some(p) => Some(hash_password(&self.settings, p).await?),
            None => None,
        };
        let mut tx = self.store.write().await?;
        let departments = self.check_departments(&mut tx, &permit, &input.department_ids).await?;
        if let Some(s) = &input.supervisor_id {
            active_member(&mut tx, &permit, s.as_str(), "supervisor_id").await?;
        }
        let (account, mut account_phone, mut account_email) = match store::account_by_login(&mut tx, &login).await? {
            Some(a) => {
                if store::member_of_account(&mut tx, permit.org(), &a.id).await?.is_some() {
                    return Err(DomainError::conflict(
                        "login",
                        Rule::Custom("is already a member of this organization"),
                    )
                    .into());
                }
                // The account's own contact details belong to the person, not to this organization.
                (a.id, a.phone, a.email)
            }
            None => (self.new_account(&mut tx, &login, &name, phone.clone(), email.clone(), hash).await?, phone, email),
        };
        let row = MemberRow {
            id: MemberId::from_random(random_id_bytes()).to_string(),
            org_id: org.to_string(),
            account_id: account,
            login,
            name,
            phone: account_phone.take(),
            email: account_email.take(),
            title,
            employee_no,
            supervisor_id: input.supervisor_id.as_ref().map(ToString::to_string),
            status: "active".into(),
            role: Role::Member.encode(),
            joined_at: self.now(),
            left_at: None,
        };
        store::insert_member(&mut tx, &row).await.map_err(|e| unique_to_field(e, "employee_no"))?;
        store::set_member_departments(&mut tx, &row.id, &departments).await?;
        let mut changes = vec![
            Change::new(permit.actor(), Some(org.as_str()), "member.join", &row.id)
                .with("name", &row.name)
                .with("login", &row.login)
                .with("department_ids", &departments),
        ];
        changes.extend(self.joined(&mut tx, org, vec![row.id.clone()], permit.actor()).await?);
        self.commit(tx, &changes).await?;
        Ok(member_view(row, departments))
    }

    /// Active members of the organization, counted by the database.
    pub async fn member_count(&self, caller: &Caller, org: &OrgId) -> Result<i64> {
        let permit = self.permit(caller, org, Need::Read).await?;
        Ok(store::count_members(&mut *self.store.read().await?, permit.org()).await?)
    }

    pub async fn member(&self, caller: &Caller, org: &OrgId, id: &MemberId) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Read).await?;
        let mut c = self.store.read().await?;
        let m = store::member(&mut c, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_MEMBER)?;
        let deps =
            store::departments_of(&mut c, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
        Ok(member_view(m, deps))
    }

    pub async fn update_member(
        &self,
        caller: &Caller,
        org: &OrgId,
        id: &MemberId,
        patch: &MemberPatch,
    ) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let mut tx = self.store.write().await?;
        let mut m = store::member_for_update(&mut tx, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_MEMBER)?;
        let mut change = Change::new(permit.actor(), Some(org.as_str()), "member.update", id.as_str());
        if let Some(n) = &patch.name {
            let n = rules::name("name", n, rules::NAME_MAX)?;
            change = change.with("name", [&m.name, &n]);
            m.name = n;
        }
        if let Some(t) = &patch.title {
            let t = rules::optional_text("title", t, rules::TITLE_MAX)?;
            change = change.with("title", [&m.title, &t]);
            m.title = t;
        }
        if let Some(e) = &patch.employee_no {
            let e = rules::employee_no("employee_no", e)?;
            change = change.with("employee_no", [&m.employee_no, &e]);
            m.employee_no = e;
        }
        if let Some(s) = &patch.supervisor_id {
            let s = if s.is_empty() { None } else { Some(MemberId::parse(s).map_err(|_| supervisor_error())?) };
            if let Some(s) = &s {
                if s == id {
                    return Err(
                        DomainError::invalid("supervisor_id", Rule::Custom("cannot be the member themself")).into()
                    );
                }
                active_member(&mut tx, &permit, s.as_str(), "supervisor_id").await?;
            }
            let s = s.map(String::from);
            change = change.with("supervisor_id", [&m.supervisor_id, &s]);
            m.supervisor_id = s;
        }
        store::update_member(&mut tx, &m).await.map_err(|e| unique_to_field(e, "employee_no"))?;
        let deps =
            store::departments_of(&mut tx, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
        self.commit(tx, &[change]).await?;
        Ok(member_view(m, deps))
    }

    pub async fn transfer_member(
        &self,
        caller: &Caller,
        org: &OrgId,
        id: &MemberId,
        to: &Transfer,
    ) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        if to.department_ids.is_empty() {
            return Err(DomainError::invalid("department_ids", Rule::Required).into());
        }
        let mut tx = self.store.write().await?;
        let m = store::member_for_update(&mut tx, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_MEMBER)?;
        let before: Vec<String> =
            store::departments_of(&mut tx, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
        let after = self.check_departments(&mut tx, &permit, &to.department_ids).await?;
        let event = Move {
            org: org.to_string(),
            member: Some(m.id.clone()),
            field: "department_ids",
            actor: permit.actor().to_owned(),
            at: self.now(),
        };
        let moving = self.reactions.moves.before(&mut tx, &event).await?;
        store::set_member_departments(&mut tx, &m.id, &after).await?;
        let mut changes = vec![
            Change::new(permit.actor(), Some(org.as_str()), "member.transfer", id.as_str())
                .with("from", &before)
                .with("to", &after),
        ];
        changes.extend(moving.settle(&mut tx, &event).await?);
        self.commit(tx, &changes).await?;
        Ok(member_view(m, after))
    }

    /// A member leaves: one transaction with every registered departure reaction.
    pub async fn leave(&self, caller: &Caller, org: &OrgId, id: &MemberId) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let mut tx = self.store.write().await?;
        let mut m = store::member_for_update(&mut tx, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_MEMBER)?;
        if m.status == "left" {
            return Err(DomainError::conflict("member_id", Rule::Custom("has already left")).into());
        }
        if Role::decode(&m.role) == Role::PrimaryAdmin {
            return Err(DomainError::conflict(
                "member_id",
                Rule::Custom("is the primary admin; transfer the primary admin role first"),
            )
            .into());
        }
        let departure =
            Departure { org: org.clone(), member: m.clone(), actor: permit.actor().to_owned(), at: self.now() };
        m.status = "left".into();
        m.left_at = Some(departure.at);
        m.role = Role::Member.encode();
        store::update_member(&mut tx, &m).await?;
        let mut changes =
            vec![Change::new(permit.actor(), Some(org.as_str()), "member.leave", id.as_str()).with("name", &m.name)];
        changes.extend(self.reactions.departure.run(&mut tx, &departure).await?);
        let deps =
            store::departments_of(&mut tx, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
        self.commit(tx, &changes).await?;
        Ok(member_view(m, deps))
    }

    pub async fn rejoin(&self, caller: &Caller, org: &OrgId, id: &MemberId) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let mut tx = self.store.write().await?;
        let mut m = store::member_for_update(&mut tx, permit.org(), id.as_str()).await?.ok_or(NOT_FOUND_MEMBER)?;
        if m.status == "active" {
            return Err(DomainError::conflict("member_id", Rule::Custom("is already active")).into());
        }
        m.status = "active".into();
        m.left_at = None;
        m.joined_at = self.now();
        store::update_member(&mut tx, &m).await?;
        let deps =
            store::departments_of(&mut tx, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
        let mut changes = vec![Change::new(permit.actor(), Some(org.as_str()), "member.rejoin", id.as_str())];
        changes.extend(self.joined(&mut tx, org, vec![m.id.clone()], permit.actor()).await?);
        self.commit(tx, &changes).await?;
        Ok(member_view(m, deps))
    }

    /// Only the primary admin assigns roles. Making someone primary admin transfers the role:
    /// the previous primary admin becomes a sub-admin with every scope.
    pub async fn set_role(&self, caller: &Caller, org: &OrgId, id: &MemberId, role: &Role) -> Result<MemberView> {
        let permit = self.permit(caller, org, Need::Primary).await?;
        let mut tx = self.store.write().await?;
        let mut m = active_member(&mut tx, &permit, id.as_str(), "member_id").await?;
        let mut changes = vec![];
        if Role::decode(&m.role) == Role::PrimaryAdmin && *role != Role::PrimaryAdmin {
            return Err(DomainError::conflict(
                "role",
                Rule::Custom("the primary admin keeps the role until it is transferred to someone else"),
            )
            .into());
        }
        if *role == Role::PrimaryAdmin {
            // One primary admin per organization: whoever holds the role hands it over.
            let holders = store::primary_admin_members(&mut tx, permit.org()).await?;
            for mut previous in store::members_by_ids(&mut tx, permit.org(), &holders).await? {
                if previous.id == m.id {
                    continue;
                }
                previous.role = Role::SubAdmin(Scope::ALL.to_vec()).encode();
                store::update_member(&mut tx, &previous).await?;
                changes.push(
                    Change::new(permit.actor(), Some(org.as_str()), "member.role", &previous.id)
                        .with("role", &previous.role),
                );
            }
        }
        m.role = role.encode();
        store::update_member(&mut tx, &m).await?;
        changes.push(Change::new(permit.actor(), Some(org.as_str()), "member.role", &m.id).with("role", &m.role));
        let deps =
            store::departments_of(&mut tx, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
        self.commit(tx, &changes).await?;
        Ok(member_view(m, deps))
    }

    /// Search and filter, ordered by name then id; the cursor continues after the last one shown.
    pub async fn members(&self, caller: &Caller, org: &OrgId, q: &MemberQuery) -> Result<Page<MemberView>> {
        let permit = self.permit(caller, org, Need::Read).await?;
        let limit = page_limit(q.limit)?;
        let mut c = self.store.read().await?;
        let departments = match &q.department_id {
            Some(d) => {
                let d = DepartmentId::parse(d)?;
                let all = store::departments(&mut c, permit.org()).await?;
                if !all.iter().any(|x| x.id == d.as_str()) {
                    return Err(DomainError::invalid(
                        "department_id",
                        Rule::Custom("is not a department of this organization"),
                    )
                    .into());
                }
                let ids = if q.include_sub_departments.unwrap_or(false) {
                    rules::subtree(&parent_map(&all), &d)
                } else {
                    vec![d]
                };
                Some(ids.into_iter().map(String::from).collect())
            }
            None => None,
        };
        let status = q.status.as_deref().map(|s| MemberStatus::parse("status", s)).transpose()?;
        let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
        if text.as_ref().is_some_and(|t| t.chars().count() > 100) {
            return Err(DomainError::invalid("q", Rule::TooLong(100)).into());
        }
        let after = q.cursor.as_deref().map(|c| decode_cursor(c, 2)).transpose()?.map(|mut p| {
            let id = p.pop().unwrap_or_default();
            (p.pop().unwrap_or_default(), id)
        });
        let filter =
            MemberFilter { text, departments, status: status.map(|s| s.as_str().to_owned()), after, limit: limit + 1 };
        let mut rows = store::list_members(&mut c, self.store.backend(), permit.org(), &filter).await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let ids: Vec<String> = rows.iter().map(|m| m.id.clone()).collect();
        let mut deps: HashMap<String, Vec<String>> = HashMap::new();
        for (m, d) in store::departments_of(&mut c, &ids).await? {
            deps.entry(m).or_default().push(d);
        }
        let next_cursor = more.then(|| rows.last().map(|m| encode_cursor(&[&m.name, &m.id]))).flatten();
        let items = rows
            .into_iter()
            .map(|m| {
                let d = deps.remove(&m.id).unwrap_or_default();
                member_view(m, d)
            })
            .collect();
        Ok(Page { items, next_cursor })
    }

    /// Imports members from CSV. Every row is checked first; with any bad row nothing changes
    /// unless `skip_bad` is set. Rows are matched on employee number, so a second import of the
    /// same file changes nothing.
    pub async fn import_members(
        &self,
        caller: &Caller,
        org: &OrgId,
        csv: &str,
        skip_bad: bool,
        progress: &dyn Progress,
    ) -> Result<ImportReport> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let (rows, mut errors) = rules::parse_import(csv)?;
        progress.total(rows.len() as u64 + errors.len() as u64);
        let backend = self.store.backend();
        let mut tx = self.store.write().await?;
        let plan = self.plan_import(&mut tx, &permit, rows, &mut errors).await?;
        errors.sort_by_key(|e| e.line);
        let skipped = errors.len() as u64;
        if !errors.is_empty() && !skip_bad {
            return Ok(ImportReport { applied: false, created: 0, updated: 0, skipped: 0, errors });
        }
        progress.advance(skipped);
        let (created, updated) = (plan.new_members.len() as u64, plan.updates.len() as u64);
        let mut changes = Vec::with_capacity((created + updated) as usize);
        store::insert_accounts(&mut tx, backend, &plan.new_accounts).await?;
        for chunk in plan.new_members.chunks(1000) {
            store::insert_members(&mut tx, backend, chunk).await?;
            for (m, deps) in chunk {
                changes.push(
                    Change::new(permit.actor(), Some(org.as_str()), "member.join", &m.id)
                        .with("name", &m.name)
                        .with("login", &m.login)
                        .with("department_ids", deps)
                        .with("source", "import"),
                );
            }
            progress.advance(chunk.len() as u64);
        }
        for (m, deps) in &plan.updates {
            store::update_member(&mut tx, m).await?;
            if let Some(deps) = deps {
                store::set_member_departments(&mut tx, &m.id, deps).await?;
            }
            changes.push(
                Change::new(permit.actor(), Some(org.as_str()), "member.update", &m.id)
                    .with("name", &m.name)
                    .with("source", "import"),
            );
            progress.advance(1);
        }
        progress.advance(plan.unchanged);
        let touched: Vec<String> = plan
            .new_members
            .iter()
            .map(|(m, _)| m.id.clone())
            .chain(plan.updates.iter().map(|(m, _)| m.id.clone()))
            .collect();
        changes.extend(self.joined(&mut tx, org, touched, permit.actor()).await?);
        self.commit(tx, &changes).await?;
        if created + updated >= 1000 {
            self.store.analyze().await?;
        }
        Ok(ImportReport { applied: true, created, updated, skipped, errors })
    }

    async fn plan_import(
        &self,
        tx: &mut Tx,
        permit: &Permit,
        rows: Vec<ImportRow>,
        errors: &mut Vec<RowError>,
    ) -> Result<ImportPlan> {
        let org = permit.org();
        let all = store::departments(tx, org).await?;
        let paths = department_paths(&all);
        let root_id = all.iter().find(|d| d.parent_id.is_none()).map(|d| d.id.clone()).unwrap_or_default();
        let existing: HashMap<String, (String, String)> =
            store::employee_numbers(tx, org).await?.into_iter().map(|(no, id, login)| (no, (id, login))).collect();
        let logins: Vec<String> = rows.iter().map(|r| r.login.clone()).collect();
        let accounts: HashMap<String, (String, Option<String>)> =
            store::accounts_by_logins(tx, org, &logins).await?.into_iter().map(|(l, a, m)| (l, (a, m))).collect();
        let mut plan = ImportPlan::default();
        let now = self.now();
        for row in rows {
            let bad = |field: &str, reason: String| RowError { line: row.line, field: field.into(), reason };
            let department = match row.department.as_deref() {
                None => None,
                Some(path) => match paths.get(&rules::department_path(path).join("/")) {
                    Some(id) => Some(id.clone()),
                    None => {
                        errors.push(bad("department", format!("no department at path `{path}`")));
                        continue;
                    }
                },
            };
            if let Some((member_id, login)) = existing.get(&row.employee_no) {
                if *login != row.login {
                    errors.push(bad(
                        "login",
                        format!("differs from `{login}`, the login of employee {}", row.employee_no),
                    ));
                    continue;
                }
                let Some(mut m) = store::member(tx, org, member_id).await? else {
                    continue;
                };
                let deps = department.map(|d| vec![d]);
                let current: Vec<String> =
                    store::departments_of(tx, std::slice::from_ref(&m.id)).await?.into_iter().map(|(_, d)| d).collect();
                if m.name == row.name && m.title == row.title && deps.as_ref().is_none_or(|d| *d == current) {
                    plan.unchanged += 1;
                    continue;
                }
                m.name = row.name;
                m.title = row.title;
                plan.updates.push((m, deps));
                continue;
            }
            let account_id = match accounts.get(&row.login) {
                Some((_, Some(_))) => {
                    errors.push(bad(
                        "login",
                        "is already a member of this organization under another employee number".into(),
                    ));
                    continue;
                }
                Some((account, None)) => account.clone(),
                None => {
                    let account = AccountRow {
                        id: AccountId::from_random(random_id_bytes()).to_string(),
                        login: row.login.clone(),
                        name: row.name.clone(),
                        phone: row.phone.clone(),
                        email: row.email.clone(),
                        password_hash: None,
                        operator: 0,
                        disabled: 0,
                        lang: "en".into(),
                        created_at: now,
                    };
                    let id = account.id.clone();
                    plan.new_accounts.push(account);
                    id
                }
            };
            let member = MemberRow {
                id: MemberId::from_random(random_id_bytes()).to_string(),
                org_id: org.to_string(),
                account_id,
                login: row.login,
                name: row.name,
                phone: row.phone,
                email: row.email,
                title: row.title,
                employee_no: Some(row.employee_no),
                supervisor_id: None,
                status: "active".into(),
                role: Role::Member.encode(),
                joined_at: now,
                left_at: None,
            };
            plan.new_members.push((member, vec![department.unwrap_or_else(|| root_id.clone())]));
        }
        Ok(plan)
    }

    /// Department ids given by a user, checked to be this organization's; the root if none.
    async fn check_departments(
        &self,
        c: &mut AnyConnection,
        permit: &Permit,
        ids: &[DepartmentId],
    ) -> Result<Vec<String>> {
        let all = store::departments(c, permit.org()).await?;
        if ids.is_empty() {
            return Ok(all.iter().filter(|d| d.parent_id.is_none()).map(|d| d.id.clone()).collect());
        }
        let mut out: Vec<String> = Vec::new();
        for id in ids {
            if !all.iter().any(|d| d.id == id.as_str()) {
                return Err(DomainError::invalid(
                    "department_ids",
                    Rule::Custom("must be departments of this organization"),
                )
                .into());
            }
            if !out.iter().any(|o| o == id.as_str()) {
                out.push(id.to_string());
            }
        }
        out.sort();
        Ok(out)
    }
}

#[derive(Default)]
struct ImportPlan {
    new_accounts: Vec<AccountRow>,
    new_members: Vec<(MemberRow, Vec<String>)>,
    updates: Vec<(MemberRow, Option<Vec<String>>)>,
    unchanged: u64,
}

fn supervisor_error() -> DomainError {
    DomainError::invalid("supervisor_id", Rule::Custom("must be an active member of this organization"))
}

async fn active_member(c: &mut AnyConnection, permit: &Permit, id: &str, field: &str) -> Result<MemberRow> {
    match store::member(c, permit.org(), id).await? {
        Some(m) if m.status == "active" => Ok(m),
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
