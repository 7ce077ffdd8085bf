//! Membership invitations. A person who already has an account (in another organization) is not
//! made a member by someone else's admin: they are invited, and become a member when they accept.
//! Accepting, declining and cancelling each settle the invitation with one conditional update, so
//! two servers acting on it at once give one outcome.

use keiretsu_domain::directory::MEMBER_INVITATION_DAYS;
use keiretsu_domain::identity::NOT_SIGNED_IN;
use keiretsu_domain::ids::MemberInvitationId;
use keiretsu_store::directory::{MemberInvitationListed, MemberInvitationRow};

use super::*;

const DAY_MS: i64 = 86_400_000;
const NOT_FOUND_INVITATION: DomainError = DomainError::NotFound { what: "invitation" };

/// An invitation as the inviting organization's admins see it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MemberInvitationView {
    pub id: String,
    pub organization_id: String,
    pub account_id: String,
    pub login: String,
    /// The name the member will have in this organization.
    pub name: String,
    pub title: Option<String>,
    pub employee_no: Option<String>,
    pub department_ids: Vec<String>,
    pub supervisor_id: Option<String>,
    /// The account of the admin who invited.
    pub invited_by: String,
    pub created_at: String,
    /// After this the invitation can no longer be accepted.
    pub expires_at: String,
}

/// An invitation as the invited person sees it: who asks, and as what; nothing of the
/// organization's members until they accept.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReceivedInvitationView {
    pub id: String,
    pub organization_id: String,
    pub organization_name: String,
    /// The name the person will have in that organization.
    pub name: String,
    pub title: Option<String>,
    /// The name of the admin who invited.
    pub invited_by_name: Option<String>,
    pub created_at: String,
    pub expires_at: String,
}

/// What adding a member did: a new login became a member at once; an existing account was invited.
#[derive(Clone, Debug)]
pub enum Added {
    Member(MemberView),
    Invited(MemberInvitationView),
}

impl Added {
    /// The member, when one was created.
    pub fn member(self) -> Option<MemberView> {
        match self {
            Added::Member(m) => Some(m),
            Added::Invited(_) => None,
        }
    }
}

/// What the admin chose for the person, checked, kept until they answer.
pub(super) struct Offer {
    pub name: String,
    pub title: Option<String>,
    pub employee_no: Option<String>,
    pub department_ids: Vec<String>,
    pub supervisor_id: Option<String>,
}

fn departments_of(row: &MemberInvitationRow) -> Vec<String> {
    serde_json::from_str(&row.department_ids).unwrap_or_default()
}

fn admin_view(l: MemberInvitationListed) -> MemberInvitationView {
    let department_ids = departments_of(&l.row);
    let r = l.row;
    MemberInvitationView {
        id: r.id,
        organization_id: r.org_id,
        account_id: r.account_id,
        login: l.login,
        name: r.name,
        title: r.title,
        employee_no: r.employee_no,
        department_ids,
        supervisor_id: r.supervisor_id,
        invited_by: r.invited_by,
        created_at: format_rfc3339(r.created_at),
        expires_at: format_rfc3339(r.expires_at),
    }
}

fn no_longer_open() -> DomainError {
    DomainError::conflict("invitation_id", Rule::Reason(Reason::InvitationNotOpen))
}

fn parse_id(id: &str) -> Result<MemberInvitationId> {
    // A malformed id names nothing, exactly as an unknown one.
    MemberInvitationId::parse(id).map_err(|_| NOT_FOUND_INVITATION.into())
}

impl Cases<'_> {
    /// Invites an existing account, inside the add-member or import transaction. The caller has
    /// checked that the account is not a member of this organization.
    pub(super) async fn invite(
        &self,
        tx: &mut Tx,
        permit: &Permit,
        (account, login): (&str, &str),
        offer: Offer,
        source: Option<&str>,
    ) -> Result<(MemberInvitationView, Change)> {
        let org = permit.org();
        let now = self.now();
        store::expire_member_invitations(tx, org.as_str(), Some(account), now).await?;
        if let Some(no) = &offer.employee_no
            && store::member_by_employee_no(tx, org, no).await?.is_some()
        {
            return Err(DomainError::conflict("employee_no", Rule::Unique).into());
        }
        let row = MemberInvitationRow {
            id: MemberInvitationId::from_random(random_id_bytes()).to_string(),
            org_id: org.to_string(),
            account_id: account.to_owned(),
            name: offer.name,
            title: offer.title,
            employee_no: offer.employee_no,
            supervisor_id: offer.supervisor_id,
            department_ids: serde_json::to_string(&offer.department_ids)
                .map_err(|e| crate::Error::Internal(e.to_string()))?,
            invited_by: permit.actor().to_owned(),
            created_at: now,
            expires_at: now + MEMBER_INVITATION_DAYS * DAY_MS,
            status: "pending".into(),
            decided_at: None,
            member_id: None,
        };
        store::insert_member_invitation(tx, &row).await.map_err(|e| {
            if e.unique_violation().is_some() {
                crate::Error::Domain(DomainError::conflict("login", Rule::Reason(Reason::AlreadyInvitedMember)))
            } else {
                crate::Error::Store(e)
            }
        })?;
        let mut change = Change::new(permit.actor(), Some(org.as_str()), "member.invite", &row.id)
            .with("account", account)
            .with("login", login)
            .with("name", &row.name)
            .with("department_ids", &offer.department_ids)
            .with("expires_at", format_rfc3339(row.expires_at));
        if let Some(source) = source {
            change = change.with("source", source);
        }
        let listed =
            MemberInvitationListed { row, login: login.to_owned(), org_name: String::new(), inviter_name: None };
        Ok((admin_view(listed), change))
    }

    /// The organization's open invitations, for its directory admins.
    pub async fn member_invitations(&self, caller: &Caller, org: &OrgId) -> Result<Vec<MemberInvitationView>> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let mut c = self.store.read().await?;
        let rows = store::open_member_invitations_of_org(&mut c, permit.org().as_str(), self.now()).await?;
        Ok(rows.into_iter().map(admin_view).collect())
    }

    /// An admin takes back an open invitation. Another organization's is as unknown as none.
    pub async fn cancel_member_invitation(&self, caller: &Caller, org: &OrgId, id: &str) -> Result<()> {
        let permit = self.permit(caller, org, Need::Manage(Scope::Directory)).await?;
        let id = parse_id(id)?;
        let mut tx = self.store.write().await?;
        let row = store::member_invitation_of_org(&mut tx, permit.org().as_str(), id.as_str())
            .await?
            .ok_or(NOT_FOUND_INVITATION)?;
        if store::settle_member_invitation(&mut tx, &row.id, "cancelled", self.now(), None).await? == 0 {
            return Err(no_longer_open().into());
        }
        let change = Change::new(permit.actor(), Some(org.as_str()), "member.invitation_cancel", &row.id)
            .with("account", &row.account_id);
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    /// The signed-in person's open invitations, oldest first.
    pub async fn received_invitations(&self, caller: &Caller) -> Result<Vec<ReceivedInvitationView>> {
        let account = caller.account().ok_or(NOT_SIGNED_IN)?;
        let mut c = self.store.read().await?;
        let rows = store::open_member_invitations_of_account(&mut c, account.as_str(), self.now()).await?;
        Ok(rows
            .into_iter()
            .map(|l| ReceivedInvitationView {
                id: l.row.id,
                organization_id: l.row.org_id,
                organization_name: l.org_name,
                name: l.row.name,
                title: l.row.title,
                invited_by_name: l.inviter_name,
                created_at: format_rfc3339(l.row.created_at),
                expires_at: format_rfc3339(l.row.expires_at),
            })
            .collect())
    }

    /// The person says no; the organization's admins see it in their journal.
    pub async fn decline_invitation(&self, caller: &Caller, id: &str) -> Result<()> {
        let account = caller.account().ok_or(NOT_SIGNED_IN)?;
        let id = parse_id(id)?;
        let mut tx = self.store.write().await?;
        let row = store::member_invitation_of_account(&mut tx, account.as_str(), id.as_str())
            .await?
            .ok_or(NOT_FOUND_INVITATION)?;
        if store::settle_member_invitation(&mut tx, &row.id, "declined", self.now(), None).await? == 0 {
            return Err(no_longer_open().into());
        }
        let change = Change::new(account.as_str(), Some(&row.org_id), "member.invitation_decline", &row.id);
        self.commit(tx, &[change]).await?;
        Ok(())
    }

    /// The person accepts: the membership is created with what the admin chose, once. Departments
    /// removed since fall back to the root, and a supervisor who left since is dropped.
    pub async fn accept_invitation(&self, caller: &Caller, id: &str) -> Result<MemberView> {
        let account = caller.account().ok_or(NOT_SIGNED_IN)?;
        let id = parse_id(id)?;
        let mut tx = self.store.write().await?;
        let row = store::member_invitation_of_account(&mut tx, account.as_str(), id.as_str())
            .await?
            .ok_or(NOT_FOUND_INVITATION)?;
        let now = self.now();
        let member_id = MemberId::from_random(random_id_bytes()).to_string();
        // The conditional update decides a race: the loser sees 0 and changes nothing.
        if store::settle_member_invitation(&mut tx, &row.id, "accepted", now, Some(&member_id)).await? == 0 {
            return Err(no_longer_open().into());
        }
        let org = OrgId::from_trusted(row.org_id.clone());
        if store::member_of_account(&mut tx, &org, account.as_str()).await?.is_some() {
            return Err(DomainError::conflict("invitation_id", Rule::Reason(Reason::YouAreAlreadyMember)).into());
        }
        let acc = store::account(&mut tx, account.as_str()).await?.ok_or(NOT_FOUND_INVITATION)?;
        let all = store::departments(&mut tx, &org).await?;
        let mut departments: Vec<String> =
            departments_of(&row).into_iter().filter(|d| all.iter().any(|x| &x.id == d)).collect();
        if departments.is_empty() {
            departments.extend(all.iter().filter(|d| d.parent_id.is_none()).map(|d| d.id.clone()));
        }
        let supervisor = match &row.supervisor_id {
            Some(s) => {
                store::member(&mut tx, &org, s).await?.filter(|m| m.status == MemberStatus::Active).map(|m| m.id)
            }
            None => None,
        };
        let member = MemberRow {
            id: member_id,
            org_id: row.org_id.clone(),
            account_id: acc.id.clone(),
            login: acc.login.clone(),
            name: row.name.clone(),
            phone: acc.phone.clone(),
            email: acc.email.clone(),
            title: row.title.clone(),
            employee_no: row.employee_no.clone(),
            supervisor_id: supervisor,
            status: MemberStatus::Active,
            role: Role::Member,
            joined_at: now,
            left_at: None,
        };
        store::insert_member(&mut tx, &member).await.map_err(|e| unique_to_field(e, "employee_no"))?;
        store::set_member_departments(&mut tx, &member.id, &departments).await?;
        let mut changes = vec![
            Change::new(account.as_str(), Some(&row.org_id), "member.invitation_accept", &row.id)
                .with("member", &member.id),
            Change::new(account.as_str(), Some(&row.org_id), "member.join", &member.id)
                .with("name", &member.name)
                .with("login", &member.login)
                .with("department_ids", &departments)
                .with("invitation", &row.id)
                .with("invited_by", &row.invited_by),
        ];
        changes.extend(self.joined(&mut tx, &org, vec![member.id.clone()], account.as_str()).await?);
        self.commit(tx, &changes).await?;
        Ok(member_view(member, departments))
    }
}
