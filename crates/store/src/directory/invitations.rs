//! Membership invitations: an existing account asked to join another organization. Each change
//! of state is one conditional update, so of two servers acting on one invitation exactly one
//! sees it still pending.

use sqlx::AnyConnection;

use crate::Result;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MemberInvitationRow {
    pub id: String,
    pub org_id: String,
    pub account_id: String,
    pub name: String,
    pub title: Option<String>,
    pub employee_no: Option<String>,
    pub supervisor_id: Option<String>,
    /// A JSON array of department ids.
    pub department_ids: String,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub status: String,
    pub decided_at: Option<i64>,
    pub member_id: Option<String>,
}

/// The row with the invited account's login and the inviting organization's name, for lists.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct MemberInvitationListed {
    #[sqlx(flatten)]
    pub row: MemberInvitationRow,
    pub login: String,
    pub org_name: String,
    pub inviter_name: Option<String>,
}

const COLUMNS: &str = "i.id, i.org_id, i.account_id, i.name, i.title, i.employee_no, i.supervisor_id, \
     i.department_ids, i.invited_by, i.created_at, i.expires_at, i.status, i.decided_at, i.member_id";

pub async fn insert_member_invitation(c: &mut AnyConnection, r: &MemberInvitationRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO member_invitations (id, org_id, account_id, name, title, employee_no, supervisor_id, \
         department_ids, invited_by, created_at, expires_at, status, decided_at, member_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&r.id)
    .bind(&r.org_id)
    .bind(&r.account_id)
    .bind(&r.name)
    .bind(&r.title)
    .bind(&r.employee_no)
    .bind(&r.supervisor_id)
    .bind(&r.department_ids)
    .bind(&r.invited_by)
    .bind(r.created_at)
    .bind(r.expires_at)
    .bind(&r.status)
    .bind(r.decided_at)
    .bind(&r.member_id)
    .execute(c)
    .await?;
    Ok(())
}

/// Marks lapsed invitations to `org` (of one account, or all) expired, so new ones may take
/// their place.
pub async fn expire_member_invitations(
    c: &mut AnyConnection,
    org: &str,
    account: Option<&str>,
    now: i64,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE member_invitations SET status = 'expired', decided_at = expires_at \
         WHERE org_id = $1 AND (CAST($2 AS TEXT) IS NULL OR account_id = $2) AND status = 'pending' AND expires_at <= $3",
    )
    .bind(org)
    .bind(account)
    .bind(now)
    .execute(c)
    .await?
    .rows_affected())
}

/// An invitation of `org`, whatever its state.
pub async fn member_invitation_of_org(
    c: &mut AnyConnection,
    org: &str,
    id: &str,
) -> Result<Option<MemberInvitationRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM member_invitations i WHERE i.id = $1 AND i.org_id = $2"))
        .bind(id)
        .bind(org)
        .fetch_optional(c)
        .await?)
}

/// An invitation addressed to `account`, whatever its state.
pub async fn member_invitation_of_account(
    c: &mut AnyConnection,
    account: &str,
    id: &str,
) -> Result<Option<MemberInvitationRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM member_invitations i WHERE i.id = $1 AND i.account_id = $2"))
        .bind(id)
        .bind(account)
        .fetch_optional(c)
        .await?)
}

fn listed(filter: &str) -> String {
    format!(
        "SELECT {COLUMNS}, a.login AS login, o.name AS org_name, inviter.name AS inviter_name \
         FROM member_invitations i JOIN accounts a ON a.id = i.account_id \
         JOIN organizations o ON o.id = i.org_id \
         LEFT JOIN accounts inviter ON inviter.id = i.invited_by \
         WHERE i.status = 'pending' AND i.expires_at > $2 AND {filter} ORDER BY i.created_at, i.id"
    )
}

/// The organization's open invitations (pending and unexpired at `now`), oldest first.
pub async fn open_member_invitations_of_org(
    c: &mut AnyConnection,
    org: &str,
    now: i64,
) -> Result<Vec<MemberInvitationListed>> {
    Ok(sqlx::query_as(&listed("i.org_id = $1")).bind(org).bind(now).fetch_all(c).await?)
}

/// The account's open invitations, oldest first.
pub async fn open_member_invitations_of_account(
    c: &mut AnyConnection,
    account: &str,
    now: i64,
) -> Result<Vec<MemberInvitationListed>> {
    Ok(sqlx::query_as(&listed("i.account_id = $1")).bind(account).bind(now).fetch_all(c).await?)
}

/// Settles an invitation (`accepted`, `declined` or `cancelled`) if it is still open at `now`:
/// of two requests racing on one invitation, one sees 1 and the other 0.
pub async fn settle_member_invitation(
    c: &mut AnyConnection,
    id: &str,
    status: &str,
    now: i64,
    member: Option<&str>,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE member_invitations SET status = $1, decided_at = $2, member_id = $3 \
         WHERE id = $4 AND status = 'pending' AND expires_at > $2",
    )
    .bind(status)
    .bind(now)
    .bind(member)
    .bind(id)
    .execute(c)
    .await?
    .rows_affected())
}
