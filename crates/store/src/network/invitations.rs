//! Invitations to join a network as a unit.

use super::*;

// ----- invitations -----

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InvitationRow {
    pub id: String,
    pub network_id: String,
    pub code_hash: String,
    pub partner_name: String,
    pub target_org: Option<String>,
    pub partner_type: String,
    pub tier: String,
    #[sqlx(try_from = "String")]
    pub status: InvitationStatus,
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub answered_at: Option<i64>,
    pub answered_by_org: Option<String>,
    pub unit_id: Option<String>,
    /// The department names proposed to bring in.
    pub departments: Json<Vec<String>>,
}

const INVITATION_COLUMNS: &str = "id, network_id, code_hash, partner_name, target_org, partner_type, tier, status, \
    created_by, created_at, expires_at, answered_at, answered_by_org, unit_id, departments";

pub async fn insert_invitation(c: &mut AnyConnection, i: &InvitationRow) -> Result<()> {
    sqlx::query(&format!("INSERT INTO invitations ({INVITATION_COLUMNS}) VALUES ({})", placeholders(1, 15)))
        .bind(&i.id)
        .bind(&i.network_id)
        .bind(&i.code_hash)
        .bind(&i.partner_name)
        .bind(&i.target_org)
        .bind(&i.partner_type)
        .bind(&i.tier)
        .bind(i.status.as_str())
        .bind(&i.created_by)
        .bind(i.created_at)
        .bind(i.expires_at)
        .bind(i.answered_at)
        .bind(&i.answered_by_org)
        .bind(&i.unit_id)
        .bind(&i.departments)
        .execute(c)
        .await?;
    Ok(())
}

/// A network's invitation; `lock` (the write transaction's backend) holds it until the end, for
/// an answer decided on what it says.
pub async fn invitation(
    c: &mut AnyConnection,
    network: &str,
    id: &str,
    lock: Option<Backend>,
) -> Result<Option<InvitationRow>> {
    let lock = row_lock(lock, "i");
    Ok(sqlx::query_as(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations i WHERE i.network_id = $1 AND i.id = $2{lock}"
    ))
    .bind(network)
    .bind(id)
    .fetch_optional(c)
    .await?)
}

/// The invitation a code opens; `lock` as for [`invitation`]. Locked, a code renewed meanwhile
/// on another server is found no more, as it would be a moment later.
pub async fn invitation_by_code(
    c: &mut AnyConnection,
    code_hash: &str,
    lock: Option<Backend>,
) -> Result<Option<InvitationRow>> {
    let lock = row_lock(lock, "i");
    Ok(sqlx::query_as(&format!("SELECT {INVITATION_COLUMNS} FROM invitations i WHERE i.code_hash = $1{lock}"))
        .bind(code_hash)
        .fetch_optional(c)
        .await?)
}

/// A network's invitations, newest first; `status` filters.
pub async fn invitations(
    c: &mut AnyConnection,
    network: &str,
    status: Option<InvitationStatus>,
) -> Result<Vec<InvitationRow>> {
    let sql = format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations WHERE network_id = $1 {} ORDER BY created_at DESC, id LIMIT 500",
        if status.is_some() { "AND status = $2" } else { "" }
    );
    let mut q = sqlx::query_as(&sql).bind(network);
    if let Some(s) = status {
        q = q.bind(s.as_str());
    }
    Ok(q.fetch_all(c).await?)
}

/// Moves a pending invitation to its answer. Conditional on it still being pending, so a code
/// is answered once however many requests race: the loser sees 0 rows.
pub async fn answer_invitation(
    c: &mut AnyConnection,
    id: &str,
    status: InvitationStatus,
    org: Option<&str>,
    unit: Option<&str>,
    at: i64,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE invitations SET status = $1, answered_at = $2, answered_by_org = $3, unit_id = $4 \
         WHERE id = $5 AND status = 'pending'",
    )
    .bind(status.as_str())
    .bind(at)
    .bind(org)
    .bind(unit)
    .bind(id)
    .execute(c)
    .await?
    .rows_affected())
}

/// A fresh code and expiry for a pending invitation; the old code stops working.
pub async fn renew_invitation(c: &mut AnyConnection, id: &str, code_hash: &str, expires_at: i64) -> Result<u64> {
    Ok(sqlx::query("UPDATE invitations SET code_hash = $1, expires_at = $2 WHERE id = $3 AND status = 'pending'")
        .bind(code_hash)
        .bind(expires_at)
        .bind(id)
        .execute(c)
        .await?
        .rows_affected())
}

/// Any network's invitation by id; `lock` as for [`invitation`].
pub async fn invitation_by_id(c: &mut AnyConnection, id: &str, lock: Option<Backend>) -> Result<Option<InvitationRow>> {
    let lock = row_lock(lock, "i");
    Ok(sqlx::query_as(&format!("SELECT {INVITATION_COLUMNS} FROM invitations i WHERE i.id = $1{lock}"))
        .bind(id)
        .fetch_optional(c)
        .await?)
}

/// Pending invitations sent to an organization, newest first.
pub async fn invitations_for(c: &mut AnyConnection, org: &str) -> Result<Vec<InvitationRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations WHERE target_org = $1 AND status = 'pending' \
         ORDER BY created_at DESC, id LIMIT 200"
    ))
    .bind(org)
    .fetch_all(c)
    .await?)
}

pub async fn link_invitation(c: &mut AnyConnection, id: &str, unit: &str) -> Result<()> {
    sqlx::query("UPDATE invitations SET unit_id = $1 WHERE id = $2").bind(unit).bind(id).execute(c).await?;
    Ok(())
}
